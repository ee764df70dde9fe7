//! Eject, the loss marks and `markExiting` (`contracts/src/Vault.sol`) on the [`VaultTest`]
//! fixture, with proofs of the consensus-spec genesis state's validators edited to show the
//! balance, inactivity score, epochs and slashing each test names ([`Facts`]):
//!
//! - eject at 31.98 ETH or over the inactivity trigger: an EIP-7002 full exit dequeued with the
//!   vault as its source, the caller paying exactly the fee, the 0.1 sETH reward once per
//!   position (withheld when the exit cannot take effect), re-sent only after
//!   `EXIT_RESEND_BLOCKS`; a missing or refusing 7002 predeploy fails it by name;
//! - eject's refusals: a healthy validator, a fee above the cap or the value sent, missing proof
//!   parts, another validator's proof or key, a stale proof, an unknown position;
//! - `pendingExitDebt` stays the sum of the flagged positions' debts as rewards are paid;
//! - `markExiting` moves the debt to `exitingDebt` once; `markSlashed` / `markToProof` record a
//!   shortfall both ways, which lowers the rate of later batches only.

mod common;

use common::vault::{
    genesis_state, tenth, Facts, VaultTest, ACTIVE_SLOT, EXIT_RESEND_BLOCKS, FAR_FUTURE,
    GWEI_31_98, INACTIVITY_TRIGGER,
};
use common::{ether, refusal};
use lsv_consensus::Gwei;
use lsv_contracts::bindings::vault::Vault::{self, VaultErrors as E};
use lsv_contracts::bindings::SETH as Seth;
use lsv_contracts::{Address, B256, U256};
use lsv_proofs::ProofParts;

/// A chain whose EIP-7002 predeploy is missing (fee query answered with nothing) or refuses the
/// request: the eject fails by name and changes nothing (no reward, no flag, no request).
#[test]
fn an_unusable_withdrawal_predeploy_fails_the_eject_by_name() {
    let predeploy: Address = "0x00000961Ef480Eb55e80D19ad83579A64c007002"
        .parse()
        .unwrap(); // WITHDRAWAL_REQUEST_PREDEPLOY_ADDRESS (EIP-7002)
                   // Answers an empty call (the fee query) with 1 and reverts on any request:
                   //  0 CALLDATASIZE  1 PUSH1 0x0e  3 JUMPI  4 PUSH1 1  6 PUSH1 0  8 MSTORE  9 PUSH1 32
                   // 11 PUSH1 0  13 RETURN  14 JUMPDEST  15 PUSH1 0  17 DUP1  18 REVERT
    let refusing = vec![
        0x36, 0x60, 0x0e, 0x57, 0x60, 0x01, 0x60, 0x00, 0x52, 0x60, 0x20, 0x60, 0x00, 0xf3, 0x5b,
        0x60, 0x00, 0x80, 0xfd,
    ];
    for (code, missing) in [(Vec::new(), true), (refusing, false)] {
        let mut w = VaultTest::new();
        let owner = w.d.chain.account("operator");
        let id = w.joined(40, owner);
        let p = w.facts(
            40,
            ProofParts::ALL,
            Facts::at(ACTIVE_SLOT).balance(GWEI_31_98),
        );
        w.d.chain.set_code(predeploy, code.into());
        let e = refusal(w.eject(id, &p));
        if missing {
            assert!(matches!(e, E::WithdrawalFeeUnavailable(_)), "{e:?}");
        } else {
            assert!(matches!(e, E::WithdrawalRequestFailed(_)), "{e:?}");
        }
        let pos = w.position(id);
        assert!(!pos.rewardPaid && !pos.exitRequested);
        assert_eq!(w.seth_balance(w.keeper), U256::ZERO);
        assert_eq!(w.pending(), U256::ZERO);
    }
}

