//! Withdrawal proofs on a minimal-preset chain (`MAX_WITHDRAWALS_PER_PAYLOAD` = 4,
//! `SLOTS_PER_HISTORICAL_ROOT` = 64), from real blocks and states of the consensus-spec-tests
//! vectors (`common/spec_blocks.rs`), Electra and Fulu:
//!
//! - every route proves every withdrawal of the blocks, round-trips its encoding (the mainnet-size
//!   layout, the unused sibling slots zero) and verifies at minimal's depths with the block's
//!   values;
//! - the same proof is refused at mainnet's depths (and a mainnet proof at minimal's: see
//!   `withdrawal_proof.rs`), a nonzero unused sibling slot is refused by its offset, and so is a
//!   proof checked at any other depths;
//! - `WithdrawalDepths` accepts exactly the powers of two up to mainnet's lengths.

#![allow(unused_crate_dependencies)]

mod common;
#[path = "common/spec_blocks.rs"]
mod spec_blocks;

use alloy_primitives::B256;
use common::anchor_of;
use lsv_consensus::{ForkName, Mainnet, Minimal};
use lsv_proofs::withdrawal::{
    BLOCK_ROOTS_BRANCH_OFFSET, PERIOD_BRANCH_OFFSET, WITHDRAWALS_BRANCH_OFFSET,
};
use lsv_proofs::{
    WithdrawalDepths, WithdrawalProof, WithdrawalProver, WithdrawalRoute, WithdrawalVerifyError,
};
use proptest::prelude::*;
use spec_blocks::{minimal_scenarios, MinimalScenario, VECTOR_CAPELLA_SLOT};
use std::sync::OnceLock;
use tree_hash::TreeHash;

fn scenarios() -> &'static [MinimalScenario] {
    static S: OnceLock<Vec<MinimalScenario>> = OnceLock::new();
    S.get_or_init(|| {
        let mut v = minimal_scenarios(ForkName::Electra);
        v.extend(minimal_scenarios(ForkName::Fulu));
        v
    })
}

fn prove(sc: &MinimalScenario, j: usize) -> WithdrawalProof {
    WithdrawalProver::new(&sc.prover, sc.header)
        .unwrap()
        .prove(&sc.block, j, sc.route, sc.history())
        .unwrap_or_else(|e| panic!("{}: {e}", sc.name))
}

fn verify_at(
    sc: &MinimalScenario,
    bytes: &[u8],
    depths: WithdrawalDepths,
) -> Result<lsv_proofs::ProvenWithdrawal, WithdrawalVerifyError> {
    WithdrawalProof::from_bytes(bytes)?.verify(
        sc.anchor_root(),
        &anchor_of(sc.prover.state()),
        VECTOR_CAPELLA_SLOT,
        depths,
    )
}

/// The offsets of the sibling slots a minimal proof of `route` leaves unused.
fn unused_slots(route: WithdrawalRoute) -> Vec<usize> {
    let mut out: Vec<usize> = (2..4).map(|h| WITHDRAWALS_BRANCH_OFFSET + 32 * h).collect();
    let branch = match route {
        WithdrawalRoute::Direct => None,
        WithdrawalRoute::BlockRoots => Some(BLOCK_ROOTS_BRANCH_OFFSET),
        WithdrawalRoute::HistoricalSummaries => Some(PERIOD_BRANCH_OFFSET),
    };
    if let Some(o) = branch {
        out.extend((6..13).map(|h| o + 32 * h));
    }
    out
}

#[test]
fn the_presets_depths_are_the_specs() {
    // presets/{mainnet,minimal}/capella.yaml MAX_WITHDRAWALS_PER_PAYLOAD, phase0.yaml
    // SLOTS_PER_HISTORICAL_ROOT.
    assert_eq!(WithdrawalDepths::of::<Minimal>(), WithdrawalDepths::MINIMAL);
    assert_eq!(WithdrawalDepths::of::<Mainnet>(), WithdrawalDepths::MAINNET);
    let m = WithdrawalDepths::MINIMAL;
    assert_eq!(
        (
            m.max_withdrawals_per_payload(),
            m.slots_per_historical_root()
        ),
        (4, 64)
    );
    assert_eq!((m.withdrawals(), m.block_roots()), (2, 6));
    let m = WithdrawalDepths::MAINNET;
    assert_eq!(
        (
            m.max_withdrawals_per_payload(),
            m.slots_per_historical_root()
        ),
        (16, 8192)
    );
    assert_eq!((m.withdrawals(), m.block_roots()), (4, 13));
}

