// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

import {CivilTime} from "./CivilTime.sol";

/// @title Der
/// @notice A minimal reader of DER (ITU-T X.690 §8, §10) over a `bytes memory` buffer: element
/// headers, non-negative INTEGERs, UTCTime/GeneralizedTime, byte-range hashing. Offsets are
/// absolute positions in the buffer; every element is bounded by its parent's end, so a walk
/// never reads outside the element it was asked about.
/// @dev Only what X.509 certificates and CRLs (RFC 5280) need: single-byte tags (no high tag
/// numbers), definite lengths of at most 3 length bytes, minimally encoded (X.690 §10.1).
/// Anything else is refused with `DerMalformed`.
library Der {
    /// @notice The DER at `offset` is not what the walk expects (tag, length, bounds, encoding).
    error DerMalformed(uint256 offset);

    uint8 internal constant BOOLEAN = 0x01;
    uint8 internal constant INTEGER = 0x02;
    uint8 internal constant BIT_STRING = 0x03;
    uint8 internal constant OCTET_STRING = 0x04;
    uint8 internal constant OID = 0x06;
    uint8 internal constant ENUMERATED = 0x0a;
    uint8 internal constant UTC_TIME = 0x17;
    uint8 internal constant GENERALIZED_TIME = 0x18;
    uint8 internal constant SEQUENCE = 0x30;
    uint8 internal constant SET = 0x31;
    /// @dev Context-specific, constructed: `[n]` EXPLICIT is `0xa0 | n`.
    uint8 internal constant CONTEXT_0 = 0xa0;
    uint8 internal constant CONTEXT_3 = 0xa3;

    /// @notice The byte at `i`, or `DerMalformed(i)` past the end of `b`.
    function byteAt(bytes memory b, uint256 i) internal pure returns (uint256 v) {
        if (i >= b.length) revert DerMalformed(i);
        assembly ("memory-safe") {
            v := byte(0, mload(add(add(b, 32), i)))
        }
    }

    /// @notice The element whose header starts at `pos`, which must end by `limit`.
    /// @return tag The identifier octet.
    /// @return start The first content byte.
    /// @return end One past the last content byte (the next sibling's header).
    function read(bytes memory b, uint256 pos, uint256 limit)
        internal
        pure
        returns (uint8 tag, uint256 start, uint256 end)
    {
        if (limit > b.length || pos + 2 > limit) revert DerMalformed(pos);
        tag = uint8(byteAt(b, pos));
        if (tag & 0x1f == 0x1f) revert DerMalformed(pos);
        uint256 len = byteAt(b, pos + 1);
        start = pos + 2;
        if (len & 0x80 != 0) {
            uint256 n = len & 0x7f;
            if (n == 0 || n > 3 || start + n > limit) revert DerMalformed(pos);
            len = 0;
            for (uint256 i; i < n; ++i) {
                len = (len << 8) | byteAt(b, start + i);
            }
            // X.690 §10.1: the shortest length form (no long form under 128, no leading zero).
            if (len < 0x80 || byteAt(b, start) == 0) revert DerMalformed(pos);
            start += n;
        }
        end = start + len;
        if (end > limit) revert DerMalformed(pos);
    }

    /// @notice As [`read`], requiring the tag `want`.
    function expect(bytes memory b, uint256 pos, uint256 limit, uint8 want)
        internal
        pure
        returns (uint256 start, uint256 end)
    {
        uint8 tag;
        (tag, start, end) = read(b, pos, limit);
        if (tag != want) revert DerMalformed(pos);
    }

    /// @notice The value of a non-negative INTEGER's content `[start, end)` of at most 32
    /// significant bytes (one leading zero allowed, as DER requires before a high bit).
    function uintOf(bytes memory b, uint256 start, uint256 end) internal pure returns (uint256 v) {
        if (end <= start || byteAt(b, start) & 0x80 != 0) revert DerMalformed(start);
        if (byteAt(b, start) == 0 && end - start > 1) {
            // X.690 §8.3.2: a leading zero only before a byte with its high bit set.
            if (byteAt(b, start + 1) & 0x80 == 0) revert DerMalformed(start);
            ++start;
        }
        if (end - start > 32) revert DerMalformed(start);
        for (uint256 i = start; i < end; ++i) {
            v = (v << 8) | byteAt(b, i);
        }
    }

    /// @notice The INTEGER at `pos` (ending by `limit`), with the next sibling's offset.
    function readUint(bytes memory b, uint256 pos, uint256 limit) internal pure returns (uint256 v, uint256 next) {
        (uint256 start, uint256 end) = expect(b, pos, limit, INTEGER);
        return (uintOf(b, start, end), end);
    }

    /// @notice The UTCTime or GeneralizedTime at `pos` as Unix seconds, with the next offset.
    /// @dev RFC 5280 §4.1.2.5: UTCTime `YYMMDDHHMMSSZ` (YY >= 50 is 19YY, else 20YY),
    /// GeneralizedTime `YYYYMMDDHHMMSSZ`; both in UTC with seconds and no fraction.
    function readTime(bytes memory b, uint256 pos, uint256 limit) internal pure returns (uint256 t, uint256 next) {
        (uint8 tag, uint256 start, uint256 end) = read(b, pos, limit);
        uint256 year;
        if (tag == UTC_TIME && end - start == 13) {
            year = digits(b, start, 2);
            year += year >= 50 ? 1900 : 2000;
            start += 2;
        } else if (tag == GENERALIZED_TIME && end - start == 15) {
            year = digits(b, start, 4);
            start += 4;
        } else {
            revert DerMalformed(pos);
        }
        if (byteAt(b, end - 1) != 0x5a) revert DerMalformed(pos); // 'Z'
        t = CivilTime.toUnix(
            year,
            digits(b, start, 2),
            digits(b, start + 2, 2),
            digits(b, start + 4, 2),
            digits(b, start + 6, 2),
            digits(b, start + 8, 2)
        );
        next = end;
    }

    /// @notice `n` ASCII decimal digits at `pos` as a number.
    function digits(bytes memory b, uint256 pos, uint256 n) internal pure returns (uint256 v) {
        for (uint256 i; i < n; ++i) {
            uint256 c = byteAt(b, pos + i);
            if (c < 0x30 || c > 0x39) revert DerMalformed(pos + i);
            v = v * 10 + (c - 0x30);
        }
    }

    /// @notice keccak256 of `b[start:end]`.
    function keccak(bytes memory b, uint256 start, uint256 end) internal pure returns (bytes32 h) {
        if (end < start || end > b.length) revert DerMalformed(start);
        assembly ("memory-safe") {
            h := keccak256(add(add(b, 32), start), sub(end, start))
        }
    }

    /// @notice SHA-256 of `b[start:end]`, through the precompile at 0x02.
    function sha256Of(bytes memory b, uint256 start, uint256 end) internal view returns (bytes32 h) {
        if (end < start || end > b.length) revert DerMalformed(start);
        bool ok;
        assembly ("memory-safe") {
            ok := staticcall(gas(), 0x02, add(add(b, 32), start), sub(end, start), 0x00, 0x20)
            h := mload(0x00)
        }
        if (!ok) revert DerMalformed(start);
    }

    /// @notice The 32-byte word at `b[pos:pos+32]` (big-endian).
    function word(bytes memory b, uint256 pos) internal pure returns (uint256 v) {
        if (pos + 32 > b.length) revert DerMalformed(pos);
        assembly ("memory-safe") {
            v := mload(add(add(b, 32), pos))
        }
    }
}
