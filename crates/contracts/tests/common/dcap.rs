//! What the two DCAP verifier suites (`dcap_verifier.rs`, SGX; `dcap_tdx_verifier.rs`, TDX)
//! share: the real quotes and collateral of `testdata/dcap/` (see its SOURCE.md), a chain at a
//! given time, the evidence's fields and byte edits, and the test PKI that re-signs real
//! evidence under a test root key to reach the checks that sit behind Intel's signatures.
//!
//! The test PKI: the verifier's bytecode with its Intel root key constant replaced by a test
//! key (`deploy_with_root`), and the real evidence re-keyed and re-signed under it
//! (`TestPki::resign`): the same certificates, CRLs, JSON and quote, each with its key replaced
//! and its signature made anew. Unedited, such evidence is accepted exactly as the original is.

use lsv_contracts::artifacts::Artifact;
use lsv_contracts::bindings::DcapAttestationVerifier;
use lsv_contracts::dcap::{DcapEvidence, QuoteCollateral};
use lsv_contracts::{Address, Bytes, Chain, B256, U256};
use p256::ecdsa::signature::hazmat::PrehashSigner;
use p256::ecdsa::{Signature as P256Signature, SigningKey};
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::path::PathBuf;

// ---- TCB statuses ------------------------------------------------------------------------------

/// `TcbStatus` as the contracts number it.
pub(crate) const UP_TO_DATE: u8 = 0;
pub(crate) const SW_HARDENING_NEEDED: u8 = 1;
pub(crate) const CONFIGURATION_NEEDED: u8 = 2;
pub(crate) const CONFIGURATION_AND_SW_HARDENING_NEEDED: u8 = 3;
pub(crate) const OUT_OF_DATE: u8 = 4;
pub(crate) const OUT_OF_DATE_CONFIGURATION_NEEDED: u8 = 5;
pub(crate) const REVOKED: u8 = 6;

/// Every status but the out-of-date and revoked ones.
pub(crate) const ACCEPT_CURRENT: u64 = (1 << UP_TO_DATE)
    | (1 << SW_HARDENING_NEEDED)
    | (1 << CONFIGURATION_NEEDED)
    | (1 << CONFIGURATION_AND_SW_HARDENING_NEEDED);

/// Every status but `Revoked` (which no deployment may accept).
pub(crate) const ACCEPT_ALL_BUT_REVOKED: u64 = (1 << REVOKED) - 1;

/// `TcbStatus` names, in the contracts' order (as Intel's JSON and dcap-qvl spell them).
pub(crate) const TCB_STATUS_NAMES: [&str; 7] = [
    "UpToDate",
    "SWHardeningNeeded",
    "ConfigurationNeeded",
    "ConfigurationAndSWHardeningNeeded",
    "OutOfDate",
    "OutOfDateConfigurationNeeded",
    "Revoked",
];

/// `DcapQuoteVerifier.Item`: the pieces of the evidence errors name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub(crate) enum Item {
    PckCert,
    PckCaCert,
    TcbSigningCert,
    PckCrl,
    RootCaCrl,
    TcbInfo,
    QeIdentity,
    QeReport,
    EnclaveReport,
    TdReport,
}

impl Item {
    /// The item the contract numbers `raw`.
    pub(crate) fn from_raw(raw: u8) -> Self {
        [
            Item::PckCert,
            Item::PckCaCert,
            Item::TcbSigningCert,
            Item::PckCrl,
            Item::RootCaCrl,
            Item::TcbInfo,
            Item::QeIdentity,
            Item::QeReport,
            Item::EnclaveReport,
            Item::TdReport,
        ][raw as usize]
    }
}

// ---- test data ---------------------------------------------------------------------------------

pub(crate) fn testdata() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../testdata/dcap")
}

/// A real quote with its collateral and what `quotes.json` says about it.
pub(crate) struct QuoteEntry {
    pub(crate) quote: Vec<u8>,
    pub(crate) collateral: QuoteCollateral,
    pub(crate) valid_from: u64,
    pub(crate) valid_until: u64,
    /// The "now" dcap-qvl's own test verifies the quote at, if any.
    pub(crate) upstream_now: Option<u64>,
    /// The tcbEvaluationDataNumber of the TCB info and of the QE identity.
    pub(crate) tcb_evaluation: (u64, u64),
}

