//! Attacker economics (issue 19, item 3): what breaking the enclaves of N of C's validators costs
//! an attacker, against what sETH holders lose and what the attacker could gain from it, under
//! `MAX_VALIDATORS` and beyond it.
//!
//! **The attacker.** The threat model's row for a broken TEE: the holder of the machine, with a
//! memory-bus interposer, extracts what the enclave holds (DESIGN.md, "Threat model"). So the
//! attacker is an operator: it joins C with N validators of its own, 32 ETH each, and is lent 31
//! sETH against each (which it sells at par before it strikes, so the depeg does not touch it),
//! then breaks its own devices and has every one of the N keys sign a slashable pair at once.
//! With the key shared m-of-n over n devices on distinct platforms (DESIGN.md, "Many devices";
//! `crates/attestation`), a slashable pair needs `2m − n` of the n devices broken: each of the
//! `n − k` unbroken devices signs at most one of the two messages and each message needs `m`
//! signers, so `2m ≤ 2k + (n − k)`, that is `k ≥ 2m − n`. A
//! platform holds shares of many keys (C requires distinct platforms within a key, not across
//! keys), so by default the attacker breaks `2m − n` machines in all and owns `n`; with
//! [`Attack::keys_per_device`] it needs more.
//!
//! **What it costs the attacker**, per validator: the collateral, `1 − max(0, B − 31)` ETH, where
//! `B` is what the slashed validator settles at (C takes `min(B, 31)`, the owner the rest);
//! the rewards the 32 ETH would have earned while the slashed validator waits to be withdrawable
//! (`EPOCHS_PER_SLASHINGS_VECTOR` epochs), consensus at the model's rate and execution-layer at
//! [`crate::economics::EL_APR_DEFAULT`]; the exit itself costs nothing more (the slashing exits
//! the validator; C pays no eject reward for a slashed one). And once: the machines and the
//! breaks, at the published attacks' stated costs ([`WIRETAP_USD`], [`TEE_FAIL_USD`],
//! [`BATTERING_RAM_USD`]) and an estimated machine price, converted at a stated ETH price.
//!
//! **What holders lose** is the model's: the `tee-break` scenario with N of C's validators
//! slashed at once and a background share of the network slashed in the same window, no
//! redemptions, run to settlement; the debt left unpaid is the holders' loss. C holds
//! `max(N, MAX_VALIDATORS)` validators (full up to the cap; beyond it as if the cap were raised),
//! so the loss is spread over all of their sETH.
//!
//! **What the attacker could gain**: a short position on sETH. The loss spread over the sETH
//! outstanding is the depeg; a short of [`Attack::short_share`] of the outstanding sETH gains
//! that share of the loss (1, the default, is the upper bound of a market that lets it short
//! every sETH there is). The attack pays when the gain exceeds the cost; [`pays_from`] finds
//! the smallest N at which it does.
//!
//! Not priced: an attacker who breaks other operators' machines (it needs physical access to
//! each, and then loses no collateral of its own), extracting a platform's attestation key to
//! forge evidence for keys made outside an enclave (the same break, used at join instead of at
//! the end), borrowing costs of the short, and the price impact of selling 31·N sETH.

use crate::economics::{RewardTable, DAYS_PER_YEAR, EL_APR_DEFAULT, LSV_MINT_ETH};
use crate::recommend::{Stress, DEPLOY_DEFAULTS};
use crate::scenario::{run, Knobs, Scenario, SimError};
use crate::spec::{Gwei, ETH, MAX_WITHDRAWALS_PER_PAYLOAD, MIN_ACTIVATION_BALANCE};

