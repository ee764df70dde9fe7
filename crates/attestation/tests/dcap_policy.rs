//! The key-generation policy on a real SGX quote: each violation gives its own error, and a
//! quote that meets every rule is accepted.

#![allow(unused_crate_dependencies)]

mod common;

use alloy_primitives::{Address, B256};
use common::*;
use lsv_attestation::{
    DcapError, DcapVerifier, KeyGenerationClaim, KeyGenerationPolicy, TcbStatus,
};
use lsv_consensus::PublicKeyBytes;

fn sample_mr_enclave() -> B256 {
    "0x33d8736db756ed4997e04ba358d27833188f1932ff7b1d156904d3f560452fbb"
        .parse()
        .unwrap()
}

/// A policy the sample meets: its MRENCLAVE, ISVSVN 0, and its actual TCB status listed.
fn policy() -> KeyGenerationPolicy {
    KeyGenerationPolicy {
        mr_enclaves: vec![B256::repeat_byte(0x11), sample_mr_enclave()],
        min_isv_svn: 0,
        td_measurements: vec![],
        accepted_tcb_statuses: vec![
            TcbStatus::UpToDate,
            TcbStatus::ConfigurationAndSWHardeningNeeded,
        ],
    }
}

/// The sample's report data reads as `binding ‖ 0^32` for this "binding".
fn sample_binding() -> B256 {
    B256::from_slice(&hello_report_data()[..32])
}

#[test]
fn a_quote_meeting_every_rule_is_accepted() {
    let (quote, collateral, now) = sgx_sample();
    let v = DcapVerifier::intel()
        .verify_key_generation(&quote, &collateral, now, &policy(), sample_binding())
        .unwrap();
    assert_eq!(v.tcb_status, TcbStatus::ConfigurationAndSWHardeningNeeded);
}

#[test]
fn an_untrusted_mrenclave_is_its_own_error() {
    let (quote, collateral, now) = sgx_sample();
    let mut p = policy();
    p.mr_enclaves.retain(|m| *m != sample_mr_enclave());
    assert_eq!(
        DcapVerifier::intel().verify_key_generation(&quote, &collateral, now, &p, sample_binding()),
        Err(DcapError::MrEnclaveNotTrusted(sample_mr_enclave()))
    );
}

#[test]
fn an_isvsvn_below_the_minimum_is_its_own_error() {
    let (quote, collateral, now) = sgx_sample();
    let mut p = policy();
    p.min_isv_svn = 1;
    assert_eq!(
        DcapVerifier::intel().verify_key_generation(&quote, &collateral, now, &p, sample_binding()),
        Err(DcapError::IsvSvnTooLow {
            found: 0,
            minimum: 1
        })
    );
}

#[test]
fn a_tcb_status_not_listed_is_its_own_error() {
    let (quote, collateral, now) = sgx_sample();
    let mut p = policy();
    p.accepted_tcb_statuses = vec![TcbStatus::UpToDate, TcbStatus::SWHardeningNeeded];
    assert_eq!(
        DcapVerifier::intel().verify_key_generation(&quote, &collateral, now, &p, sample_binding()),
        Err(DcapError::TcbStatusNotAccepted {
            found: TcbStatus::ConfigurationAndSWHardeningNeeded,
            accepted: p.accepted_tcb_statuses.clone(),
        })
    );
}

#[test]
fn report_data_for_another_binding_is_its_own_error() {
    let (quote, collateral, now) = sgx_sample();
    let claim = KeyGenerationClaim {
        pubkey: PublicKeyBytes([0xaa; 48]),
        withdrawal_credentials: B256::repeat_byte(2),
        owner: Address::repeat_byte(0x0e),
        chain_id: 1,
        genesis_validators_root: B256::repeat_byte(3),
        policy_hash: B256::repeat_byte(4),
    };
    let got = DcapVerifier::intel().verify_key_generation(
        &quote,
        &collateral,
        now,
        &policy(),
        claim.binding(),
    );
    assert_eq!(
        got,
        Err(DcapError::ReportDataMismatch {
            expected: claim.binding(),
            found: hello_report_data().to_vec(),
        })
    );
}

