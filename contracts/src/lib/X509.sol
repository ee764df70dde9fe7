// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

import {Der} from "./Der.sol";

/// @title X509
/// @notice Just enough of X.509 (RFC 5280) to authenticate Intel's SGX PCK certificate chain and
/// CRLs on-chain: the signed `tbsCertificate`/`tbsCertList` digest, the ECDSA P-256 signature,
/// serial, issuer and subject (with the subject's common name), validity, the P-256 subject key,
/// revoked serials, and the Intel SGX extension of a PCK certificate (FMSPC, PCE-ID, TCB SVNs,
/// PPID).
/// @dev Parsing authenticates nothing: a caller verifies `tbsDigest` against the issuer's key
/// before believing any other field. Every signature algorithm must be ecdsa-with-SHA256 and every
/// key id-ecPublicKey on prime256v1, the only ones Intel's SGX PKI uses.
library X509 {
    /// @notice A PCK certificate has no Intel SGX extension (OID 1.2.840.113741.1.13.1), or the
    /// extension lacks the entry asked for (the TCB, PCE-ID and FMSPC for `sgxTcb`, the PPID for
    /// `sgxPpid`).
    error SgxExtensionMissing();

    /// @dev ecdsa-with-SHA256, 1.2.840.10045.4.3.2 (RFC 5758 §3.2; parameters absent).
    bytes32 private constant ECDSA_WITH_SHA256 = keccak256(hex"2a8648ce3d040302");
    /// @dev id-ecPublicKey, 1.2.840.10045.2.1 (RFC 5480 §2.1.1).
    bytes32 private constant EC_PUBLIC_KEY = keccak256(hex"2a8648ce3d0201");
    /// @dev secp256r1 / prime256v1, 1.2.840.10045.3.1.7 (RFC 5480 §2.1.1.1).
    bytes32 private constant PRIME256V1 = keccak256(hex"2a8648ce3d030107");
    /// @dev id-at-commonName, 2.5.4.3 (RFC 5280 Appendix A.1).
    bytes32 private constant COMMON_NAME = keccak256(hex"550403");
    /// @dev The Intel SGX extensions, 1.2.840.113741.1.13.1 ("Intel SGX PCK Certificate and CRL
    /// Profile", §1.5 "Intel SGX PCK Certificate ... SGX Extensions"); its entries are this
    /// OID followed by one arc (.1 PPID, .2 TCB, .3 PCE-ID, .4 FMSPC), TCB components by a second.
    bytes32 private constant SGX_EXTENSIONS = keccak256(hex"2a864886f84d010d01");
    uint256 private constant SGX_OID_LENGTH = 9;

    /// @notice The fields of a certificate the verifier uses.
    struct Certificate {
        /// SHA-256 of the DER `tbsCertificate`: what the issuer signed.
        bytes32 tbsDigest;
        uint256 sigR;
        uint256 sigS;
        uint256 serial;
        /// keccak256 of the DER issuer and subject `Name`s (for chaining by exact name).
        bytes32 issuerHash;
        bytes32 subjectHash;
        /// keccak256 of the subject's commonName value (its role in Intel's PKI).
        bytes32 subjectCommonName;
        uint256 notBefore;
        uint256 notAfter;
        uint256 keyX;
        uint256 keyY;
        /// Content range of the `Extensions` SEQUENCE (both zero if absent).
        uint256 extStart;
        uint256 extEnd;
    }

    /// @notice The fields of a CRL the verifier uses.
    struct Crl {
        bytes32 tbsDigest;
        uint256 sigR;
        uint256 sigS;
        bytes32 issuerHash;
        uint256 thisUpdate;
        uint256 nextUpdate;
        /// Content range of `revokedCertificates` (both zero if the CRL revokes nothing).
        uint256 revokedStart;
        uint256 revokedEnd;
    }

    /// @notice The platform's TCB as its PCK certificate states it (SGX extension entry .2), with
    /// the FMSPC (.4) and PCE-ID (.3) that select the TCB info.
    struct SgxTcb {
        uint256[16] compSvn;
        uint256 pceSvn;
        bytes6 fmspc;
        bytes2 pceId;
    }

    /// @notice Parses a DER certificate (RFC 5280 §4.1), which must fill `c` exactly.
    function parseCertificate(bytes memory c) internal view returns (Certificate memory cert) {
        (uint256 outerStart, uint256 outerEnd) = Der.expect(c, 0, c.length, Der.SEQUENCE);
        if (outerEnd != c.length) revert Der.DerMalformed(outerEnd);
        (uint256 tbsStart, uint256 tbsEnd) = Der.expect(c, outerStart, outerEnd, Der.SEQUENCE);
        cert.tbsDigest = Der.sha256Of(c, outerStart, tbsEnd);
        (cert.sigR, cert.sigS) = _signatureAfter(c, tbsEnd, outerEnd);

        // version [0] EXPLICIT INTEGER: v3 (2).
        (uint256 s, uint256 e) = Der.expect(c, tbsStart, tbsEnd, Der.CONTEXT_0);
        (uint256 version, uint256 pos) = Der.readUint(c, s, e);
        if (version != 2 || pos != e) revert Der.DerMalformed(s);
        (cert.serial, pos) = Der.readUint(c, e, tbsEnd);
        pos = _algorithm(c, pos, tbsEnd);
        (, e) = Der.expect(c, pos, tbsEnd, Der.SEQUENCE);
        cert.issuerHash = Der.keccak(c, pos, e);
        pos = e;
        (s, e) = Der.expect(c, pos, tbsEnd, Der.SEQUENCE);
        uint256 next;
        (cert.notBefore, next) = Der.readTime(c, s, e);
        (cert.notAfter, next) = Der.readTime(c, next, e);
        if (next != e) revert Der.DerMalformed(next);
        pos = e;
        (s, e) = Der.expect(c, pos, tbsEnd, Der.SEQUENCE);
        cert.subjectHash = Der.keccak(c, pos, e);
        cert.subjectCommonName = _commonName(c, s, e);
        (cert.keyX, cert.keyY, pos) = _p256Key(c, e, tbsEnd);
        // issuerUniqueID [1] and subjectUniqueID [2] are not used by Intel; extensions [3].
        if (pos < tbsEnd) {
            (s, e) = Der.expect(c, pos, tbsEnd, Der.CONTEXT_3);
            (cert.extStart, cert.extEnd) = Der.expect(c, s, e, Der.SEQUENCE);
            if (cert.extEnd != e) revert Der.DerMalformed(s);
            pos = e;
        }
        if (pos != tbsEnd) revert Der.DerMalformed(pos);
    }

    /// @notice Parses a DER CRL (RFC 5280 §5.1), which must fill `c` exactly. `nextUpdate`,
    /// optional in RFC 5280, is required (Intel's CRLs carry it).
    function parseCrl(bytes memory c) internal view returns (Crl memory crl) {
        (uint256 outerStart, uint256 outerEnd) = Der.expect(c, 0, c.length, Der.SEQUENCE);
        if (outerEnd != c.length) revert Der.DerMalformed(outerEnd);
        (uint256 tbsStart, uint256 tbsEnd) = Der.expect(c, outerStart, outerEnd, Der.SEQUENCE);
        crl.tbsDigest = Der.sha256Of(c, outerStart, tbsEnd);
        (crl.sigR, crl.sigS) = _signatureAfter(c, tbsEnd, outerEnd);

        // version INTEGER v2 (1): present whenever extensions are, as in Intel's CRLs.
        (uint256 version, uint256 pos) = Der.readUint(c, tbsStart, tbsEnd);
        if (version != 1) revert Der.DerMalformed(tbsStart);
        pos = _algorithm(c, pos, tbsEnd);
        (, uint256 e) = Der.expect(c, pos, tbsEnd, Der.SEQUENCE);
        crl.issuerHash = Der.keccak(c, pos, e);
        (crl.thisUpdate, pos) = Der.readTime(c, e, tbsEnd);
        (crl.nextUpdate, pos) = Der.readTime(c, pos, tbsEnd);
        if (pos < tbsEnd) {
            (uint8 tag, uint256 s, uint256 end) = Der.read(c, pos, tbsEnd);
            if (tag == Der.SEQUENCE) {
                (crl.revokedStart, crl.revokedEnd) = (s, end);
                pos = end;
            }
        }
        if (pos < tbsEnd) {
            (, e) = Der.expect(c, pos, tbsEnd, Der.CONTEXT_0);
            pos = e;
        }
        if (pos != tbsEnd) revert Der.DerMalformed(pos);
    }

    /// @notice Whether `crl` (parsed from `c`) lists `serial` among its revoked certificates.
    function revokes(bytes memory c, Crl memory crl, uint256 serial) internal pure returns (bool) {
        uint256 pos = crl.revokedStart;
        while (pos < crl.revokedEnd) {
            (uint256 s, uint256 e) = Der.expect(c, pos, crl.revokedEnd, Der.SEQUENCE);
            (uint256 revoked,) = Der.readUint(c, s, e);
            if (revoked == serial) return true;
            pos = e;
        }
        return false;
    }

    /// @notice The Intel SGX extension of a PCK certificate parsed from `c`: TCB component SVNs,
    /// PCESVN, PCE-ID and FMSPC.
    /// @dev Layout from "Intel SGX PCK Certificate and Certificate Revocation List Profile
    /// Specification" §1.5: the extension's value is a SEQUENCE of (OID, value) entries; entry .2
    /// (TCB) is a SEQUENCE of 18 entries .2.1 … .2.16 (SGX TCB component SVN, INTEGER 0–255),
    /// .2.17 (PCESVN, INTEGER 0–65535), .2.18 (CPUSVN, OCTET STRING 16), in that order.
    function sgxTcb(bytes memory c, Certificate memory cert) internal pure returns (SgxTcb memory tcb) {
        (uint256 pos, uint256 end) = _sgxEntries(c, cert);
        uint256 seen;
        while (pos < end) {
            (uint256 s, uint256 e) = Der.expect(c, pos, end, Der.SEQUENCE);
            (uint256 os, uint256 oe) = Der.expect(c, s, e, Der.OID);
            uint256 arc = _sgxArc(c, os, oe, 1);
            if (arc == 2) {
                (uint256 ts, uint256 te) = Der.expect(c, oe, e, Der.SEQUENCE);
                if (te != e) revert Der.DerMalformed(oe);
                _readTcb(c, ts, te, tcb);
                seen |= 1;
            } else if (arc == 3) {
                (uint256 vs, uint256 ve) = Der.expect(c, oe, e, Der.OCTET_STRING);
                if (ve - vs != 2 || ve != e) revert Der.DerMalformed(oe);
                tcb.pceId = bytes2(_leftBytes(c, vs, 2));
                seen |= 2;
            } else if (arc == 4) {
                (uint256 vs, uint256 ve) = Der.expect(c, oe, e, Der.OCTET_STRING);
                if (ve - vs != 6 || ve != e) revert Der.DerMalformed(oe);
                tcb.fmspc = bytes6(_leftBytes(c, vs, 6));
                seen |= 4;
            }
            pos = e;
        }
        if (seen != 7) revert SgxExtensionMissing();
    }

    /// @notice The PPID (Platform Provisioning ID) in the Intel SGX extension of a PCK
    /// certificate parsed from `c`: the identity of the platform (the CPU package, or the
    /// multi-package platform) the certificate was issued to, the same in every PCK certificate
    /// of that platform whatever its TCB level, and the same for an SGX enclave and a TDX trust
    /// domain on it (both are attested through the platform's PCK certificate).
    /// @dev "Intel SGX PCK Certificate and Certificate Revocation List Profile Specification"
    /// §1.5: entry .1 of the extension (1.2.840.113741.1.13.1.1), an OCTET STRING of 16 bytes.
    /// The entry must appear exactly once; the other entries are walked as `sgxTcb` walks them
    /// (each a SEQUENCE starting with an OID) and not read.
    function sgxPpid(bytes memory c, Certificate memory cert) internal pure returns (bytes16 ppid) {
        (uint256 pos, uint256 end) = _sgxEntries(c, cert);
        bool seen;
        while (pos < end) {
            (uint256 s, uint256 e) = Der.expect(c, pos, end, Der.SEQUENCE);
            (uint256 os, uint256 oe) = Der.expect(c, s, e, Der.OID);
            if (_sgxArc(c, os, oe, 1) == 1) {
                (uint256 vs, uint256 ve) = Der.expect(c, oe, e, Der.OCTET_STRING);
                if (seen || ve - vs != 16 || ve != e) revert Der.DerMalformed(oe);
                ppid = bytes16(_leftBytes(c, vs, 16));
                seen = true;
            }
            pos = e;
        }
        if (!seen) revert SgxExtensionMissing();
    }

    /// @dev The content range of the SEQUENCE of entries that is the value of the certificate's
    /// Intel SGX extension (an `Extension`: OID, optional critical BOOLEAN, OCTET STRING).
    function _sgxEntries(bytes memory c, Certificate memory cert) private pure returns (uint256, uint256) {
        uint256 pos = cert.extStart;
        uint256 end = cert.extEnd;
        while (pos < end) {
            (uint256 s, uint256 e) = Der.expect(c, pos, end, Der.SEQUENCE);
            (uint256 os, uint256 oe) = Der.expect(c, s, e, Der.OID);
            if (Der.keccak(c, os, oe) == SGX_EXTENSIONS) {
                (uint8 tag, uint256 vs, uint256 ve) = Der.read(c, oe, e);
                if (tag == Der.BOOLEAN) (tag, vs, ve) = Der.read(c, ve, e);
                if (tag != Der.OCTET_STRING || ve != e) revert Der.DerMalformed(oe);
                (uint256 entries, uint256 entriesEnd) = Der.expect(c, vs, ve, Der.SEQUENCE);
                if (entriesEnd != ve) revert Der.DerMalformed(vs);
                return (entries, entriesEnd);
            }
            pos = e;
        }
        revert SgxExtensionMissing();
    }

    function _readTcb(bytes memory c, uint256 pos, uint256 end, SgxTcb memory tcb) private pure {
        for (uint256 i = 1; i <= 18; ++i) {
            (uint256 s, uint256 e) = Der.expect(c, pos, end, Der.SEQUENCE);
            (uint256 os, uint256 oe) = Der.expect(c, s, e, Der.OID);
            if (oe - os != SGX_OID_LENGTH + 2 || _sgxArc(c, os, oe, 2) != 2 || Der.byteAt(c, oe - 1) != i) {
                revert Der.DerMalformed(os);
            }
            if (i <= 17) {
                (uint256 v, uint256 next) = Der.readUint(c, oe, e);
                if (next != e || v > (i <= 16 ? 0xff : 0xffff)) revert Der.DerMalformed(oe);
                if (i <= 16) tcb.compSvn[i - 1] = v;
                else tcb.pceSvn = v;
            } else {
                (uint256 vs, uint256 ve) = Der.expect(c, oe, e, Der.OCTET_STRING);
                if (ve - vs != 16 || ve != e) revert Der.DerMalformed(oe);
            }
            pos = e;
        }
        if (pos != end) revert Der.DerMalformed(pos);
    }

    /// @dev The first arc after the SGX extensions OID, for an OID of `SGX_OID_LENGTH + arcs`
    /// bytes (every arc Intel uses here is below 128, one byte); 0 for any other OID.
    function _sgxArc(bytes memory c, uint256 os, uint256 oe, uint256 arcs) private pure returns (uint256) {
        if (oe - os != SGX_OID_LENGTH + arcs || Der.keccak(c, os, os + SGX_OID_LENGTH) != SGX_EXTENSIONS) return 0;
        return Der.byteAt(c, os + SGX_OID_LENGTH);
    }

    /// @dev The signatureAlgorithm and signatureValue that follow the tbs, ending the outer SEQUENCE.
    function _signatureAfter(bytes memory c, uint256 pos, uint256 end) private pure returns (uint256 r, uint256 s) {
        pos = _algorithm(c, pos, end);
        (uint256 bs, uint256 be) = Der.expect(c, pos, end, Der.BIT_STRING);
        if (be != end || Der.byteAt(c, bs) != 0) revert Der.DerMalformed(pos);
        // Ecdsa-Sig-Value ::= SEQUENCE { r INTEGER, s INTEGER } (RFC 5480 §2.2 / RFC 3279 §2.2.3).
        (uint256 ss, uint256 se) = Der.expect(c, bs + 1, be, Der.SEQUENCE);
        if (se != be) revert Der.DerMalformed(bs);
        uint256 next;
        (r, next) = Der.readUint(c, ss, se);
        (s, next) = Der.readUint(c, next, se);
        if (next != se) revert Der.DerMalformed(next);
    }

    /// @dev An AlgorithmIdentifier that must be ecdsa-with-SHA256 without parameters.
    function _algorithm(bytes memory c, uint256 pos, uint256 end) private pure returns (uint256 next) {
        (uint256 s, uint256 e) = Der.expect(c, pos, end, Der.SEQUENCE);
        (uint256 os, uint256 oe) = Der.expect(c, s, e, Der.OID);
        if (oe != e || Der.keccak(c, os, oe) != ECDSA_WITH_SHA256) revert Der.DerMalformed(s);
        return e;
    }

    /// @dev SubjectPublicKeyInfo at `pos`: id-ecPublicKey on prime256v1, uncompressed point.
    function _p256Key(bytes memory c, uint256 pos, uint256 end) private pure returns (uint256 x, uint256 y, uint256 next) {
        (uint256 s, uint256 e) = Der.expect(c, pos, end, Der.SEQUENCE);
        (uint256 as_, uint256 ae) = Der.expect(c, s, e, Der.SEQUENCE);
        (uint256 os, uint256 oe) = Der.expect(c, as_, ae, Der.OID);
        if (Der.keccak(c, os, oe) != EC_PUBLIC_KEY) revert Der.DerMalformed(os);
        (os, oe) = Der.expect(c, oe, ae, Der.OID);
        if (oe != ae || Der.keccak(c, os, oe) != PRIME256V1) revert Der.DerMalformed(os);
        (uint256 bs, uint256 be) = Der.expect(c, ae, e, Der.BIT_STRING);
        // SEC 1 §2.3.3: 0x04 ‖ X ‖ Y, after the BIT STRING's zero unused-bits byte.
        if (be != e || be - bs != 66 || Der.byteAt(c, bs) != 0 || Der.byteAt(c, bs + 1) != 0x04) {
            revert Der.DerMalformed(bs);
        }
        x = Der.word(c, bs + 2);
        y = Der.word(c, bs + 34);
        next = e;
    }

    /// @dev keccak256 of the first commonName value in the Name whose content is `[pos, end)`.
    function _commonName(bytes memory c, uint256 pos, uint256 end) private pure returns (bytes32) {
        while (pos < end) {
            (uint256 rs, uint256 re) = Der.expect(c, pos, end, Der.SET);
            while (rs < re) {
                (uint256 s, uint256 e) = Der.expect(c, rs, re, Der.SEQUENCE);
                (uint256 os, uint256 oe) = Der.expect(c, s, e, Der.OID);
                (, uint256 vs, uint256 ve) = Der.read(c, oe, e);
                if (Der.keccak(c, os, oe) == COMMON_NAME) return Der.keccak(c, vs, ve);
                rs = e;
            }
            pos = re;
        }
        return bytes32(0);
    }

    /// @dev `n` (<= 32) bytes at `pos`, left-aligned.
    function _leftBytes(bytes memory c, uint256 pos, uint256 n) private pure returns (bytes32 v) {
        uint256 w;
        for (uint256 i; i < n; ++i) {
            w = (w << 8) | Der.byteAt(c, pos + i);
        }
        v = bytes32(w << (8 * (32 - n)));
    }
}
