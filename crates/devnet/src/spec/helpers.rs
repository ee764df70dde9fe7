//! The spec's helper functions: math, predicates, accessors and mutators (phase0 "Helper
//! functions", as Altair to Fulu modify them).

use super::bls;
use super::config::*;
use super::shuffle::{compute_committee, compute_shuffled_permutation};
use super::{ensure, BeaconState, Spec, SpecPreset, TransitionError};
use alloy_primitives::B256;
use lsv_consensus::containers::electra::{Attestation, IndexedAttestation};
use lsv_consensus::containers::{AttestationData, DepositMessage, Validator};
use lsv_consensus::network::{compute_domain, compute_signing_root, domain};
use lsv_consensus::{Epoch, ForkName, Gwei, PublicKeyBytes, SignatureBytes, Slot};
use lsv_proofs::state::{PendingDeposit, SyncCommittee};
use sha2::{Digest, Sha256};
use ssz_types::{BitVector, FixedVector, VariableList};
use tree_hash::TreeHash;

/// `hash`: SHA-256.
pub(crate) fn hash(parts: &[&[u8]]) -> [u8; 32] {
    let mut h = Sha256::new();
    for p in parts {
        h.update(p);
    }
    h.finalize().into()
}

/// `integer_squareroot(n)` (phase0 "Math").
pub(crate) fn integer_squareroot(n: u64) -> u64 {
    // The spec's Newton iteration (with its u64::MAX case) is the floor square root, which std
    // computes.
    n.isqrt()
}

/// `is_active_validator` (phase0).
pub(crate) fn is_active_validator(v: &Validator, epoch: u64) -> bool {
    v.activation_epoch.as_u64() <= epoch && epoch < v.exit_epoch.as_u64()
}

/// `is_eligible_for_activation_queue` (electra, EIP-7251).
pub(crate) fn is_eligible_for_activation_queue(v: &Validator) -> bool {
    v.activation_eligibility_epoch.as_u64() == FAR_FUTURE_EPOCH
        && v.effective_balance.as_u64() >= MIN_ACTIVATION_BALANCE
}

/// `is_slashable_validator` (phase0).
pub(crate) fn is_slashable_validator(v: &Validator, epoch: u64) -> bool {
    !v.slashed && v.activation_epoch.as_u64() <= epoch && epoch < v.withdrawable_epoch.as_u64()
}

/// `is_slashable_attestation_data` (phase0): a double vote or a surround vote.
pub(crate) fn is_slashable_attestation_data(d1: &AttestationData, d2: &AttestationData) -> bool {
    (d1 != d2 && d1.target.epoch == d2.target.epoch)
        || (d1.source.epoch < d2.source.epoch && d2.target.epoch < d1.target.epoch)
}

/// `has_eth1_withdrawal_credential` (capella).
pub(crate) fn has_eth1_withdrawal_credential(v: &Validator) -> bool {
    v.withdrawal_credentials[0] == ETH1_ADDRESS_WITHDRAWAL_PREFIX
}

/// `has_compounding_withdrawal_credential` (electra).
pub(crate) fn has_compounding_withdrawal_credential(v: &Validator) -> bool {
    v.withdrawal_credentials[0] == COMPOUNDING_WITHDRAWAL_PREFIX
}

/// `has_execution_withdrawal_credential` (electra): 0x01 or 0x02.
pub(crate) fn has_execution_withdrawal_credential(v: &Validator) -> bool {
    has_eth1_withdrawal_credential(v) || has_compounding_withdrawal_credential(v)
}

/// `get_max_effective_balance` (electra).
pub(crate) fn get_max_effective_balance(v: &Validator) -> u64 {
    if has_compounding_withdrawal_credential(v) {
        MAX_EFFECTIVE_BALANCE_ELECTRA
    } else {
        MIN_ACTIVATION_BALANCE
    }
}

/// `is_fully_withdrawable_validator` (electra).
pub(crate) fn is_fully_withdrawable_validator(v: &Validator, balance: u64, epoch: u64) -> bool {
    has_execution_withdrawal_credential(v) && v.withdrawable_epoch.as_u64() <= epoch && balance > 0
}

