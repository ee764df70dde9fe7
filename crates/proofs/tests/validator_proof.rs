//! Validator proofs against a block root: built from the vector states (and a grown one), they
//! verify, report the state's values, match the generic single-leaf proofs at the documented
//! gindices and the spec's multiproof algorithm, round-trip through the byte format, and keep
//! working unchanged on the Fulu layout.

#![allow(unused_crate_dependencies)]

mod common;

use alloy_primitives::B256;
use common::*;
use lsv_consensus::containers::Validator;
use lsv_consensus::{Mainnet, Minimal};
use lsv_proofs::merkle::{calculate_multi_merkle_root, is_valid_merkle_branch};
use lsv_proofs::proof::{fork_root, validator_root, FIXED_LEN};
use lsv_proofs::{
    gindex, AnyBeaconState, ListPart, ProofParts, ProveError, StatePreset, StateProver,
    ValidatorProof, VerifyError,
};
use tree_hash::TreeHash;

/// Proves and verifies `index` with all parts; checks every reported value against the state.
fn prove_and_check<P: StatePreset>(prover: &StateProver<P>, index: u64) -> ValidatorProof {
    let header = header_for(prover);
    let root = block_root(&header);
    let anchor = anchor_of(prover.state());
    let proof = prover
        .validator_proof(&header, index, ProofParts::ALL)
        .unwrap();
    let proven = proof
        .verify(root, index, &anchor)
        .unwrap_or_else(|e| panic!("{index}: {e}"));
    let i = index as usize;
    let state = prover.state();
    assert_eq!(proven.validator, state.validators()[i]);
    assert_eq!(proven.balance, Some(state.balances()[i]));
    assert_eq!(proven.inactivity_score, Some(state.inactivity_scores()[i]));
    assert_eq!(proven.slot, state.slot());
    assert_eq!(proven.fork, state.fork());
    assert_eq!(proven.registry_length, state.validators().len() as u64);
    // The byte format round-trips and the decoded proof verifies the same.
    let bytes = proof.to_bytes();
    assert_eq!(bytes.len(), proof.encoded_len());
    let decoded = ValidatorProof::from_bytes(&bytes).unwrap();
    assert_eq!(decoded, proof);
    assert_eq!(decoded.verify(root, index, &anchor).unwrap(), proven);
    proof
}

#[test]
fn every_validator_of_the_mainnet_state_is_proven_against_the_block_root() {
    let prover = mainnet_prover();
    for index in 0..256 {
        prove_and_check(prover, index);
    }
}

#[test]
fn every_validator_of_a_grown_minimal_state_is_proven() {
    // 1029 validators: 11 levels of registry, 258 balance chunks, the last one holding one value.
    let prover = StateProver::new(AnyBeaconState::Electra(Box::new(grown_minimal_state(1029))));
    for index in 0..1029 {
        let proof = prove_and_check(&prover, index);
        assert!(proof.validator_branch.siblings.len() <= 11);
    }
    let last = prover
        .validator_proof(&header_for(&prover), 1028, ProofParts::ALL)
        .unwrap();
    let ListPart::Proven { branch, .. } = &last.balance else {
        panic!()
    };
    assert_eq!(branch.siblings.len(), 9, "ceil(log2(258)) levels");
    assert_eq!(
        last.validator_branch.siblings.len(),
        11,
        "ceil(log2(1029)) levels"
    );
}

