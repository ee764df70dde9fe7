//! `lsv cluster`: one validator key shared across devices (DESIGN.md "Many devices").
//!
//! - `plan` prints what each threshold tolerates, for choosing `m`;
//! - `init` writes a cluster directory: `cluster.json` (threshold, devices) and the
//!   coordinator's request key (`coordinator.key`, mode 0600), and prints the address every
//!   device's `lsv signer --cluster-coordinator` must name;
//! - `keygen` runs the dealer-free key generation on every device and writes the deposit data
//!   and the devices' evidence beside `cluster.json`;
//! - `serve` is the coordinator: the remote-signing API for the validator client.

use crate::output::{self, CliError};
use alloy_primitives::Address;
use clap::{Args, Subcommand};
use lsv_attestation::multi::Tolerance;
use lsv_attestation::DevAttester;
use lsv_signer::cluster::{ClusterConfig, Coordinator, DeviceConfig};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// `lsv cluster …`.
#[derive(Subcommand, Debug)]
pub(crate) enum ClusterCommand {
    /// For n devices, what each threshold m tolerates: the devices that may be broken with no
    /// slashable pair of signatures possible (2m − n − 1), and those that may be down with the
    /// validator still signing (n − m). m ≤ n/2 is not a threshold: two disjoint groups could
    /// sign conflicting messages with no device broken.
    Plan(PlanArgs),
    /// Make a cluster directory: cluster.json (the threshold and the devices' URLs, in index
    /// order) and the coordinator's request key. Prints the coordinator's address, which every
    /// device must be started with (`lsv signer --cluster-coordinator ADDRESS`).
    Init(InitArgs),
    /// Generate a validator key on every device of the cluster (all must be up): no device
    /// ever holds the key, each holds a share. Writes deposit_data-<key>.json (signed by the
    /// group key) and evidence-<key>.json (every device's evidence, what C checks at join).
    Keygen(KeygenArgs),
    /// The coordinator: the remote-signing API for a validator client, signing with any m
    /// devices.
    Serve(ServeArgs),
    /// Register every device's key at the vault's device registry (`DeviceRegistry`), so that
    /// a join carries one signature per device instead of a quote: each device's P attests the
    /// key it keeps sealed (a quote, with the collateral its host attaches, or a dev
    /// signature), and one `register` transaction per device records it with its platform.
    /// Devices whose registration stays live beyond --renew-within are skipped, the others
    /// register (or renew: the lifetime restarts). All devices must be up.
    Register(RegisterArgs),
}

#[derive(Args)]
pub(crate) struct RegisterArgs {
    /// The cluster directory.
    #[arg(long, value_name = "DIR")]
    dir: PathBuf,
    /// The `DeviceRegistry` the vault's group verifier uses.
    #[arg(long, value_name = "ADDRESS", required_unless_present = "deployment")]
    registry: Option<Address>,
    /// The deployment record (`lsv deploy` writes it): its device registry (instead of
    /// --registry).
    #[arg(long, value_name = "FILE", conflicts_with = "registry")]
    deployment: Option<PathBuf>,
    /// Renew a live registration that expires within this many seconds (default 7 days), so
    /// that a device never stops counting between two runs (run it, e.g. daily, from cron).
    #[arg(long, value_name = "SECONDS", default_value_t = 7 * 24 * 3600)]
    renew_within: u64,
    /// The network the devices are pinned to.
    #[arg(long, default_value = "mainnet")]
    network: String,
    #[command(flatten)]
    rpc: crate::chain::RpcArgs,
    #[command(flatten)]
    tx: crate::chain::TxArgs,
    /// JSON instead of text: one object per device.
    #[arg(long)]
    json: bool,
}

impl std::fmt::Debug for RegisterArgs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The transaction arguments may name a key: left out.
        f.debug_struct("RegisterArgs")
            .field("dir", &self.dir)
            .field("registry", &self.registry)
            .field("network", &self.network)
            .finish_non_exhaustive()
    }
}

