//! Attestation rules: no double vote, no surround, never below the source or target watermark.

#![allow(unused_crate_dependencies)]

mod common;

use common::*;
use lsv_consensus::Epoch;
use lsv_slashing_protection::{
    Interchange, InterchangeData, InvalidAttestation, NotSafe, Safe, SignedAttestation,
    SlashingDatabase,
};

fn import_atts(db: &mut SlashingDatabase, key: u8, atts: &[(u64, u64, u8)]) {
    let i = Interchange::new(
        GVR,
        vec![InterchangeData {
            pubkey: pk(key),
            signed_blocks: vec![],
            signed_attestations: atts
                .iter()
                .map(|&(s, t, r)| SignedAttestation {
                    source_epoch: Epoch(s),
                    target_epoch: Epoch(t),
                    signing_root: Some(root(r)),
                })
                .collect(),
        }],
    );
    db.import_interchange(&i).unwrap();
}

fn refused(reason: InvalidAttestation) -> lsv_slashing_protection::Decision {
    Err(NotSafe::InvalidAttestation(reason))
}

#[test]
fn genesis_attestation_is_valid_once() {
    let mut db = db_with(&[pk(1)]);
    assert_eq!(sign(&mut db, 1, att(0, 0), 1), Ok(Safe::Valid));
    assert_eq!(
        sign(&mut db, 1, att(0, 0), 2),
        refused(InvalidAttestation::DoubleVote {
            target_epoch: Epoch(0)
        })
    );
}

#[test]
fn advancing_attestations_are_valid() {
    let mut db = db_with(&[pk(1)]);
    assert_eq!(sign(&mut db, 1, att(0, 1), 1), Ok(Safe::Valid));
    assert_eq!(sign(&mut db, 1, att(1, 2), 1), Ok(Safe::Valid));
    // Same source, later target (a skipped justification) is fine.
    assert_eq!(sign(&mut db, 1, att(1, 5), 1), Ok(Safe::Valid));
    assert_eq!(sign(&mut db, 1, att(5, 6), 1), Ok(Safe::Valid));
}

#[test]
fn double_vote_is_refused() {
    let mut db = db_with(&[pk(1)]);
    sign(&mut db, 1, att(1, 2), 1).unwrap();
    assert_eq!(
        sign(&mut db, 1, att(1, 2), 2),
        refused(InvalidAttestation::DoubleVote {
            target_epoch: Epoch(2)
        })
    );
    // Different source, same target: still a double vote.
    assert_eq!(
        sign(&mut db, 1, att(0, 2), 1),
        refused(InvalidAttestation::DoubleVote {
            target_epoch: Epoch(2)
        })
    );
}

#[test]
fn surround_vote_is_refused() {
    let mut db = db_with(&[pk(1)]);
    sign(&mut db, 1, att(2, 3), 1).unwrap();
    // (1, 4) surrounds (2, 3).
    assert_eq!(
        sign(&mut db, 1, att(1, 4), 2),
        refused(InvalidAttestation::SourceBelowWatermark {
            source_epoch: Epoch(1),
            watermark: Epoch(2),
        })
    );
}

#[test]
fn surrounded_vote_is_refused() {
    let mut db = db_with(&[pk(1)]);
    sign(&mut db, 1, att(1, 4), 1).unwrap();
    // (2, 3) is surrounded by (1, 4).
    assert_eq!(
        sign(&mut db, 1, att(2, 3), 2),
        refused(InvalidAttestation::TargetBelowWatermark {
            target_epoch: Epoch(3),
            watermark: Epoch(4),
        })
    );
}

#[test]
fn late_attestation_below_target_watermark_is_refused() {
    let mut db = db_with(&[pk(1)]);
    sign(&mut db, 1, att(3, 4), 1).unwrap();
    assert!(matches!(
        sign(&mut db, 1, att(3, 3), 2),
        Err(NotSafe::InvalidAttestation(
            InvalidAttestation::TargetBelowWatermark { .. }
        ))
    ));
}

