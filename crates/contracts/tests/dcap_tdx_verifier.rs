//! The on-chain Intel TDX DCAP verifier (`contracts/src/DcapTdxAttestationVerifier.sol`) in revm,
//! on the real Intel-signed TDX quotes and collateral of `testdata/dcap/` (see its SOURCE.md):
//! dcap-qvl's `sample/tdx_quote` (quote v4, TD 1.0 report, TDX module 1.x, `UpToDate` per
//! dcap-qvl) and its `near-gas-test` quote (another platform model, `UpToDate`).
//!
//! - Neither real quote carries lsv's report data (`binding ‖ 0³²`: both have a non-zero upper
//!   half), so no Intel-signed TDX quote here can be accepted. Each passes every check before the
//!   last and is refused exactly by `ReportDataUpperHalfNotZero`, at both ends of its collateral
//!   window; just outside the window it is refused on the item that bounds it; another binding,
//!   another `TD_MEASUREMENT`, a minimum TCB evaluation above its own, an SGX quote, a v5 quote
//!   and SGX collateral are each refused with their error; and each mutation of a piece of the
//!   evidence is refused with the error naming that piece.
//! - Acceptance: the same real evidence with REPORTDATA = `binding ‖ 0³²`, re-keyed and
//!   re-signed under a test root key (`common::dcap`), is accepted by the same bytecode with the
//!   test key in place of Intel's, at both ends of the window, and refused just outside it; the
//!   gas of that accepting verification is printed (`cargo test -p lsv-contracts --test
//!   dcap_tdx_verifier -- --nocapture`).
//! - The checks behind Intel's signatures (the TDX module's identity and TCB level, the TD's
//!   attributes, the platform's and QE's TCB levels, the order of the TCB levels, ...) are reached
//!   the same way, each with its error.
//! - The TCB status the contract computes is dcap-qvl's, on both real quotes (Intel's root) and
//!   on 36 variants of the re-signed one (TEE_TCB_SVN, the PCK certificate's PCESVN, the TCB
//!   info's and QE identity's statuses, SEAMATTRIBUTES, MRSIGNERSEAM, the TD attributes), where
//!   dcap-qvl takes the test root as its trust anchor: both accept with the same platform and QE
//!   status, or both refuse.
//! - The TDX TCB info reader (through `IntelCollateralJsonProbe`) evaluates Intel's three TDX TCB
//!   infos in `testdata/` as dcap-qvl's `TcbLevel::shortfalls` and `TcbInfo::tdx_module_identity`
//!   do, for a grid of ~1,070 TDs; it refuses edited JSON by name; so does the TD QE identity
//!   reader.
//! - Property: no single flipped byte of the (re-signed, accepted) evidence is accepted, except in
//!   the one region the verifier documents as unread (the PEM chain inside the certification
//!   data).

#![allow(unused_crate_dependencies)]

mod common;

use alloy_primitives::FixedBytes;
use alloy_sol_types::SolValue;
use common::dcap::*;
use lsv_contracts::artifacts::{DCAP_ATTESTATION_VERIFIER, DCAP_TDX_ATTESTATION_VERIFIER};
use lsv_contracts::bindings::dcap_tdx::DcapTdxAttestationVerifier::{
    self as Verifier, DcapTdxAttestationVerifierErrors as E,
};
use lsv_contracts::bindings::DcapAttestationVerifier::{
    self as SgxVerifier, DcapAttestationVerifierErrors as SgxE,
};
use lsv_contracts::bindings::IntelCollateralJsonProbe::{
    self as JsonProbe, IntelCollateralJsonProbeErrors as JsonError,
};
use lsv_contracts::dcap::{self, DcapEvidence, TdReport, TD_MEASURED_REGISTERS, TD_REPORT_OFFSET};
use lsv_contracts::{Address, Bytes, Chain, B256, U256};
use proptest::prelude::*;
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::ops::Range;
use std::sync::OnceLock;

// ---- test data ---------------------------------------------------------------------------------

/// A real TDX quote with its collateral, TD report and evidence.
type Case = common::dcap::Case<TdReport>;

fn load(name: &str, collateral_file: &str) -> Case {
    Case::load(name, collateral_file, dcap::td_report)
}

/// dcap-qvl `sample/tdx_quote`: TDX v4, TD 1.0, `UpToDate`.
fn tdx() -> &'static Case {
    static CASE: OnceLock<Case> = OnceLock::new();
    CASE.get_or_init(|| {
        load(
            "dcap-qvl tdx_quote",
            "dcap-qvl/sample/tdx_quote_collateral.json",
        )
    })
}

/// dcap-qvl `near-gas-test/quote_hex.txt`: TDX v4 on another platform model (FMSPC 20A06F000000).
fn near() -> &'static Case {
    static CASE: OnceLock<Case> = OnceLock::new();
    CASE.get_or_init(|| {
        load(
            "dcap-qvl near gas-test quote",
            "dcap-qvl/near-gas-test/quote_collateral.json",
        )
    })
}

/// Quote v4 offsets (Intel TDX DCAP Quoting Library API, Appendix A.3): header 48, TD report
/// 584, the u32 signature data length at 632, the quote signature at 636, the attestation key at
/// 700, certification data (type 6) at 764 whose data starts with the QE report at 770.
const LAYOUT: QuoteLayout = QuoteLayout::TDX_V4;
const CERT_DATA: usize = 764;
/// TD report fields (A.3.2 "TD Quote Body"), as offsets in the quote.
const TEE_TCB_SVN: usize = TD_REPORT_OFFSET;
const MRSIGNERSEAM: usize = TD_REPORT_OFFSET + 64;
const SEAMATTRIBUTES: usize = TD_REPORT_OFFSET + 112;
const TDATTRIBUTES: usize = TD_REPORT_OFFSET + 120;
const MRTD: usize = TD_REPORT_OFFSET + 136;
const REPORTDATA: usize = TD_REPORT_OFFSET + 520;

/// The end of the declared signature data; the quote's zero padding follows.
fn signature_data_end(quote: &[u8]) -> usize {
    let at = LAYOUT.signed_len;
    LAYOUT.quote_signature() + u32::from_le_bytes(quote[at..at + 4].try_into().unwrap()) as usize
}

/// The PEM chain inside the certification data (type 5 within type 6): the one region of the
/// evidence the verifier does not read.
fn pem_chain(quote: &[u8]) -> Range<usize> {
    let auth = LAYOUT.qe_auth();
    let auth_len = usize::from(u16::from_le_bytes([quote[auth], quote[auth + 1]]));
    auth + 2 + auth_len + 6..signature_data_end(quote)
}

// ---- the chain ---------------------------------------------------------------------------------

/// The constructor arguments: TD measurement, accepted TCB statuses, minimum
/// tcbEvaluationDataNumber.
fn constructor_args(measurement: B256, accepted: u64, min_tcb_evaluation: u64) -> Vec<u8> {
    (
        measurement,
        U256::from(accepted),
        U256::from(min_tcb_evaluation),
    )
        .abi_encode_params()
}

fn deploy(chain: &mut Chain, measurement: B256, accepted: u64, min_tcb_evaluation: u64) -> Address {
    chain
        .deploy(
            &DCAP_TDX_ATTESTATION_VERIFIER,
            &constructor_args(measurement, accepted, min_tcb_evaluation),
        )
        .unwrap()
}

/// A chain inside `case`'s window with a verifier for its TD (current statuses accepted, the
/// collateral's own tcbEvaluationDataNumber as the minimum).
fn setup(case: &Case) -> (Chain, Address) {
    let mut chain = chain_at(case.entry.valid_from, true);
    let verifier = deploy(
        &mut chain,
        case.report.measurement(),
        ACCEPT_CURRENT,
        case.min_tcb_evaluation(),
    );
    (chain, verifier)
}

/// `check`: the (platform, QE) TCB statuses, or the TDX verifier's error.
#[allow(clippy::result_large_err)] // the `sol!` errors enum, compared whole in assertions
fn check(chain: &Chain, verifier: Address, binding: B256, evidence: Bytes) -> Result<(u8, u8), E> {
    check_as(chain, verifier, binding, evidence)
}

fn upper_half_not_zero() -> E {
    E::ReportDataUpperHalfNotZero(Verifier::ReportDataUpperHalfNotZero {})
}

fn quote_malformed(offset: usize) -> E {
    E::QuoteMalformed(Verifier::QuoteMalformed {
        offset: U256::from(offset),
    })
}

// ---- lsv's report data, under a test root ------------------------------------------------------

/// The binding the re-signed evidence carries: the real quote's REPORTDATA[0:32].
fn binding() -> B256 {
    tdx().report.binding()
}

/// The real evidence's editable pieces, with lsv's report data: REPORTDATA = the real quote's
/// first half ‖ 32 zero bytes.
fn lsv() -> Unsigned {
    let mut u = Unsigned::of(&tdx().evidence);
    u.quote[REPORTDATA + 32..REPORTDATA + 64].fill(0);
    u
}

/// `u` and the rest of the real evidence, re-signed under the test root.
fn signed(u: &Unsigned, pki: &TestPki) -> DcapEvidence {
    pki.resign(u, LAYOUT, &tdx().evidence)
}

/// The TDX verifier for the real TD, with the test root key in place of Intel's.
fn deploy_tdx_with_root(chain: &mut Chain, pki: &TestPki, accepted: u64) -> Address {
    let case = tdx();
    let args = constructor_args(
        case.report.measurement(),
        accepted,
        case.min_tcb_evaluation(),
    );
    deploy_with_root(chain, &DCAP_TDX_ATTESTATION_VERIFIER, &args, &pki.root)
}

/// The re-signed evidence with lsv's report data, and a chain inside its window with a
/// verifier under the test root (current statuses accepted), built once.
fn accepted_setup() -> &'static (DcapEvidence, Chain, Address) {
    static SETUP: OnceLock<(DcapEvidence, Chain, Address)> = OnceLock::new();
    SETUP.get_or_init(|| {
        let pki = TestPki::new();
        let mut chain = chain_at(tdx().entry.valid_from, true);
        let verifier = deploy_tdx_with_root(&mut chain, &pki, ACCEPT_CURRENT);
        (signed(&lsv(), &pki), chain, verifier)
    })
}

// ---- the quote ---------------------------------------------------------------------------------