#[derive(Args, Debug)]
pub(crate) struct PlanArgs {
    /// Devices holding a share (1–255).
    #[arg(long, value_parser = clap::value_parser!(u8).range(1..))]
    n: u8,
    /// The threshold to mark in the table (and check: it must be a majority of n).
    #[arg(long)]
    m: Option<u8>,
    /// JSON instead of the table.
    #[arg(long)]
    json: bool,
}

#[derive(Args, Debug)]
pub(crate) struct InitArgs {
    /// The cluster directory to create.
    #[arg(long, value_name = "DIR")]
    dir: PathBuf,
    /// Shares needed to sign: a majority of the devices (`lsv cluster plan`).
    #[arg(long)]
    threshold: u8,
    /// A device's API (`http://host:port`), once per device, in index order.
    #[arg(long = "device", value_name = "URL", required = true)]
    devices: Vec<String>,
}

#[derive(Args, Debug)]
pub(crate) struct KeygenArgs {
    /// The cluster directory (`lsv cluster init`).
    #[arg(long, value_name = "DIR")]
    dir: PathBuf,
    /// The address C mints the validator's 31 sETH and position to; bound in every device's
    /// evidence, never changeable.
    #[arg(long)]
    owner: Address,
    /// The network the devices are pinned to.
    #[arg(long, default_value = "mainnet")]
    network: String,
    /// How many keys to make, one key generation after another (1 to 64). Each key made is
    /// recorded at once, so a failure part-way keeps the keys made before it.
    #[arg(long, default_value_t = 1, value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..=lsv_enclave::MAX_KEYS_PER_CALL as u64))]
    count: usize,
    /// JSON instead of text: one object per key made.
    #[arg(long)]
    json: bool,
}

#[derive(Args, Debug)]
pub(crate) struct ServeArgs {
    /// The cluster directory.
    #[arg(long, value_name = "DIR")]
    dir: PathBuf,
    /// Address to listen on (the validator client's remote-signer URL).
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:9100")]
    listen: SocketAddr,
    /// The network the devices are pinned to.
    #[arg(long, default_value = "mainnet")]
    network: String,
}

pub(crate) fn run(command: ClusterCommand) -> Result<(), CliError> {
    match command {
        ClusterCommand::Plan(args) => plan(args),
        ClusterCommand::Init(args) => init(args),
        ClusterCommand::Keygen(args) => keygen(args),
        ClusterCommand::Serve(args) => serve(args),
        ClusterCommand::Register(args) => register(args),
    }
}

