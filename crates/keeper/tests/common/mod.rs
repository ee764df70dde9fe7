//! A test beacon node: an axum server on 127.0.0.1:0 serving a small chain of real SSZ blocks
//! and states exactly as the standard beacon API does (JSON genesis and headers;
//! `application/octet-stream` blocks and states with `Eth-Consensus-Version`; 404 with a JSON
//! `message` for missed slots and unknown roots), with switches for misbehaviour.
//!
//! The chain is built from the consensus-spec vectors `lsv-proofs` tests with (the Electra
//! genesis state and block body, `crates/proofs/tests/common`), as `withdrawal_proof.rs` does:
//!
//! | slot | what |
//! |---|---|
//! | `HIST_SLOT` (period 1300) | a block with 16 withdrawals, reached via `historical_summaries` |
//! | `period_state_slot(HIST_SLOT)` | a state whose `block_roots` are that period's |
//! | `BR_SLOT` = A − 100 | a block with 16 withdrawals, in the anchor state's `block_roots` |
//! | `BR_SLOT + 1` | a block whose parent is **not** `BR_SLOT`'s (so `BR_SLOT` has no child) |
//! | A = `ANCHOR_SLOT` | the anchor block (withdrawals too), `finalized`; its post-state is served |
//! | A + 1 | missed |
//! | A + 2 | the anchor's child (`head`): its payload timestamp is what 4788 needs |
#![allow(dead_code)]

#[path = "../../../proofs/tests/common/mod.rs"]
pub(crate) mod proofs_common;

use alloy_primitives::{Address, B256, U256};
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use lsv_consensus::containers::BeaconBlockHeader;
use lsv_consensus::{Gwei, Mainnet, Network, SignatureBytes, Slot, Version};
use lsv_keeper::prove::{period_state_slot, VerifierConfig};
use lsv_proofs::block::{BeaconBlock, BeaconBlockBody, SignedBeaconBlock, Withdrawal};
use lsv_proofs::merkle::MerkleTree;
use lsv_proofs::state::{electra, HistoricalSummary};
use lsv_proofs::{AnyBeaconState, StateProver};
use ssz::{Decode, Encode};
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, OnceLock};
use tree_hash::TreeHash;

/// Mainnet's first Capella slot (`VerifierConfig::of_network(&mainnet)` gives the same).
pub(crate) const CAPELLA_SLOT: u64 = 194_048 * 32;
pub(crate) const ANCHOR_SLOT: u64 = 11_000_000;
pub(crate) const BR_SLOT: u64 = ANCHOR_SLOT - 100;
pub(crate) const HIST_SLOT: u64 = 1300 * 8192 + 77;
pub(crate) const CHILD_SLOT: u64 = ANCHOR_SLOT + 2;
/// The first slot of Gloas in [`TestChain::build_fork`]`("gloas")`: after the `block_roots`
/// route's block, before the anchor.
pub(crate) const GLOAS_SLOT: u64 = ANCHOR_SLOT - 32;
/// In the Gloas chain, the slot of the state that lists a withdrawal to `C`, paid by the anchor.
pub(crate) const PAID_SLOT: u64 = ANCHOR_SLOT - 5;
/// That withdrawal's global index.
pub(crate) const PAID_INDEX: u64 = 500;
/// The contract withdrawals are paid to.
pub(crate) const C: Address = Address::repeat_byte(0xc0);
pub(crate) const ELECTRA: Version = Version([5, 0, 0, 0]);

/// The slot of the (Electra) state holding the `block_roots` of [`HIST_SLOT`]'s period.
pub(crate) fn period_state_slot_of_hist() -> Slot {
    period_state_slot(Slot::new(HIST_SLOT), 8192)
}

/// Mainnet's fork schedule with the vector state's genesis: the network the test chain is on.
pub(crate) fn network() -> Network {
    let s = proofs_common::mainnet_state();
    Network {
        name: "lsv-test".into(),
        genesis_time: s.genesis_time,
        genesis_validators_root: s.genesis_validators_root,
        ..Network::mainnet()
    }
}

pub(crate) fn verifier() -> VerifierConfig {
    VerifierConfig::of_network(&network())
}

