//! `process_slots` and `process_epoch` with every part (phase0 to fulu "Epoch processing").

use super::config::*;
use super::helpers::*;
use super::{ensure, BeaconState, Spec, SpecPreset, TransitionError};
use alloy_primitives::B256;
use lsv_consensus::containers::Checkpoint;
use lsv_consensus::{Epoch, ForkName, Gwei, Slot};
use lsv_proofs::state::HistoricalSummary;
use ssz_types::{FixedVector, VariableList};
use std::collections::HashMap;
use tree_hash::TreeHash;

impl<P: SpecPreset> Spec<P> {
    /// `process_slots(state, slot)`, with the upgrade to Fulu at `FULU_FORK_EPOCH` as the fork's
    /// `state_transition` does it (fulu "Fork", `upgrade_to_fulu`).
    pub fn process_slots(
        &self,
        state: &mut BeaconState<P>,
        slot: u64,
    ) -> Result<(), TransitionError> {
        ensure!(
            state.slot.as_u64() < slot,
            "process_slots: target slot not after the state's"
        );
        while state.slot.as_u64() < slot {
            self.process_slot(state);
            if (state.slot.as_u64() + 1).is_multiple_of(P::SLOTS_PER_EPOCH) {
                self.process_epoch(state)?;
            }
            state.slot = Slot::new(state.slot.as_u64() + 1);
            let epoch = Self::current_epoch(state);
            if state.fork_name() == ForkName::Electra
                && state.slot.as_u64().is_multiple_of(P::SLOTS_PER_EPOCH)
                && epoch == self.config.fulu_fork_epoch.as_u64()
            {
                self.upgrade_to_fulu(state)?;
            }
        }
        Ok(())
    }

    /// `process_slot`: caches the state root and the block root of the slot ending.
    pub fn process_slot(&self, state: &mut BeaconState<P>) {
        let previous_state_root = crate::spec::state_root(state);
        let i = (state.slot.as_u64() % P::slots_per_historical_root()) as usize;
        state.state_roots[i] = previous_state_root;
        if state.latest_block_header.state_root == B256::ZERO {
            state.latest_block_header.state_root = previous_state_root;
        }
        state.block_roots[i] = state.latest_block_header.tree_hash_root();
    }

    /// `process_epoch` (fulu; Electra's is the same without the lookahead).
    pub fn process_epoch(&self, state: &mut BeaconState<P>) -> Result<(), TransitionError> {
        self.process_justification_and_finalization(state)?;
        self.process_inactivity_updates(state)?;
        self.process_rewards_and_penalties(state)?;
        self.process_registry_updates(state)?;
        self.process_slashings(state)?;
        self.process_eth1_data_reset(state);
        self.process_pending_deposits(state)?;
        self.process_pending_consolidations(state)?;
        self.process_effective_balance_updates(state);
        self.process_slashings_reset(state);
        self.process_randao_mixes_reset(state);
        self.process_historical_summaries_update(state)?;
        self.process_participation_flag_updates(state)?;
        self.process_sync_committee_updates(state)?;
        if state.fork_name() == ForkName::Fulu {
            self.process_proposer_lookahead(state)?;
        }
        Ok(())
    }

    /// `process_justification_and_finalization` (altair).
    pub fn process_justification_and_finalization(
        &self,
        state: &mut BeaconState<P>,
    ) -> Result<(), TransitionError> {
        if Self::current_epoch(state) <= GENESIS_EPOCH + 1 {
            return Ok(());
        }
        let previous = Self::get_unslashed_participating_indices(
            state,
            TIMELY_TARGET_FLAG_INDEX,
            Self::previous_epoch(state),
        )?;
        let current = Self::get_unslashed_participating_indices(
            state,
            TIMELY_TARGET_FLAG_INDEX,
            Self::current_epoch(state),
        )?;
        let total = Self::get_total_active_balance(state)?;
        let previous_target = Self::get_total_balance(state, previous)?;
        let current_target = Self::get_total_balance(state, current)?;
        Self::weigh_justification_and_finalization(state, total, previous_target, current_target)
    }

