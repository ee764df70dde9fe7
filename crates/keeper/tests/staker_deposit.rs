//! `check_deposit` refuses, before anything is sent, every deposit that would be lost: each field
//! tampered with in turn is named in the refusal, and a deposit signed with `blst` over the
//! deposit domain passes. Also the deposit-data file reader: bad files are errors that name the
//! file, never panics.

#![allow(unused_crate_dependencies)]

use alloy_primitives::{Address, B256};
use blst::min_pk::SecretKey;
use lsv_consensus::containers::{DepositData, DepositMessage};
use lsv_consensus::network::{compute_domain, compute_signing_root, domain};
use lsv_consensus::{Gwei, Network, PublicKeyBytes, SignatureBytes, BLS_DST};
use lsv_keeper::staker::{
    check_deposit, read_deposit_file, select_deposit, DepositEntry, StakerError,
};
use tree_hash::TreeHash;

fn vault_credentials() -> B256 {
    Network::compounding_withdrawal_credentials(Address::repeat_byte(0x42))
}

/// A deposit of 32 ETH to the vault, signed as P signs it.
fn signed_entry(network: &Network, seed: u8) -> DepositEntry {
    let sk = SecretKey::key_gen(&[seed; 32], &[]).unwrap();
    let pubkey = PublicKeyBytes(sk.sk_to_pk().compress());
    let message = DepositMessage {
        pubkey,
        withdrawal_credentials: vault_credentials(),
        amount: Gwei(32_000_000_000),
    };
    let domain = compute_domain(domain::DEPOSIT, network.genesis_fork_version, B256::ZERO);
    let root = compute_signing_root(message.tree_hash_root(), domain);
    let signature = SignatureBytes(sk.sign(root.as_slice(), BLS_DST, &[]).compress());
    let data = DepositData {
        pubkey,
        withdrawal_credentials: message.withdrawal_credentials,
        amount: message.amount,
        signature,
    };
    DepositEntry {
        pubkey: alloy_primitives::hex::encode(pubkey.0),
        withdrawal_credentials: alloy_primitives::hex::encode(message.withdrawal_credentials),
        amount: 32_000_000_000,
        signature: alloy_primitives::hex::encode(signature.0),
        deposit_message_root: Some(alloy_primitives::hex::encode(message.tree_hash_root())),
        deposit_data_root: alloy_primitives::hex::encode(data.tree_hash_root()),
        fork_version: alloy_primitives::hex::encode(network.genesis_fork_version.0),
        network_name: Some(network.name.clone()),
    }
}

fn refusal(entry: &DepositEntry, network: &Network) -> String {
    match check_deposit(entry, network, vault_credentials()) {
        Ok(_) => panic!("{entry:?} passed"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn a_good_deposit_passes_and_each_tampered_field_is_refused_by_name() {
    let network = Network::mainnet();
    let good = signed_entry(&network, 1);
    let checked = check_deposit(&good, &network, vault_credentials()).expect("a good deposit");
    assert_eq!(
        alloy_primitives::hex::encode(checked.root),
        good.deposit_data_root
    );

    let mut e = good.clone();
    e.withdrawal_credentials = alloy_primitives::hex::encode(
        Network::compounding_withdrawal_credentials(Address::repeat_byte(0x66)),
    );
    assert!(refusal(&e, &network).contains("are not the vault's"));

    let mut e = good.clone();
    e.amount = 1_000_000_000;
    assert!(refusal(&e, &network).contains("not 32 ETH"));

    let mut e = good.clone();
    e.fork_version = "00000064".into();
    assert!(refusal(&e, &network).contains("fork_version"));

    let mut e = good.clone();
    e.network_name = Some("hoodi".into());
    assert!(refusal(&e, &network).contains("network_name"));

    let mut e = good.clone();
    e.deposit_data_root = alloy_primitives::hex::encode([7u8; 32]);
    assert!(refusal(&e, &network).contains("deposit_data_root"));

    let mut e = good.clone();
    e.deposit_message_root = Some(alloy_primitives::hex::encode([7u8; 32]));
    assert!(refusal(&e, &network).contains("deposit_message_root"));

    // Another key's valid signature, with the roots recomputed so that only the BLS check can
    // tell: refused.
    let other = signed_entry(&network, 2);
    let mut e = good.clone();
    e.signature = other.signature.clone();
    let data = DepositData {
        pubkey: PublicKeyBytes::from_hex(&e.pubkey).unwrap(),
        withdrawal_credentials: vault_credentials(),
        amount: Gwei(e.amount),
        signature: SignatureBytes::from_hex(&e.signature).unwrap(),
    };
    e.deposit_data_root = alloy_primitives::hex::encode(data.tree_hash_root());
    assert!(refusal(&e, &network).contains("does not verify"));

    // Signed for another network's genesis fork version: refused on mainnet.
    let hoodi = Network::hoodi();
    let mut e = signed_entry(&hoodi, 3);
    e.network_name = None;
    assert!(refusal(&e, &network).contains("fork_version"));

    // Malformed hex names its field.
    let mut e = good.clone();
    e.pubkey = "zz".into();
    assert!(refusal(&e, &network).starts_with("pubkey"));
    let mut e = good;
    e.signature = "00".into();
    assert!(refusal(&e, &network).starts_with("signature"));
}

#[test]
fn deposit_files_are_read_or_refused_with_the_files_name() {
    let dir = tempfile_dir();
    let network = Network::mainnet();
    let a = signed_entry(&network, 4);
    let b = signed_entry(&network, 5);
    let path = dir.join("deposit_data.json");
    std::fs::write(&path, serde_json::to_string(&[&a, &b]).unwrap()).unwrap();
    let entries = read_deposit_file(&path).unwrap();
    assert_eq!(entries.len(), 2);
    let pk = PublicKeyBytes::from_hex(&b.pubkey).unwrap();
    assert_eq!(
        select_deposit(entries.clone(), None, Some(&pk), &path).unwrap(),
        b
    );
    assert_eq!(
        select_deposit(entries.clone(), Some(0), None, &path).unwrap(),
        a
    );
    let e = select_deposit(entries.clone(), None, None, &path).unwrap_err();
    assert!(e.to_string().contains("--index or --pubkey"), "{e}");
    let e = select_deposit(entries, Some(5), None, &path).unwrap_err();
    assert!(e.to_string().contains("no index 5"), "{e}");

    // staking-deposit-cli's field name for the network is read too.
    let mut value = serde_json::to_value(&a).unwrap();
    let name = value["network_name"].take();
    value["eth2_network_name"] = name;
    value.as_object_mut().unwrap().remove("network_name");
    std::fs::write(&path, serde_json::to_string(&[value]).unwrap()).unwrap();
    assert_eq!(read_deposit_file(&path).unwrap()[0], a);

    for (bad, says) in [
        ("not json", "is not JSON"),
        ("42", "is not deposit data"),
        (r#"[{"pubkey": "00"}]"#, "entry 0 is not a deposit"),
    ] {
        std::fs::write(&path, bad).unwrap();
        match read_deposit_file(&path) {
            Err(StakerError::Input(m)) => {
                assert!(m.contains("deposit_data.json") && m.contains(says), "{m}")
            }
            other => panic!("{bad}: {other:?}"),
        }
    }
    let missing = dir.join("missing.json");
    assert!(read_deposit_file(&missing)
        .unwrap_err()
        .to_string()
        .contains("missing.json"));
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A fresh directory under the system's temporary directory.
fn tempfile_dir() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("lsv-staker-deposit-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}