/// `is_partially_withdrawable_validator` (electra).
pub(crate) fn is_partially_withdrawable_validator(v: &Validator, balance: u64) -> bool {
    let max = get_max_effective_balance(v);
    has_execution_withdrawal_credential(v) && v.effective_balance.as_u64() == max && balance > max
}

/// `is_eligible_for_partial_withdrawals` (electra).
pub(crate) fn is_eligible_for_partial_withdrawals(v: &Validator, balance: u64) -> bool {
    v.exit_epoch.as_u64() == FAR_FUTURE_EPOCH
        && v.effective_balance.as_u64() >= MIN_ACTIVATION_BALANCE
        && balance > MIN_ACTIVATION_BALANCE
}

/// `compute_activation_exit_epoch` (phase0).
pub(crate) fn compute_activation_exit_epoch(epoch: u64) -> u64 {
    epoch + 1 + MAX_SEED_LOOKAHEAD
}

/// `has_flag`, `add_flag` (altair).
pub(crate) fn has_flag(flags: u8, index: usize) -> bool {
    flags & (1 << index) != 0
}

/// `get_committee_indices` (electra): the set bits of `committee_bits`.
pub(crate) fn get_committee_indices<N: typenum::Unsigned + Clone>(bits: &BitVector<N>) -> Vec<u64> {
    (0..bits.len())
        .filter(|&i| bits.get(i).unwrap_or(false))
        .map(|i| i as u64)
        .collect()
}

/// `checked add` of two gwei amounts, naming the function that would raise.
pub(crate) fn add(a: u64, b: u64, what: &'static str) -> Result<u64, TransitionError> {
    a.checked_add(b).ok_or(TransitionError::Overflow(what))
}

/// `checked mul`.
pub(crate) fn mul(a: u64, b: u64, what: &'static str) -> Result<u64, TransitionError> {
    a.checked_mul(b).ok_or(TransitionError::Overflow(what))
}

/// `checked sub` (the spec's `uint64` raises below zero).
pub(crate) fn sub(a: u64, b: u64, what: &'static str) -> Result<u64, TransitionError> {
    a.checked_sub(b).ok_or(TransitionError::Overflow(what))
}

impl<P: SpecPreset> Spec<P> {
    /// `compute_epoch_at_slot`.
    pub fn epoch_at(slot: u64) -> u64 {
        slot / P::SLOTS_PER_EPOCH
    }

    /// `compute_start_slot_at_epoch`.
    pub fn start_slot(epoch: u64) -> u64 {
        epoch * P::SLOTS_PER_EPOCH
    }

    /// `get_current_epoch`.
    pub fn current_epoch(state: &BeaconState<P>) -> u64 {
        Self::epoch_at(state.slot.as_u64())
    }

    /// `get_previous_epoch`.
    pub fn previous_epoch(state: &BeaconState<P>) -> u64 {
        Self::current_epoch(state).saturating_sub(1)
    }

    /// `compute_time_at_slot` (bellatrix, with `SLOT_DURATION_MS`).
    pub fn time_at_slot(&self, state: &BeaconState<P>, slot: u64) -> u64 {
        state.genesis_time + slot * self.config.slot_duration_ms / 1000
    }

    /// `get_block_root_at_slot`.
    pub fn get_block_root_at_slot(
        state: &BeaconState<P>,
        slot: u64,
    ) -> Result<B256, TransitionError> {
        let now = state.slot.as_u64();
        ensure!(
            slot < now && now <= slot + P::slots_per_historical_root(),
            "get_block_root_at_slot: slot out of range"
        );
        Ok(state.block_roots[(slot % P::slots_per_historical_root()) as usize])
    }

    /// `get_block_root`: the root at the start of `epoch`.
    pub fn get_block_root(state: &BeaconState<P>, epoch: u64) -> Result<B256, TransitionError> {
        Self::get_block_root_at_slot(state, Self::start_slot(epoch))
    }

