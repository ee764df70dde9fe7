//! The keyring: BLS keys generated inside P, sealed at rest, held in memory while P runs.
//!
//! There is no import of outside keys and no export of secrets: a key exists because P made it
//! from the OS's randomness, and it leaves P only as signatures.

use crate::fsutil;
use crate::sealer::{SealError, Sealer};
use alloy_primitives::{Address, B256};
use blst::min_pk::SecretKey;
use lsv_attestation::multi::DeviceEvidence;
use lsv_attestation::Evidence;
use lsv_consensus::{PublicKeyBytes, SignatureBytes};
use parking_lot::RwLock;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use zeroize::Zeroizing;

/// The BLS ciphersuite of the consensus layer (`specs/phase0/beacon-chain.md` "BLS signatures":
/// proof-of-possession scheme, G2 signatures).
pub const BLS_DST: &[u8] = b"BLS_SIG_BLS12381G2_XMD:SHA-256_SSWU_RO_POP_";

/// One key in memory. The secret is zeroized when the last reference drops (blst does it).
pub struct ValidatorKey {
    /// Its public key.
    pub pubkey: PublicKeyBytes,
    /// The owner bound at its generation.
    pub owner: Address,
    /// The credentials bound at its generation: `0x02 ‖ 0^11 ‖ C`.
    pub withdrawal_credentials: B256,
    /// The evidence of this key's generation, as recorded with it; `None` for a key made before
    /// P recorded evidence (record version 1).
    pub attestation: Option<Evidence>,
    /// For a share of a key held on several devices: this device's evidence, whose claim names
    /// its index, the threshold and every share key. `pubkey` is then the group's key and the
    /// secret this device's share of it, so every signature this key makes is a partial one.
    pub device: Option<DeviceEvidence>,
    /// The freshness anchor P ran with when it made this key (its id); `None` for a key made
    /// without one. P signs with a key only under the anchor it was made under (or, for a key
    /// made without one, under any): a host that deletes the anchor and the slashing record
    /// together cannot get the key's record started afresh.
    pub anchor: Option<B256>,
    secret: SecretKey,
}

impl ValidatorKey {
    /// Signs a root P computed itself. Private to the crate: nothing outside P can ask for a
    /// signature over an arbitrary root.
    pub(crate) fn sign_root(&self, root: &B256) -> SignatureBytes {
        SignatureBytes(self.secret.sign(root.as_slice(), BLS_DST, &[]).compress())
    }
}

impl std::fmt::Debug for ValidatorKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ValidatorKey")
            .field("pubkey", &self.pubkey)
            .finish_non_exhaustive()
    }
}

/// A key's file at rest: versioned, so later formats can be told apart.
///
/// `anchor` (any version) names the freshness anchor the key was made under (DESIGN.md
/// "Freshness"); absent for a key made without one.
///
/// Version 2 carries the key's generation evidence beside its sealed secret, in the same file,
/// so that the key and its evidence become durable in one atomic write: there is never a key
/// without its evidence, nor evidence without its key. The evidence is public and not sealed.
/// Version 1 (written before P recorded evidence) has none and still loads.
#[derive(Serialize, Deserialize)]
struct KeyRecord {
    version: u32,
    pubkey: PublicKeyBytes,
    owner: Address,
    withdrawal_credentials: B256,
    genesis_validators_root: B256,
    created_unix: u64,
    sealed: SealedSecret,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    attestation: Option<Evidence>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    device: Option<DeviceEvidence>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    anchor: Option<B256>,
}

#[derive(Serialize, Deserialize)]
struct SealedSecret {
    backend: String,
    blob: serde_json::Value,
}

/// The version P writes: with evidence.
const RECORD_VERSION: u32 = 2;
/// Records written before P kept evidence: loaded, never written.
const RECORD_VERSION_WITHOUT_EVIDENCE: u32 = 1;
/// A share of a key held on several devices, with this device's evidence (`device`) and no
/// single-key `attestation`. A P that predates shares refuses the record (unknown version)
/// rather than mistake the share for the group's key.
const RECORD_VERSION_SHARE: u32 = 3;

