//! The consensus spec's constants, its presets' values and a chain's configuration, for the
//! Electra and Fulu state transition.
//!
//! Values are the executable spec's (`eth-consensus-specs` 1.7.0a13, `presets/{mainnet,minimal}`
//! and `configs/{mainnet,minimal}.yaml`); each names the spec section it comes from.

use alloy_primitives::{Address, B256};
use lsv_consensus::containers::Fork;
use lsv_consensus::{Epoch, ForkName, Mainnet, Minimal, Version};
use lsv_proofs::preset::StatePreset;
use typenum::Unsigned;

/// `FAR_FUTURE_EPOCH` (phase0 "Constants").
pub const FAR_FUTURE_EPOCH: u64 = u64::MAX;
/// `GENESIS_SLOT`, `GENESIS_EPOCH` (phase0 "Constants").
pub const GENESIS_EPOCH: u64 = 0;
/// `EFFECTIVE_BALANCE_INCREMENT` (phase0 preset "Gwei values").
pub const EFFECTIVE_BALANCE_INCREMENT: u64 = 1_000_000_000;
/// `MIN_ACTIVATION_BALANCE` (electra preset "Gwei values").
pub const MIN_ACTIVATION_BALANCE: u64 = 32_000_000_000;
/// `MAX_EFFECTIVE_BALANCE_ELECTRA` (electra preset "Gwei values").
pub const MAX_EFFECTIVE_BALANCE_ELECTRA: u64 = 2_048_000_000_000;
/// `HYSTERESIS_QUOTIENT` (phase0 preset).
pub const HYSTERESIS_QUOTIENT: u64 = 4;
/// `HYSTERESIS_DOWNWARD_MULTIPLIER` (phase0 preset).
pub const HYSTERESIS_DOWNWARD_MULTIPLIER: u64 = 1;
/// `HYSTERESIS_UPWARD_MULTIPLIER` (phase0 preset).
pub const HYSTERESIS_UPWARD_MULTIPLIER: u64 = 5;
/// `MIN_SEED_LOOKAHEAD` (phase0 preset "Time parameters").
pub const MIN_SEED_LOOKAHEAD: u64 = 1;
/// `MAX_SEED_LOOKAHEAD` (phase0 preset "Time parameters").
pub const MAX_SEED_LOOKAHEAD: u64 = 4;
/// `MIN_ATTESTATION_INCLUSION_DELAY` (phase0 preset).
pub const MIN_ATTESTATION_INCLUSION_DELAY: u64 = 1;
/// `MIN_EPOCHS_TO_INACTIVITY_PENALTY` (phase0 preset).
pub const MIN_EPOCHS_TO_INACTIVITY_PENALTY: u64 = 4;
/// `BASE_REWARD_FACTOR` (phase0 preset "Rewards and penalties").
pub const BASE_REWARD_FACTOR: u64 = 64;
/// `INACTIVITY_PENALTY_QUOTIENT_BELLATRIX` (bellatrix preset).
pub const INACTIVITY_PENALTY_QUOTIENT_BELLATRIX: u64 = 1 << 24;
/// `PROPORTIONAL_SLASHING_MULTIPLIER_BELLATRIX` (bellatrix preset).
pub const PROPORTIONAL_SLASHING_MULTIPLIER_BELLATRIX: u64 = 3;
/// `MIN_SLASHING_PENALTY_QUOTIENT_ELECTRA` (electra preset).
pub const MIN_SLASHING_PENALTY_QUOTIENT_ELECTRA: u64 = 4096;
/// `WHISTLEBLOWER_REWARD_QUOTIENT_ELECTRA` (electra preset).
pub const WHISTLEBLOWER_REWARD_QUOTIENT_ELECTRA: u64 = 4096;
/// `TIMELY_SOURCE_FLAG_INDEX` (altair "Participation flag indices").
pub const TIMELY_SOURCE_FLAG_INDEX: usize = 0;
/// `TIMELY_TARGET_FLAG_INDEX` (altair "Participation flag indices").
pub const TIMELY_TARGET_FLAG_INDEX: usize = 1;
/// `TIMELY_HEAD_FLAG_INDEX` (altair "Participation flag indices").
pub const TIMELY_HEAD_FLAG_INDEX: usize = 2;
/// `PARTICIPATION_FLAG_WEIGHTS`: source, target, head (altair "Incentivization weights").
pub const PARTICIPATION_FLAG_WEIGHTS: [u64; 3] = [14, 26, 14];
/// `SYNC_REWARD_WEIGHT` (altair "Incentivization weights").
pub const SYNC_REWARD_WEIGHT: u64 = 2;
/// `PROPOSER_WEIGHT` (altair "Incentivization weights").
pub const PROPOSER_WEIGHT: u64 = 8;
/// `WEIGHT_DENOMINATOR` (altair "Incentivization weights").
pub const WEIGHT_DENOMINATOR: u64 = 64;
/// `MAX_DEPOSITS` (phase0 preset).
pub const MAX_DEPOSITS: u64 = 16;
/// `DEPOSIT_CONTRACT_TREE_DEPTH` (phase0 constants).
pub const DEPOSIT_CONTRACT_TREE_DEPTH: usize = 32;
/// `MAX_PENDING_DEPOSITS_PER_EPOCH` (electra preset).
pub const MAX_PENDING_DEPOSITS_PER_EPOCH: usize = 16;
/// `UNSET_DEPOSIT_REQUESTS_START_INDEX` (electra constants).
pub const UNSET_DEPOSIT_REQUESTS_START_INDEX: u64 = u64::MAX;
/// `FULL_EXIT_REQUEST_AMOUNT` (electra constants).
pub const FULL_EXIT_REQUEST_AMOUNT: u64 = 0;
/// `BLS_WITHDRAWAL_PREFIX` (phase0 constants).
pub const BLS_WITHDRAWAL_PREFIX: u8 = 0x00;
/// `ETH1_ADDRESS_WITHDRAWAL_PREFIX` (capella constants).
pub const ETH1_ADDRESS_WITHDRAWAL_PREFIX: u8 = 0x01;
/// `COMPOUNDING_WITHDRAWAL_PREFIX` (electra constants).
pub const COMPOUNDING_WITHDRAWAL_PREFIX: u8 = 0x02;

