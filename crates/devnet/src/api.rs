//! The devnet's beacon API: the part of the standard Beacon API
//! (<https://github.com/ethereum/beacon-APIs>) that a keeper and a validator client use, served
//! over the node's [`Store`] with axum.
//!
//! | endpoint | answer |
//! |---|---|
//! | `GET /eth/v1/beacon/genesis` | genesis time, validators root, `GENESIS_FORK_VERSION` |
//! | `GET /eth/v1/beacon/headers/{block_id}` | root and signed header |
//! | `GET /eth/v1/beacon/headers` | the head's, or by `slot` / `parent_root` |
//! | `GET /eth/v2/beacon/blocks/{block_id}` | JSON or SSZ (`Accept`), `Eth-Consensus-Version` |
//! | `GET /eth/v1/beacon/blocks/{block_id}/root` | the block root |
//! | `GET /eth/v2/debug/beacon/states/{state_id}` | SSZ only, `Eth-Consensus-Version` |
//! | `GET /eth/v1/beacon/states/{state_id}/root`, `/fork`, `/finality_checkpoints` | JSON |
//! | `GET /eth/v1/beacon/states/{state_id}/pending_deposits` | Electra's deposit queue |
//! | `GET`/`POST /eth/v1/beacon/states/{state_id}/validators` | filtered by `id`, `status` |
//! | `GET /eth/v1/beacon/states/{state_id}/validators/{validator_id}` | index or `0x` pubkey |
//! | `GET`/`POST /eth/v1/beacon/states/{state_id}/validator_balances` | filtered by `id` |
//! | `GET`/`POST /eth/v1/beacon/pool/voluntary_exits` | the pool; submit one (checked first) |
//! | `GET /eth/v1/node/syncing`, `/version`, `/health` | always synced and healthy |
//! | `GET /eth/v1/config/spec`, `/fork_schedule`, `/deposit_contract` | the chain's config |
//! | `GET /eth/v1/events?topics=head` | Server-Sent Events, `head` only |
//!
//! Block ids are `head`, `genesis`, `finalized`, `justified`, a slot or a `0x` block root; state
//! ids the same with a `0x` *state* root. `finalized` and `justified` are the head state's
//! checkpoints: the checkpoint's block (the genesis block for the zero root of epoch 0) and that
//! block's post-state. `head` is the head block and its post-state. A state is served only while
//! the store keeps it ([`Store::STATE_WINDOW`] slots back, and genesis): an older one is a 404
//! saying so. An id that does not parse is a 400. Errors are JSON, `{"code": 404, "message":
//! "..."}`, as the API specifies.
//!
//! There is one chain and no optimistic sync: every block served is canonical,
//! `execution_optimistic` is always `false`, and `finalized` says whether the block's (or
//! state's) slot is at or before the head state's finalized epoch.
//!
//! A submitted voluntary exit is checked the way a block would check it
//! ([`Spec::check_voluntary_exit`] on the head state advanced to the node's last slot): a 400 with
//! the reason if it fails, else it joins the pool ([`Store::submit_voluntary_exit`]) and the next
//! block carries it.
//!
//! The fork schedule is the one the chain runs: every fork up to the genesis state's (Electra or
//! Fulu) at epoch 0, then Fulu at `FULU_FORK_EPOCH` if the chain starts in Electra. The fork
//! versions the devnet's [`Config`] does not hold (Altair, Bellatrix, Deneb) are numbered as both
//! of its configs number them: the fork's index, then `GENESIS_FORK_VERSION`'s last three bytes.
//!
//! Not served: JSON states (ask for SSZ), SSZ validator balances, blinded blocks, block
//! publication and every validator-duty endpoint (`/eth/v1/validator/*`: the devnet's validators
//! are the node's own), the other pools, committees, sync committees, rewards, light-client
//! data, blobs, peers, and every event topic but `head`.

use crate::node::{
    MAX_VOLUNTARY_EXITS, SYNC_COMMITTEE_SUBNET_COUNT, TARGET_AGGREGATORS_PER_COMMITTEE,
    TARGET_AGGREGATORS_PER_SYNC_SUBCOMMITTEE,
};
use crate::spec::config::*;
use crate::spec::{BeaconState, Config, Spec, SpecPreset};
use crate::store::{HeadEvent, Store, StoredBlock};
use alloy_primitives::{Address, B256};
use axum::body::{Body, Bytes};
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use lsv_consensus::containers::{SignedBeaconBlockHeader, SignedVoluntaryExit, Validator};
use lsv_consensus::network::domain;
use lsv_consensus::{ForkName, PublicKeyBytes, Version};
use parking_lot::RwLock;
use serde::Serialize;
use serde_json::{json, Value};
use ssz::Encode;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::convert::Infallible;
use std::future::Future;
use std::sync::Arc;
use tokio::sync::{broadcast, watch};
use typenum::Unsigned;

/// `Eth-Consensus-Version`.
pub const CONSENSUS_VERSION: &str = "eth-consensus-version";
const OCTET_STREAM: &str = "application/octet-stream";
/// How many validator ids a `GET` may carry (the API's `maxItems`).
const MAX_QUERY_IDS: usize = 64;

/// What the API serves that the [`Store`] does not know: the execution side of the config.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApiOptions {
    /// `CONFIG_NAME`.
    pub config_name: String,
    /// `DEPOSIT_CHAIN_ID` (and `DEPOSIT_NETWORK_ID`): the execution layer's chain id.
    pub deposit_chain_id: u64,
    /// `DEPOSIT_CONTRACT_ADDRESS`.
    pub deposit_contract: Address,
}

impl Default for ApiOptions {
    /// Anvil's default chain id and the deposit address devnets conventionally use.
    fn default() -> Self {
        Self {
            config_name: "lsv-devnet".to_owned(),
            deposit_chain_id: 31_337,
            deposit_contract: Address::repeat_byte(0x42),
        }
    }
}

/// The handlers' shared state.
struct Api<P: SpecPreset> {
    store: Arc<RwLock<Store<P>>>,
    options: Arc<ApiOptions>,
    /// Set to `true` when the server shuts down: event streams end then.
    shutdown: Arc<watch::Sender<bool>>,
}

impl<P: SpecPreset> Clone for Api<P> {
    fn clone(&self) -> Self {
        Self {
            store: self.store.clone(),
            options: self.options.clone(),
            shutdown: self.shutdown.clone(),
        }
    }
}

/// The API over `store`, with the default [`ApiOptions`] (for tests: serve it yourself).
pub fn router<P: SpecPreset>(store: Arc<RwLock<Store<P>>>) -> Router {
    router_with(store, ApiOptions::default())
}

/// The API over `store` with `options`.
pub fn router_with<P: SpecPreset>(store: Arc<RwLock<Store<P>>>, options: ApiOptions) -> Router {
    build(store, options, Arc::new(watch::channel(false).0))
}

/// Serves the API over `store` on `listener` until `shutdown` completes, then ends the event
/// streams and waits for the requests under way.
pub async fn serve<P: SpecPreset>(
    store: Arc<RwLock<Store<P>>>,
    listener: tokio::net::TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    serve_with(store, ApiOptions::default(), listener, shutdown).await
}

/// [`serve`] with `options`.
pub async fn serve_with<P: SpecPreset>(
    store: Arc<RwLock<Store<P>>>,
    options: ApiOptions,
    listener: tokio::net::TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let stop = Arc::new(watch::channel(false).0);
    let app = build(store, options, stop.clone());
    let signal = async move {
        shutdown.await;
        stop.send_replace(true);
    };
    axum::serve(listener, app)
        .with_graceful_shutdown(signal)
        .await
}

