//! Withdrawal proofs (settlement), FORMAT.md "Withdrawal proof":
//!
//! - the Electra `BeaconBlockBody` vectors decode, re-encode to the same bytes, hash to the
//!   vectors' roots, and their `execution_payload` branch is the one the proofs carry;
//! - the documented generalized indices against their derivation;
//! - on real-shaped blocks (the vector body with a full 16-withdrawal payload) and states (the
//!   vector Electra genesis state, and its Fulu-layout copy, with `block_roots` and
//!   `historical_summaries` set), every route proves every position, round-trips its encoding,
//!   and its values are the block's;
//! - the prover refuses inputs that cannot give a valid proof;
//! - tampering (any bit, the route, the slot, the position, another anchor, an unknown fork,
//!   truncation) is refused.

#![allow(unused_crate_dependencies)]

mod common;

use alloy_primitives::{Address, B256};
use common::{b256, data_dir, mainnet_state, read_proof_yaml, to_fulu};
use lsv_consensus::containers::BeaconBlockHeader;
use lsv_consensus::{Gwei, Mainnet, Minimal, Slot, Version};
use lsv_proofs::block::{BeaconBlock, BeaconBlockBody, SignedBeaconBlock, Withdrawal};
use lsv_proofs::gindex;
use lsv_proofs::merkle::{self, MerkleTree};
use lsv_proofs::state::{electra, HistoricalSummary};
use lsv_proofs::withdrawal::withdrawal_root;
use lsv_proofs::{
    Anchor, AnyBeaconState, HistoricalPeriod, StatePreset, StateProver, WithdrawalDepths,
    WithdrawalProof, WithdrawalProveError, WithdrawalProver, WithdrawalRoute,
    WithdrawalVerifyError,
};
use proptest::prelude::*;
use ssz::{Decode, Encode};
use std::sync::OnceLock;
use tree_hash::TreeHash;

// ---- the Electra body vectors ------------------------------------------------------------------

fn body_dir(preset: &str) -> std::path::PathBuf {
    data_dir().join(format!(
        "light_client/{preset}/electra/light_client/single_merkle_proof/BeaconBlockBody/execution_merkle_proof"
    ))
}

fn summary_root(preset: &str) -> B256 {
    let text = std::fs::read_to_string(data_dir().join("light_client/summary.json")).unwrap();
    let cases: serde_json::Value = serde_json::from_str(&text).unwrap();
    let case = cases
        .as_array()
        .unwrap()
        .iter()
        .find(|c| {
            c["preset"] == preset && c["fork"] == "electra" && c["object_type"] == "BeaconBlockBody"
        })
        .unwrap();
    b256(case["object_hash_tree_root"].as_str().unwrap())
}

fn check_body_vector<P: StatePreset>(preset: &str) -> BeaconBlockBody<P> {
    let dir = body_dir(preset);
    let bytes = std::fs::read(dir.join("object.ssz")).unwrap();
    let body = BeaconBlockBody::<P>::from_ssz_bytes(&bytes).unwrap();
    assert_eq!(body.as_ssz_bytes(), bytes, "{preset}: re-encoding");
    assert_eq!(
        body.tree_hash_root(),
        summary_root(preset),
        "{preset}: root"
    );
    // The light-client execution proof (gindex 25) is the body branch a withdrawal proof carries.
    let proof = read_proof_yaml(&dir.join("proof.yaml"));
    assert_eq!(proof.leaf_index, gindex::BODY_EXECUTION_PAYLOAD);
    assert_eq!(
        b256(&proof.leaf),
        body.execution_payload.tree_hash_root(),
        "{preset}: leaf"
    );
    let tree = MerkleTree::new(body.field_roots().to_vec(), gindex::BODY_DEPTH);
    assert_eq!(tree.root(), body.tree_hash_root());
    let ours: Vec<B256> = gindex::BODY_HELPERS
        .iter()
        .map(|&g| tree.node(g).unwrap())
        .collect();
    let theirs: Vec<B256> = proof.branch.iter().map(|s| b256(s)).collect();
    assert_eq!(ours, theirs, "{preset}: branch");
    body
}

#[test]
fn electra_body_vectors_decode_hash_and_prove_the_payload() {
    check_body_vector::<Mainnet>("mainnet");
    check_body_vector::<Minimal>("minimal");
}

