//! The consensus layer's constants and formulas the model uses, each from the spec section or
//! EIP that defines it (`ethereum/consensus-specs`, `specs/<fork>/beacon-chain.md`; mainnet
//! preset and configuration), and the pure functions built on them.
//!
//! Everything here is integer Gwei arithmetic in the spec's own order of operations, so a figure
//! the model prints for one validator is the figure the spec's state transition would compute
//! for it. The per-network values that differ between the mainnet and minimal presets live in
//! [`ChainConfig`]; the rest are constants that no preset changes.

/// An amount of ether in Gwei (10^9 wei), the consensus layer's unit.
pub type Gwei = u64;
/// An epoch number.
pub type Epoch = u64;

/// One ether in Gwei.
pub const ETH: Gwei = 1_000_000_000;

/// `FAR_FUTURE_EPOCH` (phase0 "Constants"): an exit or withdrawable epoch not yet set.
pub const FAR_FUTURE_EPOCH: Epoch = u64::MAX;
/// `EFFECTIVE_BALANCE_INCREMENT` (phase0 preset "Gwei values"): 1 ETH.
pub const EFFECTIVE_BALANCE_INCREMENT: Gwei = ETH;
/// `MIN_ACTIVATION_BALANCE` (electra preset "Gwei values", EIP-7251): 32 ETH, also the
/// maximum effective balance of a validator with 0x01 credentials.
pub const MIN_ACTIVATION_BALANCE: Gwei = 32 * ETH;
/// `MAX_EFFECTIVE_BALANCE_ELECTRA` (electra preset, EIP-7251): 2048 ETH, the maximum effective
/// balance of a validator with compounding (0x02) credentials, as C's are.
pub const MAX_EFFECTIVE_BALANCE_ELECTRA: Gwei = 2048 * ETH;
/// `EJECTION_BALANCE` (phase0 configuration): an active validator whose effective balance falls
/// to 16 ETH is exited by `process_registry_updates`.
pub const EJECTION_BALANCE: Gwei = 16 * ETH;
/// `HYSTERESIS_QUOTIENT` (phase0 preset "Misc").
pub const HYSTERESIS_QUOTIENT: u64 = 4;
/// `HYSTERESIS_DOWNWARD_MULTIPLIER` (phase0 preset "Misc").
pub const HYSTERESIS_DOWNWARD_MULTIPLIER: u64 = 1;
/// `HYSTERESIS_UPWARD_MULTIPLIER` (phase0 preset "Misc").
pub const HYSTERESIS_UPWARD_MULTIPLIER: u64 = 5;

/// `BASE_REWARD_FACTOR` (phase0 preset "Rewards and penalties").
pub const BASE_REWARD_FACTOR: u64 = 64;
/// `TIMELY_SOURCE_WEIGHT` (altair "Incentivization weights").
pub const TIMELY_SOURCE_WEIGHT: u64 = 14;
/// `TIMELY_TARGET_WEIGHT` (altair "Incentivization weights").
pub const TIMELY_TARGET_WEIGHT: u64 = 26;
/// `TIMELY_HEAD_WEIGHT` (altair "Incentivization weights").
pub const TIMELY_HEAD_WEIGHT: u64 = 14;
/// `PARTICIPATION_FLAG_WEIGHTS` (altair): source, target, head, in flag-index order.
pub const PARTICIPATION_FLAG_WEIGHTS: [u64; 3] = [
    TIMELY_SOURCE_WEIGHT,
    TIMELY_TARGET_WEIGHT,
    TIMELY_HEAD_WEIGHT,
];
/// `TIMELY_HEAD_FLAG_INDEX` (altair): the flag whose absence is not penalised.
pub const TIMELY_HEAD_FLAG_INDEX: usize = 2;
/// `SYNC_REWARD_WEIGHT` (altair "Incentivization weights").
pub const SYNC_REWARD_WEIGHT: u64 = 2;
/// `PROPOSER_WEIGHT` (altair "Incentivization weights").
pub const PROPOSER_WEIGHT: u64 = 8;
/// `WEIGHT_DENOMINATOR` (altair "Incentivization weights").
pub const WEIGHT_DENOMINATOR: u64 = 64;

/// `INACTIVITY_SCORE_BIAS` (altair configuration "Inactivity penalties").
pub const INACTIVITY_SCORE_BIAS: u64 = 4;
/// `INACTIVITY_SCORE_RECOVERY_RATE` (altair configuration "Inactivity penalties").
pub const INACTIVITY_SCORE_RECOVERY_RATE: u64 = 16;
/// `INACTIVITY_PENALTY_QUOTIENT_BELLATRIX` (bellatrix preset "Updated penalty values"): 2^24.
pub const INACTIVITY_PENALTY_QUOTIENT_BELLATRIX: u64 = 1 << 24;
/// `MIN_EPOCHS_TO_INACTIVITY_PENALTY` (phase0 preset "Time parameters"): the finality delay
/// beyond which the chain is in an inactivity leak (`is_in_inactivity_leak`, altair).
pub const MIN_EPOCHS_TO_INACTIVITY_PENALTY: u64 = 4;

