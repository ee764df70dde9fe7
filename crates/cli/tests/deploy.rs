//! `lsv deploy` and `lsv verify-deployment` as a deployer and an auditor run them, against the
//! real `lsv devnet` (anvil with the system contracts, P running):
//!
//! - a node on another chain than `--network`'s is refused before anything is sent;
//! - parameters the vault's constructor refuses are caught by the simulation of the whole
//!   deployment, named by the contract's custom error, with no transaction sent (a keystore key);
//! - a deployment bound to the running P (`--p-url`) succeeds and writes deployment.json, which
//!   is never overwritten without `--force`;
//! - `lsv verify-deployment` passes on it, and fails, naming the check, on a record whose
//!   parameters or token addresses were edited;
//! - the record `lsv devnet` writes of its own C passes the same checks.
//!
//! Needs anvil (`./scripts/test` installs it).

#![allow(unused_crate_dependencies)]

mod common;

use common::{http, lsv, rpc_result, RunningDevnet};
use std::path::Path;
use std::time::Duration;

/// `crates/cli/tests/fixtures/anvil-2.keystore.json`: anvil's public test key #2 in a Web3
/// Secret Storage v3 keystore (scrypt with n = 1024, so that it opens fast), made with Python's
/// eth-account.
const KEYSTORE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/anvil-2.keystore.json"
);
const KEYSTORE_PASSWORD: &str = "lsv test password";
const KEYSTORE_ADDRESS: &str = "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC";

fn nonce(rpc: &str, address: &str) -> String {
    rpc_result(
        rpc,
        "eth_getTransactionCount",
        &format!(r#"["{address}","latest"]"#),
    )
    .as_str()
    .unwrap()
    .to_owned()
}

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn edit_json(from: &Path, to: &Path, edit: impl FnOnce(&mut serde_json::Value)) {
    let mut value: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(from).unwrap()).unwrap();
    edit(&mut value);
    std::fs::write(to, serde_json::to_string_pretty(&value).unwrap()).unwrap();
}

