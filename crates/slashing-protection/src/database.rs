//! [`SlashingDatabase`]: the watermark rules of [`crate::watermarks`] applied to a durable SQLite
//! file, with group commit, interchange import/export and pruning.

use crate::decision::{Decision, NotSafe, Safe};
use crate::error::{Error, InterchangeError};
use crate::interchange::{
    Interchange, InterchangeData, InterchangeFormat, MinifiedInterchange, SignedAttestation,
    SignedBlock,
};
use crate::schema::{self, LEGACY_HISTORY_TABLES, SCHEMA_VERSION};
use crate::stream::InterchangeWriter;
use crate::watermarks::{AttestationWatermark, BlockWatermark, ResignableAttestation, Watermarks};
use lsv_consensus::{Epoch, PublicKeyBytes, SlashingSubject, Slot, B256};
use rusqlite::{params, Connection, OptionalExtension, Row, TransactionBehavior};
use std::io::Write;
use std::path::Path;
use std::time::Duration;

/// How long a write waits for another connection's transaction before failing with "busy".
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// What the write-ahead log is cut back to when it is reset after a checkpoint, so that one large
/// transaction does not leave a large file behind for the rest of P's life.
const WAL_SIZE_LIMIT: i64 = 4 << 20;

/// A key's row as [`watermarks_of`] reads it, and its public key (column 8).
const SELECT_ROWS: &str = "SELECT id, block_slot, block_resign_root, att_source, att_target, \
     att_resign_source, att_resign_root, record_version, pubkey FROM validators";
const SELECT_WATERMARKS: &str = "SELECT id, block_slot, block_resign_root, att_source, \
     att_target, att_resign_source, att_resign_root, record_version, pubkey FROM validators \
     WHERE pubkey = ?1";
const UPDATE_WATERMARKS: &str = "UPDATE validators SET block_slot = ?2, block_resign_root = ?3, \
     att_source = ?4, att_target = ?5, att_resign_source = ?6, att_resign_root = ?7, \
     record_version = ?8 WHERE id = ?1";
const INSERT_VALIDATOR: &str = "INSERT INTO validators (pubkey) VALUES (?1) ON CONFLICT DO NOTHING";

/// P's half of the freshness anchor, as [`SlashingDatabase::anchor_record`] reads it: which
/// anchor the record is bound to, the anchor's two counters as this record last held them, and
/// the epochs it reserved. The protocol that gives these values meaning is P's; this crate only
/// stores them atomically with the watermarks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AnchorRecord {
    /// The anchor's identity (a hash of its configuration).
    pub anchor_id: B256,
    /// The anchor's session counter as this record last held it.
    pub session: u64,
    /// The anchor's reservation counter as this record last held it.
    pub reserved: u64,
    /// Whether P stopped cleanly at `session`, with this record complete.
    pub closed: bool,
    /// The first epoch of the run of epochs this record reserved without a break.
    pub window_start: Epoch,
    /// The first epoch it has not reserved.
    pub window_end: Epoch,
}

/// The epoch below which nothing may be signed after [`SlashingDatabase::commit_anchor_record`],
/// and the slots per epoch that turn it into a block slot.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AnchorFloor {
    /// The first epoch that may still be signed in.
    pub epoch: Epoch,
    /// The network's `SLOTS_PER_EPOCH`.
    pub slots_per_epoch: u64,
}

/// One message to check, for [`SlashingDatabase::check_and_record_batch`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SigningCheck {
    /// The key that would sign.
    pub pubkey: PublicKeyBytes,
    /// What about the message can be slashed: a block's slot, an attestation's source and target,
    /// or nothing.
    pub subject: SlashingSubject,
    /// The root that will be signed. Compared only for [`Safe::SameData`]; zero means unknown.
    pub signing_root: B256,
}

impl SigningCheck {
    /// A check of a block proposal at `slot`.
    pub fn block(pubkey: PublicKeyBytes, slot: Slot, signing_root: B256) -> Self {
        Self {
            pubkey,
            subject: SlashingSubject::Block { slot },
            signing_root,
        }
    }

    /// A check of an attestation from `source` to `target`.
    pub fn attestation(
        pubkey: PublicKeyBytes,
        source: Epoch,
        target: Epoch,
        signing_root: B256,
    ) -> Self {
        Self {
            pubkey,
            subject: SlashingSubject::Attestation { source, target },
            signing_root,
        }
    }
}

/// What an interchange import did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ImportSummary {
    /// Entries (`data[]` items) processed; a key may appear more than once.
    pub entries: usize,
    /// Keys that were not registered before and now are.
    pub newly_registered: usize,
    /// Entries that changed a key's watermarks (raised one, or cleared a re-sign root).
    pub watermarks_changed: usize,
    /// Signed blocks read; each entry keeps only their highest slot.
    pub blocks_read: u64,
    /// Signed attestations read; each entry keeps only their highest source and target.
    pub attestations_read: u64,
}

