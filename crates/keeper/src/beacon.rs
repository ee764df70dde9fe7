//! A client of the standard Ethereum Beacon-API (<https://github.com/ethereum/beacon-APIs>),
//! over plain HTTP, for the four endpoints proofs need:
//!
//! | endpoint | spec | answer |
//! |---|---|---|
//! | `GET /eth/v1/beacon/genesis` | `apis/beacon/genesis.yaml` | JSON: genesis time, validators root, fork version |
//! | `GET /eth/v1/beacon/headers/{block_id}` | `apis/beacon/blocks/header.yaml` | JSON: the block's root and `BeaconBlockHeader` |
//! | `GET /eth/v2/beacon/blocks/{block_id}` | `apis/beacon/blocks/block.v2.yaml` | SSZ `SignedBeaconBlock` (`Accept: application/octet-stream`) |
//! | `GET /eth/v2/debug/beacon/states/{state_id}` | `apis/debug/state.v2.yaml` | SSZ `BeaconState` (`Accept: application/octet-stream`) |
//! | `GET /eth/v1/config/spec` | `apis/config/spec.yaml` | JSON: the node's config, for its `PRESET_BASE` |
//!
//! Blocks decode in the mainnet preset unless asked for another ([`BeaconClient::block_of`]):
//! the minimal preset's `SyncAggregate` and attestation bit fields have other lengths.
//!
//! The SSZ answers name their fork in the `Eth-Consensus-Version` response header
//! (`beacon-node-oapi.yaml`, `components/headers`). Every body is read into memory under a
//! size limit ([`Limits`]): a mainnet state is some 250–300 MB. Bodies are never logged.
//!
//! Only `http://` is spoken (no TLS): point it at your own beacon node, or at a local proxy.

use alloy_primitives::B256;
use bytes::Bytes;
use http_body_util::{BodyExt, Empty};
use hyper::header::{HeaderMap, HeaderName, HeaderValue, ACCEPT, CONTENT_LENGTH, CONTENT_TYPE};
use hyper::{Request, StatusCode, Uri};
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use lsv_consensus::containers::BeaconBlockHeader;
use lsv_consensus::{ForkName, Mainnet, PresetName, Slot, Version};
use lsv_proofs::block::{BlockError, SignedBeaconBlock};
use lsv_proofs::StatePreset;
use serde::Deserialize;
use std::fmt;
use std::str::FromStr;
use std::time::{Duration, Instant};
use tree_hash::TreeHash;

/// `Eth-Consensus-Version`: the fork of an SSZ block or state response.
pub const CONSENSUS_VERSION: &str = "eth-consensus-version";
/// The media type of SSZ responses.
pub const OCTET_STREAM: &str = "application/octet-stream";
/// The media type of JSON responses.
pub const JSON: &str = "application/json";
/// How much of an error response is read to find the beacon node's `message`.
const ERROR_BODY_LIMIT: usize = 64 * 1024;
/// How much of that message is kept in the error.
const ERROR_MESSAGE_CHARS: usize = 512;

/// Why an identifier is not a beacon-API block or state id.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid {kind} id {id:?}: expected {expected}")]
pub struct IdError {
    /// `block` or `state`.
    pub kind: &'static str,
    /// The identifier as given.
    pub id: String,
    /// What a valid one looks like.
    pub expected: &'static str,
}

/// A `block_id` path parameter (`apis/beacon/blocks/*.yaml`): `head`, `genesis`, `finalized`, a
/// slot, or a `0x`-prefixed block root.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BlockId {
    /// The node's head block.
    Head,
    /// The genesis block.
    Genesis,
    /// The latest finalized block.
    Finalized,
    /// The block at this slot (404 for a missed slot).
    Slot(Slot),
    /// The block with this root.
    Root(B256),
}

/// A `state_id` path parameter (`apis/debug/state.v2.yaml`): `head`, `genesis`, `finalized`,
/// `justified`, a slot, or a `0x`-prefixed **state** root.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum StateId {
    /// The head block's post-state.
    Head,
    /// The genesis state.
    Genesis,
    /// The latest finalized checkpoint's state.
    Finalized,
    /// The latest justified checkpoint's state.
    Justified,
    /// The state at this slot.
    Slot(Slot),
    /// The state with this root.
    Root(B256),
}

