//! `lsv devnet`: lsv's embedded devnet (the `lsv-devnet` crate) with both layers and P on the
//! signing path, on the wall clock until stopped; `lsv bench devnet`: the same chain run as fast
//! as it goes, and where its time went.
//!
//! Both start the same way: anvil and the beacon chain's genesis (interop validators, C
//! deployed in the first block), then a real P in this process, pinned to the devnet by the
//! `config.yaml` it writes, with C as its withdrawal contract; P generates its keys and their
//! deposits go through the deposit contract in the first block. P never signs a slot ahead of
//! the wall clock (plus its skew), so the chain cannot run ahead of now: its genesis is put in
//! the past, the slots up to now run as fast as they go, and then one runs as each starts.
//!
//! `lsv devnet` also stands in for operators' validator clients: each `--remote-signer URL` is a
//! signer an operator runs themselves (their own P), whose keys the devnet lists and signs with
//! as a validator client configured with that URL would, missing their duties while it is down
//! (`lsv_devnet::remote::OperatorSigner`).

use crate::output::{self, CliError};
use alloy::primitives::B256;
use clap::Args;
use lsv_consensus::containers::DepositData;
use lsv_consensus::{Minimal, PublicKeyBytes};
use lsv_devnet::cost::{Costs, Part};
use lsv_devnet::devnet::{unix_now, Devnet, DevnetOptions, Timing, Undeployed};
use lsv_devnet::node::SlotReport;
use lsv_devnet::p::RunningP;
use lsv_devnet::remote::{signer_base_url, OperatorSigner, RemoteSigner, Signers};
use lsv_devnet::signer::LocalKeys;
use lsv_devnet::spec::Config;
use std::collections::BTreeSet;
use std::io::Write as _;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

type P = Minimal;
type TheDevnet = Devnet<P, Signers<LocalKeys>>;

/// `SLOTS_PER_EPOCH` of the minimal preset, the devnet's.
const SLOTS_PER_EPOCH: u64 = 8;
/// The most keys P generates for a devnet: anvil's first account pays 32 ETH for each, and
/// holds 10,000.
const MAX_P_VALIDATORS: usize = 256;

#[derive(Args)]
pub(crate) struct DevnetArgs {
    #[command(flatten)]
    chain: ChainArgs,
    /// Epochs from genesis to now, run as fast as they go at start-up (P's validators are
    /// active by the end of them).
    #[arg(long, default_value_t = 32)]
    history_epochs: u64,
    /// Replay the history at most this many slots per wall-clock second instead of as fast as
    /// it goes, so that other programs (operators' commands, a keeper) act in it as on a live
    /// chain that runs faster than the clock: each slot's block carries its own timestamp, and
    /// transactions sent meanwhile land in the next one. Once the history is replayed, slots
    /// follow the clock as always.
    #[arg(long, value_name = "SLOTS_PER_SECOND", value_parser = parse_pace)]
    replay_pace: Option<f64>,
    /// anvil's JSON-RPC port (0: any free one).
    #[arg(long, default_value_t = 8545)]
    rpc_port: u16,
    /// Where the beacon API is served.
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:5052")]
    beacon_listen: SocketAddr,
    /// Where P serves its signer API (port 0: any free one).
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:0")]
    p_listen: SocketAddr,
    /// Directory for P's data and the devnet's `config.yaml`, kept after exit. Default: a
    /// temporary directory, removed at exit.
    #[arg(long, value_name = "DIR")]
    dir: Option<PathBuf>,
    /// An operator's own signer (their P, `lsv signer --network <dir>/config.yaml
    /// --withdrawal-contract <C>`, or any Web3Signer-API signer), `http://host:port`.
    /// The devnet stands in for that operator's validator client: it lists the signer's
    /// keys at start and every second (so keys made later sign once their validators are in the
    /// registry), checks that it is pinned to this devnet (one pinned elsewhere is logged and
    /// not used; a plain Web3Signer's network cannot be asked, only its signatures checked),
    /// and signs their duties through it. The signer may start after the devnet;
    /// while it is down, times out or answers 5xx, its validators miss their duties and the
    /// chain goes on. Several: repeat the flag, or separate the URLs with commas (as the
    /// environment variable and the config file give them).
    #[arg(long = "remote-signer", value_name = "URL", value_delimiter = ',')]
    remote_signers: Vec<String>,
    /// A file of faults to inject, read before each slot so that it can be written while the
    /// devnet runs: `{"offline": [indices], "double_vote": [indices]}`. Offline validators do
    /// nothing (take a third of the network offline for an inactivity leak, say); a validator
    /// newly listed under `double_vote` signs a second, conflicting attestation at its next
    /// duty, once (a devnet-held key is then slashed; a P refuses). Absent or empty: no faults.
    #[arg(long, value_name = "FILE")]
    faults_file: Option<PathBuf>,
}

