//! `process_operations` and every operation (phase0 to fulu "Operations").

use super::config::*;
use super::helpers::*;
use super::{ensure, BeaconState, Spec, SpecPreset, TransitionError};
use alloy_primitives::B256;
use lsv_consensus::containers::electra::{Attestation, IndexedAttestation};
use lsv_consensus::containers::{Deposit, ProposerSlashing, SignedVoluntaryExit};
use lsv_consensus::network::{compute_domain, compute_signing_root, domain};
use lsv_consensus::{ForkName, PublicKeyBytes, Slot};
use lsv_proofs::block::{
    AttesterSlashing, BeaconBlockBody, ConsolidationRequest, DepositRequest,
    SignedBlsToExecutionChange, WithdrawalRequest,
};
use lsv_proofs::state::{PendingConsolidation, PendingDeposit, PendingPartialWithdrawal};
use tree_hash::TreeHash;

impl<P: SpecPreset> Spec<P> {
    /// `process_operations` (electra: legacy deposits until the Eth1 bridge is drained; fulu:
    /// none).
    pub fn process_operations(
        &self,
        state: &mut BeaconState<P>,
        body: &BeaconBlockBody<P>,
    ) -> Result<(), TransitionError> {
        if state.fork_name() == ForkName::Electra {
            let limit = state
                .eth1_data
                .deposit_count
                .min(state.deposit_requests_start_index);
            if state.eth1_deposit_index < limit {
                ensure!(
                    body.deposits.len() as u64
                        == MAX_DEPOSITS.min(limit - state.eth1_deposit_index),
                    "process_operations: deposit count"
                );
            } else {
                ensure!(
                    body.deposits.is_empty(),
                    "process_operations: deposits after the bridge"
                );
            }
        } else {
            ensure!(
                body.deposits.is_empty(),
                "process_operations: deposits in fulu"
            );
        }
        for op in body.proposer_slashings.iter() {
            self.process_proposer_slashing(state, op)?;
        }
        for op in body.attester_slashings.iter() {
            self.process_attester_slashing(state, op)?;
        }
        for op in body.attestations.iter() {
            self.process_attestation(state, op)?;
        }
        for op in body.deposits.iter() {
            self.process_deposit(state, op)?;
        }
        for op in body.voluntary_exits.iter() {
            self.process_voluntary_exit(state, op)?;
        }
        for op in body.bls_to_execution_changes.iter() {
            self.process_bls_to_execution_change(state, op)?;
        }
        for op in body.execution_requests.deposits.iter() {
            self.process_deposit_request(state, op)?;
        }
        for op in body.execution_requests.withdrawals.iter() {
            self.process_withdrawal_request(state, op)?;
        }
        for op in body.execution_requests.consolidations.iter() {
            self.process_consolidation_request(state, op)?;
        }
        Ok(())
    }

    /// `process_proposer_slashing` (phase0).
    pub fn process_proposer_slashing(
        &self,
        state: &mut BeaconState<P>,
        slashing: &ProposerSlashing,
    ) -> Result<(), TransitionError> {
        let h1 = &slashing.signed_header_1.message;
        let h2 = &slashing.signed_header_2.message;
        ensure!(
            h1.slot == h2.slot,
            "process_proposer_slashing: slots differ"
        );
        ensure!(
            h1.proposer_index == h2.proposer_index,
            "process_proposer_slashing: proposers differ"
        );
        ensure!(h1 != h2, "process_proposer_slashing: same header");
        let proposer =
            state
                .validators
                .get(h1.proposer_index as usize)
                .ok_or(TransitionError::Invalid(
                    "process_proposer_slashing: unknown proposer",
                ))?;
        ensure!(
            is_slashable_validator(proposer, Self::current_epoch(state)),
            "process_proposer_slashing: not slashable"
        );
        for signed in [&slashing.signed_header_1, &slashing.signed_header_2] {
            let domain = Self::get_domain(
                state,
                domain::BEACON_PROPOSER,
                Some(Self::epoch_at(signed.message.slot.as_u64())),
            );
            let root = compute_signing_root(signed.message.tree_hash_root(), domain);
            ensure!(
                self.verify(&proposer.pubkey, &root, &signed.signature),
                "process_proposer_slashing: signature"
            );
        }
        self.slash_validator(state, h1.proposer_index, None)
    }