#[test]
fn real_minimal_blocks_prove_by_every_route_in_both_layouts() {
    let mut seen = std::collections::BTreeSet::new();
    for sc in scenarios() {
        assert!(sc.withdrawals() > 0, "{}", sc.name);
        seen.insert(sc.route as u8);
        let block_root = sc.block.tree_hash_root();
        for j in 0..sc.withdrawals() {
            let proof = prove(sc, j);
            assert_eq!(proof.route(), sc.route, "{}", sc.name);
            let bytes = proof.to_bytes();
            assert_eq!(WithdrawalProof::from_bytes(&bytes).unwrap(), proof);
            // The layout is mainnet's: the same sizes, and minimal's unused slots are zero.
            match sc.route {
                WithdrawalRoute::Direct => assert_eq!(bytes.len(), 687),
                WithdrawalRoute::BlockRoots => assert_eq!(bytes.len(), 1239),
                WithdrawalRoute::HistoricalSummaries => assert_eq!(bytes.len(), 1344),
            }
            for o in unused_slots(sc.route) {
                assert_eq!(&bytes[o..o + 32], &[0u8; 32], "{}: slot at {o}", sc.name);
            }
            let proven = verify_at(sc, &bytes, WithdrawalDepths::MINIMAL)
                .unwrap_or_else(|e| panic!("{} j={j}: {e}", sc.name));
            assert_eq!(
                proven.withdrawal,
                sc.block.body.execution_payload.withdrawals[j]
            );
            assert_eq!(usize::from(proven.position), j);
            assert_eq!(proven.slot, sc.block.slot);
            assert_eq!(proven.block_root, block_root);
            assert_eq!(proven.route, sc.route);
            assert_eq!(proven.anchor_slot, sc.header.slot);
            assert_eq!(
                proven.fork_version,
                sc.prover.state().fork().current_version
            );
        }
    }
    assert_eq!(seen.len(), 3, "every route");
}

#[test]
fn a_minimal_proof_is_refused_at_mainnets_depths() {
    for sc in scenarios() {
        let bytes = prove(sc, 0).to_bytes();
        assert!(
            matches!(
                verify_at(sc, &bytes, WithdrawalDepths::MAINNET),
                Err(WithdrawalVerifyError::RootMismatch { .. })
            ),
            "{}",
            sc.name
        );
    }
}

#[test]
fn a_nonzero_unused_sibling_slot_is_refused_by_its_offset() {
    for sc in scenarios() {
        let bytes = prove(sc, sc.withdrawals() - 1).to_bytes();
        for o in unused_slots(sc.route) {
            for byte in [0, 31] {
                let mut bad = bytes.clone();
                bad[o + byte] = 1;
                assert_eq!(
                    verify_at(sc, &bad, WithdrawalDepths::MINIMAL).unwrap_err(),
                    WithdrawalVerifyError::UnusedSiblingNotZero { offset: o },
                    "{}",
                    sc.name
                );
            }
        }
    }
}

