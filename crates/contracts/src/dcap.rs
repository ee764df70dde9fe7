//! Evidence for the on-chain DCAP verifiers (`contracts/src/DcapAttestationVerifier.sol` for an
//! Intel SGX quote, ECDSA, version 3; `contracts/src/DcapTdxAttestationVerifier.sol` for an
//! Intel TDX quote, ECDSA, version 4): the quote and its collateral, re-packed as
//! `abi.encode(Evidence)` (one layout for both).
//!
//! The contracts read DER and Intel's signed JSON, never PEM or hex, so this module moves the
//! certificates the quote carries as PEM (its certification data, type 5; in a v4 quote nested
//! inside the QE report certification data, type 6) and the collateral's PEM chains and hex CRLs
//! into DER fields. Nothing is re-encoded: every DER byte string is the one Intel signed, and the
//! quote is passed whole. The collateral is read in dcap-qvl's `QuoteCollateralV3` JSON layout
//! (what its `get_collateral` and the PCCS give).
//!
//! For a device of a multi-device key (`contracts/src/DcapDeviceVerifier.sol`), the same
//! evidence goes behind a [`DeviceKind`] byte naming the verifier it is for:
//! [`encode_device_evidence`], [`DcapEvidence::encode_for_device`].
//!
//! `test_pki` (feature `test-pki`, for tests only) re-signs real evidence under a test root key.
//!
//! [`enclave_report`] and [`td_report`] read the report body a verifier's policy is about: an
//! SGX enclave's (MRENCLAVE, ...) or a trust domain's (its measurement registers, whose
//! [`TdReport::measurement`] is the TDX verifier's `TD_MEASUREMENT`).
//!
//! ```no_run
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use lsv_contracts::dcap::{self, QuoteCollateral};
//! let quote = std::fs::read("quote.bin")?;
//! let collateral: QuoteCollateral = serde_json::from_str(&std::fs::read_to_string("collateral.json")?)?;
//! let evidence = dcap::encode_evidence(&quote, &collateral)?;
//! # let _ = evidence; Ok(()) }
//! ```

#[cfg(feature = "test-pki")]
pub mod test_pki;

use alloy_primitives::{hex, Bytes, FixedBytes, B256};
use alloy_sol_types::SolValue;
use serde::Deserialize;
use sha2::{Digest, Sha256};
use std::ops::Range;
use x509_cert::der::Decode;
use x509_cert::Certificate;

alloy_sol_types::sol! {
    /// `DcapQuoteVerifier.Evidence` (of the SGX and the TDX verifier alike): the verifier's
    /// `evidence` is `abi.encode` of this.
    #[derive(Debug, PartialEq, Eq)]
    struct DcapEvidence {
        /// The quote, verbatim.
        bytes quote;
        /// The PCK certificate (DER), from the quote's certification data.
        bytes pckCert;
        /// The Intel SGX PCK Platform or Processor CA certificate (DER) that issued it.
        bytes pckCaCert;
        /// The CRL of that CA (DER).
        bytes pckCrl;
        /// The Intel SGX Root CA's CRL (DER).
        bytes rootCaCrl;
        /// The Intel SGX TCB Signing certificate (DER).
        bytes tcbSigningCert;
        /// The exact signed text of the TCB info (`tcbInfo` object).
        bytes tcbInfo;
        /// `r ‖ s` over `tcbInfo`.
        bytes tcbInfoSignature;
        /// The exact signed text of the QE identity (`enclaveIdentity` object).
        bytes qeIdentity;
        /// `r ‖ s` over `qeIdentity`.
        bytes qeIdentitySignature;
    }
}

/// Quote v3 layout (Intel SGX ECDSA Quote Library API, Appendix A): header and ISV enclave
/// report, then the signature data.
const HEADER_LEN: usize = 48;
const REPORT_LEN: usize = 384;
const SIG_DATA: usize = HEADER_LEN + REPORT_LEN + 4;
/// ISV signature, attestation key, QE report, QE report signature.
const QE_AUTH: usize = SIG_DATA + 64 + 64 + REPORT_LEN + 64;
/// Certification data type 5: PCK leaf, intermediate CA and root certificates, PEM.
const CERT_TYPE_PCK_CHAIN: u16 = 5;