#[test]
fn eject_at_31_98_sends_a_full_exit_from_the_vault_and_pays_the_reward_once() {
    let mut w = VaultTest::new();
    let owner = w.d.chain.account("operator");
    let keeper = w.keeper;
    let id = w.joined(40, owner);
    let p = w.facts(
        40,
        ProofParts::ALL,
        Facts::at(ACTIVE_SLOT).balance(GWEI_31_98),
    );
    let eth_before = w.d.chain.balance(keeper);
    let r = w.eject(id, &p).expect_success();

    let ev = r.events_from::<Vault::Ejected>(w.d.vault);
    assert_eq!(ev.len(), 1);
    assert_eq!(
        (
            ev[0].positionId,
            ev[0].caller,
            ev[0].balanceGwei,
            ev[0].inactivityScore,
            ev[0].slot,
            ev[0].rewarded
        ),
        (id, keeper, GWEI_31_98, 0, ACTIVE_SLOT, true)
    );
    // The reward is a mint of 0.1 sETH to the caller.
    assert_eq!(
        r.events_from::<Seth::Transfer>(w.d.seth),
        vec![Seth::Transfer {
            from: Address::ZERO,
            to: keeper,
            amount: tenth()
        }]
    );
    let req = r.events_from::<Vault::ExitRequested>(w.d.vault);
    assert_eq!(
        (req[0].positionId, req[0].fee, req[0].pendingExitDebt),
        (id, U256::ONE, ether(31) + tenth())
    );
    // Exactly the fee (1 wei with an empty queue) left the caller; the rest came back.
    assert_eq!(eth_before - w.d.chain.balance(keeper), U256::ONE);
    w.assert_eth_accounted(U256::ZERO);
    assert_eq!(w.seth_balance(keeper), tenth());
    assert_eq!(w.seth_supply(), ether(31) + tenth());
    assert_eq!(w.total_debt(), ether(31) + tenth());
    assert_eq!(
        w.view(&Vault::debtOfCall { positionId: id }),
        ether(31) + tenth()
    );
    let pos = w.position(id);
    assert!(pos.rewardPaid);
    assert_eq!(
        pos.status, 1,
        "still Active: only a later proof marks it exiting"
    );
    assert_eq!(pos.lastExitRequestBlock, w.d.chain.block_number());
    assert_eq!(pos.lastProofSlot, ACTIVE_SLOT);
    assert_eq!(w.shortfall(), U256::ZERO, "31.98 ETH covers 31.1");

    // The system call after the block hands the consensus layer a full exit from the vault.
    let requests =
        w.d.chain
            .next_block(B256::repeat_byte(0x66))
            .withdrawals
            .clone();
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0].source_address, w.d.vault);
    assert_eq!(requests[0].validator_pubkey.as_slice(), &p.pubkey[..]);
    assert_eq!(requests[0].amount, 0, "a full exit");

    // Again within EXIT_RESEND_BLOCKS: refused, even with a fresher proof.
    let again = w.facts(
        40,
        ProofParts::ALL,
        Facts::at(ACTIVE_SLOT + 1).balance(GWEI_31_98),
    );
    let sent = pos.lastExitRequestBlock.to::<u64>();
    let e = refusal(w.eject(id, &again));
    assert!(
        matches!(e, E::ExitRequestTooSoon(ref x) if x.positionId == id
            && x.lastRequestBlock == U256::from(sent)
            && x.earliestBlock == U256::from(sent + EXIT_RESEND_BLOCKS)),
        "{e:?}"
    );
    // After it: re-sent, but no second reward.
    w.advance(EXIT_RESEND_BLOCKS);
    let later = w.facts(
        40,
        ProofParts::ALL,
        Facts::at(ACTIVE_SLOT + 2).balance(GWEI_31_98),
    );
    let r = w.eject(id, &later).expect_success();
    assert!(!r.events_from::<Vault::Ejected>(w.d.vault)[0].rewarded);
    assert!(r.events_from::<Seth::Transfer>(w.d.seth).is_empty());
    assert_eq!(w.seth_balance(keeper), tenth());
    assert_eq!(w.total_debt(), ether(31) + tenth());
    assert_eq!(
        w.d.chain
            .next_block(B256::repeat_byte(0x65))
            .withdrawals
            .len(),
        1
    );
}