fn build<P: SpecPreset>(
    store: Arc<RwLock<Store<P>>>,
    options: ApiOptions,
    shutdown: Arc<watch::Sender<bool>>,
) -> Router {
    let api = Api {
        store,
        options: Arc::new(options),
        shutdown,
    };
    Router::new()
        .route("/eth/v1/beacon/genesis", get(genesis::<P>))
        .route("/eth/v1/beacon/headers", get(headers::<P>))
        .route("/eth/v1/beacon/headers/{block_id}", get(header::<P>))
        .route("/eth/v2/beacon/blocks/{block_id}", get(block::<P>))
        .route(
            "/eth/v1/beacon/blocks/{block_id}/root",
            get(block_root::<P>),
        )
        .route(
            "/eth/v2/debug/beacon/states/{state_id}",
            get(debug_state::<P>),
        )
        .route(
            "/eth/v1/beacon/states/{state_id}/root",
            get(state_root::<P>),
        )
        .route(
            "/eth/v1/beacon/states/{state_id}/fork",
            get(state_fork::<P>),
        )
        .route(
            "/eth/v1/beacon/states/{state_id}/finality_checkpoints",
            get(finality_checkpoints::<P>),
        )
        .route(
            "/eth/v1/beacon/states/{state_id}/pending_deposits",
            get(pending_deposits::<P>),
        )
        .route(
            "/eth/v1/beacon/states/{state_id}/validators",
            get(validators_get::<P>).post(validators_post::<P>),
        )
        .route(
            "/eth/v1/beacon/states/{state_id}/validators/{validator_id}",
            get(validator::<P>),
        )
        .route(
            "/eth/v1/beacon/states/{state_id}/validator_balances",
            get(balances_get::<P>).post(balances_post::<P>),
        )
        .route(
            "/eth/v1/beacon/pool/voluntary_exits",
            get(exit_pool::<P>).post(submit_exit::<P>),
        )
        .route("/eth/v1/node/syncing", get(syncing::<P>))
        .route("/eth/v1/node/version", get(version))
        .route("/eth/v1/node/health", get(health))
        .route("/eth/v1/config/spec", get(config_spec::<P>))
        .route("/eth/v1/config/fork_schedule", get(fork_schedule::<P>))
        .route(
            "/eth/v1/config/deposit_contract",
            get(deposit_contract::<P>),
        )
        .route("/eth/v1/events", get(events::<P>))
        .fallback(|| async { ApiError::not_found("NOT_FOUND: no such endpoint on this node") })
        .with_state(api)
}

// ---- errors ------------------------------------------------------------------------------

/// An error answer: `{"code": status, "message": ...}`.
#[derive(Debug)]
struct ApiError {
    status: StatusCode,
    message: String,
}

impl ApiError {
    fn new(status: StatusCode, message: impl Into<String>) -> Self {
        Self {
            status,
            message: message.into(),
        }
    }
    fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, message)
    }
    fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, message)
    }
    fn internal(message: impl Into<String>) -> Self {
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, message)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = json!({"code": self.status.as_u16(), "message": self.message});
        (self.status, Json(body)).into_response()
    }
}

type ApiResult<T = Response> = Result<T, ApiError>;

/// The query's `(key, value)` pairs, repeated keys kept.
fn query_pairs(
    query: Result<Query<Vec<(String, String)>>, QueryRejection>,
) -> ApiResult<Vec<(String, String)>> {
    query
        .map(|Query(pairs)| pairs)
        .map_err(|e| ApiError::bad_request(format!("invalid query string: {e}")))
}

/// Every value of `key`, comma-separated values split.
fn query_values<'a>(pairs: &'a [(String, String)], key: &str) -> Vec<&'a str> {
    pairs
        .iter()
        .filter(|(k, _)| k == key)
        .flat_map(|(_, v)| v.split(','))
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .collect()
}

// ---- ids -----------------------------------------------------------------------------------

/// A block or state id (`params/index.yaml` `BlockId`, `StateId`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Id {
    Head,
    Genesis,
    Finalized,
    Justified,
    Slot(u64),
    Root(B256),
}

fn parse_id(kind: &str, s: &str) -> ApiResult<Id> {
    let invalid = || ApiError::bad_request(format!("Invalid {kind} ID: {s}"));
    Ok(match s {
        "head" => Id::Head,
        "genesis" => Id::Genesis,
        "finalized" => Id::Finalized,
        "justified" => Id::Justified,
        _ if !s.is_empty() && s.len() <= 20 && s.bytes().all(|b| b.is_ascii_digit()) => {
            Id::Slot(s.parse().map_err(|_| invalid())?)
        }
        _ => {
            let hex = s.strip_prefix("0x").ok_or_else(invalid)?;
            if hex.len() != 64 {
                return Err(invalid());
            }
            let mut root = [0u8; 32];
            hex::decode_to_slice(hex, &mut root).map_err(|_| invalid())?;
            Id::Root(B256::from(root))
        }
    })
}

/// The block of a checkpoint root: the genesis block for the zero root (epoch 0).
fn checkpoint_block<P: SpecPreset>(
    store: &Store<P>,
    root: B256,
    which: &str,
) -> ApiResult<StoredBlock<P>> {
    let block = if root == B256::ZERO {
        store.block_at(0)
    } else {
        store.block_by_root(&root)
    };
    block.cloned().ok_or_else(|| {
        ApiError::not_found(format!(
            "the {which} checkpoint's block {root} is not known"
        ))
    })
}

fn head_state<P: SpecPreset>(store: &Store<P>) -> ApiResult<Arc<BeaconState<P>>> {
    let slot = store.head().block.message.slot.as_u64();
    store
        .state_at(slot)
        .map(|(_, s)| s)
        .ok_or_else(|| ApiError::internal("the head block's state is not kept"))
}

fn resolve_block<P: SpecPreset>(store: &Store<P>, id: Id) -> ApiResult<StoredBlock<P>> {
    match id {
        Id::Head => Ok(store.head().clone()),
        Id::Genesis => store
            .block_at(0)
            .cloned()
            .ok_or_else(|| ApiError::internal("no genesis block")),
        Id::Finalized => {
            let root = head_state(store)?.finalized_checkpoint.root;
            checkpoint_block(store, root, "finalized")
        }
        Id::Justified => {
            let root = head_state(store)?.current_justified_checkpoint.root;
            checkpoint_block(store, root, "justified")
        }
        Id::Slot(slot) => store
            .block_at(slot)
            .cloned()
            .ok_or_else(|| ApiError::not_found(format!("NOT_FOUND: beacon block at slot {slot}"))),
        Id::Root(root) => store.block_by_root(&root).cloned().ok_or_else(|| {
            ApiError::not_found(format!("NOT_FOUND: beacon block with root {root}"))
        }),
    }
}

fn not_kept<P: SpecPreset>(what: String) -> ApiError {
    ApiError::not_found(format!(
        "{what}: this node keeps the states of the last {} slots, and the genesis state",
        Store::<P>::STATE_WINDOW
    ))
}

/// A state and its root.
type RootedState<P> = (B256, Arc<BeaconState<P>>);

fn resolve_state<P: SpecPreset>(store: &Store<P>, id: Id) -> ApiResult<RootedState<P>> {
    let at_slot = |slot: u64| -> ApiResult<RootedState<P>> {
        if slot > store.head_slot() {
            return Err(ApiError::not_found(format!(
                "NOT_FOUND: slot {slot} is after the node's last slot {}",
                store.head_slot()
            )));
        }
        store.state_at(slot).ok_or_else(|| {
            not_kept::<P>(format!(
                "NOT_FOUND: the state at slot {slot} is no longer kept"
            ))
        })
    };
    match id {
        Id::Head => at_slot(store.head().block.message.slot.as_u64()),
        Id::Genesis => at_slot(0),
        Id::Finalized | Id::Justified => {
            let block = resolve_block(store, id)?;
            at_slot(block.block.message.slot.as_u64())
        }
        Id::Slot(slot) => at_slot(slot),
        Id::Root(root) => store
            .state_by_root(&root)
            .ok_or_else(|| not_kept::<P>(format!("NOT_FOUND: no state with root {root}"))),
    }
}

/// Whether `slot` is at or before the head state's finalized checkpoint.
fn is_finalized<P: SpecPreset>(store: &Store<P>, slot: u64) -> bool {
    head_state(store)
        .is_ok_and(|s| slot <= Spec::<P>::start_slot(s.finalized_checkpoint.epoch.as_u64()))
}

