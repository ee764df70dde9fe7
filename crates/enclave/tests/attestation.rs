//! P's side of attestation: evidence at key generation (and only then), the dev attestation key
//! sealed and kept across restarts, the SGX and TDX sealers' refusal outside their TEE, the
//! policy hash.

#![allow(unused_crate_dependencies)]

use alloy_primitives::{Address, B256};
use lsv_attestation::{verify_dev_evidence, Backend};
use lsv_consensus::Network;
use lsv_enclave::keystore::Kdf;
use lsv_enclave::sealer::SealError;
use lsv_enclave::{
    AttestationConfig, DataDir, DevSealer, Enclave, EncryptedMountSealer, Policy, Sealer,
    SystemClock,
};
use std::sync::Arc;

const C: Address = Address::repeat_byte(0xc0);
const OWNER: Address = Address::repeat_byte(0x0e);

fn open(dir: &std::path::Path) -> Enclave {
    try_open(dir).unwrap()
}

#[tokio::test]
async fn each_generated_key_comes_with_dev_evidence_for_its_owner() {
    let dir = tempfile::tempdir().unwrap();
    let p = open(dir.path());
    let info = p.attestation_info();
    assert_eq!(info.backend, Backend::Dev);
    assert!(!info.hardware_backed);
    let attester = info.attester.expect("dev attester address");
    let keys = p.generate_keys(OWNER, 2).await.unwrap();
    for k in &keys {
        let claim = *k.attestation.claim();
        assert_eq!(claim.pubkey, k.pubkey);
        assert_eq!(claim.owner, OWNER);
        assert_eq!(
            claim.withdrawal_credentials,
            Network::compounding_withdrawal_credentials(C)
        );
        assert_eq!(claim.chain_id, 560_048, "Hoodi's DEPOSIT_CHAIN_ID");
        assert_eq!(
            claim.genesis_validators_root,
            Network::hoodi().genesis_validators_root
        );
        assert_eq!(claim.policy_hash, p.policy().hash());
        assert!(!k.hardware_backed);
        verify_dev_evidence(&k.attestation, &claim, attester).unwrap();
        let mut other = claim;
        other.owner = Address::repeat_byte(0x99);
        assert!(verify_dev_evidence(&k.attestation, &other, attester).is_err());
    }
    assert_ne!(keys[0].attestation, keys[1].attestation);
}

#[tokio::test]
async fn the_dev_attestation_key_is_sealed_and_survives_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let first = open(dir.path()).attestation_info().attester;
    let record = std::fs::read_to_string(dir.path().join("dev-attestation-key.json")).unwrap();
    // The file holds the address and a keystore, never the secret in the clear.
    let v: serde_json::Value = serde_json::from_str(&record).unwrap();
    assert_eq!(v["address"], serde_json::json!(first.unwrap()));
    assert!(v["sealed"]["crypto"]["cipher"]["message"].is_string());
    let second = open(dir.path()).attestation_info().attester;
    assert_eq!(first, second);
    // Another data directory, another key.
    let other = tempfile::tempdir().unwrap();
    assert_ne!(open(other.path()).attestation_info().attester, first);
}

fn open_given(dir: &std::path::Path, secret: [u8; 32]) -> Result<Enclave, lsv_enclave::StartError> {
    Enclave::open(
        &DataDir::new(dir),
        Policy::new(Network::hoodi(), Some(C)),
        Arc::new(DevSealer::open(dir, Kdf::Pbkdf2 { c: 1 }).unwrap()),
        AttestationConfig::DevGiven(zeroize::Zeroizing::new(secret)),
        Arc::new(SystemClock),
    )
}

/// Two Ps given one dev attestation key (as the Ps of one dev deployment are) attest with it,
/// so one verifier accepts the evidence of each; a P holding another key is refused the given
/// one, and restarts without it keep its own.
#[tokio::test]
async fn ps_given_one_dev_attestation_key_share_it() {
    let shared = [0x42u8; 32];
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let pa = open_given(a.path(), shared).unwrap();
    let pb = open_given(b.path(), shared).unwrap();
    let attester = pa.attestation_info().attester.unwrap();
    assert_eq!(pb.attestation_info().attester, Some(attester));
    let key = &pb.generate_keys(OWNER, 1).await.unwrap()[0];
    verify_dev_evidence(&key.attestation, key.attestation.claim(), attester).unwrap();
    drop((pa, pb));
    // The key is sealed: a restart without it keeps it, with it again is fine too.
    assert_eq!(open(a.path()).attestation_info().attester, Some(attester));
    assert!(open_given(a.path(), shared).is_ok());
    // A P that made its own key is refused another.
    let own = tempfile::tempdir().unwrap();
    drop(open(own.path()));
    let err = open_given(own.path(), shared)
        .err()
        .expect("refused")
        .to_string();
    assert!(err.contains("the given dev attestation key"), "{err}");
    // Not a secp256k1 secret.
    let zero = tempfile::tempdir().unwrap();
    assert!(open_given(zero.path(), [0u8; 32]).is_err());
}

