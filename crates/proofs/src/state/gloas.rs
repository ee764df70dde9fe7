//! The Gloas `BeaconState`, `specs/gloas/beacon-chain.md` "BeaconState": a
//! `ProgressiveContainer(active_fields=[1] * 46)` (EIP-7688), with Fulu's fields in the same
//! positions but for `latest_execution_payload_header` (field 24, now `latest_block_hash`), the
//! registry-sized lists made progressive (EIP-7916), and ePBS's builders, bids, payment
//! records and `payload_expected_withdrawals` (EIP-7732) appended as fields 38-45.
//!
//! Its SSZ encoding is a plain container's; its `hash_tree_root` is not: the field roots are
//! merkleized progressively and mixed with the active-fields bitvector
//! ([`lsv_consensus::progressive`]), so every field's generalized index differs from Fulu's
//! (`crate::gindex::progressive`).

use super::{
    beacon_state, HistoricalSummary, PendingConsolidation, PendingDeposit,
    PendingPartialWithdrawal, SyncCommittee,
};
use crate::block::KzgCommitment;
use crate::preset::{HistoricalRootsLimit, JustificationBitsLength, StatePreset};
use alloy_primitives::{Address, B256};
use lsv_consensus::containers::gloas::{PackedProgressiveList, ProgressiveList, Withdrawal};
use lsv_consensus::containers::{BeaconBlockHeader, Checkpoint, Eth1Data, Fork, Validator};
use lsv_consensus::progressive::progressive_container_root;
use lsv_consensus::progressive_container;
use lsv_consensus::{Epoch, Gwei, Mainnet, PublicKeyBytes, Slot};
use ssz_derive::{Decode, Encode};
use ssz_types::{BitVector, FixedVector, VariableList};
use tree_hash::{PackedEncoding, TreeHash, TreeHashType};
use tree_hash_derive::TreeHash;

/// What a progressive list of the state may hold when decoded: `VALIDATOR_REGISTRY_LIMIT`, the
/// bound the same lists had before Gloas (a progressive list has none of its own).
type Progressive<T> = ProgressiveList<T, crate::preset::ValidatorRegistryLimit>;
/// The same bound for a progressive list of a basic type.
type PackedProgressive<T> = PackedProgressiveList<T, crate::preset::ValidatorRegistryLimit>;

/// The number of fields of the Gloas `BeaconState`, all active.
pub const FIELD_COUNT: usize = 46;

/// `Builder` (gloas beacon-chain.md): a staked builder in `state.builders`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Encode, Decode, TreeHash)]
#[allow(missing_docs, reason = "the consensus specs document these fields")]
pub struct Builder {
    pub pubkey: PublicKeyBytes,
    pub version: u8,
    pub execution_address: Address,
    pub balance: Gwei,
    pub deposit_epoch: Epoch,
    pub withdrawable_epoch: Epoch,
}

/// `BuilderPendingWithdrawal` (gloas beacon-chain.md).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Encode, Decode, TreeHash)]
#[allow(missing_docs, reason = "the consensus specs document these fields")]
pub struct BuilderPendingWithdrawal {
    pub fee_recipient: Address,
    pub amount: Gwei,
    pub builder_index: u64,
}

/// `BuilderPendingPayment` (gloas beacon-chain.md).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Encode, Decode, TreeHash)]
#[allow(missing_docs, reason = "the consensus specs document these fields")]
pub struct BuilderPendingPayment {
    pub weight: Gwei,
    pub withdrawal: BuilderPendingWithdrawal,
    pub proposer_index: u64,
}

