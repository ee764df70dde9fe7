//! The keeper: a long-running process that does C's permissionless duties, so that nothing
//! depends on a particular party showing up.
//!
//! Each round ([`Keeper::round`]):
//!
//! 1. **Journal.** Transactions sent in earlier rounds (or before a restart) and not yet
//!    mined are looked up; a duty with a transaction in flight is not started again, so a
//!    restart never sends a duplicate.
//! 2. **Queue finalization.** The longest prefix of open requests the buffer covers at the
//!    rate in force (`min(1, backing / outstanding)`) is finalized. The duty pays no reward:
//!    the keeper does it because redeemers wait on it, within its daily spending cap.
//! 3. **Proof-driven duties** (with a beacon node). Once per finalized block, every live
//!    position's validator is proven (balance and inactivity score) against it, one state fetch
//!    for all; while finality stalls (more than four epochs behind the head: an inactivity
//!    leak), once per epoch against the head's parent instead, since the vault takes any root
//!    EIP-4788 holds and a leak is when ejections matter most. The vault's calls are simulated
//!    in turn: `markSlashed`, `markExiting`,
//!    `markToProof` (when the proven shortfall is more than 0.01 ETH from the one the vault
//!    books), `eject` (balance under
//!    `EJECT_BELOW_GWEI` or an inactivity score over `INACTIVITY_TRIGGER`, and an exit the
//!    consensus layer would honour), `demandExit` or `skipDemandExit` at the demand cursor
//!    (while open redemptions exceed their cover; a cursor on a position that is exiting or
//!    closed is skipped without a proof, which no live position's turn would do; an active one
//!    the consensus layer would not exit yet only while another could be), and
//!    `heartbeat` once half of `WIND_DOWN_DELAY` passed without an accepted proof; and `join`
//!    for each validator of the key-generation evidence it was given
//!    ([`KeeperConfig::join_evidence`]) once the registry holds it. The vault's
//!    own rules decide: a call that would revert is not due. `eject` is sent when its reward
//!    (`EJECT_REWARD`, 0.1 sETH) beats its expected cost; the unrewarded ones (the marks keep
//!    the rate honest, demand exits and the heartbeat keep redemptions moving) within the cap.
//!
//! 4. **Settlement** (with a beacon node). The finalized blocks since the last round are
//!    searched for withdrawals to the vault (a journaled cursor; finalized blocks are never
//!    reorged), and each not yet credited is proven against the round's anchor by the cheapest
//!    route its slot allows (the anchor block itself, else the anchor state's `block_roots`,
//!    else `historical_summaries`, which needs one more state) and booked: `settle` for a live
//!    position (the first withdrawal at or after its withdrawable epoch closes it and pays the
//!    queue), `creditWithdrawal` for a closed one, `creditUnattributedWithdrawal` for a
//!    validator that never joined. Unrewarded, within the cap: they move ETH to redeemers and
//!    owners; a credit is sent only when the amount it moves beats its gas (an exited sync
//!    committee member's dust waits until it is worth it, or for its owner).
//!    From Gloas on (EIP-7732) blocks carry no payload: against a Gloas anchor, an exiting
//!    position's validator the anchor shows withdrawable at balance 0 has its sweep found by
//!    bisecting its balance ([`crate::prove::find_sweep_payment`]), and every payment is proven
//!    from the state that listed it (withdrawal format 2).
//!
//! 5. **Wind-down** ([`Keeper::wind_down`], after the proofs, whose heartbeat keeps a vault that
//!    can be proven alive, and even when they fail): `noticeWindDown` when the vault has been
//!    silent for `WIND_DOWN_DELAY`, then `windDownExit` for each live position (its key from
//!    the deposit contract's logs: no beacon node needed) and `sweepWindDown`, as the vault's
//!    rules allow.
//!
//! Every transaction is simulated before it is sent ([`crate::eth`]); a duty another keeper
//! did first simply stops simulating, so several keepers can run side by side. What was sent is
//! kept in an SQLite journal beside its cost, which the spending cap reads. The journal only
//! keeps a duty from being sent twice while its transaction is in flight; whether a duty is
//! still to do is always the chain's answer to a fresh simulation, so a reorg that removes a
//! mined transaction puts its duty back (and one dropped from the node's pool is tried again).

use crate::beacon::{BeaconClient, BeaconError, StateId};
use crate::eth::{Eth, EthError};
use crate::prove::{
    fetch_anchor, find_sweep_payment, listed_payment_proof, period_block_roots,
    prove_withdrawal_in, withdrawal_proof_in, AnchorProver, FetchedAnchor, PaymentSelector,
    ProveError, VerifierConfig, WithdrawalSelector,
};
use crate::BlockId;
use alloy::eips::eip7002;
use alloy::network::TransactionBuilder;
use alloy::primitives::{keccak256, Address, Bytes, TxHash, U256};
use alloy::providers::Provider;
use alloy::rpc::types::TransactionRequest;
use lsv_attestation::Evidence;
use lsv_consensus::{ForkName, Mainnet, Minimal, PresetName, PublicKeyBytes, Slot};
use lsv_contracts::bindings::vault::IVault::Position;
use lsv_contracts::bindings::vault::Vault;
use lsv_proofs::block::BeaconBlock;
use lsv_proofs::gloas::GloasStateProver;
use lsv_proofs::{ProofParts, StatePreset, WithdrawalRoute};
use rusqlite::{params, Connection, OptionalExtension};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

