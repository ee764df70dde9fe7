//! The withdrawal proof (settlement): a `Withdrawal` of some block's execution payload, reached
//! from the beacon block root EIP-4788 returns (the **anchor**) directly, through the anchor
//! state's `block_roots`, or through its `historical_summaries`.
//!
//! FORMAT.md ("Withdrawal proof — format 1") is the specification; [`WithdrawalProof::verify`]
//! is its executable form and follows the same steps, in the same order, as the Solidity
//! verifier (`contracts/src/lib/WithdrawalProofs.sol`). [`WithdrawalProver`] builds proofs from
//! the anchor's [`StateProver`] and the withdrawal's [`BeaconBlock`].
//!
//! The proof is for the mainnet preset (every public network): `MAX_WITHDRAWALS_PER_PAYLOAD` =
//! 16 and `SLOTS_PER_HISTORICAL_ROOT` = 8192 fix its depths.

use crate::block::{BeaconBlock, Withdrawal};
use crate::gindex::{self, GeneralizedIndex};
use crate::merkle::{hash_pair, u64_chunk, zero_hash, ListTree, MerkleTree};
use crate::proof::{fork_root, Anchor, ListBranch};
use crate::prover::{header_tree, list_branch, StateProver};
use crate::reader::Reader;
use alloy_primitives::{Address, B256};
use lsv_consensus::containers::{BeaconBlockHeader, Fork};
use lsv_consensus::{Gwei, Mainnet, Slot, Version};
use tree_hash::TreeHash;

/// The first byte of every encoded withdrawal proof.
pub const WITHDRAWAL_FORMAT_VERSION: u8 = 1;
/// Bytes of the part every route shares (FORMAT.md: offsets 0–510).
pub const COMMON_LEN: usize = 511;
/// Total bytes of a direct-route proof.
pub const DIRECT_LEN: usize = 687;
/// Total bytes of a `block_roots`-route proof.
pub const BLOCK_ROOTS_LEN: usize = 1239;
/// Bytes of a `historical_summaries`-route proof before its explicit summary siblings.
pub const HISTORICAL_FIXED_LEN: usize = 1344;
/// SSZ size of a `Withdrawal`: 8 + 8 + 20 + 8.
pub const WITHDRAWAL_SSZ_LEN: usize = 44;

/// How the withdrawal's block is reached from the anchor block root.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum WithdrawalRoute {
    /// The withdrawal's block is the anchor block.
    Direct = 0,
    /// Through the anchor state's `block_roots` (the 8192 slots before the anchor).
    BlockRoots = 1,
    /// Through the anchor state's `historical_summaries` (every full period since Capella).
    HistoricalSummaries = 2,
}

impl WithdrawalRoute {
    /// Every route, in byte order.
    pub const ALL: [Self; 3] = [Self::Direct, Self::BlockRoots, Self::HistoricalSummaries];

    fn from_byte(b: u8) -> Option<Self> {
        Self::ALL.into_iter().find(|r| *r as u8 == b)
    }

    /// The route a proof of a block at `block_slot` against an anchor at `anchor_slot` takes:
    /// direct for the anchor's own slot, `block_roots` within the 8192 slots before it,
    /// `historical_summaries` further back. `None` for a block after the anchor.
    pub fn for_slots(block_slot: Slot, anchor_slot: Slot) -> Option<Self> {
        let (s, a) = (block_slot.as_u64(), anchor_slot.as_u64());
        if s == a {
            Some(Self::Direct)
        } else if s < a && a - s <= gindex::SLOTS_PER_HISTORICAL_ROOT {
            Some(Self::BlockRoots)
        } else if s < a {
            Some(Self::HistoricalSummaries)
        } else {
            None
        }
    }
}

/// The anchor block's header nodes besides `state_root`, for the two routes where the
/// withdrawal's block is an older one: `slot` (which is also `state.slot`), node 9
/// (`proposer_index`), node 10 (`parent_root`), node 3 (`H(H(body_root, 0), ZERO[1])`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AnchorHeader {
    /// `slot` (header field 0), also `state.slot`.
    pub slot: Slot,
    /// Header node 9 (`proposer_index`).
    pub proposer_node: B256,
    /// Header node 10 (`parent_root`).
    pub parent_root: B256,
    /// Header node 3 (`H(H(body_root, 0), ZERO[1])`).
    pub body_node: B256,
}

