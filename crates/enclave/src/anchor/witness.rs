//! The `witness` anchor: the counters kept by a quorum of other Ps (another machine of the
//! same staker, a friend's), each of which stores them durably and signs every answer.
//!
//! # What a witness does
//!
//! A witness is any P started with `lsv signer --witness`. For each anchor that uses it, it keeps
//! a *record* (the anchor's counters, in `witness.sqlite` of its data directory) and answers two requests,
//! each carrying the asking P's fresh nonce:
//!
//! - **read**: the record's counters;
//! - **advance** `counter` from `from` to `to`: accepted if and only if the stored value is at
//!   most `from` (a witness that missed some moves catches up), and then it stores `to` before it
//!   answers.
//!
//! Every answer is signed by the witness's own key (secp256k1, sealed by the witness's P in
//! `witness-key.json`) over the record, the nonce, the request and the result, so the host
//! between P and its witnesses can neither forge an answer nor replay an old one.
//!
//! # The quorum
//!
//! An anchor names `n` witnesses by address and a number `f` of them whose own record may be
//! rolled back or cloned by their host; it needs `q = ⌊(n + f) / 2⌋ + 1` of them (any two
//! quorums then share at least `f + 1` witnesses, so at least one that was not rolled back). An
//! advance succeeds if `q` witnesses accepted it: each witness accepts intervals `(from, to]`
//! that never overlap, so two successful advances never cover a common value, which is what
//! [`AnchorCounters::advance`] promises. A read takes the highest value among `q` answers, so it
//! sees every successful advance. `n − q` witnesses may be down without stopping P. The default
//! `f` ([`default_faults`]) lets 3 witnesses have one down, 4 have one rolled back and one down.
//!
//! Who may move a record does not matter for safety: only an advance P itself made entitles it
//! to sign, and an advance made by anyone else only makes P raise its watermarks (a denial of
//! service, which the host can always cause by not running P). A witness accepts at most
//! [`MAX_RECORDS`] records.

use super::{AnchorCounters, AnchorError, Counter, Counters};
use crate::attestation::{load_or_create_sealed_key, AttestationKeyError};
use crate::sealer::Sealer;
use alloy_primitives::{Address, Bytes, B256};
use lsv_attestation::{verify_dev_signature, DevAttester};
use parking_lot::Mutex;
use rusqlite::{params, Connection, OptionalExtension};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

/// A witness's records, in its data directory.
pub const WITNESS_DB_FILE: &str = "witness.sqlite";
/// A witness's signing key, sealed, in its data directory.
pub const WITNESS_KEY_FILE: &str = "witness-key.json";
/// The most records (anchors) one witness keeps.
pub const MAX_RECORDS: u64 = 10_000;
/// The witness API's path below a witness's URL.
pub const WITNESS_PATH: &str = "/eth/v1/lsv/witness";
/// How long P waits for one witness's answer.
pub const WITNESS_TIMEOUT: Duration = Duration::from_secs(5);

/// What a P asks a witness about one record.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Op {
    /// The record's counters.
    Read,
    /// Move `counter` from `from` to `to`.
    Advance {
        /// Which counter.
        counter: Counter,
        /// The value the asking P read.
        from: u64,
        /// The value it moves it to (above `from`).
        to: u64,
    },
}

/// A request to a witness: `POST /eth/v1/lsv/witness/{record}`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WitnessRequest {
    /// Fresh for each request: the answer signs it, so no old answer can be replayed.
    pub nonce: B256,
    /// What is asked.
    pub op: Op,
}

/// A witness's signed answer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WitnessAnswer {
    /// The record.
    pub record: B256,
    /// The request's nonce.
    pub nonce: B256,
    /// The request's operation.
    pub op: Op,
    /// For an advance: whether this witness moved the counter. True for a read.
    pub accepted: bool,
    /// The record's session counter after the request.
    pub session: u64,
    /// The record's reservation counter after the request.
    pub reserved: u64,
    /// The record's retirement counter after the request.
    pub retired: u64,
    /// The witness's signature over [`answer_digest`] (65 bytes, `r ‖ s ‖ v`).
    pub signature: Bytes,
}

/// What a witness says about itself: `GET /eth/v1/lsv/witness`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WitnessIdentity {
    /// The address of the key that signs its answers.
    pub address: Address,
    /// How many records it keeps.
    pub records: u64,
}