/// The `tcbEvaluationDataNumber` member of Intel's signed JSON text.
pub(crate) fn tcb_evaluation_data_number(json: &str) -> u64 {
    let value: Value = serde_json::from_str(json).unwrap();
    value["tcbEvaluationDataNumber"].as_u64().unwrap()
}

/// The quote file: raw bytes, or hex text (`*.hex`, `*.txt`, with or without `0x`).
fn read_quote(path: &str) -> Vec<u8> {
    let bytes = std::fs::read(testdata().join(path)).unwrap();
    if path.ends_with(".hex") || path.ends_with(".txt") {
        let text = String::from_utf8(bytes).unwrap();
        let text = text.trim();
        return hex::decode(text.strip_prefix("0x").unwrap_or(text)).unwrap();
    }
    bytes
}

/// The `quotes.json` entry `name`, with its collateral from `collateral_file`.
pub(crate) fn load_entry(name: &str, collateral_file: &str) -> QuoteEntry {
    let index: Value =
        serde_json::from_str(&std::fs::read_to_string(testdata().join("quotes.json")).unwrap())
            .unwrap();
    let entry = index
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["name"] == name)
        .unwrap_or_else(|| panic!("{name} not in quotes.json"));
    let quote = read_quote(entry["quote_file"].as_str().unwrap());
    assert_eq!(quote.len() as u64, entry["quote_bytes"].as_u64().unwrap());
    let collateral: QuoteCollateral =
        serde_json::from_str(&std::fs::read_to_string(testdata().join(collateral_file)).unwrap())
            .unwrap();
    let tcb_evaluation = (
        tcb_evaluation_data_number(&collateral.tcb_info),
        tcb_evaluation_data_number(&collateral.qe_identity),
    );
    // quotes.json summarises the same numbers ("SGX v3 tcbEvalNum=17 ...").
    for (summary, number) in [
        (&entry["tcb_info"], tcb_evaluation.0),
        (&entry["qe_identity"], tcb_evaluation.1),
    ] {
        let summary = summary.as_str().unwrap();
        assert!(
            summary.contains(&format!(" tcbEvalNum={number} ")),
            "{summary}"
        );
    }
    QuoteEntry {
        valid_from: entry["collateral_valid_from_unix"].as_u64().unwrap(),
        valid_until: entry["collateral_valid_until_unix"].as_u64().unwrap(),
        upstream_now: entry["now_used_by_upstream_test_unix"].as_u64(),
        tcb_evaluation,
        quote,
        collateral,
    }
}

/// The collateral as the JSON it was read from (dcap-qvl's `QuoteCollateralV3` layout).
pub(crate) fn collateral_json(c: &QuoteCollateral) -> Value {
    serde_json::json!({
        "pck_crl_issuer_chain": c.pck_crl_issuer_chain,
        "root_ca_crl": c.root_ca_crl,
        "pck_crl": c.pck_crl,
        "tcb_info_issuer_chain": c.tcb_info_issuer_chain,
        "tcb_info": c.tcb_info,
        "tcb_info_signature": c.tcb_info_signature,
        "qe_identity_issuer_chain": c.qe_identity_issuer_chain,
        "qe_identity": c.qe_identity,
        "qe_identity_signature": c.qe_identity_signature,
    })
}

/// The collateral as dcap-qvl takes it.
pub(crate) fn qvl_collateral(c: &QuoteCollateral) -> dcap_qvl::QuoteCollateralV3 {
    serde_json::from_value(collateral_json(c)).unwrap()
}

/// `"YYYY-MM-DDThh:mm:ssZ"` as Unix seconds, by `der`'s calendar (not the contract's).
pub(crate) fn json_date(value: &Value) -> U256 {
    let s = value.as_str().unwrap();
    assert!(s.len() == 20 && s.ends_with('Z'), "{s}");
    let n = |from: usize, to: usize| s[from..to].parse::<u16>().unwrap();
    let date = x509_cert::der::DateTime::new(
        n(0, 4),
        n(5, 7) as u8,
        n(8, 10) as u8,
        n(11, 13) as u8,
        n(14, 16) as u8,
        n(17, 19) as u8,
    )
    .unwrap();
    U256::from(date.unix_duration().as_secs())
}

