//! The staker's commands as a staker runs them, against the real `lsv devnet` (anvil, the
//! minimal-preset beacon chain, a real P): a key generated on P for an owner, `lsv deposit` of
//! it, `lsv join` once the deposit is processed (which waits for its block to be finalized),
//! and `lsv position` showing the position Active with 31 ETH of debt; and the refusals: deposit
//! data with credentials other than the vault's is refused before anything is sent, and a join
//! of a key never deposited times out with a message that says so. Needs anvil
//! (`./scripts/test` installs it).

#![allow(unused_crate_dependencies)]

use alloy::primitives::{Address, U256};
use alloy::signers::local::PrivateKeySigner;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

/// The binary under test: cargo's, or `LSV_BIN` (a copy, when several worktrees share one
/// target directory and another build may replace `target/debug/lsv` during the run).
fn lsv_bin() -> std::ffi::OsString {
    std::env::var_os("LSV_BIN").unwrap_or_else(|| env!("CARGO_BIN_EXE_lsv").into())
}

/// `GET path` (or a `POST` of JSON `body`) on `base`; the status and body.
fn http(base: &str, path: &str, body: Option<&str>) -> (u16, String) {
    let host = base.trim_start_matches("http://").trim_end_matches('/');
    let mut stream = std::net::TcpStream::connect(host).expect("the server listens");
    let request = match body {
        None => format!("GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"),
        Some(b) => format!(
            "POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n\
             Content-Length: {}\r\nConnection: close\r\n\r\n{b}",
            b.len()
        ),
    };
    stream.write_all(request.as_bytes()).unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    let status = answer
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let body = answer.split_once("\r\n\r\n").map_or("", |(_, b)| b);
    let body = if answer
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        body.lines()
            .filter(|l| !l.is_empty() && u64::from_str_radix(l.trim(), 16).is_err())
            .collect::<Vec<_>>()
            .join("\n")
    } else {
        body.to_owned()
    };
    (status, body)
}

/// The value printed after `label` on a line of the banner.
fn banner_value(banner: &[String], label: &str) -> String {
    banner
        .iter()
        .find_map(|l| l.trim().strip_prefix(label))
        .unwrap_or_else(|| panic!("no {label:?} in {banner:#?}"))
        .split_whitespace()
        .next()
        .unwrap()
        .to_owned()
}

/// Stops the devnet at SIGINT when the test ends, whichever way it ends.
struct Devnet(Child);

impl Drop for Devnet {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-INT", &self.0.id().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.0.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.0.kill();
    }
}

fn lsv(args: &[&str]) -> Output {
    Command::new(lsv_bin())
        .args(args)
        .env("RUST_LOG", "warn")
        .output()
        .expect("lsv runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// The pending nonce of `address` on anvil.
fn nonce(rpc: &str, address: Address) -> u64 {
    let call = format!(
        r#"{{"jsonrpc":"2.0","id":1,"method":"eth_getTransactionCount","params":["{address}","pending"]}}"#
    );
    let (status, body) = http(rpc, "/", Some(&call));
    assert_eq!(status, 200, "{body}");
    let answer: serde_json::Value = serde_json::from_str(&body).unwrap();
    u64::from_str_radix(
        answer["result"].as_str().unwrap().trim_start_matches("0x"),
        16,
    )
    .unwrap()
}

fn address_of(key_file: &Path) -> Address {
    std::fs::read_to_string(key_file)
        .unwrap()
        .trim()
        .parse::<PrivateKeySigner>()
        .unwrap()
        .address()
}

#[test]
fn a_staker_deposits_joins_and_sees_the_position_on_the_devnet() {
    let started = Instant::now();
    let dir = tempfile::tempdir().unwrap();
    let devnet_dir = dir.path().join("devnet");
    let mut child = Command::new(lsv_bin())
        .args([
            "devnet",
            "--validators",
            "64",
            "--p-validators",
            "2",
            "--history-epochs",
            "1",
            "--rpc-port",
            "0",
            "--beacon-listen",
            "127.0.0.1:0",
            "--dir",
        ])
        .arg(&devnet_dir)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("lsv devnet runs");
    let stdout = BufReader::new(child.stdout.take().unwrap());
    let devnet = Devnet(child);
    let mut banner = Vec::new();
    for line in stdout.lines() {
        let line = line.unwrap();
        let last = line.trim_start().starts_with("attestation verifier");
        banner.push(line);
        if last {
            break;
        }
    }
    let rpc = banner_value(&banner, "execution JSON-RPC");
    let beacon = banner_value(&banner, "beacon API");
    let p = banner_value(&banner, "P's signer API");
    let vault = banner_value(&banner, "vault (C)");
    let config = banner_value(&banner, "network config");
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
    let join = Command::new(lsv_bin())
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

    drop(devnet);
    eprintln!(
        "deposited at {deposited_at:?}, joined at {joined_at:?}, done in {:?}",
        started.elapsed()
    );
}
