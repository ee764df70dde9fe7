//! `lsv devnet` as a user runs it: the real binary starts anvil, the beacon chain and P, prints
//! where they are, replays its history until P's validators are active, answers on the
//! beacon API, anvil's JSON-RPC and P's API, and stops cleanly at SIGINT, removing its
//! temporary directory. With a faster clock and shorter delays, every part of it (its
//! `config.yaml`, the beacon API's spec, C and its deployment record) carries them, and an
//! operator's signer that is down does not stop it. Needs anvil (`./scripts/test` installs it).

#![allow(unused_crate_dependencies)]

mod common;

use common::{http, lsv, rpc_result, RunningDevnet};
use std::time::{Duration, Instant};

#[test]
fn lsv_devnet_runs_both_layers_with_p_and_stops_at_sigint() {
    let mut devnet = RunningDevnet::start(&[
        "--validators",
        "64",
        "--p-validators",
        "2",
        "--history-epochs",
        "14",
    ]);
    let banner = &devnet.banner;
    assert!(
        banner[0].starts_with("lsv devnet: minimal preset"),
        "{banner:#?}"
    );
    assert!(banner[0].contains("64 validators (2 in P)"), "{banner:#?}");
    let rpc = devnet.rpc();
    let beacon = devnet.value("beacon API");
    let p = devnet.value("P's signer API");
    let vault = devnet.value("vault (C)");
    let attestation_verifier = devnet.value("attestation verifier");
    let config = devnet.value("network config");
    let directory = devnet.dir();
    assert!(std::path::Path::new(&config).is_file());
    assert!(devnet.account_key(1).is_file());

    // Its logs until it has caught up with the wall clock.
    let caught_up = devnet.wait_caught_up(Duration::from_secs(240));
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
    let status = devnet.interrupt();
    assert!(status.success(), "{status}");
    assert!(!directory.exists(), "{} left behind", directory.display());
}

/// `lsv devnet --seconds-per-slot 1 --shard-committee-period 4
/// --min-validator-withdrawability-delay 8 --remote-signer <a port nobody listens on>`: the
/// values reach the banner, `config.yaml` (as P and the other commands read it), the beacon
/// API's `/eth/v1/config/spec`, C's timing and its deployment record; the devnet catches up with
/// the wall clock and keeps running at one slot a second although the operator's signer is down.
#[test]
fn lsv_devnet_runs_a_faster_clock_with_an_operator_signer_down() {
    let unused = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let operator = format!("http://{}", unused.local_addr().unwrap());
    drop(unused);
    let mut devnet = RunningDevnet::start(&[
        "--validators",
        "16",
        "--p-validators",
        "1",
        "--history-epochs",
        "4",
        "--seconds-per-slot",
        "1",
        "--shard-committee-period",
        "4",
        "--min-validator-withdrawability-delay",
        "8",
        "--remote-signer",
        &operator,
    ]);
    let banner = &devnet.banner;
    assert!(
        banner[0].contains("1-second slots (SECONDS_PER_SLOT 1)")
            && banner[0].contains("SHARD_COMMITTEE_PERIOD 4")
            && banner[0].contains("MIN_VALIDATOR_WITHDRAWABILITY_DELAY 8"),
        "{banner:#?}"
    );
    assert_eq!(devnet.value("operator signers"), operator);
    let rpc = devnet.rpc();
    let beacon = devnet.value("beacon API");
    let vault = devnet.value("vault (C)");

    // The operator's signer is not there: a warning, and the devnet goes on.
    let warning = devnet.wait_log("operator signer not reachable", Duration::from_secs(60));
    assert_eq!(warning["url"], operator.as_str(), "{warning}");
    let caught_up = devnet.wait_caught_up(Duration::from_secs(60));
    assert!(caught_up["slot"].as_u64().unwrap() >= 4 * 8, "{caught_up}");

    // config.yaml, as `lsv signer --network` and the other commands read it.
    let network = lsv_consensus::Network::from_config_file(&devnet.dir().join("config.yaml"))
        .expect("the devnet's config.yaml");
    assert_eq!(network.seconds_per_slot, 1);
    assert_eq!(network.shard_committee_period, 4);
    assert_eq!(network.min_validator_withdrawability_delay, 8);

    // The beacon API's spec.
    let (status, body) = http(&beacon, "/eth/v1/config/spec", None);
    assert_eq!(status, 200, "{body}");
    let spec: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(spec["data"]["SECONDS_PER_SLOT"], "1", "{spec}");
    assert_eq!(spec["data"]["SLOT_DURATION_MS"], "1000", "{spec}");
    assert_eq!(spec["data"]["SHARD_COMMITTEE_PERIOD"], "4", "{spec}");
    assert_eq!(
        spec["data"]["MIN_VALIDATOR_WITHDRAWABILITY_DELAY"], "8",
        "{spec}"
    );

    // C's timing, and the deployment record of it.
    let view = |signature: &str| -> u64 {
        let selector = hex::encode(&alloy_primitives::keccak256(signature.as_bytes())[..4]);
        let params = format!(r#"[{{"to":"{vault}","data":"0x{selector}"}},"latest"]"#);
        let word = rpc_result(&rpc, "eth_call", &params);
        u64::from_str_radix(word.as_str().unwrap().trim_start_matches("0x"), 16).unwrap()
    };
    assert_eq!(view("SECONDS_PER_SLOT()"), 1);
    assert_eq!(view("SHARD_COMMITTEE_PERIOD()"), 4);
    let record: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(devnet.dir().join("deployment.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(record["chain"]["seconds_per_slot"], 1, "{record}");
    assert_eq!(record["chain"]["shard_committee_period"], 4, "{record}");

    // It keeps to the wall clock, a slot a second, with the operator's signer still down.
    let head = |beacon: &str| -> u64 {
        let (status, body) = http(beacon, "/eth/v1/beacon/headers/head", None);
        assert_eq!(status, 200, "{body}");
        let header: serde_json::Value = serde_json::from_str(&body).unwrap();
        header["data"]["header"]["message"]["slot"]
            .as_str()
            .unwrap()
            .parse()
            .unwrap()
    };
    let from = head(&beacon);
    let deadline = Instant::now() + Duration::from_secs(30);
    while head(&beacon) < from + 3 {
        assert!(
            Instant::now() < deadline,
            "the head stayed near slot {from}"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    assert!(
        devnet.child.try_wait().unwrap().is_none(),
        "lsv devnet exited"
    );
    let status = devnet.interrupt();
    assert!(status.success(), "{status}");
}

/// Timing values below 1 and signer URLs that are not `http://` are refused with a message,
/// before anything starts.
#[test]
fn lsv_devnet_refuses_bad_timing_and_signer_urls() {
    for (flag, value, message) in [
        (
            "--seconds-per-slot",
            "0",
            "--seconds-per-slot must be at least 1",
        ),
        (
            "--shard-committee-period",
            "0",
            "--shard-committee-period must be at least 1",
        ),
        (
            "--min-validator-withdrawability-delay",
            "0",
            "--min-validator-withdrawability-delay must be at least 1",
        ),
        (
            "--seconds-per-slot",
            "4294967296",
            "--seconds-per-slot must be at least 1 and at most 4294967295",
        ),
        (
            "--remote-signer",
            "https://127.0.0.1:9000",
            "bad signer URL",
        ),
    ] {
        let out = lsv(&["devnet", flag, value, "--rpc-port", "0"]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{flag} {value} was accepted");
        assert!(stderr.contains(message), "{flag} {value}: {stderr}");
        assert!(!stderr.contains("panicked"), "{stderr}");
    }
}
