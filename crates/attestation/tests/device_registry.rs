//! The register-once device verifier (`contracts/src/DeviceRegistry.sol`) in revm, with the real
//! contracts: devices register a key made inside them once, through an inner device verifier,
//! and every join after that carries one signature per device.
//!
//! - The bindings `lsv_attestation::device_key` computes are the contract's
//!   (`registrationBinding`, `signatureDigest`, the two tags), for random keys, registries and
//!   bindings (property test).
//! - Through `DevDeviceVerifier`: a device key registers (event, record, gas printed); 3-of-4 and
//!   4-of-4 groups of registered devices verify in `GroupAttestationVerifier`, and a whole `join`
//!   of a 3-of-4 key through a vault deployed with it mints (gas printed; compare the dev-device
//!   join 500,898 and the DCAP join ~9.63M).
//! - Through `DcapDeviceVerifier` (the SGX and TDX DCAP verifiers' own bytecode): an SGX enclave
//!   and a TDX trust domain register with the real quotes of `testdata/dcap/` re-signed under the
//!   test root with REPORTDATA = their registration binding (the registration gas is the DCAP
//!   verification that runs); Intel's own, unmodified quote (its REPORTDATA is fixed, "Hello,
//!   world!") verified to Intel's real root is refused as `EvidenceRefused` naming the binding
//!   it does not cover: a successful registration under Intel's root needs a quote over a key we
//!   hold, which only real hardware makes.
//! - Refusals: at registration a zero key, evidence the inner verifier refuses (untrusted
//!   attester, another key's, another registry's), a live key registered again; at
//!   `verifyDevice` an unregistered key, another binding, a high-s twin, a bad `v` or length, an
//!   expired registration (which may then register again); at deployment an inner verifier
//!   without code and a zero lifetime. Property: `verifyDevice` never reverts and accepts only
//!   the registered key's signature over the binding asked about.
//!
//! `cargo test -p lsv-attestation --test device_registry -- --nocapture` prints the gas.

#![allow(unused_crate_dependencies)]

mod common;

use alloy_primitives::{Address, Bytes, B256, U256};
use alloy_sol_types::{SolCall, SolValue};
use common::{
    deploy_group_3_of_4, entry, join_mints_31_seth, key_generation, read_contract_collateral,
    read_quote, vault_claim,
};
use lsv_attestation::device_key::{
    registration_binding, signature_digest, REGISTRATION_DOMAIN_NAME, SIGNATURE_DOMAIN_NAME,
};
use lsv_attestation::multi::{dev_device_evidence, DevDevices, GroupEvidence, ShareClaim};
use lsv_attestation::{DevAttester, DeviceKey, KeyGenerationClaim};
use lsv_contracts::artifacts::{
    DCAP_ATTESTATION_VERIFIER, DCAP_DEVICE_VERIFIER, DEVICE_REGISTRY, DEV_DEVICE_VERIFIER,
};
use lsv_contracts::bindings::DeviceRegistry::{self as R, DeviceRegistryErrors};
use lsv_contracts::bindings::GroupAttestationVerifier as G;
use lsv_contracts::dcap::test_pki::{deploy_sgx_verifier_for, deploy_tdx_verifier_for, TestPki};
use lsv_contracts::dcap::{self, DcapEvidence, DeviceKind};
use lsv_contracts::{Chain, Receipt};
use lsv_threshold::dkg::KeyShare;
use proptest::prelude::*;
use sha2::{Digest, Sha256};
use std::sync::OnceLock;

/// A day, the lifetime of the registries here (but the expiry tests').
const DAY: u64 = 86_400;

// ---- deployment and registration -------------------------------------------------------------------

/// A registry over dev attesters: the chain, the inner verifier and the registry.
struct DevRegistry {
    chain: Chain,
    registry: Address,
    attesters: Vec<DevAttester>,
}

fn attesters(k: usize) -> Vec<DevAttester> {
    (0..k).map(|_| DevAttester::generate().unwrap().0).collect()
}

/// `k` fresh device-key secrets (test-only: P never shows its key's secret).
fn device_secrets(k: usize) -> Vec<[u8; 32]> {
    (0..k).map(|_| *DeviceKey::generate().unwrap().1).collect()
}