/// What [`SlashingDatabase::prune`] deleted, and the file's size before and after.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PruneSummary {
    /// Legacy history rows deleted (files from before version 3 only).
    pub blocks_deleted: usize,
    /// Legacy history rows of attestations deleted (files from before version 3 only).
    pub attestations_deleted: usize,
    /// The database's size in bytes (pages in use, the write-ahead log aside) before pruning.
    pub bytes_before: u64,
    /// The same after pruning; the file itself has this size once `prune` returns.
    pub bytes_after: u64,
}

/// The slashing-protection database of one chain (one genesis validators root).
///
/// Methods that write take `&mut self`, so requests through one handle are serialised by the
/// borrow checker (share it behind a mutex); every decision also re-reads the watermarks inside
/// an immediate (write-locked) transaction, so separate connections to the same file are
/// serialised by SQLite as well.
#[derive(Debug)]
pub struct SlashingDatabase {
    conn: Connection,
    genesis_validators_root: B256,
    /// Whether the file still holds the history of a version before 3 (see [`schema`]).
    legacy_history: bool,
    on_disk: bool,
}

impl SlashingDatabase {
    /// Opens the database at `path`, creating it for `genesis_validators_root` if the file is new
    /// or empty. Fails if it belongs to another genesis validators root, has another schema
    /// version, or is some other SQLite database. Sets WAL mode, `synchronous=FULL` and foreign
    /// keys, and checks that they took effect.
    pub fn open(path: impl AsRef<Path>, genesis_validators_root: B256) -> Result<Self, Error> {
        let conn = Connection::open(path)?;
        Self::init(conn, genesis_validators_root, true)
    }

    /// A private in-memory database (for tests): same rules, no durability.
    pub fn open_in_memory(genesis_validators_root: B256) -> Result<Self, Error> {
        let conn = Connection::open_in_memory()?;
        Self::init(conn, genesis_validators_root, false)
    }

