//! The commands that talk to an execution node: `lsv deploy` and `lsv verify-deployment`.
//!
//! Every one takes `--rpc URL` (any node's JSON-RPC). Those that send take the key from a file
//! (`--key-file`, a hex private key) or a Web3 keystore (`--keystore`, with `--password-file`,
//! `--password-env` or a prompt), never from the command line; fee caps (`--max-fee-gwei`,
//! `--max-priority-fee-gwei`) bound what they pay. `--json` prints a machine-readable result.

use crate::output::{self, CliError, Existing, OutputFile};
use alloy::primitives::{Address, B256, U256};
use clap::Args;
use lsv_contracts::devnet::VaultConfig;
use lsv_keeper::deployment::{
    self, AttestationVerifierParams, ChainBinding, Deployment, Parameters,
};
use lsv_keeper::eth::{Eth, FeeCaps, Password, TxKey};
use serde_json::json;
use std::path::PathBuf;

/// Where the execution node is.
#[derive(Args, Clone)]
pub(crate) struct RpcArgs {
    /// The execution node's JSON-RPC URL (http or https).
    #[arg(long, env = "LSV_RPC", default_value = "http://127.0.0.1:8545")]
    pub(crate) rpc: String,
}

/// The key that signs transactions, and what they may pay.
#[derive(Args, Clone)]
pub(crate) struct TxArgs {
    /// A file holding the transaction key as hex. For devnets and automation; protect the file.
    #[arg(long, value_name = "FILE", conflicts_with = "keystore")]
    key_file: Option<PathBuf>,
    /// A Web3 Secret Storage (v3) keystore file, as geth or `cast wallet` write them.
    #[arg(long, value_name = "FILE")]
    keystore: Option<PathBuf>,
    /// The keystore's password, first line of this file (else --password-env, else a prompt).
    #[arg(long, value_name = "FILE", requires = "keystore")]
    password_file: Option<PathBuf>,
    /// The environment variable holding the keystore's password.
    #[arg(
        long,
        value_name = "NAME",
        requires = "keystore",
        conflicts_with = "password_file"
    )]
    password_env: Option<String>,
    /// The most a transaction may pay per gas (base fee and tip), in gwei.
    #[arg(long, value_name = "GWEI", default_value_t = 200.0)]
    max_fee_gwei: f64,
    /// The most a transaction may tip per gas, in gwei.
    #[arg(long, value_name = "GWEI", default_value_t = 3.0)]
    max_priority_fee_gwei: f64,
}

impl TxArgs {
    fn key(&self) -> Result<TxKey, CliError> {
        match (&self.key_file, &self.keystore) {
            (Some(path), None) => Ok(TxKey::KeyFile(path.clone())),
            (None, Some(path)) => Ok(TxKey::Keystore {
                path: path.clone(),
                password: match (&self.password_file, &self.password_env) {
                    (Some(file), _) => Password::File(file.clone()),
                    (None, Some(name)) => Password::Env(name.clone()),
                    (None, None) => Password::Prompt,
                },
            }),
            _ => Err("this command sends transactions: give --key-file or --keystore".into()),
        }
    }

    fn caps(&self) -> Result<FeeCaps, CliError> {
        let wei = |gwei: f64, flag: &str| -> Result<u128, CliError> {
            if gwei.is_finite() && gwei > 0.0 && gwei < 1e9 {
                Ok((gwei * 1e9).round() as u128)
            } else {
                Err(format!("{flag} must be a positive number of gwei").into())
            }
        };
        Ok(FeeCaps {
            max_fee_per_gas: wei(self.max_fee_gwei, "--max-fee-gwei")?,
            max_priority_fee_per_gas: wei(self.max_priority_fee_gwei, "--max-priority-fee-gwei")?,
        })
    }

    /// A connection to `rpc` that sends with this key.
    pub(crate) fn connect(&self, rpc: &RpcArgs) -> Result<Eth, CliError> {
        let key = self.key()?.load().map_err(|e| e.to_string())?;
        Eth::connect(&rpc.rpc, Some(key), self.caps()?).map_err(|e| e.to_string().into())
    }
}

/// `lsv deploy`.
#[derive(Args)]
pub(crate) struct DeployArgs {
    #[command(flatten)]
    rpc: RpcArgs,
    #[command(flatten)]
    tx: TxArgs,
    /// The beacon chain C verifies: `mainnet`, `hoodi`, or a devnet `config.yaml` with
    /// GENESIS_TIME and GENESIS_VALIDATORS_ROOT (`lsv devnet` writes one).
    #[arg(long, default_value = "mainnet")]
    network: String,
    /// The vault's parameters as JSON (the `parameters` object of a deployment.json). Without
    /// it they come from the flags below.
    #[arg(long, value_name = "FILE")]
    params: Option<PathBuf>,
    /// What `lsv attestation --json` printed for the P whose keys C will trust: its dev
    /// attester address and policy hash.
    #[arg(long, value_name = "FILE", conflicts_with = "params")]
    attestation_info: Option<PathBuf>,
    /// The dev attester address (instead of --attestation-info).
    #[arg(long, value_name = "ADDRESS", conflicts_with_all = ["params", "attestation_info"])]
    dev_attester: Option<Address>,
    /// `POLICY_HASH` (instead of --attestation-info).
    #[arg(long, value_name = "HASH", conflicts_with_all = ["params", "attestation_info"])]
    policy_hash: Option<B256>,
    /// `MAX_VALIDATORS`: the most validators the vault lends against.
    #[arg(long, default_value_t = VaultConfig::default().max_validators)]
    max_validators: u64,
    /// `INACTIVITY_TRIGGER`: an inactivity score above it makes a validator ejectable.
    #[arg(long, default_value_t = VaultConfig::default().inactivity_trigger)]
    inactivity_trigger: u64,
    /// `EXIT_RESEND_BLOCKS`: blocks before an unanswered exit request may be sent again.
    #[arg(long, default_value_t = VaultConfig::default().exit_resend_blocks)]
    exit_resend_blocks: u64,
    /// `MIN_REDEEM` in wei: the smallest redemption request.
    #[arg(long, value_name = "WEI", default_value_t = VaultConfig::default().min_redeem)]
    min_redeem_wei: U256,
    /// `WIND_DOWN_DELAY` in seconds: silence (no proof accepted) before anyone may wind down.
    #[arg(long, value_name = "SECONDS", default_value_t = VaultConfig::default().wind_down_delay)]
    wind_down_delay: u64,
    /// Where to write the deployment record.
    #[arg(long, value_name = "FILE", default_value = "deployment.json")]
    out: PathBuf,
    /// Replace --out if it exists.
    #[arg(long)]
    force: bool,
    /// Print the deployment record as JSON on standard output too.
    #[arg(long)]
    json: bool,
}

