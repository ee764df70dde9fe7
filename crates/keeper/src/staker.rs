//! What a staker does with lsv after `lsv keys generate`: deposit the key's 32 ETH ([`deposit`]),
//! join the vault once the validator is in the beacon registry ([`wait_for_registry`],
//! [`join`]), and watch the position ([`position`]).
//!
//! Every check that can be made before money moves is made first: a deposit whose data root does
//! not recompute, whose credentials are not the vault's, whose amount is not 32 ETH or whose BLS
//! signature does not verify over the deposit domain would be lost (the deposit contract takes
//! the ETH, the consensus layer drops the deposit or makes a validator the vault never accepts),
//! so [`check_deposit`] refuses it before anything is sent.

use crate::beacon::{BeaconClient, BeaconError, BlockId, StateId, StateValidator};
use crate::eth::{Eth, EthError, Sent};
use crate::prove::{self, ProveError, VerifierConfig};
use alloy::primitives::{keccak256, Address, Bytes, B256, U256};
use lsv_attestation::multi::GroupEvidence;
use lsv_attestation::{Evidence, KeyGenerationClaim};
use lsv_consensus::containers::DepositData;
use lsv_consensus::network::{compute_domain, compute_signing_root, domain, FAR_FUTURE_EPOCH};
use lsv_consensus::{Gwei, Network, PresetName, PublicKeyBytes, SignatureBytes, Version, BLS_DST};
use lsv_contracts::bindings::{DepositContract, Positions, Vault};
use lsv_proofs::ProofParts;
use serde::{Deserialize, Serialize};
use std::path::Path;
use std::time::{Duration, Instant};
use tree_hash::TreeHash;

/// One gwei in wei.
const GWEI: u64 = 1_000_000_000;

/// What every lsv deposit is: 32 ETH in gwei. P signs no other amount (DESIGN.md, "Policy
/// beyond slashing"), and `join` needs a proven balance of at least 32 ETH (IVault.join).
pub const DEPOSIT_AMOUNT_GWEI: u64 = 32_000_000_000;

/// Electra's `MIN_PER_EPOCH_CHURN_LIMIT_ELECTRA` on mainnet (128 ETH, electra/beacon-chain.md
/// "Validator cycle"): the least `process_pending_deposits` takes from the deposit queue per
/// epoch (`get_activation_exit_churn_limit`), so the slowest pace an ETA assumes when the node
/// does not say its own.
const MIN_CHURN_GWEI: u64 = 128_000_000_000;

/// How far back [`find_deposit_slot`] looks for the deposit by default: 100,000 blocks, two
/// weeks of mainnet's 12-second blocks, longer than a deposit waits in all but the worst queues.
pub const DEPOSIT_SEARCH_BLOCKS: u64 = 100_000;

/// Blocks per `eth_getLogs` request: many providers refuse wider ranges.
const LOG_CHUNK_BLOCKS: u64 = 10_000;

/// Electra's `MAX_PENDING_DEPOSITS_PER_EPOCH` (electra/beacon-chain.md "Withdrawals
/// processing"): the most queued deposits one epoch processes.
const MAX_PENDING_DEPOSITS_PER_EPOCH: u64 = 16;

/// What went wrong.
#[derive(Debug, thiserror::Error)]
pub enum StakerError {
    /// An input file or field is wrong; the message names which and why.
    #[error("{0}")]
    Input(String),
    /// A check made before sending refused: nothing was sent.
    #[error("refused before sending: {0}")]
    Refused(String),
    /// The execution node.
    #[error(transparent)]
    Eth(#[from] EthError),
    /// The beacon node.
    #[error("beacon node: {0}")]
    Beacon(#[from] BeaconError),
    /// The proof could not be built.
    #[error("proof: {0}")]
    Prove(#[from] ProveError),
    /// P (its HTTP API).
    #[error("P: {0}")]
    Signer(String),
    /// A wait ran out of time.
    #[error("{0}")]
    Timeout(String),
}

fn input(message: impl Into<String>) -> StakerError {
    StakerError::Input(message.into())
}

// ---- deposit ------------------------------------------------------------------------------------

/// One entry of a launchpad `deposit_data-*.json` (what `lsv keys generate` and
/// `staking-deposit-cli` write): hex with or without `0x`.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq, Eq)]
pub struct DepositEntry {
    /// The validator's key.
    pub pubkey: String,
    /// Its withdrawal credentials.
    pub withdrawal_credentials: String,
    /// The amount in gwei.
    pub amount: u64,
    /// The deposit signature.
    pub signature: String,
    /// `hash_tree_root(DepositMessage)`, if given.
    #[serde(default)]
    pub deposit_message_root: Option<String>,
    /// `hash_tree_root(DepositData)`, what the deposit contract checks.
    pub deposit_data_root: String,
    /// The genesis fork version the signature is over.
    pub fork_version: String,
    /// The network's name (`network_name` as lsv writes it, `eth2_network_name` as
    /// `staking-deposit-cli` does).
    #[serde(default, alias = "eth2_network_name")]
    pub network_name: Option<String>,
}

/// The entries of a deposit-data file: a JSON array of [`DepositEntry`] (or one object).
pub fn read_deposit_file(path: &Path) -> Result<Vec<DepositEntry>, StakerError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| input(format!("cannot read {}: {e}", path.display())))?;
    let value: serde_json::Value = serde_json::from_str(&text)
        .map_err(|e| input(format!("{} is not JSON: {e}", path.display())))?;
    let items = match value {
        serde_json::Value::Array(items) => items,
        object @ serde_json::Value::Object(_) => vec![object],
        _ => {
            return Err(input(format!(
                "{} is not deposit data (a JSON array of deposits)",
                path.display()
            )))
        }
    };
    items
        .into_iter()
        .enumerate()
        .map(|(i, item)| {
            serde_json::from_value(item).map_err(|e| {
                input(format!(
                    "{}: entry {i} is not a deposit: {e}",
                    path.display()
                ))
            })
        })
        .collect()
}

/// The entry to deposit: the one at `index`, the one for `pubkey`, or the only one.
pub fn select_deposit(
    entries: Vec<DepositEntry>,
    index: Option<usize>,
    pubkey: Option<&PublicKeyBytes>,
    file: &Path,
) -> Result<DepositEntry, StakerError> {
    let n = entries.len();
    match (index, pubkey) {
        (Some(i), _) => entries.into_iter().nth(i).ok_or_else(|| {
            input(format!(
                "{} has {n} deposit(s): no index {i}",
                file.display()
            ))
        }),
        (None, Some(pk)) => entries
            .into_iter()
            .find(|e| PublicKeyBytes::from_hex(&e.pubkey).is_ok_and(|p| &p == pk))
            .ok_or_else(|| input(format!("{} has no deposit for {pk}", file.display()))),
        (None, None) if n == 1 => Ok(entries.into_iter().next().expect("one entry")),
        (None, None) => Err(input(format!(
            "{} has {n} deposits: say which with --index or --pubkey",
            file.display()
        ))),
    }
}

/// A deposit that passed every check: what the deposit contract is called with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CheckedDeposit {
    /// The deposit.
    pub data: DepositData,
    /// `hash_tree_root(data)`.
    pub root: B256,
}

