//! The spec's BLS functions (`bls.Verify`, `bls.FastAggregateVerify`, `bls.AggregatePKs`), by
//! `blst` with the proof-of-possession ciphersuite every consensus signature uses
//! (`BLS_SIG_BLS12381G2_XMD:SHA-256_SSWU_RO_POP_`, phase0 "BLS signatures").
//!
//! Each returns `false` (or `None`) for bytes that are not a valid point, as the spec's functions
//! do: a public key must pass `KeyValidate` (on the curve, in the subgroup, not the identity)
//! and a signature must decode to a point of the subgroup.

use alloy_primitives::B256;
use blst::min_pk::{AggregatePublicKey, PublicKey, Signature};
use blst::BLST_ERROR;
use lsv_consensus::{PublicKeyBytes, SignatureBytes};

/// The ciphersuite's domain separation tag.
const DST: &[u8] = b"BLS_SIG_BLS12381G2_XMD:SHA-256_SSWU_RO_POP_";

/// The compressed point at infinity of G2 (`G2_POINT_AT_INFINITY`, altair "Constants").
pub const G2_POINT_AT_INFINITY: [u8; 96] = {
    let mut b = [0u8; 96];
    b[0] = 0xc0;
    b
};

/// A public key that passes `KeyValidate`.
fn public_key(bytes: &PublicKeyBytes) -> Option<PublicKey> {
    PublicKey::key_validate(&bytes.0).ok()
}

/// A signature that decodes to a point of G2's subgroup.
fn signature(bytes: &SignatureBytes) -> Option<Signature> {
    Signature::sig_validate(&bytes.0, true).ok()
}

/// `bls.Verify(pubkey, message, signature)`.
pub fn verify(pubkey: &PublicKeyBytes, message: &B256, sig: &SignatureBytes) -> bool {
    let (Some(pk), Some(sig)) = (public_key(pubkey), signature(sig)) else {
        return false;
    };
    sig.verify(false, message.as_slice(), DST, &[], &pk, false) == BLST_ERROR::BLST_SUCCESS
}

/// `bls.FastAggregateVerify(pubkeys, message, signature)`: `false` for no keys.
pub fn fast_aggregate_verify<'a>(
    pubkeys: impl IntoIterator<Item = &'a PublicKeyBytes>,
    message: &B256,
    sig: &SignatureBytes,
) -> bool {
    let Some(aggregate) = aggregate(pubkeys) else {
        return false;
    };
    let Some(sig) = signature(sig) else {
        return false;
    };
    sig.verify(false, message.as_slice(), DST, &[], &aggregate, false) == BLST_ERROR::BLST_SUCCESS
}

/// `eth_fast_aggregate_verify` (altair): also `true` for no keys and the point at infinity.
pub fn eth_fast_aggregate_verify<'a>(
    pubkeys: impl IntoIterator<Item = &'a PublicKeyBytes>,
    message: &B256,
    sig: &SignatureBytes,
) -> bool {
    let mut pubkeys = pubkeys.into_iter().peekable();
    if pubkeys.peek().is_none() {
        return sig.0 == G2_POINT_AT_INFINITY;
    }
    fast_aggregate_verify(pubkeys, message, sig)
}

/// `bls.AggregatePKs(pubkeys)` (`eth_aggregate_pubkeys`, altair): `None` for no keys or a key
/// that fails `KeyValidate`.
pub fn aggregate_pubkeys<'a>(
    pubkeys: impl IntoIterator<Item = &'a PublicKeyBytes>,
) -> Option<PublicKeyBytes> {
    aggregate(pubkeys).map(|pk| PublicKeyBytes(pk.to_bytes()))
}

fn aggregate<'a>(pubkeys: impl IntoIterator<Item = &'a PublicKeyBytes>) -> Option<PublicKey> {
    let keys = pubkeys
        .into_iter()
        .map(public_key)
        .collect::<Option<Vec<_>>>()?;
    if keys.is_empty() {
        return None;
    }
    let refs: Vec<&PublicKey> = keys.iter().collect();
    AggregatePublicKey::aggregate(&refs, false)
        .ok()
        .map(|a| a.to_public_key())
}
