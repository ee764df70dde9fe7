//! Electra containers, `specs/electra/beacon-chain.md` "Containers" and
//! `specs/electra/validator.md` (EIP-7549 moves the committee index out of `AttestationData`
//! into `committee_bits`). Unchanged in Fulu.

use super::phase0::AttestationData;
use crate::preset::{Mainnet, Preset};
use crate::primitives::SignatureBytes;
use serde::{Deserialize, Serialize};
use ssz_derive::{Decode, Encode};
use ssz_types::{BitList, BitVector, VariableList};
use tree_hash_derive::TreeHash;

/// `Attestation` (electra): aggregation bits span every committee of the slot.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Encode, Decode, TreeHash)]
#[serde(bound = "")]
#[allow(missing_docs, reason = "the consensus specs document these fields")]
pub struct Attestation<P: Preset = Mainnet> {
    pub aggregation_bits: BitList<P::MaxValidatorsPerSlot>,
    pub data: AttestationData,
    pub signature: SignatureBytes,
    pub committee_bits: BitVector<P::MaxCommitteesPerSlot>,
}

/// `IndexedAttestation` (electra).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Encode, Decode, TreeHash)]
#[serde(bound = "")]
#[allow(missing_docs, reason = "the consensus specs document these fields")]
pub struct IndexedAttestation<P: Preset = Mainnet> {
    #[serde(with = "ssz_types::serde_utils::quoted_u64_var_list")]
    pub attesting_indices: VariableList<u64, P::MaxValidatorsPerSlot>,
    pub data: AttestationData,
    pub signature: SignatureBytes,
}

/// `SingleAttestation` (electra): what an attester publishes on a subnet.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Encode, Decode, TreeHash)]
#[allow(missing_docs, reason = "the consensus specs document these fields")]
pub struct SingleAttestation {
    #[serde(with = "crate::primitives::quoted_u64")]
    pub committee_index: u64,
    #[serde(with = "crate::primitives::quoted_u64")]
    pub attester_index: u64,
    pub data: AttestationData,
    pub signature: SignatureBytes,
}

/// `AggregateAndProof` (electra validator.md).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Encode, Decode, TreeHash)]
#[serde(bound = "")]
#[allow(missing_docs, reason = "the consensus specs document these fields")]
pub struct AggregateAndProof<P: Preset = Mainnet> {
    #[serde(with = "crate::primitives::quoted_u64")]
    pub aggregator_index: u64,
    pub aggregate: Attestation<P>,
    pub selection_proof: SignatureBytes,
}

/// `SignedAggregateAndProof` (electra validator.md).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Encode, Decode, TreeHash)]
#[serde(bound = "")]
#[allow(missing_docs, reason = "the consensus specs document these fields")]
pub struct SignedAggregateAndProof<P: Preset = Mainnet> {
    pub message: AggregateAndProof<P>,
    pub signature: SignatureBytes,
}
