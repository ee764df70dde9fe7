//! The hardware device verifier (`contracts/src/DcapDeviceVerifier.sol`) in revm: an SGX enclave
//! or a TDX trust domain as one device of a multi-device key, its evidence `kind ‖
//! abi.encode(Evidence)` (`dcap::encode_device_evidence`), verified by the DCAP verifier of its
//! kind, its platform the PPID of the PCK certificate that verifier authenticated.
//!
//! The real quotes of `testdata/dcap/` (dcap-qvl's `sgx_quote` and `tdx_quote`, whose collateral
//! windows overlap) carry someone else's report data, so each device's evidence here is that
//! real evidence with REPORTDATA = binding ‖ 0³² and, where a test needs it, another PPID in its
//! PCK certificate, re-signed under the test root (`common::dcap`, `lsv_contracts::dcap::test_pki`)
//! and verified by the DCAP verifiers' own bytecode with the test root key in place of Intel's.
//!
//! - Accepted: an SGX and a TDX device, each with platform = its PPID ‖ 0¹⁶; an enclave and a TD
//!   with one PPID are one platform; the PPID comes from the authenticated DER certificate, never
//!   from the PEM chain inside the quote, and from the decoded `Evidence`, wherever its ABI
//!   encoding puts the bytes; gas per device printed (`cargo test -p lsv-contracts --test
//!   dcap_device_verifier -- --nocapture`).
//! - Refused with `(false, 0)`: another binding, a kind byte naming the other verifier or none,
//!   an enclave or TD measurement other than the deployed one, a zero PPID, Intel's own evidence
//!   (another root), a kind deployed without a verifier, and a verifier that accepts evidence
//!   from which no PPID can be read.
//! - Deployment without a verifier, or with one that has no code, is refused by name.
//! - Property: truncated, flipped or random evidence never makes `verifyDevice` revert, and it
//!   is accepted only with the authenticated PPID.

#![allow(unused_crate_dependencies)]

mod common;

use alloy_sol_types::SolValue;
use common::dcap::*;
use lsv_contracts::artifacts::{DCAP_DEVICE_VERIFIER, DEV_ATTESTATION_VERIFIER};
use lsv_contracts::bindings::DcapAttestationVerifier as SgxVerifier;
use lsv_contracts::bindings::DcapDeviceVerifier::{self as Devices, DcapDeviceVerifierErrors};
use lsv_contracts::dcap::{self, DcapEvidence, DeviceKind, QuoteCollateral};
use lsv_contracts::{Address, Bytes, Chain, ChainError, B256, U256};
use proptest::prelude::*;
use std::sync::OnceLock;

// ---- the real evidence and the deployment --------------------------------------------------------

/// A real quote's evidence and collateral.
struct Real {
    evidence: DcapEvidence,
    collateral: QuoteCollateral,
    valid_from: u64,
    valid_until: u64,
}

fn load(name: &str, collateral_file: &str) -> Real {
    let entry = load_entry(name, collateral_file);
    Real {
        evidence: dcap::evidence(&entry.quote, &entry.collateral).unwrap(),
        collateral: entry.collateral,
        valid_from: entry.valid_from,
        valid_until: entry.valid_until,
    }
}

/// dcap-qvl `sample/sgx_quote` (SGX v3) or `sample/tdx_quote` (TDX v4).
fn real(kind: DeviceKind) -> &'static Real {
    static SGX: OnceLock<Real> = OnceLock::new();
    static TDX: OnceLock<Real> = OnceLock::new();
    match kind {
        DeviceKind::Sgx => SGX.get_or_init(|| {
            load(
                "dcap-qvl sgx_quote",
                "dcap-qvl/sample/sgx_quote_collateral.json",
            )
        }),
        DeviceKind::Tdx => TDX.get_or_init(|| {
            load(
                "dcap-qvl tdx_quote",
                "dcap-qvl/sample/tdx_quote_collateral.json",
            )
        }),
    }
}

/// A chain inside both collaterals' windows, the SGX and TDX verifiers for the real enclave and
/// TD under the test root (current TCB statuses accepted), and device verifiers over both, over
/// the SGX one only and over the TDX one only.
struct Setup {
    chain: Chain,
    pki: TestPki,
    sgx: Address,
    tdx: Address,
    devices: Address,
    sgx_only: Address,
    tdx_only: Address,
}