#[test]
fn deploy_checks_simulates_writes_and_verify_deployment_catches_edits() {
    let devnet = RunningDevnet::start(&[
        "--validators",
        "64",
        "--p-validators",
        "1",
        "--history-epochs",
        "1",
    ]);
    devnet.wait_caught_up(Duration::from_secs(120));
    let rpc = devnet.rpc();
    let p = devnet.value("P's signer API");
    let config = devnet.value("network config");
    let work = tempfile::tempdir().unwrap();
    let record = work.path().join("deployment.json");
    let record_arg = record.to_str().unwrap();
    let key = devnet.account_key(1);
    let key_arg = key.to_str().unwrap();

    // The devnet's own C, described in the record it writes, passes every check.
    let devnet_record = devnet.dir().join("deployment.json");
    let out = lsv(&[
        "verify-deployment",
        devnet_record.to_str().unwrap(),
        "--rpc",
        &rpc,
    ]);
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        stderr(&out)
    );
    let described: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&devnet_record).unwrap()).unwrap();
    assert_eq!(
        described["contracts"]["vault"]["address"]
            .as_str()
            .unwrap()
            .to_lowercase(),
        devnet.value("vault (C)").to_lowercase()
    );

    // Another chain than the network's: refused before anything is sent.
    let out = lsv(&[
        "deploy",
        "--rpc",
        &rpc,
        "--network",
        "mainnet",
        "--key-file",
        key_arg,
        "--p-url",
        &p,
        "--out",
        record_arg,
    ]);
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("the node is on chain 31337, the network config says 1"),
        "{}",
        stderr(&out)
    );
    assert!(!record.exists());

    // Parameters the vault refuses: the simulation names the error, nothing is sent.
    let password = work.path().join("password");
    std::fs::write(&password, format!("{KEYSTORE_PASSWORD}\n")).unwrap();
    let before = nonce(&rpc, KEYSTORE_ADDRESS);
    let out = lsv(&[
        "deploy",
        "--rpc",
        &rpc,
        "--network",
        &config,
        "--keystore",
        KEYSTORE,
        "--password-file",
        password.to_str().unwrap(),
        "--p-url",
        &p,
        "--wind-down-delay",
        "60",
        "--out",
        record_arg,
    ]);
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains(
            "deploy Vault would revert: WindDownDelayTooShort { delay: 60, minimum: 2592000 }"
        ),
        "{}",
        stderr(&out)
    );
    assert_eq!(nonce(&rpc, KEYSTORE_ADDRESS), before);
    assert!(!record.exists());

    // A wrong keystore password: a clear error, no key material in it.
    std::fs::write(&password, "not the password\n").unwrap();
    let out = lsv(&[
        "deploy",
        "--rpc",
        &rpc,
        "--network",
        &config,
        "--keystore",
        KEYSTORE,
        "--password-file",
        password.to_str().unwrap(),
        "--p-url",
        &p,
    ]);
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("cannot open keystore"),
        "{}",
        stderr(&out)
    );

    // The deployment, bound to the running P.
    let out = lsv(&[
        "deploy",
        "--rpc",
        &rpc,
        "--network",
        &config,
        "--key-file",
        key_arg,
        "--p-url",
        &p,
        "--out",
        record_arg,
        "--json",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let printed: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let written: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&record).unwrap()).unwrap();
    assert_eq!(printed, written);
    let (status, body) = http(&p, "/eth/v1/lsv/attestation", None);
    assert_eq!(status, 200, "{body}");
    let info: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(written["parameters"]["policy_hash"], info["policy_hash"]);
    assert_eq!(
        written["parameters"]["attestation"]["attester"]
            .as_str()
            .unwrap()
            .to_lowercase(),
        info["attester"].as_str().unwrap().to_lowercase()
    );
    assert_eq!(written["chain"]["chain_id"], 31337);
    assert_eq!(written["chain"]["slots_per_epoch"], 8);
    let vault = written["contracts"]["vault"]["address"].as_str().unwrap();
    let code = rpc_result(&rpc, "eth_getCode", &format!(r#"["{vault}","latest"]"#));
    assert!(code.as_str().unwrap().len() > 2);

    // Never overwritten without --force; refused before sending.
    let deployer = written["deployer"].as_str().unwrap().to_owned();
    let before = nonce(&rpc, &deployer);
    let out = lsv(&[
        "deploy",
        "--rpc",
        &rpc,
        "--network",
        &config,
        "--key-file",
        key_arg,
        "--p-url",
        &p,
        "--out",
        record_arg,
    ]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("--force"), "{}", stderr(&out));
    assert_eq!(nonce(&rpc, &deployer), before);

    // An auditor's check: every check passes.
    let out = lsv(&["verify-deployment", record_arg, "--rpc", &rpc, "--json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["ok"], true, "{report}");
    assert_eq!(report["checks"].as_array().unwrap().len(), 10, "{report}");

    // Edited parameters: the vault's creation input no longer matches.
    let edited = work.path().join("edited.json");
    edit_json(&record, &edited, |d| {
        d["parameters"]["max_validators"] = 1000.into();
    });
    let out = lsv(&["verify-deployment", edited.to_str().unwrap(), "--rpc", &rpc]);
    assert!(!out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.lines()
            .any(|l| l.starts_with("FAIL  Vault") && l.contains("constructor arguments")),
        "{text}"
    );
    assert!(
        stderr(&out).contains("1 of 10 checks failed"),
        "{}",
        stderr(&out)
    );

    // Swapped tokens: neither runtime is its artifact's, nor the vault's own.
    edit_json(&record, &edited, |d| {
        let seth = d["contracts"]["seth"]["address"].clone();
        d["contracts"]["seth"]["address"] = d["contracts"]["positions"]["address"].clone();
        d["contracts"]["positions"]["address"] = seth;
    });
    let out = lsv(&["verify-deployment", edited.to_str().unwrap(), "--rpc", &rpc]);
    assert!(!out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("FAIL  SETH"), "{text}");
    assert!(
        text.contains("FAIL  sETH and positions are the vault's own"),
        "{text}"
    );

    // C for clusters of hardware devices, from a parameters file: the SGX and TDX verifiers,
    // the device verifier over them and the group verifier over it, each re-checked.
    let mut parameters = written["parameters"].clone();
    parameters["attestation"] = serde_json::json!({
        "backend": "dcap-group",
        "min_threshold": 3,
        "min_devices": 4,
        "sgx": {
            "mr_enclave": format!("0x{}", "22".repeat(32)),
            "min_isv_svn": 0,
            "accepted_tcb_statuses": "0x1",
            "min_tcb_evaluation_data_number": "0x0",
        },
        "tdx": {
            "td_measurement": format!("0x{}", "11".repeat(32)),
            "accepted_tcb_statuses": "0x1",
            "min_tcb_evaluation_data_number": "0x0",
        },
    });
    let params_file = work.path().join("dcap-group-params.json");
    std::fs::write(&params_file, parameters.to_string()).unwrap();
    let group_record = work.path().join("dcap-group-deployment.json");
    let out = lsv(&[
        "deploy",
        "--rpc",
        &rpc,
        "--network",
        &config,
        "--key-file",
        key_arg,
        "--params",
        params_file.to_str().unwrap(),
        "--out",
        group_record.to_str().unwrap(),
        "--json",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let group: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let parts: Vec<&str> = group["contracts"]["attestation_verifier_parts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["artifact"].as_str().unwrap())
        .collect();
    assert_eq!(
        parts,
        [
            "DcapAttestationVerifier",
            "DcapTdxAttestationVerifier",
            "DcapDeviceVerifier"
        ]
    );
    let out = lsv(&[
        "verify-deployment",
        group_record.to_str().unwrap(),
        "--rpc",
        &rpc,
        "--json",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["ok"], true, "{report}");
    // The SGX and TDX verifiers swapped in the record: the device verifier's creation input
    // no longer names the parts the file records (nor do their runtimes match).
    edit_json(&group_record, &edited, |d| {
        let parts = &mut d["contracts"]["attestation_verifier_parts"];
        let sgx = parts[0]["address"].clone();
        parts[0]["address"] = parts[1]["address"].clone();
        parts[1]["address"] = sgx;
    });
    let out = lsv(&["verify-deployment", edited.to_str().unwrap(), "--rpc", &rpc]);
    assert!(!out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.lines()
            .any(|l| l.starts_with("FAIL  DcapDeviceVerifier")
                && l.contains("constructor arguments")),
        "{text}"
    );
}