    /// `process_attester_slashing` (phase0, Electra's containers).
    pub fn process_attester_slashing(
        &self,
        state: &mut BeaconState<P>,
        slashing: &AttesterSlashing<P>,
    ) -> Result<(), TransitionError> {
        let a1 = &slashing.attestation_1;
        let a2 = &slashing.attestation_2;
        ensure!(
            is_slashable_attestation_data(&a1.data, &a2.data),
            "process_attester_slashing: not slashable data"
        );
        ensure!(
            self.is_valid_indexed_attestation(state, a1),
            "process_attester_slashing: attestation 1"
        );
        ensure!(
            self.is_valid_indexed_attestation(state, a2),
            "process_attester_slashing: attestation 2"
        );
        let set2: std::collections::BTreeSet<u64> = a2.attesting_indices.iter().copied().collect();
        let both: std::collections::BTreeSet<u64> = a1
            .attesting_indices
            .iter()
            .copied()
            .filter(|i| set2.contains(i))
            .collect();
        let mut slashed_any = false;
        for index in both {
            if is_slashable_validator(
                &state.validators[index as usize],
                Self::current_epoch(state),
            ) {
                self.slash_validator(state, index, None)?;
                slashed_any = true;
            }
        }
        ensure!(slashed_any, "process_attester_slashing: nobody slashable");
        Ok(())
    }

    /// `process_attestation` (electra, EIP-7549).
    pub fn process_attestation(
        &self,
        state: &mut BeaconState<P>,
        attestation: &Attestation<P>,
    ) -> Result<(), TransitionError> {
        const WHAT: &str = "process_attestation";
        let data = &attestation.data;
        let target = data.target.epoch.as_u64();
        let current = Self::current_epoch(state);
        ensure!(
            target == Self::previous_epoch(state) || target == current,
            "process_attestation: target epoch not current or previous"
        );
        ensure!(
            target == Self::epoch_at(data.slot.as_u64()),
            "process_attestation: target epoch not the slot's"
        );
        ensure!(
            data.slot.as_u64() + MIN_ATTESTATION_INCLUSION_DELAY <= state.slot.as_u64(),
            "process_attestation: included too early"
        );
        ensure!(data.index == 0, "process_attestation: index not 0");
        let committees = Self::beacon_committees(state, target);
        let slot_in_epoch = data.slot.as_u64() % P::SLOTS_PER_EPOCH;
        let mut offset = 0usize;
        for index in get_committee_indices(&attestation.committee_bits) {
            ensure!(
                index < committees.per_slot,
                "process_attestation: committee index out of range"
            );
            let committee = committees.committee(slot_in_epoch, index);
            let attesters = (0..committee.len())
                .filter(|i| {
                    attestation
                        .aggregation_bits
                        .get(offset + i)
                        .unwrap_or(false)
                })
                .count();
            ensure!(
                attesters > 0,
                "process_attestation: a committee with no attester"
            );
            offset += committee.len();
        }
        ensure!(
            attestation.aggregation_bits.len() == offset,
            "process_attestation: aggregation bits length"
        );
        let flags = self.get_attestation_participation_flag_indices(
            state,
            data,
            state.slot.as_u64() - data.slot.as_u64(),
        )?;
        let attesting = Self::attesting_indices(&committees, attestation)?;
        let indexed = IndexedAttestation::<P> {
            attesting_indices: IndexList::<P>::new(attesting.clone())
                .map_err(|_| TransitionError::Invalid("process_attestation: too many attesters"))?,
            data: *data,
            signature: attestation.signature,
        };
        ensure!(
            self.is_valid_indexed_attestation(state, &indexed),
            "process_attestation: signature"
        );

        let total = Self::get_total_active_balance(state)?;
        let per_increment = Self::get_base_reward_per_increment(total);
        let mut numerator = 0u64;
        for index in attesting {
            let i = index as usize;
            let increments =
                state.validators[i].effective_balance.as_u64() / EFFECTIVE_BALANCE_INCREMENT;
            let base_reward = mul(increments, per_increment, WHAT)?;
            let participation = if target == current {
                &mut state.current_epoch_participation
            } else {
                &mut state.previous_epoch_participation
            };
            for (flag, weight) in PARTICIPATION_FLAG_WEIGHTS.iter().enumerate() {
                if flags.contains(&flag) && !has_flag(participation[i], flag) {
                    participation[i] |= 1 << flag;
                    numerator = add(numerator, mul(base_reward, *weight, WHAT)?, WHAT)?;
                }
            }
        }
        let denominator =
            (WEIGHT_DENOMINATOR - PROPOSER_WEIGHT) * WEIGHT_DENOMINATOR / PROPOSER_WEIGHT;
        let proposer = Self::get_beacon_proposer_index(state)?;
        Self::increase_balance(state, proposer, numerator / denominator)
    }