#[test]
fn the_proof_matches_the_single_leaf_proofs_at_the_documented_block_gindices() {
    let prover = mainnet_prover();
    let header = header_for(prover);
    let root = block_root(&header);
    for index in [0u64, 1, 7, 128, 255] {
        let proof = prover
            .validator_proof(&header, index, ProofParts::ALL)
            .unwrap();
        let cases = [
            (
                gindex::STATE_VALIDATOR_0 + index,
                gindex::block_validator(index),
                validator_root(&proof.validator),
            ),
            (
                gindex::STATE_BALANCES_CHUNK_0 + index / 4,
                gindex::block_balance_chunk(index),
                match &proof.balance {
                    ListPart::Proven { chunk, .. } => *chunk,
                    _ => panic!(),
                },
            ),
            (
                gindex::STATE_INACTIVITY_CHUNK_0 + index / 4,
                gindex::block_inactivity_chunk(index),
                match &proof.inactivity_score {
                    ListPart::Proven { chunk, .. } => *chunk,
                    _ => panic!(),
                },
            ),
        ];
        for (state_g, block_g, leaf) in cases {
            let single = prover.prove_from_block(&header, state_g).unwrap().unwrap();
            assert_eq!(single.gindex, block_g);
            assert_eq!(single.leaf, leaf);
            let depth = gindex::depth(block_g).unwrap();
            assert!(is_valid_merkle_branch(
                leaf,
                &single.branch,
                depth,
                gindex::position(block_g),
                root
            ));
        }
        // The explicit list siblings are the bottom of the single-leaf branch; the rest of it,
        // up to the data depth, are zero hashes.
        let single = prover
            .prove_from_block(&header, gindex::STATE_VALIDATOR_0 + index)
            .unwrap()
            .unwrap();
        let d = proof.validator_branch.siblings.len();
        assert_eq!(&single.branch[..d], &proof.validator_branch.siblings[..]);
        for (h, s) in single.branch[d..40].iter().enumerate() {
            assert_eq!(*s, lsv_proofs::merkle::zero_hash(d + h));
        }
    }
}

#[test]
fn the_state_part_is_the_spec_multiproof() {
    let prover = mainnet_prover();
    let proof = prover
        .validator_proof(&header_for(prover), 5, ProofParts::ALL)
        .unwrap();
    let leaves: Vec<B256> = [16, 75, 76, 85]
        .iter()
        .map(|&g| prover.node(g).unwrap())
        .collect();
    assert_eq!(
        calculate_multi_merkle_root(&leaves, &proof.state_branch, &[16, 75, 76, 85]),
        Some(prover.state_root())
    );
    for (node, g) in proof.state_branch.iter().zip(gindex::STATE_HELPERS) {
        assert_eq!(Some(*node), prover.node(g));
    }
}

#[test]
fn the_verifier_chunk_by_chunk_roots_equal_tree_hash() {
    for v in mainnet_state()
        .validators
        .iter()
        .chain(minimal_state().validators.iter())
    {
        assert_eq!(validator_root(v), v.tree_hash_root());
    }
    let mut v: Validator = mainnet_state().validators[3];
    v.slashed = true;
    v.exit_epoch = lsv_consensus::Epoch::new(12345);
    assert_eq!(validator_root(&v), v.tree_hash_root());
    assert_eq!(
        fork_root(&mainnet_state().fork),
        mainnet_state().fork.tree_hash_root()
    );
    assert_eq!(
        fork_root(&to_fulu(mainnet_state()).fork),
        to_fulu(mainnet_state()).fork.tree_hash_root()
    );
}

#[test]
fn omitted_parts_verify_and_report_nothing() {
    let prover = mainnet_prover();
    let header = header_for(prover);
    let root = block_root(&header);
    let anchor = anchor_of(prover.state());
    let full = prover
        .validator_proof(&header, 9, ProofParts::ALL)
        .unwrap()
        .encoded_len();
    for parts in [
        ProofParts::VALIDATOR,
        ProofParts::BALANCE,
        ProofParts::INACTIVITY_SCORE,
    ] {
        let proof = prover.validator_proof(&header, 9, parts).unwrap();
        assert_eq!(proof.parts(), parts);
        let proven = proof.verify(root, 9, &anchor).unwrap();
        assert_eq!(proven.balance.is_some(), parts.balance);
        assert_eq!(proven.inactivity_score.is_some(), parts.inactivity_score);
        let back = ValidatorProof::from_bytes(&proof.to_bytes()).unwrap();
        assert_eq!(back, proof);
        assert!(proof.encoded_len() < full);
    }
}

