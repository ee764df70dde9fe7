//! Settlement (`contracts/src/Vault.sol`: `settle`, `creditWithdrawal`,
//! `creditUnattributedWithdrawal`, `claimResidual`) on the [`VaultTest`] fixture, by the
//! direct withdrawal-proof route: the sweep's block (the consensus-spec body, its payload's
//! withdrawals replaced) pays the vault (EIP-4895) and is its own EIP-4788 anchor, its
//! post-state the genesis state with the validator exited, withdrawable and swept.
//!
//! - join → eject → exit → withdrawal → settle → the queue's claim and the residual's, to the
//!   wei, the residual following the position token; a late credit to a closed position;
//! - a loss realised at settlement lowers the rate, and later withdrawals repay it first;
//! - refusals: not yet withdrawable, a withdrawal to another address or of another validator,
//!   another position, a settled position settled again, a credit to a live position, a
//!   withdrawal index credited twice;
//! - a withdrawal of a validator that never joined is a donation to the buffer, once; a joined
//!   validator's is its position's;
//! - the sweep is never booked as a loss: a proof at or past the withdrawable epoch moves no
//!   loss accounting (audit finding 1);
//! - `MAX_VALIDATORS` caps live debt: a settled position makes room (finding 8);
//! - what the sweep pays above 2048 ETH before the exit reaches the holder once the position is
//!   closed (finding 9: top-ups are the holder's);
//! - a slashing whose penalty was never proven is released by its settlement.
//!
//! The `block_roots` and `historical_summaries` routes are pinned in `settlement_routes.rs`.

#![allow(unused_crate_dependencies)]

mod common;

use common::vault::{
    tenth, Facts, VaultTest, ACTIVE_SLOT, EPOCHS_PER_SLASHINGS_VECTOR, EXIT_EPOCH, GWEI_31_98,
    SWEEP_SLOT, WITHDRAWABLE_EPOCH,
};
use common::{ether, refusal};
use lsv_contracts::bindings::vault::Vault::{self, VaultErrors as E};
use lsv_contracts::bindings::Positions;
use lsv_contracts::devnet::Settlement;
use lsv_contracts::{Address, U256};
use lsv_proofs::ProofParts;

