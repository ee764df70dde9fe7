//! The on-chain Intel SGX DCAP verifier (`contracts/src/DcapAttestationVerifier.sol`) in revm,
//! on the real Intel-signed quotes and collateral of `testdata/dcap/` (see its SOURCE.md):
//!
//! - dcap-qvl's `sgx_quote` (non-debug, `ConfigurationAndSWHardeningNeeded`) is accepted at
//!   both ends of its collateral window, and refused just after it, a day after, and before it;
//! - automata's `quote_sgx.bin` (a DEBUG enclave, otherwise valid) is refused with `DebugEnclave`;
//! - the minimum tcbEvaluationDataNumber: the collateral (evaluation 17; automata's 16) is
//!   accepted at a minimum equal to its number and refused above it with
//!   `TcbEvaluationDataNumberTooLow`, for the TCB info and, separately, the QE identity;
//! - each mutation (quote header, enclave report, QE report, each signature, the certificates,
//!   the CRLs, the collateral JSON, the binding, certificates in the wrong role) is refused with
//!   the error naming that piece; the enclave policy (MRENCLAVE, ISVSVN, accepted TCB statuses)
//!   is enforced as deployed;
//! - DER lengths out of bounds or not minimal, and certificate/CRL dates out of range, are refused
//!   by the reader (`DerMalformed`, `DateInvalid`) before any signature; a PCK certificate without
//!   the SGX extension is refused by the reader (`SgxExtensionMissing`, through `X509Probe`: the
//!   verifier reads the extension only after the certificate's signature); the collateral JSON
//!   is read only once Intel's signature over it verifies, so its reader's errors are unreachable
//!   through the verifier: `IntelCollateralJsonProbe` reaches them, and holds the reader's values
//!   to `serde_json` and a TCB-level evaluation in Rust;
//! - a certification data type other than 5 (unsigned, read first) is refused with
//!   `CertificationDataTypeUnsupported`;
//! - the checks behind Intel's signatures that no authentic testdata reaches (`FmspcMismatch`,
//!   `PceIdMismatch`, `TcbLevelNotFound`, `QeIdentityMismatch`, `QeTcbLevelNotFound`,
//!   `ReportDataUpperHalfNotZero`; why each is unreachable is stated at
//!   `checks_behind_intels_signatures_refuse_with_their_errors_under_a_test_root`) are reached
//!   through the same bytecode with a test root key in place of Intel's and the real evidence
//!   re-signed under it;
//! - property: no single flipped byte of the evidence is accepted, except in the one region the
//!   verifier documents as unread (the quote's own PEM certification data);
//! - gas of an accepting verification, printed (`cargo test -p lsv-contracts --test
//!   dcap_verifier -- --nocapture`).

#![allow(unused_crate_dependencies)]

mod common;

use alloy_sol_types::SolValue;
use common::dcap::*;
use lsv_contracts::artifacts::DCAP_ATTESTATION_VERIFIER;
use lsv_contracts::bindings::DcapAttestationVerifier::{
    self as Verifier, DcapAttestationVerifierErrors as E,
};
use lsv_contracts::dcap::{self, DcapEvidence, EnclaveReport, QuoteCollateral};
use lsv_contracts::{Address, Bytes, Chain, ChainError, B256, U256};
use proptest::prelude::*;
use serde_json::Value;
use std::sync::OnceLock;

// ---- test data ---------------------------------------------------------------------------------

/// A real SGX quote with its collateral, enclave report and evidence.
type Case = common::dcap::Case<EnclaveReport>;

fn load(name: &str, collateral_file: &str) -> Case {
    Case::load(name, collateral_file, dcap::enclave_report)
}

/// dcap-qvl `sample/sgx_quote`: SGX v3, not debug.
fn sgx() -> &'static Case {
    static CASE: OnceLock<Case> = OnceLock::new();
    CASE.get_or_init(|| {
        load(
            "dcap-qvl sgx_quote",
            "dcap-qvl/sample/sgx_quote_collateral.json",
        )
    })
}

/// automata `quote_sgx.bin`: SGX v3, DEBUG enclave.
fn debug() -> &'static Case {
    static CASE: OnceLock<Case> = OnceLock::new();
    CASE.get_or_init(|| {
        load(
            "automata dcap-rs quote_sgx",
            "automata-dcap-rs/full_collateral_sgx.dcap-qvl-format.json",
        )
    })
}

// ---- the chain ---------------------------------------------------------------------------------

/// The constructor arguments: MRENCLAVE, minimum ISVSVN, accepted TCB statuses, minimum
/// tcbEvaluationDataNumber.
fn constructor_args(
    mr_enclave: B256,
    min_isv_svn: u16,
    accepted: u64,
    min_tcb_evaluation: u64,
) -> Vec<u8> {
    (
        mr_enclave,
        min_isv_svn,
        U256::from(accepted),
        U256::from(min_tcb_evaluation),
    )
        .abi_encode_params()
}

fn deploy(
    chain: &mut Chain,
    mr_enclave: B256,
    min_isv_svn: u16,
    accepted: u64,
    min_tcb_evaluation: u64,
) -> Address {
    chain
        .deploy(
            &DCAP_ATTESTATION_VERIFIER,
            &constructor_args(mr_enclave, min_isv_svn, accepted, min_tcb_evaluation),
        )
        .unwrap()
}

/// A chain inside `case`'s window with a verifier for its enclave (current statuses accepted,
/// the collateral's own tcbEvaluationDataNumber as the minimum).
fn setup(case: &Case) -> (Chain, Address) {
    let mut chain = chain_at(case.entry.valid_from, true);
    let verifier = deploy(
        &mut chain,
        case.report.mr_enclave,
        0,
        ACCEPT_CURRENT,
        case.min_tcb_evaluation(),
    );
    (chain, verifier)
}

/// `check`: the (platform, QE) TCB statuses, or the SGX verifier's error.
#[allow(clippy::result_large_err)] // the `sol!` errors enum, compared whole in assertions
fn check(chain: &Chain, verifier: Address, binding: B256, evidence: Bytes) -> Result<(u8, u8), E> {
    check_as(chain, verifier, binding, evidence)
}

// ---- acceptance ----------------------------------------------------------------------------------

#[test]
fn real_sgx_quote_is_accepted_inside_its_window() {
    let case = sgx();
    let binding = case.report.binding();
    for (time, earliest) in [
        (case.entry.valid_from, true),
        (case.entry.valid_until, false),
    ] {
        let mut chain = chain_at(time, earliest);
        let verifier = deploy(
            &mut chain,
            case.report.mr_enclave,
            0,
            ACCEPT_CURRENT,
            case.min_tcb_evaluation(),
        );
        let evidence = case.evidence.encode();
        assert_eq!(
            check(&chain, verifier, binding, evidence.clone()),
            Ok((CONFIGURATION_AND_SW_HARDENING_NEEDED, UP_TO_DATE)),
            "at {}",
            chain.timestamp()
        );
        assert!(verify(&chain, verifier, binding, evidence));
    }
}

#[test]
fn accepting_verification_gas() {
    let case = sgx();
    let (mut chain, verifier) = setup(case);
    let caller = chain.account("keeper");
    let evidence = case.evidence.encode();
    let binding = case.report.binding();
    let gas = accepting_gas(&mut chain, caller, verifier, binding, evidence);
    print_accepting_gas(
        &format!(
            "DcapAttestationVerifier, accepting verification of dcap-qvl sgx_quote (evidence {} bytes, quote {} bytes)",
            case.evidence.encode().len(),
            case.entry.quote.len()
        ),
        gas,
    );
    chain.gas_report().print();
    assert!(gas.0 < Chain::TX_GAS_LIMIT_CAP);
}

#[test]
fn evidence_round_trips_through_the_abi() {
    let case = sgx();
    let encoded = case.evidence.encode();
    assert_eq!(DcapEvidence::abi_decode(&encoded).unwrap(), case.evidence);
    assert_eq!(case.evidence.quote.as_ref(), case.entry.quote.as_slice());
    assert_eq!(
        case.evidence.tcbInfo.as_ref(),
        case.entry.collateral.tcb_info.as_bytes()
    );
}

// ---- time ----------------------------------------------------------------------------------------

#[test]
fn refused_just_after_the_collateral_expires() {
    let case = sgx();
    let mut chain = chain_at(case.entry.valid_until + 1, true);
    let verifier = deploy(
        &mut chain,
        case.report.mr_enclave,
        0,
        ACCEPT_CURRENT,
        case.min_tcb_evaluation(),
    );
    let err = check(
        &chain,
        verifier,
        case.report.binding(),
        case.evidence.encode(),
    )
    .unwrap_err();
    // The window's end is the QE identity's nextUpdate (SOURCE.md: the earliest of all).
    match &err {
        E::Expired(e) => {
            assert_eq!(item(&err), Some(Item::QeIdentity));
            assert_eq!(e.validUntil, U256::from(case.entry.valid_until));
            assert_eq!(e.time, U256::from(chain.timestamp()));
        }
        other => panic!("expected Expired, got {other:?}"),
    }
    assert!(!verify(
        &chain,
        verifier,
        case.report.binding(),
        case.evidence.encode()
    ));
}

#[test]
fn refused_a_day_after_expiry() {
    let case = sgx();
    let mut chain = chain_at(case.entry.valid_until + 86_400, true);
    let verifier = deploy(
        &mut chain,
        case.report.mr_enclave,
        0,
        ACCEPT_CURRENT,
        case.min_tcb_evaluation(),
    );
    match check(
        &chain,
        verifier,
        case.report.binding(),
        case.evidence.encode(),
    ) {
        Err(E::Expired(e)) => assert!(e.validUntil < e.time),
        other => panic!("expected Expired, got {other:?}"),
    }
}

#[test]
fn refused_before_the_collateral_is_issued() {
    let case = sgx();
    let mut chain = chain_at(case.entry.valid_from - 1, false);
    let verifier = deploy(
        &mut chain,
        case.report.mr_enclave,
        0,
        ACCEPT_CURRENT,
        case.min_tcb_evaluation(),
    );
    let err = check(
        &chain,
        verifier,
        case.report.binding(),
        case.evidence.encode(),
    )
    .unwrap_err();
    // The window's start is the TCB info's issueDate.
    match &err {
        E::NotYetValid(e) => {
            assert_eq!(item(&err), Some(Item::TcbInfo));
            assert_eq!(e.validFrom, U256::from(case.entry.valid_from));
        }
        other => panic!("expected NotYetValid, got {other:?}"),
    }
    assert!(!verify(
        &chain,
        verifier,
        case.report.binding(),
        case.evidence.encode()
    ));
}

// ---- the enclave policy ----------------------------------------------------------------------------

