//! Intel DCAP quote verification in Rust, and the policy a key-generation quote must meet.
//!
//! The cryptography and Intel's chain of trust are `dcap-qvl`'s (Phala Network's pure-Rust port
//! of Intel's Quote Verification Library), run offline against Intel's SGX Root CA with
//! collateral the caller supplies. This module adds the appraisal: which results lsv accepts.
//!
//! What `dcap-qvl` checks (its `verify_impl`, steps 1–10; Intel's "Quote Verification" flow in
//! the DCAP ECDSA Quote Library API and the PCS/TCB-info specifications):
//!
//! 1. the root CA CRL and PCK CRL are signed under Intel's root; the root is not revoked;
//! 2. the TCB Info JSON is signed by Intel's TCB Signing certificate (issued by the root), and
//!    `issueDate <= now <= nextUpdate`;
//! 3. the QE Identity JSON likewise;
//! 4. the PCK certificate chain in the quote (PCK leaf → Platform/Processor CA → root) is valid
//!    at `now` and not revoked;
//! 5. the Quoting Enclave's report is signed by the PCK key, and its `REPORTDATA` commits to
//!    the attestation key and QE authentication data (SHA-256);
//! 6. the QE report matches the QE Identity (MRSIGNER, ISVPRODID, masked MISCSELECT and
//!    ATTRIBUTES) and its ISVSVN selects a QE TCB level;
//! 7. the quote header and body are signed by the attestation key (ECDSA P-256);
//! 8. the platform's FMSPC, CPUSVN and PCESVN (from the PCK certificate's SGX extension) select
//!    a TCB level of the TCB Info; statuses converge; `Revoked` is always refused.
//!
//! What [`DcapVerifier`] adds: every collateral source (TCB Info, QE Identity, both CRLs, every
//! certificate) is current at the verification time; no debug enclave (SGX `ATTRIBUTES.DEBUG`,
//! TDX `TD_ATTRIBUTES.TUD`); the TCB status is in an explicit list; and, for key generation,
//! an SGX enclave whose MRENCLAVE is in the trusted set, with ISVSVN at least the minimum, and
//! `REPORTDATA` equal to `binding ‖ 0^32`.

use alloy_primitives::B256;
use serde::{Deserialize, Serialize};

/// The collateral of one quote, in `dcap-qvl`'s `QuoteCollateralV3` JSON layout (the layout
/// Intel's PCS/PCCS responses are assembled into: PEM issuer chains, hex DER CRLs, the signed
/// TCB Info and QE Identity texts and their raw `r ‖ s` signatures).
#[derive(Clone, Debug)]
pub struct Collateral(dcap_qvl::QuoteCollateralV3);

impl Collateral {
    /// Collateral from its `QuoteCollateralV3` JSON.
    pub fn from_json(text: &str) -> Result<Self, DcapError> {
        serde_json::from_str(text)
            .map(Self)
            .map_err(|e| DcapError::Collateral(e.to_string()))
    }

    /// The underlying `dcap-qvl` value, for callers that assemble collateral themselves.
    pub fn from_dcap_qvl(collateral: dcap_qvl::QuoteCollateralV3) -> Self {
        Self(collateral)
    }

    /// The underlying `dcap-qvl` value.
    pub fn as_dcap_qvl(&self) -> &dcap_qvl::QuoteCollateralV3 {
        &self.0
    }
}

/// One dated item of a quote's collateral or PCK chain, and the window in which it is valid
/// (unix seconds, both ends included, as `dcap-qvl` and Intel's QVL compare them).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ValidityWindow {
    /// `TCB Info`, `QE Identity`, `root CA CRL`, `PCK CRL`, or `certificate "<CN>" of the
    /// <chain>`.
    pub item: String,
    /// The first second it is valid.
    pub not_before: u64,
    /// `None` for a CRL without `nextUpdate`.
    pub not_after: Option<u64>,
}

