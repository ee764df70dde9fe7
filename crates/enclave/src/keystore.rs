//! EIP-2335 BLS12-381 keystores (<https://eips.ethereum.org/EIPS/eip-2335>, now ERC-2335).
//!
//! The development sealing backend stores every BLS secret key as an EIP-2335 keystore. This
//! module parses, validates, writes, encrypts and decrypts such keystores. It only composes the
//! RustCrypto primitives (`scrypt`, `pbkdf2` + `hmac` + `sha2`, `aes` + `ctr`); nothing
//! cryptographic is implemented here.
//!
//! # Format (EIP-2335 "Specification")
//!
//! ```text
//! { "crypto": { "kdf":      { "function": "scrypt" | "pbkdf2", "params": {...}, "message": "" },
//!               "checksum": { "function": "sha256", "params": {}, "message": <32 bytes hex> },
//!               "cipher":   { "function": "aes-128-ctr", "params": { "iv": <16 bytes hex> },
//!                             "message": <ciphertext hex> } },
//!   "description": "...", "pubkey": <48 bytes hex>, "path": "m/12381/3600/0/0/0",
//!   "uuid": "<RFC 4122>", "version": 4 }
//! ```
//!
//! * decryption key `dk = kdf(password)` with `dklen = 32` ("Decryption key");
//! * password check: `sha256(dk[16..32] | cipher.message) == checksum.message`
//!   ("Password verification"); a mismatch is reported as [`KeystoreError::WrongPassword`];
//! * secret: `aes-128-ctr(key = dk[0..16], iv).decrypt(cipher.message)` ("Secret decryption").
//!
//! # What is accepted
//!
//! [`Keystore::from_json`] checks the structure completely before any KDF runs: `version` must
//! be `4`; the `kdf`, `checksum` and `cipher` modules must each have `function`, `params` and
//! `message` (the EIP's JSON schema); the KDF is `scrypt` or `pbkdf2` with `prf` `hmac-sha256`,
//! `dklen` exactly 32 and bounded cost (see [`Kdf::validate`]); the checksum is `sha256` with a
//! 32-byte message; the cipher is `aes-128-ctr` with a 16-byte `iv`; `path` and `uuid` are
//! present. A `null` counts as missing; a value of the wrong JSON type, bad hex or a wrong length
//! is reported with the field's dotted path. Hex may carry an optional `0x` prefix. Unknown extra
//! fields are ignored (as in Web3Signer's `scryptExtraFieldTestVector.json`). `pubkey` and
//! `description` are optional; an empty `pubkey` string counts as absent. The `kdf.message`
//! (empty per the EIP) and the checksum `params` (`{}` per the EIP) are not interpreted. The
//! cipher message may have any length; a secret that is not 32 bytes is refused by
//! [`Keystore::decrypt`] after the password check.
//!
//! # Secret hygiene
//!
//! The normalized password, the decryption key and the plaintext live in [`Zeroizing`] buffers.
//! Neither [`Keystore`]'s `Debug` nor any [`KeystoreError`] contains the password, the key or
//! the secret (the `Debug` of a keystore also omits its ciphertext, checksum, salt and iv, which
//! would allow an offline password search). Internal state of the primitives (the scrypt work
//! buffers, HMAC states, the AES key schedule unless the `aes/zeroize` feature is enabled) is not
//! under this module's control and is not wiped.
//!
//! Note: the EIP-2335 checksum does not cover `cipher.params.iv`, so a tampered `iv` decrypts to
//! a wrong secret without `WrongPassword`. [`Keystore::decrypt_verified`] closes that gap by
//! re-deriving the BLS public key from the secret and comparing it with `pubkey`.

use std::fmt;

use aes::cipher::generic_array::GenericArray;
use aes::cipher::{KeyIvInit, StreamCipher};
use lsv_consensus::PublicKeyBytes;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};
use unicode_normalization::UnicodeNormalization;
use uuid::Uuid;
use zeroize::{Zeroize, Zeroizing};

