//! The EIP-3076 conformance suite (`testdata/eip3076/tests/generated/*.json`, v5.3.0), run as
//! `testdata/eip3076/SOURCE.md` "How to run one test case" says: a fresh on-disk database per
//! file, each step's interchange imported, then every block and attestation check attempted and
//! compared with `should_succeed` (this crate implements the minimal strategy). Successful
//! signings are recorded, as the suite requires.
//!
//! This crate imports every interchange with the right genesis validators root (minification),
//! including those with `contains_slashable_data: true`, so no step is ever skipped; the totals
//! are asserted so that a silently skipped file or check fails the test.

#![allow(unused_crate_dependencies)]

use lsv_consensus::{Epoch, PublicKeyBytes, SlashingSubject, Slot, B256};
use lsv_slashing_protection::{Interchange, SlashingDatabase};
use serde::Deserialize;
use std::path::PathBuf;

#[derive(Deserialize)]
struct TestFile {
    name: String,
    genesis_validators_root: B256,
    steps: Vec<Step>,
}

#[derive(Deserialize)]
struct Step {
    should_succeed: bool,
    contains_slashable_data: bool,
    /// Parsed by the crate itself, so its strict parser is part of what is tested.
    interchange: serde_json::Value,
    blocks: Vec<BlockCheck>,
    attestations: Vec<AttestationCheck>,
}

#[derive(Deserialize)]
struct BlockCheck {
    pubkey: PublicKeyBytes,
    slot: Slot,
    signing_root: B256,
    should_succeed: bool,
}

#[derive(Deserialize)]
struct AttestationCheck {
    pubkey: PublicKeyBytes,
    source_epoch: Epoch,
    target_epoch: Epoch,
    signing_root: B256,
    should_succeed: bool,
}

#[derive(Default, Debug, PartialEq, Eq)]
struct Totals {
    files: usize,
    steps: usize,
    block_checks: usize,
    attestation_checks: usize,
    passed_checks: usize,
    failed_imports_expected: usize,
    slashable_imports_accepted: usize,
}

fn suite_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../testdata/eip3076/tests/generated")
}

#[test]
fn eip3076_suite_minimal_strategy() {
    let mut paths: Vec<_> = std::fs::read_dir(suite_dir())
        .expect("testdata/eip3076/tests/generated is missing")
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    paths.sort();

    let tmp = tempfile::tempdir().unwrap();
    let mut totals = Totals::default();
    let mut failures = Vec::new();

    for path in &paths {
        let text = std::fs::read_to_string(path).unwrap();
        let file: TestFile = serde_json::from_str(&text)
            .unwrap_or_else(|e| panic!("{}: unreadable test file: {e}", path.display()));
        totals.files += 1;
        // 1. A new, empty database for the top-level genesis validators root, on disk.
        let db_path = tmp.path().join(format!("{}.sqlite", file.name));
        let mut db = SlashingDatabase::open(&db_path, file.genesis_validators_root).unwrap();

        for (i, step) in file.steps.iter().enumerate() {
            totals.steps += 1;
            let at = format!("{} step {i}", file.name);
            // 2a. Import.
            let imported = Interchange::from_json_str(&step.interchange.to_string())
                .and_then(|interchange| db.import_interchange(&interchange));
            match (step.should_succeed, &imported) {
                (true, Ok(_)) => {
                    if step.contains_slashable_data {
                        totals.slashable_imports_accepted += 1;
                    }
                }
                (false, Err(_)) => {
                    totals.failed_imports_expected += 1;
                    // A rejected import writes nothing.
                    assert!(db.registered_validators().unwrap().is_empty(), "{at}");
                }
                (true, Err(e)) => failures.push(format!("{at}: import failed: {e}")),
                (false, Ok(_)) => failures.push(format!("{at}: import should have failed")),
            }

            // Keys that appear only in the checks are registered before signing.
            let keys: Vec<_> = step
                .blocks
                .iter()
                .map(|b| b.pubkey)
                .chain(step.attestations.iter().map(|a| a.pubkey))
                .collect();
            db.register_validators(&keys).unwrap();

            // 2b. Blocks, then 2c. attestations, each recorded if accepted.
            for (j, b) in step.blocks.iter().enumerate() {
                totals.block_checks += 1;
                let decision = db
                    .check_and_record(
                        &b.pubkey,
                        SlashingSubject::Block { slot: b.slot },
                        b.signing_root,
                    )
                    .unwrap();
                if decision.is_ok() == b.should_succeed {
                    totals.passed_checks += 1;
                } else {
                    failures.push(format!(
                        "{at} block {j} (slot {}): expected should_succeed={}, got {decision:?}",
                        b.slot, b.should_succeed
                    ));
                }
            }
            for (j, a) in step.attestations.iter().enumerate() {
                totals.attestation_checks += 1;
                let subject = SlashingSubject::Attestation {
                    source: a.source_epoch,
                    target: a.target_epoch,
                };
                let decision = db
                    .check_and_record(&a.pubkey, subject, a.signing_root)
                    .unwrap();
                if decision.is_ok() == a.should_succeed {
                    totals.passed_checks += 1;
                } else {
                    failures.push(format!(
                        "{at} attestation {j} ({}, {}): expected should_succeed={}, got {decision:?}",
                        a.source_epoch, a.target_epoch, a.should_succeed
                    ));
                }
            }
        }
    }

    println!("EIP-3076 suite: {totals:?}");
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert_eq!(
        totals,
        Totals {
            files: 38,
            steps: 49,
            block_checks: 71,
            attestation_checks: 79,
            passed_checks: 150,
            failed_imports_expected: 1,
            // Every step with `contains_slashable_data: true` (21, in 20 files) was imported by
            // minification rather than rejected, so none of its checks was skipped.
            slashable_imports_accepted: 21,
        }
    );
}