#[test]
fn a_signed_block_round_trips_and_other_forks_are_refused() {
    let block = withdrawal_block(1_234_567, 7);
    let signed = SignedBeaconBlock::<Mainnet> {
        message: block.clone(),
        signature: lsv_consensus::SignatureBytes([0x5a; 96]),
    };
    let bytes = signed.as_ssz_bytes();
    for fork in [
        lsv_consensus::ForkName::Electra,
        lsv_consensus::ForkName::Fulu,
    ] {
        assert_eq!(
            SignedBeaconBlock::<Mainnet>::from_ssz_bytes_of(fork, &bytes).unwrap(),
            signed
        );
    }
    assert!(SignedBeaconBlock::<Mainnet>::from_ssz_bytes_of(
        lsv_consensus::ForkName::Deneb,
        &bytes
    )
    .is_err());
    assert!(SignedBeaconBlock::<Mainnet>::from_ssz_bytes_of(
        lsv_consensus::ForkName::Electra,
        &bytes[..bytes.len() - 1]
    )
    .is_err());
    // The header's root is the block's.
    assert_eq!(block.header().tree_hash_root(), block.tree_hash_root());
}

#[test]
fn documented_gindices_match_their_derivation() {
    use gindex::concat;
    let body_in_block = gindex::BLOCK_BODY;
    let payload = concat(body_in_block, gindex::BODY_EXECUTION_PAYLOAD).unwrap();
    assert_eq!(payload, 201);
    assert_eq!(payload, gindex::BLOCK_EXECUTION_PAYLOAD);
    let withdrawals = concat(payload, gindex::PAYLOAD_WITHDRAWALS).unwrap();
    assert_eq!(withdrawals, 6446);
    assert_eq!(withdrawals, gindex::BLOCK_WITHDRAWALS);
    for j in 0..16 {
        let g = concat(
            withdrawals,
            gindex::leaf(1 + gindex::WITHDRAWALS_DATA_DEPTH, j),
        )
        .unwrap();
        assert_eq!(g, gindex::block_withdrawal(j));
        assert_eq!(g, 206_272 + j);
        assert_eq!(gindex::depth(g), Some(17));
    }
    assert_eq!(gindex::STATE_BLOCK_ROOTS, 69);
    assert_eq!(gindex::STATE_HISTORICAL_SUMMARIES, 91);
    assert_eq!(gindex::state_block_root(5), 69 * 8192 + 5);
    assert_eq!(
        gindex::state_block_summary_root(3),
        concat(
            concat(91, gindex::leaf(25, 3)).unwrap(),
            2 // HistoricalSummary.block_summary_root: field 0 of 2
        )
        .unwrap()
    );
    assert_eq!(merkle::helper_indices(&[16]), gindex::DIRECT_STATE_HELPERS);
    assert_eq!(
        merkle::helper_indices(&[16, 69]),
        gindex::BLOCK_ROOTS_STATE_HELPERS
    );
    assert_eq!(
        merkle::helper_indices(&[16, 91]),
        gindex::HISTORICAL_STATE_HELPERS
    );
    assert_eq!(merkle::helper_indices(&[25]), gindex::BODY_HELPERS);
    assert_eq!(merkle::helper_indices(&[46]), gindex::PAYLOAD_HELPERS);
}

// ---- blocks and states -------------------------------------------------------------------------

/// The contract withdrawals are paid to in these tests.
const C: Address = Address::repeat_byte(0xc0);
/// Mainnet's `CAPELLA_FORK_EPOCH · 32` (configs/mainnet.yaml: epoch 194048).
const CAPELLA_SLOT: Slot = Slot(194_048 * 32);
const ELECTRA: Version = Version([5, 0, 0, 0]);
const FULU: Version = Version([6, 0, 0, 0]);

fn vector_body() -> &'static BeaconBlockBody<Mainnet> {
    static B: OnceLock<BeaconBlockBody<Mainnet>> = OnceLock::new();
    B.get_or_init(|| {
        let bytes = std::fs::read(body_dir("mainnet").join("object.ssz")).unwrap();
        BeaconBlockBody::from_ssz_bytes(&bytes).unwrap()
    })
}