/// A slot in decimal or a `0x` root of 32 bytes; anything else is not an id (and so can never
/// smuggle another path into a request).
fn parse_slot_or_root(s: &str) -> Option<Result<Slot, B256>> {
    if !s.is_empty() && s.len() <= 20 && s.bytes().all(|b| b.is_ascii_digit()) {
        return s.parse::<u64>().ok().map(|v| Ok(Slot::new(v)));
    }
    let hex = s.strip_prefix("0x")?;
    if hex.len() != 64 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    B256::from_str(hex).ok().map(Err)
}

impl FromStr for BlockId {
    type Err = IdError;
    fn from_str(s: &str) -> Result<Self, IdError> {
        Ok(match s {
            "head" => Self::Head,
            "genesis" => Self::Genesis,
            "finalized" => Self::Finalized,
            other => match parse_slot_or_root(other) {
                Some(Ok(slot)) => Self::Slot(slot),
                Some(Err(root)) => Self::Root(root),
                None => {
                    return Err(IdError {
                        kind: "block",
                        id: s.to_owned(),
                        expected: "head, genesis, finalized, a slot or a 0x block root",
                    })
                }
            },
        })
    }
}

impl FromStr for StateId {
    type Err = IdError;
    fn from_str(s: &str) -> Result<Self, IdError> {
        Ok(match s {
            "head" => Self::Head,
            "genesis" => Self::Genesis,
            "finalized" => Self::Finalized,
            "justified" => Self::Justified,
            other => match parse_slot_or_root(other) {
                Some(Ok(slot)) => Self::Slot(slot),
                Some(Err(root)) => Self::Root(root),
                None => {
                    return Err(IdError {
                        kind: "state",
                        id: s.to_owned(),
                        expected: "head, genesis, finalized, justified, a slot or a 0x state root",
                    })
                }
            },
        })
    }
}

impl fmt::Display for BlockId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Head => f.write_str("head"),
            Self::Genesis => f.write_str("genesis"),
            Self::Finalized => f.write_str("finalized"),
            Self::Slot(s) => write!(f, "{s}"),
            Self::Root(r) => write!(f, "{r}"),
        }
    }
}

impl fmt::Display for StateId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Head => f.write_str("head"),
            Self::Genesis => f.write_str("genesis"),
            Self::Finalized => f.write_str("finalized"),
            Self::Justified => f.write_str("justified"),
            Self::Slot(s) => write!(f, "{s}"),
            Self::Root(r) => write!(f, "{r}"),
        }
    }
}

