//! The beacon chain as cohorts: groups of validators with identical balance, effective balance,
//! status, behaviour and inactivity score, processed epoch by epoch with the spec's rules.
//!
//! Why cohorts: a year of mainnet is 82,125 epochs and a million validators; touching every
//! validator every epoch is 8·10^10 updates. Validators that the scenario treats alike stay
//! alike under the spec's arithmetic (every rule is a function of the validator's own fields and
//! of network totals), so one cohort stands for all of them and the cost is per cohort-epoch. A
//! cohort splits when its members' fates diverge (the exit churn gives them different exit
//! epochs, an event takes some of them offline) and cohorts of the network's that became alike
//! again are merged. C's validators are cohorts of their own, carrying their positions.
//!
//! What is exact and what is expected value: the epoch processing (`process_epoch`: flag
//! rewards and penalties, inactivity scores and penalties, justification and finality, the
//! registry's ejection, `process_slashings`, effective balances with hysteresis, the slashings
//! vector) follows the spec's integer formulas. Rewards earned in blocks (sync committee duty,
//! proposals) are paid as their expected value per epoch, because which validator is picked is
//! random; the exit churn and the EIP-7002 queue follow the spec's bookkeeping; the withdrawal
//! sweep is a cursor over the registry that pays 16 withdrawals per block.

use crate::spec::*;
use crate::vault::Positions;
use std::collections::hash_map::{Entry, HashMap};
use std::collections::VecDeque;

/// A group of validators alike in everything the model tracks.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cohort {
    /// How many validators the cohort stands for.
    pub count: u64,
    /// Each member's balance.
    pub balance: Gwei,
    /// Each member's effective balance.
    pub effective: Gwei,
    /// Compounding (0x02) credentials: effective balance up to 2048 ETH and no partial
    /// withdrawals below it (C's validators). Otherwise 0x01: the sweep skims every ETH above
    /// 32 (modelled as skimmed at once).
    pub compounding: bool,
    /// Whether the members attest (all three flags, timely) in the current epoch.
    pub online: bool,
    /// Whether they did in the previous epoch (the participation `process_epoch` reads).
    pub prev_online: bool,
    /// Each member's inactivity score.
    pub score: u64,
    /// Slashed.
    pub slashed: bool,
    /// `activation_epoch`.
    pub activation_epoch: Epoch,
    /// `exit_epoch` (`FAR_FUTURE_EPOCH` if no exit was initiated).
    pub exit_epoch: Epoch,
    /// `withdrawable_epoch`.
    pub withdrawable_epoch: Epoch,
    /// The balance was paid out by the sweep: the members are gone.
    pub withdrawn: bool,
    /// Where the members sit in the registry, for the sweep (an index below the registry size);
    /// for C's, where their first position sits (see `Network::vault_stride`).
    pub sweep_index: u64,
    /// The sweep's running count at which it reaches the members, once withdrawable.
    pub sweep_due: Option<u128>,
    /// A scenario's tag (which event made the cohort), so a later event can find it; 0: none.
    pub tag: u32,
    /// C's positions, when the members are C's validators.
    pub positions: Option<Positions>,
}

impl Cohort {
    /// `count` active validators of `balance` (effective balance from it), active since epoch 0,
    /// online, score 0.
    pub fn active(count: u64, balance: Gwei, compounding: bool) -> Self {
        let max = if compounding {
            MAX_EFFECTIVE_BALANCE_ELECTRA
        } else {
            MIN_ACTIVATION_BALANCE
        };
        Self {
            count,
            balance,
            effective: (balance - balance % EFFECTIVE_BALANCE_INCREMENT).min(max),
            compounding,
            online: true,
            prev_online: true,
            score: 0,
            slashed: false,
            activation_epoch: 0,
            exit_epoch: FAR_FUTURE_EPOCH,
            withdrawable_epoch: FAR_FUTURE_EPOCH,
            withdrawn: false,
            sweep_index: 0,
            sweep_due: None,
            tag: 0,
            positions: None,
        }
    }

    /// `is_active_validator` at `epoch`.
    pub fn is_active(&self, epoch: Epoch) -> bool {
        !self.withdrawn && self.activation_epoch <= epoch && epoch < self.exit_epoch
    }

    /// In `get_eligible_validator_indices` (phase0) at the end of `current`: active in the
    /// previous epoch, or slashed and not yet withdrawable.
    fn is_eligible(&self, current: Epoch) -> bool {
        let previous = current.saturating_sub(1);
        !self.withdrawn
            && (self.is_active(previous)
                || (self.slashed && previous + 1 < self.withdrawable_epoch))
    }

