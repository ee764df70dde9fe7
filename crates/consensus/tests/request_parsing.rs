//! What `SignRequest::from_json` accepts and how it refuses the rest: unknown types are
//! `UnsupportedType`, anything else wrong is `Malformed` with the path of the offending field.

#![allow(unused_crate_dependencies)]

use lsv_consensus::network::ForkName;
use lsv_consensus::{PresetName, RequestError, SignRequest, SignableMessage, Slot};
use serde_json::{json, Value};

const GVR: &str = "0x4b363db94e286120d76eb905340fdd4e54bfe9f06bf33ff6cf5ad27f511bfe95";
const ROOT: &str = "0xb2eedb01adbd02c828d5eec09b4c70cbba12ffffba525ebf48aca33028e8ad89";
const SIG: &str = "0xa627242e4a5853708f4ebf923960fb8192f93f2233cd347e05239d86dd9fb66b721ceec1baeae6647f498c9126074f1101a87854d674b6eebc220fd8c3d8405bdfd8e286b707975d9e00a56ec6cbbf762f23607d490f0bbb16c3e0e483d51875";

fn fork_info() -> Value {
    json!({
        "fork": {"previous_version": "0x04000000", "current_version": "0x05000000", "epoch": "364032"},
        "genesis_validators_root": GVR,
    })
}

fn attestation() -> Value {
    json!({
        "type": "ATTESTATION",
        "fork_info": fork_info(),
        "attestation": {
            "slot": "11650000",
            "index": "0",
            "beacon_block_root": ROOT,
            "source": {"epoch": "364061", "root": ROOT},
            "target": {"epoch": "364062", "root": ROOT},
        }
    })
}

fn block_v2(version: &str) -> Value {
    json!({
        "type": "BLOCK_V2",
        "fork_info": fork_info(),
        "beacon_block": {
            "version": version,
            "block_header": {
                "slot": "11650000",
                "proposer_index": "7",
                "parent_root": ROOT,
                "state_root": ROOT,
                "body_root": ROOT,
            }
        }
    })
}

fn parse(v: &Value) -> Result<SignRequest, RequestError> {
    SignRequest::from_json(v.to_string().as_bytes())
}

fn malformed(result: Result<SignRequest, RequestError>) -> String {
    match result {
        Err(RequestError::Malformed(msg)) => msg,
        other => panic!("expected Malformed, got {other:?}"),
    }
}

/// Sets the value at a `/`-separated path.
fn with(mut v: Value, path: &str, new: Value) -> Value {
    *v.pointer_mut(path).unwrap_or_else(|| panic!("no {path}")) = new;
    v
}

fn without(mut v: Value, path: &str) -> Value {
    let (parent, key) = path.rsplit_once('/').unwrap();
    v.pointer_mut(parent)
        .unwrap()
        .as_object_mut()
        .unwrap()
        .remove(key)
        .unwrap();
    v
}

#[test]
fn a_well_formed_attestation_parses() {
    let request = parse(&attestation()).unwrap();
    assert_eq!(request.signing_root, None);
    assert!(request.fork_info.is_some());
    match request.message {
        SignableMessage::Attestation(data) => assert_eq!(data.slot, Slot(11_650_000)),
        other => panic!("{other:?}"),
    }
}

#[test]
fn unknown_types_are_unsupported() {
    for kind in ["FOO", "block_v2", "", "BLS_TO_EXECUTION_CHANGE"] {
        let body = with(attestation(), "/type", json!(kind));
        assert_eq!(
            parse(&body),
            Err(RequestError::UnsupportedType(kind.to_owned()))
        );
    }
}

#[test]
fn a_missing_or_non_string_type_is_malformed() {
    assert!(malformed(parse(&without(attestation(), "/type"))).contains("missing field `type`"));
    assert!(malformed(parse(&with(attestation(), "/type", json!(5)))).starts_with("type: "));
    assert!(malformed(parse(&with(attestation(), "/type", json!(null)))).starts_with("type: "));
}

