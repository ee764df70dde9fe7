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
//!   record_version       incremented with every watermark change            (freshness anchor)
//!   anchor_reserved_slot   NULL today; reserved block slot committed to the anchor  (")
//!   anchor_reserved_epoch  NULL today; reserved attestation epoch committed to it   (")
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
//! # Reserved for the freshness anchor (DESIGN.md "Freshness")
//!
//! Nothing here is enforced yet. The plan the columns are laid out for: before signing above
//! `anchor_reserved_slot` / `anchor_reserved_epoch`, P raises them in steps (say 1,000 slots or
//! 32 epochs ahead) and binds `(pubkey, record_version, reserved values)` to a monotonic anchor
//! the host cannot rewind (a TPM NV counter or a witness quorum), so the anchor is touched
//! rarely. On start P compares the anchor with each row: a row whose `record_version` is behind
//! the anchor was rolled back, and its watermarks are raised to the reserved values before
//! anything is signed. Until then, slashing safety assumes a host that does not roll the file
//! back.

/// The schema version this build reads and writes; versions 1 and 2 are migrated on open, any
/// other is refused.
pub const SCHEMA_VERSION: i64 = 3;

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
    anchor_reserved_slot  INTEGER,
    anchor_reserved_epoch INTEGER,
    CHECK (block_slot IS NOT NULL OR block_resign_root IS NULL),
    CHECK ((att_source IS NULL) = (att_target IS NULL)),
    CHECK ((att_resign_source IS NULL) = (att_resign_root IS NULL)),
    CHECK (att_target IS NOT NULL OR att_resign_root IS NULL)
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
