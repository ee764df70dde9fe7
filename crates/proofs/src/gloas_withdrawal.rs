//! The withdrawal proof under ePBS (Gloas and later, EIP-7732): format 2 of FORMAT.md
//! ("Withdrawal proof — format 2").
//!
//! From Gloas on, withdrawals leave the beacon block: `process_withdrawals` debits the balances
//! and records the list in `state.payload_expected_withdrawals`, and the payload that honours it
//! may come blocks later, or the list may wait while payloads are withheld. So a proof that a
//! withdrawal was *paid* cannot point into a block; it uses the watermark (GLOAS.md 3.3):
//!
//! - in a state `S_a`, `payload_expected_withdrawals[j]` is the withdrawal `w`, so `w` exists on
//!   this chain with its global index;
//! - in a later state `S_b`, every withdrawal with an index below
//!   `next_withdrawal_index − len(payload_expected_withdrawals)` has been paid by a delivered
//!   payload (the two change only together, and only after a delivered parent payload carried
//!   the previous list);
//! - `S_a`'s root is `S_b.state_roots[a mod SLOTS_PER_HISTORICAL_ROOT]`, so `S_a` is an ancestor
//!   of `S_b`, which is the post-state of the EIP-4788 anchor block.
//!
//! The same withdrawal sits in several consecutive states while payloads are withheld: the
//! verifier's caller counts it once by its global index, as for format 1.
//!
//! [`PaymentProof::build`] reads every value from two [`NodeSource`]s (the anchor state and
//! `S_a`); [`PaymentProof::verify`] is the reference the Solidity verifier
//! (`contracts/src/lib/ProgressiveWithdrawalProofs.sol`) follows, step by step.

use crate::block::Withdrawal;
use crate::gindex::{self, gloas as layout, progressive, GeneralizedIndex};
use crate::gloas::{
    climb_progressive, field_is_active, state_root_of, u64_of, version_of, NodeSource,
};
use crate::merkle::{hash_pair, u64_chunk};
use crate::proof::{fork_root, ListBranch};
use crate::prover::header_tree;
use crate::reader::Reader;
use crate::withdrawal::{climb_path, summaries_root, withdrawal_root};
use crate::ProveError;
use alloy_primitives::{Address, B256};
use lsv_consensus::containers::{BeaconBlockHeader, Fork};
use lsv_consensus::{Epoch, Gwei, Slot, Version};

/// The first byte of a format-2 withdrawal proof.
pub const FORMAT_VERSION: u8 = 2;
/// Route 3: `S_a` through the anchor state's `state_roots` (within `SLOTS_PER_HISTORICAL_ROOT`
/// slots before the anchor).
pub const ROUTE_STATE_ROOTS: u8 = 3;
/// Route 4: `S_a` through the anchor state's `historical_summaries[k].state_summary_root` (any
/// summarized period).
pub const ROUTE_HISTORICAL_SUMMARIES: u8 = 4;

/// State fields the proof reads in the anchor state: the witness (0–3), `state_roots` (6),
/// `next_withdrawal_index` (25), `payload_expected_withdrawals` (44).
pub const ANCHOR_FIELDS: [usize; 7] = [0, 1, 2, 3, 6, 25, 44];
/// State fields route 4 reads in the anchor state: the witness (0–3), `next_withdrawal_index`
/// (25), `historical_summaries` (27), `payload_expected_withdrawals` (44).
pub const HISTORICAL_ANCHOR_FIELDS: [usize; 7] = [0, 1, 2, 3, 25, 27, 44];
/// State fields the proof reads in `S_a`: the witness but the fork (0–2) and
/// `payload_expected_withdrawals` (44).
pub const PAID_STATE_FIELDS: [usize; 4] = [0, 1, 2, 44];

