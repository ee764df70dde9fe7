//! Four real P on loopback ports and a coordinator in front of them: the key generation through
//! the devices' HTTP API, signing through the coordinator's remote-signing API with one device
//! stopped, idempotent re-signing, refusals carried through, and devices that answer only their
//! coordinator.

#![allow(unused_crate_dependencies)]

mod common;

use common::{root_of, start_device, verify, TestSigner, NOW_EPOCH, OWNER};
use lsv_attestation::DevAttester;
use lsv_consensus::{Network, PublicKeyBytes};
use lsv_signer::cluster::{ClusterConfig, Coordinator, DeviceConfig};
use std::sync::Arc;

struct Cluster {
    devices: Vec<Option<TestSigner>>,
    /// The coordinator's request key, to make another coordinator the devices answer.
    request_secret: [u8; 32],
    url: String,
    coordinator: Arc<Coordinator>,
    _stop: tokio::sync::oneshot::Sender<()>,
}

async fn cluster(
    m: u8,
    n: usize,
) -> (
    Cluster,
    PublicKeyBytes,
    lsv_signer::cluster::GeneratedClusterKey,
) {
    let (key, secret) = DevAttester::generate().unwrap();
    let mut devices = Vec::new();
    for _ in 0..n {
        devices.push(
            start_device(
                tempfile::tempdir().unwrap(),
                Network::mainnet(),
                NOW_EPOCH,
                vec![key.address()],
                None,
            )
            .await,
        );
    }
    let config = ClusterConfig {
        threshold: m,
        devices: devices
            .iter()
            .map(|d| DeviceConfig { url: d.url.clone() })
            .collect(),
        validators: vec![],
    };
    let mut coordinator = Coordinator::new(config, Network::mainnet(), key).unwrap();
    let generated = coordinator.generate_key(OWNER).await.unwrap();
    let pubkey = generated.validator.pubkey;
    let coordinator = Arc::new(coordinator);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let router = lsv_signer::cluster::router(coordinator.clone());
    tokio::spawn(async move {
        axum::serve(listener, router)
            .with_graceful_shutdown(async {
                let _ = stopped.await;
            })
            .await
    });
    (
        Cluster {
            devices: devices.into_iter().map(Some).collect(),
            request_secret: *secret,
            url,
            coordinator,
            _stop: stop,
        },
        pubkey,
        generated,
    )
}

impl Cluster {
    /// A client of the coordinator: any device's client and request builders, pointed at it.
    fn via(&self) -> &TestSigner {
        self.devices.iter().flatten().next().unwrap()
    }

