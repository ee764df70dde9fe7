//! Consensus-layer types for lsv: typed primitives, the SSZ containers that validators sign,
//! the pinned network configuration, and the signing roots of every remote-signing request type.
//!
//! Everything here is pure: no I/O, no keys. Program P (`lsv-enclave`) uses it to compute, from
//! the typed data a validator client sends, the exact root it signs; a root sent by the caller is
//! only ever compared against this one.

pub mod containers;
pub mod network;
pub mod primitives;
pub mod request;

pub use network::{ForkName, Network, NetworkError};
pub use primitives::{Epoch, Gwei, PublicKeyBytes, SignatureBytes, Slot, Version};
pub use request::{RequestError, SignRequest, SignableMessage, SlashingSubject};

pub use alloy_primitives::{Address, B256};