#[test]
fn a_tampered_dev_attestation_key_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    drop(open(dir.path()));
    let path = dir.path().join("dev-attestation-key.json");
    let mut v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    v["address"] = serde_json::json!(Address::repeat_byte(1));
    std::fs::write(&path, v.to_string()).unwrap();
    let got = Enclave::open(
        &DataDir::new(dir.path()),
        Policy::new(Network::hoodi(), Some(C)),
        Arc::new(DevSealer::open(dir.path(), Kdf::Pbkdf2 { c: 1 }).unwrap()),
        AttestationConfig::Dev,
        Arc::new(SystemClock),
    );
    let err = got.err().expect("refused").to_string();
    assert!(err.contains("does not match the recorded address"), "{err}");
}

#[test]
fn the_policy_hash_is_stable_and_moves_with_every_rule_parameter() {
    let p = Policy::new(Network::hoodi(), Some(C));
    assert_eq!(p.hash(), Policy::new(Network::mainnet(), None).hash());
    let text = p.canonical_description();
    assert!(text.starts_with("lsv-policy v2\n"));
    assert!(text.contains("current slot + 2;"));
    assert_eq!(
        p.hash(),
        B256::from_slice(&<sha2::Sha256 as sha2::Digest>::digest(text.as_bytes()))
    );
    let mut wider = p.clone();
    wider.max_skew_slots = 3;
    assert_ne!(wider.hash(), p.hash());
}

fn fake_gramine(kind: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("attestation_type"), kind).unwrap();
    dir
}

#[test]
fn the_gramine_sealer_refuses_to_run_outside_a_dcap_enclave() {
    let data = tempfile::tempdir().unwrap();
    for kind in ["none", "epid"] {
        let att = fake_gramine(kind);
        assert!(matches!(
            EncryptedMountSealer::gramine(&data.path().join("sealed"), att.path()),
            Err(SealError::NotInEnclave(_))
        ));
    }
    let nowhere = data.path().join("no-such-dir");
    assert!(matches!(
        EncryptedMountSealer::gramine(&data.path().join("sealed"), &nowhere),
        Err(SealError::NotInEnclave(_))
    ));
}

#[test]
fn the_gramine_sealer_round_trips_and_stays_in_its_directory() {
    let data = tempfile::tempdir().unwrap();
    let att = fake_gramine("dcap");
    let sealed_dir = data.path().join("sealed");
    let sealer = EncryptedMountSealer::gramine(&sealed_dir, att.path()).unwrap();
    assert!(sealer.is_hardware_backed());
    let secret = [7u8; 32];
    let pubkey = lsv_consensus::PublicKeyBytes([0xab; 48]);
    let blob = sealer.seal(&secret, pubkey).unwrap();
    assert_eq!(*sealer.unseal(&blob).unwrap(), secret);
    // The file sits under the sealed directory (Gramine encrypts it there).
    assert!(sealed_dir
        .join(format!("{}.secret", hex::encode(pubkey.0)))
        .is_file());
    let blob = sealer
        .seal_secret(&[9u8; 32], "dev-attestation-key")
        .unwrap();
    assert_eq!(*sealer.unseal_secret(&blob).unwrap(), [9u8; 32]);
    for evil in [
        "../../etc/passwd.secret",
        "/abs.secret",
        "a/b.secret",
        ".secret",
        "x",
    ] {
        assert!(
            sealer.unseal(&serde_json::json!({ "file": evil })).is_err(),
            "{evil}"
        );
    }
}

#[tokio::test]
async fn keys_sealed_with_the_gramine_sealer_reopen() {
    let data = tempfile::tempdir().unwrap();
    let att = fake_gramine("dcap");
    let open_sgx = || {
        Enclave::open(
            &DataDir::new(data.path()),
            Policy::new(Network::hoodi(), Some(C)),
            Arc::new(
                EncryptedMountSealer::gramine(&data.path().join("sealed"), att.path()).unwrap(),
            ),
            // The attester is not what this test is about: dev evidence, Gramine sealing.
            AttestationConfig::Dev,
            Arc::new(SystemClock),
        )
        .unwrap()
    };
    let p = open_sgx();
    let keys = p.generate_keys(OWNER, 1).await.unwrap();
    drop(p);
    assert_eq!(open_sgx().public_keys(), vec![keys[0].pubkey]);
}

