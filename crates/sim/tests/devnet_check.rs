//! The cohort model against lsv's spec-exact state transition (`lsv-devnet`'s `spec`, checked
//! against the executable spec's vectors) on one small scenario, validator by validator and
//! epoch by epoch: 64 validators on the minimal preset, 24 of them (more than a third) offline
//! for 300 epochs (finality stops, the leak starts, scores climb, effective balances step down
//! by hysteresis), then back for 60 (finality returns, scores recover).
//!
//! The chain runs without blocks, so it pays no proposer or sync-committee rewards: the model
//! runs with `block_rewards` off to match, and what is compared is `process_epoch` itself
//! (justification and finality, inactivity updates, flag rewards and penalties, the inactivity
//! penalty, effective balances). Participation is set in the state's flags directly: an online
//! validator is timely on source, target and head.

#![allow(unused_crate_dependencies)]

use alloy_primitives::B256;
use lsv_consensus::{ForkName, Minimal};
use lsv_devnet::execution::{ExecutionLayer, MockExecution};
use lsv_devnet::genesis::{interop_validators, GenesisParams};
use lsv_devnet::spec::{BeaconState, Config, Spec};
use lsv_sim::network::{Cohort, Network};
use lsv_sim::spec::ChainConfig;

const N: usize = 64;
const OFFLINE: usize = 24;
const SLOTS: u64 = 8;

/// Runs the devnet's chain through the end of its current epoch with validators `online`
/// timely in it.
fn devnet_epoch(spec: &Spec<Minimal>, state: &mut BeaconState<Minimal>, online: bool) {
    for i in 0..N {
        let attests = online || i >= OFFLINE;
        state.current_epoch_participation[i] = if attests { 0b111 } else { 0 };
    }
    let next = (state.slot.as_u64() / SLOTS + 1) * SLOTS;
    spec.process_slots(state, next).expect("epoch processing");
}

#[test]
fn a_leak_and_its_recovery_match_the_spec_state_transition_to_the_gwei() {
    let spec = Spec::<Minimal>::new(Config::minimal());
    let mut credentials = [0xaau8; 32];
    credentials[0] = 0x02;
    credentials[1..12].fill(0);
    let (validators, _) = interop_validators(N as u64, B256::from(credentials));
    let params = GenesisParams {
        genesis_time: 0,
        fork: ForkName::Electra,
        execution_payload_header: <MockExecution as ExecutionLayer<Minimal>>::genesis_header(
            &MockExecution::default(),
        ),
    };
    let mut state = spec.genesis_state(&params, &validators).unwrap();
    for i in 0..N {
        state.previous_epoch_participation[i] = 0b111;
    }
    // A healthy start, until the chain finalizes as the model's network starts: the last two
    // epochs justified, the one before finalized, every justification bit set.
    for _ in 0..8 {
        devnet_epoch(&spec, &mut state, true);
    }
    let epoch = state.slot.as_u64() / SLOTS;
    assert_eq!(state.finalized_checkpoint.epoch.as_u64(), epoch - 2);
    assert_eq!(state.current_justified_checkpoint.epoch.as_u64(), epoch - 1);
    assert_eq!(
        state.previous_justified_checkpoint.epoch.as_u64(),
        epoch - 2
    );
    assert!((0..4).all(|b| state.justification_bits.get(b).unwrap()));
    let balance = state.balances[0].as_u64();
    assert!(state.balances.iter().all(|b| b.as_u64() == balance));

    // The same network as two cohorts: the validators that will go offline (indices below
    // OFFLINE) and the rest.
    let mut offline = Cohort::active(OFFLINE as u64, balance, true);
    offline.tag = 1;
    let online = Cohort::active((N - OFFLINE) as u64, balance, true);
    let mut net = Network::new(ChainConfig::minimal(), epoch, vec![offline, online]);
    net.block_rewards = false;

    let mut leaked = 0;
    let mut stepped_down = false;
    for step in 0..360 {
        let back = step >= 300;
        for c in net.cohorts.iter_mut().filter(|c| c.tag == 1) {
            c.online = back;
        }
        devnet_epoch(&spec, &mut state, back);
        net.process_blocks();
        net.process_epoch();

        assert_eq!(state.slot.as_u64() / SLOTS, net.epoch);
        assert_eq!(
            state.finalized_checkpoint.epoch.as_u64(),
            net.finalized,
            "finality at step {step}"
        );
        for (i, validator) in state.validators.iter().enumerate() {
            let tag = u32::from(i < OFFLINE);
            let c = net.cohorts.iter().find(|c| c.tag == tag).unwrap();
            assert_eq!(
                state.balances[i].as_u64(),
                c.balance,
                "balance of {i} at {step}"
            );
            assert_eq!(
                validator.effective_balance.as_u64(),
                c.effective,
                "effective balance of {i} at {step}"
            );
            assert_eq!(
                state.inactivity_scores[i], c.score,
                "score of {i} at {step}"
            );
        }
        leaked += u32::from(net.totals().leak);
        stepped_down |= net.cohorts.iter().any(|c| c.effective < 32_000_000_000);
    }
    // The scenario did what it is for: a long leak, hysteresis crossed, and recovery.
    assert!(leaked > 250, "{leaked}");
    assert!(stepped_down);
    assert!(!net.totals().leak);
    let recovered = net.cohorts.iter().find(|c| c.tag == 1).unwrap();
    assert!(recovered.score < 4 * 290, "{}", recovered.score);
}
