//! Every validator client's real request bodies (`testdata/clients/`: what Lighthouse, Teku,
//! Lodestar, Nimbus and Prysm POST at Deneb, Electra and Fulu, read from their code), sent byte
//! for byte to a real signer over HTTP, as each client sends them (its `Accept` header, the
//! fixture key's URL). Every answer is a 200 with `Content-Type: application/json` (Lodestar
//! throws on any other media type) and a BLS signature that verifies, with blst, against the
//! fixture key and the root the executable consensus spec gives (`expected_roots.json`).

#![allow(unused_crate_dependencies)]

mod common;

use common::*;
use lsv_consensus::PublicKeyBytes;
use lsv_enclave::keystore::Kdf;
use lsv_enclave::{DevSealer, Sealer};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::atomic::Ordering;

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../testdata/clients")
}

fn read_json(path: &str) -> Value {
    serde_json::from_str(&std::fs::read_to_string(dir().join(path)).unwrap()).unwrap()
}

/// The fixtures' key (`fixtures/KEY.json`, a test key).
fn fixture_key() -> (PublicKeyBytes, [u8; 32]) {
    let key = read_json("fixtures/KEY.json");
    let pubkey: PublicKeyBytes = key["pubkey"].as_str().unwrap().parse().unwrap();
    let secret: [u8; 32] =
        hex::decode(key["secret_key"].as_str().unwrap().trim_start_matches("0x"))
            .unwrap()
            .try_into()
            .unwrap();
    let derived = blst::min_pk::SecretKey::from_bytes(&secret)
        .unwrap()
        .sk_to_pk()
        .compress();
    assert_eq!(derived, pubkey.0, "KEY.json's secret is its pubkey's");
    (pubkey, secret)
}

/// A signer holding only the fixture key, its clock just after the newest fixture's epoch.
///
/// P has no key import, so the test does what a reader of the dev backend's data directory can
/// do: P generates a key, and its record is rewritten as the fixture key's, sealed by the dev
/// sealer, in the record format that carries no generation evidence (version 1); then P restarts
/// and loads it.
async fn signer_with_the_fixture_key() -> TestSigner {
    let (pubkey, secret) = fixture_key();
    let s = start().await;
    let generated = s.generate(1).await[0];
    let keys = s.data_dir().join("keys");
    let old = keys.join(format!("{}.json", hex::encode(generated.0)));
    let mut record: Value = serde_json::from_str(&std::fs::read_to_string(&old).unwrap()).unwrap();
    let sealer = DevSealer::open(s.data_dir(), Kdf::Pbkdf2 { c: 16 }).unwrap();
    record["pubkey"] = json!(pubkey);
    record["sealed"]["blob"] = sealer.seal(&secret, pubkey).unwrap();
    record["version"] = json!(1);
    record.as_object_mut().unwrap().remove("attestation");
    std::fs::write(
        keys.join(format!("{}.json", hex::encode(pubkey.0))),
        record.to_string(),
    )
    .unwrap();
    std::fs::remove_file(&old).unwrap();
    let s = s.restart().await;
    assert_eq!(
        s.get("/api/v1/eth2/publicKeys").await.json(),
        json!([pubkey])
    );
    // The newest fixtures are at Fulu epoch 420000: a clock a few slots later.
    let now = s.network.genesis_time + (420_001 * 32) * s.network.seconds_per_slot;
    s.clock.0.store(now, Ordering::SeqCst);
    s
}

/// The `Accept` header each client sends with a signing request (none: Teku and Prysm, which
/// take JSON or bare hex by the answer's `Content-Type`).
fn accept(client: &str) -> Option<&'static str> {
    match client {
        "lighthouse" | "lodestar" | "nimbus" => Some("application/json"),
        "teku" | "prysm" => None,
        other => panic!("unknown client {other}"),
    }
}

