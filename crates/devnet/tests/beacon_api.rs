//! The devnet's beacon API over real HTTP, on a real node's chain (64 interop validators, minimal
//! preset, the execution layer a stand-in): the project's own beacon client (`lsv-keeper`) reads
//! it and proves a validator against it the way `lsv prove validator` does; every endpoint
//! answers in the API's shapes; bad ids are 400s and missing things 404s; a submitted exit is
//! checked, pooled and included by the node; head events stream.

#![allow(unused_crate_dependencies)]

use alloy_primitives::B256;
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::header::{HeaderMap, ACCEPT, CONTENT_TYPE};
use hyper::{Method, Request, StatusCode};
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use lsv_consensus::containers::{SignedVoluntaryExit, VoluntaryExit};
use lsv_consensus::network::{compute_domain, compute_signing_root, domain};
use lsv_consensus::{Epoch, ForkName, Minimal, Network, PresetName, Slot};
use lsv_devnet::api;
use lsv_devnet::execution::{ExecutionLayer, MockExecution};
use lsv_devnet::genesis::{interop_secret_key, interop_validators, GenesisParams};
use lsv_devnet::node::Node;
use lsv_devnet::signer::LocalKeys;
use lsv_devnet::spec::{BeaconState, Config, Spec};
use lsv_devnet::store::Store;
use lsv_keeper::prove::{self, ProveError, VerifierConfig};
use lsv_keeper::{BeaconClient, BlockId, StateId};
use lsv_proofs::block::SignedBeaconBlock;
use lsv_proofs::{ProofParts, ValidatorProof};
use parking_lot::RwLock;
use serde_json::{json, Value};
use ssz::Encode;
use std::net::SocketAddr;
use std::sync::{Arc, OnceLock};
use std::time::Duration;
use tokio::sync::oneshot;
use tree_hash::TreeHash;

type P = Minimal;
type Devnet = Node<P, MockExecution, LocalKeys>;

const VALIDATORS: u64 = 64;
const GENESIS_TIME: u64 = 1_700_000_000;
/// The shared chain's last slot: epoch 4 has begun, so epoch 2 is finalized (its first block,
/// slot 16, is the `finalized` block) and epoch 3 justified.
const SHARED_SLOTS: u64 = 4 * 8 + 2;

fn devnet(config: Config) -> Devnet {
    let spec = Spec::<P>::new(config);
    let mut creds = [0u8; 32];
    creds[0] = 0x01;
    creds[12..].copy_from_slice(&[0x11; 20]);
    let (genesis, keys) = interop_validators(VALIDATORS, creds.into());
    let el = MockExecution::default();
    let params = GenesisParams {
        genesis_time: GENESIS_TIME,
        fork: ForkName::Electra,
        execution_payload_header: ExecutionLayer::<P>::genesis_header(&el),
    };
    let state = spec
        .genesis_state(&params, &genesis)
        .expect("a genesis state");
    Node::new(spec, state, el, keys)
}

/// A chain run to [`SHARED_SLOTS`], shared by the tests that only read.
fn shared_store() -> Arc<RwLock<Store<P>>> {
    static STORE: OnceLock<Arc<RwLock<Store<P>>>> = OnceLock::new();
    STORE
        .get_or_init(|| {
            let mut node = devnet(Config::minimal());
            for slot in 1..=SHARED_SLOTS {
                let report = node.run_slot(slot).expect("a slot");
                assert!(report.block_root.is_some());
            }
            node.store()
        })
        .clone()
}

/// The API over `store` on 127.0.0.1:0, until the sender is dropped or fired.
async fn start(store: Arc<RwLock<Store<P>>>) -> (SocketAddr, oneshot::Sender<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = oneshot::channel::<()>();
    tokio::spawn(async move {
        api::serve(store, listener, async {
            let _ = stopped.await;
        })
        .await
        .unwrap();
    });
    (addr, stop)
}

struct Http {
    addr: SocketAddr,
    client: Client<HttpConnector, Full<Bytes>>,
}

struct Answer {
    status: StatusCode,
    headers: HeaderMap,
    body: Bytes,
}