/// Why a beacon-API request did not give what was asked for.
#[derive(Debug, thiserror::Error)]
pub enum BeaconError {
    /// The beacon node URL is not one this client takes.
    #[error("invalid beacon node URL {url:?}: {reason}")]
    InvalidUrl {
        /// The URL as given.
        url: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// The connection failed or broke off.
    #[error("GET {endpoint}: {reason}")]
    Transport {
        /// The path asked for.
        endpoint: String,
        /// What the HTTP client said.
        reason: String,
    },
    /// No complete answer within the configured timeout.
    #[error("GET {endpoint}: no complete answer within {after:?}")]
    Timeout {
        /// The path asked for.
        endpoint: String,
        /// The timeout.
        after: Duration,
    },
    /// The node answered with an error status other than 404.
    #[error("GET {endpoint}: HTTP {status}{}", message_suffix(.message))]
    Status {
        /// The path asked for.
        endpoint: String,
        /// The HTTP status.
        status: u16,
        /// The `message` of the beacon node's JSON error body, if it sent one.
        message: Option<String>,
    },
    /// The node has no such block or state (404).
    #[error("GET {endpoint}: not found (HTTP 404){}", message_suffix(.message))]
    NotFound {
        /// The path asked for.
        endpoint: String,
        /// The `message` of the node's JSON error body, if it sent one.
        message: Option<String>,
    },
    /// No block at a slot asked for by number (404).
    #[error("no block at slot {slot} (a missed slot, or one the node does not have): GET {endpoint} answered 404{}", message_suffix(.message))]
    MissedSlot {
        /// The slot.
        slot: Slot,
        /// The path asked for.
        endpoint: String,
        /// The `message` of the node's JSON error body, if it sent one.
        message: Option<String>,
    },
    /// The answer is not the media type asked for (SSZ or JSON).
    #[error("GET {endpoint}: expected content type {expected}, got {}", got.as_deref().unwrap_or("none"))]
    UnexpectedContentType {
        /// The path asked for.
        endpoint: String,
        /// The media type asked for.
        expected: &'static str,
        /// The `Content-Type` the node sent, if any.
        got: Option<String>,
    },
    /// The answer is larger than its [`Limits`] allow.
    #[error("GET {endpoint}: the response body is larger than the {limit}-byte limit")]
    BodyTooLarge {
        /// The path asked for.
        endpoint: String,
        /// The limit, in bytes.
        limit: usize,
    },
    /// An SSZ answer without the header that says which fork's layout it is in.
    #[error("GET {endpoint}: no Eth-Consensus-Version header in the SSZ response")]
    MissingConsensusVersion {
        /// The path asked for.
        endpoint: String,
    },
    /// `Eth-Consensus-Version` names no fork this build knows.
    #[error("GET {endpoint}: unknown consensus version {fork:?}")]
    UnknownFork {
        /// The path asked for.
        endpoint: String,
        /// The header's value.
        fork: String,
    },
    /// A fork whose layout this client does not decode (Electra and Fulu only).
    #[error("GET {endpoint}: the {fork:?} layout is not supported here (Electra and Fulu are)")]
    UnsupportedFork {
        /// The path asked for.
        endpoint: String,
        /// The answer's fork.
        fork: ForkName,
    },
    /// The answer did not decode as what was asked for.
    #[error("GET {endpoint}: cannot decode the {what}: {reason}")]
    Decode {
        /// The path asked for.
        endpoint: String,
        /// What was being decoded (a header, a block, genesis).
        what: &'static str,
        /// What the decoder said.
        reason: String,
    },
}

fn message_suffix(m: &Option<String>) -> String {
    m.as_ref().map(|m| format!(": {m}")).unwrap_or_default()
}

impl BeaconError {
    /// Whether the node answered 404 (a missed slot, or an unknown block or state).
    pub fn is_not_found(&self) -> bool {
        matches!(self, Self::NotFound { .. } | Self::MissedSlot { .. })
    }
}

/// Body size limits, in bytes. A response over its limit is refused while it streams in (or at
/// once, if its `Content-Length` says so).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// JSON answers (headers, genesis).
    pub json: usize,
    /// SSZ blocks. A block's payload is bounded by gas (a few MB today).
    pub block: usize,
    /// SSZ states: some 250–300 MB on mainnet today, growing with the registry.
    pub state: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            json: 1 << 20,
            block: 64 << 20,
            state: 1 << 30,
        }
    }
}

/// How a [`BeaconClient`] behaves.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClientConfig {
    /// Body size limits per kind of answer.
    pub limits: Limits,
    /// The whole of one request (connect, headers, body) for JSON and blocks.
    pub timeout: Duration,
    /// The same for a state, which takes a while to serialize and send.
    pub state_timeout: Duration,
}

impl Default for ClientConfig {
    fn default() -> Self {
        Self {
            limits: Limits::default(),
            timeout: Duration::from_secs(60),
            state_timeout: Duration::from_secs(900),
        }
    }
}

/// One validator of `GET /eth/v1/beacon/states/{state_id}/validators/{id}`.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct StateValidator {
    /// Its registry index.
    #[serde(with = "lsv_consensus::primitives::quoted_u64")]
    pub index: u64,
    /// Its actual balance, in gwei.
    #[serde(with = "lsv_consensus::primitives::quoted_u64")]
    pub balance: u64,
    /// The beacon API's status (`pending_initialized`, `active_ongoing`, `exited_unslashed`, ...).
    pub status: String,
    /// The registry entry.
    pub validator: lsv_consensus::containers::Validator,
}

/// One entry of `GET /eth/v1/beacon/states/{state_id}/pending_deposits` (Electra's
/// `PendingDeposit`; the signature is not read).
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct PendingDepositInfo {
    /// The validator's key.
    pub pubkey: lsv_consensus::PublicKeyBytes,
    /// The amount, in gwei.
    #[serde(with = "lsv_consensus::primitives::quoted_u64")]
    pub amount: u64,
    /// The slot of the block that carried the deposit request (`GENESIS_SLOT` for deposits
    /// that came through the Eth1 bridge).
    #[serde(with = "lsv_consensus::primitives::quoted_u64")]
    pub slot: u64,
}

/// `GET /eth/v1/beacon/genesis`'s `data`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
pub struct Genesis {
    /// Unix time of genesis.
    #[serde(with = "lsv_consensus::primitives::quoted_u64")]
    pub genesis_time: u64,
    /// The network's genesis validators root.
    #[serde(with = "lsv_consensus::primitives::hex_root")]
    pub genesis_validators_root: B256,
    /// The network's genesis fork version.
    pub genesis_fork_version: Version,
}

