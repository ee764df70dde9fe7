//! Failures of the database or of an interchange. A refusal to sign is not an error: it is a
//! [`crate::NotSafe`] decision.

use lsv_consensus::{PublicKeyBytes, B256};

/// The database could not be opened, read or written. When a signing check returns this, nothing
/// may be signed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("SQLite error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("the database belongs to genesis_validators_root {database}, not {expected}")]
    GenesisValidatorsRootMismatch { database: B256, expected: B256 },
    #[error(
        "database schema version {found} is not supported (this build reads version {supported})"
    )]
    UnsupportedSchemaVersion { found: i64, supported: i64 },
    #[error("the file is an SQLite database but not a slashing-protection database")]
    NotASlashingDatabase,
    #[error("PRAGMA {pragma} is {actual:?}, expected {expected:?}")]
    Pragma {
        pragma: &'static str,
        expected: &'static str,
        actual: String,
    },
    #[error("corrupt record in the slashing-protection database: {0}")]
    Corrupt(String),
    #[error("validator {0} is not registered with slashing protection")]
    UnregisteredValidator(PublicKeyBytes),
}

/// An interchange could not be parsed or imported. An import that fails writes nothing.
#[derive(Debug, thiserror::Error)]
pub enum InterchangeError {
    #[error("malformed interchange JSON: {0}")]
    Json(#[from] serde_json::Error),
    #[error("unsupported interchange_format_version {found:?} (only \"5\" is supported)")]
    UnsupportedFormatVersion { found: String },
    #[error("interchange genesis_validators_root {interchange} does not match the database's {database}")]
    GenesisValidatorsRootMismatch { interchange: B256, database: B256 },
    #[error("{field} {value} for {pubkey} is out of the storable range")]
    ValueOutOfRange {
        pubkey: PublicKeyBytes,
        field: &'static str,
        value: u64,
    },
    #[error(transparent)]
    Database(#[from] Error),
    #[error("reading or writing the interchange: {0}")]
    Io(#[from] std::io::Error),
}

impl From<rusqlite::Error> for InterchangeError {
    fn from(e: rusqlite::Error) -> Self {
        Self::Database(Error::Sqlite(e))
    }
}
