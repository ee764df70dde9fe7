// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

import {IAttestationVerifier} from "./interfaces/IAttestationVerifier.sol";
import {IDeviceVerifier} from "./interfaces/IDeviceVerifier.sol";
import {DcapQuoteVerifier} from "./dcap/DcapQuoteVerifier.sol";
import {X509} from "./lib/X509.sol";

/// @title DcapDeviceVerifier
/// @notice The hardware device verifier of a multi-device key (`GroupAttestationVerifier`):
/// a device is an Intel SGX enclave or TDX trust domain running lsv's signer P, its evidence a
/// DCAP quote with collateral whose REPORTDATA is the device's share binding ‖ 32 zero bytes,
/// verified on-chain by the SGX or the TDX DCAP verifier fixed at deployment (each with its
/// enclave or TD measurement and TCB policy), and its platform the PPID of the PCK certificate
/// that verifier authenticated. No owner, no setters, no storage.
/// @dev Evidence is one kind byte followed by the DCAP verifiers' own evidence:
/// `0x01 ‖ abi.encode(Evidence)` for an SGX quote (v3), `0x02 ‖ abi.encode(Evidence)` for a TDX
/// quote (v4), `Evidence` being `DcapQuoteVerifier.Evidence`. `verifyDevice`:
/// 1. passes the bytes after the kind byte, unchanged, to that kind's verifier's
///    `verifyKeyGeneration(binding, ·)` (a kind deployed without a verifier is refused; a
///    revert is caught and refuses; the verifiers are lsv's DCAP verifiers, which answer a bool
///    and never revert on evidence);
/// 2. only if it answers true, decodes the same bytes as the same `Evidence` struct (the same
///    ABI decoder on the same bytes: the `pckCert` read here is the one the verifier
///    authenticated from Intel's root key and checked against the quote's QE report) and reads
///    the PPID from that certificate's Intel SGX extension (`X509.sgxPpid`; "Intel SGX PCK
///    Certificate and CRL Profile Specification" §1.5, OID 1.2.840.113741.1.13.1.1). Never the
///    PEM chain inside the quote, which the verifiers do not read (unsigned);
/// 3. returns `platform = bytes32(ppid)`: the 16-byte PPID left-aligned, 16 zero bytes after
///    it (so a platform reads as the PPID Intel's PCS and `lsv_attestation`'s `SgxPlatform` show).
/// The PPID names the platform, not the TEE: an SGX enclave and a TDX trust domain on one CPU
/// are attested through that platform's PCK certificates, which carry one PPID, and so are
/// correctly one platform (one device) to the group verifier. A PPID of zero refuses (a platform must not be zero).
/// Every refusal is `(false, 0)`, never a revert: the DCAP call is wrapped in try/catch, and the
/// decoding and certificate reading run in a call to this contract's own `pckPpid`, also in
/// try/catch. Gas: the DCAP verification (~2.4M SGX, ~2.0M TDX) plus ~0.1M (the PCK certificate
/// parsed again, ~52k; its PPID read, ~26k; the calls and copies of the evidence).
contract DcapDeviceVerifier is IDeviceVerifier {
    /// @notice Deployment without any DCAP verifier: every device would be refused.
    error NoDcapVerifier();
    /// @notice A DCAP verifier given at deployment has no code (a call to it could not answer).
    error VerifierWithoutCode(address verifier);

    /// @notice The kind byte of an SGX device's evidence (a quote v3 for `SGX`).
    bytes1 public constant KIND_SGX = 0x01;
    /// @notice The kind byte of a TDX device's evidence (a quote v4 for `TDX`).
    bytes1 public constant KIND_TDX = 0x02;

    /// @notice The SGX DCAP verifier (`DcapAttestationVerifier`), or zero: SGX devices refused.
    IAttestationVerifier public immutable SGX;
    /// @notice The TDX DCAP verifier (`DcapTdxAttestationVerifier`), or zero: TDX devices refused.
    IAttestationVerifier public immutable TDX;

    /// @notice Deploys a device verifier over the given DCAP verifiers.
    /// @param sgx The SGX DCAP verifier, or zero to refuse SGX devices.
    /// @param tdx The TDX DCAP verifier, or zero to refuse TDX devices; not both zero.
    constructor(IAttestationVerifier sgx, IAttestationVerifier tdx) {
        if (address(sgx) == address(0) && address(tdx) == address(0)) revert NoDcapVerifier();
        if (address(sgx) != address(0) && address(sgx).code.length == 0) revert VerifierWithoutCode(address(sgx));
        if (address(tdx) != address(0) && address(tdx).code.length == 0) revert VerifierWithoutCode(address(tdx));
        SGX = sgx;
        TDX = tdx;
    }

    /// @inheritdoc IDeviceVerifier
    /// @dev `evidence` = kind byte ‖ `abi.encode(Evidence)` (contract documentation).
    function verifyDevice(bytes32 binding, bytes calldata evidence)
        external
        view
        override
        returns (bool ok, bytes32 platform)
    {
        if (evidence.length == 0) return (false, bytes32(0));
        IAttestationVerifier verifier;
        if (evidence[0] == KIND_SGX) verifier = SGX;
        else if (evidence[0] == KIND_TDX) verifier = TDX;
        if (address(verifier) == address(0)) return (false, bytes32(0));
        bytes calldata dcap = evidence[1:];
        try verifier.verifyKeyGeneration(binding, dcap) returns (bool accepted) {
            if (!accepted) return (false, bytes32(0));
        } catch {
            return (false, bytes32(0));
        }
        try this.pckPpid(dcap) returns (bytes16 ppid) {
            if (ppid == bytes16(0)) return (false, bytes32(0));
            return (true, bytes32(ppid));
        } catch {
            return (false, bytes32(0));
        }
    }

    /// @notice The PPID in the PCK certificate of DCAP `evidence` (`abi.encode(Evidence)`,
    /// without the kind byte). Parsing only: it authenticates nothing (`verifyDevice` calls it
    /// after the DCAP verifier accepted the same bytes). Reverts on evidence that does not
    /// decode, a certificate the X.509 reader refuses (`DerMalformed`), or one without a PPID
    /// (`SgxExtensionMissing`).
    /// @param evidence `abi.encode(Evidence)`, as the DCAP verifiers take it.
    /// @return The PCK certificate's 16-byte PPID.
    function pckPpid(bytes calldata evidence) external view returns (bytes16) {
        DcapQuoteVerifier.Evidence memory ev = abi.decode(evidence, (DcapQuoteVerifier.Evidence));
        return X509.sgxPpid(ev.pckCert, X509.parseCertificate(ev.pckCert));
    }
}
