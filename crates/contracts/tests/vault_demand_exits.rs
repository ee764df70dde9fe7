//! Demand exits (`contracts/src/Vault.sol`: `demandExit`, `skipDemandExit`) on the
//! [`VaultTest`] fixture: when open redemptions exceed the buffer and the debt already on its
//! way out, the position at the cursor is asked to exit.
//!
//! - demand, the FIFO cursor, skips only with a proof of ineligibility (not yet active, active
//!   too briefly, exiting) or of a recent request, and the wrap to the first position;
//! - ineligibility is judged at the current epoch: a proof from before a validator became
//!   eligible no longer skips it (audit finding 7);
//! - a demanded exit counts its position's debt as cover at once, so a backlog asks exactly as
//!   many validators to exit as cover it;
//! - a requested exit proven exiting stays counted in `exitingDebt` once;
//! - a stalled demanded exit is re-sent after `EXIT_RESEND_BLOCKS` without demand and without
//!   counting its debt twice.

#![allow(unused_crate_dependencies)]

mod common;

use common::vault::{Facts, VaultTest, ACTIVE_SLOT, EXIT_RESEND_BLOCKS, FAR_FUTURE};
use common::{ether, proof_refusal, refusal};
use lsv_contracts::bindings::proof_verifier::ProofVerifier::ProofVerifierErrors as P;
use lsv_contracts::bindings::vault::Vault::{self, VaultErrors as E};
use lsv_contracts::bindings::SETH as Seth;
use lsv_contracts::devnet::StateProof;
use lsv_contracts::{B256, U256};
use lsv_proofs::ProofParts;

#[test]
fn demand_exits_go_in_position_order_and_skip_only_with_proof() {
    let mut w = VaultTest::new();
    let alice = w.d.chain.account("alice");
    let ids: Vec<U256> = (60..64).map(|i| w.joined(i, alice)).collect();
    let eligible = Facts::at(ACTIVE_SLOT);

    // No open requests: no demand.
    let p = w.facts(60, ProofParts::VALIDATOR, eligible);
    let e = refusal(w.demand_exit(ids[0], &p));
    assert!(
        matches!(e, E::NoDemand(ref x) if x.open.is_zero() && x.covered.is_zero()),
        "{e:?}"
    );
    w.redeem(alice, ether(5)).expect_success();
    assert_eq!(w.cursor(), U256::ONE);

    // Not the cursor's position.
    let q = w.facts(61, ProofParts::VALIDATOR, eligible);
    let e = refusal(w.demand_exit(ids[1], &q));
    assert!(
        matches!(e, E::NotDemandCursor(ref x) if x.cursor == U256::ONE),
        "{e:?}"
    );
    assert!(matches!(
        refusal(w.skip(ids[1], Some(&q))),
        E::NotDemandCursor(_)
    ));

    // Position 1 not yet active, then active for too short: ineligible, skipped with the proof.
    let p = w.facts(60, ProofParts::VALIDATOR, eligible.activation(FAR_FUTURE));
    let e = refusal(w.demand_exit(ids[0], &p));
    assert!(
        matches!(e, E::ExitIneligible(ref x) if x.reason == 3),
        "{e:?}"
    );
    let p = w.facts(60, ProofParts::VALIDATOR, eligible.activation(100));
    let e = refusal(w.demand_exit(ids[0], &p));
    assert!(
        matches!(e, E::ExitIneligible(ref x) if x.reason == 4),
        "{e:?}"
    );
    let r = w.skip(ids[0], Some(&p)).expect_success();
    let ev = r.events_from::<Vault::DemandExitSkipped>(w.d.vault);
    assert_eq!((ev[0].reason, ev[0].nextCursor), (4, U256::from(2)));

    // Position 2 is eligible: it cannot be skipped, and its exit goes out.
    assert!(matches!(
        refusal(w.skip(ids[1], Some(&q))),
        E::NotSkippable(_)
    ));
    let keeper = w.keeper;
    let before = w.d.chain.balance(keeper);
    let r = w.demand_exit(ids[1], &q).expect_success();
    let ev = r.events_from::<Vault::DemandExit>(w.d.vault);
    assert_eq!(
        (ev[0].open, ev[0].covered, ev[0].nextCursor),
        (ether(5), U256::ZERO, U256::from(3))
    );
    assert_eq!(
        r.events_from::<Vault::ExitRequested>(w.d.vault)[0].fee,
        U256::ONE
    );
    assert!(
        r.events_from::<Seth::Transfer>(w.d.seth).is_empty(),
        "no reward"
    );
    assert_eq!(
        before - w.d.chain.balance(keeper),
        U256::ONE,
        "the caller pays the fee"
    );
    assert_eq!(
        w.position(ids[1]).lastExitRequestBlock,
        w.d.chain.block_number()
    );
    let requests =
        w.d.chain
            .next_block(B256::repeat_byte(3))
            .withdrawals
            .clone();
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0].source_address, w.d.vault);
    assert_eq!(requests[0].validator_pubkey.as_slice(), &q.pubkey[..]);
    assert_eq!(requests[0].amount, 0);

    // Position 3 proven exiting: skipped and marked; with position 2's pending exit it covers the
    // open 5 sETH twice over.
    let p = w.facts(62, ProofParts::VALIDATOR, eligible.exit(400));
    let r = w.skip(ids[2], Some(&p)).expect_success();
    assert_eq!(
        r.events_from::<Vault::DemandExitSkipped>(w.d.vault)[0].reason,
        5
    );
    assert_eq!(r.events_from::<Vault::MarkedExiting>(w.d.vault).len(), 1);
    let p = w.facts(63, ProofParts::VALIDATOR, eligible);
    let e = refusal(w.demand_exit(ids[3], &p));
    assert!(
        matches!(e, E::NoDemand(ref x) if x.open == ether(5) && x.covered == ether(62)),
        "{e:?}"
    );
    // Skips need no demand; the last position wraps to the first. An exiting position and one
    // whose exit was just requested are skipped without a proof.
    assert!(matches!(
        refusal(w.skip(ids[3], Some(&p))),
        E::NotSkippable(_)
    ));
    let p = w.facts(63, ProofParts::VALIDATOR, eligible.activation(200));
    let r = w.skip(ids[3], Some(&p)).expect_success();
    assert_eq!(
        r.events_from::<Vault::DemandExitSkipped>(w.d.vault)[0].nextCursor,
        U256::ONE
    );
    assert_eq!(w.cursor(), U256::ONE);
    let p = w.facts(60, ProofParts::VALIDATOR, eligible.activation(100));
    w.skip(ids[0], Some(&p)).expect_success();
    for (id, reason) in [(ids[1], 2u8), (ids[2], 1)] {
        let r = w.skip(id, None).expect_success();
        assert_eq!(
            r.events_from::<Vault::DemandExitSkipped>(w.d.vault)[0].reason,
            reason
        );
    }
    assert_eq!(w.cursor(), U256::from(4));
    // Once EXIT_RESEND_BLOCKS have passed, position 2 needs a proof again.
    w.advance(EXIT_RESEND_BLOCKS);
    let p = p_for_63(&mut w);
    w.skip(ids[3], Some(&p)).expect_success();
    let p = p_for_60(&mut w);
    w.skip(ids[0], Some(&p)).expect_success();
    let e = proof_refusal(w.skip(ids[1], None));
    assert!(matches!(e, P::BeaconRootUnavailable(_)), "{e:?}");
}