/// `MIN_SLASHING_PENALTY_QUOTIENT_ELECTRA` (electra preset "Rewards and penalties", EIP-7251):
/// `slash_validator` takes `effective_balance / 4096` at once.
pub const MIN_SLASHING_PENALTY_QUOTIENT_ELECTRA: u64 = 4096;
/// `WHISTLEBLOWER_REWARD_QUOTIENT_ELECTRA` (electra preset "Rewards and penalties").
pub const WHISTLEBLOWER_REWARD_QUOTIENT_ELECTRA: u64 = 4096;
/// `PROPORTIONAL_SLASHING_MULTIPLIER_BELLATRIX` (bellatrix preset "Updated penalty values").
pub const PROPORTIONAL_SLASHING_MULTIPLIER_BELLATRIX: u64 = 3;

/// `MAX_SEED_LOOKAHEAD` (phase0 preset "Time parameters"): `compute_activation_exit_epoch(e) =
/// e + 1 + MAX_SEED_LOOKAHEAD`.
pub const MAX_SEED_LOOKAHEAD: u64 = 4;

/// `MAX_WITHDRAWALS_PER_PAYLOAD` (capella preset "Execution"): withdrawals in one block.
pub const MAX_WITHDRAWALS_PER_PAYLOAD: u64 = 16;

/// `MIN_WITHDRAWAL_REQUEST_FEE` (EIP-7002): 1 wei.
pub const MIN_WITHDRAWAL_REQUEST_FEE: u128 = 1;
/// `WITHDRAWAL_REQUEST_FEE_UPDATE_FRACTION` (EIP-7002).
pub const WITHDRAWAL_REQUEST_FEE_UPDATE_FRACTION: u128 = 17;
/// `TARGET_WITHDRAWAL_REQUESTS_PER_BLOCK` (EIP-7002).
pub const TARGET_WITHDRAWAL_REQUESTS_PER_BLOCK: u64 = 2;
/// `MAX_WITHDRAWAL_REQUESTS_PER_BLOCK` (EIP-7002): the most requests dequeued into one block.
pub const MAX_WITHDRAWAL_REQUESTS_PER_BLOCK: u64 = 16;

/// The values of one network's preset and configuration that differ between mainnet and the
/// minimal preset.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChainConfig {
    /// `SECONDS_PER_SLOT` (configuration): 12 on mainnet.
    pub seconds_per_slot: u64,
    /// `SLOTS_PER_EPOCH` (phase0 preset "Time parameters"): 32 on mainnet.
    pub slots_per_epoch: u64,
    /// `SYNC_COMMITTEE_SIZE` (altair preset "Sync committee"): 512 on mainnet.
    pub sync_committee_size: u64,
    /// `EPOCHS_PER_SLASHINGS_VECTOR` (phase0 preset "State list lengths"): 8192 on mainnet.
    pub epochs_per_slashings_vector: u64,
    /// `MIN_PER_EPOCH_CHURN_LIMIT_ELECTRA` (electra configuration, EIP-7251): 128 ETH on mainnet.
    pub min_per_epoch_churn_limit_electra: Gwei,
    /// `CHURN_LIMIT_QUOTIENT` (phase0 configuration): 65536 on mainnet.
    pub churn_limit_quotient: u64,
    /// `MAX_PER_EPOCH_ACTIVATION_EXIT_CHURN_LIMIT` (electra configuration, EIP-7251): 256 ETH on
    /// mainnet.
    pub max_per_epoch_activation_exit_churn_limit: Gwei,
    /// `MIN_VALIDATOR_WITHDRAWABILITY_DELAY` (phase0 configuration): 256 epochs.
    pub min_validator_withdrawability_delay: u64,
    /// `SHARD_COMMITTEE_PERIOD` (phase0 configuration): 256 epochs of activity before an exit is
    /// honoured.
    pub shard_committee_period: u64,
    /// `MAX_VALIDATORS_PER_WITHDRAWALS_SWEEP` (capella preset "Withdrawals processing"): 16384 on
    /// mainnet.
    pub max_validators_per_withdrawals_sweep: u64,
}

