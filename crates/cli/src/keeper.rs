//! `lsv keeper`: the keeper process (`lsv_keeper::keeper`), one round every `--interval`
//! seconds until SIGINT/SIGTERM, with Prometheus `/metrics` and a `/health` route.

use crate::chain::{RpcArgs, TxArgs, VaultArgs};
use crate::output::CliError;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use axum::Router;
use clap::Args;
use lsv_keeper::keeper::{BeaconSource, Journal, Keeper, KeeperConfig};
use lsv_keeper::prove::{node_preset, VerifierConfig};
use lsv_keeper::BeaconClient;
use prometheus::{Encoder, IntCounter, IntCounterVec, IntGauge, Opts, Registry, TextEncoder};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// `lsv keeper`.
#[derive(Args)]
pub(crate) struct KeeperArgs {
    #[command(flatten)]
    vault: VaultArgs,
    #[command(flatten)]
    rpc: RpcArgs,
    #[command(flatten)]
    tx: TxArgs,
    /// A beacon node's standard API: proofs for ejections and settlements come from its states.
    /// Without it the keeper only finalizes the queue and does the wind-down's duties.
    #[arg(long, value_name = "URL")]
    beacon_url: Option<String>,
    /// The network C verifies (`mainnet`, `hoodi`, `sepolia`, or a devnet `config.yaml`).
    #[arg(long, default_value = "mainnet")]
    network: String,
    /// The journal of what was sent (SQLite), which makes restarts safe.
    #[arg(long, value_name = "FILE", default_value = "keeper.sqlite")]
    journal: PathBuf,
    /// Seconds between rounds.
    #[arg(long, value_name = "SECONDS", default_value_t = 12)]
    interval: u64,
    /// The most the keeper spends on gas in any 24 hours, in ether.
    #[arg(long, value_name = "ETH", default_value = "0.5")]
    daily_spend_cap: String,
    /// Where to serve `/metrics` and `/health`.
    #[arg(long, value_name = "ADDRESS", default_value = "127.0.0.1:9101")]
    listen: SocketAddr,
    /// Key-generation evidence to join (a file as `lsv join --attestation-file` takes, or a
    /// directory of `*.json` such files, read again each round): each validator is joined once
    /// it is in the finalized registry. Repeatable.
    #[arg(long, value_name = "PATH")]
    join_evidence: Vec<PathBuf>,
    /// The first slot searched for withdrawals to the vault when the journal is new. Default:
    /// the slot of the deployment's block when `--deployment` is given, else the finalized one.
    #[arg(long, value_name = "SLOT")]
    scan_from_slot: Option<u64>,
    /// Run one round, print what it did as JSON, and exit.
    #[arg(long)]
    once: bool,
}

struct Metrics {
    registry: Registry,
    rounds: IntCounter,
    errors: IntCounter,
    sent: IntCounterVec,
    last_round: IntGauge,
}

impl Metrics {
    fn new() -> Result<Self, prometheus::Error> {
        let registry = Registry::new_custom(Some("lsv_keeper".into()), None)?;
        let rounds = IntCounter::new("rounds_total", "Rounds run")?;
        let errors = IntCounter::new("round_errors_total", "Rounds that failed")?;
        let sent = IntCounterVec::new(
            Opts::new("transactions_sent_total", "Transactions sent, by duty"),
            &["duty"],
        )?;
        let last_round = IntGauge::new(
            "last_round_timestamp_seconds",
            "Unix time of the last round that succeeded",
        )?;
        registry.register(Box::new(rounds.clone()))?;
        registry.register(Box::new(errors.clone()))?;
        registry.register(Box::new(sent.clone()))?;
        registry.register(Box::new(last_round.clone()))?;
        Ok(Self {
            registry,
            rounds,
            errors,
            sent,
            last_round,
        })
    }
}

struct Served {
    metrics: Metrics,
    /// A round older than this many seconds makes `/health` answer 503.
    stale_after: i64,
}

