//! `lsv demo` as a newcomer runs it: the normal story from one command, then its report checked
//! against the chain it describes, and opened in a real browser.
//!
//! The demo runs with `--keep`, so that when it says it is done the chain is still there: the
//! report's figures (C's books at each sampled block, the claims) are read again from anvil
//! independently of the demo; then the demo is stopped with Ctrl-C and must take everything it
//! started down with it. `report.html` is then opened in headless Chromium (Debian's package,
//! which `./scripts/test` installs): a screenshot must show the charts (not a blank page), the
//! DOM must hold each chart's lines and a timeline row per event, and the browser must log no
//! console message. The other scenarios run together in a second demo, each checking its own
//! outcome. Needs anvil and chromium (`./scripts/test` installs both). Takes a minute or two.

#![allow(unused_crate_dependencies)]

mod common;

use alloy::primitives::{Address, U256};
use alloy_sol_types::{SolCall, SolEvent};
use common::{rpc_result, text, wei, LSV};
use lsv_contracts::bindings::{vault::Vault, SETH};
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// `call` on `to` at `block`, decoded.
fn view<C: SolCall>(rpc: &str, to: Address, call: C, block: u64) -> C::Return {
    let data = alloy::hex::encode_prefixed(call.abi_encode());
    let out = rpc_result(
        rpc,
        "eth_call",
        &format!(r#"[{{"to":"{to}","data":"{data}"}},"0x{block:x}"]"#),
    );
    let bytes = alloy::hex::decode(out.as_str().unwrap()).unwrap();
    C::abi_decode_returns(&bytes).unwrap()
}

fn quantity(v: &serde_json::Value) -> U256 {
    U256::from_str_radix(v.as_str().unwrap().trim_start_matches("0x"), 16).unwrap()
}

/// Every log of event `E` on `address`, decoded.
fn logs_of<E: SolEvent>(rpc: &str, address: Address) -> Vec<E> {
    let topic = E::SIGNATURE_HASH;
    let logs = rpc_result(
        rpc,
        "eth_getLogs",
        &format!(
            r#"[{{"address":"{address}","topics":["{topic}"],"fromBlock":"0x0","toBlock":"latest"}}]"#
        ),
    );
    logs.as_array()
        .unwrap()
        .iter()
        .map(|l| {
            let topics: Vec<alloy::primitives::B256> = l["topics"]
                .as_array()
                .unwrap()
                .iter()
                .map(|t| t.as_str().unwrap().parse().unwrap())
                .collect();
            let data = alloy::hex::decode(l["data"].as_str().unwrap()).unwrap();
            E::decode_raw_log(topics, &data).unwrap()
        })
        .collect()
}

#[test]
fn the_normal_story_runs_its_report_matches_the_chain_and_renders() {
    let work = tempfile::tempdir().unwrap();
    let out = work.path().join("report");
    let started = Instant::now();
    let mut demo = Command::new(LSV)
        .args(["demo", "--keep", "--out", out.to_str().unwrap()])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("lsv runs");
    let mut said = Vec::new();
    let mut stdout = BufReader::new(demo.stdout.take().unwrap());
    loop {
        let mut line = String::new();
        if stdout.read_line(&mut line).unwrap() == 0 {
            let status = demo.wait().unwrap();
            let mut err = String::new();
            std::io::Read::read_to_string(&mut demo.stderr.take().unwrap(), &mut err).unwrap();
            panic!(
                "lsv demo ended ({status}) before it was kept running:\n{}\n{err}",
                said.join("")
            );
        }
        said.push(line.clone());
        if line.starts_with("still running") {
            break;
        }
    }
    let said = said.join("");
    eprintln!("{said}");
    let story_seconds = started.elapsed().as_secs();
    assert!(said.contains("✓ four validators joined C"), "{said}");
    assert!(!said.contains('✗'), "a check failed: {said}");
    // The rest of --keep's list, then the URLs in it.
    let mut kept = String::new();
    while !kept.contains("lsv queue") {
        let mut line = String::new();
        assert!(stdout.read_line(&mut line).unwrap() > 0, "{kept}");
        kept.push_str(&line);
    }
    let url = |label: &str| -> String {
        kept.lines()
            .find_map(|l| l.trim().strip_prefix(label))
            .unwrap_or_else(|| panic!("no {label} in {kept}"))
            .split_whitespace()
            .next()
            .unwrap()
            .to_owned()
    };
    let rpc = url("execution JSON-RPC");

    // The report's facts, against the chain.
    let events: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("events.json")).unwrap()).unwrap();
    assert_eq!(events["passed"], true);
    assert_eq!(events["scenario"], "normal");
    let vault: Address = events["deployment"]["contracts"]["vault"]["address"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let seth: Address = events["deployment"]["contracts"]["seth"]["address"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let samples = events["samples"].as_array().unwrap();
    assert!(
        samples.len() >= 20,
        "an epoch sampled at least every few: {}",
        samples.len()
    );
    for s in samples {
        let block = s["block"].as_u64().unwrap();
        assert_eq!(
            wei(&s["seth_supply"]),
            view(&rpc, seth, SETH::totalSupplyCall {}, block),
            "{s}"
        );
        assert_eq!(
            wei(&s["outstanding"]),
            view(&rpc, vault, Vault::outstandingCall {}, block),
            "{s}"
        );
        assert_eq!(
            wei(&s["booked_backing"]),
            view(&rpc, vault, Vault::backingCall {}, block),
            "{s}"
        );
        let held = rpc_result(
            &rpc,
            "eth_getBalance",
            &format!(r#"["{vault}","0x{block:x}"]"#),
        );
        assert_eq!(wei(&s["vault_eth"]), quantity(&held), "{s}");
        assert!(
            wei(&s["measured_backing"]) >= wei(&s["outstanding"]),
            "sETH short of backing: {s}"
        );
    }
    // sETH minted and burned as the story says: 4 joins at 31, one 0.1 eject reward, 62
    // redeemed and finalized.
    let last = samples.last().unwrap();
    let tenths = |n: u64| U256::from(n) * U256::from(10u64).pow(U256::from(17));
    assert_eq!(wei(&last["outstanding"]), tenths(1240 + 1 - 620), "{last}");
    // Claims: what the report says was paid is what C's logs say.
    let claimed: Vec<U256> = logs_of::<Vault::Claimed>(&rpc, vault)
        .into_iter()
        .map(|c| c.amount)
        .collect();
    assert_eq!(claimed, vec![tenths(620)], "holder 1 paid 62 ETH, at par");
    let report_claims: Vec<U256> = events["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "Claimed")
        .map(|e| wei(&e["amount"]))
        .collect();
    assert_eq!(report_claims, claimed);
    // Residuals: each owner is paid what its settlement left it plus any withdrawal credited to
    // its closed position afterwards (the sweep may pay a validator once more after the proof
    // that settled it); whatever was not yet claimed is still owed in `residualOf`.
    let claims = logs_of::<Vault::ResidualClaimed>(&rpc, vault);
    let residuals: Vec<U256> = claims.iter().map(|r| r.amount).collect();
    assert_eq!(residuals.len(), 3);
    let mut owed = std::collections::BTreeMap::<U256, U256>::new();
    for s in logs_of::<Vault::Settled>(&rpc, vault) {
        *owed.entry(s.positionId).or_default() += s.toOwner;
    }
    for c in logs_of::<Vault::WithdrawalCredited>(&rpc, vault) {
        *owed.entry(c.positionId).or_default() += c.toOwner;
    }
    let head = quantity(&rpc_result(&rpc, "eth_blockNumber", "[]")).to::<u64>();
    let mut paid = std::collections::BTreeMap::<U256, U256>::new();
    for r in &claims {
        *paid.entry(r.positionId).or_default() += r.amount;
    }
    for (position, paid) in paid.iter_mut() {
        *paid += view(
            &rpc,
            vault,
            Vault::residualOfCall {
                positionId: *position,
            },
            head,
        );
    }
    for (position, paid) in &paid {
        assert_eq!(
            Some(paid),
            owed.get(position),
            "position {position}: claimed + still owed = settled + credited after"
        );
    }
    let report_residuals: Vec<U256> = events["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "ResidualClaimed")
        .map(|e| wei(&e["amount"]))
        .collect();
    assert_eq!(report_residuals, residuals);
    // The gas table has a row per action the story took, none reverted.
    let gas = events["gas"].as_array().unwrap();
    for action in [
        "join",
        "eject",
        "demandExit",
        "settle",
        "finalize",
        "claim",
        "claimResidual",
        "requestRedeem",
    ] {
        let row = gas
            .iter()
            .find(|g| g["action"] == action)
            .unwrap_or_else(|| panic!("no gas row for {action}: {gas:?}"));
        assert_eq!(row["reverted"], 0, "{row}");
        assert!(row["gas_mean"].as_u64().unwrap() > 21_000, "{row}");
    }

    // Ctrl-C: the demo stops everything it started (anvil among them).
    let killed = Command::new("kill")
        .args(["-INT", &demo.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let deadline = Instant::now() + Duration::from_secs(60);
    let status = loop {
        if let Some(status) = demo.try_wait().unwrap() {
            break status;
        }
        assert!(Instant::now() < deadline, "lsv demo did not stop on Ctrl-C");
        std::thread::sleep(Duration::from_millis(100));
    };
    assert!(status.success(), "{status}");
    let anvil = rpc.trim_start_matches("http://");
    assert!(
        std::net::TcpStream::connect(anvil).is_err(),
        "anvil still answers at {anvil} after the demo stopped"
    );
    eprintln!("the story took {story_seconds} s");

    renders_in_chromium(
        &out.join("report.html"),
        work.path(),
        events["events"].as_array().unwrap().len(),
    );
}

/// Opens `report` in headless Chromium: no console message, a screenshot that is not blank, and
/// in the DOM each chart's lines and a timeline row per event.
fn renders_in_chromium(report: &Path, work: &Path, events: usize) {
    let chromium = ["chromium", "chromium-browser", "google-chrome"]
        .into_iter()
        .find(|c| {
            Command::new(c)
                .arg("--version")
                .output()
                .is_ok_and(|o| o.status.success())
        })
        .expect("Chromium is not installed (./scripts/test installs Debian's chromium package)");
    let url = format!("file://{}", report.display());
    let browse = |extra: &[&str]| {
        let profile = tempfile::tempdir_in(work).unwrap();
        Command::new(chromium)
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--enable-logging=stderr",
                "--v=0",
                "--window-size=1200,3000",
            ])
            .arg(format!("--user-data-dir={}", profile.path().display()))
            .args(extra)
            .arg(&url)
            .output()
            .expect("chromium runs")
    };
    let shot = work.join("report.png");
    let shown = browse(&[&format!("--screenshot={}", shot.display())]);
    let log = text(&shown.stderr);
    assert!(shown.status.success(), "{log}");
    assert!(
        !log.contains("CONSOLE"),
        "the page logged to the console: {log}"
    );
    let png = resvg::tiny_skia::Pixmap::decode_png(&std::fs::read(&shot).unwrap()).unwrap();
    let pixels = png.pixels();
    let inked = pixels
        .iter()
        .filter(|p| p.red() < 200 || p.green() < 200 || p.blue() < 200)
        .count();
    let colours: std::collections::BTreeSet<(u8, u8, u8)> = pixels
        .iter()
        .filter(|p| !(p.red() == p.green() && p.green() == p.blue()))
        .map(|p| (p.red() / 32, p.green() / 32, p.blue() / 32))
        .collect();
    assert!(
        inked * 50 > pixels.len(),
        "the screenshot is nearly blank: {inked} of {} pixels inked",
        pixels.len()
    );
    assert!(
        colours.len() >= 5,
        "the charts' colours are missing: {colours:?}"
    );

    let dom = text(&browse(&["--dump-dom"]).stdout);
    for chart in ["backing", "balances", "queue", "finality"] {
        let start = dom
            .find(&format!("id=\"chart-{chart}\""))
            .unwrap_or_else(|| panic!("no chart {chart} in the page"));
        let figure = &dom[start..start + dom[start..].find("</figure>").unwrap()];
        assert!(figure.contains("<svg"), "chart {chart} has no SVG");
        assert!(
            figure.matches("<polyline").count() >= 3,
            "chart {chart} draws no lines"
        );
    }
    assert!(
        dom.contains("id=\"finding\">Backing measured on the beacon chain never fell below"),
        "the backing chart's finding"
    );
    let timeline = &dom[dom.find("id=\"timeline\"").unwrap()..];
    let timeline = &timeline[..timeline.find("</table>").unwrap()];
    assert_eq!(
        timeline.matches("<tr").count(),
        events + 1,
        "a row per event and a header"
    );
}

/// Every other scenario at once (they change the normal story in different places): each one's
/// own checks must pass, and the demo exit zero.
#[test]
fn the_other_scenarios_pass_together() {
    let work = tempfile::tempdir().unwrap();
    let out = work.path().join("report");
    let scenarios = "bank-run,forged-join,healthy-eject,replayed-proof,keeper-restart,p-restart,\
                     leak,slashing";
    let run = Command::new(LSV)
        .args([
            "demo",
            "--scenario",
            scenarios,
            "--out",
            out.to_str().unwrap(),
        ])
        .output()
        .expect("lsv runs");
    let said = text(&run.stdout);
    assert!(run.status.success(), "{said}\n{}", text(&run.stderr));
    let events: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("events.json")).unwrap()).unwrap();
    assert_eq!(events["scenario"], scenarios);
    let checks = events["checks"].as_array().unwrap();
    for expected in [
        "the bank run made the keeper demand the exit of every other position",
        "a join with a rogue P's attestation was refused",
        "C refused to eject a healthy validator",
        "C refused a settlement sent again",
        "the keeper, killed after its first settlement, finished the work",
        "validator B signed on after its P was restarted",
        "finality stopped during the leak",
        "the keeper ejected C during the leak",
        "the network validator outside C that double-voted was slashed",
        "B's P refused to double-sign, and B was never slashed",
    ] {
        let check = checks
            .iter()
            .find(|c| c["name"].as_str().unwrap().starts_with(expected))
            .unwrap_or_else(|| panic!("no check {expected:?}: {checks:#?}"));
        assert_eq!(check["passed"], true, "{check}");
    }
    // The refusals name C's custom errors.
    for error in [
        "AttestationInvalid",
        "NotEjectable",
        "InvalidPositionStatus",
    ] {
        assert!(said.contains(error), "{error} not in:\n{said}");
    }
}