#[test]
fn a_healthy_validator_is_not_ejectable() {
    let mut w = VaultTest::new();
    let owner = w.d.chain.account("operator");
    let id = w.joined(41, owner);
    for (balance, score) in [
        (32_000_000_000, 0),
        (31_990_000_000, 0),                  // exactly EJECT_BELOW: not under it
        (32_000_000_000, INACTIVITY_TRIGGER), // exactly the trigger: not over it
    ] {
        let p = w.facts(
            41,
            ProofParts::ALL,
            Facts::at(ACTIVE_SLOT).balance(balance).score(score),
        );
        let e = refusal(w.eject(id, &p));
        assert!(
            matches!(e, E::NotEjectable(ref x) if x.balanceGwei == balance && x.inactivityScore == score),
            "{e:?}"
        );
    }
    assert_eq!(w.position(id).lastExitRequestBlock, 0);
}

#[test]
fn an_inactivity_score_over_the_trigger_ejects_a_full_balance() {
    let mut w = VaultTest::new();
    let owner = w.d.chain.account("operator");
    let id = w.joined(42, owner);
    let p = w.facts(
        42,
        ProofParts::ALL,
        Facts::at(ACTIVE_SLOT).score(INACTIVITY_TRIGGER + 1),
    );
    let r = w.eject(id, &p).expect_success();
    let ev = r.events_from::<Vault::Ejected>(w.d.vault);
    assert_eq!(
        (ev[0].inactivityScore, ev[0].rewarded),
        (INACTIVITY_TRIGGER + 1, true)
    );
    assert_eq!(
        w.d.chain.next_block(B256::repeat_byte(1)).withdrawals.len(),
        1
    );
}

#[test]
fn the_eject_reward_is_withheld_when_the_exit_cannot_take_effect() {
    let mut w = VaultTest::new();
    let owner = w.d.chain.account("operator");
    let low = Facts::at(ACTIVE_SLOT).balance(GWEI_31_98);
    for (index, label, facts) in [
        (43, "already exiting", low.exit(300)),
        (44, "active 255 epochs", low.activation(266 - 255)),
        (45, "not yet active", low.activation(FAR_FUTURE)),
    ] {
        let id = w.joined(index, owner);
        let p = w.facts(index, ProofParts::ALL, facts);
        let r = w.eject(id, &p).expect_success();
        assert!(
            !r.events_from::<Vault::Ejected>(w.d.vault)[0].rewarded,
            "{label}"
        );
        assert!(!w.position(id).rewardPaid, "{label}");
    }
    // 256 epochs exactly: rewarded.
    let id = w.joined(46, owner);
    let p = w.facts(46, ProofParts::ALL, low.activation(266 - 256));
    assert!(
        w.eject(id, &p)
            .expect_success()
            .events_from::<Vault::Ejected>(w.d.vault)[0]
            .rewarded
    );
    assert_eq!(w.seth_balance(w.keeper), tenth());
    assert_eq!(w.total_debt(), ether(31 * 4) + tenth());
}

#[test]
fn eject_refuses_a_fee_above_the_cap_or_the_value_sent() {
    let mut w = VaultTest::new();
    let owner = w.d.chain.account("operator");
    let keeper = w.keeper;
    let id = w.joined(47, owner);
    let p = w.facts(
        47,
        ProofParts::ALL,
        Facts::at(ACTIVE_SLOT).balance(GWEI_31_98),
    );
    for (max_fee, value, cap) in [(0, 10, 0), (10, 0, 0)] {
        let e = refusal(w.eject_with(keeper, id, &p, max_fee, value));
        assert!(
            matches!(e, E::WithdrawalFeeAboveMax(ref x) if x.fee == U256::ONE && x.maxFee == U256::from(cap)),
            "{e:?}"
        );
    }
    // The vault's own ETH never pays the fee.
    w.donate(owner, ether(1));
    let e = refusal(w.eject_with(keeper, id, &p, 10, 0));
    assert!(matches!(e, E::WithdrawalFeeAboveMax(_)), "{e:?}");
    let before = w.d.chain.balance(keeper);
    w.eject_with(keeper, id, &p, 1, 1).expect_success();
    assert_eq!(before - w.d.chain.balance(keeper), U256::ONE);
    w.assert_eth_accounted(U256::ZERO);
    assert_eq!(w.buffer(), ether(1));
}

