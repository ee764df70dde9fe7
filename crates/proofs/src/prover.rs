//! Building proofs from a decoded `BeaconState`.
//!
//! [`StateProver::new`] hashes the state once, keeping the state's 64-leaf chunk tree and the
//! full trees of `validators`, `balances` and `inactivity_scores`; after that any node under
//! those is a lookup, so a keeper proves many validators from one state cheaply. Memory is about
//! 64 bytes per validator for the registry tree and 16 per validator for each packed list.

use crate::gindex::{self, field, GeneralizedIndex};
use crate::merkle::{self, hash_pair, u64_chunk, zero_hash, ListTree, MerkleTree};
use crate::preset::StatePreset;
use crate::proof::{ListBranch, ListPart, ProofParts, ValidatorProof};
use crate::state::{AnyBeaconState, StateError};
use alloy_primitives::B256;
use lsv_consensus::containers::{BeaconBlockHeader, Checkpoint, Validator};
use lsv_consensus::{ForkName, Mainnet};
use rayon::prelude::*;
use tree_hash::TreeHash;

/// Why a proof could not be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProveError {
    /// The header is not of this state's block.
    #[error("the header's state_root {header} is not this state's root {state}")]
    HeaderStateMismatch {
        /// The header's `state_root`.
        header: B256,
        /// The state's root.
        state: B256,
    },
    /// The node source lacks a node the proof needs.
    #[error("no node at generalized index {gindex}")]
    MissingNode {
        /// The missing node's state gindex.
        gindex: GeneralizedIndex,
    },
    /// The `state_roots` given for a period are not those the anchor state's
    /// `historical_summaries[index]` summarizes, or do not hold the state of `slot`.
    #[error("the state_roots given are not those historical_summaries[{index}] summarizes with the state of slot {slot}")]
    PeriodMismatch {
        /// The summary's index.
        index: u64,
        /// The state's slot.
        slot: lsv_consensus::Slot,
    },
    /// No validator with that index in the registry.
    #[error("validator {index} is not in the registry ({registry_length} validators)")]
    UnknownValidator {
        /// The index asked for.
        index: u64,
        /// The registry's length.
        registry_length: u64,
    },
}

/// One leaf and its branch: `is_valid_merkle_branch(leaf, branch, depth(gindex),
/// gindex - 2^depth, root)` holds for the root it was built against.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SingleProof {
    /// The leaf's generalized index.
    pub gindex: GeneralizedIndex,
    /// The leaf.
    pub leaf: B256,
    /// Siblings bottom-up.
    pub branch: Vec<B256>,
}

impl SingleProof {
    /// Whether the proof hashes up to `root`.
    pub fn verify(&self, root: B256) -> bool {
        merkle::root_from_branch(self.leaf, &self.branch, self.gindex) == Some(root)
    }
}

/// A `BeaconState` with the trees needed to prove any validator in it.
#[derive(Clone, Debug)]
pub struct StateProver<P: StatePreset = Mainnet> {
    state: AnyBeaconState<P>,
    fields: MerkleTree,
    validators: ListTree,
    balances: ListTree,
    inactivity_scores: ListTree,
}

impl<P: StatePreset> StateProver<P> {
    /// Decodes the SSZ of a `fork` state and hashes it (see [`AnyBeaconState::from_ssz_bytes`]).
    pub fn from_ssz_bytes(fork: ForkName, bytes: &[u8]) -> Result<Self, StateError> {
        Ok(Self::new(AnyBeaconState::from_ssz_bytes(fork, bytes)?))
    }

    /// Decodes the SSZ of a `fork` state with [`AnyBeaconState::from_ssz_vec`] (which frees
    /// the bytes as it goes), then hashes it: the peak never holds the bytes and the trees.
    pub fn from_ssz_vec(fork: ForkName, bytes: Vec<u8>) -> Result<Self, StateError> {
        Ok(Self::new(AnyBeaconState::from_ssz_vec(fork, bytes)?))
    }

    /// Hashes the state: `tree_hash` for every field but the three lists proofs go into, whose
    /// trees are built here from each validator's root (its fields' `tree_hash` roots
    /// merkleized) or packed chunks. The registry and the large layers are hashed on rayon's
    /// pool.
    pub fn new(state: AnyBeaconState<P>) -> Self {
        let validators = ListTree::new(
            validator_leaves(state.validators(), None),
            gindex::VALIDATORS_DATA_DEPTH,
            length(state.validators().len()),
        );
        let balances = ListTree::new(
            packed_chunks(state.balances()),
            gindex::PACKED_U64_DATA_DEPTH,
            length(state.balances().len()),
        );
        let inactivity_scores = ListTree::new(
            packed_chunks(state.inactivity_scores()),
            gindex::PACKED_U64_DATA_DEPTH,
            length(state.inactivity_scores().len()),
        );
        Self::assemble(state, validators, balances, inactivity_scores)
    }