pub(crate) fn json_hex(value: &Value) -> Vec<u8> {
    hex::decode(value.as_str().unwrap()).unwrap()
}

// ---- the chain ---------------------------------------------------------------------------------

/// A chain whose open block is the first at or after `time` (`earliest`) or the last at or
/// before it (`!earliest`); block timestamps are `GENESIS_TIME + 12·slot`.
pub(crate) fn chain_at(time: u64, earliest: bool) -> Chain {
    let mut chain = Chain::new();
    let since = time - Chain::GENESIS_TIME;
    let slot = if earliest {
        since.div_ceil(Chain::SECONDS_PER_SLOT)
    } else {
        since / Chain::SECONDS_PER_SLOT
    };
    chain.next_block_after(slot - chain.slot() - 1, B256::repeat_byte(0x42));
    assert!(if earliest {
        chain.timestamp() >= time
    } else {
        chain.timestamp() <= time
    });
    chain
}

// ---- the evidence's fields ---------------------------------------------------------------------

/// The evidence's fields, in `Evidence` order.
pub(crate) fn fields(ev: &DcapEvidence) -> Vec<Vec<u8>> {
    [
        &ev.quote,
        &ev.pckCert,
        &ev.pckCaCert,
        &ev.pckCrl,
        &ev.rootCaCrl,
        &ev.tcbSigningCert,
        &ev.tcbInfo,
        &ev.tcbInfoSignature,
        &ev.qeIdentity,
        &ev.qeIdentitySignature,
    ]
    .iter()
    .map(|b| b.to_vec())
    .collect()
}

pub(crate) fn from_fields(f: Vec<Vec<u8>>) -> DcapEvidence {
    let mut it = f.into_iter().map(Bytes::from);
    let mut next = || it.next().unwrap();
    DcapEvidence {
        quote: next(),
        pckCert: next(),
        pckCaCert: next(),
        pckCrl: next(),
        rootCaCrl: next(),
        tcbSigningCert: next(),
        tcbInfo: next(),
        tcbInfoSignature: next(),
        qeIdentity: next(),
        qeIdentitySignature: next(),
    }
}

pub(crate) const QUOTE: usize = 0;
pub(crate) const PCK_CERT: usize = 1;
pub(crate) const PCK_CA_CERT: usize = 2;
pub(crate) const PCK_CRL: usize = 3;
pub(crate) const ROOT_CA_CRL: usize = 4;
pub(crate) const TCB_SIGNING_CERT: usize = 5;
pub(crate) const TCB_INFO: usize = 6;
pub(crate) const TCB_INFO_SIGNATURE: usize = 7;
pub(crate) const QE_IDENTITY: usize = 8;
pub(crate) const QE_IDENTITY_SIGNATURE: usize = 9;

/// The evidence with `field[offset] ^= mask`.
pub(crate) fn flipped(ev: &DcapEvidence, field: usize, offset: usize, mask: u8) -> DcapEvidence {
    let mut f = fields(ev);
    f[field][offset] ^= mask;
    from_fields(f)
}

/// The evidence with `field` replaced by `bytes`.
pub(crate) fn with_field(
    ev: &DcapEvidence,
    field: usize,
    bytes: impl Into<Vec<u8>>,
) -> DcapEvidence {
    let mut f = fields(ev);
    f[field] = bytes.into();
    from_fields(f)
}

/// `bytes` with `at..at + new.len()` overwritten by `new`.
pub(crate) fn spliced(bytes: &[u8], at: usize, new: &[u8]) -> Vec<u8> {
    let mut out = bytes.to_vec();
    out[at..at + new.len()].copy_from_slice(new);
    out
}

/// The offset of the first occurrence of `needle` in `hay`.
pub(crate) fn find(hay: &[u8], needle: &[u8]) -> usize {
    hay.windows(needle.len())
        .position(|w| w == needle)
        .expect("pattern present")
}

/// The first byte of the uncompressed P-256 point in a DER certificate's SubjectPublicKeyInfo.
pub(crate) fn key_offset(der: &[u8]) -> usize {
    find(der, &[0x03, 0x42, 0x00, 0x04]) + 4
}

