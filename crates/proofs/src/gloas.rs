//! Validator proofs for the progressive state layout (Gloas and every later fork that keeps
//! EIP-7688's promise): format 2 of FORMAT.md.
//!
//! Gloas makes the `BeaconState` a `ProgressiveContainer` and its registry-sized lists
//! progressive, so every generalized index C reads moves and the depth of a list element grows
//! with its index ([`gindex::progressive`]). The proof carries what format 1 carries, with two
//! differences:
//!
//! - each list branch has exactly `3L + 1` siblings for the element's level `L`, the count the
//!   verifier derives from the index it was given (never a fixed depth);
//! - the layout witness is the state's **active-fields** chunk (node 3), which must mark every
//!   field the proof reads as active, with `genesis_time` at node 4: a later fork that only
//!   appends or deprecates other fields proves the same way, one that deprecates a field C
//!   reads fails closed, and a Fulu-shaped root cannot pass (its node 4 is a hash, not a
//!   genesis-time chunk).
//!
//! [`GloasStateProver`] hashes a decoded Gloas state once and answers any node C needs;
//! [`GloasValidatorProof::build`] reads every value it puts in a proof from a [`NodeSource`], so
//! the same code builds proofs from our trees and from the executable spec's
//! (`tests/gloas_state.rs`).

use crate::gindex::{self, gloas as layout, progressive, GeneralizedIndex};
use crate::merkle::{hash_pair, u64_chunk, ListTree, MerkleTree, ProgressiveTree};
use crate::preset::StatePreset;
use crate::proof::{
    check_block_root, fork_root, put_fork, put_list_branch, put_parts, put_validator, read_part,
    read_validator, validator_root, ListBranch, ListPart, ProofParts, ProvenValidator, VerifyError,
    PART_BALANCE, PART_INACTIVITY_SCORE, VALIDATOR_SSZ_LEN,
};
use crate::prover::{header_tree, packed_chunks, validator_node, validator_root as leaf_root};
use crate::reader::Reader;
use crate::state::gloas::{BeaconState, FIELD_COUNT};
use crate::ProveError;
use alloy_primitives::B256;
use lsv_consensus::containers::{BeaconBlockHeader, Fork};
use lsv_consensus::{Epoch, Gwei, Mainnet, PublicKeyBytes, Slot, Version};
use rayon::prelude::*;
use tree_hash::TreeHash;
use typenum::Unsigned;

/// The first byte of a format-2 proof.
pub const FORMAT_VERSION: u8 = 2;

/// Bytes before the `validators` siblings: version, parts, header branch, slot, fork, active
/// fields, the 11 state nodes, the validator, `nV`, `dV`.
pub const FIXED_LEN: usize =
    1 + 1 + 3 * 32 + 8 + crate::proof::FORK_SSZ_LEN + 32 + 11 * 32 + VALIDATOR_SSZ_LEN + 8 + 1;

/// Anything that can give the node at a state-relative generalized index: a hashed state
/// ([`GloasStateProver`]), or the nodes the executable spec wrote for a test.
pub trait NodeSource {
    /// The node at state gindex `g`, if this source has it.
    fn node(&self, g: GeneralizedIndex) -> Option<B256>;
}

impl NodeSource for std::collections::BTreeMap<GeneralizedIndex, B256> {
    fn node(&self, g: GeneralizedIndex) -> Option<B256> {
        self.get(&g).copied()
    }
}

/// What a format-2 verifier knows independently of any proof: the chain's genesis. No fork
/// versions: the active fields say the layout.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GloasAnchor {
    /// The chain's `genesis_time`.
    pub genesis_time: u64,
    /// The chain's `genesis_validators_root`.
    pub genesis_validators_root: B256,
}