#[test]
fn the_historical_route_also_proves_a_summarized_period_still_in_block_roots() {
    // The anchor (slot 584) holds slots 520–583 in block_roots and slots 512–575 in its one
    // summary: blocks 568 and 569 are in both, and the two proofs name the same block.
    let by_route = |route| {
        scenarios()
            .iter()
            .find(|s| s.route == route && s.block.slot.as_u64() == 568)
            .unwrap()
    };
    let a = verify_at(
        by_route(WithdrawalRoute::BlockRoots),
        &prove(by_route(WithdrawalRoute::BlockRoots), 1).to_bytes(),
        WithdrawalDepths::MINIMAL,
    )
    .unwrap();
    let sc = by_route(WithdrawalRoute::HistoricalSummaries);
    let b = verify_at(sc, &prove(sc, 1).to_bytes(), WithdrawalDepths::MINIMAL).unwrap();
    assert_eq!((a.block_root, a.withdrawal), (b.block_root, b.withdrawal));
    assert_eq!(
        WithdrawalRoute::for_slots(sc.block.slot, sc.header.slot, 64),
        Some(WithdrawalRoute::BlockRoots)
    );
    // The period's roots are the summary's: one wrong root and the prover refuses.
    let mut wrong = sc.period.clone();
    wrong[0] = B256::repeat_byte(1);
    let history = lsv_proofs::HistoricalPeriod {
        capella_slot: VECTOR_CAPELLA_SLOT,
        block_roots: &wrong,
    };
    assert!(matches!(
        WithdrawalProver::new(&sc.prover, sc.header).unwrap().prove(
            &sc.block,
            0,
            WithdrawalRoute::HistoricalSummaries,
            Some(history)
        ),
        Err(lsv_proofs::WithdrawalProveError::PeriodRootsMismatch { .. })
    ));
}

#[test]
fn the_block_roots_window_is_minimals_64_slots() {
    let sc = scenarios()
        .iter()
        .find(|s| s.route == WithdrawalRoute::BlockRoots && s.block.slot.as_u64() == 568)
        .unwrap();
    let mut p = prove(sc, 0);
    // 584 − 519 = 65 > 64: outside the window, whatever the hashes.
    p.slot = lsv_consensus::Slot::new(519);
    assert_eq!(
        verify_at(sc, &p.to_bytes(), WithdrawalDepths::MINIMAL).unwrap_err(),
        WithdrawalVerifyError::SlotOutsideBlockRoots {
            slot: p.slot,
            anchor_slot: sc.header.slot
        }
    );
    // Within mainnet's window it is only a root mismatch.
    assert!(matches!(
        verify_at(sc, &p.to_bytes(), WithdrawalDepths::MAINNET),
        Err(WithdrawalVerifyError::UnusedSiblingNotZero { .. }
            | WithdrawalVerifyError::RootMismatch { .. })
    ));
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    /// `from_lengths` accepts exactly the powers of two up to mainnet's, and gives back the
    /// lengths it was given.
    #[test]
    fn depths_from_lengths(w in prop_oneof![0u64..40, any::<u64>(), (0u32..64).prop_map(|k| 1u64 << k)],
                           r in prop_oneof![0u64..20_000, any::<u64>(), (0u32..64).prop_map(|k| 1u64 << k)]) {
        let ok = w.is_power_of_two() && w <= 16 && r.is_power_of_two() && r <= 8192;
        let d = WithdrawalDepths::from_lengths(w, r);
        prop_assert_eq!(d.is_some(), ok);
        if let Some(d) = d {
            prop_assert_eq!((d.max_withdrawals_per_payload(), d.slots_per_historical_root()), (w, r));
        }
    }

    /// A minimal proof, any position, is refused at any depths but minimal's for the trees it
    /// climbs (the direct route climbs no `block_roots`, so only its `withdrawals` depth counts).
    #[test]
    fn any_other_depths_refuse_a_minimal_proof(i: prop::sample::Index, j: prop::sample::Index, wd in 0u32..=4, rd in 0u32..=13) {
        let depths = WithdrawalDepths::from_lengths(1 << wd, 1 << rd).unwrap();
        let sc = &scenarios()[i.index(scenarios().len())];
        let bytes = prove(sc, j.index(sc.withdrawals())).to_bytes();
        prop_assert!(verify_at(sc, &bytes, WithdrawalDepths::MINIMAL).is_ok());
        let same = depths.withdrawals() == 2
            && (sc.route == WithdrawalRoute::Direct || depths.block_roots() == 6);
        prop_assert_eq!(verify_at(sc, &bytes, depths).is_ok(), same);
    }
}
