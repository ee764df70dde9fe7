//! The state the transition runs on: one Fulu-shaped `BeaconState` and the fork it belongs to.
//!
//! Electra's `BeaconState` is Fulu's first 37 fields; Fulu appends `proposer_lookahead`
//! (EIP-7917). Both have 64 chunk-tree leaves, so an Electra state is the Fulu struct with the
//! last field unused, and its root is the root of the first 37 field roots. Keeping one struct
//! lets every function be written once; [`BeaconState::hash_tree_root`] hashes the shape of the
//! fork in force, and the conversions give back the exact SSZ of each fork.

use super::config::SpecPreset;
use alloy_primitives::B256;
use lsv_consensus::ForkName;
use lsv_proofs::state::{electra, fulu};
use sha2::{Digest, Sha256};
use std::ops::{Deref, DerefMut};

/// A `BeaconState` of Electra or Fulu.
#[derive(Clone, Debug, PartialEq)]
pub struct BeaconState<P: SpecPreset> {
    fork: ForkName,
    state: fulu::BeaconState<P>,
}

impl<P: SpecPreset> Deref for BeaconState<P> {
    type Target = fulu::BeaconState<P>;
    fn deref(&self) -> &Self::Target {
        &self.state
    }
}

impl<P: SpecPreset> DerefMut for BeaconState<P> {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.state
    }
}

/// The number of `BeaconState` fields in Electra (`specs/electra/beacon-chain.md`).
const ELECTRA_FIELDS: usize = 37;

impl<P: SpecPreset> BeaconState<P> {
    /// An Electra state.
    pub fn from_electra(s: electra::BeaconState<P>) -> Self {
        let state = fulu::BeaconState {
            genesis_time: s.genesis_time,
            genesis_validators_root: s.genesis_validators_root,
            slot: s.slot,
            fork: s.fork,
            latest_block_header: s.latest_block_header,
            block_roots: s.block_roots,
            state_roots: s.state_roots,
            historical_roots: s.historical_roots,
            eth1_data: s.eth1_data,
            eth1_data_votes: s.eth1_data_votes,
            eth1_deposit_index: s.eth1_deposit_index,
            validators: s.validators,
            balances: s.balances,
            randao_mixes: s.randao_mixes,
            slashings: s.slashings,
            previous_epoch_participation: s.previous_epoch_participation,
            current_epoch_participation: s.current_epoch_participation,
            justification_bits: s.justification_bits,
            previous_justified_checkpoint: s.previous_justified_checkpoint,
            current_justified_checkpoint: s.current_justified_checkpoint,
            finalized_checkpoint: s.finalized_checkpoint,
            inactivity_scores: s.inactivity_scores,
            current_sync_committee: s.current_sync_committee,
            next_sync_committee: s.next_sync_committee,
            latest_execution_payload_header: s.latest_execution_payload_header,
            next_withdrawal_index: s.next_withdrawal_index,
            next_withdrawal_validator_index: s.next_withdrawal_validator_index,
            historical_summaries: s.historical_summaries,
            deposit_requests_start_index: s.deposit_requests_start_index,
            deposit_balance_to_consume: s.deposit_balance_to_consume,
            exit_balance_to_consume: s.exit_balance_to_consume,
            earliest_exit_epoch: s.earliest_exit_epoch,
            consolidation_balance_to_consume: s.consolidation_balance_to_consume,
            earliest_consolidation_epoch: s.earliest_consolidation_epoch,
            pending_deposits: s.pending_deposits,
            pending_partial_withdrawals: s.pending_partial_withdrawals,
            pending_consolidations: s.pending_consolidations,
            proposer_lookahead: Default::default(),
        };
        Self {
            fork: ForkName::Electra,
            state,
        }
    }

    /// A Fulu state.
    pub fn from_fulu(state: fulu::BeaconState<P>) -> Self {
        Self {
            fork: ForkName::Fulu,
            state,
        }
    }