/// A block at `slot` whose payload carries a full sweep of 16 withdrawals (every third to `C`),
/// a transaction and varied header fields, built on the vector body.
fn withdrawal_block(slot: u64, salt: u8) -> BeaconBlock<Mainnet> {
    let mut body = vector_body().clone();
    let p = &mut body.execution_payload;
    p.block_number = slot * 3 + u64::from(salt);
    p.timestamp = 1_606_824_023 + slot * 12;
    p.gas_used = 21_000 * u64::from(salt);
    p.extra_data = vec![salt; 9].try_into().unwrap();
    p.transactions = vec![vec![0x02, salt, 0xaa].try_into().unwrap()]
        .try_into()
        .unwrap();
    let first = slot * 16 + 1_000;
    p.withdrawals = (0..16u64)
        .map(|j| Withdrawal {
            index: first + j,
            validator_index: 100_000 + j * 37 + u64::from(salt),
            address: if j % 3 == 0 {
                C
            } else {
                Address::repeat_byte(j as u8 + 1)
            },
            amount: Gwei::new(32_000_000_000 + j * 1_000_003),
        })
        .collect::<Vec<_>>()
        .try_into()
        .unwrap();
    body.graffiti = B256::repeat_byte(salt);
    BeaconBlock {
        slot: Slot::new(slot),
        proposer_index: 7 + u64::from(salt),
        parent_root: B256::repeat_byte(0x11 ^ salt),
        state_root: B256::repeat_byte(0x22 ^ salt),
        body,
    }
}

/// The vector genesis state at `slot` (Electra fork), edited.
fn state_at(
    slot: u64,
    edit: impl FnOnce(&mut electra::BeaconState<Mainnet>),
) -> electra::BeaconState<Mainnet> {
    let mut s = mainnet_state().clone();
    s.slot = Slot::new(slot);
    s.fork.current_version = ELECTRA;
    for (i, r) in s.block_roots.iter_mut().enumerate() {
        *r = B256::from(alloy_primitives::U256::from(i as u64 * 0x9e37_79b9 + 1));
    }
    edit(&mut s);
    s
}

fn prover_of(s: electra::BeaconState<Mainnet>, fulu: bool) -> StateProver<Mainnet> {
    StateProver::new(if fulu {
        AnyBeaconState::Fulu(Box::new(to_fulu(&s)))
    } else {
        AnyBeaconState::Electra(Box::new(s))
    })
}

fn anchor_of(p: &StateProver<Mainnet>) -> Anchor {
    Anchor {
        genesis_time: p.state().genesis_time(),
        genesis_validators_root: p.state().genesis_validators_root(),
        fork_versions: vec![ELECTRA, FULU],
    }
}

/// One proving situation: the anchor state, the anchor header, the withdrawal's block and, for
/// the historical route, its period's block roots.
struct Scenario {
    prover: StateProver<Mainnet>,
    header: BeaconBlockHeader,
    block: BeaconBlock<Mainnet>,
    period: Vec<B256>,
    route: WithdrawalRoute,
}

impl Scenario {
    /// `back`: how many slots the block is before the anchor (0: the anchor itself; ≤ 8192:
    /// `block_roots`; more: `historical_summaries`).
    fn new(route: WithdrawalRoute, fulu: bool, back: u64, salt: u8) -> Self {
        let anchor_slot = 11_000_000 + u64::from(salt) * 977;
        let block_slot = anchor_slot - back;
        let mut block = withdrawal_block(block_slot, salt);
        let period: Vec<B256> = (0..8192u64)
            .map(|i| B256::from(alloy_primitives::U256::from(i * 7 + 3 + u64::from(salt))))
            .collect();
        match route {
            WithdrawalRoute::Direct => {
                let s = state_at(anchor_slot, |_| {});
                let prover = prover_of(s, fulu);
                block.state_root = prover.state_root();
                let header = block.header();
                Self {
                    prover,
                    header,
                    block,
                    period,
                    route,
                }
            }
            WithdrawalRoute::BlockRoots => {
                let root = block.tree_hash_root();
                let s = state_at(anchor_slot, |s| {
                    s.block_roots[(block_slot % 8192) as usize] = root
                });
                let prover = prover_of(s, fulu);
                let header = anchor_header(anchor_slot, prover.state_root(), salt);
                Self {
                    prover,
                    header,
                    block,
                    period,
                    route,
                }
            }
            WithdrawalRoute::HistoricalSummaries => {
                let mut period = period;
                period[(block_slot % 8192) as usize] = block.tree_hash_root();
                let summary_root = MerkleTree::new(period.clone(), 13).root();
                let first = CAPELLA_SLOT.as_u64() / 8192;
                let anchor_period = anchor_slot / 8192;
                let k = block_slot / 8192 - first;
                let s = state_at(anchor_slot, |s| {
                    for i in 0..(anchor_period - first) {
                        let bsr = if i == k {
                            summary_root
                        } else {
                            B256::repeat_byte((i % 251) as u8)
                        };
                        s.historical_summaries
                            .push(HistoricalSummary {
                                block_summary_root: bsr,
                                state_summary_root: B256::from(alloy_primitives::U256::from(i + 5)),
                            })
                            .unwrap();
                    }
                });
                let prover = prover_of(s, fulu);
                let header = anchor_header(anchor_slot, prover.state_root(), salt);
                Self {
                    prover,
                    header,
                    block,
                    period,
                    route,
                }
            }
        }
    }

