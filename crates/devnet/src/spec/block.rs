//! `state_transition` and `process_block` with its parts but the operations (phase0 to fulu
//! "Block processing").

use super::bls;
use super::config::*;
use super::helpers::*;
use super::{ensure, BeaconState, Spec, SpecPreset, TransitionError};
use alloy_primitives::{Address, B256};
use lsv_consensus::containers::altair::SyncAggregate;
use lsv_consensus::containers::BeaconBlockHeader;
use lsv_consensus::network::{compute_signing_root, domain};
use lsv_consensus::{ForkName, Gwei, PublicKeyBytes};
use lsv_proofs::block::{
    BeaconBlock, BeaconBlockBody, ExecutionPayload, SignedBeaconBlock, Withdrawal,
};
use lsv_proofs::state::ExecutionPayloadHeader;
use ssz_types::VariableList;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use tree_hash::TreeHash;

/// What `get_expected_withdrawals` returns (electra).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ExpectedWithdrawals {
    pub withdrawals: Vec<Withdrawal>,
    pub processed_partial_withdrawals_count: usize,
    pub processed_validators_sweep_count: u64,
}

impl<P: SpecPreset> Spec<P> {
    /// `state_transition(state, signed_block, validate_result)`; `execution_valid` is the
    /// execution engine's verdict on the payload (`verify_and_notify_new_payload`).
    pub fn state_transition(
        &self,
        state: &mut BeaconState<P>,
        signed_block: &SignedBeaconBlock<P>,
        validate_result: bool,
        execution_valid: bool,
    ) -> Result<(), TransitionError> {
        self.process_slots(state, signed_block.message.slot.as_u64())?;
        self.apply_block(state, signed_block, validate_result, execution_valid)
    }

    /// `state_transition` after `process_slots`: `state` is at the block's slot. The block's
    /// signatures (the proposer's if `validate_result`, and every one `process_block` checks)
    /// are verified together once the block is processed, in one randomised batch
    /// ([`bls::verify_batch`]), as consensus clients import blocks: the block is valid exactly
    /// when each of them verifies, in whatever order they are checked.
    pub fn apply_block(
        &self,
        state: &mut BeaconState<P>,
        signed_block: &SignedBeaconBlock<P>,
        validate_result: bool,
        execution_valid: bool,
    ) -> Result<(), TransitionError> {
        let block = &signed_block.message;
        let mut sets = Vec::new();
        if validate_result {
            ensure!(
                self.verify_block_signature_deferred(state, signed_block, &mut sets),
                "verify_block_signature"
            );
        }
        sets.extend(self.process_block_deferring_signatures(state, block, execution_valid)?);
        ensure!(bls::verify_batch(&sets), "the block's signatures");
        if validate_result {
            ensure!(
                block.state_root == crate::spec::state_root(state),
                "state_transition: state root mismatch"
            );
        }
        Ok(())
    }

    /// `process_block` with its signature checks collected instead of made: `state` becomes the
    /// post-state, and the checks come back for the caller to verify in one batch. A proposer
    /// runs this once to compute its block's state root and, once the block is signed,
    /// verifies these checks with [`Self::block_signature_set`] as an importer would: the
    /// whole of [`Self::apply_block`] with the block processed once.
    pub fn process_block_deferring_signatures(
        &self,
        state: &mut BeaconState<P>,
        block: &BeaconBlock<P>,
        execution_valid: bool,
    ) -> Result<Vec<bls::SignatureSet>, TransitionError> {
        let deferred = Arc::new(Mutex::new(Vec::new()));
        let batched = Self {
            deferred: Some(deferred.clone()),
            ..self.clone()
        };
        batched.process_block(state, block, execution_valid)?;
        drop(batched);
        let sets = std::mem::take(&mut *deferred.lock().expect("not poisoned"));
        Ok(sets)
    }

