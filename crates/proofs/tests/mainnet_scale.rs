//! A registry of mainnet size (2^21 + 1000 validators, the vector state grown): proof size and
//! verification. Ignored by default (about a gigabyte of memory and tens of seconds); run with
//! `cargo test -p lsv-proofs --test mainnet_scale -- --ignored`. Timings are the benchmark's
//! (`benches/mainnet_state.rs`).

#![allow(unused_crate_dependencies)]

mod common;

use common::*;
use lsv_consensus::Gwei;
use lsv_proofs::{AnyBeaconState, ListPart, ProofParts, StateProver};

#[test]
#[ignore]
fn a_mainnet_size_registry_proves_in_the_documented_size() {
    let n = (1usize << 21) + 1000;
    let mut s = mainnet_state().clone();
    let base = s.validators.len();
    for i in base..n {
        let mut v = s.validators[i % base];
        v.pubkey.0[..8].copy_from_slice(&(i as u64).to_le_bytes());
        s.validators.push(v).unwrap();
        s.balances
            .push(Gwei::new(32_000_000_000 + i as u64))
            .unwrap();
        s.inactivity_scores.push(i as u64 % 7).unwrap();
        s.previous_epoch_participation.push(0).unwrap();
        s.current_epoch_participation.push(0).unwrap();
    }
    let prover = StateProver::new(AnyBeaconState::Electra(Box::new(s)));
    let header = header_for(&prover);
    let anchor = anchor_of(prover.state());
    for (index, parts) in [
        (n as u64 - 1, ProofParts::ALL),
        (1_234_567, ProofParts::BALANCE),
        (5, ProofParts::VALIDATOR),
    ] {
        let proof = prover.validator_proof(&header, index, parts).unwrap();
        let proven = proof.verify(block_root(&header), index, &anchor).unwrap();
        assert_eq!(proven.registry_length, n as u64);
        assert_eq!(proof.validator_branch.siblings.len(), 22);
        if let ListPart::Proven { branch, .. } = &proof.balance {
            assert_eq!(branch.siblings.len(), 20);
        }
        assert!(!proof.to_bytes().is_empty(), "{parts:?}");
    }
    let expected = prover.state().tree_hash_root();
    assert_eq!(prover.state_root(), expected);
}