/// The preset values the transition needs beyond the SSZ lengths of [`StatePreset`].
pub trait SpecPreset: StatePreset {
    /// `SLOTS_PER_EPOCH`.
    const SLOTS_PER_EPOCH: u64;
    /// `EPOCHS_PER_ETH1_VOTING_PERIOD`.
    const EPOCHS_PER_ETH1_VOTING_PERIOD: u64;
    /// `EPOCHS_PER_SYNC_COMMITTEE_PERIOD` (altair).
    const EPOCHS_PER_SYNC_COMMITTEE_PERIOD: u64;
    /// `SHUFFLE_ROUND_COUNT`.
    const SHUFFLE_ROUND_COUNT: u8;
    /// `TARGET_COMMITTEE_SIZE`.
    const TARGET_COMMITTEE_SIZE: u64;
    /// `MAX_COMMITTEES_PER_SLOT`.
    const MAX_COMMITTEES_PER_SLOT: u64;
    /// `MAX_VALIDATORS_PER_WITHDRAWALS_SWEEP` (capella).
    const MAX_VALIDATORS_PER_WITHDRAWALS_SWEEP: u64;
    /// `MAX_PENDING_PARTIALS_PER_WITHDRAWALS_SWEEP` (electra).
    const MAX_PENDING_PARTIALS_PER_WITHDRAWALS_SWEEP: usize;

    /// `SLOTS_PER_HISTORICAL_ROOT`.
    fn slots_per_historical_root() -> u64 {
        Self::SlotsPerHistoricalRoot::to_u64()
    }
    /// `EPOCHS_PER_HISTORICAL_VECTOR`.
    fn epochs_per_historical_vector() -> u64 {
        Self::EpochsPerHistoricalVector::to_u64()
    }
    /// `EPOCHS_PER_SLASHINGS_VECTOR`.
    fn epochs_per_slashings_vector() -> u64 {
        Self::EpochsPerSlashingsVector::to_u64()
    }
    /// `SYNC_COMMITTEE_SIZE` (altair).
    fn sync_committee_size() -> usize {
        Self::SyncCommitteeSize::to_usize()
    }
    /// `MAX_WITHDRAWALS_PER_PAYLOAD` (capella).
    fn max_withdrawals_per_payload() -> usize {
        Self::MaxWithdrawalsPerPayload::to_usize()
    }
    /// `PENDING_PARTIAL_WITHDRAWALS_LIMIT` (electra).
    fn pending_partial_withdrawals_limit() -> usize {
        Self::PendingPartialWithdrawalsLimit::to_usize()
    }
    /// `PENDING_CONSOLIDATIONS_LIMIT` (electra).
    fn pending_consolidations_limit() -> usize {
        Self::PendingConsolidationsLimit::to_usize()
    }
}

