//! The key generation run among devices in one process, as the devices' P run it through hosts:
//! every device ends with the same group key and share keys, any `m` partial signatures combine
//! into a signature the group key verifies, `m − 1` do not, and a tampered dealing aborts the
//! ceremony naming its dealer.

#![allow(unused_crate_dependencies)]

use alloy_primitives::{Bytes, B256};
use blst::min_pk::{PublicKey, Signature};
use lsv_threshold::dkg::{Ceremony, Dealer, Dealing, DkgError, Fault, KeyShare};
use lsv_threshold::sharing::{check_share_keys, combine_signatures, ShareSetError};
use proptest::prelude::*;

const DST: &[u8] = b"BLS_SIG_BLS12381G2_XMD:SHA-256_SSWU_RO_POP_";

fn ceremony(m: u8, n: u8) -> (Ceremony, Vec<Dealer>) {
    let dealers: Vec<Dealer> = (0..n).map(|_| Dealer::new(m, n).unwrap()).collect();
    let ceremony = Ceremony {
        id: B256::repeat_byte(m ^ n),
        threshold: m,
        announcements: dealers.iter().map(|d| d.announcement().clone()).collect(),
    };
    (ceremony, dealers)
}

fn deal_all(ceremony: &Ceremony, dealers: &[Dealer]) -> Vec<Dealing> {
    dealers
        .iter()
        .zip(1u8..)
        .map(|(d, i)| d.deal(ceremony, i).unwrap())
        .collect()
}

fn run(m: u8, n: u8) -> Vec<KeyShare> {
    let (ceremony, dealers) = ceremony(m, n);
    let dealings = deal_all(&ceremony, &dealers);
    dealers
        .into_iter()
        .zip(1u8..)
        .map(|(d, i)| d.finish(&ceremony, i, &dealings).unwrap())
        .collect()
}

fn sign(share: &KeyShare, msg: &[u8]) -> (u8, Signature) {
    (share.index, share.secret.sign(msg, DST, &[]))
}

fn verifies(sig: &Signature, key: &[u8; 48], msg: &[u8]) -> bool {
    let pk = PublicKey::key_validate(key).unwrap();
    sig.verify(true, msg, DST, &[], &pk, true) == blst::BLST_ERROR::BLST_SUCCESS
}

#[test]
fn every_device_ends_with_one_group_key_and_any_m_shares_sign_for_it() {
    for (m, n) in [(2, 2), (2, 3), (3, 4), (4, 4), (3, 5), (4, 5)] {
        let shares = run(m, n);
        let first = &shares[0];
        for s in &shares {
            assert_eq!(s.group_key, first.group_key, "{m}-of-{n}");
            assert_eq!(s.share_keys, first.share_keys, "{m}-of-{n}");
            assert_eq!(
                s.secret.sk_to_pk().compress(),
                s.share_keys[usize::from(s.index) - 1].0
            );
            s.check().unwrap();
        }
        let msg = b"a signing root";
        // Every window of m consecutive devices (cyclically) signs for the group key.
        for start in 0..usize::from(n) {
            let signers: Vec<(u8, Signature)> = (0..usize::from(m))
                .map(|k| sign(&shares[(start + k) % usize::from(n)], msg))
                .collect();
            let group = combine_signatures(&signers).unwrap();
            assert!(
                verifies(&group, &first.group_key.0, msg),
                "{m}-of-{n} from {start}"
            );
            // m − 1 partials interpolate a different polynomial: not the group signature.
            let short = combine_signatures(&signers[..usize::from(m) - 1]).unwrap();
            assert!(
                !verifies(&short, &first.group_key.0, msg),
                "{m}-of-{n}: m-1 signed"
            );
        }
    }
}

#[test]
fn share_keys_not_of_one_polynomial_are_refused() {
    let a = run(3, 4);
    let b = run(3, 4);
    let mut keys: Vec<PublicKey> = a[0]
        .share_keys
        .iter()
        .map(|k| PublicKey::key_validate(&k.0).unwrap())
        .collect();
    check_share_keys(&a[0].group_key, &keys, 3).unwrap();
    assert_eq!(
        check_share_keys(&b[0].group_key, &keys, 3),
        Err(ShareSetError::GroupKeyNotInterpolated { m: 3, n: 4 })
    );
    keys[3] = PublicKey::key_validate(&b[0].share_keys[3].0).unwrap();
    assert_eq!(
        check_share_keys(&a[0].group_key, &keys, 3),
        Err(ShareSetError::ShareOffPolynomial { index: 4, m: 3 })
    );
    // A 2-of-4 "threshold" is refused before any arithmetic.
    assert!(matches!(
        check_share_keys(&a[0].group_key, &keys, 2),
        Err(ShareSetError::Threshold(_))
    ));
}

#[test]
fn unsafe_thresholds_and_lone_devices_are_refused_at_set_up() {
    assert!(matches!(Dealer::new(2, 4), Err(DkgError::Threshold(_))));
    assert!(matches!(Dealer::new(5, 4), Err(DkgError::Threshold(_))));
    assert!(matches!(Dealer::new(1, 1), Err(DkgError::TooFewDevices(1))));
}