/// A format-2 proof (FORMAT.md "Format 2"): `validators[i]`, optionally the chunks of
/// `balances[i]` and `inactivity_scores[i]`, and the layout witness, against a block root. Each
/// [`ListBranch`] holds exactly the `3L + 1` siblings up to the list's progressive root.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GloasValidatorProof {
    /// Header nodes 10, 4, 3.
    pub header_branch: [B256; 3],
    /// `state.slot`.
    pub slot: Slot,
    /// `state.fork`.
    pub fork: Fork,
    /// State node 3: the active-fields bitvector, packed.
    pub active_fields: B256,
    /// State nodes [`layout::VALIDATOR_PROOF_HELPERS`].
    pub state_branch: [B256; 11],
    /// `state.validators[i]`.
    pub validator: lsv_consensus::containers::Validator,
    /// Its branch to the registry's progressive root, and the registry's length.
    pub validator_branch: ListBranch,
    /// `balances[i]`'s chunk, or the list root.
    pub balance: ListPart,
    /// `inactivity_scores[i]`'s chunk, or the list root.
    pub inactivity_score: ListPart,
}

/// Whether field `f` is marked active in the packed active-fields chunk.
pub fn field_is_active(active_fields: &B256, f: usize) -> bool {
    f < 256 && active_fields[f / 8] & (1 << (f % 8)) != 0
}

impl GloasValidatorProof {
    /// Builds the proof of validator `index` (with the parts asked for) from the nodes of a
    /// state and the header of its block. Every value comes from `source`: the slot, the fork,
    /// the validator's fields and the list lengths are read from their leaves.
    pub fn build(
        source: &impl NodeSource,
        header: &BeaconBlockHeader,
        index: u64,
        parts: ProofParts,
    ) -> Result<Self, ProveError> {
        let missing = |g| ProveError::MissingNode { gindex: g };
        let node = |g: GeneralizedIndex| source.node(g).ok_or(missing(g));
        let state_root = hash_pair(&node(2)?, &node(3)?);
        if header.state_root != state_root {
            return Err(ProveError::HeaderStateMismatch {
                header: header.state_root,
                state: state_root,
            });
        }
        let tree = header_tree(header);
        let header_branch = gindex::HEADER_HELPERS.map(|g| tree.node(g).expect("a header node"));
        let registry_length = u64_of(&node(
            gindex::concat(layout::VALIDATORS, 3).expect("small"),
        )?);
        if index >= registry_length {
            return Err(ProveError::UnknownValidator {
                index,
                registry_length,
            });
        }
        let fork_g = layout::state_field(gindex::field::FORK);
        let fork_leaf = |k| node(fork_g * 4 + k);
        let fork = Fork {
            previous_version: version_of(&fork_leaf(0)?),
            current_version: version_of(&fork_leaf(1)?),
            epoch: Epoch::new(u64_of(&fork_leaf(2)?)),
        };
        let v = layout::list_chunk(layout::VALIDATORS, index).ok_or(missing(0))?;
        let field = |f: u64| node(v * 8 + f);
        let (pk_head, pk_tail) = (node(v * 16)?, node(v * 16 + 1)?);
        let mut pubkey = [0u8; 48];
        pubkey[..32].copy_from_slice(pk_head.as_slice());
        pubkey[32..].copy_from_slice(&pk_tail[..16]);
        let validator = lsv_consensus::containers::Validator {
            pubkey: PublicKeyBytes(pubkey),
            withdrawal_credentials: field(1)?,
            effective_balance: Gwei::new(u64_of(&field(2)?)),
            slashed: field(3)?[0] == 1,
            activation_eligibility_epoch: Epoch::new(u64_of(&field(4)?)),
            activation_epoch: Epoch::new(u64_of(&field(5)?)),
            exit_epoch: Epoch::new(u64_of(&field(6)?)),
            withdrawable_epoch: Epoch::new(u64_of(&field(7)?)),
        };
        let part = |list: GeneralizedIndex, wanted: bool| -> Result<ListPart, ProveError> {
            if !wanted {
                return Ok(ListPart::Omitted {
                    list_root: node(list)?,
                });
            }
            let c = index / gindex::U64_PER_CHUNK;
            let g = layout::list_chunk(list, c).ok_or(missing(0))?;
            Ok(ListPart::Proven {
                chunk: node(g)?,
                branch: list_branch(source, list, c)?,
            })
        };
        Ok(Self {
            header_branch,
            slot: Slot::new(u64_of(&node(layout::state_field(gindex::field::SLOT))?)),
            fork,
            active_fields: node(layout::ACTIVE_FIELDS)?,
            state_branch: {
                let mut nodes = [B256::ZERO; 11];
                for (n, g) in nodes.iter_mut().zip(layout::VALIDATOR_PROOF_HELPERS) {
                    *n = node(g)?;
                }
                nodes
            },
            validator,
            validator_branch: list_branch(source, layout::VALIDATORS, index)?,
            balance: part(layout::BALANCES, parts.balance)?,
            inactivity_score: part(layout::INACTIVITY_SCORES, parts.inactivity_score)?,
        })
    }