    /// `get_randao_mix`.
    pub fn get_randao_mix(state: &BeaconState<P>, epoch: u64) -> B256 {
        state.randao_mixes[(epoch % P::epochs_per_historical_vector()) as usize]
    }

    /// `get_active_validator_indices`.
    pub fn get_active_validator_indices(state: &BeaconState<P>, epoch: u64) -> Vec<u64> {
        state
            .validators
            .iter()
            .enumerate()
            .filter(|(_, v)| is_active_validator(v, epoch))
            .map(|(i, _)| i as u64)
            .collect()
    }

    /// `get_seed`.
    pub fn get_seed(state: &BeaconState<P>, epoch: u64, domain_type: domain::DomainType) -> B256 {
        let mix = Self::get_randao_mix(
            state,
            epoch + P::epochs_per_historical_vector() - MIN_SEED_LOOKAHEAD - 1,
        );
        B256::from(hash(&[&domain_type, &epoch.to_le_bytes(), mix.as_slice()]))
    }

    /// `get_committee_count_per_slot`.
    pub fn get_committee_count_per_slot(state: &BeaconState<P>, epoch: u64) -> u64 {
        let active = Self::get_active_validator_indices(state, epoch).len() as u64;
        committees_per_slot::<P>(active)
    }

    /// The beacon committees of every slot of `epoch`: `get_beacon_committee(state, slot, i)` is
    /// `committees[(slot % SLOTS_PER_EPOCH) * per_slot + i]`. One shuffling serves them all, as
    /// `compute_committee` reads the same permutation for each.
    pub fn beacon_committees(state: &BeaconState<P>, epoch: u64) -> EpochCommittees {
        let indices = Self::get_active_validator_indices(state, epoch);
        let seed = Self::get_seed(state, epoch, domain::BEACON_ATTESTER);
        let permutation =
            compute_shuffled_permutation(indices.len() as u64, &seed, P::SHUFFLE_ROUND_COUNT);
        let per_slot = committees_per_slot::<P>(indices.len() as u64);
        let count = per_slot * P::SLOTS_PER_EPOCH;
        let committees = (0..count)
            .map(|i| compute_committee(&indices, &permutation, i, count))
            .collect();
        EpochCommittees {
            per_slot,
            committees,
        }
    }

    /// `get_beacon_committee(state, slot, index)`.
    pub fn get_beacon_committee(state: &BeaconState<P>, slot: u64, index: u64) -> Vec<u64> {
        Self::beacon_committees(state, Self::epoch_at(slot))
            .committee(slot % P::SLOTS_PER_EPOCH, index)
            .to_vec()
    }

    /// `compute_proposer_index` (electra): sampled by effective balance with 16-bit randomness.
    pub fn compute_proposer_index(
        state: &BeaconState<P>,
        indices: &[u64],
        seed: &B256,
    ) -> Result<u64, TransitionError> {
        ensure!(
            !indices.is_empty(),
            "compute_proposer_index: no active validator"
        );
        let total = indices.len() as u64;
        let permutation = compute_shuffled_permutation(total, seed, P::SHUFFLE_ROUND_COUNT);
        sample_by_balance(state, indices, &permutation, seed, 1).map(|v| v[0])
    }

    /// `get_beacon_proposer_index`: Electra computes it; Fulu reads `proposer_lookahead`.
    pub fn get_beacon_proposer_index(state: &BeaconState<P>) -> Result<u64, TransitionError> {
        if state.fork_name() == ForkName::Fulu {
            return Ok(
                state.proposer_lookahead[(state.slot.as_u64() % P::SLOTS_PER_EPOCH) as usize]
            );
        }
        let epoch = Self::current_epoch(state);
        let seed = Self::get_seed(state, epoch, domain::BEACON_PROPOSER);
        let seed = B256::from(hash(&[seed.as_slice(), &state.slot.as_u64().to_le_bytes()]));
        let indices = Self::get_active_validator_indices(state, epoch);
        Self::compute_proposer_index(state, &indices, &seed)
    }

