//! Evidence for the on-chain DCAP verifier (`contracts/src/DcapAttestationVerifier.sol`): an
//! Intel SGX quote (ECDSA, version 3) and its collateral, re-packed as `abi.encode(Evidence)`.
//!
//! The contract reads DER and Intel's signed JSON, never PEM or hex, so this module moves the
//! certificates the quote carries as PEM (its certification data, type 5) and the collateral's
//! PEM chains and hex CRLs into DER fields. Nothing is re-encoded: every DER byte string is the
//! one Intel signed, and the quote is passed whole. The collateral is read in dcap-qvl's
//! `QuoteCollateralV3` JSON layout (what its `get_collateral` and the PCCS give).
//!
//! ```no_run
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use lsv_contracts::dcap::{self, QuoteCollateral};
//! let quote = std::fs::read("quote.bin")?;
//! let collateral: QuoteCollateral = serde_json::from_str(&std::fs::read_to_string("collateral.json")?)?;
//! let evidence = dcap::encode_evidence(&quote, &collateral)?;
//! # let _ = evidence; Ok(()) }
//! ```

use alloy_primitives::{hex, Bytes, B256};
use alloy_sol_types::SolValue;
use serde::Deserialize;
use x509_cert::der::Decode;
use x509_cert::Certificate;

alloy_sol_types::sol! {
    /// `DcapAttestationVerifier.Evidence`: the verifier's `evidence` is `abi.encode` of this.
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

const CN_PCK_CERT: &str = "Intel SGX PCK Certificate";
const CN_PLATFORM_CA: &str = "Intel SGX PCK Platform CA";
const CN_PROCESSOR_CA: &str = "Intel SGX PCK Processor CA";
const CN_TCB_SIGNING: &str = "Intel SGX TCB Signing";

/// Why a quote and collateral cannot be packed as evidence.
#[derive(Debug, thiserror::Error)]
pub enum EvidenceError {
    /// The quote is not a well-formed SGX DCAP v3 quote: what is wrong with it.
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

/// The quote's certification data: the PEM chain of type 5.
fn certification_chain(quote: &[u8]) -> Result<&[u8], EvidenceError> {
    let le16 = |at: usize| {
        quote
            .get(at..at + 2)
            .map(|b| u16::from_le_bytes([b[0], b[1]]))
    };
    let auth_len = le16(QE_AUTH).ok_or(EvidenceError::Quote("no QE authentication data"))?;
    let cert_at = QE_AUTH + 2 + usize::from(auth_len);
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

/// Packs `quote` and its `collateral` as [`DcapEvidence`], checking only that the pieces are
/// where the verifier expects them (every trust decision is the contract's).
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
