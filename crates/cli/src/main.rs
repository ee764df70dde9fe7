//! `lsv`: the command line of liquid solo validating.

#![cfg_attr(test, allow(unused_crate_dependencies))]

mod bench;
mod bench_anchor;
mod bench_cluster;
mod bench_slashing;
mod chain;
mod cluster;
mod config;
mod datadir;
mod demo;
mod devnet;
mod exit;
mod keeper;
mod logging;
mod output;
mod prove;
mod signer;
mod sim;
mod staker;

use alloy_primitives::Address;
use clap::{Args, CommandFactory, FromArgMatches, Parser, Subcommand, ValueEnum};
use lsv_attestation::{GramineDcapAttester, TdxDcapAttester};
use lsv_consensus::Network;
use lsv_enclave::{
    AttestationConfig, DataDir, DevSealer, Enclave, EncryptedMountSealer, Policy, ProtectionError,
    StartError, SystemClock,
};
use lsv_slashing_protection::{
    ImportSummary, InterchangeFormat, MinifiedInterchange, PruneSummary,
};
use output::{CliError, Existing, OutputFile};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

#[derive(Parser)]
#[command(
    name = "lsv",
    version,
    about = "Liquid solo validating: slashing-protected signer and tools",
    after_help = "Every flag can also be set by an environment variable (shown as [env: …]) or \
                  in a YAML file given by --config-file; the command line wins, then the \
                  environment, then the file."
)]
struct Cli {
    #[command(flatten)]
    global: GlobalArgs,
    #[command(subcommand)]
    command: Command,
}

#[derive(Args)]
#[command(next_help_heading = "Configuration and logging (every command)")]
struct GlobalArgs {
    /// A YAML file of settings: each key is a flag's long name, at the top level for the flags
    /// shared by the commands (`data-dir: /var/lib/lsv/hoodi`), or under its command
    /// (`keys: {generate: {count: 4}}`). Flags and environment variables override it.
    #[arg(long, global = true, value_name = "FILE")]
    config_file: Option<PathBuf>,
    /// What to log: a level (error, warn, info, debug, trace) or `tracing` directives
    /// (`info,lsv_enclave=debug`). Default: info for `signer`, warn for the other commands
    /// (they report through their own output), or RUST_LOG when it is set.
    #[arg(long, global = true, value_name = "FILTER")]
    log_level: Option<String>,
    /// How log lines are written, on standard error and in --log-file.
    #[arg(long, global = true, value_enum, default_value_t = logging::LogFormat::Text)]
    log_format: logging::LogFormat,
    /// Also append every log line to this file (created if absent; opened in append mode, so
    /// logrotate's `copytruncate` works).
    #[arg(long, global = true, value_name = "FILE")]
    log_file: Option<PathBuf>,
}

#[derive(Subcommand)]
enum Command {
    /// Run program P as a remote signer (the Web3Signer API) for any validator client.
    Signer(signer::SignerArgs),
    /// Generate validator keys inside P and read what it holds (the signer must not be running;
    /// while it runs, use its HTTP routes).
    Keys {
        #[command(subcommand)]
        command: KeysCommand,
    },
    /// Print what a verifier for this P needs: attestation backend, the dev attester's address
    /// (for `DevAttestationVerifier`), the policy hash (`POLICY_HASH`), chain and credentials.
    Attestation {
        #[command(flatten)]
        data: DataArgs,
        #[command(flatten)]
        policy: PolicyArgs,
        #[command(flatten)]
        init: InitArg,
    },
    /// The freshness anchor: move the slashing record to a new one (the signer must not be
    /// running).
    Anchor {
        #[command(subcommand)]
        command: AnchorCommand,
    },
    /// Slashing-protection database: EIP-3076 interchange export/import, pruning (the signer
    /// must not be running).
    Slashing {
        #[command(subcommand)]
        command: SlashingCommand,
    },
    /// Proofs for the vault (with the EIP-4788 timestamp), from a beacon node or files.
    Prove {
        #[command(subcommand)]
        command: prove::ProveCommand,
    },
    /// Deploy C (attestation verifier, proof verifier, vault with its tokens) on the chain at
    /// --rpc for --network, after checking the chain's system contracts; writes deployment.json.
    Deploy(chain::DeployArgs),
    /// Re-check a deployment.json against the chain: creation inputs, runtimes, tokens.
    VerifyDeployment(chain::VerifyDeploymentArgs),
    /// Send a key's 32 ETH to the deposit contract, after checking its deposit data (root,
    /// the vault's credentials, amount, BLS signature over the deposit domain).
    Deposit(staker::DepositArgs),
    /// Wait until a deposited validator is in the beacon registry, prove it and join the
    /// vault with P's attestation: 31 sETH and a position to the attestation's owner.
    Join(staker::JoinArgs),
    /// Show a position (or an owner's positions): status, debt, residual, beacon balance and
    /// distance to ejection.
    Position(staker::PositionArgs),
    /// Exit a validator: P signs a voluntary exit, submitted to the beacon node.
    Exit(exit::ExitArgs),
    /// Claim a position's residual (its withdrawals beyond its debt) once it is settled.
    Claim(exit::ClaimArgs),
    /// Burn sETH into a redemption request at the end of the vault's queue (FCFS).
    Redeem(chain::RedeemArgs),
    /// The redemption queue: rate in force, buffer, and an owner's requests with their place
    /// in line and what each can claim.
    Queue(chain::QueueArgs),
    /// Claim finalized redemption requests (all of the sender's, or the ids given).
    ClaimRedemption(chain::ClaimRedemptionArgs),
    /// A validator key shared across devices (DESIGN.md "Many devices"): plan a threshold,
    /// make a cluster, generate keys on its devices, and serve the coordinator.
    Cluster {
        #[command(subcommand)]
        command: cluster::ClusterCommand,
    },
    /// Run the keeper: finalizes the queue and, with --beacon-url, proves live positions and
    /// sends what the vault's rules allow (marks, ejections, demand exits, heartbeat); journaled
    /// in SQLite so that restarts never send twice; serves /metrics and /health.
    Keeper(keeper::KeeperArgs),
    /// The whole system on the embedded devnet, in one command: C deployed, operators' Ps,
    /// the keeper, and a scripted story checked against the chain; writes a report.
    Demo(demo::DemoArgs),
    /// Run lsv's embedded devnet: anvil and a minimal-preset beacon chain (Electra, then Fulu)
    /// with C deployed and P signing for its validators, until stopped.
    Devnet(devnet::DevnetArgs),
    /// Simulate C under stress (issue 19): a scenario's backing of sETH over time, its worst
    /// shortfall, who bears it and the time to redeem; writes CSV and a PNG chart.
    Sim(sim::SimArgs),
    /// Benchmarks that print a ratio against a baseline measured in the same run.
    Bench {
        #[command(subcommand)]
        command: BenchCommand,
    },
}