/// WireTap (Georgia Tech and Purdue, disclosed 2025-10-01; wiretap.fail): a passive interposer
/// on a DDR4 DIMM, built from second-hand electronics for under US$1,000, with physical access
/// to the server, extracted the SGX DCAP attestation key of a Scalable-SGX Xeon in 45 minutes
/// (reported by The Hacker News, 2025-10; SC Media, 2025-10; CyberSecureFox, 2025-10). The
/// figure is the stated upper bound.
pub const WIRETAP_USD: f64 = 1_000.0;
/// TEE.fail (Georgia Tech, Purdue and van Schaik LLC, 2025-10; tee.fail): the same passive
/// approach on DDR5, against SGX, TDX and SEV-SNP, with an interposer of under US$1,000
/// (reported by rivista.ai, 2025-10-30; Safeheron, "From WireTap to TEE.fail", 2025-11).
pub const TEE_FAIL_USD: f64 = 1_000.0;
/// Battering RAM (KU Leuven and University of Birmingham, 2025-10, IEEE S&P 2026;
/// batteringram.eu): an active DDR4 interposer that makes memory aliases, breaking Scalable SGX
/// and SEV-SNP; its artifact's bill of materials (github.com/batteringramattack/batteringram,
/// README "Hardware requirements": DIMM connector $16, Raspberry Pi Pico 2 $5, two analog switches
/// $4 each, regulator $0.65, passives) sums to about US$30. A PCB and assembly come on top.
pub const BATTERING_RAM_USD: f64 = 30.0;
/// The break cost per device the table uses by default: the highest of the three (the
/// conservative figure for the attacker's cost is the lowest, but at any of them the hardware
/// is negligible beside the collateral; see [`BATTERING_RAM_USD`]).
pub const BREAK_USD_DEFAULT: f64 = WIRETAP_USD;
/// An SGX- or TDX-capable server to run the enclave on, US$: **an estimate**, not a published
/// price. The seed's replies (vans163, 2022-06-07) put a low-end SGX Xeon with motherboard at
/// about 0.5 ETH then and LGA4189 boards at about $1,000 each.
pub const MACHINE_USD_DEFAULT: f64 = 2_000.0;
/// ETH's price in US$ used to convert the hardware: **an estimate**, a parameter (the hardware
/// is a few ETH at any plausible price).
pub const ETH_USD_DEFAULT: f64 = 3_000.0;

/// The attack's setting and the attacker's prices.
#[derive(Clone, Debug, PartialEq)]
pub struct Attack {
    /// Validators of the rest of the network (32 ETH each).
    pub network_validators: u64,
    /// Share of the network slashed by others in the same window.
    pub background_slashed_share: f64,
    /// `MAX_VALIDATORS`: C holds at least this many validators (full), or N if more.
    pub max_validators: u64,
    /// The signing threshold m of each key's n devices (1 and 1: one device per key).
    pub m: u64,
    /// The devices per key.
    pub n: u64,
    /// Keys one device may hold shares of (0: any number, one set of n devices for all).
    pub keys_per_device: u64,
    /// Breaking one device (US$).
    pub break_usd: f64,
    /// Owning one machine (US$).
    pub machine_usd: f64,
    /// ETH's price (US$).
    pub eth_usd: f64,
    /// Execution-layer rewards a year as a share of the stake (forgone while slashed).
    pub el_apr: f64,
    /// Share of the outstanding sETH the attacker is short when it strikes (0 to 1).
    pub short_share: f64,
}

impl Default for Attack {
    fn default() -> Self {
        let stress = Stress::default();
        Self {
            network_validators: stress.network_validators,
            background_slashed_share: stress.background_slashed_share,
            max_validators: DEPLOY_DEFAULTS.max_validators,
            m: 1,
            n: 1,
            keys_per_device: 0,
            break_usd: BREAK_USD_DEFAULT,
            machine_usd: MACHINE_USD_DEFAULT,
            eth_usd: ETH_USD_DEFAULT,
            el_apr: EL_APR_DEFAULT,
            short_share: 1.0,
        }
    }
}

fn invalid(name: &'static str, reason: impl Into<String>) -> SimError {
    SimError::InvalidParameter {
        name,
        reason: reason.into(),
    }
}

/// Devices of a key's `n` that must be broken for a slashable signature under an m-of-n
/// threshold: `2m − n`. An error unless `n/2 < m ≤ n` (below a majority two disjoint quorums
/// exist and no device need be broken; DESIGN.md requires `m > n/2`) and `n` is 1 to 255.
pub fn devices_to_break(m: u64, n: u64) -> Result<u64, SimError> {
    if !(1..=255).contains(&n) {
        return Err(invalid(
            "n",
            format!("{n}: devices per key must be 1 to 255"),
        ));
    }
    if m > n || 2 * m <= n {
        return Err(invalid(
            "m",
            format!("{m}-of-{n}: the threshold must satisfy n/2 < m <= n"),
        ));
    }
    Ok(2 * m - n)
}