/// The fork in force at `epoch` on this chain (see the module docs).
fn fork_at<P: SpecPreset>(store: &Store<P>, epoch: u64) -> ForkName {
    if store.genesis_state().fork_name() == ForkName::Fulu
        || epoch >= store.spec().config.fulu_fork_epoch.as_u64()
    {
        ForkName::Fulu
    } else {
        ForkName::Electra
    }
}

fn fork_header(fork: ForkName) -> HeaderValue {
    HeaderValue::from_str(&fork.as_upper().to_ascii_lowercase())
        .unwrap_or(HeaderValue::from_static("electra"))
}

/// `{"execution_optimistic": false, "finalized": ..., "data": ...}`.
fn with_meta(finalized: bool, data: impl Serialize) -> Response {
    #[derive(Serialize)]
    struct Meta<T> {
        execution_optimistic: bool,
        finalized: bool,
        data: T,
    }
    Json(Meta {
        execution_optimistic: false,
        finalized,
        data,
    })
    .into_response()
}

// ---- content negotiation ---------------------------------------------------------------

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Media {
    Json,
    Ssz,
}

/// The media type `Accept` prefers among JSON and SSZ (`default` for none, `*/*` or
/// `application/*`); 406 if it accepts neither.
fn negotiate(headers: &HeaderMap, default: Media) -> ApiResult<Media> {
    let Some(accept) = headers.get(header::ACCEPT) else {
        return Ok(default);
    };
    let accept = accept
        .to_str()
        .map_err(|_| ApiError::bad_request("the Accept header is not text"))?;
    let mut best: Option<(f32, Media)> = None;
    for item in accept.split(',') {
        let mut parts = item.split(';');
        let media = parts.next().unwrap_or("").trim().to_ascii_lowercase();
        let q = parts
            .filter_map(|p| p.trim().strip_prefix("q="))
            .find_map(|q| q.trim().parse::<f32>().ok())
            .unwrap_or(1.0);
        let candidate = match media.as_str() {
            "application/json" => Media::Json,
            "application/octet-stream" => Media::Ssz,
            "*/*" | "application/*" => default,
            _ => continue,
        };
        if q > 0.0 && best.is_none_or(|(bq, _)| q > bq) {
            best = Some((q, candidate));
        }
    }
    best.map(|(_, m)| m).ok_or_else(|| {
        ApiError::new(
            StatusCode::NOT_ACCEPTABLE,
            format!("none of the accepted media types ({accept}) is served: application/json, application/octet-stream"),
        )
    })
}

fn ssz_response(fork: ForkName, bytes: Vec<u8>) -> Response {
    let mut response = Response::new(Body::from(bytes));
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(OCTET_STREAM));
    headers.insert(CONSENSUS_VERSION, fork_header(fork));
    response
}

// ---- beacon ------------------------------------------------------------------------------

async fn genesis<P: SpecPreset>(State(api): State<Api<P>>) -> Response {
    let store = api.store.read();
    Json(json!({"data": {
        "genesis_time": store.genesis_time().to_string(),
        "genesis_validators_root": store.genesis_validators_root().to_string(),
        "genesis_fork_version": store.spec().config.genesis_fork_version,
    }}))
    .into_response()
}

/// `data` of a header answer.
fn header_data<P: SpecPreset>(block: &StoredBlock<P>) -> Value {
    json!({
        "root": block.root.to_string(),
        "canonical": true,
        "header": SignedBeaconBlockHeader {
            message: block.block.message.header(),
            signature: block.block.signature,
        },
    })
}

async fn header<P: SpecPreset>(
    State(api): State<Api<P>>,
    Path(block_id): Path<String>,
) -> ApiResult {
    let id = parse_id("block", &block_id)?;
    let (block, finalized) = {
        let store = api.store.read();
        let block = resolve_block(&store, id)?;
        let finalized = is_finalized(&store, block.block.message.slot.as_u64());
        (block, finalized)
    };
    Ok(with_meta(finalized, header_data(&block)))
}

async fn headers<P: SpecPreset>(
    State(api): State<Api<P>>,
    query: Result<Query<Vec<(String, String)>>, QueryRejection>,
) -> ApiResult {
    let pairs = query_pairs(query)?;
    let one = |key: &str| -> ApiResult<Option<&str>> {
        match query_values(&pairs, key).as_slice() {
            [] => Ok(None),
            [v] => Ok(Some(*v)),
            _ => Err(ApiError::bad_request(format!("more than one {key}"))),
        }
    };
    let slot = match one("slot")? {
        None => None,
        Some(s) => match parse_id("slot", s)? {
            Id::Slot(slot) => Some(slot),
            _ => return Err(ApiError::bad_request(format!("Invalid slot: {s}"))),
        },
    };
    let parent = match one("parent_root")? {
        None => None,
        Some(s) => match parse_id("parent root", s)? {
            Id::Root(root) => Some(root),
            _ => return Err(ApiError::bad_request(format!("Invalid parent root: {s}"))),
        },
    };
    let (blocks, finalized) = {
        let store = api.store.read();
        let found: Vec<StoredBlock<P>> = match (slot, parent) {
            (None, None) => vec![store.head().clone()],
            (Some(slot), _) => store.block_at(slot).cloned().into_iter().collect(),
            (None, Some(parent)) => store
                .block_by_root(&parent)
                .and_then(|p| store.next_block_after(p.block.message.slot.as_u64()))
                .cloned()
                .into_iter()
                .collect(),
        };
        let found: Vec<_> = found
            .into_iter()
            .filter(|b| parent.is_none_or(|p| b.block.message.parent_root == p))
            .collect();
        let finalized = found
            .iter()
            .all(|b| is_finalized(&store, b.block.message.slot.as_u64()));
        (found, finalized)
    };
    let data: Vec<Value> = blocks.iter().map(header_data).collect();
    Ok(with_meta(finalized, data))
}

async fn block<P: SpecPreset>(
    State(api): State<Api<P>>,
    Path(block_id): Path<String>,
    headers: HeaderMap,
) -> ApiResult {
    let id = parse_id("block", &block_id)?;
    let media = negotiate(&headers, Media::Json)?;
    let (block, finalized, fork) = {
        let store = api.store.read();
        let block = resolve_block(&store, id)?;
        let slot = block.block.message.slot.as_u64();
        let fork = fork_at(&store, Spec::<P>::epoch_at(slot));
        (block, is_finalized(&store, slot), fork)
    };
    match media {
        Media::Ssz => Ok(ssz_response(fork, block.block.as_ssz_bytes())),
        Media::Json => {
            #[derive(Serialize)]
            struct Versioned<'a, T> {
                version: &'a str,
                execution_optimistic: bool,
                finalized: bool,
                data: T,
            }
            let version = fork.as_upper().to_ascii_lowercase();
            let mut response = Json(Versioned {
                version: &version,
                execution_optimistic: false,
                finalized,
                data: &*block.block,
            })
            .into_response();
            response
                .headers_mut()
                .insert(CONSENSUS_VERSION, fork_header(fork));
            Ok(response)
        }
    }
}

async fn block_root<P: SpecPreset>(
    State(api): State<Api<P>>,
    Path(block_id): Path<String>,
) -> ApiResult {
    let id = parse_id("block", &block_id)?;
    let store = api.store.read();
    let block = resolve_block(&store, id)?;
    let finalized = is_finalized(&store, block.block.message.slot.as_u64());
    Ok(with_meta(
        finalized,
        json!({"root": block.root.to_string()}),
    ))
}

/// The state of `state_id` and whether it is finalized.
fn state_of<P: SpecPreset>(api: &Api<P>, state_id: &str) -> ApiResult<(RootedState<P>, bool)> {
    let id = parse_id("state", state_id)?;
    let store = api.store.read();
    let state = resolve_state(&store, id)?;
    let finalized = is_finalized(&store, state.1.slot.as_u64());
    Ok((state, finalized))
}