/// The keystore `version` defined by EIP-2335 ("Version").
pub const VERSION: u32 = 4;
/// Length of the decryption key (`dklen`), the only length accepted.
pub const DKLEN: usize = 32;
/// Length of the secret held in a BLS keystore (a BLS12-381 scalar, big-endian).
pub const SECRET_LEN: usize = 32;
/// Salt length used by [`Keystore::encrypt`].
pub const SALT_LEN: usize = 32;
/// AES-128-CTR iv length (`cipher.params.iv`).
pub const IV_LEN: usize = 16;
/// Largest keystore JSON document [`Keystore::from_json`] parses (a real one is ~1 KiB).
pub const MAX_JSON_LEN: usize = 64 * 1024;
/// Upper bound on scrypt `n * r`: scrypt needs `128 * n * r` bytes, so this caps memory at 2 GiB
/// (the EIP's n = 2^18, r = 8 needs 256 MiB).
pub const MAX_SCRYPT_N_R: u64 = 1 << 24;
/// Upper bound on scrypt `n * r * p`, the work factor (p is run sequentially): 32x the EIP's.
pub const MAX_SCRYPT_N_R_P: u64 = 1 << 26;
/// Upper bound on the PBKDF2 iteration count `c`: 64x the EIP's 2^18.
pub const MAX_PBKDF2_C: u32 = 1 << 24;

/// Longest keystore-supplied name (e.g. an unsupported `function`) echoed in an error message.
const MAX_ECHO_NAME: usize = 64;
/// Longest JSON parser message kept in [`KeystoreError::Malformed`].
const MAX_ECHO_MESSAGE: usize = 200;

type Aes128Ctr = ctr::Ctr128BE<aes::Aes128>;

/// Key-derivation function and its cost parameters (EIP-2335 "Decryption key").
///
/// `dklen` is always 32 and the PBKDF2 PRF is always HMAC-SHA-256; the salt is stored in the
/// [`Keystore`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Kdf {
    /// scrypt (RFC 7914): `n` (CPU/memory cost, a power of two > 1), `r` (block size), `p`
    /// (parallelization).
    Scrypt {
        /// CPU/memory cost, a power of two above 1.
        n: u32,
        /// Block size.
        r: u32,
        /// Parallelization.
        p: u32,
    },
    /// PBKDF2 (RFC 2898) with HMAC-SHA-256 and `c` iterations.
    Pbkdf2 {
        /// Iterations.
        c: u32,
    },
}

impl Kdf {
    /// The parameters of the EIP-2335 scrypt test vector (and of `staking-deposit-cli`):
    /// n = 2^18, r = 8, p = 1.
    pub const SCRYPT_DEFAULT: Kdf = Kdf::Scrypt {
        n: 1 << 18,
        r: 8,
        p: 1,
    };
    /// The parameters of the EIP-2335 PBKDF2 test vector: c = 2^18.
    pub const PBKDF2_DEFAULT: Kdf = Kdf::Pbkdf2 { c: 1 << 18 };

    /// The `kdf.function` name.
    pub fn function(&self) -> &'static str {
        match self {
            Kdf::Scrypt { .. } => "scrypt",
            Kdf::Pbkdf2 { .. } => "pbkdf2",
        }
    }

    /// Checks the cost parameters: scrypt `n` a power of two > 1, `r, p >= 1`,
    /// `n * r <= MAX_SCRYPT_N_R`, `n * r * p <= MAX_SCRYPT_N_R_P` and RFC 7914's own limits;
    /// PBKDF2 `1 <= c <= MAX_PBKDF2_C`. The bounds keep a hostile keystore from making the signer
    /// allocate or compute without limit.
    pub fn validate(&self) -> Result<(), KeystoreError> {
        match *self {
            Kdf::Scrypt { n, r, p } => scrypt_params(n, r, p).map(drop),
            Kdf::Pbkdf2 { c } => check_pbkdf2(c),
        }
    }

    /// Derives the 32-byte decryption key from the processed password (EIP-2335 "Decryption
    /// key"). The parameters are validated first, so a hostile value never reaches the KDF.
    fn derive(
        &self,
        password: &[u8],
        salt: &[u8],
    ) -> Result<Zeroizing<[u8; DKLEN]>, KeystoreError> {
        let mut dk = Zeroizing::new([0u8; DKLEN]);
        match *self {
            Kdf::Scrypt { n, r, p } => {
                let params = scrypt_params(n, r, p)?;
                scrypt::scrypt(password, salt, &params, &mut dk[..]).map_err(|_| {
                    KeystoreError::InvalidKdfParams("scrypt rejected the output length".into())
                })?;
            }
            Kdf::Pbkdf2 { c } => {
                check_pbkdf2(c)?;
                pbkdf2::pbkdf2_hmac::<Sha256>(password, salt, c, &mut dk[..]);
            }
        }
        Ok(dk)
    }
}

