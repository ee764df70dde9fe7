//! The demo's eyes: what C, the beacon chain and the story did, read from the chain as it
//! happens, never from the programs' own say. One thread follows the execution head: every
//! log of C and the deposit contract becomes a timeline [`Event`] (with its transaction, block
//! and beacon slot); once per epoch it samples C's books and the tracked validators' balances
//! ([`Sample`]), and notes each validator's beacon status changes. The live terminal view is
//! drawn from the same record: a status line (epoch, sETH, backing, ETH held, live debt,
//! queue) under the events as they come.

use alloy::primitives::{Address, TxHash, U256};
use alloy::providers::Provider;
use alloy::rpc::types::Filter;
use alloy_sol_types::{SolEvent, SolEventInterface};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use lsv_contracts::bindings::{vault::Vault, DepositContract, SETH};
use lsv_keeper::deployment::Deployment;
use lsv_keeper::eth::Eth;
use lsv_keeper::{BeaconClient, StateId};
use serde::Serialize;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// A position's status in C (`IVault.Status`).
pub(crate) const ACTIVE: u8 = 1;
pub(crate) const EXITING: u8 = 2;

/// Wei as a decimal string in JSON (exact), with its value in ETH for charts.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Wei(pub(crate) U256);

impl Wei {
    pub(crate) fn eth(self) -> f64 {
        // Exact enough for a chart: amounts here are below 2^96 wei.
        u128::try_from(self.0).map_or(f64::MAX, |w| w as f64 / 1e18)
    }
}

impl Serialize for Wei {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0.to_string())
    }
}

/// One thing that happened, on the timeline.
#[derive(Clone, Debug, Serialize)]
pub(crate) struct Event {
    pub(crate) slot: u64,
    pub(crate) epoch: u64,
    /// Who tells it: `C` (a log of the vault), `deposit` (the deposit contract), `beacon` (a
    /// validator's status on the beacon chain), `story` (what the demo made happen).
    pub(crate) source: &'static str,
    /// The log's event name (`Joined`, `Ejected`, …), the beacon status, or the story's step.
    pub(crate) kind: String,
    pub(crate) text: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) position: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) validator: Option<String>,
    /// Who sent the transaction, by name where the demo knows it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) actor: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) block: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) tx: Option<TxHash>,
    /// The amount the event moved, where it moved one (wei).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) amount: Option<Wei>,
    /// The validator's registry index, where the event names one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) index: Option<u64>,
}

/// C's books and the validators' balances at the start of an epoch.
#[derive(Clone, Debug, Serialize)]
pub(crate) struct Sample {
    pub(crate) epoch: u64,
    pub(crate) slot: u64,
    /// The execution block C's books were read at.
    pub(crate) block: u64,
    /// The beacon chain's latest finalized epoch then.
    pub(crate) finalized_epoch: u64,
    /// sETH in circulation.
    pub(crate) seth_supply: Wei,
    /// What sETH claims: the supply plus the sETH of open redemption requests
    /// (`Vault.outstanding`).
    pub(crate) outstanding: Wei,
    /// C's own books: `buffer + totalLiveDebt - provisionalShortfall` (`Vault.backing`), which
    /// counts every live position's debt as backed.
    pub(crate) booked_backing: Wei,
    /// Backing measured on the beacon chain: the ETH C holds for sETH (its balance, less what is
    /// reserved for finalized requests and owed to owners as residuals) plus, for each live
    /// position, its validator's balance up to its debt. Between a withdrawal and its
    /// settlement the withdrawn ETH counts whole (the owner's part included).
    pub(crate) measured_backing: Wei,
    /// The collateral: the ETH C holds for sETH plus every live position's whole validator
    /// balance (the owners' margins above their debts included).
    pub(crate) collateral: Wei,
    /// ETH held by C.
    pub(crate) vault_eth: Wei,
    /// The debt of live positions (`totalLiveDebt`).
    pub(crate) live_debt: Wei,
    /// sETH in the queue not yet finalized.
    pub(crate) queue_open: Wei,
    /// ETH reserved for finalized requests, not yet claimed.
    pub(crate) reserved: Wei,
    /// Each tracked validator's balance (gwei), while it has one.
    pub(crate) balances: BTreeMap<String, u64>,
}

