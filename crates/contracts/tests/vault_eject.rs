//! Eject, the loss marks and `markExiting` (`contracts/src/vault/VaultExits.sol`) on the
//! [`VaultTest`] fixture, with proofs of the consensus-spec genesis state's validators edited to
//! show the balance, inactivity score, epochs and slashing each test names ([`Facts`]):
//!
//! - eject at 31.98 ETH (the balance part alone) or over the inactivity trigger: an EIP-7002
//!   full exit dequeued with the vault as its source, the caller paying exactly the fee, the
//!   reward once per position, re-sent only after `EXIT_RESEND_BLOCKS`; a missing or refusing
//!   7002 predeploy fails it by name;
//! - the reward never mints unbacked sETH: `min(0.1, balance - 31)`, nothing at or below 31 ETH
//!   (audit finding 5);
//! - an exit the consensus layer would ignore (exiting, not active, active under 256 epochs at
//!   the current epoch) is refused and counts as no cover, so demand exits go on (finding 6);
//! - eject's refusals: a healthy validator, a fee above the cap or the value sent, missing proof
//!   parts, another validator's proof or key, a stale proof, an unknown position;
//! - `exitingDebt` stays the sum of the counted positions' debts as requests and rewards come;
//! - `markExiting` moves the debt to `exitingDebt` once; `markToProof` records a shortfall both
//!   ways, which lowers the rate of later batches only;
//! - a slashing is booked at its worst case until a proof after its correlation penalty, and
//!   nothing is finalized below par meanwhile (finding 3).

#![allow(unused_crate_dependencies)]

mod common;

use common::vault::{
    genesis_state, milli, tenth, Facts, VaultTest, ACTIVE_SLOT, EPOCHS_PER_SLASHINGS_VECTOR,
    EXIT_RESEND_BLOCKS, FAR_FUTURE, GWEI_31_98, INACTIVITY_TRIGGER,
};
use common::{ether, gwei, proof_refusal, refusal};
use lsv_consensus::Gwei;
use lsv_contracts::bindings::proof_verifier::ProofVerifier::ProofVerifierErrors as P;
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
        assert!(pos.rewardGwei == 0 && !pos.exitRequested);
        assert_eq!(w.seth_balance(w.keeper), U256::ZERO);
        assert_eq!(w.exiting(), U256::ZERO);
    }
}

#[test]
fn eject_at_31_98_sends_a_full_exit_from_the_vault_and_pays_the_reward_once() {
    let mut w = VaultTest::new();
    let owner = w.d.chain.account("operator");
    let keeper = w.keeper;
    let id = w.joined(40, owner);
    // Under the threshold, the balance part alone ejects (no inactivity part to pay for).
    let p = w.facts(
        40,
        ProofParts::BALANCE,
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
            ev[0].reward
        ),
        (id, keeper, GWEI_31_98, 0, ACTIVE_SLOT, tenth())
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
        (req[0].positionId, req[0].fee, req[0].exitingDebt),
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
    assert_eq!(pos.rewardGwei, 100_000_000);
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
    assert!(r.events_from::<Vault::Ejected>(w.d.vault)[0]
        .reward
        .is_zero());
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
    // Not under the threshold and no inactivity part: the score the eject would need is missing.
    let p = w.facts(41, ProofParts::BALANCE, Facts::at(ACTIVE_SLOT + 1));
    assert!(matches!(
        refusal(w.eject(id, &p)),
        E::InactivityScoreNotProven(_)
    ));
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
        (ev[0].inactivityScore, ev[0].reward),
        (INACTIVITY_TRIGGER + 1, tenth())
    );
    assert_eq!(
        w.d.chain.next_block(B256::repeat_byte(1)).withdrawals.len(),
        1
    );
}