/// What went wrong in a round.
#[derive(Debug, thiserror::Error)]
pub enum KeeperError {
    /// The execution node.
    #[error(transparent)]
    Eth(#[from] EthError),
    /// Building proofs from the beacon node.
    #[error("proofs: {0}")]
    Prove(#[from] ProveError),
    /// The journal.
    #[error("journal: {0}")]
    Journal(#[from] rusqlite::Error),
}

/// The journal of what the keeper sent: SQLite, one row per transaction.
pub struct Journal {
    db: Connection,
}

/// A journal row's state.
const PENDING: &str = "pending";
const MINED: &str = "mined";
const FAILED: &str = "failed";
/// Neither mined nor known to the node any more (dropped from its pool, or mined in blocks a
/// reorg removed and not re-included): the duty may be tried again.
const DROPPED: &str = "dropped";

impl Journal {
    /// Opens (or creates) the journal at `path`.
    pub fn open(path: &Path) -> Result<Self, rusqlite::Error> {
        let db = Connection::open(path)?;
        db.pragma_update(None, "journal_mode", "WAL")?;
        db.pragma_update(None, "synchronous", "FULL")?;
        db.execute_batch(
            "CREATE TABLE IF NOT EXISTS sent (
                tx TEXT PRIMARY KEY,
                duty TEXT NOT NULL,
                subject TEXT NOT NULL,
                sent_at INTEGER NOT NULL,
                status TEXT NOT NULL,
                block INTEGER,
                cost_wei TEXT NOT NULL
            );
            CREATE INDEX IF NOT EXISTS sent_duty ON sent (duty, subject, status);
            CREATE TABLE IF NOT EXISTS scanned (
                id INTEGER PRIMARY KEY CHECK (id = 0),
                slot INTEGER NOT NULL
            );
            CREATE TABLE IF NOT EXISTS withdrawals (
                withdrawal_index INTEGER PRIMARY KEY,
                slot INTEGER NOT NULL,
                validator_index INTEGER NOT NULL,
                amount_gwei INTEGER NOT NULL,
                credited INTEGER NOT NULL DEFAULT 0
            );",
        )?;
        Ok(Self { db })
    }

    /// The last slot whose block was searched for withdrawals to the vault, if any was.
    pub fn scanned_through(&self) -> Result<Option<u64>, rusqlite::Error> {
        let slot: Option<i64> = self
            .db
            .query_row("SELECT slot FROM scanned WHERE id = 0", [], |row| {
                row.get(0)
            })
            .optional()?;
        Ok(slot.map(i64::unsigned_abs))
    }

    /// Records that every block up to `slot` was searched.
    pub fn set_scanned_through(&self, slot: u64) -> Result<(), rusqlite::Error> {
        self.db.execute(
            "INSERT INTO scanned (id, slot) VALUES (0, ?1)
             ON CONFLICT (id) DO UPDATE SET slot = excluded.slot",
            params![sql_int(slot)],
        )?;
        Ok(())
    }

    /// Notes a withdrawal to the vault found in the block of `withdrawal.slot` (once: noting it
    /// again changes nothing).
    pub fn note_withdrawal(&self, withdrawal: &VaultWithdrawal) -> Result<(), rusqlite::Error> {
        self.db.execute(
            "INSERT OR IGNORE INTO withdrawals
                 (withdrawal_index, slot, validator_index, amount_gwei)
             VALUES (?1, ?2, ?3, ?4)",
            params![
                sql_int(withdrawal.index),
                sql_int(withdrawal.slot),
                sql_int(withdrawal.validator_index),
                sql_int(withdrawal.amount_gwei)
            ],
        )?;
        Ok(())
    }

    /// The withdrawals to the vault not yet known to be credited, oldest first.
    pub fn uncredited_withdrawals(&self) -> Result<Vec<VaultWithdrawal>, rusqlite::Error> {
        let mut statement = self.db.prepare(
            "SELECT withdrawal_index, slot, validator_index, amount_gwei FROM withdrawals
             WHERE credited = 0 ORDER BY withdrawal_index",
        )?;
        let rows = statement.query_map([], |row| {
            Ok(VaultWithdrawal {
                index: row.get::<_, i64>(0)?.unsigned_abs(),
                slot: row.get::<_, i64>(1)?.unsigned_abs(),
                validator_index: row.get::<_, i64>(2)?.unsigned_abs(),
                amount_gwei: row.get::<_, i64>(3)?.unsigned_abs(),
            })
        })?;
        rows.collect()
    }

    /// Marks withdrawal `index` credited by the vault (by anyone).
    pub fn mark_credited(&self, index: u64) -> Result<(), rusqlite::Error> {
        self.db.execute(
            "UPDATE withdrawals SET credited = 1 WHERE withdrawal_index = ?1",
            params![sql_int(index)],
        )?;
        Ok(())
    }

    /// Records a transaction just broadcast for `duty` on `subject`, at its expected cost.
    pub fn record(
        &self,
        duty: &str,
        subject: &str,
        tx: TxHash,
        cost: U256,
    ) -> Result<(), rusqlite::Error> {
        self.db.execute(
            "INSERT OR REPLACE INTO sent (tx, duty, subject, sent_at, status, cost_wei)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![
                tx.to_string(),
                duty,
                subject,
                sql_int(unix_now()),
                PENDING,
                cost.to_string()
            ],
        )?;
        Ok(())
    }

    /// The transaction in flight for `duty` on `subject`, if any.
    pub fn in_flight(&self, duty: &str, subject: &str) -> Result<Option<TxHash>, rusqlite::Error> {
        let tx: Option<String> = self
            .db
            .query_row(
                "SELECT tx FROM sent WHERE duty = ?1 AND subject = ?2 AND status = ?3",
                params![duty, subject, PENDING],
                |row| row.get(0),
            )
            .optional()?;
        Ok(tx.and_then(|t| t.parse().ok()))
    }

    /// Every transaction in flight.
    pub fn all_in_flight(&self) -> Result<Vec<TxHash>, rusqlite::Error> {
        let mut statement = self.db.prepare("SELECT tx FROM sent WHERE status = ?1")?;
        let rows = statement.query_map(params![PENDING], |row| row.get::<_, String>(0))?;
        Ok(rows
            .filter_map(Result::ok)
            .filter_map(|t| t.parse().ok())
            .collect())
    }

    /// Marks `tx` mined (or reverted on chain) in `block`, at its real cost.
    pub fn settle(
        &self,
        tx: TxHash,
        success: bool,
        block: u64,
        cost: U256,
    ) -> Result<(), rusqlite::Error> {
        self.db.execute(
            "UPDATE sent SET status = ?2, block = ?3, cost_wei = ?4 WHERE tx = ?1",
            params![
                tx.to_string(),
                if success { MINED } else { FAILED },
                sql_int(block),
                cost.to_string()
            ],
        )?;
        Ok(())
    }

    /// Marks `tx` dropped: its duty is free to be tried again.
    pub fn drop_tx(&self, tx: TxHash) -> Result<(), rusqlite::Error> {
        self.db.execute(
            "UPDATE sent SET status = ?2, cost_wei = '0' WHERE tx = ?1",
            params![tx.to_string(), DROPPED],
        )?;
        Ok(())
    }

    /// What the transactions sent since `since` (unix seconds) cost, or may cost.
    pub fn spent_since(&self, since: u64) -> Result<U256, rusqlite::Error> {
        let mut statement = self
            .db
            .prepare("SELECT cost_wei FROM sent WHERE sent_at >= ?1")?;
        let rows = statement.query_map(params![sql_int(since)], |row| row.get::<_, String>(0))?;
        Ok(rows
            .filter_map(Result::ok)
            .filter_map(|c| c.parse::<U256>().ok())
            .fold(U256::ZERO, |a, b| a.saturating_add(b)))
    }

    /// How many transactions were sent for `duty` and mined.
    pub fn mined(&self, duty: &str) -> Result<u64, rusqlite::Error> {
        let count: i64 = self.db.query_row(
            "SELECT COUNT(*) FROM sent WHERE duty = ?1 AND status = ?2",
            params![duty, MINED],
            |row| row.get(0),
        )?;
        Ok(count.unsigned_abs())
    }
}

/// The validators (of `exiting`) whose sweep a Gloas anchor state shows done but the journal does
/// not hold: withdrawable by the state's slot, at balance 0, with no withdrawal of theirs in
/// `owed` from their withdrawable epoch on. Each with the first slot to search for the sweep
/// (its withdrawable epoch's).
pub fn swept_unnoted<P: StatePreset>(
    state: &lsv_proofs::state::gloas::BeaconState<P>,
    exiting: impl IntoIterator<Item = u64>,
    owed: &[VaultWithdrawal],
    slots_per_epoch: u64,
) -> Vec<(u64, Slot)> {
    exiting
        .into_iter()
        .filter_map(|index| {
            let i = usize::try_from(index).ok()?;
            let (v, balance) = (state.validators.0.get(i)?, state.balances.0.get(i)?);
            let from = v
                .withdrawable_epoch
                .as_u64()
                .saturating_mul(slots_per_epoch);
            let noted = owed
                .iter()
                .any(|w| w.validator_index == index && w.slot >= from);
            (from <= state.slot.as_u64() && balance.as_u64() == 0 && !noted)
                .then_some((index, Slot::new(from)))
        })
        .collect()
}

/// A withdrawal of a finalized block's payload that paid the vault.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct VaultWithdrawal {
    /// `Withdrawal.index`, unique on the chain: the vault credits each once.
    pub index: u64,
    /// The slot of the block whose payload holds it.
    pub slot: u64,
    /// `Withdrawal.validator_index`.
    pub validator_index: u64,
    /// `Withdrawal.amount`.
    pub amount_gwei: u64,
}