    /// Verifies the proof for validator `index` against `block_root` (FORMAT.md "Format 2",
    /// "Verification", in order).
    pub fn verify(
        &self,
        block_root: B256,
        index: u64,
        anchor: &GloasAnchor,
    ) -> Result<ProvenValidator, VerifyError> {
        // 1. The layout: every field the proof reads is active.
        for f in layout::VALIDATOR_PROOF_FIELDS {
            if !field_is_active(&self.active_fields, f) {
                return Err(VerifyError::InactiveField(f));
            }
        }
        // 2. validators[index] up to the list root (state node 358).
        let validators_root = progressive_list_root(
            "validators",
            validator_root(&self.validator),
            index,
            index,
            &self.validator_branch,
        )?;
        // 3. The packed parts up to their list roots (nodes 359, 2944).
        let (balances_root, balance) = packed_part("balances", index, &self.balance)?;
        let (inactivity_root, inactivity_score) =
            packed_part("inactivity_scores", index, &self.inactivity_score)?;
        // 4. The state root: the witness leaves (genesis time 4, genesis validators root 40,
        // slot 41, fork 42), the three lists and the eleven helpers, the active fields on top.
        let [s2945, s1473, s737, s369, s185, s178, s93, s88, s47, s45, s43] = self.state_branch;
        let n20 = hash_pair(
            &anchor.genesis_validators_root,
            &u64_chunk(self.slot.as_u64()),
        );
        let n21 = hash_pair(&fork_root(&self.fork), &s43);
        let n10 = hash_pair(&n20, &n21);
        let n89 = hash_pair(&s178, &hash_pair(&validators_root, &balances_root));
        let n22 = hash_pair(&hash_pair(&s88, &n89), &s45);
        let mut n46 = inactivity_root;
        for s in [s2945, s1473, s737, s369, s185, s93] {
            n46 = hash_pair(&n46, &s);
        }
        let n11 = hash_pair(&n22, &hash_pair(&n46, &s47));
        let state_root = state_root_of(anchor.genesis_time, &n10, &n11, &self.active_fields);
        // 5. The block root.
        check_block_root(&self.header_branch, &state_root, block_root)?;
        Ok(ProvenValidator {
            index,
            slot: self.slot,
            fork: self.fork,
            registry_length: self.validator_branch.length,
            validator: self.validator,
            balance: balance.map(Gwei::new),
            inactivity_score,
        })
    }

    /// The parts this proof carries.
    pub fn parts(&self) -> ProofParts {
        ProofParts::of(&self.balance, &self.inactivity_score)
    }

