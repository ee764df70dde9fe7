//! The `BeaconState` of Electra and Fulu, with the containers only the state uses.
//!
//! Field order and types follow `specs/electra/beacon-chain.md` "BeaconState" (37 fields) and
//! `specs/fulu/beacon-chain.md` "BeaconState" (the same 37, then `proposer_lookahead`, EIP-7917).
//! SSZ comes from `ethereum_ssz` derives and `hash_tree_root` from `tree_hash` derives; this
//! module adds only [`field_root`](electra::BeaconState::field_root), each field's own
//! `hash_tree_root` in SSZ order, which the prover needs to build the state's chunk tree.
//!
//! Containers the signer already models (`Validator`, `Fork`, `Checkpoint`, `Eth1Data`,
//! `BeaconBlockHeader`) come from `lsv-consensus`.

pub mod electra;
pub mod fulu;

use crate::preset::{BytesPerLogsBloom, MaxExtraDataBytes, StatePreset};
use alloy_primitives::{Address, B256, U256};
use lsv_consensus::containers::{Checkpoint, Fork, Validator};
use lsv_consensus::{ForkName, Gwei, Mainnet, PublicKeyBytes, SignatureBytes, Slot};
use ssz::Decode;
use ssz_derive::{Decode, Encode};
use ssz_types::{FixedVector, VariableList};
use tree_hash::TreeHash;
use tree_hash_derive::TreeHash;

/// `SyncCommittee` (altair beacon-chain.md).
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode, TreeHash)]
#[allow(missing_docs, reason = "the consensus specs document these fields")]
pub struct SyncCommittee<P: StatePreset = Mainnet> {
    pub pubkeys: FixedVector<PublicKeyBytes, P::SyncCommitteeSize>,
    pub aggregate_pubkey: PublicKeyBytes,
}

/// `ExecutionPayloadHeader` (deneb beacon-chain.md; unchanged in Electra and Fulu).
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode, TreeHash)]
#[allow(missing_docs, reason = "the consensus specs document these fields")]
pub struct ExecutionPayloadHeader {
    pub parent_hash: B256,
    pub fee_recipient: Address,
    pub state_root: B256,
    pub receipts_root: B256,
    pub logs_bloom: FixedVector<u8, BytesPerLogsBloom>,
    pub prev_randao: B256,
    pub block_number: u64,
    pub gas_limit: u64,
    pub gas_used: u64,
    pub timestamp: u64,
    pub extra_data: VariableList<u8, MaxExtraDataBytes>,
    pub base_fee_per_gas: U256,
    pub block_hash: B256,
    pub transactions_root: B256,
    pub withdrawals_root: B256,
    pub blob_gas_used: u64,
    pub excess_blob_gas: u64,
}

/// `HistoricalSummary` (capella beacon-chain.md).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Encode, Decode, TreeHash)]
#[allow(missing_docs, reason = "the consensus specs document these fields")]
pub struct HistoricalSummary {
    pub block_summary_root: B256,
    pub state_summary_root: B256,
}

/// `PendingDeposit` (electra beacon-chain.md, EIP-7251).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Encode, Decode, TreeHash)]
#[allow(missing_docs, reason = "the consensus specs document these fields")]
pub struct PendingDeposit {
    pub pubkey: PublicKeyBytes,
    pub withdrawal_credentials: B256,
    pub amount: Gwei,
    pub signature: SignatureBytes,
    pub slot: Slot,
}

/// `PendingPartialWithdrawal` (electra beacon-chain.md, EIP-7251).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Encode, Decode, TreeHash)]
#[allow(missing_docs, reason = "the consensus specs document these fields")]
pub struct PendingPartialWithdrawal {
    pub validator_index: u64,
    pub amount: Gwei,
    pub withdrawable_epoch: lsv_consensus::Epoch,
}

