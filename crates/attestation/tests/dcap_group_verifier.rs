//! A key held 3-of-4 by hardware devices, verified on-chain: `GroupAttestationVerifier` over
//! `DcapDeviceVerifier` (`contracts/src/DcapDeviceVerifier.sol`) over the SGX and TDX DCAP
//! verifiers, in revm, on a group made by the devices' real key generation
//! (`lsv_threshold::dkg`) and packed by `GroupEvidence::contract_evidence_with` with
//! `DcapEvidence::encode_for_device`.
//!
//! The devices' quotes are the real quotes of `testdata/dcap/` (dcap-qvl's `sgx_quote` and
//! `tdx_quote`, whose collateral windows overlap) with REPORTDATA = each device's share binding
//! ‖ 0³² and a PCK certificate with the PPID each test gives it, re-signed under the test root
//! (`lsv_contracts::dcap::test_pki`) and verified by the DCAP verifiers' own bytecode with the
//! test root key in place of Intel's.
//!
//! - Accepted: two SGX enclaves and two TDX trust domains on four platforms (gas printed:
//!   `cargo test -p lsv-attestation --test dcap_group_verifier -- --nocapture`); four SGX
//!   enclaves by a deployment that takes SGX only; and a whole `join` of a validator whose key
//!   they hold, through a vault deployed with that verifier (gas printed).
//! - Refused: two devices on one platform (an enclave and a trust domain with one PPID, each
//!   accepted on its own), a device's quote over another device's share binding, a TD whose
//!   measurement is not the deployed one, a device evidence whose kind byte names the other
//!   verifier, and TDX devices by a deployment whose TDX verifier is zero.

#![allow(unused_crate_dependencies)]

mod common;

use alloy_primitives::{Address, Bytes, B256, U256};
use alloy_sol_types::SolValue;
use common::{
    deploy_group_3_of_4, entry, join_mints_31_seth, key_generation, read_contract_collateral,
    read_quote, vault_claim,
};
use lsv_attestation::dcap::SgxPlatform;
use lsv_attestation::multi::{
    prove_possession, DeviceEvidence, GroupEvidence, PlatformId, ShareClaim,
};
use lsv_attestation::{Backend, KeyGenerationClaim};
use lsv_contracts::artifacts::DCAP_DEVICE_VERIFIER;
use lsv_contracts::bindings::DcapDeviceVerifier as Devices;
use lsv_contracts::bindings::GroupAttestationVerifier as G;
use lsv_contracts::dcap::test_pki::{
    deploy_sgx_verifier_for, deploy_tdx_verifier_for, QuoteLayout, TestPki, Unsigned,
};
use lsv_contracts::dcap::{self, DcapEvidence, DeviceKind};
use lsv_contracts::Chain;
use lsv_threshold::dkg::KeyShare;
use std::sync::OnceLock;

// ---- the real quotes and the deployment ------------------------------------------------------------

/// A real quote's evidence and the start and end of its collateral's window.
struct Real {
    evidence: DcapEvidence,
    fmspc: Vec<u8>,
    window: (u64, u64),
}

fn load(name: &str) -> Real {
    let e = entry(name);
    let quote = read_quote(e["quote_file"].as_str().unwrap());
    let evidence = dcap::evidence(&quote, &read_contract_collateral(&e)).unwrap();
    let fmspc = dcap_qvl::intel::parse_pck_extension(&evidence.pckCert)
        .unwrap()
        .fmspc
        .to_vec();
    Real {
        evidence,
        fmspc,
        window: (
            e["collateral_valid_from_unix"].as_u64().unwrap(),
            e["collateral_valid_until_unix"].as_u64().unwrap(),
        ),
    }
}

/// dcap-qvl `sample/sgx_quote` (SGX v3) or `sample/tdx_quote` (TDX v4).
fn real(kind: DeviceKind) -> &'static Real {
    static SGX: OnceLock<Real> = OnceLock::new();
    static TDX: OnceLock<Real> = OnceLock::new();
    match kind {
        DeviceKind::Sgx => SGX.get_or_init(|| load("dcap-qvl sgx_quote")),
        DeviceKind::Tdx => TDX.get_or_init(|| load("dcap-qvl tdx_quote")),
    }
}

/// The first second inside both collaterals' windows.
fn window_start() -> u64 {
    let (s, t) = (real(DeviceKind::Sgx).window, real(DeviceKind::Tdx).window);
    let start = s.0.max(t.0);
    assert!(start <= s.1.min(t.1), "the windows overlap");
    start
}

/// Every TCB status but the out-of-date and revoked ones (`TcbStatus` bits 0..=3).
const ACCEPT_CURRENT: u64 = 0b1111;

