//! The model parts behind `lsv sim recommend`'s grids over C's deployment parameters: re-sent
//! exit requests (`EXIT_RESEND_BLOCKS`), the wind-down's delay against a proof outage
//! (`WIND_DOWN_DELAY`), and the queue's smallest request (`MIN_REDEEM`). Small networks, so each
//! runs in a debug build in seconds.

#![allow(unused_crate_dependencies)]

use lsv_sim::recommend::redeem_gas_share;
use lsv_sim::spec::{withdrawal_request_fee, ETH};
use lsv_sim::vault::{Vault, VaultParams};
use lsv_sim::{run, Knobs, Outcome, Scenario};

fn knobs() -> Knobs {
    Knobs {
        network_validators: 20_000,
        vault_validators: 40,
        ..Knobs::default()
    }
}

/// A dead C (proofs stop at epoch 2, never back) whose newest quarter activates `after_start`
/// days after the wind-down started, with re-sends allowed after `resend` blocks.
fn pending_wind_down(resend: u64, after_start: f64) -> (Scenario, Outcome) {
    let k = Knobs {
        days: Some(37.0 + after_start + 25.0),
        pending_share: Some(0.25),
        exit_resend_blocks: resend,
        exit_fee_floor_gwei: 1_000,
        ..knobs()
    };
    let mut s = Scenario::builtin("wind-down", &k).unwrap();
    let per_day = s.config.epochs_per_day();
    let start = 2 + s.vault.wind_down_delay_epochs + 1 + s.vault.wind_down_notice_epochs;
    s.pending_activation_epochs = start + (after_start * per_day as f64) as u64;
    let o = run(&s).unwrap();
    (s, o)
}

/// The wind-down's first requests for validators not yet active are ignored by the consensus
/// layer (`process_withdrawal_request`); only re-sends get them out, once they are eligible.
#[test]
fn a_resend_after_an_ignored_request_gets_the_validator_out() {
    let (s, o) = pending_wind_down(1_800, 3.0);
    let w = o.wind_down.as_ref().expect("wound down");
    assert!(w.started.is_some());
    assert!(o.resends > 0, "no re-send");
    let eligible = s.pending_activation_epochs + s.config.shard_committee_period;
    let out = o.all_exiting_at.expect("every validator exits");
    assert!(out >= eligible, "out at {out}, eligible at {eligible}");
    // Within one re-send interval (and the callers' pace) of eligibility.
    let interval = s.vault.exit_resend_epochs(s.config.slots_per_epoch);
    assert!(
        out <= eligible + interval + 2,
        "{out} > {eligible} + {interval}"
    );
    assert!(w.at_par.is_some(), "holders paid par");
    // Every re-send paid the spike's fee.
    assert!(o.exit_fees_wei.0 >= o.resends as u128 * withdrawal_request_fee(s.background_excess));
}

/// A longer re-send interval sends fewer requests (fewer fees) and lets the validators out no
/// sooner.
#[test]
fn a_longer_resend_interval_pays_fewer_fees_and_exits_no_sooner() {
    let (_, often) = pending_wind_down(32, 3.0);
    let (_, daily) = pending_wind_down(7_200, 3.0);
    assert!(
        often.resends > daily.resends,
        "{} vs {}",
        often.resends,
        daily.resends
    );
    assert!(often.exit_fees_wei.0 > daily.exit_fees_wei.0);
    assert!(often.all_exiting_at.unwrap() <= daily.all_exiting_at.unwrap());
}

/// With proofs, C ejects and demands only what a proof shows eligible, so nothing is re-sent.
#[test]
fn with_proofs_no_request_is_lost_and_none_is_resent() {
    let o = run(&Scenario::builtin("bank-run", &knobs()).unwrap()).unwrap();
    assert!(o.demand_exits > 0);
    assert_eq!(o.resends, 0);
}

fn outage(delay_days: f64, outage_days: f64) -> Outcome {
    let k = Knobs {
        days: Some(outage_days.max(delay_days + 7.0) + 5.0),
        wind_down_delay_days: delay_days,
        proof_outage_days: Some(outage_days),
        ..knobs()
    };
    run(&Scenario::builtin("wind-down", &k).unwrap()).unwrap()
}