/// Where P is and which backend opens it: what every command that opens P needs.
#[derive(Args, Clone)]
struct DataArgs {
    /// P's data directory: its sealed keys, key records and slashing-protection database.
    /// Default: `lsv/<network>` under the user's data directory ($XDG_DATA_HOME, else
    /// ~/.local/share; ~/Library/Application Support on macOS).
    #[arg(long, value_name = "DIR")]
    data_dir: Option<PathBuf>,
    /// The pinned network: `mainnet`, `hoodi`, `sepolia`, or the path of a devnet `config.yaml`
    /// (with GENESIS_TIME and GENESIS_VALIDATORS_ROOT added).
    #[arg(long, default_value = "mainnet")]
    network: String,
    /// Sealing and attestation backend: `dev` (software only, not hardware-backed),
    /// `sgx-dcap` (inside an SGX enclave under gramine-sgx: keys on the MRENCLAVE-keyed
    /// encrypted mount, DCAP quotes from Gramine's /dev/attestation) or `tdx-dcap` (inside an
    /// Intel TDX trust domain: keys under <data-dir>/sealed, the data directory on a volume the
    /// TD image encrypts and authenticates; DCAP v4 quotes from Linux's configfs-tsm).
    #[arg(long, value_enum, default_value_t = AttestationBackend::Dev)]
    attestation: AttestationBackend,
    /// Gramine's attestation pseudo-files (sgx-dcap only).
    #[arg(long, value_name = "DIR", default_value = lsv_attestation::gramine::DEFAULT_ROOT)]
    gramine_attestation_dir: PathBuf,
    /// configfs-tsm's report directory (tdx-dcap only).
    #[arg(long, value_name = "DIR", default_value = lsv_attestation::tdx::DEFAULT_ROOT)]
    tdx_report_dir: PathBuf,
    /// Dev only: the dev attestation key a new P seals (a file holding a secp256k1 secret in
    /// hex) instead of making its own; a P holding another key is refused. A development
    /// stand-in for a hardware vendor's root: the Ps of one dev deployment share it, so one
    /// `DevAttestationVerifier` accepts the keys of each.
    #[arg(long, value_name = "FILE")]
    dev_attester_key_file: Option<PathBuf>,
    /// Freshness anchor: `none` (slashing safety then assumes a host that never restarts P on
    /// an old copy of its data directory nor runs two copies at once; P warns at start and in
    /// /healthcheck), `tpm2` (two NV counters of a TPM 2.0 that only this P can move) or
    /// `witness` (two counters kept by a quorum of other Ps, --anchor-witness). With either, P
    /// refuses to sign after a rollback, and of two copies only one signs for any epoch. A
    /// data directory once anchored refuses `none`.
    #[arg(long, value_enum, default_value_t = AnchorBackend::None)]
    anchor: AnchorBackend,
    /// The TPM of the `tpm2` anchor, as a tpm2-tss TCTI: `device:/dev/tpmrm0` (the kernel's
    /// resource manager), `swtpm:host=127.0.0.1,port=2321` (a software TPM).
    #[arg(long, value_name = "TCTI", default_value = lsv_enclave::anchor::tpm2::DEFAULT_TCTI)]
    tpm2_tcti: String,
    /// The NV index of the `tpm2` anchor's session counter when the anchor is made (its
    /// reservation counter takes the next index); afterwards the anchor's file decides.
    #[arg(long, value_name = "INDEX", default_value = "0x014c5300", value_parser = parse_nv_index)]
    tpm2_nv_index: u32,
    /// Epochs each touch of the anchor reserves, when the anchor is made: the anchor is
    /// touched about once per this many epochs, and an unclean stop costs at most one more
    /// than this many epochs without signing; afterwards the anchor's file decides.
    #[arg(long, value_name = "EPOCHS", default_value_t = lsv_enclave::anchor::DEFAULT_RESERVE_EPOCHS,
          value_parser = clap::value_parser!(u64).range(1..=1024))]
    anchor_reserve_epochs: u64,
    /// A witness of the `witness` anchor: another P started with `lsv signer --witness` (on
    /// another machine, yours or a friend's), by URL (`http://host:9000`). Repeat, or separate
    /// with commas. When the anchor is made every one must answer, and it is recorded by the
    /// address it signs with; afterwards URLs may change, and P uses those of its witnesses
    /// that answer.
    #[arg(long = "anchor-witness", value_name = "URL", value_delimiter = ',')]
    anchor_witnesses: Vec<String>,
    /// How many of the `witness` anchor's witnesses may have their own record rolled back or
    /// cloned by their hosts, when the anchor is made: P then needs ⌊(n + f)/2⌋ + 1 of them
    /// to answer. Default: ⌊(n − 1)/3⌋, or one more where the quorum allows (3 witnesses:
    /// one may be down; 4: one rolled back and one down).
    #[arg(long, value_name = "F")]
    anchor_witness_faults: Option<usize>,
}

/// A TPM NV index in hex (`0x014c5300`) or decimal.
fn parse_nv_index(s: &str) -> Result<u32, String> {
    let parsed = match s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        Some(hex) => u32::from_str_radix(hex, 16),
        None => s.parse(),
    };
    parsed.map_err(|e| format!("not an NV index: {e}"))
}