#[test]
fn proof_sizes_follow_the_documented_formula() {
    let prover = mainnet_prover();
    let header = header_for(prover);
    // 256 validators: 8 registry levels; 64 balance chunks: 6 levels. Every inactivity score of
    // the genesis state is 0, so all its siblings are zero hashes and none is sent.
    let proof = prover
        .validator_proof(&header, 200, ProofParts::ALL)
        .unwrap();
    assert_eq!(proof.validator_branch.siblings.len(), 8);
    let ListPart::Proven { branch, .. } = &proof.inactivity_score else {
        panic!()
    };
    assert!(branch.siblings.is_empty());
    assert_eq!(FIXED_LEN, 572);
    let balance = 32 + 8 + 1 + 32 * 6;
    let inactivity = 32 + 8 + 1;
    for (parts, len) in [
        (ProofParts::ALL, 572 + 256 + balance + inactivity),
        (ProofParts::BALANCE, 572 + 256 + balance + 32),
        (ProofParts::INACTIVITY_SCORE, 572 + 256 + 32 + inactivity),
        (ProofParts::VALIDATOR, 572 + 256 + 64),
    ] {
        let p = prover.validator_proof(&header, 200, parts).unwrap();
        assert_eq!(p.to_bytes().len(), len, "{parts:?}");
        assert_eq!(p.encoded_len(), len, "{parts:?}");
        eprintln!("256-validator genesis state, {parts:?}: {len} bytes");
    }
}

#[test]
fn building_refuses_a_foreign_header_and_an_unknown_index() {
    let prover = mainnet_prover();
    let mut header = header_for(prover);
    assert!(matches!(
        prover.validator_proof(&header, 256, ProofParts::ALL),
        Err(ProveError::UnknownValidator {
            index: 256,
            registry_length: 256
        })
    ));
    header.state_root = B256::repeat_byte(9);
    assert!(matches!(
        prover.validator_proof(&header, 0, ProofParts::ALL),
        Err(ProveError::HeaderStateMismatch { .. })
    ));
}

fn fulu_prover<P: StatePreset>(pre: &lsv_proofs::state::electra::BeaconState<P>) -> StateProver<P> {
    StateProver::new(AnyBeaconState::Fulu(Box::new(to_fulu(pre))))
}

#[test]
fn fulu_keeps_the_electra_gindices_and_the_witness_verifies() {
    let electra = mainnet_prover();
    let fulu = fulu_prover::<Mainnet>(mainnet_state());
    assert_ne!(electra.state_root(), fulu.state_root());
    assert_eq!(fulu.state().field_count(), 38);
    // Every node the proof reads is at the same gindex with the same value, except the helper
    // node 3 (fields 32–63, where proposer_lookahead was added) and node 67 (fork) above which
    // the witness changes.
    for g in [65, 66, 75, 76, 85, 84, 77, 74, 43, 39, 36, 20, 17, 11] {
        assert_eq!(electra.node(g), fulu.node(g), "state node {g}");
    }
    assert_ne!(electra.node(3), fulu.node(3));
    assert_ne!(electra.node(67), fulu.node(67));
    // The vectors' paths prove against the Fulu root at the same gindices with the same leaves.
    let extra = data_dir().join("extra_beacon_state/mainnet/electra/BeaconState");
    for entry in std::fs::read_dir(extra).unwrap() {
        let dir = entry.unwrap().path();
        let v = read_proof_yaml(&dir.join("proof.yaml"));
        let p = fulu.prove(v.leaf_index).unwrap();
        assert!(p.verify(fulu.state_root()), "{}", dir.display());
        if v.leaf_index != 67 {
            assert_eq!(p.leaf, b256(&v.leaf), "{}", dir.display());
        }
    }
    // A validator proof from the Fulu state verifies with the same verifier.
    for index in [0u64, 7, 100, 255] {
        let proof = prove_and_check(&fulu, index);
        let electra_proof = electra
            .validator_proof(&header_for(electra), index, ProofParts::ALL)
            .unwrap();
        assert_eq!(proof.validator_branch, electra_proof.validator_branch);
        assert_eq!(proof.balance, electra_proof.balance);
        assert_eq!(proof.state_branch[..9], electra_proof.state_branch[..9]);
        assert_eq!(proof.fork.current_version, fulu_version::<Mainnet>());
    }
}

