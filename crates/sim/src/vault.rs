//! C's rules as built (`contracts/src/vault/*.sol`), over the network's cohorts: ejection below
//! `EJECT_BELOW` or above the inactivity trigger with the ejector's reward, loss marks (a
//! slashing booked at its worst case until its correlation penalty), the FCFS redemption queue
//! finalized at the rate in force, demand exits in position order, settlement of what the sweep
//! pays, and the wind-down after a proof-blind silence.
//!
//! Why a model of C and not C: the EVM harness runs the real contract, but one call at a time;
//! a year of a thousand positions is millions of calls. Here each rule is the contract's
//! arithmetic on C's aggregate state (`buffer`, `totalLiveDebt`, `exitingDebt`,
//! `provisionalShortfall`, `slashingsPending`, the queue's running totals) and on positions
//! grouped like the cohorts that hold them. Amounts are Gwei (C counts wei; every amount C
//! handles is whole Gwei except the rounding of a rate, which here rounds to the Gwei, in the
//! pool's favour like C's). A keeper acts once per epoch on a proof of the state at the epoch's
//! end, with proofs always available until a scenario stops them.

use crate::network::{ExitRequest, Network, Payment};
use crate::spec::*;

/// Fixed-point unit of rates: `RATE_UNIT` is one ETH per sETH (`VaultBase.RATE_UNIT`).
pub const RATE_UNIT: u128 = 1_000_000_000_000_000_000;

/// C's deployment parameters and constants.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VaultParams {
    /// `MINT`: sETH lent per validator (31 ETH).
    pub mint: Gwei,
    /// `EJECT_BELOW_GWEI`: a balance below it is ejectable (31.99 ETH).
    pub eject_below: Gwei,
    /// `EJECT_REWARD`: the most paid for an ejection (0.1 sETH).
    pub eject_reward: Gwei,
    /// `INACTIVITY_TRIGGER`: a score above it is ejectable.
    pub inactivity_trigger: u64,
    /// `WIND_DOWN_DELAY`, in epochs (30 days at least).
    pub wind_down_delay_epochs: u64,
    /// `WIND_DOWN_NOTICE`, in epochs (7 days).
    pub wind_down_notice_epochs: u64,
    /// `EXIT_RESEND_BLOCKS`: a position's exit request may be sent again this many blocks
    /// after the last (`VaultBase._checkResend`). The keeper acts once per epoch, so the model
    /// re-sends at the first epoch at least this many slots later (a block every slot).
    pub exit_resend_blocks: u64,
    /// `MIN_REDEEM`: the smallest redemption request (`VaultQueue._requestRedeem`), in Gwei.
    pub min_redeem: Gwei,
}

impl VaultParams {
    /// C's constants with `INACTIVITY_TRIGGER` `inactivity_trigger`, the shortest wind-down
    /// delay (`MIN_WIND_DOWN_DELAY`, 30 days), and the devnet pool's `EXIT_RESEND_BLOCKS` (50)
    /// and `MIN_REDEEM` (0.01 sETH), on a chain of `epochs_per_day`.
    pub fn new(inactivity_trigger: u64, epochs_per_day: u64) -> Self {
        Self {
            mint: 31 * ETH,
            eject_below: 31_990_000_000,
            eject_reward: 100_000_000,
            inactivity_trigger,
            wind_down_delay_epochs: MIN_WIND_DOWN_DELAY_DAYS * epochs_per_day,
            wind_down_notice_epochs: WIND_DOWN_NOTICE_DAYS * epochs_per_day,
            exit_resend_blocks: 50,
            min_redeem: 10_000_000,
        }
    }

    /// Epochs from one exit request to the first keeper round that may re-send it, on a chain
    /// of `slots_per_epoch` (at least one: the keeper acts once per epoch).
    pub fn exit_resend_epochs(&self, slots_per_epoch: u64) -> u64 {
        self.exit_resend_blocks
            .div_ceil(slots_per_epoch.max(1))
            .max(1)
    }
}

/// `MIN_WIND_DOWN_DELAY` (`VaultBase`): no vault is deployed with a shorter `WIND_DOWN_DELAY`,
/// in days.
pub const MIN_WIND_DOWN_DELAY_DAYS: u64 = 30;
/// `WIND_DOWN_NOTICE` (`VaultBase`): how long a notice stands before the wind-down may start,
/// in days.
pub const WIND_DOWN_NOTICE_DAYS: u64 = 7;