/// A demand exit counts the requested position's debt as cover at once: a small backlog asks
/// exactly as many validators to exit as cover it, however many calls follow in the block.
#[test]
fn demand_exits_stop_once_pending_exits_cover_the_queue() {
    let mut w = VaultTest::new();
    let alice = w.d.chain.account("alice");
    let ids: Vec<U256> = (100..105).map(|i| w.joined(i, alice)).collect();
    let eligible = Facts::at(ACTIVE_SLOT);
    let demand = |w: &VaultTest| -> (U256, U256) {
        let d = w.view(&Vault::demandCall {});
        (d.open, d.covered)
    };

    // A 1-sETH backlog: one exit, then no demand.
    w.redeem(alice, ether(1)).expect_success();
    let p = w.facts(100, ProofParts::VALIDATOR, eligible);
    let r = w.demand_exit(ids[0], &p).expect_success();
    let ev = r.events_from::<Vault::ExitRequested>(w.d.vault);
    assert_eq!((ev[0].positionId, ev[0].exitingDebt), (ids[0], ether(31)));
    assert!(w.position(ids[0]).exitRequested);
    assert_eq!(w.exiting(), ether(31));
    assert_eq!(demand(&w), (ether(1), ether(31)));
    let p = w.facts(101, ProofParts::VALIDATOR, eligible);
    let e = refusal(w.demand_exit(ids[1], &p));
    assert!(
        matches!(e, E::NoDemand(ref x) if x.open == ether(1) && x.covered == ether(31)),
        "{e:?}"
    );
    assert!(!w.position(ids[1]).exitRequested);

    // 63 sETH open: two more exits (31 → 62 → 93), the third call refused.
    w.redeem(alice, ether(62)).expect_success();
    for (k, covered) in [(1usize, ether(31)), (2, ether(62))] {
        let p = w.facts(100 + k as u64, ProofParts::VALIDATOR, eligible);
        let r = w.demand_exit(ids[k], &p).expect_success();
        let ev = r.events_from::<Vault::DemandExit>(w.d.vault);
        assert_eq!((ev[0].open, ev[0].covered), (ether(63), covered));
    }
    assert_eq!(w.exiting(), ether(93));
    assert_eq!(demand(&w), (ether(63), ether(93)));
    let p = w.facts(103, ProofParts::VALIDATOR, eligible);
    let e = refusal(w.demand_exit(ids[3], &p));
    assert!(
        matches!(e, E::NoDemand(ref x) if x.open == ether(63) && x.covered == ether(93)),
        "{e:?}"
    );
    // Exactly three exit requests went out: positions 1–3 flagged, 4 and 5 not.
    let flagged: Vec<bool> = ids.iter().map(|id| w.position(*id).exitRequested).collect();
    assert_eq!(flagged, [true, true, true, false, false]);
}

