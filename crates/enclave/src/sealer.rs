//! Sealing: how a secret key is stored at rest (DESIGN.md, "Keys").
//!
//! `Sealer` is the seam between P and the hardware: the SGX backend seals to MRENCLAVE through
//! Gramine's encrypted files, the TDX backend to the TD measurement through the TD image's
//! encrypted volume ([`EncryptedMountSealer`]); the `dev` backend writes EIP-2335
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

    /// Seals the validator key `secret` of `pubkey` into a blob to store.
    fn seal(
        &self,
        secret: &[u8; 32],
        pubkey: PublicKeyBytes,
    ) -> Result<serde_json::Value, SealError>;

    /// The validator key secret in a blob [`Sealer::seal`] made.
    fn unseal(&self, sealed: &serde_json::Value) -> Result<Zeroizing<[u8; 32]>, SealError>;

    /// Seals a 32-byte secret of P's own that is not a validator key (the dev attestation
    /// key), under a file-system-safe `name`. The caller checks what it unseals (for instance
    /// against a recorded public address).
    fn seal_secret(&self, secret: &[u8; 32], name: &str) -> Result<serde_json::Value, SealError>;

    /// The secret in a blob [`Sealer::seal_secret`] made.
    fn unseal_secret(&self, sealed: &serde_json::Value) -> Result<Zeroizing<[u8; 32]>, SealError>;
}

