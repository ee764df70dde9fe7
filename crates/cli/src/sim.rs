//! `lsv sim`: runs one of `lsv-sim`'s scenarios and writes what it measured (the samples and
//! the redemption requests as CSV, a chart as PNG) with a summary on standard output;
//! `lsv sim recommend` and `lsv sim economics` print the break-evens and the capital-efficiency
//! table; `lsv sim attacker` prices a TEE break against what holders lose; and `lsv bench sim`,
//! the simulator's throughput in validator-epochs per second at mainnet scale.
//!
//! The model is `lsv-sim`'s (its README says what it covers and what it simplifies); this file
//! only turns flags into its knobs and its outcome into files. The chart is drawn by plotters as
//! SVG and rendered to PNG by resvg with the font carried in the binary, as `lsv demo`'s are, so
//! it looks the same on a machine without fonts.

use crate::output::CliError;
use clap::Args;
use lsv_sim::recommend::Stress;
use lsv_sim::spec::{Gwei, ETH};
use lsv_sim::{Knobs, Outcome, Scenario, SCENARIOS};
use plotters::prelude::*;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// The scenario names, for clap.
fn scenario_names() -> clap::builder::PossibleValuesParser {
    clap::builder::PossibleValuesParser::new(
        SCENARIOS
            .iter()
            .map(|(name, about)| clap::builder::PossibleValue::new(*name).help(*about)),
    )
}

/// The knobs every run takes (`lsv sim` and `lsv bench sim`).
#[derive(Args, Clone, Debug)]
pub(crate) struct SizeArgs {
    /// Validators of the rest of the network (32 ETH each, 0x01 credentials).
    #[arg(long, default_value_t = 1_000_000)]
    network_validators: u64,
    /// C's validators (positions), 32 ETH each at the start, 31 sETH lent against each.
    #[arg(long, default_value_t = 1_000)]
    vault_validators: u64,
}

/// `lsv sim`.
#[derive(Args, Debug)]
#[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
pub(crate) struct SimArgs {
    #[command(subcommand)]
    command: Option<SimCommand>,
    /// The scenario.
    #[arg(long, required = true, value_parser = scenario_names())]
    scenario: Option<String>,
    /// Where to write `<scenario>.csv` (samples), `<scenario>-requests.csv` (the queue) and
    /// `<scenario>.png` (the chart); created if absent, files in it overwritten.
    #[arg(long, value_name = "DIR", default_value = "lsv-sim")]
    out: PathBuf,
    #[command(flatten)]
    size: SizeArgs,
    /// Length of the run in days (default: the scenario's own, 60 to 365).
    #[arg(long)]
    days: Option<f64>,
    /// C's `INACTIVITY_TRIGGER`: an inactivity score above it makes a validator ejectable.
    #[arg(long, default_value_t = 100)]
    inactivity_trigger: u64,
    /// Share of C's validators that go offline, 0 to 1 (offline, offline-correlated, leak).
    #[arg(long)]
    offline_share: Option<f64>,
    /// Share of the network's validators offline with them, 0 to 1 (offline-correlated, leak;
    /// above a third stops finality and starts an inactivity leak).
    #[arg(long)]
    network_offline_share: Option<f64>,
    /// How long they stay offline, in days.
    #[arg(long)]
    offline_days: Option<f64>,
    /// The exit queue's backlog at the start, in days of churn (0 to 60 is the range).
    #[arg(long)]
    backlog_days: Option<f64>,
    /// Let the backlog drain (no new exits join it) instead of persisting through the run.
    #[arg(long)]
    backlog_drains: bool,
    /// C's validators slashed at once after a TEE break (tee-break; default all of them).
    #[arg(long)]
    slashed: Option<u64>,
    /// Share of the rest of the network slashed in the same window, 0 to 1 (tee-break).
    #[arg(long)]
    network_slashed_share: Option<f64>,
    /// Share of the sETH redeemed, 0 to 1 (default: the scenario's own).
    #[arg(long)]
    redeem_share: Option<f64>,
    /// How many requests (queue positions) a redemption is split into.
    #[arg(long, default_value_t = 100)]
    requests: u64,
    /// The most C's callers pay for one EIP-7002 exit request, in Gwei.
    #[arg(long, default_value_t = 10_000_000)]
    max_exit_fee_gwei: u64,
    /// EIP-7002 requests C's callers send per block at most, 1 to 16 (2, the target, keeps the
    /// fee at 1 wei).
    #[arg(long, default_value_t = 2)]
    exit_requests_per_block: u64,
    /// C's `EXIT_RESEND_BLOCKS`: blocks after which an exit request that has not taken effect
    /// may be sent again.
    #[arg(long, default_value_t = Knobs::default().exit_resend_blocks)]
    exit_resend_blocks: u64,
    /// C's `MIN_REDEEM`, in Gwei of sETH: the smallest redemption request.
    #[arg(long, default_value_t = Knobs::default().min_redeem_gwei)]
    min_redeem_gwei: u64,
    /// C's `WIND_DOWN_DELAY`, in days (at least 30).
    #[arg(long, default_value_t = Knobs::default().wind_down_delay_days)]
    wind_down_delay_days: f64,
    /// wind-down: proofs come back after this many days (an outage; default: never).
    #[arg(long)]
    proof_outage_days: Option<f64>,
    /// Share of C's validators (the newest positions) pending activation at the start, 0 to 1.
    #[arg(long)]
    pending_share: Option<f64>,
    /// Days after the start at which the pending validators activate.
    #[arg(long)]
    activation_days: Option<f64>,
    /// A lasting EIP-7002 fee spike: other users hold the fee at this many Gwei or more.
    #[arg(long, default_value_t = 0)]
    exit_fee_floor_gwei: u64,
    /// bank-run: sETH a griefer puts in the queue first, in requests of MIN_REDEEM each.
    #[arg(long)]
    spam_seth: Option<f64>,
}

