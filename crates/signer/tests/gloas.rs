//! P on a Gloas chain, over real HTTP: a signer pinned to Sepolia (at Gloas since epoch 353,024)
//! signs the payload-timeliness vote, the proposer's preferences, a Gloas aggregate and a
//! self-built payload's envelope (once, for the block it signed) with the
//! roots `lsv-consensus` computes (checked against the executable spec in its
//! `tests/gloas_signing.rs`), votes once a slot in the payload-timeliness committee, and its
//! slashing protection treats two votes that differ only in `index` (the payload's status, in
//! Gloas) as the double vote they are.

#![allow(unused_crate_dependencies)]

mod common;

use common::*;
use lsv_consensus::{Network, B256};
use serde_json::{json, Value};

/// An epoch of Sepolia's Gloas.
const EPOCH: u64 = 353_100;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gloas_messages_are_signed_over_http_and_a_payload_status_is_no_way_round_a_double_vote() {
    let s = start_on(tempfile::tempdir().unwrap(), Network::sepolia(), EPOCH).await;
    let pk = s.generate(1).await[0];
    let slot = EPOCH * 32;
    let ptc = json!({
        "type": "PAYLOAD_ATTESTATION_MESSAGE",
        "fork_info": s.fork_info(EPOCH),
        "payload_attestation_message": {
            "version": "GLOAS",
            "data": {
                "beacon_block_root": B256::repeat_byte(7),
                "slot": slot.to_string(),
                "payload_present": true,
                "blob_data_available": true,
            },
        },
    });
    let preferences = json!({
        "type": "PROPOSER_PREFERENCES",
        "fork_info": s.fork_info(EPOCH),
        "proposer_preferences": {
            "version": "GLOAS",
            "data": {
                "dependent_root": B256::repeat_byte(8),
                "proposal_slot": (slot + 40).to_string(),
                "validator_index": "12",
                "fee_recipient": "0x00000000000000000000000000000000000000ee",
                "target_gas_limit": "60000000",
            },
        },
    });
    // Fork-agnostic (no `fork_info`), versioned: the builder's host name, the proposal slot.
    let request_auth = json!({
        "type": "BUILDER_REQUEST_AUTH",
        "builder_request_auth": {
            "version": "GLOAS",
            "data": {
                "data": format!("0x{}", alloy_primitives::hex::encode("builder.example.org")),
                "slot": (slot + 40).to_string(),
            },
        },
    });
    let aggregate = json!({
        "type": "AGGREGATE_AND_PROOF_V2",
        "fork_info": s.fork_info(EPOCH),
        "aggregate_and_proof": {
            "version": "GLOAS",
            "data": {
                "aggregator_index": "12",
                "aggregate": {
                    "aggregation_bits": "0x0b",
                    "data": {
                        "slot": slot.to_string(),
                        "index": "1",
                        "beacon_block_root": B256::repeat_byte(7),
                        "source": {"epoch": (EPOCH - 1).to_string(), "root": B256::repeat_byte(1)},
                        "target": {"epoch": EPOCH.to_string(), "root": B256::repeat_byte(2)},
                    },
                    "signature": format!("0x{}", "00".repeat(95) + "c0"),
                    "committee_bits": "0x0100000000000000",
                },
                "selection_proof": format!("0x{}", "00".repeat(95) + "c0"),
            },
        },
    });
    for body in [&ptc, &preferences, &request_auth, &aggregate] {
        let r = s.sign(&pk, body).await;
        assert_eq!(r.status, 200, "{}: {}", body["type"], r.body);
        let sig = r.json()["signature"].as_str().unwrap().to_owned();
        assert!(
            verify(&pk, root_of(&s.network, body), &sig),
            "{}",
            body["type"]
        );
    }

    // One payload-timeliness vote a slot: the same again is signed again, another is refused,
    // and so is one for an earlier slot.
    let again = s.sign(&pk, &ptc).await;
    assert_eq!(again.status, 200, "{}", again.body);
    let mut other = ptc.clone();
    other["payload_attestation_message"]["data"]["payload_present"] = json!(false);
    let r = s.sign(&pk, &other).await;
    assert_eq!(r.status, 412, "{}", r.body);
    assert!(r.body.contains("one vote a slot"), "{}", r.body);
    other["payload_attestation_message"]["data"]["slot"] = json!((slot - 1).to_string());
    assert_eq!(s.sign(&pk, &other).await.status, 412);
    other["payload_attestation_message"]["data"]["slot"] = json!((slot + 1).to_string());
    assert_eq!(s.sign(&pk, &other).await.status, 200);

    // A vote for the payload present (index 1), then one for it absent (index 0) at the same
    // target: the second is a double vote.
    let mut vote = s.attestation(EPOCH - 1, EPOCH, 9);
    vote["attestation"]["index"] = json!("1");
    assert_eq!(s.sign(&pk, &vote).await.status, 200);
    vote["attestation"]["index"] = json!("0");
    let r = s.sign(&pk, &vote).await;
    assert_eq!(r.status, 412, "{}", r.body);
}