/// A devnet `config.yaml` for [`network`] (what `lsv --network FILE` reads).
pub(crate) fn network_config_yaml() -> String {
    let n = network();
    let mut out = format!(
        "CONFIG_NAME: lsv-test\nGENESIS_TIME: {}\nGENESIS_VALIDATORS_ROOT: \"{}\"\n\
         GENESIS_FORK_VERSION: \"{}\"\nSECONDS_PER_SLOT: 12\nDEPOSIT_CHAIN_ID: 1\n\
         DEPOSIT_CONTRACT_ADDRESS: \"{}\"\n",
        n.genesis_time,
        n.genesis_validators_root,
        n.genesis_fork_version.to_hex(),
        n.deposit_contract,
    );
    for (fork, (epoch, version)) in &n.forks {
        out.push_str(&format!(
            "{f}_FORK_EPOCH: {e}\n{f}_FORK_VERSION: \"{v}\"\n",
            f = fork.as_upper(),
            e = epoch.as_u64(),
            v = version.to_hex()
        ));
    }
    out
}

fn vector_body() -> BeaconBlockBody<Mainnet> {
    let path = proofs_common::data_dir().join(
        "light_client/mainnet/electra/light_client/single_merkle_proof/BeaconBlockBody/execution_merkle_proof/object.ssz",
    );
    BeaconBlockBody::from_ssz_bytes(&std::fs::read(path).unwrap()).unwrap()
}

/// A block at `slot` on `parent` whose payload has 16 withdrawals (every third to `C`) and the
/// timestamp `process_execution_payload` requires (`genesis_time + slot · 12`).
pub(crate) fn block_at(slot: u64, parent: B256, salt: u8) -> BeaconBlock<Mainnet> {
    let mut body = vector_body();
    let p = &mut body.execution_payload;
    p.block_number = slot / 2 + u64::from(salt);
    p.timestamp = network().genesis_time + slot * 12;
    p.extra_data = vec![salt; 5].try_into().unwrap();
    let first = slot * 16 + 1_000;
    p.withdrawals = (0..16u64)
        .map(|j| Withdrawal {
            index: first + j,
            validator_index: 100 + j * 7 + u64::from(salt),
            address: if j % 3 == 0 {
                C
            } else {
                Address::repeat_byte(j as u8 + 1)
            },
            amount: Gwei::new(32_000_000_000 + j * 1_000_003),
        })
        .collect::<Vec<_>>()
        .try_into()
        .unwrap();
    body.graffiti = B256::repeat_byte(salt);
    BeaconBlock {
        slot: Slot::new(slot),
        proposer_index: 7 + u64::from(salt),
        parent_root: parent,
        state_root: B256::repeat_byte(0x22 ^ salt),
        body,
    }
}

/// The vector Electra state at `slot`, edited.
fn state_at(
    slot: u64,
    edit: impl FnOnce(&mut electra::BeaconState<Mainnet>),
) -> electra::BeaconState<Mainnet> {
    let mut s = proofs_common::mainnet_state().clone();
    s.slot = Slot::new(slot);
    s.fork.current_version = ELECTRA;
    for (i, r) in s.block_roots.iter_mut().enumerate() {
        *r = B256::from(U256::from(i as u64 * 0x9e37_79b9 + 1));
    }
    for (i, b) in s.balances.iter_mut().enumerate() {
        *b = Gwei::new(31_000_000_000 + i as u64 * 1_234_567);
    }
    edit(&mut s);
    s
}

/// One block the node serves.
#[derive(Clone)]
pub(crate) struct Served {
    pub fork: &'static str,
    pub block: SignedBeaconBlock<Mainnet>,
    pub root: B256,
    pub canonical: bool,
}

/// The chain the node serves.
pub(crate) struct TestChain {
    pub genesis_time: u64,
    pub genesis_validators_root: B256,
    /// Canonical blocks by slot.
    pub by_slot: BTreeMap<u64, Served>,
    /// Every block (canonical or not) by root.
    pub by_root: HashMap<B256, Served>,
    /// States: (fork, SSZ) by state root, and the state root of a slot.
    pub states: HashMap<B256, (&'static str, Vec<u8>)>,
    pub state_at_slot: HashMap<u64, B256>,
    pub anchor_root: B256,
    pub anchor_state_root: B256,
    pub head_slot: u64,
    /// The period's block roots (for assertions).
    pub period_roots: Vec<B256>,
    /// An orphaned block (served by root, `canonical: false`).
    pub orphan_root: B256,
}

impl TestChain {
    /// `fulu`: the anchor state (and the blocks' `Eth-Consensus-Version`) in the Fulu layout.
    pub(crate) fn build(fulu: bool) -> Self {
        Self::build_fork(if fulu { "fulu" } else { "electra" })
    }

