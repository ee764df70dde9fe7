//! One vault across the Gloas fork: deployed before it, it keeps accepting proofs after it.
//! A validator joins with a format-1 proof (Electra/Fulu layout); the beacon chain forks to
//! Gloas; the same validator is then ejected, or marked slashed, with format-2 proofs of the
//! same registry in the progressive layout (`Devnet::fork_to_gloas_at`), through the
//! `ProofVerifier` the vault was deployed with, unchanged; it exits and its withdrawal, paid
//! under ePBS, settles the position with a payment proof. A state whose layout deprecates a
//! field the proof reads is refused by name.

#![allow(unused_crate_dependencies)]

mod common;

use common::refusal;
use common::vault::{
    tenth, Facts, VaultTest, ACTIVE_SLOT, EXIT_EPOCH, GWEI_31_98, SWEEP_SLOT, WITHDRAWABLE_EPOCH,
};
use lsv_contracts::bindings::progressive_proof_verifier::ProgressiveProofVerifier::ProgressiveProofVerifierErrors as G;
use lsv_contracts::bindings::vault::Vault::{self, VaultErrors as E};
use lsv_contracts::devnet::GloasSettlement;
use lsv_contracts::U256;
use lsv_proofs::ProofParts;

/// The format byte of a proof.
fn format(p: &lsv_contracts::devnet::StateProof) -> u8 {
    p.bytes[0]
}

#[test]
fn a_validator_joined_before_gloas_is_ejected_with_a_gloas_proof() {
    let mut w = VaultTest::new();
    let owner = w.d.chain.account("operator");
    let id = w.joined(40, owner);
    w.d.fork_to_gloas_at(ACTIVE_SLOT);

    // Before the fork slot the chain still proves in format 1; from it, in format 2.
    let before = w.facts(40, ProofParts::VALIDATOR, Facts::at(ACTIVE_SLOT - 1));
    assert_eq!(format(&before), 1);
    let p = w.facts(
        40,
        ProofParts::BALANCE,
        Facts::at(ACTIVE_SLOT).balance(GWEI_31_98),
    );
    assert_eq!(format(&p), 2);
    let r = w.eject(id, &p).expect_success();
    let ev = r.events_from::<Vault::Ejected>(w.d.vault);
    assert_eq!(
        (
            ev[0].positionId,
            ev[0].balanceGwei,
            ev[0].slot,
            ev[0].reward
        ),
        (id, GWEI_31_98, ACTIVE_SLOT, tenth())
    );
    assert_eq!(r.events_from::<Vault::ExitRequested>(w.d.vault).len(), 1);
    assert!(w.position(id).exitRequested);
}

#[test]
fn a_slashing_after_gloas_is_marked_with_a_gloas_proof() {
    let mut w = VaultTest::new();
    let owner = w.d.chain.account("operator");
    let id = w.joined(41, owner);
    w.d.fork_to_gloas_at(ACTIVE_SLOT);
    let p = w.facts(
        41,
        ProofParts::BALANCE,
        Facts::at(ACTIVE_SLOT).slashed_at(ACTIVE_SLOT / 32),
    );
    assert_eq!(format(&p), 2);
    let r = w.mark(id, &p, true).expect_success();
    assert_eq!(r.events_from::<Vault::MarkedSlashed>(w.d.vault).len(), 1);
}

#[test]
fn a_layout_that_deprecates_a_field_read_is_refused_by_name() {
    let mut w = VaultTest::new();
    let owner = w.d.chain.account("operator");
    let id = w.joined(42, owner);
    w.d.fork_to_gloas_at(ACTIVE_SLOT);
    let mut p = w.facts(
        42,
        ProofParts::BALANCE,
        Facts::at(ACTIVE_SLOT).balance(GWEI_31_98),
    );
    // The active-fields chunk is at byte 122 (FORMAT.md "Format 2"): clear `balances` (field
    // 12, bit 4 of byte 1), as a fork that deprecated it would.
    p.bytes[122 + 1] &= !(1 << 4);
    let r = w.eject(id, &p);
    assert!(!r.is_success());
    match r.revert_error::<G>() {
        Some(G::FieldInactive(e)) => assert_eq!(e.field, U256::from(12)),
        other => panic!("{other:?}: {r}"),
    }
    // Nothing happened to the position; an honest proof still ejects.
    assert!(!w.position(id).exitRequested);
    let p = w.facts(
        42,
        ProofParts::BALANCE,
        Facts::at(ACTIVE_SLOT).balance(GWEI_31_98),
    );
    w.eject(id, &p).expect_success();
    // And an older proof than the last accepted one is refused as before the fork.
    let stale = w.facts(42, ProofParts::BALANCE, Facts::at(ACTIVE_SLOT - 32));
    let e = refusal(w.mark(id, &stale, false));
    assert!(matches!(e, E::StaleProof(_)), "{e:?}");
}

