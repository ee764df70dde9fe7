//! One validator key held as `m`-of-`n` shares on `n` devices, each a whole P (DESIGN.md, "Many
//! devices").
//!
//! - [`Tolerance`]: what a threshold tolerates, and which thresholds are refused (`m ≤ n/2`);
//! - [`sharing`]: Shamir sharing "in the exponent": Lagrange coefficients, the recombination of
//!   `m` partial BLS signatures into the group signature (blst's multi-scalar multiplication),
//!   and the check that `n` share keys and a group key lie on one polynomial of degree `m − 1`;
//! - [`dkg`]: the key generation the devices run among themselves, with no dealer: joint Feldman
//!   VSS (the polynomial arithmetic and share checks are `vsss-rs`'s), every dealer's polynomial
//!   fixed by a hash commitment before anyone sees another's, a proof of possession of each
//!   dealer's constant term (no rogue keys), each share sealed with HPKE to the receiving
//!   device's key, and complaints that abort the ceremony and name the dealer.
//!
//! The coordinator that fans signing requests out to the devices is HTTP and lives with the
//! signer (`lsv-signer`'s `cluster`); the ceremony's steps run inside each device's P
//! (`lsv-enclave`).

#![cfg_attr(test, allow(unused_crate_dependencies))]

pub mod dkg;
pub mod sharing;

use serde::Serialize;

/// What an `m`-of-`n` group of devices tolerates (DESIGN.md "Many devices").
///
/// - **Safety.** Two group signatures over conflicting messages need `m` partial signatures
///   each, from `n` devices, so at least `2m − n` devices signed both. An honest device signs
///   the second only if its own slashing check passes, which it does not: a slashable pair needs
///   `2m − n` broken devices (or devices whose record was rolled back), and the group is safe
///   while at most `2m − n − 1` are.
/// - **Liveness.** Any `m` devices sign, so `n − m` may be down.
///
/// Only `n/2 < m ≤ n` is a threshold: at `m ≤ n/2` two disjoint halves sign conflicting messages
/// with no device broken.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Tolerance {
    /// Shares needed to sign.
    pub m: u8,
    /// Devices.
    pub n: u8,
    /// Devices that may be broken with no slashable pair possible: `2m − n − 1`.
    pub broken: u8,
    /// Devices that may be down with the validator still signing: `n − m`.
    pub down: u8,
}

/// `m`-of-`n` with `m ≤ n/2` or `m > n`: not a threshold.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("m = {m} of n = {n} is not a safe threshold: it needs n/2 < m <= n")]
pub struct NotAThreshold {
    /// Shares needed to sign.
    pub m: u8,
    /// Devices.
    pub n: u8,
}

impl Tolerance {
    /// The tolerance of `m`-of-`n`; [`NotAThreshold`] unless `n/2 < m ≤ n`.
    pub fn of(m: u8, n: u8) -> Result<Self, NotAThreshold> {
        let (m16, n16) = (u16::from(m), u16::from(n));
        if m > n || 2 * m16 <= n16 {
            return Err(NotAThreshold { m, n });
        }
        Ok(Self {
            m,
            n,
            broken: u8::try_from(2 * m16 - n16 - 1).expect("2m - n - 1 < m <= 255"),
            down: n - m,
        })
    }
}
