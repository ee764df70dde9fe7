//! Settlement through each of the three withdrawal-proof routes on the [`VaultTest`] fixture's
//! synthetic devnet ([`VaultTest::devnet`]), the way a keeper would run it: validators join,
//! exit (their exit and withdrawable epochs edited in the beacon state), the sweep's block pays
//! the vault (EIP-4895), and each validator's sweep is settled with a validator proof of a state
//! at or after its withdrawable epoch and a withdrawal proof reaching the same block by the
//! direct route, `block_roots` or `historical_summaries`.
//!
//! What is pinned: the `Settled` amounts and the queue/owner split to the wei for each route;
//! the vault's ETH = buffer + reserved + residuals after every step; a withdrawal index is
//! credited once whatever route proves it again; and `WithdrawalBeforeWithdrawable(slot,
//! withdrawableEpoch)` for a withdrawal in a block before the withdrawable epoch, which only the
//! two older routes can reach (the anchor itself must show the epoch reached).

#![allow(unused_crate_dependencies)]

mod common;

use common::vault::VaultTest;
use common::{ether, gwei, refusal};
use lsv_consensus::{Epoch, Gwei, Slot, Version};
use lsv_contracts::bindings::vault::Vault::{self, VaultErrors as E};
use lsv_contracts::devnet::Settlement;
use lsv_contracts::U256;
use lsv_proofs::block::Withdrawal;
use lsv_proofs::{Anchor, WithdrawalDepths, WithdrawalProof, WithdrawalRoute};

/// Slots per epoch and per `block_roots` period (mainnet preset).
const SLOTS_PER_EPOCH: u64 = 32;
const PERIOD: u64 = 8192;
/// `MIN_VALIDATOR_WITHDRAWABILITY_DELAY` (phase0): withdrawable 256 epochs after the exit.
const WITHDRAWABILITY_DELAY: u64 = 256;

/// 31 ETH: a position's debt (the sETH minted at join).
fn debt() -> U256 {
    ether(31)
}

/// Validator `index` exited at `exit`, withdrawable 256 epochs later (returned).
fn exit(n: &mut VaultTest, index: u64, exit: u64) -> u64 {
    let v = &mut n.d.state.validators[index as usize];
    v.exit_epoch = Epoch::new(exit);
    v.withdrawable_epoch = Epoch::new(exit + WITHDRAWABILITY_DELAY);
    exit + WITHDRAWABILITY_DELAY
}

/// The Rust verifier's reading of withdrawal proof `j` of `s`, against its anchor.
fn verified(n: &VaultTest, s: &Settlement, j: usize) -> lsv_proofs::ProvenWithdrawal {
    let anchor = Anchor {
        genesis_time: n.d.state.genesis_time,
        genesis_validators_root: n.d.state.genesis_validators_root,
        fork_versions: vec![Version([5, 0, 0, 0]), Version([6, 0, 0, 0])],
    };
    WithdrawalProof::from_bytes(&s.withdrawal_proofs[j])
        .unwrap()
        .verify(
            s.anchor_root,
            &anchor,
            Slot::new(0),
            WithdrawalDepths::MAINNET,
        )
        .unwrap()
}