/// Checks `entry` for `network` and a vault whose credentials are `credentials`, as the deposit
/// contract and the consensus layer will, and as `join` will later: the data root recomputes,
/// the amount is 32 ETH, the credentials are the vault's, the fork version is the network's
/// genesis fork version, and the BLS signature verifies over the deposit domain
/// (phase0/beacon-chain.md `is_valid_deposit_signature` in Electra: `compute_domain(DOMAIN_DEPOSIT,
/// GENESIS_FORK_VERSION, ZERO)`, fork-agnostic so that a deposit stays valid across forks).
pub fn check_deposit(
    entry: &DepositEntry,
    network: &Network,
    credentials: B256,
) -> Result<CheckedDeposit, StakerError> {
    let field = |name: &str, e: &dyn std::fmt::Display| input(format!("{name}: {e}"));
    let pubkey = PublicKeyBytes::from_hex(&entry.pubkey).map_err(|e| field("pubkey", &e))?;
    let withdrawal_credentials = parse_b256(&entry.withdrawal_credentials)
        .map_err(|e| field("withdrawal_credentials", &e))?;
    let signature =
        SignatureBytes::from_hex(&entry.signature).map_err(|e| field("signature", &e))?;
    let stated_root =
        parse_b256(&entry.deposit_data_root).map_err(|e| field("deposit_data_root", &e))?;
    let fork_version =
        Version::from_hex(&entry.fork_version).map_err(|e| field("fork_version", &e))?;
    if fork_version != network.genesis_fork_version {
        return Err(StakerError::Refused(format!(
            "fork_version {fork_version} is not {}'s genesis fork version {}: the deposit was \
             signed for another network",
            network.name, network.genesis_fork_version
        )));
    }
    if let Some(name) = &entry.network_name {
        if name != &network.name {
            return Err(StakerError::Refused(format!(
                "network_name {name:?} is not {:?}",
                network.name
            )));
        }
    }
    if entry.amount != DEPOSIT_AMOUNT_GWEI {
        return Err(StakerError::Refused(format!(
            "amount is {} gwei, not 32 ETH ({DEPOSIT_AMOUNT_GWEI} gwei): the vault lends only \
             against 32-ETH validators",
            entry.amount
        )));
    }
    if withdrawal_credentials != credentials {
        return Err(StakerError::Refused(format!(
            "withdrawal_credentials {withdrawal_credentials} are not the vault's {credentials}: \
             the validator's ETH would go elsewhere and it could never join"
        )));
    }
    let data = DepositData {
        pubkey,
        withdrawal_credentials,
        amount: Gwei(entry.amount),
        signature,
    };
    if let Some(stated) = &entry.deposit_message_root {
        let stated = parse_b256(stated).map_err(|e| field("deposit_message_root", &e))?;
        let computed = data.message().tree_hash_root();
        if stated != computed {
            return Err(StakerError::Refused(format!(
                "deposit_message_root {stated} is not hash_tree_root(DepositMessage) {computed}"
            )));
        }
    }
    let root = data.tree_hash_root();
    if root != stated_root {
        return Err(StakerError::Refused(format!(
            "deposit_data_root {stated_root} is not hash_tree_root(DepositData) {root}: the \
             deposit contract would refuse it"
        )));
    }
    let deposit_domain = compute_domain(domain::DEPOSIT, fork_version, B256::ZERO);
    let signing_root = compute_signing_root(data.message().tree_hash_root(), deposit_domain);
    verify_bls(&pubkey, &signature, signing_root)?;
    Ok(CheckedDeposit { data, root })
}

fn parse_b256(s: &str) -> Result<B256, String> {
    let raw = s.strip_prefix("0x").unwrap_or(s);
    let mut out = [0u8; 32];
    alloy::primitives::hex::decode_to_slice(raw, &mut out)
        .map_err(|_| format!("expected 32 bytes of hex, got {s:?}"))?;
    Ok(B256::from(out))
}

/// The BLS signature check the consensus layer makes (`bls.Verify`, the proof-of-possession
/// ciphersuite, phase0/beacon-chain.md "BLS signatures"); the key is checked to be a valid
/// point in the subgroup first, as `KeyValidate` does.
fn verify_bls(
    pubkey: &PublicKeyBytes,
    signature: &SignatureBytes,
    message: B256,
) -> Result<(), StakerError> {
    use blst::min_pk::{PublicKey, Signature};
    let pk = PublicKey::key_validate(&pubkey.0).map_err(|e| {
        StakerError::Refused(format!("pubkey {pubkey} is not a valid BLS key ({e:?})"))
    })?;
    let sig = Signature::sig_validate(&signature.0, true).map_err(|e| {
        StakerError::Refused(format!(
            "the signature is not a valid BLS signature ({e:?})"
        ))
    })?;
    match sig.verify(true, message.as_slice(), BLS_DST, &[], &pk, true) {
        blst::BLST_ERROR::BLST_SUCCESS => Ok(()),
        e => Err(StakerError::Refused(format!(
            "the deposit signature does not verify for {pubkey} over the deposit domain ({e:?}): \
             the consensus layer would drop the deposit and keep the ETH"
        ))),
    }
}

/// The vault's `WITHDRAWAL_CREDENTIALS()`, after checking there is code at `vault`.
pub async fn vault_credentials(eth: &Eth, vault: Address) -> Result<B256, StakerError> {
    if eth.code(vault).await?.is_empty() {
        return Err(input(format!(
            "no contract at {vault} on this chain: is it the vault's address?"
        )));
    }
    Ok(eth
        .view("Vault", vault, &Vault::WITHDRAWAL_CREDENTIALSCall {})
        .await?)
}