#[test]
fn eject_refuses_missing_parts_another_key_a_stale_proof_and_unknown_positions() {
    let mut w = VaultTest::new();
    let owner = w.d.chain.account("operator");
    let id = w.joined(48, owner);
    let other = w.joined(49, owner);
    let low = Facts::at(ACTIVE_SLOT).balance(GWEI_31_98);

    let p = w.facts(48, ProofParts::BALANCE, low);
    assert!(matches!(
        refusal(w.eject(id, &p)),
        E::InactivityScoreNotProven(_)
    ));
    let p = w.facts(48, ProofParts::INACTIVITY_SCORE, low.score(1_000));
    assert!(matches!(refusal(w.eject(id, &p)), E::BalanceNotProven(_)));

    // Validator 48's proof for position 2 (validator 49): checked against index 49, no match.
    let p = w.facts(48, ProofParts::ALL, low);
    assert!(matches!(
        refusal(w.eject(other, &p)),
        E::ProofRootMismatch(_)
    ));
    // The registry entry at position 1's index carrying another key: not position 1's.
    let key49 = genesis_state().validators[49].pubkey;
    let p = w.prove_with(48, ProofParts::ALL, |s| {
        s.slot = lsv_consensus::Slot::new(ACTIVE_SLOT);
        s.balances[48] = Gwei::new(GWEI_31_98);
        s.validators[48].pubkey = key49;
    });
    let e = refusal(w.eject(id, &p));
    assert!(
        matches!(e, E::WrongPosition(ref x) if x.positionId == id && x.provenPositionId == other),
        "{e:?}"
    );
    let p = w.prove_with(48, ProofParts::ALL, |s| {
        s.slot = lsv_consensus::Slot::new(ACTIVE_SLOT);
        s.balances[48] = Gwei::new(GWEI_31_98);
        s.validators[48].pubkey.0[0] ^= 1;
    });
    let e = refusal(w.eject(id, &p));
    assert!(
        matches!(e, E::WrongPosition(ref x) if x.provenPositionId.is_zero()),
        "{e:?}"
    );

    // A newer state was proven (mark-to-proof at a later slot): the older one is stale.
    let newer = w.facts(48, ProofParts::BALANCE, Facts::at(ACTIVE_SLOT + 10));
    w.mark(id, &newer, false).expect_success();
    let p = w.facts(48, ProofParts::ALL, low);
    let e = refusal(w.eject(id, &p));
    assert!(
        matches!(e, E::StaleProof(ref x) if x.slot == ACTIVE_SLOT && x.lastProofSlot == ACTIVE_SLOT + 10),
        "{e:?}"
    );
    // No such position.
    let e = refusal(w.eject(U256::from(9), &p));
    assert!(
        matches!(e, E::InvalidPositionStatus(ref x) if x.status == 0),
        "{e:?}"
    );
}

#[test]
fn mark_exiting_moves_the_debt_to_exiting_once() {
    let mut w = VaultTest::new();
    let owner = w.d.chain.account("operator");
    let id = w.joined(50, owner);
    let p = w.facts(50, ProofParts::VALIDATOR, Facts::at(ACTIVE_SLOT));
    assert!(matches!(refusal(w.mark_exiting(id, &p)), E::NotExiting(_)));
    let p = w.facts(50, ProofParts::VALIDATOR, Facts::at(ACTIVE_SLOT).exit(300));
    let r = w.mark_exiting(id, &p).expect_success();
    let ev = r.events_from::<Vault::MarkedExiting>(w.d.vault);
    assert_eq!(
        (ev[0].exitEpoch, ev[0].slot, ev[0].debt),
        (300, ACTIVE_SLOT, ether(31))
    );
    assert_eq!(w.position(id).status, 2, "Exiting");
    assert_eq!(U256::from(w.view(&Vault::exitingDebtCall {})), ether(31));
    assert_eq!(
        w.total_debt(),
        ether(31),
        "the debt stays live until settlement"
    );
    let e = refusal(w.mark_exiting(id, &p));
    assert!(
        matches!(e, E::InvalidPositionStatus(ref x) if x.status == 2),
        "{e:?}"
    );
    let q = w.facts(
        50,
        ProofParts::ALL,
        Facts::at(ACTIVE_SLOT).balance(GWEI_31_98).exit(300),
    );
    assert!(matches!(
        refusal(w.eject(id, &q)),
        E::InvalidPositionStatus(_)
    ));
    // A live exiting position can still be marked to a proof.
    let q = w.facts(
        50,
        ProofParts::BALANCE,
        Facts::at(ACTIVE_SLOT + 1).balance(30_000_000_000).exit(300),
    );
    w.mark(id, &q, false).expect_success();
    assert_eq!(w.shortfall(), ether(1));
}