impl SpecPreset for Mainnet {
    const SLOTS_PER_EPOCH: u64 = 32;
    const EPOCHS_PER_ETH1_VOTING_PERIOD: u64 = 64;
    const EPOCHS_PER_SYNC_COMMITTEE_PERIOD: u64 = 256;
    const SHUFFLE_ROUND_COUNT: u8 = 90;
    const TARGET_COMMITTEE_SIZE: u64 = 128;
    const MAX_COMMITTEES_PER_SLOT: u64 = 64;
    const MAX_VALIDATORS_PER_WITHDRAWALS_SWEEP: u64 = 16_384;
    const MAX_PENDING_PARTIALS_PER_WITHDRAWALS_SWEEP: usize = 8;
}

impl SpecPreset for Minimal {
    const SLOTS_PER_EPOCH: u64 = 8;
    const EPOCHS_PER_ETH1_VOTING_PERIOD: u64 = 4;
    const EPOCHS_PER_SYNC_COMMITTEE_PERIOD: u64 = 8;
    const SHUFFLE_ROUND_COUNT: u8 = 10;
    const TARGET_COMMITTEE_SIZE: u64 = 4;
    const MAX_COMMITTEES_PER_SLOT: u64 = 4;
    const MAX_VALIDATORS_PER_WITHDRAWALS_SWEEP: u64 = 16;
    const MAX_PENDING_PARTIALS_PER_WITHDRAWALS_SWEEP: usize = 2;
}

/// A chain's configuration: what `config.yaml` holds that the transition reads. Fork epochs
/// matter to the devnet's schedule; the transition itself reads the fork versions for domains
/// and the upgrade, and the blob schedule.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Config {
    /// `SLOT_DURATION_MS`.
    pub slot_duration_ms: u64,
    /// `GENESIS_FORK_VERSION`.
    pub genesis_fork_version: Version,
    /// `ALTAIR_FORK_VERSION`: unused by the transition (the devnet starts at Electra), written
    /// to the network configuration a remote signer is pinned to.
    pub altair_fork_version: Version,
    /// `BELLATRIX_FORK_VERSION`: as Altair's.
    pub bellatrix_fork_version: Version,
    /// `CAPELLA_FORK_VERSION` (voluntary exits are signed with it from Deneb on, EIP-7044).
    pub capella_fork_version: Version,
    /// `DENEB_FORK_VERSION`: as Altair's.
    pub deneb_fork_version: Version,
    /// `ELECTRA_FORK_VERSION`.
    pub electra_fork_version: Version,
    /// `ELECTRA_FORK_EPOCH`.
    pub electra_fork_epoch: Epoch,
    /// `FULU_FORK_VERSION`.
    pub fulu_fork_version: Version,
    /// `GLOAS_FORK_VERSION`: published in `/eth/v1/config/spec`; the devnet never enters Gloas.
    pub gloas_fork_version: Version,
    /// `FULU_FORK_EPOCH`.
    pub fulu_fork_epoch: Epoch,
    /// `MIN_PER_EPOCH_CHURN_LIMIT_ELECTRA` (gwei).
    pub min_per_epoch_churn_limit_electra: u64,
    /// `MAX_PER_EPOCH_ACTIVATION_EXIT_CHURN_LIMIT` (gwei).
    pub max_per_epoch_activation_exit_churn_limit: u64,
    /// `CHURN_LIMIT_QUOTIENT`.
    pub churn_limit_quotient: u64,
    /// `EJECTION_BALANCE` (gwei).
    pub ejection_balance: u64,
    /// `MIN_VALIDATOR_WITHDRAWABILITY_DELAY` (epochs).
    pub min_validator_withdrawability_delay: u64,
    /// `SHARD_COMMITTEE_PERIOD` (epochs).
    pub shard_committee_period: u64,
    /// `INACTIVITY_SCORE_BIAS` (altair).
    pub inactivity_score_bias: u64,
    /// `INACTIVITY_SCORE_RECOVERY_RATE` (altair).
    pub inactivity_score_recovery_rate: u64,
    /// `MAX_BLOBS_PER_BLOCK_ELECTRA`.
    pub max_blobs_per_block_electra: u64,
    /// `BLOB_SCHEDULE` (fulu, EIP-7892): `(epoch, max_blobs_per_block)` entries.
    pub blob_schedule: Vec<(Epoch, u64)>,
    /// `DEPOSIT_CHAIN_ID`: the execution chain (a remote signer binds its deposits and key
    /// evidence to it and the deposit contract).
    pub deposit_chain_id: u64,
    /// `DEPOSIT_CONTRACT_ADDRESS`: the deposit contract on that chain.
    pub deposit_contract_address: Address,
}