/// Why a key must not be deposited again, if the beacon node knows of a deposit for it: a
/// second 32 ETH would only top up the same validator.
pub async fn already_deposited(
    beacon: &BeaconClient,
    pubkey: &PublicKeyBytes,
) -> Result<Option<String>, StakerError> {
    if let Some(v) = beacon.validator(StateId::Head, &pubkey.to_hex()).await? {
        return Ok(Some(format!(
            "{pubkey} is validator {} ({}) already",
            v.index, v.status
        )));
    }
    match beacon.pending_deposits(StateId::Head).await {
        Ok(pending) => Ok(pending.iter().find(|d| &d.pubkey == pubkey).map(|d| {
            format!(
                "a deposit of {} gwei for {pubkey} (slot {}) waits in the deposit queue",
                d.amount, d.slot
            )
        })),
        // Not every node serves the queue: the registry check above is what is known.
        Err(e) if e.is_not_found() => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// Sends `deposit` (32 ETH) to `network`'s deposit contract from `eth`'s key, after checking
/// the node is on `network`'s chain.
pub async fn deposit(
    eth: &Eth,
    network: &Network,
    deposit: &CheckedDeposit,
) -> Result<Sent, StakerError> {
    let chain_id = eth.chain_id().await?;
    if chain_id != network.chain_id {
        return Err(StakerError::Refused(format!(
            "the node is on chain {chain_id}, {} is chain {}",
            network.name, network.chain_id
        )));
    }
    if eth.code(network.deposit_contract).await?.is_empty() {
        return Err(StakerError::Refused(format!(
            "no deposit contract at {} (DEPOSIT_CONTRACT_ADDRESS of {})",
            network.deposit_contract, network.name
        )));
    }
    let d = &deposit.data;
    let call = DepositContract::depositCall {
        pubkey: Bytes::copy_from_slice(&d.pubkey.0),
        withdrawal_credentials: Bytes::copy_from_slice(d.withdrawal_credentials.as_slice()),
        signature: Bytes::copy_from_slice(&d.signature.0),
        deposit_data_root: deposit.root,
    };
    let value = U256::from(d.amount.as_u64()) * U256::from(GWEI);
    Ok(eth
        .send("DepositContract", network.deposit_contract, &call, value)
        .await?)
}

// ---- join ---------------------------------------------------------------------------------------

/// The evidence for `pubkey` in `text`: an evidence object (what `lsv keys generate` writes in
/// `attestation.json`, one per key, in an array), P's `GET /eth/v1/lsv/keys/{pubkey}/attestation`
/// answer (`{"data": {..., "attestation": {...}}}`) or its `POST /eth/v1/lsv/keys` answer.
pub fn evidence_from_json(
    text: &str,
    pubkey: &PublicKeyBytes,
    source: &str,
) -> Result<Evidence, StakerError> {
    let value: serde_json::Value =
        serde_json::from_str(text).map_err(|e| input(format!("{source} is not JSON: {e}")))?;
    let mut candidates = Vec::new();
    let mut notes = Vec::new();
    collect_evidence(&value, &mut candidates, &mut notes);
    if candidates.is_empty() {
        return Err(input(match notes.first() {
            // P holds the key but recorded no evidence with it, and says why.
            Some(note) => format!("{source} has no evidence for the key: {note}"),
            None => format!(
                "{source} holds no key-generation evidence (expected attestation.json from `lsv \
                 keys generate`, or P's /eth/v1/lsv/keys/{{pubkey}}/attestation answer)"
            ),
        }));
    }
    let mut last_error = None;
    for candidate in candidates {
        match serde_json::from_value::<Evidence>(candidate.clone()) {
            Ok(e) if &e.claim().pubkey == pubkey => return Ok(e),
            Ok(_) => {}
            Err(e) => last_error = Some(e),
        }
    }
    Err(input(match last_error {
        Some(e) => format!("{source}: no valid evidence for {pubkey} ({e})"),
        None => format!("{source} has no evidence for {pubkey}"),
    }))
}

/// Every valid piece of evidence in `text` (any of the forms [`evidence_from_json`] reads), for
/// whichever keys; `source` names the text in the error when it is not JSON.
pub fn all_evidence_in_json(text: &str, source: &str) -> Result<Vec<Evidence>, StakerError> {
    let value: serde_json::Value =
        serde_json::from_str(text).map_err(|e| input(format!("{source} is not JSON: {e}")))?;
    let mut candidates = Vec::new();
    collect_evidence(&value, &mut candidates, &mut Vec::new());
    Ok(candidates
        .into_iter()
        .filter_map(|c| serde_json::from_value::<Evidence>(c).ok())
        .collect())
}

/// Every object in `value` that looks like evidence (it has a `claim`), and the `message` of
/// any answer whose `attestation` is null.
fn collect_evidence(
    value: &serde_json::Value,
    out: &mut Vec<serde_json::Value>,
    notes: &mut Vec<String>,
) {
    match value {
        serde_json::Value::Array(items) => {
            items.iter().for_each(|i| collect_evidence(i, out, notes))
        }
        serde_json::Value::Object(map) if map.contains_key("claim") => out.push(value.clone()),
        serde_json::Value::Object(map) => {
            for key in ["data", "attestation"] {
                if let Some(inner) = map.get(key) {
                    collect_evidence(inner, out, notes);
                }
            }
            if map.get("attestation").is_some_and(|a| a.is_null()) {
                if let Some(m) = map.get("message").and_then(|m| m.as_str()) {
                    notes.push(m.to_owned());
                }
            }
        }
        _ => {}
    }
}

/// The evidence P recorded for `pubkey`: `GET {p_url}/eth/v1/lsv/keys/{pubkey}/attestation`.
pub async fn fetch_evidence(p_url: &str, pubkey: &PublicKeyBytes) -> Result<Evidence, StakerError> {
    let url = format!(
        "{}/eth/v1/lsv/keys/{pubkey}/attestation",
        p_url.trim_end_matches('/')
    );
    let client = alloy::transports::http::reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .map_err(|e| StakerError::Signer(e.to_string()))?;
    let response = client
        .get(&url)
        .send()
        .await
        .map_err(|e| StakerError::Signer(format!("GET {url}: {e}")))?;
    let status = response.status();
    let text = response
        .text()
        .await
        .map_err(|e| StakerError::Signer(format!("GET {url}: {e}")))?;
    if !status.is_success() {
        return Err(StakerError::Signer(format!(
            "GET {url}: HTTP {status}: {text}"
        )));
    }
    evidence_from_json(&text, pubkey, &url)
}

/// What the wait for the registry has seen so far.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WaitStatus {
    /// How long it has waited.
    pub waited: Duration,
    /// The node's head slot.
    pub head_slot: u64,
    /// The finalized epoch.
    pub finalized_epoch: u64,
    /// The deposit in the queue, if the node serves the queue and has it: its slot, how many
    /// deposits and how much gwei are ahead of it.
    pub queued: Option<(u64, u64, u64)>,
    /// The estimated time until the validator is in the registry, when it can be estimated.
    pub eta: Option<Duration>,
}

impl std::fmt::Display for WaitStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "not in the registry yet (head slot {}, finalized epoch {}, waited {} s)",
            self.head_slot,
            self.finalized_epoch,
            self.waited.as_secs()
        )?;
        if let Some((slot, ahead, ahead_gwei)) = self.queued {
            write!(
                f,
                "; deposit queued at slot {slot}, {ahead} deposit(s) ({} ETH) ahead",
                ahead_gwei / GWEI
            )?;
        }
        match (self.eta, self.queued) {
            (Some(eta), Some(_)) => write!(f, "; ETA ~{}", human(eta)),
            (Some(eta), None) => write!(
                f,
                "; ETA ~{} at the earliest (the node does not serve the deposit queue, so what \
                 is ahead of it is not counted)",
                human(eta)
            ),
            (None, _) => write!(
                f,
                "; a deposit enters the registry once its block is finalized (about 2-3 epochs \
                 after inclusion while the chain finalizes), later when the queue is long"
            ),
        }
    }
}

/// `d` as a person reads a wait: seconds, minutes, hours or days.
/// A duration as people read a wait: seconds, minutes, hours or days.
pub fn human(d: Duration) -> String {
    let s = d.as_secs();
    match s {
        0..=119 => format!("{s} s"),
        120..=7199 => format!("{} min", s / 60),
        7200..=172_799 => format!("{:.1} h", s as f64 / 3600.0),
        _ => format!("{:.1} days", s as f64 / 86_400.0),
    }
}

/// The validator with key `pubkey` as a joinable anchor holds it: the anchor block (whose child
/// exists, so EIP-4788 has its root) and the entry in its post-state.
#[derive(Clone, Debug)]
pub struct RegistryEntry {
    /// The anchor block's root.
    pub anchor_root: B256,
    /// The anchor block's slot.
    pub anchor_slot: u64,
    /// The validator in the anchor's post-state.
    pub validator: StateValidator,
}

/// Waits until the validator with key `pubkey` is in the registry of a block whose child
/// exists (the head's parent: its root reaches EIP-4788 with the head's payload), polling once a
/// slot; `progress` hears how the wait goes, `deadline` ends it (none: wait as long as it takes).
///
/// `deposit_slot` is the slot of the block that carried the deposit, if known
/// ([`find_deposit_slot`]): with it the ETA needs no deposit-queue route on the node.
pub async fn wait_for_registry(
    beacon: &BeaconClient,
    network: &Network,
    pubkey: &PublicKeyBytes,
    deposit_slot: Option<u64>,
    deadline: Option<Instant>,
    mut progress: impl FnMut(&WaitStatus),
) -> Result<RegistryEntry, StakerError> {
    let started = Instant::now();
    let churn = Churn::of_node(beacon).await;
    let id = pubkey.to_hex();
    let slot_time = Duration::from_secs(network.seconds_per_slot.max(1));
    let mut head_slot = 0;
    let mut failures = 0u32;
    loop {
        match registry_entry(beacon, &id).await {
            Ok((_, Some(entry))) => return Ok(entry),
            Ok((slot, None)) => {
                head_slot = slot;
                failures = 0;
            }
            // A wait can last weeks: a node restarting or a network blip must not end it, but a
            // node that stays unreachable for MAX_FAILURES slots in a row does.
            Err(e) if is_transient(&e) && failures < MAX_FAILURES => {
                failures += 1;
                tracing::warn!(error = %e, failures, "the beacon node failed; trying again next slot");
            }
            Err(e) => return Err(e.into()),
        }
        let status = wait_status(
            beacon,
            network,
            pubkey,
            &churn,
            deposit_slot,
            started,
            head_slot,
        )
        .await?;
        if deadline.is_some_and(|d| Instant::now() + slot_time > d) {
            return Err(StakerError::Timeout(format!(
                "timed out after {} s: {pubkey} is {status}. Was it deposited (lsv deposit) on \
                 this network, and is the beacon node synced?",
                started.elapsed().as_secs()
            )));
        }
        progress(&status);
        tokio::time::sleep(slot_time).await;
    }
}

