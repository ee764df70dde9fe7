//! The cohort model against the consensus spec's own formulas, computed here independently: the
//! inactivity leak's start and its quadratic penalty, the slashing penalties (Electra's minimum
//! and correlation penalties), and the EIP-7251 exit churn.

#![allow(unused_crate_dependencies)]

use lsv_sim::network::{Cohort, Network};
use lsv_sim::spec::*;

const START: Epoch = 100_000;

/// The spec's base reward of a 32-ETH validator at `total` active balance, and its penalty for
/// missing source and target (altair `get_flag_index_deltas`).
fn flag_penalty(total: Gwei) -> Gwei {
    let per_increment =
        EFFECTIVE_BALANCE_INCREMENT * BASE_REWARD_FACTOR / integer_squareroot(total);
    let base = 32 * per_increment;
    base * TIMELY_SOURCE_WEIGHT / WEIGHT_DENOMINATOR
        + base * TIMELY_TARGET_WEIGHT / WEIGHT_DENOMINATOR
}

/// 600 validators online and 400 offline from the start: finality stops, the leak starts once
/// the finality delay exceeds `MIN_EPOCHS_TO_INACTIVITY_PENALTY`, and from then on each offline
/// validator's score grows by `INACTIVITY_SCORE_BIAS` an epoch and its penalty is
/// `effective * score / 2^26`: after n leak epochs, `effective * 4 * n(n+1)/2 / 2^26` in total.
#[test]
fn a_leak_of_known_length_costs_the_closed_form_inactivity_penalty() {
    let online = Cohort::active(600, 32 * ETH, false);
    let mut offline = Cohort::active(400, 32 * ETH, true);
    offline.online = false;
    offline.prev_online = false;
    let mut net = Network::new(ChainConfig::mainnet(), START, vec![online, offline]);
    net.block_rewards = false;
    let total = 1000 * 32 * ETH;
    let per_epoch_flags = flag_penalty(total);

    let mut leak_epochs = 0u64;
    let mut first_leak = None;
    // 12 leak epochs keep the loss under the 0.25 ETH hysteresis: the effective balance, and so
    // every term, stays that of 32 ETH.
    while leak_epochs < 12 {
        net.process_blocks();
        let processing = net.epoch;
        let leaking = net.totals().leak;
        net.process_epoch();
        if leaking {
            leak_epochs += 1;
            first_leak.get_or_insert(processing);
        }
    }
    // finalized = START - 2 and nothing justified since; the epoch processed is in a leak once
    // (current - 1) - finalized > 4, from START + 4 on.
    assert_eq!(first_leak, Some(START + 4));
    assert_eq!(net.finalized, START - 2);
    let epochs = net.epoch - START;
    let offline = net.cohorts.iter().find(|c| !c.online).unwrap();
    assert_eq!(offline.effective, 32 * ETH);
    assert_eq!(offline.score, 4 * leak_epochs);

    // Exact: the spec's integer terms, one per leak epoch (score 4k in the k-th).
    let inactivity: Gwei = (1..=leak_epochs)
        .map(|k| {
            32 * ETH * (4 * k) / (INACTIVITY_SCORE_BIAS * INACTIVITY_PENALTY_QUOTIENT_BELLATRIX)
        })
        .sum();
    let expected = 32 * ETH - epochs * per_epoch_flags - inactivity;
    assert_eq!(offline.balance, expected);
    // Closed form, to within one Gwei of rounding per epoch.
    let n = leak_epochs as u128;
    let closed = (32 * ETH) as u128 * 4 * n * (n + 1) / 2 / (1u128 << 26);
    assert!(
        (closed as i128 - inactivity as i128).unsigned_abs() <= n,
        "{closed} vs {inactivity}"
    );

    // The online validators lost nothing and earned nothing in the leak (no flag rewards).
    let online = net.cohorts.iter().find(|c| c.online).unwrap();
    assert!(online.balance >= 32 * ETH && online.score == 0);
}

