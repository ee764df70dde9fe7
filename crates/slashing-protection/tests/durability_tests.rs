//! The database on disk: decisions survive a reopen, the group-commit contract, opening the wrong
//! file, and several connections racing on one file.

#![allow(unused_crate_dependencies)]

mod common;

use common::*;
use lsv_consensus::{Epoch, Slot, B256};
use lsv_slashing_protection::{
    AnchorFloor, AnchorRecord, Error, InterchangeFormat, InvalidAttestation, InvalidBlock, NotSafe,
    Safe, SigningCheck, SlashingDatabase,
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
            supported: 4
        })
    ));
}

/// A database from before version 3 (version 1: unique indexes on the history; version 2: the
/// lookup indexes) opens as version 4 with its watermarks untouched and its history kept as
/// legacy history: a complete export still carries every row, P adds none, and every decision
/// is what it was.
#[test]
fn a_version_1_or_2_database_is_migrated_on_open() {
    for version in [1, 2] {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sp.sqlite");
        {
            let mut db = file_db(&dir);
            db.register_validators(&[pk(1), pk(2)]).unwrap();
            assert_eq!(sign(&mut db, 1, block(10), 1), Ok(Safe::Valid));
            assert_eq!(sign(&mut db, 1, att(5, 6), 2), Ok(Safe::Valid));
            assert_eq!(sign(&mut db, 2, att(7, 8), 3), Ok(Safe::Valid));
            assert_eq!(sign(&mut db, 2, block(20), 3), Ok(Safe::Valid));
        }
        // The history an older lsv kept: 5 blocks and 5 attestations per key, all below the
        // watermarks.
        make_legacy_file(&path, version, 5);

        let mut db = file_db(&dir);
        let raw = rusqlite::Connection::open(&path).unwrap();
        let stored: i64 = raw
            .query_row("SELECT schema_version FROM metadata", [], |r| r.get(0))
            .unwrap();
        drop(raw);
        assert_eq!(stored, 4, "version {version}");
        assert!(db.has_legacy_history());
        let complete = db
            .export_interchange(Some(&[pk(1)]), InterchangeFormat::Complete)
            .unwrap();
        let slots: Vec<u64> = complete.data[0]
            .signed_blocks
            .iter()
            .map(|b| b.slot.0)
            .collect();
        // The five legacy rows, then the watermark that none of them carries.
        assert_eq!(slots, [0, 1, 2, 3, 4, 10], "version {version}");
        assert_eq!(
            complete.data[0].signed_blocks[5].signing_root,
            Some(root(1))
        );
        assert_eq!(complete.data[0].signed_attestations.len(), 6);
        let minimal = db
            .export_interchange(None, InterchangeFormat::Minimal)
            .unwrap();
        assert_eq!(minimal.data[0].signed_blocks.len(), 1);

        // Decisions as before: re-sign P's own, refuse the rest; new signatures add no rows.
        assert_eq!(sign(&mut db, 1, block(10), 1), Ok(Safe::SameData));
        assert!(sign(&mut db, 1, block(10), 9).is_err());
        assert!(sign(&mut db, 1, block(3), 9).is_err());
        assert_eq!(sign(&mut db, 1, att(5, 6), 2), Ok(Safe::SameData));
        assert!(sign(&mut db, 2, att(6, 9), 4).is_err());
        assert_eq!(sign(&mut db, 2, att(8, 9), 4), Ok(Safe::Valid));
        assert_eq!(sign(&mut db, 1, block(11), 4), Ok(Safe::Valid));
        let after = db
            .export_interchange(Some(&[pk(1)]), InterchangeFormat::Complete)
            .unwrap();
        let slots: Vec<u64> = after.data[0]
            .signed_blocks
            .iter()
            .map(|b| b.slot.0)
            .collect();
        assert_eq!(slots, [0, 1, 2, 3, 4, 11], "version {version}");

        // Opening again migrates nothing more.
        drop(db);
        let db = file_db(&dir);
        assert!(db.has_legacy_history());
    }
}