    /// The on-chain encoding (FORMAT.md "Format 2", "Byte layout").
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(FIXED_LEN + 32 * self.validator_branch.siblings.len());
        out.push(FORMAT_VERSION);
        out.push(self.parts().bits());
        for node in &self.header_branch {
            out.extend_from_slice(node.as_slice());
        }
        out.extend_from_slice(&self.slot.as_u64().to_le_bytes());
        put_fork(&mut out, &self.fork);
        out.extend_from_slice(self.active_fields.as_slice());
        for node in &self.state_branch {
            out.extend_from_slice(node.as_slice());
        }
        put_validator(&mut out, &self.validator);
        put_list_branch(&mut out, &self.validator_branch);
        put_parts(&mut out, [&self.balance, &self.inactivity_score]);
        out
    }

    /// Parses the on-chain encoding. Rejects other versions, unknown part bits, sibling
    /// counts above any level's (`3·31 + 1`), truncation and trailing bytes; whether a count
    /// fits the index is checked by [`verify`](Self::verify), which knows the index.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, VerifyError> {
        let mut r = Reader::new(bytes);
        if r.u8()? != FORMAT_VERSION {
            return Err(VerifyError::Malformed("unknown format version"));
        }
        let parts = r.u8()?;
        if parts & !(PART_BALANCE | PART_INACTIVITY_SCORE) != 0 {
            return Err(VerifyError::Malformed("unknown part bits"));
        }
        let header_branch = r.nodes()?;
        let slot = Slot::new(r.u64_le()?);
        let fork = r.fork()?;
        let active_fields = r.b256()?;
        let state_branch = r.nodes()?;
        let validator = read_validator(&mut r)?;
        const TOO_MANY: &str = "more siblings than any progressive level has";
        let validator_branch = r.list_branch(MAX_BRANCH, TOO_MANY)?;
        let balance = read_part(&mut r, parts & PART_BALANCE != 0, MAX_BRANCH, TOO_MANY)?;
        let inactivity_score = read_part(
            &mut r,
            parts & PART_INACTIVITY_SCORE != 0,
            MAX_BRANCH,
            TOO_MANY,
        )?;
        r.finish()?;
        Ok(Self {
            header_branch,
            slot,
            fork,
            active_fields,
            state_branch,
            validator,
            validator_branch,
            balance,
            inactivity_score,
        })
    }
}

/// The most siblings a branch may have: level 31 holds the last u64 chunk index.
const MAX_BRANCH: usize = 3 * 31 + 1;

/// The branch of chunk `c` of the progressive list at state gindex `list`: the `3L + 1` siblings
/// from the chunk up to the list's progressive root, and the list's length.
fn list_branch(
    source: &impl NodeSource,
    list: GeneralizedIndex,
    c: u64,
) -> Result<ListBranch, ProveError> {
    let missing = |g| ProveError::MissingNode { gindex: g };
    let length = u64_of(
        &source
            .node(gindex::concat(list, 3).ok_or(missing(list))?)
            .ok_or(missing(list))?,
    );
    let top = gindex::concat(list, 2).ok_or(missing(list))?;
    let mut g = layout::list_chunk(list, c).ok_or(missing(list))?;
    let mut siblings = Vec::with_capacity(progressive::branch_len(c));
    while g > top {
        siblings.push(source.node(g ^ 1).ok_or(missing(g ^ 1))?);
        g >>= 1;
    }
    Ok(ListBranch { length, siblings })
}

/// Hashes `leaf`, chunk `c` of a progressive list, up to the list root: `2L` levels along the
/// chunk's position in level `L`'s subtree, the spine sibling on the right, the `L` level roots
/// on the left, then the length. `index` (the element) must be below the length, and the
/// branch must have exactly `3L + 1` siblings.
fn progressive_list_root(
    list: &'static str,
    leaf: B256,
    index: u64,
    c: u64,
    branch: &ListBranch,
) -> Result<B256, VerifyError> {
    if index >= branch.length {
        return Err(VerifyError::IndexOutOfRange {
            list,
            index,
            length: branch.length,
        });
    }
    let level = progressive::level(c) as usize;
    if branch.siblings.len() != 3 * level + 1 {
        return Err(VerifyError::BranchLength {
            list,
            siblings: branch.siblings.len(),
            expected: 3 * level + 1,
        });
    }
    let node = climb_progressive(leaf, c, &branch.siblings);
    Ok(hash_pair(&node, &u64_chunk(branch.length)))
}