async fn debug_state<P: SpecPreset>(
    State(api): State<Api<P>>,
    Path(state_id): Path<String>,
    headers: HeaderMap,
) -> ApiResult {
    if negotiate(&headers, Media::Ssz)? == Media::Json {
        return Err(ApiError::new(
            StatusCode::NOT_ACCEPTABLE,
            "this node serves states as SSZ only: ask for application/octet-stream",
        ));
    }
    let ((_, state), _) = state_of(&api, &state_id)?;
    let fork = state.fork_name();
    let bytes = tokio::task::spawn_blocking(move || state.as_ssz_bytes())
        .await
        .map_err(|e| ApiError::internal(format!("encoding the state failed: {e}")))?;
    Ok(ssz_response(fork, bytes))
}

async fn state_root<P: SpecPreset>(
    State(api): State<Api<P>>,
    Path(state_id): Path<String>,
) -> ApiResult {
    let ((root, _), finalized) = state_of(&api, &state_id)?;
    Ok(with_meta(finalized, json!({"root": root.to_string()})))
}

async fn state_fork<P: SpecPreset>(
    State(api): State<Api<P>>,
    Path(state_id): Path<String>,
) -> ApiResult {
    let ((_, state), finalized) = state_of(&api, &state_id)?;
    Ok(with_meta(finalized, state.fork))
}

/// Electra's deposit queue (`state.pending_deposits`, in the order `process_pending_deposits`
/// takes it), as beacon-APIs v3 serves it: what `lsv join` counts ahead of a deposit.
async fn pending_deposits<P: SpecPreset>(
    State(api): State<Api<P>>,
    Path(state_id): Path<String>,
) -> ApiResult {
    let ((_, state), finalized) = state_of(&api, &state_id)?;
    let queue: Vec<Value> = state
        .pending_deposits
        .iter()
        .map(|d| {
            json!({
                "pubkey": d.pubkey,
                "withdrawal_credentials": d.withdrawal_credentials,
                "amount": d.amount,
                "signature": d.signature,
                "slot": d.slot,
            })
        })
        .collect();
    Ok(with_meta(finalized, queue))
}

async fn finality_checkpoints<P: SpecPreset>(
    State(api): State<Api<P>>,
    Path(state_id): Path<String>,
) -> ApiResult {
    let ((_, state), finalized) = state_of(&api, &state_id)?;
    Ok(with_meta(
        finalized,
        json!({
            "previous_justified": state.previous_justified_checkpoint,
            "current_justified": state.current_justified_checkpoint,
            "finalized": state.finalized_checkpoint,
        }),
    ))
}

// ---- validators --------------------------------------------------------------------------

/// A `validator_id`: an index or a public key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum ValidatorId {
    Index(u64),
    Pubkey(PublicKeyBytes),
}

fn parse_validator_id(s: &str) -> ApiResult<ValidatorId> {
    let invalid = || ApiError::bad_request(format!("Invalid validator ID: {s}"));
    if s.starts_with("0x") {
        PublicKeyBytes::from_hex(s)
            .map(ValidatorId::Pubkey)
            .map_err(|_| invalid())
    } else if !s.is_empty() && s.len() <= 20 && s.bytes().all(|b| b.is_ascii_digit()) {
        s.parse().map(ValidatorId::Index).map_err(|_| invalid())
    } else {
        Err(invalid())
    }
}

fn parse_validator_ids<'a>(ids: impl IntoIterator<Item = &'a str>) -> ApiResult<Vec<ValidatorId>> {
    ids.into_iter().map(parse_validator_id).collect()
}

/// The registry indices `ids` name (all, for none), in order; unknown ones are left out.
fn select<P: SpecPreset>(state: &BeaconState<P>, ids: &[ValidatorId]) -> Vec<usize> {
    let n = state.validators.len();
    if ids.is_empty() {
        return (0..n).collect();
    }
    let by_key: HashMap<PublicKeyBytes, usize> =
        if ids.iter().any(|id| matches!(id, ValidatorId::Pubkey(_))) {
            state
                .validators
                .iter()
                .enumerate()
                .map(|(i, v)| (v.pubkey, i))
                .collect()
        } else {
            HashMap::new()
        };
    let selected: BTreeSet<usize> = ids
        .iter()
        .filter_map(|id| match id {
            ValidatorId::Index(i) => usize::try_from(*i).ok().filter(|i| *i < n),
            ValidatorId::Pubkey(key) => by_key.get(key).copied(),
        })
        .collect();
    selected.into_iter().collect()
}

/// Every status name, specific (`types/api.yaml` `ValidatorStatus`) then general.
const STATUSES: [&str; 13] = [
    "pending_initialized",
    "pending_queued",
    "active_ongoing",
    "active_exiting",
    "active_slashed",
    "exited_unslashed",
    "exited_slashed",
    "withdrawal_possible",
    "withdrawal_done",
    "active",
    "pending",
    "exited",
    "withdrawal",
];

/// A validator's status at `epoch` (the API's validator status specification).
fn status(v: &Validator, balance: u64, epoch: u64) -> &'static str {
    let activation = v.activation_epoch.as_u64();
    let exit = v.exit_epoch.as_u64();
    let withdrawable = v.withdrawable_epoch.as_u64();
    if epoch < activation {
        if v.activation_eligibility_epoch.as_u64() == FAR_FUTURE_EPOCH {
            "pending_initialized"
        } else {
            "pending_queued"
        }
    } else if epoch < exit {
        if exit == FAR_FUTURE_EPOCH {
            "active_ongoing"
        } else if v.slashed {
            "active_slashed"
        } else {
            "active_exiting"
        }
    } else if epoch < withdrawable {
        if v.slashed {
            "exited_slashed"
        } else {
            "exited_unslashed"
        }
    } else if balance != 0 {
        "withdrawal_possible"
    } else {
        "withdrawal_done"
    }
}

fn parse_statuses<'a>(statuses: impl IntoIterator<Item = &'a str>) -> ApiResult<Vec<String>> {
    statuses
        .into_iter()
        .map(|s| {
            STATUSES
                .contains(&s)
                .then(|| s.to_owned())
                .ok_or_else(|| ApiError::bad_request(format!("Invalid validator status: {s}")))
        })
        .collect()
}

fn matches_status(status: &str, wanted: &[String]) -> bool {
    wanted.is_empty()
        || wanted.iter().any(|w| {
            status == w
                || status
                    .strip_prefix(w.as_str())
                    .is_some_and(|r| r.starts_with('_'))
        })
}

fn validator_json<P: SpecPreset>(
    state: &BeaconState<P>,
    index: usize,
) -> Option<(&'static str, Value)> {
    let v = state.validators.get(index)?;
    let balance = state.balances.get(index).map_or(0, |b| b.as_u64());
    let status = status(v, balance, Spec::<P>::current_epoch(state));
    Some((
        status,
        json!({
            "index": index.to_string(),
            "balance": balance.to_string(),
            "status": status,
            "validator": v,
        }),
    ))
}

fn validators_answer<P: SpecPreset>(
    api: &Api<P>,
    state_id: &str,
    ids: &[ValidatorId],
    statuses: &[String],
) -> ApiResult {
    let ((_, state), finalized) = state_of(api, state_id)?;
    let data: Vec<Value> = select(&state, ids)
        .into_iter()
        .filter_map(|i| validator_json(&state, i))
        .filter(|(s, _)| matches_status(s, statuses))
        .map(|(_, v)| v)
        .collect();
    Ok(with_meta(finalized, data))
}

fn too_many_ids(n: usize) -> ApiResult<()> {
    if n > MAX_QUERY_IDS {
        return Err(ApiError::new(
            StatusCode::URI_TOO_LONG,
            format!("Too many validator IDs in request: {n}, at most {MAX_QUERY_IDS}"),
        ));
    }
    Ok(())
}

async fn validators_get<P: SpecPreset>(
    State(api): State<Api<P>>,
    Path(state_id): Path<String>,
    query: Result<Query<Vec<(String, String)>>, QueryRejection>,
) -> ApiResult {
    let pairs = query_pairs(query)?;
    let ids = query_values(&pairs, "id");
    too_many_ids(ids.len())?;
    let ids = parse_validator_ids(ids)?;
    let statuses = parse_statuses(query_values(&pairs, "status"))?;
    validators_answer(&api, &state_id, &ids, &statuses)
}

