//! The database on disk: decisions survive a reopen, the group-commit contract, opening the wrong
//! file, and several connections racing on one file.

mod common;

use common::*;
use lsv_consensus::{Slot, B256};
use lsv_slashing_protection::{
    Error, InterchangeFormat, InvalidAttestation, InvalidBlock, NotSafe, Safe, SigningCheck,
    SlashingDatabase,
};
use std::collections::BTreeMap;
use std::sync::{Arc, Barrier};

fn file_db(dir: &tempfile::TempDir) -> SlashingDatabase {
    SlashingDatabase::open(dir.path().join("sp.sqlite"), GVR).unwrap()
}

#[test]
fn decisions_survive_reopen() {
    let dir = tempfile::tempdir().unwrap();
    {
        let mut db = file_db(&dir);
        db.register_validators(&[pk(1)]).unwrap();
        assert_eq!(sign(&mut db, 1, block(10), 1), Ok(Safe::Valid));
        assert_eq!(sign(&mut db, 1, att(1, 2), 2), Ok(Safe::Valid));
    } // dropped: connection closed
    let mut db = file_db(&dir);
    assert!(matches!(
        sign(&mut db, 1, block(10), 3),
        Err(NotSafe::InvalidBlock(InvalidBlock::DoubleProposal { .. }))
    ));
    assert!(sign(&mut db, 1, block(9), 3).is_err());
    assert_eq!(sign(&mut db, 1, block(10), 1), Ok(Safe::SameData));
    assert!(matches!(
        sign(&mut db, 1, att(0, 3), 3),
        Err(NotSafe::InvalidAttestation(
            InvalidAttestation::SourceBelowWatermark { .. }
        ))
    ));
    assert_eq!(sign(&mut db, 1, att(1, 2), 2), Ok(Safe::SameData));
    assert_eq!(sign(&mut db, 1, att(2, 3), 2), Ok(Safe::Valid));
}

#[test]
fn batch_with_two_conflicting_items_passes_exactly_one() {
    let dir = tempfile::tempdir().unwrap();
    let mut db = file_db(&dir);
    db.register_validators(&[pk(1), pk(2)]).unwrap();
    let k = pk(1);
    let decisions = db
        .check_and_record_batch(&[
            SigningCheck::block(k, Slot(5), root(1)),
            SigningCheck::block(k, Slot(5), root(2)), // double proposal with item 0
            SigningCheck::attestation(k, 2.into(), 3.into(), root(1)),
            SigningCheck::attestation(k, 1.into(), 4.into(), root(2)), // surrounds item 2
            SigningCheck::attestation(pk(2), 1.into(), 4.into(), root(2)), // other key: fine
            SigningCheck::block(pk(3), Slot(1), root(1)),              // unregistered
        ])
        .unwrap();
    assert_eq!(decisions[0], Ok(Safe::Valid));
    assert!(matches!(
        decisions[1],
        Err(NotSafe::InvalidBlock(InvalidBlock::DoubleProposal { .. }))
    ));
    assert_eq!(decisions[2], Ok(Safe::Valid));
    assert!(decisions[3].is_err());
    assert_eq!(decisions[4], Ok(Safe::Valid));
    assert_eq!(decisions[5], Err(NotSafe::UnregisteredValidator(pk(3))));
    drop(db);

    // Only the accepted items were recorded, durably.
    let db = file_db(&dir);
    let history = db
        .export_interchange(None, InterchangeFormat::Complete)
        .unwrap();
    assert_eq!(history.data[0].signed_blocks.len(), 1);
    assert_eq!(history.data[0].signed_blocks[0].signing_root, Some(root(1)));
    assert_eq!(history.data[0].signed_attestations.len(), 1);
    assert_eq!(history.data[1].signed_attestations.len(), 1);
}

#[test]
fn batch_equals_sequential_checks_and_resigns_within_a_batch() {
    let mut db = db_with(&[pk(1)]);
    let k = pk(1);
    let decisions = db
        .check_and_record_batch(&[
            SigningCheck::block(k, Slot(5), root(1)),
            SigningCheck::block(k, Slot(5), root(1)), // identical: re-sign
            SigningCheck::block(k, Slot(6), root(1)),
            SigningCheck::block(k, Slot(5), root(1)), // now below the watermark
        ])
        .unwrap();
    assert_eq!(decisions[0], Ok(Safe::Valid));
    assert_eq!(decisions[1], Ok(Safe::SameData));
    assert_eq!(decisions[2], Ok(Safe::Valid));
    assert!(decisions[3].is_err());
    assert!(db.check_and_record_batch(&[]).unwrap().is_empty());
}

