// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

/// @title P256
/// @notice ECDSA over secp256r1 (NIST P-256) through the EIP-7951 P256VERIFY precompile.
library P256 {
    /// @dev EIP-7951: P256VERIFY at address 0x100 (Osaka).
    address internal constant P256VERIFY = address(0x100);

    /// @notice Whether (`r`, `s`) is a valid P-256 signature of `digest` (a SHA-256 hash) by the
    /// public key (`x`, `y`).
    /// @dev EIP-7951 input `hash ‖ r ‖ s ‖ qx ‖ qy` (160 bytes); output the 32-byte word 1 on
    /// success and nothing on failure (invalid signature, point not on the curve, r or s out of
    /// range). A chain without the precompile also returns nothing: this fails closed.
    function verify(bytes32 digest, uint256 r, uint256 s, uint256 x, uint256 y) internal view returns (bool) {
        (bool ok, bytes memory out) = P256VERIFY.staticcall(abi.encode(digest, r, s, x, y));
        return ok && out.length == 32 && uint256(bytes32(out)) == 1;
    }
}