/// What P signs: only the commands that sign or attest take these.
#[derive(Args, Clone)]
struct PolicyArgs {
    /// C, the lsv contract every deposit must send withdrawals to (0x02 credentials). Without
    /// it P signs no deposit, so no key can be generated.
    #[arg(long, value_name = "ADDRESS")]
    withdrawal_contract: Option<Address>,
    /// How many slots ahead of the clock a block or attestation may be (part of the policy
    /// hash a vault pins).
    #[arg(long, value_name = "SLOTS", default_value_t = 2)]
    max_skew_slots: u64,
}

#[derive(Args, Clone, Copy)]
struct InitArg {
    /// Make a new P in the data directory if it holds none yet (a new identity: sealing secret,
    /// attestation key, empty slashing-protection record). Without it a data directory that
    /// holds no P is refused, so a mistyped --data-dir cannot start a new P.
    #[arg(long)]
    init: bool,
}

impl DataArgs {
    /// P in `data_dir` as the benchmarks open it: mainnet, dev backend.
    fn for_bench(data_dir: PathBuf) -> Self {
        Self {
            data_dir: Some(data_dir),
            network: "mainnet".into(),
            attestation: AttestationBackend::Dev,
            gramine_attestation_dir: lsv_attestation::gramine::DEFAULT_ROOT.into(),
            tdx_report_dir: lsv_attestation::tdx::DEFAULT_ROOT.into(),
            dev_attester_key_file: None,
            anchor: AnchorBackend::None,
            tpm2_tcti: lsv_enclave::anchor::tpm2::DEFAULT_TCTI.into(),
            tpm2_nv_index: lsv_enclave::anchor::tpm2::DEFAULT_NV_INDEX,
            anchor_reserve_epochs: lsv_enclave::anchor::DEFAULT_RESERVE_EPOCHS,
            anchor_witnesses: Vec::new(),
            anchor_witness_faults: None,
        }
    }

    /// The anchor these arguments choose.
    fn anchor_choice(&self) -> lsv_enclave::AnchorChoice {
        anchor_choice(
            self.anchor,
            &self.tpm2_tcti,
            self.tpm2_nv_index,
            &self.anchor_witnesses,
            self.anchor_witness_faults,
            self.anchor_reserve_epochs,
        )
    }
}

/// The anchor of `backend` with its flags.
fn anchor_choice(
    backend: AnchorBackend,
    tpm2_tcti: &str,
    tpm2_nv_index: u32,
    witnesses: &[String],
    witness_faults: Option<usize>,
    reserve_epochs: u64,
) -> lsv_enclave::AnchorChoice {
    match backend {
        AnchorBackend::None => lsv_enclave::AnchorChoice::None,
        AnchorBackend::Tpm2 => lsv_enclave::AnchorChoice::Tpm2 {
            tcti: tpm2_tcti.to_owned(),
            nv_index: tpm2_nv_index,
            reserve_epochs,
        },
        AnchorBackend::Witness => lsv_enclave::AnchorChoice::Witness {
            urls: witnesses.to_vec(),
            faults: witness_faults,
            reserve_epochs,
            transport: Arc::new(lsv_enclave::anchor::witness::HttpTransport::new()),
        },
    }
}

#[derive(Subcommand)]
enum AnchorCommand {
    /// Move the slashing record to a new anchor (a new TPM, other witnesses; the signer must
    /// not be running). The current anchor (--anchor and its flags) is retired and its final
    /// value carried into the new one (--to and the --to-* flags): every watermark starts
    /// past everything reserved on the old anchor, and no copy of the data directory can sign
    /// under the old anchor again. Running it again finishes a move that stopped part-way.
    Move(AnchorMoveArgs),
}

#[derive(Args)]
struct AnchorMoveArgs {
    #[command(flatten)]
    data: DataArgs,
    /// The new anchor: `tpm2` or `witness` (a record never moves to `none`).
    #[arg(long, value_enum)]
    to: AnchorBackend,
    /// The new `tpm2` anchor's TPM (a TCTI, as --tpm2-tcti).
    #[arg(long, value_name = "TCTI", default_value = lsv_enclave::anchor::tpm2::DEFAULT_TCTI)]
    to_tpm2_tcti: String,
    /// The new `tpm2` anchor's first NV index (as --tpm2-nv-index; on the same TPM as the old
    /// anchor, another one).
    #[arg(long, value_name = "INDEX", default_value = "0x014c5300", value_parser = parse_nv_index)]
    to_tpm2_nv_index: u32,
    /// The new `witness` anchor's witnesses (as --anchor-witness).
    #[arg(long = "to-anchor-witness", value_name = "URL", value_delimiter = ',')]
    to_anchor_witnesses: Vec<String>,
    /// How many of the new anchor's witnesses may be rolled back (as --anchor-witness-faults).
    #[arg(long, value_name = "F")]
    to_anchor_witness_faults: Option<usize>,
    /// Epochs each touch of the new anchor reserves (as --anchor-reserve-epochs).
    #[arg(long, value_name = "EPOCHS", default_value_t = lsv_enclave::anchor::DEFAULT_RESERVE_EPOCHS,
          value_parser = clap::value_parser!(u64).range(1..=1024))]
    to_anchor_reserve_epochs: u64,
    /// Print the result as JSON.
    #[arg(long)]
    json: bool,
}

#[derive(Clone, Copy, ValueEnum)]
enum AttestationBackend {
    Dev,
    SgxDcap,
    TdxDcap,
}

#[derive(Clone, Copy, ValueEnum)]
enum AnchorBackend {
    None,
    Tpm2,
    Witness,
}

