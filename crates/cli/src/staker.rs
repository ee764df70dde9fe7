//! The staker's commands: `lsv deposit` (32 ETH to the deposit contract, every check first),
//! `lsv join` (wait for the registry entry, prove it, submit `join` with P's attestation) and
//! `lsv position` (what the vault and the beacon chain say of a position). The logic is in
//! `lsv_keeper::staker`; this is flags, progress on standard error and `--json` output.

use crate::chain::{RpcArgs, TxArgs, VaultArgs};
use crate::output::{self, CliError};
use alloy::primitives::{Address, U256};
use clap::Args;
use lsv_attestation::multi::GroupEvidence;
use lsv_consensus::PublicKeyBytes;
use lsv_keeper::eth::{Eth, FeeCaps};
use lsv_keeper::prove::{self, VerifierConfig};
use lsv_keeper::staker::{self, StakerError};
use lsv_keeper::BeaconClient;
use serde_json::json;
use std::path::PathBuf;
use std::time::{Duration, Instant};

fn err(e: StakerError) -> CliError {
    CliError::Failed(e.to_string())
}

fn beacon_client(url: &str) -> Result<BeaconClient, CliError> {
    BeaconClient::new(url).map_err(|e| CliError::Failed(e.to_string()))
}

fn parse_pubkey(s: &str) -> Result<PublicKeyBytes, CliError> {
    PublicKeyBytes::from_hex(s).map_err(|e| format!("--pubkey: {e}").into())
}

/// `lsv deposit`.
#[derive(Args)]
pub(crate) struct DepositArgs {
    /// The deposit data (`lsv keys generate --out`, or P's `POST /eth/v1/lsv/keys` deposit_data
    /// entries): a launchpad JSON array.
    #[arg(long, value_name = "FILE")]
    deposit_data: PathBuf,
    /// Which entry of the file (from 0).
    #[arg(long, conflicts_with = "pubkey")]
    index: Option<usize>,
    /// Or the entry for this key.
    #[arg(long, value_name = "0xPUBKEY")]
    pubkey: Option<String>,
    #[command(flatten)]
    vault: VaultArgs,
    /// The network: `mainnet`, `hoodi`, `sepolia`, or a devnet `config.yaml` (its deposit contract,
    /// chain id and genesis fork version).
    #[arg(long, default_value = "mainnet")]
    network: String,
    /// A beacon node, to refuse a key it already has a deposit for (a second one would only top
    /// the validator up).
    #[arg(long, value_name = "URL")]
    beacon_url: Option<String>,
    #[command(flatten)]
    rpc: RpcArgs,
    #[command(flatten)]
    tx: TxArgs,
    /// Check everything, send nothing.
    #[arg(long)]
    dry_run: bool,
    /// Print the result as JSON.
    #[arg(long)]
    json: bool,
}

/// `lsv deposit`: every check, then 32 ETH to the deposit contract.
pub(crate) fn deposit(args: DepositArgs) -> Result<(), CliError> {
    let network = crate::load_network(&args.network)?;
    let pubkey = args.pubkey.as_deref().map(parse_pubkey).transpose()?;
    let entries = staker::read_deposit_file(&args.deposit_data).map_err(err)?;
    let entry = staker::select_deposit(entries, args.index, pubkey.as_ref(), &args.deposit_data)
        .map_err(err)?;
    let vault = args.vault.resolve()?.0;
    let beacon = args.beacon_url.as_deref().map(beacon_client).transpose()?;
    // The key is loaded only to send: a dry run reads the chain without it.
    let eth = if args.dry_run {
        Eth::connect(&args.rpc.rpc, None, FeeCaps::default()).map_err(|e| e.to_string())?
    } else {
        args.tx.connect(&args.rpc)?
    };
    let file = args.deposit_data.display().to_string();
    crate::runtime()?.block_on(async {
        let credentials = staker::vault_credentials(&eth, vault).await.map_err(err)?;
        let checked = staker::check_deposit(&entry, &network, credentials)
            .map_err(|e| format!("{file}: {e}"))?;
        let key = checked.data.pubkey;
        output::note(&format!(
            "{key}: data root, 32 ETH, the vault's credentials, {}'s fork version and the BLS \
             signature check out",
            network.name
        ));
        // The deposit contract's own logs first: they know of a deposit the moment it is
        // mined, before any beacon node does, and need no beacon node.
        let deposited =
            staker::find_deposit_slot(&eth, &network, &key, staker::DEPOSIT_SEARCH_BLOCKS)
                .await
                .map_err(err)?;
        if let Some(slot) = deposited {
            return Err(CliError::Failed(format!(
                "refused before sending: {key} was deposited already (at slot {slot}); a second \
                 deposit would only top it up"
            )));
        }
        if let Some(beacon) = &beacon {
            if let Some(why) = staker::already_deposited(beacon, &key).await.map_err(err)? {
                return Err(CliError::Failed(format!(
                    "refused before sending: {why}; a second deposit would only top it up"
                )));
            }
        }
        if args.dry_run {
            output::note("dry run: nothing sent");
            if args.json {
                output::json(&json!({
                    "pubkey": key,
                    "deposit_data_root": checked.root,
                    "sent": false,
                }))?;
            }
            return Ok(());
        }
        output::note(&format!(
            "sending 32 ETH to the deposit contract {}",
            network.deposit_contract
        ));
        let sent = staker::deposit(&eth, &network, &checked)
            .await
            .map_err(err)?;
        output::note(&format!(
            "deposited {key} in block {}; it enters the beacon registry once that block is \
             finalized (then `lsv join`)",
            sent.block_number
        ));
        if args.json {
            output::json(&json!({
                "pubkey": key,
                "deposit_data_root": checked.root,
                "tx": sent.tx,
                "block_number": sent.block_number,
                "sent": true,
            }))
        } else {
            output::line(&sent.tx.to_string())
        }
    })
}