/// Why the keyring could not load, make or store a key.
#[derive(Debug, thiserror::Error)]
pub enum KeyringError {
    /// The key directory or a key's file could not be read or written.
    #[error("key store I/O at {path}: {source}")]
    Io {
        /// The directory or file.
        path: PathBuf,
        /// What the file system said.
        source: std::io::Error,
    },
    /// A key's file is not a key record P reads (version, network, pubkey).
    #[error("key file {path} is unreadable: {reason}")]
    BadRecord {
        /// The key's file.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// A key's secret could not be sealed or unsealed.
    #[error("key file {path}: {source}")]
    Seal {
        /// The key's file.
        path: PathBuf,
        /// What the sealer said.
        source: SealError,
    },
    /// The OS gave no randomness for a new key.
    #[error("OS randomness unavailable: {0}")]
    Randomness(String),
    /// The attester failed or returned evidence for another claim; no key was stored.
    #[error("attestation of {pubkey}: {reason}")]
    Attestation {
        /// The new key, which was not stored.
        pubkey: PublicKeyBytes,
        /// What the attester said, or how its evidence differs from the claim.
        reason: String,
    },
}

/// P's validator keys: loaded and unsealed at start, made only by [`Keyring::generate`], each
/// stored as a versioned record under the data directory's `keys/`.
pub struct Keyring {
    dir: PathBuf,
    sealer: Arc<dyn Sealer>,
    genesis_validators_root: B256,
    keys: RwLock<HashMap<PublicKeyBytes, Arc<ValidatorKey>>>,
    /// The anchor new keys are bound to ([`Keyring::bind_to_anchor`]).
    anchor: RwLock<Option<B256>>,
}

impl Keyring {
    /// Opens the key directory and unseals every key in it (in parallel: a KDF per key).
    pub fn open(
        dir: &Path,
        sealer: Arc<dyn Sealer>,
        genesis_validators_root: B256,
    ) -> Result<Self, KeyringError> {
        fsutil::create_private_dir(dir).map_err(|source| KeyringError::Io {
            path: dir.into(),
            source,
        })?;
        let mut paths = Vec::new();
        let entries = std::fs::read_dir(dir).map_err(|source| KeyringError::Io {
            path: dir.into(),
            source,
        })?;
        for entry in entries {
            let path = entry
                .map_err(|source| KeyringError::Io {
                    path: dir.into(),
                    source,
                })?
                .path();
            let is_key = path.extension().is_some_and(|e| e == "json")
                && !path
                    .file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| n.starts_with('.'));
            if is_key {
                paths.push(path);
            }
        }
        paths.sort();
        let threads = std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
            .min(paths.len().max(1));
        let chunk = paths.len().div_ceil(threads).max(1);
        let loaded: Vec<Result<ValidatorKey, KeyringError>> = std::thread::scope(|s| {
            let handles: Vec<_> = paths
                .chunks(chunk)
                .map(|part| {
                    let sealer = &sealer;
                    s.spawn(move || {
                        part.iter()
                            .map(|p| load_record(p, sealer.as_ref(), genesis_validators_root))
                            .collect::<Vec<_>>()
                    })
                })
                .collect();
            handles
                .into_iter()
                .flat_map(|h| h.join().expect("unseal thread panicked"))
                .collect()
        });
        let mut keys = HashMap::new();
        for key in loaded {
            let key = key?;
            keys.insert(key.pubkey, Arc::new(key));
        }
        Ok(Self {
            dir: dir.to_owned(),
            sealer,
            genesis_validators_root,
            keys: RwLock::new(keys),
            anchor: RwLock::new(None),
        })
    }