impl Collateral {
    /// Every dated item of this collateral and of `quote`'s PCK chain, with its window: TCB
    /// Info and QE Identity (`issueDate`, `nextUpdate`), the root CA and PCK CRLs
    /// (`thisUpdate`, `nextUpdate`), every certificate of the PCK chain and of the three issuer
    /// chains (`notBefore`, `notAfter`), each certificate once. It reads dates only and
    /// authenticates nothing.
    pub fn validity_windows(&self, quote: &[u8]) -> Result<Vec<ValidityWindow>, DcapError> {
        let (windows, errors) = collect_windows(&self.0, quote);
        match errors.into_iter().next() {
            Some(e) => Err(DcapError::Collateral(e)),
            None => Ok(windows),
        }
    }
}

/// The windows of every item that parses, and what did not parse (left for `dcap-qvl` to
/// refuse with its own message).
fn collect_windows(
    c: &dcap_qvl::QuoteCollateralV3,
    quote: &[u8],
) -> (Vec<ValidityWindow>, Vec<String>) {
    use x509_cert::der::Decode;
    let mut windows = Vec::new();
    let mut errors = Vec::new();
    for (item, json) in [("TCB Info", &c.tcb_info), ("QE Identity", &c.qe_identity)] {
        match json_window(json) {
            Ok((not_before, not_after)) => windows.push(ValidityWindow {
                item: item.into(),
                not_before,
                not_after: Some(not_after),
            }),
            Err(e) => errors.push(format!("{item}: {e}")),
        }
    }
    for (item, der) in [("root CA CRL", &c.root_ca_crl), ("PCK CRL", &c.pck_crl)] {
        match x509_cert::crl::CertificateList::<x509_cert::certificate::Rfc5280>::from_der(der) {
            Ok(crl) => windows.push(ValidityWindow {
                item: item.into(),
                not_before: crl.tbs_cert_list.this_update.to_unix_duration().as_secs(),
                not_after: crl
                    .tbs_cert_list
                    .next_update
                    .map(|t| t.to_unix_duration().as_secs()),
            }),
            Err(e) => errors.push(format!("{item}: {e}")),
        }
    }
    // dcap-qvl takes the PCK chain from the collateral when it carries one, else from the quote.
    let pck_chain = match &c.pck_certificate_chain {
        Some(pem) => Ok(pem.as_bytes().to_vec()),
        None => dcap_qvl::quote::Quote::parse(quote)
            .and_then(|q| q.raw_cert_chain().map(<[u8]>::to_vec))
            .map_err(|e| format!("{e:#}")),
    };
    let chains = [
        ("PCK certificate chain", pck_chain),
        (
            "TCB Info issuer chain",
            Ok(c.tcb_info_issuer_chain.as_bytes().to_vec()),
        ),
        (
            "QE Identity issuer chain",
            Ok(c.qe_identity_issuer_chain.as_bytes().to_vec()),
        ),
        (
            "PCK CRL issuer chain",
            Ok(c.pck_crl_issuer_chain.as_bytes().to_vec()),
        ),
    ];
    let mut seen: Vec<Vec<u8>> = Vec::new();
    for (chain, pem) in chains {
        let pems = match pem.and_then(|p| pem::parse_many(p).map_err(|e| e.to_string())) {
            Ok(pems) => pems,
            Err(e) => {
                errors.push(format!("{chain}: {e}"));
                continue;
            }
        };
        for block in pems.iter().filter(|p| p.tag() == "CERTIFICATE") {
            let der = block.contents();
            if seen.iter().any(|s| s == der) {
                continue;
            }
            seen.push(der.to_vec());
            match x509_cert::Certificate::from_der(der) {
                Ok(cert) => {
                    let tbs = cert.tbs_certificate();
                    let name = tbs
                        .subject()
                        .common_name()
                        .ok()
                        .flatten()
                        .map(String::from)
                        .unwrap_or_else(|| tbs.subject().to_string());
                    let validity = tbs.validity();
                    windows.push(ValidityWindow {
                        item: format!("certificate {name:?} of the {chain}"),
                        not_before: validity.not_before.to_unix_duration().as_secs(),
                        not_after: Some(validity.not_after.to_unix_duration().as_secs()),
                    });
                }
                Err(e) => errors.push(format!("a certificate of the {chain}: {e}")),
            }
        }
    }
    (windows, errors)
}

