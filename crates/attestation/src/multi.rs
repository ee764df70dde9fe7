//! How evidence is presented for a validator key held as shares on n devices (DESIGN.md,
//! "Many devices"): its shape and the checks a verifier makes on it. The shares come from the
//! devices' key generation (`lsv_threshold::dkg`), Shamir shares for every threshold.
//!
//! One [`DeviceEvidence`] per device. Each device's P attests a [`ShareClaim`]: the group's
//! [`KeyGenerationClaim`] (group pubkey, credentials, owner, chain, genesis validators root,
//! policy hash), `m`, `n`, its own 1-based index, and the whole ordered share set. Its
//! attestation covers the share binding:
//!
//! ```text
//! share binding = sha256( sha256("lsv/keygen-share/v1") 32 ‖ group binding 32 ‖ m 1 ‖ n 1
//!                       ‖ index 1 ‖ share pubkey 48 ‖ sha256(share 1 ‖ … ‖ share n) 32 )
//! ```
//!
//! and, like single-key evidence, `REPORTDATA = share binding ‖ 0^32` in an SGX or TDX quote, or a dev
//! signature over it. Each device also proves possession of its share's secret (the BLS
//! `PopProve` of draft-irtf-cfrg-bls-signature-05 §3.3.2, with the POP ciphersuite's DST), so
//! a share set cannot contain a key derived from the others (rogue-key attack).
//!
//! The platform identity is not self-declared: a verifier derives it from the attestation (for
//! SGX the PPID and FMSPC of the Intel-signed PCK certificate; for dev the attester address)
//! and refuses a group in which two devices share one. Two enclaves on one CPU are one device.

use crate::binding::KeyGenerationClaim;
use crate::dcap::{Collateral, DcapVerifier, KeyGenerationPolicy, SgxPlatform};
use crate::dev::{verify_dev_signature, DevAttester};
use crate::device_key::{DeviceKey, DeviceSignature};
use crate::evidence::Backend;
use alloy_primitives::{Address, Bytes, B256};
use blst::min_pk::{PublicKey, SecretKey, Signature};
use lsv_consensus::{PublicKeyBytes, SignatureBytes};
use lsv_threshold::sharing::{check_share_keys, ShareSetError};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// The name whose SHA-256 tags a share binding.
pub const SHARE_DOMAIN_NAME: &[u8] = b"lsv/keygen-share/v1";

/// The proof-of-possession DST of the BLS POP ciphersuite
/// (draft-irtf-cfrg-bls-signature-05 §4.2.3, `BLS_POP_BLS12381G2_XMD:SHA-256_SSWU_RO_POP_`).
pub const POP_DST: &[u8] = b"BLS_POP_BLS12381G2_XMD:SHA-256_SSWU_RO_POP_";

/// What one device's P attests about its share.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ShareClaim {
    /// The group key's claim; `group.pubkey` is the validator's key.
    pub group: KeyGenerationClaim,
    /// Shares needed to sign (`m`).
    pub threshold: u8,
    /// Devices holding a share (`n`).
    pub devices: u8,
    /// This device's share, 1-based: its public key is `shares[index - 1]`.
    pub index: u8,
    /// Every share's public key, in index order.
    pub shares: Vec<PublicKeyBytes>,
}

impl ShareClaim {
    /// This device's share public key, if `index` is in range.
    pub fn share_pubkey(&self) -> Option<PublicKeyBytes> {
        usize::from(self.index)
            .checked_sub(1)
            .and_then(|i| self.shares.get(i).copied())
    }

    /// `sha256(share 1 ‖ … ‖ share n)`.
    pub fn shares_root(&self) -> B256 {
        let mut h = Sha256::new();
        for s in &self.shares {
            h.update(s.0);
        }
        B256::from_slice(&h.finalize())
    }

    /// The share binding (module documentation). An out-of-range index hashes a zero key, which
    /// no verification accepts (the index is checked first).
    pub fn binding(&self) -> B256 {
        let mut h = Sha256::new();
        h.update(Sha256::digest(SHARE_DOMAIN_NAME));
        h.update(self.group.binding());
        h.update([self.threshold, self.devices, self.index]);
        h.update(self.share_pubkey().unwrap_or_default().0);
        h.update(self.shares_root());
        B256::from_slice(&h.finalize())
    }
}