#[test]
fn debug_enclave_is_refused() {
    let case = debug();
    assert!(case.report.is_debug());
    let (chain, verifier) = setup(case);
    let binding = case.report.binding();
    assert_eq!(
        check(&chain, verifier, binding, case.evidence.encode()),
        Err(E::DebugEnclave(Verifier::DebugEnclave {}))
    );
    assert!(!verify(&chain, verifier, binding, case.evidence.encode()));
}

#[test]
fn another_binding_is_refused() {
    let case = sgx();
    let (chain, verifier) = setup(case);
    assert_another_binding_is_refused(
        &chain,
        verifier,
        case.report.binding(),
        case.evidence.encode(),
    );
}

#[test]
fn another_enclave_is_refused() {
    let case = sgx();
    let mut chain = chain_at(case.entry.valid_from, true);
    let mut pinned = case.report.mr_enclave;
    pinned.0[0] ^= 0xff;
    let verifier = deploy(
        &mut chain,
        pinned,
        0,
        ACCEPT_CURRENT,
        case.min_tcb_evaluation(),
    );
    assert_eq!(
        check(
            &chain,
            verifier,
            case.report.binding(),
            case.evidence.encode()
        ),
        Err(E::MrEnclaveMismatch(Verifier::MrEnclaveMismatch {
            mrEnclave: case.report.mr_enclave
        }))
    );
}

#[test]
fn isv_svn_below_the_minimum_is_refused() {
    let case = sgx();
    let mut chain = chain_at(case.entry.valid_from, true);
    let min = case.report.isv_svn + 1;
    let verifier = deploy(
        &mut chain,
        case.report.mr_enclave,
        min,
        ACCEPT_CURRENT,
        case.min_tcb_evaluation(),
    );
    assert_eq!(
        check(
            &chain,
            verifier,
            case.report.binding(),
            case.evidence.encode()
        ),
        Err(E::IsvSvnTooLow(Verifier::IsvSvnTooLow {
            isvSvn: U256::from(case.report.isv_svn)
        }))
    );
}

#[test]
fn tcb_status_outside_the_accepted_set_is_refused() {
    let case = sgx();
    let mut chain = chain_at(case.entry.valid_from, true);
    let strict = deploy(
        &mut chain,
        case.report.mr_enclave,
        0,
        1 << UP_TO_DATE,
        case.min_tcb_evaluation(),
    );
    assert_eq!(
        check(
            &chain,
            strict,
            case.report.binding(),
            case.evidence.encode()
        ),
        Err(E::TcbStatusNotAccepted(Verifier::TcbStatusNotAccepted {
            status: CONFIGURATION_AND_SW_HARDENING_NEEDED
        }))
    );
    // Accepting only the platform's status, not the QE's (UpToDate), refuses on the QE.
    let platform_only = deploy(
        &mut chain,
        case.report.mr_enclave,
        0,
        1 << CONFIGURATION_AND_SW_HARDENING_NEEDED,
        case.min_tcb_evaluation(),
    );
    assert_eq!(
        check(
            &chain,
            platform_only,
            case.report.binding(),
            case.evidence.encode()
        ),
        Err(E::QeTcbStatusNotAccepted(
            Verifier::QeTcbStatusNotAccepted { status: UP_TO_DATE }
        ))
    );
}

#[test]
fn deployment_refuses_a_zero_enclave_or_a_bad_status_mask() {
    let case = sgx();
    let mut chain = chain_at(case.entry.valid_from, true);
    let mr = case.report.mr_enclave;
    for (mr_enclave, mask) in [
        (B256::ZERO, ACCEPT_CURRENT),
        (mr, 0),
        (mr, ACCEPT_CURRENT | (1 << REVOKED)),
        (mr, 1 << 7),
    ] {
        let args = constructor_args(mr_enclave, 0, mask, case.min_tcb_evaluation());
        let err = chain
            .deploy(&DCAP_ATTESTATION_VERIFIER, &args)
            .expect_err("refused");
        assert!(
            matches!(
                err.revert_error::<E>(),
                Some(E::ZeroMrEnclave(_) | E::AcceptedTcbStatusesInvalid(_))
            ),
            "{err}"
        );
    }
}

// ---- the minimum tcbEvaluationDataNumber -----------------------------------------------------------

fn evaluation_too_low(item: Item, found: u64, minimum: u64) -> E {
    E::TcbEvaluationDataNumberTooLow(Verifier::TcbEvaluationDataNumberTooLow {
        item: item as u8,
        found: U256::from(found),
        minimum: U256::from(minimum),
    })
}

/// The testdata's numbers (SOURCE.md): dcap-qvl's collateral is evaluation 17 (TCB info and QE
/// identity alike), automata's 16.
#[test]
fn the_testdata_tcb_evaluation_data_numbers() {
    assert_eq!(sgx().entry.tcb_evaluation, (17, 17));
    assert_eq!(debug().entry.tcb_evaluation, (16, 16));
}

/// The real collateral is accepted at a minimum up to its own number (0, i.e. none; and exactly
/// 17), which the verifier exposes as `MIN_TCB_EVALUATION_DATA_NUMBER`; at 18 its TCB info (read
/// first) is refused with `TcbEvaluationDataNumberTooLow(TcbInfo, 17, 18)`, and
/// `verifyKeyGeneration` is false.
#[test]
fn collateral_below_the_minimum_tcb_evaluation_is_refused() {
    let case = sgx();
    let number = case.entry.tcb_evaluation.0;
    let binding = case.report.binding();
    let mut chain = chain_at(case.entry.valid_from, true);
    for minimum in [0, number, number + 1, u64::MAX] {
        let verifier = deploy(
            &mut chain,
            case.report.mr_enclave,
            0,
            ACCEPT_CURRENT,
            minimum,
        );
        let immutable = chain
            .view(verifier, &Verifier::MIN_TCB_EVALUATION_DATA_NUMBERCall {})
            .unwrap();
        assert_eq!(immutable, U256::from(minimum));
        let want = if minimum <= number {
            Ok((CONFIGURATION_AND_SW_HARDENING_NEEDED, UP_TO_DATE))
        } else {
            Err(evaluation_too_low(Item::TcbInfo, number, minimum))
        };
        assert_eq!(
            check(&chain, verifier, binding, case.evidence.encode()),
            want,
            "minimum {minimum}"
        );
        assert_eq!(
            verify(&chain, verifier, binding, case.evidence.encode()),
            want.is_ok(),
            "minimum {minimum}"
        );
    }
}

/// The QE identity's number is checked on its own. The testdata's TCB info and QE identity carry
/// the same number, so the QE identity comes from the older collateral: automata's (evaluation
/// 16, signed by the same Intel TCB signing key, so its signature verifies against dcap-qvl's
/// TCB signing certificate) beside dcap-qvl's TCB info (17). At minimum 17 the TCB info passes
/// and the QE identity is refused with `TcbEvaluationDataNumberTooLow(QeIdentity, 16, 17)`,
/// before its dates are looked at; at 16 it gets as far as its dates, long past
/// (`Expired(QeIdentity)`). Automata's quote, with its own collateral (16), is refused at 17 on
/// its TCB info before the enclave policy (`DebugEnclave`) is reached, and reaches it at 16.
#[test]
fn qe_identity_below_the_minimum_tcb_evaluation_is_refused() {
    let case = sgx();
    let older = debug();
    let binding = case.report.binding();
    // Two TCB signing certificates (2018-2025 and 2025-2032), one key.
    let key = |der: &Bytes| der[key_offset(der)..key_offset(der) + 64].to_vec();
    assert_ne!(case.evidence.tcbSigningCert, older.evidence.tcbSigningCert);
    assert_eq!(
        key(&case.evidence.tcbSigningCert),
        key(&older.evidence.tcbSigningCert)
    );
    let mixed = DcapEvidence {
        qeIdentity: older.evidence.qeIdentity.clone(),
        qeIdentitySignature: older.evidence.qeIdentitySignature.clone(),
        ..case.evidence.clone()
    };
    let mut chain = chain_at(case.entry.valid_from, true);
    let strict = deploy(&mut chain, case.report.mr_enclave, 0, ACCEPT_CURRENT, 17);
    assert_eq!(
        check(&chain, strict, binding, mixed.encode()),
        Err(evaluation_too_low(Item::QeIdentity, 16, 17))
    );
    assert!(!verify(&chain, strict, binding, mixed.encode()));
    let lenient = deploy(&mut chain, case.report.mr_enclave, 0, ACCEPT_CURRENT, 16);
    match check(&chain, lenient, binding, mixed.encode()) {
        Err(E::Expired(e)) => assert_eq!(e.item, Item::QeIdentity as u8),
        other => panic!("expected Expired(QeIdentity), got {other:?}"),
    }

    let mut chain = chain_at(older.entry.valid_from, true);
    let binding = older.report.binding();
    for (minimum, want) in [
        (17, evaluation_too_low(Item::TcbInfo, 16, 17)),
        (16, E::DebugEnclave(Verifier::DebugEnclave {})),
    ] {
        let verifier = deploy(
            &mut chain,
            older.report.mr_enclave,
            0,
            ACCEPT_CURRENT,
            minimum,
        );
        assert_eq!(
            check(&chain, verifier, binding, older.evidence.encode()),
            Err(want),
            "minimum {minimum}"
        );
    }
}

// ---- mutations -------------------------------------------------------------------------------------

/// Quote v3 offsets (Intel SGX ECDSA Quote Library API, Appendix A).
const REPORT: usize = 48;
const ISV_SIGNATURE: usize = 436;
const QE_REPORT: usize = 564;
const QE_AUTH_DATA: usize = 1014;

