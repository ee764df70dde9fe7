//! The withdrawal proof under ePBS (format 2, `lsv_proofs::gloas_withdrawal`), held to states
//! the executable spec wrote (`testdata/gloas-state/payment/`): a state that lists two expected
//! withdrawals, a later anchor whose `state_roots` holds its root and whose watermark has moved
//! past them (their payload was delivered), and one whose payload was withheld.

#![allow(unused_crate_dependencies)]

#[path = "common/gloas_vectors.rs"]
mod gloas_vectors;

use alloy_primitives::{Address, B256};
use gloas_vectors::{dir, load, Header};
use lsv_consensus::containers::BeaconBlockHeader;
use lsv_consensus::{Minimal, Slot};
use lsv_proofs::gloas::{GloasAnchor, GloasStateProver};
use lsv_proofs::gloas_withdrawal::{PaymentChain, PaymentProof, PaymentVerifyError};
use serde::Deserialize;
use tree_hash::TreeHash;

/// `log2(SLOTS_PER_HISTORICAL_ROOT)` of the minimal preset (64).
const DEPTH: usize = 6;
/// The vectors' chain: the minimal preset, Capella at genesis.
const CHAIN: PaymentChain = PaymentChain {
    state_roots_depth: DEPTH,
    capella_slot: Slot::new(0),
};

#[derive(Deserialize)]
struct Anchor {
    header: Header,
    block_root: B256,
}

#[derive(Deserialize)]
struct Vector {
    paid_slot: u64,
    paid_state_root: B256,
    anchor: Anchor,
    withheld: Anchor,
}

fn prover(name: &str) -> GloasStateProver<Minimal> {
    let path = dir().join("payment").join(format!("{name}.ssz"));
    GloasStateProver::from_ssz_vec(std::fs::read(path).unwrap()).unwrap()
}

fn vector() -> Vector {
    load("payment/vector.yaml")
}

fn header(h: &Header) -> BeaconBlockHeader {
    h.header()
}

fn chain(p: &GloasStateProver<Minimal>) -> GloasAnchor {
    GloasAnchor {
        genesis_time: p.state().genesis_time,
        genesis_validators_root: p.state().genesis_validators_root,
    }
}

#[test]
fn a_delivered_payment_is_proven_and_a_withheld_one_is_not() {
    let v = vector();
    let (paid, anchor, withheld) = (prover("paid"), prover("anchor"), prover("withheld"));
    assert_eq!(paid.state_root(), v.paid_state_root);
    assert_eq!(anchor.state_root(), v.anchor.header.header().state_root);
    assert_eq!(
        header(&v.anchor.header).tree_hash_root(),
        v.anchor.block_root
    );
    for (j, (index, validator, gwei)) in [(40, 9, 5), (41, 10, 7)].into_iter().enumerate() {
        let proof =
            PaymentProof::build(&anchor, &header(&v.anchor.header), &paid, j as u8, DEPTH).unwrap();
        assert_eq!(PaymentProof::from_bytes(&proof.to_bytes()).unwrap(), proof);
        let proven = proof
            .verify(v.anchor.block_root, &chain(&anchor), CHAIN)
            .unwrap();
        assert_eq!(proven.withdrawal.index, index);
        assert_eq!(proven.withdrawal.validator_index, validator);
        assert_eq!(proven.withdrawal.amount.as_u64(), gwei * 1_000_000_000);
        assert_eq!(proven.withdrawal.address, Address::repeat_byte(0x42));
        assert_eq!(proven.slot.as_u64(), v.paid_slot);
        assert_eq!(proven.state_root, v.paid_state_root);
        assert_eq!(proven.anchor_slot.as_u64(), v.paid_slot + 3);
        assert_eq!(proven.watermark, 42);
    }
    // The payload was withheld: the same withdrawal is listed, committed, not paid.
    let proof =
        PaymentProof::build(&withheld, &header(&v.withheld.header), &paid, 0, DEPTH).unwrap();
    assert_eq!(
        proof.verify(v.withheld.block_root, &chain(&withheld), CHAIN),
        Err(PaymentVerifyError::NotYetPaid {
            index: 40,
            watermark: 40
        })
    );
}

