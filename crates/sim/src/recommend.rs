//! Break-even points and a parameter recommendation (issue 19, item 3), found by running the
//! model, not by formula: bisections for where C's protections stop protecting, and grids over
//! each of C's deployment parameters, every value run through the same scenario battery at
//! stated stress levels, with what the parameter specifically trades off beside it.
//!
//! - **Slashing break-even**: the share of all stake slashed in one window at which C's slashed
//!   validators first settle below their debt (lose more than their 1 ETH of collateral, and the
//!   holders the rest). `MAX_VALIDATORS` follows: C's own validators, all slashed at once after a
//!   TEE break, plus the stated background of other slashings, must stay below it.
//! - **Leak break-even**: with C's validators offline in an inactivity leak and ejected by the
//!   trigger, the shortest leak that makes them settle short, for each exit-queue backlog: the
//!   ejection protects only while the queue lets them out before the quadratic penalty eats the
//!   collateral.
//! - **Grids** (in this order, each with the values chosen before it): `INACTIVITY_TRIGGER`
//!   (ranked by scenarios survived, then debt unpaid, then the higher trigger);
//!   `EXIT_RESEND_BLOCKS` (the wind-down's requests for validators not yet eligible are ignored
//!   by the consensus layer and only a re-send gets them out: time to exit against the fees of
//!   re-sending under a fee spike); `MIN_REDEEM` (the smallest holder who can redeem against the
//!   queue positions a griefer makes per ETH and the gas a request costs); `WIND_DOWN_DELAY` (a
//!   proof outage it must ride out against how long holders of a dead C wait, and what
//!   operators who stop once C is blind cost them). C's constants `MINT`, `EJECT_BELOW` and
//!   `EJECT_REWARD` get a sensitivity check.
//! - **Attacker economics**: what holders lose when an attacker slashes N of C's validators.

use crate::scenario::{run, Action, Event, Knobs, Outcome, Scenario, SimError, Who, START_EPOCH};
use crate::spec::{withdrawal_request_fee, Gwei, ETH};
use crate::vault::{VaultParams, WIND_DOWN_NOTICE_DAYS};

/// Gas of `requestRedeem` after the vault's first (tx gas), as `lsv bench gas` measures it
/// (`crates/contracts/src/vault_gas.rs`; crates/contracts/README.md, "Vault accounting and gas").
pub const REQUEST_REDEEM_GAS: u64 = 67_756;
/// Gas of `claim` (tx gas), measured as [`REQUEST_REDEEM_GAS`].
pub const CLAIM_GAS: u64 = 49_784;
/// Gas of a rewarded `eject` at the exact EIP-7002 fee (tx gas), measured as
/// [`REQUEST_REDEEM_GAS`].
pub const EJECT_GAS: u64 = 202_042;
/// Seconds in a day.
const DAY: u64 = 86_400;

/// The stress the recommendation must survive, and the network it is judged on.
#[derive(Clone, Debug, PartialEq)]
pub struct Stress {
    /// Validators of the rest of the network.
    pub network_validators: u64,
    /// Share of all stake slashed by others in the same window as a TEE break.
    pub background_slashed_share: f64,
    /// The exit-queue backlog (days) the scenarios run with.
    pub backlog_days: f64,
    /// The leak (days) with C's validators offline that the parameters must survive.
    pub leak_days: f64,
    /// Share of the network offline in that leak (above a third).
    pub leak_share: f64,
    /// The inactivity triggers to try.
    pub triggers: Vec<u64>,
    /// The `EXIT_RESEND_BLOCKS` values to try.
    pub resend_blocks: Vec<u64>,
    /// The lasting EIP-7002 fee spike (Gwei per request) re-sends pay in the wind-down.
    pub exit_fee_spike_gwei: u64,
    /// Share of C's validators that joined while pending activation and activate only after
    /// the wind-down has started.
    pub pending_share: f64,
    /// Days after the wind-down's start at which they activate.
    pub pending_days: f64,
    /// The most a keeper who re-sends as often as C allows may pay in re-sends per pending
    /// validator at the spike (Gwei).
    pub resend_budget_gwei: u64,
    /// The `MIN_REDEEM` values to try (Gwei of sETH).
    pub min_redeems: Vec<u64>,
    /// Gas price (Gwei) for the queue's gas figures.
    pub gas_price_gwei: f64,
    /// The largest share of the smallest request its own gas (`requestRedeem` + `claim`) may
    /// take at that price.
    pub max_gas_share: f64,
    /// sETH a griefer splits into requests of `MIN_REDEEM` ahead of the bank run.
    pub spam_seth: f64,
    /// The `WIND_DOWN_DELAY` values to try (days, each at least 30).
    pub wind_down_delays: Vec<f64>,
    /// A proof outage (days) C must ride out without winding down.
    pub proof_outage_days: f64,
    /// Share of C's operators that stop validating once C is blind (nothing ejects them).
    pub blind_offline_share: f64,
}

impl Default for Stress {
    fn default() -> Self {
        Self {
            network_validators: 1_000_000,
            background_slashed_share: 0.001,
            backlog_days: 7.0,
            leak_days: 7.0,
            leak_share: 0.4,
            triggers: vec![25, 50, 100, 200, 400, 700, 1000],
            resend_blocks: vec![32, 1_800, 7_200, 50_400],
            exit_fee_spike_gwei: 1_000_000, // 0.001 ETH a request
            pending_share: 0.1,
            pending_days: 10.0,
            resend_budget_gwei: 20_000_000, // 0.02 ETH
            min_redeems: vec![1_000_000, 10_000_000, 20_000_000, 100_000_000, ETH],
            gas_price_gwei: 10.0,
            max_gas_share: 0.1,
            spam_seth: 100.0,
            wind_down_delays: vec![30.0, 90.0, 365.0],
            proof_outage_days: 30.0,
            blind_offline_share: 1.0,
        }
    }
}