/// Quote v4 layout (Intel TDX DCAP Quoting Library API, Appendix A.3 "Version 4 Quote Format"):
/// header, TD report (A.3.2 "TD Quote Body", TDX 1.0: 584 bytes), the u32 signature data
/// length, then the signature data (A.3.8): quote signature (64), attestation key (64) and
/// certification data (A.3.9) of type 6, whose data (A.3.11) is the QE report (384), its
/// signature (64), the QE authentication data (u16 length + data) and certification data of
/// type 5.
const TD_REPORT_LEN: usize = 584;
const V4_SIG_DATA: usize = HEADER_LEN + TD_REPORT_LEN + 4;
const V4_CERT_DATA: usize = V4_SIG_DATA + 64 + 64;
const V4_QE_AUTH: usize = V4_CERT_DATA + 6 + REPORT_LEN + 64;
/// Certification data type 6: QE report certification data.
const CERT_TYPE_QE_REPORT: u16 = 6;
/// Quote header `TEE Type` of a TD quote.
const TEE_TYPE_TDX: u32 = 0x81;

/// Where the TD report starts in a TDX quote v4 (after the 48-byte header).
pub const TD_REPORT_OFFSET: usize = HEADER_LEN;
/// The bytes of a TD report that [`TdReport::measurement`] hashes: MRTD, MRCONFIGID, MROWNER,
/// MROWNERCONFIG and RTMR0–3, contiguous (offsets within the TD report).
pub const TD_MEASURED_REGISTERS: Range<usize> = 136..520;

const CN_PCK_CERT: &str = "Intel SGX PCK Certificate";
const CN_PLATFORM_CA: &str = "Intel SGX PCK Platform CA";
const CN_PROCESSOR_CA: &str = "Intel SGX PCK Processor CA";
const CN_TCB_SIGNING: &str = "Intel SGX TCB Signing";

/// Why a quote and collateral cannot be packed as evidence.
#[derive(Debug, thiserror::Error)]
pub enum EvidenceError {
    /// The quote is not a well-formed SGX DCAP v3 or TDX DCAP v4 quote: what is wrong with it.
    #[error("quote: {0}")]
    Quote(&'static str),
    /// A collateral field is not hex.
    #[error("{field}: not hex: {source}")]
    Hex {
        /// The field.
        field: &'static str,
        /// What the decoder said.
        source: hex::FromHexError,
    },
    /// A certificate chain is not PEM.
    #[error("{field}: PEM: {source}")]
    Pem {
        /// The field.
        field: &'static str,
        /// What the decoder said.
        source: pem::PemError,
    },
    /// A certificate or CRL is not DER X.509.
    #[error("{field}: X.509: {source}")]
    X509 {
        /// The field.
        field: &'static str,
        /// What the decoder said.
        source: x509_cert::der::Error,
    },
    /// A chain lacks a certificate the verifier needs: the chain, and the missing certificate's
    /// common name.
    #[error("{0}: no certificate with commonName {1:?}")]
    MissingCertificate(&'static str, &'static str),
    /// A signature that is not 64 bytes `r ‖ s`: which one, and its length.
    #[error("{0}: signature is {1} bytes, not 64")]
    SignatureLength(&'static str, usize),
    /// The TCB info and the QE identity are signed by different certificates.
    #[error("the TCB info and QE identity are signed by different certificates")]
    SigningCertificatesDiffer,
    /// The PCK CRL is not issued by the CA that issued the quote's PCK certificate.
    #[error("the PCK CRL's issuer is not the CA that issued the quote's PCK certificate")]
    PckCrlIssuerDiffers,
}

/// Collateral in dcap-qvl's `QuoteCollateralV3` JSON layout: chains PEM, CRLs hex DER, the
/// TCB info and QE identity as the exact JSON text Intel signed, signatures hex `r ‖ s`.
#[derive(Clone, Debug, Deserialize)]
pub struct QuoteCollateral {
    /// The PEM chain of the PCK CRL's issuer.
    pub pck_crl_issuer_chain: String,
    /// Intel's root CA CRL, hex DER.
    pub root_ca_crl: String,
    /// The PCK CRL, hex DER.
    pub pck_crl: String,
    /// The PEM chain of the TCB info's signer.
    pub tcb_info_issuer_chain: String,
    /// The TCB info, the exact JSON text Intel signed.
    pub tcb_info: String,
    /// Its signature, hex `r ‖ s`.
    pub tcb_info_signature: String,
    /// The PEM chain of the QE identity's signer.
    pub qe_identity_issuer_chain: String,
    /// The QE identity, the exact JSON text Intel signed.
    pub qe_identity: String,
    /// Its signature, hex `r ‖ s`.
    pub qe_identity_signature: String,
}

/// The fields of a quote's ISV enclave report that the verifier's policy reads.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EnclaveReport {
    /// ATTRIBUTES (flags and XFRM).
    pub attributes: [u8; 16],
    /// The enclave's measurement.
    pub mr_enclave: B256,
    /// The hash of the key that signed the enclave.
    pub mr_signer: B256,
    /// The product id its signer gave it.
    pub isv_prod_id: u16,
    /// Its security version.
    pub isv_svn: u16,
    /// The 64 bytes the enclave put in its report.
    pub report_data: [u8; 64],
}

impl EnclaveReport {
    /// ATTRIBUTES.FLAGS bit 1 (DEBUG).
    pub fn is_debug(&self) -> bool {
        self.attributes[0] & 0x02 != 0
    }