    fn init(mut conn: Connection, gvr: B256, on_disk: bool) -> Result<Self, Error> {
        conn.busy_timeout(BUSY_TIMEOUT)?;
        if on_disk {
            let mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))?;
            if !mode.eq_ignore_ascii_case("wal") {
                return Err(Error::Pragma {
                    pragma: "journal_mode",
                    expected: "wal",
                    actual: mode,
                });
            }
        }
        conn.execute_batch(&format!(
            "PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON; \
             PRAGMA journal_size_limit = {WAL_SIZE_LIMIT};"
        ))?;
        check_pragma(&conn, "synchronous", 2, "2 (FULL)")?;
        check_pragma(&conn, "foreign_keys", 1, "1 (ON)")?;
        conn.set_prepared_statement_cache_capacity(32);

        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let tables: i64 = tx.query_row(
            "SELECT count(*) FROM sqlite_master WHERE type = 'table'",
            [],
            |r| r.get(0),
        )?;
        let has_metadata: bool = tx.query_row(
            "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'metadata')",
            [],
            |r| r.get(0),
        )?;
        if !has_metadata {
            if tables != 0 {
                return Err(Error::NotASlashingDatabase);
            }
            tx.execute_batch(schema::CREATE)?;
            tx.execute_batch(schema::CREATE_ANCHOR)?;
            tx.execute(
                "INSERT INTO metadata (id, schema_version, genesis_validators_root) VALUES (1, ?1, ?2)",
                params![SCHEMA_VERSION, gvr.as_slice()],
            )?;
            tracing::info!(
                %gvr,
                schema_version = SCHEMA_VERSION,
                "created slashing-protection database"
            );
        } else {
            let (version, stored): (i64, Vec<u8>) = tx
                .query_row(
                    "SELECT schema_version, genesis_validators_root FROM metadata WHERE id = 1",
                    [],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .optional()?
                .ok_or_else(|| Error::Corrupt("metadata row missing".into()))?;
            if !(1..=SCHEMA_VERSION).contains(&version) {
                return Err(Error::UnsupportedSchemaVersion {
                    found: version,
                    supported: SCHEMA_VERSION,
                });
            }
            if version == 1 {
                tx.execute_batch(schema::MIGRATE_FROM_V1)?;
            }
            if version <= 2 {
                tx.execute_batch(schema::MIGRATE_FROM_V2)?;
            }
            if version <= 3 {
                tx.execute_batch(schema::CREATE_ANCHOR)?;
                tx.execute_batch(schema::MIGRATE_FROM_V3)?;
            }
            if version < SCHEMA_VERSION {
                tracing::info!(
                    from = version,
                    to = SCHEMA_VERSION,
                    "migrated slashing-protection database (its history is kept until the next prune)"
                );
            }
            let stored = B256::try_from(stored.as_slice())
                .map_err(|_| Error::Corrupt("genesis_validators_root is not 32 bytes".into()))?;
            if stored != gvr {
                return Err(Error::GenesisValidatorsRootMismatch {
                    database: stored,
                    expected: gvr,
                });
            }
        }
        let legacy_history = has_legacy_history(&tx)?;
        tx.commit()?;
        Ok(Self {
            conn,
            genesis_validators_root: gvr,
            legacy_history,
            on_disk,
        })
    }

    /// Closes the database: checkpoints the write-ahead log into the file, truncates it, and
    /// closes the connection (SQLite then deletes the log). Dropping the database closes it
    /// too; this says whether it worked. Every commit was already durable; a failure here
    /// leaves a log that the next open replays.
    pub fn close(self) -> Result<(), Error> {
        if self.on_disk {
            checkpoint(&self.conn)?;
        }
        self.conn.close().map_err(|(_, e)| Error::Sqlite(e))
    }

    /// Whether the file still holds history from before version 3, which a complete export
    /// carries and [`prune`](Self::prune) removes.
    pub fn has_legacy_history(&self) -> bool {
        self.legacy_history
    }

    /// The database's size in bytes: the pages in use, the write-ahead log aside.
    pub fn size_bytes(&self) -> Result<u64, Error> {
        let pages: i64 = self.conn.query_row("PRAGMA page_count", [], |r| r.get(0))?;
        let page_size: i64 = self.conn.query_row("PRAGMA page_size", [], |r| r.get(0))?;
        Ok(u64::try_from(pages * page_size).unwrap_or(0))
    }

    /// Takes the file for this connection alone until it closes (`locking_mode = EXCLUSIVE`):
    /// no other connection or process can read or write it meanwhile, and each transaction
    /// skips the file-lock system calls and the shared-memory WAL index. For a signer that is
    /// the database's only user; a second signer on the same file fails to start instead.
    pub fn lock_exclusively(&mut self) -> Result<(), Error> {
        let mode: String = self
            .conn
            .query_row("PRAGMA locking_mode = EXCLUSIVE", [], |r| r.get(0))?;
        if !mode.eq_ignore_ascii_case("exclusive") {
            return Err(Error::Pragma {
                pragma: "locking_mode",
                expected: "exclusive",
                actual: mode,
            });
        }
        // The lock is taken at the next write; take it now so a competitor fails at start-up.
        self.conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?
            .commit()?;
        Ok(())
    }

    /// The genesis validators root this database protects.
    pub fn genesis_validators_root(&self) -> B256 {
        self.genesis_validators_root
    }

    /// Registers keys (idempotent), in one transaction. Returns how many were new.
    pub fn register_validators(&mut self, pubkeys: &[PublicKeyBytes]) -> Result<usize, Error> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let mut added = 0;
        {
            let mut insert = tx.prepare_cached(INSERT_VALIDATOR)?;
            for pk in pubkeys {
                added += insert.execute([pk.as_bytes().as_slice()])?;
            }
        }
        tx.commit()?;
        Ok(added)
    }

    /// Whether `pubkey` is registered.
    pub fn is_registered(&self, pubkey: &PublicKeyBytes) -> Result<bool, Error> {
        Ok(load_watermarks(&self.conn, pubkey)?.is_some())
    }

    /// Every registered key, in registration order.
    pub fn registered_validators(&self) -> Result<Vec<PublicKeyBytes>, Error> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT pubkey FROM validators ORDER BY id")?;
        let rows = stmt.query_map([], |r| r.get::<_, Vec<u8>>(0))?;
        rows.map(|r| {
            let bytes = r?;
            PublicKeyBytes::from_slice(&bytes)
                .ok_or_else(|| Error::Corrupt("pubkey is not 48 bytes".into()))
        })
        .collect()
    }

    /// The freshness anchor's row (see [`schema`]), or `None` if this record was never bound to
    /// an anchor.
    pub fn anchor_record(&self) -> Result<Option<AnchorRecord>, Error> {
        self.conn
            .query_row(
                "SELECT anchor_id, session, reserved, closed, window_start, window_end \
                 FROM anchor WHERE id = 1",
                [],
                |row| {
                    Ok((
                        row.get::<_, Vec<u8>>(0)?,
                        row.get::<_, Vec<u8>>(1)?,
                        row.get::<_, Vec<u8>>(2)?,
                        row.get::<_, bool>(3)?,
                        row.get::<_, i64>(4)?,
                        row.get::<_, i64>(5)?,
                    ))
                },
            )
            .optional()?
            .map(|(id, session, reserved, closed, start, end)| {
                let counter = |b: Vec<u8>| {
                    <[u8; 8]>::try_from(b.as_slice())
                        .map(u64::from_be_bytes)
                        .map_err(|_| Error::Corrupt("an anchor counter is not 8 bytes".into()))
                };
                let epoch = |v: i64| {
                    u64::try_from(v)
                        .map(Epoch)
                        .map_err(|_| Error::Corrupt("a negative anchor epoch".into()))
                };
                Ok(AnchorRecord {
                    anchor_id: B256::try_from(id.as_slice())
                        .map_err(|_| Error::Corrupt("anchor_id is not 32 bytes".into()))?,
                    session: counter(session)?,
                    reserved: counter(reserved)?,
                    closed,
                    window_start: epoch(start)?,
                    window_end: epoch(end)?,
                })
            })
            .transpose()
    }

    /// Writes the freshness anchor's row and, with `floor`, raises every registered key's
    /// watermarks so that nothing in an epoch below it can be signed any more, in one durable
    /// commit. Returns how many keys' watermarks rose.
    ///
    /// The floor is the rule for a record that may be stale (rolled back, cloned, or cut short
    /// by a crash): some copy of it may have signed anything in the epochs below the floor, so
    /// a block needs a slot in the floor's epoch or later, and an attestation a target at the
    /// floor or later and a source no lower than the epoch before it (so it can neither be a
    /// double vote with, nor surround, anything signed below the floor). The raise is an
    /// import's: watermarks only rise, and a watermark the floor reaches loses its re-sign root.
    pub fn commit_anchor_record(
        &mut self,
        record: &AnchorRecord,
        floor: Option<AnchorFloor>,
    ) -> Result<usize, Error> {
        if record.window_end < record.window_start {
            return Err(Error::Corrupt(format!(
                "anchor window [{}, {}) ends before it starts",
                record.window_start, record.window_end
            )));
        }
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        tx.execute(
            "INSERT INTO anchor (id, anchor_id, session, reserved, closed, window_start, \
             window_end) VALUES (1, ?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (id) DO UPDATE SET \
             anchor_id = excluded.anchor_id, session = excluded.session, \
             reserved = excluded.reserved, closed = excluded.closed, \
             window_start = excluded.window_start, window_end = excluded.window_end",
            params![
                record.anchor_id.as_slice(),
                record.session.to_be_bytes().as_slice(),
                record.reserved.to_be_bytes().as_slice(),
                record.closed,
                to_sql(record.window_start.as_u64())?,
                to_sql(record.window_end.as_u64())?,
            ],
        )?;
        let mut raised = 0;
        if let Some(floor) = floor.filter(|f| f.epoch.as_u64() > 0) {
            let epoch = floor.epoch.as_u64();
            let first_slot = epoch
                .checked_mul(floor.slots_per_epoch)
                .filter(|s| *s <= crate::MAX_STORABLE)
                .ok_or_else(|| Error::Corrupt(format!("anchor floor epoch {epoch} too high")))?;
            let below = Epoch(epoch - 1);
            let rows: Vec<(i64, Watermarks)> = {
                let mut stmt = tx.prepare_cached(SELECT_ROWS)?;
                let mut rows = stmt.query([])?;
                let mut out = Vec::new();
                while let Some(row) = rows.next()? {
                    out.push(watermarks_of(row)?);
                }
                out
            };
            for (id, before) in rows {
                let after =
                    before.raise_by_import(Some(Slot(first_slot - 1)), Some((below, below)));
                if after != before {
                    store_watermarks(&tx, id, &after)?;
                    raised += 1;
                }
            }
        }
        tx.commit()?;
        Ok(raised)
    }

    /// The watermarks of `pubkey`, or `None` if it is not registered.
    pub fn watermarks(&self, pubkey: &PublicKeyBytes) -> Result<Option<Watermarks>, Error> {
        Ok(load_watermarks(&self.conn, pubkey)?.map(|(_, wm)| wm))
    }

    /// Checks one message and, if it is [`Safe::Valid`], records it durably before returning.
    /// [`SlashingSubject::None`] is always `Valid` and writes nothing. See
    /// [`check_and_record_batch`](Self::check_and_record_batch) for the contract.
    pub fn check_and_record(
        &mut self,
        pubkey: &PublicKeyBytes,
        subject: SlashingSubject,
        signing_root: B256,
    ) -> Result<Decision, Error> {
        let item = SigningCheck {
            pubkey: *pubkey,
            subject,
            signing_root,
        };
        let mut decisions = self.check_and_record_batch(std::slice::from_ref(&item))?;
        decisions
            .pop()
            .ok_or_else(|| Error::Corrupt("batch of one returned no decision".into()))
    }

    /// Group commit: checks `items` in order inside one write transaction, recording every
    /// [`Safe::Valid`] one, and commits once (one fsync for the whole batch).
    ///
    /// - Later items see the records of earlier ones, so two conflicting items in one batch can
    ///   never both be `Safe`; the result for item `i` is exactly what checking the items one by
    ///   one would give.
    /// - A `NotSafe` item writes nothing and does not affect the others.
    /// - `Ok(decisions)` is returned only after the commit is durable; only then may the `Safe`
    ///   items be signed. On `Err` (including a failed commit) the transaction is rolled back and
    ///   **no** item may be treated as signed.
    pub fn check_and_record_batch(
        &mut self,
        items: &[SigningCheck],
    ) -> Result<Vec<Decision>, Error> {
        if items.iter().all(|i| i.subject == SlashingSubject::None) {
            return Ok(vec![Ok(Safe::Valid); items.len()]);
        }
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let decisions = items
            .iter()
            .map(|item| check_and_record_one(&tx, item))
            .collect::<Result<Vec<_>, _>>()?;
        tx.commit()?;
        for (item, decision) in items.iter().zip(&decisions) {
            match decision {
                Ok(safe) => {
                    tracing::debug!(
                        pubkey = %item.pubkey, subject = ?item.subject, outcome = ?safe,
                        "slashing protection: safe"
                    )
                }
                Err(reason) => {
                    tracing::warn!(
                        pubkey = %item.pubkey, subject = ?item.subject, %reason,
                        "slashing protection: refused"
                    )
                }
            }
        }
        Ok(decisions)
    }

    /// Imports an EIP-3076 interchange (complete or minimal) in one transaction: the same as
    /// [`import_minified`](Self::import_minified) of [`Interchange::minify`].
    pub fn import_interchange(
        &mut self,
        interchange: &Interchange,
    ) -> Result<ImportSummary, InterchangeError> {
        interchange.validate()?;
        self.import_minified(&interchange.minify())
    }

    /// Imports a minified interchange in one transaction.
    ///
    /// The interchange must be version 5 and for this database's genesis validators root;
    /// otherwise nothing is written. Unknown keys are registered. Each key's watermarks are only
    /// ever raised, to the interchange's highest slot, source and target (minification: this is
    /// how interchanges with slashable data are imported safely); a watermark the import reaches
    /// loses its re-sign root. The records themselves are not stored: the watermarks are all
    /// that protection needs of them.
    pub fn import_minified(
        &mut self,
        interchange: &MinifiedInterchange,
    ) -> Result<ImportSummary, InterchangeError> {
        interchange.validate()?;
        let theirs = interchange.metadata.genesis_validators_root;
        if theirs != self.genesis_validators_root {
            return Err(InterchangeError::GenesisValidatorsRootMismatch {
                interchange: theirs,
                database: self.genesis_validators_root,
            });
        }
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let mut summary = ImportSummary::default();
        for entry in &interchange.data {
            summary.entries += 1;
            summary.blocks_read += entry.blocks.count;
            summary.attestations_read += entry.attestations.count;
            let (id, before) = match load_watermarks(&tx, &entry.pubkey)? {
                Some(found) => found,
                None => {
                    tx.prepare_cached(INSERT_VALIDATOR)?
                        .execute([entry.pubkey.as_bytes().as_slice()])?;
                    summary.newly_registered += 1;
                    (tx.last_insert_rowid(), Watermarks::default())
                }
            };
            let after = before.raise_by_import(entry.blocks.max_slot, entry.attestations.max);
            if after != before {
                store_watermarks(&tx, id, &after)?;
                summary.watermarks_changed += 1;
            }
        }
        tx.commit()?;
        tracing::info!(?summary, "imported slashing-protection interchange");
        Ok(summary)
    }

    /// Exports an EIP-3076 interchange for `pubkeys` (all registered keys if `None`, in
    /// registration order), built in memory. Fails with [`Error::UnregisteredValidator`] for an
    /// unknown key. [`export_to`](Self::export_to) writes the same document in bounded memory.
    ///
    /// [`InterchangeFormat::Minimal`] gives per key one block at the block watermark and one
    /// attestation at (max source, max target), with a root only where P itself signed exactly
    /// that message. [`InterchangeFormat::Complete`] gives the same, preceded by the legacy
    /// history of a file from before version 3 until it is pruned (the watermark entries are
    /// then added only where that history does not already imply them). Either way, importing
    /// the result reproduces the watermarks.
    pub fn export_interchange(
        &self,
        pubkeys: Option<&[PublicKeyBytes]>,
        format: InterchangeFormat,
    ) -> Result<Interchange, Error> {
        let mut data = Vec::new();
        self.for_each_entry(pubkeys, format, |entry| {
            data.push(entry.clone());
            Ok(())
        })?;
        Ok(Interchange::new(self.genesis_validators_root, data))
    }

    /// Writes the interchange [`export_interchange`](Self::export_interchange) would build to
    /// `out`, one key at a time: memory holds one key's entry, whatever the number of keys.
    /// Returns how many entries were written. `out` is flushed, and not synced.
    pub fn export_to<W: Write>(
        &self,
        out: W,
        pubkeys: Option<&[PublicKeyBytes]>,
        format: InterchangeFormat,
    ) -> Result<usize, InterchangeError> {
        let mut writer = InterchangeWriter::new(out, self.genesis_validators_root)?;
        let mut failed = None;
        let walked = self.for_each_entry(pubkeys, format, |entry| {
            writer.entry(entry).map_err(|e| {
                failed = Some(e);
                Error::Corrupt("export stopped".into())
            })
        });
        if let Some(e) = failed {
            return Err(e);
        }
        walked?;
        let entries = writer.entries();
        writer.finish()?;
        Ok(entries)
    }

    /// Calls `f` with each exported entry in turn, inside one read transaction (a consistent
    /// snapshot). The entry is reused: `f` sees each key's data once.
    fn for_each_entry(
        &self,
        pubkeys: Option<&[PublicKeyBytes]>,
        format: InterchangeFormat,
        mut f: impl FnMut(&InterchangeData) -> Result<(), Error>,
    ) -> Result<(), Error> {
        let tx = self.conn.unchecked_transaction()?;
        let with_history = format == InterchangeFormat::Complete && self.legacy_history;
        let mut emit = |id: i64, pubkey: PublicKeyBytes, wm: Watermarks| {
            let mut entry = InterchangeData {
                pubkey,
                signed_blocks: Vec::new(),
                signed_attestations: Vec::new(),
            };
            if with_history {
                load_history(&tx, id, &mut entry)?;
            }
            add_watermark_entries(&mut entry, &wm);
            f(&entry)
        };
        match pubkeys {
            Some(keys) => {
                for pubkey in keys {
                    let (id, wm) = load_watermarks(&tx, pubkey)?
                        .ok_or(Error::UnregisteredValidator(*pubkey))?;
                    emit(id, *pubkey, wm)?;
                }
            }
            None => {
                let mut stmt = tx.prepare(&format!("{SELECT_ROWS} ORDER BY id"))?;
                let mut rows = stmt.query([])?;
                while let Some(row) = rows.next()? {
                    let bytes: Vec<u8> = row.get(8)?;
                    let pubkey = PublicKeyBytes::from_slice(&bytes)
                        .ok_or_else(|| Error::Corrupt("pubkey is not 48 bytes".into()))?;
                    let (id, wm) = watermarks_of(row)?;
                    emit(id, pubkey, wm)?;
                }
            }
        }
        Ok(())
    }

    /// Shrinks the database to its records: drops the legacy history of a file from before
    /// version 3 (every row of it lies at or below its key's watermarks, see [`schema`]), then
    /// rewrites the file without free pages (`VACUUM`) and truncates the write-ahead log, so the
    /// file on disk is as small as the records once this returns. Decisions read only the
    /// watermarks, so pruning never changes one; it only shortens a complete export.
    pub fn prune(&mut self) -> Result<PruneSummary, Error> {
        let bytes_before = self.size_bytes()?;
        let (mut blocks_deleted, mut attestations_deleted) = (0, 0);
        if self.legacy_history {
            let tx = self
                .conn
                .transaction_with_behavior(TransactionBehavior::Immediate)?;
            let count = |table: &str| -> Result<usize, Error> {
                let n: i64 =
                    tx.query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0))?;
                Ok(usize::try_from(n).unwrap_or(0))
            };
            blocks_deleted = count(LEGACY_HISTORY_TABLES[0])?;
            attestations_deleted = count(LEGACY_HISTORY_TABLES[1])?;
            for table in LEGACY_HISTORY_TABLES {
                tx.execute_batch(&format!("DROP TABLE {table}"))?;
            }
            tx.commit()?;
            self.legacy_history = false;
        }
        // Cached statements may name the dropped tables; VACUUM wants none of them open.
        self.conn.flush_prepared_statement_cache();
        self.conn.execute_batch("VACUUM")?;
        if self.on_disk {
            checkpoint(&self.conn)?;
        }
        let summary = PruneSummary {
            blocks_deleted,
            attestations_deleted,
            bytes_before,
            bytes_after: self.size_bytes()?,
        };
        tracing::info!(?summary, "pruned slashing-protection database");
        Ok(summary)
    }
}

