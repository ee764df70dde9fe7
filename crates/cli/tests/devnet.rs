//! `lsv devnet` as a user runs it: the real binary starts anvil, the beacon chain and P, prints
//! where they are, replays its history until P's validators are active, answers on the
//! beacon API, anvil's JSON-RPC and P's API, and stops cleanly at SIGINT, removing its
//! temporary directory. Needs anvil (`./scripts/test` installs it).

#![allow(unused_crate_dependencies)]

mod common;

use common::{http, RunningDevnet};
use std::time::Duration;

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