/// A position's status (`IVault.Status`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PositionStatus {
    /// Joined, not proven exiting.
    Active,
    /// Proven exiting.
    Exiting,
    /// Settled on its withdrawal.
    Closed,
    /// Exited by the wind-down.
    Unwinding,
}

/// C's view of consecutive positions held by one cohort (all alike).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Positions {
    /// The first position id; the cohort's members are `first..first + count`.
    pub first: u64,
    /// Their status.
    pub status: PositionStatus,
    /// An exit was requested by C (eject or demand) and counted in `exitingDebt`.
    pub exit_requested: bool,
    /// The eject reward paid for each (Gwei): the debt is `MINT` plus it.
    pub reward: Gwei,
    /// Each one's provisional shortfall.
    pub shortfall: Gwei,
    /// Proven slashed.
    pub slashed: bool,
    /// Proven slashed with the correlation penalty still to come.
    pub penalty_pending: bool,
    /// The last balance proven before the withdrawable epoch.
    pub last_balance: Gwei,
    /// What each settlement left of the debt unpaid.
    pub unpaid_debt: Gwei,
    /// What each owner is owed.
    pub residual: Gwei,
    /// The epoch an EIP-7002 exit request for them was last sent (`lastExitRequestBlock`);
    /// `None` if none was, or a new one waits to be sent.
    pub last_sent: Option<Epoch>,
}

impl Positions {
    /// Positions from `first` as they join: active, balance `balance`.
    pub fn joined(first: u64, balance: Gwei) -> Self {
        Self {
            first,
            status: PositionStatus::Active,
            exit_requested: false,
            reward: 0,
            shortfall: 0,
            slashed: false,
            penalty_pending: false,
            last_balance: balance,
            unpaid_debt: 0,
            residual: 0,
            last_sent: None,
        }
    }

    fn live(&self) -> bool {
        matches!(
            self.status,
            PositionStatus::Active | PositionStatus::Exiting
        )
    }
}

/// A redemption request in the FCFS queue.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Request {
    /// Its sETH (Gwei).
    pub amount: Gwei,
    /// The running total of all requests up to and including it.
    pub cumulative: Gwei,
    /// The epoch it was made.
    pub epoch: Epoch,
    /// When it was finalized, at which rate, and what it paid (Gwei).
    pub finalized: Option<(Epoch, u128, Gwei)>,
    /// What the wind-down booked to it so far (Gwei), if it was open at the wind-down's start.
    pub wind_down_paid: Gwei,
}

/// The wind-down's state.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WindDown {
    /// When notice was given.
    pub noticed: Epoch,
    /// When it started (`None` while the notice stands).
    pub started: Option<Epoch>,
    /// sETH outstanding at the start.
    pub seth: Gwei,
    /// ETH booked to that sETH so far.
    pub booked: Gwei,
    /// ETH booked to the owners.
    pub to_owners: Gwei,
    /// When the booked ETH reached par.
    pub at_par: Option<Epoch>,
}

/// C's state.
#[derive(Clone, Debug)]
pub struct Vault {
    /// Its parameters.
    pub params: VaultParams,
    /// Positions ever created.
    pub position_count: u64,
    /// `buffer`: ETH backing sETH, free to finalize with.
    pub buffer: Gwei,
    /// ETH paid to redeemers so far.
    pub paid_out: Gwei,
    /// `totalLiveDebt`.
    pub total_live_debt: Gwei,
    /// `exitingDebt`.
    pub exiting_debt: Gwei,
    /// `provisionalShortfall`.
    pub provisional_shortfall: Gwei,
    /// `slashingsPending` (positions).
    pub slashings_pending: u64,
    /// `rewardTotalGwei`.
    pub reward_total: Gwei,
    /// Owed to owners (`residualTotalGwei`).
    pub residual_total: Gwei,
    /// The queue's requests.
    pub requests: Vec<Request>,
    /// How many requests are finalized (a prefix).
    pub finalized: usize,
    /// `requestedTotal`.
    pub requested_total: Gwei,
    /// The demand-exit cursor (a position id).
    demand_cursor: u64,
    /// Whether a keeper can still prove anything (false after a layout fork the verifiers do
    /// not know).
    pub proofs: bool,
    /// `lastProofEpoch`.
    pub last_proof_epoch: Epoch,
    /// ETH that arrived without a proof (unbooked).
    pub unproven: Gwei,
    /// The sweep's payments that arrived while C was blind: settled by a withdrawal proof once
    /// proofs come back (`settle` reaches old blocks through `historical_summaries`).
    blind_payments: Vec<Payment>,
    /// The wind-down, once noticed.
    pub wind_down: Option<WindDown>,
    /// Positions ejected.
    pub ejections: u64,
    /// Positions exited on demand.
    pub demand_exits: u64,
    /// Positions settled.
    pub settled: u64,
    /// Debt left unpaid by settlements (the realised loss).
    pub unpaid_total: Gwei,
    /// Exit requests re-sent (one per position each time), after `EXIT_RESEND_BLOCKS`.
    pub resends: u64,
    /// sETH holders wanted to redeem but could not, each holder's amount being below
    /// `MIN_REDEEM` (Gwei).
    pub refused: Gwei,
}

