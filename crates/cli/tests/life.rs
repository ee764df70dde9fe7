//! The whole life of two validators, as their operators, a holder and a keeper live it, with
//! nothing but `lsv` commands and processes against the real `lsv devnet` (anvil below a
//! minimal-preset beacon chain run with one-second slots and short exit delays):
//!
//! - a deployer runs `lsv deploy` (a C of its own, not the devnet's) for the Ps of two operators,
//!   which share the deployment's dev attestation key (`--dev-attester-key-file`, the stand-in
//!   for a vendor's root);
//! - each operator runs their own P (`lsv signer`), which the devnet's validator client signs
//!   through (`lsv devnet --remote-signer`), generates a key and `lsv deposit`s; A `lsv join`s
//!   itself, B hands its evidence to the keeper, which joins it once it is in the registry;
//! - `lsv keeper` runs beside them from the start, as a process;
//! - operator A's machine goes down (its P is killed): A's validator misses every duty, its
//!   balance falls under 31.99 ETH, and the keeper ejects it (for the reward);
//! - operator B exits on their own (`lsv exit --wait`, which follows it to its withdrawal with
//!   an ETA), the holder redeems sETH (`lsv redeem`);
//! - both validators are withdrawn; the keeper settles both, finalizes the queue; the holder
//!   claims (`lsv claim-redemption`) and each operator claims the residual (`lsv claim`);
//! - the keeper is killed (SIGKILL) and restarted on its journal twice: right after it sent the
//!   ejection, and right after it sent the first settlement; in the whole run it sends no
//!   transaction that reverts and no duty twice.
//!
//! Needs anvil (`./scripts/test` installs it). Takes a few minutes: the chain must run through
//! activation, ejection, the exit queue and the withdrawal sweep.

#![allow(unused_crate_dependencies)]

mod common;

use alloy::primitives::{Address, U256};
use alloy_sol_types::SolCall;
use common::{
    address_of, deploy_c, free_port, funded, http, json_of, lsv, operators, rpc_result, text,
    wait_for, wei, DeployedC, Operator, Process, RunningDevnet, LSV,
};
use lsv_contracts::bindings::vault::Vault;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

/// The devnet's timing: one-second slots (eight-second epochs), `SHARD_COMMITTEE_PERIOD` 2 and
/// `MIN_VALIDATOR_WITHDRAWABILITY_DELAY` 4 epochs.
const DEVNET_TIMING: [&str; 6] = [
    "--seconds-per-slot",
    "1",
    "--shard-committee-period",
    "2",
    "--min-validator-withdrawability-delay",
    "4",
];

