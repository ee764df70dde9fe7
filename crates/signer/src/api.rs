//! Routes and the one place where P's errors become HTTP statuses.

use crate::metrics::{Metrics, Outcome};
use alloy_primitives::Address;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::middleware;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::serve::ListenerExt;
use axum::{Json, Router};
use lsv_consensus::{PublicKeyBytes, RequestError, SignRequest};
use lsv_enclave::anchor::witness::{Witness, WitnessError, WitnessRequest, WITNESS_PATH};
use lsv_enclave::{Enclave, SignError};
use serde::Deserialize;
use serde_json::json;
use std::future::Future;
use std::future::IntoFuture;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::net::TcpListener;
use tracing::Instrument;

/// The largest request body accepted. A full Altair block with every list at its mainnet
/// maximum stays well below this; anything larger is refused with 413 before it is parsed.
pub const MAX_BODY_BYTES: usize = 2 * 1024 * 1024;

/// What every handler shares: P and the metrics it reports.
pub struct AppState {
    /// Program P, which decides and signs; the API only translates to and from it.
    pub enclave: Arc<Enclave>,
    /// The signing counters and latencies served at `/metrics`.
    pub metrics: Metrics,
    /// For a device of a cluster: the coordinators whose signed requests it answers
    /// ([`crate::auth`]); empty for a signer that answers anyone who reaches it.
    pub coordinators: Vec<Address>,
    /// For a hardware device of a cluster: the file holding its platform's current DCAP
    /// collateral (dcap-qvl's `QuoteCollateralV3` JSON, refreshed from a PCCS by the host), read
    /// at each key generation and sent with the announcement so the other devices can verify
    /// its quote.
    pub dcap_collateral: Option<std::path::PathBuf>,
    /// For a P that is a witness of other Ps' anchors (`lsv signer --witness`): its records
    /// and key ([`lsv_enclave::anchor::witness`]).
    pub witness: Option<Arc<Witness>>,
}

impl AppState {
    /// The state for `enclave`, with the loaded-keys gauge set to the keys it holds.
    pub fn new(enclave: Arc<Enclave>) -> Arc<Self> {
        Self::for_cluster(enclave, Vec::new(), None)
    }

    /// The state of a device that answers only requests signed by one of `coordinators`, and
    /// sends the collateral in `dcap_collateral` with its announcements.
    pub fn for_cluster(
        enclave: Arc<Enclave>,
        coordinators: Vec<Address>,
        dcap_collateral: Option<std::path::PathBuf>,
    ) -> Arc<Self> {
        Self::with_witness(enclave, coordinators, dcap_collateral, None)
    }

    /// The state of a P that also answers as `witness` of other Ps' anchors.
    pub fn with_witness(
        enclave: Arc<Enclave>,
        coordinators: Vec<Address>,
        dcap_collateral: Option<std::path::PathBuf>,
        witness: Option<Arc<Witness>>,
    ) -> Arc<Self> {
        let metrics = Metrics::new();
        metrics.keys.set(enclave.public_keys().len() as i64);
        Arc::new(Self {
            enclave,
            metrics,
            coordinators,
            dcap_collateral,
            witness,
        })
    }
}

/// Every route of the API (the table in the crate docs) over `state`, with the body limit and JSON
/// errors; [`serve`] runs it.
pub fn router(state: Arc<AppState>) -> Router {
    Router::new()
        .route("/api/v1/eth2/sign/{identifier}", post(sign))
        .route("/api/v1/eth2/publicKeys", get(public_keys))
        .route("/api/v1/eth2/highWatermark", get(high_watermark))
        .route("/upcheck", get(upcheck))
        .route("/healthcheck", get(healthcheck))
        .route("/metrics", get(metrics))
        .route("/eth/v1/lsv/keys", post(generate_keys))
        .route(
            "/eth/v1/lsv/keys/{pubkey}/attestation",
            get(key_attestation),
        )
        .route("/eth/v1/lsv/attestation", get(attestation))
        .route("/eth/v1/lsv/cluster/announce", post(cluster_announce))
        .route("/eth/v1/lsv/cluster/deal", post(cluster_deal))
        .route("/eth/v1/lsv/cluster/finish", post(cluster_finish))
        .route("/eth/v1/lsv/device/registration", post(device_registration))
        .route(WITNESS_PATH, get(witness_identity))
        .route(&format!("{WITNESS_PATH}/{{record}}"), post(witness_answer))
        .fallback(|| async { error(StatusCode::NOT_FOUND, "no such route") })
        .layer(middleware::from_fn_with_state(
            state.clone(),
            only_from_coordinator,
        ))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(middleware::map_response(json_errors))
        .with_state(state)
}