    /// Decodes the SSZ of a `fork` state (Electra or Fulu).
    pub fn from_ssz_bytes(fork: ForkName, bytes: &[u8]) -> Result<Self, ssz::DecodeError> {
        use ssz::Decode;
        match fork {
            ForkName::Fulu => Ok(Self::from_fulu(fulu::BeaconState::from_ssz_bytes(bytes)?)),
            _ => Ok(Self::from_electra(electra::BeaconState::from_ssz_bytes(
                bytes,
            )?)),
        }
    }

    /// The fork whose shape this state has.
    pub fn fork_name(&self) -> ForkName {
        self.fork
    }

    /// The Electra state (the Fulu field dropped), for an Electra state.
    pub fn to_electra(&self) -> Option<electra::BeaconState<P>> {
        if self.fork != ForkName::Electra {
            return None;
        }
        let s = self.state.clone();
        Some(electra::BeaconState {
            genesis_time: s.genesis_time,
            genesis_validators_root: s.genesis_validators_root,
            slot: s.slot,
            fork: s.fork,
            latest_block_header: s.latest_block_header,
            block_roots: s.block_roots,
            state_roots: s.state_roots,
            historical_roots: s.historical_roots,
            eth1_data: s.eth1_data,
            eth1_data_votes: s.eth1_data_votes,
            eth1_deposit_index: s.eth1_deposit_index,
            validators: s.validators,
            balances: s.balances,
            randao_mixes: s.randao_mixes,
            slashings: s.slashings,
            previous_epoch_participation: s.previous_epoch_participation,
            current_epoch_participation: s.current_epoch_participation,
            justification_bits: s.justification_bits,
            previous_justified_checkpoint: s.previous_justified_checkpoint,
            current_justified_checkpoint: s.current_justified_checkpoint,
            finalized_checkpoint: s.finalized_checkpoint,
            inactivity_scores: s.inactivity_scores,
            current_sync_committee: s.current_sync_committee,
            next_sync_committee: s.next_sync_committee,
            latest_execution_payload_header: s.latest_execution_payload_header,
            next_withdrawal_index: s.next_withdrawal_index,
            next_withdrawal_validator_index: s.next_withdrawal_validator_index,
            historical_summaries: s.historical_summaries,
            deposit_requests_start_index: s.deposit_requests_start_index,
            deposit_balance_to_consume: s.deposit_balance_to_consume,
            exit_balance_to_consume: s.exit_balance_to_consume,
            earliest_exit_epoch: s.earliest_exit_epoch,
            consolidation_balance_to_consume: s.consolidation_balance_to_consume,
            earliest_consolidation_epoch: s.earliest_consolidation_epoch,
            pending_deposits: s.pending_deposits,
            pending_partial_withdrawals: s.pending_partial_withdrawals,
            pending_consolidations: s.pending_consolidations,
        })
    }

    /// The SSZ of the state in its fork's shape.
    pub fn as_ssz_bytes(&self) -> Vec<u8> {
        use ssz::Encode;
        match self.to_electra() {
            Some(e) => e.as_ssz_bytes(),
            None => self.state.as_ssz_bytes(),
        }
    }

    /// Marks the state as Fulu's (`upgrade_to_fulu` writes the fork and the lookahead).
    pub(crate) fn set_fork_name(&mut self, fork: ForkName) {
        self.fork = fork;
    }

    /// `hash_tree_root(state)` in the fork's shape: the 64-leaf tree of the field roots, with
    /// `proposer_lookahead` only in Fulu.
    pub fn hash_tree_root(&self) -> B256 {
        let fields = match self.fork {
            ForkName::Electra => ELECTRA_FIELDS,
            _ => fulu::BeaconState::<P>::FIELD_NAMES.len(),
        };
        let mut level: Vec<[u8; 32]> = (0..64)
            .map(|i| {
                if i < fields {
                    self.state.field_root(i).expect("a field index").0
                } else {
                    [0u8; 32]
                }
            })
            .collect();
        while level.len() > 1 {
            level = level
                .chunks(2)
                .map(|pair| {
                    let mut h = Sha256::new();
                    h.update(pair[0]);
                    h.update(pair[1]);
                    h.finalize().into()
                })
                .collect();
        }
        B256::from(level[0])
    }
}