    /// `report_data[0:32]`: where the verifier expects the key-generation binding.
    pub fn binding(&self) -> B256 {
        B256::from_slice(&self.report_data[..32])
    }
}

/// The TD report (TDX 1.0, the "TD Quote Body" of a quote v4): the fields the TDX verifier
/// reads, and the registers its measurement covers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TdReport {
    /// TEE_TCB_SVN: the TDX module's ISVSVN (byte 0) and major version (byte 1), then the
    /// other TDX TCB component SVNs.
    pub tee_tcb_svn: [u8; 16],
    /// MRSEAM: the TDX module's measurement.
    pub mr_seam: FixedBytes<48>,
    /// MRSIGNERSEAM: its signer (zero for Intel's modules).
    pub mr_signer_seam: FixedBytes<48>,
    /// SEAMATTRIBUTES (zero for a production module).
    pub seam_attributes: [u8; 8],
    /// TDATTRIBUTES, as in the report (little-endian): byte 0 is TUD (debug).
    pub td_attributes: [u8; 8],
    /// XFAM: the extended CPU features the TD may use.
    pub xfam: [u8; 8],
    /// MRTD: the TD's initial contents (its firmware).
    pub mr_td: FixedBytes<48>,
    /// MRCONFIGID: software-defined configuration set at launch.
    pub mr_config_id: FixedBytes<48>,
    /// MROWNER: the TD owner's identity set at launch.
    pub mr_owner: FixedBytes<48>,
    /// MROWNERCONFIG: owner-defined configuration set at launch.
    pub mr_owner_config: FixedBytes<48>,
    /// RTMR0–3: the run-time measurement registers (boot chain: firmware data, kernel, command
    /// line, initrd).
    pub rtmr: [FixedBytes<48>; 4],
    /// REPORTDATA: the 64 bytes the TD put in its report.
    pub report_data: [u8; 64],
}

impl TdReport {
    /// SHA-256 of MRTD ‖ MRCONFIGID ‖ MROWNER ‖ MROWNERCONFIG ‖ RTMR0 ‖ RTMR1 ‖ RTMR2 ‖ RTMR3
    /// (the report's bytes [`TD_MEASURED_REGISTERS`]): the TDX verifier's `TD_MEASUREMENT`.
    pub fn measurement(&self) -> B256 {
        let mut h = Sha256::new();
        for register in [
            &self.mr_td,
            &self.mr_config_id,
            &self.mr_owner,
            &self.mr_owner_config,
        ]
        .into_iter()
        .chain(&self.rtmr)
        {
            h.update(register);
        }
        B256::from(<[u8; 32]>::from(h.finalize()))
    }

