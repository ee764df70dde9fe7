// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

import {IProofVerifier} from "./interfaces/IProofVerifier.sol";
import {ValidatorProofs} from "./lib/ValidatorProofs.sol";
import {WithdrawalProofs} from "./lib/WithdrawalProofs.sol";

/// @title ProofVerifier
/// @notice `ValidatorProofs` and `WithdrawalProofs` as a contract of their own, for one beacon
/// chain and the Electra/Fulu state layout: its genesis, its known fork versions and its Capella
/// slot are fixed at deployment. No owner, no state: a pure function of the proof and the
/// EIP-4788 root.
contract ProofVerifier is IProofVerifier {
    /// @notice The anchor lists no fork version.
    error ForkVersionsEmpty();

    /// @inheritdoc IProofVerifier
    uint64 public immutable override GENESIS_TIME;
    /// @inheritdoc IProofVerifier
    bytes32 public immutable override GENESIS_VALIDATORS_ROOT;
    /// @inheritdoc IProofVerifier
    bytes32 public immutable override FORK_VERSIONS;
    /// @inheritdoc IProofVerifier
    uint64 public immutable override CAPELLA_SLOT;

    /// @notice Deploys the verifier for one chain.
    /// @param anchor The beacon chain's genesis time, genesis validators root and known fork versions.
    /// @param capellaSlot `CAPELLA_FORK_EPOCH * SLOTS_PER_EPOCH` of the network (mainnet: 6,209,536).
    constructor(ValidatorProofs.Anchor memory anchor, uint64 capellaSlot) {
        if (anchor.forkVersions == bytes32(0)) revert ForkVersionsEmpty();
        GENESIS_TIME = anchor.genesisTime;
        GENESIS_VALIDATORS_ROOT = anchor.genesisValidatorsRoot;
        FORK_VERSIONS = anchor.forkVersions;
        CAPELLA_SLOT = capellaSlot;
    }

    /// @inheritdoc IProofVerifier
    function verifyValidator(bytes calldata proof, uint64 index, uint256 timestamp)
        external
        view
        override
        returns (ValidatorProofs.Proven memory)
    {
        return ValidatorProofs.verifyAt(proof, index, timestamp, _anchor());
    }

    /// @inheritdoc IProofVerifier
    function verifyWithdrawal(bytes calldata proof, uint256 timestamp)
        external
        view
        override
        returns (WithdrawalProofs.Proven memory)
    {
        return WithdrawalProofs.verifyAt(proof, timestamp, _anchor(), CAPELLA_SLOT);
    }

    /// @dev The anchor, from the immutables.
    function _anchor() private view returns (ValidatorProofs.Anchor memory) {
        return ValidatorProofs.Anchor(GENESIS_TIME, GENESIS_VALIDATORS_ROOT, FORK_VERSIONS);
    }
}
