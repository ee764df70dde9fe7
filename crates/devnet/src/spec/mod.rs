//! The Electra and Fulu state transition, function by function as the consensus specs define it
//! (`specs/{phase0,altair,bellatrix,capella,deneb,electra,fulu}/beacon-chain.md`, as the
//! executable spec `eth-consensus-specs` 1.7.0a13 assembles them for Fulu).
//!
//! [`Spec`] holds what the functions read besides the state: the chain's [`Config`] and whether
//! signatures are verified (the spec's tests turn BLS off for some vectors; the devnet always
//! verifies). Every `assert` of the spec is an [`TransitionError::Invalid`] naming the function,
//! every `uint64` overflow an [`TransitionError::Overflow`]: a block that fails either leaves
//! the state the caller gave it in an unspecified state, so callers transition a copy.
//!
//! Functions keep the spec's names and order of effects; where this code takes a shortcut for
//! speed (a shuffling computed once for a whole committee, a pubkey index built once per block),
//! a comment says why it gives the spec's result.

mod block;
pub mod bls;
pub mod config;
mod epoch;
mod helpers;
mod operations;
pub mod shuffle;
pub mod state;

pub use config::{Config, SpecPreset};
pub use state::BeaconState;

/// `hash_tree_root(state)`, timed ([`crate::cost`]).
pub(crate) fn state_root<P: SpecPreset>(state: &BeaconState<P>) -> alloy_primitives::B256 {
    crate::cost::time(crate::cost::Part::StateHash, || state.hash_tree_root())
}

use std::marker::PhantomData;
use std::sync::{Arc, Mutex};

/// Why a state transition failed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TransitionError {
    /// A spec `assert` failed: the block, operation or slot target is invalid.
    #[error("invalid: {0}")]
    Invalid(&'static str),
    /// A `uint64` computation overflowed (the spec's integer types raise).
    #[error("uint64 overflow in {0}")]
    Overflow(&'static str),
    /// A list of the state reached its SSZ limit.
    #[error("list full: {0}")]
    ListFull(&'static str),
}

/// `assert` of the spec: `Err(Invalid(what))` unless `cond`.
macro_rules! ensure {
    ($cond:expr, $what:expr) => {
        if !$cond {
            return Err($crate::spec::TransitionError::Invalid($what));
        }
    };
}
pub(crate) use ensure;

/// The spec's functions for preset `P` under a chain's configuration.
#[derive(Clone, Debug)]
pub struct Spec<P: SpecPreset> {
    /// The chain's configuration.
    pub config: Config,
    /// Whether BLS signatures are verified (always, but for test vectors that switch it off).
    pub verify_signatures: bool,
    /// While a block is processed by [`Spec::apply_block`]: the signature checks it asked for,
    /// verified together when the block is done (`None`: each is verified where it is asked).
    deferred: Option<Arc<Mutex<Vec<bls::SignatureSet>>>>,
    _preset: PhantomData<P>,
}

impl<P: SpecPreset> Spec<P> {
    /// The transition under `config`, verifying every signature.
    pub fn new(config: Config) -> Self {
        Self {
            config,
            verify_signatures: true,
            deferred: None,
            _preset: PhantomData,
        }
    }

    /// Checks a signature: at once, or, while a block is processed, with the block's others.
    /// `None` is a set whose bytes already fail (`bls.Verify` returns `false` on them).
    pub(crate) fn check_signature(&self, set: Option<bls::SignatureSet>) -> bool {
        match (set, &self.deferred) {
            (None, _) => false,
            (Some(set), None) => bls::verify_batch(std::slice::from_ref(&set)),
            (Some(set), Some(deferred)) => {
                deferred.lock().expect("not poisoned").push(set);
                true
            }
        }
    }
}