impl ChainConfig {
    /// Mainnet's preset and configuration (Electra/Fulu).
    pub fn mainnet() -> Self {
        Self {
            seconds_per_slot: 12,
            slots_per_epoch: 32,
            sync_committee_size: 512,
            epochs_per_slashings_vector: 8192,
            min_per_epoch_churn_limit_electra: 128 * ETH,
            churn_limit_quotient: 65_536,
            max_per_epoch_activation_exit_churn_limit: 256 * ETH,
            min_validator_withdrawability_delay: 256,
            shard_committee_period: 256,
            max_validators_per_withdrawals_sweep: 16_384,
        }
    }

    /// The minimal preset with the minimal configuration (`presets/minimal`,
    /// `configs/minimal.yaml`), as lsv's embedded devnet runs it.
    pub fn minimal() -> Self {
        Self {
            seconds_per_slot: 6,
            slots_per_epoch: 8,
            sync_committee_size: 32,
            epochs_per_slashings_vector: 64,
            min_per_epoch_churn_limit_electra: 64 * ETH,
            churn_limit_quotient: 32,
            max_per_epoch_activation_exit_churn_limit: 128 * ETH,
            min_validator_withdrawability_delay: 256,
            shard_committee_period: 64,
            max_validators_per_withdrawals_sweep: 16,
        }
    }

    /// Epochs in one day (225 on mainnet).
    pub fn epochs_per_day(&self) -> u64 {
        86_400 / (self.seconds_per_slot * self.slots_per_epoch)
    }

    /// `get_balance_churn_limit` (electra): the balance that may enter or leave per epoch
    /// before the activation/exit cap, in whole increments.
    pub fn balance_churn_limit(&self, total_active_balance: Gwei) -> Gwei {
        let churn = self
            .min_per_epoch_churn_limit_electra
            .max(total_active_balance / self.churn_limit_quotient);
        churn - churn % EFFECTIVE_BALANCE_INCREMENT
    }

    /// `get_activation_exit_churn_limit` (electra): the balance that may exit per epoch.
    pub fn activation_exit_churn_limit(&self, total_active_balance: Gwei) -> Gwei {
        self.max_per_epoch_activation_exit_churn_limit
            .min(self.balance_churn_limit(total_active_balance))
    }

    /// The correlation penalty `process_slashings` (electra) takes from a slashed validator of
    /// effective balance `effective`, when `slashed_sum` is the sum of the slashings vector and
    /// `total_active_balance` the total active balance at that epoch:
    /// `min(slashed_sum * 3, total) // (total // increment) * (effective // increment)`.
    pub fn correlation_penalty(
        &self,
        effective: Gwei,
        slashed_sum: Gwei,
        total_active_balance: Gwei,
    ) -> Gwei {
        let total = total_active_balance.max(EFFECTIVE_BALANCE_INCREMENT);
        let adjusted = slashed_sum
            .saturating_mul(PROPORTIONAL_SLASHING_MULTIPLIER_BELLATRIX)
            .min(total);
        let per_increment = adjusted / (total / EFFECTIVE_BALANCE_INCREMENT);
        per_increment * (effective / EFFECTIVE_BALANCE_INCREMENT)
    }
}

/// `integer_squareroot` (phase0 "Math"): the largest `x` with `x * x <= n`.
pub fn integer_squareroot(n: u64) -> u64 {
    // The spec's Newton iteration (with its u64::MAX case) is the floor square root, which std
    // computes.
    n.isqrt()
}

/// `get_base_reward_per_increment` (altair): `EFFECTIVE_BALANCE_INCREMENT * BASE_REWARD_FACTOR
/// // integer_squareroot(total_active_balance)`.
pub fn base_reward_per_increment(total_active_balance: Gwei) -> Gwei {
    let total = total_active_balance.max(EFFECTIVE_BALANCE_INCREMENT);
    EFFECTIVE_BALANCE_INCREMENT * BASE_REWARD_FACTOR / integer_squareroot(total)
}

/// `get_base_reward` (altair): the base reward of a validator of effective balance `effective`.
pub fn base_reward(effective: Gwei, per_increment: Gwei) -> Gwei {
    effective / EFFECTIVE_BALANCE_INCREMENT * per_increment
}

/// The inactivity penalty of one epoch (`get_inactivity_penalty_deltas`, bellatrix) for a
/// validator that missed the target: `effective * score // (INACTIVITY_SCORE_BIAS *
/// INACTIVITY_PENALTY_QUOTIENT_BELLATRIX)`.
pub fn inactivity_penalty(effective: Gwei, score: u64) -> Gwei {
    let numerator = effective as u128 * score as u128;
    (numerator / (INACTIVITY_SCORE_BIAS as u128 * INACTIVITY_PENALTY_QUOTIENT_BELLATRIX as u128))
        as Gwei // at most effective * score / 2^26: below 2^64 for any real score
}