#[test]
fn two_validators_live_from_deploy_to_claim_beside_a_keeper_killed_twice() {
    let started = Instant::now();
    let work = tempfile::tempdir().unwrap();
    let path = |name: &str| work.path().join(name).to_str().unwrap().to_owned();
    let operators = operators(work.path(), 2);
    let signer_urls: Vec<String> = operators.iter().map(Operator::url).collect();
    let mut args = vec![
        "--validators",
        "8",
        "--p-validators",
        "0",
        "--history-epochs",
        "1",
    ];
    args.extend(DEVNET_TIMING);
    for url in &signer_urls {
        args.extend(["--remote-signer", url.as_str()]);
    }
    let devnet = RunningDevnet::start(&args);
    let rpc = devnet.rpc();
    let beacon = devnet.value("beacon API");
    let config = devnet.value("network config");
    let operators = funded(operators, &devnet);
    let (a, b) = (&operators[0], &operators[1]);
    let keeper_key = devnet.account_key(5);
    let keeper_address = address_of(&keeper_key);
    let key = |o: &Operator| o.key_file.to_str().unwrap().to_owned();

    // The deployer: C deployed for A's P.
    let DeployedC {
        attester_key,
        vault,
        deployment,
    } = deploy_c(&devnet, work.path(), a);
    let chain = |extra: &[&str]| -> Vec<String> {
        let mut v: Vec<String> = ["--deployment", &deployment, "--rpc", &rpc]
            .iter()
            .map(|s| s.to_string())
            .collect();
        v.extend(extra.iter().map(|s| s.to_string()));
        v
    };
    let run = |command: &[&str], extra: &[&str]| -> Output {
        let mut all: Vec<String> = command.iter().map(|s| s.to_string()).collect();
        all.extend(chain(extra));
        let refs: Vec<&str> = all.iter().map(String::as_str).collect();
        lsv(&refs)
    };

    // The keeper, from the start; it joins the validators whose evidence is put in join_dir.
    let journal = path("keeper.sqlite");
    let join_dir = work.path().join("joins");
    std::fs::create_dir(&join_dir).unwrap();
    let keeper_listen = format!("127.0.0.1:{}", free_port());
    let keeper_args: Vec<String> = [
        "keeper",
        "--beacon-url",
        &beacon,
        "--network",
        &config,
        "--key-file",
        keeper_key.to_str().unwrap(),
        "--journal",
        &journal,
        "--interval",
        "2",
        "--listen",
        &keeper_listen,
        "--log-format",
        "json",
        "--join-evidence",
        join_dir.to_str().unwrap(),
    ]
    .iter()
    .map(|s| s.to_string())
    .chain(chain(&[]))
    .collect();
    let start_keeper = || {
        let refs: Vec<&str> = keeper_args.iter().map(String::as_str).collect();
        Process::start("keeper", &refs)
    };
    let mut keeper = start_keeper();

    // The operators: their Ps bound to C, a key each, deposited and joined.
    let mut p_a = Some(a.start_p(&config, &vault, &attester_key, false));
    let p_b = b.start_p(&config, &vault, &attester_key, true);
    let mut join_a = None;
    let mut pubkeys = Vec::new();
    for o in &operators {
        let owner = address_of(&o.key_file);
        let (status, body) = http(
            &o.url(),
            "/eth/v1/lsv/keys",
            Some(&format!(r#"{{"owner":"{owner}","count":1}}"#)),
        );
        assert_eq!(status, 200, "{body}");
        let keys: serde_json::Value = serde_json::from_str(&body).unwrap();
        let pubkey = keys["data"][0]["pubkey"].as_str().unwrap().to_owned();
        let file = work.path().join(format!("deposit-{}.json", o.port));
        std::fs::write(
            &file,
            serde_json::to_string(&vec![&keys["data"][0]["deposit_data"]]).unwrap(),
        )
        .unwrap();
        let sent = json_of(&run(
            &["deposit", "--deposit-data", file.to_str().unwrap()],
            &["--network", &config, "--key-file", &key(o), "--json"],
        ));
        assert_eq!(sent["sent"], true, "{sent}");
        pubkeys.push(pubkey.clone());
        if o.port != a.port {
            // B hands its evidence (P's answer, as it is) to the keeper, which joins for it.
            std::fs::write(join_dir.join("b.json"), &body).unwrap();
            continue;
        }
        // A joins itself; `lsv join` waits for the registry.
        let mut join = Command::new(LSV);
        join.args(["join", "--pubkey", &pubkey, "--p-url", &o.url()])
            .args(chain(&[
                "--beacon-url",
                &beacon,
                "--network",
                &config,
                "--key-file",
                &key(o),
                "--timeout",
                "300",
                "--json",
            ]))
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        join_a = Some(join.spawn().unwrap());
    }
    let joined = json_of(&join_a.unwrap().wait_with_output().unwrap());
    let id_a: u64 = joined["position_id"].as_str().unwrap().parse().unwrap();
    let owner_b = address_of(&b.key_file).to_string();
    let id_b: u64 = wait_for("the keeper to join B", Duration::from_secs(120), || {
        let held = json_of(&run(&["position", "--owner", &owner_b], &["--json"]));
        held[0]["id"].as_str().map(|id| id.parse().unwrap())
    });
    assert!(
        keeper.logged(&["\"duty\":\"join\"", "sent"]),
        "{}",
        keeper.tail()
    );
    let joined_at = started.elapsed();
    let position = |id: u64| -> serde_json::Value {
        json_of(&run(
            &["position", &id.to_string()],
            &["--beacon-url", &beacon, "--json"],
        ))
    };
    assert_eq!(position(id_a)["status"], "Active");
    assert_eq!(position(id_b)["status"], "Active");

    // A's machine goes down. Its validator misses every duty until its balance is under
    // 31.99 ETH; the keeper ejects it, and is killed right after sending the ejection.
    p_a.take().unwrap().kill();
    eprintln!(
        "A offline at {:?}: {}",
        started.elapsed(),
        position(id_a)["beacon"]
    );
    wait_for(
        "the keeper to send the ejection",
        Duration::from_secs(400),
        || keeper.logged(&["\"duty\":\"eject\"", "sent"]).then_some(()),
    );
    eprintln!("A's ejection sent at {:?}", started.elapsed());
    keeper.kill();
    keeper = start_keeper();
    wait_for(
        "A's position to be exiting",
        Duration::from_secs(120),
        || (position(id_a)["status"] == "Exiting").then_some(()),
    );
    let ejected_at = started.elapsed();

    // The holder (B's owner) redeems 20 of its 31 sETH; B exits on its own.
    let holder_key = key(b);
    let redeemed = json_of(&run(
        &["redeem", "20"],
        &["--key-file", &holder_key, "--json"],
    ));
    let request = redeemed["request_id"].as_u64().unwrap();
    // `--wait` follows the validator to its withdrawal, with ETAs.
    let exiting = Command::new(LSV)
        .args([
            "exit",
            "--pubkey",
            &pubkeys[1],
            "--p-url",
            &b.url(),
            "--beacon-url",
            &beacon,
            "--network",
            &config,
            "--wait",
        ])
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();

    // The withdrawals: the keeper settles both positions; killed after its first settlement.
    wait_for(
        "the keeper's first settlement",
        Duration::from_secs(400),
        || {
            keeper
                .logged(&["\"duty\":\"settle\"", "sent"])
                .then_some(())
        },
    );
    keeper.kill();
    keeper = start_keeper();
    wait_for(
        "both positions to be settled",
        Duration::from_secs(400),
        || {
            (position(id_a)["status"] == "Closed" && position(id_b)["status"] == "Closed")
                .then_some(())
        },
    );
    let settled_at = started.elapsed();
    let exited = exiting.wait_with_output().unwrap();
    let said = text(&exited.stderr);
    assert!(exited.status.success(), "{said}");
    assert!(text(&exited.stdout).contains("exit signed by P"), "{said}");
    assert!(
        said.contains("exits at epoch") && said.contains("ETA ~"),
        "the exit queue with an ETA: {said}"
    );
    assert!(said.contains("is withdrawn"), "{said}");
    eprintln!("lsv exit --wait said:\n{said}");

    // The queue finalized by the keeper; the holder claims 20 ETH, each owner its residual.
    let queue = || {
        json_of(&run(
            &["queue"],
            &["--owner", &address_of(&b.key_file).to_string(), "--json"],
        ))
    };
    wait_for(
        "the request to be finalized",
        Duration::from_secs(120),
        || (queue()["requests"][0]["status"] == "finalized").then_some(()),
    );
    let claimed = json_of(&run(
        &["claim-redemption"],
        &["--key-file", &holder_key, "--json"],
    ));
    assert_eq!(claimed[0]["request_id"], request, "{claimed}");
    let twenty = U256::from(20u64) * U256::from(10u64).pow(U256::from(18));
    assert_eq!(wei(&claimed[0]["paid_wei"]), twenty, "at par: {claimed}");
    for (o, id) in [(a, id_a), (b, id_b)] {
        let residual = wei(&position(id)["claimable_residual_wei"]);
        assert!(!residual.is_zero(), "{}", position(id));
        let paid = json_of(&run(
            &["claim", &id.to_string()],
            &["--key-file", &key(o), "--json"],
        ));
        assert_eq!(wei(&paid["paid_wei"]), residual, "{paid}");
    }

    // The keeper's whole record on chain: every transaction it sent succeeded, and no duty
    // went out twice.
    let latest = rpc_result(&rpc, "eth_blockNumber", "[]");
    let latest =
        u64::from_str_radix(latest.as_str().unwrap().trim_start_matches("0x"), 16).unwrap();
    let mut calls = Vec::new();
    for n in 1..=latest {
        let block = rpc_result(
            &rpc,
            "eth_getBlockByNumber",
            &format!(r#"["0x{n:x}",true]"#),
        );
        for tx in block["transactions"].as_array().unwrap() {
            if tx["from"].as_str().unwrap().parse::<Address>().unwrap() != keeper_address {
                continue;
            }
            let hash = tx["hash"].as_str().unwrap();
            let receipt = rpc_result(&rpc, "eth_getTransactionReceipt", &format!(r#"["{hash}"]"#));
            assert_eq!(receipt["status"], "0x1", "the keeper's {hash} reverted");
            // A duty is its function and first argument (a position, a request), but a credit
            // is one withdrawal's: each may be credited once, so its whole input.
            let input = tx["input"].as_str().unwrap();
            let credit = input.starts_with(&alloy::hex::encode_prefixed(
                Vault::creditWithdrawalCall::SELECTOR,
            ));
            let key = if credit {
                input.len()
            } else {
                input.len().min(2 + 8 + 64)
            };
            calls.push(input[..key].to_owned());
        }
    }
    let mut unique = calls.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), calls.len(), "a duty sent twice: {calls:#?}");
    // eject, two settlements and a finalization at least.
    assert!(calls.len() >= 4, "{calls:#?}");
    eprintln!("the keeper's {} transactions", calls.len());

    drop(keeper);
    drop(p_b);
    drop(devnet);
    eprintln!(
        "joined at {joined_at:?}, ejected at {ejected_at:?}, settled at {settled_at:?}, done in \
         {:?}",
        started.elapsed()
    );
}
