//! What an sETH holder does with the vault's redemption queue: request, watch, claim.
//!
//! The queue (`contracts/src/vault/VaultQueue.sol`) is first come, first served: a request
//! burns sETH into an entry with a running total (`cumulative`); `finalize` reserves ETH for a
//! prefix of the queue at the rate in force, `min(1, backing / outstanding)`, and records it
//! as a checkpoint; a finalized request is claimed once, at its checkpoint's rate. A holder's
//! requests are found by their `RedeemRequested` events (indexed by owner): the vault forgets a
//! request's owner once it is claimed.

use crate::eth::{Eth, EthError, Sent};
use alloy::primitives::{Address, U256};
use alloy::providers::Provider;
use alloy::rpc::types::Filter;
use alloy_sol_types::SolEvent;
use lsv_contracts::bindings::vault::Vault;
use serde::Serialize;

/// `RATE_UNIT`: a rate of 1 ETH per sETH (`VaultBase.sol`).
pub const RATE_UNIT: u128 = 1_000_000_000_000_000_000;

/// The queue as a whole.
#[derive(Clone, Debug, Serialize)]
pub struct QueueState {
    /// The newest request's id (0: none yet).
    pub last_request_id: u64,
    /// The newest finalized request's id.
    pub last_finalized_id: u64,
    /// sETH requested in total, in wei (the newest request's running total).
    pub requested_total: U256,
    /// ETH in the vault not reserved for finalized requests, in wei.
    pub buffer: U256,
    /// sETH still owed: in circulation plus open requests, in wei.
    pub outstanding: U256,
    /// ETH backing it: buffer plus live debt, less provisional shortfalls, in wei.
    pub backing: U256,
    /// The rate a finalization now would lock, in `RATE_UNIT`s (1e18 = 1 ETH per sETH).
    pub rate: U256,
    /// Whether the vault is winding down (`VaultWindDown.sol`): nothing is finalized any more;
    /// every request open at its start or made since shares what arrives, up to par.
    pub winding_down: bool,
}

/// One request, as its owner sees it.
#[derive(Clone, Debug, Serialize)]
pub struct RequestView {
    /// Its id.
    pub id: u64,
    /// sETH it redeems, in wei.
    pub amount: U256,
    /// `finalized`: ETH reserved, claimable; `claimed`: paid; `open`: waiting in line.
    pub status: RequestStatus,
    /// sETH of open requests ahead of it (0 once finalized), in wei: what `finalize` must
    /// cover before it comes.
    pub ahead: U256,
    /// What a claim now pays, in wei (0 unless finalized and unclaimed).
    pub claimable: U256,
    /// The checkpoint covering it, once finalized: pass to `claim`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub checkpoint: Option<u64>,
}

/// Where a request stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RequestStatus {
    /// Waiting for a finalization to reach it.
    Open,
    /// Finalized, not yet claimed.
    Finalized,
    /// Paid.
    Claimed,
    /// Open while the vault winds down: paid its share of what arrives, as it arrives
    /// (`claimWindDownRedemption`, as often as there is more).
    WindingDown,
}

/// The queue's state.
pub async fn queue_state(eth: &Eth, vault: Address) -> Result<QueueState, EthError> {
    let last_request_id = eth
        .view("Vault", vault, &Vault::lastRequestIdCall {})
        .await?;
    let last_finalized_id = eth
        .view("Vault", vault, &Vault::lastFinalizedIdCall {})
        .await?;
    let requested_total = eth
        .view("Vault", vault, &Vault::requestedTotalCall {})
        .await?;
    let buffer = eth.view("Vault", vault, &Vault::bufferCall {}).await?;
    let outstanding = eth.view("Vault", vault, &Vault::outstandingCall {}).await?;
    let backing = eth.view("Vault", vault, &Vault::backingCall {}).await?;
    let last_proof_epoch: u32 = eth
        .view("Vault", vault, &Vault::lastProofEpochCall {})
        .await?;
    // `_rate` (VaultQueue.sol): min(1, backing / outstanding), rounded down.
    let unit = U256::from(RATE_UNIT);
    let rate = if backing >= outstanding || outstanding.is_zero() {
        unit
    } else {
        backing * unit / outstanding
    };
    Ok(QueueState {
        last_request_id,
        last_finalized_id,
        requested_total: U256::from(requested_total),
        buffer: U256::from(buffer),
        outstanding,
        backing,
        rate,
        winding_down: last_proof_epoch == u32::MAX, // `WOUND_DOWN` (VaultBase.sol)
    })
}

/// Burns `amount` sETH wei of the sender's into a redemption request; its id.
pub async fn redeem(eth: &Eth, vault: Address, amount: U256) -> Result<(u64, Sent), EthError> {
    let sent = eth
        .send(
            "Vault",
            vault,
            &Vault::requestRedeemCall { amount },
            U256::ZERO,
        )
        .await?;
    let id = first_event::<Vault::RedeemRequested>(&sent, vault)
        .map(|event| event.requestId.saturating_to::<u64>())
        .ok_or_else(|| EthError::Decode {
            what: "Vault.requestRedeem".into(),
            reason: "no RedeemRequested event in the receipt".into(),
        })?;
    Ok((id, sent))
}