/// Validates scrypt's parameters (see [`Kdf::validate`]) and builds `scrypt::Params`.
fn scrypt_params(n: u32, r: u32, p: u32) -> Result<scrypt::Params, KeystoreError> {
    if n < 2 || !n.is_power_of_two() {
        return Err(KeystoreError::InvalidKdfParams(format!(
            "scrypt n must be a power of two greater than 1, got {n}"
        )));
    }
    if r == 0 || p == 0 {
        return Err(KeystoreError::InvalidKdfParams(format!(
            "scrypt r and p must be at least 1, got r = {r}, p = {p}"
        )));
    }
    let nr = u64::from(n) * u64::from(r);
    if nr > MAX_SCRYPT_N_R {
        return Err(KeystoreError::InvalidKdfParams(format!(
            "scrypt memory cost n * r = {nr} exceeds the limit {MAX_SCRYPT_N_R}"
        )));
    }
    let nrp = nr * u64::from(p);
    if nrp > MAX_SCRYPT_N_R_P {
        return Err(KeystoreError::InvalidKdfParams(format!(
            "scrypt work n * r * p = {nrp} exceeds the limit {MAX_SCRYPT_N_R_P}"
        )));
    }
    // n is a power of two below 2^32, so its log fits a u8. `Params::new` applies RFC 7914's
    // remaining conditions (n < 2^(16 r), r * p < 2^30).
    let log_n = n.trailing_zeros() as u8;
    scrypt::Params::new(log_n, r, p, DKLEN).map_err(|_| {
        KeystoreError::InvalidKdfParams(format!(
            "scrypt parameters n = {n}, r = {r}, p = {p} violate RFC 7914"
        ))
    })
}

/// Validates PBKDF2's iteration count (see [`Kdf::validate`]).
fn check_pbkdf2(c: u32) -> Result<(), KeystoreError> {
    if c == 0 || c > MAX_PBKDF2_C {
        return Err(KeystoreError::InvalidKdfParams(format!(
            "pbkdf2 c must be between 1 and {MAX_PBKDF2_C}, got {c}"
        )));
    }
    Ok(())
}