    /// The check `verify_block_signature` makes, as a set to verify in a batch; `None` where it
    /// fails on the bytes alone (no such proposer, a signature that is no point).
    pub fn block_signature_set(
        &self,
        state: &BeaconState<P>,
        signed_block: &SignedBeaconBlock<P>,
    ) -> Option<bls::SignatureSet> {
        let proposer = state
            .validators
            .get(signed_block.message.proposer_index as usize)?;
        let domain = Self::get_domain(state, domain::BEACON_PROPOSER, None);
        let root = compute_signing_root(signed_block.message.tree_hash_root(), domain);
        bls::SignatureSet::single(&proposer.pubkey, root, &signed_block.signature)
    }

    /// `verify_block_signature`.
    pub fn verify_block_signature(
        &self,
        state: &BeaconState<P>,
        signed_block: &SignedBeaconBlock<P>,
    ) -> bool {
        let mut sets = Vec::new();
        self.verify_block_signature_deferred(state, signed_block, &mut sets)
            && bls::verify_batch(&sets)
    }

    /// `verify_block_signature` with the check (if signatures are on) pushed to `sets` to be
    /// made in a batch; `false` where it fails already (no such proposer, a signature that is
    /// no point).
    fn verify_block_signature_deferred(
        &self,
        state: &BeaconState<P>,
        signed_block: &SignedBeaconBlock<P>,
        sets: &mut Vec<bls::SignatureSet>,
    ) -> bool {
        if state
            .validators
            .get(signed_block.message.proposer_index as usize)
            .is_none()
        {
            return false;
        }
        if !self.verify_signatures {
            return true;
        }
        match self.block_signature_set(state, signed_block) {
            Some(set) => {
                sets.push(set);
                true
            }
            None => false,
        }
    }

    /// `process_block` (fulu; Electra's differs only inside the operations and the payload).
    pub fn process_block(
        &self,
        state: &mut BeaconState<P>,
        block: &BeaconBlock<P>,
        execution_valid: bool,
    ) -> Result<(), TransitionError> {
        self.process_block_header(state, block)?;
        self.process_withdrawals(state, &block.body.execution_payload)?;
        self.process_execution_payload(state, &block.body, execution_valid)?;
        self.process_randao(state, &block.body)?;
        self.process_eth1_data(state, &block.body)?;
        self.process_operations(state, &block.body)?;
        self.process_sync_aggregate(state, &block.body.sync_aggregate)
    }

    /// `process_block_header`.
    pub fn process_block_header(
        &self,
        state: &mut BeaconState<P>,
        block: &BeaconBlock<P>,
    ) -> Result<(), TransitionError> {
        ensure!(block.slot == state.slot, "process_block_header: slot");
        ensure!(
            block.slot > state.latest_block_header.slot,
            "process_block_header: not newer"
        );
        ensure!(
            block.proposer_index == Self::get_beacon_proposer_index(state)?,
            "process_block_header: proposer index"
        );
        ensure!(
            block.parent_root == state.latest_block_header.tree_hash_root(),
            "process_block_header: parent root"
        );
        state.latest_block_header = BeaconBlockHeader {
            slot: block.slot,
            proposer_index: block.proposer_index,
            parent_root: block.parent_root,
            state_root: B256::ZERO,
            body_root: block.body.tree_hash_root(),
        };
        let proposer =
            state
                .validators
                .get(block.proposer_index as usize)
                .ok_or(TransitionError::Invalid(
                    "process_block_header: proposer index",
                ))?;
        ensure!(!proposer.slashed, "process_block_header: proposer slashed");
        Ok(())
    }