    /// `weigh_justification_and_finalization` (phase0).
    pub(crate) fn weigh_justification_and_finalization(
        state: &mut BeaconState<P>,
        total: u64,
        previous_target: u64,
        current_target: u64,
    ) -> Result<(), TransitionError> {
        const WHAT: &str = "weigh_justification_and_finalization";
        let previous_epoch = Self::previous_epoch(state);
        let current_epoch = Self::current_epoch(state);
        let old_previous = state.previous_justified_checkpoint;
        let old_current = state.current_justified_checkpoint;

        state.previous_justified_checkpoint = state.current_justified_checkpoint;
        let mut bits: Vec<bool> = (0..4)
            .map(|i| state.justification_bits.get(i).unwrap_or(false))
            .collect();
        bits.rotate_right(1);
        bits[0] = false;
        if mul(previous_target, 3, WHAT)? >= mul(total, 2, WHAT)? {
            state.current_justified_checkpoint = Checkpoint {
                epoch: Epoch::new(previous_epoch),
                root: Self::get_block_root(state, previous_epoch)?,
            };
            bits[1] = true;
        }
        if mul(current_target, 3, WHAT)? >= mul(total, 2, WHAT)? {
            state.current_justified_checkpoint = Checkpoint {
                epoch: Epoch::new(current_epoch),
                root: Self::get_block_root(state, current_epoch)?,
            };
            bits[0] = true;
        }
        for (i, b) in bits.iter().enumerate() {
            state
                .justification_bits
                .set(i, *b)
                .map_err(|_| TransitionError::Invalid("justification bits"))?;
        }

        let all = |r: std::ops::Range<usize>| bits[r].iter().all(|b| *b);
        if all(1..4) && old_previous.epoch.as_u64() + 3 == current_epoch {
            state.finalized_checkpoint = old_previous;
        }
        if all(1..3) && old_previous.epoch.as_u64() + 2 == current_epoch {
            state.finalized_checkpoint = old_previous;
        }
        if all(0..3) && old_current.epoch.as_u64() + 2 == current_epoch {
            state.finalized_checkpoint = old_current;
        }
        if all(0..2) && old_current.epoch.as_u64() + 1 == current_epoch {
            state.finalized_checkpoint = old_current;
        }
        Ok(())
    }

    /// `get_finality_delay`, `is_in_inactivity_leak` (altair).
    pub(crate) fn is_in_inactivity_leak(state: &BeaconState<P>) -> bool {
        Self::previous_epoch(state).saturating_sub(state.finalized_checkpoint.epoch.as_u64())
            > MIN_EPOCHS_TO_INACTIVITY_PENALTY
    }

    /// `get_eligible_validator_indices` (phase0).
    pub(crate) fn get_eligible_validator_indices(state: &BeaconState<P>) -> Vec<u64> {
        let previous = Self::previous_epoch(state);
        state
            .validators
            .iter()
            .enumerate()
            .filter(|(_, v)| {
                is_active_validator(v, previous)
                    || (v.slashed && previous + 1 < v.withdrawable_epoch.as_u64())
            })
            .map(|(i, _)| i as u64)
            .collect()
    }

    /// `process_inactivity_updates` (altair).
    pub fn process_inactivity_updates(
        &self,
        state: &mut BeaconState<P>,
    ) -> Result<(), TransitionError> {
        if Self::current_epoch(state) == GENESIS_EPOCH {
            return Ok(());
        }
        let participating: std::collections::HashSet<u64> =
            Self::get_unslashed_participating_indices(
                state,
                TIMELY_TARGET_FLAG_INDEX,
                Self::previous_epoch(state),
            )?
            .into_iter()
            .collect();
        let leak = Self::is_in_inactivity_leak(state);
        for index in Self::get_eligible_validator_indices(state) {
            let score = &mut state.inactivity_scores[index as usize];
            if participating.contains(&index) {
                *score -= (*score).min(1);
            } else {
                *score = add(
                    *score,
                    self.config.inactivity_score_bias,
                    "process_inactivity_updates",
                )?;
            }
            if !leak {
                *score -= (*score).min(self.config.inactivity_score_recovery_rate);
            }
        }
        Ok(())
    }

