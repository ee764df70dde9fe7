//! Deposit data made by the official deposit CLI (Web3Signer's acceptance-test files, see
//! testdata/deposit/SOURCE.md): the deposit message root, P's signing root for a DEPOSIT request
//! (through the remote-signing API parser), the BLS signature over that root (blst, the
//! proof-of-possession ciphersuite of phase0 beacon-chain.md "BLS signatures") and the
//! `DepositData` root all match.

#![allow(unused_crate_dependencies)]

use blst::min_pk::{PublicKey, SecretKey, Signature};
use lsv_consensus::containers::{DepositData, DepositMessage};
use lsv_consensus::network::Network;
use lsv_consensus::{Gwei, PublicKeyBytes, SignRequest, SignableMessage, SignatureBytes, Version};
use lsv_consensus::{B256, BLS_DST};
use std::path::PathBuf;
use tree_hash::TreeHash;

/// One entry of a `deposit_data-*.json` file (hex without `0x`).
#[derive(serde::Deserialize)]
struct Entry {
    pubkey: String,
    withdrawal_credentials: String,
    amount: u64,
    signature: String,
    deposit_message_root: String,
    deposit_data_root: String,
    fork_version: String,
    eth2_network_name: String,
}

/// Secret keys from Web3Signer's `Eth2DepositSigningAcceptanceTest.java` (SOURCE.md).
const KEYS: &[(&str, &str)] = &[
    (
        "0x89b54db6",
        "4b743372aedfaecec4c890fd4f6d4fc2ff751bfb6c71449f326baa80fea00a21",
    ),
    (
        "0x948b6281",
        "39792f5b344a4b00d8147fee77ad5d60b115130a5e2d2ef56895baae0960f880",
    ),
];

/// Signing roots SOURCE.md lists (computed there with the Python spec package).
const SIGNING_ROOTS: &[(&str, &str, &str)] = &[
    (
        "medalla",
        "0x89b54db6",
        "0x889ae032057dd195c2275404108d8ecc87d53e785795da0cba61fbef28f39955",
    ),
    (
        "medalla",
        "0x948b6281",
        "0x9c2b33c61c3152b16b0793e6ca236d7eb88a85761a8ed561325403f2b55be1c2",
    ),
    (
        "pyrmont",
        "0x89b54db6",
        "0x866b80a1331ef37afd226ae9b4f744306631f462f80ac43934e888da0c2bfb69",
    ),
    (
        "pyrmont",
        "0x948b6281",
        "0x0a89e4e09329308616cacb937bdb885974141ad7b6d20c0d2d618caa13e7806f",
    ),
];

fn entries() -> Vec<Entry> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../testdata/deposit/web3signer");
    ["deposit_data-medalla.json", "deposit_data-pyrmont.json"]
        .iter()
        .flat_map(|file| {
            let text = std::fs::read_to_string(dir.join(file)).unwrap();
            serde_json::from_str::<Vec<Entry>>(&text).unwrap()
        })
        .collect()
}

fn b256(hex: &str) -> B256 {
    hex.parse().unwrap()
}

fn secret_key(pubkey: &PublicKeyBytes) -> SecretKey {
    let prefix = &pubkey.to_hex()[..10];
    let (_, sk) = KEYS.iter().find(|(p, _)| *p == prefix).unwrap();
    SecretKey::from_bytes(&hex::decode(sk).unwrap()).unwrap()
}

/// The DEPOSIT request a validator client (or the lsv CLI) would send for this entry.
fn deposit_request(e: &Entry) -> SignRequest {
    let body = serde_json::json!({
        "type": "DEPOSIT",
        "deposit": {
            "pubkey": format!("0x{}", e.pubkey),
            "withdrawal_credentials": format!("0x{}", e.withdrawal_credentials),
            "amount": e.amount.to_string(),
            "genesis_fork_version": format!("0x{}", e.fork_version),
        }
    });
    SignRequest::from_json(body.to_string().as_bytes()).unwrap()
}

#[test]
fn deposit_message_roots_match() {
    let entries = entries();
    assert_eq!(entries.len(), 4);
    for e in &entries {
        let message = DepositMessage {
            pubkey: PublicKeyBytes::from_hex(&e.pubkey).unwrap(),
            withdrawal_credentials: b256(&e.withdrawal_credentials),
            amount: Gwei(e.amount),
        };
        assert_eq!(message.tree_hash_root(), b256(&e.deposit_message_root));
        match deposit_request(e).message {
            SignableMessage::Deposit {
                message: parsed,
                genesis_fork_version,
            } => {
                assert_eq!(parsed, message);
                assert_eq!(
                    genesis_fork_version,
                    Version::from_hex(&e.fork_version).unwrap()
                );
            }
            other => panic!("parsed as {other:?}"),
        }
    }
}

#[test]
fn deposit_signing_roots_match_and_ignore_the_pinned_network() {
    for e in entries() {
        let request = deposit_request(&e);
        let (_, _, expected) = SIGNING_ROOTS
            .iter()
            .find(|(net, pk, _)| *net == e.eth2_network_name && e.pubkey.starts_with(&pk[2..]))
            .unwrap();
        // The domain is compute_domain(DOMAIN_DEPOSIT, request's version, zero root): the same
        // on any pinned network (the enclave's policy checks the version separately).
        for network in [Network::mainnet(), Network::hoodi()] {
            assert_eq!(request.signing_root(&network), Ok(b256(expected)));
        }
    }
}

#[test]
fn blst_signature_over_ps_root_is_the_deposit_cli_signature() {
    for e in entries() {
        let pubkey = PublicKeyBytes::from_hex(&e.pubkey).unwrap();
        let sk = secret_key(&pubkey);
        assert_eq!(
            sk.sk_to_pk().to_bytes(),
            pubkey.0,
            "secret key belongs to the pubkey"
        );

        let root = deposit_request(&e)
            .signing_root(&Network::mainnet())
            .unwrap();
        let signature = sk.sign(root.as_slice(), BLS_DST, &[]);
        let expected = SignatureBytes::from_hex(&e.signature).unwrap();
        assert_eq!(signature.to_bytes(), expected.0);

        let pk = PublicKey::from_bytes(&pubkey.0).unwrap();
        let sig = Signature::from_bytes(&expected.0).unwrap();
        assert_eq!(
            sig.verify(true, root.as_slice(), BLS_DST, &[], &pk, true),
            blst::BLST_ERROR::BLST_SUCCESS
        );

        let data = DepositData {
            pubkey,
            withdrawal_credentials: b256(&e.withdrawal_credentials),
            amount: Gwei(e.amount),
            signature: expected,
        };
        assert_eq!(data.tree_hash_root(), b256(&e.deposit_data_root));
        assert_eq!(
            data.message().tree_hash_root(),
            b256(&e.deposit_message_root)
        );
    }
}