#[test]
fn join_eject_exit_withdrawal_settle_and_both_claims_add_up_to_the_wei() {
    let mut w = VaultTest::new();
    let owner = w.d.chain.account("operator");
    let bob = w.d.chain.account("bob");
    let keeper = w.keeper;
    let id = w.joined(40, owner);
    let p = w.facts(
        40,
        ProofParts::ALL,
        Facts::at(ACTIVE_SLOT).balance(GWEI_31_98),
    );
    w.eject(id, &p).expect_success();
    let p = w.facts(
        40,
        ProofParts::VALIDATOR,
        Facts::at(ACTIVE_SLOT + 64).exit(EXIT_EPOCH),
    );
    w.mark_exiting(id, &p).expect_success();
    assert_eq!(w.debt_of(id), ether(31) + tenth());
    // The owner redeems all of its 31 sETH; the keeper holds the 0.1 reward.
    let request: U256 = w
        .redeem(owner, ether(31))
        .expect_success()
        .decode_return::<Vault::requestRedeemCall>()
        .unwrap();

    // The sweep pays 31.985 ETH (the balance kept moving after the eject), to the vault.
    let sweep = 31_985_000_000;
    let ws = [w.withdrawal(90_001, 40, sweep)];
    let block = w.sweep_block(SWEEP_SLOT, &ws);
    let s = w.settlement(40, &block, WITHDRAWABLE_EPOCH);
    w.assert_eth_accounted(common::gwei(sweep));
    let r = w.settle(id, &s, 0).expect_success();
    // Issue 4's target is 200k within the 4788 window (direct route); the receipt's figure
    // includes the 21,000 base and a first write of the residual and of a withdrawal-bitmap word.
    println!("settle, direct route: {} gas", r.gas_used);
    assert!(r.gas_used <= 210_000, "settle {}", r.gas_used);
    let ev = &r.events_from::<Vault::Settled>(w.d.vault)[0];
    let debt = ether(31) + tenth();
    assert_eq!(
        (ev.amount, ev.toQueue, ev.toOwner, ev.unpaidDebt),
        (
            common::gwei(sweep),
            debt,
            common::gwei(sweep) - debt,
            U256::ZERO
        )
    );
    w.assert_eth_accounted(U256::ZERO);
    assert_eq!(w.total_debt(), U256::ZERO);
    assert_eq!((w.exiting(), w.shortfall()), (U256::ZERO, U256::ZERO));
    assert_eq!(w.position(id).status, 3, "Closed");
    assert_eq!(w.debt_of(id), U256::ZERO);
    // Backing is exactly the sETH outstanding: 31 in the request + 0.1 with the keeper.
    assert_eq!(w.backing(), w.outstanding());
    assert_eq!(w.seth_supply(), tenth());

    // The queue: finalized at rate 1, claimed to the wei.
    w.finalize(request.to()).expect_success();
    let before = w.d.chain.balance(owner);
    w.claim(request.to(), 1).expect_success();
    assert_eq!(w.d.chain.balance(owner) - before, ether(31));
    // The residual: 0.885 ETH to the position's holder; the claim moves with the token.
    let residual = common::gwei(sweep) - debt;
    assert_eq!(w.residual(id), residual);
    let positions = w.d.positions;
    w.d.chain
        .send(
            owner,
            positions,
            &Positions::transferFromCall {
                from: owner,
                to: bob,
                id,
            },
            U256::ZERO,
        )
        .unwrap()
        .expect_success();
    let r = w.claim_residual(owner, id, owner);
    assert!(matches!(refusal(r), E::NotPositionOwner(ref e) if e.owner == bob));
    let before = w.d.chain.balance(bob);
    w.claim_residual(bob, id, Address::ZERO).expect_success();
    assert_eq!(w.d.chain.balance(bob) - before, residual);
    assert!(matches!(
        refusal(w.claim_residual(bob, id, bob)),
        E::NoResidual(_)
    ));

    // A late credit (a sync-committee reward swept after the exit): the debt is repaid, so the
    // holder gets it all; each withdrawal index counts once.
    let late = 12_345_678;
    let ws = [w.withdrawal(90_777, 40, late)];
    let block = w.sweep_block(SWEEP_SLOT + 4_000, &ws);
    let s = w.settlement(40, &block, WITHDRAWABLE_EPOCH);
    assert!(matches!(
        refusal(w.settle(id, &s, 0)),
        E::InvalidPositionStatus(_)
    ));
    let r = w.credit(id, &s, 0).expect_success();
    let ev = &r.events_from::<Vault::WithdrawalCredited>(w.d.vault)[0];
    assert_eq!((ev.toBacking, ev.toOwner), (U256::ZERO, common::gwei(late)));
    assert!(matches!(
        refusal(w.credit(id, &s, 0)),
        E::WithdrawalAlreadyCredited(_)
    ));
    w.claim_residual(bob, id, Address::ZERO).expect_success();

    // What is left is the keeper's 0.1 sETH and exactly the ETH that backs it.
    assert_eq!(w.seth_supply(), tenth());
    assert_eq!(w.seth_balance(keeper), tenth());
    assert_eq!(w.d.chain.balance(w.d.vault), tenth());
    w.assert_eth_accounted(U256::ZERO);
}

#[test]
fn a_loss_is_realised_at_settlement_and_repaid_first_by_later_withdrawals() {
    let mut w = VaultTest::new();
    let owner = w.d.chain.account("operator");
    let id = w.joined(41, owner);
    // Slashed and penalised: 29.5 ETH swept against a debt of 31.
    let swept = 29_500_000_000;
    let ws = [w.withdrawal(5, 41, swept)];
    let block = w.sweep_block(SWEEP_SLOT, &ws);
    let s = w.settlement(41, &block, WITHDRAWABLE_EPOCH);
    let supply = w.outstanding();
    let r = w.settle(id, &s, 0).expect_success();
    let ev = &r.events_from::<Vault::Settled>(w.d.vault)[0];
    assert_eq!((ev.toQueue, ev.toOwner), (common::gwei(swept), U256::ZERO));
    assert_eq!(ev.unpaidDebt, ether(31) - common::gwei(swept));
    assert_eq!(w.debt_of(id), ether(31) - common::gwei(swept));
    // The loss is in backing now: finalization pays backing / supply.
    assert_eq!(w.backing(), common::gwei(swept));
    w.redeem(owner, ether(10)).expect_success();
    let r = w.finalize(1).expect_success();
    let rate = r.events_from::<Vault::Finalized>(w.d.vault)[0].rate;
    assert_eq!(rate, common::gwei(swept) * ether(1) / supply);
    // A later withdrawal repays the realised loss first (0.5 of the 1.5), nothing to the owner.
    let late = 500_000_000;
    let ws = [w.withdrawal(6, 41, late)];
    let block = w.sweep_block(SWEEP_SLOT + 64, &ws);
    let s = w.settlement(41, &block, WITHDRAWABLE_EPOCH);
    let r = w.credit(id, &s, 0).expect_success();
    let ev = &r.events_from::<Vault::WithdrawalCredited>(w.d.vault)[0];
    assert_eq!((ev.toBacking, ev.toOwner), (common::gwei(late), U256::ZERO));
    assert_eq!(w.debt_of(id), ether(1));
    assert_eq!(w.residual(id), U256::ZERO);
    w.assert_eth_accounted(U256::ZERO);
}

