//! Decoding the Electra genesis states of the vectors (mainnet and minimal preset) and hashing
//! them: `hash_tree_root` equals the object root in `light_client/summary.json`, the SSZ
//! round-trips, the field order the prover uses is the derives' order, and the Fulu layout
//! keeps every Electra field where it was.

#![allow(unused_crate_dependencies)]

mod common;

use alloy_primitives::B256;
use common::*;
use lsv_consensus::{ForkName, Mainnet, Minimal};
use lsv_proofs::gindex::{self, field};
use lsv_proofs::merkle::MerkleTree;
use lsv_proofs::state::{electra, fulu, ssz_fork};
use lsv_proofs::{AnyBeaconState, StatePreset, StateProver};
use ssz::Encode;
use tree_hash::TreeHash;

fn summary_root(preset: &str) -> B256 {
    let text = std::fs::read_to_string(data_dir().join("light_client/summary.json")).unwrap();
    let cases: Vec<serde_json::Value> = serde_json::from_str(&text).unwrap();
    let roots: Vec<&str> = cases
        .iter()
        .filter(|c| {
            c["preset"] == preset && c["fork"] == "electra" && c["object_type"] == "BeaconState"
        })
        .map(|c| c["object_hash_tree_root"].as_str().unwrap())
        .collect();
    assert_eq!(roots.len(), 3, "three BeaconState cases per preset");
    assert!(
        roots.iter().all(|r| *r == roots[0]),
        "one genesis state per preset"
    );
    b256(roots[0])
}

#[test]
fn mainnet_electra_state_decodes_and_hashes_to_the_vector_root() {
    let state = mainnet_state();
    assert_eq!(state.validators.len(), 256);
    assert_eq!(state.tree_hash_root(), summary_root("mainnet"));
    assert_eq!(state.as_ssz_bytes(), electra_state_bytes("mainnet"));
}

#[test]
fn minimal_electra_state_decodes_and_hashes_to_the_vector_root() {
    let state = minimal_state();
    assert_eq!(state.validators.len(), 64);
    assert_eq!(state.tree_hash_root(), summary_root("minimal"));
    assert_eq!(state.as_ssz_bytes(), electra_state_bytes("minimal"));
}

#[test]
fn a_mainnet_state_does_not_decode_as_minimal() {
    let bytes = electra_state_bytes("mainnet");
    assert!(AnyBeaconState::<Minimal>::from_ssz_bytes(ForkName::Electra, &bytes).is_err());
    assert!(AnyBeaconState::<Mainnet>::from_ssz_bytes(ForkName::Deneb, &bytes).is_err());
}

fn field_roots_follow_the_derive_order<P: StatePreset>(state: &AnyBeaconState<P>) {
    let leaves: Vec<B256> = (0..state.field_count())
        .map(|f| state.field_root(f).unwrap())
        .collect();
    assert!(state.field_root(state.field_count()).is_none());
    assert_eq!(
        MerkleTree::new(leaves, gindex::STATE_DEPTH).root(),
        state.tree_hash_root()
    );
}

#[test]
fn field_roots_are_in_ssz_order_for_both_layouts_and_presets() {
    let e = AnyBeaconState::Electra(Box::new(mainnet_state().clone()));
    field_roots_follow_the_derive_order(&e);
    field_roots_follow_the_derive_order(&AnyBeaconState::Fulu(Box::new(to_fulu(mainnet_state()))));
    field_roots_follow_the_derive_order(&AnyBeaconState::Electra(Box::new(
        minimal_state().clone(),
    )));
    field_roots_follow_the_derive_order(&AnyBeaconState::Fulu(Box::new(to_fulu(minimal_state()))));
}

#[test]
fn the_prover_state_root_is_tree_hash_root() {
    for state in [
        AnyBeaconState::Electra(Box::new(mainnet_state().clone())),
        AnyBeaconState::Fulu(Box::new(to_fulu(mainnet_state()))),
    ] {
        let expected = state.tree_hash_root();
        assert_eq!(StateProver::new(state).state_root(), expected);
    }
    let minimal = AnyBeaconState::Electra(Box::new(minimal_state().clone()));
    let expected = minimal.tree_hash_root();
    assert_eq!(StateProver::new(minimal).state_root(), expected);
}

#[test]
fn electra_and_fulu_field_names_match_the_spec_positions() {
    let e = electra::BeaconState::<Mainnet>::FIELD_NAMES;
    let f = fulu::BeaconState::<Mainnet>::FIELD_NAMES;
    assert_eq!(e.len(), 37);
    assert_eq!(f.len(), 38);
    assert_eq!(&f[..37], e, "Fulu appends, it does not reorder");
    for (index, name) in [
        (field::GENESIS_TIME, "genesis_time"),
        (field::GENESIS_VALIDATORS_ROOT, "genesis_validators_root"),
        (field::SLOT, "slot"),
        (field::FORK, "fork"),
        (field::LATEST_BLOCK_HEADER, "latest_block_header"),
        (field::VALIDATORS, "validators"),
        (field::BALANCES, "balances"),
        (field::FINALIZED_CHECKPOINT, "finalized_checkpoint"),
        (field::INACTIVITY_SCORES, "inactivity_scores"),
        (field::CURRENT_SYNC_COMMITTEE, "current_sync_committee"),
        (field::NEXT_SYNC_COMMITTEE, "next_sync_committee"),
    ] {
        assert_eq!(e[index], name);
        assert_eq!(f[index], name);
    }
    assert_eq!(f[field::PROPOSER_LOOKAHEAD], "proposer_lookahead");
    // Both fit 64 leaves: depth 6, so `64 + f` for every field in both.
    assert!(e.len() <= 1 << gindex::STATE_DEPTH && f.len() <= 1 << gindex::STATE_DEPTH);
    assert!(e.len() > 1 << (gindex::STATE_DEPTH - 1));
}