/// `lsv sim`'s subcommands.
#[derive(clap::Subcommand, Debug)]
pub(crate) enum SimCommand {
    /// Find the break-even points (slashing share, leak length per exit-queue backlog), derive
    /// MAX_VALIDATORS from the slashing break-even, run the scenario battery for each value of
    /// the grids over INACTIVITY_TRIGGER, EXIT_RESEND_BLOCKS, MIN_REDEEM and WIND_DOWN_DELAY
    /// (with each one's own trade-off), check the sensitivity of MINT, EJECT_BELOW and
    /// EJECT_REWARD, and print the parameters chosen at the stated stress.
    Recommend(RecommendArgs),
    /// Capital efficiency on one basis: for lsv, solo staking, Lido (curated, CSM) and Rocket
    /// Pool (Saturn, LEB8), the staker's capital, what it keeps and its return, and the liquid
    /// token holder's return, at the consensus rewards the model computes at the stated stake.
    Economics(EconomicsArgs),
    /// Attacker economics: an operator breaks the enclaves of N of its own validators in C and
    /// slashes them at once (with the network's background slashings); what it costs the
    /// attacker (collateral, rewards forgone, hardware at the published attacks' prices) against
    /// what sETH holders lose and what a short on sETH gains, under MAX_VALIDATORS and beyond,
    /// and the N from which the attack pays.
    Attacker(AttackerArgs),
}