/// The offsets this suite and the contract use are where dcap-qvl's parser finds each piece,
/// and `TdReport` reads the TD report as dcap-qvl does; its measurement is SHA-256 of the 384
/// bytes at report offsets 136..520, which are dcap-qvl's eight registers in order. The
/// declared signature data ends 70 bytes before the quote, and those 70 bytes are zero.
#[test]
fn the_quote_layout_is_the_one_dcap_qvl_parses() {
    for case in [tdx(), near()] {
        let q = &case.entry.quote;
        let parsed = dcap_qvl::quote::Quote::parse(q).unwrap();
        assert_eq!(parsed.header.version, 4);
        assert_eq!(parsed.header.tee_type, 0x81);
        assert_eq!(parsed.signed_length(), LAYOUT.signed_len);
        let td = parsed.report.as_td10().unwrap();
        let r = &case.report;
        assert_eq!(r.tee_tcb_svn, td.tee_tcb_svn);
        assert_eq!(r.mr_seam.0, td.mr_seam);
        assert_eq!(r.mr_signer_seam.0, td.mr_signer_seam);
        assert_eq!(r.seam_attributes, td.seam_attributes);
        assert_eq!(r.td_attributes, td.td_attributes);
        assert_eq!(r.xfam, td.xfam);
        assert_eq!(r.report_data, td.report_data);
        assert_eq!(&q[TEE_TCB_SVN..TEE_TCB_SVN + 16], td.tee_tcb_svn);
        assert_eq!(&q[MRSIGNERSEAM..MRSIGNERSEAM + 48], td.mr_signer_seam);
        assert_eq!(&q[SEAMATTRIBUTES..SEAMATTRIBUTES + 8], td.seam_attributes);
        assert_eq!(&q[TDATTRIBUTES..TDATTRIBUTES + 8], td.td_attributes);
        assert_eq!(&q[REPORTDATA..REPORTDATA + 64], td.report_data);

        let registers = [
            td.mr_td,
            td.mr_config_id,
            td.mr_owner,
            td.mr_owner_config,
            td.rt_mr0,
            td.rt_mr1,
            td.rt_mr2,
            td.rt_mr3,
        ]
        .concat();
        assert_eq!(TD_MEASURED_REGISTERS, 136..520);
        let measured = TD_REPORT_OFFSET + TD_MEASURED_REGISTERS.start
            ..TD_REPORT_OFFSET + TD_MEASURED_REGISTERS.end;
        assert_eq!(measured.start, MRTD);
        assert_eq!(&q[measured], registers.as_slice());
        assert_eq!(
            r.measurement().0,
            <[u8; 32]>::from(Sha256::digest(&registers))
        );

        let dcap_qvl::quote::AuthData::V4(auth) = &parsed.auth_data else {
            panic!("v4 auth data");
        };
        let sig = LAYOUT.quote_signature();
        assert_eq!(&q[sig..sig + 64], auth.ecdsa_signature);
        let key = LAYOUT.attestation_key();
        assert_eq!(&q[key..key + 64], auth.ecdsa_attestation_key);
        assert_eq!(auth.certification_data.cert_type, 6);
        assert_eq!(u16::from_le_bytes([q[CERT_DATA], q[CERT_DATA + 1]]), 6);
        let qe = &auth.qe_report_data;
        assert_eq!(&q[LAYOUT.qe_report..LAYOUT.qe_report + 384], qe.qe_report);
        let qe_sig = LAYOUT.qe_report_signature();
        assert_eq!(&q[qe_sig..qe_sig + 64], qe.qe_report_signature);
        let auth_data = LAYOUT.qe_auth() + 2;
        assert_eq!(
            &q[auth_data..auth_data + qe.qe_auth_data.data.len()],
            qe.qe_auth_data.data.as_slice()
        );
        assert_eq!(qe.certification_data.cert_type, 5);
        assert_eq!(&q[pem_chain(q)], qe.certification_data.body.data.as_slice());
        let end = signature_data_end(q);
        assert_eq!(q.len() - end, 70);
        assert!(q[end..].iter().all(|b| *b == 0));
    }
}

// ---- the real, Intel-signed evidence -----------------------------------------------------------

/// Both real quotes pass every check against Intel's root key (the chain, the CRLs, the
/// signatures, the TCB info and the TDX module, the TD QE identity, the TD's attributes, its
/// measurement, the binding in REPORTDATA[0:32]) at both ends of their collateral windows and at
/// the time dcap-qvl's own test uses, and are refused by the last check only: their
/// REPORTDATA[32:64] is not zero, as lsv's layout (`binding ‖ 0³²`) requires.
#[test]
fn real_tdx_quotes_pass_every_check_but_lsvs_report_data_layout() {
    for case in [tdx(), near()] {
        assert_ne!(case.report.report_data[32..], [0; 32]);
        assert!(!case.report.is_debug());
        let mut times = vec![
            (case.entry.valid_from, true),
            (case.entry.valid_until, false),
        ];
        if let Some(now) = case.entry.upstream_now {
            times.push((now, false));
        }
        for (time, earliest) in times {
            let mut chain = chain_at(time, earliest);
            let verifier = deploy(
                &mut chain,
                case.report.measurement(),
                ACCEPT_CURRENT,
                case.min_tcb_evaluation(),
            );
            let binding = case.report.binding();
            assert_eq!(
                check(&chain, verifier, binding, case.evidence.encode()),
                Err(upper_half_not_zero()),
                "at {}",
                chain.timestamp()
            );
            assert!(!verify(&chain, verifier, binding, case.evidence.encode()));
        }
    }
}

#[test]
fn refused_just_outside_the_collateral_window() {
    let case = tdx();
    let binding = case.report.binding();
    // The window's end is the PCK CRL's nextUpdate (SOURCE.md: the earliest of all).
    let mut chain = chain_at(case.entry.valid_until + 1, true);
    let verifier = deploy(
        &mut chain,
        case.report.measurement(),
        ACCEPT_CURRENT,
        case.min_tcb_evaluation(),
    );
    let err = check(&chain, verifier, binding, case.evidence.encode()).unwrap_err();
    match &err {
        E::Expired(e) => {
            assert_eq!(item(&err), Some(Item::PckCrl));
            assert_eq!(e.validUntil, U256::from(case.entry.valid_until));
            assert_eq!(e.time, U256::from(chain.timestamp()));
        }
        other => panic!("expected Expired, got {other:?}"),
    }
    assert!(!verify(&chain, verifier, binding, case.evidence.encode()));

    // Its start is the TD QE identity's issueDate.
    let mut chain = chain_at(case.entry.valid_from - 1, false);
    let verifier = deploy(
        &mut chain,
        case.report.measurement(),
        ACCEPT_CURRENT,
        case.min_tcb_evaluation(),
    );
    let err = check(&chain, verifier, binding, case.evidence.encode()).unwrap_err();
    match &err {
        E::NotYetValid(e) => {
            assert_eq!(item(&err), Some(Item::QeIdentity));
            assert_eq!(e.validFrom, U256::from(case.entry.valid_from));
        }
        other => panic!("expected NotYetValid, got {other:?}"),
    }
}

#[test]
fn another_binding_is_refused() {
    let case = tdx();
    let (chain, verifier) = setup(case);
    assert_another_binding_is_refused(
        &chain,
        verifier,
        case.report.binding(),
        case.evidence.encode(),
    );
}

#[test]
fn another_td_is_refused() {
    let case = tdx();
    let mut chain = chain_at(case.entry.valid_from, true);
    let mut pinned = case.report.measurement();
    pinned.0[0] ^= 0xff;
    let verifier = deploy(
        &mut chain,
        pinned,
        ACCEPT_CURRENT,
        case.min_tcb_evaluation(),
    );
    let immutable = chain
        .view(verifier, &Verifier::TD_MEASUREMENTCall {})
        .unwrap();
    assert_eq!(immutable, pinned);
    assert_eq!(
        check(
            &chain,
            verifier,
            case.report.binding(),
            case.evidence.encode()
        ),
        Err(E::TdMeasurementMismatch(Verifier::TdMeasurementMismatch {
            measurement: case.report.measurement()
        }))
    );
}

#[test]
fn deployment_refuses_a_zero_measurement_or_a_bad_status_mask() {
    let case = tdx();
    let mut chain = chain_at(case.entry.valid_from, true);
    let m = case.report.measurement();
    for (measurement, mask, want) in [
        (B256::ZERO, ACCEPT_CURRENT, "ZeroTdMeasurement"),
        (m, 0, "AcceptedTcbStatusesInvalid"),
        (
            m,
            ACCEPT_CURRENT | (1 << REVOKED),
            "AcceptedTcbStatusesInvalid",
        ),
        (m, 1 << 7, "AcceptedTcbStatusesInvalid"),
    ] {
        let args = constructor_args(measurement, mask, case.min_tcb_evaluation());
        let err = chain
            .deploy(&DCAP_TDX_ATTESTATION_VERIFIER, &args)
            .expect_err("refused");
        let got = err.revert_error::<E>().expect("a named error");
        assert!(format!("{got:?}").starts_with(want), "{got:?}");
    }
}

/// The real collateral (evaluation 17) is accepted as far as its report data at a minimum up to
/// 17, and refused on its TCB info above it; a TCB status set without UpToDate refuses the
/// platform (read before the QE).
#[test]
fn the_minimum_tcb_evaluation_and_the_accepted_statuses_are_enforced() {
    let case = tdx();
    assert_eq!(case.entry.tcb_evaluation, (17, 17));
    let binding = case.report.binding();
    let mut chain = chain_at(case.entry.valid_from, true);
    for (minimum, want) in [
        (0, upper_half_not_zero()),
        (17, upper_half_not_zero()),
        (
            18,
            E::TcbEvaluationDataNumberTooLow(Verifier::TcbEvaluationDataNumberTooLow {
                item: Item::TcbInfo as u8,
                found: U256::from(17),
                minimum: U256::from(18),
            }),
        ),
    ] {
        let verifier = deploy(
            &mut chain,
            case.report.measurement(),
            ACCEPT_CURRENT,
            minimum,
        );
        assert_eq!(
            check(&chain, verifier, binding, case.evidence.encode()),
            Err(want),
            "minimum {minimum}"
        );
    }
    let strict = deploy(
        &mut chain,
        case.report.measurement(),
        1 << SW_HARDENING_NEEDED,
        17,
    );
    assert_eq!(
        check(&chain, strict, binding, case.evidence.encode()),
        Err(E::TcbStatusNotAccepted(Verifier::TcbStatusNotAccepted {
            status: UP_TO_DATE
        }))
    );
}