/// A configfs-tsm root whose report request `lsv-p` has the given provider.
fn fake_tsm(provider: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("lsv-p")).unwrap();
    std::fs::write(dir.path().join("lsv-p/provider"), provider).unwrap();
    dir
}

#[test]
fn the_tdx_sealer_refuses_to_run_outside_a_trust_domain() {
    let data = tempfile::tempdir().unwrap();
    for provider in ["sev_guest", ""] {
        let tsm = fake_tsm(provider);
        assert!(matches!(
            EncryptedMountSealer::tdx(&data.path().join("sealed"), tsm.path()),
            Err(SealError::NotInEnclave(e)) if e.contains("tdx_guest")
        ));
    }
    assert!(matches!(
        EncryptedMountSealer::tdx(&data.path().join("sealed"), &data.path().join("no-tsm")),
        Err(SealError::NotInEnclave(_))
    ));
}

#[tokio::test]
async fn keys_sealed_in_a_trust_domain_reopen_there_and_nowhere_else() {
    let data = tempfile::tempdir().unwrap();
    let tsm = fake_tsm("tdx_guest\n");
    let sealed = data.path().join("sealed");
    let open_with = |sealer: EncryptedMountSealer| {
        Enclave::open(
            &DataDir::new(data.path()),
            Policy::new(Network::hoodi(), Some(C)),
            Arc::new(sealer),
            AttestationConfig::Dev,
            Arc::new(SystemClock),
        )
    };
    let tdx = || EncryptedMountSealer::tdx(&sealed, tsm.path()).unwrap();
    assert_eq!(tdx().backend(), EncryptedMountSealer::TDX);
    assert!(tdx().is_hardware_backed());
    let p = open_with(tdx()).unwrap();
    let keys = p.generate_keys(OWNER, 1).await.unwrap();
    drop(p);
    assert_eq!(
        open_with(tdx()).unwrap().public_keys(),
        vec![keys[0].pubkey]
    );
    // The same files under the SGX backend: refused by name, never handed to the wrong sealer.
    let att = fake_gramine("dcap");
    let got = open_with(EncryptedMountSealer::gramine(&sealed, att.path()).unwrap());
    let err = got
        .err()
        .expect("another backend's keys are refused")
        .to_string();
    assert!(err.contains(EncryptedMountSealer::TDX), "{err}");
}

// ---- evidence stored with the key -----------------------------------------------------------

fn record_path(
    dir: &std::path::Path,
    pubkey: &lsv_consensus::PublicKeyBytes,
) -> std::path::PathBuf {
    dir.join("keys")
        .join(format!("{}.json", hex::encode(pubkey.0)))
}

fn read_record(path: &std::path::Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn try_open(dir: &std::path::Path) -> Result<Enclave, lsv_enclave::StartError> {
    Enclave::open(
        &DataDir::new(dir),
        Policy::new(Network::hoodi(), Some(C)),
        Arc::new(DevSealer::open(dir, Kdf::Pbkdf2 { c: 1 }).unwrap()),
        AttestationConfig::Dev,
        Arc::new(SystemClock),
    )
}

#[tokio::test]
async fn evidence_is_stored_in_the_key_record_and_served_after_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let p = open(dir.path());
    let keys = p.generate_keys(OWNER, 2).await.unwrap();
    for k in &keys {
        // In the key's own record, beside its sealed secret, exactly as returned.
        let record = read_record(&record_path(dir.path(), &k.pubkey));
        assert_eq!(record["version"], 2);
        assert!(record["sealed"]["blob"]["crypto"].is_object());
        let stored: lsv_attestation::Evidence =
            serde_json::from_value(record["attestation"].clone()).unwrap();
        assert_eq!(stored, k.attestation);
        let served = p.key_attestation(&k.pubkey).unwrap();
        assert_eq!(served.attestation.as_ref(), Some(&k.attestation));
        assert_eq!(served.message, None);
    }
    drop(p);
    // A new P on the same data directory serves the same evidence, without attesting again.
    let p = open(dir.path());
    let attester = p.attestation_info().attester.unwrap();
    for k in &keys {
        let served = p.key_attestation(&k.pubkey).unwrap();
        assert_eq!(
            (served.pubkey, served.owner, served.withdrawal_credentials),
            (k.pubkey, OWNER, k.withdrawal_credentials)
        );
        let evidence = served.attestation.unwrap();
        assert_eq!(evidence, k.attestation);
        verify_dev_evidence(&evidence, evidence.claim(), attester).unwrap();
    }
    assert!(p
        .key_attestation(&lsv_consensus::PublicKeyBytes([0xab; 48]))
        .is_none());
}

