//! EIP-3076 slashing protection for program P, in a durable SQLite database.
//!
//! This crate owns one job: deciding whether a block or attestation may be signed without
//! becoming slashable, and recording that decision durably before the signature leaves. It knows
//! nothing about keys, BLS or HTTP; the signer asks, signs only on [`Safe`], and maps [`NotSafe`]
//! to a refusal.
//!
//! # Rules (the "minimal" / watermark strategy of EIP-3076)
//!
//! Per registered validator the database keeps three watermarks (see [`Watermarks`]): the highest
//! block slot, the highest attestation source and the highest attestation target, plus, where P
//! itself signed the message at a watermark with a non-zero signing root, that root (so the
//! identical message may be signed again).
//!
//! - A block at slot `s` is [`Safe::Valid`] iff `s` is above the block watermark;
//!   [`Safe::SameData`] iff `s` equals it and the signing root equals the (non-zero) root P itself
//!   signed there; otherwise refused ([`InvalidBlock`]).
//! - An attestation `(source, target)` is [`Safe::Valid`] iff `source <= target`,
//!   `target > max target` and `source >= max source`; [`Safe::SameData`] iff it is exactly the
//!   (non-zero-root) attestation P signed at the target watermark; otherwise refused
//!   ([`InvalidAttestation`]).
//!
//! Decisions read only the watermarks, and re-signing needs only the roots at them, so that is all
//! the database keeps: one row per key, with no history of messages (see [`schema`]; files of
//! older versions keep theirs until [`SlashingDatabase::prune`] drops it and shrinks the file).
//! An interchange import only ever raises watermarks (EIP-3076 minification), which is how
//! interchanges that contain slashable data are imported safely, and an imported root never
//! permits a re-sign. Import and export run in memory bounded by one key's entry
//! ([`MinifiedInterchange::from_json_reader`], [`SlashingDatabase::export_to`]).
//!
//! # Durability and concurrency
//!
//! The database runs in WAL mode with `synchronous=FULL`: a commit is on stable storage before
//! [`SlashingDatabase::check_and_record_batch`] returns, so a signature released after a
//! [`Safe::Valid`] survives power loss. A batch is evaluated in order inside one `BEGIN
//! IMMEDIATE` transaction and committed once (group commit: one fsync for many requests). Every
//! decision re-reads the watermarks inside the write transaction, so several connections (or
//! processes) on one file are still serialised by SQLite.
//!
//! # Freshness
//!
//! Sealing protects secrecy, not freshness: a host that replays an old copy of the database file
//! can obtain a slashable pair. The file therefore carries P's half of a monotonic anchor
//! ([`AnchorRecord`]), committed atomically with the watermarks, and
//! [`SlashingDatabase::commit_anchor_record`] raises every key's watermarks to a floor in the
//! same commit when P finds its record may be stale. The protocol is P's (`lsv_enclave::anchor`);
//! without an anchor, safety assumes a host that does not roll the file back.

#![cfg_attr(test, allow(unused_crate_dependencies))]

pub mod database;
pub mod decision;
pub mod error;
pub mod interchange;
pub mod schema;
pub mod signing_root;
pub mod stream;
pub mod watermarks;

pub use database::{
    AnchorFloor, AnchorRecord, ImportSummary, PruneSummary, SigningCheck, SlashingDatabase,
};
pub use decision::{Decision, InvalidAttestation, InvalidBlock, NotSafe, Safe};
pub use error::{Error, InterchangeError};
pub use interchange::{
    AttestationMaxima, BlockMaxima, Interchange, InterchangeData, InterchangeFormat,
    InterchangeMetadata, MinifiedData, MinifiedInterchange, SignedAttestation, SignedBlock,
    INTERCHANGE_FORMAT_VERSION,
};
pub use signing_root::SigningRoot;
pub use stream::InterchangeWriter;
pub use watermarks::{AttestationWatermark, BlockWatermark, ResignableAttestation, Watermarks};

/// The largest slot or epoch the database can store (SQLite integers are signed 64-bit). Requests
/// above it are refused and interchanges containing such values are rejected; no real chain gets
/// anywhere near it.
pub const MAX_STORABLE: u64 = i64::MAX as u64;