    /// Generates a key from the OS's randomness, asks `attest` for the evidence of its
    /// generation, seals the secret, makes the record (evidence included) durable in one atomic
    /// write, and only then makes the key usable. If `attest` fails, nothing is stored and the
    /// secret is dropped: no key exists without its evidence.
    ///
    /// `attest` receives the new public key; the evidence it returns must claim exactly this
    /// key, `owner`, `withdrawal_credentials` and the keyring's genesis validators root.
    /// Returns the key and that evidence (also the key's [`ValidatorKey::attestation`]).
    pub fn generate(
        &self,
        owner: Address,
        withdrawal_credentials: B256,
        attest: impl FnOnce(PublicKeyBytes) -> Result<Evidence, String>,
    ) -> Result<(Arc<ValidatorKey>, Evidence), KeyringError> {
        let mut ikm = Zeroizing::new([0u8; 32]);
        getrandom::fill(ikm.as_mut()).map_err(|e| KeyringError::Randomness(e.to_string()))?;
        // IETF BLS KeyGen (draft-irtf-cfrg-bls-signature §2.3) from 32 bytes of IKM.
        let secret = SecretKey::key_gen(ikm.as_ref(), &[])
            .map_err(|e| KeyringError::Randomness(format!("{e:?}")))?;
        let pubkey = PublicKeyBytes(secret.sk_to_pk().compress());
        let attestation =
            attest(pubkey).map_err(|reason| KeyringError::Attestation { pubkey, reason })?;
        check_evidence(
            &attestation,
            pubkey,
            owner,
            withdrawal_credentials,
            self.genesis_validators_root,
        )
        .map_err(|reason| KeyringError::Attestation { pubkey, reason })?;
        let key = self.store(
            ValidatorKey {
                pubkey,
                owner,
                withdrawal_credentials,
                attestation: Some(attestation.clone()),
                device: None,
                anchor: *self.anchor.read(),
                secret,
            },
            RECORD_VERSION,
        )?;
        Ok((key, attestation))
    }

    /// Stores this device's share of a group key from a finished key generation, under the
    /// group's key: seals the share, makes the record (with the device's evidence) durable in
    /// one atomic write, and only then makes it usable. Refuses a group key P already holds.
    pub fn store_share(
        &self,
        secret: SecretKey,
        evidence: DeviceEvidence,
    ) -> Result<Arc<ValidatorKey>, KeyringError> {
        let group = evidence.claim.group;
        let pubkey = group.pubkey;
        let path = self.path_for(&pubkey);
        check_share(&evidence, &secret, self.genesis_validators_root).map_err(|reason| {
            KeyringError::Attestation {
                pubkey,
                reason: reason.to_owned(),
            }
        })?;
        if self.keys.read().contains_key(&pubkey) || path.exists() {
            return Err(KeyringError::BadRecord {
                path,
                reason: "P already holds this key".into(),
            });
        }
        self.store(
            ValidatorKey {
                pubkey,
                owner: group.owner,
                withdrawal_credentials: group.withdrawal_credentials,
                attestation: None,
                device: Some(evidence),
                anchor: *self.anchor.read(),
                secret,
            },
            RECORD_VERSION_SHARE,
        )
    }