/// Anchor-state nodes besides the leaves the verifier computes (genesis time 4, genesis
/// validators root 40, slot 41, fork 42, `state_roots` 353, `next_withdrawal_index` 2948, the
/// expected withdrawals' length 5935, the active fields 3): `get_helper_indices` of those.
pub const ANCHOR_HELPERS: [GeneralizedIndex; 16] = [
    5934, 2966, 2949, 1482, 1475, 740, 736, 371, 369, 352, 177, 93, 89, 47, 45, 43,
];
/// Route 4's anchor-state nodes: as [`ANCHOR_HELPERS`] with `historical_summaries` (2950) in
/// place of `state_roots` (353).
pub const HISTORICAL_ANCHOR_HELPERS: [GeneralizedIndex; 13] = [
    5934, 2966, 2951, 2949, 1482, 740, 736, 371, 369, 93, 47, 43, 22,
];
/// `S_a` nodes besides the leaves the verifier computes (genesis time 4, genesis validators
/// root 40, slot 41, `payload_expected_withdrawals` 2967, the active fields 3).
pub const PAID_STATE_HELPERS: [GeneralizedIndex; 10] =
    [2966, 1482, 740, 371, 184, 93, 47, 43, 42, 22];

/// The state gindex of `state_roots`.
const STATE_ROOTS: GeneralizedIndex = layout::state_field(6);
/// The state gindex of `next_withdrawal_index`.
const NEXT_WITHDRAWAL_INDEX: GeneralizedIndex = layout::state_field(25);
/// The state gindex of `payload_expected_withdrawals`.
const EXPECTED: GeneralizedIndex = layout::state_field(44);
/// The state gindex of `historical_summaries` (field 27, a `List[HistoricalSummary, 2^24]`).
const HISTORICAL_SUMMARIES: GeneralizedIndex = layout::state_field(27);

/// What a payment verifier knows of its chain besides its genesis: the depth of `state_roots`
/// and where `historical_summaries` starts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PaymentChain {
    /// `log2(SLOTS_PER_HISTORICAL_ROOT)` (mainnet 13, minimal 6).
    pub state_roots_depth: usize,
    /// `CAPELLA_FORK_EPOCH · SLOTS_PER_EPOCH`: `historical_summaries[0]` is the period holding it.
    pub capella_slot: Slot,
}

impl PaymentChain {
    /// `SLOTS_PER_HISTORICAL_ROOT`.
    pub const fn period(self) -> u64 {
        1 << self.state_roots_depth
    }
}

/// How the proof reaches `S_a`'s root from the anchor state.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PaidStateRoute {
    /// Route 3: `S_b.state_roots[a mod N]`.
    StateRoots {
        /// `S_b` nodes [`ANCHOR_HELPERS`].
        anchor_branch: [B256; 16],
    },
    /// Route 4: `S_b.historical_summaries[k].state_summary_root`, then `[a mod N]` of that
    /// period's `state_roots`, `k = ⌊a/N⌋ − ⌊capella_slot/N⌋`.
    HistoricalSummaries {
        /// `S_b` nodes [`HISTORICAL_ANCHOR_HELPERS`].
        anchor_branch: [B256; 13],
        /// `historical_summaries[k].block_summary_root`.
        block_summary_root: B256,
        /// Siblings of `historical_summaries[k]` (explicit bottom ones; `ZERO[h]` above) and
        /// `len(historical_summaries)`.
        summaries_branch: ListBranch,
    },
}

/// The proof that a withdrawal was paid, against an anchor block root.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PaymentProof {
    /// The anchor header's nodes 10, 4, 3.
    pub header_branch: [B256; 3],
    /// `S_b.slot`.
    pub anchor_slot: Slot,
    /// `S_b.fork`.
    pub anchor_fork: Fork,
    /// `S_b`'s active fields.
    pub anchor_active_fields: B256,
    /// `S_b.next_withdrawal_index`.
    pub next_withdrawal_index: u64,
    /// `len(S_b.payload_expected_withdrawals)`.
    pub expected_length: u64,
    /// How `S_a`'s root is reached from `S_b`'s fields.
    pub route: PaidStateRoute,
    /// The siblings of `S_a`'s root at `a mod SLOTS_PER_HISTORICAL_ROOT` in `S_b.state_roots`
    /// (route 3) or in the period's `state_roots` (route 4), bottom-up.
    pub state_roots_branch: Vec<B256>,
    /// `S_a.slot` (`a`).
    pub slot: Slot,
    /// `S_a`'s active fields.
    pub active_fields: B256,
    /// `S_a` nodes [`PAID_STATE_HELPERS`].
    pub branch: [B256; 10],
    /// `j`.
    pub position: u8,
    /// `S_a.payload_expected_withdrawals[j]`.
    pub withdrawal: Withdrawal,
    /// Its branch (`3L + 1` siblings) and `len(S_a.payload_expected_withdrawals)`.
    pub withdrawal_branch: ListBranch,
}