/// `issueDate` and `nextUpdate` of a TCB Info or QE Identity JSON body.
fn json_window(json: &str) -> Result<(u64, u64), String> {
    let value: serde_json::Value = serde_json::from_str(json).map_err(|e| e.to_string())?;
    let date = |field: &str| -> Result<u64, String> {
        let text = value
            .get(field)
            .and_then(|v| v.as_str())
            .ok_or_else(|| format!("no {field}"))?;
        text.parse::<x509_cert::der::DateTime>()
            .map(|d| d.unix_duration().as_secs())
            .map_err(|_| format!("{field} {text:?} is not YYYY-MM-DDThh:mm:ssZ"))
    };
    Ok((date("issueDate")?, date("nextUpdate")?))
}

/// Refuses `now` outside any window, naming the item: among expired items the first to
/// expire, among items not yet valid the last to become valid.
fn check_windows(windows: &[ValidityWindow], now: u64) -> Result<(), DcapError> {
    let expired = windows
        .iter()
        .filter_map(|w| w.not_after.filter(|&t| now > t).map(|t| (t, w)))
        .min_by_key(|(t, _)| *t);
    if let Some((expired_at, w)) = expired {
        return Err(DcapError::CollateralExpired {
            item: w.item.clone(),
            expired_at,
            now,
        });
    }
    let pending = windows
        .iter()
        .filter(|w| now < w.not_before)
        .max_by_key(|w| w.not_before);
    if let Some(w) = pending {
        return Err(DcapError::CollateralNotYetValid {
            item: w.item.clone(),
            valid_from: w.not_before,
            now,
        });
    }
    Ok(())
}

/// `YYYY-MM-DDThh:mm:ssZ`, for error messages.
fn utc(unix: u64) -> String {
    x509_cert::der::DateTime::from_unix_duration(std::time::Duration::from_secs(unix))
        .map(|d| d.to_string())
        .unwrap_or_else(|_| format!("unix {unix}"))
}

/// Intel's TCB status of a platform and its Quoting Enclave, converged (Intel PCS API, TCB Info
/// `tcbStatus`). Names are Intel's.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum TcbStatus {
    /// The platform and its Quoting Enclave are at the latest TCB level.
    UpToDate,
    /// At the latest level, but the enclave needs software mitigations that Intel's advisories
    /// name.
    SWHardeningNeeded,
    /// At the latest level, but the platform needs a configuration change (BIOS settings, say).
    ConfigurationNeeded,
    /// Both of the above.
    ConfigurationAndSWHardeningNeeded,
    /// Below the latest TCB level: a microcode or platform software update is due.
    OutOfDate,
    /// Below the latest level, and a configuration change is needed too.
    OutOfDateConfigurationNeeded,
    /// TDX: the trust domain should be relaunched to take a newer TCB.
    TDRelaunchAdvised,
    /// TDX: relaunch advised, and a configuration change is needed.
    TDRelaunchAdvisedConfigurationNeeded,
    /// The platform's keys are revoked: never trusted.
    Revoked,
}

impl From<dcap_qvl::TcbStatus> for TcbStatus {
    fn from(s: dcap_qvl::TcbStatus) -> Self {
        use dcap_qvl::TcbStatus as D;
        match s {
            D::UpToDate => Self::UpToDate,
            D::SWHardeningNeeded => Self::SWHardeningNeeded,
            D::ConfigurationNeeded => Self::ConfigurationNeeded,
            D::ConfigurationAndSWHardeningNeeded => Self::ConfigurationAndSWHardeningNeeded,
            D::OutOfDate => Self::OutOfDate,
            D::OutOfDateConfigurationNeeded => Self::OutOfDateConfigurationNeeded,
            D::TDRelaunchAdvised => Self::TDRelaunchAdvised,
            D::TDRelaunchAdvisedConfigurationNeeded => Self::TDRelaunchAdvisedConfigurationNeeded,
            D::Revoked => Self::Revoked,
        }
    }
}