    /// In `get_unslashed_participating_indices` for the previous epoch (every flag: an online
    /// validator is timely on all three).
    fn participated_previous(&self, current: Epoch) -> bool {
        !self.slashed && self.prev_online && self.is_active(current.saturating_sub(1))
    }

    fn max_effective(&self) -> Gwei {
        if self.compounding {
            MAX_EFFECTIVE_BALANCE_ELECTRA
        } else {
            MIN_ACTIVATION_BALANCE
        }
    }

    /// Splits off the first `n` members (the lowest position ids, for C's) as a new cohort and
    /// keeps the rest. `n` must be below `count`.
    fn split_front(&mut self, n: u64) -> Cohort {
        debug_assert!(n > 0 && n < self.count);
        let mut front = self.clone();
        front.count = n;
        self.count -= n;
        if let (Some(p), Some(f)) = (self.positions.as_mut(), front.positions.as_ref()) {
            p.first = f.first + n;
        }
        front
    }

    /// Everything but the count and the exit epoch once passed: two cohorts with the same key
    /// behave the same from now on.
    fn merge_key(&self, current: Epoch) -> MergeKey {
        let exit = if self.exit_epoch <= current {
            0
        } else {
            self.exit_epoch
        };
        (
            (self.balance, self.effective, self.compounding, self.online),
            (self.prev_online, self.score, self.slashed),
            (self.activation_epoch, exit, self.withdrawable_epoch),
            (self.withdrawn, self.tag, self.sweep_due),
        )
    }
}

/// What must be equal for two cohorts to merge (`Cohort::merge_key`).
type MergeKey = (
    (Gwei, Gwei, bool, bool),
    (bool, u64, bool),
    (Epoch, Epoch, Epoch),
    (bool, u32, Option<u128>),
);

/// The sweep pays every member of `c` its whole balance (a payment to C if they are C's).
fn paid(c: &mut Cohort, payments: &mut Vec<Payment>) {
    if let Some(p) = &c.positions {
        payments.push(Payment {
            first: p.first,
            count: c.count,
            amount: c.balance,
        });
    }
    c.balance = 0;
    c.withdrawn = true;
    c.sweep_due = None;
}

/// A full-exit request in the EIP-7002 contract's queue: positions `first..first + count` of C.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ExitRequest {
    /// The first position.
    pub first: u64,
    /// How many consecutive positions.
    pub count: u64,
}

/// The EIP-7002 withdrawal-request contract: its excess (which sets the fee), requests waiting to
/// be sent by C's callers, and requests queued in the contract (16 dequeued per block).
#[derive(Clone, Debug, Default)]
pub struct WithdrawalRequests {
    /// The contract's excess.
    pub excess: u64,
    /// Requests callers will send as soon as the fee is at most their cap.
    pub to_send: VecDeque<ExitRequest>,
    /// Requests in the contract's queue.
    pub queued: VecDeque<ExitRequest>,
    /// The most a caller pays for one request, in wei.
    pub max_fee_wei: u128,
    /// The most requests C's callers send per block (at most
    /// `MAX_WITHDRAWAL_REQUESTS_PER_BLOCK`, the most the contract dequeues).
    pub per_block: u64,
    /// Fees paid so far, in wei.
    pub fees_paid_wei: u128,
    /// The highest fee paid for one request, in wei.
    pub max_fee_paid_wei: u128,
    /// Requests sent so far.
    pub sent: u64,
    /// The excess other users' requests hold the contract at (0: none): a fee spike that lasts,
    /// with them sending the target's two requests a block at its fee.
    pub background_excess: u64,
}

/// A payment the sweep made to C: every member of a cohort of C's validators withdrawn.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Payment {
    /// The first position paid.
    pub first: u64,
    /// How many positions.
    pub count: u64,
    /// The amount each received.
    pub amount: Gwei,
}

/// Network-wide totals of one epoch, as the sample of a run reports them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Totals {
    /// `get_total_active_balance`.
    pub active_balance: Gwei,
    /// Validators in the registry that were not withdrawn.
    pub validators: u64,
    /// Whether the chain is in an inactivity leak.
    pub leak: bool,
    /// Epochs since the finalized checkpoint (previous epoch minus finalized epoch).
    pub finality_delay: u64,
}

