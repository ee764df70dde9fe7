//! The end of a staker's validator: `lsv exit` (a voluntary exit signed by P, handed to a
//! beacon node) and `lsv claim` (the position's residual once its withdrawal is settled).

use crate::chain::{ether, get_json, post_json, RpcArgs, TxArgs, VaultArgs};
use crate::output::{self, CliError};
use alloy::primitives::{Address, U256};
use clap::Args;
use lsv_consensus::Epoch;
use lsv_contracts::bindings::vault::Vault;
use serde_json::{json, Value};

/// `lsv exit`.
#[derive(Args)]
pub(crate) struct ExitArgs {
    /// The validator's public key (0x-prefixed hex).
    #[arg(long, value_name = "PUBKEY")]
    pubkey: String,
    /// P's signer API, which signs the exit after its own checks.
    #[arg(long, value_name = "URL")]
    p_url: String,
    /// A beacon node's standard API: the validator's state, and where the exit is submitted.
    #[arg(long, value_name = "URL")]
    beacon_url: String,
    /// The network (`mainnet`, `hoodi`, `sepolia`, or a devnet `config.yaml`): the fork the exit is
    /// signed for.
    #[arg(long, default_value = "mainnet")]
    network: String,
    /// Print the signed exit as JSON.
    #[arg(long)]
    json: bool,
    /// Then follow the validator until its withdrawal is swept: through the exit queue and
    /// the withdrawability delay, with an ETA from the chain's timing (Ctrl-C stops waiting,
    /// not the exit).
    #[arg(long)]
    wait: bool,
}

fn number(value: &Value, what: &str) -> Result<u64, String> {
    value
        .as_str()
        .and_then(|s| s.parse().ok())
        .or_else(|| value.as_u64())
        .ok_or_else(|| format!("the beacon node's {what} is not a number: {value}"))
}

/// `lsv exit`: checks the validator can exit now (phase0 `process_voluntary_exit`: active, not
/// exiting, active for `SHARD_COMMITTEE_PERIOD` epochs), has P sign a `VoluntaryExit` at the
/// head's epoch, and submits it to the beacon node's pool.
pub(crate) fn exit(args: ExitArgs) -> Result<(), CliError> {
    let network = crate::load_network(&args.network)?;
    let beacon = args.beacon_url.trim_end_matches('/').to_owned();
    let p = args.p_url.trim_end_matches('/').to_owned();
    let signed = crate::runtime()?.block_on(async {
        let head = get_json(&format!("{beacon}/eth/v1/beacon/headers/head")).await?;
        let slot = number(&head["data"]["header"]["message"]["slot"], "head slot")?;
        let epoch = slot / network.slots_per_epoch;
        let validator = get_json(&format!(
            "{beacon}/eth/v1/beacon/states/head/validators/{}",
            args.pubkey
        ))
        .await?;
        let data = &validator["data"];
        let index = number(&data["index"], "validator index")?;
        let status = data["status"].as_str().unwrap_or_default();
        if status != "active_ongoing" {
            return Err(format!(
                "validator {index} is {status}: only an active validator that is not exiting can exit"
            ));
        }
        let activation = number(&data["validator"]["activation_epoch"], "activation epoch")?;
        let earliest = activation.saturating_add(network.shard_committee_period);
        if epoch < earliest {
            let seconds = (earliest - epoch) * network.slots_per_epoch * network.seconds_per_slot;
            return Err(format!(
                "validator {index} may exit from epoch {earliest} (active since {activation}, \
                 SHARD_COMMITTEE_PERIOD {}): in about {} minutes",
                network.shard_committee_period,
                seconds.div_ceil(60)
            ));
        }
        let fork = network.fork_object_at(Epoch(epoch));
        let exit = json!({"epoch": epoch.to_string(), "validator_index": index.to_string()});
        let request = json!({
            "type": "VOLUNTARY_EXIT",
            "fork_info": {
                "fork": {
                    "previous_version": fork.previous_version.to_hex(),
                    "current_version": fork.current_version.to_hex(),
                    "epoch": fork.epoch.as_u64().to_string(),
                },
                "genesis_validators_root": network.genesis_validators_root,
            },
            "voluntary_exit": exit,
        });
        let answer = post_json(&format!("{p}/api/v1/eth2/sign/{}", args.pubkey), &request).await?;
        // Web3Signer answers `{"signature": …}` to `Accept: application/json`, plain hex else.
        let signature = serde_json::from_str::<Value>(&answer)
            .ok()
            .and_then(|v| v["signature"].as_str().map(str::to_owned))
            .unwrap_or_else(|| answer.trim().to_owned());
        let signed = json!({"message": exit, "signature": signature});
        post_json(&format!("{beacon}/eth/v1/beacon/pool/voluntary_exits"), &signed).await?;
        Ok::<_, String>((signed, index, epoch))
    })?;
    let (signed, index, epoch) = signed;
    if args.json {
        output::json(&signed)?;
    } else {
        output::line(&format!(
            "validator {index}: exit signed by P at epoch {epoch} and submitted; it leaves the \
             active set after the exit queue, and is withdrawable {} epochs later \
             (MIN_VALIDATOR_WITHDRAWABILITY_DELAY)",
            network.min_validator_withdrawability_delay
        ))?;
    }
    if args.wait {
        crate::runtime()?.block_on(follow_exit(&network, &beacon, index))?;
    }
    Ok(())
}