impl DeployArgs {
    fn parameters(&self) -> Result<Parameters, CliError> {
        if let Some(path) = &self.params {
            let text = std::fs::read_to_string(path)
                .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
            return serde_json::from_str(&text)
                .map_err(|e| format!("{} is not vault parameters: {e}", path.display()).into());
        }
        let (attester, policy_hash) = match &self.attestation_info {
            Some(path) => {
                let text = std::fs::read_to_string(path)
                    .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
                let info: serde_json::Value = serde_json::from_str(&text)
                    .map_err(|e| format!("{} is not JSON: {e}", path.display()))?;
                let field = |name: &str| -> Result<String, CliError> {
                    info.get(name)
                        .and_then(|v| v.as_str())
                        .map(str::to_owned)
                        .ok_or_else(|| {
                            format!(
                                "{} has no {name} (is it `lsv attestation` output for a dev P?)",
                                path.display()
                            )
                            .into()
                        })
                };
                let attester = field("attester")?
                    .parse::<Address>()
                    .map_err(|e| format!("{}: attester: {e}", path.display()))?;
                let policy = field("policy_hash")?
                    .parse::<B256>()
                    .map_err(|e| format!("{}: policy_hash: {e}", path.display()))?;
                (attester, policy)
            }
            None => match (self.dev_attester, self.policy_hash) {
                (Some(a), Some(p)) => (a, p),
                _ => {
                    return Err(
                        "say which P C trusts: --attestation-info FILE (from `lsv \
                                attestation`), --dev-attester with --policy-hash, or --params FILE"
                            .into(),
                    )
                }
            },
        };
        Ok(Parameters {
            attestation: AttestationVerifierParams::Dev { attester },
            policy_hash,
            max_validators: self.max_validators,
            inactivity_trigger: self.inactivity_trigger,
            exit_resend_blocks: self.exit_resend_blocks,
            min_redeem_wei: self.min_redeem_wei,
            wind_down_delay_seconds: self.wind_down_delay,
        })
    }
}

/// `lsv deploy`: checks the chain, deploys C, re-verifies it and writes the record.
pub(crate) fn deploy(args: DeployArgs) -> Result<(), CliError> {
    let network = crate::load_network(&args.network)?;
    let chain = ChainBinding::of_network(&network).map_err(|e| e.to_string())?;
    let params = args.parameters()?;
    let existing = if args.force {
        Existing::Replace
    } else {
        Existing::Refuse("it holds an earlier deployment; pass --force to replace it")
    };
    // Checked before anything is sent: a deployment whose record cannot be written is lost.
    let out = OutputFile::create(&args.out, existing)?;
    let eth = args.tx.connect(&args.rpc)?;
    let record = crate::runtime()?
        .block_on(deployment::deploy(&eth, &chain, &params, |step| {
            output::note(step)
        }))
        .map_err(|e| e.to_string())?;
    out.commit_json(&record)?;
    output::note(&format!(
        "deployed: vault {} (sETH {}, positions {}) in block {}; record in {}",
        record.vault(),
        record.contracts.seth.address,
        record.contracts.positions.address,
        record.block,
        args.out.display()
    ));
    if args.json {
        output::json(&record)?;
    }
    Ok(())
}

/// `lsv verify-deployment`.
#[derive(Args)]
pub(crate) struct VerifyDeploymentArgs {
    /// The deployment record (`lsv deploy` writes it).
    #[arg(value_name = "DEPLOYMENT_JSON")]
    deployment: PathBuf,
    #[command(flatten)]
    rpc: RpcArgs,
    /// Print every check as JSON.
    #[arg(long)]
    json: bool,
}

/// `lsv verify-deployment`: every check, then an error naming the first that failed.
pub(crate) fn verify_deployment(args: VerifyDeploymentArgs) -> Result<(), CliError> {
    let record = Deployment::read(&args.deployment)?;
    let eth = Eth::connect(&args.rpc.rpc, None, FeeCaps::default()).map_err(|e| e.to_string())?;
    let checks = crate::runtime()?
        .block_on(deployment::verify_report(&eth, &record))
        .map_err(|e| e.to_string())?;
    let failed = checks.iter().filter(|c| !c.ok).count();
    if args.json {
        output::json(&json!({ "ok": failed == 0, "checks": checks }))?;
    } else {
        output::stdout(|w| {
            for c in &checks {
                match &c.detail {
                    None => writeln!(w, "ok    {}", c.what)?,
                    Some(d) => writeln!(w, "FAIL  {}: {d}", c.what)?,
                }
            }
            Ok(())
        })?;
    }
    if failed > 0 {
        return Err(format!("{failed} of {} checks failed", checks.len()).into());
    }
    Ok(())
}
