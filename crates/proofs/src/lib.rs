//! Merkle proofs of a validator's registry entry, balance and inactivity score against a beacon
//! **block** root (the value EIP-4788 exposes), built from an SSZ `BeaconState` of the Electra or
//! Fulu layout, in a byte format a contract verifies with the SHA-256 precompile.
//!
//! - [`state`]: the Electra and Fulu `BeaconState` containers (SSZ by `ethereum_ssz`,
//!   `hash_tree_root` by `tree_hash`), generic over the preset ([`preset::StatePreset`]).
//! - [`gindex`]: the generalized indices lsv proves, documented and derived.
//! - [`merkle`]: trees over `tree_hash`'d chunks, branches, the spec's verification functions.
//! - [`prover`]: [`StateProver`] hashes a state once and builds [`ValidatorProof`]s (and any
//!   single-leaf proof under the nodes it models).
//! - [`proof`]: the proof, its on-chain encoding (FORMAT.md) and the reference verifier.
//! - [`gloas`]: the same proofs for the progressive (Gloas) state layout, format 2, with
//!   [`gloas::GloasStateProver`] over [`state::gloas::BeaconState`].
//! - [`gloas_withdrawal`]: the proof that a withdrawal was paid under ePBS (Gloas): the
//!   `payload_expected_withdrawals` watermark, format 2 of the withdrawal proof.
//! - [`block`]: the Electra (= Fulu) `SignedBeaconBlock` down to its payload's `Withdrawal`s.
//! - [`withdrawal`]: the withdrawal proof (settlement) against an EIP-4788 root, directly or
//!   through `block_roots` / `historical_summaries`: format, reference verifier, prover.

#![cfg_attr(test, allow(unused_crate_dependencies))]

pub mod block;
pub mod gindex;
pub mod gloas;
pub mod gloas_withdrawal;
pub mod merkle;
pub mod preset;
pub mod proof;
pub mod prover;
mod reader;
pub mod state;
pub mod withdrawal;

pub use preset::StatePreset;
pub use proof::{
    Anchor, ListBranch, ListPart, ProofParts, ProvenValidator, ValidatorProof, VerifyError,
};
pub use prover::{ProveError, SingleProof, StateProver};
pub use state::{AnyBeaconState, StateError};
pub use withdrawal::{
    HistoricalPeriod, ProvenWithdrawal, WithdrawalDepths, WithdrawalProof, WithdrawalProveError,
    WithdrawalProver, WithdrawalRoute, WithdrawalVerifyError,
};
