//! The dev backend and the evidence format: verifies for its claim and attester only, refuses
//! what the dev verifier contract refuses, and parses back only when self-consistent.

#![allow(unused_crate_dependencies)]

use alloy_primitives::{Address, B256};
use lsv_attestation::{
    verify_dev_evidence, verify_dev_signature, Attester, Backend, DevAttester, DevVerifyError,
    Evidence, KeyGenerationClaim,
};
use lsv_consensus::PublicKeyBytes;

fn claim(owner: Address) -> KeyGenerationClaim {
    KeyGenerationClaim {
        pubkey: PublicKeyBytes([0x8a; 48]),
        withdrawal_credentials: B256::repeat_byte(2),
        owner,
        chain_id: 1,
        genesis_validators_root: B256::repeat_byte(3),
        policy_hash: B256::repeat_byte(4),
    }
}

const OWNER: Address = Address::repeat_byte(0x0e);

#[test]
fn dev_evidence_verifies_for_its_claim_and_attester() {
    let (attester, _) = DevAttester::generate().unwrap();
    let c = claim(OWNER);
    let e = attester.attest(&c).unwrap();
    assert_eq!(e.backend(), Backend::Dev);
    assert!(!e.is_hardware_backed() && !attester.is_hardware_backed());
    assert_eq!(e.attester(), Some(attester.address()));
    assert_eq!(e.binding(), c.binding());
    assert_eq!(e.evidence_bytes().len(), 65);
    verify_dev_evidence(&e, &c, attester.address()).unwrap();
}

#[test]
fn dev_evidence_is_refused_for_another_owner() {
    let (attester, _) = DevAttester::generate().unwrap();
    let e = attester.attest(&claim(OWNER)).unwrap();
    let thief = claim(Address::repeat_byte(0x77));
    assert!(matches!(
        verify_dev_evidence(&e, &thief, attester.address()),
        Err(DevVerifyError::ClaimMismatch { .. })
    ));
    // Nor does the bare signature cover the thief's binding.
    assert!(matches!(
        verify_dev_signature(thief.binding(), e.evidence_bytes(), attester.address()),
        Err(DevVerifyError::WrongAttester { .. })
    ));
}

#[test]
fn dev_evidence_is_refused_for_another_attester() {
    let (attester, _) = DevAttester::generate().unwrap();
    let (other, _) = DevAttester::generate().unwrap();
    let c = claim(OWNER);
    let e = attester.attest(&c).unwrap();
    assert_eq!(
        verify_dev_evidence(&e, &c, other.address()),
        Err(DevVerifyError::WrongAttester {
            expected: other.address(),
            found: attester.address()
        })
    );
}

#[test]
fn malleated_or_malformed_signatures_are_refused_as_the_contract_does() {
    let (attester, _) = DevAttester::generate().unwrap();
    let c = claim(OWNER);
    let sig: [u8; 65] = attester
        .attest(&c)
        .unwrap()
        .evidence_bytes()
        .try_into()
        .unwrap();
    // The high-s twin (n - s, v flipped) is a valid ECDSA signature the contract refuses.
    let n = alloy_primitives::U256::from_str_radix(
        "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141",
        16,
    )
    .unwrap();
    let s = alloy_primitives::U256::from_be_slice(&sig[32..64]);
    let mut high = sig;
    high[32..64].copy_from_slice(&(n - s).to_be_bytes::<32>());
    high[64] = if sig[64] == 27 { 28 } else { 27 };
    let b = c.binding();
    assert_eq!(
        verify_dev_signature(b, &high, attester.address()),
        Err(DevVerifyError::HighS)
    );
    let mut bad_v = sig;
    bad_v[64] = 29;
    assert_eq!(
        verify_dev_signature(b, &bad_v, attester.address()),
        Err(DevVerifyError::BadV(29))
    );
    assert_eq!(
        verify_dev_signature(b, &sig[..64], attester.address()),
        Err(DevVerifyError::Length(64))
    );
    assert!(verify_dev_signature(b, &[0u8; 65], attester.address()).is_err());
}

#[test]
fn the_key_is_its_secret_and_debug_shows_no_secret() {
    let (attester, secret) = DevAttester::generate().unwrap();
    let again = DevAttester::from_secret(&secret).unwrap();
    assert_eq!(again.address(), attester.address());
    let shown = format!("{attester:?}");
    assert!(!shown.contains(&hex::encode(secret.as_ref())));
    assert!(DevAttester::from_secret(&[0u8; 32]).is_err());
    assert!(DevAttester::from_secret(&[0xff; 32]).is_err());
}

#[test]
fn evidence_json_round_trips_and_says_it_is_not_hardware() {
    let (attester, _) = DevAttester::generate().unwrap();
    let e = attester.attest(&claim(OWNER)).unwrap();
    let text = e.to_json();
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(v["version"], 1);
    assert_eq!(v["backend"], "dev");
    assert_eq!(v["hardware_backed"], false);
    assert!(v["warning"]
        .as_str()
        .unwrap()
        .contains("proves nothing about hardware"));
    assert_eq!(v["binding"], serde_json::json!(e.binding()));
    assert_eq!(v["claim"]["owner"], serde_json::json!(OWNER));
    assert_eq!(Evidence::from_json(&text).unwrap(), e);
}

#[test]
fn inconsistent_evidence_json_is_refused_with_a_reason() {
    let (attester, _) = DevAttester::generate().unwrap();
    let e = attester.attest(&claim(OWNER)).unwrap();
    let v: serde_json::Value = serde_json::from_str(&e.to_json()).unwrap();
    let refused = |edit: &dyn Fn(&mut serde_json::Value), why: &str| {
        let mut w = v.clone();
        edit(&mut w);
        let err = Evidence::from_json(&w.to_string()).unwrap_err().to_string();
        assert!(err.contains(why), "{err:?} does not say {why:?}");
    };
    refused(
        &|w| w["claim"]["owner"] = serde_json::json!(Address::repeat_byte(1)),
        "not the hash of the claim",
    );
    refused(
        &|w| w["hardware_backed"] = serde_json::json!(true),
        "hardware_backed",
    );
    refused(&|w| w["version"] = serde_json::json!(2), "version 2");
    refused(&|w| w["evidence"] = serde_json::json!("0x1234"), "65 bytes");
    refused(
        &|w| {
            w.as_object_mut().unwrap().remove("attester");
        },
        "attester",
    );
    refused(
        &|w| w["backend"] = serde_json::json!("sgx-dcap"),
        "hardware_backed",
    );
    refused(&|w| w["extra"] = serde_json::json!(1), "unknown field");
    refused(
        &|w| w["claim"]["pubkey"] = serde_json::json!("0x12"),
        "PublicKeyBytes",
    );
}