#[derive(Subcommand)]
enum KeysCommand {
    /// Generate keys bound to an owner and write `deposit_data.json` for the launchpad.
    Generate {
        #[command(flatten)]
        data: DataArgs,
        #[command(flatten)]
        policy: PolicyArgs,
        #[command(flatten)]
        init: InitArg,
        /// The address that receives each validator's 31 sETH and its position when it joins C.
        /// It is bound in each key's attestation and can never be changed; the zero address
        /// and C itself are refused (C can never pay them).
        #[arg(long, value_name = "ADDRESS")]
        owner: Address,
        /// How many keys to generate, 1 to 64 per run (each costs a KDF run and a durable
        /// write).
        #[arg(long, default_value_t = 1, value_parser = count_parser())]
        count: usize,
        /// Where to write the deposit data (a JSON array, the launchpad's format). It must not
        /// exist yet: lsv never overwrites deposit data.
        #[arg(long, value_name = "FILE", default_value = "deposit_data.json")]
        out: PathBuf,
        /// Where to write the key-generation evidence (a JSON array, one per key, in order);
        /// `attestation.json` beside the deposit data if absent. It must not exist yet.
        #[arg(long, value_name = "FILE")]
        attestation_out: Option<PathBuf>,
    },
    /// List the public keys P holds (while the signer runs: GET /api/v1/eth2/publicKeys).
    List {
        #[command(flatten)]
        data: DataArgs,
    },
    /// Print the evidence P recorded with a key when it generated it (JSON, as
    /// `GET /eth/v1/lsv/keys/{pubkey}/attestation` answers); P never attests a key again.
    Attestation {
        #[command(flatten)]
        data: DataArgs,
        /// The key's public key, 0x-prefixed hex.
        pubkey: lsv_consensus::PublicKeyBytes,
    },
}

fn count_parser() -> clap::builder::RangedU64ValueParser<usize> {
    clap::builder::RangedU64ValueParser::<usize>::new()
        .range(1..=lsv_enclave::MAX_KEYS_PER_CALL as u64)
}

