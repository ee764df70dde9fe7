//! P's side of attestation (DESIGN.md, "Attestation"): which attester P runs, the dev
//! attestation key it creates and seals on first start, and what P tells a verifier's deployer.

use crate::fsutil;
use crate::sealer::{SealError, Sealer};
use alloy_primitives::{Address, B256};
use lsv_attestation::{Attester, Backend, DevAttester};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use zeroize::Zeroizing;

/// Which attester P runs.
pub enum AttestationConfig {
    /// The dev attestation key, created on first start and sealed with P's sealer in
    /// `<data-dir>/dev-attestation-key.json`. Not hardware-backed.
    Dev,
    /// The dev attestation key given (its 32-byte secret), sealed like [`AttestationConfig::Dev`]'s
    /// on first start; a P that already holds another key is refused. A development stand-in
    /// for what a hardware vendor's root is to its enclaves: the Ps of one dev deployment share
    /// it, so that one `DevAttestationVerifier` accepts the keys of each.
    DevGiven(Zeroizing<[u8; 32]>),
    /// A given attester (for SGX, `lsv_attestation::GramineDcapAttester`).
    Attester(Arc<dyn Attester>),
}

/// The dev attestation key's file: its address in the clear (public), its secret sealed.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct DevKeyRecord {
    version: u32,
    address: Address,
    backend: String,
    sealed: serde_json::Value,
}

const DEV_KEY_VERSION: u32 = 1;
/// The dev attestation key's file in the data directory: its address in the clear, its secret
/// sealed.
pub const DEV_KEY_FILE: &str = "dev-attestation-key.json";