#[test]
fn each_mutation_is_refused_with_its_error() {
    let case = sgx();
    let (chain, verifier) = setup(case);
    let ev = &case.evidence;
    let binding = case.report.binding();
    let last = |field: usize| fields(ev)[field].len() - 1;
    let fmspc_in_pck = find(&ev.pckCert, &[0x04, 0x06, 0x00, 0xa0, 0x67, 0x11]) + 2;
    let tcb_info_svn = find(&ev.tcbInfo, b"{\"svn\":11}") + 7;
    let qe_isvsvn = find(&ev.qeIdentity, b"\"isvsvn\":8") + 9;
    // The PCK certificate's notBefore, UTCTime `230920215343Z`: its tag, then `YYMMDD...`.
    let pck_not_before = find(&ev.pckCert, b"\x17\x0d230920215343Z");
    // The certification data type (u16 5 after the QE authentication data; outside every
    // signed range, read before any signature): 5 ^ 1 = 4 is not a PCK certificate chain.
    let cert_type = certification_data(&case.entry.quote).start - 6;
    assert_eq!(&ev.quote[cert_type..cert_type + 2], &[5, 0]);

    let mut cases: Vec<Mutation<E>> = vec![
        ("quote TEE type", QUOTE, 4, |e| {
            matches!(e, E::TeeTypeUnsupported(_))
        }),
        ("quote certification data type", QUOTE, cert_type, |e| {
            *e == E::CertificationDataTypeUnsupported(Verifier::CertificationDataTypeUnsupported {
                certType: U256::from(4),
            })
        }),
        ("quote header QE SVN (signed)", QUOTE, 8, |e| {
            signature_invalid(e, Item::EnclaveReport)
        }),
        ("enclave report MRENCLAVE", QUOTE, REPORT + 64, |e| {
            signature_invalid(e, Item::EnclaveReport)
        }),
        ("enclave report attributes", QUOTE, REPORT + 48, |e| {
            signature_invalid(e, Item::EnclaveReport)
        }),
        ("enclave report report_data", QUOTE, REPORT + 320, |e| {
            signature_invalid(e, Item::EnclaveReport)
        }),
        ("enclave report signature", QUOTE, ISV_SIGNATURE + 5, |e| {
            signature_invalid(e, Item::EnclaveReport)
        }),
        ("PCK certificate FMSPC", PCK_CERT, fmspc_in_pck, |e| {
            signature_invalid(e, Item::PckCert)
        }),
        (
            "PCK CA key",
            PCK_CA_CERT,
            key_offset(&ev.pckCaCert) + 9,
            |e| signature_invalid(e, Item::PckCaCert),
        ),
        (
            "TCB signing signature",
            TCB_SIGNING_CERT,
            last(TCB_SIGNING_CERT),
            |e| signature_invalid(e, Item::TcbSigningCert),
        ),
        ("TCB info SVN", TCB_INFO, tcb_info_svn, |e| {
            signature_invalid(e, Item::TcbInfo)
        }),
        ("QE identity ISVSVN", QE_IDENTITY, qe_isvsvn, |e| {
            signature_invalid(e, Item::QeIdentity)
        }),
        // DER is read before any signature over it is checked: a garbled length or tag is
        // refused by the reader (lengths: `30 82 hi lo` headers; byte 3 is the outer
        // length's low byte, byte 7 the tbs length's).
        ("root CA CRL DER length", ROOT_CA_CRL, 3, |e| {
            matches!(e, E::DerMalformed(_))
        }),
        ("PCK CA certificate tbs length", PCK_CA_CERT, 7, |e| {
            matches!(e, E::DerMalformed(_))
        }),
        ("PCK certificate DER length", PCK_CERT, 3, |e| {
            matches!(e, E::DerMalformed(_))
        }),
        ("PCK CRL DER length", PCK_CRL, 3, |e| {
            matches!(e, E::DerMalformed(_))
        }),
        (
            "TCB signing certificate DER length",
            TCB_SIGNING_CERT,
            3,
            |e| matches!(e, E::DerMalformed(_)),
        ),
        // UTCTime (0x17) becomes 0x16 (IA5String): not a time.
        (
            "PCK certificate notBefore tag",
            PCK_CERT,
            pck_not_before,
            |e| matches!(e, E::DerMalformed(_)),
        ),
        // Month `09` becomes `19`.
        (
            "PCK certificate notBefore month",
            PCK_CERT,
            pck_not_before + 2 + 2,
            |e| matches!(e, E::DateInvalid(d) if d.month == U256::from(19)),
        ),
    ];
    cases.extend(shared_mutations(ev, SGX_LAYOUT));
    assert_mutations_are_refused(&chain, verifier, binding, ev, cases);
}

fn der_malformed(offset: usize) -> E {
    E::DerMalformed(Verifier::DerMalformed {
        offset: U256::from(offset),
    })
}

/// A DER certificate or CRL whose outer SEQUENCE is not exactly the bytes given: its length
/// running past the end, bytes after it, or its length not in the shortest form (X.690 §10.1).
/// The outer header is outside every signed range (the signature covers the tbs only), so the
/// last is refused by the DER check alone; the unmodified bytes are accepted.
#[test]
fn der_lengths_out_of_bounds_or_not_minimal_are_refused() {
    let case = sgx();
    let (chain, verifier) = setup(case);
    let binding = case.report.binding();
    let ev = &case.evidence;
    for (name, field) in [("PCK certificate", PCK_CERT), ("root CA CRL", ROOT_CA_CRL)] {
        let der = fields(ev)[field].clone();
        let n = der.len();
        // `30 82 hi lo`: one SEQUENCE filling the field, its length in two bytes.
        assert_eq!(&der[..2], &[0x30, 0x82], "{name}");
        assert_eq!(usize::from(u16::from_be_bytes([der[2], der[3]])) + 4, n);
        let variants = [
            ("truncated by one byte", der[..n - 1].to_vec(), 0),
            ("with a trailing zero byte", [&der[..], &[0]].concat(), n),
            (
                "length in three bytes, the first zero",
                [&[0x30, 0x83, 0x00], &der[2..]].concat(),
                0,
            ),
        ];
        for (variant, bytes, offset) in variants {
            let mutated = with_field(ev, field, bytes).encode();
            assert_eq!(
                check(&chain, verifier, binding, mutated.clone()),
                Err(der_malformed(offset)),
                "{name} {variant}"
            );
            assert!(!verify(&chain, verifier, binding, mutated), "{name}");
        }
    }
    assert_eq!(
        check(&chain, verifier, binding, ev.encode()),
        Ok((CONFIGURATION_AND_SW_HARDENING_NEEDED, UP_TO_DATE))
    );
}

fn date_invalid(year: u64, month: u64, day: u64, hour: u64, minute: u64, second: u64) -> E {
    E::DateInvalid(Verifier::DateInvalid {
        year: U256::from(year),
        month: U256::from(month),
        day: U256::from(day),
        hour: U256::from(hour),
        minute: U256::from(minute),
        second: U256::from(second),
    })
}

/// A certificate or CRL date with a field out of range (month 13, hour 24) is refused with
/// `DateInvalid` before any signature is checked. The same date with the field in range is
/// read as `x509-cert` reads it, and the verifier goes on to refuse the changed bytes by their
/// signature. A day past the month's end (Feb 30) is not `DateInvalid`: `CivilTime.toUnix`
/// documents that it does not refuse one (such a date only ever comes from Intel-signed data),
/// and reads it as the day it overflows to; the verifier refuses it by its signature.
#[test]
fn out_of_range_dates_are_refused_with_date_invalid() {
    let case = sgx();
    let (chain, verifier) = setup(case);
    let (probe_chain, probe) = probe();
    let binding = case.report.binding();
    let ev = &case.evidence;
    let refused = |field: usize, bytes: &[u8]| {
        let mutated = with_field(ev, field, bytes).encode();
        assert!(!verify(&chain, verifier, binding, mutated.clone()));
        check(&chain, verifier, binding, mutated).unwrap_err()
    };
    let probe_error = |err: ChainError| err.revert_error::<X509Probe::X509ProbeErrors>();

    // The PCK certificate's notBefore, UTCTime 230920215343Z (2023-09-20T21:53:43Z).
    let at = find(&ev.pckCert, b"\x17\x0d230920215343Z") + 2;
    let pck = |date: &[u8; 12]| spliced(&ev.pckCert, at, date);
    let not_before = |der: &[u8]| {
        let cert = Certificate::from_der(der).unwrap();
        unix(cert.tbs_certificate().validity().not_before)
    };

    let month_13 = pck(b"231320215343");
    assert_eq!(
        refused(PCK_CERT, &month_13),
        date_invalid(2023, 13, 20, 21, 53, 43)
    );
    let err = probe_chain
        .view(
            *probe,
            &X509Probe::certificateCall {
                der: month_13.into(),
            },
        )
        .unwrap_err();
    assert_eq!(
        probe_error(err),
        Some(X509Probe::X509ProbeErrors::DateInvalid(
            X509Probe::DateInvalid {
                year: U256::from(2023),
                month: U256::from(13),
                day: U256::from(20),
                hour: U256::from(21),
                minute: U256::from(53),
                second: U256::from(43),
            }
        ))
    );

    let month_12 = pck(b"231220215343");
    let got = probe_chain
        .view(
            *probe,
            &X509Probe::certificateCall {
                der: month_12.clone().into(),
            },
        )
        .unwrap();
    assert_eq!(got.notBefore, not_before(&month_12));
    assert!(signature_invalid(
        &refused(PCK_CERT, &month_12),
        Item::PckCert
    ));

    let feb_30 = pck(b"230230215343");
    assert!(
        Certificate::from_der(&feb_30).is_err(),
        "x509-cert refuses it"
    );
    let got = probe_chain
        .view(
            *probe,
            &X509Probe::certificateCall {
                der: feb_30.clone().into(),
            },
        )
        .unwrap();
    assert_eq!(got.notBefore, not_before(&pck(b"230302215343")));
    assert!(signature_invalid(
        &refused(PCK_CERT, &feb_30),
        Item::PckCert
    ));

    // The root CA CRL's thisUpdate, UTCTime 250320112157Z: the first date the verifier reads.
    let at = find(&ev.rootCaCrl, b"\x17\x0d250320112157Z") + 2;
    let crl = |date: &[u8; 12]| spliced(&ev.rootCaCrl, at, date);
    assert_eq!(
        refused(ROOT_CA_CRL, &crl(b"250320242157")),
        date_invalid(2025, 3, 20, 24, 21, 57)
    );
    let hour_23 = crl(b"250320232157");
    let got = probe_chain
        .view(
            *probe,
            &X509Probe::crlCall {
                der: hour_23.clone().into(),
            },
        )
        .unwrap();
    let reference = CertificateList::<Rfc5280>::from_der(&hour_23).unwrap();
    assert_eq!(got.thisUpdate, unix(reference.tbs_cert_list.this_update));
    assert!(signature_invalid(
        &refused(ROOT_CA_CRL, &hour_23),
        Item::RootCaCrl
    ));
}