/// SQLite integers are signed 64-bit; block numbers and unix times fit with room to spare.
fn sql_int(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// The beacon node the keeper proves from.
pub struct BeaconSource {
    /// The client.
    pub client: BeaconClient,
    /// The verifier C was deployed with.
    pub verifier: VerifierConfig,
    /// The chain's preset.
    pub preset: PresetName,
}

/// The keeper's settings.
pub struct KeeperConfig {
    /// The vault.
    pub vault: Address,
    /// The most it spends on gas in any 24 hours, in wei (rewarded calls included).
    pub daily_spend_cap: U256,
    /// Files of key-generation evidence (or directories of them, `*.json`) whose validators the
    /// keeper joins once they are in the finalized registry (`lsv join --attestation-file`
    /// reads the same forms): a staker deposits and hands the evidence over.
    pub join_evidence: Vec<PathBuf>,
    /// The first slot a keeper with an empty journal searches for withdrawals to the vault (the
    /// vault's deployment, when known); `None`: the finalized one. Later rounds continue where
    /// the last stopped.
    pub scan_from_slot: Option<u64>,
    /// The network's deposit contract, whose logs name the validators that can have joined the
    /// vault (the wind-down exits them by key, without a beacon node).
    pub deposit_contract: Address,
    /// The vault's deployment block (0 when unknown): no deposit to it can be older.
    pub deployed_block: u64,
}

/// The keys deposited with the vault's withdrawal credentials, as far as the deposit
/// contract's logs were read.
#[derive(Default)]
struct VaultKeys {
    /// The next block to read.
    next_block: u64,
    keys: Vec<PublicKeyBytes>,
}

/// What a round did.
#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct RoundReport {
    /// Transactions from earlier rounds found mined.
    pub confirmed: u64,
    /// The request finalized up to, if a finalization was sent.
    pub finalized_to: Option<u64>,
    /// The proof-driven duties sent, as `duty position` (`eject 3`, `markExiting 5`).
    pub sent: Vec<String>,
    /// Duties skipped because their cost would pass the daily cap, or beat their reward.
    pub skipped: Vec<String>,
    /// The finalized epoch whose state was checked for ejections, if one was.
    pub checked_epoch: Option<u64>,
}

/// The keeper.
pub struct Keeper {
    eth: Eth,
    beacon: Option<BeaconSource>,
    journal: Journal,
    config: KeeperConfig,
    last_checked_slot: Option<u64>,
    vault_keys: VaultKeys,
}

impl Keeper {
    /// A keeper sending from `eth`'s key, proving from `beacon` (ejections need it), with its
    /// journal `journal`.
    pub fn new(
        eth: Eth,
        beacon: Option<BeaconSource>,
        journal: Journal,
        config: KeeperConfig,
    ) -> Self {
        Self {
            eth,
            beacon,
            journal,
            vault_keys: VaultKeys {
                next_block: config.deployed_block,
                keys: Vec::new(),
            },
            config,
            last_checked_slot: None,
        }
    }

    /// The journal.
    pub fn journal(&self) -> &Journal {
        &self.journal
    }

    /// One round of every duty.
    pub async fn round(&mut self) -> Result<RoundReport, KeeperError> {
        let mut report = RoundReport::default();
        self.confirm_in_flight(&mut report).await?;
        self.finalize_queue(&mut report).await?;
        // Proofs first: a heartbeat they send keeps the vault from winding down. The wind-down
        // duties run even when proving fails, since a vault nobody can prove anything about any
        // more (a layout fork its verifiers do not know) is what they are for.
        let proved = self.prove_and_act(&mut report).await;
        self.wind_down(&mut report).await?;
        proved?;
        Ok(report)
    }

    async fn confirm_in_flight(&self, report: &mut RoundReport) -> Result<(), KeeperError> {
        for tx in self.journal.all_in_flight()? {
            let receipt = self.eth.receipt(tx).await?;
            if receipt.is_none() && !self.eth.knows(tx).await? {
                // Not mined and unknown to the node: dropped, or reorged out and gone. The
                // duty's next simulation decides whether it is still to do.
                tracing::warn!(%tx, "transaction dropped; its duty will be tried again");
                self.journal.drop_tx(tx)?;
                continue;
            }
            if let Some(receipt) = receipt {
                let cost = U256::from(receipt.gas_used) * U256::from(receipt.effective_gas_price);
                self.journal.settle(
                    tx,
                    receipt.status(),
                    receipt.block_number.unwrap_or_default(),
                    cost,
                )?;
                report.confirmed += 1;
            }
        }
        Ok(())
    }

    /// Whether spending `cost` now keeps the last 24 hours under the cap.
    fn within_cap(&self, cost: U256) -> Result<bool, KeeperError> {
        let spent = self
            .journal
            .spent_since(unix_now().saturating_sub(24 * 3600))?;
        Ok(spent.saturating_add(cost) <= self.config.daily_spend_cap)
    }

    async fn finalize_queue(&self, report: &mut RoundReport) -> Result<(), KeeperError> {
        const DUTY: &str = "finalize";
        if self.journal.in_flight(DUTY, "queue")?.is_some() {
            return Ok(());
        }
        let vault = self.config.vault;
        let Some(target) = finalizable_to(&self.eth, vault).await? else {
            return Ok(());
        };
        let call = Vault::finalizeCall {
            upToRequestId: U256::from(target),
        };
        // Unrewarded; not due when the rules say no (a slashing penalty pending, a wind-down).
        let tried = self
            .send_duty(DUTY, "queue", &call, U256::ZERO, None, &mut report.skipped)
            .await?;
        if matches!(tried, Tried::Sent) {
            tracing::info!(up_to = target, "finalizing the queue");
            report.finalized_to = Some(target);
        }
        Ok(())
    }

    /// The wind-down's duties, which need no proof and no beacon node (`VaultWindDown.sol`):
    /// `noticeWindDown` once no proof was accepted for `WIND_DOWN_DELAY` (a keeper that can
    /// prove sends heartbeats long before that: the notice is for a vault nobody can prove
    /// anything about any more); once the notice has run its course, `windDownExit` for every
    /// live position (its key from the deposit contract's logs, [`Keeper::vault_keys`]; paying
    /// the EIP-7002 fee), and `sweepWindDown` whenever ETH that arrived since can be shared.
    /// Unrewarded, within the cap; the vault's rules decide by simulation whether each is due.
    async fn wind_down(&mut self, report: &mut RoundReport) -> Result<(), KeeperError> {
        let vault = self.config.vault;
        let last: u32 = self
            .eth
            .view("Vault", vault, &Vault::lastProofEpochCall {})
            .await?;
        let winding_down = last == u32::MAX; // `WOUND_DOWN`
        if !winding_down {
            self.attempt_named("noticeWindDown", &Vault::noticeWindDownCall {}, report)
                .await?;
        }
        let noticed: u64 = self
            .eth
            .view("Vault", vault, &Vault::windDownNoticedAtCall {})
            .await?
            .to();
        if !winding_down && noticed == 0 {
            return Ok(());
        }
        let live: Vec<u64> = self
            .positions()
            .await?
            .into_iter()
            .filter(|(_, p)| p.status == ACTIVE || p.status == EXITING)
            .map(|(id, _)| id)
            .collect();
        if !live.is_empty() {
            let fee = withdrawal_request_fee(&self.eth).await?;
            for key in self.vault_keys().await? {
                let id: U256 = self
                    .eth
                    .view(
                        "Vault",
                        vault,
                        &Vault::positionIdOfCall {
                            pubkeyHash: keccak256(key.0),
                        },
                    )
                    .await?;
                let id = id.saturating_to::<u64>();
                if !live.contains(&id) {
                    continue;
                }
                let call = Vault::windDownExitCall {
                    pubkey: Bytes::copy_from_slice(&key.0),
                    maxFee: fee,
                };
                self.attempt("windDownExit", id, &call, fee, None, report)
                    .await?;
            }
        }
        if winding_down {
            self.attempt_named("sweepWindDown", &Vault::sweepWindDownCall {}, report)
                .await?;
        }
        Ok(())
    }

