//! Scenarios: a network, C's positions and a timeline of events, run epoch by epoch, and what a
//! run measured: C's backing over time, the worst shortfall, who bore it (each redemption's
//! place in the queue and the rate it was paid at) and how long redeeming took.
//!
//! The named scenarios of issue 19 are built by [`Scenario::builtin`] from [`Knobs`]; a caller
//! may also assemble its own [`Event`]s.

use crate::network::{Cohort, Network};
use crate::spec::*;
use crate::vault::{
    PositionStatus, Positions, Request, Vault, VaultParams, WindDown, MIN_WIND_DOWN_DELAY_DAYS,
    RATE_UNIT,
};
use std::io::Write;

/// Why a scenario could not be built or run.
#[derive(Debug, thiserror::Error)]
pub enum SimError {
    /// No built-in scenario has this name.
    #[error("unknown scenario `{0}` (known: {known})", known = SCENARIOS.iter().map(|s| s.0).collect::<Vec<_>>().join(", "))]
    UnknownScenario(String),
    /// A parameter is out of its range.
    #[error("{name}: {reason}")]
    InvalidParameter {
        /// The parameter.
        name: &'static str,
        /// What is wrong with it.
        reason: String,
    },
    /// Writing the output failed.
    #[error("writing {what}: {source}")]
    Write {
        /// What was being written.
        what: &'static str,
        /// The I/O error.
        source: std::io::Error,
    },
}

fn invalid(name: &'static str, reason: impl Into<String>) -> SimError {
    SimError::InvalidParameter {
        name,
        reason: reason.into(),
    }
}

/// The built-in scenarios, with what each does.
pub const SCENARIOS: &[(&str, &str)] = &[
    ("baseline", "no stress: a year of a healthy network"),
    (
        "offline",
        "a share of C's operators offline, independently (no leak), for --offline-days",
    ),
    (
        "offline-correlated",
        "C's offline operators go down together with a share of the network",
    ),
    (
        "leak",
        "every sETH redeemed, C's validators in the exit queue behind a backlog, and an \
         inactivity leak (more than a third of the network offline, C's with it) meanwhile",
    ),
    (
        "backlog",
        "every sETH redeemed at once with the exit queue backlogged by --backlog-days",
    ),
    (
        "tee-break",
        "an attacker slashes --slashed of C's validators at once, with --network-slashed-share \
         of the network slashed in the same window; then every sETH is redeemed",
    ),
    (
        "bank-run",
        "every sETH redeemed at once by --requests holders, in order",
    ),
    (
        "wind-down",
        "proofs stop (a layout fork no verifier knows): silence, notice, exits, pro-rata payout; \
         with --proof-outage-days they come back (an outage), with --offline-share C's operators \
         stop once C is blind",
    ),
];

/// Whose validators an event acts on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Who {
    /// The rest of the network.
    Network,
    /// C's validators (taken from the highest position ids down).
    Vault,
}

/// What happens at an event.
#[derive(Clone, Debug, PartialEq)]
pub enum Action {
    /// `count` online validators go offline, for `epochs` (for good if `None`).
    Offline {
        /// Whose.
        who: Who,
        /// How many.
        count: u64,
        /// For how long.
        epochs: Option<u64>,
    },
    /// `count` validators are slashed at once (`slash_validator`).
    Slash {
        /// Whose.
        who: Who,
        /// How many.
        count: u64,
    },
    /// Holders burn `share` of the sETH not yet in the queue into `requests` equal requests,
    /// in order.
    Redeem {
        /// The share of the unrequested sETH, 0 to 1.
        share: f64,
        /// How many requests (queue positions) it is split into.
        requests: u64,
    },
    /// Nothing can be proven to C any more (a layout fork its verifiers do not know).
    StopProofs,
    /// Proofs can be made again (the outage ends): accepted unless the wind-down has started.
    ResumeProofs,
}

/// An action at an epoch counted from the run's start.
#[derive(Clone, Debug, PartialEq)]
pub struct Event {
    /// Epochs after the start.
    pub at: u64,
    /// What happens.
    pub action: Action,
}

