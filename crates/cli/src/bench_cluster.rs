//! `lsv bench cluster`: a 3-of-4 cluster (four P and a coordinator on loopback) against one P,
//! in the same run, as ratios.
//!
//! Everything runs in this process on one runtime, P and coordinator and load generator alike,
//! so the cluster's figures carry its whole cost on the same cores: four P each making a durable
//! slashing record and a partial signature, and the coordinator verifying every partial and the
//! combined signature (a pairing each). A cluster spread over four machines would have four times
//! the cores; on one machine the ratio says what the extra work costs.

use crate::bench::{load, open_p, LoadResult, Plan, Workload};
use clap::Args;
use lsv_consensus::{Network, PublicKeyBytes};
use lsv_enclave::{Clock, SystemClock};
use lsv_signer::cluster::{ClusterConfig, Coordinator, DeviceConfig};
use lsv_signer::AppState;
use std::sync::Arc;
use std::time::{Duration, Instant};

#[derive(Args)]
pub(crate) struct ClusterBenchArgs {
    /// Validator keys, in the single P and in the cluster (each made by a key generation).
    #[arg(long, default_value_t = 16)]
    keys: usize,
    /// Concurrent HTTP clients for the throughput runs.
    #[arg(long, default_value_t = 16)]
    clients: usize,
    /// Seconds per measurement.
    #[arg(long, default_value_t = 5.0)]
    seconds: f64,
}

const DEVICES: usize = 4;
const THRESHOLD: u8 = 3;

