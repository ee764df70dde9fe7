//! Every example request in Web3Signer's `signing/paths/sign.yaml` (testdata/remote-signing-api)
//! parses, and P's own signing root equals the example's `signingRoot`, on a network pinned to
//! the examples' `fork_info` (genesis validators root 0x0470…a673, fork version 0x00000001 at
//! every epoch, so the fork versions the examples name agree with the schedule). Every example
//! is at slot 0 and names one fork version for all forks, so the examples of BLOCK_V2 and
//! AGGREGATE_AND_PROOF_V2 (whose `version` must be the fork in force at the message's slot) are
//! each checked on a network where the fork they name is in force from genesis.
//!
//! Two kinds of example need a note:
//! - `BLOCK_V2 (ALTAIR)` and `SYNC_COMMITTEE_CONTRIBUTION_AND_PROOF` carry minimal-preset data:
//!   `sync_committee_bits` of 4 bytes (Bitvector[32]) and contribution `aggregation_bits` of
//!   1 byte (Bitvector[8]), where mainnet has 64 and 16 bytes. Parsed with the minimal preset
//!   their roots match; under the mainnet preset they are refused as malformed.
//! - `AGGREGATE_AND_PROOF_V2 (ELECTRA)` and `(FULU)` (the same request) cannot be reproduced:
//!   their `signingRoot` 0x2475…c9e0 is not the root of the request as written under the
//!   mainnet preset (P computes 0x1180…ed40; the Electra `AggregateAndProof` root itself is
//!   pinned by the ssz_static vectors), nor under any other list limit tried, nor the
//!   phase0-shaped root an implementation would get by ignoring `committee_bits` (0x3124…6a26),
//!   and the request is not valid minimal-preset data (8-byte `committee_bits`). So the example
//!   is inconsistent upstream; P refuses its `signingRoot` and signs its own.

#![allow(unused_crate_dependencies)]

use lsv_consensus::network::{ForkName, Network};
use lsv_consensus::{Epoch, PresetName, RequestError, SignRequest, SignableMessage, Version, B256};
use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

const SIGN_YAML: &str = "remote-signing-api/web3signer-eth2/signing/paths/sign.yaml";

/// Examples whose data is minimal-preset.
const MINIMAL_PRESET: &[&str] = &["BLOCK_V2 (ALTAIR)", "SYNC_COMMITTEE_CONTRIBUTION_AND_PROOF"];

/// Examples whose `signingRoot` is not the request's root (see the module comment), with the
/// root P computes.
const INCONSISTENT: &[(&str, &str)] = &[
    (
        "AGGREGATE_AND_PROOF_V2 (ELECTRA)",
        "0x1180bcb41bda522b3420274c6e4931c37ecf4eef99a57e4d04fc81e82b2ced40",
    ),
    (
        "AGGREGATE_AND_PROOF_V2 (FULU)",
        "0x1180bcb41bda522b3420274c6e4931c37ecf4eef99a57e4d04fc81e82b2ced40",
    ),
];