/// A run's setup.
#[derive(Clone, Debug)]
pub struct Scenario {
    /// Its name.
    pub name: String,
    /// The network's preset and configuration.
    pub config: ChainConfig,
    /// Validators of the rest of the network (32 ETH, 0x01 credentials).
    pub network_validators: u64,
    /// C's validators (positions), 32 ETH each at the start.
    pub vault_validators: u64,
    /// Of them, the newest positions that joined while their validators were pending activation
    /// (DESIGN "Join and mint": a position needs the registry entry, not the activation).
    pub vault_pending: u64,
    /// Epochs after the start at which those activate.
    pub pending_activation_epochs: u64,
    /// How long the run lasts, in epochs.
    pub epochs: u64,
    /// C's parameters.
    pub vault: VaultParams,
    /// The exit queue's backlog at the start, in epochs.
    pub backlog_epochs: u64,
    /// Whether the backlog persists (untracked exits keep filling the churn).
    pub backlog_persists: bool,
    /// The most C's callers pay for one EIP-7002 request, in wei.
    pub max_exit_fee_wei: u128,
    /// How many EIP-7002 requests C's callers send per block at most (1 to 16).
    pub exit_requests_per_block: u64,
    /// The EIP-7002 excess other users hold the contract at (a lasting fee spike; 0: none).
    pub background_excess: u64,
    /// The timeline.
    pub events: Vec<Event>,
    /// Record a sample every this many epochs (the worst figures are taken every epoch).
    pub sample_every: u64,
}

/// The parameters of the built-in scenarios, each with its default.
#[derive(Clone, Debug, PartialEq)]
pub struct Knobs {
    /// Validators of the rest of the network.
    pub network_validators: u64,
    /// C's validators.
    pub vault_validators: u64,
    /// Length of the run in days (each scenario has its own default).
    pub days: Option<f64>,
    /// `INACTIVITY_TRIGGER`.
    pub inactivity_trigger: u64,
    /// Share of C's validators that go offline (offline, offline-correlated, leak).
    pub offline_share: Option<f64>,
    /// Share of the network's validators that go offline with them (offline-correlated, leak).
    pub network_offline_share: Option<f64>,
    /// How long they stay offline, in days.
    pub offline_days: Option<f64>,
    /// The exit queue's backlog at the start, in days.
    pub backlog_days: Option<f64>,
    /// Whether the backlog persists through the run.
    pub backlog_persists: bool,
    /// C's validators slashed (tee-break).
    pub slashed: Option<u64>,
    /// Share of the network slashed in the same window (tee-break).
    pub network_slashed_share: Option<f64>,
    /// Share of the sETH redeemed (each scenario has its own default).
    pub redeem_share: Option<f64>,
    /// How many requests a redemption is split into (queue positions).
    pub requests: u64,
    /// The most paid for one EIP-7002 request, in Gwei.
    pub max_exit_fee_gwei: u64,
    /// EIP-7002 requests sent per block at most (the target, 2, keeps the fee at 1 wei).
    pub exit_requests_per_block: u64,
    /// `EXIT_RESEND_BLOCKS`.
    pub exit_resend_blocks: u64,
    /// `MIN_REDEEM`, in Gwei of sETH.
    pub min_redeem_gwei: u64,
    /// `WIND_DOWN_DELAY`, in days (at least 30, `MIN_WIND_DOWN_DELAY`).
    pub wind_down_delay_days: f64,
    /// wind-down: proofs come back after this many days (an outage); `None`: never (C is dead).
    pub proof_outage_days: Option<f64>,
    /// Share of C's validators (the newest positions) pending activation at the start.
    pub pending_share: Option<f64>,
    /// Days after the start at which the pending ones activate.
    pub activation_days: Option<f64>,
    /// A lasting EIP-7002 fee spike: other users hold the fee at this many Gwei or more (0: none).
    pub exit_fee_floor_gwei: u64,
    /// bank-run: sETH a griefer puts in the queue first, in requests of `MIN_REDEEM` each.
    pub spam_seth: Option<f64>,
}

impl Default for Knobs {
    fn default() -> Self {
        Self {
            network_validators: 1_000_000,
            vault_validators: 1_000,
            days: None,
            inactivity_trigger: 100,
            offline_share: None,
            network_offline_share: None,
            offline_days: None,
            backlog_days: None,
            backlog_persists: true,
            slashed: None,
            network_slashed_share: None,
            redeem_share: None,
            requests: 100,
            max_exit_fee_gwei: 10_000_000, // 0.01 ETH
            exit_requests_per_block: TARGET_WITHDRAWAL_REQUESTS_PER_BLOCK,
            exit_resend_blocks: 50,
            min_redeem_gwei: 10_000_000, // 0.01 sETH
            wind_down_delay_days: MIN_WIND_DOWN_DELAY_DAYS as f64,
            proof_outage_days: None,
            pending_share: None,
            activation_days: None,
            exit_fee_floor_gwei: 0,
            spam_seth: None,
        }
    }
}