/// How many slots in a row the beacon node may fail during a wait before the wait gives up.
const MAX_FAILURES: u32 = 50;

/// Failures that may pass: the connection, a timeout, a node answering 5xx.
fn is_transient(e: &BeaconError) -> bool {
    matches!(
        e,
        BeaconError::Transport { .. } | BeaconError::Timeout { .. }
    ) || matches!(e, BeaconError::Status { status, .. } if *status >= 500)
}

/// The head's slot, and the validator `id` in the post-state of the head's parent (the newest
/// block whose root EIP-4788 already holds) if it is there.
async fn registry_entry(
    beacon: &BeaconClient,
    id: &str,
) -> Result<(u64, Option<RegistryEntry>), BeaconError> {
    let head = beacon.header(BlockId::Head).await?;
    let head_slot = head.header.slot.as_u64();
    if head_slot == 0 {
        return Ok((0, None));
    }
    let parent = beacon
        .header(BlockId::Root(head.header.parent_root))
        .await?;
    let entry = beacon
        .validator(StateId::Root(parent.header.state_root), id)
        .await?
        .map(|validator| RegistryEntry {
            anchor_root: parent.root,
            anchor_slot: parent.header.slot.as_u64(),
            validator,
        });
    Ok((head_slot, entry))
}

/// How fast the deposit queue drains: the node's churn parameters (`GET /eth/v1/config/spec`),
/// mainnet's where it does not say.
#[derive(Clone, Copy, Debug)]
struct Churn {
    /// `MIN_PER_EPOCH_CHURN_LIMIT_ELECTRA`, gwei: the pace assumed (the total active balance,
    /// which can only raise it, is not read: the churn's part of the ETA is an upper bound).
    min_gwei: u64,
    /// `MAX_PENDING_DEPOSITS_PER_EPOCH`.
    max_deposits: u64,
}

impl Churn {
    async fn of_node(beacon: &BeaconClient) -> Self {
        let spec = beacon.spec().await.unwrap_or_default();
        let get = |name: &str, default: u64| {
            spec.get(name)
                .and_then(|v| v.as_str())
                .and_then(|v| v.parse::<u64>().ok())
                .filter(|&v| v > 0)
                .unwrap_or(default)
        };
        Self {
            min_gwei: get("MIN_PER_EPOCH_CHURN_LIMIT_ELECTRA", MIN_CHURN_GWEI),
            max_deposits: get(
                "MAX_PENDING_DEPOSITS_PER_EPOCH",
                MAX_PENDING_DEPOSITS_PER_EPOCH,
            ),
        }
    }
}

async fn wait_status(
    beacon: &BeaconClient,
    network: &Network,
    pubkey: &PublicKeyBytes,
    churn: &Churn,
    deposit_slot: Option<u64>,
    started: Instant,
    head_slot: u64,
) -> Result<WaitStatus, StakerError> {
    let spe = network.slots_per_epoch.max(1);
    let finalized_epoch = match beacon.header(BlockId::Finalized).await {
        Ok(f) => f.header.slot.as_u64() / spe,
        Err(_) => 0,
    };
    let queued = match beacon.pending_deposits(StateId::Head).await {
        Ok(queue) => queue.iter().position(|d| &d.pubkey == pubkey).map(|at| {
            let ahead = &queue[..at];
            (
                queue[at].slot,
                ahead.len() as u64,
                ahead.iter().map(|d| d.amount).sum::<u64>(),
            )
        }),
        Err(_) => None,
    };
    // Without the node's queue, what is ahead is unknown: the ETA is then the earliest.
    let known = queued.or(deposit_slot.map(|slot| (slot, 0, 0)));
    let eta = known.map(|(slot, ahead, ahead_gwei)| {
        let lag = (head_slot / spe)
            .saturating_sub(1)
            .saturating_sub(finalized_epoch);
        let epoch = registry_epoch(slot, ahead, ahead_gwei, head_slot / spe, lag, spe, churn);
        // The entry is in the post-state of the epoch's first block, which anchors a proof
        // once the next block names it as parent.
        let ready_slot = epoch * spe + 1;
        Duration::from_secs(ready_slot.saturating_sub(head_slot) * network.seconds_per_slot)
    });
    Ok(WaitStatus {
        waited: started.elapsed(),
        head_slot,
        finalized_epoch,
        queued,
        eta,
    })
}

/// The first epoch whose state holds the validator of a deposit carried at `slot`, with
/// `ahead` deposits of `ahead_gwei` before it in the queue, on a chain that finalizes as usual.
///
/// `process_pending_deposits` (electra/beacon-chain.md) stops at the first deposit whose slot
/// is after the finalized checkpoint's start slot; it runs after
/// `process_justification_and_finalization` in the same epoch transition, which at the end of
/// epoch `e` finalizes `e - 1`. So the deposit can be taken at the end of epoch
/// `ceil(slot / SLOTS_PER_EPOCH) + 1` at the earliest, `lag` epochs later while finality lags
/// by that much behind (`current - 1 - finalized`, 0 on a healthy chain; a young chain
/// finalizes nothing before its third epoch), and then only once the churn
/// (`get_activation_exit_churn_limit`: at least `MIN_PER_EPOCH_CHURN_LIMIT_ELECTRA` an epoch,
/// and at most `MAX_PENDING_DEPOSITS_PER_EPOCH` deposits) has taken what is ahead and itself.
fn registry_epoch(
    slot: u64,
    ahead: u64,
    ahead_gwei: u64,
    current_epoch: u64,
    lag: u64,
    slots_per_epoch: u64,
    churn: &Churn,
) -> u64 {
    let first = (slot.div_ceil(slots_per_epoch) + 1 + lag).max(current_epoch);
    let by_amount = (ahead_gwei + DEPOSIT_AMOUNT_GWEI).div_ceil(churn.min_gwei.max(1));
    let by_count = (ahead + 1).div_ceil(churn.max_deposits.max(1));
    let processed_at_end_of = first + by_amount.max(by_count).saturating_sub(1);
    processed_at_end_of + 1
}

/// The slot of the beacon block that carried the deposit of `pubkey`: the execution block of
/// its newest `DepositEvent` among the deposit contract's logs of the last `max_blocks` blocks
/// (EIP-6110 puts a deposit into the beacon block of the same payload), its slot from the
/// block's timestamp. `None` if there is none.
pub async fn find_deposit_slot(
    eth: &Eth,
    network: &Network,
    pubkey: &PublicKeyBytes,
    max_blocks: u64,
) -> Result<Option<u64>, StakerError> {
    use alloy::providers::Provider;
    use alloy::rpc::types::Filter;
    use alloy_sol_types::SolEvent;
    let rpc = |e: alloy::transports::RpcError<alloy::transports::TransportErrorKind>| {
        StakerError::Eth(EthError::Rpc(e.to_string()))
    };
    let latest = eth.block_number().await?;
    let oldest = latest.saturating_sub(max_blocks);
    let mut to = latest;
    loop {
        let from = to.saturating_sub(LOG_CHUNK_BLOCKS - 1).max(oldest);
        let filter = Filter::new()
            .address(network.deposit_contract)
            .event_signature(DepositContract::DepositEvent::SIGNATURE_HASH)
            .from_block(from)
            .to_block(to);
        let logs = eth.provider().get_logs(&filter).await.map_err(rpc)?;
        let found = logs.iter().rev().find_map(|log| {
            let event = log.log_decode::<DepositContract::DepositEvent>().ok()?;
            if event.inner.data.pubkey.as_ref() == pubkey.0.as_slice() {
                log.block_number
            } else {
                None
            }
        });
        if let Some(number) = found {
            let time = eth.block_timestamp(number).await?;
            return Ok(Some(
                time.saturating_sub(network.genesis_time) / network.seconds_per_slot.max(1),
            ));
        }
        if from <= oldest {
            return Ok(None);
        }
        to = from - 1;
    }
}

