//! The proof-free wind-down (docs/DESIGN.md, "Layout forks"): when no proof has been accepted
//! for `WIND_DOWN_DELAY`, anyone sends EIP-7002 exits for every registered key without a proof,
//! and the ETH that arrives pays the queue first, then the owners pro rata to their last proven
//! residual. The layout fork is simulated the way it would happen: the beacon state's fork
//! version becomes one the vault was not deployed with, so every proof fails closed.
//!
//! On the [`VaultTest`] fixture's synthetic devnet ([`VaultTest::devnet`]), whose beacon state
//! the tests edit in place (balances, exits, the fork) and prove as it stands.

mod common;

use common::vault::{VaultTest, SECONDS_PER_SLOT};
use common::{ether, gwei, refusal};
use lsv_consensus::{Gwei, Version};
use lsv_contracts::bindings::vault::Vault::{self, VaultErrors as E};
use lsv_contracts::bindings::Positions;
use lsv_contracts::{Address, Receipt, B256, U256};
use lsv_proofs::ProofParts;

/// An Electra-era fork version the vault does not know (its proofs carry the version as the
/// layout's witness).
const UNKNOWN_FORK: [u8; 4] = [0x99, 0, 0, 0];

/// A devnet vault whose validators `i` join with `balances[i]` gwei for `owners[i]`.
fn pool(balances: &[u64], owners: &[&str]) -> (VaultTest, Vec<Address>) {
    let mut w = VaultTest::devnet(balances.len() as u64);
    let mut addresses = Vec::new();
    for (i, (&balance, owner)) in balances.iter().zip(owners).enumerate() {
        let owner = w.d.chain.account(owner);
        w.d.state.balances[i] = Gwei::new(balance);
        w.join(i as u64, owner).expect_success();
        addresses.push(owner);
    }
    (w, addresses)
}

/// `markToProof` of position `id` by a balance proof of validator `index` as the state stands.
fn mark_to_proof(w: &mut VaultTest, id: u64, index: u64) -> Receipt {
    let p = w.prove(index);
    w.mark(U256::from(id), &p, false)
}