#[derive(Subcommand)]
enum SlashingCommand {
    /// Export the record of every key as an EIP-3076 interchange (JSON).
    Export {
        #[command(flatten)]
        data: DataArgs,
        /// `complete`: every record P holds; `minimal`: one block and one attestation per key,
        /// at its watermarks (what another signer needs to be safe).
        #[arg(long, value_enum, default_value_t = Format::Complete)]
        format: Format,
        /// Output file (replaced whole, never left half-written); standard output if absent.
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
    },
    /// Import an EIP-3076 interchange; it can only raise watermarks.
    Import {
        #[command(flatten)]
        data: DataArgs,
        /// Print the summary as JSON.
        #[arg(long)]
        json: bool,
        /// The interchange file (EIP-3076 version 5, minimal or complete).
        file: PathBuf,
    },
    /// Shrink the database to its records: drop history kept by versions before 3 and give
    /// the freed space back to the file system (decisions never depend on it).
    Prune {
        #[command(flatten)]
        data: DataArgs,
        /// Print the summary as JSON.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum Format {
    Minimal,
    Complete,
}

#[derive(Subcommand)]
enum BenchCommand {
    /// Drive the real HTTP signer with many keys and concurrent clients; compare with raw blst.
    Signer(bench::SignerBenchArgs),
    /// A 3-of-4 cluster (four P and a coordinator on loopback) against one P in the same run:
    /// throughput and p50/p99 latency, as ratios; then with one device stopped.
    Cluster(bench_cluster::ClusterBenchArgs),
    /// Run every vault call in the revm harness and print its gas against the targets.
    Gas,
    /// Run the embedded devnet as fast as it goes: epochs per second, where the time goes,
    /// and BLS time against raw blst signing.
    Devnet(devnet::DevnetBenchArgs),
    /// Import, export and prune a generated EIP-3076 interchange (10,000 keys x 1,010 records
    /// by default); print times, peak memory and database sizes.
    Slashing(bench_slashing::SlashingBenchArgs),
    /// One phase of `bench slashing`, in a process of its own.
    #[command(hide = true)]
    SlashingPhase(bench_slashing::PhaseArgs),
    /// The `tpm2` freshness anchor on a software TPM started for the run: TPM time per
    /// reservation step and per epoch, and signing latency with the anchor against without.
    Anchor(bench_anchor::AnchorBenchArgs),
    /// The simulator at mainnet scale: every scenario over a year of 1,000,000 validators,
    /// validator-epochs per second.
    Sim(sim::SimBenchArgs),
}

fn load_network(name: &str) -> Result<Network, String> {
    if let Ok(n) = Network::by_name(name) {
        return Ok(n);
    }
    let path = Path::new(name);
    if path.is_file() {
        return Network::from_config_file(path).map_err(|e| format!("--network {name}: {e}"));
    }
    let looks_like_a_path = name.contains(std::path::MAIN_SEPARATOR)
        || name.contains('/')
        || name.ends_with(".yaml")
        || name.ends_with(".yml");
    if looks_like_a_path {
        let what = if path.exists() {
            "is not a file"
        } else {
            "does not exist"
        };
        Err(format!(
            "--network {name}: the network config file {what} (built-in networks: mainnet, hoodi, \
             sepolia)"
        ))
    } else {
        Err(format!(
            "--network {name}: no such built-in network (mainnet, hoodi, sepolia), and no file of \
             that name (a devnet's config.yaml)"
        ))
    }
}

/// P's policy from the flags: C, if given, must be a contract's address, not zero.
fn policy_from(network: Network, args: &PolicyArgs) -> Result<Policy, String> {
    if args.withdrawal_contract == Some(Address::ZERO) {
        return Err(
            "--withdrawal-contract is the zero address: withdrawals sent there are \
                    lost; give C's address"
                .into(),
        );
    }
    let mut policy = Policy::new(network, args.withdrawal_contract);
    policy.max_skew_slots = args.max_skew_slots;
    Ok(policy)
}

/// The data directory `args` name, and whether it is the default.
fn data_dir_of(args: &DataArgs, network: &Network) -> Result<(PathBuf, bool), CliError> {
    match &args.data_dir {
        Some(d) => Ok((d.clone(), false)),
        None => Ok((datadir::default_for(&network.name)?, true)),
    }
}

/// What a command says when the signer (or another command) holds the data directory: what
/// to use instead while it runs.
#[derive(Clone, Copy)]
struct WhileRunning(&'static str);

const USE_GENERATE_ROUTE: WhileRunning =
    WhileRunning("while the signer runs, ask it: POST /eth/v1/lsv/keys {\"owner\", \"count\"}");
const USE_KEYS_ROUTE: WhileRunning =
    WhileRunning("while the signer runs, ask it: GET /api/v1/eth2/publicKeys");
const USE_KEY_ATTESTATION_ROUTE: WhileRunning =
    WhileRunning("while the signer runs, ask it: GET /eth/v1/lsv/keys/{pubkey}/attestation");
const USE_ATTESTATION_ROUTE: WhileRunning =
    WhileRunning("while the signer runs, ask it: GET /eth/v1/lsv/attestation");
const STOP_THE_SIGNER: WhileRunning = WhileRunning(
    "stop the signer first: the slashing-protection database has one writer, the running \
     signer, which has no HTTP route for this",
);
const ONE_SIGNER: WhileRunning =
    WhileRunning("one signer per data directory: stop the other one, or give another --data-dir");

/// Opens P on the data directory `data` names, after [`datadir::check`] allows `usage`.
fn open_p(
    data: &DataArgs,
    policy: Policy,
    usage: datadir::Use,
    while_running: WhileRunning,
) -> Result<Arc<Enclave>, CliError> {
    let (root, is_default) = data_dir_of(data, &policy.network)?;
    datadir::check(&root, is_default, usage)?;
    open_checked(data, &root, policy, while_running)
}

/// Opens P on `root`, which [`datadir::check`] has allowed.
fn open_checked(
    data: &DataArgs,
    root: &Path,
    policy: Policy,
    while_running: WhileRunning,
) -> Result<Arc<Enclave>, CliError> {
    let data_dir = DataDir::new(root);
    // The lock first: a second process is told so before it touches anything.
    datadir_lock_free(root, while_running)?;
    let (sealer, attestation) = sealer_of(data, root)?;
    let enclave = Enclave::open_with_anchor(
        &data_dir,
        policy,
        sealer,
        attestation,
        Arc::new(SystemClock),
        data.anchor_choice(),
    )
    .map_err(|e| match e {
        StartError::InUse(dir) => in_use(&dir, while_running),
        e => CliError::Failed(e.to_string()),
    })?;
    Ok(Arc::new(enclave))
}

/// The sealer and attester of the backend `data` names, for the P in `root`.
fn sealer_of(
    data: &DataArgs,
    root: &Path,
) -> Result<(Arc<dyn lsv_enclave::Sealer>, AttestationConfig), CliError> {
    Ok(match data.attestation {
        AttestationBackend::Dev => {
            let attestation = match &data.dev_attester_key_file {
                None => AttestationConfig::Dev,
                Some(file) => AttestationConfig::DevGiven(read_dev_attester_key(file)?),
            };
            std::fs::create_dir_all(root).map_err(|e| format!("{}: {e}", root.display()))?;
            (
                Arc::new(DevSealer::open(root, DevSealer::DEFAULT_KDF).map_err(|e| e.to_string())?),
                attestation,
            )
        }
        AttestationBackend::SgxDcap | AttestationBackend::TdxDcap
            if data.dev_attester_key_file.is_some() =>
        {
            return Err("--dev-attester-key-file is for the dev backend only".into())
        }
        // The data directory must be the manifest's encrypted mount (gramine/README).
        AttestationBackend::SgxDcap => (
            Arc::new(
                EncryptedMountSealer::gramine(&root.join("sealed"), &data.gramine_attestation_dir)
                    .map_err(|e| e.to_string())?,
            ),
            AttestationConfig::Attester(Arc::new(
                GramineDcapAttester::open(&data.gramine_attestation_dir)
                    .map_err(|e| e.to_string())?,
            )),
        ),
        // The data directory must be on the TD image's encrypted volume (EncryptedMountSealer).
        AttestationBackend::TdxDcap => (
            Arc::new(
                EncryptedMountSealer::tdx(&root.join("sealed"), &data.tdx_report_dir)
                    .map_err(|e| e.to_string())?,
            ),
            AttestationConfig::Attester(Arc::new(
                TdxDcapAttester::open(&data.tdx_report_dir).map_err(|e| e.to_string())?,
            )),
        ),
    })
}

/// `lsv anchor move`: the record moved to the anchor `args` name, the signer stopped.
fn anchor_move(args: &AnchorMoveArgs) -> Result<lsv_enclave::anchor::Moved, CliError> {
    let data = &args.data;
    let policy = Policy::new(load_network(&data.network)?, None);
    let (root, is_default) = data_dir_of(data, &policy.network)?;
    datadir::check(&root, is_default, datadir::Use::Existing)?;
    datadir_lock_free(&root, STOP_THE_SIGNER)?;
    let (sealer, _) = sealer_of(data, &root)?;
    let to = anchor_choice(
        args.to,
        &args.to_tpm2_tcti,
        args.to_tpm2_nv_index,
        &args.to_anchor_witnesses,
        args.to_anchor_witness_faults,
        args.to_anchor_reserve_epochs,
    );
    Enclave::move_anchor(
        &DataDir::new(&root),
        &policy,
        sealer,
        &SystemClock,
        data.anchor_choice(),
        to,
    )
    .map_err(|e| match e {
        StartError::InUse(dir) => in_use(&dir, STOP_THE_SIGNER),
        e => CliError::Failed(e.to_string()),
    })
}

/// The secret in `file` (64 hex digits, `0x` optional). Errors never quote the file's content.
fn read_dev_attester_key(file: &Path) -> Result<zeroize::Zeroizing<[u8; 32]>, CliError> {
    let text = zeroize::Zeroizing::new(
        std::fs::read_to_string(file).map_err(|e| format!("{}: {e}", file.display()))?,
    );
    let digits = text.trim();
    let digits = digits.strip_prefix("0x").unwrap_or(digits);
    let mut secret = zeroize::Zeroizing::new([0u8; 32]);
    hex::decode_to_slice(digits, secret.as_mut()).map_err(|_| {
        format!(
            "{}: not a dev attestation key (64 hex digits of a secp256k1 secret)",
            file.display()
        )
    })?;
    Ok(secret)
}

fn in_use(dir: &Path, while_running: WhileRunning) -> CliError {
    CliError::Failed(format!(
        "another lsv process (a running signer?) is using {}: two processes on one slashing \
         record could sign a slashable pair; {}",
        dir.display(),
        while_running.0
    ))
}

/// Refuses at once if another process holds `root`'s lock, before the sealer or anything else
/// is opened (P takes the lock itself, for its lifetime, when it opens).
fn datadir_lock_free(root: &Path, while_running: WhileRunning) -> Result<(), CliError> {
    let lock_path = root.join("lock");
    let Ok(lock) = std::fs::File::open(&lock_path) else {
        return Ok(()); // no lock file yet: a new P, or one that never ran
    };
    match lock.try_lock() {
        Ok(()) => Ok(()), // released when `lock` drops, before P takes it
        Err(std::fs::TryLockError::WouldBlock) => Err(in_use(root, while_running)),
        Err(std::fs::TryLockError::Error(_)) => Ok(()), // P's own attempt will say why
    }
}

/// What the keys of `enclave` are bound to when that is not the C it runs with: one line per
/// other C, for a warning (a different C is most often a wrong flag, file or variable).
fn keys_bound_elsewhere(enclave: &Enclave) -> Vec<String> {
    let configured = enclave.policy().withdrawal_contract;
    let mut elsewhere: std::collections::BTreeMap<Address, usize> = Default::default();
    for pubkey in enclave.public_keys() {
        if let Some(key) = enclave.key_attestation(&pubkey) {
            let bound = Address::from_slice(&key.withdrawal_credentials[12..]);
            if Some(bound) != configured {
                *elsewhere.entry(bound).or_default() += 1;
            }
        }
    }
    let running = match configured {
        Some(c) => format!("this P runs with --withdrawal-contract {c}"),
        None => "this P runs without --withdrawal-contract".to_owned(),
    };
    elsewhere
        .into_iter()
        .map(|(c, n)| {
            format!(
                "{n} key(s) in this data directory are bound to C {c} (their withdrawal \
                 credentials and attestation), but {running}: those keys still sign, but no \
                 deposit for them can be signed here, and keys generated now are bound to \
                 another C than theirs; check --withdrawal-contract (flag, LSV_WITHDRAWAL_CONTRACT \
                 or config file)"
            )
        })
        .collect()
}

fn main() -> ExitCode {
    let result = config::matches(Cli::command())
        .and_then(|m| Cli::from_arg_matches(&m).map_err(|e| -> CliError { e.exit() }))
        .and_then(|cli| {
            let default_level = match cli.command {
                Command::Signer(_)
                | Command::Devnet(_)
                | Command::Keeper(_)
                | Command::Cluster {
                    command: cluster::ClusterCommand::Serve(_),
                } => "info",
                // Its own view is the story; the programs it runs log to files.
                Command::Demo(_) => "warn",
                _ => "warn",
            };
            logging::init(
                cli.global.log_level.as_deref(),
                default_level,
                cli.global.log_format,
                cli.global.log_file.as_deref(),
            )?;
            run(cli)
        });
    match result {
        Ok(()) | Err(CliError::BrokenPipe) => ExitCode::SUCCESS,
        Err(CliError::Failed(e)) => {
            output::note(&format!("error: {e}"));
            ExitCode::FAILURE
        }
    }
}

fn runtime() -> Result<tokio::runtime::Runtime, CliError> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| CliError::Failed(format!("tokio runtime: {e}")))
}

