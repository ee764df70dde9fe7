//! EIP-3076 interchange: round trips, refusals that write nothing, and parsing that never panics.

#![allow(unused_crate_dependencies)]

mod common;

use common::*;
use lsv_consensus::{Epoch, Slot, B256};
use lsv_slashing_protection::{
    Error, Interchange, InterchangeData, InterchangeError, InterchangeFormat, MinifiedInterchange,
    SignedAttestation, SignedBlock, SlashingDatabase, Watermarks,
};
use proptest::prelude::*;

/// A database with some history on two keys.
fn signed_db() -> SlashingDatabase {
    let mut db = db_with(&[pk(1), pk(2)]);
    for (slot, r) in [(1, 1), (5, 2), (9, 3)] {
        sign(&mut db, 1, block(slot), r).unwrap();
    }
    for (s, t, r) in [(0, 1, 1), (1, 2, 2), (2, 4, 3)] {
        sign(&mut db, 1, att(s, t), r).unwrap();
    }
    sign(&mut db, 2, att(3, 7), 0).unwrap();
    db
}

/// Watermarks with what an import can never carry over (re-sign roots, version) removed.
fn bare(wm: Watermarks) -> Watermarks {
    let mut wm = wm;
    if let Some(b) = wm.block.as_mut() {
        b.resign_root = None;
    }
    if let Some(a) = wm.attestation.as_mut() {
        a.resign = None;
    }
    wm.record_version = 0;
    wm
}

#[test]
fn export_import_round_trip_preserves_watermarks() {
    let db = signed_db();
    for format in [InterchangeFormat::Minimal, InterchangeFormat::Complete] {
        let json = db
            .export_interchange(None, format)
            .unwrap()
            .to_json_string()
            .unwrap();
        let parsed = Interchange::from_json_str(&json).unwrap();
        let mut fresh = SlashingDatabase::open_in_memory(GVR).unwrap();
        fresh.import_interchange(&parsed).unwrap();
        assert_eq!(fresh.registered_validators().unwrap(), vec![pk(1), pk(2)]);
        for key in [pk(1), pk(2)] {
            let ours = db.watermarks(&key).unwrap().unwrap();
            let theirs = fresh.watermarks(&key).unwrap().unwrap();
            assert_eq!(bare(theirs), bare(ours), "{format:?}");
            // Imported roots never permit a re-sign.
            assert_eq!(theirs.block.and_then(|b| b.resign_root), None);
            assert_eq!(theirs.attestation.and_then(|a| a.resign), None);
        }
        // The fresh database refuses what the original refuses.
        assert!(sign(&mut fresh, 1, block(9), 3).is_err());
        assert!(sign(&mut fresh, 1, att(2, 4), 3).is_err());
        assert!(sign(&mut fresh, 1, att(1, 5), 3).is_err());
        assert!(sign(&mut fresh, 2, att(3, 7), 0).is_err());
    }
}

#[test]
fn minimal_export_has_one_block_and_one_attestation_per_key() {
    let db = signed_db();
    let i = db
        .export_interchange(Some(&[pk(1)]), InterchangeFormat::Minimal)
        .unwrap();
    assert_eq!(i.metadata.interchange_format_version, "5");
    assert_eq!(i.data.len(), 1);
    assert_eq!(
        i.data[0].signed_blocks,
        vec![SignedBlock {
            slot: Slot(9),
            signing_root: Some(root(3))
        }]
    );
    assert_eq!(
        i.data[0].signed_attestations,
        vec![SignedAttestation {
            source_epoch: Epoch(2),
            target_epoch: Epoch(4),
            signing_root: Some(root(3)),
        }]
    );
}

/// A database of version 3 keeps no history: a complete export carries the same records as a
/// minimal one, and pruning has nothing to delete.
#[test]
fn complete_export_of_a_version_3_database_is_the_minimal_one() {
    let mut db = signed_db();
    let complete = db
        .export_interchange(None, InterchangeFormat::Complete)
        .unwrap();
    assert_eq!(
        complete,
        db.export_interchange(None, InterchangeFormat::Minimal)
            .unwrap()
    );
    let pruned = db.prune().unwrap();
    assert_eq!((pruned.blocks_deleted, pruned.attestations_deleted), (0, 0));
    assert_eq!(
        db.export_interchange(None, InterchangeFormat::Complete)
            .unwrap(),
        complete
    );
}

