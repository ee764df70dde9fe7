// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

import {ProgressiveValidatorProofs} from "./lib/ProgressiveValidatorProofs.sol";
import {ProgressiveWithdrawalProofs} from "./lib/ProgressiveWithdrawalProofs.sol";
import {ValidatorProofs} from "./lib/ValidatorProofs.sol";
import {WithdrawalProofs} from "./lib/WithdrawalProofs.sol";

/// @title ProgressiveProofVerifier
/// @notice The verifier of the progressive state layout family (Gloas, EIP-7688, and every later
/// fork that keeps the fields it reads active and in place): validator proofs of format 2
/// (`ProgressiveValidatorProofs`) and withdrawal proofs of format 2, payments under ePBS
/// (`ProgressiveWithdrawalProofs`), against a block root. Created by `ProofVerifier`'s constructor
/// for the same chain and reached through it; no owner, no state.
contract ProgressiveProofVerifier {
    /// @notice The chain's genesis time (state node 4).
    uint64 public immutable GENESIS_TIME;
    /// @notice The chain's genesis validators root (state node 40).
    bytes32 public immutable GENESIS_VALIDATORS_ROOT;
    /// @notice `log2(SLOTS_PER_HISTORICAL_ROOT)`: the depth of `state_roots`.
    uint8 public immutable STATE_ROOTS_DEPTH;
    /// @notice `CAPELLA_FORK_EPOCH * SLOTS_PER_EPOCH`: where `historical_summaries` starts.
    uint64 public immutable CAPELLA_SLOT;

    /// @notice Fixes the chain.
    /// @param genesisTime The beacon chain's `genesis_time`.
    /// @param genesisValidatorsRoot The beacon chain's `genesis_validators_root`.
    /// @param stateRootsDepth `log2(SLOTS_PER_HISTORICAL_ROOT)` (mainnet 13, minimal 6).
    /// @param capellaSlot `CAPELLA_FORK_EPOCH * SLOTS_PER_EPOCH` of the network.
    constructor(uint64 genesisTime, bytes32 genesisValidatorsRoot, uint8 stateRootsDepth, uint64 capellaSlot) {
        GENESIS_TIME = genesisTime;
        GENESIS_VALIDATORS_ROOT = genesisValidatorsRoot;
        STATE_ROOTS_DEPTH = stateRootsDepth;
        CAPELLA_SLOT = capellaSlot;
    }

    /// @notice Verifies a format-2 proof of validator `index` against `blockRoot` and returns
    /// what it proves; reverts with a `ProgressiveValidatorProofs` or `ValidatorProofs` error
    /// otherwise.
    /// @param proof The encoded proof (format 2).
    /// @param index The validator index the caller vouches for.
    /// @param blockRoot The beacon block root (the caller reads it from EIP-4788).
    /// @return The proven validator, balance, inactivity score, slot and fork version.
    function verifyValidator(bytes calldata proof, uint64 index, bytes32 blockRoot)
        external
        view
        returns (ValidatorProofs.Proven memory)
    {
        return ProgressiveValidatorProofs.verify(proof, index, blockRoot, GENESIS_TIME, GENESIS_VALIDATORS_ROOT);
    }

    /// @notice Verifies a format-2 withdrawal proof (a payment under ePBS) against `blockRoot`
    /// and returns the paid withdrawal (route 3 or 4); reverts with a `ProgressiveWithdrawalProofs`,
    /// `ProgressiveValidatorProofs` or `WithdrawalProofs` error otherwise.
    /// @param proof The encoded proof (withdrawal format 2).
    /// @param blockRoot The anchor block root (the caller reads it from EIP-4788).
    /// @return The withdrawal, its position, the listing state's slot and root, the anchor slot.
    function verifyWithdrawal(bytes calldata proof, bytes32 blockRoot)
        external
        view
        returns (WithdrawalProofs.Proven memory)
    {
        return ProgressiveWithdrawalProofs.verify(
            proof, blockRoot, GENESIS_TIME, GENESIS_VALIDATORS_ROOT, STATE_ROOTS_DEPTH, CAPELLA_SLOT
        );
    }
}