/// `PendingConsolidation` (electra beacon-chain.md, EIP-7251).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Encode, Decode, TreeHash)]
#[allow(missing_docs, reason = "the consensus specs document these fields")]
pub struct PendingConsolidation {
    pub source_index: u64,
    pub target_index: u64,
}

/// Declares a `BeaconState` struct with the SSZ and `tree_hash` derives, plus
/// `FIELD_NAMES` and `field_root(i)` generated from the same field list, so the leaf order the
/// prover uses can never drift from the order the derives hash.
macro_rules! beacon_state {
    (
        $(#[$meta:meta])*
        pub struct $name:ident<P> {
            $( $(#[$fmeta:meta])* $field:ident: $ty:ty, )*
        }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Debug, PartialEq, Encode, Decode, TreeHash)]
        #[allow(missing_docs, reason = "the consensus specs document these fields")]
        pub struct $name<P: StatePreset = Mainnet> {
            $( $(#[$fmeta])* pub $field: $ty, )*
        }

        impl<P: StatePreset> $name<P> {
            /// The field names in SSZ order: field `f` is leaf `f` of the state's chunk tree
            /// (state generalized index `64 + f`).
            pub const FIELD_NAMES: &'static [&'static str] = &[$(stringify!($field)),*];

            /// `hash_tree_root` of field number `index` (SSZ order), computed by `tree_hash`;
            /// `None` past the last field.
            pub fn field_root(&self, index: usize) -> Option<B256> {
                let roots: &[fn(&Self) -> B256] =
                    &[$(|s: &Self| tree_hash::TreeHash::tree_hash_root(&s.$field)),*];
                roots.get(index).map(|root| root(self))
            }
        }
    };
}
pub(crate) use beacon_state;

/// Why SSZ bytes did not give a state this crate can prove from.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StateError {
    /// A fork whose state layout this crate does not model.
    #[error("the {0:?} BeaconState layout is not modelled (Electra and Fulu are)")]
    UnsupportedFork(ForkName),
    /// The state's fork version is neither of the network's Electra and Fulu versions.
    #[error("fork version {0} is none of the network's Electra or Fulu versions")]
    UnknownForkVersion(lsv_consensus::Version),
    /// Too few bytes to hold even the state's fixed-size head.
    #[error("SSZ bytes too short to hold a BeaconState ({0} bytes)")]
    TooShort(usize),
    /// The bytes are not a `BeaconState` of the layout: what the decoder said.
    #[error("invalid SSZ BeaconState: {0}")]
    Ssz(String),
}

/// A `BeaconState` of a fork whose layout this crate knows.
#[derive(Clone, Debug, PartialEq)]
pub enum AnyBeaconState<P: StatePreset = Mainnet> {
    /// An Electra state (37 fields).
    Electra(Box<electra::BeaconState<P>>),
    /// A Fulu state (38 fields: Electra's and `proposer_lookahead`).
    Fulu(Box<fulu::BeaconState<P>>),
}

/// Byte range of `fork` in the SSZ of every `BeaconState` since phase0: it follows
/// `genesis_time` (8), `genesis_validators_root` (32) and `slot` (8), all fixed-size.
const FORK_OFFSET: std::ops::Range<usize> = 48..64;

impl<P: StatePreset> AnyBeaconState<P> {
    /// Decodes the SSZ of a `fork` state (the beacon API's `Eth-Consensus-Version`).
    pub fn from_ssz_bytes(fork: ForkName, bytes: &[u8]) -> Result<Self, StateError> {
        let err = |e: ssz::DecodeError| StateError::Ssz(format!("{e:?}"));
        match fork {
            ForkName::Electra => Ok(Self::Electra(Box::new(
                electra::BeaconState::from_ssz_bytes(bytes).map_err(err)?,
            ))),
            ForkName::Fulu => Ok(Self::Fulu(Box::new(
                fulu::BeaconState::from_ssz_bytes(bytes).map_err(err)?,
            ))),
            other => Err(StateError::UnsupportedFork(other)),
        }
    }

    /// Decodes a state of `network`, choosing the layout from `state.fork.current_version`.
    pub fn from_ssz_bytes_of_network(
        network: &lsv_consensus::Network,
        bytes: &[u8],
    ) -> Result<Self, StateError> {
        let version = ssz_fork(bytes)?.current_version;
        let fork = [ForkName::Electra, ForkName::Fulu]
            .into_iter()
            .find(|f| network.fork_version(*f) == Some(version))
            .ok_or(StateError::UnknownForkVersion(version))?;
        Self::from_ssz_bytes(fork, bytes)
    }

    /// The fork whose layout the state is in.
    pub fn fork_name(&self) -> ForkName {
        match self {
            Self::Electra(_) => ForkName::Electra,
            Self::Fulu(_) => ForkName::Fulu,
        }
    }

    /// The number of fields (37 in Electra, 38 in Fulu); the chunk tree has 64 leaves for both.
    pub fn field_count(&self) -> usize {
        match self {
            Self::Electra(_) => electra::BeaconState::<P>::FIELD_NAMES.len(),
            Self::Fulu(_) => fulu::BeaconState::<P>::FIELD_NAMES.len(),
        }
    }

    /// `hash_tree_root` of field `index` in SSZ order (see `FIELD_NAMES`).
    pub fn field_root(&self, index: usize) -> Option<B256> {
        match self {
            Self::Electra(s) => s.field_root(index),
            Self::Fulu(s) => s.field_root(index),
        }
    }

    /// `hash_tree_root(state)`, by `tree_hash` (hashes everything; the prover has a faster
    /// path that reuses its own trees).
    pub fn tree_hash_root(&self) -> B256 {
        match self {
            Self::Electra(s) => s.tree_hash_root(),
            Self::Fulu(s) => s.tree_hash_root(),
        }
    }
}

/// Accessors for the fields proofs are about, identical in both layouts.
macro_rules! accessors {
    ($( $(#[$m:meta])* $name:ident -> $ty:ty = |$s:ident| $e:expr; )*) => {
        impl<P: StatePreset> AnyBeaconState<P> {
            $(
                $(#[$m])*
                pub fn $name(&self) -> $ty {
                    match self {
                        Self::Electra($s) => $e,
                        Self::Fulu($s) => $e,
                    }
                }
            )*
        }
    };
}

accessors! {
    /// `state.genesis_time`.
    genesis_time -> u64 = |s| s.genesis_time;
    /// `state.genesis_validators_root`.
    genesis_validators_root -> B256 = |s| s.genesis_validators_root;
    /// `state.slot`.
    slot -> Slot = |s| s.slot;
    /// `state.fork`.
    fork -> Fork = |s| s.fork;
    /// `state.finalized_checkpoint`.
    finalized_checkpoint -> Checkpoint = |s| s.finalized_checkpoint;
    /// `state.validators`.
    validators -> &[Validator] = |s| &s.validators[..];
    /// `state.balances`.
    balances -> &[Gwei] = |s| &s.balances[..];
    /// `state.inactivity_scores`.
    inactivity_scores -> &[u64] = |s| &s.inactivity_scores[..];
    /// `state.block_roots`.
    block_roots -> &[B256] = |s| &s.block_roots[..];
    /// `state.historical_summaries`.
    historical_summaries -> &[HistoricalSummary] = |s| &s.historical_summaries[..];
}

/// Reads `state.fork` from SSZ bytes without decoding the rest: bytes 48..64, after the
/// fixed-size `genesis_time`, `genesis_validators_root` and `slot`.
pub fn ssz_fork(bytes: &[u8]) -> Result<Fork, StateError> {
    let raw = bytes
        .get(FORK_OFFSET)
        .ok_or(StateError::TooShort(bytes.len()))?;
    Fork::from_ssz_bytes(raw).map_err(|e| StateError::Ssz(format!("{e:?}")))
}