/// The ids of every request `owner` made, oldest first, from the vault's events since
/// `from_block` (the deployment's block).
pub async fn requests_of(
    eth: &Eth,
    vault: Address,
    owner: Address,
    from_block: u64,
) -> Result<Vec<u64>, EthError> {
    let filter = Filter::new()
        .address(vault)
        .event_signature(Vault::RedeemRequested::SIGNATURE_HASH)
        .topic2(owner.into_word())
        .from_block(from_block);
    let logs = eth
        .provider()
        .get_logs(&filter)
        .await
        .map_err(|e| EthError::Rpc(format!("eth_getLogs: {e}")))?;
    let mut ids: Vec<u64> = logs
        .iter()
        .filter_map(|log| Vault::RedeemRequested::decode_log_data(log.data()).ok())
        .map(|event| event.requestId.saturating_to::<u64>())
        .collect();
    ids.sort_unstable();
    ids.dedup();
    Ok(ids)
}

/// Request `id` as its owner sees it, against the queue's state `queue`.
pub async fn request(
    eth: &Eth,
    vault: Address,
    queue: &QueueState,
    id: u64,
) -> Result<RequestView, EthError> {
    let of = |id: u64| Vault::requestOfCall {
        requestId: U256::from(id),
    };
    let this = eth.view("Vault", vault, &of(id)).await?;
    let before = eth.view("Vault", vault, &of(id.saturating_sub(1))).await?;
    let amount = this.cumulative.saturating_sub(before.cumulative);
    if id <= queue.last_finalized_id {
        let checkpoint: U256 = eth
            .view(
                "Vault",
                vault,
                &Vault::findCheckpointCall {
                    requestId: U256::from(id),
                },
            )
            .await?;
        let claimable = eth
            .view(
                "Vault",
                vault,
                &Vault::claimableCall {
                    requestId: U256::from(id),
                    checkpointHint: checkpoint,
                },
            )
            .await?;
        // The vault zeroes a request's owner when it pays it.
        let status = if this.owner == Address::ZERO {
            RequestStatus::Claimed
        } else {
            RequestStatus::Finalized
        };
        return Ok(RequestView {
            id,
            amount,
            status,
            ahead: U256::ZERO,
            claimable,
            checkpoint: Some(checkpoint.saturating_to()),
        });
    }
    if queue.winding_down {
        let claimable = eth
            .view(
                "Vault",
                vault,
                &Vault::windDownRedemptionOfCall {
                    requestId: U256::from(id),
                },
            )
            .await?;
        return Ok(RequestView {
            id,
            amount,
            status: RequestStatus::WindingDown,
            ahead: U256::ZERO,
            claimable,
            checkpoint: None,
        });
    }
    let finalized_total = eth
        .view("Vault", vault, &of(queue.last_finalized_id))
        .await?
        .cumulative;
    Ok(RequestView {
        id,
        amount,
        status: RequestStatus::Open,
        ahead: before.cumulative.saturating_sub(finalized_total),
        claimable: U256::ZERO,
        checkpoint: None,
    })
}

/// Claims finalized request `id` (paid to its owner, whoever sends); what it paid.
pub async fn claim(eth: &Eth, vault: Address, id: u64) -> Result<(U256, Sent), EthError> {
    let request_id = U256::from(id);
    let checkpoint = eth
        .view(
            "Vault",
            vault,
            &Vault::findCheckpointCall {
                requestId: request_id,
            },
        )
        .await?;
    let sent = eth
        .send(
            "Vault",
            vault,
            &Vault::claimCall {
                requestId: request_id,
                checkpointHint: checkpoint,
            },
            U256::ZERO,
        )
        .await?;
    let paid = first_event::<Vault::Claimed>(&sent, vault).map_or(U256::ZERO, |e| e.amount);
    Ok((paid, sent))
}

/// The first `E` event `vault` logged in `sent`'s receipt.
fn first_event<E: SolEvent>(sent: &Sent, vault: Address) -> Option<E> {
    sent.receipt
        .inner
        .logs()
        .iter()
        .filter(|log| log.address() == vault)
        .find_map(|log| E::decode_log_data(log.data()).ok())
}

/// Claims what wind-down request `id` has earned since its last claim (paid to its owner, who
/// must send); what it paid.
pub async fn claim_wind_down(eth: &Eth, vault: Address, id: u64) -> Result<(U256, Sent), EthError> {
    let sent = eth
        .send(
            "Vault",
            vault,
            &Vault::claimWindDownRedemptionCall {
                requestId: U256::from(id),
                recipient: Address::ZERO,
            },
            U256::ZERO,
        )
        .await?;
    let paid = first_event::<Vault::WindDownRedemptionClaimed>(&sent, vault)
        .map_or(U256::ZERO, |e| e.amount);
    Ok((paid, sent))
}
