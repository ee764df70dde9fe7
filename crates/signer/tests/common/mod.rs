//! A real signer on a loopback port, a real HTTP client, and request builders.
#![allow(dead_code)]

use alloy_primitives::{Address, B256};
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::{connect::HttpConnector, Client};
use hyper_util::rt::TokioExecutor;
use lsv_consensus::{Epoch, Network, PublicKeyBytes, Slot};
use lsv_enclave::keystore::Kdf;
use lsv_enclave::{AttestationConfig, Clock, DataDir, DevSealer, Enclave, Policy};
use lsv_signer::AppState;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// A clock the test moves.
pub(crate) struct TestClock(pub AtomicU64);

impl Clock for TestClock {
    fn unix_seconds(&self) -> u64 {
        self.0.load(Ordering::SeqCst)
    }
}

pub(crate) const CONTRACT: Address = Address::repeat_byte(0xc0);
pub(crate) const OWNER: Address = Address::repeat_byte(0x0e);
/// The current epoch the test clock starts at.
pub(crate) const NOW_EPOCH: u64 = 400_000;

pub(crate) struct TestSigner {
    pub url: String,
    pub network: Network,
    pub enclave: Arc<Enclave>,
    pub clock: Arc<TestClock>,
    pub client: Client<HttpConnector, Full<Bytes>>,
    /// The data directory; `None` only while [`TestSigner::restart`] moves it to the next P.
    dir: Option<tempfile::TempDir>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    server: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
}

impl Drop for TestSigner {
    fn drop(&mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
    }
}

pub(crate) async fn start() -> TestSigner {
    start_in(tempfile::tempdir().unwrap()).await
}

/// A signer on `dir`, which may already hold P's data.
pub(crate) async fn start_in(dir: tempfile::TempDir) -> TestSigner {
    start_on(dir, Network::mainnet(), NOW_EPOCH).await
}

/// A signer on `dir` pinned to `network`, its clock at the start of `now_epoch`.
pub(crate) async fn start_on(
    dir: tempfile::TempDir,
    network: Network,
    now_epoch: u64,
) -> TestSigner {
    start_device(dir, network, now_epoch, Vec::new(), None).await
}

/// A signer that answers only requests signed by one of `coordinators` (a cluster's device);
/// any signer when empty. Its announcements carry the collateral in `dcap_collateral`, if any.
pub(crate) async fn start_device(
    dir: tempfile::TempDir,
    network: Network,
    now_epoch: u64,
    coordinators: Vec<Address>,
    dcap_collateral: Option<std::path::PathBuf>,
) -> TestSigner {
    let now = network.genesis_time + now_epoch * 32 * network.seconds_per_slot;
    let clock = Arc::new(TestClock(AtomicU64::new(now)));
    let sealer = DevSealer::open(dir.path(), Kdf::Pbkdf2 { c: 16 }).unwrap();
    let enclave = Arc::new(
        Enclave::open(
            &DataDir::new(dir.path()),
            Policy::new(network.clone(), Some(CONTRACT)),
            Arc::new(sealer),
            AttestationConfig::Dev,
            clock.clone(),
        )
        .unwrap(),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(lsv_signer::serve(
        listener,
        AppState::for_cluster(enclave.clone(), coordinators, dcap_collateral),
        async {
            let _ = rx.await;
        },
    ));
    let client = Client::builder(TokioExecutor::new()).build_http();
    TestSigner {
        url,
        network,
        enclave,
        clock,
        client,
        dir: Some(dir),
        stop: Some(tx),
        server: Some(server),
    }
}

pub(crate) struct Reply {
    pub status: u16,
    pub content_type: String,
    pub body: String,
}

impl Reply {
    pub(crate) fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }
}

impl TestSigner {
    pub(crate) fn data_dir(&self) -> &std::path::Path {
        self.dir.as_ref().expect("data directory").path()
    }