/// The smallest EIP-7002 excess at which the fee (`fake_exponential(1, excess, 17)` wei) is at
/// least `fee_gwei` Gwei (0 for no fee floor).
pub fn excess_for_fee(fee_gwei: u64) -> u64 {
    let wei = fee_gwei as u128 * 1_000_000_000;
    // The fee passes 2^64 Gwei well before an excess of 2,000 (e^(2000/17) wei).
    (0..2_000u64)
        .find(|&e| withdrawal_request_fee(e) >= wei)
        .unwrap_or(2_000)
}

fn share(name: &'static str, v: f64) -> Result<f64, SimError> {
    if !(0.0..=1.0).contains(&v) || v.is_nan() {
        return Err(invalid(name, format!("{v} is not a share between 0 and 1")));
    }
    Ok(v)
}

fn days_to_epochs(name: &'static str, days: f64, per_day: u64) -> Result<u64, SimError> {
    if !(0.0..=3650.0).contains(&days) || days.is_nan() {
        return Err(invalid(
            name,
            format!("{days} days is not between 0 and 3650"),
        ));
    }
    Ok((days * per_day as f64).round() as u64)
}

/// `share` of `n`, rounded to the nearest validator.
fn portion(n: u64, share: f64) -> u64 {
    ((n as f64) * share).round() as u64
}

