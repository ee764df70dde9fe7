//! `lsv bench anchor`: what the freshness anchor costs, `tpm2` against a software TPM (swtpm)
//! started for the run and `witness` against three witnesses (Ps started as witnesses, served
//! over HTTP on loopback in this process), and against P without an anchor in the same run.
//!
//! - The anchor operations themselves: reading the counters, and one reservation step (read,
//!   move, read; for the TPM each under an HMAC session on a fresh connection, for the
//!   witnesses each a signed request to all three in parallel, answered by a quorum).
//! - Per epoch: a step reserves `reserve_epochs` epochs, so the anchor's cost per epoch is the
//!   step's time divided by that, and its TPM writes per year `225 × 365 / reserve_epochs` on
//!   mainnet.
//! - Signing latency: one key attesting once per epoch (each request a new target, as a
//!   validator does, after 5 ms idle) through P with the anchor and without, p50/p99/max and
//!   their ratios. With the anchor, the first request of a run's last epoch starts the next
//!   reservation in the background; a request that waits on the TPM is one that jumps past the
//!   reserved run (here only the first of each run, whose P has reserved nothing yet).
//!
//! swtpm answers in about a millisecond; a hardware TPM takes tens of milliseconds a command,
//! so on real hardware the per-step time grows and the per-signature effect stays where the
//! reservation runs in the background.

use crate::output::CliError;
use clap::Args;
use lsv_consensus::containers::{AttestationData, Checkpoint};
use lsv_consensus::request::ForkInfo;
use lsv_consensus::{Epoch, Network, SignRequest, SignableMessage, B256};
use lsv_enclave::anchor::tpm2::{Swtpm, Tpm2Counters, DEFAULT_NV_INDEX};
use lsv_enclave::anchor::witness::{self, HttpTransport, WitnessCounters, WitnessEndpoint};
use lsv_enclave::anchor::{AnchorCounters, Counter};
use lsv_enclave::keystore::Kdf;
use lsv_enclave::{AnchorChoice, AttestationConfig, Clock, DataDir, DevSealer, Enclave, Policy};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How long P idles between two signatures of a latency run.
const IDLE_BETWEEN_REQUESTS: Duration = Duration::from_millis(5);

#[derive(Args)]
pub(crate) struct AnchorBenchArgs {
    /// TPM operations timed for each figure.
    #[arg(long, default_value_t = 50)]
    operations: usize,
    /// Epochs (one signature each) per latency run.
    #[arg(long, default_value_t = 400)]
    epochs: u64,
}

/// A clock at the start of the epoch it is set to.
struct EpochClock {
    network: Network,
    epoch: AtomicU64,
}

impl Clock for EpochClock {
    fn unix_seconds(&self) -> u64 {
        let slot = self.epoch.load(Ordering::SeqCst) * self.network.slots_per_epoch;
        self.network.genesis_time + slot * self.network.seconds_per_slot
    }
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// Three witnesses serving on loopback for the run: Ps started as witnesses, behind the real
/// API, on a runtime of their own.
struct Witnesses {
    urls: Vec<String>,
    _runtime: tokio::runtime::Runtime,
}

fn start_witnesses(work: &std::path::Path, n: usize) -> Result<Witnesses, String> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    let mut urls = Vec::new();
    for i in 0..n {
        let dir = work.join(format!("witness-{i}"));
        std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
        let sealer = DevSealer::open(&dir, Kdf::Pbkdf2 { c: 16 }).map_err(|e| e.to_string())?;
        let p = Enclave::open(
            &DataDir::new(&dir),
            Policy::new(Network::mainnet(), None),
            Arc::new(sealer),
            AttestationConfig::Dev,
            Arc::new(lsv_enclave::SystemClock),
        )
        .map_err(|e| e.to_string())?;
        let witness = Arc::new(p.open_witness().map_err(|e| e.to_string())?);
        let state =
            lsv_signer::AppState::with_witness(Arc::new(p), Vec::new(), None, Some(witness));
        let listener = runtime
            .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .map_err(|e| e.to_string())?;
        let addr = listener.local_addr().map_err(|e| e.to_string())?;
        runtime.spawn(lsv_signer::serve(listener, state, std::future::pending()));
        urls.push(format!("http://{addr}"));
    }
    Ok(Witnesses {
        urls,
        _runtime: runtime,
    })
}