/// One scenario's result for one parameter set.
#[derive(Clone, Debug, PartialEq)]
pub struct Verdict {
    /// The scenario.
    pub scenario: String,
    /// The lowest value ratio (what would come back over sETH outstanding).
    pub worst_value_ratio: f64,
    /// Debt left unpaid at settlement (Gwei).
    pub unpaid: Gwei,
    /// What else went wrong, if anything (a wind-down that should not have started, holders
    /// of a wound-down C not paid par by the end).
    pub failure: Option<&'static str>,
}

impl Verdict {
    /// Backing held: nothing unpaid, the value never below par, nothing else went wrong.
    pub fn survived(&self) -> bool {
        self.unpaid == 0 && self.worst_value_ratio >= 1.0 && self.failure.is_none()
    }
}

/// A parameter set and how it fared.
#[derive(Clone, Debug, PartialEq)]
pub struct Candidate {
    /// `INACTIVITY_TRIGGER`.
    pub inactivity_trigger: u64,
    /// `MAX_VALIDATORS`.
    pub max_validators: u64,
    /// The whole set.
    pub parameters: DeployDefaults,
    /// Each scenario's verdict.
    pub verdicts: Vec<Verdict>,
    /// What the battery measured of the parameter's own trade-off.
    pub trade_off: TradeOff,
}

impl Candidate {
    /// How many scenarios it survived.
    pub fn survived(&self) -> usize {
        self.verdicts.iter().filter(|v| v.survived()).count()
    }

    /// The total debt left unpaid across the scenarios (Gwei).
    pub fn unpaid(&self) -> Gwei {
        self.verdicts.iter().map(|v| v.unpaid).sum()
    }

    /// The scenarios it did not survive.
    pub fn failed(&self) -> Vec<&str> {
        self.verdicts
            .iter()
            .filter(|v| !v.survived())
            .map(|v| v.scenario.as_str())
            .collect()
    }
}

/// What one battery measured beyond survival: each parameter's own trade-off.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct TradeOff {
    /// `leak-ejection`: the lowest value ratio (the trigger's figure).
    pub leak_ejection_value: f64,
    /// `offline-correlated`: positions ejected.
    pub ejections: u64,
    /// `wind-down-pending`: hours from the pending validators' eligibility (activation +
    /// `SHARD_COMMITTEE_PERIOD`) until every one of C's validators had an exit epoch.
    pub exit_delay_hours: Option<f64>,
    /// `wind-down-pending`: re-sends per pending validator.
    pub resends_per_validator: f64,
    /// `wind-down-pending`: their fees per pending validator at the spike (Gwei).
    pub resend_fees_gwei: f64,
    /// `bank-run`: the griefer's requests ahead of the holders.
    pub spam_requests: usize,
    /// `bank-run`: days the last honest holder waited.
    pub last_holder_days: Option<f64>,
    /// `wind-down`: days from the proofs' stop until the sETH of the start was booked at par.
    pub dead_days_to_par: Option<f64>,
    /// `wind-down`: share of the start's sETH booked by the end.
    pub dead_paid: f64,
}

/// C's parameters `lsv deploy` defaults to: what `lsv sim recommend` prints at its defaults
/// ([`Stress::default`]: 1,000,000 validators, 0.1 % of stake slashed by others in a TEE
/// break's window, a 7-day exit-queue backlog and a 7-day leak with 40 % of the network offline,
/// a 0.001-ETH EIP-7002 fee spike during the wind-down with 10 % of C pending activation, 10
/// gwei gas, a 0.02-ETH re-send budget, a 30-day proof outage, every operator stopping once C
/// is blind).
/// `tests/deploy_defaults.rs` reproduces them: `MAX_VALIDATORS` from the slashing break-even on
/// every test run, all five from [`recommend`] itself in an ignored test (`cargo test --release
/// -p lsv-sim --test deploy_defaults -- --ignored`). Rerun it, and update these, when the model
/// or the stress changes.
pub const DEPLOY_DEFAULTS: DeployDefaults = DeployDefaults {
    max_validators: 8_582,
    inactivity_trigger: 1_000,
    exit_resend_blocks: 7_200,
    min_redeem_gwei: 20_000_000,
    wind_down_delay_seconds: 30 * DAY,
};

/// The parameters of C that [`recommend`] chooses (all five deploy-time parameters).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DeployDefaults {
    /// `MAX_VALIDATORS`: C's validators all slashed at once, with the stated background, stay
    /// below the slashing break-even (less a 1 % margin).
    pub max_validators: u64,
    /// `INACTIVITY_TRIGGER`: the best-ranked of the candidates tried.
    pub inactivity_trigger: u64,
    /// `EXIT_RESEND_BLOCKS`: the shortest tried whose re-sends stay within the fee budget.
    pub exit_resend_blocks: u64,
    /// `MIN_REDEEM`, in **Gwei** of sETH (C takes wei: times 10^9): the smallest tried whose
    /// request's own gas stays within the stated share.
    pub min_redeem_gwei: u64,
    /// `WIND_DOWN_DELAY`, in seconds: the shortest tried that rides out the stated outage.
    pub wind_down_delay_seconds: u64,
}

impl DeployDefaults {
    /// `WIND_DOWN_DELAY` in days.
    pub fn wind_down_delay_days(&self) -> f64 {
        self.wind_down_delay_seconds as f64 / DAY as f64
    }
}

/// One grid: a parameter's candidates, the chosen one first, and why it was chosen.
#[derive(Clone, Debug, PartialEq)]
pub struct Grid {
    /// The parameter's name as C spells it.
    pub parameter: &'static str,
    /// The candidates, in the order tried.
    pub candidates: Vec<Candidate>,
    /// The index of the chosen one.
    pub chosen: usize,
    /// The rule that chose it.
    pub rule: String,
}