/// What a witness signs for one answer.
pub fn answer_digest(
    record: B256,
    nonce: B256,
    op: Op,
    accepted: bool,
    counters: Counters,
) -> B256 {
    let (kind, from, to) = match op {
        Op::Read => (0u8, 0, 0),
        Op::Advance {
            counter: Counter::Session,
            from,
            to,
        } => (1, from, to),
        Op::Advance {
            counter: Counter::Reserved,
            from,
            to,
        } => (2, from, to),
        Op::Advance {
            counter: Counter::Retired,
            from,
            to,
        } => (3, from, to),
    };
    let mut h = Sha256::new_with_prefix(b"lsv/anchor-witness/v1\0");
    h.update(record);
    h.update(nonce);
    h.update([kind]);
    h.update(from.to_be_bytes());
    h.update(to.to_be_bytes());
    h.update([accepted as u8]);
    h.update(counters.session.to_be_bytes());
    h.update(counters.reserved.to_be_bytes());
    h.update(counters.retired.to_be_bytes());
    B256::from_slice(&h.finalize())
}

/// Why a witness could not answer.
#[derive(Debug, thiserror::Error)]
pub enum WitnessError {
    /// The request itself is wrong (an advance that does not move forward).
    #[error("{0}")]
    BadRequest(String),
    /// The witness keeps [`MAX_RECORDS`] records already.
    #[error("this witness keeps {MAX_RECORDS} records already and takes no new one")]
    Full,
    /// The witness's key could not be loaded or created.
    #[error(transparent)]
    Key(#[from] AttestationKeyError),
    /// The witness's database failed; nothing was answered.
    #[error("witness database {path}: {message}")]
    Store {
        /// The database.
        path: PathBuf,
        /// What failed.
        message: String,
    },
}

/// The witness side: a P's key that signs answers, and its records.
pub struct Witness {
    key: DevAttester,
    db: Mutex<Connection>,
    path: PathBuf,
}

impl Witness {
    /// Opens (or makes) the witness of the P whose data directory is `data_dir`.
    pub fn open(data_dir: &Path, sealer: &dyn Sealer) -> Result<Self, WitnessError> {
        let key = load_or_create_sealed_key(
            data_dir.join(WITNESS_KEY_FILE),
            "witness-key",
            sealer,
            None,
        )?;
        let path = data_dir.join(WITNESS_DB_FILE);
        let store = |e: rusqlite::Error| WitnessError::Store {
            path: path.clone(),
            message: e.to_string(),
        };
        let db = Connection::open(&path).map_err(store)?;
        // Durable before the answer leaves: a witness that forgot an accepted advance after a
        // power cut would be a rolled-back witness.
        db.execute_batch(
            "PRAGMA journal_mode = WAL;
             PRAGMA synchronous = FULL;
             CREATE TABLE IF NOT EXISTS record (
                 id BLOB PRIMARY KEY NOT NULL CHECK (length(id) = 32),
                 session INTEGER NOT NULL,
                 reserved INTEGER NOT NULL,
                 retired INTEGER NOT NULL
             );",
        )
        .map_err(store)?;
        tracing::info!(address = %key.address(), "witness: answering anchors' reads and advances");
        Ok(Self {
            key,
            db: Mutex::new(db),
            path,
        })
    }

    /// The address whose signatures the anchors it serves check.
    pub fn address(&self) -> Address {
        self.key.address()
    }

    /// The witness's address and how many records it keeps.
    pub fn identity(&self) -> Result<WitnessIdentity, WitnessError> {
        let records: i64 = self
            .db
            .lock()
            .query_row("SELECT count(*) FROM record", [], |r| r.get(0))
            .map_err(|e| self.store_error(e))?;
        Ok(WitnessIdentity {
            address: self.address(),
            records: records as u64,
        })
    }