/// A validator the story follows.
#[derive(Clone, Debug, Serialize)]
pub(crate) struct Tracked {
    pub(crate) name: String,
    /// Its `0x` public key, or its index.
    pub(crate) pubkey: String,
    pub(crate) index: Option<u64>,
    pub(crate) position: Option<u64>,
    pub(crate) status: Option<String>,
    pub(crate) balance_gwei: u64,
}

/// A phase of the story and how long it took.
#[derive(Clone, Debug, Serialize)]
pub(crate) struct Phase {
    pub(crate) name: String,
    pub(crate) seconds: f64,
    pub(crate) from_slot: u64,
}

/// Everything watched: what `events.json` holds, what the report draws.
#[derive(Debug, Default, Serialize)]
pub(crate) struct Record {
    pub(crate) names: BTreeMap<Address, String>,
    pub(crate) validators: Vec<Tracked>,
    pub(crate) events: Vec<Event>,
    pub(crate) samples: Vec<Sample>,
    pub(crate) phases: Vec<Phase>,
}

impl Record {
    /// The name the demo gave `address`, else the address.
    pub(crate) fn name_of(&self, address: Address) -> String {
        self.names
            .get(&address)
            .cloned()
            .unwrap_or_else(|| address.to_string())
    }

    /// The events of C of `kind`.
    pub(crate) fn logs<'a>(&'a self, kind: &'a str) -> impl Iterator<Item = &'a Event> + 'a {
        self.events
            .iter()
            .filter(move |e| e.source == "C" && e.kind == kind)
    }

    /// Links tracked validators whose index is known to the positions C's `Joined` logs gave
    /// them, and names them on the events of those positions.
    fn link(&mut self) {
        for i in 0..self.validators.len() {
            let v = &self.validators[i];
            if v.position.is_some() || v.index.is_none() {
                continue;
            }
            let joined = self
                .logs("Joined")
                .find(|e| e.index == v.index)
                .and_then(|e| e.position);
            if let Some(id) = joined {
                let name = v.name.clone();
                self.validators[i].position = Some(id);
                for e in &mut self.events {
                    if e.position == Some(id) && e.validator.is_none() {
                        e.validator = Some(name.clone());
                    }
                }
            }
        }
    }

    fn validator_of_position(&self, position: u64) -> Option<String> {
        self.validators
            .iter()
            .find(|v| v.position == Some(position))
            .map(|v| v.name.clone())
    }
}

/// Where to look.
pub(crate) struct Sources {
    pub(crate) rpc: String,
    pub(crate) beacon: String,
    pub(crate) deployment: Deployment,
}

/// The watching thread and the record it keeps.
pub(crate) struct Watch {
    record: Arc<Mutex<Record>>,
    bar: ProgressBar,
    genesis_time: u64,
    seconds_per_slot: u64,
    slots_per_epoch: u64,
    head_slot: Arc<std::sync::atomic::AtomicU64>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<Result<(), String>>>,
    phase: Option<(String, Instant, u64)>,
}

impl Watch {
    /// A record with the names the demo gave addresses; nothing followed yet.
    pub(crate) fn new(names: BTreeMap<Address, String>, deployment: &Deployment) -> Self {
        let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
        bar.set_style(
            ProgressStyle::with_template("{spinner} {msg}")
                .unwrap_or_else(|_| ProgressStyle::default_spinner()),
        );
        bar.enable_steady_tick(Duration::from_millis(200));
        Self {
            record: Arc::new(Mutex::new(Record {
                names,
                ..Record::default()
            })),
            bar,
            genesis_time: deployment.chain.genesis_time,
            seconds_per_slot: deployment.chain.seconds_per_slot.max(1),
            slots_per_epoch: deployment.chain.slots_per_epoch.max(1),
            head_slot: Arc::default(),
            stop: Arc::default(),
            thread: None,
            phase: None,
        }
    }

    /// The record, locked.
    pub(crate) fn record(&self) -> MutexGuard<'_, Record> {
        self.record.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The slot of the newest execution block seen.
    pub(crate) fn slot(&self) -> u64 {
        self.head_slot.load(Ordering::Relaxed)
    }

    pub(crate) fn epoch(&self) -> u64 {
        self.slot() / self.slots_per_epoch
    }

