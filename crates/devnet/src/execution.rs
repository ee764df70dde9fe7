//! The execution layer under the devnet's beacon chain: the seam ([`ExecutionLayer`]) and a
//! stand-in that keeps no EVM ([`MockExecution`]), for running the consensus layer alone.

use alloy_primitives::{Address, B256, U256};
use lsv_proofs::block::{ExecutionPayload, ExecutionRequests, Withdrawal};
use lsv_proofs::preset::StatePreset;
use lsv_proofs::state::ExecutionPayloadHeader;
use sha2::{Digest, Sha256};
use ssz_types::{FixedVector, VariableList};
use tree_hash::TreeHash;

/// What the beacon chain asks of the execution layer for one slot.
#[derive(Clone, Debug)]
pub struct PayloadAttributes {
    /// The slot's time (`compute_time_at_slot`).
    pub timestamp: u64,
    /// `get_randao_mix(state, current_epoch)`.
    pub prev_randao: B256,
    /// The beacon block root the EIP-4788 contract records for this block (the parent's).
    pub parent_beacon_block_root: B256,
    /// `get_expected_withdrawals(state).withdrawals`, credited by the block in this order.
    pub withdrawals: Vec<Withdrawal>,
    /// The fee recipient.
    pub fee_recipient: Address,
}

/// Why the execution layer could not build a payload.
#[derive(Debug, thiserror::Error)]
pub enum ExecutionError {
    #[error("execution layer: {0}")]
    Failed(String),
}

/// An execution layer the devnet drives slot by slot.
pub trait ExecutionLayer<P: StatePreset> {
    /// The genesis block, as the beacon state's first `latest_execution_payload_header`.
    fn genesis_header(&self) -> ExecutionPayloadHeader;

    /// Builds the block on top of `parent` with `attributes`: returns its payload and the
    /// execution requests (EIP-6110 deposits, EIP-7002 withdrawals, EIP-7251 consolidations)
    /// it produced.
    fn build_payload(
        &mut self,
        parent: &ExecutionPayloadHeader,
        attributes: &PayloadAttributes,
    ) -> Result<(ExecutionPayload<P>, ExecutionRequests<P>), ExecutionError>;
}

/// An execution layer with no EVM: each block's hash is `sha256(parent_hash ‖ timestamp)`, it
/// carries the withdrawals it is given and produces no requests. A stand-in for running and
/// measuring the consensus layer alone; the devnet's real execution layer is anvil.
#[derive(Clone, Debug, Default)]
pub struct MockExecution;

impl<P: StatePreset> ExecutionLayer<P> for MockExecution {
    fn genesis_header(&self) -> ExecutionPayloadHeader {
        ExecutionPayloadHeader {
            parent_hash: B256::ZERO,
            fee_recipient: Address::ZERO,
            state_root: B256::ZERO,
            receipts_root: B256::ZERO,
            logs_bloom: FixedVector::default(),
            prev_randao: B256::ZERO,
            block_number: 0,
            gas_limit: 30_000_000,
            gas_used: 0,
            timestamp: 0,
            extra_data: VariableList::default(),
            base_fee_per_gas: U256::from(1_000_000_000u64),
            block_hash: B256::repeat_byte(0x55),
            transactions_root: VariableList::<
                lsv_proofs::block::Transaction,
                lsv_proofs::preset::MaxTransactionsPerPayload,
            >::default()
            .tree_hash_root(),
            withdrawals_root: VariableList::<Withdrawal, P::MaxWithdrawalsPerPayload>::default()
                .tree_hash_root(),
            blob_gas_used: 0,
            excess_blob_gas: 0,
        }
    }

    fn build_payload(
        &mut self,
        parent: &ExecutionPayloadHeader,
        attributes: &PayloadAttributes,
    ) -> Result<(ExecutionPayload<P>, ExecutionRequests<P>), ExecutionError> {
        let block_hash = B256::from(<[u8; 32]>::from(
            Sha256::new()
                .chain_update(parent.block_hash)
                .chain_update(attributes.timestamp.to_le_bytes())
                .finalize(),
        ));
        let payload = ExecutionPayload {
            parent_hash: parent.block_hash,
            fee_recipient: attributes.fee_recipient,
            state_root: parent.state_root,
            receipts_root: B256::ZERO,
            logs_bloom: FixedVector::default(),
            prev_randao: attributes.prev_randao,
            block_number: parent.block_number + 1,
            gas_limit: parent.gas_limit,
            gas_used: 0,
            timestamp: attributes.timestamp,
            extra_data: VariableList::default(),
            base_fee_per_gas: parent.base_fee_per_gas,
            block_hash,
            transactions: VariableList::default(),
            withdrawals: VariableList::new(attributes.withdrawals.clone())
                .map_err(|_| ExecutionError::Failed("too many withdrawals".into()))?,
            blob_gas_used: 0,
            excess_blob_gas: 0,
        };
        let requests = ExecutionRequests {
            deposits: VariableList::default(),
            withdrawals: VariableList::default(),
            consolidations: VariableList::default(),
        };
        Ok((payload, requests))
    }
}
