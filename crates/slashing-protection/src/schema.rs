//! The SQLite schema (version [`SCHEMA_VERSION`]).
//!
//! ```text
//! metadata            one row: schema_version, genesis_validators_root (32 bytes)
//! validators          one row per registered key: the watermarks (all decisions read only these)
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
//! signed_blocks       history (audit log, complete export): validator_id, slot, signing_root,
//!                     origin (0 = signed by P, 1 = imported); one row per (key, slot, root)
//! signed_attestations history: validator_id, source_epoch, target_epoch, signing_root, origin;
//!                     one row per (key, target, source, root)
//! ```
//!
//! Slots and epochs are stored as SQLite integers (signed 64-bit), so values above
//! [`crate::MAX_STORABLE`] are refused rather than stored. A zero signing root is stored as NULL.
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

//!
//! # History rows are never duplicated, without a unique index
//!
//! A row P signs is new by construction: a `Valid` decision is strictly above the key's
//! watermark, and re-signing identical data (`SameData`) writes nothing. Imports skip rows
//! already present (`INSERT … WHERE NOT EXISTS`, through the (key, slot) and (key, target)
//! indexes). Version 1 enforced the same with unique indexes on the whole row, whose upkeep
//! cost every signature ~5 µs of the slashing-protection writer's CPU (a third of its per-check
//! work); version 2 keeps the narrower indexes only.

/// The schema version this build reads and writes; version 1 is migrated on open, any other
/// is refused.
pub const SCHEMA_VERSION: i64 = 2;

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

CREATE TABLE signed_blocks (
    validator_id INTEGER NOT NULL REFERENCES validators (id),
    slot         INTEGER NOT NULL CHECK (slot >= 0),
    signing_root BLOB CHECK (length(signing_root) = 32),
    origin       INTEGER NOT NULL CHECK (origin IN (0, 1))
);
CREATE INDEX signed_blocks_by_slot ON signed_blocks (validator_id, slot);

CREATE TABLE signed_attestations (
    validator_id INTEGER NOT NULL REFERENCES validators (id),
    source_epoch INTEGER NOT NULL CHECK (source_epoch >= 0),
    target_epoch INTEGER NOT NULL CHECK (target_epoch >= 0),
    signing_root BLOB CHECK (length(signing_root) = 32),
    origin       INTEGER NOT NULL CHECK (origin IN (0, 1))
);
CREATE INDEX signed_attestations_by_target ON signed_attestations (validator_id, target_epoch);
"#;

/// `origin` of a history row P signed itself.
pub(crate) const ORIGIN_SIGNED: i64 = 0;
/// `origin` of a history row that came from an interchange import.
pub(crate) const ORIGIN_IMPORTED: i64 = 1;

/// Version 1 → 2: the history's unique indexes become the narrower lookup indexes (run inside
/// the opening transaction; the rows are kept as they are).
pub(crate) const MIGRATE_FROM_V1: &str = r#"
DROP INDEX signed_blocks_unique;
DROP INDEX signed_attestations_unique;
CREATE INDEX signed_blocks_by_slot ON signed_blocks (validator_id, slot);
CREATE INDEX signed_attestations_by_target ON signed_attestations (validator_id, target_epoch);
UPDATE metadata SET schema_version = 2 WHERE id = 1;
"#;
