//! The remote-signing API over real HTTP: statuses, bodies and refusals a validator client sees.

#![allow(unused_crate_dependencies)]

mod common;

use common::*;
use lsv_consensus::{Network, B256};
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn generated_keys_come_with_valid_deposit_data_for_the_contract() {
    let s = start().await;
    let r = s
        .send(
            "POST",
            "/eth/v1/lsv/keys",
            None,
            json!({"owner": OWNER, "count": 2}).to_string(),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let v = r.json();
    assert_eq!(v["hardware_backed"], false);
    assert!(v["warning"]
        .as_str()
        .unwrap()
        .contains("not hardware-backed"));
    let keys = v["data"].as_array().unwrap();
    assert_eq!(keys.len(), 2);
    let wc = Network::compounding_withdrawal_credentials(CONTRACT);
    for k in keys {
        assert_eq!(k["withdrawal_credentials"], json!(wc));
        assert_eq!(k["owner"], json!(OWNER));
        // The evidence is for this key, this owner, C's credentials and this chain, signed by
        // the dev attester P reports at GET /eth/v1/lsv/attestation.
        let evidence: lsv_attestation::Evidence =
            serde_json::from_value(k["attestation"].clone()).unwrap();
        let claim = *evidence.claim();
        assert_eq!(claim.pubkey.to_hex(), k["pubkey"].as_str().unwrap());
        assert_eq!((claim.owner, claim.withdrawal_credentials), (OWNER, wc));
        assert_eq!(claim.chain_id, s.network.chain_id);
        assert_eq!(
            claim.genesis_validators_root,
            s.network.genesis_validators_root
        );
        assert_eq!(k["attestation"]["hardware_backed"], false);
        let info = s.get("/eth/v1/lsv/attestation").await.json();
        let attester: lsv_consensus::Address = info["attester"].as_str().unwrap().parse().unwrap();
        assert_eq!(info["policy_hash"], json!(claim.policy_hash));
        lsv_attestation::verify_dev_evidence(&evidence, &claim, attester).unwrap();
        let mut thief = claim;
        thief.owner = lsv_consensus::Address::repeat_byte(0x77);
        assert!(lsv_attestation::verify_dev_evidence(&evidence, &thief, attester).is_err());
        let d = &k["deposit_data"];
        assert_eq!(d["amount"], 32_000_000_000u64);
        assert_eq!(d["withdrawal_credentials"], hex::encode(wc));
        assert_eq!(d["network_name"], "mainnet");
        // The deposit signature verifies against DOMAIN_DEPOSIT with the genesis fork version.
        let pubkey: lsv_consensus::PublicKeyBytes = k["pubkey"].as_str().unwrap().parse().unwrap();
        let msg_root: B256 = format!("0x{}", d["deposit_message_root"].as_str().unwrap())
            .parse()
            .unwrap();
        let domain = lsv_consensus::network::compute_domain(
            lsv_consensus::network::domain::DEPOSIT,
            s.network.genesis_fork_version,
            B256::ZERO,
        );
        let root = lsv_consensus::network::compute_signing_root(msg_root, domain);
        assert!(verify(&pubkey, root, d["signature"].as_str().unwrap()));
    }
    let listed = s.get("/api/v1/eth2/publicKeys").await;
    assert_eq!(listed.status, 200);
    assert_eq!(listed.json().as_array().unwrap().len(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn attestation_is_signed_and_resigning_identical_data_is_allowed() {
    let s = start().await;
    let pk = s.generate(1).await[0];
    let body = s.attestation(NOW_EPOCH - 1, NOW_EPOCH, 9);
    let r = s.sign(&pk, &body).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r.content_type.starts_with("application/json"));
    let sig = r.json()["signature"].as_str().unwrap().to_owned();
    assert!(verify(&pk, root_of(&s.network, &body), &sig));

    let again = s
        .send(
            "POST",
            &format!("/api/v1/eth2/sign/{pk}"),
            Some("text/plain"),
            body.to_string(),
        )
        .await;
    assert_eq!(again.status, 200, "{}", again.body);
    assert!(again.content_type.starts_with("text/plain"));
    assert_eq!(
        again.body, sig,
        "identical data re-signs to the identical signature"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slashable_requests_are_refused_with_412() {
    let s = start().await;
    let pk = s.generate(1).await[0];
    assert_eq!(
        s.sign(&pk, &s.attestation(NOW_EPOCH - 3, NOW_EPOCH - 1, 1))
            .await
            .status,
        200
    );
    // Double vote: same target, other data.
    let r = s
        .sign(&pk, &s.attestation(NOW_EPOCH - 3, NOW_EPOCH - 1, 2))
        .await;
    assert_eq!(r.status, 412, "{}", r.body);
    assert!(r.json()["message"]
        .as_str()
        .unwrap()
        .contains("slashing protection"));
    // Surround: source below, target above.
    assert_eq!(
        s.sign(&pk, &s.attestation(NOW_EPOCH - 4, NOW_EPOCH, 1))
            .await
            .status,
        412
    );
    // Blocks: a second, different block at the same slot.
    let slot = NOW_EPOCH * 32;
    assert_eq!(s.sign(&pk, &s.block(slot, 5)).await.status, 200);
    assert_eq!(s.sign(&pk, &s.block(slot, 6)).await.status, 412);
    assert_eq!(s.sign(&pk, &s.block(slot - 1, 6)).await.status, 412);
    assert_eq!(
        s.sign(&pk, &s.block(slot, 5)).await.status,
        200,
        "identical block re-signs"
    );
    let metrics = s.get("/metrics").await.body;
    assert!(
        metrics.contains(
            r#"lsv_signing_requests_total{outcome="refused_slashing",type="BLOCK_V2"} 2"#
        ),
        "{metrics}"
    );
    assert!(
        metrics.contains(r#"lsv_signing_requests_total{outcome="signed",type="ATTESTATION"} 1"#),
        "{metrics}"
    );
}

/// P's own failure is not a refusal: with its slashing-protection database closed (as when P
/// stops), a request that needs the database is answered 500 with a message saying what failed,
/// and counted as an error; one that needs no slashing record still signs.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_closed_slashing_database_is_a_500_not_a_refusal() {
    let s = start().await;
    let pk = s.generate(1).await[0];
    s.enclave.shutdown();
    let r = s
        .sign(&pk, &s.attestation(NOW_EPOCH - 1, NOW_EPOCH, 1))
        .await;
    assert_eq!(r.status, 500, "{}", r.body);
    let v = r.json();
    assert_eq!(v["code"], 500);
    let message = v["message"].as_str().unwrap();
    assert!(
        message.contains("slashing-protection database is closed"),
        "{message}"
    );
    assert!(!message.contains("refused"), "{message}");
    let randao = json!({
        "type": "RANDAO_REVEAL",
        "fork_info": s.fork_info(NOW_EPOCH),
        "randao_reveal": {"epoch": NOW_EPOCH.to_string()},
    });
    assert_eq!(s.sign(&pk, &randao).await.status, 200);
    let metrics = s.get("/metrics").await.body;
    assert!(
        metrics.contains(r#"lsv_signing_requests_total{outcome="error",type="ATTESTATION"} 1"#),
        "{metrics}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_gets_a_clear_4xx_and_writes_nothing() {
    let s = start().await;
    let pk = s.generate(1).await[0];
    let good = s.attestation(NOW_EPOCH - 1, NOW_EPOCH, 1);
    let path = format!("/api/v1/eth2/sign/{pk}");
    let cases: Vec<(&str, String, u16)> = vec![
        ("malformed json", "{\"type\": \"ATTESTATION\",".into(), 400),
        ("not an object", "[]".into(), 400),
        (
            "unknown type",
            json!({"type": "SIGN_ANYTHING", "signingRoot": B256::ZERO}).to_string(),
            400,
        ),
        (
            "bls to execution change",
            json!({"type": "BLS_TO_EXECUTION_CHANGE"}).to_string(),
            400,
        ),
        (
            "missing attestation",
            json!({"type": "ATTESTATION", "fork_info": s.fork_info(NOW_EPOCH)}).to_string(),
            400,
        ),
        (
            "missing fork_info",
            {
                let mut b = good.clone();
                b.as_object_mut().unwrap().remove("fork_info");
                b.to_string()
            },
            400,
        ),
        (
            "wrong genesis validators root",
            {
                let mut b = good.clone();
                b["fork_info"]["genesis_validators_root"] = json!(B256::repeat_byte(7));
                b.to_string()
            },
            400,
        ),
        (
            "wrong fork version",
            {
                let mut b = good.clone();
                b["fork_info"]["fork"]["current_version"] = json!("0x01017000");
                b["fork_info"]["fork"]["previous_version"] = json!("0x01017000");
                b.to_string()
            },
            400,
        ),
        (
            "signing root mismatch",
            {
                let mut b = good.clone();
                b["signingRoot"] = json!(B256::repeat_byte(0xee));
                b.to_string()
            },
            400,
        ),
        (
            "epoch out of range",
            {
                let mut b = good.clone();
                b["attestation"]["target"]["epoch"] = json!("18446744073709551616");
                b.to_string()
            },
            400,
        ),
        (
            "far future target",
            s.attestation(NOW_EPOCH - 1, NOW_EPOCH + 1000, 1)
                .to_string(),
            412,
        ),
        (
            "deposit to other credentials",
            json!({
                "type": "DEPOSIT",
                "deposit": {
                    "pubkey": pk,
                    "withdrawal_credentials": B256::repeat_byte(1),
                    "amount": "32000000000",
                    "genesis_fork_version": "0x00000000",
                }
            })
            .to_string(),
            412,
        ),
    ];
    for (what, body, status) in &cases {
        let r = s
            .send("POST", &path, Some("application/json"), body.clone())
            .await;
        assert_eq!(r.status, *status, "{what}: {}", r.body);
        let msg = r.json()["message"].as_str().unwrap_or("").to_owned();
        assert!(!msg.is_empty(), "{what}: error has a message");
    }
    // Refused before a handler runs, and still the README's JSON errors.
    let huge = "x".repeat(lsv_signer::MAX_BODY_BYTES + 1);
    let r = s.send("POST", &path, None, huge).await;
    assert_eq!(r.status, 413);
    assert_eq!(r.content_type, "application/json", "{}", r.body);
    assert_eq!(r.json()["code"], 413);
    assert!(r.json()["message"]
        .as_str()
        .unwrap()
        .contains("2097152-byte limit"));
    let r = s.get(&path).await;
    assert_eq!(r.status, 405);
    assert_eq!(r.content_type, "application/json", "{}", r.body);
    assert_eq!(r.json()["code"], 405);
    assert!(r.json()["message"]
        .as_str()
        .unwrap()
        .contains("method not allowed"));
    assert_eq!(
        s.send("POST", "/api/v1/eth2/sign/0xzz", None, good.to_string())
            .await
            .status,
        400
    );
    let other: lsv_consensus::PublicKeyBytes = format!("0x{}", "ab".repeat(48)).parse().unwrap();
    assert_eq!(s.sign(&other, &good).await.status, 404);
    // None of that moved a watermark: the good request still signs.
    assert_eq!(s.sign(&pk, &good).await.status, 200);
    assert_eq!(s.get("/no/such/route").await.status, 404);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_conflicting_requests_for_one_key_pass_at_most_once() {
    let s = std::sync::Arc::new(start().await);
    let pk = s.generate(1).await[0];
    let mut tasks = Vec::new();
    for i in 0..32u8 {
        let s = s.clone();
        tasks.push(tokio::spawn(async move {
            // All at the same target, different data: at most one may be signed.
            s.sign(&pk, &s.attestation(NOW_EPOCH - 1, NOW_EPOCH, i))
                .await
                .status
        }));
    }
    let mut ok = 0;
    for t in tasks {
        match t.await.unwrap() {
            200 => ok += 1,
            412 => {}
            other => panic!("unexpected status {other}"),
        }
    }
    assert_eq!(ok, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn high_watermark_is_the_far_future_bound_and_moves_with_the_clock() {
    let s = start().await;
    let pk = s.generate(1).await[0];
    let hw = s.get("/api/v1/eth2/highWatermark").await.json();
    // The clock stands at the first slot of NOW_EPOCH; two slots of skew are allowed.
    let slot: u64 = hw["slot"].as_str().unwrap().parse().unwrap();
    let epoch: u64 = hw["epoch"].as_str().unwrap().parse().unwrap();
    assert_eq!((slot, epoch), (NOW_EPOCH * 32 + 3, NOW_EPOCH + 1));
    assert_eq!(s.sign(&pk, &s.block(slot - 1, 1)).await.status, 200);
    assert_eq!(s.sign(&pk, &s.block(slot, 1)).await.status, 412);
    assert_eq!(
        s.sign(&pk, &s.attestation(epoch - 2, epoch, 1))
            .await
            .status,
        412
    );
    s.clock
        .0
        .fetch_add(32 * 12, std::sync::atomic::Ordering::SeqCst);
    let later = s.get("/api/v1/eth2/highWatermark").await.json();
    assert_eq!(later["epoch"], (NOW_EPOCH + 2).to_string());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_and_upcheck_answer() {
    let s = start().await;
    let up = s.get("/upcheck").await;
    assert_eq!((up.status, up.body.as_str()), (200, "OK"));
    let h = s.get("/healthcheck").await.json();
    assert_eq!(h["outcome"], "UP");
    assert!(h["checks"]
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c["hardware_backed"] == false));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_attestation_route_says_what_a_verifier_deployer_needs() {
    let s = start().await;
    let r = s.get("/eth/v1/lsv/attestation").await;
    assert_eq!(r.status, 200, "{}", r.body);
    let v = r.json();
    assert_eq!(v["backend"], "dev");
    assert_eq!(v["hardware_backed"], false);
    assert!(v["warning"]
        .as_str()
        .unwrap()
        .contains("proves nothing about hardware"));
    let info = s.enclave.attestation_info();
    assert_eq!(v["attester"], json!(info.attester.unwrap()));
    assert_eq!(v["policy_hash"], json!(s.enclave.policy().hash()));
    assert_eq!(v["chain_id"], s.network.chain_id);
    assert_eq!(
        v["withdrawal_credentials"],
        json!(Network::compounding_withdrawal_credentials(CONTRACT))
    );
    // The vault's DOMAIN_TAG: sha256("lsv/keygen/v1").
    assert_eq!(
        v["domain_tag"],
        "0xf6d52f1e769e8857a0d4b4b7e63ad09895559a028be941a07b52e36e3b2631b0"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn key_generation_rejects_bad_requests() {
    let s = start().await;
    for body in [
        json!({"owner": "0x12", "count": 1}).to_string(),
        json!({"owner": OWNER}).to_string(),
        json!({"owner": OWNER, "count": 0}).to_string(),
        json!({"owner": OWNER, "count": 100000}).to_string(),
        json!({"owner": OWNER, "count": 1, "export": true}).to_string(),
        "nope".to_owned(),
    ] {
        let r = s.send("POST", "/eth/v1/lsv/keys", None, body.clone()).await;
        assert_eq!(r.status, 400, "{body}: {}", r.body);
    }
    assert!(s
        .get("/api/v1/eth2/publicKeys")
        .await
        .json()
        .as_array()
        .unwrap()
        .is_empty());
}

/// An owner C can never pay is refused with 400 and the reason, before any key is made: the zero
/// address (C refuses to join for it) and C itself (the sETH and position would be stuck in C).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn key_generation_refuses_an_owner_c_can_never_pay() {
    let s = start().await;
    for (owner, why) in [
        (lsv_consensus::Address::ZERO, "is the zero address"),
        (CONTRACT, "is C itself"),
    ] {
        let body = json!({"owner": owner, "count": 1}).to_string();
        let r = s.send("POST", "/eth/v1/lsv/keys", None, body).await;
        assert_eq!(r.status, 400, "{owner}: {}", r.body);
        let v = r.json();
        assert_eq!(v["code"], 400);
        let message = v["message"].as_str().unwrap();
        assert!(message.contains(why), "{message}");
        assert!(message.contains("can never be changed"), "{message}");
    }
    let r = s
        .send(
            "POST",
            "/eth/v1/lsv/keys",
            None,
            json!({"owner": OWNER, "count": 65}).to_string(),
        )
        .await;
    assert_eq!(r.status, 400);
    assert!(r.json()["message"]
        .as_str()
        .unwrap()
        .contains("between 1 and 64"));
    assert!(s
        .get("/api/v1/eth2/publicKeys")
        .await
        .json()
        .as_array()
        .unwrap()
        .is_empty());
    assert!(std::fs::read_dir(s.data_dir().join("keys"))
        .unwrap()
        .next()
        .is_none());
}

/// A request for another chain is refused with 400 naming both networks, not only their roots.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_for_another_network_names_both_networks() {
    let s = start().await;
    let pk = s.generate(1).await[0];
    let mut body = s.attestation(NOW_EPOCH - 2, NOW_EPOCH - 1, 1);
    body["fork_info"]["genesis_validators_root"] = json!(Network::hoodi().genesis_validators_root);
    let r = s.sign(&pk, &body).await;
    assert_eq!(r.status, 400, "{}", r.body);
    let message = r.json()["message"].as_str().unwrap().to_owned();
    assert!(message.contains("for hoodi"), "{message}");
    assert!(message.contains("pinned to mainnet"), "{message}");
    body["fork_info"]["genesis_validators_root"] = json!(B256::repeat_byte(9));
    let message = s.sign(&pk, &body).await.json()["message"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(message.contains("an unknown network"), "{message}");
    // Nothing was signed: the right chain still signs at that target.
    assert_eq!(
        s.sign(&pk, &s.attestation(NOW_EPOCH - 2, NOW_EPOCH - 1, 1))
            .await
            .status,
        200
    );
}
