// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

import {ProgressiveValidatorProofs} from "./ProgressiveValidatorProofs.sol";
import {ProofBytes} from "./ProofBytes.sol";
import {WithdrawalProofs} from "./WithdrawalProofs.sol";

/// @title ProgressiveWithdrawalProofs
/// @notice Verifies an lsv withdrawal proof of format 2 (`crates/proofs/FORMAT.md`, "Withdrawal
/// proof — format 2"): that a withdrawal was paid under ePBS (Gloas, EIP-7732), where it is no
/// longer in any beacon block. The proof shows `payload_expected_withdrawals[j]` of a state
/// `S_a` and, in the post-state `S_b` of the EIP-4788 anchor, that `S_a`'s root is
/// `state_roots[a mod SLOTS_PER_HISTORICAL_ROOT]` and that the withdrawal's global index is below
/// `next_withdrawal_index - len(payload_expected_withdrawals)`: the watermark under which every
/// withdrawal was paid by a delivered payload (both change only together, after a delivered
/// parent payload carried the previous list). Committed but unpaid withdrawals are refused
/// (`WithdrawalNotYetPaid`). Each state's layout is its active fields, as for validator proofs.
/// Route 3 reaches `S_a` through the anchor's `state_roots` (`SLOTS_PER_HISTORICAL_ROOT` slots
/// back); route 4 through its `historical_summaries[k].state_summary_root` and that period's
/// `state_roots` (any summarized period), so a payment left unsettled for longer is still proven.
/// @dev What it returns is `WithdrawalProofs.Proven` with the route; `slot` is `a` and
/// `blockRoot` is `S_a`'s state root. A withdrawal stays listed in several states while payloads
/// are withheld: callers count it once by its global index, as for format 1.
library ProgressiveWithdrawalProofs {
    /// @notice The withdrawal's index is not below the anchor state's watermark: listed (and
    /// debited), not shown paid.
    error WithdrawalNotYetPaid(uint64 index, uint64 watermark);
    /// @notice `a` is not among the `SLOTS_PER_HISTORICAL_ROOT` slots before the anchor's.
    error PaidStateOutsideStateRoots(uint64 slot, uint64 anchorSlot);

    /// @notice The format this library verifies.
    uint8 internal constant FORMAT_VERSION = 2;
    /// @notice Route 3: `S_a` through the anchor state's `state_roots`.
    uint8 internal constant ROUTE_STATE_ROOTS = 3;
    /// @notice Route 4: `S_a` through the anchor state's `historical_summaries`.
    uint8 internal constant ROUTE_HISTORICAL_SUMMARIES = 4;

    // Byte layout (FORMAT.md): the anchor part at fixed offsets, the route's nodes and branches,
    // then `S_a`'s from `oA`.
    uint256 private constant O_VERSION = 0;
    uint256 private constant O_ROUTE = 1;
    uint256 private constant O_H10 = 2;
    uint256 private constant O_H4 = 34;
    uint256 private constant O_H3 = 66;
    uint256 private constant O_ANCHOR_SLOT = 98;
    uint256 private constant O_FORK_PREVIOUS = 106;
    uint256 private constant O_FORK_CURRENT = 110;
    uint256 private constant O_FORK_EPOCH = 114;
    uint256 private constant O_ANCHOR_ACTIVE = 122;
    uint256 private constant O_NEXT_INDEX = 154;
    uint256 private constant O_EXPECTED_LENGTH = 162;
    /// Route 3: anchor nodes 5934, 2966, 2949, 1482, 1475, 740, 736, 371, 369, 352, 177, 93, 89,
    /// 47, 45, 43. Route 4: 5934, 2966, 2951, 2949, 1482, 740, 736, 371, 369, 93, 47, 43, 22.
    uint256 private constant O_ANCHOR_NODES = 170;
    /// The count `dR` of `state_roots` siblings, then the siblings (route 3: the anchor's; route
    /// 4: the period's).
    uint256 private constant O_STATE_ROOTS_COUNT_3 = 682;
    uint256 private constant O_STATE_ROOTS_COUNT_4 = 586;
    // Route 4, from `oH` (after the `state_roots` siblings): `block_summary_root`, then the
    // summaries branch `WithdrawalProofs.summariesRoot` reads (length 8, count 1, siblings).
    uint256 private constant H_BLOCK_SUMMARY_ROOT = 0;
    uint256 private constant H_LENGTH = 32;
    uint256 private constant H_COUNT = 40;
    uint256 private constant H_SIBLINGS = 41;
    // From `oA`.
    uint256 private constant A_SLOT = 0;
    uint256 private constant A_ACTIVE = 8;
    /// `S_a` nodes 2966, 1482, 740, 371, 184, 93, 47, 43, 42, 22.
    uint256 private constant A_NODES = 40;
    uint256 private constant A_POSITION = 360;
    uint256 private constant A_INDEX = 361;
    uint256 private constant A_VALIDATOR = 369;
    uint256 private constant A_ADDRESS = 377;
    uint256 private constant A_AMOUNT = 397;
    uint256 private constant A_LENGTH = 405;
    uint256 private constant A_COUNT = 413;
    uint256 private constant A_SIBLINGS = 414;

    /// @notice Verifies `proof` against `blockRoot` for a chain of genesis `genesisTime` /
    /// `genesisValidatorsRoot` whose `state_roots` has `2^stateRootsDepth` entries and whose
    /// `historical_summaries` start at `capellaSlot`.
    /// @param proof The encoded proof (withdrawal format 2), in calldata.
    /// @param blockRoot The anchor block root (from EIP-4788).
    /// @param genesisTime The chain's `genesis_time`.
    /// @param genesisValidatorsRoot The chain's `genesis_validators_root`.
    /// @param stateRootsDepth `log2(SLOTS_PER_HISTORICAL_ROOT)`.
    /// @param capellaSlot `CAPELLA_FORK_EPOCH * SLOTS_PER_EPOCH` (route 4's
    /// `k = a / SLOTS_PER_HISTORICAL_ROOT - capellaSlot / SLOTS_PER_HISTORICAL_ROOT`).
    /// @return p The paid withdrawal, its position, `a`, `S_a`'s root, the route, `b`, the fork.
    function verify(
        bytes calldata proof,
        bytes32 blockRoot,
        uint64 genesisTime,
        bytes32 genesisValidatorsRoot,
        uint256 stateRootsDepth,
        uint64 capellaSlot
    ) internal view returns (WithdrawalProofs.Proven memory p) {
        (uint256 oR, uint256 oA) = _frame(proof, stateRootsDepth);
        p.route = uint8(proof[O_ROUTE]);
        bool viaSummaries = p.route == ROUTE_HISTORICAL_SUMMARIES;
        _requireActive(ProofBytes.word(proof, O_ANCHOR_ACTIVE), viaSummaries ? HISTORICAL_ANCHOR_FIELDS : ANCHOR_FIELDS);
        _requireActive(ProofBytes.word(proof, oA + A_ACTIVE), PAID_FIELDS);
        p.slot = ProofBytes.le64(proof, oA + A_SLOT);
        p.anchorSlot = ProofBytes.le64(proof, O_ANCHOR_SLOT);
        uint256 oH = oR + 1 + 32 * stateRootsDepth;
        if (viaSummaries) {
            uint256 period = p.slot >> stateRootsDepth;
            uint256 first = capellaSlot >> stateRootsDepth;
            if (period < first) revert WithdrawalProofs.WithdrawalSlotBeforeHistoricalSummaries(p.slot, capellaSlot);
            uint64 n = ProofBytes.le64(proof, oH + H_LENGTH);
            if (period - first >= n) revert WithdrawalProofs.HistoricalSummaryOutOfRange(uint64(period - first), n);
        } else if (!(p.slot < p.anchorSlot && p.anchorSlot - p.slot <= (1 << stateRootsDepth))) {
            revert PaidStateOutsideStateRoots(p.slot, p.anchorSlot);
        }
        p.position = uint8(proof[oA + A_POSITION]);
        uint64 length = ProofBytes.le64(proof, oA + A_LENGTH);
        if (p.position >= length) revert WithdrawalProofs.WithdrawalPositionOutOfRange(p.position, length);
        p.index = ProofBytes.le64(proof, oA + A_INDEX);
        uint64 next = ProofBytes.le64(proof, O_NEXT_INDEX);
        uint64 expected = ProofBytes.le64(proof, O_EXPECTED_LENGTH);
        uint64 watermark = next > expected ? next - expected : 0;
        if (p.index >= watermark) revert WithdrawalNotYetPaid(p.index, watermark);
        p.validatorIndex = ProofBytes.le64(proof, oA + A_VALIDATOR);
        p.withdrawalAddress = address(bytes20(ProofBytes.word(proof, oA + A_ADDRESS)));
        p.amount = ProofBytes.le64(proof, oA + A_AMOUNT);
        p.forkVersion = bytes4(ProofBytes.word(proof, O_FORK_CURRENT));
        p.blockRoot = _paidStateRoot(proof, oA, genesisTime, genesisValidatorsRoot);
        // S_a's root up `state_roots` at `a mod 2^depth`: the anchor's `state_roots` (route 3) or
        // the period's `state_summary_root` (route 4).
        bytes32 roots = _climb(proof, p.blockRoot, p.slot & ((1 << stateRootsDepth) - 1), oR + 1, stateRootsDepth);
        (bytes32 n11, bytes32 s43) = viaSummaries
            ? _summariesFields(proof, roots, oH, (p.slot >> stateRootsDepth) - (capellaSlot >> stateRootsDepth))
            : _stateRootsFields(proof, roots);
        bytes32 computed = _anchorBlockRoot(proof, n11, s43, genesisTime, genesisValidatorsRoot);
        if (computed != blockRoot) revert WithdrawalProofs.WithdrawalProofRootMismatch(blockRoot, computed);
    }

    /// @dev Version, route, the `state_roots` count equal to the chain's depth, route 4's summary
    /// sibling count at most 24, the list branch's count equal to `3L + 1` for `j`'s level, and
    /// the exact length. Returns the offset of the `state_roots` count and `oA`.
    function _frame(bytes calldata proof, uint256 stateRootsDepth) private pure returns (uint256 oR, uint256 oA) {
        uint256 len = proof.length;
        if (len == 0) revert WithdrawalProofs.WithdrawalProofMalformed();
        uint8 version = uint8(proof[O_VERSION]);
        if (version != FORMAT_VERSION) revert WithdrawalProofs.WithdrawalProofVersionUnsupported(version);
        if (len <= O_ANCHOR_NODES) revert WithdrawalProofs.WithdrawalProofMalformed();
        uint8 route = uint8(proof[O_ROUTE]);
        if (route == ROUTE_STATE_ROOTS) oR = O_STATE_ROOTS_COUNT_3;
        else if (route == ROUTE_HISTORICAL_SUMMARIES) oR = O_STATE_ROOTS_COUNT_4;
        else revert WithdrawalProofs.WithdrawalProofMalformed();
        if (len <= oR) revert WithdrawalProofs.WithdrawalProofMalformed();
        uint256 dR = uint8(proof[oR]);
        if (dR != stateRootsDepth) revert ProgressiveValidatorProofs.BranchLength(dR, stateRootsDepth);
        oA = oR + 1 + 32 * dR;
        if (route == ROUTE_HISTORICAL_SUMMARIES) {
            if (len < oA + H_SIBLINGS) revert WithdrawalProofs.WithdrawalProofMalformed();
            uint256 dH = uint8(proof[oA + H_COUNT]);
            if (dH > WithdrawalProofs.SUMMARIES_DEPTH) revert WithdrawalProofs.WithdrawalProofMalformed();
            oA += H_SIBLINGS + 32 * dH;
        }
        if (len < oA + A_SIBLINGS) revert WithdrawalProofs.WithdrawalProofMalformed();
        uint256 dW = uint8(proof[oA + A_COUNT]);
        (uint256 l,) = ProgressiveValidatorProofs.level(uint8(proof[oA + A_POSITION]));
        if (dW != 3 * l + 1) revert ProgressiveValidatorProofs.BranchLength(dW, 3 * l + 1);
        if (len != oA + A_SIBLINGS + 32 * dW) revert WithdrawalProofs.WithdrawalProofMalformed();
    }

    /// @dev Fields the anchor state must have active: 0-3 (the witness), 6 (`state_roots`), 25
    /// (`next_withdrawal_index`), 44 (`payload_expected_withdrawals`), as a bitmask.
    uint256 private constant ANCHOR_FIELDS = (1 << 0) | (1 << 1) | (1 << 2) | (1 << 3) | (1 << 6) | (1 << 25) | (1 << 44);
    /// @dev Route 4's: 0-3, 25, 27 (`historical_summaries`), 44.
    uint256 private constant HISTORICAL_ANCHOR_FIELDS =
        (1 << 0) | (1 << 1) | (1 << 2) | (1 << 3) | (1 << 25) | (1 << 27) | (1 << 44);
    /// @dev Fields `S_a` must have active: 0-2 and 44.
    uint256 private constant PAID_FIELDS = (1 << 0) | (1 << 1) | (1 << 2) | (1 << 44);

    /// @dev Reverts with `FieldInactive` for the first field of `fields` (a bitmask) that
    /// `activeFields` (bit `f % 8` of byte `f / 8`) does not mark active.
    function _requireActive(bytes32 activeFields, uint256 fields) private pure {
        for (uint256 f; fields >> f != 0; ++f) {
            if ((fields >> f) & 1 == 1 && uint8(activeFields[f / 8]) & (1 << (f % 8)) == 0) {
                revert ProgressiveValidatorProofs.FieldInactive(f);
            }
        }
    }

    /// @dev `S_a`'s root: the withdrawal's root up its progressive list (`3L + 1` siblings, then
    /// the length), then to node 46, node 11 and the witness.
    function _paidStateRoot(bytes calldata proof, uint256 oA, uint64 genesisTime, bytes32 gvr)
        private
        view
        returns (bytes32 root)
    {
        uint256 j = uint8(proof[oA + A_POSITION]);
        (uint256 l, uint256 start) = ProgressiveValidatorProofs.level(j);
        uint256 genesisTimeChunk = uint256(ProofBytes.bswap64(genesisTime)) << 192;
        assembly ("memory-safe") {
            function sha(x, y) -> r {
                mstore(0x00, x)
                mstore(0x20, y)
                if iszero(staticcall(gas(), 0x02, 0x00, 0x40, 0x00, 0x20)) { revert(0x00, 0x00) }
                r := mload(0x00)
            }
            function u64At(ptr) -> c {
                c := and(calldataload(ptr), shl(192, 0xffffffffffffffff))
            }
            let a := add(proof.offset, oA)
            // hash_tree_root(Withdrawal): H(H(index, validator_index), H(address, amount)).
            let node := sha(
                sha(u64At(add(a, A_INDEX)), u64At(add(a, A_VALIDATOR))),
                sha(and(calldataload(add(a, A_ADDRESS)), shl(96, not(0))), u64At(add(a, A_AMOUNT)))
            )
            let sib := add(a, A_SIBLINGS)
            let path := sub(j, start)
            for { let end := add(sib, shl(6, l)) } lt(sib, end) { sib := add(sib, 0x20) } {
                switch and(path, 1)
                case 0 { node := sha(node, calldataload(sib)) }
                default { node := sha(calldataload(sib), node) }
                path := shr(1, path)
            }
            node := sha(node, calldataload(sib))
            sib := add(sib, 0x20)
            for { let end := add(sib, shl(5, l)) } lt(sib, end) { sib := add(sib, 0x20) } {
                node := sha(calldataload(sib), node)
            }
            // n2967 = H(progressive root, length); up to node 46 on its path.
            node := sha(node, u64At(add(a, A_LENGTH)))
            let n := add(a, A_NODES) // 2966, 1482, 740, 371, 184, 93, 47, 43, 42, 22
            node := sha(calldataload(n), node) // n1483
            node := sha(calldataload(add(n, 0x20)), node) // n741
            node := sha(calldataload(add(n, 0x40)), node) // n370
            node := sha(node, calldataload(add(n, 0x60))) // n185
            node := sha(calldataload(add(n, 0x80)), node) // n92
            node := sha(node, calldataload(add(n, 0xa0))) // n46
            let n11 := sha(calldataload(add(n, 0x120)), sha(node, calldataload(add(n, 0xc0))))
            let n10 := sha(
                sha(gvr, u64At(add(a, A_SLOT))), sha(calldataload(add(n, 0x100)), calldataload(add(n, 0xe0)))
            )
            root := sha(sha(genesisTimeChunk, sha(n10, n11)), calldataload(add(a, A_ACTIVE)))
        }
    }

    /// @dev `leaf` hashed up `depth` levels along the bits of `x`, siblings at `o`, bottom-up.
    function _climb(bytes calldata proof, bytes32 leaf, uint256 x, uint256 o, uint256 depth)
        private
        view
        returns (bytes32 node)
    {
        assembly ("memory-safe") {
            node := leaf
            let sib := add(proof.offset, o)
            for { let end := add(sib, shl(5, depth)) } lt(sib, end) { sib := add(sib, 0x20) } {
                switch and(x, 1)
                case 0 {
                    mstore(0x00, node)
                    mstore(0x20, calldataload(sib))
                }
                default {
                    mstore(0x00, calldataload(sib))
                    mstore(0x20, node)
                }
                if iszero(staticcall(gas(), 0x02, 0x00, 0x40, 0x00, 0x20)) { revert(0x00, 0x00) }
                node := mload(0x00)
                x := shr(1, x)
            }
        }
    }

    /// @dev Route 3: anchor node 11 from `state_roots` (node 353), the watermark's two leaves and
    /// nodes 5934, 2966, 2949, 1482, 1475, 740, 736, 371, 369, 352, 177, 93, 89, 47, 45; and
    /// node 43 for the witness.
    function _stateRootsFields(bytes calldata proof, bytes32 stateRoots)
        private
        view
        returns (bytes32 n11, bytes32 s43)
    {
        assembly ("memory-safe") {
            function sha(l, r) -> h {
                mstore(0x00, l)
                mstore(0x20, r)
                if iszero(staticcall(gas(), 0x02, 0x00, 0x40, 0x00, 0x20)) { revert(0x00, 0x00) }
                h := mload(0x00)
            }
            function at(base, o) -> w {
                w := calldataload(add(base, o))
            }
            function u64At(ptr) -> c {
                c := and(calldataload(ptr), shl(192, 0xffffffffffffffff))
            }
            let base := proof.offset
            let n := add(base, O_ANCHOR_NODES)
            // n22 = H(H(H(H(s352, state_roots), s177), s89), s45)
            let n22 := sha(sha(sha(sha(at(n, 0x120), stateRoots), at(n, 0x140)), at(n, 0x180)), at(n, 0x1c0))
            // n185 from the expected withdrawals' length: H(H(s740, H(s1482, H(s2966, H(s5934, len)))), s371)
            let n185 := sha(at(n, 0x00), u64At(add(base, O_EXPECTED_LENGTH)))
            n185 := sha(at(n, 0x20), n185)
            n185 := sha(at(n, 0x60), n185)
            n185 := sha(sha(at(n, 0xa0), n185), at(n, 0xe0))
            // n184 from next_withdrawal_index: H(H(s736, H(H(nwi, s2949), s1475)), s369)
            let n184 := sha(sha(u64At(add(base, O_NEXT_INDEX)), at(n, 0x40)), at(n, 0x80))
            n184 := sha(sha(at(n, 0xc0), n184), at(n, 0x100))
            let n46 := sha(sha(n184, n185), at(n, 0x160))
            n11 := sha(n22, sha(n46, at(n, 0x1a0)))
            s43 := at(n, 0x1e0)
        }
    }

    /// @dev Route 4: `historical_summaries` (node 2950) from the period's `state_summary_root`
    /// and the summary branch at `oH`, then anchor node 11 with the watermark's two leaves and
    /// nodes 5934, 2966, 2951, 2949, 1482, 740, 736, 371, 369, 93, 47, 22; and node 43.
    function _summariesFields(bytes calldata proof, bytes32 stateSummaryRoot, uint256 oH, uint256 k)
        private
        view
        returns (bytes32 n11, bytes32 s43)
    {
        bytes32 summary = sha256(abi.encode(ProofBytes.word(proof, oH + H_BLOCK_SUMMARY_ROOT), stateSummaryRoot));
        bytes32 summaries = WithdrawalProofs.summariesRoot(proof, summary, oH + H_LENGTH, k);
        assembly ("memory-safe") {
            function sha(l, r) -> h {
                mstore(0x00, l)
                mstore(0x20, r)
                if iszero(staticcall(gas(), 0x02, 0x00, 0x40, 0x00, 0x20)) { revert(0x00, 0x00) }
                h := mload(0x00)
            }
            function at(base, o) -> w {
                w := calldataload(add(base, o))
            }
            function u64At(ptr) -> c {
                c := and(calldataload(ptr), shl(192, 0xffffffffffffffff))
            }
            let base := proof.offset
            // 5934, 2966, 2951, 2949, 1482, 740, 736, 371, 369, 93, 47, 43, 22
            let n := add(base, O_ANCHOR_NODES)
            // n185 = H(H(s740, H(s1482, H(s2966, H(s5934, len)))), s371)
            let n185 := sha(at(n, 0x00), u64At(add(base, O_EXPECTED_LENGTH)))
            n185 := sha(at(n, 0x20), n185)
            n185 := sha(at(n, 0x80), n185)
            n185 := sha(sha(at(n, 0xa0), n185), at(n, 0xe0))
            // n184 = H(H(s736, H(H(nwi, s2949), H(summaries, s2951))), s369)
            let n737 := sha(sha(u64At(add(base, O_NEXT_INDEX)), at(n, 0x60)), sha(summaries, at(n, 0x40)))
            let n184 := sha(sha(at(n, 0xc0), n737), at(n, 0x100))
            let n46 := sha(sha(n184, n185), at(n, 0x120))
            n11 := sha(at(n, 0x180), sha(n46, at(n, 0x140)))
            s43 := at(n, 0x160)
        }
    }

    /// @dev The anchor block root from state node 11 and node 43: the witness with the proven
    /// slot and fork, the active fields, then the header nodes.
    function _anchorBlockRoot(bytes calldata proof, bytes32 n11, bytes32 s43, uint64 genesisTime, bytes32 gvr)
        private
        view
        returns (bytes32 root)
    {
        uint256 genesisTimeChunk = uint256(ProofBytes.bswap64(genesisTime)) << 192;
        assembly ("memory-safe") {
            function sha(l, r) -> h {
                mstore(0x00, l)
                mstore(0x20, r)
                if iszero(staticcall(gas(), 0x02, 0x00, 0x40, 0x00, 0x20)) { revert(0x00, 0x00) }
                h := mload(0x00)
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
            let slotChunk := and(at(base, O_ANCHOR_SLOT), shl(192, 0xffffffffffffffff))
            let n10 := sha(sha(gvr, slotChunk), sha(forkRoot, s43))
            let state := sha(sha(genesisTimeChunk, sha(n10, n11)), at(base, O_ANCHOR_ACTIVE))
            root := sha(sha(at(base, O_H4), sha(at(base, O_H10), state)), at(base, O_H3))
        }
    }
}