#[test]
fn complete_export_restores_a_pruned_source_watermark() {
    // Max source (6) and max target (7) come from different rows; after pruning the row that
    // carried the source, the export still implies source 6.
    let mut db = db_with(&[pk(1)]);
    let i = Interchange::new(
        GVR,
        vec![InterchangeData {
            pubkey: pk(1),
            signed_blocks: vec![],
            signed_attestations: vec![
                SignedAttestation {
                    source_epoch: Epoch(6),
                    target_epoch: Epoch(6),
                    signing_root: None,
                },
                SignedAttestation {
                    source_epoch: Epoch(2),
                    target_epoch: Epoch(7),
                    signing_root: None,
                },
            ],
        }],
    );
    db.import_interchange(&i).unwrap();
    db.prune().unwrap();
    let out = db
        .export_interchange(None, InterchangeFormat::Complete)
        .unwrap();
    let mut fresh = SlashingDatabase::open_in_memory(GVR).unwrap();
    fresh.import_interchange(&out).unwrap();
    let a = fresh
        .watermarks(&pk(1))
        .unwrap()
        .unwrap()
        .attestation
        .unwrap();
    assert_eq!((a.source, a.target), (Epoch(6), Epoch(7)));
}

#[test]
fn wrong_genesis_validators_root_is_refused_and_writes_nothing() {
    let mut db = signed_db();
    let before = db
        .export_interchange(None, InterchangeFormat::Complete)
        .unwrap();
    let mut other = Interchange::new(
        B256::repeat_byte(1),
        vec![InterchangeData {
            pubkey: pk(3),
            signed_blocks: vec![SignedBlock {
                slot: Slot(100),
                signing_root: None,
            }],
            signed_attestations: vec![],
        }],
    );
    other.data.push(InterchangeData {
        pubkey: pk(1),
        ..other.data[0].clone()
    });
    assert!(matches!(
        db.import_interchange(&other),
        Err(InterchangeError::GenesisValidatorsRootMismatch { .. })
    ));
    assert_eq!(
        db.export_interchange(None, InterchangeFormat::Complete)
            .unwrap(),
        before
    );
    assert!(!db.is_registered(&pk(3)).unwrap());
}

#[test]
fn unsupported_version_is_refused_and_writes_nothing() {
    let mut db = db_with(&[]);
    let mut i = Interchange::new(
        GVR,
        vec![InterchangeData {
            pubkey: pk(3),
            signed_blocks: vec![],
            signed_attestations: vec![],
        }],
    );
    i.metadata.interchange_format_version = "4".into();
    assert!(matches!(
        db.import_interchange(&i),
        Err(InterchangeError::UnsupportedFormatVersion { found }) if found == "4"
    ));
    assert!(db.registered_validators().unwrap().is_empty());
    let json = i.to_json_string().unwrap();
    assert!(matches!(
        Interchange::from_json_str(&json),
        Err(InterchangeError::UnsupportedFormatVersion { .. })
    ));
}

#[test]
fn out_of_range_values_are_refused_and_write_nothing() {
    let mut db = db_with(&[]);
    let i = Interchange::new(
        GVR,
        vec![
            InterchangeData {
                pubkey: pk(1),
                signed_blocks: vec![SignedBlock {
                    slot: Slot(5),
                    signing_root: None,
                }],
                signed_attestations: vec![],
            },
            InterchangeData {
                pubkey: pk(2),
                signed_blocks: vec![SignedBlock {
                    slot: Slot(u64::MAX),
                    signing_root: None,
                }],
                signed_attestations: vec![],
            },
        ],
    );
    assert!(matches!(
        db.import_interchange(&i),
        Err(InterchangeError::ValueOutOfRange { field: "slot", .. })
    ));
    assert!(db.registered_validators().unwrap().is_empty());
}

