//! The multi-device evidence shape: n devices, each attesting its share of one group key;
//! round trip through JSON, and every refusal including "two shares on one platform".

#![allow(unused_crate_dependencies)]

mod common;

use alloy_primitives::{Address, B256};
use blst::min_pk::{AggregatePublicKey, PublicKey, SecretKey};
use common::key_generation;
use lsv_attestation::multi::{
    dev_device_evidence, prove_possession, DcapDevices, DevDevices, GroupError, GroupEvidence,
    PlatformId, ShareClaim,
};
use lsv_attestation::{DevAttester, KeyGenerationClaim};
use lsv_consensus::PublicKeyBytes;
use lsv_threshold::sharing::ShareSetError;

fn share_key(seed: u8) -> SecretKey {
    SecretKey::key_gen(&[seed; 32], &[]).unwrap()
}

struct Setup {
    secrets: Vec<SecretKey>,
    attesters: Vec<DevAttester>,
    group: GroupEvidence,
}

/// An n-of-n group from a key generation among n devices (Shamir shares of degree n - 1, each
/// with its PoP), every device with its own dev attester unless `attester_of` maps two devices
/// to one.
fn setup(n: u8, attester_of: impl Fn(usize) -> usize) -> Setup {
    let key_shares = key_generation(n, n);
    let secrets: Vec<SecretKey> = key_shares.iter().map(|k| k.secret.clone()).collect();
    let group_pk = key_shares[0].group_key.0;
    let shares = key_shares[0].share_keys.clone();
    let group = KeyGenerationClaim {
        pubkey: PublicKeyBytes(group_pk),
        withdrawal_credentials: B256::repeat_byte(2),
        owner: Address::repeat_byte(0x0e),
        chain_id: 560_048,
        genesis_validators_root: B256::repeat_byte(3),
        policy_hash: B256::repeat_byte(4),
    };
    let attesters: Vec<DevAttester> = (0..n).map(|_| DevAttester::generate().unwrap().0).collect();
    let devices = (0..usize::from(n))
        .map(|i| {
            let claim = ShareClaim {
                group,
                threshold: n,
                devices: n,
                index: i as u8 + 1,
                shares: shares.clone(),
            };
            dev_device_evidence(claim, &secrets[i], &attesters[attester_of(i)]).unwrap()
        })
        .collect();
    Setup {
        secrets,
        attesters,
        group: GroupEvidence { devices },
    }
}

fn trusting(s: &Setup) -> DevDevices {
    DevDevices {
        trusted_attesters: s.attesters.iter().map(|a| a.address()).collect(),
    }
}

#[test]
fn three_devices_verify_and_round_trip_through_json() {
    let s = setup(3, |i| i);
    let platforms = s.group.verify(&trusting(&s)).unwrap();
    assert_eq!(platforms.len(), 3);
    for (p, a) in platforms.iter().zip(&s.attesters) {
        assert_eq!(
            *p,
            PlatformId::Dev {
                attester: a.address()
            }
        );
    }
    let text = serde_json::to_string_pretty(&s.group).unwrap();
    let back: GroupEvidence = serde_json::from_str(&text).unwrap();
    assert_eq!(back, s.group);
    back.verify(&trusting(&s)).unwrap();
    // Each device binds the group's key-generation binding and its own share.
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(v["devices"][1]["claim"]["index"], 2);
    assert_eq!(v["devices"][1]["platform"]["type"], "dev");
}

#[test]
fn two_shares_on_one_platform_are_one_device() {
    // Devices 1 and 3 are attested by one attester: one machine pretending to be two.
    let s = setup(3, |i| if i == 2 { 0 } else { i });
    let err = s.group.verify(&trusting(&s)).unwrap_err();
    assert!(
        matches!(
            err,
            GroupError::SamePlatform {
                first: 1,
                second: 3,
                ..
            }
        ),
        "{err}"
    );
}

#[test]
fn each_device_binds_everything_a_mix_and_match_would_change() {
    let s = setup(3, |i| i);
    let bindings: Vec<B256> = s.group.devices.iter().map(|d| d.claim.binding()).collect();
    assert_ne!(bindings[0], bindings[1]);
    let base = &s.group.devices[0].claim;
    let mut other_owner = base.clone();
    other_owner.group.owner = Address::repeat_byte(0x77);
    let mut other_m = base.clone();
    other_m.threshold = 2;
    let mut other_set = base.clone();
    other_set.shares.swap(1, 2);
    for c in [other_owner, other_m, other_set] {
        assert_ne!(c.binding(), bindings[0]);
    }
}

