// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

import {IAttestationVerifier} from "./interfaces/IAttestationVerifier.sol";
import {Der} from "./lib/Der.sol";
import {X509} from "./lib/X509.sol";
import {P256} from "./lib/P256.sol";
import {IntelCollateralJson, TcbStatus} from "./lib/IntelCollateralJson.sol";

/// @title DcapAttestationVerifier
/// @notice Verifies, on-chain and against Intel's SGX root key alone, that an Intel SGX DCAP
/// quote (ECDSA, version 3) comes from an enclave running lsv's signer P, on a platform whose TCB
/// Intel rates acceptably, and that it binds a given key generation. No owner, no setters, no
/// store: Intel's root key is a constant, the enclave and collateral policy is fixed at
/// deployment, and the caller supplies the quote with all of its collateral in `evidence`, every
/// byte of which that is read is authenticated back to the root key here.
/// @dev Checked on-chain, in this order (each failure reverts `check` with a named error):
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
contract DcapAttestationVerifier is IAttestationVerifier {
    /// @notice The pieces of `evidence`, for errors that say which one failed.
    enum Item {
        PckCert,
        PckCaCert,
        TcbSigningCert,
        PckCrl,
        RootCaCrl,
        TcbInfo,
        QeIdentity,
        QeReport,
        EnclaveReport
    }

    /// @notice The ABI layout of `evidence`: `abi.encode(Evidence)`.
    /// @dev Certificates and CRLs are DER; `tcbInfo` and `qeIdentity` are the exact JSON text
    /// Intel signed (the `tcbInfo` / `enclaveIdentity` object of the PCS response); signatures
    /// are 64 bytes `r ‖ s`. The Intel SGX Root CA certificate is not included.
    struct Evidence {
        bytes quote;
        bytes pckCert;
        bytes pckCaCert;
        bytes pckCrl;
        bytes rootCaCrl;
        bytes tcbSigningCert;
        bytes tcbInfo;
        bytes tcbInfoSignature;
        bytes qeIdentity;
        bytes qeIdentitySignature;
    }

    /// @notice The quote is too short or its lengths disagree (at byte `offset`).
    error QuoteMalformed(uint256 offset);
    /// @notice The quote is not version 3.
    error QuoteVersionUnsupported(uint256 version);
    /// @notice The attestation key is not ECDSA-256 with P-256 (type 2).
    error AttestationKeyTypeUnsupported(uint256 keyType);
    /// @notice The quote is not from an SGX enclave (TEE type 0).
    error TeeTypeUnsupported(uint256 teeType);
    /// @notice The quoting enclave is not Intel's.
    error QeVendorUnknown(bytes16 vendorId);
    /// @notice The quote's certification data is not a PCK certificate chain (type 5).
    error CertificationDataTypeUnsupported(uint256 certType);
    /// @notice A certificate's subject commonName is not the one its place in the chain needs.
    error CertificateRoleUnexpected(Item item);
    /// @notice A certificate or CRL names another issuer than the certificate that signs it.
    error IssuerMismatch(Item item);
    /// @notice A signature does not verify (or a JSON signature is not 64 bytes).
    error SignatureInvalid(Item item);
    /// @notice A certificate is listed by its issuer's CRL.
    error CertificateRevoked(Item item, uint256 serial);
    /// @notice A certificate, CRL or JSON is not valid yet at `time` (block timestamp).
    error NotYetValid(Item item, uint256 validFrom, uint256 time);
    /// @notice A certificate, CRL or JSON is no longer valid at `time`.
    error Expired(Item item, uint256 validUntil, uint256 time);
    /// @notice The QE report does not commit to the attestation key and QE authentication data.
    error QeReportDataMismatch();
    /// @notice The QE's MRSIGNER, ISVPRODID, MISCSELECT or ATTRIBUTES differ from Intel's QE identity.
    error QeIdentityMismatch();
    /// @notice No QE identity TCB level is at or below the QE's ISVSVN.
    error QeTcbLevelNotFound(uint256 qeIsvSvn);
    /// @notice The QE's TCB status is not accepted.
    error QeTcbStatusNotAccepted(TcbStatus status);
    /// @notice The TCB info is for another platform model than the PCK certificate's.
    error FmspcMismatch(bytes6 pck, bytes6 tcbInfo);
    /// @notice The TCB info is for another PCE than the PCK certificate's.
    error PceIdMismatch(bytes2 pck, bytes2 tcbInfo);
    /// @notice No TCB level is at or below the platform's TCB (Intel: "TCB level not supported").
    error TcbLevelNotFound();
    /// @notice The platform's TCB status is not accepted.
    error TcbStatusNotAccepted(TcbStatus status);
    /// @notice The TCB info or QE identity (`item`) predates the minimum TCB evaluation: its
    /// tcbEvaluationDataNumber `found` is below `MIN_TCB_EVALUATION_DATA_NUMBER` (`minimum`).
    error TcbEvaluationDataNumberTooLow(Item item, uint256 found, uint256 minimum);
    /// @notice The enclave runs in debug mode (its memory is readable by the host).
    error DebugEnclave();
    /// @notice The enclave is not the accepted program.
    error MrEnclaveMismatch(bytes32 mrEnclave);
    /// @notice The enclave's ISVSVN is below the minimum.
    error IsvSvnTooLow(uint256 isvSvn);
    /// @notice report_data[0:32] is not the binding.
    error ReportDataMismatch(bytes32 reportData);
    /// @notice report_data[32:64] is not all zero.
    error ReportDataUpperHalfNotZero();
    /// @notice Deployment with a zero MRENCLAVE.
    error ZeroMrEnclave();
    /// @notice Deployment with a TCB status mask that admits nothing, or Revoked, or unknown bits.
    error AcceptedTcbStatusesInvalid(uint256 mask);

    /// @notice Intel SGX Root CA public key (P-256), the trust anchor: the key of the self-signed
    /// "Intel SGX Root CA" certificate (serial 22650CD65A9D3489F383B49552BF501B392706AC, valid
    /// 2018-05-21 to 2049-12-31), published by Intel at
    /// certificates.trustedservices.intel.com/Intel_SGX_Provisioning_Certification_RootCA.pem
    /// and the last certificate of every issuer chain in the PCS collateral ("Intel SGX PCK
    /// Certificate and CRL Profile Specification", §1.1 "Intel SGX PKI").
    uint256 public constant INTEL_ROOT_KEY_X = 0x0ba9c4c0c0c86193a3fe23d6b02cda10a8bbd4e88e48b4458561a36e705525f5;
    /// @notice The y coordinate of the Intel SGX Root CA key.
    uint256 public constant INTEL_ROOT_KEY_Y = 0x67918e2edc88e40d860bd0cc4ee26aacc988e505a953558c453f6b0904ae7394;
    /// @notice Intel's QE vendor id (Intel SGX ECDSA Quote Library API, quote header
    /// `QE_VENDOR_ID`: 939A7233-F79C-4CA9-940A-0DB3957F0607).
    bytes16 public constant INTEL_QE_VENDOR_ID = 0x939a7233f79c4ca9940a0db3957f0607;

    /// @notice The MRENCLAVE of the accepted build of P.
    bytes32 public immutable MR_ENCLAVE;
    /// @notice The lowest accepted enclave ISVSVN.
    uint16 public immutable MIN_ISV_SVN;
    /// @notice Accepted TCB statuses (platform and QE), bit `1 << uint8(TcbStatus)`.
    uint256 public immutable ACCEPTED_TCB_STATUSES;
    /// @notice The lowest accepted tcbEvaluationDataNumber of the TCB info and of the QE
    /// identity (0: any).
    /// @dev Intel raises the number with each TCB recovery; collateral issued before it stays
    /// current until its own nextUpdate (~30 days after issue) and still rates platforms by the
    /// older evaluation (e.g. UpToDate where the recovery says OutOfDate). Requiring the
    /// post-recovery number refuses that collateral at once instead of when it expires. Fixed at
    /// deployment like the rest of the policy: enforcing a later recovery early needs a new
    /// verifier (without one, it applies once the older collateral expires).
    uint256 public immutable MIN_TCB_EVALUATION_DATA_NUMBER;

    bytes32 private constant CN_PCK_CERT = keccak256("Intel SGX PCK Certificate");
    bytes32 private constant CN_PLATFORM_CA = keccak256("Intel SGX PCK Platform CA");
    bytes32 private constant CN_PROCESSOR_CA = keccak256("Intel SGX PCK Processor CA");
    bytes32 private constant CN_TCB_SIGNING = keccak256("Intel SGX TCB Signing");

    // Quote v3 layout (Intel SGX ECDSA Quote Library API, Appendix A): header 48 bytes, ISV
    // enclave report 384, signature data length (u32), then the ECDSA signature data: ISV report
    // signature (64), attestation key (64), QE report (384), QE report signature (64), QE
    // authentication data (u16 length + data), certification data (u16 type, u32 size, data).
    uint256 private constant HEADER_LEN = 48;
    uint256 private constant REPORT_LEN = 384;
    uint256 private constant SIGNED_LEN = HEADER_LEN + REPORT_LEN; // 432
    uint256 private constant ISV_SIG = SIGNED_LEN + 4; // 436
    uint256 private constant ATT_KEY = ISV_SIG + 64; // 500
    uint256 private constant QE_REPORT = ATT_KEY + 64; // 564
    uint256 private constant QE_SIG = QE_REPORT + REPORT_LEN; // 948
    uint256 private constant QE_AUTH = QE_SIG + 64; // 1012
    // Enclave report body (SGX `sgx_report_body_t`): offsets within a report.
    uint256 private constant R_MISCSELECT = 16;
    uint256 private constant R_ATTRIBUTES = 48;
    uint256 private constant R_MRENCLAVE = 64;
    uint256 private constant R_MRSIGNER = 128;
    uint256 private constant R_ISVPRODID = 256;
    uint256 private constant R_ISVSVN = 258;
    uint256 private constant R_REPORT_DATA = 320;
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
    ) {
        if (mrEnclave == bytes32(0)) revert ZeroMrEnclave();
        uint256 revoked = 1 << uint8(TcbStatus.Revoked);
        if (acceptedTcbStatuses == 0 || acceptedTcbStatuses >= revoked) {
            revert AcceptedTcbStatusesInvalid(acceptedTcbStatuses);
        }
        MR_ENCLAVE = mrEnclave;
        MIN_ISV_SVN = minIsvSvn;
        ACCEPTED_TCB_STATUSES = acceptedTcbStatuses;
        MIN_TCB_EVALUATION_DATA_NUMBER = minTcbEvaluationDataNumber;
    }

    /// @inheritdoc IAttestationVerifier
    /// @dev `evidence` is `abi.encode(Evidence)`. True exactly when `check` returns; false for
    /// anything `check` refuses (including evidence that does not ABI-decode).
    function verifyKeyGeneration(bytes32 binding, bytes calldata evidence) external view override returns (bool) {
        try this.check(binding, evidence) returns (TcbStatus, TcbStatus) {
            return true;
        } catch {
            return false;
        }
    }

    /// @notice Runs every check of `verifyKeyGeneration`, reverting with the error of the first
    /// that fails; for debugging evidence off-chain (`eth_call`).
    /// @dev Evidence that does not ABI-decode as `Evidence` reverts without data.
    /// @param binding The 32 bytes report_data must start with.
    /// @param evidence `abi.encode(Evidence)`.
    /// @return tcbStatus The platform's TCB status per Intel's TCB info.
    /// @return qeTcbStatus The quoting enclave's TCB status per Intel's QE identity.
    function check(bytes32 binding, bytes calldata evidence)
        external
        view
        returns (TcbStatus tcbStatus, TcbStatus qeTcbStatus)
    {
        Evidence memory ev = abi.decode(evidence, (Evidence));
        bytes memory q = ev.quote;
        _checkQuoteHeader(q);

        X509.Crl memory rootCrl = _rootCaCrl(ev.rootCaCrl);
        (X509.Certificate memory pck, X509.SgxTcb memory platform) = _pckChain(ev, rootCrl);
        _quoteSignatures(q, pck.keyX, pck.keyY);
        (uint256 signerX, uint256 signerY) = _tcbSigningKey(ev, rootCrl);

        tcbStatus = _platformStatus(ev, platform, signerX, signerY);
        qeTcbStatus = _qeStatus(ev, q, signerX, signerY);
        _enclavePolicy(q, binding);
    }

    // ---- 1. quote ------------------------------------------------------------------------------

    function _checkQuoteHeader(bytes memory q) private pure {
        if (q.length < QE_AUTH + 2) revert QuoteMalformed(q.length);
        uint256 version = _le(q, 0, 2);
        if (version != 3) revert QuoteVersionUnsupported(version);
        uint256 keyType = _le(q, 2, 2);
        if (keyType != 2) revert AttestationKeyTypeUnsupported(keyType);
        uint256 teeType = _le(q, 4, 4);
        if (teeType != 0) revert TeeTypeUnsupported(teeType);
        bytes16 vendor = bytes16(bytes32(Der.word(q, 12)));
        if (vendor != INTEL_QE_VENDOR_ID) revert QeVendorUnknown(vendor);
        if (_le(q, SIGNED_LEN, 4) != q.length - ISV_SIG) revert QuoteMalformed(SIGNED_LEN);
        uint256 certAt = QE_AUTH + 2 + _le(q, QE_AUTH, 2);
        if (certAt + 6 > q.length) revert QuoteMalformed(QE_AUTH);
        uint256 certType = _le(q, certAt, 2);
        if (certType != 5) revert CertificationDataTypeUnsupported(certType);
        if (_le(q, certAt + 2, 4) != q.length - certAt - 6) revert QuoteMalformed(certAt + 2);
    }

    // ---- 2, 3. certificates and CRLs -----------------------------------------------------------

    function _rootCaCrl(bytes memory der) private view returns (X509.Crl memory crl) {
        crl = X509.parseCrl(der);
        _signedBy(Item.RootCaCrl, crl.tbsDigest, crl.sigR, crl.sigS, INTEL_ROOT_KEY_X, INTEL_ROOT_KEY_Y);
        _within(Item.RootCaCrl, crl.thisUpdate, crl.nextUpdate);
    }

    function _pckChain(Evidence memory ev, X509.Crl memory rootCrl)
        private
        view
        returns (X509.Certificate memory pck, X509.SgxTcb memory platform)
    {
        X509.Certificate memory ca = X509.parseCertificate(ev.pckCaCert);
        if (ca.subjectCommonName != CN_PLATFORM_CA && ca.subjectCommonName != CN_PROCESSOR_CA) {
            revert CertificateRoleUnexpected(Item.PckCaCert);
        }
        _signedBy(Item.PckCaCert, ca.tbsDigest, ca.sigR, ca.sigS, INTEL_ROOT_KEY_X, INTEL_ROOT_KEY_Y);
        _within(Item.PckCaCert, ca.notBefore, ca.notAfter);
        if (X509.revokes(ev.rootCaCrl, rootCrl, ca.serial)) revert CertificateRevoked(Item.PckCaCert, ca.serial);

        pck = X509.parseCertificate(ev.pckCert);
        if (pck.subjectCommonName != CN_PCK_CERT) revert CertificateRoleUnexpected(Item.PckCert);
        if (pck.issuerHash != ca.subjectHash) revert IssuerMismatch(Item.PckCert);
        _signedBy(Item.PckCert, pck.tbsDigest, pck.sigR, pck.sigS, ca.keyX, ca.keyY);
        _within(Item.PckCert, pck.notBefore, pck.notAfter);

        X509.Crl memory pckCrl = X509.parseCrl(ev.pckCrl);
        if (pckCrl.issuerHash != ca.subjectHash) revert IssuerMismatch(Item.PckCrl);
        _signedBy(Item.PckCrl, pckCrl.tbsDigest, pckCrl.sigR, pckCrl.sigS, ca.keyX, ca.keyY);
        _within(Item.PckCrl, pckCrl.thisUpdate, pckCrl.nextUpdate);
        if (X509.revokes(ev.pckCrl, pckCrl, pck.serial)) revert CertificateRevoked(Item.PckCert, pck.serial);

        platform = X509.sgxTcb(ev.pckCert, pck);
    }

    function _tcbSigningKey(Evidence memory ev, X509.Crl memory rootCrl) private view returns (uint256, uint256) {
        X509.Certificate memory signer = X509.parseCertificate(ev.tcbSigningCert);
        if (signer.subjectCommonName != CN_TCB_SIGNING) revert CertificateRoleUnexpected(Item.TcbSigningCert);
        _signedBy(
            Item.TcbSigningCert, signer.tbsDigest, signer.sigR, signer.sigS, INTEL_ROOT_KEY_X, INTEL_ROOT_KEY_Y
        );
        _within(Item.TcbSigningCert, signer.notBefore, signer.notAfter);
        if (X509.revokes(ev.rootCaCrl, rootCrl, signer.serial)) {
            revert CertificateRevoked(Item.TcbSigningCert, signer.serial);
        }
        return (signer.keyX, signer.keyY);
    }

    // ---- 4. quote signatures -------------------------------------------------------------------

    function _quoteSignatures(bytes memory q, uint256 pckX, uint256 pckY) private view {
        // The QE report, signed by the PCK key.
        _signedBy(
            Item.QeReport, Der.sha256Of(q, QE_REPORT, QE_SIG), Der.word(q, QE_SIG), Der.word(q, QE_SIG + 32), pckX, pckY
        );
        // QE report data = SHA-256(attestation key ‖ QE authentication data) ‖ 0^32 (Quote
        // Library API, "QE Report": binds the attestation key to the PCK-certified QE).
        uint256 authLen = _le(q, QE_AUTH, 2);
        bytes memory keyAndAuth = new bytes(64 + authLen);
        (uint256 keyAt, uint256 authAt) = (ATT_KEY, QE_AUTH + 2);
        assembly ("memory-safe") {
            let src := add(q, 32)
            let dst := add(keyAndAuth, 32)
            mcopy(dst, add(src, keyAt), 64)
            mcopy(add(dst, 64), add(src, authAt), authLen)
        }
        uint256 reportData = QE_REPORT + R_REPORT_DATA;
        if (
            bytes32(Der.word(q, reportData)) != sha256(keyAndAuth) || Der.word(q, reportData + 32) != 0
        ) revert QeReportDataMismatch();
        // Header ‖ ISV enclave report, signed by the attestation key.
        _signedBy(
            Item.EnclaveReport,
            Der.sha256Of(q, 0, SIGNED_LEN),
            Der.word(q, ISV_SIG),
            Der.word(q, ISV_SIG + 32),
            Der.word(q, ATT_KEY),
            Der.word(q, ATT_KEY + 32)
        );
    }

    // ---- 5, 6, 7. TCB info and QE identity -----------------------------------------------------

    function _platformStatus(Evidence memory ev, X509.SgxTcb memory platform, uint256 x, uint256 y)
        private
        view
        returns (TcbStatus)
    {
        _signedJson(Item.TcbInfo, ev.tcbInfo, ev.tcbInfoSignature, x, y);
        IntelCollateralJson.TcbInfo memory info =
            IntelCollateralJson.parseTcbInfo(ev.tcbInfo, platform.compSvn, platform.pceSvn);
        _evaluatedSince(Item.TcbInfo, info.tcbEvaluationDataNumber);
        _within(Item.TcbInfo, info.issueDate, info.nextUpdate);
        if (info.fmspc != platform.fmspc) revert FmspcMismatch(platform.fmspc, info.fmspc);
        if (info.pceId != platform.pceId) revert PceIdMismatch(platform.pceId, info.pceId);
        if (!info.levelFound) revert TcbLevelNotFound();
        if (!_accepted(info.status)) revert TcbStatusNotAccepted(info.status);
        return info.status;
    }

    function _qeStatus(Evidence memory ev, bytes memory q, uint256 x, uint256 y) private view returns (TcbStatus) {
        _signedJson(Item.QeIdentity, ev.qeIdentity, ev.qeIdentitySignature, x, y);
        uint256 qeIsvSvn = _le(q, QE_REPORT + R_ISVSVN, 2);
        IntelCollateralJson.QeIdentity memory id = IntelCollateralJson.parseQeIdentity(ev.qeIdentity, qeIsvSvn);
        _evaluatedSince(Item.QeIdentity, id.tcbEvaluationDataNumber);
        _within(Item.QeIdentity, id.issueDate, id.nextUpdate);
        bytes4 misc = bytes4(bytes32(Der.word(q, QE_REPORT + R_MISCSELECT)));
        bytes16 attributes = bytes16(bytes32(Der.word(q, QE_REPORT + R_ATTRIBUTES)));
        if (
            bytes32(Der.word(q, QE_REPORT + R_MRSIGNER)) != id.mrsigner
                || _le(q, QE_REPORT + R_ISVPRODID, 2) != id.isvProdId
                || misc & id.miscselectMask != id.miscselect & id.miscselectMask
                || attributes & id.attributesMask != id.attributes & id.attributesMask
        ) revert QeIdentityMismatch();
        if (!id.levelFound) revert QeTcbLevelNotFound(qeIsvSvn);
        if (!_accepted(id.status)) revert QeTcbStatusNotAccepted(id.status);
        return id.status;
    }

    // ---- 8. the enclave ------------------------------------------------------------------------

    function _enclavePolicy(bytes memory q, bytes32 binding) private view {
        uint256 report = HEADER_LEN;
        if (Der.byteAt(q, report + R_ATTRIBUTES) & FLAG_DEBUG != 0) revert DebugEnclave();
        bytes32 mrEnclave = bytes32(Der.word(q, report + R_MRENCLAVE));
        if (mrEnclave != MR_ENCLAVE) revert MrEnclaveMismatch(mrEnclave);
        uint256 isvSvn = _le(q, report + R_ISVSVN, 2);
        if (isvSvn < MIN_ISV_SVN) revert IsvSvnTooLow(isvSvn);
        bytes32 reportData = bytes32(Der.word(q, report + R_REPORT_DATA));
        if (reportData != binding) revert ReportDataMismatch(reportData);
        if (Der.word(q, report + R_REPORT_DATA + 32) != 0) revert ReportDataUpperHalfNotZero();
    }

    // ---- helpers -------------------------------------------------------------------------------

    function _signedBy(Item item, bytes32 digest, uint256 r, uint256 s, uint256 x, uint256 y) private view {
        if (!P256.verify(digest, r, s, x, y)) revert SignatureInvalid(item);
    }

    function _signedJson(Item item, bytes memory json, bytes memory signature, uint256 x, uint256 y) private view {
        if (signature.length != 64) revert SignatureInvalid(item);
        _signedBy(item, sha256(json), Der.word(signature, 0), Der.word(signature, 32), x, y);
    }

    /// @dev Valid from `from` through `until`, both inclusive (RFC 5280 §4.1.2.5 for
    /// certificates; the same for CRL thisUpdate/nextUpdate and the JSON issueDate/nextUpdate).
    function _within(Item item, uint256 from, uint256 until) private view {
        if (block.timestamp < from) revert NotYetValid(item, from, block.timestamp);
        if (block.timestamp > until) revert Expired(item, until, block.timestamp);
    }

    /// @dev The TCB info or QE identity comes from a TCB evaluation no older than the minimum.
    function _evaluatedSince(Item item, uint256 number) private view {
        if (number < MIN_TCB_EVALUATION_DATA_NUMBER) {
            revert TcbEvaluationDataNumberTooLow(item, number, MIN_TCB_EVALUATION_DATA_NUMBER);
        }
    }

    function _accepted(TcbStatus status) private view returns (bool) {
        return ACCEPTED_TCB_STATUSES & (1 << uint8(status)) != 0;
    }

    /// @dev An `n`-byte little-endian integer at `pos`.
    function _le(bytes memory q, uint256 pos, uint256 n) private pure returns (uint256 v) {
        for (uint256 i = n; i > 0; --i) {
            v = (v << 8) | Der.byteAt(q, pos + i - 1);
        }
    }
}
