//! `lsv cluster`, from the real binary: the plan's table, and four `lsv signer` processes with a
//! coordinator (`lsv cluster init | keygen | serve`) signing with one device stopped.

#![allow(unused_crate_dependencies)]

mod common;

use common::{free_port, http, wait_for, Process};
use lsv_consensus::{Epoch, Network, PublicKeyBytes, SignRequest};
use std::process::Command;
use std::time::Duration;

fn lsv(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_lsv"))
        .args(args)
        .env("RUST_LOG", "warn")
        .output()
        .unwrap()
}

#[test]
fn the_plan_for_five_devices_marks_four_of_five() {
    let out = lsv(&["cluster", "plan", "--n", "5", "--m", "4"]);
    assert!(out.status.success(), "{out:?}");
    let text = String::from_utf8(out.stdout).unwrap();
    let rows: Vec<Vec<&str>> = text
        .lines()
        .skip(1)
        .take(5)
        .map(|l| l.split_whitespace().collect())
        .collect();
    assert_eq!(rows[0][..3], ["1-of-5", "not", "a"]);
    assert_eq!(rows[1][..3], ["2-of-5", "not", "a"]);
    assert_eq!(rows[2], ["3-of-5", "0", "2"]);
    assert_eq!(rows[3], ["4-of-5", "2", "1", "<-", "--m"]);
    assert_eq!(rows[4], ["5-of-5", "4", "0"]);

    let out = lsv(&["cluster", "plan", "--n", "4", "--json"]);
    assert!(out.status.success(), "{out:?}");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["thresholds"][2]["broken"], 1, "3-of-4: {v}");
    assert_eq!(v["thresholds"][2]["down"], 1);
    assert_eq!(v["thresholds"][1]["safe"], false, "2-of-4");
}

#[test]
fn a_threshold_that_is_not_a_majority_is_refused() {
    for args in [["--n", "4", "--m", "2"], ["--n", "3", "--m", "4"]] {
        let out = lsv(&[&["cluster", "plan"][..], &args[..]].concat());
        assert_eq!(out.status.code(), Some(1), "{args:?}: {out:?}");
        let err = String::from_utf8(out.stderr).unwrap();
        assert!(err.contains("not a safe threshold"), "{err}");
    }
    let out = lsv(&["cluster", "plan", "--n", "0"]);
    assert!(!out.status.success());
}

/// An attestation for mainnet's current epoch minus `back`, voting for `root`.
fn attestation(back: u64, root: u8) -> serde_json::Value {
    let network = Network::mainnet();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let epoch = (now - network.genesis_time) / (32 * network.seconds_per_slot) - back;
    serde_json::json!({
        "type": "ATTESTATION",
        "fork_info": {
            "fork": network.fork_object_at(Epoch(epoch)),
            "genesis_validators_root": network.genesis_validators_root,
        },
        "attestation": {
            "slot": (epoch * 32).to_string(),
            "index": "0",
            "beacon_block_root": format!("0x{}", format!("{root:02x}").repeat(32)),
            "source": { "epoch": (epoch - 1).to_string(), "root": format!("0x{}", "11".repeat(32)) },
            "target": { "epoch": epoch.to_string(), "root": format!("0x{}", "22".repeat(32)) },
        }
    })
}

fn verifies(pubkey: &PublicKeyBytes, body: &serde_json::Value, signature: &str) -> bool {
    use blst::min_pk::{PublicKey, Signature};
    let root = SignRequest::from_json(body.to_string().as_bytes())
        .unwrap()
        .signing_root(&Network::mainnet())
        .unwrap();
    let sig = Signature::from_bytes(
        &alloy_primitives::hex::decode(signature.trim_start_matches("0x")).unwrap(),
    )
    .unwrap();
    let pk = PublicKey::from_bytes(&pubkey.0).unwrap();
    sig.verify(
        true,
        root.as_slice(),
        b"BLS_SIG_BLS12381G2_XMD:SHA-256_SSWU_RO_POP_",
        &[],
        &pk,
        true,
    ) == blst::BLST_ERROR::BLST_SUCCESS
}

