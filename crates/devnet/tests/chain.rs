//! The devnet's consensus layer on its own (the execution layer a stand-in): honest validators
//! with local keys finalize; offline ones stop it and leak; a double vote is slashed.

#![allow(unused_crate_dependencies)]

use lsv_consensus::{Epoch, ForkName, Mainnet, Minimal};
use lsv_consensus::{Gwei, PublicKeyBytes, SignatureBytes};
use lsv_devnet::execution::{ExecutionLayer, MockExecution};
use lsv_devnet::genesis::{interop_secret_key, interop_validators, GenesisParams};
use lsv_devnet::node::Node;
use lsv_devnet::signer::LocalKeys;
use lsv_devnet::spec::{Config, Spec, SpecPreset};

type P = Minimal;

fn devnet(validators: u64, config: Config) -> Node<P, MockExecution, LocalKeys> {
    devnet_of::<P>(validators, config)
}

fn devnet_of<Q: SpecPreset>(validators: u64, config: Config) -> Node<Q, MockExecution, LocalKeys> {
    let spec = Spec::<Q>::new(config);
    let mut creds = [0u8; 32];
    creds[0] = 0x01;
    creds[12..].copy_from_slice(&[0x11; 20]);
    let (genesis, keys) = interop_validators(validators, creds.into());
    let el = MockExecution::new(validators);
    let params = GenesisParams {
        genesis_time: 1_700_000_000,
        fork: ForkName::Electra,
        execution_payload_header: ExecutionLayer::<Q>::genesis_header(&el),
    };
    let state = spec
        .genesis_state(&params, &genesis)
        .expect("a genesis state");
    Node::new(spec, state, el, keys)
}

#[test]
fn honest_validators_justify_and_finalize_every_epoch() {
    let mut node = devnet(64, Config::minimal());
    // Past the second sync committee period (8 epochs each): the first committee is also the
    // second (genesis sets both), so the third is the first to change hands.
    for slot in 1..=17 * 8 {
        let report = node.run_slot(slot).expect("a slot");
        assert!(report.block_root.is_some(), "slot {slot} has a block");
        assert!(report.refused.is_empty());
        assert_eq!(
            report.sync_participants, 32,
            "slot {slot}: the whole sync committee"
        );
        let stored = node.block_at(slot).expect("a block");
        if slot > 1 {
            let bits = &stored.block.message.body.sync_aggregate.sync_committee_bits;
            assert_eq!(
                bits.num_set_bits(),
                32,
                "slot {slot} carries every sync signature"
            );
        }
    }
    let state = node.head_state();
    assert_eq!(state.slot.as_u64(), 17 * 8);
    assert_eq!(state.current_justified_checkpoint.epoch.as_u64(), 16);
    assert_eq!(state.finalized_checkpoint.epoch.as_u64(), 15);
    // Every validator earned, and 0x01 credentials get what exceeds 32 ETH swept to them.
    assert!(state.balances.iter().all(|b| b.as_u64() >= 32_000_000_000));
    assert!(
        state.next_withdrawal_index > 0,
        "the sweep paid the rewards out"
    );
}

#[test]
fn a_third_offline_stops_finality_and_the_leak_drains_them() {
    let mut node = devnet(63, Config::minimal());
    for v in 0..22 {
        node.offline.insert(v);
    }
    for slot in 1..=12 * 8 {
        node.run_slot(slot).expect("a slot");
    }
    let state = node.head_state();
    assert_eq!(
        state.finalized_checkpoint.epoch.as_u64(),
        0,
        "no finality without two thirds"
    );
    assert!(state.inactivity_scores[0] > 0);
    assert!(state.balances[0].as_u64() < 32_000_000_000);
    assert!(state.balances[40].as_u64() >= 32_000_000_000 - 10_000_000);
}

#[test]
fn a_double_vote_is_slashed_in_the_next_block() {
    let mut node = devnet(64, Config::minimal());
    for slot in 1..=8 {
        node.run_slot(slot).expect("a slot");
    }
    node.double_voters.insert(5);
    for slot in 9..=24 {
        node.run_slot(slot).expect("a slot");
    }
    let v = &node.head_state().validators[5];
    assert!(v.slashed, "validator 5 slashed");
    assert!(v.exit_epoch.as_u64() < u64::MAX);
}

/// Preparing each next slot ahead (`Node::prepare_next`) changes when work is done, not what
/// the chain is: the same genesis run with and without it has the same blocks and head, also
/// across validators switched off and on between slots (a payload prepared for a proposer that
/// went offline is not used) and a deposit fed to the execution layer between slots (which
/// drops the prepared payload, so the deposit rides the next block either way).
#[test]
fn preparing_the_next_slot_makes_the_same_chain() {
    const DEPOSIT_SLOT: u64 = 25;
    let run = |prepare: bool| {
        let mut node = devnet(64, Config::minimal());
        node.prepare_next = prepare;
        let mut roots = Vec::new();
        for slot in 1..=6 * 8 {
            if slot == 10 {
                node.offline.extend(0..16);
            }
            if slot == 20 {
                node.offline.clear();
            }
            if slot == DEPOSIT_SLOT {
                // Unsigned: which block carries it is the point here (processing drops it).
                let pubkey = PublicKeyBytes(interop_secret_key(64).sk_to_pk().to_bytes());
                node.execution_mut().deposit(
                    pubkey,
                    [1u8; 32].into(),
                    Gwei::new(32_000_000_000),
                    SignatureBytes([0; 96]),
                );
            }
            roots.push(node.run_slot(slot).expect("a slot").block_root);
        }
        let carried = node
            .block_at(DEPOSIT_SLOT)
            .expect("a block")
            .block
            .message
            .body
            .execution_requests
            .deposits
            .len();
        (roots, node.head_root(), carried)
    };
    let (plain, prepared) = (run(false), run(true));
    assert_eq!(plain.2, 1, "the deposit rides the next block");
    assert_eq!(plain, prepared);
}

/// The mainnet preset runs too: 32 slots an epoch, mainnet's committee and sync committee sizes
/// (512 positions over 64 validators), through the Fulu upgrade, to finality.
#[test]
fn a_mainnet_preset_chain_finalizes_through_the_fulu_upgrade() {
    let config = Config {
        electra_fork_epoch: Epoch::new(0),
        fulu_fork_epoch: Epoch::new(1),
        ..Config::mainnet()
    };
    let mut node = devnet_of::<Mainnet>(64, config);
    for slot in 1..=5 * 32 {
        let report = node.run_slot(slot).expect("a slot");
        assert!(report.block_root.is_some(), "slot {slot} has a block");
        assert_eq!(report.attesters, 2, "slot {slot}: its committee");
    }
    let state = node.head_state();
    assert_eq!(state.fork_name(), ForkName::Fulu);
    assert!(
        state.finalized_checkpoint.epoch.as_u64() >= 3,
        "{:?}",
        state.finalized_checkpoint
    );
}