impl std::fmt::Display for TcbStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{self:?}")
    }
}

impl TcbStatus {
    /// Every status but `Revoked` (which `dcap-qvl` never lets through anyway).
    pub const ALL_NOT_REVOKED: [TcbStatus; 8] = [
        TcbStatus::UpToDate,
        TcbStatus::SWHardeningNeeded,
        TcbStatus::ConfigurationNeeded,
        TcbStatus::ConfigurationAndSWHardeningNeeded,
        TcbStatus::OutOfDate,
        TcbStatus::OutOfDateConfigurationNeeded,
        TcbStatus::TDRelaunchAdvised,
        TcbStatus::TDRelaunchAdvisedConfigurationNeeded,
    ];
}

/// The platform a quote comes from, from its Intel-signed PCK certificate (SGX PCK Certificate
/// and CRL Profile: the SGX extension's PPID and FMSPC). Two enclaves on one CPU package share
/// it; that is what tells n devices from n enclaves on one machine.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct SgxPlatform {
    /// Family-Model-Stepping-Platform-CustomSKU (6 bytes): the platform model.
    #[serde(with = "hex_bytes")]
    pub fmspc: Vec<u8>,
    /// Platform Provisioning ID (16 bytes): this platform.
    #[serde(with = "hex_bytes")]
    pub ppid: Vec<u8>,
}

/// The body of a verified quote.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ReportBody {
    /// An SGX enclave report (quote version 3).
    Sgx {
        /// The enclave's measurement.
        mr_enclave: B256,
        /// The hash of the key that signed the enclave.
        mr_signer: B256,
        /// The product id its signer gave it.
        isv_prod_id: u16,
        /// Its security version.
        isv_svn: u16,
        /// Whether it runs in debug mode (its memory open to the host).
        debug: bool,
        /// The 64 bytes the enclave put in its report.
        report_data: [u8; 64],
    },
    /// A TDX TD report (quote version 4 or 5).
    Td {
        /// The trust domain's initial measurement (its firmware, TDVF).
        mr_td: [u8; 48],
        /// What a key-generation policy pins: [`td_measurement`] of the report.
        measurement: B256,
        /// Whether it runs in debug mode.
        debug: bool,
        /// The 64 bytes the trust domain put in its report.
        report_data: [u8; 64],
    },
}

impl ReportBody {
    /// The report data, whichever kind of report.
    pub fn report_data(&self) -> &[u8; 64] {
        match self {
            ReportBody::Sgx { report_data, .. } | ReportBody::Td { report_data, .. } => report_data,
        }
    }

    /// Whether the enclave or trust domain runs in debug mode.
    pub fn is_debug(&self) -> bool {
        match self {
            ReportBody::Sgx { debug, .. } | ReportBody::Td { debug, .. } => *debug,
        }
    }

    fn kind(&self) -> &'static str {
        match self {
            ReportBody::Sgx { .. } => "SGX enclave",
            ReportBody::Td { .. } => "TDX trust domain",
        }
    }
}

/// A quote that passed Intel's chain of trust and the quote-level policy.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifiedQuote {
    /// The quote's format version (3 for SGX).
    pub quote_version: u16,
    /// The platform's TCB status, as Intel's TCB Info gives it.
    pub tcb_status: TcbStatus,
    /// Intel's security advisories that apply to it.
    pub advisory_ids: Vec<String>,
    /// What the enclave reported.
    pub report: ReportBody,
    /// The platform, from its PCK certificate.
    pub platform: SgxPlatform,
    /// The latest issue date and the earliest expiry over all collateral (unix seconds): the
    /// window in which this verification holds.
    pub collateral_valid_from: u64,
    /// The end of that window.
    pub collateral_valid_until: u64,
}