/// Why the dev attestation key could not be loaded or created; P does not start without it.
#[derive(Debug, thiserror::Error)]
pub enum AttestationKeyError {
    /// The file is not a dev attestation key of this version, or its secret is not its address's.
    #[error("sealed key {path}: {reason}")]
    Bad {
        /// The key's file.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// The secret could not be sealed or unsealed.
    #[error("sealed key {path}: {source}")]
    Seal {
        /// The key's file.
        path: PathBuf,
        /// What the sealer said.
        source: SealError,
    },
    /// The dev attestation key given is not a secp256k1 secret, or not the one this P holds.
    #[error("the given dev attestation key: {0}")]
    Given(String),
    /// The file could not be read or written.
    #[error("sealed key {path}: {source}")]
    Io {
        /// The key's file.
        path: PathBuf,
        /// What the file system said.
        source: std::io::Error,
    },
}

/// Loads the dev attestation key from `data_dir`, or seals one on first start: `given`, or a new
/// one. A P whose key is not `given` is refused. The secret is never logged or written in the
/// clear; only the address is.
pub fn load_or_create_dev_attester(
    data_dir: &Path,
    sealer: &dyn Sealer,
    given: Option<&[u8; 32]>,
) -> Result<DevAttester, AttestationKeyError> {
    load_or_create_sealed_key(
        data_dir.join(DEV_KEY_FILE),
        "dev-attestation-key",
        sealer,
        given,
    )
}

/// The device key's file in the data directory (`lsv_attestation::device_key`): its address in
/// the clear, its secret sealed.
pub const DEVICE_KEY_FILE: &str = "device-key.json";

/// Loads P's device key from `data_dir`, or makes and seals one (first use): the key a device
/// registers once with `DeviceRegistry` and that signs its share bindings at key generation.
/// The secret is never logged or written in the clear; only the address is.
pub fn load_or_create_device_key(
    data_dir: &Path,
    sealer: &dyn Sealer,
) -> Result<lsv_attestation::DeviceKey, AttestationKeyError> {
    load_or_create_sealed_key(data_dir.join(DEVICE_KEY_FILE), "device-key", sealer, None)
        .map(lsv_attestation::DeviceKey::from_sealed)
}

/// A secp256k1 key P holds sealed in its own file `path` (the dev attestation key, a witness's
/// key): loaded, or created on first start (`given`, or a new one). `purpose` names it in the
/// sealed blob and the log.
pub(crate) fn load_or_create_sealed_key(
    path: PathBuf,
    purpose: &'static str,
    sealer: &dyn Sealer,
    given: Option<&[u8; 32]>,
) -> Result<DevAttester, AttestationKeyError> {
    let given_secret = given;
    let given = given
        .map(DevAttester::from_secret)
        .transpose()
        .map_err(|e| AttestationKeyError::Given(e.to_string()))?;
    let bad = |reason: String| AttestationKeyError::Bad {
        path: path.clone(),
        reason,
    };
    match std::fs::read(&path) {
        Ok(bytes) => {
            let record: DevKeyRecord =
                serde_json::from_slice(&bytes).map_err(|e| bad(e.to_string()))?;
            if record.version != DEV_KEY_VERSION {
                return Err(bad(format!("version {} is not supported", record.version)));
            }
            if record.backend != sealer.backend() {
                return Err(AttestationKeyError::Seal {
                    path: path.clone(),
                    source: SealError::WrongBackend {
                        expected: sealer.backend(),
                        found: record.backend,
                    },
                });
            }
            let secret = sealer.unseal_secret(&record.sealed).map_err(|source| {
                AttestationKeyError::Seal {
                    path: path.clone(),
                    source,
                }
            })?;
            let attester = DevAttester::from_secret(&secret).map_err(|e| bad(e.to_string()))?;
            // The keystore checksum does not cover its IV: the address catches a tampered one.
            if attester.address() != record.address {
                return Err(bad(
                    "the sealed secret does not match the recorded address".into()
                ));
            }
            if let Some(given) = given.filter(|g| g.address() != attester.address()) {
                return Err(AttestationKeyError::Given(format!(
                    "this P's key is {}, the given one's {}",
                    attester.address(),
                    given.address()
                )));
            }
            Ok(attester)
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let (attester, secret) = match (given, given_secret) {
                (Some(attester), Some(secret)) => (attester, Zeroizing::new(*secret)),
                _ => DevAttester::generate().map_err(|e| bad(e.to_string()))?,
            };
            let sealed = sealer.seal_secret(&secret, purpose).map_err(|source| {
                AttestationKeyError::Seal {
                    path: path.clone(),
                    source,
                }
            })?;
            let record = DevKeyRecord {
                version: DEV_KEY_VERSION,
                address: attester.address(),
                backend: sealer.backend().to_owned(),
                sealed,
            };
            let json = serde_json::to_vec_pretty(&record).map_err(|e| bad(e.to_string()))?;
            fsutil::write_file_atomic(&path, &json, true)
                .map_err(|source| AttestationKeyError::Io { path, source })?;
            tracing::info!(address = %attester.address(), key = purpose, "created a sealed key");
            Ok(attester)
        }
        Err(source) => Err(AttestationKeyError::Io { path, source }),
    }
}

/// What P tells whoever deploys or configures a verifier for it: `lsv attestation` prints it and
/// `GET /eth/v1/lsv/attestation` returns it.
#[derive(Clone, Debug, Serialize)]
pub struct AttestationInfo {
    /// The attestation backend (`dev` or `sgx-dcap`).
    pub backend: Backend,
    /// True only when both sealing and attestation are hardware-backed.
    pub hardware_backed: bool,
    /// Dev only: the address `DevAttestationVerifier` must be deployed with.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attester: Option<Address>,
    /// The vault's `POLICY_HASH` for this P: `sha256(policy_description)`.
    pub policy_hash: B256,
    /// The policy in words, each rule and parameter: what `policy_hash` hashes.
    pub policy_description: String,
    /// The vault's `DOMAIN_TAG`.
    pub domain_tag: B256,
    /// The chain id P's evidence binds.
    pub chain_id: u64,
    /// The pinned network's genesis validators root.
    pub genesis_validators_root: B256,
    /// `0x02 ‖ 0^11 ‖ C`, when C is configured.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub withdrawal_credentials: Option<B256>,
    /// Says the dev backend protects nothing; absent on hardware.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub warning: Option<&'static str>,
}