#[test]
fn settle_refuses_what_it_cannot_attribute_or_too_early() {
    let mut w = VaultTest::new();
    let owner = w.d.chain.account("operator");
    let id = w.joined(42, owner);
    let other = w.joined(43, owner);
    let mut stranger = w.withdrawal(11, 42, 32_000_000_000);
    stranger.address = Address::repeat_byte(0xee);
    let ws = [
        w.withdrawal(10, 42, 32_000_000_000),
        stranger,
        w.withdrawal(12, 43, 32_000_000_000),
    ];
    let early = w.sweep_block(SWEEP_SLOT - 64, &ws);
    let block = w.sweep_block(SWEEP_SLOT, &ws);
    // Not yet withdrawable in the proven state (and never, with FAR_FUTURE).
    for (block, withdrawable) in [(&early, WITHDRAWABLE_EPOCH), (&block, u64::MAX)] {
        let s = w.settlement(42, block, withdrawable);
        assert!(matches!(
            refusal(w.settle(id, &s, 0)),
            E::NotWithdrawable(_)
        ));
    }
    let s = w.settlement(42, &block, WITHDRAWABLE_EPOCH);
    assert!(matches!(
        refusal(w.settle(id, &s, 1)),
        E::WithdrawalNotToVault(ref e) if e.to == Address::repeat_byte(0xee)
    ));
    assert!(matches!(
        refusal(w.settle(id, &s, 2)),
        E::WithdrawalOfAnotherValidator(ref e) if e.proven == 43 && e.expected == 42
    ));
    // Settling another position with this validator's proof: it does not verify for the other
    // position's validator index.
    assert!(!w.settle(other, &s, 0).is_success());
    // A closed position's withdrawals are credits, not settlements; a live one has none to credit.
    assert!(matches!(
        refusal(w.credit(id, &s, 0)),
        E::InvalidPositionStatus(_)
    ));
    w.settle(id, &s, 0).expect_success();
    assert!(matches!(
        refusal(w.settle(id, &s, 0)),
        E::InvalidPositionStatus(_)
    ));
    assert!(matches!(
        refusal(w.credit(id, &s, 0)),
        E::WithdrawalAlreadyCredited(_)
    ));
}

#[test]
fn a_withdrawal_of_a_validator_that_never_joined_is_a_donation_to_backing() {
    let mut w = VaultTest::new();
    let owner = w.d.chain.account("operator");
    let joined = w.joined(44, owner);
    let ws = [
        w.withdrawal(20, 45, 32_000_000_000),
        w.withdrawal(21, 44, 1),
    ];
    let block = w.sweep_block(SWEEP_SLOT, &ws);
    let s = w.settlement(45, &block, WITHDRAWABLE_EPOCH);
    let call = |s: &Settlement, index: u64, j: usize| Vault::creditUnattributedWithdrawalCall {
        validatorIndex: index,
        validatorTimestamp: s.timestamp,
        validatorProof: s.validator_proof.clone().into(),
        withdrawalTimestamp: s.timestamp,
        withdrawalProof: s.withdrawal_proofs[j].clone().into(),
    };
    let keeper = w.keeper;
    let buffer = w.buffer();
    w.send(keeper, &call(&s, 45, 0)).expect_success();
    assert_eq!(w.buffer() - buffer, ether(32));
    assert!(matches!(
        refusal(w.send(keeper, &call(&s, 45, 0))),
        E::WithdrawalAlreadyCredited(_)
    ));
    // Validator 44's 1 gwei arrived in the same block and is not proven yet.
    w.assert_eth_accounted(common::gwei(1));
    // A joined validator's withdrawals belong to its position.
    let s = w.settlement(44, &block, WITHDRAWABLE_EPOCH);
    assert!(matches!(
        refusal(w.send(keeper, &call(&s, 44, 1))),
        E::WithdrawalAttributed(ref e) if e.positionId == joined
    ));
}