/// Who a device is, as its attestation proves it.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "kebab-case")]
pub enum PlatformId {
    /// An Intel platform: PPID and FMSPC from its PCK certificate. An SGX enclave and a TDX
    /// trust domain on one CPU have the same one: they are one device.
    Sgx(SgxPlatform),
    /// A dev attester: its key is the whole identity, and proves nothing about hardware.
    Dev {
        /// The dev attester's address.
        attester: Address,
    },
}

/// One device's evidence in a multi-device key.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeviceEvidence {
    /// What the device claims: its share, the group and the share set.
    pub claim: ShareClaim,
    /// BLS `PopProve` of the share key (signature over its 48-byte public key, [`POP_DST`]).
    pub proof_of_possession: SignatureBytes,
    /// The device's attestation backend.
    pub backend: Backend,
    /// Dev: 65-byte signature over the share binding; sgx-dcap, tdx-dcap: the quote.
    pub evidence: Bytes,
    /// The platform identity the attestation proves; a verifier recomputes and compares it.
    pub platform: PlatformId,
    /// The device's registered key's signature over the share binding
    /// ([`crate::device_key`]): its evidence for `DeviceRegistry` at `join`, once the key is
    /// registered. Absent for a device without a device key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device_signature: Option<DeviceSignature>,
}

impl DeviceEvidence {
    /// This evidence with `key`'s signature over its share binding.
    pub fn with_device_signature(mut self, key: &DeviceKey) -> Result<Self, crate::AttestError> {
        self.device_signature = Some(key.sign(self.claim.binding())?);
        Ok(self)
    }
}

/// Evidence for a key held as shares: one entry per device.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GroupEvidence {
    /// One evidence per device.
    pub devices: Vec<DeviceEvidence>,
}

pub use lsv_threshold::Tolerance;

/// Why a group's evidence was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum GroupError {
    /// The threshold is not a majority of the devices, or exceeds them.
    #[error("m = {m} of n = {n} is not a safe threshold: it needs n/2 < m <= n")]
    Threshold {
        /// Shares needed to sign.
        m: u8,
        /// Devices.
        n: u8,
    },
    /// Not one evidence per device.
    #[error("{found} device evidences for n = {n}")]
    DeviceCount {
        /// Evidences given.
        found: usize,
        /// Devices.
        n: u8,
    },
    /// Devices disagree on the group, the threshold or the share set.
    #[error("device {position} disagrees with device 1 on the group, m, n or share set")]
    Inconsistent {
        /// The position (from 1) of the first device that disagrees with the first one.
        position: usize,
    },
    /// The share set does not have one key per device.
    #[error("the share set has {found} keys for n = {n}")]
    ShareCount {
        /// Keys in the share set.
        found: usize,
        /// Devices.
        n: u8,
    },
    /// A share index repeated or outside 1..=n.
    #[error("share index {0} appears twice or is out of range")]
    BadIndex(u8),
    /// A share key listed twice.
    #[error("share {0} appears twice in the share set")]
    DuplicateShare(PublicKeyBytes),
    /// A share key that is not a valid public key.
    #[error("share {0} is not a valid BLS12-381 public key")]
    InvalidShare(PublicKeyBytes),
    /// A device's proof of possession of its share does not verify.
    #[error("proof of possession of share {0} is invalid")]
    ProofOfPossession(u8),
    /// The group key is not a valid public key.
    #[error("the group key is not a valid BLS12-381 public key")]
    InvalidGroupKey,
    /// The share keys and the group key are not an m-of-n sharing of one key.
    #[error(transparent)]
    Shares(#[from] ShareSetError),
    /// A device's attestation is refused.
    #[error("device {index}'s attestation is refused: {reason}")]
    Attestation {
        /// The device's share index.
        index: u8,
        /// What its verifier said.
        reason: String,
    },
    /// A device's attestation proves another platform than it claims.
    #[error("device {index} claims platform {claimed:?} but its attestation proves {proven:?}")]
    PlatformMismatch {
        /// The device's share index.
        index: u8,
        /// The platform it claims.
        claimed: PlatformId,
        /// The platform its attestation proves.
        proven: PlatformId,
    },
    /// A device's registered-key signature does not verify over its share binding.
    #[error("device {index}'s device-key signature is refused: {reason}")]
    DeviceSignature {
        /// The device's share index.
        index: u8,
        /// Why.
        reason: String,
    },
    /// A device has no registered-key signature, and the registry's evidence needs one.
    #[error("device {0} has no device-key signature: it made its share without a device key")]
    NoDeviceSignature(u8),
    /// Two devices run on one platform: they are one device.
    #[error("devices {first} and {second} run on one platform {platform:?}: they are one device")]
    SamePlatform {
        /// One device's share index.
        first: u8,
        /// The other's.
        second: u8,
        /// Their platform.
        platform: PlatformId,
    },
}