/// Proving a requested position exiting (markExiting, or a skip with reason Exiting) clears its
/// request flag and keeps its debt counted once in `exitingDebt`; cover is unchanged. A position
/// proven exiting without a request joins the count.
#[test]
fn a_requested_exit_proven_exiting_stays_counted_once() {
    let mut w = VaultTest::new();
    let alice = w.d.chain.account("alice");
    let ids: Vec<U256> = (110..113).map(|i| w.joined(i, alice)).collect();
    let eligible = Facts::at(ACTIVE_SLOT);
    w.redeem(alice, ether(80)).expect_success();
    for (index, id) in [(110, ids[0]), (111, ids[1])] {
        let p = w.facts(index, ProofParts::VALIDATOR, eligible);
        w.demand_exit(id, &p).expect_success();
    }
    assert_eq!(w.exiting(), ether(62));

    // markExiting.
    let p = w.facts(
        110,
        ProofParts::VALIDATOR,
        Facts::at(ACTIVE_SLOT + 1).exit(400),
    );
    let r = w.mark_exiting(ids[0], &p).expect_success();
    let ev = r.events_from::<Vault::MarkedExiting>(w.d.vault);
    assert_eq!((ev[0].positionId, ev[0].exitingDebt), (ids[0], ether(62)));
    assert_eq!(w.exiting(), ether(62));
    let pos = w.position(ids[0]);
    assert_eq!((pos.status, pos.exitRequested), (2, false));

    // A skip with reason Exiting, once the resend window has passed (the cursor is at 3: skip 3
    // with a too-short proof, then 1 (not active), then 2 proven exiting).
    w.advance(EXIT_RESEND_BLOCKS);
    let p = w.facts(112, ProofParts::VALIDATOR, eligible.activation(100));
    w.skip(ids[2], Some(&p)).expect_success();
    w.skip(ids[0], None).expect_success();
    let p = w.facts(
        111,
        ProofParts::VALIDATOR,
        Facts::at(ACTIVE_SLOT + 1).exit(400),
    );
    let r = w.skip(ids[1], Some(&p)).expect_success();
    assert_eq!(
        r.events_from::<Vault::DemandExitSkipped>(w.d.vault)[0].reason,
        5
    );
    assert_eq!(
        r.events_from::<Vault::MarkedExiting>(w.d.vault)[0].exitingDebt,
        ether(62)
    );
    assert_eq!(w.exiting(), ether(62));
    assert!(!w.position(ids[1]).exitRequested);

    // Not requested, proven exiting: its debt joins the count.
    let p = w.facts(
        112,
        ProofParts::VALIDATOR,
        Facts::at(ACTIVE_SLOT + 1).exit(400),
    );
    let r = w.mark_exiting(ids[2], &p).expect_success();
    assert_eq!(
        r.events_from::<Vault::MarkedExiting>(w.d.vault)[0].exitingDebt,
        ether(93)
    );
    assert_eq!(w.exiting(), ether(93));
}