#[test]
fn source_greater_than_target_is_refused() {
    let mut db = db_with(&[pk(1)]);
    assert_eq!(
        sign(&mut db, 1, att(3, 2), 1),
        refused(InvalidAttestation::SourceExceedsTarget {
            source_epoch: Epoch(3),
            target_epoch: Epoch(2),
        })
    );
    // Nothing was recorded.
    assert_eq!(db.watermarks(&pk(1)).unwrap().unwrap().attestation, None);
}

#[test]
fn identical_attestation_may_be_resigned() {
    let mut db = db_with(&[pk(1)]);
    sign(&mut db, 1, att(1, 2), 7).unwrap();
    let before = db.watermarks(&pk(1)).unwrap();
    assert_eq!(sign(&mut db, 1, att(1, 2), 7), Ok(Safe::SameData));
    assert_eq!(db.watermarks(&pk(1)).unwrap(), before);
    // Only at the watermark.
    sign(&mut db, 1, att(2, 3), 8).unwrap();
    assert!(sign(&mut db, 1, att(1, 2), 7).is_err());
}

#[test]
fn zero_root_attestation_cannot_be_resigned() {
    let mut db = db_with(&[pk(1)]);
    sign(&mut db, 1, att(1, 2), 0).unwrap();
    assert_eq!(
        sign(&mut db, 1, att(1, 2), 0),
        refused(InvalidAttestation::DoubleVote {
            target_epoch: Epoch(2)
        })
    );
}

#[test]
fn imported_attestation_cannot_be_resigned() {
    let mut db = db_with(&[pk(1)]);
    import_atts(&mut db, 1, &[(1, 2, 7)]);
    assert_eq!(
        sign(&mut db, 1, att(1, 2), 7),
        refused(InvalidAttestation::DoubleVote {
            target_epoch: Epoch(2)
        })
    );
    assert_eq!(sign(&mut db, 1, att(1, 3), 7), Ok(Safe::Valid));
}

#[test]
fn import_reaching_the_target_clears_the_resign_record() {
    let mut db = db_with(&[pk(1)]);
    sign(&mut db, 1, att(1, 2), 7).unwrap();
    import_atts(&mut db, 1, &[(0, 2, 9)]);
    assert!(sign(&mut db, 1, att(1, 2), 7).is_err());
}

#[test]
fn import_raising_only_the_source_stops_the_resign() {
    let mut db = db_with(&[pk(1)]);
    sign(&mut db, 1, att(1, 5), 7).unwrap();
    // (3, 4) is surrounded by our (1, 5): slashable data, imported by minification.
    import_atts(&mut db, 1, &[(3, 4, 9)]);
    let wm = db.watermarks(&pk(1)).unwrap().unwrap().attestation.unwrap();
    assert_eq!(
        (wm.source, wm.target, wm.resign),
        (Epoch(3), Epoch(5), None)
    );
    assert!(sign(&mut db, 1, att(1, 5), 7).is_err());
    assert!(sign(&mut db, 1, att(2, 6), 7).is_err());
    assert_eq!(sign(&mut db, 1, att(3, 6), 7), Ok(Safe::Valid));
}

#[test]
fn lower_import_keeps_the_resign_record() {
    let mut db = db_with(&[pk(1)]);
    sign(&mut db, 1, att(3, 5), 7).unwrap();
    import_atts(&mut db, 1, &[(2, 4, 9)]);
    assert_eq!(sign(&mut db, 1, att(3, 5), 7), Ok(Safe::SameData));
}

#[test]
fn minified_import_with_source_above_target_protects_both_epochs() {
    let mut db = db_with(&[pk(1)]);
    import_atts(&mut db, 1, &[(5, 2, 1)]);
    assert!(sign(&mut db, 1, att(3, 4), 1).is_err()); // source below 5
    assert!(sign(&mut db, 1, att(6, 1), 1).is_err()); // source > target
    assert_eq!(sign(&mut db, 1, att(5, 5), 1), Ok(Safe::Valid));
}

#[test]
fn unregistered_validator_is_refused() {
    let mut db = db_with(&[pk(1)]);
    assert_eq!(
        sign(&mut db, 3, att(0, 1), 1),
        Err(NotSafe::UnregisteredValidator(pk(3)))
    );
}
