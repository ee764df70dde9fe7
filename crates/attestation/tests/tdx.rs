//! The tdx-dcap backend against a directory laid out like configfs-tsm's report request
//! (`/sys/kernel/config/tsm/report/<name>/`), holding a real TDX quote from testdata.

#![allow(unused_crate_dependencies)]

mod common;

use alloy_primitives::{Address, B256};
use common::*;
use lsv_attestation::multi::PlatformId;
use lsv_attestation::tdx::TdxDcapAttester;
use lsv_attestation::{
    AttestError, Attester, Backend, DcapVerifier, KeyGenerationClaim, KeyGenerationPolicy,
    ReportBody, TcbStatus,
};
use lsv_consensus::PublicKeyBytes;
use std::path::{Path, PathBuf};

/// A configfs-tsm root whose request `lsv-p` exists with `provider`, `generation` and `outblob`
/// (configfs creates the attributes on `mkdir`; a plain directory needs them written).
fn fake_tsm(provider: &str, quote: &[u8]) -> tempfile::TempDir {
    let root = tempfile::tempdir().unwrap();
    let entry = root.path().join("lsv-p");
    std::fs::create_dir(&entry).unwrap();
    std::fs::write(entry.join("provider"), format!("{provider}\n")).unwrap();
    std::fs::write(entry.join("generation"), "1\n").unwrap();
    std::fs::write(entry.join("outblob"), quote).unwrap();
    root
}

fn entry_of(root: &Path) -> PathBuf {
    root.join("lsv-p")
}

fn tdx_sample() -> (Vec<u8>, lsv_attestation::Collateral, u64) {
    let e = entry("dcap-qvl tdx_quote");
    (
        read_quote(e["quote_file"].as_str().unwrap()),
        read_collateral(&e),
        e["now_used_by_upstream_test_unix"].as_u64().unwrap(),
    )
}

