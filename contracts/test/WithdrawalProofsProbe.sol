// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

import {BeaconRoots} from "../src/lib/BeaconRoots.sol";
import {ValidatorProofs} from "../src/lib/ValidatorProofs.sol";
import {WithdrawalProofs} from "../src/lib/WithdrawalProofs.sol";

/// @title WithdrawalProofsProbe
/// @notice Test-only: exposes the `WithdrawalProofs` library so the Rust harness can drive it,
/// through EIP-4788 (a timestamp) or with the anchor root given directly, alone or together with
/// a validator proof against the same anchor (as settlement will).
contract WithdrawalProofsProbe {
    /// @notice Verifies `proof` against the EIP-4788 root at `timestamp`.
    /// @param proof The encoded withdrawal proof (crates/proofs/FORMAT.md).
    /// @param timestamp An execution block timestamp within the EIP-4788 window.
    /// @param anchor Genesis time, genesis validators root, packed known fork versions.
    /// @param chain The network's first Capella slot and preset depths (`WithdrawalProofs.Params`).
    /// @return The proven values; reverts with the library's named errors.
    function verifyAt(
        bytes calldata proof,
        uint256 timestamp,
        ValidatorProofs.Anchor memory anchor,
        WithdrawalProofs.Params memory chain
    ) external view returns (WithdrawalProofs.Proven memory) {
        return WithdrawalProofs.verifyAt(proof, timestamp, anchor, chain);
    }

    /// @notice Verifies `proof` against `anchorRoot`.
    /// @param proof The encoded withdrawal proof.
    /// @param anchorRoot The beacon block root the proof must reach.
    /// @param anchor Genesis time, genesis validators root, packed known fork versions.
    /// @param chain The network's first Capella slot and preset depths (`WithdrawalProofs.Params`).
    /// @return The proven values; reverts with the library's named errors.
    function verifyRoot(
        bytes calldata proof,
        bytes32 anchorRoot,
        ValidatorProofs.Anchor memory anchor,
        WithdrawalProofs.Params memory chain
    ) external view returns (WithdrawalProofs.Proven memory) {
        return WithdrawalProofs.verify(proof, anchorRoot, anchor, chain);
    }

    /// @notice As `verifyRoot`, also returning the gas the library call used (no calldata, no ABI
    /// decoding of the arguments, no return encoding).
    /// @param proof The encoded withdrawal proof.
    /// @param anchorRoot The beacon block root the proof must reach.
    /// @param anchor Genesis time, genesis validators root, packed known fork versions.
    /// @param chain The network's first Capella slot and preset depths (`WithdrawalProofs.Params`).
    /// @return gasUsed Gas between entering and leaving `WithdrawalProofs.verify`.
    /// @return proven The proven values.
    function verifyGas(
        bytes calldata proof,
        bytes32 anchorRoot,
        ValidatorProofs.Anchor memory anchor,
        WithdrawalProofs.Params memory chain
    ) external view returns (uint256 gasUsed, WithdrawalProofs.Proven memory proven) {
        uint256 before = gasleft();
        proven = WithdrawalProofs.verify(proof, anchorRoot, anchor, chain);
        gasUsed = before - gasleft();
    }

    /// @notice What settlement needs from one anchor: a validator proof (e.g. its
    /// `withdrawableEpoch`) and a withdrawal proof, both against the EIP-4788 root at `timestamp`,
    /// read once. Also returns the gas of the two verifications and the 4788 read together.
    /// @param validatorProof The encoded validator proof (format 1).
    /// @param validatorIndex The validator index the caller vouches for.
    /// @param withdrawalProof The encoded withdrawal proof.
    /// @param timestamp An execution block timestamp within the EIP-4788 window.
    /// @param anchor Genesis time, genesis validators root, packed known fork versions.
    /// @param chain The network's first Capella slot and preset depths (`WithdrawalProofs.Params`).
    /// @return gasUsed Gas of the root read and both verifications.
    /// @return validator The proven validator.
    /// @return withdrawal The proven withdrawal.
    function verifyBothAt(
        bytes calldata validatorProof,
        uint64 validatorIndex,
        bytes calldata withdrawalProof,
        uint256 timestamp,
        ValidatorProofs.Anchor memory anchor,
        WithdrawalProofs.Params memory chain
    )
        external
        view
        returns (uint256 gasUsed, ValidatorProofs.Proven memory validator, WithdrawalProofs.Proven memory withdrawal)
    {
        uint256 before = gasleft();
        bytes32 root = BeaconRoots.get(timestamp);
        validator = ValidatorProofs.verify(validatorProof, validatorIndex, root, anchor);
        withdrawal = WithdrawalProofs.verify(withdrawalProof, root, anchor, chain);
        gasUsed = before - gasleft();
    }
}
