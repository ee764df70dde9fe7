//! The commands that talk to an execution node: `lsv deploy` and `lsv verify-deployment`
//! (deployer, auditor), `lsv redeem`, `lsv queue` and `lsv claim-redemption` (sETH holder).
//!
//! Every one takes `--rpc URL` (any node's JSON-RPC). Those that send take the key from a file
//! (`--key-file`, a hex private key) or a Web3 keystore (`--keystore`, with `--password-file`,
//! `--password-env` or a prompt), never from the command line; fee caps (`--max-fee-gwei`,
//! `--max-priority-fee-gwei`) bound what they pay. `--json` prints a machine-readable result.

use crate::output::{self, CliError, Existing, OutputFile};
use alloy::primitives::{Address, B256, U256};
use alloy::transports::http::reqwest;
use clap::Args;
use lsv_contracts::bindings::vault::Vault;
use lsv_contracts::bindings::SETH as SethToken;
use lsv_contracts::devnet::VaultConfig;
use lsv_keeper::deployment::{
    self, AttestationVerifierParams, ChainBinding, Deployment, Parameters,
};
use lsv_keeper::eth::{Eth, FeeCaps, Password, TxKey};
use lsv_keeper::holder::{self, RequestStatus};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};

/// Where the execution node is.
#[derive(Args, Clone)]
pub(crate) struct RpcArgs {
    /// The execution node's JSON-RPC URL (http or https).
    #[arg(long, default_value = "http://127.0.0.1:8545")]
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
    /// The beacon chain C verifies: `mainnet`, `hoodi`, `sepolia`, or a devnet `config.yaml` with
    /// GENESIS_TIME and GENESIS_VALIDATORS_ROOT (`lsv devnet` writes one).
    #[arg(long, default_value = "mainnet")]
    network: String,
    /// The vault's parameters as JSON (the `parameters` object of a deployment.json). Without
    /// it they come from the flags below.
    #[arg(long, value_name = "FILE")]
    params: Option<PathBuf>,
    /// What `lsv attestation` printed for the P whose keys C will trust: its dev
    /// attester address and policy hash.
    #[arg(long, value_name = "FILE", conflicts_with = "params")]
    attestation_info: Option<PathBuf>,
    /// A running P's signer API (`http://host:port`): its attester and policy hash are read
    /// from `GET /eth/v1/lsv/attestation`, as --attestation-info would give them.
    #[arg(long, value_name = "URL", conflicts_with_all = ["params", "attestation_info"])]
    p_url: Option<String>,
    /// The dev attester address (instead of --attestation-info or --p-url).
    #[arg(long, value_name = "ADDRESS", conflicts_with_all = ["params", "attestation_info", "p_url"])]
    dev_attester: Option<Address>,
    /// `POLICY_HASH` (instead of --attestation-info or --p-url).
    #[arg(long, value_name = "HASH", conflicts_with_all = ["params", "attestation_info", "p_url"])]
    policy_hash: Option<B256>,
    /// For keys held as shares by several devices (`lsv cluster`): what `lsv attestation`
    /// printed on each device, once per device (repeat the flag). C then verifies
    /// groups of these devices (`GroupAttestationVerifier` over `DevDeviceVerifier`, a dev
    /// stand-in), and single keys too if a single P is also named (--p-url,
    /// --attestation-info, --dev-attester).
    #[arg(long, value_name = "FILE", conflicts_with = "params")]
    device_attestation_info: Vec<PathBuf>,
    /// With --device-attestation-info: `MIN_DEVICES`, the fewest devices a group may have
    /// (default: the number of devices named).
    #[arg(long, value_name = "N", requires = "device_attestation_info")]
    min_devices: Option<u8>,
    /// With --device-attestation-info: `MIN_THRESHOLD`, the fewest shares a group may need
    /// to sign (default: a majority of --min-devices).
    #[arg(long, value_name = "M", requires = "device_attestation_info")]
    min_threshold: Option<u8>,
    /// With --device-attestation-info: devices register once at a `DeviceRegistry`, each
    /// registration accepted for this many seconds (`lsv cluster register`), and a join then
    /// carries each device key's signature instead of each device's evidence. For hardware
    /// devices (`--params` with `dcap-group`) the field is `device_registry_lifetime`.
    #[arg(long, value_name = "SECONDS", requires = "device_attestation_info")]
    device_registry_lifetime: Option<u64>,
    /// `MAX_VALIDATORS`: the most validators the vault lends against. Default: on a network of
    /// the mainnet preset (mainnet, hoodi, sepolia), `lsv sim recommend`'s at 1,000,000
    /// validators (docs/ECONOMICS.md); on a minimal-preset devnet, the devnet's small pool.
    #[arg(long)]
    max_validators: Option<u64>,
    /// `INACTIVITY_TRIGGER`: an inactivity score above it makes a validator ejectable.
    /// Default: as --max-validators, from `lsv sim recommend` on the mainnet preset, the
    /// devnet's on a minimal-preset devnet (whose leaks are short).
    #[arg(long)]
    inactivity_trigger: Option<u64>,
    /// `EXIT_RESEND_BLOCKS`: blocks before an unanswered exit request may be sent again.
    /// Default: as --max-validators, from `lsv sim recommend` on the mainnet preset, the
    /// devnet's on a minimal-preset devnet.
    #[arg(long)]
    exit_resend_blocks: Option<u64>,
    /// `MIN_REDEEM` in wei: the smallest redemption request. Default: as --max-validators.
    #[arg(long, value_name = "WEI")]
    min_redeem_wei: Option<U256>,
    /// `WIND_DOWN_DELAY` in seconds: silence (no proof accepted) before anyone may wind down.
    /// Default: as --max-validators.
    #[arg(long, value_name = "SECONDS")]
    wind_down_delay: Option<u64>,
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
    fn parameters(&self, network: &lsv_consensus::Network) -> Result<Parameters, CliError> {
        if let Some(path) = &self.params {
            let text = std::fs::read_to_string(path)
                .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
            return serde_json::from_str(&text)
                .map_err(|e| format!("{} is not vault parameters: {e}", path.display()).into());
        }
        let info = match (&self.attestation_info, &self.p_url) {
            (Some(path), _) => Some(read_info(path)?),
            // P's attestation info (what `lsv attestation` prints) from its signer API.
            (None, Some(p_url)) => {
                let url = format!("{}/eth/v1/lsv/attestation", p_url.trim_end_matches('/'));
                Some((url.clone(), crate::runtime()?.block_on(get_json(&url))?))
            }
            (None, None) => None,
        };
        let single = match info {
            Some((source, info)) => Some(attester_and_policy(&source, &info)?),
            None => match (self.dev_attester, self.policy_hash) {
                (Some(a), Some(p)) => Some((a, p)),
                (Some(_), None) | (None, Some(_)) => {
                    return Err("--dev-attester and --policy-hash go together".into())
                }
                (None, None) => None,
            },
        };
        let (attestation, policy_hash) = if self.device_attestation_info.is_empty() {
            let (attester, policy_hash) = single.ok_or(
                "say which P C trusts: --p-url URL (a running P), --attestation-info FILE \
                 (`lsv attestation` output), --dev-attester with --policy-hash, \
                 --device-attestation-info FILE per device of a cluster, or --params FILE",
            )?;
            (AttestationVerifierParams::Dev { attester }, policy_hash)
        } else {
            self.group(single)?
        };
        let defaults = deploy_defaults(network);
        Ok(Parameters {
            attestation,
            policy_hash,
            max_validators: self.max_validators.unwrap_or(defaults.max_validators),
            inactivity_trigger: self
                .inactivity_trigger
                .unwrap_or(defaults.inactivity_trigger),
            exit_resend_blocks: self
                .exit_resend_blocks
                .unwrap_or(defaults.exit_resend_blocks),
            min_redeem_wei: self
                .min_redeem_wei
                .unwrap_or(U256::from(defaults.min_redeem_gwei) * U256::from(1_000_000_000u64)),
            wind_down_delay_seconds: self
                .wind_down_delay
                .unwrap_or(defaults.wind_down_delay_seconds),
        })
    }

