//! Phase0 containers, `specs/phase0/beacon-chain.md` "Containers" and `specs/phase0/validator.md`
//! (`AggregateAndProof`, `SignedAggregateAndProof`).
//!
//! Serde follows the beacon-API JSON: integers as decimal strings (plain numbers accepted),
//! bytes as `0x` hex, bit fields as `0x` hex of their SSZ bytes. The same conventions read the
//! consensus-spec-tests YAML. Multi-word fields also accept their camelCase spelling, which the
//! Web3Signer examples use for the legacy `BLOCK` request and for `fork_info.fork`.

use crate::preset::{
    DepositProofLength, MaxAttestations, MaxAttesterSlashings, MaxDeposits, MaxProposerSlashings,
    MaxValidatorsPerCommittee, MaxVoluntaryExits,
};
use crate::primitives::{Epoch, Gwei, PublicKeyBytes, SignatureBytes, Slot, Version};
use alloy_primitives::B256;
use serde::{Deserialize, Serialize};
use ssz_derive::{Decode, Encode};
use ssz_types::{BitList, FixedVector, VariableList};
use tree_hash_derive::TreeHash;

/// `Fork`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Encode, Decode, TreeHash)]
#[allow(missing_docs, reason = "the consensus specs document these fields")]
pub struct Fork {
    #[serde(alias = "previousVersion")]
    pub previous_version: Version,
    #[serde(alias = "currentVersion")]
    pub current_version: Version,
    pub epoch: Epoch,
}

/// `ForkData`: hashed into every domain (`compute_fork_data_root`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Encode, Decode, TreeHash)]
#[allow(missing_docs, reason = "the consensus specs document these fields")]
pub struct ForkData {
    pub current_version: Version,
    #[serde(with = "crate::primitives::hex_root")]
    pub genesis_validators_root: B256,
}

/// `SigningData`: `signing_root = hash_tree_root(SigningData(object_root, domain))`
/// (`compute_signing_root`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Encode, Decode, TreeHash)]
#[allow(missing_docs, reason = "the consensus specs document these fields")]
pub struct SigningData {
    #[serde(with = "crate::primitives::hex_root")]
    pub object_root: B256,
    #[serde(with = "crate::primitives::hex_root")]
    pub domain: B256,
}

/// `Checkpoint`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Encode, Decode, TreeHash)]
#[allow(missing_docs, reason = "the consensus specs document these fields")]
pub struct Checkpoint {
    pub epoch: Epoch,
    #[serde(with = "crate::primitives::hex_root")]
    pub root: B256,
}

/// `Validator`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Encode, Decode, TreeHash)]
#[allow(missing_docs, reason = "the consensus specs document these fields")]
pub struct Validator {
    pub pubkey: PublicKeyBytes,
    #[serde(with = "crate::primitives::hex_root")]
    pub withdrawal_credentials: B256,
    pub effective_balance: Gwei,
    pub slashed: bool,
    pub activation_eligibility_epoch: Epoch,
    pub activation_epoch: Epoch,
    pub exit_epoch: Epoch,
    pub withdrawable_epoch: Epoch,
}

/// `AttestationData` (unchanged through Fulu; `index` is 0 from Electra on, EIP-7549).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Encode, Decode, TreeHash)]
#[allow(missing_docs, reason = "the consensus specs document these fields")]
pub struct AttestationData {
    pub slot: Slot,
    #[serde(with = "crate::primitives::quoted_u64")]
    pub index: u64,
    #[serde(alias = "beaconBlockRoot", with = "crate::primitives::hex_root")]
    pub beacon_block_root: B256,
    pub source: Checkpoint,
    pub target: Checkpoint,
}

/// `IndexedAttestation`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Encode, Decode, TreeHash)]
#[allow(missing_docs, reason = "the consensus specs document these fields")]
pub struct IndexedAttestation {
    #[serde(
        alias = "attestingIndices",
        with = "ssz_types::serde_utils::quoted_u64_var_list"
    )]
    pub attesting_indices: VariableList<u64, MaxValidatorsPerCommittee>,
    pub data: AttestationData,
    pub signature: SignatureBytes,
}

/// `Eth1Data`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Encode, Decode, TreeHash)]
#[allow(missing_docs, reason = "the consensus specs document these fields")]
pub struct Eth1Data {
    #[serde(alias = "depositRoot", with = "crate::primitives::hex_root")]
    pub deposit_root: B256,
    #[serde(alias = "depositCount", with = "crate::primitives::quoted_u64")]
    pub deposit_count: u64,
    #[serde(alias = "blockHash", with = "crate::primitives::hex_root")]
    pub block_hash: B256,
}

/// `DepositMessage`: what a deposit signature covers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Encode, Decode, TreeHash)]
#[allow(missing_docs, reason = "the consensus specs document these fields")]
pub struct DepositMessage {
    pub pubkey: PublicKeyBytes,
    #[serde(alias = "withdrawalCredentials", with = "crate::primitives::hex_root")]
    pub withdrawal_credentials: B256,
    pub amount: Gwei,
}

/// `DepositData`: a `DepositMessage` with its signature, as the deposit contract logs it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Encode, Decode, TreeHash)]
#[allow(missing_docs, reason = "the consensus specs document these fields")]
pub struct DepositData {
    pub pubkey: PublicKeyBytes,
    #[serde(alias = "withdrawalCredentials", with = "crate::primitives::hex_root")]
    pub withdrawal_credentials: B256,
    pub amount: Gwei,
    pub signature: SignatureBytes,
}

impl DepositData {
    /// The `DepositMessage` the signature covers.
    pub fn message(&self) -> DepositMessage {
        DepositMessage {
            pubkey: self.pubkey,
            withdrawal_credentials: self.withdrawal_credentials,
            amount: self.amount,
        }
    }
}