/// The beacon chain: its cohorts and the state the spec's epoch processing keeps.
#[derive(Clone, Debug)]
pub struct Network {
    /// The network's preset and configuration.
    pub config: ChainConfig,
    /// The current epoch: the one whose end `process_epoch` will process next.
    pub epoch: Epoch,
    /// The validators.
    pub cohorts: Vec<Cohort>,
    /// `state.slashings`, a ring of `EPOCHS_PER_SLASHINGS_VECTOR` sums.
    slashings: Vec<Gwei>,
    /// The sum of `slashings`.
    pub slashings_sum: Gwei,
    /// `state.earliest_exit_epoch`.
    pub earliest_exit_epoch: Epoch,
    /// `state.exit_balance_to_consume`.
    pub exit_balance_to_consume: Gwei,
    /// Exits of validators the model does not track (a backlog that persists), in Gwei per epoch.
    pub background_exits_per_epoch: Gwei,
    justification_bits: [bool; 4],
    previous_justified: Epoch,
    current_justified: Epoch,
    /// The finalized checkpoint's epoch.
    pub finalized: Epoch,
    /// The registry's size, for the sweep.
    pub registry_size: u64,
    /// Validators the sweep has visited since the start of the run.
    sweep_visited: u128,
    /// The EIP-7002 contract.
    pub requests: WithdrawalRequests,
    /// Validator-epochs represented so far (validators in the registry, summed over epochs).
    pub validator_epochs: u128,
    /// C's validators sit evenly across the registry, position `p` at index `sweep_index +
    /// (p - 1) * vault_stride` of its cohort's first: the sweep reaches them one after another.
    pub vault_stride: u64,
    /// Whether the expected rewards of blocks (sync committee, proposals) are paid; off only to
    /// check `process_epoch` alone against the spec's formulas.
    pub block_rewards: bool,
    totals: Totals,
    merge_pending: bool,
}

impl Network {
    /// A network at epoch `epoch` of `cohorts`, finalizing normally (the last two epochs
    /// justified, the one before finalized), with an empty slashings vector and exit queue.
    pub fn new(config: ChainConfig, epoch: Epoch, cohorts: Vec<Cohort>) -> Self {
        let registry_size = cohorts.iter().map(|c| c.count).sum::<u64>().max(1);
        let vector = config.epochs_per_slashings_vector as usize;
        let mut net = Self {
            config,
            epoch,
            cohorts,
            slashings: vec![0; vector],
            slashings_sum: 0,
            earliest_exit_epoch: 0,
            exit_balance_to_consume: 0,
            background_exits_per_epoch: 0,
            justification_bits: [true; 4],
            previous_justified: epoch.saturating_sub(2),
            current_justified: epoch.saturating_sub(1),
            finalized: epoch.saturating_sub(2),
            registry_size,
            sweep_visited: 0,
            requests: WithdrawalRequests::default(),
            validator_epochs: 0,
            vault_stride: 0,
            block_rewards: true,
            totals: Totals::default(),
            merge_pending: false,
        };
        net.totals = net.compute_totals();
        net
    }

    /// The totals as of the last epoch processed.
    pub fn totals(&self) -> Totals {
        self.totals
    }

    fn compute_totals(&self) -> Totals {
        let e = self.epoch;
        let mut active = 0u64;
        let mut validators = 0u64;
        for c in &self.cohorts {
            if c.is_active(e) {
                active += c.effective * c.count;
            }
            if !c.withdrawn {
                validators += c.count;
            }
        }
        let delay = e.saturating_sub(1).saturating_sub(self.finalized);
        Totals {
            active_balance: active.max(EFFECTIVE_BALANCE_INCREMENT),
            validators,
            leak: delay > MIN_EPOCHS_TO_INACTIVITY_PENALTY,
            finality_delay: delay,
        }
    }

    /// Sets the exit queue's backlog: the next exit lands `epochs` after the earliest possible
    /// epoch. With `persists`, validators the model does not track keep joining the queue at the
    /// churn limit, so the backlog stays as long.
    pub fn set_exit_backlog(&mut self, epochs: u64, persists: bool) {
        self.earliest_exit_epoch = compute_activation_exit_epoch(self.epoch) + epochs;
        self.exit_balance_to_consume = 0;
        self.background_exits_per_epoch = if persists {
            self.config
                .activation_exit_churn_limit(self.totals.active_balance)
        } else {
            0
        };
    }