    fn anchor_root(&self) -> B256 {
        self.header.tree_hash_root()
    }

    fn history(&self) -> Option<HistoricalPeriod<'_>> {
        (self.route == WithdrawalRoute::HistoricalSummaries).then_some(HistoricalPeriod {
            capella_slot: CAPELLA_SLOT,
            block_roots: &self.period,
        })
    }

    fn prove(&self, j: usize) -> Result<WithdrawalProof, WithdrawalProveError> {
        WithdrawalProver::new(&self.prover, self.header)?.prove(
            &self.block,
            j,
            self.route,
            self.history(),
        )
    }
}

fn anchor_header(slot: u64, state_root: B256, salt: u8) -> BeaconBlockHeader {
    BeaconBlockHeader {
        slot: Slot::new(slot),
        proposer_index: 42 + u64::from(salt),
        parent_root: B256::repeat_byte(0xa1 ^ salt),
        state_root,
        body_root: B256::repeat_byte(0xb2 ^ salt),
    }
}

fn back_for(route: WithdrawalRoute, x: u64) -> u64 {
    match route {
        WithdrawalRoute::Direct => 0,
        WithdrawalRoute::BlockRoots => 1 + x % 8192,
        WithdrawalRoute::HistoricalSummaries => 8192 * 2 + x % (8192 * 40),
    }
}

fn verify(
    bytes: &[u8],
    root: B256,
    anchor: &Anchor,
) -> Result<lsv_proofs::ProvenWithdrawal, WithdrawalVerifyError> {
    WithdrawalProof::from_bytes(bytes)?.verify(
        root,
        anchor,
        CAPELLA_SLOT,
        WithdrawalDepths::MAINNET,
    )
}

// ---- every route, both layouts ----------------------------------------------------------------

#[test]
fn every_route_proves_every_position_in_both_layouts() {
    for route in WithdrawalRoute::ALL {
        for fulu in [false, true] {
            for (back, salt) in [
                (back_for(route, 0), 1u8),
                (back_for(route, 8191), 2),
                (back_for(route, 123_457), 3),
            ] {
                let sc = Scenario::new(route, fulu, back, salt);
                let anchor = anchor_of(&sc.prover);
                for j in 0..16 {
                    let proof = sc.prove(j).unwrap();
                    assert_eq!(proof.route(), route);
                    let bytes = proof.to_bytes();
                    assert_eq!(WithdrawalProof::from_bytes(&bytes).unwrap(), proof);
                    let proven = verify(&bytes, sc.anchor_root(), &anchor).unwrap();
                    assert_eq!(
                        proven.withdrawal,
                        sc.block.body.execution_payload.withdrawals[j]
                    );
                    assert_eq!(
                        withdrawal_root(&proven.withdrawal),
                        proven.withdrawal.tree_hash_root()
                    );
                    assert_eq!(usize::from(proven.position), j);
                    assert_eq!(proven.slot, sc.block.slot);
                    assert_eq!(proven.block_root, sc.block.tree_hash_root());
                    assert_eq!(proven.anchor_slot, sc.header.slot);
                    assert_eq!(proven.fork_version, if fulu { FULU } else { ELECTRA });
                    assert_eq!(proven.route, route);
                }
                let len = sc.prove(0).unwrap().to_bytes().len();
                match route {
                    WithdrawalRoute::Direct => assert_eq!(len, 687),
                    WithdrawalRoute::BlockRoots => assert_eq!(len, 1239),
                    WithdrawalRoute::HistoricalSummaries => {
                        assert!(len > 1344 && len <= 1344 + 24 * 32)
                    }
                }
            }
        }
    }
}