    async fn sign(&self, pubkey: &PublicKeyBytes, body: &serde_json::Value) -> common::Reply {
        let d = self.via();
        let req = hyper::Request::builder()
            .method("POST")
            .uri(format!("{}/api/v1/eth2/sign/{pubkey}", self.url))
            .header("content-type", "application/json")
            .body(http_body_util::Full::new(bytes::Bytes::from(
                body.to_string(),
            )))
            .unwrap();
        let resp = d.client.request(req).await.unwrap();
        let status = resp.status().as_u16();
        use http_body_util::BodyExt;
        let body = String::from_utf8(
            resp.into_body()
                .collect()
                .await
                .unwrap()
                .to_bytes()
                .to_vec(),
        )
        .unwrap();
        common::Reply {
            status,
            content_type: String::new(),
            body,
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_3_of_4_cluster_signs_with_one_device_stopped() {
    let (mut c, pubkey, generated) = cluster(3, 4).await;
    assert_eq!(c.coordinator.config().validators.len(), 1);
    assert_eq!(generated.evidence.devices.len(), 4);
    // The deposit is signed by the group key.
    let network = Network::mainnet();
    let d = &generated.deposit_data;
    assert_eq!(d.pubkey, alloy_primitives::hex::encode(pubkey.0));
    let message_root: alloy_primitives::B256 =
        format!("0x{}", d.deposit_message_root).parse().unwrap();
    let deposit_root = lsv_consensus::network::compute_signing_root(
        message_root,
        lsv_consensus::network::compute_domain(
            lsv_consensus::network::domain::DEPOSIT,
            network.genesis_fork_version,
            alloy_primitives::B256::ZERO,
        ),
    );
    assert!(verify(&pubkey, deposit_root, &d.signature));

    // Every device holds the group key (its share of it).
    for dev in c.devices.iter().flatten() {
        assert_eq!(dev.enclave.public_keys(), vec![pubkey]);
    }

    let att = c.via().attestation(NOW_EPOCH - 3, NOW_EPOCH - 2, 0xaa);
    let root = root_of(&network, &att);
    let first = c.sign(&pubkey, &att).await;
    assert_eq!(first.status, 200, "{}", first.body);
    let sig = first.json()["signature"].as_str().unwrap().to_owned();
    assert!(verify(&pubkey, root, &sig));

    // Device 3 stops; the cluster still signs, and identical data gets the identical signature.
    c.devices[2] = None;
    let again = c.sign(&pubkey, &att).await;
    assert_eq!(again.status, 200, "{}", again.body);
    assert_eq!(again.json()["signature"].as_str().unwrap(), sig);

    let next = c.via().attestation(NOW_EPOCH - 2, NOW_EPOCH - 1, 0xab);
    let r = c.sign(&pubkey, &next).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(verify(
        &pubkey,
        root_of(&network, &next),
        r.json()["signature"].as_str().unwrap()
    ));

    // A double vote is refused by every device's own record: 412, naming the devices.
    let double = c.via().attestation(NOW_EPOCH - 2, NOW_EPOCH - 1, 0xbb);
    let r = c.sign(&pubkey, &double).await;
    assert_eq!(r.status, 412, "{}", r.body);
    assert!(
        r.json()["message"]
            .as_str()
            .unwrap()
            .contains("devices signed, 3 needed"),
        "{}",
        r.body
    );

    // With a second device down, 2 of 4 cannot sign: 503, saying which devices failed.
    c.devices[3] = None;
    let later = c.via().attestation(NOW_EPOCH - 1, NOW_EPOCH, 0xac);
    let r = c.sign(&pubkey, &later).await;
    assert_eq!(r.status, 503, "{}", r.body);

    // An unknown key and a malformed request are answered as a remote signer would.
    let r = c.sign(&PublicKeyBytes([0x11; 48]), &later).await;
    assert_eq!(r.status, 404, "{}", r.body);
    let r = c
        .sign(&pubkey, &serde_json::json!({"type": "ATTESTATION"}))
        .await;
    assert_eq!(r.status, 400, "{}", r.body);

    // What the coordinator answered and what each device did, for Prometheus.
    let req = hyper::Request::builder()
        .uri(format!("{}/metrics", c.url))
        .body(http_body_util::Full::new(bytes::Bytes::new()))
        .unwrap();
    let resp = c.via().client.request(req).await.unwrap();
    use http_body_util::BodyExt;
    let text = String::from_utf8(
        resp.into_body()
            .collect()
            .await
            .unwrap()
            .to_bytes()
            .to_vec(),
    )
    .unwrap();
    for line in [
        "lsv_cluster_signing_requests_total{status=\"200\"} 3",
        "lsv_cluster_signing_requests_total{status=\"412\"} 1",
        "lsv_cluster_signing_requests_total{status=\"503\"} 1",
        "lsv_cluster_signing_requests_total{status=\"404\"} 1",
        "lsv_cluster_signing_requests_total{status=\"400\"} 1",
    ] {
        assert!(text.contains(line), "{line} in:\n{text}");
    }
    assert!(
        text.contains("lsv_cluster_device_answers_total{answer=\"failed\",device=\"3\"}"),
        "{text}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_device_answers_only_its_coordinator() {
    let (c, pubkey, _) = cluster(2, 3).await;
    let device = c.via();
    let att = device.attestation(NOW_EPOCH - 1, NOW_EPOCH, 0xaa);
    // Straight to the device, unsigned: 401, and nothing signed.
    let r = device.sign(&pubkey, &att).await;
    assert_eq!(r.status, 401, "{}", r.body);
    assert!(r.json()["message"]
        .as_str()
        .unwrap()
        .contains("coordinator"));
    let r = device
        .send("POST", "/eth/v1/lsv/cluster/announce", None, "{}")
        .await;
    assert_eq!(r.status, 401);
    // Health stays open for monitoring.
    assert_eq!(device.get("/upcheck").await.status, 200);
}

/// A device that answers with a well-formed signature that is not its share's: the
/// coordinator finds it (the batch fails, then that partial alone), names it, and signs with
/// the other three.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_device_answering_a_wrong_partial_is_named_and_left_out() {
    let (c, pubkey, _) = cluster(3, 4).await;
    // A stand-in for device 1: any key's signature over the request's root.
    let liar = axum::Router::new().route(
        "/api/v1/eth2/sign/{pubkey}",
        axum::routing::post(|body: bytes::Bytes| async move {
            let request = lsv_consensus::SignRequest::from_json(&body).unwrap();
            let root = request.signing_root(&Network::mainnet()).unwrap();
            let sk = blst::min_pk::SecretKey::key_gen(&[7u8; 32], &[]).unwrap();
            let sig = sk.sign(
                root.as_slice(),
                b"BLS_SIG_BLS12381G2_XMD:SHA-256_SSWU_RO_POP_",
                &[],
            );
            axum::Json(serde_json::json!({
                "signature": format!("0x{}", hex::encode(sig.compress()))
            }))
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let liar_url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, liar).await });

    let mut config = c.coordinator.config().clone();
    config.devices[0].url = liar_url;
    let key = DevAttester::from_secret(&c.request_secret).unwrap();
    let coordinator = Arc::new(Coordinator::new(config, Network::mainnet(), key).unwrap());
    let att = c.via().attestation(NOW_EPOCH - 3, NOW_EPOCH - 2, 0xaa);
    let sig = coordinator
        .sign(pubkey, bytes::Bytes::from(att.to_string()))
        .await
        .unwrap();
    assert!(verify(
        &pubkey,
        root_of(&Network::mainnet(), &att),
        &sig.to_hex()
    ));

    // With a second device down, the liar cannot make up the third partial: 503 naming it.
    let mut c = c;
    c.devices[3] = None;
    let next = c.via().attestation(NOW_EPOCH - 2, NOW_EPOCH - 1, 0xab);
    let (status, message) = coordinator
        .sign(pubkey, bytes::Bytes::from(next.to_string()))
        .await
        .unwrap_err();
    assert_eq!(status.as_u16(), 503, "{message}");
    assert!(
        message.contains("device 1: its signature does not verify under its share key"),
        "{message}"
    );
}

/// A hardware device's host keeps its platform's DCAP collateral in a file; the device sends it
/// with each announcement (read then, so a refresh is seen), and says so when it cannot.
#[tokio::test]
async fn an_announcement_carries_the_hosts_dcap_collateral() {
    let files = tempfile::tempdir().unwrap();
    let path = files.path().join("collateral.json");
    let device = start_device(
        tempfile::tempdir().unwrap(),
        Network::mainnet(),
        NOW_EPOCH,
        Vec::new(),
        Some(path.clone()),
    )
    .await;
    let announce = |id: u8| {
        serde_json::json!({
            "ceremony": alloy_primitives::B256::repeat_byte(id),
            "threshold": 2,
            "devices": 3,
            "owner": "0x000000000000000000000000000000000000000e",
        })
        .to_string()
    };
    let r = device
        .send("POST", "/eth/v1/lsv/cluster/announce", None, announce(1))
        .await;
    assert_eq!(r.status, 500, "{}", r.body);
    assert!(r.body.contains("collateral.json"), "{}", r.body);

    std::fs::write(&path, r#"{"tcb_info": "refreshed by the host"}"#).unwrap();
    let r = device
        .send("POST", "/eth/v1/lsv/cluster/announce", None, announce(2))
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        r.json()["data"]["collateral"]["tcb_info"],
        "refreshed by the host"
    );
}

/// Every device answers its coordinator's request for the evidence that registers its device
/// key (`POST /eth/v1/lsv/device/registration`): the key that signed its share binding at key
/// generation, attested for the registry asked about on the devices' chain.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_device_attests_the_registration_of_the_key_that_signed_its_share() {
    let (cluster, _, generated) = cluster(3, 4).await;
    let registry = alloy_primitives::Address::repeat_byte(0x4e);
    let answers = cluster
        .coordinator
        .device_registrations(registry)
        .await
        .unwrap();
    assert_eq!(answers.len(), 4);
    assert!(generated.evidence.registry_contract_evidence().is_ok());
    for (a, d) in answers.iter().zip(&generated.evidence.devices) {
        let r = &a.registration;
        let signature = d.device_signature.as_ref().unwrap();
        assert_eq!(r.device_key, signature.device_key);
        assert_eq!(
            (r.registry, r.chain_id),
            (registry, Network::mainnet().chain_id)
        );
        let lsv_attestation::multi::PlatformId::Dev { attester } = r.platform else {
            panic!("a dev device");
        };
        lsv_attestation::verify_dev_signature(r.binding(), &r.evidence, attester).unwrap();
        assert!(a.collateral.is_none(), "dev evidence takes no collateral");
    }
}
