//! The coordinator of a cluster: one validator key held as `m`-of-`n` shares on `n` devices, each
//! a whole P with its own slashing record (DESIGN.md, "Many devices"; `lsv_threshold`).
//!
//! To the validator client it is a remote signer like any other (the same routes and answers as
//! [`crate::router`]). For each signing request it parses the request and computes the signing
//! root itself, sends the request unchanged to every device (signed once for all of them,
//! [`crate::auth`]), and as soon as `m` partial signatures have arrived combines them (Lagrange
//! at 0, blst) and verifies each partial against its device's share key and the combination
//! against the group key, all in one batch test; only when that fails are the partials verified
//! one by one, to leave out (and name) the device whose partial is wrong. It never returns a
//! signature it has not verified, and keeps serving with `n − m` devices down. The devices
//! still answering after the first `m` finish in the background, so their records keep up.
//!
//! It also runs the key generation ([`Coordinator::generate_key`]): the three steps of
//! `lsv_threshold::dkg` through every device's API, then the deposit's partial signatures
//! combined and the group's evidence checked.

use crate::api::{error, wants_text};
use crate::auth;
use alloy_primitives::{Address, B256};
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use blst::min_pk::{PublicKey, Signature};
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::{connect::HttpConnector, Client};
use hyper_util::rt::TokioExecutor;
use lsv_attestation::multi::{DevDevices, GroupEvidence, PlatformId};
use lsv_attestation::DevAttester;
use lsv_consensus::containers::DepositMessage;
use lsv_consensus::network::{compute_domain, compute_signing_root, domain};
use lsv_consensus::{Network, PublicKeyBytes, SignRequest, SignatureBytes};
use lsv_enclave::deposit::DepositData;
use lsv_enclave::{DeviceAnnouncement, SharedKey};
use lsv_threshold::dkg::{Ceremony, Dealing};
use lsv_threshold::sharing::{check_share_keys, combine_signatures, verify_partials};
use lsv_threshold::Tolerance;
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;
use tree_hash::TreeHash;

/// The consensus layer's signature DST (phase0 beacon-chain.md, "BLS signatures").
const BLS_DST: &[u8] = b"BLS_SIG_BLS12381G2_XMD:SHA-256_SSWU_RO_POP_";

/// A cluster as `cluster.json` holds it: the threshold, the devices in index order, and the
/// keys generated on them. Public data only; the coordinator's request key is a separate file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClusterConfig {
    /// Shares needed to sign (`m`).
    pub threshold: u8,
    /// The devices, device `i` at position `i − 1`.
    pub devices: Vec<DeviceConfig>,
    /// The validator keys the devices hold shares of.
    #[serde(default)]
    pub validators: Vec<ClusterValidator>,
}

/// One device: where its P's API is.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeviceConfig {
    /// Its API's base URL (`http://host:port`).
    pub url: String,
}

/// One key held by the cluster.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClusterValidator {
    /// The validator's (group) key.
    pub pubkey: PublicKeyBytes,
    /// Every device's share key, in index order.
    pub shares: Vec<PublicKeyBytes>,
}

/// Why a cluster configuration is refused.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// Not a threshold for this many devices.
    #[error(transparent)]
    Threshold(#[from] lsv_threshold::NotAThreshold),
    /// More than 255 devices.
    #[error("{0} devices: at most 255")]
    TooManyDevices(usize),
    /// A validator's share keys do not make an `m`-of-`n` sharing of its key.
    #[error("validator {pubkey}: {reason}")]
    Shares {
        /// The validator.
        pubkey: PublicKeyBytes,
        /// Why.
        reason: String,
    },
}

impl ClusterConfig {
    /// `(m, n)`, checked.
    pub fn tolerance(&self) -> Result<Tolerance, ConfigError> {
        let n = u8::try_from(self.devices.len())
            .map_err(|_| ConfigError::TooManyDevices(self.devices.len()))?;
        Ok(Tolerance::of(self.threshold, n)?)
    }
}