/// The offset of the value of a PCK certificate's PCESVN (SGX extension entry
/// 1.2.840.113741.1.13.1.2.17, an INTEGER of one byte).
pub(crate) fn pcesvn_offset(der: &[u8]) -> usize {
    find(
        der,
        &[
            0x06, 0x0b, 0x2a, 0x86, 0x48, 0x86, 0xf8, 0x4d, 0x01, 0x0d, 0x01, 0x02, 0x11, 0x02,
            0x01,
        ],
    ) + 15
}

/// `text` with the first `from` replaced by `to` (which must occur).
pub(crate) fn edit(text: &str, from: &str, to: &str) -> String {
    assert!(text.contains(from), "{from:?} not in the text");
    text.replacen(from, to, 1)
}

// ---- the test PKI ------------------------------------------------------------------------------

/// A root in place of Intel's, and a key for each signer under it.
pub(crate) struct TestPki {
    pub(crate) root: SigningKey,
    pub(crate) pck_ca: SigningKey,
    pub(crate) pck: SigningKey,
    pub(crate) tcb_signing: SigningKey,
    pub(crate) attestation: SigningKey,
}

/// Where a quote's signed pieces are (the SGX v3 and TDX v4 layouts differ).
#[derive(Clone, Copy, Debug)]
pub(crate) struct QuoteLayout {
    /// Header ‖ report body: the bytes the attestation key signs; the u32 signature data length
    /// follows, then the quote signature (64) and the attestation key (64).
    pub(crate) signed_len: usize,
    /// The QE report (384), followed by its signature (64) and the QE authentication data (u16
    /// length + data).
    pub(crate) qe_report: usize,
}

impl QuoteLayout {
    pub(crate) fn quote_signature(&self) -> usize {
        self.signed_len + 4
    }
    pub(crate) fn attestation_key(&self) -> usize {
        self.signed_len + 4 + 64
    }
    pub(crate) fn qe_report_signature(&self) -> usize {
        self.qe_report + 384
    }
    /// The QE authentication data's u16 length; the data follows it.
    pub(crate) fn qe_auth(&self) -> usize {
        self.qe_report + 384 + 64
    }
}

/// The pieces of real evidence that the edits under the test root change, before re-signing;
/// the rest (the PCK CA, both CRLs, the TCB signing certificate) is taken from `base` as it is.
#[derive(Clone)]
pub(crate) struct Unsigned {
    pub(crate) quote: Vec<u8>,
    pub(crate) pck_cert: Vec<u8>,
    pub(crate) tcb_info: String,
    pub(crate) qe_identity: String,
}

impl Unsigned {
    /// The editable pieces of `ev`.
    pub(crate) fn of(ev: &DcapEvidence) -> Self {
        Self {
            quote: ev.quote.to_vec(),
            pck_cert: ev.pckCert.to_vec(),
            tcb_info: String::from_utf8(ev.tcbInfo.to_vec()).unwrap(),
            qe_identity: String::from_utf8(ev.qeIdentity.to_vec()).unwrap(),
        }
    }
}

pub(crate) fn test_key(label: &str) -> SigningKey {
    SigningKey::from_slice(&Sha256::digest(label.as_bytes())).unwrap()
}

pub(crate) fn test_pki() -> TestPki {
    TestPki {
        root: test_key("test root"),
        pck_ca: test_key("test PCK CA"),
        pck: test_key("test PCK"),
        tcb_signing: test_key("test TCB signing"),
        attestation: test_key("test attestation key"),
    }
}

/// A public key as `x ‖ y`.
pub(crate) fn point(key: &SigningKey) -> [u8; 64] {
    let p = key.verifying_key().to_encoded_point(false);
    p.as_bytes()[1..].try_into().unwrap()
}

/// `r ‖ s` of `key`'s signature over SHA-256(`message`).
pub(crate) fn sign_rs(key: &SigningKey, message: &[u8]) -> Vec<u8> {
    let signature: P256Signature = key.sign_prehash(&Sha256::digest(message)).unwrap();
    signature.to_bytes().to_vec()
}

/// (header length, content length) of the DER element at `at`.
pub(crate) fn tlv(der: &[u8], at: usize) -> (usize, usize) {
    let first = der[at + 1];
    if first < 0x80 {
        return (2, usize::from(first));
    }
    let n = usize::from(first & 0x7f);
    let len = der[at + 2..at + 2 + n]
        .iter()
        .fold(0, |a, &b| (a << 8) | usize::from(b));
    (2 + n, len)
}