fn run(cli: Cli) -> Result<(), CliError> {
    match cli.command {
        Command::Signer(args) => signer::run(args),
        Command::Keys {
            command:
                KeysCommand::Generate {
                    data,
                    policy,
                    init,
                    owner,
                    count,
                    out,
                    attestation_out,
                },
        } => generate_keys(data, policy, init, owner, count, out, attestation_out),
        Command::Attestation { data, policy, init } => {
            let policy = policy_from(load_network(&data.network)?, &policy)?;
            let usage = datadir::Use::Create { init: init.init };
            let info = open_p(&data, policy, usage, USE_ATTESTATION_ROUTE)?.attestation_info();
            output::json(&info)
        }
        Command::Keys {
            command: KeysCommand::List { data },
        } => {
            let policy = Policy::new(load_network(&data.network)?, None);
            let p = open_p(&data, policy, datadir::Use::Existing, USE_KEYS_ROUTE)?;
            output::stdout(|w| {
                for pk in p.public_keys() {
                    writeln!(w, "{pk}")?;
                }
                Ok(())
            })
        }
        Command::Keys {
            command: KeysCommand::Attestation { data, pubkey },
        } => {
            let policy = Policy::new(load_network(&data.network)?, None);
            let p = open_p(
                &data,
                policy,
                datadir::Use::Existing,
                USE_KEY_ATTESTATION_ROUTE,
            )?;
            let key = p
                .key_attestation(&pubkey)
                .ok_or_else(|| format!("no key {pubkey} in this data directory"))?;
            if let Some(message) = key.message {
                output::note(&format!("note: {message}"));
            }
            output::json(&key)
        }
        Command::Slashing { command } => run_slashing(command),
        Command::Prove { command } => prove::run(command),
        Command::Devnet(args) => devnet::run(args),
        Command::Demo(args) => demo::run(args),
        Command::Deploy(args) => chain::deploy(args),
        Command::VerifyDeployment(args) => chain::verify_deployment(args),
        Command::Deposit(args) => staker::deposit(args),
        Command::Join(args) => staker::join(args),
        Command::Position(args) => staker::position(args),
        Command::Redeem(args) => chain::redeem(args),
        Command::Exit(args) => exit::exit(args),
        Command::Claim(args) => exit::claim(args),
        Command::Keeper(args) => keeper::run(args),
        Command::Queue(args) => chain::queue(args),
        Command::ClaimRedemption(args) => chain::claim_redemption(args),
        Command::Cluster { command } => cluster::run(command),
        Command::Anchor {
            command: AnchorCommand::Move(args),
        } => {
            let moved = anchor_move(&args)?;
            if args.json {
                output::json(&moved)
            } else {
                output::line(&format!(
                    "{} the slashing record from anchor {} (retired) to anchor {}: every key's \
                     watermarks start at epoch {}; {} key record(s) rebound",
                    if moved.resumed {
                        "finished moving"
                    } else {
                        "moved"
                    },
                    moved.from,
                    moved.to,
                    moved.floor,
                    moved.keys_rebound
                ))
            }
        }
        Command::Sim(args) => sim::run(args),
        Command::Bench {
            command: BenchCommand::Sim(args),
        } => sim::bench(args),
        Command::Bench {
            command: BenchCommand::Devnet(args),
        } => devnet::bench(args),
        Command::Bench {
            command: BenchCommand::Signer(args),
        } => bench::signer(args),
        Command::Bench {
            command: BenchCommand::Cluster(args),
        } => bench_cluster::cluster(args),
        Command::Bench {
            command: BenchCommand::Slashing(args),
        } => bench_slashing::slashing(args),
        Command::Bench {
            command: BenchCommand::SlashingPhase(args),
        } => bench_slashing::run_phase(args),
        Command::Bench {
            command: BenchCommand::Anchor(args),
        } => bench_anchor::anchor(args),
        Command::Bench {
            command: BenchCommand::Gas,
        } => output::line(&lsv_contracts::vault_gas::measure().to_string()),
    }
}