    /// The chain with its anchor state (and the blocks' `Eth-Consensus-Version`) in the layout
    /// of `fork`: `electra`, `fulu`, or `gloas` (the same registry in the progressive layout,
    /// `BeaconState::from_electra`, forked at [`GLOAS_SLOT`]; its blocks from then on are served
    /// with the Gloas version but in the Electra shape, which the keeper does not decode).
    pub(crate) fn build_fork(fork: &'static str) -> Self {
        let fulu = fork == "fulu";
        let sign = |m: BeaconBlock<Mainnet>| SignedBeaconBlock {
            message: m,
            signature: SignatureBytes([0x5a; 96]),
        };
        // The historical period's block and the state holding its block_roots.
        let hist = block_at(HIST_SLOT, B256::repeat_byte(0x31), 1);
        let hist_root = hist.tree_hash_root();
        let mut period_roots: Vec<B256> = (0..8192u64)
            .map(|i| B256::from(U256::from(i * 7 + 3)))
            .collect();
        period_roots[(HIST_SLOT % 8192) as usize] = hist_root;
        let period_slot = period_state_slot_of_hist().as_u64();
        let period_state = state_at(period_slot, |s| {
            for (r, p) in s.block_roots.iter_mut().zip(&period_roots) {
                *r = *p;
            }
        });
        let period_state_root = period_state.tree_hash_root();
        // The block_roots route's block, and a block after it on another parent.
        let br = block_at(BR_SLOT, B256::repeat_byte(0x41), 2);
        let br_root = br.tree_hash_root();
        let after_br = block_at(BR_SLOT + 1, B256::repeat_byte(0x42), 3);
        // The anchor state.
        let summary_root = MerkleTree::new(period_roots.clone(), 13).root();
        let first = CAPELLA_SLOT / 8192;
        let k = HIST_SLOT / 8192 - first;
        let anchor_state = state_at(ANCHOR_SLOT, |s| {
            s.block_roots[(BR_SLOT % 8192) as usize] = br_root;
            for i in 0..(ANCHOR_SLOT / 8192 - first) {
                s.historical_summaries
                    .push(HistoricalSummary {
                        block_summary_root: if i == k {
                            summary_root
                        } else {
                            B256::repeat_byte((i % 251) as u8)
                        },
                        state_summary_root: B256::from(U256::from(i + 5)),
                    })
                    .unwrap();
            }
        });
        let mut gloas_paid = None;
        let (anchor_state_root, anchor_state_bytes) = if fulu {
            let s = proofs_common::to_fulu(&anchor_state);
            (s.tree_hash_root(), s.as_ssz_bytes())
        } else if fork == "gloas" {
            let gloas = lsv_proofs::state::gloas::BeaconState::from_electra(
                anchor_state,
                lsv_consensus::containers::Fork {
                    previous_version: Version([6, 0, 0, 0]),
                    current_version: Version([7, 0, 0, 0]),
                    epoch: lsv_consensus::Epoch::new(GLOAS_SLOT / 32),
                },
            );
            // Validator 3 exited and became withdrawable at the fork; the sweep reaches it at
            // PAID_SLOT, whose state lists its withdrawal to C (and debits its balance to 0); by
            // the anchor that payload has been delivered: the anchor's state_roots hold that
            // state, and its watermark is past it.
            let mut gloas = gloas;
            gloas.validators.0[3].exit_epoch = lsv_consensus::Epoch::new(GLOAS_SLOT / 32 - 256);
            gloas.validators.0[3].withdrawable_epoch = lsv_consensus::Epoch::new(GLOAS_SLOT / 32);
            gloas.balances.0[3] = Gwei::new(0);
            let mut paid = gloas.clone();
            paid.slot = Slot::new(PAID_SLOT);
            paid.payload_expected_withdrawals.0 =
                vec![lsv_consensus::containers::gloas::Withdrawal {
                    index: PAID_INDEX,
                    validator_index: 3,
                    address: C,
                    amount: 32_000_000_000,
                }]
                .try_into()
                .unwrap();
            paid.next_withdrawal_index = PAID_INDEX + 1;
            let paid_root = paid.tree_hash_root();
            let mut s = gloas;
            s.state_roots[(PAID_SLOT % 8192) as usize] = paid_root;
            s.next_withdrawal_index = PAID_INDEX + 1;
            gloas_paid = Some((paid_root, paid.as_ssz_bytes()));
            (s.tree_hash_root(), s.as_ssz_bytes())
        } else {
            (anchor_state.tree_hash_root(), anchor_state.as_ssz_bytes())
        };
        // The anchor block and its child across a missed slot.
        let mut anchor = block_at(ANCHOR_SLOT, after_br.tree_hash_root(), 4);
        anchor.state_root = anchor_state_root;
        let anchor_root = anchor.tree_hash_root();
        let child = block_at(CHILD_SLOT, anchor_root, 5);
        let orphan = block_at(ANCHOR_SLOT - 50, B256::repeat_byte(0x51), 6);
        let orphan_root = orphan.tree_hash_root();

        let mut by_slot = BTreeMap::new();
        let mut by_root = HashMap::new();
        for (m, canonical) in [
            (hist, true),
            (br, true),
            (after_br, true),
            (anchor, true),
            (child, true),
            (orphan, false),
        ] {
            // A Gloas chain's blocks before the fork are Fulu's.
            let slot = m.slot.as_u64();
            let served = Served {
                fork: if fork == "gloas" && slot < GLOAS_SLOT {
                    "fulu"
                } else {
                    fork
                },
                root: m.tree_hash_root(),
                block: sign(m),
                canonical,
            };
            if canonical {
                by_slot.insert(served.block.message.slot.as_u64(), served.clone());
            }
            by_root.insert(served.root, served);
        }
        let mut states = HashMap::new();
        states.insert(anchor_state_root, (fork, anchor_state_bytes));
        states.insert(period_state_root, ("electra", period_state.as_ssz_bytes()));
        let mut state_at_slot = HashMap::from([
            (ANCHOR_SLOT, anchor_state_root),
            (period_slot, period_state_root),
        ]);
        if let Some((root, bytes)) = gloas_paid {
            states.insert(root, ("gloas", bytes));
            state_at_slot.insert(PAID_SLOT, root);
        }
        Self {
            genesis_time: network().genesis_time,
            genesis_validators_root: network().genesis_validators_root,
            by_slot,
            by_root,
            states,
            state_at_slot,
            anchor_root,
            anchor_state_root,
            head_slot: CHILD_SLOT,
            period_roots,
            orphan_root,
        }
    }