#[test]
fn bodies_that_are_not_one_json_object_are_malformed() {
    let good = attestation().to_string();
    for body in [
        String::new(),
        "null".into(),
        "[]".into(),
        "\"ATTESTATION\"".into(),
        format!("{good} {{}}"),
        format!("{good}x"),
        good.replace('{', "["),
    ] {
        malformed(SignRequest::from_json(body.as_bytes()));
    }
    assert!(malformed(SignRequest::from_json(&[0xff, 0xfe])).contains("JSON"));
}

#[test]
fn truncated_json_is_malformed_at_every_length() {
    let body = block_v2("DENEB").to_string();
    for len in 0..body.len() {
        let msg = malformed(SignRequest::from_json(&body.as_bytes()[..len]));
        assert!(!msg.is_empty());
    }
}

#[test]
fn missing_fields_are_named() {
    let cases = [
        ("/attestation", "missing field `attestation`"),
        ("/attestation/target", "attestation: missing field `target`"),
        (
            "/attestation/target/epoch",
            "attestation.target: missing field `epoch`",
        ),
        ("/fork_info/fork", "fork_info: missing field `fork`"),
        (
            "/fork_info/fork/previous_version",
            "fork_info.fork: missing field `previous_version`",
        ),
    ];
    for (path, expected) in cases {
        let msg = malformed(parse(&without(attestation(), path)));
        assert!(msg.starts_with(expected), "{path}: {msg}");
    }
}

#[test]
fn wrong_hex_lengths_are_refused_with_the_field_path() {
    let short_root = &ROOT[..ROOT.len() - 2];
    let cases = [
        (
            attestation(),
            "/attestation/beacon_block_root",
            json!(short_root),
        ),
        (
            attestation(),
            "/attestation/source/root",
            json!(format!("{ROOT}00")),
        ),
        (
            attestation(),
            "/attestation/beacon_block_root",
            json!("0xzz"),
        ),
        (
            attestation(),
            "/fork_info/fork/current_version",
            json!("0x0500000000"),
        ),
        (
            attestation(),
            "/fork_info/genesis_validators_root",
            json!("0x00"),
        ),
        (
            block_v2("DENEB"),
            "/beacon_block/block_header/body_root",
            json!(short_root),
        ),
        // A root is a hex string, not an array of numbers.
        (
            attestation(),
            "/attestation/beacon_block_root",
            json!(vec![0u8; 32]),
        ),
    ];
    for (body, path, bad) in cases {
        let msg = malformed(parse(&with(body, path, bad)));
        let dotted = path[1..].replace('/', ".");
        assert!(msg.starts_with(&dotted), "{path}: {msg}");
    }
    let mut body = attestation();
    body["signingRoot"] = json!("0x1234");
    assert!(malformed(parse(&body)).starts_with("signingRoot"));
}

#[test]
fn out_of_range_and_ill_typed_numbers_are_refused() {
    for bad in [
        json!("18446744073709551616"),
        json!("-1"),
        json!(-1),
        json!("0x10"),
        json!("1.5"),
        json!(1.5),
        json!(1e30),
        json!(""),
        json!(" 1"),
        json!(true),
        json!({}),
    ] {
        let msg = malformed(parse(&with(
            attestation(),
            "/attestation/slot",
            bad.clone(),
        )));
        assert!(msg.starts_with("attestation.slot"), "{bad}: {msg}");
    }
    // u64::MAX itself is a valid slot, quoted or not.
    for ok in [
        json!("18446744073709551615"),
        json!(18446744073709551615u64),
    ] {
        parse(&with(attestation(), "/attestation/slot", ok)).unwrap();
    }
}

#[test]
fn fork_version_names_are_checked() {
    for name in ["PHASE 0", "", "electra2"] {
        let msg = malformed(parse(&block_v2(name)));
        assert!(msg.starts_with("beacon_block.version"), "{name}: {msg}");
        assert!(msg.contains("unknown fork version name"), "{msg}");
    }
    let msg = malformed(parse(&with(
        block_v2("DENEB"),
        "/beacon_block/version",
        json!(5),
    )));
    assert!(msg.starts_with("beacon_block.version"), "{msg}");
    for (name, fork) in [
        ("DENEB", ForkName::Deneb),
        ("fulu", ForkName::Fulu),
        ("GLOAS", ForkName::Gloas),
        // A name later than P's newest fork: a header like the newest's, signed only where
        // `fork_info` shows such a fork in force (tests/later_fork.rs).
        ("HEZE", ForkName::Gloas),
    ] {
        match parse(&block_v2(name)).unwrap().message {
            SignableMessage::Block { version, .. } => assert_eq!(version, fork),
            other => panic!("{other:?}"),
        }
    }
}