/// The decision for one item, recorded in `conn`'s open transaction if `Valid`: one indexed
/// read, and for a `Valid` item one update of the key's row.
fn check_and_record_one(conn: &Connection, item: &SigningCheck) -> Result<Decision, Error> {
    if item.subject == SlashingSubject::None {
        return Ok(Ok(Safe::Valid));
    }
    let Some((id, wm)) = load_watermarks(conn, &item.pubkey)? else {
        return Ok(Err(NotSafe::UnregisteredValidator(item.pubkey)));
    };
    let decision = wm.check(item.subject, item.signing_root);
    if decision == Ok(Safe::Valid) {
        store_watermarks(conn, id, &wm.record(item.subject, item.signing_root))?;
    }
    Ok(decision)
}

/// Adds to `entry` the block and attestation that carry `wm`, unless its rows already imply
/// them: what a minimal export is, and what a complete one adds to legacy history.
fn add_watermark_entries(entry: &mut InterchangeData, wm: &Watermarks) {
    if let Some(b) = wm.block {
        if !entry.signed_blocks.iter().any(|x| x.slot == b.slot) {
            entry.signed_blocks.push(SignedBlock {
                slot: b.slot,
                signing_root: b.resign_root,
            });
        }
    }
    if let Some(a) = wm.attestation {
        let has_source = entry
            .signed_attestations
            .iter()
            .any(|x| x.source_epoch == a.source);
        let has_target = entry
            .signed_attestations
            .iter()
            .any(|x| x.target_epoch == a.target);
        if !(has_source && has_target) {
            entry.signed_attestations.push(SignedAttestation {
                source_epoch: a.source,
                target_epoch: a.target,
                signing_root: a
                    .resign
                    .filter(|own| own.source == a.source)
                    .map(|own| own.signing_root),
            });
        }
    }
}

