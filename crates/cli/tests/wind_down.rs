//! The wind-down (`VaultWindDown.sol`), the way out of a vault nobody can prove anything about
//! any more (after a layout fork its verifiers do not know), run by `lsv keeper` without a
//! beacon node:
//!
//! - on anvil alone, with its clock moved past `WIND_DOWN_DELAY`: one `lsv keeper --once` round
//!   gives the notice, the next sends nothing while the notice runs;
//! - end to end on `lsv devnet` (hour-long slots, so that the 30 days of silence and the 7 days
//!   of notice the vault insists on are 111 epochs, replayed in about a minute): two validators
//!   join through a keeper that can prove, which then goes away; a keeper with only an execution
//!   node gives notice, exits both validators (their keys from the deposit contract's logs) and
//!   sweeps what their withdrawals bring; holders redeem and claim at par with `lsv
//!   claim-redemption`, owners claim the rest with `lsv claim`, and the vault is left empty.
//!
//! Needs anvil (`./scripts/test` installs it).

#![allow(unused_crate_dependencies)]

mod common;

use alloy::primitives::{B256, U256};
use alloy_sol_types::SolCall;
use common::{
    address_of, deploy_c, free_port, funded, http, json_of, lsv, operators, rpc_result, wait_for,
    wei, DeployedC, Operator, Process, RunningDevnet,
};
use lsv_consensus::{ForkName, Minimal};
use lsv_contracts::bindings::vault::Vault;
use lsv_devnet::anvil::{locate_anvil, AnvilExecution, AnvilOptions};
use lsv_devnet::devnet::unix_now;
use lsv_devnet::spec::Config;
use std::time::Duration;

#[test]
fn a_silent_vault_is_given_notice_once() {
    let dir = tempfile::tempdir().unwrap();
    let path = |name: &str| dir.path().join(name).to_str().unwrap().to_owned();
    let genesis_time = unix_now();
    let anvil = AnvilExecution::start(&AnvilOptions {
        binary: locate_anvil(),
        genesis_time,
        hardfork: "osaka",
        chain_id: 31_337,
        port: 0,
    })
    .expect("anvil starts");
    let rpc = anvil.anvil().url().to_owned();
    rpc_result(&rpc, "evm_setAutomine", "[true]");
    let keys = anvil.anvil().dev_keys();
    for (name, key) in [("deployer.key", keys[0]), ("keeper.key", keys[4])] {
        std::fs::write(path(name), key.to_string()).unwrap();
    }
    let yaml = Config::devnet(31_337)
        .network_config_yaml::<Minimal>(
            "wind-down-test",
            ForkName::Electra,
            genesis_time,
            B256::repeat_byte(0x42),
        )
        .unwrap();
    std::fs::write(path("config.yaml"), yaml).unwrap();

    let deployment = path("deployment.json");
    json_of(&lsv(&[
        "deploy",
        "--rpc",
        &rpc,
        "--network",
        &path("config.yaml"),
        "--key-file",
        &path("deployer.key"),
        "--dev-attester",
        "0x00000000000000000000000000000000000000a7",
        "--policy-hash",
        &B256::repeat_byte(0x50).to_string(),
        "--out",
        &deployment,
        "--json",
    ]));
    let round = || {
        json_of(&lsv(&[
            "keeper",
            "--once",
            "--deployment",
            &deployment,
            "--rpc",
            &rpc,
            "--key-file",
            &path("keeper.key"),
            "--journal",
            &path("keeper.sqlite"),
        ]))
    };
    let warp = |seconds: u64| {
        rpc_result(&rpc, "evm_increaseTime", &format!("[{seconds}]"));
        rpc_result(&rpc, "evm_mine", "[]");
    };

    // Not silent long enough yet: nothing to do.
    let first = round();
    assert_eq!(first["sent"], serde_json::json!([]), "{first}");
    // 31 days without a proof (WIND_DOWN_DELAY is 30 days, the least a vault takes).
    warp(31 * 24 * 3600);
    let noticed = round();
    assert_eq!(
        noticed["sent"],
        serde_json::json!(["noticeWindDown"]),
        "{noticed}"
    );
    // The notice stands: not given again; nothing to sweep before a wind-down starts.
    let again = round();
    assert_eq!(again["sent"], serde_json::json!([]), "{again}");
    assert_eq!(again["confirmed"], 1, "the notice was mined: {again}");
    warp(8 * 24 * 3600);
    let later = round();
    assert_eq!(later["sent"], serde_json::json!([]), "{later}");
}

/// One ETH in wei.
fn ether(n: u64) -> U256 {
    U256::from(n) * U256::from(10u64).pow(U256::from(18))
}

/// Whether `eth_call` of `data` on `to` reverts.
fn call_reverts(rpc: &str, to: &str, data: &[u8]) -> bool {
    let call = format!(
        r#"{{"jsonrpc":"2.0","id":1,"method":"eth_call","params":[{{"to":"{to}","data":"{}"}},"latest"]}}"#,
        alloy::hex::encode_prefixed(data)
    );
    let (status, body) = http(rpc, "/", Some(&call));
    assert_eq!(status, 200, "{body}");
    let answer: serde_json::Value = serde_json::from_str(&body).unwrap();
    !answer["error"].is_null()
}