    /// Every key deposited with the vault's withdrawal credentials since its deployment, from
    /// the deposit contract's logs (read on from where the last call stopped).
    async fn vault_keys(&mut self) -> Result<Vec<PublicKeyBytes>, KeeperError> {
        let vault = self.config.vault;
        let credentials = self
            .eth
            .view("Vault", vault, &Vault::WITHDRAWAL_CREDENTIALSCall {})
            .await?;
        let head = self.eth.block_number().await?;
        if self.vault_keys.next_block <= head {
            let found = crate::staker::deposited_keys(
                &self.eth,
                self.config.deposit_contract,
                credentials,
                self.vault_keys.next_block,
                head,
            )
            .await?;
            for key in found {
                if !self.vault_keys.keys.contains(&key) {
                    self.vault_keys.keys.push(key);
                }
            }
            self.vault_keys.next_block = head + 1;
        }
        Ok(self.vault_keys.keys.clone())
    }

    /// Moves the demand cursor past a position that can no longer be asked to exit (exiting,
    /// closed, unwinding), which `skipDemandExit` does without a proof. One a round: the next
    /// skip is valid only once this one is mined.
    async fn skip_past_inactive(
        &self,
        positions: &[(u64, Position)],
        cursor: U256,
        report: &mut RoundReport,
    ) -> Result<(), KeeperError> {
        // Past it only toward a position that could still be asked: with none active, the
        // cursor would only go round the others.
        if !positions.iter().any(|(_, p)| p.status == ACTIVE) {
            return Ok(());
        }
        if let Some((id, position)) = positions.iter().find(|(id, _)| U256::from(*id) == cursor) {
            if position.status != ACTIVE {
                let call = Vault::skipDemandExitCall {
                    positionId: cursor,
                    timestamp: U256::ZERO,
                    proof: Bytes::new(),
                };
                self.attempt("skipDemandExit", *id, &call, U256::ZERO, None, report)
                    .await?;
            }
        }
        Ok(())
    }

    /// A duty on the vault as a whole, unrewarded ([`Keeper::send_duty`]), listed in the
    /// report's `sent` when it went out.
    async fn attempt_named<C: alloy_sol_types::SolCall>(
        &self,
        duty: &str,
        call: &C,
        report: &mut RoundReport,
    ) -> Result<bool, KeeperError> {
        let tried = self
            .send_duty(duty, "vault", call, U256::ZERO, None, &mut report.skipped)
            .await?;
        let sent = matches!(tried, Tried::Sent);
        if sent {
            report.sent.push(duty.to_owned());
        }
        Ok(sent)
    }

    /// Tries one of the proof-driven duties on position `subject` ([`Keeper::send_duty`]),
    /// listing it in the report's `sent` when it went out.
    async fn attempt<C: alloy_sol_types::SolCall>(
        &self,
        duty: &str,
        subject: u64,
        call: &C,
        value: U256,
        reward: Option<U256>,
        report: &mut RoundReport,
    ) -> Result<bool, KeeperError> {
        let tried = self
            .send_duty(
                duty,
                &subject.to_string(),
                call,
                value,
                reward,
                &mut report.skipped,
            )
            .await?;
        let sent = matches!(tried, Tried::Sent);
        if sent {
            report.sent.push(format!("{duty} {subject}"));
        }
        Ok(sent)
    }

    /// Tries one duty: skipped while a transaction for it is in flight, or when its simulation
    /// reverts (the vault's rules say no, or another keeper did it); one with a `reward` (the
    /// eject reward, or what a credit moves) is sent only when that beats its expected cost,
    /// any only within the spending cap (a skip for cost
    /// is noted in `skipped`). What became of it; a transaction sent is journaled.
    async fn send_duty<C: alloy_sol_types::SolCall>(
        &self,
        duty: &str,
        subject: &str,
        call: &C,
        value: U256,
        reward: Option<U256>,
        skipped: &mut Vec<String>,
    ) -> Result<Tried, KeeperError> {
        if self.journal.in_flight(duty, subject)?.is_some() {
            return Ok(Tried::Waiting);
        }
        let vault = self.config.vault;
        let prepared = match self.eth.prepare_call("Vault", vault, call, value).await {
            Ok(p) => p,
            Err(EthError::Reverts { reason, .. }) => {
                tracing::debug!(duty, subject, %reason, "not due");
                return Ok(Tried::NotDue(reason));
            }
            Err(e) => return Err(e.into()),
        };
        let worst = prepared.max_cost().saturating_add(value);
        if let Some(reward) = reward {
            let cost = prepared.expected_cost().saturating_add(value);
            if cost >= reward {
                skipped.push(format!(
                    "{duty} {subject}: cost {cost} wei is not below what it brings, {reward} wei"
                ));
                return Ok(Tried::Waiting);
            }
        }
        if !self.within_cap(worst)? {
            skipped.push(format!("{duty} {subject}: daily spending cap"));
            return Ok(Tried::Waiting);
        }
        let tx = self.eth.broadcast(&prepared).await?;
        self.journal.record(duty, subject, tx, worst)?;
        tracing::info!(duty, subject, %tx, "sent");
        Ok(Tried::Sent)
    }

    /// The duties that need proofs, once per finalized block (the anchor every proof of the
    /// round is built against, from its one state): each live position is proven (balance and
    /// inactivity score), then, in order, `markSlashed` (a slashing shown for the first time),
    /// `markExiting` (an exit the vault has not seen), `markToProof` (a balance below the debt
    /// whose shortfall the vault does not have yet, within [`REMARK_TOLERANCE_WEI`]), `eject`
    /// (rewarded), and `demandExit` or `skipDemandExit` for the position at the demand cursor.
    /// Then the withdrawals to the vault in the finalized blocks since the last round are booked
    /// ([`Keeper::credit_withdrawals`]).
    /// `heartbeat` keeps the vault from winding down when no proof was accepted for half of
    /// `WIND_DOWN_DELAY`.
    async fn prove_and_act(&mut self, report: &mut RoundReport) -> Result<(), KeeperError> {
        match self.beacon.as_ref().map(|b| b.preset) {
            Some(PresetName::Mainnet) => self.prove_and_act_in::<Mainnet>(report).await,
            Some(PresetName::Minimal) => self.prove_and_act_in::<Minimal>(report).await,
            None => Ok(()),
        }
    }