/// The keys of the deposits in blocks `from..=to` whose withdrawal credentials are
/// `credentials`, in the order they were made, each once: read from the deposit contract's
/// `DepositEvent` logs, so an execution node alone answers. With the vault's credentials, these
/// are the only validators that can have joined it (`join` proves them).
pub async fn deposited_keys(
    eth: &Eth,
    deposit_contract: Address,
    credentials: B256,
    from: u64,
    to: u64,
) -> Result<Vec<PublicKeyBytes>, EthError> {
    use alloy::providers::Provider;
    use alloy::rpc::types::Filter;
    use alloy_sol_types::SolEvent;
    let mut keys: Vec<PublicKeyBytes> = Vec::new();
    let mut start = from;
    while start <= to {
        let end = start.saturating_add(LOG_CHUNK_BLOCKS - 1).min(to);
        let filter = Filter::new()
            .address(deposit_contract)
            .event_signature(DepositContract::DepositEvent::SIGNATURE_HASH)
            .from_block(start)
            .to_block(end);
        let logs = eth
            .provider()
            .get_logs(&filter)
            .await
            .map_err(|e| EthError::Rpc(format!("eth_getLogs: {e}")))?;
        for log in logs {
            let Ok(event) = log.log_decode::<DepositContract::DepositEvent>() else {
                continue;
            };
            let event = event.inner.data;
            if event.withdrawal_credentials.as_ref() != credentials.as_slice() {
                continue;
            }
            let Ok(key) = <[u8; 48]>::try_from(event.pubkey.as_ref()) else {
                continue;
            };
            let key = PublicKeyBytes(key);
            if !keys.contains(&key) {
                keys.push(key);
            }
        }
        start = end + 1;
    }
    Ok(keys)
}

/// A join that went through.
#[derive(Clone, Debug, Serialize)]
pub struct Joined {
    /// The new position's id (its ERC-721 token id).
    #[serde(serialize_with = "decimal")]
    pub position_id: U256,
    /// Who received the position and the sETH (the attestation's owner).
    pub owner: Address,
    /// The validator's registry index.
    pub validator_index: u64,
    /// The proven balance, in gwei.
    pub balance_gwei: u64,
    /// The proof's anchor slot.
    pub anchor_slot: u64,
    /// The EIP-4788 timestamp passed.
    pub timestamp: u64,
    /// The transaction.
    pub tx: B256,
    /// Its block.
    pub block_number: u64,
}

/// Checks that `evidence` can join `vault` for its key (not joined yet, the binding the vault
/// computes is the evidence's: same credentials, chain, network and policy), before any wait.
pub async fn check_joinable(
    eth: &Eth,
    vault: Address,
    claim: &KeyGenerationClaim,
) -> Result<(), StakerError> {
    let pubkey = claim.pubkey;
    let credentials = vault_credentials(eth, vault).await?;
    if claim.withdrawal_credentials != credentials {
        return Err(StakerError::Refused(format!(
            "the attestation binds credentials {}, the vault's are {credentials}: the key was \
             made for another vault",
            claim.withdrawal_credentials
        )));
    }
    let id = eth
        .view(
            "Vault",
            vault,
            &Vault::positionIdOfCall {
                pubkeyHash: keccak256(pubkey.0),
            },
        )
        .await?;
    if !id.is_zero() {
        return Err(StakerError::Refused(format!(
            "{pubkey} joined already, as position {id}"
        )));
    }
    let binding = eth
        .view(
            "Vault",
            vault,
            &Vault::keyGenerationBindingCall {
                pubkey: Bytes::copy_from_slice(&pubkey.0),
                owner: claim.owner,
            },
        )
        .await?;
    if binding != claim.binding() {
        return Err(StakerError::Refused(format!(
            "the vault's binding for {pubkey} and owner {} is {binding}, the attestation's is {}: \
             it was made for another chain, network or signing policy",
            claim.owner,
            claim.binding()
        )));
    }
    Ok(())
}

/// Key-generation evidence as `join` takes it: the claim the vault recomputes the binding of,
/// and the bytes it passes to its attestation verifier.
#[derive(Clone, Debug)]
pub struct JoinEvidence {
    /// What the evidence claims: key, credentials, owner, chain, network, policy.
    pub claim: KeyGenerationClaim,
    /// Which backend made it (`dev`, `sgx-dcap`, `tdx-dcap`, or `group of n` for a key held
    /// as shares), for messages.
    pub kind: String,
    /// The `evidence` argument of `join`.
    pub contract_bytes: Bytes,
}

impl JoinEvidence {
    /// Single-key evidence: a dev signature as it is; a DCAP quote (SGX or TDX) re-packed with
    /// its collateral (`collateral_json`, dcap-qvl's `QuoteCollateralV3` layout, what a PCCS or
    /// Intel's PCS gives) as the on-chain verifiers read it (`lsv_contracts::dcap`): C checks
    /// the quote back to Intel's root key with that collateral, so it must be current at the
    /// block that includes the join.
    pub fn single(evidence: &Evidence, collateral_json: Option<&str>) -> Result<Self, StakerError> {
        let backend = evidence.backend();
        let contract_bytes = match (backend.is_dcap(), collateral_json) {
            (false, None) => Bytes::copy_from_slice(evidence.evidence_bytes()),
            (false, Some(_)) => {
                return Err(input(format!(
                    "{backend} evidence takes no collateral: only DCAP quotes do"
                )))
            }
            (true, None) => {
                return Err(input(format!(
                    "{backend} evidence is a DCAP quote: C verifies it with its collateral, give \
                     --collateral FILE (dcap-qvl's QuoteCollateralV3 JSON, from a PCCS or \
                     Intel's PCS)"
                )))
            }
            (true, Some(json)) => {
                let collateral: lsv_contracts::dcap::QuoteCollateral = serde_json::from_str(json)
                    .map_err(|e| {
                    input(format!("the collateral is not QuoteCollateralV3 JSON: {e}"))
                })?;
                lsv_contracts::dcap::encode_evidence(evidence.evidence_bytes(), &collateral)
                    .map_err(|e| input(format!("the quote and its collateral: {e}")))?
            }
        };
        Ok(Self {
            claim: *evidence.claim(),
            kind: backend.to_string(),
            contract_bytes,
        })
    }

    /// The evidence of a key held as shares by several devices (`lsv cluster keygen`'s
    /// `evidence-<key>.json`), in the layout `GroupAttestationVerifier` takes. Each hardware
    /// device's quote is packed with its collateral for `DcapDeviceVerifier`: `collateral_json`
    /// holds one entry per hardware device, in device order (dev devices take none).
    pub fn group(group: &GroupEvidence, collateral_json: &[String]) -> Result<Self, StakerError> {
        let first = group
            .devices
            .first()
            .ok_or_else(|| input("the group evidence names no device"))?;
        let hardware = group.devices.iter().filter(|d| d.backend.is_dcap()).count();
        if collateral_json.len() != hardware {
            return Err(input(format!(
                "the group has {hardware} hardware devices and {} collateral files were given: \
                 give one --collateral per hardware device, in device order",
                collateral_json.len()
            )));
        }
        // The hardware devices in index order, each with its collateral.
        let mut indices: Vec<u8> = group
            .devices
            .iter()
            .filter(|d| d.backend.is_dcap())
            .map(|d| d.claim.index)
            .collect();
        indices.sort_unstable();
        let collateral_of: std::collections::HashMap<u8, &String> =
            indices.into_iter().zip(collateral_json).collect();
        let contract_bytes = group
            .contract_evidence_with(|device| {
                if !device.backend.is_dcap() {
                    return Ok(device.evidence.to_vec());
                }
                let json = collateral_of
                    .get(&device.claim.index)
                    .ok_or("a device index appears twice")?;
                let parsed: lsv_contracts::dcap::QuoteCollateral = serde_json::from_str(json)
                    .map_err(|e| {
                        format!(
                            "device {}'s collateral is not QuoteCollateralV3 JSON: {e}",
                            device.claim.index
                        )
                    })?;
                lsv_contracts::dcap::encode_device_evidence(&device.evidence, &parsed)
                    .map(|b| b.to_vec())
                    .map_err(|e| format!("device {}: {e}", device.claim.index))
            })
            .map_err(|e| input(format!("the group evidence: {e}")))?;
        Ok(Self {
            claim: first.claim.group,
            kind: format!("{}-of-{} group", first.claim.threshold, first.claim.devices),
            contract_bytes: contract_bytes.into(),
        })
    }

