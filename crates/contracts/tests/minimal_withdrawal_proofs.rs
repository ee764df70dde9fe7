//! The `ProofVerifier` contract deployed for a minimal-preset chain (`MAX_WITHDRAWALS_PER_PAYLOAD`
//! = 4, `SLOTS_PER_HISTORICAL_ROOT` = 64, as `lsv devnet` deploys it), run in revm against
//! withdrawal proofs of real blocks and states of the consensus-spec-tests vectors
//! (`crates/proofs/tests/common/spec_blocks.rs`), Electra and Fulu, through EIP-4788:
//!
//! - every route (direct, `block_roots`, `historical_summaries`) verifies every withdrawal of the
//!   blocks, field by field what the Rust verifier proves;
//! - a verifier deployed with mainnet's lengths refuses them (`WithdrawalProofRootMismatch`), a
//!   verifier with minimal's refuses a mainnet proof and any nonzero unused sibling slot
//!   (`WithdrawalProofUnusedSiblingNotZero(offset)`), as Rust does;
//! - the constructor accepts exactly the lengths that are powers of two up to mainnet's, refusing
//!   the others by name, and exposes them.
//!
//! Gas per route at minimal's depths is printed (`-- --nocapture`).

#![allow(unused_crate_dependencies)]

#[path = "../../proofs/tests/common/spec_blocks.rs"]
mod spec_blocks;

use lsv_consensus::{ForkName, Version};
use lsv_contracts::artifacts::PROOF_VERIFIER;
use lsv_contracts::bindings::proof_verifier::ProofVerifier::{self, ProofVerifierErrors as E};
use lsv_contracts::devnet::proof_verifier_args;
use lsv_contracts::{Address, Chain, ChainError, B256, U256};
use lsv_proofs::withdrawal::{
    BLOCK_ROOTS_BRANCH_OFFSET, PERIOD_BRANCH_OFFSET, WITHDRAWALS_BRANCH_OFFSET,
};
use lsv_proofs::{
    Anchor, AnyBeaconState, ProvenWithdrawal, WithdrawalDepths, WithdrawalProof, WithdrawalProver,
    WithdrawalRoute,
};
use proptest::prelude::*;
use spec_blocks::{minimal_scenarios, MinimalScenario, VECTOR_CAPELLA_SLOT};
use std::sync::OnceLock;

/// The minimal configs' fork versions (configs/minimal.yaml `ELECTRA_FORK_VERSION`,
/// `FULU_FORK_VERSION`).
const ELECTRA: Version = Version([5, 0, 0, 1]);
const FULU: Version = Version([6, 0, 0, 1]);

fn scenarios() -> &'static [MinimalScenario] {
    static S: OnceLock<Vec<MinimalScenario>> = OnceLock::new();
    S.get_or_init(|| {
        let mut v = minimal_scenarios(ForkName::Electra);
        v.extend(minimal_scenarios(ForkName::Fulu));
        v
    })
}

fn anchor_of(state: &AnyBeaconState<lsv_consensus::Minimal>) -> Anchor {
    Anchor {
        genesis_time: state.genesis_time(),
        genesis_validators_root: state.genesis_validators_root(),
        fork_versions: vec![ELECTRA, FULU],
    }
}

/// `ValidatorProofs.Anchor` as the constructor takes it.
fn sol_anchor(a: &Anchor) -> (u64, B256, B256) {
    let mut packed = B256::ZERO;
    for (k, v) in a.fork_versions.iter().enumerate() {
        packed[4 * k..4 * k + 4].copy_from_slice(&v.0);
    }
    (a.genesis_time, a.genesis_validators_root, packed)
}

fn deploy(chain: &mut Chain, anchor: &Anchor, lengths: (u64, u64)) -> Result<Address, ChainError> {
    chain.deploy(
        &PROOF_VERIFIER,
        &(
            sol_anchor(anchor),
            VECTOR_CAPELLA_SLOT.as_u64(),
            lengths.0,
            lengths.1,
        )
            .abi_encode_params(),
    )
}

use alloy_sol_types::SolValue;

fn prove(sc: &MinimalScenario, j: usize) -> Vec<u8> {
    WithdrawalProver::new(&sc.prover, sc.header)
        .unwrap()
        .prove(&sc.block, j, sc.route, sc.history())
        .unwrap_or_else(|e| panic!("{}: {e}", sc.name))
        .to_bytes()
}

fn rust_verify(sc: &MinimalScenario, bytes: &[u8]) -> ProvenWithdrawal {
    WithdrawalProof::from_bytes(bytes)
        .unwrap()
        .verify(
            sc.anchor_root(),
            &anchor_of(sc.prover.state()),
            VECTOR_CAPELLA_SLOT,
            WithdrawalDepths::MINIMAL,
        )
        .unwrap_or_else(|e| panic!("{}: {e}", sc.name))
}

