//! SIGKILL the real `lsv signer` process under load, restart it on the same data directory, and
//! show that no signature it ever returned had its slashing record lost.

#![allow(unused_crate_dependencies)]

mod common;

use bytes::Bytes;
use common::{attestation_request, free_port};
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use lsv_consensus::{Network, PublicKeyBytes};
use serde_json::json;
use std::collections::HashMap;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const LSV: &str = env!("CARGO_BIN_EXE_lsv");
const CONTRACT: &str = "0xc0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0";
const OWNER: &str = "0x0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e";

fn start_signer(dir: &std::path::Path, port: u16) -> Child {
    Command::new(LSV)
        .args(["signer", "--data-dir"])
        .arg(dir)
        .args([
            "--init",
            "--listen",
            &format!("127.0.0.1:{port}"),
            "--withdrawal-contract",
            CONTRACT,
        ])
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

type HttpClient = Client<hyper_util::client::legacy::connect::HttpConnector, Full<Bytes>>;

async fn post(client: &HttpClient, url: String, body: String) -> Result<(u16, String), String> {
    let req = hyper::Request::post(url)
        .header("content-type", "application/json")
        .body(Full::new(Bytes::from(body)))
        .unwrap();
    let resp = client.request(req).await.map_err(|e| e.to_string())?;
    let status = resp.status().as_u16();
    let body = resp
        .into_body()
        .collect()
        .await
        .map_err(|e| e.to_string())?
        .to_bytes();
    Ok((status, String::from_utf8_lossy(&body).into_owned()))
}

async fn wait_up(client: &HttpClient, base: &str) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let req = hyper::Request::get(format!("{base}/upcheck"))
            .body(Full::new(Bytes::new()))
            .unwrap();
        if let Ok(r) = client.request(req).await {
            if r.status() == 200 {
                return;
            }
        }
        assert!(Instant::now() < deadline, "signer did not come up");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// The highest target each key got a signature for, per the exported interchange.
fn exported_max_targets(dir: &std::path::Path) -> HashMap<String, u64> {
    let out = Command::new(LSV)
        .args(["slashing", "export", "--format", "minimal", "--data-dir"])
        .arg(dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    v["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            let max = d["signed_attestations"]
                .as_array()
                .unwrap()
                .iter()
                .map(|a| a["target_epoch"].as_str().unwrap().parse::<u64>().unwrap())
                .max()
                .unwrap_or(0);
            (d["pubkey"].as_str().unwrap().to_owned(), max)
        })
        .collect()
}

#[test]
fn sigkill_under_load_never_loses_a_returned_signature() {
    let dir = tempfile::tempdir().unwrap();
    let gen = Command::new(LSV)
        .args([
            "keys",
            "generate",
            "--init",
            "--count",
            "4",
            "--owner",
            OWNER,
            "--withdrawal-contract",
            CONTRACT,
        ])
        .arg("--data-dir")
        .arg(dir.path())
        .arg("--out")
        .arg(dir.path().join("deposit_data.json"))
        .output()
        .unwrap();
    assert!(
        gen.status.success(),
        "{}",
        String::from_utf8_lossy(&gen.stderr)
    );
    let keys: Vec<PublicKeyBytes> = String::from_utf8(gen.stdout)
        .unwrap()
        .lines()
        .map(|l| l.parse().unwrap())
        .collect();
    assert_eq!(keys.len(), 4);

    let network = Network::mainnet();
    let now_epoch = network
        .slot_at_unix_time(
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_secs(),
        )
        .unwrap()
        .epoch(32)
        .as_u64();
    let rt = runtime();
    let client: HttpClient = Client::builder(TokioExecutor::new()).build_http();
    // Highest target returned with 200, per key, across every life of the signer.
    let returned: Arc<Mutex<HashMap<PublicKeyBytes, u64>>> = Arc::default();
    // Which vote was signed at each (key, target), across every life of the signer.
    let signed: Arc<Mutex<HashMap<(PublicKeyBytes, u64), u8>>> = Arc::default();
    let mut next_target = now_epoch - 50_000;

    for round in 0..3u64 {
        let port = free_port();
        let mut child = start_signer(dir.path(), port);
        let base = format!("http://127.0.0.1:{port}");
        rt.block_on(wait_up(&client, &base));

        // Everything returned before must still be protected after the restart.
        let before = returned.lock().unwrap().clone();
        for (pk, target) in &before {
            let (status, body) = rt
                .block_on(post(
                    &client,
                    format!("{base}/api/v1/eth2/sign/{pk}"),
                    attestation_request(&network, *target, 0xee),
                ))
                .unwrap();
            assert_eq!(
                status, 412,
                "round {round}: double vote at a returned target was not refused: {body}"
            );
        }

        // Load: two competing writers per key asking for conflicting attestations at the same
        // targets (only one of each pair may ever be signed), and a kill at a moment that
        // varies per round.
        let start_target = next_target;
        next_target += 20_000;
        let mut writers = Vec::new();
        for pk in keys.clone() {
            for root in [1u8, 2] {
                let client = client.clone();
                let base = base.clone();
                let network = network.clone();
                let returned = returned.clone();
                let signed = signed.clone();
                writers.push(rt.spawn(async move {
                    for t in start_target.. {
                        let url = format!("{base}/api/v1/eth2/sign/{pk}");
                        match post(&client, url, attestation_request(&network, t, root)).await {
                            Ok((200, _)) => {
                                if let Some(other) = signed.lock().unwrap().insert((pk, t), root) {
                                    assert_eq!(
                                        other, root,
                                        "{pk}: two different votes signed at target {t}"
                                    );
                                }
                                let mut r = returned.lock().unwrap();
                                let e = r.entry(pk).or_insert(0);
                                *e = (*e).max(t);
                            }
                            Ok((412, _)) => {} // the competing writer got this target
                            Ok((status, body)) => panic!("unexpected {status}: {body}"),
                            Err(_) => return, // the signer died mid-request
                        }
                    }
                }));
            }
        }
        std::thread::sleep(Duration::from_millis(300 + 250 * round));
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        for w in writers {
            rt.block_on(w).unwrap();
        }

        let exported = exported_max_targets(dir.path());
        let returned_now = returned.lock().unwrap().clone();
        assert_eq!(
            returned_now.len(),
            keys.len(),
            "round {round}: every key signed something"
        );
        for (pk, target) in &returned_now {
            let recorded = exported.get(&pk.to_hex()).copied().unwrap_or(0);
            assert!(
                recorded >= *target,
                "round {round}: {pk} returned target {target} but the record says {recorded}"
            );
        }
    }
}

async fn get(client: &HttpClient, url: String) -> (u16, serde_json::Value) {
    let req = hyper::Request::get(url)
        .body(Full::new(Bytes::new()))
        .unwrap();
    let resp = client.request(req).await.unwrap();
    let status = resp.status().as_u16();
    let body = resp.into_body().collect().await.unwrap().to_bytes();
    (status, serde_json::from_slice(&body).unwrap())
}

/// The test's own HTTP clients run here, beside the signer process.
fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

#[test]
fn sigkill_during_key_generation_keeps_every_key_with_its_evidence() {
    let dir = tempfile::tempdir().unwrap();
    let rt = runtime();
    let client: HttpClient = Client::builder(TokioExecutor::new()).build_http();
    let port = free_port();
    let mut child = start_signer(dir.path(), port);
    let base = format!("http://127.0.0.1:{port}");
    rt.block_on(wait_up(&client, &base));

    // Generate keys one request at a time until the signer dies; keep what came back.
    let returned: Arc<Mutex<Vec<(String, serde_json::Value)>>> = Arc::default();
    let generator = {
        let (client, base, returned) = (client.clone(), base.clone(), returned.clone());
        rt.spawn(async move {
            let body = json!({"owner": OWNER, "count": 1}).to_string();
            loop {
                match post(&client, format!("{base}/eth/v1/lsv/keys"), body.clone()).await {
                    Ok((200, text)) => {
                        let v: serde_json::Value = serde_json::from_str(&text).unwrap();
                        let k = &v["data"][0];
                        returned.lock().unwrap().push((
                            k["pubkey"].as_str().unwrap().to_owned(),
                            k["attestation"].clone(),
                        ));
                    }
                    Ok((status, text)) => panic!("unexpected {status}: {text}"),
                    Err(_) => return, // the signer died mid-request
                }
            }
        })
    };
    // Kill while a generation is most likely in flight: after some keys came back.
    let deadline = Instant::now() + Duration::from_secs(60);
    while returned.lock().unwrap().len() < 2 {
        assert!(Instant::now() < deadline, "no keys generated");
        std::thread::sleep(Duration::from_millis(10));
    }
    std::thread::sleep(Duration::from_millis(150));
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    rt.block_on(generator).unwrap();

    let port = free_port();
    let mut child = start_signer(dir.path(), port);
    let base = format!("http://127.0.0.1:{port}");
    rt.block_on(wait_up(&client, &base));
    let (status, listed) = rt.block_on(get(&client, format!("{base}/api/v1/eth2/publicKeys")));
    assert_eq!(status, 200);
    let listed: Vec<String> = serde_json::from_value(listed).unwrap();
    let returned = returned.lock().unwrap().clone();
    for (pubkey, evidence) in &returned {
        assert!(listed.contains(pubkey), "{pubkey} was returned but is gone");
        let (status, v) = rt.block_on(get(
            &client,
            format!("{base}/eth/v1/lsv/keys/{pubkey}/attestation"),
        ));
        assert_eq!(status, 200, "{v}");
        assert_eq!(v["data"]["attestation"], *evidence, "{pubkey}");
    }
    // Any key that landed without its response reaching us (the lost-response case) has its
    // evidence too: there is no key without it.
    for pubkey in &listed {
        let (status, v) = rt.block_on(get(
            &client,
            format!("{base}/eth/v1/lsv/keys/{pubkey}/attestation"),
        ));
        assert_eq!(status, 200, "{v}");
        assert_eq!(v["data"]["attestation"]["claim"]["pubkey"], json!(pubkey));
    }
    child.kill().unwrap();
    child.wait().unwrap();
}