impl Config {
    /// `configs/minimal.yaml`.
    pub fn minimal() -> Self {
        Self {
            slot_duration_ms: 6_000,
            genesis_fork_version: Version([0, 0, 0, 1]),
            altair_fork_version: Version([1, 0, 0, 1]),
            bellatrix_fork_version: Version([2, 0, 0, 1]),
            capella_fork_version: Version([3, 0, 0, 1]),
            deneb_fork_version: Version([4, 0, 0, 1]),
            electra_fork_version: Version([5, 0, 0, 1]),
            electra_fork_epoch: Epoch::new(FAR_FUTURE_EPOCH),
            fulu_fork_version: Version([6, 0, 0, 1]),
            gloas_fork_version: Version([7, 0, 0, 1]),
            fulu_fork_epoch: Epoch::new(FAR_FUTURE_EPOCH),
            min_per_epoch_churn_limit_electra: 64_000_000_000,
            max_per_epoch_activation_exit_churn_limit: 128_000_000_000,
            churn_limit_quotient: 32,
            ejection_balance: 16_000_000_000,
            min_validator_withdrawability_delay: 256,
            shard_committee_period: 64,
            inactivity_score_bias: 4,
            inactivity_score_recovery_rate: 16,
            max_blobs_per_block_electra: 9,
            blob_schedule: Vec::new(),
            deposit_chain_id: 1,
            deposit_contract_address: alloy_primitives::address!(
                "1234567890123456789012345678901234567890"
            ),
        }
    }

    /// `configs/mainnet.yaml`.
    pub fn mainnet() -> Self {
        Self {
            slot_duration_ms: 12_000,
            genesis_fork_version: Version([0, 0, 0, 0]),
            altair_fork_version: Version([1, 0, 0, 0]),
            bellatrix_fork_version: Version([2, 0, 0, 0]),
            capella_fork_version: Version([3, 0, 0, 0]),
            deneb_fork_version: Version([4, 0, 0, 0]),
            electra_fork_version: Version([5, 0, 0, 0]),
            electra_fork_epoch: Epoch::new(364_032),
            fulu_fork_version: Version([6, 0, 0, 0]),
            gloas_fork_version: Version([7, 0, 0, 0]),
            fulu_fork_epoch: Epoch::new(411_392),
            min_per_epoch_churn_limit_electra: 128_000_000_000,
            max_per_epoch_activation_exit_churn_limit: 256_000_000_000,
            churn_limit_quotient: 65_536,
            ejection_balance: 16_000_000_000,
            min_validator_withdrawability_delay: 256,
            shard_committee_period: 256,
            inactivity_score_bias: 4,
            inactivity_score_recovery_rate: 16,
            max_blobs_per_block_electra: 9,
            blob_schedule: vec![(Epoch::new(412_672), 15), (Epoch::new(419_072), 21)],
            deposit_chain_id: 1,
            deposit_contract_address: alloy_primitives::address!(
                "00000000219ab540356cBB839Cbe05303d7705Fa"
            ),
        }
    }

    /// The fork in force at `epoch` among Electra and Fulu (the devnet starts at Electra).
    pub fn fork_at(&self, epoch: Epoch) -> ForkName {
        if epoch >= self.fulu_fork_epoch {
            ForkName::Fulu
        } else {
            ForkName::Electra
        }
    }

