//! P's signing roots for Gloas, against the executable spec's: on Sepolia (the first public
//! chain at Gloas), case 0 of each type a validator signs there (the self-built payload's
//! envelope and the builder request authorization included), wrapped in the request a validator
//! client sends, must give the root the
//! spec's signature helpers give (`testdata/ssz/gloas_signing_roots_sepolia.yaml`, made by
//! `scripts/generate-gloas-vectors`).
//! And the new types are refused where Gloas is not in force.

#![allow(unused_crate_dependencies)]

use lsv_consensus::containers::{gloas, phase0};
use lsv_consensus::network::{domain, Network};
use lsv_consensus::{RequestError, SignRequest};
use serde_json::{json, Value};
use std::path::PathBuf;

fn testdata() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../testdata/ssz")
}

#[derive(serde::Deserialize)]
struct Expected {
    #[serde(rename = "type")]
    type_name: String,
    case: String,
    signing_root: String,
}

fn expected() -> Vec<Expected> {
    let text = std::fs::read_to_string(testdata().join("gloas_signing_roots_sepolia.yaml"))
        .expect("the vectors");
    serde_yaml::from_str(&text).expect("a list of roots")
}

/// The case's `value.yaml` as the API's JSON (every integer quoted), through the container.
fn value<T: serde::de::DeserializeOwned + serde::Serialize>(case: &str) -> Value {
    let yaml = std::fs::read_to_string(testdata().join(case).join("value.yaml")).unwrap();
    let typed: T = serde_yaml::from_str(&yaml).unwrap();
    serde_json::to_value(typed).unwrap()
}

/// Sepolia's `fork_info` at Gloas.
fn fork_info() -> Value {
    json!({
        "fork": {"previous_version": "0x90000075", "current_version": "0x90000076", "epoch": "353024"},
        "genesis_validators_root": "0xd8ea171f3c94aea21ebc42a1ed61052acf3f9209c00e4efbaaddac09ed9b8078",
    })
}

fn root_of(request: &Value, network: &Network) -> Result<String, RequestError> {
    SignRequest::from_json(request.to_string().as_bytes())?
        .signing_root(network)
        .map(|r| r.to_string())
}

/// The requests a validator client sends for each vector, by type.
fn requests(e: &Expected) -> Vec<Value> {
    match e.type_name.as_str() {
        "PayloadAttestationData" => vec![json!({
            "type": "PAYLOAD_ATTESTATION_MESSAGE",
            "fork_info": fork_info(),
            "payload_attestation_message": {
                "version": "GLOAS",
                "data": value::<gloas::PayloadAttestationData>(&e.case),
            },
        })],
        "ProposerPreferences" => vec![json!({
            "type": "PROPOSER_PREFERENCES",
            "fork_info": fork_info(),
            "proposer_preferences": {
                "version": "GLOAS",
                "data": value::<gloas::ProposerPreferences>(&e.case),
            },
        })],
        "AggregateAndProof" => {
            let data = value::<gloas::AggregateAndProof>(&e.case);
            vec![
                json!({
                    "type": "AGGREGATE_AND_PROOF_V2",
                    "fork_info": fork_info(),
                    "aggregate_and_proof": {"version": "GLOAS", "data": data},
                }),
                // Lighthouse and Teku send the V1 name with the current container.
                json!({
                    "type": "AGGREGATE_AND_PROOF",
                    "fork_info": fork_info(),
                    "aggregate_and_proof": data,
                }),
            ]
        }
        "AttestationData" => vec![json!({
            "type": "ATTESTATION",
            "fork_info": fork_info(),
            "attestation": value::<phase0::AttestationData>(&e.case),
        })],
        // From BELLATRIX on, BLOCK_V2 sends the header (the GLOAS shape assumed the same).
        "BeaconBlockHeader" => vec![json!({
            "type": "BLOCK_V2",
            "fork_info": fork_info(),
            "beacon_block": {
                "version": "GLOAS",
                "block_header": value::<phase0::BeaconBlockHeader>(&e.case),
            },
        })],
        "ExecutionPayloadEnvelope" => vec![json!({
            "type": "EXECUTION_PAYLOAD_ENVELOPE",
            "fork_info": fork_info(),
            "execution_payload_envelope": {
                "version": "GLOAS",
                "data": value::<gloas::ExecutionPayloadEnvelope>(&e.case),
            },
        })],
        // Fork-agnostic (no `fork_info` needed, and one sent is not used), still versioned.
        "BuilderRequestAuth" => {
            let data = value::<gloas::BuilderRequestAuth>(&e.case);
            vec![
                json!({
                    "type": "BUILDER_REQUEST_AUTH",
                    "builder_request_auth": {"version": "GLOAS", "data": data},
                }),
                json!({
                    "type": "BUILDER_REQUEST_AUTH",
                    "fork_info": fork_info(),
                    "builder_request_auth": {"version": "GLOAS", "data": data},
                }),
            ]
        }
        other => panic!("no request for {other}"),
    }
}

#[test]
fn every_gloas_signing_root_is_the_specs() {
    let sepolia = Network::sepolia();
    let all = expected();
    assert_eq!(all.len(), 7);
    for e in &all {
        for request in requests(e) {
            assert_eq!(
                root_of(&request, &sepolia).unwrap_or_else(|err| panic!("{}: {err}", e.type_name)),
                e.signing_root,
                "{}: {request}",
                e.type_name
            );
        }
    }
}

