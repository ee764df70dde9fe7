//! The `sgx-dcap` backend: Intel SGX DCAP quotes through Gramine's `/dev/attestation`.
//!
//! Gramine (the library OS P runs in as an SGX enclave) exposes local and remote attestation
//! as pseudo-files (Gramine documentation, "Attestation and Secret Provisioning",
//! `/dev/attestation/` interface):
//!
//! - `attestation_type`: `none`, `epid` or `dcap`, from the manifest's
//!   `sgx.remote_attestation`;
//! - `user_report_data`: write 64 bytes; they become `REPORTDATA` of the next report/quote;
//! - `quote`: read the DCAP quote (from the Quoting Enclave) over the current
//!   `user_report_data`.
//!
//! Writing the report data and reading the quote are two steps on shared files, so
//! [`GramineDcapAttester`] holds a lock across them, and checks that the quote it read carries
//! the report data it wrote.

use crate::attester::{AttestError, Attester};
use crate::binding::KeyGenerationClaim;
use crate::dcap::quote_platform;
use crate::evidence::{Backend, Evidence};
use crate::multi::PlatformId;
use alloy_primitives::{Bytes, B256};
use parking_lot::Mutex;
use std::path::{Path, PathBuf};

/// Where Gramine mounts its attestation pseudo-files inside the enclave.
pub const DEFAULT_ROOT: &str = "/dev/attestation";

/// Reads `<root>/attestation_type` (trimmed).
pub fn attestation_type(root: &Path) -> Result<String, AttestError> {
    let path = root.join("attestation_type");
    std::fs::read_to_string(&path)
        .map(|s| s.trim().to_owned())
        .map_err(|source| AttestError::Io { path, source })
}

/// Succeeds only when Gramine at `root` reports DCAP remote attestation: P is then inside an
/// SGX enclave under `gramine-sgx` whose manifest asked for DCAP.
pub fn require_dcap(root: &Path) -> Result<(), AttestError> {
    let found = attestation_type(root)?;
    if found != "dcap" {
        return Err(AttestError::NotDcap { found });
    }
    Ok(())
}

/// Quotes through Gramine's attestation pseudo-files at a configurable root
/// ([`DEFAULT_ROOT`] inside an enclave; a directory laid out the same way in tests).
pub struct GramineDcapAttester {
    root: PathBuf,
    /// Serialises write-report-data-then-read-quote.
    lock: Mutex<()>,
}

impl GramineDcapAttester {
    /// Opens the interface at `root`, refusing unless its `attestation_type` is `dcap`.
    pub fn open(root: impl Into<PathBuf>) -> Result<Self, AttestError> {
        let root = root.into();
        require_dcap(&root)?;
        Ok(Self {
            root,
            lock: Mutex::new(()),
        })
    }

    /// The attestation interface's directory (normally `/dev/attestation`).
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Writes `report_data` and reads the quote Gramine produces over it.
    pub fn quote(&self, report_data: &[u8; 64]) -> Result<Vec<u8>, AttestError> {
        let _held = self.lock.lock();
        let urd = self.root.join("user_report_data");
        std::fs::write(&urd, report_data)
            .map_err(|source| AttestError::Io { path: urd, source })?;
        let quote_path = self.root.join("quote");
        let quote = std::fs::read(&quote_path).map_err(|source| AttestError::Io {
            path: quote_path,
            source,
        })?;
        let parsed = dcap_qvl::quote::Quote::parse(&quote)
            .map_err(|e| AttestError::BadQuote(format!("{e:#}")))?;
        let report = parsed.report.as_sgx().ok_or(AttestError::NotSgxQuote)?;
        if report.report_data != *report_data {
            return Err(AttestError::ReportDataMismatch {
                found: format!("0x{}", hex::encode(report.report_data)),
            });
        }
        Ok(quote)
    }
}

impl Attester for GramineDcapAttester {
    fn backend(&self) -> Backend {
        Backend::SgxDcap
    }

    fn attest(&self, claim: &KeyGenerationClaim) -> Result<Evidence, AttestError> {
        let quote = self.quote(&claim.report_data())?;
        Ok(Evidence::sgx_dcap(*claim, quote)?)
    }

    fn attest_device(&self, binding: B256) -> Result<(Bytes, PlatformId), AttestError> {
        let quote = self.quote(&crate::binding::report_data_for(binding))?;
        let platform = quote_platform(&quote).map_err(|e| AttestError::BadQuote(e.to_string()))?;
        Ok((quote.into(), PlatformId::Sgx(platform)))
    }
}
