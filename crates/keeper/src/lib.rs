//! The lsv keeper: the bot that proves and submits. For now it fetches beacon blocks and states
//! over the standard beacon API ([`beacon`]) and turns them into the proofs the vault takes,
//! with the EIP-4788 timestamp each call needs ([`prove`]).

#![cfg_attr(test, allow(unused_crate_dependencies))]

pub mod beacon;
pub mod deployment;
pub mod eth;
pub mod holder;
pub mod keeper;
pub mod prove;
pub mod staker;

pub use beacon::{BeaconClient, BeaconError, BlockId, ClientConfig, Limits, StateId};
pub use prove::{
    find_eip4788_time, node_preset, prove_validator, prove_validator_by_preset, prove_validator_in,
    prove_withdrawal, prove_withdrawal_by_preset, prove_withdrawal_in, withdrawal_proof_in,
    AnchoredProof, BuiltProof, Eip4788Time, ProveError, VerifierConfig, WithdrawalSelector,
};
