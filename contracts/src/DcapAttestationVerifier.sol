// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

import {DcapQuoteVerifier} from "./dcap/DcapQuoteVerifier.sol";
import {Der} from "./lib/Der.sol";
import {X509} from "./lib/X509.sol";
import {IntelCollateralJson, TcbStatus} from "./lib/IntelCollateralJson.sol";

/// @title DcapAttestationVerifier
/// @notice Verifies, on-chain and against Intel's SGX root key alone, that an Intel SGX DCAP
/// quote (ECDSA, version 3) comes from an enclave running lsv's signer P, on a platform whose TCB
/// Intel rates acceptably, and that it binds a given key generation. No owner, no setters, no
/// store: Intel's root key is a constant, the enclave and collateral policy is fixed at
/// deployment, and the caller supplies the quote with all of its collateral in `evidence`, every
/// byte of which that is read is authenticated back to the root key here.
/// @dev Steps 2 to 5 and 7, the evidence layout, the errors they raise and `check` /
/// `verifyKeyGeneration` are `DcapQuoteVerifier`'s, shared with the TDX verifier
/// (`DcapTdxAttestationVerifier`); this contract adds the v3 quote layout, the SGX TCB info and
/// the enclave policy. Checked on-chain, in this order (each failure reverts `check` with a
/// named error):
/// 1. Quote header (Intel SGX ECDSA Quote Library API, Appendix A "Quote Format", v3): version
///    3, attestation key type 2 (ECDSA-256 with P-256), TEE type 0 (SGX), Intel's QE vendor id;
///    the signature data exactly as long as declared; certification data of type 5.
/// 2. Root CA CRL signed by the root key and current (thisUpdate <= now <= nextUpdate).
/// 3. PCK CA certificate (commonName "Intel SGX PCK Platform CA" or "... Processor CA") signed
///    by the root key, inside its validity, not on the root CA CRL; PCK certificate (commonName
///    "Intel SGX PCK Certificate") naming that CA's exact subject as issuer, signed by the CA's
///    key, inside its validity; PCK CRL naming the same issuer, signed by the CA's key, current,
///    not listing the PCK certificate; the PCK certificate's SGX extension read (FMSPC, PCE-ID,
///    16 TCB component SVNs, PCESVN).
/// 4. QE report signed by the PCK key; QE report data = SHA-256(attestation key ‖ QE
///    authentication data) ‖ 32 zero bytes; header ‖ ISV enclave report signed by the
///    attestation key.
/// 5. TCB signing certificate (commonName "Intel SGX TCB Signing") signed by the root key,
///    inside its validity, not on the root CA CRL.
/// 6. TCB info (id SGX, version 3, tcbType 0) signed by the TCB signing key; its
///    tcbEvaluationDataNumber at least `MIN_TCB_EVALUATION_DATA_NUMBER`; current
///    (issueDate <= now <= nextUpdate); FMSPC and PCE-ID equal the PCK certificate's; the first
///    TCB level that the certificate's 16 component SVNs and PCESVN all reach gives the
///    platform's status, which must be in `ACCEPTED_TCB_STATUSES`.
/// 7. QE identity (id QE, version 2) signed by the TCB signing key; its
///    tcbEvaluationDataNumber at least `MIN_TCB_EVALUATION_DATA_NUMBER`; current; the QE report's
///    MRSIGNER and ISVPRODID equal it, MISCSELECT and ATTRIBUTES equal it under its masks; the
///    first level the QE's ISVSVN reaches gives the QE's status, which must also be in
///    `ACCEPTED_TCB_STATUSES` (stricter than Intel's QVL, which folds it into one status).
/// 8. The enclave: DEBUG attribute clear, MRENCLAVE = `MR_ENCLAVE`, ISVSVN >= `MIN_ISV_SVN`,
///    report_data[0:32] = `binding`, report_data[32:64] all zero (reserved: P writes zeros, so
///    each key generation has exactly one accepted report_data).
/// Not checked on-chain, and why that is sound:
/// - The quote's own certification data (the PEM chain after the QE authentication data) is
///    not read: it is unsigned, and the same certificates come DER-encoded in `evidence` and
///    are authenticated from the root key, so changing those bytes changes nothing accepted.
/// - The root certificate is not parsed: its key is the constant below (Intel's root
///    certificate is valid until 2049-12-31; a new root needs a new verifier).
/// - advisoryIDs and tcbDate are not read: the policy is the tcbStatus Intel assigns.
/// - Intel's JSON and DER are read strictly (see the libraries): a future collateral format
///    is refused (fail closed, a liveness and not a safety risk) and needs a new deployment.
contract DcapAttestationVerifier is DcapQuoteVerifier {
    /// @notice The enclave runs in debug mode (its memory is readable by the host).
    error DebugEnclave();
    /// @notice The enclave is not the accepted program.
    error MrEnclaveMismatch(bytes32 mrEnclave);
    /// @notice The enclave's ISVSVN is below the minimum.
    error IsvSvnTooLow(uint256 isvSvn);
    /// @notice Deployment with a zero MRENCLAVE.
    error ZeroMrEnclave();

    /// @notice The MRENCLAVE of the accepted build of P.
    bytes32 public immutable MR_ENCLAVE;
    /// @notice The lowest accepted enclave ISVSVN.
    uint16 public immutable MIN_ISV_SVN;

    // Quote v3 layout (Intel SGX ECDSA Quote Library API, Appendix A): header 48 bytes, ISV
    // enclave report 384, signature data length (u32), then the ECDSA signature data: ISV report
    // signature (64), attestation key (64), QE report (384), QE report signature (64), QE
    // authentication data (u16 length + data), certification data (u16 type, u32 size, data).
    uint256 private constant SIGNED_LEN = HEADER_LEN + REPORT_LEN; // 432
    uint256 private constant ISV_SIG = SIGNED_LEN + 4; // 436
    uint256 private constant QE_REPORT = ISV_SIG + 64 + 64; // 564
    uint256 private constant QE_AUTH = QE_REPORT + REPORT_LEN + 64; // 1012
    /// @dev SGX ATTRIBUTES.FLAGS bit 1: DEBUG (Intel SDM Vol. 3D, "SECS", ATTRIBUTES).
    uint256 private constant FLAG_DEBUG = 0x02;

    /// @notice Deploys a verifier for one enclave build.
    /// @param mrEnclave The MRENCLAVE of P's build; not zero.
    /// @param minIsvSvn The lowest accepted ISVSVN.
    /// @param acceptedTcbStatuses Bit `1 << uint8(status)` per accepted `TcbStatus`; not empty,
    /// never `Revoked`.
    /// @param minTcbEvaluationDataNumber The lowest accepted tcbEvaluationDataNumber of the TCB
    /// info and of the QE identity; 0 accepts any.
    constructor(
        bytes32 mrEnclave,
        uint16 minIsvSvn,
        uint256 acceptedTcbStatuses,
        uint256 minTcbEvaluationDataNumber
    ) DcapQuoteVerifier(acceptedTcbStatuses, minTcbEvaluationDataNumber) {
        if (mrEnclave == bytes32(0)) revert ZeroMrEnclave();
        MR_ENCLAVE = mrEnclave;
        MIN_ISV_SVN = minIsvSvn;
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
        _quoteSignatures(q, SIGNED_LEN, QE_REPORT, Item.EnclaveReport, pck.keyX, pck.keyY);
        (uint256 signerX, uint256 signerY) = _tcbSigningKey(ev, rootCrl);

        tcbStatus = _platformStatus(ev, platform, signerX, signerY);
        qeTcbStatus = _qeStatus(ev, QE_REPORT, false, signerX, signerY);
        _enclavePolicy(q, binding);
    }

    // ---- 1. quote ------------------------------------------------------------------------------

    function _checkQuoteLayout(bytes memory q) private pure {
        _checkQuoteHeader(q, QE_AUTH + 2, 3, 0);
        if (_le(q, SIGNED_LEN, 4) != q.length - ISV_SIG) revert QuoteMalformed(SIGNED_LEN);
        uint256 certAt = QE_AUTH + 2 + _le(q, QE_AUTH, 2);
        if (certAt + 6 > q.length) revert QuoteMalformed(QE_AUTH);
        uint256 certType = _le(q, certAt, 2);
        if (certType != CERT_DATA_PCK_CHAIN) revert CertificationDataTypeUnsupported(certType);
        if (_le(q, certAt + 2, 4) != q.length - certAt - 6) revert QuoteMalformed(certAt + 2);
    }

    // ---- 6. TCB info ---------------------------------------------------------------------------

    function _platformStatus(Evidence memory ev, X509.SgxTcb memory platform, uint256 x, uint256 y)
        private
        view
        returns (TcbStatus)
    {
        _signedJson(Item.TcbInfo, ev.tcbInfo, ev.tcbInfoSignature, x, y);
        IntelCollateralJson.TcbInfo memory info =
            IntelCollateralJson.parseTcbInfo(ev.tcbInfo, platform.compSvn, platform.pceSvn);
        _tcbInfoApplies(info.tcbEvaluationDataNumber, info.issueDate, info.nextUpdate, info.fmspc, info.pceId, platform);
        if (!info.levelFound) revert TcbLevelNotFound();
        if (!_accepted(info.status)) revert TcbStatusNotAccepted(info.status);
        return info.status;
    }

    // ---- 8. the enclave ------------------------------------------------------------------------

    function _enclavePolicy(bytes memory q, bytes32 binding) private view {
        uint256 report = HEADER_LEN;
        if (Der.byteAt(q, report + R_ATTRIBUTES) & FLAG_DEBUG != 0) revert DebugEnclave();
        bytes32 mrEnclave = bytes32(Der.word(q, report + R_MRENCLAVE));
        if (mrEnclave != MR_ENCLAVE) revert MrEnclaveMismatch(mrEnclave);
        uint256 isvSvn = _le(q, report + R_ISVSVN, 2);
        if (isvSvn < MIN_ISV_SVN) revert IsvSvnTooLow(isvSvn);
        _reportDataBinds(q, report + R_REPORT_DATA, binding);
    }
}