/// The SGX and TDX verifiers for the real enclave and TD under the test root, the device verifier
/// over `kinds` of them, and a group verifier of at least 3-of-4 over it (groups only).
fn deploy_group_verifier(chain: &mut Chain, pki: &TestPki, kinds: &[DeviceKind]) -> Address {
    let sgx = deploy_sgx_verifier_for(
        chain,
        &pki.root,
        &real(DeviceKind::Sgx).evidence.quote,
        ACCEPT_CURRENT,
    );
    let tdx = deploy_tdx_verifier_for(
        chain,
        &pki.root,
        &real(DeviceKind::Tdx).evidence.quote,
        ACCEPT_CURRENT,
    );
    let pick = |kind, verifier| {
        if kinds.contains(&kind) {
            verifier
        } else {
            Address::ZERO
        }
    };
    let devices = chain
        .deploy(
            &DCAP_DEVICE_VERIFIER,
            &(pick(DeviceKind::Sgx, sgx), pick(DeviceKind::Tdx, tdx)).abi_encode_params(),
        )
        .unwrap();
    deploy_group_3_of_4(chain, devices)
}

/// A chain inside both windows with a group verifier over SGX and TDX devices and one over SGX
/// devices only.
struct Setup {
    chain: Chain,
    both: Address,
    sgx_only: Address,
}

fn setup() -> &'static Setup {
    static SETUP: OnceLock<Setup> = OnceLock::new();
    SETUP.get_or_init(|| {
        let mut chain = Chain::new();
        let slot = (window_start() - Chain::GENESIS_TIME).div_ceil(Chain::SECONDS_PER_SLOT);
        chain.next_block_after(slot - chain.slot() - 1, B256::repeat_byte(0x42));
        assert!(chain.timestamp() >= window_start());
        let pki = TestPki::new();
        let both = deploy_group_verifier(&mut chain, &pki, &[DeviceKind::Sgx, DeviceKind::Tdx]);
        let sgx_only = deploy_group_verifier(&mut chain, &pki, &[DeviceKind::Sgx]);
        Setup {
            chain,
            both,
            sgx_only,
        }
    })
}

fn shares() -> &'static [KeyShare] {
    static SHARES: OnceLock<Vec<KeyShare>> = OnceLock::new();
    SHARES.get_or_init(|| key_generation(3, 4))
}

fn claim_for(shares: &[KeyShare]) -> KeyGenerationClaim {
    KeyGenerationClaim {
        pubkey: shares[0].group_key,
        withdrawal_credentials: B256::repeat_byte(2),
        owner: Address::repeat_byte(0x0e),
        chain_id: 560_048,
        genesis_validators_root: B256::repeat_byte(3),
        policy_hash: B256::repeat_byte(4),
    }
}

// ---- the devices -----------------------------------------------------------------------------------

/// How one device is made: its TEE, its PPID, and an edit of its quote before re-signing.
#[derive(Clone, Copy)]
struct Device {
    kind: DeviceKind,
    ppid: [u8; 16],
    /// Attest this share index's binding instead of its own.
    binding_of: Option<u8>,
    /// XOR 1 into this quote byte before re-signing.
    flip: Option<usize>,
    /// Pack the evidence with this kind byte instead of its own.
    tag: Option<u8>,
}

fn ppid(i: u8) -> [u8; 16] {
    [0x50 + i; 16]
}

/// Two SGX enclaves (devices 1, 2) and two TDX trust domains (3, 4), each on its own platform.
fn mixed() -> [Device; 4] {
    std::array::from_fn(|i| Device {
        kind: if i < 2 {
            DeviceKind::Sgx
        } else {
            DeviceKind::Tdx
        },
        ppid: ppid(i as u8 + 1),
        binding_of: None,
        flip: None,
        tag: None,
    })
}

/// The devices' claims, their group evidence (each device: the re-signed quote, its proof of
/// possession, and the platform its PCK certificate names) and the group's evidence for C.
struct Group {
    evidence: GroupEvidence,
    contract: Vec<u8>,
    /// Each device's evidence for the device verifier, by share index.
    devices: Vec<Bytes>,
}

