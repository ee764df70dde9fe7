//! The withdrawal proof (settlement): a `Withdrawal` of some block's execution payload, reached
//! from the beacon block root EIP-4788 returns (the **anchor**) directly, through the anchor
//! state's `block_roots`, or through its `historical_summaries`.
//!
//! FORMAT.md ("Withdrawal proof — format 1") is the specification; [`WithdrawalProof::verify`]
//! is its executable form and follows the same steps, in the same order, as the Solidity
//! verifier (`contracts/src/lib/WithdrawalProofs.sol`). [`WithdrawalProver`] builds proofs from
//! the anchor's [`StateProver`] and the withdrawal's [`BeaconBlock`].
//!
//! Two preset lengths set the depths of two trees the proof climbs: `MAX_WITHDRAWALS_PER_PAYLOAD`
//! (the payload's `withdrawals`) and `SLOTS_PER_HISTORICAL_ROOT` (`block_roots`, and the period of
//! `historical_summaries`). They are the verifier's parameters ([`WithdrawalDepths`]); the byte
//! layout is sized for mainnet's (16 and 8192, the largest), and a chain with shallower trees
//! fills the first sibling slots and leaves the rest zero.

use crate::block::{BeaconBlock, Withdrawal};
use crate::gindex::{self, GeneralizedIndex};
use crate::merkle::{hash_pair, u64_chunk, zero_hash, ListTree, MerkleTree};
use crate::preset::StatePreset;
use crate::proof::{fork_root, Anchor, ListBranch};
use crate::prover::{header_tree, list_branch, StateProver};
use crate::reader::Reader;
use alloy_primitives::{Address, B256};
use lsv_consensus::containers::{BeaconBlockHeader, Fork};
use lsv_consensus::{Gwei, Mainnet, Minimal, PresetName, Slot, Version};
use tree_hash::TreeHash;
use typenum::Unsigned;

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
/// Offset of the `withdrawals` sibling slots (4, levels 0–3), every route.
pub const WITHDRAWALS_BRANCH_OFFSET: usize = 55;
/// Offset of the `block_roots` sibling slots (13, levels 0–12) of the `block_roots` route.
pub const BLOCK_ROOTS_BRANCH_OFFSET: usize = 823;
/// Offset of the period's `block_roots` sibling slots (13) of the `historical_summaries` route.
pub const PERIOD_BRANCH_OFFSET: usize = 887;

/// The depths of the two trees of a withdrawal proof that depend on the chain's preset: the
/// data tree of the payload's `withdrawals` (`log2 MAX_WITHDRAWALS_PER_PAYLOAD`, capella preset)
/// and `block_roots` (`log2 SLOTS_PER_HISTORICAL_ROOT`, phase0 preset), which is also the length
/// of a `historical_summaries` period. Each length is a power of two no larger than mainnet's,
/// the size of the proof's sibling slots (FORMAT.md "Withdrawal proof"); a verifier is
/// configured with one value, as the Solidity `ProofVerifier` is at deployment.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct WithdrawalDepths {
    withdrawals: u8,
    block_roots: u8,
}

impl WithdrawalDepths {
    /// Mainnet's (every public network): `MAX_WITHDRAWALS_PER_PAYLOAD` = 16
    /// (`presets/mainnet/capella.yaml`), `SLOTS_PER_HISTORICAL_ROOT` = 8192
    /// (`presets/mainnet/phase0.yaml`). The largest a proof's layout holds.
    pub const MAINNET: Self = Self {
        withdrawals: gindex::WITHDRAWALS_DATA_DEPTH as u8,
        block_roots: gindex::BLOCK_ROOTS_DEPTH as u8,
    };
    /// The minimal preset's (spec tests, lsv's devnet): `MAX_WITHDRAWALS_PER_PAYLOAD` = 4
    /// (`presets/minimal/capella.yaml`), `SLOTS_PER_HISTORICAL_ROOT` = 64
    /// (`presets/minimal/phase0.yaml`).
    pub const MINIMAL: Self = Self {
        withdrawals: 2,
        block_roots: 6,
    };