#[test]
fn the_block_roots_window_is_the_8192_slots_before_the_anchor() {
    // The oldest slot the vector still holds, and the newest.
    for back in [8192, 1] {
        let sc = Scenario::new(WithdrawalRoute::BlockRoots, false, back, 9);
        let proof = sc.prove(3).unwrap();
        verify(&proof.to_bytes(), sc.anchor_root(), &anchor_of(&sc.prover)).unwrap();
    }
    // A block 8193 slots back is the historical route's, and the prover says so.
    let sc = Scenario::new(WithdrawalRoute::BlockRoots, false, 8193, 9);
    assert!(matches!(
        sc.prove(0),
        Err(WithdrawalProveError::WrongRoute { .. })
    ));
}

#[test]
fn the_prover_refuses_what_cannot_be_proven() {
    let sc = Scenario::new(WithdrawalRoute::BlockRoots, false, 100, 4);
    assert_eq!(
        sc.prove(16),
        Err(WithdrawalProveError::NoSuchWithdrawal {
            position: 16,
            length: 16
        })
    );
    // A block that is not in block_roots.
    let mut other = sc.block.clone();
    other.proposer_index += 1;
    let p = WithdrawalProver::new(&sc.prover, sc.header).unwrap();
    assert!(matches!(
        p.prove(&other, 0, WithdrawalRoute::BlockRoots, None),
        Err(WithdrawalProveError::BlockNotInBlockRoots { .. })
    ));
    // The direct route needs the anchor block.
    let mut at_anchor = sc.block.clone();
    at_anchor.slot = sc.header.slot;
    assert!(matches!(
        p.prove(&at_anchor, 0, WithdrawalRoute::Direct, None),
        Err(WithdrawalProveError::NotTheAnchorBlock { .. })
    ));
    // A header over another state.
    let mut h = sc.header;
    h.state_root = B256::repeat_byte(1);
    assert!(matches!(
        WithdrawalProver::new(&sc.prover, h),
        Err(WithdrawalProveError::HeaderStateMismatch { .. })
    ));
    // The historical route: the period's roots must be the summary's.
    let sc = Scenario::new(WithdrawalRoute::HistoricalSummaries, false, 50_000, 4);
    let p = WithdrawalProver::new(&sc.prover, sc.header).unwrap();
    let mut wrong = sc.period.clone();
    wrong[0] = B256::repeat_byte(0xee);
    let history = HistoricalPeriod {
        capella_slot: CAPELLA_SLOT,
        block_roots: &wrong,
    };
    assert!(matches!(
        p.prove(
            &sc.block,
            0,
            WithdrawalRoute::HistoricalSummaries,
            Some(history)
        ),
        Err(WithdrawalProveError::PeriodRootsMismatch { .. })
    ));
    assert!(matches!(
        p.prove(&sc.block, 0, WithdrawalRoute::HistoricalSummaries, None),
        Err(WithdrawalProveError::WrongRoute { .. })
    ));
    // A Capella slot after the block's period: no summary holds it.
    let late = HistoricalPeriod {
        capella_slot: Slot::new(sc.block.slot.as_u64() + 8192),
        block_roots: &sc.period,
    };
    assert!(matches!(
        p.prove(
            &sc.block,
            0,
            WithdrawalRoute::HistoricalSummaries,
            Some(late)
        ),
        Err(WithdrawalProveError::WrongRoute { .. })
    ));
}

