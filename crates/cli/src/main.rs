//! `lsv`: the command line of liquid solo validating.

mod bench;

use alloy_primitives::Address;
use clap::{Args, Parser, Subcommand, ValueEnum};
use lsv_consensus::Network;
use lsv_enclave::{DataDir, DevSealer, Enclave, Policy, SystemClock};
use lsv_signer::AppState;
use lsv_slashing_protection::{Interchange, InterchangeFormat};
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
    /// Slashing-protection database: EIP-3076 interchange export/import, pruning.
    Slashing {
        #[command(subcommand)]
        command: SlashingCommand,
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
    },
    /// List the public keys P holds.
    List {
        #[command(flatten)]
        p: PArgs,
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
    /// Drop history below the watermarks (decisions never depend on it).
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
    let sealer =
        DevSealer::open(data_dir.root(), DevSealer::DEFAULT_KDF).map_err(|e| e.to_string())?;
    let enclave = Enclave::open(&data_dir, policy, Arc::new(sealer), Arc::new(SystemClock))
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
                },
        } => {
            let enclave = open_enclave(&p)?;
            let keys = runtime()
                .block_on(enclave.generate_keys(owner, count))
                .map_err(|e| e.to_string())?;
            let deposits: Vec<_> = keys.iter().map(|k| &k.deposit_data).collect();
            let json = serde_json::to_string_pretty(&deposits).expect("deposit data serializes");
            std::fs::write(&out, json).map_err(|e| format!("{}: {e}", out.display()))?;
            for k in &keys {
                println!("{}", k.pubkey);
            }
            eprintln!("wrote {} deposit(s) to {}", keys.len(), out.display());
            if !enclave.is_hardware_backed() {
                eprintln!("note: dev backend; keys are sealed in software, not hardware-backed");
            }
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
        Command::Slashing { command } => run_slashing(command),
        Command::Bench {
            command: BenchCommand::Signer(args),
        } => bench::signer(args),
    }
}

fn run_slashing(command: SlashingCommand) -> Result<(), String> {
    let rt = runtime();
    match command {
        SlashingCommand::Export { p, format, out } => {
            let enclave = open_enclave(&p)?;
            let format = match format {
                Format::Minimal => InterchangeFormat::Minimal,
                Format::Complete => InterchangeFormat::Complete,
            };
            let interchange = rt.block_on(enclave.export_interchange(format))?;
            let json = serde_json::to_string_pretty(&interchange).expect("interchange serializes");
            match out {
                Some(path) => {
                    std::fs::write(&path, json).map_err(|e| format!("{}: {e}", path.display()))
                }
                None => {
                    println!("{json}");
                    Ok(())
                }
            }
        }
        SlashingCommand::Import { p, file } => {
            let enclave = open_enclave(&p)?;
            let text =
                std::fs::read_to_string(&file).map_err(|e| format!("{}: {e}", file.display()))?;
            let interchange: Interchange = serde_json::from_str(&text)
                .map_err(|e| format!("{}: not an EIP-3076 interchange: {e}", file.display()))?;
            let summary = rt.block_on(enclave.import_interchange(interchange))?;
            println!("{summary:?}");
            Ok(())
        }
        SlashingCommand::Prune { p } => {
            let enclave = open_enclave(&p)?;
            let summary = rt.block_on(enclave.prune())?;
            println!("{summary:?}");
            Ok(())
        }
    }
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
    if !args.listen.ip().is_loopback() {
        tracing::warn!(listen = %args.listen, "listening beyond loopback: the signing API has no authentication");
    }
    let rt = runtime();
    rt.block_on(async move {
        let listener = tokio::net::TcpListener::bind(args.listen)
            .await
            .map_err(|e| format!("cannot listen on {}: {e}", args.listen))?;
        tracing::info!(listen = %listener.local_addr().map_err(|e| e.to_string())?, "remote-signing API ready");
        let state = AppState::new(enclave);
        lsv_signer::serve(listener, state, shutdown_signal()).await.map_err(|e| e.to_string())
    })
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
