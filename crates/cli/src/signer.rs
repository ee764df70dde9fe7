//! `lsv signer`: P behind the remote-signing API until SIGINT or SIGTERM.
//!
//! Order matters: every check that can fail runs before anything is created (network, C, the
//! data directory, then the ports are bound), so a signer that cannot start leaves no new data
//! directory behind. A stop is bounded: requests in flight get [`lsv_signer::SHUTDOWN_GRACE`],
//! then the process ends; a second SIGINT or SIGTERM ends it at once.

use crate::output::CliError;
use crate::{datadir, DataArgs, InitArg, PolicyArgs};
use clap::Args;
use lsv_signer::AppState;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

#[derive(Args)]
pub(crate) struct SignerArgs {
    #[command(flatten)]
    data: DataArgs,
    #[command(flatten)]
    policy: PolicyArgs,
    #[command(flatten)]
    init: InitArg,
    /// Address to listen on. Loopback unless told otherwise: the API has no authentication.
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:9000")]
    listen: SocketAddr,
    /// Also serve the Prometheus metrics (GET /metrics, nothing else) on this address, so a
    /// scraper can reach them without reaching the signing API. They stay on --listen too.
    #[arg(long, value_name = "ADDR")]
    metrics_listen: Option<SocketAddr>,
    /// Run as one device of a cluster (`lsv cluster`): answer only requests signed by this
    /// coordinator (its address, as `lsv cluster init` printed it). Repeat for several.
    /// Health and metrics routes stay open.
    #[arg(long = "cluster-coordinator", value_name = "ADDRESS")]
    coordinators: Vec<alloy_primitives::Address>,
    /// A cluster device's trust in hardware peers: the key-generation policy (JSON: mr_enclaves,
    /// min_isv_svn, td_measurements, accepted_tcb_statuses) the other devices' DCAP quotes must
    /// meet before P deals them a share. Without it P deals to dev devices only.
    #[arg(long, value_name = "FILE")]
    cluster_peer_policy: Option<std::path::PathBuf>,
    /// A hardware cluster device's DCAP collateral for its own platform (dcap-qvl's
    /// QuoteCollateralV3 JSON, from a PCCS or Intel's PCS, kept current by the host): sent with
    /// each announcement so the other devices can verify its quote.
    #[arg(long, value_name = "FILE")]
    dcap_collateral: Option<std::path::PathBuf>,
    /// Also be a witness of other Ps' freshness anchors (their `--anchor witness
    /// --anchor-witness URL` names this signer): answer `/eth/v1/lsv/witness`, keep their
    /// records in this data directory and sign every answer with a key this P seals. The
    /// routes answer anyone (answers are signed; moving another P's record only makes it
    /// raise its watermarks); listen beyond loopback for witnesses on other machines.
    #[arg(long)]
    witness: bool,
}

/// How long the runtime may take to drop what is left once the servers have returned.
const RUNTIME_SHUTDOWN: Duration = Duration::from_secs(1);

fn bind(addr: SocketAddr, what: &str) -> Result<std::net::TcpListener, CliError> {
    let listener = std::net::TcpListener::bind(addr)
        .map_err(|e| format!("cannot listen on {addr} ({what}): {e}"))?;
    listener
        .set_nonblocking(true)
        .map_err(|e| format!("{addr}: {e}"))?;
    Ok(listener)
}