/// `leaf`, chunk `c` of a progressive tree, hashed up its `3L + 1` siblings to the progressive
/// root: `2L` levels along the chunk's position in level `L`'s subtree, the spine sibling on the
/// right, the `L` earlier level roots on the left. The caller checks the sibling count.
pub(crate) fn climb_progressive(leaf: B256, c: u64, siblings: &[B256]) -> B256 {
    let level = progressive::level(c) as usize;
    let pos = c - progressive::level_start(level as u32);
    let (inside, rest) = siblings.split_at(2 * level);
    let mut node = leaf;
    for (h, s) in inside.iter().enumerate() {
        node = if (pos >> h) & 1 == 1 {
            hash_pair(s, &node)
        } else {
            hash_pair(&node, s)
        };
    }
    node = hash_pair(&node, &rest[0]);
    for left in &rest[1..] {
        node = hash_pair(left, &node);
    }
    node
}

/// `H(H(chunk(genesis_time), H(n10, n11)), active_fields)`: a progressive state's root from its
/// nodes 10 and 11, the chain's genesis time at node 4 and the active fields at node 3.
pub(crate) fn state_root_of(
    genesis_time: u64,
    n10: &B256,
    n11: &B256,
    active_fields: &B256,
) -> B256 {
    hash_pair(
        &hash_pair(&u64_chunk(genesis_time), &hash_pair(n10, n11)),
        active_fields,
    )
}

fn packed_part(
    list: &'static str,
    index: u64,
    part: &ListPart,
) -> Result<(B256, Option<u64>), VerifyError> {
    match part {
        ListPart::Omitted { list_root } => Ok((*list_root, None)),
        ListPart::Proven { chunk, branch } => {
            let root =
                progressive_list_root(list, *chunk, index, index / gindex::U64_PER_CHUNK, branch)?;
            Ok((root, Some(u64_of_at(chunk, index))))
        }
    }
}

/// The uint64 of element `index` in its packed chunk.
fn u64_of_at(chunk: &B256, index: u64) -> u64 {
    let at = 8 * (index % gindex::U64_PER_CHUNK) as usize;
    u64::from_le_bytes(chunk[at..at + 8].try_into().expect("8 bytes"))
}

/// The uint64 in a chunk's first 8 bytes (a lone basic value, a list length).
pub(crate) fn u64_of(chunk: &B256) -> u64 {
    u64_of_at(chunk, 0)
}

pub(crate) fn version_of(chunk: &B256) -> Version {
    Version(chunk[..4].try_into().expect("4 bytes"))
}

/// A Gloas `BeaconState` with the trees needed to prove any validator in it.
#[derive(Clone, Debug)]
pub struct GloasStateProver<P: StatePreset = Mainnet> {
    state: BeaconState<P>,
    fields: ProgressiveTree,
    validators: ProgressiveTree,
    balances: ProgressiveTree,
    inactivity_scores: ProgressiveTree,
    /// `state_roots`, for payment proofs of earlier states.
    state_roots: MerkleTree,
    /// `payload_expected_withdrawals`, for payment proofs.
    expected_withdrawals: ProgressiveTree,
    /// `historical_summaries`, for payment proofs of states older than `state_roots` holds.
    historical_summaries: ListTree,
}

impl<P: StatePreset> GloasStateProver<P> {
    /// Decodes the SSZ of a Gloas state and hashes it.
    pub fn from_ssz_vec(bytes: Vec<u8>) -> Result<Self, crate::StateError> {
        Ok(Self::new(BeaconState::decode(bytes)?))
    }

