//! The sgx-dcap backend against a directory laid out like Gramine's `/dev/attestation/`,
//! holding a real quote from testdata.

#![allow(unused_crate_dependencies)]

mod common;

use alloy_primitives::{Address, B256};
use common::*;
use lsv_attestation::gramine::{require_dcap, GramineDcapAttester};
use lsv_attestation::{
    AttestError, Attester, Backend, DcapVerifier, KeyGenerationClaim, KeyGenerationPolicy,
    TcbStatus,
};
use lsv_consensus::PublicKeyBytes;
use std::path::Path;

fn fake_gramine(attestation_type: &str, quote: &[u8]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("attestation_type"), attestation_type).unwrap();
    std::fs::write(dir.path().join("user_report_data"), [0u8; 64]).unwrap();
    std::fs::write(dir.path().join("quote"), quote).unwrap();
    dir
}

fn claim() -> KeyGenerationClaim {
    KeyGenerationClaim {
        pubkey: PublicKeyBytes([0xa5; 48]),
        withdrawal_credentials: B256::repeat_byte(2),
        owner: Address::repeat_byte(0x0e),
        chain_id: 560_048,
        genesis_validators_root: B256::repeat_byte(3),
        policy_hash: B256::repeat_byte(4),
    }
}

fn written(dir: &Path) -> Vec<u8> {
    std::fs::read(dir.join("user_report_data")).unwrap()
}

#[test]
fn the_backend_refuses_to_start_unless_gramine_says_dcap() {
    let (quote, _, _) = sgx_sample();
    for kind in ["none", "epid", ""] {
        let dir = fake_gramine(kind, &quote);
        assert!(matches!(
            GramineDcapAttester::open(dir.path()),
            Err(AttestError::NotDcap { found }) if found == kind
        ));
    }
    let missing = tempfile::tempdir().unwrap();
    assert!(matches!(
        require_dcap(&missing.path().join("attestation")),
        Err(AttestError::Io { .. })
    ));
    // Gramine's file may end in a newline.
    assert!(GramineDcapAttester::open(fake_gramine("dcap\n", &quote).path()).is_ok());
}

#[test]
fn attest_writes_binding_then_zeros_and_checks_the_quote_carries_them() {
    let (quote, _, _) = sgx_sample();
    let dir = fake_gramine("dcap", &quote);
    let attester = GramineDcapAttester::open(dir.path()).unwrap();
    assert_eq!(attester.backend(), Backend::SgxDcap);
    assert!(attester.is_hardware_backed());
    let c = claim();
    // The sample quote was made over "Hello, world!", not over this claim: P must notice.
    let got = attester.attest(&c);
    assert!(
        matches!(&got, Err(AttestError::ReportDataMismatch { found }) if found.starts_with("0x48656c6c6f2c20776f726c6421")),
        "{got:?}"
    );
    let mut expected = c.binding().to_vec();
    expected.extend([0u8; 32]);
    assert_eq!(written(dir.path()), expected);
}

#[test]
fn a_quote_over_the_written_report_data_is_returned_and_verifies() {
    // Gramine's quote for REPORTDATA "Hello, world!": write exactly that, read the real quote.
    let (quote, collateral, now) = sgx_sample();
    let dir = fake_gramine("dcap", &quote);
    let attester = GramineDcapAttester::open(dir.path()).unwrap();
    let got = attester.quote(&hello_report_data()).unwrap();
    assert_eq!(got, quote);
    assert_eq!(written(dir.path()), hello_report_data());
    let policy = KeyGenerationPolicy {
        mr_enclaves: vec![
            "0x33d8736db756ed4997e04ba358d27833188f1932ff7b1d156904d3f560452fbb"
                .parse()
                .unwrap(),
        ],
        min_isv_svn: 0,
        td_measurements: vec![],
        accepted_tcb_statuses: vec![TcbStatus::ConfigurationAndSWHardeningNeeded],
    };
    DcapVerifier::intel()
        .verify_key_generation(
            &got,
            &collateral,
            now,
            &policy,
            B256::from_slice(&hello_report_data()[..32]),
        )
        .unwrap();
}

#[test]
fn a_tdx_or_garbage_quote_from_the_host_is_refused() {
    let tdx = read_quote("dcap-qvl/sample/tdx_quote");
    let dir = fake_gramine("dcap", &tdx);
    let attester = GramineDcapAttester::open(dir.path()).unwrap();
    assert!(matches!(
        attester.attest(&claim()),
        Err(AttestError::NotSgxQuote)
    ));

    let dir = fake_gramine("dcap", b"not a quote");
    let attester = GramineDcapAttester::open(dir.path()).unwrap();
    assert!(matches!(
        attester.attest(&claim()),
        Err(AttestError::BadQuote(_))
    ));
}

#[test]
fn device_evidence_is_a_quote_over_the_binding_and_names_the_pck_platform() {
    let (quote, collateral, now) = sgx_sample();
    let dir = fake_gramine("dcap", &quote);
    let attester = GramineDcapAttester::open(dir.path()).unwrap();
    // The sample was made over "Hello, world!" ‖ 0…: as a binding ‖ 0^32 it is accepted.
    let binding = B256::from_slice(&hello_report_data()[..32]);
    let (evidence, platform) = attester.attest_device(binding).unwrap();
    assert_eq!(evidence.as_ref(), quote.as_slice());
    assert_eq!(written(dir.path()), hello_report_data());
    // The platform P states is the one verification proves from the PCK certificate.
    let verified = DcapVerifier::intel()
        .verify_quote(
            &quote,
            &collateral,
            now,
            &[TcbStatus::ConfigurationAndSWHardeningNeeded],
        )
        .unwrap();
    assert_eq!(
        platform,
        lsv_attestation::multi::PlatformId::Sgx(verified.platform)
    );
    // Over any other binding the sample is not this request's quote.
    assert!(matches!(
        attester.attest_device(B256::repeat_byte(7)),
        Err(AttestError::ReportDataMismatch { .. })
    ));
}