    /// The depths for the two lengths, or `None` unless each is a power of two no larger than
    /// mainnet's (16 and 8192): the checks `ProofVerifier`'s constructor makes.
    pub const fn from_lengths(
        max_withdrawals_per_payload: u64,
        slots_per_historical_root: u64,
    ) -> Option<Self> {
        const fn fits(n: u64, max: u64) -> bool {
            n.is_power_of_two() && n <= max
        }
        if !fits(
            max_withdrawals_per_payload,
            1 << gindex::WITHDRAWALS_DATA_DEPTH,
        ) || !fits(slots_per_historical_root, gindex::SLOTS_PER_HISTORICAL_ROOT)
        {
            return None;
        }
        Some(Self {
            withdrawals: max_withdrawals_per_payload.trailing_zeros() as u8,
            block_roots: slots_per_historical_root.trailing_zeros() as u8,
        })
    }

    /// The depths of preset `P` (from `P::MaxWithdrawalsPerPayload` and
    /// `P::SlotsPerHistoricalRoot`).
    pub fn of<P: StatePreset>() -> Self {
        Self::from_lengths(
            P::MaxWithdrawalsPerPayload::to_u64(),
            P::SlotsPerHistoricalRoot::to_u64(),
        )
        .expect("every StatePreset's lengths are powers of two no larger than mainnet's")
    }

    /// The depths of a named preset.
    pub fn of_preset(preset: PresetName) -> Self {
        match preset {
            PresetName::Mainnet => Self::of::<Mainnet>(),
            PresetName::Minimal => Self::of::<Minimal>(),
        }
    }

    /// The data depth of `withdrawals` (mainnet 4, minimal 2).
    pub const fn withdrawals(self) -> usize {
        self.withdrawals as usize
    }

    /// The depth of `block_roots` (mainnet 13, minimal 6).
    pub const fn block_roots(self) -> usize {
        self.block_roots as usize
    }

    /// `MAX_WITHDRAWALS_PER_PAYLOAD` (mainnet 16, minimal 4).
    pub const fn max_withdrawals_per_payload(self) -> u64 {
        1 << self.withdrawals
    }

    /// `SLOTS_PER_HISTORICAL_ROOT` (mainnet 8192, minimal 64).
    pub const fn slots_per_historical_root(self) -> u64 {
        1 << self.block_roots
    }
}

