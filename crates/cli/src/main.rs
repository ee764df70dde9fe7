//! `lsv`: the command line of liquid solo validating.

mod bench;
mod bench_slashing;
mod prove;

use alloy_primitives::Address;
use clap::{Args, Parser, Subcommand, ValueEnum};
use lsv_attestation::GramineDcapAttester;
use lsv_consensus::Network;
use lsv_enclave::{
    AttestationConfig, DataDir, DevSealer, Enclave, GramineSealer, Policy, SystemClock,
};
use lsv_signer::AppState;
use lsv_slashing_protection::{
    ImportSummary, InterchangeFormat, MinifiedInterchange, PruneSummary,
};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

#[derive(Parser)]
#[command(
    name = "lsv",
    version,
    about = "Liquid solo validating: slashing-protected signer and tools"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run program P as a remote signer (the Web3Signer API) for any validator client.
    Signer(SignerArgs),
    /// Generate validator keys inside P, with deposit data (the signer must not be running).
    Keys {
        #[command(subcommand)]
        command: KeysCommand,
    },
    /// Print what a verifier for this P needs: attestation backend, the dev attester's address
    /// (for `DevAttestationVerifier`), the policy hash (`POLICY_HASH`), chain and credentials.
    Attestation {
        #[command(flatten)]
        p: PArgs,
    },
    /// Slashing-protection database: EIP-3076 interchange export/import, pruning.
    Slashing {
        #[command(subcommand)]
        command: SlashingCommand,
    },
    /// Proofs for the vault (with the EIP-4788 timestamp), from a beacon node or files.
    Prove {
        #[command(subcommand)]
        command: prove::ProveCommand,
    },
    /// Benchmarks that print a ratio against a baseline measured in the same run.
    Bench {
        #[command(subcommand)]
        command: BenchCommand,
    },
}

#[derive(Args, Clone)]
struct PArgs {
    /// Where P keeps its sealed keys and slashing-protection database.
    #[arg(long, default_value = "lsv-data")]
    data_dir: PathBuf,
    /// The pinned network: `mainnet`, `hoodi`, or a devnet `config.yaml` (with GENESIS_TIME and
    /// GENESIS_VALIDATORS_ROOT added).
    #[arg(long, default_value = "mainnet")]
    network: String,
    /// C, the lsv contract every deposit must send withdrawals to (0x02 credentials). Without
    /// it P signs no deposit.
    #[arg(long)]
    withdrawal_contract: Option<Address>,
    /// How many slots ahead of the clock a block or attestation may be.
    #[arg(long, default_value_t = 2)]
    max_skew_slots: u64,
    /// Sealing and attestation backend: `dev` (software only, not hardware-backed) or
    /// `sgx-dcap` (inside an SGX enclave under gramine-sgx: keys on the MRENCLAVE-keyed
    /// encrypted mount, DCAP quotes from Gramine's /dev/attestation).
    #[arg(long, value_enum, default_value_t = AttestationBackend::Dev)]
    attestation: AttestationBackend,
    /// Gramine's attestation pseudo-files (sgx-dcap only).
    #[arg(long, default_value = lsv_attestation::gramine::DEFAULT_ROOT)]
    gramine_attestation_dir: PathBuf,
}

impl PArgs {
    /// P on `data_dir` as the benchmarks open it: mainnet, dev backend, the defaults.
    fn for_bench(data_dir: PathBuf) -> Self {
        Self {
            data_dir,
            network: "mainnet".into(),
            withdrawal_contract: None,
            max_skew_slots: 2,
            attestation: AttestationBackend::Dev,
            gramine_attestation_dir: lsv_attestation::gramine::DEFAULT_ROOT.into(),
        }
    }
}

#[derive(Clone, Copy, ValueEnum)]
enum AttestationBackend {
    Dev,
    SgxDcap,
}

#[derive(Args)]
struct SignerArgs {
    #[command(flatten)]
    p: PArgs,
    /// Address to listen on. Loopback unless told otherwise: the API has no authentication.
    #[arg(long, default_value = "127.0.0.1:9000")]
    listen: SocketAddr,
}