    /// TDATTRIBUTES.TUD (byte 0) is not zero: the TD is under debug, its memory readable by the
    /// host (Intel TDX Module ABI Specification, "TD Attributes").
    pub fn is_debug(&self) -> bool {
        self.td_attributes[0] != 0
    }

    /// `REPORTDATA[0:32]`: where the verifier expects the key-generation binding.
    pub fn binding(&self) -> B256 {
        B256::from_slice(&self.report_data[..32])
    }
}

/// The TD report of a TDX quote v4 (version 4, TEE type 0x81).
pub fn td_report(quote: &[u8]) -> Result<TdReport, EvidenceError> {
    let body = quote
        .get(TD_REPORT_OFFSET..TD_REPORT_OFFSET + TD_REPORT_LEN)
        .ok_or(EvidenceError::Quote("shorter than header and TD report"))?;
    if u16::from_le_bytes([quote[0], quote[1]]) != 4 {
        return Err(EvidenceError::Quote("not version 4"));
    }
    if u32::from_le_bytes(quote[4..8].try_into().expect("4 bytes")) != TEE_TYPE_TDX {
        return Err(EvidenceError::Quote("not a TDX quote (TEE type 0x81)"));
    }
    let register = |at: usize| FixedBytes::<48>::from_slice(&body[at..at + 48]);
    Ok(TdReport {
        tee_tcb_svn: body[0..16].try_into().expect("16 bytes"),
        mr_seam: register(16),
        mr_signer_seam: register(64),
        seam_attributes: body[112..120].try_into().expect("8 bytes"),
        td_attributes: body[120..128].try_into().expect("8 bytes"),
        xfam: body[128..136].try_into().expect("8 bytes"),
        mr_td: register(136),
        mr_config_id: register(184),
        mr_owner: register(232),
        mr_owner_config: register(280),
        rtmr: [register(328), register(376), register(424), register(472)],
        report_data: body[520..584].try_into().expect("64 bytes"),
    })
}

/// The ISV enclave report of an SGX quote v3.
pub fn enclave_report(quote: &[u8]) -> Result<EnclaveReport, EvidenceError> {
    let body = quote
        .get(HEADER_LEN..HEADER_LEN + REPORT_LEN)
        .ok_or(EvidenceError::Quote("shorter than header and report"))?;
    if u16::from_le_bytes([quote[0], quote[1]]) != 3 {
        return Err(EvidenceError::Quote("not version 3"));
    }
    Ok(EnclaveReport {
        attributes: body[48..64].try_into().expect("16 bytes"),
        mr_enclave: B256::from_slice(&body[64..96]),
        mr_signer: B256::from_slice(&body[128..160]),
        isv_prod_id: u16::from_le_bytes([body[256], body[257]]),
        isv_svn: u16::from_le_bytes([body[258], body[259]]),
        report_data: body[320..384].try_into().expect("64 bytes"),
    })
}

/// The quote's certification data: the PEM chain of type 5 (in a TDX quote v4, the one inside
/// the QE report certification data, type 6).
fn certification_chain(quote: &[u8]) -> Result<&[u8], EvidenceError> {
    let le16 = |at: usize| {
        quote
            .get(at..at + 2)
            .map(|b| u16::from_le_bytes([b[0], b[1]]))
    };
    let qe_auth = match le16(0) {
        Some(3) => QE_AUTH,
        Some(4) => {
            let tee = quote
                .get(4..8)
                .map(|b| u32::from_le_bytes(b.try_into().expect("4 bytes")));
            if tee != Some(TEE_TYPE_TDX) {
                return Err(EvidenceError::Quote("a version 4 quote that is not TDX"));
            }
            if le16(V4_CERT_DATA) != Some(CERT_TYPE_QE_REPORT) {
                return Err(EvidenceError::Quote(
                    "certification data is not QE report certification data (type 6)",
                ));
            }
            V4_QE_AUTH
        }
        _ => return Err(EvidenceError::Quote("not version 3 (SGX) or 4 (TDX)")),
    };
    let auth_len = le16(qe_auth).ok_or(EvidenceError::Quote("no QE authentication data"))?;
    let cert_at = qe_auth + 2 + usize::from(auth_len);
    let cert_type = le16(cert_at).ok_or(EvidenceError::Quote("no certification data"))?;
    if cert_type != CERT_TYPE_PCK_CHAIN {
        return Err(EvidenceError::Quote(
            "certification data is not a PCK chain (type 5)",
        ));
    }
    let size = quote
        .get(cert_at + 2..cert_at + 6)
        .map(|b| u32::from_le_bytes(b.try_into().expect("4 bytes")) as usize)
        .ok_or(EvidenceError::Quote("truncated certification data"))?;
    quote
        .get(cert_at + 6..cert_at + 6 + size)
        .ok_or(EvidenceError::Quote("truncated certification data"))
}