/// `GET /eth/v1/beacon/headers/{block_id}`: the block's root and header. The root is checked to
/// be the header's `hash_tree_root`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HeaderInfo {
    /// The block's root, checked to be the header's `hash_tree_root`.
    pub root: B256,
    /// Whether the block is on the node's canonical chain.
    pub canonical: bool,
    /// The block's header.
    pub header: BeaconBlockHeader,
    /// The response's `execution_optimistic` and `finalized` metadata, when sent.
    pub execution_optimistic: Option<bool>,
    /// The response's `finalized` metadata, when sent.
    pub finalized: Option<bool>,
}

#[derive(Deserialize)]
struct Data<T> {
    data: T,
    #[serde(default)]
    execution_optimistic: Option<bool>,
    #[serde(default)]
    finalized: Option<bool>,
}

#[derive(Deserialize)]
struct HeaderData {
    #[serde(with = "lsv_consensus::primitives::hex_root")]
    root: B256,
    canonical: bool,
    header: SignedHeader,
}

#[derive(Deserialize)]
struct SignedHeader {
    message: BeaconBlockHeader,
}

/// Reads a `BeaconBlockHeader` from JSON as the beacon API writes it: the whole
/// `GET /eth/v1/beacon/headers/{block_id}` response, its `data.header`, or the `message` itself.
pub fn header_from_json(bytes: &[u8]) -> Result<BeaconBlockHeader, serde_json::Error> {
    let value: serde_json::Value = serde_json::from_slice(bytes)?;
    let message = ["/data/header/message", "/header/message", "/message"]
        .iter()
        .find_map(|p| value.pointer(p).cloned())
        .unwrap_or(value);
    serde_json::from_value(message)
}

/// An SSZ answer and the fork its `Eth-Consensus-Version` header names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ssz {
    /// The fork the `Eth-Consensus-Version` header names.
    pub fork: ForkName,
    /// The SSZ body.
    pub bytes: Vec<u8>,
}

/// A decoded block (Electra or Fulu layout, preset `P`) and its fork.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FetchedBlock<P: StatePreset = Mainnet> {
    /// The fork the `Eth-Consensus-Version` header names.
    pub fork: ForkName,
    /// The block, decoded in that fork's layout.
    pub block: SignedBeaconBlock<P>,
    /// `hash_tree_root(block.message)`.
    pub root: B256,
}

/// Decodes SSZ `SignedBeaconBlock` bytes of `fork` (Electra and Fulu share the layout), in the
/// mainnet preset.
pub fn decode_block(fork: ForkName, bytes: &[u8]) -> Result<FetchedBlock, BlockError> {
    decode_block_of::<Mainnet>(fork, bytes)
}

/// [`decode_block`] in preset `P`.
pub fn decode_block_of<P: StatePreset>(
    fork: ForkName,
    bytes: &[u8],
) -> Result<FetchedBlock<P>, BlockError> {
    let block = SignedBeaconBlock::<P>::from_ssz_bytes_of(fork, bytes)?;
    let root = block.message.tree_hash_root();
    Ok(FetchedBlock { fork, block, root })
}

/// An async beacon-API client. Cheap to clone (the connection pool is shared).
#[derive(Clone, Debug)]
pub struct BeaconClient {
    /// `http://host:port` plus any path prefix, without a trailing `/`.
    base: String,
    http: Client<HttpConnector, Empty<Bytes>>,
    config: ClientConfig,
}

/// What one GET should accept.
struct Expect {
    media: &'static str,
    limit: usize,
    timeout: Duration,
}

impl BeaconClient {
    /// A client of the beacon node at `url` (`http://host:port`, optionally with a path prefix).
    pub fn new(url: &str) -> Result<Self, BeaconError> {
        Self::with_config(url, ClientConfig::default())
    }

