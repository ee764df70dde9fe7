//! P on a fork later than any it was built with (DESIGN.md, "P across forks it does not
//! know"): for its own chain, a `fork_info` that continues the pinned schedule into a new
//! version is followed for the objects no fork has changed, and nothing else.
//!
//! The reference is a P built after the fork: a Sepolia P that schedules Gloas (epoch 353,024,
//! whose roots `gloas_signing.rs` holds to the executable spec) and one built before it, with
//! the same Sepolia but Gloas unscheduled. For every fork-stable type, the second signs exactly
//! the root the first does; for the others it refuses; and a `fork_info` that does not continue
//! its schedule is refused as before.

#![allow(unused_crate_dependencies)]

use lsv_consensus::network::{compute_domain, compute_signing_root, domain};
use lsv_consensus::request::{RequestError, SignRequest};
use lsv_consensus::{ForkName, Network, B256};
use serde_json::{json, Value};
use tree_hash::TreeHash;

/// An epoch of Sepolia's Gloas.
const EPOCH: u64 = 353_100;

fn sepolia_before_gloas() -> Network {
    let mut n = Network::sepolia();
    n.forks.remove(&ForkName::Gloas);
    n
}

fn version(n: &Network, f: ForkName) -> String {
    format!("0x{}", hex::encode(n.fork_version(f).unwrap().0))
}

fn fork_info(previous: &str, current: &str, epoch: u64) -> Value {
    json!({
        "fork": {"previous_version": previous, "current_version": current, "epoch": epoch.to_string()},
        "genesis_validators_root": Network::sepolia().genesis_validators_root,
    })
}

/// The fork_info of Sepolia's Gloas.
fn gloas_fork_info() -> Value {
    let s = Network::sepolia();
    fork_info(
        &version(&s, ForkName::Fulu),
        &version(&s, ForkName::Gloas),
        353_024,
    )
}

fn header() -> Value {
    json!({
        "slot": (EPOCH * 32 + 3).to_string(),
        "proposer_index": "12",
        "parent_root": B256::repeat_byte(1),
        "state_root": B256::repeat_byte(2),
        "body_root": B256::repeat_byte(3),
    })
}

fn stable_requests(fork_info: &Value, block_version: &str) -> Vec<Value> {
    let slot = (EPOCH * 32 + 3).to_string();
    vec![
        json!({"type": "BLOCK_V2", "fork_info": fork_info,
               "beacon_block": {"version": block_version, "block_header": header()}}),
        json!({"type": "ATTESTATION", "fork_info": fork_info, "attestation": {
            "slot": slot, "index": "1", "beacon_block_root": B256::repeat_byte(7),
            "source": {"epoch": (EPOCH - 1).to_string(), "root": B256::repeat_byte(1)},
            "target": {"epoch": EPOCH.to_string(), "root": B256::repeat_byte(2)}}}),
        json!({"type": "RANDAO_REVEAL", "fork_info": fork_info,
               "randao_reveal": {"epoch": EPOCH.to_string()}}),
        json!({"type": "AGGREGATION_SLOT", "fork_info": fork_info,
               "aggregation_slot": {"slot": slot}}),
        json!({"type": "SYNC_COMMITTEE_MESSAGE", "fork_info": fork_info,
               "sync_committee_message": {"beacon_block_root": B256::repeat_byte(9), "slot": slot}}),
    ]
}

fn root(n: &Network, body: &Value) -> Result<B256, RequestError> {
    SignRequest::from_json(body.to_string().as_bytes())
        .unwrap()
        .signing_root(n)
}

#[test]
fn a_p_built_before_gloas_signs_what_a_p_built_after_it_signs() {
    let (after, before) = (Network::sepolia(), sepolia_before_gloas());
    for body in stable_requests(&gloas_fork_info(), "GLOAS") {
        let expected = root(&after, &body).unwrap();
        assert_eq!(root(&before, &body), Ok(expected), "{}", body["type"]);
    }
}

