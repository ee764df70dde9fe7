//! What the tests that run `lsv devnet` share: starting it, reading its banner, waiting for it
//! to follow the clock, plain HTTP to its servers, and running other `lsv` commands against it;
//! and what the tests of `lsv signer` share: the binary in a clean environment, and the
//! remote-signing request for an attestation.

#![allow(dead_code, reason = "each test binary uses a part")]

use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::{mpsc, Arc, Mutex};
use std::time::{Duration, Instant};

pub(crate) const LSV: &str = env!("CARGO_BIN_EXE_lsv");

/// The binary with no `LSV_*` variable of the test's environment, logging warnings only.
pub(crate) fn command() -> Command {
    let mut c = Command::new(LSV);
    for (k, _) in std::env::vars_os() {
        if k.to_string_lossy().starts_with("LSV_") {
            c.env_remove(k);
        }
    }
    c.env("RUST_LOG", "warn");
    c
}

/// The remote-signing API's request to sign the mainnet attestation voting `target - 1 →
/// target` for block root `[root; 32]`.
pub(crate) fn attestation_request(
    network: &lsv_consensus::Network,
    target: u64,
    root: u8,
) -> String {
    serde_json::json!({
        "type": "ATTESTATION",
        "fork_info": {
            "fork": network.fork_object_at(lsv_consensus::Epoch(target)),
            "genesis_validators_root": network.genesis_validators_root,
        },
        "attestation": {
            "slot": (target * 32).to_string(),
            "index": "0",
            "beacon_block_root": format!("0x{}", hex::encode([root; 32])),
            "source": { "epoch": (target - 1).to_string(), "root": format!("0x{}", "00".repeat(32)) },
            "target": { "epoch": target.to_string(), "root": format!("0x{}", "00".repeat(32)) },
        }
    })
    .to_string()
}

