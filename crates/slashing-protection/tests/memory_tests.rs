//! Export and import in memory that does not grow with the data: each runs in a child process
//! (this test binary again, running only [`child`]), which reports its own peak resident memory
//! (`VmHWM`, Linux). A small and a large case are compared: the output or input grows by tens of
//! megabytes, the peak must not.

#![allow(unused_crate_dependencies)]

mod common;

use common::*;
use lsv_consensus::B256;
use lsv_slashing_protection::{InterchangeFormat, MinifiedInterchange, SlashingDatabase};
use std::io::Write;
use std::path::Path;
use std::process::Command;

/// Set in the child's environment: what to do (`export <db> <out>` or `import <db> <file>`).
const CHILD: &str = "LSV_MEMORY_TEST_CHILD";

/// How much more the large case may peak at than the small one. An export or import that held
/// its data in memory would need several times the size difference of the files.
const MAX_GROWTH_KB: u64 = 12 * 1024;

/// The child's side: does nothing unless [`CHILD`] is set.
#[test]
fn child() {
    let Ok(job) = std::env::var(CHILD) else {
        return;
    };
    let args: Vec<&str> = job.split('\t').collect();
    let db = SlashingDatabase::open(args[1], GVR).unwrap();
    match args[0] {
        "export" => {
            let out = std::io::BufWriter::new(std::fs::File::create(args[2]).unwrap());
            db.export_to(out, None, InterchangeFormat::Complete)
                .unwrap();
        }
        "import" => {
            let mut db = db;
            let file = std::fs::File::open(args[2]).unwrap();
            let interchange = MinifiedInterchange::from_json_reader(file).unwrap();
            db.import_minified(&interchange).unwrap();
        }
        other => panic!("unknown job {other}"),
    }
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let hwm = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .unwrap()
        .trim();
    // On a line of its own: the harness prints the test's name before it.
    println!("\npeak_rss={hwm}");
}

/// Runs [`child`] with `job` and returns its peak resident memory in KiB.
fn peak_kb(job: &[&str]) -> u64 {
    let out = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "child", "--nocapture", "--test-threads=1"])
        .env(CHILD, job.join("\t"))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
        .lines()
        .find_map(|l| l.split_once("peak_rss=").map(|(_, v)| v))
        .and_then(|v| v.trim_end_matches(" kB").trim().parse().ok())
        .unwrap_or_else(|| panic!("no peak in {stdout}"))
}

/// A database with `keys` keys and `rows` legacy history rows of each kind per key (so that a
/// complete export has something to carry), on disk at `path`.
fn database(path: &Path, keys: u8, rows: u64) {
    {
        let mut db = SlashingDatabase::open(path, GVR).unwrap();
        let keys: Vec<_> = (1..=keys).map(pk).collect();
        db.register_validators(&keys).unwrap();
        for k in &keys {
            db.check_and_record(k, block(rows), root(1))
                .unwrap()
                .unwrap();
            db.check_and_record(k, att(rows, rows + 1), root(1))
                .unwrap()
                .unwrap();
        }
    }
    make_legacy_file(path, 2, rows);
    drop(SlashingDatabase::open(path, GVR).unwrap()); // migrated
}

fn len(path: &Path) -> u64 {
    std::fs::metadata(path).unwrap().len()
}

#[test]
fn a_complete_export_streams_in_bounded_memory() {
    let dir = tempfile::tempdir().unwrap();
    let (small, large) = (
        dir.path().join("small.sqlite"),
        dir.path().join("large.sqlite"),
    );
    database(&small, 10, 100);
    database(&large, 100, 2_500); // half a million rows
    let (small_out, large_out) = (dir.path().join("small.json"), dir.path().join("large.json"));
    let small_peak = peak_kb(&[
        "export",
        small.to_str().unwrap(),
        small_out.to_str().unwrap(),
    ]);
    let large_peak = peak_kb(&[
        "export",
        large.to_str().unwrap(),
        large_out.to_str().unwrap(),
    ]);
    let grown = len(&large_out) - len(&small_out);
    println!(
        "export: {small_peak} KiB peak for {} bytes, {large_peak} KiB for {} bytes",
        len(&small_out),
        len(&large_out)
    );
    assert!(
        grown > 40_000_000,
        "the large export is only {grown} bytes larger"
    );
    assert!(
        large_peak < small_peak + MAX_GROWTH_KB,
        "exporting {grown} more bytes peaked {} KiB higher ({small_peak} -> {large_peak} KiB)",
        large_peak.saturating_sub(small_peak)
    );
}

#[test]
fn an_import_streams_in_bounded_memory() {
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, keys: u8, atts: u64| {
        let path = dir.path().join(name);
        let mut out = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
        write!(
            out,
            r#"{{"metadata":{{"interchange_format_version":"5","genesis_validators_root":"{GVR}"}},"data":["#
        )
        .unwrap();
        for k in 1..=keys {
            let sep = if k == 1 { "" } else { "," };
            write!(
                out,
                r#"{sep}{{"pubkey":"{}","signed_blocks":[],"signed_attestations":["#,
                pk(k)
            )
            .unwrap();
            for a in 0..atts {
                let sep = if a == 0 { "" } else { "," };
                write!(
                    out,
                    r#"{sep}{{"source_epoch":"{a}","target_epoch":"{}","signing_root":"{}"}}"#,
                    a + 1,
                    B256::repeat_byte(k)
                )
                .unwrap();
            }
            write!(out, "]}}").unwrap();
        }
        write!(out, "]}}").unwrap();
        out.flush().unwrap();
        path
    };
    let small = write("small.json", 10, 100);
    let large = write("large.json", 100, 5_000); // half a million attestations
    let grown = len(&large) - len(&small);
    assert!(
        grown > 40_000_000,
        "the large file is only {grown} bytes larger"
    );
    let db = |name: &str| dir.path().join(name).to_str().unwrap().to_owned();
    let small_peak = peak_kb(&["import", &db("a.sqlite"), small.to_str().unwrap()]);
    let large_peak = peak_kb(&["import", &db("b.sqlite"), large.to_str().unwrap()]);
    println!(
        "import: {small_peak} KiB peak for {} bytes, {large_peak} KiB for {} bytes",
        len(&small),
        len(&large)
    );
    assert!(
        large_peak < small_peak + MAX_GROWTH_KB,
        "importing {grown} more bytes peaked {} KiB higher ({small_peak} -> {large_peak} KiB)",
        large_peak.saturating_sub(small_peak)
    );
    let imported = SlashingDatabase::open(db("b.sqlite"), GVR).unwrap();
    let wm = imported.watermarks(&pk(100)).unwrap().unwrap();
    assert_eq!(wm.attestation.unwrap().target.0, 5_000);
}