/// Validator 40 joined and ejected under Fulu, by a format-1 proof.
fn ejected_under_fulu() -> (VaultTest, U256) {
    let mut w = VaultTest::new();
    let owner = w.d.chain.account("operator");
    let id = w.joined(40, owner);
    let p = w.facts(
        40,
        ProofParts::ALL,
        Facts::at(ACTIVE_SLOT).balance(GWEI_31_98),
    );
    assert_eq!(format(&p), 1);
    w.eject(id, &p).expect_success();
    (w, id)
}

/// A position joined and ejected under Fulu, marked exiting with a Gloas proof, its validator
/// exited and withdrawable: ready for the sweep at `SWEEP_SLOT`.
fn exiting_across_the_fork() -> (VaultTest, U256) {
    let (mut w, id) = ejected_under_fulu();
    w.d.fork_to_gloas_at(ACTIVE_SLOT + 32);
    let p = w.facts(
        40,
        ProofParts::VALIDATOR,
        Facts::at(ACTIVE_SLOT + 64).exit(EXIT_EPOCH),
    );
    assert_eq!(format(&p), 2);
    w.mark_exiting(id, &p).expect_success();
    let v = &mut w.d.state.validators[40];
    v.exit_epoch = lsv_consensus::Epoch::new(EXIT_EPOCH);
    v.withdrawable_epoch = lsv_consensus::Epoch::new(WITHDRAWABLE_EPOCH);
    w.d.set_slot(SWEEP_SLOT);
    (w, id)
}

/// Settles `s` (the sweep of 31.985 ETH) and checks the split, the closed position, that the
/// vault's ETH is accounted, and that the same payment is not credited again.
fn settles_once(w: &mut VaultTest, id: U256, s: &GloasSettlement, what: &str) {
    let sweep = 31_985_000_000;
    let keeper = w.keeper;
    let r = w.send(keeper, &s.settle_call(id)).expect_success();
    println!("settle after Gloas ({what}): {} gas", r.gas_used);
    let ev = &r.events_from::<Vault::Settled>(w.d.vault)[0];
    let debt = common::ether(31) + tenth();
    assert_eq!(
        (ev.amount, ev.toQueue, ev.toOwner),
        (common::gwei(sweep), debt, common::gwei(sweep) - debt)
    );
    assert_eq!(w.position(id).status, 3, "Closed");
    w.assert_eth_accounted(U256::ZERO);
    // The same payment again, as a further withdrawal of the closed position: credited once,
    // by its global index.
    let call = Vault::creditWithdrawalCall {
        positionId: id,
        timestamp: s.timestamp,
        proof: s.withdrawal_proof.clone().into(),
    };
    let again = refusal(w.send(keeper, &call));
    assert!(
        matches!(again, E::WithdrawalAlreadyCredited(_)),
        "{again:?}"
    );
}

#[test]
fn joined_and_ejected_before_gloas_exited_paid_and_settled_after_it() {
    let (mut w, id) = exiting_across_the_fork();
    // The sweep, under ePBS: listed at SWEEP_SLOT, paid by the next payload.
    let s = w.d.gloas_settlement(40, 90_001, 31_985_000_000).unwrap();
    assert_eq!(&s.withdrawal_proof[..2], &[2, 3], "format 2, route 3");
    settles_once(&mut w, id, &s, "format-2 validator and payment proofs");
}