/// The collateral JSON errors (`JsonMalformed`, `JsonFieldMissing`, `TcbStatusUnknown`, and
/// `DateInvalid` from a JSON date) cannot be reached through the verifier: `_signedJson`
/// checks Intel's signature over the exact bytes before `IntelCollateralJson` reads them, so
/// every edit that would raise one is refused as `SignatureInvalid` first. Only Intel-signed
/// JSON reaches the reader, as the TDX TCB info and TD QE identity (signed by the same TCB
/// signing key) show: they are read, and refused at their `id` (offset 6). The same errors are
/// reached through `IntelCollateralJsonProbe` below (`the_json_reader_refuses_*`).
#[test]
fn collateral_json_is_read_only_once_intel_signed_it() {
    let case = sgx();
    let (chain, verifier) = setup(case);
    let binding = case.report.binding();
    let ev = &case.evidence;
    let tcb = String::from_utf8(ev.tcbInfo.to_vec()).unwrap();
    let qe = String::from_utf8(ev.qeIdentity.to_vec()).unwrap();
    let edits = [
        // JsonMalformed
        (
            "TCB info truncated",
            TCB_INFO,
            tcb[..tcb.len() - 1].to_string(),
        ),
        (
            "TCB info with a broken string",
            TCB_INFO,
            tcb.replacen("\"fmspc\":\"", "\"fmspc\":\"\\", 1),
        ),
        // JsonFieldMissing
        (
            "TCB info without pceId",
            TCB_INFO,
            tcb.replacen("\"pceId\":\"0000\",", "", 1),
        ),
        (
            "QE identity without isvprodid",
            QE_IDENTITY,
            qe.replacen("\"isvprodid\":1,", "", 1),
        ),
        // TcbStatusUnknown
        (
            "TCB info status Intel does not define",
            TCB_INFO,
            tcb.replacen(
                "\"ConfigurationAndSWHardeningNeeded\"",
                "\"ConfigurationAndSwHardeningNeeded\"",
                1,
            ),
        ),
        (
            "QE identity status Intel does not define",
            QE_IDENTITY,
            qe.replacen("\"UpToDate\"", "\"Current\"", 1),
        ),
        // DateInvalid
        (
            "TCB info issueDate month 13",
            TCB_INFO,
            tcb.replacen("\"issueDate\":\"2025-06", "\"issueDate\":\"2025-13", 1),
        ),
    ];
    for (name, field, json) in edits {
        assert_ne!(json.as_bytes(), fields(ev)[field].as_slice(), "{name}");
        let item = if field == TCB_INFO {
            Item::TcbInfo
        } else {
            Item::QeIdentity
        };
        let err = check(
            &chain,
            verifier,
            binding,
            with_field(ev, field, json).encode(),
        )
        .unwrap_err();
        assert!(signature_invalid(&err, item), "{name}: {err:?}");
    }

    let tdx: QuoteCollateral = serde_json::from_str(
        &std::fs::read_to_string(testdata().join("dcap-qvl/sample/tdx_quote_collateral.json"))
            .unwrap(),
    )
    .unwrap();
    assert_foreign_collateral_is_refused(
        &chain,
        verifier,
        binding,
        ev,
        &tdx,
        E::CollateralUnsupported(Verifier::CollateralUnsupported {
            offset: U256::from(6),
        }),
    );
}

#[test]
fn certificates_in_the_wrong_role_are_refused() {
    let case = sgx();
    let (chain, verifier) = setup(case);
    let ev = &case.evidence;
    let binding = case.report.binding();
    let swaps: [(&str, DcapEvidence, Item); 3] = [
        (
            "TCB signing cert as PCK CA",
            DcapEvidence {
                pckCaCert: ev.tcbSigningCert.clone(),
                ..ev.clone()
            },
            Item::PckCaCert,
        ),
        (
            "PCK CA as PCK certificate",
            DcapEvidence {
                pckCert: ev.pckCaCert.clone(),
                ..ev.clone()
            },
            Item::PckCert,
        ),
        (
            "PCK CA as TCB signing cert",
            DcapEvidence {
                tcbSigningCert: ev.pckCaCert.clone(),
                ..ev.clone()
            },
            Item::TcbSigningCert,
        ),
    ];
    for (name, swapped, want) in swaps {
        let err = check(&chain, verifier, binding, swapped.encode()).unwrap_err();
        assert!(
            matches!(err, E::CertificateRoleUnexpected(_)) && item(&err) == Some(want),
            "{name}: {err:?}"
        );
    }
    // Both JSON objects swapped for each other: the signature over each still verifies (the
    // same key signs both) but neither parses as the other kind.
    let crossed = DcapEvidence {
        tcbInfo: ev.qeIdentity.clone(),
        tcbInfoSignature: ev.qeIdentitySignature.clone(),
        ..ev.clone()
    };
    assert!(matches!(
        check(&chain, verifier, binding, crossed.encode()),
        Err(E::CollateralUnsupported(_))
    ));
}

#[test]
fn truncated_or_extended_quote_is_refused() {
    let case = sgx();
    let (chain, verifier) = setup(case);
    let binding = case.report.binding();
    for quote in [
        case.entry.quote[..case.entry.quote.len() - 1].to_vec(),
        [case.entry.quote.as_slice(), &[0]].concat(),
        case.entry.quote[..1000].to_vec(),
    ] {
        let ev = DcapEvidence {
            quote: quote.into(),
            ..case.evidence.clone()
        };
        assert!(matches!(
            check(&chain, verifier, binding, ev.encode()),
            Err(E::QuoteMalformed(_))
        ));
    }
    // Evidence that is not `abi.encode(Evidence)` at all: false, not a revert.
    assert!(!verify(
        &chain,
        verifier,
        binding,
        Bytes::from_static(b"not evidence")
    ));
}

/// The quote's certification data (the PEM chain after the QE authentication data): the one
/// region of the evidence the verifier does not read.
fn certification_data(quote: &[u8]) -> std::ops::Range<usize> {
    let auth_len = u16::from_le_bytes([quote[QE_AUTH_DATA - 2], quote[QE_AUTH_DATA - 1]]);
    QE_AUTH_DATA + usize::from(auth_len) + 6..quote.len()
}

#[test]
fn the_quotes_own_pem_chain_is_not_read() {
    let case = sgx();
    let (chain, verifier) = setup(case);
    let region = certification_data(&case.entry.quote);
    let mutated = flipped(&case.evidence, QUOTE, region.start + 100, 0x20);
    assert!(verify(
        &chain,
        verifier,
        case.report.binding(),
        mutated.encode()
    ));
}

// ---- property --------------------------------------------------------------------------------------

fn shared_setup() -> &'static (Chain, Address) {
    static SETUP: OnceLock<(Chain, Address)> = OnceLock::new();
    SETUP.get_or_init(|| setup(sgx()))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    /// A flipped byte in any field of the evidence is refused, unless it lies in the quote's
    /// certification data (unread, see above).
    #[test]
    fn no_flipped_field_byte_is_accepted(field in 0usize..10, at in any::<prop::sample::Index>(), mask in 1u8..) {
        let case = sgx();
        let (chain, verifier) = shared_setup();
        let len = fields(&case.evidence)[field].len();
        let offset = at.index(len);
        let unread = field == QUOTE && certification_data(&case.entry.quote).contains(&offset);
        let mutated = flipped(&case.evidence, field, offset, mask);
        let accepted = verify(chain, *verifier, case.report.binding(), mutated.encode());
        prop_assert_eq!(accepted, unread, "field {} offset {} mask {:#x}", field, offset, mask);
    }

    /// A flipped byte anywhere in the ABI encoding (offsets, lengths, padding included) is
    /// refused unless the verifier would read the same evidence: decoding the mutated bytes
    /// gives the original fields, except for unread certification data.
    #[test]
    fn no_flipped_encoding_byte_changes_what_is_accepted(at in any::<prop::sample::Index>(), mask in 1u8..) {
        let case = sgx();
        let (chain, verifier) = shared_setup();
        let mut encoded = case.evidence.encode().to_vec();
        let offset = at.index(encoded.len());
        encoded[offset] ^= mask;
        let accepted = verify(chain, *verifier, case.report.binding(), encoded.clone().into());
        if accepted {
            let decoded = DcapEvidence::abi_decode(&encoded).expect("accepted evidence decodes");
            let region = certification_data(&case.entry.quote);
            let mut a = fields(&decoded);
            let mut b = fields(&case.evidence);
            a[QUOTE].truncate(region.start);
            b[QUOTE].truncate(region.start);
            prop_assert_eq!(a, b, "offset {} mask {:#x}", offset, mask);
        }
    }
}

// ---- the X.509 reader against reference parsers ------------------------------------------------

use alloy_primitives::keccak256;
use lsv_contracts::artifacts::X509_PROBE;
use lsv_contracts::bindings::X509Probe;
use sha2::{Digest, Sha256};
use x509_cert::certificate::Rfc5280;
use x509_cert::crl::{CertificateList, RevokedCert};
use x509_cert::der::asn1::{Any, ObjectIdentifier, OctetString, Uint};
use x509_cert::der::{Decode, Encode, TagNumber, Tagged};
use x509_cert::ext::Extensions;
use x509_cert::serial_number::SerialNumber;
use x509_cert::time::Time;
use x509_cert::Certificate;

fn probe() -> &'static (Chain, Address) {
    static PROBE: OnceLock<(Chain, Address)> = OnceLock::new();
    PROBE.get_or_init(|| {
        let mut chain = Chain::new();
        let probe = chain.deploy(&X509_PROBE, &[]).unwrap();
        (chain, probe)
    })
}

fn unix(t: Time) -> U256 {
    U256::from(t.to_unix_duration().as_secs())
}

/// Every certificate of both real cases: what the Solidity reader sees equals what `x509-cert`
/// decodes (serial, names, commonName, validity, key, the signed tbs bytes, the signature).
#[test]
fn certificate_fields_match_x509_cert() {
    let (chain, probe) = probe();
    for case in [sgx(), debug()] {
        let ev = &case.evidence;
        for der in [&ev.pckCert, &ev.pckCaCert, &ev.tcbSigningCert] {
            let got = chain
                .view(*probe, &X509Probe::certificateCall { der: der.clone() })
                .unwrap();
            let cert = Certificate::from_der(der).unwrap();
            let tbs = cert.tbs_certificate();
            assert_eq!(
                got.serial,
                U256::from_be_slice(tbs.serial_number().as_bytes())
            );
            assert_eq!(got.issuerHash, keccak256(tbs.issuer().to_der().unwrap()));
            assert_eq!(got.subjectHash, keccak256(tbs.subject().to_der().unwrap()));
            let cn = String::from(tbs.subject().common_name().unwrap().unwrap());
            assert_eq!(got.subjectCommonName, keccak256(cn.as_bytes()));
            assert_eq!(got.notBefore, unix(tbs.validity().not_before));
            assert_eq!(got.notAfter, unix(tbs.validity().not_after));
            let point = tbs.subject_public_key_info().subject_public_key.raw_bytes();
            assert_eq!(point[0], 0x04);
            assert_eq!(got.keyX, U256::from_be_slice(&point[1..33]));
            assert_eq!(got.keyY, U256::from_be_slice(&point[33..65]));
            assert_eq!(
                got.tbsDigest.0,
                <[u8; 32]>::from(Sha256::digest(tbs.to_der().unwrap()))
            );
            let sig = p256::ecdsa::Signature::from_der(cert.signature().raw_bytes()).unwrap();
            assert_eq!(got.sigR, U256::from_be_slice(&sig.r().to_bytes()));
            assert_eq!(got.sigS, U256::from_be_slice(&sig.s().to_bytes()));
        }
    }
}