#[test]
fn reimport_is_idempotent_and_registers_unknown_keys() {
    let db = signed_db();
    let i = db
        .export_interchange(None, InterchangeFormat::Complete)
        .unwrap();
    let mut fresh = db_with(&[]);
    let first = fresh.import_interchange(&i).unwrap();
    assert_eq!(
        (
            first.entries,
            first.newly_registered,
            first.watermarks_changed
        ),
        (2, 2, 2)
    );
    // A complete export of a version-3 database: one block and one attestation per key.
    assert_eq!((first.blocks_read, first.attestations_read), (1, 2));
    let wm = fresh.watermarks(&pk(1)).unwrap();
    let again = fresh.import_interchange(&i).unwrap();
    assert_eq!((again.newly_registered, again.watermarks_changed), (0, 0));
    assert_eq!(fresh.watermarks(&pk(1)).unwrap(), wm);
}

#[test]
fn export_of_an_unregistered_key_is_an_error() {
    let db = signed_db();
    assert!(matches!(
        db.export_interchange(Some(&[pk(9)]), InterchangeFormat::Minimal),
        Err(Error::UnregisteredValidator(k)) if k == pk(9)
    ));
}

#[test]
fn malformed_json_is_an_error_not_a_panic() {
    for bad in [
        "",
        "null",
        "[]",
        "{}",
        "{\"metadata\":{}}",
        "{\"metadata\":{\"interchange_format_version\":5,\"genesis_validators_root\":\"0x00\"},\"data\":[]}",
        "{\"metadata\":{\"interchange_format_version\":\"5\"},\"data\":[]}",
        "{\"metadata\":{\"interchange_format_version\":\"5\",\"genesis_validators_root\":\"0x0000000000000000000000000000000000000000000000000000000000000000\"},\"data\":[{\"pubkey\":\"0x01\",\"signed_blocks\":[],\"signed_attestations\":[]}]}",
        "{\"metadata\":{\"interchange_format_version\":\"5\",\"genesis_validators_root\":\"0x0000000000000000000000000000000000000000000000000000000000000000\"},\"data\":{}}",
    ] {
        assert!(Interchange::from_json_str(bad).is_err(), "accepted {bad:?}");
    }
    // Every truncation of a valid document fails cleanly.
    let json = signed_db()
        .export_interchange(None, InterchangeFormat::Complete)
        .unwrap()
        .to_json_string()
        .unwrap();
    assert!(Interchange::from_json_str(&json).is_ok());
    for cut in 0..json.len() {
        assert!(Interchange::from_json_slice(&json.as_bytes()[..cut]).is_err());
    }
}

#[test]
fn all_suite_interchanges_parse() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata/eip3076/tests/generated");
    let mut n = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let v: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(entry.unwrap().path()).unwrap()).unwrap();
        for step in v["steps"].as_array().unwrap() {
            let i = Interchange::from_json_str(&step["interchange"].to_string()).unwrap();
            // Re-serialising gives a document that parses to the same value.
            assert_eq!(
                Interchange::from_json_str(&i.to_json_string().unwrap()).unwrap(),
                i
            );
            n += 1;
        }
    }
    assert_eq!(n, 49);
}

proptest! {
    #[test]
    fn arbitrary_input_never_panics(s in "\\PC{0,200}") {
        let _ = Interchange::from_json_str(&s);
    }

    #[test]
    fn mutated_documents_never_panic(pos in 0usize..600, byte in any::<u8>()) {
        let json = r#"{"metadata":{"interchange_format_version":"5","genesis_validators_root":"0x0000000000000000000000000000000000000000000000000000000000000000"},"data":[{"pubkey":"0xa99a76ed7796f7be22d5b7e85deeb7c5677e88e511e0b337618f8c4eb61349b4bf2d153f649f7b53359fe8b94a38e44c","signed_blocks":[{"slot":"81952","signing_root":"0x4ff6f743a43f3b4f95350831aeaf0a122a1a392922c45d804280284a69eb850b"}],"signed_attestations":[{"source_epoch":"2290","target_epoch":"3007","signing_root":"0x587d6a4f59a58fe24f406e0502413e77fe1babddee641fda30034ed37ecc884d"}]}]}"#;
        let mut bytes = json.as_bytes().to_vec();
        let pos = pos % bytes.len();
        bytes[pos] = byte;
        if let Ok(i) = Interchange::from_json_slice(&bytes) {
            let gvr = i.metadata.genesis_validators_root;
            let mut db = SlashingDatabase::open_in_memory(gvr).unwrap();
            db.import_interchange(&i).unwrap();
        }
    }
}

