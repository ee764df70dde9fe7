//! Devnet validators whose keys are in P: [`RemoteSigner`] signs over P's remote-signing API
//! (the Web3Signer eth2 API, `POST /api/v1/eth2/sign/{pubkey}`) as a validator client would,
//! [`OperatorSigner`] does the same with a signer an operator runs themselves, which may be down
//! (its validators then miss their duties), [`Signers`] sends each validator to the devnet's own
//! P, an operator's signer or keys held here, and
//! [`Config::network_config_yaml`] / [`network_config`] write the `config.yaml` that pins P to
//! the devnet (`lsv signer --network FILE`).
//!
//! For every duty the devnet computes the signing root itself; the request carries the typed
//! message (serialized with the consensus containers' serde derives), `fork_info` (the devnet
//! state's `Fork` record at the message's epoch, [`Config::fork_record`], and the genesis
//! validators root) and that root as `signingRoot`, which P recomputes from the typed message
//! and its pinned network and compares. The signatures P returns are verified against their
//! roots once per slot, in one batch ([`Signer::check_answers`]; the node calls it at the end
//! of each slot), and one that fails is named. P's refusals (412: slashing protection or policy; other 4xx)
//! become [`SignError::Refused`], and the node skips the duty, as a validator client does;
//! a P that cannot be reached, times out or fails (5xx) is [`SignError::Unavailable`] (the
//! devnet's own P: the slot fails) or [`SignError::Missed`] (an operator's: the duty is missed).
//!
//! Keys enter the chain the honest way: P makes them ([`RemoteSigner::generate_keys`], `POST
//! /eth/v1/lsv/keys`) with deposit data it signed itself (32 ETH to `0x02 ‖ 0^11 ‖ C`), and the
//! deposits reach the beacon chain as EIP-6110 deposit requests of the execution layer (with
//! [`crate::execution::MockExecution`], through [`MockExecution::deposit`]; a real execution
//! layer would read them from the deposit contract's logs).
//!
//! Time: P signs nothing slashable beyond its wall clock's slot plus a small skew, and the
//! devnet runs its slots faster than real time. A devnet that signs with P therefore starts
//! with `genesis_time` far enough in the past that every slot it will run has ended by the
//! time it runs: `genesis_time <= now - (last_slot + 1) * SECONDS_PER_SLOT`
//! ([`genesis_time_for`]). P's rule is not loosened; the devnet's chain simply lies in P's past.
//!
//! Stand-ins: the HTTP client is plain HTTP to a P on a trusted host (no TLS, no client
//! authentication), and nothing checks P's evidence of key generation here.
//!
//! [`MockExecution::deposit`]: crate::execution::MockExecution::deposit

use crate::signer::{Message, SignError, Signer};
use crate::spec::{bls, BeaconState, Config, SpecPreset};
use alloy_primitives::{Address, B256};
use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::{Method, Request, StatusCode};
use hyper_util::client::legacy::{connect::HttpConnector, Client};
use hyper_util::rt::TokioExecutor;
use lsv_consensus::containers::{BeaconBlockHeader, DepositMessage};
use lsv_consensus::network::{compute_domain, compute_signing_root, domain};
use lsv_consensus::{Epoch, ForkInfo, ForkName, Gwei, PublicKeyBytes, SignatureBytes, Slot};
use parking_lot::{Mutex, RwLock};
use serde::Deserialize;
use serde_json::{json, Value};
use std::collections::HashSet;
use std::future::Future;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use tree_hash::TreeHash;

/// The largest answer read from P (a signature, an error, a few keys' deposit data).
const MAX_ANSWER_BYTES: usize = 1 << 20;

/// How long one request to P may take before P counts as unavailable.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

/// Why a remote signer could not be set up or asked.
#[derive(Debug, thiserror::Error)]
pub enum RemoteError {
    /// The URL is not `http://host:port`.
    #[error("bad signer URL {0:?}: a signer's URL is http://host:port")]
    Url(String),
    /// The HTTP client's runtime could not start.
    #[error("the HTTP client's runtime: {0}")]
    Runtime(std::io::Error),
    /// The network configuration could not be written.
    #[error("writing the network configuration: {0}")]
    Io(std::io::Error),
    /// P is pinned to another network than the devnet.
    #[error("P is pinned to genesis validators root {p}, the devnet's is {devnet}")]
    WrongNetwork {
        /// P's genesis validators root.
        p: B256,
        /// The devnet's.
        devnet: B256,
    },
    /// The signer does not serve `GET /eth/v1/lsv/attestation` (404): it is not an lsv P (a
    /// plain Web3Signer), so which network it is pinned to cannot be asked.
    #[error("the signer does not serve /eth/v1/lsv/attestation: not an lsv P")]
    NotP,
    /// The slot duration is not whole seconds.
    #[error("the devnet's SLOT_DURATION_MS ({0}) is not whole seconds, which P cannot pin")]
    SlotDuration(u64),
    /// A signing request failed.
    #[error(transparent)]
    Sign(#[from] SignError),
}

/// A validator key P generated, with the deposit P signed for it (checked here against the
/// devnet's deposit domain), ready to go into the execution layer's deposit contract.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KeyDeposit {
    /// The key.
    pub pubkey: PublicKeyBytes,
    /// `0x02 ‖ 0^11 ‖ C`.
    pub withdrawal_credentials: B256,
    /// 32 ETH.
    pub amount: Gwei,
    /// P's deposit signature.
    pub signature: SignatureBytes,
}