fn time_each(n: usize, mut op: impl FnMut() -> Result<(), String>) -> Result<Duration, String> {
    let start = Instant::now();
    for _ in 0..n {
        op()?;
    }
    Ok(start.elapsed() / n as u32)
}

/// One key signing one attestation per epoch for `epochs` epochs; each signature's latency.
fn latencies(
    work: &std::path::Path,
    anchor: AnchorChoice,
    epochs: u64,
) -> Result<Vec<Duration>, String> {
    let network = Network::mainnet();
    let first = 400_000u64;
    let clock = Arc::new(EpochClock {
        network: network.clone(),
        epoch: AtomicU64::new(first),
    });
    std::fs::create_dir_all(work).map_err(|e| e.to_string())?;
    let sealer = DevSealer::open(work, Kdf::Pbkdf2 { c: 16 }).map_err(|e| e.to_string())?;
    let p = Enclave::open_with_anchor(
        &DataDir::new(work),
        Policy::new(
            network.clone(),
            Some(alloy_primitives::Address::repeat_byte(0x11)),
        ),
        Arc::new(sealer),
        AttestationConfig::Dev,
        clock.clone(),
        anchor,
    )
    .map_err(|e| e.to_string())?;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    let owner = alloy_primitives::Address::repeat_byte(0x0e);
    let key = rt
        .block_on(p.generate_keys(owner, 1))
        .map_err(|e| e.to_string())?[0]
        .pubkey;
    let mut out = Vec::with_capacity(epochs as usize);
    for target in first + 1..=first + epochs {
        clock.epoch.store(target, Ordering::SeqCst);
        let data = AttestationData {
            slot: Epoch(target).start_slot(32),
            index: 0,
            beacon_block_root: B256::repeat_byte(1),
            source: Checkpoint {
                epoch: Epoch(target - 1),
                root: B256::ZERO,
            },
            target: Checkpoint {
                epoch: Epoch(target),
                root: B256::ZERO,
            },
        };
        let request = SignRequest {
            signing_root: None,
            fork_info: Some(ForkInfo {
                fork: network.fork_object_at(Epoch(target)),
                genesis_validators_root: network.genesis_validators_root,
            }),
            message: SignableMessage::Attestation(data),
        };
        let start = Instant::now();
        rt.block_on(p.sign(&key, &request))
            .map_err(|e| format!("epoch {target}: {e}"))?;
        out.push(start.elapsed());
        // The next epoch's request comes minutes later on a chain: let a reservation started
        // in the background finish first, as it would then.
        let deadline = Instant::now() + Duration::from_secs(2);
        while p
            .anchor_status()
            .is_some_and(|a| a.window_end.as_u64() <= target + 1)
            && Instant::now() < deadline
        {
            std::thread::sleep(Duration::from_millis(1));
        }
        // Then idle a while, as a validator client's requests arrive seconds apart: every run
        // pays the same wake-up of P's threads, and none is measured warm against a cold one.
        std::thread::sleep(IDLE_BETWEEN_REQUESTS);
    }
    drop(p);
    out.sort();
    Ok(out)
}