/// What a verified payment proof establishes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProvenPayment {
    /// The withdrawal, paid by a delivered payload.
    pub withdrawal: Withdrawal,
    /// `j` in `S_a`'s list.
    pub position: u8,
    /// `a`: the slot of the state whose list holds it (the balance was debited at or before it).
    pub slot: Slot,
    /// `S_a`'s root.
    pub state_root: B256,
    /// `b`: the anchor's slot.
    pub anchor_slot: Slot,
    /// The anchor state's `fork.current_version`.
    pub fork_version: Version,
    /// `S_b`'s watermark: every index below it is paid.
    pub watermark: u64,
    /// The route: [`ROUTE_STATE_ROOTS`] or [`ROUTE_HISTORICAL_SUMMARIES`].
    pub route: u8,
}

/// Why a payment proof was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PaymentVerifyError {
    /// The bytes do not decode as a payment proof.
    #[error("malformed payment proof bytes: {0}")]
    Malformed(&'static str),
    /// A field the proof reads is inactive in the anchor state (`anchor`) or in `S_a`.
    #[error("state field {field} is not active in the proven layout ({which})")]
    InactiveField {
        /// Which state: "anchor" or "paid".
        which: &'static str,
        /// The field.
        field: usize,
    },
    /// A sibling count other than the depth its tree has.
    #[error("{what}: {siblings} siblings, {expected} needed")]
    BranchLength {
        /// Which branch.
        what: &'static str,
        /// Given.
        siblings: usize,
        /// Needed.
        expected: usize,
    },
    /// `S_a` is not among the `SLOTS_PER_HISTORICAL_ROOT` states before the anchor.
    #[error("slot {slot} is not among the state_roots of the anchor at slot {anchor_slot}")]
    SlotOutsideStateRoots {
        /// `a`.
        slot: Slot,
        /// `b`.
        anchor_slot: Slot,
    },
    /// Route 4 for a slot before Capella's period, where `historical_summaries` starts.
    #[error("slot {slot} is in a period before the first historical summary (Capella slot {capella_slot})")]
    SlotBeforeHistoricalSummaries {
        /// `a`.
        slot: Slot,
        /// The chain's Capella slot.
        capella_slot: Slot,
    },
    /// Route 4 for a period the anchor state has not summarized.
    #[error("historical summary {index} is not below the proven length {length}")]
    SummaryOutOfRange {
        /// `k`.
        index: u64,
        /// `len(historical_summaries)`.
        length: u64,
    },
    /// `j` is not below the proven length of `S_a`'s list.
    #[error("position {position} is not below the {length} expected withdrawals")]
    PositionOutOfRange {
        /// `j`.
        position: u8,
        /// The list's length.
        length: u64,
    },
    /// The withdrawal is not below the anchor's watermark: not (yet) shown paid.
    #[error("withdrawal {index} is not below the anchor's paid watermark {watermark}")]
    NotYetPaid {
        /// The withdrawal's index.
        index: u64,
        /// The anchor state's watermark.
        watermark: u64,
    },
    /// The proof does not lead to the block root.
    #[error("the proof leads to block root {computed}, not {expected}")]
    RootMismatch {
        /// The root checked against.
        expected: B256,
        /// The root the proof leads to.
        computed: B256,
    },
}

impl From<crate::reader::Malformed> for PaymentVerifyError {
    fn from(m: crate::reader::Malformed) -> Self {
        Self::Malformed(m.0)
    }
}