/// Pruning drops the legacy history and gives its pages back: the file on disk shrinks to the
/// records, with no write-ahead log left, and every decision stays as it was.
#[test]
fn prune_drops_legacy_history_and_shrinks_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sp.sqlite");
    let keys: Vec<_> = (1..=4).map(pk).collect();
    {
        let mut db = file_db(&dir);
        db.register_validators(&keys).unwrap();
        for k in 1..=4 {
            assert_eq!(sign(&mut db, k, block(5_000), k), Ok(Safe::Valid));
            assert_eq!(sign(&mut db, k, att(5_000, 5_001), k), Ok(Safe::Valid));
        }
    }
    make_legacy_file(&path, 2, 5_000);
    let mut db = file_db(&dir);
    let before: Vec<_> = keys.iter().map(|k| db.watermarks(k).unwrap()).collect();
    let (file_before, _) = file_and_wal_bytes(&path);
    assert!(file_before > 1_000_000, "{file_before} bytes of history");

    let summary = db.prune().unwrap();
    assert_eq!(
        (summary.blocks_deleted, summary.attestations_deleted),
        (20_000, 20_000)
    );
    assert!(
        summary.bytes_after < summary.bytes_before / 20,
        "{summary:?}"
    );
    assert!(!db.has_legacy_history());
    // The file itself shrank, while the database is still open.
    let (file_after, wal_after) = file_and_wal_bytes(&path);
    assert_eq!(file_after, summary.bytes_after);
    assert!(file_after < 100_000, "{file_after} bytes after pruning");
    assert_eq!(wal_after, 0);
    assert_eq!(
        db.export_interchange(None, InterchangeFormat::Complete)
            .unwrap(),
        db.export_interchange(None, InterchangeFormat::Minimal)
            .unwrap()
    );
    // Pruning again changes nothing.
    let again = db.prune().unwrap();
    assert_eq!((again.blocks_deleted, again.bytes_after), (0, file_after));

    drop(db);
    let mut db = file_db(&dir);
    let after: Vec<_> = keys.iter().map(|k| db.watermarks(k).unwrap()).collect();
    assert_eq!(after, before);
    assert_eq!(sign(&mut db, 2, block(5_000), 2), Ok(Safe::SameData));
    assert!(sign(&mut db, 2, block(4_999), 2).is_err());
    assert!(sign(&mut db, 2, att(4_999, 5_000), 2).is_err());
    assert_eq!(sign(&mut db, 2, att(5_001, 5_002), 2), Ok(Safe::Valid));
}

/// A closed database leaves no write-ahead log behind, whether closed explicitly (which reports
/// failures) or dropped.
#[test]
fn closing_leaves_no_write_ahead_log() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sp.sqlite");
    let mut db = file_db(&dir);
    db.register_validators(&[pk(1)]).unwrap();
    for i in 0..100 {
        sign(&mut db, 1, att(i, i + 1), 1).unwrap();
    }
    assert!(file_and_wal_bytes(&path).1 > 0, "a log while open");
    db.close().unwrap();
    assert_eq!(file_and_wal_bytes(&path).1, 0);

    let mut db = file_db(&dir);
    db.lock_exclusively().unwrap();
    sign(&mut db, 1, att(100, 101), 1).unwrap();
    drop(db);
    assert_eq!(file_and_wal_bytes(&path).1, 0);
    let db = file_db(&dir);
    assert_eq!(
        db.watermarks(&pk(1))
            .unwrap()
            .unwrap()
            .attestation
            .unwrap()
            .target
            .0,
        101
    );
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
    // The durable record agrees with what the threads were told: the last slot and the last
    // attestation were signed by the thread that won them, with its root.
    let db = file_db(&dir);
    let wm = db.watermarks(&pk(1)).unwrap().unwrap();
    let last_block = winner[&(SLOTS - 1)];
    assert_eq!(wm.block.unwrap().slot, Slot(SLOTS - 1));
    assert_eq!(wm.block.unwrap().resign_root, Some(root(last_block)));
    let last_att = winner[&(1000 + SLOTS - 1)];
    let a = wm.attestation.unwrap();
    assert_eq!((a.source.0, a.target.0), (SLOTS - 1, SLOTS));
    assert_eq!(a.resign.unwrap().signing_root, root(last_att));
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

