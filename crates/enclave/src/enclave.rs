//! Program P: the one place that decides whether to sign.

mod cluster;

pub use cluster::{
    ClusterPeers, DeviceAnnouncement, KeyGenerationError, SharedKey, CEREMONY_TIMEOUT,
    MAX_PENDING_CEREMONIES,
};

use crate::anchor::{Anchor, AnchorChoice, AnchorError, AnchorStatus};
use crate::attestation::{
    load_or_create_dev_attester, AttestationConfig, AttestationInfo, AttestationKeyError,
};
use crate::deposit::DepositData;
use crate::keyring::{Keyring, KeyringError};
use crate::policy::{Clock, Policy, PolicyViolation, DEPOSIT_AMOUNT};
use crate::protection::{Protection, ProtectionError, Verdict};
use crate::sealer::Sealer;
use alloy_primitives::{Address, B256};
use lsv_attestation::{Attester, Evidence, KeyGenerationClaim};
use lsv_consensus::containers::DepositMessage;
use lsv_consensus::{
    PublicKeyBytes, RequestError, SignRequest, SignableMessage, SignatureBytes, SlashingSubject,
    Slot,
};
use lsv_slashing_protection::{
    ImportSummary, InterchangeFormat, MinifiedInterchange, NotSafe, PruneSummary, Safe,
    SlashingDatabase,
};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Where P keeps its state inside the data directory.
pub struct DataDir(PathBuf);

impl DataDir {
    /// P's state under `root`.
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self(root.into())
    }
    /// The data directory itself.
    pub fn root(&self) -> &Path {
        &self.0
    }
    /// `keys/`: one record per key.
    pub fn keys(&self) -> PathBuf {
        self.0.join("keys")
    }
    /// `slashing-protection.sqlite`: the slashing-protection database.
    pub fn slashing_db(&self) -> PathBuf {
        self.0.join("slashing-protection.sqlite")
    }
}

/// A signature P released, with the root it covers.
#[derive(Clone, Copy, Debug)]
pub struct Signed {
    /// The BLS signature.
    pub signature: SignatureBytes,
    /// The root signed, computed by P from the request.
    pub signing_root: B256,
    /// `SameData` when this re-signs a message already recorded.
    pub resigned: bool,
}