/// What a [`RemoteSigner`] has done so far.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RemoteStats {
    /// Signatures P returned.
    pub signed: u64,
    /// Requests P refused.
    pub refused: u64,
    /// Time spent in signing requests, summed over the threads that made them.
    pub busy: Duration,
}

/// Validators whose keys are in P, signing over P's HTTP API (see the module docs).
///
/// The API is blocking: each call runs its request on the signer's own tokio runtime, whose
/// client keeps connections alive and opens one per concurrent request, and waits for the
/// answer, so it may be called from many threads at once (the node's rayon workers). It does
/// not need, and does not use, a runtime of the caller's; as the owner of a runtime, it must be
/// dropped outside an async context (tokio refuses to shut a runtime down inside another).
pub struct RemoteSigner {
    base: String,
    runtime: tokio::runtime::Runtime,
    client: Client<HttpConnector, Full<Bytes>>,
    config: Config,
    genesis_fork: ForkName,
    genesis_validators_root: B256,
    timeout: Duration,
    /// The keys P holds, as last listed or generated.
    keys: RwLock<HashSet<PublicKeyBytes>>,
    signed: AtomicU64,
    refused: AtomicU64,
    busy_nanos: AtomicU64,
    /// Answers not yet checked ([`Signer::check_answers`]): validator, key, root, signature.
    unchecked: Mutex<Vec<(u64, PublicKeyBytes, B256, SignatureBytes)>>,
}

impl RemoteSigner {
    /// A signer for the devnet of `spec` and `genesis` at `url` (`http://host:port`): checks that
    /// P is pinned to this devnet (its genesis validators root, `GET /eth/v1/lsv/attestation`)
    /// and lists the keys it holds.
    pub fn connect<P: SpecPreset>(
        url: &str,
        spec: &crate::spec::Spec<P>,
        genesis: &BeaconState<P>,
    ) -> Result<Self, RemoteError> {
        let signer = Self::new(url, spec, genesis)?;
        signer.check_network()?;
        signer.refresh_keys()?;
        Ok(signer)
    }

    /// A signer for the devnet of `spec` and `genesis` at `url` (`http://host:port`), not yet
    /// contacted: it holds no keys until [`Self::refresh_keys`].
    pub fn new<P: SpecPreset>(
        url: &str,
        spec: &crate::spec::Spec<P>,
        genesis: &BeaconState<P>,
    ) -> Result<Self, RemoteError> {
        let base = signer_base_url(url)?;
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("lsv-devnet-remote-signer")
            .enable_all()
            .build()
            .map_err(RemoteError::Runtime)?;
        let mut connector = HttpConnector::new();
        connector.set_nodelay(true);
        let client = Client::builder(TokioExecutor::new())
            .pool_idle_timeout(Duration::from_secs(90))
            .build(connector);
        Ok(Self {
            base,
            runtime,
            client,
            config: spec.config.clone(),
            genesis_fork: genesis.fork_name(),
            genesis_validators_root: genesis.genesis_validators_root,
            timeout: DEFAULT_TIMEOUT,
            keys: RwLock::new(HashSet::new()),
            signed: AtomicU64::new(0),
            refused: AtomicU64::new(0),
            busy_nanos: AtomicU64::new(0),
            unchecked: Mutex::new(Vec::new()),
        })
    }