/// From the withdrawal's block up to the anchor root: the route-specific part of the proof.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AnchorPath {
    /// The block is the anchor: its `parent_root` and the state nodes 17, 9, 5, 3 above the
    /// witness (node 16).
    Direct {
        /// The block's `parent_root`.
        parent_root: B256,
        /// State nodes 17, 9, 5, 3.
        state_branch: [B256; 4],
    },
    /// `block_roots[slot % 8192]` of the anchor state.
    BlockRoots {
        /// Header node 5 of the withdrawal's block (`H(parent_root, state_root)`).
        block_node5: B256,
        /// The anchor's header nodes.
        anchor: AnchorHeader,
        /// State nodes 68, 35, 9, 5, 3.
        state_branch: [B256; 5],
        /// Siblings of `block_roots[slot % 8192]`, bottom-up.
        block_roots_branch: [B256; 13],
    },
    /// `historical_summaries[k].block_summary_root`, then `[slot % 8192]` of that period.
    HistoricalSummaries {
        /// Header node 5 of the withdrawal's block (`H(parent_root, state_root)`).
        block_node5: B256,
        /// The anchor's header nodes.
        anchor: AnchorHeader,
        /// State nodes 90, 44, 23, 17, 10, 9, 3.
        state_branch: [B256; 7],
        /// Siblings of the block root in the period's `block_roots`, bottom-up.
        block_roots_branch: [B256; 13],
        /// `historical_summaries[k].state_summary_root`.
        state_summary_root: B256,
        /// Siblings of `historical_summaries[k]` (explicit bottom ones; `ZERO[h]` above) and
        /// `len(historical_summaries)`.
        summaries_branch: ListBranch,
    },
}

/// A proof that `withdrawals[position]` of the execution payload of the block at `slot` is
/// `withdrawal`, against an anchor block root, with the anchor state's layout witness. See
/// FORMAT.md "Withdrawal proof".
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WithdrawalProof {
    /// `j`: the withdrawal's position in `execution_payload.withdrawals`.
    pub position: u8,
    /// `withdrawals[j]`.
    pub withdrawal: Withdrawal,
    /// `len(execution_payload.withdrawals)`.
    pub withdrawals_length: u64,
    /// Siblings of `withdrawals[j]`, levels 0–3.
    pub withdrawals_branch: [B256; 4],
    /// Payload nodes 47, 22, 10, 4, 3.
    pub payload_branch: [B256; 5],
    /// Body nodes 24, 13, 7, 2.
    pub body_branch: [B256; 4],
    /// The slot of the withdrawal's block (its header field 0).
    pub slot: Slot,
    /// Header node 9 of the withdrawal's block (`proposer_index`).
    pub proposer_node: B256,
    /// `state.fork` of the anchor state (witness).
    pub fork: Fork,
    /// The route-specific part, from the withdrawal's block to the anchor.
    pub path: AnchorPath,
}

/// What a verified withdrawal proof establishes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ProvenWithdrawal {
    /// The withdrawal.
    pub withdrawal: Withdrawal,
    /// `j`.
    pub position: u8,
    /// The slot of the block whose payload holds the withdrawal.
    pub slot: Slot,
    /// That block's root.
    pub block_root: B256,
    /// How the block was reached from the anchor.
    pub route: WithdrawalRoute,
    /// The anchor state's slot (the anchor block's).
    pub anchor_slot: Slot,
    /// The anchor state's `fork.current_version` (one the verifier knows).
    pub fork_version: Version,
}

/// Why a withdrawal proof was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WithdrawalVerifyError {
    /// The bytes do not decode as a withdrawal proof: what is wrong.
    #[error("malformed withdrawal proof bytes: {0}")]
    Malformed(&'static str),
    /// The anchor state's fork version is not one the anchor lists.
    #[error("anchor state fork version {0} is not one whose layout the verifier knows")]
    UnknownForkVersion(Version),
    /// The position is past the payload's withdrawals.
    #[error("withdrawal position {position} is not below the payload's {length} withdrawals")]
    PositionOutOfRange {
        /// `j`.
        position: u8,
        /// The payload's number of withdrawals.
        length: u64,
    },
    /// The `block_roots` route for a slot outside the 8192 before the anchor.
    #[error("slot {slot} is not among the 8192 slots before the anchor slot {anchor_slot}")]
    SlotOutsideBlockRoots {
        /// The withdrawal's block's slot.
        slot: Slot,
        /// The anchor's slot.
        anchor_slot: Slot,
    },
    /// The `historical_summaries` route for a slot before the first summary.
    #[error("slot {slot} is in a period before the first historical summary (Capella slot {capella_slot})")]
    SlotBeforeHistoricalSummaries {
        /// The withdrawal's block's slot.
        slot: Slot,
        /// The first slot summaries cover.
        capella_slot: Slot,
    },
    /// A summary index at or past the proven length of `historical_summaries`.
    #[error("historical summary {index} is not below the proven length {length}")]
    SummaryOutOfRange {
        /// The period's summary index.
        index: u64,
        /// The proven length.
        length: u64,
    },
    /// The proof does not lead to the block root it is checked against.
    #[error("the proof leads to block root {computed}, not {expected}")]
    RootMismatch {
        /// The root checked against.
        expected: B256,
        /// The root the proof leads to.
        computed: B256,
    },
}

