//! A validator whose key is held 3-of-4 by four `lsv signer` processes signs on the real
//! `lsv devnet` through `lsv cluster serve` (the devnet's validator client is pointed at the
//! coordinator with `--remote-signer`): `lsv deploy` makes a C that trusts groups of these four
//! devices (`--device-attestation-info`, each device's `lsv attestation`), checking each
//! device's evidence at every join, and a second C that reads them from a `DeviceRegistry`
//! (`--device-registry-lifetime`); the key is made by `lsv cluster keygen` on the devices
//! pinned to the devnet and bound to the second C, deposited with `lsv deposit`, becomes
//! active; the devices register their device keys (`lsv cluster register`), and the key joins
//! C with `lsv join` and the device keys' signatures (31 sETH to the owner), earns, and keeps
//! earning with one device killed.
//!
//! Needs anvil (`./scripts/test` installs it). Takes about a minute: the deposit must go through
//! activation.

#![allow(unused_crate_dependencies)]

mod common;

use common::{free_port, http, json_of, lsv, wait_for, Process, RunningDevnet};
use std::time::Duration;

fn balance(beacon: &str, pubkey: &str) -> Option<(String, u64)> {
    let (status, body) = http(
        beacon,
        &format!("/eth/v1/beacon/states/head/validators/{pubkey}"),
        None,
    );
    if status != 200 {
        return None;
    }
    let v: serde_json::Value = serde_json::from_str(&body).ok()?;
    Some((
        v["data"]["status"].as_str()?.to_owned(),
        v["data"]["balance"].as_str()?.parse().ok()?,
    ))
}

