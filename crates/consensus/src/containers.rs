//! SSZ containers that validators sign, as defined in consensus-specs
//! (`specs/<fork>/beacon-chain.md`, `validator.md`) and the builder specs.
//! Field order and types are the specs'; `hash_tree_root` comes from `tree_hash`.

use crate::primitives::{Epoch, Gwei, PublicKeyBytes, Slot, Version};
use alloy_primitives::{Address, B256};
use serde::{Deserialize, Serialize};
use ssz_derive::{Decode, Encode};
use tree_hash_derive::TreeHash;

/// `Checkpoint` (phase0).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Encode, Decode, TreeHash)]
pub struct Checkpoint {
    pub epoch: Epoch,
    pub root: B256,
}

/// `AttestationData` (phase0; unchanged through Fulu, `index` is 0 from Electra on).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Encode, Decode, TreeHash)]
pub struct AttestationData {
    pub slot: Slot,
    #[serde(with = "crate::primitives::quoted_u64")]
    pub index: u64,
    pub beacon_block_root: B256,
    pub source: Checkpoint,
    pub target: Checkpoint,
}

/// `BeaconBlockHeader` (phase0).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Encode, Decode, TreeHash)]
pub struct BeaconBlockHeader {
    pub slot: Slot,
    #[serde(with = "crate::primitives::quoted_u64")]
    pub proposer_index: u64,
    pub parent_root: B256,
    pub state_root: B256,
    pub body_root: B256,
}

/// `DepositMessage` (phase0): what a deposit signature covers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Encode, Decode, TreeHash)]
pub struct DepositMessage {
    pub pubkey: PublicKeyBytes,
    pub withdrawal_credentials: B256,
    pub amount: Gwei,
}

/// `ValidatorRegistrationV1` (builder-specs): a validator's fee recipient and gas limit for MEV-boost.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Encode, Decode, TreeHash)]
pub struct ValidatorRegistration {
    pub fee_recipient: Address,
    #[serde(with = "crate::primitives::quoted_u64")]
    pub gas_limit: u64,
    #[serde(with = "crate::primitives::quoted_u64")]
    pub timestamp: u64,
    pub pubkey: PublicKeyBytes,
}

/// `ForkData` (phase0): hashed into every domain.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Encode, Decode, TreeHash)]
pub struct ForkData {
    pub current_version: Version,
    pub genesis_validators_root: B256,
}

/// `SigningData` (phase0): `signing_root = hash_tree_root(SigningData(object_root, domain))`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Encode, Decode, TreeHash)]
pub struct SigningData {
    pub object_root: B256,
    pub domain: B256,
}

/// `Fork` (phase0).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Encode, Decode, TreeHash)]
pub struct Fork {
    pub previous_version: Version,
    pub current_version: Version,
    pub epoch: Epoch,
}