#[tokio::test]
async fn a_key_recorded_before_evidence_was_stored_still_loads_and_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let pubkey = open(dir.path()).generate_keys(OWNER, 1).await.unwrap()[0].pubkey;
    // Rewrite the record as the previous version wrote it: version 1, no evidence.
    let path = record_path(dir.path(), &pubkey);
    let mut record = read_record(&path);
    record.as_object_mut().unwrap().remove("attestation");
    record["version"] = serde_json::json!(1);
    std::fs::write(&path, record.to_string()).unwrap();
    let p = open(dir.path());
    assert_eq!(p.public_keys(), vec![pubkey]);
    let served = p.key_attestation(&pubkey).unwrap();
    assert_eq!(served.owner, OWNER);
    assert!(served.attestation.is_none());
    assert_eq!(served.message, Some(lsv_enclave::NO_EVIDENCE_RECORDED));
    let json = serde_json::to_value(&served).unwrap();
    assert!(json["attestation"].is_null(), "{json}");
    assert!(json["message"].as_str().unwrap().contains("never attests"));
}

#[tokio::test]
async fn a_record_whose_evidence_does_not_fit_its_key_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let keys = open(dir.path()).generate_keys(OWNER, 2).await.unwrap();
    let (a, b) = (
        record_path(dir.path(), &keys[0].pubkey),
        record_path(dir.path(), &keys[1].pubkey),
    );
    let original = std::fs::read(&a).unwrap();
    let expect_refused = |needle: &str| {
        let err = try_open(dir.path()).err().expect("refused").to_string();
        assert!(err.contains(needle), "{err}");
    };
    // Another key's evidence.
    let mut record = read_record(&a);
    record["attestation"] = read_record(&b)["attestation"].clone();
    std::fs::write(&a, record.to_string()).unwrap();
    expect_refused("the evidence claims another public key");
    // A claim edited without its binding.
    let mut record: serde_json::Value = serde_json::from_slice(&original).unwrap();
    record["attestation"]["claim"]["owner"] = serde_json::json!(Address::repeat_byte(0x99));
    std::fs::write(&a, record.to_string()).unwrap();
    expect_refused("is not the hash of the claim");
    // Version 2 without evidence, version 1 with it.
    let mut record: serde_json::Value = serde_json::from_slice(&original).unwrap();
    let evidence = record
        .as_object_mut()
        .unwrap()
        .remove("attestation")
        .unwrap();
    std::fs::write(&a, record.to_string()).unwrap();
    expect_refused("must carry the key's attestation");
    record["attestation"] = evidence;
    record["version"] = serde_json::json!(1);
    std::fs::write(&a, record.to_string()).unwrap();
    expect_refused("carries no attestation");
    std::fs::write(&a, &original).unwrap();
    assert_eq!(try_open(dir.path()).unwrap().public_keys().len(), 2);
}

/// An attester that always fails.
struct Broken;

impl lsv_attestation::Attester for Broken {
    fn backend(&self) -> Backend {
        Backend::SgxDcap
    }
    fn attest(
        &self,
        _: &lsv_attestation::KeyGenerationClaim,
    ) -> Result<lsv_attestation::Evidence, lsv_attestation::AttestError> {
        Err(lsv_attestation::AttestError::NotSgxQuote)
    }
}

#[tokio::test]
async fn no_key_is_stored_when_its_attestation_fails() {
    let dir = tempfile::tempdir().unwrap();
    let p = Enclave::open(
        &DataDir::new(dir.path()),
        Policy::new(Network::hoodi(), Some(C)),
        Arc::new(DevSealer::open(dir.path(), Kdf::Pbkdf2 { c: 1 }).unwrap()),
        AttestationConfig::Attester(Arc::new(Broken)),
        Arc::new(SystemClock),
    )
    .unwrap();
    let err = p.generate_keys(OWNER, 1).await.unwrap_err().to_string();
    assert!(err.contains("not an SGX enclave quote"), "{err}");
    assert!(p.public_keys().is_empty());
    assert_eq!(
        std::fs::read_dir(dir.path().join("keys")).unwrap().count(),
        0
    );
}