/// `lsv cluster register`: every device's registration evidence, then one `register` per
/// device not yet live.
fn register(args: RegisterArgs) -> Result<(), CliError> {
    use lsv_contracts::bindings::DeviceRegistry;
    let coordinator = load(&args.dir, &args.network)?;
    let eth = args.tx.connect(&args.rpc)?;
    let registry = match (&args.deployment, args.registry) {
        (Some(path), _) => lsv_keeper::deployment::Deployment::read(path)?
            .device_registry()
            .ok_or_else(|| {
                failed(format!(
                    "{} has no DeviceRegistry: its vault checks each device's evidence at every \
                     join (deploy with --device-registry-lifetime for one)",
                    path.display()
                ))
            })?,
        (None, Some(registry)) => registry,
        (None, None) => {
            return Err(failed(
                "which registry? give --deployment FILE or --registry ADDRESS",
            ))
        }
    };
    let rt = tokio::runtime::Runtime::new().map_err(failed)?;
    let rows = rt.block_on(async {
        let answers = coordinator
            .device_registrations(registry)
            .await
            .map_err(failed)?;
        let mut rows = Vec::with_capacity(answers.len());
        // The chain's clock, which the registry's expiry is on.
        let head = eth.block_number().await.map_err(failed)?;
        let now = eth.block_timestamp(head).await.map_err(failed)?;
        for (a, i) in answers.into_iter().zip(1u8..) {
            let key = a.registration.device_key;
            let r = eth
                .view(
                    "DeviceRegistry",
                    registry,
                    &DeviceRegistry::registrationCall { deviceKey: key },
                )
                .await
                .map_err(failed)?;
            // Live beyond the renewal window: nothing to send.
            if r.registeredAt != 0 && r.expiresAt > now.saturating_add(args.renew_within) {
                rows.push(serde_json::json!({
                    "device": i, "device_key": key, "platform": r.platform,
                    "registered": false, "expires_at": r.expiresAt,
                }));
                continue;
            }
            let evidence = if a.registration.backend.is_dcap() {
                let collateral = a.collateral.as_ref().ok_or_else(|| {
                    failed(format!(
                        "device {i}'s quote came without collateral: start its signer with \
                         --dcap-collateral FILE"
                    ))
                })?;
                let collateral: lsv_contracts::dcap::QuoteCollateral =
                    serde_json::from_value(collateral.clone()).map_err(|e| {
                        failed(format!(
                            "device {i}'s collateral is not QuoteCollateralV3 JSON: {e}"
                        ))
                    })?;
                lsv_contracts::dcap::encode_device_evidence(&a.registration.evidence, &collateral)
                    .map_err(|e| failed(format!("device {i}: {e}")))?
            } else {
                a.registration.evidence.clone()
            };
            let sent = eth
                .send(
                    "DeviceRegistry",
                    registry,
                    &DeviceRegistry::registerCall {
                        deviceKey: key,
                        evidence,
                    },
                    alloy_primitives::U256::ZERO,
                )
                .await
                .map_err(|e| failed(format!("device {i} ({key}): {e}")))?;
            rows.push(serde_json::json!({
                "device": i, "device_key": key, "registered": true,
                "tx": sent.tx, "gas_used": sent.gas_used,
            }));
        }
        Ok::<_, CliError>(rows)
    })?;
    if args.json {
        return output::json(&rows);
    }
    output::stdout(|w| {
        for r in &rows {
            if r["registered"] == true {
                writeln!(
                    w,
                    "device {}: key {} registered (tx {}, {} gas)",
                    r["device"], r["device_key"], r["tx"], r["gas_used"]
                )?;
            } else {
                writeln!(
                    w,
                    "device {}: key {} registered until unix {} (beyond --renew-within)",
                    r["device"], r["device_key"], r["expires_at"]
                )?;
            }
        }
        Ok(())
    })
}

const CONFIG: &str = "cluster.json";
const REQUEST_KEY: &str = "coordinator.key";

fn failed(e: impl std::fmt::Display) -> CliError {
    CliError::Failed(e.to_string())
}

fn init(args: InitArgs) -> Result<(), CliError> {
    let n = u8::try_from(args.devices.len()).map_err(|_| failed("at most 255 devices"))?;
    let t = Tolerance::of(args.threshold, n).map_err(failed)?;
    if n < lsv_threshold::dkg::MIN_DEVICES {
        return Err(failed(
            "a cluster needs at least 2 devices; one device is a plain `lsv signer`",
        ));
    }
    if args.dir.join(CONFIG).exists() {
        return Err(failed(format!(
            "{} already exists: a cluster directory is made once",
            args.dir.join(CONFIG).display()
        )));
    }
    let config = ClusterConfig {
        threshold: args.threshold,
        devices: args
            .devices
            .into_iter()
            .map(|url| DeviceConfig { url })
            .collect(),
        validators: vec![],
    };
    let (key, secret) = DevAttester::generate().map_err(failed)?;
    std::fs::create_dir_all(&args.dir)
        .map_err(|e| failed(format!("{}: {e}", args.dir.display())))?;
    write_private(
        &args.dir.join(REQUEST_KEY),
        alloy_primitives::hex::encode(secret.as_ref()).as_bytes(),
    )?;
    save(&args.dir, &config)?;
    output::stdout(|w| {
        writeln!(w, "cluster: {}-of-{} in {}", t.m, t.n, args.dir.display())?;
        writeln!(
            w,
            "tolerates {} broken and {} down devices",
            t.broken, t.down
        )?;
        writeln!(w, "coordinator address: {}", key.address())?;
        writeln!(
            w,
            "start every device with: lsv signer --cluster-coordinator {} --listen <its URL's address> ...",
            key.address()
        )
    })
}