/// The validators of a devnet.
#[derive(Args)]
struct ChainArgs {
    /// Validators in all: those not in P are in the genesis state, their keys (interop keys)
    /// held by the devnet.
    #[arg(long, default_value_t = 256)]
    validators: u64,
    /// How many of the validators are P's: P generates their keys (owner: anvil's first
    /// account), they are deposited through the deposit contract in the first block with C's
    /// withdrawal credentials, and P signs every duty of theirs over its HTTP API.
    #[arg(long, default_value_t = 8)]
    p_validators: usize,
    /// `SECONDS_PER_SLOT`: the length of a slot on the wall clock (`configs/minimal.yaml`: 6).
    /// At 1 a validator's whole life takes minutes.
    #[arg(long, value_name = "N", default_value_t = Timing::DEFAULT.seconds_per_slot)]
    seconds_per_slot: u64,
    /// `SHARD_COMMITTEE_PERIOD`: epochs a validator must have been active before it may exit.
    #[arg(long, value_name = "N", default_value_t = Timing::DEFAULT.shard_committee_period)]
    shard_committee_period: u64,
    /// `MIN_VALIDATOR_WITHDRAWABILITY_DELAY`: epochs from a validator's exit until it is
    /// withdrawable.
    #[arg(
        long,
        value_name = "N",
        default_value_t = Timing::DEFAULT.min_validator_withdrawability_delay
    )]
    min_validator_withdrawability_delay: u64,
}

impl ChainArgs {
    /// The devnet's configuration with these flags' timing, checked (each at least 1).
    fn config(&self) -> Result<Config, CliError> {
        Ok(Config::devnet_with(31_337, self.timing())?)
    }

    fn timing(&self) -> Timing {
        Timing {
            seconds_per_slot: self.seconds_per_slot,
            shard_committee_period: self.shard_committee_period,
            min_validator_withdrawability_delay: self.min_validator_withdrawability_delay,
        }
    }
}

#[derive(Args)]
pub(crate) struct DevnetBenchArgs {
    #[command(flatten)]
    chain: ChainArgs,
    /// Epochs measured.
    #[arg(long, default_value_t = 20)]
    epochs: u64,
    /// Epochs run before the measurement, until P's validators are active.
    #[arg(long, default_value_t = 16)]
    warmup_epochs: u64,
}

/// A devnet with P, started.
struct Started {
    devnet: TheDevnet,
    p: RunningP,
    p_keys: Vec<PublicKeyBytes>,
    config_yaml: PathBuf,
}