    /// Stops this signer (its server finishes, P is dropped and releases the data directory)
    /// and starts a new P and server on the same data directory, as a restart of the process.
    pub(crate) async fn restart(mut self) -> TestSigner {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(server) = self.server.take() {
            server.await.unwrap().unwrap();
        }
        let dir = self.dir.take().expect("data directory");
        let enclave = self.enclave.clone();
        drop(self);
        // A connection's task may still be finishing on another worker when the server's own
        // task has returned: give it a moment (a busy machine), then insist.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
        while Arc::strong_count(&enclave) > 1 && std::time::Instant::now() < deadline {
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        assert_eq!(Arc::strong_count(&enclave), 1, "P is still in use");
        drop(enclave);
        start_in(dir).await
    }

    pub(crate) async fn send(
        &self,
        method: &str,
        path: &str,
        accept: Option<&str>,
        body: impl Into<Bytes>,
    ) -> Reply {
        let mut req = hyper::Request::builder()
            .method(method)
            .uri(format!("{}{}", self.url, path));
        req = req.header("content-type", "application/json");
        if let Some(a) = accept {
            req = req.header("accept", a);
        }
        let resp = self
            .client
            .request(req.body(Full::new(body.into())).unwrap())
            .await
            .unwrap();
        let status = resp.status().as_u16();
        let content_type = resp
            .headers()
            .get("content-type")
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default();
        let body = String::from_utf8(
            resp.into_body()
                .collect()
                .await
                .unwrap()
                .to_bytes()
                .to_vec(),
        )
        .unwrap();
        Reply {
            status,
            content_type,
            body,
        }
    }

    pub(crate) async fn get(&self, path: &str) -> Reply {
        self.send("GET", path, None, Bytes::new()).await
    }

    pub(crate) async fn sign(&self, pubkey: &PublicKeyBytes, body: &serde_json::Value) -> Reply {
        self.send(
            "POST",
            &format!("/api/v1/eth2/sign/{pubkey}"),
            Some("application/json"),
            body.to_string(),
        )
        .await
    }

    pub(crate) async fn generate(&self, count: usize) -> Vec<PublicKeyBytes> {
        let r = self
            .send(
                "POST",
                "/eth/v1/lsv/keys",
                None,
                serde_json::json!({"owner": OWNER, "count": count}).to_string(),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
        r.json()["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|k| k["pubkey"].as_str().unwrap().parse().unwrap())
            .collect()
    }

    pub(crate) fn fork_info(&self, epoch: u64) -> serde_json::Value {
        let fork = self.network.fork_object_at(Epoch(epoch));
        serde_json::json!({
            "fork": fork,
            "genesis_validators_root": self.network.genesis_validators_root,
        })
    }

    pub(crate) fn attestation(&self, source: u64, target: u64, root_byte: u8) -> serde_json::Value {
        serde_json::json!({
            "type": "ATTESTATION",
            "fork_info": self.fork_info(target),
            "attestation": {
                "slot": (target * 32).to_string(),
                "index": "0",
                "beacon_block_root": B256::repeat_byte(root_byte),
                "source": { "epoch": source.to_string(), "root": B256::repeat_byte(1) },
                "target": { "epoch": target.to_string(), "root": B256::repeat_byte(2) },
            }
        })
    }

    pub(crate) fn block(&self, slot: u64, body_byte: u8) -> serde_json::Value {
        let epoch = Slot(slot).epoch(32).as_u64();
        serde_json::json!({
            "type": "BLOCK_V2",
            "fork_info": self.fork_info(epoch),
            "beacon_block": {
                "version": self.network.fork_at(Epoch(epoch)).as_upper(),
                "block_header": {
                    "slot": slot.to_string(),
                    "proposer_index": "7",
                    "parent_root": B256::repeat_byte(3),
                    "state_root": B256::repeat_byte(4),
                    "body_root": B256::repeat_byte(body_byte),
                }
            }
        })
    }
}

/// Verifies a BLS signature independently of P (blst directly, the consensus DST).
pub(crate) fn verify(pubkey: &PublicKeyBytes, root: B256, signature_hex: &str) -> bool {
    use blst::min_pk::{PublicKey, Signature};
    let sig = Signature::from_bytes(&hex::decode(signature_hex.trim_start_matches("0x")).unwrap())
        .unwrap();
    let pk = PublicKey::from_bytes(&pubkey.0).unwrap();
    sig.verify(
        true,
        root.as_slice(),
        b"BLS_SIG_BLS12381G2_XMD:SHA-256_SSWU_RO_POP_",
        &[],
        &pk,
        true,
    ) == blst::BLST_ERROR::BLST_SUCCESS
}

/// P's signing root of `body` on `network`, computed as P does (a valid request).
pub(crate) fn root_of(network: &Network, body: &serde_json::Value) -> B256 {
    lsv_consensus::SignRequest::from_json(body.to_string().as_bytes())
        .unwrap()
        .signing_root(network)
        .unwrap()
}