    async fn prove_and_act_in<P: StatePreset>(
        &mut self,
        report: &mut RoundReport,
    ) -> Result<(), KeeperError> {
        let Some(beacon) = &self.beacon else {
            return Ok(());
        };
        let vault = self.config.vault;
        // Once per finalized block: its state is what the proofs are built from. While finality
        // stalls (an inactivity leak, when ejections matter most) the finalized state stands
        // still and grows old; the vault takes a proof against any block root EIP-4788 holds,
        // so then the keeper proves once per epoch against the head's parent (a reorg can only
        // make such a call revert, and its duty is tried again).
        let finalized = beacon
            .client
            .header(BlockId::Finalized)
            .await
            .map_err(ProveError::from)?;
        let slot = finalized.header.slot.as_u64();
        let per_epoch = beacon_slots_per_epoch(beacon.preset);
        let head = beacon
            .client
            .header(BlockId::Head)
            .await
            .map_err(ProveError::from)?;
        let head_epoch = head.header.slot.as_u64() / per_epoch;
        let stalled = head_epoch > slot / per_epoch + STALLED_FINALITY_EPOCHS;
        let (anchor_root, check) = if stalled {
            (head.header.parent_root, head_epoch * per_epoch)
        } else {
            (finalized.root, slot)
        };
        if self.last_checked_slot == Some(check) {
            return Ok(());
        }
        if stalled {
            tracing::warn!(
                finalized_epoch = slot / per_epoch,
                head_epoch,
                "finality stalls: proving against the head's parent"
            );
        }
        let positions = self.positions().await?;
        let live: Vec<(u64, &Position)> = positions
            .iter()
            .filter(|(_, p)| p.status == ACTIVE || p.status == EXITING)
            .map(|(id, p)| (*id, p))
            .collect();
        self.scan_withdrawals::<P>(&beacon.client, slot).await?;
        let owed = self.journal.uncredited_withdrawals()?;
        let joinable = self
            .joinable(&beacon.client, finalized.header.state_root)
            .await?;
        let heartbeat_due = self.heartbeat_due().await?;
        report.checked_epoch = Some(check / per_epoch);
        if live.is_empty() && owed.is_empty() && joinable.is_empty() && !heartbeat_due {
            self.last_checked_slot = Some(check);
            return Ok(());
        }
        let anchor =
            fetch_anchor::<P>(&beacon.client, &beacon.verifier, BlockId::Root(anchor_root)).await?;
        let owed = match &anchor.prover {
            AnchorProver::Progressive(state) => {
                self.note_swept_payments(&beacon.client, state, &live, &owed, per_epoch)
                    .await?;
                self.journal.uncredited_withdrawals()?
            }
            AnchorProver::ElectraFulu(_) => owed,
        };
        let parts = ProofParts {
            balance: true,
            inactivity_score: true,
        };
        let proofs: Vec<_> = live
            .iter()
            .map(|(_, p)| anchor.validator_proof(&beacon.verifier, p.validatorIndex.to(), parts))
            .collect();
        let timestamp = U256::from(anchor.time.timestamp);
        let reward: U256 = self
            .eth
            .view("Vault", vault, &Vault::EJECT_REWARDCall {})
            .await?;
        let fee = withdrawal_request_fee(&self.eth).await?;
        // Demand exits (and skipping past a position that cannot exit) only while open
        // redemptions exceed what covers them (`VaultExits.demand`): otherwise nobody waits.
        let demand = self.eth.view("Vault", vault, &Vault::demandCall {}).await?;
        let demand_open = demand.open > demand.covered;
        let cursor: U256 = self
            .eth
            .view("Vault", vault, &Vault::demandCursorCall {})
            .await?;
        if demand_open {
            self.skip_past_inactive(&positions, cursor, report).await?;
        }
        // Skipping an active position the consensus layer would not exit yet (too young, or
        // asked lately) helps only if the cursor can reach one it would: while none can, every
        // skip just goes round the positions again.
        let shard_committee_period: u64 = self
            .eth
            .view("Vault", vault, &Vault::SHARD_COMMITTEE_PERIODCall {})
            .await?;
        let exitable = |id: u64| {
            live.iter().zip(&proofs).any(|((other, p), proof)| {
                let Ok(proof) = proof else { return false };
                let v = &proof.proven.validator;
                *other != id
                    && p.status == ACTIVE
                    && v.exit_epoch.as_u64() == u64::MAX
                    && v.activation_epoch
                        .as_u64()
                        .saturating_add(shard_committee_period)
                        <= head_epoch
            })
        };
        let mut sent_proof = false;
        for ((id, position), proof) in live.iter().zip(&proofs) {
            let (id, position) = (*id, *position);
            let proof = match proof {
                Ok(p) => p,
                Err(e) => {
                    tracing::warn!(position = id, error = %e, "cannot prove");
                    continue;
                }
            };
            let proven = &proof.proven.validator;
            let bytes: Bytes = proof.bytes.clone().into();
            let position_id = U256::from(id);
            if proven.slashed && !position.slashed {
                let call = Vault::markSlashedCall {
                    positionId: position_id,
                    timestamp,
                    proof: bytes.clone(),
                };
                sent_proof |= self
                    .attempt("markSlashed", id, &call, U256::ZERO, None, report)
                    .await?;
                continue;
            }
            if position.status == ACTIVE && proven.exit_epoch.as_u64() != u64::MAX {
                let call = Vault::markExitingCall {
                    positionId: position_id,
                    timestamp,
                    proof: bytes.clone(),
                };
                sent_proof |= self
                    .attempt("markExiting", id, &call, U256::ZERO, None, report)
                    .await?;
                continue;
            }
            if let Some(balance) = proof.proven.balance {
                let debt: U256 = self
                    .eth
                    .view(
                        "Vault",
                        vault,
                        &Vault::debtOfCall {
                            positionId: position_id,
                        },
                    )
                    .await?;
                let balance_wei = U256::from(balance.as_u64()) * U256::from(GWEI);
                let shortfall = debt.saturating_sub(balance_wei);
                let booked = U256::from(position.shortfall);
                let moved = shortfall.max(booked) - shortfall.min(booked);
                if !shortfall.is_zero() && moved > U256::from(REMARK_TOLERANCE_WEI) {
                    let call = Vault::markToProofCall {
                        positionId: position_id,
                        timestamp,
                        proof: bytes.clone(),
                    };
                    sent_proof |= self
                        .attempt("markToProof", id, &call, U256::ZERO, None, report)
                        .await?;
                }
            }
            if position.status == ACTIVE {
                let call = Vault::ejectCall {
                    positionId: position_id,
                    timestamp,
                    proof: bytes.clone(),
                    maxFee: fee,
                };
                if self
                    .attempt("eject", id, &call, fee, Some(reward), report)
                    .await?
                {
                    sent_proof = true;
                    continue;
                }
                if demand_open && cursor == position_id {
                    let call = Vault::demandExitCall {
                        positionId: position_id,
                        timestamp,
                        proof: bytes.clone(),
                        maxFee: fee,
                    };
                    if self
                        .attempt("demandExit", id, &call, fee, None, report)
                        .await?
                    {
                        sent_proof = true;
                    } else if exitable(id) {
                        let call = Vault::skipDemandExitCall {
                            positionId: position_id,
                            timestamp,
                            proof: bytes,
                        };
                        sent_proof |= self
                            .attempt("skipDemandExit", id, &call, U256::ZERO, None, report)
                            .await?;
                    }
                }
            }
        }
        sent_proof |= self
            .credit_withdrawals(beacon, &anchor, &positions, &owed, report)
            .await?;
        for (evidence, index) in &joinable {
            sent_proof |= self
                .join(&beacon.verifier, &anchor, evidence, *index, report)
                .await?;
        }
        if heartbeat_due && !sent_proof {
            // Any validator's proof will do.
            let index = live
                .first()
                .map_or(0, |(_, p)| p.validatorIndex.to::<u64>());
            match anchor.validator_proof(&beacon.verifier, index, parts) {
                Ok(proof) => {
                    let call = Vault::heartbeatCall {
                        validatorIndex: index,
                        timestamp,
                        proof: proof.bytes.into(),
                    };
                    self.attempt("heartbeat", 0, &call, U256::ZERO, None, report)
                        .await?;
                }
                Err(e) => tracing::warn!(validator = index, error = %e, "cannot prove"),
            }
        }
        // Done with this finalized block (or stalled epoch); a round that failed before here
        // tries it again.
        self.last_checked_slot = Some(check);
        Ok(())
    }

