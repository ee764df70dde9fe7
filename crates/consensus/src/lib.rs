//! Consensus-layer types for lsv: typed primitives, the SSZ containers that validators sign,
//! the pinned network configuration, and the signing roots of every remote-signing request type.
//!
//! Everything here is pure: no I/O, no keys. Program P (`lsv-enclave`) uses it to compute, from
//! the typed data a validator client sends, the exact root it signs; a root sent by the caller is
//! only ever compared against this one.

#![cfg_attr(test, allow(unused_crate_dependencies))]

pub mod containers;
pub mod network;
pub mod preset;
pub mod primitives;
pub mod progressive;
pub mod request;

pub use network::{ForkName, Network, NetworkError};
pub use preset::{Mainnet, Minimal, Preset, PresetName};
pub use primitives::{Epoch, Gwei, PublicKeyBytes, SignatureBytes, Slot, Version};
pub use request::{
    AnyAggregateAndProof, AnyContributionAndProof, ForkInfo, RequestError, SignRequest,
    SignableMessage, SlashingSubject,
};

pub use alloy_primitives::{Address, B256};

/// The BLS signature domain separation tag of the consensus layer: the IETF proof-of-possession
/// ciphersuite over G2 (phase0 beacon-chain.md "BLS signatures", `BLS_SIG_BLS12381G2_XMD:SHA-
/// 256_SSWU_RO_POP_`), used with `blst::min_pk`.
pub const BLS_DST: &[u8] = b"BLS_SIG_BLS12381G2_XMD:SHA-256_SSWU_RO_POP_";