#[test]
fn a_payment_nobody_settled_for_a_day_is_settled_through_historical_summaries() {
    let (mut w, id) = exiting_across_the_fork();
    // Listed at SWEEP_SLOT, paid, and left alone until the anchor's state_roots no longer hold
    // the listing state (8192 slots, 27 hours on mainnet).
    let s =
        w.d.gloas_late_settlement(40, 90_001, 31_985_000_000)
            .unwrap();
    assert_eq!(&s.withdrawal_proof[..2], &[2, 4], "format 2, route 4");
    // Route 4's part after the anchor's 13 nodes and 13 state_roots siblings (FORMAT.md):
    // block_summary_root at 1003, len(historical_summaries) at 1035.
    let (o_summary, o_length) = (586 + 1 + 32 * 13, 586 + 1 + 32 * 13 + 32);
    type Edit = fn(&mut Vec<u8>, usize, usize);
    let edits: [(Edit, &str); 3] = [
        (|b, _, l| b[l..l + 8].fill(0), "HistoricalSummaryOutOfRange"),
        (|b, o, _| b[o] ^= 1, "WithdrawalProofRootMismatch"),
        // `historical_summaries` (field 27) deprecated in the anchor's layout.
        (|b, _, _| b[122 + 3] &= !(1 << 3), "FieldInactive"),
    ];
    for (edit, name) in edits {
        let mut bad = s.clone();
        edit(&mut bad.withdrawal_proof, o_summary, o_length);
        let r = w.send(w.keeper, &bad.settle_call(id));
        let got = match r.revert_error::<G>() {
            Some(G::HistoricalSummaryOutOfRange(_)) => "HistoricalSummaryOutOfRange",
            Some(G::WithdrawalProofRootMismatch(_)) => "WithdrawalProofRootMismatch",
            Some(G::FieldInactive(e)) if e.field == U256::from(27) => "FieldInactive",
            other => panic!("{other:?}: {r}"),
        };
        assert_eq!(got, name);
    }
    settles_once(&mut w, id, &s, "payment proof through historical_summaries");
}

#[test]
fn a_withdrawal_paid_in_a_fulu_block_is_settled_after_gloas() {
    let (mut w, id) = ejected_under_fulu();
    let p = w.facts(
        40,
        ProofParts::VALIDATOR,
        Facts::at(ACTIVE_SLOT + 64).exit(EXIT_EPOCH),
    );
    w.mark_exiting(id, &p).expect_success();
    // The sweep pays in a Fulu block; its format-1 proof is anchored there.
    let sweep = 31_985_000_000;
    let ws = [w.withdrawal(90_001, 40, sweep)];
    let block = w.sweep_block(SWEEP_SLOT, &ws);
    let paid = w.settlement(40, &block, WITHDRAWABLE_EPOCH);
    assert_eq!(paid.withdrawal_proofs[0][0], 1, "format 1");
    // Gloas begins at the next epoch and nobody settled yet. The validator is proven in a Gloas
    // state; the withdrawal by its Fulu block, whose root EIP-4788 still serves (8191 slots).
    let gloas = (SWEEP_SLOT / 32 + 1) * 32;
    w.d.fork_to_gloas_at(gloas);
    let v = w.facts(
        40,
        ProofParts::VALIDATOR,
        Facts::at(gloas + 40)
            .exit(EXIT_EPOCH)
            .withdrawable(WITHDRAWABLE_EPOCH)
            .balance(0),
    );
    assert_eq!(format(&v), 2);
    let call = Vault::settleCall {
        positionId: id,
        validatorTimestamp: v.timestamp,
        validatorProof: v.bytes.clone().into(),
        withdrawalTimestamp: paid.timestamp,
        withdrawalProof: paid.withdrawal_proofs[0].clone().into(),
    };
    let keeper = w.keeper;
    let r = w.send(keeper, &call).expect_success();
    println!(
        "settle after Gloas of a Fulu withdrawal (format-2 validator, format-1 withdrawal): {} gas",
        r.gas_used
    );
    let ev = &r.events_from::<Vault::Settled>(w.d.vault)[0];
    assert_eq!(ev.amount, common::gwei(sweep));
    assert_eq!(w.position(id).status, 3, "Closed");
    w.assert_eth_accounted(U256::ZERO);
}
