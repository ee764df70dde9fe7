//! `lsv cluster plan`: the table of what each threshold tolerates, from the real binary.

#![allow(unused_crate_dependencies)]

use std::process::Command;

fn lsv(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_lsv"))
        .args(args)
        .env("RUST_LOG", "warn")
        .output()
        .unwrap()
}

#[test]
fn the_plan_for_five_devices_marks_four_of_five() {
    let out = lsv(&["cluster", "plan", "--n", "5", "--m", "4"]);
    assert!(out.status.success(), "{out:?}");
    let text = String::from_utf8(out.stdout).unwrap();
    let rows: Vec<Vec<&str>> = text
        .lines()
        .skip(1)
        .take(5)
        .map(|l| l.split_whitespace().collect())
        .collect();
    assert_eq!(rows[0][..3], ["1-of-5", "not", "a"]);
    assert_eq!(rows[1][..3], ["2-of-5", "not", "a"]);
    assert_eq!(rows[2], ["3-of-5", "0", "2"]);
    assert_eq!(rows[3], ["4-of-5", "2", "1", "<-", "--m"]);
    assert_eq!(rows[4], ["5-of-5", "4", "0"]);

    let out = lsv(&["cluster", "plan", "--n", "4", "--json"]);
    assert!(out.status.success(), "{out:?}");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["thresholds"][2]["broken"], 1, "3-of-4: {v}");
    assert_eq!(v["thresholds"][2]["down"], 1);
    assert_eq!(v["thresholds"][1]["safe"], false, "2-of-4");
}

#[test]
fn a_threshold_that_is_not_a_majority_is_refused() {
    for args in [["--n", "4", "--m", "2"], ["--n", "3", "--m", "4"]] {
        let out = lsv(&[&["cluster", "plan"][..], &args[..]].concat());
        assert_eq!(out.status.code(), Some(1), "{args:?}: {out:?}");
        let err = String::from_utf8(out.stderr).unwrap();
        assert!(err.contains("not a safe threshold"), "{err}");
    }
    let out = lsv(&["cluster", "plan", "--n", "0"]);
    assert!(!out.status.success());
}
