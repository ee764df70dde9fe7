//! The spec's BLS functions (`bls.Verify`, `bls.FastAggregateVerify`, `bls.AggregatePKs`), by
//! `blst` with the proof-of-possession ciphersuite every consensus signature uses
//! (`BLS_SIG_BLS12381G2_XMD:SHA-256_SSWU_RO_POP_`, phase0 "BLS signatures").
//!
//! A check is a [`SignatureSet`]; [`verify_batch`] verifies many at once, which is how a block's
//! signatures and the gossip of a slot are checked. Bytes that are not a valid point fail as
//! the spec's functions fail on them: a public key must pass `KeyValidate` (on the curve, in
//! the subgroup, not the identity) and a signature must decode to a point of the subgroup.

use alloy_primitives::B256;
use blst::min_pk::{AggregatePublicKey, PublicKey, Signature};
use blst::{blst_scalar, BLST_ERROR};
use lsv_consensus::{PublicKeyBytes, SignatureBytes};
use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

/// The ciphersuite's domain separation tag.
const DST: &[u8] = b"BLS_SIG_BLS12381G2_XMD:SHA-256_SSWU_RO_POP_";

/// The compressed point at infinity of G2 (`G2_POINT_AT_INFINITY`, altair "Constants").
pub const G2_POINT_AT_INFINITY: [u8; 96] = {
    let mut b = [0u8; 96];
    b[0] = 0xc0;
    b
};

/// A public key that passes `KeyValidate`. Decompressing and checking the subgroup costs ~50 µs
/// and the same validator keys come back every slot, so the outcome is remembered (for at most
/// `CACHE_LIMIT` keys, then the cache starts again).
fn public_key(bytes: &PublicKeyBytes) -> Option<PublicKey> {
    const CACHE_LIMIT: usize = 1 << 20;
    static CACHE: OnceLock<Mutex<HashMap<[u8; 48], Option<PublicKey>>>> = OnceLock::new();
    let cache = CACHE.get_or_init(Default::default);
    if let Some(known) = cache.lock().expect("not poisoned").get(&bytes.0) {
        return *known;
    }
    let key = PublicKey::key_validate(&bytes.0).ok();
    let mut cache = cache.lock().expect("not poisoned");
    if cache.len() >= CACHE_LIMIT {
        cache.clear();
    }
    cache.insert(bytes.0, key);
    key
}

/// A signature that decodes to a point of G2's subgroup.
fn signature(bytes: &SignatureBytes) -> Option<Signature> {
    Signature::sig_validate(&bytes.0, true).ok()
}

/// `bls.Verify(pubkey, message, signature)`.
pub fn verify(pubkey: &PublicKeyBytes, message: &B256, sig: &SignatureBytes) -> bool {
    SignatureSet::single(pubkey, *message, sig).is_some_and(|set| verify_batch(&[set]))
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

/// One check of a signature over a message by a (possibly aggregate) public key, held until it
/// is verified with others in [`verify_batch`].
pub struct SignatureSet {
    pubkey: PublicKey,
    message: B256,
    signature: Signature,
}

impl std::fmt::Debug for SignatureSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SignatureSet")
            .field("message", &self.message)
            .finish_non_exhaustive()
    }
}

impl SignatureSet {
    /// The check `bls.Verify(pubkey, message, sig)` stands for; `None` where that returns
    /// `false` on the bytes alone (a key failing `KeyValidate`, a signature off the subgroup).
    pub fn single(pubkey: &PublicKeyBytes, message: B256, sig: &SignatureBytes) -> Option<Self> {
        Some(Self {
            pubkey: public_key(pubkey)?,
            message,
            signature: signature(sig)?,
        })
    }

    /// The check `bls.FastAggregateVerify(pubkeys, message, sig)` stands for; `None` where that
    /// returns `false` on the bytes alone (and for no keys).
    pub fn fast_aggregate<'a>(
        pubkeys: impl IntoIterator<Item = &'a PublicKeyBytes>,
        message: B256,
        sig: &SignatureBytes,
    ) -> Option<Self> {
        Some(Self {
            pubkey: aggregate(pubkeys)?,
            message,
            signature: signature(sig)?,
        })
    }
}

/// Whether every set verifies, checked together: each set's pairing is weighted by a random
/// 64-bit scalar and the products share one final exponentiation, so a batch costs about half
/// of checking its sets one by one (blst spreads the Miller loops over its thread pool). A
/// batch with a bad set passes only if the scalars were guessed, with probability 2^-64: the
/// randomised batch check consensus clients use for a block's signatures. `true` for none.
pub fn verify_batch(sets: &[SignatureSet]) -> bool {
    crate::cost::time(crate::cost::Part::BlsVerify, || verify_sets(sets))
}

fn verify_sets(sets: &[SignatureSet]) -> bool {
    match sets {
        [] => true,
        [one] => {
            one.signature
                .verify(false, one.message.as_slice(), DST, &[], &one.pubkey, false)
                == BLST_ERROR::BLST_SUCCESS
        }
        _ => {
            let mut rands = Vec::with_capacity(sets.len());
            for _ in sets {
                let mut bytes = [0u8; 8];
                if getrandom::fill(&mut bytes).is_err() {
                    return false;
                }
                // A zero scalar would drop its set from the check.
                let r = u64::from_le_bytes(bytes).max(1);
                let mut scalar = blst_scalar::default();
                scalar.b[..8].copy_from_slice(&r.to_le_bytes());
                rands.push(scalar);
            }
            let messages: Vec<&[u8]> = sets.iter().map(|s| s.message.as_slice()).collect();
            let pubkeys: Vec<&PublicKey> = sets.iter().map(|s| &s.pubkey).collect();
            let signatures: Vec<&Signature> = sets.iter().map(|s| &s.signature).collect();
            Signature::verify_multiple_aggregate_signatures(
                &messages,
                DST,
                &pubkeys,
                false,
                &signatures,
                false,
                &rands,
                64,
            ) == BLST_ERROR::BLST_SUCCESS
        }
    }
}
