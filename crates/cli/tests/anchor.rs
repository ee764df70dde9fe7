//! `lsv signer --anchor tpm2` against a software TPM (swtpm), and `--anchor witness` against
//! three other signers started with `--witness`, over real HTTP: the rollback attack of issue 18
//! signs a double vote without an anchor and is refused with either.
//!
//! The attack: keep a copy of the data directory, let the signer sign, stop it, put the copy
//! back and start again. The copy has never seen the signature, so without an anchor it signs
//! a second, conflicting vote for the same target. With the `tpm2` anchor the TPM's counters
//! have moved past the copy (the witnesses' records likewise): the signer raises every watermark
//! past what was reserved and answers 412.

#![allow(unused_crate_dependencies)]

mod common;

use common::{attestation_request, command, free_port, http, wait_for};
use lsv_consensus::Network;
use lsv_enclave::anchor::tpm2::Swtpm;
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::Duration;

const CONTRACT: &str = "0xc0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0";
const OWNER: &str = "0x0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e";

const NONE: &[&str] = &["--anchor", "none"];

fn tpm2(tcti: &str) -> Vec<&str> {
    vec!["--anchor", "tpm2", "--tpm2-tcti", tcti]
}

fn run(dir: &Path, args: &[&str], anchor: &[&str]) -> Output {
    command()
        .args(args)
        .arg("--data-dir")
        .arg(dir)
        .args(anchor)
        .output()
        .unwrap()
}

struct Signer {
    child: Child,
    base: String,
}

impl Signer {
    fn start(dir: &Path, anchor: &[&str]) -> Self {
        Self::start_with(dir, anchor, &[])
    }

    fn start_with(dir: &Path, anchor: &[&str], more: &[&str]) -> Self {
        let port = free_port();
        let child = command()
            .args(["signer", "--withdrawal-contract", CONTRACT, "--listen"])
            .arg(format!("127.0.0.1:{port}"))
            .arg("--data-dir")
            .arg(dir)
            .args(anchor)
            .args(more)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let base = format!("http://127.0.0.1:{port}");
        wait_for("the signer", Duration::from_secs(60), || {
            std::net::TcpStream::connect(("127.0.0.1", port))
                .ok()
                .map(|_| ())
        });
        Self { child, base }
    }

    fn sign(&self, key: &str, target: u64, root: u8) -> (u16, String) {
        let body = attestation_request(&Network::mainnet(), target, root);
        http(&self.base, &format!("/api/v1/eth2/sign/{key}"), Some(&body))
    }

    fn anchor_check(&self) -> serde_json::Value {
        let (_, body) = http(&self.base, "/healthcheck", None);
        let health: serde_json::Value = serde_json::from_str(&body).unwrap();
        health["checks"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["id"] == "freshness-anchor")
            .cloned()
            .unwrap()
    }

    /// SIGTERM: the clean stop, which closes the anchor.
    fn stop(mut self) {
        let ok = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(ok.success());
        let status = self.child.wait().unwrap();
        assert!(status.success(), "{status}");
    }
}