fn generate_keys(
    data: DataArgs,
    policy: PolicyArgs,
    init: InitArg,
    owner: Address,
    count: usize,
    out: PathBuf,
    attestation_out: Option<PathBuf>,
) -> Result<(), CliError> {
    // Everything that can be refused is refused before anything is created or generated.
    let policy = policy_from(load_network(&data.network)?, &policy)?;
    if policy.withdrawal_contract.is_none() {
        return Err(
            "keys generate needs --withdrawal-contract: C, the contract every deposit \
                    sends its withdrawals to (P signs no deposit without it)"
                .into(),
        );
    }
    lsv_enclave::check_key_request(&policy, owner, count).map_err(|e| e.to_string())?;
    let attestation_out = attestation_out.unwrap_or_else(|| out.with_file_name("attestation.json"));
    if attestation_out == out {
        return Err("--out and --attestation-out name the same file".into());
    }
    let (root, is_default) = data_dir_of(&data, &policy.network)?;
    datadir::check(&root, is_default, datadir::Use::Create { init: init.init })?;
    const OLDER: &str = "it may hold what keys generated before need; move it away or choose \
                         another file: lsv never overwrites it";
    let deposit_file = OutputFile::create(&out, Existing::Refuse(OLDER))?;
    let evidence_file = OutputFile::create(&attestation_out, Existing::Refuse(OLDER))?;
    let enclave = open_checked(&data, &root, policy, USE_GENERATE_ROUTE)?;
    for warning in keys_bound_elsewhere(&enclave) {
        output::note(&format!("warning: {warning}"));
    }
    let keys = runtime()?
        .block_on(enclave.generate_keys(owner, count))
        .map_err(|e| e.to_string())?;
    let deposits: Vec<_> = keys.iter().map(|k| &k.deposit_data).collect();
    deposit_file.commit_json(&deposits)?;
    let evidence: Vec<_> = keys.iter().map(|k| &k.attestation).collect();
    let evidence_path = evidence_file.path().to_owned();
    evidence_file.commit_json(&evidence)?;
    output::stdout(|w| {
        for k in &keys {
            writeln!(w, "{}", k.pubkey)?;
        }
        Ok(())
    })?;
    output::note(&format!(
        "wrote {} deposit(s) to {} for owner {owner} (bound in each key's attestation; it can \
         never be changed)",
        keys.len(),
        out.display()
    ));
    for k in &keys {
        output::note(&format!(
            "attestation ({}) of {}: binding {}, evidence {}",
            k.attestation.backend(),
            k.pubkey,
            k.attestation.binding(),
            alloy_primitives::hex::encode_prefixed(k.attestation.evidence_bytes()),
        ));
    }
    output::note(&format!(
        "wrote {} attestation(s) to {}",
        keys.len(),
        evidence_path.display()
    ));
    if !enclave.is_hardware_backed() {
        output::note("note: dev backend; keys are sealed in software and attested by a software key, not hardware-backed");
    }
    Ok(())
}

fn run_slashing(command: SlashingCommand) -> Result<(), CliError> {
    match command {
        SlashingCommand::Export { data, format, out } => {
            let entries = slashing_export(&data, format, out.as_deref())?;
            let to = out.map_or("standard output".to_owned(), |p| p.display().to_string());
            output::note(&format!("exported {entries} key(s) to {to}"));
            Ok(())
        }
        SlashingCommand::Import { data, json, file } => {
            let s = slashing_import(&data, &file)?;
            if json {
                output::json(&serde_json::json!({
                    "entries": s.entries,
                    "newly_registered": s.newly_registered,
                    "watermarks_changed": s.watermarks_changed,
                    "blocks_read": s.blocks_read,
                    "attestations_read": s.attestations_read,
                }))
            } else {
                output::line(&format!(
                    "imported {} interchange entr{} from {}: {} key(s) newly registered, {} \
                     key(s) with raised watermarks ({} block(s) and {} attestation(s) read; the \
                     highest of each is kept)",
                    s.entries,
                    if s.entries == 1 { "y" } else { "ies" },
                    file.display(),
                    s.newly_registered,
                    s.watermarks_changed,
                    s.blocks_read,
                    s.attestations_read,
                ))
            }
        }
        SlashingCommand::Prune { data, json } => {
            let s = slashing_prune(&data)?;
            if json {
                output::json(&serde_json::json!({
                    "blocks_deleted": s.blocks_deleted,
                    "attestations_deleted": s.attestations_deleted,
                    "bytes_before": s.bytes_before,
                    "bytes_after": s.bytes_after,
                }))
            } else {
                output::line(&format!(
                    "pruned {} block record(s) and {} attestation record(s) of history kept by \
                     versions before 3 (decisions read only the watermarks); the database went \
                     from {} to {} bytes",
                    s.blocks_deleted, s.attestations_deleted, s.bytes_before, s.bytes_after
                ))
            }
        }
    }
}

