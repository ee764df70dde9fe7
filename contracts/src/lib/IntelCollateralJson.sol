// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

import {CivilTime} from "./CivilTime.sol";

/// @notice A TCB status, as Intel's TCB info and QE identity name them ("Intel SGX and Intel
/// TDX PCS API Specification", "Get TCB Info" / "Get Intel's QE Identity": tcbStatus). The TDX
/// TCB info, the TD QE identity and the TDX module identities use the same strings; the TD 1.5
/// relaunch statuses (`TDRelaunchAdvised`, `TDRelaunchAdvisedConfigurationNeeded`) are Intel
/// QVL's results for a TD 1.5 report, never collateral values, and are refused as unknown.
/// Bit `1 << uint8(status)` of a verifier's accepted-status mask admits it.
enum TcbStatus {
    UpToDate,
    SWHardeningNeeded,
    ConfigurationNeeded,
    ConfigurationAndSWHardeningNeeded,
    OutOfDate,
    OutOfDateConfigurationNeeded,
    Revoked
}

/// @title IntelCollateralJson
/// @notice Reads Intel's signed collateral JSON on-chain: SGX TCB info v3 (the `tcbInfo` object)
/// and QE identity v2 (the `enclaveIdentity` object, id `QE` for SGX or `TD_QE` for TDX), and
/// evaluates their TCB levels for one platform (PCK certificate SVNs) or one QE (its report's
/// ISVSVN). The TDX TCB info is read by `IntelTdxTcbInfo`, with this library's JSON reader.
/// @dev A strict reader of the compact JSON the PCS serves and signs: no whitespace, strings
/// without escapes, non-negative integers. Members may come in any order; unknown members are
/// skipped whole (nested values included); every member the verifier needs is required.
/// Anything else fails closed with `JsonMalformed`. Callers verify Intel's signature over the
/// exact bytes before trusting anything read here. The JSON reader's primitives (`_key`,
/// `_next`, `_uint`, ...) are internal so that `IntelTdxTcbInfo` reads with the same rules.
library IntelCollateralJson {
    /// @notice The collateral JSON is not what the reader accepts, at byte `offset`.
    error JsonMalformed(uint256 offset);
    /// @notice A member the verifier needs is absent (`seen` is the bitmask of those present).
    error JsonFieldMissing(uint256 seen);
    /// @notice The collateral is another kind or version than this reader knows (at `offset`):
    /// TCB info must be id "SGX" (or, for `IntelTdxTcbInfo`, "TDX"), version 3, tcbType 0; QE
    /// identity id "QE" (or "TD_QE"), version 2.
    error CollateralUnsupported(uint256 offset);
    /// @notice A tcbStatus string this reader does not know, or not for the structure it is in
    /// (Intel's QVL accepts fewer statuses in a TD QE identity and a TDX module identity), at
    /// `offset`.
    error TcbStatusUnknown(uint256 offset);

    /// @notice What the verifier uses from an SGX TCB info, evaluated for one platform.
    struct TcbInfo {
        uint256 issueDate;
        uint256 nextUpdate;
        bytes6 fmspc;
        bytes2 pceId;
        uint256 tcbEvaluationDataNumber;
        /// Whether a TCB level matched the platform, and that level's status.
        bool levelFound;
        TcbStatus status;
    }

    /// @notice What the verifier uses from a QE identity, evaluated for one QE.
    struct QeIdentity {
        uint256 issueDate;
        uint256 nextUpdate;
        uint256 tcbEvaluationDataNumber;
        bytes4 miscselect;
        bytes4 miscselectMask;
        bytes16 attributes;
        bytes16 attributesMask;
        bytes32 mrsigner;
        uint256 isvProdId;
        bool levelFound;
        TcbStatus status;
    }

    // Member names (keccak256 of the key text).
    bytes32 private constant K_ID = keccak256("id");
    bytes32 private constant K_VERSION = keccak256("version");
    bytes32 private constant K_ISSUE_DATE = keccak256("issueDate");
    bytes32 private constant K_NEXT_UPDATE = keccak256("nextUpdate");
    bytes32 private constant K_FMSPC = keccak256("fmspc");
    bytes32 private constant K_PCE_ID = keccak256("pceId");
    bytes32 private constant K_TCB_TYPE = keccak256("tcbType");
    bytes32 private constant K_TCB_EVAL = keccak256("tcbEvaluationDataNumber");
    bytes32 private constant K_TCB_LEVELS = keccak256("tcbLevels");
    bytes32 private constant K_TCB = keccak256("tcb");
    bytes32 private constant K_TCB_STATUS = keccak256("tcbStatus");
    bytes32 private constant K_SGX_COMPONENTS = keccak256("sgxtcbcomponents");
    bytes32 private constant K_SVN = keccak256("svn");
    bytes32 private constant K_PCESVN = keccak256("pcesvn");
    bytes32 private constant K_ISVSVN = keccak256("isvsvn");
    bytes32 private constant K_MISCSELECT = keccak256("miscselect");
    bytes32 private constant K_MISCSELECT_MASK = keccak256("miscselectMask");
    bytes32 private constant K_ATTRIBUTES = keccak256("attributes");
    bytes32 private constant K_ATTRIBUTES_MASK = keccak256("attributesMask");
    bytes32 private constant K_MRSIGNER = keccak256("mrsigner");
    bytes32 private constant K_ISVPRODID = keccak256("isvprodid");

    // tcbStatus values.
    bytes32 private constant S_UP_TO_DATE = keccak256("UpToDate");
    bytes32 private constant S_SW_HARDENING = keccak256("SWHardeningNeeded");
    bytes32 private constant S_CONFIGURATION = keccak256("ConfigurationNeeded");
    bytes32 private constant S_CONFIGURATION_SW = keccak256("ConfigurationAndSWHardeningNeeded");
    bytes32 private constant S_OUT_OF_DATE = keccak256("OutOfDate");
    bytes32 private constant S_OUT_OF_DATE_CONFIGURATION = keccak256("OutOfDateConfigurationNeeded");
    bytes32 private constant S_REVOKED = keccak256("Revoked");

    /// @dev The SGX component SVNs in a TCB level (TCB info v3: `sgxtcbcomponents`, 16 entries).
    uint256 private constant COMPONENTS = 16;

    /// @dev Every `TcbStatus`, bit `1 << uint8(status)`.
    uint256 internal constant ALL_STATUSES = (1 << (uint256(type(TcbStatus).max) + 1)) - 1;
    /// @dev The statuses Intel's QVL accepts in a QE identity's levels (dcap-qvl 0.7.1
    /// `QE_IDENTITY_STATUSES`): UpToDate, OutOfDate, ConfigurationNeeded, Revoked,
    /// OutOfDateConfigurationNeeded. Applied to the TD QE identity; the SGX QE identity reader
    /// keeps accepting every status (its behaviour predates the TDX reader).
    uint256 internal constant QE_STATUSES = (1 << uint8(TcbStatus.UpToDate)) | (1 << uint8(TcbStatus.OutOfDate))
        | (1 << uint8(TcbStatus.ConfigurationNeeded)) | (1 << uint8(TcbStatus.Revoked))
        | (1 << uint8(TcbStatus.OutOfDateConfigurationNeeded));

    // ---- TCB info -----------------------------------------------------------------------------

    /// @notice Parses an SGX TCB info v3 and finds the platform's TCB level: the first level in
    /// `tcbLevels` (Intel lists them from the highest TCB down) whose 16 SGX component SVNs are
    /// each at most the PCK certificate's and whose PCESVN is at most the certificate's
    /// ("Intel SGX and Intel TDX PCS API Specification", "Get TCB Info", the TCB level matching
    /// steps). `levelFound` is false if no level matches.
    function parseTcbInfo(bytes memory j, uint256[16] memory compSvn, uint256 pceSvn)
        internal
        pure
        returns (TcbInfo memory t)
    {
        uint256 i = _expect(j, 0, "{");
        uint256 seen;
        bool more = true;
        while (more) {
            (bytes32 k, uint256 v) = _key(j, i);
            if (k == K_ID) {
                i = _expectString(j, v, "SGX");
                seen |= 1;
            } else if (k == K_VERSION) {
                (uint256 n, uint256 next) = _uint(j, v);
                if (n != 3) revert CollateralUnsupported(v);
                (i, seen) = (next, seen | 2);
            } else if (k == K_ISSUE_DATE) {
                (t.issueDate, i) = _date(j, v);
                seen |= 4;
            } else if (k == K_NEXT_UPDATE) {
                (t.nextUpdate, i) = _date(j, v);
                seen |= 8;
            } else if (k == K_FMSPC) {
                (uint256 h, uint256 next) = _hexString(j, v, 6);
                (t.fmspc, i, seen) = (bytes6(uint48(h)), next, seen | 16);
            } else if (k == K_PCE_ID) {
                (uint256 h, uint256 next) = _hexString(j, v, 2);
                (t.pceId, i, seen) = (bytes2(uint16(h)), next, seen | 32);
            } else if (k == K_TCB_TYPE) {
                (uint256 n, uint256 next) = _uint(j, v);
                if (n != 0) revert CollateralUnsupported(v);
                (i, seen) = (next, seen | 64);
            } else if (k == K_TCB_EVAL) {
                (t.tcbEvaluationDataNumber, i) = _uint(j, v);
                seen |= 128;
            } else if (k == K_TCB_LEVELS) {
                (t.levelFound, t.status, i) = _platformLevels(j, v, compSvn, pceSvn);
                seen |= 256;
            } else {
                i = skipValue(j, v);
            }
            (more, i) = _next(j, i, "}");
        }
        if (i != j.length) revert JsonMalformed(i);
        if (seen != 511) revert JsonFieldMissing(seen);
    }

    function _platformLevels(bytes memory j, uint256 i, uint256[16] memory compSvn, uint256 pceSvn)
        private
        pure
        returns (bool found, TcbStatus status, uint256 next)
    {
        i = _expect(j, i, "[");
        bool more = true;
        while (more) {
            if (found) {
                i = skipValue(j, i);
            } else {
                bool matches;
                (matches, status, i) = _platformLevel(j, i, compSvn, pceSvn);
                found = matches;
            }
            (more, i) = _next(j, i, "]");
        }
        if (!found) status = TcbStatus.UpToDate;
        next = i;
    }

    /// @dev One TCB level: `{"tcb":{"sgxtcbcomponents":[...],"pcesvn":n},"tcbDate":..,"tcbStatus":..}`.
    function _platformLevel(bytes memory j, uint256 i, uint256[16] memory compSvn, uint256 pceSvn)
        private
        pure
        returns (bool matches, TcbStatus status, uint256 next)
    {
        i = _expect(j, i, "{");
        uint256 seen;
        bool more = true;
        while (more) {
            (bytes32 k, uint256 v) = _key(j, i);
            if (k == K_TCB) {
                (matches, i) = _platformTcb(j, v, compSvn, pceSvn);
                seen |= 1;
            } else if (k == K_TCB_STATUS) {
                (status, i) = _status(j, v);
                seen |= 2;
            } else {
                i = skipValue(j, v);
            }
            (more, i) = _next(j, i, "}");
        }
        if (seen != 3) revert JsonFieldMissing(seen);
        next = i;
    }

    function _platformTcb(bytes memory j, uint256 i, uint256[16] memory compSvn, uint256 pceSvn)
        private
        pure
        returns (bool matches, uint256 next)
    {
        i = _expect(j, i, "{");
        uint256 seen;
        bool componentsOk;
        bool pceOk;
        bool more = true;
        while (more) {
            (bytes32 k, uint256 v) = _key(j, i);
            if (k == K_SGX_COMPONENTS) {
                (componentsOk, i) = _componentsAtMost(j, v, compSvn);
                seen |= 1;
            } else if (k == K_PCESVN) {
                uint256 levelPceSvn;
                (levelPceSvn, i) = _uint(j, v);
                pceOk = levelPceSvn <= pceSvn;
                seen |= 2;
            } else {
                i = skipValue(j, v);
            }
            (more, i) = _next(j, i, "}");
        }
        if (seen != 3) revert JsonFieldMissing(seen);
        return (componentsOk && pceOk, i);
    }

    /// @dev `[{"svn":n,...} × 16]`: whether every level SVN is at most the platform's.
    function _componentsAtMost(bytes memory j, uint256 i, uint256[16] memory compSvn)
        private
        pure
        returns (bool ok, uint256 next)
    {
        i = _expect(j, i, "[");
        ok = true;
        for (uint256 n; n < COMPONENTS; ++n) {
            if (n > 0) i = _expect(j, i, ",");
            uint256 svn;
            (svn, i) = _memberUint(j, i, K_SVN);
            if (svn > compSvn[n]) ok = false;
        }
        next = _expect(j, i, "]");
    }

    // ---- QE identity --------------------------------------------------------------------------

    /// @notice Parses an SGX QE identity v2 (id `QE`) and finds the QE's TCB level: the first
    /// level in `tcbLevels` whose `isvsvn` is at most the QE report's ISVSVN ("Intel SGX and
    /// Intel TDX PCS API Specification", "Get Intel's QE Identity"). `levelFound` is false if
    /// none matches.
    function parseQeIdentity(bytes memory j, uint256 qeIsvSvn) internal pure returns (QeIdentity memory) {
        return _parseQeIdentity(j, qeIsvSvn, false);
    }

    /// @notice As `parseQeIdentity`, for the TDX quoting enclave's identity: id `TD_QE`, version
    /// 2 ("Get Intel's TD QE Identity"), level statuses among `QE_STATUSES`.
    function parseTdQeIdentity(bytes memory j, uint256 qeIsvSvn) internal pure returns (QeIdentity memory) {
        return _parseQeIdentity(j, qeIsvSvn, true);
    }

    function _parseQeIdentity(bytes memory j, uint256 qeIsvSvn, bool td) private pure returns (QeIdentity memory q) {
        uint256 i = _expect(j, 0, "{");
        uint256 seen;
        bool more = true;
        while (more) {
            (bytes32 k, uint256 v) = _key(j, i);
            (i, seen) = _qeMember(j, k, v, qeIsvSvn, td, q, seen);
            (more, i) = _next(j, i, "}");
        }
        if (i != j.length) revert JsonMalformed(i);
        if (seen != 4095) revert JsonFieldMissing(seen);
    }

    function _qeMember(
        bytes memory j,
        bytes32 k,
        uint256 v,
        uint256 qeIsvSvn,
        bool td,
        QeIdentity memory q,
        uint256 seen
    ) private pure returns (uint256 i, uint256) {
        uint256 h;
        if (k == K_ID) {
            return (_expectString(j, v, td ? bytes("TD_QE") : bytes("QE")), seen | 1);
        } else if (k == K_VERSION) {
            (h, i) = _uint(j, v);
            if (h != 2) revert CollateralUnsupported(v);
            return (i, seen | 2);
        } else if (k == K_ISSUE_DATE) {
            (q.issueDate, i) = _date(j, v);
            return (i, seen | 4);
        } else if (k == K_NEXT_UPDATE) {
            (q.nextUpdate, i) = _date(j, v);
            return (i, seen | 8);
        } else if (k == K_TCB_EVAL) {
            (q.tcbEvaluationDataNumber, i) = _uint(j, v);
            return (i, seen | 16);
        } else if (k == K_MISCSELECT) {
            (h, i) = _hexString(j, v, 4);
            q.miscselect = bytes4(uint32(h));
            return (i, seen | 32);
        } else if (k == K_MISCSELECT_MASK) {
            (h, i) = _hexString(j, v, 4);
            q.miscselectMask = bytes4(uint32(h));
            return (i, seen | 64);
        } else if (k == K_ATTRIBUTES) {
            (h, i) = _hexString(j, v, 16);
            q.attributes = bytes16(uint128(h));
            return (i, seen | 128);
        } else if (k == K_ATTRIBUTES_MASK) {
            (h, i) = _hexString(j, v, 16);
            q.attributesMask = bytes16(uint128(h));
            return (i, seen | 256);
        } else if (k == K_MRSIGNER) {
            (h, i) = _hexString(j, v, 32);
            q.mrsigner = bytes32(h);
            return (i, seen | 512);
        } else if (k == K_ISVPRODID) {
            (q.isvProdId, i) = _uint(j, v);
            return (i, seen | 1024);
        } else if (k == K_TCB_LEVELS) {
            (q.levelFound, q.status, i) = _qeLevels(j, v, qeIsvSvn, td ? QE_STATUSES : ALL_STATUSES);
            return (i, seen | 2048);
        }
        return (skipValue(j, v), seen);
    }

    function _qeLevels(bytes memory j, uint256 i, uint256 qeIsvSvn, uint256 statuses)
        private
        pure
        returns (bool found, TcbStatus status, uint256 next)
    {
        i = _expect(j, i, "[");
        bool more = true;
        while (more) {
            if (found) {
                i = skipValue(j, i);
            } else {
                (found, status, i) = _qeLevel(j, i, qeIsvSvn, statuses);
            }
            (more, i) = _next(j, i, "]");
        }
        if (!found) status = TcbStatus.UpToDate;
        next = i;
    }

    /// @dev One QE TCB level: `{"tcb":{"isvsvn":n},"tcbDate":..,"tcbStatus":..}`.
    function _qeLevel(bytes memory j, uint256 i, uint256 qeIsvSvn, uint256 statuses)
        private
        pure
        returns (bool matches, TcbStatus status, uint256 next)
    {
        i = _expect(j, i, "{");
        uint256 seen;
        bool more = true;
        while (more) {
            (bytes32 k, uint256 v) = _key(j, i);
            if (k == K_TCB) {
                uint256 levelIsvSvn;
                (levelIsvSvn, i) = _memberUint(j, v, K_ISVSVN);
                matches = levelIsvSvn <= qeIsvSvn;
                seen |= 1;
            } else if (k == K_TCB_STATUS) {
                (status, i) = _statusIn(j, v, statuses);
                seen |= 2;
            } else {
                i = skipValue(j, v);
            }
            (more, i) = _next(j, i, "}");
        }
        if (seen != 3) revert JsonFieldMissing(seen);
        next = i;
    }

    // ---- the JSON reader ----------------------------------------------------------------------

    /// @notice The offset just past the JSON value at `i` (object, array, string, number,
    /// true/false/null), which is checked for syntax but not read.
    function skipValue(bytes memory j, uint256 i) internal pure returns (uint256) {
        uint256 c = _at(j, i);
        if (c == 0x22) {
            (,, uint256 next) = _string(j, i);
            return next;
        }
        if (c == 0x7b || c == 0x5b) {
            uint256 close = c == 0x7b ? 0x7d : 0x5d;
            ++i;
            if (_at(j, i) == close) return i + 1;
            bool more = true;
            while (more) {
                if (c == 0x7b) {
                    (, i) = _key(j, i);
                }
                i = skipValue(j, i);
                (more, i) = _next(j, i, bytes1(uint8(close)));
            }
            return i;
        }
        if (c == 0x74) return _literal(j, i, "true");
        if (c == 0x66) return _literal(j, i, "false");
        if (c == 0x6e) return _literal(j, i, "null");
        // A number: an optional minus, then digits, fraction and exponent characters.
        uint256 start = i;
        if (c == 0x2d) ++i;
        while (i < j.length) {
            c = uint8(j[i]);
            if (!((c >= 0x30 && c <= 0x39) || c == 0x2e || c == 0x65 || c == 0x45 || c == 0x2b || c == 0x2d)) break;
            ++i;
        }
        if (i == start || (i == start + 1 && _at(j, start) == 0x2d)) revert JsonMalformed(start);
        return i;
    }

    function _at(bytes memory j, uint256 i) internal pure returns (uint256 c) {
        if (i >= j.length) revert JsonMalformed(i);
        assembly ("memory-safe") {
            c := byte(0, mload(add(add(j, 32), i)))
        }
    }

    function _expect(bytes memory j, uint256 i, bytes1 ch) internal pure returns (uint256) {
        if (_at(j, i) != uint8(ch)) revert JsonMalformed(i);
        return i + 1;
    }

    /// @dev After a member or element: `,` (more follow) or `close` (done).
    function _next(bytes memory j, uint256 i, bytes1 close) internal pure returns (bool more, uint256 next) {
        uint256 c = _at(j, i);
        if (c == 0x2c) return (true, i + 1);
        if (c == uint8(close)) return (false, i + 1);
        revert JsonMalformed(i);
    }

    /// @dev A string's content range `[s, e)` and the offset after its closing quote.
    function _string(bytes memory j, uint256 i) internal pure returns (uint256 s, uint256 e, uint256 next) {
        s = _expect(j, i, '"');
        e = s;
        while (true) {
            uint256 c = _at(j, e);
            if (c == 0x22) break;
            if (c == 0x5c || c < 0x20) revert JsonMalformed(e);
            ++e;
        }
        next = e + 1;
    }

    /// @dev A member name at `i`: its keccak256, and the offset of its value (after the `:`).
    function _key(bytes memory j, uint256 i) internal pure returns (bytes32 k, uint256 value) {
        (uint256 s, uint256 e, uint256 next) = _string(j, i);
        assembly ("memory-safe") {
            k := keccak256(add(add(j, 32), s), sub(e, s))
        }
        value = _expect(j, next, ":");
    }

    function _expectString(bytes memory j, uint256 i, bytes memory want) internal pure returns (uint256 next) {
        uint256 s;
        uint256 e;
        (s, e, next) = _string(j, i);
        bytes32 k;
        assembly ("memory-safe") {
            k := keccak256(add(add(j, 32), s), sub(e, s))
        }
        if (k != keccak256(want)) revert CollateralUnsupported(i);
    }

    function _literal(bytes memory j, uint256 i, bytes memory word) private pure returns (uint256) {
        for (uint256 n; n < word.length; ++n) {
            if (_at(j, i + n) != uint8(word[n])) revert JsonMalformed(i + n);
        }
        return i + word.length;
    }

    /// @dev A non-negative integer without leading zeros, at most 18 digits.
    function _uint(bytes memory j, uint256 i) internal pure returns (uint256 v, uint256 next) {
        uint256 start = i;
        while (i < j.length) {
            uint256 c = uint8(j[i]);
            if (c < 0x30 || c > 0x39) break;
            v = v * 10 + (c - 0x30);
            ++i;
        }
        if (i == start || i - start > 18 || (_at(j, start) == 0x30 && i - start > 1)) revert JsonMalformed(start);
        next = i;
    }

    /// @dev `{"<name>":n,...}` (other members skipped): the integer member `name`, required.
    function _memberUint(bytes memory j, uint256 i, bytes32 name) internal pure returns (uint256 v, uint256 next) {
        i = _expect(j, i, "{");
        bool seen;
        bool more = true;
        while (more) {
            (bytes32 k, uint256 pos) = _key(j, i);
            if (k == name) {
                (v, i) = _uint(j, pos);
                seen = true;
            } else {
                i = skipValue(j, pos);
            }
            (more, i) = _next(j, i, "}");
        }
        if (!seen) revert JsonFieldMissing(0);
        next = i;
    }

    /// @dev A string of exactly `bytes_ * 2` hex digits (either case), as a number.
    function _hexString(bytes memory j, uint256 i, uint256 bytes_) internal pure returns (uint256 v, uint256 next) {
        (uint256 s, uint256 e, uint256 after_) = _string(j, i);
        if (e - s != bytes_ * 2) revert JsonMalformed(s);
        for (uint256 n = s; n < e; ++n) {
            uint256 c = _at(j, n);
            uint256 d;
            if (c >= 0x30 && c <= 0x39) d = c - 0x30;
            else if (c >= 0x41 && c <= 0x46) d = c - 0x37;
            else if (c >= 0x61 && c <= 0x66) d = c - 0x57;
            else revert JsonMalformed(n);
            v = (v << 4) | d;
        }
        next = after_;
    }

    /// @dev `"YYYY-MM-DDThh:mm:ssZ"` (the PCS's issueDate/nextUpdate format) as Unix seconds.
    function _date(bytes memory j, uint256 i) internal pure returns (uint256 t, uint256 next) {
        uint256 s;
        uint256 e;
        (s, e, next) = _string(j, i);
        if (
            e - s != 20 || _at(j, s + 4) != 0x2d || _at(j, s + 7) != 0x2d || _at(j, s + 10) != 0x54
                || _at(j, s + 13) != 0x3a || _at(j, s + 16) != 0x3a || _at(j, s + 19) != 0x5a
        ) revert JsonMalformed(s);
        t = CivilTime.toUnix(
            _digits(j, s, 4),
            _digits(j, s + 5, 2),
            _digits(j, s + 8, 2),
            _digits(j, s + 11, 2),
            _digits(j, s + 14, 2),
            _digits(j, s + 17, 2)
        );
    }

    function _digits(bytes memory j, uint256 pos, uint256 n) private pure returns (uint256 v) {
        for (uint256 k; k < n; ++k) {
            uint256 c = _at(j, pos + k);
            if (c < 0x30 || c > 0x39) revert JsonMalformed(pos + k);
            v = v * 10 + (c - 0x30);
        }
    }

    /// @dev A tcbStatus at `i` that is one of `statuses` (bit `1 << uint8(status)`).
    function _statusIn(bytes memory j, uint256 i, uint256 statuses)
        internal
        pure
        returns (TcbStatus status, uint256 next)
    {
        (status, next) = _status(j, i);
        if (statuses & (1 << uint8(status)) == 0) revert TcbStatusUnknown(i);
    }

    /// @dev A tcbStatus string at `i`, one of the seven `TcbStatus` names.
    function _status(bytes memory j, uint256 i) internal pure returns (TcbStatus status, uint256 next) {
        uint256 s;
        uint256 e;
        (s, e, next) = _string(j, i);
        bytes32 k;
        assembly ("memory-safe") {
            k := keccak256(add(add(j, 32), s), sub(e, s))
        }
        if (k == S_UP_TO_DATE) status = TcbStatus.UpToDate;
        else if (k == S_SW_HARDENING) status = TcbStatus.SWHardeningNeeded;
        else if (k == S_CONFIGURATION) status = TcbStatus.ConfigurationNeeded;
        else if (k == S_CONFIGURATION_SW) status = TcbStatus.ConfigurationAndSWHardeningNeeded;
        else if (k == S_OUT_OF_DATE) status = TcbStatus.OutOfDate;
        else if (k == S_OUT_OF_DATE_CONFIGURATION) status = TcbStatus.OutOfDateConfigurationNeeded;
        else if (k == S_REVOKED) status = TcbStatus.Revoked;
        else revert TcbStatusUnknown(i);
    }
}