    /// Checks that the signer is pinned to this devnet: the genesis validators root it reports
    /// (`GET /eth/v1/lsv/attestation`) is the devnet's.
    /// A signer that answers that path 404 is not an lsv P: [`RemoteError::NotP`].
    pub fn check_network(&self) -> Result<(), RemoteError> {
        const PATH: &str = "/eth/v1/lsv/attestation";
        let (status, answer) = self.request(Method::GET, PATH, None)?;
        if status == StatusCode::NOT_FOUND {
            return Err(RemoteError::NotP);
        }
        let info = json_answer(PATH, status, &answer)?;
        let pinned: B256 = info
            .get("genesis_validators_root")
            .and_then(Value::as_str)
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| {
                SignError::Unavailable(
                    "the signer's attestation info has no genesis_validators_root".into(),
                )
            })?;
        if pinned != self.genesis_validators_root {
            return Err(RemoteError::WrongNetwork {
                p: pinned,
                devnet: self.genesis_validators_root,
            });
        }
        Ok(())
    }

    /// The signer's URL, `http://host:port`.
    pub fn url(&self) -> &str {
        &self.base
    }

    /// How long one request may take (default [`DEFAULT_TIMEOUT`]).
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Whether P holds `pubkey` (as of the last listing or generation).
    pub fn holds(&self, pubkey: &PublicKeyBytes) -> bool {
        self.keys.read().contains(pubkey)
    }

    /// The keys P holds, as of the last listing or generation.
    pub fn keys(&self) -> Vec<PublicKeyBytes> {
        self.keys.read().iter().copied().collect()
    }

    /// Lists P's keys again (`GET /api/v1/eth2/publicKeys`); returns how many it holds.
    pub fn refresh_keys(&self) -> Result<usize, SignError> {
        let listed = self.get_json("/api/v1/eth2/publicKeys")?;
        let keys = listed
            .as_array()
            .ok_or_else(|| SignError::Unavailable("P's key list is not a JSON array".into()))?
            .iter()
            .map(|k| k.as_str().and_then(|s| PublicKeyBytes::from_hex(s).ok()))
            .collect::<Option<HashSet<_>>>()
            .ok_or_else(|| SignError::Unavailable("P listed a key that is not one".into()))?;
        let n = keys.len();
        *self.keys.write() = keys;
        Ok(n)
    }

    /// Has P generate `count` keys for `owner` (`POST /eth/v1/lsv/keys`) and returns each with
    /// the deposit P signed for it, after checking that signature against the devnet's deposit
    /// domain (`compute_domain(DOMAIN_DEPOSIT, GENESIS_FORK_VERSION)`, as `apply_pending_deposit`
    /// checks it). The keys sign through this signer from now on.
    pub fn generate_keys(
        &self,
        owner: Address,
        count: usize,
    ) -> Result<Vec<KeyDeposit>, SignError> {
        let body = json!({ "owner": owner, "count": count }).to_string();
        let (status, answer) = self.request(Method::POST, "/eth/v1/lsv/keys", Some(body))?;
        if status != StatusCode::OK {
            return Err(refusal(status, &answer));
        }
        #[derive(Deserialize)]
        struct Generated {
            data: Vec<Key>,
        }
        #[derive(Deserialize)]
        struct Key {
            deposit_data: Deposit,
        }
        /// `deposit_data.json`'s entry: hex without `0x`, the amount a number.
        #[derive(Deserialize)]
        struct Deposit {
            pubkey: String,
            withdrawal_credentials: String,
            amount: u64,
            signature: String,
        }
        let generated: Generated = serde_json::from_slice(&answer)
            .map_err(|e| SignError::Unavailable(format!("P's generated keys: {e}")))?;
        let unreadable = |what: &str| SignError::Unavailable(format!("P's deposit data: {what}"));
        let deposit_domain = compute_domain(
            domain::DEPOSIT,
            self.config.genesis_fork_version,
            B256::ZERO,
        );
        let mut out = Vec::with_capacity(generated.data.len());
        for key in generated.data {
            let d = key.deposit_data;
            let deposit = KeyDeposit {
                pubkey: PublicKeyBytes::from_hex(&d.pubkey).map_err(|_| unreadable("pubkey"))?,
                withdrawal_credentials: d
                    .withdrawal_credentials
                    .parse()
                    .map_err(|_| unreadable("withdrawal_credentials"))?,
                amount: Gwei::new(d.amount),
                signature: SignatureBytes::from_hex(&d.signature)
                    .map_err(|_| unreadable("signature"))?,
            };
            let message = DepositMessage {
                pubkey: deposit.pubkey,
                withdrawal_credentials: deposit.withdrawal_credentials,
                amount: deposit.amount,
            };
            let root = compute_signing_root(message.tree_hash_root(), deposit_domain);
            if !bls::verify(&deposit.pubkey, &root, &deposit.signature) {
                return Err(SignError::Unavailable(format!(
                    "P's deposit signature for {} does not verify under the devnet's deposit domain",
                    deposit.pubkey
                )));
            }
            self.keys.write().insert(deposit.pubkey);
            out.push(deposit);
        }
        Ok(out)
    }

    /// What this signer has done so far.
    pub fn stats(&self) -> RemoteStats {
        RemoteStats {
            signed: self.signed.load(Ordering::Relaxed),
            refused: self.refused.load(Ordering::Relaxed),
            busy: Duration::from_nanos(self.busy_nanos.load(Ordering::Relaxed)),
        }
    }

    /// The fork in force at `epoch`, as the API names it in a message's `version`.
    fn fork_name_at(&self, epoch: u64) -> &'static str {
        match self.genesis_fork {
            ForkName::Fulu => ForkName::Fulu,
            _ => self.config.fork_at(Epoch::new(epoch)),
        }
        .as_upper()
    }

    /// The request body for `message` (see the module docs), `root` as its `signingRoot`.
    fn body<P: SpecPreset>(&self, root: B256, message: Message<'_, P>) -> Result<Value, SignError> {
        let epoch_of = |slot: u64| slot / P::SLOTS_PER_EPOCH;
        let value = |v: Result<Value, serde_json::Error>| {
            v.map_err(|e| SignError::Unavailable(format!("cannot serialize the request: {e}")))
        };
        let (kind, epoch, field, payload) = match message {
            Message::Block(block) => {
                let epoch = epoch_of(block.slot.as_u64());
                let header = BeaconBlockHeader {
                    slot: block.slot,
                    proposer_index: block.proposer_index,
                    parent_root: block.parent_root,
                    state_root: block.state_root,
                    body_root: block.body.tree_hash_root(),
                };
                let version = self.fork_name_at(epoch);
                let payload = json!({ "version": version, "block_header": header });
                ("BLOCK_V2", epoch, "beacon_block", payload)
            }
            Message::Randao { epoch } => (
                "RANDAO_REVEAL",
                epoch,
                "randao_reveal",
                json!({ "epoch": Epoch::new(epoch) }),
            ),
            Message::Attestation(data) => (
                "ATTESTATION",
                data.target.epoch.as_u64(),
                "attestation",
                value(serde_json::to_value(data))?,
            ),
            Message::AggregationSlot { slot } => (
                "AGGREGATION_SLOT",
                epoch_of(slot),
                "aggregation_slot",
                json!({ "slot": Slot::new(slot) }),
            ),
            Message::AggregateAndProof(aggregate) => {
                let epoch = epoch_of(aggregate.aggregate.data.slot.as_u64());
                let version = self.fork_name_at(epoch);
                let data = value(serde_json::to_value(aggregate))?;
                (
                    "AGGREGATE_AND_PROOF_V2",
                    epoch,
                    "aggregate_and_proof",
                    json!({ "version": version, "data": data }),
                )
            }
            Message::SyncCommitteeMessage {
                slot,
                beacon_block_root,
            } => (
                "SYNC_COMMITTEE_MESSAGE",
                epoch_of(slot),
                "sync_committee_message",
                json!({ "beacon_block_root": beacon_block_root, "slot": Slot::new(slot) }),
            ),
            Message::SyncSelection(selection) => (
                "SYNC_COMMITTEE_SELECTION_PROOF",
                epoch_of(selection.slot.as_u64()),
                "sync_aggregator_selection_data",
                value(serde_json::to_value(selection))?,
            ),
            Message::ContributionAndProof(contribution) => (
                "SYNC_COMMITTEE_CONTRIBUTION_AND_PROOF",
                epoch_of(contribution.contribution.slot.as_u64()),
                "contribution_and_proof",
                value(serde_json::to_value(contribution))?,
            ),
            Message::VoluntaryExit(exit) => (
                "VOLUNTARY_EXIT",
                exit.epoch.as_u64(),
                "voluntary_exit",
                value(serde_json::to_value(exit))?,
            ),
        };
        let fork_info = ForkInfo {
            fork: self
                .config
                .fork_record(self.genesis_fork, Epoch::new(epoch)),
            genesis_validators_root: self.genesis_validators_root,
        };
        let mut body = json!({
            "type": kind,
            "fork_info": fork_info,
            "signingRoot": root,
        });
        body[field] = payload;
        Ok(body)
    }

    /// `GET path`, answered 200 with JSON.
    fn get_json(&self, path: &str) -> Result<Value, SignError> {
        let (status, answer) = self.request(Method::GET, path, None)?;
        json_answer(path, status, &answer)
    }

    /// One request to P, on the signer's runtime; waits for the status and body.
    fn request(
        &self,
        method: Method,
        path: &str,
        body: Option<String>,
    ) -> Result<(StatusCode, Bytes), SignError> {
        let uri = format!("{}{path}", self.base);
        let request = Request::builder()
            .method(method)
            .uri(&uri)
            .header(hyper::header::ACCEPT, "application/json")
            .header(hyper::header::CONTENT_TYPE, "application/json")
            .body(Full::new(Bytes::from(body.unwrap_or_default())))
            .map_err(|e| SignError::Unavailable(format!("{uri}: {e}")))?;
        let client = self.client.clone();
        let timeout = self.timeout;
        self.run(async move {
            let exchange = async {
                let response = client
                    .request(request)
                    .await
                    .map_err(|e| SignError::Unavailable(format!("{uri}: {e}")))?;
                let status = response.status();
                let body = Limited::new(response.into_body(), MAX_ANSWER_BYTES)
                    .collect()
                    .await
                    .map_err(|e| SignError::Unavailable(format!("{uri}: reading the answer: {e}")))?
                    .to_bytes();
                Ok((status, body))
            };
            tokio::time::timeout(timeout, exchange)
                .await
                .unwrap_or_else(|_| {
                    Err(SignError::Unavailable(format!(
                        "{uri}: no answer within {timeout:?}"
                    )))
                })
        })
    }

    /// Runs `future` on the signer's runtime and waits for it on this thread (any thread: the
    /// wait is a channel's, not a runtime's, so it also works where a runtime is current).
    fn run<T: Send + 'static>(
        &self,
        future: impl Future<Output = Result<T, SignError>> + Send + 'static,
    ) -> Result<T, SignError> {
        let (tx, rx) = std::sync::mpsc::sync_channel(1);
        self.runtime.spawn(async move {
            let _ = tx.send(future.await);
        });
        rx.recv().unwrap_or_else(|_| {
            Err(SignError::Unavailable(
                "the remote signer's runtime dropped the request".into(),
            ))
        })
    }
}