impl Vault {
    /// C after `positions` joins (31 sETH each minted), nothing redeemed.
    pub fn new(params: VaultParams, positions: u64, epoch: Epoch) -> Self {
        Self {
            total_live_debt: positions * params.mint,
            params,
            position_count: positions,
            buffer: 0,
            paid_out: 0,
            exiting_debt: 0,
            provisional_shortfall: 0,
            slashings_pending: 0,
            reward_total: 0,
            residual_total: 0,
            requests: Vec::new(),
            finalized: 0,
            requested_total: 0,
            demand_cursor: 1,
            proofs: true,
            last_proof_epoch: epoch,
            unproven: 0,
            blind_payments: Vec::new(),
            wind_down: None,
            ejections: 0,
            demand_exits: 0,
            settled: 0,
            unpaid_total: 0,
            resends: 0,
            refused: 0,
        }
    }

    /// `outstanding()`: everything minted less what finalization paid for.
    pub fn outstanding(&self) -> Gwei {
        self.position_count * self.params.mint + self.reward_total - self.finalized_cumulative()
    }

    /// The running total of the finalized requests.
    pub fn finalized_cumulative(&self) -> Gwei {
        match self.finalized {
            0 => 0,
            n => self.requests[n - 1].cumulative,
        }
    }

    /// `backing()`: `buffer + totalLiveDebt - provisionalShortfall`.
    pub fn backing(&self) -> Gwei {
        (self.buffer + self.total_live_debt).saturating_sub(self.provisional_shortfall)
    }

    /// The rate in force, `min(1, backing / outstanding)` in `RATE_UNIT`s, rounded down.
    pub fn rate(&self) -> u128 {
        let owed = self.outstanding() as u128;
        let b = self.backing() as u128;
        if b >= owed {
            RATE_UNIT
        } else {
            b * RATE_UNIT / owed
        }
    }

    /// sETH not yet in the queue.
    pub fn unrequested(&self) -> Gwei {
        (self.position_count * self.params.mint + self.reward_total) - self.requested_total
    }

    /// Appends `n` requests sharing `amount` sETH (Gwei) at `epoch`, in order. `requestRedeem`
    /// refuses a request below `MIN_REDEEM`: holders whose share is smaller make fewer, larger
    /// requests (at most `amount / MIN_REDEEM`), and an `amount` below it is not requested at
    /// all (counted in `refused`).
    pub fn request_redeem(&mut self, amount: Gwei, n: u64, epoch: Epoch) {
        let n = n.min(amount / self.params.min_redeem.max(1));
        if n == 0 || amount == 0 {
            self.refused += amount;
            return;
        }
        let each = amount / n;
        for i in 0..n {
            let a = if i + 1 == n {
                amount - each * (n - 1)
            } else {
                each
            };
            if a == 0 {
                continue;
            }
            self.requested_total += a;
            self.requests.push(Request {
                amount: a,
                cumulative: self.requested_total,
                epoch,
                finalized: None,
                wind_down_paid: 0,
            });
        }
    }

    fn debt(&self, p: &Positions) -> Gwei {
        self.params.mint + p.reward
    }