/// Checks one device's attestation of a share binding and says which platform it proves.
pub trait DeviceAttestationVerifier {
    /// Checks `device`'s attestation of `binding`; the platform it proves, or why it is refused.
    fn verify(&self, device: &DeviceEvidence, binding: B256) -> Result<PlatformId, String>;
}

/// Accepts dev evidence signed by any of a set of dev attesters (devnets and tests).
pub struct DevDevices {
    /// The dev attesters' addresses.
    pub trusted_attesters: Vec<Address>,
}

impl DeviceAttestationVerifier for DevDevices {
    fn verify(&self, device: &DeviceEvidence, binding: B256) -> Result<PlatformId, String> {
        if device.backend != Backend::Dev {
            return Err(format!("{} evidence, expected dev", device.backend));
        }
        let PlatformId::Dev { attester } = device.platform else {
            return Err("dev evidence must name its attester as platform".into());
        };
        if !self.trusted_attesters.contains(&attester) {
            return Err(format!("attester {attester} is not trusted"));
        }
        verify_dev_signature(binding, &device.evidence, attester).map_err(|e| e.to_string())?;
        Ok(PlatformId::Dev { attester })
    }
}

/// Accepts DCAP quotes (SGX enclaves and TDX trust domains) under a key-generation policy, one
/// collateral per device (in the order of the group's devices).
pub struct DcapDevices<'a> {
    /// Intel's chain of trust.
    pub verifier: &'a DcapVerifier,
    /// Which quotes are accepted.
    pub policy: &'a KeyGenerationPolicy,
    /// The verification time (unix seconds).
    pub now: u64,
    /// One collateral per device, in the group's order.
    pub collateral: &'a [Collateral],
}

impl DeviceAttestationVerifier for DcapDevices<'_> {
    fn verify(&self, device: &DeviceEvidence, binding: B256) -> Result<PlatformId, String> {
        if !device.backend.is_dcap() {
            return Err(format!(
                "{} evidence, expected sgx-dcap or tdx-dcap",
                device.backend
            ));
        }
        let collateral = self
            .collateral
            .get(usize::from(device.claim.index).saturating_sub(1))
            .ok_or("no collateral for this device")?;
        let verified = self
            .verifier
            .verify_key_generation(&device.evidence, collateral, self.now, self.policy, binding)
            .map_err(|e| e.to_string())?;
        Ok(PlatformId::Sgx(verified.platform))
    }
}

