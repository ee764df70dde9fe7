//! Gloas containers a validator signs, or that what it signs contains (`specs/gloas/
//! beacon-chain.md` "Containers", `specs/gloas/validator.md`; EIP-7732 ePBS and EIP-7688's
//! progressive containers).
//!
//! `Attestation` becomes a `ProgressiveContainer` whose `aggregation_bits` is a
//! `ProgressiveBitlist`: its SSZ encoding is Electra's, its `hash_tree_root` is not, and so the
//! root of an `AggregateAndProof` that carries one changes too
//! ([`crate::progressive`]). The payload-timeliness vote (`PayloadAttestationData`) and the
//! proposer's preferences are plain containers.

use super::phase0::AttestationData;
use crate::preset::{Mainnet, Preset};
use crate::primitives::{PublicKeyBytes, SignatureBytes, Slot};
use crate::progressive::{
    merkleize_progressive, progressive_bitlist_root, progressive_container_root,
};
use alloy_primitives::{Address, B256, U256};
use serde::{Deserialize, Serialize};
use ssz_derive::{Decode, Encode};
use ssz_types::{BitList, BitVector, FixedVector, VariableList};
use tree_hash::{PackedEncoding, TreeHash, TreeHashType};
use tree_hash_derive::TreeHash;
use typenum::Unsigned;

/// `TreeHash` for a `ProgressiveContainer` whose fields (all active) are listed in order:
/// `progressive_container!(Type { field_a, field_b })`. Exported for the containers other
/// crates model (the proofs crate's `BeaconState` parts).
#[macro_export]
macro_rules! progressive_container {
    ($ty:ident { $($field:ident),* }) => {
        impl ::tree_hash::TreeHash for $ty {
            fn tree_hash_type() -> ::tree_hash::TreeHashType {
                ::tree_hash::TreeHashType::Container
            }
            fn tree_hash_packed_encoding(&self) -> ::tree_hash::PackedEncoding {
                unreachable!("a container is never packed")
            }
            fn tree_hash_packing_factor() -> usize {
                unreachable!("a container is never packed")
            }
            fn tree_hash_root(&self) -> ::alloy_primitives::B256 {
                let roots = [$(::tree_hash::TreeHash::tree_hash_root(&self.$field)),*];
                $crate::progressive::progressive_container_root(
                    &roots,
                    &[true; [$(stringify!($field)),*].len()],
                )
            }
        }
    };
}

/// `Attestation` (gloas): `ProgressiveContainer(active_fields=[1, 1, 1, 1])` with a
/// `ProgressiveBitlist` of aggregation bits. The bits are bounded here by Electra's
/// `MAX_VALIDATORS_PER_COMMITTEE * MAX_COMMITTEES_PER_SLOT`, which the committees cannot exceed;
/// the bound only limits what is decoded, not the root.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Encode, Decode)]
#[serde(bound = "")]
#[allow(missing_docs, reason = "the consensus specs document these fields")]
pub struct Attestation<P: Preset = Mainnet> {
    pub aggregation_bits: BitList<P::MaxValidatorsPerSlot>,
    pub data: AttestationData,
    pub signature: SignatureBytes,
    pub committee_bits: BitVector<P::MaxCommitteesPerSlot>,
}

/// `Attestation`'s active fields: all four.
const ATTESTATION_ACTIVE_FIELDS: [bool; 4] = [true; 4];

impl<P: Preset> TreeHash for Attestation<P> {
    fn tree_hash_type() -> TreeHashType {
        TreeHashType::Container
    }

    fn tree_hash_packed_encoding(&self) -> PackedEncoding {
        unreachable!("a container is never packed")
    }

    fn tree_hash_packing_factor() -> usize {
        unreachable!("a container is never packed")
    }

    fn tree_hash_root(&self) -> B256 {
        let bits = progressive_bitlist_root(
            self.aggregation_bits.as_slice(),
            self.aggregation_bits.len(),
        );
        progressive_container_root(
            &[
                bits,
                self.data.tree_hash_root(),
                self.signature.tree_hash_root(),
                self.committee_bits.tree_hash_root(),
            ],
            &ATTESTATION_ACTIVE_FIELDS,
        )
    }
}