impl<P: SpecPreset> Signer<P> for RemoteSigner {
    fn sign(
        &self,
        index: u64,
        pubkey: &PublicKeyBytes,
        root: B256,
        message: Message<'_, P>,
    ) -> Result<SignatureBytes, SignError> {
        let started = Instant::now();
        let body = self.body(root, message)?.to_string();
        let answer = self.request(
            Method::POST,
            &format!("/api/v1/eth2/sign/{pubkey}"),
            Some(body),
        );
        self.busy_nanos
            .fetch_add(started.elapsed().as_nanos() as u64, Ordering::Relaxed);
        let (status, answer) = answer?;
        match status {
            StatusCode::OK => {}
            StatusCode::NOT_FOUND => return Err(SignError::NoKey(index)),
            s if s.is_client_error() => {
                self.refused.fetch_add(1, Ordering::Relaxed);
                return Err(refusal(s, &answer));
            }
            s => {
                return Err(SignError::Unavailable(format!(
                    "HTTP {s}: {}",
                    message_of(&answer)
                )))
            }
        }
        #[derive(Deserialize)]
        struct Signed {
            signature: String,
        }
        let signed: Signed = serde_json::from_slice(&answer).map_err(|e| {
            SignError::Unavailable(format!("P answered 200 without a signature: {e}"))
        })?;
        let signature = SignatureBytes::from_hex(&signed.signature)
            .map_err(|_| SignError::BadSignature(index))?;
        self.unchecked
            .lock()
            .push((index, *pubkey, root, signature));
        self.signed.fetch_add(1, Ordering::Relaxed);
        Ok(signature)
    }

