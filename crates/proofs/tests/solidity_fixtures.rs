//! `tests/fixtures/validator_proofs.json`: proofs with their block root, anchor and expected
//! values (and proofs that must be refused), for the Solidity verifier's tests. This test
//! rebuilds the file from the vector states and fails if the committed one differs; run it with
//! `LSV_UPDATE_FIXTURES=1` to rewrite it.

#![allow(unused_crate_dependencies)]

mod common;

use common::*;
use lsv_proofs::{Anchor, AnyBeaconState, ProofParts, StatePreset, StateProver, ValidatorProof};
use serde_json::{json, Value};

fn hex0x(b: &[u8]) -> String {
    format!("0x{}", hex::encode(b))
}

fn anchor_json(a: &Anchor) -> Value {
    json!({
        "genesis_time": a.genesis_time.to_string(),
        "genesis_validators_root": hex0x(a.genesis_validators_root.as_slice()),
        "fork_versions": a.fork_versions.iter().map(|v| v.to_hex()).collect::<Vec<_>>(),
    })
}

fn case<P: StatePreset>(
    name: &str,
    prover: &StateProver<P>,
    index: u64,
    parts: ProofParts,
    anchor: &Anchor,
) -> (Value, ValidatorProof) {
    let header = header_for(prover);
    let root = block_root(&header);
    let proof = prover.validator_proof(&header, index, parts).unwrap();
    let p = proof.verify(root, index, anchor).unwrap();
    let v = p.validator;
    let value = json!({
        "name": name,
        "valid": true,
        "block_root": hex0x(root.as_slice()),
        "anchor": anchor_json(anchor),
        "validator_index": index.to_string(),
        "proof": hex0x(&proof.to_bytes()),
        "expected": {
            "slot": p.slot.to_string(),
            "fork_previous_version": p.fork.previous_version.to_hex(),
            "fork_current_version": p.fork.current_version.to_hex(),
            "fork_epoch": p.fork.epoch.to_string(),
            "registry_length": p.registry_length.to_string(),
            "pubkey": v.pubkey.to_hex(),
            "withdrawal_credentials": hex0x(v.withdrawal_credentials.as_slice()),
            "effective_balance": v.effective_balance.to_string(),
            "slashed": v.slashed,
            "activation_eligibility_epoch": v.activation_eligibility_epoch.to_string(),
            "activation_epoch": v.activation_epoch.to_string(),
            "exit_epoch": v.exit_epoch.to_string(),
            "withdrawable_epoch": v.withdrawable_epoch.to_string(),
            "balance": p.balance.map(|b| b.to_string()),
            "inactivity_score": p.inactivity_score.map(|s| s.to_string()),
        },
    });
    (value, proof)
}

fn refused(
    name: &str,
    reason: &str,
    block_root: &str,
    anchor: &Anchor,
    index: u64,
    bytes: &[u8],
) -> Value {
    json!({
        "name": name,
        "valid": false,
        "reason": reason,
        "block_root": block_root,
        "anchor": anchor_json(anchor),
        "validator_index": index.to_string(),
        "proof": hex0x(bytes),
    })
}

