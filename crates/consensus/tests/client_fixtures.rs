//! Every request body in `testdata/clients/fixtures/` (what Lighthouse, Teku, Lodestar, Nimbus and
//! Prysm POST for each request type at Deneb, Electra and Fulu, as read from their code; see
//! `testdata/clients/SOURCE.md`) parses from its exact bytes, and P's signing root on mainnet is
//! the root the executable consensus spec gives for it (`expected_roots.json`), with or without
//! the client's `signingRoot`. Bodies edited so that their container does not fit the fork at
//! their slot are refused.

#![allow(unused_crate_dependencies)]

use lsv_consensus::{Network, RequestError, SignRequest, SignableMessage, B256};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

const CLIENTS: [&str; 5] = ["lighthouse", "lodestar", "nimbus", "prysm", "teku"];
const FORKS: [&str; 3] = ["deneb", "electra", "fulu"];

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../testdata/clients")
}

struct Fixture {
    /// `fixtures/<client>/<fork>/<TYPE>.json`, the key of `expected_roots.json`.
    path: String,
    client: String,
    fork: String,
    bytes: Vec<u8>,
    expected: Value,
}

impl Fixture {
    fn body(&self) -> Value {
        serde_json::from_slice(&self.bytes).unwrap()
    }

    fn root(&self) -> B256 {
        self.expected["signing_root_hex"]
            .as_str()
            .unwrap()
            .parse()
            .unwrap()
    }
}

fn fixtures() -> Vec<Fixture> {
    let expected: BTreeMap<String, Value> =
        serde_json::from_str(&std::fs::read_to_string(dir().join("expected_roots.json")).unwrap())
            .unwrap();
    let mut out = Vec::new();
    for client in CLIENTS {
        for fork in FORKS {
            let folder = dir().join("fixtures").join(client).join(fork);
            let mut names: Vec<_> = std::fs::read_dir(&folder)
                .unwrap_or_else(|e| panic!("{}: {e}", folder.display()))
                .map(|e| e.unwrap().file_name().into_string().unwrap())
                .collect();
            names.sort();
            for name in names {
                let path = format!("fixtures/{client}/{fork}/{name}");
                let bytes = std::fs::read(Path::new(&folder).join(&name)).unwrap();
                let expected = expected
                    .get(&path)
                    .unwrap_or_else(|| panic!("{path} is not in expected_roots.json"))
                    .clone();
                out.push(Fixture {
                    path,
                    client: client.to_owned(),
                    fork: fork.to_owned(),
                    bytes,
                    expected,
                });
            }
        }
    }
    assert_eq!(out.len(), expected.len(), "a fixture without a file");
    out
}

#[test]
fn the_fixtures_are_five_clients_by_three_forks_by_ten_types() {
    let fixtures = fixtures();
    assert_eq!(fixtures.len(), 150);
    let mut per_cell: BTreeMap<(&str, &str), BTreeSet<String>> = BTreeMap::new();
    for f in &fixtures {
        let t = f.body()["type"].as_str().unwrap().to_owned();
        assert_eq!(format!("{t}.json"), f.path.rsplit('/').next().unwrap());
        assert_eq!(f.expected["type"], t, "{}", f.path);
        assert_eq!(f.expected["fork"], f.fork, "{}", f.path);
        per_cell
            .entry((f.client.as_str(), f.fork.as_str()))
            .or_default()
            .insert(t.trim_end_matches("_V2").to_owned());
    }
    assert_eq!(per_cell.len(), 15);
    for types in per_cell.values() {
        assert_eq!(types.len(), 10, "{types:?}");
    }
}