/// A validator's keys, parsed once.
struct Keys {
    group: PublicKey,
    shares: Vec<PublicKey>,
}

/// What a device answered.
enum Answer {
    /// 200 with a partial signature that verifies under the device's share key.
    Partial(Signature),
    /// An HTTP error status with the device's message.
    Refused(StatusCode, String),
    /// No usable answer (unreachable, timed out, not a signature, or one that does not verify).
    Failed(String),
}

/// The coordinator: the cluster, the network its devices are pinned to, the key it signs its
/// requests with, and one HTTP client for all devices.
pub struct Coordinator {
    config: ClusterConfig,
    network: Network,
    request_key: DevAttester,
    client: Client<HttpConnector, Full<Bytes>>,
    keys: HashMap<PublicKeyBytes, Arc<Keys>>,
    timeout: Duration,
    metrics: crate::metrics::ClusterMetrics,
}

/// How long the coordinator waits for a device's answer to a signing request: a validator
/// client's duties have seconds, so a slow device is treated as down.
pub const DEVICE_TIMEOUT: Duration = Duration::from_secs(3);

/// How long it waits for a step of the key generation (each step seals, attests or checks `n`
/// dealings).
pub const KEY_GENERATION_TIMEOUT: Duration = Duration::from_secs(60);

impl Coordinator {
    /// A coordinator for `config` on `network`, signing its requests with `request_key`.
    /// Checks the threshold and every validator's share keys against its group key.
    pub fn new(
        config: ClusterConfig,
        network: Network,
        request_key: DevAttester,
    ) -> Result<Self, ConfigError> {
        let t = config.tolerance()?;
        let mut keys = HashMap::new();
        for v in &config.validators {
            let bad = |reason: String| ConfigError::Shares {
                pubkey: v.pubkey,
                reason,
            };
            if v.shares.len() != usize::from(t.n) {
                return Err(bad(format!(
                    "{} shares for {} devices",
                    v.shares.len(),
                    t.n
                )));
            }
            let shares: Vec<PublicKey> = v
                .shares
                .iter()
                .map(|s| {
                    PublicKey::key_validate(&s.0)
                        .map_err(|_| bad(format!("share {s} is not a key")))
                })
                .collect::<Result<_, _>>()?;
            check_share_keys(&v.pubkey, &shares, t.m).map_err(|e| bad(e.to_string()))?;
            let group = PublicKey::key_validate(&v.pubkey.0)
                .map_err(|_| bad("not a valid public key".into()))?;
            keys.insert(v.pubkey, Arc::new(Keys { group, shares }));
        }
        let mut connector = HttpConnector::new();
        connector.set_nodelay(true);
        connector.set_connect_timeout(Some(DEVICE_TIMEOUT));
        Ok(Self {
            config,
            network,
            request_key,
            client: Client::builder(TokioExecutor::new()).build(connector),
            keys,
            timeout: DEVICE_TIMEOUT,
            metrics: crate::metrics::ClusterMetrics::new(),
        })
    }

    /// The cluster as configured (with every key generated since).
    pub fn config(&self) -> &ClusterConfig {
        &self.config
    }

    /// The address devices must be started with (`--cluster-coordinator`).
    pub fn address(&self) -> Address {
        self.request_key.address()
    }

    /// One signed request to device `index` (1-based): its status and body.
    async fn call(
        &self,
        index: u8,
        method: &str,
        path: &str,
        body: Bytes,
        timeout: Duration,
    ) -> Result<(StatusCode, Bytes), String> {
        let signed = self.sign_request(method, path, &body)?;
        self.send(index, method, path, &signed, body, timeout).await
    }