    /// The validators of [`KeeperConfig::join_evidence`] not yet joined whose keys the state
    /// `state_root` holds, with their indices. A file that cannot be read is warned about and
    /// skipped (it may be half written); so is a validator the vault cannot take (the join's
    /// simulation says why).
    async fn joinable(
        &self,
        client: &BeaconClient,
        state_root: alloy::primitives::B256,
    ) -> Result<Vec<(Evidence, u64)>, KeeperError> {
        let mut found = Vec::new();
        for evidence in read_evidence(&self.config.join_evidence) {
            let pubkey = evidence.claim().pubkey;
            let call = Vault::positionIdOfCall {
                pubkeyHash: alloy::primitives::keccak256(pubkey.0),
            };
            let joined: U256 = self.eth.view("Vault", self.config.vault, &call).await?;
            if !joined.is_zero() {
                continue;
            }
            let entry = client
                .validator(StateId::Root(state_root), &pubkey.to_string())
                .await
                .map_err(ProveError::from)?;
            if let Some(entry) = entry {
                found.push((evidence, entry.index));
            }
        }
        Ok(found)
    }

    /// Joins validator `index` with `evidence`, proven against `anchor` (unrewarded: the
    /// staker's sETH and position go to the evidence's owner, whoever sends it).
    async fn join<P: StatePreset>(
        &self,
        verifier: &VerifierConfig,
        anchor: &FetchedAnchor<P>,
        evidence: &Evidence,
        index: u64,
        report: &mut RoundReport,
    ) -> Result<bool, KeeperError> {
        let claim = evidence.claim();
        let proof = match anchor.validator_proof(verifier, index, ProofParts::BALANCE) {
            Ok(proof) => proof,
            Err(e) => {
                tracing::warn!(validator = index, error = %e, "cannot prove");
                return Ok(false);
            }
        };
        let call = Vault::joinCall {
            pubkey: Bytes::copy_from_slice(&claim.pubkey.0),
            owner: claim.owner,
            evidence: Bytes::copy_from_slice(evidence.evidence_bytes()),
            validatorIndex: index,
            timestamp: U256::from(anchor.time.timestamp),
            proof: Bytes::from(proof.bytes),
        };
        self.attempt("join", index, &call, U256::ZERO, None, report)
            .await
    }

    /// Every position, with its id (`1..=positionCount`).
    async fn positions(&self) -> Result<Vec<(u64, Position)>, KeeperError> {
        let vault = self.config.vault;
        let count: u32 = self
            .eth
            .view("Vault", vault, &Vault::positionCountCall {})
            .await?;
        let mut positions = Vec::with_capacity(count as usize);
        for id in 1..=u64::from(count) {
            let call = Vault::positionOfCall {
                positionId: U256::from(id),
            };
            positions.push((id, self.eth.view("Vault", vault, &call).await?));
        }
        Ok(positions)
    }

    /// Searches the finalized blocks after the last one searched, up to `finalized`, for
    /// withdrawals to the vault, and notes each in the journal. A keeper's first round starts
    /// at [`KeeperConfig::scan_from_slot`]; each round searches at most
    /// [`MAX_SCAN_SLOTS_PER_ROUND`] slots (the rest the next rounds). Finalized blocks cannot be
    /// reorged away, so what is noted stays true.
    async fn scan_withdrawals<P: StatePreset>(
        &self,
        client: &BeaconClient,
        finalized: u64,
    ) -> Result<(), KeeperError> {
        let vault = self.config.vault;
        let from = match self.journal.scanned_through()? {
            Some(done) => done + 1,
            None => self.config.scan_from_slot.unwrap_or(finalized),
        };
        let to = finalized.min(from.saturating_add(MAX_SCAN_SLOTS_PER_ROUND - 1));
        for slot in from..=to {
            let fetched = match client.block_of::<P>(BlockId::Slot(Slot::new(slot))).await {
                Ok(fetched) => fetched,
                Err(e) if e.is_not_found() => continue, // a missed slot
                // From Gloas on (EIP-7732) a block carries no payload, so no withdrawals: the
                // payments are found from the validators' balances (`note_swept_payments`).
                Err(BeaconError::UnsupportedFork { fork, .. }) if fork >= ForkName::Gloas => {
                    continue
                }
                Err(e) => return Err(ProveError::from(e).into()),
            };
            for w in fetched
                .block
                .message
                .body
                .execution_payload
                .withdrawals
                .iter()
            {
                if w.address == vault && w.amount.as_u64() != 0 {
                    let found = VaultWithdrawal {
                        index: w.index,
                        slot,
                        validator_index: w.validator_index,
                        amount_gwei: w.amount.as_u64(),
                    };
                    tracing::info!(
                        withdrawal = found.index,
                        slot,
                        validator = found.validator_index,
                        gwei = found.amount_gwei,
                        "withdrawal to the vault"
                    );
                    self.journal.note_withdrawal(&found)?;
                }
            }
        }
        if from <= to {
            self.journal.set_scanned_through(to)?;
        }
        Ok(())
    }

    /// After Gloas (EIP-7732) a sweep is in no beacon block, so [`Keeper::scan_withdrawals`]
    /// cannot see it. For each exiting position whose validator the anchor state shows
    /// withdrawable and at balance 0, with no withdrawal noted since it became withdrawable, finds
    /// the state that listed its payment by bisecting its balance ([`find_sweep_payment`]) and
    /// notes the payment, which [`Keeper::credit_withdrawals`] then proves and settles.
    async fn note_swept_payments<P: StatePreset>(
        &self,
        client: &BeaconClient,
        anchor: &GloasStateProver<P>,
        live: &[(u64, &Position)],
        owed: &[VaultWithdrawal],
        slots_per_epoch: u64,
    ) -> Result<(), KeeperError> {
        let state = anchor.state();
        let exiting = live
            .iter()
            .filter(|(_, p)| p.status == EXITING)
            .map(|(_, p)| p.validatorIndex.to::<u64>());
        for (index, from) in swept_unnoted(state, exiting, owed, slots_per_epoch) {
            match find_sweep_payment::<P>(client, index, self.config.vault, from, state.slot).await
            {
                Ok(Some((w, listed))) => {
                    tracing::info!(
                        withdrawal = w.index,
                        slot = listed.as_u64(),
                        validator = index,
                        gwei = w.amount.as_u64(),
                        "payment to the vault (listed by the sweep under ePBS)"
                    );
                    self.journal.note_withdrawal(&VaultWithdrawal {
                        index: w.index,
                        slot: listed.as_u64(),
                        validator_index: index,
                        amount_gwei: w.amount.as_u64(),
                    })?;
                }
                Ok(None) => {}
                Err(e) => {
                    tracing::warn!(validator = index, error = %e, "cannot find the sweep's payment")
                }
            }
        }
        Ok(())
    }