#[test]
fn block_v2_needs_the_member_its_version_uses() {
    // BELLATRIX on: block_header. PHASE0 and ALTAIR: the full block.
    let msg = malformed(parse(&without(
        block_v2("ELECTRA"),
        "/beacon_block/block_header",
    )));
    assert!(
        msg.starts_with("beacon_block: missing field `block_header`"),
        "{msg}"
    );
    for version in ["PHASE0", "ALTAIR"] {
        let msg = malformed(parse(&block_v2(version)));
        assert!(
            msg.starts_with("beacon_block: missing field `block`"),
            "{msg}"
        );
    }
    let msg = malformed(parse(&with(
        block_v2("CAPELLA"),
        "/beacon_block/block_header",
        json!({"slot": "1"}),
    )));
    assert!(
        msg.starts_with("beacon_block.block_header: missing field"),
        "{msg}"
    );
}

#[test]
fn an_aggregates_container_is_read_from_its_body_whatever_the_type_name() {
    // Parsing needs no network: the body says which container it is (the Electra one carries
    // `aggregate.committee_bits`). Whether that container, and a V2 `version`, fit the fork at
    // the aggregate's slot is `signing_root`'s business (signing_domains.rs).
    let phase0 = json!({
        "aggregator_index": "1",
        "aggregate": {
            "aggregation_bits": "0x0101",
            "data": attestation()["attestation"].clone(),
            "signature": SIG,
        },
        "selection_proof": SIG,
    });
    let mut electra = phase0.clone();
    electra["aggregate"]["committee_bits"] = json!("0x0100000000000000");
    let body = |version: &str, data: &Value| {
        json!({
            "type": "AGGREGATE_AND_PROOF_V2",
            "fork_info": fork_info(),
            "aggregate_and_proof": {"version": version, "data": data},
        })
    };
    let v1 = |data: &Value| json!({"type": "AGGREGATE_AND_PROOF", "fork_info": fork_info(), "aggregate_and_proof": data});
    let container = |v: &Value| match parse(v).unwrap().message {
        SignableMessage::AggregateAndProof(a)
        | SignableMessage::AggregateAndProofV2 {
            aggregate_and_proof: a,
            ..
        } => a.container_fork(),
        other => panic!("{other:?}"),
    };
    for (data, fork) in [(&phase0, ForkName::Phase0), (&electra, ForkName::Electra)] {
        assert_eq!(container(&v1(data)), fork);
        for version in ["DENEB", "ELECTRA", "fulu"] {
            assert_eq!(container(&body(version, data)), fork, "{version}");
        }
    }
    match parse(&body("electra", &electra)).unwrap().message {
        SignableMessage::AggregateAndProofV2 { version, .. } => {
            assert_eq!(version, ForkName::Electra)
        }
        other => panic!("{other:?}"),
    }
    // committee_bits present makes it the Electra container, so it must be well formed there.
    for bad in [json!("0x01"), json!(null)] {
        let electra = with(electra.clone(), "/aggregate/committee_bits", bad);
        let msg = malformed(parse(&body("ELECTRA", &electra)));
        assert!(
            msg.starts_with("aggregate_and_proof.data.aggregate.committee_bits"),
            "{msg}"
        );
        let msg = malformed(parse(&v1(&electra)));
        assert!(
            msg.starts_with("aggregate_and_proof.aggregate.committee_bits"),
            "{msg}"
        );
    }
    let missing = json!({"type": "AGGREGATE_AND_PROOF_V2", "fork_info": fork_info(),
        "aggregate_and_proof": {"version": "ELECTRA"}});
    let msg = malformed(parse(&missing));
    assert!(
        msg.starts_with("aggregate_and_proof: missing field `data`"),
        "{msg}"
    );
    let msg = malformed(parse(&body("PHASE1", &phase0)));
    assert!(msg.starts_with("aggregate_and_proof.version"), "{msg}");
    // V2's `data` is read straight from the bytes like the rest: a duplicated key is refused.
    let text = body("ELECTRA", &electra).to_string();
    let duplicated = text.replacen(
        "\"aggregator_index\":\"1\"",
        "\"aggregator_index\":\"1\",\"aggregator_index\":\"2\"",
        1,
    );
    assert_ne!(duplicated, text);
    let msg = malformed(SignRequest::from_json(duplicated.as_bytes()));
    assert!(
        msg.starts_with("aggregate_and_proof.data") && msg.contains("duplicate field"),
        "{msg}"
    );
}