    /// `get_beacon_proposer_indices(state, epoch)` (fulu): every slot's proposer.
    pub fn get_beacon_proposer_indices(
        state: &BeaconState<P>,
        epoch: u64,
    ) -> Result<Vec<u64>, TransitionError> {
        let indices = Self::get_active_validator_indices(state, epoch);
        let seed = Self::get_seed(state, epoch, domain::BEACON_PROPOSER);
        (0..P::SLOTS_PER_EPOCH)
            .map(|i| {
                let slot = Self::start_slot(epoch) + i;
                let seed = B256::from(hash(&[seed.as_slice(), &slot.to_le_bytes()]));
                Self::compute_proposer_index(state, &indices, &seed)
            })
            .collect()
    }

    /// `get_total_balance`: at least `EFFECTIVE_BALANCE_INCREMENT`.
    pub fn get_total_balance(
        state: &BeaconState<P>,
        indices: impl IntoIterator<Item = u64>,
    ) -> Result<u64, TransitionError> {
        let mut sum = 0u64;
        for i in indices {
            sum = add(
                sum,
                state.validators[i as usize].effective_balance.as_u64(),
                "get_total_balance",
            )?;
        }
        Ok(sum.max(EFFECTIVE_BALANCE_INCREMENT))
    }

    /// `get_total_active_balance`.
    pub fn get_total_active_balance(state: &BeaconState<P>) -> Result<u64, TransitionError> {
        let epoch = Self::current_epoch(state);
        Self::get_total_balance(state, Self::get_active_validator_indices(state, epoch))
    }

    /// `get_domain(state, domain_type, epoch)`.
    pub fn get_domain(
        state: &BeaconState<P>,
        domain_type: domain::DomainType,
        epoch: Option<u64>,
    ) -> B256 {
        let epoch = epoch.unwrap_or_else(|| Self::current_epoch(state));
        let version = if epoch < state.fork.epoch.as_u64() {
            state.fork.previous_version
        } else {
            state.fork.current_version
        };
        compute_domain(domain_type, version, state.genesis_validators_root)
    }

    /// `get_attesting_indices` (electra), with the epoch's committees given; fails where
    /// `process_attestation` would (a committee index past the count, bits short).
    pub(crate) fn attesting_indices(
        committees: &EpochCommittees,
        attestation: &Attestation<P>,
    ) -> Result<Vec<u64>, TransitionError> {
        let slot_in_epoch = attestation.data.slot.as_u64() % P::SLOTS_PER_EPOCH;
        let mut out = std::collections::BTreeSet::new();
        let mut offset = 0usize;
        for index in get_committee_indices(&attestation.committee_bits) {
            ensure!(
                index < committees.per_slot,
                "get_attesting_indices: committee index out of range"
            );
            let committee = committees.committee(slot_in_epoch, index);
            for (i, v) in committee.iter().enumerate() {
                if attestation
                    .aggregation_bits
                    .get(offset + i)
                    .unwrap_or(false)
                {
                    out.insert(*v);
                }
            }
            offset += committee.len();
        }
        Ok(out.into_iter().collect())
    }

    /// `is_valid_indexed_attestation`: sorted unique indices and a valid aggregate signature.
    pub(crate) fn is_valid_indexed_attestation(
        &self,
        state: &BeaconState<P>,
        att: &IndexedAttestation<P>,
    ) -> bool {
        let indices = &att.attesting_indices;
        if indices.is_empty() || indices.windows(2).any(|w| w[0] >= w[1]) {
            return false;
        }
        if indices
            .iter()
            .any(|i| *i as usize >= state.validators.len())
        {
            return false;
        }
        if !self.verify_signatures {
            return true;
        }
        let domain = Self::get_domain(
            state,
            domain::BEACON_ATTESTER,
            Some(att.data.target.epoch.as_u64()),
        );
        let root = compute_signing_root(att.data.tree_hash_root(), domain);
        let pubkeys = indices
            .iter()
            .map(|i| &state.validators[*i as usize].pubkey);
        self.check_signature(bls::SignatureSet::fast_aggregate(
            pubkeys,
            root,
            &att.signature,
        ))
    }