/// `lsv sim attacker`.
#[derive(Args, Debug)]
pub(crate) struct AttackerArgs {
    /// The N to tabulate (C's validators the attacker slashes), comma-separated (default: 0.25
    /// to 6 times MAX_VALIDATORS).
    #[arg(long, value_delimiter = ',')]
    broken: Vec<u64>,
    /// Validators of the rest of the network (32 ETH each).
    #[arg(long, default_value_t = 1_000_000)]
    network_validators: u64,
    /// Share of the network slashed by others in the same window, 0 to 1.
    #[arg(long, default_value_t = 0.001)]
    background_slashed_share: f64,
    /// MAX_VALIDATORS (default: what `lsv deploy` uses, `lsv sim recommend`'s).
    #[arg(long)]
    max_validators: Option<u64>,
    /// The signing threshold m of each key's n devices (n/2 < m <= n).
    #[arg(long, default_value_t = 1)]
    threshold_m: u64,
    /// The devices per key n.
    #[arg(long, default_value_t = 1)]
    threshold_n: u64,
    /// Keys one device may hold shares of (0: any number).
    #[arg(long, default_value_t = 0)]
    keys_per_device: u64,
    /// Cost of breaking one device, US$ (default: WireTap's and TEE.fail's stated "under
    /// $1,000"; Battering RAM's parts are about $30).
    #[arg(long, default_value_t = lsv_sim::attacker::BREAK_USD_DEFAULT)]
    break_usd: f64,
    /// Cost of one SGX/TDX-capable machine, US$ (an estimate).
    #[arg(long, default_value_t = lsv_sim::attacker::MACHINE_USD_DEFAULT)]
    machine_usd: f64,
    /// ETH's price, US$ (an estimate; converts the hardware).
    #[arg(long, default_value_t = lsv_sim::attacker::ETH_USD_DEFAULT)]
    eth_usd: f64,
    /// Execution-layer rewards a year as a share of the stake (forgone while slashed).
    #[arg(long, default_value_t = lsv_sim::economics::EL_APR_DEFAULT)]
    el_apr: f64,
    /// Share of the outstanding sETH the attacker is short, 0 to 1.
    #[arg(long, default_value_t = 1.0)]
    short_share: f64,
    /// Don't search for the N from which the attack pays.
    #[arg(long)]
    no_break_even: bool,
}

/// `lsv sim attacker`.
fn attacker(args: AttackerArgs) -> Result<(), CliError> {
    use lsv_sim::attacker::{default_broken, pays_from, report, Attack};
    let attack = Attack {
        network_validators: args.network_validators,
        background_slashed_share: args.background_slashed_share,
        max_validators: args
            .max_validators
            .unwrap_or(lsv_sim::recommend::DEPLOY_DEFAULTS.max_validators),
        m: args.threshold_m,
        n: args.threshold_n,
        keys_per_device: args.keys_per_device,
        break_usd: args.break_usd,
        machine_usd: args.machine_usd,
        eth_usd: args.eth_usd,
        el_apr: args.el_apr,
        short_share: args.short_share,
    };
    attack.validate().map_err(|e| e.to_string())?;
    let t = Instant::now();
    let rewards = lsv_sim::economics::RewardTable::measure(attack.network_validators)
        .map_err(|e| e.to_string())?;
    let broken = if args.broken.is_empty() {
        default_broken(attack.max_validators)
    } else {
        args.broken
    };
    let rows = broken
        .iter()
        .map(|&n| attack.run(&rewards, n))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| e.to_string())?;
    let pays = if args.no_break_even {
        None
    } else {
        // Up to 10 % of the network, or the largest N asked for if more.
        let hi = (attack.network_validators / 10)
            .max(broken.iter().copied().max().unwrap_or(1))
            .min(attack.network_validators);
        Some(pays_from(&attack, &rewards, 1, hi).map_err(|e| e.to_string())?)
    };
    let mut text = report(&attack, &rows, pays.as_ref().map(Option::as_ref));
    text.push_str(&format!("({:.1} s)", t.elapsed().as_secs_f64()));
    crate::output::line(&text)
}

/// `lsv sim economics`.
#[derive(Args, Debug)]
pub(crate) struct EconomicsArgs {
    /// Validators of the network (32 ETH each): the stake the reward rate is computed at.
    #[arg(long, default_value_t = 1_000_000)]
    network_validators: u64,
    /// Validators the staker runs (CSM's and Rocket Pool's bonds depend on it).
    #[arg(long, default_value_t = 1)]
    validators: u64,
    /// The horizons in years, comma-separated (each above 0, at most 10).
    #[arg(long, value_delimiter = ',', default_value = "1,5")]
    years: Vec<f64>,
    /// The productive-sETH variant: share of the perfect reward the owner's validator earns,
    /// 0 to 1 (its collateral covers the rest).
    #[arg(long, default_value_t = 1.0)]
    performance: f64,
    /// Execution-layer rewards (priority fees, MEV) a year as a share of the stake, for the
    /// second table (default: Rated's 30-day average of 2024-07-09; 0 prints the consensus-only
    /// table alone).
    #[arg(long, default_value_t = lsv_sim::economics::EL_APR_DEFAULT)]
    el_apr: f64,
}