    /// Answers `request` about `record`: the advance is committed before the answer is signed.
    pub fn answer(
        &self,
        record: B256,
        request: &WitnessRequest,
    ) -> Result<WitnessAnswer, WitnessError> {
        if let Op::Advance { from, to, .. } = request.op {
            if to <= from || to > i64::MAX as u64 {
                return Err(WitnessError::BadRequest(format!(
                    "an advance must move forward and stay below 2^63: from {from} to {to}"
                )));
            }
        }
        let (accepted, counters) = {
            let mut db = self.db.lock();
            let tx = db.transaction().map_err(|e| self.store_error(e))?;
            let stored: Option<(i64, i64, i64)> = tx
                .query_row(
                    "SELECT session, reserved, retired FROM record WHERE id = ?1",
                    [record.as_slice()],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
                )
                .optional()
                .map_err(|e| self.store_error(e))?;
            let mut counters = stored.map_or(Counters::default(), |(s, r, x)| Counters {
                session: s as u64,
                reserved: r as u64,
                retired: x as u64,
            });
            let accepted = match request.op {
                Op::Read => true,
                Op::Advance { counter, from, to } => {
                    if counters.get(counter) > from {
                        false
                    } else {
                        if stored.is_none() {
                            let records: i64 = tx
                                .query_row("SELECT count(*) FROM record", [], |r| r.get(0))
                                .map_err(|e| self.store_error(e))?;
                            if records as u64 >= MAX_RECORDS {
                                return Err(WitnessError::Full);
                            }
                        }
                        counters.set(counter, to);
                        tx.execute(
                            "INSERT INTO record (id, session, reserved, retired)
                             VALUES (?1, ?2, ?3, ?4)
                             ON CONFLICT (id) DO UPDATE SET session = ?2, reserved = ?3,
                                 retired = ?4",
                            params![
                                record.as_slice(),
                                counters.session as i64,
                                counters.reserved as i64,
                                counters.retired as i64
                            ],
                        )
                        .map_err(|e| self.store_error(e))?;
                        true
                    }
                }
            };
            tx.commit().map_err(|e| self.store_error(e))?;
            (accepted, counters)
        };
        let digest = answer_digest(record, request.nonce, request.op, accepted, counters);
        let signature = self
            .key
            .sign_binding(digest)
            .map_err(|e| WitnessError::Store {
                path: self.path.clone(),
                message: format!("signing the answer: {e}"),
            })?;
        Ok(WitnessAnswer {
            record,
            nonce: request.nonce,
            op: request.op,
            accepted,
            session: counters.session,
            reserved: counters.reserved,
            retired: counters.retired,
            signature: Bytes::copy_from_slice(&signature),
        })
    }

    fn store_error(&self, e: rusqlite::Error) -> WitnessError {
        WitnessError::Store {
            path: self.path.clone(),
            message: e.to_string(),
        }
    }
}

/// How P reaches its witnesses: the host's network, untrusted (every answer is verified).
pub trait WitnessTransport: Send + Sync {
    /// `GET url`: the body of a 200 answer.
    fn get(&self, url: &str) -> Result<Vec<u8>, String>;
    /// `POST url` with a JSON body: the body of a 200 answer.
    fn post(&self, url: &str, body: Vec<u8>) -> Result<Vec<u8>, String>;
}

/// Plain HTTP through `ureq` (answers are signed, so nothing needs TLS), one request at a time,
/// [`WITNESS_TIMEOUT`] each.
pub struct HttpTransport {
    agent: ureq::Agent,
}

impl HttpTransport {
    /// A transport with [`WITNESS_TIMEOUT`].
    pub fn new() -> Self {
        let agent = ureq::Agent::config_builder()
            .timeout_global(Some(WITNESS_TIMEOUT))
            .http_status_as_error(false)
            .build()
            .into();
        Self { agent }
    }

    fn finish(
        result: Result<ureq::http::Response<ureq::Body>, ureq::Error>,
    ) -> Result<Vec<u8>, String> {
        let mut response = result.map_err(|e| e.to_string())?;
        let status = response.status();
        let body = response
            .body_mut()
            .read_to_vec()
            .map_err(|e| e.to_string())?;
        if !status.is_success() {
            let message = serde_json::from_slice::<serde_json::Value>(&body)
                .ok()
                .and_then(|v| v.get("message").and_then(|m| m.as_str()).map(str::to_owned))
                .unwrap_or_else(|| String::from_utf8_lossy(&body).chars().take(200).collect());
            return Err(format!("{status}: {message}"));
        }
        Ok(body)
    }
}

impl Default for HttpTransport {
    fn default() -> Self {
        Self::new()
    }
}

impl WitnessTransport for HttpTransport {
    fn get(&self, url: &str) -> Result<Vec<u8>, String> {
        Self::finish(self.agent.get(url).call())
    }