/// The sample TD quote's REPORTDATA.
fn sample_report_data(quote: &[u8]) -> [u8; 64] {
    let parsed = dcap_qvl::quote::Quote::parse(quote).unwrap();
    parsed.report.as_td10().unwrap().report_data
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

#[test]
fn the_backend_refuses_to_start_unless_the_provider_is_tdx_guest() {
    let (quote, _, _) = tdx_sample();
    for provider in ["sev_guest", ""] {
        let root = fake_tsm(provider, &quote);
        assert!(matches!(
            TdxDcapAttester::open(root.path()),
            Err(AttestError::NotTdx { found }) if found == provider
        ));
    }
    // No configfs-tsm at all (not in a TD, or a kernel without it): the error names the path.
    let missing = tempfile::tempdir().unwrap();
    let got = TdxDcapAttester::open(missing.path().join("tsm/report"));
    let Err(AttestError::Io { path, .. }) = got else {
        panic!("{:?}", got.err())
    };
    assert!(path.ends_with("tsm/report/lsv-p"));
    // `open` creates the request when it is missing (configfs then populates it).
    let bare = tempfile::tempdir().unwrap();
    assert!(matches!(
        TdxDcapAttester::open(bare.path()),
        Err(AttestError::Io { .. })
    ));
    assert!(entry_of(bare.path()).is_dir());
}

#[test]
fn attest_writes_binding_then_zeros_and_checks_the_quote_carries_them() {
    let (quote, _, _) = tdx_sample();
    let root = fake_tsm("tdx_guest", &quote);
    let attester = TdxDcapAttester::open(root.path()).unwrap();
    assert_eq!(attester.backend(), Backend::TdxDcap);
    assert!(attester.is_hardware_backed());
    let c = claim();
    // The sample quote was made over other report data: P must notice.
    let got = attester.attest(&c);
    let expected_found = format!("0x{}", hex::encode(sample_report_data(&quote)));
    assert!(
        matches!(&got, Err(AttestError::ReportDataMismatch { found }) if *found == expected_found),
        "{got:?}"
    );
    let written = std::fs::read(entry_of(root.path()).join("inblob")).unwrap();
    assert_eq!(
        written,
        lsv_attestation::binding::report_data_for(c.binding())
    );
}

#[test]
fn a_quote_over_the_written_report_data_is_returned_and_verifies_under_its_measurement() {
    let (quote, collateral, now) = tdx_sample();
    let root = fake_tsm("tdx_guest", &quote);
    let attester = TdxDcapAttester::open(root.path()).unwrap();
    let report_data = sample_report_data(&quote);
    let got = attester.quote(&report_data).unwrap();
    assert_eq!(got, quote);

    let verifier = DcapVerifier::intel();
    let verified = verifier
        .verify_quote(&got, &collateral, now, &[TcbStatus::UpToDate])
        .unwrap();
    let ReportBody::Td { measurement, .. } = verified.report else {
        panic!("not a TD report: {:?}", verified.report)
    };
    // The measurement is SHA-256 over the TD report's bytes 136..520 (MRTD .. RTMR3), at
    // offset 48 of the quote (after the v4 header).
    use sha2::Digest;
    assert_eq!(
        measurement,
        B256::from_slice(&sha2::Sha256::digest(&quote[48 + 136..48 + 520]))
    );
    assert_eq!(
        measurement,
        lsv_attestation::td_measurement(
            dcap_qvl::quote::Quote::parse(&quote)
                .unwrap()
                .report
                .as_td10()
                .unwrap()
        )
    );
    let policy = KeyGenerationPolicy {
        mr_enclaves: vec![],
        min_isv_svn: 0,
        td_measurements: vec![measurement],
        accepted_tcb_statuses: vec![TcbStatus::UpToDate],
    };
    // The sample's REPORTDATA is not binding ‖ 0^32, so key generation refuses it by that
    // check only: every check before it (Intel's chain, the TD measurement) passed.
    let binding = B256::from_slice(&report_data[..32]);
    assert!(matches!(
        verifier.verify_key_generation(&got, &collateral, now, &policy, binding),
        Err(lsv_attestation::DcapError::ReportDataMismatch { .. })
    ));
}

#[test]
fn an_sgx_or_garbage_quote_from_the_host_is_refused() {
    let sgx = read_quote("dcap-qvl/sample/sgx_quote");
    let root = fake_tsm("tdx_guest", &sgx);
    let attester = TdxDcapAttester::open(root.path()).unwrap();
    assert!(matches!(
        attester.attest(&claim()),
        Err(AttestError::NotTdQuote)
    ));

    let root = fake_tsm("tdx_guest", b"not a quote");
    let attester = TdxDcapAttester::open(root.path()).unwrap();
    assert!(matches!(
        attester.attest(&claim()),
        Err(AttestError::BadQuote(_))
    ));
}

/// Another writer between P's `inblob` and its read of `outblob`: the kernel bumps
/// `generation`, and P refuses the quote. `outblob` is a FIFO here, so the "kernel" (a thread)
/// changes `generation` exactly while P reads.
#[test]
fn a_request_written_by_someone_else_while_p_reads_is_refused() {
    let (quote, _, _) = tdx_sample();
    let root = fake_tsm("tdx_guest", &quote);
    let entry = entry_of(root.path());
    let outblob = entry.join("outblob");
    std::fs::remove_file(&outblob).unwrap();
    let status = std::process::Command::new("mkfifo")
        .arg(&outblob)
        .status()
        .unwrap();
    assert!(status.success());
    let attester = TdxDcapAttester::open(root.path()).unwrap();
    let kernel = {
        let entry = entry.clone();
        let quote = quote.clone();
        std::thread::spawn(move || {
            use std::io::Write;
            // Opening a FIFO for writing waits for P to open it for reading, which P does
            // after reading `generation` the first time.
            let mut out = std::fs::OpenOptions::new()
                .write(true)
                .open(entry.join("outblob"))
                .unwrap();
            std::fs::write(entry.join("generation"), "2\n").unwrap();
            out.write_all(&quote).unwrap();
        })
    };
    let got = attester.quote(&sample_report_data(&quote));
    kernel.join().unwrap();
    assert!(
        matches!(&got, Err(AttestError::ConcurrentRequest { before, after }) if before == "1" && after == "2"),
        "{got:?}"
    );
}

#[test]
fn device_evidence_is_a_quote_over_the_binding_and_names_the_pck_platform() {
    let (quote, collateral, now) = tdx_sample();
    let root = fake_tsm("tdx_guest", &quote);
    let attester = TdxDcapAttester::open(root.path()).unwrap();
    let report_data = sample_report_data(&quote);
    // Device evidence binds `binding ‖ 0^32`; the sample's upper half is not zero, so P refuses
    // the sample for any binding: the quote must be over exactly what P wrote.
    let binding = B256::from_slice(&report_data[..32]);
    assert!(matches!(
        attester.attest_device(binding),
        Err(AttestError::ReportDataMismatch { .. })
    ));
    // The platform P states is the PCK certificate's, as verification proves it.
    let stated = lsv_attestation::quote_platform(&quote).unwrap();
    let verified = DcapVerifier::intel()
        .verify_quote(&quote, &collateral, now, &[TcbStatus::UpToDate])
        .unwrap();
    assert_eq!(stated, verified.platform);
    assert_eq!(stated.ppid.len(), 16);
    assert_eq!(stated.fmspc.len(), 6);
    assert_eq!(
        serde_json::to_value(PlatformId::Sgx(stated)).unwrap()["type"],
        "sgx"
    );
}