/// The whole path: a fork the vault does not know, silence, exits without proof, the queue
/// paid at par first, the surplus to the owners pro rata, to the wei.
#[test]
fn after_an_unknown_layout_fork_the_queue_is_paid_first_then_owners_pro_rata() {
    // Last proven residuals: 1.5, 3 and 0.5 ETH over the 31-ETH debts.
    let (mut w, owners) = pool(
        &[32_500_000_000, 34_000_000_000, 31_500_000_000 + 500_000_000],
        &["alice", "alice", "bob"],
    );
    let (alice, bob) = (owners[0], owners[2]);
    // Validator 2's balance is marked down later: its weight is its last proven residual.
    w.d.state.balances[2] = Gwei::new(31_500_000_000);
    mark_to_proof(&mut w, 3, 2).expect_success();
    assert_eq!(
        w.position(U256::from(3)).lastBalanceGwei.to::<u64>(),
        31_500_000_000
    );
    let request = w.redeem(alice, ether(10)).expect_success();
    assert_eq!(
        request.decode_return::<Vault::requestRedeemCall>().unwrap(),
        U256::ONE
    );

    // The fork: every proof now fails closed, so nothing keeps the vault alive.
    w.d.state.fork.previous_version = w.d.state.fork.current_version;
    w.d.state.fork.current_version = Version(UNKNOWN_FORK);
    let r = mark_to_proof(&mut w, 1, 0);
    assert!(!r.is_success());
    assert!(
        matches!(r.revert_error::<E>(), Some(E::UnknownForkVersion(_))),
        "{r}"
    );

    // Not silent long enough yet: refused with the earliest time.
    let earliest = w.earliest();
    let keeper = w.keeper;
    let e = refusal(w.wind_down_exit(keeper, 0, 1));
    assert!(
        matches!(e, E::ProofsNotSilent(ref x) if x.earliest == U256::from(earliest)),
        "{e:?}"
    );
    assert!(matches!(refusal(w.sweep_wind_down()), E::NotWindingDown(_)));
    let r = w.finish_wind_down(keeper);
    assert!(matches!(refusal(r), E::NotWindingDown(_)));

    // Silence: the first exit without proof starts the wind-down for good.
    w.warp_to(earliest);
    let debt = ether(93);
    let r = w.wind_down_exit(keeper, 0, 1).expect_success();
    let started = r.events_from::<Vault::WindDownStarted>(w.d.vault);
    assert_eq!(started.len(), 1);
    assert_eq!((started[0].debtToUnwind, started[0].caller), (debt, keeper));
    let unwound = r.events_from::<Vault::PositionUnwound>(w.d.vault);
    assert_eq!(
        (
            unwound[0].positionId,
            unwound[0].weightGwei,
            unwound[0].debtToUnwind
        ),
        (U256::ONE, U256::from(1_500_000_000u64), ether(62))
    );
    assert_eq!(w.position(U256::from(1)).status, 4, "Unwinding");
    let requests =
        w.d.chain
            .next_block(B256::repeat_byte(0x78))
            .withdrawals
            .clone();
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0].validator_pubkey.as_slice(), &w.d.pubkey(0)[..]);
    assert_eq!(
        (requests[0].source_address, requests[0].amount),
        (w.d.vault, 0)
    );

    // From now on no proof is taken, even one of a layout the vault knows.
    w.d.state.fork.current_version = w.d.state.fork.previous_version;
    assert!(matches!(
        refusal(mark_to_proof(&mut w, 2, 1)),
        E::WindingDown(_)
    ));
    w.d.add_validator(lsv_consensus::PublicKeyBytes([0xee; 48]));
    let r = w.join(3, alice);
    assert!(matches!(refusal(r), E::WindingDown(_)));
    // An unwound position is not unwound twice; its request is re-sent only after the wait.
    assert!(matches!(
        refusal(w.wind_down_exit(keeper, 0, 1)),
        E::ExitRequestTooSoon(_)
    ));
    // Unknown keys have no position.
    let unknown = Vault::windDownExitCall {
        pubkey: vec![0xee; 48].into(),
        maxFee: U256::ONE,
    };
    let r = w.send_value(keeper, &unknown, U256::ONE);
    assert!(matches!(refusal(r), E::InvalidPositionStatus(_)));

    // Validator 0's 32.5 ETH arrives first: all of it to the queue, repaying live debt. The
    // rest of the surplus waits until every position is counted.
    w.d.chain.credit_withdrawal(w.d.vault, 32_500_000_000);
    w.assert_eth_accounted(gwei(32_500_000_000));
    let r = w.sweep_wind_down().expect_success();
    let ev = &r.events_from::<Vault::WindDownSwept>(w.d.vault)[0];
    assert_eq!(
        (ev.amount, ev.toQueue, ev.toOwners),
        (gwei(32_500_000_000), gwei(32_500_000_000), U256::ZERO)
    );
    assert_eq!(w.total_debt(), debt - gwei(32_500_000_000));
    assert!(matches!(refusal(w.sweep_wind_down()), E::NothingToSweep(_)));
    w.assert_eth_accounted(U256::ZERO);

    // The two others are unwound (any caller; an overpaid fee is refunded).
    let before = w.d.chain.balance(bob);
    w.wind_down_exit(bob, 1, 1_000).expect_success();
    assert_eq!(before - w.d.chain.balance(bob), U256::ONE);
    let r = w.wind_down_exit(keeper, 2, 1).expect_success();
    assert_eq!(
        r.events_from::<Vault::PositionUnwound>(w.d.vault)[0].debtToUnwind,
        U256::ZERO
    );
    assert_eq!(
        U256::from(w.view(&Vault::windDownWeightCall {})),
        U256::from(5_000_000_000u64)
    );

    // 34 + 31.5 ETH arrive: 60.5 completes the queue at par, the 5 ETH surplus goes to the
    // owners in proportion 1.5 : 3 : 0.5.
    w.d.chain.credit_withdrawal(w.d.vault, 34_000_000_000);
    w.d.chain.credit_withdrawal(w.d.vault, 31_500_000_000);
    let r = w.sweep_wind_down().expect_success();
    let ev = &r.events_from::<Vault::WindDownSwept>(w.d.vault)[0];
    assert_eq!((ev.toQueue, ev.toOwners), (gwei(60_500_000_000), ether(5)));
    assert_eq!(w.total_debt(), U256::ZERO);
    let outstanding: U256 = w.view(&Vault::outstandingCall {});
    assert_eq!(outstanding, ether(93));
    assert_eq!(
        w.buffer(),
        outstanding,
        "every outstanding sETH is backed by ETH at par"
    );
    w.assert_eth_accounted(U256::ZERO);
    assert_eq!(
        [
            w.wind_down_share(U256::from(1)),
            w.wind_down_share(U256::from(2)),
            w.wind_down_share(U256::from(3))
        ],
        [gwei(1_500_000_000), ether(3), gwei(500_000_000)]
    );

    // The queue is paid at par.
    let f = w.finalize(1).expect_success();
    assert_eq!(
        f.events_from::<Vault::Finalized>(w.d.vault)[0].rate,
        ether(1)
    );
    let before = w.d.chain.balance(alice);
    w.claim(1, 1).expect_success();
    assert_eq!(w.d.chain.balance(alice) - before, ether(10));

    // Owners claim their share; the claim moves with the position token.
    let carol = w.d.chain.account("carol");
    let transfer = Positions::transferFromCall {
        from: alice,
        to: carol,
        id: U256::from(2),
    };
    w.d.chain
        .send(alice, w.d.positions, &transfer, U256::ZERO)
        .unwrap()
        .expect_success();
    let e = refusal(w.claim_wind_down_share(alice, U256::from(2)));
    assert!(matches!(e, E::NotPositionOwner(_)), "{e:?}");
    for (holder, id, amount) in [
        (alice, 1, gwei(1_500_000_000)),
        (carol, 2, ether(3)),
        (bob, 3, gwei(500_000_000)),
    ] {
        let before = w.d.chain.balance(holder);
        let r = w
            .claim_wind_down_share(holder, U256::from(id))
            .expect_success();
        let ev = &r.events_from::<Vault::WindDownShareClaimed>(w.d.vault)[0];
        assert_eq!((ev.owner, ev.amount), (holder, amount));
        assert_eq!(w.d.chain.balance(holder) - before, amount);
        assert!(matches!(
            refusal(w.claim_wind_down_share(holder, U256::from(id))),
            E::NoWindDownShare(_)
        ));
    }
    w.assert_eth_accounted(U256::ZERO);
    assert_eq!(U256::from(w.view(&Vault::ownerPoolOwedCall {})), U256::ZERO);

    // The wait ends WIND_DOWN_DELAY after the start; nothing was left to write off.
    let e = refusal(w.finish_wind_down(keeper));
    assert!(matches!(e, E::WindDownNotOver(_)), "{e:?}");
    let start: u64 = w.view(&Vault::windDownStartedAtCall {}).to();
    w.warp_to(start + w.config.wind_down_delay);
    let r = w.finish_wind_down(keeper).expect_success();
    let ev = &r.events_from::<Vault::WindDownFinished>(w.d.vault)[0];
    assert_eq!(
        (ev.debtWrittenOff, ev.debtNotUnwound),
        (U256::ZERO, U256::ZERO)
    );
}