/// `lsv sim economics`: the consensus-only table, then the same with execution-layer rewards.
fn economics(args: EconomicsArgs) -> Result<(), CliError> {
    use lsv_sim::economics::{compare, compare_with, RewardTable};
    let table = RewardTable::measure(args.network_validators).map_err(|e| e.to_string())?;
    let c = compare(&table, &args.years, args.validators, args.performance)
        .map_err(|e| e.to_string())?;
    let mut text = c.report();
    if args.el_apr != 0.0 {
        let el = compare_with(
            &table,
            &args.years,
            args.validators,
            args.performance,
            args.el_apr,
        )
        .map_err(|e| e.to_string())?;
        text.push('\n');
        text.push_str(&el.report());
    }
    crate::output::line(text.trim_end())
}

/// `lsv sim recommend`. Every default is `lsv_sim::recommend::Stress::default()`'s.
#[derive(Args, Debug)]
pub(crate) struct RecommendArgs {
    /// Validators of the network the parameters are judged on (32 ETH each).
    #[arg(long, default_value_t = Stress::default().network_validators)]
    network_validators: u64,
    /// Share of all stake slashed by others in the same window as a TEE break, 0 to 1.
    #[arg(long, default_value_t = Stress::default().background_slashed_share)]
    background_slashed_share: f64,
    /// The exit-queue backlog the scenarios run with, in days.
    #[arg(long, default_value_t = Stress::default().backlog_days)]
    backlog_days: f64,
    /// The inactivity leak (days) with all of C's validators offline to survive.
    #[arg(long, default_value_t = Stress::default().leak_days)]
    leak_days: f64,
    /// Share of the network offline in that leak, above a third.
    #[arg(long, default_value_t = Stress::default().leak_share)]
    leak_share: f64,
    /// The INACTIVITY_TRIGGER values to try, comma-separated (default 25,50,100,200,400,700,1000).
    #[arg(long, value_delimiter = ',')]
    triggers: Vec<u64>,
    /// The EXIT_RESEND_BLOCKS values to try, comma-separated (default 32,1800,7200,50400).
    #[arg(long, value_delimiter = ',')]
    resend_blocks: Vec<u64>,
    /// The lasting EIP-7002 fee (Gwei a request) the wind-down's re-sends pay.
    #[arg(long, default_value_t = Stress::default().exit_fee_spike_gwei)]
    exit_fee_spike_gwei: u64,
    /// Share of C's validators pending activation when the wind-down starts, 0 to 1.
    #[arg(long, default_value_t = Stress::default().pending_share)]
    pending_share: f64,
    /// Days into the wind-down at which they activate.
    #[arg(long, default_value_t = Stress::default().pending_days)]
    pending_days: f64,
    /// The most re-sends may cost per pending validator at the spike, in Gwei.
    #[arg(long, default_value_t = Stress::default().resend_budget_gwei)]
    resend_budget_gwei: u64,
    /// The MIN_REDEEM values to try, in Gwei of sETH, comma-separated (default
    /// 1000000,10000000,20000000,100000000,1000000000: 0.001 to 1 sETH).
    #[arg(long, value_delimiter = ',')]
    min_redeems: Vec<u64>,
    /// Gas price (Gwei) of the queue's gas figures.
    #[arg(long, default_value_t = Stress::default().gas_price_gwei)]
    gas_price_gwei: f64,
    /// The largest share of the smallest request its own gas may take, 0 to 1.
    #[arg(long, default_value_t = Stress::default().max_gas_share)]
    max_gas_share: f64,
    /// sETH a griefer splits into MIN_REDEEM requests ahead of the bank run.
    #[arg(long, default_value_t = Stress::default().spam_seth)]
    spam_seth: f64,
    /// The WIND_DOWN_DELAY values to try, in days (each at least 30), comma-separated (default
    /// 30,90,365).
    #[arg(long, value_delimiter = ',')]
    wind_down_delays: Vec<f64>,
    /// The proof outage (days) C must ride out without winding down.
    #[arg(long, default_value_t = Stress::default().proof_outage_days)]
    proof_outage_days: f64,
    /// Share of C's operators that stop once C is blind, 0 to 1.
    #[arg(long, default_value_t = Stress::default().blind_offline_share)]
    blind_offline_share: f64,
}