    /// Books each withdrawal to the vault not yet credited, proven against `anchor` by the
    /// cheapest route its slot allows (the anchor block itself, then its state's `block_roots`,
    /// then `historical_summaries`, which needs one more state; against a Gloas anchor, a payment
    /// proof from the listing state, or for a withdrawal paid before the fork, format 1 against
    /// its own block): `settle` for a live position
    /// (the first withdrawal at or after its withdrawable epoch closes it), `creditWithdrawal`
    /// for a closed one, `creditUnattributedWithdrawal` for a validator that never joined. All
    /// unrewarded, within the spending cap: they move ETH to the queue and to owners (a credit
    /// only when its amount beats its gas, so the sync committee's dust after an exit waits). A
    /// withdrawal the vault says it has credited (`WithdrawalAlreadyCredited`: ours mined, or
    /// another keeper's) is marked so and not tried again. Whether a proof was sent.
    async fn credit_withdrawals<P: StatePreset>(
        &self,
        beacon: &BeaconSource,
        anchor: &FetchedAnchor<P>,
        positions: &[(u64, Position)],
        owed: &[VaultWithdrawal],
        report: &mut RoundReport,
    ) -> Result<bool, KeeperError> {
        let verifier = &beacon.verifier;
        let timestamp = U256::from(anchor.time.timestamp);
        let parts = ProofParts {
            balance: true,
            inactivity_score: true,
        };
        let mut blocks: HashMap<u64, BeaconBlock<P>> = HashMap::new();
        let mut sent = false;
        for w in owed {
            let position = positions
                .iter()
                .find(|(_, p)| p.validatorIndex.to::<u64>() == w.validator_index);
            if position.is_some_and(|(_, p)| p.status == UNWINDING) {
                // The wind-down books what arrives without proofs.
                continue;
            }
            // The withdrawal proof, with the timestamp whose EIP-4788 root anchors it.
            let built = match &anchor.prover {
                // After Gloas: the payment proof, from the state that listed the withdrawal;
                // one paid in a block before the fork by the direct route, against that block,
                // which EIP-4788 serves for 8191 slots (a Gloas state leads to no payload).
                AnchorProver::Progressive(state) => {
                    match listed_payment_proof(
                        &beacon.client,
                        verifier,
                        state,
                        &anchor.info.header,
                        Slot::new(w.slot),
                        PaymentSelector::Index(w.index),
                    )
                    .await
                    {
                        Ok(p) => Ok((p.bytes, timestamp)),
                        Err(ProveError::PreGloasState { .. }) => {
                            let block = BlockId::Slot(Slot::new(w.slot));
                            prove_withdrawal_in::<P>(
                                &beacon.client,
                                verifier,
                                block,
                                block,
                                WithdrawalSelector::Index(w.index),
                            )
                            .await
                            .map(|a| (a.proof.bytes, U256::from(a.time.timestamp)))
                        }
                        Err(e) => Err(e),
                    }
                }
                AnchorProver::ElectraFulu(prover) => {
                    let block = match blocks.get(&w.slot) {
                        Some(block) => block,
                        None => {
                            let fetched = beacon
                                .client
                                .block_of::<P>(BlockId::Slot(Slot::new(w.slot)))
                                .await
                                .map_err(ProveError::from)?;
                            blocks.entry(w.slot).or_insert(fetched.block.message)
                        }
                    };
                    let slots_per_period = verifier.withdrawal_depths.slots_per_historical_root();
                    let route = WithdrawalRoute::for_slots(
                        block.slot,
                        anchor.info.header.slot,
                        slots_per_period,
                    );
                    let period_roots = match route {
                        Some(WithdrawalRoute::HistoricalSummaries) => Some(
                            period_block_roots::<P>(&beacon.client, block.slot, slots_per_period)
                                .await?,
                        ),
                        _ => None,
                    };
                    withdrawal_proof_in::<P>(
                        verifier,
                        prover,
                        anchor.info.header,
                        block,
                        WithdrawalSelector::Index(w.index),
                        period_roots.as_deref(),
                    )
                    .map(|p| (p.bytes, timestamp))
                }
            };
            let (proof, withdrawal_timestamp) = match built {
                Ok((bytes, at)) => (Bytes::from(bytes), at),
                Err(e) => {
                    tracing::warn!(withdrawal = w.index, error = %e, "cannot prove");
                    continue;
                }
            };
            let validator_proof = || {
                anchor
                    .validator_proof(verifier, w.validator_index, parts)
                    .map(|p| Bytes::from(p.bytes))
            };
            let subject = w.index.to_string();
            let amount = U256::from(w.amount_gwei) * U256::from(GWEI);
            let (duty, tried) = match position {
                Some((id, p)) if p.status == ACTIVE || p.status == EXITING => {
                    let Ok(validator) = validator_proof() else {
                        continue;
                    };
                    let call = Vault::settleCall {
                        positionId: U256::from(*id),
                        validatorTimestamp: timestamp,
                        validatorProof: validator,
                        withdrawalTimestamp: withdrawal_timestamp,
                        withdrawalProof: proof,
                    };
                    // Always: closing the position books its debt, whatever it brings.
                    let tried = self
                        .send_settlement("settle", &subject, &call, None, report)
                        .await?;
                    ("settle", tried)
                }
                Some((id, p)) if p.status == CLOSED => {
                    let call = Vault::creditWithdrawalCall {
                        positionId: U256::from(*id),
                        timestamp: withdrawal_timestamp,
                        proof,
                    };
                    let duty = "creditWithdrawal";
                    let tried = self
                        .send_settlement(duty, &subject, &call, Some(amount), report)
                        .await?;
                    (duty, tried)
                }
                Some(_) => continue,
                None => {
                    let Ok(validator) = validator_proof() else {
                        continue;
                    };
                    let call = Vault::creditUnattributedWithdrawalCall {
                        validatorIndex: w.validator_index,
                        validatorTimestamp: timestamp,
                        validatorProof: validator,
                        withdrawalTimestamp: withdrawal_timestamp,
                        withdrawalProof: proof,
                    };
                    let duty = "creditUnattributedWithdrawal";
                    let tried = self
                        .send_settlement(duty, &subject, &call, Some(amount), report)
                        .await?;
                    (duty, tried)
                }
            };
            match tried {
                Tried::Sent => {
                    sent = true;
                    report.sent.push(format!(
                        "{duty} withdrawal {} (validator {}, {} gwei)",
                        w.index, w.validator_index, w.amount_gwei
                    ));
                }
                Tried::NotDue(reason) if reason.starts_with("WithdrawalAlreadyCredited") => {
                    self.journal.mark_credited(w.index)?;
                }
                Tried::NotDue(_) | Tried::Waiting => {}
            }
        }
        Ok(sent)
    }

    /// [`Keeper::send_duty`] for a settlement duty on a withdrawal: unrewarded, and, when `worth`
    /// is given (what the call moves to the queue or an owner), sent only if it costs less.
    async fn send_settlement<C: alloy_sol_types::SolCall>(
        &self,
        duty: &str,
        withdrawal: &str,
        call: &C,
        worth: Option<U256>,
        report: &mut RoundReport,
    ) -> Result<Tried, KeeperError> {
        self.send_duty(
            duty,
            withdrawal,
            call,
            U256::ZERO,
            worth,
            &mut report.skipped,
        )
        .await
    }

    /// Whether half of `WIND_DOWN_DELAY` has passed since the end of the newest proven epoch
    /// (`VaultWindDown.sol` counts its silence from there).
    async fn heartbeat_due(&self) -> Result<bool, KeeperError> {
        let vault = self.config.vault;
        let last: u32 = self
            .eth
            .view("Vault", vault, &Vault::lastProofEpochCall {})
            .await?;
        let delay: U256 = self
            .eth
            .view("Vault", vault, &Vault::WIND_DOWN_DELAYCall {})
            .await?;
        let genesis: u64 = self
            .eth
            .view("Vault", vault, &Vault::GENESIS_TIMECall {})
            .await?;
        let spe: u64 = self
            .eth
            .view("Vault", vault, &Vault::SLOTS_PER_EPOCHCall {})
            .await?;
        let sps: u64 = self
            .eth
            .view("Vault", vault, &Vault::SECONDS_PER_SLOTCall {})
            .await?;
        let silent_since = genesis + (u64::from(last) + 1) * spe * sps;
        let half = delay.saturating_to::<u64>() / 2;
        // The chain's clock, which the vault reads, not this machine's.
        let head = self.eth.block_number().await?;
        let now = self.eth.block_timestamp(head).await?;
        Ok(now > silent_since.saturating_add(half))
    }
}

