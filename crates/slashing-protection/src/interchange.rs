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
    /// The format version and the network.
    pub metadata: InterchangeMetadata,
    /// One entry per key (a key may appear more than once).
    pub data: Vec<InterchangeData>,
}

/// `metadata`: which version of the format, for which network.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InterchangeMetadata {
    /// Must be [`INTERCHANGE_FORMAT_VERSION`]; checked by [`Interchange::validate`].
    pub interchange_format_version: String,
    /// The network's genesis validators root; an import into another network's database is refused.
    #[serde(with = "strict::root")]
    pub genesis_validators_root: B256,
}

/// The history of one validator.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InterchangeData {
    /// The validator's key.
    #[serde(with = "strict::pubkey")]
    pub pubkey: PublicKeyBytes,
    /// Blocks it signed.
    pub signed_blocks: Vec<SignedBlock>,
    /// Attestations it signed.
    pub signed_attestations: Vec<SignedAttestation>,
}

/// A signed block proposal.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignedBlock {
    /// Its slot, a decimal string.
    #[serde(with = "strict::quoted")]
    pub slot: Slot,
    /// The root signed, if known (EIP-3076 makes it optional).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "strict::opt_root"
    )]
    pub signing_root: Option<B256>,
}

/// A signed attestation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignedAttestation {
    /// Its source epoch, a decimal string.
    #[serde(with = "strict::quoted")]
    pub source_epoch: Epoch,
    /// Its target epoch, a decimal string.
    #[serde(with = "strict::quoted")]
    pub target_epoch: Epoch,
    /// The root signed, if known (EIP-3076 makes it optional).
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
        check_version(&self.metadata)?;
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

/// What an interchange implies for protection, and all this crate keeps of it (EIP-3076
/// minification): per `data` entry, the highest block slot, the highest attestation source and,
/// independently, the highest target, with how many records the entry held.
///
/// It parses with the same strictness as [`Interchange`] (every record is read and checked), but
/// folds each record into its entry's maxima as it is read, so memory grows with the number of
/// keys, not of records; [`from_json_reader`](Self::from_json_reader) reads a file of any size
/// in a bounded buffer.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct MinifiedInterchange {
    /// The format version and the network, as read.
    pub metadata: InterchangeMetadata,
    /// One item per `data` entry, in the file's order.
    pub data: Vec<MinifiedData>,
}

/// One `data` entry, minified.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
pub struct MinifiedData {
    /// The validator's key.
    #[serde(with = "strict::pubkey")]
    pub pubkey: PublicKeyBytes,
    /// Its `signed_blocks`, folded.
    #[serde(rename = "signed_blocks")]
    pub blocks: BlockMaxima,
    /// Its `signed_attestations`, folded.
    #[serde(rename = "signed_attestations")]
    pub attestations: AttestationMaxima,
}

/// The signed blocks of one entry: how many, and the highest slot.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct BlockMaxima {
    /// How many blocks the entry listed.
    pub count: u64,
    /// The highest of their slots; `None` for an empty list.
    pub max_slot: Option<Slot>,
}

/// The signed attestations of one entry: how many, the highest source and the highest target
/// (taken independently: in slashable input they need not come from one attestation).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct AttestationMaxima {
    /// How many attestations the entry listed.
    pub count: u64,
    /// The highest source and the highest target; `None` for an empty list.
    pub max: Option<(Epoch, Epoch)>,
}

impl BlockMaxima {
    fn add(&mut self, slot: Slot) {
        self.count += 1;
        self.max_slot = self.max_slot.max(Some(slot));
    }
}

impl AttestationMaxima {
    fn add(&mut self, source: Epoch, target: Epoch) {
        self.count += 1;
        self.max = Some(match self.max {
            None => (source, target),
            Some((s, t)) => (s.max(source), t.max(target)),
        });
    }
}