    /// The prover of `state`, reusing this prover's trees: only the validators whose entry
    /// differs from the one at the same index here are rehashed, and only the paths above
    /// changed validators, balances and scores (a registry that shrank, which the chain never
    /// does, is rebuilt). The result equals [`StateProver::new`] of `state` for any state (the
    /// comparison is by value, so a reorged or unrelated state is only slower); it is fast for
    /// a later state of the same chain, where an epoch changes every balance but few
    /// validators. Old and new state are both held until the new registry's leaves are made.
    pub fn update(self, state: AnyBeaconState<P>) -> Self {
        let Self {
            state: old,
            validators,
            balances,
            inactivity_scores,
            ..
        } = self;
        let leaves = validator_leaves(state.validators(), Some((old.validators(), &validators)));
        drop(old);
        let validators = validators.updated(leaves, length(state.validators().len()));
        let balances = balances.updated(
            packed_chunks(state.balances()),
            length(state.balances().len()),
        );
        let inactivity_scores = inactivity_scores.updated(
            packed_chunks(state.inactivity_scores()),
            length(state.inactivity_scores().len()),
        );
        Self::assemble(state, validators, balances, inactivity_scores)
    }

    /// The state's chunk tree from the three list trees and `tree_hash` of the other fields.
    fn assemble(
        state: AnyBeaconState<P>,
        validators: ListTree,
        balances: ListTree,
        inactivity_scores: ListTree,
    ) -> Self {
        let leaves = (0..state.field_count())
            .into_par_iter()
            .map(|f| match f {
                field::VALIDATORS => validators.root(),
                field::BALANCES => balances.root(),
                field::INACTIVITY_SCORES => inactivity_scores.root(),
                f => state.field_root(f).expect("f < field_count"),
            })
            .collect();
        Self {
            fields: MerkleTree::new(leaves, gindex::STATE_DEPTH),
            state,
            validators,
            balances,
            inactivity_scores,
        }
    }

    /// The state it proves from.
    pub fn state(&self) -> &AnyBeaconState<P> {
        &self.state
    }

    /// The state, giving the prover up.
    pub fn into_state(self) -> AnyBeaconState<P> {
        self.state
    }

    /// `hash_tree_root(state)`.
    pub fn state_root(&self) -> B256 {
        self.fields.root()
    }

    /// The node at state generalized index `g`, for every node of the state's chunk tree and,
    /// below it, of `validators` (down to a validator's fields and its pubkey's two chunks),
    /// `balances`, `inactivity_scores` and `finalized_checkpoint`. `None` elsewhere.
    pub fn node(&self, g: GeneralizedIndex) -> Option<B256> {
        let Some((field_g, local)) = gindex::split(g, gindex::STATE_DEPTH) else {
            return self.fields.node(g);
        };
        let f = usize::try_from(gindex::position(field_g)).ok()?;
        match f {
            field::VALIDATORS => self.validators_node(local),
            field::BALANCES => self.balances.node(local),
            field::INACTIVITY_SCORES => self.inactivity_scores.node(local),
            field::FINALIZED_CHECKPOINT => {
                checkpoint_tree(&self.state.finalized_checkpoint()).node(local)
            }
            _ => None,
        }
    }

    fn validators_node(&self, local: GeneralizedIndex) -> Option<B256> {
        // local: 1 list root, 2 data root, 3 length; data leaves at depth 1 + 40.
        let Some((leaf_g, in_validator)) = gindex::split(local, 1 + gindex::VALIDATORS_DATA_DEPTH)
        else {
            return self.validators.node(local);
        };
        let (data_g, index) = (
            leaf_g >> gindex::VALIDATORS_DATA_DEPTH,
            gindex::position(leaf_g),
        );
        let index = (data_g == 2).then_some(index)?;
        let validator = self.state.validators().get(usize::try_from(index).ok()?)?;
        validator_node(validator, in_validator)
    }

    /// A single-leaf proof of state node `g` against the state root.
    pub fn prove(&self, g: GeneralizedIndex) -> Option<SingleProof> {
        let leaf = self.node(g)?;
        let mut branch = Vec::with_capacity(gindex::depth(g)?);
        let mut n = g;
        while n > 1 {
            branch.push(self.node(n ^ 1)?);
            n >>= 1;
        }
        Some(SingleProof {
            gindex: g,
            leaf,
            branch,
        })
    }

    /// A single-leaf proof of state node `g` against the root of `header`, whose `state_root`
    /// must be this state's: gindex `concat(11, g)`, the state branch then the header's three
    /// siblings.
    pub fn prove_from_block(
        &self,
        header: &BeaconBlockHeader,
        g: GeneralizedIndex,
    ) -> Result<Option<SingleProof>, ProveError> {
        let header_branch = self.header_branch(header)?;
        Ok(self.prove(g).and_then(|mut p| {
            p.gindex = gindex::concat(gindex::HEADER_STATE_ROOT, p.gindex)?;
            p.branch.extend_from_slice(&header_branch);
            Some(p)
        }))
    }