pub(crate) fn anchor(args: AnchorBenchArgs) -> Result<(), CliError> {
    if args.operations == 0 || args.epochs < 10 {
        return Err("--operations must be positive and --epochs at least 10".into());
    }
    let work = tempfile::tempdir().map_err(|e| e.to_string())?;
    let swtpm = Swtpm::start(&work.path().join("tpm"))
        .map_err(|e| format!("swtpm (Debian: apt install swtpm): {e}"))?;
    let mut report = String::new();
    let mut line = |s: String| {
        report.push_str(&s);
        report.push('\n');
    };

    let counters = Tpm2Counters::new(
        &swtpm.tcti(),
        DEFAULT_NV_INDEX + 0x10,
        DEFAULT_NV_INDEX + 0x11,
        Some(DEFAULT_NV_INDEX + 0x12),
        zeroize::Zeroizing::new([0x42; 32]),
    );
    counters.provision().map_err(|e| e.to_string())?;
    let read = time_each(args.operations, || {
        counters.read().map(|_| ()).map_err(|e| e.to_string())
    })?;
    let step = time_each(args.operations, || {
        let now = counters.read().map_err(|e| e.to_string())?;
        let moved = counters
            .advance(Counter::Reserved, now.reserved, now.reserved + 1)
            .map_err(|e| e.to_string())?;
        moved.then_some(()).ok_or("contended")?;
        // The check that the anchor was not retired meanwhile.
        counters.read().map(|_| ()).map_err(|e| e.to_string())
    })?;
    line(format!(
        "tpm2 anchor on swtpm ({} operations each): read the three counters {:.2} ms, one \
         reservation step (read, read-increment-read, read) {:.2} ms",
        args.operations,
        ms(read),
        ms(step)
    ));
    let witnesses = start_witnesses(work.path(), 3)?;
    let transport = Arc::new(HttpTransport::new());
    let endpoints = witness::identify(&*transport, &witnesses.urls)
        .into_iter()
        .zip(&witnesses.urls)
        .map(|(identity, url)| {
            identity.map(|i| WitnessEndpoint {
                address: i.address,
                url: url.clone(),
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    let quorum = witness::quorum(3, witness::default_faults(3)).map_err(|e| e.to_string())?;
    let on_witnesses = WitnessCounters::new(
        B256::repeat_byte(0x42),
        endpoints,
        3,
        quorum,
        transport.clone(),
    );
    let witness_read = time_each(args.operations, || {
        on_witnesses.read().map(|_| ()).map_err(|e| e.to_string())
    })?;
    let witness_step = time_each(args.operations, || {
        let now = on_witnesses.read().map_err(|e| e.to_string())?;
        let moved = on_witnesses
            .advance(Counter::Reserved, now.reserved, now.reserved + 1)
            .map_err(|e| e.to_string())?;
        moved.then_some(()).ok_or("contended")?;
        on_witnesses.read().map(|_| ()).map_err(|e| e.to_string())
    })?;
    line(format!(
        "witness anchor, 3 witnesses over HTTP on loopback, quorum {quorum} ({} operations \
         each): read {:.2} ms, one reservation step (read, advance, read) {:.2} ms",
        args.operations,
        ms(witness_read),
        ms(witness_step)
    ));
    for k in [1u64, 2, 4, 8] {
        line(format!(
            "  reserve_epochs {k}: {:.3} ms of TPM time per epoch ({:.3} ms on the witnesses), \
             {} TPM writes a year on mainnet (225 epochs a day), an unclean stop sits out at \
             most {} epochs",
            ms(step) / k as f64,
            ms(witness_step) / k as f64,
            225 * 365 / k,
            k + 1
        ));
    }

    // Without the anchor before and after the anchored runs: the baseline is their mean, so
    // that the machine's drift over the run does not pass for the anchor's cost.
    let none = latencies(&work.path().join("none"), AnchorChoice::None, args.epochs)?;
    let mut rows = vec![("none", none.clone())];
    for k in [1u64, 4] {
        let dir = work.path().join(format!("tpm2-{k}"));
        let anchor = AnchorChoice::Tpm2 {
            tcti: swtpm.tcti(),
            nv_index: DEFAULT_NV_INDEX + 0x20 * k as u32,
            reserve_epochs: k,
        };
        rows.push((
            if k == 1 { "tpm2 k=1" } else { "tpm2 k=4" },
            latencies(&dir, anchor, args.epochs)?,
        ));
    }
    let anchor = AnchorChoice::Witness {
        urls: witnesses.urls.clone(),
        faults: None,
        reserve_epochs: 4,
        transport,
    };
    rows.push((
        "witness k=4",
        latencies(&work.path().join("witness-4"), anchor, args.epochs)?,
    ));
    let again = latencies(
        &work.path().join("none-again"),
        AnchorChoice::None,
        args.epochs,
    )?;
    rows.push(("none", again.clone()));
    line(format!(
        "signing latency, one attestation per epoch over {} epochs (P in process, no HTTP; \
         the first signature of each anchored run reserves on its anchor):",
        args.epochs
    ));
    let mean = |p: f64| (percentile(&none, p) + percentile(&again, p)) / 2;
    let (p50_0, p99_0) = (mean(0.5), mean(0.99));
    for (name, l) in &rows {
        let (p50, p99, max) = (percentile(l, 0.5), percentile(l, 0.99), l[l.len() - 1]);
        line(format!(
            "  {name:>11}: p50 {:.3} ms, p99 {:.3} ms, max {:.3} ms; against none: p50 x{:.2}, \
             p99 x{:.2}",
            ms(p50),
            ms(p99),
            ms(max),
            p50.as_secs_f64() / p50_0.as_secs_f64(),
            p99.as_secs_f64() / p99_0.as_secs_f64()
        ));
    }
    crate::output::stdout(|w| w.write_all(report.as_bytes()))
}