#[test]
fn the_new_domains_are_the_specs() {
    let text = std::fs::read_to_string(testdata().join("gloas_constants.yaml")).unwrap();
    let constants: serde_yaml::Value = serde_yaml::from_str(&text).unwrap();
    let hex = |k: &str| constants[k].as_str().unwrap().to_owned();
    let of = |d: domain::DomainType| format!("0x{}", hex::encode(d));
    assert_eq!(of(domain::BEACON_BUILDER), hex("DOMAIN_BEACON_BUILDER"));
    assert_eq!(of(domain::PTC_ATTESTER), hex("DOMAIN_PTC_ATTESTER"));
    assert_eq!(
        of(domain::PROPOSER_PREFERENCES),
        hex("DOMAIN_PROPOSER_PREFERENCES")
    );
}

/// A Gloas aggregate named for an earlier fork would be hashed as that fork's container: the
/// root a Gloas chain does not verify. Refused, as the Gloas types are before Gloas.
#[test]
fn gloas_types_and_versions_are_refused_where_gloas_is_not_in_force() {
    let all = expected();
    let aggregate = all
        .iter()
        .find(|e| e.type_name == "AggregateAndProof")
        .unwrap();
    let data = value::<gloas::AggregateAndProof>(&aggregate.case);
    for version in ["ELECTRA", "FULU"] {
        let request = json!({
            "type": "AGGREGATE_AND_PROOF_V2",
            "fork_info": fork_info(),
            "aggregate_and_proof": {"version": version, "data": data},
        });
        let err = root_of(&request, &Network::sepolia()).unwrap_err();
        assert!(
            matches!(err, RequestError::WrongFork(_)),
            "{version}: {err}"
        );
    }

    // A payload-timeliness vote at a Fulu slot of Sepolia, and on mainnet (no Gloas scheduled).
    let ptc = all
        .iter()
        .find(|e| e.type_name == "PayloadAttestationData")
        .unwrap();
    let mut vote = value::<gloas::PayloadAttestationData>(&ptc.case);
    vote["slot"] = json!((353_024u64 * 32 - 1).to_string());
    let fulu = json!({
        "fork": {"previous_version": "0x90000074", "current_version": "0x90000075", "epoch": "272640"},
        "genesis_validators_root": "0xd8ea171f3c94aea21ebc42a1ed61052acf3f9209c00e4efbaaddac09ed9b8078",
    });
    let request = json!({
        "type": "PAYLOAD_ATTESTATION_MESSAGE",
        "fork_info": fulu,
        "payload_attestation_message": {"version": "GLOAS", "data": vote},
    });
    let err = root_of(&request, &Network::sepolia()).unwrap_err();
    assert!(
        matches!(&err, RequestError::WrongFork(m) if m.contains("only from GLOAS")),
        "{err}"
    );
    let mainnet_info = json!({
        "fork": {"previous_version": "0x05000000", "current_version": "0x06000000", "epoch": "411392"},
        "genesis_validators_root": "0x4b363db94e286120d76eb905340fdd4e54bfe9f06bf33ff6cf5ad27f511bfe95",
    });
    let mut request = request;
    request["fork_info"] = mainnet_info;
    request["payload_attestation_message"]["data"]["slot"] = json!("20000000");
    let err = root_of(&request, &Network::mainnet()).unwrap_err();
    assert!(matches!(err, RequestError::WrongFork(_)), "{err}");

    // A builder request authorization needs no fork_info, but its proposal slot must be in
    // Gloas: refused at a Fulu slot of Sepolia, on mainnet, and under another version.
    let auth = all
        .iter()
        .find(|e| e.type_name == "BuilderRequestAuth")
        .unwrap();
    let mut data = value::<gloas::BuilderRequestAuth>(&auth.case);
    for (slot, version, network) in [
        (353_024u64 * 32 - 1, "GLOAS", Network::sepolia()),
        (20_000_000, "GLOAS", Network::mainnet()),
        (353_024 * 32, "FULU", Network::sepolia()),
    ] {
        data["slot"] = json!(slot.to_string());
        let request = json!({
            "type": "BUILDER_REQUEST_AUTH",
            "builder_request_auth": {"version": version, "data": data},
        });
        let err = root_of(&request, &network).unwrap_err();
        assert!(
            matches!(err, RequestError::WrongFork(_)),
            "{slot} {version}: {err}"
        );
    }
    // Its data is at most MAX_DATA_SIZE (4096) bytes.
    data["slot"] = json!((353_024u64 * 32).to_string());
    data["data"] = json!(format!("0x{}", "ab".repeat(4097)));
    let request = json!({
        "type": "BUILDER_REQUEST_AUTH",
        "builder_request_auth": {"version": "GLOAS", "data": data},
    });
    assert!(root_of(&request, &Network::sepolia()).is_err());
}

/// In Gloas an attestation's `index` is the payload's status (0 or 1): P hashes it as any
/// other field, and two votes that differ only there have different roots (slashing protection
/// then sees two votes for one target: a double vote).
#[test]
fn an_attestations_index_is_signed_as_sent() {
    let all = expected();
    let e = all
        .iter()
        .find(|e| e.type_name == "AttestationData")
        .unwrap();
    let mut data = value::<phase0::AttestationData>(&e.case);
    let mut roots = Vec::new();
    for index in ["0", "1"] {
        data["index"] = json!(index);
        let request = json!({"type": "ATTESTATION", "fork_info": fork_info(), "attestation": data});
        roots.push(root_of(&request, &Network::sepolia()).unwrap());
    }
    assert_ne!(roots[0], roots[1]);
}