fn load(dir: &Path, network: &str) -> Result<Coordinator, CliError> {
    let text = std::fs::read_to_string(dir.join(CONFIG)).map_err(|e| {
        failed(format!(
            "{}: {e} (make it with `lsv cluster init`)",
            dir.join(CONFIG).display()
        ))
    })?;
    let config: ClusterConfig = serde_json::from_str(&text)
        .map_err(|e| failed(format!("{}: {e}", dir.join(CONFIG).display())))?;
    let hex = std::fs::read_to_string(dir.join(REQUEST_KEY))
        .map_err(|e| failed(format!("{}: {e}", dir.join(REQUEST_KEY).display())))?;
    let secret = zeroize::Zeroizing::new(
        <[u8; 32]>::try_from(
            alloy_primitives::hex::decode(hex.trim())
                .unwrap_or_default()
                .as_slice(),
        )
        .map_err(|_| {
            failed(format!(
                "{} is not a 32-byte hex key",
                dir.join(REQUEST_KEY).display()
            ))
        })?,
    );
    let key = DevAttester::from_secret(&secret).map_err(failed)?;
    let network = crate::load_network(network)?;
    Coordinator::new(config, network, key).map_err(failed)
}

fn save(dir: &Path, config: &ClusterConfig) -> Result<(), CliError> {
    let path = dir.join(CONFIG);
    let tmp = dir.join(format!(".{CONFIG}.tmp"));
    let text = serde_json::to_string_pretty(config).expect("config serializes");
    std::fs::write(&tmp, text + "\n")
        .and_then(|()| std::fs::rename(&tmp, &path))
        .map_err(|e| failed(format!("{}: {e}", path.display())))
}

fn write_private(path: &Path, bytes: &[u8]) -> Result<(), CliError> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options
        .open(path)
        .and_then(|mut f| f.write_all(bytes))
        .map_err(|e| failed(format!("{}: {e}", path.display())))
}

fn keygen(args: KeygenArgs) -> Result<(), CliError> {
    let mut coordinator = load(&args.dir, &args.network)?;
    let rt = tokio::runtime::Runtime::new().map_err(failed)?;
    let mut made = Vec::with_capacity(args.count);
    for i in 0..args.count {
        let generated = match rt.block_on(coordinator.generate_key(args.owner)) {
            Ok(g) => g,
            Err(e) if made.is_empty() => {
                return Err(failed(format!(
                    "key generation failed, no key was made: {e}"
                )))
            }
            Err(e) => {
                return Err(failed(format!(
                    "key generation {} of {} failed: {e}; the {} keys made before it are \
                     recorded in {} and their files written",
                    i + 1,
                    args.count,
                    made.len(),
                    args.dir.display()
                )))
            }
        };
        save(&args.dir, coordinator.config())?;
        made.push(write_key_files(&args.dir, &generated)?);
    }
    if args.json {
        return output::json(&made);
    }
    output::stdout(|w| {
        for key in &made {
            writeln!(
                w,
                "validator key: {}",
                key["pubkey"].as_str().unwrap_or_default()
            )?;
            for (i, s) in key["shares"].as_array().into_iter().flatten().enumerate() {
                writeln!(
                    w,
                    "  device {}: share {}",
                    i + 1,
                    s.as_str().unwrap_or_default()
                )?;
            }
            writeln!(
                w,
                "  deposit data: {}",
                key["deposit_data"].as_str().unwrap_or_default()
            )?;
            writeln!(
                w,
                "  evidence (for join): {}",
                key["evidence"].as_str().unwrap_or_default()
            )?;
        }
        Ok(())
    })
}