/// Debt whose ETH never arrives is written off when the wait ends, and finalization then pays
/// what the buffer holds; a position proven exiting is unwound without a request; a proof keeps
/// the vault alive.
#[test]
fn debt_that_never_arrives_is_written_off_when_the_wait_ends() {
    let (mut w, owners) = pool(
        &[32_000_000_000, 33_000_000_000, 32_000_000_000],
        &["alice", "bob", "carol"],
    );
    let (alice, bob) = (owners[0], owners[1]);
    let keeper = w.keeper;
    // Validator 1 is proven exiting before anything else happens.
    let epoch = w.d.state.slot.as_u64() / 32;
    w.d.state.validators[1].exit_epoch = lsv_consensus::Epoch::new(epoch + 4);
    let p = w.prove_with(1, ProofParts::VALIDATOR, |_| {});
    w.mark_exiting(U256::from(2), &p).expect_success();

    // A proof of a later state keeps the vault alive: the earliest start moves with it.
    let first = w.earliest();
    w.d.state.slot = lsv_consensus::Slot::new(w.d.state.slot.as_u64() + 32 * 1_000);
    mark_to_proof(&mut w, 1, 0).expect_success();
    let later = w.earliest();
    assert_eq!(later, first + 1_000 * 32 * SECONDS_PER_SLOT);
    w.warp_to(first);
    let e = refusal(w.wind_down_exit(keeper, 0, 1));
    assert!(
        matches!(e, E::ProofsNotSilent(ref x) if x.earliest == U256::from(later)),
        "{e:?}"
    );

    // Then the fork and the silence. The exiting position needs no request: the fee comes back.
    w.d.state.fork.current_version = Version(UNKNOWN_FORK);
    w.warp_to(later);
    let before = w.d.chain.balance(keeper);
    let r = w.wind_down_exit(keeper, 1, 5).expect_success();
    assert_eq!(w.d.chain.balance(keeper), before);
    assert!(r.events_from::<Vault::ExitRequested>(w.d.vault).is_empty());
    let ev = &r.events_from::<Vault::PositionUnwound>(w.d.vault)[0];
    assert_eq!(ev.weightGwei, U256::from(2_000_000_000u64));
    assert!(w.d.chain.next_block(B256::ZERO).withdrawals.is_empty());
    w.wind_down_exit(keeper, 0, 1).expect_success();

    // Validator 2 is never asked to exit; 32 + 33 ETH arrive, all of it for the queue.
    w.d.chain.credit_withdrawal(w.d.vault, 65_000_000_000);
    let r = w.sweep_wind_down().expect_success();
    let ev = &r.events_from::<Vault::WindDownSwept>(w.d.vault)[0];
    assert_eq!((ev.toQueue, ev.toOwners), (ether(65), U256::ZERO));
    assert_eq!(w.total_debt(), ether(28));
    let backing: U256 = w.view(&Vault::backingCall {});
    assert_eq!(
        backing,
        ether(93),
        "until the wait ends, the missing debt still backs sETH"
    );

    // The wait ends: 28 ETH never arrived, validator 2's 31 was never unwound.
    let start: u64 = w.view(&Vault::windDownStartedAtCall {}).to();
    w.warp_to(start + w.config.wind_down_delay);
    let r = w.finish_wind_down(bob).expect_success();
    let ev = &r.events_from::<Vault::WindDownFinished>(w.d.vault)[0];
    assert_eq!(
        (ev.debtWrittenOff, ev.debtNotUnwound),
        (ether(28), ether(31))
    );
    let e = refusal(w.finish_wind_down(bob));
    assert!(matches!(e, E::WindDownNotOver(_)), "once: {e:?}");
    let backing: U256 = w.view(&Vault::backingCall {});
    assert_eq!(backing, ether(65));

    // Finalization pays what there is: 65/93 per sETH.
    w.redeem(alice, ether(31)).expect_success();
    let f = w.finalize(1).expect_success();
    let rate = ether(65) * ether(1) / ether(93);
    let ev = &f.events_from::<Vault::Finalized>(w.d.vault)[0];
    assert_eq!(
        (ev.rate, ev.ethReserved),
        (rate, ether(31) * rate / ether(1))
    );

    // A late exit of validator 2 still goes out, but takes no part in the owners' share.
    let r = w.wind_down_exit(keeper, 2, 1).expect_success();
    assert_eq!(
        r.events_from::<Vault::PositionUnwound>(w.d.vault)[0].weightGwei,
        U256::ZERO
    );
    assert_eq!(w.d.chain.next_block(B256::ZERO).withdrawals.len(), 1);
    // No surplus reached the owners: the queue was never at par.
    for (holder, id) in [(alice, 1), (bob, 2), (owners[2], 3)] {
        assert_eq!(w.wind_down_share(U256::from(id)), U256::ZERO);
        assert!(matches!(
            refusal(w.claim_wind_down_share(holder, U256::from(id))),
            E::NoWindDownShare(_)
        ));
    }
    w.assert_eth_accounted(U256::ZERO);
}

