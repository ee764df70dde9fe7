//! `GroupAttestationVerifier` (`contracts/src/GroupAttestationVerifier.sol`) in revm, on groups
//! made by the devices' real key generation (`lsv_threshold::dkg`) with dev device evidence:
//! 3-of-4 and 4-of-4 accepted (gas printed: `cargo test -p lsv-attestation --test
//! group_verifier -- --nocapture`); refused: a group below the deployment's minimums, two
//! devices on one platform, an untrusted device, a device evidence over another binding, a
//! share key off the polynomial (re-attested by every device, so only the polynomial check can
//! catch it), a key whose two encodings disagree, another binding, trailing bytes; and one-device
//! keys through the single-key verifier.

#![allow(unused_crate_dependencies)]

mod common;

use alloy_primitives::{Address, B256, U256};
use alloy_sol_types::SolValue;
use common::{deploy_group_3_of_4, join_mints_31_seth, key_generation, vault_claim};
use lsv_attestation::multi::{dev_device_evidence, GroupEvidence, ShareClaim};
use lsv_attestation::{Attester, DevAttester, KeyGenerationClaim};
use lsv_consensus::PublicKeyBytes;
use lsv_contracts::artifacts::{
    DEV_ATTESTATION_VERIFIER, DEV_DEVICE_VERIFIER, GROUP_ATTESTATION_VERIFIER,
};
use lsv_contracts::bindings::GroupAttestationVerifier as G;
use lsv_contracts::Chain;
use lsv_threshold::dkg::KeyShare;

fn claim_for(group: PublicKeyBytes) -> KeyGenerationClaim {
    KeyGenerationClaim {
        pubkey: group,
        withdrawal_credentials: B256::repeat_byte(2),
        owner: Address::repeat_byte(0x0e),
        chain_id: 560_048,
        genesis_validators_root: B256::repeat_byte(3),
        policy_hash: B256::repeat_byte(4),
    }
}

/// A group's evidence: device i attested by `attesters[attester_of(i)]`.
fn group(
    shares: &[KeyShare],
    attesters: &[DevAttester],
    attester_of: impl Fn(usize) -> usize,
    share_keys: &[PublicKeyBytes],
) -> GroupEvidence {
    let first = &shares[0];
    let n = shares.len() as u8;
    GroupEvidence {
        devices: shares
            .iter()
            .enumerate()
            .map(|(i, s)| {
                let claim = ShareClaim {
                    group: claim_for(first.group_key),
                    threshold: first.threshold,
                    devices: n,
                    index: s.index,
                    shares: share_keys.to_vec(),
                };
                dev_device_evidence(claim, &s.secret, &attesters[attester_of(i)]).unwrap()
            })
            .collect(),
    }
}

struct Deployed {
    chain: Chain,
    verifier: Address,
    single_attester: DevAttester,
}

fn deploy(attesters: &[DevAttester], min_m: u8, min_n: u8) -> Deployed {
    let mut chain = Chain::new();
    let devices = chain
        .deploy(
            &DEV_DEVICE_VERIFIER,
            &attesters
                .iter()
                .map(|a| a.address())
                .collect::<Vec<_>>()
                .abi_encode(),
        )
        .unwrap();
    let (single_attester, _) = DevAttester::generate().unwrap();
    let single = chain
        .deploy(
            &DEV_ATTESTATION_VERIFIER,
            &single_attester.address().abi_encode(),
        )
        .unwrap();
    let verifier = chain
        .deploy(
            &GROUP_ATTESTATION_VERIFIER,
            &(devices, single, U256::from(min_m), U256::from(min_n)).abi_encode_params(),
        )
        .unwrap();
    Deployed {
        chain,
        verifier,
        single_attester,
    }
}

fn accepts(d: &Deployed, binding: B256, evidence: Vec<u8>) -> bool {
    d.chain
        .view(
            d.verifier,
            &G::verifyKeyGenerationCall {
                binding,
                evidence: evidence.into(),
            },
        )
        .unwrap()
}

fn attesters(k: usize) -> Vec<DevAttester> {
    (0..k).map(|_| DevAttester::generate().unwrap().0).collect()
}

#[test]
fn three_of_four_and_four_of_four_groups_verify_and_their_gas_is_printed() {
    let a = attesters(4);
    let mut d = deploy(&a, 3, 4);
    let caller = d.chain.account("keeper");
    for m in [3u8, 4] {
        let shares = key_generation(m, 4);
        let g = group(&shares, &a, |i| i, &shares[0].share_keys);
        g.verify(&lsv_attestation::multi::DevDevices {
            trusted_attesters: a.iter().map(|x| x.address()).collect(),
        })
        .unwrap();
        let binding = claim_for(shares[0].group_key).binding();
        let evidence = g.contract_evidence().unwrap();
        assert!(accepts(&d, binding, evidence.clone()), "{m}-of-4");
        let r = d
            .chain
            .send(
                caller,
                d.verifier,
                &G::verifyKeyGenerationCall {
                    binding,
                    evidence: evidence.clone().into(),
                },
                U256::ZERO,
            )
            .unwrap()
            .expect_success();
        println!(
            "GroupAttestationVerifier, {m}-of-4 dev devices: verifyKeyGeneration {} gas (whole transaction; evidence {} bytes)",
            r.gas_used,
            evidence.len()
        );
    }
}