impl Grid {
    /// The chosen candidate.
    pub fn best(&self) -> &Candidate {
        &self.candidates[self.chosen]
    }
}

/// A sensitivity row for one of C's constants: its value and what it moved.
#[derive(Clone, Debug, PartialEq)]
pub struct Sensitivity {
    /// `MINT`, `EJECT_BELOW` or `EJECT_REWARD`.
    pub constant: &'static str,
    /// The value (Gwei).
    pub value: Gwei,
    /// C as built.
    pub as_built: bool,
    /// What it moved, as text.
    pub figure: String,
}

/// What `recommend` found.
#[derive(Clone, Debug, PartialEq)]
pub struct Recommendation {
    /// The stress it was judged at.
    pub stress: Stress,
    /// Share of all stake slashed in one window at which C's slashed validators first settle
    /// below their debt.
    pub slashing_break_even: f64,
    /// For each backlog (days): the shortest leak (days) with C's validators offline after
    /// which they settle short despite the ejection (`None`: none up to 60 days).
    pub leak_break_even: Vec<(f64, Option<f64>)>,
    /// The `INACTIVITY_TRIGGER` grid's candidates, the recommended one first.
    pub candidates: Vec<Candidate>,
    /// The grids, in the order run (`INACTIVITY_TRIGGER`, `EXIT_RESEND_BLOCKS`, `MIN_REDEEM`,
    /// `WIND_DOWN_DELAY`).
    pub grids: Vec<Grid>,
    /// The sensitivity of C's constants.
    pub sensitivity: Vec<Sensitivity>,
    /// Holders' loss (Gwei) when an attacker slashes N of C's validators: (N, loss).
    pub attacker: Vec<(u64, Gwei)>,
}

fn knobs(stress: &Stress, vault_validators: u64, trigger: u64) -> Knobs {
    Knobs {
        network_validators: stress.network_validators,
        vault_validators,
        inactivity_trigger: trigger,
        ..Knobs::default()
    }
}

/// The knobs of a whole parameter set.
fn set_knobs(stress: &Stress, p: &DeployDefaults) -> Knobs {
    Knobs {
        exit_resend_blocks: p.exit_resend_blocks,
        min_redeem_gwei: p.min_redeem_gwei,
        wind_down_delay_days: p.wind_down_delay_days(),
        ..knobs(stress, p.max_validators, p.inactivity_trigger)
    }
}

/// Whether a run left debt unpaid.
fn short(o: &Outcome) -> bool {
    o.unpaid_debt > 0
}