#[test]
fn named_refusals() {
    let sc = Scenario::new(WithdrawalRoute::HistoricalSummaries, false, 30_000, 5);
    let anchor = anchor_of(&sc.prover);
    let proof = sc.prove(2).unwrap();
    let root = sc.anchor_root();
    // Unknown fork.
    let only_fulu = Anchor {
        fork_versions: vec![FULU],
        ..anchor.clone()
    };
    assert_eq!(
        proof.verify(root, &only_fulu, CAPELLA_SLOT, WithdrawalDepths::MAINNET),
        Err(WithdrawalVerifyError::UnknownForkVersion(ELECTRA))
    );
    // A Capella slot that puts the period before the first summary, or past the last.
    assert!(matches!(
        proof.verify(
            root,
            &anchor,
            Slot::new(sc.block.slot.as_u64() + 8192),
            WithdrawalDepths::MAINNET
        ),
        Err(WithdrawalVerifyError::SlotBeforeHistoricalSummaries { .. })
    ));
    assert!(matches!(
        proof.verify(root, &anchor, Slot::new(0), WithdrawalDepths::MAINNET),
        Err(WithdrawalVerifyError::SummaryOutOfRange { .. })
    ));
    // Position past the list.
    let mut p = proof.clone();
    p.withdrawals_length = 2;
    assert_eq!(
        p.verify(root, &anchor, CAPELLA_SLOT, WithdrawalDepths::MAINNET),
        Err(WithdrawalVerifyError::PositionOutOfRange {
            position: 2,
            length: 2
        })
    );
    // block_roots window.
    let sc = Scenario::new(WithdrawalRoute::BlockRoots, false, 10, 5);
    let mut p = sc.prove(0).unwrap();
    p.slot = Slot::new(sc.header.slot.as_u64());
    assert!(matches!(
        p.verify(
            sc.anchor_root(),
            &anchor_of(&sc.prover),
            CAPELLA_SLOT,
            WithdrawalDepths::MAINNET
        ),
        Err(WithdrawalVerifyError::SlotOutsideBlockRoots { .. })
    ));
    p.slot = Slot::new(sc.header.slot.as_u64() - 8193);
    assert!(matches!(
        p.verify(
            sc.anchor_root(),
            &anchor_of(&sc.prover),
            CAPELLA_SLOT,
            WithdrawalDepths::MAINNET
        ),
        Err(WithdrawalVerifyError::SlotOutsideBlockRoots { .. })
    ));
    // Framing.
    let bytes = sc.prove(0).unwrap().to_bytes();
    for (bad, why) in [
        (
            {
                let mut b = bytes.clone();
                b[0] = 2;
                b
            },
            "unknown format version",
        ),
        (
            {
                let mut b = bytes.clone();
                b[1] = 3;
                b
            },
            "unknown route",
        ),
        (bytes[..bytes.len() - 1].to_vec(), "truncated"),
        (
            {
                let mut b = bytes.clone();
                b.push(0);
                b
            },
            "trailing bytes",
        ),
        (Vec::new(), "truncated"),
    ] {
        assert_eq!(
            WithdrawalProof::from_bytes(&bad),
            Err(WithdrawalVerifyError::Malformed(why))
        );
    }
}

// ---- tampering ---------------------------------------------------------------------------------

fn scenario(route: WithdrawalRoute, fulu: bool, salt: u8) -> &'static Scenario {
    static S: OnceLock<Vec<Scenario>> = OnceLock::new();
    let all = S.get_or_init(|| {
        let mut v = Vec::new();
        for route in WithdrawalRoute::ALL {
            for fulu in [false, true] {
                for salt in 0..2u8 {
                    v.push(Scenario::new(
                        route,
                        fulu,
                        back_for(route, 977 * u64::from(salt) + 5),
                        salt,
                    ));
                }
            }
        }
        v
    });
    &all[(route as usize) * 4 + usize::from(fulu) * 2 + usize::from(salt % 2)]
}

