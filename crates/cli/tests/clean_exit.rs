//! Every clean exit of the real binary leaves the slashing-protection database checkpointed:
//! no write-ahead log beside it (or an empty one), whether the command was `keys generate`,
//! `slashing export`, `import` or `prune`, or `lsv signer` stopped by SIGTERM or SIGINT after
//! signing.

#![allow(unused_crate_dependencies)]

mod common;

use common::{attestation_request, command, free_port};
use lsv_consensus::Network;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

const CONTRACT: &str = "0xc0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0";
const OWNER: &str = "0x0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e";

fn lsv(dir: &Path, args: &[&str]) -> Output {
    let out = command()
        .args(args)
        .arg("--data-dir")
        .arg(dir)
        .output()
        .unwrap();
    assert!(out.status.success(), "{args:?}: {out:?}");
    out
}

/// Fails unless the database exists and its write-ahead log is absent or empty.
fn assert_no_wal(dir: &Path, after: &str) {
    let db = dir.join("slashing-protection.sqlite");
    assert!(db.exists(), "after {after}: no database");
    let wal = dir.join("slashing-protection.sqlite-wal");
    let len = std::fs::metadata(&wal).map(|m| m.len()).unwrap_or(0);
    assert_eq!(
        len, 0,
        "after {after}: a {len}-byte write-ahead log was left"
    );
}

/// One HTTP/1.1 exchange on a fresh connection; the status and the body.
fn http(port: u16, request: &str) -> std::io::Result<(u16, String)> {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port))?;
    stream.write_all(request.as_bytes())?;
    let mut answer = String::new();
    stream.read_to_string(&mut answer)?;
    let status = answer
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let body = answer
        .split_once("\r\n\r\n")
        .map_or("", |(_, b)| b)
        .to_owned();
    Ok((status, body))
}

/// Starts `lsv signer`, has every key sign, stops it with `signal`, and checks that it exited
/// successfully and left no write-ahead log.
fn signer_signs_then_stops(dir: &Path, keys: &[String], signal: &str, target: u64) {
    let port = free_port();
    let mut child = command()
        .args(["signer", "--data-dir"])
        .arg(dir)
        .args(["--listen", &format!("127.0.0.1:{port}")])
        .args(["--withdrawal-contract", CONTRACT])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    while !matches!(
        http(
            port,
            "GET /upcheck HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n"
        ),
        Ok((200, _))
    ) {
        assert!(Instant::now() < deadline, "the signer did not come up");
        std::thread::sleep(Duration::from_millis(20));
    }
    let network = Network::mainnet();
    let body = attestation_request(&network, target, 0x11);
    for key in keys {
        let (status, answer) = http(
            port,
            &format!(
                "POST /api/v1/eth2/sign/{key} HTTP/1.1\r\nhost: x\r\nconnection: close\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
                body.len()
            ),
        )
        .unwrap();
        assert_eq!(status, 200, "{answer}");
    }
    // The database is open and written: its log is there while the signer runs.
    let wal = dir.join("slashing-protection.sqlite-wal");
    assert!(std::fs::metadata(&wal).is_ok_and(|m| m.len() > 0));

    let killed = Command::new("kill")
        .args([signal, &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let deadline = Instant::now() + Duration::from_secs(30);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(
            Instant::now() < deadline,
            "the signer did not stop on {signal}"
        );
        std::thread::sleep(Duration::from_millis(10));
    };
    assert!(status.success(), "{signal}: {status}");
    assert_no_wal(dir, &format!("lsv signer stopped by {signal}"));
}

#[test]
fn every_clean_exit_leaves_no_write_ahead_log() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let deposits = dir.path().join("deposit_data.json");
    let generated = lsv(
        &data,
        &[
            "keys",
            "generate",
            "--init",
            "--withdrawal-contract",
            CONTRACT,
            "--owner",
            OWNER,
            "--count",
            "2",
            "--out",
            deposits.to_str().unwrap(),
        ],
    );
    assert_no_wal(&data, "keys generate");
    let keys: Vec<String> = String::from_utf8(generated.stdout)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect();
    assert_eq!(keys.len(), 2);

    let now = Network::mainnet()
        .slot_at_unix_time(
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_secs(),
        )
        .unwrap()
        .epoch(32)
        .as_u64();
    signer_signs_then_stops(&data, &keys, "-TERM", now - 100);
    signer_signs_then_stops(&data, &keys, "-INT", now - 99);

    let exported = dir.path().join("interchange.json");
    lsv(
        &data,
        &["slashing", "export", "--out", exported.to_str().unwrap()],
    );
    assert_no_wal(&data, "slashing export");
    let text = std::fs::read_to_string(&exported).unwrap();
    assert!(text.contains(&(now - 99).to_string()), "{text}");

    // Another P, made the documented way, to import into.
    let other = dir.path().join("other");
    lsv(&other, &["attestation", "--init"]);
    assert_no_wal(&other, "attestation --init");
    lsv(&other, &["slashing", "import", exported.to_str().unwrap()]);
    assert_no_wal(&other, "slashing import");
    lsv(&other, &["slashing", "prune"]);
    assert_no_wal(&other, "slashing prune");
    // The imported record refuses what the original signed.
    let again = dir.path().join("again.json");
    lsv(
        &other,
        &[
            "slashing",
            "export",
            "--format",
            "minimal",
            "--out",
            again.to_str().unwrap(),
        ],
    );
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&again).unwrap()).unwrap();
    assert_eq!(v["data"].as_array().unwrap().len(), 2);
    assert_eq!(
        v["data"][0]["signed_attestations"][0]["target_epoch"],
        serde_json::json!((now - 99).to_string())
    );
}
