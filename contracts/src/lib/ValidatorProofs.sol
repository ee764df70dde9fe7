// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

import {BeaconRoots} from "./BeaconRoots.sol";
import {ProofBytes} from "./ProofBytes.sol";

/// @title ValidatorProofs
/// @notice Verifies an lsv validator proof (format 1, `crates/proofs/FORMAT.md`) against a beacon
/// block root: one validator's registry entry, optionally its balance and inactivity score, the
/// registry length, and the layout witness (state node 16: genesis time, genesis validators root,
/// slot, fork).
/// @dev Internal functions only, so the checks inline into the caller and the chain's constants
/// (an `Anchor`) come from its immutables. Every SHA-256 is a `staticcall` to the precompile at
/// 0x02 on the scratch words 0x00-0x3f (SSZ `hash(a ‖ b)`, `ssz/merkle-proofs.md`). The proof is
/// read in place from calldata at FORMAT.md's fixed offsets; nothing is ABI-decoded. Section names
/// below ("Byte layout", "Verification", step N) are FORMAT.md's.
library ValidatorProofs {
    /// @notice What the verifier knows independently of any proof (immutable in a vault).
    /// @param genesisTime The chain's `genesis_time` (state field 0).
    /// @param genesisValidatorsRoot The chain's `genesis_validators_root` (state field 1).
    /// @param forkVersions Up to eight `fork.current_version`s whose state layout this verifier
    /// knows (Electra and Fulu), packed from the most significant end, 4 bytes each; unused slots
    /// are zero. The version `0x00000000` is never accepted (phase0's genesis version on mainnet;
    /// its layout is not this one), so zero slots match nothing.
    struct Anchor {
        uint64 genesisTime;
        bytes32 genesisValidatorsRoot;
        bytes32 forkVersions;
    }

    /// @notice What a verified proof establishes about validator `index` in the post-state of the
    /// block whose root was checked. Integers are converted from SSZ little-endian.
    struct Proven {
        /// `pubkey[0:32]`.
        bytes32 pubkeyHead;
        /// `pubkey[32:48]`.
        bytes16 pubkeyTail;
        bytes32 withdrawalCredentials;
        /// Gwei.
        uint64 effectiveBalance;
        bool slashed;
        uint64 activationEligibilityEpoch;
        uint64 activationEpoch;
        uint64 exitEpoch;
        uint64 withdrawableEpoch;
        /// `state.slot`.
        uint64 slot;
        /// `state.fork.current_version` (one of the anchor's).
        bytes4 forkVersion;
        /// `len(state.validators)`.
        uint64 registryLength;
        /// Whether the proof carried the balance chunk (parts bit 0).
        bool hasBalance;
        /// `state.balances[index]` in gwei, if `hasBalance`, else 0.
        uint64 balance;
        /// Whether the proof carried the inactivity-score chunk (parts bit 1).
        bool hasInactivityScore;
        /// `state.inactivity_scores[index]`, if `hasInactivityScore`, else 0.
        uint64 inactivityScore;
    }

    /// @notice The proof's first byte is not a format this verifier implements (only 1).
    error ProofVersionUnsupported(uint8 version);
    /// @notice The proof's framing is wrong: empty, shorter than the fixed part, unknown parts
    /// bits, a sibling count above the list's depth (40 / 38), `slashed` not 0 or 1, or a total
    /// length other than the one its counts imply (truncated or trailing bytes).
    error ProofMalformed();
    /// @notice The state's `fork.current_version` is not one whose layout the anchor lists.
    error UnknownForkVersion(bytes4 version);
    /// @notice `index` is not below the proven `len(validators)`.
    error ValidatorIndexOutOfRange(uint64 index, uint64 length);
    /// @notice `index` is not below the proven `len(balances)`.
    error BalanceIndexOutOfRange(uint64 index, uint64 length);
    /// @notice `index` is not below the proven `len(inactivity_scores)`.
    error InactivityScoreIndexOutOfRange(uint64 index, uint64 length);
    /// @notice The proof hashes to `computed`, not to the block root `expected`.
    error ProofRootMismatch(bytes32 expected, bytes32 computed);

    /// @notice The only format this library verifies.
    uint8 internal constant FORMAT_VERSION = 1;
    /// @notice Parts bit 0: the balance chunk is proven.
    uint256 internal constant PART_BALANCE = 1;
    /// @notice Parts bit 1: the inactivity-score chunk is proven.
    uint256 internal constant PART_INACTIVITY_SCORE = 2;
    /// @notice `FAR_FUTURE_EPOCH` (phase0 `beacon-chain.md`), the exit epoch of a validator that
    /// has not initiated an exit.
    uint64 internal constant FAR_FUTURE_EPOCH = type(uint64).max;

    // Byte layout (FORMAT.md): offsets into the proof, each documented with FORMAT.md's name for
    // the field and held to its table by crates/proofs/tests/solidity_offsets.rs. Plain literals,
    // so that the inline assembly can name them too.
    /// format version.
    uint256 private constant O_VERSION = 0;
    /// parts (bit 0 balance, bit 1 inactivity).
    uint256 private constant O_PARTS = 1;
    /// `h10`: header node 10 (`parent_root`).
    uint256 private constant O_H10 = 2;
    /// `h4`: header node 4 (`H(slot, proposer_index)`).
    uint256 private constant O_H4 = 34;
    /// `h3`: header node 3 (`H(H(body_root, 0), ZERO[1])`).
    uint256 private constant O_H3 = 66;
    /// `slot`.
    uint256 private constant O_SLOT = 98;
    /// `fork.previous_version`.
    uint256 private constant O_FORK_PREVIOUS = 106;
    /// `fork.current_version`.
    uint256 private constant O_FORK_CURRENT = 110;
    /// `fork.epoch`.
    uint256 private constant O_FORK_EPOCH = 114;
    /// State node `s84`.
    uint256 private constant O_S84 = 122;
    /// State node `s77`.
    uint256 private constant O_S77 = 154;
    /// State node `s74`.
    uint256 private constant O_S74 = 186;
    /// State node `s43`.
    uint256 private constant O_S43 = 218;
    /// State node `s39`.
    uint256 private constant O_S39 = 250;
    /// State node `s36`.
    uint256 private constant O_S36 = 282;
    /// State node `s20`.
    uint256 private constant O_S20 = 314;
    /// State node `s17`.
    uint256 private constant O_S17 = 346;
    /// State node `s11`.
    uint256 private constant O_S11 = 378;
    /// State node `s3`.
    uint256 private constant O_S3 = 410;
    /// `Validator.pubkey` (48 bytes: `pubkey[0:32]` here, `pubkey[32:48]` at `O_PUBKEY + 32`).
    uint256 private constant O_PUBKEY = 442;
    /// `Validator.withdrawal_credentials`.
    uint256 private constant O_CREDENTIALS = 490;
    /// `Validator.effective_balance`.
    uint256 private constant O_EFFECTIVE_BALANCE = 522;
    /// `Validator.slashed`.
    uint256 private constant O_SLASHED = 530;
    /// `Validator.activation_eligibility_epoch`.
    uint256 private constant O_ACTIVATION_ELIGIBILITY = 531;
    /// `Validator.activation_epoch`.
    uint256 private constant O_ACTIVATION = 539;
    /// `Validator.exit_epoch`.
    uint256 private constant O_EXIT = 547;
    /// `Validator.withdrawable_epoch`.
    uint256 private constant O_WITHDRAWABLE = 555;
    /// `nV` = `len(validators)`.
    uint256 private constant O_VALIDATORS_LENGTH = 563;
    /// `dV`, the number of explicit `validators` siblings.
    uint256 private constant O_VALIDATORS_DEPTH = 571;
    /// The fixed part: everything before the `validators` siblings.
    uint256 private constant FIXED_LEN = 572;
    // Within a list part at `oB` or `oI` (FORMAT.md: `chunk` 32, `nB` 8, `dB` 1, siblings), and
    // from any list's length to what follows it (`nV`, `dV`, siblings have the same shape).
    /// `nB` / `nI`, from the start of a proven part.
    uint256 private constant O_PART_TO_LENGTH = 32;
    /// `dB` / `dI`, from the start of a proven part.
    uint256 private constant O_PART_TO_COUNT = 40;
    /// The part's siblings, from its start: chunk 32, length 8, sibling count 1.
    uint256 private constant PART_HEAD_LEN = 41;
    /// `dV` / `dB` / `dI`, from the list's length (`nV` / `nB` / `nI`).
    uint256 private constant O_LENGTH_TO_COUNT = 8;
    /// The list's first sibling, from its length.
    uint256 private constant O_LENGTH_TO_SIBLINGS = 9;
    /// `List[Validator, 2^40]`: data depth 40.
    uint256 private constant VALIDATORS_DEPTH = 40;
    /// `List[uint64, 2^40]`, 4 per chunk: data depth 38.
    uint256 private constant PACKED_DEPTH = 38;


    /// @notice Verifies `proof` for validator `index` against the parent beacon block root that
    /// EIP-4788 holds for the execution block at `timestamp` (FORMAT.md, "Which root").
    /// @dev Reverts with `BeaconRoots.BeaconRootUnavailable(timestamp)` if there is no such root
    /// (missed slot, older than 8191 blocks, future), otherwise as `verify`.
    /// @param proof The encoded proof (FORMAT.md "Byte layout"), in calldata.
    /// @param index The validator index the caller vouches for (not carried by the proof).
    /// @param timestamp An execution block timestamp within the EIP-4788 window.
    /// @param anchor The chain's genesis and the known fork versions.
    /// @return The proven values.
    function verifyAt(bytes calldata proof, uint64 index, uint256 timestamp, Anchor memory anchor)
        internal
        view
        returns (Proven memory)
    {
        return verify(proof, index, BeaconRoots.get(timestamp), anchor);
    }

    /// @notice Verifies `proof` for validator `index` against the beacon block root `blockRoot`
    /// and returns what it proves; reverts with a named error otherwise.
    /// @dev FORMAT.md "Verification", in its order: frame (step 1), fork (2), the index checks of
    /// steps 4 and 5 before any hashing, then the hashes of steps 3-7 and the comparison with
    /// `blockRoot`. 71 SHA-256 calls, plus 39 per proven list part.
    /// @param proof The encoded proof, in calldata.
    /// @param index The validator index the caller vouches for.
    /// @param blockRoot The beacon block root the proof must reach (from EIP-4788).
    /// @param anchor The chain's genesis and the known fork versions.
    /// @return p The proven values.
    function verify(bytes calldata proof, uint64 index, bytes32 blockRoot, Anchor memory anchor)
        internal
        view
        returns (Proven memory p)
    {
        (uint256 parts, uint256 oB, uint256 oI) = _frame(proof);
        bytes4 version = bytes4(ProofBytes.word(proof, O_FORK_CURRENT));
        if (!isKnownForkVersion(anchor.forkVersions, version)) revert UnknownForkVersion(version);
        p = _decode(proof, index, parts, oB, oI);
        bytes32 computed = _blockRoot(proof, index, parts, oB, oI, anchor);
        if (computed != blockRoot) revert ProofRootMismatch(blockRoot, computed);
    }

    /// @notice Whether `version` is one of the (non-zero) versions packed in `versions`.
    /// @param versions Up to eight 4-byte versions from the most significant end, zero-padded.
    /// @param version A `fork.current_version`.
    /// @return True if `version` is non-zero and listed.
    function isKnownForkVersion(bytes32 versions, bytes4 version) internal pure returns (bool) {
        if (version == bytes4(0)) return false;
        for (uint256 k; k < 8; ++k) {
            if (bytes4(versions << (32 * k)) == version) return true;
        }
        return false;
    }

    /// @dev Step 1: version, parts bits, `slashed` in {0, 1}, sibling counts within the depths,
    /// and a total length exactly equal to the one the counts imply. Returns the parts byte and
    /// the offsets of the balance part (`oB`) and the inactivity part (`oI`).
    function _frame(bytes calldata proof) private pure returns (uint256 parts, uint256 oB, uint256 oI) {
        uint256 len = proof.length;
        if (len == 0) revert ProofMalformed();
        uint8 version = uint8(proof[O_VERSION]);
        if (version != FORMAT_VERSION) revert ProofVersionUnsupported(version);
        if (len < FIXED_LEN) revert ProofMalformed();
        parts = uint8(proof[O_PARTS]);
        if (parts & ~(PART_BALANCE | PART_INACTIVITY_SCORE) != 0) revert ProofMalformed();
        // SSZ `boolean` is 0x00 or 0x01; the Rust reference refuses anything else as malformed.
        if (uint8(proof[O_SLASHED]) > 1) revert ProofMalformed();
        uint256 dV = uint8(proof[O_VALIDATORS_DEPTH]);
        if (dV > VALIDATORS_DEPTH) revert ProofMalformed();
        oB = FIXED_LEN + 32 * dV;
        oI = _partEnd(proof, oB, parts & PART_BALANCE != 0);
        if (_partEnd(proof, oI, parts & PART_INACTIVITY_SCORE != 0) != len) revert ProofMalformed();
    }

    /// @dev The end of the list part at `o`: `o + 41 + 32·d` if proven (with `d ≤ 38` read from
    /// inside the proof), `o + 32` (the list root) if omitted.
    function _partEnd(bytes calldata proof, uint256 o, bool proven) private pure returns (uint256) {
        if (!proven) return o + 32;
        if (proof.length < o + PART_HEAD_LEN) revert ProofMalformed();
        uint256 d = uint8(proof[o + O_PART_TO_COUNT]);
        if (d > PACKED_DEPTH) revert ProofMalformed();
        return o + PART_HEAD_LEN + 32 * d;
    }

    /// @dev The proven values, and the index checks of steps 4 and 5 (`index < n` for each list
    /// proven). Reads only inside the frame `_frame` checked.
    function _decode(bytes calldata proof, uint64 index, uint256 parts, uint256 oB, uint256 oI)
        private
        pure
        returns (Proven memory p)
    {
        decodeValidatorAt(proof, O_PUBKEY, p);
        p.slot = ProofBytes.le64(proof, O_SLOT);
        p.forkVersion = bytes4(ProofBytes.word(proof, O_FORK_CURRENT));
        p.registryLength = ProofBytes.le64(proof, O_VALIDATORS_LENGTH);
        if (index >= p.registryLength) revert ValidatorIndexOutOfRange(index, p.registryLength);
        if (parts & PART_BALANCE != 0) {
            uint64 n = ProofBytes.le64(proof, oB + O_PART_TO_LENGTH);
            if (index >= n) revert BalanceIndexOutOfRange(index, n);
            p.hasBalance = true;
            p.balance = ProofBytes.le64(proof, oB + 8 * (index & 3));
        }
        if (parts & PART_INACTIVITY_SCORE != 0) {
            uint64 n = ProofBytes.le64(proof, oI + O_PART_TO_LENGTH);
            if (index >= n) revert InactivityScoreIndexOutOfRange(index, n);
            p.hasInactivityScore = true;
            p.inactivityScore = ProofBytes.le64(proof, oI + 8 * (index & 3));
        }
    }

    /// @dev Steps 3-7: the block root the proof leads to. The frame and the indices are checked.
    function _blockRoot(
        bytes calldata proof,
        uint64 index,
        uint256 parts,
        uint256 oB,
        uint256 oI,
        Anchor memory anchor
    ) private view returns (bytes32) {
        bytes memory zeros = ProofBytes.ZERO_HASHES;
        // Step 4: `validators` (node 75), 40 levels along the bits of the index.
        bytes32 vr = _listRoot(proof, validatorLeafAt(proof, O_PUBKEY), index, O_VALIDATORS_LENGTH, VALIDATORS_DEPTH, zeros);
        // Step 5: `balances` (node 76) and `inactivity_scores` (node 85), 38 levels along the bits
        // of the chunk index `index >> 2`, or the list root given.
        bytes32 br = parts & PART_BALANCE != 0
            ? _listRoot(proof, ProofBytes.word(proof, oB), index >> 2, oB + O_PART_TO_LENGTH, PACKED_DEPTH, zeros)
            : ProofBytes.word(proof, oB);
        bytes32 ir = parts & PART_INACTIVITY_SCORE != 0
            ? _listRoot(proof, ProofBytes.word(proof, oI), index >> 2, oI + O_PART_TO_LENGTH, PACKED_DEPTH, zeros)
            : ProofBytes.word(proof, oI);
        return _headerRoot(proof, anchor, vr, br, ir);
    }

    /// @dev Step 3: `hash_tree_root(Validator)` from its SSZ at offset `o` of the proof (8
    /// hashes): the pubkey's two chunks, then the 8-leaf tree of the fields' chunks. Format 2
    /// (`ProgressiveValidatorProofs`) shares it: its `Validator` is laid out as format 1's, `o -
    /// O_PUBKEY` bytes further on.
    function validatorLeafAt(bytes calldata proof, uint256 o) internal view returns (bytes32 v) {
        uint256 shift = o - O_PUBKEY;
        assembly ("memory-safe") {
            // H(a, b) = SHA-256(a ‖ b), on the scratch words. The precompile only fails out of gas.
            function sha(a, b) -> r {
                mstore(0x00, a)
                mstore(0x20, b)
                if iszero(staticcall(gas(), 0x02, 0x00, 0x40, 0x00, 0x20)) { revert(0x00, 0x00) }
                r := mload(0x00)
            }
            // chunk(x) of the 8-byte little-endian integer at calldata `ptr`: x ‖ 0^24.
            function u64Chunk(ptr) -> c {
                c := and(calldataload(ptr), shl(192, 0xffffffffffffffff))
            }
            let base := add(proof.offset, shift)
            // pubkey: H(pk[0:32], pk[32:48] ‖ 0^16); slashed: the byte ‖ 0^31.
            let pkRoot := sha(
                calldataload(add(base, O_PUBKEY)), and(calldataload(add(base, add(O_PUBKEY, 32))), shl(128, not(0)))
            )
            v := sha(
                sha(
                    sha(pkRoot, calldataload(add(base, O_CREDENTIALS))),
                    sha(
                        u64Chunk(add(base, O_EFFECTIVE_BALANCE)),
                        and(calldataload(add(base, O_SLASHED)), shl(248, 0xff))
                    )
                ),
                sha(
                    sha(u64Chunk(add(base, O_ACTIVATION_ELIGIBILITY)), u64Chunk(add(base, O_ACTIVATION))),
                    sha(u64Chunk(add(base, O_EXIT)), u64Chunk(add(base, O_WITHDRAWABLE)))
                )
            )
        }
    }

    /// @dev The `Validator`'s fields from its SSZ at offset `o` into `p` (laid out as format 1's,
    /// `o - O_PUBKEY` bytes further on).
    function decodeValidatorAt(bytes calldata proof, uint256 o, Proven memory p) internal pure {
        uint256 shift = o - O_PUBKEY;
        p.pubkeyHead = ProofBytes.word(proof, shift + O_PUBKEY);
        p.pubkeyTail = bytes16(ProofBytes.word(proof, shift + O_PUBKEY + 32));
        p.withdrawalCredentials = ProofBytes.word(proof, shift + O_CREDENTIALS);
        p.effectiveBalance = ProofBytes.le64(proof, shift + O_EFFECTIVE_BALANCE);
        p.slashed = uint8(proof[shift + O_SLASHED]) == 1;
        p.activationEligibilityEpoch = ProofBytes.le64(proof, shift + O_ACTIVATION_ELIGIBILITY);
        p.activationEpoch = ProofBytes.le64(proof, shift + O_ACTIVATION);
        p.exitEpoch = ProofBytes.le64(proof, shift + O_EXIT);
        p.withdrawableEpoch = ProofBytes.le64(proof, shift + O_WITHDRAWABLE);
    }

    /// @dev The loop of step 4 (and 5): `leaf` hashed up `depth` levels along the bits of
    /// `path`, with the proof's siblings for the lowest levels and `ZERO[h]` above, then the
    /// length mixed in. `oLength` is the offset of the list's uint64 length; its sibling count
    /// byte follows it and the siblings follow that (FORMAT.md "Byte layout").
    function _listRoot(
        bytes calldata proof,
        bytes32 leaf,
        uint256 path,
        uint256 oLength,
        uint256 depth,
        bytes memory zeros
    ) private view returns (bytes32 root) {
        assembly ("memory-safe") {
            let count := byte(0, calldataload(add(add(proof.offset, oLength), O_LENGTH_TO_COUNT)))
            let sib := add(add(proof.offset, oLength), O_LENGTH_TO_SIBLINGS)
            let end := add(sib, shl(5, count))
            let ok := 1
            // The node stays at 0x00 (the precompile writes each hash there): a level where it is
            // the left child only stores the sibling at 0x20; where it is the right child, it
            // moves to 0x20 and the sibling goes to 0x00.
            mstore(0x00, leaf)
            for {} lt(sib, end) { sib := add(sib, 0x20) } {
                switch and(path, 1)
                case 0 { mstore(0x20, calldataload(sib)) }
                default {
                    mstore(0x20, mload(0x00))
                    mstore(0x00, calldataload(sib))
                }
                ok := and(ok, staticcall(gas(), 0x02, 0x00, 0x40, 0x00, 0x20))
                path := shr(1, path)
            }
            // Levels count .. depth-1: the sibling is ZERO[level].
            sib := add(add(zeros, 0x20), shl(5, count))
            end := add(add(zeros, 0x20), shl(5, depth))
            for {} lt(sib, end) { sib := add(sib, 0x20) } {
                switch and(path, 1)
                case 0 { mstore(0x20, mload(sib)) }
                default {
                    mstore(0x20, mload(0x00))
                    mstore(0x00, mload(sib))
                }
                ok := and(ok, staticcall(gas(), 0x02, 0x00, 0x40, 0x00, 0x20))
                path := shr(1, path)
            }
            // H(node, chunk(length)).
            mstore(0x20, and(calldataload(add(proof.offset, oLength)), shl(192, 0xffffffffffffffff)))
            ok := and(ok, staticcall(gas(), 0x02, 0x00, 0x40, 0x00, 0x20))
            // The precompile fails only when out of gas.
            if iszero(ok) { revert(0x00, 0x00) }
            root := mload(0x00)
        }
    }

    /// @dev Steps 6 and 7: the witness from the anchor's genesis and the proven slot and fork,
    /// the state root from nodes 16, 75, 76, 85 and the ten state helpers, the block root from the
    /// state root and the three header siblings.
    function _headerRoot(bytes calldata proof, Anchor memory anchor, bytes32 vr, bytes32 br, bytes32 ir)
        private
        view
        returns (bytes32 root)
    {
        // chunk(genesis_time): the uint64 little-endian, left-aligned.
        uint256 genesisTimeChunk = uint256(ProofBytes.bswap64(anchor.genesisTime)) << 192;
        bytes32 gvr = anchor.genesisValidatorsRoot;
        assembly ("memory-safe") {
            function sha(a, b) -> r {
                mstore(0x00, a)
                mstore(0x20, b)
                if iszero(staticcall(gas(), 0x02, 0x00, 0x40, 0x00, 0x20)) { revert(0x00, 0x00) }
                r := mload(0x00)
            }
            function u64Chunk(ptr) -> c {
                c := and(calldataload(ptr), shl(192, 0xffffffffffffffff))
            }
            // Step 6, first half: the witness, state node 16 =
            // H(H(chunk(genesis_time), gvr), H(chunk(slot), hash_tree_root(fork))).
            function witness(base, gtc, gvr_) -> w {
                let m4 := shl(224, 0xffffffff)
                let forkRoot := sha(
                    sha(
                        and(calldataload(add(base, O_FORK_PREVIOUS)), m4),
                        and(calldataload(add(base, O_FORK_CURRENT)), m4)
                    ),
                    sha(u64Chunk(add(base, O_FORK_EPOCH)), 0)
                )
                w := sha(sha(gtc, gvr_), sha(u64Chunk(add(base, O_SLOT)), forkRoot))
            }
            // Step 6, second half, with the ten state helpers `s84` ... `s3`.
            function stateRoot(base, w, v, b, i) -> s {
                // n9 = H(n18, n19), n18 = H(s36, H(s74, V)), n19 = H(H(B, s77), s39)
                let n9 := sha(
                    sha(calldataload(add(base, O_S36)), sha(calldataload(add(base, O_S74)), v)),
                    sha(sha(b, calldataload(add(base, O_S77))), calldataload(add(base, O_S39)))
                )
                // n4 = H(H(W, s17), n9)
                let n4 := sha(sha(w, calldataload(add(base, O_S17))), n9)
                // n5 = H(n10, s11), n10 = H(s20, n21), n21 = H(H(s84, I), s43)
                let n5 := sha(
                    sha(
                        calldataload(add(base, O_S20)),
                        sha(sha(calldataload(add(base, O_S84)), i), calldataload(add(base, O_S43)))
                    ),
                    calldataload(add(base, O_S11))
                )
                // stateRoot = H(H(n4, n5), s3)
                s := sha(sha(n4, n5), calldataload(add(base, O_S3)))
            }

            let s := stateRoot(proof.offset, witness(proof.offset, genesisTimeChunk, gvr), vr, br, ir)
            // Step 7: H(H(h4, H(h10, stateRoot)), h3).
            root := sha(
                sha(calldataload(add(proof.offset, O_H4)), sha(calldataload(add(proof.offset, O_H10)), s)),
                calldataload(add(proof.offset, O_H3))
            )
        }
    }
}