#[derive(Subcommand)]
enum KeysCommand {
    /// Generate keys bound to an owner and write `deposit_data.json` for the launchpad.
    Generate {
        #[command(flatten)]
        p: PArgs,
        /// The address that will own the sETH and the position for these validators.
        #[arg(long)]
        owner: Address,
        #[arg(long, default_value_t = 1)]
        count: usize,
        /// Where to write the deposit data (a JSON array, the launchpad's format).
        #[arg(long, default_value = "deposit_data.json")]
        out: PathBuf,
        /// Where to write the key-generation evidence (a JSON array, one per key, in order);
        /// `attestation.json` beside the deposit data if absent.
        #[arg(long)]
        attestation_out: Option<PathBuf>,
    },
    /// List the public keys P holds.
    List {
        #[command(flatten)]
        p: PArgs,
    },
    /// Print the evidence P recorded with a key when it generated it (JSON, as
    /// `GET /eth/v1/lsv/keys/{pubkey}/attestation` answers); P never attests a key again.
    Attestation {
        #[command(flatten)]
        p: PArgs,
        /// The key's public key, 0x-prefixed hex.
        pubkey: lsv_consensus::PublicKeyBytes,
    },
}

#[derive(Subcommand)]
enum SlashingCommand {
    /// Export the record of every key as an EIP-3076 interchange (JSON).
    Export {
        #[command(flatten)]
        p: PArgs,
        #[arg(long, value_enum, default_value_t = Format::Complete)]
        format: Format,
        /// Output file; standard output if absent.
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Import an EIP-3076 interchange; it can only raise watermarks.
    Import {
        #[command(flatten)]
        p: PArgs,
        file: PathBuf,
    },
    /// Shrink the database to its records: drop history kept by versions before 3 and give
    /// the freed space back to the file system (decisions never depend on it).
    Prune {
        #[command(flatten)]
        p: PArgs,
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
    /// Run every vault call in the revm harness and print its gas against the targets.
    Gas,
    /// Import, export and prune a generated EIP-3076 interchange (10,000 keys x 1,010 records
    /// by default); print times, peak memory and database sizes.
    Slashing(bench_slashing::SlashingBenchArgs),
    /// One phase of `bench slashing`, in a process of its own.
    #[command(hide = true)]
    SlashingPhase(bench_slashing::PhaseArgs),
}

fn load_network(name: &str) -> Result<Network, String> {
    match Network::by_name(name) {
        Ok(n) => Ok(n),
        Err(_) if std::path::Path::new(name).is_file() => {
            Network::from_config_file(std::path::Path::new(name)).map_err(|e| e.to_string())
        }
        Err(e) => Err(e.to_string()),
    }
}

fn open_enclave(p: &PArgs) -> Result<Arc<Enclave>, String> {
    let network = load_network(&p.network)?;
    let mut policy = Policy::new(network, p.withdrawal_contract);
    policy.max_skew_slots = p.max_skew_slots;
    let data_dir = DataDir::new(&p.data_dir);
    std::fs::create_dir_all(data_dir.root())
        .map_err(|e| format!("{}: {e}", data_dir.root().display()))?;
    let (sealer, attestation): (Arc<dyn lsv_enclave::Sealer>, AttestationConfig) = match p
        .attestation
    {
        AttestationBackend::Dev => (
            Arc::new(
                DevSealer::open(data_dir.root(), DevSealer::DEFAULT_KDF)
                    .map_err(|e| e.to_string())?,
            ),
            AttestationConfig::Dev,
        ),
        // The data directory must be the manifest's encrypted mount (gramine/README).
        AttestationBackend::SgxDcap => (
            Arc::new(
                GramineSealer::open(&data_dir.root().join("sealed"), &p.gramine_attestation_dir)
                    .map_err(|e| e.to_string())?,
            ),
            AttestationConfig::Attester(Arc::new(
                GramineDcapAttester::open(&p.gramine_attestation_dir).map_err(|e| e.to_string())?,
            )),
        ),
    };
    let enclave = Enclave::open(
        &data_dir,
        policy,
        sealer,
        attestation,
        Arc::new(SystemClock),
    )
    .map_err(|e| e.to_string())?;
    Ok(Arc::new(enclave))
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime")
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> Result<(), String> {
    match cli.command {
        Command::Signer(args) => run_signer(args),
        Command::Keys {
            command:
                KeysCommand::Generate {
                    p,
                    owner,
                    count,
                    out,
                    attestation_out,
                },
        } => {
            let enclave = open_enclave(&p)?;
            let keys = runtime()
                .block_on(enclave.generate_keys(owner, count))
                .map_err(|e| e.to_string())?;
            let deposits: Vec<_> = keys.iter().map(|k| &k.deposit_data).collect();
            let json = serde_json::to_string_pretty(&deposits).expect("deposit data serializes");
            std::fs::write(&out, json).map_err(|e| format!("{}: {e}", out.display()))?;
            let attestation_out =
                attestation_out.unwrap_or_else(|| out.with_file_name("attestation.json"));
            let evidence: Vec<_> = keys.iter().map(|k| &k.attestation).collect();
            let json = serde_json::to_string_pretty(&evidence).expect("evidence serializes");
            std::fs::write(&attestation_out, json)
                .map_err(|e| format!("{}: {e}", attestation_out.display()))?;
            for k in &keys {
                println!("{}", k.pubkey);
            }
            eprintln!("wrote {} deposit(s) to {}", keys.len(), out.display());
            for k in &keys {
                eprintln!(
                    "attestation ({}) of {}: binding {}, evidence {}",
                    k.attestation.backend(),
                    k.pubkey,
                    k.attestation.binding(),
                    alloy_primitives::hex::encode_prefixed(k.attestation.evidence_bytes()),
                );
            }
            eprintln!(
                "wrote {} attestation(s) to {}",
                keys.len(),
                attestation_out.display()
            );
            if !enclave.is_hardware_backed() {
                eprintln!("note: dev backend; keys are sealed in software and attested by a software key, not hardware-backed");
            }
            Ok(())
        }
        Command::Attestation { p } => {
            let info = open_enclave(&p)?.attestation_info();
            println!(
                "{}",
                serde_json::to_string_pretty(&info).expect("attestation info serializes")
            );
            Ok(())
        }
        Command::Keys {
            command: KeysCommand::List { p },
        } => {
            for pk in open_enclave(&p)?.public_keys() {
                println!("{pk}");
            }
            Ok(())
        }
        Command::Keys {
            command: KeysCommand::Attestation { p, pubkey },
        } => {
            let key = open_enclave(&p)?
                .key_attestation(&pubkey)
                .ok_or_else(|| format!("no key {pubkey} in {}", p.data_dir.display()))?;
            if let Some(message) = key.message {
                eprintln!("note: {message}");
            }
            let json = serde_json::to_string_pretty(&key).expect("key attestation serializes");
            println!("{json}");
            Ok(())
        }
        Command::Slashing { command } => run_slashing(command),
        Command::Prove { command } => prove::run(command),
        Command::Bench {
            command: BenchCommand::Signer(args),
        } => bench::signer(args),
        Command::Bench {
            command: BenchCommand::Slashing(args),
        } => bench_slashing::slashing(args),
        Command::Bench {
            command: BenchCommand::SlashingPhase(args),
        } => bench_slashing::run_phase(args),
        Command::Bench {
            command: BenchCommand::Gas,
        } => {
            println!("{}", lsv_contracts::vault_gas::measure());
            Ok(())
        }
    }
}

fn run_slashing(command: SlashingCommand) -> Result<(), String> {
    match command {
        SlashingCommand::Export { p, format, out } => {
            let entries = slashing_export(&p, format, out)?;
            eprintln!("exported {entries} key(s)");
            Ok(())
        }
        SlashingCommand::Import { p, file } => {
            let summary = slashing_import(&p, &file)?;
            println!("{summary:?}");
            Ok(())
        }
        SlashingCommand::Prune { p } => {
            let summary = slashing_prune(&p)?;
            println!("{summary:?}");
            Ok(())
        }
    }
}

/// `lsv slashing export`: streams the interchange to `out` (standard output if `None`).
fn slashing_export(p: &PArgs, format: Format, out: Option<PathBuf>) -> Result<usize, String> {
    let enclave = open_enclave(p)?;
    let format = match format {
        Format::Minimal => InterchangeFormat::Minimal,
        Format::Complete => InterchangeFormat::Complete,
    };
    let (writer, name): (Box<dyn std::io::Write + Send>, String) = match &out {
        Some(path) => (
            Box::new(std::io::BufWriter::with_capacity(
                1 << 16,
                std::fs::File::create(path).map_err(|e| format!("{}: {e}", path.display()))?,
            )),
            path.display().to_string(),
        ),
        None => (
            Box::new(std::io::BufWriter::new(std::io::stdout())),
            "standard output".into(),
        ),
    };
    let entries = runtime()
        .block_on(enclave.export_interchange(format, writer))
        .map_err(|e| format!("{name}: {e}"))?;
    enclave.shutdown();
    Ok(entries)
}

/// `lsv slashing import`: reads `file` in bounded memory, minifying it as it goes, then imports.
fn slashing_import(p: &PArgs, file: &std::path::Path) -> Result<ImportSummary, String> {
    let reader = std::fs::File::open(file).map_err(|e| format!("{}: {e}", file.display()))?;
    let interchange = MinifiedInterchange::from_json_reader(reader)
        .map_err(|e| format!("{}: not an EIP-3076 interchange: {e}", file.display()))?;
    let enclave = open_enclave(p)?;
    let summary = runtime().block_on(enclave.import_interchange(interchange))?;
    enclave.shutdown();
    Ok(summary)
}

/// `lsv slashing prune`.
fn slashing_prune(p: &PArgs) -> Result<PruneSummary, String> {
    let enclave = open_enclave(p)?;
    let summary = runtime().block_on(enclave.prune())?;
    enclave.shutdown();
    Ok(summary)
}

fn run_signer(args: SignerArgs) -> Result<(), String> {
    let enclave = open_enclave(&args.p)?;
    let network = &enclave.policy().network;
    tracing::info!(
        network = %network.name,
        keys = enclave.public_keys().len(),
        backend = enclave.sealing_backend(),
        data_dir = %args.p.data_dir.display(),
        "program P started"
    );
    if !enclave.is_hardware_backed() {
        tracing::warn!("dev backend: keys are sealed in software with a password in the data directory; not hardware-backed");
    }
    let attestation = enclave.attestation_info();
    tracing::info!(
        backend = %attestation.backend,
        hardware_backed = attestation.hardware_backed,
        attester = ?attestation.attester,
        policy_hash = %attestation.policy_hash,
        "attestation ready (GET /eth/v1/lsv/attestation)"
    );
    if !args.listen.ip().is_loopback() {
        tracing::warn!(listen = %args.listen, "listening beyond loopback: the signing API has no authentication");
    }
    let rt = lsv_signer::runtime(&enclave).map_err(|e| format!("tokio runtime: {e}"))?;
    let p = enclave.clone();
    let served = rt.block_on(async move {
        let listener = tokio::net::TcpListener::bind(args.listen)
            .await
            .map_err(|e| format!("cannot listen on {}: {e}", args.listen))?;
        tracing::info!(listen = %listener.local_addr().map_err(|e| e.to_string())?, "remote-signing API ready");
        let state = AppState::new(enclave);
        lsv_signer::serve(listener, state, shutdown_signal()).await.map_err(|e| e.to_string())
    });
    // Requests still in flight hold P; close its database now, whoever still holds it, so the
    // write-ahead log is checkpointed away before the process exits.
    p.shutdown();
    tracing::info!("slashing-protection database closed");
    served
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
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