impl Answer {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {:?}", String::from_utf8_lossy(&self.body)))
    }

    /// The `message` of an error answer, after checking its status and `code`.
    fn error(&self, status: StatusCode) -> String {
        assert_eq!(
            self.status,
            status,
            "{:?}",
            String::from_utf8_lossy(&self.body)
        );
        let v = self.json();
        assert_eq!(v["code"], status.as_u16());
        v["message"].as_str().unwrap().to_owned()
    }
}

impl Http {
    fn new(addr: SocketAddr) -> Self {
        Self {
            addr,
            client: Client::builder(TokioExecutor::new()).build_http(),
        }
    }

    async fn send(&self, method: Method, path: &str, accept: &str, body: Option<Value>) -> Answer {
        let mut request = Request::builder()
            .method(method)
            .uri(format!("http://{}{path}", self.addr))
            .header(ACCEPT, accept);
        let body = match body {
            Some(v) => {
                request = request.header(CONTENT_TYPE, "application/json");
                Full::new(Bytes::from(v.to_string()))
            }
            None => Full::new(Bytes::new()),
        };
        let response = self
            .client
            .request(request.body(body).unwrap())
            .await
            .unwrap();
        let (parts, body) = response.into_parts();
        Answer {
            status: parts.status,
            headers: parts.headers,
            body: body.collect().await.unwrap().to_bytes(),
        }
    }

    async fn get(&self, path: &str) -> Answer {
        self.send(Method::GET, path, "application/json", None).await
    }

    async fn get_ok(&self, path: &str) -> Value {
        let a = self.get(path).await;
        assert_eq!(
            a.status,
            StatusCode::OK,
            "{path}: {:?}",
            String::from_utf8_lossy(&a.body)
        );
        a.json()
    }

    async fn post(&self, path: &str, body: Value) -> Answer {
        self.send(Method::POST, path, "application/json", Some(body))
            .await
    }
}

/// A devnet `config.yaml` from the node's `/eth/v1/config/spec` and genesis, as `lsv --network
/// FILE` reads one.
async fn network_of(http: &Http) -> Network {
    let spec = http.get_ok("/eth/v1/config/spec").await;
    let genesis = http.get_ok("/eth/v1/beacon/genesis").await;
    let mut yaml = format!(
        "GENESIS_TIME: {}\nGENESIS_VALIDATORS_ROOT: \"{}\"\n",
        genesis["data"]["genesis_time"].as_str().unwrap(),
        genesis["data"]["genesis_validators_root"].as_str().unwrap()
    );
    for (k, v) in spec["data"].as_object().unwrap() {
        if let Some(s) = v.as_str() {
            yaml.push_str(&format!("{k}: \"{s}\"\n"));
        }
    }
    Network::from_config_yaml(&yaml).unwrap()
}