    /// Follows a validator from now on: its name and its `0x` public key (or its registry
    /// index, which the beacon API takes in its place).
    pub(crate) fn track(&self, name: &str, pubkey: &str) {
        self.record().validators.push(Tracked {
            name: name.to_owned(),
            pubkey: pubkey.to_owned(),
            index: None,
            position: None,
            status: None,
            balance_gwei: 0,
        });
    }

    /// A step of the story, on the timeline and the screen.
    pub(crate) fn say(&self, kind: &str, validator: Option<&str>, text: String) {
        let slot = self.slot();
        let event = Event {
            slot,
            epoch: slot / self.slots_per_epoch,
            source: "story",
            kind: kind.to_owned(),
            text,
            position: None,
            validator: validator.map(str::to_owned),
            actor: None,
            block: None,
            tx: None,
            amount: None,
            index: None,
        };
        show(&self.bar, &event);
        self.record().events.push(event);
    }

    /// Starts phase `name` (ending the one before), printed as a heading.
    pub(crate) fn phase(&mut self, name: &str) {
        self.end_phase();
        let line = format!("── {name} (epoch {}) ──", self.epoch());
        if self.bar.is_hidden() {
            println!("{line}");
        } else {
            self.bar.println(line);
        }
        self.phase = Some((name.to_owned(), Instant::now(), self.slot()));
    }

    /// Ends the running phase, recording how long it took.
    pub(crate) fn end_phase(&mut self) {
        if let Some((name, started, from_slot)) = self.phase.take() {
            self.record().phases.push(Phase {
                name,
                seconds: started.elapsed().as_secs_f64(),
                from_slot,
            });
        }
    }

    /// Starts following the chain.
    pub(crate) fn start(&mut self, sources: Sources) {
        let follower = Follower {
            record: self.record.clone(),
            bar: self.bar.clone(),
            head_slot: self.head_slot.clone(),
            genesis_time: self.genesis_time,
            seconds_per_slot: self.seconds_per_slot,
            slots_per_epoch: self.slots_per_epoch,
            stop: self.stop.clone(),
            sources,
        };
        self.thread = Some(std::thread::spawn(move || follower.run()));
    }

    /// Waits up to `timeout` for `done` (asked of the record twice a second) to give a value.
    /// `what` names the wait in the error; the follower's own error ends it early.
    pub(crate) fn wait_for<T>(
        &mut self,
        what: &str,
        timeout: Duration,
        mut done: impl FnMut(&Record) -> Option<T>,
    ) -> Result<T, String> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(t) = done(&self.record()) {
                return Ok(t);
            }
            if self.thread.as_ref().is_some_and(JoinHandle::is_finished) {
                return Err(match self.thread.take().map(JoinHandle::join) {
                    Some(Ok(Err(e))) => format!("watching the chain failed: {e}"),
                    _ => "watching the chain stopped".to_owned(),
                });
            }
            if Instant::now() >= deadline {
                return Err(format!(
                    "{what} did not happen within {} s (at epoch {})",
                    timeout.as_secs(),
                    self.epoch()
                ));
            }
            std::thread::sleep(Duration::from_millis(500));
        }
    }

    /// Stops following (after one last look at the chain) and clears the status line.
    pub(crate) fn finish(&mut self) -> Result<(), String> {
        self.end_phase();
        self.stop.store(true, Ordering::Relaxed);
        let result = match self.thread.take().map(JoinHandle::join) {
            Some(Ok(result)) => result,
            Some(Err(_)) => Err("the watching thread panicked".to_owned()),
            None => Ok(()),
        };
        self.bar.finish_and_clear();
        result
    }
}

/// Prints an event above the status line (or plainly, when standard error is no terminal).
fn show(bar: &ProgressBar, event: &Event) {
    let line = format!(
        "epoch {:>3} slot {:>4}  {:<6} {}",
        event.epoch, event.slot, event.source, event.text
    );
    if bar.is_hidden() {
        println!("{line}");
    } else {
        bar.println(line);
    }
}

/// The thread that follows the chain.
struct Follower {
    record: Arc<Mutex<Record>>,
    bar: ProgressBar,
    head_slot: Arc<std::sync::atomic::AtomicU64>,
    genesis_time: u64,
    seconds_per_slot: u64,
    slots_per_epoch: u64,
    stop: Arc<AtomicBool>,
    sources: Sources,
}