fn route_of(r: u8) -> WithdrawalRoute {
    WithdrawalRoute::ALL[usize::from(r % 3)]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn any_flipped_bit_is_refused(r in 0u8..3, fulu: bool, salt in 0u8..2, j in 0usize..16, at: prop::sample::Index, bit in 0u8..8) {
        let sc = scenario(route_of(r), fulu, salt);
        let mut bytes = sc.prove(j).unwrap().to_bytes();
        let i = at.index(bytes.len());
        bytes[i] ^= 1 << bit;
        prop_assert!(verify(&bytes, sc.anchor_root(), &anchor_of(&sc.prover)).is_err());
    }

    #[test]
    fn another_anchor_is_refused(r in 0u8..3, other in 0u8..3, fulu: bool, j in 0usize..16) {
        let sc = scenario(route_of(r), fulu, 0);
        let bytes = sc.prove(j).unwrap().to_bytes();
        let elsewhere = scenario(route_of(other), !fulu, 1);
        let refused = matches!(
            verify(&bytes, elsewhere.anchor_root(), &anchor_of(&sc.prover)),
            Err(WithdrawalVerifyError::RootMismatch { .. })
        );
        prop_assert!(refused);
    }

    #[test]
    fn another_position_slot_or_route_is_refused(r in 0u8..3, fulu: bool, j in 0usize..16, other_j in 0u8..=255, slot_delta in 1u64..20_000, other_route in 0u8..3) {
        let sc = scenario(route_of(r), fulu, 1);
        let anchor = anchor_of(&sc.prover);
        let proof = sc.prove(j).unwrap();
        if usize::from(other_j) != j {
            let mut p = proof.clone();
            p.position = other_j;
            prop_assert!(p.verify(sc.anchor_root(), &anchor, CAPELLA_SLOT, WithdrawalDepths::MAINNET).is_err());
        }
        for slot in [proof.slot.as_u64() + slot_delta, proof.slot.as_u64() - slot_delta] {
            let mut p = proof.clone();
            p.slot = Slot::new(slot);
            prop_assert!(p.verify(sc.anchor_root(), &anchor, CAPELLA_SLOT, WithdrawalDepths::MAINNET).is_err());
        }
        let mut bytes = proof.to_bytes();
        if route_of(other_route) != proof.route() {
            bytes[1] = other_route;
            prop_assert!(verify(&bytes, sc.anchor_root(), &anchor).is_err());
        }
    }

    #[test]
    fn an_unknown_fork_or_another_genesis_is_refused(r in 0u8..3, fulu: bool, known in prop::collection::vec(any::<[u8; 4]>(), 0..4), time: u64, which: bool) {
        let sc = scenario(route_of(r), fulu, 0);
        let proof = sc.prove(5).unwrap();
        let mut anchor = anchor_of(&sc.prover);
        anchor.fork_versions = known.into_iter().map(Version).filter(|v| *v != proof.fork.current_version).collect();
        let refused = matches!(
            proof.verify(sc.anchor_root(), &anchor, CAPELLA_SLOT, WithdrawalDepths::MAINNET),
            Err(WithdrawalVerifyError::UnknownForkVersion(_))
        );
        prop_assert!(refused);
        let mut anchor = anchor_of(&sc.prover);
        if which {
            prop_assume!(time != anchor.genesis_time);
            anchor.genesis_time = time;
        } else {
            anchor.genesis_validators_root = B256::from(alloy_primitives::U256::from(time));
        }
        prop_assert!(proof.verify(sc.anchor_root(), &anchor, CAPELLA_SLOT, WithdrawalDepths::MAINNET).is_err());
    }

    #[test]
    fn another_withdrawal_is_refused(r in 0u8..3, j in 0usize..16, field in 0u8..4, x: u64) {
        let sc = scenario(route_of(r), false, 1);
        let mut p = sc.prove(j).unwrap();
        let w = &mut p.withdrawal;
        match field {
            0 => { prop_assume!(w.index != x); w.index = x }
            1 => { prop_assume!(w.validator_index != x); w.validator_index = x }
            2 => {
                let mut a = [0x77u8; 20];
                a[..8].copy_from_slice(&x.to_le_bytes());
                w.address = Address::from(a);
            }
            _ => { prop_assume!(w.amount.as_u64() != x); w.amount = Gwei::new(x) }
        }
        let refused = matches!(
            p.verify(sc.anchor_root(), &anchor_of(&sc.prover), CAPELLA_SLOT, WithdrawalDepths::MAINNET),
            Err(WithdrawalVerifyError::RootMismatch { .. })
        );
        prop_assert!(refused);
    }
}