fn deploy_devices(chain: &mut Chain, sgx: Address, tdx: Address) -> Result<Address, ChainError> {
    chain.deploy(&DCAP_DEVICE_VERIFIER, &(sgx, tdx).abi_encode_params())
}

fn setup() -> &'static Setup {
    static SETUP: OnceLock<Setup> = OnceLock::new();
    SETUP.get_or_init(|| {
        let (s, t) = (real(DeviceKind::Sgx), real(DeviceKind::Tdx));
        let from = s.valid_from.max(t.valid_from);
        assert!(
            from <= s.valid_until.min(t.valid_until),
            "the windows overlap"
        );
        let mut chain = chain_at(from, true);
        let pki = TestPki::new();
        let sgx = deploy_sgx_verifier_for(&mut chain, &pki.root, &s.evidence.quote, ACCEPT_CURRENT);
        let tdx = deploy_tdx_verifier_for(&mut chain, &pki.root, &t.evidence.quote, ACCEPT_CURRENT);
        let devices = deploy_devices(&mut chain, sgx, tdx).unwrap();
        let sgx_only = deploy_devices(&mut chain, sgx, Address::ZERO).unwrap();
        let tdx_only = deploy_devices(&mut chain, Address::ZERO, tdx).unwrap();
        Setup {
            chain,
            pki,
            sgx,
            tdx,
            devices,
            sgx_only,
            tdx_only,
        }
    })
}

const BINDING: B256 = B256::repeat_byte(0xb1);
const PPID_A: [u8; 16] = [0xa1; 16];
const PPID_B: [u8; 16] = [0xb2; 16];

/// The real evidence of `kind` as a device's, under the test root: REPORTDATA = `binding` ‖ 0³²
/// and, if given, the PCK certificate's PPID set to `ppid`.
fn device(kind: DeviceKind, binding: B256, ppid: Option<&[u8; 16]>) -> DcapEvidence {
    setup()
        .pki
        .device_evidence(&real(kind).evidence, &binding.0, ppid)
}

/// `kind ‖ abi.encode(evidence)` with the kind given (not read from the quote).
fn tagged(kind: u8, evidence: &DcapEvidence) -> Bytes {
    [&[kind][..], &evidence.encode()].concat().into()
}

/// `verifyDevice` on `devices`; it must not revert.
fn verify_at(devices: Address, binding: B256, evidence: Bytes) -> (bool, B256) {
    let r = setup()
        .chain
        .view(devices, &Devices::verifyDeviceCall { binding, evidence })
        .expect("verifyDevice never reverts");
    (r.ok, r.platform)
}

fn verify(binding: B256, evidence: Bytes) -> (bool, B256) {
    verify_at(setup().devices, binding, evidence)
}

/// `ppid ‖ 0¹⁶`: the platform the device verifier names.
fn platform(ppid: &[u8]) -> B256 {
    let mut p = B256::ZERO;
    p[..16].copy_from_slice(ppid);
    p
}

const REFUSED: (bool, B256) = (false, B256::ZERO);

// ---- the encoding ----------------------------------------------------------------------------------

/// `encode_device_evidence` is the kind byte its quote's header names, then the DCAP verifiers'
/// `abi.encode(Evidence)`; a quote neither SGX v3 nor TDX v4 has no kind.
#[test]
fn device_evidence_is_the_kind_byte_then_the_dcap_evidence() {
    for (kind, tag) in [(DeviceKind::Sgx, 0x01), (DeviceKind::Tdx, 0x02)] {
        let r = real(kind);
        let quote = &r.evidence.quote;
        assert_eq!(DeviceKind::of_quote(quote).unwrap(), kind);
        assert_eq!(kind.tag(), tag);
        let packed = dcap::encode_device_evidence(quote, &r.collateral).unwrap();
        assert_eq!(packed[0], tag);
        assert_eq!(
            packed[1..],
            dcap::encode_evidence(quote, &r.collateral).unwrap()[..]
        );
    }
    let sgx = &real(DeviceKind::Sgx).evidence.quote;
    let tdx = &real(DeviceKind::Tdx).evidence.quote;
    let with_header = |quote: &[u8], version: u16, tee: u32| {
        let mut q = quote.to_vec();
        q[0..2].copy_from_slice(&version.to_le_bytes());
        q[4..8].copy_from_slice(&tee.to_le_bytes());
        q
    };
    for (name, quote) in [
        ("an SGX quote v4", with_header(sgx, 4, 0)),
        ("a TDX quote v5", with_header(tdx, 5, 0x81)),
        ("a v3 quote of TEE type 0x81", with_header(sgx, 3, 0x81)),
        ("a header cut short", sgx[..7].to_vec()),
    ] {
        assert!(DeviceKind::of_quote(&quote).is_err(), "{name}");
    }
}