/// Bisects `[lo, hi]` for the smallest `x` at which `fails(x)`, to within `tolerance`; `None` if
/// it does not fail at `hi`.
fn bisect(
    mut lo: f64,
    mut hi: f64,
    tolerance: f64,
    mut fails: impl FnMut(f64) -> Result<bool, SimError>,
) -> Result<Option<f64>, SimError> {
    if !fails(hi)? {
        return Ok(None);
    }
    while hi - lo > tolerance {
        let mid = (lo + hi) / 2.0;
        if fails(mid)? {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    Ok(Some(hi))
}

/// C's constants (`VaultBase`), which the sensitivity check varies: `MINT`, `EJECT_BELOW_GWEI`,
/// `EJECT_REWARD`, in Gwei.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Constants {
    /// `MINT`.
    pub mint: Gwei,
    /// `EJECT_BELOW_GWEI`.
    pub eject_below: Gwei,
    /// `EJECT_REWARD`.
    pub eject_reward: Gwei,
}

impl Constants {
    /// C as built: 31, 31.99, 0.1.
    pub fn as_built() -> Self {
        let v = VaultParams::new(0, 1);
        Self {
            mint: v.mint,
            eject_below: v.eject_below,
            eject_reward: v.eject_reward,
        }
    }

    fn apply(&self, mut s: Scenario) -> Scenario {
        s.vault.mint = self.mint;
        s.vault.eject_below = self.eject_below;
        s.vault.eject_reward = self.eject_reward;
        s
    }
}

/// The share of all stake slashed in one window at which C's slashed validators first settle
/// short: 100 of C's validators slashed with a growing share of the network.
pub fn slashing_break_even(stress: &Stress) -> Result<f64, SimError> {
    slashing_break_even_with(stress, &Constants::as_built())
}

/// [`slashing_break_even`] with C's constants `c`.
pub fn slashing_break_even_with(stress: &Stress, c: &Constants) -> Result<f64, SimError> {
    let k = 100;
    let total = (stress.network_validators + k) as f64;
    let found = bisect(0.0, 0.05, 0.000_05, |share| {
        let knobs = Knobs {
            network_slashed_share: Some(share),
            redeem_share: Some(0.0),
            ..knobs(stress, k, 100)
        };
        Ok(short(&run(
            &c.apply(Scenario::builtin("tee-break", &knobs)?)
        )?))
    })?;
    let share = found.ok_or_else(|| SimError::InvalidParameter {
        name: "network-validators",
        reason: "no slashing up to 5% of the network leaves C short".into(),
    })?;
    let network_slashed = (stress.network_validators as f64 * share).round();
    Ok((network_slashed + k as f64) / total)
}

/// A leak of `leak_days` with every one of C's validators offline and `share` of the network,
/// the exit queue backlogged by `backlog_days` (kept full), and no redemptions: C's ejection is
/// all that protects the holders.
pub fn leak_with_ejection(
    stress: &Stress,
    vault_validators: u64,
    trigger: u64,
    leak_days: f64,
    backlog_days: f64,
) -> Result<Scenario, SimError> {
    leak_with_ejection_from(
        stress,
        &knobs(stress, vault_validators, trigger),
        leak_days,
        backlog_days,
    )
}

fn leak_with_ejection_from(
    stress: &Stress,
    k: &Knobs,
    leak_days: f64,
    backlog_days: f64,
) -> Result<Scenario, SimError> {
    let base = Knobs {
        days: Some(leak_days + backlog_days + 30.0),
        backlog_days: Some(backlog_days),
        ..k.clone()
    };
    let mut s = Scenario::builtin("baseline", &base)?;
    s.name = "leak-ejection".into();
    let per_day = s.config.epochs_per_day() as f64;
    let epochs = Some((leak_days * per_day).round() as u64);
    let network = (stress.network_validators as f64 * stress.leak_share).round() as u64;
    s.events = vec![
        Event {
            at: 1,
            action: Action::Offline {
                who: Who::Vault,
                count: k.vault_validators,
                epochs,
            },
        },
        Event {
            at: 1,
            action: Action::Offline {
                who: Who::Network,
                count: network,
                epochs,
            },
        },
    ];
    s.validate()?;
    Ok(s)
}

/// For `backlog_days`: the shortest leak (days, to a tenth) after which C's offline validators,
/// ejected by `trigger`, settle short; `None` if none up to 60 days does.
pub fn leak_break_even(
    stress: &Stress,
    trigger: u64,
    backlog_days: f64,
) -> Result<Option<f64>, SimError> {
    leak_break_even_with(stress, trigger, backlog_days, &Constants::as_built())
}

/// [`leak_break_even`] with C's constants `c`.
pub fn leak_break_even_with(
    stress: &Stress,
    trigger: u64,
    backlog_days: f64,
    c: &Constants,
) -> Result<Option<f64>, SimError> {
    bisect(0.0, 60.0, 0.1, |days| {
        let s = leak_with_ejection(stress, 100, trigger, days, backlog_days)?;
        Ok(short(&run(&c.apply(s))?))
    })
}

/// The wind-down's start, in epochs from a run's start, for proofs stopped at epoch 2: notice
/// once more than `WIND_DOWN_DELAY` has passed, the start `WIND_DOWN_NOTICE` later
/// (`Vault::wind_down_step`).
fn wind_down_start(s: &Scenario) -> u64 {
    2 + s.vault.wind_down_delay_epochs + 1 + s.vault.wind_down_notice_epochs
}

/// The scenarios a parameter set must survive at `stress` (see [`Recommendation::report`]).
fn battery_scenarios(stress: &Stress, p: &DeployDefaults) -> Result<Vec<Scenario>, SimError> {
    let k = set_knobs(stress, p);
    let backlog = Some(stress.backlog_days);
    let mut runs: Vec<Scenario> = Vec::new();
    for name in ["baseline", "offline", "offline-correlated"] {
        runs.push(Scenario::builtin(name, &k)?);
    }
    runs.push(Scenario::builtin(
        "bank-run",
        &Knobs {
            spam_seth: Some(stress.spam_seth),
            ..k.clone()
        },
    )?);
    runs.push(Scenario::builtin(
        "backlog",
        &Knobs {
            backlog_days: backlog,
            ..k.clone()
        },
    )?);
    runs.push(Scenario::builtin(
        "tee-break",
        &Knobs {
            network_slashed_share: Some(stress.background_slashed_share),
            ..k.clone()
        },
    )?);
    runs.push(Scenario::builtin(
        "leak",
        &Knobs {
            backlog_days: backlog,
            offline_days: Some(stress.leak_days),
            network_offline_share: Some(stress.leak_share),
            ..k.clone()
        },
    )?);
    runs.push(leak_with_ejection_from(
        stress,
        &k,
        stress.leak_days,
        stress.backlog_days,
    )?);
    let delay = p.wind_down_delay_days() + WIND_DOWN_NOTICE_DAYS as f64;
    // A dead C: proofs never come back, and the operators stop once nothing can eject them.
    runs.push(Scenario::builtin(
        "wind-down",
        &Knobs {
            days: Some(delay + 30.0),
            offline_share: Some(stress.blind_offline_share),
            ..k.clone()
        },
    )?);
    // An outage C must ride out.
    let mut outage = Scenario::builtin(
        "wind-down",
        &Knobs {
            // Once proofs are back no wind-down can start.
            days: Some(stress.proof_outage_days + 2.0),
            proof_outage_days: Some(stress.proof_outage_days),
            ..k.clone()
        },
    )?;
    outage.name = "proof-outage".into();
    runs.push(outage);
    // A dead C with validators that activate only after the wind-down started: the
    // consensus layer ignores their first requests; re-sends pay the fee spike.
    let mut pending = Scenario::builtin(
        "wind-down",
        &Knobs {
            days: Some(delay + stress.pending_days + 30.0),
            pending_share: Some(stress.pending_share),
            exit_fee_floor_gwei: stress.exit_fee_spike_gwei,
            max_exit_fee_gwei: k.max_exit_fee_gwei.max(stress.exit_fee_spike_gwei),
            ..k.clone()
        },
    )?;
    pending.name = "wind-down-pending".into();
    pending.pending_activation_epochs = wind_down_start(&pending)
        + (stress.pending_days * pending.config.epochs_per_day() as f64).round() as u64;
    pending.validate()?;
    runs.push(pending);
    Ok(runs)
}

/// `f(0..n)` on every core (each call independent), results in order.
fn parallel<T: Send>(n: usize, f: impl Fn(usize) -> T + Sync + Send) -> Vec<T> {
    use rayon::prelude::*;
    (0..n).into_par_iter().map(f).collect()
}

/// Runs `scenarios` on every core, results in order.
fn run_all(scenarios: &[Scenario]) -> Result<Vec<Outcome>, SimError> {
    parallel(scenarios.len(), |i| run(&scenarios[i]))
        .into_iter()
        .collect()
}

/// The verdicts and trade-off figures of one battery.
fn judge(p: &DeployDefaults, runs: &[Scenario], outs: &[Outcome]) -> Candidate {
    let mut trade_off = TradeOff::default();
    let mut verdicts = Vec::new();
    for (s, o) in runs.iter().zip(outs) {
        let per_day = o.epochs_per_day as f64;
        let started = o.wind_down.as_ref().and_then(|w| w.started);
        let at_par = o.wind_down.as_ref().and_then(|w| w.at_par);
        let failure = match s.name.as_str() {
            "proof-outage" if started.is_some() => {
                Some("wound down in an outage it should ride out")
            }
            "wind-down" | "wind-down-pending" if at_par.is_none() => {
                Some("the wind-down did not pay par by the end")
            }
            _ => None,
        };
        match s.name.as_str() {
            "leak-ejection" => trade_off.leak_ejection_value = o.worst_value_ratio.0,
            "offline-correlated" => trade_off.ejections = o.ejections,
            "bank-run" => {
                trade_off.spam_requests = o.requests.len();
                trade_off.last_holder_days = o.time_to_redeem().0.map(|e| e as f64 / per_day);
            }
            "wind-down" => {
                trade_off.dead_days_to_par =
                    at_par.map(|e| (e - START_EPOCH).saturating_sub(2) as f64 / per_day);
                trade_off.dead_paid = o
                    .wind_down
                    .as_ref()
                    .filter(|w| w.seth > 0)
                    .map_or(1.0, |w| w.booked as f64 / w.seth as f64);
            }
            "wind-down-pending" if s.vault_pending > 0 => {
                let eligible = s.pending_activation_epochs + s.config.shard_committee_period;
                let epoch_hours =
                    (s.config.slots_per_epoch * s.config.seconds_per_slot) as f64 / 3600.0;
                trade_off.exit_delay_hours = o
                    .all_exiting_at
                    .map(|at| at.saturating_sub(eligible) as f64 * epoch_hours);
                let fee = withdrawal_request_fee(s.background_excess) as f64 / 1e9;
                trade_off.resends_per_validator = o.resends as f64 / s.vault_pending as f64;
                trade_off.resend_fees_gwei = trade_off.resends_per_validator * fee;
            }
            _ => {}
        }
        verdicts.push(Verdict {
            scenario: s.name.clone(),
            worst_value_ratio: o.worst_value_ratio.0,
            unpaid: o.unpaid_debt,
            failure,
        });
    }
    Candidate {
        inactivity_trigger: p.inactivity_trigger,
        max_validators: p.max_validators,
        parameters: *p,
        verdicts,
        trade_off,
    }
}

/// Runs the battery for every set, in parallel.
fn run_grid(stress: &Stress, sets: &[DeployDefaults]) -> Result<Vec<Candidate>, SimError> {
    let mut all = Vec::new();
    let mut sizes = Vec::new();
    for p in sets {
        let b = battery_scenarios(stress, p)?;
        sizes.push(b.len());
        all.extend(b);
    }
    let outs = run_all(&all)?;
    let mut at = 0;
    Ok(sets
        .iter()
        .zip(sizes)
        .map(|(p, n)| {
            let c = judge(p, &all[at..at + n], &outs[at..at + n]);
            at += n;
            c
        })
        .collect())
}

/// `MAX_VALIDATORS` for a slashing break-even (share of all stake): C's validators, all slashed
/// at once, plus the stated background of other slashings stay under the break-even, with a
/// margin of one validator in a hundred. An error if the background alone reaches it.
pub fn max_validators_for(stress: &Stress, slashing_break_even: f64) -> Result<u64, SimError> {
    let total = stress.network_validators as f64;
    let headroom = slashing_break_even - stress.background_slashed_share;
    if headroom <= 0.0 || headroom.is_nan() {
        return Err(SimError::InvalidParameter {
            name: "background-slashed-share",
            reason: format!(
                "{} is at or above the break-even {slashing_break_even:.5}: no MAX_VALIDATORS is safe",
                stress.background_slashed_share
            ),
        });
    }
    // `headroom` is below 1 and `total` a validator count: the product fits a u64.
    Ok(((headroom * total * 0.99).floor() as u64).max(1))
}

fn check(stress: &Stress) -> Result<(), SimError> {
    let bad = |name: &'static str, reason: &str| {
        Err(SimError::InvalidParameter {
            name,
            reason: reason.into(),
        })
    };
    if stress.triggers.is_empty() {
        return bad("triggers", "at least one trigger");
    }
    if stress.resend_blocks.is_empty() || stress.resend_blocks.contains(&0) {
        return bad("resend-blocks", "at least one value, each at least 1 block");
    }
    if stress.min_redeems.is_empty() || stress.min_redeems.contains(&0) {
        return bad("min-redeems", "at least one value, each at least 1 Gwei");
    }
    if stress.wind_down_delays.is_empty()
        || stress
            .wind_down_delays
            .iter()
            .any(|d| !(30.0..=3650.0).contains(d))
    {
        return bad(
            "wind-down-delays",
            "at least one value, each between MIN_WIND_DOWN_DELAY (30 days) and 3650 days",
        );
    }
    if !(0.0..=1.0).contains(&stress.pending_share) || !(0.0..=1.0).contains(&stress.max_gas_share)
    {
        return bad("pending-share", "shares are between 0 and 1");
    }
    let finite_non_negative = |x: f64| x.is_finite() && x >= 0.0;
    if !finite_non_negative(stress.gas_price_gwei) || !finite_non_negative(stress.pending_days) {
        return bad(
            "gas-price-gwei",
            "gas price and days are finite and not negative",
        );
    }
    Ok(())
}