// ---- other quotes and other collateral ---------------------------------------------------------

fn sgx_case() -> (QuoteEntry, DcapEvidence) {
    let entry = load_entry(
        "dcap-qvl sgx_quote",
        "dcap-qvl/sample/sgx_quote_collateral.json",
    );
    let evidence = dcap::evidence(&entry.quote, &entry.collateral).unwrap();
    (entry, evidence)
}

/// Each verifier reads its own quote version and refuses the other's at the version, before
/// anything else: an SGX quote v3 (real, Intel-signed) by the TDX verifier, the TDX quote v4 by
/// the SGX verifier, and a TDX quote v5 (TD 1.5, `tdx_quote_outdated`) by the TDX verifier.
#[test]
fn the_tdx_verifier_refuses_sgx_and_v5_quotes_and_the_sgx_verifier_tdx_quotes() {
    let case = tdx();
    let (chain, verifier) = setup(case);
    let binding = case.report.binding();
    let version = |v: u64| {
        E::QuoteVersionUnsupported(Verifier::QuoteVersionUnsupported {
            version: U256::from(v),
        })
    };

    let (sgx, sgx_evidence) = sgx_case();
    assert_eq!(
        check(&chain, verifier, binding, sgx_evidence.encode()),
        Err(version(3))
    );
    assert!(!verify(&chain, verifier, binding, sgx_evidence.encode()));

    let outdated = load_entry(
        "dcap-qvl tdx_quote_outdated",
        "dcap-qvl/sample/tdx_quote_outdated_collateral.json",
    );
    assert!(matches!(
        dcap::evidence(&outdated.quote, &outdated.collateral),
        Err(dcap::EvidenceError::Quote(_))
    ));
    let v5 = DcapEvidence {
        quote: outdated.quote.clone().into(),
        ..case.evidence.clone()
    };
    assert_eq!(
        check(&chain, verifier, binding, v5.encode()),
        Err(version(5))
    );

    let mut chain = chain_at(sgx.valid_from, true);
    let report = dcap::enclave_report(&sgx.quote).unwrap();
    let args = (
        report.mr_enclave,
        0u16,
        U256::from(ACCEPT_CURRENT),
        U256::from(17),
    )
        .abi_encode_params();
    let sgx_verifier = chain.deploy(&DCAP_ATTESTATION_VERIFIER, &args).unwrap();
    let err = chain
        .view(
            sgx_verifier,
            &SgxVerifier::checkCall {
                binding,
                evidence: case.evidence.encode(),
            },
        )
        .unwrap_err();
    assert_eq!(
        err.revert_error::<SgxE>(),
        Some(SgxE::QuoteVersionUnsupported(
            SgxVerifier::QuoteVersionUnsupported {
                version: U256::from(4)
            }
        ))
    );
}

/// Intel signs the SGX TCB info and QE identity with the same TCB signing key as the TDX ones:
/// with the TDX quote, each verifies and is read, and refused at its `id` (offset 6): the TDX
/// TCB info reader wants "TDX", the TD QE identity reader "TD_QE".
#[test]
fn sgx_collateral_is_refused_by_its_id() {
    let case = tdx();
    let (chain, verifier) = setup(case);
    let (sgx, _) = sgx_case();
    assert_foreign_collateral_is_refused(
        &chain,
        verifier,
        case.report.binding(),
        &case.evidence,
        &sgx.collateral,
        E::CollateralUnsupported(Verifier::CollateralUnsupported {
            offset: U256::from(6),
        }),
    );
}

// ---- mutations -----------------------------------------------------------------------------------

#[test]
fn each_mutation_is_refused_with_its_error() {
    let case = tdx();
    let (chain, verifier) = setup(case);
    let ev = &case.evidence;
    let binding = case.report.binding();
    let q = &case.entry.quote;
    let tcb_info_svn = find(&ev.tcbInfo, b"\"pcesvn\":11") + 9;
    let qe_isvsvn = find(&ev.qeIdentity, b"\"isvsvn\":4") + 9;
    let pem = pem_chain(q);
    let inner_type = pem.start - 6;
    let end = signature_data_end(q);
    assert_eq!(&q[inner_type..inner_type + 2], &[5, 0]);
    assert_eq!(&q[CERT_DATA..CERT_DATA + 2], &[6, 0]);

    let mut cases: Vec<Mutation<E>> = vec![
        ("quote TEE type", QUOTE, 4, |e| {
            *e == E::TeeTypeUnsupported(Verifier::TeeTypeUnsupported {
                teeType: U256::from(0x80),
            })
        }),
        ("quote header reserved (signed)", QUOTE, 8, |e| {
            signature_invalid(e, Item::TdReport)
        }),
        ("quote header user data (signed)", QUOTE, 40, |e| {
            signature_invalid(e, Item::TdReport)
        }),
        // One more byte of signature data (read as padding, zero): the certification data
        // no longer fills it.
        ("signature data length + 1", QUOTE, LAYOUT.signed_len, |e| {
            *e == quote_malformed(CERT_DATA + 2)
        }),
        // 65,536 more: past the end of the quote.
        (
            "signature data length + 2^16",
            QUOTE,
            LAYOUT.signed_len + 2,
            |e| *e == quote_malformed(632),
        ),
        ("certification data type 6", QUOTE, CERT_DATA, |e| {
            *e == E::CertificationDataTypeUnsupported(Verifier::CertificationDataTypeUnsupported {
                certType: U256::from(7),
            })
        }),
        ("certification data size", QUOTE, CERT_DATA + 2, |e| {
            *e == quote_malformed(CERT_DATA + 2)
        }),
        (
            "PCK chain certification data type 5",
            QUOTE,
            inner_type,
            |e| {
                *e == E::CertificationDataTypeUnsupported(
                    Verifier::CertificationDataTypeUnsupported {
                        certType: U256::from(4),
                    },
                )
            },
        ),
        (
            "PCK chain certification data size",
            QUOTE,
            inner_type + 2,
            |e| matches!(e, E::QuoteMalformed(_)),
        ),
        (
            "padding after the signature data",
            QUOTE,
            end + 17,
            |e| matches!(e, E::QuoteMalformed(m) if m.offset == U256::from(4936 + 17)),
        ),
        ("TD report TEE_TCB_SVN", QUOTE, TEE_TCB_SVN, |e| {
            signature_invalid(e, Item::TdReport)
        }),
        ("TD report MRSIGNERSEAM", QUOTE, MRSIGNERSEAM + 3, |e| {
            signature_invalid(e, Item::TdReport)
        }),
        ("TD report TDATTRIBUTES", QUOTE, TDATTRIBUTES, |e| {
            signature_invalid(e, Item::TdReport)
        }),
        ("TD report MRTD", QUOTE, MRTD + 5, |e| {
            signature_invalid(e, Item::TdReport)
        }),
        ("TD report REPORTDATA", QUOTE, REPORTDATA + 40, |e| {
            signature_invalid(e, Item::TdReport)
        }),
        (
            "quote signature",
            QUOTE,
            LAYOUT.quote_signature() + 5,
            |e| signature_invalid(e, Item::TdReport),
        ),
        (
            "PCK certificate PCESVN",
            PCK_CERT,
            pcesvn_offset(&ev.pckCert),
            |e| signature_invalid(e, Item::PckCert),
        ),
        ("TCB info PCESVN", TCB_INFO, tcb_info_svn, |e| {
            signature_invalid(e, Item::TcbInfo)
        }),
        ("TD QE identity ISVSVN", QE_IDENTITY, qe_isvsvn, |e| {
            signature_invalid(e, Item::QeIdentity)
        }),
        ("PCK certificate DER length", PCK_CERT, 3, |e| {
            matches!(e, E::DerMalformed(_))
        }),
        ("root CA CRL DER length", ROOT_CA_CRL, 3, |e| {
            matches!(e, E::DerMalformed(_))
        }),
    ];
    cases.extend(shared_mutations(ev, LAYOUT));
    assert_mutations_are_refused(&chain, verifier, binding, ev, cases);
}

/// The quote buffer's zero padding after the signature data is optional and may be any length
/// (the re-signed evidence is accepted without it and with more); a non-zero byte in it, a
/// signature data length running past the quote, and a quote too short for a QE report are
/// `QuoteMalformed`; evidence that is not `abi.encode(Evidence)` is false, not a revert.
#[test]
fn padded_truncated_or_extended_quotes() {
    let (ev, chain, verifier) = accepted_setup();
    let q = ev.quote.to_vec();
    let end = signature_data_end(&q);
    let with_quote = |quote: Vec<u8>| {
        DcapEvidence {
            quote: quote.into(),
            ..ev.clone()
        }
        .encode()
    };
    let accepted = Ok((UP_TO_DATE, UP_TO_DATE));
    for (name, quote, want) in [
        ("no padding", q[..end].to_vec(), accepted.clone()),
        (
            "one more zero byte",
            [&q[..], &[0]].concat(),
            accepted.clone(),
        ),
        (
            "a non-zero byte after the padding",
            [&q[..], &[1]].concat(),
            Err(quote_malformed(q.len())),
        ),
        (
            "truncated into the signature data",
            q[..end - 1].to_vec(),
            Err(quote_malformed(632)),
        ),
        (
            "shorter than a QE report",
            q[..1000].to_vec(),
            Err(quote_malformed(1000)),
        ),
    ] {
        assert_eq!(
            check(chain, *verifier, binding(), with_quote(quote)),
            want,
            "{name}"
        );
    }
    assert!(!verify(
        chain,
        *verifier,
        binding(),
        Bytes::from_static(b"not evidence")
    ));
}

#[test]
fn the_quotes_own_pem_chain_is_not_read() {
    let (ev, chain, verifier) = accepted_setup();
    let region = pem_chain(&ev.quote);
    let mutated = flipped(ev, QUOTE, region.start + 100, 0x20);
    assert!(verify(chain, *verifier, binding(), mutated.encode()));
}

// ---- acceptance, under a test root ---------------------------------------------------------------