/// How the withdrawal's block is reached from the anchor block root.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum WithdrawalRoute {
    /// The withdrawal's block is the anchor block.
    Direct = 0,
    /// Through the anchor state's `block_roots` (the `SLOTS_PER_HISTORICAL_ROOT` slots before the
    /// anchor).
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

    /// The route a proof of a block at `block_slot` against an anchor at `anchor_slot` takes on
    /// a chain of `slots_per_historical_root` (mainnet 8192, minimal 64): direct for the
    /// anchor's own slot, `block_roots` within the `slots_per_historical_root` slots before it,
    /// `historical_summaries` further back. `None` for a block after the anchor. (The cheapest
    /// route: a block of a summarized period that is still in `block_roots` can also be proven
    /// through `historical_summaries`.)
    pub fn for_slots(
        block_slot: Slot,
        anchor_slot: Slot,
        slots_per_historical_root: u64,
    ) -> Option<Self> {
        let (s, a) = (block_slot.as_u64(), anchor_slot.as_u64());
        if s == a {
            Some(Self::Direct)
        } else if s < a && a - s <= slots_per_historical_root {
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
    /// `block_roots[slot % SLOTS_PER_HISTORICAL_ROOT]` of the anchor state.
    BlockRoots {
        /// Header node 5 of the withdrawal's block (`H(parent_root, state_root)`).
        block_node5: B256,
        /// The anchor's header nodes.
        anchor: AnchorHeader,
        /// State nodes 68, 35, 9, 5, 3.
        state_branch: [B256; 5],
        /// Siblings of `block_roots[slot % SLOTS_PER_HISTORICAL_ROOT]`, bottom-up: the first
        /// `log2 SLOTS_PER_HISTORICAL_ROOT` (all 13 on mainnet), then zeros.
        block_roots_branch: [B256; 13],
    },
    /// `historical_summaries[k].block_summary_root`, then `[slot % SLOTS_PER_HISTORICAL_ROOT]` of
    /// that period.
    HistoricalSummaries {
        /// Header node 5 of the withdrawal's block (`H(parent_root, state_root)`).
        block_node5: B256,
        /// The anchor's header nodes.
        anchor: AnchorHeader,
        /// State nodes 90, 44, 23, 17, 10, 9, 3.
        state_branch: [B256; 7],
        /// Siblings of the block root in the period's `block_roots`, bottom-up: the first
        /// `log2 SLOTS_PER_HISTORICAL_ROOT`, then zeros.
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
    /// Siblings of `withdrawals[j]`, bottom-up: the first `log2 MAX_WITHDRAWALS_PER_PAYLOAD`
    /// (all 4 on mainnet), then zeros.
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
    /// A sibling slot past the verifier's depths is not zero: a chain with shallower trees than
    /// mainnet's leaves those slots zero, so that each of its proofs has one encoding.
    #[error("the sibling slot at byte {offset} is beyond the chain's tree depth and not zero")]
    UnusedSiblingNotZero {
        /// The slot's offset in the encoded proof.
        offset: usize,
    },
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
    /// The `block_roots` route for a slot outside the `SLOTS_PER_HISTORICAL_ROOT` before the
    /// anchor.
    #[error("slot {slot} is not among the SLOTS_PER_HISTORICAL_ROOT slots before the anchor slot {anchor_slot}")]
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
    /// network's `CAPELLA_FORK_EPOCH · SLOTS_PER_EPOCH` (where `historical_summaries` starts),
    /// `depths` its preset's ([`WithdrawalDepths::of`]). The steps are FORMAT.md's "Withdrawal
    /// proof: verification", in order (step 1's framing is [`from_bytes`](Self::from_bytes)'s).
    pub fn verify(
        &self,
        anchor_root: B256,
        anchor: &Anchor,
        capella_slot: Slot,
        depths: WithdrawalDepths,
    ) -> Result<ProvenWithdrawal, WithdrawalVerifyError> {
        type E = WithdrawalVerifyError;
        // 1. The sibling slots past the chain's depths are zero.
        self.check_unused_siblings(depths)?;
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
        let slots_per_period = depths.slots_per_historical_root();
        let period_position = slot % slots_per_period;
        let anchor_slot = match &self.path {
            AnchorPath::Direct { .. } => self.slot,
            AnchorPath::BlockRoots { anchor: a, .. } => {
                let a_slot = a.slot.as_u64();
                if slot >= a_slot || a_slot - slot > slots_per_period {
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
                    slot / slots_per_period,
                    capella_slot.as_u64() / slots_per_period,
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
        let node = climb_path(
            leaf,
            u64::from(self.position),
            &self.withdrawals_branch[..depths.withdrawals()],
        );
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
                let vector = climb_path(
                    block_root,
                    period_position,
                    &block_roots_branch[..depths.block_roots()],
                );
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
                let block_summary_root = climb_path(
                    block_root,
                    period_position,
                    &block_roots_branch[..depths.block_roots()],
                );
                let summary = hash_pair(&block_summary_root, state_summary_root);
                let k = slot / slots_per_period - capella_slot.as_u64() / slots_per_period;
                let summaries_root = summaries_root(summary, k, summaries_branch);
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

    /// Step 1's last check: every sibling slot at or past the chain's depth (the `withdrawals`
    /// slots from `depths.withdrawals()`, the `block_roots` slots from `depths.block_roots()`)
    /// holds 32 zero bytes. The first one that does not is named by its offset in the bytes.
    fn check_unused_siblings(&self, depths: WithdrawalDepths) -> Result<(), WithdrawalVerifyError> {
        let first_nonzero = |offset: usize, branch: &[B256], depth: usize| {
            (depth..branch.len())
                .find(|&h| branch[h] != B256::ZERO)
                .map(|h| WithdrawalVerifyError::UnusedSiblingNotZero {
                    offset: offset + 32 * h,
                })
        };
        let path = match &self.path {
            AnchorPath::Direct { .. } => None,
            AnchorPath::BlockRoots {
                block_roots_branch, ..
            } => Some((BLOCK_ROOTS_BRANCH_OFFSET, &block_roots_branch[..])),
            AnchorPath::HistoricalSummaries {
                block_roots_branch, ..
            } => Some((PERIOD_BRANCH_OFFSET, &block_roots_branch[..])),
        };
        match first_nonzero(
            WITHDRAWALS_BRANCH_OFFSET,
            &self.withdrawals_branch,
            depths.withdrawals(),
        )
        .or_else(|| path.and_then(|(o, b)| first_nonzero(o, b, depths.block_roots())))
        {
            Some(e) => Err(e),
            None => Ok(()),
        }
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
        let withdrawal = read_withdrawal(&mut r)?;
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

/// `hash_tree_root(historical_summaries)` from `summary`, the root of
/// `historical_summaries[k]`, and its branch: the explicit siblings, `ZERO[h]` for the levels
/// above them up to the data depth (24), then the length mixed in. Shared by format 1's route 2
/// and format 2's route 4.
pub(crate) fn summaries_root(summary: B256, k: u64, branch: &ListBranch) -> B256 {
    let mut node = summary;
    for h in 0..gindex::HISTORICAL_SUMMARIES_DATA_DEPTH {
        let sibling = branch
            .siblings
            .get(h)
            .copied()
            .unwrap_or_else(|| zero_hash(h));
        node = climb(node, &sibling, (k >> h) & 1 == 1);
    }
    hash_pair(&node, &u64_chunk(branch.length))
}

/// `node` at leaf `position` hashed up `branch.len()` levels along the bits of `position`.
pub(crate) fn climb_path(node: B256, position: u64, branch: &[B256]) -> B256 {
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

/// A `Withdrawal` in its SSZ encoding ([`put_withdrawal`]).
pub(crate) fn read_withdrawal(r: &mut Reader<'_>) -> Result<Withdrawal, crate::reader::Malformed> {
    Ok(Withdrawal {
        index: r.u64_le()?,
        validator_index: r.u64_le()?,
        address: Address::from(r.array::<20>()?),
        amount: Gwei::new(r.u64_le()?),
    })
}

/// The SSZ encoding of a `Withdrawal`: index, validator index, address, amount (LE).
pub(crate) fn put_withdrawal(out: &mut Vec<u8>, w: &Withdrawal) {
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
        /// `slot % SLOTS_PER_HISTORICAL_ROOT`.
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
/// slot, and the `block_roots` vector of the withdrawal block's period (`SLOTS_PER_HISTORICAL_ROOT`
/// roots, indexed by `slot % SLOTS_PER_HISTORICAL_ROOT`): `state.block_roots` of the state at the
/// first slot of the *next* period (the state at the period's last slot lacks that slot's entry:
/// `process_slot` writes it on the way to the next slot, in the same transition that appends the
/// summary).
#[derive(Clone, Copy, Debug)]
pub struct HistoricalPeriod<'a> {
    /// The network's first Capella slot.
    pub capella_slot: Slot,
    /// The period's `block_roots`, indexed by `slot % SLOTS_PER_HISTORICAL_ROOT`.
    pub block_roots: &'a [B256],
}

/// Builds [`WithdrawalProof`]s against one anchor of a chain of preset `P` (mainnet by
/// default): its header and its post-state, hashed once (the same [`StateProver`] proves
/// validators against that anchor, so a settlement's validator and withdrawal proofs share the
/// 4788 root and the state). The proofs are for a verifier of [`WithdrawalDepths::of::<P>`].
pub struct WithdrawalProver<'a, P: StatePreset = Mainnet> {
    state: &'a StateProver<P>,
    anchor_header: BeaconBlockHeader,
}

impl<'a, P: StatePreset> WithdrawalProver<'a, P> {
    /// `anchor_header.state_root` must be `state`'s root.
    pub fn new(
        state: &'a StateProver<P>,
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

    /// The depths of the proofs this prover builds: its preset's.
    pub fn depths(&self) -> WithdrawalDepths {
        WithdrawalDepths::of::<P>()
    }

    /// The proof of `block.body.execution_payload.withdrawals[position]`, by `route`.
    /// `history` is needed (only) for [`WithdrawalRoute::HistoricalSummaries`], which proves a
    /// block of any summarized period, also one still within the anchor's `block_roots`.
    pub fn prove(
        &self,
        block: &BeaconBlock<P>,
        position: usize,
        route: WithdrawalRoute,
        history: Option<HistoricalPeriod<'_>>,
    ) -> Result<WithdrawalProof, WithdrawalProveError> {
        type E = WithdrawalProveError;
        let depths = self.depths();
        let slots_per_period = depths.slots_per_historical_root();
        let withdrawals = &block.body.execution_payload.withdrawals;
        let withdrawal = *withdrawals.get(position).ok_or(E::NoSuchWithdrawal {
            position,
            length: withdrawals.len(),
        })?;
        let list = ListTree::new(
            withdrawals.iter().map(TreeHash::tree_hash_root).collect(),
            depths.withdrawals(),
            withdrawals.len() as u64,
        );
        let withdrawals_branch = padded(&list.data().branch(position as u64));
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
        let (s, a) = (block.slot.as_u64(), anchor_slot.as_u64());
        let reachable = match route {
            WithdrawalRoute::Direct => s == a,
            WithdrawalRoute::BlockRoots => s < a && a - s <= slots_per_period,
            WithdrawalRoute::HistoricalSummaries => s < a,
        };
        if !reachable {
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
        let position_in_period = slot % slots_per_period;
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
                let vector = MerkleTree::new(roots.to_vec(), depths.block_roots());
                AnchorPath::BlockRoots {
                    block_node5: node(&block_tree, 5),
                    anchor: anchor(),
                    state_branch: gindex::BLOCK_ROOTS_STATE_HELPERS.map(fields),
                    block_roots_branch: padded(&vector.branch(position_in_period)),
                }
            }
            WithdrawalRoute::HistoricalSummaries => {
                let history = history.ok_or_else(wrong_route)?;
                let summaries = self.state.state().historical_summaries();
                let first = history.capella_slot.as_u64() / slots_per_period;
                let index = (slot / slots_per_period)
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
                if history.block_roots.len() as u64 != slots_per_period {
                    return Err(period_mismatch);
                }
                let vector = MerkleTree::new(history.block_roots.to_vec(), depths.block_roots());
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
                    block_roots_branch: padded(&vector.branch(position_in_period)),
                    state_summary_root: summary.state_summary_root,
                    summaries_branch: list_branch(&list, index),
                }
            }
        };
        Ok(WithdrawalProof {
            position: u8::try_from(position).expect("at most MAX_WITHDRAWALS_PER_PAYLOAD ≤ 16"),
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

/// A branch of a tree at most `N` deep in `N` sibling slots: its siblings, then zeros (the
/// slots a shallower preset's tree leaves unused).
fn padded<const N: usize>(branch: &[B256]) -> [B256; N] {
    let mut b = [B256::ZERO; N];
    b[..branch.len()].copy_from_slice(branch);
    b
}