    fn header_branch(&self, header: &BeaconBlockHeader) -> Result<[B256; 3], ProveError> {
        if header.state_root != self.state_root() {
            return Err(ProveError::HeaderStateMismatch {
                header: header.state_root,
                state: self.state_root(),
            });
        }
        let tree = header_tree(header);
        Ok(gindex::HEADER_HELPERS.map(|g| tree.node(g).expect("a header node")))
    }

    /// The proof of `validators[index]`, and of its balance and inactivity score as `parts`
    /// asks, against the root of `header` (see FORMAT.md).
    pub fn validator_proof(
        &self,
        header: &BeaconBlockHeader,
        index: u64,
        parts: ProofParts,
    ) -> Result<ValidatorProof, ProveError> {
        let header_branch = self.header_branch(header)?;
        let registry_length = self.validators.length();
        let validator = usize::try_from(index)
            .ok()
            .and_then(|i| self.state.validators().get(i))
            .copied()
            .ok_or(ProveError::UnknownValidator {
                index,
                registry_length,
            })?;
        let chunk = index / gindex::U64_PER_CHUNK;
        let packed_part = |tree: &ListTree, wanted: bool| {
            if wanted {
                ListPart::Proven {
                    chunk: tree.data().at(0, chunk),
                    branch: list_branch(tree, chunk),
                }
            } else {
                ListPart::Omitted {
                    list_root: tree.root(),
                }
            }
        };
        Ok(ValidatorProof {
            header_branch,
            slot: self.state.slot(),
            fork: self.state.fork(),
            state_branch: gindex::STATE_HELPERS.map(|g| self.fields.node(g).expect("state node")),
            validator,
            validator_branch: list_branch(&self.validators, index),
            balance: packed_part(&self.balances, parts.balance),
            inactivity_score: packed_part(&self.inactivity_scores, parts.inactivity_score),
        })
    }
}

/// Drops the top siblings of a bottom-up branch that are the zero hashes of their level, which a
/// verifier puts back.
pub(crate) fn drop_zero_top(siblings: &mut Vec<B256>) {
    while siblings.last() == Some(&zero_hash(siblings.len().saturating_sub(1))) {
        siblings.pop();
    }
}

/// The branch of chunk `index` in a list, without the top siblings that are zero hashes (the
/// verifier puts `ZERO[h]` back for every level from `siblings.len()` up to the data depth).
pub(crate) fn list_branch(tree: &ListTree, index: u64) -> ListBranch {
    let mut siblings = tree.data().branch(index);
    drop_zero_top(&mut siblings);
    ListBranch {
        length: tree.length(),
        siblings,
    }
}

fn length(n: usize) -> u64 {
    n as u64
}

/// The leaves of the registry tree: each validator's `hash_tree_root`, on rayon's pool. With
/// `previous` (an earlier registry and its tree), a validator equal to the one at the same
/// index there keeps that leaf instead of being rehashed.
fn validator_leaves(
    validators: &[Validator],
    previous: Option<(&[Validator], &ListTree)>,
) -> Vec<B256> {
    validators
        .par_iter()
        .enumerate()
        .map(|(i, v)| match previous {
            Some((old, tree)) if old.get(i) == Some(v) => tree.data().at(0, i as u64),
            _ => validator_root(v),
        })
        .collect()
}

/// `hash_tree_root(validator)`: its 8 field roots ([`validator_field_roots`]) merkleized.
pub fn validator_root(v: &Validator) -> B256 {
    // The pubkey's root from its two chunks (as `validator_node` lays them out) rather than
    // through `tree_hash`'s general merkleizer, which allocates: this runs 2^21 times.
    let pk = v.pubkey.as_bytes();
    let mut second = B256::ZERO;
    second[..16].copy_from_slice(&pk[32..]);
    let pubkey_root = hash_pair(&B256::from_slice(&pk[..32]), &second);
    let r = [
        pubkey_root,
        v.withdrawal_credentials,
        u64_chunk(v.effective_balance.as_u64()),
        u64_chunk(u64::from(v.slashed)),
        u64_chunk(v.activation_eligibility_epoch.as_u64()),
        u64_chunk(v.activation_epoch.as_u64()),
        u64_chunk(v.exit_epoch.as_u64()),
        u64_chunk(v.withdrawable_epoch.as_u64()),
    ];
    let h = |a: usize| hash_pair(&r[a], &r[a + 1]);
    let (a, b, c, d) = (h(0), h(2), h(4), h(6));
    hash_pair(&hash_pair(&a, &b), &hash_pair(&c, &d))
}