    /// Verifies every answer since the last call, in one batch; if the batch fails, one by one
    /// to name the first that does not verify.
    fn check_answers(&self) -> Result<(), SignError> {
        let answers = std::mem::take(&mut *self.unchecked.lock());
        let sets: Vec<bls::SignatureSet> = answers
            .iter()
            .map(|(index, pubkey, root, signature)| {
                bls::SignatureSet::single(pubkey, *root, signature)
                    .ok_or(SignError::BadSignature(*index))
            })
            .collect::<Result<_, _>>()?;
        if bls::verify_batch(&sets) {
            return Ok(());
        }
        match answers
            .iter()
            .find(|(_, pubkey, root, signature)| !bls::verify(pubkey, root, signature))
        {
            Some((index, ..)) => Err(SignError::BadSignature(*index)),
            // Only a wrong guess of the batch's random weights gets here (2^-64).
            None => Ok(()),
        }
    }
}

/// `url` without a trailing `/`, if it is `http://host[:port][/path]` (the HTTP client here
/// speaks plain HTTP only: see the module docs).
pub fn signer_base_url(url: &str) -> Result<String, RemoteError> {
    let base = url.trim_end_matches('/');
    match base.parse::<hyper::Uri>() {
        Ok(uri) if uri.scheme_str() == Some("http") && uri.host().is_some() => Ok(base.to_owned()),
        _ => Err(RemoteError::Url(url.to_owned())),
    }
}

/// The JSON of a 200 answer to `GET path`.
fn json_answer(path: &str, status: StatusCode, answer: &[u8]) -> Result<Value, SignError> {
    if status != StatusCode::OK {
        return Err(SignError::Unavailable(format!(
            "GET {path}: HTTP {status}: {}",
            message_of(answer)
        )));
    }
    serde_json::from_slice(answer)
        .map_err(|e| SignError::Unavailable(format!("GET {path}: not JSON: {e}")))
}

/// A refusal's status and P's message (`{"code", "message"}`).
fn refusal(status: StatusCode, answer: &[u8]) -> SignError {
    SignError::Refused(format!("HTTP {}: {}", status.as_u16(), message_of(answer)))
}

/// The `message` of P's error answer, or the answer itself.
fn message_of(answer: &[u8]) -> String {
    serde_json::from_slice::<Value>(answer)
        .ok()
        .and_then(|v| v.get("message").and_then(Value::as_str).map(str::to_owned))
        .unwrap_or_else(|| String::from_utf8_lossy(answer).into_owned())
}

/// How often the devnet asks an operator's signer for its keys, and, while it is down, whether
/// it is back: at most one slot (`SECONDS_PER_SLOT` is at least 1), so at least once per epoch
/// on the wall clock.
pub const OPERATOR_POLL_INTERVAL: Duration = Duration::from_secs(1);

/// The longest one request to an operator's signer may take: a slot, and at most 2 s, so that a
/// hung signer delays the devnet's slot once by that much; then it counts as down, and its
/// validators' duties are missed without asking it until it answers a poll again.
pub fn operator_timeout(seconds_per_slot: u64) -> Duration {
    Duration::from_secs(seconds_per_slot.clamp(1, 2))
}

/// Where an operator's signer stands, as the devnet last found it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OperatorStatus {
    /// Not reached since the devnet started: why.
    Unreached(String),
    /// Pinned to this devnet and answering: its validators sign through it.
    Up,
    /// Reached before, not now (unreachable, no answer in time, 5xx): why. Its validators miss
    /// their duties until it answers a poll again.
    Down(String),
    /// Pinned to another network, whose genesis validators root this is: not used.
    WrongNetwork(B256),
}

