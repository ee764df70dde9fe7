//! The DCAP test data copied into `testdata/dcap/` (see its SOURCE.md) and its index, and the
//! devices' key generation run in one process.
#![allow(dead_code)]

use lsv_attestation::Collateral;
use std::path::PathBuf;

pub(crate) fn dcap_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../testdata/dcap")
}

/// `quotes.json`: every quote, its collateral window and the expected results.
pub(crate) fn index() -> Vec<serde_json::Value> {
    let text = std::fs::read_to_string(dcap_dir().join("quotes.json")).expect("quotes.json");
    serde_json::from_str(&text).expect("quotes.json is JSON")
}

/// A quote file: raw bytes, or hex text (with or without `0x`) for `.hex` / `.txt`.
pub(crate) fn read_quote(relative: &str) -> Vec<u8> {
    let bytes = std::fs::read(dcap_dir().join(relative)).expect("quote file");
    if relative.ends_with(".hex") || relative.ends_with(".txt") {
        let text = String::from_utf8(bytes).expect("hex text");
        let text = text.trim();
        hex::decode(text.strip_prefix("0x").unwrap_or(text)).expect("hex quote")
    } else {
        bytes
    }
}

/// The collateral file of an index entry, in dcap-qvl's layout (automata's entry names its
/// re-encoded file after the original), as text.
fn collateral_text(entry: &serde_json::Value) -> String {
    let name = entry["collateral_file"].as_str().expect("has collateral");
    let relative = match name.split_once(" (+") {
        Some((original, _)) => original.replace(".json", ".dcap-qvl-format.json"),
        None => name.to_owned(),
    };
    std::fs::read_to_string(dcap_dir().join(&relative)).expect("collateral file")
}

/// The collateral of an index entry.
pub(crate) fn read_collateral(entry: &serde_json::Value) -> Collateral {
    Collateral::from_json(&collateral_text(entry)).expect("collateral parses")
}

/// The collateral of an index entry as `lsv_contracts::dcap` packs it for the on-chain verifiers.
pub(crate) fn read_contract_collateral(
    entry: &serde_json::Value,
) -> lsv_contracts::dcap::QuoteCollateral {
    serde_json::from_str(&collateral_text(entry)).expect("collateral parses")
}

pub(crate) fn entry(name: &str) -> serde_json::Value {
    index()
        .into_iter()
        .find(|e| e["name"] == name)
        .unwrap_or_else(|| panic!("no quote {name} in quotes.json"))
}

/// The Phala sample SGX quote (not debug; `ConfigurationAndSWHardeningNeeded`), its collateral,
/// and a time inside the window (the one upstream's test uses).
pub(crate) fn sgx_sample() -> (Vec<u8>, Collateral, u64) {
    let e = entry("dcap-qvl sgx_quote");
    (
        read_quote(e["quote_file"].as_str().unwrap()),
        read_collateral(&e),
        e["now_used_by_upstream_test_unix"].as_u64().unwrap(),
    )
}

/// "Hello, world!" zero-padded: the sample SGX quote's `report_data`.
pub(crate) fn hello_report_data() -> [u8; 64] {
    let mut rd = [0u8; 64];
    rd[..13].copy_from_slice(b"Hello, world!");
    rd
}

/// The devices' key generation (`lsv_threshold::dkg`) for `m`-of-`n`, run in one process: each
/// device's share of one group key.
pub(crate) fn key_generation(m: u8, n: u8) -> Vec<lsv_threshold::dkg::KeyShare> {
    use lsv_threshold::dkg::{Ceremony, Dealer};
    let dealers: Vec<Dealer> = (0..n).map(|_| Dealer::new(m, n).unwrap()).collect();
    let ceremony = Ceremony {
        id: alloy_primitives::B256::repeat_byte(m),
        threshold: m,
        announcements: dealers.iter().map(|d| d.announcement().clone()).collect(),
    };
    let dealings: Vec<_> = (1..=n)
        .map(|i| dealers[usize::from(i) - 1].deal(&ceremony, i).unwrap())
        .collect();
    dealers
        .into_iter()
        .zip(1..=n)
        .map(|(d, i)| d.finish(&ceremony, i, &dealings).unwrap())
        .collect()
}

/// The claim the devices attest for `owner`'s join of `pubkey` to `d`'s vault (deployed with
/// `policy_hash`), held to the vault's own `keyGenerationBinding`.
pub(crate) fn vault_claim(
    d: &lsv_contracts::devnet::Devnet,
    pubkey: lsv_consensus::PublicKeyBytes,
    owner: alloy_primitives::Address,
    policy_hash: alloy_primitives::B256,
) -> lsv_attestation::KeyGenerationClaim {
    use lsv_contracts::bindings::vault::Vault;
    let claim = lsv_attestation::KeyGenerationClaim {
        pubkey,
        withdrawal_credentials: d.credentials(),
        owner,
        chain_id: lsv_contracts::Chain::CHAIN_ID,
        genesis_validators_root: d.state.genesis_validators_root,
        policy_hash,
    };
    let binding = d
        .chain
        .view(
            d.vault,
            &Vault::keyGenerationBindingCall {
                pubkey: pubkey.0.to_vec().into(),
                owner,
            },
        )
        .unwrap();
    assert_eq!(binding, claim.binding());
    claim
}

/// `join` of validator `index` (key `pubkey`) with the group's contract `evidence`, sent by a
/// keeper with a balance proof at `d`'s current slot: it succeeds and mints 31 sETH to `owner`.
/// Its gas.
pub(crate) fn join_mints_31_seth(
    d: &mut lsv_contracts::devnet::Devnet,
    index: u64,
    pubkey: lsv_consensus::PublicKeyBytes,
    owner: alloy_primitives::Address,
    evidence: Vec<u8>,
) -> u64 {
    use alloy_primitives::U256;
    use lsv_contracts::bindings::vault::Vault;
    let proof = d.prove(index, lsv_proofs::ProofParts::BALANCE).unwrap();
    let keeper = d.chain.account("keeper");
    let call = Vault::joinCall {
        pubkey: pubkey.0.to_vec().into(),
        owner,
        evidence: evidence.into(),
        validatorIndex: index,
        timestamp: proof.timestamp,
        proof: proof.bytes.into(),
    };
    let r = d.send(keeper, &call, U256::ZERO).unwrap().expect_success();
    let balance = d
        .chain
        .view(
            d.seth,
            &lsv_contracts::bindings::SETH::balanceOfCall { account: owner },
        )
        .unwrap();
    assert_eq!(
        balance,
        U256::from(31u64) * U256::from(10u64).pow(U256::from(18u64))
    );
    r.gas_used
}

/// The group verifier over `devices` (no dev fallback), accepting 3-of-4 groups.
pub(crate) fn deploy_group_3_of_4(
    chain: &mut lsv_contracts::Chain,
    devices: alloy_primitives::Address,
) -> alloy_primitives::Address {
    use alloy_primitives::{Address, U256};
    use alloy_sol_types::SolValue;
    chain
        .deploy(
            &lsv_contracts::artifacts::GROUP_ATTESTATION_VERIFIER,
            &(devices, Address::ZERO, U256::from(3u8), U256::from(4u8)).abi_encode_params(),
        )
        .unwrap()
}
