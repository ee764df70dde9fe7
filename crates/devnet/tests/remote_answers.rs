//! A remote signer's answers are checked, in one batch at the end of a slot
//! (`Signer::check_answers`): against a signer that answers with a valid signature over the
//! wrong root, the batch fails and the validator is named; honest answers pass.

#![allow(unused_crate_dependencies)]

use alloy_primitives::B256;
use axum::extract::{Path, State};
use axum::routing::{get, post};
use axum::{Json, Router};
use lsv_consensus::{ForkName, Minimal, PublicKeyBytes};
use lsv_devnet::execution::{ExecutionLayer, MockExecution};
use lsv_devnet::genesis::{interop_secret_key, GenesisParams, GenesisValidator};
use lsv_devnet::remote::RemoteSigner;
use lsv_devnet::signer::{Message, SignError, Signer};
use lsv_devnet::spec::{Config, Spec};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::Arc;

type P = Minimal;

/// The ciphersuite's tag (phase0 "BLS signatures").
const DST: &[u8] = b"BLS_SIG_BLS12381G2_XMD:SHA-256_SSWU_RO_POP_";

/// A stand-in for P that signs with its keys, over the `signingRoot` asked for, except for the
/// keys in `lying`, which sign that root with its last byte flipped.
struct FakeP {
    gvr: B256,
    keys: HashMap<PublicKeyBytes, blst::min_pk::SecretKey>,
    lying: Vec<PublicKeyBytes>,
}

async fn sign(
    State(p): State<Arc<FakeP>>,
    Path(pubkey): Path<String>,
    Json(body): Json<Value>,
) -> Json<Value> {
    let pubkey = PublicKeyBytes::from_hex(&pubkey).expect("a key");
    let mut root: B256 = body["signingRoot"]
        .as_str()
        .expect("a signing root")
        .parse()
        .expect("32 bytes");
    if p.lying.contains(&pubkey) {
        root.0[31] ^= 1;
    }
    let signature = p.keys[&pubkey].sign(root.as_slice(), DST, &[]).to_bytes();
    Json(json!({ "signature": format!("0x{}", hex::encode(signature)) }))
}

#[test]
fn a_wrong_answer_is_caught_at_the_slots_end_and_its_validator_named() {
    let spec = Spec::<P>::new(Config::minimal());
    let keys: Vec<_> = (0..8).map(interop_secret_key).collect();
    let validators: Vec<GenesisValidator> = keys
        .iter()
        .map(|k| GenesisValidator {
            pubkey: PublicKeyBytes(k.sk_to_pk().to_bytes()),
            withdrawal_credentials: B256::repeat_byte(1),
            balance: 32_000_000_000,
        })
        .collect();
    let el = MockExecution::default();
    let genesis = spec
        .genesis_state(
            &GenesisParams {
                genesis_time: 1_700_000_000,
                fork: ForkName::Electra,
                execution_payload_header: ExecutionLayer::<P>::genesis_header(&el),
            },
            &validators,
        )
        .expect("a genesis");
    let pubkey = |i: usize| validators[i].pubkey;
    let fake = Arc::new(FakeP {
        gvr: genesis.genesis_validators_root,
        keys: (0..2).map(|i| (pubkey(i), keys[i].clone())).collect(),
        lying: vec![pubkey(1)],
    });
    let listed: Vec<String> = (0..2).map(|i| pubkey(i).to_string()).collect();
    let gvr = fake.gvr;
    let app = Router::new()
        .route(
            "/eth/v1/lsv/attestation",
            get(move || async move { Json(json!({ "genesis_validators_root": gvr })) }),
        )
        .route(
            "/api/v1/eth2/publicKeys",
            get(move || async move { Json(json!(listed)) }),
        )
        .route("/api/v1/eth2/sign/{pubkey}", post(sign))
        .with_state(fake);
    let runtime = tokio::runtime::Runtime::new().expect("a runtime");
    let listener = runtime
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .expect("a port");
    let url = format!("http://{}", listener.local_addr().unwrap());
    runtime.spawn(async move { axum::serve(listener, app).await });

    let remote = RemoteSigner::connect(&url, &spec, &genesis).expect("connects");
    let root = B256::repeat_byte(0x42);
    let randao: Message<P> = Message::Randao { epoch: 0 };
    // The honest key: its answer is handed out, and checks.
    Signer::<P>::sign(&remote, 0, &pubkey(0), root, randao).expect("an answer");
    Signer::<P>::check_answers(&remote).expect("an honest answer checks");
    // The lying key's answer is handed out too (checked later, in the slot's batch) ...
    Signer::<P>::sign(&remote, 0, &pubkey(0), root, randao).expect("an answer");
    Signer::<P>::sign(&remote, 1, &pubkey(1), root, randao).expect("an answer");
    // ... and the batch names it.
    assert!(matches!(
        Signer::<P>::check_answers(&remote),
        Err(SignError::BadSignature(1))
    ));
    // What was checked is not checked again.
    Signer::<P>::check_answers(&remote).expect("nothing left to check");
    drop(remote);
}