/// `lsv sim recommend`.
fn recommend(args: RecommendArgs) -> Result<(), CliError> {
    let d = Stress::default();
    let or = |given: Vec<u64>, default: Vec<u64>| if given.is_empty() { default } else { given };
    let stress = Stress {
        network_validators: args.network_validators,
        background_slashed_share: args.background_slashed_share,
        backlog_days: args.backlog_days,
        leak_days: args.leak_days,
        leak_share: args.leak_share,
        triggers: or(args.triggers, d.triggers),
        resend_blocks: or(args.resend_blocks, d.resend_blocks),
        exit_fee_spike_gwei: args.exit_fee_spike_gwei,
        pending_share: args.pending_share,
        pending_days: args.pending_days,
        resend_budget_gwei: args.resend_budget_gwei,
        min_redeems: or(args.min_redeems, d.min_redeems),
        gas_price_gwei: args.gas_price_gwei,
        max_gas_share: args.max_gas_share,
        spam_seth: args.spam_seth,
        wind_down_delays: if args.wind_down_delays.is_empty() {
            d.wind_down_delays
        } else {
            args.wind_down_delays
        },
        proof_outage_days: args.proof_outage_days,
        blind_offline_share: args.blind_offline_share,
    };
    let t = Instant::now();
    let r = lsv_sim::recommend::recommend(stress).map_err(|e| e.to_string())?;
    let mut text = r.report();
    text.push_str(&format!("({:.1} s)", t.elapsed().as_secs_f64()));
    crate::output::line(&text)
}

impl SimArgs {
    fn knobs(&self) -> Knobs {
        Knobs {
            network_validators: self.size.network_validators,
            vault_validators: self.size.vault_validators,
            days: self.days,
            inactivity_trigger: self.inactivity_trigger,
            offline_share: self.offline_share,
            network_offline_share: self.network_offline_share,
            offline_days: self.offline_days,
            backlog_days: self.backlog_days,
            backlog_persists: !self.backlog_drains,
            slashed: self.slashed,
            network_slashed_share: self.network_slashed_share,
            redeem_share: self.redeem_share,
            requests: self.requests,
            max_exit_fee_gwei: self.max_exit_fee_gwei,
            exit_requests_per_block: self.exit_requests_per_block,
            exit_resend_blocks: self.exit_resend_blocks,
            min_redeem_gwei: self.min_redeem_gwei,
            wind_down_delay_days: self.wind_down_delay_days,
            proof_outage_days: self.proof_outage_days,
            pending_share: self.pending_share,
            activation_days: self.activation_days,
            exit_fee_floor_gwei: self.exit_fee_floor_gwei,
            spam_seth: self.spam_seth,
        }
    }
}