/// Silence is counted from the vault's deployment: one deployed long after genesis is not open
/// to a wind-down before anyone could join it.
#[test]
fn a_vault_deployed_long_after_genesis_is_not_silent_at_birth() {
    let mut chain = lsv_contracts::Chain::new();
    chain.next_block_after(10_000_000, B256::repeat_byte(1));
    let now = chain.timestamp();
    // The fixture's vault only lends its beacon chain's anchor and parameters.
    let w = VaultTest::devnet(1);
    let anchor = (
        w.d.state.genesis_time,
        w.d.state.genesis_validators_root,
        B256::repeat_byte(0x05),
    );
    let deployment = lsv_contracts::devnet::Deployment::deploy(
        &mut chain,
        Address::repeat_byte(0xa7),
        anchor,
        0,
        &w.config,
    );
    let epoch: u32 = chain
        .view(deployment.vault, &Vault::lastProofEpochCall {})
        .unwrap();
    let genesis = lsv_contracts::Chain::GENESIS_TIME;
    assert_eq!(u64::from(epoch), (now - genesis) / (32 * SECONDS_PER_SLOT));
    let someone = chain.account("someone");
    let call = Vault::windDownExitCall {
        pubkey: vec![1; 48].into(),
        maxFee: U256::ONE,
    };
    let r = chain
        .send(someone, deployment.vault, &call, U256::ONE)
        .unwrap();
    let e = refusal(r);
    let earliest =
        genesis + (u64::from(epoch) + 1) * 32 * SECONDS_PER_SLOT + w.config.wind_down_delay;
    assert!(
        matches!(e, E::ProofsNotSilent(ref x) if x.earliest == U256::from(earliest)),
        "{e:?}"
    );
}