/// The real evidence with lsv's report data, re-signed under the test root, is accepted by the
/// verifier deployed with the test root key (UpToDate platform and QE, as dcap-qvl rates the
/// real quote) at both ends of the window, and refused just outside it; Intel's own evidence
/// is refused by that deployment at the first signature by the root (the anchor is all that
/// changed).
#[test]
fn real_evidence_with_lsvs_report_data_is_accepted_inside_its_window_under_a_test_root() {
    let case = tdx();
    let pki = TestPki::new();
    let evidence = signed(&lsv(), &pki).encode();
    for (time, earliest) in [
        (case.entry.valid_from, true),
        (case.entry.valid_until, false),
    ] {
        let mut chain = chain_at(time, earliest);
        let verifier = deploy_tdx_with_root(&mut chain, &pki, ACCEPT_CURRENT);
        assert_eq!(
            check(&chain, verifier, binding(), evidence.clone()),
            Ok((UP_TO_DATE, UP_TO_DATE)),
            "at {}",
            chain.timestamp()
        );
        assert!(verify(&chain, verifier, binding(), evidence.clone()));
        assert!(signature_invalid(
            &check(&chain, verifier, binding(), case.evidence.encode()).unwrap_err(),
            Item::RootCaCrl
        ));
    }
    for (time, earliest, want) in [
        (case.entry.valid_until + 1, true, Item::PckCrl),
        (case.entry.valid_from - 1, false, Item::QeIdentity),
    ] {
        let mut chain = chain_at(time, earliest);
        let verifier = deploy_tdx_with_root(&mut chain, &pki, ACCEPT_CURRENT);
        let err = check(&chain, verifier, binding(), evidence.clone()).unwrap_err();
        assert!(
            matches!(err, E::Expired(_) | E::NotYetValid(_)) && item(&err) == Some(want),
            "{err:?}"
        );
        assert!(!verify(&chain, verifier, binding(), evidence.clone()));
    }
}

#[test]
fn accepting_verification_gas() {
    let case = tdx();
    let pki = TestPki::new();
    let mut chain = chain_at(case.entry.valid_from, true);
    let verifier = deploy_tdx_with_root(&mut chain, &pki, ACCEPT_CURRENT);
    let caller = chain.account("keeper");
    let evidence = signed(&lsv(), &pki).encode();
    let gas = accepting_gas(&mut chain, caller, verifier, binding(), evidence.clone());
    // Intel's own evidence, by a verifier with Intel's root: every check runs; the last refuses.
    let intel = deploy(
        &mut chain,
        case.report.measurement(),
        ACCEPT_CURRENT,
        case.min_tcb_evaluation(),
    );
    let intel_gas = chain
        .send(
            caller,
            intel,
            &Verifier::checkCall {
                binding: binding(),
                evidence: case.evidence.encode(),
            },
            U256::ZERO,
        )
        .unwrap();
    assert!(!intel_gas.is_success());
    print_accepting_gas(
        &format!(
            "DcapTdxAttestationVerifier, accepting verification of dcap-qvl tdx_quote with lsv's report data, re-signed under a test root (evidence {} bytes, quote {} bytes)",
            evidence.len(),
            case.entry.quote.len()
        ),
        gas,
    );
    println!(
        "  check of Intel's own evidence, refused at the last check (report data): {} gas",
        intel_gas.gas_used
    );
    chain.gas_report().print();
    assert!(gas.0 < Chain::TX_GAS_LIMIT_CAP);
}

// ---- checks behind Intel's signatures, under the test root ---------------------------------------

/// The TCB info's first (platform) TCB level starts here; its status is the first `tcbStatus`
/// after it.
const PLATFORM_LEVELS: &str = "\"tcbLevels\":[{\"tcb\":{\"sgxtcbcomponents\"";

/// `json` with the first `from` after `anchor` replaced by `to`.
fn edit_after(json: &str, anchor: &str, from: &str, to: &str) -> String {
    let at = json.find(anchor).expect("anchor") + anchor.len();
    let (head, tail) = json.split_at(at);
    format!("{head}{}", edit(tail, from, to))
}

/// The offset of the first `needle` after `anchor` in `json`.
fn edit_after_offset(json: &str, anchor: &str, needle: &str) -> usize {
    let at = json.find(anchor).expect("anchor") + anchor.len();
    at + json[at..].find(needle).expect("needle")
}

/// The platform's first TCB level (the TD's, UpToDate) with another status.
fn first_level_status(json: &str, status: &str) -> String {
    edit_after(
        json,
        PLATFORM_LEVELS,
        "\"tcbStatus\":\"UpToDate\"",
        &format!("\"tcbStatus\":\"{status}\""),
    )
}

/// The TDX_01 module identity's first level (isvsvn 4, UpToDate) with another status.
fn module_level_status(json: &str, status: &str) -> String {
    edit_after(
        json,
        "\"id\":\"TDX_01\"",
        "\"tcbStatus\":\"UpToDate\"",
        &format!("\"tcbStatus\":\"{status}\""),
    )
}

/// The TCB info with its two platform levels swapped (the OutOfDate one first), and where the
/// second level, now above the first, starts.
fn levels_swapped(json: &str) -> (String, usize) {
    let at = json.find(PLATFORM_LEVELS).unwrap() + "\"tcbLevels\":[".len();
    let second = at + json[at..].find(",{\"tcb\":{\"sgxtcbcomponents\"").unwrap();
    assert!(json.ends_with("]}"), "tcbLevels is the last member");
    let first = &json[at..second];
    let rest = &json[second + 1..json.len() - 2];
    (
        format!("{}{rest},{first}]}}", &json[..at]),
        at + rest.len() + 1,
    )
}

/// An edit of the real evidence (with lsv's report data), before re-signing.
type Edit = Box<dyn Fn(&mut Unsigned)>;

fn set_quote(at: usize, value: u8) -> Edit {
    Box::new(move |u| u.quote[at] = value)
}

fn set_pcesvn(value: u8) -> Edit {
    Box::new(move |u| {
        let at = pcesvn_offset(&u.pck_cert);
        u.pck_cert[at] = value;
    })
}

/// TDATTRIBUTES with `bits` toggled (a little-endian u64 in the report).
fn toggle_td_attributes(bits: u64) -> Edit {
    Box::new(move |u| {
        let at = TDATTRIBUTES;
        let value = u64::from_le_bytes(u.quote[at..at + 8].try_into().unwrap()) ^ bits;
        u.quote[at..at + 8].copy_from_slice(&value.to_le_bytes());
    })
}

fn both(a: Edit, b: Edit) -> Edit {
    Box::new(move |u| {
        a(u);
        b(u);
    })
}

fn tcb_info(f: impl Fn(&str) -> String + 'static) -> Edit {
    Box::new(move |u| u.tcb_info = f(&u.tcb_info))
}

fn qe_identity(f: impl Fn(&str) -> String + 'static) -> Edit {
    Box::new(move |u| u.qe_identity = f(&u.qe_identity))
}

fn status_not_accepted(status: u8) -> E {
    E::TcbStatusNotAccepted(Verifier::TcbStatusNotAccepted { status })
}