#[test]
fn a_device_whose_attestation_covers_another_claim_is_refused() {
    let mut s = setup(3, |i| i);
    // Device 2's evidence re-labelled for another owner, consistently across the group, keeps
    // its signature over the old binding: refused.
    for d in &mut s.group.devices {
        d.claim.group.owner = Address::repeat_byte(0x77);
    }
    assert!(matches!(
        s.group.verify(&trusting(&s)),
        Err(GroupError::Attestation { index: 1, .. })
    ));
}

#[test]
fn inconsistent_groups_are_refused() {
    let s = setup(3, |i| i);
    let t = trusting(&s);

    let mut g = s.group.clone();
    g.devices[2].claim.shares.swap(0, 1);
    assert_eq!(g.verify(&t), Err(GroupError::Inconsistent { position: 3 }));

    let mut g = s.group.clone();
    g.devices.pop();
    assert_eq!(
        g.verify(&t),
        Err(GroupError::DeviceCount { found: 2, n: 3 })
    );

    let mut g = s.group.clone();
    g.devices[1].claim.index = 1;
    assert_eq!(g.verify(&t), Err(GroupError::BadIndex(1)));

    let mut g = s.group.clone();
    g.devices[0].proof_of_possession = prove_possession(&s.secrets[1]);
    assert_eq!(g.verify(&t), Err(GroupError::ProofOfPossession(1)));

    // A group key that is not the shares' interpolation (n-of-n).
    let mut g = s.group.clone();
    for d in &mut g.devices {
        d.claim.group.pubkey = PublicKeyBytes(share_key(99).sk_to_pk().compress());
    }
    assert_eq!(
        g.verify(&t),
        Err(GroupError::Shares(ShareSetError::GroupKeyNotInterpolated {
            m: 3,
            n: 3
        }))
    );
    // Nor the sum of the shares, which additive n-of-n sharing would have used.
    let publics: Vec<PublicKey> = s.secrets.iter().map(|k| k.sk_to_pk()).collect();
    let sum = AggregatePublicKey::aggregate(&publics.iter().collect::<Vec<_>>(), false)
        .unwrap()
        .to_public_key()
        .compress();
    let mut g = s.group.clone();
    for d in &mut g.devices {
        d.claim.group.pubkey = PublicKeyBytes(sum);
    }
    assert_eq!(
        g.verify(&t),
        Err(GroupError::Shares(ShareSetError::GroupKeyNotInterpolated {
            m: 3,
            n: 3
        }))
    );

    // A platform claimed but not proven.
    let mut g = s.group.clone();
    g.devices[0].platform = PlatformId::Dev {
        attester: Address::repeat_byte(5),
    };
    assert!(matches!(
        g.verify(&t),
        Err(GroupError::Attestation { index: 1, .. })
    ));

    // An untrusted attester.
    let only_two = DevDevices {
        trusted_attesters: s.attesters[..2].iter().map(|a| a.address()).collect(),
    };
    assert!(matches!(
        s.group.verify(&only_two),
        Err(GroupError::Attestation { index: 3, .. })
    ));

    // Duplicate and invalid shares.
    let mut g = s.group.clone();
    for d in &mut g.devices {
        d.claim.shares[2] = d.claim.shares[0];
    }
    assert!(matches!(g.verify(&t), Err(GroupError::DuplicateShare(_))));
    let mut g = s.group.clone();
    for d in &mut g.devices {
        d.claim.shares[2] = PublicKeyBytes([0x11; 48]);
    }
    assert!(matches!(g.verify(&t), Err(GroupError::InvalidShare(_))));
}

#[test]
fn unsafe_thresholds_are_refused() {
    let s = setup(3, |i| i);
    for (m, n) in [(1u8, 2u8), (2, 4), (0, 3), (4, 3)] {
        let mut g = s.group.clone();
        for d in &mut g.devices {
            d.claim.threshold = m;
            d.claim.devices = n;
        }
        assert_eq!(g.verify(&trusting(&s)), Err(GroupError::Threshold { m, n }));
    }
    assert!(matches!(
        GroupEvidence { devices: vec![] }.verify(&trusting(&s)),
        Err(GroupError::DeviceCount { found: 0, .. })
    ));
}

#[test]
fn sgx_devices_are_checked_by_the_dcap_verifier() {
    // Dev evidence presented to the SGX verifier is refused by backend, before any quote work.
    let s = setup(3, |i| i);
    let verifier = lsv_attestation::DcapVerifier::intel();
    let policy = lsv_attestation::KeyGenerationPolicy {
        mr_enclaves: vec![],
        min_isv_svn: 0,
        td_measurements: vec![],
        accepted_tcb_statuses: vec![lsv_attestation::TcbStatus::UpToDate],
    };
    let sgx = DcapDevices {
        verifier: &verifier,
        policy: &policy,
        now: 0,
        collateral: &[],
    };
    assert!(matches!(
        s.group.verify(&sgx),
        Err(GroupError::Attestation { index: 1, reason }) if reason.contains("expected sgx-dcap or tdx-dcap")
    ));
}