impl Attack {
    /// Checks the parameters; an error names the first one out of range.
    pub fn validate(&self) -> Result<(), SimError> {
        devices_to_break(self.m, self.n)?;
        if self.network_validators == 0 || self.network_validators > 100_000_000 {
            return Err(invalid(
                "network-validators",
                format!("{}: must be 1 to 100,000,000", self.network_validators),
            ));
        }
        if self.max_validators == 0 || self.max_validators > self.network_validators {
            return Err(invalid(
                "max-validators",
                format!(
                    "{}: must be 1 to the network's {} validators",
                    self.max_validators, self.network_validators
                ),
            ));
        }
        let share = |name, v: f64| {
            if (0.0..=1.0).contains(&v) {
                Ok(())
            } else {
                Err(invalid(name, format!("{v} is not a share between 0 and 1")))
            }
        };
        share("background-slashed-share", self.background_slashed_share)?;
        share("short-share", self.short_share)?;
        for (name, v) in [
            ("break-usd", self.break_usd),
            ("machine-usd", self.machine_usd),
        ] {
            if !(v.is_finite() && v >= 0.0) {
                return Err(invalid(name, format!("{v}: must be a price of 0 or more")));
            }
        }
        if !(self.eth_usd.is_finite() && self.eth_usd > 0.0) {
            return Err(invalid(
                "eth-usd",
                format!("{}: must be a price above 0", self.eth_usd),
            ));
        }
        if !(0.0..=crate::economics::MAX_EL_APR).contains(&self.el_apr) {
            return Err(invalid(
                "el-apr",
                format!(
                    "{}: must be 0 to {}",
                    self.el_apr,
                    crate::economics::MAX_EL_APR
                ),
            ));
        }
        Ok(())
    }

    /// The `tee-break` run for `broken` of C's validators slashed at once.
    pub fn scenario(&self, broken: u64) -> Result<Scenario, SimError> {
        if broken == 0 || broken > self.network_validators {
            return Err(invalid(
                "broken",
                format!(
                    "{broken}: must be 1 to the network's {} validators",
                    self.network_validators
                ),
            ));
        }
        let vault = broken.max(self.max_validators);
        // Long enough for every slashed validator to settle: withdrawable 8,192 epochs after the
        // slashing (36.4 days), or 256 after its exit if the exit churn takes longer to let all
        // of them out, then up to a sweep cycle, and three days to spare.
        let config = crate::spec::ChainConfig::mainnet();
        let total = self.network_validators + vault;
        let background = (self.network_validators as f64 * self.background_slashed_share).round();
        let churn = config.activation_exit_churn_limit(total * MIN_ACTIVATION_BALANCE);
        let exits = ((broken as f64 + background) * MIN_ACTIVATION_BALANCE as f64 / churn as f64)
            .ceil() as u64;
        let withdrawable = config
            .epochs_per_slashings_vector
            .max(exits + config.min_validator_withdrawability_delay + 5);
        let cycle = total.div_ceil(config.slots_per_epoch * MAX_WITHDRAWALS_PER_PAYLOAD);
        let per_day = config.epochs_per_day();
        let days = (withdrawable + cycle + 3 * per_day) as f64 / per_day as f64;
        let knobs = Knobs {
            network_validators: self.network_validators,
            vault_validators: vault,
            slashed: Some(broken),
            network_slashed_share: Some(self.background_slashed_share),
            redeem_share: Some(0.0),
            inactivity_trigger: DEPLOY_DEFAULTS.inactivity_trigger,
            days: Some(days.min(3650.0)),
            ..Knobs::default()
        };
        Scenario::builtin("tee-break", &knobs)
    }