    /// The evidence of a key held by several devices whose device keys are registered in the
    /// vault's `DeviceRegistry` (`lsv cluster register`): each device's evidence is its device
    /// key's signature over its share binding, made at key generation
    /// (`GroupEvidence::registry_contract_evidence`), no quote and no collateral. A device
    /// without one (its share made before P had a device key) is refused.
    pub fn group_registered(group: &GroupEvidence) -> Result<Self, StakerError> {
        let first = group
            .devices
            .first()
            .ok_or_else(|| input("the group evidence names no device"))?;
        let contract_bytes = group
            .registry_contract_evidence()
            .map_err(|e| input(format!("the group evidence: {e}")))?;
        Ok(Self {
            claim: first.claim.group,
            kind: format!(
                "{}-of-{} group of registered devices",
                first.claim.threshold, first.claim.devices
            ),
            contract_bytes: contract_bytes.into(),
        })
    }
}

/// Proves `entry`'s validator at its anchor (with the balance, as `join` needs it) and submits
/// `join` with `evidence`, minting the position and the sETH to the attestation's owner.
pub async fn join(
    eth: &Eth,
    vault: Address,
    beacon: &BeaconClient,
    verifier: &VerifierConfig,
    preset: PresetName,
    entry: &RegistryEntry,
    evidence: &JoinEvidence,
) -> Result<Joined, StakerError> {
    let claim = &evidence.claim;
    let v = &entry.validator;
    // What join would refuse anyway, said in the beacon chain's words before a proof is built.
    if v.validator.pubkey != claim.pubkey {
        return Err(input(format!(
            "validator {} is {}, not {}",
            v.index, v.validator.pubkey, claim.pubkey
        )));
    }
    if v.validator.slashed {
        return Err(StakerError::Refused(format!(
            "validator {} is slashed",
            v.index
        )));
    }
    if v.validator.exit_epoch.as_u64() != FAR_FUTURE_EPOCH {
        return Err(StakerError::Refused(format!(
            "validator {} is exiting (exit epoch {})",
            v.index, v.validator.exit_epoch
        )));
    }
    if v.balance < DEPOSIT_AMOUNT_GWEI {
        return Err(StakerError::Refused(format!(
            "validator {}'s balance is {} gwei, under the 32 ETH join needs",
            v.index, v.balance
        )));
    }
    let proof = prove::prove_validator_by_preset(
        beacon,
        verifier,
        preset,
        BlockId::Root(entry.anchor_root),
        v.index,
        ProofParts::BALANCE,
    )
    .await?;
    let call = Vault::joinCall {
        pubkey: Bytes::copy_from_slice(&claim.pubkey.0),
        owner: claim.owner,
        evidence: evidence.contract_bytes.clone(),
        validatorIndex: v.index,
        timestamp: U256::from(proof.timestamp()),
        proof: Bytes::from(proof.proof.bytes.clone()),
    };
    let sent = eth.send("Vault", vault, &call, U256::ZERO).await?;
    let position_id = eth
        .view(
            "Vault",
            vault,
            &Vault::positionIdOfCall {
                pubkeyHash: keccak256(claim.pubkey.0),
            },
        )
        .await?;
    Ok(Joined {
        position_id,
        owner: claim.owner,
        validator_index: v.index,
        balance_gwei: proof.proof.proven.balance.map_or(v.balance, |b| b.as_u64()),
        anchor_slot: proof.proof.anchor_slot.as_u64(),
        timestamp: proof.timestamp(),
        tx: sent.tx,
        block_number: sent.block_number,
    })
}

/// A 256-bit number in JSON as a decimal string: ids and wei amounts as people and `jq` read
/// them (alloy's own form is hex), a string because JSON numbers lose precision past 2^53.
fn decimal<S: serde::Serializer>(value: &U256, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(value)
}

// ---- position -----------------------------------------------------------------------------------

/// The beacon chain's view of a position's validator.
#[derive(Clone, Debug, Serialize)]
pub struct BeaconView {
    /// The beacon API's status.
    pub status: String,
    /// The actual balance, in gwei (what ejection compares).
    pub balance_gwei: u64,
    /// The effective balance, in gwei.
    pub effective_balance_gwei: u64,
    /// `balance - EJECT_BELOW_GWEI`: how far the balance may fall before anyone may eject it
    /// (negative: ejectable now).
    pub distance_to_ejection_gwei: i128,
    /// The activation epoch (`null`: not yet scheduled).
    pub activation_epoch: Option<u64>,
    /// The exit epoch (`null`: not exiting).
    pub exit_epoch: Option<u64>,
    /// The withdrawable epoch (`null`: not exiting).
    pub withdrawable_epoch: Option<u64>,
    /// Whether it was slashed.
    pub slashed: bool,
}

/// A position as the vault and, optionally, the beacon chain see it.
#[derive(Clone, Debug, Serialize)]
pub struct PositionReport {
    /// The position id.
    #[serde(serialize_with = "decimal")]
    pub id: U256,
    /// Its current holder (the ERC-721 owner), who may claim the residual.
    pub holder: Address,
    /// `Active`, `Exiting`, `Closed` or `Unwinding`.
    pub status: String,
    /// The validator's registry index.
    pub validator_index: u64,
    /// What it owes the pool, in wei (`MINT`, plus the eject reward once paid).
    #[serde(serialize_with = "decimal")]
    pub debt_wei: U256,
    /// What its holder may claim now, in wei (`residualOf`).
    #[serde(serialize_with = "decimal")]
    pub claimable_residual_wei: U256,
    /// What its holder may claim now from the wind-down's owners' pool, in wei.
    #[serde(serialize_with = "decimal")]
    pub wind_down_share_wei: U256,
    /// The balance the vault last saw proven, in gwei.
    pub last_proven_balance_gwei: u64,
    /// The slot of the newest state proven for it.
    pub last_proof_slot: u64,
    /// Whether an exit request is outstanding.
    pub exit_requested: bool,
    /// Whether a proof showed it slashed.
    pub slashed: bool,
    /// Its provisional loss, in wei.
    #[serde(serialize_with = "decimal")]
    pub shortfall_wei: U256,
    /// Once closed: what its withdrawals did not repay, in wei.
    #[serde(serialize_with = "decimal")]
    pub unpaid_debt_wei: U256,
    /// `EJECT_BELOW_GWEI`: the balance under which anyone may eject it.
    pub eject_below_gwei: u64,
    /// The validator as the beacon node sees it, when one was asked.
    pub beacon: Option<BeaconView>,
}

fn status_name(status: u8) -> &'static str {
    // IVault.Status, in declaration order.
    match status {
        0 => "None",
        1 => "Active",
        2 => "Exiting",
        3 => "Closed",
        4 => "Unwinding",
        _ => "Unknown",
    }
}

