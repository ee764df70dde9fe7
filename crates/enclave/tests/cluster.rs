//! Four P, one key: the key generation run through each P's own API (as hosts relay it), the
//! group's evidence verified, the deposit and an attestation signed by any three devices, and
//! each device's own slashing check refusing a conflicting vote; the share survives a restart.

#![allow(unused_crate_dependencies)]

mod common;

use alloy_primitives::{Address, B256};
use blst::min_pk::{PublicKey, Signature};
use common::{attestation, attestation_data, key_generation, open, open_at, DST, OWNER};
use lsv_attestation::multi::{DevDevices, GroupEvidence, PlatformId};
use lsv_consensus::network::{compute_domain, compute_signing_root, domain};
use lsv_consensus::{Network, PublicKeyBytes};
use lsv_enclave::{Enclave, KeyGenerationError, SignError};
use lsv_threshold::dkg::Ceremony;
use lsv_threshold::sharing::combine_signatures;

fn verifies(group: &PublicKeyBytes, root: B256, sig: &Signature) -> bool {
    let pk = PublicKey::key_validate(&group.0).unwrap();
    sig.verify(true, root.as_slice(), DST, &[], &pk, true) == blst::BLST_ERROR::BLST_SUCCESS
}

#[tokio::test]
async fn four_devices_make_one_key_that_any_three_sign_for() {
    let dirs: Vec<_> = (0..4).map(|_| tempfile::tempdir().unwrap()).collect();
    let devices: Vec<Enclave> = dirs.iter().map(|d| open(d.path())).collect();
    let shared = key_generation(&devices, 3).await;

    // The group's evidence verifies with the four dev attesters trusted.
    let group = GroupEvidence {
        devices: shared.iter().map(|s| s.evidence.clone()).collect(),
    };
    let trusted = DevDevices {
        trusted_attesters: devices
            .iter()
            .map(|d| d.attestation_info().attester.unwrap())
            .collect(),
    };
    let platforms = group.verify(&trusted).unwrap();
    assert_eq!(platforms.len(), 4);
    assert!(matches!(platforms[0], PlatformId::Dev { .. }));
    let key = shared[0].evidence.claim.group.pubkey;
    assert_eq!(shared[0].evidence.claim.group.owner, OWNER);
    for d in &devices {
        assert_eq!(
            d.public_keys(),
            vec![key],
            "each device holds the group key's share"
        );
    }

    // Any three deposit partials combine into the deposit signature of the group key.
    let partial = |i: usize| {
        let hex = &shared[i].deposit_data.signature;
        let bytes = alloy_primitives::hex::decode(hex).unwrap();
        (i as u8 + 1, Signature::from_bytes(&bytes).unwrap())
    };
    let deposit = combine_signatures(&[partial(3), partial(0), partial(2)]).unwrap();
    let message_root = B256::from_slice(
        &alloy_primitives::hex::decode(&shared[0].deposit_data.deposit_message_root).unwrap(),
    );
    let deposit_root = compute_signing_root(
        message_root,
        compute_domain(
            domain::DEPOSIT,
            Network::mainnet().genesis_fork_version,
            B256::ZERO,
        ),
    );
    assert!(verifies(&key, deposit_root, &deposit));

    // An attestation: devices 1, 2 and 4 sign (3 is down); the group signature verifies.
    let request = attestation(attestation_data(0, 1, 0xaa));
    let mut partials = Vec::new();
    let mut signing_root = B256::ZERO;
    for i in [0usize, 1, 3] {
        let signed = devices[i].sign(&key, &request).await.unwrap();
        signing_root = signed.signing_root;
        partials.push((
            i as u8 + 1,
            Signature::from_bytes(&signed.signature.0).unwrap(),
        ));
    }
    let group_sig = combine_signatures(&partials).unwrap();
    assert!(verifies(&key, signing_root, &group_sig));
    // A partial alone is not the group's signature.
    assert!(!verifies(&key, signing_root, &partials[0].1));

    // Each device refuses a conflicting vote on its own record (a double vote for target + 1).
    for i in [0usize, 1, 3] {
        assert!(matches!(
            devices[i]
                .sign(&key, &attestation(attestation_data(0, 1, 0xbb)))
                .await,
            Err(SignError::Slashable(_))
        ));
    }

    // Device 2 restarts: its share loads from its sealed record and re-signs identical data.
    let again = devices[1].sign(&key, &request).await.unwrap();
    drop(devices);
    let reopened = open(dirs[1].path());
    assert_eq!(reopened.public_keys(), vec![key]);
    assert_eq!(reopened.device_evidence(&key).unwrap(), shared[1].evidence);
    let resigned = reopened.sign(&key, &request).await.unwrap();
    assert!(resigned.resigned);
    assert_eq!(resigned.signature, again.signature);
}

