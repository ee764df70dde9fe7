// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

import {DcapQuoteVerifier} from "./dcap/DcapQuoteVerifier.sol";
import {Der} from "./lib/Der.sol";
import {X509} from "./lib/X509.sol";
import {TcbStatus} from "./lib/IntelCollateralJson.sol";
import {IntelTdxTcbInfo} from "./lib/IntelTdxTcbInfo.sol";

/// @title DcapTdxAttestationVerifier
/// @notice Verifies, on-chain and against Intel's SGX root key alone, that an Intel TDX DCAP
/// quote (ECDSA, version 4, TD report 1.0) comes from a trust domain running lsv's signer P, on a
/// platform and TDX module whose TCB Intel rates acceptably, and that it binds a given key
/// generation. No owner, no setters, no store: Intel's root key is a constant, the TD and
/// collateral policy is fixed at deployment, and the caller supplies the quote with all of its
/// collateral in `evidence` (the same `Evidence` layout as the SGX verifier's), every byte of
/// which that is read is authenticated back to the root key here.
/// @dev Checked on-chain, in this order (each failure reverts `check` with a named error); the
/// quote layout is the Intel TDX DCAP Quoting Library API's, Appendix A.3 "Version 4 Quote
/// Format (TDX-ECDSA, SGX-ECDSA, and SGX-EPID)":
/// 1. Quote header (A.3.1): version 4, attestation key type 2 (ECDSA-256 with P-256), TEE type
///    0x81 (TDX), Intel's QE vendor id. Body: the TD report (A.3.2 "TD Quote Body", TD 1.0,
///    584 bytes) at offset 48. Signature data (A.3.8 "ECDSA 256-bit Quote Signature Data
///    Structure - Version 4"): its declared length ends inside the quote, and every byte after
///    it is zero (quote buffers come padded with zeros); certification data of type 6 (A.3.9,
///    QE Report Certification Data) exactly filling the signature data; inside it (A.3.11) the
///    QE report, its signature, the QE authentication data (A.3.7) and certification data of
///    type 5 (the PCK chain) exactly filling the rest.
/// 2. Root CA CRL signed by the root key and current (thisUpdate <= now <= nextUpdate).
/// 3. PCK CA certificate ("Intel SGX PCK Platform CA" or "... Processor CA") signed by the root
///    key, current, not on the root CA CRL; PCK certificate ("Intel SGX PCK Certificate") issued
///    by that CA's exact subject, signed by its key, current; PCK CRL by the same issuer, signed
///    by its key, current, not listing the PCK certificate; its SGX extension read (FMSPC,
///    PCE-ID, 16 SGX TCB component SVNs, PCESVN).
/// 4. QE report signed by the PCK key; QE report data = SHA-256(attestation key ‖ QE
///    authentication data) ‖ 32 zero bytes; header ‖ TD report (632 bytes) signed by the
///    attestation key.
/// 5. TCB signing certificate ("Intel SGX TCB Signing") signed by the root key, current, not on
///    the root CA CRL.
/// 6. TDX TCB info (id TDX, version 3, tcbType 0; `IntelTdxTcbInfo`) signed by the TCB signing
///    key; tcbEvaluationDataNumber at least `MIN_TCB_EVALUATION_DATA_NUMBER`; current; FMSPC and
///    PCE-ID equal the PCK certificate's; then, as Intel's QVL (TcbLevelCheck.cpp, steps
///    4.1.2.5.18; QuoteVerifier.cpp, 4.1.2.5.12) and dcap-qvl 0.7.1 evaluate a TD report:
///    a. the first TCB level (in QVL's order, from the highest TCB down, which the TCB info
///       must already list them in, else `TcbLevelsOutOfOrder`) that the PCK certificate's SGX
///       component SVNs and PCESVN and the TD report's TEE_TCB_SVN all reach gives the
///       platform's level (`TcbLevelNotFound` if none); when TEE_TCB_SVN[1] (the TDX module's
///       major version) is not zero, TEE_TCB_SVN[0..1] are left to the module identity;
///    b. the TDX module's identity: `tdxModule` if TEE_TCB_SVN[1] is 0, else the
///       `tdxModuleIdentities` entry `TDX_%02X` of TEE_TCB_SVN[1] (`TdxModuleIdentityNotFound`
///       if absent); the TD report's MRSIGNERSEAM must equal its mrsigner, and SEAMATTRIBUTES its
///       attributes under its mask with no bit set outside the mask (dcap-qvl) and none at all
///       (Intel QVL 4.1.2.5.12.2: a production module has zero SEAMATTRIBUTES), else
///       `TdxModuleMismatch`;
///    c. for TEE_TCB_SVN[1] > 0, the identity's first TCB level with isvsvn at most
///       TEE_TCB_SVN[0] (`TdxModuleTcbLevelNotFound` if none) gives the module's status;
///    d. the level's status must be in `ACCEPTED_TCB_STATUSES`, the module's too
///       (`TdxModuleTcbStatusNotAccepted`), and so must the two converged as Intel's QVL does
///       (`convergeTcbStatusWithTdxModuleStatus`: a module OutOfDate makes UpToDate and
///       SWHardeningNeeded OutOfDate, and the configuration statuses OutOfDateConfigurationNeeded;
///       Revoked makes Revoked). The converged status is the platform status `check` returns.
/// 7. TD QE identity (id TD_QE, version 2) signed by the TCB signing key; tcbEvaluationDataNumber
///    at least the minimum; current; the QE report's MRSIGNER and ISVPRODID equal it, MISCSELECT
///    and ATTRIBUTES equal it under its masks; the first level the QE's ISVSVN reaches gives the
///    QE's status, which must be in `ACCEPTED_TCB_STATUSES` too (stricter than Intel's QVL,
///    which only folds an OutOfDate or Revoked QE into one status).
/// 8. The TD: TDATTRIBUTES.TUD (byte 0) all zero, else `DebugTrustDomain` (a TD under debug is
///    readable by the host); the other TDATTRIBUTES as dcap-qvl 0.7.1 `validate_attrs` requires
///    (so lsv's Rust verifier, which appraises through dcap-qvl, refuses the same TDs; Intel TDX
///    Module ABI Specification 348551-008US, Table 3.23): no reserved bit, not MIGRATABLE
///    (bit 29: a migration TD the host chooses could export the TD's memory), not SERVTD_EXT
///    (bit 17, service TDs; never in a TD 1.0 report), SEPT_VE_DISABLE set (bit 28), else
///    `TdAttributesNotAccepted`; SHA-256 of MRTD ‖ MRCONFIGID ‖ MROWNER ‖ MROWNERCONFIG ‖ RTMR0
///    ‖ RTMR1 ‖ RTMR2 ‖ RTMR3 (the TD report's 384 bytes at offsets 136..520) = `TD_MEASUREMENT`;
///    REPORTDATA[0:32] = `binding`, REPORTDATA[32:64] all zero.
/// Not checked on-chain, and why that is sound:
/// - The PEM chain inside the certification data (type 5) is not read: it is unsigned, and the
///    same certificates come DER-encoded in `evidence` and are authenticated from the root key.
/// - The root certificate is not parsed (its key is the constant); advisoryIDs and tcbDate are
///    not read (the policy is the tcbStatus Intel assigns); the QE authentication data may have
///    any length (dcap-qvl wants 32 bytes): whatever it is, the PCK-signed QE report commits to it.
/// - MRSEAM and XFAM are not compared: the TDX module is identified by Intel's signer
///    (MRSIGNERSEAM) and rated by its SVNs in TEE_TCB_SVN, as Intel's QVL does; XFAM (the
///    extended CPU features the TD may use) is outside the measurement and not a confidentiality
///    boundary. TD report 1.5 (quote v5) is refused at its version: its TEE_TCB_SVN2 and
///    MRSERVICETD would need Intel's relaunch rules, which this verifier does not implement.
/// - Intel's JSON and DER are read strictly (see the libraries): a future collateral format
///    (or TCB levels in another order than Intel serves them) is refused (fail closed, a
///    liveness and not a safety risk) and needs a new deployment.
contract DcapTdxAttestationVerifier is DcapQuoteVerifier {
    /// @notice No `tdxModuleIdentities` entry `TDX_%02X` for the TD's TDX module version
    /// (TEE_TCB_SVN[1]).
    error TdxModuleIdentityNotFound(uint256 moduleVersion);
    /// @notice The TD report's MRSIGNERSEAM or SEAMATTRIBUTES differ from Intel's TDX module
    /// identity (Intel QVL: STATUS_TDX_MODULE_MISMATCH).
    error TdxModuleMismatch();
    /// @notice No TCB level of the TDX module identity is at or below the module's ISVSVN
    /// (TEE_TCB_SVN[0]).
    error TdxModuleTcbLevelNotFound(uint256 moduleIsvSvn);
    /// @notice The TDX module's TCB status is not accepted.
    error TdxModuleTcbStatusNotAccepted(TcbStatus status);
    /// @notice The TD is under debug (TDATTRIBUTES.TUD not zero): the host can read its memory.
    error DebugTrustDomain();
    /// @notice TDATTRIBUTES (as in the report, little-endian) set a reserved bit, MIGRATABLE or
    /// SERVTD_EXT, or clear SEPT_VE_DISABLE.
    error TdAttributesNotAccepted(bytes8 tdAttributes);
    /// @notice SHA-256 of the TD's measurement registers is not the accepted `TD_MEASUREMENT`.
    error TdMeasurementMismatch(bytes32 measurement);
    /// @notice Deployment with a zero TD measurement.
    error ZeroTdMeasurement();

    /// @notice The accepted TD: SHA-256 over the TD report's MRTD ‖ MRCONFIGID ‖ MROWNER ‖
    /// MROWNERCONFIG ‖ RTMR0 ‖ RTMR1 ‖ RTMR2 ‖ RTMR3 (384 contiguous bytes at report offsets
    /// 136..520): the TD's firmware, its launch configuration, and the boot chain (kernel,
    /// command line, initrd with P) measured into the RTMRs. `lsv_attestation::dcap::td_measurement`
    /// and `lsv_contracts::dcap::TdReport::measurement` compute the same value.
    bytes32 public immutable TD_MEASUREMENT;

    /// @dev TEE type of a TD quote (quote header `TEE Type`: 0x00000081 TDX).
    uint256 private constant TEE_TDX = 0x81;
    /// @dev Certification data type 6: QE Report Certification Data (A.3.9).
    uint256 private constant CERT_DATA_QE_REPORT = 6;

    // Quote v4 layout (A.3): header 48, TD report 584, signature data length (u32), then the
    // signature data: quote signature (64), attestation key (64), certification data (u16 type
    // 6, u32 size) holding the QE report (384), its signature (64), the QE authentication data
    // (u16 length + data) and certification data (u16 type 5, u32 size, PEM).
    uint256 private constant TD_REPORT_LEN = 584;
    uint256 private constant SIGNED_LEN = HEADER_LEN + TD_REPORT_LEN; // 632
    uint256 private constant SIG_DATA = SIGNED_LEN + 4; // 636
    uint256 private constant CERT_DATA = SIG_DATA + 64 + 64; // 764
    uint256 private constant QE_REPORT = CERT_DATA + 6; // 770
    uint256 private constant QE_AUTH = QE_REPORT + REPORT_LEN + 64; // 1218

    // TD report 1.0 (A.3.2 "TD Quote Body"): offsets of its fields.
    uint256 private constant TD_TEE_TCB_SVN = 0; // 16 bytes
    uint256 private constant TD_MRSIGNERSEAM = 64; // 48 bytes (MRSEAM at 16 is not read)
    uint256 private constant TD_SEAMATTRIBUTES = 112; // 8 bytes
    uint256 private constant TD_TDATTRIBUTES = 120; // 8 bytes (XFAM at 128 is not read)
    uint256 private constant TD_MRTD = 136; // MRTD ... RTMR3: 8 × 48 bytes
    uint256 private constant TD_REPORTDATA = 520; // 64 bytes

    // TDATTRIBUTES as a little-endian 64-bit value (Intel TDX Module ABI Specification
    // 348551-008US, Table 3.23 "TD Attributes"; dcap-qvl 0.7.1 `TDAttributes`).
    /// @dev Bits 7:0, TUD: any set means the TD is under debug (bit 0 DEBUG, bits 6:4 profiling
    /// and the rest reserved).
    uint64 private constant TUD = 0xff;
    /// @dev Bit 17 SERVTD_EXT, bit 28 SEPT_VE_DISABLE, bit 29 MIGRATABLE.
    uint64 private constant SERVTD_EXT = 1 << 17;
    uint64 private constant SEPT_VE_DISABLE = 1 << 28;
    uint64 private constant MIGRATABLE = 1 << 29;
    /// @dev Bits reserved (must be zero) in the TDX 1.5 ABI: 1–3, 7–15, 23–26, 32–61.
    uint64 private constant RESERVED = 0x0e | 0xff80 | (0x0f << 23) | (((uint64(1) << 30) - 1) << 32);

    /// @notice Deploys a verifier for one TD.
    /// @param tdMeasurement The accepted `TD_MEASUREMENT` (see there); not zero.
    /// @param acceptedTcbStatuses Bit `1 << uint8(status)` per accepted `TcbStatus` (platform,
    /// TDX module and QE alike); not empty, never `Revoked`.
    /// @param minTcbEvaluationDataNumber The lowest accepted tcbEvaluationDataNumber of the TCB
    /// info and of the QE identity; 0 accepts any.
    constructor(bytes32 tdMeasurement, uint256 acceptedTcbStatuses, uint256 minTcbEvaluationDataNumber)
        DcapQuoteVerifier(acceptedTcbStatuses, minTcbEvaluationDataNumber)
    {
        if (tdMeasurement == bytes32(0)) revert ZeroTdMeasurement();
        TD_MEASUREMENT = tdMeasurement;
    }

    function _check(bytes32 binding, Evidence memory ev)
        internal
        view
        override
        returns (TcbStatus tcbStatus, TcbStatus qeTcbStatus)
    {
        bytes memory q = ev.quote;
        _checkQuoteLayout(q);

        X509.Crl memory rootCrl = _rootCaCrl(ev.rootCaCrl);
        (X509.Certificate memory pck, X509.SgxTcb memory platform) = _pckChain(ev, rootCrl);
        _quoteSignatures(q, SIGNED_LEN, QE_REPORT, Item.TdReport, pck.keyX, pck.keyY);
        (uint256 signerX, uint256 signerY) = _tcbSigningKey(ev, rootCrl);

        tcbStatus = _platformStatus(ev, platform, signerX, signerY);
        qeTcbStatus = _qeStatus(ev, QE_REPORT, true, signerX, signerY);
        _tdPolicy(q, binding);
    }

    // ---- 1. quote ------------------------------------------------------------------------------

    function _checkQuoteLayout(bytes memory q) private pure {
        _checkQuoteHeader(q, QE_AUTH + 2, 4, TEE_TDX);
        // The signature data ends where its length says, inside the quote; what follows is zero.
        uint256 end = SIG_DATA + _le(q, SIGNED_LEN, 4);
        if (end < QE_AUTH + 2 || end > q.length) revert QuoteMalformed(SIGNED_LEN);
        for (uint256 i = end; i < q.length; ++i) {
            if (Der.byteAt(q, i) != 0) revert QuoteMalformed(i);
        }
        uint256 certType = _le(q, CERT_DATA, 2);
        if (certType != CERT_DATA_QE_REPORT) revert CertificationDataTypeUnsupported(certType);
        if (_le(q, CERT_DATA + 2, 4) != end - QE_REPORT) revert QuoteMalformed(CERT_DATA + 2);
        uint256 pckChainAt = QE_AUTH + 2 + _le(q, QE_AUTH, 2);
        if (pckChainAt + 6 > end) revert QuoteMalformed(QE_AUTH);
        certType = _le(q, pckChainAt, 2);
        if (certType != CERT_DATA_PCK_CHAIN) revert CertificationDataTypeUnsupported(certType);
        if (_le(q, pckChainAt + 2, 4) != end - pckChainAt - 6) revert QuoteMalformed(pckChainAt + 2);
    }

    // ---- 6. TCB info and the TDX module --------------------------------------------------------

    function _platformStatus(Evidence memory ev, X509.SgxTcb memory platform, uint256 x, uint256 y)
        private
        view
        returns (TcbStatus)
    {
        _signedJson(Item.TcbInfo, ev.tcbInfo, ev.tcbInfoSignature, x, y);
        bytes memory q = ev.quote;
        bytes16 teeTcbSvn = bytes16(bytes32(Der.word(q, HEADER_LEN + TD_TEE_TCB_SVN)));
        IntelTdxTcbInfo.TdxTcbInfo memory info =
            IntelTdxTcbInfo.parse(ev.tcbInfo, platform.compSvn, platform.pceSvn, teeTcbSvn);
        _tcbInfoApplies(info.tcbEvaluationDataNumber, info.issueDate, info.nextUpdate, info.fmspc, info.pceId, platform);
        if (!info.levelFound) revert TcbLevelNotFound();
        if (!info.moduleIdentityFound) revert TdxModuleIdentityNotFound(uint8(teeTcbSvn[1]));
        _moduleSigner(q, info);
        if (!info.moduleLevelFound) revert TdxModuleTcbLevelNotFound(uint8(teeTcbSvn[0]));
        if (!_accepted(info.status)) revert TcbStatusNotAccepted(info.status);
        if (!_accepted(info.moduleStatus)) revert TdxModuleTcbStatusNotAccepted(info.moduleStatus);
        TcbStatus converged = _converge(info.status, info.moduleStatus);
        if (!_accepted(converged)) revert TcbStatusNotAccepted(converged);
        return converged;
    }

    /// @dev MRSIGNERSEAM = the identity's mrsigner; SEAMATTRIBUTES equal its attributes under its
    /// mask (dcap-qvl), and zero (Intel QVL 4.1.2.5.12.2, which also makes bits outside the mask
    /// zero as dcap-qvl requires).
    function _moduleSigner(bytes memory q, IntelTdxTcbInfo.TdxTcbInfo memory info) private pure {
        uint256 signer = HEADER_LEN + TD_MRSIGNERSEAM;
        bytes8 seamAttributes = bytes8(bytes32(Der.word(q, HEADER_LEN + TD_SEAMATTRIBUTES)));
        if (
            bytes32(Der.word(q, signer)) != info.moduleMrsignerHigh
                || bytes16(bytes32(Der.word(q, signer + 32))) != info.moduleMrsignerLow
                || seamAttributes & info.moduleAttributesMask != info.moduleAttributes & info.moduleAttributesMask
                || seamAttributes != 0
        ) revert TdxModuleMismatch();
    }

    /// @dev Intel QVL `convergeTcbStatusWithTdxModuleStatus` (dcap-qvl
    /// `TcbStatus::converge_with_component`): only an OutOfDate or Revoked module changes the
    /// platform level's status.
    function _converge(TcbStatus level, TcbStatus module) private pure returns (TcbStatus) {
        if (module == TcbStatus.Revoked) return TcbStatus.Revoked;
        if (module == TcbStatus.OutOfDate) {
            if (level == TcbStatus.UpToDate || level == TcbStatus.SWHardeningNeeded) return TcbStatus.OutOfDate;
            if (level == TcbStatus.ConfigurationNeeded || level == TcbStatus.ConfigurationAndSWHardeningNeeded) {
                return TcbStatus.OutOfDateConfigurationNeeded;
            }
        }
        return level;
    }

    // ---- 8. the TD -----------------------------------------------------------------------------

    function _tdPolicy(bytes memory q, bytes32 binding) private view {
        uint256 report = HEADER_LEN;
        // An 8-byte little-endian value: the narrowing to 64 bits loses nothing.
        uint64 attributes = uint64(_le(q, report + TD_TDATTRIBUTES, 8));
        if (attributes & TUD != 0) revert DebugTrustDomain();
        if (
            attributes & (RESERVED | MIGRATABLE | SERVTD_EXT) != 0 || attributes & SEPT_VE_DISABLE == 0
        ) revert TdAttributesNotAccepted(bytes8(bytes32(Der.word(q, report + TD_TDATTRIBUTES))));
        bytes32 measurement = Der.sha256Of(q, report + TD_MRTD, report + TD_REPORTDATA);
        if (measurement != TD_MEASUREMENT) revert TdMeasurementMismatch(measurement);
        _reportDataBinds(q, report + TD_REPORTDATA, binding);
    }
}