fn keys_of(secrets: &[[u8; 32]]) -> Vec<DeviceKey> {
    secrets
        .iter()
        .map(|s| DeviceKey::from_secret(s).unwrap())
        .collect()
}

fn device_keys(k: usize) -> Vec<DeviceKey> {
    keys_of(&device_secrets(k))
}

/// `DevDeviceVerifier(trusted)` and a registry over it living `lifetime` seconds.
fn deploy_dev_registry(chain: &mut Chain, trusted: &[DevAttester], lifetime: u64) -> Address {
    let inner = chain
        .deploy(
            &DEV_DEVICE_VERIFIER,
            &trusted
                .iter()
                .map(|a| a.address())
                .collect::<Vec<_>>()
                .abi_encode(),
        )
        .unwrap();
    chain
        .deploy(&DEVICE_REGISTRY, &(inner, lifetime).abi_encode_params())
        .unwrap()
}

fn dev_registry(trusted: usize, lifetime: u64) -> DevRegistry {
    let mut chain = Chain::new();
    let attesters = attesters(trusted);
    let registry = deploy_dev_registry(&mut chain, &attesters, lifetime);
    DevRegistry {
        chain,
        registry,
        attesters,
    }
}

/// Sends `register(key, evidence)` from a keeper.
fn register_raw(chain: &mut Chain, registry: Address, key: Address, evidence: &[u8]) -> Receipt {
    let keeper = chain.account("keeper");
    chain
        .transact(
            keeper,
            registry,
            R::registerCall {
                deviceKey: key,
                evidence: evidence.to_vec().into(),
            }
            .abi_encode(),
            U256::ZERO,
        )
        .unwrap()
}

/// `key` registered at `registry` with `attester`'s dev evidence over its registration binding
/// (what P makes: `DeviceKey::registration`). The receipt.
fn register_dev(
    chain: &mut Chain,
    registry: Address,
    key: &DeviceKey,
    attester: &DevAttester,
) -> Receipt {
    let registration = key
        .registration(attester, Chain::CHAIN_ID, registry)
        .unwrap();
    assert_eq!(registration.device_key, key.address());
    register_raw(chain, registry, key.address(), &registration.evidence)
}

fn refusal(r: &Receipt) -> DeviceRegistryErrors {
    assert!(!r.is_success(), "expected a revert");
    r.revert_error::<DeviceRegistryErrors>()
        .expect("a DeviceRegistry error")
}

/// `platform` of a dev attester: its address, right-aligned.
fn dev_platform(a: &DevAttester) -> B256 {
    a.address().into_word()
}

fn verify(chain: &Chain, registry: Address, binding: B256, evidence: &[u8]) -> (bool, B256) {
    let r = chain
        .view(
            registry,
            &R::verifyDeviceCall {
                binding,
                evidence: Bytes::copy_from_slice(evidence),
            },
        )
        .expect("verifyDevice never reverts");
    (r.ok, r.platform)
}

const REFUSED: (bool, B256) = (false, B256::ZERO);

// ---- the bindings ----------------------------------------------------------------------------------

#[test]
fn the_tags_are_the_hashes_of_their_names() {
    let mut c = Chain::new();
    let registry = deploy_dev_registry(&mut c, &attesters(1), DAY);
    assert_eq!(
        c.view(registry, &R::REGISTRATION_TAGCall {}).unwrap(),
        B256::from_slice(&Sha256::digest(REGISTRATION_DOMAIN_NAME))
    );
    assert_eq!(
        c.view(registry, &R::SIGNATURE_TAGCall {}).unwrap(),
        B256::from_slice(&Sha256::digest(SIGNATURE_DOMAIN_NAME))
    );
    assert_eq!(c.view(registry, &R::LIFETIMECall {}).unwrap(), DAY);
}

fn shared_registry() -> &'static DevRegistry {
    static R: OnceLock<DevRegistry> = OnceLock::new();
    R.get_or_init(|| dev_registry(1, DAY))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// `registration_binding` and `signature_digest` are the contract's, for any key and binding.
    #[test]
    fn the_rust_bindings_are_the_contracts(key in any::<[u8; 20]>(), binding in any::<[u8; 32]>()) {
        let d = shared_registry();
        let key = Address::from(key);
        let binding = B256::from(binding);
        prop_assert_eq!(
            d.chain.view(d.registry, &R::registrationBindingCall { deviceKey: key }).unwrap(),
            registration_binding(Chain::CHAIN_ID, d.registry, key)
        );
        prop_assert_eq!(
            d.chain.view(d.registry, &R::signatureDigestCall { binding }).unwrap(),
            signature_digest(binding)
        );
    }
}

