//! `lsv exit` as a staker runs it against the real `lsv devnet`: P signs the voluntary exit of
//! one of its validators, the beacon node includes it and the validator starts exiting; a
//! second exit is refused before P is asked, naming the validator's status. `lsv claim` of a
//! position with no residual says why instead of sending. Needs anvil (`./scripts/test`
//! installs it).

#![allow(unused_crate_dependencies)]

mod common;

use common::{http, lsv, RunningDevnet};
use std::time::{Duration, Instant};

fn status_of(beacon: &str, pubkey: &str) -> String {
    let (status, body) = http(
        beacon,
        &format!("/eth/v1/beacon/states/head/validators/{pubkey}"),
        None,
    );
    assert_eq!(status, 200, "{body}");
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    v["data"]["status"].as_str().unwrap().to_owned()
}

#[test]
fn p_signs_an_exit_that_the_chain_takes_and_a_second_is_refused() {
    // 30 epochs of history: P's validators are active for longer than the devnet's
    // SHARD_COMMITTEE_PERIOD (16 epochs), so they may exit.
    let devnet = RunningDevnet::start(&[
        "--validators",
        "64",
        "--p-validators",
        "2",
        "--history-epochs",
        "30",
    ]);
    devnet.wait_caught_up(Duration::from_secs(180));
    let beacon = devnet.value("beacon API");
    let p = devnet.value("P's signer API");
    let config = devnet.value("network config");
    let (status, body) = http(&p, "/api/v1/eth2/publicKeys", None);
    assert_eq!(status, 200, "{body}");
    let keys: Vec<String> = serde_json::from_str(&body).unwrap();
    let pubkey = &keys[0];
    assert_eq!(status_of(&beacon, pubkey), "active_ongoing");

    let exit = |pubkey: &str| {
        lsv(&[
            "exit",
            "--pubkey",
            pubkey,
            "--p-url",
            &p,
            "--beacon-url",
            &beacon,
            "--network",
            &config,
        ])
    };
    let out = exit(pubkey);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("exit signed by P"));
    // Included in one of the next blocks.
    let deadline = Instant::now() + Duration::from_secs(60);
    while status_of(&beacon, pubkey) != "active_exiting" {
        assert!(Instant::now() < deadline, "the exit was not included");
        std::thread::sleep(Duration::from_millis(500));
    }

    let again = exit(pubkey);
    assert!(!again.status.success());
    let stderr = String::from_utf8_lossy(&again.stderr);
    assert!(stderr.contains("is active_exiting"), "{stderr}");

    // A position with nothing to claim: said, not sent.
    let vault = devnet.value("vault (C)");
    let key = devnet.account_key(3);
    let out = lsv(&[
        "claim",
        "1",
        "--vault",
        &vault,
        "--rpc",
        &devnet.rpc(),
        "--key-file",
        key.to_str().unwrap(),
    ]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("nothing to claim yet"), "{stderr}");
}
