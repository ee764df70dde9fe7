//! SSZ containers that validators sign or that appear in what they sign, as defined in
//! consensus-specs (`specs/<fork>/beacon-chain.md`, `specs/<fork>/validator.md`) and the
//! builder specs. Field order and types are the specs'; SSZ and `hash_tree_root` come from
//! `ethereum_ssz` and `tree_hash`.
//!
//! Phase0 containers are re-exported here; a container a later fork changed lives in that
//! fork's module (`altair::BeaconBlock`, `electra::Attestation`).

pub mod altair;
pub mod builder;
pub mod electra;
pub mod gloas;
pub mod phase0;

pub use builder::ValidatorRegistration;
pub use phase0::*;
