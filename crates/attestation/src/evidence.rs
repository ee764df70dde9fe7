//! The one evidence format P emits for a generated key, as JSON and as the bytes a verifier
//! contract takes.

use crate::binding::KeyGenerationClaim;
use alloy_primitives::{Address, Bytes, B256};
use serde::{Deserialize, Serialize};

/// Which attestation backend produced a piece of evidence.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Backend {
    /// A software secp256k1 key P keeps sealed. Proves nothing about hardware.
    #[serde(rename = "dev")]
    Dev,
    /// An Intel SGX DCAP quote produced through Gramine's `/dev/attestation`.
    #[serde(rename = "sgx-dcap")]
    SgxDcap,
    /// An Intel TDX DCAP quote (version 4) produced through Linux's configfs-tsm in a trust
    /// domain.
    #[serde(rename = "tdx-dcap")]
    TdxDcap,
}

impl Backend {
    /// The backend's name in JSON: `dev`, `sgx-dcap` or `tdx-dcap`.
    pub fn name(self) -> &'static str {
        match self {
            Backend::Dev => "dev",
            Backend::SgxDcap => "sgx-dcap",
            Backend::TdxDcap => "tdx-dcap",
        }
    }

    /// Whether evidence from this backend says anything about hardware.
    pub fn is_hardware_backed(self) -> bool {
        matches!(self, Backend::SgxDcap | Backend::TdxDcap)
    }

    /// Whether its evidence is a DCAP quote (SGX or TDX).
    pub fn is_dcap(self) -> bool {
        matches!(self, Backend::SgxDcap | Backend::TdxDcap)
    }
}

impl std::fmt::Display for Backend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// The version of [`Evidence`]'s JSON layout.
pub const EVIDENCE_VERSION: u32 = 1;

/// What every dev evidence says, so that nobody mistakes it for a hardware attestation.
pub const DEV_WARNING: &str = "dev attestation: signed by a software key P keeps in its data \
    directory; it proves nothing about hardware and rules out no slashing. For devnets and tests only";

/// Evidence that P generated `claim.pubkey` bound to the rest of `claim`.
///
/// `evidence` is exactly the `bytes evidence` argument of the vault's `join` (and of
/// `IAttestationVerifier.verifyKeyGeneration(binding, evidence)`):
///
/// - `dev`: 65 bytes `r ‖ s ‖ v` (low `s`, `v` ∈ {27, 28}), secp256k1 ECDSA over `binding`
///   itself, by the key whose address is `attester`;
/// - `sgx-dcap`: the raw DCAP quote (SGX, version 3) whose `report_data` is `binding ‖ 0^32`;
/// - `tdx-dcap`: the raw DCAP quote (TDX, version 4) whose TD report's `REPORTDATA` is
///   `binding ‖ 0^32`.
///
/// The JSON form repeats every input of the binding so that anyone can recompute it; parsing
/// checks that `binding` is the hash of `claim` and that the fields fit the backend.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "EvidenceWire", into = "EvidenceWire")]
pub struct Evidence {
    backend: Backend,
    claim: KeyGenerationClaim,
    evidence: Bytes,
    attester: Option<Address>,
}

/// Why evidence does not have the form of its version and backend.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum EvidenceFormatError {
    /// A version this build does not read.
    #[error("evidence version {0} is not supported (expected {EVIDENCE_VERSION})")]
    Version(u32),
    /// The stated binding is not the hash of the stated claim.
    #[error("binding {found} is not the hash of the claim ({expected})")]
    BindingMismatch {
        /// The claim's hash.
        expected: B256,
        /// The stated binding.
        found: B256,
    },
    /// `hardware_backed` contradicts the backend.
    #[error("hardware_backed is {found} but the {backend} backend is {}", if *found { "not hardware-backed" } else { "hardware-backed" })]
    HardwareFlag {
        /// The stated backend.
        backend: Backend,
        /// The stated flag.
        found: bool,
    },
    /// Dev evidence that is not 65 bytes.
    #[error("dev evidence is 65 bytes r ‖ s ‖ v, not {0}")]
    DevLength(usize),
    /// Dev evidence without its attester's address.
    #[error("dev evidence must name its attester address")]
    DevAttesterMissing,
    /// DCAP evidence with an attester address (the quote identifies the platform).
    #[error("{0} evidence carries no attester address (the quote identifies the platform)")]
    UnexpectedAttester(Backend),
    /// DCAP evidence without a quote.
    #[error("{0} evidence has an empty quote")]
    EmptyQuote(Backend),
}