/// A PEM chain as (commonName, DER) pairs, in order; DER exactly as in the PEM.
fn der_chain(
    field: &'static str,
    pem_text: &[u8],
) -> Result<Vec<(String, Vec<u8>)>, EvidenceError> {
    let blocks =
        pem::parse_many(pem_text).map_err(|source| EvidenceError::Pem { field, source })?;
    blocks
        .into_iter()
        .map(|block| {
            let der = block.into_contents();
            let cert = Certificate::from_der(&der)
                .map_err(|source| EvidenceError::X509 { field, source })?;
            let cn = cert
                .tbs_certificate()
                .subject()
                .common_name()
                .map_err(|source| EvidenceError::X509 { field, source })?
                .map(String::from)
                .unwrap_or_default();
            Ok((cn, der))
        })
        .collect()
}

fn find(
    chain: &[(String, Vec<u8>)],
    field: &'static str,
    names: &[&'static str],
) -> Result<Vec<u8>, EvidenceError> {
    chain
        .iter()
        .find(|(cn, _)| names.contains(&cn.as_str()))
        .map(|(_, der)| der.clone())
        .ok_or(EvidenceError::MissingCertificate(field, names[0]))
}

fn unhex(field: &'static str, text: &str) -> Result<Vec<u8>, EvidenceError> {
    hex::decode(text.trim()).map_err(|source| EvidenceError::Hex { field, source })
}

fn signature(field: &'static str, text: &str) -> Result<Vec<u8>, EvidenceError> {
    let bytes = unhex(field, text)?;
    if bytes.len() != 64 {
        return Err(EvidenceError::SignatureLength(field, bytes.len()));
    }
    Ok(bytes)
}

/// Packs `quote` (SGX v3 or TDX v4) and its `collateral` as [`DcapEvidence`], checking only that
/// the pieces are where the verifiers expect them (every trust decision is the contract's).
pub fn evidence(quote: &[u8], collateral: &QuoteCollateral) -> Result<DcapEvidence, EvidenceError> {
    let chain = der_chain("quote certification data", certification_chain(quote)?)?;
    let pck_cert = find(&chain, "quote certification data", &[CN_PCK_CERT])?;
    let pck_ca_cert = find(
        &chain,
        "quote certification data",
        &[CN_PROCESSOR_CA, CN_PLATFORM_CA],
    )?;
    let crl_chain = der_chain(
        "pck_crl_issuer_chain",
        collateral.pck_crl_issuer_chain.as_bytes(),
    )?;
    if find(
        &crl_chain,
        "pck_crl_issuer_chain",
        &[CN_PROCESSOR_CA, CN_PLATFORM_CA],
    )? != pck_ca_cert
    {
        return Err(EvidenceError::PckCrlIssuerDiffers);
    }
    let tcb_chain = der_chain(
        "tcb_info_issuer_chain",
        collateral.tcb_info_issuer_chain.as_bytes(),
    )?;
    let tcb_signing_cert = find(&tcb_chain, "tcb_info_issuer_chain", &[CN_TCB_SIGNING])?;
    let qe_chain = der_chain(
        "qe_identity_issuer_chain",
        collateral.qe_identity_issuer_chain.as_bytes(),
    )?;
    if find(&qe_chain, "qe_identity_issuer_chain", &[CN_TCB_SIGNING])? != tcb_signing_cert {
        return Err(EvidenceError::SigningCertificatesDiffer);
    }
    Ok(DcapEvidence {
        quote: Bytes::copy_from_slice(quote),
        pckCert: pck_cert.into(),
        pckCaCert: pck_ca_cert.into(),
        pckCrl: unhex("pck_crl", &collateral.pck_crl)?.into(),
        rootCaCrl: unhex("root_ca_crl", &collateral.root_ca_crl)?.into(),
        tcbSigningCert: tcb_signing_cert.into(),
        tcbInfo: Bytes::copy_from_slice(collateral.tcb_info.as_bytes()),
        tcbInfoSignature: signature("tcb_info_signature", &collateral.tcb_info_signature)?.into(),
        qeIdentity: Bytes::copy_from_slice(collateral.qe_identity.as_bytes()),
        qeIdentitySignature: signature("qe_identity_signature", &collateral.qe_identity_signature)?
            .into(),
    })
}

impl DcapEvidence {
    /// `abi.encode(evidence)`: the `evidence` argument of `verifyKeyGeneration` and `check`.
    pub fn encode(&self) -> Bytes {
        self.abi_encode().into()
    }
}

/// [`evidence`], ABI-encoded.
pub fn encode_evidence(quote: &[u8], collateral: &QuoteCollateral) -> Result<Bytes, EvidenceError> {
    Ok(evidence(quote, collateral)?.encode())
}

/// Which DCAP verifier `DcapDeviceVerifier` hands a device's evidence to: the first byte of
/// the device evidence ([`encode_device_evidence`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum DeviceKind {
    /// An SGX enclave: a quote v3 for `DcapAttestationVerifier` (`KIND_SGX`).
    Sgx = 0x01,
    /// A TDX trust domain: a quote v4 for `DcapTdxAttestationVerifier` (`KIND_TDX`).
    Tdx = 0x02,
}