/// `ExecutionPayloadBid` (gloas beacon-chain.md): `ProgressiveContainer(active_fields=[1] * 12)`.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode)]
#[allow(missing_docs, reason = "the consensus specs document these fields")]
pub struct ExecutionPayloadBid {
    pub parent_block_hash: B256,
    pub parent_block_root: B256,
    pub block_hash: B256,
    pub prev_randao: B256,
    pub fee_recipient: Address,
    pub gas_limit: u64,
    pub builder_index: u64,
    pub slot: Slot,
    pub value: Gwei,
    pub execution_payment: Gwei,
    pub blob_kzg_commitments: Progressive<KzgCommitment>,
    pub execution_requests_root: B256,
}

progressive_container!(ExecutionPayloadBid {
    parent_block_hash,
    parent_block_root,
    block_hash,
    prev_randao,
    fee_recipient,
    gas_limit,
    builder_index,
    slot,
    value,
    execution_payment,
    blob_kzg_commitments,
    execution_requests_root
});

beacon_state! {
    progressive;
    /// `BeaconState` (gloas).
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
        validators: Progressive<Validator>,
        balances: PackedProgressive<Gwei>,
        randao_mixes: FixedVector<B256, P::EpochsPerHistoricalVector>,
        slashings: FixedVector<Gwei, P::EpochsPerSlashingsVector>,
        previous_epoch_participation: PackedProgressive<u8>,
        current_epoch_participation: PackedProgressive<u8>,
        justification_bits: BitVector<JustificationBitsLength>,
        previous_justified_checkpoint: Checkpoint,
        current_justified_checkpoint: Checkpoint,
        finalized_checkpoint: Checkpoint,
        inactivity_scores: PackedProgressive<u64>,
        current_sync_committee: SyncCommittee<P>,
        next_sync_committee: SyncCommittee<P>,
        latest_block_hash: B256,
        next_withdrawal_index: u64,
        next_withdrawal_validator_index: u64,
        historical_summaries: VariableList<HistoricalSummary, HistoricalRootsLimit>,
        deposit_requests_start_index: u64,
        deposit_balance_to_consume: Gwei,
        exit_balance_to_consume: Gwei,
        earliest_exit_epoch: Epoch,
        consolidation_balance_to_consume: Gwei,
        earliest_consolidation_epoch: Epoch,
        pending_deposits: Progressive<PendingDeposit>,
        pending_partial_withdrawals: Progressive<PendingPartialWithdrawal>,
        pending_consolidations: Progressive<PendingConsolidation>,
        proposer_lookahead: FixedVector<u64, P::ProposerLookaheadLength>,
        builders: Progressive<Builder>,
        next_withdrawal_builder_index: u64,
        execution_payload_availability: BitVector<P::SlotsPerHistoricalRoot>,
        builder_pending_payments: FixedVector<BuilderPendingPayment, P::BuilderPendingPaymentsLength>,
        builder_pending_withdrawals: Progressive<BuilderPendingWithdrawal>,
        latest_execution_payload_bid: ExecutionPayloadBid,
        payload_expected_withdrawals: Progressive<Withdrawal>,
        ptc_window: FixedVector<FixedVector<u64, P::PtcSize>, P::PtcWindowLength>,
    }
}

impl<P: StatePreset> TreeHash for BeaconState<P> {
    fn tree_hash_type() -> TreeHashType {
        TreeHashType::Container
    }

    fn tree_hash_packed_encoding(&self) -> PackedEncoding {
        unreachable!("a container is never packed")
    }

    fn tree_hash_packing_factor() -> usize {
        unreachable!("a container is never packed")
    }

    /// `mix_in_active_fields(merkleize_progressive(field roots), [1] * 46)`.
    fn tree_hash_root(&self) -> B256 {
        let roots: Vec<B256> = (0..FIELD_COUNT)
            .map(|f| self.field_root(f).expect("f < FIELD_COUNT"))
            .collect();
        progressive_container_root(&roots, &[true; FIELD_COUNT])
    }
}

impl<P: StatePreset> BeaconState<P> {
    /// Decodes the SSZ of a Gloas state (the registry decoded first and its bytes freed, as
    /// for the earlier layouts).
    pub fn decode(bytes: Vec<u8>) -> Result<Self, super::StateError> {
        Self::from_ssz_vec(bytes)
    }
}

