// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

import {IProofVerifier} from "./interfaces/IProofVerifier.sol";
import {ProgressiveProofVerifier} from "./ProgressiveProofVerifier.sol";
import {BeaconRoots} from "./lib/BeaconRoots.sol";
import {ProgressiveValidatorProofs} from "./lib/ProgressiveValidatorProofs.sol";
import {ProgressiveWithdrawalProofs} from "./lib/ProgressiveWithdrawalProofs.sol";
import {ValidatorProofs} from "./lib/ValidatorProofs.sol";
import {WithdrawalProofs} from "./lib/WithdrawalProofs.sol";

/// @title ProofVerifier
/// @notice `ValidatorProofs` and `WithdrawalProofs` as a contract of their own, for one beacon
/// chain: its genesis, its known fork versions, its Capella slot and the two preset lengths
/// withdrawal proofs depend on are fixed at deployment. No owner, no state: a pure function of
/// the proof and the EIP-4788 root.
/// @dev One verifier per state-layout family, chosen by the proof's format byte: the
/// Electra/Fulu layout (format 1) is verified here, the progressive layout of Gloas and later
/// forks (format 2) by the `ProgressiveProofVerifier` this constructor creates, so that each
/// fits the code-size limit and both are fixed at deployment.
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
    /// @inheritdoc IProofVerifier
    uint64 public immutable override MAX_WITHDRAWALS_PER_PAYLOAD;
    /// @inheritdoc IProofVerifier
    uint64 public immutable override SLOTS_PER_HISTORICAL_ROOT;
    /// @inheritdoc IProofVerifier
    address public immutable override PROGRESSIVE_VERIFIER;
    /// @dev `log2(MAX_WITHDRAWALS_PER_PAYLOAD)`, computed once.
    uint8 private immutable WITHDRAWALS_DEPTH;
    /// @dev `log2(SLOTS_PER_HISTORICAL_ROOT)`, computed once.
    uint8 private immutable BLOCK_ROOTS_DEPTH;

    /// @notice Deploys the verifier for one chain. Reverts with `ForkVersionsEmpty`, or with
    /// `WithdrawalProofs.MaxWithdrawalsPerPayloadUnsupported` /
    /// `WithdrawalProofs.SlotsPerHistoricalRootUnsupported` unless each length is a power of two
    /// no larger than mainnet's.
    /// @param anchor The beacon chain's genesis time, genesis validators root and known fork versions.
    /// @param capellaSlot `CAPELLA_FORK_EPOCH * SLOTS_PER_EPOCH` of the network (mainnet: 6,209,536).
    /// @param maxWithdrawalsPerPayload The network's `MAX_WITHDRAWALS_PER_PAYLOAD` (capella preset:
    /// mainnet 16, minimal 4).
    /// @param slotsPerHistoricalRoot The network's `SLOTS_PER_HISTORICAL_ROOT` (phase0 preset:
    /// mainnet 8192, minimal 64).
    constructor(
        ValidatorProofs.Anchor memory anchor,
        uint64 capellaSlot,
        uint64 maxWithdrawalsPerPayload,
        uint64 slotsPerHistoricalRoot
    ) {
        if (anchor.forkVersions == bytes32(0)) revert ForkVersionsEmpty();
        WithdrawalProofs.Params memory chain =
            WithdrawalProofs.params(capellaSlot, maxWithdrawalsPerPayload, slotsPerHistoricalRoot);
        GENESIS_TIME = anchor.genesisTime;
        GENESIS_VALIDATORS_ROOT = anchor.genesisValidatorsRoot;
        FORK_VERSIONS = anchor.forkVersions;
        CAPELLA_SLOT = capellaSlot;
        MAX_WITHDRAWALS_PER_PAYLOAD = maxWithdrawalsPerPayload;
        SLOTS_PER_HISTORICAL_ROOT = slotsPerHistoricalRoot;
        WITHDRAWALS_DEPTH = chain.withdrawalsDepth;
        BLOCK_ROOTS_DEPTH = chain.blockRootsDepth;
        PROGRESSIVE_VERIFIER =
            address(
            new ProgressiveProofVerifier(
                anchor.genesisTime, anchor.genesisValidatorsRoot, chain.blockRootsDepth, capellaSlot
            )
        );
    }

    /// @inheritdoc IProofVerifier
    function verifyValidator(bytes calldata proof, uint64 index, uint256 timestamp)
        external
        view
        override
        returns (ValidatorProofs.Proven memory)
    {
        if (proof.length != 0 && uint8(proof[0]) == ProgressiveValidatorProofs.FORMAT_VERSION) {
            return ProgressiveProofVerifier(PROGRESSIVE_VERIFIER)
                .verifyValidator(proof, index, BeaconRoots.get(timestamp));
        }
        return ValidatorProofs.verifyAt(proof, index, timestamp, _anchor());
    }

    /// @inheritdoc IProofVerifier
    function verifyWithdrawal(bytes calldata proof, uint256 timestamp)
        external
        view
        override
        returns (WithdrawalProofs.Proven memory)
    {
        if (proof.length != 0 && uint8(proof[0]) == ProgressiveWithdrawalProofs.FORMAT_VERSION) {
            return ProgressiveProofVerifier(PROGRESSIVE_VERIFIER).verifyWithdrawal(proof, BeaconRoots.get(timestamp));
        }
        return WithdrawalProofs.verifyAt(
            proof, timestamp, _anchor(), WithdrawalProofs.Params(CAPELLA_SLOT, WITHDRAWALS_DEPTH, BLOCK_ROOTS_DEPTH)
        );
    }

    /// @dev The anchor, from the immutables.
    function _anchor() private view returns (ValidatorProofs.Anchor memory) {
        return ValidatorProofs.Anchor(GENESIS_TIME, GENESIS_VALIDATORS_ROOT, FORK_VERSIONS);
    }
}