#[test]
fn the_debug_quote_is_refused_for_key_generation() {
    let e = entry("automata dcap-rs quote_sgx");
    let quote = read_quote(e["quote_file"].as_str().unwrap());
    let mr: B256 = "0xa39d532e6ac9fe8ad9418851bbe26e1dee7408006505fce8580b511b97e704b4"
        .parse()
        .unwrap();
    let p = KeyGenerationPolicy {
        mr_enclaves: vec![mr],
        min_isv_svn: 0,
        td_measurements: vec![],
        accepted_tcb_statuses: TcbStatus::ALL_NOT_REVOKED.to_vec(),
    };
    let got = DcapVerifier::intel().verify_key_generation(
        &quote,
        &read_collateral(&e),
        e["now_used_by_upstream_test_unix"].as_u64().unwrap(),
        &p,
        B256::ZERO,
    );
    assert_eq!(got, Err(DcapError::DebugEnclave("SGX enclave")));
}

#[test]
fn a_tdx_quote_is_key_generation_evidence_only_for_a_trusted_td_measurement() {
    let e = entry("dcap-qvl tdx_quote");
    let quote = read_quote(e["quote_file"].as_str().unwrap());
    let mut p = policy();
    p.accepted_tcb_statuses = vec![TcbStatus::UpToDate];
    let got = DcapVerifier::intel().verify_key_generation(
        &quote,
        &read_collateral(&e),
        e["now_used_by_upstream_test_unix"].as_u64().unwrap(),
        &p,
        B256::ZERO,
    );
    let Err(DcapError::TdMeasurementNotTrusted(measurement)) = got else {
        panic!("{got:?}")
    };
    // Trusting that measurement (and nothing about SGX) passes the TD policy; the sample's
    // REPORTDATA (a 64-byte value, not binding ‖ 0^32) is then what refuses it, whatever the
    // binding.
    p.td_measurements = vec![measurement];
    p.mr_enclaves.clear();
    let now = e["now_used_by_upstream_test_unix"].as_u64().unwrap();
    let verified = DcapVerifier::intel()
        .verify_quote(&quote, &read_collateral(&e), now, &p.accepted_tcb_statuses)
        .unwrap();
    let report_data = *verified.report.report_data();
    assert!(report_data[32..].iter().any(|b| *b != 0));
    let binding = B256::from_slice(&report_data[..32]);
    let got =
        DcapVerifier::intel().verify_key_generation(&quote, &read_collateral(&e), now, &p, binding);
    assert_eq!(
        got,
        Err(DcapError::ReportDataMismatch {
            expected: binding,
            found: report_data.to_vec(),
        })
    );
}

#[test]
fn expired_or_not_yet_issued_collateral_is_refused() {
    let e = entry("dcap-qvl sgx_quote");
    let (quote, collateral, _) = sgx_sample();
    let from = e["collateral_valid_from_unix"].as_u64().unwrap();
    let until = e["collateral_valid_until_unix"].as_u64().unwrap();
    for now in [from - 1, until + 1] {
        let got = DcapVerifier::intel().verify_key_generation(
            &quote,
            &collateral,
            now,
            &policy(),
            sample_binding(),
        );
        assert!(
            matches!(
                got,
                Err(DcapError::CollateralExpired { .. } | DcapError::CollateralNotYetValid { .. })
            ),
            "at {now}: {got:?}"
        );
    }
    for now in [from, until] {
        assert!(DcapVerifier::intel()
            .verify_key_generation(&quote, &collateral, now, &policy(), sample_binding())
            .is_ok());
    }
}

#[test]
fn the_policy_round_trips_through_json() {
    let p = policy();
    let text = serde_json::to_string(&p).unwrap();
    assert!(text.contains("ConfigurationAndSWHardeningNeeded"));
    assert_eq!(
        serde_json::from_str::<KeyGenerationPolicy>(&text).unwrap(),
        p
    );
}
