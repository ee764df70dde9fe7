//! What the DCAP verifier suites (`dcap_verifier.rs`, SGX; `dcap_tdx_verifier.rs`, TDX;
//! `dcap_device_verifier.rs`, both as devices) share: the real quotes and collateral of
//! `testdata/dcap/` (see its SOURCE.md), a chain at a given time, the evidence's fields and byte
//! edits, and the test PKI that re-signs real evidence under a test root key to reach the checks
//! that sit behind Intel's signatures.
//!
//! The test PKI (`lsv_contracts::dcap::test_pki`, re-exported here): the verifier's bytecode
//! with its Intel root key constant replaced by a test key (`deploy_with_root`), and the real
//! evidence re-keyed and re-signed under it (`TestPki::resign`): the same certificates, CRLs,
//! JSON and quote, each with its key replaced and its signature made anew. Unedited, such
//! evidence is accepted exactly as the original is.

use alloy_sol_types::SolInterface;
use lsv_contracts::artifacts::INTEL_COLLATERAL_JSON_PROBE;
use lsv_contracts::bindings::IntelCollateralJsonProbe::{
    self as JsonProbe, IntelCollateralJsonProbeErrors as JsonError,
};
use lsv_contracts::dcap::{evidence, DcapEvidence, EvidenceError, QuoteCollateral};
use lsv_contracts::{Address, Bytes, Chain, ChainError, B256, U256};
use serde_json::Value;
use std::fmt::Debug;
use std::path::PathBuf;
use std::sync::OnceLock;

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

/// A real quote, its collateral and what `quotes.json` says about it (`entry`), its report body
/// (`R`: an SGX enclave's or a TD's) and its evidence.
pub(crate) struct Case<R> {
    pub(crate) entry: QuoteEntry,
    pub(crate) report: R,
    pub(crate) evidence: DcapEvidence,
}

impl<R> Case<R> {
    /// The `quotes.json` entry `name` with its collateral from `collateral_file`, its report body
    /// as `report` reads it.
    pub(crate) fn load(
        name: &str,
        collateral_file: &str,
        report: fn(&[u8]) -> Result<R, EvidenceError>,
    ) -> Self {
        let entry = load_entry(name, collateral_file);
        Self {
            report: report(&entry.quote).unwrap(),
            evidence: evidence(&entry.quote, &entry.collateral).unwrap(),
            entry,
        }
    }