/// `AggregateAndProof` (gloas validator.md): Electra's, carrying the Gloas `Attestation`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Encode, Decode, TreeHash)]
#[serde(bound = "")]
#[allow(missing_docs, reason = "the consensus specs document these fields")]
pub struct AggregateAndProof<P: Preset = Mainnet> {
    #[serde(with = "crate::primitives::quoted_u64")]
    pub aggregator_index: u64,
    pub aggregate: Attestation<P>,
    pub selection_proof: SignatureBytes,
}

/// `PayloadAttestationData`: a payload-timeliness committee member's vote on whether the
/// payload of `beacon_block_root` (and its blobs) arrived in time. Signed under
/// `DOMAIN_PTC_ATTESTER`; not slashable.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Encode, Decode, TreeHash)]
#[allow(missing_docs, reason = "the consensus specs document these fields")]
pub struct PayloadAttestationData {
    #[serde(with = "crate::primitives::hex_root")]
    pub beacon_block_root: B256,
    pub slot: Slot,
    pub payload_present: bool,
    pub blob_data_available: bool,
}

/// `PayloadAttestationMessage`: the vote as gossiped, with its signer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Encode, Decode, TreeHash)]
#[allow(missing_docs, reason = "the consensus specs document these fields")]
pub struct PayloadAttestationMessage {
    #[serde(with = "crate::primitives::quoted_u64")]
    pub validator_index: u64,
    pub data: PayloadAttestationData,
    pub signature: SignatureBytes,
}

/// `ProposerPreferences` (gloas validator.md): the fee recipient and gas limit a proposer asks
/// builders to build its slot's payload with. Signed under `DOMAIN_PROPOSER_PREFERENCES`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Encode, Decode, TreeHash)]
#[allow(missing_docs, reason = "the consensus specs document these fields")]
pub struct ProposerPreferences {
    #[serde(with = "crate::primitives::hex_root")]
    pub dependent_root: B256,
    pub proposal_slot: Slot,
    #[serde(with = "crate::primitives::quoted_u64")]
    pub validator_index: u64,
    pub fee_recipient: Address,
    #[serde(with = "crate::primitives::quoted_u64")]
    pub target_gas_limit: u64,
}

/// builder-specs `MAX_DATA_SIZE` (`specs/gloas/builder.md`, "Constants"): the bound of a
/// [`BuilderRequestAuth`]'s `data`.
pub type MaxBuilderRequestAuthData = typenum::U4096;

/// `BuilderRequestAuth` (builder-specs `specs/gloas/validator.md`, first named `RequestAuthV1`):
/// a proposer's authorization of its bid request for `slot` to one builder, whose identity the
/// opaque `data` carries (by default the builder's host name). Signed under
/// `DOMAIN_BUILDER_REQUEST_AUTH`, fork-agnostic like a validator registration. Not slashable.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Encode, Decode, TreeHash)]
#[allow(missing_docs, reason = "the builder specs document these fields")]
pub struct BuilderRequestAuth {
    #[serde(with = "ssz_types::serde_utils::hex_var_list")]
    pub data: VariableList<u8, MaxBuilderRequestAuthData>,
    pub slot: Slot,
}

impl<P: Preset> From<super::electra::AggregateAndProof<P>> for AggregateAndProof<P> {
    /// The same fields: Gloas changes how the aggregate is hashed, not what it holds.
    fn from(a: super::electra::AggregateAndProof<P>) -> Self {
        Self {
            aggregator_index: a.aggregator_index,
            aggregate: Attestation {
                aggregation_bits: a.aggregate.aggregation_bits,
                data: a.aggregate.data,
                signature: a.aggregate.signature,
                committee_bits: a.aggregate.committee_bits,
            },
            selection_proof: a.selection_proof,
        }
    }
}

// ---- the execution payload envelope (self-built payloads) ----------------------------------

/// `ProgressiveList[T]` of composite `T` (EIP-7916): SSZ as a list; `hash_tree_root` is
/// `mix_in_length(merkleize_progressive([hash_tree_root(t) for t in list]), len)`. `N` bounds
/// only what is decoded (a progressive list has no limit of its own).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent, bound = "T: Serialize + serde::de::DeserializeOwned")]
pub struct ProgressiveList<T, N: Unsigned>(pub VariableList<T, N>);