/// Why a keystore was refused or could not be decrypted or created.
///
/// No variant carries the password, a derived key or the secret. Text copied from the keystore
/// (an unsupported function name, a parser message) is shortened to a few dozen characters.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum KeystoreError {
    /// The JSON is longer than any keystore P reads.
    #[error("keystore JSON is larger than {MAX_JSON_LEN} bytes")]
    TooLarge,
    /// Not JSON, not an object, or a field of the wrong JSON type.
    #[error("malformed keystore JSON: {0}")]
    Malformed(String),
    /// A required section or field is absent (dotted path, e.g. `crypto.kdf.params`).
    #[error("keystore field `{0}` is missing")]
    MissingField(&'static str),
    /// A field is present but its value is unusable.
    #[error("keystore field `{field}` is invalid: {reason}")]
    InvalidField {
        /// The field's dotted path.
        field: &'static str,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// A hex field has the wrong length once decoded.
    #[error("keystore field `{field}` must be {expected} bytes, got {actual}")]
    InvalidLength {
        /// The field's dotted path.
        field: &'static str,
        /// The length EIP-2335 requires, in bytes.
        expected: usize,
        /// The decoded length.
        actual: usize,
    },
    /// `version` is not 4.
    #[error("keystore version {0} is not supported (EIP-2335 requires version 4)")]
    UnsupportedVersion(u64),
    /// `crypto.kdf.function` is neither `scrypt` nor `pbkdf2`.
    #[error("kdf function {0:?} is not supported (expected \"scrypt\" or \"pbkdf2\")")]
    UnsupportedKdf(String),
    /// A PBKDF2 PRF other than `hmac-sha256`.
    #[error("pbkdf2 prf {0:?} is not supported (expected \"hmac-sha256\")")]
    UnsupportedPrf(String),
    /// A derived-key length other than 32.
    #[error("kdf dklen {0} is not supported (expected 32)")]
    UnsupportedDkLen(u64),
    /// A checksum function other than `sha256`.
    #[error("checksum function {0:?} is not supported (expected \"sha256\")")]
    UnsupportedChecksum(String),
    /// A cipher other than `aes-128-ctr`.
    #[error("cipher function {0:?} is not supported (expected \"aes-128-ctr\")")]
    UnsupportedCipher(String),
    /// KDF cost parameters out of range (see [`Kdf::validate`]).
    #[error("invalid kdf parameters: {0}")]
    InvalidKdfParams(String),
    /// The checksum does not match: wrong password, or a tampered ciphertext/checksum/KDF.
    #[error("wrong password (keystore checksum mismatch)")]
    WrongPassword,
    /// The checksum matched but the decrypted secret is not 32 bytes long.
    #[error("decrypted secret is {0} bytes long, expected 32")]
    InvalidSecretLength(usize),
    /// [`Keystore::decrypt_verified`]: the secret is not a valid BLS12-381 secret key.
    #[error("decrypted secret is not a valid BLS12-381 secret key")]
    InvalidSecretKey,
    /// [`Keystore::decrypt_verified`]: the secret's public key differs from `pubkey`.
    #[error("decrypted secret does not match the keystore pubkey")]
    PubkeyMismatch,
    /// [`Keystore::encrypt`]: the password is empty after EIP-2335 processing.
    #[error("refusing to encrypt with an empty password")]
    EmptyPassword,
    /// The operating system's random number generator failed.
    #[error("random number generator failure: {0}")]
    Rng(getrandom::Error),
}

/// An EIP-2335 keystore, validated on construction.
///
/// Fields are private so that every `Keystore` value has passed the checks of
/// [`Keystore::from_json`] / [`Keystore::encrypt`]; the JSON form is produced by
/// [`Keystore::to_json`] (or `Serialize`) and read by [`Keystore::from_json`] (or the validating
/// `Deserialize`). `version` is always 4.
#[derive(Clone, PartialEq, Eq)]
pub struct Keystore {
    kdf: Kdf,
    salt: Vec<u8>,
    checksum: [u8; 32],
    iv: [u8; IV_LEN],
    cipher_message: Vec<u8>,
    description: String,
    pubkey: Option<PublicKeyBytes>,
    path: String,
    uuid: Uuid,
}

impl Keystore {
    /// Parses and validates a keystore (see the module documentation for every check). No KDF
    /// runs here; a wrong password is only detected by [`Keystore::decrypt`].
    pub fn from_json(s: &str) -> Result<Self, KeystoreError> {
        if s.len() > MAX_JSON_LEN {
            return Err(KeystoreError::TooLarge);
        }
        let value: Value = serde_json::from_str(s)
            .map_err(|e| KeystoreError::Malformed(echo(&e.to_string(), MAX_ECHO_MESSAGE)))?;
        Self::from_value(&value)
    }

    /// [`Keystore::from_json`] for an already parsed JSON value. A required field that is
    /// `null` counts as missing.
    pub fn from_value(value: &Value) -> Result<Self, KeystoreError> {
        use KeystoreError::{UnsupportedChecksum, UnsupportedCipher, UnsupportedKdf};
        let root = value
            .as_object()
            .ok_or_else(|| KeystoreError::Malformed("a keystore must be a JSON object".into()))?;

        // EIP-2335 "Version": checked first, so that a version-3 (Web3 Secret Storage) file,
        // whose `crypto` has another shape, is reported as such.
        let version = get_u64(root, "version", "version")?;
        if version != u64::from(VERSION) {
            return Err(KeystoreError::UnsupportedVersion(version));
        }
        let crypto = get_object(root, "crypto", "crypto")?;

        // EIP-2335 "Decryption key": the kdf module.
        let kdf = get_object(crypto, "kdf", "crypto.kdf")?;
        let function = get_str(kdf, "function", "crypto.kdf.function")?;
        if function != "scrypt" && function != "pbkdf2" {
            return Err(UnsupportedKdf(echo(function, MAX_ECHO_NAME)));
        }
        let params = get_object(kdf, "params", "crypto.kdf.params")?;
        get_str(kdf, "message", "crypto.kdf.message")?;
        let dklen = get_u64(params, "dklen", "crypto.kdf.params.dklen")?;
        if dklen != DKLEN as u64 {
            return Err(KeystoreError::UnsupportedDkLen(dklen));
        }
        let salt = get_hex(params, "salt", "crypto.kdf.params.salt")?;
        let kdf = if function == "scrypt" {
            Kdf::Scrypt {
                n: get_kdf_u32(params, "n", "crypto.kdf.params.n")?,
                r: get_kdf_u32(params, "r", "crypto.kdf.params.r")?,
                p: get_kdf_u32(params, "p", "crypto.kdf.params.p")?,
            }
        } else {
            let prf = get_str(params, "prf", "crypto.kdf.params.prf")?;
            if prf != "hmac-sha256" {
                return Err(KeystoreError::UnsupportedPrf(echo(prf, MAX_ECHO_NAME)));
            }
            Kdf::Pbkdf2 {
                c: get_kdf_u32(params, "c", "crypto.kdf.params.c")?,
            }
        };
        kdf.validate()?;

        // EIP-2335 "Password verification": the checksum module.
        let checksum = get_object(crypto, "checksum", "crypto.checksum")?;
        let function = get_str(checksum, "function", "crypto.checksum.function")?;
        if function != "sha256" {
            return Err(UnsupportedChecksum(echo(function, MAX_ECHO_NAME)));
        }
        get_object(checksum, "params", "crypto.checksum.params")?;
        let checksum = get_hex_array(checksum, "message", "crypto.checksum.message")?;

        // EIP-2335 "Secret decryption": the cipher module.
        let cipher = get_object(crypto, "cipher", "crypto.cipher")?;
        let function = get_str(cipher, "function", "crypto.cipher.function")?;
        if function != "aes-128-ctr" {
            return Err(UnsupportedCipher(echo(function, MAX_ECHO_NAME)));
        }
        let params = get_object(cipher, "params", "crypto.cipher.params")?;
        let iv = get_hex_array(params, "iv", "crypto.cipher.params.iv")?;
        let cipher_message = get_hex(cipher, "message", "crypto.cipher.message")?;

        // EIP-2335 "PubKey" (optional here), "Path", "UUID", "Description" (optional).
        let pubkey = match root.get("pubkey") {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) if s.is_empty() => None,
            Some(_) => Some(PublicKeyBytes(get_hex_array(root, "pubkey", "pubkey")?)),
        };
        let path = get_str(root, "path", "path")?.to_owned();
        let uuid = get_str(root, "uuid", "uuid")?;
        let uuid = Uuid::parse_str(uuid).map_err(|_| KeystoreError::InvalidField {
            field: "uuid",
            reason: "not an RFC 4122 UUID",
        })?;
        let description = match root.get("description") {
            None | Some(Value::Null) => String::new(),
            Some(_) => get_str(root, "description", "description")?.to_owned(),
        };

        Ok(Self {
            kdf,
            salt,
            checksum,
            iv,
            cipher_message,
            description,
            pubkey,
            path,
            uuid,
        })
    }

    fn to_wire(&self) -> wire::Keystore<'_> {
        let (n, r, p, c, prf) = match self.kdf {
            Kdf::Scrypt { n, r, p } => (Some(n), Some(r), Some(p), None, None),
            Kdf::Pbkdf2 { c } => (None, None, None, Some(c), Some("hmac-sha256")),
        };
        wire::Keystore {
            crypto: wire::Crypto {
                kdf: wire::Module {
                    function: self.kdf.function(),
                    params: wire::KdfParams {
                        dklen: DKLEN,
                        n,
                        p,
                        r,
                        c,
                        prf,
                        salt: hex::encode(&self.salt),
                    },
                    message: String::new(),
                },
                checksum: wire::Module {
                    function: "sha256",
                    params: wire::NoParams {},
                    message: hex::encode(self.checksum),
                },
                cipher: wire::Module {
                    function: "aes-128-ctr",
                    params: wire::CipherParams {
                        iv: hex::encode(self.iv),
                    },
                    message: hex::encode(&self.cipher_message),
                },
            },
            description: &self.description,
            pubkey: self.pubkey.map(|pk| hex::encode(pk.0)),
            path: &self.path,
            uuid: self.uuid.hyphenated().to_string(),
            version: VERSION,
        }
    }

    /// The keystore as pretty-printed JSON in the EIP-2335 layout: hex without `0x` (as in the
    /// EIP's test vectors and `staking-deposit-cli`), `description` always present, `pubkey`
    /// present when known.
    pub fn to_json(&self) -> String {
        // A tree of strings, integers and objects with string keys always serializes.
        serde_json::to_string_pretty(&self.to_wire()).expect("keystore JSON serialization")
    }

    /// Encrypts `secret` under `password` with a fresh random 32-byte salt, 16-byte iv and
    /// version-4 UUID (EIP-2335 "UUID"), all from the operating system's RNG.
    ///
    /// `pubkey` must be the public key of `secret` (not checked here; see
    /// [`Keystore::decrypt_verified`]); `path` is the EIP-2334 path or `""` (EIP-2335 "Path").
    /// The password is processed as in [`normalize_password`] and must not end up empty.
    pub fn encrypt(
        secret: &[u8; SECRET_LEN],
        password: &str,
        kdf: Kdf,
        pubkey: PublicKeyBytes,
        path: &str,
    ) -> Result<Self, KeystoreError> {
        kdf.validate()?;
        let mut salt = vec![0u8; SALT_LEN];
        let mut iv = [0u8; IV_LEN];
        let mut uuid = [0u8; 16];
        for buf in [&mut salt[..], &mut iv[..], &mut uuid[..]] {
            getrandom::fill(buf).map_err(KeystoreError::Rng)?;
        }
        let uuid = uuid::Builder::from_random_bytes(uuid).into_uuid();
        Self::encrypt_deterministic(secret, password, kdf, &salt, iv, uuid, Some(pubkey), path)
    }

    /// [`Keystore::encrypt`] with caller-chosen salt, iv and UUID, for reproducing test vectors.
    ///
    /// Never reuse a (password, salt, iv) combination for two secrets: AES-CTR would then leak
    /// the XOR of the secrets. Use [`Keystore::encrypt`] for real keys.
    #[allow(clippy::too_many_arguments)]
    pub fn encrypt_deterministic(
        secret: &[u8; SECRET_LEN],
        password: &str,
        kdf: Kdf,
        salt: &[u8],
        iv: [u8; IV_LEN],
        uuid: Uuid,
        pubkey: Option<PublicKeyBytes>,
        path: &str,
    ) -> Result<Self, KeystoreError> {
        let password = normalize_password(password);
        if password.is_empty() {
            return Err(KeystoreError::EmptyPassword);
        }
        let dk = kdf.derive(&password, salt)?;
        // EIP-2335 "Secret decryption", run forwards: AES-128-CTR with key dk[0..16].
        let mut cipher_message = secret.to_vec();
        aes_ctr(&dk, &iv, &mut cipher_message);
        let checksum = checksum(&dk, &cipher_message);
        Ok(Self {
            kdf,
            salt: salt.to_vec(),
            checksum,
            iv,
            cipher_message,
            description: String::new(),
            pubkey,
            path: path.to_owned(),
            uuid,
        })
    }

    /// Decrypts the secret (EIP-2335 "Decryption key", "Password verification", "Secret
    /// decryption").
    ///
    /// Runs the keystore's KDF (hundreds of milliseconds for the usual parameters): a checksum
    /// mismatch gives [`KeystoreError::WrongPassword`], a secret that is not 32 bytes
    /// [`KeystoreError::InvalidSecretLength`]. The secret is not checked to be a valid BLS key;
    /// [`Keystore::decrypt_verified`] does that.
    pub fn decrypt(&self, password: &str) -> Result<Zeroizing<[u8; SECRET_LEN]>, KeystoreError> {
        let password = normalize_password(password);
        let dk = self.kdf.derive(&password, &self.salt)?;
        if !ct_eq(&checksum(&dk, &self.cipher_message), &self.checksum) {
            return Err(KeystoreError::WrongPassword);
        }
        if self.cipher_message.len() != SECRET_LEN {
            return Err(KeystoreError::InvalidSecretLength(
                self.cipher_message.len(),
            ));
        }
        let mut secret = Zeroizing::new([0u8; SECRET_LEN]);
        secret.copy_from_slice(&self.cipher_message);
        aes_ctr(&dk, &self.iv, &mut secret[..]);
        Ok(secret)
    }

    /// [`Keystore::decrypt`], then checks that the secret is a valid BLS12-381 secret key whose
    /// public key (`min_pk`, compressed G1) equals [`Keystore::pubkey`]. This detects what the
    /// EIP-2335 checksum cannot: a tampered `iv`, or a `pubkey` that does not belong to the
    /// secret. A keystore without `pubkey` gives [`KeystoreError::MissingField`].
    pub fn decrypt_verified(
        &self,
        password: &str,
    ) -> Result<Zeroizing<[u8; SECRET_LEN]>, KeystoreError> {
        let expected = self.pubkey.ok_or(KeystoreError::MissingField("pubkey"))?;
        let secret = self.decrypt(password)?;
        // blst's SecretKey wipes itself on drop.
        let sk = blst::min_pk::SecretKey::from_bytes(&secret[..])
            .map_err(|_| KeystoreError::InvalidSecretKey)?;
        if sk.sk_to_pk().compress() != expected.0 {
            return Err(KeystoreError::PubkeyMismatch);
        }
        Ok(secret)
    }

    /// The public key recorded in the keystore (EIP-2335 "PubKey"), if any. Not authenticated
    /// by the keystore's checksum.
    pub fn pubkey(&self) -> Option<PublicKeyBytes> {
        self.pubkey
    }

    /// The key-derivation function and its parameters.
    pub fn kdf(&self) -> Kdf {
        self.kdf
    }

    /// The EIP-2334 derivation path, `""` if unknown (EIP-2335 "Path").
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The keystore's UUID (EIP-2335 "UUID").
    pub fn uuid(&self) -> Uuid {
        self.uuid
    }

    /// The free-form description, `""` if absent (EIP-2335 "Description").
    pub fn description(&self) -> &str {
        &self.description
    }

    /// Replaces the description.
    pub fn with_description(mut self, description: impl Into<String>) -> Self {
        self.description = description.into();
        self
    }

    /// Always [`VERSION`] (4).
    pub fn version(&self) -> u32 {
        VERSION
    }
}