    /// The Electra chain, built once per test binary.
    pub(crate) fn electra() -> Arc<Self> {
        static C: OnceLock<Arc<TestChain>> = OnceLock::new();
        C.get_or_init(|| Arc::new(Self::build(false))).clone()
    }

    pub(crate) fn block(&self, slot: u64) -> &Served {
        &self.by_slot[&slot]
    }

    /// The anchor's post-state, hashed.
    pub(crate) fn anchor_prover(&self) -> StateProver<Mainnet> {
        let (fork, bytes) = &self.states[&self.anchor_state_root];
        let fork = lsv_consensus::ForkName::from_upper(fork).unwrap();
        StateProver::new(AnyBeaconState::from_ssz_bytes(fork, bytes).unwrap())
    }

    pub(crate) fn anchor_header(&self) -> BeaconBlockHeader {
        self.block(ANCHOR_SLOT).block.message.header()
    }

    fn resolve_block(&self, id: &str) -> Option<&Served> {
        match id {
            "head" => self.by_slot.get(&self.head_slot),
            "finalized" => self.by_slot.get(&ANCHOR_SLOT),
            "genesis" => None,
            _ if id.starts_with("0x") => self.by_root.get(&id.parse::<B256>().ok()?),
            _ => self.by_slot.get(&id.parse::<u64>().ok()?),
        }
    }