/// The PCK certificates' Intel SGX extension: the Solidity reader's TCB component SVNs,
/// PCESVN, FMSPC, PCE-ID and PPID equal dcap-qvl's (`intel::parse_pck_extension`; its CPUSVN is
/// the 16 component SVNs in order), for the SGX quotes' and the TDX quote's PCK certificates.
#[test]
fn sgx_extension_matches_dcap_qvl() {
    let (chain, probe) = probe();
    let tdx = load_entry(
        "dcap-qvl tdx_quote",
        "dcap-qvl/sample/tdx_quote_collateral.json",
    );
    let tdx = dcap::evidence(&tdx.quote, &tdx.collateral).unwrap().pckCert;
    let mut ppids = Vec::new();
    for der in [&sgx().evidence.pckCert, &debug().evidence.pckCert, &tdx] {
        let got = chain
            .view(*probe, &X509Probe::sgxTcbCall { der: der.clone() })
            .unwrap();
        let ext = dcap_qvl::intel::parse_pck_extension(der).unwrap();
        let comp: Vec<u8> = got.compSvn.iter().map(|v| v.to::<u8>()).collect();
        assert_eq!(comp, ext.cpu_svn.to_vec());
        assert_eq!(got.pceSvn, U256::from(ext.pce_svn));
        assert_eq!(got.fmspc.as_slice(), ext.fmspc.as_slice());
        assert_eq!(got.pceId.as_slice(), ext.pce_id.as_slice());
        let ppid = chain
            .view(*probe, &X509Probe::sgxPpidCall { der: der.clone() })
            .unwrap();
        assert_eq!(ppid.as_slice(), ext.ppid.as_slice());
        assert_eq!(
            &der[ppid_offset(der)..ppid_offset(der) + 16],
            ppid.as_slice()
        );
        ppids.push(ppid);
    }
    // Three quotes, three machines.
    assert!(ppids[0] != ppids[1] && ppids[0] != ppids[2] && ppids[1] != ppids[2]);
}

/// The Intel SGX extensions, 1.2.840.113741.1.13.1.
const SGX_EXTENSIONS: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113741.1.13.1");
/// The OID of the extension's FMSPC entry (.4), DER-encoded: how that entry's content begins.
const FMSPC_OID_DER: [u8; 12] = [
    0x06, 0x0a, 0x2a, 0x86, 0x48, 0x86, 0xf8, 0x4d, 0x01, 0x0d, 0x01, 0x04,
];
/// The OID of the extension's PPID entry (.1), DER-encoded.
const PPID_OID_DER: [u8; 12] = [
    0x06, 0x0a, 0x2a, 0x86, 0x48, 0x86, 0xf8, 0x4d, 0x01, 0x0d, 0x01, 0x01,
];

/// The DER certificate with its extensions edited and the whole re-encoded (the signature is
/// kept, so it no longer verifies). The tbs and certificate are walked as SEQUENCEs of `Any`,
/// so nothing else changes.
fn with_extensions(der: &[u8], edit: impl FnOnce(&mut Extensions)) -> Bytes {
    let mut cert = Vec::<Any>::from_der(der).unwrap();
    let mut tbs = Vec::<Any>::from_der(&cert[0].to_der().unwrap()).unwrap();
    // extensions [3], the last element of the tbs.
    let last = tbs.last_mut().unwrap();
    assert!(last.tag().is_context_specific() && last.tag().number() == TagNumber(3));
    let mut extensions = Extensions::from_der(last.value()).unwrap();
    edit(&mut extensions);
    *last = Any::new(last.tag(), extensions.to_der().unwrap()).unwrap();
    cert[0] = Any::encode_from(&tbs).unwrap();
    cert.to_der().unwrap().into()
}

/// A PCK certificate without the Intel SGX extension, or whose extension lacks the FMSPC entry,
/// and Intel's PCK CA certificate (which has none), give the reader no TCB:
/// `SgxExtensionMissing`; likewise no PPID without the extension or its PPID entry, and a PPID
/// that is not 16 bytes is `DerMalformed`. The re-encoded but unedited PCK certificate is
/// byte-identical and read.
///
/// Through the verifier this error is unreachable: the extension is read only after the PCK
/// certificate's signature by the PCK CA (itself checked against Intel's root key) verifies,
/// and every certificate Intel issues as a PCK certificate carries it; removing it breaks the
/// signature first.
#[test]
fn a_pck_certificate_without_its_sgx_extension_is_refused() {
    let (chain, probe) = probe();
    let ev = &sgx().evidence;
    let sgx_tcb = |der: &Bytes| chain.view(*probe, &X509Probe::sgxTcbCall { der: der.clone() });
    let missing = Some(X509Probe::X509ProbeErrors::SgxExtensionMissing(
        X509Probe::SgxExtensionMissing {},
    ));

    let unedited = with_extensions(&ev.pckCert, |_| {});
    assert_eq!(unedited, ev.pckCert);
    let tcb = sgx_tcb(&unedited).unwrap();
    assert_eq!(tcb.fmspc.as_slice(), &[0x00, 0xa0, 0x67, 0x11, 0x00, 0x00]);

    let without_extension = with_extensions(&ev.pckCert, |exts| {
        let before = exts.len();
        exts.retain(|e| e.extn_id != SGX_EXTENSIONS);
        assert_eq!(exts.len(), before - 1);
    });
    let without_fmspc = with_extensions(&ev.pckCert, |exts| {
        let sgx = exts
            .iter_mut()
            .find(|e| e.extn_id == SGX_EXTENSIONS)
            .unwrap();
        let mut entries = Vec::<Any>::from_der(sgx.extn_value.as_bytes()).unwrap();
        let before = entries.len();
        entries.retain(|entry| !entry.value().starts_with(&FMSPC_OID_DER));
        assert_eq!(entries.len(), before - 1);
        sgx.extn_value = OctetString::new(entries.to_der().unwrap()).unwrap();
    });
    let without_ppid = with_extensions(&ev.pckCert, |exts| {
        let sgx = exts
            .iter_mut()
            .find(|e| e.extn_id == SGX_EXTENSIONS)
            .unwrap();
        let mut entries = Vec::<Any>::from_der(sgx.extn_value.as_bytes()).unwrap();
        let before = entries.len();
        entries.retain(|entry| !entry.value().starts_with(&PPID_OID_DER));
        assert_eq!(entries.len(), before - 1);
        sgx.extn_value = OctetString::new(entries.to_der().unwrap()).unwrap();
    });
    let ppid_of = |der: &Bytes| chain.view(*probe, &X509Probe::sgxPpidCall { der: der.clone() });
    for (name, der) in [
        ("without the SGX extension", &without_extension),
        ("without the FMSPC entry", &without_fmspc),
        ("the PCK CA certificate", &ev.pckCaCert),
    ] {
        // Still a certificate the reader parses; only the SGX extension is missing.
        chain
            .view(*probe, &X509Probe::certificateCall { der: der.clone() })
            .unwrap();
        let err = sgx_tcb(der).expect_err(name);
        assert_eq!(
            err.revert_error::<X509Probe::X509ProbeErrors>(),
            missing,
            "{name}"
        );
    }
    // The PPID is read on its own: the TCB reader does not need it, the PPID reader needs only
    // it.
    sgx_tcb(&without_ppid).unwrap();
    ppid_of(&without_fmspc).unwrap();
    for (name, der) in [
        ("without the SGX extension", &without_extension),
        ("without the PPID entry", &without_ppid),
        ("the PCK CA certificate", &ev.pckCaCert),
    ] {
        let err = ppid_of(der).expect_err(name);
        assert_eq!(
            err.revert_error::<X509Probe::X509ProbeErrors>(),
            missing,
            "{name}"
        );
    }
    // A PPID of 15 bytes (its OCTET STRING's length byte edited, the entry's and every
    // enclosing length shortened by re-encoding): refused by its length.
    let short_ppid = with_extensions(&ev.pckCert, |exts| {
        let sgx = exts
            .iter_mut()
            .find(|e| e.extn_id == SGX_EXTENSIONS)
            .unwrap();
        let mut entries = Vec::<Any>::from_der(sgx.extn_value.as_bytes()).unwrap();
        let entry = entries
            .iter_mut()
            .find(|entry| entry.value().starts_with(&PPID_OID_DER))
            .unwrap();
        let mut value = entry.value().to_vec();
        assert_eq!(value[PPID_OID_DER.len()..][..2], [0x04, 0x10]);
        value[PPID_OID_DER.len() + 1] = 0x0f;
        value.pop();
        *entry = Any::new(entry.tag(), value).unwrap();
        sgx.extn_value = OctetString::new(entries.to_der().unwrap()).unwrap();
    });
    let err = ppid_of(&short_ppid).expect_err("a 15-byte PPID");
    assert!(
        matches!(
            err.revert_error::<X509Probe::X509ProbeErrors>(),
            Some(X509Probe::X509ProbeErrors::DerMalformed(_))
        ),
        "{err}"
    );

    let case = sgx();
    let (chain, verifier) = setup(case);
    let evidence = DcapEvidence {
        pckCert: without_extension,
        ..ev.clone()
    };
    let err = check(&chain, verifier, case.report.binding(), evidence.encode()).unwrap_err();
    assert!(signature_invalid(&err, Item::PckCert), "{err:?}");
}

#[test]
fn crl_fields_match_x509_cert() {
    let (chain, probe) = probe();
    for case in [sgx(), debug()] {
        for der in [&case.evidence.pckCrl, &case.evidence.rootCaCrl] {
            let got = chain
                .view(*probe, &X509Probe::crlCall { der: der.clone() })
                .unwrap();
            let crl = CertificateList::<Rfc5280>::from_der(der).unwrap();
            let tbs = &crl.tbs_cert_list;
            assert_eq!(got.issuerHash, keccak256(tbs.issuer.to_der().unwrap()));
            assert_eq!(got.thisUpdate, unix(tbs.this_update));
            assert_eq!(got.nextUpdate, unix(tbs.next_update.unwrap()));
            assert_eq!(
                got.tbsDigest.0,
                <[u8; 32]>::from(Sha256::digest(tbs.to_der().unwrap()))
            );
            // Intel's sample CRLs revoke nothing.
            assert!(tbs.revoked_certificates.is_none());
            assert_eq!((got.revokedStart, got.revokedEnd), (U256::ZERO, U256::ZERO));
        }
    }
}

/// The real PCK CRL with `serials` as its revoked list, re-encoded by `x509-cert` (the
/// signature no longer verifies; the revocation walk does not look at it).
fn crl_revoking(serials: &[Vec<u8>]) -> Bytes {
    let mut crl = CertificateList::<Rfc5280>::from_der(&sgx().evidence.pckCrl).unwrap();
    let date = crl.tbs_cert_list.this_update;
    crl.tbs_cert_list.revoked_certificates = Some(
        serials
            .iter()
            .map(|s| RevokedCert {
                // Through DER: `SerialNumber::new` refuses 20 bytes with the high bit set (21
                // encoded), which Intel's PCK serials use and decoding accepts.
                serial_number: SerialNumber::from_der(&Uint::new(s).unwrap().to_der().unwrap())
                    .unwrap(),
                revocation_date: date,
                crl_entry_extensions: None,
            })
            .collect(),
    );
    crl.to_der().unwrap().into()
}