/// The evidence in `paths` (files, or directories of `*.json` files), read afresh each round
/// so that files added later count; what cannot be read is warned about and skipped.
fn read_evidence(paths: &[PathBuf]) -> Vec<Evidence> {
    let mut files = Vec::new();
    for path in paths {
        match std::fs::read_dir(path) {
            Ok(entries) => files.extend(
                entries
                    .filter_map(Result::ok)
                    .map(|e| e.path())
                    .filter(|p| p.extension().is_some_and(|x| x == "json")),
            ),
            Err(_) => files.push(path.clone()),
        }
    }
    files.sort();
    let mut all = Vec::new();
    for file in files {
        let read = std::fs::read_to_string(&file)
            .map_err(|e| e.to_string())
            .and_then(|text| {
                crate::staker::all_evidence_in_json(&text, &file.display().to_string())
                    .map_err(|e| e.to_string())
            });
        match read {
            Ok(evidence) => all.extend(evidence),
            Err(e) => tracing::warn!(file = %file.display(), error = %e, "join evidence"),
        }
    }
    all
}

/// What became of a duty tried ([`Keeper::send_duty`]).
enum Tried {
    /// Sent (and journaled).
    Sent,
    /// Its simulation reverts, with this reason (`Name { args }`): not due, or done already.
    NotDue(String),
    /// Not tried now: a transaction for it is in flight, or it would cost too much.
    Waiting,
}

/// `IVault.Status` values.
const ACTIVE: u8 = 1;
const EXITING: u8 = 2;
const CLOSED: u8 = 3;
const UNWINDING: u8 = 4;

/// Wei per gwei.
const GWEI: u64 = 1_000_000_000;

/// How far (in wei) the proven shortfall of a position must be from the one the vault books
/// before `markToProof` is sent again: 0.01 ETH. A slashed validator loses a little every epoch
/// until it is withdrawable (its missed attestations; 18 days on mainnet), so marking every
/// change would cost a transaction a position an epoch for amounts far below their gas; this
/// keeps the booked rate within 0.01 ETH a position of the truth. The first mark after a
/// slashing's correlation penalty (the provisional whole debt replaced by the proven loss)
/// moves far more than this.
const REMARK_TOLERANCE_WEI: u64 = 10_000_000_000_000_000;

/// The most slots one round searches for withdrawals to the vault.
pub const MAX_SCAN_SLOTS_PER_ROUND: u64 = 256;

/// Epochs between the head and the last finalized one beyond which finality counts as stalled
/// (it trails by two when all is well).
const STALLED_FINALITY_EPOCHS: u64 = 4;

fn beacon_slots_per_epoch(preset: PresetName) -> u64 {
    match preset {
        PresetName::Mainnet => 32,
        PresetName::Minimal => 8,
    }
}

/// The EIP-7002 fee for a request now: the predeploy answers a call with empty input with it.
async fn withdrawal_request_fee(eth: &Eth) -> Result<U256, EthError> {
    let tx = TransactionRequest::default().with_to(eip7002::WITHDRAWAL_REQUEST_PREDEPLOY_ADDRESS);
    let out = eth
        .provider()
        .call(tx)
        .await
        .map_err(|e| EthError::Rpc(format!("EIP-7002 fee: {e}")))?;
    if out.len() != 32 {
        return Err(EthError::Rpc(format!("EIP-7002 fee: {} bytes", out.len())));
    }
    Ok(U256::from_be_slice(&out))
}

/// The newest request the buffer covers at the rate in force, if it is past the last finalized
/// one: binary search over the requests' running totals (`VaultQueue.finalize`'s arithmetic,
/// `amount · rate / RATE_UNIT ≤ buffer`, rounded down as there).
pub async fn finalizable_to(eth: &Eth, vault: Address) -> Result<Option<u64>, EthError> {
    let queue = crate::holder::queue_state(eth, vault).await?;
    if queue.last_request_id <= queue.last_finalized_id {
        return Ok(None);
    }
    let unit = U256::from(crate::holder::RATE_UNIT);
    let cumulative = |id: u64| async move {
        eth.view(
            "Vault",
            vault,
            &Vault::requestOfCall {
                requestId: U256::from(id),
            },
        )
        .await
        .map(|r| r.cumulative)
    };
    let base = cumulative(queue.last_finalized_id).await?;
    let covers = |total: U256| (total - base) * queue.rate / unit <= queue.buffer;
    let (mut low, mut high) = (queue.last_finalized_id, queue.last_request_id);
    while low < high {
        let mid = low + (high - low).div_ceil(2);
        if covers(cumulative(mid).await?) {
            low = mid;
        } else {
            high = mid - 1;
        }
    }
    Ok((low > queue.last_finalized_id).then_some(low))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What makes restarts safe: a duty with a transaction in flight is seen as such by a
    /// journal reopened from disk, until its receipt settles it; what was spent counts against
    /// the cap across the restart.
    #[test]
    fn the_journal_survives_a_restart_and_counts_spending() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("keeper.sqlite");
        let tx = TxHash::repeat_byte(7);
        {
            let journal = Journal::open(&path).unwrap();
            assert_eq!(journal.in_flight("eject", "3").unwrap(), None);
            journal
                .record("eject", "3", tx, U256::from(1_000u64))
                .unwrap();
        }
        let journal = Journal::open(&path).unwrap();
        assert_eq!(journal.in_flight("eject", "3").unwrap(), Some(tx));
        assert_eq!(journal.in_flight("eject", "4").unwrap(), None);
        assert_eq!(journal.in_flight("finalize", "3").unwrap(), None);
        assert_eq!(journal.all_in_flight().unwrap(), vec![tx]);
        assert_eq!(journal.spent_since(0).unwrap(), U256::from(1_000u64));
        assert_eq!(journal.spent_since(unix_now() + 10).unwrap(), U256::ZERO);

        let dropped = TxHash::repeat_byte(8);
        journal
            .record("finalize", "queue", dropped, U256::from(50u64))
            .unwrap();
        journal.drop_tx(dropped).unwrap();
        assert_eq!(journal.in_flight("finalize", "queue").unwrap(), None);

        journal.settle(tx, true, 42, U256::from(600u64)).unwrap();
        assert_eq!(journal.in_flight("eject", "3").unwrap(), None);
        assert!(journal.all_in_flight().unwrap().is_empty());
        assert_eq!(journal.mined("eject").unwrap(), 1);
        assert_eq!(journal.spent_since(0).unwrap(), U256::from(600u64));
    }

    /// The settlement's part of the journal: how far the blocks were searched and which
    /// withdrawals to the vault wait to be credited survive a restart; noting a withdrawal
    /// twice (a block searched again after a crash) keeps one.
    #[test]
    fn the_journal_keeps_the_search_and_the_withdrawals_owed() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("keeper.sqlite");
        let w = |index| VaultWithdrawal {
            index,
            slot: 100 + index,
            validator_index: 7,
            amount_gwei: 31_990_000_000,
        };
        {
            let journal = Journal::open(&path).unwrap();
            assert_eq!(journal.scanned_through().unwrap(), None);
            journal.note_withdrawal(&w(2)).unwrap();
            journal.note_withdrawal(&w(1)).unwrap();
            journal.note_withdrawal(&w(2)).unwrap();
            journal.set_scanned_through(120).unwrap();
        }
        let journal = Journal::open(&path).unwrap();
        assert_eq!(journal.scanned_through().unwrap(), Some(120));
        assert_eq!(journal.uncredited_withdrawals().unwrap(), vec![w(1), w(2)]);
        journal.mark_credited(1).unwrap();
        assert_eq!(journal.uncredited_withdrawals().unwrap(), vec![w(2)]);
        journal.set_scanned_through(130).unwrap();
        assert_eq!(journal.scanned_through().unwrap(), Some(130));
    }
}