    fn resolve_state(&self, id: &str) -> Option<&(&'static str, Vec<u8>)> {
        let root = match id {
            "head" | "finalized" | "justified" => self.anchor_state_root,
            _ if id.starts_with("0x") => id.parse::<B256>().ok()?,
            _ => *self.state_at_slot.get(&id.parse::<u64>().ok()?)?,
        };
        self.states.get(&root)
    }
}

/// Ways the node misbehaves.
#[derive(Clone, Debug, Default)]
pub(crate) struct Faults {
    /// Answer SSZ requests with JSON (as a node without SSZ support does).
    pub ignore_accept: bool,
    /// Send this `Eth-Consensus-Version` instead of the real one.
    pub fork_header: Option<String>,
    /// Send no `Eth-Consensus-Version`.
    pub no_fork_header: bool,
    /// Answer state requests with this status and JSON message.
    pub state_error: Option<(u16, String)>,
    /// Cut every SSZ body in half.
    pub truncate_ssz: bool,
    /// Say the genesis is another chain's.
    pub wrong_genesis: bool,
}

pub(crate) struct Node {
    pub chain: Arc<TestChain>,
    pub faults: Mutex<Faults>,
    /// Every path requested, in order.
    pub requests: Mutex<Vec<String>>,
}

/// A running test node.
pub(crate) struct TestNode {
    pub url: String,
    pub node: Arc<Node>,
}

impl TestNode {
    pub(crate) async fn start(chain: Arc<TestChain>) -> Self {
        Self::start_with(chain, Faults::default()).await
    }

    pub(crate) async fn start_with(chain: Arc<TestChain>, faults: Faults) -> Self {
        let node = Arc::new(Node {
            chain,
            faults: Mutex::new(faults),
            requests: Mutex::new(Vec::new()),
        });
        let app = Router::new()
            .route("/eth/v1/beacon/genesis", get(genesis))
            .route("/eth/v1/beacon/headers/{block_id}", get(headers))
            .route("/eth/v2/beacon/blocks/{block_id}", get(blocks))
            .route("/eth/v2/debug/beacon/states/{state_id}", get(states))
            .route(
                "/eth/v1/beacon/states/{state_id}/validators/{id}",
                get(validator),
            )
            .route("/eth/v1/config/spec", get(spec))
            .with_state(node.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await });
        Self {
            url: format!("http://{addr}"),
            node,
        }
    }

    pub(crate) fn requests(&self) -> Vec<String> {
        self.node.requests.lock().unwrap().clone()
    }

    pub(crate) fn client(&self) -> lsv_keeper::BeaconClient {
        lsv_keeper::BeaconClient::new(&self.url).unwrap()
    }
}

fn json(status: StatusCode, value: serde_json::Value) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        value.to_string(),
    )
        .into_response()
}

/// The beacon API's error body.
fn error(status: StatusCode, message: String) -> Response {
    json(
        status,
        serde_json::json!({"code": status.as_u16(), "message": message}),
    )
}

fn log(node: &Node, path: String) {
    node.requests.lock().unwrap().push(path);
}

async fn genesis(State(node): State<Arc<Node>>) -> Response {
    log(&node, "/eth/v1/beacon/genesis".into());
    let c = &node.chain;
    let root = if node.faults.lock().unwrap().wrong_genesis {
        B256::repeat_byte(0xee)
    } else {
        c.genesis_validators_root
    };
    json(
        StatusCode::OK,
        serde_json::json!({"data": {
            "genesis_time": c.genesis_time.to_string(),
            "genesis_validators_root": root.to_string(),
            "genesis_fork_version": "0x00000000",
        }}),
    )
}

/// The node's config, for the chain's `SECONDS_PER_SLOT`; only a Gloas chain's node serves it
/// (the others are the nodes without the endpoint, taken to be mainnet).
async fn spec(State(node): State<Arc<Node>>) -> Response {
    log(&node, "/eth/v1/config/spec".into());
    let gloas = node.chain.states.values().any(|(fork, _)| *fork == "gloas");
    if !gloas {
        return error(StatusCode::NOT_FOUND, "no config".into());
    }
    json(
        StatusCode::OK,
        serde_json::json!({"data": {"PRESET_BASE": "mainnet", "SECONDS_PER_SLOT": "12"}}),
    )
}

async fn headers(State(node): State<Arc<Node>>, Path(id): Path<String>) -> Response {
    log(&node, format!("/eth/v1/beacon/headers/{id}"));
    let Some(b) = node.chain.resolve_block(&id) else {
        return error(
            StatusCode::NOT_FOUND,
            format!("NOT_FOUND: beacon block {id}"),
        );
    };
    let h = b.block.message.header();
    json(
        StatusCode::OK,
        serde_json::json!({
            "execution_optimistic": false,
            "finalized": b.block.message.slot.as_u64() <= ANCHOR_SLOT,
            "data": {
                "root": b.root.to_string(),
                "canonical": b.canonical,
                "header": {"message": h, "signature": b.block.signature},
            }
        }),
    )
}