/// Truncates the write-ahead log after copying it into the database file.
fn checkpoint(conn: &Connection) -> Result<(), Error> {
    conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))?;
    Ok(())
}

fn has_legacy_history(conn: &Connection) -> Result<bool, Error> {
    Ok(conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?1)",
        [LEGACY_HISTORY_TABLES[0]],
        |r| r.get(0),
    )?)
}

fn check_pragma(
    conn: &Connection,
    pragma: &'static str,
    want: i64,
    expected: &'static str,
) -> Result<(), Error> {
    let got: i64 = conn.query_row(&format!("PRAGMA {pragma}"), [], |r| r.get(0))?;
    if got != want {
        return Err(Error::Pragma {
            pragma,
            expected,
            actual: got.to_string(),
        });
    }
    Ok(())
}

fn load_watermarks(
    conn: &Connection,
    pubkey: &PublicKeyBytes,
) -> Result<Option<(i64, Watermarks)>, Error> {
    let mut stmt = conn.prepare_cached(SELECT_WATERMARKS)?;
    let mut rows = stmt.query([pubkey.as_bytes().as_slice()])?;
    match rows.next()? {
        Some(row) => Ok(Some(watermarks_of(row)?)),
        None => Ok(None),
    }
}

/// The id and watermarks of a row selected as [`SELECT_ROWS`] does.
fn watermarks_of(row: &Row<'_>) -> Result<(i64, Watermarks), Error> {
    let id: i64 = row.get(0)?;
    let block = match opt_u64(row, 1)? {
        Some(slot) => Some(BlockWatermark {
            slot: Slot(slot),
            resign_root: opt_root(row, 2)?,
        }),
        None => None,
    };
    let attestation = match (opt_u64(row, 3)?, opt_u64(row, 4)?) {
        (Some(source), Some(target)) => Some(AttestationWatermark {
            source: Epoch(source),
            target: Epoch(target),
            resign: match (opt_u64(row, 5)?, opt_root(row, 6)?) {
                (Some(s), Some(signing_root)) => Some(ResignableAttestation {
                    source: Epoch(s),
                    signing_root,
                }),
                (None, None) => None,
                _ => return Err(Error::Corrupt("half an attestation re-sign record".into())),
            },
        }),
        (None, None) => None,
        _ => return Err(Error::Corrupt("half an attestation watermark".into())),
    };
    let record_version =
        opt_u64(row, 7)?.ok_or_else(|| Error::Corrupt("record_version is NULL".into()))?;
    Ok((
        id,
        Watermarks {
            block,
            attestation,
            record_version,
        },
    ))
}