#[test]
fn bit_lists_must_have_their_length_bit_and_fit_their_limit() {
    let mut body = json!({
        "type": "AGGREGATE_AND_PROOF",
        "fork_info": fork_info(),
        "aggregate_and_proof": {
            "aggregator_index": "1",
            "aggregate": {
                "aggregation_bits": "0x0101",
                "data": attestation()["attestation"].clone(),
                "signature": SIG,
            },
            "selection_proof": SIG,
        }
    });
    parse(&body).unwrap();
    let path = "/aggregate_and_proof/aggregate/aggregation_bits";
    // Exactly MAX_VALIDATORS_PER_COMMITTEE bits fit.
    parse(&with(
        body.clone(),
        path,
        json!(format!("0x{}01", "00".repeat(2048 / 8))),
    ))
    .unwrap();
    for bad in [
        json!("0x0100"),                                 // no length bit in the last byte
        json!(""),                                       // empty
        json!(format!("0x{}02", "00".repeat(2048 / 8))), // 2049 bits > MAX_VALIDATORS_PER_COMMITTEE
        json!("0101"),                                   // bit fields need the 0x prefix
    ] {
        body = with(body, path, bad.clone());
        let msg = malformed(parse(&body));
        assert!(
            msg.starts_with("aggregate_and_proof.aggregate.aggregation_bits"),
            "{bad}: {msg}"
        );
    }
}

#[test]
fn extra_fields_are_ignored_but_duplicates_are_not() {
    let mut body = attestation();
    body["signingRootExtra"] = json!(1);
    body["attestation"]["committee_index_hint"] = json!("3");
    body["fork_info"]["fork"]["note"] = json!(["x"]);
    parse(&body).unwrap();

    let text = attestation().to_string();
    let duplicated = text.replacen(
        "\"slot\":\"11650000\"",
        "\"slot\":\"1\",\"slot\":\"11650000\"",
        1,
    );
    assert_ne!(duplicated, text);
    assert!(malformed(SignRequest::from_json(duplicated.as_bytes())).contains("duplicate field"));
    let duplicated_type = text.replacen('{', "{\"type\":\"DEPOSIT\",", 1);
    assert!(
        malformed(SignRequest::from_json(duplicated_type.as_bytes()))
            .contains("duplicate field `type`")
    );
}

#[test]
fn the_wrong_shape_is_malformed() {
    for (path, bad) in [
        ("/attestation", json!([])),
        ("/attestation", json!("0x00")),
        ("/attestation/source", json!(null)),
        ("/fork_info", json!("mainnet")),
        ("/fork_info/fork", json!(["0x04000000", "0x05000000", "1"])),
    ] {
        let msg = malformed(parse(&with(attestation(), path, bad)));
        assert!(
            msg.starts_with(&path[1..].replace('/', ".")),
            "{path}: {msg}"
        );
    }
}

#[test]
fn fork_info_and_signing_root_may_be_null_or_absent() {
    let request = parse(&with(attestation(), "/fork_info", json!(null))).unwrap();
    assert_eq!(request.fork_info, None);
    let mut body = attestation();
    body["signingRoot"] = json!(null);
    assert_eq!(parse(&body).unwrap().signing_root, None);
    body["signingRoot"] = json!(ROOT);
    assert_eq!(
        parse(&body).unwrap().signing_root,
        Some(ROOT.parse().unwrap())
    );
}

