//! Failures of the database or of an interchange. A refusal to sign is not an error: it is a
//! [`crate::NotSafe`] decision.

use lsv_consensus::{PublicKeyBytes, B256};

/// The database could not be opened, read or written. When a signing check returns this, nothing
/// may be signed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// SQLite failed: the file could not be opened, read or committed.
    #[error("SQLite error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// The database was made for another network.
    #[error("the database belongs to genesis_validators_root {database}, not {expected}")]
    GenesisValidatorsRootMismatch {
        /// The network the database is pinned to.
        database: B256,
        /// The network it was opened for.
        expected: B256,
    },
    /// The file's schema version is not one this build reads (a newer build wrote it).
    #[error(
        "database schema version {found} is not supported (this build reads version {supported})"
    )]
    UnsupportedSchemaVersion {
        /// The file's version.
        found: i64,
        /// The newest version this build reads, the one it writes (older files are migrated).
        supported: i64,
    },
    /// An SQLite file that has tables but not this crate's metadata: another program's.
    #[error("the file is an SQLite database but not a slashing-protection database")]
    NotASlashingDatabase,
    /// A pragma the durability guarantees depend on did not take its required value.
    #[error("PRAGMA {pragma} is {actual:?}, expected {expected:?}")]
    Pragma {
        /// The pragma's name.
        pragma: &'static str,
        /// The value the guarantees need.
        expected: &'static str,
        /// The value SQLite reports.
        actual: String,
    },
    /// A stored value this crate could not have written (a pubkey of the wrong length, half a
    /// watermark, a missing metadata row).
    #[error("corrupt record in the slashing-protection database: {0}")]
    Corrupt(String),
    /// A key the operation needs was never registered (an export of named keys, say).
    #[error("validator {0} is not registered with slashing protection")]
    UnregisteredValidator(PublicKeyBytes),
}

/// An interchange could not be parsed or imported. An import that fails writes nothing.
#[derive(Debug, thiserror::Error)]
pub enum InterchangeError {
    /// The document is not JSON of the EIP-3076 shape (a field missing or of the wrong type, a
    /// number where a decimal string is required).
    #[error("malformed interchange JSON: {0}")]
    Json(#[from] serde_json::Error),
    /// Not version 5, the only one EIP-3076 defines.
    #[error("unsupported interchange_format_version {found:?} (only \"5\" is supported)")]
    UnsupportedFormatVersion {
        /// The version the file states.
        found: String,
    },
    /// The interchange is another network's: nothing is imported.
    #[error("interchange genesis_validators_root {interchange} does not match the database's {database}")]
    GenesisValidatorsRootMismatch {
        /// The network the interchange states.
        interchange: B256,
        /// The network the database is pinned to.
        database: B256,
    },
    /// A slot or epoch above [`crate::MAX_STORABLE`].
    #[error("{field} {value} for {pubkey} is out of the storable range")]
    ValueOutOfRange {
        /// The entry's key.
        pubkey: PublicKeyBytes,
        /// `slot`, `source_epoch` or `target_epoch`.
        field: &'static str,
        /// The value in the interchange.
        value: u64,
    },
    /// The database failed under the import or export.
    #[error(transparent)]
    Database(#[from] Error),
    /// The interchange's reader or writer failed (a closed pipe, a full disk).
    #[error("reading or writing the interchange: {0}")]
    Io(#[from] std::io::Error),
}

impl From<rusqlite::Error> for InterchangeError {
    fn from(e: rusqlite::Error) -> Self {
        Self::Database(Error::Sqlite(e))
    }
}