/// A DER header, the length in its shortest form.
pub(crate) fn der_header(tag: u8, len: usize) -> Vec<u8> {
    if len < 0x80 {
        return vec![tag, len as u8];
    }
    let bytes = len.to_be_bytes();
    let skip = bytes.iter().take_while(|&&b| b == 0).count();
    [&[tag, 0x80 | (bytes.len() - skip) as u8], &bytes[skip..]].concat()
}

/// A certificate or CRL (SEQUENCE { tbs, signatureAlgorithm, signatureValue }) with its tbs
/// signed anew by `signer` (ECDSA-SHA256, DER in the BIT STRING).
pub(crate) fn resigned(der: &[u8], signer: &SigningKey) -> Vec<u8> {
    let (h, _) = tlv(der, 0);
    let (th, tl) = tlv(der, h);
    let tbs = &der[h..h + th + tl];
    let (ah, al) = tlv(der, h + th + tl);
    let algorithm = &der[h + th + tl..h + th + tl + ah + al];
    let signature: P256Signature = signer.sign_prehash(&Sha256::digest(tbs)).unwrap();
    let signature = signature.to_der();
    let bits = [
        der_header(0x03, signature.as_bytes().len() + 1),
        vec![0],
        signature.as_bytes().to_vec(),
    ]
    .concat();
    let body = [tbs, algorithm, &bits].concat();
    [der_header(0x30, body.len()), body].concat()
}

/// A certificate with its P-256 key replaced by `key`'s (same length, same layout).
pub(crate) fn rekeyed(der: &[u8], key: &SigningKey) -> Vec<u8> {
    spliced(der, key_offset(der), &point(key))
}

impl TestPki {
    /// `u` and the rest of `base`, re-keyed and re-signed under the test root: the PCK CA, PCK
    /// and TCB signing certificates carry the test keys, every certificate and CRL is signed by
    /// its test issuer, the JSON by the test TCB signing key; in the quote the attestation key
    /// is the test one, the QE report binds it and is signed by the test PCK key, and the
    /// header and report body are signed by the test attestation key.
    pub(crate) fn resign(
        &self,
        u: &Unsigned,
        layout: QuoteLayout,
        base: &DcapEvidence,
    ) -> DcapEvidence {
        let mut q = u.quote.clone();
        let key = layout.attestation_key();
        q[key..key + 64].copy_from_slice(&point(&self.attestation));
        let auth = layout.qe_auth();
        let auth_len = usize::from(u16::from_le_bytes([q[auth], q[auth + 1]]));
        let bound = Sha256::digest([&q[key..key + 64], &q[auth + 2..auth + 2 + auth_len]].concat());
        let report_data = layout.qe_report + 320;
        q[report_data..report_data + 32].copy_from_slice(&bound);
        q[report_data + 32..report_data + 64].fill(0);
        let qe_signature = sign_rs(
            &self.pck,
            &q[layout.qe_report..layout.qe_report_signature()],
        );
        let at = layout.qe_report_signature();
        q[at..at + 64].copy_from_slice(&qe_signature);
        let quote_signature = sign_rs(&self.attestation, &q[..layout.signed_len]);
        let at = layout.quote_signature();
        q[at..at + 64].copy_from_slice(&quote_signature);
        DcapEvidence {
            quote: q.into(),
            pckCert: resigned(&rekeyed(&u.pck_cert, &self.pck), &self.pck_ca).into(),
            pckCaCert: resigned(&rekeyed(&base.pckCaCert, &self.pck_ca), &self.root).into(),
            pckCrl: resigned(&base.pckCrl, &self.pck_ca).into(),
            rootCaCrl: resigned(&base.rootCaCrl, &self.root).into(),
            tcbSigningCert: resigned(
                &rekeyed(&base.tcbSigningCert, &self.tcb_signing),
                &self.root,
            )
            .into(),
            tcbInfo: u.tcb_info.clone().into_bytes().into(),
            tcbInfoSignature: sign_rs(&self.tcb_signing, u.tcb_info.as_bytes()).into(),
            qeIdentity: u.qe_identity.clone().into_bytes().into(),
            qeIdentitySignature: sign_rs(&self.tcb_signing, u.qe_identity.as_bytes()).into(),
        }
    }