impl From<crate::reader::Malformed> for WithdrawalVerifyError {
    fn from(m: crate::reader::Malformed) -> Self {
        Self::Malformed(m.0)
    }
}

impl WithdrawalProof {
    /// The route this proof takes.
    pub fn route(&self) -> WithdrawalRoute {
        match self.path {
            AnchorPath::Direct { .. } => WithdrawalRoute::Direct,
            AnchorPath::BlockRoots { .. } => WithdrawalRoute::BlockRoots,
            AnchorPath::HistoricalSummaries { .. } => WithdrawalRoute::HistoricalSummaries,
        }
    }

    /// Verifies the proof against `anchor_root` (an EIP-4788 root). `capella_slot` is the
    /// network's `CAPELLA_FORK_EPOCH · SLOTS_PER_EPOCH` (where `historical_summaries` starts).
    /// The steps are FORMAT.md's "Withdrawal proof: verification", in order.
    pub fn verify(
        &self,
        anchor_root: B256,
        anchor: &Anchor,
        capella_slot: Slot,
    ) -> Result<ProvenWithdrawal, WithdrawalVerifyError> {
        type E = WithdrawalVerifyError;
        // 2. The anchor state is of a fork whose layout we know.
        if !anchor.fork_versions.contains(&self.fork.current_version) {
            return Err(E::UnknownForkVersion(self.fork.current_version));
        }
        // 3. Index and slot checks.
        if u64::from(self.position) >= self.withdrawals_length {
            return Err(E::PositionOutOfRange {
                position: self.position,
                length: self.withdrawals_length,
            });
        }
        let slot = self.slot.as_u64();
        let period_position = slot % gindex::SLOTS_PER_HISTORICAL_ROOT;
        let anchor_slot = match &self.path {
            AnchorPath::Direct { .. } => self.slot,
            AnchorPath::BlockRoots { anchor: a, .. } => {
                let a_slot = a.slot.as_u64();
                if slot >= a_slot || a_slot - slot > gindex::SLOTS_PER_HISTORICAL_ROOT {
                    return Err(E::SlotOutsideBlockRoots {
                        slot: self.slot,
                        anchor_slot: a.slot,
                    });
                }
                a.slot
            }
            AnchorPath::HistoricalSummaries {
                anchor: a,
                summaries_branch,
                ..
            } => {
                let (period, first) = (
                    slot / gindex::SLOTS_PER_HISTORICAL_ROOT,
                    capella_slot.as_u64() / gindex::SLOTS_PER_HISTORICAL_ROOT,
                );
                if period < first {
                    return Err(E::SlotBeforeHistoricalSummaries {
                        slot: self.slot,
                        capella_slot,
                    });
                }
                if period - first >= summaries_branch.length {
                    return Err(E::SummaryOutOfRange {
                        index: period - first,
                        length: summaries_branch.length,
                    });
                }
                a.slot
            }
        };
        // 4–7. The withdrawal up to the body root of its block.
        let leaf = withdrawal_root(&self.withdrawal);
        let mut node = leaf;
        for (h, sibling) in self.withdrawals_branch.iter().enumerate() {
            node = climb(node, sibling, (self.position >> h) & 1 == 1);
        }
        let withdrawals_root = hash_pair(&node, &u64_chunk(self.withdrawals_length));
        let payload_root = climb_gindex(
            withdrawals_root,
            gindex::PAYLOAD_WITHDRAWALS,
            &self.payload_branch,
        );
        let body_root = climb_gindex(
            payload_root,
            gindex::BODY_EXECUTION_PAYLOAD,
            &self.body_branch,
        );
        // Header nodes 4 and 3 of the withdrawal's block.
        let block_n4 = hash_pair(&u64_chunk(slot), &self.proposer_node);
        let block_n3 = hash_pair(&hash_pair(&body_root, &zero_hash(0)), &zero_hash(1));
        // 8. Up to the anchor root.
        let (block_root, computed) = match &self.path {
            AnchorPath::Direct {
                parent_root,
                state_branch,
            } => {
                let [s17, s9, s5, s3] = *state_branch;
                let w = self.witness(anchor, slot);
                let state_root =
                    hash_pair(&hash_pair(&hash_pair(&hash_pair(&w, &s17), &s9), &s5), &s3);
                let root = hash_pair(
                    &hash_pair(&block_n4, &hash_pair(parent_root, &state_root)),
                    &block_n3,
                );
                (root, root)
            }
            AnchorPath::BlockRoots {
                block_node5,
                anchor: a,
                state_branch,
                block_roots_branch,
            } => {
                let block_root = hash_pair(&hash_pair(&block_n4, block_node5), &block_n3);
                let vector = climb_path(block_root, period_position, block_roots_branch);
                let [s68, s35, s9, s5, s3] = *state_branch;
                let w = self.witness(anchor, a.slot.as_u64());
                let n17 = hash_pair(&hash_pair(&s68, &vector), &s35);
                let state_root =
                    hash_pair(&hash_pair(&hash_pair(&hash_pair(&w, &n17), &s9), &s5), &s3);
                (block_root, anchor_block_root(a, state_root))
            }
            AnchorPath::HistoricalSummaries {
                block_node5,
                anchor: a,
                state_branch,
                block_roots_branch,
                state_summary_root,
                summaries_branch,
            } => {
                let block_root = hash_pair(&hash_pair(&block_n4, block_node5), &block_n3);
                let block_summary_root =
                    climb_path(block_root, period_position, block_roots_branch);
                let summary = hash_pair(&block_summary_root, state_summary_root);
                let k = slot / gindex::SLOTS_PER_HISTORICAL_ROOT
                    - capella_slot.as_u64() / gindex::SLOTS_PER_HISTORICAL_ROOT;
                let mut node = summary;
                for h in 0..gindex::HISTORICAL_SUMMARIES_DATA_DEPTH {
                    let sibling = summaries_branch
                        .siblings
                        .get(h)
                        .copied()
                        .unwrap_or_else(|| zero_hash(h));
                    node = climb(node, &sibling, (k >> h) & 1 == 1);
                }
                let summaries_root = hash_pair(&node, &u64_chunk(summaries_branch.length));
                let [s90, s44, s23, s17, s10, s9, s3] = *state_branch;
                let w = self.witness(anchor, a.slot.as_u64());
                let n11 = hash_pair(&hash_pair(&s44, &hash_pair(&s90, &summaries_root)), &s23);
                let n4 = hash_pair(&hash_pair(&w, &s17), &s9);
                let state_root = hash_pair(&hash_pair(&n4, &hash_pair(&s10, &n11)), &s3);
                (block_root, anchor_block_root(a, state_root))
            }
        };
        if computed != anchor_root {
            return Err(E::RootMismatch {
                expected: anchor_root,
                computed,
            });
        }
        Ok(ProvenWithdrawal {
            withdrawal: self.withdrawal,
            position: self.position,
            slot: self.slot,
            block_root,
            route: self.route(),
            anchor_slot,
            fork_version: self.fork.current_version,
        })
    }

