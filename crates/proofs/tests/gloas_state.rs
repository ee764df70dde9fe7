//! Format-2 (progressive layout) validator proofs, held to the executable spec's Gloas states
//! (`testdata/gloas-state/`, made by `scripts/generate-gloas-state-vectors` with
//! `eth-consensus-specs` 1.7.0a13 and its remerkleable):
//!
//! - the minimal-preset Gloas state decodes, and its `hash_tree_root` (ours, twice: the derive
//!   path and the prover's trees) is the spec's;
//! - every generalized index the spec computed (validators, balance and inactivity chunks) is
//!   ours, and every tree node the spec wrote is the node our prover has at that index;
//! - a proof built from our trees is byte for byte the proof built from the spec's nodes, and
//!   verifies against the spec's block root with the state's values;
//! - in the 2,000,003-validator state (built lazily by the spec's library), validator 2,000,000
//!   is proven from the spec's nodes alone, at level 11 (34 siblings);
//! - a deprecated field, a wrong sibling count, an index past the end and a tampered node are
//!   refused.

#![allow(unused_crate_dependencies)]

#[path = "common/gloas_vectors.rs"]
mod gloas_vectors;

use alloy_primitives::B256;
use gloas_vectors::{dir, load, Header};
use lsv_consensus::containers::BeaconBlockHeader;
use lsv_consensus::Minimal;
use lsv_proofs::gindex::{self, gloas as layout, progressive};
use lsv_proofs::gloas::{
    GloasAnchor, GloasStateProver, GloasValidatorProof, NodeSource, FORMAT_VERSION,
};
use lsv_proofs::merkle::helper_indices;
use lsv_proofs::state::gloas::BeaconState;
use lsv_proofs::{ListPart, ProofParts, VerifyError};
use serde::Deserialize;
use std::collections::{BTreeMap, HashMap};
use tree_hash::TreeHash;

#[derive(Deserialize)]
struct Gindices {
    validator: String,
    balance_chunk: String,
    inactivity_chunk: String,
}

#[derive(Deserialize)]
struct Vector {
    genesis_time: u64,
    genesis_validators_root: B256,
    registry_length: u64,
    header: Header,
    block_root: B256,
    state_root: B256,
    gindices: HashMap<u64, Gindices>,
    nodes: BTreeMap<String, B256>,
}

impl Vector {
    fn load(name: &str) -> Self {
        load(&format!("{name}/vector.yaml"))
    }

    fn header(&self) -> BeaconBlockHeader {
        self.header.header()
    }

    fn anchor(&self) -> GloasAnchor {
        GloasAnchor {
            genesis_time: self.genesis_time,
            genesis_validators_root: self.genesis_validators_root,
        }
    }

    /// The spec's nodes, keyed by state gindex.
    fn nodes(&self) -> BTreeMap<u64, B256> {
        self.nodes
            .iter()
            .map(|(g, n)| (g.parse().unwrap(), *n))
            .collect()
    }
}

fn small_prover() -> GloasStateProver<Minimal> {
    let bytes = std::fs::read(dir().join("small/state.ssz")).unwrap();
    GloasStateProver::from_ssz_vec(bytes).unwrap()
}

#[test]
fn the_state_decodes_and_hashes_to_the_spec_root() {
    let vector = Vector::load("small");
    let prover = small_prover();
    assert_eq!(prover.state().tree_hash_root(), vector.state_root);
    assert_eq!(prover.state_root(), vector.state_root);
    assert_eq!(
        prover.state().validators.0.len() as u64,
        vector.registry_length
    );
    assert_eq!(vector.header().tree_hash_root(), vector.block_root);
}