#[tokio::test]
async fn the_keeper_reads_the_devnet_and_proves_a_validator_as_lsv_prove_does() {
    let store = shared_store();
    let (addr, _stop) = start(store.clone()).await;
    let client = BeaconClient::new(&format!("http://{addr}")).unwrap();
    let (head, finalized_root, finalized_state) = {
        let s = store.read();
        let head = s.head().clone();
        let finalized_root = s.head_state().finalized_checkpoint.root;
        let finalized_slot = s.block_by_root(&finalized_root).unwrap().block.message.slot;
        let finalized_state = s.state_at(finalized_slot.as_u64()).unwrap().1;
        (head, finalized_root, finalized_state)
    };
    assert_eq!(finalized_state.slot.as_u64(), 16, "epoch 2's first block");

    let genesis = client.genesis().await.unwrap();
    assert_eq!(genesis.genesis_time, GENESIS_TIME);
    assert_eq!(
        genesis.genesis_validators_root,
        store.read().genesis_validators_root()
    );
    assert_eq!(client.preset().await.unwrap(), PresetName::Minimal);

    let info = client.header(BlockId::Head).await.unwrap();
    assert_eq!(info.root, head.root);
    assert_eq!(info.header, head.block.message.header());
    assert!(info.canonical);
    assert_eq!(info.execution_optimistic, Some(false));
    assert_eq!(info.finalized, Some(false));

    let fetched = client
        .block_of::<P>(BlockId::Root(head.root))
        .await
        .unwrap();
    assert_eq!(fetched.fork, ForkName::Electra);
    assert_eq!(fetched.root, head.root);
    assert_eq!(fetched.block, *head.block);
    let by_slot = client
        .block_of::<P>(BlockId::Slot(Slot::new(SHARED_SLOTS)))
        .await
        .unwrap();
    assert_eq!(by_slot.root, head.root);
    // A minimal-preset block is not a mainnet one.
    assert!(client.block(BlockId::Head).await.is_err());

    let ssz = client
        .state_ssz(StateId::Root(info.header.state_root))
        .await
        .unwrap();
    assert_eq!(ssz.fork, ForkName::Electra);
    let state = BeaconState::<P>::from_ssz_bytes(ssz.fork, &ssz.bytes).unwrap();
    assert_eq!(state.hash_tree_root(), info.header.state_root);
    let by_slot = client
        .state_ssz(StateId::Slot(Slot::new(SHARED_SLOTS)))
        .await
        .unwrap();
    assert_eq!(by_slot.bytes, ssz.bytes);

    // `lsv prove validator --beacon-url ... --network <the devnet's config.yaml>`.
    let network = network_of(&Http::new(addr)).await;
    assert_eq!(network.slots_per_epoch, 8);
    assert_eq!(network.seconds_per_slot, 6);
    let chain = VerifierConfig::of_network(&network);
    let preset = prove::node_preset(&client).await.unwrap();
    assert_eq!(preset, PresetName::Minimal);
    let index = 5;
    let out = prove::prove_validator_by_preset(
        &client,
        &chain,
        preset,
        BlockId::Finalized,
        index,
        ProofParts::ALL,
    )
    .await
    .unwrap();
    assert_eq!(out.proof.anchor_root, finalized_root);
    assert_eq!(out.proof.anchor_slot, Slot::new(16));
    let child = store.read().block_at(17).unwrap().clone();
    assert_eq!(out.time.child_root, child.root);
    assert_eq!(
        out.timestamp(),
        child.block.message.body.execution_payload.timestamp
    );
    assert_eq!(out.timestamp(), GENESIS_TIME + 17 * 6);
    // Checked again here, from the bytes alone.
    let proven = ValidatorProof::from_bytes(&out.proof.bytes)
        .unwrap()
        .verify(finalized_root, index, &chain.anchor)
        .unwrap();
    assert_eq!(proven.validator, finalized_state.validators[index as usize]);
    assert_eq!(
        proven.balance,
        Some(finalized_state.balances[index as usize])
    );
    assert_eq!(proven.inactivity_score, Some(0));
    assert_eq!(proven.registry_length, VALIDATORS);
    assert_eq!(proven.slot, Slot::new(16));

    // The head has no child yet: its root reaches EIP-4788 only with the next block.
    let e = prove::prove_validator_by_preset(
        &client,
        &chain,
        preset,
        BlockId::Head,
        index,
        ProofParts::ALL,
    )
    .await
    .unwrap_err();
    assert!(matches!(e, ProveError::NoChildYet { .. }), "{e}");
}