// ---- acceptance ------------------------------------------------------------------------------------

/// An SGX and a TDX device are accepted, each with its PCK certificate's PPID (left-aligned) as
/// its platform: the real PPID (as dcap-qvl reads it) unedited, the edited one otherwise; and
/// `encode_for_device` chose each one's kind byte from its quote.
#[test]
fn sgx_and_tdx_devices_are_accepted_with_their_ppid_as_platform() {
    for kind in [DeviceKind::Sgx, DeviceKind::Tdx] {
        let unedited = device(kind, BINDING, None);
        let real_ppid = dcap_qvl::intel::parse_pck_extension(&real(kind).evidence.pckCert)
            .unwrap()
            .ppid;
        let encoded = unedited.encode_for_device().unwrap();
        assert_eq!(encoded[0], kind.tag());
        assert_eq!(
            verify(BINDING, encoded),
            (true, platform(&real_ppid)),
            "{kind:?}"
        );
        let edited = device(kind, BINDING, Some(&PPID_A));
        assert_eq!(
            verify(BINDING, edited.encode_for_device().unwrap()),
            (true, platform(&PPID_A)),
            "{kind:?}"
        );
        // pckPpid reads the same, from the evidence without its kind byte.
        let read = setup()
            .chain
            .view(
                setup().devices,
                &Devices::pckPpidCall {
                    evidence: edited.encode(),
                },
            )
            .unwrap();
        assert_eq!(read.0, PPID_A);
    }
}

/// The PPID names the platform, not the TEE: an SGX enclave and a TDX trust domain attested
/// through PCK certificates with one PPID (one CPU) are one platform, which the group verifier
/// counts as one device.
#[test]
fn an_enclave_and_a_trust_domain_on_one_cpu_are_one_platform() {
    let sgx = verify(
        BINDING,
        device(DeviceKind::Sgx, BINDING, Some(&PPID_B))
            .encode_for_device()
            .unwrap(),
    );
    let tdx = verify(
        BINDING,
        device(DeviceKind::Tdx, BINDING, Some(&PPID_B))
            .encode_for_device()
            .unwrap(),
    );
    assert_eq!(sgx, (true, platform(&PPID_B)));
    assert_eq!(sgx, tdx);
}

/// The PPID is the authenticated certificate's: the quote's own PEM chain (unsigned, unread by
/// the DCAP verifiers) still holds Intel's PCK certificate with the real PPID, and the platform
/// is the edited PPID of the DER certificate the verifier checked. That certificate replaced by
/// Intel's own (not issued under the deployment's root) is refused.
#[test]
fn the_ppid_is_read_from_the_certificate_the_verifier_authenticated() {
    for kind in [DeviceKind::Sgx, DeviceKind::Tdx] {
        let ev = device(kind, BINDING, Some(&PPID_A));
        let in_quote = dcap::evidence(&ev.quote, &real(kind).collateral)
            .unwrap()
            .pckCert;
        assert_eq!(in_quote, real(kind).evidence.pckCert);
        let at = ppid_offset(&in_quote);
        assert_ne!(in_quote[at..at + 16], PPID_A);
        assert_eq!(
            verify(BINDING, ev.encode_for_device().unwrap()),
            (true, platform(&PPID_A))
        );
        let swapped = DcapEvidence {
            pckCert: in_quote,
            ..ev
        };
        assert_eq!(
            verify(BINDING, swapped.encode_for_device().unwrap()),
            REFUSED
        );
    }
}