impl<'de> Deserialize<'de> for BlockMaxima {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Fold;
        impl<'de> serde::de::Visitor<'de> for Fold {
            type Value = BlockMaxima;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a sequence of signed blocks")
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> Result<BlockMaxima, A::Error> {
                let mut maxima = BlockMaxima::default();
                while let Some(block) = seq.next_element::<SignedBlock>()? {
                    maxima.add(block.slot);
                }
                Ok(maxima)
            }
        }
        d.deserialize_seq(Fold)
    }
}

impl<'de> Deserialize<'de> for AttestationMaxima {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Fold;
        impl<'de> serde::de::Visitor<'de> for Fold {
            type Value = AttestationMaxima;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a sequence of signed attestations")
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> Result<AttestationMaxima, A::Error> {
                let mut maxima = AttestationMaxima::default();
                while let Some(att) = seq.next_element::<SignedAttestation>()? {
                    maxima.add(att.source_epoch, att.target_epoch);
                }
                Ok(maxima)
            }
        }
        d.deserialize_seq(Fold)
    }
}

impl MinifiedInterchange {
    /// Parses, minifies and [validates](Self::validate) a JSON document held in memory.
    pub fn from_json_slice(json: &[u8]) -> Result<Self, InterchangeError> {
        let minified: Self = serde_json::from_slice(json)?;
        minified.validate()?;
        Ok(minified)
    }

    /// Parses, minifies and [validates](Self::validate) a JSON document from a reader, in
    /// memory bounded by the number of keys (see [`crate::stream`]).
    pub fn from_json_reader(reader: impl std::io::Read) -> Result<Self, InterchangeError> {
        let minified = crate::stream::read_minified(reader)?;
        minified.validate()?;
        Ok(minified)
    }

    /// The same checks as [`Interchange::validate`]: the format version, and that every slot
    /// and epoch fits the database (checking the maxima checks every value).
    pub fn validate(&self) -> Result<(), InterchangeError> {
        check_version(&self.metadata)?;
        for entry in &self.data {
            let out_of_range = |field: &'static str, value: u64| {
                (value > MAX_STORABLE).then_some(InterchangeError::ValueOutOfRange {
                    pubkey: entry.pubkey,
                    field,
                    value,
                })
            };
            let slot = entry.blocks.max_slot.map_or(0, Slot::as_u64);
            let (source, target) = entry
                .attestations
                .max
                .map_or((0, 0), |(s, t)| (s.as_u64(), t.as_u64()));
            if let Some(e) = out_of_range("slot", slot)
                .or_else(|| out_of_range("source_epoch", source))
                .or_else(|| out_of_range("target_epoch", target))
            {
                return Err(e);
            }
        }
        Ok(())
    }
}

impl Interchange {
    /// The minified form of a parsed document: what importing it means.
    pub fn minify(&self) -> MinifiedInterchange {
        MinifiedInterchange {
            metadata: self.metadata.clone(),
            data: self
                .data
                .iter()
                .map(|entry| {
                    let mut blocks = BlockMaxima::default();
                    entry.signed_blocks.iter().for_each(|b| blocks.add(b.slot));
                    let mut attestations = AttestationMaxima::default();
                    entry
                        .signed_attestations
                        .iter()
                        .for_each(|a| attestations.add(a.source_epoch, a.target_epoch));
                    MinifiedData {
                        pubkey: entry.pubkey,
                        blocks,
                        attestations,
                    }
                })
                .collect(),
        }
    }
}

fn check_version(metadata: &InterchangeMetadata) -> Result<(), InterchangeError> {
    if metadata.interchange_format_version != INTERCHANGE_FORMAT_VERSION {
        return Err(InterchangeError::UnsupportedFormatVersion {
            found: metadata.interchange_format_version.clone(),
        });
    }
    Ok(())
}

/// Strict (de)serializers for the interchange's scalar fields. They read through borrowed or
/// transient strings (`visit_str`), so parsing a record allocates nothing.
mod strict {
    use serde::{de, Deserializer, Serializer};
    use std::fmt;
    use std::marker::PhantomData;

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