    /// State node 16: `H(H(genesis_time, genesis_validators_root), H(slot, fork))`.
    fn witness(&self, anchor: &Anchor, state_slot: u64) -> B256 {
        hash_pair(
            &hash_pair(
                &u64_chunk(anchor.genesis_time),
                &anchor.genesis_validators_root,
            ),
            &hash_pair(&u64_chunk(state_slot), &fork_root(&self.fork)),
        )
    }

    /// The number of bytes [`to_bytes`](Self::to_bytes) produces.
    pub fn encoded_len(&self) -> usize {
        match &self.path {
            AnchorPath::Direct { .. } => DIRECT_LEN,
            AnchorPath::BlockRoots { .. } => BLOCK_ROOTS_LEN,
            AnchorPath::HistoricalSummaries {
                summaries_branch, ..
            } => HISTORICAL_FIXED_LEN + 32 * summaries_branch.siblings.len(),
        }
    }

    /// The on-chain encoding (FORMAT.md "Withdrawal proof: byte layout").
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.encoded_len());
        out.push(WITHDRAWAL_FORMAT_VERSION);
        out.push(self.route() as u8);
        out.push(self.position);
        put_withdrawal(&mut out, &self.withdrawal);
        out.extend_from_slice(&self.withdrawals_length.to_le_bytes());
        put_nodes(&mut out, &self.withdrawals_branch);
        put_nodes(&mut out, &self.payload_branch);
        put_nodes(&mut out, &self.body_branch);
        out.extend_from_slice(&self.slot.as_u64().to_le_bytes());
        out.extend_from_slice(self.proposer_node.as_slice());
        let put_anchor = |out: &mut Vec<u8>, a: &AnchorHeader, fork: &Fork| {
            out.extend_from_slice(&a.slot.as_u64().to_le_bytes());
            put_nodes(out, &[a.proposer_node, a.parent_root, a.body_node]);
            put_fork(out, fork);
        };
        match &self.path {
            AnchorPath::Direct {
                parent_root,
                state_branch,
            } => {
                out.extend_from_slice(parent_root.as_slice());
                put_fork(&mut out, &self.fork);
                put_nodes(&mut out, state_branch);
            }
            AnchorPath::BlockRoots {
                block_node5,
                anchor,
                state_branch,
                block_roots_branch,
            } => {
                out.extend_from_slice(block_node5.as_slice());
                put_anchor(&mut out, anchor, &self.fork);
                put_nodes(&mut out, state_branch);
                put_nodes(&mut out, block_roots_branch);
            }
            AnchorPath::HistoricalSummaries {
                block_node5,
                anchor,
                state_branch,
                block_roots_branch,
                state_summary_root,
                summaries_branch,
            } => {
                out.extend_from_slice(block_node5.as_slice());
                put_anchor(&mut out, anchor, &self.fork);
                put_nodes(&mut out, state_branch);
                put_nodes(&mut out, block_roots_branch);
                out.extend_from_slice(state_summary_root.as_slice());
                out.extend_from_slice(&summaries_branch.length.to_le_bytes());
                out.push(
                    u8::try_from(summaries_branch.siblings.len()).expect("at most 24 siblings"),
                );
                put_nodes(&mut out, &summaries_branch.siblings);
            }
        }
        debug_assert_eq!(out.len(), self.encoded_len());
        out
    }

    /// Parses the on-chain encoding. Rejects unknown versions and routes, a summary sibling
    /// count above 24, truncation and trailing bytes.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, WithdrawalVerifyError> {
        let mut r = Reader::new(bytes);
        if r.u8()? != WITHDRAWAL_FORMAT_VERSION {
            return Err(WithdrawalVerifyError::Malformed("unknown format version"));
        }
        let route = WithdrawalRoute::from_byte(r.u8()?)
            .ok_or(WithdrawalVerifyError::Malformed("unknown route"))?;
        let position = r.u8()?;
        let withdrawal = Withdrawal {
            index: r.u64_le()?,
            validator_index: r.u64_le()?,
            address: Address::from(r.array::<20>()?),
            amount: Gwei::new(r.u64_le()?),
        };
        let withdrawals_length = r.u64_le()?;
        let withdrawals_branch = r.nodes()?;
        let payload_branch = r.nodes()?;
        let body_branch = r.nodes()?;
        let slot = Slot::new(r.u64_le()?);
        let proposer_node = r.b256()?;
        let (fork, path) = match route {
            WithdrawalRoute::Direct => {
                let parent_root = r.b256()?;
                let fork = r.fork()?;
                let state_branch = r.nodes()?;
                (
                    fork,
                    AnchorPath::Direct {
                        parent_root,
                        state_branch,
                    },
                )
            }
            WithdrawalRoute::BlockRoots | WithdrawalRoute::HistoricalSummaries => {
                let block_node5 = r.b256()?;
                let anchor = AnchorHeader {
                    slot: Slot::new(r.u64_le()?),
                    proposer_node: r.b256()?,
                    parent_root: r.b256()?,
                    body_node: r.b256()?,
                };
                let fork = r.fork()?;
                if route == WithdrawalRoute::BlockRoots {
                    let state_branch = r.nodes()?;
                    let block_roots_branch = r.nodes()?;
                    (
                        fork,
                        AnchorPath::BlockRoots {
                            block_node5,
                            anchor,
                            state_branch,
                            block_roots_branch,
                        },
                    )
                } else {
                    let state_branch = r.nodes()?;
                    let block_roots_branch = r.nodes()?;
                    let state_summary_root = r.b256()?;
                    let summaries_branch = r.list_branch(
                        gindex::HISTORICAL_SUMMARIES_DATA_DEPTH,
                        "more summary siblings than the list's data depth",
                    )?;
                    (
                        fork,
                        AnchorPath::HistoricalSummaries {
                            block_node5,
                            anchor,
                            state_branch,
                            block_roots_branch,
                            state_summary_root,
                            summaries_branch,
                        },
                    )
                }
            }
        };
        r.finish()?;
        Ok(Self {
            position,
            withdrawal,
            withdrawals_length,
            withdrawals_branch,
            payload_branch,
            body_branch,
            slot,
            proposer_node,
            fork,
            path,
        })
    }
}