    /// `get_attestation_participation_flag_indices` (deneb).
    fn get_attestation_participation_flag_indices(
        &self,
        state: &BeaconState<P>,
        data: &lsv_consensus::containers::AttestationData,
        inclusion_delay: u64,
    ) -> Result<Vec<usize>, TransitionError> {
        let justified = if data.target.epoch.as_u64() == Self::current_epoch(state) {
            state.current_justified_checkpoint
        } else {
            state.previous_justified_checkpoint
        };
        let matching_source = data.source == justified;
        let matching_target = matching_source
            && data.target.root == Self::get_block_root(state, data.target.epoch.as_u64())?;
        let matching_head = matching_target
            && data.beacon_block_root == Self::get_block_root_at_slot(state, data.slot.as_u64())?;
        ensure!(
            matching_source,
            "process_attestation: source not the justified checkpoint"
        );
        let mut flags = Vec::new();
        if matching_source && inclusion_delay <= integer_squareroot(P::SLOTS_PER_EPOCH) {
            flags.push(TIMELY_SOURCE_FLAG_INDEX);
        }
        if matching_target {
            flags.push(TIMELY_TARGET_FLAG_INDEX);
        }
        if matching_head && inclusion_delay == MIN_ATTESTATION_INCLUSION_DELAY {
            flags.push(TIMELY_HEAD_FLAG_INDEX);
        }
        Ok(flags)
    }

    /// `process_deposit` (electra: the Eth1 bridge, until it is drained).
    pub fn process_deposit(
        &self,
        state: &mut BeaconState<P>,
        deposit: &Deposit,
    ) -> Result<(), TransitionError> {
        let leaf = deposit.data.tree_hash_root();
        let mut value = leaf.0;
        let index = state.eth1_deposit_index;
        for (i, sibling) in deposit.proof.iter().enumerate() {
            value = if (index >> i) & 1 == 1 {
                hash(&[sibling.as_slice(), &value])
            } else {
                hash(&[&value, sibling.as_slice()])
            };
        }
        ensure!(
            deposit.proof.len() == DEPOSIT_CONTRACT_TREE_DEPTH + 1
                && B256::from(value) == state.eth1_data.deposit_root,
            "process_deposit: merkle branch"
        );
        state.eth1_deposit_index = add(state.eth1_deposit_index, 1, "process_deposit")?;
        let d = &deposit.data;
        self.apply_deposit(
            state,
            d.pubkey,
            d.withdrawal_credentials,
            d.amount.as_u64(),
            d.signature,
        )
    }

    /// `apply_deposit` (electra): a new key joins the registry only with a valid proof of
    /// possession; the amount always waits in `pending_deposits`.
    fn apply_deposit(
        &self,
        state: &mut BeaconState<P>,
        pubkey: PublicKeyBytes,
        withdrawal_credentials: B256,
        amount: u64,
        signature: lsv_consensus::SignatureBytes,
    ) -> Result<(), TransitionError> {
        if !state.validators.iter().any(|v| v.pubkey == pubkey) {
            if !self.is_valid_deposit_signature(&pubkey, withdrawal_credentials, amount, &signature)
            {
                return Ok(());
            }
            Self::add_validator_to_registry(state, pubkey, withdrawal_credentials, 0)?;
        }
        state
            .pending_deposits
            .push(PendingDeposit {
                pubkey,
                withdrawal_credentials,
                amount: lsv_consensus::Gwei::new(amount),
                signature,
                slot: Slot::new(0),
            })
            .map_err(|_| TransitionError::ListFull("pending_deposits"))
    }

    /// `process_voluntary_exit` (electra).
    pub fn process_voluntary_exit(
        &self,
        state: &mut BeaconState<P>,
        signed: &SignedVoluntaryExit,
    ) -> Result<(), TransitionError> {
        let exit = &signed.message;
        let current = Self::current_epoch(state);
        let v =
            state
                .validators
                .get(exit.validator_index as usize)
                .ok_or(TransitionError::Invalid(
                    "process_voluntary_exit: unknown validator",
                ))?;
        ensure!(
            is_active_validator(v, current),
            "process_voluntary_exit: not active"
        );
        ensure!(
            v.exit_epoch.as_u64() == FAR_FUTURE_EPOCH,
            "process_voluntary_exit: already exiting"
        );
        ensure!(
            current >= exit.epoch.as_u64(),
            "process_voluntary_exit: not yet valid"
        );
        ensure!(
            current
                >= add(
                    v.activation_epoch.as_u64(),
                    self.config.shard_committee_period,
                    "process_voluntary_exit"
                )?,
            "process_voluntary_exit: active too briefly"
        );
        ensure!(
            Self::get_pending_balance_to_withdraw(state, exit.validator_index)? == 0,
            "process_voluntary_exit: pending partial withdrawals"
        );
        let domain = compute_domain(
            domain::VOLUNTARY_EXIT,
            self.config.capella_fork_version,
            state.genesis_validators_root,
        );
        let root = compute_signing_root(exit.tree_hash_root(), domain);
        ensure!(
            self.verify(&v.pubkey, &root, &signed.signature),
            "process_voluntary_exit: signature"
        );
        self.initiate_validator_exit(state, exit.validator_index)
    }

