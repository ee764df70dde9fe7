//! The EIP-3076 slashing-protection interchange format, version 5
//! (`testdata/eip3076/interchange-schema.json`).
//!
//! Parsing is strict about what the format pins down: integers are decimal strings, roots and
//! keys `0x`-prefixed hex of the exact length, and only `interchange_format_version` `"5"` is
//! accepted. Unknown fields are ignored (the schema does not forbid them). Malformed input is an
//! [`InterchangeError`], never a panic.

use crate::error::InterchangeError;
use crate::MAX_STORABLE;
use lsv_consensus::{Epoch, PublicKeyBytes, Slot, B256};
use serde::{Deserialize, Serialize};

/// The only interchange format version this crate reads and writes.
pub const INTERCHANGE_FORMAT_VERSION: &str = "5";

/// Which history an export carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InterchangeFormat {
    /// Per key one block at the block watermark and one attestation at (max source, max target):
    /// the smallest file that carries the full protection.
    Minimal,
    /// Every retained history row, plus the watermark entries if pruning removed them, so the
    /// file always implies the same watermarks as a minimal export.
    Complete,
}

/// A whole interchange document.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Interchange {
    pub metadata: InterchangeMetadata,
    pub data: Vec<InterchangeData>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InterchangeMetadata {
    /// Must be [`INTERCHANGE_FORMAT_VERSION`]; checked by [`Interchange::validate`].
    pub interchange_format_version: String,
    #[serde(with = "strict::root")]
    pub genesis_validators_root: B256,
}

/// The history of one validator.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InterchangeData {
    #[serde(with = "strict::pubkey")]
    pub pubkey: PublicKeyBytes,
    pub signed_blocks: Vec<SignedBlock>,
    pub signed_attestations: Vec<SignedAttestation>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignedBlock {
    #[serde(with = "strict::quoted")]
    pub slot: Slot,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "strict::opt_root"
    )]
    pub signing_root: Option<B256>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignedAttestation {
    #[serde(with = "strict::quoted")]
    pub source_epoch: Epoch,
    #[serde(with = "strict::quoted")]
    pub target_epoch: Epoch,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "strict::opt_root"
    )]
    pub signing_root: Option<B256>,
}

impl Interchange {
    /// An interchange of the supported version for `genesis_validators_root`.
    pub fn new(genesis_validators_root: B256, data: Vec<InterchangeData>) -> Self {
        Self {
            metadata: InterchangeMetadata {
                interchange_format_version: INTERCHANGE_FORMAT_VERSION.to_owned(),
                genesis_validators_root,
            },
            data,
        }
    }

    /// Parses and [validates](Self::validate) a JSON document.
    pub fn from_json_str(json: &str) -> Result<Self, InterchangeError> {
        Self::from_json_slice(json.as_bytes())
    }

    /// Parses and [validates](Self::validate) a JSON document.
    pub fn from_json_slice(json: &[u8]) -> Result<Self, InterchangeError> {
        let interchange: Self = serde_json::from_slice(json)?;
        interchange.validate()?;
        Ok(interchange)
    }

    /// Parses and [validates](Self::validate) a JSON document from a reader.
    pub fn from_json_reader(reader: impl std::io::Read) -> Result<Self, InterchangeError> {
        let interchange: Self = serde_json::from_reader(reader)?;
        interchange.validate()?;
        Ok(interchange)
    }

    /// Serializes as pretty-printed JSON.
    pub fn to_json_string(&self) -> Result<String, InterchangeError> {
        Ok(serde_json::to_string_pretty(self)?)
    }

    /// Checks what the type system cannot: the format version, and that every slot and epoch fits
    /// the database ([`MAX_STORABLE`]).
    pub fn validate(&self) -> Result<(), InterchangeError> {
        if self.metadata.interchange_format_version != INTERCHANGE_FORMAT_VERSION {
            return Err(InterchangeError::UnsupportedFormatVersion {
                found: self.metadata.interchange_format_version.clone(),
            });
        }
        for entry in &self.data {
            let out_of_range = |field: &'static str, value: u64| {
                (value > MAX_STORABLE).then_some(InterchangeError::ValueOutOfRange {
                    pubkey: entry.pubkey,
                    field,
                    value,
                })
            };
            for block in &entry.signed_blocks {
                if let Some(e) = out_of_range("slot", block.slot.as_u64()) {
                    return Err(e);
                }
            }
            for att in &entry.signed_attestations {
                if let Some(e) = out_of_range("source_epoch", att.source_epoch.as_u64())
                    .or_else(|| out_of_range("target_epoch", att.target_epoch.as_u64()))
                {
                    return Err(e);
                }
            }
        }
        Ok(())
    }
}

impl InterchangeData {
    /// The highest slot among the signed blocks (EIP-3076 minification), if any.
    pub fn max_block_slot(&self) -> Option<Slot> {
        self.signed_blocks.iter().map(|b| b.slot).max()
    }

    /// The highest source and the highest target among the signed attestations (taken
    /// independently, as EIP-3076 minification does), if any.
    pub fn max_attestation_epochs(&self) -> Option<(Epoch, Epoch)> {
        let source = self
            .signed_attestations
            .iter()
            .map(|a| a.source_epoch)
            .max()?;
        let target = self
            .signed_attestations
            .iter()
            .map(|a| a.target_epoch)
            .max()?;
        Some((source, target))
    }
}

/// Strict (de)serializers for the interchange's scalar fields.
mod strict {
    use serde::{de, Deserialize, Deserializer, Serializer};

