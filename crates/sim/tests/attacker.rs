//! Attacker economics (`lsv_sim::attacker`): what breaking N of C's enclaves costs the attacker
//! against what sETH holders lose, on the model's own runs at mainnet size and
//! `MAX_VALIDATORS` as `lsv deploy` uses it.

#![allow(unused_crate_dependencies)]

use lsv_sim::attacker::{devices_to_break, pays_from, Attack, AttackRow};
use lsv_sim::economics::RewardTable;
use lsv_sim::recommend::DEPLOY_DEFAULTS;
use std::sync::OnceLock;

fn rewards() -> &'static RewardTable {
    static T: OnceLock<RewardTable> = OnceLock::new();
    T.get_or_init(|| RewardTable::measure(Attack::default().network_validators).unwrap())
}

fn row(n: u64) -> AttackRow {
    Attack::default().run(rewards(), n).unwrap()
}

/// Under the cap the correlation penalty leaves every slashed validator above its 31-ETH debt:
/// holders lose nothing, a short gains nothing, and the attacker bears the whole slashing loss
/// (32 − what it settles at, per validator) plus the rewards forgone and the hardware. At the
/// cap itself that is at least 1 ETH per validator.
#[test]
fn under_the_cap_holders_lose_nothing_and_the_attacker_pays_the_slashing() {
    let cap = DEPLOY_DEFAULTS.max_validators;
    for n in [cap / 4, cap] {
        let r = row(n);
        assert!(r.within_cap);
        assert_eq!(r.holders_loss_eth, 0.0, "N = {n}");
        assert_eq!(r.gain_eth, 0.0);
        assert!(r.net_eth < 0.0);
        assert!(r.settle_eth >= 31.0 && r.settle_eth < 32.0);
        let slashing = n as f64 * (32.0 - r.settle_eth);
        assert!((r.collateral_eth - slashing).abs() < 1e-6 * n as f64);
        assert!(r.forgone_eth > 0.0 && r.hardware_eth > 0.0);
    }
    let r = row(cap);
    assert!(
        r.cost_eth >= cap as f64,
        "at the cap the attacker spends {} ETH on {cap} validators",
        r.cost_eth
    );
    // The more it slashes, the more each slashed validator loses.
    assert!(row(cap / 4).settle_eth > r.settle_eth);
}

/// Beyond the break-even the slashed validators settle below their debt: the attacker loses its
/// whole 1 ETH each, holders lose the rest, and the loss grows faster than N (each validator
/// slashed raises every slashed validator's correlation penalty).
#[test]
fn beyond_the_break_even_holders_loss_grows_with_n() {
    let cap = DEPLOY_DEFAULTS.max_validators;
    let rows: Vec<AttackRow> = [2 * cap, 3 * cap, 4 * cap].into_iter().map(row).collect();
    for r in &rows {
        assert!(!r.within_cap);
        assert!(r.settle_eth < 31.0);
        assert!((r.collateral_eth - r.broken as f64).abs() < 1e-6 * r.broken as f64);
        // What holders lose is what the slashed validators fall short of their debt.
        let short = r.broken as f64 * (31.0 - r.settle_eth);
        assert!(
            (r.holders_loss_eth - short).abs() <= 1e-3 * short,
            "{} against {short}",
            r.holders_loss_eth
        );
        assert!((r.depeg - r.holders_loss_eth / (31.0 * r.broken as f64)).abs() < 1e-12);
    }
    for w in rows.windows(2) {
        assert!(w[1].holders_loss_eth > w[0].holders_loss_eth);
        assert!(
            w[1].holders_loss_eth / w[1].broken as f64 > w[0].holders_loss_eth / w[0].broken as f64
        );
    }
}

/// The attack pays only beyond the cap: the N the search finds has a positive net, a little
/// less does not, and both lie above MAX_VALIDATORS.
#[test]
fn the_attack_pays_only_beyond_the_cap() {
    let attack = Attack::default();
    let cap = attack.max_validators;
    let found = pays_from(&attack, rewards(), cap, 10 * cap)
        .unwrap()
        .expect("the attack pays somewhere below ten times the cap");
    assert!(found.net_eth > 0.0);
    assert!(found.broken > cap);
    let below = attack
        .run(rewards(), found.broken - 10 * cap / 200 - 1)
        .unwrap();
    assert!(below.net_eth <= 0.0);
    // Breaking more devices per key changes the hardware, not the slashing: a few ETH at most.
    let distributed = Attack {
        m: 3,
        n: 4,
        ..attack.clone()
    }
    .run(rewards(), found.broken)
    .unwrap();
    assert_eq!(distributed.devices_broken, 2);
    assert_eq!(distributed.machines, 4);
    assert_eq!(distributed.holders_loss_eth, found.holders_loss_eth);
    assert!(distributed.hardware_eth > found.hardware_eth);
}

/// DESIGN.md, "Many devices": 2-of-3 tolerates no compromised device, 3-of-4 one, 4-of-5 two,
/// n-of-n n − 1; so a slashable signature needs 1, 2, 3 and n broken.
#[test]
fn devices_to_break_follow_the_design() {
    assert_eq!(devices_to_break(1, 1).unwrap(), 1);
    assert_eq!(devices_to_break(2, 3).unwrap(), 1);
    assert_eq!(devices_to_break(3, 4).unwrap(), 2);
    assert_eq!(devices_to_break(4, 5).unwrap(), 3);
    assert_eq!(devices_to_break(5, 5).unwrap(), 5);
    // Keys spread over devices of limited capacity need more sets of devices.
    let attack = Attack {
        m: 3,
        n: 4,
        keys_per_device: 100,
        ..Attack::default()
    };
    let r = attack.run(rewards(), 1_000).unwrap();
    assert_eq!((r.devices_broken, r.machines), (20, 40));
}

#[test]
fn bad_input_is_refused_by_name() {
    let name = |e: lsv_sim::SimError| e.to_string();
    assert!(name(devices_to_break(2, 4).unwrap_err()).starts_with("m:"));
    assert!(name(devices_to_break(5, 4).unwrap_err()).starts_with("m:"));
    assert!(name(devices_to_break(0, 0).unwrap_err()).starts_with("n:"));
    let bad = |a: Attack| name(a.validate().unwrap_err());
    let ok = Attack::default();
    assert!(bad(Attack {
        short_share: 1.5,
        ..ok.clone()
    })
    .starts_with("short-share"));
    assert!(bad(Attack {
        eth_usd: 0.0,
        ..ok.clone()
    })
    .starts_with("eth-usd"));
    assert!(bad(Attack {
        break_usd: f64::NAN,
        ..ok.clone()
    })
    .starts_with("break-usd"));
    assert!(bad(Attack {
        el_apr: -0.1,
        ..ok.clone()
    })
    .starts_with("el-apr"));
    assert!(bad(Attack {
        max_validators: 0,
        ..ok.clone()
    })
    .starts_with("max-validators"));
    assert!(name(ok.run(rewards(), 0).unwrap_err()).starts_with("broken"));
    assert!(name(pays_from(&ok, rewards(), 10, 5).unwrap_err()).starts_with("broken"));
}
