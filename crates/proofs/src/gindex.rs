//! Generalized indices (`ssz/merkle-proofs.md` "Generalized Merkle tree index") of everything
//! lsv proves, from the beacon **block** root (what EIP-4788 returns) and from the state root.
//!
//! A generalized index numbers the nodes of a binary tree breadth-first from the root, `1`; the
//! children of `g` are `2g` and `2g + 1`, so `g`'s depth is `floor(log2(g))` and its bits below
//! the leading one are the path (0 left, 1 right) from the root. Descending into a subtree
//! concatenates indices (`concat_generalized_indices`): `concat(a, b) = a * 2^depth(b) + b -
//! 2^depth(b)`.
//!
//! How the numbers arise, for the Electra and Fulu layouts (identical for everything below):
//!
//! - `BeaconBlockHeader` has 5 fields, so 8 leaves (depth 3); `state_root` is field 3:
//!   [`HEADER_STATE_ROOT`] = 8 + 3 = **11**.
//! - `BeaconState` has 37 fields in Electra and 38 in Fulu, so 64 leaves (depth 6) in both;
//!   field `f` is at state gindex **64 + f** and at block gindex 11·64 + f = **704 + f**.
//! - A `List[T, N]` root is `hash(data_root ‖ length)`: the data tree is child 2, the length
//!   chunk child 3. `validators` is `List[Validator, 2^40]` (one chunk per element, data depth
//!   40); `balances` and `inactivity_scores` are `List[uint64, 2^40]` (4 per chunk: 2^38 chunks,
//!   data depth 38).
//! - So `validators[i]` is at block gindex (704 + 11)·2·2^40 + i = **1430·2^40 + i** (depth
//!   3 + 6 + 1 + 40 = 50); the chunk holding `balances[i]` at **1432·2^38 + ⌊i/4⌋** (depth 48),
//!   the one holding `inactivity_scores[i]` at **1450·2^38 + ⌊i/4⌋** (depth 48).
//! - `Validator` has 8 fields (depth 3): field `j` of `validators[i]` is at
//!   (1430·2^40 + i)·8 + j (depth 53).

/// A generalized index. Everything lsv proves is shallower than 64, so `u64` holds it.
pub type GeneralizedIndex = u64;

/// `get_generalized_index_length`: the depth of `g` (`None` for the invalid index 0).
pub const fn depth(g: GeneralizedIndex) -> Option<usize> {
    if g == 0 {
        None
    } else {
        Some(63 - g.leading_zeros() as usize)
    }
}

/// The position of `g` among the nodes of its depth, from the left (`g - 2^depth(g)`).
pub const fn position(g: GeneralizedIndex) -> u64 {
    match depth(g) {
        Some(d) => g - (1u64 << d),
        None => 0,
    }
}

/// `concat_generalized_indices` for two indices: `b` counted from the node `a`. `None` on
/// overflow or an invalid index.
pub const fn concat(a: GeneralizedIndex, b: GeneralizedIndex) -> Option<GeneralizedIndex> {
    let Some(d) = depth(b) else { return None };
    let Some(shifted) = a.checked_mul(1u64 << d) else {
        return None;
    };
    shifted.checked_add(b - (1u64 << d))
}

/// The index of leaf `pos` in a tree of depth `d` (`2^d + pos`), as a subtree gindex.
pub const fn leaf(d: usize, pos: u64) -> GeneralizedIndex {
    (1u64 << d) + pos
}

/// Splits `g` at depth `top_depth`: its ancestor at that depth, and `g` counted from that
/// ancestor. `None` if `g` is not strictly deeper than `top_depth`.
pub const fn split(g: GeneralizedIndex, top_depth: usize) -> Option<(GeneralizedIndex, u64)> {
    let Some(d) = depth(g) else { return None };
    if d <= top_depth {
        return None;
    }
    let below = d - top_depth;
    let top = g >> below;
    let local = (1u64 << below) | (g & ((1u64 << below) - 1));
    Some((top, local))
}

