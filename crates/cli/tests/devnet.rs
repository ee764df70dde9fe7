//! `lsv devnet` as a user runs it: the real binary starts anvil, the beacon chain and P, prints
//! where they are, replays its history until P's validators are active, answers on the
//! beacon API, anvil's JSON-RPC and P's API, and stops cleanly at SIGINT, removing its
//! temporary directory. Needs anvil (`./scripts/test` installs it).

#![allow(unused_crate_dependencies)]

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

const LSV: &str = env!("CARGO_BIN_EXE_lsv");

/// `GET path` (or a JSON-RPC `POST` with `body`) on `base` (`http://host:port`); the status and
/// body.
fn http(base: &str, path: &str, body: Option<&str>) -> (u16, String) {
    let host = base.trim_start_matches("http://").trim_end_matches('/');
    let mut stream = std::net::TcpStream::connect(host).expect("the server listens");
    let request = match body {
        None => format!("GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"),
        Some(b) => format!(
            "POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n\
             Content-Length: {}\r\nConnection: close\r\n\r\n{b}",
            b.len()
        ),
    };
    stream.write_all(request.as_bytes()).unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    let status = answer
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let body = answer.split_once("\r\n\r\n").map_or("", |(_, b)| b);
    // A chunked body (the beacon API's) is one chunk here: drop its size lines.
    let body = if answer
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        body.lines()
            .filter(|l| !l.is_empty() && u64::from_str_radix(l.trim(), 16).is_err())
            .collect::<Vec<_>>()
            .join("\n")
    } else {
        body.to_owned()
    };
    (status, body)
}

/// The value printed after `label` on a line of the banner.
fn banner_value(banner: &[String], label: &str) -> String {
    banner
        .iter()
        .find_map(|l| l.trim().strip_prefix(label))
        .unwrap_or_else(|| panic!("no {label:?} in {banner:#?}"))
        .split_whitespace()
        .next()
        .unwrap()
        .to_owned()
}

#[test]
fn lsv_devnet_runs_both_layers_with_p_and_stops_at_sigint() {
    let mut child = Command::new(LSV)
        .args([
            "devnet",
            "--validators",
            "64",
            "--p-validators",
            "2",
            "--history-epochs",
            "14",
            "--rpc-port",
            "0",
            "--beacon-listen",
            "127.0.0.1:0",
            "--log-format",
            "json",
        ])
        .env("RUST_LOG", "info")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("lsv runs");
    let stdout = BufReader::new(child.stdout.take().unwrap());
    let banner: Vec<String> = stdout.lines().take(8).map(Result::unwrap).collect();
    assert!(
        banner[0].starts_with("lsv devnet: minimal preset"),
        "{banner:#?}"
    );
    assert!(banner[0].contains("64 validators (2 in P)"), "{banner:#?}");
    let rpc = banner_value(&banner, "execution JSON-RPC");
    let beacon = banner_value(&banner, "beacon API");
    let p = banner_value(&banner, "P's signer API");
    let vault = banner_value(&banner, "vault (C)");
    let attestation_verifier = banner_value(&banner, "attestation verifier");
    let config = banner_value(&banner, "network config");
    let directory = std::path::Path::new(&config).parent().unwrap().to_owned();
    assert!(std::path::Path::new(&config).is_file());

    // The logs, line by line, until it has caught up with the wall clock.
    let (lines, logs) = mpsc::channel();
    let stderr = child.stderr.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines() {
            if lines.send(line.unwrap()).is_err() {
                break;
            }
        }
    });
    let deadline = Instant::now() + Duration::from_secs(240);
    let caught_up = loop {
        let line = logs
            .recv_timeout(deadline.saturating_duration_since(Instant::now()))
            .expect("the devnet catches up with the wall clock in time");
        let entry: serde_json::Value = serde_json::from_str(&line).expect("a JSON log line");
        if entry["message"]
            .as_str()
            .is_some_and(|m| m.starts_with("caught up"))
        {
            break entry;
        }
    };
    assert_eq!(caught_up["p_active"], 2, "{caught_up}");
    assert!(caught_up["slot"].as_u64().unwrap() >= 14 * 8, "{caught_up}");

    // The beacon API: finality, and P's validators active with C's credentials.
    let (status, body) = http(
        &beacon,
        "/eth/v1/beacon/states/head/finality_checkpoints",
        None,
    );
    assert_eq!(status, 200, "{body}");
    let finality: serde_json::Value = serde_json::from_str(&body).unwrap();
    let finalized: u64 = finality["data"]["finalized"]["epoch"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(finalized >= 10, "{finality}");
    let (status, body) = http(&p, "/api/v1/eth2/publicKeys", None);
    assert_eq!(status, 200, "{body}");
    let p_keys: Vec<String> = serde_json::from_str(&body).unwrap();
    assert_eq!(p_keys.len(), 2);
    for key in &p_keys {
        let (status, body) = http(
            &beacon,
            &format!("/eth/v1/beacon/states/head/validators/{key}"),
            None,
        );
        assert_eq!(status, 200, "{body}");
        let validator: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(validator["data"]["status"], "active_ongoing", "{validator}");
        let credentials = validator["data"]["validator"]["withdrawal_credentials"]
            .as_str()
            .unwrap();
        assert!(credentials.starts_with("0x02"), "{credentials}");
    }
    // Anvil: one block per slot run.
    let (status, body) = http(
        &rpc,
        "/",
        Some(r#"{"jsonrpc":"2.0","id":1,"method":"eth_blockNumber","params":[]}"#),
    );
    assert_eq!(status, 200, "{body}");
    let answer: serde_json::Value = serde_json::from_str(&body).unwrap();
    let blocks = u64::from_str_radix(
        answer["result"].as_str().unwrap().trim_start_matches("0x"),
        16,
    )
    .unwrap();
    assert!(blocks >= 14 * 8 - 8, "{answer}");

    // C accepts P's attestations: the dev verifier holds P's attester, the vault P's policy.
    let (status, body) = http(&p, "/eth/v1/lsv/attestation", None);
    assert_eq!(status, 200, "{body}");
    let info: serde_json::Value = serde_json::from_str(&body).unwrap();
    let view = |to: &str, signature: &str| -> String {
        let selector = &alloy_primitives::keccak256(signature.as_bytes())[..4];
        let call = format!(
            r#"{{"jsonrpc":"2.0","id":1,"method":"eth_call","params":[{{"to":"{to}","data":"0x{}"}},"latest"]}}"#,
            hex::encode(selector)
        );
        let (status, body) = http(&rpc, "/", Some(&call));
        assert_eq!(status, 200, "{body}");
        let answer: serde_json::Value = serde_json::from_str(&body).unwrap();
        answer["result"].as_str().expect("a result").to_owned()
    };
    assert_eq!(
        view(&vault, "POLICY_HASH()"),
        info["policy_hash"].as_str().unwrap()
    );
    let attester = info["attester"].as_str().unwrap().trim_start_matches("0x");
    assert_eq!(
        view(&attestation_verifier, "ATTESTER()"),
        format!("0x{:0>64}", attester.to_lowercase())
    );

    // SIGINT: a clean stop, the temporary directory gone.
    let killed = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let deadline = Instant::now() + Duration::from_secs(20);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(Instant::now() < deadline, "lsv devnet did not stop");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(status.success(), "{status}");
    assert!(!directory.exists(), "{} left behind", directory.display());
}