    /// A group verifier for the devices of --device-attestation-info (and the single P, if one
    /// is named): every device a distinct dev attester, all under one policy hash.
    fn group(
        &self,
        single: Option<(Address, B256)>,
    ) -> Result<(AttestationVerifierParams, B256), CliError> {
        let mut device_attesters: Vec<Address> = Vec::new();
        let mut policy = single.map(|(_, p)| p);
        for path in &self.device_attestation_info {
            let (source, info) = read_info(path)?;
            let (attester, device_policy) = attester_and_policy(&source, &info)?;
            if device_attesters.contains(&attester) {
                return Err(format!(
                    "{source}: attester {attester} is named twice: one device, not two"
                )
                .into());
            }
            if policy.is_some_and(|p| p != device_policy) {
                return Err(format!(
                    "{source}: policy hash {device_policy} differs from the others' ({}): C pins \
                     one signing policy",
                    policy.unwrap_or_default()
                )
                .into());
            }
            policy = Some(device_policy);
            device_attesters.push(attester);
        }
        let count = u8::try_from(device_attesters.len()).map_err(|_| "too many devices")?;
        let min_devices = self.min_devices.unwrap_or(count);
        let min_threshold = self.min_threshold.unwrap_or(min_devices / 2 + 1);
        let params = AttestationVerifierParams::DevGroup {
            device_attesters,
            min_threshold,
            min_devices,
            single_attester: single.map(|(a, _)| a),
            device_registry_lifetime: self.device_registry_lifetime,
        };
        Ok((params, policy.unwrap_or_default()))
    }
}

