//! Capital efficiency on one basis (`lsv_sim::economics`): each system's rules applied to the
//! model's own reward rate, checked against what those rules must give.

#![allow(unused_crate_dependencies)]

use lsv_sim::economics::{
    compare, compare_with, Comparison, RewardTable, System, CSM_DEFAULT_BOND, EL_APR_DEFAULT,
    LSV_MINT_ETH, MAX_EL_APR, MAX_YEARS,
};
use lsv_sim::spec::{ETH, MIN_ACTIVATION_BALANCE};
use std::sync::OnceLock;

/// The reward table at 1,000,000 network validators, measured once for every test.
fn table() -> &'static RewardTable {
    static T: OnceLock<RewardTable> = OnceLock::new();
    T.get_or_init(|| RewardTable::measure(1_000_000).unwrap())
}

fn comparison(validators: u64) -> Comparison {
    compare(table(), &[1.0, 5.0], validators, 1.0).unwrap()
}

fn eth(gwei: u64) -> f64 {
    gwei as f64 / ETH as f64
}

/// With no fee, lsv's staker keeps on its 1 ETH exactly what the 32 ETH earn: the compounding
/// validator's whole reward, the same as a solo staker's, minus nothing. The sETH holder earns
/// nothing (sETH is a par claim).
#[test]
fn lsv_staker_keeps_the_whole_reward_of_32_eth_on_1_eth() {
    let c = comparison(1);
    let t = table();
    for years in [1.0, 5.0] {
        let epochs = (years * t.epochs_per_year() as f64).round() as u64;
        let balance = eth(t.compounding_balance(epochs, 1.0).unwrap());
        let lsv = c.outcome(System::Lsv, years).unwrap();
        let solo = c.outcome(System::Solo, years).unwrap();
        assert_eq!(lsv.capital_eth, 32.0 - LSV_MINT_ETH);
        assert_eq!(lsv.kept_eth, balance - 32.0);
        assert_eq!(lsv.kept_eth, solo.kept_eth);
        assert_eq!(lsv.holder_return, Some(0.0));
        // 1 ETH of capital earns what 32 ETH earn solo: the staker's return is 32 times the
        // solo staker's kept over capital.
        let solo_ratio = solo.kept_eth / solo.capital_eth;
        assert!((lsv.kept_eth / lsv.capital_eth - 32.0 * solo_ratio).abs() < 1e-9);
    }
}

/// A compounding validator earns more than the skimmed rate over five years, but never more
/// than continuous compounding at that rate: the effective balance steps only after 1.25 ETH of
/// excess (hysteresis), so the compounding lags.
#[test]
fn the_0x02_validator_compounds_in_whole_eth_steps() {
    let t = table();
    let epochs = 5 * t.epochs_per_year();
    let b = eth(t.compounding_balance(epochs, 1.0).unwrap());
    let simple = 32.0 * (1.0 + t.apr() * 5.0);
    let continuous = 32.0 * (t.apr() * 5.0).exp();
    assert!(
        b > simple && b < continuous,
        "{simple} < {b} < {continuous}"
    );
    // Less performance, less balance; none, none.
    let half = eth(t.compounding_balance(epochs, 0.5).unwrap());
    assert!(half < b && half > 32.0);
    assert_eq!(
        t.compounding_balance(epochs, 0.0).unwrap(),
        MIN_ACTIVATION_BALANCE
    );
}

/// Lido's holder keeps 90 % of the gross reward (5 % to operators, 5 % to the treasury; CSM 6 %
/// and 4 %), Rocket Pool's 86 %: checked on one epoch's growth of the token, which is the share
/// times the gross rate, and on the operator's stream.
#[test]
fn holders_keep_their_protocols_share_of_the_gross() {
    let c = comparison(1);
    let t = table();
    let per_epoch = |annual: f64| (1.0 + annual).powf(1.0 / t.epochs_per_year() as f64) - 1.0;
    let g = t.rate_per_epoch();
    for (system, share) in [
        (System::LidoCurated, 0.90),
        (System::LidoCsm, 0.90),
        (System::LidoCsmIcs, 0.90),
        (System::RocketPoolSaturn, 0.86),
        (System::RocketPoolLeb8, 0.86),
    ] {
        let h = c.outcome(system, 1.0).unwrap().holder_return.unwrap();
        assert!((per_epoch(h) / g - share).abs() < 1e-9, "{system:?}");
    }
    // The productive variant's holder gets the whole gross rate of a compounding validator.
    let p = c.outcome(System::LsvProductive, 1.0).unwrap();
    let solo = c.outcome(System::Solo, 1.0).unwrap();
    assert!((p.holder_return.unwrap() - solo.staker_return.unwrap()).abs() < 1e-12);
    // Lido's curated operators keep 5 % of the 32 ETH's rewards, paid in stETH: at least 5 % of
    // the skimmed rewards, less than 5 % of the rewards compounded at the gross rate.
    let curated = c.outcome(System::LidoCurated, 1.0).unwrap();
    let skimmed = 32.0 * t.apr();
    assert!(curated.kept_eth > 0.05 * skimmed && curated.kept_eth < 0.05 * skimmed * 1.03);
    assert_eq!(curated.staker_return, None);
}

