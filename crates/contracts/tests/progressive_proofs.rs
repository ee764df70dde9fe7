//! Format-2 validator proofs (the progressive Gloas layout) on-chain: `ProofVerifier` passes
//! them to the `ProgressiveProofVerifier` its constructor created, which verifies them in revm
//! against the EIP-4788 root, held to the Rust reference (`lsv_proofs::gloas`) and to the
//! executable spec's states (`testdata/gloas-state/`):
//!
//! - every validator of the spec's 100-validator Gloas state, with every part, decodes to the
//!   state's values; validator 2,000,000 of the spec's 2,000,003-validator state too (34
//!   siblings, from the spec's own nodes);
//! - a deprecated field, a wrong sibling count, an index past the end, another chain and any
//!   flipped byte are refused, with the named error;
//! - the same `ProofVerifier` still verifies format 1 (covered by `validator_proofs.rs` and the
//!   vault tests, which deploy it unchanged);
//! - gas, printed (`cargo test -p lsv-contracts --test progressive_proofs -- --nocapture`).

#![allow(unused_crate_dependencies)]

#[path = "../../proofs/tests/common/gloas_vectors.rs"]
mod gloas_vectors;

use alloy_sol_types::SolValue;
use gloas_vectors::{dir, load, Header};
use lsv_consensus::containers::BeaconBlockHeader;
use lsv_consensus::Minimal;
use lsv_contracts::artifacts::PROOF_VERIFIER;
use lsv_contracts::bindings::progressive_proof_verifier::ProgressiveProofVerifier::ProgressiveProofVerifierErrors as E;
use lsv_contracts::bindings::proof_verifier::ValidatorProofs::Proven;
use lsv_contracts::bindings::ProgressiveProofVerifier;
use lsv_contracts::bindings::ProofVerifier;
use lsv_contracts::{Address, Chain, ChainError, B256, U256};
use lsv_proofs::gloas::{GloasAnchor, GloasStateProver, GloasValidatorProof};
use lsv_proofs::{ProofParts, ProvenValidator};
use serde::Deserialize;
use std::collections::BTreeMap;
use tree_hash::TreeHash;

/// The parts of a vector this test reads (the whole format is in `crates/proofs/tests`).
#[derive(Deserialize)]
struct Vector {
    genesis_time: u64,
    genesis_validators_root: B256,
    header: Header,
    nodes: BTreeMap<String, B256>,
}

fn vector(name: &str) -> Vector {
    load(&format!("{name}/vector.yaml"))
}

impl Vector {
    fn header(&self) -> BeaconBlockHeader {
        self.header.header()
    }

    fn anchor(&self) -> GloasAnchor {
        GloasAnchor {
            genesis_time: self.genesis_time,
            genesis_validators_root: self.genesis_validators_root,
        }
    }
}

/// A chain with a `ProofVerifier` for `anchor`'s chain (minimal Electra and Fulu versions as
/// its format-1 family), and the progressive verifier it created.
struct Verifier {
    chain: Chain,
    at: Address,
}

impl Verifier {
    fn new(anchor: &GloasAnchor) -> Self {
        let mut chain = Chain::new();
        let mut versions = B256::ZERO;
        versions[..4].copy_from_slice(&[5, 0, 0, 1]);
        versions[4..8].copy_from_slice(&[6, 0, 0, 1]);
        let args = (
            (
                anchor.genesis_time,
                anchor.genesis_validators_root,
                versions,
            ),
            0u64,
            4u64,
            64u64,
        )
            .abi_encode_params();
        let at = chain.deploy(&PROOF_VERIFIER, &args).unwrap();
        Self { chain, at }
    }

    /// `verifyValidator(proof, index, t)` where the 4788 root at `t` is `root`, with its gas.
    fn verify(&mut self, root: B256, proof: &[u8], index: u64) -> Result<(Proven, u64), E> {
        self.chain.next_block(root);
        let call = ProofVerifier::verifyValidatorCall {
            proof: proof.to_vec().into(),
            index,
            timestamp: U256::from(self.chain.timestamp()),
        };
        let proven = self.chain.view(self.at, &call).map_err(|e| match e {
            ChainError::Failed(r) => r
                .revert_error::<E>()
                .unwrap_or_else(|| panic!("not a named error: {r}")),
            other => panic!("the call could not run: {other}"),
        })?;
        // The same call as a transaction, for what a caller pays.
        let keeper = self.chain.account("keeper");
        let receipt = self.chain.send(keeper, self.at, &call, U256::ZERO).unwrap();
        assert!(receipt.is_success());
        Ok((proven, receipt.gas_used))
    }
}

