//! Block-proposal rules: at most one block per slot, never below the highest slot signed.

#![allow(unused_crate_dependencies)]

mod common;

use common::*;
use lsv_consensus::Slot;
use lsv_slashing_protection::{
    Interchange, InterchangeData, InvalidBlock, NotSafe, Safe, SignedBlock, MAX_STORABLE,
};

fn import_block(db: &mut lsv_slashing_protection::SlashingDatabase, key: u8, slot: u64, r: u8) {
    let i = Interchange::new(
        GVR,
        vec![InterchangeData {
            pubkey: pk(key),
            signed_blocks: vec![SignedBlock {
                slot: Slot(slot),
                signing_root: Some(root(r)),
            }],
            signed_attestations: vec![],
        }],
    );
    db.import_interchange(&i).unwrap();
}

#[test]
fn first_block_and_higher_slots_are_valid() {
    let mut db = db_with(&[pk(1)]);
    assert_eq!(sign(&mut db, 1, block(0), 1), Ok(Safe::Valid));
    assert_eq!(sign(&mut db, 1, block(1), 2), Ok(Safe::Valid));
    assert_eq!(sign(&mut db, 1, block(100), 3), Ok(Safe::Valid));
    let wm = db.watermarks(&pk(1)).unwrap().unwrap().block.unwrap();
    assert_eq!((wm.slot, wm.resign_root), (Slot(100), Some(root(3))));
}

#[test]
fn double_proposal_is_refused() {
    let mut db = db_with(&[pk(1)]);
    assert_eq!(sign(&mut db, 1, block(10), 1), Ok(Safe::Valid));
    assert_eq!(
        sign(&mut db, 1, block(10), 2),
        Err(NotSafe::InvalidBlock(InvalidBlock::DoubleProposal {
            slot: Slot(10),
            recorded_root: Some(root(1)),
            requested_root: root(2),
        }))
    );
}

#[test]
fn block_below_watermark_is_refused() {
    let mut db = db_with(&[pk(1)]);
    sign(&mut db, 1, block(10), 1).unwrap();
    assert_eq!(
        sign(&mut db, 1, block(9), 2),
        Err(NotSafe::InvalidBlock(InvalidBlock::SlotBelowWatermark {
            slot: Slot(9),
            watermark: Slot(10),
        }))
    );
}

#[test]
fn identical_block_may_be_resigned() {
    let mut db = db_with(&[pk(1)]);
    sign(&mut db, 1, block(10), 1).unwrap();
    let before = db.watermarks(&pk(1)).unwrap();
    assert_eq!(sign(&mut db, 1, block(10), 1), Ok(Safe::SameData));
    assert_eq!(sign(&mut db, 1, block(10), 1), Ok(Safe::SameData));
    // SameData writes nothing.
    assert_eq!(db.watermarks(&pk(1)).unwrap(), before);
}

#[test]
fn zero_root_block_cannot_be_resigned() {
    let mut db = db_with(&[pk(1)]);
    assert_eq!(sign(&mut db, 1, block(10), 0), Ok(Safe::Valid));
    assert!(matches!(
        sign(&mut db, 1, block(10), 0),
        Err(NotSafe::InvalidBlock(InvalidBlock::DoubleProposal {
            recorded_root: None,
            ..
        }))
    ));
}

#[test]
fn resign_is_only_allowed_at_the_watermark() {
    let mut db = db_with(&[pk(1)]);
    sign(&mut db, 1, block(10), 1).unwrap();
    sign(&mut db, 1, block(11), 2).unwrap();
    assert!(matches!(
        sign(&mut db, 1, block(10), 1),
        Err(NotSafe::InvalidBlock(
            InvalidBlock::SlotBelowWatermark { .. }
        ))
    ));
}

#[test]
fn imported_block_cannot_be_resigned() {
    let mut db = db_with(&[pk(1)]);
    import_block(&mut db, 1, 10, 7);
    assert!(matches!(
        sign(&mut db, 1, block(10), 7),
        Err(NotSafe::InvalidBlock(InvalidBlock::DoubleProposal {
            recorded_root: None,
            ..
        }))
    ));
    assert_eq!(sign(&mut db, 1, block(11), 7), Ok(Safe::Valid));
}

#[test]
fn import_at_own_watermark_clears_the_resign_root() {
    let mut db = db_with(&[pk(1)]);
    sign(&mut db, 1, block(10), 1).unwrap();
    import_block(&mut db, 1, 10, 1);
    assert!(sign(&mut db, 1, block(10), 1).is_err());
}

#[test]
fn lower_import_keeps_the_resign_root() {
    let mut db = db_with(&[pk(1)]);
    sign(&mut db, 1, block(10), 1).unwrap();
    import_block(&mut db, 1, 5, 9);
    assert_eq!(sign(&mut db, 1, block(10), 1), Ok(Safe::SameData));
    assert!(sign(&mut db, 1, block(6), 9).is_err());
}

#[test]
fn unregistered_validator_is_refused() {
    let mut db = db_with(&[pk(1)]);
    assert_eq!(
        sign(&mut db, 2, block(1), 1),
        Err(NotSafe::UnregisteredValidator(pk(2)))
    );
    assert!(!db.is_registered(&pk(2)).unwrap());
}

#[test]
fn non_slashable_messages_need_no_record() {
    let mut db = db_with(&[pk(1)]);
    let subject = lsv_consensus::SlashingSubject::None;
    assert_eq!(sign(&mut db, 1, subject, 1), Ok(Safe::Valid));
    // Not even registration is needed, and nothing is written.
    assert_eq!(sign(&mut db, 9, subject, 1), Ok(Safe::Valid));
    assert_eq!(db.watermarks(&pk(1)).unwrap().unwrap().record_version, 0);
}

#[test]
fn validators_are_independent() {
    let mut db = db_with(&[pk(1), pk(2)]);
    sign(&mut db, 1, block(10), 1).unwrap();
    assert_eq!(sign(&mut db, 2, block(10), 2), Ok(Safe::Valid));
    assert!(sign(&mut db, 2, block(3), 2).is_err());
    assert_eq!(sign(&mut db, 1, block(11), 2), Ok(Safe::Valid));
}

#[test]
fn slot_beyond_storable_range_is_refused() {
    let mut db = db_with(&[pk(1)]);
    assert!(matches!(
        sign(&mut db, 1, block(MAX_STORABLE + 1), 1),
        Err(NotSafe::InvalidBlock(InvalidBlock::SlotOutOfRange { .. }))
    ));
    assert_eq!(sign(&mut db, 1, block(MAX_STORABLE), 1), Ok(Safe::Valid));
    // Nothing can follow the last storable slot.
    assert!(sign(&mut db, 1, block(MAX_STORABLE), 2).is_err());
}

#[test]
fn registration_is_idempotent() {
    let mut db = db_with(&[]);
    assert_eq!(db.register_validators(&[pk(1), pk(2), pk(1)]).unwrap(), 2);
    assert_eq!(db.register_validators(&[pk(1)]).unwrap(), 0);
    assert_eq!(db.registered_validators().unwrap(), vec![pk(1), pk(2)]);
}
