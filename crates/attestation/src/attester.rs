//! The seam between P and the hardware that attests it (DESIGN.md, "Attestation").

use crate::binding::KeyGenerationClaim;
use crate::evidence::{Backend, Evidence, EvidenceFormatError};
use crate::multi::PlatformId;
use alloy_primitives::{Address, Bytes, B256};

/// Produces evidence that P generated a key. P calls it once per key, inside key generation,
/// and exposes no other path to it: a host cannot have an existing key attested again for
/// another owner.
pub trait Attester: Send + Sync + 'static {
    /// Which backend's evidence this attester produces.
    fn backend(&self) -> Backend;

    /// Whether its evidence proves anything about hardware.
    fn is_hardware_backed(&self) -> bool {
        self.backend().is_hardware_backed()
    }

    /// Evidence over `claim`: produced once, at the key's generation.
    fn attest(&self, claim: &KeyGenerationClaim) -> Result<Evidence, AttestError>;

    /// Evidence over a device's 32-byte binding in a multi-device key (an announcement in the
    /// key generation, then its share claim; `lsv_attestation::multi`), with the platform it
    /// proves. P calls it only inside the key generation.
    fn attest_device(&self, binding: B256) -> Result<(Bytes, PlatformId), AttestError> {
        let _ = binding;
        Err(AttestError::DeviceEvidenceUnsupported(self.backend()))
    }

    /// The dev backend's attestation key address (what `DevAttestationVerifier` is deployed
    /// with); `None` for hardware backends, which a verifier pins by measurement instead.
    fn attester_address(&self) -> Option<Address> {
        None
    }
}

/// Why P could not produce evidence.
#[derive(Debug, thiserror::Error)]
pub enum AttestError {
    /// The attestation interface (Gramine's `/dev/attestation`, configfs-tsm in a TD) could
    /// not be read or written.
    #[error("attestation interface {path}: {source}")]
    Io {
        /// The interface file.
        path: std::path::PathBuf,
        /// What the file system said.
        source: std::io::Error,
    },
    /// Gramine attests by another means than DCAP (or not at all).
    #[error("Gramine reports attestation type {found:?}; the sgx-dcap backend needs \"dcap\" (run P under gramine-sgx with sgx.remote_attestation = \"dcap\")")]
    NotDcap {
        /// The `attestation_type` Gramine reports.
        found: String,
    },
    /// configfs-tsm's report request is answered by another TEE than TDX.
    #[error("configfs-tsm provider is {found:?}; the tdx-dcap backend needs \"tdx_guest\" (run P inside an Intel TDX trust domain, Linux 6.7 or later)")]
    NotTdx {
        /// The `provider` the kernel reports.
        found: String,
    },
    /// The quote returned does not parse.
    #[error("the quote returned cannot be parsed: {0}")]
    BadQuote(String),
    /// Gramine returned a quote that is not of an SGX enclave (a TDX quote, say).
    #[error("the quote Gramine returned is not an SGX enclave quote")]
    NotSgxQuote,
    /// configfs-tsm returned a quote that is not of a trust domain.
    #[error("the quote configfs-tsm returned is not a TDX trust domain quote")]
    NotTdQuote,
    /// Someone else wrote to P's configfs-tsm report request between P's write and read.
    #[error("the configfs-tsm report request changed while P read its quote (generation {before} then {after}); another process uses it")]
    ConcurrentRequest {
        /// `generation` after P's write.
        before: String,
        /// `generation` after P's read.
        after: String,
    },
    /// The quote does not carry the report data P wrote: it is not this request's.
    #[error("the quote returned does not carry the report_data P wrote (found {found})")]
    ReportDataMismatch {
        /// The quote's report data, in hex.
        found: String,
    },
    /// The dev key could not sign the binding.
    #[error("signing the binding failed: {0}")]
    Signing(String),
    /// This backend does not produce multi-device evidence yet.
    #[error("multi-device evidence is not built for the {0} backend yet")]
    DeviceEvidenceUnsupported(Backend),
    /// The evidence produced does not have the required form.
    #[error(transparent)]
    Format(#[from] EvidenceFormatError),
}