    /// Settles the sweep's payments (`settle`: the first withdrawal at or after the
    /// withdrawable epoch closes the position: `min(amount, debt)` to the buffer, the rest to
    /// the owner, the unpaid debt recorded); without proofs they arrive unbooked.
    pub fn on_payments(&mut self, net: &mut Network, payments: &[Payment]) {
        for pay in payments {
            if !self.proofs {
                self.unproven += pay.amount * pay.count;
                self.blind_payments.push(pay.clone());
                continue;
            }
            for i in net.isolate_positions(pay.first, pay.count) {
                let count = net.cohorts[i].count;
                let Some(p) = net.cohorts[i].positions.as_mut() else {
                    continue;
                };
                if !p.live() {
                    continue;
                }
                let debt = self.params.mint + p.reward;
                if p.status == PositionStatus::Exiting || p.exit_requested {
                    self.exiting_debt -= debt * count;
                }
                p.exit_requested = false;
                p.status = PositionStatus::Closed;
                if p.penalty_pending {
                    p.penalty_pending = false;
                    self.slashings_pending -= count;
                }
                self.provisional_shortfall -= p.shortfall * count;
                p.shortfall = 0;
                let to_queue = pay.amount.min(debt);
                p.unpaid_debt = debt - to_queue;
                p.residual = pay.amount - to_queue;
                self.total_live_debt -= debt * count;
                self.buffer += to_queue * count;
                self.residual_total += p.residual * count;
                self.unpaid_total += p.unpaid_debt * count;
                self.settled += count;
            }
        }
    }

    /// One keeper round at the start of `net.epoch`, on proofs of the state just processed:
    /// marks and ejections for every live position, demand exits while open requests exceed
    /// their cover, then finalization; or, once proof-blind, the wind-down's steps.
    pub fn keeper(&mut self, net: &mut Network) {
        let now = net.epoch;
        if self.proofs {
            self.last_proof_epoch = now;
            self.marks_and_ejections(net);
            self.demand_exits(net);
        } else {
            self.wind_down_step(net);
        }
        self.resend_exits(net);
        self.finalize(now);
    }

    /// Re-sends the exit requests that have not taken effect `EXIT_RESEND_BLOCKS` after they
    /// were sent: the validator still shows no exit epoch, so `process_withdrawal_request`
    /// (electra) ignored the request (not yet active, or active for less than
    /// `SHARD_COMMITTEE_PERIOD`) or it still waits in the EIP-7002 queue. With proofs, `eject`
    /// and `demandExit` re-send only what a proof shows eligible (`_ineligibility`); in the
    /// wind-down `windDownExit` takes no proof, and the keeper re-sends as soon as C allows,
    /// each time paying the EIP-7002 fee.
    fn resend_exits(&mut self, net: &mut Network) {
        let now = net.epoch;
        let after = self.params.exit_resend_epochs(net.config.slots_per_epoch);
        let period = net.config.shard_committee_period;
        for c in net.cohorts.iter_mut() {
            let count = c.count;
            let eligible = c.is_active(now) && now >= c.activation_epoch + period;
            let waiting = !c.withdrawn && c.exit_epoch == FAR_FUTURE_EPOCH;
            let Some(p) = c.positions.as_mut() else {
                continue;
            };
            let Some(sent) = p.last_sent else { continue };
            if !waiting || now < sent + after {
                continue;
            }
            let resend = match p.status {
                PositionStatus::Active => p.exit_requested && self.proofs && eligible,
                PositionStatus::Unwinding => true,
                PositionStatus::Exiting | PositionStatus::Closed => false,
            };
            if resend {
                p.last_sent = None; // waits to be sent again
                net.requests.to_send.push_back(ExitRequest {
                    first: p.first,
                    count,
                });
                self.resends += count;
            }
        }
    }