// ---- registration through the dev verifier ---------------------------------------------------------

/// A device key registers through `DevDeviceVerifier`: the event, the record, `isLive`, and then
/// its signature over a binding is accepted with its platform; the gas of `register` and of one
/// `verifyDevice` are printed.
#[test]
fn a_device_key_registers_once_and_then_signs_for_a_few_thousand_gas() {
    let mut d = dev_registry(2, DAY);
    let key = DeviceKey::generate().unwrap().0;
    let r = register_dev(&mut d.chain, d.registry, &key, &d.attesters[1]).expect_success();
    let at = d.chain.timestamp();
    let events = r.events_from::<R::DeviceRegistered>(d.registry);
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].deviceKey, key.address());
    assert_eq!(events[0].platform, dev_platform(&d.attesters[1]));
    assert_eq!(events[0].expiresAt, at + DAY);
    println!(
        "DeviceRegistry.register through DevDeviceVerifier: {} gas (whole transaction)",
        r.gas_used
    );
    let rec = d
        .chain
        .view(
            d.registry,
            &R::registrationCall {
                deviceKey: key.address(),
            },
        )
        .unwrap();
    assert_eq!(
        (rec.platform, rec.registeredAt, rec.expiresAt),
        (dev_platform(&d.attesters[1]), at, at + DAY)
    );
    assert!(d
        .chain
        .view(
            d.registry,
            &R::isLiveCall {
                deviceKey: key.address()
            }
        )
        .unwrap());

    let binding = B256::repeat_byte(0x5b);
    let signature = key.sign(binding).unwrap();
    signature.verify(binding).unwrap();
    assert_eq!(
        verify(&d.chain, d.registry, binding, &signature.signature),
        (true, dev_platform(&d.attesters[1]))
    );
    let keeper = d.chain.account("keeper");
    let r = d
        .chain
        .send(
            keeper,
            d.registry,
            &R::verifyDeviceCall {
                binding,
                evidence: signature.signature.clone(),
            },
            U256::ZERO,
        )
        .unwrap()
        .expect_success();
    println!(
        "DeviceRegistry.verifyDevice of a registered key: {} gas (whole transaction; 21,000 of it the transaction's base cost)",
        r.gas_used
    );
}