fn json_body<T: serde::de::DeserializeOwned + Default>(body: &Bytes, what: &str) -> ApiResult<T> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(T::default());
    }
    serde_json::from_slice(body).map_err(|e| ApiError::bad_request(format!("invalid {what}: {e}")))
}

async fn validators_post<P: SpecPreset>(
    State(api): State<Api<P>>,
    Path(state_id): Path<String>,
    body: Bytes,
) -> ApiResult {
    #[derive(serde::Deserialize, Default)]
    struct Filter {
        #[serde(default)]
        ids: Option<Vec<String>>,
        #[serde(default)]
        statuses: Option<Vec<String>>,
    }
    let filter: Filter = json_body(&body, "request body")?;
    let ids = parse_validator_ids(filter.ids.iter().flatten().map(String::as_str))?;
    let statuses = parse_statuses(filter.statuses.iter().flatten().map(String::as_str))?;
    validators_answer(&api, &state_id, &ids, &statuses)
}

async fn validator<P: SpecPreset>(
    State(api): State<Api<P>>,
    Path((state_id, validator_id)): Path<(String, String)>,
) -> ApiResult {
    let id = parse_validator_id(&validator_id)?;
    let ((_, state), finalized) = state_of(&api, &state_id)?;
    let (_, data) = select(&state, &[id])
        .first()
        .and_then(|i| validator_json(&state, *i))
        .ok_or_else(|| ApiError::not_found("Validator not found"))?;
    Ok(with_meta(finalized, data))
}

fn balances_answer<P: SpecPreset>(api: &Api<P>, state_id: &str, ids: &[ValidatorId]) -> ApiResult {
    let ((_, state), finalized) = state_of(api, state_id)?;
    let data: Vec<Value> = select(&state, ids)
        .into_iter()
        .map(|i| {
            let balance = state.balances.get(i).map_or(0, |b| b.as_u64());
            json!({"index": i.to_string(), "balance": balance.to_string()})
        })
        .collect();
    Ok(with_meta(finalized, data))
}

async fn balances_get<P: SpecPreset>(
    State(api): State<Api<P>>,
    Path(state_id): Path<String>,
    query: Result<Query<Vec<(String, String)>>, QueryRejection>,
) -> ApiResult {
    let pairs = query_pairs(query)?;
    let ids = query_values(&pairs, "id");
    too_many_ids(ids.len())?;
    let ids = parse_validator_ids(ids)?;
    balances_answer(&api, &state_id, &ids)
}

async fn balances_post<P: SpecPreset>(
    State(api): State<Api<P>>,
    Path(state_id): Path<String>,
    body: Bytes,
) -> ApiResult {
    let ids: Vec<String> = json_body(&body, "request body (an array of validator ids)")?;
    let ids = parse_validator_ids(ids.iter().map(String::as_str))?;
    balances_answer(&api, &state_id, &ids)
}

// ---- pool ----------------------------------------------------------------------------------

async fn exit_pool<P: SpecPreset>(State(api): State<Api<P>>) -> Response {
    let pool = api.store.read().voluntary_exit_pool().to_vec();
    Json(json!({ "data": pool })).into_response()
}

async fn submit_exit<P: SpecPreset>(State(api): State<Api<P>>, body: Bytes) -> ApiResult {
    let exit: SignedVoluntaryExit = serde_json::from_slice(&body)
        .map_err(|e| ApiError::bad_request(format!("invalid SignedVoluntaryExit: {e}")))?;
    let (spec, state, slot) = {
        let store = api.store.read();
        (store.spec().clone(), head_state(&store)?, store.head_slot())
    };
    // The head state advanced to the node's last slot: what the next block builds on, bar the
    // slot it is in.
    let checked = tokio::task::spawn_blocking(move || {
        let mut state = (*state).clone();
        if state.slot.as_u64() < slot {
            spec.process_slots(&mut state, slot)?;
        }
        spec.check_voluntary_exit(&state, &exit).map(|()| exit)
    })
    .await
    .map_err(|e| ApiError::internal(format!("checking the exit failed: {e}")))?;
    let exit = checked.map_err(|e| {
        ApiError::bad_request(format!(
            "Invalid voluntary exit, it will never pass validation so it's rejected: {e}"
        ))
    })?;
    api.store.write().submit_voluntary_exit(exit);
    Ok(StatusCode::OK.into_response())
}

// ---- node ----------------------------------------------------------------------------------

async fn syncing<P: SpecPreset>(State(api): State<Api<P>>) -> Response {
    let head_slot = api.store.read().head().block.message.slot.as_u64();
    Json(json!({"data": {
        "head_slot": head_slot.to_string(),
        "sync_distance": "0",
        "is_syncing": false,
        "is_optimistic": false,
        "el_offline": false,
    }}))
    .into_response()
}

async fn version() -> Response {
    let version = format!(
        "lsv-devnet/v{}/{}-{}",
        env!("CARGO_PKG_VERSION"),
        std::env::consts::ARCH,
        std::env::consts::OS
    );
    Json(json!({"data": {"version": version}})).into_response()
}

async fn health(
    query: Result<Query<Vec<(String, String)>>, QueryRejection>,
) -> ApiResult<StatusCode> {
    let pairs = query_pairs(query)?;
    // Never syncing, so `syncing_status` is only checked to be a status code.
    for s in query_values(&pairs, "syncing_status") {
        if !s.parse::<u16>().is_ok_and(|c| (100..=599).contains(&c)) {
            return Err(ApiError::bad_request(format!(
                "Invalid syncing status code: {s}"
            )));
        }
    }
    Ok(StatusCode::OK)
}

// ---- config --------------------------------------------------------------------------------

/// Every fork the chain schedules, in order: its name, version and epoch (see the module
/// docs).
fn schedule<P: SpecPreset>(store: &Store<P>) -> Vec<(ForkName, Version, u64)> {
    let config: &Config = &store.spec().config;
    let g = config.genesis_fork_version.0;
    let derived = |n: u8| Version([n, g[1], g[2], g[3]]);
    let genesis_fork = store.genesis_state().fork_name();
    let fulu_epoch = if genesis_fork == ForkName::Fulu {
        0
    } else {
        config.fulu_fork_epoch.as_u64()
    };
    [
        (ForkName::Phase0, config.genesis_fork_version, 0),
        (ForkName::Altair, derived(1), 0),
        (ForkName::Bellatrix, derived(2), 0),
        (ForkName::Capella, config.capella_fork_version, 0),
        (ForkName::Deneb, derived(4), 0),
        (ForkName::Electra, config.electra_fork_version, 0),
        (ForkName::Fulu, config.fulu_fork_version, fulu_epoch),
    ]
    .into_iter()
    .filter(|(_, _, epoch)| *epoch != FAR_FUTURE_EPOCH)
    .collect()
}

