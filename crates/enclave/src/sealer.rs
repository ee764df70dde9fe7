//! Sealing: how a secret key is stored at rest (DESIGN.md, "Keys").
//!
//! `Sealer` is the seam between P and the hardware: the SGX backend (a later issue) seals to
//! MRENCLAVE through Gramine's encrypted files; the `dev` backend here writes EIP-2335
//! keystores whose password sits in the data directory beside them. That keeps the at-rest
//! format standard and testable, and it is NOT secret from the host: the dev backend protects
//! nothing against whoever can read the data directory, and says so.

use crate::keystore::{Kdf, Keystore, KeystoreError};
use lsv_consensus::PublicKeyBytes;
use std::path::{Path, PathBuf};
use zeroize::Zeroizing;

/// Seals and unseals 32-byte BLS secret keys.
pub trait Sealer: Send + Sync + 'static {
    /// A stable name stored with every sealed key, so a blob is never handed to the wrong backend.
    fn backend(&self) -> &'static str;

    /// Whether the sealing is hardware-backed. Everything that reports on keys says so.
    fn is_hardware_backed(&self) -> bool;

    fn seal(
        &self,
        secret: &[u8; 32],
        pubkey: PublicKeyBytes,
    ) -> Result<serde_json::Value, SealError>;

    fn unseal(&self, sealed: &serde_json::Value) -> Result<Zeroizing<[u8; 32]>, SealError>;
}

#[derive(Debug, thiserror::Error)]
pub enum SealError {
    #[error("sealed key is for backend {found:?}, this P runs {expected:?}")]
    WrongBackend {
        expected: &'static str,
        found: String,
    },
    #[error("keystore: {0}")]
    Keystore(#[from] KeystoreError),
    #[error("sealing secret: {0}")]
    Io(#[from] std::io::Error),
    #[error("{0}")]
    Format(String),
}

/// The development backend: EIP-2335 keystores under a random password kept in
/// `<data-dir>/dev-sealing.secret` (mode 0600). Insecure by construction; for devnets and tests.
pub struct DevSealer {
    password: Zeroizing<String>,
    kdf: Kdf,
}

impl DevSealer {
    pub const BACKEND: &'static str = "dev-eip2335";
    const SECRET_FILE: &'static str = "dev-sealing.secret";

    /// The KDF cost a fresh dev keystore gets: the EIP-2335 example's PBKDF2 iteration count.
    pub const DEFAULT_KDF: Kdf = Kdf::Pbkdf2 { c: 262_144 };

    /// Opens (or creates) the dev sealing secret in `data_dir`.
    pub fn open(data_dir: &Path, kdf: Kdf) -> Result<Self, SealError> {
        let path = data_dir.join(Self::SECRET_FILE);
        let password = match std::fs::read_to_string(&path) {
            Ok(s) => Zeroizing::new(s.trim().to_owned()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let mut raw = Zeroizing::new([0u8; 32]);
                getrandom::fill(raw.as_mut())
                    .map_err(|e| SealError::Format(format!("OS randomness: {e}")))?;
                let password = Zeroizing::new(hex::encode(raw.as_ref()));
                crate::fsutil::write_file_atomic(&path, password.as_bytes(), true)?;
                password
            }
            Err(e) => return Err(e.into()),
        };
        if password.len() != 64 {
            return Err(SealError::Format(format!(
                "{} is not 32 bytes of hex",
                path.display()
            )));
        }
        Ok(Self { password, kdf })
    }

    pub fn secret_path(data_dir: &Path) -> PathBuf {
        data_dir.join(Self::SECRET_FILE)
    }
}

impl Sealer for DevSealer {
    fn backend(&self) -> &'static str {
        Self::BACKEND
    }

    fn is_hardware_backed(&self) -> bool {
        false
    }

    fn seal(
        &self,
        secret: &[u8; 32],
        pubkey: PublicKeyBytes,
    ) -> Result<serde_json::Value, SealError> {
        let keystore = Keystore::encrypt(secret, &self.password, self.kdf, pubkey, "")?;
        serde_json::from_str(&keystore.to_json()).map_err(|e| SealError::Format(e.to_string()))
    }

    fn unseal(&self, sealed: &serde_json::Value) -> Result<Zeroizing<[u8; 32]>, SealError> {
        // The EIP-2335 checksum does not cover the IV; checking the secret against the
        // keystore's public key catches a tampered one.
        Ok(Keystore::from_value(sealed)?.decrypt_verified(&self.password)?)
    }
}