    /// Hashes the state: `tree_hash` (with progressive lists) for every field but the three
    /// lists proofs go into, whose trees are built here.
    pub fn new(state: BeaconState<P>) -> Self {
        let registry = &state.validators.0;
        let validators = ProgressiveTree::list(
            registry.par_iter().map(leaf_root).collect(),
            registry.len() as u64,
        );
        let balances = ProgressiveTree::list(
            packed_chunks(&state.balances.0),
            state.balances.0.len() as u64,
        );
        let inactivity_scores = ProgressiveTree::list(
            packed_chunks(&state.inactivity_scores.0),
            state.inactivity_scores.0.len() as u64,
        );
        let roots = (0..FIELD_COUNT)
            .into_par_iter()
            .map(|f| match f {
                gindex::field::VALIDATORS => validators.root(),
                gindex::field::BALANCES => balances.root(),
                gindex::field::INACTIVITY_SCORES => inactivity_scores.root(),
                f => state.field_root(f).expect("f < FIELD_COUNT"),
            })
            .collect();
        let mut active = B256::ZERO;
        for f in 0..FIELD_COUNT {
            active[f / 8] |= 1 << (f % 8);
        }
        let state_roots = MerkleTree::new(
            state.state_roots.to_vec(),
            P::SlotsPerHistoricalRoot::to_usize().trailing_zeros() as usize,
        );
        let expected = &state.payload_expected_withdrawals.0;
        let expected_withdrawals = ProgressiveTree::list(
            expected.iter().map(TreeHash::tree_hash_root).collect(),
            expected.len() as u64,
        );
        let historical_summaries = ListTree::new(
            state
                .historical_summaries
                .iter()
                .map(TreeHash::tree_hash_root)
                .collect(),
            gindex::HISTORICAL_SUMMARIES_DATA_DEPTH,
            state.historical_summaries.len() as u64,
        );
        Self {
            fields: ProgressiveTree::new(roots, active),
            historical_summaries,
            state,
            validators,
            balances,
            inactivity_scores,
            state_roots,
            expected_withdrawals,
        }
    }

    /// The state.
    pub fn state(&self) -> &BeaconState<P> {
        &self.state
    }

    /// `hash_tree_root(state)`.
    pub fn state_root(&self) -> B256 {
        self.fields.root()
    }

    /// The proof of `validators[index]` (and the parts asked for) against `header`'s root.
    pub fn validator_proof(
        &self,
        header: &BeaconBlockHeader,
        index: u64,
        parts: ProofParts,
    ) -> Result<GloasValidatorProof, ProveError> {
        GloasValidatorProof::build(self, header, index, parts)
    }
}

impl<P: StatePreset> NodeSource for GloasStateProver<P> {
    /// Every node of the state's progressive field tree, and below it the trees of
    /// `validators` (down to a validator's fields and pubkey chunks), `balances`,
    /// `inactivity_scores`, `state_roots`, `payload_expected_withdrawals` (down to a
    /// withdrawal's fields), `historical_summaries` (down to a summary's two roots) and `fork`. `None` elsewhere.
    fn node(&self, g: GeneralizedIndex) -> Option<B256> {
        let under = |top: GeneralizedIndex| {
            let (d, top_d) = (gindex::depth(g)?, gindex::depth(top)?);
            (d > top_d && g >> (d - top_d) == top).then(|| gindex::split(g, top_d).map(|s| s.1))?
        };
        if let Some(local) = under(layout::VALIDATORS) {
            return self.validator_node(local);
        }
        if let Some(local) = under(layout::BALANCES) {
            return self.balances.node(local);
        }
        if let Some(local) = under(layout::INACTIVITY_SCORES) {
            return self.inactivity_scores.node(local);
        }
        if let Some(local) = under(layout::state_field(STATE_ROOTS_FIELD)) {
            return self.state_roots.node(local);
        }
        if let Some(local) = under(layout::state_field(EXPECTED_WITHDRAWALS_FIELD)) {
            return self.expected_withdrawal_node(local);
        }
        if let Some(local) = under(layout::state_field(HISTORICAL_SUMMARIES_FIELD)) {
            return self.historical_summaries.node(local).or_else(|| {
                // A `HistoricalSummary`'s two fields, one level below its chunk.
                let k = (local >> 1).checked_sub(2 << gindex::HISTORICAL_SUMMARIES_DATA_DEPTH)?;
                let summary = self
                    .state
                    .historical_summaries
                    .get(usize::try_from(k).ok()?)?;
                let field = if local & 1 == 0 {
                    summary.block_summary_root
                } else {
                    summary.state_summary_root
                };
                (gindex::depth(local)? == gindex::HISTORICAL_SUMMARIES_DATA_DEPTH + 2)
                    .then_some(field)
            });
        }
        if let Some(local) = under(layout::state_field(gindex::field::FORK)) {
            let f = &self.state.fork;
            let mut prev = B256::ZERO;
            prev[..4].copy_from_slice(&f.previous_version.0);
            let mut cur = B256::ZERO;
            cur[..4].copy_from_slice(&f.current_version.0);
            return MerkleTree::new(vec![prev, cur, u64_chunk(f.epoch.as_u64())], 2).node(local);
        }
        self.fields.node(g)
    }
}