/// `lsv sim`: runs the scenario, writes its files, prints the summary (or `lsv sim recommend`).
pub(crate) fn run(args: SimArgs) -> Result<(), CliError> {
    match args.command {
        Some(SimCommand::Recommend(r)) => return recommend(r),
        Some(SimCommand::Economics(e)) => return economics(e),
        Some(SimCommand::Attacker(a)) => return attacker(a),
        None => {}
    }
    let name = args.scenario.as_deref().ok_or("--scenario is required")?;
    let scenario = Scenario::builtin(name, &args.knobs()).map_err(|e| e.to_string())?;
    let t = Instant::now();
    let outcome = lsv_sim::run(&scenario).map_err(|e| e.to_string())?;
    let elapsed = t.elapsed();

    std::fs::create_dir_all(&args.out)
        .map_err(|e| format!("creating {}: {e}", args.out.display()))?;
    let name = &scenario.name;
    let samples = args.out.join(format!("{name}.csv"));
    let requests = args.out.join(format!("{name}-requests.csv"));
    let chart = args.out.join(format!("{name}.png"));
    write_csv(&samples, |w| outcome.write_samples_csv(w))?;
    write_csv(&requests, |w| outcome.write_requests_csv(w))?;
    let png = crate::demo::render_png(&draw_chart(&scenario, &outcome)?)?;
    std::fs::write(&chart, png).map_err(|e| format!("writing {}: {e}", chart.display()))?;

    let mut text = summary(&scenario, &outcome);
    text.push_str(&format!(
        "run: {:.2} s, {} validator-epochs ({:.3e} per second)\n",
        elapsed.as_secs_f64(),
        outcome.validator_epochs,
        outcome.validator_epochs as f64 / elapsed.as_secs_f64().max(1e-9),
    ));
    for f in [&samples, &requests, &chart] {
        text.push_str(&format!("wrote {}\n", f.display()));
    }
    crate::output::line(text.trim_end())
}

fn write_csv(
    path: &Path,
    write: impl FnOnce(&mut std::io::BufWriter<std::fs::File>) -> Result<(), lsv_sim::SimError>,
) -> Result<(), CliError> {
    let file =
        std::fs::File::create(path).map_err(|e| format!("creating {}: {e}", path.display()))?;
    let mut w = std::io::BufWriter::new(file);
    write(&mut w).map_err(|e| format!("{}: {e}", path.display()))?;
    std::io::Write::flush(&mut w).map_err(|e| format!("writing {}: {e}", path.display()))?;
    Ok(())
}

fn eth(g: Gwei) -> f64 {
    g as f64 / ETH as f64
}

/// The summary `lsv sim` prints: backing, the worst shortfall, who bore it, time to redeem.
fn summary(s: &Scenario, o: &Outcome) -> String {
    let day = |epoch: u64| epoch as f64 / o.epochs_per_day as f64;
    let mut t = String::new();
    let mut line = |l: String| {
        t.push_str(&l);
        t.push('\n');
    };
    line(format!(
        "scenario {}: {:.1} days, {} network validators and {} of C's",
        s.name,
        day(o.epochs),
        s.network_validators,
        s.vault_validators
    ));
    line(format!(
        "backing, C's books: worst {:.6} on day {:.1}; what would come back: worst {:.6} on day {:.1}",
        o.worst_backing_ratio.0,
        day(o.worst_backing_ratio.1),
        o.worst_value_ratio.0,
        day(o.worst_value_ratio.1)
    ));
    line(format!(
        "worst shortfall: {:.4} ETH on C's books, {:.4} ETH in value; debt left unpaid at settlement: {:.4} ETH",
        eth(o.worst_shortfall),
        eth(o.worst_value_shortfall),
        eth(o.unpaid_debt)
    ));
    if o.min_balance != u64::MAX {
        line(format!(
            "lowest balance of C's live validators: {:.6} ETH",
            eth(o.min_balance)
        ));
    }
    line(format!(
        "positions: {} ejected, {} exited on demand, {} settled; EIP-7002 fees paid {} wei (highest {} wei)",
        o.ejections, o.demand_exits, o.settled, o.exit_fees_wei.0, o.exit_fees_wei.1
    ));
    if !o.requests.is_empty() {
        let below = o.below_par();
        let (longest, open) = o.time_to_redeem();
        let longest = longest.map_or("none finalized".to_owned(), |e| {
            format!("{:.2} days", day(e))
        });
        let instead = if o.wind_down.as_ref().is_some_and(|w| w.started.is_some()) {
            " (the wind-down pays those pro rata instead)"
        } else {
            ""
        };
        line(format!(
            "redemptions: {} requests; longest from request to finalization {longest}; {open} not finalized{instead}",
            o.requests.len()
        ));
        if below.is_empty() {
            line("who bears a shortfall: no request was finalized below par".to_owned());
        } else {
            let lo = below.iter().map(|b| b.1).fold(f64::INFINITY, f64::min);
            let hi = below.iter().map(|b| b.1).fold(0.0, f64::max);
            line(format!(
                "who bears it: {} requests finalized below par (queue positions {} to {}), at {:.6} to {:.6} ETH per sETH",
                below.len(),
                below[0].0,
                below[below.len() - 1].0,
                lo,
                hi
            ));
        }
    }
    if let Some(w) = &o.wind_down {
        let start = lsv_sim::scenario::START_EPOCH;
        match w.started {
            Some(started) => line(format!(
                "wind-down: noticed day {:.1}, started day {:.1}; {:.4} of the sETH outstanding at the start paid{}",
                day(w.noticed - start),
                day(started - start),
                if w.seth == 0 { 1.0 } else { w.booked as f64 / w.seth as f64 },
                w.at_par
                    .map_or(String::new(), |p| format!(", par reached day {:.1}", day(p - start)))
            )),
            None => line(format!(
                "wind-down: noticed day {:.1}, not started by the end",
                day(w.noticed - start)
            )),
        }
    }
    t
}