impl GroupEvidence {
    /// Verifies the group: a safe threshold, n consistent devices with distinct indices 1..=n
    /// over one ordered set of distinct valid shares, each share's proof of possession, a valid
    /// group key, that the shares and the group key lie on one polynomial of degree exactly
    /// m - 1 (Shamir sharing, n-of-n included: share i at x = i, the group key at x = 0;
    /// [`check_share_keys`]),
    /// each attestation, and n distinct platforms. Returns the platforms by index.
    pub fn verify(
        &self,
        attestations: &dyn DeviceAttestationVerifier,
    ) -> Result<Vec<PlatformId>, GroupError> {
        let first = self
            .devices
            .first()
            .ok_or(GroupError::DeviceCount { found: 0, n: 0 })?;
        let (m, n) = (first.claim.threshold, first.claim.devices);
        Tolerance::of(m, n).map_err(|t| GroupError::Threshold { m: t.m, n: t.n })?;
        if self.devices.len() != usize::from(n) {
            return Err(GroupError::DeviceCount {
                found: self.devices.len(),
                n,
            });
        }
        let shares = &first.claim.shares;
        if shares.len() != usize::from(n) {
            return Err(GroupError::ShareCount {
                found: shares.len(),
                n,
            });
        }
        let mut parsed = Vec::with_capacity(shares.len());
        for (i, s) in shares.iter().enumerate() {
            if shares[..i].contains(s) {
                return Err(GroupError::DuplicateShare(*s));
            }
            parsed.push(PublicKey::key_validate(&s.0).map_err(|_| GroupError::InvalidShare(*s))?);
        }
        let mut seen_index = vec![false; usize::from(n)];
        for (position, d) in self.devices.iter().enumerate() {
            let c = &d.claim;
            if c.group != first.claim.group
                || c.threshold != m
                || c.devices != n
                || c.shares != *shares
            {
                return Err(GroupError::Inconsistent {
                    position: position + 1,
                });
            }
            let slot = usize::from(c.index)
                .checked_sub(1)
                .and_then(|i| seen_index.get_mut(i))
                .filter(|seen| !**seen)
                .ok_or(GroupError::BadIndex(c.index))?;
            *slot = true;
            let share = &parsed[usize::from(c.index) - 1];
            let pop = Signature::sig_validate(&d.proof_of_possession.0, true)
                .map_err(|_| GroupError::ProofOfPossession(c.index))?;
            let ok = pop.verify(true, &share.compress(), POP_DST, &[], share, false);
            if ok != blst::BLST_ERROR::BLST_SUCCESS {
                return Err(GroupError::ProofOfPossession(c.index));
            }
        }
        PublicKey::key_validate(&first.claim.group.pubkey.0)
            .map_err(|_| GroupError::InvalidGroupKey)?;
        check_share_keys(&first.claim.group.pubkey, &parsed, m)?;
        let mut platforms: Vec<(u8, PlatformId)> = Vec::with_capacity(self.devices.len());
        for d in &self.devices {
            let index = d.claim.index;
            let proven = attestations
                .verify(d, d.claim.binding())
                .map_err(|reason| GroupError::Attestation { index, reason })?;
            if let Some(signature) = &d.device_signature {
                signature
                    .verify(d.claim.binding())
                    .map_err(|e| GroupError::DeviceSignature {
                        index,
                        reason: e.to_string(),
                    })?;
            }
            if proven != d.platform {
                return Err(GroupError::PlatformMismatch {
                    index,
                    claimed: d.platform.clone(),
                    proven,
                });
            }
            if let Some((first, _)) = platforms.iter().find(|(_, p)| *p == proven) {
                return Err(GroupError::SamePlatform {
                    first: *first,
                    second: index,
                    platform: proven,
                });
            }
            platforms.push((index, proven));
        }
        platforms.sort();
        Ok(platforms.into_iter().map(|(_, p)| p).collect())
    }
}

/// The first byte of [`GroupEvidence::contract_evidence`]: a group (`0x00` is a one-device key's
/// evidence, forwarded to the verifier of single keys).
pub const CONTRACT_KIND_GROUP: u8 = 0x01;

impl GroupEvidence {
    /// The group's evidence in the layout `GroupAttestationVerifier` takes, each device's
    /// evidence passed as it is ([`DeviceEvidence::evidence`]): what the dev device verifier
    /// (`DevDeviceVerifier`) reads. [`GroupEvidence::contract_evidence_with`] with the identity.
    pub fn contract_evidence(&self) -> Result<Vec<u8>, GroupError> {
        self.contract_evidence_with(|d| Ok(d.evidence.to_vec()))
    }

    /// The group's evidence for `GroupAttestationVerifier` over `DeviceRegistry`: each device's
    /// evidence its device key's 65-byte signature over its share binding
    /// ([`DeviceEvidence::device_signature`]; `crate::device_key`). A device without one is
    /// [`GroupError::NoDeviceSignature`]. The keys must be registered (and live) in the
    /// registry the deployment's group verifier uses.
    pub fn registry_contract_evidence(&self) -> Result<Vec<u8>, GroupError> {
        if let Some(d) = self.devices.iter().find(|d| d.device_signature.is_none()) {
            return Err(GroupError::NoDeviceSignature(d.claim.index));
        }
        self.contract_evidence_with(|d| {
            d.device_signature
                .as_ref()
                .map(|s| s.signature.to_vec())
                .ok_or_else(|| "no device-key signature".to_owned())
        })
    }