/// Omits the ciphertext, checksum, salt and iv: with them a log line would allow an offline
/// password search just like the keystore file.
impl fmt::Debug for Keystore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Keystore")
            .field("uuid", &self.uuid)
            .field("pubkey", &self.pubkey)
            .field("path", &self.path)
            .field("description", &self.description)
            .field("kdf", &self.kdf)
            .finish_non_exhaustive()
    }
}

impl std::str::FromStr for Keystore {
    type Err = KeystoreError;
    fn from_str(s: &str) -> Result<Self, KeystoreError> {
        Self::from_json(s)
    }
}

impl Serialize for Keystore {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.to_wire().serialize(s)
    }
}

/// Validates exactly like [`Keystore::from_json`] (except for the size limit).
impl<'de> Deserialize<'de> for Keystore {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let value = Value::deserialize(d)?;
        Self::from_value(&value).map_err(serde::de::Error::custom)
    }
}

/// EIP-2335 "Password requirements": NFKD normalization, then removal of the C0 (U+0000 to
/// U+001F), Delete (U+007F) and C1 (U+0080 to U+009F) control codes, then UTF-8 encoding.
/// Space (U+0020) is kept.
///
/// The output buffer is sized exactly before it is filled, so no unwiped reallocation copies
/// of the password are left behind.
pub fn normalize_password(password: &str) -> Zeroizing<Vec<u8>> {
    fn keep(c: &char) -> bool {
        !matches!(*c, '\u{0}'..='\u{1f}' | '\u{7f}'..='\u{9f}')
    }
    let len: usize = password.nfkd().filter(keep).map(char::len_utf8).sum();
    let mut out = Zeroizing::new(Vec::with_capacity(len));
    let mut buf = [0u8; 4];
    for c in password.nfkd().filter(keep) {
        out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
    }
    buf.zeroize();
    out
}

