//! The vault's deployment (`contracts/src/Vault.sol`, constructor) and the key-generation
//! binding, in revm on the [`VaultTest`] fixture (the consensus-spec genesis state's chain):
//!
//! - the vault creates its tokens and fixes every parameter (mint, eject threshold and reward,
//!   caps, policy, credentials, the dev verifier's attester);
//! - the dev verifier refuses a zero attester; the vault refuses each unusable constructor
//!   argument by its own named error (zero verifier, no fork version, caps, delays, a wind-down
//!   delay under the minimum; a proof verifier that is not a contract or is anchored to another
//!   chain);
//! - the binding is the documented sha256 over its 228-byte preimage, computed here
//!   independently of the contract, and the domain tag is sha256 of its name.

#![allow(unused_crate_dependencies)]

mod common;

use alloy_sol_types::SolValue;
use common::ether;
use common::vault::{
    binding, credentials, genesis_state, min_redeem, VaultTest, MAX_VALIDATORS, POLICY_HASH,
};
use lsv_contracts::artifacts::{PROOF_VERIFIER, VAULT};
use lsv_contracts::bindings::vault::Vault::{self, VaultErrors as E};
use lsv_contracts::bindings::{DevAttestationVerifier, Positions, SETH as Seth};
use lsv_contracts::devnet::{proof_verifier_args, ChainTiming, CAPELLA_SLOT};
use lsv_contracts::{Address, Chain, B256, U256};
use lsv_proofs::WithdrawalDepths;
use sha2::{Digest, Sha256};

/// Mainnet Electra and Fulu versions, packed from the most significant end.
const FORK_VERSIONS: B256 = {
    let mut v = [0u8; 32];
    v[0] = 5;
    v[4] = 6;
    B256::new(v)
};

/// What `lsv verify-deployment` relies on: each deployed runtime equals its artifact once the
/// immutables' bytes are masked, although the immutables make it differ byte for byte, and one
/// changed byte elsewhere is caught.
#[test]
fn deployed_runtimes_match_their_artifacts_with_immutables_masked() {
    use lsv_contracts::artifacts::{DEV_ATTESTATION_VERIFIER, POSITIONS, SETH};
    let w = VaultTest::new();
    for (address, artifact) in [
        (w.d.vault, &VAULT),
        (w.d.seth, &SETH),
        (w.d.positions, &POSITIONS),
        (w.d.verifier, &DEV_ATTESTATION_VERIFIER),
        (w.d.proof_verifier, &PROOF_VERIFIER),
    ] {
        let code = w.d.chain.code(address);
        assert_ne!(&code, artifact.deployed_bytecode(), "{}", artifact.name());
        assert!(artifact.runtime_matches(&code), "{}", artifact.name());
        let mut tampered = code.to_vec();
        tampered[1] ^= 1;
        assert!(!artifact.runtime_matches(&tampered), "{}", artifact.name());
        assert!(!artifact.runtime_matches(&code[1..]), "{}", artifact.name());
    }
    assert!(!VAULT.runtime_matches(&w.d.chain.code(w.d.seth)));
}

#[test]
fn deploy_creates_its_tokens_and_fixes_every_parameter() {
    let w = VaultTest::new();
    assert_eq!(
        w.d.chain.view(w.d.seth, &Seth::VAULTCall {}).unwrap(),
        w.d.vault
    );
    assert_eq!(
        w.d.chain
            .view(w.d.positions, &Positions::VAULTCall {})
            .unwrap(),
        w.d.vault
    );
    assert_eq!(w.view(&Vault::VERIFIERCall {}), w.d.verifier);
    assert_eq!(w.view(&Vault::MINTCall {}), ether(31));
    assert_eq!(w.view(&Vault::EJECT_BELOW_GWEICall {}), 31_990_000_000);
    assert_eq!(
        w.view(&Vault::EJECT_REWARDCall {}),
        ether(1) / U256::from(10)
    );
    assert_eq!(
        w.view(&Vault::MAX_VALIDATORSCall {}),
        U256::from(MAX_VALIDATORS)
    );
    assert_eq!(w.view(&Vault::MIN_REDEEMCall {}), min_redeem());
    assert_eq!(w.view(&Vault::POLICY_HASHCall {}), POLICY_HASH);
    assert_eq!(
        w.view(&Vault::WITHDRAWAL_CREDENTIALSCall {}),
        credentials(w.d.vault)
    );
    assert_eq!(
        w.d.chain
            .view(w.d.verifier, &DevAttestationVerifier::ATTESTERCall {})
            .unwrap(),
        w.d.attester()
    );
}

#[test]
fn the_dev_verifier_refuses_a_zero_attester() {
    let mut chain = Chain::new();
    let err = chain
        .deploy(
            &lsv_contracts::artifacts::DEV_ATTESTATION_VERIFIER,
            &Address::ZERO.abi_encode(),
        )
        .unwrap_err();
    assert!(matches!(
        err.revert_error::<DevAttestationVerifier::DevAttestationVerifierErrors>(),
        Some(DevAttestationVerifier::DevAttestationVerifierErrors::ZeroAttester(_))
    ));
}