#[test]
fn generalized_indices_are_the_spec_ones() {
    for name in ["small", "large"] {
        let vector = Vector::load(name);
        for (i, g) in &vector.gindices {
            let parse = |s: &String| s.parse::<u64>().unwrap();
            assert_eq!(
                layout::list_chunk(layout::VALIDATORS, *i),
                Some(parse(&g.validator))
            );
            assert_eq!(
                layout::list_chunk(layout::BALANCES, i / 4),
                Some(parse(&g.balance_chunk))
            );
            assert_eq!(
                layout::list_chunk(layout::INACTIVITY_SCORES, i / 4),
                Some(parse(&g.inactivity_chunk))
            );
        }
    }
    // GLOAS.md's table, from the block root: validators[2,000,000] at depth 46.
    let g = layout::from_block(layout::list_chunk(layout::VALIDATORS, 2_000_000).unwrap());
    assert_eq!(g, Some(100_278_888_640_299));
    assert_eq!(gindex::depth(g.unwrap()), Some(46));
    assert_eq!(progressive::branch_len(2_000_000), 34);
    // The helpers are the spec's `get_helper_indices` of what the verifier computes itself.
    assert_eq!(
        helper_indices(&[3, 4, 40, 41, 42, layout::VALIDATORS, layout::BALANCES, 2944]),
        layout::VALIDATOR_PROOF_HELPERS.to_vec()
    );
}

#[test]
fn every_spec_node_is_the_provers_node() {
    let vector = Vector::load("small");
    let prover = small_prover();
    for (g, node) in vector.nodes() {
        assert_eq!(prover.node(g), Some(node), "state gindex {g}");
    }
}

#[test]
fn proofs_from_our_trees_are_the_proofs_from_the_spec_nodes_and_verify() {
    let vector = Vector::load("small");
    let prover = small_prover();
    let spec_nodes = vector.nodes();
    let state = prover.state();
    for &i in vector.gindices.keys() {
        for parts in [ProofParts::VALIDATOR, ProofParts::BALANCE, ProofParts::ALL] {
            let ours = prover.validator_proof(&vector.header(), i, parts).unwrap();
            let spec = GloasValidatorProof::build(&spec_nodes, &vector.header(), i, parts).unwrap();
            assert_eq!(ours, spec, "validator {i}");
            let bytes = ours.to_bytes();
            assert_eq!(bytes[0], FORMAT_VERSION);
            assert_eq!(GloasValidatorProof::from_bytes(&bytes).unwrap(), ours);
            let proven = ours.verify(vector.block_root, i, &vector.anchor()).unwrap();
            let at = i as usize;
            assert_eq!(proven.validator, state.validators.0[at]);
            assert_eq!(proven.slot, state.slot);
            assert_eq!(proven.fork, state.fork);
            assert_eq!(proven.registry_length, vector.registry_length);
            assert_eq!(
                proven.balance,
                parts.balance.then_some(state.balances.0[at])
            );
            assert_eq!(
                proven.inactivity_score,
                parts
                    .inactivity_score
                    .then_some(state.inactivity_scores.0[at])
            );
        }
    }
    // The slashed and the exited validator of the vector are what the proofs say.
    let p = |i| {
        prover
            .validator_proof(&vector.header(), i, ProofParts::VALIDATOR)
            .unwrap()
            .verify(vector.block_root, i, &vector.anchor())
            .unwrap()
            .validator
    };
    assert!(p(7).slashed);
    assert_eq!(p(9).exit_epoch.as_u64(), 310);
}

#[test]
fn the_two_millionth_validator_is_proven_from_the_spec_nodes() {
    let vector = Vector::load("large");
    let nodes = vector.nodes();
    let proof =
        GloasValidatorProof::build(&nodes, &vector.header(), 2_000_000, ProofParts::ALL).unwrap();
    assert_eq!(proof.validator_branch.siblings.len(), 34);
    let proven = proof
        .verify(vector.block_root, 2_000_000, &vector.anchor())
        .unwrap();
    assert_eq!(proven.registry_length, 2_000_003);
    assert_eq!(proven.validator.pubkey.0, [0xab; 48]);
    assert_eq!(proven.validator.activation_epoch.as_u64(), 17);
    assert_eq!(proven.balance.map(|b| b.as_u64()), Some(31_989_999_999));
    assert_eq!(proven.inactivity_score, Some(77));
    // Index 5 of the same state: a short branch.
    let five = GloasValidatorProof::build(&nodes, &vector.header(), 5, ProofParts::ALL).unwrap();
    assert_eq!(five.validator_branch.siblings.len(), 7);
    let proven = five.verify(vector.block_root, 5, &vector.anchor()).unwrap();
    assert_eq!(proven.balance.map(|b| b.as_u64()), Some(32_000_000_000));
    // The proof of 2,000,000 is not one of 5, nor of any index of another level.
    for other in [5, 1_999_999, 2_000_001, 1_398_100] {
        assert!(proof
            .verify(vector.block_root, other, &vector.anchor())
            .is_err());
    }
}