impl PaymentProof {
    /// Builds the route-3 proof that `S_a.payload_expected_withdrawals[j]` was paid, from the
    /// anchor's header and the nodes of its post-state `anchor` (`S_b`) and of `paid` (`S_a`,
    /// within `2^state_roots_depth` slots before the anchor), on a chain whose `state_roots` has
    /// `2^state_roots_depth` entries.
    pub fn build(
        anchor: &impl NodeSource,
        header: &BeaconBlockHeader,
        paid: &impl NodeSource,
        j: u8,
        state_roots_depth: usize,
    ) -> Result<Self, ProveError> {
        Self::build_by(anchor, header, paid, j, state_roots_depth, None)
    }

    /// Builds the route-4 proof: as [`build`](Self::build), for an `S_a` of any period the
    /// anchor state has summarized on `chain`, through `historical_summaries` and
    /// `period_state_roots`: the `state_roots` vector `historical_summaries[k]` summarizes, i.e.
    /// `state.state_roots` of the state at the first slot of the next period
    /// (`crate::withdrawal::period_state_slot`), indexed by `slot % SLOTS_PER_HISTORICAL_ROOT`.
    pub fn build_historical(
        anchor: &impl NodeSource,
        header: &BeaconBlockHeader,
        paid: &impl NodeSource,
        j: u8,
        chain: PaymentChain,
        period_state_roots: &[B256],
    ) -> Result<Self, ProveError> {
        let period = Some((chain.capella_slot, period_state_roots));
        Self::build_by(anchor, header, paid, j, chain.state_roots_depth, period)
    }

    fn build_by(
        anchor: &impl NodeSource,
        header: &BeaconBlockHeader,
        paid: &impl NodeSource,
        j: u8,
        state_roots_depth: usize,
        period: Option<(Slot, &[B256])>,
    ) -> Result<Self, ProveError> {
        let missing = |g| ProveError::MissingNode { gindex: g };
        let at = |s: &dyn Fn(GeneralizedIndex) -> Option<B256>, g| s(g).ok_or(missing(g));
        let b = |g| at(&|g| anchor.node(g), g);
        let a = |g| at(&|g| paid.node(g), g);
        let anchor_root = hash_pair(&b(2)?, &b(3)?);
        if header.state_root != anchor_root {
            return Err(ProveError::HeaderStateMismatch {
                header: header.state_root,
                state: anchor_root,
            });
        }
        let tree = header_tree(header);
        let header_branch = gindex::HEADER_HELPERS.map(|g| tree.node(g).expect("a header node"));
        let slot = Slot::new(u64_of(&a(layout::state_field(2))?));
        let fork_g = layout::state_field(3);
        let x = slot.as_u64() % (1u64 << state_roots_depth);
        let paid_root = hash_pair(&a(2)?, &a(3)?);
        let (route, state_roots_branch) = match period {
            None => {
                let leaf = gindex::concat(STATE_ROOTS, (1u64 << state_roots_depth) + x)
                    .ok_or(missing(0))?;
                if b(leaf)? != paid_root {
                    return Err(ProveError::MissingNode { gindex: leaf });
                }
                let route = PaidStateRoute::StateRoots {
                    anchor_branch: nodes(&b, ANCHOR_HELPERS)?,
                };
                (route, climb_siblings(&b, leaf, STATE_ROOTS)?)
            }
            Some((capella_slot, period_state_roots)) => {
                let n = 1u64 << state_roots_depth;
                let index = (slot.as_u64() / n)
                    .checked_sub(capella_slot.as_u64() / n)
                    .ok_or(ProveError::PeriodMismatch { index: 0, slot })?;
                let mismatch = ProveError::PeriodMismatch { index, slot };
                let element = gindex::concat(
                    HISTORICAL_SUMMARIES,
                    (2u64 << gindex::HISTORICAL_SUMMARIES_DATA_DEPTH) + index,
                )
                .ok_or(missing(0))?;
                let length = u64_of(&b(HISTORICAL_SUMMARIES * 2 + 1)?);
                if index >= length || period_state_roots.len() as u64 != n {
                    return Err(mismatch);
                }
                let vector =
                    crate::merkle::MerkleTree::new(period_state_roots.to_vec(), state_roots_depth);
                if vector.root() != b(element * 2 + 1)?
                    || period_state_roots[x as usize] != paid_root
                {
                    return Err(mismatch);
                }
                let mut siblings = climb_siblings(&b, element, HISTORICAL_SUMMARIES * 2)?;
                crate::prover::drop_zero_top(&mut siblings);
                let route = PaidStateRoute::HistoricalSummaries {
                    anchor_branch: nodes(&b, HISTORICAL_ANCHOR_HELPERS)?,
                    block_summary_root: b(element * 2)?,
                    summaries_branch: ListBranch { length, siblings },
                };
                (route, vector.branch(x))
            }
        };
        let element = layout::list_chunk(EXPECTED, u64::from(j)).ok_or(missing(0))?;
        let field = |k| a(element * 4 + k);
        let address = field(2)?;
        let withdrawal = Withdrawal {
            index: u64_of(&field(0)?),
            validator_index: u64_of(&field(1)?),
            address: Address::from_slice(&address[..20]),
            amount: Gwei::new(u64_of(&field(3)?)),
        };
        Ok(Self {
            header_branch,
            anchor_slot: Slot::new(u64_of(&b(layout::state_field(2))?)),
            anchor_fork: Fork {
                previous_version: version_of(&b(fork_g * 4)?),
                current_version: version_of(&b(fork_g * 4 + 1)?),
                epoch: Epoch::new(u64_of(&b(fork_g * 4 + 2)?)),
            },
            anchor_active_fields: b(3)?,
            next_withdrawal_index: u64_of(&b(NEXT_WITHDRAWAL_INDEX)?),
            expected_length: u64_of(&b(EXPECTED * 2 + 1)?),
            route,
            state_roots_branch,
            slot,
            active_fields: a(3)?,
            branch: nodes(&a, PAID_STATE_HELPERS)?,
            position: j,
            withdrawal,
            withdrawal_branch: ListBranch {
                length: u64_of(&a(EXPECTED * 2 + 1)?),
                siblings: climb_siblings(&a, element, EXPECTED * 2)?,
            },
        })
    }

