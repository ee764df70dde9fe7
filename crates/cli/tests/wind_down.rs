//! The keeper's wind-down duty, on a vault nobody proves anything about: C deployed by `lsv
//! deploy` on anvil (with the EIP-4788 and EIP-7002 system contracts and the deposit contract,
//! but no beacon chain to prove from), then anvil's clock moved past `WIND_DOWN_DELAY`. One
//! `lsv keeper --once` round gives the notice (`noticeWindDown`); the next sends nothing while
//! the notice runs; the sweep is not due before a wind-down started. Needs anvil
//! (`./scripts/test` installs it).

#![allow(unused_crate_dependencies)]

mod common;

use alloy::primitives::B256;
use common::{json_of, lsv, rpc_result};
use lsv_consensus::{ForkName, Minimal};
use lsv_devnet::anvil::{locate_anvil, AnvilExecution, AnvilOptions};
use lsv_devnet::devnet::unix_now;
use lsv_devnet::spec::Config;

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