/// Follows validator `index` from its exit to the sweep that withdraws it (balance 0), noting
/// each change of stage on stderr with the time left by the chain's clock: the exit epoch and
/// the withdrawable epoch are in the registry once the exit is in a block; after that, the
/// sweep takes at most one pass over the registry.
async fn follow_exit(
    network: &lsv_consensus::Network,
    beacon: &str,
    index: u64,
) -> Result<(), String> {
    const FAR_FUTURE: u64 = u64::MAX;
    // Under 1 ETH once withdrawable, the principal is swept: what is left is what the validator
    // earned after its exit (sync committee duty), not a balance the sweep has yet to pay.
    const DUST_GWEI: u64 = 1_000_000_000;
    let slot_time = network.seconds_per_slot.max(1);
    let epoch_start = |e: u64| network.genesis_time + e * network.slots_per_epoch * slot_time;
    let eta = |e: u64| {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        lsv_keeper::staker::human(std::time::Duration::from_secs(
            epoch_start(e).saturating_sub(now),
        ))
    };
    let epoch_time = std::time::Duration::from_secs(network.slots_per_epoch * slot_time);
    let mut said = String::new();
    let mut noted = std::time::Instant::now();
    loop {
        let data = get_json(&format!(
            "{beacon}/eth/v1/beacon/states/head/validators/{index}"
        ))
        .await?;
        let v = &data["data"];
        let exit = number(&v["validator"]["exit_epoch"], "exit epoch")?;
        let withdrawable = number(&v["validator"]["withdrawable_epoch"], "withdrawable epoch")?;
        let balance = number(&v["balance"], "balance")?;
        let status = v["status"].as_str().unwrap_or_default();
        let stage = if exit == FAR_FUTURE {
            "the exit is in the node's pool, not yet in a block".to_owned()
        } else if status == "active_exiting" {
            format!(
                "exits at epoch {exit} (ETA ~{}), withdrawable at epoch {withdrawable} (ETA ~{})",
                eta(exit),
                eta(withdrawable)
            )
        } else if status == "exited_unslashed" || status == "exited_slashed" {
            format!(
                "exited; withdrawable at epoch {withdrawable} (ETA ~{})",
                eta(withdrawable)
            )
        } else if balance >= DUST_GWEI {
            format!(
                "withdrawable since epoch {withdrawable}: the withdrawals sweep pays it at its \
                 next pass over the registry"
            )
        } else {
            let left = if balance == 0 {
                String::new()
            } else {
                // A sync committee member keeps its duty, and earns, to the period's end.
                format!(" ({balance} gwei earned since, paid by later sweeps)")
            };
            output::note(&format!(
                "validator {index} is withdrawn{left}: once a keeper (or anyone, with `lsv \
                 prove`) settles its position, `lsv claim` pays the residual"
            ));
            return Ok(());
        };
        // A line when the stage changes, and once an epoch while it lasts (its ETA moving).
        let key = status.to_owned() + if exit == FAR_FUTURE { "pooled" } else { "" };
        if key != said || noted.elapsed() >= epoch_time {
            output::note(&format!("waiting: validator {index} {stage}"));
            said = key;
            noted = std::time::Instant::now();
        }
        tokio::time::sleep(std::time::Duration::from_secs(slot_time)).await;
    }
}