/// `compute_activation_exit_epoch` (phase0).
pub fn compute_activation_exit_epoch(epoch: Epoch) -> Epoch {
    epoch + 1 + MAX_SEED_LOOKAHEAD
}

/// `fake_exponential(factor, numerator, denominator)` (EIP-4844, used by EIP-7002): the integer
/// approximation of `factor * e ** (numerator / denominator)`. Saturates at `u128::MAX`.
pub fn fake_exponential(factor: u128, numerator: u128, denominator: u128) -> u128 {
    let mut i = 1u128;
    let mut output = 0u128;
    let mut accum = factor.saturating_mul(denominator);
    while accum > 0 {
        output = output.saturating_add(accum);
        if output == u128::MAX {
            return u128::MAX;
        }
        accum = accum.saturating_mul(numerator) / denominator.saturating_mul(i);
        i += 1;
    }
    output / denominator
}

/// The EIP-7002 fee of a withdrawal request, in wei, when the contract's excess is `excess`:
/// `fake_exponential(MIN_WITHDRAWAL_REQUEST_FEE, excess, WITHDRAWAL_REQUEST_FEE_UPDATE_FRACTION)`.
pub fn withdrawal_request_fee(excess: u64) -> u128 {
    fake_exponential(
        MIN_WITHDRAWAL_REQUEST_FEE,
        excess as u128,
        WITHDRAWAL_REQUEST_FEE_UPDATE_FRACTION,
    )
}

/// The new effective balance after `process_effective_balance_updates` (electra): moved to the
/// balance rounded down to an increment (capped at `max_effective`) only when the balance left
/// the hysteresis band around the old one.
pub fn updated_effective_balance(balance: Gwei, effective: Gwei, max_effective: Gwei) -> Gwei {
    let hysteresis = EFFECTIVE_BALANCE_INCREMENT / HYSTERESIS_QUOTIENT;
    let downward = hysteresis * HYSTERESIS_DOWNWARD_MULTIPLIER;
    let upward = hysteresis * HYSTERESIS_UPWARD_MULTIPLIER;
    if balance.saturating_add(downward) < effective || effective.saturating_add(upward) < balance {
        (balance - balance % EFFECTIVE_BALANCE_INCREMENT).min(max_effective)
    } else {
        effective
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integer_squareroot_is_the_floor() {
        for n in [
            0u64,
            1,
            2,
            3,
            4,
            15,
            16,
            17,
            1 << 40,
            32_000_000 * ETH,
            u64::MAX - 1,
        ] {
            let r = integer_squareroot(n) as u128;
            assert!(r * r <= n as u128 && (r + 1) * (r + 1) > n as u128, "{n}");
        }
    }

    /// EIP-7002's fee at an excess of 0 is the minimum, and grows by about e per 17 requests of
    /// excess.
    #[test]
    fn withdrawal_request_fee_grows_exponentially() {
        assert_eq!(withdrawal_request_fee(0), 1);
        let f17 = withdrawal_request_fee(17 * 10) as f64;
        assert!(
            (f17 / std::f64::consts::E.powi(10) - 1.0).abs() < 0.01,
            "{f17}"
        );
        assert!(withdrawal_request_fee(1_000) > withdrawal_request_fee(999));
    }

    /// At 32M ETH the churn is capped at 256 ETH; at 8M ETH it is 128 ETH (the minimum).
    #[test]
    fn churn_limits_follow_eip_7251() {
        let c = ChainConfig::mainnet();
        assert_eq!(c.activation_exit_churn_limit(32_000_000 * ETH), 256 * ETH);
        assert_eq!(c.activation_exit_churn_limit(8_000_000 * ETH), 128 * ETH);
        assert_eq!(c.balance_churn_limit(20_000_000 * ETH), 305 * ETH);
        assert_eq!(c.activation_exit_churn_limit(20_000_000 * ETH), 256 * ETH);
    }

    #[test]
    fn effective_balance_has_hysteresis() {
        let max = MAX_EFFECTIVE_BALANCE_ELECTRA;
        assert_eq!(
            updated_effective_balance(31_760_000_000, 32 * ETH, max),
            32 * ETH
        );
        assert_eq!(
            updated_effective_balance(31_740_000_000, 32 * ETH, max),
            31 * ETH
        );
        assert_eq!(
            updated_effective_balance(33_240_000_000, 32 * ETH, max),
            32 * ETH
        );
        assert_eq!(
            updated_effective_balance(33_260_000_000, 32 * ETH, max),
            33 * ETH
        );
        assert_eq!(
            updated_effective_balance(40 * ETH, 32 * ETH, MIN_ACTIVATION_BALANCE),
            32 * ETH
        );
    }
}