fn group(shares: &[KeyShare], claim: KeyGenerationClaim, devices: [Device; 4]) -> Group {
    let pki = TestPki::new();
    let n = shares.len() as u8;
    let share_claim = |index: u8| ShareClaim {
        group: claim,
        threshold: shares[0].threshold,
        devices: n,
        index,
        shares: shares[0].share_keys.clone(),
    };
    let mut dcaps: Vec<(DcapEvidence, Option<u8>)> = Vec::new();
    let mut evidence = GroupEvidence { devices: vec![] };
    for (s, d) in shares.iter().zip(devices) {
        let base = &real(d.kind).evidence;
        let layout = QuoteLayout::of(d.kind);
        let binding = share_claim(d.binding_of.unwrap_or(s.index)).binding();
        let mut u = Unsigned::of(base);
        u.set_binding(layout, &binding.0);
        u.set_ppid(&d.ppid);
        if let Some(at) = d.flip {
            u.quote[at] ^= 1;
        }
        let dcap = pki.resign(&u, layout, base);
        evidence.devices.push(DeviceEvidence {
            claim: share_claim(s.index),
            proof_of_possession: prove_possession(&s.secret),
            backend: match d.kind {
                DeviceKind::Sgx => Backend::SgxDcap,
                DeviceKind::Tdx => Backend::TdxDcap,
            },
            evidence: dcap.quote.clone(),
            platform: PlatformId::Sgx(SgxPlatform {
                fmspc: real(d.kind).fmspc.clone(),
                ppid: d.ppid.to_vec(),
            }),
            device_signature: None,
        });
        dcaps.push((dcap, d.tag));
    }
    let pack = |index: u8| -> Result<Vec<u8>, String> {
        let (dcap, tag) = &dcaps[usize::from(index) - 1];
        let mut bytes = dcap
            .encode_for_device()
            .map_err(|e| e.to_string())?
            .to_vec();
        if let Some(tag) = tag {
            bytes[0] = *tag;
        }
        Ok(bytes)
    };
    let contract = evidence
        .contract_evidence_with(|d| pack(d.claim.index))
        .unwrap();
    Group {
        devices: (1..=n).map(|i| pack(i).unwrap().into()).collect(),
        evidence,
        contract,
    }
}

fn accepts(verifier: Address, binding: B256, evidence: &[u8]) -> bool {
    setup()
        .chain
        .view(
            verifier,
            &G::verifyKeyGenerationCall {
                binding,
                evidence: evidence.to_vec().into(),
            },
        )
        .expect("verifyKeyGeneration never reverts")
}

/// `verifyDevice` of the group verifier's device verifier on device `index`'s evidence, over
/// its own share binding.
fn device_verdict(verifier: Address, g: &Group, index: u8) -> (bool, B256) {
    let chain = &setup().chain;
    let devices = chain.view(verifier, &G::DEVICESCall {}).unwrap();
    let binding = g.evidence.devices[usize::from(index) - 1].claim.binding();
    let r = chain
        .view(
            devices,
            &Devices::verifyDeviceCall {
                binding,
                evidence: g.devices[usize::from(index) - 1].clone(),
            },
        )
        .unwrap();
    (r.ok, r.platform)
}

fn platform(ppid: &[u8; 16]) -> B256 {
    let mut p = B256::ZERO;
    p[..16].copy_from_slice(ppid);
    p
}

// ---- acceptance ------------------------------------------------------------------------------------

/// Two SGX enclaves and two TDX trust domains on four platforms hold a 3-of-4 key: each device
/// is accepted with its PPID as platform, and the group is accepted; the gas of the group's
/// verification is printed with the sum of its devices'.
#[test]
fn two_enclaves_and_two_trust_domains_hold_a_three_of_four_key() {
    let s = setup();
    let claim = claim_for(shares());
    let g = group(shares(), claim, mixed());
    for i in 1..=4u8 {
        assert_eq!(device_verdict(s.both, &g, i), (true, platform(&ppid(i))));
    }
    assert!(accepts(s.both, claim.binding(), &g.contract));

    let mut chain = s.chain.clone();
    let caller = chain.account("keeper");
    let r = chain
        .send(
            caller,
            s.both,
            &G::verifyKeyGenerationCall {
                binding: claim.binding(),
                evidence: g.contract.clone().into(),
            },
            U256::ZERO,
        )
        .unwrap()
        .expect_success();
    assert!(r.decode_return::<G::verifyKeyGenerationCall>().unwrap());
    println!(
        "GroupAttestationVerifier over DcapDeviceVerifier, 3-of-4 (2 SGX + 2 TDX): verifyKeyGeneration {} gas (whole transaction; evidence {} bytes)",
        r.gas_used,
        g.contract.len()
    );
    assert!(r.gas_used < Chain::TX_GAS_LIMIT_CAP);
}