const WIDTH: u32 = 1000;
const HEIGHT: u32 = 760;

/// The chart: backing over time (C's books and value) above, sETH outstanding, backing and
/// what was paid below.
fn draw_chart(s: &Scenario, o: &Outcome) -> Result<String, CliError> {
    let err = |e: &dyn std::fmt::Display| CliError::from(format!("drawing the chart: {e}"));
    let per_day = o.epochs_per_day as f64;
    let days = (o.epochs as f64 / per_day).max(1.0 / per_day);
    let points = |f: &dyn Fn(&lsv_sim::Sample) -> f64| -> Vec<(f64, f64)> {
        o.samples
            .iter()
            .map(|x| (x.epoch as f64 / per_day, f(x)))
            .collect()
    };
    // A ratio means nothing once nothing is outstanding (everything redeemed).
    let ratio = |f: &dyn Fn(&lsv_sim::Sample) -> f64| -> Vec<(f64, f64)> {
        o.samples
            .iter()
            .filter(|x| x.outstanding > 0)
            .map(|x| (x.epoch as f64 / per_day, f(x)))
            .collect()
    };
    let books = ratio(&|x| x.backing_ratio);
    let value = ratio(&|x| x.value_ratio);
    let lo = books
        .iter()
        .chain(&value)
        .map(|p| p.1)
        .fold(1.0f64, f64::min);
    let hi = books
        .iter()
        .chain(&value)
        .map(|p| p.1)
        .fold(1.0f64, f64::max);
    let pad = ((hi - lo) * 0.1).max(0.002);
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (WIDTH, HEIGHT)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| err(&e))?;
        let (top, bottom) = root.split_vertically(HEIGHT / 2);
        let mut chart = ChartBuilder::on(&top)
            .caption(
                format!("lsv sim --scenario {}: backing of sETH", s.name),
                ("sans-serif", 20),
            )
            .margin(12)
            .x_label_area_size(36)
            .y_label_area_size(70)
            .build_cartesian_2d(0f64..days, (lo - pad)..(hi + pad))
            .map_err(|e| err(&e))?;
        chart
            .configure_mesh()
            .x_desc("day")
            .y_desc("ETH per sETH")
            .draw()
            .map_err(|e| err(&e))?;
        let par = RGBColor(120, 120, 120);
        chart
            .draw_series(LineSeries::new(
                [(0.0, 1.0), (days, 1.0)],
                par.stroke_width(1),
            ))
            .map_err(|e| err(&e))?
            .label("par")
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], par));
        let blue = RGBColor(31, 119, 180);
        chart
            .draw_series(LineSeries::new(books, blue.stroke_width(2)))
            .map_err(|e| err(&e))?
            .label("C's books: backing / outstanding")
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], blue));
        let orange = RGBColor(255, 127, 14);
        chart
            .draw_series(LineSeries::new(value, orange.stroke_width(2)))
            .map_err(|e| err(&e))?
            .label("value: what would come back / outstanding")
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], orange));
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::LowerLeft)
            .background_style(WHITE.mix(0.8))
            .border_style(BLACK)
            .draw()
            .map_err(|e| err(&e))?;

        let outstanding = points(&|x| eth(x.outstanding));
        let backing = points(&|x| eth(x.backing));
        let paid = points(&|x| eth(x.paid_out));
        let open = points(&|x| eth(x.open_requests));
        let top_eth = outstanding
            .iter()
            .chain(&backing)
            .chain(&paid)
            .chain(&open)
            .map(|p| p.1)
            .fold(1.0, f64::max)
            * 1.1;
        let mut chart = ChartBuilder::on(&bottom)
            .caption(
                "sETH outstanding, backing, open requests and ETH paid",
                ("sans-serif", 18),
            )
            .margin(12)
            .x_label_area_size(36)
            .y_label_area_size(70)
            .build_cartesian_2d(0f64..days, 0f64..top_eth)
            .map_err(|e| err(&e))?;
        chart
            .configure_mesh()
            .x_desc("day")
            .y_desc("ETH")
            .draw()
            .map_err(|e| err(&e))?;
        let colours = [
            ("sETH outstanding", RGBColor(31, 119, 180), outstanding),
            ("backing (C's books)", RGBColor(44, 160, 44), backing),
            ("open requests", RGBColor(214, 39, 40), open),
            ("paid to redeemers", RGBColor(148, 103, 189), paid),
        ];
        for (name, colour, series) in colours {
            chart
                .draw_series(LineSeries::new(series, colour.stroke_width(2)))
                .map_err(|e| err(&e))?
                .label(name)
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], colour));
        }
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperRight)
            .background_style(WHITE.mix(0.8))
            .border_style(BLACK)
            .draw()
            .map_err(|e| err(&e))?;
        root.present().map_err(|e| err(&e))?;
    }
    Ok(svg)
}