/// Out of a leak the score of a validator that comes back falls by 1 + 16 an epoch, and an
/// offline validator's score does not grow (4 up, 16 down).
#[test]
fn scores_recover_out_of_a_leak() {
    let online = Cohort::active(900, 32 * ETH, false);
    let mut back = Cohort::active(100, 32 * ETH, true);
    back.score = 100;
    let mut offline = Cohort::active(10, 32 * ETH, true);
    offline.online = false;
    offline.prev_online = false;
    offline.tag = 7;
    let mut net = Network::new(ChainConfig::mainnet(), START, vec![online, back, offline]);
    net.block_rewards = false;
    net.process_blocks();
    net.process_epoch();
    assert!(!net.totals().leak);
    let score = |tag: u32, score_of: &Network| {
        score_of
            .cohorts
            .iter()
            .find(|c| c.tag == tag && c.compounding)
            .unwrap()
            .score
    };
    assert_eq!(score(0, &net), 100 - 1 - INACTIVITY_SCORE_RECOVERY_RATE);
    assert_eq!(score(7, &net), 0);
}

/// A slashing of 1% of the stake: `slash_validator` takes `effective / 4096` at once, and
/// `process_slashings` takes, `EPOCHS_PER_SLASHINGS_VECTOR / 2` epochs before the withdrawable
/// epoch, `min(3 * slashed, total) // (total // 1 ETH) * 32` (Electra).
#[test]
fn a_slashing_of_a_known_fraction_costs_the_spec_correlation_penalty() {
    let config = ChainConfig::mainnet();
    let honest = Cohort::active(9_900, 32 * ETH, false);
    let mut victims = Cohort::active(100, 32 * ETH, true);
    victims.tag = 1;
    let mut net = Network::new(config.clone(), START, vec![honest, victims]);
    net.block_rewards = false;
    let i = net.cohorts.iter().position(|c| c.tag == 1).unwrap();
    net.slash(i);
    let slashed: Vec<&Cohort> = net.cohorts.iter().filter(|c| c.slashed).collect();
    assert_eq!(slashed.iter().map(|c| c.count).sum::<u64>(), 100);
    for c in &slashed {
        assert_eq!(
            c.balance,
            32 * ETH - 32 * ETH / MIN_SLASHING_PENALTY_QUOTIENT_ELECTRA
        );
        assert_eq!(
            c.withdrawable_epoch,
            START + config.epochs_per_slashings_vector
        );
    }
    // 3,200 ETH through a churn of 128 ETH (the minimum, at 320,000 ETH staked): 4 an epoch.
    let exits: std::collections::BTreeSet<Epoch> = slashed.iter().map(|c| c.exit_epoch).collect();
    assert_eq!(exits.len(), 25);
    assert_eq!(
        *exits.first().unwrap(),
        compute_activation_exit_epoch(START)
    );

    let penalty_epoch = START + config.epochs_per_slashings_vector / 2;
    let mut before = 0;
    while net.epoch <= penalty_epoch {
        net.process_blocks();
        if net.epoch == penalty_epoch {
            before = net.cohorts.iter().find(|c| c.slashed).unwrap().balance;
        }
        net.process_epoch();
    }
    let victim = net.cohorts.iter().find(|c| c.slashed).unwrap();
    assert_eq!(
        victim.count, 100,
        "the slashed validators merged once exited"
    );
    // Total active balance at the penalty: the honest validators only (the slashed exited).
    let total = 9_900 * 32 * ETH;
    // 4,096 epochs of missed source and target took the victims' effective balance to 31 ETH.
    let effective = victim.effective;
    assert_eq!(effective, 31 * ETH);
    let adjusted = (100 * 32 * ETH * PROPORTIONAL_SLASHING_MULTIPLIER_BELLATRIX).min(total);
    let correlation = adjusted / (total / EFFECTIVE_BALANCE_INCREMENT) * (effective / ETH);
    // That epoch a slashed validator also pays the source and target penalties (it is eligible
    // until withdrawable, and never participates).
    let per_increment =
        EFFECTIVE_BALANCE_INCREMENT * BASE_REWARD_FACTOR / integer_squareroot(total);
    let base = 31 * per_increment;
    let regular = base * TIMELY_SOURCE_WEIGHT / WEIGHT_DENOMINATOR
        + base * TIMELY_TARGET_WEIGHT / WEIGHT_DENOMINATOR;
    assert_eq!(before - victim.balance, correlation + regular);
    // About three times the slashed share (100 / 9,900) of the effective balance.
    let share = 3.0 * 100.0 / 9_900.0 * 31.0;
    assert!(
        (correlation as f64 / ETH as f64 - share).abs() < 0.001,
        "{correlation}"
    );
    assert_eq!(
        config.correlation_penalty(effective, 100 * 32 * ETH, total),
        correlation
    );
}

