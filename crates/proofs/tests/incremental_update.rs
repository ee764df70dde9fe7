//! `StateProver::update` against a full rebuild: a prover carried from one state to a later
//! one with random changes (validators edited and appended, balances, scores, other fields)
//! gives the same root and the same proofs as `StateProver::new` of the later state, and that
//! root is `tree_hash`'s. Small states (the minimal genesis grown to a few hundred validators);
//! the mainnet-size figures are in `benches/mainnet_state.rs`.

#![allow(unused_crate_dependencies)]

mod common;

use common::*;
use lsv_consensus::{Epoch, Gwei, Minimal};
use lsv_proofs::state::electra;
use lsv_proofs::{AnyBeaconState, ProofParts, StateProver};
use proptest::prelude::*;

/// One change from one state to the next.
#[derive(Clone, Debug)]
enum Change {
    EffectiveBalance(usize, u64),
    Exit(usize, u64),
    Slash(usize),
    Balance(usize, u64),
    Score(usize, u64),
    Append(u8),
    Slot(u64),
}

fn change() -> impl Strategy<Value = Change> {
    prop_oneof![
        (any::<usize>(), any::<u64>()).prop_map(|(i, v)| Change::EffectiveBalance(i, v)),
        (any::<usize>(), any::<u64>()).prop_map(|(i, v)| Change::Exit(i, v)),
        any::<usize>().prop_map(Change::Slash),
        (any::<usize>(), any::<u64>()).prop_map(|(i, v)| Change::Balance(i, v)),
        (any::<usize>(), any::<u64>()).prop_map(|(i, v)| Change::Score(i, v)),
        (1u8..40).prop_map(Change::Append),
        any::<u64>().prop_map(Change::Slot),
    ]
}

fn apply(s: &mut electra::BeaconState<Minimal>, change: &Change) {
    let n = s.validators.len();
    match *change {
        Change::EffectiveBalance(i, v) => s.validators[i % n].effective_balance = Gwei::new(v),
        Change::Exit(i, e) => s.validators[i % n].exit_epoch = Epoch::new(e),
        Change::Slash(i) => s.validators[i % n].slashed = true,
        Change::Balance(i, v) => s.balances[i % n] = Gwei::new(v),
        Change::Score(i, v) => s.inactivity_scores[i % n] = v,
        Change::Append(k) => {
            for j in 0..k as usize {
                let mut v = s.validators[j % n];
                v.pubkey.0[8..16].copy_from_slice(&((n + j) as u64).to_le_bytes());
                s.validators.push(v).unwrap();
                s.balances
                    .push(Gwei::new(32_000_000_000 + j as u64))
                    .unwrap();
                s.inactivity_scores.push(j as u64).unwrap();
                s.previous_epoch_participation.push(1).unwrap();
                s.current_epoch_participation.push(3).unwrap();
            }
        }
        Change::Slot(slot) => s.slot = slot.into(),
    }
}

fn assert_same(updated: &StateProver<Minimal>, rebuilt: &StateProver<Minimal>, probe: &[usize]) {
    assert_eq!(updated.state_root(), rebuilt.state_root());
    assert_eq!(updated.state_root(), rebuilt.state().tree_hash_root());
    let header = header_for(rebuilt);
    let n = rebuilt.state().validators().len();
    for &i in probe {
        let i = (i % n) as u64;
        assert_eq!(
            updated.validator_proof(&header, i, ProofParts::ALL),
            rebuilt.validator_proof(&header, i, ProofParts::ALL),
            "validator {i}"
        );
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn an_updated_prover_is_a_rebuilt_one(
        size in 64usize..300,
        steps in prop::collection::vec(prop::collection::vec(change(), 0..12), 1..4),
        probe in prop::collection::vec(any::<usize>(), 4),
    ) {
        let mut s = grown_minimal_state(size);
        let mut prover = StateProver::new(AnyBeaconState::Electra(Box::new(s.clone())));
        for step in &steps {
            for c in step {
                apply(&mut s, c);
            }
            prover = prover.update(AnyBeaconState::Electra(Box::new(s.clone())));
            let rebuilt = StateProver::new(AnyBeaconState::Electra(Box::new(s.clone())));
            let mut probe = probe.clone();
            probe.push(s.validators.len() - 1);
            assert_same(&prover, &rebuilt, &probe);
        }
    }
}

#[test]
fn an_update_across_the_fulu_fork_matches_a_rebuild() {
    let s = grown_minimal_state(130);
    let prover = StateProver::new(AnyBeaconState::Electra(Box::new(s.clone())));
    let mut next = to_fulu(&s);
    next.balances[7] = Gwei::new(1);
    let updated = prover.update(AnyBeaconState::Fulu(Box::new(next.clone())));
    let rebuilt = StateProver::new(AnyBeaconState::Fulu(Box::new(next)));
    assert_same(&updated, &rebuilt, &[0, 7, 129]);
}