/// `lsv attestation` output read from `path`, with the path as its source name.
fn read_info(path: &Path) -> Result<(String, Value), CliError> {
    let source = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read {source}: {e}"))?;
    let info = serde_json::from_str(&text).map_err(|e| format!("{source} is not JSON: {e}"))?;
    Ok((source, info))
}

/// `GET url`, its body as JSON; any status but success is an error naming the URL.
pub(crate) async fn get_json(url: &str) -> Result<Value, String> {
    let response = reqwest::get(url)
        .await
        .map_err(|e| format!("GET {url}: {e}"))?;
    let status = response.status();
    let text = response
        .text()
        .await
        .map_err(|e| format!("GET {url}: {e}"))?;
    if !status.is_success() {
        return Err(format!("GET {url}: {status}: {text}"));
    }
    serde_json::from_str(&text).map_err(|e| format!("GET {url}: not JSON: {e}"))
}

/// `POST url` with a JSON body (asking for JSON back); the body of a success as text.
pub(crate) async fn post_json(url: &str, body: &Value) -> Result<String, String> {
    let response = reqwest::Client::new()
        .post(url)
        .header("accept", "application/json")
        .json(body)
        .send()
        .await
        .map_err(|e| format!("POST {url}: {e}"))?;
    let status = response.status();
    let text = response
        .text()
        .await
        .map_err(|e| format!("POST {url}: {e}"))?;
    if !status.is_success() {
        return Err(format!("POST {url}: {status}: {text}"));
    }
    Ok(text)
}

/// The dev attester and policy hash in P's attestation info (`source` names where it came
/// from in errors).
fn attester_and_policy(source: &str, info: &Value) -> Result<(Address, B256), CliError> {
    let field = |name: &str| -> Result<&str, CliError> {
        info.get(name).and_then(|v| v.as_str()).ok_or_else(|| {
            format!("{source} has no {name} (is it the attestation info of a dev P?)").into()
        })
    };
    let attester = field("attester")?
        .parse::<Address>()
        .map_err(|e| format!("{source}: attester: {e}"))?;
    let policy = field("policy_hash")?
        .parse::<B256>()
        .map_err(|e| format!("{source}: policy_hash: {e}"))?;
    Ok((attester, policy))
}