/// `lsv slashing export`: streams the interchange, one key at a time, to `out` (a regular file
/// is written beside it and renamed into place once complete) or to standard output. The
/// output is checked before P is opened. Returns the number of entries written.
fn slashing_export(data: &DataArgs, format: Format, out: Option<&Path>) -> Result<usize, CliError> {
    let out = out
        .map(|p| OutputFile::create(p, Existing::Replace))
        .transpose()?;
    let policy = Policy::new(load_network(&data.network)?, None);
    let p = open_p(data, policy, datadir::Use::Existing, STOP_THE_SIGNER)?;
    let format = match format {
        Format::Minimal => InterchangeFormat::Minimal,
        Format::Complete => InterchangeFormat::Complete,
    };
    let rt = runtime()?;
    let export = |w| rt.block_on(p.export_interchange(format, w));
    let entries = match out {
        Some(file) => file.stream(export)?,
        None => output::stream_stdout(export)?,
    };
    p.shutdown();
    Ok(entries)
}

/// `lsv slashing import`: the file is read, minified and checked in bounded memory (one entry
/// at a time) before P is opened, so a wrong file changes nothing.
fn slashing_import(data: &DataArgs, file: &Path) -> Result<ImportSummary, CliError> {
    let policy = Policy::new(load_network(&data.network)?, None);
    let (root, is_default) = data_dir_of(data, &policy.network)?;
    datadir::check(&root, is_default, datadir::Use::Existing)?;
    let reader = std::fs::File::open(file).map_err(|e| format!("{}: {e}", file.display()))?;
    let interchange = MinifiedInterchange::from_json_reader(reader)
        .map_err(|e| format!("{}: not an EIP-3076 interchange: {e}", file.display()))?;
    let p = open_checked(data, &root, policy, STOP_THE_SIGNER)?;
    let summary = runtime()?
        .block_on(p.import_interchange(interchange))
        .map_err(|e| match e {
            // The file's fault (another network's, say), not P's: name the file.
            ProtectionError::Interchange(e) => format!("{}: {e}", file.display()),
            e => e.to_string(),
        })?;
    p.shutdown();
    Ok(summary)
}

/// `lsv slashing prune`.
fn slashing_prune(data: &DataArgs) -> Result<PruneSummary, CliError> {
    let policy = Policy::new(load_network(&data.network)?, None);
    let p = open_p(data, policy, datadir::Use::Existing, STOP_THE_SIGNER)?;
    let summary = runtime()?.block_on(p.prune()).map_err(|e| e.to_string())?;
    p.shutdown();
    Ok(summary)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every argument of every command has a description, and every flag an environment
    /// variable, unique to it unless the flag is one of the shared ones.
    #[test]
    fn every_argument_is_described_and_every_flag_has_its_variable() {
        let cmd = config::decorate(Cli::command(), None);
        let mut seen: std::collections::BTreeMap<String, String> = Default::default();
        fn walk(
            cmd: &clap::Command,
            path: &mut Vec<String>,
            seen: &mut std::collections::BTreeMap<String, String>,
        ) {
            for a in cmd.get_arguments() {
                let id = a.get_id().as_str();
                if id == "help" || id == "version" {
                    continue;
                }
                let at = format!("{} {id}", path.join(" "));
                assert!(
                    a.get_help()
                        .is_some_and(|h| !h.to_string().trim().is_empty()),
                    "`lsv {at}` has no description"
                );
                if let Some(long) = a.get_long() {
                    let env = a
                        .get_env()
                        .unwrap_or_else(|| panic!("`lsv {at}` has no environment variable"))
                        .to_string_lossy()
                        .into_owned();
                    assert!(env.starts_with("LSV_"), "{env}");
                    if let Some(other) = seen.insert(env.clone(), long.to_owned()) {
                        assert_eq!(other, long, "{env} is two flags");
                        assert!(config::SHARED.contains(&long), "{env} is shared by {at}");
                    }
                }
            }
            for s in cmd.get_subcommands() {
                assert!(
                    s.get_about().is_some(),
                    "`lsv {}` has no description",
                    s.get_name()
                );
                path.push(s.get_name().to_owned());
                walk(s, path, seen);
                path.pop();
            }
        }
        walk(&cmd, &mut Vec::new(), &mut seen);
        assert_eq!(seen["LSV_DATA_DIR"], "data-dir");
        assert_eq!(seen["LSV_KEYS_GENERATE_OUT"], "out");
        assert_eq!(seen["LSV_SLASHING_EXPORT_OUT"], "out");
    }

    /// Flags that do nothing for a command are not offered to it: reading keys or the
    /// slashing record takes no policy and no listen address.
    #[test]
    fn commands_offer_only_the_flags_they_use() {
        let cmd = Cli::command();
        let flags = |path: &[&str]| -> Vec<String> {
            let mut c = &cmd;
            for p in path {
                c = c.find_subcommand(p).unwrap();
            }
            c.get_arguments()
                .filter_map(|a| a.get_long().map(str::to_owned))
                .collect()
        };
        for path in [
            &["keys", "list"][..],
            &["keys", "attestation"],
            &["slashing", "export"],
            &["slashing", "import"],
            &["slashing", "prune"],
        ] {
            let f = flags(path);
            for signer_only in [
                "withdrawal-contract",
                "max-skew-slots",
                "listen",
                "metrics-listen",
                "init",
            ] {
                assert!(
                    !f.iter().any(|x| x == signer_only),
                    "{path:?} has --{signer_only}"
                );
            }
        }
        let generate = flags(&["keys", "generate"]);
        assert!(generate.iter().any(|x| x == "withdrawal-contract"));
        assert!(!generate.iter().any(|x| x == "listen"));
        assert!(flags(&["signer"]).iter().any(|x| x == "metrics-listen"));
    }
}