impl Scenario {
    /// Built-in scenario `name` with the knobs given (see [`SCENARIOS`]).
    pub fn builtin(name: &str, k: &Knobs) -> Result<Self, SimError> {
        let config = ChainConfig::mainnet();
        let per_day = config.epochs_per_day();
        let default_days = match name {
            "baseline" => 365.0,
            "offline" | "offline-correlated" => 60.0,
            "leak" | "tee-break" | "bank-run" => 60.0,
            "backlog" | "wind-down" => 120.0,
            other => return Err(SimError::UnknownScenario(other.to_owned())),
        };
        let epochs = days_to_epochs("days", k.days.unwrap_or(default_days), per_day)?;
        if epochs == 0 {
            return Err(invalid("days", "a run needs at least one epoch"));
        }
        if k.requests == 0 {
            return Err(invalid("requests", "at least one request"));
        }
        let v = k.vault_validators;
        let n = k.network_validators;
        let offline_epochs = |default: f64| {
            days_to_epochs("offline-days", k.offline_days.unwrap_or(default), per_day)
        };
        let redeem = |default: f64| -> Result<Action, SimError> {
            Ok(Action::Redeem {
                share: share("redeem-share", k.redeem_share.unwrap_or(default))?,
                requests: k.requests,
            })
        };
        let mut backlog_days = k.backlog_days.unwrap_or(0.0);
        let mut events = Vec::new();
        match name {
            "baseline" => {}
            "offline" | "offline-correlated" => {
                let correlated = name == "offline-correlated";
                let mine = share(
                    "offline-share",
                    k.offline_share
                        .unwrap_or(if correlated { 0.5 } else { 0.1 }),
                )?;
                let theirs = share(
                    "network-offline-share",
                    k.network_offline_share
                        .unwrap_or(if correlated { 0.2 } else { 0.0 }),
                )?;
                let epochs = Some(offline_epochs(30.0)?);
                events.push(Event {
                    at: 1,
                    action: Action::Offline {
                        who: Who::Vault,
                        count: portion(v, mine),
                        epochs,
                    },
                });
                events.push(Event {
                    at: 1,
                    action: Action::Offline {
                        who: Who::Network,
                        count: portion(n, theirs),
                        epochs,
                    },
                });
            }
            "leak" => {
                backlog_days = k.backlog_days.unwrap_or(14.0);
                let mine = share("offline-share", k.offline_share.unwrap_or(1.0))?;
                let theirs = share(
                    "network-offline-share",
                    k.network_offline_share.unwrap_or(0.4),
                )?;
                let epochs = Some(offline_epochs(21.0)?);
                events.push(Event {
                    at: 1,
                    action: redeem(1.0)?,
                });
                events.push(Event {
                    at: 2,
                    action: Action::Offline {
                        who: Who::Vault,
                        count: portion(v, mine),
                        epochs,
                    },
                });
                events.push(Event {
                    at: 2,
                    action: Action::Offline {
                        who: Who::Network,
                        count: portion(n, theirs),
                        epochs,
                    },
                });
            }
            "backlog" => {
                backlog_days = k.backlog_days.unwrap_or(30.0);
                events.push(Event {
                    at: 1,
                    action: redeem(1.0)?,
                });
            }
            "tee-break" => {
                let slashed = k.slashed.unwrap_or(v);
                if slashed > v {
                    return Err(invalid(
                        "slashed",
                        format!("{slashed} is more than C's {v} validators"),
                    ));
                }
                let theirs = share(
                    "network-slashed-share",
                    k.network_slashed_share.unwrap_or(0.005),
                )?;
                events.push(Event {
                    at: 1,
                    action: Action::Slash {
                        who: Who::Vault,
                        count: slashed,
                    },
                });
                events.push(Event {
                    at: 1,
                    action: Action::Slash {
                        who: Who::Network,
                        count: portion(n, theirs),
                    },
                });
                events.push(Event {
                    at: 2,
                    action: redeem(1.0)?,
                });
            }
            "bank-run" => {
                if let Some(spam) = k.spam_seth {
                    let minted = v as f64 * 31.0;
                    if !(0.0..=minted).contains(&spam) || spam.is_nan() {
                        return Err(invalid(
                            "spam-seth",
                            format!("{spam} is not between 0 and the {minted} sETH minted"),
                        ));
                    }
                    let gwei = (spam * ETH as f64) as Gwei;
                    let requests = gwei / k.min_redeem_gwei.max(1);
                    if requests > 10_000_000 {
                        return Err(invalid(
                            "spam-seth",
                            format!("{requests} requests of MIN_REDEEM: at most 10,000,000"),
                        ));
                    }
                    if requests > 0 {
                        events.push(Event {
                            at: 1,
                            action: Action::Redeem {
                                share: spam / minted,
                                requests,
                            },
                        });
                    }
                }
                events.push(Event {
                    at: 1,
                    action: redeem(1.0)?,
                });
            }
            "wind-down" => {
                events.push(Event {
                    at: 1,
                    action: redeem(0.5)?,
                });
                events.push(Event {
                    at: 2,
                    action: Action::StopProofs,
                });
                // Once C is blind nothing ejects: an operator who stops loses only its share
                // of the owners' pool, which is pro rata to the last proven residual.
                let blind = share("offline-share", k.offline_share.unwrap_or(0.0))?;
                if blind > 0.0 {
                    events.push(Event {
                        at: 2,
                        action: Action::Offline {
                            who: Who::Vault,
                            count: portion(v, blind),
                            epochs: None,
                        },
                    });
                }
                if let Some(d) = k.proof_outage_days {
                    events.push(Event {
                        at: 2 + days_to_epochs("proof-outage-days", d, per_day)?,
                        action: Action::ResumeProofs,
                    });
                }
            }
            _ => unreachable!("checked above"),
        }
        if !(MIN_WIND_DOWN_DELAY_DAYS as f64..=3650.0).contains(&k.wind_down_delay_days) {
            return Err(invalid(
                "wind-down-delay-days",
                format!(
                    "{} days is not between MIN_WIND_DOWN_DELAY ({MIN_WIND_DOWN_DELAY_DAYS} days) and 3650",
                    k.wind_down_delay_days
                ),
            ));
        }
        let vault = VaultParams {
            wind_down_delay_epochs: days_to_epochs(
                "wind-down-delay-days",
                k.wind_down_delay_days,
                per_day,
            )?,
            exit_resend_blocks: k.exit_resend_blocks,
            min_redeem: k.min_redeem_gwei,
            ..VaultParams::new(k.inactivity_trigger, per_day)
        };
        let pending = portion(v, share("pending-share", k.pending_share.unwrap_or(0.0))?);
        let s = Self {
            name: name.to_owned(),
            network_validators: n,
            vault_validators: v,
            vault_pending: pending,
            pending_activation_epochs: days_to_epochs(
                "activation-days",
                k.activation_days.unwrap_or(0.0),
                per_day,
            )?,
            epochs,
            vault,
            backlog_epochs: days_to_epochs("backlog-days", backlog_days, per_day)?,
            backlog_persists: k.backlog_persists,
            max_exit_fee_wei: k.max_exit_fee_gwei as u128 * 1_000_000_000,
            exit_requests_per_block: k.exit_requests_per_block,
            background_excess: excess_for_fee(k.exit_fee_floor_gwei),
            events,
            sample_every: (epochs / 1500).max(1),
            config,
        };
        s.validate()?;
        Ok(s)
    }