impl<P: StatePreset> BeaconState<P> {
    /// The Electra state's fields in the Gloas layout, with `fork` replaced: what
    /// `upgrade_to_gloas` (gloas fork.md) keeps, with ePBS's fields as it initializes them
    /// (`latest_block_hash` and the bid's `block_hash` from the last payload header, every
    /// `execution_payload_availability` bit set, no builders, no expected withdrawals), but
    /// without the proposer lookahead and PTC window, which need the shuffling. For tests and
    /// tooling that need a Gloas-shaped state of a known registry, not a consensus-valid upgrade.
    pub fn from_electra(pre: super::electra::BeaconState<P>, fork: Fork) -> Self {
        let block_hash = pre.latest_execution_payload_header.block_hash;
        let mut availability = BitVector::new();
        for slot in 0..availability.len() {
            availability.set(slot, true).expect("in range");
        }
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
            validators: pre.validators.into(),
            balances: PackedProgressiveList(pre.balances),
            randao_mixes: pre.randao_mixes,
            slashings: pre.slashings,
            previous_epoch_participation: PackedProgressiveList(pre.previous_epoch_participation),
            current_epoch_participation: PackedProgressiveList(pre.current_epoch_participation),
            justification_bits: pre.justification_bits,
            previous_justified_checkpoint: pre.previous_justified_checkpoint,
            current_justified_checkpoint: pre.current_justified_checkpoint,
            finalized_checkpoint: pre.finalized_checkpoint,
            inactivity_scores: PackedProgressiveList(pre.inactivity_scores),
            current_sync_committee: pre.current_sync_committee,
            next_sync_committee: pre.next_sync_committee,
            latest_block_hash: block_hash,
            next_withdrawal_index: pre.next_withdrawal_index,
            next_withdrawal_validator_index: pre.next_withdrawal_validator_index,
            historical_summaries: pre.historical_summaries,
            deposit_requests_start_index: pre.deposit_requests_start_index,
            deposit_balance_to_consume: pre.deposit_balance_to_consume,
            exit_balance_to_consume: pre.exit_balance_to_consume,
            earliest_exit_epoch: pre.earliest_exit_epoch,
            consolidation_balance_to_consume: pre.consolidation_balance_to_consume,
            earliest_consolidation_epoch: pre.earliest_consolidation_epoch,
            pending_deposits: widen(pre.pending_deposits),
            pending_partial_withdrawals: widen(pre.pending_partial_withdrawals),
            pending_consolidations: widen(pre.pending_consolidations),
            proposer_lookahead: FixedVector::default(),
            builders: VariableList::empty().into(),
            next_withdrawal_builder_index: 0,
            execution_payload_availability: availability,
            builder_pending_payments: FixedVector::default(),
            builder_pending_withdrawals: VariableList::empty().into(),
            latest_execution_payload_bid: ExecutionPayloadBid {
                parent_block_hash: B256::ZERO,
                parent_block_root: B256::ZERO,
                block_hash,
                prev_randao: B256::ZERO,
                fee_recipient: Address::ZERO,
                gas_limit: 0,
                builder_index: 0,
                slot: Slot::new(0),
                value: Gwei::new(0),
                execution_payment: Gwei::new(0),
                blob_kzg_commitments: VariableList::empty().into(),
                execution_requests_root: B256::ZERO,
            },
            payload_expected_withdrawals: VariableList::empty().into(),
            ptc_window: FixedVector::default(),
        }
    }
}

/// A list under a smaller decoding bound as a progressive list (whose bound is the registry's).
fn widen<T: Clone, N: typenum::Unsigned>(list: VariableList<T, N>) -> Progressive<T> {
    ProgressiveList(VariableList::new(list.to_vec()).expect("the registry bound is the largest"))
}