#[test]
fn every_client_fixture_gets_the_specs_signing_root() {
    let mainnet = Network::mainnet();
    for f in fixtures() {
        // The exact bytes the client sends, its signingRoot (if it sends one) included.
        let request =
            SignRequest::from_json(&f.bytes).unwrap_or_else(|e| panic!("{}: {e}", f.path));
        assert_eq!(
            request.signing_root.is_some(),
            f.expected["has_signingRoot"].as_bool().unwrap(),
            "{}",
            f.path
        );
        assert_eq!(request.signing_root(&mainnet), Ok(f.root()), "{}", f.path);
        // P's own root, not the client's.
        let mut own = request.clone();
        own.signing_root = None;
        assert_eq!(own.signing_root(&mainnet), Ok(f.root()), "{}", f.path);
        // The type name is kept for metrics and logs as the client sent it.
        assert_eq!(
            request.message.type_name(),
            f.body()["type"].as_str().unwrap(),
            "{}",
            f.path
        );
    }
}

#[test]
fn the_v1_name_with_the_electra_container_is_never_signed_as_phase0() {
    // Lighthouse and Teku at Electra and Fulu (issue 12): `phase0_shape_root_hex` is the root P
    // used to compute, reading V1 as phase0 and ignoring committee_bits.
    let mainnet = Network::mainnet();
    let mut seen = BTreeSet::new();
    for f in fixtures() {
        let Some(phase0) = f.expected.get("phase0_shape_root_hex") else {
            continue;
        };
        let phase0: B256 = phase0.as_str().unwrap().parse().unwrap();
        assert_ne!(phase0, f.root(), "{}", f.path);
        let mut request = SignRequest::from_json(&f.bytes).unwrap();
        assert!(
            matches!(&request.message, SignableMessage::AggregateAndProof(a)
                if a.container_fork() == lsv_consensus::ForkName::Electra),
            "{}",
            f.path
        );
        request.signing_root = Some(phase0);
        assert_eq!(
            request.signing_root(&mainnet),
            Err(RequestError::SigningRootMismatch {
                sent: phase0,
                computed: f.root()
            }),
            "{}",
            f.path
        );
        seen.insert((f.client, f.fork));
    }
    let expected: BTreeSet<_> = ["lighthouse", "teku"]
        .into_iter()
        .flat_map(|c| ["electra", "fulu"].map(|f| (c.to_owned(), f.to_owned())))
        .collect();
    assert_eq!(seen, expected);
}

/// The aggregate (`aggregate_and_proof`, or its V2 `data`) of a body.
fn aggregate_of(body: &mut Value) -> &mut Value {
    let aggregate_and_proof = &mut body["aggregate_and_proof"];
    if aggregate_and_proof.get("version").is_some() {
        &mut aggregate_and_proof["data"]["aggregate"]
    } else {
        &mut aggregate_and_proof["aggregate"]
    }
}

#[test]
fn every_aggregate_fixture_edited_to_the_other_container_is_refused() {
    // Each client's aggregate with committee_bits removed (at Electra and Fulu) or added (at
    // Deneb), signingRoot dropped so that only the container decides: refused, naming the fork.
    let mainnet = Network::mainnet();
    let mut refused = 0;
    for f in fixtures() {
        let mut body = f.body();
        if !body["type"]
            .as_str()
            .unwrap()
            .starts_with("AGGREGATE_AND_PROOF")
        {
            continue;
        }
        body.as_object_mut().unwrap().remove("signingRoot");
        let aggregate = aggregate_of(&mut body).as_object_mut().unwrap();
        let problem = if f.fork == "deneb" {
            aggregate.insert("committee_bits".into(), "0x0100000000000000".into());
            "carries aggregate.committee_bits"
        } else {
            aggregate.remove("committee_bits").unwrap();
            "phase0 shape (no aggregate.committee_bits)"
        };
        let request = SignRequest::from_json(body.to_string().as_bytes()).unwrap();
        match request.signing_root(&mainnet) {
            Err(RequestError::WrongFork(msg)) => {
                let fork = f.fork.to_uppercase();
                assert!(
                    msg.contains(&format!("at {fork} there")),
                    "{}: {msg}",
                    f.path
                );
                assert!(msg.contains(problem), "{}: {msg}", f.path);
            }
            other => panic!("{}: {other:?}", f.path),
        }
        refused += 1;
    }
    assert_eq!(refused, 15);
}