/// A deployment that takes SGX devices only accepts four enclaves on four platforms, and
/// refuses the mixed group (its TDX devices have no verifier there).
#[test]
fn a_deployment_without_a_tdx_verifier_takes_enclaves_only() {
    let s = setup();
    let claim = claim_for(shares());
    let all_sgx = mixed().map(|d| Device {
        kind: DeviceKind::Sgx,
        ..d
    });
    let g = group(shares(), claim, all_sgx);
    assert!(accepts(s.sgx_only, claim.binding(), &g.contract));
    let mixed = group(shares(), claim, mixed());
    assert!(accepts(s.both, claim.binding(), &mixed.contract));
    assert!(!accepts(s.sgx_only, claim.binding(), &mixed.contract));
    assert_eq!(device_verdict(s.sgx_only, &mixed, 3), (false, B256::ZERO));
}

// ---- refusals --------------------------------------------------------------------------------------

/// Each refused: the group verifier answers false.
#[test]
fn groups_of_devices_that_do_not_qualify_are_refused() {
    let s = setup();
    let claim = claim_for(shares());
    let binding = claim.binding();
    let with = |i: usize, edit: &dyn Fn(&mut Device)| {
        let mut devices = mixed();
        edit(&mut devices[i]);
        group(shares(), claim, devices)
    };

    // An enclave (device 1) and a trust domain (device 3) with one PPID: one CPU, one device.
    // Each is accepted on its own, with the same platform; the group is not.
    let g = with(2, &|d| d.ppid = ppid(1));
    assert_eq!(device_verdict(s.both, &g, 1), (true, platform(&ppid(1))));
    assert_eq!(device_verdict(s.both, &g, 3), (true, platform(&ppid(1))));
    assert!(!accepts(s.both, binding, &g.contract), "one platform");

    // Device 2's quote over device 1's share binding.
    let g = with(1, &|d| d.binding_of = Some(1));
    assert_eq!(device_verdict(s.both, &g, 2), (false, B256::ZERO));
    assert!(!accepts(s.both, binding, &g.contract), "another binding");

    // Device 4 is a TD other than the deployed one (its MRTD, TD report offset 136).
    let g = with(3, &|d| d.flip = Some(48 + 136));
    assert_eq!(device_verdict(s.both, &g, 4), (false, B256::ZERO));
    assert!(!accepts(s.both, binding, &g.contract), "another TD");

    // Device 2 is an enclave other than the deployed one (its MRENCLAVE, report offset 64).
    let g = with(1, &|d| d.flip = Some(48 + 64));
    assert!(!accepts(s.both, binding, &g.contract), "another enclave");

    // Device 3's evidence tagged SGX (its TDX quote goes to the SGX verifier).
    let g = with(2, &|d| d.tag = Some(DeviceKind::Sgx.tag()));
    assert_eq!(device_verdict(s.both, &g, 3), (false, B256::ZERO));
    assert!(!accepts(s.both, binding, &g.contract), "wrong kind byte");

    // The accepted group, for another owner's binding.
    let g = group(shares(), claim, mixed());
    assert!(accepts(s.both, binding, &g.contract));
    assert!(!accepts(s.both, B256::repeat_byte(9), &g.contract));
}

// ---- the whole join --------------------------------------------------------------------------------

/// A validator whose key two enclaves and two trust domains hold 3-of-4 joins a vault deployed
/// with the hardware group verifier: 31 sETH to the owner bound in every device's quote. The
/// join's gas is printed.
#[test]
fn a_validator_whose_key_four_hardware_devices_hold_joins_the_vault() {
    use lsv_contracts::devnet::{Devnet, VaultConfig};

    let pki = TestPki::new();
    let config = VaultConfig::default();
    let mut d = Devnet::with_verifier(config.clone(), 4, |chain| {
        deploy_group_verifier(chain, &pki, &[DeviceKind::Sgx, DeviceKind::Tdx])
    });
    let shares = key_generation(3, 4);
    let index = d.add_validator(shares[0].group_key);
    let owner = d.chain.account("operator");
    let claim = vault_claim(&d, shares[0].group_key, owner, config.policy_hash);
    let g = group(&shares, claim, mixed());

    // The beacon state, and so the block the proof's root is read at, inside the collateral.
    let slot = (window_start() - Chain::GENESIS_TIME).div_ceil(Chain::SECONDS_PER_SLOT) + 32;
    d.set_slot(slot);
    let gas = join_mints_31_seth(
        &mut d,
        index,
        shares[0].group_key,
        owner,
        g.contract.clone(),
    );
    println!(
        "join of a 3-of-4 key held by 2 SGX + 2 TDX devices (DcapDeviceVerifier): {} gas (evidence {} bytes)",
        gas,
        g.contract.len()
    );
    assert!(gas < Chain::TX_GAS_LIMIT_CAP);
}
