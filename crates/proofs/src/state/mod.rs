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
pub mod gloas;

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
///
/// A Gloas state (a `ProgressiveContainer`, EIP-7688) is declared with `progressive;` first: it
/// gets no `TreeHash` derive (the derive merkleizes a plain container), but the same
/// `field_root` list, which its own `TreeHash` merkleizes progressively.
macro_rules! beacon_state {
    (
        $(#[$meta:meta])*
        pub struct $name:ident<P> {
            $( $(#[$fmeta:meta])* $field:ident: $ty:ty, )*
        }
    ) => {
        beacon_state! {
            @derive [TreeHash]
            $(#[$meta])*
            pub struct $name<P> { $( $(#[$fmeta])* $field: $ty, )* }
        }
    };
    (
        progressive;
        $(#[$meta:meta])*
        pub struct $name:ident<P> {
            $( $(#[$fmeta:meta])* $field:ident: $ty:ty, )*
        }
    ) => {
        beacon_state! {
            @derive []
            $(#[$meta])*
            pub struct $name<P> { $( $(#[$fmeta])* $field: $ty, )* }
        }
    };
    (
        @derive [$($derive:ident),*]
        $(#[$meta:meta])*
        pub struct $name:ident<P> {
            $( $(#[$fmeta:meta])* $field:ident: $ty:ty, )*
        }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Debug, PartialEq, Encode, Decode $(, $derive)*)]
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

            /// Each field's part of the SSZ fixed part, in SSZ order: `Some(length)` for a
            /// fixed-size field, `None` for a variable-size one (a 4-byte offset there).
            fn ssz_fixed_parts() -> Vec<Option<usize>> {
                vec![$(
                    <$ty as ssz::Decode>::is_ssz_fixed_len()
                        .then(<$ty as ssz::Decode>::ssz_fixed_len)
                ),*]
            }

            /// Decodes the SSZ, taking the bytes so that they are freed as soon as the
            /// registry is decoded (see `take_validators`).
            pub(super) fn from_ssz_vec(
                mut bytes: Vec<u8>,
            ) -> Result<Self, crate::state::StateError> {
                let validators =
                    crate::state::take_validators(&mut bytes, &Self::ssz_fixed_parts())?;
                let mut state =
                    <Self as ssz::Decode>::from_ssz_bytes(&bytes).map_err(crate::state::ssz_error)?;
                drop(bytes);
                state.validators = validators.into();
                Ok(state)
            }
        }
    };
}
pub(crate) use beacon_state;

fn ssz_error(e: ssz::DecodeError) -> StateError {
    StateError::Ssz(format!("{e:?}"))
}

/// The registry `List[Validator, 2^40]`, as in both layouts.
type Registry = VariableList<Validator, crate::preset::ValidatorRegistryLimit>;

/// Decodes `validators` (field [`crate::gindex::field::VALIDATORS`]) out of a state's SSZ and
/// removes its bytes in place, shifting the later fields' offsets, so that `bytes` becomes the
/// SSZ of the same state with an empty registry and shrinks to that size (a mainnet state is
/// ~90% registry). `layout` is the container's `ssz_fixed_parts()`. Only the
/// offset table is edited here; the decoding is `ethereum_ssz`'s, and a malformed table is an
/// error (the full decode that follows checks the rest).
fn take_validators(bytes: &mut Vec<u8>, layout: &[Option<usize>]) -> Result<Registry, StateError> {
    let bad = |what: &str| StateError::Ssz(format!("offset table: {what}"));
    // (field, position of its offset in the fixed part) for every variable-size field.
    let mut offsets = Vec::new();
    let mut pos = 0usize;
    for (f, part) in layout.iter().enumerate() {
        match part {
            Some(len) => pos += len,
            None => {
                offsets.push((f, pos));
                pos += ssz::BYTES_PER_LENGTH_OFFSET;
            }
        }
    }
    if bytes.len() < pos {
        return Err(StateError::TooShort(bytes.len()));
    }
    let read = |bytes: &[u8], at: usize| {
        let raw: [u8; 4] = bytes[at..at + 4].try_into().expect("4 bytes");
        u32::from_le_bytes(raw) as usize
    };
    let at = offsets
        .iter()
        .position(|&(f, _)| f == crate::gindex::field::VALIDATORS)
        .ok_or_else(|| bad("no variable-size validators field"))?;
    let start = read(bytes, offsets[at].1);
    let end = offsets
        .get(at + 1)
        .map_or(bytes.len(), |&(_, p)| read(bytes, p));
    if !(pos <= start && start <= end && end <= bytes.len()) {
        return Err(bad("validators out of order or out of bounds"));
    }
    let validators = Registry::from_ssz_bytes(&bytes[start..end]).map_err(ssz_error)?;
    let removed = end - start;
    for &(_, p) in &offsets[at + 1..] {
        let shifted = read(bytes, p)
            .checked_sub(removed)
            .ok_or_else(|| bad("a later field starts inside validators"))?;
        let shifted = u32::try_from(shifted).expect("below an offset that fit in u32");
        bytes[p..p + 4].copy_from_slice(&shifted.to_le_bytes());
    }
    bytes.drain(start..end);
    bytes.shrink_to_fit();
    Ok(validators)
}

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

    /// [`AnyBeaconState::from_ssz_bytes`], taking the bytes: they shrink to the non-registry
    /// part as soon as the registry is decoded and are freed after, so the peak holds about one
    /// copy of the registry in SSZ and one decoded, rather than the whole state twice.
    pub fn from_ssz_vec(fork: ForkName, bytes: Vec<u8>) -> Result<Self, StateError> {
        match fork {
            ForkName::Electra => Ok(Self::Electra(Box::new(electra::BeaconState::from_ssz_vec(
                bytes,
            )?))),
            ForkName::Fulu => Ok(Self::Fulu(Box::new(fulu::BeaconState::from_ssz_vec(
                bytes,
            )?))),
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
