//! The SQLite schema (version [`SCHEMA_VERSION`]).
//!
//! ```text
//! metadata            one row: schema_version, genesis_validators_root (32 bytes)
//! validators          one row per registered key: its whole slashing-protection record
//!   id                   INTEGER PRIMARY KEY
//!   pubkey               BLOB(48) UNIQUE
//!   block_slot           highest block slot signed or imported (NULL: none yet)
//!   block_resign_root    root P itself signed at block_slot (NULL: zero root, or imported)
//!   att_source           highest attestation source (NULL: none yet; NULL iff att_target is)
//!   att_target           highest attestation target
//!   att_resign_source    source of the attestation P itself signed at att_target, with
//!   att_resign_root      its non-zero root (both NULL: none, or imported)
//!   record_version       incremented with every watermark change of the key
//! anchor              at most one row: P's half of the freshness anchor (version 4)
//!   anchor_id            the anchor this record is bound to (32 bytes)
//!   session, reserved    the anchor's two counters as this record last held them (8 bytes, BE)
//!   closed               1 iff P stopped cleanly at `session`
//!   window_start, window_end  the epochs [start, end) this record may sign in
//! ```
//!
//! Slots and epochs are stored as SQLite integers (signed 64-bit), so values above
//! [`crate::MAX_STORABLE`] are refused rather than stored. A zero signing root is stored as NULL.
//!
//! # No history table (version 3)
//!
//! Every decision reads only a key's row, and re-signing identical data needs only the roots P
//! signed at the watermarks, which the row holds. A history of messages would add nothing to
//! protection, so version 3 keeps none: signing updates one row, an import raises watermarks
//! without storing the imported records, and the database is one row per key (the crate README,
//! "What is kept, and why").
//!
//! Versions 1 and 2 also kept every signed and imported message (`signed_blocks`,
//! `signed_attestations`). Opening such a file migrates it to version 3 in the opening
//! transaction and leaves those rows where they are, as *legacy history*: nothing is added to
//! them, a complete export still carries them, and [`prune`](crate::SlashingDatabase::prune)
//! drops them and shrinks the file. Every legacy row lies at or below its key's watermarks
//! (a signed row was the watermark when signed, an import raised the watermarks to its rows),
//! so dropping them loses no protection.
//!
//! # The freshness anchor (version 4, DESIGN.md "Freshness")
//!
//! A signer with a monotonic anchor (a TPM counter, a witness quorum) keeps its half of the
//! anchor's state in `anchor`, in the same file and transactions as the watermarks it speaks
//! for: which anchor, the counter values it last held, and the epochs it has reserved. One
//! anchor covers every key of the file (a TPM holds a handful of counters, not one per key).
//! [`commit_anchor_record`](crate::SlashingDatabase::commit_anchor_record) writes the row and,
//! when the record may be stale, raises every key's watermarks in the same commit. The protocol
//! itself is P's (`lsv_enclave::anchor`). Version 3's per-key columns reserved for a per-key
//! anchor (`anchor_reserved_slot`, `anchor_reserved_epoch`) were never written and are
//! dropped.

/// The schema version this build reads and writes; versions 1 and 2 are migrated on open, any
/// other is refused.
pub const SCHEMA_VERSION: i64 = 4;

/// Creates every table of a new database (run inside the creating transaction).
pub(crate) const CREATE: &str = r#"
CREATE TABLE metadata (
    id                      INTEGER PRIMARY KEY CHECK (id = 1),
    schema_version          INTEGER NOT NULL,
    genesis_validators_root BLOB NOT NULL CHECK (length(genesis_validators_root) = 32)
);

CREATE TABLE validators (
    id                    INTEGER PRIMARY KEY,
    pubkey                BLOB NOT NULL UNIQUE CHECK (length(pubkey) = 48),
    block_slot            INTEGER CHECK (block_slot >= 0),
    block_resign_root     BLOB CHECK (length(block_resign_root) = 32),
    att_source            INTEGER CHECK (att_source >= 0),
    att_target            INTEGER CHECK (att_target >= 0),
    att_resign_source     INTEGER CHECK (att_resign_source >= 0),
    att_resign_root       BLOB CHECK (length(att_resign_root) = 32),
    record_version        INTEGER NOT NULL DEFAULT 0,
    CHECK (block_slot IS NOT NULL OR block_resign_root IS NULL),
    CHECK ((att_source IS NULL) = (att_target IS NULL)),
    CHECK ((att_resign_source IS NULL) = (att_resign_root IS NULL)),
    CHECK (att_target IS NOT NULL OR att_resign_root IS NULL)
);
"#;

/// The freshness anchor's row (version 4; run inside the creating or migrating transaction).
pub(crate) const CREATE_ANCHOR: &str = r#"
CREATE TABLE anchor (
    id           INTEGER PRIMARY KEY CHECK (id = 1),
    anchor_id    BLOB NOT NULL CHECK (length(anchor_id) = 32),
    session      BLOB NOT NULL CHECK (length(session) = 8),
    reserved     BLOB NOT NULL CHECK (length(reserved) = 8),
    closed       INTEGER NOT NULL CHECK (closed IN (0, 1)),
    window_start INTEGER NOT NULL CHECK (window_start >= 0),
    window_end   INTEGER NOT NULL CHECK (window_end >= window_start)
);
"#;

/// The tables of the history that versions 1 and 2 kept (legacy history, see above).
pub(crate) const LEGACY_HISTORY_TABLES: [&str; 2] = ["signed_blocks", "signed_attestations"];

/// Version 1 → 2: the history's unique indexes become the narrower lookup indexes (run inside
/// the opening transaction; the rows are kept as they are).
pub(crate) const MIGRATE_FROM_V1: &str = r#"
DROP INDEX signed_blocks_unique;
DROP INDEX signed_attestations_unique;
CREATE INDEX signed_blocks_by_slot ON signed_blocks (validator_id, slot);
CREATE INDEX signed_attestations_by_target ON signed_attestations (validator_id, target_epoch);
UPDATE metadata SET schema_version = 2 WHERE id = 1;
"#;

/// Version 2 → 3: the history tables stay as legacy history until the next prune; P no longer
/// writes to them (run inside the opening transaction).
pub(crate) const MIGRATE_FROM_V2: &str = r#"
UPDATE metadata SET schema_version = 3 WHERE id = 1;
"#;

/// Version 3 → 4: the anchor's row, and the per-key columns version 3 reserved for a per-key
/// anchor (never written) go (run inside the opening transaction, after [`CREATE_ANCHOR`]).
pub(crate) const MIGRATE_FROM_V3: &str = r#"
ALTER TABLE validators DROP COLUMN anchor_reserved_slot;
ALTER TABLE validators DROP COLUMN anchor_reserved_epoch;
UPDATE metadata SET schema_version = 4 WHERE id = 1;
"#;