/// A signer an operator runs themselves (their own P, or any Web3Signer-API signer), which the
/// devnet uses as a validator client configured with its URL would: the devnet stands in for
/// that operator's validator client.
///
/// - Its keys are listed (`GET /api/v1/eth2/publicKeys`) at start and then every
///   [`OPERATOR_POLL_INTERVAL`] by a thread of its own, and at once after a request failed, so
///   keys it makes later sign once their validators are in the registry. It may start after
///   the devnet (it needs the devnet's `config.yaml` and a C first).
/// - At first contact, and again whenever it comes back, it must be pinned to this devnet
///   (`GET /eth/v1/lsv/attestation`, as [`RemoteSigner::connect`] checks); one pinned to
///   another network is logged as an error and not used. One that does not serve that path (a
///   plain Web3Signer, not an lsv P) is used with a warning: its network cannot be asked, and
///   only its signatures are checked (a signature that does not verify stops the devnet, as
///   one of its own P's does).
/// - While it cannot be reached, does not answer within [`operator_timeout`] or answers 5xx, its
///   validators' duties are [`SignError::Missed`] and the chain goes on: that is how an operator
///   goes offline. The devnet logs once when it goes down and once when it is back.
/// - Its refusals (4xx, slashing protection) are [`SignError::Refused`], and its signatures are
///   verified like the devnet's own P's ([`Signer::check_answers`]).
pub struct OperatorSigner {
    remote: RemoteSigner,
    status: Mutex<OperatorStatus>,
    /// Wakes the poller at once after a request failed; dropped with the signer, which ends
    /// the poller.
    wake: std::sync::mpsc::SyncSender<()>,
    missed: AtomicU64,
    /// How many keys it listed when that number was last logged.
    listed: AtomicUsize,
}

impl OperatorSigner {
    /// The operator's signer at `url` (`http://host:port`) for the devnet of `spec` and
    /// `genesis`: polled once now, then by its poller thread (see the type's docs). A signer
    /// that does not answer yet is not an error; a URL that is not `http://host:port` is.
    pub fn start<P: SpecPreset>(
        url: &str,
        spec: &crate::spec::Spec<P>,
        genesis: &BeaconState<P>,
    ) -> Result<Arc<Self>, RemoteError> {
        let remote = RemoteSigner::new(url, spec, genesis)?
            .with_timeout(operator_timeout(spec.config.seconds_per_slot()));
        let (wake, woken) = std::sync::mpsc::sync_channel(1);
        let signer = Arc::new(Self {
            remote,
            status: Mutex::new(OperatorStatus::Unreached("not asked yet".into())),
            wake,
            missed: AtomicU64::new(0),
            listed: AtomicUsize::new(0),
        });
        if let OperatorStatus::Unreached(why) = signer.poll() {
            tracing::warn!(
                url = signer.url(),
                reason = %why,
                "operator signer not reachable yet: its validators miss their duties until it is"
            );
        }
        let weak = Arc::downgrade(&signer);
        std::thread::Builder::new()
            .name("lsv-devnet-operator-signer".into())
            .spawn(move || loop {
                match woken.recv_timeout(OPERATOR_POLL_INTERVAL) {
                    Ok(()) | Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {}
                    Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => return,
                }
                match weak.upgrade() {
                    Some(signer) => {
                        signer.poll();
                    }
                    None => return,
                }
            })
            .map_err(RemoteError::Runtime)?;
        Ok(signer)
    }

    /// The signer's URL.
    pub fn url(&self) -> &str {
        self.remote.url()
    }

    /// Where it stands now.
    pub fn status(&self) -> OperatorStatus {
        self.status.lock().clone()
    }

    /// Whether its validators sign through it now.
    pub fn is_up(&self) -> bool {
        *self.status.lock() == OperatorStatus::Up
    }

    /// Whether it listed `pubkey` when last asked (kept while it is down: its validators then
    /// miss their duties rather than count as nobody's).
    pub fn holds(&self, pubkey: &PublicKeyBytes) -> bool {
        self.remote.holds(pubkey)
    }

    /// The keys it listed when last asked.
    pub fn keys(&self) -> Vec<PublicKeyBytes> {
        self.remote.keys()
    }

    /// What it has signed and refused so far.
    pub fn stats(&self) -> RemoteStats {
        self.remote.stats()
    }

    /// Duties its validators missed so far.
    pub fn missed(&self) -> u64 {
        self.missed.load(Ordering::Relaxed)
    }

    /// Asks it now: whether it is pinned to this devnet (unless it is up already) and which keys
    /// it holds; the new status, logged if it changed. The poller calls this; so may a caller
    /// that does not want to wait for the next poll.
    pub fn poll(&self) -> OperatorStatus {
        let up = self.is_up();
        let asked = if up {
            Ok(())
        } else {
            match self.remote.check_network() {
                Err(RemoteError::NotP) => {
                    tracing::warn!(
                        url = self.url(),
                        "operator signer is not an lsv P (no /eth/v1/lsv/attestation): its \
                         network is not checked, only its signatures"
                    );
                    Ok(())
                }
                checked => checked,
            }
        }
        .and_then(|()| Ok(self.remote.refresh_keys()?));
        let status = match asked {
            Ok(_) => OperatorStatus::Up,
            Err(RemoteError::WrongNetwork { p, .. }) => {
                self.remote.keys.write().clear();
                OperatorStatus::WrongNetwork(p)
            }
            Err(e) => match self.status() {
                OperatorStatus::Unreached(_) => OperatorStatus::Unreached(e.to_string()),
                _ => OperatorStatus::Down(e.to_string()),
            },
        };
        self.transition(status.clone());
        status
    }

