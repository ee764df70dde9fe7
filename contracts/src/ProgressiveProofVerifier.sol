// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

import {ProgressiveValidatorProofs} from "./lib/ProgressiveValidatorProofs.sol";
import {ValidatorProofs} from "./lib/ValidatorProofs.sol";

/// @title ProgressiveProofVerifier
/// @notice The verifier of the progressive state layout family (Gloas, EIP-7688, and every later
/// fork that keeps the fields it reads active and in place): validator proofs of format 2
/// (`ProgressiveValidatorProofs`) against a block root. Created by `ProofVerifier`'s constructor
/// for the same chain and reached through it; no owner, no state.
contract ProgressiveProofVerifier {
    /// @notice The chain's genesis time (state node 4).
    uint64 public immutable GENESIS_TIME;
    /// @notice The chain's genesis validators root (state node 40).
    bytes32 public immutable GENESIS_VALIDATORS_ROOT;

    /// @notice Fixes the chain.
    /// @param genesisTime The beacon chain's `genesis_time`.
    /// @param genesisValidatorsRoot The beacon chain's `genesis_validators_root`.
    constructor(uint64 genesisTime, bytes32 genesisValidatorsRoot) {
        GENESIS_TIME = genesisTime;
        GENESIS_VALIDATORS_ROOT = genesisValidatorsRoot;
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
}