fn assert_same(p: &Proven, rust: &ProvenValidator) {
    let v = &rust.validator;
    assert_eq!(p.pubkeyHead.as_slice(), &v.pubkey.0[..32]);
    assert_eq!(p.pubkeyTail.as_slice(), &v.pubkey.0[32..]);
    assert_eq!(p.withdrawalCredentials, v.withdrawal_credentials);
    assert_eq!(p.effectiveBalance, v.effective_balance.as_u64());
    assert_eq!(p.slashed, v.slashed);
    assert_eq!(
        p.activationEligibilityEpoch,
        v.activation_eligibility_epoch.as_u64()
    );
    assert_eq!(p.activationEpoch, v.activation_epoch.as_u64());
    assert_eq!(p.exitEpoch, v.exit_epoch.as_u64());
    assert_eq!(p.withdrawableEpoch, v.withdrawable_epoch.as_u64());
    assert_eq!(p.slot, rust.slot.as_u64());
    assert_eq!(p.forkVersion.0, rust.fork.current_version.0);
    assert_eq!(p.registryLength, rust.registry_length);
    assert_eq!(p.hasBalance, rust.balance.is_some());
    assert_eq!(p.balance, rust.balance.map_or(0, |b| b.as_u64()));
    assert_eq!(p.hasInactivityScore, rust.inactivity_score.is_some());
    assert_eq!(p.inactivityScore, rust.inactivity_score.unwrap_or(0));
}

fn small_prover() -> GloasStateProver<Minimal> {
    GloasStateProver::from_ssz_vec(std::fs::read(dir().join("small/state.ssz")).unwrap()).unwrap()
}

#[test]
fn every_validator_of_the_spec_state_verifies_on_chain_with_its_values() {
    let small = vector("small");
    let prover = small_prover();
    let header = small.header();
    let root = header.tree_hash_root();
    let mut v = Verifier::new(&small.anchor());
    let progressive = v
        .chain
        .view(v.at, &ProofVerifier::PROGRESSIVE_VERIFIERCall {})
        .unwrap();
    let genesis = v
        .chain
        .view(progressive, &ProgressiveProofVerifier::GENESIS_TIMECall {})
        .unwrap();
    assert_eq!(genesis, small.genesis_time);
    let mut gas = BTreeMap::new();
    for i in 0..100 {
        for parts in [ProofParts::VALIDATOR, ProofParts::BALANCE, ProofParts::ALL] {
            let proof = prover.validator_proof(&header, i, parts).unwrap();
            let rust = proof.verify(root, i, &small.anchor()).unwrap();
            let (sol, used) = v.verify(root, &proof.to_bytes(), i).unwrap();
            assert_same(&sol, &rust);
            gas.insert((i, parts.balance, parts.inactivity_score), used);
        }
    }
    println!("format 2, verifyValidator transaction gas (index, balance, inactivity):");
    for i in [0, 1, 5, 21, 99] {
        for parts in [(false, false), (true, false), (true, true)] {
            println!("  {i:>2} {parts:?}: {}", gas[&(i, parts.0, parts.1)]);
        }
    }
}

#[test]
fn the_two_millionth_validator_verifies_on_chain() {
    let large = vector("large");
    let nodes: BTreeMap<u64, B256> = large
        .nodes
        .iter()
        .map(|(g, n)| (g.parse().unwrap(), *n))
        .collect();
    let header = large.header();
    let root = header.tree_hash_root();
    let mut v = Verifier::new(&large.anchor());
    for (i, parts) in [(2_000_000, ProofParts::ALL), (5, ProofParts::BALANCE)] {
        let proof = GloasValidatorProof::build(&nodes, &header, i, parts).unwrap();
        let rust = proof.verify(root, i, &large.anchor()).unwrap();
        let (sol, gas) = v.verify(root, &proof.to_bytes(), i).unwrap();
        assert_same(&sol, &rust);
        println!(
            "format 2, validator {i} of 2,000,003 ({} siblings), {parts:?}: {gas} gas",
            proof.validator_branch.siblings.len()
        );
    }
}

#[test]
fn what_must_be_refused_is_refused_with_its_name() {
    let small = vector("small");
    let prover = small_prover();
    let header = small.header();
    let root = header.tree_hash_root();
    let mut v = Verifier::new(&small.anchor());
    let proof = prover
        .validator_proof(&header, 21, ProofParts::ALL)
        .unwrap();
    let bytes = proof.to_bytes();

    // A layout whose `balances` (field 12) is deprecated.
    let mut deprecated = proof.clone();
    deprecated.active_fields[1] &= !(1 << 4);
    match v.verify(root, &deprecated.to_bytes(), 21) {
        Err(E::FieldInactive(e)) => assert_eq!(e.field, U256::from(12)),
        other => panic!("{other:?}"),
    }
    // A branch one sibling short.
    let mut short = proof.clone();
    short.validator_branch.siblings.pop();
    match v.verify(root, &short.to_bytes(), 21) {
        Err(E::BranchLength(e)) => {
            assert_eq!((e.siblings, e.expected), (U256::from(9), U256::from(10)))
        }
        other => panic!("{other:?}"),
    }
    // The same proof for an index of another level: its count no longer fits.
    assert!(matches!(v.verify(root, &bytes, 5), Err(E::BranchLength(_))));
    // The same level, another index: the path differs.
    assert!(matches!(
        v.verify(root, &bytes, 22),
        Err(E::ProofRootMismatch(_))
    ));
    // Another chain.
    let mut other = small.anchor();
    other.genesis_time += 1;
    let mut elsewhere = Verifier::new(&other);
    assert!(matches!(
        elsewhere.verify(root, &bytes, 21),
        Err(E::ProofRootMismatch(_))
    ));
    // Any byte after the framing flipped: refused (framing bytes give framing errors).
    for at in (2..bytes.len()).step_by(7) {
        let mut flipped = bytes.clone();
        flipped[at] ^= 0x01;
        assert!(
            v.verify(root, &flipped, 21).is_err(),
            "byte {at} flipped was accepted"
        );
    }
    // A truncated proof.
    assert!(matches!(
        v.verify(root, &bytes[..bytes.len() - 1], 21),
        Err(E::ProofMalformed(_))
    ));
}