    /// `0x`-prefixed hex of exactly `N` bytes; `what` names the field in errors.
    struct Hex<const N: usize>(&'static str);

    impl<const N: usize> de::Visitor<'_> for Hex<N> {
        type Value = [u8; N];

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            write!(f, "{} as a string of 0x-prefixed hex", self.0)
        }

        fn visit_str<E: de::Error>(self, s: &str) -> Result<[u8; N], E> {
            let what = self.0;
            let digits = s
                .strip_prefix("0x")
                .ok_or_else(|| E::custom(format!("{what} must be 0x-prefixed hex, got {s:?}")))?;
            let mut out = [0u8; N];
            hex_decode(digits, &mut out)
                .ok_or_else(|| E::custom(format!("{what} must be {N} bytes of hex, got {s:?}")))?;
            Ok(out)
        }
    }

    /// A `u64` written as a decimal string (JSON numbers are refused).
    struct Decimal;

    impl de::Visitor<'_> for Decimal {
        type Value = u64;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a decimal integer string")
        }

        fn visit_str<E: de::Error>(self, s: &str) -> Result<u64, E> {
            if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
                return Err(E::custom(format!(
                    "expected a decimal integer string, got {s:?}"
                )));
            }
            s.parse::<u64>()
                .map_err(|_| E::custom(format!("integer out of u64 range: {s:?}")))
        }
    }

    /// A `u64` newtype written as a decimal string (JSON numbers are refused).
    pub(super) mod quoted {
        use super::*;
        use std::fmt::Display;

        pub(crate) fn serialize<T: Display, S: Serializer>(v: &T, s: S) -> Result<S::Ok, S::Error> {
            s.collect_str(v)
        }

        pub(crate) fn deserialize<'de, T: From<u64>, D: Deserializer<'de>>(
            d: D,
        ) -> Result<T, D::Error> {
            d.deserialize_str(Decimal).map(T::from)
        }
    }

    pub(super) mod root {
        use super::*;
        use lsv_consensus::B256;

        pub(crate) fn serialize<S: Serializer>(v: &B256, s: S) -> Result<S::Ok, S::Error> {
            s.collect_str(&format_args!("{v:#x}"))
        }

        pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<B256, D::Error> {
            d.deserialize_str(Hex::<32>("a root")).map(B256::from)
        }
    }

    pub(super) mod opt_root {
        use super::*;
        use lsv_consensus::B256;

        pub(crate) fn serialize<S: Serializer>(v: &Option<B256>, s: S) -> Result<S::Ok, S::Error> {
            match v {
                Some(v) => root::serialize(v, s),
                None => s.serialize_none(),
            }
        }

        struct OptRoot(PhantomData<B256>);

        impl<'de> de::Visitor<'de> for OptRoot {
            type Value = Option<B256>;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a signing_root as a string of 0x-prefixed hex, or null")
            }

            fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(None)
            }

            fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(None)
            }

            fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
                d.deserialize_str(Hex::<32>("a signing_root"))
                    .map(|b| Some(B256::from(b)))
            }
        }

        pub(crate) fn deserialize<'de, D: Deserializer<'de>>(
            d: D,
        ) -> Result<Option<B256>, D::Error> {
            d.deserialize_option(OptRoot(PhantomData))
        }
    }

    pub(super) mod pubkey {
        use super::*;
        use lsv_consensus::PublicKeyBytes;

        pub(crate) fn serialize<S: Serializer>(
            v: &PublicKeyBytes,
            s: S,
        ) -> Result<S::Ok, S::Error> {
            s.collect_str(v)
        }

        pub(crate) fn deserialize<'de, D: Deserializer<'de>>(
            d: D,
        ) -> Result<PublicKeyBytes, D::Error> {
            d.deserialize_str(Hex::<48>("a pubkey")).map(PublicKeyBytes)
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