/// `state_roots` (field 6).
const STATE_ROOTS_FIELD: usize = 6;
/// `payload_expected_withdrawals` (field 44).
const EXPECTED_WITHDRAWALS_FIELD: usize = 44;
/// `historical_summaries` (field 27).
const HISTORICAL_SUMMARIES_FIELD: usize = 27;

impl<P: StatePreset> GloasStateProver<P> {
    /// A node under `payload_expected_withdrawals` (list-relative): the progressive tree down to
    /// each `Withdrawal`'s root, then its 4-leaf field tree.
    fn expected_withdrawal_node(&self, local: GeneralizedIndex) -> Option<B256> {
        if let Some(n) = self.expected_withdrawals.node(local) {
            return Some(n);
        }
        let d = gindex::depth(local)?;
        (0..=d).rev().find_map(|up| {
            let w = self
                .state
                .payload_expected_withdrawals
                .0
                .get(usize::try_from(chunk_of(local >> up)?).ok()?)?;
            let mut address = B256::ZERO;
            address[..20].copy_from_slice(w.address.as_slice());
            let fields = vec![
                u64_chunk(w.index),
                u64_chunk(w.validator_index),
                address,
                u64_chunk(w.amount),
            ];
            MerkleTree::new(fields, 2).node(gindex::split(local, d - up).map(|s| s.1)?)
        })
    }

    /// A node under `validators` (list-relative): the progressive tree down to the validator
    /// roots, then the validator's own tree.
    fn validator_node(&self, local: GeneralizedIndex) -> Option<B256> {
        if let Some(n) = self.validators.node(local) {
            return Some(n);
        }
        // Deeper than a validator root: find the validator whose chunk gindex is an ancestor.
        let d = gindex::depth(local)?;
        (0..=d).rev().find_map(|up| {
            let ancestor = local >> up;
            let i = chunk_of(ancestor)?;
            let v = self.state.validators.0.get(usize::try_from(i).ok()?)?;
            let below = gindex::split(local, d - up).map(|s| s.1)?;
            validator_node(v, below)
        })
    }
}

/// The chunk index whose progressive gindex is `g`, if `g` is one.
fn chunk_of(g: GeneralizedIndex) -> Option<u64> {
    let d = gindex::depth(g)?;
    if d < 2 || (d - 2) % 3 != 0 {
        return None;
    }
    let level = ((d - 2) / 3) as u32;
    let first = progressive::chunk(progressive::level_start(level))?;
    let c = progressive::level_start(level) + g.checked_sub(first)?;
    (c < progressive::level_start(level + 1)).then_some(c)
}