/// `hash_tree_root(withdrawal)` chunk by chunk, as the Solidity verifier computes it.
pub fn withdrawal_root(w: &Withdrawal) -> B256 {
    let mut address = B256::ZERO;
    address[..20].copy_from_slice(w.address.as_slice());
    hash_pair(
        &hash_pair(&u64_chunk(w.index), &u64_chunk(w.validator_index)),
        &hash_pair(&address, &u64_chunk(w.amount.as_u64())),
    )
}

/// One level up: `node` is the right child if `right`, else the left.
fn climb(node: B256, sibling: &B256, right: bool) -> B256 {
    if right {
        hash_pair(sibling, &node)
    } else {
        hash_pair(&node, sibling)
    }
}

/// `node` at local gindex `g` hashed up its branch to the local root.
fn climb_gindex(node: B256, g: GeneralizedIndex, branch: &[B256]) -> B256 {
    let mut node = node;
    let mut g = g;
    for sibling in branch {
        node = climb(node, sibling, g & 1 == 1);
        g >>= 1;
    }
    node
}

/// `node` at leaf `position` hashed up `branch.len()` levels along the bits of `position`.
fn climb_path(node: B256, position: u64, branch: &[B256]) -> B256 {
    let mut node = node;
    for (h, sibling) in branch.iter().enumerate() {
        node = climb(node, sibling, (position >> h) & 1 == 1);
    }
    node
}

