//! `GET /eth/v1/lsv/keys/{pubkey}/attestation` over real HTTP: the evidence recorded with each
//! key at its generation, served again (also after a restart on the same data directory), never
//! produced again; keys recorded before evidence was stored; unknown and malformed keys.

#![allow(unused_crate_dependencies)]

mod common;

use common::*;
use lsv_consensus::Network;
use serde_json::json;

async fn generate(s: &TestSigner, count: usize) -> Vec<serde_json::Value> {
    let r = s
        .send(
            "POST",
            "/eth/v1/lsv/keys",
            None,
            json!({"owner": OWNER, "count": count}).to_string(),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    r.json()["data"].as_array().unwrap().clone()
}

fn route(pubkey: &str) -> String {
    format!("/eth/v1/lsv/keys/{pubkey}/attestation")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_response_loses_no_evidence_even_across_a_restart() {
    let s = start().await;
    let generated = generate(&s, 2).await;
    let wc = Network::compounding_withdrawal_credentials(CONTRACT);
    let check = |served: &serde_json::Value, k: &serde_json::Value| {
        let d = &served["data"];
        assert_eq!(d["pubkey"], k["pubkey"]);
        assert_eq!(d["owner"], json!(OWNER));
        assert_eq!(d["withdrawal_credentials"], json!(wc));
        // Byte for byte what the generation returned: recorded, not produced again.
        assert_eq!(d["attestation"], k["attestation"]);
        assert!(d.get("message").is_none(), "{served}");
    };
    for k in &generated {
        let r = s.get(&route(k["pubkey"].as_str().unwrap())).await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert!(r.content_type.starts_with("application/json"));
        check(&r.json(), k);
    }
    let attester: lsv_consensus::Address = s.get("/eth/v1/lsv/attestation").await.json()
        ["attester"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();

    let s = s.restart().await;
    for k in &generated {
        let r = s.get(&route(k["pubkey"].as_str().unwrap())).await;
        assert_eq!(r.status, 200, "{}", r.body);
        let v = r.json();
        check(&v, k);
        let evidence: lsv_attestation::Evidence =
            serde_json::from_value(v["data"]["attestation"].clone()).unwrap();
        lsv_attestation::verify_dev_evidence(&evidence, evidence.claim(), attester).unwrap();
    }
    // The key still signs after the restart, and a new key gets its own recorded evidence.
    let more = generate(&s, 1).await;
    let r = s.get(&route(more[0]["pubkey"].as_str().unwrap())).await;
    assert_eq!(r.json()["data"]["attestation"], more[0]["attestation"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_key_made_before_evidence_was_recorded_answers_null_with_a_message() {
    let s = start().await;
    let pubkey = generate(&s, 1).await[0]["pubkey"]
        .as_str()
        .unwrap()
        .to_owned();
    // Rewrite the key's record as the previous version of P wrote it (version 1, no evidence).
    let path = s
        .data_dir()
        .join("keys")
        .join(format!("{}.json", pubkey.trim_start_matches("0x")));
    let mut record: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    assert!(record["attestation"].is_object());
    record.as_object_mut().unwrap().remove("attestation");
    record["version"] = json!(1);
    std::fs::write(&path, record.to_string()).unwrap();

    let s = s.restart().await;
    let listed = s.get("/api/v1/eth2/publicKeys").await.json();
    assert_eq!(listed, json!([pubkey]));
    let r = s.get(&route(&pubkey)).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let v = r.json();
    assert_eq!(v["data"]["pubkey"], json!(pubkey));
    assert_eq!(v["data"]["owner"], json!(OWNER));
    assert!(v["data"]["attestation"].is_null(), "{v}");
    let message = v["data"]["message"].as_str().unwrap();
    assert!(message.contains("no attestation was recorded"), "{message}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_and_malformed_keys_are_refused() {
    let s = start().await;
    generate(&s, 1).await;
    let unknown = format!("0x{}", "ab".repeat(48));
    let r = s.get(&route(&unknown)).await;
    assert_eq!(r.status, 404, "{}", r.body);
    assert_eq!(r.json()["code"], 404);
    assert!(r.json()["message"]
        .as_str()
        .unwrap()
        .contains("no key 0xabab"));
    for bad in ["0x1234", "not-hex", &"zz".repeat(48)] {
        let r = s.get(&route(bad)).await;
        assert_eq!(r.status, 400, "{bad}: {}", r.body);
        assert_eq!(r.json()["code"], 400);
    }
}