#[test]
fn losses_marked_to_proof_lower_the_rate_of_later_batches_only() {
    let mut w = VaultTest::new();
    let alice = w.d.chain.account("alice");
    let bob = w.d.chain.account("bob");
    let donor = w.d.chain.account("donor");
    let a = w.joined(51, alice);
    w.joined(52, alice);
    w.seth_transfer(alice, bob, ether(3));
    w.donate(donor, ether(10));
    w.redeem(alice, ether(5)).expect_success(); // request 1
    w.finalize(1).expect_success(); // at 1: buffer 5, reserved 5, supply 57
    w.redeem(bob, ether(3)).expect_success(); // request 2

    // Not slashed: markSlashed refuses; no balance part: both refuse.
    let p = w.facts(
        51,
        ProofParts::BALANCE,
        Facts::at(ACTIVE_SLOT).balance(15_000_000_000),
    );
    assert!(matches!(refusal(w.mark(a, &p, true)), E::NotSlashed(_)));
    let p = w.facts(51, ProofParts::VALIDATOR, Facts::at(ACTIVE_SLOT).slashed());
    assert!(matches!(
        refusal(w.mark(a, &p, true)),
        E::BalanceNotProven(_)
    ));

    // Slashed at 15 ETH: the position's shortfall is 31 - 15 = 16 ETH.
    let slot = ACTIVE_SLOT + 1;
    let p = w.facts(
        51,
        ProofParts::BALANCE,
        Facts::at(slot).balance(15_000_000_000).slashed(),
    );
    let r = w.mark(a, &p, true).expect_success();
    assert_eq!(
        r.events_from::<Vault::MarkedSlashed>(w.d.vault)[0].slot,
        slot
    );
    let ev = r.events_from::<Vault::ShortfallMarked>(w.d.vault);
    assert_eq!(
        (ev[0].shortfall, ev[0].totalShortfall),
        (ether(16), ether(16))
    );
    assert!(w.position(a).slashed);
    assert_eq!(w.position(a).shortfall, 16_000_000_000_000_000_000u128);
    assert!(!w.position(a).rewardPaid, "no reward for a slashing proof");
    assert_eq!(w.shortfall(), ether(16));
    // backing = 5 + 62 - 16 = 51 < outstanding 57 (54 in hand, 3 in request 2).
    assert_eq!(w.backing(), ether(51));
    assert_eq!(w.outstanding(), ether(57));
    assert_eq!(w.seth_supply(), ether(54));

    let f = w.finalize(2).expect_success();
    let rate = ether(51) * ether(1) / ether(57);
    let ev = f.events_from::<Vault::Finalized>(w.d.vault);
    assert_eq!(ev[0].rate, rate);
    assert!(rate < ether(1));
    let owed = ether(3) * rate / ether(1);
    assert_eq!(ev[0].ethReserved, owed);
    assert_eq!(w.view(&Vault::checkpointCountCall {}), 2);

    // Claims pay at their checkpoint's rate to the wei; the earlier batch is not re-priced.
    let (a0, b0) = (w.d.chain.balance(alice), w.d.chain.balance(bob));
    w.claim(2, 2).expect_success();
    w.claim(1, 1).expect_success();
    assert_eq!(w.d.chain.balance(bob) - b0, owed);
    assert_eq!(w.d.chain.balance(alice) - a0, ether(5));
    w.assert_eth_accounted(U256::ZERO);

    // A fresher proof can lower the shortfall (the balance recovered), and raise it again.
    let p = w.facts(
        51,
        ProofParts::BALANCE,
        Facts::at(slot + 1).balance(30_500_000_000).slashed(),
    );
    w.mark(a, &p, false).expect_success();
    assert_eq!(w.shortfall(), ether(1) / U256::from(2));
    let p = w.facts(
        51,
        ProofParts::BALANCE,
        Facts::at(slot + 2).balance(31_000_000_001),
    );
    w.mark(a, &p, false).expect_success();
    assert_eq!(w.shortfall(), U256::ZERO);
    // An older proof than the newest recorded is refused.
    let p = w.facts(51, ProofParts::BALANCE, Facts::at(slot).balance(1));
    assert!(matches!(refusal(w.mark(a, &p, false)), E::StaleProof(_)));
}