// ---- BeaconBlockHeader (phase0 beacon-chain.md) ------------------------------------------

/// Depth of the `BeaconBlockHeader` chunk tree (5 fields, 8 leaves).
pub const HEADER_DEPTH: usize = 3;
/// `state_root` in the header: field 3 of 8 leaves.
pub const HEADER_STATE_ROOT: GeneralizedIndex = 11;

// ---- BeaconState (electra and fulu beacon-chain.md) --------------------------------------

/// Depth of the `BeaconState` chunk tree: 37 (Electra) or 38 (Fulu) fields, 64 leaves.
pub const STATE_DEPTH: usize = 6;
/// Field numbers (SSZ order) used by lsv, the same in Electra and Fulu.
pub mod field {
    /// `genesis_time`.
    pub const GENESIS_TIME: usize = 0;
    /// `genesis_validators_root`.
    pub const GENESIS_VALIDATORS_ROOT: usize = 1;
    /// `slot`.
    pub const SLOT: usize = 2;
    /// `fork`.
    pub const FORK: usize = 3;
    /// `latest_block_header`.
    pub const LATEST_BLOCK_HEADER: usize = 4;
    /// `block_roots`.
    pub const BLOCK_ROOTS: usize = 5;
    /// `validators`.
    pub const VALIDATORS: usize = 11;
    /// `balances`.
    pub const BALANCES: usize = 12;
    /// `finalized_checkpoint`.
    pub const FINALIZED_CHECKPOINT: usize = 20;
    /// `inactivity_scores`.
    pub const INACTIVITY_SCORES: usize = 21;
    /// `current_sync_committee`.
    pub const CURRENT_SYNC_COMMITTEE: usize = 22;
    /// `next_sync_committee`.
    pub const NEXT_SYNC_COMMITTEE: usize = 23;
    /// `historical_summaries`.
    pub const HISTORICAL_SUMMARIES: usize = 27;
    /// Fulu only (EIP-7917), after Electra's 37 fields.
    pub const PROPOSER_LOOKAHEAD: usize = 37;
}

/// The state gindex of field `f` (64 + f).
pub const fn state_field(f: usize) -> GeneralizedIndex {
    leaf(STATE_DEPTH, f as u64)
}

/// The block gindex of state field `f` (704 + f).
pub const fn block_state_field(f: usize) -> GeneralizedIndex {
    HEADER_STATE_ROOT * (1 << STATE_DEPTH) + f as u64
}

/// State gindex of `genesis_validators_root` (65).
pub const STATE_GENESIS_VALIDATORS_ROOT: GeneralizedIndex =
    state_field(field::GENESIS_VALIDATORS_ROOT);
/// State gindex of `validators` (75).
pub const STATE_VALIDATORS: GeneralizedIndex = state_field(field::VALIDATORS);
/// State gindex of `balances` (76).
pub const STATE_BALANCES: GeneralizedIndex = state_field(field::BALANCES);
/// State gindex of `inactivity_scores` (85).
pub const STATE_INACTIVITY_SCORES: GeneralizedIndex = state_field(field::INACTIVITY_SCORES);

/// The layout witness: state node 16 = hash(hash(genesis_time, genesis_validators_root),
/// hash(slot, fork)), the subtree of fields 0–3.
pub const STATE_WITNESS: GeneralizedIndex = 16;
/// [`STATE_WITNESS`] from the block root (11·16).
pub const BLOCK_WITNESS: GeneralizedIndex = HEADER_STATE_ROOT * 16;

/// Data depth of `validators` (`VALIDATOR_REGISTRY_LIMIT` = 2^40 elements, one chunk each).
pub const VALIDATORS_DATA_DEPTH: usize = 40;
/// Data depth of `balances` and `inactivity_scores` (2^40 uint64, 4 per chunk: 2^38 chunks).
pub const PACKED_U64_DATA_DEPTH: usize = 38;
/// `uint64` values per 32-byte chunk.
pub const U64_PER_CHUNK: u64 = 4;