    /// `process_rewards_and_penalties` (altair): the three flag deltas, then the inactivity
    /// penalties, each applied to every validator in turn.
    pub fn process_rewards_and_penalties(
        &self,
        state: &mut BeaconState<P>,
    ) -> Result<(), TransitionError> {
        if Self::current_epoch(state) == GENESIS_EPOCH {
            return Ok(());
        }
        let mut deltas = Vec::with_capacity(4);
        for flag in 0..PARTICIPATION_FLAG_WEIGHTS.len() {
            deltas.push(self.get_flag_index_deltas(state, flag)?);
        }
        deltas.push(self.get_inactivity_penalty_deltas(state)?);
        for (rewards, penalties) in deltas {
            for index in 0..state.validators.len() {
                Self::increase_balance(state, index as u64, rewards[index])?;
                Self::decrease_balance(state, index as u64, penalties[index]);
            }
        }
        Ok(())
    }

    /// `get_flag_index_deltas` (altair).
    fn get_flag_index_deltas(
        &self,
        state: &BeaconState<P>,
        flag: usize,
    ) -> Result<(Vec<u64>, Vec<u64>), TransitionError> {
        const WHAT: &str = "get_flag_index_deltas";
        let n = state.validators.len();
        let mut rewards = vec![0u64; n];
        let mut penalties = vec![0u64; n];
        let participating: Vec<u64> =
            Self::get_unslashed_participating_indices(state, flag, Self::previous_epoch(state))?;
        let weight = PARTICIPATION_FLAG_WEIGHTS[flag];
        let participating_increments =
            Self::get_total_balance(state, participating.iter().copied())?
                / EFFECTIVE_BALANCE_INCREMENT;
        let total = Self::get_total_active_balance(state)?;
        let active_increments = total / EFFECTIVE_BALANCE_INCREMENT;
        let per_increment = Self::get_base_reward_per_increment(total);
        let participating: std::collections::HashSet<u64> = participating.into_iter().collect();
        let leak = Self::is_in_inactivity_leak(state);
        for index in Self::get_eligible_validator_indices(state) {
            let increments = state.validators[index as usize].effective_balance.as_u64()
                / EFFECTIVE_BALANCE_INCREMENT;
            let base_reward = mul(increments, per_increment, WHAT)?;
            if participating.contains(&index) {
                if !leak {
                    let numerator = mul(
                        mul(base_reward, weight, WHAT)?,
                        participating_increments,
                        WHAT,
                    )?;
                    let reward = numerator / mul(active_increments, WEIGHT_DENOMINATOR, WHAT)?;
                    rewards[index as usize] = add(rewards[index as usize], reward, WHAT)?;
                }
            } else if flag != TIMELY_HEAD_FLAG_INDEX {
                let penalty = mul(base_reward, weight, WHAT)? / WEIGHT_DENOMINATOR;
                penalties[index as usize] = add(penalties[index as usize], penalty, WHAT)?;
            }
        }
        Ok((rewards, penalties))
    }

    /// `get_inactivity_penalty_deltas` (bellatrix).
    fn get_inactivity_penalty_deltas(
        &self,
        state: &BeaconState<P>,
    ) -> Result<(Vec<u64>, Vec<u64>), TransitionError> {
        const WHAT: &str = "get_inactivity_penalty_deltas";
        let n = state.validators.len();
        let mut penalties = vec![0u64; n];
        let matching: std::collections::HashSet<u64> = Self::get_unslashed_participating_indices(
            state,
            TIMELY_TARGET_FLAG_INDEX,
            Self::previous_epoch(state),
        )?
        .into_iter()
        .collect();
        let denominator = mul(
            self.config.inactivity_score_bias,
            INACTIVITY_PENALTY_QUOTIENT_BELLATRIX,
            WHAT,
        )?;
        for index in Self::get_eligible_validator_indices(state) {
            if !matching.contains(&index) {
                let i = index as usize;
                let numerator = mul(
                    state.validators[i].effective_balance.as_u64(),
                    state.inactivity_scores[i],
                    WHAT,
                )?;
                penalties[i] = add(penalties[i], numerator / denominator, WHAT)?;
            }
        }
        Ok((vec![0u64; n], penalties))
    }