    /// `process_bls_to_execution_change` (capella).
    pub fn process_bls_to_execution_change(
        &self,
        state: &mut BeaconState<P>,
        signed: &SignedBlsToExecutionChange,
    ) -> Result<(), TransitionError> {
        let change = &signed.message;
        ensure!(
            (change.validator_index as usize) < state.validators.len(),
            "process_bls_to_execution_change: unknown validator"
        );
        let v = &state.validators[change.validator_index as usize];
        ensure!(
            v.withdrawal_credentials[0] == BLS_WITHDRAWAL_PREFIX,
            "process_bls_to_execution_change: not BLS credentials"
        );
        ensure!(
            v.withdrawal_credentials[1..] == hash(&[&change.from_bls_pubkey.0])[1..],
            "process_bls_to_execution_change: another key's credentials"
        );
        let domain = compute_domain(
            domain::BLS_TO_EXECUTION_CHANGE,
            self.config.genesis_fork_version,
            state.genesis_validators_root,
        );
        let root = compute_signing_root(change.tree_hash_root(), domain);
        ensure!(
            self.verify(&change.from_bls_pubkey, &root, &signed.signature),
            "process_bls_to_execution_change: signature"
        );
        let mut creds = [0u8; 32];
        creds[0] = ETH1_ADDRESS_WITHDRAWAL_PREFIX;
        creds[12..].copy_from_slice(change.to_execution_address.as_slice());
        state.validators[change.validator_index as usize].withdrawal_credentials =
            B256::from(creds);
        Ok(())
    }

    /// `process_deposit_request` (electra; Fulu no longer records the start index).
    pub fn process_deposit_request(
        &self,
        state: &mut BeaconState<P>,
        request: &DepositRequest,
    ) -> Result<(), TransitionError> {
        if state.fork_name() == ForkName::Electra
            && state.deposit_requests_start_index == UNSET_DEPOSIT_REQUESTS_START_INDEX
        {
            state.deposit_requests_start_index = request.index;
        }
        let slot = state.slot;
        state
            .pending_deposits
            .push(PendingDeposit {
                pubkey: request.pubkey,
                withdrawal_credentials: request.withdrawal_credentials,
                amount: request.amount,
                signature: request.signature,
                slot,
            })
            .map_err(|_| TransitionError::ListFull("pending_deposits"))
    }

    /// The index of the first validator with `pubkey` (`validator_pubkeys.index(pubkey)`).
    fn index_of(state: &BeaconState<P>, pubkey: &PublicKeyBytes) -> Option<u64> {
        state
            .validators
            .iter()
            .position(|v| v.pubkey == *pubkey)
            .map(|i| i as u64)
    }