    /// Checks the setup: sizes within range, every event within the run and acting on no more
    /// validators than there are.
    pub fn validate(&self) -> Result<(), SimError> {
        if self.network_validators + self.vault_validators == 0 {
            return Err(invalid(
                "network-validators",
                "the network has no validator",
            ));
        }
        if self.network_validators > 100_000_000 || self.vault_validators > u32::MAX as u64 {
            return Err(invalid(
                "network-validators",
                "at most 100,000,000 network validators and 2^32 - 1 of C's",
            ));
        }
        if self.epochs > 3650 * self.config.epochs_per_day() {
            return Err(invalid("days", "at most 3650 days"));
        }
        if !(1..=MAX_WITHDRAWAL_REQUESTS_PER_BLOCK).contains(&self.exit_requests_per_block) {
            return Err(invalid(
                "exit-requests-per-block",
                format!("{} is not between 1 and 16", self.exit_requests_per_block),
            ));
        }
        if self.sample_every == 0 {
            return Err(invalid("sample-every", "must be at least 1"));
        }
        if self.vault_pending > self.vault_validators {
            return Err(invalid(
                "pending-share",
                format!(
                    "{} pending of {} validators",
                    self.vault_pending, self.vault_validators
                ),
            ));
        }
        // `VaultBase`'s constructor: `ExitResendBlocksZero`, `MinRedeemZero`.
        if self.vault.exit_resend_blocks == 0 {
            return Err(invalid("exit-resend-blocks", "must be at least 1"));
        }
        if self.vault.min_redeem == 0 {
            return Err(invalid("min-redeem", "must be at least 1 Gwei"));
        }
        for e in &self.events {
            if e.at >= self.epochs {
                return Err(invalid(
                    "events",
                    format!("an event at epoch {} is after the run", e.at),
                ));
            }
            match e.action {
                Action::Offline { who, count, .. } | Action::Slash { who, count } => {
                    let (have, name) = match who {
                        Who::Network => (self.network_validators, "network-validators"),
                        Who::Vault => (self.vault_validators, "vault-validators"),
                    };
                    if count > have {
                        return Err(invalid(
                            name,
                            format!("an event needs {count} of {have} validators"),
                        ));
                    }
                }
                Action::Redeem { share: s, requests } => {
                    share("redeem-share", s)?;
                    if requests == 0 {
                        return Err(invalid("requests", "at least one request"));
                    }
                }
                Action::StopProofs | Action::ResumeProofs => {}
            }
        }
        Ok(())
    }
}

/// One sample of a run.
#[derive(Clone, Debug, PartialEq)]
pub struct Sample {
    /// Epochs since the start.
    pub epoch: u64,
    /// C's books: `backing / outstanding` (1 when nothing is outstanding).
    pub backing_ratio: f64,
    /// What would actually come back: the buffer, ETH arrived without proof, and each live
    /// position's balance up to its debt, over the outstanding sETH.
    pub value_ratio: f64,
    /// sETH outstanding (Gwei).
    pub outstanding: Gwei,
    /// C's backing (Gwei).
    pub backing: Gwei,
    /// The buffer (Gwei).
    pub buffer: Gwei,
    /// Live debt (Gwei).
    pub live_debt: Gwei,
    /// The provisional shortfall (Gwei).
    pub shortfall: Gwei,
    /// sETH requested and not finalized (Gwei).
    pub open_requests: Gwei,
    /// ETH paid to redeemers so far (Gwei).
    pub paid_out: Gwei,
    /// Positions live (active or exiting).
    pub live_positions: u64,
    /// Positions proven exiting or asked to exit.
    pub exiting_positions: u64,
    /// The lowest balance among C's live validators not yet withdrawn (Gwei; 0 if none).
    pub min_balance: Gwei,
    /// The network is in an inactivity leak.
    pub leak: bool,
    /// Epochs since finality.
    pub finality_delay: u64,
    /// Total active balance (Gwei).
    pub active_balance: Gwei,
    /// In a wind-down: the share of the start's sETH booked so far.
    pub wind_down_paid: f64,
}

/// What a run measured.
#[derive(Clone, Debug)]
pub struct Outcome {
    /// The scenario's name.
    pub scenario: String,
    /// Epochs run.
    pub epochs: u64,
    /// Epochs per day of its chain.
    pub epochs_per_day: u64,
    /// The samples.
    pub samples: Vec<Sample>,
    /// The redemption requests, in queue order, with their outcome.
    pub requests: Vec<Request>,
    /// The lowest backing ratio on C's books, and when.
    pub worst_backing_ratio: (f64, u64),
    /// The lowest value ratio, and when.
    pub worst_value_ratio: (f64, u64),
    /// The largest `outstanding - backing` on C's books (Gwei).
    pub worst_shortfall: Gwei,
    /// The largest `outstanding - value` (Gwei).
    pub worst_value_shortfall: Gwei,
    /// The lowest balance of any of C's live validators (Gwei).
    pub min_balance: Gwei,
    /// Positions ejected.
    pub ejections: u64,
    /// Positions exited on demand.
    pub demand_exits: u64,
    /// Positions settled.
    pub settled: u64,
    /// Debt settlements left unpaid (the realised loss, Gwei).
    pub unpaid_debt: Gwei,
    /// EIP-7002 fees paid by C's callers (wei), and the highest single fee.
    pub exit_fees_wei: (u128, u128),
    /// Exit requests re-sent after `EXIT_RESEND_BLOCKS` (one per position each time).
    pub resends: u64,
    /// The first epoch (from the start) by whose end every one of C's validators had an exit
    /// epoch (or was withdrawn), if one was exited at all.
    pub all_exiting_at: Option<u64>,
    /// sETH holders could not redeem because their amount was below `MIN_REDEEM` (Gwei).
    pub refused: Gwei,
    /// The wind-down, if one happened.
    pub wind_down: Option<WindDown>,
    /// Validator-epochs represented (validators in the registry, summed over epochs).
    pub validator_epochs: u128,
    /// Cohort-epochs computed.
    pub cohort_epochs: u128,
}

