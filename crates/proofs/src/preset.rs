//! The preset-dependent lengths of the `BeaconState` and `BeaconBlockBody`, on top of
//! `lsv_consensus::Preset`.
//!
//! `lsv-consensus` models only what validators sign, so its [`Preset`] carries only the
//! sync-committee and committee sizes. [`StatePreset`] extends it with every other length the
//! Electra and Fulu `BeaconState` needs, for [`Mainnet`] and [`Minimal`], so that minimal-preset
//! states (spec tests, small devnets) decode too.
//!
//! Values from consensus-specs `presets/{mainnet,minimal}/{phase0,altair,bellatrix,capella,deneb,
//! electra,gloas}.yaml`
//! (commit `a08d8a6e`); limits the two presets share are plain aliases below.

use lsv_consensus::preset::Length;
use lsv_consensus::{Mainnet, Minimal, Preset};

/// `VALIDATOR_REGISTRY_LIMIT` = 2^40 (phase0 preset, both presets): `validators`, `balances`,
/// the participation lists and `inactivity_scores`.
pub type ValidatorRegistryLimit = typenum::U1099511627776;
/// `HISTORICAL_ROOTS_LIMIT` = 2^24 (phase0 preset, both presets): `historical_roots` and
/// Capella's `historical_summaries`.
pub type HistoricalRootsLimit = typenum::U16777216;
/// `JUSTIFICATION_BITS_LENGTH` (phase0 constants).
pub type JustificationBitsLength = typenum::U4;
/// `BYTES_PER_LOGS_BLOOM` (bellatrix preset, both presets).
pub type BytesPerLogsBloom = typenum::U256;
/// `MAX_EXTRA_DATA_BYTES` (bellatrix preset, both presets).
pub type MaxExtraDataBytes = typenum::U32;
/// `PENDING_DEPOSITS_LIMIT` = 2^27 (electra preset, both presets).
pub type PendingDepositsLimit = typenum::U134217728;
/// `MAX_TRANSACTIONS_PER_PAYLOAD` = 2^20 (bellatrix preset, both presets).
pub type MaxTransactionsPerPayload = typenum::U1048576;
/// `MAX_BYTES_PER_TRANSACTION` = 2^30 (bellatrix preset, both presets).
pub type MaxBytesPerTransaction = typenum::U1073741824;
/// `MAX_BLS_TO_EXECUTION_CHANGES` = 16 (capella preset, both presets).
pub type MaxBlsToExecutionChanges = typenum::U16;
/// `MAX_ATTESTER_SLASHINGS_ELECTRA` = 1 (electra preset, both presets).
pub type MaxAttesterSlashingsElectra = typenum::U1;
/// `MAX_ATTESTATIONS_ELECTRA` = 8 (electra preset, both presets).
pub type MaxAttestationsElectra = typenum::U8;
/// `MAX_CONSOLIDATION_REQUESTS_PER_PAYLOAD` = 2 (electra preset, both presets).
pub type MaxConsolidationRequestsPerPayload = typenum::U2;

/// The lengths of the `BeaconState` and the block body that differ between the mainnet and
/// minimal presets.
pub trait StatePreset: Preset {
    /// `SLOTS_PER_HISTORICAL_ROOT` (`block_roots`, `state_roots`).
    type SlotsPerHistoricalRoot: Length;
    /// `EPOCHS_PER_ETH1_VOTING_PERIOD * SLOTS_PER_EPOCH` (`eth1_data_votes`).
    type Eth1DataVotesLimit: Length;
    /// `EPOCHS_PER_HISTORICAL_VECTOR` (`randao_mixes`).
    type EpochsPerHistoricalVector: Length;
    /// `EPOCHS_PER_SLASHINGS_VECTOR` (`slashings`).
    type EpochsPerSlashingsVector: Length;
    /// `PENDING_PARTIAL_WITHDRAWALS_LIMIT` (electra preset).
    type PendingPartialWithdrawalsLimit: Length;
    /// `PENDING_CONSOLIDATIONS_LIMIT` (electra preset).
    type PendingConsolidationsLimit: Length;
    /// `(MIN_SEED_LOOKAHEAD + 1) * SLOTS_PER_EPOCH` (Fulu `ProposerLookahead`, EIP-7917).
    type ProposerLookaheadLength: Length;
    /// `MAX_WITHDRAWALS_PER_PAYLOAD` (capella preset): `ExecutionPayload.withdrawals`.
    type MaxWithdrawalsPerPayload: Length;
    /// `MAX_BLOB_COMMITMENTS_PER_BLOCK` (deneb preset): `BeaconBlockBody.blob_kzg_commitments`.
    type MaxBlobCommitmentsPerBlock: Length;
    /// `MAX_DEPOSIT_REQUESTS_PER_PAYLOAD` (electra preset).
    type MaxDepositRequestsPerPayload: Length;
    /// `MAX_WITHDRAWAL_REQUESTS_PER_PAYLOAD` (electra preset).
    type MaxWithdrawalRequestsPerPayload: Length;
    /// `PTC_SIZE` (gloas preset): a slot's payload-timeliness committee.
    type PtcSize: Length;
    /// `(2 + MIN_SEED_LOOKAHEAD) * SLOTS_PER_EPOCH` (gloas `ptc_window`).
    type PtcWindowLength: Length;
    /// `2 * SLOTS_PER_EPOCH` (gloas `builder_pending_payments`).
    type BuilderPendingPaymentsLength: Length;
}

impl StatePreset for Mainnet {
    type SlotsPerHistoricalRoot = typenum::U8192;
    type Eth1DataVotesLimit = typenum::U2048; // 64 epochs * 32 slots
    type EpochsPerHistoricalVector = typenum::U65536;
    type EpochsPerSlashingsVector = typenum::U8192;
    type PendingPartialWithdrawalsLimit = typenum::U134217728;
    type PendingConsolidationsLimit = typenum::U262144;
    type ProposerLookaheadLength = typenum::U64; // (1 + 1) * 32
    type MaxWithdrawalsPerPayload = typenum::U16;
    type MaxBlobCommitmentsPerBlock = typenum::U4096;
    type MaxDepositRequestsPerPayload = typenum::U8192;
    type MaxWithdrawalRequestsPerPayload = typenum::U16;
    type PtcSize = typenum::U512;
    type PtcWindowLength = typenum::U96; // (2 + 1) * 32
    type BuilderPendingPaymentsLength = typenum::U64; // 2 * 32
}

impl StatePreset for Minimal {
    type SlotsPerHistoricalRoot = typenum::U64;
    type Eth1DataVotesLimit = typenum::U32; // 4 epochs * 8 slots
    type EpochsPerHistoricalVector = typenum::U64;
    type EpochsPerSlashingsVector = typenum::U64;
    type PendingPartialWithdrawalsLimit = typenum::U64;
    type PendingConsolidationsLimit = typenum::U64;
    type ProposerLookaheadLength = typenum::U16; // (1 + 1) * 8
    type MaxWithdrawalsPerPayload = typenum::U4;
    // The block-body limits below are no longer customized in the minimal preset: the Electra
    // minimal `BeaconBlockBody` vector (spec 1.7.0a13) hashes to its root only with mainnet's.
    type MaxBlobCommitmentsPerBlock = typenum::U4096;
    type MaxDepositRequestsPerPayload = typenum::U8192;
    type MaxWithdrawalRequestsPerPayload = typenum::U16;
    type PtcSize = typenum::U16;
    type PtcWindowLength = typenum::U24; // (2 + 1) * 8
    type BuilderPendingPaymentsLength = typenum::U16; // 2 * 8
}