/// An outage longer than `WIND_DOWN_DELAY` plus the notice starts a wind-down nobody needed;
/// a shorter one only leaves a notice that the next proof voids.
#[test]
fn a_wind_down_delay_shorter_than_an_outage_starts_the_wind_down() {
    let long = outage(30.0, 40.0);
    assert!(long.wind_down.and_then(|w| w.started).is_some());
    let noticed_only = outage(30.0, 33.0);
    assert!(
        noticed_only.wind_down.is_none(),
        "the proof voided the notice"
    );
    let longer_delay = outage(60.0, 40.0);
    assert!(longer_delay.wind_down.is_none());
    // The ridden-out outage leaves the queue served as before: every request finalized.
    assert_eq!(longer_delay.time_to_redeem().1, 0);
}

/// The holders of a dead C wait for the delay: a longer one pays par later.
#[test]
fn holders_of_a_dead_c_wait_longer_with_a_longer_delay() {
    let par = |delay: f64| {
        let k = Knobs {
            days: Some(delay + 40.0),
            wind_down_delay_days: delay,
            offline_share: Some(1.0),
            ..knobs()
        };
        let o = run(&Scenario::builtin("wind-down", &k).unwrap()).unwrap();
        assert_eq!(o.unpaid_debt, 0);
        o.wind_down.unwrap().at_par.expect("par")
    };
    let (short, long) = (par(30.0), par(60.0));
    assert!(long >= short + 30 * 225, "{short} {long}");
}

/// `requestRedeem` refuses less than `MIN_REDEEM`: a holder below it cannot redeem, and a share
/// split into more requests than it allows makes fewer, larger ones.
#[test]
fn min_redeem_bounds_the_requests() {
    let params = VaultParams {
        min_redeem: ETH,
        ..VaultParams::new(100, 225)
    };
    let mut v = Vault::new(params, 10, 0);
    v.request_redeem(ETH / 2, 1, 0);
    assert!(v.requests.is_empty());
    assert_eq!(v.refused, ETH / 2);
    v.request_redeem(5 * ETH, 100, 0);
    assert_eq!(v.requests.len(), 5);
    assert!(v.requests.iter().all(|r| r.amount >= ETH));
    assert_eq!(v.requested_total, 5 * ETH);
}

/// A griefer's requests of `MIN_REDEEM` ahead of a bank run cost the holders behind them
/// nothing but the griefer's own sETH ahead: finalization takes any number of requests at once.
#[test]
fn queue_spam_costs_the_griefer_not_the_holders() {
    let holders = |spam: Option<f64>, min_redeem: u64| {
        let k = Knobs {
            spam_seth: spam,
            min_redeem_gwei: min_redeem,
            ..knobs()
        };
        let o = run(&Scenario::builtin("bank-run", &k).unwrap()).unwrap();
        let last = o.requests.last().unwrap();
        (o.requests.len(), last.finalized.unwrap().0 - last.epoch)
    };
    let (n_fine, wait_fine) = holders(Some(10.0), 1_000_000);
    let (n_coarse, wait_coarse) = holders(Some(10.0), 100_000_000);
    assert_eq!(n_fine - 100, 10_000);
    assert_eq!(n_coarse - 100, 100);
    assert_eq!(wait_fine, wait_coarse);
    // The smaller MIN_REDEEM, the larger the share of a smallest request its gas takes.
    assert!(redeem_gas_share(1_000_000, 10.0) > redeem_gas_share(100_000_000, 10.0));
}

#[test]
fn bad_parameters_of_c_are_refused_by_name() {
    for (k, name) in [
        (
            Knobs {
                wind_down_delay_days: 29.0,
                ..knobs()
            },
            "wind-down-delay-days",
        ),
        (
            Knobs {
                exit_resend_blocks: 0,
                ..knobs()
            },
            "exit-resend-blocks",
        ),
        (
            Knobs {
                min_redeem_gwei: 0,
                ..knobs()
            },
            "min-redeem",
        ),
        (
            Knobs {
                pending_share: Some(2.0),
                ..knobs()
            },
            "pending-share",
        ),
    ] {
        let e = Scenario::builtin("wind-down", &k).unwrap_err().to_string();
        assert!(e.starts_with(name), "{e}");
    }
}
