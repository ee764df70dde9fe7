//! Tampered proofs are refused: every single-bit flip of the encoded bytes (exhaustively, for
//! proofs with and without the optional parts), any other validator index, any other value of a
//! validator field, balance or score, another chain's genesis, and another block root. And the
//! honest proof of a random validator always verifies.

#![allow(unused_crate_dependencies)]

mod common;

use alloy_primitives::B256;
use common::*;
use lsv_consensus::containers::BeaconBlockHeader;
use lsv_consensus::{Epoch, Gwei, Minimal};
use lsv_proofs::{Anchor, AnyBeaconState, ListPart, ProofParts, StateProver, ValidatorProof};
use proptest::prelude::*;
use std::sync::OnceLock;

const N: u64 = 1029;

struct Fixture {
    prover: StateProver<Minimal>,
    header: BeaconBlockHeader,
    root: B256,
    anchor: Anchor,
}

fn fixture() -> &'static Fixture {
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(|| {
        let prover = StateProver::new(AnyBeaconState::Electra(Box::new(grown_minimal_state(
            N as usize,
        ))));
        let header = header_for(&prover);
        Fixture {
            root: block_root(&header),
            anchor: anchor_of(prover.state()),
            header,
            prover,
        }
    })
}

fn proof(index: u64, parts: ProofParts) -> ValidatorProof {
    let f = fixture();
    f.prover.validator_proof(&f.header, index, parts).unwrap()
}

/// Whether the bytes, for `index`, get past decoding and verification.
fn accepted(bytes: &[u8], index: u64, root: B256, anchor: &Anchor) -> bool {
    ValidatorProof::from_bytes(bytes).is_ok_and(|p| p.verify(root, index, anchor).is_ok())
}

fn every_bit_flip_is_refused(
    index: u64,
    parts: ProofParts,
    root: B256,
    anchor: &Anchor,
    p: &ValidatorProof,
) {
    let bytes = p.to_bytes();
    assert!(accepted(&bytes, index, root, anchor));
    for byte in 0..bytes.len() {
        for bit in 0..8 {
            let mut b = bytes.clone();
            b[byte] ^= 1 << bit;
            assert!(
                !accepted(&b, index, root, anchor),
                "{parts:?} byte {byte} bit {bit} accepted"
            );
        }
    }
}

#[test]
fn every_single_bit_flip_is_refused() {
    let f = fixture();
    for (index, parts) in [
        (1028, ProofParts::ALL),
        (517, ProofParts::ALL),
        (3, ProofParts::BALANCE),
        (600, ProofParts::INACTIVITY_SCORE),
        (1000, ProofParts::VALIDATOR),
    ] {
        every_bit_flip_is_refused(index, parts, f.root, &f.anchor, &proof(index, parts));
    }
    // And on the mainnet-preset vector state, whose inactivity part has no sibling at all.
    let prover = mainnet_prover();
    let header = header_for(prover);
    let p = prover.validator_proof(&header, 7, ProofParts::ALL).unwrap();
    every_bit_flip_is_refused(
        7,
        ProofParts::ALL,
        block_root(&header),
        &anchor_of(prover.state()),
        &p,
    );
}

