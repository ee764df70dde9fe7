//! Typed primitives. Integers travel as decimal strings and bytes as `0x` hex in the beacon-API
//! JSON that validator clients send, so every newtype here (de)serializes that way.

use serde::{de, Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

macro_rules! quoted_u64 {
    ($(#[$m:meta])* $name:ident) => {
        $(#[$m])*
        #[derive(
            Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash,
            ssz_derive::Encode, ssz_derive::Decode,
        )]
        #[ssz(struct_behaviour = "transparent")]
        pub struct $name(pub u64);

        impl tree_hash::TreeHash for $name {
            fn tree_hash_type() -> tree_hash::TreeHashType { u64::tree_hash_type() }
            fn tree_hash_packed_encoding(&self) -> tree_hash::PackedEncoding {
                self.0.tree_hash_packed_encoding()
            }
            fn tree_hash_packing_factor() -> usize { u64::tree_hash_packing_factor() }
            fn tree_hash_root(&self) -> tree_hash::Hash256 { self.0.tree_hash_root() }
        }

        impl $name {
            /// The value `v`.
            pub const fn new(v: u64) -> Self { Self(v) }
            /// The number.
            pub const fn as_u64(self) -> u64 { self.0 }
        }
        impl From<u64> for $name { fn from(v: u64) -> Self { Self(v) } }
        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result { self.0.fmt(f) }
        }
        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_str(&self.0)
            }
        }
        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                quoted_u64::deserialize(d).map(Self)
            }
        }
    };
}

quoted_u64!(
    /// A beacon-chain slot (12 s on mainnet).
    Slot
);
quoted_u64!(
    /// A beacon-chain epoch (32 slots on mainnet).
    Epoch
);
quoted_u64!(
    /// An amount in gwei, the beacon chain's unit (1 ETH = 10^9 gwei).
    Gwei
);

impl Slot {
    /// `compute_epoch_at_slot` (phase0 beacon-chain.md).
    pub const fn epoch(self, slots_per_epoch: u64) -> Epoch {
        Epoch(self.0 / slots_per_epoch)
    }
}

impl Epoch {
    /// `compute_start_slot_at_epoch` (phase0 beacon-chain.md), saturating instead of overflowing.
    pub const fn start_slot(self, slots_per_epoch: u64) -> Slot {
        Slot(self.0.saturating_mul(slots_per_epoch))
    }
}

/// Serde helpers for a `u64` written as a decimal string (beacon-API style). Plain JSON numbers
/// are accepted too, since some clients send them.
pub mod quoted_u64 {
    use super::*;

    /// Writes the number as a decimal string.
    pub fn serialize<S: Serializer>(v: &u64, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(v)
    }

    /// Reads a decimal string or a plain number.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
        struct V;
        impl de::Visitor<'_> for V {
            type Value = u64;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an unsigned 64-bit integer as a decimal string")
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<u64, E> {
                if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(E::custom(format!("not a decimal u64: {s:?}")));
                }
                s.parse()
                    .map_err(|_| E::custom(format!("u64 out of range: {s:?}")))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<u64, E> {
                Ok(v)
            }
        }
        d.deserialize_any(V)
    }
}

/// Serde helpers for a `uint256` written as a decimal string (the beacon API's
/// `base_fee_per_gas`). Only the string form: a JSON number cannot hold one exactly.
pub mod quoted_u256 {
    use super::*;
    use alloy_primitives::U256;

    /// Writes the number as a decimal string.
    pub fn serialize<S: Serializer>(v: &U256, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(v)
    }

    /// Reads a decimal string.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<U256, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
            return Err(de::Error::custom(format!("not a decimal uint256: {s:?}")));
        }
        U256::from_str_radix(&s, 10)
            .map_err(|_| de::Error::custom(format!("uint256 out of range: {s:?}")))
    }
}

/// Serde helpers for a 32-byte root (`B256`) written as hex, the beacon-API way. Stricter than
/// `B256`'s own `Deserialize`, which also takes an array of numbers: a root must be a string of
/// exactly 64 hex digits, `0x`-prefixed or bare (as [`PublicKeyBytes::from_hex`] accepts).
pub mod hex_root {
    use super::*;
    use alloy_primitives::B256;

    /// Writes the root as `0x` hex.
    pub fn serialize<S: Serializer>(v: &B256, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(&format_args!("0x{}", hex::encode(v)))
    }

    /// Reads exactly 32 bytes of hex, `0x`-prefixed or bare.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<B256, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        parse(&s).map_err(de::Error::custom)
    }

    /// Parses `0x`-prefixed (or bare) hex of exactly 32 bytes.
    pub fn parse(s: &str) -> Result<B256, HexError> {
        let raw = s.strip_prefix("0x").unwrap_or(s);
        let mut out = [0u8; 32];
        hex::decode_to_slice(raw, &mut out).map_err(|_| HexError {
            what: "root",
            expected_bytes: 32,
        })?;
        Ok(B256::from(out))
    }

    /// The same for an optional root (`null` or absent is `None`; use with `#[serde(default)]`).
    pub mod option {
        use super::*;

        /// Writes the root as `0x` hex, or `null`.
        pub fn serialize<S: Serializer>(v: &Option<B256>, s: S) -> Result<S::Ok, S::Error> {
            match v {
                Some(v) => super::serialize(v, s),
                None => s.serialize_none(),
            }
        }

        /// Reads 32 bytes of hex, or `null`.
        pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<B256>, D::Error> {
            match <Option<std::borrow::Cow<'de, str>>>::deserialize(d)? {
                Some(s) => parse(&s).map(Some).map_err(de::Error::custom),
                None => Ok(None),
            }
        }
    }
}