    /// Records `status`, logging a change of kind (reached, down, back, wrong network) and,
    /// while it stays up, a change in the number of its keys.
    fn transition(&self, status: OperatorStatus) {
        let before = std::mem::replace(&mut *self.status.lock(), status.clone());
        let keys = self.remote.keys.read().len();
        let url = self.url();
        match (&before, &status) {
            (OperatorStatus::Up, OperatorStatus::Down(why)) => tracing::warn!(
                url,
                keys,
                reason = %why,
                "operator signer is down: its validators miss their duties"
            ),
            (OperatorStatus::Down(_) | OperatorStatus::WrongNetwork(_), OperatorStatus::Up) => {
                tracing::info!(
                    url,
                    keys,
                    "operator signer is back: its validators sign again"
                )
            }
            (OperatorStatus::Unreached(_), OperatorStatus::Up) => {
                tracing::info!(
                    url,
                    keys,
                    "operator signer reached: its validators sign through it"
                )
            }
            (OperatorStatus::WrongNetwork(_), OperatorStatus::WrongNetwork(_)) => {}
            (_, OperatorStatus::WrongNetwork(root)) => tracing::error!(
                url,
                signer_genesis_validators_root = %root,
                devnet_genesis_validators_root = %self.remote.genesis_validators_root,
                "operator signer is pinned to another network: not used"
            ),
            _ => {}
        }
        if status == OperatorStatus::Up {
            let last = self.listed.swap(keys, Ordering::Relaxed);
            if before == OperatorStatus::Up && last != keys {
                tracing::info!(url, keys, "operator signer's keys changed");
            }
        }
    }

    /// Why its validators cannot sign now, if they cannot.
    fn unavailable(&self) -> Option<String> {
        match &*self.status.lock() {
            OperatorStatus::Up => None,
            OperatorStatus::Unreached(why) => Some(format!("{} not reached: {why}", self.url())),
            OperatorStatus::Down(why) => Some(format!("{} is down: {why}", self.url())),
            OperatorStatus::WrongNetwork(_) => {
                Some(format!("{} is pinned to another network", self.url()))
            }
        }
    }

    /// A request failed for want of an answer: the signer is down from now on, and the poller
    /// asks it again at once.
    fn went_down(&self, why: &str) {
        if self.is_up() {
            self.transition(OperatorStatus::Down(why.to_owned()));
            let _ = self.wake.try_send(());
        }
    }
}

impl<P: SpecPreset> Signer<P> for OperatorSigner {
    fn sign(
        &self,
        index: u64,
        pubkey: &PublicKeyBytes,
        root: B256,
        message: Message<'_, P>,
    ) -> Result<SignatureBytes, SignError> {
        let missed = |why: String| {
            self.missed.fetch_add(1, Ordering::Relaxed);
            Err(SignError::Missed(why))
        };
        if let Some(why) = self.unavailable() {
            return missed(why);
        }
        match Signer::<P>::sign(&self.remote, index, pubkey, root, message) {
            Err(SignError::Unavailable(why)) => {
                self.went_down(&why);
                missed(why)
            }
            Err(SignError::NoKey(_)) => missed(format!("{} does not hold the key", self.url())),
            answer => answer,
        }
    }

    fn check_answers(&self) -> Result<(), SignError> {
        Signer::<P>::check_answers(&self.remote)
    }

    fn reachable(&self, _: u64, pubkey: &PublicKeyBytes) -> bool {
        self.is_up() && self.holds(pubkey)
    }
}

/// Who signs for each devnet validator: the devnet's own P (`remote`) for the keys it holds,
/// else the operator's signer that lists the key (`operators`), else `local` (keys held here).
/// A validator whose key none of them holds (a deposit of keys no signer the devnet knows
/// made) misses its duties ([`SignError::Missed`]), as an unrun validator does on a network.
///
/// The devnet's own P runs in the devnet's process: if it cannot be reached, something is
/// broken, and the devnet stops ([`SignError::Unavailable`]) rather than miss its duties.
pub struct Signers<L> {
    /// The signer of every validator no P holds.
    pub local: L,
    /// The devnet's own P.
    pub remote: RemoteSigner,
    /// Operators' own signers.
    pub operators: Vec<Arc<OperatorSigner>>,
}

impl<L> Signers<L> {
    /// The devnet's own P and local keys, no operator signers.
    pub fn new(local: L, remote: RemoteSigner) -> Self {
        Self {
            local,
            remote,
            operators: Vec::new(),
        }
    }

    /// The operator's signer that listed `pubkey`, if one did.
    fn operator_of(&self, pubkey: &PublicKeyBytes) -> Option<&OperatorSigner> {
        self.operators
            .iter()
            .map(|o| o.as_ref())
            .find(|o| o.holds(pubkey))
    }
}

impl<P: SpecPreset, L: Signer<P>> Signer<P> for Signers<L> {
    fn sign(
        &self,
        index: u64,
        pubkey: &PublicKeyBytes,
        root: B256,
        message: Message<'_, P>,
    ) -> Result<SignatureBytes, SignError> {
        if self.remote.holds(pubkey) {
            return self.remote.sign(index, pubkey, root, message);
        }
        if let Some(operator) = self.operator_of(pubkey) {
            return operator.sign(index, pubkey, root, message);
        }
        match self.local.sign(index, pubkey, root, message) {
            Err(SignError::NoKey(_)) => Err(SignError::Missed(format!(
                "no signer holds validator {index}'s key"
            ))),
            answer => answer,
        }
    }

