// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

/// @title Secp256k1
/// @notice The one rule lsv's contracts accept a 65-byte secp256k1 ECDSA signature by: the
/// development attesters' (`DevAttestationVerifier`, `DevDeviceVerifier`) and the registered
/// device keys' (`DeviceRegistry`).
library Secp256k1 {
    /// @dev secp256k1n / 2 (EIP-2: the upper half of `s` values is refused).
    uint256 internal constant MAX_S = 0x7FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF5D576E7357A4501DDFE92F46681B20A0;

    /// @notice The address whose key signed `digest` with `signature`, or zero when it is not a
    /// signature this rule accepts.
    /// @dev `signature` is 65 bytes `r ‖ s ‖ v` over `digest` itself (no EIP-191 prefix), `s` in
    /// the lower half of the curve order (EIP-2) and `v` 27 or 28, so every accepted signature
    /// has exactly one encoding; another length, a high `s`, another `v`, or a signature that
    /// recovers to no key gives zero (what `ecrecover` returns on failure). Never reverts.
    function recover(bytes32 digest, bytes calldata signature) internal pure returns (address) {
        if (signature.length != 65) return address(0);
        bytes32 r = bytes32(signature[0:32]);
        bytes32 s = bytes32(signature[32:64]);
        uint8 v = uint8(signature[64]);
        if ((v != 27 && v != 28) || uint256(s) > MAX_S) return address(0);
        return ecrecover(digest, v, r, s);
    }
}
