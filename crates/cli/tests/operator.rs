//! The real binary as an operator meets it: data directories that are never made by mistake,
//! outputs checked before keys are made, a stop that ends, output to a closed pipe or a full
//! disk, summaries, what to use while the signer runs, one log line per refusal, JSON logs and a
//! log file, metrics on their own port, a warning for keys bound to another C, and every flag
//! from the environment or a config file.

#![allow(unused_crate_dependencies)]

mod common;

use common::{attestation_request, free_port};
use lsv_consensus::Network;
use serde_json::json;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::time::{Duration, Instant};

const LSV: &str = env!("CARGO_BIN_EXE_lsv");
const CONTRACT: &str = "0xc0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0";
const OTHER_CONTRACT: &str = "0xc1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1";
const OWNER: &str = "0x0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e";

/// The binary with no `LSV_*` or `RUST_LOG` variable of the test's environment, and a HOME of
/// its own (the default data directory is under it).
fn lsv(home: &Path) -> Command {
    let mut c = Command::new(LSV);
    for (k, _) in std::env::vars_os() {
        if k.to_string_lossy().starts_with("LSV_") {
            c.env_remove(k);
        }
    }
    c.env_remove("RUST_LOG")
        .env_remove("XDG_DATA_HOME")
        .env("HOME", home);
    c
}