/// An SSZ answer as the beacon API sends it, or JSON if the node ignores `Accept` (or the
/// client did not ask for SSZ).
fn ssz(node: &Node, request: &HeaderMap, fork: &str, mut bytes: Vec<u8>) -> Response {
    let faults = node.faults.lock().unwrap().clone();
    let wants_ssz = request
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| a.contains("application/octet-stream"));
    if faults.ignore_accept || !wants_ssz {
        return json(
            StatusCode::OK,
            serde_json::json!({"version": fork, "data": {}}),
        );
    }
    if faults.truncate_ssz {
        bytes.truncate(bytes.len() / 2);
    }
    let mut builder = Response::builder()
        .status(StatusCode::OK)
        .header(header::CONTENT_TYPE, "application/octet-stream");
    if !faults.no_fork_header {
        builder = builder.header(
            "Eth-Consensus-Version",
            faults.fork_header.as_deref().unwrap_or(fork),
        );
    }
    builder.body(axum::body::Body::from(bytes)).unwrap()
}

async fn blocks(
    State(node): State<Arc<Node>>,
    Path(id): Path<String>,
    request: HeaderMap,
) -> Response {
    log(&node, format!("/eth/v2/beacon/blocks/{id}"));
    let Some(b) = node.chain.resolve_block(&id) else {
        return error(
            StatusCode::NOT_FOUND,
            format!("NOT_FOUND: beacon block {id}"),
        );
    };
    ssz(&node, &request, b.fork, b.block.as_ssz_bytes())
}

/// A validator's entry and balance: in the state of a known slot, or for any other slot, that
/// of the latest known state before it (the test chain changes nothing in between).
async fn validator(
    State(node): State<Arc<Node>>,
    Path((state_id, id)): Path<(String, String)>,
) -> Response {
    log(
        &node,
        format!("/eth/v1/beacon/states/{state_id}/validators/{id}"),
    );
    let c = &node.chain;
    let found = match state_id.parse::<u64>() {
        Ok(slot) => c
            .state_at_slot
            .iter()
            .filter(|(s, _)| **s <= slot)
            .max_by_key(|(s, _)| **s)
            .and_then(|(_, root)| c.states.get(root)),
        Err(_) => c.resolve_state(&state_id),
    };
    let (Some((fork, bytes)), Ok(index)) = (found, id.parse::<usize>()) else {
        return error(
            StatusCode::NOT_FOUND,
            format!("NOT_FOUND: state {state_id}"),
        );
    };
    let (validator, balance) = if *fork == "gloas" {
        let s = lsv_proofs::state::gloas::BeaconState::<Mainnet>::decode(bytes.clone()).unwrap();
        (
            s.validators.0.get(index).cloned(),
            s.balances.0.get(index).copied(),
        )
    } else {
        let name = if *fork == "fulu" {
            lsv_consensus::ForkName::Fulu
        } else {
            lsv_consensus::ForkName::Electra
        };
        let s = AnyBeaconState::<Mainnet>::from_ssz_bytes(name, bytes).unwrap();
        (
            s.validators().get(index).cloned(),
            s.balances().get(index).copied(),
        )
    };
    let (Some(validator), Some(balance)) = (validator, balance) else {
        return error(StatusCode::NOT_FOUND, format!("NOT_FOUND: validator {id}"));
    };
    json(
        StatusCode::OK,
        serde_json::json!({"data": {
            "index": index.to_string(),
            "balance": balance.as_u64().to_string(),
            "status": if balance.as_u64() == 0 { "withdrawal_done" } else { "active_ongoing" },
            "validator": validator,
        }}),
    )
}

async fn states(
    State(node): State<Arc<Node>>,
    Path(id): Path<String>,
    request: HeaderMap,
) -> Response {
    log(&node, format!("/eth/v2/debug/beacon/states/{id}"));
    if let Some((status, message)) = node.faults.lock().unwrap().state_error.clone() {
        return error(StatusCode::from_u16(status).unwrap(), message);
    }
    let Some((fork, bytes)) = node.chain.resolve_state(&id) else {
        return error(StatusCode::NOT_FOUND, format!("NOT_FOUND: state {id}"));
    };
    ssz(&node, &request, fork, bytes.clone())
}
