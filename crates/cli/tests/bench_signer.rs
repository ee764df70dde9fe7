//! `lsv bench signer` runs end to end from the real binary: every phase completes against the
//! real HTTP signer and the report carries each figure. Timings are not asserted here (they
//! belong to the benchmark itself); only that each rate and ratio is a positive number, i.e.
//! that the load generator got answers (every answer is checked to be 200 by the bench).

#![allow(unused_crate_dependencies)]

use std::process::Command;

const LSV: &str = env!("CARGO_BIN_EXE_lsv");

/// The number after `label` on the report line that contains it.
fn figure(report: &str, label: &str) -> f64 {
    let line = report
        .lines()
        .find(|l| l.contains(label))
        .unwrap_or_else(|| panic!("no {label:?} in the report:\n{report}"));
    let rest = &line[line.find(label).unwrap() + label.len()..];
    rest.split_whitespace()
        .next()
        .and_then(|n| n.trim_end_matches(',').parse().ok())
        .unwrap_or_else(|| panic!("no number after {label:?} in {line:?}"))
}

#[test]
fn bench_signer_reports_every_figure() {
    let out = Command::new(LSV)
        .args(["bench", "signer", "--keys", "8", "--clients", "4"])
        .args(["--seconds", "0.3"])
        .env_remove("RUST_LOG")
        .env_remove("LSV_LOG_LEVEL")
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    // The report alone: no log line per generated key (or any INFO line) before it.
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("INFO"), "{stderr}");
    let report = String::from_utf8(out.stdout).unwrap();
    for label in [
        "thread(s):",
        "on 8 keys: start-up",
        "resident memory",
        "signed once, peak",
        "P in process, 1 caller(s):",
        "P in process, 4 caller(s):",
        "P over HTTP, 1 client:",
        "P over HTTP, 8 keys, 4 clients:",
        "ratio P / raw blst:",
        "CPU efficiency",
    ] {
        assert!(figure(&report, label) > 0.0, "{label:?} in:\n{report}");
    }
    assert!(figure(&report, "generated 8 keys in P in") >= 0.0);
    // Stopped as a service manager stops it, P left its database checkpointed.
    assert!(
        report.contains("stopped by SIGTERM in") && report.contains("write-ahead log left: none"),
        "{report}"
    );
}

#[test]
fn bench_signer_refuses_empty_runs() {
    for args in [["--keys", "0"], ["--clients", "0"], ["--seconds", "0"]] {
        let out = Command::new(LSV)
            .args(["bench", "signer"])
            .args(args)
            .output()
            .unwrap();
        assert!(!out.status.success(), "{args:?} was accepted");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains("must be positive"), "{args:?}: {stderr}");
    }
}

#[test]
fn bench_cluster_reports_every_figure() {
    let out = Command::new(LSV)
        .args(["bench", "cluster", "--keys", "2", "--clients", "2"])
        .args(["--seconds", "0.3"])
        .env_remove("RUST_LOG")
        .env_remove("LSV_LOG_LEVEL")
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let report = String::from_utf8(out.stdout).unwrap();
    for label in [
        "one P, 1 client:",
        "one P, 2 clients:",
        "3-of-4 cluster, 1 client:",
        "3-of-4 cluster, 2 clients:",
        "3-of-4 cluster with one device stopped, 2 clients:",
        "ratio cluster / one P: throughput",
        "p50 latency",
        "p99 latency",
    ] {
        assert!(figure(&report, label) > 0.0, "{label:?} in:\n{report}");
    }
    assert!(
        report.contains("2 key generations on a 3-of-4 cluster"),
        "{report}"
    );
}
