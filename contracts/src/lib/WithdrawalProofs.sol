// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

import {BeaconRoots} from "./BeaconRoots.sol";
import {ProofBytes} from "./ProofBytes.sol";
import {ValidatorProofs} from "./ValidatorProofs.sol";

/// @title WithdrawalProofs
/// @notice Verifies an lsv withdrawal proof (format 1, `crates/proofs/FORMAT.md` "Withdrawal
/// proof") against a beacon block root from EIP-4788 (the anchor): one `Withdrawal{index,
/// validator_index, address, amount}` of a block's execution payload (EIP-4895), its position in
/// the payload and the block's slot, with the block reached directly (it is the anchor), through
/// the anchor state's `block_roots` (the `SLOTS_PER_HISTORICAL_ROOT` slots before the anchor) or
/// through its `historical_summaries` (every full period of that many slots since Capella).
/// @dev Internal functions only, like `ValidatorProofs`, whose `Anchor` (genesis and known fork
/// versions) it shares: every proof carries the anchor state's layout witness (state node 16:
/// genesis time, genesis validators root, slot, fork), and a fork version the anchor does not list
/// fails closed. Forks are ordered, so a known anchor fork bounds the layout of every older block
/// it reaches (see FORMAT.md "Layout forks"). Every SHA-256 is a `staticcall` to the precompile at
/// 0x02 on the scratch words 0x00-0x3f; the proof is read in place from calldata at FORMAT.md's
/// offsets. Step numbers below are FORMAT.md's ("Withdrawal proof: verification").
/// The chain's preset sets two depths (`Params`): the payload's `withdrawals` data tree
/// (`MAX_WITHDRAWALS_PER_PAYLOAD`) and `block_roots` (`SLOTS_PER_HISTORICAL_ROOT`). The byte layout
/// is mainnet's (4 and 13 sibling slots, the largest); a shallower chain's proof uses the first
/// `depth` slots and must leave the others zero.
library WithdrawalProofs {
    /// @notice What a chain's withdrawal proofs depend on besides its `ValidatorProofs.Anchor`.
    /// Build it with `params`, which checks the preset lengths.
    struct Params {
        /// `CAPELLA_FORK_EPOCH * SLOTS_PER_EPOCH`: the first slot `historical_summaries` covers.
        uint64 capellaSlot;
        /// `log2(MAX_WITHDRAWALS_PER_PAYLOAD)`: the data depth of the payload's `withdrawals`
        /// (mainnet 4, minimal 2), at most `WITHDRAWALS_SLOTS`.
        uint8 withdrawalsDepth;
        /// `log2(SLOTS_PER_HISTORICAL_ROOT)`: the depth of `block_roots` (mainnet 13, minimal 6),
        /// at most `BLOCK_ROOTS_SLOTS`.
        uint8 blockRootsDepth;
    }

    /// @notice What a verified proof establishes. Integers are converted from SSZ little-endian.
    struct Proven {
        /// `withdrawal.index`: the global withdrawal index (unique across the chain's history).
        uint64 index;
        /// `withdrawal.validator_index`.
        uint64 validatorIndex;
        /// `withdrawal.address`: where the execution layer credited the ETH.
        address withdrawalAddress;
        /// `withdrawal.amount`, in gwei.
        uint64 amount;
        /// `j`: the withdrawal's position in `execution_payload.withdrawals`.
        uint8 position;
        /// The slot of the block whose payload holds the withdrawal.
        uint64 slot;
        /// That block's root.
        bytes32 blockRoot;
        /// 0: the block is the anchor; 1: via `block_roots`; 2: via `historical_summaries`.
        uint8 route;
        /// The anchor block's (and state's) slot.
        uint64 anchorSlot;
        /// The anchor state's `fork.current_version` (one the anchor lists).
        bytes4 forkVersion;
    }

    /// @notice The proof's first byte is not a format this verifier implements (only 1).
    error WithdrawalProofVersionUnsupported(uint8 version);
    /// @notice The proof's framing is wrong: empty, an unknown route, a summary sibling count
    /// above 24, or a length other than its route and counts imply (truncated or trailing bytes).
    error WithdrawalProofMalformed();
    /// @notice The position `j` is not below the proven number of withdrawals in the payload.
    error WithdrawalPositionOutOfRange(uint8 position, uint64 length);
    /// @notice Route 1: `slot` is not among the `SLOTS_PER_HISTORICAL_ROOT` slots before
    /// `anchorSlot` that `block_roots` holds.
    error WithdrawalSlotOutsideBlockRoots(uint64 slot, uint64 anchorSlot);
    /// @notice Route 2: `slot` is in a period before the first historical summary (`capellaSlot`).
    error WithdrawalSlotBeforeHistoricalSummaries(uint64 slot, uint64 capellaSlot);
    /// @notice Route 2: the slot's period `k` is not below the proven `len(historical_summaries)`.
    error HistoricalSummaryOutOfRange(uint64 k, uint64 length);
    /// @notice The proof hashes to `computed`, not to the anchor root `expected`.
    error WithdrawalProofRootMismatch(bytes32 expected, bytes32 computed);
    /// @notice A sibling slot past the chain's tree depth (`Params`), at byte `offset` of the
    /// proof, is not zero: a chain with shallower trees than mainnet's leaves those slots zero, so
    /// each of its proofs has one encoding.
    error WithdrawalProofUnusedSiblingNotZero(uint256 offset);
    /// @notice `MAX_WITHDRAWALS_PER_PAYLOAD` is not a power of two of at most 16 (mainnet's, the
    /// proof layout's 4 sibling slots).
    error MaxWithdrawalsPerPayloadUnsupported(uint64 value);
    /// @notice `SLOTS_PER_HISTORICAL_ROOT` is not a power of two of at most 8192 (mainnet's, the
    /// proof layout's 13 sibling slots).
    error SlotsPerHistoricalRootUnsupported(uint64 value);

    /// @notice The only format this library verifies.
    uint8 internal constant FORMAT_VERSION = 1;
    /// @notice Route byte: the withdrawal's block is the anchor block.
    uint8 internal constant ROUTE_DIRECT = 0;
    /// @notice Route byte: through the anchor state's `block_roots`.
    uint8 internal constant ROUTE_BLOCK_ROOTS = 1;
    /// @notice Route byte: through the anchor state's `historical_summaries`.
    uint8 internal constant ROUTE_HISTORICAL_SUMMARIES = 2;
    /// @notice Sibling slots of `withdrawals[j]` in the layout: the data depth of mainnet's
    /// `List[Withdrawal, MAX_WITHDRAWALS_PER_PAYLOAD = 16]` (presets/mainnet/capella.yaml), the
    /// largest a verifier accepts.
    uint8 internal constant WITHDRAWALS_SLOTS = 4;
    /// @notice Sibling slots of a `block_roots` entry in the layout: the depth of mainnet's
    /// `Vector[Root, SLOTS_PER_HISTORICAL_ROOT = 8192]` (presets/mainnet/phase0.yaml), the largest a
    /// verifier accepts.
    uint8 internal constant BLOCK_ROOTS_SLOTS = 13;

    // Byte layout (FORMAT.md, withdrawal proof): offsets into the proof, each documented with
    // FORMAT.md's name for the field and held to its table by crates/proofs/tests/solidity_offsets.rs.
    // Plain literals, so that the inline assembly can name them too. Shared by every route:
    /// format version.
    uint256 private constant O_VERSION = 0;
    /// route.
    uint256 private constant O_ROUTE = 1;
    /// `j`, the position in `execution_payload.withdrawals`.
    uint256 private constant O_POSITION = 2;
    /// `Withdrawal.index`.
    uint256 private constant O_INDEX = 3;
    /// `Withdrawal.validator_index`.
    uint256 private constant O_VALIDATOR_INDEX = 11;
    /// `Withdrawal.address`.
    uint256 private constant O_ADDRESS = 19;
    /// `Withdrawal.amount`.
    uint256 private constant O_AMOUNT = 39;
    /// `nW` = `len(withdrawals)`.
    uint256 private constant O_WITHDRAWALS_LENGTH = 47;
    /// The 4 sibling slots of `withdrawals[j]`, level h at `O_WITHDRAWALS_BRANCH + 32·h`.
    uint256 private constant O_WITHDRAWALS_BRANCH = 55;
    /// Payload node `p47`.
    uint256 private constant O_P47 = 183;
    /// Payload node `p22`.
    uint256 private constant O_P22 = 215;
    /// Payload node `p10`.
    uint256 private constant O_P10 = 247;
    /// Payload node `p4`.
    uint256 private constant O_P4 = 279;
    /// Payload node `p3`.
    uint256 private constant O_P3 = 311;
    /// Body node `b24`.
    uint256 private constant O_B24 = 343;
    /// Body node `b13`.
    uint256 private constant O_B13 = 375;
    /// Body node `b7`.
    uint256 private constant O_B7 = 407;
    /// Body node `b2`.
    uint256 private constant O_B2 = 439;
    /// `s`: `X`'s slot.
    uint256 private constant O_SLOT = 471;
    /// `x9`: `X`'s header node 9 (`proposer_index` chunk).
    uint256 private constant O_PROPOSER = 479;
    // Route 0:
    /// `x10`: `X`'s `parent_root`.
    uint256 private constant O_DIRECT_PARENT = 511;
    /// `S.fork`.
    uint256 private constant O_DIRECT_FORK = 543;
    /// State node `s17`.
    uint256 private constant O_DIRECT_S17 = 559;
    /// State node `s9`.
    uint256 private constant O_DIRECT_S9 = 591;
    /// State node `s5`.
    uint256 private constant O_DIRECT_S5 = 623;
    /// State node `s3`.
    uint256 private constant O_DIRECT_S3 = 655;
    /// end.
    uint256 private constant DIRECT_LEN = 687;
    // Routes 1 and 2:
    /// `x5`: `X`'s header node 5 (`H(parent_root, state_root)`).
    uint256 private constant O_BLOCK_NODE5 = 511;
    /// `a`: the anchor's slot.
    uint256 private constant O_ANCHOR_SLOT = 543;
    /// `r9`: the anchor header's node 9.
    uint256 private constant O_ANCHOR_PROPOSER = 551;
    /// `r10`: the anchor's `parent_root`.
    uint256 private constant O_ANCHOR_PARENT = 583;
    /// `r3`: the anchor header's node 3.
    uint256 private constant O_ANCHOR_BODY = 615;
    /// `S.fork`.
    uint256 private constant O_ANCHOR_FORK = 647;
    // Route 1:
    /// State node `s68`.
    uint256 private constant O_BLOCK_ROOTS_S68 = 663;
    /// State node `s35`.
    uint256 private constant O_BLOCK_ROOTS_S35 = 695;
    /// State node `s9`.
    uint256 private constant O_BLOCK_ROOTS_S9 = 727;
    /// State node `s5`.
    uint256 private constant O_BLOCK_ROOTS_S5 = 759;
    /// State node `s3`.
    uint256 private constant O_BLOCK_ROOTS_S3 = 791;
    /// The 13 sibling slots of `block_roots[s mod SLOTS_PER_HISTORICAL_ROOT]`.
    uint256 private constant O_BLOCK_ROOTS_BRANCH = 823;
    /// end.
    uint256 private constant BLOCK_ROOTS_LEN = 1239;
    // Route 2:
    /// State node `s90`.
    uint256 private constant O_HISTORICAL_S90 = 663;
    /// State node `s44`.
    uint256 private constant O_HISTORICAL_S44 = 695;
    /// State node `s23`.
    uint256 private constant O_HISTORICAL_S23 = 727;
    /// State node `s17`.
    uint256 private constant O_HISTORICAL_S17 = 759;
    /// State node `s10`.
    uint256 private constant O_HISTORICAL_S10 = 791;
    /// State node `s9`.
    uint256 private constant O_HISTORICAL_S9 = 823;
    /// State node `s3`.
    uint256 private constant O_HISTORICAL_S3 = 855;
    /// The 13 sibling slots of `X` in the period's `block_roots`.
    uint256 private constant O_PERIOD_BRANCH = 887;
    /// `historical_summaries[k].state_summary_root`.
    uint256 private constant O_STATE_SUMMARY_ROOT = 1303;
    /// `nH` = `len(historical_summaries)`.
    uint256 private constant O_SUMMARIES_LENGTH = 1335;
    /// `dH`, explicit siblings of `historical_summaries[k]`.
    uint256 private constant O_SUMMARIES_COUNT = 1343;
    /// Those siblings: everything before them is the route's fixed part.
    uint256 private constant HISTORICAL_FIXED_LEN = 1344;
    // Within an `S.fork` (FORMAT.md: `previous_version` 4, `current_version` 4, `epoch` 8):
    /// `current_version`, from the start of `S.fork`.
    uint256 private constant O_FORK_TO_CURRENT = 4;
    /// `epoch`, from the start of `S.fork`.
    uint256 private constant O_FORK_TO_EPOCH = 8;
    /// `List[HistoricalSummary, HISTORICAL_ROOTS_LIMIT = 2^24]`: data depth 24.
    uint256 internal constant SUMMARIES_DEPTH = 24;
    // Within a summaries branch (`summariesRoot`: length 8, count 1, siblings):
    /// The sibling count, from the start of the branch.
    uint256 private constant SUMMARIES_TO_COUNT = 8;
    /// The siblings, from the start of the branch.
    uint256 private constant SUMMARIES_TO_SIBLINGS = 9;

    /// @notice The `Params` of a chain, from its Capella slot and its two preset lengths; reverts
    /// with `MaxWithdrawalsPerPayloadUnsupported` or `SlotsPerHistoricalRootUnsupported` unless
    /// each length is a power of two no larger than mainnet's (16 and 8192).
    /// @param capellaSlot The network's `CAPELLA_FORK_EPOCH * SLOTS_PER_EPOCH`.
    /// @param maxWithdrawalsPerPayload `MAX_WITHDRAWALS_PER_PAYLOAD` (capella preset: mainnet 16,
    /// minimal 4).
    /// @param slotsPerHistoricalRoot `SLOTS_PER_HISTORICAL_ROOT` (phase0 preset: mainnet 8192,
    /// minimal 64).
    /// @return The parameters, with the lengths as depths.
    function params(uint64 capellaSlot, uint64 maxWithdrawalsPerPayload, uint64 slotsPerHistoricalRoot)
        internal
        pure
        returns (Params memory)
    {
        (bool okW, uint8 withdrawalsDepth) = _log2(maxWithdrawalsPerPayload, WITHDRAWALS_SLOTS);
        if (!okW) revert MaxWithdrawalsPerPayloadUnsupported(maxWithdrawalsPerPayload);
        (bool okR, uint8 blockRootsDepth) = _log2(slotsPerHistoricalRoot, BLOCK_ROOTS_SLOTS);
        if (!okR) revert SlotsPerHistoricalRootUnsupported(slotsPerHistoricalRoot);
        return Params(capellaSlot, withdrawalsDepth, blockRootsDepth);
    }

    /// @dev `(true, log2(n))` if `n` is a power of two of at most `2^maxDepth`, else `(false, 0)`.
    function _log2(uint64 n, uint8 maxDepth) private pure returns (bool ok, uint8 depth) {
        if (n == 0 || n & (n - 1) != 0) return (false, 0);
        while (n > 1) {
            n >>= 1;
            ++depth;
        }
        ok = depth <= maxDepth;
    }

    /// @notice Verifies `proof` against the parent beacon block root that EIP-4788 holds for the
    /// execution block at `timestamp`.
    /// @dev Reverts with `BeaconRoots.BeaconRootUnavailable(timestamp)` if there is no such root,
    /// otherwise as `verify`. To prove a validator against the same anchor in the same call, read
    /// the root once with `BeaconRoots.get` and pass it to `verify` and `ValidatorProofs.verify`.
    /// @param proof The encoded proof (FORMAT.md "Withdrawal proof: byte layout"), in calldata.
    /// @param timestamp An execution block timestamp within the EIP-4788 window.
    /// @param anchor The chain's genesis and the known fork versions (`ValidatorProofs.Anchor`).
    /// @param chain The chain's Capella slot and preset depths (from `params`).
    /// @return The proven values.
    function verifyAt(
        bytes calldata proof,
        uint256 timestamp,
        ValidatorProofs.Anchor memory anchor,
        Params memory chain
    ) internal view returns (Proven memory) {
        return verify(proof, BeaconRoots.get(timestamp), anchor, chain);
    }

    /// @notice Verifies `proof` against the anchor block root `anchorRoot` and returns what it
    /// proves; reverts with a named error otherwise.
    /// @dev Steps 1-3 (frame with the unused sibling slots, fork, position and slot checks) before
    /// any hashing, then steps 4-8 and the comparison with `anchorRoot`. With mainnet's depths 33
    /// SHA-256 calls (route 0), 51 (route 1), 79 (route 2); one fewer per level a shallower tree
    /// lacks. `chain` must come from `params` (depths at most 4 and 13).
    /// @param proof The encoded proof, in calldata.
    /// @param anchorRoot The beacon block root the proof must reach (from EIP-4788).
    /// @param anchor The chain's genesis and the known fork versions.
    /// @param chain The chain's first Capella slot (route 2's `k = slot / SLOTS_PER_HISTORICAL_ROOT
    /// - capellaSlot / SLOTS_PER_HISTORICAL_ROOT`) and preset depths.
    /// @return p The proven values.
    function verify(
        bytes calldata proof,
        bytes32 anchorRoot,
        ValidatorProofs.Anchor memory anchor,
        Params memory chain
    ) internal view returns (Proven memory p) {
        uint8 route = _frame(proof, chain);
        uint256 oFork = route == ROUTE_DIRECT ? O_DIRECT_FORK : O_ANCHOR_FORK;
        bytes4 version = bytes4(ProofBytes.word(proof, oFork + O_FORK_TO_CURRENT));
        if (!ValidatorProofs.isKnownForkVersion(anchor.forkVersions, version)) {
            revert ValidatorProofs.UnknownForkVersion(version);
        }
        p = _decode(proof, route, chain);
        p.forkVersion = version;
        bytes32 body = _bodyRoot(proof, chain.withdrawalsDepth);
        bytes32 witnessHead = _witnessHead(anchor);
        bytes32 computed;
        if (route == ROUTE_DIRECT) {
            (p.blockRoot, computed) = _direct(proof, body, witnessHead);
        } else {
            p.blockRoot = _blockRoot(proof, body);
            bytes32 stateRoot = route == ROUTE_BLOCK_ROOTS
                ? _viaBlockRoots(proof, p.blockRoot, p.slot, chain.blockRootsDepth, witnessHead)
                : _viaHistoricalSummaries(proof, p.blockRoot, p.slot, chain, witnessHead);
            computed = _anchorRoot(proof, stateRoot);
        }
        if (computed != anchorRoot) revert WithdrawalProofRootMismatch(anchorRoot, computed);
    }

    /// @dev Step 1: version, route, a length exactly equal to the route's (route 2: its sibling
    /// count `d ≤ 24` read from inside the proof), and zero in every sibling slot past the chain's
    /// depths. Returns the route.
    function _frame(bytes calldata proof, Params memory chain) private pure returns (uint8 route) {
        uint256 len = proof.length;
        if (len == 0) revert WithdrawalProofMalformed();
        uint8 version = uint8(proof[O_VERSION]);
        if (version != FORMAT_VERSION) revert WithdrawalProofVersionUnsupported(version);
        if (len < O_ROUTE + 1) revert WithdrawalProofMalformed();
        route = uint8(proof[O_ROUTE]);
        uint256 expected;
        if (route == ROUTE_DIRECT) {
            expected = DIRECT_LEN;
        } else if (route == ROUTE_BLOCK_ROOTS) {
            expected = BLOCK_ROOTS_LEN;
        } else if (route == ROUTE_HISTORICAL_SUMMARIES) {
            if (len < HISTORICAL_FIXED_LEN) revert WithdrawalProofMalformed();
            uint256 d = uint8(proof[O_SUMMARIES_COUNT]);
            if (d > SUMMARIES_DEPTH) revert WithdrawalProofMalformed();
            expected = HISTORICAL_FIXED_LEN + 32 * d;
        } else {
            revert WithdrawalProofMalformed();
        }
        if (len != expected) revert WithdrawalProofMalformed();
        _requireUnusedZero(proof, O_WITHDRAWALS_BRANCH, chain.withdrawalsDepth, WITHDRAWALS_SLOTS);
        if (route == ROUTE_BLOCK_ROOTS) {
            _requireUnusedZero(proof, O_BLOCK_ROOTS_BRANCH, chain.blockRootsDepth, BLOCK_ROOTS_SLOTS);
        } else if (route == ROUTE_HISTORICAL_SUMMARIES) {
            _requireUnusedZero(proof, O_PERIOD_BRANCH, chain.blockRootsDepth, BLOCK_ROOTS_SLOTS);
        }
    }

    /// @dev The sibling slots `depth .. slots - 1` of the branch at `o` are zero (none to check
    /// at mainnet's depths).
    function _requireUnusedZero(bytes calldata proof, uint256 o, uint8 depth, uint8 slots) private pure {
        for (uint256 slot = o + 32 * uint256(depth); slot < o + 32 * uint256(slots); slot += 32) {
            if (ProofBytes.word(proof, slot) != 0) revert WithdrawalProofUnusedSiblingNotZero(slot);
        }
    }

    /// @dev The proven values and step 3: `j < len(withdrawals)`; route 1: `anchorSlot -
    /// SLOTS_PER_HISTORICAL_ROOT ≤ slot < anchorSlot`; route 2: the slot's period is summarized
    /// (`0 ≤ k < len`).
    function _decode(bytes calldata proof, uint8 route, Params memory chain) private pure returns (Proven memory p) {
        p.index = ProofBytes.le64(proof, O_INDEX);
        p.validatorIndex = ProofBytes.le64(proof, O_VALIDATOR_INDEX);
        p.withdrawalAddress = address(bytes20(ProofBytes.word(proof, O_ADDRESS)));
        p.amount = ProofBytes.le64(proof, O_AMOUNT);
        p.position = uint8(proof[O_POSITION]);
        uint64 length = ProofBytes.le64(proof, O_WITHDRAWALS_LENGTH);
        if (p.position >= length) revert WithdrawalPositionOutOfRange(p.position, length);
        p.slot = ProofBytes.le64(proof, O_SLOT);
        p.route = route;
        if (route == ROUTE_DIRECT) {
            p.anchorSlot = p.slot;
            return p;
        }
        p.anchorSlot = ProofBytes.le64(proof, O_ANCHOR_SLOT);
        uint8 depth = chain.blockRootsDepth;
        if (route == ROUTE_BLOCK_ROOTS) {
            if (p.slot >= p.anchorSlot || p.anchorSlot - p.slot > uint64(1) << depth) {
                revert WithdrawalSlotOutsideBlockRoots(p.slot, p.anchorSlot);
            }
        } else {
            uint64 period = p.slot >> depth;
            uint64 first = chain.capellaSlot >> depth;
            if (period < first) revert WithdrawalSlotBeforeHistoricalSummaries(p.slot, chain.capellaSlot);
            uint64 n = ProofBytes.le64(proof, O_SUMMARIES_LENGTH);
            if (period - first >= n) revert HistoricalSummaryOutOfRange(period - first, n);
        }
    }

    /// @dev Steps 4-6: `hash_tree_root(withdrawal)` (3 hashes), `withdrawals` (`depth` levels along
    /// the bits of `j`, then the length), the payload (5) and the body (4) root.
    function _bodyRoot(bytes calldata proof, uint8 depth) private view returns (bytes32 body) {
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
            let base := proof.offset
            // Withdrawal: H(H(index, validator_index), H(address ‖ 0^12, amount)).
            let node := sha(
                sha(u64Chunk(add(base, O_INDEX)), u64Chunk(add(base, O_VALIDATOR_INDEX))),
                sha(and(calldataload(add(base, O_ADDRESS)), shl(96, not(0))), u64Chunk(add(base, O_AMOUNT)))
            )
            // withdrawals: depth levels along the bits of j, with the siblings from O_WITHDRAWALS_BRANCH.
            let j := byte(0, calldataload(add(base, O_POSITION)))
            for { let h := 0 } lt(h, depth) { h := add(h, 1) } {
                let sib := calldataload(add(base, add(O_WITHDRAWALS_BRANCH, shl(5, h))))
                switch and(shr(h, j), 1)
                case 0 { node := sha(node, sib) }
                default { node := sha(sib, node) }
            }
            node := sha(node, u64Chunk(add(base, O_WITHDRAWALS_LENGTH)))
            // Payload (withdrawals is node 46): H(H(p4, H(p10, H(p22, H(node, p47)))), p3).
            node := sha(
                sha(
                    calldataload(add(base, O_P4)),
                    sha(
                        calldataload(add(base, O_P10)),
                        sha(calldataload(add(base, O_P22)), sha(node, calldataload(add(base, O_P47))))
                    )
                ),
                calldataload(add(base, O_P3))
            )
            // Body (execution_payload is node 25): H(b2, H(H(H(b24, node), b13), b7)).
            body := sha(
                calldataload(add(base, O_B2)),
                sha(
                    sha(sha(calldataload(add(base, O_B24)), node), calldataload(add(base, O_B13))),
                    calldataload(add(base, O_B7))
                )
            )
        }
    }

    /// @dev `H(chunk(genesis_time), genesis_validators_root)`: the first half of the witness.
    function _witnessHead(ValidatorProofs.Anchor memory anchor) private view returns (bytes32 head) {
        uint256 genesisTimeChunk = uint256(ProofBytes.bswap64(anchor.genesisTime)) << 192;
        bytes32 gvr = anchor.genesisValidatorsRoot;
        assembly ("memory-safe") {
            mstore(0x00, genesisTimeChunk)
            mstore(0x20, gvr)
            if iszero(staticcall(gas(), 0x02, 0x00, 0x40, 0x00, 0x20)) { revert(0x00, 0x00) }
            head := mload(0x00)
        }
    }

    /// @dev Route 0 (step 8): the witness from the block's own slot and fork, the state root from
    /// it and the state nodes 17, 9, 5, 3, and the block root from header nodes 9 and 10. Returns
    /// the block root twice: it is the anchor.
    function _direct(bytes calldata proof, bytes32 body, bytes32 witnessHead)
        private
        view
        returns (bytes32 root, bytes32 computed)
    {
        assembly ("memory-safe") {
            function sha(a, b) -> r {
                mstore(0x00, a)
                mstore(0x20, b)
                if iszero(staticcall(gas(), 0x02, 0x00, 0x40, 0x00, 0x20)) { revert(0x00, 0x00) }
                r := mload(0x00)
            }
            let base := proof.offset
            let slotChunk := and(calldataload(add(base, O_SLOT)), shl(192, 0xffffffffffffffff))
            let m4 := shl(224, 0xffffffff)
            let forkRoot := sha(
                sha(
                    and(calldataload(add(base, O_DIRECT_FORK)), m4),
                    and(calldataload(add(base, add(O_DIRECT_FORK, O_FORK_TO_CURRENT))), m4)
                ),
                sha(and(calldataload(add(base, add(O_DIRECT_FORK, O_FORK_TO_EPOCH))), shl(192, 0xffffffffffffffff)), 0)
            )
            let w := sha(witnessHead, sha(slotChunk, forkRoot))
            // stateRoot = H(H(H(H(W, s17), s9), s5), s3).
            let s := sha(
                sha(
                    sha(sha(w, calldataload(add(base, O_DIRECT_S17))), calldataload(add(base, O_DIRECT_S9))),
                    calldataload(add(base, O_DIRECT_S5))
                ),
                calldataload(add(base, O_DIRECT_S3))
            )
            // Block root: H(H(H(slot, h9), H(h10, stateRoot)), H(H(body, 0), ZERO[1])).
            root := sha(
                sha(
                    sha(slotChunk, calldataload(add(base, O_PROPOSER))),
                    sha(calldataload(add(base, O_DIRECT_PARENT)), s)
                ),
                sha(sha(body, 0), 0xf5a5fd42d16a20302798ef6ed309979b43003d2320d9f0e8ea9831a92759fb4b)
            )
        }
        computed = root;
    }

    /// @dev Routes 1 and 2, step 7: the withdrawal block's root from its slot, header nodes 9 and
    /// 5, and its body root.
    function _blockRoot(bytes calldata proof, bytes32 body) private view returns (bytes32 root) {
        assembly ("memory-safe") {
            function sha(a, b) -> r {
                mstore(0x00, a)
                mstore(0x20, b)
                if iszero(staticcall(gas(), 0x02, 0x00, 0x40, 0x00, 0x20)) { revert(0x00, 0x00) }
                r := mload(0x00)
            }
            let base := proof.offset
            let slotChunk := and(calldataload(add(base, O_SLOT)), shl(192, 0xffffffffffffffff))
            root := sha(
                sha(sha(slotChunk, calldataload(add(base, O_PROPOSER))), calldataload(add(base, O_BLOCK_NODE5))),
                sha(sha(body, 0), 0xf5a5fd42d16a20302798ef6ed309979b43003d2320d9f0e8ea9831a92759fb4b)
            )
        }
    }

    /// @dev `leaf` hashed up `depth` levels along the bits of `slot % 2^depth` (`slot %
    /// SLOTS_PER_HISTORICAL_ROOT`), with the siblings at `o` (a `block_roots` vector root: no
    /// length mix-in).
    function _blockRootsVector(bytes calldata proof, bytes32 leaf, uint64 slot, uint256 o, uint8 depth)
        private
        view
        returns (bytes32 node)
    {
        assembly ("memory-safe") {
            let ok := 1
            let path := slot
            mstore(0x00, leaf)
            let sib := add(proof.offset, o)
            for { let h := 0 } lt(h, depth) { h := add(h, 1) } {
                switch and(path, 1)
                case 0 { mstore(0x20, calldataload(sib)) }
                default {
                    mstore(0x20, mload(0x00))
                    mstore(0x00, calldataload(sib))
                }
                ok := and(ok, staticcall(gas(), 0x02, 0x00, 0x40, 0x00, 0x20))
                path := shr(1, path)
                sib := add(sib, 0x20)
            }
            if iszero(ok) { revert(0x00, 0x00) }
            node := mload(0x00)
        }
    }

    /// @dev The witness (state node 16) from the anchor's slot and `S.fork`.
    function _anchorWitness(bytes calldata proof, bytes32 witnessHead) private view returns (bytes32 w) {
        assembly ("memory-safe") {
            function sha(a, b) -> r {
                mstore(0x00, a)
                mstore(0x20, b)
                if iszero(staticcall(gas(), 0x02, 0x00, 0x40, 0x00, 0x20)) { revert(0x00, 0x00) }
                r := mload(0x00)
            }
            let base := proof.offset
            let m8 := shl(192, 0xffffffffffffffff)
            let m4 := shl(224, 0xffffffff)
            let forkRoot := sha(
                sha(
                    and(calldataload(add(base, O_ANCHOR_FORK)), m4),
                    and(calldataload(add(base, add(O_ANCHOR_FORK, O_FORK_TO_CURRENT))), m4)
                ),
                sha(and(calldataload(add(base, add(O_ANCHOR_FORK, O_FORK_TO_EPOCH))), m8), 0)
            )
            w := sha(witnessHead, sha(and(calldataload(add(base, O_ANCHOR_SLOT)), m8), forkRoot))
        }
    }

    /// @dev Route 1, step 8: `block_roots` (state node 69) from the block root, then the state
    /// root from nodes 16 and 69 and the helpers s68, s35, s9, s5, s3.
    function _viaBlockRoots(bytes calldata proof, bytes32 blockRoot, uint64 slot, uint8 depth, bytes32 witnessHead)
        private
        view
        returns (bytes32 stateRoot)
    {
        bytes32 vector = _blockRootsVector(proof, blockRoot, slot, O_BLOCK_ROOTS_BRANCH, depth);
        bytes32 w = _anchorWitness(proof, witnessHead);
        assembly ("memory-safe") {
            function sha(a, b) -> r {
                mstore(0x00, a)
                mstore(0x20, b)
                if iszero(staticcall(gas(), 0x02, 0x00, 0x40, 0x00, 0x20)) { revert(0x00, 0x00) }
                r := mload(0x00)
            }
            let base := proof.offset
            // n17 = H(H(s68, V), s35); stateRoot = H(H(H(H(W, n17), s9), s5), s3).
            let n17 := sha(
                sha(calldataload(add(base, O_BLOCK_ROOTS_S68)), vector), calldataload(add(base, O_BLOCK_ROOTS_S35))
            )
            stateRoot := sha(
                sha(
                    sha(sha(w, n17), calldataload(add(base, O_BLOCK_ROOTS_S9))),
                    calldataload(add(base, O_BLOCK_ROOTS_S5))
                ),
                calldataload(add(base, O_BLOCK_ROOTS_S3))
            )
        }
    }

    /// @dev Route 2, step 8: the period's `block_roots` root (= `block_summary_root`), the
    /// summary `H(block_summary_root, state_summary_root)`, `historical_summaries` (state node
    /// 91: 24 levels along the bits of `k`, explicit siblings then `ZERO[h]`, then the length),
    /// and the state root from nodes 16 and 91 and the helpers s90, s44, s23, s17, s10, s9, s3.
    function _viaHistoricalSummaries(
        bytes calldata proof,
        bytes32 blockRoot,
        uint64 slot,
        Params memory chain,
        bytes32 witnessHead
    ) private view returns (bytes32 stateRoot) {
        bytes32 summaries;
        {
            uint8 depth = chain.blockRootsDepth;
            bytes32 blockSummaryRoot = _blockRootsVector(proof, blockRoot, slot, O_PERIOD_BRANCH, depth);
            uint256 k = (slot >> depth) - (chain.capellaSlot >> depth);
            bytes32 summary = sha256(abi.encode(blockSummaryRoot, ProofBytes.word(proof, O_STATE_SUMMARY_ROOT)));
            summaries = summariesRoot(proof, summary, O_SUMMARIES_LENGTH, k);
        }
        bytes32 w = _anchorWitness(proof, witnessHead);
        assembly ("memory-safe") {
            function sha(a, b) -> r {
                mstore(0x00, a)
                mstore(0x20, b)
                if iszero(staticcall(gas(), 0x02, 0x00, 0x40, 0x00, 0x20)) { revert(0x00, 0x00) }
                r := mload(0x00)
            }
            let base := proof.offset
            // n11 = H(H(s44, H(s90, HS)), s23); n4 = H(H(W, s17), s9);
            // stateRoot = H(H(n4, H(s10, n11)), s3).
            let n11 := sha(
                sha(
                    calldataload(add(base, O_HISTORICAL_S44)),
                    sha(calldataload(add(base, O_HISTORICAL_S90)), summaries)
                ),
                calldataload(add(base, O_HISTORICAL_S23))
            )
            let n4 := sha(sha(w, calldataload(add(base, O_HISTORICAL_S17))), calldataload(add(base, O_HISTORICAL_S9)))
            stateRoot := sha(
                sha(n4, sha(calldataload(add(base, O_HISTORICAL_S10)), n11)), calldataload(add(base, O_HISTORICAL_S3))
            )
        }
    }

    /// @notice The `historical_summaries` list root from `summary` (the root of
    /// `historical_summaries[k]`) and the branch at `o`: the list's length (8 bytes), the count
    /// `d <= 24` of explicit siblings (1 byte, checked by the caller) and the siblings, levels
    /// 0 .. d-1; the levels above take `ZERO[level]`. Shared by route 2 and the progressive
    /// layout's route 4 (`ProgressiveWithdrawalProofs`).
    function summariesRoot(bytes calldata proof, bytes32 summary, uint256 o, uint256 k)
        internal
        view
        returns (bytes32 root)
    {
        bytes memory zeros = ProofBytes.ZERO_HASHES;
        assembly ("memory-safe") {
            let base := add(proof.offset, o)
            let ok := 1
            mstore(0x00, summary)
            let count := byte(0, calldataload(add(base, SUMMARIES_TO_COUNT)))
            let sib := add(base, SUMMARIES_TO_SIBLINGS)
            let end := add(sib, shl(5, count))
            let path := k
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
            // Levels count .. 23: the sibling is ZERO[level].
            sib := add(add(zeros, 0x20), shl(5, count))
            end := add(add(zeros, 0x20), shl(5, SUMMARIES_DEPTH))
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
            mstore(0x20, and(calldataload(base), shl(192, 0xffffffffffffffff)))
            ok := and(ok, staticcall(gas(), 0x02, 0x00, 0x40, 0x00, 0x20))
            if iszero(ok) { revert(0x00, 0x00) }
            root := mload(0x00)
        }
    }

    /// @dev Routes 1 and 2: the anchor block root from its slot, header nodes 9, 10, 3 and the
    /// state root: `H(H(H(slot, r9), H(r10, stateRoot)), r3)`.
    function _anchorRoot(bytes calldata proof, bytes32 stateRoot) private view returns (bytes32 root) {
        assembly ("memory-safe") {
            function sha(a, b) -> r {
                mstore(0x00, a)
                mstore(0x20, b)
                if iszero(staticcall(gas(), 0x02, 0x00, 0x40, 0x00, 0x20)) { revert(0x00, 0x00) }
                r := mload(0x00)
            }
            let base := proof.offset
            let slotChunk := and(calldataload(add(base, O_ANCHOR_SLOT)), shl(192, 0xffffffffffffffff))
            root := sha(
                sha(
                    sha(slotChunk, calldataload(add(base, O_ANCHOR_PROPOSER))),
                    sha(calldataload(add(base, O_ANCHOR_PARENT)), stateRoot)
                ),
                calldataload(add(base, O_ANCHOR_BODY))
            )
        }
    }
}