fn store_watermarks(conn: &Connection, id: i64, wm: &Watermarks) -> Result<(), Error> {
    let block_slot = wm.block.map(|b| to_sql(b.slot.as_u64())).transpose()?;
    let block_root = wm.block.and_then(|b| b.resign_root);
    let (att_source, att_target, resign_source, resign_root) = match wm.attestation {
        Some(a) => (
            Some(to_sql(a.source.as_u64())?),
            Some(to_sql(a.target.as_u64())?),
            a.resign.map(|r| to_sql(r.source.as_u64())).transpose()?,
            a.resign.map(|r| r.signing_root),
        ),
        None => (None, None, None, None),
    };
    let changed = conn.prepare_cached(UPDATE_WATERMARKS)?.execute(params![
        id,
        block_slot,
        block_root.as_ref().map(|r| r.as_slice()),
        att_source,
        att_target,
        resign_source,
        resign_root.as_ref().map(|r| r.as_slice()),
        to_sql(wm.record_version)?,
    ])?;
    if changed != 1 {
        return Err(Error::Corrupt(format!("validator row {id} vanished")));
    }
    Ok(())
}

fn load_history(conn: &Connection, id: i64, entry: &mut InterchangeData) -> Result<(), Error> {
    let mut blocks = conn.prepare_cached(
        "SELECT slot, signing_root FROM signed_blocks WHERE validator_id = ?1 \
         ORDER BY slot, signing_root",
    )?;
    let mut rows = blocks.query([id])?;
    while let Some(row) = rows.next()? {
        entry.signed_blocks.push(SignedBlock {
            slot: Slot(req_u64(row, 0)?),
            signing_root: opt_root(row, 1)?,
        });
    }
    let mut atts = conn.prepare_cached(
        "SELECT source_epoch, target_epoch, signing_root FROM signed_attestations \
         WHERE validator_id = ?1 ORDER BY target_epoch, source_epoch, signing_root",
    )?;
    let mut rows = atts.query([id])?;
    while let Some(row) = rows.next()? {
        entry.signed_attestations.push(SignedAttestation {
            source_epoch: Epoch(req_u64(row, 0)?),
            target_epoch: Epoch(req_u64(row, 1)?),
            signing_root: opt_root(row, 2)?,
        });
    }
    Ok(())
}

