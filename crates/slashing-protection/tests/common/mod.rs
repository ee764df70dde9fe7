//! Helpers shared by the integration tests.
#![allow(dead_code)]

use lsv_consensus::{Epoch, PublicKeyBytes, SlashingSubject, Slot, B256};
use lsv_slashing_protection::{Decision, SlashingDatabase};

pub(crate) const GVR: B256 = B256::ZERO;

/// A distinct (not necessarily on-curve) public key per `n`.
pub(crate) fn pk(n: u8) -> PublicKeyBytes {
    let mut b = [0u8; 48];
    b[0] = 0xa0;
    b[47] = n;
    PublicKeyBytes(b)
}

/// A non-zero signing root per `n` (`root(0)` is the zero root).
pub(crate) fn root(n: u8) -> B256 {
    let mut b = [0u8; 32];
    b[31] = n;
    B256::from(b)
}

pub(crate) fn block(slot: u64) -> SlashingSubject {
    SlashingSubject::Block { slot: Slot(slot) }
}

pub(crate) fn att(source: u64, target: u64) -> SlashingSubject {
    SlashingSubject::Attestation {
        source: Epoch(source),
        target: Epoch(target),
    }
}

/// An in-memory database with `keys` registered.
pub(crate) fn db_with(keys: &[PublicKeyBytes]) -> SlashingDatabase {
    let mut db = SlashingDatabase::open_in_memory(GVR).unwrap();
    db.register_validators(keys).unwrap();
    db
}

/// Checks and records one message, panicking on a database error (never on a refusal).
pub(crate) fn sign(
    db: &mut SlashingDatabase,
    key: u8,
    subject: SlashingSubject,
    r: u8,
) -> Decision {
    db.check_and_record(&pk(key), subject, root(r)).unwrap()
}

/// Turns the database file at `path` (closed) into one as lsv left it at schema `version` (1, 2
/// or 3): without version 4's anchor table, with version 3's reserved per-key columns, and (1 or
/// 2) the history tables of that version, with `rows` blocks (slots `0..rows`) and `rows`
/// attestations (`(i, i + 1)`) per registered key, `root(i % 250 + 1)` each, and that version
/// in the metadata. The caller keeps the history at or below the watermarks, as P did.
pub(crate) fn make_legacy_file(path: &std::path::Path, version: i64, rows: u64) {
    let mut raw = rusqlite::Connection::open(path).unwrap();
    let tx = raw.transaction().unwrap();
    tx.execute_batch(
        "DROP TABLE anchor;
         ALTER TABLE validators ADD COLUMN anchor_reserved_slot INTEGER;
         ALTER TABLE validators ADD COLUMN anchor_reserved_epoch INTEGER;",
    )
    .unwrap();
    if version == 3 {
        tx.execute("UPDATE metadata SET schema_version = 3", [])
            .unwrap();
        tx.commit().unwrap();
        return;
    }
    tx.execute_batch(
        "CREATE TABLE signed_blocks (
             validator_id INTEGER NOT NULL REFERENCES validators (id),
             slot         INTEGER NOT NULL CHECK (slot >= 0),
             signing_root BLOB CHECK (length(signing_root) = 32),
             origin       INTEGER NOT NULL CHECK (origin IN (0, 1))
         );
         CREATE TABLE signed_attestations (
             validator_id INTEGER NOT NULL REFERENCES validators (id),
             source_epoch INTEGER NOT NULL CHECK (source_epoch >= 0),
             target_epoch INTEGER NOT NULL CHECK (target_epoch >= 0),
             signing_root BLOB CHECK (length(signing_root) = 32),
             origin       INTEGER NOT NULL CHECK (origin IN (0, 1))
         );",
    )
    .unwrap();
    tx.execute_batch(if version == 1 {
        "CREATE UNIQUE INDEX signed_blocks_unique
             ON signed_blocks (validator_id, slot, ifnull(signing_root, x''));
         CREATE UNIQUE INDEX signed_attestations_unique
             ON signed_attestations (validator_id, target_epoch, source_epoch, ifnull(signing_root, x''));"
    } else {
        "CREATE INDEX signed_blocks_by_slot ON signed_blocks (validator_id, slot);
         CREATE INDEX signed_attestations_by_target ON signed_attestations (validator_id, target_epoch);"
    })
    .unwrap();
    let ids: Vec<i64> = tx
        .prepare("SELECT id FROM validators ORDER BY id")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    {
        let mut block = tx
            .prepare("INSERT INTO signed_blocks VALUES (?1, ?2, ?3, 0)")
            .unwrap();
        let mut att = tx
            .prepare("INSERT INTO signed_attestations VALUES (?1, ?2, ?3, ?4, 0)")
            .unwrap();
        for id in ids {
            for i in 0..rows {
                let r = root((i % 250 + 1) as u8);
                block
                    .execute(rusqlite::params![id, i as i64, r.as_slice()])
                    .unwrap();
                att.execute(rusqlite::params![id, i as i64, i as i64 + 1, r.as_slice()])
                    .unwrap();
            }
        }
    }
    tx.execute("UPDATE metadata SET schema_version = ?1", [version])
        .unwrap();
    tx.commit().unwrap();
}

/// The size of the file at `path` and of its write-ahead log (0 if there is none).
pub(crate) fn file_and_wal_bytes(path: &std::path::Path) -> (u64, u64) {
    let len = |p: &std::path::Path| std::fs::metadata(p).map(|m| m.len()).unwrap_or(0);
    let mut wal = path.as_os_str().to_owned();
    wal.push("-wal");
    (len(path), len(std::path::Path::new(&wal)))
}