/// A self-built envelope for the block `block_root` at `slot`, its payload empty but for
/// `block_hash`.
fn envelope(s: &TestSigner, slot: u64, block_root: B256, block_hash: u8, builder: u64) -> Value {
    json!({
        "type": "EXECUTION_PAYLOAD_ENVELOPE",
        "fork_info": s.fork_info(slot / 32),
        "execution_payload_envelope": {
            "version": "GLOAS",
            "data": {
                "payload": {
                    "parent_hash": B256::repeat_byte(1),
                    "fee_recipient": "0x00000000000000000000000000000000000000ee",
                    "state_root": B256::repeat_byte(2),
                    "receipts_root": B256::repeat_byte(3),
                    "logs_bloom": format!("0x{}", "00".repeat(256)),
                    "prev_randao": B256::repeat_byte(4),
                    "block_number": "100",
                    "gas_limit": "60000000",
                    "gas_used": "21000",
                    "timestamp": "1800000000",
                    "extra_data": "0x",
                    "base_fee_per_gas": "7",
                    "block_hash": B256::repeat_byte(block_hash),
                    "transactions": [],
                    "withdrawals": [],
                    "blob_gas_used": "0",
                    "excess_blob_gas": "0",
                    "block_access_list": "0x",
                    "slot_number": slot.to_string(),
                },
                "execution_requests": {
                    "deposits": [],
                    "withdrawals": [],
                    "consolidations": [],
                    "builder_deposits": [],
                    "builder_exits": [],
                },
                "builder_index": builder.to_string(),
                "beacon_block_root": block_root,
                "parent_beacon_block_root": B256::repeat_byte(5),
            },
        },
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_self_built_envelope_is_signed_once_for_the_block_the_key_signed() {
    let s = start_on(tempfile::tempdir().unwrap(), Network::sepolia(), EPOCH).await;
    let pk = s.generate(1).await[0];
    let slot = EPOCH * 32 + 1;
    let block = s.block(slot, 9);
    let header: lsv_consensus::containers::BeaconBlockHeader =
        serde_json::from_value(block["beacon_block"]["block_header"].clone()).unwrap();
    let block_root = tree_hash::TreeHash::tree_hash_root(&header);

    // Before the block is signed, no envelope for it.
    let own = envelope(&s, slot, block_root, 0xaa, u64::MAX);
    let r = s.sign(&pk, &own).await;
    assert_eq!(r.status, 412, "{}", r.body);
    assert!(
        r.body.contains("not the block this key signed last"),
        "{}",
        r.body
    );

    assert_eq!(s.sign(&pk, &block).await.status, 200);
    let r = s.sign(&pk, &own).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let sig = r.json()["signature"].as_str().unwrap().to_owned();
    assert!(verify(&pk, root_of(&s.network, &own), &sig));
    // The same envelope again; not another for the same block, nor a builder's.
    assert_eq!(s.sign(&pk, &own).await.status, 200);
    let other = envelope(&s, slot, block_root, 0xbb, u64::MAX);
    let r = s.sign(&pk, &other).await;
    assert_eq!(r.status, 412, "{}", r.body);
    assert!(r.body.contains("one envelope a block"), "{}", r.body);
    let builders = envelope(&s, slot, block_root, 0xaa, 5);
    assert_eq!(s.sign(&pk, &builders).await.status, 412);
}

/// A P built before Sepolia scheduled Gloas (the same network with Gloas removed) keeps
/// signing blocks and attestations after the fork, with the Gloas domain the caller's
/// `fork_info` gives (the signature verifies against the root a Gloas-aware P computes), and
/// its slashing protection holds across versions: a second block for the slot under another
/// later version is a double proposal, and the double vote stays one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_p_built_before_the_fork_signs_through_it_and_stays_slashing_safe() {
    let mut before = Network::sepolia();
    before.forks.remove(&lsv_consensus::ForkName::Gloas);
    let s = start_on(tempfile::tempdir().unwrap(), before, EPOCH).await;
    let after = Network::sepolia();
    let pk = s.generate(1).await[0];
    let slot = EPOCH * 32;
    let gloas_info = json!({
        "fork": after.fork_object_at(lsv_consensus::Epoch(EPOCH)),
        "genesis_validators_root": after.genesis_validators_root,
    });
    let block = |info: &Value, body_byte: u8| {
        json!({
            "type": "BLOCK_V2",
            "fork_info": info,
            "beacon_block": {"version": "GLOAS", "block_header": {
                "slot": slot.to_string(), "proposer_index": "12",
                "parent_root": B256::repeat_byte(1), "state_root": B256::repeat_byte(2),
                "body_root": B256::repeat_byte(body_byte)}},
        })
    };
    let attestation = |info: &Value, root_byte: u8| {
        json!({
            "type": "ATTESTATION",
            "fork_info": info,
            "attestation": {
                "slot": slot.to_string(), "index": "0",
                "beacon_block_root": B256::repeat_byte(root_byte),
                "source": {"epoch": (EPOCH - 1).to_string(), "root": B256::repeat_byte(1)},
                "target": {"epoch": EPOCH.to_string(), "root": B256::repeat_byte(2)},
            },
        })
    };
    for body in [block(&gloas_info, 3), attestation(&gloas_info, 7)] {
        let r = s.sign(&pk, &body).await;
        assert_eq!(r.status, 200, "{}: {}", body["type"], r.body);
        let sig = r.json()["signature"].as_str().unwrap().to_owned();
        // The root of a P that knows Gloas: what the chain verifies.
        assert!(
            verify(&pk, root_of(&after, &body), &sig),
            "{}",
            body["type"]
        );
    }
    // Another "later" version for the same slot: a different signing root, a double proposal.
    let mut other = gloas_info.clone();
    other["fork"]["current_version"] = json!("0x90000099");
    assert_eq!(s.sign(&pk, &block(&other, 3)).await.status, 412);
    assert_eq!(s.sign(&pk, &block(&gloas_info, 4)).await.status, 412);
    assert_eq!(s.sign(&pk, &attestation(&other, 8)).await.status, 412);
    // What a later fork may have changed is refused, with a reason.
    let ptc = json!({
        "type": "PAYLOAD_ATTESTATION_MESSAGE",
        "fork_info": gloas_info,
        "payload_attestation_message": {"version": "GLOAS", "data": {
            "beacon_block_root": B256::repeat_byte(7), "slot": slot.to_string(),
            "payload_present": true, "blob_data_available": true}},
    });
    let r = s.sign(&pk, &ptc).await;
    assert_eq!(r.status, 400, "{}", r.body);
    assert!(r.body.contains("later"), "{}", r.body);
}