    /// Verifies the proof against `block_root` (EIP-4788) for a chain of genesis `anchor` and
    /// history `chain` (FORMAT.md "Withdrawal proof — format 2", "Verification", in order).
    pub fn verify(
        &self,
        block_root: B256,
        anchor: &crate::gloas::GloasAnchor,
        chain: PaymentChain,
    ) -> Result<ProvenPayment, PaymentVerifyError> {
        type E = PaymentVerifyError;
        let state_roots_depth = chain.state_roots_depth;
        // 1. Frame: the branch lengths the trees have.
        if self.state_roots_branch.len() != state_roots_depth {
            return Err(E::BranchLength {
                what: "state_roots",
                siblings: self.state_roots_branch.len(),
                expected: state_roots_depth,
            });
        }
        if let PaidStateRoute::HistoricalSummaries {
            summaries_branch, ..
        } = &self.route
        {
            if summaries_branch.siblings.len() > gindex::HISTORICAL_SUMMARIES_DATA_DEPTH {
                return Err(E::Malformed("too many historical_summaries siblings"));
            }
        }
        let expected = progressive::branch_len(u64::from(self.position));
        if self.withdrawal_branch.siblings.len() != expected {
            return Err(E::BranchLength {
                what: "payload_expected_withdrawals",
                siblings: self.withdrawal_branch.siblings.len(),
                expected,
            });
        }
        // 2. Both layouts have the fields read active.
        let anchor_fields = match self.route {
            PaidStateRoute::StateRoots { .. } => &ANCHOR_FIELDS,
            PaidStateRoute::HistoricalSummaries { .. } => &HISTORICAL_ANCHOR_FIELDS,
        };
        for (which, active, fields) in [
            ("anchor", &self.anchor_active_fields, &anchor_fields[..]),
            ("paid", &self.active_fields, &PAID_STATE_FIELDS[..]),
        ] {
            if let Some(&field) = fields.iter().find(|f| !field_is_active(active, **f)) {
                return Err(E::InactiveField { which, field });
            }
        }
        // 3. `S_a` is one of the states `state_roots` (route 3) or a summarized period (route 4)
        // holds.
        let (a, b, n) = (
            self.slot.as_u64(),
            self.anchor_slot.as_u64(),
            chain.period(),
        );
        match &self.route {
            PaidStateRoute::StateRoots { .. } => {
                if !(a < b && b - a <= n) {
                    return Err(E::SlotOutsideStateRoots {
                        slot: self.slot,
                        anchor_slot: self.anchor_slot,
                    });
                }
            }
            PaidStateRoute::HistoricalSummaries {
                summaries_branch, ..
            } => {
                let first = chain.capella_slot.as_u64() / n;
                let k = (a / n)
                    .checked_sub(first)
                    .ok_or(E::SlotBeforeHistoricalSummaries {
                        slot: self.slot,
                        capella_slot: chain.capella_slot,
                    })?;
                if k >= summaries_branch.length {
                    return Err(E::SummaryOutOfRange {
                        index: k,
                        length: summaries_branch.length,
                    });
                }
            }
        }
        // 4. `j` is in `S_a`'s list.
        if u64::from(self.position) >= self.withdrawal_branch.length {
            return Err(E::PositionOutOfRange {
                position: self.position,
                length: self.withdrawal_branch.length,
            });
        }
        // 5. Paid: below the anchor's watermark.
        let watermark = self
            .next_withdrawal_index
            .saturating_sub(self.expected_length);
        if self.withdrawal.index >= watermark {
            return Err(E::NotYetPaid {
                index: self.withdrawal.index,
                watermark,
            });
        }
        // 6. `S_a`'s root from the withdrawal.
        let [s2966, s1482, s740, s371, s184, s93, s47, s43, s42, s22] = self.branch;
        let list = climb_progressive(
            withdrawal_root(&self.withdrawal),
            u64::from(self.position),
            &self.withdrawal_branch.siblings,
        );
        let n2967 = hash_pair(&list, &u64_chunk(self.withdrawal_branch.length));
        let n185 = hash_pair(
            &hash_pair(&s740, &hash_pair(&s1482, &hash_pair(&s2966, &n2967))),
            &s371,
        );
        let n46 = hash_pair(&hash_pair(&s184, &n185), &s93);
        let n11 = hash_pair(&s22, &hash_pair(&n46, &s47));
        let n10 = hash_pair(
            &hash_pair(&anchor.genesis_validators_root, &u64_chunk(a)),
            &hash_pair(&s42, &s43),
        );
        let paid_root = state_root_of(anchor.genesis_time, &n10, &n11, &self.active_fields);
        // 7. The anchor state's root from `S_a`'s, the watermark and the witness.
        let roots = climb_path(paid_root, a % n, &self.state_roots_branch);
        let watermark_nodes =
            |s5934: &B256, s2966: &B256, s1482: &B256, s740: &B256, s371: &B256| {
                let n2967 = hash_pair(s5934, &u64_chunk(self.expected_length));
                hash_pair(
                    &hash_pair(s740, &hash_pair(s1482, &hash_pair(s2966, &n2967))),
                    s371,
                )
            };
        let nwi = u64_chunk(self.next_withdrawal_index);
        let (n11, s43) = match &self.route {
            PaidStateRoute::StateRoots { anchor_branch } => {
                let [s5934, s2966, s2949, s1482, s1475, s740, s736, s371, s369, s352, s177, s93, s89, s47, s45, s43] =
                    *anchor_branch;
                let n22 = hash_pair(&hash_pair(&hash_pair(&s352, &roots), &s177), &s89);
                let n22 = hash_pair(&n22, &s45);
                let n185 = watermark_nodes(&s5934, &s2966, &s1482, &s740, &s371);
                let n737 = hash_pair(&hash_pair(&nwi, &s2949), &s1475);
                let n184 = hash_pair(&hash_pair(&s736, &n737), &s369);
                let n46 = hash_pair(&hash_pair(&n184, &n185), &s93);
                (hash_pair(&n22, &hash_pair(&n46, &s47)), s43)
            }
            PaidStateRoute::HistoricalSummaries {
                anchor_branch,
                block_summary_root,
                summaries_branch,
            } => {
                let [s5934, s2966, s2951, s2949, s1482, s740, s736, s371, s369, s93, s47, s43, s22] =
                    *anchor_branch;
                // `roots` is the period's `state_summary_root`; up the summaries list to node
                // 2950, along the bits of `k`.
                let k = a / n - chain.capella_slot.as_u64() / n;
                let summary = hash_pair(block_summary_root, &roots);
                let summaries = summaries_root(summary, k, summaries_branch);
                let n185 = watermark_nodes(&s5934, &s2966, &s1482, &s740, &s371);
                let n737 = hash_pair(&hash_pair(&nwi, &s2949), &hash_pair(&summaries, &s2951));
                let n184 = hash_pair(&hash_pair(&s736, &n737), &s369);
                let n46 = hash_pair(&hash_pair(&n184, &n185), &s93);
                (hash_pair(&s22, &hash_pair(&n46, &s47)), s43)
            }
        };
        let n10 = hash_pair(
            &hash_pair(&anchor.genesis_validators_root, &u64_chunk(b)),
            &hash_pair(&fork_root(&self.anchor_fork), &s43),
        );
        let anchor_root =
            state_root_of(anchor.genesis_time, &n10, &n11, &self.anchor_active_fields);
        // 8. The block root.
        let [h10, h4, h3] = self.header_branch;
        let computed = hash_pair(&hash_pair(&h4, &hash_pair(&h10, &anchor_root)), &h3);
        if computed != block_root {
            return Err(E::RootMismatch {
                expected: block_root,
                computed,
            });
        }
        Ok(ProvenPayment {
            withdrawal: self.withdrawal,
            position: self.position,
            slot: self.slot,
            state_root: paid_root,
            anchor_slot: self.anchor_slot,
            fork_version: self.anchor_fork.current_version,
            watermark,
            route: self.route.number(),
        })
    }

