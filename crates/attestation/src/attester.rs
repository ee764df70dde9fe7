//! The seam between P and the hardware that attests it (DESIGN.md, "Attestation").

use crate::binding::KeyGenerationClaim;
use crate::evidence::{Backend, Evidence, EvidenceFormatError};
use alloy_primitives::Address;

/// Produces evidence that P generated a key. P calls it once per key, inside key generation,
/// and exposes no other path to it: a host cannot have an existing key attested again for
/// another owner.
pub trait Attester: Send + Sync + 'static {
    fn backend(&self) -> Backend;

    fn is_hardware_backed(&self) -> bool {
        self.backend().is_hardware_backed()
    }

    fn attest(&self, claim: &KeyGenerationClaim) -> Result<Evidence, AttestError>;

    /// The dev backend's attestation key address (what `DevAttestationVerifier` is deployed
    /// with); `None` for hardware backends, which a verifier pins by measurement instead.
    fn attester_address(&self) -> Option<Address> {
        None
    }
}

/// Why P could not produce evidence.
#[derive(Debug, thiserror::Error)]
pub enum AttestError {
    #[error("Gramine attestation interface {path}: {source}")]
    Io {
        path: std::path::PathBuf,
        source: std::io::Error,
    },
    #[error("Gramine reports attestation type {found:?}; the sgx-dcap backend needs \"dcap\" (run P under gramine-sgx with sgx.remote_attestation = \"dcap\")")]
    NotDcap { found: String },
    #[error("the quote Gramine returned cannot be parsed: {0}")]
    BadQuote(String),
    #[error("the quote Gramine returned is not an SGX enclave quote")]
    NotSgxQuote,
    #[error("the quote Gramine returned does not carry the report_data P wrote (found {found})")]
    ReportDataMismatch { found: String },
    #[error("signing the binding failed: {0}")]
    Signing(String),
    #[error(transparent)]
    Format(#[from] EvidenceFormatError),
}