/// A reader that hands out at most `step` bytes per call, to cut every value at every place.
struct Trickle<'a> {
    bytes: &'a [u8],
    step: usize,
}

impl std::io::Read for Trickle<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.step.min(buf.len()).min(self.bytes.len());
        buf[..n].copy_from_slice(&self.bytes[..n]);
        self.bytes = &self.bytes[n..];
        Ok(n)
    }
}

/// What the streaming reader makes of `json`, read `step` bytes at a time.
fn streamed(json: &[u8], step: usize) -> Result<MinifiedInterchange, InterchangeError> {
    MinifiedInterchange::from_json_reader(Trickle { bytes: json, step })
}

/// The reference: the whole document parsed, then minified.
fn parsed_then_minified(json: &[u8]) -> Result<MinifiedInterchange, InterchangeError> {
    Interchange::from_json_slice(json).map(|i| i.minify())
}

/// The streaming reader accepts exactly what the parser accepts, and means the same by it.
fn assert_same_reading(json: &[u8]) {
    let reference = parsed_then_minified(json);
    for step in [1, 7, 4096] {
        let got = streamed(json, step);
        match (&reference, &got) {
            (Ok(a), Ok(b)) => assert_eq!(a, b, "step {step}: {}", String::from_utf8_lossy(json)),
            (Err(_), Err(_)) => {}
            _ => panic!(
                "step {step}: parser {reference:?}, stream {got:?} on {}",
                String::from_utf8_lossy(json)
            ),
        }
    }
    assert_eq!(
        MinifiedInterchange::from_json_slice(json).is_ok(),
        reference.is_ok()
    );
}

#[test]
fn the_streaming_reader_reads_every_suite_file_as_the_parser_does() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata/eip3076/tests/generated");
    for entry in std::fs::read_dir(dir).unwrap() {
        let v: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(entry.unwrap().path()).unwrap()).unwrap();
        for step in v["steps"].as_array().unwrap() {
            let compact = step["interchange"].to_string();
            let pretty = serde_json::to_string_pretty(&step["interchange"]).unwrap();
            assert_same_reading(compact.as_bytes());
            assert_same_reading(pretty.as_bytes());
        }
    }
}

#[test]
fn the_streaming_reader_refuses_what_the_parser_refuses() {
    let good = signed_db()
        .export_interchange(None, InterchangeFormat::Complete)
        .unwrap()
        .to_json_string()
        .unwrap();
    for bad in [
        "",
        "{",
        "{}",
        "[]",
        "null",
        "{\"metadata\":{\"interchange_format_version\":\"5\",\"genesis_validators_root\":\"0x0000000000000000000000000000000000000000000000000000000000000000\"}}",
        "{\"data\":[]}",
        "{\"metadata\":1,\"data\":[]}",
        "{\"metadata\":{\"interchange_format_version\":\"5\",\"genesis_validators_root\":\"0x0000000000000000000000000000000000000000000000000000000000000000\"},\"data\":[],\"data\":[]}",
        "{\"metadata\":{\"interchange_format_version\":\"5\",\"genesis_validators_root\":\"0x0000000000000000000000000000000000000000000000000000000000000000\"},\"data\":[]} x",
        "{\"metadata\":{\"interchange_format_version\":\"5\",\"genesis_validators_root\":\"0x0000000000000000000000000000000000000000000000000000000000000000\"},\"data\":[],}",
        "{\"metadata\":{\"interchange_format_version\":\"5\",\"genesis_validators_root\":\"0x0000000000000000000000000000000000000000000000000000000000000000\"},\"data\":[,]}",
        "{\"metadata\":{\"interchange_format_version\":\"5\",\"genesis_validators_root\":\"0x0000000000000000000000000000000000000000000000000000000000000000\"},\"data\":{}}",
    ] {
        assert!(parsed_then_minified(bad.as_bytes()).is_err(), "{bad}");
        assert_same_reading(bad.as_bytes());
    }
    // Unknown fields, escapes in keys and strings, odd whitespace: read alike.
    let odd = good
        .replacen(
            "\"metadata\"",
            "\"extra\": [1, {\"}\": \"]\\\"\"}], \"m\\u0065tadata\"",
            1,
        )
        .replace(',', " ,\r\n\t");
    assert!(parsed_then_minified(odd.as_bytes()).is_ok());
    assert_same_reading(odd.as_bytes());
    // Every truncation of a valid document is refused by both.
    for cut in 0..good.len() {
        assert!(
            streamed(&good.as_bytes()[..cut], 13).is_err(),
            "cut at {cut}"
        );
    }
}