    /// `bls.Verify`, unless signatures are off.
    pub(crate) fn verify(
        &self,
        pubkey: &PublicKeyBytes,
        root: &B256,
        sig: &SignatureBytes,
    ) -> bool {
        !self.verify_signatures
            || self.check_signature(bls::SignatureSet::single(pubkey, *root, sig))
    }

    /// `increase_balance`.
    pub(crate) fn increase_balance(
        state: &mut BeaconState<P>,
        index: u64,
        delta: u64,
    ) -> Result<(), TransitionError> {
        let b = &mut state.balances[index as usize];
        *b = Gwei::new(add(b.as_u64(), delta, "increase_balance")?);
        Ok(())
    }

    /// `decrease_balance`: never below zero.
    pub(crate) fn decrease_balance(state: &mut BeaconState<P>, index: u64, delta: u64) {
        let b = &mut state.balances[index as usize];
        *b = Gwei::new(b.as_u64().saturating_sub(delta));
    }

    /// `get_balance_churn_limit` (electra).
    pub(crate) fn get_balance_churn_limit(
        &self,
        state: &BeaconState<P>,
    ) -> Result<u64, TransitionError> {
        let churn = self
            .config
            .min_per_epoch_churn_limit_electra
            .max(Self::get_total_active_balance(state)? / self.config.churn_limit_quotient);
        Ok(churn - churn % EFFECTIVE_BALANCE_INCREMENT)
    }

    /// `get_activation_exit_churn_limit` (electra).
    pub(crate) fn get_activation_exit_churn_limit(
        &self,
        state: &BeaconState<P>,
    ) -> Result<u64, TransitionError> {
        Ok(self
            .config
            .max_per_epoch_activation_exit_churn_limit
            .min(self.get_balance_churn_limit(state)?))
    }

    /// `get_consolidation_churn_limit` (electra).
    pub(crate) fn get_consolidation_churn_limit(
        &self,
        state: &BeaconState<P>,
    ) -> Result<u64, TransitionError> {
        Ok(self.get_balance_churn_limit(state)? - self.get_activation_exit_churn_limit(state)?)
    }

    /// `compute_exit_epoch_and_update_churn` (electra).
    pub(crate) fn compute_exit_epoch_and_update_churn(
        &self,
        state: &mut BeaconState<P>,
        exit_balance: u64,
    ) -> Result<u64, TransitionError> {
        let mut earliest = state
            .earliest_exit_epoch
            .as_u64()
            .max(compute_activation_exit_epoch(Self::current_epoch(state)));
        let per_epoch = self.get_activation_exit_churn_limit(state)?;
        let mut to_consume = if state.earliest_exit_epoch.as_u64() < earliest {
            per_epoch
        } else {
            state.exit_balance_to_consume.as_u64()
        };
        if exit_balance > to_consume {
            let to_process = exit_balance - to_consume;
            let additional = (to_process - 1) / per_epoch + 1;
            earliest = add(earliest, additional, "compute_exit_epoch_and_update_churn")?;
            to_consume = add(
                to_consume,
                mul(additional, per_epoch, "compute_exit_epoch_and_update_churn")?,
                "compute_exit_epoch_and_update_churn",
            )?;
        }
        state.exit_balance_to_consume = Gwei::new(to_consume - exit_balance);
        state.earliest_exit_epoch = Epoch::new(earliest);
        Ok(earliest)
    }

    /// `compute_consolidation_epoch_and_update_churn` (electra).
    pub(crate) fn compute_consolidation_epoch_and_update_churn(
        &self,
        state: &mut BeaconState<P>,
        balance: u64,
    ) -> Result<u64, TransitionError> {
        const WHAT: &str = "compute_consolidation_epoch_and_update_churn";
        let mut earliest = state
            .earliest_consolidation_epoch
            .as_u64()
            .max(compute_activation_exit_epoch(Self::current_epoch(state)));
        let per_epoch = self.get_consolidation_churn_limit(state)?;
        let mut to_consume = if state.earliest_consolidation_epoch.as_u64() < earliest {
            per_epoch
        } else {
            state.consolidation_balance_to_consume.as_u64()
        };
        if balance > to_consume {
            let to_process = balance - to_consume;
            let additional = (to_process - 1) / per_epoch + 1;
            earliest = add(earliest, additional, WHAT)?;
            to_consume = add(to_consume, mul(additional, per_epoch, WHAT)?, WHAT)?;
        }
        state.consolidation_balance_to_consume = Gwei::new(to_consume - balance);
        state.earliest_consolidation_epoch = Epoch::new(earliest);
        Ok(earliest)
    }