/// EIP-7251 churn at 32M ETH staked: 256 ETH an epoch, so 1,000 exits of 32 ETH take 125
/// epochs, 8 an epoch, from `compute_activation_exit_epoch`; and each validator is withdrawable
/// `MIN_VALIDATOR_WITHDRAWABILITY_DELAY` after its exit.
#[test]
fn exits_follow_the_balance_churn() {
    let network = Cohort::active(999_000, 32 * ETH, false);
    let mut leaving = Cohort::active(1_000, 32 * ETH, true);
    leaving.tag = 1;
    let mut net = Network::new(ChainConfig::mainnet(), START, vec![network, leaving]);
    let i = net.cohorts.iter().position(|c| c.tag == 1).unwrap();
    let parts = net.initiate_exit(i);
    assert_eq!(parts.len(), 125);
    for &p in &parts {
        let c = &net.cohorts[p];
        assert_eq!(c.count, 8);
        assert_eq!(c.withdrawable_epoch, c.exit_epoch + 256);
    }
    let first = parts
        .iter()
        .map(|&p| net.cohorts[p].exit_epoch)
        .min()
        .unwrap();
    let last = parts
        .iter()
        .map(|&p| net.cohorts[p].exit_epoch)
        .max()
        .unwrap();
    assert_eq!(first, START + 5);
    assert_eq!(last, START + 5 + 124);
    assert_eq!(net.exit_balance_to_consume, 0);
}

/// A backlog is a later `earliest_exit_epoch`: the next exit lands that much later.
#[test]
fn a_backlog_delays_the_next_exit() {
    let network = Cohort::active(999_999, 32 * ETH, false);
    let mut leaving = Cohort::active(1, 32 * ETH, true);
    leaving.tag = 1;
    let mut net = Network::new(ChainConfig::mainnet(), START, vec![network, leaving]);
    net.set_exit_backlog(30 * 225, true);
    let i = net.cohorts.iter().position(|c| c.tag == 1).unwrap();
    net.initiate_exit(i);
    assert_eq!(net.cohorts[i].exit_epoch, START + 5 + 30 * 225 + 1);
}

/// The sweep: 16 withdrawals a block, so a cycle over 1,001,000 validators takes
/// 1,001,000 / 512 epochs, and C's 1,000 validators, spread evenly over the registry, are paid
/// one by one across it (at most one every 1,001 indices), each once, its whole balance.
#[test]
fn the_sweep_pays_c_validators_one_by_one_across_its_cycle() {
    use lsv_sim::vault::Positions;
    let network = Cohort::active(1_000_000, 32 * ETH, false);
    let mut vault = Cohort::active(1_000, 32 * ETH, true);
    vault.positions = Some(Positions::joined(1, 32 * ETH));
    let mut net = Network::new(ChainConfig::mainnet(), START, vec![network, vault]);
    net.vault_stride = net.registry_size / 1_000;
    let i = net
        .cohorts
        .iter()
        .position(|c| c.positions.is_some())
        .unwrap();
    net.initiate_exit(i);
    let mut paid_at: Vec<(Epoch, u64)> = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
    while seen.len() < 1_000 && net.epoch < START + 10_000 {
        let epoch = net.epoch;
        for p in net.process_blocks() {
            assert!(p.amount > 31 * ETH);
            for id in p.first..p.first + p.count {
                assert!(seen.insert(id), "position {id} paid twice");
            }
            paid_at.push((epoch, p.count));
        }
        net.process_epoch();
    }
    assert_eq!(seen.len(), 1_000);
    let cycle = 1_001_000 / 512;
    let first = paid_at.first().unwrap().0;
    let last = paid_at.last().unwrap().0;
    // The exits spread over 125 epochs, the payments over about one cycle from there.
    assert!(
        last - first >= cycle * 9 / 10 && last - first <= cycle + 130,
        "{first}..{last}"
    );
    let mut per_epoch = std::collections::BTreeMap::<Epoch, u64>::new();
    for (e, n) in paid_at {
        *per_epoch.entry(e).or_default() += n;
    }
    assert!(per_epoch.values().all(|&n| n <= 2), "{per_epoch:?}");
}