    fn parse_hex<const N: usize, E: de::Error>(s: &str, what: &str) -> Result<[u8; N], E> {
        let digits = s
            .strip_prefix("0x")
            .ok_or_else(|| E::custom(format!("{what} must be 0x-prefixed hex, got {s:?}")))?;
        let mut out = [0u8; N];
        hex_decode(digits, &mut out)
            .ok_or_else(|| E::custom(format!("{what} must be {N} bytes of hex, got {s:?}")))?;
        Ok(out)
    }

    fn hex_decode(digits: &str, out: &mut [u8]) -> Option<()> {
        let bytes = digits.as_bytes();
        if bytes.len() != out.len() * 2 {
            return None;
        }
        let nibble = |c: u8| (c as char).to_digit(16).map(|d| d as u8);
        for (o, pair) in out.iter_mut().zip(bytes.chunks_exact(2)) {
            *o = (nibble(pair[0])? << 4) | nibble(pair[1])?;
        }
        Some(())
    }

    /// A `u64` newtype written as a decimal string (JSON numbers are refused).
    pub mod quoted {
        use super::*;
        use std::fmt::Display;

        pub fn serialize<T: Display, S: Serializer>(v: &T, s: S) -> Result<S::Ok, S::Error> {
            s.collect_str(v)
        }

        pub fn deserialize<'de, T: From<u64>, D: Deserializer<'de>>(d: D) -> Result<T, D::Error> {
            let s = String::deserialize(d)?;
            if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
                return Err(de::Error::custom(format!(
                    "expected a decimal integer string, got {s:?}"
                )));
            }
            s.parse::<u64>()
                .map(T::from)
                .map_err(|_| de::Error::custom(format!("integer out of u64 range: {s:?}")))
        }
    }

    pub mod root {
        use super::*;
        use lsv_consensus::B256;

        pub fn serialize<S: Serializer>(v: &B256, s: S) -> Result<S::Ok, S::Error> {
            s.collect_str(&format_args!("{v:#x}"))
        }

        pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<B256, D::Error> {
            let s = String::deserialize(d)?;
            parse_hex::<32, _>(&s, "a root").map(B256::from)
        }
    }

    pub mod opt_root {
        use super::*;
        use lsv_consensus::B256;

        pub fn serialize<S: Serializer>(v: &Option<B256>, s: S) -> Result<S::Ok, S::Error> {
            match v {
                Some(v) => root::serialize(v, s),
                None => s.serialize_none(),
            }
        }

        pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<B256>, D::Error> {
            Option::<String>::deserialize(d)?
                .map(|s| parse_hex::<32, _>(&s, "a signing_root").map(B256::from))
                .transpose()
        }
    }

    pub mod pubkey {
        use super::*;
        use lsv_consensus::PublicKeyBytes;

        pub fn serialize<S: Serializer>(v: &PublicKeyBytes, s: S) -> Result<S::Ok, S::Error> {
            s.collect_str(v)
        }

        pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<PublicKeyBytes, D::Error> {
            let s = String::deserialize(d)?;
            parse_hex::<48, _>(&s, "a pubkey").map(PublicKeyBytes)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PK: &str = "0xa99a76ed7796f7be22d5b7e85deeb7c5677e88e511e0b337618f8c4eb61349b4bf2d153f649f7b53359fe8b94a38e44c";
    const ZERO: &str = "0x0000000000000000000000000000000000000000000000000000000000000000";

    fn doc(version: &str, slot: &str, root: &str) -> String {
        format!(
            r#"{{"metadata":{{"interchange_format_version":"{version}","genesis_validators_root":"{ZERO}"}},
               "data":[{{"pubkey":"{PK}","signed_blocks":[{{"slot":{slot},"signing_root":{root}}}],
               "signed_attestations":[{{"source_epoch":"1","target_epoch":"2"}}]}}]}}"#
        )
    }

    #[test]
    fn parses_a_well_formed_document_and_round_trips() {
        let i = Interchange::from_json_str(&doc("5", "\"7\"", &format!("\"{ZERO}\""))).unwrap();
        assert_eq!(i.data[0].signed_blocks[0].slot, Slot(7));
        assert_eq!(i.data[0].signed_blocks[0].signing_root, Some(B256::ZERO));
        assert_eq!(i.data[0].signed_attestations[0].signing_root, None);
        let again = Interchange::from_json_str(&i.to_json_string().unwrap()).unwrap();
        assert_eq!(again, i);
        // Absent roots stay absent on output.
        assert!(!i.to_json_string().unwrap().contains("null"));
    }

    #[test]
    fn rejects_other_versions_and_malformed_fields() {
        let root = format!("\"{ZERO}\"");
        assert!(matches!(
            Interchange::from_json_str(&doc("4", "\"7\"", &root)),
            Err(InterchangeError::UnsupportedFormatVersion { found }) if found == "4"
        ));
        for (slot, root) in [
            ("7", root.as_str()),                                 // number, not string
            ("\"-7\"", root.as_str()),                            // negative
            ("\"0x7\"", root.as_str()),                           // hex integer
            ("\"18446744073709551616\"", root.as_str()),          // > u64
            ("\"7\"", "\"0x00\""),                                // short root
            ("\"7\"", &root[..root.len() - 1].replace("0x", "")), // garbage
            (
                "\"7\"",
                "\"0000000000000000000000000000000000000000000000000000000000000000\"",
            ), // no 0x
        ] {
            let r = Interchange::from_json_str(&doc("5", slot, root));
            assert!(r.is_err(), "accepted slot={slot} root={root}");
        }
        assert!(matches!(
            Interchange::from_json_str("{not json"),
            Err(InterchangeError::Json(_))
        ));
        assert!(matches!(
            Interchange::from_json_str(&doc("5", "\"9223372036854775808\"", &root)),
            Err(InterchangeError::ValueOutOfRange { field: "slot", .. })
        ));
    }
}