#[test]
fn fulu_state_round_trips_and_the_fork_is_read_from_the_prefix() {
    let fulu = to_fulu(mainnet_state());
    let bytes = fulu.as_ssz_bytes();
    let back = AnyBeaconState::<Mainnet>::from_ssz_bytes(ForkName::Fulu, &bytes).unwrap();
    assert_eq!(back, AnyBeaconState::Fulu(Box::new(fulu.clone())));
    assert_eq!(ssz_fork(&bytes).unwrap(), fulu.fork);
    assert_eq!(
        ssz_fork(&electra_state_bytes("mainnet")).unwrap(),
        mainnet_state().fork
    );
    // A Fulu state is not an Electra one (one field more) and vice versa.
    assert!(AnyBeaconState::<Mainnet>::from_ssz_bytes(ForkName::Electra, &bytes).is_err());
    assert!(AnyBeaconState::<Mainnet>::from_ssz_bytes(
        ForkName::Fulu,
        &electra_state_bytes("mainnet")
    )
    .is_err());
}

#[test]
fn the_layout_is_chosen_from_the_network_fork_version() {
    // Mainnet's Electra version is 0x05000000, as in the mainnet-preset test config.
    let network = lsv_consensus::Network::mainnet();
    let bytes = electra_state_bytes("mainnet");
    let state = AnyBeaconState::<Mainnet>::from_ssz_bytes_of_network(&network, &bytes).unwrap();
    assert_eq!(state.fork_name(), ForkName::Electra);
    let fulu_bytes = to_fulu(mainnet_state()).as_ssz_bytes();
    let state =
        AnyBeaconState::<Mainnet>::from_ssz_bytes_of_network(&network, &fulu_bytes).unwrap();
    assert_eq!(state.fork_name(), ForkName::Fulu);
    // The minimal config's versions (0x05000001) are not mainnet's.
    assert!(AnyBeaconState::<Minimal>::from_ssz_bytes_of_network(
        &network,
        &electra_state_bytes("minimal")
    )
    .is_err());
}

#[test]
fn decoding_from_an_owned_vec_is_decoding_from_a_slice() {
    let grown = grown_minimal_state(150);
    let cases: Vec<(ForkName, Vec<u8>)> = vec![
        (ForkName::Electra, mainnet_state().as_ssz_bytes()),
        (ForkName::Fulu, to_fulu(mainnet_state()).as_ssz_bytes()),
    ];
    for (fork, bytes) in cases {
        let from_slice = AnyBeaconState::<Mainnet>::from_ssz_bytes(fork, &bytes).unwrap();
        let from_vec = AnyBeaconState::<Mainnet>::from_ssz_vec(fork, bytes).unwrap();
        assert_eq!(from_vec, from_slice, "{fork:?}");
    }
    for (fork, bytes) in [
        (ForkName::Electra, grown.as_ssz_bytes()),
        (ForkName::Fulu, to_fulu(&grown).as_ssz_bytes()),
    ] {
        let from_slice = AnyBeaconState::<Minimal>::from_ssz_bytes(fork, &bytes).unwrap();
        let prover = StateProver::<Minimal>::from_ssz_vec(fork, bytes).unwrap();
        assert_eq!(prover.state(), &from_slice, "{fork:?}");
        assert_eq!(prover.state_root(), from_slice.tree_hash_root());
    }
}

#[test]
fn a_malformed_state_is_refused_from_an_owned_vec_too() {
    let bytes = grown_minimal_state(80).as_ssz_bytes();
    for cut in [0, 10, 100, 1000, bytes.len() / 2, bytes.len() - 1] {
        let short = bytes[..cut].to_vec();
        assert!(AnyBeaconState::<Minimal>::from_ssz_vec(ForkName::Electra, short).is_err());
    }
    // A byte of the fixed part (which holds the offset table; it ends near byte 5000 in the
    // minimal preset) set to 0xff: the owned decoder says what the slice decoder says.
    for at in (0..bytes.len().min(8192)).step_by(3) {
        let mut bad = bytes.clone();
        bad[at] = 0xff;
        let from_slice = AnyBeaconState::<Minimal>::from_ssz_bytes(ForkName::Electra, &bad);
        let from_vec = AnyBeaconState::<Minimal>::from_ssz_vec(ForkName::Electra, bad);
        assert_eq!(from_vec.is_ok(), from_slice.is_ok(), "byte {at}");
        if let (Ok(a), Ok(b)) = (from_vec, from_slice) {
            assert_eq!(a, b, "byte {at}");
        }
    }
}