/// `abi.encode(Evidence)` with the tails laid out in reverse field order (a valid, not
/// canonical, encoding: the head's offsets point at them): the same decoded struct for the DCAP
/// verifier and for the PPID reader, so accepted with the same platform.
#[test]
fn the_ppid_is_read_from_the_same_decoded_struct_whatever_the_encoding() {
    let ev = device(DeviceKind::Sgx, BINDING, Some(&PPID_A));
    let tails: Vec<Vec<u8>> = fields(&ev)
        .iter()
        .map(|f| {
            let mut tail = U256::from(f.len()).to_be_bytes::<32>().to_vec();
            tail.extend_from_slice(f);
            tail.resize(32 + f.len().div_ceil(32) * 32, 0);
            tail
        })
        .collect();
    let mut offsets = vec![0usize; tails.len()];
    let mut at = 32 * tails.len();
    for i in (0..tails.len()).rev() {
        offsets[i] = at;
        at += tails[i].len();
    }
    let mut encoded = U256::from(32).to_be_bytes::<32>().to_vec();
    for offset in &offsets {
        encoded.extend_from_slice(&U256::from(*offset).to_be_bytes::<32>());
    }
    for tail in tails.iter().rev() {
        encoded.extend_from_slice(tail);
    }
    assert_ne!(encoded, ev.encode().to_vec());
    assert_eq!(DcapEvidence::abi_decode(&encoded).unwrap(), ev);
    let mut e = vec![DeviceKind::Sgx.tag()];
    e.extend_from_slice(&encoded);
    assert_eq!(verify(BINDING, e.into()), (true, platform(&PPID_A)));
}

/// Gas of an accepted device, SGX and TDX: the whole `verifyDevice` transaction, against the
/// DCAP verifier's `verifyKeyGeneration` alone on the same evidence.
#[test]
fn gas_per_device() {
    let s = setup();
    let mut chain = s.chain.clone();
    let caller = chain.account("keeper");
    println!("DcapDeviceVerifier, one accepted device (whole transactions, intrinsic included):");
    for (kind, verifier) in [(DeviceKind::Sgx, s.sgx), (DeviceKind::Tdx, s.tdx)] {
        let ev = device(kind, BINDING, Some(&PPID_A));
        let evidence = ev.encode_for_device().unwrap();
        let r = chain
            .send(
                caller,
                s.devices,
                &Devices::verifyDeviceCall {
                    binding: BINDING,
                    evidence: evidence.clone(),
                },
                U256::ZERO,
            )
            .unwrap()
            .expect_success();
        assert!(r.decode_return::<Devices::verifyDeviceCall>().unwrap().ok);
        let alone = chain
            .send(
                caller,
                verifier,
                &SgxVerifier::verifyKeyGenerationCall {
                    binding: BINDING,
                    evidence: ev.encode(),
                },
                U256::ZERO,
            )
            .unwrap()
            .expect_success();
        println!(
            "  {kind:?}: verifyDevice {} gas (evidence {} bytes); the DCAP verifier's verifyKeyGeneration alone {} gas; the device verifier adds {}",
            r.gas_used,
            evidence.len(),
            alone.gas_used,
            r.gas_used - alone.gas_used
        );
        assert!(r.gas_used < Chain::TX_GAS_LIMIT_CAP);
    }
    let deployed = DCAP_DEVICE_VERIFIER.deployed_bytecode().len();
    println!("  runtime size {deployed} bytes (EIP-170: 24,576)");
    assert!(deployed < 24_576);
}

// ---- refusals --------------------------------------------------------------------------------------