/// The 32-byte chunks of a list of `uint64`, packed 4 per chunk by `tree_hash`'s packed
/// encoding (little-endian), the last chunk zero-padded.
pub(crate) fn packed_chunks<T: TreeHash>(values: &[T]) -> Vec<B256> {
    values
        .chunks(gindex::U64_PER_CHUNK as usize)
        .map(|group| {
            let mut chunk = B256::ZERO;
            let mut at = 0;
            for v in group {
                let bytes = v.tree_hash_packed_encoding();
                chunk[at..at + bytes.len()].copy_from_slice(&bytes);
                at += bytes.len();
            }
            chunk
        })
        .collect()
}

/// The `hash_tree_root` of each of a `Validator`'s 8 fields, in SSZ order, by `tree_hash`.
pub fn validator_field_roots(v: &Validator) -> [B256; 8] {
    [
        v.pubkey.tree_hash_root(),
        v.withdrawal_credentials.tree_hash_root(),
        v.effective_balance.tree_hash_root(),
        v.slashed.tree_hash_root(),
        v.activation_eligibility_epoch.tree_hash_root(),
        v.activation_epoch.tree_hash_root(),
        v.exit_epoch.tree_hash_root(),
        v.withdrawable_epoch.tree_hash_root(),
    ]
}

/// A node of one validator's tree: its 8-leaf field tree, and below field 0 the pubkey's two
/// chunks (`Bytes48` is `Vector[byte, 48]`: chunks `pubkey[0..32]`, `pubkey[32..48] ‖ 0^16`).
pub(crate) fn validator_node(v: &Validator, local: GeneralizedIndex) -> Option<B256> {
    let fields = MerkleTree::new(validator_field_roots(v).to_vec(), gindex::VALIDATOR_DEPTH);
    let Some((field_g, in_field)) = gindex::split(local, gindex::VALIDATOR_DEPTH) else {
        return fields.node(local);
    };
    if gindex::position(field_g) != 0 {
        return None;
    }
    let pk = v.pubkey.as_bytes();
    let mut second = B256::ZERO;
    second[..16].copy_from_slice(&pk[32..]);
    MerkleTree::new(vec![B256::from_slice(&pk[..32]), second], 1).node(in_field)
}

fn checkpoint_tree(c: &Checkpoint) -> MerkleTree {
    MerkleTree::new(vec![c.epoch.tree_hash_root(), c.root], 1)
}

/// The 8-leaf tree of a `BeaconBlockHeader` from its fields' `hash_tree_root`s.
pub(crate) fn header_tree(h: &BeaconBlockHeader) -> MerkleTree {
    MerkleTree::new(
        vec![
            h.slot.tree_hash_root(),
            h.proposer_index.tree_hash_root(),
            h.parent_root,
            h.state_root,
            h.body_root,
        ],
        gindex::HEADER_DEPTH,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_tree_root_is_tree_hash_root() {
        let h = BeaconBlockHeader {
            slot: 12345.into(),
            proposer_index: 678,
            parent_root: B256::repeat_byte(1),
            state_root: B256::repeat_byte(2),
            body_root: B256::repeat_byte(3),
        };
        assert_eq!(header_tree(&h).root(), h.tree_hash_root());
    }

    #[test]
    fn validator_root_is_tree_hash_root() {
        let mut v = Validator {
            pubkey: lsv_consensus::PublicKeyBytes([7; 48]),
            withdrawal_credentials: B256::repeat_byte(2),
            effective_balance: lsv_consensus::Gwei::new(32_000_000_000),
            slashed: true,
            activation_eligibility_epoch: lsv_consensus::Epoch::new(1),
            activation_epoch: lsv_consensus::Epoch::new(2),
            exit_epoch: lsv_consensus::Epoch::new(u64::MAX),
            withdrawable_epoch: lsv_consensus::Epoch::new(4),
        };
        assert_eq!(validator_root(&v), v.tree_hash_root());
        v.slashed = false;
        v.pubkey.0[47] = 1;
        assert_eq!(validator_root(&v), v.tree_hash_root());
    }

    #[test]
    fn packed_chunks_are_tree_hash_packing() {
        let values: Vec<u64> = (1..=7).map(|v| v * 0x0102_0304_0506_0708).collect();
        let chunks = packed_chunks(&values);
        assert_eq!(chunks.len(), 2);
        assert_eq!(&chunks[1][..8], &values[4].to_le_bytes());
        assert_eq!(&chunks[1][24..], &[0u8; 8]);
        let list: ssz_types::VariableList<u64, crate::preset::ValidatorRegistryLimit> =
            values.clone().try_into().unwrap();
        let tree = ListTree::new(chunks, 38, values.len() as u64);
        assert_eq!(tree.root(), list.tree_hash_root());
    }
}