fn run(home: &Path, args: &[&str]) -> Output {
    lsv(home).args(args).output().unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn failed_saying(o: &Output, words: &[&str]) {
    assert!(!o.status.success(), "succeeded: {o:?}");
    let e = stderr(o);
    for w in words {
        assert!(e.contains(w), "{w:?} not in: {e}");
    }
    assert!(!e.contains("panicked"), "{e}");
}

/// A P with one key in `dir`, made the documented way.
fn make_p(home: &Path, dir: &Path) -> String {
    let o = run(
        home,
        &[
            "keys",
            "generate",
            "--init",
            "--data-dir",
            dir.to_str().unwrap(),
            "--withdrawal-contract",
            CONTRACT,
            "--owner",
            OWNER,
            "--out",
            dir.with_extension("deposits.json").to_str().unwrap(),
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    String::from_utf8(o.stdout).unwrap().trim().to_owned()
}

/// One HTTP/1.1 exchange on a fresh connection: status and body.
fn http(port: u16, method: &str, path: &str, body: &str) -> (u16, String) {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    write!(
        s,
        "{method} {path} HTTP/1.1\r\nhost: x\r\nconnection: close\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut answer = String::new();
    s.read_to_string(&mut answer).unwrap();
    let status = answer[9..12].parse().unwrap();
    let body = answer
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default();
    (status, body)
}

fn wait_up(port: u16, child: &mut Child) {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if TcpStream::connect(("127.0.0.1", port)).is_ok()
            && http(port, "GET", "/upcheck", "").0 == 200
        {
            return;
        }
        if let Some(status) = child.try_wait().unwrap() {
            panic!("the signer exited: {status}");
        }
        assert!(Instant::now() < deadline, "the signer did not come up");
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn signal(child: &Child, name: &str) {
    let ok = Command::new("kill")
        .args([&format!("-{name}"), &child.id().to_string()])
        .status()
        .unwrap()
        .success();
    assert!(ok, "kill -{name}");
}

fn wait_within(child: &mut Child, limit: Duration) -> (ExitStatus, Duration) {
    let started = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return (status, started.elapsed());
        }
        if started.elapsed() > limit {
            child.kill().unwrap();
            child.wait().unwrap();
            panic!("still running {limit:?} after the stop signal");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn start_signer(home: &Path, dir: &Path, port: u16, extra: &[&str]) -> Child {
    let mut child = lsv(home)
        .args(["signer", "--data-dir", dir.to_str().unwrap()])
        .args(["--listen", &format!("127.0.0.1:{port}")])
        .args(extra)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    wait_up(port, &mut child);
    child
}

fn stderr_of(mut child: Child) -> String {
    let mut text = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut text)
        .unwrap();
    text
}

#[test]
fn no_command_makes_a_data_directory_it_was_not_asked_to_make() {
    let home = tempfile::tempdir().unwrap();
    let typo = home.path().join("lsv-dta");
    let t = typo.to_str().unwrap();
    let interchange = home.path().join("interchange.json");
    std::fs::write(&interchange, "{}").unwrap();
    for args in [
        &["keys", "list", "--data-dir", t][..],
        &[
            "keys",
            "attestation",
            "--data-dir",
            t,
            &format!("0x{}", "ab".repeat(48)),
        ],
        &["attestation", "--data-dir", t],
        &["slashing", "export", "--data-dir", t],
        &[
            "slashing",
            "import",
            "--data-dir",
            t,
            interchange.to_str().unwrap(),
        ],
        &["slashing", "prune", "--data-dir", t],
        &["signer", "--data-dir", t, "--listen", "127.0.0.1:0"],
        &[
            "keys",
            "generate",
            "--data-dir",
            t,
            "--withdrawal-contract",
            CONTRACT,
            "--owner",
            OWNER,
        ],
    ] {
        let o = lsv(home.path())
            .current_dir(home.path())
            .args(args)
            .output()
            .unwrap();
        failed_saying(&o, &["does not exist", "lsv-dta"]);
        assert!(!typo.exists(), "{args:?} made {t}");
    }
    // The default (under HOME) is not made either.
    let o = run(home.path(), &["keys", "list"]);
    failed_saying(&o, &[".local/share/lsv/mainnet", "does not exist"]);
    assert!(!home.path().join(".local").exists());
    // An existing directory that holds no P is not made one without --init, nor with it when
    // other files are there.
    std::fs::create_dir(&typo).unwrap();
    std::fs::write(typo.join("notes.txt"), "mine").unwrap();
    failed_saying(
        &run(home.path(), &["slashing", "export", "--data-dir", t]),
        &["holds no P data"],
    );
    failed_saying(
        &run(home.path(), &["attestation", "--init", "--data-dir", t]),
        &["not empty"],
    );
    assert_eq!(std::fs::read_dir(&typo).unwrap().count(), 1);
    // A missing --network file is called missing.
    failed_saying(
        &run(
            home.path(),
            &["keys", "list", "--network", "./devnet/config.yaml"],
        ),
        &["./devnet/config.yaml", "does not exist"],
    );
}

#[test]
fn the_signer_binds_its_port_before_it_makes_anything() {
    let home = tempfile::tempdir().unwrap();
    let dir = home.path().join("p");
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let o = run(
        home.path(),
        &[
            "signer",
            "--init",
            "--data-dir",
            dir.to_str().unwrap(),
            "--listen",
            &addr,
        ],
    );
    failed_saying(&o, &["cannot listen on", &addr]);
    assert!(!dir.exists());
}

#[test]
fn keys_generate_refuses_before_it_generates() {
    let home = tempfile::tempdir().unwrap();
    let dir = home.path().join("p");
    let d = dir.to_str().unwrap();
    let generate = |extra: &[&str]| {
        let mut args = vec!["keys", "generate", "--init", "--data-dir", d];
        args.extend_from_slice(extra);
        lsv(home.path())
            .current_dir(home.path())
            .args(&args)
            .output()
            .unwrap()
    };
    let with_c = |extra: &[&str]| {
        let mut args = vec!["--withdrawal-contract", CONTRACT];
        args.extend_from_slice(extra);
        generate(&args)
    };
    failed_saying(
        &with_c(&["--owner", OWNER, "--out", "/missing/dir/x.json"]),
        &["/missing/dir", "does not exist"],
    );
    failed_saying(
        &with_c(&["--owner", OWNER, "--count", "65"]),
        &["65", "1..=64"],
    );
    failed_saying(&with_c(&["--owner", OWNER, "--count", "0"]), &["1..=64"]);
    failed_saying(
        &with_c(&["--owner", "0x0000000000000000000000000000000000000000"]),
        &["zero address", "could never join", "can never be changed"],
    );
    failed_saying(
        &with_c(&["--owner", CONTRACT]),
        &["is C itself", "can never be changed"],
    );
    failed_saying(
        &generate(&["--owner", OWNER]),
        &["needs --withdrawal-contract"],
    );
    failed_saying(
        &generate(&[
            "--owner",
            OWNER,
            "--withdrawal-contract",
            "0x0000000000000000000000000000000000000000",
        ]),
        &["zero address"],
    );
    assert!(!dir.exists(), "a refused request made the data directory");
    assert_eq!(
        std::fs::read_dir(home.path()).unwrap().count(),
        0,
        "files were left behind"
    );

    // Deposit data is never overwritten: it may be the only copy for keys made before.
    std::fs::write(home.path().join("deposit_data.json"), "[]").unwrap();
    failed_saying(
        &with_c(&["--owner", OWNER]),
        &["deposit_data.json already exists"],
    );
    assert!(!dir.exists());
    assert_eq!(
        std::fs::read_to_string(home.path().join("deposit_data.json")).unwrap(),
        "[]"
    );
}

#[test]
fn output_to_a_closed_pipe_or_a_full_disk_does_not_panic() {
    let home = tempfile::tempdir().unwrap();
    let dir = home.path().join("p");
    make_p(home.path(), &dir);
    let d = dir.to_str().unwrap();
    // `lsv slashing export | head -c 0`: the reader is gone before anything is written.
    let mut child = lsv(home.path())
        .args(["slashing", "export", "--data-dir", d])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let status = child.wait().unwrap();
    let e = stderr_of(child);
    assert!(status.success(), "{status}: {e}");
    assert!(!e.contains("panicked"), "{e}");
    for args in [
        &["keys", "list", "--data-dir", d][..],
        &["attestation", "--data-dir", d],
    ] {
        let mut child = lsv(home.path())
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        drop(child.stdout.take());
        assert!(child.wait().unwrap().success(), "{args:?}");
        assert!(!stderr_of(child).contains("panicked"));
    }
    // A full disk: an error that says so, exit status 1.
    let is_full_device = std::fs::metadata("/dev/full").is_ok_and(|m| !m.is_file());
    if is_full_device {
        let o = lsv(home.path())
            .args(["slashing", "export", "--data-dir", d])
            .stdout(std::fs::File::create("/dev/full").unwrap())
            .output()
            .unwrap();
        failed_saying(&o, &["standard output", "No space left"]);
        let o = run(
            home.path(),
            &["slashing", "export", "--data-dir", d, "--out", "/dev/full"],
        );
        failed_saying(&o, &["/dev/full", "No space left"]);
        assert!(
            !std::fs::metadata("/dev/full").unwrap().is_file(),
            "/dev/full was replaced"
        );
    }
}

#[test]
fn import_and_prune_print_summaries_and_json() {
    let home = tempfile::tempdir().unwrap();
    let dir = home.path().join("p");
    let pubkey = make_p(home.path(), &dir);
    let d = dir.to_str().unwrap();
    let file = home.path().join("interchange.json");
    let network = Network::mainnet();
    std::fs::write(
        &file,
        json!({
            "metadata": {
                "interchange_format_version": "5",
                "genesis_validators_root": network.genesis_validators_root,
            },
            "data": [{
                "pubkey": pubkey,
                "signed_blocks": [{"slot": "10"}, {"slot": "20"}],
                "signed_attestations": [{"source_epoch": "1", "target_epoch": "2"}],
            }],
        })
        .to_string(),
    )
    .unwrap();
    let f = file.to_str().unwrap();
    let o = run(home.path(), &["slashing", "import", "--data-dir", d, f]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = String::from_utf8(o.stdout).unwrap();
    assert!(
        text.starts_with("imported 1 interchange entry from"),
        "{text}"
    );
    assert!(text.contains("1 key(s) with raised watermarks"), "{text}");
    assert!(!text.contains("ImportSummary"), "{text}");
    let o = run(
        home.path(),
        &["slashing", "import", "--json", "--data-dir", d, f],
    );
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["entries"], 1);
    assert_eq!(v["watermarks_changed"], 0);
    let o = run(home.path(), &["slashing", "prune", "--data-dir", d]);
    let text = String::from_utf8(o.stdout).unwrap();
    assert!(text.starts_with("pruned "), "{text}");
    assert!(text.contains("block record(s)"), "{text}");
    assert!(!text.contains("PruneSummary"), "{text}");
    let o = run(
        home.path(),
        &["slashing", "prune", "--json", "--data-dir", d],
    );
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert!(
        v["blocks_deleted"].is_u64() && v["attestations_deleted"].is_u64(),
        "{v}"
    );
    // No log lines around the summaries: the commands report through their own output.
    assert!(o.stderr.is_empty(), "{}", stderr(&o));
    // Another network's interchange is the file's fault, not P's: the error names the file.
    let other = home.path().join("other-network.json");
    std::fs::write(
        &other,
        json!({
            "metadata": {
                "interchange_format_version": "5",
                "genesis_validators_root": format!("0x{}", "42".repeat(32)),
            },
            "data": [],
        })
        .to_string(),
    )
    .unwrap();
    let o = run(
        home.path(),
        &[
            "slashing",
            "import",
            "--data-dir",
            d,
            other.to_str().unwrap(),
        ],
    );
    failed_saying(
        &o,
        &["other-network.json: ", "does not match the database's"],
    );
}

/// A running signer: what the other commands say, one log line per refusal (JSON, in the log
/// file as on standard error), metrics on their own port, the warning for keys bound to
/// another C, and a stop that ends.
#[test]
fn a_running_signer_as_an_operator_sees_it() {
    let home = tempfile::tempdir().unwrap();
    let dir = home.path().join("p");
    let pubkey = make_p(home.path(), &dir);
    let d = dir.to_str().unwrap();
    let log = home.path().join("lsv.log");
    let (port, metrics) = (free_port(), free_port());
    let child = start_signer(
        home.path(),
        &dir,
        port,
        &[
            "--withdrawal-contract",
            OTHER_CONTRACT,
            "--metrics-listen",
            &format!("127.0.0.1:{metrics}"),
            "--log-format",
            "json",
            "--log-file",
            log.to_str().unwrap(),
        ],
    );

    for (args, route) in [
        (
            &["keys", "list", "--data-dir", d][..],
            "GET /api/v1/eth2/publicKeys",
        ),
        (
            &["attestation", "--data-dir", d],
            "GET /eth/v1/lsv/attestation",
        ),
        (
            &["keys", "attestation", "--data-dir", d, &pubkey],
            "GET /eth/v1/lsv/keys/{pubkey}/attestation",
        ),
        (
            &[
                "keys",
                "generate",
                "--data-dir",
                d,
                "--withdrawal-contract",
                CONTRACT,
                "--owner",
                OWNER,
                "--out",
                home.path().join("more.json").to_str().unwrap(),
                "--attestation-out",
                home.path().join("more-evidence.json").to_str().unwrap(),
            ],
            "POST /eth/v1/lsv/keys",
        ),
        (
            &["slashing", "export", "--data-dir", d],
            "stop the signer first",
        ),
    ] {
        failed_saying(&run(home.path(), args), &["another lsv process", route]);
    }

    let network = Network::mainnet();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let target = network.slot_at_unix_time(now).unwrap().epoch(32).as_u64() - 10;
    let path = format!("/api/v1/eth2/sign/{pubkey}");
    assert_eq!(
        http(
            port,
            "POST",
            &path,
            &attestation_request(&network, target, 1)
        )
        .0,
        200
    );
    let (status, body) = http(
        port,
        "POST",
        &path,
        &attestation_request(&network, target, 2),
    );
    assert_eq!(status, 412, "{body}");

    let (status, body) = http(metrics, "GET", "/metrics", "");
    assert_eq!(status, 200);
    assert!(body.contains("lsv_keys_loaded 1"), "{body}");
    assert_eq!(http(metrics, "GET", "/upcheck", "").0, 404);

    signal(&child, "INT");
    let mut child = child;
    let (status, _) = wait_within(&mut child, Duration::from_secs(30));
    assert!(status.success(), "{status}");
    let stderr = stderr_of(child);
    let file = std::fs::read_to_string(&log).unwrap();
    for text in [&stderr, &file] {
        let lines: Vec<serde_json::Value> = text
            .lines()
            .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
            .collect();
        let refusals: Vec<_> = lines
            .iter()
            .filter(|l| l["message"].as_str().unwrap_or("").contains("refused"))
            .collect();
        assert_eq!(refusals.len(), 1, "one line per refusal: {refusals:?}");
        assert_eq!(refusals[0]["level"], "WARN");
        let bound_elsewhere = lines
            .iter()
            .find(|l| l["message"].as_str().unwrap_or("").contains("bound to C"))
            .unwrap_or_else(|| panic!("no warning for keys bound to another C:\n{text}"));
        assert_eq!(bound_elsewhere["level"], "WARN");
        let message = bound_elsewhere["message"].as_str().unwrap().to_lowercase();
        assert!(message.contains(&CONTRACT[2..]) && message.contains(&OTHER_CONTRACT[2..]));
        assert!(lines.iter().any(|l| l["message"] == "stopped"), "{text}");
    }
}

/// A connection that sent half a request held the old signer's stop forever (axum's graceful
/// shutdown waits for every connection). The stop now waits out a grace period, and a second
/// signal ends the process at once.
#[test]
fn a_half_sent_request_does_not_hold_the_stop() {
    let home = tempfile::tempdir().unwrap();
    let dir = home.path().join("p");
    make_p(home.path(), &dir);
    let half_request = |port: u16| {
        let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
        s.write_all(
            b"POST /eth/v1/lsv/keys HTTP/1.1\r\nhost: x\r\ncontent-length: 100\r\n\r\n{\"ow",
        )
        .unwrap();
        s
    };

    let port = free_port();
    let mut child = start_signer(home.path(), &dir, port, &[]);
    let _held = half_request(port);
    std::thread::sleep(Duration::from_millis(200));
    signal(&child, "INT");
    let (status, took) = wait_within(&mut child, Duration::from_secs(20));
    assert!(status.success(), "{status}");
    assert!(took < Duration::from_secs(12), "the stop took {took:?}");
    assert!(stderr_of(child).contains("closing them"));

    let port = free_port();
    let mut child = start_signer(home.path(), &dir, port, &[]);
    let _held = half_request(port);
    std::thread::sleep(Duration::from_millis(200));
    signal(&child, "TERM");
    std::thread::sleep(Duration::from_millis(300));
    signal(&child, "TERM");
    let (status, took) = wait_within(&mut child, Duration::from_secs(20));
    assert_eq!(status.code(), Some(130), "{status}");
    assert!(
        took < Duration::from_secs(3),
        "the second signal took {took:?}"
    );
}

/// Every flag from the environment (`LSV_*`) or a YAML config file; the command line wins over
/// the environment, the environment over the file. The examples in `contrib/` hold only known
/// settings.
#[test]
fn flags_come_from_the_environment_and_a_config_file() {
    let home = tempfile::tempdir().unwrap();
    let p = home.path().join("p");
    let config = home.path().join("lsv.yaml");
    std::fs::write(
        &config,
        format!(
            "data-dir: {}\nwithdrawal-contract: \"{CONTRACT}\"\nkeys:\n  generate:\n    owner: \"{OWNER}\"\n    count: 2\n    init: yes\n    out: {}\n",
            p.display(),
            home.path().join("deposits.json").display()
        ),
    )
    .unwrap();
    let c = config.to_str().unwrap();
    let o = run(home.path(), &["--config-file", c, "keys", "generate"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(String::from_utf8(o.stdout).unwrap().lines().count(), 2);
    let listed = lsv(home.path())
        .env("LSV_CONFIG_FILE", c)
        .args(["keys", "list"])
        .output()
        .unwrap();
    assert_eq!(String::from_utf8(listed.stdout).unwrap().lines().count(), 2);

    // Environment over file, command line over environment.
    let o = lsv(home.path())
        .env("LSV_DATA_DIR", home.path().join("from-env"))
        .args(["--config-file", c, "keys", "list"])
        .output()
        .unwrap();
    failed_saying(&o, &["from-env", "does not exist"]);
    let o = lsv(home.path())
        .env("LSV_DATA_DIR", home.path().join("from-env"))
        .args(["--config-file", c, "keys", "list", "--data-dir"])
        .arg(home.path().join("from-flag"))
        .output()
        .unwrap();
    failed_saying(&o, &["from-flag", "does not exist"]);
    let o = lsv(home.path())
        .env("LSV_KEYS_GENERATE_COUNT", "65")
        .args(["--config-file", c, "keys", "generate"])
        .output()
        .unwrap();
    failed_saying(&o, &["65", "1..=64"]);

    std::fs::write(
        &config,
        "data-dir: /x\ndata_dir: /y\nkeys:\n  list:\n    owner: 1\n",
    )
    .unwrap();
    failed_saying(
        &run(home.path(), &["--config-file", c, "keys", "list"]),
        &["unknown setting", "data_dir", "keys.list.owner"],
    );
    failed_saying(
        &run(
            home.path(),
            &["--config-file", "/missing/lsv.yaml", "keys", "list"],
        ),
        &["/missing/lsv.yaml", "does not exist"],
    );

    // The shipped example: every key is known (it stops at the missing data directory).
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../contrib/lsv.example.yaml");
    let o = lsv(home.path())
        .args([
            "--config-file",
            example.to_str().unwrap(),
            "keys",
            "list",
            "--data-dir",
        ])
        .arg(home.path().join("none"))
        .output()
        .unwrap();
    failed_saying(&o, &["none", "does not exist"]);
}