/// State gindex of `validators[0]`: 75·2·2^40 = 150·2^40 (depth 47).
pub const STATE_VALIDATOR_0: GeneralizedIndex = (STATE_VALIDATORS * 2) << VALIDATORS_DATA_DEPTH;
/// State gindex of the first `balances` chunk: 76·2·2^38 = 152·2^38 (depth 45).
pub const STATE_BALANCES_CHUNK_0: GeneralizedIndex = (STATE_BALANCES * 2) << PACKED_U64_DATA_DEPTH;
/// State gindex of the first `inactivity_scores` chunk: 85·2·2^38 = 170·2^38 (depth 45).
pub const STATE_INACTIVITY_CHUNK_0: GeneralizedIndex =
    (STATE_INACTIVITY_SCORES * 2) << PACKED_U64_DATA_DEPTH;
/// Block gindex of `validators[0]`: 1430·2^40 (depth 50).
pub const BLOCK_VALIDATOR_0: GeneralizedIndex =
    (block_state_field(field::VALIDATORS) * 2) << VALIDATORS_DATA_DEPTH;
/// Block gindex of the first `balances` chunk: 1432·2^38 (depth 48).
pub const BLOCK_BALANCES_CHUNK_0: GeneralizedIndex =
    (block_state_field(field::BALANCES) * 2) << PACKED_U64_DATA_DEPTH;
/// Block gindex of the first `inactivity_scores` chunk: 1450·2^38 (depth 48).
pub const BLOCK_INACTIVITY_CHUNK_0: GeneralizedIndex =
    (block_state_field(field::INACTIVITY_SCORES) * 2) << PACKED_U64_DATA_DEPTH;

/// Block gindex of `validators[i]` (1430·2^40 + i).
pub const fn block_validator(i: u64) -> GeneralizedIndex {
    BLOCK_VALIDATOR_0 + i
}
/// Block gindex of the chunk holding `balances[i]` (1432·2^38 + ⌊i/4⌋).
pub const fn block_balance_chunk(i: u64) -> GeneralizedIndex {
    BLOCK_BALANCES_CHUNK_0 + i / U64_PER_CHUNK
}
/// Block gindex of the chunk holding `inactivity_scores[i]` (1450·2^38 + ⌊i/4⌋).
pub const fn block_inactivity_chunk(i: u64) -> GeneralizedIndex {
    BLOCK_INACTIVITY_CHUNK_0 + i / U64_PER_CHUNK
}

// ---- Validator (phase0 beacon-chain.md) ---------------------------------------------------

/// Depth of the `Validator` chunk tree (8 fields).
pub const VALIDATOR_DEPTH: usize = 3;

/// The state nodes the validator multiproof supplies ([`crate::merkle::helper_indices`] of the
/// witness and the three list roots, in the spec's decreasing order). See FORMAT.md.
pub const STATE_HELPERS: [GeneralizedIndex; 10] = [84, 77, 74, 43, 39, 36, 20, 17, 11, 3];
/// The header nodes the proof supplies above `state_root`, bottom-up: `parent_root` (10),
/// hash(slot, proposer_index) (4), hash(hash(body_root, 0), `ZERO[1]`) (3).
pub const HEADER_HELPERS: [GeneralizedIndex; 3] = [10, 4, 3];