    fn post(&self, url: &str, body: Vec<u8>) -> Result<Vec<u8>, String> {
        Self::finish(
            self.agent
                .post(url)
                .header("content-type", "application/json")
                .send(&body[..]),
        )
    }
}

/// The quorum of `n` witnesses of which `faults` may be rolled back: `⌊(n + f) / 2⌋ + 1`.
pub fn quorum(n: usize, faults: usize) -> Result<usize, AnchorError> {
    let q = (n + faults) / 2 + 1;
    if n == 0 || q > n {
        return Err(AnchorError::Backend {
            backend: "witness",
            message: format!(
                "{n} witnesses cannot tolerate {faults} rolled back: a quorum would need {q} \
                 (any two quorums must share more than {faults} witnesses)"
            ),
        });
    }
    Ok(q)
}

/// The default number of witnesses that may be rolled back: `⌊(n − 1) / 3⌋`, so that as many
/// may also be down, or one more where the quorum stays the same (5 witnesses: a quorum of 4
/// tolerates 2 rolled back and 1 down).
pub fn default_faults(n: usize) -> usize {
    let f = n.saturating_sub(1) / 3;
    if (n + f).is_multiple_of(2) {
        f + 1
    } else {
        f
    }
}

/// Asks each of `urls` who it is (`GET /eth/v1/lsv/witness`), in parallel.
pub fn identify(
    transport: &dyn WitnessTransport,
    urls: &[String],
) -> Vec<Result<WitnessIdentity, String>> {
    in_parallel(urls, |url| {
        let body = transport.get(&format!("{}{WITNESS_PATH}", trim(url)))?;
        serde_json::from_slice::<WitnessIdentity>(&body)
            .map_err(|e| format!("not a witness's answer: {e}"))
    })
}

/// `ask` for every item at once, one thread each (a handful of witnesses, each a network round
/// trip): the answers in the items' order.
fn in_parallel<I: Sync, T: Send>(
    items: &[I],
    ask: impl Fn(&I) -> Result<T, String> + Sync,
) -> Vec<Result<T, String>> {
    std::thread::scope(|s| {
        let asks: Vec<_> = items
            .iter()
            .map(|item| {
                let ask = &ask;
                s.spawn(move || ask(item))
            })
            .collect();
        asks.into_iter()
            .map(|a| {
                a.join()
                    .unwrap_or_else(|_| Err("the request panicked".into()))
            })
            .collect()
    })
}

fn trim(url: &str) -> &str {
    url.trim_end_matches('/')
}

/// One witness of an anchor: the address it signs with and where the host says it is.
#[derive(Clone, Debug)]
pub struct WitnessEndpoint {
    /// Its address, from the anchor's configuration.
    pub address: Address,
    /// Its URL, from the command line.
    pub url: String,
}

/// The counters of one record, kept by a quorum of witnesses.
pub struct WitnessCounters {
    record: B256,
    endpoints: Mutex<Vec<WitnessEndpoint>>,
    witnesses: usize,
    quorum: usize,
    transport: Arc<dyn WitnessTransport>,
    /// The anchor's witnesses, by address, and the URLs given that did not answer who they
    /// are yet: asked again whenever a read comes up short of a quorum.
    known: Vec<Address>,
    unresolved: Mutex<Vec<String>>,
}

impl WitnessCounters {
    /// The record `record` at the `endpoints` that could be reached, out of `witnesses`
    /// configured, of which `quorum` must answer.
    pub fn new(
        record: B256,
        endpoints: Vec<WitnessEndpoint>,
        witnesses: usize,
        quorum: usize,
        transport: Arc<dyn WitnessTransport>,
    ) -> Self {
        Self {
            record,
            endpoints: Mutex::new(endpoints),
            witnesses,
            quorum,
            transport,
            known: Vec::new(),
            unresolved: Mutex::new(Vec::new()),
        }
    }

    /// These counters, also trying `urls` (given, but not answering yet) whenever a read
    /// comes up short of a quorum, and taking those that turn out to be among `known` (the
    /// anchor's witnesses): a witness down when P started is used once it is back.
    pub fn retrying(mut self, known: Vec<Address>, urls: Vec<String>) -> Self {
        self.known = known;
        self.unresolved = Mutex::new(urls);
        self
    }

    /// Asks the URLs not resolved yet who they are; whether any became an endpoint.
    fn discover(&self) -> bool {
        let urls = self.unresolved.lock().clone();
        if urls.is_empty() {
            return false;
        }
        let mut added = false;
        let mut still = Vec::new();
        for (url, identity) in urls.iter().zip(identify(&*self.transport, &urls)) {
            match identity {
                Ok(identity) if self.known.contains(&identity.address) => {
                    let mut endpoints = self.endpoints.lock();
                    if !endpoints.iter().any(|e| e.address == identity.address) {
                        tracing::info!(url, address = %identity.address, "anchor: witness reached");
                        endpoints.push(WitnessEndpoint {
                            address: identity.address,
                            url: url.clone(),
                        });
                        added = true;
                    }
                }
                Ok(identity) => tracing::warn!(
                    url, address = %identity.address,
                    "anchor: this witness is not one of the anchor's; not used"
                ),
                Err(_) => still.push(url.clone()),
            }
        }
        *self.unresolved.lock() = still;
        added
    }

