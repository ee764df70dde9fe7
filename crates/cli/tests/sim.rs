//! `lsv sim` as a user runs it: a scenario writes its two CSVs and its PNG and prints a summary
//! that agrees with the files; a bad parameter is refused by name, with no panic and no file.

#![allow(unused_crate_dependencies)]

mod common;

use common::{command, text};

#[test]
fn sim_leak_writes_its_csv_and_chart_and_summary() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let result = command()
        .args([
            "sim",
            "--scenario",
            "leak",
            "--network-validators",
            "100000",
        ])
        .args(["--vault-validators", "100", "--days", "40", "--out"])
        .arg(&out)
        .output()
        .unwrap();
    assert!(result.status.success(), "{}", text(&result.stderr));
    let stdout = text(&result.stdout);
    assert!(stdout.contains("scenario leak: 40.0 days"), "{stdout}");
    assert!(stdout.contains("who bears it"), "{stdout}");

    let samples = std::fs::read_to_string(out.join("leak.csv")).unwrap();
    let mut lines = samples.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let col = |name: &str| header.iter().position(|h| *h == name).unwrap();
    let rows: Vec<Vec<f64>> = lines
        .map(|l| l.split(',').map(|v| v.parse().unwrap()).collect())
        .collect();
    assert!(rows.len() > 100);
    // The chain leaked, and the value of sETH fell below par while it did.
    assert!(rows.iter().any(|r| r[col("leak")] == 1.0));
    let worst = rows
        .iter()
        .map(|r| r[col("value_ratio")])
        .fold(f64::INFINITY, f64::min);
    assert!(worst < 1.0);
    // The summary's worst figure is the file's (the file samples a subset of epochs, so it can
    // only be higher or equal).
    let printed: f64 = stdout
        .split("what would come back: worst ")
        .nth(1)
        .and_then(|s| s.split_whitespace().next())
        .unwrap()
        .parse()
        .unwrap();
    assert!(printed <= worst + 1e-9, "{printed} {worst}");

    let requests = std::fs::read_to_string(out.join("leak-requests.csv")).unwrap();
    assert_eq!(requests.lines().count(), 1 + 100);
    let png = std::fs::read(out.join("leak.png")).unwrap();
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
}

#[test]
fn sim_refuses_bad_parameters_by_name() {
    let dir = tempfile::tempdir().unwrap();
    let result = command()
        .args([
            "sim",
            "--scenario",
            "bank-run",
            "--redeem-share",
            "2",
            "--out",
        ])
        .arg(dir.path().join("out"))
        .output()
        .unwrap();
    assert_eq!(result.status.code(), Some(1));
    let stderr = text(&result.stderr);
    assert!(stderr.contains("redeem-share"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(!dir.path().join("out").exists());

    let result = command()
        .args(["sim", "--scenario", "no-such-scenario"])
        .output()
        .unwrap();
    assert!(!result.status.success());
    assert!(text(&result.stderr).contains("bank-run"));
}

/// `lsv sim economics` prints one line per system and horizon; lsv's staker keeps on 1 ETH what
/// the solo staker keeps on 32, and sETH's holder earns nothing; a bad horizon is refused by name.
#[test]
fn sim_economics_prints_the_table_and_refuses_bad_horizons() {
    let result = command()
        .args(["sim", "economics", "--network-validators", "500000"])
        .args(["--years", "1,5", "--validators", "10"])
        .output()
        .unwrap();
    assert!(result.status.success(), "{}", text(&result.stderr));
    let stdout = text(&result.stdout);
    let row = |name: &str, years: &str| -> Vec<String> {
        stdout
            .lines()
            .find(|l| {
                l.starts_with(name) && l[name.len()..].split_whitespace().next() == Some(years)
            })
            .unwrap_or_else(|| panic!("no {name} {years} in {stdout}"))[name.len()..]
            .split_whitespace()
            .map(str::to_string)
            .collect()
    };
    for years in ["1", "5"] {
        let lsv = row("lsv ", years);
        let solo = row("solo (0x02)", years);
        assert_eq!(lsv[1], "1.000");
        assert_eq!(lsv[2], solo[2], "kept");
        assert_eq!(lsv[4], "0.00%");
        let csm_bond: f64 = row("Lido CSM ", years)[1].parse().unwrap();
        assert!(csm_bond < 2.4, "10 validators share the first one's bond");
    }
    assert!(stdout.contains("Rocket Pool Saturn"), "{stdout}");

    let result = command()
        .args(["sim", "economics", "--years", "0"])
        .output()
        .unwrap();
    assert_eq!(result.status.code(), Some(1));
    let stderr = text(&result.stderr);
    assert!(stderr.contains("years"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}

/// `lsv sim attacker` prints one row per N with the cap marked, and the setting; a threshold
/// without a majority is refused by name, with no panic.
#[test]
fn sim_attacker_prints_the_table_and_refuses_a_minority_threshold() {
    let result = command()
        .args(["sim", "attacker", "--network-validators", "100000"])
        .args(["--max-validators", "500", "--broken", "250,2000"])
        .args([
            "--threshold-m",
            "3",
            "--threshold-n",
            "4",
            "--no-break-even",
        ])
        .output()
        .unwrap();
    assert!(result.status.success(), "{}", text(&result.stderr));
    let stdout = text(&result.stdout);
    assert!(
        stdout.contains("3-of-4 devices per key (2 to break"),
        "{stdout}"
    );
    let rows: Vec<&str> = stdout
        .lines()
        .filter(|l| l.trim_start().starts_with("250 ") || l.trim_start().starts_with("2000 "))
        .collect();
    assert_eq!(rows.len(), 2, "{stdout}");
    assert!(rows[0].contains('≤') && rows[1].contains('>'), "{stdout}");
    assert!(stdout.contains("not searched"), "{stdout}");

    let result = command()
        .args([
            "sim",
            "attacker",
            "--threshold-m",
            "2",
            "--threshold-n",
            "4",
        ])
        .output()
        .unwrap();
    assert_eq!(result.status.code(), Some(1));
    let stderr = text(&result.stderr);
    assert!(stderr.contains("m: 2-of-4"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}