impl Follower {
    fn run(self) -> Result<(), String> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| format!("tokio runtime: {e}"))?;
        runtime.block_on(self.follow())
    }

    fn lock(&self) -> MutexGuard<'_, Record> {
        self.record.lock().unwrap_or_else(|e| e.into_inner())
    }

    async fn follow(&self) -> Result<(), String> {
        let eth = Eth::connect(&self.sources.rpc, None, lsv_keeper::eth::FeeCaps::default())
            .map_err(|e| e.to_string())?;
        let beacon = BeaconClient::new(&self.sources.beacon).map_err(|e| e.to_string())?;
        let mut scanned = self.sources.deployment.block.saturating_sub(1);
        let mut sampled: Option<u64> = None;
        // A node that does not answer for a moment (a loaded machine) is asked again; one
        // that fails for this long ends the watch.
        const PATIENCE: Duration = Duration::from_secs(15);
        let mut failing_since: Option<Instant> = None;
        loop {
            // One more look after the stop, so the record ends at the chain's end.
            let stopping = self.stop.load(Ordering::Relaxed);
            match self
                .look(&eth, &beacon, &mut scanned, &mut sampled, stopping)
                .await
            {
                Ok(()) => failing_since = None,
                Err(e) if failing_since.is_some_and(|t| t.elapsed() > PATIENCE) => return Err(e),
                Err(_) => {
                    failing_since.get_or_insert_with(Instant::now);
                }
            }
            if stopping && failing_since.is_none() {
                return Ok(());
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    }

    /// One look at the chain: the logs of new blocks, and a sample once per epoch (and at the
    /// stop).
    async fn look(
        &self,
        eth: &Eth,
        beacon: &BeaconClient,
        scanned: &mut u64,
        sampled: &mut Option<u64>,
        stopping: bool,
    ) -> Result<(), String> {
        let head = eth.block_number().await.map_err(|e| e.to_string())?;
        if head > *scanned {
            let time = eth.block_timestamp(head).await.map_err(|e| e.to_string())?;
            self.read_logs(eth, *scanned + 1, head).await?;
            *scanned = head;
            self.head_slot.store(self.slot_at(time), Ordering::Relaxed);
        }
        let epoch = self.head_slot.load(Ordering::Relaxed) / self.slots_per_epoch;
        if sampled.is_none_or(|s| s < epoch) || stopping {
            let sample = self.sample(eth, beacon, epoch, *scanned).await?;
            self.status(&sample);
            let mut record = self.lock();
            if record.samples.last().is_some_and(|s| s.epoch == epoch) {
                record.samples.pop();
            }
            record.samples.push(sample);
            *sampled = Some(epoch);
        }
        Ok(())
    }

    fn slot_at(&self, timestamp: u64) -> u64 {
        timestamp.saturating_sub(self.genesis_time) / self.seconds_per_slot
    }

    /// The status line.
    fn status(&self, s: &Sample) {
        let message = format!(
            "epoch {} · sETH {:.2} · outstanding {:.2} · backing {:.2} (books {:.2}) · ETH held \
             {:.2} · live debt {:.2} · queue {:.2}",
            s.epoch,
            s.seth_supply.eth(),
            s.outstanding.eth(),
            s.measured_backing.eth(),
            s.booked_backing.eth(),
            s.vault_eth.eth(),
            s.live_debt.eth(),
            s.queue_open.eth()
        );
        if self.bar.is_hidden() {
            // No terminal to redraw a line on: the status every few epochs, between the events.
            if s.epoch.is_multiple_of(4) {
                println!("{message}");
            }
        } else {
            self.bar.set_message(message);
        }
    }

    /// C's and the deposit contract's logs of blocks `from..=to`, onto the timeline.
    async fn read_logs(&self, eth: &Eth, from: u64, to: u64) -> Result<(), String> {
        let c = &self.sources.deployment;
        let filter = Filter::new()
            .address(vec![c.vault(), c.chain.deposit_contract])
            .from_block(from)
            .to_block(to);
        let logs = eth
            .provider()
            .get_logs(&filter)
            .await
            .map_err(|e| format!("eth_getLogs: {e}"))?;
        let mut times = BTreeMap::new();
        let mut read = Vec::new();
        for log in logs {
            let (Some(block), Some(tx)) = (log.block_number, log.transaction_hash) else {
                continue;
            };
            if let std::collections::btree_map::Entry::Vacant(v) = times.entry(block) {
                v.insert(
                    eth.block_timestamp(block)
                        .await
                        .map_err(|e| e.to_string())?,
                );
            }
            let slot = self.slot_at(times[&block]);
            let from_address = eth
                .provider()
                .get_transaction_by_hash(tx)
                .await
                .map_err(|e| format!("eth_getTransactionByHash: {e}"))?
                .map(|t| t.inner.signer());
            let mut record = self.lock();
            let actor = from_address.map(|a| record.name_of(a));
            let mut event = Event {
                slot,
                epoch: slot / self.slots_per_epoch,
                source: "C",
                kind: String::new(),
                text: String::new(),
                position: None,
                validator: None,
                actor,
                block: Some(block),
                tx: Some(tx),
                amount: None,
                index: None,
            };
            if log.address() == c.chain.deposit_contract {
                let Ok(deposit) = DepositContract::DepositEvent::decode_log_data(log.data()) else {
                    continue;
                };
                let pubkey = alloy::hex::encode_prefixed(&deposit.pubkey);
                event.source = "deposit";
                event.kind = "Deposit".into();
                event.validator = record
                    .validators
                    .iter()
                    .find(|v| v.pubkey.eq_ignore_ascii_case(&pubkey))
                    .map(|v| v.name.clone());
                event.text = format!(
                    "{} deposits 32 ETH for validator {}",
                    event.actor.as_deref().unwrap_or("someone"),
                    event.validator.as_deref().unwrap_or(&pubkey[..12])
                );
            } else {
                let Ok(decoded) =
                    Vault::VaultEvents::decode_raw_log(log.topics(), &log.data().data)
                else {
                    continue;
                };
                describe(&mut record, &mut event, decoded, log.topics());
            }
            drop(record);
            read.push(event);
        }
        // All at once, when every log was read: a failed read is tried again from the start.
        let mut record = self.lock();
        for event in read {
            show(&self.bar, &event);
            record.events.push(event);
        }
        Ok(())
    }

    /// C's books at execution block `block` (every view at that one block, so that they agree)
    /// and the tracked validators at the beacon head.
    async fn sample(
        &self,
        eth: &Eth,
        beacon: &BeaconClient,
        epoch: u64,
        block: u64,
    ) -> Result<Sample, String> {
        let c = &self.sources.deployment;
        let vault = c.vault();
        let seth_supply = view_at(
            eth,
            c.contracts.seth.address,
            &SETH::totalSupplyCall {},
            block,
        )
        .await?;
        let outstanding = view_at(eth, vault, &Vault::outstandingCall {}, block).await?;
        let booked = view_at(eth, vault, &Vault::backingCall {}, block).await?;
        let live_debt = U256::from(view_at(eth, vault, &Vault::totalLiveDebtCall {}, block).await?);
        let reserved = U256::from(view_at(eth, vault, &Vault::reservedCall {}, block).await?);
        let residuals =
            U256::from(view_at(eth, vault, &Vault::residualTotalGweiCall {}, block).await?)
                * U256::from(GWEI);
        let vault_eth = eth
            .provider()
            .get_balance(vault)
            .block_id(block.into())
            .await
            .map_err(|e| format!("eth_getBalance: {e}"))?;
        let mut measured = vault_eth.saturating_sub(reserved).saturating_sub(residuals);
        let mut collateral = measured;
        let finalized = beacon
            .header(lsv_keeper::BlockId::Finalized)
            .await
            .map_err(|e| e.to_string())?;

        // The validators: their beacon status and balance, and their positions in C.
        let tracked = self.lock().validators.clone();
        let mut balances = BTreeMap::new();
        let mut updated = Vec::new();
        for v in tracked {
            let Some(entry) = beacon
                .validator(StateId::Head, &v.pubkey)
                .await
                .map_err(|e| e.to_string())?
            else {
                continue;
            };
            if entry.balance > 0 {
                balances.insert(v.name.clone(), entry.balance);
            }
            if v.status.as_deref() != Some(entry.status.as_str()) {
                updated.push((v.name.clone(), entry.status.clone()));
            }
            let position = {
                let mut record = self.lock();
                if let Some(kept) = record.validators.iter_mut().find(|t| t.name == v.name) {
                    kept.index = Some(entry.index);
                    kept.balance_gwei = entry.balance;
                }
                record.link();
                record
                    .validators
                    .iter()
                    .find(|t| t.name == v.name)
                    .and_then(|t| t.position)
            };
            let Some(id) = position else { continue };
            let id = U256::from(id);
            let held =
                view_at(eth, vault, &Vault::positionOfCall { positionId: id }, block).await?;
            if held.status == ACTIVE || held.status == EXITING {
                let debt =
                    view_at(eth, vault, &Vault::debtOfCall { positionId: id }, block).await?;
                let balance = U256::from(entry.balance) * U256::from(GWEI);
                measured += balance.min(debt);
                collateral += balance;
            }
        }
        // The status changes last, once every read of the sample succeeded: a failed one is
        // tried again, and must find them unchanged.
        let slot = self.head_slot.load(Ordering::Relaxed);
        for (name, status) in updated {
            if let Some(kept) = self.lock().validators.iter_mut().find(|t| t.name == name) {
                kept.status = Some(status.clone());
            }
            let event = Event {
                slot,
                epoch: slot / self.slots_per_epoch,
                source: "beacon",
                kind: status.clone(),
                text: format!("validator {name}: {}", beacon_status(&status)),
                position: None,
                validator: Some(name),
                actor: None,
                block: None,
                tx: None,
                amount: None,
                index: None,
            };
            show(&self.bar, &event);
            self.lock().events.push(event);
        }
        Ok(Sample {
            epoch,
            slot,
            block,
            finalized_epoch: finalized.header.slot.as_u64() / self.slots_per_epoch,
            seth_supply: Wei(seth_supply),
            outstanding: Wei(outstanding),
            booked_backing: Wei(booked),
            measured_backing: Wei(measured),
            collateral: Wei(collateral),
            vault_eth: Wei(vault_eth),
            live_debt: Wei(live_debt),
            queue_open: Wei(outstanding.saturating_sub(seth_supply)),
            reserved: Wei(reserved),
            balances,
        })
    }
}

/// Wei per gwei.
const GWEI: u64 = 1_000_000_000;

/// `call` on `to` at execution block `block`, decoded.
async fn view_at<C: alloy_sol_types::SolCall>(
    eth: &Eth,
    to: Address,
    call: &C,
    block: u64,
) -> Result<C::Return, String> {
    use alloy::network::TransactionBuilder;
    let tx = alloy::rpc::types::TransactionRequest::default()
        .with_to(to)
        .with_input(call.abi_encode());
    let out = eth
        .provider()
        .call(tx)
        .block(block.into())
        .await
        .map_err(|e| format!("{} at block {block}: {e}", C::SIGNATURE))?;
    C::abi_decode_returns(&out).map_err(|e| format!("{}: {e}", C::SIGNATURE))
}

/// The beacon API's validator status, in words.
fn beacon_status(status: &str) -> &str {
    match status {
        "pending_initialized" => "deposit seen, waiting to be queued for activation",
        "pending_queued" => "queued for activation",
        "active_ongoing" => "active",
        "active_exiting" => "exiting (exit epoch set)",
        "active_slashed" => "slashed",
        "exited_unslashed" => "exited, waiting to be withdrawable",
        "exited_slashed" => "exited after slashing",
        "withdrawal_possible" => "withdrawable: next in the sweep",
        "withdrawal_done" => "withdrawn",
        other => other,
    }
}

fn eth_text(wei: U256) -> String {
    format!("{:.4}", Wei(wei).eth())
}

/// Fills `event` from C's log `decoded`: its kind, position and words.
fn describe(
    record: &mut Record,
    event: &mut Event,
    decoded: Vault::VaultEvents,
    topics: &[alloy::primitives::B256],
) {
    use Vault::VaultEvents as E;
    event.kind = topics
        .first()
        .and_then(|t| Vault::VaultEvents::name_by_selector(t.0))
        .map(|s| s.split('(').next().unwrap_or(s).to_owned())
        .unwrap_or_default();
    let by = event.actor.clone().unwrap_or_default();
    let position = |id: U256| id.saturating_to::<u64>();
    event.text = match decoded {
        E::Joined(j) => {
            let id = position(j.positionId);
            let owner = record.name_of(j.owner);
            let index = j.validatorIndex;
            // The joined validator: the tracked one with this index (else linked when a sample
            // first sees its index: `Record::link`).
            if let Some(v) = record
                .validators
                .iter_mut()
                .find(|v| v.index == Some(index))
            {
                v.position = Some(id);
            }
            event.position = Some(id);
            event.index = Some(index);
            event.amount = Some(Wei(
                U256::from(31u64) * U256::from(10u64).pow(U256::from(18))
            ));
            format!(
                "position {id} joins: validator {index} at {} ETH; 31 sETH minted to {owner}",
                eth_text(U256::from(j.balanceGwei) * U256::from(1_000_000_000u64))
            )
        }
        E::RedeemRequested(r) => {
            event.amount = Some(Wei(r.amount));
            format!(
                "{} redeems {} sETH (request {})",
                record.name_of(r.owner),
                eth_text(r.amount),
                r.requestId
            )
        }
        E::Finalized(f) => {
            event.amount = Some(Wei(f.ethReserved));
            format!(
                "requests {}–{} finalized: {} ETH reserved for {} sETH",
                f.fromRequestId,
                f.toRequestId,
                eth_text(f.ethReserved),
                eth_text(f.sethAmount)
            )
        }
        E::Claimed(c) => {
            event.amount = Some(Wei(c.amount));
            format!(
                "{} claims {} ETH for request {}",
                record.name_of(c.owner),
                eth_text(c.amount),
                c.requestId
            )
        }
        E::Ejected(e) => {
            let id = position(e.positionId);
            event.position = Some(id);
            event.amount = Some(Wei(e.reward));
            format!(
                "position {id} ejected by {by} at {} ETH (inactivity score {}); reward {} sETH",
                eth_text(U256::from(e.balanceGwei) * U256::from(1_000_000_000u64)),
                e.inactivityScore,
                eth_text(e.reward)
            )
        }
        E::ExitRequested(x) => {
            let id = position(x.positionId);
            event.position = Some(id);
            format!(
                "exit request for position {id} sent to the consensus layer (EIP-7002, fee {} wei)",
                x.fee
            )
        }
        E::MarkedExiting(m) => {
            let id = position(m.positionId);
            event.position = Some(id);
            format!("position {id} proven exiting at epoch {}", m.exitEpoch)
        }
        E::DemandExit(d) => {
            let id = position(d.positionId);
            event.position = Some(id);
            format!(
                "queue demand {} sETH exceeds the cover of exits under way ({}): position {id} \
                 must exit (by {by})",
                eth_text(d.open),
                eth_text(d.covered)
            )
        }
        E::Settled(s) => {
            let id = position(s.positionId);
            event.position = Some(id);
            event.amount = Some(Wei(s.amount));
            format!(
                "position {id} settled: {} ETH withdrawn, {} to sETH, {} to its owner",
                eth_text(s.amount),
                eth_text(s.toQueue),
                eth_text(s.toOwner)
            )
        }
        E::WithdrawalCredited(w) => {
            let id = position(w.positionId);
            event.position = Some(id);
            event.amount = Some(Wei(w.amount));
            format!(
                "{} ETH more withdrawn for position {id} credited ({} to backing, {} to its owner)",
                eth_text(w.amount),
                eth_text(w.toBacking),
                eth_text(w.toOwner)
            )
        }
        E::ResidualClaimed(r) => {
            let id = position(r.positionId);
            event.position = Some(id);
            event.amount = Some(Wei(r.amount));
            format!(
                "{} claims the {} ETH residual of position {id}",
                record.name_of(r.owner),
                eth_text(r.amount)
            )
        }
        E::MarkedSlashed(m) => {
            let id = position(m.positionId);
            event.position = Some(id);
            format!("position {id} proven slashed")
        }
        _ => format!("{} (by {by})", event.kind),
    };
    if let Some(id) = event.position {
        event.validator = record.validator_of_position(id);
    }
}