    /// A client of the beacon node at `url` with `config`'s limits and timeouts. Only plain
    /// `http://` without credentials or query string is accepted.
    pub fn with_config(url: &str, config: ClientConfig) -> Result<Self, BeaconError> {
        let invalid = |reason| BeaconError::InvalidUrl {
            url: url.to_owned(),
            reason,
        };
        let uri: Uri = url.parse().map_err(|_| invalid("not a URL"))?;
        match uri.scheme_str() {
            Some("http") => {}
            Some("https") => {
                return Err(invalid(
                    "https is not supported: use the node's plain-HTTP API (or a local TLS proxy)",
                ))
            }
            _ => return Err(invalid("the scheme must be http://")),
        }
        let authority = uri.authority().ok_or_else(|| invalid("no host"))?;
        if authority.as_str().contains('@') {
            return Err(invalid("credentials in the URL are not supported"));
        }
        if uri.query().is_some() {
            return Err(invalid("a query string is not supported"));
        }
        let base = format!("http://{}{}", authority, uri.path().trim_end_matches('/'));
        let mut connector = HttpConnector::new();
        connector.set_nodelay(true);
        connector.set_connect_timeout(Some(config.timeout));
        let http = Client::builder(TokioExecutor::new()).build(connector);
        Ok(Self { base, http, config })
    }

    /// The limits and timeouts this client runs with.
    pub fn config(&self) -> &ClientConfig {
        &self.config
    }

    /// `GET /eth/v1/beacon/genesis`.
    pub async fn genesis(&self) -> Result<Genesis, BeaconError> {
        let endpoint = "/eth/v1/beacon/genesis".to_owned();
        let (_, body) = self.get(&endpoint, self.json()).await?;
        let data: Data<Genesis> = decode_json(&endpoint, "genesis response", &body)?;
        Ok(data.data)
    }

    /// `GET /eth/v1/beacon/headers/{block_id}`. A 404 for a slot id is
    /// [`BeaconError::MissedSlot`].
    pub async fn header(&self, id: BlockId) -> Result<HeaderInfo, BeaconError> {
        let endpoint = format!("/eth/v1/beacon/headers/{id}");
        let (_, body) = self
            .get(&endpoint, self.json())
            .await
            .map_err(|e| missed_slot(e, id))?;
        let data: Data<HeaderData> = decode_json(&endpoint, "header response", &body)?;
        let header = data.data.header.message;
        if header.tree_hash_root() != data.data.root {
            return Err(BeaconError::Decode {
                endpoint,
                what: "header response",
                reason: format!(
                    "root {} is not the header's hash_tree_root {}",
                    data.data.root,
                    header.tree_hash_root()
                ),
            });
        }
        if let BlockId::Root(r) = id {
            if r != data.data.root {
                return Err(BeaconError::Decode {
                    endpoint,
                    what: "header response",
                    reason: format!("asked for block {r}, got {}", data.data.root),
                });
            }
        }
        Ok(HeaderInfo {
            root: data.data.root,
            canonical: data.data.canonical,
            header,
            execution_optimistic: data.execution_optimistic,
            finalized: data.finalized,
        })
    }

    /// `GET /eth/v2/beacon/blocks/{block_id}` as SSZ, undecoded. A 404 for a slot id is
    /// [`BeaconError::MissedSlot`].
    pub async fn block_ssz(&self, id: BlockId) -> Result<Ssz, BeaconError> {
        let endpoint = format!("/eth/v2/beacon/blocks/{id}");
        let expect = Expect {
            media: OCTET_STREAM,
            limit: self.config.limits.block,
            timeout: self.config.timeout,
        };
        let (headers, bytes) = self
            .get(&endpoint, expect)
            .await
            .map_err(|e| missed_slot(e, id))?;
        let fork = consensus_version(&endpoint, &headers)?;
        Ok(Ssz { fork, bytes })
    }

    /// `GET /eth/v2/beacon/blocks/{block_id}`, decoded (Electra and Fulu, mainnet preset). For
    /// a root id, the block is checked to have that root.
    pub async fn block(&self, id: BlockId) -> Result<FetchedBlock, BeaconError> {
        self.block_of::<Mainnet>(id).await
    }

    /// [`BeaconClient::block`] in preset `P` (a minimal-preset devnet's blocks).
    pub async fn block_of<P: StatePreset>(
        &self,
        id: BlockId,
    ) -> Result<FetchedBlock<P>, BeaconError> {
        let ssz = self.block_ssz(id).await?;
        let endpoint = format!("/eth/v2/beacon/blocks/{id}");
        let fetched = decode_block_of::<P>(ssz.fork, &ssz.bytes).map_err(|e| match e {
            BlockError::UnsupportedFork(fork) => BeaconError::UnsupportedFork {
                endpoint: endpoint.clone(),
                fork,
            },
            BlockError::Ssz(reason) => BeaconError::Decode {
                endpoint: endpoint.clone(),
                what: "SSZ SignedBeaconBlock",
                reason,
            },
        })?;
        let wrong = match id {
            BlockId::Root(r) => (r != fetched.root).then_some(format!("root {r}")),
            BlockId::Slot(s) => (s != fetched.block.message.slot).then_some(format!("slot {s}")),
            _ => None,
        };
        if let Some(asked) = wrong {
            return Err(BeaconError::Decode {
                endpoint,
                what: "SSZ SignedBeaconBlock",
                reason: format!(
                    "asked for {asked}, got block {} at slot {}",
                    fetched.root, fetched.block.message.slot
                ),
            });
        }
        Ok(fetched)
    }