/// Audit finding 1: after the sweep the beacon balance is 0 while the ETH sits in the vault,
/// unbooked until `settle`. Any mark of a proof in that window booked a 31 ETH loss, and a
/// finalize in the same transaction locked a rate below 1 for good. Now no proof at or past the
/// withdrawable epoch moves the loss accounting, whoever sends it and whichever call takes it:
/// the rate stays par, and settlement books the sweep.
#[test]
fn the_sweep_is_never_booked_as_a_loss() {
    let mut w = VaultTest::new();
    let owner = w.d.chain.account("operator");
    let a = w.joined(80, owner);
    let b = w.joined(81, owner);
    w.redeem(owner, ether(31)).expect_success();
    // Both validators exited; 80's sweep pays its 32 ETH to the vault (not yet proven).
    let ws = [w.withdrawal(500, 80, 32_000_000_000)];
    let block = w.sweep_block(SWEEP_SLOT, &ws);
    let swept = Facts::at(SWEEP_SLOT)
        .balance(0)
        .exit(EXIT_EPOCH)
        .withdrawable(WITHDRAWABLE_EPOCH);
    let epoch = SWEEP_SLOT / 32;

    // markToProof and markSlashed refuse it by name.
    let p = w.facts(80, ProofParts::BALANCE, swept);
    let e = refusal(w.mark(a, &p, false));
    assert!(
        matches!(e, E::ValidatorWithdrawable(ref x) if x.withdrawableEpoch == WITHDRAWABLE_EPOCH && x.epoch == epoch),
        "{e:?}"
    );
    let slashed = Facts {
        slashed: true,
        ..swept
    };
    let p = w.facts(80, ProofParts::BALANCE, slashed);
    assert!(matches!(
        refusal(w.mark(a, &p, true)),
        E::ValidatorWithdrawable(_)
    ));
    // markExiting with the balance part records the exit, not the balance.
    let p = w.facts(80, ProofParts::BALANCE, swept);
    w.mark_exiting(a, &p).expect_success();
    // eject cannot take it (exiting); a skip with the proof marks it exiting, nothing more.
    let q = w.facts(81, ProofParts::ALL, swept);
    assert!(matches!(
        refusal(w.eject(b, &q)),
        E::ExitIneligible(ref x) if x.reason == 5
    ));
    w.skip(a, None).expect_success();
    w.skip(b, Some(&q)).expect_success();
    assert_eq!((w.position(a).status, w.position(b).status), (2, 2));
    assert_eq!(w.shortfall(), U256::ZERO, "no loss booked");
    assert_eq!(w.slashings_pending(), 0);
    for id in [a, b] {
        assert_eq!(w.position(id).lastBalanceGwei.to::<u64>(), 32_000_000_000);
    }
    // So the rate is par, whenever a finalize comes.
    assert_eq!(w.backing(), w.outstanding());

    // Settlement books the sweep and the queue is paid at par.
    let s = w.settlement(80, &block, WITHDRAWABLE_EPOCH);
    w.settle(a, &s, 0).expect_success();
    let r = w.finalize(1).expect_success();
    assert_eq!(
        r.events_from::<Vault::Finalized>(w.d.vault)[0].rate,
        ether(1)
    );
    let before = w.d.chain.balance(owner);
    w.claim(1, 1).expect_success();
    assert_eq!(w.d.chain.balance(owner) - before, ether(31));
    assert_eq!(w.residual(a), ether(1));
    w.assert_eth_accounted(U256::ZERO);
}

/// Audit finding 8: `MAX_VALIDATORS` capped the joins ever made, so a vault filled up for good
/// as validators came and went. It caps live debt, which is what bounds the loss: a settled
/// position makes room for a new one.
#[test]
fn max_validators_caps_live_debt_not_joins_ever_made() {
    let mut w = VaultTest::with_max(2);
    let owner = w.d.chain.account("operator");
    let first = w.joined(1, owner);
    w.joined(2, owner);
    let e = refusal(w.join(3, owner));
    assert!(
        matches!(e, E::PoolFull(ref x) if x.max == U256::from(2)),
        "{e:?}"
    );
    let ws = [w.withdrawal(600, 1, 32_000_000_000)];
    let block = w.sweep_block(SWEEP_SLOT, &ws);
    let s = w.settlement(1, &block, WITHDRAWABLE_EPOCH);
    w.settle(first, &s, 0).expect_success();
    assert_eq!(w.joined(3, owner), U256::from(3));
    assert_eq!(w.total_debt(), ether(62));
    assert!(matches!(refusal(w.join(4, owner)), E::PoolFull(_)));
}