    /// The authentication headers for a request: one signature serves every device, as the
    /// signed digest names no device.
    fn sign_request(
        &self,
        method: &str,
        path: &str,
        body: &[u8],
    ) -> Result<[(&'static str, String); 2], String> {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        auth::sign_request(&self.request_key, method, path, now, body)
    }

    /// Sends a request signed with `signed` to device `index` (1-based).
    async fn send(
        &self,
        index: u8,
        method: &str,
        path: &str,
        signed: &[(&'static str, String); 2],
        body: Bytes,
        timeout: Duration,
    ) -> Result<(StatusCode, Bytes), String> {
        let device = &self.config.devices[usize::from(index) - 1];
        let mut request = hyper::Request::builder()
            .method(method)
            .uri(format!("{}{path}", device.url.trim_end_matches('/')))
            .header(header::CONTENT_TYPE, "application/json")
            .header(header::ACCEPT, "application/json");
        for (name, value) in signed {
            request = request.header(*name, value);
        }
        let request = request.body(Full::new(body)).map_err(|e| e.to_string())?;
        let exchange = async {
            let response = self
                .client
                .request(request)
                .await
                .map_err(|e| e.to_string())?;
            let status = response.status();
            let body = response
                .into_body()
                .collect()
                .await
                .map_err(|e| e.to_string())?
                .to_bytes();
            Ok::<_, String>((status, body))
        };
        tokio::time::timeout(timeout, exchange)
            .await
            .map_err(|_| format!("no answer within {} ms", timeout.as_millis()))?
    }

    /// Signs `body` (a remote-signing request) for `pubkey` with `m` devices.
    pub async fn sign(
        self: &Arc<Self>,
        pubkey: PublicKeyBytes,
        body: Bytes,
    ) -> Result<SignatureBytes, (StatusCode, String)> {
        let keys = self.keys.get(&pubkey).cloned().ok_or((
            StatusCode::NOT_FOUND,
            format!("no key {pubkey} in this cluster"),
        ))?;
        let request = SignRequest::from_json_with_preset(&body, self.network.preset)
            .map_err(|e| (StatusCode::BAD_REQUEST, e.to_string()))?;
        let root = request
            .signing_root(&self.network)
            .map_err(|e| (StatusCode::BAD_REQUEST, e.to_string()))?;
        let m = usize::from(self.config.threshold);
        let n = self.config.devices.len();
        let (tx, mut rx) = tokio::sync::mpsc::channel::<(u8, Answer)>(n);
        let path = format!("/api/v1/eth2/sign/{pubkey}");
        let signed = Arc::new(
            self.sign_request("POST", &path, &body)
                .map_err(|e| (StatusCode::INTERNAL_SERVER_ERROR, e))?,
        );
        for index in 1..=n as u8 {
            let (this, tx, body, path, signed) = (
                self.clone(),
                tx.clone(),
                body.clone(),
                path.clone(),
                signed.clone(),
            );
            // Each device's request runs to its end even after the answer is sent: a slow
            // device still records (or refuses) what the others signed.
            tokio::spawn(async move {
                let sent = this.send(index, "POST", &path, &signed, body, this.timeout);
                let answer = match sent.await {
                    Ok((StatusCode::OK, body)) => parse_partial(&body),
                    Ok((status, body)) => Answer::Refused(status, message(&body)),
                    Err(e) => Answer::Failed(e),
                };
                let _ = tx.send((index, answer)).await;
            });
        }
        drop(tx);
        let mut candidates: Vec<(u8, Signature)> = Vec::with_capacity(n);
        let mut refusals = Vec::new();
        let mut failures = Vec::new();
        let mut group = None;
        while let Some((index, answer)) = rx.recv().await {
            match answer {
                Answer::Partial(sig) => {
                    self.metrics.device(index, "partial");
                    candidates.push((index, sig));
                }
                Answer::Refused(status, msg) => {
                    self.metrics.device(index, "refused");
                    refusals.push((index, status, msg));
                }
                Answer::Failed(e) => {
                    self.metrics.device(index, "failed");
                    failures.push((index, e));
                }
            }
            if candidates.len() >= m {
                let chosen = candidates.clone();
                let keys = keys.clone();
                let settled =
                    tokio::task::spawn_blocking(move || combine_verified(&keys, root, chosen, m))
                        .await
                        .map_err(|e| (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?;
                match settled {
                    Ok(sig) => {
                        group = Some(sig);
                        break;
                    }
                    Err(bad) => {
                        candidates.retain(|(i, _)| !bad.contains(i));
                        for i in &bad {
                            self.metrics.device(*i, "wrong_partial");
                        }
                        failures.extend(bad.into_iter().map(|i| {
                            (
                                i,
                                "its signature does not verify under its share key".to_owned(),
                            )
                        }));
                    }
                }
            }
            if n - refusals.len() - failures.len() < m {
                break;
            }
        }
        let Some(group) = group else {
            return Err(not_enough(m, n, &candidates, &refusals, &failures));
        };
        Ok(SignatureBytes(group.compress()))
    }

    /// Runs a key generation for `owner` on every device (all `n` must be up): announce, deal,
    /// finish (a failure after some devices finished leaves them a share of a key that is never
    /// deposited, which signs nothing that counts); then combines the deposit's partial
    /// signatures and checks the group's evidence
    /// (consistency, proofs of possession, one polynomial, one platform per device; whether the
    /// attesters are trusted is for C at join). Returns the new key (also added to the
    /// coordinator's configuration), its deposit data and the group's evidence.
    pub async fn generate_key(&mut self, owner: Address) -> Result<GeneratedClusterKey, String> {
        let t = self.config.tolerance().map_err(|e| e.to_string())?;
        let mut id = [0u8; 32];
        getrandom::fill(&mut id).map_err(|e| e.to_string())?;
        let ceremony_id = B256::from(id);
        let announced: Vec<DeviceAnnouncement> = self
            .each_device("/eth/v1/lsv/cluster/announce", |_| {
                json!({"ceremony": ceremony_id, "threshold": t.m, "devices": t.n, "owner": owner})
            })
            .await?;
        let ceremony = Ceremony {
            id: ceremony_id,
            threshold: t.m,
            announcements: announced.iter().map(|a| a.announcement.clone()).collect(),
        };
        let dealings: Vec<Dealing> = self
            .each_device(
                "/eth/v1/lsv/cluster/deal",
                |i| json!({"ceremony": ceremony, "index": i, "announcements": announced}),
            )
            .await?;
        let shared: Vec<SharedKey> = self
            .each_device(
                "/eth/v1/lsv/cluster/finish",
                |i| json!({"ceremony": ceremony, "index": i, "dealings": dealings}),
            )
            .await?;
        let evidence = GroupEvidence {
            devices: shared.iter().map(|s| s.evidence.clone()).collect(),
        };
        let attesters: Vec<Address> = announced
            .iter()
            .filter_map(|a| match a.platform {
                PlatformId::Dev { attester } => Some(attester),
                PlatformId::Sgx(_) => None,
            })
            .collect();
        evidence
            .verify(&DevDevices {
                trusted_attesters: attesters,
            })
            .map_err(|e| format!("the devices' evidence does not verify: {e}"))?;
        let claim = &evidence.devices[0].claim;
        let validator = ClusterValidator {
            pubkey: claim.group.pubkey,
            shares: claim.shares.clone(),
        };
        let message = DepositMessage {
            pubkey: validator.pubkey,
            withdrawal_credentials: claim.group.withdrawal_credentials,
            amount: lsv_enclave::policy::DEPOSIT_AMOUNT,
        };
        let root = compute_signing_root(
            message.tree_hash_root(),
            compute_domain(
                domain::DEPOSIT,
                self.network.genesis_fork_version,
                B256::ZERO,
            ),
        );
        let share_keys: Vec<PublicKey> = validator
            .shares
            .iter()
            .map(|s| PublicKey::key_validate(&s.0).map_err(|_| format!("share {s} is not a key")))
            .collect::<Result<_, _>>()?;
        let mut partials = Vec::new();
        for (s, i) in shared.iter().zip(1u8..) {
            let bytes = alloy_primitives::hex::decode(&s.deposit_data.signature)
                .map_err(|e| e.to_string())?;
            match partial(&bytes, &share_keys[usize::from(i) - 1], root) {
                Answer::Partial(sig) => partials.push((i, sig)),
                _ => return Err(format!("device {i}'s deposit signature does not verify")),
            }
        }
        let group = combine_signatures(&partials[..usize::from(t.m)]).map_err(|e| e.to_string())?;
        let group_key =
            PublicKey::key_validate(&validator.pubkey.0).map_err(|_| "bad group key")?;
        if group.verify(true, root.as_slice(), BLS_DST, &[], &group_key, false)
            != blst::BLST_ERROR::BLST_SUCCESS
        {
            return Err("the combined deposit signature does not verify".into());
        }
        let deposit_data =
            DepositData::new(&message, SignatureBytes(group.compress()), &self.network);
        self.keys.insert(
            validator.pubkey,
            Arc::new(Keys {
                group: group_key,
                shares: share_keys,
            }),
        );
        self.config.validators.push(validator.clone());
        Ok(GeneratedClusterKey {
            validator,
            deposit_data,
            evidence,
        })
    }

    /// Every device's evidence that registers its device key at `registry` (a
    /// `DeviceRegistry`; `POST /eth/v1/lsv/device/registration`), in index order, each with
    /// the collateral its host attached for a DCAP quote. All devices must be up.
    pub async fn device_registrations(
        &self,
        registry: Address,
    ) -> Result<Vec<DeviceRegistrationAnswer>, String> {
        let answers: Vec<DeviceRegistrationAnswer> = self
            .each_device(
                "/eth/v1/lsv/device/registration",
                |_| json!({ "registry": registry }),
            )
            .await?;
        for (a, i) in answers.iter().zip(1u8..) {
            if a.registration.registry != registry {
                return Err(format!(
                    "device {i} attested a registration at {}, not {registry}",
                    a.registration.registry
                ));
            }
        }
        Ok(answers)
    }

    /// One step of the key generation on every device, in index order; fails naming the
    /// first device that did not answer 200.
    async fn each_device<T: serde::de::DeserializeOwned>(
        &self,
        path: &str,
        body_for: impl Fn(u8) -> serde_json::Value,
    ) -> Result<Vec<T>, String> {
        let n = self.config.devices.len() as u8;
        let calls = (1..=n).map(|i| {
            let body = Bytes::from(body_for(i).to_string());
            async move {
                (
                    i,
                    self.call(i, "POST", path, body, KEY_GENERATION_TIMEOUT)
                        .await,
                )
            }
        });
        let mut out = Vec::with_capacity(usize::from(n));
        for (i, result) in futures_util::future::join_all(calls).await {
            let url = &self.config.devices[usize::from(i) - 1].url;
            let (status, body) = result.map_err(|e| format!("device {i} ({url}): {e}"))?;
            if status != StatusCode::OK {
                return Err(format!(
                    "device {i} ({url}) answered {status}: {}",
                    message(&body)
                ));
            }
            #[derive(Deserialize)]
            struct Data<T> {
                data: T,
            }
            let data: Data<T> = serde_json::from_slice(&body)
                .map_err(|e| format!("device {i} ({url}): unexpected answer: {e}"))?;
            out.push(data.data);
        }
        Ok(out)
    }
}

/// What a device answers to `POST /eth/v1/lsv/device/registration`: its P's evidence that
/// registers its device key, and, for a DCAP quote, the collateral its host attached (`lsv
/// signer --dcap-collateral`; not attested, and it need not be: Intel signed every part of it,
/// and the registry's inner verifier checks those signatures).
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeviceRegistrationAnswer {
    /// P's registration evidence.
    pub registration: lsv_attestation::DeviceRegistration,
    /// The host's DCAP collateral (dcap-qvl's `QuoteCollateralV3` JSON), for a quote.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub collateral: Option<serde_json::Value>,
}

/// The group signature from the first `m` of `candidates`, returned only once each of those
/// partials has been verified under its device's share key and the combination under the group
/// key, in one batch test ([`verify_partials`], about the cost of one verification). When the
/// batch fails, the partials are verified one by one and the indices of those that fail are
/// returned, for the caller to drop. (With every partial valid the combination is valid, the
/// share keys having been checked against the group key at start; the test covers it anyway.)
fn combine_verified(
    keys: &Keys,
    root: B256,
    candidates: Vec<(u8, Signature)>,
    m: usize,
) -> Result<Signature, Vec<u8>> {
    let chosen = &candidates[..m];
    let share = |i: u8| keys.shares[usize::from(i) - 1];
    let verifies = |key: &PublicKey, sig: &Signature| {
        sig.verify(false, root.as_slice(), BLS_DST, &[], key, false)
            == blst::BLST_ERROR::BLST_SUCCESS
    };
    let group = combine_signatures(chosen).map_err(|_| Vec::new())?;
    let mut pairs: Vec<(PublicKey, Signature)> =
        chosen.iter().map(|(i, s)| (share(*i), *s)).collect();
    pairs.push((keys.group, group));
    if verify_partials(root.as_slice(), BLS_DST, &pairs) {
        return Ok(group);
    }
    // One by one: name the devices whose partials fail. (If none does, the batch failed for
    // want of randomness; the group signature is then verified on its own.)
    let bad: Vec<u8> = chosen
        .iter()
        .filter(|(i, sig)| !verifies(&share(*i), sig))
        .map(|(i, _)| *i)
        .collect();
    if bad.is_empty() && verifies(&keys.group, &group) {
        return Ok(group);
    }
    Err(bad)
}

/// A device's 200 answer: its partial signature, parsed and subgroup-checked (verified under
/// its share key by [`verify_pending`]).
fn parse_partial(body: &[u8]) -> Answer {
    let signature = serde_json::from_slice::<serde_json::Value>(body)
        .ok()
        .and_then(|v| {
            v.get("signature")
                .and_then(|s| s.as_str())
                .map(str::to_owned)
        })
        .map(|hex| alloy_primitives::hex::decode(hex).unwrap_or_default())
        .unwrap_or_else(|| body.to_vec());
    match Signature::sig_validate(&signature, true) {
        Ok(sig) => Answer::Partial(sig),
        Err(_) => Answer::Failed("answered something that is not a signature".into()),
    }
}

/// A device's 200 answer: its partial signature, verified under its share key.
fn partial(body: &[u8], share: &PublicKey, root: B256) -> Answer {
    match parse_partial(body) {
        Answer::Partial(sig)
            if sig.verify(false, root.as_slice(), BLS_DST, &[], share, false)
                != blst::BLST_ERROR::BLST_SUCCESS =>
        {
            Answer::Failed("its signature does not verify under its share key".into())
        }
        answer => answer,
    }
}

/// The `message` of a JSON error answer, or the body as text.
fn message(body: &[u8]) -> String {
    serde_json::from_slice::<serde_json::Value>(body)
        .ok()
        .and_then(|v| v.get("message").and_then(|m| m.as_str()).map(str::to_owned))
        .unwrap_or_else(|| String::from_utf8_lossy(body).into_owned())
}

/// Fewer than `m` partial signatures: 412 if a device refused by slashing protection or
/// policy (what a validator client expects of a remote signer that refuses), 400 if a device
/// found the request malformed, 503 otherwise; the message names each device's answer.
fn not_enough(
    m: usize,
    n: usize,
    partials: &[(u8, Signature)],
    refusals: &[(u8, StatusCode, String)],
    failures: &[(u8, String)],
) -> (StatusCode, String) {
    let status = if refusals
        .iter()
        .any(|(_, s, _)| *s == StatusCode::PRECONDITION_FAILED)
    {
        StatusCode::PRECONDITION_FAILED
    } else if refusals
        .iter()
        .any(|(_, s, _)| *s == StatusCode::BAD_REQUEST)
    {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    let mut parts: Vec<String> = refusals
        .iter()
        .map(|(i, s, msg)| format!("device {i}: {} {msg}", s.as_u16()))
        .collect();
    parts.extend(failures.iter().map(|(i, e)| format!("device {i}: {e}")));
    (
        status,
        format!(
            "{} of {n} devices signed, {m} needed: {}",
            partials.len(),
            parts.join("; ")
        ),
    )
}

/// A key made by [`Coordinator::generate_key`].
#[derive(Clone, Debug, Serialize)]
pub struct GeneratedClusterKey {
    /// The key and its share keys (as added to `cluster.json`).
    pub validator: ClusterValidator,
    /// The 32-ETH deposit to C, signed by the group key.
    pub deposit_data: DepositData,
    /// Every device's evidence: what C checks at join.
    pub evidence: GroupEvidence,
}

/// Serves [`router`] on `listener` until `shutdown` resolves, as [`crate::serve`] serves P.
pub async fn serve(
    listener: tokio::net::TcpListener,
    coordinator: Arc<Coordinator>,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    crate::api::serve_router(listener, router(coordinator), shutdown).await
}

/// The remote-signing routes, served by the coordinator.
pub fn router(coordinator: Arc<Coordinator>) -> Router {
    Router::new()
        .route("/api/v1/eth2/sign/{identifier}", post(sign))
        .route("/api/v1/eth2/publicKeys", get(public_keys))
        .route("/upcheck", get(|| async { "OK" }))
        .route("/healthcheck", get(healthcheck))
        .route("/metrics", get(metrics))
        .fallback(|| async { error(StatusCode::NOT_FOUND, "no such route") })
        .layer(DefaultBodyLimit::max(crate::MAX_BODY_BYTES))
        .with_state(coordinator)
}

async fn sign(
    State(c): State<Arc<Coordinator>>,
    Path(identifier): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let started = std::time::Instant::now();
    let response = sign_answer(&c, &identifier, &headers, body).await;
    c.metrics
        .signings
        .with_label_values(&[response.status().as_str()])
        .inc();
    c.metrics.latency.observe(started.elapsed().as_secs_f64());
    response
}

async fn sign_answer(
    c: &Arc<Coordinator>,
    identifier: &str,
    headers: &HeaderMap,
    body: Bytes,
) -> Response {
    let pubkey = match PublicKeyBytes::from_hex(identifier) {
        Ok(k) => k,
        Err(e) => return error(StatusCode::BAD_REQUEST, e.to_string()),
    };
    match c.sign(pubkey, body).await {
        Ok(sig) => {
            if wants_text(headers) {
                (
                    [(header::CONTENT_TYPE, HeaderValue::from_static("text/plain"))],
                    sig.to_hex(),
                )
                    .into_response()
            } else {
                Json(json!({ "signature": sig.to_hex() })).into_response()
            }
        }
        Err((status, msg)) => {
            tracing::info!(%pubkey, %status, reason = %msg, "cluster did not sign");
            error(status, msg)
        }
    }
}

/// Prometheus text: [`crate::metrics::ClusterMetrics`].
async fn metrics(State(c): State<Arc<Coordinator>>) -> Response {
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/plain; version=0.0.4"),
        )],
        c.metrics.render(),
    )
        .into_response()
}

async fn public_keys(State(c): State<Arc<Coordinator>>) -> Response {
    let keys: Vec<String> = c
        .config
        .validators
        .iter()
        .map(|v| v.pubkey.to_string())
        .collect();
    Json(keys).into_response()
}

/// Each device's `/upcheck`: the cluster is UP while at least `m` answer.
async fn healthcheck(State(c): State<Arc<Coordinator>>) -> Response {
    let n = c.config.devices.len() as u8;
    let checks = futures_util::future::join_all((1..=n).map(|i| {
        let c = c.clone();
        async move {
            let up = matches!(
                c.call(i, "GET", "/upcheck", Bytes::new(), c.timeout).await,
                Ok((StatusCode::OK, _))
            );
            json!({"id": format!("device-{i}"), "url": c.config.devices[usize::from(i) - 1].url,
                   "status": if up { "UP" } else { "DOWN" }})
        }
    }))
    .await;
    let up = checks.iter().filter(|c| c["status"] == "UP").count();
    crate::api::health_answer(checks, up >= usize::from(c.config.threshold))
}