    /// `GET /eth/v2/debug/beacon/states/{state_id}` as SSZ, undecoded (decoding and hashing a
    /// mainnet state takes seconds: do it off the async runtime).
    pub async fn state_ssz(&self, id: StateId) -> Result<Ssz, BeaconError> {
        let endpoint = format!("/eth/v2/debug/beacon/states/{id}");
        let expect = Expect {
            media: OCTET_STREAM,
            limit: self.config.limits.state,
            timeout: self.config.state_timeout,
        };
        let (headers, bytes) = self.get(&endpoint, expect).await?;
        let fork = consensus_version(&endpoint, &headers)?;
        Ok(Ssz { fork, bytes })
    }

    /// `GET /eth/v1/beacon/states/{state_id}/validators/{id}` (`id`: an index or a `0x`
    /// pubkey): the registry entry, its balance and status; `None` when the node answers 404
    /// (no such validator in that state, or a state it does not keep).
    pub async fn validator(
        &self,
        state: StateId,
        id: &str,
    ) -> Result<Option<StateValidator>, BeaconError> {
        let endpoint = format!("/eth/v1/beacon/states/{state}/validators/{id}");
        match self.get(&endpoint, self.json()).await {
            Ok((_, body)) => {
                let data: Data<StateValidator> =
                    decode_json(&endpoint, "validator response", &body)?;
                Ok(Some(data.data))
            }
            Err(e) if e.is_not_found() => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// `GET /eth/v1/beacon/states/{state_id}/pending_deposits` (Electra's deposit queue, in the
    /// order `process_pending_deposits` takes it). Not every node serves it: a 404 is
    /// [`BeaconError::NotFound`].
    pub async fn pending_deposits(
        &self,
        state: StateId,
    ) -> Result<Vec<PendingDepositInfo>, BeaconError> {
        let endpoint = format!("/eth/v1/beacon/states/{state}/pending_deposits");
        let (_, body) = self.get(&endpoint, self.json()).await?;
        let data: Data<Vec<PendingDepositInfo>> =
            decode_json(&endpoint, "pending deposits response", &body)?;
        Ok(data.data)
    }

    /// `GET /eth/v1/config/spec`: the node's constants, preset and config, every value as the
    /// node sent it (strings, and arrays such as `BLOB_SCHEDULE`).
    pub async fn spec(
        &self,
    ) -> Result<std::collections::BTreeMap<String, serde_json::Value>, BeaconError> {
        let endpoint = "/eth/v1/config/spec".to_owned();
        let (_, body) = self.get(&endpoint, self.json()).await?;
        let data: Data<std::collections::BTreeMap<String, serde_json::Value>> =
            decode_json(&endpoint, "spec response", &body)?;
        Ok(data.data)
    }

    /// The node's preset: `PRESET_BASE` of `GET /eth/v1/config/spec`.
    pub async fn preset(&self) -> Result<PresetName, BeaconError> {
        let spec = self.spec().await?;
        let decode = |reason: String| BeaconError::Decode {
            endpoint: "/eth/v1/config/spec".to_owned(),
            what: "spec response",
            reason,
        };
        match spec.get("PRESET_BASE").and_then(|v| v.as_str()) {
            Some("mainnet") => Ok(PresetName::Mainnet),
            Some("minimal") => Ok(PresetName::Minimal),
            Some(other) => Err(decode(format!("unknown PRESET_BASE {other:?}"))),
            None => Err(decode("no PRESET_BASE".to_owned())),
        }
    }

    fn json(&self) -> Expect {
        Expect {
            media: JSON,
            limit: self.config.limits.json,
            timeout: self.config.timeout,
        }
    }

    /// One GET of `endpoint`: status 200 with the expected media type and a body within the
    /// limit, all within the timeout.
    async fn get(
        &self,
        endpoint: &str,
        expect: Expect,
    ) -> Result<(HeaderMap, Vec<u8>), BeaconError> {
        let started = Instant::now();
        let after = expect.timeout;
        let result = tokio::time::timeout(after, self.get_inner(endpoint, &expect)).await;
        let result = result.unwrap_or_else(|_| {
            Err(BeaconError::Timeout {
                endpoint: endpoint.to_owned(),
                after,
            })
        });
        match &result {
            Ok((_, body)) => tracing::debug!(
                endpoint,
                bytes = body.len(),
                elapsed_ms = started.elapsed().as_millis() as u64,
                "beacon API"
            ),
            Err(e) => tracing::debug!(endpoint, error = %e, "beacon API request failed"),
        }
        result
    }

    async fn get_inner(
        &self,
        endpoint: &str,
        expect: &Expect,
    ) -> Result<(HeaderMap, Vec<u8>), BeaconError> {
        let transport = |reason: String| BeaconError::Transport {
            endpoint: endpoint.to_owned(),
            reason,
        };
        let uri: Uri = format!("{}{}", self.base, endpoint)
            .parse()
            .map_err(|e| transport(format!("invalid request URI: {e}")))?;
        let request = Request::get(uri)
            .header(ACCEPT, expect.media)
            .body(Empty::new())
            .map_err(|e| transport(e.to_string()))?;
        let response = self
            .http
            .request(request)
            .await
            .map_err(|e| transport(error_chain(&e)))?;
        let (parts, body) = response.into_parts();
        if parts.status != StatusCode::OK {
            // The beacon API's error body: `{"code": 404, "message": "..."}`.
            let message = read_limited(body, ERROR_BODY_LIMIT, None)
                .await
                .ok()
                .and_then(|b| error_message(&b));
            return Err(if parts.status == StatusCode::NOT_FOUND {
                BeaconError::NotFound {
                    endpoint: endpoint.to_owned(),
                    message,
                }
            } else {
                BeaconError::Status {
                    endpoint: endpoint.to_owned(),
                    status: parts.status.as_u16(),
                    message,
                }
            });
        }
        let media = parts
            .headers
            .get(CONTENT_TYPE)
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
        let matches = media.as_deref().is_some_and(|m| {
            m.split(';')
                .next()
                .is_some_and(|t| t.trim().eq_ignore_ascii_case(expect.media))
        });
        if !matches {
            return Err(BeaconError::UnexpectedContentType {
                endpoint: endpoint.to_owned(),
                expected: expect.media,
                got: media,
            });
        }
        let too_large = || BeaconError::BodyTooLarge {
            endpoint: endpoint.to_owned(),
            limit: expect.limit,
        };
        let length = parts
            .headers
            .get(CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok());
        if length.is_some_and(|n| n > expect.limit as u64) {
            return Err(too_large());
        }
        let body = read_limited(body, expect.limit, length)
            .await
            .map_err(|e| match e {
                ReadError::TooLarge => too_large(),
                ReadError::Body(reason) => transport(format!("reading the body: {reason}")),
            })?;
        Ok((parts.headers, body))
    }
}

fn missed_slot(e: BeaconError, id: BlockId) -> BeaconError {
    match (e, id) {
        (BeaconError::NotFound { endpoint, message }, BlockId::Slot(slot)) => {
            BeaconError::MissedSlot {
                slot,
                endpoint,
                message,
            }
        }
        (e, _) => e,
    }
}

enum ReadError {
    TooLarge,
    Body(String),
}

/// Streams `body` into a `Vec`, refusing more than `limit` bytes.
async fn read_limited(
    mut body: hyper::body::Incoming,
    limit: usize,
    length: Option<u64>,
) -> Result<Vec<u8>, ReadError> {
    let capacity = length.map_or(0, |n| usize::try_from(n).unwrap_or(limit).min(limit));
    let mut out = Vec::with_capacity(capacity);
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|e| ReadError::Body(error_chain(&e)))?;
        if let Ok(data) = frame.into_data() {
            if data.len() > limit - out.len() {
                return Err(ReadError::TooLarge);
            }
            out.extend_from_slice(&data);
        }
    }
    Ok(out)
}