/// `lsv join`.
#[derive(Args)]
pub(crate) struct JoinArgs {
    /// The validator's key.
    #[arg(long, value_name = "0xPUBKEY")]
    pubkey: String,
    /// The key-generation evidence: `attestation.json` from `lsv keys generate` (or P's
    /// answer saved to a file), or a cluster's `evidence-<key>.json` from `lsv cluster keygen`. (Not `--attestation`: that names P's attestation backend
    /// everywhere else, with its shared LSV_ATTESTATION variable.)
    #[arg(long, value_name = "FILE", required_unless_present = "p_url")]
    attestation_file: Option<PathBuf>,
    /// Or P's API, which serves the evidence it recorded (`GET
    /// /eth/v1/lsv/keys/{pubkey}/attestation`).
    #[arg(long, value_name = "URL", conflicts_with = "attestation_file")]
    p_url: Option<String>,
    /// For sgx-dcap and tdx-dcap evidence: the quote's collateral (dcap-qvl's
    /// QuoteCollateralV3 JSON, from a PCCS or Intel's PCS), current at the join: C checks the
    /// quote with it back to Intel's root key. For a cluster's evidence, one per hardware
    /// device, in device order.
    #[arg(long, value_name = "FILE")]
    collateral: Vec<PathBuf>,
    /// For a cluster's evidence: the vault verifies devices through a `DeviceRegistry`, where
    /// every device's key is registered (`lsv cluster register`); each device's evidence is then
    /// its device key's signature, made at key generation, and no collateral is needed. Implied
    /// by a --deployment whose vault has a registry.
    #[arg(long, conflicts_with = "collateral")]
    registered_devices: bool,
    #[command(flatten)]
    vault: VaultArgs,
    /// The beacon node's standard API (plain HTTP).
    #[arg(long, value_name = "URL")]
    beacon_url: String,
    /// The network the vault verifies for: `mainnet`, `hoodi`, `sepolia`, or a devnet
    /// `config.yaml`.
    #[arg(long, default_value = "mainnet")]
    network: String,
    /// Give up after this many seconds of waiting for the registry entry (default: wait as long
    /// as it takes; deposits can queue for weeks).
    #[arg(long, value_name = "SECONDS", conflicts_with = "no_wait")]
    timeout: Option<u64>,
    /// Do not wait: fail at once if the validator is not in the registry yet.
    #[arg(long)]
    no_wait: bool,
    #[command(flatten)]
    rpc: RpcArgs,
    #[command(flatten)]
    tx: TxArgs,
    /// Print the result as JSON.
    #[arg(long)]
    json: bool,
}

/// The one collateral of single-key evidence, if given.
fn single_collateral(collateral: &[String]) -> Result<Option<&str>, CliError> {
    match collateral {
        [] => Ok(None),
        [one] => Ok(Some(one)),
        _ => Err("single-key evidence takes one --collateral".into()),
    }
}