/// The anchor block root from its header nodes and state root.
fn anchor_block_root(a: &AnchorHeader, state_root: B256) -> B256 {
    hash_pair(
        &hash_pair(
            &hash_pair(&u64_chunk(a.slot.as_u64()), &a.proposer_node),
            &hash_pair(&a.parent_root, &state_root),
        ),
        &a.body_node,
    )
}

fn put_withdrawal(out: &mut Vec<u8>, w: &Withdrawal) {
    out.extend_from_slice(&w.index.to_le_bytes());
    out.extend_from_slice(&w.validator_index.to_le_bytes());
    out.extend_from_slice(w.address.as_slice());
    out.extend_from_slice(&w.amount.as_u64().to_le_bytes());
}

fn put_nodes(out: &mut Vec<u8>, nodes: &[B256]) {
    for n in nodes {
        out.extend_from_slice(n.as_slice());
    }
}

fn put_fork(out: &mut Vec<u8>, f: &Fork) {
    out.extend_from_slice(&f.previous_version.0);
    out.extend_from_slice(&f.current_version.0);
    out.extend_from_slice(&f.epoch.as_u64().to_le_bytes());
}

// ---- the prover ---------------------------------------------------------------------------

/// Why a withdrawal proof could not be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WithdrawalProveError {
    /// The anchor header is not of this state's block.
    #[error("the anchor header's state_root {header} is not this state's root {state}")]
    HeaderStateMismatch {
        /// The header's `state_root`.
        header: B256,
        /// The state's root.
        state: B256,
    },
    /// The payload has no withdrawal at that position.
    #[error("the payload has {length} withdrawals; there is none at position {position}")]
    NoSuchWithdrawal {
        /// The position asked for.
        position: usize,
        /// The payload's number of withdrawals.
        length: usize,
    },
    /// The direct route for a block that is not the anchor.
    #[error(
        "the direct route needs the anchor block itself (block root {block}, anchor {anchor})"
    )]
    NotTheAnchorBlock {
        /// The block's root.
        block: B256,
        /// The anchor's root.
        anchor: B256,
    },
    /// The route asked for cannot reach the block's slot from the anchor's.
    #[error("slot {slot} cannot be reached by the {route:?} route from anchor slot {anchor_slot}")]
    WrongRoute {
        /// The route asked for.
        route: WithdrawalRoute,
        /// The block's slot.
        slot: Slot,
        /// The anchor's slot.
        anchor_slot: Slot,
    },
    /// The anchor state's `block_roots` holds another root at the block's slot: the block is not an
    /// ancestor of the anchor.
    #[error("the anchor state's block_roots[{position}] is {found}, not the block's root {block}")]
    BlockNotInBlockRoots {
        /// `slot % 8192`.
        position: u64,
        /// The root there.
        found: B256,
        /// The block's root.
        block: B256,
    },
    /// The block's period has no summary in the anchor state yet.
    #[error(
        "the anchor state has {length} historical summaries; the block's period is number {index}"
    )]
    PeriodNotSummarized {
        /// The period's summary index.
        index: u64,
        /// Summaries in the anchor state.
        length: u64,
    },
    /// The period's block roots given do not hash to its summary.
    #[error("the period's block roots ({count} given) do not hash to historical_summaries[{index}].block_summary_root")]
    PeriodRootsMismatch {
        /// The period's summary index.
        index: u64,
        /// How many roots were given.
        count: usize,
    },
}

