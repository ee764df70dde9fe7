// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

import {ProofBytes} from "./ProofBytes.sol";
import {ValidatorProofs} from "./ValidatorProofs.sol";

/// @title ProgressiveValidatorProofs
/// @notice Verifies an lsv validator proof of format 2 (`crates/proofs/FORMAT.md`, "Format 2")
/// against a beacon block root: the progressive `BeaconState` of Gloas (EIP-7688
/// `ProgressiveContainer`, EIP-7916 `ProgressiveList`) and of every later fork that keeps the
/// fields it reads active and in place. What it proves is format 1's (`ValidatorProofs.Proven`).
/// @dev Differences from format 1, and why they keep the check sound across forks:
/// - A list element's depth follows from its index (`3L + 2` for level `L`, chunks
///   `(4^L - 1) / 3 ...` of a level): the proof's sibling count must equal `3L + 1`, computed
///   here from the index, never a fixed depth.
/// - The layout witness is the state's active-fields chunk (state node 3), carried by the proof
///   and required to mark fields 0-3, 11, 12 and 21 active; with `genesis_time` at node 4 (a
///   chunk, where any Electra/Fulu root has a hash) no other shape can pass. A later fork that
///   appends fields proves the same way; one that deprecates a field read here fails closed
///   (`FieldInactive`).
/// - The fork version is returned, not checked: EIP-7688 lets forks change it without moving any
///   field, and the active fields are what say the layout.
/// Every SHA-256 is a `staticcall` to 0x02 on the scratch words, as in `ValidatorProofs`.
library ProgressiveValidatorProofs {
    /// @notice A field the proof reads is marked inactive in the proven state's layout.
    error FieldInactive(uint256 field);
    /// @notice A list branch whose sibling count is not the `3L + 1` its index's level needs.
    error BranchLength(uint256 siblings, uint256 expected);

    /// @notice The format this library verifies.
    uint8 internal constant FORMAT_VERSION = 2;

    // Byte layout (FORMAT.md "Format 2"), held to the Rust encoder by
    // crates/contracts/tests/progressive_proofs.rs.
    uint256 private constant O_VERSION = 0;
    uint256 private constant O_PARTS = 1;
    uint256 private constant O_H10 = 2;
    uint256 private constant O_H4 = 34;
    uint256 private constant O_H3 = 66;
    uint256 private constant O_SLOT = 98;
    uint256 private constant O_FORK_PREVIOUS = 106;
    uint256 private constant O_FORK_CURRENT = 110;
    uint256 private constant O_FORK_EPOCH = 114;
    /// State node 3: the active-fields chunk.
    uint256 private constant O_ACTIVE_FIELDS = 122;
    /// State nodes 2945, 1473, 737, 369, 185, 178, 93, 88, 47, 45, 43, 32 bytes each.
    uint256 private constant O_S2945 = 154;
    uint256 private constant O_S1473 = 186;
    uint256 private constant O_S737 = 218;
    uint256 private constant O_S369 = 250;
    uint256 private constant O_S185 = 282;
    uint256 private constant O_S178 = 314;
    uint256 private constant O_S93 = 346;
    uint256 private constant O_S88 = 378;
    uint256 private constant O_S47 = 410;
    uint256 private constant O_S45 = 442;
    uint256 private constant O_S43 = 474;
    /// The `Validator`'s SSZ (121 bytes; `slashed` at +88).
    uint256 private constant O_PUBKEY = 506;
    uint256 private constant O_SLASHED = 594;
    uint256 private constant O_VALIDATORS_LENGTH = 627;
    uint256 private constant FIXED_LEN = 636;
    // Within a list part: chunk 32, length 8, count 1, siblings.
    uint256 private constant O_PART_TO_LENGTH = 32;
    uint256 private constant PART_HEAD_LEN = 41;

    /// @notice Verifies `proof` for validator `index` against `blockRoot` and returns what it
    /// proves; reverts with a named error otherwise (framing, layout and index checks before
    /// any hashing).
    /// @param proof The encoded proof (format 2), in calldata.
    /// @param index The validator index the caller vouches for.
    /// @param blockRoot The beacon block root the proof must reach (from EIP-4788).
    /// @param genesisTime The chain's `genesis_time` (state field 0, node 4).
    /// @param genesisValidatorsRoot The chain's `genesis_validators_root` (field 1, node 40).
    /// @return p The proven values.
    function verify(
        bytes calldata proof,
        uint64 index,
        bytes32 blockRoot,
        uint64 genesisTime,
        bytes32 genesisValidatorsRoot
    ) internal view returns (ValidatorProofs.Proven memory p) {
        (uint256 parts, uint256 oB, uint256 oI) = _frame(proof, index);
        _requireActive(ProofBytes.word(proof, O_ACTIVE_FIELDS));
        p = _decode(proof, index, parts, oB, oI);
        bytes32 v = _listRoot(proof, ValidatorProofs.validatorLeafAt(proof, O_PUBKEY), index, O_VALIDATORS_LENGTH);
        bytes32 b = parts & ValidatorProofs.PART_BALANCE != 0
            ? _listRoot(proof, ProofBytes.word(proof, oB), index >> 2, oB + O_PART_TO_LENGTH)
            : ProofBytes.word(proof, oB);
        bytes32 i = parts & ValidatorProofs.PART_INACTIVITY_SCORE != 0
            ? _listRoot(proof, ProofBytes.word(proof, oI), index >> 2, oI + O_PART_TO_LENGTH)
            : ProofBytes.word(proof, oI);
        bytes32 computed = _blockRoot(proof, v, b, i, genesisTime, genesisValidatorsRoot);
        if (computed != blockRoot) revert ValidatorProofs.ProofRootMismatch(blockRoot, computed);
    }

    /// @notice The level of chunk `c` in a progressive tree and the level's first chunk:
    /// levels hold 1, 4, 16, ... chunks, level `L` starting at `(4^L - 1) / 3`.
    function level(uint256 c) internal pure returns (uint256 l, uint256 start) {
        uint256 next = 1;
        while (c >= next) {
            start = next;
            next = 4 * next + 1;
            ++l;
        }
    }

    /// @dev Version, parts bits, `slashed` in {0, 1}, each sibling count equal to `3L + 1` for
    /// the level of its chunk, and a total length exactly the one the counts imply.
    function _frame(bytes calldata proof, uint64 index) private pure returns (uint256 parts, uint256 oB, uint256 oI) {
        uint256 len = proof.length;
        if (len == 0) revert ValidatorProofs.ProofMalformed();
        uint8 version = uint8(proof[O_VERSION]);
        if (version != FORMAT_VERSION) revert ValidatorProofs.ProofVersionUnsupported(version);
        if (len < FIXED_LEN) revert ValidatorProofs.ProofMalformed();
        parts = uint8(proof[O_PARTS]);
        uint256 allParts = ValidatorProofs.PART_BALANCE | ValidatorProofs.PART_INACTIVITY_SCORE;
        if (parts & ~allParts != 0) revert ValidatorProofs.ProofMalformed();
        if (uint8(proof[O_SLASHED]) > 1) revert ValidatorProofs.ProofMalformed();
        oB = FIXED_LEN + 32 * _count(proof, O_VALIDATORS_LENGTH, index);
        oI = _partEnd(proof, oB, parts & ValidatorProofs.PART_BALANCE != 0, index >> 2);
        uint256 end = _partEnd(proof, oI, parts & ValidatorProofs.PART_INACTIVITY_SCORE != 0, index >> 2);
        if (end != len) revert ValidatorProofs.ProofMalformed();
    }

    /// @dev The sibling count after the list length at `oLength`, which must be `3L + 1` for
    /// chunk `c`.
    function _count(bytes calldata proof, uint256 oLength, uint256 c) private pure returns (uint256 d) {
        if (proof.length < oLength + 9) revert ValidatorProofs.ProofMalformed();
        d = uint8(proof[oLength + 8]);
        (uint256 l,) = level(c);
        if (d != 3 * l + 1) revert BranchLength(d, 3 * l + 1);
    }

    /// @dev The end of the list part at `o`: its chunk, length, count and `3L + 1` siblings if
    /// proven, the list root if not.
    function _partEnd(bytes calldata proof, uint256 o, bool proven, uint256 c) private pure returns (uint256) {
        if (!proven) return o + 32;
        return o + PART_HEAD_LEN + 32 * _count(proof, o + O_PART_TO_LENGTH, c);
    }

    /// @dev Every field this proof reads (0-3: the witness, 11: validators, 12: balances, 21:
    /// inactivity_scores) must be active. Field `f` is bit `f % 8` of byte `f / 8` of the chunk.
    function _requireActive(bytes32 activeFields) private pure {
        uint8[7] memory read = [0, 1, 2, 3, 11, 12, 21];
        for (uint256 k; k < 7; ++k) {
            uint256 f = read[k];
            if (uint8(activeFields[f / 8]) & (1 << (f % 8)) == 0) revert FieldInactive(f);
        }
    }

    /// @dev The proven values and the index checks (`index < n` for every list proven).
    function _decode(bytes calldata proof, uint64 index, uint256 parts, uint256 oB, uint256 oI)
        private
        pure
        returns (ValidatorProofs.Proven memory p)
    {
        ValidatorProofs.decodeValidatorAt(proof, O_PUBKEY, p);
        p.slot = ProofBytes.le64(proof, O_SLOT);
        p.forkVersion = bytes4(ProofBytes.word(proof, O_FORK_CURRENT));
        p.registryLength = ProofBytes.le64(proof, O_VALIDATORS_LENGTH);
        if (index >= p.registryLength) revert ValidatorProofs.ValidatorIndexOutOfRange(index, p.registryLength);
        if (parts & ValidatorProofs.PART_BALANCE != 0) {
            uint64 n = ProofBytes.le64(proof, oB + O_PART_TO_LENGTH);
            if (index >= n) revert ValidatorProofs.BalanceIndexOutOfRange(index, n);
            p.hasBalance = true;
            p.balance = ProofBytes.le64(proof, oB + 8 * (index & 3));
        }
        if (parts & ValidatorProofs.PART_INACTIVITY_SCORE != 0) {
            uint64 n = ProofBytes.le64(proof, oI + O_PART_TO_LENGTH);
            if (index >= n) revert ValidatorProofs.InactivityScoreIndexOutOfRange(index, n);
            p.hasInactivityScore = true;
            p.inactivityScore = ProofBytes.le64(proof, oI + 8 * (index & 3));
        }
    }

    /// @dev `leaf`, chunk `c` of a progressive list, hashed to the list root: `2L` levels along
    /// its position in level `L`'s subtree, the spine sibling on the right, the `L` level roots
    /// on the left, then the length at `oLength` (its count byte and siblings follow it; the
    /// count was checked to be `3L + 1` by `_frame`).
    function _listRoot(bytes calldata proof, bytes32 leaf, uint256 c, uint256 oLength)
        private
        view
        returns (bytes32 root)
    {
        (uint256 l, uint256 start) = level(c);
        uint256 path = c - start;
        assembly ("memory-safe") {
            let sib := add(add(proof.offset, oLength), 9)
            let ok := 1
            mstore(0x00, leaf)
            // Inside the level's subtree: the node stays at 0x00, as in ValidatorProofs.
            for { let end := add(sib, shl(6, l)) } lt(sib, end) { sib := add(sib, 0x20) } {
                switch and(path, 1)
                case 0 { mstore(0x20, calldataload(sib)) }
                default {
                    mstore(0x20, mload(0x00))
                    mstore(0x00, calldataload(sib))
                }
                ok := and(ok, staticcall(gas(), 0x02, 0x00, 0x40, 0x00, 0x20))
                path := shr(1, path)
            }
            // The spine: this level on the left, the levels after it on the right.
            mstore(0x20, calldataload(sib))
            ok := and(ok, staticcall(gas(), 0x02, 0x00, 0x40, 0x00, 0x20))
            sib := add(sib, 0x20)
            // Up the spine: each earlier level's subtree on the left.
            for { let end := add(sib, shl(5, l)) } lt(sib, end) { sib := add(sib, 0x20) } {
                mstore(0x20, mload(0x00))
                mstore(0x00, calldataload(sib))
                ok := and(ok, staticcall(gas(), 0x02, 0x00, 0x40, 0x00, 0x20))
            }
            mstore(0x20, and(calldataload(add(proof.offset, oLength)), shl(192, 0xffffffffffffffff)))
            ok := and(ok, staticcall(gas(), 0x02, 0x00, 0x40, 0x00, 0x20))
            if iszero(ok) { revert(0x00, 0x00) }
            root := mload(0x00)
        }
    }

    /// @dev The state root from the witness leaves (genesis time at node 4, genesis validators
    /// root 40, slot 41, fork 42), the list roots (358, 359, 2944), the eleven helpers and the
    /// active fields (node 3); then the block root through the header's three siblings.
    function _blockRoot(
        bytes calldata proof,
        bytes32 v,
        bytes32 b,
        bytes32 i,
        uint64 genesisTime,
        bytes32 genesisValidatorsRoot
    ) private view returns (bytes32 root) {
        uint256 genesisTimeChunk = uint256(ProofBytes.bswap64(genesisTime)) << 192;
        assembly ("memory-safe") {
            function sha(x, y) -> r {
                mstore(0x00, x)
                mstore(0x20, y)
                if iszero(staticcall(gas(), 0x02, 0x00, 0x40, 0x00, 0x20)) { revert(0x00, 0x00) }
                r := mload(0x00)
            }
            function at(base, o) -> w {
                w := calldataload(add(base, o))
            }
            let base := proof.offset
            let m4 := shl(224, 0xffffffff)
            let forkRoot := sha(
                sha(and(at(base, O_FORK_PREVIOUS), m4), and(at(base, O_FORK_CURRENT), m4)),
                sha(and(at(base, O_FORK_EPOCH), shl(192, 0xffffffffffffffff)), 0)
            )
            // n10 = H(H(gvr, slot), H(fork, s43))
            let n10 := sha(
                sha(genesisValidatorsRoot, and(at(base, O_SLOT), shl(192, 0xffffffffffffffff))),
                sha(forkRoot, at(base, O_S43))
            )
            // n22 = H(H(s88, H(s178, H(V, B))), s45)
            let n22 := sha(sha(at(base, O_S88), sha(at(base, O_S178), sha(v, b))), at(base, O_S45))
            // n46: inactivity_scores is the first leaf of level 3's subtree.
            let n46 := sha(sha(sha(i, at(base, O_S2945)), at(base, O_S1473)), at(base, O_S737))
            n46 := sha(sha(sha(n46, at(base, O_S369)), at(base, O_S185)), at(base, O_S93))
            let n11 := sha(n22, sha(n46, at(base, O_S47)))
            let state := sha(sha(genesisTimeChunk, sha(n10, n11)), at(base, O_ACTIVE_FIELDS))
            root := sha(sha(at(base, O_H4), sha(at(base, O_H10), state)), at(base, O_H3))
        }
    }
}