    /// Intel's root certificate (the last of `collateral`'s TCB info issuer chain) with the
    /// test root key, signed by itself: the trust anchor dcap-qvl takes for re-signed evidence.
    pub(crate) fn root_certificate(&self, collateral: &QuoteCollateral) -> Vec<u8> {
        let chain = pem::parse_many(collateral.tcb_info_issuer_chain.as_bytes()).unwrap();
        let intel_root = chain.last().unwrap().contents();
        resigned(&rekeyed(intel_root, &self.root), &self.root)
    }

    /// `ev` (re-signed by `resign`) as dcap-qvl's collateral under the test root: the PCK chain
    /// in `pck_certificate_chain` (dcap-qvl then does not read the quote's own PEM chain).
    pub(crate) fn qvl_collateral(
        &self,
        ev: &DcapEvidence,
        collateral: &QuoteCollateral,
    ) -> dcap_qvl::QuoteCollateralV3 {
        let root = self.root_certificate(collateral);
        let pem_chain = |ders: &[&[u8]]| {
            pem::encode_many(
                &ders
                    .iter()
                    .map(|der| pem::Pem::new("CERTIFICATE", der.to_vec()))
                    .collect::<Vec<_>>(),
            )
        };
        let signing_chain = pem_chain(&[&ev.tcbSigningCert, &root]);
        dcap_qvl::QuoteCollateralV3 {
            pck_crl_issuer_chain: pem_chain(&[&ev.pckCaCert, &root]),
            root_ca_crl: ev.rootCaCrl.to_vec(),
            pck_crl: ev.pckCrl.to_vec(),
            tcb_info_issuer_chain: signing_chain.clone(),
            tcb_info: String::from_utf8(ev.tcbInfo.to_vec()).unwrap(),
            tcb_info_signature: ev.tcbInfoSignature.to_vec(),
            qe_identity_issuer_chain: signing_chain,
            qe_identity: String::from_utf8(ev.qeIdentity.to_vec()).unwrap(),
            qe_identity_signature: ev.qeIdentitySignature.to_vec(),
            pck_certificate_chain: Some(pem_chain(&[&ev.pckCert, &ev.pckCaCert, &root])),
        }
    }
}

/// `bytes` with every occurrence of `from` replaced by `to`, and how many there were.
pub(crate) fn replace_all(bytes: &mut [u8], from: &[u8; 32], to: &[u8]) -> usize {
    let mut count = 0;
    let mut at = 0;
    while let Some(i) = bytes[at..].windows(32).position(|w| w == from) {
        bytes[at + i..at + i + 32].copy_from_slice(to);
        count += 1;
        at += i + 32;
    }
    count
}

/// A DCAP verifier (`artifact`, constructor arguments `args`) deployed with `root`'s key in
/// place of Intel's root key constant (each 32-byte coordinate replaced wherever the init code
/// holds it). Both verifiers share the constant's getters (`DcapQuoteVerifier`).
pub(crate) fn deploy_with_root(
    chain: &mut Chain,
    artifact: &'static Artifact,
    args: &[u8],
    root: &SigningKey,
) -> Address {
    let intel = chain.deploy(artifact, args).unwrap();
    let x = chain
        .view(intel, &DcapAttestationVerifier::INTEL_ROOT_KEY_XCall {})
        .unwrap();
    let y = chain
        .view(intel, &DcapAttestationVerifier::INTEL_ROOT_KEY_YCall {})
        .unwrap();
    let mut code = artifact.init_code(args).to_vec();
    let test = point(root);
    assert!(replace_all(&mut code, &x.to_be_bytes::<32>(), &test[..32]) >= 1);
    assert!(replace_all(&mut code, &y.to_be_bytes::<32>(), &test[32..]) >= 1);
    let deployer = chain.deployer();
    let receipt = chain
        .submit(lsv_contracts::TxRequest::new(
            deployer,
            None,
            code,
            U256::ZERO,
        ))
        .unwrap()
        .expect_success();
    let verifier = receipt.contract_address.unwrap();
    chain.register_contract(verifier, artifact);
    let key = chain
        .view(verifier, &DcapAttestationVerifier::INTEL_ROOT_KEY_XCall {})
        .unwrap();
    assert_eq!(key.to_be_bytes::<32>(), test[..32]);
    verifier
}