/// What the `historical_summaries` route needs besides the anchor state: the network's Capella
/// slot, and the `block_roots` vector of the withdrawal block's period (8192 roots, indexed by
/// `slot % 8192`): `state.block_roots` of the state at the first slot of the *next* period (the
/// state at the period's last slot lacks that slot's entry: `process_slot` writes it on the way
/// to the next slot, in the same transition that appends the summary).
#[derive(Clone, Copy, Debug)]
pub struct HistoricalPeriod<'a> {
    /// The network's first Capella slot.
    pub capella_slot: Slot,
    /// The period's `block_roots`, indexed by `slot % 8192`.
    pub block_roots: &'a [B256],
}

/// Builds [`WithdrawalProof`]s against one anchor: its header and its post-state, hashed once
/// (the same [`StateProver`] proves validators against that anchor, so a settlement's validator
/// and withdrawal proofs share the 4788 root and the state).
pub struct WithdrawalProver<'a> {
    state: &'a StateProver<Mainnet>,
    anchor_header: BeaconBlockHeader,
}

impl<'a> WithdrawalProver<'a> {
    /// `anchor_header.state_root` must be `state`'s root.
    pub fn new(
        state: &'a StateProver<Mainnet>,
        anchor_header: BeaconBlockHeader,
    ) -> Result<Self, WithdrawalProveError> {
        if anchor_header.state_root != state.state_root() {
            return Err(WithdrawalProveError::HeaderStateMismatch {
                header: anchor_header.state_root,
                state: state.state_root(),
            });
        }
        Ok(Self {
            state,
            anchor_header,
        })
    }

    /// The anchor block root (what EIP-4788 must return).
    pub fn anchor_root(&self) -> B256 {
        self.anchor_header.tree_hash_root()
    }