/// EIP-2335 "Password verification": `SHA256(decryption_key[16:32] | cipher_message)`.
fn checksum(dk: &[u8; DKLEN], cipher_message: &[u8]) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(&dk[16..32]);
    h.update(cipher_message);
    h.finalize().into()
}

/// EIP-2335 "Secret decryption": AES-128-CTR keyed with `decryption_key[0:16]`, the iv as the
/// initial 128-bit big-endian counter block. Encryption and decryption are the same operation.
fn aes_ctr(dk: &[u8; DKLEN], iv: &[u8; IV_LEN], data: &mut [u8]) {
    // `from_slice` borrows (no unwiped copy of the key); the lengths are fixed at 16.
    let mut cipher = Aes128Ctr::new(
        GenericArray::from_slice(&dk[..16]),
        GenericArray::from_slice(iv),
    );
    cipher.apply_keystream(data);
}

/// Comparison whose running time does not depend on where the inputs differ.
fn ct_eq(a: &[u8; 32], b: &[u8; 32]) -> bool {
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// A required member of a JSON object; `null` counts as missing.
fn get<'a>(
    obj: &'a Map<String, Value>,
    key: &str,
    path: &'static str,
) -> Result<&'a Value, KeystoreError> {
    match obj.get(key) {
        None | Some(Value::Null) => Err(KeystoreError::MissingField(path)),
        Some(v) => Ok(v),
    }
}