/// Audit finding 6: an eject whose request the consensus layer would ignore used to count the
/// position's debt as exit cover, so a demand exit that was needed was refused. Now such an eject
/// is refused (judged at the current epoch, as `process_withdrawal_request` will judge it),
/// nothing is counted, and the demand exit goes ahead.
#[test]
fn an_exit_the_consensus_layer_would_ignore_is_refused_and_counts_as_no_cover() {
    let mut w = VaultTest::new();
    let owner = w.d.chain.account("operator");
    let low = Facts::at(ACTIVE_SLOT).balance(GWEI_31_98);
    let young = w.joined(44, owner);
    let healthy = w.joined(46, owner);
    // The epoch of every proof below is 266; so is the chain's (its clock follows the proofs).
    for (facts, reason, label) in [
        (low.activation(266 - 255), 4u8, "active 255 epochs"),
        (low.activation(FAR_FUTURE), 3, "not yet scheduled"),
        (low.activation(267), 3, "activating next epoch"),
        (low.exit(300), 5, "already exiting"),
    ] {
        let p = w.facts(44, ProofParts::BALANCE, facts);
        let e = refusal(w.eject(young, &p));
        assert!(
            matches!(e, E::ExitIneligible(ref x) if x.positionId == young && x.reason == reason),
            "{label}: {e:?}"
        );
    }
    assert_eq!(w.exiting(), U256::ZERO, "no cover from an ignored request");
    assert_eq!(w.seth_balance(w.keeper), U256::ZERO, "no reward");
    assert!(w
        .d
        .chain
        .next_block(B256::repeat_byte(0x44))
        .withdrawals
        .is_empty());

    // 30 sETH open: the young validator is skipped with its proof, the healthy one is asked to
    // exit. (Counted as cover, the ignored eject's 31 would have refused this with NoDemand.)
    w.redeem(owner, ether(30)).expect_success();
    let p = w.facts(
        44,
        ProofParts::VALIDATOR,
        Facts::at(ACTIVE_SLOT + 1).activation(11),
    );
    w.skip(young, Some(&p)).expect_success();
    let p = w.facts(46, ProofParts::VALIDATOR, Facts::at(ACTIVE_SLOT + 1));
    w.demand_exit(healthy, &p).expect_success();
    assert_eq!(w.exiting(), ether(31));
    let exits =
        w.d.chain
            .next_block(B256::repeat_byte(0x45))
            .withdrawals
            .clone();
    assert_eq!(exits.len(), 1);
    assert_eq!(exits[0].validator_pubkey.as_slice(), &w.d.pubkey(46)[..]);

    // 256 epochs exactly: the eject goes through, with its reward.
    let p = w.facts(
        44,
        ProofParts::BALANCE,
        low.activation(266 - 256).at_slot(ACTIVE_SLOT + 2),
    );
    let r = w.eject(young, &p).expect_success();
    assert_eq!(
        r.events_from::<Vault::Ejected>(w.d.vault)[0].reward,
        tenth()
    );
}