#[test]
fn what_must_be_refused_is_refused() {
    let vector = Vector::load("small");
    let prover = small_prover();
    let (root, anchor) = (vector.block_root, vector.anchor());
    let proof = prover
        .validator_proof(&vector.header(), 21, ProofParts::ALL)
        .unwrap();

    // A fork that deprecated `inactivity_scores` (bit 21): the verifier no longer reads it.
    let mut deprecated = proof.clone();
    deprecated.active_fields[21 / 8] &= !(1 << (21 % 8));
    assert_eq!(
        deprecated.verify(root, 21, &anchor),
        Err(VerifyError::InactiveField(21))
    );
    // A fork that appended fields (more bits) proves the same way, but this state has not.
    let mut appended = proof.clone();
    appended.active_fields[6] |= 1;
    assert!(matches!(
        appended.verify(root, 21, &anchor),
        Err(VerifyError::RootMismatch { .. })
    ));

    // Validator 21 is level 2 (chunks 5..20 are level 2, 21 starts level 3): 10 siblings.
    assert_eq!(proof.validator_branch.siblings.len(), 10);
    let mut short = proof.clone();
    short.validator_branch.siblings.pop();
    assert!(matches!(
        short.verify(root, 21, &anchor),
        Err(VerifyError::BranchLength { expected: 10, .. })
    ));
    // Past the end: the length leaf binds the index.
    assert!(matches!(
        proof.verify(root, 100, &anchor),
        Err(VerifyError::IndexOutOfRange { .. })
    ));
    // Any node changed.
    let mut tampered = proof.clone();
    tampered.state_branch[4].0[0] ^= 1;
    assert!(matches!(
        tampered.verify(root, 21, &anchor),
        Err(VerifyError::RootMismatch { .. })
    ));
    let mut other_chain = anchor;
    other_chain.genesis_time += 1;
    assert!(proof.verify(root, 21, &other_chain).is_err());
    if let ListPart::Proven { chunk, .. } = &proof.balance {
        let mut changed = proof.clone();
        let mut chunk = *chunk;
        chunk[8] ^= 1;
        changed.balance = ListPart::Proven {
            chunk,
            branch: match &proof.balance {
                ListPart::Proven { branch, .. } => branch.clone(),
                ListPart::Omitted { .. } => unreachable!(),
            },
        };
        assert!(changed.verify(root, 21, &anchor).is_err());
    }
    // Framing.
    let bytes = proof.to_bytes();
    assert!(GloasValidatorProof::from_bytes(&bytes[..bytes.len() - 1]).is_err());
    let mut longer = bytes.clone();
    longer.push(0);
    assert!(GloasValidatorProof::from_bytes(&longer).is_err());
    let mut v1 = bytes;
    v1[0] = 1;
    assert!(GloasValidatorProof::from_bytes(&v1).is_err());
}

#[test]
fn the_witness_leaves_are_where_the_verifier_reads_them() {
    // The verifier puts the chain's genesis time at node 4 and requires the proven active
    // fields: in the spec's tree, node 4 is genesis_time's chunk and node 3 has 46 one-bits.
    let vector = Vector::load("small");
    let nodes = vector.nodes();
    let state: BeaconState<Minimal> =
        BeaconState::decode(std::fs::read(dir().join("small/state.ssz")).unwrap()).unwrap();
    assert_eq!(
        nodes[&layout::GENESIS_TIME].0[..8],
        state.genesis_time.to_le_bytes()
    );
    assert_eq!(
        nodes[&layout::ACTIVE_FIELDS].0[..7],
        [0xff, 0xff, 0xff, 0xff, 0xff, 0x3f, 0]
    );
}