/// Which check refused a quote.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DcapError {
    /// The collateral does not parse.
    #[error("collateral is malformed: {0}")]
    Collateral(String),
    /// A signature, certificate or CRL check failed.
    #[error("quote failed Intel's chain of trust: {0}")]
    Untrusted(String),
    /// An item of the collateral or of the quote's PCK chain expired before the verification
    /// time (the first to expire, when several did).
    #[error(
        "{item} expired at {} (unix {expired_at}); verification time is {} (unix {now})",
        utc(*expired_at),
        utc(*now)
    )]
    CollateralExpired {
        /// Which item.
        item: String,
        /// When it expired (unix seconds).
        expired_at: u64,
        /// The verification time.
        now: u64,
    },
    /// An item of the collateral or of the quote's PCK chain is not valid yet at the
    /// verification time (the last to become valid, when several are not).
    #[error(
        "{item} is not valid before {} (unix {valid_from}); verification time is {} (unix {now})",
        utc(*valid_from),
        utc(*now)
    )]
    CollateralNotYetValid {
        /// Which item.
        item: String,
        /// When it becomes valid (unix seconds).
        valid_from: u64,
        /// The verification time.
        now: u64,
    },
    /// The collateral's window does not contain the verification time.
    #[error("collateral is not current at {now}: it holds from {valid_from} until {valid_until}")]
    CollateralNotCurrent {
        /// The verification time.
        now: u64,
        /// The window's start.
        valid_from: u64,
        /// The window's end.
        valid_until: u64,
    },
    /// The enclave or trust domain runs in debug mode.
    #[error("the {0} runs in debug mode: its memory is open to the host")]
    DebugEnclave(&'static str),
    /// The platform's TCB status is not one the policy accepts.
    #[error("TCB status {found} is not one of the accepted {accepted:?}")]
    TcbStatusNotAccepted {
        /// The platform's status.
        found: TcbStatus,
        /// The statuses the policy accepts.
        accepted: Vec<TcbStatus>,
    },
    /// The enclave is not a P build the policy trusts.
    #[error("MRENCLAVE {0} is not in the trusted set")]
    MrEnclaveNotTrusted(B256),
    /// The trust domain is not a P image the policy trusts.
    #[error("TD measurement {0} (sha256 of MRTD, MRCONFIGID, MROWNER, MROWNERCONFIG, RTMR0-3) is not in the trusted set")]
    TdMeasurementNotTrusted(B256),
    /// The quote's PCK certificate does not give the platform's identity.
    #[error("the quote's PCK certificate cannot be read: {0}")]
    PckCertificate(String),
    /// The enclave's security version is below the policy's minimum.
    #[error("ISVSVN {found} is below the minimum {minimum}")]
    IsvSvnTooLow {
        /// The enclave's ISVSVN.
        found: u16,
        /// The lowest the policy accepts.
        minimum: u16,
    },
    /// The report data is not the binding followed by 32 zero bytes: the quote is for another
    /// claim.
    #[error(
        "report_data 0x{} is not binding ‖ 0^32 for binding {expected}",
        hex::encode(found)
    )]
    ReportDataMismatch {
        /// The claim's binding.
        expected: B256,
        /// The report data.
        found: Vec<u8>,
    },
}

/// Which quotes lsv accepts from P for key generation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeyGenerationPolicy {
    /// The MRENCLAVEs of the P builds the verifier trusts (from `gramine-sgx-sigstruct-view`).
    pub mr_enclaves: Vec<B256>,
    /// The lowest ISVSVN accepted (`sgx.isvsvn` in P's manifest).
    pub min_isv_svn: u16,
    /// The [`td_measurement`]s of the TD images running P that the verifier trusts (none: TDX
    /// quotes are refused).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub td_measurements: Vec<B256>,
    /// The TCB statuses accepted, explicitly. `UpToDate` alone is the strict choice.
    pub accepted_tcb_statuses: Vec<TcbStatus>,
}

/// Verifies DCAP quotes against Intel's SGX Root CA (the certificate `dcap-qvl` embeds,
/// `Intel SGX Root CA`, the last certificate of every Intel issuer chain).
pub struct DcapVerifier {
    inner: dcap_qvl::verify::QuoteVerifier,
}

impl Default for DcapVerifier {
    fn default() -> Self {
        Self::intel()
    }
}

