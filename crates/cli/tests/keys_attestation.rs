//! `lsv keys attestation`: the real binary prints the evidence `lsv keys generate` wrote to
//! attestation.json, read back from the key's record on a later run; unknown and malformed keys
//! are refused with a clear error.

#![allow(unused_crate_dependencies)]

use std::process::{Command, Output};

const LSV: &str = env!("CARGO_BIN_EXE_lsv");
const CONTRACT: &str = "0xc0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0";
const OWNER: &str = "0x0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e";

fn lsv(dir: &std::path::Path, args: &[&str]) -> Output {
    Command::new(LSV)
        .args(args)
        .arg("--data-dir")
        .arg(dir)
        .env("RUST_LOG", "warn")
        .output()
        .unwrap()
}

#[test]
fn keys_attestation_prints_the_evidence_recorded_at_generation() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("deposit_data.json");
    let generated = lsv(
        dir.path(),
        &[
            "keys",
            "generate",
            "--init",
            "--withdrawal-contract",
            CONTRACT,
            "--owner",
            OWNER,
            "--count",
            "1",
            "--out",
            out.to_str().unwrap(),
        ],
    );
    assert!(generated.status.success(), "{generated:?}");
    let pubkey = String::from_utf8(generated.stdout)
        .unwrap()
        .trim()
        .to_owned();
    let written: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(dir.path().join("attestation.json")).unwrap(),
    )
    .unwrap();

    // A later run (another process) reads it back from the key's record.
    let shown = lsv(dir.path(), &["keys", "attestation", &pubkey]);
    assert!(shown.status.success(), "{shown:?}");
    let v: serde_json::Value = serde_json::from_slice(&shown.stdout).unwrap();
    assert_eq!(v["pubkey"], serde_json::json!(pubkey));
    assert_eq!(v["owner"], serde_json::json!(OWNER));
    assert_eq!(v["attestation"], written[0]);
    assert!(v.get("message").is_none());

    let unknown = format!("0x{}", "ab".repeat(48));
    let refused = lsv(dir.path(), &["keys", "attestation", &unknown]);
    assert!(!refused.status.success());
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(stderr.contains(&format!("no key {unknown}")), "{stderr}");
    assert!(refused.stdout.is_empty());

    let malformed = lsv(dir.path(), &["keys", "attestation", "0x1234"]);
    assert!(!malformed.status.success());
    let stderr = String::from_utf8_lossy(&malformed.stderr);
    assert!(stderr.contains("invalid PublicKeyBytes"), "{stderr}");
}