pub(crate) fn cluster(args: ClusterBenchArgs) -> Result<(), crate::output::CliError> {
    if args.keys == 0 || args.clients == 0 || args.seconds <= 0.0 {
        return Err("--keys, --clients and --seconds must be positive".into());
    }
    let duration = Duration::from_secs_f64(args.seconds);
    let network = Network::mainnet();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    let root = crate::bench::tempdir()?;
    let mut stops = Vec::new();

    // One P, as `lsv signer` serves it.
    let single_dir = root.join("single");
    std::fs::create_dir_all(&single_dir).map_err(|e| e.to_string())?;
    let single = open_p(&single_dir, &network)?;
    let single_keys: Vec<PublicKeyBytes> = rt
        .block_on(single.generate_keys(alloy_primitives::Address::repeat_byte(0x22), args.keys))
        .map_err(|e| e.to_string())?
        .into_iter()
        .map(|k| k.pubkey)
        .collect();
    let single_url = rt.block_on(serve_p(single.clone(), vec![], &mut stops))?;

    // Four P answering only the coordinator, and the coordinator.
    let (request_key, _) = lsv_attestation::DevAttester::generate().map_err(|e| e.to_string())?;
    let coordinator_address = request_key.address();
    let mut devices = Vec::new();
    let mut urls = Vec::new();
    for i in 0..DEVICES {
        let dir = root.join(format!("device{i}"));
        std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
        let p = open_p(&dir, &network)?;
        urls.push(rt.block_on(serve_p(p.clone(), vec![coordinator_address], &mut stops))?);
        devices.push(p);
    }
    let config = ClusterConfig {
        threshold: THRESHOLD,
        devices: urls
            .iter()
            .map(|url| DeviceConfig { url: url.clone() })
            .collect(),
        validators: vec![],
    };
    let mut coordinator =
        Coordinator::new(config, network.clone(), request_key).map_err(|e| e.to_string())?;
    let t = Instant::now();
    for _ in 0..args.keys {
        rt.block_on(coordinator.generate_key(alloy_primitives::Address::repeat_byte(0x22)))?;
    }
    let keygen = t.elapsed();
    let cluster_keys: Vec<PublicKeyBytes> = coordinator
        .config()
        .validators
        .iter()
        .map(|v| v.pubkey)
        .collect();
    let coordinator = Arc::new(coordinator);
    let listener = rt
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .map_err(|e| e.to_string())?;
    let cluster_url = format!(
        "http://{}",
        listener.local_addr().map_err(|e| e.to_string())?
    );
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    rt.spawn(lsv_signer::cluster::serve(listener, coordinator, async {
        let _ = rx.await;
    }));
    stops.push(tx);

    let now = network
        .slot_at_unix_time(SystemClock.unix_seconds())
        .ok_or("clock before genesis")?;
    let base_epoch = now
        .epoch(network.slots_per_epoch)
        .as_u64()
        .saturating_sub(200_000);
    let plan = |url: &str, pubkeys: &[PublicKeyBytes]| {
        Arc::new(Plan {
            network: network.clone(),
            pubkeys: pubkeys.to_vec(),
            base_epoch,
            url: url.to_owned(),
        })
    };
    let run = |url: &str, keys: &[PublicKeyBytes], clients: usize, round: u64| {
        rt.block_on(load(
            plan(url, keys),
            clients,
            duration,
            round,
            Workload::Attestations,
        ))
    };
    let single_one = run(&single_url, &single_keys, 1, 0)?;
    let single_many = run(&single_url, &single_keys, args.clients, 1)?;
    let cluster_one = run(&cluster_url, &cluster_keys, 1, 0)?;
    let cluster_many = run(&cluster_url, &cluster_keys, args.clients, 1)?;
    // Device 4 stops: the cluster signs with the other three.
    let _ = stops.remove(DEVICES).send(());
    let degraded = run(&cluster_url, &cluster_keys, args.clients, 2)?;
    for s in stops {
        let _ = s.send(());
    }
    drop(rt);
    single.shutdown();
    for d in devices {
        d.shutdown();
    }
    let _ = std::fs::remove_dir_all(&root);

    let mut out = String::new();
    let line = |out: &mut String, what: &str, r: &LoadResult| {
        out.push_str(&format!(
            "{what}: {:.0} signatures/s, latency p50 {:.3} ms, p99 {:.3} ms\n",
            r.rate,
            r.p50 * 1e3,
            r.p99 * 1e3
        ));
    };
    out.push_str(&format!(
        "{} key generations on a {THRESHOLD}-of-{DEVICES} cluster: {:.2} s ({:.0} ms each)\n",
        args.keys,
        keygen.as_secs_f64(),
        keygen.as_secs_f64() * 1e3 / args.keys as f64
    ));
    line(&mut out, "one P, 1 client", &single_one);
    line(
        &mut out,
        &format!("one P, {} clients", args.clients),
        &single_many,
    );
    line(&mut out, "3-of-4 cluster, 1 client", &cluster_one);
    line(
        &mut out,
        &format!("3-of-4 cluster, {} clients", args.clients),
        &cluster_many,
    );
    line(
        &mut out,
        &format!(
            "3-of-4 cluster with one device stopped, {} clients",
            args.clients
        ),
        &degraded,
    );
    out.push_str(&format!(
        "ratio cluster / one P: throughput {:.2}, p50 latency {:.2} (1 client), p99 latency {:.2} (1 client)\n",
        cluster_many.rate / single_many.rate,
        cluster_one.p50 / single_one.p50,
        cluster_one.p99 / single_one.p99,
    ));
    crate::output::stdout(|w| w.write_all(out.as_bytes()))
}

/// Serves `p` on a loopback port (answering only `coordinators`' requests when given); its URL.
async fn serve_p(
    p: Arc<lsv_enclave::Enclave>,
    coordinators: Vec<alloy_primitives::Address>,
    stops: &mut Vec<tokio::sync::oneshot::Sender<()>>,
) -> Result<String, String> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .map_err(|e| e.to_string())?;
    let url = format!(
        "http://{}",
        listener.local_addr().map_err(|e| e.to_string())?
    );
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(lsv_signer::serve(
        listener,
        AppState::for_cluster(p, coordinators, None),
        async {
            let _ = rx.await;
        },
    ));
    stops.push(tx);
    Ok(url)
}
