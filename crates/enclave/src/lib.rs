//! Program P, the slashing-protected signer (DESIGN.md, "P").
//!
//! Everything that decides whether to sign lives here, and is meant to run whole inside an
//! enclave: the keyring (keys generated inside, sealed at rest, never exported), the policy
//! (deposit credentials, pinned network, clock bound), and the slashing-protection writer that
//! makes each record durable before its signature leaves. The host that runs P is untrusted: it
//! picks every request and the clock. The HTTP API (`lsv-signer`) is a thin edge over [`Enclave`].

#![cfg_attr(test, allow(unused_crate_dependencies))]

pub mod anchor;
pub mod attestation;
pub mod deposit;
pub mod enclave;
mod fsutil;
pub mod keyring;
pub mod keystore;
pub mod policy;
pub mod protection;
pub mod sealer;

pub use anchor::{AnchorChoice, AnchorError, AnchorStatus};
pub use attestation::{AttestationConfig, AttestationInfo};
pub use enclave::{
    check_key_request, ClusterPeers, DataDir, DeviceAnnouncement, Enclave, GeneratedKey,
    KeyAttestation, KeyGenerationError, KeyRequestError, SharedKey, SignError, Signed, StartError,
    CEREMONY_TIMEOUT, MAX_KEYS_PER_CALL, MAX_PENDING_CEREMONIES, NO_EVIDENCE_RECORDED,
};
pub use keyring::KeyringError;
pub use policy::{Clock, Policy, PolicyViolation, SystemClock};
pub use protection::ProtectionError;
pub use sealer::{DevSealer, EncryptedMountSealer, Sealer};
