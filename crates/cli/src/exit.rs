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
    /// The network (`mainnet`, `hoodi`, or a devnet `config.yaml`): the fork the exit is
    /// signed for.
    #[arg(long, default_value = "mainnet")]
    network: String,
    /// Print the signed exit as JSON.
    #[arg(long)]
    json: bool,
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
        return output::json(&signed);
    }
    output::line(&format!(
        "validator {index}: exit signed by P at epoch {epoch} and submitted; it leaves the active \
         set after the exit queue, and is withdrawable {} epochs later \
         (MIN_VALIDATOR_WITHDRAWABILITY_DELAY)",
        network.min_validator_withdrawability_delay
    ))
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

/// `lsv claim`: pays the position's residual (its withdrawals beyond its debt) to its holder.
pub(crate) fn claim(args: ClaimArgs) -> Result<(), CliError> {
    let (vault, _) = args.vault.resolve()?;
    let eth = args.tx.connect(&args.rpc)?;
    let id = U256::from(args.position);
    let (owed, sent) = crate::runtime()?
        .block_on(async {
            let owed: U256 = eth
                .view("Vault", vault, &Vault::residualOfCall { positionId: id })
                .await?;
            if owed.is_zero() {
                return Ok((owed, None));
            }
            let call = Vault::claimResidualCall {
                positionId: id,
                recipient: args.recipient.unwrap_or(Address::ZERO),
            };
            let sent = eth.send("Vault", vault, &call, U256::ZERO).await?;
            Ok::<_, lsv_keeper::eth::EthError>((owed, Some(sent)))
        })
        .map_err(|e| e.to_string())?;
    let Some(sent) = sent else {
        return Err(format!(
            "position {} has no residual to claim yet: it is paid once the validator's \
             withdrawal is settled (lsv position {} shows where it stands)",
            args.position, args.position
        )
        .into());
    };
    if args.json {
        return output::json(&json!({
            "position": args.position,
            "paid_wei": owed.to_string(),
            "transaction": sent.tx,
        }));
    }
    output::line(&format!(
        "position {}: {} ETH paid (transaction {})",
        args.position,
        ether(owed),
        sent.tx
    ))
}
