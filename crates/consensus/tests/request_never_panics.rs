//! Whatever bytes a host sends, `from_json` and `signing_root` return a value or an error and
//! never panic: arbitrary bytes, and valid requests (every Web3Signer example plus mainnet-shaped
//! ones) with bytes flipped, cut or inserted, or with one JSON value swapped for another.

#![allow(unused_crate_dependencies)]

use lsv_consensus::network::Network;
use lsv_consensus::{PresetName, SignRequest};
use proptest::prelude::*;
use proptest::sample::Index;
use serde_json::{json, Value};
use std::path::PathBuf;
use std::sync::OnceLock;

fn seeds() -> &'static [Value] {
    static SEEDS: OnceLock<Vec<Value>> = OnceLock::new();
    SEEDS.get_or_init(|| {
        let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../../testdata/remote-signing-api/web3signer-eth2/signing/paths/sign.yaml");
        let doc: serde_yaml::Value =
            serde_yaml::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        let examples = &doc["post"]["requestBody"]["content"]["application/json"]["examples"];
        let mut seeds: Vec<Value> = examples
            .as_mapping()
            .unwrap()
            .values()
            .map(|e| serde_json::to_value(&e["value"]).unwrap())
            .collect();
        let mainnet = Network::mainnet();
        seeds.push(json!({
            "type": "VOLUNTARY_EXIT",
            "fork_info": {"fork": mainnet.fork_object_at(lsv_consensus::Epoch(400_000)),
                "genesis_validators_root": mainnet.genesis_validators_root},
            "voluntary_exit": {"epoch": "400000", "validator_index": "1"},
        }));
        seeds
    })
}

fn networks() -> &'static [Network] {
    static NETWORKS: OnceLock<Vec<Network>> = OnceLock::new();
    NETWORKS.get_or_init(|| {
        let mut examples = Network::mainnet();
        examples.genesis_validators_root =
            "0x04700007fabc8282644aed6d1c7c9e21d38a03a0c4ba193f3afe428824b3a673"
                .parse()
                .unwrap();
        examples.genesis_fork_version = lsv_consensus::Version([0, 0, 0, 1]);
        examples.forks.clear();
        vec![Network::mainnet(), Network::hoodi(), examples]
    })
}

/// Parses with both presets and, when that succeeds, computes the root on every network.
fn exercise(body: &[u8]) {
    for preset in [PresetName::Mainnet, PresetName::Minimal] {
        if let Ok(request) = SignRequest::from_json_with_preset(body, preset) {
            let message = &request.message;
            let _ = (message.type_name(), message.slashing_subject());
            let _ = message.claimed_slot(32);
            for network in networks() {
                let _ = request.signing_root(network);
            }
        }
    }
}

/// Every value in a JSON tree, by a JSON pointer.
fn pointers(v: &Value, at: String, out: &mut Vec<String>) {
    match v {
        Value::Object(map) => {
            for (k, child) in map {
                pointers(
                    child,
                    format!("{at}/{}", k.replace('~', "~0").replace('/', "~1")),
                    out,
                );
            }
        }
        Value::Array(items) => {
            for (i, child) in items.iter().enumerate() {
                pointers(child, format!("{at}/{i}"), out);
            }
        }
        _ => {}
    }
    out.push(at);
}

fn replacement() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(|f| json!(f)),
        any::<u64>().prop_map(|n| Value::from(n.to_string())),
        Just(Value::from("18446744073709551616")),
        prop::collection::vec(any::<u8>(), 0..130)
            .prop_map(|b| Value::from(format!("0x{}", hex::encode(b)))),
        "[A-Z_0-9 ]{0,40}".prop_map(Value::from),
        Just(json!([])),
        Just(json!({})),
        Just(json!(["0x01", "0x02"])),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic(body in prop::collection::vec(any::<u8>(), 0..512)) {
        exercise(&body);
    }

    #[test]
    fn byte_mutations_of_valid_requests_never_panic(
        seed in any::<Index>(),
        edits in prop::collection::vec((any::<Index>(), any::<u8>(), 0u8..3), 1..8),
    ) {
        let mut body = serde_json::to_vec(seed.get(seeds())).unwrap();
        for (at, byte, kind) in edits {
            let i = at.index(body.len() + 1);
            match kind {
                0 if i < body.len() => body[i] = byte,
                1 => body.insert(i, byte),
                _ => body.truncate(i),
            }
        }
        exercise(&body);
    }

    #[test]
    fn value_mutations_of_valid_requests_never_panic(
        seed in any::<Index>(),
        edits in prop::collection::vec((any::<Index>(), replacement()), 1..4),
    ) {
        let mut body = seed.get(seeds()).clone();
        for (at, new) in edits {
            let mut all = Vec::new();
            pointers(&body, String::new(), &mut all);
            let pointer = at.get(&all).clone();
            if let Some(slot) = body.pointer_mut(&pointer) {
                *slot = new;
            }
        }
        exercise(body.to_string().as_bytes());
    }
}

/// Replaces every integer string by one drawn from `ints` and every hex string by random bytes of
/// the same length, so the request still parses and reaches `signing_root` with extreme values.
/// `fork_info` is kept, so that the domain is computed too.
fn respell(
    v: &mut Value,
    ints: &mut impl Iterator<Item = u64>,
    bytes: &mut impl Iterator<Item = u8>,
) {
    match v {
        Value::Object(map) => map
            .iter_mut()
            .filter(|(k, _)| *k != "fork_info")
            .for_each(|(_, c)| respell(c, ints, bytes)),
        Value::Array(items) => items.iter_mut().for_each(|c| respell(c, ints, bytes)),
        Value::String(s) if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) => {
            *s = ints.next().unwrap().to_string();
        }
        Value::String(s) if s.starts_with("0x") && s.len() > 2 => {
            let n = (s.len() - 2) / 2;
            let mut new: Vec<u8> = bytes.take(n).collect();
            // Keep a bit list's length bit, so bit fields stay well formed too.
            if let Some(last) = new.last_mut() {
                *last |= 1;
            }
            *s = format!("0x{}", hex::encode(new));
        }
        _ => {}
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn extreme_but_well_typed_values_never_panic(
        seed in any::<Index>(),
        ints in prop::collection::vec(
            prop_oneof![Just(0u64), Just(u64::MAX), Just(u64::MAX / 32), any::<u64>(), 0u64..1_000_000],
            64,
        ),
        bytes in prop::collection::vec(any::<u8>(), 64),
    ) {
        let mut body = seed.get(seeds()).clone();
        let mut ints = ints.into_iter().cycle();
        let mut bytes = bytes.into_iter().cycle();
        respell(&mut body, &mut ints, &mut bytes);
        exercise(body.to_string().as_bytes());
    }
}

#[test]
fn every_seed_parses_under_some_preset() {
    for seed in seeds() {
        let body = seed.to_string();
        assert!(
            SignRequest::from_json(body.as_bytes()).is_ok()
                || SignRequest::from_json_with_preset(body.as_bytes(), PresetName::Minimal).is_ok(),
            "{body}"
        );
    }
}