impl DcapVerifier {
    /// A verifier trusting Intel's production SGX Root CA only.
    pub fn intel() -> Self {
        // Debug enclaves are refused below, by our own check, so that the refusal names itself;
        // letting dcap-qvl through here changes nothing else (its `validate_attrs` only).
        Self {
            inner: dcap_qvl::verify::QuoteVerifier::new_prod().allow_debug(true),
        }
    }

    /// A verifier trusting another root CA (its DER certificate) instead of Intel's: for tests
    /// that re-sign real evidence under a root of their own. Production code uses
    /// [`Self::intel`].
    pub fn with_root_ca(root_ca_der: Vec<u8>) -> Self {
        Self {
            inner: dcap_qvl::verify::QuoteVerifier::new(root_ca_der).allow_debug(true),
        }
    }

    /// Verifies `quote` with `collateral` at unix time `now`: Intel's chain of trust, current
    /// collateral, no debug enclave, a TCB status in `accepted_tcb_statuses`.
    pub fn verify_quote(
        &self,
        quote: &[u8],
        collateral: &Collateral,
        now: u64,
        accepted_tcb_statuses: &[TcbStatus],
    ) -> Result<VerifiedQuote, DcapError> {
        // Dates first, so that an expired or not-yet-valid item is named with its time rather
        // than reported as whichever of dcap-qvl's checks happens to meet it first.
        check_windows(&collect_windows(&collateral.0, quote).0, now)?;
        let claims = self
            .inner
            .verify_with_policy(
                quote,
                collateral.0.clone(),
                now,
                // Appraisal is ours, below; this only supplies the time.
                &dcap_qvl::QuotePolicy::claims_only(now),
            )
            .map_err(|e| DcapError::Untrusted(format!("{e:#}")))?;
        let valid_from = claims.latest_issue_date;
        let valid_until = claims.earliest_expiration_date;
        if now < valid_from || now > valid_until {
            return Err(DcapError::CollateralNotCurrent {
                now,
                valid_from,
                valid_until,
            });
        }
        let report = match &claims.report {
            dcap_qvl::quote::Report::SgxEnclave(r) => ReportBody::Sgx {
                mr_enclave: B256::from(r.mr_enclave),
                mr_signer: B256::from(r.mr_signer),
                isv_prod_id: r.isv_prod_id,
                isv_svn: r.isv_svn,
                // SGX ATTRIBUTES.DEBUG is bit 1 of the flags (Intel SDM vol. 3D, 38.7.1).
                debug: r.attributes[0] & 0x02 != 0,
                report_data: r.report_data,
            },
            other => {
                let td = other.as_td10().ok_or_else(|| {
                    DcapError::Untrusted("quote body is neither SGX nor TDX".into())
                })?;
                ReportBody::Td {
                    mr_td: td.mr_td,
                    measurement: td_measurement(td),
                    // TD_ATTRIBUTES.TUD (bits 7:0): any bit set means the TD is under debug
                    // and untrusted (Intel TDX Module ABI spec, TD attributes).
                    debug: td.td_attributes[0] != 0,
                    report_data: td.report_data,
                }
            }
        };
        if report.is_debug() {
            return Err(DcapError::DebugEnclave(report.kind()));
        }
        let tcb_status = TcbStatus::from(claims.tcb.status);
        if !accepted_tcb_statuses.contains(&tcb_status) {
            return Err(DcapError::TcbStatusNotAccepted {
                found: tcb_status,
                accepted: accepted_tcb_statuses.to_vec(),
            });
        }
        Ok(VerifiedQuote {
            quote_version: claims.header.version,
            tcb_status,
            advisory_ids: claims.tcb.advisory_ids.clone(),
            report,
            platform: SgxPlatform {
                fmspc: claims.platform.pck.fmspc.to_vec(),
                ppid: claims.platform.pck.ppid.clone(),
            },
            collateral_valid_from: valid_from,
            collateral_valid_until: valid_until,
        })
    }

