// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

import {IAttestationVerifier} from "../interfaces/IAttestationVerifier.sol";
import {Der} from "../lib/Der.sol";
import {X509} from "../lib/X509.sol";
import {P256} from "../lib/P256.sol";
import {IntelCollateralJson, TcbStatus} from "../lib/IntelCollateralJson.sol";

/// @title DcapQuoteVerifier
/// @notice What lsv's on-chain Intel DCAP verifiers share: the evidence layout, Intel's root key,
/// the deployment's TCB policy (accepted statuses, minimum TCB evaluation), and the steps of
/// Intel's chain of trust that do not depend on the TEE: the root CA CRL, the PCK certificate
/// chain and its CRL, the TCB signing certificate, the QE report's signature and its binding of
/// the attestation key, the quote's signature, and the QE identity. `DcapAttestationVerifier`
/// (SGX, quote v3) and `DcapTdxAttestationVerifier` (TDX, quote v4) are this plus their quote
/// layout, their TCB info and their enclave or TD policy; each lists its checks in order.
/// @dev No owner, no setters, no storage: the root key is a constant, the policy is immutable,
/// and every byte read from `evidence` is authenticated back to the root key before it decides
/// anything (the readers only parse; signatures are checked before a parsed field is believed).
abstract contract DcapQuoteVerifier is IAttestationVerifier {
    /// @notice The pieces of `evidence`, for errors that say which one failed.
    /// @dev `EnclaveReport` is the SGX enclave report (with the header) signed by the attestation
    /// key; `TdReport` the TDX TD report (with the header), signed the same way.
    enum Item {
        PckCert,
        PckCaCert,
        TcbSigningCert,
        PckCrl,
        RootCaCrl,
        TcbInfo,
        QeIdentity,
        QeReport,
        EnclaveReport,
        TdReport
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
    /// @notice The quote is not of the version this verifier reads.
    error QuoteVersionUnsupported(uint256 version);
    /// @notice The attestation key is not ECDSA-256 with P-256 (type 2).
    error AttestationKeyTypeUnsupported(uint256 keyType);
    /// @notice The quote is not from the TEE this verifier reads (SGX 0, TDX 0x81).
    error TeeTypeUnsupported(uint256 teeType);
    /// @notice The quoting enclave is not Intel's.
    error QeVendorUnknown(bytes16 vendorId);
    /// @notice The quote's certification data is not of the type its place needs (a PCK
    /// certificate chain, type 5; for TDX, inside QE report certification data, type 6).
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
    /// @notice report_data[0:32] is not the binding.
    error ReportDataMismatch(bytes32 reportData);
    /// @notice report_data[32:64] is not all zero.
    error ReportDataUpperHalfNotZero();
    /// @notice Deployment with a TCB status mask that admits nothing, or Revoked, or unknown bits.
    error AcceptedTcbStatusesInvalid(uint256 mask);

    /// @notice Intel SGX Root CA public key (P-256), the trust anchor: the key of the self-signed
    /// "Intel SGX Root CA" certificate (serial 22650CD65A9D3489F383B49552BF501B392706AC, valid
    /// 2018-05-21 to 2049-12-31), published by Intel at
    /// certificates.trustedservices.intel.com/Intel_SGX_Provisioning_Certification_RootCA.pem
    /// and the last certificate of every issuer chain in the PCS collateral ("Intel SGX PCK
    /// Certificate and CRL Profile Specification", §1.1 "Intel SGX PKI"). TDX platforms are
    /// certified under the same root (their PCK certificates are Intel SGX PCK certificates).
    uint256 public constant INTEL_ROOT_KEY_X = 0x0ba9c4c0c0c86193a3fe23d6b02cda10a8bbd4e88e48b4458561a36e705525f5;
    /// @notice The y coordinate of the Intel SGX Root CA key.
    uint256 public constant INTEL_ROOT_KEY_Y = 0x67918e2edc88e40d860bd0cc4ee26aacc988e505a953558c453f6b0904ae7394;
    /// @notice Intel's QE vendor id (Intel SGX ECDSA Quote Library API and Intel TDX DCAP Quoting
    /// Library API, quote header `QE_VENDOR_ID`: 939A7233-F79C-4CA9-940A-0DB3957F0607).
    bytes16 public constant INTEL_QE_VENDOR_ID = 0x939a7233f79c4ca9940a0db3957f0607;

    /// @notice Accepted TCB statuses (platform, QE, and for TDX the TDX module), bit
    /// `1 << uint8(TcbStatus)`.
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

    /// @dev The quote header (Intel SGX ECDSA Quote Library API, Appendix A, and Intel TDX DCAP
    /// Quoting Library API, Appendix A, "Quote Header": the same 48 bytes in v3 and v4).
    uint256 internal constant HEADER_LEN = 48;
    /// @dev Attestation key type 2: ECDSA-256-with-P-256 curve (quote header `Att. Key Type`).
    uint256 private constant ECDSA_P256 = 2;
    /// @dev Certification data type 5: the PCK leaf certificate, its CA and the root, PEM
    /// ("Certification Data", `Certification Data Type`).
    uint256 internal constant CERT_DATA_PCK_CHAIN = 5;
    /// @dev An SGX report body (`sgx_report_body_t`: the QE report and the SGX enclave report),
    /// Intel SGX ECDSA Quote Library API, Appendix A, "Enclave Report Body".
    uint256 internal constant REPORT_LEN = 384;
    // Fields of a report body, as offsets within it.
    uint256 internal constant R_MISCSELECT = 16;
    uint256 internal constant R_ATTRIBUTES = 48;
    uint256 internal constant R_MRENCLAVE = 64;
    uint256 internal constant R_MRSIGNER = 128;
    uint256 internal constant R_ISVPRODID = 256;
    uint256 internal constant R_ISVSVN = 258;
    uint256 internal constant R_REPORT_DATA = 320;

    /// @param acceptedTcbStatuses Bit `1 << uint8(status)` per accepted `TcbStatus`; not empty,
    /// never `Revoked`.
    /// @param minTcbEvaluationDataNumber The lowest accepted tcbEvaluationDataNumber of the TCB
    /// info and of the QE identity; 0 accepts any.
    constructor(uint256 acceptedTcbStatuses, uint256 minTcbEvaluationDataNumber) {
        uint256 revoked = 1 << uint8(TcbStatus.Revoked);
        if (acceptedTcbStatuses == 0 || acceptedTcbStatuses >= revoked) {
            revert AcceptedTcbStatusesInvalid(acceptedTcbStatuses);
        }
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
    /// @return tcbStatus The platform's TCB status per Intel's TCB info (for TDX, the TCB level's
    /// status converged with the TDX module's, as Intel's QVL reports it).
    /// @return qeTcbStatus The quoting enclave's TCB status per Intel's QE identity.
    function check(bytes32 binding, bytes calldata evidence)
        external
        view
        returns (TcbStatus tcbStatus, TcbStatus qeTcbStatus)
    {
        return _check(binding, abi.decode(evidence, (Evidence)));
    }

    /// @dev Every check, in the verifier's order; reverts with the first failure.
    function _check(bytes32 binding, Evidence memory ev)
        internal
        view
        virtual
        returns (TcbStatus tcbStatus, TcbStatus qeTcbStatus);

    // ---- the quote header ----------------------------------------------------------------------

    /// @dev At least `minLength` bytes; version `version`; ECDSA P-256 attestation key; TEE type
    /// `teeType`; Intel's QE vendor id.
    function _checkQuoteHeader(bytes memory q, uint256 minLength, uint256 version, uint256 teeType)
        internal
        pure
    {
        if (q.length < minLength) revert QuoteMalformed(q.length);
        uint256 found = _le(q, 0, 2);
        if (found != version) revert QuoteVersionUnsupported(found);
        found = _le(q, 2, 2);
        if (found != ECDSA_P256) revert AttestationKeyTypeUnsupported(found);
        found = _le(q, 4, 4);
        if (found != teeType) revert TeeTypeUnsupported(found);
        bytes16 vendor = bytes16(bytes32(Der.word(q, 12)));
        if (vendor != INTEL_QE_VENDOR_ID) revert QeVendorUnknown(vendor);
    }

    // ---- certificates and CRLs -----------------------------------------------------------------

    /// @dev The root CA CRL: signed by the root key, current.
    function _rootCaCrl(bytes memory der) internal view returns (X509.Crl memory crl) {
        crl = X509.parseCrl(der);
        _signedBy(Item.RootCaCrl, crl.tbsDigest, crl.sigR, crl.sigS, INTEL_ROOT_KEY_X, INTEL_ROOT_KEY_Y);
        _within(Item.RootCaCrl, crl.thisUpdate, crl.nextUpdate);
    }

    /// @dev The PCK CA (by the root, current, not revoked by the root CA CRL), the PCK
    /// certificate (by that CA, current), the PCK CRL (by that CA, current, not listing the PCK
    /// certificate), and the PCK certificate's SGX extension.
    function _pckChain(Evidence memory ev, X509.Crl memory rootCrl)
        internal
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

    /// @dev The TCB signing certificate (by the root, current, not revoked): its key.
    function _tcbSigningKey(Evidence memory ev, X509.Crl memory rootCrl) internal view returns (uint256, uint256) {
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

    // ---- the quote's signatures ----------------------------------------------------------------

    /// @dev The signatures of a quote whose signed part (header ‖ report body, `report` naming
    /// the body) is its first `signedLen` bytes, followed by the u32 signature data length, the
    /// quote signature (64) and the attestation key (64); and whose QE report (384) starts at
    /// `qeReport`, followed by its signature (64) and the QE authentication data (u16 length +
    /// data). The QE report is signed by the PCK key; its report data is SHA-256(attestation key
    /// ‖ QE authentication data) ‖ 0^32 (Quote Library APIs, "QE Report": binds the attestation
    /// key to the PCK-certified QE); the signed part is signed by the attestation key.
    function _quoteSignatures(
        bytes memory q,
        uint256 signedLen,
        uint256 qeReport,
        Item report,
        uint256 pckX,
        uint256 pckY
    ) internal view {
        uint256 qeSig = qeReport + REPORT_LEN;
        _signedBy(Item.QeReport, Der.sha256Of(q, qeReport, qeSig), Der.word(q, qeSig), Der.word(q, qeSig + 32), pckX, pckY);
        uint256 authAt = qeSig + 64;
        uint256 authLen = _le(q, authAt, 2);
        uint256 keyAt = signedLen + 4 + 64;
        bytes memory keyAndAuth = new bytes(64 + authLen);
        // Both ranges were bounds-checked by the layout check (the key sits before the QE report,
        // the QE authentication data before the certification data that ends the quote).
        assembly ("memory-safe") {
            let src := add(q, 32)
            let dst := add(keyAndAuth, 32)
            mcopy(dst, add(src, keyAt), 64)
            mcopy(add(dst, 64), add(add(src, authAt), 2), authLen)
        }
        uint256 reportData = qeReport + R_REPORT_DATA;
        if (
            bytes32(Der.word(q, reportData)) != sha256(keyAndAuth) || Der.word(q, reportData + 32) != 0
        ) revert QeReportDataMismatch();
        _signedBy(
            report,
            Der.sha256Of(q, 0, signedLen),
            Der.word(q, signedLen + 4),
            Der.word(q, signedLen + 36),
            Der.word(q, keyAt),
            Der.word(q, keyAt + 32)
        );
    }

    // ---- TCB info and QE identity --------------------------------------------------------------

    /// @dev What both TCB info formats share, checked in this order: Intel's signature by the
    /// TCB signing key (before anything is read), then (from the parsed JSON) the minimum TCB
    /// evaluation, the validity window, and the FMSPC and PCE-ID of the PCK certificate.
    function _tcbInfoApplies(
        uint256 tcbEvaluationDataNumber,
        uint256 issueDate,
        uint256 nextUpdate,
        bytes6 fmspc,
        bytes2 pceId,
        X509.SgxTcb memory platform
    ) internal view {
        _evaluatedSince(Item.TcbInfo, tcbEvaluationDataNumber);
        _within(Item.TcbInfo, issueDate, nextUpdate);
        if (fmspc != platform.fmspc) revert FmspcMismatch(platform.fmspc, fmspc);
        if (pceId != platform.pceId) revert PceIdMismatch(platform.pceId, pceId);
    }

    /// @dev The QE identity (SGX `QE`, or TDX `TD_QE` when `td`), signed by the TCB signing key,
    /// from the minimum TCB evaluation, current; the QE report at `qeReport` matches it
    /// (MRSIGNER, ISVPRODID, MISCSELECT and ATTRIBUTES under their masks); the first level its
    /// ISVSVN reaches gives its status, which must be accepted.
    function _qeStatus(Evidence memory ev, uint256 qeReport, bool td, uint256 x, uint256 y)
        internal
        view
        returns (TcbStatus)
    {
        _signedJson(Item.QeIdentity, ev.qeIdentity, ev.qeIdentitySignature, x, y);
        bytes memory q = ev.quote;
        uint256 qeIsvSvn = _le(q, qeReport + R_ISVSVN, 2);
        IntelCollateralJson.QeIdentity memory id = td
            ? IntelCollateralJson.parseTdQeIdentity(ev.qeIdentity, qeIsvSvn)
            : IntelCollateralJson.parseQeIdentity(ev.qeIdentity, qeIsvSvn);
        _evaluatedSince(Item.QeIdentity, id.tcbEvaluationDataNumber);
        _within(Item.QeIdentity, id.issueDate, id.nextUpdate);
        bytes4 misc = bytes4(bytes32(Der.word(q, qeReport + R_MISCSELECT)));
        bytes16 attributes = bytes16(bytes32(Der.word(q, qeReport + R_ATTRIBUTES)));
        if (
            bytes32(Der.word(q, qeReport + R_MRSIGNER)) != id.mrsigner
                || _le(q, qeReport + R_ISVPRODID, 2) != id.isvProdId
                || misc & id.miscselectMask != id.miscselect & id.miscselectMask
                || attributes & id.attributesMask != id.attributes & id.attributesMask
        ) revert QeIdentityMismatch();
        if (!id.levelFound) revert QeTcbLevelNotFound(qeIsvSvn);
        if (!_accepted(id.status)) revert QeTcbStatusNotAccepted(id.status);
        return id.status;
    }

    /// @dev report_data (64 bytes at `offset`) = `binding` ‖ 32 zero bytes (reserved: P writes zeros,
    /// so each key generation has exactly one accepted report_data).
    function _reportDataBinds(bytes memory q, uint256 offset, bytes32 binding) internal pure {
        bytes32 reportData = bytes32(Der.word(q, offset));
        if (reportData != binding) revert ReportDataMismatch(reportData);
        if (Der.word(q, offset + 32) != 0) revert ReportDataUpperHalfNotZero();
    }

    // ---- helpers -------------------------------------------------------------------------------

    function _signedBy(Item item, bytes32 digest, uint256 r, uint256 s, uint256 x, uint256 y) internal view {
        if (!P256.verify(digest, r, s, x, y)) revert SignatureInvalid(item);
    }

    function _signedJson(Item item, bytes memory json, bytes memory signature, uint256 x, uint256 y)
        internal
        view
    {
        if (signature.length != 64) revert SignatureInvalid(item);
        _signedBy(item, sha256(json), Der.word(signature, 0), Der.word(signature, 32), x, y);
    }

    /// @dev Valid from `from` through `until`, both inclusive (RFC 5280 §4.1.2.5 for
    /// certificates; the same for CRL thisUpdate/nextUpdate and the JSON issueDate/nextUpdate).
    function _within(Item item, uint256 from, uint256 until) internal view {
        if (block.timestamp < from) revert NotYetValid(item, from, block.timestamp);
        if (block.timestamp > until) revert Expired(item, until, block.timestamp);
    }

    /// @dev The TCB info or QE identity comes from a TCB evaluation no older than the minimum.
    function _evaluatedSince(Item item, uint256 number) internal view {
        if (number < MIN_TCB_EVALUATION_DATA_NUMBER) {
            revert TcbEvaluationDataNumberTooLow(item, number, MIN_TCB_EVALUATION_DATA_NUMBER);
        }
    }

    function _accepted(TcbStatus status) internal view returns (bool) {
        return ACCEPTED_TCB_STATUSES & (1 << uint8(status)) != 0;
    }

    /// @dev An `n`-byte little-endian integer at `pos`.
    function _le(bytes memory q, uint256 pos, uint256 n) internal pure returns (uint256 v) {
        for (uint256 i = n; i > 0; --i) {
            v = (v << 8) | Der.byteAt(q, pos + i - 1);
        }
    }
}