    /// The on-chain encoding (FORMAT.md "Withdrawal proof — format 2", "Byte layout").
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = vec![FORMAT_VERSION, self.route.number()];
        for n in &self.header_branch {
            out.extend_from_slice(n.as_slice());
        }
        out.extend_from_slice(&self.anchor_slot.as_u64().to_le_bytes());
        crate::proof::put_fork(&mut out, &self.anchor_fork);
        out.extend_from_slice(self.anchor_active_fields.as_slice());
        out.extend_from_slice(&self.next_withdrawal_index.to_le_bytes());
        out.extend_from_slice(&self.expected_length.to_le_bytes());
        match &self.route {
            PaidStateRoute::StateRoots { anchor_branch } => {
                put_nodes(&mut out, anchor_branch);
                put_state_roots(&mut out, &self.state_roots_branch);
            }
            PaidStateRoute::HistoricalSummaries {
                anchor_branch,
                block_summary_root,
                summaries_branch,
            } => {
                put_nodes(&mut out, anchor_branch);
                put_state_roots(&mut out, &self.state_roots_branch);
                out.extend_from_slice(block_summary_root.as_slice());
                crate::proof::put_list_branch(&mut out, summaries_branch);
            }
        }
        out.extend_from_slice(&self.slot.as_u64().to_le_bytes());
        out.extend_from_slice(self.active_fields.as_slice());
        for n in &self.branch {
            out.extend_from_slice(n.as_slice());
        }
        out.push(self.position);
        crate::withdrawal::put_withdrawal(&mut out, &self.withdrawal);
        crate::proof::put_list_branch(&mut out, &self.withdrawal_branch);
        out
    }

    /// Parses the on-chain encoding: version, route, counts within bounds (the exact depths are
    /// [`verify`](Self::verify)'s), no truncation, no trailing bytes.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, PaymentVerifyError> {
        let mut r = Reader::new(bytes);
        if r.u8()? != FORMAT_VERSION {
            return Err(PaymentVerifyError::Malformed("unknown format version"));
        }
        let route_number = r.u8()?;
        if ![ROUTE_STATE_ROOTS, ROUTE_HISTORICAL_SUMMARIES].contains(&route_number) {
            return Err(PaymentVerifyError::Malformed("unknown route"));
        }
        let header_branch = r.nodes()?;
        let anchor_slot = Slot::new(r.u64_le()?);
        let anchor_fork = r.fork()?;
        let anchor_active_fields = r.b256()?;
        let next_withdrawal_index = r.u64_le()?;
        let expected_length = r.u64_le()?;
        let read_state_roots = |r: &mut Reader| -> Result<Vec<B256>, PaymentVerifyError> {
            let count = usize::from(r.u8()?);
            if count > gindex::BLOCK_ROOTS_DEPTH {
                return Err(PaymentVerifyError::Malformed(
                    "state_roots deeper than mainnet's",
                ));
            }
            Ok((0..count).map(|_| r.b256()).collect::<Result<_, _>>()?)
        };
        let (route, state_roots_branch) = if route_number == ROUTE_STATE_ROOTS {
            let anchor_branch = r.nodes()?;
            let roots = read_state_roots(&mut r)?;
            (PaidStateRoute::StateRoots { anchor_branch }, roots)
        } else {
            let anchor_branch = r.nodes()?;
            let roots = read_state_roots(&mut r)?;
            let block_summary_root = r.b256()?;
            let summaries_branch = r.list_branch(
                gindex::HISTORICAL_SUMMARIES_DATA_DEPTH,
                "too many historical_summaries siblings",
            )?;
            let route = PaidStateRoute::HistoricalSummaries {
                anchor_branch,
                block_summary_root,
                summaries_branch,
            };
            (route, roots)
        };
        let slot = Slot::new(r.u64_le()?);
        let active_fields = r.b256()?;
        let branch = r.nodes()?;
        let position = r.u8()?;
        let withdrawal = crate::withdrawal::read_withdrawal(&mut r)?;
        let withdrawal_branch = r.list_branch(3 * 31 + 1, "too many siblings")?;
        r.finish()?;
        Ok(Self {
            header_branch,
            anchor_slot,
            anchor_fork,
            anchor_active_fields,
            next_withdrawal_index,
            expected_length,
            route,
            state_roots_branch,
            slot,
            active_fields,
            branch,
            position,
            withdrawal,
            withdrawal_branch,
        })
    }
}