#[test]
fn a_streamed_export_is_the_export() {
    let db = signed_db();
    for format in [InterchangeFormat::Minimal, InterchangeFormat::Complete] {
        let mut out = Vec::new();
        let entries = db.export_to(&mut out, None, format).unwrap();
        assert_eq!(entries, 2);
        assert_eq!(
            Interchange::from_json_slice(&out).unwrap(),
            db.export_interchange(None, format).unwrap()
        );
    }
    let mut out = Vec::new();
    assert!(matches!(
        db.export_to(&mut out, Some(&[pk(9)]), InterchangeFormat::Minimal),
        Err(InterchangeError::Database(Error::UnregisteredValidator(k))) if k == pk(9)
    ));
    // An empty database exports an empty, valid document.
    let mut out = Vec::new();
    db_with(&[])
        .export_to(&mut out, None, InterchangeFormat::Complete)
        .unwrap();
    assert!(Interchange::from_json_slice(&out).unwrap().data.is_empty());
}

#[test]
fn a_failing_writer_fails_the_export() {
    struct Full;
    impl std::io::Write for Full {
        fn write(&mut self, _: &[u8]) -> std::io::Result<usize> {
            Err(std::io::Error::other("disk full"))
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    assert!(matches!(
        signed_db().export_to(Full, None, InterchangeFormat::Complete),
        Err(InterchangeError::Io(_)) | Err(InterchangeError::Json(_))
    ));
}

proptest! {
    #[test]
    fn the_streaming_reader_agrees_on_mutated_documents(
        pos in 0usize..700,
        byte in prop::sample::select(b"{}[]\",:\\ 0x5a\n".to_vec()),
        step in 1usize..64,
    ) {
        let json = r#"{"metadata":{"interchange_format_version":"5","genesis_validators_root":"0x0000000000000000000000000000000000000000000000000000000000000000"},"data":[{"pubkey":"0xa99a76ed7796f7be22d5b7e85deeb7c5677e88e511e0b337618f8c4eb61349b4bf2d153f649f7b53359fe8b94a38e44c","signed_blocks":[{"slot":"81952","signing_root":"0x4ff6f743a43f3b4f95350831aeaf0a122a1a392922c45d804280284a69eb850b"},{"slot":"81951"}],"signed_attestations":[{"source_epoch":"2290","target_epoch":"3007","signing_root":"0x587d6a4f59a58fe24f406e0502413e77fe1babddee641fda30034ed37ecc884d"},{"source_epoch":"2291","target_epoch":"3006"}]}]}"#;
        let mut bytes = json.as_bytes().to_vec();
        let pos = pos % bytes.len();
        bytes[pos] = byte;
        let reference = parsed_then_minified(&bytes);
        let got = streamed(&bytes, step);
        prop_assert_eq!(reference.is_ok(), got.is_ok(), "{}", String::from_utf8_lossy(&bytes));
        if let (Ok(a), Ok(b)) = (reference, got) {
            prop_assert_eq!(a, b);
        }
    }
}