    /// `get_expected_withdrawals` (electra): pending partial withdrawals, then the sweep.
    pub fn get_expected_withdrawals(
        &self,
        state: &BeaconState<P>,
    ) -> Result<ExpectedWithdrawals, TransitionError> {
        const WHAT: &str = "get_expected_withdrawals";
        let epoch = Self::current_epoch(state);
        let max = P::max_withdrawals_per_payload();
        let mut index = state.next_withdrawal_index;
        let mut withdrawals: Vec<Withdrawal> = Vec::new();
        let withdrawn = |ws: &[Withdrawal], v: u64| -> u64 {
            ws.iter()
                .filter(|w| w.validator_index == v)
                .map(|w| w.amount.as_u64())
                .sum()
        };
        let address = |creds: &B256| Address::from_slice(&creds[12..]);

        // get_pending_partial_withdrawals
        let partial_limit = P::MAX_PENDING_PARTIALS_PER_WITHDRAWALS_SWEEP.min(max - 1);
        let mut processed_partials = 0usize;
        for w in state.pending_partial_withdrawals.iter() {
            if w.withdrawable_epoch.as_u64() > epoch || withdrawals.len() >= partial_limit {
                break;
            }
            let v = &state.validators[w.validator_index as usize];
            let balance = sub(
                state.balances[w.validator_index as usize].as_u64(),
                withdrawn(&withdrawals, w.validator_index),
                WHAT,
            )?;
            if is_eligible_for_partial_withdrawals(v, balance) {
                withdrawals.push(Withdrawal {
                    index,
                    validator_index: w.validator_index,
                    address: address(&v.withdrawal_credentials),
                    amount: Gwei::new((balance - MIN_ACTIVATION_BALANCE).min(w.amount.as_u64())),
                });
                index = add(index, 1, WHAT)?;
            }
            processed_partials += 1;
        }

        // get_validators_sweep_withdrawals
        let n = state.validators.len() as u64;
        let validators_limit = n.min(P::MAX_VALIDATORS_PER_WITHDRAWALS_SWEEP);
        ensure!(
            withdrawals.len() < max,
            "get_validators_sweep_withdrawals: no room"
        );
        let mut swept = 0u64;
        let mut validator_index = state.next_withdrawal_validator_index;
        for _ in 0..validators_limit {
            if withdrawals.len() >= max {
                break;
            }
            let v = &state.validators[validator_index as usize];
            let balance = sub(
                state.balances[validator_index as usize].as_u64(),
                withdrawn(&withdrawals, validator_index),
                WHAT,
            )?;
            if is_fully_withdrawable_validator(v, balance, epoch) {
                withdrawals.push(Withdrawal {
                    index,
                    validator_index,
                    address: address(&v.withdrawal_credentials),
                    amount: Gwei::new(balance),
                });
                index = add(index, 1, WHAT)?;
            } else if is_partially_withdrawable_validator(v, balance) {
                withdrawals.push(Withdrawal {
                    index,
                    validator_index,
                    address: address(&v.withdrawal_credentials),
                    amount: Gwei::new(balance - get_max_effective_balance(v)),
                });
                index = add(index, 1, WHAT)?;
            }
            validator_index = (validator_index + 1) % n;
            swept += 1;
        }
        Ok(ExpectedWithdrawals {
            withdrawals,
            processed_partial_withdrawals_count: processed_partials,
            processed_validators_sweep_count: swept,
        })
    }

    /// `process_withdrawals` (electra).
    pub fn process_withdrawals(
        &self,
        state: &mut BeaconState<P>,
        payload: &ExecutionPayload<P>,
    ) -> Result<(), TransitionError> {
        let expected = self.get_expected_withdrawals(state)?;
        ensure!(
            payload.withdrawals.iter().eq(expected.withdrawals.iter()),
            "process_withdrawals: payload withdrawals are not the expected ones"
        );
        for w in &expected.withdrawals {
            Self::decrease_balance(state, w.validator_index, w.amount.as_u64());
        }
        if let Some(last) = expected.withdrawals.last() {
            state.next_withdrawal_index = add(last.index, 1, "update_next_withdrawal_index")?;
        }
        let remaining: Vec<_> = state
            .pending_partial_withdrawals
            .iter()
            .skip(expected.processed_partial_withdrawals_count)
            .copied()
            .collect();
        state.pending_partial_withdrawals = VariableList::new(remaining)
            .map_err(|_| TransitionError::ListFull("pending_partial_withdrawals"))?;
        let n = state.validators.len() as u64;
        state.next_withdrawal_validator_index = if expected.withdrawals.len()
            == P::max_withdrawals_per_payload()
        {
            (expected
                .withdrawals
                .last()
                .expect("a full payload")
                .validator_index
                + 1)
                % n
        } else {
            (state.next_withdrawal_validator_index + P::MAX_VALIDATORS_PER_WITHDRAWALS_SWEEP) % n
        };
        Ok(())
    }