    /// The group's evidence in the layout `GroupAttestationVerifier` takes (its NatSpec):
    /// `0x01 ‖ binding preimage 228 ‖ m ‖ n ‖ share keys (compressed) ‖ share keys (EIP-2537)
    /// ‖ group key (EIP-2537) ‖ n × (length 2 ‖ device evidence)`, devices in index order, each
    /// device's evidence as `device_bytes` packs it for the deployment's device verifier (for
    /// `DcapDeviceVerifier`, its quote and collateral as `kind ‖ abi.encode(Evidence)`:
    /// `lsv_contracts::dcap::encode_device_evidence`). Refuses (as [`GroupEvidence::verify`]
    /// would) a group whose devices disagree, whose keys are not valid points, or whose indices
    /// are not 1..=n; a device whose evidence `device_bytes` cannot pack, or packs in more than
    /// 65,535 bytes, is [`GroupError::Attestation`].
    pub fn contract_evidence_with(
        &self,
        device_bytes: impl Fn(&DeviceEvidence) -> Result<Vec<u8>, String>,
    ) -> Result<Vec<u8>, GroupError> {
        let first = self
            .devices
            .first()
            .ok_or(GroupError::DeviceCount { found: 0, n: 0 })?;
        let claim = &first.claim;
        let n = claim.devices;
        if self.devices.len() != usize::from(n) || claim.shares.len() != usize::from(n) {
            return Err(GroupError::DeviceCount {
                found: self.devices.len(),
                n,
            });
        }
        let mut by_index: Vec<Option<&DeviceEvidence>> = vec![None; usize::from(n)];
        for (position, d) in self.devices.iter().enumerate() {
            let c = &d.claim;
            if c.group != claim.group
                || c.threshold != claim.threshold
                || c.devices != n
                || c.shares != claim.shares
            {
                return Err(GroupError::Inconsistent {
                    position: position + 1,
                });
            }
            let slot = usize::from(c.index)
                .checked_sub(1)
                .and_then(|i| by_index.get_mut(i))
                .filter(|s| s.is_none())
                .ok_or(GroupError::BadIndex(c.index))?;
            *slot = Some(d);
        }
        let eip2537 = |key: &PublicKeyBytes, bad: GroupError| -> Result<[u8; 128], GroupError> {
            let xy = PublicKey::key_validate(&key.0)
                .map_err(|_| bad)?
                .serialize();
            let mut out = [0u8; 128];
            out[16..64].copy_from_slice(&xy[..48]);
            out[80..128].copy_from_slice(&xy[48..]);
            Ok(out)
        };
        let mut out = vec![CONTRACT_KIND_GROUP];
        out.extend_from_slice(&claim.group.preimage());
        out.extend_from_slice(&[claim.threshold, n]);
        for s in &claim.shares {
            out.extend_from_slice(&s.0);
        }
        for s in &claim.shares {
            out.extend_from_slice(&eip2537(s, GroupError::InvalidShare(*s))?);
        }
        out.extend_from_slice(&eip2537(&claim.group.pubkey, GroupError::InvalidGroupKey)?);
        for d in by_index.into_iter().flatten() {
            let index = d.claim.index;
            let bytes =
                device_bytes(d).map_err(|reason| GroupError::Attestation { index, reason })?;
            let len = u16::try_from(bytes.len()).map_err(|_| GroupError::Attestation {
                index,
                reason: format!("evidence of {} bytes, over 65,535", bytes.len()),
            })?;
            out.extend_from_slice(&len.to_be_bytes());
            out.extend_from_slice(&bytes);
        }
        Ok(out)
    }
}

/// BLS `PopProve(SK)`: the share key's signature over its own compressed public key.
pub fn prove_possession(secret: &SecretKey) -> SignatureBytes {
    let pk = secret.sk_to_pk().compress();
    SignatureBytes(secret.sign(&pk, POP_DST, &[]).compress())
}

/// A device's evidence for `claim`: the PoP of `share_secret` and `attester`'s evidence over
/// the share binding, with the platform it proves.
pub fn device_evidence(
    claim: ShareClaim,
    share_secret: &SecretKey,
    attester: &dyn crate::Attester,
) -> Result<DeviceEvidence, crate::AttestError> {
    let (evidence, platform) = attester.attest_device(claim.binding())?;
    Ok(DeviceEvidence {
        proof_of_possession: prove_possession(share_secret),
        backend: attester.backend(),
        evidence,
        platform,
        claim,
        device_signature: None,
    })
}

/// A dev device's evidence for `claim` ([`device_evidence`] with a dev attester). For devnets
/// and tests.
pub fn dev_device_evidence(
    claim: ShareClaim,
    share_secret: &SecretKey,
    attester: &DevAttester,
) -> Result<DeviceEvidence, crate::AttestError> {
    device_evidence(claim, share_secret, attester)
}