#[test]
fn every_group_refusal_answers_false() {
    let a = attesters(5);
    let d = deploy(&a[..4], 3, 4);
    let shares = key_generation(3, 4);
    let keys = shares[0].share_keys.clone();
    let binding = claim_for(shares[0].group_key).binding();
    let good = group(&shares, &a, |i| i, &keys)
        .contract_evidence()
        .unwrap();
    assert!(accepts(&d, binding, good.clone()));

    // Below the deployment's minimums: a 2-of-3 group (a safe threshold, but not 3-of-4).
    let small = key_generation(2, 3);
    let small_binding = claim_for(small[0].group_key).binding();
    let e = group(&small, &a, |i| i, &small[0].share_keys)
        .contract_evidence()
        .unwrap();
    assert!(!accepts(&d, small_binding, e));

    // Devices 1 and 3 on one platform (one attester): one device.
    let e = group(&shares, &a, |i| if i == 2 { 0 } else { i }, &keys)
        .contract_evidence()
        .unwrap();
    assert!(!accepts(&d, binding, e));

    // An attester the deployment does not trust.
    let e = group(&shares, &a, |i| if i == 3 { 4 } else { i }, &keys)
        .contract_evidence()
        .unwrap();
    assert!(!accepts(&d, binding, e));

    // Another binding (the evidence is for another owner).
    assert!(!accepts(&d, B256::repeat_byte(9), good.clone()));

    // A share key off the polynomial, attested as such by every device: only the precompile
    // check catches it.
    let other = key_generation(3, 4);
    let mut off = keys.clone();
    off[3] = other[0].share_keys[3];
    let e = group(&shares, &a, |i| i, &off).contract_evidence().unwrap();
    assert!(!accepts(&d, binding, e));

    // A device's evidence flipped.
    let mut e = good.clone();
    let last = e.len() - 10;
    e[last] ^= 1;
    assert!(!accepts(&d, binding, e));

    // The group key's uncompressed y sign not the compressed one's: flip a y byte.
    let n = 4;
    let group_at = 1 + 228 + 2 + 48 * n + 128 * n;
    let mut e = good.clone();
    e[group_at + 127] ^= 1;
    assert!(!accepts(&d, binding, e));

    // Trailing bytes, a truncated evidence, an unknown kind.
    let mut e = good.clone();
    e.push(0);
    assert!(!accepts(&d, binding, e));
    assert!(!accepts(&d, binding, good[..good.len() - 1].to_vec()));
    let mut e = good.clone();
    e[0] = 7;
    assert!(!accepts(&d, binding, e));
    assert!(!accepts(&d, binding, vec![]));
}

#[test]
fn a_one_device_key_goes_to_the_single_key_verifier() {
    let a = attesters(4);
    let d = deploy(&a, 3, 4);
    let claim = claim_for(PublicKeyBytes([0xaa; 48]));
    let single = d.single_attester.attest(&claim).unwrap();
    let mut e = vec![0u8];
    e.extend_from_slice(single.evidence_bytes());
    assert!(accepts(&d, claim.binding(), e));
    // The same evidence as a group is nonsense.
    let mut e = vec![1u8];
    e.extend_from_slice(single.evidence_bytes());
    assert!(!accepts(&d, claim.binding(), e));
}

#[test]
fn minimums_that_are_not_a_threshold_are_refused_at_deployment() {
    let a = attesters(2);
    let mut chain = Chain::new();
    let devices = chain
        .deploy(
            &DEV_DEVICE_VERIFIER,
            &a.iter()
                .map(|x| x.address())
                .collect::<Vec<_>>()
                .abi_encode(),
        )
        .unwrap();
    for (m, n) in [(2u8, 4u8), (1, 1), (9, 17)] {
        let r = chain.deploy(
            &GROUP_ATTESTATION_VERIFIER,
            &(devices, Address::ZERO, U256::from(m), U256::from(n)).abi_encode_params(),
        );
        assert!(r.is_err(), "{m}-of-{n} deployed");
    }
}

/// The whole path: four devices' key (3-of-4), a validator with that key in the beacon state,
/// and `join` on a vault deployed with the group verifier: 31 sETH and a position to the owner
/// bound in every device's evidence.
#[test]
fn a_validator_whose_key_four_devices_hold_joins_the_vault() {
    use lsv_contracts::devnet::{Devnet, VaultConfig};

    let a = attesters(4);
    let trusted: Vec<Address> = a.iter().map(|x| x.address()).collect();
    let config = VaultConfig::default();
    let mut d = Devnet::with_verifier(config.clone(), 4, |chain| {
        let devices = chain
            .deploy(&DEV_DEVICE_VERIFIER, &trusted.abi_encode())
            .unwrap();
        deploy_group_3_of_4(chain, devices)
    });
    let shares = key_generation(3, 4);
    let index = d.add_validator(shares[0].group_key);
    let owner = d.chain.account("operator");
    // The vault's own binding is the one the devices attest.
    let claim = vault_claim(&d, shares[0].group_key, owner, config.policy_hash);
    let n = shares.len() as u8;
    let evidence = GroupEvidence {
        devices: shares
            .iter()
            .zip(&a)
            .map(|(s, attester)| {
                let share = ShareClaim {
                    group: claim,
                    threshold: 3,
                    devices: n,
                    index: s.index,
                    shares: s.share_keys.clone(),
                };
                dev_device_evidence(share, &s.secret, attester).unwrap()
            })
            .collect(),
    };

    let contract_evidence = evidence.contract_evidence().unwrap();
    let gas = join_mints_31_seth(&mut d, index, shares[0].group_key, owner, contract_evidence);
    println!("join of a 3-of-4 key (dev devices): {gas} gas");
}
