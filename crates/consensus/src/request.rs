//! The remote-signing API request bodies (Web3Signer eth2 API 2.0, `signing/schemas.yaml`) as
//! typed messages, and P's own signing root for each.
//!
//! INTERFACE NOTE (for the implementer): `lsv-enclave` and `lsv-signer` depend on the items
//! marked `STABLE` below; keep their names and signatures. Everything else is free to shape.

use crate::containers::{
    AttestationData, BeaconBlockHeader, DepositMessage, Fork, ValidatorRegistration,
};
use crate::network::{ForkName, Network};
use crate::primitives::{Epoch, Slot, Version};
use alloy_primitives::B256;

/// STABLE. `fork_info` as the API sends it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ForkInfo {
    pub fork: Fork,
    pub genesis_validators_root: B256,
}

/// STABLE. A parsed signing request.
#[derive(Clone, Debug, PartialEq)]
pub struct SignRequest {
    /// The root the caller claims; only ever compared with P's own.
    pub signing_root: Option<B256>,
    pub fork_info: Option<ForkInfo>,
    pub message: SignableMessage,
}

/// STABLE (the variants named here; add the others). One variant per request `type`.
#[derive(Clone, Debug, PartialEq)]
pub enum SignableMessage {
    /// BLOCK_V2 (and legacy BLOCK): the header P signs, with the fork the caller named.
    Block {
        version: ForkName,
        header: BeaconBlockHeader,
    },
    Attestation(AttestationData),
    RandaoReveal {
        epoch: Epoch,
    },
    /// DEPOSIT: signed with the genesis fork version the request names (P's policy checks it).
    Deposit {
        message: DepositMessage,
        genesis_fork_version: Version,
    },
    ValidatorRegistration(ValidatorRegistration),
    // TODO(implementer): AggregationSlot, AggregateAndProof (phase0 and electra shapes),
    // VoluntaryExit, SyncCommitteeMessage, SyncCommitteeSelectionProof,
    // SyncCommitteeContributionAndProof.
}

/// STABLE. What slashing protection must check before this message may be signed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SlashingSubject {
    /// Not slashable (RANDAO, selection proofs, exits, sync committee, registrations, deposits).
    None,
    Block {
        slot: Slot,
    },
    Attestation {
        source: Epoch,
        target: Epoch,
    },
}

/// STABLE. Why a request cannot be signed as sent: always the caller's fault (HTTP 400).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RequestError {
    #[error("malformed request: {0}")]
    Malformed(String),
    #[error("unsupported request type {0:?}")]
    UnsupportedType(String),
    #[error("fork_info is required for {0}")]
    MissingForkInfo(&'static str),
    #[error("fork_info does not match the pinned network: {0}")]
    WrongForkInfo(String),
    #[error("signingRoot {sent} does not match the computed signing root {computed}")]
    SigningRootMismatch { sent: B256, computed: B256 },
}

impl SignRequest {
    /// STABLE. Parses a request body. Unknown `type` -> `UnsupportedType`; anything else wrong ->
    /// `Malformed` with a message naming the field.
    pub fn from_json(_body: &[u8]) -> Result<Self, RequestError> {
        todo!()
    }

    /// STABLE. P's signing root, from the typed data and the pinned network. Checks `fork_info`
    /// (when the type uses it) against the network, and the caller's `signingRoot` (if any)
    /// against the result.
    pub fn signing_root(&self, _network: &Network) -> Result<B256, RequestError> {
        todo!()
    }
}

impl SignableMessage {
    /// STABLE. The API's name for this type (`"BLOCK_V2"`), for logs and metrics.
    pub fn type_name(&self) -> &'static str {
        todo!()
    }

    /// STABLE.
    pub fn slashing_subject(&self) -> SlashingSubject {
        todo!()
    }

    /// STABLE. The latest slot this message speaks for (an epoch counts as its last slot... or
    /// its start slot), for the far-future clock check. `None` for types without one (deposits,
    /// registrations).
    pub fn claimed_slot(&self, _slots_per_epoch: u64) -> Option<Slot> {
        todo!()
    }
}