fn get_object<'a>(
    obj: &'a Map<String, Value>,
    key: &str,
    path: &'static str,
) -> Result<&'a Map<String, Value>, KeystoreError> {
    get(obj, key, path)?
        .as_object()
        .ok_or(KeystoreError::InvalidField {
            field: path,
            reason: "expected a JSON object",
        })
}

fn get_str<'a>(
    obj: &'a Map<String, Value>,
    key: &str,
    path: &'static str,
) -> Result<&'a str, KeystoreError> {
    get(obj, key, path)?
        .as_str()
        .ok_or(KeystoreError::InvalidField {
            field: path,
            reason: "expected a string",
        })
}

fn get_u64(obj: &Map<String, Value>, key: &str, path: &'static str) -> Result<u64, KeystoreError> {
    get(obj, key, path)?
        .as_u64()
        .ok_or(KeystoreError::InvalidField {
            field: path,
            reason: "expected a non-negative integer",
        })
}

/// A KDF parameter: an integer that must fit a `u32` (the real bounds are checked afterwards by
/// [`Kdf::validate`]).
fn get_kdf_u32(
    obj: &Map<String, Value>,
    key: &str,
    path: &'static str,
) -> Result<u32, KeystoreError> {
    let v = get_u64(obj, key, path)?;
    u32::try_from(v)
        .map_err(|_| KeystoreError::InvalidKdfParams(format!("{path} = {v} is out of range")))
}