/// `lsv claim`.
#[derive(Args)]
pub(crate) struct ClaimArgs {
    /// The position.
    #[arg(value_name = "POSITION_ID")]
    position: u64,
    /// Where the ETH goes (default: the holder sending).
    #[arg(long, value_name = "ADDRESS")]
    recipient: Option<Address>,
    #[command(flatten)]
    vault: VaultArgs,
    #[command(flatten)]
    rpc: RpcArgs,
    #[command(flatten)]
    tx: TxArgs,
    /// Print what was paid as JSON.
    #[arg(long)]
    json: bool,
}

/// `lsv claim`: pays the position's residual (its withdrawals beyond its debt) to its holder,
/// and, once the vault winds down, its share of what the owners are paid (`claimWindDownShare`).
pub(crate) fn claim(args: ClaimArgs) -> Result<(), CliError> {
    let (vault, _) = args.vault.resolve()?;
    let eth = args.tx.connect(&args.rpc)?;
    let id = U256::from(args.position);
    let recipient = args.recipient.unwrap_or(Address::ZERO);
    let paid = crate::runtime()?
        .block_on(async {
            let residual: U256 = eth
                .view("Vault", vault, &Vault::residualOfCall { positionId: id })
                .await?;
            let share: U256 = eth
                .view(
                    "Vault",
                    vault,
                    &Vault::windDownShareOfCall { positionId: id },
                )
                .await?;
            let mut paid = Vec::new();
            if !residual.is_zero() {
                let call = Vault::claimResidualCall {
                    positionId: id,
                    recipient,
                };
                let sent = eth.send("Vault", vault, &call, U256::ZERO).await?;
                paid.push(("residual", residual, sent.tx));
            }
            if !share.is_zero() {
                let call = Vault::claimWindDownShareCall {
                    positionId: id,
                    recipient,
                };
                let sent = eth.send("Vault", vault, &call, U256::ZERO).await?;
                paid.push(("wind-down share", share, sent.tx));
            }
            Ok::<_, lsv_keeper::eth::EthError>(paid)
        })
        .map_err(|e| e.to_string())?;
    if paid.is_empty() {
        return Err(format!(
            "position {} has nothing to claim yet: its residual is paid once the validator's \
             withdrawal is settled, its wind-down share as the validators' ETH arrives (lsv \
             position {} shows where it stands)",
            args.position, args.position
        )
        .into());
    }
    let total = paid.iter().fold(U256::ZERO, |sum, (_, wei, _)| sum + *wei);
    if args.json {
        let parts: Vec<_> = paid
            .iter()
            .map(|(what, wei, tx)| {
                json!({"what": what, "paid_wei": wei.to_string(), "transaction": tx})
            })
            .collect();
        return output::json(&json!({
            "position": args.position,
            "paid_wei": total.to_string(),
            "transaction": paid[0].2,
            "payments": parts,
        }));
    }
    for (what, wei, tx) in &paid {
        output::line(&format!(
            "position {}: {} ETH paid as its {what} (transaction {tx})",
            args.position,
            ether(*wei)
        ))?;
    }
    Ok(())
}