impl Drop for Signer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Three signers started as witnesses (new data directories under `work`), and their URLs
/// as `--anchor-witness` takes them.
fn start_witnesses(work: &Path) -> (Vec<Signer>, String) {
    let witnesses: Vec<Signer> = (0..3)
        .map(|i| {
            Signer::start_with(
                &work.join(format!("witness-{i}")),
                NONE,
                &["--init", "--witness"],
            )
        })
        .collect();
    let urls = witnesses
        .iter()
        .map(|w| w.base.clone())
        .collect::<Vec<_>>()
        .join(",");
    (witnesses, urls)
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

fn now_epoch() -> u64 {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let network = Network::mainnet();
    network.slot_at_unix_time(now).unwrap().epoch(32).as_u64()
}

/// Generates one key in a new P at `dir`; its public key.
fn new_key(dir: &Path, anchor: &[&str]) -> String {
    std::fs::create_dir_all(dir.parent().unwrap()).unwrap();
    let out = run(
        dir,
        &[
            "keys",
            "generate",
            "--init",
            "--count",
            "1",
            "--owner",
            OWNER,
            "--withdrawal-contract",
            CONTRACT,
            "--out",
            dir.with_extension("deposit.json").to_str().unwrap(),
        ],
        anchor,
    );
    assert!(out.status.success(), "{out:?}");
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

/// Runs the rollback on a P with the `anchor` flags; the status of the restored copy's
/// conflicting vote, and its anchor check.
fn rollback(work: &Path, anchor: &[&str]) -> (u16, serde_json::Value) {
    let dir = work.join("p");
    let saved = work.join("saved");
    let key = new_key(&dir, anchor);
    copy_dir(&dir, &saved);
    let target = now_epoch();

    let signer = Signer::start(&dir, anchor);
    let (status, body) = signer.sign(&key, target, 0xaa);
    assert_eq!(status, 200, "{body}");
    signer.stop();

    std::fs::remove_dir_all(&dir).unwrap();
    copy_dir(&saved, &dir);
    let signer = Signer::start(&dir, anchor);
    let (status, _) = signer.sign(&key, target, 0xbb);
    let check = signer.anchor_check();
    signer.stop();
    (status, check)
}

#[test]
fn without_the_anchor_a_rollback_double_votes_and_with_tpm2_it_is_refused() {
    let work = tempfile::tempdir().unwrap();

    let unanchored = work.path().join("none");
    let (status, _) = rollback(&unanchored, NONE);
    assert_eq!(
        status, 200,
        "the attack is real: without an anchor the copy double votes"
    );

    let swtpm = Swtpm::start(&work.path().join("tpm")).unwrap();
    let tcti = swtpm.tcti();
    let anchored = work.path().join("tpm2");
    let (status, check) = rollback(&anchored, &tpm2(&tcti));
    assert_eq!(status, 412, "the restored copy double voted");
    assert_eq!(check["status"], "UP");
    assert_eq!(check["backend"], "tpm2");
    assert_eq!(check["start"], "raised", "{check}");

    // The anchored data directory refuses to run without its anchor.
    let out = run(&anchored.join("p"), &["keys", "list"], NONE);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("--anchor none"), "{stderr}");
    // And with it, a clean restart is trusted as it is.
    let signer = Signer::start(&anchored.join("p"), &tpm2(&tcti));
    assert_eq!(signer.anchor_check()["start"], "trusted");
    signer.stop();
}

/// `--anchor witness`: three other signers started with `--witness` keep the anchor. The
/// restored copy is refused; with one witness down P starts and signs; with two down it does
/// not start, and says which witnesses it could not reach.
#[test]
fn with_witnesses_a_rollback_is_refused_and_one_witness_may_be_down() {
    let work = tempfile::tempdir().unwrap();
    let (mut witnesses, urls) = start_witnesses(work.path());
    let identity: serde_json::Value =
        serde_json::from_str(&http(&witnesses[0].base, "/eth/v1/lsv/witness", None).1).unwrap();
    assert!(identity["address"].as_str().unwrap().starts_with("0x"));
    let anchor = ["--anchor", "witness", "--anchor-witness", &urls];

    let (status, check) = rollback(&work.path().join("rolled-back"), &anchor);
    assert_eq!(status, 412, "the restored copy double voted");
    assert_eq!(check["backend"], "witness", "{check}");
    assert_eq!(check["start"], "raised", "{check}");
    let (_, after) = http(&witnesses[0].base, "/eth/v1/lsv/witness", None);
    assert!(after.contains(r#""records":1"#), "{after}");
    let (status, health) = http(&witnesses[0].base, "/healthcheck", None);
    assert_eq!(status, 200, "{health}");
    assert!(health.contains(r#""id":"witness""#), "{health}");

    // A second P on the same witnesses, one of them down: a quorum of two still answers.
    let dir = work.path().join("one-down").join("p");
    let key = new_key(&dir, &anchor);
    witnesses.pop().unwrap().stop();
    let signer = Signer::start(&dir, &anchor);
    let (status, body) = signer.sign(&key, now_epoch(), 0xcc);
    assert_eq!(status, 200, "{body}");
    assert_eq!(signer.anchor_check()["status"], "UP");
    signer.stop();
    // Two down: P does not start, and names what it could not reach.
    witnesses.pop().unwrap().stop();
    let out = run(&dir, &["keys", "list"], &anchor);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("1 of the anchor's 3 witnesses answered"),
        "{stderr}"
    );
}

/// Without an anchor, `/healthcheck` says so: the check stays UP, with the warning.
#[test]
fn healthcheck_warns_without_an_anchor() {
    let work = tempfile::tempdir().unwrap();
    let dir = work.path().join("p");
    new_key(&dir, NONE);
    let signer = Signer::start(&dir, NONE);
    let (status, body) = http(&signer.base, "/eth/v1/lsv/witness", None);
    assert_eq!(status, 404, "not started as a witness: {body}");
    let check = signer.anchor_check();
    assert_eq!(check["backend"], "none");
    assert!(
        check["warning"]
            .as_str()
            .unwrap()
            .contains("never restarts P on an old copy"),
        "{check}"
    );
    signer.stop();
}

/// `lsv anchor move`, from a TPM to three witnesses: the record keeps its protection (the
/// conflicting vote is refused under the new anchor), its key moves with it, and a copy of the
/// data directory from before the move can no longer start on the retired TPM anchor.
#[test]
fn anchor_move_carries_the_record_over_and_retires_the_old_anchor() {
    let work = tempfile::tempdir().unwrap();
    let swtpm = Swtpm::start(&work.path().join("tpm")).unwrap();
    let tcti = swtpm.tcti();
    let (_witnesses, urls) = start_witnesses(work.path());
    let witness = ["--anchor", "witness", "--anchor-witness", &urls];

    let dir = work.path().join("p");
    let key = new_key(&dir, &tpm2(&tcti));
    let target = now_epoch();
    let signer = Signer::start(&dir, &tpm2(&tcti));
    let (status, body) = signer.sign(&key, target, 0xaa);
    assert_eq!(status, 200, "{body}");
    signer.stop();
    let saved = work.path().join("saved");
    copy_dir(&dir, &saved);

    let out = run(
        &dir,
        &[
            "anchor",
            "move",
            "--to",
            "witness",
            "--to-anchor-witness",
            &urls,
            "--json",
        ],
        &tpm2(&tcti),
    );
    assert!(out.status.success(), "{out:?}");
    let moved: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(moved["keys_rebound"], 1, "{moved}");
    let floor: u64 = moved["floor"].as_str().unwrap().parse().unwrap();
    assert!(floor > target, "{moved}");

    // Under the witnesses the record is the one the TPM anchored: the conflicting vote is
    // refused, and the key is there.
    let signer = Signer::start(&dir, &witness);
    let (status, _) = signer.sign(&key, target, 0xbb);
    assert_eq!(status, 412, "the moved record double voted");
    let check = signer.anchor_check();
    assert_eq!(check["backend"], "witness", "{check}");
    assert_eq!(check["anchor_id"], moved["to"], "{check}");
    signer.stop();

    // The copy from before the move: the TPM anchor is retired.
    let out = run(&saved, &["keys", "list"], &tpm2(&tcti));
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("is retired"), "{stderr}");
    // Nor can the moved directory go back to it, or to none.
    for anchor in [tpm2(&tcti), NONE.to_vec()] {
        let out = run(&dir, &["keys", "list"], &anchor);
        assert!(!out.status.success(), "{out:?}");
    }
}