impl DeviceKind {
    /// The kind of `quote` from its header (Intel SGX ECDSA Quote Library API and Intel TDX DCAP
    /// Quoting Library API, "Quote Header": version, then TEE type at offset 4): version 3 with
    /// TEE type 0 is SGX, version 4 with TEE type 0x81 is TDX; anything else has no verifier.
    pub fn of_quote(quote: &[u8]) -> Result<Self, EvidenceError> {
        let header = quote
            .get(..8)
            .ok_or(EvidenceError::Quote("shorter than a quote header"))?;
        let version = u16::from_le_bytes([header[0], header[1]]);
        let tee = u32::from_le_bytes(header[4..8].try_into().expect("4 bytes"));
        match (version, tee) {
            (3, 0) => Ok(Self::Sgx),
            (4, TEE_TYPE_TDX) => Ok(Self::Tdx),
            _ => Err(EvidenceError::Quote(
                "not an SGX quote v3 or a TDX quote v4: no device verifier reads it",
            )),
        }
    }

    /// The kind byte.
    pub const fn tag(self) -> u8 {
        self as u8
    }
}

impl DcapEvidence {
    /// `kind ‖ abi.encode(evidence)`, the kind read from the quote ([`DeviceKind::of_quote`]):
    /// a device's evidence for `DcapDeviceVerifier.verifyDevice`.
    pub fn encode_for_device(&self) -> Result<Bytes, EvidenceError> {
        let kind = DeviceKind::of_quote(&self.quote)?;
        Ok([&[kind.tag()][..], &self.abi_encode()].concat().into())
    }
}

/// [`evidence`] as a device's evidence for `DcapDeviceVerifier`: `kind ‖ abi.encode(Evidence)`,
/// the kind byte 0x01 for an SGX quote v3 and 0x02 for a TDX quote v4 ([`DeviceKind`]).
pub fn encode_device_evidence(
    quote: &[u8],
    collateral: &QuoteCollateral,
) -> Result<Bytes, EvidenceError> {
    evidence(quote, collateral)?.encode_for_device()
}
