//! A device's registered key: how a multi-device key's join stays affordable with hardware
//! devices (`contracts/src/DeviceRegistry.sol`; README, "Keeping a join affordable").
//!
//! Each device's P makes a secp256k1 *device key* inside its enclave and keeps it sealed (like
//! its other keys; `lsv_enclave` loads or creates it). The device registers that key once: its
//! attester (a DCAP quote, or the dev stand-in) attests the registration binding
//!
//! ```text
//! registration binding = sha256( sha256("lsv/device-key/v1") 32 ‖ chain id 32 (big-endian)
//!                              ‖ registry 20 ‖ device key 20 )
//! ```
//!
//! and `DeviceRegistry.register(deviceKey, evidence)` verifies it through its inner device
//! verifier, recording the key with the platform the evidence proves. At every key generation
//! after that, the device key signs the device's share binding ([`crate::multi::ShareClaim::binding`]):
//!
//! ```text
//! signed digest = sha256( sha256("lsv/device-signature/v1") 32 ‖ share binding 32 )
//! ```
//!
//! (65 bytes `r ‖ s ‖ v`, low `s` as EIP-2 requires, `v` ∈ {27, 28}, no EIP-191 prefix), and
//! that signature is the device's evidence for the registry at `join`: a few thousand gas
//! instead of a quote. The device key signs nothing but tagged digests, and P signs only inside
//! a key generation, as it attests.

use crate::attester::{AttestError, Attester};
use crate::dev::{verify_dev_signature, DevAttester, DevKeyError, DevVerifyError};
use crate::evidence::Backend;
use crate::multi::PlatformId;
use alloy_primitives::{Address, Bytes, B256, U256};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

/// The name whose SHA-256 tags a registration binding (`DeviceRegistry.REGISTRATION_TAG`).
pub const REGISTRATION_DOMAIN_NAME: &[u8] = b"lsv/device-key/v1";

/// The name whose SHA-256 tags what a device key signs (`DeviceRegistry.SIGNATURE_TAG`).
pub const SIGNATURE_DOMAIN_NAME: &[u8] = b"lsv/device-signature/v1";

/// What a device's registration evidence attests for `device_key` at `registry` on chain
/// `chain_id` (`DeviceRegistry.registrationBinding`).
pub fn registration_binding(chain_id: u64, registry: Address, device_key: Address) -> B256 {
    let mut h = Sha256::new();
    h.update(Sha256::digest(REGISTRATION_DOMAIN_NAME));
    h.update(U256::from(chain_id).to_be_bytes::<32>());
    h.update(registry);
    h.update(device_key);
    B256::from_slice(&h.finalize())
}

/// What a device key signs for `binding` (`DeviceRegistry.signatureDigest`).
pub fn signature_digest(binding: B256) -> B256 {
    let mut h = Sha256::new();
    h.update(Sha256::digest(SIGNATURE_DOMAIN_NAME));
    h.update(binding);
    B256::from_slice(&h.finalize())
}

/// A device key's signature over a binding, as a device's evidence for the registry.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeviceSignature {
    /// The device key's address (what the registry recovers and looks up).
    pub device_key: Address,
    /// 65 bytes `r ‖ s ‖ v` over [`signature_digest`] of the binding.
    pub signature: Bytes,
}

impl DeviceSignature {
    /// Checks the signature over `binding` exactly as `DeviceRegistry.verifyDevice` does
    /// (65 bytes, `v` 27 or 28, low `s`, recovering to [`DeviceSignature::device_key`]); the
    /// registration itself is the registry's to check.
    pub fn verify(&self, binding: B256) -> Result<(), DevVerifyError> {
        verify_dev_signature(signature_digest(binding), &self.signature, self.device_key)
    }
}

/// P's device key. Its secret never leaves this type; `Debug` shows the address only.
///
/// The secp256k1 signing (k256, EIP-2 low `s`) is [`DevAttester`]'s; the key is another key
/// with another purpose: it attests nothing by itself, it is trusted only once registered
/// through hardware evidence.
pub struct DeviceKey(DevAttester);

impl std::fmt::Debug for DeviceKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DeviceKey")
            .field("address", &self.0.address())
            .finish_non_exhaustive()
    }
}

impl DeviceKey {
    /// A fresh key from the OS's randomness, with its 32-byte secret for the caller to seal.
    pub fn generate() -> Result<(Self, Zeroizing<[u8; 32]>), DevKeyError> {
        let (key, secret) = DevAttester::generate()?;
        Ok((Self(key), secret))
    }

    /// The key from its sealed secret.
    pub fn from_secret(secret: &[u8; 32]) -> Result<Self, DevKeyError> {
        DevAttester::from_secret(secret).map(Self)
    }

    /// A secp256k1 key loaded from P's sealed storage, used as the device key.
    pub fn from_sealed(key: DevAttester) -> Self {
        Self(key)
    }

    /// The device key's address: what the registry records.
    pub fn address(&self) -> Address {
        self.0.address()
    }

    /// The device key's signature over `binding` ([`signature_digest`]).
    pub fn sign(&self, binding: B256) -> Result<DeviceSignature, AttestError> {
        let signature = self.0.sign_binding(signature_digest(binding))?;
        Ok(DeviceSignature {
            device_key: self.address(),
            signature: signature.to_vec().into(),
        })
    }

    /// The evidence that registers this key at `registry` on chain `chain_id`: `attester`'s
    /// evidence over [`registration_binding`], with the platform it proves.
    pub fn registration(
        &self,
        attester: &dyn Attester,
        chain_id: u64,
        registry: Address,
    ) -> Result<DeviceRegistration, AttestError> {
        let binding = registration_binding(chain_id, registry, self.address());
        let (evidence, platform) = attester.attest_device(binding)?;
        Ok(DeviceRegistration {
            chain_id,
            registry,
            device_key: self.address(),
            backend: attester.backend(),
            evidence,
            platform,
        })
    }
}

/// What a device publishes to register its device key (`lsv cluster register`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeviceRegistration {
    /// The chain the registry is on.
    pub chain_id: u64,
    /// The registry's address.
    pub registry: Address,
    /// The device key's address.
    pub device_key: Address,
    /// The attestation backend.
    pub backend: Backend,
    /// Dev: 65-byte signature over the registration binding; sgx-dcap, tdx-dcap: the quote
    /// (packed with its collateral for `DcapDeviceVerifier` before it is sent).
    pub evidence: Bytes,
    /// The platform the evidence proves.
    pub platform: PlatformId,
}

impl DeviceRegistration {
    /// The binding the evidence must attest.
    pub fn binding(&self) -> B256 {
        registration_binding(self.chain_id, self.registry, self.device_key)
    }
}