/// `/eth/v1/config/spec`'s `data`: every value as a string (`0x` hex for bytes), the blob
/// schedule as an array.
fn spec_values<P: SpecPreset>(store: &Store<P>, options: &ApiOptions) -> BTreeMap<String, Value> {
    let c = &store.spec().config;
    let mut m: BTreeMap<String, Value> = BTreeMap::new();
    let mut put = |k: &str, v: String| {
        m.insert(k.to_owned(), Value::String(v));
    };
    let hex4 = |v: [u8; 4]| format!("0x{}", hex::encode(v));
    put("CONFIG_NAME", options.config_name.clone());
    put("PRESET_BASE", P::NAME.as_str().to_owned());
    // Time, forks, deposit contract (configs/*.yaml).
    put("SECONDS_PER_SLOT", (c.slot_duration_ms / 1000).to_string());
    put("SLOT_DURATION_MS", c.slot_duration_ms.to_string());
    put("GENESIS_FORK_VERSION", c.genesis_fork_version.to_hex());
    let scheduled = schedule(store);
    for fork in &ForkName::ALL[1..] {
        let name = fork.as_upper();
        let (version, epoch) = scheduled
            .iter()
            .find(|(f, _, _)| f == fork)
            .map(|(_, v, e)| (*v, *e))
            .unwrap_or_else(|| {
                let version = match fork {
                    ForkName::Fulu => c.fulu_fork_version,
                    ForkName::Gloas => c.gloas_fork_version,
                    _ => c.electra_fork_version,
                };
                (version, FAR_FUTURE_EPOCH)
            });
        put(&format!("{name}_FORK_VERSION"), version.to_hex());
        put(&format!("{name}_FORK_EPOCH"), epoch.to_string());
    }
    put("DEPOSIT_CHAIN_ID", options.deposit_chain_id.to_string());
    put("DEPOSIT_NETWORK_ID", options.deposit_chain_id.to_string());
    put(
        "DEPOSIT_CONTRACT_ADDRESS",
        format!("0x{}", hex::encode(options.deposit_contract)),
    );
    for (k, v) in [
        (
            "MIN_PER_EPOCH_CHURN_LIMIT_ELECTRA",
            c.min_per_epoch_churn_limit_electra,
        ),
        (
            "MAX_PER_EPOCH_ACTIVATION_EXIT_CHURN_LIMIT",
            c.max_per_epoch_activation_exit_churn_limit,
        ),
        ("CHURN_LIMIT_QUOTIENT", c.churn_limit_quotient),
        ("EJECTION_BALANCE", c.ejection_balance),
        (
            "MIN_VALIDATOR_WITHDRAWABILITY_DELAY",
            c.min_validator_withdrawability_delay,
        ),
        ("SHARD_COMMITTEE_PERIOD", c.shard_committee_period),
        ("INACTIVITY_SCORE_BIAS", c.inactivity_score_bias),
        (
            "INACTIVITY_SCORE_RECOVERY_RATE",
            c.inactivity_score_recovery_rate,
        ),
        ("MAX_BLOBS_PER_BLOCK_ELECTRA", c.max_blobs_per_block_electra),
        // The preset (presets/{mainnet,minimal}/*.yaml).
        ("SLOTS_PER_EPOCH", P::SLOTS_PER_EPOCH),
        (
            "EPOCHS_PER_ETH1_VOTING_PERIOD",
            P::EPOCHS_PER_ETH1_VOTING_PERIOD,
        ),
        (
            "EPOCHS_PER_SYNC_COMMITTEE_PERIOD",
            P::EPOCHS_PER_SYNC_COMMITTEE_PERIOD,
        ),
        ("SHUFFLE_ROUND_COUNT", u64::from(P::SHUFFLE_ROUND_COUNT)),
        ("TARGET_COMMITTEE_SIZE", P::TARGET_COMMITTEE_SIZE),
        ("MAX_COMMITTEES_PER_SLOT", P::MAX_COMMITTEES_PER_SLOT),
        (
            "MAX_VALIDATORS_PER_WITHDRAWALS_SWEEP",
            P::MAX_VALIDATORS_PER_WITHDRAWALS_SWEEP,
        ),
        (
            "MAX_PENDING_PARTIALS_PER_WITHDRAWALS_SWEEP",
            P::MAX_PENDING_PARTIALS_PER_WITHDRAWALS_SWEEP as u64,
        ),
        ("SLOTS_PER_HISTORICAL_ROOT", P::slots_per_historical_root()),
        (
            "EPOCHS_PER_HISTORICAL_VECTOR",
            P::epochs_per_historical_vector(),
        ),
        (
            "EPOCHS_PER_SLASHINGS_VECTOR",
            P::epochs_per_slashings_vector(),
        ),
        ("SYNC_COMMITTEE_SIZE", P::sync_committee_size() as u64),
        (
            "MAX_WITHDRAWALS_PER_PAYLOAD",
            P::max_withdrawals_per_payload() as u64,
        ),
        (
            "PENDING_PARTIAL_WITHDRAWALS_LIMIT",
            P::pending_partial_withdrawals_limit() as u64,
        ),
        (
            "PENDING_CONSOLIDATIONS_LIMIT",
            P::pending_consolidations_limit() as u64,
        ),
        (
            "MAX_BLOB_COMMITMENTS_PER_BLOCK",
            P::MaxBlobCommitmentsPerBlock::to_u64(),
        ),
        (
            "MAX_DEPOSIT_REQUESTS_PER_PAYLOAD",
            P::MaxDepositRequestsPerPayload::to_u64(),
        ),
        (
            "MAX_WITHDRAWAL_REQUESTS_PER_PAYLOAD",
            P::MaxWithdrawalRequestsPerPayload::to_u64(),
        ),
        (
            "MAX_CONSOLIDATION_REQUESTS_PER_PAYLOAD",
            lsv_proofs::preset::MaxConsolidationRequestsPerPayload::to_u64(),
        ),
        (
            "MAX_VALIDATORS_PER_COMMITTEE",
            lsv_consensus::preset::MaxValidatorsPerCommittee::to_u64(),
        ),
        (
            "MAX_PROPOSER_SLASHINGS",
            lsv_consensus::preset::MaxProposerSlashings::to_u64(),
        ),
        (
            "MAX_ATTESTER_SLASHINGS_ELECTRA",
            lsv_proofs::preset::MaxAttesterSlashingsElectra::to_u64(),
        ),
        (
            "MAX_ATTESTATIONS_ELECTRA",
            lsv_proofs::preset::MaxAttestationsElectra::to_u64(),
        ),
        ("MAX_DEPOSITS", MAX_DEPOSITS),
        ("MAX_VOLUNTARY_EXITS", MAX_VOLUNTARY_EXITS as u64),
        (
            "MAX_BLS_TO_EXECUTION_CHANGES",
            lsv_proofs::preset::MaxBlsToExecutionChanges::to_u64(),
        ),
        (
            "VALIDATOR_REGISTRY_LIMIT",
            lsv_proofs::preset::ValidatorRegistryLimit::to_u64(),
        ),
        (
            "HISTORICAL_ROOTS_LIMIT",
            lsv_proofs::preset::HistoricalRootsLimit::to_u64(),
        ),
        (
            "PENDING_DEPOSITS_LIMIT",
            lsv_proofs::preset::PendingDepositsLimit::to_u64(),
        ),
        (
            "MAX_BYTES_PER_TRANSACTION",
            lsv_proofs::preset::MaxBytesPerTransaction::to_u64(),
        ),
        (
            "MAX_TRANSACTIONS_PER_PAYLOAD",
            lsv_proofs::preset::MaxTransactionsPerPayload::to_u64(),
        ),
        (
            "BYTES_PER_LOGS_BLOOM",
            lsv_proofs::preset::BytesPerLogsBloom::to_u64(),
        ),
        (
            "MAX_EXTRA_DATA_BYTES",
            lsv_proofs::preset::MaxExtraDataBytes::to_u64(),
        ),
        ("EFFECTIVE_BALANCE_INCREMENT", EFFECTIVE_BALANCE_INCREMENT),
        ("MIN_ACTIVATION_BALANCE", MIN_ACTIVATION_BALANCE),
        (
            "MAX_EFFECTIVE_BALANCE_ELECTRA",
            MAX_EFFECTIVE_BALANCE_ELECTRA,
        ),
        ("HYSTERESIS_QUOTIENT", HYSTERESIS_QUOTIENT),
        (
            "HYSTERESIS_DOWNWARD_MULTIPLIER",
            HYSTERESIS_DOWNWARD_MULTIPLIER,
        ),
        ("HYSTERESIS_UPWARD_MULTIPLIER", HYSTERESIS_UPWARD_MULTIPLIER),
        ("MIN_SEED_LOOKAHEAD", MIN_SEED_LOOKAHEAD),
        ("MAX_SEED_LOOKAHEAD", MAX_SEED_LOOKAHEAD),
        (
            "MIN_ATTESTATION_INCLUSION_DELAY",
            MIN_ATTESTATION_INCLUSION_DELAY,
        ),
        (
            "MIN_EPOCHS_TO_INACTIVITY_PENALTY",
            MIN_EPOCHS_TO_INACTIVITY_PENALTY,
        ),
        ("BASE_REWARD_FACTOR", BASE_REWARD_FACTOR),
        (
            "INACTIVITY_PENALTY_QUOTIENT_BELLATRIX",
            INACTIVITY_PENALTY_QUOTIENT_BELLATRIX,
        ),
        (
            "PROPORTIONAL_SLASHING_MULTIPLIER_BELLATRIX",
            PROPORTIONAL_SLASHING_MULTIPLIER_BELLATRIX,
        ),
        (
            "MIN_SLASHING_PENALTY_QUOTIENT_ELECTRA",
            MIN_SLASHING_PENALTY_QUOTIENT_ELECTRA,
        ),
        (
            "WHISTLEBLOWER_REWARD_QUOTIENT_ELECTRA",
            WHISTLEBLOWER_REWARD_QUOTIENT_ELECTRA,
        ),
        (
            "MAX_PENDING_DEPOSITS_PER_EPOCH",
            MAX_PENDING_DEPOSITS_PER_EPOCH as u64,
        ),
        // Constants (specs/*/beacon-chain.md, validator.md).
        ("FAR_FUTURE_EPOCH", FAR_FUTURE_EPOCH),
        ("GENESIS_SLOT", 0),
        ("GENESIS_EPOCH", GENESIS_EPOCH),
        (
            "UNSET_DEPOSIT_REQUESTS_START_INDEX",
            UNSET_DEPOSIT_REQUESTS_START_INDEX,
        ),
        ("FULL_EXIT_REQUEST_AMOUNT", FULL_EXIT_REQUEST_AMOUNT),
        (
            "DEPOSIT_CONTRACT_TREE_DEPTH",
            DEPOSIT_CONTRACT_TREE_DEPTH as u64,
        ),
        (
            "JUSTIFICATION_BITS_LENGTH",
            lsv_proofs::preset::JustificationBitsLength::to_u64(),
        ),
        ("TIMELY_SOURCE_FLAG_INDEX", TIMELY_SOURCE_FLAG_INDEX as u64),
        ("TIMELY_TARGET_FLAG_INDEX", TIMELY_TARGET_FLAG_INDEX as u64),
        ("TIMELY_HEAD_FLAG_INDEX", TIMELY_HEAD_FLAG_INDEX as u64),
        (
            "TIMELY_SOURCE_WEIGHT",
            PARTICIPATION_FLAG_WEIGHTS[TIMELY_SOURCE_FLAG_INDEX],
        ),
        (
            "TIMELY_TARGET_WEIGHT",
            PARTICIPATION_FLAG_WEIGHTS[TIMELY_TARGET_FLAG_INDEX],
        ),
        (
            "TIMELY_HEAD_WEIGHT",
            PARTICIPATION_FLAG_WEIGHTS[TIMELY_HEAD_FLAG_INDEX],
        ),
        ("SYNC_REWARD_WEIGHT", SYNC_REWARD_WEIGHT),
        ("PROPOSER_WEIGHT", PROPOSER_WEIGHT),
        ("WEIGHT_DENOMINATOR", WEIGHT_DENOMINATOR),
        (
            "TARGET_AGGREGATORS_PER_COMMITTEE",
            TARGET_AGGREGATORS_PER_COMMITTEE,
        ),
        (
            "SYNC_COMMITTEE_SUBNET_COUNT",
            SYNC_COMMITTEE_SUBNET_COUNT as u64,
        ),
        (
            "TARGET_AGGREGATORS_PER_SYNC_SUBCOMMITTEE",
            TARGET_AGGREGATORS_PER_SYNC_SUBCOMMITTEE,
        ),
    ] {
        put(k, v.to_string());
    }
    for (k, v) in [
        ("BLS_WITHDRAWAL_PREFIX", BLS_WITHDRAWAL_PREFIX),
        (
            "ETH1_ADDRESS_WITHDRAWAL_PREFIX",
            ETH1_ADDRESS_WITHDRAWAL_PREFIX,
        ),
        (
            "COMPOUNDING_WITHDRAWAL_PREFIX",
            COMPOUNDING_WITHDRAWAL_PREFIX,
        ),
    ] {
        put(k, format!("0x{v:02x}"));
    }
    for (k, v) in [
        ("DOMAIN_BEACON_PROPOSER", domain::BEACON_PROPOSER),
        ("DOMAIN_BEACON_ATTESTER", domain::BEACON_ATTESTER),
        ("DOMAIN_RANDAO", domain::RANDAO),
        ("DOMAIN_DEPOSIT", domain::DEPOSIT),
        ("DOMAIN_VOLUNTARY_EXIT", domain::VOLUNTARY_EXIT),
        ("DOMAIN_SELECTION_PROOF", domain::SELECTION_PROOF),
        ("DOMAIN_AGGREGATE_AND_PROOF", domain::AGGREGATE_AND_PROOF),
        ("DOMAIN_SYNC_COMMITTEE", domain::SYNC_COMMITTEE),
        (
            "DOMAIN_SYNC_COMMITTEE_SELECTION_PROOF",
            domain::SYNC_COMMITTEE_SELECTION_PROOF,
        ),
        (
            "DOMAIN_CONTRIBUTION_AND_PROOF",
            domain::CONTRIBUTION_AND_PROOF,
        ),
        (
            "DOMAIN_BLS_TO_EXECUTION_CHANGE",
            domain::BLS_TO_EXECUTION_CHANGE,
        ),
        ("DOMAIN_APPLICATION_BUILDER", domain::APPLICATION_BUILDER),
    ] {
        put(k, hex4(v));
    }
    let blobs: Vec<Value> = c
        .blob_schedule
        .iter()
        .map(|(epoch, max)| json!({"EPOCH": epoch.to_string(), "MAX_BLOBS_PER_BLOCK": max.to_string()}))
        .collect();
    m.insert("BLOB_SCHEDULE".to_owned(), Value::Array(blobs));
    m
}

