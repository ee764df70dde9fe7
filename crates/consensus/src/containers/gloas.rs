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
use crate::primitives::{SignatureBytes, Slot};
use crate::progressive::{progressive_bitlist_root, progressive_container_root};
use alloy_primitives::{Address, B256};
use serde::{Deserialize, Serialize};
use ssz_derive::{Decode, Encode};
use ssz_types::{BitList, BitVector};
use tree_hash::{PackedEncoding, TreeHash, TreeHashType};
use tree_hash_derive::TreeHash;

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