    /// `initiate_validator_exit` (electra).
    pub(crate) fn initiate_validator_exit(
        &self,
        state: &mut BeaconState<P>,
        index: u64,
    ) -> Result<(), TransitionError> {
        let v = &state.validators[index as usize];
        if v.exit_epoch.as_u64() != FAR_FUTURE_EPOCH {
            return Ok(());
        }
        let balance = v.effective_balance.as_u64();
        let exit = self.compute_exit_epoch_and_update_churn(state, balance)?;
        let delay = self.config.min_validator_withdrawability_delay;
        let v = &mut state.validators[index as usize];
        v.exit_epoch = Epoch::new(exit);
        v.withdrawable_epoch = Epoch::new(add(exit, delay, "initiate_validator_exit")?);
        Ok(())
    }

    /// `slash_validator` (electra).
    pub(crate) fn slash_validator(
        &self,
        state: &mut BeaconState<P>,
        slashed_index: u64,
        whistleblower_index: Option<u64>,
    ) -> Result<(), TransitionError> {
        let epoch = Self::current_epoch(state);
        self.initiate_validator_exit(state, slashed_index)?;
        let v = &mut state.validators[slashed_index as usize];
        v.slashed = true;
        v.withdrawable_epoch = Epoch::new(v.withdrawable_epoch.as_u64().max(add(
            epoch,
            P::epochs_per_slashings_vector(),
            "slash_validator",
        )?));
        let effective = v.effective_balance.as_u64();
        let slot = (epoch % P::epochs_per_slashings_vector()) as usize;
        state.slashings[slot] = Gwei::new(add(
            state.slashings[slot].as_u64(),
            effective,
            "slash_validator",
        )?);
        Self::decrease_balance(
            state,
            slashed_index,
            effective / MIN_SLASHING_PENALTY_QUOTIENT_ELECTRA,
        );
        let proposer = Self::get_beacon_proposer_index(state)?;
        let whistleblower = whistleblower_index.unwrap_or(proposer);
        let whistleblower_reward = effective / WHISTLEBLOWER_REWARD_QUOTIENT_ELECTRA;
        let proposer_reward = whistleblower_reward * PROPOSER_WEIGHT / WEIGHT_DENOMINATOR;
        Self::increase_balance(state, proposer, proposer_reward)?;
        Self::increase_balance(state, whistleblower, whistleblower_reward - proposer_reward)
    }

    /// `get_pending_balance_to_withdraw` (electra).
    pub(crate) fn get_pending_balance_to_withdraw(
        state: &BeaconState<P>,
        index: u64,
    ) -> Result<u64, TransitionError> {
        let mut sum = 0u64;
        for w in state
            .pending_partial_withdrawals
            .iter()
            .filter(|w| w.validator_index == index)
        {
            sum = add(sum, w.amount.as_u64(), "get_pending_balance_to_withdraw")?;
        }
        Ok(sum)
    }

    /// `queue_excess_active_balance` (electra).
    pub(crate) fn queue_excess_active_balance(
        state: &mut BeaconState<P>,
        index: u64,
    ) -> Result<(), TransitionError> {
        let balance = state.balances[index as usize].as_u64();
        if balance > MIN_ACTIVATION_BALANCE {
            state.balances[index as usize] = Gwei::new(MIN_ACTIVATION_BALANCE);
            let v = &state.validators[index as usize];
            let deposit = PendingDeposit {
                pubkey: v.pubkey,
                withdrawal_credentials: v.withdrawal_credentials,
                amount: Gwei::new(balance - MIN_ACTIVATION_BALANCE),
                signature: SignatureBytes(bls::G2_POINT_AT_INFINITY),
                slot: Slot::new(0),
            };
            state
                .pending_deposits
                .push(deposit)
                .map_err(|_| TransitionError::ListFull("pending_deposits"))?;
        }
        Ok(())
    }