#[test]
fn one_sweep_block_settles_three_positions_by_three_routes_each_withdrawal_once() {
    let mut n = VaultTest::devnet(8);
    let owner = n.d.chain.account("operator");
    let ids: Vec<U256> = (0..3).map(|i| n.joined(i, owner)).collect();
    let epoch = n.d.state.slot.as_u64() / SLOTS_PER_EPOCH;
    let mut withdrawable = 0;
    for i in 0..3 {
        withdrawable = exit(&mut n, i, epoch + 1);
    }
    // One sweep block pays all three: more than the debt (a residual for the owner), exactly
    // the debt, less (a slashed validator's loss).
    let sweep_slot = withdrawable * SLOTS_PER_EPOCH + 7;
    let amounts = [32_001_234_567u64, 31_000_000_000, 29_500_000_000];
    let ws: Vec<Withdrawal> = (0..3)
        .map(|i| n.d.withdrawal(7_000 + i, i, amounts[i as usize]))
        .collect();
    let block = n.d.withdrawal_block(sweep_slot, &ws).unwrap();
    let swept: u64 = amounts.iter().sum();
    n.assert_eth_accounted(gwei(swept));
    for i in 0..3 {
        n.d.state.balances[i] = Gwei::new(0);
    }

    // Each route in turn, from an anchor further on: the block itself, 40 slots later
    // (`block_roots`), two periods later (`historical_summaries`).
    let anchors = [
        (WithdrawalRoute::Direct, sweep_slot),
        (WithdrawalRoute::BlockRoots, sweep_slot + 40),
        (
            WithdrawalRoute::HistoricalSummaries,
            (sweep_slot / PERIOD + 2) * PERIOD + 3,
        ),
    ];
    let mut block = block;
    let mut settlements: Vec<Settlement> = Vec::new();
    let mut unproven = gwei(swept);
    let mut block_root = None;
    for (j, (route, anchor_slot)) in anchors.into_iter().enumerate() {
        n.d.set_slot(anchor_slot);
        let s = n.d.settlement(j as u64, &block, route).unwrap();
        block = s.block.clone();
        // Every route reaches the same block, the direct settlement's anchor.
        let proven = verified(&n, &s, j);
        assert_eq!(proven.route, route);
        assert_eq!(proven.slot.as_u64(), sweep_slot);
        assert_eq!(
            *block_root.get_or_insert(proven.block_root),
            proven.block_root
        );

        // Withdrawals credited by an earlier route are refused by this one.
        for (earlier, id) in ids.iter().enumerate().take(j) {
            assert!(matches!(
                refusal(n.credit(*id, &s, earlier)),
                E::WithdrawalAlreadyCredited(ref e) if e.withdrawalIndex == 7_000 + earlier as u64
            ));
        }

        let buffer = n.buffer();
        let r = n.settle(ids[j], &s, j).expect_success();
        let ev = &r.events_from::<Vault::Settled>(n.d.vault)[0];
        let amount = gwei(amounts[j]);
        let to_queue = amount.min(debt());
        assert_eq!(
            (
                ev.positionId,
                ev.withdrawalIndex,
                ev.amount,
                ev.toQueue,
                ev.toOwner,
                ev.unpaidDebt
            ),
            (
                ids[j],
                7_000 + j as u64,
                amount,
                to_queue,
                amount - to_queue,
                debt() - to_queue
            ),
            "{route:?}"
        );
        assert_eq!(ev.toQueue + ev.toOwner, ev.amount);
        assert_eq!(n.buffer() - buffer, to_queue);
        assert_eq!(n.residual(ids[j]), amount - to_queue);
        unproven -= amount;
        n.assert_eth_accounted(unproven);

        // The same withdrawal again, by the same route: settled positions take credits only,
        // and the index is spent.
        assert!(matches!(
            refusal(n.settle(ids[j], &s, j)),
            E::InvalidPositionStatus(_)
        ));
        assert!(matches!(
            refusal(n.credit(ids[j], &s, j)),
            E::WithdrawalAlreadyCredited(_)
        ));
        settlements.push(s);
    }

    // Later routes of earlier withdrawals were checked above; earlier routes of later ones
    // here: each index is spent whatever proves it.
    for (k, s) in settlements.iter().enumerate() {
        for (j, id) in ids.iter().enumerate() {
            if j != k {
                assert!(matches!(
                    refusal(n.credit(*id, s, j)),
                    E::WithdrawalAlreadyCredited(ref e) if e.withdrawalIndex == 7_000 + j as u64
                ));
            }
        }
    }
    assert_eq!(unproven, U256::ZERO);
    n.assert_eth_accounted(U256::ZERO);
}