    /// Runs the attack on `broken` of C's validators and prices it, with the consensus reward
    /// rate of `rewards` (measured at the same network size).
    pub fn run(&self, rewards: &RewardTable, broken: u64) -> Result<AttackRow, SimError> {
        self.validate()?;
        let s = self.scenario(broken)?;
        let o = run(&s)?;
        if o.settled < broken {
            return Err(invalid(
                "broken",
                format!(
                    "only {} of {broken} slashed positions settled within the run",
                    o.settled
                ),
            ));
        }
        let eth = |g: Gwei| g as f64 / ETH as f64;
        let n = broken as f64;
        let mint = LSV_MINT_ETH;
        // The slashed validators all settle alike (slashed at once, withdrawable together); the
        // lowest balance C's live validators reached is theirs just before the sweep.
        let settle = eth(o.min_balance);
        let residual = (settle - mint).clamp(0.0, eth(MIN_ACTIVATION_BALANCE) - mint);
        let collateral = n * (eth(MIN_ACTIVATION_BALANCE) - mint - residual);
        let per_day = s.config.epochs_per_day() as f64;
        let lock_days = s.config.epochs_per_slashings_vector as f64 / per_day;
        let yearly = rewards.apr() + self.el_apr;
        let forgone = n * eth(MIN_ACTIVATION_BALANCE) * yearly * lock_days / DAYS_PER_YEAR as f64;
        let sets = if self.keys_per_device == 0 {
            1
        } else {
            broken.div_ceil(self.keys_per_device)
        };
        let devices_broken = devices_to_break(self.m, self.n)? * sets;
        let machines = self.n * sets;
        let hardware = (machines as f64 * self.machine_usd
            + devices_broken as f64 * self.break_usd)
            / self.eth_usd;
        let loss = eth(o.unpaid_debt);
        let outstanding = s.vault_validators as f64 * mint;
        let background = (self.network_validators as f64 * self.background_slashed_share).round();
        let total = (self.network_validators + s.vault_validators) as f64;
        let gain = self.short_share * loss;
        let cost = collateral + forgone + hardware;
        Ok(AttackRow {
            broken,
            vault_validators: s.vault_validators,
            within_cap: broken <= self.max_validators,
            slashed_share: (n + background) / total,
            settle_eth: settle,
            holders_loss_eth: loss,
            outstanding_seth: outstanding,
            depeg: loss / outstanding,
            collateral_eth: collateral,
            forgone_eth: forgone,
            hardware_eth: hardware,
            devices_broken,
            machines,
            cost_eth: cost,
            gain_eth: gain,
            net_eth: gain - cost,
        })
    }
}

/// One N of the table: what the attack did and what it cost and paid.
#[derive(Clone, Debug, PartialEq)]
pub struct AttackRow {
    /// C's validators slashed by the attacker (N).
    pub broken: u64,
    /// C's validators (the cap, or N beyond it).
    pub vault_validators: u64,
    /// N is at most `MAX_VALIDATORS`.
    pub within_cap: bool,
    /// All stake slashed in the window (the attacker's and the background), over all stake.
    pub slashed_share: f64,
    /// What each slashed validator settled at (ETH).
    pub settle_eth: f64,
    /// Debt left unpaid at settlement: the holders' loss (ETH).
    pub holders_loss_eth: f64,
    /// sETH outstanding.
    pub outstanding_seth: f64,
    /// The loss over the sETH outstanding: what a sETH is short of par.
    pub depeg: f64,
    /// The attacker's collateral lost (ETH): per validator 1 ETH less what it got back above 31.
    pub collateral_eth: f64,
    /// Rewards the attacker's 32-ETH validators would have earned while slashed and locked (ETH).
    pub forgone_eth: f64,
    /// Machines and breaks (ETH).
    pub hardware_eth: f64,
    /// Devices broken.
    pub devices_broken: u64,
    /// Machines owned.
    pub machines: u64,
    /// The attacker's whole cost (ETH).
    pub cost_eth: f64,
    /// The short position's gain (ETH).
    pub gain_eth: f64,
    /// Gain less cost (ETH): above 0, the attack pays.
    pub net_eth: f64,
}

/// The smallest N in `[lo, hi]` (to within `hi / 200` validators) at which the attack pays
/// (`net_eth > 0`), with the row there; `None` if it does not pay at `hi`. Beyond the slashing
/// break-even the holders' loss grows faster than linearly in N (each validator slashed raises
/// every slashed validator's correlation penalty) while the cost grows linearly, so the net
/// crosses 0 once.
pub fn pays_from(
    attack: &Attack,
    rewards: &RewardTable,
    lo: u64,
    hi: u64,
) -> Result<Option<AttackRow>, SimError> {
    if lo == 0 || lo > hi {
        return Err(invalid("broken", format!("{lo}..{hi}: not a range of N")));
    }
    let top = attack.run(rewards, hi)?;
    if top.net_eth <= 0.0 {
        return Ok(None);
    }
    let (mut lo, mut hi, mut best) = (lo, hi, top);
    let tolerance = (hi / 200).max(1);
    while hi - lo > tolerance {
        let mid = lo + (hi - lo) / 2;
        let row = attack.run(rewards, mid)?;
        if row.net_eth > 0.0 {
            hi = mid;
            best = row;
        } else {
            lo = mid;
        }
    }
    Ok(Some(best))
}