    /// `switch_to_compounding_validator` (electra).
    pub(crate) fn switch_to_compounding_validator(
        state: &mut BeaconState<P>,
        index: u64,
    ) -> Result<(), TransitionError> {
        state.validators[index as usize].withdrawal_credentials[0] = COMPOUNDING_WITHDRAWAL_PREFIX;
        Self::queue_excess_active_balance(state, index)
    }

    /// `get_base_reward_per_increment` (altair).
    pub(crate) fn get_base_reward_per_increment(total_active_balance: u64) -> u64 {
        EFFECTIVE_BALANCE_INCREMENT * BASE_REWARD_FACTOR / integer_squareroot(total_active_balance)
    }

    /// `get_unslashed_participating_indices(state, flag, epoch)` (altair), `epoch` the current
    /// or the previous one.
    pub(crate) fn get_unslashed_participating_indices(
        state: &BeaconState<P>,
        flag: usize,
        epoch: u64,
    ) -> Result<Vec<u64>, TransitionError> {
        let current = Self::current_epoch(state);
        ensure!(
            epoch == current || epoch == Self::previous_epoch(state),
            "get_unslashed_participating_indices: epoch not current or previous"
        );
        let participation = if epoch == current {
            &state.current_epoch_participation
        } else {
            &state.previous_epoch_participation
        };
        Ok(Self::get_active_validator_indices(state, epoch)
            .into_iter()
            .filter(|&i| {
                has_flag(participation[i as usize], flag) && !state.validators[i as usize].slashed
            })
            .collect())
    }

    /// `is_valid_deposit_signature` (electra): the proof of possession, under the genesis fork
    /// version and a zero genesis validators root.
    pub(crate) fn is_valid_deposit_signature(
        &self,
        pubkey: &PublicKeyBytes,
        withdrawal_credentials: B256,
        amount: u64,
        signature: &SignatureBytes,
    ) -> bool {
        let message = DepositMessage {
            pubkey: *pubkey,
            withdrawal_credentials,
            amount: Gwei::new(amount),
        };
        let domain = compute_domain(
            domain::DEPOSIT,
            self.config.genesis_fork_version,
            B256::ZERO,
        );
        let root = compute_signing_root(message.tree_hash_root(), domain);
        // Deposits are verified even where signatures are off: an invalid proof of possession
        // is not an invalid block, it is a deposit the chain ignores.
        bls::verify(pubkey, &root, signature)
    }

    /// `add_validator_to_registry` with `get_validator_from_deposit` (electra).
    pub(crate) fn add_validator_to_registry(
        state: &mut BeaconState<P>,
        pubkey: PublicKeyBytes,
        withdrawal_credentials: B256,
        amount: u64,
    ) -> Result<(), TransitionError> {
        let far = Epoch::new(FAR_FUTURE_EPOCH);
        let mut v = Validator {
            pubkey,
            withdrawal_credentials,
            effective_balance: Gwei::new(0),
            slashed: false,
            activation_eligibility_epoch: far,
            activation_epoch: far,
            exit_epoch: far,
            withdrawable_epoch: far,
        };
        v.effective_balance = Gwei::new(
            (amount - amount % EFFECTIVE_BALANCE_INCREMENT).min(get_max_effective_balance(&v)),
        );
        let full = |_| TransitionError::ListFull("validators");
        state.validators.push(v).map_err(full)?;
        state.balances.push(Gwei::new(amount)).map_err(full)?;
        state.previous_epoch_participation.push(0).map_err(full)?;
        state.current_epoch_participation.push(0).map_err(full)?;
        state.inactivity_scores.push(0).map_err(full)?;
        Ok(())
    }

