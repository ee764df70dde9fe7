//! The `dev` backend: a software secp256k1 key that signs bindings.
//!
//! It guarantees nothing about hardware. Anyone who can read P's data directory (where the key
//! is sealed with the dev sealer, whose password sits beside it) can sign any binding with it.
//! It exists so that devnets and tests run the whole flow, key generation to `join`, with the
//! same evidence format; a devnet deploys `DevAttestationVerifier(attester)` with the address
//! [`DevAttester::address`] reports.

use crate::attester::{AttestError, Attester};
use crate::binding::KeyGenerationClaim;
use crate::evidence::{Backend, Evidence};
use alloy_primitives::{keccak256, Address, B256};
use k256::ecdsa::{RecoveryId, Signature, SigningKey, VerifyingKey};
use zeroize::Zeroizing;

/// The dev attestation key. Its secret never leaves this type; `Debug` shows the address only.
pub struct DevAttester {
    key: SigningKey,
    address: Address,
}

impl std::fmt::Debug for DevAttester {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DevAttester")
            .field("address", &self.address)
            .finish_non_exhaustive()
    }
}

/// Why the dev attestation key could not be made or loaded.
#[derive(Debug, thiserror::Error)]
pub enum DevKeyError {
    /// The unsealed secret is not a valid secp256k1 secret key.
    #[error("the sealed dev attestation secret is not a secp256k1 scalar")]
    NotAScalar,
    /// The OS gave no randomness for a new key.
    #[error("OS randomness unavailable: {0}")]
    Randomness(String),
}

impl DevAttester {
    /// A fresh key from the OS's randomness, with its 32-byte secret for the caller to seal.
    pub fn generate() -> Result<(Self, Zeroizing<[u8; 32]>), DevKeyError> {
        loop {
            let mut secret = Zeroizing::new([0u8; 32]);
            getrandom_fill(secret.as_mut())?;
            // A uniformly random 32-byte string is a valid scalar except with probability
            // ~2^-128 (zero or >= n); draw again then.
            if let Ok(attester) = Self::from_secret(&secret) {
                return Ok((attester, secret));
            }
        }
    }

    /// The key from its sealed secret.
    pub fn from_secret(secret: &[u8; 32]) -> Result<Self, DevKeyError> {
        let key = SigningKey::from_slice(secret).map_err(|_| DevKeyError::NotAScalar)?;
        let address = address_of(key.verifying_key());
        Ok(Self { key, address })
    }

    /// The Ethereum address of the key: what `DevAttestationVerifier` is deployed with.
    pub fn address(&self) -> Address {
        self.address
    }

    /// 65 bytes `r ‖ s ‖ v` over `digest` itself (no EIP-191 prefix), low `s`, `v` ∈ {27, 28}:
    /// the encoding `DevAttestationVerifier` accepts.
    pub fn sign_binding(&self, digest: B256) -> Result<[u8; 65], AttestError> {
        let (mut signature, mut recovery) = self
            .key
            .sign_prehash_recoverable(digest.as_slice())
            .map_err(|e| AttestError::Signing(e.to_string()))?;
        // EIP-2: only the low-s form is accepted on chain.
        if let Some(low) = signature.normalize_s() {
            signature = low;
            recovery = RecoveryId::new(!recovery.is_y_odd(), recovery.is_x_reduced());
        }
        let mut out = [0u8; 65];
        out[..64].copy_from_slice(&signature.to_bytes());
        out[64] = 27 + recovery.to_byte();
        Ok(out)
    }
}

impl Attester for DevAttester {
    fn backend(&self) -> Backend {
        Backend::Dev
    }

    fn attest(&self, claim: &KeyGenerationClaim) -> Result<Evidence, AttestError> {
        let signature = self.sign_binding(claim.binding())?;
        Ok(Evidence::dev(*claim, self.address, signature)?)
    }

