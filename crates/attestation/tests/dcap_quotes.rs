//! Every real quote in `testdata/dcap/quotes.json`, verified at four times, accepted or
//! rejected exactly as the index says; then mutations of a real quote and its collateral.

#![allow(unused_crate_dependencies)]

mod common;

use common::*;
use lsv_attestation::{Collateral, DcapError, DcapVerifier, ReportBody, TcbStatus};
use proptest::prelude::*;

/// The four times the index records results for, from the collateral window.
fn times(entry: &serde_json::Value) -> [(&'static str, u64); 4] {
    let from = entry["collateral_valid_from_unix"].as_u64().unwrap();
    let until = entry["collateral_valid_until_unix"].as_u64().unwrap();
    [
        ("at_valid_from", from),
        ("at_valid_until_minus_1", until - 1),
        ("after_expiry", until + 86_400),
        ("before_issue", from - 86_400),
    ]
}

#[test]
fn every_indexed_quote_is_accepted_or_rejected_as_quotes_json_says() {
    let verifier = DcapVerifier::intel();
    let mut checked = 0;
    for entry in index() {
        let Some(results) = entry.get("dcap_qvl_0_7_0_results") else {
            continue; // parse-only samples without collateral
        };
        let name = entry["name"].as_str().unwrap();
        let quote = read_quote(entry["quote_file"].as_str().unwrap());
        let collateral = read_collateral(&entry);
        for (label, now) in times(&entry) {
            let expected = &results[label];
            // Every status but Revoked: the index's outcomes come from dcap-qvl without policy.
            let got = verifier.verify_quote(&quote, &collateral, now, &TcbStatus::ALL_NOT_REVOKED);
            if expected["ok"].as_bool().unwrap() {
                let v = got.unwrap_or_else(|e| panic!("{name} at {label}: refused: {e}"));
                assert_eq!(
                    v.tcb_status.to_string(),
                    expected["status"].as_str().unwrap(),
                    "{name} at {label}"
                );
                let advisories: Vec<String> =
                    serde_json::from_value(expected["advisory_ids"].clone()).unwrap();
                assert_eq!(v.advisory_ids, advisories, "{name} at {label}");
                assert_eq!(
                    u64::from(v.quote_version),
                    entry["quote_version"].as_u64().unwrap()
                );
                assert!(v.collateral_valid_from <= now && now <= v.collateral_valid_until);
            } else {
                let reason = expected["error"].as_str().unwrap();
                let reason = reason
                    .strip_prefix("Verification failed: ")
                    .unwrap_or(reason);
                match got {
                    Ok(v) => panic!(
                        "{name} at {label}: accepted ({:?}), expected {reason}",
                        v.tcb_status
                    ),
                    // Our own debug check runs where dcap-qvl's would have.
                    Err(DcapError::DebugEnclave(_)) => assert_eq!(reason, "Debug mode is enabled"),
                    // Our own date check runs before dcap-qvl's and names the item.
                    Err(DcapError::CollateralExpired { .. }) => {
                        assert_eq!(label, "after_expiry");
                        assert!(reason.ends_with("expired"), "{reason}");
                    }
                    Err(DcapError::CollateralNotYetValid { .. }) => {
                        assert_eq!(label, "before_issue");
                        assert!(reason.ends_with("in the future"), "{reason}");
                    }
                    Err(DcapError::Untrusted(m)) => {
                        assert!(
                            m.contains(reason),
                            "{name} at {label}: {m:?} is not {reason:?}"
                        )
                    }
                    Err(e) => panic!("{name} at {label}: {e}, expected {reason}"),
                }
            }
            checked += 1;
        }
    }
    assert_eq!(
        checked,
        5 * 4,
        "five quotes with collateral, four times each"
    );
}

fn unix(rfc3339: &str) -> u64 {
    rfc3339
        .parse::<x509_cert::der::DateTime>()
        .unwrap()
        .unix_duration()
        .as_secs()
}

#[test]
fn validity_windows_are_the_ones_the_index_records() {
    for entry in index() {
        if entry.get("dcap_qvl_0_7_0_results").is_none() {
            continue;
        }
        let name = entry["name"].as_str().unwrap();
        let quote = read_quote(entry["quote_file"].as_str().unwrap());
        let windows = read_collateral(&entry).validity_windows(&quote).unwrap();
        let window = |item: &str| {
            windows
                .iter()
                .find(|w| w.item == item)
                .unwrap_or_else(|| panic!("{name}: no {item} in {windows:?}"))
        };
        for (item, key) in [
            ("TCB Info", "tcb_info_window"),
            ("QE Identity", "qe_identity_window"),
            ("PCK CRL", "pck_crl_window"),
            ("root CA CRL", "root_ca_crl_window"),
            (
                "certificate \"Intel SGX PCK Certificate\" of the PCK certificate chain",
                "pck_leaf_cert_validity",
            ),
        ] {
            let w = window(item);
            let recorded = &entry[key];
            assert_eq!(
                (w.not_before, w.not_after),
                (
                    unix(recorded[0].as_str().unwrap()),
                    Some(unix(recorded[1].as_str().unwrap()))
                ),
                "{name}: {item}"
            );
        }
        // The window they make up together is the one dcap-qvl computes.
        let latest_issue = windows.iter().map(|w| w.not_before).max().unwrap();
        let earliest_expiry = windows.iter().filter_map(|w| w.not_after).min().unwrap();
        assert_eq!(
            (latest_issue, earliest_expiry),
            (
                entry["collateral_valid_from_unix"].as_u64().unwrap(),
                entry["collateral_valid_until_unix"].as_u64().unwrap()
            ),
            "{name}"
        );
        // Each certificate once (Intel's root ends all four chains).
        let roots = windows
            .iter()
            .filter(|w| w.item.contains("\"Intel SGX Root CA\""))
            .count();
        assert_eq!(roots, 1, "{name}: {windows:?}");
    }
}

#[test]
fn expired_collateral_is_named_with_its_expiry_and_the_time() {
    let (quote, collateral, _) = sgx_sample();
    // quotes.json: QE Identity expires first (2025-07-19T10:01:18Z), then the PCK CRL
    // (10:23:18), then TCB Info (10:56:11).
    let qe_expiry = unix("2025-07-19T10:01:18Z");
    assert!(DcapVerifier::intel()
        .verify_quote(&quote, &collateral, qe_expiry, &TcbStatus::ALL_NOT_REVOKED)
        .is_ok());
    for (now, first) in [
        (qe_expiry + 1, "QE Identity"),
        (unix("2025-07-19T10:30:00Z"), "QE Identity"),
        // A day after everything expired (the index's "after_expiry"): still the first one.
        (qe_expiry + 86_400, "QE Identity"),
    ] {
        let e = refused(&quote, &collateral, now);
        assert_eq!(
            e,
            DcapError::CollateralExpired {
                item: first.into(),
                expired_at: qe_expiry,
                now,
            }
        );
        let text = e.to_string();
        assert!(
            text.starts_with("QE Identity expired at 2025-07-19T10:01:18Z (unix 1752919278)"),
            "{text}"
        );
    }
    let text = refused(&quote, &collateral, qe_expiry + 86_400).to_string();
    assert!(
        text.ends_with("verification time is 2025-07-20T10:01:18Z (unix 1753005678)"),
        "{text}"
    );
}

#[test]
fn collateral_not_yet_issued_is_named_with_its_issue_date_and_the_time() {
    let (quote, collateral, _) = sgx_sample();
    // quotes.json: TCB Info is issued last (2025-06-19T10:56:11Z).
    let tcb_issue = unix("2025-06-19T10:56:11Z");
    assert!(DcapVerifier::intel()
        .verify_quote(&quote, &collateral, tcb_issue, &TcbStatus::ALL_NOT_REVOKED)
        .is_ok());
    for now in [tcb_issue - 1, tcb_issue - 86_400] {
        let e = refused(&quote, &collateral, now);
        assert_eq!(
            e,
            DcapError::CollateralNotYetValid {
                item: "TCB Info".into(),
                valid_from: tcb_issue,
                now,
            }
        );
        assert!(e
            .to_string()
            .starts_with("TCB Info is not valid before 2025-06-19T10:56:11Z (unix 1750330571)"));
    }
    // Before the PCK leaf certificate itself (2023-09-20T21:53:43Z): every item is pending;
    // the one named is the last to become valid.
    let e = refused(&quote, &collateral, unix("2023-01-01T00:00:00Z"));
    assert!(
        matches!(&e, DcapError::CollateralNotYetValid { item, valid_from, .. }
            if item == "TCB Info" && *valid_from == tcb_issue),
        "{e}"
    );
}

#[test]
fn the_debug_quote_is_rejected_inside_its_window() {
    let e = entry("automata dcap-rs quote_sgx");
    let quote = read_quote(e["quote_file"].as_str().unwrap());
    let now = e["now_used_by_upstream_test_unix"].as_u64().unwrap();
    let got = DcapVerifier::intel().verify_quote(
        &quote,
        &read_collateral(&e),
        now,
        &TcbStatus::ALL_NOT_REVOKED,
    );
    assert_eq!(got, Err(DcapError::DebugEnclave("SGX enclave")));
}

#[test]
fn the_sgx_sample_parses_to_its_documented_fields() {
    let (quote, collateral, now) = sgx_sample();
    let v = DcapVerifier::intel()
        .verify_quote(&quote, &collateral, now, &TcbStatus::ALL_NOT_REVOKED)
        .unwrap();
    let ReportBody::Sgx {
        mr_enclave,
        mr_signer,
        isv_prod_id,
        isv_svn,
        debug,
        report_data,
    } = v.report
    else {
        panic!("an SGX quote")
    };
    // SOURCE.md, "Notes".
    assert_eq!(
        mr_enclave.to_string(),
        "0x33d8736db756ed4997e04ba358d27833188f1932ff7b1d156904d3f560452fbb"
    );
    assert_eq!(
        mr_signer.to_string(),
        "0x815f42f11cf64430c30bab7816ba596a1da0130c3b028b673133a66cf9a3e0e6"
    );
    assert_eq!((isv_prod_id, isv_svn, debug), (0, 0, false));
    assert_eq!(report_data, hello_report_data());
    assert_eq!(hex::encode(&v.platform.fmspc), "00a067110000");
    assert_eq!(v.platform.ppid.len(), 16);
}

#[test]
fn tdx_v4_quotes_verify_and_say_so() {
    let e = entry("dcap-qvl tdx_quote");
    let quote = read_quote(e["quote_file"].as_str().unwrap());
    let v = DcapVerifier::intel()
        .verify_quote(
            &quote,
            &read_collateral(&e),
            e["now_used_by_upstream_test_unix"].as_u64().unwrap(),
            &[TcbStatus::UpToDate],
        )
        .unwrap();
    assert_eq!(v.quote_version, 4);
    assert!(matches!(v.report, ReportBody::Td { debug: false, .. }));
    assert_eq!(hex::encode(&v.platform.fmspc), "b0c06f000000");
}

// ---- mutations ----------------------------------------------------------------------------

fn refused(quote: &[u8], collateral: &Collateral, now: u64) -> DcapError {
    DcapVerifier::intel()
        .verify_quote(quote, collateral, now, &TcbStatus::ALL_NOT_REVOKED)
        .expect_err("a mutated quote must be refused")
}

/// Offsets in an SGX v3 quote (Intel DCAP ECDSA Quote Library API, "Quote Format"): 48-byte
/// header, 384-byte report body (`REPORTDATA` at body offset 320), then the signature data
/// length (4), the ISV report signature (64), the attestation key (64), the QE report (384),
/// its signature (64), QE authentication data and the certification data (the PCK chain).
const BODY: usize = 48;
const REPORT_DATA: usize = BODY + 320;
const SIGNATURE: usize = 48 + 384 + 4;
const ATTESTATION_KEY: usize = SIGNATURE + 64;
const QE_REPORT: usize = ATTESTATION_KEY + 64;
const QE_REPORT_SIGNATURE: usize = QE_REPORT + 384;

fn flipped(quote: &[u8], at: usize) -> Vec<u8> {
    let mut q = quote.to_vec();
    q[at] ^= 0x01;
    q
}

#[test]
fn the_unmutated_sample_is_accepted() {
    let (quote, collateral, now) = sgx_sample();
    assert!(DcapVerifier::intel()
        .verify_quote(&quote, &collateral, now, &TcbStatus::ALL_NOT_REVOKED)
        .is_ok());
}

#[test]
fn a_flipped_byte_in_the_body_is_rejected() {
    let (quote, collateral, now) = sgx_sample();
    for at in [
        BODY,
        BODY + 64,  /* MRENCLAVE */
        BODY + 256, /* ISVSVN */
    ] {
        assert!(matches!(
            refused(&flipped(&quote, at), &collateral, now),
            DcapError::Untrusted(_)
        ));
    }
}

#[test]
fn a_flipped_byte_in_report_data_is_rejected() {
    let (quote, collateral, now) = sgx_sample();
    let e = refused(&flipped(&quote, REPORT_DATA + 31), &collateral, now);
    assert!(
        matches!(&e, DcapError::Untrusted(m) if m.contains("signature")),
        "{e}"
    );
}

#[test]
fn a_flipped_byte_in_the_signatures_or_keys_is_rejected() {
    let (quote, collateral, now) = sgx_sample();
    for at in [
        SIGNATURE,
        SIGNATURE + 40,
        ATTESTATION_KEY + 7,
        QE_REPORT + 64,
        QE_REPORT_SIGNATURE + 3,
    ] {
        let e = refused(&flipped(&quote, at), &collateral, now);
        assert!(matches!(e, DcapError::Untrusted(_)), "offset {at}: {e}");
    }
}

#[test]
fn a_changed_character_in_the_pck_certificate_is_rejected() {
    let (quote, collateral, now) = sgx_sample();
    let begin = b"-----BEGIN CERTIFICATE-----";
    let start = quote
        .windows(begin.len())
        .position(|w| w == begin)
        .expect("the quote embeds its PCK chain as PEM");
    // A base64 character well inside the leaf's to-be-signed part (its subject and key).
    let at = start + begin.len() + 200;
    let mut q = quote.clone();
    assert!(q[at].is_ascii_alphanumeric());
    q[at] = if q[at] == b'A' { b'B' } else { b'A' };
    assert!(matches!(
        refused(&q, &collateral, now),
        DcapError::Untrusted(_)
    ));
}

#[test]
fn tampered_collateral_is_rejected() {
    let (quote, collateral, now) = sgx_sample();
    let original = collateral.as_dcap_qvl().clone();

    let mut c = original.clone();
    c.tcb_info = c.tcb_info.replacen(
        "\"tcbEvaluationDataNumber\":17",
        "\"tcbEvaluationDataNumber\":18",
        1,
    );
    assert_ne!(c.tcb_info, original.tcb_info, "the edit applied");
    assert!(matches!(
        refused(&quote, &Collateral::from_dcap_qvl(c), now),
        DcapError::Untrusted(_)
    ));

    let mut c = original.clone();
    c.qe_identity_signature[5] ^= 1;
    assert!(matches!(
        refused(&quote, &Collateral::from_dcap_qvl(c), now),
        DcapError::Untrusted(_)
    ));

    let mut c = original;
    let n = c.pck_crl.len();
    c.pck_crl[n - 10] ^= 1;
    assert!(matches!(
        refused(&quote, &Collateral::from_dcap_qvl(c), now),
        DcapError::Untrusted(_)
    ));
}

#[test]
fn malformed_collateral_json_is_a_clear_error() {
    assert!(matches!(
        Collateral::from_json("{}"),
        Err(DcapError::Collateral(_))
    ));
    assert!(matches!(
        Collateral::from_json("not json"),
        Err(DcapError::Collateral(_))
    ));
}

#[test]
fn truncated_or_garbage_quotes_are_refused_without_panicking() {
    let (quote, collateral, now) = sgx_sample();
    for len in [0, 1, 47, 48, 432, 436, 1000, quote.len() - 1] {
        assert!(matches!(
            refused(&quote[..len], &collateral, now),
            DcapError::Untrusted(_)
        ));
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// Every byte the quote's signatures cover, and the signatures themselves, matter.
    #[test]
    fn any_flipped_byte_in_the_authenticated_part_is_rejected(
        at in 0usize..QE_REPORT_SIGNATURE + 64,
        bit in 0u8..8,
    ) {
        let (quote, collateral, now) = sgx_sample();
        let mut q = quote.clone();
        q[at] ^= 1 << bit;
        prop_assert!(DcapVerifier::intel()
            .verify_quote(&q, &collateral, now, &TcbStatus::ALL_NOT_REVOKED)
            .is_err());
    }
}