fn pick_trigger(c: &[Candidate]) -> usize {
    (0..c.len())
        .max_by(|&a, &b| {
            let (a, b) = (&c[a], &c[b]);
            a.survived()
                .cmp(&b.survived())
                .then(b.unpaid().cmp(&a.unpaid()))
                .then(a.inactivity_trigger.cmp(&b.inactivity_trigger))
        })
        .unwrap_or(0)
}

/// Among the candidates that survive the most scenarios, the first (in the order tried) that
/// `fits`, else the last of them.
fn pick_first_fitting(c: &[Candidate], fits: impl Fn(&Candidate) -> bool) -> usize {
    let most = c.iter().map(Candidate::survived).max().unwrap_or(0);
    let best: Vec<usize> = (0..c.len()).filter(|&i| c[i].survived() == most).collect();
    best.iter()
        .copied()
        .find(|&i| fits(&c[i]))
        .or(best.last().copied())
        .unwrap_or(0)
}

/// `MIN_REDEEM`'s own gas figure: the share of a request of `min_redeem` Gwei that its
/// `requestRedeem` and `claim` cost at `gas_price_gwei`.
pub fn redeem_gas_share(min_redeem: Gwei, gas_price_gwei: f64) -> f64 {
    (REQUEST_REDEEM_GAS + CLAIM_GAS) as f64 * gas_price_gwei / min_redeem.max(1) as f64
}