/// `lsv join`: the evidence checked against the vault, the wait, the proof, the call.
pub(crate) fn join(args: JoinArgs) -> Result<(), CliError> {
    let network = crate::load_network(&args.network)?;
    let verifier = VerifierConfig::of_network(&network);
    let pubkey = parse_pubkey(&args.pubkey)?;
    let vault = args.vault.resolve()?.0;
    let registered_devices = args.registered_devices || args.vault.registers_devices()?;
    let beacon = beacon_client(&args.beacon_url)?;
    let eth = args.tx.connect(&args.rpc)?;
    let deadline = match (args.no_wait, args.timeout) {
        (true, _) => Some(Instant::now()),
        (false, Some(s)) => Some(Instant::now() + Duration::from_secs(s)),
        (false, None) => None,
    };
    crate::runtime()?.block_on(async {
        let collateral = args
            .collateral
            .iter()
            .map(|path| {
                std::fs::read_to_string(path)
                    .map_err(|e| format!("cannot read {}: {e}", path.display()))
            })
            .collect::<Result<Vec<String>, String>>()?;
        // Input errors (a quote without its collateral) before anything is asked of a node.
        let evidence = match (&args.attestation_file, &args.p_url) {
            (Some(path), _) => {
                let text = std::fs::read_to_string(path)
                    .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
                // A cluster's evidence-<key>.json (every device's evidence), else P's.
                match serde_json::from_str::<GroupEvidence>(&text) {
                    Ok(group) if registered_devices => {
                        staker::JoinEvidence::group_registered(&group).map_err(err)?
                    }
                    Ok(group) => staker::JoinEvidence::group(&group, &collateral).map_err(err)?,
                    Err(_) if registered_devices => {
                        return Err(format!(
                            "--registered-devices takes a cluster's evidence-<key>.json; {} is \
                             not one",
                            path.display()
                        )
                        .into())
                    }
                    Err(_) => staker::JoinEvidence::single(
                        &staker::evidence_from_json(&text, &pubkey, &path.display().to_string())
                            .map_err(err)?,
                        single_collateral(&collateral)?,
                    )
                    .map_err(err)?,
                }
            }
            (None, Some(_)) if registered_devices => {
                return Err(
                    "--registered-devices takes a cluster's evidence-<key>.json \
                            (--attestation-file)"
                        .into(),
                )
            }
            (None, Some(url)) => staker::JoinEvidence::single(
                &staker::fetch_evidence(url, &pubkey).await.map_err(err)?,
                single_collateral(&collateral)?,
            )
            .map_err(err)?,
            (None, None) => return Err("give --attestation-file FILE or --p-url URL".into()),
        };
        if evidence.claim.pubkey != pubkey {
            return Err(format!(
                "the evidence is for {}, not {pubkey}",
                evidence.claim.pubkey
            )
            .into());
        }
        staker::check_joinable(&eth, vault, &evidence.claim)
            .await
            .map_err(err)?;
        let owner = evidence.claim.owner;
        output::note(&format!(
            "{pubkey}: {} evidence for owner {owner}, accepted by the vault's binding",
            evidence.kind
        ));
        prove::check_genesis(&beacon, &verifier)
            .await
            .map_err(|e| e.to_string())?;
        let preset = prove::node_preset(&beacon)
            .await
            .map_err(|e| e.to_string())?;
        let deposit_slot =
            staker::find_deposit_slot(&eth, &network, &pubkey, staker::DEPOSIT_SEARCH_BLOCKS)
                .await
                .map_err(err)?;
        match deposit_slot {
            Some(slot) => output::note(&format!("{pubkey} was deposited at slot {slot}")),
            None => output::note(&format!(
                "warning: no deposit for {pubkey} in the deposit contract's last {} blocks: \
                 was it deposited (lsv deposit) on this network?",
                staker::DEPOSIT_SEARCH_BLOCKS
            )),
        }
        let mut last_note = None::<Instant>;
        let on_progress = |status: &staker::WaitStatus| {
            // One line every half minute is progress without flooding a terminal or a log.
            if last_note.is_none_or(|t| t.elapsed() >= Duration::from_secs(30)) {
                output::note(&format!("waiting: {pubkey} is {status}"));
                last_note = Some(Instant::now());
            }
        };
        let entry = staker::wait_for_registry(
            &beacon,
            &network,
            &pubkey,
            deposit_slot,
            deadline,
            on_progress,
        )
        .await
        .map_err(err)?;
        output::note(&format!(
            "{pubkey} is validator {} ({}, balance {} gwei) at slot {}: proving and joining",
            entry.validator.index,
            entry.validator.status,
            entry.validator.balance,
            entry.anchor_slot
        ));
        let joined = staker::join(&eth, vault, &beacon, &verifier, preset, &entry, &evidence)
            .await
            .map_err(err)?;
        output::note(&format!(
            "joined: position {} for {owner} (31 sETH minted) in block {}, transaction {}",
            joined.position_id, joined.block_number, joined.tx
        ));
        if args.json {
            output::json(&joined)
        } else {
            output::line(&joined.position_id.to_string())
        }
    })
}