    /// Splits cohorts so that positions `first..first + count` of C are exactly whole cohorts,
    /// and returns their indices (live cohorts only; positions not found are skipped).
    pub fn isolate_positions(&mut self, first: u64, count: u64) -> Vec<usize> {
        let end = first + count;
        let mut out = Vec::new();
        let mut i = 0;
        // Cohorts split off below are either outside the range or recorded when made.
        let len = self.cohorts.len();
        while i < len {
            let (start, n) = match &self.cohorts[i].positions {
                Some(p) => (p.first, self.cohorts[i].count),
                None => {
                    i += 1;
                    continue;
                }
            };
            let stop = start + n;
            if stop <= first || start >= end {
                i += 1;
                continue;
            }
            if start < first {
                let front = self.cohorts[i].split_front(first - start);
                self.cohorts.push(front);
                continue; // look at the rest again
            }
            if stop > end {
                let front = self.cohorts[i].split_front(end - start);
                self.cohorts.push(front);
                let last = self.cohorts.len() - 1;
                out.push(last);
                i += 1;
                continue;
            }
            out.push(i);
            i += 1;
        }
        out
    }

    /// Splits `count` members off the network cohort `index` (not C's) into a new cohort with
    /// `tag`, returning its index; `None` if the cohort has fewer members.
    pub fn split_network(&mut self, index: usize, count: u64, tag: u32) -> Option<usize> {
        let c = &mut self.cohorts[index];
        if count == 0 || count > c.count || c.positions.is_some() {
            return None;
        }
        if count == c.count {
            c.tag = tag;
            return Some(index);
        }
        let mut front = c.split_front(count);
        front.tag = tag;
        self.cohorts.push(front);
        Some(self.cohorts.len() - 1)
    }

    /// `compute_exit_epoch_and_update_churn` (electra) for one exit of `exit_balance`.
    pub fn compute_exit_epoch_and_update_churn(&mut self, exit_balance: Gwei) -> Epoch {
        let mut earliest = self
            .earliest_exit_epoch
            .max(compute_activation_exit_epoch(self.epoch));
        let per_epoch = self
            .config
            .activation_exit_churn_limit(self.totals.active_balance);
        let mut to_consume = if self.earliest_exit_epoch < earliest {
            per_epoch
        } else {
            self.exit_balance_to_consume
        };
        if exit_balance > to_consume {
            let to_process = exit_balance - to_consume;
            let additional = (to_process - 1) / per_epoch + 1;
            earliest += additional;
            to_consume += additional * per_epoch;
        }
        self.exit_balance_to_consume = to_consume - exit_balance;
        self.earliest_exit_epoch = earliest;
        earliest
    }

    /// `initiate_validator_exit` (electra) for every member of cohort `index`, in order: the
    /// churn gives each its exit epoch, so the cohort splits into one cohort per exit epoch (the
    /// first members, lowest positions, exit first). Returns the indices of the resulting
    /// cohorts. A cohort already exiting is left as it is.
    pub fn initiate_exit(&mut self, index: usize) -> Vec<usize> {
        if self.cohorts[index].exit_epoch != FAR_FUTURE_EPOCH {
            return vec![index];
        }
        let delay = self.config.min_validator_withdrawability_delay;
        let effective = self.cohorts[index].effective;
        let mut left = self.cohorts[index].count;
        let mut groups: Vec<(Epoch, u64)> = Vec::new();
        while left > 0 {
            let epoch = self.compute_exit_epoch_and_update_churn(effective);
            // How many more fit in what this epoch has left (all of them for a zero balance).
            let more = match self.exit_balance_to_consume.checked_div(effective) {
                Some(fit) => (left - 1).min(fit),
                None => left - 1,
            };
            self.exit_balance_to_consume -= more * effective;
            groups.push((epoch, 1 + more));
            left -= 1 + more;
        }
        let mut out = Vec::with_capacity(groups.len());
        let last = groups.len() - 1;
        for (i, (epoch, n)) in groups.into_iter().enumerate() {
            let at = if i == last {
                index
            } else {
                let front = self.cohorts[index].split_front(n);
                self.cohorts.push(front);
                self.cohorts.len() - 1
            };
            let c = &mut self.cohorts[at];
            c.exit_epoch = epoch;
            c.withdrawable_epoch = epoch + delay;
            out.push(at);
        }
        self.merge_pending = true;
        out
    }