    /// `process_execution_payload` (electra / fulu); `execution_valid` stands for the engine's
    /// `verify_and_notify_new_payload`.
    pub fn process_execution_payload(
        &self,
        state: &mut BeaconState<P>,
        body: &BeaconBlockBody<P>,
        execution_valid: bool,
    ) -> Result<(), TransitionError> {
        let payload = &body.execution_payload;
        ensure!(
            payload.parent_hash == state.latest_execution_payload_header.block_hash,
            "process_execution_payload: parent hash"
        );
        let epoch = Self::current_epoch(state);
        ensure!(
            payload.prev_randao == Self::get_randao_mix(state, epoch),
            "process_execution_payload: prev_randao"
        );
        ensure!(
            payload.timestamp == self.time_at_slot(state, state.slot.as_u64()),
            "process_execution_payload: timestamp"
        );
        let max_blobs = match state.fork_name() {
            ForkName::Fulu => self
                .config
                .max_blobs_per_block(lsv_consensus::Epoch::new(epoch)),
            _ => self.config.max_blobs_per_block_electra,
        };
        ensure!(
            body.blob_kzg_commitments.len() as u64 <= max_blobs,
            "process_execution_payload: too many blob commitments"
        );
        ensure!(
            execution_valid,
            "process_execution_payload: the execution engine refused the payload"
        );
        state.latest_execution_payload_header = ExecutionPayloadHeader {
            parent_hash: payload.parent_hash,
            fee_recipient: payload.fee_recipient,
            state_root: payload.state_root,
            receipts_root: payload.receipts_root,
            logs_bloom: payload.logs_bloom.clone(),
            prev_randao: payload.prev_randao,
            block_number: payload.block_number,
            gas_limit: payload.gas_limit,
            gas_used: payload.gas_used,
            timestamp: payload.timestamp,
            extra_data: payload.extra_data.clone(),
            base_fee_per_gas: payload.base_fee_per_gas,
            block_hash: payload.block_hash,
            transactions_root: payload.transactions.tree_hash_root(),
            withdrawals_root: payload.withdrawals.tree_hash_root(),
            blob_gas_used: payload.blob_gas_used,
            excess_blob_gas: payload.excess_blob_gas,
        };
        Ok(())
    }

    /// `process_randao`.
    pub fn process_randao(
        &self,
        state: &mut BeaconState<P>,
        body: &BeaconBlockBody<P>,
    ) -> Result<(), TransitionError> {
        let epoch = Self::current_epoch(state);
        let proposer = Self::get_beacon_proposer_index(state)?;
        let domain = Self::get_domain(state, domain::RANDAO, None);
        let root = compute_signing_root(epoch.tree_hash_root(), domain);
        ensure!(
            self.verify(
                &state.validators[proposer as usize].pubkey,
                &root,
                &body.randao_reveal
            ),
            "process_randao: reveal"
        );
        let reveal = hash(&[&body.randao_reveal.0]);
        let mut mix = Self::get_randao_mix(state, epoch);
        for (m, r) in mix.0.iter_mut().zip(reveal) {
            *m ^= r;
        }
        state.randao_mixes[(epoch % P::epochs_per_historical_vector()) as usize] = mix;
        Ok(())
    }