#[test]
fn a_cluster_key_joins_c_and_signs_on_the_devnet_with_one_device_down() {
    let work = tempfile::tempdir().unwrap();
    let coordinator_listen = format!("127.0.0.1:{}", free_port());
    let coordinator_url = format!("http://{coordinator_listen}");
    let devnet = RunningDevnet::start(&[
        "--validators",
        "8",
        "--p-validators",
        "0",
        "--history-epochs",
        "1",
        "--seconds-per-slot",
        "1",
        "--remote-signer",
        &coordinator_url,
    ]);
    let rpc = devnet.rpc();
    let beacon = devnet.value("beacon API");
    let config = devnet.value("network config");

    // Four devices' P, each with its own dev attester, and a C that trusts groups of them.
    let data_dir = |i: usize| work.path().join(format!("device{i}"));
    let mut deploy = vec![
        "deploy".to_owned(),
        "--network".into(),
        config.clone(),
        "--rpc".into(),
        rpc.clone(),
        "--key-file".into(),
        devnet.account_key(3).to_str().unwrap().into(),
        "--out".into(),
        work.path()
            .join("group-deployment.json")
            .to_str()
            .unwrap()
            .into(),
        "--json".into(),
    ];
    for i in 0..4 {
        let info = lsv(&[
            "attestation",
            "--init",
            "--network",
            &config,
            "--data-dir",
            data_dir(i).to_str().unwrap(),
        ]);
        assert!(info.status.success(), "{info:?}");
        let path = work.path().join(format!("device{i}-attestation.json"));
        std::fs::write(&path, &info.stdout).unwrap();
        deploy.extend([
            "--device-attestation-info".into(),
            path.to_str().unwrap().into(),
        ]);
    }
    let deployed = json_of(&lsv(&deploy.iter().map(String::as_str).collect::<Vec<_>>()));
    let parameters = &deployed["parameters"]["attestation"];
    assert_eq!(parameters["backend"], "dev-group", "{deployed}");
    assert_eq!(parameters["min_threshold"], 3);
    assert_eq!(parameters["min_devices"], 4);
    assert_eq!(
        deployed["contracts"]["attestation_verifier_parts"][0]["artifact"],
        "DevDeviceVerifier"
    );
    assert_eq!(
        deployed["contracts"]["attestation_verifier"]["artifact"],
        "GroupAttestationVerifier"
    );
    // An auditor re-checks it like any deployment, the verifier's parts' creations included.
    let verified = |record: &std::path::Path, part: &str| {
        let checks = json_of(&lsv(&[
            "verify-deployment",
            record.to_str().unwrap(),
            "--rpc",
            &rpc,
            "--json",
        ]));
        assert_eq!(checks["ok"], true, "{checks}");
        let checks = checks["checks"].as_array().expect("a list of checks");
        assert!(
            checks.iter().all(|c| c["ok"] == true)
                && checks
                    .iter()
                    .any(|c| c["what"].as_str().unwrap().starts_with(part)),
            "{checks:?}"
        );
    };
    verified(
        &work.path().join("group-deployment.json"),
        "DevDeviceVerifier",
    );
    // The same devices behind a `DeviceRegistry`: each registers its device key once, and a
    // join carries the device keys' signatures. This is the C the key joins below.
    let registry_record = work.path().join("registry-deployment.json");
    let mut deploy_registry = deploy.clone();
    let out_at = deploy_registry.iter().position(|a| a == "--out").unwrap() + 1;
    deploy_registry[out_at] = registry_record.to_str().unwrap().into();
    deploy_registry.extend(["--device-registry-lifetime".into(), "2592000".into()]);
    let deployed = json_of(&lsv(&deploy_registry
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()));
    assert_eq!(
        deployed["parameters"]["attestation"]["device_registry_lifetime"], 2_592_000,
        "{deployed}"
    );
    let parts: Vec<&str> = deployed["contracts"]["attestation_verifier_parts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["artifact"].as_str().unwrap())
        .collect();
    assert_eq!(parts, ["DevDeviceVerifier", "DeviceRegistry"]);
    verified(&registry_record, "DeviceRegistry");
    let vault = deployed["contracts"]["vault"]["address"]
        .as_str()
        .unwrap()
        .to_owned();

    // The cluster directory and its four devices, pinned to the devnet and bound to that C.
    let ports: Vec<u16> = (0..4).map(|_| free_port()).collect();
    let dir = work.path().join("cluster");
    let mut init = vec![
        "cluster".to_owned(),
        "init".into(),
        "--threshold".into(),
        "3".into(),
        "--dir".into(),
        dir.to_str().unwrap().into(),
    ];
    for p in &ports {
        init.extend(["--device".into(), format!("http://127.0.0.1:{p}")]);
    }
    let out = lsv(&init.iter().map(String::as_str).collect::<Vec<_>>());
    assert!(out.status.success(), "{out:?}");
    let coordinator = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .find_map(|l| l.strip_prefix("coordinator address: ").map(str::to_owned))
        .unwrap();
    let mut devices: Vec<Option<Process>> = ports
        .iter()
        .enumerate()
        .map(|(i, port)| {
            let data = data_dir(i);
            let listen = format!("127.0.0.1:{port}");
            let p = Process::start(
                "device",
                &[
                    "signer",
                    "--network",
                    &config,
                    "--data-dir",
                    data.to_str().unwrap(),
                    "--withdrawal-contract",
                    &vault,
                    "--listen",
                    &listen,
                    "--cluster-coordinator",
                    &coordinator,
                ],
            );
            wait_for("a device to answer", Duration::from_secs(30), || {
                std::net::TcpStream::connect(&listen).ok().map(|_| ())
            });
            Some(p)
        })
        .collect();

    // The key, made on the four devices, and its deposit.
    let owner = "0x000000000000000000000000000000000000000e";
    let made = &json_of(&lsv(&[
        "cluster",
        "keygen",
        "--dir",
        dir.to_str().unwrap(),
        "--owner",
        owner,
        "--network",
        &config,
        "--json",
    ]))[0];
    let pubkey = made["pubkey"].as_str().unwrap().to_owned();
    let sent = json_of(&lsv(&[
        "deposit",
        "--deposit-data",
        made["deposit_data"].as_str().unwrap(),
        "--vault",
        &vault,
        "--rpc",
        &rpc,
        "--network",
        &config,
        "--key-file",
        devnet.account_key(2).to_str().unwrap(),
        "--json",
    ]));
    assert_eq!(sent["sent"], true, "{sent}");

    // The coordinator, where the devnet's validator client already looks for it.
    let _serve = Process::start(
        "coordinator",
        &[
            "cluster",
            "serve",
            "--dir",
            dir.to_str().unwrap(),
            "--network",
            &config,
            "--listen",
            &coordinator_listen,
        ],
    );

    // Active, then earning: its balance rises over two epochs (8-second epochs here).
    let (_, start) = wait_for(
        "the validator to be active",
        Duration::from_secs(300),
        || balance(&beacon, &pubkey).filter(|(status, _)| status == "active_ongoing"),
    );
    let (_, earned) = wait_for("the validator to earn", Duration::from_secs(120), || {
        balance(&beacon, &pubkey).filter(|(_, b)| *b > start)
    });

    // Each device registers its device key (a dev attester's signature over it here, a quote
    // on hardware).
    let register = |renew_within: &str| {
        json_of(&lsv(&[
            "cluster",
            "register",
            "--dir",
            dir.to_str().unwrap(),
            "--deployment",
            registry_record.to_str().unwrap(),
            "--network",
            &config,
            "--rpc",
            &rpc,
            "--key-file",
            devnet.account_key(2).to_str().unwrap(),
            "--renew-within",
            renew_within,
            "--json",
        ]))
    };
    let all_sent = |rows: &serde_json::Value, sent: bool| {
        let rows = rows.as_array().expect("one row per device");
        rows.len() == 4 && rows.iter().all(|r| r["registered"] == sent)
    };
    let registered = register("604800");
    assert!(all_sent(&registered, true), "{registered}");
    // Registered for 30 days: a run renewing within 7 days sends nothing, one renewing within
    // the whole lifetime renews every device.
    let again = register("604800");
    assert!(all_sent(&again, false), "{again}");
    let renewed = register("2592000");
    assert!(all_sent(&renewed, true), "{renewed}");

    // It joins C with the four device keys' signatures (the deployment names the registry):
    // a position and 31 sETH for the owner.
    let joined = json_of(&lsv(&[
        "join",
        "--pubkey",
        &pubkey,
        "--attestation-file",
        made["evidence"].as_str().unwrap(),
        "--deployment",
        registry_record.to_str().unwrap(),
        "--beacon-url",
        &beacon,
        "--network",
        &config,
        "--rpc",
        &rpc,
        "--key-file",
        devnet.account_key(2).to_str().unwrap(),
        "--json",
    ]));
    let lower = |v: &serde_json::Value| v.as_str().unwrap().to_lowercase();
    assert_eq!(lower(&joined["owner"]), owner, "{joined}");
    let position = json_of(&lsv(&[
        "position",
        joined["position_id"].as_str().unwrap(),
        "--vault",
        &vault,
        "--rpc",
        &rpc,
        "--json",
    ]));
    assert_eq!(lower(&position["holder"]), owner, "{position}");
    assert_eq!(position["status"], "Active", "{position}");
    assert_eq!(position["debt_wei"], "31000000000000000000", "{position}");

    // Device 2 killed: the other three still sign, and the balance still rises.
    devices[1].take().unwrap().kill();
    std::thread::sleep(Duration::from_secs(8));
    let (_, after_kill) = balance(&beacon, &pubkey).unwrap();
    wait_for(
        "the validator to earn with a device down",
        Duration::from_secs(120),
        || balance(&beacon, &pubkey).filter(|(_, b)| *b > after_kill.max(earned)),
    );
    drop(devices);
}