#[tokio::test]
async fn blocks_headers_and_states_answer_in_the_api_shapes() {
    let store = shared_store();
    let (addr, _stop) = start(store.clone()).await;
    let http = Http::new(addr);
    let (head, genesis_root, justified_root, finalized_root, head_state_root) = {
        let s = store.read();
        let hs = s.head_state();
        (
            s.head().clone(),
            s.block_at(0).unwrap().root,
            hs.current_justified_checkpoint.root,
            hs.finalized_checkpoint.root,
            s.state_at(SHARED_SLOTS).unwrap().0,
        )
    };

    // A block as JSON: the envelope, the fork header, and data that reads back to the block.
    let a = http.get("/eth/v2/beacon/blocks/head").await;
    assert_eq!(a.status, StatusCode::OK);
    assert_eq!(a.headers["eth-consensus-version"], "electra");
    assert!(a.headers[CONTENT_TYPE]
        .to_str()
        .unwrap()
        .starts_with("application/json"));
    let v = a.json();
    assert_eq!(v["version"], "electra");
    assert_eq!(v["execution_optimistic"], false);
    assert_eq!(v["finalized"], false);
    let block: SignedBeaconBlock<P> = serde_json::from_value(v["data"].clone()).unwrap();
    assert_eq!(block, *head.block);
    assert_eq!(v["data"]["message"]["slot"], SHARED_SLOTS.to_string());
    assert_eq!(
        v["data"]["message"]["body"]["execution_payload"]["base_fee_per_gas"],
        "1000000000"
    );
    // As SSZ, when asked for it first.
    let ssz = http
        .send(
            Method::GET,
            "/eth/v2/beacon/blocks/head",
            "application/json;q=0.5, application/octet-stream",
            None,
        )
        .await;
    assert_eq!(ssz.status, StatusCode::OK);
    assert_eq!(ssz.headers[CONTENT_TYPE], "application/octet-stream");
    assert_eq!(ssz.headers["eth-consensus-version"], "electra");
    assert_eq!(ssz.body.as_ref(), head.block.as_ssz_bytes().as_slice());
    let html = http
        .send(Method::GET, "/eth/v2/beacon/blocks/head", "text/html", None)
        .await;
    html.error(StatusCode::NOT_ACCEPTABLE);

    // Every kind of block id.
    for (id, root) in [
        ("genesis".to_owned(), genesis_root),
        ("finalized".to_owned(), finalized_root),
        ("justified".to_owned(), justified_root),
        ("16".to_owned(), finalized_root),
        (head.root.to_string(), head.root),
    ] {
        let v = http
            .get_ok(&format!("/eth/v1/beacon/blocks/{id}/root"))
            .await;
        assert_eq!(v["data"]["root"], root.to_string(), "{id}");
        let h = http.get_ok(&format!("/eth/v1/beacon/headers/{id}")).await;
        assert_eq!(h["data"]["root"], root.to_string(), "{id}");
        assert_eq!(h["data"]["canonical"], true);
    }
    let v = http.get_ok("/eth/v1/beacon/blocks/finalized/root").await;
    assert_eq!(v["finalized"], true);
    assert_eq!(justified_root, store.read().block_at(24).unwrap().root);

    // Headers by query.
    let v = http.get_ok("/eth/v1/beacon/headers").await;
    assert_eq!(v["data"][0]["root"], head.root.to_string());
    assert_eq!(
        v["data"][0]["header"]["message"]["slot"],
        SHARED_SLOTS.to_string()
    );
    let v = http.get_ok("/eth/v1/beacon/headers?slot=16").await;
    assert_eq!(v["data"][0]["root"], finalized_root.to_string());
    let v = http
        .get_ok(&format!(
            "/eth/v1/beacon/headers?parent_root={finalized_root}"
        ))
        .await;
    let child = store.read().block_at(17).unwrap().root;
    assert_eq!(v["data"].as_array().unwrap().len(), 1);
    assert_eq!(v["data"][0]["root"], child.to_string());
    let v = http
        .get_ok(&format!(
            "/eth/v1/beacon/headers?slot=18&parent_root={finalized_root}"
        ))
        .await;
    assert_eq!(v["data"], json!([]));

    // States: root, fork, checkpoints, and the SSZ.
    for id in [
        "head".to_owned(),
        SHARED_SLOTS.to_string(),
        head_state_root.to_string(),
    ] {
        let v = http
            .get_ok(&format!("/eth/v1/beacon/states/{id}/root"))
            .await;
        assert_eq!(v["data"]["root"], head_state_root.to_string(), "{id}");
    }
    let v = http.get_ok("/eth/v1/beacon/states/head/fork").await;
    assert_eq!(
        v["data"],
        json!({"previous_version": "0x05000001", "current_version": "0x05000001", "epoch": "0"})
    );
    let v = http
        .get_ok("/eth/v1/beacon/states/head/finality_checkpoints")
        .await;
    assert_eq!(v["data"]["finalized"]["epoch"], "2");
    assert_eq!(v["data"]["finalized"]["root"], finalized_root.to_string());
    assert_eq!(v["data"]["current_justified"]["epoch"], "3");
    assert_eq!(v["data"]["previous_justified"]["epoch"], "2");
    let v = http.get_ok("/eth/v1/beacon/states/finalized/root").await;
    assert_eq!(
        v["data"]["root"],
        store.read().state_at(16).unwrap().0.to_string()
    );
    assert_eq!(v["finalized"], true);
    // The deposit queue: empty on a chain whose validators are all in its genesis.
    let v = http
        .get_ok("/eth/v1/beacon/states/head/pending_deposits")
        .await;
    assert_eq!(v["data"], json!([]), "{v}");
    let v = http
        .get_ok("/eth/v1/beacon/states/genesis/finality_checkpoints")
        .await;
    assert_eq!(v["data"]["finalized"]["root"], B256::ZERO.to_string());
    let a = http
        .send(
            Method::GET,
            "/eth/v2/debug/beacon/states/head",
            "application/octet-stream",
            None,
        )
        .await;
    assert_eq!(a.status, StatusCode::OK);
    assert_eq!(a.headers["eth-consensus-version"], "electra");
    assert_eq!(
        a.body.as_ref(),
        store
            .read()
            .state_at(SHARED_SLOTS)
            .unwrap()
            .1
            .as_ssz_bytes()
            .as_slice()
    );
    let a = http
        .send(
            Method::GET,
            "/eth/v2/debug/beacon/states/head",
            "application/json",
            None,
        )
        .await;
    assert!(a.error(StatusCode::NOT_ACCEPTABLE).contains("SSZ only"));
}