/// Every check that sits behind Intel's signatures, reached with real evidence edited and
/// re-signed under the test root: the TDX module's identity (TEE_TCB_SVN[1] names none; its
/// MRSIGNERSEAM or SEAMATTRIBUTES differ), its TCB level (TEE_TCB_SVN[0] below every level) and
/// status; the platform's TCB level (PCESVN, TEE_TCB_SVN[2]) and status, alone and converged
/// with the module's; FMSPC and PCE-ID; the TD QE's identity, level and status; the TD's
/// attributes (debug, migratable, SEPT_VE_DISABLE cleared, a reserved bit, SERVTD_EXT); the
/// order of the TCB levels and the statuses a TDX module or TD QE identity may carry (the
/// readers' errors, through the verifier). The control, unedited, is accepted.
#[test]
fn checks_behind_intels_signatures_refuse_with_their_errors_under_a_test_root() {
    let case = tdx();
    let pki = TestPki::new();
    let mut chain = chain_at(case.entry.valid_from, true);
    let current = deploy_tdx_with_root(&mut chain, &pki, ACCEPT_CURRENT);
    let with_out_of_date =
        deploy_tdx_with_root(&mut chain, &pki, ACCEPT_CURRENT | (1 << OUT_OF_DATE));
    assert_eq!(
        check(&chain, current, binding(), signed(&lsv(), &pki).encode()),
        Ok((UP_TO_DATE, UP_TO_DATE))
    );
    // TEE_TCB_SVN: module ISVSVN 6, module version 1, TDX component 2 = 3.
    assert_eq!(case.report.tee_tcb_svn[..3], [6, 1, 3]);
    let (_, out_of_order_at) = levels_swapped(&lsv().tcb_info);

    let cases: Vec<(&str, Edit, Address, E)> = vec![
        (
            "module version 2: no TDX_02 identity",
            set_quote(TEE_TCB_SVN + 1, 2),
            current,
            E::TdxModuleIdentityNotFound(Verifier::TdxModuleIdentityNotFound {
                moduleVersion: U256::from(2),
            }),
        ),
        (
            "module ISVSVN 1, below TDX_01's lowest level (2)",
            set_quote(TEE_TCB_SVN, 1),
            current,
            E::TdxModuleTcbLevelNotFound(Verifier::TdxModuleTcbLevelNotFound {
                moduleIsvSvn: U256::from(1),
            }),
        ),
        (
            "module ISVSVN 3: TDX_01's OutOfDate level",
            set_quote(TEE_TCB_SVN, 3),
            current,
            E::TdxModuleTcbStatusNotAccepted(Verifier::TdxModuleTcbStatusNotAccepted {
                status: OUT_OF_DATE,
            }),
        ),
        (
            "MRSIGNERSEAM not Intel's (zero)",
            set_quote(MRSIGNERSEAM + 47, 1),
            current,
            E::TdxModuleMismatch(Verifier::TdxModuleMismatch {}),
        ),
        (
            "SEAMATTRIBUTES not zero",
            set_quote(SEAMATTRIBUTES, 1),
            current,
            E::TdxModuleMismatch(Verifier::TdxModuleMismatch {}),
        ),
        (
            "TDX_01's mrsigner not the TD's MRSIGNERSEAM",
            tcb_info(|j| {
                edit_after(
                    j,
                    "\"id\":\"TDX_01\"",
                    "\"mrsigner\":\"00",
                    "\"mrsigner\":\"01",
                )
            }),
            current,
            E::TdxModuleMismatch(Verifier::TdxModuleMismatch {}),
        ),
        (
            "module version 0: tdxModule's mrsigner differs",
            both(
                set_quote(TEE_TCB_SVN + 1, 0),
                tcb_info(|j| edit(j, "\"mrsigner\":\"00", "\"mrsigner\":\"10")),
            ),
            current,
            E::TdxModuleMismatch(Verifier::TdxModuleMismatch {}),
        ),
        (
            "PCK certificate PCESVN 4, below every level (5)",
            set_pcesvn(4),
            current,
            E::TcbLevelNotFound(Verifier::TcbLevelNotFound {}),
        ),
        (
            "TEE_TCB_SVN[2] 1, below every level (2)",
            set_quote(TEE_TCB_SVN + 2, 1),
            current,
            E::TcbLevelNotFound(Verifier::TcbLevelNotFound {}),
        ),
        (
            "module version 0, module ISVSVN 4: TDX component 0 below every level (5)",
            both(set_quote(TEE_TCB_SVN + 1, 0), set_quote(TEE_TCB_SVN, 4)),
            current,
            E::TcbLevelNotFound(Verifier::TcbLevelNotFound {}),
        ),
        (
            "PCK certificate PCESVN 10: the OutOfDate level",
            set_pcesvn(10),
            current,
            status_not_accepted(OUT_OF_DATE),
        ),
        (
            "ConfigurationNeeded level with an OutOfDate module: converged, not accepted",
            both(
                set_quote(TEE_TCB_SVN, 3),
                tcb_info(|j| first_level_status(j, "ConfigurationNeeded")),
            ),
            with_out_of_date,
            status_not_accepted(OUT_OF_DATE_CONFIGURATION_NEEDED),
        ),
        (
            "TCB info for another FMSPC",
            tcb_info(|j| {
                edit(
                    j,
                    "\"fmspc\":\"B0C06F000000\"",
                    "\"fmspc\":\"00906ED50000\"",
                )
            }),
            current,
            E::FmspcMismatch(Verifier::FmspcMismatch {
                pck: FixedBytes([0xb0, 0xc0, 0x6f, 0, 0, 0]),
                tcbInfo: FixedBytes([0x00, 0x90, 0x6e, 0xd5, 0, 0]),
            }),
        ),
        (
            "TCB info for another PCE",
            tcb_info(|j| edit(j, "\"pceId\":\"0000\"", "\"pceId\":\"0001\"")),
            current,
            E::PceIdMismatch(Verifier::PceIdMismatch {
                pck: FixedBytes([0, 0]),
                tcbInfo: FixedBytes([0, 1]),
            }),
        ),
        (
            "QE report MRSIGNER not Intel's",
            set_quote(LAYOUT.qe_report + 128, 0),
            current,
            E::QeIdentityMismatch(Verifier::QeIdentityMismatch {}),
        ),
        (
            "QE ISVSVN 3, below the TD QE identity's level (4)",
            set_quote(LAYOUT.qe_report + 258, 3),
            current,
            E::QeTcbLevelNotFound(Verifier::QeTcbLevelNotFound {
                qeIsvSvn: U256::from(3),
            }),
        ),
        (
            "TD QE identity level OutOfDate",
            qe_identity(|j| edit(j, "\"UpToDate\"", "\"OutOfDate\"")),
            current,
            E::QeTcbStatusNotAccepted(Verifier::QeTcbStatusNotAccepted {
                status: OUT_OF_DATE,
            }),
        ),
        (
            "TD under debug (TUD bit 0)",
            toggle_td_attributes(1),
            current,
            E::DebugTrustDomain(Verifier::DebugTrustDomain {}),
        ),
        (
            "TD profiling (TUD bit 4)",
            toggle_td_attributes(1 << 4),
            current,
            E::DebugTrustDomain(Verifier::DebugTrustDomain {}),
        ),
        (
            "TD migratable (bit 29)",
            toggle_td_attributes(1 << 29),
            current,
            E::TdAttributesNotAccepted(Verifier::TdAttributesNotAccepted {
                tdAttributes: FixedBytes((0x3000_0000u64).to_le_bytes()),
            }),
        ),
        (
            "TD without SEPT_VE_DISABLE (bit 28)",
            toggle_td_attributes(1 << 28),
            current,
            E::TdAttributesNotAccepted(Verifier::TdAttributesNotAccepted {
                tdAttributes: FixedBytes([0; 8]),
            }),
        ),
        (
            "TD attributes reserved bit 40",
            toggle_td_attributes(1 << 40),
            current,
            E::TdAttributesNotAccepted(Verifier::TdAttributesNotAccepted {
                tdAttributes: FixedBytes((0x100_1000_0000u64).to_le_bytes()),
            }),
        ),
        (
            "TD with SERVTD_EXT (bit 17)",
            toggle_td_attributes(1 << 17),
            current,
            E::TdAttributesNotAccepted(Verifier::TdAttributesNotAccepted {
                tdAttributes: FixedBytes((0x1002_0000u64).to_le_bytes()),
            }),
        ),
        (
            "REPORTDATA upper half not zero",
            set_quote(REPORTDATA + 63, 1),
            current,
            upper_half_not_zero(),
        ),
        (
            "TCB levels in the wrong order (the OutOfDate level first)",
            tcb_info(|j| levels_swapped(j).0),
            current,
            E::TcbLevelsOutOfOrder(Verifier::TcbLevelsOutOfOrder {
                offset: U256::from(out_of_order_at),
            }),
        ),
        (
            "a module level SWHardeningNeeded (QVL: UpToDate, OutOfDate or Revoked only)",
            tcb_info(|j| module_level_status(j, "SWHardeningNeeded")),
            current,
            E::TcbStatusUnknown(Verifier::TcbStatusUnknown {
                offset: U256::from(
                    module_level_status(&lsv().tcb_info, "SWHardeningNeeded")
                        .find("\"tcbStatus\":\"SWHardeningNeeded\"")
                        .unwrap()
                        + "\"tcbStatus\":".len(),
                ),
            }),
        ),
        (
            "a TD QE level ConfigurationAndSWHardeningNeeded (not a QE status for QVL)",
            qe_identity(|j| edit(j, "\"UpToDate\"", "\"ConfigurationAndSWHardeningNeeded\"")),
            current,
            E::TcbStatusUnknown(Verifier::TcbStatusUnknown {
                offset: U256::from(lsv().qe_identity.find("\"UpToDate\"").unwrap()),
            }),
        ),
    ];
    for (name, edit, verifier, want) in cases {
        let mut u = lsv();
        edit(&mut u);
        let evidence = signed(&u, &pki).encode();
        assert_eq!(
            check(&chain, verifier, binding(), evidence.clone()),
            Err(want),
            "{name}"
        );
        assert!(!verify(&chain, verifier, binding(), evidence), "{name}");
    }
}

// ---- statuses against dcap-qvl -------------------------------------------------------------------

/// A verdict as both sides can state it: the (platform, QE) TCB status names, or a refusal.
type Verdict = Result<(String, String), String>;

fn names((platform, qe): (u8, u8)) -> (String, String) {
    (
        TCB_STATUS_NAMES[platform as usize].to_string(),
        TCB_STATUS_NAMES[qe as usize].to_string(),
    )
}

/// dcap-qvl's verdict on `quote` at `now`: with Intel's root (`root` none) or a test root.
fn qvl_verdict(
    quote: &[u8],
    collateral: &dcap_qvl::QuoteCollateralV3,
    now: u64,
    root: Option<&[u8]>,
) -> Verdict {
    let report = match root {
        Some(root) => {
            dcap_qvl::verify::QuoteVerifier::new(root.to_vec()).verify(quote, collateral, now)
        }
        None => dcap_qvl::verify::verify(quote, collateral, now),
    };
    report
        .map(|r| {
            (
                format!("{:?}", r.platform_status.status),
                format!("{:?}", r.qe_status.status),
            )
        })
        .map_err(|e| format!("{e:#}"))
}

/// Both real quotes: dcap-qvl (Intel's root) rates each `UpToDate` platform and QE at the start
/// of its window and one second before its end (the time dcap-qvl's own test uses: at the end
/// itself, the PCK CRL's nextUpdate, webpki already calls the CRL expired, where the contract,
/// as the SGX verifier and RFC 5280's "valid through" reading, still accepts it); the contract,
/// on the same evidence with lsv's report data under the test root at the same times, computes
/// the same statuses.
#[test]
fn statuses_agree_with_dcap_qvl_on_the_real_quotes() {
    let pki = TestPki::new();
    for case in [tdx(), near()] {
        let mut u = Unsigned::of(&case.evidence);
        u.quote[REPORTDATA + 32..REPORTDATA + 64].fill(0);
        let evidence = pki.resign(&u, LAYOUT, &case.evidence).encode();
        let args = constructor_args(
            case.report.measurement(),
            ACCEPT_ALL_BUT_REVOKED,
            case.min_tcb_evaluation(),
        );
        for (time, earliest) in [
            (case.entry.valid_from, true),
            (case.entry.valid_until - 1, false),
        ] {
            let mut chain = chain_at(time, earliest);
            let verifier =
                deploy_with_root(&mut chain, &DCAP_TDX_ATTESTATION_VERIFIER, &args, &pki.root);
            let ours = check(&chain, verifier, case.report.binding(), evidence.clone())
                .map(names)
                .map_err(|e| format!("{e:?}"));
            let theirs = qvl_verdict(
                &case.entry.quote,
                &qvl_collateral(&case.entry.collateral),
                chain.timestamp(),
                None,
            );
            assert_eq!(ours, theirs, "at {}", chain.timestamp());
            assert_eq!(ours, Ok(("UpToDate".to_string(), "UpToDate".to_string())));
        }
    }
}

