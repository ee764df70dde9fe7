//! `lsv bench anchor` runs end to end from the real binary on a software TPM it starts itself,
//! with a few operations and epochs: every figure is reported, and every signature of every
//! run (with and without the anchor) was made. The figures themselves belong to the benchmark.

#![allow(unused_crate_dependencies)]

use std::process::Command;

const LSV: &str = env!("CARGO_BIN_EXE_lsv");

#[test]
fn bench_anchor_reports_every_figure() {
    let out = Command::new(LSV)
        .args(["bench", "anchor", "--operations", "3", "--epochs", "12"])
        .env("RUST_LOG", "error")
        .output()
        .unwrap();
    let report = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{report}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(report.contains("one reservation step"), "{report}");
    for k in [1, 2, 4, 8] {
        assert!(
            report.contains(&format!("reserve_epochs {k}: ")),
            "{report}"
        );
    }
    assert!(report.contains("witness anchor, 3 witnesses"), "{report}");
    for run in [
        "none: p50",
        "tpm2 k=1: p50",
        "tpm2 k=4: p50",
        "witness k=4: p50",
    ] {
        assert!(report.contains(run), "{report}");
    }
}