#[test]
fn four_p_processes_and_a_coordinator_sign_with_one_device_stopped() {
    let work = tempfile::tempdir().unwrap();
    let ports: Vec<u16> = (0..4).map(|_| free_port()).collect();
    let dir = work.path().join("cluster");
    let mut init: Vec<String> = ["cluster", "init", "--threshold", "3", "--dir"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    init.push(dir.to_str().unwrap().into());
    for p in &ports {
        init.extend(["--device".into(), format!("http://127.0.0.1:{p}")]);
    }
    let out = lsv(&init.iter().map(String::as_str).collect::<Vec<_>>());
    assert!(out.status.success(), "{out:?}");
    let text = String::from_utf8(out.stdout).unwrap();
    let coordinator = text
        .lines()
        .find_map(|l| l.strip_prefix("coordinator address: "))
        .unwrap()
        .to_owned();
    let mut devices: Vec<Option<Process>> = ports
        .iter()
        .enumerate()
        .map(|(i, port)| {
            let data = work.path().join(format!("p{i}"));
            let listen = format!("127.0.0.1:{port}");
            let p = Process::start(
                "P",
                &[
                    "signer",
                    "--init",
                    "--data-dir",
                    data.to_str().unwrap(),
                    "--withdrawal-contract",
                    "0x00000000000000000000000000000000000000c0",
                    "--listen",
                    &listen,
                    "--cluster-coordinator",
                    &coordinator,
                ],
            );
            wait_for("P to answer", Duration::from_secs(30), || {
                std::net::TcpStream::connect(&listen).ok().map(|_| ())
            });
            Some(p)
        })
        .collect();

    let out = lsv(&[
        "cluster",
        "keygen",
        "--dir",
        dir.to_str().unwrap(),
        "--owner",
        "0x000000000000000000000000000000000000000e",
        "--count",
        "2",
        "--json",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let keys: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let keys = keys.as_array().unwrap();
    assert_eq!(keys.len(), 2);
    assert_ne!(keys[0]["pubkey"], keys[1]["pubkey"]);
    let made = &keys[0];
    let pubkey: PublicKeyBytes = made["pubkey"].as_str().unwrap().parse().unwrap();
    let second: PublicKeyBytes = keys[1]["pubkey"].as_str().unwrap().parse().unwrap();
    let evidence: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(made["evidence"].as_str().unwrap()).unwrap())
            .unwrap();
    assert_eq!(evidence["devices"].as_array().unwrap().len(), 4);
    let deposit: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(made["deposit_data"].as_str().unwrap()).unwrap(),
    )
    .unwrap();
    assert_eq!(
        deposit[0]["pubkey"],
        alloy_primitives::hex::encode(pubkey.0)
    );

    let listen = format!("127.0.0.1:{}", free_port());
    let serve = Process::start(
        "coordinator",
        &[
            "cluster",
            "serve",
            "--dir",
            dir.to_str().unwrap(),
            "--listen",
            &listen,
        ],
    );
    wait_for("the coordinator to answer", Duration::from_secs(30), || {
        std::net::TcpStream::connect(&listen).ok().map(|_| ())
    });
    let base = format!("http://{listen}");
    let sign = |body: &serde_json::Value| {
        http(
            &base,
            &format!("/api/v1/eth2/sign/{pubkey}"),
            Some(&body.to_string()),
        )
    };

    let (status, body) = http(&base, "/api/v1/eth2/publicKeys", None);
    assert_eq!(status, 200, "{body}");
    assert!(body.contains(&pubkey.to_string()), "{body}");
    assert!(body.contains(&second.to_string()), "{body}");

    let first = attestation(2, 0xaa);
    let (status, body) = sign(&first);
    assert_eq!(status, 200, "{body}");
    let sig: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert!(verifies(
        &pubkey,
        &first,
        sig["signature"].as_str().unwrap()
    ));

    // The second key signs too (its own shares on the same devices).
    let (status, body) = http(
        &base,
        &format!("/api/v1/eth2/sign/{second}"),
        Some(&first.to_string()),
    );
    assert_eq!(status, 200, "{body}");
    let sig: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert!(verifies(
        &second,
        &first,
        sig["signature"].as_str().unwrap()
    ));

    // Device 2 stops (SIGKILL): the cluster still signs, and the healthcheck says which is down.
    devices[1].take().unwrap().kill();
    let next = attestation(1, 0xab);
    let (status, body) = sign(&next);
    assert_eq!(status, 200, "{body}");
    let sig: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert!(verifies(&pubkey, &next, sig["signature"].as_str().unwrap()));
    let (status, body) = http(&base, "/healthcheck", None);
    assert_eq!(status, 200, "{body}");
    let health: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(health["checks"][1]["status"], "DOWN", "{health}");
    assert_eq!(health["outcome"], "UP");

    // A double vote: every device that answers refuses it on its own record.
    let (status, body) = sign(&attestation(1, 0xac));
    assert_eq!(status, 412, "{body}");
    assert!(body.contains("double vote"), "{body}");
    drop(serve);
    drop(devices);
}