    fn marks_and_ejections(&mut self, net: &mut Network) {
        let now = net.epoch;
        let period = net.config.shard_committee_period;
        let half = net.config.epochs_per_slashings_vector / 2;
        let params = self.params.clone();
        for i in 0..net.cohorts.len() {
            let c = &net.cohorts[i];
            let Some(p) = c.positions.as_ref() else {
                continue;
            };
            if !p.live() || c.withdrawn {
                continue;
            }
            let count = c.count;
            let withdrawable = now >= c.withdrawable_epoch;
            let exiting = c.exit_epoch != FAR_FUTURE_EPOCH;
            let eligible = c.is_active(now) && !exiting && now >= c.activation_epoch + period;
            let ejectable = c.balance < params.eject_below || c.score > params.inactivity_trigger;
            let (balance, slashed, withdrawable_epoch) =
                (c.balance, c.slashed, c.withdrawable_epoch);
            let mut p = p.clone();
            // markExiting (or the exit a skip proves).
            if exiting && p.status == PositionStatus::Active {
                p.status = PositionStatus::Exiting;
                if p.exit_requested {
                    p.exit_requested = false;
                } else {
                    self.exiting_debt += self.debt(&p) * count;
                }
            }
            // eject: the reward once, then the exit request (none if one is on its way).
            if p.status == PositionStatus::Active && eligible && ejectable {
                if p.reward == 0 {
                    let above = balance.saturating_sub(params.mint);
                    let reward = above.min(params.eject_reward);
                    if reward != 0 {
                        p.reward = reward;
                        self.total_live_debt += reward * count;
                        self.reward_total += reward * count;
                        if p.exit_requested {
                            self.exiting_debt += reward * count;
                        }
                    }
                }
                if !p.exit_requested {
                    p.exit_requested = true;
                    self.exiting_debt += self.debt(&p) * count;
                    net.requests.to_send.push_back(ExitRequest {
                        first: p.first,
                        count,
                    });
                    self.ejections += count;
                }
            }
            // _mark: never at or past the withdrawable epoch.
            if !withdrawable {
                let debt = self.debt(&p);
                let shortfall = if slashed {
                    let pending = now + half <= withdrawable_epoch;
                    if pending != p.penalty_pending {
                        if pending {
                            self.slashings_pending += count;
                        } else {
                            self.slashings_pending -= count;
                        }
                        p.penalty_pending = pending;
                    }
                    p.slashed = true;
                    if pending {
                        debt
                    } else {
                        debt - debt.min(balance)
                    }
                } else {
                    debt - debt.min(balance)
                };
                self.provisional_shortfall =
                    self.provisional_shortfall + shortfall * count - p.shortfall * count;
                p.shortfall = shortfall;
                p.last_balance = balance;
            }
            net.cohorts[i].positions = Some(p);
        }
    }

    /// `demandExit` / `skipDemandExit` in position order from the cursor while the open
    /// requests exceed the buffer plus the exiting debt.
    fn demand_exits(&mut self, net: &mut Network) {
        let now = net.epoch;
        let period = net.config.shard_committee_period;
        let open = self.requested_total - self.finalized_cumulative();
        let mut covered = self.buffer + self.exiting_debt;
        if open <= covered || self.position_count == 0 {
            return;
        }
        // From the cursor, once around the positions.
        let mut visited = 0u64;
        while open > covered && visited < self.position_count {
            let cursor = self.demand_cursor;
            let Some(i) = net.cohorts.iter().position(|c| {
                c.positions
                    .as_ref()
                    .is_some_and(|p| (p.first..p.first + c.count).contains(&cursor))
            }) else {
                return; // every position is in a cohort: not reached
            };
            let c = &net.cohorts[i];
            let Some(p) = c.positions.as_ref() else {
                return;
            };
            let end = p.first + c.count;
            let eligible = p.status == PositionStatus::Active
                && !p.exit_requested
                && c.is_active(now)
                && c.exit_epoch == FAR_FUTURE_EPOCH
                && now >= c.activation_epoch + period;
            let take = if eligible {
                let debt = self.debt(p);
                let take = (open - covered).div_ceil(debt).min(end - cursor);
                for j in net.isolate_positions(cursor, take) {
                    let count = net.cohorts[j].count;
                    if let Some(p) = net.cohorts[j].positions.as_mut() {
                        p.exit_requested = true;
                    }
                    self.exiting_debt += debt * count;
                    covered += debt * count;
                    self.demand_exits += count;
                }
                net.requests.to_send.push_back(ExitRequest {
                    first: cursor,
                    count: take,
                });
                take
            } else {
                end - cursor // skipDemandExit, for each of them
            };
            visited += take;
            let next = cursor + take;
            self.demand_cursor = if next > self.position_count { 1 } else { next };
        }
    }

    /// `finalize`: as many requests, in order, as the buffer pays at the rate in force; not
    /// below par while a slashing's penalty is pending; never in the wind-down.
    fn finalize(&mut self, now: Epoch) {
        if self.finalized == self.requests.len()
            || self.buffer == 0
            || self.wind_down.as_ref().is_some_and(|w| w.started.is_some())
        {
            return;
        }
        let rate = self.rate();
        if rate < RATE_UNIT && self.slashings_pending != 0 {
            return;
        }
        let base = self.finalized_cumulative();
        // The last request whose batch the buffer pays: amounts are monotone in the id.
        let pays = |cumulative: Gwei| (cumulative - base) as u128 * rate / RATE_UNIT;
        let buffer = self.buffer as u128;
        let rest = &self.requests[self.finalized..];
        let n = rest.partition_point(|r| pays(r.cumulative) <= buffer);
        if n == 0 {
            return;
        }
        let last = self.finalized + n;
        let eth = pays(self.requests[last - 1].cumulative) as Gwei;
        for r in &mut self.requests[self.finalized..last] {
            let paid = (r.amount as u128 * rate / RATE_UNIT) as Gwei;
            r.finalized = Some((now, rate, paid));
        }
        self.buffer -= eth;
        self.paid_out += eth;
        self.finalized = last;
    }

