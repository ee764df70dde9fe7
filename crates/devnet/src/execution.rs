//! The execution layer under the devnet's beacon chain: the seam ([`ExecutionLayer`]) and a
//! stand-in that keeps no EVM ([`MockExecution`]), for running the consensus layer alone.

use alloy_primitives::{Address, B256, U256};
use lsv_consensus::{Gwei, PublicKeyBytes, SignatureBytes};
use lsv_proofs::block::{DepositRequest, ExecutionPayload, ExecutionRequests, Withdrawal};
use lsv_proofs::preset::StatePreset;
use lsv_proofs::state::ExecutionPayloadHeader;
use sha2::{Digest, Sha256};
use ssz_types::{FixedVector, VariableList};
use tree_hash::TreeHash;
use typenum::Unsigned;

/// What the beacon chain asks of the execution layer for one slot.
#[derive(Clone, Debug, PartialEq, Eq)]
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
    /// What went wrong.
    #[error("execution layer: {0}")]
    Failed(String),
}

/// An execution layer the devnet drives slot by slot. `Send`: the node has it build the next
/// slot's payload on a thread of its own while the current slot's validators work.
pub trait ExecutionLayer<P: StatePreset>: Send {
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

/// An execution layer with no EVM: each block's hash is `sha256(parent_hash ‖ timestamp)` (‖
/// the deposit requests' root, when it carries any), it carries the withdrawals it is given,
/// and its only requests are the EIP-6110 deposits handed to [`MockExecution::deposit`], which
/// the next payload carries in order. A stand-in for running and measuring the consensus layer
/// alone: no deposit contract takes the ETH, no log is emitted, nothing is checked (a deposit
/// whose signature is wrong is dropped by the beacon chain, as the spec drops it). The devnet's
/// real execution layer (anvil) reads its deposit requests from the deposit contract's logs.
#[derive(Clone, Debug, Default)]
pub struct MockExecution {
    /// Deposits made and not yet in a payload, oldest first.
    pending: std::collections::VecDeque<DepositRequest>,
    /// The deposit contract's count: the next deposit's index.
    deposit_count: u64,
    /// The last payload built and the deposits it carries: if the next payload is not built on
    /// it (its block never made it into the chain), they go back to the front of `pending`, as
    /// transactions of an orphaned block return to the mempool.
    last_built: Option<(B256, Vec<DepositRequest>)>,
}

impl MockExecution {
    /// An execution layer whose deposit contract has already taken `deposit_count` deposits (a
    /// genesis state's `eth1_data.deposit_count`), so the first deposit request has that index,
    /// as the contract would give it: the beacon chain records the first request's index as
    /// `deposit_requests_start_index` and, in Electra, waits for the Eth1 bridge up to it
    /// (`process_pending_deposits`), which a genesis that counts its validators as deposited
    /// (`eth1_deposit_index = deposit_count`) has already reached.
    pub fn new(deposit_count: u64) -> Self {
        Self {
            pending: Default::default(),
            deposit_count,
            last_built: None,
        }
    }

    /// A deposit into the (stand-in) deposit contract: the next payload carries it as a
    /// `DepositRequest` with the next index, which is returned.
    pub fn deposit(
        &mut self,
        pubkey: PublicKeyBytes,
        withdrawal_credentials: B256,
        amount: Gwei,
        signature: SignatureBytes,
    ) -> u64 {
        let index = self.deposit_count;
        self.deposit_count += 1;
        self.pending.push_back(DepositRequest {
            pubkey,
            withdrawal_credentials,
            amount,
            signature,
            index,
        });
        index
    }

    /// Deposits made and not yet in a payload.
    pub fn pending_deposits(&self) -> usize {
        self.pending.len()
    }
}

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
        if let Some((hash, orphaned)) = self.last_built.take() {
            if hash != parent.block_hash {
                for deposit in orphaned.into_iter().rev() {
                    self.pending.push_front(deposit);
                }
            }
        }
        let take = self
            .pending
            .len()
            .min(P::MaxDepositRequestsPerPayload::to_usize());
        let carried: Vec<DepositRequest> = self.pending.drain(..take).collect();
        let deposits =
            VariableList::<DepositRequest, P::MaxDepositRequestsPerPayload>::new(carried.clone())
                .map_err(|_| ExecutionError::Failed("too many deposit requests".into()))?;
        let mut hasher = Sha256::new()
            .chain_update(parent.block_hash)
            .chain_update(attributes.timestamp.to_le_bytes());
        if !carried.is_empty() {
            hasher.update(deposits.tree_hash_root());
        }
        let block_hash = B256::from(<[u8; 32]>::from(hasher.finalize()));
        self.last_built = Some((block_hash, carried));
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
            deposits,
            withdrawals: VariableList::default(),
            consolidations: VariableList::default(),
        };
        Ok((payload, requests))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use lsv_consensus::Minimal;

    fn attributes(timestamp: u64) -> PayloadAttributes {
        PayloadAttributes {
            timestamp,
            prev_randao: B256::ZERO,
            parent_beacon_block_root: B256::ZERO,
            withdrawals: Vec::new(),
            fee_recipient: Address::ZERO,
        }
    }

    fn header(payload: &ExecutionPayload<Minimal>) -> ExecutionPayloadHeader {
        let mut h = ExecutionLayer::<Minimal>::genesis_header(&MockExecution::default());
        h.block_hash = payload.block_hash;
        h.block_number = payload.block_number;
        h
    }

    /// Deposits go into the next payload with the contract's next indices; a payload that is
    /// not built upon gives its deposits back to the next one.
    #[test]
    fn deposits_ride_the_next_payload_and_survive_an_orphaned_one() {
        let mut el = MockExecution::new(64);
        let genesis = ExecutionLayer::<Minimal>::genesis_header(&el);
        let index = el.deposit(
            PublicKeyBytes([1; 48]),
            B256::repeat_byte(2),
            Gwei::new(32_000_000_000),
            SignatureBytes([3; 96]),
        );
        assert_eq!(index, 64);
        assert_eq!(el.pending_deposits(), 1);
        let (orphan, requests) =
            ExecutionLayer::<Minimal>::build_payload(&mut el, &genesis, &attributes(6)).unwrap();
        assert_eq!(requests.deposits.len(), 1);
        assert_eq!(requests.deposits[0].index, 64);
        assert_eq!(el.pending_deposits(), 0);
        // The block with `orphan` never made it: the next payload is built on genesis again.
        let (payload, requests) =
            ExecutionLayer::<Minimal>::build_payload(&mut el, &genesis, &attributes(12)).unwrap();
        assert_ne!(payload.block_hash, orphan.block_hash);
        assert_eq!(requests.deposits.len(), 1, "the deposit is carried again");
        // Built upon: nothing comes back.
        let (_, requests) =
            ExecutionLayer::<Minimal>::build_payload(&mut el, &header(&payload), &attributes(18))
                .unwrap();
        assert!(requests.deposits.is_empty());
        assert_eq!(
            el.deposit(
                PublicKeyBytes([4; 48]),
                B256::ZERO,
                Gwei::new(1),
                SignatureBytes([0; 96])
            ),
            65
        );
    }
}