    /// Verifies a key-generation quote: [`Self::verify_quote`], then an SGX enclave whose
    /// MRENCLAVE is trusted and ISVSVN at least the minimum, or a TDX trust domain whose
    /// [`td_measurement`] is trusted; and `REPORTDATA = binding ‖ 0^32`.
    pub fn verify_key_generation(
        &self,
        quote: &[u8],
        collateral: &Collateral,
        now: u64,
        policy: &KeyGenerationPolicy,
        binding: B256,
    ) -> Result<VerifiedQuote, DcapError> {
        let verified = self.verify_quote(quote, collateral, now, &policy.accepted_tcb_statuses)?;
        match &verified.report {
            ReportBody::Sgx {
                mr_enclave,
                isv_svn,
                ..
            } => {
                if !policy.mr_enclaves.contains(mr_enclave) {
                    return Err(DcapError::MrEnclaveNotTrusted(*mr_enclave));
                }
                if *isv_svn < policy.min_isv_svn {
                    return Err(DcapError::IsvSvnTooLow {
                        found: *isv_svn,
                        minimum: policy.min_isv_svn,
                    });
                }
            }
            ReportBody::Td { measurement, .. } => {
                if !policy.td_measurements.contains(measurement) {
                    return Err(DcapError::TdMeasurementNotTrusted(*measurement));
                }
            }
        }
        let report_data = verified.report.report_data();
        if *report_data != crate::binding::report_data_for(binding) {
            return Err(DcapError::ReportDataMismatch {
                expected: binding,
                found: report_data.to_vec(),
            });
        }
        Ok(verified)
    }
}

/// What a key-generation policy pins for P in a trust domain: SHA-256 over the TD report's
/// MRTD ‖ MRCONFIGID ‖ MROWNER ‖ MROWNERCONFIG ‖ RTMR0 ‖ RTMR1 ‖ RTMR2 ‖ RTMR3 (8 × 48 bytes, the
/// contiguous bytes 136..520 of `TDREPORT` TD 1.0; Intel TDX DCAP Quoting Library API, "TD
/// Report"): the firmware, the launch configuration and owner fields the host chose, and the
/// boot chain measured at run time (kernel, command line, initrd holding P). The on-chain
/// verifier (`DcapTdxAttestationVerifier.TD_MEASUREMENT`) computes the same digest.
pub fn td_measurement(report: &dcap_qvl::quote::TDReport10) -> B256 {
    use sha2::Digest;
    let mut h = sha2::Sha256::new();
    for register in [
        &report.mr_td,
        &report.mr_config_id,
        &report.mr_owner,
        &report.mr_owner_config,
        &report.rt_mr0,
        &report.rt_mr1,
        &report.rt_mr2,
        &report.rt_mr3,
    ] {
        h.update(register);
    }
    B256::from_slice(&h.finalize())
}

/// The platform a quote claims to come from (PPID and FMSPC of the PCK certificate in its
/// certification data), read without authenticating anything: what a device states as its
/// platform, which a verifier then proves (or refuses) from the verified quote.
pub fn quote_platform(quote: &[u8]) -> Result<SgxPlatform, DcapError> {
    let parsed = dcap_qvl::quote::Quote::parse(quote)
        .map_err(|e| DcapError::PckCertificate(format!("{e:#}")))?;
    let chain = dcap_qvl::intel::extract_cert_chain(&parsed)
        .map_err(|e| DcapError::PckCertificate(format!("{e:#}")))?;
    let leaf = chain
        .first()
        .ok_or_else(|| DcapError::PckCertificate("no certificate".into()))?;
    let pck = dcap_qvl::intel::parse_pck_extension(leaf)
        .map_err(|e| DcapError::PckCertificate(format!("{e:#}")))?;
    Ok(SgxPlatform {
        fmspc: pck.fmspc.to_vec(),
        ppid: pck.ppid,
    })
}

mod hex_bytes {
    use serde::{de, Deserialize, Deserializer, Serializer};

    pub(super) fn serialize<S: Serializer>(v: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(&format_args!("0x{}", hex::encode(v)))
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        hex::decode(s.strip_prefix("0x").unwrap_or(&s)).map_err(de::Error::custom)
    }
}