/// A variant of the evidence: its name, its edit, and the (platform, QE) statuses it is accepted
/// with (none: refused).
type Variant = (&'static str, Edit, Option<(u8, u8)>);

/// The real evidence (lsv's report data), edited and re-signed under the test root, judged by
/// the contract (every status but Revoked accepted, so that only the TCB evaluation and the
/// checks decide) and by dcap-qvl with the test root as its trust anchor: the same platform and
/// QE statuses, or both refuse. The variants cover the TDX module (version 0, 1, 2, 3 and its
/// ISVSVN across its levels), the TDX components, the PCK certificate's PCESVN, the levels'
/// statuses (converged with an OutOfDate module: QVL's `convergeTcbStatusWithTdxModuleStatus`),
/// the QE identity's status, SEAMATTRIBUTES, MRSIGNERSEAM and the TD attributes.
#[test]
fn verdicts_agree_with_dcap_qvl_under_a_test_root() {
    let case = tdx();
    let pki = TestPki::new();
    let mut chain = chain_at(case.entry.valid_from, true);
    let verifier = deploy_tdx_with_root(&mut chain, &pki, ACCEPT_ALL_BUT_REVOKED);
    let root = pki.root_certificate(&case.entry.collateral);
    let ok = |platform: u8, qe: u8| Some((platform, qe));
    let refused = None;
    let variants: Vec<Variant> = vec![
        ("unchanged", Box::new(|_| {}), ok(UP_TO_DATE, UP_TO_DATE)),
        (
            "module ISVSVN 3: TDX_01's OutOfDate level",
            set_quote(TEE_TCB_SVN, 3),
            ok(OUT_OF_DATE, UP_TO_DATE),
        ),
        (
            "module ISVSVN 2",
            set_quote(TEE_TCB_SVN, 2),
            ok(OUT_OF_DATE, UP_TO_DATE),
        ),
        (
            "module ISVSVN 4",
            set_quote(TEE_TCB_SVN, 4),
            ok(UP_TO_DATE, UP_TO_DATE),
        ),
        (
            "module ISVSVN 1: below TDX_01",
            set_quote(TEE_TCB_SVN, 1),
            refused,
        ),
        (
            "module ISVSVN 255",
            set_quote(TEE_TCB_SVN, 255),
            ok(UP_TO_DATE, UP_TO_DATE),
        ),
        (
            "module version 3 (TDX_03), ISVSVN 3",
            both(set_quote(TEE_TCB_SVN + 1, 3), set_quote(TEE_TCB_SVN, 3)),
            ok(UP_TO_DATE, UP_TO_DATE),
        ),
        (
            "module version 3, ISVSVN 2: below TDX_03",
            both(set_quote(TEE_TCB_SVN + 1, 3), set_quote(TEE_TCB_SVN, 2)),
            refused,
        ),
        (
            "module version 2: no TDX_02",
            set_quote(TEE_TCB_SVN + 1, 2),
            refused,
        ),
        (
            "module version 0 (tdxModule; TDX components 0 and 1 compared)",
            set_quote(TEE_TCB_SVN + 1, 0),
            ok(UP_TO_DATE, UP_TO_DATE),
        ),
        (
            "module version 0, ISVSVN 4: TDX component 0 below every level",
            both(set_quote(TEE_TCB_SVN + 1, 0), set_quote(TEE_TCB_SVN, 4)),
            refused,
        ),
        (
            "module version 1, ISVSVN 4: TDX components 0 and 1 left to TDX_01 (its level 4)",
            both(set_quote(TEE_TCB_SVN + 1, 1), set_quote(TEE_TCB_SVN, 4)),
            ok(UP_TO_DATE, UP_TO_DATE),
        ),
        (
            "TEE_TCB_SVN[2] 1: below every level",
            set_quote(TEE_TCB_SVN + 2, 1),
            refused,
        ),
        (
            "TEE_TCB_SVN[15] 9",
            set_quote(TEE_TCB_SVN + 15, 9),
            ok(UP_TO_DATE, UP_TO_DATE),
        ),
        (
            "PCK PCESVN 10: the OutOfDate level",
            set_pcesvn(10),
            ok(OUT_OF_DATE, UP_TO_DATE),
        ),
        ("PCK PCESVN 4: below every level", set_pcesvn(4), refused),
        (
            "PCK PCESVN 10, module OutOfDate",
            both(set_pcesvn(10), set_quote(TEE_TCB_SVN, 3)),
            ok(OUT_OF_DATE, UP_TO_DATE),
        ),
        (
            "level SWHardeningNeeded",
            tcb_info(|j| first_level_status(j, "SWHardeningNeeded")),
            ok(SW_HARDENING_NEEDED, UP_TO_DATE),
        ),
        (
            "level SWHardeningNeeded, module OutOfDate",
            both(
                tcb_info(|j| first_level_status(j, "SWHardeningNeeded")),
                set_quote(TEE_TCB_SVN, 3),
            ),
            ok(OUT_OF_DATE, UP_TO_DATE),
        ),
        (
            "level ConfigurationNeeded, module OutOfDate",
            both(
                tcb_info(|j| first_level_status(j, "ConfigurationNeeded")),
                set_quote(TEE_TCB_SVN, 3),
            ),
            ok(OUT_OF_DATE_CONFIGURATION_NEEDED, UP_TO_DATE),
        ),
        (
            "level ConfigurationAndSWHardeningNeeded, module OutOfDate",
            both(
                tcb_info(|j| first_level_status(j, "ConfigurationAndSWHardeningNeeded")),
                set_quote(TEE_TCB_SVN, 3),
            ),
            ok(OUT_OF_DATE_CONFIGURATION_NEEDED, UP_TO_DATE),
        ),
        (
            "level OutOfDateConfigurationNeeded",
            tcb_info(|j| first_level_status(j, "OutOfDateConfigurationNeeded")),
            ok(OUT_OF_DATE_CONFIGURATION_NEEDED, UP_TO_DATE),
        ),
        (
            "level Revoked",
            tcb_info(|j| first_level_status(j, "Revoked")),
            refused,
        ),
        (
            "module level Revoked",
            tcb_info(|j| module_level_status(j, "Revoked")),
            refused,
        ),
        (
            "TD QE level OutOfDate",
            qe_identity(|j| edit(j, "\"UpToDate\"", "\"OutOfDate\"")),
            ok(UP_TO_DATE, OUT_OF_DATE),
        ),
        (
            "QE ISVSVN 3: below the TD QE level",
            set_quote(LAYOUT.qe_report + 258, 3),
            refused,
        ),
        (
            "SEAMATTRIBUTES bit 0",
            set_quote(SEAMATTRIBUTES, 1),
            refused,
        ),
        ("MRSIGNERSEAM not zero", set_quote(MRSIGNERSEAM, 1), refused),
        ("TD debug", toggle_td_attributes(1), refused),
        (
            "TD profiling (TUD bit 5)",
            toggle_td_attributes(1 << 5),
            refused,
        ),
        ("TD migratable", toggle_td_attributes(1 << 29), refused),
        (
            "TD without SEPT_VE_DISABLE",
            toggle_td_attributes(1 << 28),
            refused,
        ),
        ("TD reserved bit 40", toggle_td_attributes(1 << 40), refused),
        ("TD SERVTD_EXT", toggle_td_attributes(1 << 17), refused),
        (
            "TD PKS (bit 30)",
            toggle_td_attributes(1 << 30),
            ok(UP_TO_DATE, UP_TO_DATE),
        ),
        (
            "TD PERFMON (bit 63)",
            toggle_td_attributes(1 << 63),
            ok(UP_TO_DATE, UP_TO_DATE),
        ),
    ];
    for (name, edit, want) in variants {
        let mut u = lsv();
        edit(&mut u);
        let ev = signed(&u, &pki);
        let ours = check(&chain, verifier, binding(), ev.encode());
        assert_eq!(ours.as_ref().ok().copied(), want, "{name}: {ours:?}");
        let ours = ours.map(names).map_err(|e| format!("{e:?}"));
        let theirs = qvl_verdict(
            &ev.quote,
            &pki.qvl_collateral(&ev, &case.entry.collateral),
            chain.timestamp(),
            Some(&root),
        );
        match (&ours, &theirs) {
            (Ok(a), Ok(b)) => assert_eq!(a, b, "{name}"),
            (Err(_), Err(_)) => {}
            _ => panic!("{name}: contract {ours:?}, dcap-qvl {theirs:?}"),
        }
    }
}

// ---- property ------------------------------------------------------------------------------------

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    /// A flipped byte in any field of the accepted evidence is refused, unless it lies in the
    /// PEM chain inside the certification data (unread, see above).
    #[test]
    fn no_flipped_field_byte_is_accepted(field in 0usize..10, at in any::<prop::sample::Index>(), mask in 1u8..) {
        let (ev, chain, verifier) = accepted_setup();
        let offset = at.index(fields(ev)[field].len());
        let unread = field == QUOTE && pem_chain(&ev.quote).contains(&offset);
        let accepted = verify(chain, *verifier, binding(), flipped(ev, field, offset, mask).encode());
        prop_assert_eq!(accepted, unread, "field {} offset {} mask {:#x}", field, offset, mask);
    }

    /// A flipped byte anywhere in the ABI encoding is refused unless the evidence decodes to the
    /// same fields, but for the unread PEM chain.
    #[test]
    fn no_flipped_encoding_byte_changes_what_is_accepted(at in any::<prop::sample::Index>(), mask in 1u8..) {
        let (ev, chain, verifier) = accepted_setup();
        let mut encoded = ev.encode().to_vec();
        let offset = at.index(encoded.len());
        encoded[offset] ^= mask;
        if verify(chain, *verifier, binding(), encoded.clone().into()) {
            let decoded = DcapEvidence::abi_decode(&encoded).expect("accepted evidence decodes");
            let region = pem_chain(&ev.quote);
            let mut a = fields(&decoded);
            let mut b = fields(ev);
            a[QUOTE].drain(region.clone());
            b[QUOTE].drain(region);
            prop_assert_eq!(a, b, "offset {} mask {:#x}", offset, mask);
        }
    }
}

// ---- the TDX TCB info and TD QE identity readers, through IntelCollateralJsonProbe --------------

/// A TD's TCB as the reader takes it: the 16 SGX component SVNs and PCESVN (PCK certificate) and
/// TEE_TCB_SVN (TD report).
type TdTcb = ([u8; 16], u16, [u8; 16]);