    /// `process_eth1_data`.
    pub fn process_eth1_data(
        &self,
        state: &mut BeaconState<P>,
        body: &BeaconBlockBody<P>,
    ) -> Result<(), TransitionError> {
        state
            .eth1_data_votes
            .push(body.eth1_data)
            .map_err(|_| TransitionError::ListFull("eth1_data_votes"))?;
        let count = state
            .eth1_data_votes
            .iter()
            .filter(|v| **v == body.eth1_data)
            .count() as u64;
        if count * 2 > P::EPOCHS_PER_ETH1_VOTING_PERIOD * P::SLOTS_PER_EPOCH {
            state.eth1_data = body.eth1_data;
        }
        Ok(())
    }

    /// `process_sync_aggregate` (altair). The participants' key is aggregated from their own
    /// keys in every case: the spec's shortcuts (the precomputed aggregate for a full committee,
    /// the aggregate less the non-participants above half) give the same key, since
    /// `current_sync_committee.aggregate_pubkey` is the aggregate of its `pubkeys` as
    /// `get_next_sync_committee` builds it.
    pub fn process_sync_aggregate(
        &self,
        state: &mut BeaconState<P>,
        aggregate: &SyncAggregate<P>,
    ) -> Result<(), TransitionError> {
        const WHAT: &str = "process_sync_aggregate";
        let bits: Vec<bool> = (0..P::sync_committee_size())
            .map(|i| aggregate.sync_committee_bits.get(i).unwrap_or(false))
            .collect();
        let committee: Vec<PublicKeyBytes> = state
            .current_sync_committee
            .pubkeys
            .iter()
            .copied()
            .collect();
        let previous_slot = state.slot.as_u64().max(1) - 1;
        let domain = Self::get_domain(
            state,
            domain::SYNC_COMMITTEE,
            Some(Self::epoch_at(previous_slot)),
        );
        let root =
            compute_signing_root(Self::get_block_root_at_slot(state, previous_slot)?, domain);
        if self.verify_signatures {
            let participants = committee
                .iter()
                .zip(&bits)
                .filter(|(_, b)| **b)
                .map(|(k, _)| k);
            // `eth_fast_aggregate_verify`: no participants and the point at infinity is valid.
            let mut participants = participants.peekable();
            let valid = if participants.peek().is_none() {
                aggregate.sync_committee_signature.0 == bls::G2_POINT_AT_INFINITY
            } else {
                self.check_signature(bls::SignatureSet::fast_aggregate(
                    participants,
                    root,
                    &aggregate.sync_committee_signature,
                ))
            };
            ensure!(valid, "process_sync_aggregate: signature");
        }
        let total = Self::get_total_active_balance(state)?;
        let total_increments = total / EFFECTIVE_BALANCE_INCREMENT;
        let total_base_rewards = mul(
            Self::get_base_reward_per_increment(total),
            total_increments,
            WHAT,
        )?;
        let max_participant_rewards = mul(total_base_rewards, SYNC_REWARD_WEIGHT, WHAT)?
            / WEIGHT_DENOMINATOR
            / P::SLOTS_PER_EPOCH;
        let participant_reward = max_participant_rewards / P::sync_committee_size() as u64;
        let proposer_reward = mul(participant_reward, PROPOSER_WEIGHT, WHAT)?
            / (WEIGHT_DENOMINATOR - PROPOSER_WEIGHT);
        // `all_pubkeys.index(pubkey)`: the first validator with the key.
        let mut index_of: HashMap<PublicKeyBytes, u64> = HashMap::new();
        for (i, v) in state.validators.iter().enumerate().rev() {
            index_of.insert(v.pubkey, i as u64);
        }
        let proposer = Self::get_beacon_proposer_index(state)?;
        for (pubkey, bit) in committee.iter().zip(bits) {
            let index = *index_of.get(pubkey).ok_or(TransitionError::Invalid(
                "process_sync_aggregate: a member is not a validator",
            ))?;
            if bit {
                Self::increase_balance(state, index, participant_reward)?;
                Self::increase_balance(state, proposer, proposer_reward)?;
            } else {
                Self::decrease_balance(state, index, participant_reward);
            }
        }
        Ok(())
    }
}
