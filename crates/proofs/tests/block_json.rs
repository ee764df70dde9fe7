//! The block types' beacon-API JSON: every field in the form `GET /eth/v2/beacon/blocks/{id}`
//! answers with (beacon-APIs `types/electra/block.yaml` and the types it refers to), and the
//! JSON reads back to the same block (so the same SSZ and the same root).

#![allow(unused_crate_dependencies)]

mod common;

use alloy_primitives::{Address, B256, U256};
use lsv_consensus::{Gwei, Mainnet, Minimal, PublicKeyBytes, SignatureBytes, Slot};
use lsv_proofs::block::{
    BeaconBlock, BeaconBlockBody, ConsolidationRequest, DepositRequest, SignedBeaconBlock,
    Withdrawal, WithdrawalRequest,
};
use lsv_proofs::StatePreset;
use serde_json::{json, Value};
use ssz::{Decode, Encode};
use tree_hash::TreeHash;

fn vector_body<P: StatePreset>(preset: &str) -> BeaconBlockBody<P> {
    let path = common::data_dir().join(format!(
        "light_client/{preset}/electra/light_client/single_merkle_proof/BeaconBlockBody/execution_merkle_proof/object.ssz"
    ));
    BeaconBlockBody::from_ssz_bytes(&std::fs::read(path).unwrap()).unwrap()
}

fn block<P: StatePreset>(body: BeaconBlockBody<P>) -> SignedBeaconBlock<P> {
    SignedBeaconBlock {
        message: BeaconBlock {
            slot: Slot::new(58_430),
            proposer_index: 71_682,
            parent_root: B256::repeat_byte(0x0a),
            state_root: B256::repeat_byte(0x20),
            body,
        },
        signature: SignatureBytes([0xb0; 96]),
    }
}

fn round_trips<P: StatePreset>(signed: &SignedBeaconBlock<P>) -> Value {
    let value = serde_json::to_value(signed).unwrap();
    let back: SignedBeaconBlock<P> = serde_json::from_value(value.clone()).unwrap();
    assert_eq!(&back, signed);
    assert_eq!(back.as_ssz_bytes(), signed.as_ssz_bytes());
    assert_eq!(
        back.message.tree_hash_root(),
        signed.message.tree_hash_root()
    );
    value
}

#[test]
fn the_spec_vector_bodies_round_trip_through_json_in_both_presets() {
    round_trips(&block(vector_body::<Mainnet>("mainnet")));
    round_trips(&block(vector_body::<Minimal>("minimal")));
}