#[tokio::test]
async fn a_ceremony_is_refused_when_it_is_unsafe_reused_or_unannounced() {
    let dir = tempfile::tempdir().unwrap();
    let p = open(dir.path());
    let id = B256::repeat_byte(1);
    assert!(matches!(
        p.cluster_announce(id, 2, 4, OWNER).await,
        Err(SignError::KeyGeneration(KeyGenerationError::Dkg(_)))
    ));
    assert!(matches!(
        p.cluster_announce(id, 2, 3, Address::ZERO).await,
        Err(SignError::KeyRequest(_))
    ));
    p.cluster_announce(id, 2, 3, OWNER).await.unwrap();
    assert!(matches!(
        p.cluster_announce(id, 2, 3, OWNER).await,
        Err(SignError::KeyGeneration(KeyGenerationError::Reused(_)))
    ));
    let other = Ceremony {
        id: B256::repeat_byte(2),
        threshold: 2,
        announcements: vec![],
    };
    assert!(matches!(
        p.cluster_finish(&other, 1, &[]).await,
        Err(SignError::KeyGeneration(KeyGenerationError::Unknown(_)))
    ));
}

#[tokio::test]
async fn a_device_keeps_a_bounded_number_of_key_generations_in_progress() {
    let dir = tempfile::tempdir().unwrap();
    let p = open(dir.path());
    // Ceremonies left half-way (announced, never finished) fill the device up to the bound...
    for i in 0..lsv_enclave::MAX_PENDING_CEREMONIES {
        let id = B256::from(alloy_primitives::U256::from(i + 1));
        p.cluster_announce(id, 2, 3, OWNER).await.unwrap();
    }
    // ...and then it refuses new ones, naming the bound, instead of growing without one.
    let got = p
        .cluster_announce(B256::repeat_byte(0xff), 2, 3, OWNER)
        .await;
    let Err(SignError::KeyGeneration(e @ KeyGenerationError::Busy)) = got else {
        panic!("{got:?}")
    };
    assert!(e.to_string().contains("16 key generations"), "{e}");
    // One finished (here: aborted by a bad dealing set) frees its place.
    let first = Ceremony {
        id: B256::from(alloy_primitives::U256::from(1)),
        threshold: 2,
        announcements: vec![],
    };
    assert!(p.cluster_finish(&first, 1, &[]).await.is_err());
    p.cluster_announce(B256::repeat_byte(0xff), 2, 3, OWNER)
        .await
        .unwrap();
}

#[tokio::test]
async fn two_devices_on_one_platform_are_refused_before_any_share_is_dealt() {
    let dirs: Vec<_> = (0..3).map(|_| tempfile::tempdir().unwrap()).collect();
    let devices: Vec<Enclave> = dirs.iter().map(|d| open(d.path())).collect();
    let id = B256::repeat_byte(3);
    let mut announced = Vec::new();
    for d in &devices {
        announced.push(d.cluster_announce(id, 2, 3, OWNER).await.unwrap());
    }
    // The host presents device 1's announcement twice, as if one machine were two devices.
    announced[2] = announced[0].clone();
    let ceremony = Ceremony {
        id,
        threshold: 2,
        announcements: announced.iter().map(|a| a.announcement.clone()).collect(),
    };
    let err = devices[1]
        .cluster_deal(&ceremony, 2, &announced)
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            SignError::KeyGeneration(KeyGenerationError::Peer { index: 3, .. })
        ),
        "{err}"
    );
}