/// A reward paid on a position whose exit was already requested raises `pendingExitDebt` with
/// its debt: it stays the sum of the flagged positions' debts.
#[test]
fn eject_then_reward_keeps_pending_exit_debt_equal_to_the_flagged_debts() {
    let mut w = VaultTest::new();
    let owner = w.d.chain.account("operator");
    let ids: Vec<U256> = (130..133).map(|i| w.joined(i, owner)).collect();
    let low = Facts::at(ACTIVE_SLOT).balance(GWEI_31_98);
    let later = Facts::at(ACTIVE_SLOT + 1).balance(GWEI_31_98);
    let flagged_sum = |w: &VaultTest| -> U256 {
        ids.iter()
            .filter(|id| w.position(**id).exitRequested)
            .map(|id| w.debt_of(*id))
            .sum()
    };

    // 1: ejected without the reward (active 255 epochs): flagged at 31.
    let p = w.facts(130, ProofParts::ALL, low.activation(266 - 255));
    let r = w.eject(ids[0], &p).expect_success();
    assert!(!r.events_from::<Vault::Ejected>(w.d.vault)[0].rewarded);
    let ev = r.events_from::<Vault::ExitRequested>(w.d.vault);
    assert_eq!(ev[0].pendingExitDebt, ether(31));
    // 2: demanded (1 skipped: its request is recent), not rewarded: flagged at 31.
    w.redeem(owner, ether(40)).expect_success();
    w.skip(ids[0], None).expect_success();
    let p = w.facts(131, ProofParts::VALIDATOR, Facts::at(ACTIVE_SLOT));
    w.demand_exit(ids[1], &p).expect_success();
    assert_eq!(w.pending(), ether(62));
    // 3: ejected and rewarded at once: flagged at 31.1, the reward included.
    let p = w.facts(132, ProofParts::ALL, low);
    let r = w.eject(ids[2], &p).expect_success();
    assert_eq!(
        r.events_from::<Vault::ExitRequested>(w.d.vault)[0].pendingExitDebt,
        ether(93) + tenth()
    );
    assert_eq!(w.pending(), ether(93) + tenth());
    assert_eq!(w.pending(), flagged_sum(&w));

    // After the window, 1 (ejected) and 2 (demanded) are ejected again, now rewarded: +0.1 each.
    w.advance(EXIT_RESEND_BLOCKS);
    for (k, total) in [
        (0usize, ether(93) + tenth() * U256::from(2)),
        (1, ether(93) + tenth() * U256::from(3)),
    ] {
        let p = w.facts(130 + k as u64, ProofParts::ALL, later);
        let r = w.eject(ids[k], &p).expect_success();
        assert!(r.events_from::<Vault::Ejected>(w.d.vault)[0].rewarded);
        let ev = r.events_from::<Vault::ExitRequested>(w.d.vault);
        assert_eq!(ev[0].pendingExitDebt, total);
        assert_eq!(w.debt_of(ids[k]), ether(31) + tenth());
        assert_eq!(w.pending(), flagged_sum(&w));
    }
    // A re-eject of a rewarded position adds nothing.
    let p = w.facts(132, ProofParts::ALL, later);
    let r = w.eject(ids[2], &p).expect_success();
    assert_eq!(
        r.events_from::<Vault::ExitRequested>(w.d.vault)[0].pendingExitDebt,
        (ether(31) + tenth()) * U256::from(3)
    );
    assert_eq!(w.pending(), (ether(31) + tenth()) * U256::from(3));
    assert_eq!(w.pending(), flagged_sum(&w));
    // StateProof exiting: the rewarded debt moves whole.
    let p = w.facts(
        130,
        ProofParts::VALIDATOR,
        Facts::at(ACTIVE_SLOT + 2).exit(400),
    );
    w.mark_exiting(ids[0], &p).expect_success();
    assert_eq!(
        (w.pending(), w.exiting()),
        ((ether(31) + tenth()) * U256::from(2), ether(31) + tenth())
    );
    assert_eq!(w.pending(), flagged_sum(&w));
    assert_eq!(w.total_debt(), (ether(31) + tenth()) * U256::from(3));
}
