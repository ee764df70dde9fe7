// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

import {IWithdrawalVerifier} from "./interfaces/IWithdrawalVerifier.sol";
import {ValidatorProofs} from "./lib/ValidatorProofs.sol";
import {WithdrawalProofs} from "./lib/WithdrawalProofs.sol";

/// @title WithdrawalVerifier
/// @notice `WithdrawalProofs` as a contract of its own, for one beacon chain: its genesis, its
/// known fork layouts and its Capella slot are fixed at deployment. No owner, no state: a pure
/// function of the proof and the EIP-4788 root.
contract WithdrawalVerifier is IWithdrawalVerifier {
    /// @notice A constructor argument is unusable; `index` is its position (0-based).
    error InvalidConstructorArgument(uint256 index);

    /// @inheritdoc IWithdrawalVerifier
    uint64 public immutable override GENESIS_TIME;
    /// @inheritdoc IWithdrawalVerifier
    bytes32 public immutable override GENESIS_VALIDATORS_ROOT;
    /// @inheritdoc IWithdrawalVerifier
    bytes32 public immutable override FORK_VERSIONS;
    /// @inheritdoc IWithdrawalVerifier
    uint64 public immutable override CAPELLA_SLOT;

    /// @notice Deploys the verifier for one chain.
    /// @param anchor The beacon chain's genesis time, genesis validators root and known fork versions.
    /// @param capellaSlot `CAPELLA_FORK_EPOCH * SLOTS_PER_EPOCH` of the network (mainnet: 6,209,536).
    constructor(ValidatorProofs.Anchor memory anchor, uint64 capellaSlot) {
        if (anchor.forkVersions == bytes32(0)) revert InvalidConstructorArgument(0);
        GENESIS_TIME = anchor.genesisTime;
        GENESIS_VALIDATORS_ROOT = anchor.genesisValidatorsRoot;
        FORK_VERSIONS = anchor.forkVersions;
        CAPELLA_SLOT = capellaSlot;
    }

    /// @inheritdoc IWithdrawalVerifier
    function verifyWithdrawal(bytes calldata proof, uint256 timestamp)
        external
        view
        override
        returns (WithdrawalProofs.Proven memory)
    {
        ValidatorProofs.Anchor memory anchor =
            ValidatorProofs.Anchor(GENESIS_TIME, GENESIS_VALIDATORS_ROOT, FORK_VERSIONS);
        return WithdrawalProofs.verifyAt(proof, timestamp, anchor, CAPELLA_SLOT);
    }
}