/// Device 2 finishes with `dealings`, and names each dealer it accuses.
fn complaints(ceremony: &Ceremony, dealers: Vec<Dealer>, dealings: &[Dealing]) -> Vec<(u8, Fault)> {
    let second = dealers.into_iter().nth(1).unwrap();
    match second.finish(ceremony, 2, dealings) {
        Err(DkgError::Complaints(c)) => c.into_iter().map(|c| (c.dealer, c.fault)).collect(),
        other => panic!("expected complaints, got {other:?}"),
    }
}

#[test]
fn a_tampered_dealing_aborts_the_ceremony_and_names_its_dealer() {
    // A sealed share altered in transit.
    let (c, dealers) = ceremony(3, 4);
    let mut dealings = deal_all(&c, &dealers);
    let mut ct = dealings[0].shares[1].ciphertext.to_vec();
    ct[0] ^= 1;
    dealings[0].shares[1].ciphertext = Bytes::from(ct);
    assert_eq!(
        complaints(&c, dealers, &dealings),
        vec![(1, Fault::Undecryptable)]
    );

    // A share sealed to another device, replayed to this one.
    let (c, dealers) = ceremony(3, 4);
    let mut dealings = deal_all(&c, &dealers);
    dealings[2].shares[1] = dealings[2].shares[0].clone();
    assert_eq!(
        complaints(&c, dealers, &dealings),
        vec![(3, Fault::Undecryptable)]
    );

    // A dealing other than the one announced (another dealer's commitments).
    let (c, dealers) = ceremony(3, 4);
    let mut dealings = deal_all(&c, &dealers);
    dealings[3].commitments = dealings[0].commitments.clone();
    assert_eq!(
        complaints(&c, dealers, &dealings),
        vec![(4, Fault::NotAsAnnounced)]
    );

    // A dealing withheld, and one in another's place.
    let (c, dealers) = ceremony(2, 3);
    let mut dealings = deal_all(&c, &dealers);
    dealings[2].dealer = 1;
    assert_eq!(
        complaints(&c, dealers, &dealings),
        vec![(3, Fault::Missing)]
    );
}

#[test]
fn a_ceremony_that_is_not_the_announced_one_is_refused() {
    let (c, dealers) = ceremony(3, 4);
    // Device 1 asked to deal as device 2.
    assert_eq!(
        dealers[0].deal(&c, 2).unwrap_err(),
        DkgError::NotInCeremony { index: 2 }
    );
    // A ceremony whose threshold differs from the announced one.
    let mut lowered = c.clone();
    lowered.threshold = 4;
    assert_eq!(
        dealers[0].deal(&lowered, 1).unwrap_err(),
        DkgError::NotInCeremony { index: 1 }
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(8))]

    /// Any m-subset of the devices, in any order, gives the same (deterministic) group signature.
    #[test]
    fn any_m_devices_give_the_same_group_signature(
        n in 2u8..=6,
        pick in proptest::collection::vec(any::<u8>(), 6),
        msg in proptest::collection::vec(any::<u8>(), 1..64),
    ) {
        let m = n / 2 + 1;
        let shares = run(m, n);
        let mut order: Vec<usize> = (0..usize::from(n)).collect();
        for (i, p) in pick.iter().enumerate().take(usize::from(n)) {
            order.swap(i, usize::from(*p) % usize::from(n));
        }
        let a: Vec<_> = order[..usize::from(m)].iter().map(|&i| sign(&shares[i], &msg)).collect();
        let b: Vec<_> = order[usize::from(n - m)..].iter().rev().map(|&i| sign(&shares[i], &msg)).collect();
        let (sa, sb) = (combine_signatures(&a).unwrap(), combine_signatures(&b).unwrap());
        prop_assert_eq!(sa.compress(), sb.compress());
        prop_assert!(verifies(&sa, &shares[0].group_key.0, &msg));
    }
}

#[test]
fn a_batch_of_partials_verifies_only_if_each_does() {
    let shares = run(3, 4);
    let msg = b"a signing root";
    let keys: Vec<PublicKey> = shares
        .iter()
        .map(|s| PublicKey::key_validate(&s.share_keys[usize::from(s.index) - 1].0).unwrap())
        .collect();
    let mut pairs: Vec<(PublicKey, Signature)> = shares
        .iter()
        .zip(&keys)
        .map(|(s, k)| (*k, sign(s, msg).1))
        .collect();
    assert!(lsv_threshold::sharing::verify_partials(msg, DST, &pairs));
    // One partial over another message, or under another device's key: the batch fails.
    pairs[2].1 = shares[2].secret.sign(b"another root", DST, &[]);
    assert!(!lsv_threshold::sharing::verify_partials(msg, DST, &pairs));
    pairs[2].1 = sign(&shares[3], msg).1;
    assert!(!lsv_threshold::sharing::verify_partials(msg, DST, &pairs));
    // Two wrong partials that would cancel in a plain sum still fail (random weights).
    let (a, b) = (sign(&shares[0], msg).1, sign(&shares[1], msg).1);
    pairs[0].1 = b;
    pairs[1].1 = a;
    pairs[2].1 = sign(&shares[2], msg).1;
    assert!(!lsv_threshold::sharing::verify_partials(msg, DST, &pairs));
}
