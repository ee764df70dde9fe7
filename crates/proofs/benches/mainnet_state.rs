//! Proofs at mainnet scale: a synthetic Fulu `BeaconState` of 2^21 validators, and beside each
//! figure a plain `tree_hash` `hash_tree_root` of the same state measured in the same run.
//!
//! - **cold**: SSZ bytes to the first validator proof (`StateProver::from_ssz_vec` then
//!   `validator_proof`); the baseline is decoding the same bytes and `tree_hash_root`.
//! - **warm**: the mean time of a validator proof (all three parts) from the built prover.
//! - **update**: `StateProver::update` to a next state (every balance moved, 1% of the
//!   validators edited, 1000 appended), beside `tree_hash_root` of that state.
//! - **memory**: this process's peak resident set (`VmHWM`) from just before the cold run
//!   (reset through `/proc/self/clear_refs`), against the state's SSZ size; the bytes
//!   themselves are part of it.
//!
//! The state is made once by a helper process (this binary with `LSV_BENCH_GENERATE` set, so
//! its memory does not count) and cached as `fulu-2^21.ssz` under `CARGO_TARGET_TMPDIR`;
//! delete the file to rebuild it. Deterministic: the Electra genesis of the spec vectors grown
//! as `tests/mainnet_scale.rs` grows it, with varied balances and scores, then moved to Fulu.
//! Run: `cargo bench -p lsv-proofs --bench mainnet_state` (set `LSV_BENCH_VALIDATORS` for
//! another registry size, `LSV_BENCH_COLD_ONLY` to stop after the cold run, e.g. to profile it).

#![allow(unused_crate_dependencies)]

#[path = "../tests/common/mod.rs"]
mod common;

use lsv_consensus::{ForkName, Gwei};
use lsv_proofs::{AnyBeaconState, ProofParts, StateProver};
use ssz::Encode;
use std::path::PathBuf;
use std::time::{Duration, Instant};

const TARGET_COLD: Duration = Duration::from_secs(2);
const TARGET_WARM: Duration = Duration::from_millis(5);

fn validators() -> usize {
    std::env::var("LSV_BENCH_VALIDATORS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1 << 21)
}

fn state_path(n: usize) -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("fulu-{n}-validators.ssz"))
}

/// The synthetic state's SSZ: `n` validators, each a copy of a genesis one with a distinct
/// pubkey, varied balances and inactivity scores.
fn generate(n: usize) -> Vec<u8> {
    let mut s = common::mainnet_state().clone();
    let base = s.validators.len();
    for i in base..n {
        let mut v = s.validators[i % base];
        v.pubkey.0[..8].copy_from_slice(&(i as u64).to_le_bytes());
        s.validators.push(v).unwrap();
        s.balances.push(Gwei::new(0)).unwrap();
        s.inactivity_scores.push(0).unwrap();
        s.previous_epoch_participation.push(0).unwrap();
        s.current_epoch_participation.push(0).unwrap();
    }
    for i in 0..n {
        let x = (i as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15);
        s.balances[i] = Gwei::new(31_000_000_000 + x % 2_000_000_000);
        s.inactivity_scores[i] = if i % 5 == 0 { 0 } else { x >> 40 };
        s.previous_epoch_participation[i] = (x >> 8) as u8 & 7;
        s.current_epoch_participation[i] = (x >> 16) as u8 & 7;
    }
    common::to_fulu(&s).as_ssz_bytes()
}

fn status_kib(key: &str) -> Option<u64> {
    std::fs::read_to_string("/proc/self/status")
        .ok()?
        .lines()
        .find_map(|l| l.strip_prefix(key))?
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()
}

fn reset_peak() {
    // "5" resets VmHWM to the current resident set (proc(5), clear_refs).
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

fn mib(bytes: u64) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}

fn verdict(ok: bool) -> &'static str {
    if ok {
        "ok"
    } else {
        "OVER TARGET"
    }
}