    /// `slash_validator` (electra) for every member of cohort `index` at the current epoch:
    /// exit initiated, slashed, withdrawable no earlier than `EPOCHS_PER_SLASHINGS_VECTOR` from
    /// now, the effective balance added to the slashings vector, and the minimum penalty
    /// `effective / 4096` taken at once. (The whistleblower's and proposer's rewards,
    /// `effective / 4096` shared by the network, are not credited.)
    pub fn slash(&mut self, index: usize) -> Vec<usize> {
        let epoch = self.epoch;
        let vector = self.config.epochs_per_slashings_vector;
        let parts = self.initiate_exit(index);
        for &i in &parts {
            let c = &mut self.cohorts[i];
            c.slashed = true;
            c.withdrawable_epoch = c.withdrawable_epoch.max(epoch + vector);
            let added = c.effective * c.count;
            self.slashings[(epoch % vector) as usize] += added;
            self.slashings_sum += added;
            let c = &mut self.cohorts[i];
            c.balance -= c
                .balance
                .min(c.effective / MIN_SLASHING_PENALTY_QUOTIENT_ELECTRA);
        }
        parts
    }

    /// The block-level part of the current epoch: the EIP-7002 contract over the epoch's
    /// blocks (requests sent while the fee is at most the cap, 16 dequeued per block, each
    /// honoured by `process_withdrawal_request` if its validator may exit), the untracked
    /// backlog's exits, the sweep, and the expected rewards of sync-committee duty and
    /// proposals. Returns the sweep's payments to C.
    pub fn process_blocks(&mut self) -> Vec<Payment> {
        if self.background_exits_per_epoch > 0 {
            self.compute_exit_epoch_and_update_churn(self.background_exits_per_epoch);
        }
        self.process_withdrawal_requests();
        if self.block_rewards {
            self.block_rewards();
        }
        self.sweep()
    }

    fn process_withdrawal_requests(&mut self) {
        /// Up to `max` validators from the front run of `queue`, splitting it if it is longer.
        fn take_front(
            queue: &mut std::collections::VecDeque<ExitRequest>,
            max: u64,
        ) -> Option<ExitRequest> {
            let front = queue.front_mut()?;
            let n = front.count.min(max);
            let taken = ExitRequest {
                first: front.first,
                count: n,
            };
            front.first += n;
            front.count -= n;
            if front.count == 0 {
                queue.pop_front();
            }
            Some(taken)
        }

        let r = &mut self.requests;
        if r.to_send.is_empty() && r.queued.is_empty() && r.excess <= r.background_excess {
            r.excess = r.background_excess;
            return;
        }
        let mut sent_now = Vec::new();
        for _ in 0..self.config.slots_per_epoch {
            // Callers send while the fee (fixed within a block) is at most their cap, at their
            // pace.
            let r = &mut self.requests;
            let fee = withdrawal_request_fee(r.excess);
            let pace = r.per_block.min(MAX_WITHDRAWAL_REQUESTS_PER_BLOCK);
            let mut added = 0u64;
            while added < pace && fee <= r.max_fee_wei {
                let Some(sent) = take_front(&mut r.to_send, pace - added) else {
                    break;
                };
                let n = sent.count;
                sent_now.push(sent);
                r.queued.push_back(sent);
                added += n;
                r.fees_paid_wei += fee * n as u128;
                r.max_fee_paid_wei = r.max_fee_paid_wei.max(fee);
                r.sent += n;
            }
            // End of block: dequeue, then update the excess.
            let mut budget = MAX_WITHDRAWAL_REQUESTS_PER_BLOCK;
            let mut dequeued = Vec::new();
            while budget > 0 {
                let Some(request) = take_front(&mut r.queued, budget) else {
                    break;
                };
                budget -= request.count;
                dequeued.push(request);
            }
            r.excess = (r.excess + added)
                .saturating_sub(TARGET_WITHDRAWAL_REQUESTS_PER_BLOCK)
                .max(r.background_excess);
            for req in dequeued {
                self.process_withdrawal_request(req);
            }
        }
        // `lastExitRequestBlock`: C records each request as it sends it.
        let epoch = self.epoch;
        for sent in sent_now {
            for i in self.isolate_positions(sent.first, sent.count) {
                if let Some(p) = self.cohorts[i].positions.as_mut() {
                    p.last_sent = Some(epoch);
                }
            }
        }
    }

    /// `process_withdrawal_request` (electra) for a full exit of each position in `req`: honoured
    /// only for an active validator not yet exiting and active for `SHARD_COMMITTEE_PERIOD`.
    fn process_withdrawal_request(&mut self, req: ExitRequest) {
        let epoch = self.epoch;
        let period = self.config.shard_committee_period;
        for i in self.isolate_positions(req.first, req.count) {
            let c = &self.cohorts[i];
            if c.is_active(epoch)
                && c.exit_epoch == FAR_FUTURE_EPOCH
                && epoch >= c.activation_epoch + period
            {
                self.initiate_exit(i);
            }
        }
    }