#[test]
fn the_revocation_walk_finds_the_pck_certificates_serial() {
    let (chain, probe) = probe();
    let pck = Certificate::from_der(&sgx().evidence.pckCert).unwrap();
    let serial = pck.tbs_certificate().serial_number().as_bytes().to_vec();
    let value = U256::from_be_slice(&serial);
    let others = vec![vec![0x01], vec![0x7f; 20], vec![0x80, 0, 0, 1]];
    let revokes = |der: Bytes| {
        chain
            .view(*probe, &X509Probe::revokesCall { der, serial: value })
            .unwrap()
    };
    assert!(!revokes(crl_revoking(&others)));
    assert!(revokes(crl_revoking(
        &[others.clone(), vec![serial]].concat()
    )));
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 32, ..ProptestConfig::default() })]

    /// A CRL revokes exactly the serials it lists.
    #[test]
    fn a_crl_revokes_exactly_its_serials(
        listed in prop::collection::vec(prop::collection::vec(any::<u8>(), 1..=20), 0..12),
        other in prop::collection::vec(any::<u8>(), 1..=20),
    ) {
        let (chain, probe) = probe();
        let value = |s: &[u8]| U256::from_be_slice(s);
        let der = crl_revoking(&listed);
        let revokes = |serial: U256| chain
            .view(*probe, &X509Probe::revokesCall { der: der.clone(), serial })
            .unwrap();
        for s in &listed {
            prop_assert!(revokes(value(s)));
        }
        let other_listed = listed.iter().any(|s| value(s) == value(&other));
        prop_assert_eq!(revokes(value(&other)), other_listed);
    }
}

// ---- statuses against dcap-qvl ---------------------------------------------------------------------

/// dcap-qvl, verifying the same quote and collateral at the same time, reaches the same
/// verdict: the same platform and QE TCB statuses for the accepted quote, a refusal (debug) for
/// the other.
#[test]
fn verdicts_agree_with_dcap_qvl() {
    let case = sgx();
    let (chain, verifier) = setup(case);
    let (platform, qe) = check(
        &chain,
        verifier,
        case.report.binding(),
        case.evidence.encode(),
    )
    .unwrap();
    let report = dcap_qvl::verify::verify(
        &case.entry.quote,
        &qvl_collateral(&case.entry.collateral),
        chain.timestamp(),
    )
    .unwrap();
    assert_eq!(
        TCB_STATUS_NAMES[platform as usize],
        format!("{:?}", report.platform_status.status)
    );
    assert_eq!(
        TCB_STATUS_NAMES[qe as usize],
        format!("{:?}", report.qe_status.status)
    );

    let case = debug();
    let (chain, verifier) = setup(case);
    assert!(check(
        &chain,
        verifier,
        case.report.binding(),
        case.evidence.encode()
    )
    .is_err());
    let qvl = dcap_qvl::verify::verify(
        &case.entry.quote,
        &qvl_collateral(&case.entry.collateral),
        chain.timestamp(),
    );
    assert!(format!("{:#}", qvl.unwrap_err()).contains("Debug"));
}

// ---- the collateral JSON reader, through IntelCollateralJsonProbe ------------------------------

use lsv_contracts::bindings::IntelCollateralJsonProbe::{
    self as JsonProbe, IntelCollateralJsonProbeErrors as JsonError,
};

/// A platform's TCB as the reader takes it: the 16 SGX component SVNs and the PCESVN.
type PlatformTcb = ([u64; 16], u64);

/// The PCK certificate's TCB, as dcap-qvl reads it.
fn pck_tcb(case: &Case) -> PlatformTcb {
    let ext = dcap_qvl::intel::parse_pck_extension(&case.evidence.pckCert).unwrap();
    (ext.cpu_svn.map(u64::from), u64::from(ext.pce_svn))
}

/// The QE report's ISVSVN (little-endian u16 at report offset 258).
fn qe_isv_svn(case: &Case) -> u64 {
    let at = QE_REPORT + 258;
    u64::from(u16::from_le_bytes([
        case.entry.quote[at],
        case.entry.quote[at + 1],
    ]))
}

/// `IntelCollateralJson.parseTcbInfo`, or the reader's error.
#[allow(clippy::result_large_err)] // the `sol!` errors enum, compared whole in assertions
fn read_tcb_info(
    json: &str,
    (comp, pce): &PlatformTcb,
) -> Result<JsonProbe::tcbInfoReturn, JsonError> {
    let (chain, probe) = json_probe();
    let call = JsonProbe::tcbInfoCall {
        json: json.as_bytes().to_vec().into(),
        compSvn: comp.map(U256::from),
        pceSvn: U256::from(*pce),
    };
    chain.view(*probe, &call).map_err(reader_error)
}

/// `IntelCollateralJson.parseQeIdentity`, or the reader's error.
#[allow(clippy::result_large_err)]
fn read_qe_identity(json: &str, qe_isv_svn: u64) -> Result<JsonProbe::qeIdentityReturn, JsonError> {
    let (chain, probe) = json_probe();
    let call = JsonProbe::qeIdentityCall {
        json: json.as_bytes().to_vec().into(),
        qeIsvSvn: U256::from(qe_isv_svn),
    };
    chain.view(*probe, &call).map_err(reader_error)
}

fn status_index(name: &Value) -> u8 {
    TCB_STATUS_NAMES
        .iter()
        .position(|n| *n == name.as_str().unwrap())
        .unwrap() as u8
}

/// The reference evaluation: the status of the first TCB level whose 16 component SVNs and
/// PCESVN are each at most the platform's.
fn platform_level(info: &Value, (comp, pce): &PlatformTcb) -> Option<u8> {
    info["tcbLevels"]
        .as_array()
        .unwrap()
        .iter()
        .find(|level| {
            let tcb = &level["tcb"];
            let svns = tcb["sgxtcbcomponents"].as_array().unwrap();
            assert_eq!(svns.len(), 16);
            svns.iter()
                .zip(comp)
                .all(|(c, p)| c["svn"].as_u64().unwrap() <= *p)
                && tcb["pcesvn"].as_u64().unwrap() <= *pce
        })
        .map(|level| status_index(&level["tcbStatus"]))
}

/// The reference evaluation: the status of the first QE level whose ISVSVN is at most the QE's.
fn qe_level(identity: &Value, isv_svn: u64) -> Option<u8> {
    identity["tcbLevels"]
        .as_array()
        .unwrap()
        .iter()
        .find(|level| level["tcb"]["isvsvn"].as_u64().unwrap() <= isv_svn)
        .map(|level| status_index(&level["tcbStatus"]))
}

/// `(levelFound, status)` for a reference level (no level: not found, status 0 = UpToDate).
fn found(level: Option<u8>) -> (bool, u8) {
    (level.is_some(), level.unwrap_or(0))
}

/// The platforms to evaluate a TCB info for: the PCK certificate's, none and every SVN at its
/// maximum, and each TCB level's own SVNs (which reach that level or an earlier equal one).
fn platforms(case: &Case, info: &Value) -> Vec<PlatformTcb> {
    let mut all = vec![pck_tcb(case), ([0; 16], 0), ([255; 16], 65_535)];
    for level in info["tcbLevels"].as_array().unwrap() {
        let tcb = &level["tcb"];
        let svns = tcb["sgxtcbcomponents"].as_array().unwrap();
        let comp: [u64; 16] = std::array::from_fn(|k| svns[k]["svn"].as_u64().unwrap());
        all.push((comp, tcb["pcesvn"].as_u64().unwrap()));
    }
    all
}

/// Intel's unmodified TCB info and QE identity (both real cases) are read as `serde_json` reads
/// them: dates (by `der`'s calendar), FMSPC, PCE-ID, tcbEvaluationDataNumber, the QE's
/// MISCSELECT / ATTRIBUTES and masks, MRSIGNER, ISVPRODID; and the TCB level found equals a
/// reference evaluation in Rust, for the PCK certificate's TCB, for none / every level /
/// nothing matching, and for the QE's ISVSVN and every level's. dcap-qvl's platform is
/// `ConfigurationAndSWHardeningNeeded` and its QE `UpToDate`. An unknown member with nested
/// values is skipped whole (the same result); `skipValue` spans each document exactly.
#[test]
fn the_json_reader_reads_intel_collateral_as_serde_json_does() {
    for case in [sgx(), debug()] {
        let tcb_json = case.entry.collateral.tcb_info.as_str();
        let info: Value = serde_json::from_str(tcb_json).unwrap();
        for platform in platforms(case, &info) {
            let got = read_tcb_info(tcb_json, &platform).unwrap();
            assert_eq!(got.issueDate, json_date(&info["issueDate"]));
            assert_eq!(got.nextUpdate, json_date(&info["nextUpdate"]));
            assert_eq!(got.fmspc.as_slice(), json_hex(&info["fmspc"]));
            assert_eq!(got.pceId.as_slice(), json_hex(&info["pceId"]));
            assert_eq!(
                got.tcbEvaluationDataNumber,
                U256::from(case.entry.tcb_evaluation.0)
            );
            assert_eq!(
                (got.levelFound, got.status),
                found(platform_level(&info, &platform)),
                "{platform:?}"
            );
        }

        let qe_json = case.entry.collateral.qe_identity.as_str();
        let identity: Value = serde_json::from_str(qe_json).unwrap();
        let mut isv_svns = vec![qe_isv_svn(case), 0, 3, 65_535];
        for level in identity["tcbLevels"].as_array().unwrap() {
            isv_svns.push(level["tcb"]["isvsvn"].as_u64().unwrap());
        }
        for isv_svn in isv_svns {
            let got = read_qe_identity(qe_json, isv_svn).unwrap();
            assert_eq!(got.issueDate, json_date(&identity["issueDate"]));
            assert_eq!(got.nextUpdate, json_date(&identity["nextUpdate"]));
            assert_eq!(
                got.tcbEvaluationDataNumber,
                U256::from(case.entry.tcb_evaluation.1)
            );
            assert_eq!(got.miscselect.as_slice(), json_hex(&identity["miscselect"]));
            assert_eq!(
                got.miscselectMask.as_slice(),
                json_hex(&identity["miscselectMask"])
            );
            assert_eq!(got.attributes.as_slice(), json_hex(&identity["attributes"]));
            assert_eq!(
                got.attributesMask.as_slice(),
                json_hex(&identity["attributesMask"])
            );
            assert_eq!(got.mrsigner.as_slice(), json_hex(&identity["mrsigner"]));
            assert_eq!(
                got.isvProdId,
                U256::from(identity["isvprodid"].as_u64().unwrap())
            );
            assert_eq!(
                (got.levelFound, got.status),
                found(qe_level(&identity, isv_svn)),
                "ISVSVN {isv_svn}"
            );
        }

        // An unknown member first, with every kind of JSON value nested in it.
        let extra = r#""extra":{"a":[1,-2.5e3,true,false,null,"x",{},[]],"b":{"c":"d"}},"#;
        let with_extra = |json: &str| format!("{{{extra}{}", &json[1..]);
        assert_eq!(
            read_tcb_info(&with_extra(tcb_json), &pck_tcb(case)),
            read_tcb_info(tcb_json, &pck_tcb(case))
        );
        assert_eq!(
            read_qe_identity(&with_extra(qe_json), qe_isv_svn(case)),
            read_qe_identity(qe_json, qe_isv_svn(case))
        );
        for json in [tcb_json, qe_json] {
            let with_extra = with_extra(json);
            let (chain, probe) = json_probe();
            let end = chain
                .view(
                    *probe,
                    &JsonProbe::skipValueCall {
                        json: with_extra.as_bytes().to_vec().into(),
                        offset: U256::ZERO,
                    },
                )
                .unwrap();
            assert_eq!(end, U256::from(with_extra.len()));
        }
    }

    let case = sgx();
    let platform = read_tcb_info(&case.entry.collateral.tcb_info, &pck_tcb(case)).unwrap();
    assert_eq!(
        (platform.levelFound, platform.status),
        (true, CONFIGURATION_AND_SW_HARDENING_NEEDED)
    );
    let qe = read_qe_identity(&case.entry.collateral.qe_identity, qe_isv_svn(case)).unwrap();
    assert_eq!((qe.levelFound, qe.status), (true, UP_TO_DATE));
}