#[test]
fn a_withdrawal_before_the_withdrawable_epoch_is_refused_with_its_slot_and_the_epoch() {
    let mut n = VaultTest::devnet(8);
    let owner = n.d.chain.account("operator");
    let id = n.joined(4, owner);
    let epoch = n.d.state.slot.as_u64() / SLOTS_PER_EPOCH;
    let withdrawable = exit(&mut n, 4, epoch + 1);
    let first_slot = withdrawable * SLOTS_PER_EPOCH;
    // Skims of the excess balance while the validator was exiting, not yet withdrawable: one
    // 20 slots before the epoch (within `block_roots` of the anchor), one in the period before.
    let recent = first_slot - 20;
    let old = first_slot - PERIOD - 100;
    assert!(old / PERIOD < first_slot / PERIOD);
    let skim = 12_345_678;
    let early_recent = n.d.withdrawal(100, 4, skim);
    let recent_block = n.d.withdrawal_block(recent, &[early_recent]).unwrap();
    let early_old = n.d.withdrawal(50, 4, skim);
    let old_block = n.d.withdrawal_block(old, &[early_old]).unwrap();

    // The direct route cannot show it: its anchor is the early block, where the validator is
    // not withdrawable yet.
    n.d.set_slot(recent);
    let direct =
        n.d.settlement(4, &recent_block, WithdrawalRoute::Direct)
            .unwrap();
    assert!(matches!(
        refusal(n.settle(id, &direct, 0)),
        E::NotWithdrawable(ref e) if e.withdrawableEpoch == withdrawable && e.slot == recent
    ));

    // From an anchor at the withdrawable epoch, both older routes reach the early blocks.
    n.d.set_slot(first_slot + 10);
    for (block, slot, route) in [
        (&recent_block, recent, WithdrawalRoute::BlockRoots),
        (&old_block, old, WithdrawalRoute::HistoricalSummaries),
    ] {
        let s = n.d.settlement(4, block, route).unwrap();
        assert_eq!(verified(&n, &s, 0).route, route);
        assert!(
            matches!(
                refusal(n.settle(id, &s, 0)),
                E::WithdrawalBeforeWithdrawable(ref e)
                    if e.slot == slot && e.withdrawableEpoch == withdrawable
            ),
            "{route:?}"
        );
    }
    n.assert_eth_accounted(gwei(2 * skim));

    // The refusals spent nothing: the sweep settles the position, and the skims are then
    // credits to the closed position.
    let sweep = 32_000_000_000;
    let paid = n.d.withdrawal(200, 4, sweep);
    let sweep_block = n.d.withdrawal_block(first_slot + 10, &[paid]).unwrap();
    let s =
        n.d.settlement(4, &sweep_block, WithdrawalRoute::Direct)
            .unwrap();
    let r = n.settle(id, &s, 0).expect_success();
    let ev = &r.events_from::<Vault::Settled>(n.d.vault)[0];
    assert_eq!((ev.toQueue, ev.toOwner), (debt(), gwei(sweep) - debt()));
    n.d.set_slot(first_slot + 20);
    for (block, route) in [
        (&recent_block, WithdrawalRoute::BlockRoots),
        (&old_block, WithdrawalRoute::HistoricalSummaries),
    ] {
        let s = n.d.settlement(4, block, route).unwrap();
        let r = n.credit(id, &s, 0).expect_success();
        let ev = &r.events_from::<Vault::WithdrawalCredited>(n.d.vault)[0];
        assert_eq!((ev.toBacking, ev.toOwner), (U256::ZERO, gwei(skim)));
    }
    assert_eq!(n.residual(id), gwei(sweep) - debt() + gwei(2 * skim));
    n.assert_eth_accounted(U256::ZERO);
}

#[test]
fn a_route_that_cannot_reach_the_block_is_refused_before_anything_is_sent() {
    let mut n = VaultTest::devnet(8);
    let slot = n.d.state.slot.as_u64();
    let paid = n.d.withdrawal(1, 0, 1);
    let block = n.d.withdrawal_block(slot - 10, &[paid]).unwrap();
    let (number, timestamp) = (n.d.chain.block_number(), n.d.chain.timestamp());
    for route in [
        WithdrawalRoute::Direct,
        WithdrawalRoute::HistoricalSummaries,
    ] {
        assert!(matches!(
            n.d.settlement(0, &block, route),
            Err(lsv_contracts::devnet::SettlementError::Unreachable { .. })
        ));
    }
    let too_many: Vec<Withdrawal> = (0..17).map(|i| n.d.withdrawal(i, 0, 1)).collect();
    assert!(n.d.withdrawal_block(slot, &too_many).is_err());
    assert_eq!(
        (n.d.chain.block_number(), n.d.chain.timestamp()),
        (number, timestamp)
    );
}