macro_rules! hex_bytes {
    ($(#[$m:meta])* $name:ident, $len:expr) => {
        $(#[$m])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(pub [u8; $len]);

        impl $name {
            /// The length in bytes.
            pub const LEN: usize = $len;
            /// The bytes.
            pub const fn as_bytes(&self) -> &[u8; $len] { &self.0 }
            /// The value of `b`, if it has exactly the right length.
            pub fn from_slice(b: &[u8]) -> Option<Self> { b.try_into().ok().map(Self) }
            /// Parses `0x`-prefixed (or bare) hex of exactly the right length.
            pub fn from_hex(s: &str) -> Result<Self, HexError> {
                let raw = s.strip_prefix("0x").unwrap_or(s);
                let mut out = [0u8; $len];
                hex::decode_to_slice(raw, &mut out).map_err(|_| HexError {
                    what: stringify!($name),
                    expected_bytes: $len,
                })?;
                Ok(Self(out))
            }
            /// `0x`-prefixed lower-case hex.
            pub fn to_hex(&self) -> String { format!("0x{}", hex::encode(self.0)) }
        }
        impl Default for $name { fn default() -> Self { Self([0u8; $len]) } }
        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result { f.write_str(&self.to_hex()) }
        }
        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result { f.write_str(&self.to_hex()) }
        }
        impl std::str::FromStr for $name {
            type Err = HexError;
            fn from_str(s: &str) -> Result<Self, HexError> { Self::from_hex(s) }
        }
        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(&self.to_hex())
            }
        }
        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
                Self::from_hex(&s).map_err(de::Error::custom)
            }
        }
        impl ssz::Encode for $name {
            fn is_ssz_fixed_len() -> bool { true }
            fn ssz_fixed_len() -> usize { $len }
            fn ssz_bytes_len(&self) -> usize { $len }
            fn ssz_append(&self, buf: &mut Vec<u8>) { buf.extend_from_slice(&self.0) }
        }
        impl ssz::Decode for $name {
            fn is_ssz_fixed_len() -> bool { true }
            fn ssz_fixed_len() -> usize { $len }
            fn from_ssz_bytes(b: &[u8]) -> Result<Self, ssz::DecodeError> {
                Self::from_slice(b).ok_or(ssz::DecodeError::InvalidByteLength {
                    len: b.len(),
                    expected: $len,
                })
            }
        }
    };
}

hex_bytes!(
    /// A compressed BLS12-381 G1 public key (48 bytes), as bytes: not checked to be on the curve.
    PublicKeyBytes,
    48
);
hex_bytes!(
    /// A compressed BLS12-381 G2 signature (96 bytes), as bytes.
    SignatureBytes,
    96
);
hex_bytes!(
    /// A fork version (4 bytes).
    Version,
    4
);

/// The byte vector types hash as SSZ `Vector[byte, N]`: chunks packed and merkleized.
macro_rules! tree_hash_bytes {
    ($name:ident, $len:expr) => {
        impl tree_hash::TreeHash for $name {
            fn tree_hash_type() -> tree_hash::TreeHashType {
                tree_hash::TreeHashType::Vector
            }
            fn tree_hash_packed_encoding(&self) -> tree_hash::PackedEncoding {
                unreachable!("byte vectors are never packed")
            }
            fn tree_hash_packing_factor() -> usize {
                unreachable!("byte vectors are never packed")
            }
            fn tree_hash_root(&self) -> tree_hash::Hash256 {
                tree_hash::merkle_root(&self.0, 0)
            }
        }
    };
}
tree_hash_bytes!(PublicKeyBytes, 48);
tree_hash_bytes!(SignatureBytes, 96);
tree_hash_bytes!(Version, 4);

/// Hex of the wrong length or with non-hex characters.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid {what}: expected 0x-prefixed hex of {expected_bytes} bytes")]
pub struct HexError {
    /// What was being parsed.
    pub what: &'static str,
    /// The length it must have.
    pub expected_bytes: usize,
}

#[cfg(test)]
mod tests {
    use super::*;
    use tree_hash::TreeHash;

    #[test]
    fn quoted_integers_round_trip_and_reject_garbage() {
        let s: Slot = serde_json::from_str("\"18446744073709551615\"").unwrap();
        assert_eq!(s, Slot(u64::MAX));
        assert_eq!(serde_json::to_string(&Epoch(7)).unwrap(), "\"7\"");
        assert!(serde_json::from_str::<Slot>("\"18446744073709551616\"").is_err());
        assert!(serde_json::from_str::<Slot>("\"-1\"").is_err());
        assert!(serde_json::from_str::<Slot>("\"0x10\"").is_err());
        assert!(serde_json::from_str::<Slot>("\"\"").is_err());
    }

    #[test]
    fn byte_vectors_check_length() {
        assert!(Version::from_hex("0x00000001").is_ok());
        assert!(Version::from_hex("0x0000001").is_err());
        assert!(Version::from_hex("0x0000000001").is_err());
        assert!(PublicKeyBytes::from_hex("0xzz").is_err());
    }

    #[test]
    fn version_hashes_as_a_padded_chunk() {
        let v = Version([1, 2, 3, 4]);
        let mut chunk = [0u8; 32];
        chunk[..4].copy_from_slice(&v.0);
        assert_eq!(v.tree_hash_root().0, chunk);
    }
}