/// A chain with a minimal-configured and a mainnet-configured verifier for the vectors' genesis.
struct Verifiers {
    chain: Chain,
    minimal: Address,
    mainnet: Address,
}

impl Verifiers {
    fn new(anchor: &Anchor) -> Self {
        let mut chain = Chain::new();
        let minimal = deploy(&mut chain, anchor, (4, 64)).unwrap();
        let mainnet = deploy(&mut chain, anchor, (16, 8192)).unwrap();
        Self {
            chain,
            minimal,
            mainnet,
        }
    }

    /// `verifyWithdrawal(proof, t)` of `verifier`, where the 4788 root at `t` is `root`.
    fn verify(
        &mut self,
        verifier: Address,
        root: B256,
        bytes: &[u8],
    ) -> Result<lsv_contracts::bindings::proof_verifier::WithdrawalProofs::Proven, E> {
        self.chain.next_block(root);
        let call = ProofVerifier::verifyWithdrawalCall {
            proof: bytes.to_vec().into(),
            timestamp: U256::from(self.chain.timestamp()),
        };
        self.chain.view(verifier, &call).map_err(|e| match e {
            ChainError::Failed(r) => r
                .revert_error::<E>()
                .unwrap_or_else(|| panic!("not a named error: {r}")),
            other => panic!("the call could not run: {other}"),
        })
    }
}

#[test]
fn the_verifier_exposes_its_preset_lengths() {
    let sc = &scenarios()[0];
    let mut v = Verifiers::new(&anchor_of(sc.prover.state()));
    let get = |v: &Verifiers, at: Address| {
        (
            v.chain
                .view(at, &ProofVerifier::MAX_WITHDRAWALS_PER_PAYLOADCall {})
                .unwrap(),
            v.chain
                .view(at, &ProofVerifier::SLOTS_PER_HISTORICAL_ROOTCall {})
                .unwrap(),
            v.chain
                .view(at, &ProofVerifier::CAPELLA_SLOTCall {})
                .unwrap(),
        )
    };
    assert_eq!(get(&v, v.minimal), (4, 64, 512));
    assert_eq!(get(&v, v.mainnet), (16, 8192, 512));
    // `lsv devnet`'s arguments (the harness's helper) deploy the same verifier.
    let anchor = sol_anchor(&anchor_of(sc.prover.state()));
    let args = proof_verifier_args(anchor, 512, WithdrawalDepths::MINIMAL);
    let again = v.chain.deploy(&PROOF_VERIFIER, &args).unwrap();
    // The same code but for the address of the progressive verifier each one created (an
    // immutable), whose own code is the same too.
    let code_without_progressive = |v: &Verifiers, at: Address| {
        let progressive = v
            .chain
            .view(at, &ProofVerifier::PROGRESSIVE_VERIFIERCall {})
            .unwrap();
        let mut code = v.chain.code(at).to_vec();
        let needle = progressive.as_slice();
        let spots: Vec<usize> = (0..=code.len() - 20)
            .filter(|&k| &code[k..k + 20] == needle)
            .collect();
        assert!(!spots.is_empty(), "the immutable is in the code");
        for k in spots {
            code[k..k + 20].fill(0);
        }
        (code, v.chain.code(progressive))
    };
    assert_eq!(
        code_without_progressive(&v, again),
        code_without_progressive(&v, v.minimal)
    );
}

#[test]
fn real_minimal_proofs_verify_in_the_minimal_verifier_by_every_route() {
    let mut gas = std::collections::BTreeMap::new();
    for sc in scenarios() {
        // Each case's chain has its own genesis: a verifier per anchor.
        let mut v = Verifiers::new(&anchor_of(sc.prover.state()));
        for j in 0..sc.withdrawals() {
            let bytes = prove(sc, j);
            let rust = rust_verify(sc, &bytes);
            let minimal = v.minimal;
            let sol = v
                .verify(minimal, sc.anchor_root(), &bytes)
                .unwrap_or_else(|e| panic!("{} j={j}: {e:?}", sc.name));
            assert_eq!(sol.index, rust.withdrawal.index);
            assert_eq!(sol.validatorIndex, rust.withdrawal.validator_index);
            assert_eq!(sol.withdrawalAddress, rust.withdrawal.address);
            assert_eq!(sol.amount, rust.withdrawal.amount.as_u64());
            assert_eq!(sol.position, rust.position);
            assert_eq!(sol.slot, rust.slot.as_u64());
            assert_eq!(sol.blockRoot, rust.block_root);
            assert_eq!(sol.route, rust.route as u8);
            assert_eq!(sol.anchorSlot, rust.anchor_slot.as_u64());
            assert_eq!(sol.forkVersion.0, rust.fork_version.0);
            // The whole call, as a transaction would pay it (`verifyWithdrawal` alone).
            let caller = v.chain.account("keeper");
            let call = ProofVerifier::verifyWithdrawalCall {
                proof: bytes.clone().into(),
                timestamp: U256::from(v.chain.timestamp()),
            };
            let receipt = v.chain.send(caller, minimal, &call, U256::ZERO).unwrap();
            assert!(receipt.is_success());
            gas.entry(sc.route as u8).or_insert(receipt.gas_used);
        }
    }
    println!("ProofVerifier.verifyWithdrawal tx gas at minimal's depths (real spec-test blocks):");
    for (route, g) in gas {
        println!("  route {route}: {g}");
    }
}