/// A uint256 view of the vault.
fn view(rpc: &str, vault: &str, data: &[u8]) -> U256 {
    let result = rpc_result(
        rpc,
        "eth_call",
        &format!(
            r#"[{{"to":"{vault}","data":"{}"}},"latest"]"#,
            alloy::hex::encode_prefixed(data)
        ),
    );
    U256::from_str_radix(result.as_str().unwrap().trim_start_matches("0x"), 16).unwrap()
}

#[test]
fn a_vault_nobody_proves_winds_down_and_pays_holders_then_owners() {
    let work = tempfile::tempdir().unwrap();
    let path = |name: &str| work.path().join(name).to_str().unwrap().to_owned();
    let operators = operators(work.path(), 2);
    let signer_urls: Vec<String> = operators.iter().map(Operator::url).collect();
    // Genesis 400 epochs of hour-long slots ago (133 days), replayed at 24 slots a second: the
    // story needs about 200 of them, and ends long before the replay catches up with the clock.
    let mut args = vec![
        "--validators",
        "8",
        "--p-validators",
        "0",
        "--history-epochs",
        "400",
        "--replay-pace",
        "24",
        "--seconds-per-slot",
        "3600",
        "--min-validator-withdrawability-delay",
        "4",
    ];
    for url in &signer_urls {
        args.extend(["--remote-signer", url.as_str()]);
    }
    let devnet = RunningDevnet::start(&args);
    let rpc = devnet.rpc();
    let beacon = devnet.value("beacon API");
    let config = devnet.value("network config");
    let operators = funded(operators, &devnet);
    let (a, b) = (&operators[0], &operators[1]);
    let key = |o: &Operator| o.key_file.to_str().unwrap().to_owned();

    // C deployed for the operators' Ps (the least WIND_DOWN_DELAY: 30 days).
    let DeployedC {
        attester_key,
        vault,
        deployment,
    } = deploy_c(&devnet, work.path(), a);
    let run = |command: &[&str], extra: &[&str]| {
        let mut all: Vec<&str> = command.to_vec();
        all.extend(["--deployment", &deployment, "--rpc", &rpc]);
        all.extend(extra);
        lsv(&all)
    };

    // A keeper that can prove joins both validators from their evidence.
    let join_dir = work.path().join("joins");
    std::fs::create_dir(&join_dir).unwrap();
    let keeper_key = devnet.account_key(5);
    let keeper_with_beacon = Process::start(
        "keeper with a beacon node",
        &[
            "keeper",
            "--beacon-url",
            &beacon,
            "--network",
            &config,
            "--key-file",
            keeper_key.to_str().unwrap(),
            "--journal",
            &path("keeper.sqlite"),
            "--interval",
            "1",
            "--listen",
            &format!("127.0.0.1:{}", free_port()),
            "--log-format",
            "json",
            "--join-evidence",
            join_dir.to_str().unwrap(),
            "--deployment",
            &deployment,
            "--rpc",
            &rpc,
        ],
    );
    let _p_a = a.start_p(&config, &vault, &attester_key, false);
    let _p_b = b.start_p(&config, &vault, &attester_key, true);
    for (name, o) in [("a", a), ("b", b)] {
        let owner = address_of(&o.key_file);
        let (status, body) = http(
            &o.url(),
            "/eth/v1/lsv/keys",
            Some(&format!(r#"{{"owner":"{owner}","count":1}}"#)),
        );
        assert_eq!(status, 200, "{body}");
        let keys: serde_json::Value = serde_json::from_str(&body).unwrap();
        let file = path(&format!("deposit-{name}.json"));
        std::fs::write(
            &file,
            serde_json::to_string(&vec![&keys["data"][0]["deposit_data"]]).unwrap(),
        )
        .unwrap();
        let sent = json_of(&run(
            &["deposit", "--deposit-data", &file],
            &["--network", &config, "--key-file", &key(o), "--json"],
        ));
        assert_eq!(sent["sent"], true, "{sent}");
        std::fs::write(join_dir.join(format!("{name}.json")), &body).unwrap();
    }
    let position_of = |o: &Operator| -> Option<u64> {
        let owner = address_of(&o.key_file).to_string();
        let held = json_of(&run(&["position", "--owner", &owner], &["--json"]));
        held[0]["id"].as_str().map(|id| id.parse().unwrap())
    };
    let id_a = wait_for("the keeper to join A", Duration::from_secs(180), || {
        position_of(a)
    });
    let id_b = wait_for("the keeper to join B", Duration::from_secs(60), || {
        position_of(b)
    });
    // ... and goes away: from here on, nobody proves anything about C.
    keeper_with_beacon.kill();
    let redeemed = json_of(&run(&["redeem", "10"], &["--key-file", &key(a), "--json"]));
    let first_request = redeemed["request_id"].as_u64().unwrap();

    // A keeper with only an execution node: notice, exits, sweeps.
    let keeper = Process::start(
        "keeper without a beacon node",
        &[
            "keeper",
            "--network",
            &config,
            "--key-file",
            keeper_key.to_str().unwrap(),
            "--journal",
            &path("keeper-el.sqlite"),
            "--interval",
            "1",
            "--listen",
            &format!("127.0.0.1:{}", free_port()),
            "--log-format",
            "json",
            "--deployment",
            &deployment,
            "--rpc",
            &rpc,
        ],
    );
    let position = |id: u64| -> serde_json::Value {
        json_of(&run(
            &["position", &id.to_string()],
            &["--beacon-url", &beacon, "--json"],
        ))
    };
    wait_for("both positions to unwind", Duration::from_secs(240), || {
        (position(id_a)["status"] == "Unwinding" && position(id_b)["status"] == "Unwinding")
            .then_some(())
    });
    assert!(
        keeper.logged(&["\"duty\":\"noticeWindDown\"", "sent"]),
        "{}",
        keeper.tail()
    );
    // Both withdrawn, and everything that arrived swept (the sweep now has nothing to do).
    wait_for(
        "both validators to be withdrawn",
        Duration::from_secs(180),
        || {
            [id_a, id_b]
                .iter()
                .all(|&id| position(id)["beacon"]["status"] == "withdrawal_done")
                .then_some(())
        },
    );
    let sweep = Vault::sweepWindDownCall {}.abi_encode();
    wait_for(
        "the keeper to sweep it all",
        Duration::from_secs(60),
        || call_reverts(&rpc, &vault, &sweep).then_some(()),
    );
    for duty in ["windDownExit", "sweepWindDown"] {
        let sent = format!("\"duty\":\"{duty}\"");
        assert!(keeper.logged(&[&sent, "sent"]), "{}", keeper.tail());
    }
    keeper.kill();
    let booked = view(&rpc, &vault, &Vault::windDownSethBookedCall {}.abi_encode());
    let seth = view(&rpc, &vault, &Vault::windDownSethCall {}.abi_encode());
    assert_eq!(seth, ether(62), "every sETH outstanding at the start");
    assert_eq!(booked, seth, "the withdrawals cover every sETH at par");

    // Holders: the request open at the start and those made since are paid at par.
    let queue = json_of(&run(
        &["queue"],
        &["--owner", &address_of(&a.key_file).to_string(), "--json"],
    ));
    assert_eq!(queue["queue"]["winding_down"], true, "{queue}");
    assert_eq!(queue["requests"][0]["status"], "winding_down", "{queue}");
    assert_eq!(
        wei(&queue["requests"][0]["claimable"]),
        ether(10),
        "{queue}"
    );
    let mut paid_to_holders = U256::ZERO;
    for (o, amount) in [(a, 21), (b, 31)] {
        let r = json_of(&run(
            &["redeem", &amount.to_string()],
            &["--key-file", &key(o), "--json"],
        ));
        assert!(r["request_id"].as_u64().unwrap() > first_request, "{r}");
        let claimed = json_of(&run(
            &["claim-redemption"],
            &["--key-file", &key(o), "--json"],
        ));
        let paid = claimed
            .as_array()
            .unwrap()
            .iter()
            .fold(U256::ZERO, |sum, c| sum + wei(&c["paid_wei"]));
        // A: 10 + 21 sETH; B: 31.
        assert_eq!(paid, ether(31), "at par: {claimed}");
        paid_to_holders += paid;
    }
    assert_eq!(paid_to_holders, ether(62));

    // Owners: the rest, pro rata to what each had beyond its debt.
    let mut paid_to_owners = U256::ZERO;
    for (o, id) in [(a, id_a), (b, id_b)] {
        let share = wei(&position(id)["wind_down_share_wei"]);
        assert!(!share.is_zero(), "{}", position(id));
        let paid = json_of(&run(
            &["claim", &id.to_string()],
            &["--key-file", &key(o), "--json"],
        ));
        assert_eq!(wei(&paid["paid_wei"]), share, "{paid}");
        assert_eq!(paid["payments"][0]["what"], "wind-down share", "{paid}");
        paid_to_owners += share;
    }
    // Both validators' withdrawals, every wei of them, went to holders and owners.
    let left = rpc_result(&rpc, "eth_getBalance", &format!(r#"["{vault}","latest"]"#));
    let left = U256::from_str_radix(left.as_str().unwrap().trim_start_matches("0x"), 16).unwrap();
    assert!(
        left < U256::from(1_000_000u64),
        "{left} wei left in the vault"
    );
    assert!(paid_to_owners > ether(1), "{paid_to_owners}");
    eprintln!("holders paid {paid_to_holders} wei, owners {paid_to_owners} wei; {left} wei left");
}