#[test]
fn fulu_minimal_states_prove_too() {
    let fulu = fulu_prover::<Minimal>(&grown_minimal_state(100));
    for index in 0..100 {
        prove_and_check(&fulu, index);
    }
}

#[test]
fn a_fork_version_outside_the_anchor_is_refused() {
    let fulu = fulu_prover::<Mainnet>(mainnet_state());
    let header = header_for(&fulu);
    let proof = fulu.validator_proof(&header, 1, ProofParts::ALL).unwrap();
    let mut electra_only = anchor_of(mainnet_prover().state());
    electra_only
        .fork_versions
        .retain(|v| *v != fulu_version::<Mainnet>());
    assert_eq!(
        proof.verify(block_root(&header), 1, &electra_only),
        Err(VerifyError::UnknownForkVersion(fulu_version::<Mainnet>()))
    );
    // Claiming the Electra version for a Fulu state changes the witness: the root breaks.
    let mut forged = proof.clone();
    forged.fork = mainnet_state().fork;
    assert!(matches!(
        forged.verify(block_root(&header), 1, &anchor_of(fulu.state())),
        Err(VerifyError::RootMismatch { .. })
    ));
}

#[test]
fn another_chain_genesis_is_refused() {
    let prover = mainnet_prover();
    let header = header_for(prover);
    let proof = prover.validator_proof(&header, 1, ProofParts::ALL).unwrap();
    let mut other = anchor_of(prover.state());
    other.genesis_validators_root = B256::repeat_byte(0x55);
    assert!(matches!(
        proof.verify(block_root(&header), 1, &other),
        Err(VerifyError::RootMismatch { .. })
    ));
    let mut other = anchor_of(prover.state());
    other.genesis_time += 1;
    assert!(matches!(
        proof.verify(block_root(&header), 1, &other),
        Err(VerifyError::RootMismatch { .. })
    ));
}

#[test]
fn malformed_bytes_are_refused() {
    let prover = mainnet_prover();
    let bytes = prover
        .validator_proof(&header_for(prover), 2, ProofParts::ALL)
        .unwrap()
        .to_bytes();
    let mut b = bytes.clone();
    b[0] = 2;
    assert_eq!(
        ValidatorProof::from_bytes(&b),
        Err(VerifyError::Malformed("unknown format version"))
    );
    let mut b = bytes.clone();
    b[1] |= 4;
    assert_eq!(
        ValidatorProof::from_bytes(&b),
        Err(VerifyError::Malformed("unknown part bits"))
    );
    for cut in [0, 1, 100, FIXED_LEN, bytes.len() - 1] {
        assert!(
            ValidatorProof::from_bytes(&bytes[..cut]).is_err(),
            "cut at {cut}"
        );
    }
    let mut b = bytes.clone();
    b.push(0);
    assert_eq!(
        ValidatorProof::from_bytes(&b),
        Err(VerifyError::Malformed("trailing bytes"))
    );
    // The validators sibling count byte is at FIXED_LEN - 1.
    let mut b = bytes.clone();
    b[FIXED_LEN - 1] = 41;
    assert!(ValidatorProof::from_bytes(&b).is_err());
    // slashed (offset 442 + 48 + 32 + 8) must be 0 or 1.
    let mut b = bytes;
    b[442 + 88] = 2;
    assert_eq!(
        ValidatorProof::from_bytes(&b),
        Err(VerifyError::Malformed("slashed is not 0 or 1"))
    );
}

#[test]
fn an_index_past_the_proven_length_is_refused() {
    let prover = mainnet_prover();
    let header = header_for(prover);
    let proof = prover
        .validator_proof(&header, 255, ProofParts::ALL)
        .unwrap();
    let anchor = anchor_of(prover.state());
    // 255 + 2^40 has the same low 40 bits: only the length check stops it.
    let aliased = 255 + (1u64 << 40);
    assert!(matches!(
        proof.verify(block_root(&header), aliased, &anchor),
        Err(VerifyError::IndexOutOfRange {
            list: "validators",
            ..
        })
    ));
}