impl Outcome {
    /// The requests finalized below par: (queue position from 1, rate).
    pub fn below_par(&self) -> Vec<(usize, f64)> {
        self.requests
            .iter()
            .enumerate()
            .filter_map(|(i, r)| match r.finalized {
                Some((_, rate, _)) if rate < RATE_UNIT => {
                    Some((i + 1, rate as f64 / RATE_UNIT as f64))
                }
                _ => None,
            })
            .collect()
    }

    /// Epochs from request to finalization of the request finalized last, and how many were
    /// never finalized.
    pub fn time_to_redeem(&self) -> (Option<u64>, usize) {
        let mut longest = None;
        let mut open = 0;
        for r in &self.requests {
            match r.finalized {
                Some((at, _, _)) => longest = longest.max(Some(at - r.epoch)),
                None => open += 1,
            }
        }
        (longest, open)
    }

    /// Writes the samples as CSV.
    pub fn write_samples_csv(&self, mut w: impl Write) -> Result<(), SimError> {
        let err = |source| SimError::Write {
            what: "samples",
            source,
        };
        writeln!(
            w,
            "epoch,day,backing_ratio,value_ratio,outstanding_eth,backing_eth,buffer_eth,live_debt_eth,\
             shortfall_eth,open_requests_eth,paid_out_eth,live_positions,exiting_positions,\
             min_balance_eth,leak,finality_delay,active_balance_eth,wind_down_paid"
        )
        .map_err(err)?;
        let eth = |g: Gwei| g as f64 / ETH as f64;
        for s in &self.samples {
            writeln!(
                w,
                "{},{:.4},{:.9},{:.9},{:.9},{:.9},{:.9},{:.9},{:.9},{:.9},{:.9},{},{},{:.9},{},{},{:.0},{:.9}",
                s.epoch,
                s.epoch as f64 / self.epochs_per_day as f64,
                s.backing_ratio,
                s.value_ratio,
                eth(s.outstanding),
                eth(s.backing),
                eth(s.buffer),
                eth(s.live_debt),
                eth(s.shortfall),
                eth(s.open_requests),
                eth(s.paid_out),
                s.live_positions,
                s.exiting_positions,
                eth(s.min_balance),
                s.leak as u8,
                s.finality_delay,
                eth(s.active_balance),
                s.wind_down_paid,
            )
            .map_err(err)?;
        }
        Ok(())
    }

    /// Writes the requests as CSV: queue position, amount, when requested, when finalized, at
    /// which rate, what was paid.
    pub fn write_requests_csv(&self, mut w: impl Write) -> Result<(), SimError> {
        let err = |source| SimError::Write {
            what: "requests",
            source,
        };
        writeln!(
            w,
            "position,amount_seth,requested_epoch,finalized_epoch,days_to_redeem,rate,paid_eth,wind_down_paid_eth"
        )
        .map_err(err)?;
        let eth = |g: Gwei| g as f64 / ETH as f64;
        for (i, r) in self.requests.iter().enumerate() {
            let (fin, days, rate, paid) = match r.finalized {
                Some((at, rate, paid)) => (
                    at.to_string(),
                    format!("{:.3}", (at - r.epoch) as f64 / self.epochs_per_day as f64),
                    format!("{:.9}", rate as f64 / RATE_UNIT as f64),
                    format!("{:.9}", eth(paid)),
                ),
                None => Default::default(),
            };
            writeln!(
                w,
                "{},{:.9},{},{fin},{days},{rate},{paid},{:.9}",
                i + 1,
                eth(r.amount),
                r.epoch,
                eth(r.wind_down_paid)
            )
            .map_err(err)?;
        }
        Ok(())
    }
}

/// The epoch the model's chain starts at: late enough that every validator has been active for
/// `SHARD_COMMITTEE_PERIOD`.
pub const START_EPOCH: Epoch = 100_000;