/// Starts a devnet whose genesis is `genesis_time` with `config` (from `chain`'s flags), its
/// validators also signing through the operators' signers at `operators` (see the module docs).
fn start(
    chain: &ChainArgs,
    config: Config,
    genesis_time: u64,
    rpc_port: u16,
    p_listen: SocketAddr,
    dir: &Path,
    operators: &[String],
) -> Result<Started, CliError> {
    let local = chain.validators.saturating_sub(chain.p_validators as u64);
    if local < SLOTS_PER_EPOCH {
        return Err(format!(
            "--validators must be at least {SLOTS_PER_EPOCH} more than --p-validators: the \
             genesis needs validators of its own"
        )
        .into());
    }
    if chain.p_validators > MAX_P_VALIDATORS {
        return Err(format!("--p-validators must be at most {MAX_P_VALIDATORS}").into());
    }
    let mut options = DevnetOptions::new(local, genesis_time);
    options.config = config;
    options.rpc_port = rpc_port;
    // P is pinned to the chain and bound to C before C exists (its addresses are known), so
    // that C can be deployed to accept P's attestations and policy: keys P makes can join.
    let undeployed = Undeployed::<P>::start(&options).map_err(|e| format!("devnet: {e}"))?;
    let config_yaml = dir.join("config.yaml");
    let yaml = undeployed
        .network_config_yaml()
        .map_err(|e| e.to_string())?;
    std::fs::write(&config_yaml, yaml).map_err(|e| output::io_error("config.yaml", e))?;
    let vault = undeployed.contracts().map_err(|e| e.to_string())?.vault;
    let p = RunningP::start(&dir.join("p"), &config_yaml, vault, p_listen)?;
    let info = p.enclave.attestation_info();
    let attester = info
        .attester
        .ok_or("P's dev backend names no attester address")?;
    let mut genesis = undeployed
        .deploy(attester, info.policy_hash)
        .map_err(|e| format!("devnet: {e}"))?;
    let remote = RemoteSigner::connect(&p.url, &genesis.spec, &genesis.state)
        .map_err(|e| format!("P: {e}"))?;
    let owner = genesis.funder;
    let deposits = if chain.p_validators == 0 {
        Vec::new()
    } else {
        remote
            .generate_keys(owner, chain.p_validators)
            .map_err(|e| format!("P's keys: {e}"))?
    };
    let operators = operators
        .iter()
        .map(|url| {
            OperatorSigner::start(url, &genesis.spec, &genesis.state)
                .map_err(|e| format!("operator signer {url}: {e}"))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let local = std::mem::take(&mut genesis.keys);
    let devnet = genesis.launch(Signers {
        local,
        remote,
        operators,
    });
    for d in &deposits {
        let data = DepositData {
            pubkey: d.pubkey,
            withdrawal_credentials: d.withdrawal_credentials,
            amount: d.amount,
            signature: d.signature,
        };
        devnet
            .deposit(devnet.funder, &data)
            .map_err(|e| format!("deposit of {}: {e}", d.pubkey))?;
    }
    Ok(Started {
        devnet,
        p,
        p_keys: deposits.iter().map(|d| d.pubkey).collect(),
        config_yaml,
    })
}

/// How many of `keys` are active validators at the head.
fn active(devnet: &TheDevnet, keys: &[PublicKeyBytes]) -> usize {
    let state = devnet.node.head_state();
    let epoch = state.slot.as_u64() / SLOTS_PER_EPOCH;
    state
        .validators
        .iter()
        .filter(|v| {
            keys.contains(&v.pubkey)
                && v.activation_epoch.as_u64() <= epoch
                && epoch < v.exit_epoch.as_u64()
        })
        .count()
}

/// The log of each slot: a signer's refusals as they come, a line at the end of each epoch with
/// the duties missed in it (`missed` counts them across the epoch).
fn log_slot(
    devnet: &TheDevnet,
    p_keys: &[PublicKeyBytes],
    report: &SlotReport,
    missed: &mut usize,
) {
    for (validator, why) in &report.refused {
        tracing::warn!(validator, reason = %why, "a signer refused a duty");
    }
    *missed += report.missed.len();
    if !(report.slot + 1).is_multiple_of(SLOTS_PER_EPOCH) {
        return;
    }
    let state = devnet.node.head_state();
    tracing::info!(
        epoch = report.slot / SLOTS_PER_EPOCH,
        slot = report.slot,
        justified = state.current_justified_checkpoint.epoch.as_u64(),
        finalized = state.finalized_checkpoint.epoch.as_u64(),
        p_active = active(devnet, p_keys),
        missed = *missed,
        "epoch done"
    );
    *missed = 0;
}

/// The directory given, or a temporary one removed when the guard drops.
fn directory(dir: Option<PathBuf>) -> Result<(PathBuf, Option<tempfile::TempDir>), CliError> {
    match dir {
        Some(d) => {
            std::fs::create_dir_all(&d)
                .map_err(|e| output::io_error(&d.display().to_string(), e))?;
            Ok((d, None))
        }
        None => {
            let t = tempfile::Builder::new()
                .prefix("lsv-devnet-")
                .tempdir()
                .map_err(|e| output::io_error("a temporary directory", e))?;
            Ok((t.path().to_owned(), Some(t)))
        }
    }
}

pub(crate) fn run(args: DevnetArgs) -> Result<(), CliError> {
    let config = args.chain.config()?;
    for url in &args.remote_signers {
        signer_base_url(url).map_err(|e| format!("--remote-signer: {e}"))?;
    }
    let (dir, _temporary) = directory(args.dir)?;
    let seconds_per_slot = config.seconds_per_slot();
    let genesis_time = unix_now().saturating_sub(
        args.history_epochs
            .saturating_mul(SLOTS_PER_EPOCH)
            .saturating_mul(seconds_per_slot),
    );
    let Started {
        mut devnet,
        p,
        p_keys,
        config_yaml,
    } = start(
        &args.chain,
        config,
        genesis_time,
        args.rpc_port,
        args.p_listen,
        &dir,
        &args.remote_signers,
    )?;
    let beacon = devnet
        .serve_api(args.beacon_listen)
        .map_err(|e| format!("beacon API on {}: {e}", args.beacon_listen))?;
    let c = devnet.contracts;
    let accounts = write_dev_keys(&dir, devnet.dev_keys())?;
    let record_path = dir.join("deployment.json");
    let mut record_written = false;
    let operators: Vec<&str> = devnet
        .node
        .signer()
        .operators
        .iter()
        .map(|o| o.url())
        .collect();
    output::stdout(|w| {
        writeln!(
            w,
            "lsv devnet: minimal preset{}, Electra then Fulu at epoch {}, {} validators ({} in P), \
             genesis {} epochs ago{}",
            timing_note(&args.chain.timing()),
            Config::DEVNET_FULU_EPOCH,
            args.chain.validators,
            p_keys.len(),
            args.history_epochs,
            args.replay_pace
                .map(|pace| format!(" (replayed at {pace} slots per second)"))
                .unwrap_or_default()
        )?;
        writeln!(
            w,
            "  execution JSON-RPC   {} (anvil, chain id 31337; funded account {})",
            devnet.rpc_url(),
            devnet.funder
        )?;
        if let (Some(first), Some(last)) = (accounts.first(), accounts.last()) {
            writeln!(
                w,
                "  funded accounts      keys in {} … {} (anvil's public test keys: --key-file)",
                first.display(),
                last.display()
            )?;
        }
        writeln!(w, "  beacon API           http://{beacon}")?;
        writeln!(
            w,
            "  P's signer API       {} (data in {})",
            p.url,
            dir.join("p").display()
        )?;
        writeln!(w, "  network config       {}", config_yaml.display())?;
        if operators.is_empty() {
            writeln!(w, "  operator signers     none (--remote-signer URL)")?;
        } else {
            writeln!(
                w,
                "  operator signers     {} (the devnet is their validator client)",
                operators.join(", ")
            )?;
        }
        writeln!(
            w,
            "  deployment record    {} (C's, for --deployment; written once block 1 is mined)",
            record_path.display()
        )?;
        writeln!(w, "  vault (C)            {}", c.vault)?;
        writeln!(w, "  proof verifier       {}", c.proof_verifier)?;
        writeln!(
            w,
            "  attestation verifier {} (dev: a development stand-in for DCAP; P's attester)",
            c.attestation_verifier
        )?;
        w.flush()
    })?;

    let stop = Arc::new(AtomicBool::new(false));
    watch_for_stop(stop.clone())?;
    let started = Instant::now();
    let mut caught_up = false;
    let mut missed = 0;
    // History is replayed with each next slot prepared ahead (`Node::prepare_next`); slots on
    // the clock are run as they come, so that anvil's head is not ahead of the beacon chain's
    // (but for the first, which the replay may have prepared). A paced replay is a live chain
    // for those who send to it, so it prepares nothing ahead either.
    devnet.node.prepare_next = args.replay_pace.is_none();
    let mut replayed = 0u32;
    // The `double_vote` list last read: a validator double-votes once per appearance in it.
    let mut double_voted = BTreeSet::new();
    while !stop.load(Ordering::Relaxed) {
        if let Some(path) = &args.faults_file {
            let faults = read_faults(path)?;
            if faults.offline != devnet.node.offline {
                tracing::info!(validators = ?faults.offline, "offline validators");
                devnet.node.offline = faults.offline;
            }
            for &v in faults.double_vote.difference(&double_voted) {
                tracing::info!(validator = v, "to double-vote at its next duty");
                devnet.node.double_voters.insert(v);
            }
            double_voted = faults.double_vote;
        }
        if devnet.head_slot() < devnet.clock_slot() {
            if let Some(pace) = args.replay_pace {
                // The next slot's start on the paced clock.
                let due = started + Duration::from_secs_f64(f64::from(replayed) / pace);
                let now = Instant::now();
                if due > now {
                    std::thread::sleep((due - now).min(Duration::from_millis(100)));
                    continue;
                }
                replayed += 1;
            }
            let report = devnet.run_next_slot().map_err(|e| e.to_string())?;
            log_slot(&devnet, &p_keys, &report, &mut missed);
            if !record_written {
                // C's creations are mined with the first block.
                write_deployment_record(&record_path, &config_yaml, &devnet, &p)?;
                record_written = true;
            }
        } else if !caught_up {
            caught_up = true;
            devnet.node.prepare_next = false;
            tracing::info!(
                slot = devnet.head_slot(),
                seconds = started.elapsed().as_secs_f64(),
                p_active = active(&devnet, &p_keys),
                "caught up with the wall clock: one slot every {seconds_per_slot} s from now on"
            );
        } else {
            std::thread::sleep(Duration::from_millis(100));
        }
    }
    // The node (and P's client) before P.
    drop(devnet);
    drop(p);
    Ok(())
}

/// `--faults-file`'s contents.
#[derive(Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Faults {
    #[serde(default)]
    offline: BTreeSet<u64>,
    #[serde(default)]
    double_vote: BTreeSet<u64>,
}

/// The faults `--faults-file` names (none if it is absent or empty).
fn read_faults(path: &Path) -> Result<Faults, CliError> {
    match std::fs::read_to_string(path) {
        Ok(text) if text.trim().is_empty() => Ok(Faults::default()),
        Ok(text) => serde_json::from_str(&text).map_err(|e| {
            format!(
                "--faults-file {}: not {{\"offline\": [indices], \"double_vote\": [indices]}}: {e}",
                path.display()
            )
            .into()
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Faults::default()),
        Err(e) => Err(format!("--faults-file {}: {e}", path.display()).into()),
    }
}

/// `--replay-pace`: a positive, finite number of slots per second.
fn parse_pace(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(pace) if pace.is_finite() && pace > 0.0 => Ok(pace),
        _ => Err(format!(
            "{s:?} is not a positive number of slots per second"
        )),
    }
}

/// The banner's words for the flags' timing where it is not the default: the slot time, and the
/// delays named after their `config.yaml` keys; empty for the defaults.
fn timing_note(timing: &Timing) -> String {
    let default = Timing::DEFAULT;
    let mut note = String::new();
    if timing.seconds_per_slot != default.seconds_per_slot {
        note += &format!(
            ", {s}-second slots (SECONDS_PER_SLOT {s})",
            s = timing.seconds_per_slot
        );
    }
    if timing.shard_committee_period != default.shard_committee_period {
        note += &format!(", SHARD_COMMITTEE_PERIOD {}", timing.shard_committee_period);
    }
    if timing.min_validator_withdrawability_delay != default.min_validator_withdrawability_delay {
        note += &format!(
            ", MIN_VALIDATOR_WITHDRAWABILITY_DELAY {}",
            timing.min_validator_withdrawability_delay
        );
    }
    note
}

/// Writes the record of the devnet's own C (`lsv_keeper::deployment::describe` of its three
/// creations), the file `lsv deploy` would have written, so that every command taking
/// `--deployment` works on the devnet and `lsv verify-deployment` can check it.
fn write_deployment_record(
    path: &Path,
    config_yaml: &Path,
    devnet: &TheDevnet,
    p: &RunningP,
) -> Result<(), CliError> {
    use lsv_keeper::deployment::{describe, AttestationVerifierParams, ChainBinding, Parameters};
    let network = lsv_consensus::Network::from_config_file(config_yaml)
        .map_err(|e| format!("{}: {e}", config_yaml.display()))?;
    let chain = ChainBinding::of_network(&network).map_err(|e| e.to_string())?;
    let info = p.enclave.attestation_info();
    let attester = info
        .attester
        .ok_or("P's dev backend names no attester address")?;
    // What the devnet deployed C with (`lsv_devnet::devnet`: the default vault configuration).
    let vault = lsv_contracts::devnet::VaultConfig::default();
    let params = Parameters {
        attestation: AttestationVerifierParams::Dev { attester },
        policy_hash: info.policy_hash,
        max_validators: vault.max_validators,
        inactivity_trigger: vault.inactivity_trigger,
        exit_resend_blocks: vault.exit_resend_blocks,
        min_redeem_wei: vault.min_redeem,
        wind_down_delay_seconds: vault.wind_down_delay,
    };
    let eth =
        lsv_keeper::eth::Eth::connect(devnet.rpc_url(), None, lsv_keeper::eth::FeeCaps::default())
            .map_err(|e| e.to_string())?;
    let record = crate::runtime()?
        .block_on(describe(&eth, &chain, &params, &devnet.creations))
        .map_err(|e| format!("the devnet's deployment record: {e}"))?;
    output::OutputFile::create(path, output::Existing::Replace)?.commit_json(&record)
}

/// Writes anvil's development keys but the devnet's own (account 0, which sends the deposits)
/// to `dir/accounts/<n>.key`, readable by the owner only, for `lsv deploy --key-file` and the
/// other commands that send. They are Foundry's public test keys: secrets to nobody.
fn write_dev_keys(dir: &Path, keys: &[B256]) -> Result<Vec<PathBuf>, CliError> {
    use std::os::unix::fs::OpenOptionsExt;
    let accounts = dir.join("accounts");
    std::fs::create_dir_all(&accounts)
        .map_err(|e| format!("cannot create {}: {e}", accounts.display()))?;
    let mut paths = Vec::new();
    for (n, key) in keys.iter().enumerate().skip(1) {
        let path = accounts.join(format!("{n}.key"));
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o600)
            .open(&path)
            .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        writeln!(file, "{key}").map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        paths.push(path);
    }
    Ok(paths)
}