    /// The `Fork` record of a devnet state at `epoch`, for a chain whose genesis is at `genesis`
    /// (Electra, or Fulu): `{v, v, 0}` of the genesis fork until the Fulu upgrade, then
    /// `{electra, fulu, FULU_FORK_EPOCH}` (`upgrade_to_fulu`). What a validator client puts in a
    /// signing request's `fork_info`.
    pub fn fork_record(&self, genesis: ForkName, epoch: Epoch) -> Fork {
        let start = |v: Version| Fork {
            previous_version: v,
            current_version: v,
            epoch: Epoch::new(GENESIS_EPOCH),
        };
        match genesis {
            ForkName::Fulu => start(self.fulu_fork_version),
            _ if epoch >= self.fulu_fork_epoch => Fork {
                previous_version: self.electra_fork_version,
                current_version: self.fulu_fork_version,
                epoch: self.fulu_fork_epoch,
            },
            _ => start(self.electra_fork_version),
        }
    }

    /// The chain's consensus `config.yaml`, as a remote signer reads it to pin itself to the
    /// devnet (`lsv signer --network FILE`, `lsv_consensus::Network::from_config_yaml`): the
    /// preset, every fork's version and epoch (the forks before `genesis` at epoch 0, since the
    /// devnet starts there; Fulu at `FULU_FORK_EPOCH`, unless the chain starts in it), timing
    /// (`SECONDS_PER_SLOT`, `SHARD_COMMITTEE_PERIOD`, `MIN_VALIDATOR_WITHDRAWABILITY_DELAY`), the
    /// deposit contract, and the two facts only a genesis state has, `genesis_time` and
    /// `genesis_validators_root`. `None` if `SLOT_DURATION_MS` is not whole seconds, which
    /// `SECONDS_PER_SLOT` cannot say.
    pub fn network_config_yaml<P: SpecPreset>(
        &self,
        name: &str,
        genesis: ForkName,
        genesis_time: u64,
        genesis_validators_root: B256,
    ) -> Option<String> {
        if !self.slot_duration_ms.is_multiple_of(1000) {
            return None;
        }
        let fulu_epoch = if genesis == ForkName::Fulu {
            GENESIS_EPOCH
        } else {
            self.fulu_fork_epoch.as_u64()
        };
        let forks = [
            ("ALTAIR", self.altair_fork_version, GENESIS_EPOCH),
            ("BELLATRIX", self.bellatrix_fork_version, GENESIS_EPOCH),
            ("CAPELLA", self.capella_fork_version, GENESIS_EPOCH),
            ("DENEB", self.deneb_fork_version, GENESIS_EPOCH),
            ("ELECTRA", self.electra_fork_version, GENESIS_EPOCH),
            ("FULU", self.fulu_fork_version, fulu_epoch),
        ];
        let mut out = format!(
            "# The lsv devnet's consensus configuration (written by lsv-devnet).\n\
             CONFIG_NAME: '{name}'\n\
             PRESET_BASE: '{preset}'\n\
             GENESIS_TIME: {genesis_time}\n\
             GENESIS_VALIDATORS_ROOT: '{genesis_validators_root}'\n\
             GENESIS_FORK_VERSION: '{genesis_version}'\n",
            preset = P::NAME.as_str(),
            genesis_version = self.genesis_fork_version,
        );
        for (fork, version, epoch) in forks {
            out += &format!("{fork}_FORK_VERSION: '{version}'\n{fork}_FORK_EPOCH: {epoch}\n");
        }
        out += &format!(
            "SECONDS_PER_SLOT: {}\n\
             SLOT_DURATION_MS: {}\n\
             SLOTS_PER_EPOCH: {}\n\
             SHARD_COMMITTEE_PERIOD: {}\n\
             MIN_VALIDATOR_WITHDRAWABILITY_DELAY: {}\n\
             DEPOSIT_CHAIN_ID: {}\n\
             DEPOSIT_NETWORK_ID: {}\n\
             DEPOSIT_CONTRACT_ADDRESS: '{}'\n",
            self.slot_duration_ms / 1000,
            self.slot_duration_ms,
            P::SLOTS_PER_EPOCH,
            self.shard_committee_period,
            self.min_validator_withdrawability_delay,
            self.deposit_chain_id,
            self.deposit_chain_id,
            self.deposit_contract_address,
        );
        Some(out)
    }

    /// `get_blob_parameters(epoch).max_blobs_per_block` (fulu, EIP-7892).
    pub fn max_blobs_per_block(&self, epoch: Epoch) -> u64 {
        self.blob_schedule
            .iter()
            .filter(|(e, _)| epoch >= *e)
            .max_by_key(|(e, _)| *e)
            .map_or(self.max_blobs_per_block_electra, |(_, max)| *max)
    }
}
