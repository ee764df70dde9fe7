// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

import {IntelCollateralJson as J, TcbStatus} from "./IntelCollateralJson.sol";

/// @title IntelTdxTcbInfo
/// @notice Reads Intel's TDX TCB info on-chain (the `tcbInfo` object of the PCS "Get TDX TCB
/// Info" response: id "TDX", version 3, tcbType 0; "Intel SGX and Intel TDX PCS API
/// Specification", "TDX TCB Info") and evaluates it for one TD: its platform's TCB level, and
/// the identity and TCB level of its TDX module.
/// @dev The rules are Intel's Quote Verification Library's (`TcbLevelCheck.cpp`: steps
/// 4.1.2.5.18.x; `QuoteVerifier.cpp`: 4.1.2.5.12), as dcap-qvl 0.7.1 implements them
/// (`tcb_info.rs` `TcbLevel::shortfalls`, `TcbInfo::tdx_module_identity`; `verify.rs`
/// `evaluate_tdx_tcb`, `match_tdx_module_level`):
/// - a platform TCB level applies when its 16 `sgxtcbcomponents` are each at most the PCK
///   certificate's SGX TCB component SVNs, its `pcesvn` at most the certificate's PCESVN, and its
///   16 `tdxtcbcomponents` each at most the TD report's TEE_TCB_SVN, except that when
///   TEE_TCB_SVN[1] (the TDX module's major version) is not zero, components 0 and 1 (the
///   module's ISVSVN and version) are not compared here but through the module identity;
/// - the TD's platform status is the first applying level's, in Intel QVL's order of levels
///   (sorted from the highest TCB down: SGX components lexicographically, then PCESVN, then TDX
///   components). This reader requires `tcbLevels` to be in that order already, as Intel serves
///   them, and refuses any other order (`TcbLevelsOutOfOrder`): then the first applying level
///   in the text is QVL's, without sorting on-chain;
/// - the module identity: with TEE_TCB_SVN[1] = 0 (a TDX 1.0 module), `tdxModule` (its
///   MRSIGNER, attributes and mask) and no module TCB level; otherwise the first entry of
///   `tdxModuleIdentities` whose id is "TDX_" and the version as two hex digits (`TDX_%02X`,
///   compared in upper case as Intel's QVL does), whose MRSIGNER, attributes and mask replace
///   `tdxModule`'s, and whose TCB level is the first with `isvsvn` at most TEE_TCB_SVN[0];
///   module levels must be sorted by `isvsvn` from the highest down (Intel QVL keeps them in a
///   set so ordered; dcap-qvl takes the first in the text), and their status must be UpToDate,
///   OutOfDate or Revoked (the only ones QVL accepts there; others are `TcbStatusUnknown`).
/// As strict as `IntelCollateralJson` (whose reader it uses): `tdxModule` and
/// `tdxModuleIdentities` are required, every TCB level has exactly 16 SGX and 16 TDX
/// components, SVNs are bytes (PCESVN 16 bits, as dcap-qvl's types), and a level's status is
/// read until the TD's level is found (later levels are checked as JSON and for their order).
/// Callers verify Intel's signature over the exact bytes before trusting anything read here.
library IntelTdxTcbInfo {
    /// @notice The TCB levels (platform, or a TDX module identity's) are not sorted from the
    /// highest TCB down as Intel serves them; the level at `offset` is above the one before.
    error TcbLevelsOutOfOrder(uint256 offset);

    /// @notice What the verifier uses from a TDX TCB info, evaluated for one TD.
    struct TdxTcbInfo {
        uint256 issueDate;
        uint256 nextUpdate;
        bytes6 fmspc;
        bytes2 pceId;
        uint256 tcbEvaluationDataNumber;
        /// Whether a TCB level applies to the platform and TD, and the first such level's status.
        bool levelFound;
        TcbStatus status;
        /// The module identity for TEE_TCB_SVN[1]: `tdxModule` for 0 (always found), else the
        /// `TDX_%02X` entry of `tdxModuleIdentities` (not found: the fields below are zero).
        bool moduleIdentityFound;
        /// Its MRSIGNER (48 bytes: the first 32, then the last 16), attributes and mask.
        bytes32 moduleMrsignerHigh;
        bytes16 moduleMrsignerLow;
        bytes8 moduleAttributes;
        bytes8 moduleAttributesMask;
        /// Its TCB level for TEE_TCB_SVN[0], and that level's status; for a TDX 1.0 module
        /// (version 0) there is none to look up: found, UpToDate (which changes no status it
        /// is converged with).
        bool moduleLevelFound;
        TcbStatus moduleStatus;
    }

    /// @dev The TD whose TCB the levels are compared with (SVN vectors packed big-endian, index
    /// 0 in the highest byte).
    struct Td {
        uint256 sgxSvns;
        uint256 pceSvn;
        uint256 teeTcbSvn;
        uint256 moduleVersion;
        uint256 moduleIsvSvn;
    }

    /// @dev A module identity as read, before it is known whether it is the TD's.
    struct ModuleIdentity {
        bool idMatches;
        bytes32 mrsignerHigh;
        bytes16 mrsignerLow;
        bytes8 attributes;
        bytes8 attributesMask;
        bool levelFound;
        TcbStatus status;
    }

    bytes32 private constant K_ID = keccak256("id");
    bytes32 private constant K_VERSION = keccak256("version");
    bytes32 private constant K_ISSUE_DATE = keccak256("issueDate");
    bytes32 private constant K_NEXT_UPDATE = keccak256("nextUpdate");
    bytes32 private constant K_FMSPC = keccak256("fmspc");
    bytes32 private constant K_PCE_ID = keccak256("pceId");
    bytes32 private constant K_TCB_TYPE = keccak256("tcbType");
    bytes32 private constant K_TCB_EVAL = keccak256("tcbEvaluationDataNumber");
    bytes32 private constant K_TCB_LEVELS = keccak256("tcbLevels");
    bytes32 private constant K_TDX_MODULE = keccak256("tdxModule");
    bytes32 private constant K_TDX_MODULE_IDENTITIES = keccak256("tdxModuleIdentities");
    bytes32 private constant K_TCB = keccak256("tcb");
    bytes32 private constant K_TCB_STATUS = keccak256("tcbStatus");
    bytes32 private constant K_SGX_COMPONENTS = keccak256("sgxtcbcomponents");
    bytes32 private constant K_TDX_COMPONENTS = keccak256("tdxtcbcomponents");
    bytes32 private constant K_SVN = keccak256("svn");
    bytes32 private constant K_PCESVN = keccak256("pcesvn");
    bytes32 private constant K_ISVSVN = keccak256("isvsvn");
    bytes32 private constant K_MRSIGNER = keccak256("mrsigner");
    bytes32 private constant K_ATTRIBUTES = keccak256("attributes");
    bytes32 private constant K_ATTRIBUTES_MASK = keccak256("attributesMask");

    /// @dev Every top-level member the reader needs, as a `seen` bitmask (11 members).
    uint256 private constant ALL_MEMBERS = 2047;
    /// @dev The TCB components of a level (`sgxtcbcomponents`, `tdxtcbcomponents`): 16 each.
    uint256 private constant COMPONENTS = 16;
    /// @dev The statuses Intel's QVL accepts in a TDX module identity's levels (dcap-qvl 0.7.1
    /// `TDX_MODULE_STATUSES`).
    uint256 private constant MODULE_STATUSES =
        (1 << uint8(TcbStatus.UpToDate)) | (1 << uint8(TcbStatus.OutOfDate)) | (1 << uint8(TcbStatus.Revoked));

    /// @notice Parses a TDX TCB info v3 and evaluates it for a TD (see the library's notes).
    /// @param j The `tcbInfo` object's exact text.
    /// @param compSvn The platform's 16 SGX TCB component SVNs (PCK certificate), each below 256.
    /// @param pceSvn The platform's PCESVN (PCK certificate).
    /// @param teeTcbSvn The TD report's TEE_TCB_SVN (16 bytes, in report order).
    function parse(bytes memory j, uint256[16] memory compSvn, uint256 pceSvn, bytes16 teeTcbSvn)
        internal
        pure
        returns (TdxTcbInfo memory t)
    {
        Td memory td;
        for (uint256 n; n < COMPONENTS; ++n) {
            td.sgxSvns = (td.sgxSvns << 8) | compSvn[n];
        }
        td.pceSvn = pceSvn;
        td.teeTcbSvn = uint128(teeTcbSvn);
        td.moduleIsvSvn = uint8(teeTcbSvn[0]);
        td.moduleVersion = uint8(teeTcbSvn[1]);

        ModuleIdentity memory base;
        uint256 i = J._expect(j, 0, "{");
        uint256 seen;
        bool more = true;
        while (more) {
            (bytes32 k, uint256 v) = J._key(j, i);
            (i, seen) = _member(j, k, v, td, t, base, seen);
            (more, i) = J._next(j, i, "}");
        }
        if (i != j.length) revert J.JsonMalformed(i);
        if (seen != ALL_MEMBERS) revert J.JsonFieldMissing(seen);
        if (td.moduleVersion == 0) {
            // TDX 1.0 module: `tdxModule` applies, and the module SVNs were TCB components.
            base.levelFound = true;
            base.status = TcbStatus.UpToDate;
            _adopt(t, base);
        }
    }

    function _member(
        bytes memory j,
        bytes32 k,
        uint256 v,
        Td memory td,
        TdxTcbInfo memory t,
        ModuleIdentity memory base,
        uint256 seen
    ) private pure returns (uint256 i, uint256) {
        uint256 h;
        if (k == K_ID) {
            return (J._expectString(j, v, "TDX"), seen | 1);
        } else if (k == K_VERSION) {
            (h, i) = J._uint(j, v);
            if (h != 3) revert J.CollateralUnsupported(v);
            return (i, seen | 2);
        } else if (k == K_ISSUE_DATE) {
            (t.issueDate, i) = J._date(j, v);
            return (i, seen | 4);
        } else if (k == K_NEXT_UPDATE) {
            (t.nextUpdate, i) = J._date(j, v);
            return (i, seen | 8);
        } else if (k == K_FMSPC) {
            // `_hexString(.., n)` reads exactly 2n hex digits: the narrowing casts lose nothing.
            (h, i) = J._hexString(j, v, 6);
            t.fmspc = bytes6(uint48(h));
            return (i, seen | 16);
        } else if (k == K_PCE_ID) {
            (h, i) = J._hexString(j, v, 2);
            t.pceId = bytes2(uint16(h));
            return (i, seen | 32);
        } else if (k == K_TCB_TYPE) {
            (h, i) = J._uint(j, v);
            if (h != 0) revert J.CollateralUnsupported(v);
            return (i, seen | 64);
        } else if (k == K_TCB_EVAL) {
            (t.tcbEvaluationDataNumber, i) = J._uint(j, v);
            return (i, seen | 128);
        } else if (k == K_TCB_LEVELS) {
            (t.levelFound, t.status, i) = _levels(j, v, td);
            return (i, seen | 256);
        } else if (k == K_TDX_MODULE) {
            return (_moduleSigner(j, v, base), seen | 512);
        } else if (k == K_TDX_MODULE_IDENTITIES) {
            return (_identities(j, v, td, t), seen | 1024);
        }
        return (J.skipValue(j, v), seen);
    }

    // ---- platform TCB levels ------------------------------------------------------------------

    /// @dev `tcbLevels`: whether a level applies to the TD and the first such level's status;
    /// every level's TCB is read to hold the list to Intel QVL's order.
    function _levels(bytes memory j, uint256 i, Td memory td)
        private
        pure
        returns (bool found, TcbStatus status, uint256 next)
    {
        i = J._expect(j, i, "[");
        // The previous level's sort key: SGX components ‖ PCESVN, then TDX components.
        uint256 prevSgx = type(uint256).max;
        uint256 prevTdx = type(uint256).max;
        bool more = true;
        while (more) {
            uint256 start = i;
            (uint256 sgx, uint256 tdx, bool applies, TcbStatus levelStatus, uint256 after_) = _level(j, i, td, !found);
            if (sgx > prevSgx || (sgx == prevSgx && tdx > prevTdx)) revert TcbLevelsOutOfOrder(start);
            (prevSgx, prevTdx) = (sgx, tdx);
            if (!found && applies) (found, status) = (true, levelStatus);
            (more, i) = J._next(j, after_, "]");
        }
        if (!found) status = TcbStatus.UpToDate;
        next = i;
    }

    /// @dev One level: `{"tcb":{"sgxtcbcomponents":[..],"pcesvn":n,"tdxtcbcomponents":[..]},
    /// "tcbDate":..,"tcbStatus":..,"advisoryIDs":[..]}`. Its sort key (SGX components ‖ PCESVN;
    /// TDX components), whether it applies to the TD, and (if `readStatus`) its status.
    function _level(bytes memory j, uint256 i, Td memory td, bool readStatus)
        private
        pure
        returns (uint256 sgx, uint256 tdx, bool applies, TcbStatus status, uint256 next)
    {
        i = J._expect(j, i, "{");
        uint256 seen;
        uint256 pceSvn;
        bool more = true;
        while (more) {
            (bytes32 k, uint256 v) = J._key(j, i);
            if (k == K_TCB) {
                (sgx, pceSvn, tdx, i) = _tcb(j, v);
                seen |= 1;
            } else if (k == K_TCB_STATUS && readStatus) {
                (status, i) = J._status(j, v);
                seen |= 2;
            } else {
                if (k == K_TCB_STATUS) seen |= 2;
                i = J.skipValue(j, v);
            }
            (more, i) = J._next(j, i, "}");
        }
        if (seen != 3) revert J.JsonFieldMissing(seen);
        // TDX module 1.5 and later (TEE_TCB_SVN[1] > 0): components 0 and 1 are the module's, and
        // judged by its identity (Intel QVL `isTdxTcbHigherOrEqual`; dcap-qvl `shortfalls`).
        uint256 firstTdx = td.moduleVersion > 0 ? 2 : 0;
        applies = _atMost(sgx, td.sgxSvns, 0) && pceSvn <= td.pceSvn && _atMost(tdx, td.teeTcbSvn, firstTdx);
        sgx = (sgx << 16) | pceSvn;
        next = i;
    }

    /// @dev A level's `tcb`: its SGX components, PCESVN and TDX components, all required.
    function _tcb(bytes memory j, uint256 i)
        private
        pure
        returns (uint256 sgx, uint256 pceSvn, uint256 tdx, uint256 next)
    {
        i = J._expect(j, i, "{");
        uint256 seen;
        bool more = true;
        while (more) {
            (bytes32 k, uint256 v) = J._key(j, i);
            if (k == K_SGX_COMPONENTS) {
                (sgx, i) = _svns(j, v);
                seen |= 1;
            } else if (k == K_PCESVN) {
                (pceSvn, i) = J._uint(j, v);
                if (pceSvn > type(uint16).max) revert J.JsonMalformed(v);
                seen |= 2;
            } else if (k == K_TDX_COMPONENTS) {
                (tdx, i) = _svns(j, v);
                seen |= 4;
            } else {
                i = J.skipValue(j, v);
            }
            (more, i) = J._next(j, i, "}");
        }
        if (seen != 7) revert J.JsonFieldMissing(seen);
        next = i;
    }

    /// @dev `[{"svn":n,...} × 16]`, each SVN a byte, packed big-endian (component 0 highest).
    function _svns(bytes memory j, uint256 i) private pure returns (uint256 packed, uint256 next) {
        i = J._expect(j, i, "[");
        for (uint256 n; n < COMPONENTS; ++n) {
            if (n > 0) i = J._expect(j, i, ",");
            uint256 start = i;
            uint256 svn;
            (svn, i) = J._memberUint(j, i, K_SVN);
            if (svn > type(uint8).max) revert J.JsonMalformed(start);
            packed = (packed << 8) | svn;
        }
        next = J._expect(j, i, "]");
    }

    /// @dev Whether every component of `level` from index `first` on is at most the TD's.
    function _atMost(uint256 level, uint256 td, uint256 first) private pure returns (bool) {
        for (uint256 n = first; n < COMPONENTS; ++n) {
            uint256 shift = 8 * (COMPONENTS - 1 - n);
            if ((level >> shift) & 0xff > (td >> shift) & 0xff) return false;
        }
        return true;
    }

    // ---- the TDX module ----------------------------------------------------------------------

    /// @dev `tdxModule`: `{"mrsigner":..,"attributes":..,"attributesMask":..}`, all required,
    /// into `m` (other members skipped).
    function _moduleSigner(bytes memory j, uint256 i, ModuleIdentity memory m) private pure returns (uint256) {
        i = J._expect(j, i, "{");
        uint256 seen;
        bool more = true;
        while (more) {
            (bytes32 k, uint256 v) = J._key(j, i);
            (i, seen) = _signerMember(j, k, v, m, seen);
            (more, i) = J._next(j, i, "}");
        }
        if (seen != 7) revert J.JsonFieldMissing(seen);
        return i;
    }

    /// @dev One member of a module signer object: MRSIGNER (48 bytes), attributes, mask (8 each).
    function _signerMember(bytes memory j, bytes32 k, uint256 v, ModuleIdentity memory m, uint256 seen)
        private
        pure
        returns (uint256 i, uint256)
    {
        uint256 h;
        if (k == K_MRSIGNER) {
            (m.mrsignerHigh, m.mrsignerLow, i) = _hex48(j, v);
            return (i, seen | 1);
        } else if (k == K_ATTRIBUTES) {
            // Exactly 16 hex digits each: 64 bits, cast without loss.
            (h, i) = J._hexString(j, v, 8);
            m.attributes = bytes8(uint64(h));
            return (i, seen | 2);
        } else if (k == K_ATTRIBUTES_MASK) {
            (h, i) = J._hexString(j, v, 8);
            m.attributesMask = bytes8(uint64(h));
            return (i, seen | 4);
        }
        return (J.skipValue(j, v), seen);
    }

    /// @dev `tdxModuleIdentities`: the first identity whose id names the TD's module version
    /// becomes `t`'s module (with its TCB level for the module's ISVSVN); an empty list is
    /// allowed (then no version but 0 finds one).
    function _identities(bytes memory j, uint256 i, Td memory td, TdxTcbInfo memory t)
        private
        pure
        returns (uint256)
    {
        i = J._expect(j, i, "[");
        if (J._at(j, i) == 0x5d) return i + 1;
        bool more = true;
        while (more) {
            ModuleIdentity memory m;
            i = _identity(j, i, td, m);
            if (m.idMatches && !t.moduleIdentityFound) _adopt(t, m);
            (more, i) = J._next(j, i, "]");
        }
        return i;
    }

    /// @dev One module identity: `{"id":"TDX_xx","mrsigner":..,"attributes":..,"attributesMask":..,
    /// "tcbLevels":[..]}`, all required.
    function _identity(bytes memory j, uint256 i, Td memory td, ModuleIdentity memory m)
        private
        pure
        returns (uint256)
    {
        i = J._expect(j, i, "{");
        uint256 seen;
        bool more = true;
        while (more) {
            (bytes32 k, uint256 v) = J._key(j, i);
            if (k == K_ID) {
                (m.idMatches, i) = _moduleId(j, v, td.moduleVersion);
                seen |= 8;
            } else if (k == K_TCB_LEVELS) {
                (m.levelFound, m.status, i) = _moduleLevels(j, v, td.moduleIsvSvn);
                seen |= 16;
            } else {
                (i, seen) = _signerMember(j, k, v, m, seen);
            }
            (more, i) = J._next(j, i, "}");
        }
        if (seen != 31) revert J.JsonFieldMissing(seen);
        return i;
    }

    /// @dev Whether the id string at `i` is `TDX_%02X` of `version` (not 0), compared in upper
    /// case (Intel QVL `findTdxModuleIdentity` upper-cases the id; dcap-qvl compares ignoring
    /// case). Any other id is another module's, not an error.
    function _moduleId(bytes memory j, uint256 i, uint256 version) private pure returns (bool matches, uint256 next) {
        uint256 s;
        uint256 e;
        (s, e, next) = J._string(j, i);
        if (version == 0 || e - s != 6) return (false, next);
        if (_upper(J._at(j, s)) != 0x54 || _upper(J._at(j, s + 1)) != 0x44) return (false, next); // "TD"
        if (_upper(J._at(j, s + 2)) != 0x58 || J._at(j, s + 3) != 0x5f) return (false, next); // "X_"
        uint256 high = _hexDigit(J._at(j, s + 4));
        uint256 low = _hexDigit(J._at(j, s + 5));
        matches = high < 16 && low < 16 && (high << 4) | low == version;
    }

    /// @dev A module identity's `tcbLevels`: the first level with `isvsvn` at most the module's
    /// ISVSVN, and its status (UpToDate, OutOfDate or Revoked); levels sorted by `isvsvn` down.
    function _moduleLevels(bytes memory j, uint256 i, uint256 moduleIsvSvn)
        private
        pure
        returns (bool found, TcbStatus status, uint256 next)
    {
        i = J._expect(j, i, "[");
        uint256 prev = type(uint256).max;
        bool more = true;
        while (more) {
            uint256 start = i;
            (uint256 isvSvn, TcbStatus levelStatus, uint256 after_) = _moduleLevel(j, i, !found);
            if (isvSvn > prev) revert TcbLevelsOutOfOrder(start);
            prev = isvSvn;
            if (!found && isvSvn <= moduleIsvSvn) (found, status) = (true, levelStatus);
            (more, i) = J._next(j, after_, "]");
        }
        if (!found) status = TcbStatus.UpToDate;
        next = i;
    }

    /// @dev One module TCB level: `{"tcb":{"isvsvn":n},"tcbDate":..,"tcbStatus":..}`.
    function _moduleLevel(bytes memory j, uint256 i, bool readStatus)
        private
        pure
        returns (uint256 isvSvn, TcbStatus status, uint256 next)
    {
        i = J._expect(j, i, "{");
        uint256 seen;
        bool more = true;
        while (more) {
            (bytes32 k, uint256 v) = J._key(j, i);
            if (k == K_TCB) {
                (isvSvn, i) = J._memberUint(j, v, K_ISVSVN);
                if (isvSvn > type(uint8).max) revert J.JsonMalformed(v);
                seen |= 1;
            } else if (k == K_TCB_STATUS && readStatus) {
                (status, i) = J._statusIn(j, v, MODULE_STATUSES);
                seen |= 2;
            } else {
                if (k == K_TCB_STATUS) seen |= 2;
                i = J.skipValue(j, v);
            }
            (more, i) = J._next(j, i, "}");
        }
        if (seen != 3) revert J.JsonFieldMissing(seen);
        next = i;
    }

    function _adopt(TdxTcbInfo memory t, ModuleIdentity memory m) private pure {
        t.moduleIdentityFound = true;
        t.moduleMrsignerHigh = m.mrsignerHigh;
        t.moduleMrsignerLow = m.mrsignerLow;
        t.moduleAttributes = m.attributes;
        t.moduleAttributesMask = m.attributesMask;
        t.moduleLevelFound = m.levelFound;
        t.moduleStatus = m.status;
    }

    /// @dev A string of exactly 96 hex digits (48 bytes): the first 32 bytes and the last 16.
    function _hex48(bytes memory j, uint256 i) private pure returns (bytes32 high, bytes16 low, uint256 next) {
        uint256 s;
        uint256 e;
        (s, e, next) = J._string(j, i);
        if (e - s != 96) revert J.JsonMalformed(s);
        uint256 h;
        uint256 l;
        for (uint256 n; n < 96; ++n) {
            uint256 d = _hexDigit(J._at(j, s + n));
            if (d > 15) revert J.JsonMalformed(s + n);
            if (n < 64) h = (h << 4) | d;
            else l = (l << 4) | d;
        }
        // `l` holds the last 32 digits: 128 bits, cast without loss.
        (high, low) = (bytes32(h), bytes16(uint128(l)));
    }

    /// @dev The value of a hex digit (either case), or 16 for any other character.
    function _hexDigit(uint256 c) private pure returns (uint256) {
        if (c >= 0x30 && c <= 0x39) return c - 0x30;
        if (c >= 0x41 && c <= 0x46) return c - 0x37;
        if (c >= 0x61 && c <= 0x66) return c - 0x57;
        return 16;
    }

    function _upper(uint256 c) private pure returns (uint256) {
        return c >= 0x61 && c <= 0x7a ? c - 0x20 : c;
    }
}