/// Position `id` of `vault`, with its validator as `beacon` sees it at the head.
pub async fn position(
    eth: &Eth,
    vault: Address,
    id: U256,
    beacon: Option<&BeaconClient>,
) -> Result<PositionReport, StakerError> {
    if eth.code(vault).await?.is_empty() {
        return Err(input(format!(
            "no contract at {vault} on this chain: is it the vault's address?"
        )));
    }
    let p = eth
        .view("Vault", vault, &Vault::positionOfCall { positionId: id })
        .await?;
    let status = status_name(p.status as u8);
    if status == "None" {
        return Err(input(format!("the vault has no position {id}")));
    }
    let positions = eth.view("Vault", vault, &Vault::POSITIONSCall {}).await?;
    let holder = eth
        .view("Positions", positions, &Positions::ownerOfCall { id })
        .await?;
    let debt_wei = eth
        .view("Vault", vault, &Vault::debtOfCall { positionId: id })
        .await?;
    let claimable_residual_wei = eth
        .view("Vault", vault, &Vault::residualOfCall { positionId: id })
        .await?;
    let wind_down_share_wei = eth
        .view(
            "Vault",
            vault,
            &Vault::windDownShareOfCall { positionId: id },
        )
        .await?;
    let eject_below_gwei = eth
        .view("Vault", vault, &Vault::EJECT_BELOW_GWEICall {})
        .await?;
    let validator_index: u64 = p.validatorIndex.to::<u64>();
    let beacon = match beacon {
        None => None,
        Some(client) => client
            .validator(StateId::Head, &validator_index.to_string())
            .await?
            .map(|v| {
                let epoch = |e: lsv_consensus::Epoch| {
                    (e.as_u64() != FAR_FUTURE_EPOCH).then_some(e.as_u64())
                };
                BeaconView {
                    distance_to_ejection_gwei: i128::from(v.balance) - i128::from(eject_below_gwei),
                    status: v.status,
                    balance_gwei: v.balance,
                    effective_balance_gwei: v.validator.effective_balance.as_u64(),
                    activation_epoch: epoch(v.validator.activation_epoch),
                    exit_epoch: epoch(v.validator.exit_epoch),
                    withdrawable_epoch: epoch(v.validator.withdrawable_epoch),
                    slashed: v.validator.slashed,
                }
            }),
    };
    Ok(PositionReport {
        id,
        holder,
        status: status.to_owned(),
        validator_index,
        debt_wei,
        claimable_residual_wei,
        wind_down_share_wei,
        last_proven_balance_gwei: p.lastBalanceGwei.to::<u64>(),
        last_proof_slot: p.lastProofSlot.to::<u64>(),
        exit_requested: p.exitRequested,
        slashed: p.slashed,
        shortfall_wei: U256::from(p.shortfall),
        unpaid_debt_wei: U256::from(p.unpaidDebt),
        eject_below_gwei,
        beacon,
    })
}