/// Each refused at registration with its named error; nothing is recorded.
#[test]
fn registrations_the_registry_refuses_are_named() {
    let mut d = dev_registry(2, DAY);
    let untrusted = attesters(1).remove(0);
    let key = DeviceKey::generate().unwrap().0;
    let binding = registration_binding(Chain::CHAIN_ID, d.registry, key.address());

    // The zero key.
    let evidence = d.attesters[0].sign_binding(binding).unwrap();
    let r = register_raw(&mut d.chain, d.registry, Address::ZERO, &evidence);
    assert!(matches!(
        refusal(&r),
        DeviceRegistryErrors::ZeroDeviceKey(_)
    ));

    // An attester the inner verifier does not trust.
    let r = register_dev(&mut d.chain, d.registry, &key, &untrusted);
    match refusal(&r) {
        DeviceRegistryErrors::EvidenceRefused(e) => {
            assert_eq!((e.deviceKey, e.binding), (key.address(), binding));
        }
        other => panic!("{other:?}"),
    }

    // Evidence over another key's binding, and over another registry's.
    let other = DeviceKey::generate().unwrap().0;
    let evidence = d.attesters[0]
        .sign_binding(registration_binding(
            Chain::CHAIN_ID,
            d.registry,
            other.address(),
        ))
        .unwrap();
    let r = register_raw(&mut d.chain, d.registry, key.address(), &evidence);
    assert!(matches!(
        refusal(&r),
        DeviceRegistryErrors::EvidenceRefused(_)
    ));
    let evidence = d.attesters[0]
        .sign_binding(registration_binding(
            Chain::CHAIN_ID,
            Address::repeat_byte(1),
            key.address(),
        ))
        .unwrap();
    let r = register_raw(&mut d.chain, d.registry, key.address(), &evidence);
    assert!(matches!(
        refusal(&r),
        DeviceRegistryErrors::EvidenceRefused(_)
    ));
    // Evidence of the wrong shape (the inner verifier answers false).
    let r = register_raw(&mut d.chain, d.registry, key.address(), &[0u8; 12]);
    assert!(matches!(
        refusal(&r),
        DeviceRegistryErrors::EvidenceRefused(_)
    ));
    assert!(!d
        .chain
        .view(
            d.registry,
            &R::isLiveCall {
                deviceKey: key.address()
            }
        )
        .unwrap());

    // Registered, then renewed while live: the evidence verified again, the lifetime restarted
    // from the renewal's block (no gap for a device that renews before it expires).
    register_dev(&mut d.chain, d.registry, &key, &d.attesters[0]).expect_success();
    let expiry = |chain: &Chain| {
        chain
            .view(
                d.registry,
                &R::registrationCall {
                    deviceKey: key.address(),
                },
            )
            .unwrap()
            .expiresAt
    };
    let first = expiry(&d.chain);
    assert_eq!(first, d.chain.timestamp() + DAY);
    d.chain.next_block_after(100, B256::repeat_byte(3));
    // A renewal whose evidence the inner verifier refuses reverts and leaves the registration.
    let r = register_dev(&mut d.chain, d.registry, &key, &untrusted);
    assert!(matches!(
        refusal(&r),
        DeviceRegistryErrors::EvidenceRefused(_)
    ));
    assert_eq!(expiry(&d.chain), first);
    register_dev(&mut d.chain, d.registry, &key, &d.attesters[0]).expect_success();
    let renewed = expiry(&d.chain);
    assert_eq!(renewed, d.chain.timestamp() + DAY);
    assert!(renewed > first, "{renewed} > {first}");
}

#[test]
fn a_registry_without_an_inner_verifier_or_lifetime_is_not_deployed() {
    let mut chain = Chain::new();
    let inner = chain
        .deploy(
            &DEV_DEVICE_VERIFIER,
            &vec![attesters(1)[0].address()].abi_encode(),
        )
        .unwrap();
    for (inner, lifetime, name) in [
        (Address::ZERO, DAY, "InnerVerifierWithoutCode"),
        (Address::repeat_byte(7), DAY, "InnerVerifierWithoutCode"),
        (inner, 0, "ZeroLifetime"),
    ] {
        let err = chain
            .deploy(&DEVICE_REGISTRY, &(inner, lifetime).abi_encode_params())
            .unwrap_err()
            .to_string();
        assert!(err.contains(name), "{err}");
    }
}

// ---- verifyDevice refusals -------------------------------------------------------------------------

/// secp256k1's order n (SEC 2 §2.4.1).
const N: U256 = U256::from_be_slice(&alloy_primitives::hex!(
    "fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141"
));

/// The same signature with `s` replaced by `n - s` and `v` flipped: valid for ECDSA, refused by
/// EIP-2.
fn high_s_twin(sig: &[u8]) -> Vec<u8> {
    let s = U256::from_be_slice(&sig[32..64]);
    let mut out = sig.to_vec();
    out[32..64].copy_from_slice(&(N - s).to_be_bytes::<32>());
    out[64] = if sig[64] == 27 { 28 } else { 27 };
    out
}