/// `lsv bench sim`.
#[derive(Args, Debug)]
pub(crate) struct SimBenchArgs {
    #[command(flatten)]
    size: SizeArgs,
    /// Simulated days per scenario.
    #[arg(long, default_value_t = 365.0)]
    days: f64,
}

/// `lsv bench sim`: every built-in scenario over `--days` at `--network-validators`, each timed;
/// prints validator-epochs per second for each and for all.
pub(crate) fn bench(args: SimBenchArgs) -> Result<(), CliError> {
    let mut text = format!(
        "lsv bench sim: {} network validators and {} of C's, {} days per scenario\n",
        args.size.network_validators, args.size.vault_validators, args.days
    );
    text.push_str(&format!(
        "{:<20} {:>16} {:>14} {:>10} {:>16}\n",
        "scenario", "validator-epochs", "cohort-epochs", "seconds", "v-epochs/s"
    ));
    let mut total_ve = 0u128;
    let mut total_s = 0f64;
    let mut slowest = 0f64;
    for (name, _) in SCENARIOS {
        let knobs = Knobs {
            network_validators: args.size.network_validators,
            vault_validators: args.size.vault_validators,
            days: Some(args.days),
            ..Knobs::default()
        };
        let scenario = Scenario::builtin(name, &knobs).map_err(|e| e.to_string())?;
        let t = Instant::now();
        let o = lsv_sim::run(&scenario).map_err(|e| e.to_string())?;
        let s = t.elapsed().as_secs_f64();
        total_ve += o.validator_epochs;
        total_s += s;
        slowest = slowest.max(s);
        text.push_str(&format!(
            "{:<20} {:>16} {:>14} {:>10.3} {:>16.3e}\n",
            name,
            o.validator_epochs,
            o.cohort_epochs,
            s,
            o.validator_epochs as f64 / s.max(1e-9)
        ));
    }
    text.push_str(&format!(
        "{:<20} {:>16} {:>14} {:>10.3} {:>16.3e}\n",
        "all",
        total_ve,
        "",
        total_s,
        total_ve as f64 / total_s.max(1e-9)
    ));
    text.push_str(&format!(
        "slowest scenario: {slowest:.3} s for {} days (issue 19 asks at most 60 s for a year at 1,000,000 validators on 2 cores; the model runs on one)",
        args.days
    ));
    crate::output::line(&text)
}