/// `lsv deploy`: checks the chain, deploys C, re-verifies it and writes the record.
pub(crate) fn deploy(args: DeployArgs) -> Result<(), CliError> {
    let network = crate::load_network(&args.network)?;
    let chain = ChainBinding::of_network(&network).map_err(|e| e.to_string())?;
    let params = args.parameters(&network)?;
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

/// C's parameters `lsv deploy` defaults to on `network` (all five: MAX_VALIDATORS,
/// INACTIVITY_TRIGGER, EXIT_RESEND_BLOCKS, MIN_REDEEM, WIND_DOWN_DELAY): the simulator's
/// recommendation for a mainnet-sized chain (`lsv_sim::recommend::DEPLOY_DEFAULTS`) on the
/// mainnet preset; the
/// devnet's small pool on the minimal preset, where the simulator's million validators and
/// weeks-long leaks do not apply.
pub(crate) fn deploy_defaults(
    network: &lsv_consensus::Network,
) -> lsv_sim::recommend::DeployDefaults {
    match network.preset {
        lsv_consensus::PresetName::Mainnet => lsv_sim::recommend::DEPLOY_DEFAULTS,
        lsv_consensus::PresetName::Minimal => {
            let devnet = VaultConfig::default();
            let gwei = U256::from(1_000_000_000u64);
            lsv_sim::recommend::DeployDefaults {
                max_validators: devnet.max_validators,
                inactivity_trigger: devnet.inactivity_trigger,
                exit_resend_blocks: devnet.exit_resend_blocks,
                // The devnet's 0.01 sETH is whole Gwei.
                min_redeem_gwei: u64::try_from(devnet.min_redeem / gwei).unwrap_or(u64::MAX),
                wind_down_delay_seconds: devnet.wind_down_delay,
            }
        }
    }
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

/// Which vault: its address, or the deployment record that names it.
#[derive(Args, Clone)]
pub(crate) struct VaultArgs {
    /// The deployment record (`lsv deploy` writes it): the vault and the block to read events
    /// from.
    #[arg(long, value_name = "FILE", conflicts_with = "vault")]
    deployment: Option<PathBuf>,
    /// The vault's address (events are then read from block 0).
    #[arg(long, value_name = "ADDRESS")]
    vault: Option<Address>,
}

impl VaultArgs {
    /// The vault and the first block its events can be in.
    pub(crate) fn resolve(&self) -> Result<(Address, u64), CliError> {
        match (&self.deployment, self.vault) {
            (Some(path), _) => {
                let d = Deployment::read(path)?;
                Ok((d.vault(), d.block))
            }
            (None, Some(vault)) => Ok((vault, 0)),
            (None, None) => Err("which vault? give --deployment FILE or --vault ADDRESS".into()),
        }
    }

    /// Whether the vault reads its devices from a `DeviceRegistry` (as far as its deployment
    /// record says: false with --vault alone).
    pub(crate) fn registers_devices(&self) -> Result<bool, CliError> {
        Ok(match &self.deployment {
            Some(path) => Deployment::read(path)?.device_registry().is_some(),
            None => false,
        })
    }
}

/// `amount` wei as ether with up to 18 decimals, trailing zeros dropped (`31`, `0.01`).
pub(crate) fn ether(amount: U256) -> String {
    let unit = U256::from(10u64).pow(U256::from(18));
    let (whole, fraction) = (amount / unit, amount % unit);
    if fraction.is_zero() {
        return whole.to_string();
    }
    let fraction = format!("{fraction:0>18}");
    format!("{whole}.{}", fraction.trim_end_matches('0'))
}

/// `lsv redeem`.
#[derive(Args)]
pub(crate) struct RedeemArgs {
    /// sETH to redeem, in ether units (`1.5`), or `all` for the sender's whole balance.
    #[arg(value_name = "AMOUNT")]
    amount: String,
    #[command(flatten)]
    vault: VaultArgs,
    #[command(flatten)]
    rpc: RpcArgs,
    #[command(flatten)]
    tx: TxArgs,
    /// Print the result as JSON.
    #[arg(long)]
    json: bool,
}

/// `lsv redeem`: burns sETH into a request at the end of the queue.
pub(crate) fn redeem(args: RedeemArgs) -> Result<(), CliError> {
    let (vault, _) = args.vault.resolve()?;
    let eth = args.tx.connect(&args.rpc)?;
    let from = eth.from().ok_or("no key")?;
    let rt = crate::runtime()?;
    let amount = if args.amount == "all" {
        let seth = rt
            .block_on(eth.view("Vault", vault, &Vault::SETH_TOKENCall {}))
            .map_err(|e| e.to_string())?;
        rt.block_on(eth.view("SETH", seth, &SethToken::balanceOfCall { account: from }))
            .map_err(|e| e.to_string())?
    } else {
        alloy::primitives::utils::parse_ether(&args.amount)
            .map_err(|e| format!("AMOUNT {:?} is not an amount of ether: {e}", args.amount))?
    };
    let (id, sent) = rt
        .block_on(holder::redeem(&eth, vault, amount))
        .map_err(|e| e.to_string())?;
    if args.json {
        output::json(&json!({
            "request_id": id,
            "amount_wei": amount.to_string(),
            "transaction": sent.tx,
            "block": sent.block_number,
        }))
    } else {
        output::line(&format!(
            "request {id}: {} sETH in the queue (transaction {}, block {})",
            ether(amount),
            sent.tx,
            sent.block_number
        ))
    }
}

/// `lsv queue`.
#[derive(Args)]
pub(crate) struct QueueArgs {
    /// Whose requests to show (default: the address of --key-file/--keystore, if given).
    #[arg(long, value_name = "ADDRESS")]
    owner: Option<Address>,
    /// A key whose address is the owner (nothing is sent).
    #[arg(long, value_name = "FILE")]
    key_file: Option<PathBuf>,
    #[command(flatten)]
    vault: VaultArgs,
    #[command(flatten)]
    rpc: RpcArgs,
    /// Print the queue and the requests as JSON.
    #[arg(long)]
    json: bool,
}

/// `lsv queue`: the queue's state, and the owner's requests with their place in line.
pub(crate) fn queue(args: QueueArgs) -> Result<(), CliError> {
    let (vault, from_block) = args.vault.resolve()?;
    let owner = match (args.owner, &args.key_file) {
        (Some(owner), _) => Some(owner),
        (None, Some(path)) => Some(
            TxKey::KeyFile(path.clone())
                .load()
                .map_err(|e| e.to_string())?
                .address(),
        ),
        (None, None) => None,
    };
    let eth = Eth::connect(&args.rpc.rpc, None, FeeCaps::default()).map_err(|e| e.to_string())?;
    let rt = crate::runtime()?;
    let (state, requests) = rt
        .block_on(async {
            let state = holder::queue_state(&eth, vault).await?;
            let mut requests = Vec::new();
            if let Some(owner) = owner {
                for id in holder::requests_of(&eth, vault, owner, from_block).await? {
                    requests.push(holder::request(&eth, vault, &state, id).await?);
                }
            }
            Ok::<_, lsv_keeper::eth::EthError>((state, requests))
        })
        .map_err(|e| e.to_string())?;
    if args.json {
        return output::json(&json!({ "queue": state, "owner": owner, "requests": requests }));
    }
    let rate = ether(state.rate);
    output::stdout(|w| {
        writeln!(
            w,
            "queue: {} requests, {} finalized; rate in force {rate} ETH per sETH; buffer {} ETH; \
             outstanding {} sETH",
            state.last_request_id,
            state.last_finalized_id,
            ether(state.buffer),
            ether(state.outstanding)
        )?;
        if state.winding_down {
            writeln!(
                w,
                "the vault is winding down: nothing is finalized any more; every open request \
                 is paid its share of what arrives, up to par, as it arrives"
            )?;
        }
        if let Some(owner) = owner {
            writeln!(w, "requests of {owner}: {}", requests.len())?;
        }
        for r in &requests {
            match r.status {
                RequestStatus::Open => writeln!(
                    w,
                    "  {:>6}  {} sETH  open: {} sETH ahead of it",
                    r.id,
                    ether(r.amount),
                    ether(r.ahead)
                )?,
                RequestStatus::Finalized => writeln!(
                    w,
                    "  {:>6}  {} sETH  finalized: claim {} ETH (lsv claim-redemption {})",
                    r.id,
                    ether(r.amount),
                    ether(r.claimable),
                    r.id
                )?,
                RequestStatus::Claimed => {
                    writeln!(w, "  {:>6}  {} sETH  claimed", r.id, ether(r.amount))?
                }
                RequestStatus::WindingDown if r.claimable.is_zero() => writeln!(
                    w,
                    "  {:>6}  {} sETH  winding down: nothing more to claim yet",
                    r.id,
                    ether(r.amount)
                )?,
                RequestStatus::WindingDown => writeln!(
                    w,
                    "  {:>6}  {} sETH  winding down: claim {} ETH (lsv claim-redemption {})",
                    r.id,
                    ether(r.amount),
                    ether(r.claimable),
                    r.id
                )?,
            }
        }
        Ok(())
    })
}

/// `lsv claim-redemption`.
#[derive(Args)]
pub(crate) struct ClaimRedemptionArgs {
    /// The requests to claim; none: every request of the sender with something to claim
    /// (finalized and unclaimed, or its share of a wind-down).
    #[arg(value_name = "REQUEST_ID")]
    ids: Vec<u64>,
    #[command(flatten)]
    vault: VaultArgs,
    #[command(flatten)]
    rpc: RpcArgs,
    #[command(flatten)]
    tx: TxArgs,
    /// Print what was claimed as JSON.
    #[arg(long)]
    json: bool,
}

/// `lsv claim-redemption`: pays finalized requests to their owner, and, while the vault winds
/// down, each open request's share of what arrived.
pub(crate) fn claim_redemption(args: ClaimRedemptionArgs) -> Result<(), CliError> {
    let (vault, from_block) = args.vault.resolve()?;
    let eth = args.tx.connect(&args.rpc)?;
    let from = eth.from().ok_or("no key")?;
    let claimed = crate::runtime()?
        .block_on(async {
            let state = holder::queue_state(&eth, vault).await?;
            let ids = if args.ids.is_empty() {
                holder::requests_of(&eth, vault, from, from_block).await?
            } else {
                args.ids.clone()
            };
            let mut ready = Vec::new();
            for id in ids {
                let r = holder::request(&eth, vault, &state, id).await?;
                match r.status {
                    RequestStatus::Finalized => ready.push((id, false)),
                    RequestStatus::WindingDown if !r.claimable.is_zero() => ready.push((id, true)),
                    // Named on the command line: the vault's answer says why not.
                    _ if !args.ids.is_empty() => ready.push((id, state.winding_down)),
                    _ => {}
                }
            }
            let mut claimed = Vec::new();
            for (id, wind_down) in ready {
                let (paid, sent) = if wind_down {
                    holder::claim_wind_down(&eth, vault, id).await?
                } else {
                    holder::claim(&eth, vault, id).await?
                };
                output::note(&format!(
                    "request {id}: paid {} ETH ({})",
                    ether(paid),
                    sent.tx
                ));
                claimed.push(
                    json!({"request_id": id, "paid_wei": paid.to_string(), "transaction": sent.tx}),
                );
            }
            Ok::<_, lsv_keeper::eth::EthError>(claimed)
        })
        .map_err(|e| e.to_string())?;
    if claimed.is_empty() && !args.json {
        output::note("nothing to claim: no request with anything to claim (see lsv queue)");
    }
    if args.json {
        output::json(&claimed)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ether_prints_wei_in_ether_units_without_trailing_zeros() {
        let wei = |s: &str| s.parse::<U256>().unwrap();
        assert_eq!(ether(U256::ZERO), "0");
        assert_eq!(ether(wei("31000000000000000000")), "31");
        assert_eq!(ether(wei("10000000000000000")), "0.01");
        assert_eq!(ether(wei("1")), "0.000000000000000001");
        assert_eq!(ether(wei("1500000000000000001")), "1.500000000000000001");
    }

    /// `lsv deploy` defaults to the simulator's recommendation on the mainnet preset (which
    /// `lsv-sim`'s tests/deploy_defaults.rs reproduces), and to the devnet's small pool on the
    /// minimal preset.
    #[test]
    fn deploy_defaults_come_from_the_simulator_on_the_mainnet_preset() {
        let mainnet = lsv_consensus::Network::mainnet();
        assert_eq!(
            deploy_defaults(&mainnet),
            lsv_sim::recommend::DEPLOY_DEFAULTS
        );
        let devnet = lsv_consensus::Network {
            preset: lsv_consensus::PresetName::Minimal,
            ..mainnet
        };
        let small = deploy_defaults(&devnet);
        let pool = VaultConfig::default();
        assert_eq!(
            (
                small.max_validators,
                small.inactivity_trigger,
                small.exit_resend_blocks,
                U256::from(small.min_redeem_gwei) * U256::from(1_000_000_000u64),
                small.wind_down_delay_seconds
            ),
            (
                pool.max_validators,
                pool.inactivity_trigger,
                pool.exit_resend_blocks,
                pool.min_redeem,
                pool.wind_down_delay
            )
        );
        // Every field of the mainnet preset's is the simulator's, none the devnet pool's by
        // accident: a vault deployed with them passes VaultBase's constructor checks.
        let big = deploy_defaults(&lsv_consensus::Network::mainnet());
        assert!(big.exit_resend_blocks > 0 && big.min_redeem_gwei > 0);
        assert!(big.wind_down_delay_seconds >= 30 * 24 * 3600);
    }
}