/// Why a secret could not be sealed or unsealed.
#[derive(Debug, thiserror::Error)]
pub enum SealError {
    /// The blob was sealed by another backend than the one running.
    #[error("sealed key is for backend {found:?}, this P runs {expected:?}")]
    WrongBackend {
        /// This P's backend.
        expected: &'static str,
        /// The blob's backend.
        found: String,
    },
    /// The dev backend's keystore was refused or did not decrypt.
    #[error("keystore: {0}")]
    Keystore(#[from] KeystoreError),
    /// A sealed file could not be read or written.
    #[error("sealing secret: {0}")]
    Io(#[from] std::io::Error),
    /// A blob or the sealing secret is not in the expected form.
    #[error("{0}")]
    Format(String),
    /// A hardware backend outside its TEE (an SGX enclave with DCAP attestation, a TDX trust
    /// domain).
    #[error("not inside the TEE this backend needs: {0}")]
    NotInEnclave(String),
}

/// The development backend: EIP-2335 keystores under a random password kept in
/// `<data-dir>/dev-sealing.secret` (mode 0600). Insecure by construction; for devnets and tests.
pub struct DevSealer {
    password: Zeroizing<String>,
    kdf: Kdf,
}

impl DevSealer {
    /// The backend name stored with its blobs.
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

    /// Where the dev sealing password lives in `data_dir`.
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

    fn seal_secret(&self, secret: &[u8; 32], _name: &str) -> Result<serde_json::Value, SealError> {
        // An EIP-2335 keystore without a BLS pubkey or path (the secret is not a BLS key): fresh salt,
        // iv and UUID, as `Keystore::encrypt` draws them.
        let mut salt = [0u8; 32];
        let mut iv = [0u8; 16];
        let mut uuid = [0u8; 16];
        for buf in [&mut salt[..], &mut iv[..], &mut uuid[..]] {
            getrandom::fill(buf).map_err(|e| SealError::Format(format!("OS randomness: {e}")))?;
        }
        let uuid = uuid::Builder::from_random_bytes(uuid).into_uuid();
        let keystore = Keystore::encrypt_deterministic(
            secret,
            &self.password,
            self.kdf,
            &salt,
            iv,
            uuid,
            None,
            "",
        )?;
        serde_json::from_str(&keystore.to_json()).map_err(|e| SealError::Format(e.to_string()))
    }

    fn unseal_secret(&self, sealed: &serde_json::Value) -> Result<Zeroizing<[u8; 32]>, SealError> {
        Ok(Keystore::from_value(sealed)?.decrypt(&self.password)?)
    }
}

/// The hardware backends: secrets live as plain files on a mount that the TEE's measured
/// software encrypts, so only that same software reads them back.
///
/// P writes each secret as plain hex to `<dir>/<name>.secret`; what makes it sealed is the mount:
///
/// - SGX ([`EncryptedMountSealer::gramine`]): a Gramine encrypted mount keyed with
///   `_sgx_mrenclave` (the manifest's `fs.mounts` entry, `type = "encrypted"`; see
///   `gramine/lsv.manifest.template`). Only an enclave with the same MRENCLAVE on the same CPU
///   can read it. Not MRSIGNER: a signer-keyed seal would let whoever holds the signing key ship
///   another enclave that unseals every validator key. The manifest, mount included, is part of
///   MRENCLAVE, so a host cannot swap the mount for a plain directory without changing the
///   measurement the vault pins.
/// - TDX ([`EncryptedMountSealer::tdx`]): TDX 1.x has no sealing key, so the TD image (measured
///   into RTMR1/2, which the vault pins through the TD measurement) must mount P's whole data
///   directory (this one, the key records, the slashing-protection database) on a volume it
///   encrypts and authenticates (LUKS2 with dm-integrity) with a key released only to that
///   measurement (from a KMS after it checks the TD's quote, as Phala's dstack does, or from a
///   vTPM sealed to the RTMRs). The same argument holds: a host cannot swap the mount without
///   changing the measurement. P checks that it runs in a TD; the mount is the image's duty.
///
/// The sealer refuses to start unless the TEE is there: Gramine reports DCAP attestation
/// (`<attestation root>/attestation_type` is `dcap`), or configfs-tsm's provider is
/// `tdx_guest`.
pub struct EncryptedMountSealer {
    dir: PathBuf,
    backend: &'static str,
}

impl EncryptedMountSealer {
    /// The backend name stored with blobs sealed by a Gramine enclave.
    pub const GRAMINE: &'static str = "sgx-gramine-mrenclave";
    /// The backend name stored with blobs sealed in a TD.
    pub const TDX: &'static str = "tdx-encrypted-volume";

    /// Opens the sealed directory `dir` (on Gramine's encrypted mount), after checking that
    /// Gramine at `attestation_root` (normally `/dev/attestation`) reports DCAP.
    pub fn gramine(dir: &Path, attestation_root: &Path) -> Result<Self, SealError> {
        lsv_attestation::gramine::require_dcap(attestation_root)
            .map_err(|e| SealError::NotInEnclave(e.to_string()))?;
        Self::open(dir, Self::GRAMINE)
    }

    /// Opens the sealed directory `dir` (on the TD image's encrypted volume), after checking
    /// that configfs-tsm at `tsm_root` (normally `/sys/kernel/config/tsm/report`) is TDX's.
    pub fn tdx(dir: &Path, tsm_root: &Path) -> Result<Self, SealError> {
        lsv_attestation::TdxDcapAttester::open(tsm_root)
            .map_err(|e| SealError::NotInEnclave(e.to_string()))?;
        Self::open(dir, Self::TDX)
    }

    fn open(dir: &Path, backend: &'static str) -> Result<Self, SealError> {
        crate::fsutil::create_private_dir(dir)?;
        Ok(Self {
            dir: dir.to_owned(),
            backend,
        })
    }

    fn write(&self, secret: &[u8; 32], name: &str) -> Result<serde_json::Value, SealError> {
        let file = Self::file_name(name)?;
        let text = Zeroizing::new(hex::encode(secret));
        crate::fsutil::write_file_atomic(&self.dir.join(&file), text.as_bytes(), true)?;
        Ok(serde_json::json!({ "file": file }))
    }

    fn read(&self, sealed: &serde_json::Value) -> Result<Zeroizing<[u8; 32]>, SealError> {
        let name = sealed
            .get("file")
            .and_then(|f| f.as_str())
            .and_then(|f| f.strip_suffix(".secret"))
            .ok_or_else(|| SealError::Format("sealed blob has no \"file\"".into()))?;
        let file = Self::file_name(name)?;
        let text = Zeroizing::new(std::fs::read_to_string(self.dir.join(&file))?);
        let mut secret = Zeroizing::new([0u8; 32]);
        hex::decode_to_slice(text.trim(), secret.as_mut())
            .map_err(|_| SealError::Format(format!("{file} does not hold 32 bytes of hex")))?;
        Ok(secret)
    }

    /// `<name>.secret`, for names of ASCII letters, digits, `-` and `_` only: a sealed blob
    /// read from the (untrusted) key directory cannot point outside the sealed directory.
    fn file_name(name: &str) -> Result<String, SealError> {
        let safe = !name.is_empty()
            && name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if !safe {
            return Err(SealError::Format(format!(
                "{name:?} is not a sealed file name"
            )));
        }
        Ok(format!("{name}.secret"))
    }
}

impl Sealer for EncryptedMountSealer {
    fn backend(&self) -> &'static str {
        self.backend
    }

    fn is_hardware_backed(&self) -> bool {
        true
    }

    fn seal(
        &self,
        secret: &[u8; 32],
        pubkey: PublicKeyBytes,
    ) -> Result<serde_json::Value, SealError> {
        self.write(secret, &hex::encode(pubkey.0))
    }

    fn unseal(&self, sealed: &serde_json::Value) -> Result<Zeroizing<[u8; 32]>, SealError> {
        self.read(sealed)
    }

    fn seal_secret(&self, secret: &[u8; 32], name: &str) -> Result<serde_json::Value, SealError> {
        self.write(secret, name)
    }

    fn unseal_secret(&self, sealed: &serde_json::Value) -> Result<Zeroizing<[u8; 32]>, SealError> {
        self.read(sealed)
    }
}