    /// Seals `key`'s secret (as the key its secret is: a share is sealed as the share key, and
    /// the sealer checks the pair on unsealing), makes its record durable in one atomic write,
    /// and only then makes it usable.
    fn store(&self, key: ValidatorKey, version: u32) -> Result<Arc<ValidatorKey>, KeyringError> {
        let path = self.path_for(&key.pubkey);
        let secret_bytes = Zeroizing::new(key.secret.to_bytes());
        let sealed_as = PublicKeyBytes(key.secret.sk_to_pk().compress());
        let blob = self
            .sealer
            .seal(&secret_bytes, sealed_as)
            .map_err(|source| KeyringError::Seal {
                path: path.clone(),
                source,
            })?;
        let record = KeyRecord {
            version,
            pubkey: key.pubkey,
            owner: key.owner,
            withdrawal_credentials: key.withdrawal_credentials,
            genesis_validators_root: self.genesis_validators_root,
            created_unix: std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_secs())
                .unwrap_or(0),
            sealed: SealedSecret {
                backend: self.sealer.backend().to_owned(),
                blob,
            },
            attestation: key.attestation.clone(),
            device: key.device.clone(),
            anchor: key.anchor,
        };
        let json = serde_json::to_vec_pretty(&record).expect("key record serializes");
        fsutil::write_file_atomic(&path, &json, true)
            .map_err(|source| KeyringError::Io { path, source })?;
        let key = Arc::new(key);
        self.keys.write().insert(key.pubkey, key.clone());
        Ok(key)
    }

    /// Binds the keys made from now on to `anchor`, after checking that every key held was
    /// made under it or under none. Returns the first key made under another anchor, if any
    /// (P must not start: that key's record belongs to an anchor it does not run with).
    pub fn bind_to_anchor(&self, anchor: Option<B256>) -> Result<(), (PublicKeyBytes, B256)> {
        let keys = self.keys.read();
        let mut foreign: Vec<_> = keys
            .values()
            .filter_map(|k| {
                k.anchor
                    .filter(|a| Some(*a) != anchor)
                    .map(|a| (k.pubkey, a))
            })
            .collect();
        foreign.sort();
        if let Some(first) = foreign.first() {
            return Err(*first);
        }
        *self.anchor.write() = anchor;
        Ok(())
    }

    /// Rewrites the records of the keys made under anchor `from` to name anchor `to` (a move
    /// of the slashing record, [`crate::anchor::move_anchor`]); each record in one atomic
    /// write, so a stop part-way leaves some rebound and the rest for the next run. The number
    /// rebound.
    pub fn rebind_anchor(&self, from: B256, to: B256) -> Result<usize, KeyringError> {
        let mut rebound = 0;
        for pubkey in self.pubkeys() {
            let path = self.path_for(&pubkey);
            let bytes = std::fs::read(&path).map_err(|source| KeyringError::Io {
                path: path.clone(),
                source,
            })?;
            let mut record: KeyRecord =
                serde_json::from_slice(&bytes).map_err(|e| KeyringError::BadRecord {
                    path: path.clone(),
                    reason: e.to_string(),
                })?;
            if record.anchor != Some(from) {
                continue;
            }
            record.anchor = Some(to);
            let json = serde_json::to_vec_pretty(&record).expect("key record serializes");
            fsutil::write_file_atomic(&path, &json, true)
                .map_err(|source| KeyringError::Io { path, source })?;
            rebound += 1;
        }
        Ok(rebound)
    }

    /// The key `pubkey`, if P holds it.
    pub fn get(&self, pubkey: &PublicKeyBytes) -> Option<Arc<ValidatorKey>> {
        self.keys.read().get(pubkey).cloned()
    }

    /// Every public key, sorted.
    pub fn pubkeys(&self) -> Vec<PublicKeyBytes> {
        let mut v: Vec<_> = self.keys.read().keys().copied().collect();
        v.sort();
        v
    }

    /// How many keys P holds.
    pub fn len(&self) -> usize {
        self.keys.read().len()
    }

    /// Whether P holds no key.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether the sealer is hardware-backed.
    pub fn is_hardware_backed(&self) -> bool {
        self.sealer.is_hardware_backed()
    }

    /// The sealer's backend name.
    pub fn backend(&self) -> &'static str {
        self.sealer.backend()
    }

    fn path_for(&self, pubkey: &PublicKeyBytes) -> PathBuf {
        self.dir.join(format!("{}.json", hex::encode(pubkey.0)))
    }
}