    fn check_answers(&self) -> Result<(), SignError> {
        Signer::<P>::check_answers(&self.remote)?;
        for operator in &self.operators {
            Signer::<P>::check_answers(operator.as_ref())?;
        }
        self.local.check_answers()
    }

    fn reachable(&self, index: u64, pubkey: &PublicKeyBytes) -> bool {
        if self.remote.holds(pubkey) {
            return true;
        }
        match self.operator_of(pubkey) {
            Some(operator) => operator.is_up(),
            None => self.local.reachable(index, pubkey),
        }
    }
}

/// The devnet's `config.yaml` for P ([`Config::network_config_yaml`] with `genesis`'s fork,
/// time and validators root), named `lsv-devnet`.
pub fn network_config<P: SpecPreset>(
    config: &Config,
    genesis: &BeaconState<P>,
) -> Result<String, RemoteError> {
    config
        .network_config_yaml::<P>(
            "lsv-devnet",
            genesis.fork_name(),
            genesis.genesis_time,
            genesis.genesis_validators_root,
        )
        .ok_or(RemoteError::SlotDuration(config.slot_duration_ms))
}

/// Writes [`network_config`] to `path`, for `lsv signer --network <path>`.
pub fn write_network_config<P: SpecPreset>(
    path: &std::path::Path,
    config: &Config,
    genesis: &BeaconState<P>,
) -> Result<(), RemoteError> {
    let yaml = network_config(config, genesis)?;
    std::fs::write(path, yaml).map_err(RemoteError::Io)
}

/// A `genesis_time` for a devnet that will run slots `1..=last_slot` with P signing (see the
/// module docs, "Time"): the end of `last_slot` is now, so every slot the devnet runs lies in
/// P's past.
pub fn genesis_time_for(config: &Config, last_slot: u64) -> u64 {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let seconds_per_slot = config.slot_duration_ms.div_ceil(1000);
    now.saturating_sub((last_slot + 1) * seconds_per_slot)
}

#[cfg(test)]
mod tests {
    use super::*;
    use lsv_consensus::{Minimal, Network, PresetName};

    /// The `config.yaml` the devnet writes pins P to the devnet's schedule: P's `Network` reads
    /// back the preset, timing, deposit contract and, at every epoch, the fork version the
    /// devnet's states use there (and Capella's, for exits).
    #[test]
    fn network_config_round_trips_through_ps_parser() {
        let mut config = Config::minimal();
        config.fulu_fork_epoch = Epoch::new(3);
        let gvr = B256::repeat_byte(0x42);
        let yaml = config
            .network_config_yaml::<Minimal>("lsv-devnet", ForkName::Electra, 1_700_000_000, gvr)
            .expect("whole seconds");
        let network = Network::from_config_yaml(&yaml).expect("P reads it");
        assert_eq!(network.name, "lsv-devnet");
        assert_eq!(network.preset, PresetName::Minimal);
        assert_eq!(network.slots_per_epoch, 8);
        assert_eq!(network.seconds_per_slot, 6);
        assert_eq!(
            network.shard_committee_period,
            config.shard_committee_period
        );
        assert_eq!(
            network.min_validator_withdrawability_delay,
            config.min_validator_withdrawability_delay
        );
        assert_eq!(network.genesis_time, 1_700_000_000);
        assert_eq!(network.genesis_validators_root, gvr);
        assert_eq!(network.genesis_fork_version, config.genesis_fork_version);
        assert_eq!(network.chain_id, config.deposit_chain_id);
        assert_eq!(network.deposit_contract, config.deposit_contract_address);
        assert_eq!(
            network.fork_version(ForkName::Capella),
            Some(config.capella_fork_version)
        );
        for epoch in 0..6 {
            let record = config.fork_record(ForkName::Electra, Epoch::new(epoch));
            let version = network
                .fork_version(network.fork_at(Epoch::new(epoch)))
                .expect("scheduled");
            assert_eq!(record.current_version, version, "epoch {epoch}");
        }
        assert_eq!(network.fork_at(Epoch::new(2)), ForkName::Electra);
        assert_eq!(network.fork_at(Epoch::new(3)), ForkName::Fulu);

        // A chain that starts in Fulu is Fulu from epoch 0.
        let yaml = config
            .network_config_yaml::<Minimal>("lsv-devnet", ForkName::Fulu, 0, gvr)
            .expect("whole seconds");
        let network = Network::from_config_yaml(&yaml).expect("P reads it");
        assert_eq!(network.fork_at(Epoch::new(0)), ForkName::Fulu);
        assert_eq!(
            config
                .fork_record(ForkName::Fulu, Epoch::new(0))
                .current_version,
            config.fulu_fork_version
        );

        config.slot_duration_ms = 6_500;
        assert!(config
            .network_config_yaml::<Minimal>("x", ForkName::Electra, 0, gvr)
            .is_none());
    }
}