#[tokio::test]
async fn validators_and_balances_filter_by_id_and_status() {
    let store = shared_store();
    let (addr, _stop) = start(store.clone()).await;
    let http = Http::new(addr);
    let state = store.read().state_at(SHARED_SLOTS).unwrap().1;
    let key = |i: usize| state.validators[i].pubkey.to_hex();

    let v = http.get_ok("/eth/v1/beacon/states/head/validators").await;
    let all = v["data"].as_array().unwrap();
    assert_eq!(all.len(), VALIDATORS as usize);
    assert_eq!(all[3]["index"], "3");
    assert_eq!(all[3]["status"], "active_ongoing");
    assert_eq!(all[3]["balance"], state.balances[3].as_u64().to_string());
    assert_eq!(all[3]["validator"]["pubkey"], key(3));
    assert_eq!(all[3]["validator"]["exit_epoch"], u64::MAX.to_string());
    assert_eq!(all[3]["validator"]["slashed"], false);

    let v = http
        .get_ok(&format!(
            "/eth/v1/beacon/states/head/validators?id=1,2&id={}&id=9999&status=active",
            key(3)
        ))
        .await;
    let indices: Vec<&str> = v["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["index"].as_str().unwrap())
        .collect();
    assert_eq!(indices, ["1", "2", "3"]);
    let v = http
        .get_ok("/eth/v1/beacon/states/head/validators?status=exited,pending_queued")
        .await;
    assert_eq!(v["data"], json!([]));
    let a = http
        .post(
            "/eth/v1/beacon/states/head/validators",
            json!({"ids": ["4", key(5)], "statuses": ["active_ongoing"]}),
        )
        .await;
    assert_eq!(a.status, StatusCode::OK);
    assert_eq!(a.json()["data"].as_array().unwrap().len(), 2);
    let a = http
        .post(
            "/eth/v1/beacon/states/head/validators",
            json!({"ids": null}),
        )
        .await;
    assert_eq!(
        a.json()["data"].as_array().unwrap().len(),
        VALIDATORS as usize
    );

    for id in ["7".to_owned(), key(7)] {
        let v = http
            .get_ok(&format!("/eth/v1/beacon/states/finalized/validators/{id}"))
            .await;
        assert_eq!(v["data"]["index"], "7");
        assert_eq!(v["finalized"], true);
    }

    let v = http
        .get_ok("/eth/v1/beacon/states/head/validator_balances?id=0&id=63")
        .await;
    assert_eq!(
        v["data"],
        json!([
            {"index": "0", "balance": state.balances[0].as_u64().to_string()},
            {"index": "63", "balance": state.balances[63].as_u64().to_string()},
        ])
    );
    let a = http
        .post(
            "/eth/v1/beacon/states/head/validator_balances",
            json!([key(2)]),
        )
        .await;
    assert_eq!(a.json()["data"][0]["index"], "2");
    let v = http
        .get_ok("/eth/v1/beacon/states/head/validator_balances")
        .await;
    assert_eq!(v["data"].as_array().unwrap().len(), VALIDATORS as usize);
}

#[tokio::test]
async fn node_and_config_endpoints() {
    let store = shared_store();
    let (addr, _stop) = start(store.clone()).await;
    let http = Http::new(addr);

    let v = http.get_ok("/eth/v1/node/syncing").await;
    assert_eq!(
        v["data"],
        json!({"head_slot": SHARED_SLOTS.to_string(), "sync_distance": "0", "is_syncing": false,
               "is_optimistic": false, "el_offline": false})
    );
    let v = http.get_ok("/eth/v1/node/version").await;
    assert!(v["data"]["version"]
        .as_str()
        .unwrap()
        .starts_with("lsv-devnet/v"));
    assert_eq!(http.get("/eth/v1/node/health").await.status, StatusCode::OK);
    http.get("/eth/v1/node/health?syncing_status=42")
        .await
        .error(StatusCode::BAD_REQUEST);

    let spec = http.get_ok("/eth/v1/config/spec").await;
    let d = &spec["data"];
    for (k, want) in [
        ("PRESET_BASE", "minimal"),
        ("SECONDS_PER_SLOT", "6"),
        ("SLOTS_PER_EPOCH", "8"),
        ("SLOTS_PER_HISTORICAL_ROOT", "64"),
        ("SYNC_COMMITTEE_SIZE", "32"),
        ("GENESIS_FORK_VERSION", "0x00000001"),
        ("ALTAIR_FORK_VERSION", "0x01000001"),
        ("DENEB_FORK_VERSION", "0x04000001"),
        ("ELECTRA_FORK_VERSION", "0x05000001"),
        ("ELECTRA_FORK_EPOCH", "0"),
        ("FULU_FORK_EPOCH", "18446744073709551615"),
        ("SHARD_COMMITTEE_PERIOD", "64"),
        ("MAX_EFFECTIVE_BALANCE_ELECTRA", "2048000000000"),
        ("DOMAIN_VOLUNTARY_EXIT", "0x04000000"),
        (
            "DEPOSIT_CONTRACT_ADDRESS",
            "0x4242424242424242424242424242424242424242",
        ),
        ("DEPOSIT_CHAIN_ID", "31337"),
    ] {
        assert_eq!(d[k], want, "{k}");
    }
    assert!(d
        .as_object()
        .unwrap()
        .values()
        .all(|v| v.is_string() || v.is_array()));

    let v = http.get_ok("/eth/v1/config/fork_schedule").await;
    let forks = v["data"].as_array().unwrap();
    assert_eq!(forks.len(), 6, "phase0 to electra, all at genesis");
    assert_eq!(
        forks[5],
        json!({"previous_version": "0x04000001", "current_version": "0x05000001", "epoch": "0"})
    );
    let v = http.get_ok("/eth/v1/config/deposit_contract").await;
    assert_eq!(v["data"]["chain_id"], "31337");
}

#[tokio::test]
async fn bad_ids_are_400_and_missing_things_404() {
    let store = shared_store();
    let (addr, _stop) = start(store).await;
    let http = Http::new(addr);
    for path in [
        "/eth/v2/beacon/blocks/current",
        "/eth/v1/beacon/headers/0x1234",
        "/eth/v1/beacon/headers/-1",
        "/eth/v1/beacon/blocks/18446744073709551616/root",
        "/eth/v1/beacon/states/Head/root",
        "/eth/v1/beacon/states/head/validators/0x1234",
        "/eth/v1/beacon/states/head/validators/one",
        "/eth/v1/beacon/states/head/validators?id=x",
        "/eth/v1/beacon/states/head/validators?status=sleeping",
        "/eth/v1/beacon/headers?slot=x",
        "/eth/v1/events",
        "/eth/v1/events?topics=block",
    ] {
        let message = http.get(path).await.error(StatusCode::BAD_REQUEST);
        assert!(!message.is_empty(), "{path}");
    }
    let m = http
        .get("/eth/v2/beacon/blocks/current")
        .await
        .error(StatusCode::BAD_REQUEST);
    assert_eq!(m, "Invalid block ID: current");
    let many: Vec<String> = (0..65).map(|i| format!("id={i}")).collect();
    http.get(&format!(
        "/eth/v1/beacon/states/head/validators?{}",
        many.join("&")
    ))
    .await
    .error(StatusCode::URI_TOO_LONG);
    let a = http
        .post("/eth/v1/beacon/states/head/validators", json!({"ids": [1]}))
        .await;
    a.error(StatusCode::BAD_REQUEST);

    let unknown = format!("0x{}", "ab".repeat(32));
    for path in [
        "/eth/v2/beacon/blocks/1000".to_owned(),
        format!("/eth/v2/beacon/blocks/{unknown}"),
        format!("/eth/v1/beacon/headers/{unknown}"),
        format!("/eth/v1/beacon/states/{unknown}/root"),
        "/eth/v1/beacon/states/1000/root".to_owned(),
        "/eth/v1/beacon/states/head/validators/64".to_owned(),
        format!(
            "/eth/v1/beacon/states/head/validators/0x{}",
            "cd".repeat(48)
        ),
        "/eth/v1/no/such/endpoint".to_owned(),
    ] {
        http.get(&path).await.error(StatusCode::NOT_FOUND);
    }
    let m = http
        .get("/eth/v1/beacon/states/head/validators/64")
        .await
        .error(StatusCode::NOT_FOUND);
    assert_eq!(m, "Validator not found");
    let m = http
        .get(&format!("/eth/v1/beacon/states/{unknown}/root"))
        .await
        .error(StatusCode::NOT_FOUND);
    assert!(m.contains("keeps the states of the last 1024 slots"), "{m}");
    // The keeper's client names a missed or future slot as such.
    let client = BeaconClient::new(&format!("http://{addr}")).unwrap();
    let e = client
        .header(BlockId::Slot(Slot::new(1000)))
        .await
        .unwrap_err();
    assert!(e.is_not_found(), "{e}");
}

/// An exit for `index` at `epoch`, signed by `signer`'s interop key (EIP-7044: Capella's domain).
fn signed_exit(store: &Store<P>, index: u64, epoch: u64, signer: u64) -> SignedVoluntaryExit {
    let message = VoluntaryExit {
        epoch: Epoch::new(epoch),
        validator_index: index,
    };
    let domain = compute_domain(
        domain::VOLUNTARY_EXIT,
        store.spec().config.capella_fork_version,
        store.genesis_validators_root(),
    );
    let root = compute_signing_root(message.tree_hash_root(), domain);
    let signature = interop_secret_key(signer).sign(root.as_slice(), lsv_consensus::BLS_DST, &[]);
    SignedVoluntaryExit {
        message,
        signature: lsv_consensus::SignatureBytes(signature.to_bytes()),
    }
}

/// The next `event:`/`data:` pair of an SSE body, reading frames as they come.
async fn next_event(body: &mut hyper::body::Incoming, buffer: &mut String) -> (String, Value) {
    loop {
        while let Some(end) = buffer.find("\n\n") {
            let chunk: String = buffer.drain(..end + 2).collect();
            let field = |name: &str| {
                chunk
                    .lines()
                    .find_map(|l| l.strip_prefix(name))
                    .map(|v| v.trim_start().to_owned())
            };
            if let (Some(event), Some(data)) = (field("event:"), field("data:")) {
                return (event, serde_json::from_str(&data).unwrap());
            }
        }
        let frame = tokio::time::timeout(Duration::from_secs(60), body.frame())
            .await
            .expect("an event within a minute")
            .expect("the stream is open")
            .unwrap();
        if let Ok(data) = frame.into_data() {
            buffer.push_str(std::str::from_utf8(&data).unwrap());
        }
    }
}

#[tokio::test]
async fn an_exit_is_checked_pooled_and_included_while_heads_stream() {
    // Exits are allowed at once (SHARD_COMMITTEE_PERIOD 0), so a short chain will do.
    let config = Config {
        shard_committee_period: 0,
        ..Config::minimal()
    };
    let mut node = devnet(config);
    for slot in 1..=2 {
        node.run_slot(slot).unwrap();
    }
    let store = node.store();
    let (addr, stop) = start(store.clone()).await;
    let http = Http::new(addr);

    // Subscribe first: heads from slot 3 on.
    let request = Request::get(format!("http://{addr}/eth/v1/events?topics=head"))
        .header(ACCEPT, "text/event-stream")
        .body(Full::new(Bytes::new()))
        .unwrap();
    let response = http.client.request(request).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()[CONTENT_TYPE], "text/event-stream");
    let mut events = response.into_body();

    let (exit, wrong_key, future, unknown) = {
        let s = store.read();
        (
            signed_exit(&s, 7, 0, 7),
            signed_exit(&s, 7, 0, 8),
            signed_exit(&s, 7, 5, 7),
            signed_exit(&s, 1000, 0, 7),
        )
    };
    let pool = "/eth/v1/beacon/pool/voluntary_exits";
    for bad in [
        json!(wrong_key),
        json!(future),
        json!(unknown),
        json!({"message": {"epoch": "0"}}),
    ] {
        let m = http
            .post(pool, bad.clone())
            .await
            .error(StatusCode::BAD_REQUEST);
        assert!(
            m.starts_with("Invalid") || m.starts_with("invalid"),
            "{bad}: {m}"
        );
    }
    let m = http
        .post(pool, json!(wrong_key))
        .await
        .error(StatusCode::BAD_REQUEST);
    assert!(m.contains("signature"), "{m}");
    assert_eq!(http.get_ok(pool).await["data"], json!([]));
    for _ in 0..2 {
        assert_eq!(http.post(pool, json!(exit)).await.status, StatusCode::OK);
    }
    assert_eq!(http.get_ok(pool).await["data"], json!([exit]));

    // The node's next block carries it, and the rest of epoch 0 and the first slot of epoch 1
    // stream their heads.
    let mut node = tokio::task::spawn_blocking(move || {
        for slot in 3..=8 {
            node.run_slot(slot).unwrap();
        }
        node
    })
    .await
    .unwrap();
    let included = store
        .read()
        .block_at(3)
        .unwrap()
        .block
        .message
        .body
        .voluntary_exits
        .to_vec();
    assert_eq!(included, vec![exit]);
    assert_eq!(http.get_ok(pool).await["data"], json!([]));
    let v = http.get_ok("/eth/v1/beacon/states/head/validators/7").await;
    assert_eq!(v["data"]["status"], "active_exiting");
    let m = http
        .post(pool, json!(exit))
        .await
        .error(StatusCode::BAD_REQUEST);
    assert!(m.contains("already exiting"), "{m}");

    let mut buffer = String::new();
    for slot in 3..=8u64 {
        let (event, data) = next_event(&mut events, &mut buffer).await;
        assert_eq!(event, "head");
        let s = store.read();
        let block = s.block_at(slot).unwrap();
        assert_eq!(data["slot"], slot.to_string());
        assert_eq!(data["block"], block.root.to_string());
        assert_eq!(data["state"], s.state_at(slot).unwrap().0.to_string());
        assert_eq!(data["epoch_transition"], slot == 8);
        assert_eq!(data["execution_optimistic"], false);
        let genesis = s.block_at(0).unwrap().root.to_string();
        assert_eq!(data["previous_duty_dependent_root"], genesis);
        let current = if slot == 8 {
            s.block_at(7).unwrap().root.to_string()
        } else {
            genesis
        };
        assert_eq!(data["current_duty_dependent_root"], current, "slot {slot}");
    }

    // Shutting down ends the open stream, and the server.
    node.run_slot(9).unwrap();
    stop.send(()).unwrap();
    let rest = tokio::time::timeout(Duration::from_secs(30), async {
        while let Some(frame) = events.frame().await {
            if frame.is_err() {
                break;
            }
        }
    })
    .await;
    assert!(rest.is_ok(), "the event stream ends at shutdown");
}
