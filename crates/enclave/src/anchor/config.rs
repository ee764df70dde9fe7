//! The anchor's configuration and its file, `<data-dir>/anchor.json`.
//!
//! The file holds the anchor's public configuration (which TPM indices, the epoch mapping) and
//! a 32-byte secret sealed by P's sealer. Everything P needs to prove it is P to the anchor
//! (the TPM indices' authorization value) and to trust the configuration (a MAC over it) is
//! derived from that secret, so a host that edits the configuration (to shift the epoch
//! mapping, say) or swaps in its own file is refused at start.

use super::AnchorError;
use crate::fsutil;
use crate::sealer::Sealer;
use hmac::{Hmac, Mac};
use lsv_consensus::{Epoch, B256};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use zeroize::Zeroizing;

/// The anchor's file in the data directory.
pub const ANCHOR_FILE: &str = "anchor.json";
/// The anchor a move is taking the record to, until the move is done ([`super::move_anchor`]).
pub const NEXT_ANCHOR_FILE: &str = "anchor.next.json";

const FILE_VERSION: u32 = 1;

/// The highest epoch the anchor reserves: its slots (at most 64 an epoch in any preset) still
/// fit the slashing database.
const MAX_EPOCH: u64 = lsv_slashing_protection::MAX_STORABLE / 64;

/// Which anchor, and how its reservation counter maps to epochs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AnchorConfig {
    /// The backend and where its counters live.
    pub backend: BackendConfig,
    /// Epochs each step of the reservation counter reserves.
    pub reserve_epochs: u64,
    /// Where the counters stood when the anchor was made; `None` while it is being made.
    pub origin: Option<Origin>,
    /// For an anchor the record moved to from another ([`super::move_anchor`]): that one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous: Option<Previous>,
}

/// The anchor a record moved from, and the session of the move on it: named in the new
/// anchor's configuration, so a move cut short is finished by the same P data, and only it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Previous {
    /// The old anchor's id.
    pub anchor: B256,
    /// The session the move opened on the old anchor.
    pub session: u64,
    /// The old anchor's retirement counter before the move moved it.
    pub retired: u64,
}

/// The anchor's starting point: the reservation counter's first value and the epoch it stands
/// for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Origin {
    /// The reservation counter's value when the anchor was made.
    pub reserved: u64,
    /// The epoch that value stands for (the current epoch when the anchor was made).
    pub first_epoch: u64,
    /// The retirement counter's value when the anchor was made: the anchor is live while it
    /// stays there.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub retired: u64,
}

fn is_zero(v: &u64) -> bool {
    *v == 0
}

/// Where an anchor's counters live.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum BackendConfig {
    /// Two NV counters of a TPM 2.0.
    Tpm2 {
        /// The session counter's NV index.
        session_index: u32,
        /// The reservation counter's NV index.
        reserved_index: u32,
        /// The retirement counter's NV index; `None` for an anchor made before anchors could
        /// move (it cannot be retired, so its record cannot move).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        retired_index: Option<u32>,
    },
    /// Two counters kept by a quorum of other Ps ([`super::witness`]).
    Witness {
        /// The record the witnesses keep for this anchor (random, made with the anchor).
        record: B256,
        /// The witnesses, by the address each signs its answers with.
        witnesses: Vec<lsv_consensus::Address>,
        /// How many of them may be rolled back by their hosts: the quorum is
        /// `⌊(n + faults) / 2⌋ + 1`.
        faults: usize,
    },
    /// Counters in this process's memory ([`super::memory`]): tests only, never an anchor.
    Memory,
}

impl AnchorConfig {
    /// The anchor's identity: a hash of its configuration, recorded in the slashing database.
    pub fn id(&self) -> B256 {
        let json = serde_json::to_vec(self).expect("the configuration serialises");
        B256::from_slice(
            &Sha256::new_with_prefix(b"lsv/anchor/v1\0")
                .chain_update(json)
                .finalize(),
        )
    }

    /// Refuses counters that show the anchor retired ([`AnchorError::Retired`]).
    pub fn check_live(&self, id: B256, counters: &super::Counters) -> Result<(), AnchorError> {
        let origin = self.origin.map_or(0, |o| o.retired);
        if counters.retired != origin {
            return Err(AnchorError::Retired(id));
        }
        Ok(())
    }