    /// `process_withdrawal_request` (electra, EIP-7002): invalid requests are ignored.
    pub fn process_withdrawal_request(
        &self,
        state: &mut BeaconState<P>,
        request: &WithdrawalRequest,
    ) -> Result<(), TransitionError> {
        const WHAT: &str = "process_withdrawal_request";
        let amount = request.amount.as_u64();
        let full_exit = amount == FULL_EXIT_REQUEST_AMOUNT;
        if state.pending_partial_withdrawals.len() == P::pending_partial_withdrawals_limit()
            && !full_exit
        {
            return Ok(());
        }
        let Some(index) = Self::index_of(state, &request.validator_pubkey) else {
            return Ok(());
        };
        let v = &state.validators[index as usize];
        let current = Self::current_epoch(state);
        if !(has_execution_withdrawal_credential(v)
            && v.withdrawal_credentials[12..] == request.source_address[..])
        {
            return Ok(());
        }
        if !is_active_validator(v, current) || v.exit_epoch.as_u64() != FAR_FUTURE_EPOCH {
            return Ok(());
        }
        if current
            < add(
                v.activation_epoch.as_u64(),
                self.config.shard_committee_period,
                WHAT,
            )?
        {
            return Ok(());
        }
        let pending = Self::get_pending_balance_to_withdraw(state, index)?;
        if full_exit {
            if pending == 0 {
                self.initiate_validator_exit(state, index)?;
            }
            return Ok(());
        }
        let balance = state.balances[index as usize].as_u64();
        let sufficient = v.effective_balance.as_u64() >= MIN_ACTIVATION_BALANCE;
        let excess = balance > add(MIN_ACTIVATION_BALANCE, pending, WHAT)?;
        if has_compounding_withdrawal_credential(v) && sufficient && excess {
            let to_withdraw = (balance - MIN_ACTIVATION_BALANCE - pending).min(amount);
            let exit_epoch = self.compute_exit_epoch_and_update_churn(state, to_withdraw)?;
            let withdrawable = add(
                exit_epoch,
                self.config.min_validator_withdrawability_delay,
                WHAT,
            )?;
            state
                .pending_partial_withdrawals
                .push(PendingPartialWithdrawal {
                    validator_index: index,
                    amount: lsv_consensus::Gwei::new(to_withdraw),
                    withdrawable_epoch: lsv_consensus::Epoch::new(withdrawable),
                })
                .map_err(|_| TransitionError::ListFull("pending_partial_withdrawals"))?;
        }
        Ok(())
    }

    /// `is_valid_switch_to_compounding_request` (electra).
    fn is_valid_switch_to_compounding_request(
        state: &BeaconState<P>,
        request: &ConsolidationRequest,
    ) -> Option<u64> {
        if request.source_pubkey != request.target_pubkey {
            return None;
        }
        let index = Self::index_of(state, &request.source_pubkey)?;
        let v = &state.validators[index as usize];
        let valid = v.withdrawal_credentials[12..] == request.source_address[..]
            && has_eth1_withdrawal_credential(v)
            && is_active_validator(v, Self::current_epoch(state))
            && v.exit_epoch.as_u64() == FAR_FUTURE_EPOCH;
        valid.then_some(index)
    }

    /// `process_consolidation_request` (electra, EIP-7251): invalid requests are ignored.
    pub fn process_consolidation_request(
        &self,
        state: &mut BeaconState<P>,
        request: &ConsolidationRequest,
    ) -> Result<(), TransitionError> {
        const WHAT: &str = "process_consolidation_request";
        if let Some(index) = Self::is_valid_switch_to_compounding_request(state, request) {
            return Self::switch_to_compounding_validator(state, index);
        }
        if request.source_pubkey == request.target_pubkey {
            return Ok(());
        }
        if state.pending_consolidations.len() == P::pending_consolidations_limit() {
            return Ok(());
        }
        if self.get_consolidation_churn_limit(state)? <= MIN_ACTIVATION_BALANCE {
            return Ok(());
        }
        let (Some(source), Some(target)) = (
            Self::index_of(state, &request.source_pubkey),
            Self::index_of(state, &request.target_pubkey),
        ) else {
            return Ok(());
        };
        let s = &state.validators[source as usize];
        let t = &state.validators[target as usize];
        if !(has_execution_withdrawal_credential(s)
            && s.withdrawal_credentials[12..] == request.source_address[..])
        {
            return Ok(());
        }
        if !has_compounding_withdrawal_credential(t) {
            return Ok(());
        }
        let current = Self::current_epoch(state);
        if !is_active_validator(s, current) || !is_active_validator(t, current) {
            return Ok(());
        }
        if s.exit_epoch.as_u64() != FAR_FUTURE_EPOCH || t.exit_epoch.as_u64() != FAR_FUTURE_EPOCH {
            return Ok(());
        }
        if current
            < add(
                s.activation_epoch.as_u64(),
                self.config.shard_committee_period,
                WHAT,
            )?
        {
            return Ok(());
        }
        if Self::get_pending_balance_to_withdraw(state, source)? > 0 {
            return Ok(());
        }
        let balance = s.effective_balance.as_u64();
        let exit = self.compute_consolidation_epoch_and_update_churn(state, balance)?;
        let withdrawable = add(exit, self.config.min_validator_withdrawability_delay, WHAT)?;
        let s = &mut state.validators[source as usize];
        s.exit_epoch = lsv_consensus::Epoch::new(exit);
        s.withdrawable_epoch = lsv_consensus::Epoch::new(withdrawable);
        state
            .pending_consolidations
            .push(PendingConsolidation {
                source_index: source,
                target_index: target,
            })
            .map_err(|_| TransitionError::ListFull("pending_consolidations"))
    }
}
