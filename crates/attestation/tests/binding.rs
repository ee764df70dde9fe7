//! The binding Rust computes is the vault's: by the documented layout, and by the contract
//! itself running in revm (with the dev verifier accepting P's dev evidence).

#![allow(unused_crate_dependencies)]

use alloy_primitives::{Address, B256};
use alloy_sol_types::SolValue;
use lsv_attestation::{domain_tag, Attester, DevAttester, KeyGenerationClaim};
use lsv_consensus::PublicKeyBytes;
use lsv_contracts::artifacts::DEV_ATTESTATION_VERIFIER;
use lsv_contracts::bindings::vault::Vault;
use lsv_contracts::bindings::DevAttestationVerifier;
use lsv_contracts::devnet::{Devnet, VaultConfig};
use lsv_contracts::Chain;
use proptest::prelude::*;
use sha2::{Digest, Sha256};

/// The layout written in `IAttestationVerifier.sol`, concatenated by hand.
fn documented(c: &KeyGenerationClaim) -> B256 {
    let mut pre = Vec::new();
    pre.extend_from_slice(&Sha256::digest(b"lsv/keygen/v1"));
    pre.extend_from_slice(&c.pubkey.0);
    pre.extend_from_slice(c.withdrawal_credentials.as_slice());
    pre.extend_from_slice(c.owner.as_slice());
    let mut chain_id = [0u8; 32];
    chain_id[24..].copy_from_slice(&c.chain_id.to_be_bytes());
    pre.extend_from_slice(&chain_id);
    pre.extend_from_slice(c.genesis_validators_root.as_slice());
    pre.extend_from_slice(c.policy_hash.as_slice());
    assert_eq!(pre.len(), 228);
    B256::from_slice(&Sha256::digest(&pre))
}

#[test]
fn the_domain_tag_is_the_vaults_constant() {
    // `Vault.DOMAIN_TAG` in contracts/src/Vault.sol.
    assert_eq!(
        domain_tag().to_string(),
        "0xf6d52f1e769e8857a0d4b4b7e63ad09895559a028be941a07b52e36e3b2631b0"
    );
}

fn claim_strategy() -> impl Strategy<Value = KeyGenerationClaim> {
    (
        prop::array::uniform32(any::<u8>()),
        prop::array::uniform16(any::<u8>()),
        prop::array::uniform32(any::<u8>()),
        prop::array::uniform20(any::<u8>()),
        any::<u64>(),
        prop::array::uniform32(any::<u8>()),
        prop::array::uniform32(any::<u8>()),
    )
        .prop_map(|(pk_a, pk_b, wc, owner, chain_id, gvr, policy)| {
            let mut pubkey = [0u8; 48];
            pubkey[..32].copy_from_slice(&pk_a);
            pubkey[32..].copy_from_slice(&pk_b);
            KeyGenerationClaim {
                pubkey: PublicKeyBytes(pubkey),
                withdrawal_credentials: B256::from(wc),
                owner: Address::from(owner),
                chain_id,
                genesis_validators_root: B256::from(gvr),
                policy_hash: B256::from(policy),
            }
        })
}

proptest! {
    #[test]
    fn the_binding_follows_the_documented_layout(c in claim_strategy()) {
        prop_assert_eq!(c.binding(), documented(&c));
        let rd = c.report_data();
        let binding = c.binding();
        prop_assert_eq!(&rd[..32], binding.as_slice());
        prop_assert_eq!(&rd[32..], &[0u8; 32][..]);
    }

    #[test]
    fn every_field_changes_the_binding(c in claim_strategy(), field in 0usize..6) {
        let mut d = c;
        match field {
            0 => d.pubkey.0[47] ^= 1,
            1 => d.withdrawal_credentials.0[0] ^= 1,
            2 => d.owner.0[19] ^= 1,
            3 => d.chain_id ^= 1,
            4 => d.genesis_validators_root.0[31] ^= 1,
            _ => d.policy_hash.0[0] ^= 1,
        }
        prop_assert_ne!(c.binding(), d.binding());
    }
}

/// The lead's devnet deployment of the vault (chain id 31337), plus a dev verifier for
/// `attester`. Returns the chain, the vault, the verifier and the genesis validators root.
fn deploy(attester: Address, policy_hash: B256) -> (Chain, Address, Address, B256) {
    let config = VaultConfig {
        policy_hash,
        ..VaultConfig::default()
    };
    let mut devnet = Devnet::new(config, 1);
    let verifier = devnet
        .chain
        .deploy(&DEV_ATTESTATION_VERIFIER, &attester.abi_encode())
        .unwrap();
    let gvr = devnet.state.genesis_validators_root;
    (devnet.chain, devnet.vault, verifier, gvr)
}

#[test]
fn the_vault_computes_the_same_binding_and_the_dev_verifier_accepts_p_s_evidence() {
    let (attester, _secret) = DevAttester::generate().unwrap();
    let policy_hash = B256::repeat_byte(0x51);
    let (chain, vault, verifier, gvr) = deploy(attester.address(), policy_hash);
    let owner = Address::repeat_byte(0x0e);
    let mut wc = [0u8; 32];
    wc[0] = 0x02;
    wc[12..].copy_from_slice(vault.as_slice());
    let claim = KeyGenerationClaim {
        pubkey: PublicKeyBytes([0x93; 48]),
        withdrawal_credentials: B256::from(wc),
        owner,
        chain_id: Chain::CHAIN_ID,
        genesis_validators_root: gvr,
        policy_hash,
    };
    let on_chain = chain
        .view(
            vault,
            &Vault::keyGenerationBindingCall {
                pubkey: claim.pubkey.0.to_vec().into(),
                owner,
            },
        )
        .unwrap();
    assert_eq!(on_chain, claim.binding());

    let evidence = attester.attest(&claim).unwrap();
    let accepts = |binding: B256, bytes: &[u8]| {
        chain
            .view(
                verifier,
                &DevAttestationVerifier::verifyKeyGenerationCall {
                    binding,
                    evidence: bytes.to_vec().into(),
                },
            )
            .unwrap()
    };
    assert!(accepts(on_chain, evidence.evidence_bytes()));
    // The same evidence does not serve another owner: the vault's binding for them differs.
    let thief = Address::repeat_byte(0x77);
    let for_thief = chain
        .view(
            vault,
            &Vault::keyGenerationBindingCall {
                pubkey: claim.pubkey.0.to_vec().into(),
                owner: thief,
            },
        )
        .unwrap();
    assert!(!accepts(for_thief, evidence.evidence_bytes()));
}