#[test]
fn reopening_with_another_genesis_validators_root_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    drop(file_db(&dir));
    let other = B256::repeat_byte(7);
    assert!(matches!(
        SlashingDatabase::open(dir.path().join("sp.sqlite"), other),
        Err(Error::GenesisValidatorsRootMismatch { database, expected })
            if database == GVR && expected == other
    ));
    let db = file_db(&dir);
    assert_eq!(db.genesis_validators_root(), GVR);
}

#[test]
fn another_schema_version_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    drop(file_db(&dir));
    let raw = rusqlite::Connection::open(dir.path().join("sp.sqlite")).unwrap();
    raw.execute("UPDATE metadata SET schema_version = 99", [])
        .unwrap();
    drop(raw);
    assert!(matches!(
        SlashingDatabase::open(dir.path().join("sp.sqlite"), GVR),
        Err(Error::UnsupportedSchemaVersion {
            found: 99,
            supported: 2
        })
    ));
}

/// A version-1 database (unique indexes on the history) opens as version 2 with its rows and
/// watermarks untouched, and keeps refusing what it refused before.
#[test]
fn a_version_1_database_is_migrated_on_open() {
    let dir = tempfile::tempdir().unwrap();
    let before = {
        let mut db = file_db(&dir);
        db.register_validators(&[pk(1), pk(2)]).unwrap();
        assert_eq!(sign(&mut db, 1, block(10), 1), Ok(Safe::Valid));
        assert_eq!(sign(&mut db, 1, att(1, 2), 2), Ok(Safe::Valid));
        assert_eq!(sign(&mut db, 2, att(3, 4), 3), Ok(Safe::Valid));
        db.export_interchange(None, InterchangeFormat::Complete)
            .unwrap()
    };
    // Lay the file out as version 1 wrote it.
    let raw = rusqlite::Connection::open(dir.path().join("sp.sqlite")).unwrap();
    raw.execute_batch(
        "DROP INDEX signed_blocks_by_slot; DROP INDEX signed_attestations_by_target;
         CREATE UNIQUE INDEX signed_blocks_unique
             ON signed_blocks (validator_id, slot, ifnull(signing_root, x''));
         CREATE UNIQUE INDEX signed_attestations_unique
             ON signed_attestations (validator_id, target_epoch, source_epoch, ifnull(signing_root, x''));
         UPDATE metadata SET schema_version = 1;",
    )
    .unwrap();
    drop(raw);

    let mut db = file_db(&dir);
    let raw = rusqlite::Connection::open(dir.path().join("sp.sqlite")).unwrap();
    let version: i64 = raw
        .query_row("SELECT schema_version FROM metadata", [], |r| r.get(0))
        .unwrap();
    let indexes: Vec<String> = raw
        .prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND name LIKE 'signed_%' ORDER BY name")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    drop(raw);
    assert_eq!(version, 2);
    assert_eq!(
        indexes,
        ["signed_attestations_by_target", "signed_blocks_by_slot"]
    );
    assert_eq!(
        db.export_interchange(None, InterchangeFormat::Complete)
            .unwrap(),
        before
    );
    assert!(sign(&mut db, 1, block(10), 9).is_err());
    assert_eq!(sign(&mut db, 1, block(10), 1), Ok(Safe::SameData));
    assert_eq!(sign(&mut db, 2, att(4, 5), 4), Ok(Safe::Valid));
}

#[test]
fn a_foreign_sqlite_file_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("other.sqlite");
    let raw = rusqlite::Connection::open(&path).unwrap();
    raw.execute("CREATE TABLE t (x INTEGER)", []).unwrap();
    drop(raw);
    assert!(matches!(
        SlashingDatabase::open(&path, GVR),
        Err(Error::NotASlashingDatabase)
    ));
}