/// `message` of a beacon-API error body, shortened.
fn error_message(body: &[u8]) -> Option<String> {
    #[derive(Deserialize)]
    struct ErrorBody {
        message: String,
    }
    let m = serde_json::from_slice::<ErrorBody>(body).ok()?.message;
    let mut short: String = m.chars().take(ERROR_MESSAGE_CHARS).collect();
    if short.len() < m.len() {
        short.push('…');
    }
    Some(short)
}

fn decode_json<T: serde::de::DeserializeOwned>(
    endpoint: &str,
    what: &'static str,
    body: &[u8],
) -> Result<T, BeaconError> {
    serde_json::from_slice(body).map_err(|e| BeaconError::Decode {
        endpoint: endpoint.to_owned(),
        what,
        reason: e.to_string(),
    })
}

fn consensus_version(endpoint: &str, headers: &HeaderMap) -> Result<ForkName, BeaconError> {
    let name = HeaderName::from_static(CONSENSUS_VERSION);
    let value: &HeaderValue =
        headers
            .get(&name)
            .ok_or_else(|| BeaconError::MissingConsensusVersion {
                endpoint: endpoint.to_owned(),
            })?;
    let text = String::from_utf8_lossy(value.as_bytes()).into_owned();
    ForkName::from_upper(text.trim()).ok_or(BeaconError::UnknownFork {
        endpoint: endpoint.to_owned(),
        fork: text,
    })
}