/// SSZ (and conversion) of a progressive list type wrapping a `VariableList<T, N>`: its
/// serialization is a list's; only its merkleization differs.
macro_rules! ssz_as_list {
    ($ty:ident) => {
        impl<T, N: Unsigned> From<VariableList<T, N>> for $ty<T, N> {
            fn from(list: VariableList<T, N>) -> Self {
                Self(list)
            }
        }

        impl<T: ssz::Encode, N: Unsigned> ssz::Encode for $ty<T, N> {
            fn is_ssz_fixed_len() -> bool {
                false
            }
            fn ssz_append(&self, buf: &mut Vec<u8>) {
                self.0.ssz_append(buf)
            }
            fn ssz_bytes_len(&self) -> usize {
                self.0.ssz_bytes_len()
            }
        }

        impl<T: ssz::Decode + 'static, N: Unsigned> ssz::Decode for $ty<T, N> {
            fn is_ssz_fixed_len() -> bool {
                false
            }
            fn from_ssz_bytes(bytes: &[u8]) -> Result<Self, ssz::DecodeError> {
                VariableList::from_ssz_bytes(bytes).map(Self)
            }
        }
    };
}

ssz_as_list!(ProgressiveList);

impl<T: TreeHash, N: Unsigned> TreeHash for ProgressiveList<T, N> {
    fn tree_hash_type() -> TreeHashType {
        TreeHashType::List
    }
    fn tree_hash_packed_encoding(&self) -> PackedEncoding {
        unreachable!("a list is never packed")
    }
    fn tree_hash_packing_factor() -> usize {
        unreachable!("a list is never packed")
    }
    fn tree_hash_root(&self) -> B256 {
        let chunks: Vec<u8> = self
            .0
            .iter()
            .flat_map(|item| item.tree_hash_root().0)
            .collect();
        tree_hash::mix_in_length(&merkleize_progressive(&chunks), self.0.len())
    }
}

/// `ProgressiveList[T]` of a basic `T` (`uint8`, `uint64`; EIP-7916): SSZ as a list;
/// `hash_tree_root` packs the elements' SSZ bytes into chunks, as a basic list does, then
/// merkleizes them progressively and mixes in the length. `N` bounds only what is decoded.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent, bound = "T: Serialize + serde::de::DeserializeOwned")]
pub struct PackedProgressiveList<T, N: Unsigned>(pub VariableList<T, N>);

ssz_as_list!(PackedProgressiveList);

impl<T: ssz::Encode, N: Unsigned> TreeHash for PackedProgressiveList<T, N> {
    fn tree_hash_type() -> TreeHashType {
        TreeHashType::List
    }
    fn tree_hash_packed_encoding(&self) -> PackedEncoding {
        unreachable!("a list is never packed")
    }
    fn tree_hash_packing_factor() -> usize {
        unreachable!("a list is never packed")
    }
    fn tree_hash_root(&self) -> B256 {
        // A basic element's SSZ is its packed encoding (little-endian, no padding), so the
        // list's SSZ is exactly `pack(values)` before the zero padding of the last chunk.
        let packed = ssz::Encode::as_ssz_bytes(&self.0);
        tree_hash::mix_in_length(&merkleize_progressive(&packed), self.0.len())
    }
}

/// `ProgressiveByteList` (EIP-7916): bytes packed 32 to a chunk, merkleized progressively,
/// length mixed in. `N` bounds only what is decoded. JSON and YAML: `0x` hex.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ProgressiveByteList<N: Unsigned>(
    #[serde(with = "ssz_types::serde_utils::hex_var_list")] pub VariableList<u8, N>,
);

impl<N: Unsigned> ssz::Encode for ProgressiveByteList<N> {
    fn is_ssz_fixed_len() -> bool {
        false
    }
    fn ssz_append(&self, buf: &mut Vec<u8>) {
        self.0.ssz_append(buf)
    }
    fn ssz_bytes_len(&self) -> usize {
        self.0.ssz_bytes_len()
    }
}

impl<N: Unsigned> ssz::Decode for ProgressiveByteList<N> {
    fn is_ssz_fixed_len() -> bool {
        false
    }
    fn from_ssz_bytes(bytes: &[u8]) -> Result<Self, ssz::DecodeError> {
        VariableList::from_ssz_bytes(bytes).map(Self)
    }
}