    /// The first epoch not reserved once the reservation counter stands at `reserved`.
    pub fn epoch_end(&self, reserved: u64) -> Result<Epoch, AnchorError> {
        let origin = self.origin.ok_or_else(|| AnchorError::Backend {
            backend: "anchor",
            message: "the anchor was never finished (no origin)".into(),
        })?;
        let steps = reserved
            .checked_sub(origin.reserved)
            .ok_or(AnchorError::Backend {
                backend: "anchor",
                message: format!(
                    "the reservation counter reads {reserved}, below its origin {}: not this \
                 anchor's counter",
                    origin.reserved
                ),
            })?;
        steps
            .checked_mul(self.reserve_epochs)
            .and_then(|e| e.checked_add(origin.first_epoch))
            .filter(|e| *e <= MAX_EPOCH)
            .map(Epoch)
            .ok_or(AnchorError::EpochOutOfRange(Epoch(u64::MAX)))
    }
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileJson {
    version: u32,
    sealer: String,
    sealed: serde_json::Value,
    config: AnchorConfig,
    mac: B256,
}

/// `anchor.json`, loaded: the configuration, checked against its MAC, and the secret.
pub struct AnchorFile {
    path: PathBuf,
    /// The configuration.
    pub config: AnchorConfig,
    secret: Zeroizing<[u8; 32]>,
    sealed: serde_json::Value,
    sealer: String,
}

impl AnchorFile {
    /// Loads `<data_dir>/anchor.json`; `None` if there is none.
    pub fn load(data_dir: &Path, sealer: &dyn Sealer) -> Result<Option<Self>, AnchorError> {
        Self::load_named(data_dir, ANCHOR_FILE, sealer)
    }

    /// Loads `<data_dir>/<name>`; `None` if there is none.
    pub fn load_named(
        data_dir: &Path,
        name: &str,
        sealer: &dyn Sealer,
    ) -> Result<Option<Self>, AnchorError> {
        let path = data_dir.join(name);
        let bad = |message: String| AnchorError::File {
            path: path.clone(),
            message,
        };
        let bytes = match std::fs::read(&path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(bad(e.to_string())),
        };
        let file: FileJson = serde_json::from_slice(&bytes).map_err(|e| bad(e.to_string()))?;
        if file.version != FILE_VERSION {
            return Err(bad(format!("version {} is not supported", file.version)));
        }
        if file.sealer != sealer.backend() {
            return Err(bad(format!(
                "sealed by {:?}, this P seals with {:?}",
                file.sealer,
                sealer.backend()
            )));
        }
        let secret = sealer
            .unseal_secret(&file.sealed)
            .map_err(|e| bad(e.to_string()))?;
        let loaded = Self {
            path: path.clone(),
            config: file.config,
            secret,
            sealed: file.sealed,
            sealer: file.sealer,
        };
        loaded
            .mac()
            .verify_slice(file.mac.as_slice())
            .map_err(|_| bad("its MAC does not verify: the configuration was altered".into()))?;
        Ok(Some(loaded))
    }

    /// Makes a new anchor file `<data_dir>/<name>` with a fresh secret and `config` (no origin
    /// yet) and writes it.
    pub fn create(
        data_dir: &Path,
        name: &str,
        sealer: &dyn Sealer,
        config: AnchorConfig,
    ) -> Result<Self, AnchorError> {
        let path = data_dir.join(name);
        let mut secret = Zeroizing::new([0u8; 32]);
        getrandom::fill(secret.as_mut()).map_err(|e| AnchorError::File {
            path: path.clone(),
            message: format!("no randomness: {e}"),
        })?;
        let sealed = sealer
            .seal_secret(&secret, "anchor")
            .map_err(|e| AnchorError::File {
                path: path.clone(),
                message: e.to_string(),
            })?;
        let file = Self {
            path,
            config,
            secret,
            sealed,
            sealer: sealer.backend().to_owned(),
        };
        file.write()?;
        Ok(file)
    }

    /// Records the origin, once the counters exist, and writes the file again.
    pub fn set_origin(&mut self, origin: Origin) -> Result<(), AnchorError> {
        self.config.origin = Some(origin);
        self.write()
    }

    /// Records the anchor a move comes from, and writes the file again.
    pub fn set_previous(&mut self, previous: Previous) -> Result<(), AnchorError> {
        self.config.previous = Some(previous);
        self.write()
    }

    /// Puts this file in the place of `<data_dir>/anchor.json`, in one rename.
    pub fn install(self, data_dir: &Path) -> Result<(), AnchorError> {
        let target = data_dir.join(ANCHOR_FILE);
        fsutil::rename_durably(&self.path, &target).map_err(|e| AnchorError::File {
            path: target,
            message: e.to_string(),
        })
    }

    /// A 32-byte key for `purpose`, derived from the sealed secret.
    pub fn derive(&self, purpose: &str) -> Zeroizing<[u8; 32]> {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(self.secret.as_slice())
            .expect("HMAC takes any key length");
        mac.update(b"lsv/anchor/");
        mac.update(purpose.as_bytes());
        Zeroizing::new(mac.finalize().into_bytes().into())
    }

    fn mac(&self) -> Hmac<Sha256> {
        let key = self.derive("file-mac");
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key.as_slice())
            .expect("HMAC takes any key length");
        mac.update(&serde_json::to_vec(&self.config).expect("the configuration serialises"));
        mac
    }

    fn write(&self) -> Result<(), AnchorError> {
        let json = FileJson {
            version: FILE_VERSION,
            sealer: self.sealer.clone(),
            sealed: self.sealed.clone(),
            config: self.config.clone(),
            mac: B256::from_slice(&self.mac().finalize().into_bytes()),
        };
        let bytes = serde_json::to_vec_pretty(&json).expect("the file serialises");
        fsutil::write_file_atomic(&self.path, &bytes, true).map_err(|e| AnchorError::File {
            path: self.path.clone(),
            message: e.to_string(),
        })
    }
}
