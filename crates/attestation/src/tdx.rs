//! The `tdx-dcap` backend: Intel TDX DCAP quotes (version 4) through Linux's configfs-tsm.
//!
//! Inside an Intel TDX trust domain, Linux (6.7 and later, `tdx_guest` driver) exposes quote
//! generation as a configfs directory (kernel documentation,
//! `Documentation/ABI/testing/configfs-tsm-report`, "/sys/kernel/config/tsm/report/$name"):
//!
//! - `mkdir <root>/<name>` creates a report request;
//! - `provider` names the TEE driver answering it (`tdx_guest` in a TD);
//! - `inblob`: write up to 64 bytes; they become the TD report's `REPORTDATA`;
//! - `outblob`: read the quote (the TD Quoting Enclave's, DCAP v4 for TDX 1.0/1.5) over the
//!   last `inblob`;
//! - `generation`: a counter the kernel increments on every write to the request. Reading it
//!   after writing `inblob` and again after reading `outblob` tells whether anyone else wrote
//!   to the request in between (the ABI's documented way to detect a conflict).
//!
//! [`TdxDcapAttester`] holds a lock across write-then-read, checks `generation` around the read,
//! and checks that the quote it read is a TD quote over the report data it wrote: a host or
//! another process in the TD that swaps the quote is caught here, and again by any verifier.
//!
//! The measurement a verifier pins for P in a TD is [`crate::dcap::td_measurement`]: SHA-256
//! over MRTD, MRCONFIGID, MROWNER, MROWNERCONFIG and RTMR0–3 of the TD report, i.e. the TD's
//! firmware, its launch configuration, and the boot chain (kernel, command line, initrd with P)
//! measured into the RTMRs.

use crate::attester::{AttestError, Attester};
use crate::binding::KeyGenerationClaim;
use crate::dcap::quote_platform;
use crate::evidence::{Backend, Evidence};
use crate::multi::PlatformId;
use alloy_primitives::{Bytes, B256};
use parking_lot::Mutex;
use std::path::{Path, PathBuf};

/// Where Linux mounts configfs-tsm report requests.
pub const DEFAULT_ROOT: &str = "/sys/kernel/config/tsm/report";

/// The `provider` a TD's quote requests are answered by.
pub const TDX_PROVIDER: &str = "tdx_guest";

/// Quotes through a configfs-tsm report request at a configurable root ([`DEFAULT_ROOT`] in a
/// TD; a directory laid out the same way in tests).
pub struct TdxDcapAttester {
    entry: PathBuf,
    /// Serialises write-inblob-then-read-outblob.
    lock: Mutex<()>,
}

impl TdxDcapAttester {
    /// Opens (creating it if needed) the report request `lsv-p` under `root`, refusing unless its
    /// provider is `tdx_guest`.
    pub fn open(root: impl AsRef<Path>) -> Result<Self, AttestError> {
        let entry = root.as_ref().join("lsv-p");
        match std::fs::create_dir(&entry) {
            Ok(()) => {}
            // A request left by an earlier run of P is reused: every quote is checked against
            // the report data written for it.
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
            Err(source) => {
                return Err(AttestError::Io {
                    path: entry,
                    source,
                })
            }
        }
        let provider = read_text(&entry.join("provider"))?;
        if provider != TDX_PROVIDER {
            return Err(AttestError::NotTdx { found: provider });
        }
        Ok(Self {
            entry,
            lock: Mutex::new(()),
        })
    }

    /// The report request's directory.
    pub fn entry(&self) -> &Path {
        &self.entry
    }

    /// Writes `report_data` and reads the TD quote the kernel produces over it.
    pub fn quote(&self, report_data: &[u8; 64]) -> Result<Vec<u8>, AttestError> {
        let _held = self.lock.lock();
        let inblob = self.entry.join("inblob");
        std::fs::write(&inblob, report_data).map_err(|source| AttestError::Io {
            path: inblob,
            source,
        })?;
        let generation = self.entry.join("generation");
        let before = read_text(&generation)?;
        let outblob = self.entry.join("outblob");
        let quote = std::fs::read(&outblob).map_err(|source| AttestError::Io {
            path: outblob,
            source,
        })?;
        let after = read_text(&generation)?;
        if before != after {
            return Err(AttestError::ConcurrentRequest { before, after });
        }
        let parsed = dcap_qvl::quote::Quote::parse(&quote)
            .map_err(|e| AttestError::BadQuote(format!("{e:#}")))?;
        let report = parsed.report.as_td10().ok_or(AttestError::NotTdQuote)?;
        if report.report_data != *report_data {
            return Err(AttestError::ReportDataMismatch {
                found: format!("0x{}", hex::encode(report.report_data)),
            });
        }
        Ok(quote)
    }
}

impl Attester for TdxDcapAttester {
    fn backend(&self) -> Backend {
        Backend::TdxDcap
    }

    fn attest(&self, claim: &KeyGenerationClaim) -> Result<Evidence, AttestError> {
        let quote = self.quote(&claim.report_data())?;
        Ok(Evidence::tdx_dcap(*claim, quote)?)
    }

    fn attest_device(&self, binding: B256) -> Result<(Bytes, PlatformId), AttestError> {
        let quote = self.quote(&crate::binding::report_data_for(binding))?;
        let platform = quote_platform(&quote).map_err(|e| AttestError::BadQuote(e.to_string()))?;
        Ok((quote.into(), PlatformId::Sgx(platform)))
    }
}

/// A configfs attribute's text, trimmed.
fn read_text(path: &Path) -> Result<String, AttestError> {
    std::fs::read_to_string(path)
        .map(|s| s.trim().to_owned())
        .map_err(|source| AttestError::Io {
            path: path.to_owned(),
            source,
        })
}