#[test]
fn what_must_be_refused_is_refused() {
    let v = vector();
    let (paid, anchor) = (prover("paid"), prover("anchor"));
    let proof = PaymentProof::build(&anchor, &header(&v.anchor.header), &paid, 1, DEPTH).unwrap();
    let root = v.anchor.block_root;
    let c = chain(&anchor);
    let check = |p: &PaymentProof| p.verify(root, &c, CHAIN);
    // Another chain's depth of state_roots (mainnet's 13).
    assert!(matches!(
        proof.verify(
            root,
            &c,
            PaymentChain {
                state_roots_depth: 13,
                ..CHAIN
            }
        ),
        Err(PaymentVerifyError::BranchLength {
            what: "state_roots",
            ..
        })
    ));
    // A layout that deprecated payload_expected_withdrawals, in either state.
    let mut p = proof.clone();
    p.anchor_active_fields[44 / 8] &= !(1 << (44 % 8));
    assert_eq!(
        check(&p),
        Err(PaymentVerifyError::InactiveField {
            which: "anchor",
            field: 44
        })
    );
    let mut p = proof.clone();
    p.active_fields[44 / 8] &= !(1 << (44 % 8));
    assert_eq!(
        check(&p),
        Err(PaymentVerifyError::InactiveField {
            which: "paid",
            field: 44
        })
    );
    // The listed state must be before the anchor, within state_roots.
    let mut p = proof.clone();
    p.slot = p.anchor_slot;
    assert!(matches!(
        check(&p),
        Err(PaymentVerifyError::SlotOutsideStateRoots { .. })
    ));
    let mut p = proof.clone();
    p.slot = Slot::new(p.anchor_slot.as_u64() - 65);
    assert!(matches!(
        check(&p),
        Err(PaymentVerifyError::SlotOutsideStateRoots { .. })
    ));
    // A position past the list.
    let mut p = proof.clone();
    p.position = 2;
    assert!(matches!(
        check(&p),
        Err(PaymentVerifyError::PositionOutOfRange { .. })
    ));
    // Any value changed: another amount, another validator, a later index, a watermark moved.
    for edit in [
        (|p: &mut PaymentProof| p.withdrawal.amount = lsv_consensus::Gwei::new(8_000_000_000))
            as fn(&mut PaymentProof),
        |p| p.withdrawal.validator_index = 11,
        |p| p.withdrawal.index = 39,
        |p| p.next_withdrawal_index += 1,
        |p| p.expected_length -= 1,
        |p| p.slot = Slot::new(p.slot.as_u64() - 1),
        |p| p.state_roots_branch[2].0[5] ^= 1,
        |p| p.branch[4].0[0] ^= 1,
    ] {
        let mut p = proof.clone();
        edit(&mut p);
        assert!(
            matches!(check(&p), Err(PaymentVerifyError::RootMismatch { .. })),
            "{:?}",
            check(&p)
        );
    }
    // Framing.
    let bytes = proof.to_bytes();
    assert!(PaymentProof::from_bytes(&bytes[..bytes.len() - 1]).is_err());
    let mut longer = bytes.clone();
    longer.push(0);
    assert!(PaymentProof::from_bytes(&longer).is_err());
}

/// The anchor of the vectors moved two periods on, so that its `state_roots` no longer hold the
/// listing state, with `historical_summaries` up to the listing state's period, whose
/// `state_summary_root` summarizes `period`. The stand-in period is the vector anchor's own
/// `state_roots` (they hold the listing state's root at `a mod 64`, which is all a route-4 proof
/// reads of them); the earlier summaries are stand-ins too.
fn late_anchor(
    paid: &GloasStateProver<Minimal>,
    anchor: &GloasStateProver<Minimal>,
) -> (GloasStateProver<Minimal>, BeaconBlockHeader, Vec<B256>) {
    use lsv_proofs::merkle::MerkleTree;
    use lsv_proofs::state::HistoricalSummary;
    let a = paid.state().slot.as_u64();
    let period = anchor.state().state_roots.to_vec();
    let mut late = anchor.state().clone();
    late.slot = Slot::new((a / 64 + 2) * 64 + 5);
    // Two periods on, that entry holds another state's root.
    late.state_roots[(a % 64) as usize] = B256::repeat_byte(0x33);
    let k = a / 64;
    for i in 0..=k {
        let summary = HistoricalSummary {
            block_summary_root: B256::repeat_byte(i as u8),
            state_summary_root: if i == k {
                MerkleTree::new(period.clone(), DEPTH).root()
            } else {
                B256::repeat_byte(0x80 | i as u8)
            },
        };
        late.historical_summaries.push(summary).unwrap();
    }
    let late = GloasStateProver::new(late);
    let header = BeaconBlockHeader {
        slot: late.state().slot,
        proposer_index: 3,
        parent_root: B256::repeat_byte(0x11),
        state_root: late.state_root(),
        body_root: B256::repeat_byte(0x22),
    };
    (late, header, period)
}

