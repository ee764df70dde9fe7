//! consensus-spec-tests `ssz_static` (mainnet preset, `ssz_random`): for every container and
//! case, decoding `serialized.ssz` gives the value of `value.yaml`, encoding that value gives the
//! same bytes back, and `hash_tree_root` equals `roots.yaml`. Data: `testdata/ssz/` (SOURCE.md).
//!
//! The YAML is read with the containers' own serde, whose conventions (integers as numbers or
//! strings, bytes and bit fields as `0x` hex of their SSZ bytes) are the vectors' too. Each value
//! also round-trips through the beacon-API JSON the containers write (every integer quoted).

#![allow(unused_crate_dependencies)]

use lsv_consensus::containers::{altair, electra, gloas, phase0};
use serde::de::DeserializeOwned;
use serde::Serialize;
use ssz::Decode;
use std::collections::BTreeSet;
use std::fmt::Debug;
use std::path::{Path, PathBuf};
use tree_hash::TreeHash;

fn suite_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../testdata/ssz/ssz_static/mainnet")
}

fn case_dirs(fork: &str, type_name: &str) -> Vec<PathBuf> {
    let dir = suite_dir()
        .join(fork)
        .join("ssz_static")
        .join(type_name)
        .join("ssz_random");
    let mut cases: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.unwrap().path())
        .collect();
    cases.sort();
    cases
}

#[derive(serde::Deserialize)]
struct Roots {
    root: String,
}

fn check_case<T>(case: &Path)
where
    T: ssz::Encode + ssz::Decode + TreeHash + DeserializeOwned + Serialize + PartialEq + Debug,
{
    let bytes = std::fs::read(case.join("serialized.ssz")).unwrap();
    let yaml = std::fs::read_to_string(case.join("value.yaml")).unwrap();
    let roots: Roots =
        serde_yaml::from_str(&std::fs::read_to_string(case.join("roots.yaml")).unwrap()).unwrap();

    let decoded = T::from_ssz_bytes(&bytes)
        .unwrap_or_else(|e| panic!("{}: SSZ decode failed: {e:?}", case.display()));
    let from_yaml: T = serde_yaml::from_str(&yaml)
        .unwrap_or_else(|e| panic!("{}: value.yaml does not parse: {e}", case.display()));
    assert_eq!(
        decoded,
        from_yaml,
        "{}: decoded != value.yaml",
        case.display()
    );
    assert_eq!(
        from_yaml.as_ssz_bytes(),
        bytes,
        "{}: re-encoding differs",
        case.display()
    );
    assert_eq!(
        format!("{}", from_yaml.tree_hash_root()),
        roots.root,
        "{}: hash_tree_root differs",
        case.display()
    );

    let json = serde_json::to_value(&from_yaml).unwrap();
    assert!(
        !has_json_number(&json),
        "{}: an integer is not quoted",
        case.display()
    );
    let back: T = serde_json::from_value(json).unwrap();
    assert_eq!(back, from_yaml, "{}: JSON round trip", case.display());
}

fn has_json_number(v: &serde_json::Value) -> bool {
    match v {
        serde_json::Value::Number(_) => true,
        serde_json::Value::Array(items) => items.iter().any(has_json_number),
        serde_json::Value::Object(map) => map.values().any(has_json_number),
        _ => false,
    }
}

fn check_type<T>(fork: &str, type_name: &str)
where
    T: ssz::Encode + ssz::Decode + TreeHash + DeserializeOwned + Serialize + PartialEq + Debug,
{
    let cases = case_dirs(fork, type_name);
    assert_eq!(cases.len(), 5, "{fork}/{type_name}: expected 5 cases");
    for case in &cases {
        check_case::<T>(case);
    }
}

macro_rules! ssz_static {
    ($( $test:ident: $fork:literal / $name:literal => $ty:ty, )*) => {
        $(
            #[test]
            fn $test() {
                check_type::<$ty>($fork, $name);
            }
        )*

        /// Every container directory in the suite has a test above, and nothing more.
        const COVERED: &[(&str, &str)] = &[$( ($fork, $name), )*];
    };
}