/// A device whose announcement is an SGX quote: dealt to only by a P started with a peer policy,
/// only with the quote's collateral, and only when the quote is over that announcement (the real
/// Intel-signed sample quote in testdata is over other report data, so every refusal below is
/// a different check of Intel's chain and P's policy).
#[tokio::test]
async fn a_hardware_peer_is_dealt_to_only_when_its_quote_verifies_under_the_peer_policy() {
    let dcap = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/dcap");
    let quote = std::fs::read(dcap.join("dcap-qvl/sample/sgx_quote")).unwrap();
    let collateral: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(dcap.join("dcap-qvl/sample/sgx_quote_collateral.json")).unwrap(),
    )
    .unwrap();
    // Inside the sample collateral's window (testdata/dcap/quotes.json).
    let now = 1_752_919_277;
    let dirs: Vec<_> = (0..3).map(|_| tempfile::tempdir().unwrap()).collect();
    let devices: Vec<Enclave> = dirs.iter().map(|d| open_at(d.path(), now)).collect();
    let id = B256::repeat_byte(4);
    let mut announced = Vec::new();
    for d in &devices {
        announced.push(d.cluster_announce(id, 2, 3, OWNER).await.unwrap());
    }
    // Device 3 presents an SGX quote and the platform of its PCK certificate.
    announced[2].backend = lsv_attestation::Backend::SgxDcap;
    announced[2].evidence = quote.clone().into();
    announced[2].platform = PlatformId::Sgx(lsv_attestation::quote_platform(&quote).unwrap());
    let ceremony = Ceremony {
        id,
        threshold: 2,
        announcements: announced.iter().map(|a| a.announcement.clone()).collect(),
    };
    let refusal = |err: SignError| match err {
        SignError::KeyGeneration(KeyGenerationError::Peer { index: 3, reason }) => reason,
        other => panic!("{other}"),
    };
    let deal = || devices[0].cluster_deal(&ceremony, 1, &announced);
    let reason = refusal(deal().await.unwrap_err());
    assert!(reason.contains("trusts no hardware peers"), "{reason}");

    let policy = lsv_attestation::KeyGenerationPolicy {
        mr_enclaves: vec![
            "0x33d8736db756ed4997e04ba358d27833188f1932ff7b1d156904d3f560452fbb"
                .parse()
                .unwrap(),
        ],
        min_isv_svn: 0,
        td_measurements: vec![],
        accepted_tcb_statuses: vec![lsv_attestation::TcbStatus::ConfigurationAndSWHardeningNeeded],
    };
    let peers = |policy: lsv_attestation::KeyGenerationPolicy| lsv_enclave::ClusterPeers {
        verifier: lsv_attestation::DcapVerifier::intel(),
        policy,
    };
    assert!(devices[0]
        .trust_cluster_peers(peers(policy.clone()))
        .is_ok());
    // Set once: P's configuration does not change while it runs.
    assert!(devices[0]
        .trust_cluster_peers(peers(policy.clone()))
        .is_err());
    let reason = refusal(deal().await.unwrap_err());
    assert!(reason.contains("without collateral"), "{reason}");

    // With its collateral the quote passes Intel's chain and the MRENCLAVE policy, and is
    // refused for what it attests: not this announcement.
    announced[2].collateral = Some(collateral.clone());
    let deal = || devices[0].cluster_deal(&ceremony, 1, &announced);
    let reason = refusal(deal().await.unwrap_err());
    assert!(reason.contains("is not binding"), "{reason}");

    // A P that trusts another enclave build refuses it for that first.
    let mut other = policy;
    other.mr_enclaves = vec![B256::repeat_byte(0x11)];
    assert!(devices[1].trust_cluster_peers(peers(other)).is_ok());
    let reason = refusal(
        devices[1]
            .cluster_deal(&ceremony, 2, &announced)
            .await
            .unwrap_err(),
    );
    assert!(reason.contains("MRENCLAVE"), "{reason}");
}

/// Each device's P makes one device key, sealed in its data directory: it signs the device's
/// share binding at key generation (the device's evidence for `DeviceRegistry` at join), it
/// attests its own registration binding for any registry on P's chain, and it is the same key
/// after a restart.
#[tokio::test]
async fn each_device_key_signs_its_share_and_attests_its_own_registration() {
    use lsv_attestation::device_key::registration_binding;
    let dirs: Vec<_> = (0..3).map(|_| tempfile::tempdir().unwrap()).collect();
    let devices: Vec<Enclave> = dirs.iter().map(|d| open(d.path())).collect();
    let shared = key_generation(&devices, 2).await;
    let registry = Address::repeat_byte(0x4e);
    let mut keys = Vec::new();
    for (d, s) in devices.iter().zip(&shared) {
        let signature = s
            .evidence
            .device_signature
            .as_ref()
            .expect("the device key signed the share binding");
        signature.verify(s.evidence.claim.binding()).unwrap();
        let registration = d.device_registration(registry).unwrap();
        assert_eq!(registration.device_key, signature.device_key);
        assert_eq!(registration.chain_id, Network::mainnet().chain_id);
        assert_eq!(
            registration.binding(),
            registration_binding(registration.chain_id, registry, signature.device_key)
        );
        let attester = d.attestation_info().attester.unwrap();
        assert_eq!(registration.platform, PlatformId::Dev { attester });
        lsv_attestation::verify_dev_signature(
            registration.binding(),
            &registration.evidence,
            attester,
        )
        .unwrap();
        keys.push(signature.device_key);
    }
    let distinct: std::collections::HashSet<_> = keys.iter().collect();
    assert_eq!(distinct.len(), 3, "one device key per device");

    let group = GroupEvidence {
        devices: shared.iter().map(|s| s.evidence.clone()).collect(),
    };
    assert!(group.registry_contract_evidence().is_ok());

    // The key is sealed: the same after a restart, and the secret is not in the file.
    drop(devices);
    let reopened = open(dirs[0].path());
    assert_eq!(
        reopened.device_registration(registry).unwrap().device_key,
        keys[0]
    );
    let file = std::fs::read_to_string(dirs[0].path().join("device-key.json")).unwrap();
    let record: serde_json::Value = serde_json::from_str(&file).unwrap();
    assert_eq!(
        record["address"]
            .as_str()
            .unwrap()
            .parse::<Address>()
            .unwrap(),
        keys[0]
    );
    assert!(record["sealed"].is_object(), "the secret is sealed");
}
