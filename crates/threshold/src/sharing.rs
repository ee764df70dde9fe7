//! Shamir sharing "in the exponent" over BLS12-381.
//!
//! Device `i` (1-based) holds `f(i)` of a polynomial `f` of degree `m − 1` whose constant term
//! is the validator's secret key; its share key is `f(i)·G1`, its partial signature over a
//! message `f(i)·H(msg)`. Any `m` partial signatures `σ_i` give the group signature
//! `Σ λ_i(0)·σ_i = f(0)·H(msg)`, with the Lagrange coefficients
//! `λ_i(x) = Π_{k≠i} (x − k) / (i − k)` over the `m` indices used.
//!
//! Scalars are `bls12_381_plus`'s field elements (mod r); points stay blst's, and every
//! interpolation of points is one blst multi-scalar multiplication.

use crate::{NotAThreshold, Tolerance};
use bls12_381_plus::Scalar;
use blst::min_pk::{PublicKey, Signature};
use blst::MultiPoint;
use lsv_consensus::PublicKeyBytes;

/// The compressed point at infinity of G1 (zcash serialization: compression and infinity flags).
const G1_INFINITY: [u8; 48] = {
    let mut b = [0u8; 48];
    b[0] = 0xc0;
    b
};

/// Bits of a scalar mod r (r < 2^255), for blst's multi-scalar multiplication.
const SCALAR_BITS: usize = 255;

/// Why a set of shares cannot be interpolated.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SharingError {
    /// No share given.
    #[error("no shares to interpolate")]
    Empty,
    /// Index 0 is the secret's own position, never a device's.
    #[error("share index 0 is not a device's")]
    ZeroIndex,
    /// Two shares at one index.
    #[error("share index {0} appears twice")]
    DuplicateIndex(u8),
}

/// `λ_i(x)` for each index `i` of `indices` (distinct, non-zero), in their order: the weights
/// that take the values of a polynomial of degree below `indices.len()` at those indices to its
/// value at `x`.
pub fn lagrange_coefficients(x: u64, indices: &[u8]) -> Result<Vec<Scalar>, SharingError> {
    if indices.is_empty() {
        return Err(SharingError::Empty);
    }
    for (p, &i) in indices.iter().enumerate() {
        if i == 0 {
            return Err(SharingError::ZeroIndex);
        }
        if indices[..p].contains(&i) {
            return Err(SharingError::DuplicateIndex(i));
        }
    }
    let x = Scalar::from(x);
    Ok(indices
        .iter()
        .map(|&i| {
            let xi = Scalar::from(u64::from(i));
            let (num, den) = indices.iter().filter(|&&k| k != i).fold(
                (Scalar::ONE, Scalar::ONE),
                |(num, den), &k| {
                    let xk = Scalar::from(u64::from(k));
                    (num * (x - xk), den * (xi - xk))
                },
            );
            // Distinct indices below r: every factor of `den` is non-zero.
            num * Option::<Scalar>::from(den.invert()).expect("distinct indices")
        })
        .collect())
}

fn scalar_bytes(scalars: &[Scalar]) -> Vec<u8> {
    scalars.iter().flat_map(|s| s.to_le_bytes()).collect()
}

/// The group signature from partial signatures `(index, σ_index)`: `Σ λ_i(0)·σ_i`. Exactly `m`
/// of them give `f(0)·H(msg)`; the caller verifies each partial against its share key before, and
/// the result against the group key after (a wrong partial gives a wrong group signature, never
/// an error here).
pub fn combine_signatures(partials: &[(u8, Signature)]) -> Result<Signature, SharingError> {
    let indices: Vec<u8> = partials.iter().map(|(i, _)| *i).collect();
    let lambdas = lagrange_coefficients(0, &indices)?;
    let points: Vec<Signature> = partials.iter().map(|(_, s)| *s).collect();
    Ok(points
        .mult(&scalar_bytes(&lambdas), SCALAR_BITS)
        .to_signature())
}

/// `Σ λ_i(x)·P_i` over share keys `(index, P_index)`: the key at `x` of the polynomial through
/// them (compressed; the identity when it is the point at infinity).
pub fn interpolate_keys(x: u64, points: &[(u8, PublicKey)]) -> Result<[u8; 48], SharingError> {
    let indices: Vec<u8> = points.iter().map(|(i, _)| *i).collect();
    let lambdas = lagrange_coefficients(x, &indices)?;
    let keys: Vec<PublicKey> = points.iter().map(|(_, p)| *p).collect();
    Ok(keys
        .mult(&scalar_bytes(&lambdas), SCALAR_BITS)
        .to_public_key()
        .compress())
}