/// Runs `s` and returns what it measured.
pub fn run(s: &Scenario) -> Result<Outcome, SimError> {
    s.validate()?;
    let mut network = Cohort::active(s.network_validators, MIN_ACTIVATION_BALANCE, false);
    network.sweep_index = 0;
    let mut cohorts = Vec::new();
    if s.network_validators > 0 {
        cohorts.push(network);
    }
    // C's validators sit evenly across the registry, the first a third of the way round; the
    // newest positions may still wait for their activation.
    let active = s.vault_validators - s.vault_pending;
    for (first, count, activation) in [
        (1, active, 0),
        (
            active + 1,
            s.vault_pending,
            START_EPOCH + s.pending_activation_epochs,
        ),
    ] {
        if count == 0 {
            continue;
        }
        let mut c = Cohort::active(count, MIN_ACTIVATION_BALANCE, true);
        c.positions = Some(Positions::joined(first, MIN_ACTIVATION_BALANCE));
        c.activation_epoch = activation;
        c.sweep_index = (s.network_validators + s.vault_validators) / 3;
        cohorts.push(c);
    }
    let mut net = Network::new(s.config.clone(), START_EPOCH, cohorts);
    net.vault_stride = net.registry_size / s.vault_validators.max(1);
    net.set_exit_backlog(s.backlog_epochs, s.backlog_persists);
    net.requests.max_fee_wei = s.max_exit_fee_wei;
    net.requests.per_block = s.exit_requests_per_block;
    net.requests.background_excess = s.background_excess;
    net.requests.excess = s.background_excess;
    let mut vault = Vault::new(s.vault.clone(), s.vault_validators, START_EPOCH);

    let mut out = Outcome {
        scenario: s.name.clone(),
        epochs: s.epochs,
        epochs_per_day: s.config.epochs_per_day(),
        samples: Vec::new(),
        requests: Vec::new(),
        worst_backing_ratio: (f64::INFINITY, 0),
        worst_value_ratio: (f64::INFINITY, 0),
        worst_shortfall: 0,
        worst_value_shortfall: 0,
        min_balance: u64::MAX,
        ejections: 0,
        demand_exits: 0,
        settled: 0,
        unpaid_debt: 0,
        exit_fees_wei: (0, 0),
        resends: 0,
        all_exiting_at: None,
        refused: 0,
        wind_down: None,
        validator_epochs: 0,
        cohort_epochs: 0,
    };
    let mut restore: Vec<(u64, u32)> = Vec::new();
    for step in 0..s.epochs {
        for (i, e) in s.events.iter().enumerate().filter(|(_, e)| e.at == step) {
            apply(
                &mut net,
                &mut vault,
                &e.action,
                i as u32 + 1,
                step,
                &mut restore,
            );
        }
        restore.retain(|&(until, tag)| {
            if until > step {
                return true;
            }
            for c in net.cohorts.iter_mut().filter(|c| c.tag == tag) {
                c.online = true;
            }
            false
        });
        let payments = net.process_blocks();
        vault.on_payments(&mut net, &payments);
        out.cohort_epochs += net.cohorts.len() as u128;
        net.process_epoch();
        vault.keeper(&mut net);
        let sample = sample(&net, &vault, step);
        if sample.min_balance > 0 {
            out.min_balance = out.min_balance.min(sample.min_balance);
        }
        if sample.backing_ratio < out.worst_backing_ratio.0 {
            out.worst_backing_ratio = (sample.backing_ratio, step);
        }
        if sample.value_ratio < out.worst_value_ratio.0 {
            out.worst_value_ratio = (sample.value_ratio, step);
        }
        out.worst_shortfall = out
            .worst_shortfall
            .max(sample.outstanding.saturating_sub(sample.backing));
        let value = vault.value_now(&net);
        out.worst_value_shortfall = out
            .worst_value_shortfall
            .max(sample.outstanding.saturating_sub(value));
        if step % s.sample_every == 0 || step + 1 == s.epochs {
            out.samples.push(sample);
        }
        if out.all_exiting_at.is_none() && net.requests.sent > 0 {
            let all = net
                .cohorts
                .iter()
                .all(|c| c.positions.is_none() || c.withdrawn || c.exit_epoch != FAR_FUTURE_EPOCH);
            if all {
                out.all_exiting_at = Some(step);
            }
        }
    }
    out.requests = vault.requests.clone();
    out.ejections = vault.ejections;
    out.demand_exits = vault.demand_exits;
    out.settled = vault.settled;
    out.unpaid_debt = vault.unpaid_total;
    out.exit_fees_wei = (net.requests.fees_paid_wei, net.requests.max_fee_paid_wei);
    out.resends = vault.resends;
    out.refused = vault.refused;
    out.wind_down = vault.wind_down.clone();
    out.validator_epochs = net.validator_epochs;
    Ok(out)
}