fn build() -> Value {
    let mainnet = mainnet_prover();
    let mainnet_anchor = anchor_of(mainnet.state());
    let fulu = StateProver::new(AnyBeaconState::Fulu(Box::new(to_fulu(mainnet_state()))));
    let grown = StateProver::new(AnyBeaconState::Electra(Box::new(grown_minimal_state(1029))));
    let grown_anchor = anchor_of(grown.state());

    let mut cases = Vec::new();
    let (c, p7) = case(
        "mainnet-electra-genesis v7 all",
        mainnet,
        7,
        ProofParts::ALL,
        &mainnet_anchor,
    );
    let root7 = c["block_root"].as_str().unwrap().to_owned();
    cases.push(c);
    cases.push(
        case(
            "mainnet-electra-genesis v200 balance",
            mainnet,
            200,
            ProofParts::BALANCE,
            &mainnet_anchor,
        )
        .0,
    );
    cases.push(
        case(
            "mainnet-electra-genesis v0 validator only",
            mainnet,
            0,
            ProofParts::VALIDATOR,
            &mainnet_anchor,
        )
        .0,
    );
    let (c, pf) = case(
        "mainnet-fulu (converted) v7 all",
        &fulu,
        7,
        ProofParts::ALL,
        &anchor_of(fulu.state()),
    );
    let fulu_root = c["block_root"].as_str().unwrap().to_owned();
    cases.push(c);
    cases.push(
        case(
            "minimal-electra grown to 1029 v1028 all",
            &grown,
            1028,
            ProofParts::ALL,
            &grown_anchor,
        )
        .0,
    );
    cases.push(
        case(
            "minimal-electra grown to 1029 v517 inactivity",
            &grown,
            517,
            ProofParts::INACTIVITY_SCORE,
            &grown_anchor,
        )
        .0,
    );

    let bytes7 = p7.to_bytes();
    cases.push(refused(
        "v7 proof used for index 6",
        "validators[6] is another leaf",
        &root7,
        &mainnet_anchor,
        6,
        &bytes7,
    ));
    cases.push(refused(
        "v7 proof used for index 7 + 2^40",
        "index >= validators length",
        &root7,
        &mainnet_anchor,
        7 + (1 << 40),
        &bytes7,
    ));
    let mut flipped = bytes7.clone();
    flipped[522] ^= 1; // effective_balance, lowest byte
    cases.push(refused(
        "v7 proof with effective_balance changed",
        "root mismatch",
        &root7,
        &mainnet_anchor,
        7,
        &flipped,
    ));
    let mut flipped = bytes7.clone();
    flipped[2] ^= 0x80; // the first header sibling (node 10, FORMAT.md offset 2)
    cases.push(refused(
        "v7 proof with a sibling bit flipped",
        "root mismatch",
        &root7,
        &mainnet_anchor,
        7,
        &flipped,
    ));
    let other_chain = Anchor {
        genesis_validators_root: alloy_primitives::B256::repeat_byte(0x42),
        ..mainnet_anchor.clone()
    };
    cases.push(refused(
        "v7 proof against another genesis_validators_root",
        "witness mismatch",
        &root7,
        &other_chain,
        7,
        &bytes7,
    ));
    let electra_only = Anchor {
        fork_versions: vec![mainnet_state().fork.current_version],
        ..mainnet_anchor.clone()
    };
    cases.push(refused(
        "Fulu proof with only Electra's version known",
        "unknown fork version",
        &fulu_root,
        &electra_only,
        7,
        &pf.to_bytes(),
    ));

    // Every refused case is refused by the reference verifier.
    for c in cases.iter().filter(|c| c["valid"] == false) {
        let anchor = Anchor {
            genesis_time: c["anchor"]["genesis_time"]
                .as_str()
                .unwrap()
                .parse()
                .unwrap(),
            genesis_validators_root: b256(c["anchor"]["genesis_validators_root"].as_str().unwrap()),
            fork_versions: c["anchor"]["fork_versions"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_str().unwrap().parse().unwrap())
                .collect(),
        };
        let bytes = hex::decode(&c["proof"].as_str().unwrap()[2..]).unwrap();
        let index: u64 = c["validator_index"].as_str().unwrap().parse().unwrap();
        let ok = ValidatorProof::from_bytes(&bytes).is_ok_and(|p| {
            p.verify(b256(c["block_root"].as_str().unwrap()), index, &anchor)
                .is_ok()
        });
        assert!(!ok, "{}", c["name"]);
    }
    json!({
        "format": "lsv validator proof, format 1 (crates/proofs/FORMAT.md)",
        "note": "headers are synthetic (parent_root 0xa1.., body_root 0xb2.., proposer 3) over the consensus-spec-tests Electra genesis states; integers are decimal strings",
        "cases": cases,
    })
}

#[test]
fn the_committed_fixtures_are_current() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/validator_proofs.json");
    let fresh = build();
    if std::env::var_os("LSV_UPDATE_FIXTURES").is_some() {
        std::fs::write(&path, serde_json::to_string_pretty(&fresh).unwrap() + "\n").unwrap();
    }
    // Compared as JSON values, not text: the key order of serde_json's maps depends on whether
    // another crate in the build enables its `preserve_order` feature.
    let committed: serde_json::Value = std::fs::read_to_string(&path)
        .ok()
        .and_then(|text| serde_json::from_str(&text).ok())
        .unwrap_or_default();
    assert!(
        committed == fresh,
        "{} is stale: rerun with LSV_UPDATE_FIXTURES=1",
        path.display()
    );
}