    /// `process_registry_updates` (electra).
    pub fn process_registry_updates(
        &self,
        state: &mut BeaconState<P>,
    ) -> Result<(), TransitionError> {
        let current = Self::current_epoch(state);
        let activation = compute_activation_exit_epoch(current);
        for index in 0..state.validators.len() {
            let v = &state.validators[index];
            if is_eligible_for_activation_queue(v) {
                state.validators[index].activation_eligibility_epoch = Epoch::new(current + 1);
            } else if is_active_validator(v, current)
                && v.effective_balance.as_u64() <= self.config.ejection_balance
            {
                self.initiate_validator_exit(state, index as u64)?;
            } else if v.activation_eligibility_epoch <= state.finalized_checkpoint.epoch
                && v.activation_epoch.as_u64() == FAR_FUTURE_EPOCH
            {
                state.validators[index].activation_epoch = Epoch::new(activation);
            }
        }
        Ok(())
    }

    /// `process_slashings` (electra).
    pub fn process_slashings(&self, state: &mut BeaconState<P>) -> Result<(), TransitionError> {
        const WHAT: &str = "process_slashings";
        let epoch = Self::current_epoch(state);
        let total = Self::get_total_active_balance(state)?;
        let mut sum = 0u64;
        for s in state.slashings.iter() {
            sum = add(sum, s.as_u64(), WHAT)?;
        }
        let adjusted = mul(sum, PROPORTIONAL_SLASHING_MULTIPLIER_BELLATRIX, WHAT)?.min(total);
        let per_increment = adjusted / (total / EFFECTIVE_BALANCE_INCREMENT);
        let target = add(epoch, P::epochs_per_slashings_vector() / 2, WHAT)?;
        for index in 0..state.validators.len() {
            let v = &state.validators[index];
            if v.slashed && target == v.withdrawable_epoch.as_u64() {
                let increments = v.effective_balance.as_u64() / EFFECTIVE_BALANCE_INCREMENT;
                let penalty = mul(per_increment, increments, WHAT)?;
                Self::decrease_balance(state, index as u64, penalty);
            }
        }
        Ok(())
    }

    /// `process_eth1_data_reset` (phase0).
    pub fn process_eth1_data_reset(&self, state: &mut BeaconState<P>) {
        if (Self::current_epoch(state) + 1).is_multiple_of(P::EPOCHS_PER_ETH1_VOTING_PERIOD) {
            state.eth1_data_votes = VariableList::default();
        }
    }

    /// `process_pending_deposits` (electra; Fulu drops the wait for Eth1 bridge deposits).
    pub fn process_pending_deposits(
        &self,
        state: &mut BeaconState<P>,
    ) -> Result<(), TransitionError> {
        const WHAT: &str = "process_pending_deposits";
        let next_epoch = Self::current_epoch(state) + 1;
        let available = add(
            state.deposit_balance_to_consume.as_u64(),
            self.get_activation_exit_churn_limit(state)?,
            WHAT,
        )?;
        let mut processed = 0u64;
        let mut next_index = 0usize;
        let mut postponed = Vec::new();
        let mut churn_reached = false;
        let finalized_slot = Self::start_slot(state.finalized_checkpoint.epoch.as_u64());
        // `validator_pubkeys.index(pubkey)`: the first validator with the key, kept up to date as
        // deposits add validators.
        let mut index_of: HashMap<_, u64> = HashMap::new();
        for (i, v) in state.validators.iter().enumerate().rev() {
            index_of.insert(v.pubkey, i as u64);
        }
        let deposits: Vec<_> = state.pending_deposits.iter().copied().collect();
        for deposit in &deposits {
            if state.fork_name() == ForkName::Electra
                && deposit.slot.as_u64() > 0
                && state.eth1_deposit_index < state.deposit_requests_start_index
            {
                break;
            }
            if deposit.slot.as_u64() > finalized_slot {
                break;
            }
            if next_index >= MAX_PENDING_DEPOSITS_PER_EPOCH {
                break;
            }
            let (exited, withdrawn) = match index_of.get(&deposit.pubkey) {
                Some(&i) => {
                    let v = &state.validators[i as usize];
                    (
                        v.exit_epoch.as_u64() < FAR_FUTURE_EPOCH,
                        v.withdrawable_epoch.as_u64() < next_epoch,
                    )
                }
                None => (false, false),
            };
            if withdrawn {
                self.apply_pending_deposit(state, deposit, &mut index_of)?;
            } else if exited {
                postponed.push(*deposit);
            } else {
                churn_reached = add(processed, deposit.amount.as_u64(), WHAT)? > available;
                if churn_reached {
                    break;
                }
                processed += deposit.amount.as_u64();
                self.apply_pending_deposit(state, deposit, &mut index_of)?;
            }
            next_index += 1;
        }
        let mut remaining: Vec<_> = deposits[next_index..].to_vec();
        remaining.extend(postponed);
        state.pending_deposits = VariableList::new(remaining)
            .map_err(|_| TransitionError::ListFull("pending_deposits"))?;
        state.deposit_balance_to_consume = Gwei::new(if churn_reached {
            available - processed
        } else {
            0
        });
        Ok(())
    }