/// Why P did not sign. Each maps to one HTTP status at the API edge: the caller's mistakes
/// (`UnknownKey`, `BadRequest`, `KeyRequest`), refusals (`Slashable`, `Policy`) and P's own
/// failures (`Protection`, `Keyring`), which say what failed.
#[derive(Debug, thiserror::Error)]
pub enum SignError {
    /// P holds no such key.
    #[error("no key {0} in this signer")]
    UnknownKey(PublicKeyBytes),
    /// The request is malformed, for another network, or its `signingRoot` is not the one P
    /// computes.
    #[error(transparent)]
    BadRequest(#[from] RequestError),
    /// Signing could be slashable.
    #[error("refused by slashing protection: {0}")]
    Slashable(NotSafe),
    /// P's policy refuses it (a deposit not to C, a message too far in the future, ...).
    #[error("refused by policy: {0}")]
    Policy(#[from] PolicyViolation),
    /// A key-generation request P refuses before generating anything.
    #[error(transparent)]
    KeyRequest(#[from] KeyRequestError),
    /// The slashing-protection database could not decide or record: nothing was signed.
    #[error("internal error: {0}")]
    Protection(#[from] ProtectionError),
    /// The keyring could not make or store a key: no key was stored.
    #[error("internal error: {0}")]
    Keyring(#[from] KeyringError),
    /// A step of a multi-device key generation failed.
    #[error("key generation: {0}")]
    KeyGeneration(#[from] KeyGenerationError),
    /// The freshness anchor could not reserve the message's epoch: nothing was signed.
    #[error("freshness anchor: {0}")]
    Anchor(#[from] AnchorError),
}

/// A key made by `generate_keys`, with what the operator needs to deposit for it.
#[derive(Clone, Debug, serde::Serialize)]
pub struct GeneratedKey {
    /// The new key.
    pub pubkey: PublicKeyBytes,
    /// The address C mints the validator's sETH and position to; bound in `attestation`, never
    /// changeable.
    pub owner: Address,
    /// `0x02 ‖ 0^11 ‖ C`.
    pub withdrawal_credentials: B256,
    /// The signed deposit for 32 ETH, in `deposit_data.json` form.
    pub deposit_data: DepositData,
    /// Evidence that P made this key for `owner`, produced now and never again; stored with the
    /// key, so [`Enclave::key_attestation`] can serve it later.
    pub attestation: Evidence,
    /// False unless both sealing and attestation are hardware-backed.
    pub hardware_backed: bool,
}

/// What P recorded about a key at its generation: the per-key object of `POST /eth/v1/lsv/keys`
/// without the deposit data, served by `GET /eth/v1/lsv/keys/{pubkey}/attestation` and
/// `lsv keys attestation`.
#[derive(Clone, Debug, serde::Serialize)]
pub struct KeyAttestation {
    /// The key.
    pub pubkey: PublicKeyBytes,
    /// The owner bound at its generation.
    pub owner: Address,
    /// The credentials bound at its generation.
    pub withdrawal_credentials: B256,
    /// The evidence returned at generation, byte for byte; `null` for a key made before P
    /// recorded evidence.
    pub attestation: Option<Evidence>,
    /// Says why `attestation` is `null`; absent otherwise.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<&'static str>,
}

/// Why a key has no recorded evidence.
pub const NO_EVIDENCE_RECORDED: &str = "no attestation was recorded for this key: it was \
    generated before P stored evidence with its keys, and P never attests an existing key again \
    (that would let a host bind it to another owner); the evidence exists only in the response \
    to its generation";

/// Why P could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// A key record could not be read or unsealed.
    #[error(transparent)]
    Keyring(#[from] KeyringError),
    /// The slashing-protection database could not be opened, locked or brought up to date.
    #[error("slashing protection database: {0}")]
    Protection(#[from] lsv_slashing_protection::Error),
    /// The data directory or its lock could not be made.
    #[error("data directory {path}: {source}")]
    Io {
        /// The directory or file.
        path: PathBuf,
        /// What the file system said.
        source: std::io::Error,
    },
    /// Another process holds the data directory's lock.
    #[error("another lsv process is using {0}: two signers on one slashing record could sign a slashable pair")]
    InUse(PathBuf),
    /// The dev attestation key could not be loaded or created.
    #[error(transparent)]
    AttestationKey(#[from] AttestationKeyError),
    /// The freshness anchor could not be made, reached or trusted.
    #[error("freshness anchor: {0}")]
    Anchor(#[from] AnchorError),
}

/// Program P: the keyring, the policy, the slashing-protection writer and the attester, behind the
/// one data directory it locks. Every signature P releases goes through [`Enclave::sign`].
pub struct Enclave {
    /// Held for P's lifetime: one process per data directory.
    _lock: std::fs::File,
    policy: Policy,
    keyring: Keyring,
    protection: Protection,
    clock: Arc<dyn Clock>,
    attester: Arc<dyn Attester>,
    /// `policy.hash()`, fixed for P's lifetime.
    policy_hash: B256,
    /// What the Gloas rules that are not slashing protection remember while P runs.
    gloas: std::sync::Mutex<GloasMemory>,
    /// Multi-device key generations in progress, by ceremony id (memory only).
    cluster: parking_lot::Mutex<std::collections::HashMap<B256, cluster::PendingShare>>,
    /// Which hardware peers a key generation accepts (set once at start; none: dev peers only).
    cluster_peers: std::sync::OnceLock<cluster::ClusterPeers>,
    /// The freshness anchor; `None` runs without one (slashing safety then assumes an honest
    /// host).
    anchor: Option<Arc<Anchor>>,
    /// The data directory and the sealer, for the witness this P may also serve.
    root: PathBuf,
    sealer: Arc<dyn Sealer>,
    /// The device key (`lsv_attestation::device_key`), loaded or made on first use, under the
    /// data directory's lock.
    device_key: parking_lot::Mutex<Option<Arc<lsv_attestation::DeviceKey>>>,
}

/// Per key, while P runs: its latest payload-timeliness vote (slot, signing root), the latest
/// block it signed (slot, block root) and the envelope it signed for that block (block root,
/// signing root).
#[derive(Default)]
struct GloasMemory {
    ptc: std::collections::HashMap<PublicKeyBytes, (Slot, B256)>,
    blocks: std::collections::HashMap<PublicKeyBytes, (Slot, B256)>,
    envelopes: std::collections::HashMap<PublicKeyBytes, (B256, B256)>,
}

/// Keys per `generate_keys` call; each costs a KDF run and a durable write.
pub const MAX_KEYS_PER_CALL: usize = 64;

/// Why P refuses a key-generation request, before it generates anything.
///
/// The owner is bound in each key's attestation, which P produces once, at generation, and
/// never again: it is the address C mints the key's 31 sETH and its position to when the
/// validator joins, and it can never be changed. So an owner that C can never pay is refused
/// here rather than discovered after 32 ETH are deposited.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum KeyRequestError {
    /// A count outside 1..=[`MAX_KEYS_PER_CALL`].
    #[error("count must be between 1 and {MAX_KEYS_PER_CALL} keys per request, not {0}")]
    Count(usize),
    /// The zero address as owner.
    #[error(
        "owner {0} is the zero address: C refuses to join a validator for it (InvalidOwner) and \
         can never mint its 31 sETH or its position to it, so these validators could never join \
         C, and their 32 ETH, once deposited, would come back to C only as an unattributed \
         withdrawal (a donation); the owner is bound in each key's attestation and can never be \
         changed"
    )]
    ZeroOwner(Address),
    /// C itself as owner.
    #[error(
        "owner {0} is C itself (the withdrawal contract): C would mint the 31 sETH and the \
         position to itself, where no one can ever move them or claim what the position is \
         owed, so nothing these validators earn or return could ever reach an owner; the owner \
         is bound in each key's attestation and can never be changed"
    )]
    OwnerIsWithdrawalContract(Address),
}

/// Checks a key-generation request against `policy` without generating anything: `count`
/// within 1..=[`MAX_KEYS_PER_CALL`], and an owner that C can pay (not the zero address, not C
/// itself). [`Enclave::generate_keys`] runs it first; a caller that must not create anything
/// for a request that will be refused (the command line) runs it before opening P.
pub fn check_key_request(
    policy: &Policy,
    owner: Address,
    count: usize,
) -> Result<(), KeyRequestError> {
    if count == 0 || count > MAX_KEYS_PER_CALL {
        return Err(KeyRequestError::Count(count));
    }
    if owner == Address::ZERO {
        return Err(KeyRequestError::ZeroOwner(owner));
    }
    if policy.withdrawal_contract == Some(owner) {
        return Err(KeyRequestError::OwnerIsWithdrawalContract(owner));
    }
    Ok(())
}

/// Takes the data directory's lock (held while P, or a command on its record, runs): one
/// process per data directory.
fn lock_data_dir(data_dir: &DataDir) -> Result<std::fs::File, StartError> {
    let lock_path = data_dir.root().join("lock");
    let lock = std::fs::File::create(&lock_path).map_err(|source| StartError::Io {
        path: lock_path,
        source,
    })?;
    if lock.try_lock().is_err() {
        return Err(StartError::InUse(data_dir.root().into()));
    }
    Ok(lock)
}

impl Enclave {
    /// Opens P on `data_dir`: unseals the keys, opens the slashing database (created on first
    /// start, pinned to the network's genesis validators root) and registers every key in it,
    /// and sets up the attester (for `Dev`, the dev attestation key is created and sealed on
    /// first start, under the data directory's lock).
    pub fn open(
        data_dir: &DataDir,
        policy: Policy,
        sealer: Arc<dyn Sealer>,
        attestation: AttestationConfig,
        clock: Arc<dyn Clock>,
    ) -> Result<Self, StartError> {
        Self::open_with_anchor(
            data_dir,
            policy,
            sealer,
            attestation,
            clock,
            AnchorChoice::None,
        )
    }

    /// [`Enclave::open`] with a freshness anchor (DESIGN.md "Freshness", [`crate::anchor`]):
    /// after the keys are registered and before anything is signed, the anchor is made (first
    /// start) or reached, and the slashing record is either trusted (closed cleanly at the
    /// anchor's values) or every watermark is raised past everything reserved.
    /// [`AnchorChoice::None`] on a record bound to an anchor is refused.
    pub fn open_with_anchor(
        data_dir: &DataDir,
        policy: Policy,
        sealer: Arc<dyn Sealer>,
        attestation: AttestationConfig,
        clock: Arc<dyn Clock>,
        anchor: AnchorChoice,
    ) -> Result<Self, StartError> {
        crate::fsutil::create_private_dir(data_dir.root()).map_err(|source| StartError::Io {
            path: data_dir.root().into(),
            source,
        })?;
        let lock = lock_data_dir(data_dir)?;
        let attester: Arc<dyn Attester> = match attestation {
            AttestationConfig::Dev => Arc::new(load_or_create_dev_attester(
                data_dir.root(),
                sealer.as_ref(),
                None,
            )?),
            AttestationConfig::DevGiven(secret) => Arc::new(load_or_create_dev_attester(
                data_dir.root(),
                sealer.as_ref(),
                Some(&secret),
            )?),
            AttestationConfig::Attester(a) => a,
        };
        let gvr = policy.network.genesis_validators_root;
        let keyring = Keyring::open(&data_dir.keys(), sealer.clone(), gvr)?;
        let witness_sealer = sealer.clone();
        let mut db = SlashingDatabase::open(data_dir.slashing_db(), gvr)?;
        db.lock_exclusively()?;
        // A key whose file landed but whose registration did not (a crash between the two)
        // is registered here, before it can sign, and before the anchor may raise it.
        db.register_validators(&keyring.pubkeys())?;
        let now_epoch = policy
            .current_slot(clock.unix_seconds())
            .epoch(policy.network.slots_per_epoch);
        let anchor = crate::anchor::start(
            anchor,
            data_dir.root(),
            sealer.as_ref(),
            &mut db,
            policy.network.slots_per_epoch,
            now_epoch,
        )?
        .map(Arc::new);
        let anchor_id = anchor.as_ref().map(|a| a.id());
        keyring
            .bind_to_anchor(anchor_id)
            .map_err(|(pubkey, key_anchor)| AnchorError::KeyOfAnotherAnchor {
                pubkey,
                key_anchor,
                running: anchor_id.map_or("no anchor".into(), |id| format!("anchor {id}")),
            })?;
        Ok(Self {
            _lock: lock,
            policy_hash: policy.hash(),
            gloas: Default::default(),
            cluster: Default::default(),
            cluster_peers: Default::default(),
            anchor,
            policy,
            keyring,
            protection: Protection::start(db),
            clock,
            attester,
            root: data_dir.root().into(),
            sealer: witness_sealer,
            device_key: Default::default(),
        })
    }

    /// Moves the slashing record of the P in `data_dir`, which must not be running, from its
    /// anchor (reached as `from` says) to a new one (`to`): `lsv anchor move`. The protocol
    /// and what it refuses: [`crate::anchor::move_anchor`]. Running it again finishes a move
    /// that stopped part-way.
    pub fn move_anchor(
        data_dir: &DataDir,
        policy: &Policy,
        sealer: Arc<dyn Sealer>,
        clock: &dyn Clock,
        from: AnchorChoice,
        to: AnchorChoice,
    ) -> Result<crate::anchor::Moved, StartError> {
        let lock = lock_data_dir(data_dir)?;
        let gvr = policy.network.genesis_validators_root;
        let keyring = Keyring::open(&data_dir.keys(), sealer.clone(), gvr)?;
        let mut db = SlashingDatabase::open(data_dir.slashing_db(), gvr)?;
        db.lock_exclusively()?;
        db.register_validators(&keyring.pubkeys())?;
        let now = policy
            .current_slot(clock.unix_seconds())
            .epoch(policy.network.slots_per_epoch);
        let moved = crate::anchor::move_anchor(
            from,
            to,
            data_dir.root(),
            sealer.as_ref(),
            &mut db,
            policy.network.slots_per_epoch,
            now,
            &mut |old, new| keyring.rebind_anchor(old, new).map_err(|e| e.to_string()),
        )?;
        drop(lock);
        Ok(moved)
    }

    /// P's device key: loaded from the data directory, or made and sealed there on first use
    /// ([`crate::attestation::load_or_create_device_key`]).
    pub(crate) fn device_key(
        &self,
    ) -> Result<Arc<lsv_attestation::DeviceKey>, crate::attestation::AttestationKeyError> {
        let mut slot = self.device_key.lock();
        if let Some(key) = slot.as_ref() {
            return Ok(key.clone());
        }
        let key = Arc::new(crate::attestation::load_or_create_device_key(
            &self.root,
            self.sealer.as_ref(),
        )?);
        *slot = Some(key.clone());
        Ok(key)
    }

    /// This P as a witness of other Ps' freshness anchors (`lsv signer --witness`): its key
    /// sealed by this P's sealer, its records in this data directory, which P holds locked.
    pub fn open_witness(
        &self,
    ) -> Result<crate::anchor::witness::Witness, crate::anchor::witness::WitnessError> {
        crate::anchor::witness::Witness::open(&self.root, self.sealer.as_ref())
    }

    /// For the async runtime that calls [`Enclave::sign`]: run this whenever one of its worker
    /// threads runs out of work (tokio's `on_thread_park`), and [`Enclave::on_worker_unpark`]
    /// when it has work again. Under load the slashing-protection writer holds each group open
    /// for more checks; while a worker is idle, every caller it had is waiting on that group,
    /// and committing at once keeps the cores busy.
    pub fn on_worker_park(&self) -> impl Fn() + Send + Sync + 'static {
        self.protection.on_worker_park()
    }

    /// See [`Enclave::on_worker_park`] (tokio's `on_thread_unpark`).
    pub fn on_worker_unpark(&self) -> impl Fn() + Send + Sync + 'static {
        self.protection.on_worker_unpark()
    }

    /// Stops P's slashing-protection writer: the checks already queued are decided and
    /// committed, the database is checkpointed and closed (its write-ahead log removed), and
    /// the writer thread is joined. Every later signing request that needs the database is
    /// refused as an internal error. Idempotent; dropping P does the same.
    pub fn shutdown(&self) {
        match &self.anchor {
            Some(anchor) => {
                let anchor = anchor.clone();
                self.protection.close_with(move |db| anchor.close(db));
            }
            None => self.protection.close(),
        }
    }

    /// The freshness anchor's state, or `None` when P runs without one.
    pub fn anchor_status(&self) -> Option<AnchorStatus> {
        self.anchor.as_ref().map(|a| a.status())
    }

    /// What a verifier's deployer needs from this P: backend, dev attester address, policy
    /// hash, domain tag, chain and credentials.
    pub fn attestation_info(&self) -> AttestationInfo {
        let hardware_backed = self.is_hardware_backed();
        AttestationInfo {
            backend: self.attester.backend(),
            hardware_backed,
            attester: self.attester.attester_address(),
            policy_hash: self.policy_hash,
            policy_description: self.policy.canonical_description(),
            domain_tag: lsv_attestation::domain_tag(),
            chain_id: self.policy.network.chain_id,
            genesis_validators_root: self.policy.network.genesis_validators_root,
            withdrawal_credentials: self.policy.withdrawal_credentials().ok(),
            warning: (!self.attester.is_hardware_backed())
                .then_some(lsv_attestation::evidence::DEV_WARNING),
        }
    }

    /// The policy P was started with.
    pub fn policy(&self) -> &Policy {
        &self.policy
    }

    /// Every key P holds, sorted.
    pub fn public_keys(&self) -> Vec<PublicKeyBytes> {
        self.keyring.pubkeys()
    }

    /// Web3Signer's "high watermark": the first slot and epoch P will not sign a block or an
    /// attestation for right now. Unlike Web3Signer's fixed value it moves with the clock
    /// (the far-future bound of the policy).
    pub fn high_watermark(&self) -> (lsv_consensus::Slot, lsv_consensus::Epoch) {
        let limit = self.policy.slashable_limit(self.clock.unix_seconds());
        let spe = self.policy.network.slots_per_epoch;
        (
            lsv_consensus::Slot(limit.as_u64().saturating_add(1)),
            lsv_consensus::Epoch(limit.epoch(spe).as_u64().saturating_add(1)),
        )
    }

    /// Whether P holds `pubkey`.
    pub fn has_key(&self, pubkey: &PublicKeyBytes) -> bool {
        self.keyring.get(pubkey).is_some()
    }

    /// The evidence recorded with `pubkey` at its generation, read back from the key's record
    /// (never produced again). `None` if P holds no such key; `attestation: None` for a key made
    /// before P recorded evidence.
    pub fn key_attestation(&self, pubkey: &PublicKeyBytes) -> Option<KeyAttestation> {
        let key = self.keyring.get(pubkey)?;
        Some(KeyAttestation {
            pubkey: key.pubkey,
            owner: key.owner,
            withdrawal_credentials: key.withdrawal_credentials,
            message: key.attestation.is_none().then_some(NO_EVIDENCE_RECORDED),
            attestation: key.attestation.clone(),
        })
    }

    /// True only when both sealing and attestation are hardware-backed.
    pub fn is_hardware_backed(&self) -> bool {
        self.keyring.is_hardware_backed() && self.attester.is_hardware_backed()
    }

    /// The sealing backend's name (`dev-eip2335`, `sgx-gramine-mrenclave`).
    pub fn sealing_backend(&self) -> &'static str {
        self.keyring.backend()
    }

    /// Signs `request` with `pubkey`'s key if, and only if, every rule allows it.
    ///
    /// The signature is computed while the slashing record is being committed, and released
    /// only after the commit: a refused or failed check drops it inside P.
    pub async fn sign(
        &self,
        pubkey: &PublicKeyBytes,
        request: &SignRequest,
    ) -> Result<Signed, SignError> {
        let key = self
            .keyring
            .get(pubkey)
            .ok_or(SignError::UnknownKey(*pubkey))?;
        let signing_root = request.signing_root(&self.policy.network)?;
        self.policy
            .check(pubkey, &request.message, self.clock.unix_seconds())?;
        match &request.message {
            SignableMessage::PayloadAttestation { data, .. } => {
                self.one_ptc_vote_a_slot(pubkey, data.slot, signing_root)?
            }
            SignableMessage::ExecutionPayloadEnvelope { envelope, .. } => {
                self.envelope_of_own_block(pubkey, envelope, signing_root)?
            }
            _ => {}
        }
        let subject = request.message.slashing_subject();
        if subject == SlashingSubject::None {
            return Ok(Signed {
                signature: key.sign_root(&signing_root),
                signing_root,
                resigned: false,
            });
        }
        if let Some(anchor) = &self.anchor {
            let epoch = match subject {
                SlashingSubject::Block { slot } => slot.epoch(self.policy.network.slots_per_epoch),
                SlashingSubject::Attestation { source, target } => source.max(target),
                SlashingSubject::None => unreachable!("returned above"),
            };
            anchor.admit(epoch, &self.protection).await?;
        }
        let verdict = self.protection.check(*pubkey, subject, signing_root);
        let signature = key.sign_root(&signing_root);
        // A check the writer dropped unanswered was queued after it closed.
        match verdict
            .await
            .unwrap_or(Verdict::Failed(ProtectionError::Closed))
        {
            Verdict::Safe(safe) => {
                if let SignableMessage::Block { header, .. } = &request.message {
                    self.gloas_memory().blocks.insert(
                        *pubkey,
                        (header.slot, tree_hash::TreeHash::tree_hash_root(header)),
                    );
                }
                Ok(Signed {
                    signature,
                    signing_root,
                    resigned: safe == Safe::SameData,
                })
            }
            Verdict::Refused(not_safe) => Err(SignError::Slashable(not_safe)),
            Verdict::Failed(e) => Err(SignError::Protection(e)),
        }
    }

    /// A key votes once a slot in the payload-timeliness committee (Gloas), in slot order: the
    /// same vote again is signed again; another vote for the slot, or a vote for an earlier
    /// slot, is refused. Not slashable (gossip ignores a member's second message,
    /// gloas/p2p-interface.md `payload_attestation_message`), so kept in memory only: a
    /// restarted P may sign one more vote for the slot it was in.
    fn one_ptc_vote_a_slot(
        &self,
        pubkey: &PublicKeyBytes,
        slot: Slot,
        signing_root: B256,
    ) -> Result<(), PolicyViolation> {
        let mut memory = self.gloas_memory();
        match memory.ptc.get(pubkey) {
            Some(&(last, root)) if slot < last || (slot == last && root != signing_root) => {
                Err(PolicyViolation::SecondPtcVote { slot, last })
            }
            _ => {
                memory.ptc.insert(*pubkey, (slot, signing_root));
                Ok(())
            }
        }
    }

    /// A validator's key signs an execution payload envelope only as a self-building proposer
    /// (gloas `verify_execution_payload_envelope_signature` checks a self-built envelope against
    /// the proposer's key; a builder's against its own): for the block this key signed last,
    /// at that block's slot, and one envelope a block (the same one again is signed again).
    /// Not slashable (gossip ignores a second envelope), so kept in memory: after a restart P
    /// signs an envelope only for a block it signed since.
    fn envelope_of_own_block(
        &self,
        pubkey: &PublicKeyBytes,
        envelope: &lsv_consensus::containers::gloas::ExecutionPayloadEnvelope,
        signing_root: B256,
    ) -> Result<(), PolicyViolation> {
        use lsv_consensus::containers::gloas::BUILDER_INDEX_SELF_BUILD;
        if envelope.builder_index != BUILDER_INDEX_SELF_BUILD {
            return Err(PolicyViolation::EnvelopeNotSelfBuilt(
                envelope.builder_index,
            ));
        }
        let slot = Slot(envelope.payload.slot_number);
        let mut memory = self.gloas_memory();
        if memory.blocks.get(pubkey) != Some(&(slot, envelope.beacon_block_root)) {
            return Err(PolicyViolation::EnvelopeForUnsignedBlock {
                slot,
                block_root: envelope.beacon_block_root,
            });
        }
        match memory.envelopes.get(pubkey) {
            Some(&(block, root)) if block == envelope.beacon_block_root && root != signing_root => {
                Err(PolicyViolation::SecondEnvelope(block))
            }
            _ => {
                memory
                    .envelopes
                    .insert(*pubkey, (envelope.beacon_block_root, signing_root));
                Ok(())
            }
        }
    }

    fn gloas_memory(&self) -> std::sync::MutexGuard<'_, GloasMemory> {
        // The maps stay consistent whatever panicked while holding them (each update is one
        // insert).
        self.gloas.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Generates `count` keys bound to `owner`, each with signed deposit data for 32 ETH to C
    /// and evidence of its generation. This is the only place P attests: an existing key is
    /// never attested again, so its evidence names the owner given here and no other.
    ///
    /// `owner` is the address that receives the 31 sETH and the position when the validator
    /// joins C; it is bound in the attestation and can never be changed. An owner C can never
    /// pay (the zero address, C itself) and a `count` outside 1..=[`MAX_KEYS_PER_CALL`] are
    /// refused ([`SignError::KeyRequest`], [`check_key_request`]) before anything is generated.
    pub async fn generate_keys(
        &self,
        owner: Address,
        count: usize,
    ) -> Result<Vec<GeneratedKey>, SignError> {
        check_key_request(&self.policy, owner, count)?;
        let withdrawal_credentials = self.policy.withdrawal_credentials()?;
        let mut out = Vec::with_capacity(count);
        for _ in 0..count {
            // The keyring stores the evidence in the key's own record, written once and atomically
            // with the sealed secret, before anything is returned: a lost response loses no
            // evidence (`key_attestation` serves it again), and a failed attestation stores no key.
            let attest = |pubkey| {
                let claim = KeyGenerationClaim {
                    pubkey,
                    withdrawal_credentials,
                    owner,
                    chain_id: self.policy.network.chain_id,
                    genesis_validators_root: self.policy.network.genesis_validators_root,
                    policy_hash: self.policy_hash,
                };
                self.attester.attest(&claim).map_err(|e| e.to_string())
            };
            let (key, attestation) =
                self.keyring
                    .generate(owner, withdrawal_credentials, attest)?;
            let pubkey = key.pubkey;
            let deposit_data = self
                .register_and_sign_deposit(pubkey, withdrawal_credentials)
                .await?;
            out.push(GeneratedKey {
                pubkey,
                owner,
                withdrawal_credentials,
                deposit_data,
                attestation,
                hardware_backed: self.is_hardware_backed(),
            });
            tracing::info!(%pubkey, %owner, "generated validator key");
        }
        Ok(out)
    }

    /// Registers a key P just stored with slashing protection, then signs its 32-ETH deposit to
    /// C, through the same checks as any request.
    async fn register_and_sign_deposit(
        &self,
        pubkey: PublicKeyBytes,
        withdrawal_credentials: B256,
    ) -> Result<DepositData, SignError> {
        self.protection
            .run(move |db| db.register_validators(&[pubkey]))
            .await?
            .map_err(ProtectionError::from)?;
        let message = DepositMessage {
            pubkey,
            withdrawal_credentials,
            amount: DEPOSIT_AMOUNT,
        };
        let request = SignRequest {
            signing_root: None,
            fork_info: None,
            message: SignableMessage::Deposit {
                message,
                genesis_fork_version: self.policy.network.genesis_fork_version,
            },
        };
        let signed = self.sign(&pubkey, &request).await?;
        Ok(DepositData::new(
            &message,
            signed.signature,
            &self.policy.network,
        ))
    }

    /// Imports an EIP-3076 interchange, minified as it was read
    /// ([`MinifiedInterchange::from_json_reader`]): it can only raise watermarks.
    pub async fn import_interchange(
        &self,
        interchange: MinifiedInterchange,
    ) -> Result<ImportSummary, ProtectionError> {
        Ok(self
            .protection
            .run(move |db| db.import_minified(&interchange))
            .await??)
    }

    /// Writes the slashing-protection record of every key to `out` as an EIP-3076 interchange,
    /// one key at a time (memory does not grow with the number of keys). Returns the number of
    /// entries written.
    pub async fn export_interchange(
        &self,
        format: InterchangeFormat,
        out: Box<dyn std::io::Write + Send>,
    ) -> Result<usize, ProtectionError> {
        Ok(self
            .protection
            .run(move |db| db.export_to(out, None, format))
            .await??)
    }

    /// Shrinks the slashing-protection database to its records (see
    /// [`SlashingDatabase::prune`]); decisions never depend on what it drops.
    pub async fn prune(&self) -> Result<PruneSummary, ProtectionError> {
        Ok(self.protection.run(|db| db.prune()).await??)
    }
}

impl Drop for Enclave {
    /// Closes the slashing-protection database (and the anchor, cleanly) before the data
    /// directory's lock is released (fields drop after this), so the next process finds the
    /// file closed and its write-ahead log gone.
    fn drop(&mut self) {
        self.shutdown();
    }
}
