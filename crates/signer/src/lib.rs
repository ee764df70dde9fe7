//! The Ethereum remote-signing HTTP API (the one Web3Signer defined, eth2 API 2.0) in front of
//! program P, so Lighthouse, Teku, Lodestar, Nimbus and Prysm can use P unmodified through
//! their web3signer / remote-signer flags.
//!
//! | route | answer |
//! |---|---|
//! | `POST /api/v1/eth2/sign/{pubkey}` | 200 signature (JSON or text/plain per `Accept`), 400 malformed or another network, 404 unknown key, 412 refused by slashing protection or policy, 413 body over [`MAX_BODY_BYTES`], 500 P's own failure (its slashing-protection database failed or is closed), saying what failed |
//! | `GET /api/v1/eth2/publicKeys` | the keys P holds |
//! | `GET /upcheck`, `GET /healthcheck` | liveness, Web3Signer-shaped health |
//! | `GET /metrics` | Prometheus text (also alone on its own port: [`serve_metrics`]) |
//! | `POST /eth/v1/lsv/keys` | `{"owner", "count"}`: generate keys inside P, with deposit data and evidence; 400 for a count outside 1–64 or an owner C can never pay (the zero address, C itself) |
//! | `GET /eth/v1/lsv/keys/{pubkey}/attestation` | the evidence recorded with that key at its generation (`null` with a `message` for keys made before P recorded it); 404 unknown key |
//! | `GET /eth/v1/lsv/attestation` | what a verifier's deployer needs from this P |
//! | `POST /eth/v1/lsv/cluster/{announce,deal,finish}` | the steps of a multi-device key generation ([`cluster::Coordinator::generate_key`] drives them) |
//! | `POST /eth/v1/lsv/device/registration` | `{"registry": address}`: the evidence that registers this device's key at a `DeviceRegistry` ([`lsv_attestation::DeviceRegistration`], with the host's DCAP collateral for a quote) |
//! | `GET /eth/v1/lsv/witness` | a witness's address and record count; 404 unless started as a witness (`lsv signer --witness`) |
//! | `POST /eth/v1/lsv/witness/{record}` | `{"nonce", "op"}`: a record of another P's freshness anchor read or advanced, the answer signed ([`lsv_enclave::anchor::witness`]); 400 an advance that does not move forward, 507 a witness that keeps its maximum of records |
//!
//! A P started for a cluster ([`AppState::for_cluster`]) answers only requests its coordinator
//! signed ([`auth`]), health and metrics excepted. [`cluster`] is the coordinator: the same
//! remote-signing routes in front of `n` such devices, signing with any `m`.
//!
//! Every error, those axum makes before a handler runs included (404, 405, 413), is JSON:
//! `{"code", "message"}`.
//!
//! The owner of `POST /eth/v1/lsv/keys` is the address that receives each validator's 31 sETH
//! and its position when it joins C; P binds it in the key's attestation, once, and it can never
//! be changed ([`lsv_enclave::Enclave::generate_keys`]).
//!
//! [`serve`] stops within [`SHUTDOWN_GRACE`] of its shutdown signal, whatever the connections
//! do.
//!
//! This crate only translates: every decision is [`lsv_enclave::Enclave`]'s (the coordinator
//! decides nothing either: it forwards, checks and combines).

#![cfg_attr(test, allow(unused_crate_dependencies))]

mod api;
pub mod auth;
pub mod cluster;
pub mod metrics;

pub use api::{
    metrics_router, router, runtime, serve, serve_metrics, AppState, MAX_BODY_BYTES, SHUTDOWN_GRACE,
};