    /// Proof-blindness: the keeper can prove nothing from now on.
    pub fn stop_proofs(&mut self) {
        self.proofs = false;
    }

    /// The outage ends: proofs can be made again. The first accepted one voids a standing
    /// notice (`_startWindDown` needs `windDownNoticeEpoch == lastProofEpoch`); once the
    /// wind-down has started C takes no proof (`_noteProof`), so nothing changes.
    /// The withdrawals that arrived meanwhile are settled then.
    pub fn resume_proofs(&mut self, net: &mut Network) {
        if self.wind_down.as_ref().is_some_and(|w| w.started.is_some()) {
            return;
        }
        self.wind_down = None;
        self.proofs = true;
        let arrived = std::mem::take(&mut self.blind_payments);
        for pay in &arrived {
            self.unproven -= pay.amount * pay.count;
        }
        self.on_payments(net, &arrived);
    }

    /// The wind-down once proofs stopped: notice after `WIND_DOWN_DELAY` of silence, the start
    /// `WIND_DOWN_NOTICE` later (every live position exited by pubkey), then each epoch
    /// `sweepWindDown`: what is free goes to the sETH outstanding at the start, pro rata, up to
    /// par, the rest to the owners.
    fn wind_down_step(&mut self, net: &mut Network) {
        let now = net.epoch;
        let p = &self.params;
        match &mut self.wind_down {
            None => {
                if now > self.last_proof_epoch + p.wind_down_delay_epochs {
                    self.wind_down = Some(WindDown {
                        noticed: now,
                        started: None,
                        seth: 0,
                        booked: 0,
                        to_owners: 0,
                        at_par: None,
                    });
                }
                return;
            }
            Some(w) if w.started.is_none() => {
                if now < w.noticed + p.wind_down_notice_epochs {
                    return;
                }
                w.started = Some(now);
                w.seth = self.position_count * p.mint + self.reward_total
                    - match self.finalized {
                        0 => 0,
                        n => self.requests[n - 1].cumulative,
                    };
                for c in net.cohorts.iter_mut() {
                    let count = c.count;
                    let Some(pos) = c.positions.as_mut() else {
                        continue;
                    };
                    if !pos.live() {
                        continue;
                    }
                    let was = pos.status;
                    pos.status = PositionStatus::Unwinding;
                    if was == PositionStatus::Active && c.exit_epoch == FAR_FUTURE_EPOCH {
                        net.requests.to_send.push_back(ExitRequest {
                            first: pos.first,
                            count,
                        });
                    }
                }
            }
            Some(_) => {}
        }
        // sweepWindDown.
        let Some(w) = self.wind_down.as_mut() else {
            return;
        };
        let free = self.buffer + self.unproven;
        let to_seth = free.min(w.seth - w.booked);
        w.booked += to_seth;
        w.to_owners += free - to_seth;
        self.buffer = 0;
        self.unproven = 0;
        if w.at_par.is_none() && w.booked >= w.seth {
            w.at_par = Some(now);
        }
        // Every request open at the start shares it pro rata (claims in full at once here).
        let (booked, seth) = (w.booked, w.seth.max(1));
        for r in &mut self.requests[self.finalized..] {
            r.wind_down_paid = (r.amount as u128 * booked as u128 / seth as u128) as Gwei;
        }
    }

    /// What the live positions' balances would return to the queue now: the buffer, ETH that
    /// arrived without proof, and each live position's balance up to its debt.
    pub fn value_now(&self, net: &Network) -> Gwei {
        let mut v = self.buffer + self.unproven;
        for c in &net.cohorts {
            if let Some(p) = &c.positions {
                if p.live() || p.status == PositionStatus::Unwinding {
                    v += c.balance.min(self.debt(p)) * c.count;
                }
            }
        }
        if let Some(w) = &self.wind_down {
            v += w.booked;
        }
        v
    }
}