/// The default N to tabulate: from a quarter of `MAX_VALIDATORS` to six times it.
pub fn default_broken(max_validators: u64) -> Vec<u64> {
    [0.25, 0.5, 1.0, 1.5, 2.0, 3.0, 4.0, 6.0]
        .iter()
        .map(|f| ((max_validators as f64 * f).round() as u64).max(1))
        .collect()
}

/// The table as text: the setting, one line per N, and the break-even (`pays`: `None` if it was
/// not searched, `Some(None)` if the attack did not pay at any N searched).
pub fn report(attack: &Attack, rows: &[AttackRow], pays: Option<Option<&AttackRow>>) -> String {
    let mut t = String::new();
    let mut line = |l: String| {
        t.push_str(&l);
        t.push('\n');
    };
    let devices = devices_to_break(attack.m, attack.n).unwrap_or(0);
    line(format!(
        "network: {} validators of 32 ETH, {:.3}% of them slashed by others in the window; C full at MAX_VALIDATORS = {} (beyond it: C holds N)",
        attack.network_validators,
        attack.background_slashed_share * 100.0,
        attack.max_validators
    ));
    line(format!(
        "attacker: the operator of N validators, {}-of-{} devices per key ({devices} to break per key set), {}; a break ${:.0} and a machine ${:.0} each at ${:.0}/ETH; short {:.0}% of the sETH outstanding",
        attack.m,
        attack.n,
        if attack.keys_per_device == 0 {
            "one set of devices for every key".to_string()
        } else {
            format!("{} keys per device", attack.keys_per_device)
        },
        attack.break_usd,
        attack.machine_usd,
        attack.eth_usd,
        attack.short_share * 100.0
    ));
    line(String::new());
    line(format!(
        "{:>7} {:>4} {:>8} {:>9} {:>12} {:>8} {:>11} {:>10} {:>9} {:>9} {:>12} {:>12}",
        "N",
        "cap",
        "slashed",
        "settle",
        "holders lose",
        "depeg",
        "collateral",
        "forgone",
        "hardware",
        "cost",
        "short gain",
        "net"
    ));
    for r in rows {
        line(format!(
            "{:>7} {:>4} {:>7.3}% {:>9.4} {:>12.1} {:>7.3}% {:>11.1} {:>10.1} {:>9.2} {:>9.1} {:>12.1} {:>12.1}",
            r.broken,
            if r.within_cap { "≤" } else { ">" },
            r.slashed_share * 100.0,
            r.settle_eth,
            r.holders_loss_eth,
            r.depeg * 100.0,
            r.collateral_eth,
            r.forgone_eth,
            r.hardware_eth,
            r.cost_eth,
            r.gain_eth,
            r.net_eth
        ));
    }
    line(String::new());
    line("settle: ETH each slashed validator settles at (C takes up to 31); holders lose: debt left unpaid; depeg: that over the sETH outstanding".into());
    line("cost: collateral (1 ETH each, less what came back above 31) + rewards forgone while slashed (36.4 days, consensus + execution) + hardware; ETH".into());
    match pays {
        Some(Some(r)) => line(format!(
            "the attack pays from N ≈ {} ({:.2}x MAX_VALIDATORS, {:.3}% of all stake slashed with the background): holders lose {:.0} ETH, the attacker spends {:.0} and gains {:.0}",
            r.broken,
            r.broken as f64 / attack.max_validators as f64,
            r.slashed_share * 100.0,
            r.holders_loss_eth,
            r.cost_eth,
            r.gain_eth
        )),
        Some(None) => line("the attack does not pay at any N searched".into()),
        None => line("(the N from which the attack pays was not searched)".into()),
    }
    t
}