/// The positions `owner` holds now. The positions token is not enumerable, so this reads
/// `balanceOf(owner)` and then `ownerOf` of each id from 1 (ids are sequential from 1, never
/// burned) until it has found them all: one call per position ever made at worst.
pub async fn positions_of(
    eth: &Eth,
    vault: Address,
    owner: Address,
) -> Result<Vec<U256>, StakerError> {
    let positions = eth.view("Vault", vault, &Vault::POSITIONSCall {}).await?;
    let held = eth
        .view("Positions", positions, &Positions::balanceOfCall { owner })
        .await?;
    let count = eth
        .view("Vault", vault, &Vault::positionCountCall {})
        .await?;
    let mut found = Vec::new();
    let mut id = 1u64;
    while U256::from(found.len()) < held && id <= u64::from(count) {
        let holder = eth
            .view(
                "Positions",
                positions,
                &Positions::ownerOfCall { id: U256::from(id) },
            )
            .await?;
        if holder == owner {
            found.push(U256::from(id));
        }
        id += 1;
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn testdata(relative: &str) -> Vec<u8> {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/dcap");
        std::fs::read(dir.join(relative)).unwrap()
    }

    fn claim() -> lsv_attestation::KeyGenerationClaim {
        lsv_attestation::KeyGenerationClaim {
            pubkey: PublicKeyBytes([0xa5; 48]),
            withdrawal_credentials: B256::repeat_byte(2),
            owner: Address::repeat_byte(0x0e),
            chain_id: 560_048,
            genesis_validators_root: B256::repeat_byte(3),
            policy_hash: B256::repeat_byte(4),
        }
    }

    fn dev_evidence() -> Evidence {
        Evidence::dev(claim(), Address::repeat_byte(1), [0x1b; 65]).unwrap()
    }

    /// A 3-of-4 group whose devices 2 and 4 hold the sample TDX and SGX quotes and 1 and 3 are
    /// dev devices (the attestations are not what is tested: the packing is).
    fn mixed_group() -> GroupEvidence {
        use lsv_attestation::multi::{prove_possession, DeviceEvidence, PlatformId, ShareClaim};
        use lsv_threshold::dkg::{Ceremony, Dealer};
        let dealers: Vec<Dealer> = (0..4).map(|_| Dealer::new(3, 4).unwrap()).collect();
        let ceremony = Ceremony {
            id: B256::repeat_byte(9),
            threshold: 3,
            announcements: dealers.iter().map(|d| d.announcement().clone()).collect(),
        };
        let dealings: Vec<_> = (1..=4u8)
            .map(|i| dealers[usize::from(i) - 1].deal(&ceremony, i).unwrap())
            .collect();
        let shares: Vec<_> = dealers
            .into_iter()
            .zip(1..=4u8)
            .map(|(d, i)| d.finish(&ceremony, i, &dealings).unwrap())
            .collect();
        let mut group = claim();
        group.pubkey = shares[0].group_key;
        let devices = shares
            .iter()
            .map(|s| {
                let (backend, evidence) = match s.index {
                    2 => (
                        lsv_attestation::Backend::TdxDcap,
                        testdata("dcap-qvl/sample/tdx_quote"),
                    ),
                    4 => (
                        lsv_attestation::Backend::SgxDcap,
                        testdata("dcap-qvl/sample/sgx_quote"),
                    ),
                    _ => (lsv_attestation::Backend::Dev, vec![s.index; 65]),
                };
                DeviceEvidence {
                    claim: ShareClaim {
                        group,
                        threshold: 3,
                        devices: 4,
                        index: s.index,
                        shares: s.share_keys.clone(),
                    },
                    proof_of_possession: prove_possession(&s.secret),
                    backend,
                    evidence: evidence.into(),
                    platform: PlatformId::Dev {
                        attester: Address::repeat_byte(s.index),
                    },
                    device_signature: None,
                }
            })
            .collect();
        GroupEvidence { devices }
    }

    /// Each device's evidence in a group's contract bytes (`GroupAttestationVerifier`'s layout:
    /// n × (length 2 ‖ evidence) after the keys).
    fn device_sections(bytes: &[u8], n: usize) -> Vec<Vec<u8>> {
        let mut at = 1 + 228 + 2 + 48 * n + 128 * n + 128;
        (0..n)
            .map(|_| {
                let len = usize::from(u16::from_be_bytes([bytes[at], bytes[at + 1]]));
                at += 2 + len;
                bytes[at - len..at].to_vec()
            })
            .collect()
    }

    #[test]
    fn a_groups_hardware_devices_take_their_collateral_in_device_order() {
        use alloy_sol_types::SolValue;
        let group = mixed_group();
        let tdx = String::from_utf8(testdata("dcap-qvl/sample/tdx_quote_collateral.json")).unwrap();
        let sgx = String::from_utf8(testdata("dcap-qvl/sample/sgx_quote_collateral.json")).unwrap();
        let joined = JoinEvidence::group(&group, &[tdx.clone(), sgx.clone()]).unwrap();
        assert_eq!(joined.kind, "3-of-4 group");
        assert_eq!(joined.claim, group.devices[0].claim.group);
        let sections = device_sections(&joined.contract_bytes, 4);
        // Dev devices as they are; hardware ones as the kind byte and their packed evidence.
        assert_eq!(sections[0], vec![1u8; 65]);
        assert_eq!(sections[2], vec![3u8; 65]);
        for (section, kind, quote, collateral) in [
            (&sections[1], 0x02, "dcap-qvl/sample/tdx_quote", &tdx),
            (&sections[3], 0x01, "dcap-qvl/sample/sgx_quote", &sgx),
        ] {
            assert_eq!(section[0], kind);
            let packed = lsv_contracts::dcap::DcapEvidence::abi_decode(&section[1..]).unwrap();
            assert_eq!(packed.quote.as_ref(), testdata(quote).as_slice());
            let info: serde_json::Value = serde_json::from_str(collateral).unwrap();
            assert_eq!(
                std::str::from_utf8(&packed.tcbInfo).unwrap(),
                info["tcb_info"].as_str().unwrap()
            );
        }
        // One collateral per hardware device, or a clear error.
        for wrong in [
            vec![],
            vec![tdx.clone()],
            vec![tdx.clone(), sgx.clone(), sgx],
        ] {
            let err = JoinEvidence::group(&group, &wrong).unwrap_err().to_string();
            assert!(err.contains("2 hardware devices"), "{err}");
        }
        // Swapped, each quote meets the other's collateral: refused, naming the device.
        let err = JoinEvidence::group(
            &group,
            &[
                String::from_utf8(testdata("dcap-qvl/sample/sgx_quote_collateral.json")).unwrap(),
                tdx,
            ],
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("device 2"), "{err}");
    }

    #[test]
    fn a_group_of_registered_devices_carries_each_device_keys_signature_and_no_quote() {
        use lsv_attestation::DeviceKey;
        let mut group = mixed_group();
        // Without device-key signatures (shares made before P had a device key): refused.
        let err = JoinEvidence::group_registered(&group)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("device 1 has no device-key signature"),
            "{err}"
        );
        let keys: Vec<DeviceKey> = (0..4).map(|_| DeviceKey::generate().unwrap().0).collect();
        for (d, key) in group.devices.iter_mut().zip(&keys) {
            *d = d.clone().with_device_signature(key).unwrap();
        }
        let joined = JoinEvidence::group_registered(&group).unwrap();
        assert_eq!(joined.kind, "3-of-4 group of registered devices");
        assert_eq!(joined.claim, group.devices[0].claim.group);
        for (section, (d, key)) in device_sections(&joined.contract_bytes, 4)
            .iter()
            .zip(group.devices.iter().zip(&keys))
        {
            assert_eq!(section.len(), 65, "a signature, not the quote");
            let signature = lsv_attestation::DeviceSignature {
                device_key: key.address(),
                signature: section.clone().into(),
            };
            signature.verify(d.claim.binding()).unwrap();
        }
    }

    #[test]
    fn join_evidence_repacks_a_quote_with_its_collateral_and_keeps_dev_signatures() {
        use alloy_sol_types::SolValue;
        let collateral =
            String::from_utf8(testdata("dcap-qvl/sample/sgx_quote_collateral.json")).unwrap();
        let quote = testdata("dcap-qvl/sample/sgx_quote");
        let sgx = Evidence::sgx_dcap(claim(), quote.clone()).unwrap();
        let joined = JoinEvidence::single(&sgx, Some(&collateral)).unwrap();
        let decoded =
            lsv_contracts::dcap::DcapEvidence::abi_decode(&joined.contract_bytes).unwrap();
        assert_eq!(decoded.quote.as_ref(), quote.as_slice());
        assert!(!decoded.pckCert.is_empty() && !decoded.tcbInfo.is_empty());
        // A quote alone is not what C verifies: the collateral is asked for by name.
        let err = JoinEvidence::single(&sgx, None).unwrap_err().to_string();
        assert!(err.contains("--collateral"), "{err}");
        let err = JoinEvidence::single(
            &Evidence::sgx_dcap(claim(), quote).unwrap(),
            Some("{\"not\": \"collateral\"}"),
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("QuoteCollateralV3"), "{err}");

        assert!(JoinEvidence::single(&dev_evidence(), None).is_ok());
        let dev = dev_evidence();
        let joined = JoinEvidence::single(&dev, None).unwrap();
        assert_eq!(joined.contract_bytes.as_ref(), dev.evidence_bytes());
        assert_eq!(joined.claim, claim());
        assert!(JoinEvidence::single(&dev, Some(&collateral)).is_err());
    }

    const MAINNET: Churn = Churn {
        min_gwei: MIN_CHURN_GWEI,
        max_deposits: MAX_PENDING_DEPOSITS_PER_EPOCH,
    };

    #[test]
    fn the_registry_epoch_follows_finality_and_the_churn() {
        // Carried in epoch 3 (slot 100): finalized at the end of epoch 5 (which finalizes 4,
        // whose start slot 128 is past 100), so in the registry from epoch 6.
        assert_eq!(registry_epoch(100, 0, 0, 3, 0, 32, &MAINNET), 6);
        // A deposit at an epoch's first slot needs only that epoch finalized.
        assert_eq!(registry_epoch(128, 0, 0, 4, 0, 32, &MAINNET), 6);
        // Finality lagging two epochs delays it by two.
        assert_eq!(registry_epoch(100, 0, 0, 3, 2, 32, &MAINNET), 8);
        // Never before the current epoch's end.
        assert_eq!(registry_epoch(100, 0, 0, 20, 0, 32, &MAINNET), 21);
        // 3 deposits (96 ETH) ahead: 128 ETH a epoch takes them and this one in one epoch; a
        // fourth ahead (128 ETH) pushes it to the next.
        assert_eq!(
            registry_epoch(100, 3, 96_000_000_000, 3, 0, 32, &MAINNET),
            6
        );
        assert_eq!(
            registry_epoch(100, 4, 128_000_000_000, 3, 0, 32, &MAINNET),
            7
        );
        // 16 deposits an epoch at most, however small.
        assert_eq!(
            registry_epoch(100, 16, 16_000_000_000, 3, 0, 32, &MAINNET),
            7
        );
    }

    fn evidence_for(seed: u8) -> Evidence {
        let claim = lsv_attestation::KeyGenerationClaim {
            pubkey: PublicKeyBytes([seed; 48]),
            withdrawal_credentials: B256::repeat_byte(2),
            owner: Address::repeat_byte(0x0e),
            chain_id: 1,
            genesis_validators_root: B256::repeat_byte(3),
            policy_hash: B256::repeat_byte(4),
        };
        Evidence::dev(claim, Address::repeat_byte(0xa7), [seed; 65]).unwrap()
    }

    #[test]
    fn evidence_is_found_in_every_shape_p_and_keys_generate_write() {
        let (a, b) = (evidence_for(1), evidence_for(2));
        let value = |e: &Evidence| serde_json::to_value(e).unwrap();
        let pk = b.claim().pubkey;
        for (shape, text) in [
            (
                "attestation.json",
                serde_json::json!([value(&a), value(&b)]),
            ),
            ("one evidence", value(&b)),
            (
                "GET /eth/v1/lsv/keys/{pubkey}/attestation",
                serde_json::json!({"data": {"pubkey": pk, "attestation": value(&b)}}),
            ),
            (
                "POST /eth/v1/lsv/keys",
                serde_json::json!({"data": [{"attestation": value(&a)}, {"attestation": value(&b)}]}),
            ),
        ] {
            let found = evidence_from_json(&text.to_string(), &pk, shape).unwrap();
            assert_eq!(found, b, "{shape}");
        }
        let other = PublicKeyBytes([9; 48]);
        let e = evidence_from_json(&value(&a).to_string(), &other, "a.json").unwrap_err();
        assert!(e.to_string().contains("a.json has no evidence for"), "{e}");
        let null = serde_json::json!({"data": {"attestation": null, "message": "made before"}});
        let e = evidence_from_json(&null.to_string(), &pk, "P").unwrap_err();
        assert!(e.to_string().contains("made before"), "{e}");
        let e = evidence_from_json("{", &pk, "x.json").unwrap_err();
        assert!(e.to_string().contains("x.json is not JSON"), "{e}");
    }

    #[test]
    fn waits_read_as_people_count_them() {
        let h = |s| human(Duration::from_secs(s));
        assert_eq!(h(102), "102 s");
        assert_eq!(h(600), "10 min");
        assert_eq!(h(3 * 3600), "3.0 h");
        assert_eq!(h(14 * 86_400), "14.0 days");
    }
}
