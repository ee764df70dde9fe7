// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

import {BeaconRoots} from "./BeaconRoots.sol";

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

    // Byte layout (FORMAT.md): offsets into the proof.
    uint256 private constant O_H10 = 2;
    uint256 private constant O_H4 = 34;
    uint256 private constant O_H3 = 66;
    uint256 private constant O_SLOT = 98;
    uint256 private constant O_FORK_PREVIOUS = 106;
    uint256 private constant O_FORK_CURRENT = 110;
    uint256 private constant O_FORK_EPOCH = 114;
    /// State nodes s84, s77, s74, s43, s39, s36, s20, s17, s11, s3 at 122 + 32·k.
    uint256 private constant O_STATE = 122;
    uint256 private constant O_PUBKEY = 442;
    uint256 private constant O_CREDENTIALS = 490;
    uint256 private constant O_EFFECTIVE_BALANCE = 522;
    uint256 private constant O_SLASHED = 530;
    uint256 private constant O_ACTIVATION_ELIGIBILITY = 531;
    uint256 private constant O_ACTIVATION = 539;
    uint256 private constant O_EXIT = 547;
    uint256 private constant O_WITHDRAWABLE = 555;
    uint256 private constant O_VALIDATORS_LENGTH = 563;
    uint256 private constant O_VALIDATORS_DEPTH = 571;
    /// The fixed part: everything before the `validators` siblings.
    uint256 private constant FIXED_LEN = 572;
    /// Within a proven list part: chunk 32, length 8, sibling count 1, then the siblings.
    uint256 private constant PART_HEAD_LEN = 41;
    /// `List[Validator, 2^40]`: data depth 40.
    uint256 private constant VALIDATORS_DEPTH = 40;
    /// `List[uint64, 2^40]`, 4 per chunk: data depth 38.
    uint256 private constant PACKED_DEPTH = 38;

    /// @dev `ZERO[0..39]` (FORMAT.md "Zero hashes"): `ZERO[h]` is the root of 2^h zero chunks.
    /// Copied to memory once per verification (solc copies a long literal with `codecopy`).
    bytes private constant ZERO_HASHES =
        hex"0000000000000000000000000000000000000000000000000000000000000000f5a5fd42d16a20302798ef6ed309979b43003d2320d9f0e8ea9831a92759fb4b"
        hex"db56114e00fdd4c1f85c892bf35ac9a89289aaecb1ebd0a96cde606a748b5d71c78009fdf07fc56a11f122370658a353aaa542ed63e44c4bc15ff4cd105ab33c"
        hex"536d98837f2dd165a55d5eeae91485954472d56f246df256bf3cae19352a123c9efde052aa15429fae05bad4d0b1d7c64da64d03d7a1854a588c2cb8430c0d30"
        hex"d88ddfeed400a8755596b21942c1497e114c302e6118290f91e6772976041fa187eb0ddba57e35f6d286673802a4af5975e22506c7cf4c64bb6be5ee11527f2c"
        hex"26846476fd5fc54a5d43385167c95144f2643f533cc85bb9d16b782f8d7db193506d86582d252405b840018792cad2bf1259f1ef5aa5f887e13cb2f0094f51e1"
        hex"ffff0ad7e659772f9534c195c815efc4014ef1e1daed4404c06385d11192e92b6cf04127db05441cd833107a52be852868890e4317e6a02ab47683aa75964220"
        hex"b7d05f875f140027ef5118a2247bbb84ce8f2f0f1123623085daf7960c329f5fdf6af5f5bbdb6be9ef8aa618e4bf8073960867171e29676f8b284dea6a08a85e"
        hex"b58d900f5e182e3c50ef74969ea16c7726c549757cc23523c369587da7293784d49a7502ffcfb0340b1d7885688500ca308161a7f96b62df9d083b71fcc8f2bb"
        hex"8fe6b1689256c0d385f42f5bbe2027a22c1996e110ba97c171d3e5948de92beb8d0d63c39ebade8509e0ae3c9c3876fb5fa112be18f905ecacfecb92057603ab"
        hex"95eec8b2e541cad4e91de38385f2e046619f54496c2382cb6cacd5b98c26f5a4f893e908917775b62bff23294dbbe3a1cd8e6cc1c35b4801887b646a6f81f17f"
        hex"cddba7b592e3133393c16194fac7431abf2f5485ed711db282183c819e08ebaa8a8d7fe3af8caa085a7639a832001457dfb9128a8061142ad0335629ff23ff9c"
        hex"feb3c337d7a51a6fbf00b9e34c52e1c9195c969bd4e7a0bfd51d5c5bed9c1167e71f0aa83cc32edfbefa9f4d3e0174ca85182eec9f3a09f6a6c0df6377a510d7"
        hex"31206fa80a50bb6abe29085058f16212212a60eec8f049fecb92d8c8e0a84bc021352bfecbeddde993839f614c3dac0a3ee37543f9b412b16199dc158e23b544"
        hex"619e312724bb6d7c3153ed9de791d764a366b389af13c58bf8a8d90481a467657cdd2986268250628d0c10e385c58c6191e6fbe05191bcc04f133f2cea72c1c4"
        hex"848930bd7ba8cac54661072113fb278869e07bb8587f91392933374d017bcbe18869ff2c22b28cc10510d9853292803328be4fb0e80495e8bb8d271f5b889636"
        hex"b5fe28e79f1b850f8658246ce9b6a1e7b49fc06db7143e8fe0b4f2b0c5523a5c985e929f70af28d0bdd1a90a808f977f597c7c778c489e98d3bd8910d31ac0f7"
        hex"c6f67e02e6e4e1bdefb994c6098953f34636ba2b6ca20a4721d2b26a886722ff1c9a7e5ff1cf48b4ad1582d3f4e4a1004f3b20d8c5a2b71387a4254ad933ebc5"
        hex"2f075ae229646b6f6aed19a5e372cf295081401eb893ff599b3f9acc0c0d3e7d328921deb59612076801e8cd61592107b5c67c79b846595cc6320c395b46362c"
        hex"bfb909fdb236ad2411b4e4883810a074b840464689986c3f8a8091827e17c32755d8fb3687ba3ba49f342c77f5a1f89bec83d811446e1a467139213d640b6a74"
        hex"f7210d4f8e7e1039790e7bf4efa207555a10a6db1dd4b95da313aaa88b88fe76ad21b516cbc645ffe34ab5de1c8aef8cd4e7f8d2b51e8e1456adc7563cda206f";

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
        bytes4 version = bytes4(_word(proof, O_FORK_CURRENT));
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
        uint8 version = uint8(proof[0]);
        if (version != FORMAT_VERSION) revert ProofVersionUnsupported(version);
        if (len < FIXED_LEN) revert ProofMalformed();
        parts = uint8(proof[1]);
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
        uint256 d = uint8(proof[o + 40]);
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
        p.pubkeyHead = _word(proof, O_PUBKEY);
        p.pubkeyTail = bytes16(_word(proof, O_PUBKEY + 32));
        p.withdrawalCredentials = _word(proof, O_CREDENTIALS);
        p.effectiveBalance = _le64(proof, O_EFFECTIVE_BALANCE);
        p.slashed = uint8(proof[O_SLASHED]) == 1;
        p.activationEligibilityEpoch = _le64(proof, O_ACTIVATION_ELIGIBILITY);
        p.activationEpoch = _le64(proof, O_ACTIVATION);
        p.exitEpoch = _le64(proof, O_EXIT);
        p.withdrawableEpoch = _le64(proof, O_WITHDRAWABLE);
        p.slot = _le64(proof, O_SLOT);
        p.forkVersion = bytes4(_word(proof, O_FORK_CURRENT));
        p.registryLength = _le64(proof, O_VALIDATORS_LENGTH);
        if (index >= p.registryLength) revert ValidatorIndexOutOfRange(index, p.registryLength);
        if (parts & PART_BALANCE != 0) {
            uint64 n = _le64(proof, oB + 32);
            if (index >= n) revert BalanceIndexOutOfRange(index, n);
            p.hasBalance = true;
            p.balance = _le64(proof, oB + 8 * (index & 3));
        }
        if (parts & PART_INACTIVITY_SCORE != 0) {
            uint64 n = _le64(proof, oI + 32);
            if (index >= n) revert InactivityScoreIndexOutOfRange(index, n);
            p.hasInactivityScore = true;
            p.inactivityScore = _le64(proof, oI + 8 * (index & 3));
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
        bytes memory zeros = ZERO_HASHES;
        // Step 4: `validators` (node 75), 40 levels along the bits of the index.
        bytes32 vr = _listRoot(proof, _validatorLeaf(proof), index, O_VALIDATORS_LENGTH, VALIDATORS_DEPTH, zeros);
        // Step 5: `balances` (node 76) and `inactivity_scores` (node 85), 38 levels along the bits
        // of the chunk index `index >> 2`, or the list root given.
        bytes32 br = parts & PART_BALANCE != 0
            ? _listRoot(proof, _word(proof, oB), index >> 2, oB + 32, PACKED_DEPTH, zeros)
            : _word(proof, oB);
        bytes32 ir = parts & PART_INACTIVITY_SCORE != 0
            ? _listRoot(proof, _word(proof, oI), index >> 2, oI + 32, PACKED_DEPTH, zeros)
            : _word(proof, oI);
        return _headerRoot(proof, anchor, vr, br, ir);
    }

    /// @dev Step 3: `hash_tree_root(Validator)` from its SSZ at offset 442 (8 hashes): the
    /// pubkey's two chunks, then the 8-leaf tree of the fields' chunks.
    function _validatorLeaf(bytes calldata proof) private view returns (bytes32 v) {
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
            let base := proof.offset
            // pubkey: H(pk[0:32], pk[32:48] ‖ 0^16); slashed: the byte ‖ 0^31.
            let pkRoot := sha(calldataload(add(base, 442)), and(calldataload(add(base, 474)), shl(128, not(0))))
            v := sha(
                sha(
                    sha(pkRoot, calldataload(add(base, 490))),
                    sha(u64Chunk(add(base, 522)), and(calldataload(add(base, 530)), shl(248, 0xff)))
                ),
                sha(
                    sha(u64Chunk(add(base, 531)), u64Chunk(add(base, 539))),
                    sha(u64Chunk(add(base, 547)), u64Chunk(add(base, 555)))
                )
            )
        }
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
            let count := byte(0, calldataload(add(add(proof.offset, oLength), 8)))
            let sib := add(add(proof.offset, oLength), 9)
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
        uint256 genesisTimeChunk = uint256(_bswap64(anchor.genesisTime)) << 192;
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
                    sha(and(calldataload(add(base, 106)), m4), and(calldataload(add(base, 110)), m4)),
                    sha(u64Chunk(add(base, 114)), 0)
                )
                w := sha(sha(gtc, gvr_), sha(u64Chunk(add(base, 98)), forkRoot))
            }
            // Step 6, second half, with the helpers s84 @122, s77 @154, s74 @186, s43 @218,
            // s39 @250, s36 @282, s20 @314, s17 @346, s11 @378, s3 @410.
            function stateRoot(base, w, v, b, i) -> s {
                // n9 = H(n18, n19), n18 = H(s36, H(s74, V)), n19 = H(H(B, s77), s39)
                let n9 := sha(
                    sha(calldataload(add(base, 282)), sha(calldataload(add(base, 186)), v)),
                    sha(sha(b, calldataload(add(base, 154))), calldataload(add(base, 250)))
                )
                // n4 = H(H(W, s17), n9)
                let n4 := sha(sha(w, calldataload(add(base, 346))), n9)
                // n5 = H(n10, s11), n10 = H(s20, n21), n21 = H(H(s84, I), s43)
                let n5 := sha(
                    sha(
                        calldataload(add(base, 314)),
                        sha(sha(calldataload(add(base, 122)), i), calldataload(add(base, 218)))
                    ),
                    calldataload(add(base, 378))
                )
                // stateRoot = H(H(n4, n5), s3)
                s := sha(sha(n4, n5), calldataload(add(base, 410)))
            }

            let s := stateRoot(proof.offset, witness(proof.offset, genesisTimeChunk, gvr), vr, br, ir)
            // Step 7: H(H(h4, H(h10, stateRoot)), h3), h10 @2, h4 @34, h3 @66.
            root := sha(
                sha(calldataload(add(proof.offset, 34)), sha(calldataload(add(proof.offset, 2)), s)),
                calldataload(add(proof.offset, 66))
            )
        }
    }

    /// @dev The 32 bytes of `proof` at `offset` (inside the checked frame).
    function _word(bytes calldata proof, uint256 offset) private pure returns (bytes32 w) {
        assembly ("memory-safe") {
            w := calldataload(add(proof.offset, offset))
        }
    }

    /// @dev The SSZ uint64 (little-endian) at `offset`.
    function _le64(bytes calldata proof, uint256 offset) private pure returns (uint64) {
        return _bswap64(uint256(_word(proof, offset)) >> 192);
    }

    /// @dev Reverses the byte order of the low 8 bytes of `x` (little-endian <-> big-endian).
    function _bswap64(uint256 x) private pure returns (uint64) {
        x = ((x & 0xFF00FF00FF00FF00) >> 8) | ((x & 0x00FF00FF00FF00FF) << 8);
        x = ((x & 0xFFFF0000FFFF0000) >> 16) | ((x & 0x0000FFFF0000FFFF) << 16);
        return uint64((x >> 32) | ((x & 0xFFFFFFFF) << 32));
    }
}
