// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

/// @title IDeviceVerifier
/// @notice The seam between a multi-device verifier and the hardware of one device: whether
/// `evidence` proves that a device running lsv's signer (P) attested `binding`, and which
/// physical platform it runs on, so that n enclaves on one machine do not count as n devices.
interface IDeviceVerifier {
    /// @notice Whether `evidence` attests `binding` from a device, and that device's platform.
    /// @dev Must answer `(false, 0)`, not revert, for evidence it does not accept. `platform` is
    /// the verifier's identity of the physical machine (for SGX, derived from the PCK
    /// certificate's PPID; for the dev stand-in, the attester key's address); two accepted
    /// evidences with one platform are one device.
    /// @param binding The 32 bytes the evidence must cover.
    /// @param evidence The device's attestation, in the verifier's format.
    /// @return ok True if the evidence is valid for `binding`.
    /// @return platform The platform it proves (zero when `ok` is false).
    function verifyDevice(bytes32 binding, bytes calldata evidence)
        external
        view
        returns (bool ok, bytes32 platform);
}
