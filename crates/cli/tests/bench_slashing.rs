//! `lsv bench slashing` runs end to end from the real binary on a small generated interchange:
//! the import, export and prune each run in a process of their own and report time, CPU and
//! peak memory; the database stays small and no write-ahead log is left. The 10,000-key figures
//! belong to the benchmark itself (`lsv bench slashing` with its defaults).

#![allow(unused_crate_dependencies)]

use std::process::Command;

const LSV: &str = env!("CARGO_BIN_EXE_lsv");

/// The line of `report` that starts with `label`.
fn line<'a>(report: &'a str, label: &str) -> &'a str {
    report
        .lines()
        .find(|l| l.starts_with(label))
        .unwrap_or_else(|| panic!("no {label:?} in the report:\n{report}"))
}

/// The number after `word` in `line`.
fn number_after(line: &str, word: &str) -> f64 {
    let rest = &line[line
        .find(word)
        .unwrap_or_else(|| panic!("{word:?} in {line:?}"))
        + word.len()..];
    rest.split_whitespace()
        .next()
        .and_then(|n| n.trim_start_matches('(').parse().ok())
        .unwrap_or_else(|| panic!("no number after {word:?} in {line:?}"))
}

#[test]
fn bench_slashing_reports_every_figure() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("interchange.json");
    let out = Command::new(LSV)
        .args(["bench", "slashing", "--keys", "40", "--attestations", "300"])
        .args(["--blocks", "3", "--interchange"])
        .arg(&file)
        .env("RUST_LOG", "warn")
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let report = String::from_utf8(out.stdout).unwrap();

    let generated = line(&report, "interchange:");
    assert!(generated.contains("= 12120 records"), "{generated}");
    // The file was kept, and it is a valid interchange of 40 keys.
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    assert_eq!(v["data"].as_array().unwrap().len(), 40);
    assert_eq!(
        v["data"][0]["signed_attestations"]
            .as_array()
            .unwrap()
            .len(),
        300
    );

    for label in ["import:", "export (complete):", "prune:"] {
        let l = line(&report, label);
        assert!(number_after(l, label) > 0.0, "{l}");
        assert!(number_after(l, "peak memory") > 0.0, "{l}");
        assert!(l.ends_with("WAL none"), "{l}");
    }
    // One row per key: well under a megabyte for 40 keys, before and after pruning.
    for label in ["import:", "prune:"] {
        let l = line(&report, label);
        let mb = number_after(l, "database");
        assert!(mb > 0.0 && mb < 0.1, "{l}");
    }
}

#[test]
fn the_generated_interchange_is_deterministic() {
    let dir = tempfile::tempdir().unwrap();
    let mut files = Vec::new();
    for name in ["a.json", "b.json"] {
        let file = dir.path().join(name);
        let out = Command::new(LSV)
            .args(["bench", "slashing", "--keys", "3", "--attestations", "5"])
            .args(["--blocks", "1", "--interchange"])
            .arg(&file)
            .env("RUST_LOG", "warn")
            .output()
            .unwrap();
        assert!(out.status.success(), "{out:?}");
        files.push(std::fs::read(&file).unwrap());
    }
    assert_eq!(files[0], files[1]);
}