/// A version 3 file opens as version 4: the anchor's table appears (empty), the per-key columns
/// version 3 reserved are gone, and the watermarks are untouched.
#[test]
fn a_version_3_database_gains_the_anchor_table() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sp.sqlite");
    {
        let mut db = file_db(&dir);
        db.register_validators(&[pk(1)]).unwrap();
        assert_eq!(sign(&mut db, 1, att(5, 6), 2), Ok(Safe::Valid));
    }
    make_legacy_file(&path, 3, 0);
    let db = file_db(&dir);
    assert_eq!(db.anchor_record().unwrap(), None);
    let wm = db.watermarks(&pk(1)).unwrap().unwrap().attestation.unwrap();
    assert_eq!((wm.source, wm.target), (Epoch(5), Epoch(6)));
    drop(db);
    let raw = rusqlite::Connection::open(&path).unwrap();
    let (version, reserved_columns): (i64, i64) = raw
        .query_row(
            "SELECT schema_version, (SELECT count(*) FROM pragma_table_info('validators') \
             WHERE name LIKE 'anchor_reserved_%') FROM metadata",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!((version, reserved_columns), (4, 0));
}

/// The anchor's row is stored with the watermarks, and a floor raises every key in the same
/// commit: nothing below the floor's epoch can be signed afterwards (a block in an earlier slot,
/// an attestation with an earlier target, or one whose source would let it surround something
/// signed below the floor), while the floor's own epoch can.
#[test]
fn an_anchor_floor_raises_every_key_in_the_same_commit() {
    let dir = tempfile::tempdir().unwrap();
    let mut db = file_db(&dir);
    db.register_validators(&[pk(1), pk(2), pk(3)]).unwrap();
    assert_eq!(sign(&mut db, 1, block(100), 1), Ok(Safe::Valid));
    assert_eq!(sign(&mut db, 1, att(3, 4), 1), Ok(Safe::Valid));
    // Key 3 is already above the floor: it does not move.
    assert_eq!(sign(&mut db, 3, att(20, 21), 1), Ok(Safe::Valid));
    assert_eq!(sign(&mut db, 3, block(1_000), 1), Ok(Safe::Valid));
    let record = AnchorRecord {
        anchor_id: B256::repeat_byte(0xaa),
        session: u64::MAX - 1,
        reserved: 1 << 40,
        closed: false,
        window_start: Epoch(10),
        window_end: Epoch(10),
    };
    let floor = AnchorFloor {
        epoch: Epoch(10),
        slots_per_epoch: 32,
    };
    assert_eq!(db.commit_anchor_record(&record, Some(floor)).unwrap(), 2);
    drop(db);
    let mut db = file_db(&dir);
    assert_eq!(db.anchor_record().unwrap(), Some(record));
    for key in [1, 2] {
        assert!(sign(&mut db, key, block(319), 2).is_err(), "key {key}");
        assert!(sign(&mut db, key, att(8, 9), 2).is_err(), "key {key}");
        assert!(
            sign(&mut db, key, att(8, 10), 2).is_err(),
            "key {key}: surround source"
        );
        assert_eq!(
            sign(&mut db, key, att(9, 10), 2),
            Ok(Safe::Valid),
            "key {key}"
        );
        assert_eq!(
            sign(&mut db, key, block(320), 2),
            Ok(Safe::Valid),
            "key {key}"
        );
    }
    let wm = db.watermarks(&pk(3)).unwrap().unwrap().attestation.unwrap();
    assert_eq!((wm.source, wm.target), (Epoch(20), Epoch(21)));
    // Without a floor only the row changes.
    let closed = AnchorRecord {
        closed: true,
        ..record
    };
    assert_eq!(db.commit_anchor_record(&closed, None).unwrap(), 0);
    assert_eq!(db.anchor_record().unwrap(), Some(closed));
}
