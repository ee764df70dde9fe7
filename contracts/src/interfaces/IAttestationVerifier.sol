// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

/// @title IAttestationVerifier
/// @notice The seam between the vault and the hardware that generated a validator key: it
/// decides whether `evidence` proves that lsv's signer (P) generated the key described by
/// `binding`. The vault fixes its verifier at deployment; it cannot be swapped.
interface IAttestationVerifier {
    /// @notice Whether `evidence` attests a key generation bound to `binding`.
    /// @dev `binding` is the vault's `keyGenerationBinding(pubkey, owner)`: SHA-256 of
    /// `DOMAIN_TAG ‖ pubkey (48) ‖ withdrawal credentials (32) ‖ owner (20) ‖ chain id (uint256,
    /// 32) ‖ genesis validators root (32) ‖ policy hash (32)` (228 bytes). A verifier must answer
    /// `false`, not revert, for evidence it does not accept.
    /// @param binding The 32-byte commitment the evidence must cover.
    /// @param evidence The attestation, in the verifier's own format.
    /// @return True if the evidence is valid for `binding`.
    function verifyKeyGeneration(bytes32 binding, bytes calldata evidence) external view returns (bool);
}