/// Audit finding 7: `skipDemandExit` judged eligibility at the proven state's epoch, so a proof
/// from up to a day before a validator reached `SHARD_COMMITTEE_PERIOD` skipped its turn. Now
/// the reasons are judged at the current epoch (the one in which the request would be seen):
/// the old proof no longer skips it, and the same proof asks it to exit.
#[test]
fn an_old_proof_cannot_skip_a_validator_that_has_become_eligible_since() {
    let mut w = VaultTest::new();
    let alice = w.d.chain.account("alice");
    let id = w.joined(70, alice);
    w.joined(71, alice);
    w.redeem(alice, ether(10)).expect_success();
    // Epoch 265, activated at 10: 255 epochs, one short of the period.
    let p = w.facts(
        70,
        ProofParts::VALIDATOR,
        Facts::at(265 * 32).activation(10),
    );
    // Twenty epochs later the same proof is still in the EIP-4788 window, and the validator has
    // been active for 275 epochs.
    w.advance(20 * 32);
    let e = refusal(w.skip(id, Some(&p)));
    assert!(
        matches!(e, E::NotSkippable(ref x) if x.positionId == id),
        "{e:?}"
    );
    assert_eq!(w.cursor(), U256::ONE);
    w.demand_exit(id, &p).expect_success();
    assert!(w.position(id).exitRequested);

    // The same holds the other way: a proof of an old state showing the validator exiting still
    // skips it (an exit, once initiated, never reverts).
    let old = w.facts(71, ProofParts::VALIDATOR, Facts::at(266 * 32).exit(400));
    w.advance(20 * 32);
    let r = w.skip(U256::from(2), Some(&old)).expect_success();
    assert_eq!(
        r.events_from::<Vault::DemandExitSkipped>(w.d.vault)[0].reason,
        5
    );
}

/// A demanded exit that stalls stays live: once `EXIT_RESEND_BLOCKS` have passed, the cursor's
/// flagged position is re-sent without demand and without counting its debt twice.
#[test]
fn a_stalled_demanded_exit_is_re_sent_after_the_window_without_demand() {
    let mut w = VaultTest::new();
    let alice = w.d.chain.account("alice");
    let ids: Vec<U256> = (120..122).map(|i| w.joined(i, alice)).collect();
    let eligible = Facts::at(ACTIVE_SLOT);
    w.redeem(alice, ether(1)).expect_success();
    let p = w.facts(120, ProofParts::VALIDATOR, eligible);
    w.demand_exit(ids[0], &p).expect_success();
    let sent = w.d.chain.block_number();
    // Position 2 may not be demanded (covered), only skipped with proof; the cursor wraps to 1.
    let q = w.facts(121, ProofParts::VALIDATOR, eligible);
    assert!(matches!(refusal(w.demand_exit(ids[1], &q)), E::NoDemand(_)));
    let q = w.facts(121, ProofParts::VALIDATOR, eligible.activation(100));
    w.skip(ids[1], Some(&q)).expect_success();
    assert_eq!(w.cursor(), U256::ONE);

    // No demand (1 open, 31 covered), yet the flagged position is not refused for it: only for
    // the window.
    let p = w.facts(120, ProofParts::VALIDATOR, Facts::at(ACTIVE_SLOT + 1));
    let e = refusal(w.demand_exit(ids[0], &p));
    assert!(matches!(e, E::ExitRequestTooSoon(_)), "{e:?}");
    w.advance(EXIT_RESEND_BLOCKS);
    let r = w.demand_exit(ids[0], &p).expect_success();
    let ev = r.events_from::<Vault::DemandExit>(w.d.vault);
    assert_eq!(
        (ev[0].open, ev[0].covered, ev[0].nextCursor),
        (ether(1), ether(31), U256::from(2))
    );
    let ev = r.events_from::<Vault::ExitRequested>(w.d.vault);
    assert_eq!(ev.len(), 1);
    assert_eq!(ev[0].exitingDebt, ether(31), "unchanged by a re-send");
    assert_eq!(w.exiting(), ether(31), "not counted twice");
    let pos = w.position(ids[0]);
    assert!(pos.exitRequested);
    assert!(pos.lastExitRequestBlock.to::<u64>() > sent);
    let requests =
        w.d.chain
            .next_block(B256::repeat_byte(5))
            .withdrawals
            .clone();
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0].validator_pubkey.as_slice(), &p.pubkey[..]);
    // The unflagged position 2 still needs demand.
    let q = w.facts(121, ProofParts::VALIDATOR, Facts::at(ACTIVE_SLOT + 1));
    assert!(matches!(refusal(w.demand_exit(ids[1], &q)), E::NoDemand(_)));
}

/// Validator 63 (position 4) proven active since epoch 200 only: too briefly, so skippable.
fn p_for_63(w: &mut VaultTest) -> StateProof {
    w.facts(
        63,
        ProofParts::VALIDATOR,
        Facts::at(ACTIVE_SLOT).activation(200),
    )
}

/// Validator 60 (position 1) proven active since epoch 100 only: too briefly, so skippable.
fn p_for_60(w: &mut VaultTest) -> StateProof {
    w.facts(
        60,
        ProofParts::VALIDATOR,
        Facts::at(ACTIVE_SLOT).activation(100),
    )
}
