//! The staker's commands as a staker runs them, against the real `lsv devnet` (anvil, the
//! minimal-preset beacon chain, a real P): a key generated on P for an owner, `lsv deposit` of
//! it, `lsv join` once the deposit is processed (which waits for its block to be finalized),
//! and `lsv position` showing the position Active with 31 ETH of debt; then the owner redeems
//! sETH, a donation fills the buffer, `lsv keeper` finalizes the request (once, however often
//! it runs) and `lsv claim-redemption` pays it; and the refusals: deposit
//! data with credentials other than the vault's is refused before anything is sent, and a join
//! of a key never deposited times out with a message that says so. Needs anvil
//! (`./scripts/test` installs it).

#![allow(unused_crate_dependencies)]

mod common;

use alloy::primitives::{Address, U256};
use common::{address_of, http, lsv, rpc_result, text, RunningDevnet, LSV};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The pending nonce of `address` on anvil.
fn nonce(rpc: &str, address: Address) -> u64 {
    let n = rpc_result(
        rpc,
        "eth_getTransactionCount",
        &format!(r#"["{address}","pending"]"#),
    );
    u64::from_str_radix(n.as_str().unwrap().trim_start_matches("0x"), 16).unwrap()
}

#[test]
fn a_staker_deposits_joins_and_sees_the_position_on_the_devnet() {
    let started = Instant::now();
    let dir = tempfile::tempdir().unwrap();
    let devnet = RunningDevnet::start(&[
        "--validators",
        "64",
        "--p-validators",
        "2",
        "--history-epochs",
        "1",
        // One-second slots: the wait for the registry takes seconds, not minutes.
        "--seconds-per-slot",
        "1",
    ]);
    let devnet_dir = devnet.dir();
    let rpc = devnet.rpc();
    let beacon = devnet.value("beacon API");
    let p = devnet.value("P's signer API");
    let vault = devnet.value("vault (C)");
    let config = devnet.value("network config");
    let key2 = devnet_dir.join("accounts/2.key");
    let key3 = devnet_dir.join("accounts/3.key");
    let owner = address_of(&key2);
    let key2 = key2.to_str().unwrap();
    let key3 = key3.to_str().unwrap();

    // Two keys on the running P for the owner: the first is deposited and joined, the second
    // never deposited.
    let (status, body) = http(
        &p,
        "/eth/v1/lsv/keys",
        Some(&format!(r#"{{"owner":"{owner}","count":2}}"#)),
    );
    assert_eq!(status, 200, "{body}");
    let keys: serde_json::Value = serde_json::from_str(&body).unwrap();
    let pubkey = keys["data"][0]["pubkey"].as_str().unwrap().to_owned();
    let never_deposited = keys["data"][1]["pubkey"].as_str().unwrap().to_owned();
    let deposit_data = dir.path().join("deposit_data.json");
    std::fs::write(
        &deposit_data,
        serde_json::to_string(&vec![&keys["data"][0]["deposit_data"]]).unwrap(),
    )
    .unwrap();
    let deposit_data = deposit_data.to_str().unwrap();

    // Deposit data whose credentials are not the vault's: refused, nothing sent.
    let mut wrong = keys["data"][0]["deposit_data"].clone();
    wrong["withdrawal_credentials"] = serde_json::json!(format!("02{}", "11".repeat(31)));
    let wrong_file = dir.path().join("wrong.json");
    std::fs::write(&wrong_file, serde_json::to_string(&vec![wrong]).unwrap()).unwrap();
    let before = nonce(&rpc, owner);
    let out = lsv(&[
        "deposit",
        "--deposit-data",
        wrong_file.to_str().unwrap(),
        "--vault",
        &vault,
        "--network",
        &config,
        "--rpc",
        &rpc,
        "--key-file",
        key2,
    ]);
    assert!(!out.status.success(), "{}", text(&out.stderr));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("withdrawal_credentials") && stderr.contains("are not the vault's"),
        "{stderr}"
    );
    assert!(stderr.contains("wrong.json"), "names the file: {stderr}");
    assert_eq!(nonce(&rpc, owner), before, "nothing was sent");

    // A dry run checks everything and sends nothing.
    let out = lsv(&[
        "deposit",
        "--deposit-data",
        deposit_data,
        "--vault",
        &vault,
        "--network",
        &config,
        "--rpc",
        &rpc,
        "--dry-run",
        "--json",
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let checked: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(checked["sent"], false, "{checked}");
    assert_eq!(nonce(&rpc, owner), before, "a dry run sends nothing");

    // The real deposit.
    let out = lsv(&[
        "deposit",
        "--deposit-data",
        deposit_data,
        "--vault",
        &vault,
        "--network",
        &config,
        "--rpc",
        &rpc,
        "--key-file",
        key2,
        "--beacon-url",
        &beacon,
        "--json",
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let sent: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(sent["sent"], true, "{sent}");
    assert_eq!(sent["pubkey"], pubkey.as_str());
    assert_eq!(nonce(&rpc, owner), before + 1);

    // The same deposit again: refused before sending, from the deposit contract's logs.
    let out = lsv(&[
        "deposit",
        "--deposit-data",
        deposit_data,
        "--vault",
        &vault,
        "--network",
        &config,
        "--rpc",
        &rpc,
        "--key-file",
        key2,
    ]);
    assert!(!out.status.success());
    let stderr = text(&out.stderr);
    assert!(stderr.contains("was deposited already"), "{stderr}");
    assert_eq!(nonce(&rpc, owner), before + 1, "nothing more was sent");
    let deposited_at = started.elapsed();

    // The join waits for the registry; meanwhile a join of the key never deposited times out.
    let join = Command::new(LSV)
        .args([
            "join",
            "--pubkey",
            &pubkey,
            "--p-url",
            &p,
            "--vault",
            &vault,
            "--beacon-url",
            &beacon,
            "--network",
            &config,
            "--rpc",
            &rpc,
            "--key-file",
            key2,
            "--timeout",
            "400",
            "--json",
        ])
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let out = lsv(&[
        "join",
        "--pubkey",
        &never_deposited,
        "--p-url",
        &p,
        "--vault",
        &vault,
        "--beacon-url",
        &beacon,
        "--network",
        &config,
        "--rpc",
        &rpc,
        "--key-file",
        key3,
        "--timeout",
        "10",
    ]);
    assert!(!out.status.success());
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("timed out after") && stderr.contains(&never_deposited),
        "{stderr}"
    );
    assert!(stderr.contains("not in the registry yet"), "{stderr}");
    assert!(stderr.contains("no deposit for"), "{stderr}");

    // --no-wait: no waiting at all.
    let quick = Instant::now();
    let out = lsv(&[
        "join",
        "--pubkey",
        &never_deposited,
        "--p-url",
        &p,
        "--vault",
        &vault,
        "--beacon-url",
        &beacon,
        "--network",
        &config,
        "--rpc",
        &rpc,
        "--key-file",
        key3,
        "--no-wait",
    ]);
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains("not in the registry yet"));
    assert!(
        quick.elapsed() < Duration::from_secs(5),
        "{:?}",
        quick.elapsed()
    );

    let out = join.wait_with_output().unwrap();
    let stderr = text(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains("waiting:"), "progress is shown: {stderr}");
    assert!(stderr.contains("was deposited at slot"), "{stderr}");
    assert!(stderr.contains("ETA ~"), "with an ETA: {stderr}");
    assert!(
        stderr.contains("deposit queued at slot"),
        "the queue ahead counted: {stderr}"
    );
    let joined: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let id = joined["position_id"]
        .as_str()
        .unwrap()
        .parse::<U256>()
        .unwrap();
    let address = |v: &serde_json::Value| v.as_str().unwrap().parse::<Address>().unwrap();
    assert_eq!(address(&joined["owner"]), owner, "{joined}");
    eprintln!("lsv join said:\n{stderr}");
    let joined_at = started.elapsed();

    // The position, by id and by owner.
    let out = lsv(&[
        "position",
        &id.to_string(),
        "--vault",
        &vault,
        "--rpc",
        &rpc,
        "--beacon-url",
        &beacon,
        "--json",
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let position: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(position["status"], "Active", "{position}");
    assert_eq!(address(&position["holder"]), owner, "{position}");
    // Wei as decimal strings, as `jq` and people read them.
    assert_eq!(position["debt_wei"], "31000000000000000000", "{position}");
    assert_eq!(position["id"], id.to_string(), "{position}");
    let balance = position["beacon"]["balance_gwei"].as_u64().unwrap();
    assert!(balance >= 32_000_000_000, "{position}");
    assert_eq!(
        position["beacon"]["distance_to_ejection_gwei"]
            .as_i64()
            .unwrap(),
        balance as i64 - 31_990_000_000
    );
    let out = lsv(&[
        "position",
        "--owner",
        &owner.to_string(),
        "--vault",
        &vault,
        "--rpc",
        &rpc,
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let listed = text(&out.stdout);
    assert!(
        listed.contains(&format!("position {id} (Active)")),
        "{listed}"
    );
    assert!(listed.contains("31.0000 ETH"), "{listed}");

    // The holder's side, with a keeper: the owner redeems 1 of its 31 sETH; ETH donated to the
    // vault fills the buffer; one keeper round finalizes the request (a second round, right
    // after, sends nothing: the finalization is in flight in its journal); the owner claims.
    let deployment = devnet_dir.join("deployment.json");
    let deployment = deployment.to_str().unwrap();
    let queue = || -> serde_json::Value {
        let out = lsv(&[
            "queue",
            "--deployment",
            deployment,
            "--rpc",
            &rpc,
            "--owner",
            &owner.to_string(),
            "--json",
        ]);
        assert!(out.status.success(), "{}", text(&out.stderr));
        serde_json::from_slice(&out.stdout).unwrap()
    };
    let wei = |v: &serde_json::Value| v.as_str().unwrap().parse::<U256>().unwrap();
    let out = lsv(&[
        "redeem",
        "1",
        "--deployment",
        deployment,
        "--rpc",
        &rpc,
        "--key-file",
        key2,
        "--json",
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let redeemed: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let request = redeemed["request_id"].as_u64().unwrap();
    let q = queue();
    assert_eq!(q["requests"][0]["id"], request, "{q}");
    assert_eq!(q["requests"][0]["status"], "open", "{q}");
    assert_eq!(wei(&q["requests"][0]["ahead"]), U256::ZERO, "{q}");

    let donor = address_of(&devnet.account_key(9));
    rpc_result(
        &rpc,
        "eth_sendTransaction",
        // Fees given: anvil's own default tip is above its fee cap with the devnet's settings.
        &format!(
            r#"[{{"from":"{donor}","to":"{vault}","value":"0x1bc16d674ec80000",
                "maxFeePerGas":"0x2540be400","maxPriorityFeePerGas":"0x0"}}]"#
        ),
    );
    let one = U256::from(10u64).pow(U256::from(18));
    let deadline = Instant::now() + Duration::from_secs(60);
    while wei(&queue()["queue"]["buffer"]) < one {
        assert!(Instant::now() < deadline, "the donation was not mined");
        std::thread::sleep(Duration::from_millis(500));
    }

    let journal = dir.path().join("keeper.sqlite");
    let keeper_key = devnet.account_key(5);
    let keeper_round = || -> serde_json::Value {
        let out = lsv(&[
            "keeper",
            "--once",
            "--deployment",
            deployment,
            "--rpc",
            &rpc,
            "--key-file",
            keeper_key.to_str().unwrap(),
            "--journal",
            journal.to_str().unwrap(),
            "--beacon-url",
            &beacon,
            "--network",
            &config,
        ]);
        assert!(out.status.success(), "{}", text(&out.stderr));
        serde_json::from_slice(&out.stdout).unwrap()
    };
    let round = keeper_round();
    assert_eq!(round["finalized_to"], request, "{round}");
    assert_eq!(
        round["sent"],
        serde_json::json!([]),
        "a healthy position needs nothing: {round}"
    );
    let again = keeper_round();
    assert_eq!(again["finalized_to"], serde_json::Value::Null, "{again}");

    let deadline = Instant::now() + Duration::from_secs(60);
    while queue()["requests"][0]["status"] != "finalized" {
        assert!(Instant::now() < deadline, "the finalization was not mined");
        std::thread::sleep(Duration::from_millis(500));
    }
    let out = lsv(&[
        "claim-redemption",
        "--deployment",
        deployment,
        "--rpc",
        &rpc,
        "--key-file",
        key2,
        "--json",
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let claimed: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(claimed[0]["request_id"], request, "{claimed}");
    assert_eq!(claimed[0]["paid_wei"], one.to_string(), "{claimed}");
    assert_eq!(queue()["requests"][0]["status"], "claimed");
    // The keeper's rounds after it found its finalization mined, once.
    let after = keeper_round();
    let confirmed = again["confirmed"].as_u64().unwrap() + after["confirmed"].as_u64().unwrap();
    assert_eq!(confirmed, 1, "{again} {after}");

    drop(devnet);
    eprintln!(
        "deposited at {deposited_at:?}, joined at {joined_at:?}, done in {:?}",
        started.elapsed()
    );
}