    /// Sends `op` to every witness in parallel; the answers that verify, and what failed.
    fn ask(&self, op: Op) -> Result<(Vec<WitnessAnswer>, Vec<String>), AnchorError> {
        let mut nonce = B256::ZERO;
        getrandom::fill(nonce.as_mut_slice()).map_err(|e| AnchorError::Backend {
            backend: "witness",
            message: format!("no randomness: {e}"),
        })?;
        let request = WitnessRequest { nonce, op };
        let body = serde_json::to_vec(&request).expect("a request serialises");
        let record = self.record;
        let transport = &*self.transport;
        let endpoints = self.endpoints.lock().clone();
        let results = in_parallel(&endpoints, |endpoint| {
            let url = format!("{}{WITNESS_PATH}/{record}", trim(&endpoint.url));
            let answer = transport.post(&url, body.clone())?;
            let answer: WitnessAnswer = serde_json::from_slice(&answer)
                .map_err(|e| format!("not a witness's answer: {e}"))?;
            verify(&answer, &request, record, endpoint.address)?;
            Ok(answer)
        });
        let mut answers = Vec::new();
        let mut failures = Vec::new();
        for (result, endpoint) in results.into_iter().zip(&endpoints) {
            match result {
                Ok(answer) => answers.push(answer),
                Err(e) => failures.push(format!("{} ({}): {e}", endpoint.address, endpoint.url)),
            }
        }
        Ok((answers, failures))
    }

    fn short_of_quorum(&self, answered: usize, failures: &[String]) -> AnchorError {
        AnchorError::Backend {
            backend: "witness",
            message: format!(
                "{answered} of {} witnesses answered, {} needed; {}",
                self.witnesses,
                self.quorum,
                if failures.is_empty() {
                    "the others are not reachable at any URL given".to_owned()
                } else {
                    failures.join("; ")
                }
            ),
        }
    }
}

/// Checks that `answer` is `address`'s, to `request`, about `record`.
fn verify(
    answer: &WitnessAnswer,
    request: &WitnessRequest,
    record: B256,
    address: Address,
) -> Result<(), String> {
    if answer.record != record || answer.nonce != request.nonce || answer.op != request.op {
        return Err("the answer is not to this request (an old answer replayed?)".into());
    }
    let counters = Counters {
        session: answer.session,
        reserved: answer.reserved,
        retired: answer.retired,
    };
    let digest = answer_digest(record, answer.nonce, answer.op, answer.accepted, counters);
    verify_dev_signature(digest, &answer.signature, address)
        .map_err(|_| format!("the answer is not signed by witness {address}"))
}

impl AnchorCounters for WitnessCounters {
    fn backend(&self) -> &'static str {
        "witness"
    }

    /// The highest values among a quorum's answers: every successful advance reached a quorum,
    /// and any two quorums share a witness that was not rolled back.
    fn read(&self) -> Result<Counters, AnchorError> {
        let (mut answers, mut failures) = self.ask(Op::Read)?;
        if answers.len() < self.quorum && self.discover() {
            (answers, failures) = self.ask(Op::Read)?;
        }
        if answers.len() < self.quorum {
            return Err(self.short_of_quorum(answers.len(), &failures));
        }
        Ok(Counters {
            session: answers.iter().map(|a| a.session).max().unwrap_or(0),
            reserved: answers.iter().map(|a| a.reserved).max().unwrap_or(0),
            retired: answers.iter().map(|a| a.retired).max().unwrap_or(0),
        })
    }

    /// Succeeds once a quorum accepted; `Ok(false)` once so many refused that no quorum can.
    fn advance(&self, counter: Counter, from: u64, to: u64) -> Result<bool, AnchorError> {
        let (answers, failures) = self.ask(Op::Advance { counter, from, to })?;
        let accepted = answers.iter().filter(|a| a.accepted).count();
        let refused = answers.len() - accepted;
        if accepted >= self.quorum {
            return Ok(true);
        }
        if refused > self.witnesses - self.quorum {
            return Ok(false);
        }
        Err(self.short_of_quorum(accepted, &failures))
    }
}