/// FORMAT.md "Withdrawal proof: byte layout", offset by offset, for every route.
#[test]
fn the_documented_byte_offsets_are_right() {
    use lsv_proofs::withdrawal::AnchorPath;
    for route in WithdrawalRoute::ALL {
        let sc = scenario(route, true, 1);
        let p = sc.prove(13).unwrap();
        let b = p.to_bytes();
        let at = |o: usize, n: usize| &b[o..o + n];
        let nodes = |o: usize, ns: &[B256]| {
            for (k, n) in ns.iter().enumerate() {
                assert_eq!(
                    &b[o + 32 * k..o + 32 * k + 32],
                    n.as_slice(),
                    "offset {o} node {k}"
                );
            }
        };
        assert_eq!(b[0], 1);
        assert_eq!(b[1], route as u8);
        assert_eq!(b[2], 13);
        let w = &p.withdrawal;
        assert_eq!(at(3, 8), w.index.to_le_bytes());
        assert_eq!(at(11, 8), w.validator_index.to_le_bytes());
        assert_eq!(at(19, 20), w.address.as_slice());
        assert_eq!(at(39, 8), w.amount.as_u64().to_le_bytes());
        assert_eq!(at(47, 8), 16u64.to_le_bytes());
        nodes(55, &p.withdrawals_branch);
        nodes(343, &p.body_branch);
        nodes(183, &p.payload_branch);
        assert_eq!(at(471, 8), sc.block.slot.as_u64().to_le_bytes());
        assert_eq!(at(479, 32), p.proposer_node.as_slice());
        let fork = |o: usize| {
            assert_eq!(at(o, 4), p.fork.previous_version.0);
            assert_eq!(at(o + 4, 4), p.fork.current_version.0);
            assert_eq!(at(o + 8, 8), p.fork.epoch.as_u64().to_le_bytes());
        };
        match &p.path {
            AnchorPath::Direct {
                parent_root,
                state_branch,
            } => {
                assert_eq!(at(511, 32), parent_root.as_slice());
                fork(543);
                nodes(559, state_branch);
                assert_eq!(b.len(), 687);
            }
            AnchorPath::BlockRoots {
                block_node5,
                anchor,
                state_branch,
                block_roots_branch,
            } => {
                assert_eq!(at(511, 32), block_node5.as_slice());
                assert_eq!(at(543, 8), sc.header.slot.as_u64().to_le_bytes());
                assert_eq!(at(551, 32), anchor.proposer_node.as_slice());
                assert_eq!(at(583, 32), sc.header.parent_root.as_slice());
                assert_eq!(at(615, 32), anchor.body_node.as_slice());
                fork(647);
                nodes(663, state_branch);
                nodes(823, block_roots_branch);
                assert_eq!(b.len(), 1239);
            }
            AnchorPath::HistoricalSummaries {
                block_node5,
                state_branch,
                block_roots_branch,
                state_summary_root,
                summaries_branch,
                ..
            } => {
                assert_eq!(at(511, 32), block_node5.as_slice());
                fork(647);
                nodes(663, state_branch);
                nodes(887, block_roots_branch);
                assert_eq!(at(1303, 32), state_summary_root.as_slice());
                let n = sc.prover.state().historical_summaries().len() as u64;
                assert_eq!(at(1335, 8), n.to_le_bytes());
                let d = usize::from(b[1343]);
                assert_eq!(d, summaries_branch.siblings.len());
                // ⌈log2 n⌉ explicit siblings: the rest are zero subtrees.
                assert_eq!(d, (64 - (n - 1).leading_zeros()) as usize);
                assert_eq!(b.len(), 1344 + 32 * d);
            }
        }
    }
}

/// A mainnet proof checked at minimal's depths: its `withdrawals` siblings at levels 2 and 3
/// are not zero, so it is refused at the first of them (byte 55 + 2·32) before any hashing.
#[test]
fn a_mainnet_proof_is_refused_at_minimal_depths() {
    for route in WithdrawalRoute::ALL {
        let sc = scenario(route, false, 0);
        let proof = sc.prove(3).unwrap();
        assert_eq!(
            proof.verify(
                sc.anchor_root(),
                &anchor_of(&sc.prover),
                CAPELLA_SLOT,
                WithdrawalDepths::MINIMAL
            ),
            Err(WithdrawalVerifyError::UnusedSiblingNotZero { offset: 119 })
        );
    }
}