/// `GET path` (or a JSON-RPC `POST` with `body`) on `base` (`http://host:port`); the status and
/// body.
pub(crate) fn http(base: &str, path: &str, body: Option<&str>) -> (u16, String) {
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
    // A chunked body (the beacon API's) is one chunk here: drop its size lines.
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

/// A JSON-RPC call's `result` on `rpc`.
pub(crate) fn rpc_result(rpc: &str, method: &str, params: &str) -> serde_json::Value {
    let call = format!(r#"{{"jsonrpc":"2.0","id":1,"method":"{method}","params":{params}}}"#);
    let (status, body) = http(rpc, "/", Some(&call));
    assert_eq!(status, 200, "{body}");
    let answer: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert!(answer["error"].is_null(), "{method}: {answer}");
    answer["result"].clone()
}

/// The lines `lsv devnet` prints before it runs: every one has a label and a value ("operator
/// signers" says "none" when there are none, so the count is fixed).
pub(crate) const BANNER_LINES: usize = 11;

/// `lsv devnet` running as a child process, interrupted when dropped.
pub(crate) struct RunningDevnet {
    pub(crate) child: Child,
    pub(crate) banner: Vec<String>,
    /// Its log lines (JSON), as they come.
    pub(crate) logs: mpsc::Receiver<String>,
}

impl RunningDevnet {
    /// Starts `lsv devnet` with `args` (besides ports, which are any free ones, and JSON logs)
    /// and reads its banner.
    pub(crate) fn start(args: &[&str]) -> Self {
        let mut child = Command::new(LSV)
            .arg("devnet")
            .args(args)
            .args([
                "--rpc-port",
                "0",
                "--beacon-listen",
                "127.0.0.1:0",
                "--log-format",
                "json",
            ])
            .env("RUST_LOG", "info")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("lsv runs");
        let stdout = BufReader::new(child.stdout.take().unwrap());
        let banner: Vec<String> = stdout
            .lines()
            .take(BANNER_LINES)
            .map(Result::unwrap)
            .collect();
        let (lines, logs) = mpsc::channel();
        let stderr = child.stderr.take().unwrap();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines() {
                if lines.send(line.unwrap()).is_err() {
                    break;
                }
            }
        });
        Self {
            child,
            banner,
            logs,
        }
    }

    /// The value printed after `label` on a line of the banner.
    pub(crate) fn value(&self, label: &str) -> String {
        self.banner
            .iter()
            .find_map(|l| l.trim().strip_prefix(label))
            .unwrap_or_else(|| panic!("no {label:?} in {:#?}", self.banner))
            .split_whitespace()
            .next()
            .unwrap()
            .to_owned()
    }

    /// anvil's JSON-RPC URL.
    pub(crate) fn rpc(&self) -> String {
        self.value("execution JSON-RPC")
    }

    /// The devnet's directory (where config.yaml and accounts/ are).
    pub(crate) fn dir(&self) -> PathBuf {
        Path::new(&self.value("network config"))
            .parent()
            .unwrap()
            .to_owned()
    }

    /// The key file of anvil's funded account `n` (1 to 9).
    pub(crate) fn account_key(&self, n: usize) -> PathBuf {
        self.dir().join("accounts").join(format!("{n}.key"))
    }

    /// Waits for the log line saying the devnet caught up with the wall clock, and returns it.
    pub(crate) fn wait_caught_up(&self, timeout: Duration) -> serde_json::Value {
        self.wait_log("caught up", timeout)
    }

    /// Waits for a log line whose message starts with `start`, and returns it; the lines before
    /// it are gone.
    pub(crate) fn wait_log(&self, start: &str, timeout: Duration) -> serde_json::Value {
        let deadline = Instant::now() + timeout;
        loop {
            let line = self
                .logs
                .recv_timeout(deadline.saturating_duration_since(Instant::now()))
                .unwrap_or_else(|e| panic!("no log line {start:?} in time: {e}"));
            let entry: serde_json::Value = serde_json::from_str(&line).expect("a JSON log line");
            if entry["message"]
                .as_str()
                .is_some_and(|m| m.starts_with(start))
            {
                return entry;
            }
        }
    }

    /// SIGINT, then the exit status.
    pub(crate) fn interrupt(&mut self) -> std::process::ExitStatus {
        let killed = Command::new("kill")
            .args(["-INT", &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(killed.success());
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(Instant::now() < deadline, "lsv devnet did not stop");
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for RunningDevnet {
    fn drop(&mut self) {
        if self.child.try_wait().ok().flatten().is_none() {
            let _ = Command::new("kill")
                .args(["-INT", &self.child.id().to_string()])
                .status();
            let _ = self.child.wait();
        }
    }
}

/// Runs `lsv` with `args`.
pub(crate) fn lsv(args: &[&str]) -> Output {
    Command::new(LSV).args(args).output().expect("lsv runs")
}

/// A port nobody listens on now.
/// A free loopback port, drawn below Linux's ephemeral range (32768 and up). The kernel hands
/// out ports for `:0` binds (anvil's, the devnet's servers', another test's) only from that
/// range, so a port picked here and bound a moment later by another process cannot have been
/// taken by one of those in between, as a port the kernel itself picked could.
pub(crate) fn free_port() -> u16 {
    use std::hash::{BuildHasher, Hasher};
    loop {
        // Each `RandomState` is freshly keyed: a new draw every time.
        let draw = std::collections::hash_map::RandomState::new()
            .build_hasher()
            .finish();
        let port = 20_000 + (draw % 12_000) as u16;
        if std::net::TcpListener::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
}

/// A JSON wei amount (a decimal string, as lsv's `--json` and the demo's report write them).
pub(crate) fn wei(v: &serde_json::Value) -> alloy::primitives::U256 {
    v.as_str()
        .unwrap_or_else(|| panic!("not a wei string: {v}"))
        .parse()
        .unwrap()
}

/// Bytes as text, for messages.
pub(crate) fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A command's stdout as JSON, after asserting it succeeded (its stderr in the message if not).
pub(crate) fn json_of(out: &Output) -> serde_json::Value {
    assert!(out.status.success(), "{}", text(&out.stderr));
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", text(&out.stdout)))
}

/// The address of the key in `key_file` (hex, as `lsv devnet` writes anvil's).
pub(crate) fn address_of(key_file: &Path) -> alloy::primitives::Address {
    std::fs::read_to_string(key_file)
        .unwrap()
        .trim()
        .parse::<alloy::signers::local::PrivateKeySigner>()
        .unwrap()
        .address()
}

/// Waits up to `timeout` for `done` to return `Some`, polling every half second.
pub(crate) fn wait_for<T>(what: &str, timeout: Duration, mut done: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(t) = done() {
            return t;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(500));
    }
}

/// An `lsv` process whose stderr lines are kept; SIGKILLed when dropped.
pub(crate) struct Process {
    name: &'static str,
    child: Child,
    lines: Arc<Mutex<Vec<String>>>,
}

impl Process {
    pub(crate) fn start(name: &'static str, args: &[&str]) -> Self {
        let mut child = Command::new(LSV)
            .args(args)
            .env("RUST_LOG", "info")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("lsv runs");
        let lines = Arc::new(Mutex::new(Vec::new()));
        let stderr = child.stderr.take().unwrap();
        let kept = lines.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines() {
                let Ok(line) = line else { break };
                kept.lock().unwrap().push(line);
            }
        });
        Self { name, child, lines }
    }

    /// Whether a line logged so far contains every one of `parts`.
    pub(crate) fn logged(&self, parts: &[&str]) -> bool {
        self.lines
            .lock()
            .unwrap()
            .iter()
            .any(|l| parts.iter().all(|p| l.contains(p)))
    }

    pub(crate) fn tail(&self) -> String {
        let lines = self.lines.lock().unwrap();
        lines[lines.len().saturating_sub(30)..].join("\n")
    }

    /// SIGKILL: a crash, a pulled plug.
    pub(crate) fn kill(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        if self.child.try_wait().ok().flatten().is_none() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
        if std::thread::panicking() {
            eprintln!("--- {} (last lines) ---\n{}", self.name, self.tail());
        }
    }
}

/// An operator: their P's data directory and port, their funded account.
pub(crate) struct Operator {
    pub(crate) data_dir: PathBuf,
    pub(crate) port: u16,
    pub(crate) key_file: PathBuf,
}

impl Operator {
    pub(crate) fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// `lsv signer` on the operator's P, bound to `vault`; returns once it answers.
    pub(crate) fn start_p(
        &self,
        config: &str,
        vault: &str,
        attester_key: &Path,
        init: bool,
    ) -> Process {
        let listen = format!("127.0.0.1:{}", self.port);
        let mut args = vec![
            "signer",
            "--network",
            config,
            "--data-dir",
            self.data_dir.to_str().unwrap(),
            "--withdrawal-contract",
            vault,
            "--listen",
            &listen,
            "--dev-attester-key-file",
            attester_key.to_str().unwrap(),
        ];
        if init {
            args.push("--init");
        }
        let p = Process::start("P", &args);
        let url = self.url();
        wait_for("P to answer", Duration::from_secs(30), || {
            std::net::TcpStream::connect(url.trim_start_matches("http://"))
                .ok()
                .map(|_| ())
        });
        p
    }
}

/// `count` operators whose Ps will listen on free ports, with their data under `work` (`p0`,
/// `p1`, …); their keys are anvil's funded accounts 2, 3, … once a devnet runs ([`funded`]).
pub(crate) fn operators(work: &Path, count: usize) -> Vec<Operator> {
    (0..count)
        .map(|i| Operator {
            data_dir: work.join(format!("p{i}")),
            port: free_port(),
            key_file: PathBuf::new(),
        })
        .collect()
}

/// `operators` with the devnet's funded accounts 2, 3, … as their keys.
pub(crate) fn funded(operators: Vec<Operator>, devnet: &RunningDevnet) -> Vec<Operator> {
    operators
        .into_iter()
        .enumerate()
        .map(|(i, o)| Operator {
            key_file: devnet.account_key(2 + i),
            ..o
        })
        .collect()
}

/// A C deployed by [`deploy_c`].
pub(crate) struct DeployedC {
    /// The deployment's dev attestation key, which every P of it is given.
    pub(crate) attester_key: PathBuf,
    /// The vault's address.
    pub(crate) vault: String,
    /// Its `deployment.json`.
    pub(crate) deployment: String,
}

/// The deployer's part: `first`'s P made (`lsv attestation --init`; not yet bound to any C, as
/// the policy hash does not name C) with a dev attestation key written under `work`, and C
/// deployed for it by `lsv deploy` from the devnet's account 1: a C of its own, not the
/// devnet's.
pub(crate) fn deploy_c(devnet: &RunningDevnet, work: &Path, first: &Operator) -> DeployedC {
    let attester_key = work.join("dev-attester.key");
    std::fs::write(&attester_key, format!("0x{}", "5a".repeat(32))).unwrap();
    let config = devnet.value("network config");
    let info = json_of(&lsv(&[
        "attestation",
        "--init",
        "--network",
        &config,
        "--data-dir",
        first.data_dir.to_str().unwrap(),
        "--dev-attester-key-file",
        attester_key.to_str().unwrap(),
    ]));
    let info_file = work.join("attestation.json");
    std::fs::write(&info_file, info.to_string()).unwrap();
    let deployment = work.join("deployment.json").to_str().unwrap().to_owned();
    let deployed = json_of(&lsv(&[
        "deploy",
        "--rpc",
        &devnet.rpc(),
        "--network",
        &config,
        "--key-file",
        devnet.account_key(1).to_str().unwrap(),
        "--attestation-info",
        info_file.to_str().unwrap(),
        "--out",
        &deployment,
        "--json",
    ]));
    let vault = deployed["contracts"]["vault"]["address"]
        .as_str()
        .unwrap_or_else(|| panic!("{deployed}"))
        .to_owned();
    assert_ne!(
        vault.to_lowercase(),
        devnet.value("vault (C)").to_lowercase(),
        "a C of its own"
    );
    DeployedC {
        attester_key,
        vault,
        deployment,
    }
}