/// The productive variant: with perfect performance the owner keeps the reward on its 1 ETH; the
/// owner's share falls with performance and turns negative below 31/32 (the collateral pays the
/// holders).
#[test]
fn productive_seth_moves_the_rewards_on_31_eth_to_the_holder() {
    let t = table();
    let at = |p: f64| {
        compare(t, &[1.0], 1, p)
            .unwrap()
            .outcome(System::LsvProductive, 1.0)
            .unwrap()
            .kept_eth
    };
    let lsv = comparison(1).outcome(System::Lsv, 1.0).unwrap().kept_eth;
    assert!(
        (at(1.0) - lsv / 32.0).abs() < 1e-6,
        "{} {}",
        at(1.0),
        lsv / 32.0
    );
    assert!(at(0.99) < at(1.0));
    assert!(at(0.975) > 0.0);
    assert!(at(0.965) < 0.0);
}

/// More validators lower CSM's bond per validator, so the operator's return rises; the
/// permissionless curve starts higher than the ICS one.
#[test]
fn csm_returns_rise_with_validators() {
    let mut last = 0.0;
    for n in [1, 2, 5, 20, 100] {
        let c = comparison(n);
        let csm = c.outcome(System::LidoCsm, 1.0).unwrap();
        assert!(csm.capital_eth < CSM_DEFAULT_BOND.0 || n == 1);
        let r = csm.staker_return.unwrap();
        assert!(r > last, "{n}: {r} after {last}");
        last = r;
    }
    let c = comparison(1);
    let ics = c.outcome(System::LidoCsmIcs, 1.0).unwrap();
    let csm = c.outcome(System::LidoCsm, 1.0).unwrap();
    assert!(ics.staker_return > csm.staker_return);
}

/// The more stake, the lower the rate (base reward over the square root of the total), and the
/// longer the horizon, the more every staker keeps.
#[test]
fn rewards_fall_with_stake_and_grow_with_time() {
    let small = RewardTable::measure(250_000).unwrap();
    assert!(
        small.apr() > table().apr() * 1.9,
        "{} {}",
        small.apr(),
        table().apr()
    );
    let c = comparison(1);
    for system in System::ALL {
        let one = c.outcome(system, 1.0).unwrap().kept_eth;
        let five = c.outcome(system, 5.0).unwrap().kept_eth;
        assert!(five > one, "{system:?}");
    }
}

#[test]
fn bad_input_is_refused_by_name() {
    let t = table();
    let name = |e: lsv_sim::SimError| e.to_string();
    assert!(name(RewardTable::measure(0).unwrap_err()).starts_with("network_validators"));
    assert!(name(compare(t, &[0.0], 1, 1.0).unwrap_err()).starts_with("years"));
    assert!(name(compare(t, &[f64::NAN], 1, 1.0).unwrap_err()).starts_with("years"));
    assert!(name(compare(t, &[MAX_YEARS + 1.0], 1, 1.0).unwrap_err()).starts_with("years"));
    assert!(name(compare(t, &[], 1, 1.0).unwrap_err()).starts_with("years"));
    assert!(name(compare(t, &[1.0], 0, 1.0).unwrap_err()).starts_with("validators"));
    assert!(name(compare(t, &[1.0], 1, 1.5).unwrap_err()).starts_with("performance"));
    assert!(name(compare(t, &[1.0], 1, f64::NAN).unwrap_err()).starts_with("performance"));
    for bad in [-0.01, MAX_EL_APR + 0.01, f64::NAN] {
        assert!(name(compare_with(t, &[1.0], 1, 1.0, bad).unwrap_err()).starts_with("el-apr"));
    }
}

/// Execution-layer rewards go where each system sends them: to the fee recipient of a solo
/// staker and of lsv's operator (on all 32 ETH, paid as ETH, not restaked), into Lido's and Rocket
/// Pool's gross reward (shared by the same fees). So lsv's staker gains the EL rewards of 32 ETH
/// on its 1 ETH, sETH still earns nothing, and stETH and rETH holders keep 90 % and 86 % of the
/// larger gross.
#[test]
fn execution_layer_rewards_follow_each_systems_fee_recipient() {
    let t = table();
    let without = comparison(1);
    assert_eq!(compare_with(t, &[1.0, 5.0], 1, 1.0, 0.0).unwrap(), without);
    let el = EL_APR_DEFAULT;
    let with = compare_with(t, &[1.0, 5.0], 1, 1.0, el).unwrap();
    for years in [1.0, 5.0] {
        let epochs = (years * t.epochs_per_year() as f64).round();
        let el_32 = 32.0 * el / t.epochs_per_year() as f64 * epochs;
        for system in [System::Solo, System::Lsv, System::LsvProductive] {
            let a = without.outcome(system, years).unwrap();
            let b = with.outcome(system, years).unwrap();
            assert!((b.kept_eth - a.kept_eth - el_32).abs() < 1e-9, "{system:?}");
            assert_eq!(a.holder_return, b.holder_return, "{system:?}");
        }
        for system in System::ALL {
            let a = without.outcome(system, years).unwrap();
            let b = with.outcome(system, years).unwrap();
            assert!(b.kept_eth > a.kept_eth, "{system:?}");
        }
    }
    let per_epoch = |annual: f64| (1.0 + annual).powf(1.0 / t.epochs_per_year() as f64) - 1.0;
    let gross = t.rate_per_epoch() + el / t.epochs_per_year() as f64;
    for (system, share) in [
        (System::LidoCurated, 0.90),
        (System::LidoCsm, 0.90),
        (System::RocketPoolSaturn, 0.86),
    ] {
        let h = with.outcome(system, 1.0).unwrap().holder_return.unwrap();
        assert!((per_epoch(h) / gross - share).abs() < 1e-9, "{system:?}");
    }
    // The report says where the EL rewards of every system go.
    let report = with.report();
    for system in System::ALL {
        assert!(report.contains(system.name()));
    }
    assert!(report.contains("LidoExecutionLayerRewardsVault"));
}