/// Sets `stop` at SIGINT or SIGTERM.
fn watch_for_stop(stop: Arc<AtomicBool>) -> Result<(), CliError> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("tokio runtime: {e}"))?;
    std::thread::Builder::new()
        .name("stop-signal".into())
        .spawn(move || {
            runtime.block_on(crate::signer::stop_signal());
            stop.store(true, Ordering::Relaxed);
        })
        .map_err(|e| output::io_error("a thread", e))?;
    Ok(())
}

/// Signing cost of raw `blst` on one core: the floor under the devnet's BLS time.
fn raw_signing_cost() -> Duration {
    let key = blst::min_pk::SecretKey::key_gen(&[7; 32], &[]).expect("32 bytes of key material");
    let dst = lsv_enclave::keyring::BLS_DST;
    let started = Instant::now();
    let mut n = 0u32;
    while n < 64 || started.elapsed() < Duration::from_millis(500) {
        std::hint::black_box(key.sign(&n.to_le_bytes(), dst, &[]));
        n += 1;
    }
    started.elapsed() / n
}

pub(crate) fn bench(args: DevnetBenchArgs) -> Result<(), CliError> {
    if args.epochs == 0 {
        return Err("--epochs must be positive".into());
    }
    let config = args.chain.config()?;
    let (dir, _temporary) = directory(None)?;
    let slots = (args.warmup_epochs + args.epochs) * SLOTS_PER_EPOCH;
    let genesis_time = lsv_devnet::remote::genesis_time_for(&config, slots);
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let raw_before = raw_signing_cost();
    let Started {
        mut devnet,
        p,
        p_keys,
        ..
    } = start(
        &args.chain,
        config,
        genesis_time,
        0,
        "127.0.0.1:0".parse().expect("an address"),
        &dir,
        &[],
    )?;
    let warmup = args.warmup_epochs * SLOTS_PER_EPOCH;
    devnet.node.prepare_next = true;
    devnet
        .run_until(warmup, |_| {})
        .map_err(|e| e.to_string())?;
    let active_p = active(&devnet, &p_keys);
    if active_p < p_keys.len() {
        return Err(format!(
            "{active_p} of P's {} validators are active after {} epochs: raise --warmup-epochs",
            p_keys.len(),
            args.warmup_epochs
        )
        .into());
    }
    let p_before = devnet.node.signer().remote.stats();
    let costs_before = Costs::now();
    let cpu_before = crate::bench::process_cpu();
    let started = Instant::now();
    devnet.run_until(slots, |_| {}).map_err(|e| e.to_string())?;
    let wall = started.elapsed();
    let cpu = crate::bench::process_cpu()
        .zip(cpu_before)
        .map(|(after, before)| after.saturating_sub(before));
    let costs = Costs::now().since(&costs_before);
    let p_after = devnet.node.signer().remote.stats();
    let p_signed = p_after.signed - p_before.signed;
    let p_busy = p_after.busy.saturating_sub(p_before.busy);
    let raw = (raw_before + raw_signing_cost()) / 2;
    let state = devnet.node.head_state();
    let finalized = state.finalized_checkpoint.epoch.as_u64();
    drop(devnet);
    drop(p);

    let epochs_per_second = args.epochs as f64 / wall.as_secs_f64();
    let machine = wall.as_secs_f64() * cores as f64;
    let local_signed = costs.calls(Part::BlsSign);
    let signatures = local_signed + p_signed;
    let floor = raw * u32::try_from(signatures).unwrap_or(u32::MAX);
    let bls = costs.time(Part::BlsSign) + costs.time(Part::BlsVerify) + p_busy;
    output::stdout(|w| {
        writeln!(
            w,
            "lsv bench devnet: minimal preset, {} validators ({} in P), {} epochs measured after {} of warm-up, {cores} cores",
            args.chain.validators,
            p_keys.len(),
            args.epochs,
            args.warmup_epochs
        )?;
        writeln!(
            w,
            "  {epochs_per_second:.3} epochs/s ({:.1} ms a slot); target >= 5: {}; finalized epoch {finalized} of {}",
            wall.as_secs_f64() * 1000.0 / (args.epochs * SLOTS_PER_EPOCH) as f64,
            if epochs_per_second >= 5.0 { "met" } else { "missed" },
            slots / SLOTS_PER_EPOCH
        )?;
        writeln!(
            w,
            "  where the time went (thread time; share of {:.2} s wall x {cores} cores):",
            wall.as_secs_f64()
        )?;
        for part in Part::ALL {
            let t = costs.time(part);
            writeln!(
                w,
                "    {:<28} {:>8.3} s {:>5.1}%  {:>7} calls",
                part.name(),
                t.as_secs_f64(),
                100.0 * t.as_secs_f64() / machine,
                costs.calls(part)
            )?;
        }
        writeln!(
            w,
            "    {:<28} {:>8.3} s {:>5.1}%  {:>7} calls",
            "P (HTTP round trips)",
            p_busy.as_secs_f64(),
            100.0 * p_busy.as_secs_f64() / machine,
            p_signed + (p_after.refused - p_before.refused)
        )?;
        if let Some(cpu) = cpu {
            writeln!(
                w,
                "    {:<28} {:>8.3} s {:>5.1}%",
                "process CPU, all threads",
                cpu.as_secs_f64(),
                100.0 * cpu.as_secs_f64() / machine
            )?;
        }
        writeln!(
            w,
            "  signatures made: {signatures} ({local_signed} with local keys, {p_signed} by P)"
        )?;
        writeln!(
            w,
            "  raw blst signing on one core: {:.0} us a signature",
            raw.as_secs_f64() * 1e6
        )?;
        writeln!(
            w,
            "  BLS time (local signing + verification + P's round trips) / raw cost of the signatures: {:.2} ({:.3} s / {:.3} s)",
            bls.as_secs_f64() / floor.as_secs_f64().max(f64::MIN_POSITIVE),
            bls.as_secs_f64(),
            floor.as_secs_f64()
        )?;
        w.flush()
    })
}