    /// `get_next_sync_committee` (altair, Electra's sampling).
    pub(crate) fn get_next_sync_committee(
        state: &BeaconState<P>,
    ) -> Result<SyncCommittee<P>, TransitionError> {
        let epoch = Self::current_epoch(state) + 1;
        let active = Self::get_active_validator_indices(state, epoch);
        ensure!(
            !active.is_empty(),
            "get_next_sync_committee_indices: no active validator"
        );
        let seed = Self::get_seed(state, epoch, domain::SYNC_COMMITTEE);
        let permutation =
            compute_shuffled_permutation(active.len() as u64, &seed, P::SHUFFLE_ROUND_COUNT);
        let indices = sample_by_balance(
            state,
            &active,
            &permutation,
            &seed,
            P::sync_committee_size(),
        )?;
        let pubkeys: Vec<PublicKeyBytes> = indices
            .iter()
            .map(|i| state.validators[*i as usize].pubkey)
            .collect();
        let aggregate_pubkey = bls::aggregate_pubkeys(&pubkeys).ok_or(TransitionError::Invalid(
            "eth_aggregate_pubkeys: a key fails KeyValidate",
        ))?;
        Ok(SyncCommittee {
            pubkeys: FixedVector::new(pubkeys)
                .map_err(|_| TransitionError::Invalid("sync committee size"))?,
            aggregate_pubkey,
        })
    }
}

/// `max(1, min(MAX_COMMITTEES_PER_SLOT, active // SLOTS_PER_EPOCH // TARGET_COMMITTEE_SIZE))`.
fn committees_per_slot<P: SpecPreset>(active: u64) -> u64 {
    (active / P::SLOTS_PER_EPOCH / P::TARGET_COMMITTEE_SIZE).clamp(1, P::MAX_COMMITTEES_PER_SLOT)
}

/// The sampling loop of `compute_proposer_index` and `get_next_sync_committee_indices`
/// (electra): candidate `indices[shuffled(i % n)]` is taken when
/// `effective_balance * (2^16 - 1) >= MAX_EFFECTIVE_BALANCE_ELECTRA * random`, with `random` the
/// 16-bit little-endian word `i % 16` of `hash(seed ‖ i // 16)`, until `count` are taken.
fn sample_by_balance<P: SpecPreset>(
    state: &BeaconState<P>,
    indices: &[u64],
    permutation: &[u64],
    seed: &B256,
    count: usize,
) -> Result<Vec<u64>, TransitionError> {
    const MAX_RANDOM_VALUE: u64 = (1 << 16) - 1;
    let total = indices.len() as u64;
    let mut out = Vec::with_capacity(count);
    let mut i = 0u64;
    let mut random_bytes = [0u8; 32];
    while out.len() < count {
        let candidate = indices[permutation[(i % total) as usize] as usize];
        if i.is_multiple_of(16) {
            random_bytes = hash(&[seed.as_slice(), &(i / 16).to_le_bytes()]);
        }
        let offset = (i % 16 * 2) as usize;
        let random = u16::from_le_bytes([random_bytes[offset], random_bytes[offset + 1]]) as u64;
        let effective = state.validators[candidate as usize]
            .effective_balance
            .as_u64();
        if effective * MAX_RANDOM_VALUE >= MAX_EFFECTIVE_BALANCE_ELECTRA * random {
            out.push(candidate);
        }
        i = i
            .checked_add(1)
            .ok_or(TransitionError::Overflow("sample_by_balance"))?;
    }
    Ok(out)
}

/// Every beacon committee of one epoch.
#[derive(Clone, Debug)]
pub struct EpochCommittees {
    /// `get_committee_count_per_slot`.
    pub per_slot: u64,
    committees: Vec<Vec<u64>>,
}

impl EpochCommittees {
    /// Committee `index` of the epoch's slot `slot_in_epoch`.
    pub fn committee(&self, slot_in_epoch: u64, index: u64) -> &[u64] {
        &self.committees[(slot_in_epoch * self.per_slot + index) as usize]
    }
}

// Types some callers name with the helpers.
pub(crate) type IndexList<P> =
    VariableList<u64, <P as lsv_consensus::Preset>::MaxValidatorsPerSlot>;