#[test]
fn unusable_constructor_arguments_are_refused_by_name() {
    let mut chain = Chain::new();
    let s = genesis_state();
    let verifier = Address::repeat_byte(1);
    let good = (s.genesis_time, s.genesis_validators_root, FORK_VERSIONS);
    let deploy_verifier = |chain: &mut Chain, anchor: (u64, B256, B256)| {
        chain
            .deploy(
                &PROOF_VERIFIER,
                &proof_verifier_args(anchor, CAPELLA_SLOT, WithdrawalDepths::MAINNET),
            )
            .unwrap()
    };
    let proofs = deploy_verifier(&mut chain, good);
    let foreign = deploy_verifier(
        &mut chain,
        (s.genesis_time, B256::repeat_byte(9), FORK_VERSIONS),
    );
    let thirty_days = U256::from(30 * 24 * 3600);
    let args = (
        verifier,
        good,
        U256::ONE,
        1u64,
        U256::ONE,
        U256::ONE,
        B256::ZERO,
        proofs,
        thirty_days,
        ChainTiming::MAINNET.as_tuple(),
    );
    let refused = |chain: &mut Chain, edit: &dyn Fn(&mut _)| {
        let mut a = args;
        edit(&mut a);
        chain
            .deploy(&VAULT, &a.abi_encode_params())
            .unwrap_err()
            .revert_error::<E>()
            .expect("a named vault error")
    };
    assert!(matches!(
        refused(&mut chain, &|a| a.0 = Address::ZERO),
        E::AttestationVerifierZero(_)
    ));
    assert!(matches!(
        refused(&mut chain, &|a| a.1 = (1, B256::ZERO, B256::ZERO)),
        E::ForkVersionsEmpty(_)
    ));
    // Position ids and counts are 32-bit.
    for max in [U256::ZERO, U256::from(u32::MAX) + U256::ONE] {
        assert!(matches!(
            refused(&mut chain, &|a| a.2 = max),
            E::MaxValidatorsOutOfRange(ref e) if e.maxValidators == max
        ));
    }
    assert!(matches!(
        refused(&mut chain, &|a| a.4 = U256::ZERO),
        E::ExitResendBlocksZero(_)
    ));
    assert!(matches!(
        refused(&mut chain, &|a| a.5 = U256::ZERO),
        E::MinRedeemZero(_)
    ));
    // The proof verifier must be a contract anchored to the same chain.
    for bad in [Address::repeat_byte(7), foreign] {
        assert!(matches!(
            refused(&mut chain, &|a| a.7 = bad),
            E::ProofVerifierMismatch(ref e) if e.proofVerifier == bad
        ));
    }
    // A silence shorter than the minimum could be mistaken for a quiet month.
    let short = thirty_days - U256::ONE;
    assert!(matches!(
        refused(&mut chain, &|a| a.8 = short),
        E::WindDownDelayTooShort(ref e) if e.delay == short && e.minimum == thirty_days
    ));
    // A chain whose timing is unusable: any part zero, or an odd slashings vector.
    for timing in [
        (0, 32, 256, 8192),
        (12, 0, 256, 8192),
        (12, 32, 0, 8192),
        (12, 32, 256, 0),
        (12, 32, 256, 8191),
    ] {
        assert!(matches!(
            refused(&mut chain, &|a| a.9 = timing),
            E::ChainTimingInvalid(_)
        ));
    }
    chain.deploy(&VAULT, &args.abi_encode_params()).unwrap();
}

#[test]
fn the_binding_is_the_documented_sha256_and_the_tag_is_sha256_of_its_name() {
    let w = VaultTest::new();
    let tag = w.view(&Vault::DOMAIN_TAGCall {});
    assert_eq!(tag.as_slice(), Sha256::digest(b"lsv/keygen/v1").as_slice());
    let pubkey = genesis_state().validators[9].pubkey.0.to_vec();
    let owner = Address::repeat_byte(0x0e);
    let on_chain = w.view(&Vault::keyGenerationBindingCall {
        pubkey: pubkey.clone().into(),
        owner,
    });
    let here = binding(
        &pubkey,
        credentials(w.d.vault),
        owner,
        Chain::CHAIN_ID,
        genesis_state().genesis_validators_root,
        POLICY_HASH,
    );
    assert_eq!(on_chain, here);
    // 228 bytes of preimage: every field counts.
    assert_ne!(
        here,
        binding(
            &pubkey,
            credentials(w.d.vault),
            owner,
            1,
            genesis_state().genesis_validators_root,
            POLICY_HASH
        )
    );
    let short = w.d.chain.view(
        w.d.vault,
        &Vault::keyGenerationBindingCall {
            pubkey: vec![1u8; 47].into(),
            owner,
        },
    );
    assert!(matches!(
        short.unwrap_err().revert_error::<E>(),
        Some(E::InvalidPubkeyLength(_))
    ));
}