    /// Sync-committee and proposer rewards as expected values per epoch (altair
    /// `process_sync_aggregate`, `process_attestation`): a validator sits in the sync committee,
    /// and proposes, with probability proportional to its effective balance (Electra's
    /// `compute_sync_committee_indices` and `compute_proposer_index` accept by effective
    /// balance). An offline member of the committee is penalised what it would have earned;
    /// an offline proposer earns nothing.
    fn block_rewards(&mut self) {
        let t = self.totals;
        let total = t.active_balance as u128;
        let slots = self.config.slots_per_epoch as u128;
        let size = self.config.sync_committee_size as u128;
        let per_increment = base_reward_per_increment(t.active_balance);
        let active_increments = (t.active_balance / EFFECTIVE_BALANCE_INCREMENT) as u128;
        // `process_sync_aggregate`.
        let total_base_rewards = per_increment as u128 * active_increments;
        let max_participant_rewards =
            total_base_rewards * SYNC_REWARD_WEIGHT as u128 / WEIGHT_DENOMINATOR as u128 / slots;
        let participant_reward = max_participant_rewards / size;
        let sync_proposer_reward = participant_reward * PROPOSER_WEIGHT as u128
            / (WEIGHT_DENOMINATOR - PROPOSER_WEIGHT) as u128;
        // The epoch's proposer rewards, if every slot is proposed: attestations (each flag of
        // each participant's base reward, over `(64 - 8) * 64 / 8`) and sync aggregates.
        let epoch = self.epoch;
        let mut attesting_base = 0u128;
        let mut online_effective = 0u128;
        for c in &self.cohorts {
            if c.is_active(epoch) && c.online && !c.slashed {
                let br = base_reward(c.effective, per_increment) as u128;
                attesting_base += br * c.count as u128;
                online_effective += c.effective as u128 * c.count as u128;
            }
        }
        let flag_weights =
            (TIMELY_SOURCE_WEIGHT + TIMELY_TARGET_WEIGHT + TIMELY_HEAD_WEIGHT) as u128;
        let denominator =
            ((WEIGHT_DENOMINATOR - PROPOSER_WEIGHT) * WEIGHT_DENOMINATOR / PROPOSER_WEIGHT) as u128;
        let sync_participants = size * online_effective / total;
        let proposer_pool = attesting_base * flag_weights / denominator
            + slots * sync_participants * sync_proposer_reward;
        for c in &mut self.cohorts {
            if !c.is_active(epoch) || c.slashed {
                continue;
            }
            let weight = c.effective as u128;
            let sync = size * slots * participant_reward * weight / total;
            if c.online {
                let proposer = proposer_pool * weight / total;
                c.balance += (sync + proposer) as Gwei; // a fraction of the epoch's issuance
            } else {
                c.balance -= c.balance.min(sync as Gwei);
            }
        }
    }

    /// The withdrawal sweep: a cursor over the registry that, with mainnet's validators nearly
    /// all owed a partial withdrawal, pays `MAX_WITHDRAWALS_PER_PAYLOAD` per block (at most
    /// `MAX_VALIDATORS_PER_WITHDRAWALS_SWEEP` visited). A withdrawable validator is paid its
    /// whole balance when the cursor reaches its index; 0x01 validators' excess above 32 ETH is
    /// skimmed at once.
    fn sweep(&mut self) -> Vec<Payment> {
        let slots = self.config.slots_per_epoch as u128;
        let step = (slots * MAX_WITHDRAWALS_PER_PAYLOAD as u128)
            .min(slots * self.config.max_validators_per_withdrawals_sweep as u128);
        let visited = self.sweep_visited;
        let n = self.registry_size as u128;
        let epoch = self.epoch;
        let stride = self.vault_stride as u128;
        let mut payments = Vec::new();
        let mut extra = Vec::new();
        for c in &mut self.cohorts {
            if c.withdrawn {
                continue;
            }
            if !c.compounding && c.balance > MIN_ACTIVATION_BALANCE {
                c.balance = MIN_ACTIVATION_BALANCE;
            }
            if c.withdrawable_epoch > epoch {
                continue;
            }
            // C's members sit `stride` apart; the network's are paid together.
            let stride = if c.positions.is_some() { stride } else { 0 };
            if c.sweep_due.is_none() {
                let at = visited % n;
                let offset = c
                    .positions
                    .as_ref()
                    .map_or(0, |p| (p.first as u128 - 1) * stride);
                let ahead = (c.sweep_index as u128 + offset + n - at) % n;
                let due = visited + ahead;
                c.sweep_due = Some(due);
                // Member j is due at `due + j * stride` until its index wraps past the
                // cursor; the members from there on are due a cycle earlier, as a cohort of
                // their own.
                if stride > 0 {
                    let linear = (n - ahead).div_ceil(stride);
                    if linear < c.count as u128 {
                        let front = c.split_front(linear as u64);
                        let mut rest = std::mem::replace(c, front);
                        rest.sweep_due = Some(due + linear * stride - n);
                        extra.push(rest);
                    }
                }
            }
            let Some(due) = c.sweep_due else { continue };
            if due >= visited + step {
                continue;
            }
            // The members the cursor reaches this epoch.
            let reached = match (visited + step - 1 - due).checked_div(stride) {
                Some(behind) => (behind + 1).min(c.count as u128) as u64,
                None => c.count,
            };
            if reached < c.count {
                let mut front = c.split_front(reached);
                c.sweep_due = Some(due + reached as u128 * stride);
                paid(&mut front, &mut payments);
                extra.push(front);
            } else {
                paid(c, &mut payments);
            }
            self.merge_pending = true;
        }
        self.cohorts.extend(extra);
        self.sweep_visited += step;
        payments
    }