#[test]
fn camel_case_spellings_of_the_web3signer_examples_are_accepted() {
    // Web3Signer's own BLOCK and AGGREGATION_SLOT examples spell these fields in camelCase.
    let body = json!({
        "type": "AGGREGATION_SLOT",
        "fork_info": {
            "fork": {"previousVersion": "0x04000000", "currentVersion": "0x05000000", "epoch": "1"},
            "genesis_validators_root": GVR,
        },
        "aggregation_slot": {"slot": "5"},
    });
    let request = parse(&body).unwrap();
    assert_eq!(
        request.fork_info.unwrap().fork.current_version.0,
        [5, 0, 0, 0]
    );
    let mut both = body;
    both["fork_info"]["fork"]["previous_version"] = json!("0x04000000");
    assert!(malformed(parse(&both)).contains("duplicate field"));
}

#[test]
fn every_request_type_parses_into_its_variant() {
    let cases = [
        (
            json!({"type": "AGGREGATION_SLOT", "aggregation_slot": {"slot": "1"}}),
            "AGGREGATION_SLOT",
        ),
        (
            json!({"type": "RANDAO_REVEAL", "randao_reveal": {"epoch": "1"}}),
            "RANDAO_REVEAL",
        ),
        (
            json!({"type": "VOLUNTARY_EXIT", "voluntary_exit": {"epoch": "1", "validator_index": "2"}}),
            "VOLUNTARY_EXIT",
        ),
        (
            json!({"type": "SYNC_COMMITTEE_MESSAGE", "sync_committee_message": {"slot": "1", "beacon_block_root": ROOT}}),
            "SYNC_COMMITTEE_MESSAGE",
        ),
        (
            json!({"type": "SYNC_COMMITTEE_SELECTION_PROOF", "sync_aggregator_selection_data": {"slot": "1", "subcommittee_index": "3"}}),
            "SYNC_COMMITTEE_SELECTION_PROOF",
        ),
        (
            json!({"type": "SYNC_COMMITTEE_CONTRIBUTION_AND_PROOF", "contribution_and_proof": {
            "aggregator_index": "1", "selection_proof": SIG,
            "contribution": {"slot": "1", "beacon_block_root": ROOT, "subcommittee_index": "0",
                "aggregation_bits": format!("0x{}", "ff".repeat(16)), "signature": SIG}}}),
            "SYNC_COMMITTEE_CONTRIBUTION_AND_PROOF",
        ),
        (
            json!({"type": "VALIDATOR_REGISTRATION", "validator_registration": {
            "fee_recipient": "0x6fdfab408c56b6105a76eff5c0435d09fc6ed7a9", "gas_limit": "30000000",
            "timestamp": "1700000000", "pubkey": format!("0x{}", "aa".repeat(48))}}),
            "VALIDATOR_REGISTRATION",
        ),
        (
            json!({"type": "DEPOSIT", "deposit": {"pubkey": format!("0x{}", "aa".repeat(48)),
            "withdrawal_credentials": ROOT, "amount": "32000000000", "genesis_fork_version": "0x00000000"}}),
            "DEPOSIT",
        ),
        (attestation(), "ATTESTATION"),
        (block_v2("BELLATRIX"), "BLOCK_V2"),
    ];
    for (body, name) in cases {
        let request = parse(&body).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(request.message.type_name(), name);
    }
}

#[test]
fn contributions_follow_the_chosen_preset() {
    let body = |bits: &str| {
        json!({"type": "SYNC_COMMITTEE_CONTRIBUTION_AND_PROOF", "contribution_and_proof": {
            "aggregator_index": "1", "selection_proof": SIG,
            "contribution": {"slot": "1", "beacon_block_root": ROOT, "subcommittee_index": "0",
                "aggregation_bits": bits, "signature": SIG}}})
        .to_string()
    };
    let mainnet = body(&format!("0x{}", "ff".repeat(16)));
    let minimal = body("0xff");
    assert!(SignRequest::from_json_with_preset(mainnet.as_bytes(), PresetName::Mainnet).is_ok());
    assert!(SignRequest::from_json_with_preset(mainnet.as_bytes(), PresetName::Minimal).is_err());
    assert!(SignRequest::from_json_with_preset(minimal.as_bytes(), PresetName::Minimal).is_ok());
    assert!(SignRequest::from_json_with_preset(minimal.as_bytes(), PresetName::Mainnet).is_err());
}
