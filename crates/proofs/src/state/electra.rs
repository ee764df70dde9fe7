//! The Electra `BeaconState`, `specs/electra/beacon-chain.md` "BeaconState": 37 fields, so a
//! chunk tree of 64 leaves (depth 6) and field `f` at state generalized index `64 + f`.

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
    /// `BeaconState` (electra).
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
    }
}