    /// `process_epoch` at the end of the current epoch, the parts that move balances and
    /// scores: justification and finalization, inactivity updates, flag rewards and penalties
    /// with the inactivity penalty, the registry's ejection at `EJECTION_BALANCE`,
    /// `process_slashings`, effective balance updates and the slashings reset. Then the epoch
    /// advances.
    pub fn process_epoch(&mut self) {
        let current = self.epoch;
        let previous = current.saturating_sub(1);
        let totals = self.compute_totals();
        let total = totals.active_balance;

        // process_justification_and_finalization (altair).
        let mut previous_target = 0u64;
        let mut current_target = 0u64;
        for c in &self.cohorts {
            if c.participated_previous(current) {
                previous_target += c.effective * c.count;
            }
            if !c.slashed && c.online && c.is_active(current) {
                current_target += c.effective * c.count;
            }
        }
        let previous_target = previous_target.max(EFFECTIVE_BALANCE_INCREMENT);
        if current > 1 {
            self.weigh_justification_and_finalization(
                total,
                previous_target,
                current_target.max(EFFECTIVE_BALANCE_INCREMENT),
            );
        }
        let leak = previous.saturating_sub(self.finalized) > MIN_EPOCHS_TO_INACTIVITY_PENALTY;

        // process_inactivity_updates and process_rewards_and_penalties (altair, bellatrix).
        let per_increment = base_reward_per_increment(total);
        let active_increments = total / EFFECTIVE_BALANCE_INCREMENT;
        let participating_increments = previous_target / EFFECTIVE_BALANCE_INCREMENT;
        for c in &mut self.cohorts {
            if !c.is_eligible(current) {
                continue;
            }
            let participating = c.participated_previous(current);
            if participating {
                c.score -= c.score.min(1);
            } else {
                c.score += INACTIVITY_SCORE_BIAS;
            }
            if !leak {
                c.score -= c.score.min(INACTIVITY_SCORE_RECOVERY_RATE);
            }
            let br = base_reward(c.effective, per_increment);
            for (flag, weight) in PARTICIPATION_FLAG_WEIGHTS.into_iter().enumerate() {
                if participating {
                    if !leak {
                        let numerator =
                            br as u128 * weight as u128 * participating_increments as u128;
                        let reward =
                            numerator / (active_increments as u128 * WEIGHT_DENOMINATOR as u128);
                        c.balance += reward as Gwei; // below the base reward
                    }
                } else if flag != TIMELY_HEAD_FLAG_INDEX {
                    c.balance -= c.balance.min(br * weight / WEIGHT_DENOMINATOR);
                }
            }
            if !participating {
                c.balance -= c.balance.min(inactivity_penalty(c.effective, c.score));
            }
        }

        // process_registry_updates (electra): ejection at EJECTION_BALANCE (no activations:
        // the model takes no deposits).
        let mut i = 0;
        while i < self.cohorts.len() {
            let c = &self.cohorts[i];
            if c.is_active(current)
                && c.exit_epoch == FAR_FUTURE_EPOCH
                && c.effective <= EJECTION_BALANCE
            {
                self.totals.active_balance = total;
                self.initiate_exit(i);
            }
            i += 1;
        }

        // process_slashings (electra).
        let half = self.config.epochs_per_slashings_vector / 2;
        let sum = self.slashings_sum;
        for c in &mut self.cohorts {
            if c.slashed && !c.withdrawn && current + half == c.withdrawable_epoch {
                let penalty = self.config.correlation_penalty(c.effective, sum, total);
                c.balance -= c.balance.min(penalty);
            }
        }

        // process_effective_balance_updates (electra), and merging what became alike.
        for c in &mut self.cohorts {
            if !c.withdrawn {
                c.effective = updated_effective_balance(c.balance, c.effective, c.max_effective());
            }
            if c.exit_epoch == current + 1 {
                self.merge_pending = true;
            }
        }

        // process_slashings_reset (phase0).
        let vector = self.config.epochs_per_slashings_vector;
        let slot = ((current + 1) % vector) as usize;
        self.slashings_sum -= self.slashings[slot];
        self.slashings[slot] = 0;

        self.validator_epochs += totals.validators as u128;
        self.epoch += 1;
        for c in &mut self.cohorts {
            c.prev_online = c.online;
        }
        if self.merge_pending {
            self.merge();
            self.merge_pending = false;
        }
        self.totals = self.compute_totals();
    }