/// `IntelTdxTcbInfo.parse`, or the reader's error.
#[allow(clippy::result_large_err)] // the `sol!` errors enum, compared whole in assertions
fn read_tdx_tcb_info(
    json: &str,
    (comp, pce, tee): &TdTcb,
) -> Result<JsonProbe::tdxTcbInfoReturn, JsonError> {
    let (chain, probe) = json_probe();
    let call = JsonProbe::tdxTcbInfoCall {
        json: json.as_bytes().to_vec().into(),
        compSvn: comp.map(U256::from),
        pceSvn: U256::from(*pce),
        teeTcbSvn: FixedBytes(*tee),
    };
    chain.view(*probe, &call).map_err(reader_error)
}

/// The TDX TCB infos in `testdata/`: the two v4 quotes' and `tdx_quote_outdated`'s (a TDX TCB
/// info v3 like the others, with three TCB levels and three TDX_01 module levels), each with
/// its quote's platform TCB.
fn tdx_tcb_infos() -> Vec<(String, TdTcb)> {
    let outdated = load_entry(
        "dcap-qvl tdx_quote_outdated",
        "dcap-qvl/sample/tdx_quote_outdated_collateral.json",
    );
    let outdated_tee: [u8; 16] = outdated.quote[48 + 6..48 + 6 + 16].try_into().unwrap();
    let pck_tcb = |quote: &[u8], tee: [u8; 16]| {
        let chain = dcap_qvl::quote::Quote::parse(quote)
            .unwrap()
            .raw_cert_chain()
            .unwrap()
            .to_vec();
        let leaf = pem::parse_many(&chain).unwrap()[0].contents().to_vec();
        let ext = dcap_qvl::intel::parse_pck_extension(&leaf).unwrap();
        (ext.cpu_svn, ext.pce_svn, tee)
    };
    vec![
        (
            tdx().entry.collateral.tcb_info.clone(),
            pck_tcb(&tdx().entry.quote, tdx().report.tee_tcb_svn),
        ),
        (
            near().entry.collateral.tcb_info.clone(),
            pck_tcb(&near().entry.quote, near().report.tee_tcb_svn),
        ),
        (
            outdated.collateral.tcb_info.clone(),
            pck_tcb(&outdated.quote, outdated_tee),
        ),
    ]
}

/// A TD's evaluation against a TDX TCB info: its TCB level (found, status) and the module
/// identity (found, MRSIGNER, attributes, mask) and module level (found, status) selected.
#[derive(Debug, PartialEq, Eq)]
struct Evaluation {
    level_found: bool,
    status: String,
    module_identity_found: bool,
    module_mrsigner: Vec<u8>,
    module_attributes: Vec<u8>,
    module_attributes_mask: Vec<u8>,
    module_level_found: bool,
    module_status: String,
}

impl Evaluation {
    /// What the reader returned.
    fn read(got: &JsonProbe::tdxTcbInfoReturn) -> Self {
        Self {
            level_found: got.levelFound,
            status: TCB_STATUS_NAMES[got.status as usize].to_string(),
            module_identity_found: got.moduleIdentityFound,
            module_mrsigner: [
                got.moduleMrsignerHigh.as_slice(),
                got.moduleMrsignerLow.as_slice(),
            ]
            .concat(),
            module_attributes: got.moduleAttributes.to_vec(),
            module_attributes_mask: got.moduleAttributesMask.to_vec(),
            module_level_found: got.moduleLevelFound,
            module_status: TCB_STATUS_NAMES[got.moduleStatus as usize].to_string(),
        }
    }

    /// dcap-qvl's: the first TCB level without a shortfall (`TcbLevel::shortfalls`), the module
    /// identity `TcbInfo::tdx_module_identity` selects (`tdxModule` for version 0, none if it
    /// errs) and its first level without a shortfall; where nothing is found the reader's zero
    /// values (UpToDate, zero bytes).
    fn qvl(info: &dcap_qvl::tcb_info::TcbInfo, (comp, pce, tee): &TdTcb) -> Self {
        let up_to_date = || "UpToDate".to_string();
        let level = info
            .tcb_levels
            .iter()
            .find(|l| l.shortfalls(comp, *pce, Some(tee)).unwrap().is_empty());
        let unhex = |s: &str| hex::decode(s).unwrap();
        let mut e = Self {
            level_found: level.is_some(),
            status: level.map_or_else(up_to_date, |l| format!("{:?}", l.tcb_status)),
            module_identity_found: false,
            module_mrsigner: vec![0; 48],
            module_attributes: vec![0; 8],
            module_attributes_mask: vec![0; 8],
            module_level_found: false,
            module_status: up_to_date(),
        };
        match info.tdx_module_identity(tee) {
            Ok(None) => {
                let m = info.tdx_module.as_ref().unwrap();
                e.module_identity_found = true;
                e.module_mrsigner = unhex(&m.mrsigner);
                e.module_attributes = unhex(&m.attributes);
                e.module_attributes_mask = unhex(&m.attributes_mask);
                e.module_level_found = true;
            }
            Ok(Some(m)) => {
                let level = m.tcb_levels.iter().find(|l| l.shortfall(tee).is_none());
                e.module_identity_found = true;
                e.module_mrsigner = unhex(&m.mrsigner);
                e.module_attributes = unhex(&m.attributes);
                e.module_attributes_mask = unhex(&m.attributes_mask);
                e.module_level_found = level.is_some();
                e.module_status = level.map_or_else(up_to_date, |l| format!("{:?}", l.tcb_status));
            }
            Err(_) => {}
        }
        e
    }
}

/// Intel's three TDX TCB infos are read as `serde_json` reads them (dates by `der`'s calendar,
/// FMSPC, PCE-ID, tcbEvaluationDataNumber), and evaluated as dcap-qvl evaluates them for a grid
/// of TDs: the PCK certificate's TCB, each level's own SVNs and none; TEE_TCB_SVN with module
/// versions 0 (TDX 1.0), 1, 2 (no identity) and 3, module ISVSVNs across every module level,
/// and TDX components from the quote, from each level and zero. An unknown member (nested
/// values) is skipped whole.
#[test]
fn the_tdx_tcb_info_reader_evaluates_as_dcap_qvl_does() {
    for (json, pck) in tdx_tcb_infos() {
        let value: Value = serde_json::from_str(&json).unwrap();
        let info: dcap_qvl::tcb_info::TcbInfo = serde_json::from_str(&json).unwrap();
        let svns = |components: &Value| -> [u8; 16] {
            let c = components.as_array().unwrap();
            assert_eq!(c.len(), 16);
            std::array::from_fn(|k| c[k]["svn"].as_u64().unwrap() as u8)
        };
        let mut platforms = vec![(pck.0, pck.1), ([0; 16], 0)];
        let mut tdx_components = vec![pck.2, [0; 16]];
        for level in value["tcbLevels"].as_array().unwrap() {
            let tcb = &level["tcb"];
            platforms.push((
                svns(&tcb["sgxtcbcomponents"]),
                tcb["pcesvn"].as_u64().unwrap() as u16,
            ));
            tdx_components.push(svns(&tcb["tdxtcbcomponents"]));
        }
        let mut points = Vec::new();
        for (comp, pce) in &platforms {
            for rest in &tdx_components {
                for version in [0u8, 1, 2, 3] {
                    for isvsvn in [0u8, 2, 3, 4, 5, 6, 255] {
                        if *rest != pck.2 && isvsvn % 2 == 1 {
                            continue;
                        }
                        let mut tee = *rest;
                        tee[0] = isvsvn;
                        tee[1] = version;
                        points.push((*comp, *pce, tee));
                    }
                }
            }
        }
        let mut outcomes = std::collections::BTreeSet::new();
        for point in &points {
            let got = read_tdx_tcb_info(&json, point).unwrap();
            let want = Evaluation::qvl(&info, point);
            assert_eq!(Evaluation::read(&got), want, "{point:?}");
            assert_eq!(got.issueDate, json_date(&value["issueDate"]));
            assert_eq!(got.nextUpdate, json_date(&value["nextUpdate"]));
            assert_eq!(got.fmspc.as_slice(), json_hex(&value["fmspc"]));
            assert_eq!(got.pceId.as_slice(), json_hex(&value["pceId"]));
            assert_eq!(
                got.tcbEvaluationDataNumber,
                U256::from(value["tcbEvaluationDataNumber"].as_u64().unwrap())
            );
            outcomes.insert((
                want.level_found,
                want.status,
                want.module_identity_found,
                want.module_level_found,
                want.module_status,
            ));
        }
        // The grid reaches levels found and not, module identities found and not, and more
        // than one status.
        assert!(outcomes.iter().any(|o| o.0) && outcomes.iter().any(|o| !o.0));
        assert!(outcomes.iter().any(|o| o.2) && outcomes.iter().any(|o| !o.2));
        assert!(outcomes.iter().any(|o| o.4 == "OutOfDate"), "{outcomes:?}");

        let extra = r#""extra":{"a":[1,-2.5e3,true,false,null,"x",{},[]],"b":{"c":"d"}},"#;
        let with_extra = format!("{{{extra}{}", &json[1..]);
        assert_eq!(
            read_tdx_tcb_info(&with_extra, &pck),
            read_tdx_tcb_info(&json, &pck)
        );
    }
}

fn out_of_order(offset: usize) -> JsonError {
    JsonError::TcbLevelsOutOfOrder(JsonProbe::TcbLevelsOutOfOrder {
        offset: U256::from(offset),
    })
}

/// Every top-level member the TDX reader needs, as its `seen` bitmask (11 members).
const TDX_TCB_INFO_MEMBERS: u64 = 2047;