    fn attest_device(
        &self,
        binding: B256,
    ) -> Result<(alloy_primitives::Bytes, crate::multi::PlatformId), AttestError> {
        let signature = self.sign_binding(binding)?;
        Ok((
            signature.to_vec().into(),
            crate::multi::PlatformId::Dev {
                attester: self.address,
            },
        ))
    }

    fn attester_address(&self) -> Option<Address> {
        Some(self.address)
    }
}

/// Why dev evidence was refused; the same rules as `DevAttestationVerifier`.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DevVerifyError {
    /// The evidence is of another backend.
    #[error("this is {0} evidence, not dev evidence")]
    NotDev(Backend),
    /// The signature is not 65 bytes.
    #[error("dev evidence is 65 bytes, not {0}")]
    Length(usize),
    /// The recovery byte is not 27 or 28.
    #[error("v must be 27 or 28, not {0}")]
    BadV(u8),
    /// A malleable signature (EIP-2 requires the lower `s`).
    #[error("s is in the upper half of the curve order (EIP-2)")]
    HighS,
    /// No key recovers from the signature.
    #[error("the signature recovers to no key")]
    Unrecoverable,
    /// The signature is by another key than the trusted attester.
    #[error("the signature is by {found}, not the trusted attester {expected}")]
    WrongAttester {
        /// The trusted attester.
        expected: Address,
        /// The key that signed.
        found: Address,
    },
    /// The evidence names another claim than the one checked.
    #[error("the evidence is for another claim (binding {found}, expected {expected})")]
    ClaimMismatch {
        /// The checked claim's binding.
        expected: B256,
        /// The evidence's binding.
        found: B256,
    },
}

/// Checks 65-byte dev evidence over `binding` against `attester`, exactly as
/// `DevAttestationVerifier.verifyKeyGeneration` does.
pub fn verify_dev_signature(
    binding: B256,
    evidence: &[u8],
    attester: Address,
) -> Result<(), DevVerifyError> {
    let bytes: &[u8; 65] = evidence
        .try_into()
        .map_err(|_| DevVerifyError::Length(evidence.len()))?;
    let v = bytes[64];
    if v != 27 && v != 28 {
        return Err(DevVerifyError::BadV(v));
    }
    let signature =
        Signature::from_slice(&bytes[..64]).map_err(|_| DevVerifyError::Unrecoverable)?;
    if signature.normalize_s().is_some() {
        return Err(DevVerifyError::HighS);
    }
    let recovery = RecoveryId::from_byte(v - 27).ok_or(DevVerifyError::BadV(v))?;
    let key = VerifyingKey::recover_from_prehash(binding.as_slice(), &signature, recovery)
        .map_err(|_| DevVerifyError::Unrecoverable)?;
    let found = address_of(&key);
    if found != attester {
        return Err(DevVerifyError::WrongAttester {
            expected: attester,
            found,
        });
    }
    Ok(())
}

/// Verifies dev `evidence` for the claim the verifier expects (for instance, one naming the
/// owner who is joining): the evidence must be for exactly that claim and signed by `attester`.
pub fn verify_dev_evidence(
    evidence: &Evidence,
    expected: &KeyGenerationClaim,
    attester: Address,
) -> Result<(), DevVerifyError> {
    if evidence.backend() != Backend::Dev {
        return Err(DevVerifyError::NotDev(evidence.backend()));
    }
    let binding = expected.binding();
    if evidence.binding() != binding {
        return Err(DevVerifyError::ClaimMismatch {
            expected: binding,
            found: evidence.binding(),
        });
    }
    verify_dev_signature(binding, evidence.evidence_bytes(), attester)
}

/// `keccak256(uncompressed point without its 0x04 prefix)[12..]` (the yellow paper's address).
pub fn address_of(key: &VerifyingKey) -> Address {
    let point = key.to_encoded_point(false);
    Address::from_slice(&keccak256(&point.as_bytes()[1..])[12..])
}

fn getrandom_fill(buf: &mut [u8]) -> Result<(), DevKeyError> {
    getrandom::fill(buf).map_err(|e| DevKeyError::Randomness(e.to_string()))
}