/// `BeaconBlockHeader`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Encode, Decode, TreeHash)]
#[allow(missing_docs, reason = "the consensus specs document these fields")]
pub struct BeaconBlockHeader {
    pub slot: Slot,
    #[serde(alias = "proposerIndex", with = "crate::primitives::quoted_u64")]
    pub proposer_index: u64,
    #[serde(alias = "parentRoot", with = "crate::primitives::hex_root")]
    pub parent_root: B256,
    #[serde(alias = "stateRoot", with = "crate::primitives::hex_root")]
    pub state_root: B256,
    #[serde(alias = "bodyRoot", with = "crate::primitives::hex_root")]
    pub body_root: B256,
}

/// `SignedBeaconBlockHeader`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Encode, Decode, TreeHash)]
#[allow(missing_docs, reason = "the consensus specs document these fields")]
pub struct SignedBeaconBlockHeader {
    pub message: BeaconBlockHeader,
    pub signature: SignatureBytes,
}

/// `ProposerSlashing`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Encode, Decode, TreeHash)]
#[allow(missing_docs, reason = "the consensus specs document these fields")]
pub struct ProposerSlashing {
    #[serde(alias = "signedHeader1")]
    pub signed_header_1: SignedBeaconBlockHeader,
    #[serde(alias = "signedHeader2")]
    pub signed_header_2: SignedBeaconBlockHeader,
}

/// `AttesterSlashing` (phase0 shape; Electra widens the indexed attestations).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Encode, Decode, TreeHash)]
#[allow(missing_docs, reason = "the consensus specs document these fields")]
pub struct AttesterSlashing {
    pub attestation_1: IndexedAttestation,
    pub attestation_2: IndexedAttestation,
}

/// `Attestation` (phase0 shape, Phase0 through Deneb).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Encode, Decode, TreeHash)]
#[allow(missing_docs, reason = "the consensus specs document these fields")]
pub struct Attestation {
    #[serde(alias = "aggregationBits")]
    pub aggregation_bits: BitList<MaxValidatorsPerCommittee>,
    pub data: AttestationData,
    pub signature: SignatureBytes,
}

/// `Deposit`: deposit data with its Merkle proof into the deposit tree.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Encode, Decode, TreeHash)]
#[allow(missing_docs, reason = "the consensus specs document these fields")]
pub struct Deposit {
    pub proof: FixedVector<B256, DepositProofLength>,
    pub data: DepositData,
}

/// `VoluntaryExit`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Encode, Decode, TreeHash)]
#[allow(missing_docs, reason = "the consensus specs document these fields")]
pub struct VoluntaryExit {
    /// Earliest epoch at which the exit may be processed.
    pub epoch: Epoch,
    #[serde(alias = "validatorIndex", with = "crate::primitives::quoted_u64")]
    pub validator_index: u64,
}

/// `SignedVoluntaryExit`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Encode, Decode, TreeHash)]
#[allow(missing_docs, reason = "the consensus specs document these fields")]
pub struct SignedVoluntaryExit {
    pub message: VoluntaryExit,
    pub signature: SignatureBytes,
}

/// `BeaconBlockBody` (phase0).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Encode, Decode, TreeHash)]
#[allow(missing_docs, reason = "the consensus specs document these fields")]
pub struct BeaconBlockBody {
    #[serde(alias = "randaoReveal")]
    pub randao_reveal: SignatureBytes,
    #[serde(alias = "eth1Data")]
    pub eth1_data: Eth1Data,
    #[serde(with = "crate::primitives::hex_root")]
    pub graffiti: B256,
    #[serde(alias = "proposerSlashings")]
    pub proposer_slashings: VariableList<ProposerSlashing, MaxProposerSlashings>,
    #[serde(alias = "attesterSlashings")]
    pub attester_slashings: VariableList<AttesterSlashing, MaxAttesterSlashings>,
    pub attestations: VariableList<Attestation, MaxAttestations>,
    pub deposits: VariableList<Deposit, MaxDeposits>,
    #[serde(alias = "voluntaryExits")]
    pub voluntary_exits: VariableList<SignedVoluntaryExit, MaxVoluntaryExits>,
}

/// `BeaconBlock` (phase0).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Encode, Decode, TreeHash)]
#[allow(missing_docs, reason = "the consensus specs document these fields")]
pub struct BeaconBlock {
    pub slot: Slot,
    #[serde(alias = "proposerIndex", with = "crate::primitives::quoted_u64")]
    pub proposer_index: u64,
    #[serde(alias = "parentRoot", with = "crate::primitives::hex_root")]
    pub parent_root: B256,
    #[serde(alias = "stateRoot", with = "crate::primitives::hex_root")]
    pub state_root: B256,
    pub body: BeaconBlockBody,
}

impl BeaconBlock {
    /// The header whose root equals this block's root (`body_root = hash_tree_root(body)`), as
    /// in `process_block_header`.
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

/// `AggregateAndProof` (phase0 validator.md; the shape used through Deneb).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Encode, Decode, TreeHash)]
#[allow(missing_docs, reason = "the consensus specs document these fields")]
pub struct AggregateAndProof {
    #[serde(alias = "aggregatorIndex", with = "crate::primitives::quoted_u64")]
    pub aggregator_index: u64,
    pub aggregate: Attestation,
    #[serde(alias = "selectionProof")]
    pub selection_proof: SignatureBytes,
}

/// `SignedAggregateAndProof` (phase0 validator.md).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Encode, Decode, TreeHash)]
#[allow(missing_docs, reason = "the consensus specs document these fields")]
pub struct SignedAggregateAndProof {
    pub message: AggregateAndProof,
    pub signature: SignatureBytes,
}
