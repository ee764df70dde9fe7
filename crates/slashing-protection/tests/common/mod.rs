//! Helpers shared by the integration tests.
#![allow(dead_code)]

use lsv_consensus::{Epoch, PublicKeyBytes, SlashingSubject, Slot, B256};
use lsv_slashing_protection::{Decision, SlashingDatabase};

pub const GVR: B256 = B256::ZERO;

/// A distinct (not necessarily on-curve) public key per `n`.
pub fn pk(n: u8) -> PublicKeyBytes {
    let mut b = [0u8; 48];
    b[0] = 0xa0;
    b[47] = n;
    PublicKeyBytes(b)
}

/// A non-zero signing root per `n` (`root(0)` is the zero root).
pub fn root(n: u8) -> B256 {
    let mut b = [0u8; 32];
    b[31] = n;
    B256::from(b)
}

pub fn block(slot: u64) -> SlashingSubject {
    SlashingSubject::Block { slot: Slot(slot) }
}

pub fn att(source: u64, target: u64) -> SlashingSubject {
    SlashingSubject::Attestation {
        source: Epoch(source),
        target: Epoch(target),
    }
}

/// An in-memory database with `keys` registered.
pub fn db_with(keys: &[PublicKeyBytes]) -> SlashingDatabase {
    let mut db = SlashingDatabase::open_in_memory(GVR).unwrap();
    db.register_validators(keys).unwrap();
    db
}

/// Checks and records one message, panicking on a database error (never on a refusal).
pub fn sign(db: &mut SlashingDatabase, key: u8, subject: SlashingSubject, r: u8) -> Decision {
    db.check_and_record(&pk(key), subject, root(r)).unwrap()
}