fn load_record(path: &Path, sealer: &dyn Sealer, gvr: B256) -> Result<ValidatorKey, KeyringError> {
    let bad = |reason: String| KeyringError::BadRecord {
        path: path.into(),
        reason,
    };
    let bytes = std::fs::read(path).map_err(|source| KeyringError::Io {
        path: path.into(),
        source,
    })?;
    let record: KeyRecord = serde_json::from_slice(&bytes).map_err(|e| bad(e.to_string()))?;
    match (record.version, &record.attestation, &record.device) {
        (RECORD_VERSION, Some(_), None)
        | (RECORD_VERSION_WITHOUT_EVIDENCE, None, None)
        | (RECORD_VERSION_SHARE, None, Some(_)) => {}
        (RECORD_VERSION_SHARE, _, _) => {
            return Err(bad(format!(
                "record version {RECORD_VERSION_SHARE} carries the device's evidence and no other"
            )))
        }
        (_, _, Some(_)) => {
            return Err(bad(format!(
                "only record version {RECORD_VERSION_SHARE} carries a device's evidence"
            )))
        }
        (RECORD_VERSION, None, _) => {
            return Err(bad(format!(
                "record version {RECORD_VERSION} must carry the key's attestation"
            )))
        }
        (RECORD_VERSION_WITHOUT_EVIDENCE, Some(_), _) => {
            return Err(bad(format!(
                "record version {RECORD_VERSION_WITHOUT_EVIDENCE} carries no attestation"
            )))
        }
        (v, _, _) => return Err(bad(format!("record version {v} is not supported"))),
    }
    if record.genesis_validators_root != gvr {
        return Err(bad("the key was made for another network".into()));
    }
    if let Some(evidence) = &record.attestation {
        check_evidence(
            evidence,
            record.pubkey,
            record.owner,
            record.withdrawal_credentials,
            gvr,
        )
        .map_err(|reason| bad(format!("attestation: {reason}")))?;
    }
    if record.sealed.backend != sealer.backend() {
        return Err(KeyringError::Seal {
            path: path.into(),
            source: SealError::WrongBackend {
                expected: sealer.backend(),
                found: record.sealed.backend,
            },
        });
    }
    let secret_bytes = sealer
        .unseal(&record.sealed.blob)
        .map_err(|source| KeyringError::Seal {
            path: path.into(),
            source,
        })?;
    let secret = SecretKey::from_bytes(secret_bytes.as_ref())
        .map_err(|_| bad("sealed secret is not a BLS key".into()))?;
    if let Some(device) = &record.device {
        let group = &device.claim.group;
        if (group.pubkey, group.owner, group.withdrawal_credentials)
            != (record.pubkey, record.owner, record.withdrawal_credentials)
        {
            return Err(bad(
                "the device evidence claims another key, owner or credentials".into(),
            ));
        }
        check_share(device, &secret, gvr).map_err(|r| bad(r.into()))?;
    } else if secret.sk_to_pk().compress() != record.pubkey.0 {
        return Err(bad(
            "sealed secret does not match the recorded public key".into()
        ));
    }
    Ok(ValidatorKey {
        pubkey: record.pubkey,
        owner: record.owner,
        withdrawal_credentials: record.withdrawal_credentials,
        attestation: record.attestation,
        device: record.device,
        anchor: record.anchor,
        secret,
    })
}

/// That a share's secret is the one its device evidence names, on this network.
fn check_share(
    evidence: &DeviceEvidence,
    secret: &SecretKey,
    genesis_validators_root: B256,
) -> Result<(), &'static str> {
    if evidence.claim.group.genesis_validators_root != genesis_validators_root {
        return Err("the share was made for another network");
    }
    if evidence.claim.share_pubkey().map(|k| k.0) != Some(secret.sk_to_pk().compress()) {
        return Err("the sealed share does not match the device evidence's share key");
    }
    Ok(())
}

/// That `evidence` claims this key for this owner, credentials and network. (The evidence's
/// own parse already checked that its binding is the hash of its claim.)
fn check_evidence(
    evidence: &Evidence,
    pubkey: PublicKeyBytes,
    owner: Address,
    withdrawal_credentials: B256,
    genesis_validators_root: B256,
) -> Result<(), String> {
    let claim = evidence.claim();
    let mismatch = if claim.pubkey != pubkey {
        "public key"
    } else if claim.owner != owner {
        "owner"
    } else if claim.withdrawal_credentials != withdrawal_credentials {
        "withdrawal credentials"
    } else if claim.genesis_validators_root != genesis_validators_root {
        "genesis validators root"
    } else {
        return Ok(());
    };
    Err(format!(
        "the evidence claims another {mismatch} than the key's"
    ))
}