fn any_part() -> impl Strategy<Value = ProofParts> {
    (any::<bool>(), any::<bool>()).prop_map(|(balance, inactivity_score)| ProofParts {
        balance,
        inactivity_score,
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    #[test]
    fn a_random_validator_verifies(index in 0..N, parts in any_part()) {
        let f = fixture();
        let proven = proof(index, parts).verify(f.root, index, &f.anchor).unwrap();
        let i = index as usize;
        prop_assert_eq!(proven.validator, f.prover.state().validators()[i]);
        prop_assert_eq!(proven.balance, parts.balance.then(|| f.prover.state().balances()[i]));
        prop_assert_eq!(
            proven.inactivity_score,
            parts.inactivity_score.then(|| f.prover.state().inactivity_scores()[i])
        );
    }

    #[test]
    fn a_proof_for_one_index_does_not_prove_another(i in 0..N, j in 0..N, parts in any_part()) {
        prop_assume!(i != j);
        let f = fixture();
        prop_assert!(proof(i, parts).verify(f.root, j, &f.anchor).is_err());
    }

    #[test]
    fn a_flipped_bit_of_the_index_is_refused(i in 0..N, bit in 0u32..64) {
        let f = fixture();
        prop_assert!(proof(i, ProofParts::ALL).verify(f.root, i ^ (1 << bit), &f.anchor).is_err());
    }

    #[test]
    fn a_flipped_bit_anywhere_is_refused(i in 0..N, parts in any_part(), at in any::<prop::sample::Index>()) {
        let f = fixture();
        let mut bytes = proof(i, parts).to_bytes();
        let bit = at.index(bytes.len() * 8);
        bytes[bit / 8] ^= 1 << (bit % 8);
        prop_assert!(!accepted(&bytes, i, f.root, &f.anchor));
    }

    #[test]
    fn a_flipped_sibling_bit_is_refused(
        i in 0..N,
        which in 0usize..4,
        at in any::<prop::sample::Index>(),
        bit in 0usize..256,
    ) {
        let f = fixture();
        let mut p = proof(i, ProofParts::ALL);
        let siblings: &mut [B256] = match which {
            0 => &mut p.header_branch,
            1 => &mut p.state_branch,
            2 => &mut p.validator_branch.siblings,
            _ => match &mut p.balance {
                ListPart::Proven { branch, .. } => &mut branch.siblings,
                ListPart::Omitted { .. } => unreachable!(),
            },
        };
        prop_assume!(!siblings.is_empty());
        let s = at.index(siblings.len());
        siblings[s][bit / 8] ^= 1 << (bit % 8);
        prop_assert!(p.verify(f.root, i, &f.anchor).is_err());
    }

    #[test]
    fn another_value_of_any_field_is_refused(i in 0..N, field in 0usize..12, delta in 1u64..) {
        let f = fixture();
        let mut p = proof(i, ProofParts::ALL);
        let v = &mut p.validator;
        let bump = |x: u64| x.wrapping_add(delta);
        match field {
            0 => v.pubkey.0[(delta % 48) as usize] ^= 1 << (delta % 8),
            1 => v.withdrawal_credentials.0[(delta % 32) as usize] ^= 1 << (delta % 8),
            2 => v.effective_balance = Gwei::new(bump(v.effective_balance.as_u64())),
            3 => v.slashed = !v.slashed,
            4 => v.activation_eligibility_epoch = Epoch::new(bump(v.activation_eligibility_epoch.as_u64())),
            5 => v.activation_epoch = Epoch::new(bump(v.activation_epoch.as_u64())),
            6 => v.exit_epoch = Epoch::new(bump(v.exit_epoch.as_u64())),
            7 => v.withdrawable_epoch = Epoch::new(bump(v.withdrawable_epoch.as_u64())),
            8 => p.slot = lsv_consensus::Slot::new(bump(p.slot.as_u64())),
            9 => p.validator_branch.length = bump(p.validator_branch.length),
            // The balance / score of `i` itself, at its place in the chunk.
            10 | 11 => {
                let part = if field == 10 { &mut p.balance } else { &mut p.inactivity_score };
                let ListPart::Proven { chunk, .. } = part else { unreachable!() };
                let at = 8 * (i % 4) as usize;
                let old = u64::from_le_bytes(chunk[at..at + 8].try_into().unwrap());
                chunk[at..at + 8].copy_from_slice(&bump(old).to_le_bytes());
            }
            _ => unreachable!(),
        }
        prop_assert!(p.verify(f.root, i, &f.anchor).is_err());
    }

    #[test]
    fn the_witness_of_another_chain_is_refused(i in 0..N, gvr in any::<[u8; 32]>(), time_delta in 0u64..3) {
        let f = fixture();
        let anchor = Anchor {
            genesis_validators_root: B256::from(gvr),
            genesis_time: f.anchor.genesis_time + time_delta,
            ..f.anchor.clone()
        };
        prop_assume!(anchor != f.anchor);
        prop_assert!(proof(i, ProofParts::ALL).verify(f.root, i, &anchor).is_err());
    }

    #[test]
    fn another_block_root_is_refused(i in 0..N, root in any::<[u8; 32]>()) {
        let f = fixture();
        prop_assume!(B256::from(root) != f.root);
        prop_assert!(proof(i, ProofParts::ALL).verify(B256::from(root), i, &f.anchor).is_err());
    }
}