#[test]
fn a_minimal_proof_is_refused_by_a_mainnet_verifier() {
    for sc in scenarios() {
        let mut v = Verifiers::new(&anchor_of(sc.prover.state()));
        let bytes = prove(sc, 0);
        let minimal = v.minimal;
        assert!(v.verify(minimal, sc.anchor_root(), &bytes).is_ok());
        let mainnet = v.mainnet;
        let refused = v.verify(mainnet, sc.anchor_root(), &bytes).unwrap_err();
        assert!(
            matches!(refused, E::WithdrawalProofRootMismatch(_)),
            "{}: {refused:?}",
            sc.name
        );
    }
}

#[test]
fn a_nonzero_unused_sibling_slot_is_refused_by_its_offset() {
    for sc in scenarios() {
        let mut v = Verifiers::new(&anchor_of(sc.prover.state()));
        let bytes = prove(sc, 0);
        let mut slots: Vec<usize> = (2..4).map(|h| WITHDRAWALS_BRANCH_OFFSET + 32 * h).collect();
        match sc.route {
            WithdrawalRoute::Direct => {}
            WithdrawalRoute::BlockRoots => {
                slots.extend((6..13).map(|h| BLOCK_ROOTS_BRANCH_OFFSET + 32 * h))
            }
            WithdrawalRoute::HistoricalSummaries => {
                slots.extend((6..13).map(|h| PERIOD_BRANCH_OFFSET + 32 * h))
            }
        }
        for o in slots {
            let mut bad = bytes.clone();
            bad[o + 17] ^= 0x40;
            let minimal = v.minimal;
            match v.verify(minimal, sc.anchor_root(), &bad).unwrap_err() {
                E::WithdrawalProofUnusedSiblingNotZero(e) => {
                    assert_eq!(e.offset, U256::from(o), "{}", sc.name)
                }
                other => panic!("{}: {other:?}", sc.name),
            }
            // Rust names the same slot.
            let rust = WithdrawalProof::from_bytes(&bad).unwrap().verify(
                sc.anchor_root(),
                &anchor_of(sc.prover.state()),
                VECTOR_CAPELLA_SLOT,
                WithdrawalDepths::MINIMAL,
            );
            assert_eq!(
                rust,
                Err(lsv_proofs::WithdrawalVerifyError::UnusedSiblingNotZero { offset: o })
            );
        }
    }
}

#[test]
fn the_constructor_refuses_lengths_by_name() {
    let anchor = anchor_of(scenarios()[0].prover.state());
    let mut chain = Chain::new();
    for (lengths, refused) in [
        ((0, 64), "w"),
        ((3, 64), "w"),
        ((32, 64), "w"),
        ((4, 0), "r"),
        ((4, 63), "r"),
        ((4, 16_384), "r"),
        ((u64::MAX, 64), "w"),
        ((4, 1 << 63), "r"),
    ] {
        let err = deploy(&mut chain, &anchor, lengths).unwrap_err();
        match (err.revert_error::<E>(), refused) {
            (Some(E::MaxWithdrawalsPerPayloadUnsupported(e)), "w") => {
                assert_eq!(e.value, lengths.0)
            }
            (Some(E::SlotsPerHistoricalRootUnsupported(e)), "r") => {
                assert_eq!(e.value, lengths.1)
            }
            (other, _) => panic!("{lengths:?}: {other:?}"),
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    /// The constructor and `WithdrawalDepths::from_lengths` agree on every pair of lengths.
    #[test]
    fn the_constructor_accepts_what_rust_accepts(
        w in prop_oneof![0u64..40, any::<u64>(), (0u32..64).prop_map(|k| 1u64 << k)],
        r in prop_oneof![0u64..20_000, any::<u64>(), (0u32..64).prop_map(|k| 1u64 << k)],
    ) {
        let anchor = anchor_of(scenarios()[0].prover.state());
        let mut chain = Chain::new();
        let deployed = deploy(&mut chain, &anchor, (w, r));
        prop_assert_eq!(deployed.is_ok(), WithdrawalDepths::from_lengths(w, r).is_some());
        if let Ok(at) = deployed {
            prop_assert_eq!(chain.view(at, &ProofVerifier::MAX_WITHDRAWALS_PER_PAYLOADCall {}).unwrap(), w);
            prop_assert_eq!(chain.view(at, &ProofVerifier::SLOTS_PER_HISTORICAL_ROOTCall {}).unwrap(), r);
        }
    }
}