// ---- Withdrawal proofs (settlement): blocks, execution payloads, history ------------------
//
// - `BeaconBlock` (and its header) has 5 fields, 8 leaves: `slot` 8, `proposer_index` 9,
//   `parent_root` 10, `state_root` 11, `body`/`body_root` 12; nodes 13–15 are zero chunks.
// - `BeaconBlockBody` (Electra = Fulu; Deneb too) has 13 fields, 16 leaves:
//   `execution_payload` is field 9, body gindex 16 + 9 = **25**, block gindex 12·16 + 9 = **201**.
// - `ExecutionPayload` (Deneb layout, also Electra and Fulu) has 17 fields, 32 leaves:
//   `withdrawals` is field 14, payload gindex 32 + 14 = **46**, block gindex 201·32 + 14 =
//   **6446**.
// - `withdrawals` is `List[Withdrawal, MAX_WITHDRAWALS_PER_PAYLOAD = 16]` (mainnet): data depth 4,
//   so `withdrawals[j]` is at block gindex 6446·2·16 + j = **206272 + j** (depth 17); the
//   `Withdrawal` has 4 fields (depth 2). Minimal: 4 withdrawals, data depth 2, 6446·2·4 + j.
// - `block_roots` is state field 5 (`Vector[Root, SLOTS_PER_HISTORICAL_ROOT = 8192]`, depth 13):
//   `block_roots[p]` is at state gindex 69·8192 + p, block gindex 709·8192 + p (depth 22).
//   Minimal: 64 roots, depth 6, 69·64 + p.
// The two preset lengths change only these two depths (and nothing a validator proof uses); the
// constants below are mainnet's, the largest, which size the withdrawal proof's sibling slots
// (`withdrawal::WithdrawalDepths` is a chain's).
// - `historical_summaries` is state field 27 (`List[HistoricalSummary, 2^24]`, data depth 24);
//   `historical_summaries[k].block_summary_root` is at state gindex (91·2·2^24 + k)·2 and is the
//   root of a `block_roots` vector, so one of its roots is 13 levels further down.

/// Header (and block) node of `slot`.
pub const BLOCK_SLOT: GeneralizedIndex = 8;
/// Header node of `proposer_index`.
pub const BLOCK_PROPOSER_INDEX: GeneralizedIndex = 9;
/// Header node of `parent_root`.
pub const BLOCK_PARENT_ROOT: GeneralizedIndex = 10;
/// Block node of `body` (header: `body_root`).
pub const BLOCK_BODY: GeneralizedIndex = 12;

/// Depth of the `BeaconBlockBody` chunk tree (13 fields, 16 leaves).
pub const BODY_DEPTH: usize = 4;
/// `execution_payload` in the body: field 9.
pub const BODY_EXECUTION_PAYLOAD_FIELD: usize = 9;
/// Body gindex of `execution_payload` (25, the light-client `EXECUTION_PAYLOAD_GINDEX` relative to
/// the body).
pub const BODY_EXECUTION_PAYLOAD: GeneralizedIndex =
    leaf(BODY_DEPTH, BODY_EXECUTION_PAYLOAD_FIELD as u64);
/// Depth of the `ExecutionPayload` chunk tree (17 fields, 32 leaves).
pub const PAYLOAD_DEPTH: usize = 5;
/// `withdrawals` in the payload: field 14.
pub const PAYLOAD_WITHDRAWALS_FIELD: usize = 14;
/// Payload gindex of `withdrawals` (46).
pub const PAYLOAD_WITHDRAWALS: GeneralizedIndex =
    leaf(PAYLOAD_DEPTH, PAYLOAD_WITHDRAWALS_FIELD as u64);
/// Data depth of `withdrawals` (`MAX_WITHDRAWALS_PER_PAYLOAD` = 16, mainnet preset; minimal 2):
/// the withdrawal proof's 4 sibling slots.
pub const WITHDRAWALS_DATA_DEPTH: usize = 4;
/// Depth of the `Withdrawal` chunk tree (4 fields).
pub const WITHDRAWAL_DEPTH: usize = 2;

/// Block gindex of `execution_payload` (201).
pub const BLOCK_EXECUTION_PAYLOAD: GeneralizedIndex = BLOCK_BODY * 16 + 9;
/// Block gindex of `execution_payload.withdrawals` (6446).
pub const BLOCK_WITHDRAWALS: GeneralizedIndex = BLOCK_EXECUTION_PAYLOAD * 32 + 14;
/// Block gindex of `withdrawals[j]` (206272 + j), mainnet preset.
pub const fn block_withdrawal(j: u64) -> GeneralizedIndex {
    ((BLOCK_WITHDRAWALS * 2) << WITHDRAWALS_DATA_DEPTH) + j
}