    /// The proof of `block.body.execution_payload.withdrawals[position]`, by `route`.
    /// `history` is needed (only) for [`WithdrawalRoute::HistoricalSummaries`].
    pub fn prove(
        &self,
        block: &BeaconBlock<Mainnet>,
        position: usize,
        route: WithdrawalRoute,
        history: Option<HistoricalPeriod<'_>>,
    ) -> Result<WithdrawalProof, WithdrawalProveError> {
        type E = WithdrawalProveError;
        let withdrawals = &block.body.execution_payload.withdrawals;
        let withdrawal = *withdrawals.get(position).ok_or(E::NoSuchWithdrawal {
            position,
            length: withdrawals.len(),
        })?;
        let list = ListTree::new(
            withdrawals.iter().map(TreeHash::tree_hash_root).collect(),
            gindex::WITHDRAWALS_DATA_DEPTH,
            withdrawals.len() as u64,
        );
        let mut withdrawals_branch = [B256::ZERO; 4];
        withdrawals_branch.copy_from_slice(&list.data().branch(position as u64));
        let payload = MerkleTree::new(
            block.body.execution_payload.field_roots().to_vec(),
            gindex::PAYLOAD_DEPTH,
        );
        let body = MerkleTree::new(block.body.field_roots().to_vec(), gindex::BODY_DEPTH);
        let header = block.header();
        let block_tree = header_tree(&header);
        let block_root = header.tree_hash_root();
        let node = |t: &MerkleTree, g| t.node(g).expect("a node of the tree");
        let anchor_slot = self.anchor_header.slot;
        let wrong_route = || E::WrongRoute {
            route,
            slot: block.slot,
            anchor_slot,
        };
        if WithdrawalRoute::for_slots(block.slot, anchor_slot) != Some(route) {
            return Err(wrong_route());
        }
        let fields = |g: GeneralizedIndex| self.state.node(g).expect("a state chunk-tree node");
        let anchor = || {
            let t = header_tree(&self.anchor_header);
            AnchorHeader {
                slot: self.anchor_header.slot,
                proposer_node: node(&t, gindex::BLOCK_PROPOSER_INDEX),
                parent_root: self.anchor_header.parent_root,
                body_node: node(&t, 3),
            }
        };
        let slot = block.slot.as_u64();
        let position_in_period = slot % gindex::SLOTS_PER_HISTORICAL_ROOT;
        let path = match route {
            WithdrawalRoute::Direct => {
                if block_root != self.anchor_root() {
                    return Err(E::NotTheAnchorBlock {
                        block: block_root,
                        anchor: self.anchor_root(),
                    });
                }
                AnchorPath::Direct {
                    parent_root: header.parent_root,
                    state_branch: gindex::DIRECT_STATE_HELPERS.map(fields),
                }
            }
            WithdrawalRoute::BlockRoots => {
                let roots = self.state.state().block_roots();
                let found = roots[position_in_period as usize];
                if found != block_root {
                    return Err(E::BlockNotInBlockRoots {
                        position: position_in_period,
                        found,
                        block: block_root,
                    });
                }
                let vector = MerkleTree::new(roots.to_vec(), gindex::BLOCK_ROOTS_DEPTH);
                AnchorPath::BlockRoots {
                    block_node5: node(&block_tree, 5),
                    anchor: anchor(),
                    state_branch: gindex::BLOCK_ROOTS_STATE_HELPERS.map(fields),
                    block_roots_branch: branch13(&vector, position_in_period),
                }
            }
            WithdrawalRoute::HistoricalSummaries => {
                let history = history.ok_or_else(wrong_route)?;
                let summaries = self.state.state().historical_summaries();
                let first = history.capella_slot.as_u64() / gindex::SLOTS_PER_HISTORICAL_ROOT;
                let index = (slot / gindex::SLOTS_PER_HISTORICAL_ROOT)
                    .checked_sub(first)
                    .ok_or_else(wrong_route)?;
                let summary = usize::try_from(index)
                    .ok()
                    .and_then(|k| summaries.get(k))
                    .ok_or(E::PeriodNotSummarized {
                        index,
                        length: summaries.len() as u64,
                    })?;
                let period_mismatch = E::PeriodRootsMismatch {
                    index,
                    count: history.block_roots.len(),
                };
                if history.block_roots.len() as u64 != gindex::SLOTS_PER_HISTORICAL_ROOT {
                    return Err(period_mismatch);
                }
                let vector =
                    MerkleTree::new(history.block_roots.to_vec(), gindex::BLOCK_ROOTS_DEPTH);
                if vector.root() != summary.block_summary_root {
                    return Err(period_mismatch);
                }
                let found = history.block_roots[position_in_period as usize];
                if found != block_root {
                    return Err(E::BlockNotInBlockRoots {
                        position: position_in_period,
                        found,
                        block: block_root,
                    });
                }
                let list = ListTree::new(
                    summaries.iter().map(TreeHash::tree_hash_root).collect(),
                    gindex::HISTORICAL_SUMMARIES_DATA_DEPTH,
                    summaries.len() as u64,
                );
                AnchorPath::HistoricalSummaries {
                    block_node5: node(&block_tree, 5),
                    anchor: anchor(),
                    state_branch: gindex::HISTORICAL_STATE_HELPERS.map(fields),
                    block_roots_branch: branch13(&vector, position_in_period),
                    state_summary_root: summary.state_summary_root,
                    summaries_branch: list_branch(&list, index),
                }
            }
        };
        Ok(WithdrawalProof {
            position: u8::try_from(position).expect("at most 16 withdrawals"),
            withdrawal,
            withdrawals_length: withdrawals.len() as u64,
            withdrawals_branch,
            payload_branch: gindex::PAYLOAD_HELPERS.map(|g| node(&payload, g)),
            body_branch: gindex::BODY_HELPERS.map(|g| node(&body, g)),
            slot: block.slot,
            proposer_node: node(&block_tree, gindex::BLOCK_PROPOSER_INDEX),
            fork: self.state.state().fork(),
            path,
        })
    }
}

fn branch13(tree: &MerkleTree, position: u64) -> [B256; 13] {
    let mut b = [B256::ZERO; 13];
    b.copy_from_slice(&tree.branch(position));
    b
}