#[test]
fn signatures_the_registry_refuses_answer_false() {
    let lifetime = 10 * Chain::SECONDS_PER_SLOT;
    let mut d = dev_registry(1, lifetime);
    let secret = device_secrets(1)[0];
    let key = DeviceKey::from_secret(&secret).unwrap();
    let binding = B256::repeat_byte(0x77);
    let good = key.sign(binding).unwrap().signature;

    // Not registered yet.
    assert_eq!(verify(&d.chain, d.registry, binding, &good), REFUSED);
    register_dev(&mut d.chain, d.registry, &key, &d.attesters[0]).expect_success();
    let platform = dev_platform(&d.attesters[0]);
    assert_eq!(
        verify(&d.chain, d.registry, binding, &good),
        (true, platform)
    );

    // Another binding; the binding signed untagged (as the dev attester signs); an unregistered
    // key's signature.
    assert_eq!(
        verify(&d.chain, d.registry, B256::repeat_byte(0x78), &good),
        REFUSED
    );
    let untagged = DevAttester::from_secret(&secret).unwrap();
    assert_eq!(untagged.address(), key.address());
    assert_eq!(
        verify(
            &d.chain,
            d.registry,
            binding,
            &untagged.sign_binding(binding).unwrap()
        ),
        REFUSED
    );
    let stranger = DeviceKey::generate().unwrap().0;
    assert_eq!(
        verify(
            &d.chain,
            d.registry,
            binding,
            &stranger.sign(binding).unwrap().signature
        ),
        REFUSED
    );

    // The high-s twin (the same ECDSA signature, malleated), a bad v, bad lengths.
    assert_eq!(
        verify(&d.chain, d.registry, binding, &high_s_twin(&good)),
        REFUSED
    );
    let mut bad_v = good.to_vec();
    bad_v[64] = 1;
    assert_eq!(verify(&d.chain, d.registry, binding, &bad_v), REFUSED);
    assert_eq!(verify(&d.chain, d.registry, binding, &good[..64]), REFUSED);
    assert_eq!(
        verify(&d.chain, d.registry, binding, &[&good[..], &[0]].concat()),
        REFUSED
    );

    // Live until the last second before registeredAt + LIFETIME, expired from it on.
    d.chain.next_block_after(8, B256::repeat_byte(1));
    assert_eq!(
        verify(&d.chain, d.registry, binding, &good),
        (true, platform)
    );
    d.chain.next_block(B256::repeat_byte(2));
    assert_eq!(verify(&d.chain, d.registry, binding, &good), REFUSED);
    assert!(!d
        .chain
        .view(
            d.registry,
            &R::isLiveCall {
                deviceKey: key.address()
            }
        )
        .unwrap());

    // Expired, it registers again (a new verification of its evidence) and is accepted again.
    register_dev(&mut d.chain, d.registry, &key, &d.attesters[0]).expect_success();
    assert_eq!(
        verify(&d.chain, d.registry, binding, &good),
        (true, platform)
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// Any bytes as evidence, any binding: `verifyDevice` never reverts, and accepts exactly the
    /// registered key's signature over the binding asked about.
    #[test]
    fn verify_device_accepts_only_the_registered_keys_signature(
        binding in any::<[u8; 32]>(),
        asked in any::<[u8; 32]>(),
        flip in 0usize..65,
        junk in proptest::collection::vec(any::<u8>(), 0..100),
    ) {
        static SETUP: OnceLock<(DevRegistry, DeviceKey)> = OnceLock::new();
        let (d, key) = SETUP.get_or_init(|| {
            let mut d = dev_registry(1, DAY);
            let key = DeviceKey::generate().unwrap().0;
            register_dev(&mut d.chain, d.registry, &key, &d.attesters[0]).expect_success();
            (d, key)
        });
        let platform = dev_platform(&d.attesters[0]);
        let binding = B256::from(binding);
        let sig = key.sign(binding).unwrap().signature;
        prop_assert_eq!(verify(&d.chain, d.registry, binding, &sig), (true, platform));
        let asked = B256::from(asked);
        let expected = if asked == binding { (true, platform) } else { REFUSED };
        prop_assert_eq!(verify(&d.chain, d.registry, asked, &sig), expected);
        let mut flipped = sig.to_vec();
        flipped[flip] ^= 1;
        prop_assert_eq!(verify(&d.chain, d.registry, binding, &flipped), REFUSED);
        prop_assert_eq!(verify(&d.chain, d.registry, binding, &junk), REFUSED);
    }
}

// ---- groups and a join through the registry --------------------------------------------------------

fn claim_for(group: lsv_consensus::PublicKeyBytes) -> KeyGenerationClaim {
    KeyGenerationClaim {
        pubkey: group,
        withdrawal_credentials: B256::repeat_byte(2),
        owner: Address::repeat_byte(0x0e),
        chain_id: 560_048,
        genesis_validators_root: B256::repeat_byte(3),
        policy_hash: B256::repeat_byte(4),
    }
}

/// The devices' group evidence for `claim`: device i attested by `attesters[i]` at key
/// generation (off-chain, and what `DevDeviceVerifier` would take), and signed by its device
/// key `keys[i]`.
fn registered_group(
    shares: &[KeyShare],
    claim: KeyGenerationClaim,
    attesters: &[DevAttester],
    keys: &[DeviceKey],
) -> GroupEvidence {
    let n = shares.len() as u8;
    GroupEvidence {
        devices: shares
            .iter()
            .enumerate()
            .map(|(i, s)| {
                let share = ShareClaim {
                    group: claim,
                    threshold: s.threshold,
                    devices: n,
                    index: s.index,
                    shares: s.share_keys.clone(),
                };
                dev_device_evidence(share, &s.secret, &attesters[i])
                    .unwrap()
                    .with_device_signature(&keys[i])
                    .unwrap()
            })
            .collect(),
    }
}

/// 3-of-4 and 4-of-4 groups of registered devices verify in `GroupAttestationVerifier` over the
/// registry (gas printed); a group with one device unregistered, or with two device keys
/// registered from one platform, is refused; and the per-device signatures check off-chain.
#[test]
fn groups_of_registered_devices_verify_for_a_few_thousand_gas_a_device() {
    let mut d = dev_registry(4, DAY);
    let secrets = device_secrets(4);
    let keys = keys_of(&secrets);
    for (i, key) in keys.iter().enumerate() {
        let r = register_dev(&mut d.chain, d.registry, key, &d.attesters[i]).expect_success();
        if i == 0 {
            println!(
                "DeviceRegistry.register (DevDeviceVerifier inner): {} gas",
                r.gas_used
            );
        }
    }
    let group_verifier = deploy_group_3_of_4(&mut d.chain, d.registry);
    let caller = d.chain.account("keeper");
    for m in [3u8, 4] {
        let shares = key_generation(m, 4);
        let claim = claim_for(shares[0].group_key);
        let g = registered_group(&shares, claim, &d.attesters, &keys);
        g.verify(&DevDevices {
            trusted_attesters: d.attesters.iter().map(|a| a.address()).collect(),
        })
        .unwrap();
        let evidence = g.registry_contract_evidence().unwrap();
        let r = d
            .chain
            .send(
                caller,
                group_verifier,
                &G::verifyKeyGenerationCall {
                    binding: claim.binding(),
                    evidence: evidence.clone().into(),
                },
                U256::ZERO,
            )
            .unwrap()
            .expect_success();
        assert!(r.decode_return::<G::verifyKeyGenerationCall>().unwrap());
        println!(
            "GroupAttestationVerifier over DeviceRegistry, {m}-of-4: verifyKeyGeneration {} gas (whole transaction; evidence {} bytes)",
            r.gas_used,
            evidence.len()
        );
    }

    let accepts = |chain: &Chain, binding: B256, evidence: Vec<u8>| -> bool {
        chain
            .view(
                group_verifier,
                &G::verifyKeyGenerationCall {
                    binding,
                    evidence: evidence.into(),
                },
            )
            .unwrap()
    };
    let shares = key_generation(3, 4);
    let claim = claim_for(shares[0].group_key);

    // Device 4's key never registered.
    let mut mixed = keys_of(&secrets[..3]);
    mixed.push(device_keys(1).remove(0));
    let g = registered_group(&shares, claim, &d.attesters, &mixed);
    assert!(!accepts(
        &d.chain,
        claim.binding(),
        g.registry_contract_evidence().unwrap()
    ));

    // Device 4's key registered from device 1's platform: two devices on one platform.
    let twin = device_keys(1).remove(0);
    register_dev(&mut d.chain, d.registry, &twin, &d.attesters[0]).expect_success();
    mixed[3] = twin;
    let g = registered_group(&shares, claim, &d.attesters, &mixed);
    assert!(!accepts(
        &d.chain,
        claim.binding(),
        g.registry_contract_evidence().unwrap()
    ));

    // A device without a device-key signature cannot be packed for the registry.
    let mut g = registered_group(&shares, claim, &d.attesters, &keys);
    g.devices[2].device_signature = None;
    assert_eq!(
        g.registry_contract_evidence().unwrap_err(),
        lsv_attestation::multi::GroupError::NoDeviceSignature(3)
    );
    // A device signature over another device's binding is refused off-chain too.
    let mut g = registered_group(&shares, claim, &d.attesters, &keys);
    g.devices[1].device_signature = g.devices[0].device_signature.clone();
    assert!(matches!(
        g.verify(&DevDevices {
            trusted_attesters: d.attesters.iter().map(|a| a.address()).collect(),
        }),
        Err(lsv_attestation::multi::GroupError::DeviceSignature { index: 2, .. })
    ));
}

/// The whole path: four devices register their keys once, then a validator whose key they hold
/// 3-of-4 joins a vault deployed with the group verifier over the registry: 31 sETH and a
/// position to the owner (gas printed).
#[test]
fn a_validator_whose_key_four_registered_devices_hold_joins_the_vault() {
    use lsv_contracts::devnet::{Devnet, VaultConfig};

    let a = attesters(4);
    let keys = device_keys(4);
    let config = VaultConfig::default();
    let mut register_gas = Vec::new();
    let mut d = Devnet::with_verifier(config.clone(), 4, |chain| {
        let registry = deploy_dev_registry(chain, &a, 30 * DAY);
        for (key, attester) in keys.iter().zip(&a) {
            register_gas.push(
                register_dev(chain, registry, key, attester)
                    .expect_success()
                    .gas_used,
            );
        }
        deploy_group_3_of_4(chain, registry)
    });
    let shares = key_generation(3, 4);
    let index = d.add_validator(shares[0].group_key);
    let owner = d.chain.account("operator");
    let claim = vault_claim(&d, shares[0].group_key, owner, config.policy_hash);
    let g = registered_group(&shares, claim, &a, &keys);
    let evidence = g.registry_contract_evidence().unwrap();
    let gas = join_mints_31_seth(&mut d, index, shares[0].group_key, owner, evidence);
    println!(
        "register (once per device, DevDeviceVerifier inner): {register_gas:?} gas; join of a 3-of-4 key through DeviceRegistry: {gas} gas (dev-device join: 500,898)"
    );
}

// ---- registration through DcapDeviceVerifier -------------------------------------------------------

/// A real quote's evidence and its collateral's window.
struct Real {
    evidence: DcapEvidence,
    window: (u64, u64),
}

fn real(kind: DeviceKind) -> &'static Real {
    static SGX: OnceLock<Real> = OnceLock::new();
    static TDX: OnceLock<Real> = OnceLock::new();
    let load = |name: &str| {
        let e = entry(name);
        let quote = read_quote(e["quote_file"].as_str().unwrap());
        Real {
            evidence: dcap::evidence(&quote, &read_contract_collateral(&e)).unwrap(),
            window: (
                e["collateral_valid_from_unix"].as_u64().unwrap(),
                e["collateral_valid_until_unix"].as_u64().unwrap(),
            ),
        }
    };
    match kind {
        DeviceKind::Sgx => SGX.get_or_init(|| load("dcap-qvl sgx_quote")),
        DeviceKind::Tdx => TDX.get_or_init(|| load("dcap-qvl tdx_quote")),
    }
}