    /// The highest minimum tcbEvaluationDataNumber this collateral meets.
    pub(crate) fn min_tcb_evaluation(&self) -> u64 {
        self.entry.tcb_evaluation.0.min(self.entry.tcb_evaluation.1)
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

// ---- the verifiers' shared interface ------------------------------------------------------------

/// `DcapQuoteVerifier`, the base contract both verifiers inherit: `check`, `verifyKeyGeneration`
/// and the errors it declares have the same selectors and ABI in the SGX and the TDX verifier, so
/// one binding calls either and decodes the errors they share.
pub(crate) mod base {
    alloy_sol_types::sol!(
        #[sol(all_derives)]
        DcapQuoteVerifier,
        "../../contracts/artifacts/DcapQuoteVerifier.json"
    );
}

pub(crate) use base::DcapQuoteVerifier::{self as Base, DcapQuoteVerifierErrors as BaseError};

/// `check` on either verifier: the (platform, QE) TCB statuses, or its error as `E` (the
/// verifier's own `sol!` errors enum, or [`BaseError`] for the errors they share).
#[allow(clippy::result_large_err)] // the `sol!` errors enum, compared whole in assertions
pub(crate) fn check_as<E: SolInterface>(
    chain: &Chain,
    verifier: Address,
    binding: B256,
    evidence: Bytes,
) -> Result<(u8, u8), E> {
    match chain.view(verifier, &Base::checkCall { binding, evidence }) {
        Ok(r) => Ok((r.tcbStatus, r.qeTcbStatus)),
        Err(ChainError::Failed(receipt)) => Err(receipt
            .revert_error::<E>()
            .unwrap_or_else(|| panic!("check reverted without a known error: {receipt}"))),
        Err(e) => panic!("check: {e}"),
    }
}

/// `verifyKeyGeneration` on either verifier.
pub(crate) fn verify(chain: &Chain, verifier: Address, binding: B256, evidence: Bytes) -> bool {
    chain
        .view(
            verifier,
            &Base::verifyKeyGenerationCall { binding, evidence },
        )
        .expect("verifyKeyGeneration never reverts")
}

/// The gas of `verifyKeyGeneration` (the whole transaction, intrinsic included) and of `check`,
/// each sent from `caller`, on `evidence` that `verifier` accepts.
pub(crate) fn accepting_gas(
    chain: &mut Chain,
    caller: Address,
    verifier: Address,
    binding: B256,
    evidence: Bytes,
) -> (u64, u64) {
    let verify_gas = chain
        .send(
            caller,
            verifier,
            &Base::verifyKeyGenerationCall {
                binding,
                evidence: evidence.clone(),
            },
            U256::ZERO,
        )
        .unwrap()
        .expect_success();
    assert!(verify_gas
        .decode_return::<Base::verifyKeyGenerationCall>()
        .unwrap());
    let check_gas = chain
        .send(
            caller,
            verifier,
            &Base::checkCall { binding, evidence },
            U256::ZERO,
        )
        .unwrap()
        .expect_success();
    (verify_gas.gas_used, check_gas.gas_used)
}

/// Prints `title` and the gas `accepting_gas` measured.
pub(crate) fn print_accepting_gas(title: &str, (verify, check): (u64, u64)) {
    println!("{title}:");
    println!("  verifyKeyGeneration: {verify} gas (whole transaction, intrinsic included)");
    println!("  check:               {check} gas");
}

/// A verifier's error as the base contract declares it, if it is one of the base's.
pub(crate) fn shared(e: &impl SolInterface) -> Option<BaseError> {
    BaseError::abi_decode(&e.abi_encode()).ok()
}

/// The item a verifier's error names, if it names one.
pub(crate) fn item(e: &impl SolInterface) -> Option<Item> {
    let raw = match shared(e)? {
        BaseError::SignatureInvalid(e) => e.item,
        BaseError::CertificateRoleUnexpected(e) => e.item,
        BaseError::IssuerMismatch(e) => e.item,
        BaseError::NotYetValid(e) => e.item,
        BaseError::Expired(e) => e.item,
        BaseError::CertificateRevoked(e) => e.item,
        BaseError::TcbEvaluationDataNumberTooLow(e) => e.item,
        _ => return None,
    };
    Some(Item::from_raw(raw))
}

/// `SignatureInvalid(want)`.
pub(crate) fn signature_invalid(e: &impl SolInterface, want: Item) -> bool {
    matches!(shared(e), Some(BaseError::SignatureInvalid(_))) && item(e) == Some(want)
}

/// `binding` with its last bit flipped is refused by `ReportDataMismatch` naming the binding
/// the quote carries (`binding`), and `verifyKeyGeneration` is false.
pub(crate) fn assert_another_binding_is_refused(
    chain: &Chain,
    verifier: Address,
    binding: B256,
    evidence: Bytes,
) {
    let mut other = binding;
    other.0[31] ^= 1;
    assert_eq!(
        check_as(chain, verifier, other, evidence.clone()),
        Err(BaseError::ReportDataMismatch(Base::ReportDataMismatch {
            reportData: binding
        }))
    );
    assert!(!verify(chain, verifier, other, evidence));
}

/// `ev` with `foreign`'s Intel-signed TCB info, and `ev` with its QE identity: each is signed
/// by the same TCB signing key, so it verifies and is read, and is refused with `want` (the
/// collateral reader's `CollateralUnsupported` at its `id`).
pub(crate) fn assert_foreign_collateral_is_refused<E: SolInterface + Debug + PartialEq + Clone>(
    chain: &Chain,
    verifier: Address,
    binding: B256,
    ev: &DcapEvidence,
    foreign: &QuoteCollateral,
    want: E,
) {
    let unhex = |s: &str| hex::decode(s).unwrap();
    let foreign_tcb = DcapEvidence {
        tcbInfo: foreign.tcb_info.clone().into_bytes().into(),
        tcbInfoSignature: unhex(&foreign.tcb_info_signature).into(),
        ..ev.clone()
    };
    let foreign_qe = DcapEvidence {
        qeIdentity: foreign.qe_identity.clone().into_bytes().into(),
        qeIdentitySignature: unhex(&foreign.qe_identity_signature).into(),
        ..ev.clone()
    };
    for foreign in [foreign_tcb, foreign_qe] {
        assert_eq!(
            check_as(chain, verifier, binding, foreign.encode()),
            Err(want.clone())
        );
    }
}

// ---- mutations ---------------------------------------------------------------------------------

/// A one-bit mutation of the evidence: its name, the field and offset flipped, and the error
/// (the verifier's `E`) expected.
pub(crate) type Mutation<E> = (&'static str, usize, usize, fn(&E) -> bool);

/// The mutations both verifiers refuse alike: the quote header's version, attestation key type
/// and QE vendor; the attestation key, the QE report, its signature and authentication data (at
/// `layout`'s offsets); the collateral's keys and signatures.
pub(crate) fn shared_mutations<E: SolInterface>(
    ev: &DcapEvidence,
    layout: QuoteLayout,
) -> Vec<Mutation<E>> {
    let last = |field: usize| fields(ev)[field].len() - 1;
    vec![
        ("quote version", QUOTE, 0, |e| {
            matches!(shared(e), Some(BaseError::QuoteVersionUnsupported(_)))
        }),
        ("quote attestation key type", QUOTE, 2, |e| {
            matches!(shared(e), Some(BaseError::AttestationKeyTypeUnsupported(_)))
        }),
        ("quote QE vendor", QUOTE, 12, |e| {
            matches!(shared(e), Some(BaseError::QeVendorUnknown(_)))
        }),
        (
            "attestation key",
            QUOTE,
            layout.attestation_key() + 7,
            |e| matches!(shared(e), Some(BaseError::QeReportDataMismatch(_))),
        ),
        ("QE report body", QUOTE, layout.qe_report + 100, |e| {
            signature_invalid(e, Item::QeReport)
        }),
        ("QE report data", QUOTE, layout.qe_report + 320, |e| {
            signature_invalid(e, Item::QeReport)
        }),
        (
            "QE report signature",
            QUOTE,
            layout.qe_report_signature() + 40,
            |e| signature_invalid(e, Item::QeReport),
        ),
        // The data's fourth byte, after its u16 length.
        ("QE authentication data", QUOTE, layout.qe_auth() + 5, |e| {
            matches!(shared(e), Some(BaseError::QeReportDataMismatch(_)))
        }),
        (
            "PCK certificate key",
            PCK_CERT,
            key_offset(&ev.pckCert) + 3,
            |e| signature_invalid(e, Item::PckCert),
        ),
        ("PCK certificate signature", PCK_CERT, last(PCK_CERT), |e| {
            signature_invalid(e, Item::PckCert)
        }),
        ("PCK CA signature", PCK_CA_CERT, last(PCK_CA_CERT), |e| {
            signature_invalid(e, Item::PckCaCert)
        }),
        ("PCK CRL signature", PCK_CRL, last(PCK_CRL), |e| {
            signature_invalid(e, Item::PckCrl)
        }),
        (
            "root CA CRL signature",
            ROOT_CA_CRL,
            last(ROOT_CA_CRL),
            |e| signature_invalid(e, Item::RootCaCrl),
        ),
        (
            "TCB signing key",
            TCB_SIGNING_CERT,
            key_offset(&ev.tcbSigningCert) + 1,
            |e| signature_invalid(e, Item::TcbSigningCert),
        ),
        ("TCB info signature", TCB_INFO_SIGNATURE, 10, |e| {
            signature_invalid(e, Item::TcbInfo)
        }),
        ("QE identity signature", QE_IDENTITY_SIGNATURE, 50, |e| {
            signature_invalid(e, Item::QeIdentity)
        }),
    ]
}

/// Each mutation of `ev` is refused by `check` with the error it expects, and
/// `verifyKeyGeneration` is false.
pub(crate) fn assert_mutations_are_refused<E: SolInterface + Debug>(
    chain: &Chain,
    verifier: Address,
    binding: B256,
    ev: &DcapEvidence,
    mutations: Vec<Mutation<E>>,
) {
    for (name, field, offset, expect) in mutations {
        let mutated = flipped(ev, field, offset, 0x01).encode();
        let err = check_as::<E>(chain, verifier, binding, mutated.clone())
            .expect_err(&format!("{name}: accepted"));
        assert!(expect(&err), "{name}: wrong error {err:?}");
        assert!(!verify(chain, verifier, binding, mutated), "{name}");
    }
}

// ---- the collateral JSON readers, through IntelCollateralJsonProbe ------------------------------

/// A chain with `IntelCollateralJsonProbe`, deployed once.
pub(crate) fn json_probe() -> &'static (Chain, Address) {
    static PROBE: OnceLock<(Chain, Address)> = OnceLock::new();
    PROBE.get_or_init(|| {
        let mut chain = Chain::new();
        let probe = chain.deploy(&INTEL_COLLATERAL_JSON_PROBE, &[]).unwrap();
        (chain, probe)
    })
}

/// The reader's named error in a revert.
pub(crate) fn reader_error(e: ChainError) -> JsonError {
    e.revert_error::<JsonError>()
        .unwrap_or_else(|| panic!("the reader reverted without a named error: {e}"))
}

/// The offset of the first `needle` in `text`, plus `plus`, as the reader reports offsets.
pub(crate) fn offset(text: &str, needle: &str, plus: usize) -> usize {
    text.find(needle)
        .unwrap_or_else(|| panic!("{needle:?} not in the JSON"))
        + plus
}

/// `JsonMalformed` at `offset`.
pub(crate) fn malformed(offset: usize) -> JsonError {
    JsonError::JsonMalformed(JsonProbe::JsonMalformed {
        offset: U256::from(offset),
    })
}

/// `JsonFieldMissing` with the `seen` bitmask of the members present.
pub(crate) fn field_missing(seen: u64) -> JsonError {
    JsonError::JsonFieldMissing(JsonProbe::JsonFieldMissing {
        seen: U256::from(seen),
    })
}

/// `CollateralUnsupported` at `offset`.
pub(crate) fn unsupported(offset: usize) -> JsonError {
    JsonError::CollateralUnsupported(JsonProbe::CollateralUnsupported {
        offset: U256::from(offset),
    })
}

/// `TcbStatusUnknown` at `offset`.
pub(crate) fn status_unknown(offset: usize) -> JsonError {
    JsonError::TcbStatusUnknown(JsonProbe::TcbStatusUnknown {
        offset: U256::from(offset),
    })
}

/// An edit of Intel's JSON: its name, the edited text, and the error expected for that text.
pub(crate) type JsonEdit = (&'static str, String, Box<dyn Fn(&str) -> JsonError>);

/// Each edit of `original` differs from it and is refused by `read` (with `input`) with its
/// error.
#[allow(clippy::result_large_err)] // the `sol!` errors enum, compared whole in assertions
pub(crate) fn assert_json_edits_are_refused<A: Copy, T: Debug + PartialEq>(
    what: &str,
    original: &str,
    edits: Vec<JsonEdit>,
    read: fn(&str, A) -> Result<T, JsonError>,
    input: A,
) {
    for (name, json, want) in edits {
        assert_ne!(json, original, "{name}");
        assert_eq!(read(&json, input), Err(want(&json)), "{what} {name}");
    }
}

// ---- the test PKI ------------------------------------------------------------------------------

// The test PKI itself (`TestPki`, `resign`, `deploy_with_root`, the DER edits) is
// `lsv_contracts::dcap::test_pki`, shared with lsv-attestation's multi-device tests; what needs
// dcap-qvl (a dev-dependency) is here.
pub(crate) use lsv_contracts::dcap::test_pki::*;

/// The test PKI as dcap-qvl's trust anchor and collateral.
pub(crate) trait QvlUnderTestRoot {
    /// Intel's root certificate (the last of `collateral`'s TCB info issuer chain) with the
    /// test root key, signed by itself: the trust anchor dcap-qvl takes for re-signed evidence.
    fn root_certificate(&self, collateral: &QuoteCollateral) -> Vec<u8>;
    /// `ev` (re-signed by `resign`) as dcap-qvl's collateral under the test root: the PCK chain
    /// in `pck_certificate_chain` (dcap-qvl then does not read the quote's own PEM chain).
    fn qvl_collateral(
        &self,
        ev: &DcapEvidence,
        collateral: &QuoteCollateral,
    ) -> dcap_qvl::QuoteCollateralV3;
}

impl QvlUnderTestRoot for TestPki {
    fn root_certificate(&self, collateral: &QuoteCollateral) -> Vec<u8> {
        let chain = pem::parse_many(collateral.tcb_info_issuer_chain.as_bytes()).unwrap();
        let intel_root = chain.last().unwrap().contents();
        resigned(&rekeyed(intel_root, &self.root), &self.root)
    }

    fn qvl_collateral(
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