// ---- m < n: Shamir shares and the group key on one polynomial of degree m - 1 -----------------

mod threshold {
    use super::*;
    use alloy_primitives::{uint, U256};
    use proptest::prelude::*;

    const R: U256 = uint!(0x73eda753299d7d483339d80809a1d80553bda402fffe5bfeffffffff00000001_U256);

    /// `f(x) = Σ c_k x^k mod r`.
    fn eval(coefficients: &[U256], x: u64) -> U256 {
        coefficients.iter().rev().fold(U256::ZERO, |acc, c| {
            acc.mul_mod(U256::from(x), R).add_mod(*c, R)
        })
    }

    fn secret(s: U256) -> Option<SecretKey> {
        SecretKey::from_bytes(&s.to_be_bytes::<32>()).ok()
    }

    /// An m-of-n group from share secrets and a group key, each device with its own attester.
    fn group(
        m: u8,
        secrets: &[SecretKey],
        group_pk: PublicKeyBytes,
    ) -> (GroupEvidence, DevDevices) {
        let n = secrets.len() as u8;
        let shares: Vec<PublicKeyBytes> = secrets
            .iter()
            .map(|s| PublicKeyBytes(s.sk_to_pk().compress()))
            .collect();
        let claim = KeyGenerationClaim {
            pubkey: group_pk,
            withdrawal_credentials: B256::repeat_byte(2),
            owner: Address::repeat_byte(0x0e),
            chain_id: 560_048,
            genesis_validators_root: B256::repeat_byte(3),
            policy_hash: B256::repeat_byte(4),
        };
        let attesters: Vec<DevAttester> =
            (0..n).map(|_| DevAttester::generate().unwrap().0).collect();
        let devices = secrets
            .iter()
            .zip(&attesters)
            .enumerate()
            .map(|(i, (s, a))| {
                let c = ShareClaim {
                    group: claim,
                    threshold: m,
                    devices: n,
                    index: i as u8 + 1,
                    shares: shares.clone(),
                };
                dev_device_evidence(c, s, a).unwrap()
            })
            .collect();
        let trust = DevDevices {
            trusted_attesters: attesters.iter().map(|a| a.address()).collect(),
        };
        (GroupEvidence { devices }, trust)
    }

    /// Shares f(1..=n) and the group key f(0) of the polynomial with these coefficients.
    fn shamir(coefficients: &[U256], n: u8) -> Option<(Vec<SecretKey>, PublicKeyBytes)> {
        let shares = (1..=u64::from(n))
            .map(|x| secret(eval(coefficients, x)))
            .collect::<Option<Vec<_>>>()?;
        let group = secret(eval(coefficients, 0))?;
        Some((shares, PublicKeyBytes(group.sk_to_pk().compress())))
    }

    fn coefficients(seeds: &[[u8; 32]], m: u8) -> Vec<U256> {
        seeds[..usize::from(m)]
            .iter()
            .map(|b| U256::from_be_bytes(*b).reduce_mod(R))
            .collect()
    }

    /// n in 3..=7 and a safe m < n (n/2 < m), with n random 32-byte seeds.
    fn shape() -> impl Strategy<Value = (u8, u8, Vec<[u8; 32]>)> {
        (3u8..=7).prop_flat_map(|n| {
            (
                Just(n),
                (n / 2 + 1)..n,
                proptest::collection::vec(any::<[u8; 32]>(), usize::from(n)),
            )
        })
    }