/// Every TCB status but the out-of-date and revoked ones.
const ACCEPT_CURRENT: u64 = 0b1111;

/// A chain inside both collaterals' windows.
fn dcap_chain() -> Chain {
    let (s, t) = (real(DeviceKind::Sgx).window, real(DeviceKind::Tdx).window);
    let start = s.0.max(t.0);
    assert!(start <= s.1.min(t.1), "the windows overlap");
    let mut chain = Chain::new();
    let slot = (start - Chain::GENESIS_TIME).div_ceil(Chain::SECONDS_PER_SLOT);
    chain.next_block_after(slot - chain.slot() - 1, B256::repeat_byte(0x42));
    chain
}

/// An SGX enclave and a TDX trust domain register their device keys through
/// `DcapDeviceVerifier` over the DCAP verifiers' own bytecode (test root): the registration gas
/// is the DCAP verification that runs; the platform recorded is the PPID; afterwards each
/// device's evidence is its key's signature. A quote over another key's binding is refused.
#[test]
fn hardware_devices_register_through_the_dcap_device_verifier() {
    let mut chain = dcap_chain();
    let pki = TestPki::new();
    let sgx = deploy_sgx_verifier_for(
        &mut chain,
        &pki.root,
        &real(DeviceKind::Sgx).evidence.quote,
        ACCEPT_CURRENT,
    );
    let tdx = deploy_tdx_verifier_for(
        &mut chain,
        &pki.root,
        &real(DeviceKind::Tdx).evidence.quote,
        ACCEPT_CURRENT,
    );
    let inner = chain
        .deploy(&DCAP_DEVICE_VERIFIER, &(sgx, tdx).abi_encode_params())
        .unwrap();
    let registry = chain
        .deploy(&DEVICE_REGISTRY, &(inner, 30 * DAY).abi_encode_params())
        .unwrap();

    for (kind, ppid) in [
        (DeviceKind::Sgx, [0xa1u8; 16]),
        (DeviceKind::Tdx, [0xb2; 16]),
    ] {
        let key = DeviceKey::generate().unwrap().0;
        let binding = registration_binding(Chain::CHAIN_ID, registry, key.address());
        // What P's quote over its registration binding is, re-signed under the test root.
        let quote = pki.device_evidence(&real(kind).evidence, &binding.0, Some(&ppid));

        // The same quote offered for another key is refused by name.
        let other = DeviceKey::generate().unwrap().0;
        let r = register_raw(
            &mut chain,
            registry,
            other.address(),
            &quote.encode_for_device().unwrap(),
        );
        match refusal(&r) {
            DeviceRegistryErrors::EvidenceRefused(e) => assert_eq!(
                e.binding,
                registration_binding(Chain::CHAIN_ID, registry, other.address())
            ),
            other => panic!("{other:?}"),
        }

        let r = register_raw(
            &mut chain,
            registry,
            key.address(),
            &quote.encode_for_device().unwrap(),
        )
        .expect_success();
        let mut platform = B256::ZERO;
        platform[..16].copy_from_slice(&ppid);
        let events = r.events_from::<R::DeviceRegistered>(registry);
        assert_eq!(events[0].platform, platform);
        println!(
            "DeviceRegistry.register through DcapDeviceVerifier, {kind:?} device: {} gas (whole transaction; evidence {} bytes)",
            r.gas_used,
            quote.encode_for_device().unwrap().len()
        );
        let share_binding = B256::repeat_byte(0x3c);
        assert_eq!(
            verify(
                &chain,
                registry,
                share_binding,
                &key.sign(share_binding).unwrap().signature
            ),
            (true, platform)
        );
    }
}

