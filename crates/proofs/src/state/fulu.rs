//! The Fulu `BeaconState`, `specs/fulu/beacon-chain.md` "BeaconState": Electra's 37 fields in
//! the same order, then `proposer_lookahead` (EIP-7917) as field 37. 38 fields still fit a chunk
//! tree of 64 leaves, so every generalized index of an Electra field is unchanged in Fulu.

use super::{
    beacon_state, ExecutionPayloadHeader, HistoricalSummary, PendingConsolidation, PendingDeposit,
    PendingPartialWithdrawal, SyncCommittee,
};
use crate::preset::{
    HistoricalRootsLimit, JustificationBitsLength, PendingDepositsLimit, StatePreset,
    ValidatorRegistryLimit,
};
use alloy_primitives::B256;
use lsv_consensus::containers::{BeaconBlockHeader, Checkpoint, Eth1Data, Fork, Validator};
use lsv_consensus::{Epoch, Gwei, Mainnet, Slot};
use ssz_derive::{Decode, Encode};
use ssz_types::{BitVector, FixedVector, VariableList};
use tree_hash_derive::TreeHash;

beacon_state! {
    /// `BeaconState` (fulu).
    pub struct BeaconState<P> {
        genesis_time: u64,
        genesis_validators_root: B256,
        slot: Slot,
        fork: Fork,
        latest_block_header: BeaconBlockHeader,
        block_roots: FixedVector<B256, P::SlotsPerHistoricalRoot>,
        state_roots: FixedVector<B256, P::SlotsPerHistoricalRoot>,
        historical_roots: VariableList<B256, HistoricalRootsLimit>,
        eth1_data: Eth1Data,
        eth1_data_votes: VariableList<Eth1Data, P::Eth1DataVotesLimit>,
        eth1_deposit_index: u64,
        validators: VariableList<Validator, ValidatorRegistryLimit>,
        balances: VariableList<Gwei, ValidatorRegistryLimit>,
        randao_mixes: FixedVector<B256, P::EpochsPerHistoricalVector>,
        slashings: FixedVector<Gwei, P::EpochsPerSlashingsVector>,
        previous_epoch_participation: VariableList<u8, ValidatorRegistryLimit>,
        current_epoch_participation: VariableList<u8, ValidatorRegistryLimit>,
        justification_bits: BitVector<JustificationBitsLength>,
        previous_justified_checkpoint: Checkpoint,
        current_justified_checkpoint: Checkpoint,
        finalized_checkpoint: Checkpoint,
        inactivity_scores: VariableList<u64, ValidatorRegistryLimit>,
        current_sync_committee: SyncCommittee<P>,
        next_sync_committee: SyncCommittee<P>,
        latest_execution_payload_header: ExecutionPayloadHeader,
        next_withdrawal_index: u64,
        next_withdrawal_validator_index: u64,
        historical_summaries: VariableList<HistoricalSummary, HistoricalRootsLimit>,
        deposit_requests_start_index: u64,
        deposit_balance_to_consume: Gwei,
        exit_balance_to_consume: Gwei,
        earliest_exit_epoch: Epoch,
        consolidation_balance_to_consume: Gwei,
        earliest_consolidation_epoch: Epoch,
        pending_deposits: VariableList<PendingDeposit, PendingDepositsLimit>,
        pending_partial_withdrawals:
            VariableList<PendingPartialWithdrawal, P::PendingPartialWithdrawalsLimit>,
        pending_consolidations: VariableList<PendingConsolidation, P::PendingConsolidationsLimit>,
        proposer_lookahead: FixedVector<u64, P::ProposerLookaheadLength>,
    }
}

impl<P: StatePreset> BeaconState<P> {
    /// The Electra state's fields with `fork` replaced and `proposer_lookahead` appended: the
    /// layout change of `upgrade_to_fulu` (fulu fork.md), without recomputing the lookahead
    /// (`initialize_proposer_lookahead` needs the shuffling). For tests and tooling that need a
    /// Fulu-shaped state, not a consensus-valid upgrade.
    pub fn from_electra(
        pre: super::electra::BeaconState<P>,
        fork: Fork,
        proposer_lookahead: FixedVector<u64, P::ProposerLookaheadLength>,
    ) -> Self {
        Self {
            genesis_time: pre.genesis_time,
            genesis_validators_root: pre.genesis_validators_root,
            slot: pre.slot,
            fork,
            latest_block_header: pre.latest_block_header,
            block_roots: pre.block_roots,
            state_roots: pre.state_roots,
            historical_roots: pre.historical_roots,
            eth1_data: pre.eth1_data,
            eth1_data_votes: pre.eth1_data_votes,
            eth1_deposit_index: pre.eth1_deposit_index,
            validators: pre.validators,
            balances: pre.balances,
            randao_mixes: pre.randao_mixes,
            slashings: pre.slashings,
            previous_epoch_participation: pre.previous_epoch_participation,
            current_epoch_participation: pre.current_epoch_participation,
            justification_bits: pre.justification_bits,
            previous_justified_checkpoint: pre.previous_justified_checkpoint,
            current_justified_checkpoint: pre.current_justified_checkpoint,
            finalized_checkpoint: pre.finalized_checkpoint,
            inactivity_scores: pre.inactivity_scores,
            current_sync_committee: pre.current_sync_committee,
            next_sync_committee: pre.next_sync_committee,
            latest_execution_payload_header: pre.latest_execution_payload_header,
            next_withdrawal_index: pre.next_withdrawal_index,
            next_withdrawal_validator_index: pre.next_withdrawal_validator_index,
            historical_summaries: pre.historical_summaries,
            deposit_requests_start_index: pre.deposit_requests_start_index,
            deposit_balance_to_consume: pre.deposit_balance_to_consume,
            exit_balance_to_consume: pre.exit_balance_to_consume,
            earliest_exit_epoch: pre.earliest_exit_epoch,
            consolidation_balance_to_consume: pre.consolidation_balance_to_consume,
            earliest_consolidation_epoch: pre.earliest_consolidation_epoch,
            pending_deposits: pre.pending_deposits,
            pending_partial_withdrawals: pre.pending_partial_withdrawals,
            pending_consolidations: pre.pending_consolidations,
            proposer_lookahead,
        }
    }
}