/// Each refused with `(false, 0)`, never a revert.
#[test]
fn every_refusal_is_false_with_a_zero_platform() {
    let sgx = device(DeviceKind::Sgx, BINDING, Some(&PPID_A));
    let tdx = device(DeviceKind::Tdx, BINDING, Some(&PPID_B));
    let resigned = |kind: DeviceKind, edit: &dyn Fn(&mut Unsigned)| {
        let base = &real(kind).evidence;
        let layout = QuoteLayout::of(kind);
        let mut u = Unsigned::of(base);
        u.set_binding(layout, &BINDING.0);
        edit(&mut u);
        setup()
            .pki
            .resign(&u, layout, base)
            .encode_for_device()
            .unwrap()
    };
    // MRENCLAVE (SGX report body offset 64) and MRTD (TD report offset 136), one bit each.
    let other_enclave = resigned(DeviceKind::Sgx, &|u| u.quote[48 + 64] ^= 1);
    let other_td = resigned(DeviceKind::Tdx, &|u| u.quote[48 + 136] ^= 1);
    let zero_ppid = resigned(DeviceKind::Sgx, &|u| u.set_ppid(&[0; 16]));
    // Intel's own evidence, over its own report data: only the root differs.
    let intel = real(DeviceKind::Sgx).evidence.encode_for_device().unwrap();
    let intel_binding = dcap::enclave_report(&real(DeviceKind::Sgx).evidence.quote)
        .unwrap()
        .binding();
    let cases: Vec<(&str, B256, Bytes)> = vec![
        (
            "SGX, another binding",
            B256::repeat_byte(0xb2),
            sgx.encode_for_device().unwrap(),
        ),
        (
            "TDX, another binding",
            B256::repeat_byte(0xb2),
            tdx.encode_for_device().unwrap(),
        ),
        ("SGX evidence tagged TDX", BINDING, tagged(0x02, &sgx)),
        ("TDX evidence tagged SGX", BINDING, tagged(0x01, &tdx)),
        ("no kind byte (abi.encode alone)", BINDING, sgx.encode()),
        ("kind 0x00", BINDING, tagged(0x00, &sgx)),
        ("kind 0x03", BINDING, tagged(0x03, &tdx)),
        ("kind 0xff", BINDING, tagged(0xff, &sgx)),
        ("empty", BINDING, Bytes::new()),
        ("a kind byte alone", BINDING, Bytes::from(vec![0x01])),
        (
            "an enclave not the deployed MRENCLAVE",
            BINDING,
            other_enclave,
        ),
        ("a TD not the deployed measurement", BINDING, other_td),
        ("a zero PPID", BINDING, zero_ppid),
        (
            "Intel's own evidence, not under the test root",
            intel_binding,
            intel,
        ),
    ];
    for (name, binding, evidence) in cases {
        assert_eq!(verify(binding, evidence), REFUSED, "{name}");
    }
}

/// A kind deployed without a verifier is refused; the other kind still verifies.
#[test]
fn a_kind_without_a_verifier_is_refused() {
    let s = setup();
    let sgx = device(DeviceKind::Sgx, BINDING, Some(&PPID_A))
        .encode_for_device()
        .unwrap();
    let tdx = device(DeviceKind::Tdx, BINDING, Some(&PPID_B))
        .encode_for_device()
        .unwrap();
    assert_eq!(
        verify_at(s.sgx_only, BINDING, sgx.clone()),
        (true, platform(&PPID_A))
    );
    assert_eq!(verify_at(s.sgx_only, BINDING, tdx.clone()), REFUSED);
    assert_eq!(verify_at(s.tdx_only, BINDING, sgx), REFUSED);
    assert_eq!(
        verify_at(s.tdx_only, BINDING, tdx),
        (true, platform(&PPID_B))
    );
    let verifiers = |devices| {
        (
            s.chain.view(devices, &Devices::SGXCall {}).unwrap(),
            s.chain.view(devices, &Devices::TDXCall {}).unwrap(),
        )
    };
    assert_eq!(verifiers(s.devices), (s.sgx, s.tdx));
    assert_eq!(verifiers(s.sgx_only), (s.sgx, Address::ZERO));
    assert_eq!(verifiers(s.tdx_only), (Address::ZERO, s.tdx));
}

/// A verifier that accepts evidence which is not DCAP evidence (here the dev verifier, a
/// secp256k1 signature over the binding): the PPID cannot be read from it, and the device is
/// refused, not reverted on (the reading's revert is caught).
#[test]
fn no_platform_is_named_when_no_ppid_can_be_read() {
    use k256::ecdsa::SigningKey as K256;
    let key = K256::from_slice(&[7u8; 32]).unwrap();
    let point = key.verifying_key().to_encoded_point(false);
    let attester = Address::from_raw_public_key(&point.as_bytes()[1..]);
    let (signature, recovery) = key.sign_prehash_recoverable(BINDING.as_slice()).unwrap();
    let mut signed = vec![0x01];
    signed.extend_from_slice(&signature.to_bytes());
    signed.push(27 + recovery.to_byte());

    let mut chain = setup().chain.clone();
    let dev = chain
        .deploy(&DEV_ATTESTATION_VERIFIER, &attester.abi_encode())
        .unwrap();
    assert!(chain
        .view(
            dev,
            &SgxVerifier::verifyKeyGenerationCall {
                binding: BINDING,
                evidence: signed[1..].to_vec().into(),
            },
        )
        .unwrap());
    let devices = deploy_devices(&mut chain, dev, Address::ZERO).unwrap();
    let r = chain
        .view(
            devices,
            &Devices::verifyDeviceCall {
                binding: BINDING,
                evidence: signed.clone().into(),
            },
        )
        .unwrap();
    assert_eq!((r.ok, r.platform), REFUSED);
    // The reading itself reverts (not ABI-decodable as `Evidence`).
    assert!(chain
        .view(
            devices,
            &Devices::pckPpidCall {
                evidence: signed[1..].to_vec().into(),
            },
        )
        .is_err());
}