#[test]
fn a_fork_no_p_knows_by_name_signs_a_block_by_its_header() {
    // Sepolia after Gloas, then "HEZE" at a version and epoch of the caller's.
    let s = Network::sepolia();
    let heze = "0x90000077";
    let info = fork_info(&version(&s, ForkName::Gloas), heze, 353_050);
    let body = &stable_requests(&info, "HEZE")[0];
    let header: lsv_consensus::containers::BeaconBlockHeader =
        serde_json::from_value(header()).unwrap();
    let domain = compute_domain(
        domain::BEACON_PROPOSER,
        lsv_consensus::Version([0x90, 0, 0, 0x77]),
        s.genesis_validators_root,
    );
    assert_eq!(
        root(&s, body),
        Ok(compute_signing_root(header.tree_hash_root(), domain))
    );
}

#[test]
fn what_a_later_fork_may_have_changed_is_refused() {
    let before = sepolia_before_gloas();
    let info = gloas_fork_info();
    let slot = (EPOCH * 32 + 3).to_string();
    let aggregate = json!({"type": "AGGREGATE_AND_PROOF_V2", "fork_info": info,
        "aggregate_and_proof": {"version": "FULU", "data": {
            "aggregator_index": "12",
            "aggregate": {
                "aggregation_bits": "0x0b",
                "data": {"slot": slot, "index": "0", "beacon_block_root": B256::repeat_byte(7),
                    "source": {"epoch": (EPOCH - 1).to_string(), "root": B256::repeat_byte(1)},
                    "target": {"epoch": EPOCH.to_string(), "root": B256::repeat_byte(2)}},
                "signature": format!("0x{}", "00".repeat(95) + "c0"),
                "committee_bits": "0x0100000000000000"},
            "selection_proof": format!("0x{}", "00".repeat(95) + "c0")}}});
    let ptc = json!({"type": "PAYLOAD_ATTESTATION_MESSAGE", "fork_info": info,
        "payload_attestation_message": {"version": "GLOAS", "data": {
            "beacon_block_root": B256::repeat_byte(7), "slot": slot,
            "payload_present": true, "blob_data_available": true}}});
    for body in [aggregate, ptc] {
        match root(&before, &body) {
            Err(RequestError::WrongFork(m)) => assert!(m.contains("later"), "{m}"),
            other => panic!("{}: {other:?}", body["type"]),
        }
    }
}

#[test]
fn a_fork_info_that_does_not_continue_the_schedule_is_refused() {
    let before = sepolia_before_gloas();
    let s = Network::sepolia();
    let gloas = version(&s, ForkName::Gloas);
    // Its previous version is not the pinned last fork's (Electra instead of Fulu).
    let skipped = fork_info(&version(&s, ForkName::Electra), &gloas, 353_024);
    // It starts before the pinned last fork does.
    let fulu_epoch = s.forks[&ForkName::Fulu].0.as_u64();
    let early = fork_info(&version(&s, ForkName::Fulu), &gloas, fulu_epoch - 1);
    // It is another chain.
    let mut elsewhere = gloas_fork_info();
    elsewhere["genesis_validators_root"] = json!(B256::repeat_byte(0x55));
    for info in [skipped, early, elsewhere] {
        let body = &stable_requests(&info, "GLOAS")[1];
        assert!(
            matches!(root(&before, body), Err(RequestError::WrongForkInfo(_))),
            "{info}"
        );
    }
    // Before the claimed fork's epoch, its previous version (the pinned one) applies.
    let later = fork_info(&version(&s, ForkName::Fulu), &gloas, EPOCH + 10);
    let body = &stable_requests(&later, "FULU")[1];
    let pinned = &stable_requests(
        &fork_info(
            &version(&s, ForkName::Electra),
            &version(&s, ForkName::Fulu),
            fulu_epoch,
        ),
        "FULU",
    )[1];
    assert_eq!(root(&before, body), root(&before, pinned));
}