    /// `weigh_justification_and_finalization` (phase0), on epochs only (no roots).
    fn weigh_justification_and_finalization(
        &mut self,
        total: Gwei,
        previous_target: Gwei,
        current_target: Gwei,
    ) {
        let current = self.epoch;
        let previous = current - 1;
        let old_previous = self.previous_justified;
        let old_current = self.current_justified;
        self.previous_justified = self.current_justified;
        let mut bits = self.justification_bits;
        bits.rotate_right(1);
        bits[0] = false;
        let supermajority = |target: Gwei| target as u128 * 3 >= total as u128 * 2;
        if supermajority(previous_target) {
            self.current_justified = previous;
            bits[1] = true;
        }
        if supermajority(current_target) {
            self.current_justified = current;
            bits[0] = true;
        }
        self.justification_bits = bits;
        let all = |r: std::ops::Range<usize>| bits[r].iter().all(|b| *b);
        if all(1..4) && old_previous + 3 == current {
            self.finalized = old_previous;
        }
        if all(1..3) && old_previous + 2 == current {
            self.finalized = old_previous;
        }
        if all(0..3) && old_current + 2 == current {
            self.finalized = old_current;
        }
        if all(0..2) && old_current + 1 == current {
            self.finalized = old_current;
        }
    }

    /// Merges cohorts that became alike: the network's (dropping withdrawn ones), and C's
    /// that hold consecutive positions in the same state.
    fn merge(&mut self) {
        let current = self.epoch;
        let mut vault: Vec<Cohort> = Vec::new();
        let mut network: Vec<Cohort> = Vec::new();
        for c in self.cohorts.drain(..) {
            if c.positions.is_some() {
                vault.push(c);
            } else if !c.withdrawn {
                network.push(c);
            }
        }
        vault.sort_by_key(|c| c.positions.as_ref().map_or(0, |p| p.first));
        let mut kept: Vec<Cohort> = Vec::with_capacity(vault.len() + network.len());
        for c in vault {
            if let Some(last) = kept.last_mut() {
                if let (Some(a), Some(b)) = (&last.positions, &c.positions) {
                    let same = a.first + last.count == b.first
                        && last.merge_key(current) == c.merge_key(current)
                        && Positions {
                            first: 0,
                            ..a.clone()
                        } == Positions {
                            first: 0,
                            ..b.clone()
                        };
                    if same {
                        last.count += c.count;
                        last.exit_epoch = last.exit_epoch.min(c.exit_epoch);
                        continue;
                    }
                }
            }
            kept.push(c);
        }
        let mut merged: Vec<Cohort> = Vec::with_capacity(network.len());
        let mut index: HashMap<MergeKey, usize> = HashMap::with_capacity(network.len());
        for c in network {
            match index.entry(c.merge_key(current)) {
                Entry::Occupied(at) => {
                    let m = &mut merged[*at.get()];
                    m.count += c.count;
                    m.exit_epoch = m.exit_epoch.min(c.exit_epoch);
                }
                Entry::Vacant(slot) => {
                    slot.insert(merged.len());
                    merged.push(c);
                }
            }
        }
        kept.extend(merged);
        self.cohorts = kept;
    }
}
