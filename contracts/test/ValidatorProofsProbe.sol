// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

import {ValidatorProofs} from "../src/lib/ValidatorProofs.sol";

/// @title ValidatorProofsProbe
/// @notice Test-only: exposes the `ValidatorProofs` library so the Rust harness can drive it,
/// through EIP-4788 (a timestamp) or with the block root given directly.
contract ValidatorProofsProbe {
    /// @notice Verifies `proof` for validator `index` against the EIP-4788 root at `timestamp`.
    /// @param proof The encoded proof (crates/proofs/FORMAT.md).
    /// @param index The validator index.
    /// @param timestamp An execution block timestamp within the EIP-4788 window.
    /// @param anchor Genesis time, genesis validators root, packed known fork versions.
    /// @return The proven values; reverts with the library's named errors.
    function verifyAt(bytes calldata proof, uint64 index, uint256 timestamp, ValidatorProofs.Anchor memory anchor)
        external
        view
        returns (ValidatorProofs.Proven memory)
    {
        return ValidatorProofs.verifyAt(proof, index, timestamp, anchor);
    }

    /// @notice Verifies `proof` for validator `index` against `blockRoot`.
    /// @param proof The encoded proof.
    /// @param index The validator index.
    /// @param blockRoot The beacon block root the proof must reach.
    /// @param anchor Genesis time, genesis validators root, packed known fork versions.
    /// @return The proven values; reverts with the library's named errors.
    function verifyRoot(bytes calldata proof, uint64 index, bytes32 blockRoot, ValidatorProofs.Anchor memory anchor)
        external
        view
        returns (ValidatorProofs.Proven memory)
    {
        return ValidatorProofs.verify(proof, index, blockRoot, anchor);
    }

    /// @notice As `verifyRoot`, also returning the gas the library call used (no calldata, no
    /// ABI decoding of the arguments, no return encoding).
    /// @param proof The encoded proof.
    /// @param index The validator index.
    /// @param blockRoot The beacon block root the proof must reach.
    /// @param anchor Genesis time, genesis validators root, packed known fork versions.
    /// @return gasUsed Gas between entering and leaving `ValidatorProofs.verify`.
    /// @return proven The proven values.
    function verifyGas(bytes calldata proof, uint64 index, bytes32 blockRoot, ValidatorProofs.Anchor memory anchor)
        external
        view
        returns (uint256 gasUsed, ValidatorProofs.Proven memory proven)
    {
        uint256 before = gasleft();
        proven = ValidatorProofs.verify(proof, index, blockRoot, anchor);
        gasUsed = before - gasleft();
    }

    /// @notice The library's fork-version check.
    /// @param versions Packed versions (see `ValidatorProofs.Anchor`).
    /// @param version A fork version.
    /// @return Whether `version` is known.
    function isKnownForkVersion(bytes32 versions, bytes4 version) external pure returns (bool) {
        return ValidatorProofs.isKnownForkVersion(versions, version);
    }
}