pub(crate) fn run(args: SignerArgs) -> Result<(), CliError> {
    let network = crate::load_network(&args.data.network)?;
    let policy = crate::policy_from(network, &args.policy)?;
    let (root, is_default) = crate::data_dir_of(&args.data, &policy.network)?;
    datadir::check(
        &root,
        is_default,
        datadir::Use::Create {
            init: args.init.init,
        },
    )?;
    // Bind before P opens (and, with --init, creates) anything.
    let api_listener = bind(args.listen, "--listen")?;
    let metrics_listener = args
        .metrics_listen
        .map(|a| bind(a, "--metrics-listen"))
        .transpose()?;
    let peer_policy = match &args.cluster_peer_policy {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
            let policy: lsv_attestation::KeyGenerationPolicy = serde_json::from_str(&text)
                .map_err(|e| format!("{} is not a key-generation policy: {e}", path.display()))?;
            Some(policy)
        }
        None => None,
    };
    let enclave = crate::open_checked(&args.data, &root, policy, crate::ONE_SIGNER)?;
    if let Some(policy) = peer_policy {
        tracing::info!(mr_enclaves = ?policy.mr_enclaves, td_measurements = ?policy.td_measurements, "cluster device: dealing shares to hardware peers whose quotes meet this policy");
        if enclave
            .trust_cluster_peers(lsv_enclave::ClusterPeers {
                verifier: lsv_attestation::DcapVerifier::intel(),
                policy,
            })
            .is_err()
        {
            return Err("the cluster peer policy was already set".into());
        }
    }

    let network = &enclave.policy().network;
    tracing::info!(
        network = %network.name,
        keys = enclave.public_keys().len(),
        backend = enclave.sealing_backend(),
        data_dir = %root.display(),
        "program P started"
    );
    if !enclave.is_hardware_backed() {
        tracing::warn!("dev backend: keys are sealed in software with a password in the data directory; not hardware-backed");
    }
    match enclave.anchor_status() {
        None => tracing::warn!("{}", lsv_enclave::anchor::NO_ANCHOR_WARNING),
        Some(anchor) => tracing::info!(
            backend = anchor.backend, start = ?anchor.start, window_end = %anchor.window_end,
            "freshness anchor"
        ),
    }
    match enclave.policy().withdrawal_contract {
        Some(c) => tracing::info!(withdrawal_contract = %c, "deposits only to C"),
        None => tracing::warn!(
            "no --withdrawal-contract: P signs for the keys it holds, but signs no deposit, so \
             it cannot generate keys"
        ),
    }
    for warning in crate::keys_bound_elsewhere(&enclave) {
        tracing::warn!("{warning}");
    }
    let attestation = enclave.attestation_info();
    tracing::info!(
        backend = %attestation.backend,
        hardware_backed = attestation.hardware_backed,
        attester = attestation.attester.map(|a| a.to_string()).unwrap_or_default(),
        policy_hash = %attestation.policy_hash,
        "attestation ready (GET /eth/v1/lsv/attestation)"
    );
    if !args.coordinators.is_empty() {
        tracing::info!(coordinators = ?args.coordinators, "cluster device: answering only requests these coordinators signed");
    } else if !args.listen.ip().is_loopback() {
        tracing::warn!(listen = %args.listen, "listening beyond loopback: the signing API has no authentication");
    }

    let witness = if args.witness {
        let witness = enclave
            .open_witness()
            .map_err(|e| format!("witness: {e}"))?;
        tracing::info!(address = %witness.address(), "witness of other Ps' freshness anchors (GET /eth/v1/lsv/witness)");
        Some(Arc::new(witness))
    } else {
        None
    };

    let rt = lsv_signer::runtime(&enclave).map_err(|e| format!("tokio runtime: {e}"))?;
    let p = enclave.clone();
    let result = rt.block_on(async move {
        let (stop, stopped) = tokio::sync::watch::channel(false);
        let until_stopped = move || {
            let mut stopped = stopped.clone();
            async move {
                let _ = stopped.wait_for(|s| *s).await;
            }
        };
        let state =
            AppState::with_witness(enclave, args.coordinators, args.dcap_collateral, witness);
        let listener = tokio::net::TcpListener::from_std(api_listener)
            .map_err(|e| format!("{}: {e}", args.listen))?;
        tracing::info!(listen = %args.listen, "remote-signing API ready");
        let mut api = tokio::spawn(lsv_signer::serve(listener, state.clone(), until_stopped()));
        let metrics = match metrics_listener {
            Some(l) => {
                let addr = l.local_addr().map_err(|e| e.to_string())?;
                let l = tokio::net::TcpListener::from_std(l).map_err(|e| format!("{addr}: {e}"))?;
                tracing::info!(metrics_listen = %addr, "metrics ready (GET /metrics)");
                Some(tokio::spawn(lsv_signer::serve_metrics(
                    l,
                    state,
                    until_stopped(),
                )))
            }
            None => None,
        };
        let early = tokio::select! {
            () = stop_signal() => None,
            r = &mut api => Some(r),
        };
        let _ = stop.send(true);
        // A second signal while the requests in flight finish: stop now.
        tokio::spawn(async {
            stop_signal().await;
            tracing::warn!("second stop signal: exiting without waiting");
            std::process::exit(130);
        });
        let api = match early {
            Some(r) => r,
            None => api.await,
        };
        if let Some(m) = metrics {
            if let Ok(Err(e)) = m.await {
                tracing::error!(error = %e, "metrics server");
            }
        }
        api.map_err(|e| format!("API server: {e}"))?
            .map_err(|e| format!("API server: {e}"))?;
        tracing::info!("stopped");
        Ok::<(), CliError>(())
    });
    // Requests still in flight hold P: its database is closed now, whoever still holds it (what
    // was queued is decided and committed, later checks are refused), so that the write-ahead
    // log is checkpointed away before the process exits.
    p.shutdown();
    tracing::info!("slashing-protection database closed");
    // Whatever a server left behind (a connection cut off after the grace period) is dropped
    // here, with P's last handles, within a bound.
    rt.shutdown_timeout(RUNTIME_SHUTDOWN);
    result
}

/// SIGINT (Ctrl-C) or SIGTERM (service managers, `docker stop`).
pub(crate) async fn stop_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
    tracing::info!("shutting down");
}
