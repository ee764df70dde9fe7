//! The prover reproduces every `BeaconState` proof of the vectors exactly (same leaf, same
//! gindex, same branch), for both presets: the 10 `extra_beacon_state` paths (top-level fields,
//! `validators[0]`, `validators[7]` and two of its fields, the `balances` chunk of index 3) and
//! the light-client proofs (current and next sync committee, finalized checkpoint root). The
//! spec's `is_valid_merkle_branch` accepts each against the state root.

#![allow(unused_crate_dependencies)]

mod common;

use common::*;
use lsv_consensus::{Mainnet, Minimal};
use lsv_proofs::merkle::is_valid_merkle_branch;
use lsv_proofs::{gindex, AnyBeaconState, StatePreset, StateProver};
use std::path::{Path, PathBuf};

fn case_dirs(root: &Path) -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(root)
        .unwrap_or_else(|e| panic!("{}: {e}", root.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.join("proof.yaml").exists())
        .collect();
    dirs.sort();
    dirs
}

/// Checks one vector against the prover; returns the case name.
fn check_case<P: StatePreset>(prover: &StateProver<P>, dir: &Path) -> String {
    let name = dir.file_name().unwrap().to_string_lossy().into_owned();
    let v = read_proof_yaml(&dir.join("proof.yaml"));
    let leaf = b256(&v.leaf);
    let branch: Vec<_> = v.branch.iter().map(|s| b256(s)).collect();
    let depth = gindex::depth(v.leaf_index).unwrap();
    assert_eq!(branch.len(), depth, "{name}: vector branch length");
    assert!(
        is_valid_merkle_branch(
            leaf,
            &branch,
            depth,
            gindex::position(v.leaf_index),
            prover.state_root()
        ),
        "{name}: the vector itself verifies"
    );
    let ours = prover
        .prove(v.leaf_index)
        .unwrap_or_else(|| panic!("{name}: gindex {} not modelled", v.leaf_index));
    assert_eq!(ours.gindex, v.leaf_index, "{name}");
    assert_eq!(ours.leaf, leaf, "{name}: leaf");
    assert_eq!(ours.branch, branch, "{name}: branch");
    assert!(ours.verify(prover.state_root()), "{name}");
    name
}

fn prover_for<P: StatePreset>(state: lsv_proofs::state::electra::BeaconState<P>) -> StateProver<P> {
    StateProver::new(AnyBeaconState::Electra(Box::new(state)))
}

fn check_preset<P: StatePreset>(preset: &str, prover: &StateProver<P>) {
    let extra = data_dir().join(format!("extra_beacon_state/{preset}/electra/BeaconState"));
    let mut seen: Vec<String> = case_dirs(&extra)
        .iter()
        .map(|d| check_case(prover, d))
        .collect();
    seen.sort();
    assert_eq!(
        seen,
        [
            "balances_3",
            "fork",
            "genesis_validators_root",
            "latest_block_header",
            "slot",
            "validators",
            "validators_0",
            "validators_7",
            "validators_7_pubkey",
            "validators_7_withdrawal_credentials",
        ]
    );
    let light = case_dirs(&light_client_state_dir(preset));
    let seen: Vec<String> = light.iter().map(|d| check_case(prover, d)).collect();
    assert_eq!(
        seen,
        [
            "current_sync_committee_merkle_proof",
            "finality_root_merkle_proof",
            "next_sync_committee_merkle_proof",
        ]
    );
}

#[test]
fn mainnet_vectors_are_reproduced_exactly() {
    check_preset::<Mainnet>("mainnet", mainnet_prover());
}

#[test]
fn minimal_vectors_are_reproduced_exactly() {
    check_preset::<Minimal>("minimal", &prover_for(minimal_state().clone()));
}

#[test]
fn every_node_on_the_modelled_paths_has_a_valid_proof() {
    // Each ancestor of the deepest modelled leaves, not only the leaves the vectors pick.
    let prover = mainnet_prover();
    let deepest = [
        (gindex::STATE_VALIDATOR_0 + 201) * 16 + 1, // second chunk of validators[201].pubkey
        gindex::STATE_BALANCES_CHUNK_0 + 63,
        gindex::STATE_INACTIVITY_CHUNK_0 + 5,
        169, // finalized_checkpoint.root
    ];
    for leaf in deepest {
        let mut g = leaf;
        while g >= 1 {
            let p = prover
                .prove(g)
                .unwrap_or_else(|| panic!("node {g} not modelled"));
            assert!(p.verify(prover.state_root()), "node {g}");
            g >>= 1;
        }
    }
    // Outside the modelled subtrees there is no proof rather than a wrong one.
    assert!(prover.prove(gindex::state_field(5) * 2).is_none());
    assert!(prover
        .prove(gindex::STATE_VALIDATOR_0 * 8 * 2 + 2)
        .is_none());
    assert!(prover.prove(0).is_none());
}

#[test]
fn the_vector_gindices_are_the_documented_ones() {
    // summary.json's gindex for each extra_beacon_state path, against gindex.rs.
    let text = std::fs::read_to_string(data_dir().join("extra_beacon_state/summary.json")).unwrap();
    let cases: Vec<serde_json::Value> = serde_json::from_str(&text).unwrap();
    assert_eq!(cases.len(), 20);
    for c in &cases {
        let path: Vec<String> = c["path"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| {
                p.as_str()
                    .map(str::to_owned)
                    .unwrap_or_else(|| p.to_string())
            })
            .collect();
        let expected = match path
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>()
            .as_slice()
        {
            ["genesis_validators_root"] => gindex::STATE_GENESIS_VALIDATORS_ROOT,
            ["slot"] => gindex::state_field(gindex::field::SLOT),
            ["fork"] => gindex::state_field(gindex::field::FORK),
            ["latest_block_header"] => gindex::state_field(gindex::field::LATEST_BLOCK_HEADER),
            ["validators"] => gindex::STATE_VALIDATORS,
            ["validators", i] => gindex::STATE_VALIDATOR_0 + i.parse::<u64>().unwrap(),
            ["validators", i, "pubkey"] => {
                (gindex::STATE_VALIDATOR_0 + i.parse::<u64>().unwrap()) * 8
            }
            ["validators", i, "withdrawal_credentials"] => {
                (gindex::STATE_VALIDATOR_0 + i.parse::<u64>().unwrap()) * 8 + 1
            }
            ["balances", i] => gindex::STATE_BALANCES_CHUNK_0 + i.parse::<u64>().unwrap() / 4,
            other => panic!("unexpected path {other:?}"),
        };
        assert_eq!(c["gindex"].as_u64().unwrap(), expected, "{path:?}");
        assert_eq!(
            c["depth"].as_u64().unwrap() as usize,
            gindex::depth(expected).unwrap()
        );
    }
}