/// A hex string, with an optional `0x` prefix.
fn get_hex(
    obj: &Map<String, Value>,
    key: &str,
    path: &'static str,
) -> Result<Vec<u8>, KeystoreError> {
    let s = get_str(obj, key, path)?;
    hex::decode(s.strip_prefix("0x").unwrap_or(s)).map_err(|_| KeystoreError::InvalidField {
        field: path,
        reason: "not valid hex",
    })
}

fn get_hex_array<const N: usize>(
    obj: &Map<String, Value>,
    key: &str,
    path: &'static str,
) -> Result<[u8; N], KeystoreError> {
    let bytes = get_hex(obj, key, path)?;
    <[u8; N]>::try_from(bytes.as_slice()).map_err(|_| KeystoreError::InvalidLength {
        field: path,
        expected: N,
        actual: bytes.len(),
    })
}

/// Shortens keystore-supplied text before it goes into an error message.
fn echo(s: &str, max_chars: usize) -> String {
    if s.chars().count() <= max_chars {
        s.to_owned()
    } else {
        let mut out: String = s.chars().take(max_chars).collect();
        out.push('…');
        out
    }
}

/// The serde model of the EIP-2335 JSON ("JSON schema"), for writing: the field order of the
/// EIP's test vectors, hex without `0x`. Reading goes through [`Keystore::from_value`], which
/// names the offending field in every error.
mod wire {
    use serde::Serialize;

    #[derive(Serialize)]
    pub(super) struct Keystore<'a> {
        pub crypto: Crypto,
        pub description: &'a str,
        #[serde(skip_serializing_if = "Option::is_none")]
        pub pubkey: Option<String>,
        pub path: &'a str,
        pub uuid: String,
        pub version: u32,
    }

    #[derive(Serialize)]
    pub(super) struct Crypto {
        pub kdf: Module<KdfParams>,
        pub checksum: Module<NoParams>,
        pub cipher: Module<CipherParams>,
    }

    /// EIP-2335 "Modules": `function`, `params`, `message`.
    #[derive(Serialize)]
    pub(super) struct Module<P> {
        pub function: &'static str,
        pub params: P,
        pub message: String,
    }

    /// The scrypt (`dklen n p r salt`) or PBKDF2 (`dklen c prf salt`) parameters.
    #[derive(Serialize)]
    pub(super) struct KdfParams {
        pub dklen: usize,
        #[serde(skip_serializing_if = "Option::is_none")]
        pub n: Option<u32>,
        #[serde(skip_serializing_if = "Option::is_none")]
        pub p: Option<u32>,
        #[serde(skip_serializing_if = "Option::is_none")]
        pub r: Option<u32>,
        #[serde(skip_serializing_if = "Option::is_none")]
        pub c: Option<u32>,
        #[serde(skip_serializing_if = "Option::is_none")]
        pub prf: Option<&'static str>,
        pub salt: String,
    }

    /// The checksum's empty `params`, written as `{}`.
    #[derive(Serialize)]
    pub(super) struct NoParams {}

    #[derive(Serialize)]
    pub(super) struct CipherParams {
        pub iv: String,
    }
}