/// No verifier at all, or one without code, is refused at deployment by name.
#[test]
fn deployment_needs_a_verifier_with_code() {
    let s = setup();
    let mut chain = s.chain.clone();
    let nobody = chain.account("an account, not a contract");
    let refusal = |r: Result<Address, ChainError>| match r {
        Err(ChainError::Failed(receipt)) => receipt.revert_error::<DcapDeviceVerifierErrors>(),
        other => panic!("deployed: {other:?}"),
    };
    assert_eq!(
        refusal(deploy_devices(&mut chain, Address::ZERO, Address::ZERO)),
        Some(DcapDeviceVerifierErrors::NoDcapVerifier(
            Devices::NoDcapVerifier {}
        ))
    );
    for (sgx, tdx) in [(nobody, s.tdx), (s.sgx, nobody), (nobody, Address::ZERO)] {
        assert_eq!(
            refusal(deploy_devices(&mut chain, sgx, tdx)),
            Some(DcapDeviceVerifierErrors::VerifierWithoutCode(
                Devices::VerifierWithoutCode { verifier: nobody }
            ))
        );
    }
}

// ---- property: never a revert ----------------------------------------------------------------------

/// The accepted evidence of each kind (PPID A for SGX, B for TDX).
fn accepted() -> &'static [(Bytes, B256); 2] {
    static ACCEPTED: OnceLock<[(Bytes, B256); 2]> = OnceLock::new();
    ACCEPTED.get_or_init(|| {
        [
            (
                device(DeviceKind::Sgx, BINDING, Some(&PPID_A))
                    .encode_for_device()
                    .unwrap(),
                platform(&PPID_A),
            ),
            (
                device(DeviceKind::Tdx, BINDING, Some(&PPID_B))
                    .encode_for_device()
                    .unwrap(),
                platform(&PPID_B),
            ),
        ]
    })
}

/// Never a revert; accepted only with the platform of the authenticated PPID (the one region the
/// DCAP verifiers do not read, the quote's PEM chain, may be flipped and still be accepted).
fn holds(evidence: Vec<u8>, want: B256) -> Result<(), TestCaseError> {
    let (ok, platform) = verify(BINDING, evidence.into());
    if ok {
        prop_assert_eq!(platform, want);
    } else {
        prop_assert_eq!(platform, B256::ZERO);
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn truncated_evidence_never_reverts(tdx in any::<bool>(), at in any::<prop::sample::Index>()) {
        let (evidence, _) = &accepted()[usize::from(tdx)];
        let cut = at.index(evidence.len());
        prop_assert_eq!(verify(BINDING, evidence.slice(..cut)), REFUSED);
    }

    #[test]
    fn flipped_evidence_never_reverts(tdx in any::<bool>(), at in any::<prop::sample::Index>(), mask in 1u8..) {
        let (evidence, want) = &accepted()[usize::from(tdx)];
        let mut e = evidence.to_vec();
        let i = at.index(e.len());
        e[i] ^= mask;
        holds(e, *want)?;
    }

    #[test]
    fn garbage_never_reverts(kind in 0u8..4, body in prop::collection::vec(any::<u8>(), 0..1200)) {
        let mut e = vec![kind];
        e.extend_from_slice(&body);
        holds(e, B256::ZERO)?;
    }

    /// The head of the ABI encoding (the outer offset and the ten field offsets, and the first
    /// length words) set to arbitrary values: out-of-range offsets and lengths are refused
    /// without a revert.
    #[test]
    fn garbled_offsets_never_revert(tdx in any::<bool>(), word in 0usize..13, value in any::<u64>()) {
        let (evidence, want) = &accepted()[usize::from(tdx)];
        let mut e = evidence.to_vec();
        let at = 1 + 32 * word;
        e[at..at + 32].copy_from_slice(&U256::from(value).to_be_bytes::<32>());
        holds(e, *want)?;
    }
}