/// Audit finding 9: top-ups and consolidations are part of the validator's balance, so they reach
/// the position's holder. Above 2048 ETH (`MAX_EFFECTIVE_BALANCE_ELECTRA`) the sweep pays the
/// excess before the exit (`is_partially_withdrawable_validator`): that withdrawal is no
/// settlement, and it cannot be credited while the position is live (its debt may still need
/// it); once the position is closed it is a late credit, debt first, then the holder.
#[test]
fn a_sweep_above_2048_eth_before_the_exit_reaches_the_holder_after_settlement() {
    let mut w = VaultTest::new();
    let owner = w.d.chain.account("operator");
    let id = w.joined(82, owner);
    // Topped up to 2100 ETH; the sweep pays the 52 above 2048 while the validator is active.
    let excess = 52_000_000_000;
    let ws = [w.withdrawal(700, 82, excess)];
    let early = w.sweep_block(ACTIVE_SLOT, &ws);
    let s = w.settlement(82, &early, u64::MAX);
    assert!(matches!(
        refusal(w.settle(id, &s, 0)),
        E::NotWithdrawable(_)
    ));
    assert!(matches!(
        refusal(w.credit(id, &s, 0)),
        E::InvalidPositionStatus(_)
    ));
    w.assert_eth_accounted(common::gwei(excess));
    // The exit's sweep pays the 2048 left: the debt to the queue, the rest to the holder.
    let ws = [w.withdrawal(900, 82, 2_048_000_000_000)];
    let block = w.sweep_block(SWEEP_SLOT, &ws);
    let s = w.settlement(82, &block, WITHDRAWABLE_EPOCH);
    w.settle(id, &s, 0).expect_success();
    assert_eq!(w.residual(id), ether(2048 - 31));
    // Now the early excess is a late credit, all of it the holder's (no debt left unpaid).
    let s = w.settlement(82, &early, u64::MAX);
    let r = w.credit(id, &s, 0).expect_success();
    let ev = &r.events_from::<Vault::WithdrawalCredited>(w.d.vault)[0];
    assert_eq!(
        (ev.toBacking, ev.toOwner),
        (U256::ZERO, common::gwei(excess))
    );
    assert_eq!(w.residual(id), ether(2048 - 31 + 52));
    w.assert_eth_accounted(U256::ZERO);
}

/// A slashed position whose penalty nobody proved holds finalization below par only until its
/// settlement: the withdrawal is the outcome, and the queue goes on at the realised rate.
#[test]
fn a_pending_slashing_is_released_by_its_settlement() {
    let mut w = VaultTest::new();
    let owner = w.d.chain.account("operator");
    let donor = w.d.chain.account("donor");
    let a = w.joined(83, owner);
    w.joined(84, owner);
    w.donate(donor, ether(5));
    w.redeem(owner, ether(2)).expect_success();
    let epoch = ACTIVE_SLOT / 32;
    let p = w.facts(
        83,
        ProofParts::BALANCE,
        Facts::at(ACTIVE_SLOT).slashed_at(epoch),
    );
    w.mark(a, &p, true).expect_success();
    assert!(matches!(
        refusal(w.finalize(1)),
        E::SlashingPenaltyPending(_)
    ));
    // Swept at 20 ETH after its withdrawable epoch.
    let withdrawable = epoch + EPOCHS_PER_SLASHINGS_VECTOR;
    let ws = [w.withdrawal(800, 83, 20_000_000_000)];
    let block = w.sweep_block(withdrawable * 32 + 3, &ws);
    let s = w.settlement(83, &block, withdrawable);
    let r = w.settle(a, &s, 0).expect_success();
    assert_eq!(
        r.events_from::<Vault::Settled>(w.d.vault)[0].unpaidDebt,
        ether(11)
    );
    assert_eq!((w.slashings_pending(), w.shortfall()), (0, U256::ZERO));
    assert!(!w.position(a).penaltyPending);
    // backing = 5 + 20 + 31 = 56 against 62 outstanding.
    let r = w.finalize(1).expect_success();
    assert_eq!(
        r.events_from::<Vault::Finalized>(w.d.vault)[0].rate,
        ether(56) * ether(1) / ether(62)
    );
    w.assert_eth_accounted(U256::ZERO);
}