fn main() {
    let n = validators();
    let path = state_path(n);
    // `cargo bench` passes `--bench`; `cargo test --benches` (or `--all-targets`) runs this
    // binary without it, and a test run must not build a 2^21-validator state.
    let benching = std::env::args().any(|a| a == "--bench");
    if !benching && std::env::var_os("LSV_BENCH_GENERATE").is_none() {
        println!("mainnet_state: run with `cargo bench` (skipped under `cargo test`)");
        return;
    }
    if std::env::var_os("LSV_BENCH_GENERATE").is_some() {
        std::fs::write(&path, generate(n)).expect("write the synthetic state");
        return;
    }
    if !path.exists() {
        eprintln!("generating {} (once)", path.display());
        let t = Instant::now();
        let ok = std::process::Command::new(std::env::current_exe().unwrap())
            .env("LSV_BENCH_GENERATE", "1")
            .arg("--bench")
            .status()
            .expect("run the generator")
            .success();
        assert!(ok, "the generator failed");
        eprintln!("generated in {:?}", t.elapsed());
    }
    let bytes = std::fs::read(&path).expect("read the synthetic state");
    let ssz_len = bytes.len() as u64;
    println!(
        "state: Fulu, {n} validators, {:.1} MiB of SSZ ({})",
        mib(ssz_len),
        path.display()
    );

    // Cold: bytes to the first proof.
    reset_peak();
    let rss_before = status_kib("VmRSS:").unwrap_or(0);
    let t = Instant::now();
    let prover =
        StateProver::<lsv_consensus::Mainnet>::from_ssz_vec(ForkName::Fulu, bytes).expect("decode");
    let built = t.elapsed();
    let header = common::header_for(&prover);
    let first = prover
        .validator_proof(&header, (n / 2) as u64, ProofParts::ALL)
        .expect("a proof");
    let cold = t.elapsed();
    let peak = status_kib("VmHWM:").unwrap_or(0) * 1024;
    if std::env::var_os("LSV_BENCH_COLD_ONLY").is_some() {
        println!(
            "cold {cold:.2?} (built {built:.2?}), peak {:.1} MiB",
            mib(peak)
        );
        return;
    }

    // Warm: proofs of spread-out validators.
    let count = 2000u64;
    let t = Instant::now();
    let mut size = 0;
    for k in 0..count {
        let index = k.wrapping_mul(0x9e37_79b9_7f4a_7c15) % n as u64;
        size += prover
            .validator_proof(&header, index, ProofParts::ALL)
            .expect("a proof")
            .validator_branch
            .siblings
            .len();
    }
    let warm = t.elapsed() / count as u32;
    std::hint::black_box(size);

    // Baseline: decode and a plain tree_hash hash_tree_root of the same bytes.
    let bytes = std::fs::read(&path).expect("read the synthetic state");
    let t = Instant::now();
    let state = AnyBeaconState::<lsv_consensus::Mainnet>::from_ssz_bytes(ForkName::Fulu, &bytes)
        .expect("decode");
    let decoded = t.elapsed();
    let root = state.tree_hash_root();
    let baseline = t.elapsed();
    assert_eq!(
        root,
        prover.state_root(),
        "the prover's root is tree_hash's"
    );
    assert_eq!(first.validator, state.validators()[n / 2]);
    drop(state);
    drop(bytes);

    // Update: the next epoch's state (every balance moved, 1% of the validators edited, 1000
    // appended) from the warm prover, checked against tree_hash_root of the new state.
    let mut next = prover.state().clone();
    let AnyBeaconState::Fulu(s) = &mut next else {
        unreachable!("a Fulu state")
    };
    s.slot = (s.slot.as_u64() + 32).into();
    for (i, b) in s.balances.iter_mut().enumerate() {
        *b = Gwei::new(b.as_u64() + 1 + (i as u64 % 3));
    }
    for i in (0..n).step_by(100) {
        s.validators[i].effective_balance = Gwei::new(31_000_000_000);
    }
    for i in 0..1000 {
        let mut v = s.validators[i];
        v.pubkey.0[8..16].copy_from_slice(&((n + i) as u64).to_le_bytes());
        s.validators.push(v).unwrap();
        s.balances.push(Gwei::new(32_000_000_000)).unwrap();
        s.inactivity_scores.push(0).unwrap();
        s.previous_epoch_participation.push(0).unwrap();
        s.current_epoch_participation.push(0).unwrap();
    }
    let t = Instant::now();
    let prover = prover.update(next);
    let update = t.elapsed();
    let t = Instant::now();
    let next_root = prover.state().tree_hash_root();
    let next_baseline = t.elapsed();
    assert_eq!(
        prover.state_root(),
        next_root,
        "the updated root is tree_hash's"
    );

    let ratio = |a: Duration, b: Duration| a.as_secs_f64() / b.as_secs_f64();
    println!(
        "baseline: decode {decoded:.2?} + tree_hash_root {:.2?} = {baseline:.2?}",
        baseline - decoded
    );
    println!(
        "cold (bytes to first proof): {cold:.2?} (StateProver built in {built:.2?}) = {:.2}x baseline; target {TARGET_COLD:?}: {}",
        ratio(cold, baseline),
        verdict(cold <= TARGET_COLD)
    );
    println!(
        "warm (one validator proof, all parts, mean of {count}): {warm:.2?} = {:.2e}x baseline; target {TARGET_WARM:?}: {}",
        ratio(warm, baseline),
        verdict(warm <= TARGET_WARM)
    );
    println!(
        "update to the next state (all balances, 1% of validators, 1000 appended): {update:.2?} = {:.2}x its tree_hash_root ({next_baseline:.2?})",
        ratio(update, next_baseline)
    );
    println!(
        "peak memory (VmHWM, bytes included; {:.1} MiB resident before): {:.1} MiB = {:.2}x the SSZ size; target 2x: {}",
        mib(rss_before * 1024),
        mib(peak),
        peak as f64 / ssz_len as f64,
        verdict(peak <= 2 * ssz_len)
    );
}