/// Every member the reader needs, as its `seen` bitmask: TCB info (9 members), QE identity (12).
const TCB_INFO_MEMBERS: u64 = 511;
const QE_IDENTITY_MEMBERS: u64 = 4095;

/// Intel's real TCB info, edited: each edit is refused with its exact error and offset (in the
/// edited text). A required member removed (top level: `JsonFieldMissing` with the bitmask of
/// those present; in a TCB level: the level's mask; a component's `svn`: 0); a broken string
/// (escape, non-hex digit, wrong length, control character in a skipped value, running to the
/// end), a broken number (leading zero, fraction, minus, 19 digits), a broken date and trailing
/// bytes (`JsonMalformed`); a tcbStatus Intel does not define, in the first level and in the
/// platform's (`TcbStatusUnknown` at the value's opening quote); another id, version or
/// tcbType (`CollateralUnsupported`); month 13 (`DateInvalid`). A status in a level after the
/// platform's is not read (that level is only checked as JSON), so an unknown one there is not
/// refused.
#[test]
fn the_json_reader_refuses_an_edited_tcb_info_by_name() {
    let case = sgx();
    let tcb = &pck_tcb(case);
    let t = case.entry.collateral.tcb_info.as_str();
    let n = case.entry.tcb_evaluation.0;
    let number = format!("\"tcbEvaluationDataNumber\":{n}");
    let first_status = "\"tcbStatus\":\"SWHardeningNeeded\"";
    let platform_status = "\"tcbStatus\":\"ConfigurationAndSWHardeningNeeded\"";
    let status_at = |text: &str, member: &str| offset(text, member, "\"tcbStatus\":".len());
    let no_levels = format!("{}}}", &t[..t.find(",\"tcbLevels\":").unwrap()]);
    let unterminated = &t[..t.find("\"fmspc\":\"").unwrap() + 12];

    let cases: Vec<JsonEdit> = vec![
        // a member removed
        (
            "without pceId",
            edit(t, "\"pceId\":\"0000\",", ""),
            Box::new(|_| field_missing(TCB_INFO_MEMBERS & !32)),
        ),
        (
            "without tcbEvaluationDataNumber",
            edit(t, &format!("{number},"), ""),
            Box::new(|_| field_missing(TCB_INFO_MEMBERS & !128)),
        ),
        (
            "without tcbLevels",
            no_levels,
            Box::new(|_| field_missing(TCB_INFO_MEMBERS & !256)),
        ),
        (
            "a level without tcbStatus",
            edit(t, &format!(",{first_status}"), ""),
            Box::new(|_| field_missing(1)),
        ),
        (
            "a level without pcesvn",
            edit(t, "],\"pcesvn\":13}", "]}"),
            Box::new(|_| field_missing(1)),
        ),
        (
            "a component without svn",
            edit(t, "{\"svn\":11}", "{\"svm\":11}"),
            Box::new(|_| field_missing(0)),
        ),
        // a broken string
        (
            "fmspc with an escape",
            edit(t, "\"fmspc\":\"", "\"fmspc\":\"\\"),
            Box::new(|j| malformed(offset(j, "\"fmspc\":\"", 9))),
        ),
        (
            "fmspc not hex",
            edit(
                t,
                "\"fmspc\":\"00A067110000\"",
                "\"fmspc\":\"00A06711000G\"",
            ),
            Box::new(|j| malformed(offset(j, "00A06711000G", 11))),
        ),
        (
            "fmspc a digit short",
            edit(t, "\"fmspc\":\"00A067110000\"", "\"fmspc\":\"00A06711000\""),
            Box::new(|j| malformed(offset(j, "\"fmspc\":\"", 9))),
        ),
        (
            "a tab in a skipped tcbDate",
            edit(t, "\"tcbDate\":\"2024-03-13T", "\"tcbDate\":\"2024-03-13\t"),
            Box::new(|j| malformed(offset(j, "\"tcbDate\":\"2024-03-13\t", 21))),
        ),
        (
            "a string running to the end",
            unterminated.to_string(),
            Box::new(|j| malformed(j.len())),
        ),
        // a broken number
        (
            "tcbEvaluationDataNumber with a leading zero",
            edit(t, &number, &format!("\"tcbEvaluationDataNumber\":0{n}")),
            Box::new(|j| malformed(offset(j, "\"tcbEvaluationDataNumber\":", 26))),
        ),
        (
            "version 3.0",
            edit(t, "\"version\":3,", "\"version\":3.0,"),
            Box::new(|j| malformed(offset(j, "\"version\":3.0", 11))),
        ),
        (
            "pcesvn negative",
            edit(t, "\"pcesvn\":13}", "\"pcesvn\":-13}"),
            Box::new(|j| malformed(offset(j, "\"pcesvn\":-13", 9))),
        ),
        (
            "tcbType of 19 digits",
            edit(t, "\"tcbType\":0,", "\"tcbType\":1000000000000000000,"),
            Box::new(|j| malformed(offset(j, "\"tcbType\":", 10))),
        ),
        (
            "issueDate with a space for the T",
            edit(
                t,
                "\"issueDate\":\"2025-06-19T",
                "\"issueDate\":\"2025-06-19 ",
            ),
            Box::new(|j| malformed(offset(j, "\"issueDate\":\"", 13))),
        ),
        (
            "a byte after the object",
            format!("{t} "),
            Box::new(|j| malformed(j.len() - 1)),
        ),
        // a status Intel does not define
        (
            "an unknown status in the first level",
            edit(t, first_status, "\"tcbStatus\":\"SwHardeningNeeded\""),
            Box::new(move |j| status_unknown(status_at(j, "\"tcbStatus\":\"SwHardeningNeeded\""))),
        ),
        (
            "an unknown status in the platform's level",
            edit(
                t,
                platform_status,
                "\"tcbStatus\":\"ConfigurationAndSWHardeningNeeded \"",
            ),
            Box::new(move |j| {
                status_unknown(status_at(
                    j,
                    "\"tcbStatus\":\"ConfigurationAndSWHardeningNeeded \"",
                ))
            }),
        ),
        // another kind of collateral
        (
            "id TDX",
            edit(t, "\"id\":\"SGX\"", "\"id\":\"TDX\""),
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
        // a date out of range
        (
            "issueDate month 13",
            edit(t, "\"issueDate\":\"2025-06", "\"issueDate\":\"2025-13"),
            Box::new(|_| {
                JsonError::DateInvalid(JsonProbe::DateInvalid {
                    year: U256::from(2025),
                    month: U256::from(13),
                    day: U256::from(19),
                    hour: U256::from(10),
                    minute: U256::from(56),
                    second: U256::from(11),
                })
            }),
        ),
    ];
    assert_json_edits_are_refused("TCB info", t, cases, read_tcb_info, tcb);

    // The level after the platform's is skipped: an unknown status there is not read.
    let after = edit(
        t,
        "\"tcbStatus\":\"OutOfDate\"",
        "\"tcbStatus\":\"Unknown\"",
    );
    let read = read_tcb_info(&after, tcb).unwrap();
    assert_eq!(
        (read.levelFound, read.status),
        (true, CONFIGURATION_AND_SW_HARDENING_NEEDED)
    );
}

/// Intel's real QE identity, edited the same way: a required member removed (`JsonFieldMissing`
/// with the mask of those present; a level's tcbStatus: 1; its `isvsvn`: 0), a broken string
/// or number, a date without its `Z`, trailing bytes (`JsonMalformed`), a tcbStatus Intel does
/// not define (`TcbStatusUnknown`), another id or version (`CollateralUnsupported`).
#[test]
fn the_json_reader_refuses_an_edited_qe_identity_by_name() {
    let case = sgx();
    let isv_svn = qe_isv_svn(case);
    let q = case.entry.collateral.qe_identity.as_str();
    let identity: Value = serde_json::from_str(q).unwrap();
    let mrsigner = format!(
        "\"mrsigner\":\"{}\"",
        identity["mrsigner"].as_str().unwrap()
    );
    let number = format!(
        "\"tcbEvaluationDataNumber\":{}",
        case.entry.tcb_evaluation.1
    );
    let first_level = format!(
        "{{\"isvsvn\":{}}}",
        identity["tcbLevels"][0]["tcb"]["isvsvn"]
    );
    let mrsigner_x = format!("{}X\"", &mrsigner[..mrsigner.len() - 2]);

    let cases: Vec<JsonEdit> = vec![
        // a member removed
        (
            "without isvprodid",
            edit(q, "\"isvprodid\":1,", ""),
            Box::new(|_| field_missing(QE_IDENTITY_MEMBERS & !1024)),
        ),
        (
            "without tcbEvaluationDataNumber",
            edit(q, &format!("{number},"), ""),
            Box::new(|_| field_missing(QE_IDENTITY_MEMBERS & !16)),
        ),
        (
            "without mrsigner",
            edit(q, &format!("{mrsigner},"), ""),
            Box::new(|_| field_missing(QE_IDENTITY_MEMBERS & !512)),
        ),
        (
            "a level without tcbStatus",
            edit(q, ",\"tcbStatus\":\"UpToDate\"", ""),
            Box::new(|_| field_missing(1)),
        ),
        (
            "a level without isvsvn",
            edit(q, &first_level, &first_level.replace("isvsvn", "isvsvm")),
            Box::new(|_| field_missing(0)),
        ),
        // a broken string
        (
            "mrsigner not hex",
            edit(q, &mrsigner, &mrsigner_x),
            Box::new(move |j| malformed(offset(j, "\"mrsigner\":\"", 12 + 63))),
        ),
        (
            "miscselect a digit short",
            edit(
                q,
                "\"miscselect\":\"00000000\"",
                "\"miscselect\":\"0000000\"",
            ),
            Box::new(|j| malformed(offset(j, "\"miscselect\":\"", 14))),
        ),
        (
            "attributes with an escape",
            edit(q, "\"attributes\":\"", "\"attributes\":\"\\u"),
            Box::new(|j| malformed(offset(j, "\"attributes\":\"", 14))),
        ),
        // a broken number
        (
            "isvprodid with a leading zero",
            edit(q, "\"isvprodid\":1,", "\"isvprodid\":01,"),
            Box::new(|j| malformed(offset(j, "\"isvprodid\":", 12))),
        ),
        (
            "isvprodid empty",
            edit(q, "\"isvprodid\":1,", "\"isvprodid\":,"),
            Box::new(|j| malformed(offset(j, "\"isvprodid\":", 12))),
        ),
        (
            "isvsvn with an exponent",
            edit(q, &first_level, &first_level.replace('}', "e0}")),
            Box::new(|j| malformed(offset(j, "e0}", 0))),
        ),
        // a broken date, trailing bytes
        (
            "nextUpdate without Z",
            edit(
                q,
                "\"nextUpdate\":\"2025-07-19T10:01:18Z\"",
                "\"nextUpdate\":\"2025-07-19T10:01:18+\"",
            ),
            Box::new(|j| malformed(offset(j, "\"nextUpdate\":\"", 14))),
        ),
        (
            "a second closing brace",
            format!("{q}}}"),
            Box::new(|j| malformed(j.len() - 1)),
        ),
        // a status Intel does not define
        (
            "status Uptodate",
            edit(
                q,
                "\"tcbStatus\":\"UpToDate\"",
                "\"tcbStatus\":\"Uptodate\"",
            ),
            Box::new(|j| status_unknown(offset(j, "\"tcbStatus\":\"Uptodate\"", 12))),
        ),
        // another kind of collateral
        (
            "id TD_QE",
            edit(q, "\"id\":\"QE\"", "\"id\":\"TD_QE\""),
            Box::new(|_| unsupported(6)),
        ),
        (
            "version 3",
            edit(q, "\"version\":2,", "\"version\":3,"),
            Box::new(|j| unsupported(offset(j, "\"version\":", 10))),
        ),
    ];
    assert_json_edits_are_refused("QE identity", q, cases, read_qe_identity, isv_svn);
}

// ---- checks no authentic testdata reaches: the same verifier under a test root key -------------
//
// Seven checks sit behind Intel's signatures, and no Intel-signed input in `testdata/dcap/`
// reaches them:
//
// - `FmspcMismatch`, `PceIdMismatch`: both sides are signed (the PCK certificate's SGX extension
//   by the PCK CA; the TCB info by the TCB signing key, checked by `_signedJson` before it is
//   read). The only Intel-signed SGX TCB info here is for the testdata's one platform model
//   (FMSPC 00A067110000, PCE-ID 0000, in both cases); the TDX TCB infos are refused at their
//   `id` before the comparison (`collateral_json_is_read_only_once_intel_signed_it`). Intel
//   TCB info for another FMSPC would reach `FmspcMismatch`; every Intel PCK certificate and
//   TCB info has PCE-ID 0000, so `PceIdMismatch` is reached by no Intel-signed pair.
// - `TcbLevelNotFound`: needs a PCK certificate whose TCB is below every level of its
//   model's TCB info (the testdata's platform reaches level 2).
// - `QeIdentityMismatch`, `QeTcbLevelNotFound`: the QE report is signed by the PCK key
//   (checked in step 4, before the QE identity is read in step 7); the testdata's QEs are
//   Intel's (MRSIGNER and ISVPRODID as in the QE identity) at ISVSVN 10, above the lowest level
//   (1). A QE report with other values needs the platform's PCK key to sign it.
// - `ReportDataUpperHalfNotZero`: report_data is signed by the attestation key. dcap-qvl's
//   enclave writes zeros there; automata's writes a non-zero upper half, but is a DEBUG
//   enclave, and `DebugEnclave` is checked first (`debug_enclave_is_refused`).
//
// So they are reached here through the verifier's own code, with only its trust anchor
// replaced: the deployed bytecode with the Intel root key constant swapped for a test key,
// and the real evidence re-keyed and re-signed under it (the same certificates, CRLs, JSON and
// quote, each with its key replaced and its signature made anew). The re-signed evidence is
// accepted as the original is; each edit below, re-signed, is refused with exactly its error.

use alloy_primitives::FixedBytes;
use p256::ecdsa::SigningKey;

/// The SGX quote v3 layout, for re-signing.
const SGX_LAYOUT: QuoteLayout = QuoteLayout::SGX_V3;

/// The real evidence's editable pieces.
fn real() -> Unsigned {
    Unsigned::of(&sgx().evidence)
}

/// `u` and the rest of the real evidence, re-signed under the test root.
fn signed(u: &Unsigned, pki: &TestPki) -> DcapEvidence {
    pki.resign(u, SGX_LAYOUT, &sgx().evidence)
}

/// The verifier, deployed as `setup` deploys it, but with `root`'s key in place of Intel's
/// root key constant.
fn deploy_sgx_with_root(chain: &mut Chain, root: &SigningKey) -> Address {
    let case = sgx();
    let args = constructor_args(
        case.report.mr_enclave,
        0,
        ACCEPT_CURRENT,
        case.min_tcb_evaluation(),
    );
    deploy_with_root(chain, &DCAP_ATTESTATION_VERIFIER, &args, root)
}

#[test]
fn checks_behind_intels_signatures_refuse_with_their_errors_under_a_test_root() {
    let case = sgx();
    let pki = TestPki::new();
    let mut chain = chain_at(case.entry.valid_from, true);
    let verifier = deploy_sgx_with_root(&mut chain, &pki.root);
    let binding = case.report.binding();
    let real = real();

    // The control: the re-signed evidence is accepted with the real statuses; Intel's own is
    // refused at the first signature by the root (the anchor is all that changed).
    assert_eq!(
        check(&chain, verifier, binding, signed(&real, &pki).encode()),
        Ok((CONFIGURATION_AND_SW_HARDENING_NEEDED, UP_TO_DATE))
    );
    assert!(signature_invalid(
        &check(&chain, verifier, binding, case.evidence.encode()).unwrap_err(),
        Item::RootCaCrl
    ));

    let edit_json = |json: &str, from: &str, to: &str| {
        assert!(json.contains(from), "{from}");
        json.replacen(from, to, 1)
    };
    let pcesvn = pcesvn_offset(&real.pck_cert);
    assert_eq!(real.pck_cert[pcesvn], 13);
    let qe_svn = QE_REPORT + 258;
    assert_eq!(&real.quote[qe_svn..qe_svn + 2], &[10, 0]);
    // automata's enclave's report_data: its binding, then a non-zero upper half.
    let automata_report_data = debug().report.report_data;
    assert_ne!(automata_report_data[32..], [0; 32]);

    let mut cases: Vec<(&str, Unsigned, B256, E)> = Vec::new();
    let mut add = |name: &'static str, edit: &dyn Fn(&mut Unsigned), binding: B256, want: E| {
        let mut u = real.clone();
        edit(&mut u);
        cases.push((name, u, binding, want));
    };
    add(
        "TCB info for another FMSPC",
        &|u| {
            u.tcb_info = edit_json(
                &u.tcb_info,
                "\"fmspc\":\"00A067110000\"",
                "\"fmspc\":\"00906ED50000\"",
            )
        },
        binding,
        E::FmspcMismatch(Verifier::FmspcMismatch {
            pck: FixedBytes([0x00, 0xa0, 0x67, 0x11, 0x00, 0x00]),
            tcbInfo: FixedBytes([0x00, 0x90, 0x6e, 0xd5, 0x00, 0x00]),
        }),
    );
    add(
        "TCB info for another PCE",
        &|u| u.tcb_info = edit_json(&u.tcb_info, "\"pceId\":\"0000\"", "\"pceId\":\"0001\""),
        binding,
        E::PceIdMismatch(Verifier::PceIdMismatch {
            pck: FixedBytes([0x00, 0x00]),
            tcbInfo: FixedBytes([0x00, 0x01]),
        }),
    );
    add(
        "PCK certificate PCESVN 4, below every TCB level (the lowest needs 5)",
        &|u| u.pck_cert[pcesvn] = 4,
        binding,
        E::TcbLevelNotFound(Verifier::TcbLevelNotFound {}),
    );
    add(
        "QE report MRSIGNER not Intel's",
        &|u| u.quote[QE_REPORT + 128] ^= 1,
        binding,
        E::QeIdentityMismatch(Verifier::QeIdentityMismatch {}),
    );
    add(
        "QE report ISVPRODID 2 (Intel's QE is 1)",
        &|u| u.quote[QE_REPORT + 256] = 2,
        binding,
        E::QeIdentityMismatch(Verifier::QeIdentityMismatch {}),
    );
    add(
        "QE identity for another MRSIGNER",
        &|u| u.qe_identity = edit_json(&u.qe_identity, "\"mrsigner\":\"8C", "\"mrsigner\":\"9C"),
        binding,
        E::QeIdentityMismatch(Verifier::QeIdentityMismatch {}),
    );
    add(
        "QE ISVSVN 0, below every QE identity level (the lowest is 1)",
        &|u| u.quote[qe_svn] = 0,
        binding,
        E::QeTcbLevelNotFound(Verifier::QeTcbLevelNotFound {
            qeIsvSvn: U256::ZERO,
        }),
    );
    add(
        "report_data upper half not zero",
        &|u| u.quote[REPORT + 320 + 63] ^= 1,
        binding,
        E::ReportDataUpperHalfNotZero(Verifier::ReportDataUpperHalfNotZero {}),
    );
    add(
        "automata's report_data (non-zero upper half), with its binding",
        &|u| u.quote[REPORT + 320..REPORT + 384].copy_from_slice(&automata_report_data),
        debug().report.binding(),
        E::ReportDataUpperHalfNotZero(Verifier::ReportDataUpperHalfNotZero {}),
    );
    for (name, unsigned, binding, want) in cases {
        let evidence = signed(&unsigned, &pki).encode();
        assert_eq!(
            check(&chain, verifier, binding, evidence.clone()),
            Err(want),
            "{name}"
        );
        assert!(!verify(&chain, verifier, binding, evidence), "{name}");
    }
}