#[test]
fn a_payment_older_than_state_roots_is_proven_through_historical_summaries() {
    use lsv_proofs::gloas_withdrawal::ROUTE_HISTORICAL_SUMMARIES;
    let (paid, anchor) = (prover("paid"), prover("anchor"));
    let (late, header, period) = late_anchor(&paid, &anchor);
    let root = header.tree_hash_root();
    let c = chain(&late);
    // The anchor's state_roots no longer hold the listing state: route 3 cannot be built.
    assert!(PaymentProof::build(&late, &header, &paid, 0, DEPTH).is_err());
    let proof = PaymentProof::build_historical(&late, &header, &paid, 1, CHAIN, &period).unwrap();
    assert_eq!(PaymentProof::from_bytes(&proof.to_bytes()).unwrap(), proof);
    let proven = proof.verify(root, &c, CHAIN).unwrap();
    assert_eq!(proven.route, ROUTE_HISTORICAL_SUMMARIES);
    assert_eq!(proven.withdrawal.index, 41);
    assert_eq!(proven.state_root, paid.state_root());
    assert_eq!(proven.slot, paid.state().slot);
    assert_eq!(proven.watermark, 42);

    // The prover refuses a period that is not the one summarized, or lacks the state.
    let mut other = period.clone();
    other[0].0[0] ^= 1;
    assert!(matches!(
        PaymentProof::build_historical(&late, &header, &paid, 1, CHAIN, &other),
        Err(lsv_proofs::ProveError::PeriodMismatch { .. })
    ));
    // The verifier: a Capella after the period, a summary the anchor does not have, another
    // chain's Capella (another k), and any node changed.
    let check = |p: &PaymentProof, chain| p.verify(root, &c, chain);
    let late_capella = PaymentChain {
        capella_slot: Slot::new(paid.state().slot.as_u64() + 64),
        ..CHAIN
    };
    assert!(matches!(
        check(&proof, late_capella),
        Err(PaymentVerifyError::SlotBeforeHistoricalSummaries { .. })
    ));
    let mut p = proof.clone();
    if let lsv_proofs::gloas_withdrawal::PaidStateRoute::HistoricalSummaries {
        summaries_branch,
        ..
    } = &mut p.route
    {
        summaries_branch.length -= 1;
    }
    assert!(matches!(
        check(&p, CHAIN),
        Err(PaymentVerifyError::SummaryOutOfRange { .. })
    ));
    let earlier_capella = PaymentChain {
        capella_slot: Slot::new(64),
        ..CHAIN
    };
    assert!(matches!(
        check(&proof, earlier_capella),
        Err(PaymentVerifyError::RootMismatch { .. })
    ));
    for edit in [
        (|p: &mut PaymentProof| p.state_roots_branch[0].0[0] ^= 1) as fn(&mut PaymentProof),
        |p| p.slot = Slot::new(p.slot.as_u64() - 64),
        |p| p.next_withdrawal_index += 1,
        |p| {
            if let lsv_proofs::gloas_withdrawal::PaidStateRoute::HistoricalSummaries {
                block_summary_root,
                ..
            } = &mut p.route
            {
                block_summary_root.0[0] ^= 1;
            }
        },
    ] {
        let mut p = proof.clone();
        edit(&mut p);
        assert!(
            matches!(
                check(&p, CHAIN),
                Err(PaymentVerifyError::RootMismatch { .. })
            ),
            "{:?}",
            check(&p, CHAIN)
        );
    }
    let bytes = proof.to_bytes();
    assert!(PaymentProof::from_bytes(&bytes[..bytes.len() - 1]).is_err());
}