/// Runs the break-evens, the grids and the sensitivity check, and chooses C's parameters.
pub fn recommend(stress: Stress) -> Result<Recommendation, SimError> {
    check(&stress)?;
    // The bisections are sequential; the six of them run side by side.
    let backlogs = [0.0, 7.0, 14.0, 30.0, 60.0];
    let found = parallel(backlogs.len() + 1, |i| match backlogs.get(i) {
        Some(&backlog) => Ok((backlog, leak_break_even_for(&stress, backlog)?)),
        None => Ok((f64::NAN, Some(slashing_break_even(&stress)?))),
    });
    let mut leak_break_even = Vec::new();
    let mut slashing = None;
    for f in found {
        match f? {
            (backlog, days) if !backlog.is_nan() => leak_break_even.push((backlog, days)),
            (_, share) => slashing = share,
        }
    }
    let slashing_break_even = slashing.unwrap_or(f64::NAN);
    let max_validators = max_validators_for(&stress, slashing_break_even)?;
    // The values not yet chosen stay at the devnet pool's (`VaultParams::new`).
    let devnet = VaultParams::new(0, 1);
    let mut set = DeployDefaults {
        max_validators,
        inactivity_trigger: stress.triggers[0],
        exit_resend_blocks: devnet.exit_resend_blocks,
        min_redeem_gwei: devnet.min_redeem,
        wind_down_delay_seconds: DAY * crate::vault::MIN_WIND_DOWN_DELAY_DAYS,
    };
    let mut grids = Vec::new();

    let sets: Vec<_> = stress
        .triggers
        .iter()
        .map(|&t| DeployDefaults {
            inactivity_trigger: t,
            ..set
        })
        .collect();
    let candidates = run_grid(&stress, &sets)?;
    let chosen = pick_trigger(&candidates);
    set = candidates[chosen].parameters;
    grids.push(Grid {
        parameter: "INACTIVITY_TRIGGER",
        candidates,
        chosen,
        rule: "most scenarios survived, then least debt unpaid, then the higher trigger (fewer \
               ejections that were not needed)"
            .into(),
    });

    let sets: Vec<_> = stress
        .resend_blocks
        .iter()
        .map(|&r| DeployDefaults {
            exit_resend_blocks: r,
            ..set
        })
        .collect();
    let candidates = run_grid(&stress, &sets)?;
    let budget = stress.resend_budget_gwei as f64;
    let chosen = pick_first_fitting(&candidates, |c| c.trade_off.resend_fees_gwei <= budget);
    set = candidates[chosen].parameters;
    grids.push(Grid {
        parameter: "EXIT_RESEND_BLOCKS",
        candidates,
        chosen,
        rule: format!(
            "of those surviving the most scenarios, the shortest whose re-sends cost at most {} \
             ETH per pending validator at the fee spike (the fastest exit within the budget)",
            budget / 1e9
        ),
    });

    let sets: Vec<_> = stress
        .min_redeems
        .iter()
        .map(|&m| DeployDefaults {
            min_redeem_gwei: m,
            ..set
        })
        .collect();
    let candidates = run_grid(&stress, &sets)?;
    let chosen = pick_first_fitting(&candidates, |c| {
        redeem_gas_share(c.parameters.min_redeem_gwei, stress.gas_price_gwei)
            <= stress.max_gas_share
    });
    set = candidates[chosen].parameters;
    grids.push(Grid {
        parameter: "MIN_REDEEM",
        candidates,
        chosen,
        rule: format!(
            "of those surviving the most scenarios, the smallest whose request's own gas \
             (requestRedeem + claim) is at most {:.0}% of it at {} gwei (the smallest holder \
             who can redeem without losing more to gas)",
            stress.max_gas_share * 100.0,
            stress.gas_price_gwei
        ),
    });

    let sets: Vec<_> = stress
        .wind_down_delays
        .iter()
        .map(|&d| DeployDefaults {
            wind_down_delay_seconds: (d * DAY as f64).round() as u64,
            ..set
        })
        .collect();
    let candidates = run_grid(&stress, &sets)?;
    let chosen = pick_first_fitting(&candidates, |_| true);
    grids.push(Grid {
        parameter: "WIND_DOWN_DELAY",
        candidates,
        chosen,
        rule: "of those surviving the most scenarios (a proof outage of the stated length \
               ridden out, a dead C paid par with its operators stopped), the shortest (holders \
               of a dead C wait least)"
            .into(),
    });

    let trigger = grids[0].best().inactivity_trigger;
    let mut trigger_candidates = grids[0].candidates.clone();
    trigger_candidates.swap(0, grids[0].chosen);
    trigger_candidates[1..].sort_by(|a, b| {
        b.survived()
            .cmp(&a.survived())
            .then(a.unpaid().cmp(&b.unpaid()))
            .then(b.inactivity_trigger.cmp(&a.inactivity_trigger))
    });
    let sensitivity = sensitivity(&stress, trigger)?;
    let mut attacker = Vec::new();
    for n in [
        max_validators / 4,
        max_validators / 2,
        max_validators,
        max_validators * 2,
    ] {
        let n = n.max(1);
        let k = Knobs {
            network_slashed_share: Some(stress.background_slashed_share),
            redeem_share: Some(0.0),
            ..knobs(&stress, n, trigger)
        };
        let o = run(&Scenario::builtin("tee-break", &k)?)?;
        attacker.push((n, o.unpaid_debt));
    }
    Ok(Recommendation {
        stress,
        slashing_break_even,
        leak_break_even,
        candidates: trigger_candidates,
        grids,
        sensitivity,
        attacker,
    })
}