/// Writes `deposit_data-<key>.json` and `evidence-<key>.json` for a key just made; what was made
/// and where, as `--json` prints it.
fn write_key_files(
    dir: &Path,
    generated: &lsv_signer::cluster::GeneratedClusterKey,
) -> Result<serde_json::Value, CliError> {
    let short = &alloy_primitives::hex::encode(generated.validator.pubkey.0)[..12];
    let deposit_path = dir.join(format!("deposit_data-{short}.json"));
    let evidence_path = dir.join(format!("evidence-{short}.json"));
    let write = |path: &Path, value: serde_json::Value| {
        std::fs::write(
            path,
            serde_json::to_string_pretty(&value).expect("json") + "\n",
        )
        .map_err(|e| failed(format!("{}: {e}", path.display())))
    };
    write(&deposit_path, serde_json::json!([generated.deposit_data]))?;
    write(
        &evidence_path,
        serde_json::to_value(&generated.evidence).expect("json"),
    )?;
    Ok(serde_json::json!({
        "pubkey": generated.validator.pubkey,
        "shares": generated.validator.shares,
        "deposit_data": deposit_path,
        "evidence": evidence_path,
    }))
}

fn serve(args: ServeArgs) -> Result<(), CliError> {
    let coordinator = Arc::new(load(&args.dir, &args.network)?);
    let t = coordinator.config().tolerance().map_err(failed)?;
    let listener = std::net::TcpListener::bind(args.listen)
        .and_then(|l| l.set_nonblocking(true).map(|()| l))
        .map_err(|e| failed(format!("cannot listen on {}: {e}", args.listen)))?;
    let rt = tokio::runtime::Runtime::new().map_err(failed)?;
    rt.block_on(async move {
        let listener = tokio::net::TcpListener::from_std(listener).map_err(failed)?;
        tracing::info!(
            listen = %args.listen,
            threshold = t.m,
            devices = t.n,
            keys = coordinator.config().validators.len(),
            coordinator = %coordinator.address(),
            "cluster coordinator ready"
        );
        lsv_signer::cluster::serve(listener, coordinator, crate::signer::stop_signal())
            .await
            .map_err(failed)
    })
}

fn plan(args: PlanArgs) -> Result<(), CliError> {
    let n = args.n;
    if let Some(m) = args.m {
        Tolerance::of(m, n).map_err(|e| CliError::Failed(e.to_string()))?;
    }
    let rows: Vec<(u8, Option<Tolerance>)> =
        (1..=n).map(|m| (m, Tolerance::of(m, n).ok())).collect();
    if args.json {
        let thresholds: Vec<_> = rows
            .iter()
            .map(|(m, t)| match t {
                Some(t) => serde_json::json!({
                    "m": m, "n": n, "safe": true, "broken": t.broken, "down": t.down,
                }),
                None => serde_json::json!({"m": m, "n": n, "safe": false}),
            })
            .collect();
        return output::json(&serde_json::json!({ "n": n, "m": args.m, "thresholds": thresholds }));
    }
    output::stdout(|w| {
        writeln!(w, "{:<10} {:<14} may be down", "threshold", "may be broken")?;
        for (m, t) in &rows {
            let name = format!("{m}-of-{n}");
            let row = match t {
                Some(t) => {
                    let mark = if args.m == Some(*m) { "<- --m" } else { "" };
                    format!("{name:<10} {:<14} {:<12}{mark}", t.broken, t.down)
                }
                None => format!(
                    "{name:<10} not a threshold: two groups of {m} could sign conflicting messages"
                ),
            };
            writeln!(w, "{}", row.trim_end())?;
        }
        writeln!(
            w,
            "broken: no slashable pair while at most this many devices are broken or rolled \
             back (2m - n - 1); down: the validator still signs with this many off (n - m)"
        )
    })
}
