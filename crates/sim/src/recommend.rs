//! Break-even points and a parameter recommendation (issue 19, item 3), found by running the
//! model, not by formula: bisections for where C's protections stop protecting, and a grid of
//! C's parameters run through every scenario at stated stress levels.
//!
//! - **Slashing break-even**: the share of all stake slashed in one window at which C's slashed
//!   validators first settle below their debt (lose more than their 1 ETH of collateral, and the
//!   holders the rest). `MAX_VALIDATORS` follows: C's own validators, all slashed at once after a
//!   TEE break, plus the stated background of other slashings, must stay below it.
//! - **Leak break-even**: with C's validators offline in an inactivity leak and ejected by the
//!   trigger, the shortest leak that makes them settle short, for each exit-queue backlog: the
//!   ejection protects only while the queue lets them out before the quadratic penalty eats the
//!   collateral.
//! - **Attacker economics**: what holders lose when an attacker slashes N of C's validators.

use crate::scenario::{run, Action, Event, Knobs, Outcome, Scenario, SimError, Who};
use crate::spec::{Gwei, ETH};

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
}

impl Default for Stress {
    fn default() -> Self {
        Self {
            network_validators: 1_000_000,
            background_slashed_share: 0.001,
            backlog_days: 7.0,
            leak_days: 7.0,
            leak_share: 0.4,
            triggers: vec![25, 100, 400],
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
}

impl Verdict {
    /// Backing held: nothing unpaid and the value never below par.
    pub fn survived(&self) -> bool {
        self.unpaid == 0 && self.worst_value_ratio >= 1.0
    }
}

/// A parameter set and how it fared.
#[derive(Clone, Debug, PartialEq)]
pub struct Candidate {
    /// `INACTIVITY_TRIGGER`.
    pub inactivity_trigger: u64,
    /// `MAX_VALIDATORS`.
    pub max_validators: u64,
    /// Each scenario's verdict.
    pub verdicts: Vec<Verdict>,
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
}

/// C's parameters `lsv deploy` defaults to: what `lsv sim recommend` prints at its defaults
/// ([`Stress::default`]: 1,000,000 validators, 0.1 % of stake slashed by others in a TEE break's
/// window, a 7-day exit-queue backlog and a 7-day leak with 40 % of the network offline).
/// `tests/deploy_defaults.rs` reproduces them: `MAX_VALIDATORS` from the slashing break-even on
/// every test run, both from [`recommend`] itself in an ignored test (9 s; `cargo test -p lsv-sim
/// --test deploy_defaults -- --ignored`). Rerun it, and update these, when the model or the
/// stress changes.
pub const DEPLOY_DEFAULTS: DeployDefaults = DeployDefaults {
    max_validators: 8_582,
    inactivity_trigger: 400,
};

/// The parameters of C that [`recommend`] chooses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DeployDefaults {
    /// `MAX_VALIDATORS`: C's validators all slashed at once, with the stated background, stay
    /// below the slashing break-even (less a 1 % margin).
    pub max_validators: u64,
    /// `INACTIVITY_TRIGGER`: the best-ranked of the candidates tried.
    pub inactivity_trigger: u64,
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
    /// Every candidate, the recommended one first.
    pub candidates: Vec<Candidate>,
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

/// The share of all stake slashed in one window at which C's slashed validators first settle
/// short: 100 of C's validators slashed with a growing share of the network.
pub fn slashing_break_even(stress: &Stress) -> Result<f64, SimError> {
    let k = 100;
    let total = (stress.network_validators + k) as f64;
    let found = bisect(0.0, 0.05, 0.000_05, |share| {
        let knobs = Knobs {
            network_slashed_share: Some(share),
            redeem_share: Some(0.0),
            ..knobs(stress, k, 100)
        };
        Ok(short(&run(&Scenario::builtin("tee-break", &knobs)?)?))
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
    let base = Knobs {
        days: Some(leak_days + backlog_days + 30.0),
        backlog_days: Some(backlog_days),
        ..knobs(stress, vault_validators, trigger)
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
                count: vault_validators,
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
    bisect(0.0, 60.0, 0.1, |days| {
        Ok(short(&run(&leak_with_ejection(
            stress,
            100,
            trigger,
            days,
            backlog_days,
        )?)?))
    })
}

/// The scenarios a candidate must survive at `stress`.
fn battery(stress: &Stress, max_validators: u64, trigger: u64) -> Result<Vec<Verdict>, SimError> {
    let k = knobs(stress, max_validators, trigger);
    let backlog = Some(stress.backlog_days);
    let mut runs: Vec<Scenario> = Vec::new();
    for name in ["baseline", "offline", "offline-correlated", "bank-run"] {
        runs.push(Scenario::builtin(name, &k)?);
    }
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
    runs.push(leak_with_ejection(
        stress,
        max_validators,
        trigger,
        stress.leak_days,
        stress.backlog_days,
    )?);
    runs.push(Scenario::builtin("wind-down", &k)?);
    runs.iter()
        .map(|s| {
            let o = run(s)?;
            Ok(Verdict {
                scenario: s.name.clone(),
                worst_value_ratio: o.worst_value_ratio.0,
                unpaid: o.unpaid_debt,
            })
        })
        .collect()
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

/// Runs the break-evens and the grid, and ranks the candidates: most scenarios survived, then
/// least debt unpaid, then the higher trigger (fewer ejections that were not needed).
pub fn recommend(stress: Stress) -> Result<Recommendation, SimError> {
    if stress.triggers.is_empty() {
        return Err(SimError::InvalidParameter {
            name: "triggers",
            reason: "at least one trigger".into(),
        });
    }
    let slashing_break_even = slashing_break_even(&stress)?;
    let max_validators = max_validators_for(&stress, slashing_break_even)?;
    let mut leak_break_even = Vec::new();
    for backlog in [0.0, 7.0, 14.0, 30.0, 60.0] {
        leak_break_even.push((backlog, leak_break_even_for(&stress, backlog)?));
    }
    let mut candidates = Vec::new();
    for &trigger in &stress.triggers {
        candidates.push(Candidate {
            inactivity_trigger: trigger,
            max_validators,
            verdicts: battery(&stress, max_validators, trigger)?,
        });
    }
    candidates.sort_by(|a, b| {
        b.survived()
            .cmp(&a.survived())
            .then(a.unpaid().cmp(&b.unpaid()))
            .then(b.inactivity_trigger.cmp(&a.inactivity_trigger))
    });
    let trigger = candidates[0].inactivity_trigger;
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
        candidates,
        attacker,
    })
}

fn leak_break_even_for(stress: &Stress, backlog: f64) -> Result<Option<f64>, SimError> {
    let trigger = stress.triggers.iter().copied().min().unwrap_or(100);
    leak_break_even(stress, trigger, backlog)
}

impl Recommendation {
    /// The recommended parameters: the first candidate's.
    pub fn parameters(&self) -> DeployDefaults {
        DeployDefaults {
            max_validators: self.candidates[0].max_validators,
            inactivity_trigger: self.candidates[0].inactivity_trigger,
        }
    }

    /// The recommendation as text: the break-evens, the grid, the recommended set.
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
        line("candidates (worst value ratio per scenario; * = debt left unpaid):".into());
        for c in &self.candidates {
            let cells: Vec<String> = c
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
                "  INACTIVITY_TRIGGER {:>4}, MAX_VALIDATORS {}: survives {}/{}: {}",
                c.inactivity_trigger,
                c.max_validators,
                c.survived(),
                c.verdicts.len(),
                cells.join(", ")
            ));
        }
        let best = &self.candidates[0];
        let failed: Vec<&str> = best
            .verdicts
            .iter()
            .filter(|v| !v.survived())
            .map(|v| v.scenario.as_str())
            .collect();
        line(format!(
            "recommended: MAX_VALIDATORS = {}, INACTIVITY_TRIGGER = {}; survives {}{}",
            best.max_validators,
            best.inactivity_trigger,
            if failed.is_empty() {
                "every scenario at this stress".to_owned()
            } else {
                format!("all but {} at this stress", failed.join(", "))
            },
            if failed.is_empty() {
                String::new()
            } else {
                " (no parameter of C changes those: they are the exit queue's and the leak's)"
                    .to_owned()
            }
        ));
        line("attacker economics: an attacker who breaks the enclaves of N of C's validators and slashes them at once costs the holders".into());
        for (n, loss) in &self.attacker {
            let outstanding = (*n as f64) * 31.0;
            let loss = *loss as f64 / ETH as f64;
            line(format!(
                "  N = {n:>6}: {loss:.4} ETH ({:.4}% of the {outstanding:.0} sETH lent against them)",
                loss / outstanding * 100.0
            ));
        }
        t
    }
}