impl Evidence {
    /// Dev evidence: `signature` (65 bytes) by `attester` over `claim.binding()`.
    pub fn dev(
        claim: KeyGenerationClaim,
        attester: Address,
        signature: [u8; 65],
    ) -> Result<Self, EvidenceFormatError> {
        Self::new(
            Backend::Dev,
            claim,
            signature.to_vec().into(),
            Some(attester),
        )
    }

    /// SGX-DCAP evidence: the raw quote.
    pub fn sgx_dcap(
        claim: KeyGenerationClaim,
        quote: Vec<u8>,
    ) -> Result<Self, EvidenceFormatError> {
        Self::new(Backend::SgxDcap, claim, quote.into(), None)
    }

    /// TDX-DCAP evidence: the raw quote.
    pub fn tdx_dcap(
        claim: KeyGenerationClaim,
        quote: Vec<u8>,
    ) -> Result<Self, EvidenceFormatError> {
        Self::new(Backend::TdxDcap, claim, quote.into(), None)
    }

    fn new(
        backend: Backend,
        claim: KeyGenerationClaim,
        evidence: Bytes,
        attester: Option<Address>,
    ) -> Result<Self, EvidenceFormatError> {
        match backend {
            Backend::Dev if evidence.len() != 65 => {
                return Err(EvidenceFormatError::DevLength(evidence.len()))
            }
            Backend::Dev if attester.is_none() => {
                return Err(EvidenceFormatError::DevAttesterMissing)
            }
            Backend::SgxDcap | Backend::TdxDcap if attester.is_some() => {
                return Err(EvidenceFormatError::UnexpectedAttester(backend))
            }
            Backend::SgxDcap | Backend::TdxDcap if evidence.is_empty() => {
                return Err(EvidenceFormatError::EmptyQuote(backend))
            }
            _ => {}
        }
        Ok(Self {
            backend,
            claim,
            evidence,
            attester,
        })
    }

    /// Which backend produced it.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// What it claims: key, credentials, owner, chain, network, policy.
    pub fn claim(&self) -> &KeyGenerationClaim {
        &self.claim
    }

    /// `claim.binding()`: the 32 bytes the vault recomputes.
    pub fn binding(&self) -> B256 {
        self.claim.binding()
    }

    /// The bytes a verifier contract takes (see the type's documentation).
    pub fn evidence_bytes(&self) -> &[u8] {
        &self.evidence
    }

    /// The dev attestation key's address (dev evidence only).
    pub fn attester(&self) -> Option<Address> {
        self.attester
    }

    /// Whether it proves anything about hardware.
    pub fn is_hardware_backed(&self) -> bool {
        self.backend.is_hardware_backed()
    }

    /// The evidence as pretty JSON (version 1 layout).
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("evidence serializes")
    }

    /// Evidence from its JSON, checked for form (not verified).
    pub fn from_json(text: &str) -> Result<Self, serde_json::Error> {
        serde_json::from_str(text)
    }
}

/// The JSON layout of [`Evidence`], version 1.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct EvidenceWire {
    version: u32,
    backend: Backend,
    hardware_backed: bool,
    claim: KeyGenerationClaim,
    /// Repeated so that a reader need not hash: checked against `claim` on parse.
    binding: B256,
    evidence: Bytes,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    attester: Option<Address>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    warning: Option<String>,
}

impl From<Evidence> for EvidenceWire {
    fn from(e: Evidence) -> Self {
        Self {
            version: EVIDENCE_VERSION,
            backend: e.backend,
            hardware_backed: e.backend.is_hardware_backed(),
            binding: e.claim.binding(),
            claim: e.claim,
            evidence: e.evidence,
            attester: e.attester,
            warning: (e.backend == Backend::Dev).then(|| DEV_WARNING.to_owned()),
        }
    }
}

impl TryFrom<EvidenceWire> for Evidence {
    type Error = EvidenceFormatError;

    fn try_from(w: EvidenceWire) -> Result<Self, Self::Error> {
        if w.version != EVIDENCE_VERSION {
            return Err(EvidenceFormatError::Version(w.version));
        }
        let expected = w.claim.binding();
        if w.binding != expected {
            return Err(EvidenceFormatError::BindingMismatch {
                expected,
                found: w.binding,
            });
        }
        if w.hardware_backed != w.backend.is_hardware_backed() {
            return Err(EvidenceFormatError::HardwareFlag {
                backend: w.backend,
                found: w.hardware_backed,
            });
        }
        Self::new(w.backend, w.claim, w.evidence, w.attester)
    }
}