async fn config_spec<P: SpecPreset>(State(api): State<Api<P>>) -> Response {
    let data = spec_values(&api.store.read(), &api.options);
    Json(json!({ "data": data })).into_response()
}

async fn fork_schedule<P: SpecPreset>(State(api): State<Api<P>>) -> Response {
    let scheduled = schedule(&api.store.read());
    let mut previous = scheduled.first().map(|(_, v, _)| *v);
    let data: Vec<Value> = scheduled
        .iter()
        .map(|(_, version, epoch)| {
            let fork = json!({
                "previous_version": previous.unwrap_or(*version),
                "current_version": version,
                "epoch": epoch.to_string(),
            });
            previous = Some(*version);
            fork
        })
        .collect();
    Json(json!({ "data": data })).into_response()
}

async fn deposit_contract<P: SpecPreset>(State(api): State<Api<P>>) -> Response {
    Json(json!({"data": {
        "chain_id": api.options.deposit_chain_id.to_string(),
        "address": format!("0x{}", hex::encode(api.options.deposit_contract)),
    }}))
    .into_response()
}

// ---- events --------------------------------------------------------------------------------

/// The topics served.
const TOPICS: [&str; 1] = ["head"];

/// The `head` event's data (`apis/eventstream/index.yaml`). A duty's dependent root is the
/// root of the last block before the epoch the duties are drawn for (`compute_start_slot_at_epoch
/// (epoch) - 1`), the genesis block's before epoch 1.
fn head_event_data<P: SpecPreset>(store: &RwLock<Store<P>>, event: &HeadEvent) -> Value {
    let epoch = Spec::<P>::epoch_at(event.slot);
    let store = store.read();
    let dependent_root = |epoch: Option<u64>| -> B256 {
        match epoch.and_then(|e| Spec::<P>::start_slot(e).checked_sub(1)) {
            Some(slot) => store.block_at_or_before(slot).root,
            None => store.block_at_or_before(0).root,
        }
    };
    json!({
        "slot": event.slot.to_string(),
        "block": event.block.to_string(),
        "state": event.state.to_string(),
        "epoch_transition": event.epoch_transition,
        "previous_duty_dependent_root": dependent_root(epoch.checked_sub(1)).to_string(),
        "current_duty_dependent_root": dependent_root(Some(epoch)).to_string(),
        "execution_optimistic": false,
    })
}