/// A device of a cluster answers only its coordinator's signed requests (401 otherwise); the
/// health and metrics routes stay open for monitoring.
async fn only_from_coordinator(
    State(state): State<Arc<AppState>>,
    request: axum::extract::Request,
    next: middleware::Next,
) -> Response {
    let path = request.uri().path().to_owned();
    // A witness answers any P (its answers are signed, and moving a record only costs its
    // owner a raise), so a cluster device that is also a witness leaves those routes open.
    if state.coordinators.is_empty()
        || matches!(path.as_str(), "/upcheck" | "/healthcheck" | "/metrics")
        || (state.witness.is_some() && path.starts_with(WITNESS_PATH))
    {
        return next.run(request).await;
    }
    let (parts, body) = request.into_parts();
    let body = match axum::body::to_bytes(body, MAX_BODY_BYTES).await {
        Ok(b) => b,
        Err(_) => {
            return error(
                StatusCode::PAYLOAD_TOO_LARGE,
                format!("request body over the {MAX_BODY_BYTES}-byte limit"),
            )
        }
    };
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let path_and_query = parts
        .uri
        .path_and_query()
        .map(|p| p.as_str())
        .unwrap_or(&path);
    if let Err(e) = crate::auth::verify_request(
        &parts.headers,
        parts.method.as_str(),
        path_and_query,
        &body,
        &state.coordinators,
        now,
    ) {
        tracing::info!(%path, reason = %e, "refused an unsigned request");
        return error(StatusCode::UNAUTHORIZED, e.to_string());
    }
    next.run(axum::extract::Request::from_parts(parts, body.into()))
        .await
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AnnounceRequest {
    ceremony: alloy_primitives::B256,
    threshold: u8,
    devices: u8,
    owner: Address,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DealRequest {
    ceremony: lsv_threshold::dkg::Ceremony,
    index: u8,
    announcements: Vec<lsv_enclave::DeviceAnnouncement>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FinishRequest {
    ceremony: lsv_threshold::dkg::Ceremony,
    index: u8,
    dealings: Vec<lsv_threshold::dkg::Dealing>,
}

fn parse<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, String> {
    serde_json::from_slice(body).map_err(|e| e.to_string())
}

/// A step of the key generation's answer: `{"data": …}`, or the status its error calls for.
fn key_generation_answer<T: serde::Serialize>(result: Result<T, SignError>) -> Response {
    use lsv_enclave::KeyGenerationError as K;
    match result {
        Ok(data) => Json(json!({ "data": data })).into_response(),
        Err(e) => {
            let status = match &e {
                SignError::KeyRequest(_) | SignError::Policy(_) | SignError::BadRequest(_) => {
                    StatusCode::BAD_REQUEST
                }
                SignError::KeyGeneration(K::Unknown(_)) => StatusCode::NOT_FOUND,
                SignError::KeyGeneration(
                    K::Reused(_) | K::Dkg(lsv_threshold::dkg::DkgError::Complaints(_)),
                ) => StatusCode::CONFLICT,
                SignError::KeyGeneration(K::Dkg(_) | K::Peer { .. }) => StatusCode::BAD_REQUEST,
                SignError::KeyGeneration(K::Busy) => StatusCode::SERVICE_UNAVAILABLE,
                _ => StatusCode::INTERNAL_SERVER_ERROR,
            };
            tracing::warn!(error = %e, "key generation step refused");
            error(status, e.to_string())
        }
    }
}

/// Step 1 of a multi-device key generation ([`Enclave::cluster_announce`]).
async fn cluster_announce(State(state): State<Arc<AppState>>, body: Bytes) -> Response {
    let r: AnnounceRequest = match parse(&body) {
        Ok(r) => r,
        Err(e) => return error(StatusCode::BAD_REQUEST, e),
    };
    let mut announced = state
        .enclave
        .cluster_announce(r.ceremony, r.threshold, r.devices, r.owner)
        .await;
    if let (Ok(a), Some(path)) = (&mut announced, &state.dcap_collateral) {
        // The host's file, read now so that a refresh between key generations is seen.
        let read = std::fs::read_to_string(path)
            .map_err(|e| e.to_string())
            .and_then(|text| serde_json::from_str(&text).map_err(|e| e.to_string()));
        match read {
            Ok(collateral) => a.collateral = Some(collateral),
            Err(e) => {
                let message = format!("DCAP collateral {}: {e}", path.display());
                tracing::error!("{message}");
                return error(StatusCode::INTERNAL_SERVER_ERROR, message);
            }
        }
    }
    key_generation_answer(announced)
}

/// Step 2 ([`Enclave::cluster_deal`]).
async fn cluster_deal(State(state): State<Arc<AppState>>, body: Bytes) -> Response {
    let r: DealRequest = match parse(&body) {
        Ok(r) => r,
        Err(e) => return error(StatusCode::BAD_REQUEST, e),
    };
    key_generation_answer(
        state
            .enclave
            .cluster_deal(&r.ceremony, r.index, &r.announcements)
            .await,
    )
}

/// Step 3 ([`Enclave::cluster_finish`]).
async fn cluster_finish(State(state): State<Arc<AppState>>, body: Bytes) -> Response {
    let r: FinishRequest = match parse(&body) {
        Ok(r) => r,
        Err(e) => return error(StatusCode::BAD_REQUEST, e),
    };
    let result = state
        .enclave
        .cluster_finish(&r.ceremony, r.index, &r.dealings)
        .await;
    if result.is_ok() {
        state
            .metrics
            .keys
            .set(state.enclave.public_keys().len() as i64);
    }
    key_generation_answer(result)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DeviceRegistrationRequest {
    registry: Address,
}

/// The evidence that registers this device's key at a `DeviceRegistry`
/// ([`Enclave::device_registration`]).
async fn device_registration(State(state): State<Arc<AppState>>, body: Bytes) -> Response {
    let r: DeviceRegistrationRequest = match parse(&body) {
        Ok(r) => r,
        Err(e) => return error(StatusCode::BAD_REQUEST, e),
    };
    let registration = match state.enclave.device_registration(r.registry) {
        Ok(registration) => registration,
        Err(e) => return key_generation_answer::<()>(Err(e)),
    };
    let collateral = match (&state.dcap_collateral, registration.backend.is_dcap()) {
        (Some(path), true) => {
            let read = std::fs::read_to_string(path)
                .map_err(|e| e.to_string())
                .and_then(|text| serde_json::from_str(&text).map_err(|e| e.to_string()));
            match read {
                Ok(collateral) => Some(collateral),
                Err(e) => {
                    let message = format!("DCAP collateral {}: {e}", path.display());
                    tracing::error!("{message}");
                    return error(StatusCode::INTERNAL_SERVER_ERROR, message);
                }
            }
        }
        _ => None,
    };
    Json(json!({ "data": crate::cluster::DeviceRegistrationAnswer { registration, collateral } }))
        .into_response()
}

/// `GET /eth/v1/lsv/witness`: the witness's address (what an anchored P's operator checks and P
/// records) and how many records it keeps; 404 on a P that is not a witness.
async fn witness_identity(State(state): State<Arc<AppState>>) -> Response {
    let Some(witness) = state.witness.clone() else {
        return not_a_witness();
    };
    match tokio::task::spawn_blocking(move || witness.identity()).await {
        Ok(Ok(identity)) => Json(identity).into_response(),
        Ok(Err(e)) => witness_error(e),
        Err(e) => error(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
    }
}

/// `POST /eth/v1/lsv/witness/{record}` with `{"nonce", "op"}`: the record read or advanced,
/// committed before the signed answer leaves ([`Witness::answer`]).
async fn witness_answer(
    State(state): State<Arc<AppState>>,
    Path(record): Path<String>,
    body: Bytes,
) -> Response {
    let Some(witness) = state.witness.clone() else {
        return not_a_witness();
    };
    let Ok(record) = record.parse::<alloy_primitives::B256>() else {
        return error(
            StatusCode::BAD_REQUEST,
            format!("record {record:?} is not 32 bytes of 0x-hex"),
        );
    };
    let request: WitnessRequest = match parse(&body) {
        Ok(r) => r,
        Err(e) => return error(StatusCode::BAD_REQUEST, e),
    };
    match tokio::task::spawn_blocking(move || witness.answer(record, &request)).await {
        Ok(Ok(answer)) => Json(answer).into_response(),
        Ok(Err(e)) => witness_error(e),
        Err(e) => error(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
    }
}

fn not_a_witness() -> Response {
    error(
        StatusCode::NOT_FOUND,
        "this P is not a witness (start it with --witness)",
    )
}

fn witness_error(e: WitnessError) -> Response {
    let status = match e {
        WitnessError::BadRequest(_) => StatusCode::BAD_REQUEST,
        WitnessError::Full => StatusCode::INSUFFICIENT_STORAGE,
        WitnessError::Key(_) | WitnessError::Store { .. } => {
            tracing::error!(error = %e, "witness: could not answer");
            StatusCode::INTERNAL_SERVER_ERROR
        }
    };
    error(status, e.to_string())
}

/// The metrics alone (`GET /metrics`), for `--metrics-listen`: a Prometheus scraper reaches
/// them on their own address without reaching the signing API.
pub fn metrics_router(state: Arc<AppState>) -> Router {
    Router::new()
        .route("/metrics", get(metrics))
        .fallback(|| async { error(StatusCode::NOT_FOUND, "no such route: only /metrics here") })
        .layer(middleware::map_response(json_errors))
        .with_state(state)
}

/// Every error answer as the JSON the README promises (`{"code", "message"}`), including those
/// axum makes before a handler runs: 413 for a body over [`MAX_BODY_BYTES`] (text by default),
/// 405 for a route that exists under another method (empty by default; the `Allow` header
/// stays).
async fn json_errors(response: Response) -> Response {
    let status = response.status();
    let is_json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if !(status.is_client_error() || status.is_server_error()) || is_json {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let text = axum::body::to_bytes(body, 64 * 1024)
        .await
        .map(|b| String::from_utf8_lossy(&b).trim().to_owned())
        .unwrap_or_default();
    let message = match status {
        StatusCode::PAYLOAD_TOO_LARGE => {
            format!("request body over the {MAX_BODY_BYTES}-byte limit")
        }
        StatusCode::METHOD_NOT_ALLOWED => {
            "method not allowed on this route (its Allow header lists the ones it takes)".to_owned()
        }
        _ if !text.is_empty() => text,
        _ => status.canonical_reason().unwrap_or("error").to_lowercase(),
    };
    parts.headers.remove(header::CONTENT_LENGTH);
    parts.headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    let body = json!({ "code": status.as_u16(), "message": message }).to_string();
    Response::from_parts(parts, axum::body::Body::from(body))
}

/// The runtime to serve P on: one worker per core, and each worker tells P's slashing-protection
/// writer when it runs out of work and when it has work again, so a group commit never holds
/// idle cores waiting for more checks ([`Enclave::on_worker_park`]).
pub fn runtime(enclave: &Enclave) -> std::io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .on_thread_park(enclave.on_worker_park())
        .on_thread_unpark(enclave.on_worker_unpark())
        .build()
}

/// How long a stop waits for open connections to finish their requests. A connection that
/// sent half a request (a client that hung, or vanished without closing) would otherwise hold
/// the stop forever: axum's graceful shutdown waits for every connection, and nothing times out
/// a request's head or body. Every answer P gives takes milliseconds, key generation seconds;
/// a signature whose record is durable is safe to drop unsent.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// Serves the API on `listener` until `shutdown` resolves; then waits up to
/// [`SHUTDOWN_GRACE`] for requests in flight, and returns.
pub async fn serve(
    listener: TcpListener,
    state: Arc<AppState>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    serve_router(listener, router(state), shutdown).await
}

/// Serves [`metrics_router`] on `listener`, as [`serve`] does the API.
pub async fn serve_metrics(
    listener: TcpListener,
    state: Arc<AppState>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    serve_router(listener, metrics_router(state), shutdown).await
}

pub(crate) async fn serve_router(
    listener: TcpListener,
    router: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    // Request/response on small bodies: send each answer at once rather than let Nagle's
    // algorithm hold it for the next ACK (Web3Signer and most HTTP stacks do the same).
    let listener = listener.tap_io(|tcp| {
        if let Err(e) = tcp.set_nodelay(true) {
            tracing::debug!(error = %e, "could not set TCP_NODELAY");
        }
    });
    let (stopping, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = axum::serve(listener, router)
        .with_graceful_shutdown(async move {
            shutdown.await;
            let _ = stopping.send(());
        })
        .into_future();
    let grace = async move {
        match stopped.await {
            Ok(()) => tokio::time::sleep(SHUTDOWN_GRACE).await,
            // The server ended on its own: the other branch has its result.
            Err(_) => std::future::pending().await,
        }
    };
    tokio::select! {
        result = server => result,
        () = grace => {
            tracing::warn!(
                grace_seconds = SHUTDOWN_GRACE.as_secs(),
                "connections still open after the stop's grace period; closing them"
            );
            Ok(())
        }
    }
}

pub(crate) fn error(status: StatusCode, message: impl Into<String>) -> Response {
    (
        status,
        Json(json!({ "code": status.as_u16(), "message": message.into() })),
    )
        .into_response()
}

/// `Accept: text/plain` (without JSON) gets the bare hex signature; everything else gets
/// `{"signature": ...}`, as Web3Signer answers.
pub(crate) fn wants_text(headers: &HeaderMap) -> bool {
    let accept = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    accept.contains("text/plain") && !accept.contains("application/json")
}

async fn sign(
    State(state): State<Arc<AppState>>,
    Path(identifier): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let started = Instant::now();
    let (type_name, outcome, response) = sign_inner(&state, &identifier, &headers, &body).await;
    state
        .metrics
        .record(type_name, outcome, started.elapsed().as_secs_f64());
    response
}

async fn sign_inner(
    state: &AppState,
    identifier: &str,
    headers: &HeaderMap,
    body: &[u8],
) -> (&'static str, Outcome, Response) {
    let pubkey = match PublicKeyBytes::from_hex(identifier) {
        Ok(pk) => pk,
        Err(e) => {
            return (
                "UNKNOWN",
                Outcome::BadRequest,
                error(StatusCode::BAD_REQUEST, e.to_string()),
            )
        }
    };
    if !state.enclave.has_key(&pubkey) {
        return (
            "UNKNOWN",
            Outcome::UnknownKey,
            error(
                StatusCode::NOT_FOUND,
                format!("no key {pubkey} in this signer"),
            ),
        );
    }
    // Parsed with the pinned network's preset: the lengths of its containers' lists and bit
    // vectors (a minimal-preset devnet's aggregates and contributions) decide their roots.
    let preset = state.enclave.policy().network.preset;
    let request = match SignRequest::from_json_with_preset(body, preset) {
        Ok(r) => r,
        Err(e) => {
            return (
                "UNKNOWN",
                Outcome::BadRequest,
                error(StatusCode::BAD_REQUEST, e.to_string()),
            )
        }
    };
    let type_name = request.message.type_name();
    // Attached to the future, not entered across the await: a guard held over an await would
    // leave the span entered on whatever task the worker polls next.
    let span = tracing::debug_span!("sign", %pubkey, r#type = type_name);
    let signed = state
        .enclave
        .sign(&pubkey, &request)
        .instrument(span.clone())
        .await;
    let _enter = span.enter();
    match signed {
        Ok(signed) => {
            tracing::debug!(resigned = signed.resigned, "signed");
            let sig = signed.signature.to_hex();
            let response = if wants_text(headers) {
                (
                    [(header::CONTENT_TYPE, HeaderValue::from_static("text/plain"))],
                    sig,
                )
                    .into_response()
            } else {
                Json(json!({ "signature": sig })).into_response()
            };
            (type_name, Outcome::Signed, response)
        }
        Err(e) => {
            let (status, outcome) = match &e {
                SignError::UnknownKey(_) => (StatusCode::NOT_FOUND, Outcome::UnknownKey),
                // (`KeyGeneration` comes only from the key-generation steps, never from signing.)
                SignError::BadRequest(_)
                | SignError::KeyRequest(_)
                | SignError::KeyGeneration(_) => (StatusCode::BAD_REQUEST, Outcome::BadRequest),
                SignError::Slashable(_) => {
                    (StatusCode::PRECONDITION_FAILED, Outcome::RefusedSlashing)
                }
                SignError::Policy(_) => (StatusCode::PRECONDITION_FAILED, Outcome::RefusedPolicy),
                // P's own failure, never the request's: the message says what failed.
                SignError::Protection(_) | SignError::Keyring(_) => {
                    (StatusCode::INTERNAL_SERVER_ERROR, Outcome::Error)
                }
                // The anchor could not reserve the epoch (unreachable, contended, or another
                // copy of this P opened it): nothing was signed, and a retry may succeed.
                SignError::Anchor(_) => (StatusCode::SERVICE_UNAVAILABLE, Outcome::Error),
            };
            // One line per refusal: the slashing-protection database already logs each of
            // its refusals (WARN, with the key, the slot or epochs and the reason).
            match outcome {
                Outcome::Error => {
                    tracing::error!(%pubkey, r#type = type_name, error = %e, "signing failed")
                }
                Outcome::RefusedSlashing => {}
                _ => tracing::info!(%pubkey, r#type = type_name, reason = %e, "refused"),
            }
            (type_name, outcome, error(status, e.to_string()))
        }
    }
}

async fn public_keys(State(state): State<Arc<AppState>>) -> Response {
    Json(state.enclave.public_keys()).into_response()
}

async fn high_watermark(State(state): State<Arc<AppState>>) -> Response {
    let (slot, epoch) = state.enclave.high_watermark();
    Json(json!({ "epoch": epoch, "slot": slot })).into_response()
}

async fn upcheck() -> Response {
    (
        [(header::CONTENT_TYPE, HeaderValue::from_static("text/plain"))],
        "OK",
    )
        .into_response()
}

/// Web3Signer's health check shape: `UP` overall unless a check is `DOWN` (then 503). The
/// freshness anchor's check is `DOWN` once another copy of this P has opened the anchor (this
/// one reserves no more epochs); without an anchor it stays `UP` with a warning.
async fn healthcheck(State(state): State<Arc<AppState>>) -> Response {
    let anchor = match state.enclave.anchor_status() {
        Some(status) => {
            let up = if status.superseded { "DOWN" } else { "UP" };
            let mut check = json!({ "id": "freshness-anchor", "status": up });
            if let (Some(check), Ok(serde_json::Value::Object(fields))) =
                (check.as_object_mut(), serde_json::to_value(&status))
            {
                check.extend(fields);
            }
            check
        }
        None => json!({
            "id": "freshness-anchor", "status": "UP", "backend": "none",
            "warning": lsv_enclave::anchor::NO_ANCHOR_WARNING,
        }),
    };
    let mut up = anchor["status"] == "UP";
    let mut checks = vec![
        json!({ "id": "keys-loaded", "status": "UP", "count": state.enclave.public_keys().len() }),
        json!({ "id": "sealing", "status": "UP", "backend": state.enclave.sealing_backend(),
            "hardware_backed": state.enclave.is_hardware_backed() }),
        json!({ "id": "attestation", "status": "UP",
            "backend": state.enclave.attestation_info().backend }),
        anchor,
    ];
    if let Some(witness) = state.witness.clone() {
        // A witness whose records cannot be read cannot answer the Ps that count on it.
        let check = match tokio::task::spawn_blocking(move || witness.identity()).await {
            Ok(Ok(identity)) => json!({ "id": "witness", "status": "UP",
                "address": identity.address, "records": identity.records }),
            Ok(Err(e)) => json!({ "id": "witness", "status": "DOWN", "error": e.to_string() }),
            Err(e) => json!({ "id": "witness", "status": "DOWN", "error": e.to_string() }),
        };
        up &= check["status"] == "UP";
        checks.push(check);
    }
    health_answer(checks, up)
}

/// Web3Signer's health answer: `{status, checks, outcome}`, 200 when `up`, else 503 `DOWN`.
pub(crate) fn health_answer(checks: Vec<serde_json::Value>, up: bool) -> Response {
    let (status, outcome) = if up {
        (StatusCode::OK, "UP")
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, "DOWN")
    };
    (
        status,
        Json(json!({ "status": outcome, "checks": checks, "outcome": outcome })),
    )
        .into_response()
}

async fn metrics(State(state): State<Arc<AppState>>) -> Response {
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/plain; version=0.0.4"),
        )],
        state.metrics.render(),
    )
        .into_response()
}

/// What a verifier's deployer needs from this P: attestation backend, the dev attester's
/// address (for `DevAttestationVerifier`), the policy hash (the vault's `POLICY_HASH`), domain
/// tag, chain id, genesis validators root and withdrawal credentials. Public data only.
async fn attestation(State(state): State<Arc<AppState>>) -> Response {
    Json(state.enclave.attestation_info()).into_response()
}

/// The evidence P recorded with a key at its generation (never produced again): `{"data":
/// {pubkey, owner, withdrawal_credentials, attestation}}`, as the keymanager API wraps a
/// per-key answer. 400 for a malformed key, 404 for a key P does not hold.
///
/// A key made before P recorded evidence answers 200 with `"attestation": null` and a
/// `message` saying why, not 404: to a Web3Signer or Lighthouse user 404 on a per-key route
/// means "this signer does not hold that key", and this key is held (it is in `publicKeys` and
/// signs); a 404 here would contradict that and send them looking for a missing key.
async fn key_attestation(
    State(state): State<Arc<AppState>>,
    Path(pubkey): Path<String>,
) -> Response {
    let pubkey = match PublicKeyBytes::from_hex(&pubkey) {
        Ok(pk) => pk,
        Err(e) => return error(StatusCode::BAD_REQUEST, e.to_string()),
    };
    match state.enclave.key_attestation(&pubkey) {
        Some(key) => Json(json!({ "data": key })).into_response(),
        None => error(
            StatusCode::NOT_FOUND,
            format!("no key {pubkey} in this signer"),
        ),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct KeysRequest {
    owner: Address,
    count: usize,
}

async fn generate_keys(State(state): State<Arc<AppState>>, body: Bytes) -> Response {
    let request: KeysRequest = match serde_json::from_slice(&body) {
        Ok(r) => r,
        Err(e) => {
            return error(
                StatusCode::BAD_REQUEST,
                format!("expected {{\"owner\": \"0x<20-byte address>\", \"count\": <n>}}: {e}"),
            )
        }
    };
    match state
        .enclave
        .generate_keys(request.owner, request.count)
        .await
    {
        Ok(keys) => {
            state
                .metrics
                .keys
                .set(state.enclave.public_keys().len() as i64);
            let hardware_backed = state.enclave.is_hardware_backed();
            let mut body = json!({ "data": keys, "hardware_backed": hardware_backed });
            if !hardware_backed {
                body["warning"] = json!(
                    "dev backend: keys are sealed in software with a password kept in the data directory, \
                     and their attestation is signed by a software key; not hardware-backed, for devnets and tests only"
                );
            }
            Json(body).into_response()
        }
        Err(SignError::BadRequest(RequestError::Malformed(m))) => error(StatusCode::BAD_REQUEST, m),
        // A count out of range, or an owner C can never pay: refused before anything is made.
        Err(SignError::KeyRequest(e)) => error(StatusCode::BAD_REQUEST, e.to_string()),
        Err(SignError::Policy(p)) => error(StatusCode::PRECONDITION_FAILED, p.to_string()),
        // Anything else is P's own failure: its keyring, its database, or the deposit request it
        // built itself.
        Err(e) => {
            tracing::error!(error = %e, "key generation failed");
            error(StatusCode::INTERNAL_SERVER_ERROR, e.to_string())
        }
    }
}