/// Intel's real TDX TCB info, edited: each edit is refused with its exact error and offset (in
/// the edited text): levels or module levels out of Intel's order (`TcbLevelsOutOfOrder` at the
/// level that is above the one before); a required member removed (`JsonFieldMissing` with the
/// bitmask of those present: top level, a level's `tcb`, `tdxModule`, a module identity); an
/// SVN above a byte, a PCESVN above 16 bits, a component missing, an MRSIGNER a digit short
/// (`JsonMalformed`); a module level status QVL does not accept there (`TcbStatusUnknown`);
/// another id, version or tcbType (`CollateralUnsupported`).
#[test]
fn the_tdx_tcb_info_reader_refuses_an_edited_tcb_info_by_name() {
    let case = tdx();
    let t = case.entry.collateral.tcb_info.as_str();
    let (pck_comp, pck_pce, tee) = tdx_tcb_infos()[0].1;
    let td = (pck_comp, pck_pce, tee);
    let (swapped, swapped_at) = levels_swapped(t);
    let module_levels = "[{\"tcb\":{\"isvsvn\":4},\"tcbDate\":\"2024-03-13T00:00:00Z\",\"tcbStatus\":\"UpToDate\"},{\"tcb\":{\"isvsvn\":2},\"tcbDate\":\"2023-08-09T00:00:00Z\",\"tcbStatus\":\"OutOfDate\"}]";
    let module_swapped = "[{\"tcb\":{\"isvsvn\":2},\"tcbDate\":\"2023-08-09T00:00:00Z\",\"tcbStatus\":\"OutOfDate\"},{\"tcb\":{\"isvsvn\":4},\"tcbDate\":\"2024-03-13T00:00:00Z\",\"tcbStatus\":\"UpToDate\"}]";
    let tdx_module = "\"tdxModule\":{\"mrsigner\":\"000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000\",\"attributes\":\"0000000000000000\",\"attributesMask\":\"FFFFFFFFFFFFFFFF\"},";
    let first_tdx_components =
        "\"tdxtcbcomponents\":[{\"svn\":5,\"category\":\"OS/VMM\",\"type\":\"TDX Module\"},";

    let cases: Vec<JsonEdit> = vec![
        (
            "platform levels out of order",
            swapped,
            Box::new(move |_| out_of_order(swapped_at)),
        ),
        (
            "TDX_01's levels out of order",
            edit(t, module_levels, module_swapped),
            Box::new(move |j| out_of_order(offset(j, module_swapped, 0) + module_swapped.find(",{").unwrap() + 1)),
        ),
        (
            "without tdxModule",
            edit(t, tdx_module, ""),
            Box::new(|_| field_missing(TDX_TCB_INFO_MEMBERS & !512)),
        ),
        (
            "without tdxModuleIdentities",
            {
                let start = t.find(",\"tdxModuleIdentities\":").unwrap();
                let end = t.find(",\"tcbLevels\":[{\"tcb\":{\"sgx").unwrap();
                format!("{}{}", &t[..start], &t[end..])
            },
            Box::new(|_| field_missing(TDX_TCB_INFO_MEMBERS & !1024)),
        ),
        (
            "a level without tdxtcbcomponents",
            {
                let at = t.find(",\"tdxtcbcomponents\":").unwrap();
                let end = at + t[at..].find("]}").unwrap() + 1;
                format!("{}{}", &t[..at], &t[end..])
            },
            Box::new(|_| field_missing(3)),
        ),
        (
            "tdxModule without attributesMask",
            edit(t, "\"attributesMask\":\"FFFFFFFFFFFFFFFF\"},\"tdxModuleIdentities\"", "\"x\":0},\"tdxModuleIdentities\""),
            Box::new(|_| field_missing(3)),
        ),
        (
            "a module identity without its id",
            edit(t, "\"id\":\"TDX_03\",", ""),
            Box::new(|_| field_missing(31 & !8)),
        ),
        (
            "a TDX component SVN of 256",
            edit(t, first_tdx_components, "\"tdxtcbcomponents\":[{\"svn\":256,\"category\":\"OS/VMM\",\"type\":\"TDX Module\"},"),
            Box::new(|j| malformed(offset(j, "\"tdxtcbcomponents\":[{\"svn\":256", 20))),
        ),
        (
            "PCESVN 65536",
            edit(t, "\"pcesvn\":11,", "\"pcesvn\":65536,"),
            Box::new(|j| malformed(offset(j, "\"pcesvn\":65536", 9))),
        ),
        (
            "a module ISVSVN of 256",
            edit(t, "{\"isvsvn\":3}", "{\"isvsvn\":256}"),
            Box::new(|j| malformed(offset(j, "{\"isvsvn\":256}", 0))),
        ),
        (
            "15 TDX components",
            edit(t, first_tdx_components, "\"tdxtcbcomponents\":["),
            // The 16th is expected where the array closes.
            Box::new(|j| {
                let at = offset(j, "\"pcesvn\":11,\"tdxtcbcomponents\":[", 0);
                malformed(at + j[at..].find("]}").unwrap())
            }),
        ),
        (
            "tdxModule's MRSIGNER a digit short",
            edit(t, "\"tdxModule\":{\"mrsigner\":\"0", "\"tdxModule\":{\"mrsigner\":\""),
            Box::new(|j| malformed(offset(j, "\"tdxModule\":{\"mrsigner\":\"", 25))),
        ),
        (
            "a module level ConfigurationNeeded",
            edit_after(t, "\"id\":\"TDX_03\"", "\"tcbStatus\":\"UpToDate\"", "\"tcbStatus\":\"ConfigurationNeeded\""),
            Box::new(|j| status_unknown(offset(j, "\"tcbStatus\":\"ConfigurationNeeded\"", 12))),
        ),
        (
            "the TD's level TDRelaunchAdvised (a QVL result for TD 1.5, not a collateral status)",
            first_level_status(t, "TDRelaunchAdvised"),
            Box::new(|j| {
                status_unknown(edit_after_offset(j, PLATFORM_LEVELS, "\"tcbStatus\":\"TDRelaunchAdvised\"") + 12)
            }),
        ),
        (
            "id SGX",
            edit(t, "\"id\":\"TDX\"", "\"id\":\"SGX\""),
            Box::new(|_| unsupported(6)),
        ),
        (
            "version 4",
            edit(t, "\"version\":3,", "\"version\":4,"),
            Box::new(|j| unsupported(offset(j, "\"version\":", 10))),
        ),
        (
            "tcbType 1",
            edit(t, "\"tcbType\":0,", "\"tcbType\":1,"),
            Box::new(|j| unsupported(offset(j, "\"tcbType\":", 10))),
        ),
    ];
    assert_json_edits_are_refused("TDX TCB info", t, cases, read_tdx_tcb_info, &td);

    // A module identity id is compared in upper case (Intel QVL); "TDX_1" is not version 1's;
    // with no identities at all, version 1 finds none and version 0 still has tdxModule.
    let module = |json: &str, version: u8| {
        let mut tee = td.2;
        tee[1] = version;
        read_tdx_tcb_info(json, &(td.0, td.1, tee))
            .unwrap()
            .moduleIdentityFound
    };
    assert!(module(t, 1));
    assert!(module(
        &edit(t, "\"id\":\"TDX_01\"", "\"id\":\"tdx_01\""),
        1
    ));
    assert!(!module(
        &edit(t, "\"id\":\"TDX_01\"", "\"id\":\"TDX_1\""),
        1
    ));
    let start = t.find("\"tdxModuleIdentities\":[").unwrap() + "\"tdxModuleIdentities\":[".len();
    let end = t.find("],\"tcbLevels\":[{\"tcb\":{\"sgx").unwrap();
    let none = format!("{}{}", &t[..start], &t[end..]);
    assert!(!module(&none, 1));
    assert!(module(&none, 0));
}

/// `IntelCollateralJson.parseTdQeIdentity`, or the reader's error.
#[allow(clippy::result_large_err)]
fn read_td_qe_identity(
    json: &str,
    qe_isv_svn: u64,
) -> Result<JsonProbe::tdQeIdentityReturn, JsonError> {
    let (chain, probe) = json_probe();
    let call = JsonProbe::tdQeIdentityCall {
        json: json.as_bytes().to_vec().into(),
        qeIsvSvn: U256::from(qe_isv_svn),
    };
    chain.view(*probe, &call).map_err(reader_error)
}

/// The real TD QE identities are read as `serde_json` reads them, and their level found for
/// ISVSVNs around it; the SGX QE identity (id `QE`) and version 3 are `CollateralUnsupported`;
/// a level status QVL does not accept in a QE identity (SWHardeningNeeded) is `TcbStatusUnknown`.
#[test]
fn the_td_qe_identity_reader() {
    for case in [tdx(), near()] {
        let q = case.entry.collateral.qe_identity.as_str();
        let identity: Value = serde_json::from_str(q).unwrap();
        let level = identity["tcbLevels"][0]["tcb"]["isvsvn"].as_u64().unwrap();
        for isv_svn in [0, level - 1, level, level + 1, 65_535] {
            let got = read_td_qe_identity(q, isv_svn).unwrap();
            assert_eq!(got.issueDate, json_date(&identity["issueDate"]));
            assert_eq!(got.nextUpdate, json_date(&identity["nextUpdate"]));
            assert_eq!(got.mrsigner.as_slice(), json_hex(&identity["mrsigner"]));
            assert_eq!(got.attributes.as_slice(), json_hex(&identity["attributes"]));
            assert_eq!(
                got.attributesMask.as_slice(),
                json_hex(&identity["attributesMask"])
            );
            assert_eq!(got.miscselect.as_slice(), json_hex(&identity["miscselect"]));
            assert_eq!(
                got.isvProdId,
                U256::from(identity["isvprodid"].as_u64().unwrap())
            );
            assert_eq!((got.levelFound, got.status), (isv_svn >= level, UP_TO_DATE));
        }
    }
    let q = tdx().entry.collateral.qe_identity.as_str();
    let sgx_qe = load_entry(
        "dcap-qvl sgx_quote",
        "dcap-qvl/sample/sgx_quote_collateral.json",
    )
    .collateral
    .qe_identity;
    assert_eq!(read_td_qe_identity(&sgx_qe, 8), Err(unsupported(6)));
    let v3 = edit(q, "\"version\":2,", "\"version\":3,");
    assert_eq!(
        read_td_qe_identity(&v3, 8),
        Err(unsupported(offset(&v3, "\"version\":", 10)))
    );
    let sw = edit(q, "\"UpToDate\"", "\"SWHardeningNeeded\"");
    assert_eq!(
        read_td_qe_identity(&sw, 8),
        Err(status_unknown(offset(&sw, "\"SWHardeningNeeded\"", 0)))
    );
    // OutOfDate is a QE status QVL accepts.
    let out_of_date = edit(q, "\"UpToDate\"", "\"OutOfDate\"");
    assert_eq!(
        read_td_qe_identity(&out_of_date, 8).map(|r| r.status),
        Ok(OUT_OF_DATE)
    );
}
