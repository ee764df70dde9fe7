//! Preset values that fix SSZ list and vector lengths.
//!
//! Only a few containers that validators sign depend on the preset (the sync-committee bit
//! vectors of Altair and the committee-spanning bit fields of Electra); they are generic over
//! [`Preset`] with [`Mainnet`] as the default. Every limit that the mainnet and minimal presets
//! share is a plain constant below.
//!
//! Values from consensus-specs `presets/{mainnet,minimal}/{phase0,altair}.yaml`.

use std::fmt::Debug;
use std::hash::Hash;
use typenum::Unsigned;

/// `MAX_VALIDATORS_PER_COMMITTEE` (phase0 preset; 2048 in mainnet and minimal).
pub type MaxValidatorsPerCommittee = typenum::U2048;
/// `MAX_PROPOSER_SLASHINGS` (phase0 preset).
pub type MaxProposerSlashings = typenum::U16;
/// `MAX_ATTESTER_SLASHINGS` (phase0 preset).
pub type MaxAttesterSlashings = typenum::U2;
/// `MAX_ATTESTATIONS` (phase0 preset).
pub type MaxAttestations = typenum::U128;
/// `MAX_DEPOSITS` (phase0 preset).
pub type MaxDeposits = typenum::U16;
/// `MAX_VOLUNTARY_EXITS` (phase0 preset).
pub type MaxVoluntaryExits = typenum::U16;
/// `DEPOSIT_CONTRACT_TREE_DEPTH + 1` (phase0 constants: the proof of a `Deposit`).
pub type DepositProofLength = typenum::U33;

/// A bound every typenum length in a [`Preset`] satisfies.
pub trait Length:
    Unsigned + Clone + Copy + Debug + Default + PartialEq + Eq + Hash + Send + Sync + 'static
{
}
impl<T> Length for T where
    T: Unsigned + Clone + Copy + Debug + Default + PartialEq + Eq + Hash + Send + Sync + 'static
{
}

/// The preset-dependent lengths of the containers this crate models.
pub trait Preset:
    Clone + Copy + Debug + Default + PartialEq + Eq + Hash + Send + Sync + 'static
{
    /// The preset's name, as `PRESET_BASE` says it.
    const NAME: PresetName;
    /// `SYNC_COMMITTEE_SIZE` (altair preset).
    type SyncCommitteeSize: Length;
    /// `SYNC_COMMITTEE_SIZE // SYNC_COMMITTEE_SUBNET_COUNT` (altair `SyncCommitteeContribution`).
    type SyncSubcommitteeSize: Length;
    /// `MAX_COMMITTEES_PER_SLOT` (phase0 preset; Electra `committee_bits`).
    type MaxCommitteesPerSlot: Length;
    /// `MAX_VALIDATORS_PER_COMMITTEE * MAX_COMMITTEES_PER_SLOT` (Electra `aggregation_bits` and
    /// `attesting_indices`).
    type MaxValidatorsPerSlot: Length;
}

/// The mainnet preset (also Hoodi's, and that of every public network).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Mainnet;

impl Preset for Mainnet {
    const NAME: PresetName = PresetName::Mainnet;
    type SyncCommitteeSize = typenum::U512;
    type SyncSubcommitteeSize = typenum::U128;
    type MaxCommitteesPerSlot = typenum::U64;
    type MaxValidatorsPerSlot = typenum::U131072;
}

/// The minimal preset, used by small devnets and by some client test fixtures.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Minimal;

impl Preset for Minimal {
    const NAME: PresetName = PresetName::Minimal;
    type SyncCommitteeSize = typenum::U32;
    type SyncSubcommitteeSize = typenum::U8;
    type MaxCommitteesPerSlot = typenum::U4;
    type MaxValidatorsPerSlot = typenum::U8192;
}

/// A preset chosen at run time (a network's `PRESET_BASE`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum PresetName {
    /// `mainnet`, the preset of every public network.
    #[default]
    Mainnet,
    /// `minimal`, the small preset of devnets and spec tests.
    Minimal,
}

impl PresetName {
    /// The name consensus configs use in `PRESET_BASE`.
    pub const fn as_str(self) -> &'static str {
        match self {
            PresetName::Mainnet => "mainnet",
            PresetName::Minimal => "minimal",
        }
    }

    /// `EPOCHS_PER_SLASHINGS_VECTOR` (phase0 preset: 8192 mainnet, 64 minimal).
    pub const fn epochs_per_slashings_vector(self) -> u64 {
        match self {
            PresetName::Mainnet => 8192,
            PresetName::Minimal => 64,
        }
    }

    /// `SHARD_COMMITTEE_PERIOD` of the preset's reference configuration (`configs/mainnet.yaml`
    /// 256, `configs/minimal.yaml` 64): what a config that does not set it means.
    pub const fn default_shard_committee_period(self) -> u64 {
        match self {
            PresetName::Mainnet => 256,
            PresetName::Minimal => 64,
        }
    }
}