/// A slot, epoch or counter as an SQLite integer. Callers have already refused values above
/// [`crate::MAX_STORABLE`]; this is the last line of defence.
fn to_sql(v: u64) -> Result<i64, Error> {
    i64::try_from(v).map_err(|_| Error::Corrupt(format!("{v} does not fit an SQLite integer")))
}

fn opt_u64(row: &Row<'_>, idx: usize) -> Result<Option<u64>, Error> {
    row.get::<_, Option<i64>>(idx)?
        .map(|v| u64::try_from(v).map_err(|_| Error::Corrupt(format!("negative integer {v}"))))
        .transpose()
}

fn req_u64(row: &Row<'_>, idx: usize) -> Result<u64, Error> {
    opt_u64(row, idx)?.ok_or_else(|| Error::Corrupt("unexpected NULL".into()))
}

fn opt_root(row: &Row<'_>, idx: usize) -> Result<Option<B256>, Error> {
    match row.get_ref(idx)?.as_blob_or_null() {
        Ok(None) => Ok(None),
        Ok(Some(bytes)) => B256::try_from(bytes)
            .map(Some)
            .map_err(|_| Error::Corrupt("signing root is not 32 bytes".into())),
        Err(e) => Err(Error::Sqlite(e.into())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_database_is_wal_synchronous_full_with_foreign_keys() {
        let dir = tempfile::tempdir().unwrap();
        let db = SlashingDatabase::open(dir.path().join("sp.sqlite"), B256::ZERO).unwrap();
        let mode: String = db
            .conn
            .query_row("PRAGMA journal_mode", [], |r| r.get(0))
            .unwrap();
        assert_eq!(mode, "wal");
        let sync: i64 = db
            .conn
            .query_row("PRAGMA synchronous", [], |r| r.get(0))
            .unwrap();
        assert_eq!(sync, 2);
        let fk: i64 = db
            .conn
            .query_row("PRAGMA foreign_keys", [], |r| r.get(0))
            .unwrap();
        assert_eq!(fk, 1);
        let limit: i64 = db
            .conn
            .query_row("PRAGMA journal_size_limit", [], |r| r.get(0))
            .unwrap();
        assert_eq!(limit, WAL_SIZE_LIMIT);
    }

    #[test]
    fn a_new_database_is_metadata_an_anchor_row_and_one_row_per_key() {
        let mut db = SlashingDatabase::open_in_memory(B256::ZERO).unwrap();
        let tables: Vec<String> = db
            .conn
            .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(tables, ["anchor", "metadata", "validators"]);
        assert!(!db.has_legacy_history());
        // Signing changes the key's row and adds none.
        let pk = PublicKeyBytes([0xa0; 48]);
        db.register_validators(&[pk]).unwrap();
        for slot in 1..=10 {
            let subject = SlashingSubject::Block { slot: Slot(slot) };
            let d = db
                .check_and_record(&pk, subject, B256::repeat_byte(1))
                .unwrap();
            assert_eq!(d, Ok(Safe::Valid));
        }
        let rows: i64 = db
            .conn
            .query_row("SELECT count(*) FROM validators", [], |r| r.get(0))
            .unwrap();
        assert_eq!(rows, 1);
    }
}