fn sign_yaml() -> serde_yaml::Value {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata")
        .join(SIGN_YAML);
    serde_yaml::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// name -> request body as JSON.
fn examples() -> BTreeMap<String, serde_json::Value> {
    let doc = sign_yaml();
    let examples = &doc["post"]["requestBody"]["content"]["application/json"]["examples"];
    examples
        .as_mapping()
        .unwrap()
        .iter()
        .map(|(name, example)| {
            let body = serde_json::to_value(&example["value"]).unwrap();
            (name.as_str().unwrap().to_owned(), body)
        })
        .collect()
}

/// The network the examples were made for, as far as their `fork_info` tells, with `fork` (and
/// every fork before it) in force from genesis.
fn examples_network(preset: PresetName, fork: ForkName) -> Network {
    let version = Version([0, 0, 0, 1]);
    Network {
        name: "web3signer-examples".into(),
        genesis_time: 0,
        genesis_validators_root:
            "0x04700007fabc8282644aed6d1c7c9e21d38a03a0c4ba193f3afe428824b3a673"
                .parse()
                .unwrap(),
        genesis_fork_version: version,
        seconds_per_slot: 12,
        slots_per_epoch: match preset {
            PresetName::Mainnet => 32,
            PresetName::Minimal => 8,
        },
        shard_committee_period: preset.default_shard_committee_period(),
        min_validator_withdrawability_delay:
            lsv_consensus::network::DEFAULT_MIN_VALIDATOR_WITHDRAWABILITY_DELAY,
        preset,
        chain_id: 1,
        deposit_contract: Default::default(),
        forks: ForkName::ALL[1..]
            .iter()
            .filter(|f| **f <= fork)
            .map(|f| (*f, (Epoch(0), version)))
            .collect(),
    }
}

/// The fork an example names: its BLOCK_V2 or AGGREGATE_AND_PROOF_V2 `version`, else PHASE0.
fn fork_of(body: &serde_json::Value) -> ForkName {
    let version = match body["type"].as_str().unwrap() {
        "BLOCK_V2" => &body["beacon_block"]["version"],
        "AGGREGATE_AND_PROOF_V2" => &body["aggregate_and_proof"]["version"],
        _ => return ForkName::Phase0,
    };
    ForkName::from_upper(version.as_str().unwrap()).unwrap()
}

fn preset_of(name: &str) -> PresetName {
    if MINIMAL_PRESET.contains(&name) {
        PresetName::Minimal
    } else {
        PresetName::Mainnet
    }
}

fn expected_root(body: &serde_json::Value) -> B256 {
    body["signingRoot"].as_str().unwrap().parse().unwrap()
}

#[test]
fn every_consistent_example_reproduces_its_signing_root() {
    let mut reproduced = 0;
    for (name, body) in examples() {
        if INCONSISTENT.iter().any(|(n, _)| *n == name) {
            continue;
        }
        let preset = preset_of(&name);
        let bytes = serde_json::to_vec(&body).unwrap();
        let request = SignRequest::from_json_with_preset(&bytes, preset)
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        let root = request
            .signing_root(&examples_network(preset, fork_of(&body)))
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(root, expected_root(&body), "{name}");
        reproduced += 1;
    }
    assert_eq!(reproduced, 23);
}

#[test]
fn the_examples_cover_every_request_type_of_the_api() {
    let doc = sign_yaml();
    let schema = &doc["post"]["requestBody"]["content"]["application/json"]["schema"];
    let api_types: BTreeSet<String> = schema["discriminator"]["mapping"]
        .as_mapping()
        .unwrap()
        .keys()
        .map(|k| k.as_str().unwrap().to_owned())
        .collect();
    assert_eq!(api_types.len(), 13);
    let example_types: BTreeSet<String> = examples()
        .values()
        .map(|body| body["type"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(example_types, api_types);
    assert_eq!(examples().len(), 25);
}

#[test]
fn every_block_v2_version_is_exercised() {
    let versions: BTreeSet<ForkName> = examples()
        .into_iter()
        .filter(|(_, body)| body["type"] == "BLOCK_V2")
        .map(|(name, body)| {
            let bytes = serde_json::to_vec(&body).unwrap();
            match SignRequest::from_json_with_preset(&bytes, preset_of(&name))
                .unwrap()
                .message
            {
                SignableMessage::Block { version, .. } => version,
                other => panic!("{name}: parsed as {other:?}"),
            }
        })
        .collect();
    // The published examples end at FULU; GLOAS blocks are checked against the executable
    // spec's roots in `gloas_signing.rs`.
    let published: BTreeSet<ForkName> = ForkName::ALL
        .into_iter()
        .filter(|f| *f <= ForkName::Fulu)
        .collect();
    assert_eq!(versions, published);
}

#[test]
fn minimal_preset_examples_are_refused_under_the_mainnet_preset() {
    let examples = examples();
    for (name, field) in [
        (
            "BLOCK_V2 (ALTAIR)",
            "beacon_block.block.body.sync_aggregate.sync_committee_bits",
        ),
        (
            "SYNC_COMMITTEE_CONTRIBUTION_AND_PROOF",
            "contribution_and_proof.contribution.aggregation_bits",
        ),
    ] {
        let bytes = serde_json::to_vec(&examples[name]).unwrap();
        match SignRequest::from_json(&bytes) {
            Err(RequestError::Malformed(msg)) => {
                assert!(msg.starts_with(field), "{name}: {msg}")
            }
            other => panic!("{name}: {other:?}"),
        }
    }
}

#[test]
fn inconsistent_electra_aggregate_examples_get_ps_own_root() {
    let examples = examples();
    for (name, ours) in INCONSISTENT {
        let ours: B256 = ours.parse().unwrap();
        let body = &examples[*name];
        let network = examples_network(PresetName::Mainnet, fork_of(body));
        let mut request = SignRequest::from_json(&serde_json::to_vec(body).unwrap()).unwrap();
        assert_eq!(
            request.signing_root(&network),
            Err(RequestError::SigningRootMismatch {
                sent: expected_root(body),
                computed: ours,
            }),
            "{name}"
        );
        request.signing_root = None;
        assert_eq!(request.signing_root(&network), Ok(ours), "{name}");
    }
}

#[test]
fn pre_electra_aggregate_versions_share_the_legacy_root() {
    // AGGREGATE_AND_PROOF_V2 for PHASE0..DENEB carries the phase0 shape: the same request as
    // the deprecated AGGREGATE_AND_PROOF, so the same root.
    let examples = examples();
    let legacy = expected_root(&examples["AGGREGATE_AND_PROOF (DEPRECATED)"]);
    for name in [
        "AGGREGATE_AND_PROOF_V2 (PHASE 0)",
        "AGGREGATE_AND_PROOF_V2 (ALTAIR)",
        "AGGREGATE_AND_PROOF_V2 (BELLATRIX)",
        "AGGREGATE_AND_PROOF_V2 (CAPELLA)",
        "AGGREGATE_AND_PROOF_V2 (DENEB)",
    ] {
        let request =
            SignRequest::from_json(&serde_json::to_vec(&examples[name]).unwrap()).unwrap();
        assert_eq!(
            request.signing_root(&examples_network(
                PresetName::Mainnet,
                fork_of(&examples[name])
            )),
            Ok(legacy),
            "{name}"
        );
    }
}

#[test]
fn versioned_examples_are_refused_where_their_fork_is_not_in_force() {
    // The same chain with only PHASE0 scheduled (and, for PHASE0 examples, with FULU in force):
    // a `version` that is not the fork at the message's slot is refused, naming both.
    let mut checked = 0;
    for (name, body) in examples() {
        let named = fork_of(&body);
        if !matches!(
            body["type"].as_str(),
            Some("BLOCK_V2" | "AGGREGATE_AND_PROOF_V2")
        ) {
            continue;
        }
        let preset = preset_of(&name);
        let elsewhere = if named == ForkName::Phase0 {
            ForkName::Fulu
        } else {
            ForkName::Phase0
        };
        let request =
            SignRequest::from_json_with_preset(&serde_json::to_vec(&body).unwrap(), preset)
                .unwrap();
        match request.signing_root(&examples_network(preset, elsewhere)) {
            Err(RequestError::WrongFork(msg)) => assert!(
                msg.contains(named.as_upper()) && msg.contains(elsewhere.as_upper()),
                "{name}: {msg}"
            ),
            other => panic!("{name}: {other:?}"),
        }
        checked += 1;
    }
    assert_eq!(checked, 14);
}

#[test]
fn examples_are_refused_on_another_network() {
    // The same requests sent to a P pinned to mainnet: wrong chain.
    let mainnet = Network::mainnet();
    for (name, body) in examples() {
        let bytes = serde_json::to_vec(&body).unwrap();
        let request = SignRequest::from_json_with_preset(&bytes, preset_of(&name)).unwrap();
        let result = request.signing_root(&mainnet);
        match body["type"].as_str().unwrap() {
            // No fork_info: DEPOSIT's domain comes from the request (the enclave's policy checks
            // the version), VALIDATOR_REGISTRATION's from the pinned genesis fork version.
            "DEPOSIT" => assert_eq!(result, Ok(expected_root(&body)), "{name}"),
            "VALIDATOR_REGISTRATION" => assert!(
                matches!(result, Err(RequestError::SigningRootMismatch { .. })),
                "{name}: {result:?}"
            ),
            _ => assert!(
                matches!(&result, Err(RequestError::WrongForkInfo(m)) if m.contains("genesis_validators_root")),
                "{name}: {result:?}"
            ),
        }
    }
}