/// Depth of `block_roots` (`SLOTS_PER_HISTORICAL_ROOT` = 8192, mainnet preset; minimal 6): the
/// withdrawal proof's 13 sibling slots.
pub const BLOCK_ROOTS_DEPTH: usize = 13;
/// Slots per `block_roots` vector and per `historical_summaries` entry, mainnet preset.
pub const SLOTS_PER_HISTORICAL_ROOT: u64 = 1 << BLOCK_ROOTS_DEPTH;
/// Data depth of `historical_summaries` (`HISTORICAL_ROOTS_LIMIT` = 2^24).
pub const HISTORICAL_SUMMARIES_DATA_DEPTH: usize = 24;

/// State gindex of `block_roots` (69).
pub const STATE_BLOCK_ROOTS: GeneralizedIndex = state_field(field::BLOCK_ROOTS);
/// State gindex of `historical_summaries` (91).
pub const STATE_HISTORICAL_SUMMARIES: GeneralizedIndex = state_field(field::HISTORICAL_SUMMARIES);
/// State gindex of `block_roots[p]` (69·8192 + p), mainnet preset.
pub const fn state_block_root(p: u64) -> GeneralizedIndex {
    (STATE_BLOCK_ROOTS << BLOCK_ROOTS_DEPTH) + p
}
/// State gindex of `historical_summaries[k].block_summary_root` ((91·2·2^24 + k)·2).
pub const fn state_block_summary_root(k: u64) -> GeneralizedIndex {
    (((STATE_HISTORICAL_SUMMARIES * 2) << HISTORICAL_SUMMARIES_DATA_DEPTH) + k) * 2
}

/// Header nodes a withdrawal proof supplies for the withdrawal's block besides `slot`: 9
/// (`proposer_index`) and, when the block is not the anchor, 5 (`H(parent_root, state_root)`).
/// Nodes 13 and 7 above `body_root` are the constants `ZERO[0]` and `ZERO[1]`.
pub const BODY_HELPERS: [GeneralizedIndex; 4] = [24, 13, 7, 2];
/// Payload nodes supplied above `withdrawals` (bottom-up siblings of node 46).
pub const PAYLOAD_HELPERS: [GeneralizedIndex; 5] = [47, 22, 10, 4, 3];
/// State nodes of the direct route: `get_helper_indices([16])`.
pub const DIRECT_STATE_HELPERS: [GeneralizedIndex; 4] = [17, 9, 5, 3];
/// State nodes of the `block_roots` route: `get_helper_indices([16, 69])`.
pub const BLOCK_ROOTS_STATE_HELPERS: [GeneralizedIndex; 5] = [68, 35, 9, 5, 3];
/// State nodes of the `historical_summaries` route: `get_helper_indices([16, 91])`.
pub const HISTORICAL_STATE_HELPERS: [GeneralizedIndex; 7] = [90, 44, 23, 17, 10, 9, 3];

// ---- Progressive merkleization (Gloas: EIP-7916 lists, EIP-7495 containers) ----------------

/// Generalized indices in a progressive tree (`ssz/simple-serialize.md`, "Merkleization":
/// `merkleize_progressive`), counted from the mixed-in root (`1`): node 2 is the progressive
/// root, node 3 the mix-in (a list's length, a container's active-fields bitvector).
///
/// Chunks are grouped in levels of 1, 4, 16, … (`4^L` at level `L`); level `L` starts at chunk
/// `(4^L − 1) / 3`. The spine node of level `L` hangs at `3·2^L − 1` (2, 5, 11, 23, …), its
/// left child is the level's binary subtree of depth `2L` (its root `6·2^L − 2`), its right child
/// the next spine node. So chunk `c` of level `L` is at `(6·2^L − 2)·4^L + (c − start_L)`, at
/// depth `3L + 2`: the depth grows with the index and is computed, never fixed. Checked
/// against the spec's own generalized indices in `tests/gloas_state.rs`.
pub mod progressive {
    use super::GeneralizedIndex;