async fn metrics(State(served): State<Arc<Served>>) -> (StatusCode, String) {
    let mut out = Vec::new();
    match TextEncoder::new().encode(&served.metrics.registry.gather(), &mut out) {
        Ok(()) => (StatusCode::OK, String::from_utf8_lossy(&out).into_owned()),
        Err(e) => (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
    }
}

async fn health(State(served): State<Arc<Served>>) -> (StatusCode, String) {
    let last = served.metrics.last_round.get();
    let age = unix_now() - last;
    if last > 0 && age <= served.stale_after {
        (
            StatusCode::OK,
            format!("{{\"status\":\"ok\",\"last_round_age_seconds\":{age}}}"),
        )
    } else {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            format!("{{\"status\":\"stale\",\"last_round_timestamp\":{last}}}"),
        )
    }
}

fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

/// `lsv keeper`: rounds until stopped (or one, with `--once`).
pub(crate) fn run(args: KeeperArgs) -> Result<(), CliError> {
    let (vault, deployed_block) = args.vault.resolve()?;
    let cap = alloy::primitives::utils::parse_ether(&args.daily_spend_cap)
        .map_err(|e| format!("--daily-spend-cap {:?}: {e}", args.daily_spend_cap))?;
    let eth = args.tx.connect(&args.rpc)?;
    let journal = Journal::open(&args.journal)
        .map_err(|e| format!("journal {}: {e}", args.journal.display()))?;
    let rt = crate::runtime()?;
    let mut scan_from_slot = args.scan_from_slot;
    let network = crate::load_network(&args.network)?;
    let beacon = match &args.beacon_url {
        None => None,
        Some(url) => {
            if scan_from_slot.is_none() && deployed_block != 0 {
                // Withdrawals to the vault cannot predate it.
                let time = rt
                    .block_on(eth.block_timestamp(deployed_block))
                    .map_err(|e| e.to_string())?;
                scan_from_slot = Some(
                    time.saturating_sub(network.genesis_time) / network.seconds_per_slot.max(1),
                );
            }
            let client = BeaconClient::new(url).map_err(|e| e.to_string())?;
            let preset = rt
                .block_on(node_preset(&client))
                .map_err(|e| e.to_string())?;
            Some(BeaconSource {
                client,
                verifier: VerifierConfig::of_network(&network),
                preset,
            })
        }
    };
    let mut keeper = Keeper::new(
        eth,
        beacon,
        journal,
        KeeperConfig {
            vault,
            daily_spend_cap: cap,
            join_evidence: args.join_evidence.clone(),
            scan_from_slot,
            deposit_contract: network.deposit_contract,
            deployed_block,
        },
    );
    if args.once {
        let report = rt.block_on(keeper.round()).map_err(|e| e.to_string())?;
        return crate::output::json(&report);
    }
    let served = Arc::new(Served {
        metrics: Metrics::new().map_err(|e| format!("metrics: {e}"))?,
        stale_after: i64::try_from(args.interval.saturating_mul(3).saturating_add(60))
            .unwrap_or(i64::MAX),
    });
    rt.block_on(async move {
        let listener = tokio::net::TcpListener::bind(args.listen)
            .await
            .map_err(|e| format!("cannot listen on {}: {e}", args.listen))?;
        let app = Router::new()
            .route("/metrics", get(metrics))
            .route("/health", get(health))
            .with_state(served.clone());
        let server = tokio::spawn(async move { axum::serve(listener, app).await });
        tracing::info!(%vault, listen = %args.listen, "keeper started");
        let stop = crate::signer::stop_signal();
        tokio::pin!(stop);
        loop {
            served.metrics.rounds.inc();
            match keeper.round().await {
                Ok(report) => {
                    served.metrics.last_round.set(unix_now());
                    if report.finalized_to.is_some() {
                        served.metrics.sent.with_label_values(&["finalize"]).inc();
                    }
                    for sent in &report.sent {
                        let duty = sent.split(' ').next().unwrap_or(sent);
                        served.metrics.sent.with_label_values(&[duty]).inc();
                    }
                    tracing::info!(
                        confirmed = report.confirmed,
                        finalized_to = report.finalized_to,
                        sent = ?report.sent,
                        skipped = ?report.skipped,
                        checked_epoch = report.checked_epoch,
                        "round"
                    );
                }
                Err(e) => {
                    served.metrics.errors.inc();
                    tracing::warn!(error = %e, "round failed; retrying next round");
                }
            }
            tokio::select! {
                () = &mut stop => break,
                () = tokio::time::sleep(Duration::from_secs(args.interval)) => {}
            }
        }
        server.abort();
        tracing::info!("keeper stopped");
        Ok::<_, CliError>(())
    })?;
    Ok(())
}