// ---- payments under ePBS (withdrawal format 2) ---------------------------------------------

fn payment_prover(name: &str) -> GloasStateProver<Minimal> {
    let path = dir().join("payment").join(format!("{name}.ssz"));
    GloasStateProver::from_ssz_vec(std::fs::read(path).unwrap()).unwrap()
}

/// The anchor header of the payment vector `name` (`anchor` or `withheld`).
fn payment_header(name: &str) -> BeaconBlockHeader {
    #[derive(Deserialize)]
    struct Anchored {
        header: Header,
    }
    let all: BTreeMap<String, serde_yaml::Value> = load("payment/vector.yaml");
    serde_yaml::from_value::<Anchored>(all[name].clone())
        .unwrap()
        .header
        .header()
}

#[test]
fn a_payment_under_epbs_verifies_on_chain_and_a_withheld_one_is_refused() {
    use lsv_contracts::bindings::proof_verifier::WithdrawalProofs::Proven as Paid;
    use lsv_proofs::gloas_withdrawal::{PaymentChain, PaymentProof};
    let (paid, anchor, withheld) = (
        payment_prover("paid"),
        payment_prover("anchor"),
        payment_prover("withheld"),
    );
    let chain_anchor = GloasAnchor {
        genesis_time: anchor.state().genesis_time,
        genesis_validators_root: anchor.state().genesis_validators_root,
    };
    let mut v = Verifier::new(&chain_anchor);
    let call = |v: &mut Verifier, root: B256, bytes: Vec<u8>| -> Result<(Paid, u64), E> {
        v.chain.next_block(root);
        let call = ProofVerifier::verifyWithdrawalCall {
            proof: bytes.into(),
            timestamp: U256::from(v.chain.timestamp()),
        };
        let paid = v.chain.view(v.at, &call).map_err(|e| match e {
            ChainError::Failed(r) => r
                .revert_error::<E>()
                .unwrap_or_else(|| panic!("not a named error: {r}")),
            other => panic!("{other}"),
        })?;
        let keeper = v.chain.account("keeper");
        let receipt = v.chain.send(keeper, v.at, &call, U256::ZERO).unwrap();
        Ok((paid, receipt.gas_used))
    };
    let header = payment_header("anchor");
    let root = header.tree_hash_root();
    for j in 0..2u8 {
        let proof = PaymentProof::build(&anchor, &header, &paid, j, 6).unwrap();
        let chain = PaymentChain {
            state_roots_depth: 6,
            capella_slot: lsv_consensus::Slot::new(0),
        };
        let rust = proof.verify(root, &chain_anchor, chain).unwrap();
        let (sol, gas) = call(&mut v, root, proof.to_bytes()).unwrap();
        assert_eq!(sol.index, rust.withdrawal.index);
        assert_eq!(sol.validatorIndex, rust.withdrawal.validator_index);
        assert_eq!(sol.withdrawalAddress, rust.withdrawal.address);
        assert_eq!(sol.amount, rust.withdrawal.amount.as_u64());
        assert_eq!(sol.position, j);
        assert_eq!(sol.slot, rust.slot.as_u64());
        assert_eq!(sol.blockRoot, rust.state_root);
        assert_eq!(sol.route, 3);
        assert_eq!(sol.anchorSlot, rust.anchor_slot.as_u64());
        assert_eq!(sol.forkVersion.0, rust.fork_version.0);
        println!("withdrawal format 2 (payment, minimal state_roots), j = {j}: {gas} gas");
    }
    // Withheld: listed and debited, not paid.
    let header = payment_header("withheld");
    let proof = PaymentProof::build(&withheld, &header, &paid, 0, 6).unwrap();
    match call(&mut v, header.tree_hash_root(), proof.to_bytes()) {
        Err(E::WithdrawalNotYetPaid(e)) => assert_eq!((e.index, e.watermark), (40, 40)),
        other => panic!("{other:?}"),
    }
    // A deprecated payload_expected_withdrawals in the anchor's layout.
    let header = payment_header("anchor");
    let mut proof = PaymentProof::build(&anchor, &header, &paid, 1, 6).unwrap();
    proof.anchor_active_fields[44 / 8] &= !(1 << (44 % 8));
    match call(&mut v, header.tree_hash_root(), proof.to_bytes()) {
        Err(E::FieldInactive(e)) => assert_eq!(e.field, U256::from(44)),
        other => panic!("{other:?}"),
    }
}
