//! Builds a validator proof from a state file and its block header, and prints it.
//!
//! ```text
//! cargo run -p lsv-proofs --example prove -- \
//!     --state state.ssz --header header.json --index 7 \
//!     [--fork electra|fulu] [--preset mainnet|minimal] [--parts all|balance|inactivity|validator]
//! ```
//!
//! `state.ssz`: the SSZ of the block's post-state (`GET /eth/v2/debug/beacon/states/{state_root}`
//! with `Accept: application/octet-stream`). `header.json`: the header's `message` object from
//! `GET /eth/v1/beacon/headers/{block_root}` (or the whole response). Without `--fork`, the
//! layout is chosen from the state's fork version as mainnet schedules it.
//!
//! Prints JSON: the block root, the proof bytes (hex) and size, and what it proves, after
//! checking it with the reference verifier (anchored on the state's own genesis).

#![allow(unused_crate_dependencies)]

use lsv_consensus::containers::BeaconBlockHeader;
use lsv_consensus::{ForkName, Mainnet, Minimal, Network};
use lsv_proofs::{Anchor, AnyBeaconState, ProofParts, StatePreset, StateProver};
use std::collections::HashMap;
use tree_hash::TreeHash;

fn main() {
    if let Err(e) = run() {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
}

fn run() -> Result<(), String> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut opts = HashMap::new();
    for pair in args.chunks(2) {
        let [key, value] = pair else {
            return Err(format!("missing value after {}", pair[0]));
        };
        let key = key.strip_prefix("--").ok_or(format!("unexpected {key}"))?;
        opts.insert(key.to_owned(), value.clone());
    }
    let get = |k: &str| opts.get(k).ok_or(format!("--{k} is required"));
    let state = std::fs::read(get("state")?).map_err(|e| format!("state: {e}"))?;
    let header = read_header(get("header")?)?;
    let index: u64 = get("index")?.parse().map_err(|e| format!("index: {e}"))?;
    let parts = match opts.get("parts").map(String::as_str).unwrap_or("all") {
        "all" => ProofParts::ALL,
        "balance" => ProofParts::BALANCE,
        "inactivity" => ProofParts::INACTIVITY_SCORE,
        "validator" => ProofParts::VALIDATOR,
        other => return Err(format!("unknown --parts {other}")),
    };
    let fork = match opts.get("fork").map(String::as_str) {
        None => None,
        Some(f) => Some(ForkName::from_upper(f).ok_or(format!("unknown fork {f}"))?),
    };
    match opts.get("preset").map(String::as_str).unwrap_or("mainnet") {
        "mainnet" => prove::<Mainnet>(fork, &state, &header, index, parts),
        "minimal" => prove::<Minimal>(fork, &state, &header, index, parts),
        other => Err(format!("unknown preset {other}")),
    }
}

fn read_header(path: &str) -> Result<BeaconBlockHeader, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("header: {e}"))?;
    let value: serde_json::Value = serde_json::from_str(&text).map_err(|e| e.to_string())?;
    // Accept the message itself or the beacon API's `{"data": {"header": {"message": ..}}}`.
    let message = value
        .pointer("/data/header/message")
        .cloned()
        .unwrap_or(value);
    serde_json::from_value(message).map_err(|e| format!("header: {e}"))
}

fn prove<P: StatePreset>(
    fork: Option<ForkName>,
    bytes: &[u8],
    header: &BeaconBlockHeader,
    index: u64,
    parts: ProofParts,
) -> Result<(), String> {
    let state = match fork {
        Some(f) => AnyBeaconState::<P>::from_ssz_bytes(f, bytes),
        None => AnyBeaconState::<P>::from_ssz_bytes_of_network(&Network::mainnet(), bytes),
    }
    .map_err(|e| e.to_string())?;
    let anchor = Anchor {
        genesis_time: state.genesis_time(),
        genesis_validators_root: state.genesis_validators_root(),
        fork_versions: vec![state.fork().current_version],
    };
    let prover = StateProver::new(state);
    let proof = prover
        .validator_proof(header, index, parts)
        .map_err(|e| e.to_string())?;
    let block_root = header.tree_hash_root();
    let proven = proof
        .verify(block_root, index, &anchor)
        .map_err(|e| format!("self-check failed: {e}"))?;
    let bytes = proof.to_bytes();
    let out = serde_json::json!({
        "block_root": format!("{block_root}"),
        "validator_index": index,
        "slot": proven.slot.as_u64(),
        "fork_version": proven.fork.current_version.to_hex(),
        "validator": proven.validator,
        "balance_gwei": proven.balance.map(|b| b.as_u64()),
        "inactivity_score": proven.inactivity_score,
        "proof_bytes": bytes.len(),
        "proof": format!("0x{}", hex::encode(&bytes)),
    });
    println!(
        "{}",
        serde_json::to_string_pretty(&out).map_err(|e| e.to_string())?
    );
    Ok(())
}