    /// `apply_pending_deposit` (electra).
    fn apply_pending_deposit(
        &self,
        state: &mut BeaconState<P>,
        deposit: &lsv_proofs::state::PendingDeposit,
        index_of: &mut HashMap<lsv_consensus::PublicKeyBytes, u64>,
    ) -> Result<(), TransitionError> {
        match index_of.get(&deposit.pubkey) {
            Some(&i) => Self::increase_balance(state, i, deposit.amount.as_u64()),
            None => {
                if self.is_valid_deposit_signature(
                    &deposit.pubkey,
                    deposit.withdrawal_credentials,
                    deposit.amount.as_u64(),
                    &deposit.signature,
                ) {
                    let index = state.validators.len() as u64;
                    Self::add_validator_to_registry(
                        state,
                        deposit.pubkey,
                        deposit.withdrawal_credentials,
                        deposit.amount.as_u64(),
                    )?;
                    index_of.insert(deposit.pubkey, index);
                }
                Ok(())
            }
        }
    }

    /// `process_pending_consolidations` (electra).
    pub fn process_pending_consolidations(
        &self,
        state: &mut BeaconState<P>,
    ) -> Result<(), TransitionError> {
        let next_epoch = Self::current_epoch(state) + 1;
        let mut next = 0usize;
        let pending: Vec<_> = state.pending_consolidations.iter().copied().collect();
        for c in &pending {
            let source = &state.validators[c.source_index as usize];
            if source.slashed {
                next += 1;
                continue;
            }
            if source.withdrawable_epoch.as_u64() > next_epoch {
                break;
            }
            let amount = state.balances[c.source_index as usize]
                .as_u64()
                .min(source.effective_balance.as_u64());
            Self::decrease_balance(state, c.source_index, amount);
            Self::increase_balance(state, c.target_index, amount)?;
            next += 1;
        }
        state.pending_consolidations = VariableList::new(pending[next..].to_vec())
            .map_err(|_| TransitionError::ListFull("pending_consolidations"))?;
        Ok(())
    }

    /// `process_effective_balance_updates` (electra): hysteresis, capped by each validator's
    /// maximum.
    pub fn process_effective_balance_updates(&self, state: &mut BeaconState<P>) {
        let hysteresis = EFFECTIVE_BALANCE_INCREMENT / HYSTERESIS_QUOTIENT;
        let downward = hysteresis * HYSTERESIS_DOWNWARD_MULTIPLIER;
        let upward = hysteresis * HYSTERESIS_UPWARD_MULTIPLIER;
        for index in 0..state.validators.len() {
            let balance = state.balances[index].as_u64();
            let v = &mut state.validators[index];
            let effective = v.effective_balance.as_u64();
            if balance.saturating_add(downward) < effective
                || effective.saturating_add(upward) < balance
            {
                v.effective_balance = Gwei::new(
                    (balance - balance % EFFECTIVE_BALANCE_INCREMENT)
                        .min(get_max_effective_balance(v)),
                );
            }
        }
    }