    /// The first chunk of level `level`: `(4^level − 1) / 3`.
    pub const fn level_start(level: u32) -> u64 {
        ((1u64 << (2 * level)) - 1) / 3
    }

    /// The level holding chunk `c`: the `L` with `start_L ≤ c < start_{L+1}`.
    pub const fn level(c: u64) -> u32 {
        let mut level = 0;
        // start_{L+1} = 4·start_L + 1; levels up to 31 cover every u64 chunk index.
        while level < 31 && c >= level_start(level + 1) {
            level += 1;
        }
        level
    }

    /// The number of siblings from chunk `c` up to the progressive root: `2L` inside the
    /// level's subtree, the spine's right child, then the `L` levels to the left.
    pub const fn branch_len(c: u64) -> usize {
        3 * level(c) as usize + 1
    }

    /// The generalized index of chunk `c`, from the mixed-in root; `None` if it does not fit
    /// in 64 bits (chunks past about 2^28, far beyond any registry).
    pub const fn chunk(c: u64) -> Option<GeneralizedIndex> {
        let l = level(c);
        let depth = 3 * l + 2;
        if depth >= 64 {
            return None;
        }
        let subtree_root = 6 * (1u64 << l) - 2;
        Some((subtree_root << (2 * l)) + (c - level_start(l)))
    }

    /// The mix-in chunk (length or active fields): node 3.
    pub const MIX_IN: GeneralizedIndex = 3;
}

/// The Gloas `BeaconState` (`specs/gloas/beacon-chain.md`, a `ProgressiveContainer` of 46
/// fields): field `f` is chunk `f` of the progressive tree.
pub mod gloas {
    use super::{concat, progressive, GeneralizedIndex, HEADER_STATE_ROOT};

    /// State gindex of field `f` (`progressive::chunk(f)`: fields 0, 1–4, 5–20, 21–84 at depths
    /// 2, 5, 8, 11).
    pub const fn state_field(f: usize) -> GeneralizedIndex {
        match progressive::chunk(f as u64) {
            Some(g) => g,
            None => panic!("a state field is a small chunk index"),
        }
    }

    /// `genesis_time` (field 0).
    pub const GENESIS_TIME: GeneralizedIndex = state_field(0);
    /// `validators` (field 11).
    pub const VALIDATORS: GeneralizedIndex = state_field(super::field::VALIDATORS);
    /// `balances` (field 12).
    pub const BALANCES: GeneralizedIndex = state_field(super::field::BALANCES);
    /// `inactivity_scores` (field 21).
    pub const INACTIVITY_SCORES: GeneralizedIndex = state_field(super::field::INACTIVITY_SCORES);
    /// The state's active-fields chunk, the layout witness's top sibling.
    pub const ACTIVE_FIELDS: GeneralizedIndex = progressive::MIX_IN;

    /// The state nodes a format-2 validator proof carries besides the leaves it computes
    /// (`genesis_time` 4, `genesis_validators_root` 40, `slot` 41, `fork` 42, `validators` 358,
    /// `balances` 359, `inactivity_scores` 2944, the active fields 3): the spec's
    /// `get_helper_indices` of those, in its decreasing order.
    pub const VALIDATOR_PROOF_HELPERS: [GeneralizedIndex; 11] =
        [2945, 1473, 737, 369, 185, 178, 93, 88, 47, 45, 43];

    /// The fields a validator proof reads, which must be active in the proven state.
    pub const VALIDATOR_PROOF_FIELDS: [usize; 7] = [0, 1, 2, 3, 11, 12, 21];

    /// State gindex of the element/chunk `c` of the progressive list at state gindex `list`.
    pub const fn list_chunk(list: GeneralizedIndex, c: u64) -> Option<GeneralizedIndex> {
        match progressive::chunk(c) {
            Some(g) => concat(list, g),
            None => None,
        }
    }

    /// Block gindex of state gindex `g` (through the header's `state_root`).
    pub const fn from_block(g: GeneralizedIndex) -> Option<GeneralizedIndex> {
        concat(HEADER_STATE_ROOT, g)
    }
}