/// Why `n` share keys and a group key are not an `m`-of-`n` sharing of one key.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ShareSetError {
    /// `m`-of-`n` is not a threshold.
    #[error(transparent)]
    Threshold(#[from] NotAThreshold),
    /// More than 255 shares.
    #[error("{0} shares: at most 255 devices")]
    TooMany(usize),
    /// A share key that is not a valid BLS12-381 public key.
    #[error("share key {0} is not a valid BLS12-381 public key")]
    InvalidKey(PublicKeyBytes),
    /// A share beyond the first m does not lie on their polynomial: the shares are not of one key.
    #[error(
        "share {index} does not lie on the polynomial of degree m - 1 = {} through shares 1..={m}",
        m - 1
    )]
    ShareOffPolynomial {
        /// The share's index.
        index: u8,
        /// The threshold.
        m: u8,
    },
    /// The shares lie on a polynomial of lower degree: fewer than m devices could sign.
    #[error(
        "the shares lie on a polynomial of degree below m - 1 = {}: fewer than m = {m} devices \
         could sign",
        m - 1
    )]
    ThresholdBelowM {
        /// The threshold.
        m: u8,
    },
    /// The group key is not the shares' interpolation at 0.
    #[error(
        "for {m}-of-{n} the group key must be the Lagrange interpolation at 0 of the shares; it is not"
    )]
    GroupKeyNotInterpolated {
        /// The threshold.
        m: u8,
        /// Devices.
        n: u8,
    },
}

/// Checks that the share keys (share `i` at `x = i`, in index order) and the group key (at
/// `x = 0`) lie on one polynomial of degree exactly `m − 1`, for any threshold `n/2 < m ≤ n`
/// (`n`-of-`n` included: a key generation gives Shamir shares for every `m`).
///
/// Shares `1..=m` fix the polynomial `f` of degree at most `m − 1` through them; then
///
/// 1. every other share `j ∈ m+1..=n` equals `Σ λ_i(j)·share_i` (all `n` lie on `f`);
/// 2. `f`'s coefficient of `x^(m−1)`, `Σ share_i / Π_{k≠i} (i − k)`, is not the identity (`f`
///    has degree exactly `m − 1`: no `m − 1` devices together hold the key);
/// 3. the group key equals `f(0)`.
pub fn check_share_keys(
    group: &PublicKeyBytes,
    shares: &[PublicKey],
    m: u8,
) -> Result<(), ShareSetError> {
    let n = u8::try_from(shares.len()).map_err(|_| ShareSetError::TooMany(shares.len()))?;
    Tolerance::of(m, n)?;
    let base: Vec<(u8, PublicKey)> = (1..=m).zip(shares.iter().copied()).collect();
    for (j, share) in (m + 1..=n).zip(&shares[usize::from(m)..]) {
        let at = interpolate_keys(u64::from(j), &base).expect("indices 1..=m");
        if at != share.compress() {
            return Err(ShareSetError::ShareOffPolynomial { index: j, m });
        }
    }
    // The leading coefficient: λ_i(x) = Π (x − k) / w_i, whose x^(m−1) coefficient is 1 / w_i.
    let leading: Vec<Scalar> = (1..=m)
        .map(|i| {
            let w = (1..=m).filter(|&k| k != i).fold(Scalar::ONE, |acc, k| {
                acc * (Scalar::from(u64::from(i)) - Scalar::from(u64::from(k)))
            });
            Option::<Scalar>::from(w.invert()).expect("distinct indices")
        })
        .collect();
    let keys: Vec<PublicKey> = base.iter().map(|(_, p)| *p).collect();
    let top = keys
        .mult(&scalar_bytes(&leading), SCALAR_BITS)
        .to_public_key()
        .compress();
    if top == G1_INFINITY {
        return Err(ShareSetError::ThresholdBelowM { m });
    }
    if interpolate_keys(0, &base).expect("indices 1..=m") != group.0 {
        return Err(ShareSetError::GroupKeyNotInterpolated { m, n });
    }
    Ok(())
}

/// Whether every `(share key, partial signature)` pair verifies over `message`, at the cost of
/// about one signature verification for the whole set: the small-exponent batch test
/// (Bellare, Garay, Rabin, "Fast batch verification for modular exponentiation and digital
/// signatures", EUROCRYPT 1998) for signatures on one message, `e(Σ r_i·σ_i, g) =
/// e(H(msg), Σ r_i·P_i)` with fresh random 64-bit `r_i`. A set with any invalid pair passes
/// with probability at most 2^-64. Signatures must already be subgroup-checked (blst's
/// `sig_validate`); keys are validated ones. `false` says only that some pair fails: verify them
/// one by one to find which.
pub fn verify_partials(message: &[u8], dst: &[u8], pairs: &[(PublicKey, Signature)]) -> bool {
    if pairs.is_empty() {
        return false;
    }
    let mut scalars = vec![0u8; 8 * pairs.len()];
    if rand_core::RngCore::try_fill_bytes(&mut rand_core::OsRng, &mut scalars).is_err() {
        return false;
    }
    // A zero scalar would drop its pair from the test.
    for chunk in scalars.chunks_mut(8) {
        chunk[0] |= 1;
    }
    let keys: Vec<PublicKey> = pairs.iter().map(|(k, _)| *k).collect();
    let sigs: Vec<Signature> = pairs.iter().map(|(_, s)| *s).collect();
    let key = keys.mult(&scalars, 64).to_public_key();
    let sig = sigs.mult(&scalars, 64).to_signature();
    sig.verify(false, message, dst, &[], &key, false) == blst::BLST_ERROR::BLST_SUCCESS
}