/// Intel's own SGX quote, unmodified, verified to Intel's real root key: its REPORTDATA is fixed
/// ("Hello, world!"), so it covers no registration binding and is refused as `EvidenceRefused`
/// naming the binding; the gas of the refused registration is printed.
#[test]
fn a_real_quote_under_intels_root_registers_no_key_it_does_not_bind() {
    let mut chain = dcap_chain();
    let quote = &real(DeviceKind::Sgx).evidence.quote;
    let report = dcap::enclave_report(quote).unwrap();
    let sgx = chain
        .deploy(
            &DCAP_ATTESTATION_VERIFIER,
            &(
                report.mr_enclave,
                0u16,
                U256::from(ACCEPT_CURRENT),
                U256::ZERO,
            )
                .abi_encode_params(),
        )
        .unwrap();
    let inner = chain
        .deploy(
            &DCAP_DEVICE_VERIFIER,
            &(sgx, Address::ZERO).abi_encode_params(),
        )
        .unwrap();
    let registry = chain
        .deploy(&DEVICE_REGISTRY, &(inner, 30 * DAY).abi_encode_params())
        .unwrap();
    let evidence = real(DeviceKind::Sgx).evidence.encode_for_device().unwrap();
    let key = DeviceKey::generate().unwrap().0;
    let r = register_raw(&mut chain, registry, key.address(), &evidence);
    match refusal(&r) {
        DeviceRegistryErrors::EvidenceRefused(e) => {
            assert_eq!(e.deviceKey, key.address());
            assert_eq!(
                e.binding,
                registration_binding(Chain::CHAIN_ID, registry, key.address())
            );
        }
        other => panic!("{other:?}"),
    }
    println!(
        "DeviceRegistry.register of Intel's real sample quote (REPORTDATA fixed): refused EvidenceRefused after {} gas",
        r.gas_used
    );
}
