//! Altair containers, `specs/altair/beacon-chain.md` "Containers" and
//! `specs/altair/validator.md` "Containers". The sync-committee bit vectors depend on the preset.

use super::phase0::{
    Attestation, AttesterSlashing, Deposit, Eth1Data, ProposerSlashing, SignedVoluntaryExit,
};
use crate::containers::BeaconBlockHeader;
use crate::preset::{
    Mainnet, MaxAttestations, MaxAttesterSlashings, MaxDeposits, MaxProposerSlashings,
    MaxVoluntaryExits, Preset,
};
use crate::primitives::{SignatureBytes, Slot};
use alloy_primitives::B256;
use serde::{Deserialize, Serialize};
use ssz_derive::{Decode, Encode};
use ssz_types::{BitVector, VariableList};
use tree_hash_derive::TreeHash;

/// `SyncAggregate`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Encode, Decode, TreeHash)]
#[serde(bound = "")]
#[allow(missing_docs, reason = "the consensus specs document these fields")]
pub struct SyncAggregate<P: Preset = Mainnet> {
    pub sync_committee_bits: BitVector<P::SyncCommitteeSize>,
    pub sync_committee_signature: SignatureBytes,
}

/// `BeaconBlockBody` (altair): the phase0 body plus `sync_aggregate`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Encode, Decode, TreeHash)]
#[serde(bound = "")]
#[allow(missing_docs, reason = "the consensus specs document these fields")]
pub struct BeaconBlockBody<P: Preset = Mainnet> {
    pub randao_reveal: SignatureBytes,
    pub eth1_data: Eth1Data,
    #[serde(with = "crate::primitives::hex_root")]
    pub graffiti: B256,
    pub proposer_slashings: VariableList<ProposerSlashing, MaxProposerSlashings>,
    pub attester_slashings: VariableList<AttesterSlashing, MaxAttesterSlashings>,
    pub attestations: VariableList<Attestation, MaxAttestations>,
    pub deposits: VariableList<Deposit, MaxDeposits>,
    pub voluntary_exits: VariableList<SignedVoluntaryExit, MaxVoluntaryExits>,
    pub sync_aggregate: SyncAggregate<P>,
}

/// `BeaconBlock` (altair).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Encode, Decode, TreeHash)]
#[serde(bound = "")]
#[allow(missing_docs, reason = "the consensus specs document these fields")]
pub struct BeaconBlock<P: Preset = Mainnet> {
    pub slot: Slot,
    #[serde(with = "crate::primitives::quoted_u64")]
    pub proposer_index: u64,
    #[serde(with = "crate::primitives::hex_root")]
    pub parent_root: B256,
    #[serde(with = "crate::primitives::hex_root")]
    pub state_root: B256,
    pub body: BeaconBlockBody<P>,
}

impl<P: Preset> BeaconBlock<P> {
    /// The header whose root equals this block's root (`body_root = hash_tree_root(body)`).
    pub fn header(&self) -> BeaconBlockHeader {
        use tree_hash::TreeHash;
        BeaconBlockHeader {
            slot: self.slot,
            proposer_index: self.proposer_index,
            parent_root: self.parent_root,
            state_root: self.state_root,
            body_root: self.body.tree_hash_root(),
        }
    }
}

/// `SyncCommitteeMessage` (altair validator.md).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Encode, Decode, TreeHash)]
#[allow(missing_docs, reason = "the consensus specs document these fields")]
pub struct SyncCommitteeMessage {
    pub slot: Slot,
    #[serde(with = "crate::primitives::hex_root")]
    pub beacon_block_root: B256,
    #[serde(with = "crate::primitives::quoted_u64")]
    pub validator_index: u64,
    pub signature: SignatureBytes,
}

/// `SyncCommitteeContribution` (altair validator.md).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Encode, Decode, TreeHash)]
#[serde(bound = "")]
#[allow(missing_docs, reason = "the consensus specs document these fields")]
pub struct SyncCommitteeContribution<P: Preset = Mainnet> {
    pub slot: Slot,
    #[serde(with = "crate::primitives::hex_root")]
    pub beacon_block_root: B256,
    #[serde(with = "crate::primitives::quoted_u64")]
    pub subcommittee_index: u64,
    pub aggregation_bits: BitVector<P::SyncSubcommitteeSize>,
    pub signature: SignatureBytes,
}

/// `ContributionAndProof` (altair validator.md).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Encode, Decode, TreeHash)]
#[serde(bound = "")]
#[allow(missing_docs, reason = "the consensus specs document these fields")]
pub struct ContributionAndProof<P: Preset = Mainnet> {
    #[serde(with = "crate::primitives::quoted_u64")]
    pub aggregator_index: u64,
    pub contribution: SyncCommitteeContribution<P>,
    pub selection_proof: SignatureBytes,
}

/// `SignedContributionAndProof` (altair validator.md).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Encode, Decode, TreeHash)]
#[serde(bound = "")]
#[allow(missing_docs, reason = "the consensus specs document these fields")]
pub struct SignedContributionAndProof<P: Preset = Mainnet> {
    pub message: ContributionAndProof<P>,
    pub signature: SignatureBytes,
}

/// `SyncAggregatorSelectionData` (altair validator.md): what a sync-committee selection proof
/// signs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Encode, Decode, TreeHash)]
#[allow(missing_docs, reason = "the consensus specs document these fields")]
pub struct SyncAggregatorSelectionData {
    pub slot: Slot,
    #[serde(with = "crate::primitives::quoted_u64")]
    pub subcommittee_index: u64,
}