impl PaidStateRoute {
    /// The route byte: [`ROUTE_STATE_ROOTS`] or [`ROUTE_HISTORICAL_SUMMARIES`].
    pub fn number(&self) -> u8 {
        match self {
            Self::StateRoots { .. } => ROUTE_STATE_ROOTS,
            Self::HistoricalSummaries { .. } => ROUTE_HISTORICAL_SUMMARIES,
        }
    }
}

fn put_nodes(out: &mut Vec<u8>, nodes: &[B256]) {
    for n in nodes {
        out.extend_from_slice(n.as_slice());
    }
}

/// The count of `state_roots` siblings, then the siblings.
fn put_state_roots(out: &mut Vec<u8>, siblings: &[B256]) {
    out.push(u8::try_from(siblings.len()).expect("at most 13"));
    put_nodes(out, siblings);
}

/// The siblings of the path from `g` up to (not including) its ancestor `top`, bottom-up.
fn climb_siblings(
    node: &impl Fn(GeneralizedIndex) -> Result<B256, ProveError>,
    mut g: GeneralizedIndex,
    top: GeneralizedIndex,
) -> Result<Vec<B256>, ProveError> {
    let mut siblings = Vec::new();
    while g > top {
        siblings.push(node(g ^ 1)?);
        g >>= 1;
    }
    Ok(siblings)
}

fn nodes<const N: usize>(
    node: &impl Fn(GeneralizedIndex) -> Result<B256, ProveError>,
    gindices: [GeneralizedIndex; N],
) -> Result<[B256; N], ProveError> {
    let mut out = [B256::ZERO; N];
    for (n, g) in out.iter_mut().zip(gindices) {
        *n = node(g)?;
    }
    Ok(out)
}