/// An error and its sources, one line.
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut source = e.source();
    while let Some(inner) = source {
        s.push_str(": ");
        s.push_str(&inner.to_string());
        source = inner.source();
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_parse_and_print_as_the_beacon_api_writes_them() {
        let root = format!("0x{}", "ab".repeat(32));
        for s in ["head", "genesis", "finalized", "0", "12345", root.as_str()] {
            assert_eq!(s.parse::<BlockId>().unwrap().to_string(), s);
            assert_eq!(s.parse::<StateId>().unwrap().to_string(), s);
        }
        assert_eq!("justified".parse::<StateId>(), Ok(StateId::Justified));
        assert!("justified".parse::<BlockId>().is_err());
        let bad = [
            "",
            "Head",
            "-1",
            "1.5",
            "18446744073709551616",
            "0x12",
            "ab".repeat(32).as_str(),
            "0x../../eth/v1/node",
            "1/../../x",
        ]
        .map(str::to_owned);
        for s in bad {
            assert!(s.parse::<BlockId>().is_err(), "{s:?}");
            assert!(s.parse::<StateId>().is_err(), "{s:?}");
        }
    }

    #[test]
    fn urls_are_plain_http() {
        assert_eq!(
            BeaconClient::new("http://127.0.0.1:5052/").unwrap().base,
            "http://127.0.0.1:5052"
        );
        assert_eq!(
            BeaconClient::new("http://node:5052/prefix/").unwrap().base,
            "http://node:5052/prefix"
        );
        for bad in [
            "https://node:5052",
            "ftp://node",
            "node:5052",
            "http://user:pw@node:5052",
            "http://node:5052/?x=1",
            "not a url",
        ] {
            assert!(
                matches!(BeaconClient::new(bad), Err(BeaconError::InvalidUrl { .. })),
                "{bad}"
            );
        }
    }

    #[test]
    fn error_messages_are_read_and_shortened() {
        assert_eq!(
            error_message(br#"{"code":404,"message":"NOT_FOUND: beacon block at slot 9"}"#),
            Some("NOT_FOUND: beacon block at slot 9".to_owned())
        );
        assert_eq!(error_message(b"<html>oops</html>"), None);
        let long = format!(r#"{{"message":"{}"}}"#, "x".repeat(5000));
        let m = error_message(long.as_bytes()).unwrap();
        assert_eq!(m.chars().count(), ERROR_MESSAGE_CHARS + 1);
    }

    #[test]
    fn headers_are_read_from_any_of_the_api_shapes() {
        let message = serde_json::json!({
            "slot": "7", "proposer_index": "3",
            "parent_root": format!("0x{}", "11".repeat(32)),
            "state_root": format!("0x{}", "22".repeat(32)),
            "body_root": format!("0x{}", "33".repeat(32)),
        });
        let whole = serde_json::json!({"data": {"root": "0x00", "canonical": true,
            "header": {"message": message.clone(), "signature": "0x"}}});
        let signed = serde_json::json!({"message": message.clone(), "signature": "0x"});
        for v in [&message, &whole, &signed] {
            let h = header_from_json(v.to_string().as_bytes()).unwrap();
            assert_eq!(h.slot, Slot::new(7));
            assert_eq!(h.body_root, B256::repeat_byte(0x33));
        }
        assert!(header_from_json(b"{}").is_err());
    }
}