#[test]
fn pruning_on_disk_keeps_every_decision() {
    let dir = tempfile::tempdir().unwrap();
    let mut db = file_db(&dir);
    db.register_validators(&[pk(1)]).unwrap();
    for i in 0..200u64 {
        sign(&mut db, 1, block(i), (i % 200 + 1) as u8).unwrap();
        sign(&mut db, 1, att(i, i + 1), (i % 200 + 1) as u8).unwrap();
    }
    let before = db.watermarks(&pk(1)).unwrap();
    let summary = db.prune().unwrap();
    assert_eq!(
        (summary.blocks_deleted, summary.attestations_deleted),
        (199, 199)
    );
    drop(db);
    let mut db = file_db(&dir);
    assert_eq!(db.watermarks(&pk(1)).unwrap(), before);
    assert_eq!(sign(&mut db, 1, block(199), 200), Ok(Safe::SameData));
    assert!(sign(&mut db, 1, block(150), 1).is_err());
    assert!(sign(&mut db, 1, att(150, 151), 1).is_err());
}

/// Several connections (as several processes would have) race to sign the same slots with
/// different roots. SQLite serialises the write transactions, each decision re-reads the
/// watermark, so no slot is signed twice.
#[test]
fn racing_connections_never_sign_a_slot_twice() {
    const THREADS: u8 = 4;
    const SLOTS: u64 = 40;
    let dir = tempfile::tempdir().unwrap();
    file_db(&dir).register_validators(&[pk(1)]).unwrap();
    let barrier = Arc::new(Barrier::new(THREADS as usize));
    let handles: Vec<_> = (1..=THREADS)
        .map(|t| {
            let path = dir.path().join("sp.sqlite");
            let barrier = barrier.clone();
            std::thread::spawn(move || {
                let mut db = SlashingDatabase::open(path, GVR).unwrap();
                barrier.wait();
                let mut accepted = Vec::new();
                for slot in 0..SLOTS {
                    let d = db.check_and_record(&pk(1), block(slot), root(t)).unwrap();
                    if d == Ok(Safe::Valid) {
                        accepted.push(slot);
                    }
                    let d = db
                        .check_and_record(&pk(1), att(slot, slot + 1), root(t))
                        .unwrap();
                    if d == Ok(Safe::Valid) {
                        accepted.push(1000 + slot);
                    }
                }
                (t, accepted)
            })
        })
        .collect();
    let mut winner: BTreeMap<u64, u8> = BTreeMap::new();
    for h in handles {
        let (t, accepted) = h.join().unwrap();
        for msg in accepted {
            assert!(winner.insert(msg, t).is_none(), "{msg} signed twice");
        }
    }
    // The durable history agrees with what the threads were told.
    let db = file_db(&dir);
    let history = db
        .export_interchange(None, InterchangeFormat::Complete)
        .unwrap();
    let blocks: BTreeMap<u64, u8> = history.data[0]
        .signed_blocks
        .iter()
        .map(|b| (b.slot.0, b.signing_root.unwrap().0[31]))
        .collect();
    let expected: BTreeMap<u64, u8> = winner
        .iter()
        .filter(|(m, _)| **m < 1000)
        .map(|(m, t)| (*m, *t))
        .collect();
    assert_eq!(blocks, expected);
    assert_eq!(
        history.data[0].signed_attestations.len(),
        winner.len() - expected.len()
    );
}

/// Not a correctness test: prints how much group commit saves on this disk
/// (`cargo test -p lsv-slashing-protection --release --test durability_tests -- --ignored --nocapture`).
#[test]
#[ignore]
fn group_commit_throughput() {
    const N: u64 = 500;
    let keys: Vec<_> = (0..100).map(pk).collect();
    let dir = tempfile::tempdir().unwrap();
    let mut db = file_db(&dir);
    db.register_validators(&keys).unwrap();
    let start = std::time::Instant::now();
    for i in 0..N {
        let k = &keys[(i % 100) as usize];
        let d = db.check_and_record(k, att(i, i + 1), root(1)).unwrap();
        assert_eq!(d, Ok(Safe::Valid));
    }
    let single = start.elapsed();
    let batch: Vec<_> = (0..N)
        .map(|i| {
            SigningCheck::attestation(
                keys[(i % 100) as usize],
                (N + i).into(),
                (N + i + 1).into(),
                root(1),
            )
        })
        .collect();
    let start = std::time::Instant::now();
    let decisions = db.check_and_record_batch(&batch).unwrap();
    let grouped = start.elapsed();
    assert!(decisions.iter().all(|d| *d == Ok(Safe::Valid)));
    println!(
        "{N} attestations: one commit each {:.0}/s ({:?} each); one batch {:.0}/s ({:?} total)",
        N as f64 / single.as_secs_f64(),
        single / N as u32,
        N as f64 / grouped.as_secs_f64(),
        grouped
    );
}
