//! Builder-specs containers (`ethereum/builder-specs`, `specs/bellatrix/builder.md`).

use crate::primitives::PublicKeyBytes;
use alloy_primitives::Address;
use serde::{Deserialize, Serialize};
use ssz_derive::{Decode, Encode};
use tree_hash_derive::TreeHash;

/// `ValidatorRegistrationV1`: a validator's fee recipient and gas limit for MEV-boost.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Encode, Decode, TreeHash)]
#[allow(missing_docs, reason = "the builder specs document these fields")]
pub struct ValidatorRegistration {
    pub fee_recipient: Address,
    #[serde(with = "crate::primitives::quoted_u64")]
    pub gas_limit: u64,
    #[serde(with = "crate::primitives::quoted_u64")]
    pub timestamp: u64,
    pub pubkey: PublicKeyBytes,
}