impl<N: Unsigned> TreeHash for ProgressiveByteList<N> {
    fn tree_hash_type() -> TreeHashType {
        TreeHashType::List
    }
    fn tree_hash_packed_encoding(&self) -> PackedEncoding {
        unreachable!("a list is never packed")
    }
    fn tree_hash_packing_factor() -> usize {
        unreachable!("a list is never packed")
    }
    fn tree_hash_root(&self) -> B256 {
        tree_hash::mix_in_length(&merkleize_progressive(&self.0), self.0.len())
    }
}

/// What a progressive list may hold when decoded: 2^20 items (Electra's
/// `MAX_TRANSACTIONS_PER_PAYLOAD`, more than any request list could carry in a payload).
pub type MaxProgressiveItems = typenum::U1048576;
/// What a progressive byte list may hold when decoded: 2^30 bytes (Electra's
/// `MAX_BYTES_PER_TRANSACTION`).
pub type MaxProgressiveBytes = typenum::U1073741824;

/// `Withdrawal` (capella): one balance the payload pays out.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Encode, Decode, TreeHash)]
#[allow(missing_docs, reason = "the consensus specs document these fields")]
pub struct Withdrawal {
    #[serde(with = "crate::primitives::quoted_u64")]
    pub index: u64,
    #[serde(with = "crate::primitives::quoted_u64")]
    pub validator_index: u64,
    pub address: Address,
    #[serde(with = "crate::primitives::quoted_u64")]
    pub amount: u64,
}

/// `DepositRequest` (electra, EIP-6110).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Encode, Decode, TreeHash)]
#[allow(missing_docs, reason = "the consensus specs document these fields")]
pub struct DepositRequest {
    pub pubkey: PublicKeyBytes,
    #[serde(with = "crate::primitives::hex_root")]
    pub withdrawal_credentials: B256,
    #[serde(with = "crate::primitives::quoted_u64")]
    pub amount: u64,
    pub signature: SignatureBytes,
    #[serde(with = "crate::primitives::quoted_u64")]
    pub index: u64,
}

/// `WithdrawalRequest` (electra, EIP-7002).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Encode, Decode, TreeHash)]
#[allow(missing_docs, reason = "the consensus specs document these fields")]
pub struct WithdrawalRequest {
    pub source_address: Address,
    pub validator_pubkey: PublicKeyBytes,
    #[serde(with = "crate::primitives::quoted_u64")]
    pub amount: u64,
}

/// `ConsolidationRequest` (electra, EIP-7251).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Encode, Decode, TreeHash)]
#[allow(missing_docs, reason = "the consensus specs document these fields")]
pub struct ConsolidationRequest {
    pub source_address: Address,
    pub source_pubkey: PublicKeyBytes,
    pub target_pubkey: PublicKeyBytes,
}

/// `BuilderDepositRequest` (gloas): a builder's stake.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Encode, Decode, TreeHash)]
#[allow(missing_docs, reason = "the consensus specs document these fields")]
pub struct BuilderDepositRequest {
    pub pubkey: PublicKeyBytes,
    #[serde(with = "crate::primitives::hex_root")]
    pub withdrawal_credentials: B256,
    #[serde(with = "crate::primitives::quoted_u64")]
    pub amount: u64,
    pub signature: SignatureBytes,
}

/// `BuilderExitRequest` (gloas).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Encode, Decode, TreeHash)]
#[allow(missing_docs, reason = "the consensus specs document these fields")]
pub struct BuilderExitRequest {
    pub source_address: Address,
    pub pubkey: PublicKeyBytes,
}

/// `ExecutionRequests` (gloas): `ProgressiveContainer(active_fields=[1] * 5)` of progressive
/// lists.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Encode, Decode)]
#[allow(missing_docs, reason = "the consensus specs document these fields")]
pub struct ExecutionRequests {
    pub deposits: ProgressiveList<DepositRequest, MaxProgressiveItems>,
    pub withdrawals: ProgressiveList<WithdrawalRequest, MaxProgressiveItems>,
    pub consolidations: ProgressiveList<ConsolidationRequest, MaxProgressiveItems>,
    pub builder_deposits: ProgressiveList<BuilderDepositRequest, MaxProgressiveItems>,
    pub builder_exits: ProgressiveList<BuilderExitRequest, MaxProgressiveItems>,
}

