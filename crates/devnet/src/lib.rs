//! lsv's embedded devnet.
//!
//! [`spec`] is the Electra and Fulu consensus state transition, written from the consensus specs
//! and checked against the executable spec's own test vectors (`tests/spec_vectors.rs`,
//! `testdata/consensus-spec-tests`). [`node`] runs the chain slot by slot into a [`store`], and
//! [`api`] serves that store as the standard beacon API.

#![cfg_attr(test, allow(unused_crate_dependencies))]

pub mod anvil;
pub mod api;
pub mod cost;
pub mod devnet;
pub mod execution;
pub mod genesis;
pub mod node;
pub mod p;
pub mod remote;
pub mod signer;
pub mod spec;
pub mod store;