    #[test]
    fn a_3_of_5_group_verifies_and_a_wrong_group_key_is_named() {
        let c = [U256::from(11u8), U256::from(22u8), U256::from(33u8)];
        let (secrets, group_pk) = shamir(&c, 5).unwrap();
        let (g, trust) = group(3, &secrets, group_pk);
        assert_eq!(g.verify(&trust).unwrap().len(), 5);
        // The sum of the shares (the n-of-n rule) is not the group key for m < n.
        let refs: Vec<PublicKey> = secrets.iter().map(|s| s.sk_to_pk()).collect();
        let sum = AggregatePublicKey::aggregate(&refs.iter().collect::<Vec<_>>(), false)
            .unwrap()
            .to_public_key()
            .compress();
        let (g, trust) = group(3, &secrets, PublicKeyBytes(sum));
        let err = g.verify(&trust).unwrap_err();
        assert_eq!(
            err,
            GroupError::Shares(ShareSetError::GroupKeyNotInterpolated { m: 3, n: 5 })
        );
        assert!(err.to_string().contains("Lagrange interpolation at 0"));
        // A group key that is no key at all.
        let (g, trust) = group(3, &secrets, PublicKeyBytes([0x11; 48]));
        assert_eq!(g.verify(&trust), Err(GroupError::InvalidGroupKey));
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(24))]

        #[test]
        fn shares_of_a_random_polynomial_are_accepted((n, m, seeds) in shape()) {
            let c = coefficients(&seeds, m);
            let Some((secrets, group_pk)) = shamir(&c, n) else {
                return Err(TestCaseError::reject("a zero share"));
            };
            let (g, trust) = group(m, &secrets, group_pk);
            prop_assert_eq!(g.verify(&trust).map(|p| p.len()), Ok(usize::from(n)));
        }

        #[test]
        fn one_perturbed_share_is_refused(
            (n, m, seeds) in shape(),
            which in any::<prop::sample::Index>(),
            delta in 1u64..u64::MAX,
        ) {
            let c = coefficients(&seeds, m);
            let p = which.index(usize::from(n));
            let Some((mut secrets, group_pk)) = shamir(&c, n) else {
                return Err(TestCaseError::reject("a zero share"));
            };
            // Device p + 1 holds f(p + 1) + delta instead, with a valid proof of possession.
            let moved = eval(&c, p as u64 + 1).add_mod(U256::from(delta), R);
            let Some(s) = secret(moved) else {
                return Err(TestCaseError::reject("a zero share"));
            };
            secrets[p] = s;
            let (g, trust) = group(m, &secrets, group_pk);
            // A base share (1..=m) moves the polynomial, so share m + 1 is the first off it.
            let first_off = if p < usize::from(m) { m + 1 } else { p as u8 + 1 };
            prop_assert_eq!(
                g.verify(&trust),
                Err(GroupError::Shares(ShareSetError::ShareOffPolynomial { index: first_off, m }))
            );
        }

        #[test]
        fn a_perturbed_group_key_is_refused((n, m, seeds) in shape(), delta in 1u64..u64::MAX) {
            let c = coefficients(&seeds, m);
            let Some((secrets, _)) = shamir(&c, n) else {
                return Err(TestCaseError::reject("a zero share"));
            };
            let Some(wrong) = secret(c[0].add_mod(U256::from(delta), R)) else {
                return Err(TestCaseError::reject("a zero key"));
            };
            let (g, trust) = group(m, &secrets, PublicKeyBytes(wrong.sk_to_pk().compress()));
            prop_assert_eq!(g.verify(&trust), Err(GroupError::Shares(ShareSetError::GroupKeyNotInterpolated { m, n })));
        }

        #[test]
        fn a_polynomial_of_lower_degree_is_refused((n, m, seeds) in shape()) {
            // Degree m - 2: m - 1 devices could sign. (m >= 3 keeps the shares distinct.)
            prop_assume!(m >= 3);
            let mut c = coefficients(&seeds, m);
            c[usize::from(m) - 1] = U256::ZERO;
            let Some((secrets, group_pk)) = shamir(&c, n) else {
                return Err(TestCaseError::reject("a zero share"));
            };
            let (g, trust) = group(m, &secrets, group_pk);
            prop_assert_eq!(g.verify(&trust), Err(GroupError::Shares(ShareSetError::ThresholdBelowM { m })));
        }
    }
}

/// The tolerance of each threshold is DESIGN.md's ("Many devices"): 2-of-3 tolerates no broken
/// device and one down, 3-of-4 one and one, 4-of-5 two and one, n-of-n n − 1 and none; a
/// threshold that is not a majority is refused.
#[test]
fn each_threshold_tolerates_what_design_md_says() {
    use lsv_attestation::multi::Tolerance;
    use lsv_threshold::NotAThreshold;
    for (m, n, broken, down) in [
        (2, 3, 0, 1),
        (3, 4, 1, 1),
        (4, 5, 2, 1),
        (7, 7, 6, 0),
        (1, 1, 0, 0),
    ] {
        let t = Tolerance::of(m, n).unwrap();
        assert_eq!((t.broken, t.down), (broken, down), "{m}-of-{n}");
    }
    for (m, n) in [(0, 1), (2, 4), (1, 2), (5, 4), (127, 255), (0, 0)] {
        assert_eq!(Tolerance::of(m, n), Err(NotAThreshold { m, n }));
    }
    // The largest group: 255 devices, every majority threshold.
    for m in 128..=255u8 {
        let t = Tolerance::of(m, 255).unwrap();
        assert_eq!(u16::from(t.broken), 2 * u16::from(m) - 255 - 1);
        assert_eq!(t.down, 255 - m);
    }
}