#[test]
fn every_field_has_the_beacon_api_form() {
    let mut body = vector_body::<Mainnet>("mainnet");
    let p = &mut body.execution_payload;
    p.base_fee_per_gas = U256::from(10u64).pow(U256::from(30u64)) + U256::from(7u64);
    p.block_number = 52_220;
    p.extra_data = vec![0xd8, 0x83, 0x01].try_into().unwrap();
    p.transactions = vec![vec![0x02, 0xf9, 0x01].try_into().unwrap()]
        .try_into()
        .unwrap();
    p.withdrawals = vec![Withdrawal {
        index: 5,
        validator_index: 6,
        address: Address::repeat_byte(0xab),
        amount: Gwei::new(7),
    }]
    .try_into()
    .unwrap();
    body.blob_kzg_commitments = vec![vec![0xa9; 48].try_into().unwrap()].try_into().unwrap();
    body.execution_requests.deposits = vec![DepositRequest {
        pubkey: PublicKeyBytes([0xbb; 48]),
        withdrawal_credentials: B256::repeat_byte(0xcc),
        amount: Gwei::new(13),
        signature: SignatureBytes([0xdd; 96]),
        index: 14,
    }]
    .try_into()
    .unwrap();
    body.execution_requests.withdrawals = vec![WithdrawalRequest {
        source_address: Address::repeat_byte(0xee),
        validator_pubkey: PublicKeyBytes([0xff; 48]),
        amount: Gwei::new(15),
    }]
    .try_into()
    .unwrap();
    body.execution_requests.consolidations = vec![ConsolidationRequest {
        source_address: Address::repeat_byte(0x11),
        source_pubkey: PublicKeyBytes([0x22; 48]),
        target_pubkey: PublicKeyBytes([0x33; 48]),
    }]
    .try_into()
    .unwrap();
    let signed = block(body);
    let v = round_trips(&signed);
    let m = &v["message"];
    assert_eq!(m["slot"], "58430");
    assert_eq!(m["proposer_index"], "71682");
    assert_eq!(m["parent_root"], format!("0x{}", "0a".repeat(32)));
    assert_eq!(v["signature"], format!("0x{}", "b0".repeat(96)));
    let b = &m["body"];
    assert_eq!(
        b["graffiti"],
        json!(format!("0x{}", hex::encode(signed.message.body.graffiti)))
    );
    assert!(b["eth1_data"]["deposit_count"].is_string());
    let bits = b["sync_aggregate"]["sync_committee_bits"].as_str().unwrap();
    assert_eq!(bits.len(), 2 + 2 * 64, "512 bits as 0x hex of 64 bytes");
    let e = &b["execution_payload"];
    assert_eq!(e["base_fee_per_gas"], "1000000000000000000000000000007");
    assert_eq!(e["block_number"], "52220");
    assert_eq!(e["extra_data"], "0xd88301");
    assert_eq!(e["transactions"], json!(["0x02f901"]));
    assert_eq!(e["logs_bloom"].as_str().unwrap().len(), 2 + 512);
    assert_eq!(
        e["withdrawals"],
        json!([{"index": "5", "validator_index": "6",
                "address": format!("0x{}", "ab".repeat(20)), "amount": "7"}])
    );
    assert!(e["blob_gas_used"].is_string() && e["excess_blob_gas"].is_string());
    assert_eq!(
        b["blob_kzg_commitments"],
        json!([format!("0x{}", "a9".repeat(48))])
    );
    let r = &b["execution_requests"];
    assert_eq!(
        r["deposits"],
        json!([{"pubkey": format!("0x{}", "bb".repeat(48)),
                "withdrawal_credentials": format!("0x{}", "cc".repeat(32)),
                "amount": "13", "signature": format!("0x{}", "dd".repeat(96)), "index": "14"}])
    );
    assert_eq!(
        r["withdrawals"],
        json!([{"source_address": format!("0x{}", "ee".repeat(20)),
                "validator_pubkey": format!("0x{}", "ff".repeat(48)), "amount": "15"}])
    );
    assert_eq!(
        r["consolidations"],
        json!([{"source_address": format!("0x{}", "11".repeat(20)),
                "source_pubkey": format!("0x{}", "22".repeat(48)),
                "target_pubkey": format!("0x{}", "33".repeat(48))}])
    );
    // Each attestation's bit fields as SSZ hex, its integers quoted.
    if let Some(a) = b["attestations"].as_array().and_then(|a| a.first()) {
        assert!(a["aggregation_bits"].as_str().unwrap().starts_with("0x"));
        assert_eq!(a["committee_bits"].as_str().unwrap().len(), 2 + 16);
        assert!(a["data"]["slot"].is_string());
    }
}

#[test]
fn malformed_json_is_refused() {
    let signed = block(vector_body::<Minimal>("minimal"));
    let good = serde_json::to_value(&signed).unwrap();
    let edits: [(&str, Value); 5] = [
        (
            "/message/body/execution_payload/base_fee_per_gas",
            json!("0x10"),
        ),
        (
            "/message/body/execution_payload/base_fee_per_gas",
            json!("-1"),
        ),
        (
            "/message/body/execution_payload/base_fee_per_gas",
            json!(format!("1{}", "0".repeat(78))),
        ),
        ("/message/body/execution_payload/logs_bloom", json!("0x00")),
        (
            "/message/body/sync_aggregate/sync_committee_bits",
            json!("0x00"),
        ),
    ];
    for (pointer, value) in edits {
        let mut bad = good.clone();
        *bad.pointer_mut(pointer).unwrap() = value.clone();
        assert!(
            serde_json::from_value::<SignedBeaconBlock<Minimal>>(bad).is_err(),
            "{pointer} = {value}"
        );
    }
}