/// `lsv position`.
#[derive(Args)]
pub(crate) struct PositionArgs {
    /// The position id. Without it: every position `--owner` holds.
    #[arg(value_name = "ID", required_unless_present = "owner")]
    id: Option<U256>,
    /// List the positions this address holds.
    #[arg(long, value_name = "ADDRESS", conflicts_with = "id")]
    owner: Option<Address>,
    #[command(flatten)]
    vault: VaultArgs,
    #[command(flatten)]
    rpc: RpcArgs,
    /// A beacon node, for the validator's balance and distance to ejection.
    #[arg(long, value_name = "URL")]
    beacon_url: Option<String>,
    /// Print the result as JSON.
    #[arg(long)]
    json: bool,
}

const ETH_WEI: f64 = 1e18;

fn eth_of(wei: U256) -> String {
    // Display only: f64 carries the 4 decimals shown exactly enough.
    format!("{:.4} ETH", f64::from(wei) / ETH_WEI)
}

/// `lsv position`.
pub(crate) fn position(args: PositionArgs) -> Result<(), CliError> {
    let vault = args.vault.resolve()?.0;
    let eth = Eth::connect(&args.rpc.rpc, None, FeeCaps::default()).map_err(|e| e.to_string())?;
    let beacon = args.beacon_url.as_deref().map(beacon_client).transpose()?;
    crate::runtime()?.block_on(async {
        let ids = match (args.id, args.owner) {
            (Some(id), _) => vec![id],
            (None, Some(owner)) => staker::positions_of(&eth, vault, owner)
                .await
                .map_err(err)?,
            (None, None) => return Err("give a position ID or --owner ADDRESS".into()),
        };
        let mut reports = Vec::new();
        for id in ids {
            reports.push(
                staker::position(&eth, vault, id, beacon.as_ref())
                    .await
                    .map_err(err)?,
            );
        }
        if args.json {
            return match (args.id, reports.len()) {
                (Some(_), 1) => output::json(&reports[0]),
                _ => output::json(&reports),
            };
        }
        if reports.is_empty() {
            output::note("no positions");
        }
        output::stdout(|w| {
            for r in &reports {
                writeln!(
                    w,
                    "position {} ({}), validator {}",
                    r.id, r.status, r.validator_index
                )?;
                writeln!(w, "  holder              {}", r.holder)?;
                writeln!(w, "  debt                {}", eth_of(r.debt_wei))?;
                writeln!(
                    w,
                    "  claimable residual  {}",
                    eth_of(r.claimable_residual_wei)
                )?;
                if !r.wind_down_share_wei.is_zero() {
                    writeln!(w, "  wind-down share     {}", eth_of(r.wind_down_share_wei))?;
                }
                writeln!(
                    w,
                    "  last proven balance {} gwei (slot {})",
                    r.last_proven_balance_gwei, r.last_proof_slot
                )?;
                if !r.shortfall_wei.is_zero() || r.slashed {
                    writeln!(
                        w,
                        "  shortfall           {}{}",
                        eth_of(r.shortfall_wei),
                        if r.slashed { " (slashed)" } else { "" }
                    )?;
                }
                if !r.unpaid_debt_wei.is_zero() {
                    writeln!(w, "  unpaid debt         {}", eth_of(r.unpaid_debt_wei))?;
                }
                if r.exit_requested {
                    writeln!(w, "  exit requested")?;
                }
                if let Some(b) = &r.beacon {
                    writeln!(
                        w,
                        "  beacon              {}, balance {} gwei (effective {})",
                        b.status, b.balance_gwei, b.effective_balance_gwei
                    )?;
                    writeln!(
                        w,
                        "  to ejection         {} gwei above EJECT_BELOW ({} gwei){}",
                        b.distance_to_ejection_gwei,
                        r.eject_below_gwei,
                        if b.distance_to_ejection_gwei < 0 {
                            ": ejectable now"
                        } else {
                            ""
                        }
                    )?;
                }
            }
            Ok(())
        })
    })
}