    /// `process_slashings_reset` (phase0).
    pub fn process_slashings_reset(&self, state: &mut BeaconState<P>) {
        let next = Self::current_epoch(state) + 1;
        state.slashings[(next % P::epochs_per_slashings_vector()) as usize] = Gwei::new(0);
    }

    /// `process_randao_mixes_reset` (phase0).
    pub fn process_randao_mixes_reset(&self, state: &mut BeaconState<P>) {
        let current = Self::current_epoch(state);
        let mix = Self::get_randao_mix(state, current);
        state.randao_mixes[((current + 1) % P::epochs_per_historical_vector()) as usize] = mix;
    }

    /// `process_historical_summaries_update` (capella).
    pub fn process_historical_summaries_update(
        &self,
        state: &mut BeaconState<P>,
    ) -> Result<(), TransitionError> {
        let next = Self::current_epoch(state) + 1;
        if next.is_multiple_of(P::slots_per_historical_root() / P::SLOTS_PER_EPOCH) {
            let summary = HistoricalSummary {
                block_summary_root: state.block_roots.tree_hash_root(),
                state_summary_root: state.state_roots.tree_hash_root(),
            };
            state
                .historical_summaries
                .push(summary)
                .map_err(|_| TransitionError::ListFull("historical_summaries"))?;
        }
        Ok(())
    }

    /// `process_participation_flag_updates` (altair).
    pub fn process_participation_flag_updates(
        &self,
        state: &mut BeaconState<P>,
    ) -> Result<(), TransitionError> {
        let n = state.validators.len();
        state.previous_epoch_participation = std::mem::take(&mut state.current_epoch_participation);
        state.current_epoch_participation = VariableList::new(vec![0u8; n])
            .map_err(|_| TransitionError::ListFull("current_epoch_participation"))?;
        Ok(())
    }

    /// `process_sync_committee_updates` (altair).
    pub fn process_sync_committee_updates(
        &self,
        state: &mut BeaconState<P>,
    ) -> Result<(), TransitionError> {
        if (Self::current_epoch(state) + 1).is_multiple_of(P::EPOCHS_PER_SYNC_COMMITTEE_PERIOD) {
            let next = Self::get_next_sync_committee(state)?;
            state.current_sync_committee = std::mem::replace(&mut state.next_sync_committee, next);
        }
        Ok(())
    }

    /// `process_proposer_lookahead` (fulu, EIP-7917).
    pub fn process_proposer_lookahead(
        &self,
        state: &mut BeaconState<P>,
    ) -> Result<(), TransitionError> {
        let spe = P::SLOTS_PER_EPOCH as usize;
        let mut lookahead: Vec<u64> = state.proposer_lookahead.iter().copied().collect();
        lookahead.drain(..spe);
        let epoch = Self::current_epoch(state) + MIN_SEED_LOOKAHEAD + 1;
        lookahead.extend(Self::get_beacon_proposer_indices(state, epoch)?);
        state.proposer_lookahead = FixedVector::new(lookahead)
            .map_err(|_| TransitionError::Invalid("proposer_lookahead length"))?;
        Ok(())
    }

    /// `upgrade_to_fulu` (fulu "Fork"): the fork record and the initial proposer lookahead.
    pub fn upgrade_to_fulu(&self, state: &mut BeaconState<P>) -> Result<(), TransitionError> {
        let epoch = Self::current_epoch(state);
        let mut lookahead = Vec::new();
        for i in 0..=MIN_SEED_LOOKAHEAD {
            lookahead.extend(Self::get_beacon_proposer_indices(state, epoch + i)?);
        }
        state.fork.previous_version = state.fork.current_version;
        state.fork.current_version = self.config.fulu_fork_version;
        state.fork.epoch = Epoch::new(epoch);
        state.proposer_lookahead = FixedVector::new(lookahead)
            .map_err(|_| TransitionError::Invalid("proposer_lookahead length"))?;
        state.set_fork_name(ForkName::Fulu);
        Ok(())
    }
}
