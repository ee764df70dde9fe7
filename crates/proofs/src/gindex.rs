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
    pub const GENESIS_TIME: usize = 0;
    pub const GENESIS_VALIDATORS_ROOT: usize = 1;
    pub const SLOT: usize = 2;
    pub const FORK: usize = 3;
    pub const LATEST_BLOCK_HEADER: usize = 4;
    pub const VALIDATORS: usize = 11;
    pub const BALANCES: usize = 12;
    pub const FINALIZED_CHECKPOINT: usize = 20;
    pub const INACTIVITY_SCORES: usize = 21;
    pub const CURRENT_SYNC_COMMITTEE: usize = 22;
    pub const NEXT_SYNC_COMMITTEE: usize = 23;
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