/// Audit finding 5: the reward was minted in full even when the balance could not back it. Now
/// it is `min(EJECT_REWARD, balance - MINT)`, nothing at or below 31 ETH, and the debt grows by
/// exactly what was minted: every sETH stays backed by a proven balance.
#[test]
fn the_eject_reward_never_exceeds_the_balance_above_the_debt() {
    let mut w = VaultTest::new();
    let owner = w.d.chain.account("operator");
    let keeper = w.keeper;
    for (index, balance, reward, shortfall) in [
        (60u64, 31_050_000_000u64, milli(50), U256::ZERO),
        (61, 31_000_000_000, U256::ZERO, U256::ZERO),
        (62, 30_500_000_000, U256::ZERO, milli(500)),
        (63, 31_100_000_001, tenth(), U256::ZERO),
    ] {
        let id = w.joined(index, owner);
        let minted = w.seth_supply();
        let marked = w.shortfall();
        let p = w.facts(
            index,
            ProofParts::BALANCE,
            Facts::at(ACTIVE_SLOT).balance(balance),
        );
        let r = w.eject(id, &p).expect_success();
        assert_eq!(
            r.events_from::<Vault::Ejected>(w.d.vault)[0].reward,
            reward,
            "{balance}"
        );
        assert_eq!(w.seth_supply() - minted, reward, "{balance}");
        assert_eq!(
            r.events_from::<lsv_contracts::bindings::SETH::Transfer>(w.d.seth)
                .len(),
            usize::from(!reward.is_zero())
        );
        assert_eq!(w.debt_of(id), ether(31) + reward, "{balance}");
        assert_eq!(U256::from(w.position(id).rewardGwei) * gwei(1), reward);
        assert_eq!(w.shortfall() - marked, shortfall, "{balance}");
    }
    // Nothing minted was unbacked: backing equals what is outstanding less the one real loss.
    assert_eq!(w.backing() + milli(500), w.outstanding());
    assert_eq!(w.seth_balance(keeper), milli(50) + tenth());
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

    // The balance part is always needed (the reward and the mark read it).
    let p = w.facts(48, ProofParts::INACTIVITY_SCORE, low.score(1_000));
    assert!(matches!(refusal(w.eject(id, &p)), E::BalanceNotProven(_)));

    // Validator 48's proof for position 2 (validator 49): checked against index 49, no match.
    let p = w.facts(48, ProofParts::ALL, low);
    assert!(matches!(
        proof_refusal(w.eject(other, &p)),
        P::ProofRootMismatch(_)
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
        (ev[0].exitEpoch, ev[0].slot, ev[0].exitingDebt),
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
    let p = w.facts(51, ProofParts::VALIDATOR, Facts::at(ACTIVE_SLOT));
    assert!(matches!(
        refusal(w.mark(a, &p, false)),
        E::BalanceNotProven(_)
    ));

    // Leaked to 15 ETH: the position's shortfall is 31 - 15 = 16 ETH.
    let slot = ACTIVE_SLOT + 1;
    let p = w.facts(
        51,
        ProofParts::BALANCE,
        Facts::at(slot).balance(15_000_000_000),
    );
    let r = w.mark(a, &p, false).expect_success();
    let ev = r.events_from::<Vault::ShortfallMarked>(w.d.vault);
    assert_eq!(
        (ev[0].shortfall, ev[0].totalShortfall),
        (ether(16), ether(16))
    );
    assert_eq!(
        w.position(a).shortfall.to::<u128>(),
        16_000_000_000_000_000_000u128
    );
    assert_eq!(w.position(a).rewardGwei, 0, "no reward for a mark");
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
        Facts::at(slot + 1).balance(30_500_000_000),
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

/// Audit finding 3: right after a slashing Electra takes only `effective_balance / 4096`; the
/// correlation penalty comes at `withdrawable_epoch - 4096`, ~18 days later. Booked at the proven
/// balance, the rate stayed 1 until then: early redeemers left at par and late ones took the
/// whole loss. Now the slashing is booked at its worst case (the whole debt) and nothing is
/// finalized below par until a proof after the penalty shows the real outcome; then every
/// request still open, early or late, is finalized at the same rate.
#[test]
fn a_slashing_is_booked_at_its_worst_case_until_its_penalty_is_proven() {
    let mut w = VaultTest::new();
    let alice = w.d.chain.account("alice");
    let bob = w.d.chain.account("bob");
    let donor = w.d.chain.account("donor");
    let a = w.joined(53, alice);
    w.joined(54, alice);
    w.seth_transfer(alice, bob, ether(2));
    w.donate(donor, ether(5));
    w.redeem(alice, ether(2)).expect_success(); // request 1: the early redeemer

    // Slashed in epoch 266: `slash_validator` took 32 / 4096 ETH; withdrawable at 266 + 8192.
    let epoch = ACTIVE_SLOT / 32;
    let slashed = Facts::at(ACTIVE_SLOT)
        .balance(31_992_187_500)
        .slashed_at(epoch);
    let p = w.facts(53, ProofParts::BALANCE, slashed);
    let r = w.mark(a, &p, true).expect_success();
    let ev = &r.events_from::<Vault::MarkedSlashed>(w.d.vault)[0];
    assert_eq!(
        (
            ev.positionId,
            ev.slot,
            ev.penaltyPending,
            ev.slashingsPending
        ),
        (a, ACTIVE_SLOT, true, U256::ONE)
    );
    let pos = w.position(a);
    assert!(pos.slashed && pos.penaltyPending);
    assert_eq!(
        w.shortfall(),
        ether(31),
        "the worst case: nothing of the balance is safe"
    );
    assert_eq!(w.slashings_pending(), 1);
    // backing 5 + 62 - 31 = 36 < 62 outstanding: no finalization on the guess.
    assert_eq!(w.backing(), ether(36));
    let e = refusal(w.finalize(1));
    assert!(
        matches!(e, E::SlashingPenaltyPending(ref x) if x.count == U256::ONE),
        "{e:?}"
    );
    // Any proof of the slashed validator before the penalty keeps the worst case, whatever its
    // balance, and a markToProof of it records the slashing as well.
    let p = w.facts(53, ProofParts::BALANCE, slashed.at_slot(ACTIVE_SLOT + 32));
    w.mark(a, &p, false).expect_success();
    assert_eq!((w.shortfall(), w.slashings_pending()), (ether(31), 1));
    w.redeem(bob, ether(2)).expect_success(); // request 2: the late redeemer

    // The last epoch before the penalty: still pending.
    let last = (epoch + EPOCHS_PER_SLASHINGS_VECTOR / 2) * 32 + 31;
    let p = w.facts(53, ProofParts::BALANCE, slashed.at_slot(last));
    w.mark(a, &p, true).expect_success();
    assert_eq!(w.slashings_pending(), 1);
    // The first state after `process_slashings` ran: 20 ETH left, so 11 ETH is the real loss.
    let after = slashed.at_slot(last + 1).balance(20_000_000_000);
    let p = w.facts(53, ProofParts::BALANCE, after);
    let r = w.mark(a, &p, true).expect_success();
    let ev = &r.events_from::<Vault::MarkedSlashed>(w.d.vault)[0];
    assert_eq!(
        (ev.penaltyPending, ev.slashingsPending),
        (false, U256::ZERO)
    );
    assert!(!w.position(a).penaltyPending && w.position(a).slashed);
    assert_eq!((w.shortfall(), w.slashings_pending()), (ether(11), 0));

    // Both requests, the early one and the late one, at one rate: (5 + 62 - 11) / 62.
    let f = w.finalize(2).expect_success();
    let rate = ether(56) * ether(1) / ether(62);
    assert_eq!(f.events_from::<Vault::Finalized>(w.d.vault)[0].rate, rate);
    let (a0, b0) = (w.d.chain.balance(alice), w.d.chain.balance(bob));
    w.claim(1, 1).expect_success();
    w.claim(2, 1).expect_success();
    let each = ether(2) * rate / ether(1);
    assert_eq!(w.d.chain.balance(alice) - a0, each);
    assert_eq!(w.d.chain.balance(bob) - b0, each);
    w.assert_eth_accounted(U256::ZERO);
}

/// A pending slashing holds back only what its worst case would push below par: a queue that
/// stays fully backed even then is finalized at par meanwhile.
#[test]
fn a_pending_slashing_does_not_stop_a_queue_backed_even_in_the_worst_case() {
    let mut w = VaultTest::new();
    let alice = w.d.chain.account("alice");
    let donor = w.d.chain.account("donor");
    let a = w.joined(55, alice);
    w.donate(donor, ether(40));
    w.redeem(alice, ether(10)).expect_success();
    let p = w.facts(
        55,
        ProofParts::BALANCE,
        Facts::at(ACTIVE_SLOT).slashed_at(ACTIVE_SLOT / 32),
    );
    w.mark(a, &p, true).expect_success();
    assert_eq!(w.slashings_pending(), 1);
    // backing 40 + 31 - 31 = 40 >= 31 outstanding: par.
    let f = w.finalize(1).expect_success();
    assert_eq!(
        f.events_from::<Vault::Finalized>(w.d.vault)[0].rate,
        ether(1)
    );
}

/// `exitingDebt` is the sum of the debts of the positions counted as exiting: asked to exit by
/// an honoured request, or proven exiting; a reward paid on a counted position adds itself; a
/// position proven exiting after its request moves nothing.
#[test]
fn exit_requests_and_rewards_keep_exiting_debt_equal_to_the_counted_debts() {
    let mut w = VaultTest::new();
    let owner = w.d.chain.account("operator");
    let ids: Vec<U256> = (130..133).map(|i| w.joined(i, owner)).collect();
    let low = Facts::at(ACTIVE_SLOT).balance(GWEI_31_98);
    let later = Facts::at(ACTIVE_SLOT + 1).balance(GWEI_31_98);
    let counted = |w: &VaultTest| -> U256 {
        ids.iter()
            .filter(|id| w.position(**id).exitRequested || w.position(**id).status == 2)
            .map(|id| w.debt_of(*id))
            .sum()
    };

    // 1: demanded (not rewarded): counted at 31.
    w.redeem(owner, ether(40)).expect_success();
    let p = w.facts(130, ProofParts::VALIDATOR, Facts::at(ACTIVE_SLOT));
    let r = w.demand_exit(ids[0], &p).expect_success();
    assert_eq!(
        r.events_from::<Vault::ExitRequested>(w.d.vault)[0].exitingDebt,
        ether(31)
    );
    // 2: ejected and rewarded at once: counted at 31.1, the reward included.
    let p = w.facts(131, ProofParts::BALANCE, low);
    let r = w.eject(ids[1], &p).expect_success();
    assert_eq!(
        r.events_from::<Vault::ExitRequested>(w.d.vault)[0].exitingDebt,
        ether(62) + tenth()
    );
    assert_eq!(w.exiting(), counted(&w));

    // After the window, 1 (demanded) is ejected, now rewarded: +0.1, and 2 again: +0.
    w.advance(EXIT_RESEND_BLOCKS);
    for (k, total) in [
        (0usize, ether(62) + tenth() * U256::from(2)),
        (1, ether(62) + tenth() * U256::from(2)),
    ] {
        let p = w.facts(130 + k as u64, ProofParts::BALANCE, later);
        let r = w.eject(ids[k], &p).expect_success();
        assert_eq!(
            r.events_from::<Vault::ExitRequested>(w.d.vault)[0].exitingDebt,
            total
        );
        assert_eq!(w.debt_of(ids[k]), ether(31) + tenth());
        assert_eq!(w.exiting(), counted(&w));
    }
    // Proven exiting: 1 was counted already, 3 joins the count.
    for (k, total) in [
        (0usize, ether(62) + tenth() * U256::from(2)),
        (2, ether(93) + tenth() * U256::from(2)),
    ] {
        let p = w.facts(
            130 + k as u64,
            ProofParts::VALIDATOR,
            Facts::at(ACTIVE_SLOT + 2).exit(400),
        );
        let r = w.mark_exiting(ids[k], &p).expect_success();
        assert_eq!(
            r.events_from::<Vault::MarkedExiting>(w.d.vault)[0].exitingDebt,
            total
        );
        assert!(!w.position(ids[k]).exitRequested);
        assert_eq!(w.exiting(), counted(&w));
    }
    assert_eq!(w.total_debt(), ether(93) + tenth() * U256::from(2));
}