ssz_static! {
    phase0_beacon_block_header: "phase0" / "BeaconBlockHeader" => phase0::BeaconBlockHeader,
    phase0_signed_beacon_block_header:
        "phase0" / "SignedBeaconBlockHeader" => phase0::SignedBeaconBlockHeader,
    phase0_attestation_data: "phase0" / "AttestationData" => phase0::AttestationData,
    phase0_checkpoint: "phase0" / "Checkpoint" => phase0::Checkpoint,
    phase0_validator: "phase0" / "Validator" => phase0::Validator,
    phase0_signing_data: "phase0" / "SigningData" => phase0::SigningData,
    phase0_fork: "phase0" / "Fork" => phase0::Fork,
    phase0_fork_data: "phase0" / "ForkData" => phase0::ForkData,
    phase0_deposit_message: "phase0" / "DepositMessage" => phase0::DepositMessage,
    phase0_deposit_data: "phase0" / "DepositData" => phase0::DepositData,
    phase0_voluntary_exit: "phase0" / "VoluntaryExit" => phase0::VoluntaryExit,
    phase0_signed_voluntary_exit: "phase0" / "SignedVoluntaryExit" => phase0::SignedVoluntaryExit,
    phase0_eth1_data: "phase0" / "Eth1Data" => phase0::Eth1Data,
    phase0_attestation: "phase0" / "Attestation" => phase0::Attestation,
    phase0_aggregate_and_proof: "phase0" / "AggregateAndProof" => phase0::AggregateAndProof,
    phase0_signed_aggregate_and_proof:
        "phase0" / "SignedAggregateAndProof" => phase0::SignedAggregateAndProof,
    phase0_indexed_attestation: "phase0" / "IndexedAttestation" => phase0::IndexedAttestation,
    altair_sync_aggregator_selection_data:
        "altair" / "SyncAggregatorSelectionData" => altair::SyncAggregatorSelectionData,
    altair_contribution_and_proof: "altair" / "ContributionAndProof" => altair::ContributionAndProof,
    altair_signed_contribution_and_proof:
        "altair" / "SignedContributionAndProof" => altair::SignedContributionAndProof,
    altair_sync_committee_contribution:
        "altair" / "SyncCommitteeContribution" => altair::SyncCommitteeContribution,
    altair_sync_committee_message: "altair" / "SyncCommitteeMessage" => altair::SyncCommitteeMessage,
    electra_attestation: "electra" / "Attestation" => electra::Attestation,
    electra_aggregate_and_proof: "electra" / "AggregateAndProof" => electra::AggregateAndProof,
    electra_signed_aggregate_and_proof:
        "electra" / "SignedAggregateAndProof" => electra::SignedAggregateAndProof,
    electra_single_attestation: "electra" / "SingleAttestation" => electra::SingleAttestation,
    electra_indexed_attestation: "electra" / "IndexedAttestation" => electra::IndexedAttestation,
    // Unchanged since phase0: the phase0 containers must give Electra's roots too.
    electra_beacon_block_header: "electra" / "BeaconBlockHeader" => phase0::BeaconBlockHeader,
    electra_attestation_data: "electra" / "AttestationData" => phase0::AttestationData,
    // Gloas (generated by scripts/generate-gloas-vectors): the progressive Attestation and what
    // carries it, the new votes and preferences, and what did not change.
    gloas_attestation: "gloas" / "Attestation" => gloas::Attestation,
    gloas_aggregate_and_proof: "gloas" / "AggregateAndProof" => gloas::AggregateAndProof,
    gloas_payload_attestation_data:
        "gloas" / "PayloadAttestationData" => gloas::PayloadAttestationData,
    gloas_payload_attestation_message:
        "gloas" / "PayloadAttestationMessage" => gloas::PayloadAttestationMessage,
    gloas_proposer_preferences: "gloas" / "ProposerPreferences" => gloas::ProposerPreferences,
    gloas_builder_request_auth: "gloas" / "BuilderRequestAuth" => gloas::BuilderRequestAuth,
    gloas_single_attestation: "gloas" / "SingleAttestation" => electra::SingleAttestation,
    gloas_beacon_block_header: "gloas" / "BeaconBlockHeader" => phase0::BeaconBlockHeader,
    gloas_attestation_data: "gloas" / "AttestationData" => phase0::AttestationData,
    // The self-built payload's envelope and what it holds: progressive lists and containers.
    gloas_execution_payload_envelope:
        "gloas" / "ExecutionPayloadEnvelope" => gloas::ExecutionPayloadEnvelope,
    gloas_execution_payload: "gloas" / "ExecutionPayload" => gloas::ExecutionPayload,
    gloas_execution_requests: "gloas" / "ExecutionRequests" => gloas::ExecutionRequests,
    gloas_withdrawal: "gloas" / "Withdrawal" => gloas::Withdrawal,
}

#[test]
fn every_container_in_the_suite_is_tested() {
    let mut on_disk = BTreeSet::new();
    let mut cases = 0;
    for fork in std::fs::read_dir(suite_dir()).unwrap() {
        let fork = fork.unwrap();
        let fork_name = fork.file_name().into_string().unwrap();
        for ty in std::fs::read_dir(fork.path().join("ssz_static")).unwrap() {
            let type_name = ty.unwrap().file_name().into_string().unwrap();
            cases += case_dirs(&fork_name, &type_name).len();
            on_disk.insert((fork_name.clone(), type_name));
        }
    }
    let covered: BTreeSet<(String, String)> = COVERED
        .iter()
        .map(|(f, t)| (f.to_string(), t.to_string()))
        .collect();
    assert_eq!(on_disk, covered);
    assert_eq!(covered.len(), 29 + 13);
    assert_eq!(cases, 145 + 65);
}

/// A bit field whose bytes do not fit its type is refused, never truncated.
#[test]
fn wrong_bit_field_lengths_are_refused() {
    let case = &case_dirs("altair", "SyncCommitteeContribution")[0];
    let mut bytes = std::fs::read(case.join("serialized.ssz")).unwrap();
    bytes.pop();
    assert!(
        altair::SyncCommitteeContribution::<lsv_consensus::Mainnet>::from_ssz_bytes(&bytes)
            .is_err()
    );
    // The mainnet bytes are not a minimal-preset contribution either.
    let bytes = std::fs::read(case.join("serialized.ssz")).unwrap();
    assert!(
        altair::SyncCommitteeContribution::<lsv_consensus::Minimal>::from_ssz_bytes(&bytes)
            .is_err()
    );
}