fn leak_break_even_for(stress: &Stress, backlog: f64) -> Result<Option<f64>, SimError> {
    let trigger = stress.triggers.iter().copied().min().unwrap_or(100);
    leak_break_even(stress, trigger, backlog)
}

/// The sensitivity of C's constants: each varied alone, the figure it moves (the rows run
/// side by side).
fn sensitivity(stress: &Stress, trigger: u64) -> Result<Vec<Sensitivity>, SimError> {
    let built = Constants::as_built();
    let gwei = |eth: f64| (eth * ETH as f64).round() as Gwei;
    let mut rows: Vec<(&'static str, f64, Constants)> = Vec::new();
    for mint in [30.0, 31.0, 31.5] {
        let c = Constants {
            mint: gwei(mint),
            ..built
        };
        rows.push(("MINT", mint, c));
    }
    for below in [31.5, 31.9, 31.99, 31.999] {
        let c = Constants {
            eject_below: gwei(below),
            ..built
        };
        rows.push(("EJECT_BELOW", below, c));
    }
    for reward in [0.01, 0.1, 0.5] {
        let c = Constants {
            eject_reward: gwei(reward),
            ..built
        };
        rows.push(("EJECT_REWARD", reward, c));
    }
    let leak = |c: &Constants| -> Result<String, SimError> {
        Ok(
            match leak_break_even_with(stress, trigger, stress.backlog_days, c)? {
                Some(d) => format!(
                    "leak break-even at a {}-day backlog {d:.1} days",
                    stress.backlog_days
                ),
                None => format!(
                    "no leak break-even at a {}-day backlog up to 60 days",
                    stress.backlog_days
                ),
            },
        )
    };
    let figure = |i: usize| -> Result<Sensitivity, SimError> {
        let (constant, value, c) = rows[i];
        let figure = match constant {
            "MINT" => format!(
                "slashing break-even {:.3}% of stake; the staker locks {:.1} ETH a validator",
                slashing_break_even_with(stress, &c)? * 100.0,
                32.0 - value
            ),
            "EJECT_BELOW" => {
                // A short outage no ejection is needed for: a tenth of C offline for a day.
                let k = Knobs {
                    offline_days: Some(1.0),
                    days: Some(10.0),
                    ..knobs(stress, 1_000, trigger)
                };
                let o = run(&c.apply(Scenario::builtin("offline", &k)?))?;
                format!(
                    "{}; {} of 100 validators offline for one day ejected",
                    leak(&c)?,
                    o.ejections
                )
            }
            _ => {
                let gas = EJECT_GAS as f64 * stress.gas_price_gwei / ETH as f64;
                format!(
                    "{}; the reward is {:.1}x an eject's gas ({gas:.5} ETH at {} gwei)",
                    leak(&c)?,
                    value / gas.max(f64::MIN_POSITIVE),
                    stress.gas_price_gwei
                )
            }
        };
        Ok(Sensitivity {
            constant,
            value: match constant {
                "MINT" => c.mint,
                "EJECT_BELOW" => c.eject_below,
                _ => c.eject_reward,
            },
            as_built: c == built,
            figure,
        })
    };
    parallel(rows.len(), figure).into_iter().collect()
}

fn eth(g: f64) -> f64 {
    g / ETH as f64
}

impl Recommendation {
    /// The recommended parameters: each grid's chosen value.
    pub fn parameters(&self) -> DeployDefaults {
        self.grids
            .last()
            .map_or(self.candidates[0].parameters, |g| g.best().parameters)
    }

    /// The recommendation as text: the break-evens, each grid, the recommended set.
    pub fn report(&self) -> String {
        let s = &self.stress;
        let mut t = String::new();
        let mut line = |l: String| {
            t.push_str(&l);
            t.push('\n');
        };
        line(format!(
            "network: {} validators of 32 ETH; stress: {:.3}% of stake slashed by others in a \
             TEE break's window, {} days of exit-queue backlog, a {}-day leak with {:.0}% of the \
             network (and all of C) offline",
            s.network_validators,
            s.background_slashed_share * 100.0,
            s.backlog_days,
            s.leak_days,
            s.leak_share * 100.0
        ));
        line(format!(
            "  and: a {}-day proof outage to ride out; in a dead C {:.0}% of the operators stop; \
             {:.0}% of C pending activation until {} days into the wind-down, re-sends at a \
             {} ETH EIP-7002 fee; a griefer's {} sETH in MIN_REDEEM requests ahead of the bank \
             run; gas at {} gwei",
            s.proof_outage_days,
            s.blind_offline_share * 100.0,
            s.pending_share * 100.0,
            s.pending_days,
            s.exit_fee_spike_gwei as f64 / 1e9,
            s.spam_seth,
            s.gas_price_gwei
        ));
        line(format!(
            "slashing break-even: C's slashed validators settle short once {:.3}% of all stake \
             is slashed in one window",
            self.slashing_break_even * 100.0
        ));
        line("leak break-even (C offline, ejected by the trigger): shortest leak that leaves C short".into());
        for (backlog, days) in &self.leak_break_even {
            line(format!(
                "  backlog {backlog:>4} days: {}",
                days.map_or(
                    "none up to 60 days: the ejection protects".to_owned(),
                    |d| format!("{d:.1} days")
                )
            ));
        }
        let scenarios = self
            .grids
            .first()
            .map(|g| {
                g.best()
                    .verdicts
                    .iter()
                    .map(|v| v.scenario.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            })
            .unwrap_or_default();
        line(format!(
            "grids: each value runs the whole battery ({scenarios}), the other parameters at the \
             values chosen above it (not yet chosen: the devnet pool's)"
        ));
        for g in &self.grids {
            line(format!("{} (chosen: {}):", g.parameter, g.rule));
            for (i, c) in g.candidates.iter().enumerate() {
                let p = &c.parameters;
                let o = &c.trade_off;
                let (value, figure) = match g.parameter {
                    "INACTIVITY_TRIGGER" => (
                        p.inactivity_trigger.to_string(),
                        format!(
                            "unpaid {:.1} ETH; leak-ejection worst value {:.4}; {} ejected in \
                             offline-correlated",
                            eth(c.unpaid() as f64),
                            o.leak_ejection_value,
                            o.ejections
                        ),
                    ),
                    "EXIT_RESEND_BLOCKS" => (
                        format!("{} blocks", p.exit_resend_blocks),
                        format!(
                            "pending validators out {} after eligibility; {:.1} re-sends each, \
                             {:.4} ETH of fees each",
                            o.exit_delay_hours
                                .map_or("never".into(), |h| format!("{h:.1} h")),
                            o.resends_per_validator,
                            o.resend_fees_gwei / 1e9
                        ),
                    ),
                    "MIN_REDEEM" => {
                        let m = p.min_redeem_gwei as f64;
                        (
                            format!("{} sETH", m / 1e9),
                            format!(
                                "{:.0} queue positions per ETH ({:.4} ETH of a griefer's gas); \
                                 a smallest request loses {:.1}% to its gas; the griefer's {} \
                                 requests left the last holder waiting {}",
                                1e9 / m,
                                (1e9 / m) * REQUEST_REDEEM_GAS as f64 * s.gas_price_gwei / 1e9,
                                redeem_gas_share(p.min_redeem_gwei, s.gas_price_gwei) * 100.0,
                                o.spam_requests.saturating_sub(100),
                                o.last_holder_days
                                    .map_or("forever".into(), |d| format!("{d:.1} days"))
                            ),
                        )
                    }
                    _ => (
                        format!("{} days", p.wind_down_delay_days()),
                        format!(
                            "rides out outages up to {} days; holders of a dead C at par after \
                             {}",
                            p.wind_down_delay_days() + WIND_DOWN_NOTICE_DAYS as f64,
                            o.dead_days_to_par.map_or(
                                format!("never ({:.4} paid by the end)", o.dead_paid),
                                |d| format!("{d:.1} days")
                            )
                        ),
                    ),
                };
                let failed = c.failed();
                line(format!(
                    "  {} {value:>12}: survives {}/{}{}; {figure}",
                    if i == g.chosen { "*" } else { " " },
                    c.survived(),
                    c.verdicts.len(),
                    if failed.is_empty() {
                        String::new()
                    } else {
                        format!(" (not {})", failed.join(", "))
                    },
                ));
            }
        }
        let p = self.parameters();
        let best = self.grids.last().map_or(&self.candidates[0], |g| g.best());
        let failed = best.failed();
        line(format!(
            "recommended: MAX_VALIDATORS = {}, INACTIVITY_TRIGGER = {}, EXIT_RESEND_BLOCKS = {}, \
             MIN_REDEEM = {} sETH ({} wei), WIND_DOWN_DELAY = {} s ({} days)",
            p.max_validators,
            p.inactivity_trigger,
            p.exit_resend_blocks,
            p.min_redeem_gwei as f64 / 1e9,
            p.min_redeem_gwei as u128 * 1_000_000_000,
            p.wind_down_delay_seconds,
            p.wind_down_delay_days()
        ));
        line(format!(
            "  survives {}/{} at this stress{}",
            best.survived(),
            best.verdicts.len(),
            if failed.is_empty() {
                ": every scenario".to_owned()
            } else {
                format!(
                    ": all but {} (no parameter of C changes those: they are the exit queue's \
                     and the leak's)",
                    failed.join(", ")
                )
            }
        ));
        let cells: Vec<String> = best
            .verdicts
            .iter()
            .map(|v| {
                format!(
                    "{} {:.4}{}",
                    v.scenario,
                    v.worst_value_ratio,
                    if v.survived() { "" } else { "*" }
                )
            })
            .collect();
        line(format!(
            "  worst value ratio per scenario (* = not survived): {}",
            cells.join(", ")
        ));
        line("sensitivity of C's constants (each varied alone; * = as built):".into());
        for r in &self.sensitivity {
            line(format!(
                "  {} {:>12} {:>7}: {}",
                if r.as_built { "*" } else { " " },
                r.constant,
                r.value as f64 / 1e9,
                r.figure
            ));
        }
        line("attacker economics: an attacker who breaks the enclaves of N of C's validators and slashes them at once costs the holders".into());
        for (n, loss) in &self.attacker {
            let outstanding = (*n as f64) * 31.0;
            let loss = *loss as f64 / ETH as f64;
            line(format!(
                "  N = {n:>6}: {loss:.4} ETH ({:.4}% of the {outstanding:.0} sETH lent against them)",
                loss / outstanding * 100.0
            ));
        }
        line("  what it costs the attacker, and from which N a short on sETH would pay: `lsv sim attacker`".into());
        t
    }
}