async fn events<P: SpecPreset>(
    State(api): State<Api<P>>,
    query: Result<Query<Vec<(String, String)>>, QueryRejection>,
) -> ApiResult {
    let pairs = query_pairs(query)?;
    let topics = query_values(&pairs, "topics");
    if topics.is_empty() {
        return Err(ApiError::bad_request("no topics: give topics=head"));
    }
    if let Some(t) = topics.iter().find(|t| !TOPICS.contains(t)) {
        return Err(ApiError::bad_request(format!(
            "Invalid topic: {t} (this node serves: {})",
            TOPICS.join(", ")
        )));
    }
    let heads = api.store.read().subscribe_heads();
    let stop = api.shutdown.subscribe();
    let store = api.store.clone();
    let stream = futures_util::stream::unfold(
        (heads, stop, store),
        |(mut heads, mut stop, store)| async move {
            loop {
                if *stop.borrow_and_update() {
                    return None;
                }
                tokio::select! {
                    received = heads.recv() => match received {
                        Ok(event) => {
                            let data = head_event_data(&store, &event).to_string();
                            let sse = Event::default().event("head").data(data);
                            return Some((Ok::<_, Infallible>(sse), (heads, stop, store)));
                        }
                        // A slow reader misses heads, as with any node: it gets the next.
                        Err(broadcast::error::RecvError::Lagged(_)) => continue,
                        Err(broadcast::error::RecvError::Closed) => return None,
                    },
                    changed = stop.changed() => if changed.is_err() {
                        return None;
                    },
                }
            }
        },
    );
    Ok(Sse::new(stream)
        .keep_alive(KeepAlive::default())
        .into_response())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::execution::{ExecutionLayer, MockExecution};
    use crate::genesis::{interop_secret_key, GenesisParams, GenesisValidator};
    use lsv_consensus::{Epoch, Minimal, Slot};

    fn genesis_store() -> Store<Minimal> {
        let spec = Spec::<Minimal>::new(Config::minimal());
        let validators: Vec<GenesisValidator> = (0..16)
            .map(|i| GenesisValidator {
                pubkey: PublicKeyBytes(interop_secret_key(i).sk_to_pk().to_bytes()),
                withdrawal_credentials: B256::ZERO,
                balance: MIN_ACTIVATION_BALANCE,
            })
            .collect();
        let params = GenesisParams {
            genesis_time: 0,
            fork: ForkName::Electra,
            execution_payload_header: ExecutionLayer::<Minimal>::genesis_header(
                &MockExecution::default(),
            ),
        };
        let genesis = spec.genesis_state(&params, &validators).unwrap();
        Store::new(spec, genesis)
    }

    #[test]
    fn a_state_out_of_the_window_is_a_404_saying_how_many_are_kept() {
        let mut store = genesis_store();
        let window = Store::<Minimal>::STATE_WINDOW;
        let last = window + 10;
        let mut state = store.genesis_state().as_ref().clone();
        for slot in 1..=last {
            state.slot = Slot::new(slot);
            store.record_slot(slot, None, &state);
        }
        for slot in [1, 10] {
            let Err(e) = resolve_state(&store, Id::Slot(slot)) else {
                panic!("the state at slot {slot} is still kept");
            };
            assert_eq!(e.status, StatusCode::NOT_FOUND);
            assert!(e.message.contains("no longer kept"), "{}", e.message);
            assert!(e.message.contains("last 1024 slots"), "{}", e.message);
        }
        assert!(resolve_state(&store, Id::Slot(11)).is_ok());
        assert_eq!(
            resolve_state(&store, Id::Slot(last)).unwrap().1.slot,
            Slot::new(last)
        );
        assert_eq!(
            resolve_state(&store, Id::Genesis).unwrap().1.slot,
            Slot::new(0)
        );
        let Err(e) = resolve_state(&store, Id::Slot(last + 1)) else {
            panic!("a state after the last slot");
        };
        assert!(
            e.message.contains("after the node's last slot"),
            "{}",
            e.message
        );
    }

    #[test]
    fn ids_parse_as_the_api_writes_them() {
        let root = format!("0x{}", "ab".repeat(32));
        assert_eq!(parse_id("block", "head").unwrap(), Id::Head);
        assert_eq!(parse_id("state", "justified").unwrap(), Id::Justified);
        assert_eq!(parse_id("block", "0").unwrap(), Id::Slot(0));
        assert_eq!(
            parse_id("block", &root).unwrap(),
            Id::Root(B256::repeat_byte(0xab))
        );
        for bad in [
            "",
            "Head",
            "-1",
            "1.5",
            "18446744073709551616",
            "0x12",
            "ab",
            "0xzz",
        ] {
            let e = parse_id("block", bad).expect_err("a bad id");
            assert_eq!(e.status, StatusCode::BAD_REQUEST, "{bad:?}");
        }
        assert!(matches!(
            parse_validator_id("12"),
            Ok(ValidatorId::Index(12))
        ));
        assert!(parse_validator_id(&format!("0x{}", "01".repeat(48))).is_ok());
        assert!(parse_validator_id("0x01").is_err());
    }

    #[test]
    fn accept_picks_the_preferred_served_type() {
        let accept = |v: &str| {
            let mut h = HeaderMap::new();
            h.insert(header::ACCEPT, HeaderValue::from_str(v).unwrap());
            h
        };
        let json = Media::Json;
        assert_eq!(negotiate(&HeaderMap::new(), json).unwrap(), Media::Json);
        assert_eq!(
            negotiate(&HeaderMap::new(), Media::Ssz).unwrap(),
            Media::Ssz
        );
        assert_eq!(
            negotiate(&accept("application/octet-stream"), json).unwrap(),
            Media::Ssz
        );
        assert_eq!(negotiate(&accept("*/*"), json).unwrap(), Media::Json);
        assert_eq!(
            negotiate(
                &accept("application/octet-stream;q=0.9, application/json"),
                json
            )
            .unwrap(),
            Media::Json
        );
        assert_eq!(
            negotiate(&accept("application/json;q=0, application/*"), Media::Ssz).unwrap(),
            Media::Ssz
        );
        let e = negotiate(&accept("text/html"), json).expect_err("406");
        assert_eq!(e.status, StatusCode::NOT_ACCEPTABLE);
    }

    #[test]
    fn statuses_follow_the_lifecycle() {
        let v = |activation: u64, exit: u64, withdrawable: u64, slashed: bool| Validator {
            pubkey: PublicKeyBytes([0; 48]),
            withdrawal_credentials: B256::ZERO,
            effective_balance: lsv_consensus::Gwei::new(MIN_ACTIVATION_BALANCE),
            slashed,
            activation_eligibility_epoch: Epoch::new(0),
            activation_epoch: Epoch::new(activation),
            exit_epoch: Epoch::new(exit),
            withdrawable_epoch: Epoch::new(withdrawable),
        };
        let far = FAR_FUTURE_EPOCH;
        let mut pending = v(far, far, far, false);
        assert_eq!(status(&pending, 1, 5), "pending_queued");
        pending.activation_eligibility_epoch = Epoch::new(far);
        assert_eq!(status(&pending, 1, 5), "pending_initialized");
        assert_eq!(status(&v(0, far, far, false), 1, 5), "active_ongoing");
        assert_eq!(status(&v(0, 9, far, false), 1, 5), "active_exiting");
        assert_eq!(status(&v(0, 9, far, true), 1, 5), "active_slashed");
        assert_eq!(status(&v(0, 5, 9, false), 1, 5), "exited_unslashed");
        assert_eq!(status(&v(0, 5, 9, true), 1, 5), "exited_slashed");
        assert_eq!(status(&v(0, 2, 5, false), 1, 5), "withdrawal_possible");
        assert_eq!(status(&v(0, 2, 5, false), 0, 5), "withdrawal_done");
        let wanted = |s: &[&str]| s.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert!(matches_status("active_exiting", &wanted(&["active"])));
        assert!(matches_status("active_exiting", &wanted(&[])));
        assert!(!matches_status(
            "active_exiting",
            &wanted(&["exited", "active_ongoing"])
        ));
        assert!(!matches_status(
            "withdrawal_done",
            &wanted(&["withdrawal_d"])
        ));
    }
}
