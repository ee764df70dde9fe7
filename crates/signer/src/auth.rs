//! Signed requests between a cluster's coordinator and its devices (DESIGN.md, "Many devices").
//!
//! Devices may sit on other machines, so a device started with `--cluster-coordinator ADDRESS`
//! answers only requests that coordinator signed. The coordinator holds a secp256k1 key and
//! sends, with each request,
//!
//! ```text
//! X-Lsv-Timestamp: <unix seconds>
//! X-Lsv-Signature: 0x<r ‖ s ‖ v>   over sha256("lsv/cluster-request/v1" ‖ method ‖ 0x00 ‖
//!                                   path ‖ 0x00 ‖ timestamp as 8 bytes big-endian ‖ sha256(body))
//! ```
//!
//! (65 bytes, low `s`, `v` ∈ {27, 28}: the same encoding as dev evidence). A device refuses a
//! request whose timestamp is more than [`MAX_SKEW`] from its clock. Within that window a
//! captured request can be replayed, which gains nothing: re-signing identical data returns the
//! same partial signature, and the key generation refuses a ceremony id it has seen. Nothing
//! needs confidentiality on the wire: signing requests are public data, the partial signatures
//! are verified by the coordinator against each share key, and shares travel sealed to the
//! receiving device's attested key. Health and metrics routes stay open, for monitoring.

use alloy_primitives::{Address, B256};
use axum::http::HeaderMap;
use lsv_attestation::{verify_dev_signature, DevAttester};
use sha2::{Digest, Sha256};
use std::time::Duration;

/// The timestamp header.
pub const TIMESTAMP_HEADER: &str = "x-lsv-timestamp";
/// The signature header.
pub const SIGNATURE_HEADER: &str = "x-lsv-signature";
/// How far a request's timestamp may be from the device's clock.
pub const MAX_SKEW: Duration = Duration::from_secs(60);

/// What the coordinator signs for one request.
pub fn request_digest(method: &str, path: &str, timestamp: u64, body: &[u8]) -> B256 {
    let mut h = Sha256::new();
    h.update(b"lsv/cluster-request/v1");
    h.update(method.as_bytes());
    h.update([0]);
    h.update(path.as_bytes());
    h.update([0]);
    h.update(timestamp.to_be_bytes());
    h.update(Sha256::digest(body));
    B256::from_slice(&h.finalize())
}

/// The two headers for a request signed by `key` at `timestamp`.
pub fn sign_request(
    key: &DevAttester,
    method: &str,
    path: &str,
    timestamp: u64,
    body: &[u8],
) -> Result<[(&'static str, String); 2], String> {
    let signature = key
        .sign_binding(request_digest(method, path, timestamp, body))
        .map_err(|e| e.to_string())?;
    Ok([
        (TIMESTAMP_HEADER, timestamp.to_string()),
        (
            SIGNATURE_HEADER,
            format!("0x{}", alloy_primitives::hex::encode(signature)),
        ),
    ])
}

/// Why a device refused a request's signature.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// No signature or timestamp header.
    #[error("this device answers only requests signed by its cluster's coordinator: missing {0}")]
    Missing(&'static str),
    /// The timestamp is not a number, or too far from the device's clock.
    #[error("request timestamp {found} is more than {} s from this device's clock ({now})", MAX_SKEW.as_secs())]
    Stale {
        /// The timestamp sent.
        found: String,
        /// The device's clock.
        now: u64,
    },
    /// The signature is not by an allowed coordinator.
    #[error("the request is not signed by this device's coordinator")]
    Unsigned,
}

/// Checks a request's signature against the allowed coordinators, at `now`.
pub fn verify_request(
    headers: &HeaderMap,
    method: &str,
    path: &str,
    body: &[u8],
    allowed: &[Address],
    now: u64,
) -> Result<Address, AuthError> {
    let get = |name: &'static str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .ok_or(AuthError::Missing(name))
    };
    let stamp = get(TIMESTAMP_HEADER)?;
    let signature = get(SIGNATURE_HEADER)?;
    let timestamp: u64 = stamp
        .parse()
        .ok()
        .filter(|t: &u64| t.abs_diff(now) <= MAX_SKEW.as_secs())
        .ok_or_else(|| AuthError::Stale {
            found: stamp.to_owned(),
            now,
        })?;
    let signature = alloy_primitives::hex::decode(signature).map_err(|_| AuthError::Unsigned)?;
    let digest = request_digest(method, path, timestamp, body);
    allowed
        .iter()
        .copied()
        .find(|a| verify_dev_signature(digest, &signature, *a).is_ok())
        .ok_or(AuthError::Unsigned)
}