/// Lodestar's check (`handleExternalSignerResponse`): the media type before any `;`.
fn media_type(reply: &Reply) -> String {
    reply
        .content_type
        .split(';')
        .next()
        .unwrap()
        .trim()
        .to_lowercase()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_clients_request_is_signed_over_http_with_the_specs_root() {
    let (pubkey, _) = fixture_key();
    let s = signer_with_the_fixture_key().await;
    let expected: BTreeMap<String, Value> =
        serde_json::from_value(read_json("expected_roots.json")).unwrap();
    assert_eq!(expected.len(), 150);
    // Deneb, then Electra, then Fulu: slot and target epochs only rise, and every client's
    // block and attestation at a fork have the same root, which P may sign again.
    let mut order: Vec<(&String, &Value)> = expected.iter().collect();
    order.sort_by_key(|(path, e)| {
        let fork = ["deneb", "electra", "fulu"]
            .iter()
            .position(|f| e["fork"] == *f)
            .unwrap();
        (fork, path.to_string())
    });
    let mut signatures: BTreeMap<(String, String), String> = BTreeMap::new();
    for (path, e) in order {
        let client = e["client"].as_str().unwrap();
        let bytes = std::fs::read(dir().join(path)).unwrap();
        let reply = s
            .send(
                "POST",
                &format!("/api/v1/eth2/sign/{pubkey}"),
                accept(client),
                bytes,
            )
            .await;
        assert_eq!(reply.status, 200, "{path}: {}", reply.body);
        assert_eq!(media_type(&reply), "application/json", "{path}");
        let signature = reply.json()["signature"].as_str().unwrap().to_owned();
        let root = e["signing_root_hex"].as_str().unwrap().parse().unwrap();
        assert!(verify(&pubkey, root, &signature), "{path}");
        // Every client's request for the same duty at the same fork is the same signature.
        let duty = (
            e["fork"].as_str().unwrap().to_owned(),
            e["type"]
                .as_str()
                .unwrap()
                .trim_end_matches("_V2")
                .to_owned(),
        );
        let first = signatures.entry(duty).or_insert_with(|| signature.clone());
        assert_eq!(*first, signature, "{path}");
    }
    assert_eq!(signatures.len(), 30);
    let keys = s.get("/api/v1/eth2/publicKeys").await;
    assert_eq!(media_type(&keys), "application/json");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_aggregate_whose_container_is_not_its_forks_is_refused_over_http() {
    let (pubkey, _) = fixture_key();
    let s = signer_with_the_fixture_key().await;
    let expected = read_json("expected_roots.json");
    let path = "fixtures/lighthouse/electra/AGGREGATE_AND_PROOF.json";
    let lighthouse = read_json(path);
    let sign = |body: Value| {
        let s = &s;
        async move {
            s.send(
                "POST",
                &format!("/api/v1/eth2/sign/{pubkey}"),
                Some("application/json"),
                body.to_string(),
            )
            .await
        }
    };

    // Lighthouse's Electra aggregate without committee_bits (and without its signingRoot): the
    // phase0 container at an Electra slot.
    let mut phase0_shape = lighthouse.clone();
    phase0_shape.as_object_mut().unwrap().remove("signingRoot");
    phase0_shape["aggregate_and_proof"]["aggregate"]
        .as_object_mut()
        .unwrap()
        .remove("committee_bits");
    let r = sign(phase0_shape).await;
    assert_eq!(r.status, 400, "{}", r.body);
    assert_eq!(media_type(&r), "application/json");
    let message = r.json()["message"].as_str().unwrap().to_owned();
    assert!(
        message.contains("at ELECTRA there") && message.contains("phase0 shape"),
        "{message}"
    );

    // The same body with the phase0 container's root as signingRoot: not P's root.
    let mut phase0_root = lighthouse.clone();
    phase0_root["signingRoot"] = expected[path]["phase0_shape_root_hex"].clone();
    let r = sign(phase0_root).await;
    assert_eq!(r.status, 400, "{}", r.body);
    assert!(r.json()["message"]
        .as_str()
        .unwrap()
        .contains("does not match the computed signing root"));

    // As Lighthouse sends it, and without its signingRoot: signed over the Electra root.
    let root = expected[path]["signing_root_hex"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let mut without_root = lighthouse.clone();
    without_root.as_object_mut().unwrap().remove("signingRoot");
    for body in [lighthouse, without_root] {
        let r = sign(body).await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert!(verify(
            &pubkey,
            root,
            r.json()["signature"].as_str().unwrap()
        ));
    }
}