/// Applies one event; offline validators coming back are noted in `restore` by tag.
fn apply(
    net: &mut Network,
    vault: &mut Vault,
    action: &Action,
    tag: u32,
    step: u64,
    restore: &mut Vec<(u64, u32)>,
) {
    let now = net.epoch;
    match *action {
        Action::Offline { who, count, epochs } => {
            let parts = take(net, vault, who, count, tag, |c| {
                c.online && !c.slashed && c.is_active(now)
            });
            for i in parts {
                net.cohorts[i].online = false;
            }
            if let Some(e) = epochs {
                restore.push((step + e, tag));
            }
        }
        Action::Slash { who, count } => {
            let parts = take(net, vault, who, count, tag, |c| {
                !c.slashed && c.is_active(now)
            });
            for i in parts {
                net.slash(i);
            }
        }
        Action::Redeem { share, requests } => {
            let amount = (vault.unrequested() as f64 * share) as Gwei;
            vault.request_redeem(amount, requests, now);
        }
        Action::StopProofs => vault.stop_proofs(),
        Action::ResumeProofs => vault.resume_proofs(net),
    }
}

/// Splits off `count` validators of `who` that satisfy `fit` into cohorts tagged `tag` and
/// returns them: the network's from its largest cohorts, C's from the highest positions down.
fn take(
    net: &mut Network,
    _vault: &Vault,
    who: Who,
    count: u64,
    tag: u32,
    fit: impl Fn(&Cohort) -> bool,
) -> Vec<usize> {
    let mut left = count;
    let mut out = Vec::new();
    match who {
        Who::Network => {
            while left > 0 {
                let best = net
                    .cohorts
                    .iter()
                    .enumerate()
                    .filter(|(_, c)| c.positions.is_none() && c.tag == 0 && fit(c))
                    .max_by_key(|(_, c)| c.count)
                    .map(|(i, _)| i);
                let Some(i) = best else { break };
                let n = left.min(net.cohorts[i].count);
                if let Some(j) = net.split_network(i, n, tag) {
                    out.push(j);
                }
                left -= n;
            }
        }
        Who::Vault => {
            let mut order: Vec<(u64, usize)> = net
                .cohorts
                .iter()
                .enumerate()
                .filter(|(_, c)| c.positions.is_some() && fit(c))
                .map(|(i, c)| (c.positions.as_ref().map_or(0, |p| p.first), i))
                .collect();
            order.sort_unstable_by(|a, b| b.cmp(a));
            for (first, i) in order {
                if left == 0 {
                    break;
                }
                let n = left.min(net.cohorts[i].count);
                let start = first + net.cohorts[i].count - n;
                for j in net.isolate_positions(start, n) {
                    net.cohorts[j].tag = tag;
                    out.push(j);
                }
                left -= n;
            }
        }
    }
    out
}

fn sample(net: &Network, vault: &Vault, step: u64) -> Sample {
    let outstanding = vault.outstanding();
    let backing = vault.backing();
    let value = vault.value_now(net);
    let ratio = |v: Gwei| {
        if outstanding == 0 {
            1.0
        } else {
            v as f64 / outstanding as f64
        }
    };
    let mut live = 0;
    let mut exiting = 0;
    let mut min_balance = u64::MAX;
    for c in &net.cohorts {
        if let Some(p) = &c.positions {
            if matches!(p.status, PositionStatus::Active | PositionStatus::Exiting) {
                live += c.count;
                if !c.withdrawn {
                    // (A withdrawn one not yet settled: its balance is on its way to C.)
                    min_balance = min_balance.min(c.balance);
                }
                if p.status == PositionStatus::Exiting || p.exit_requested {
                    exiting += c.count;
                }
            }
        }
    }
    if min_balance == u64::MAX {
        min_balance = 0; // none on the beacon chain
    }
    let totals = net.totals();
    Sample {
        epoch: step,
        backing_ratio: ratio(backing),
        value_ratio: ratio(value),
        outstanding,
        backing,
        buffer: vault.buffer,
        live_debt: vault.total_live_debt,
        shortfall: vault.provisional_shortfall,
        open_requests: vault.requested_total - vault.finalized_cumulative(),
        paid_out: vault.paid_out,
        live_positions: live,
        exiting_positions: exiting,
        min_balance,
        leak: totals.leak,
        finality_delay: totals.finality_delay,
        active_balance: totals.active_balance,
        wind_down_paid: vault
            .wind_down
            .as_ref()
            .filter(|w| w.seth > 0)
            .map_or(0.0, |w| w.booked as f64 / w.seth as f64),
    }
}