progressive_container!(ExecutionRequests {
    deposits,
    withdrawals,
    consolidations,
    builder_deposits,
    builder_exits
});

/// `ExecutionPayload` (gloas): `ProgressiveContainer(active_fields=[1] * 19)`, Fulu's fields
/// with progressive lists, the block access list and the slot number (EIP-7928, Amsterdam).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Encode, Decode)]
#[allow(missing_docs, reason = "the consensus specs document these fields")]
pub struct ExecutionPayload {
    #[serde(with = "crate::primitives::hex_root")]
    pub parent_hash: B256,
    pub fee_recipient: Address,
    #[serde(with = "crate::primitives::hex_root")]
    pub state_root: B256,
    #[serde(with = "crate::primitives::hex_root")]
    pub receipts_root: B256,
    #[serde(with = "ssz_types::serde_utils::hex_fixed_vec")]
    pub logs_bloom: FixedVector<u8, typenum::U256>,
    #[serde(with = "crate::primitives::hex_root")]
    pub prev_randao: B256,
    #[serde(with = "crate::primitives::quoted_u64")]
    pub block_number: u64,
    #[serde(with = "crate::primitives::quoted_u64")]
    pub gas_limit: u64,
    #[serde(with = "crate::primitives::quoted_u64")]
    pub gas_used: u64,
    #[serde(with = "crate::primitives::quoted_u64")]
    pub timestamp: u64,
    #[serde(with = "ssz_types::serde_utils::hex_var_list")]
    pub extra_data: VariableList<u8, typenum::U32>,
    #[serde(with = "crate::primitives::quoted_u256")]
    pub base_fee_per_gas: U256,
    #[serde(with = "crate::primitives::hex_root")]
    pub block_hash: B256,
    pub transactions:
        ProgressiveList<ProgressiveByteList<MaxProgressiveBytes>, MaxProgressiveItems>,
    pub withdrawals: ProgressiveList<Withdrawal, MaxProgressiveItems>,
    #[serde(with = "crate::primitives::quoted_u64")]
    pub blob_gas_used: u64,
    #[serde(with = "crate::primitives::quoted_u64")]
    pub excess_blob_gas: u64,
    pub block_access_list: ProgressiveByteList<MaxProgressiveBytes>,
    #[serde(with = "crate::primitives::quoted_u64")]
    pub slot_number: u64,
}

progressive_container!(ExecutionPayload {
    parent_hash,
    fee_recipient,
    state_root,
    receipts_root,
    logs_bloom,
    prev_randao,
    block_number,
    gas_limit,
    gas_used,
    timestamp,
    extra_data,
    base_fee_per_gas,
    block_hash,
    transactions,
    withdrawals,
    blob_gas_used,
    excess_blob_gas,
    block_access_list,
    slot_number
});

/// `ExecutionPayloadEnvelope` (gloas): the payload a builder (or a self-building proposer,
/// `builder_index` = `BUILDER_INDEX_SELF_BUILD`) reveals for its block, signed under
/// `DOMAIN_BEACON_BUILDER`. `ProgressiveContainer(active_fields=[1] * 5)`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Encode, Decode)]
#[allow(missing_docs, reason = "the consensus specs document these fields")]
pub struct ExecutionPayloadEnvelope {
    pub payload: ExecutionPayload,
    pub execution_requests: ExecutionRequests,
    #[serde(with = "crate::primitives::quoted_u64")]
    pub builder_index: u64,
    #[serde(with = "crate::primitives::hex_root")]
    pub beacon_block_root: B256,
    #[serde(with = "crate::primitives::hex_root")]
    pub parent_beacon_block_root: B256,
}

progressive_container!(ExecutionPayloadEnvelope {
    payload,
    execution_requests,
    builder_index,
    beacon_block_root,
    parent_beacon_block_root
});

/// `BUILDER_INDEX_SELF_BUILD` (gloas): the envelope of a proposer that built its own payload.
pub const BUILDER_INDEX_SELF_BUILD: u64 = u64::MAX;
