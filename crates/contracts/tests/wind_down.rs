//! The proof-free wind-down (docs/DESIGN.md, "Wind-down"): once no proof has been accepted for
//! `WIND_DOWN_DELAY` and a notice has stood for `WIND_DOWN_NOTICE` without one, anyone sends
//! EIP-7002 exits for every registered key without a proof, and everything that becomes free is
//! shared pro rata by the sETH outstanding at the start, up to par, whenever it arrives; the
//! rest goes to the owners pro rata to their last proven residual. The layout fork is simulated
//! the way it would happen: the beacon state's fork version becomes one the vault was not
//! deployed with, so every proof fails closed.
//!
//! - the whole path, to the wei: fork, silence, notice, exits, sweeps, claims of requests open
//!   at the start and made since, the owners' share;
//! - ETH that arrives late (an exit queue longer than any fixed wait) is shared as ETH that
//!   arrived early: nothing is written off, no sETH is paid below its share (audit finding 2);
//! - a quiet, healthy vault cannot be wound down by a stranger: a heartbeat voids the notice
//!   and starts the silence again, a notice is not renewed (finding 4);
//! - silence is counted from deployment.
//!
//! On the [`VaultTest`] fixture's synthetic devnet ([`VaultTest::devnet`]), whose beacon state
//! the tests edit in place (balances, exits, the fork) and prove as it stands.

#![allow(unused_crate_dependencies)]

mod common;

use common::vault::{VaultTest, SECONDS_PER_SLOT};
use common::{ether, gwei, proof_refusal, refusal};
use lsv_consensus::{Gwei, Version};
use lsv_contracts::bindings::proof_verifier::ProofVerifier::ProofVerifierErrors as P;
use lsv_contracts::bindings::vault::Vault::{self, VaultErrors as E};
use lsv_contracts::bindings::Positions;
use lsv_contracts::{Address, Receipt, B256, U256};
use lsv_proofs::ProofParts;

/// An Electra-era fork version the vault does not know (its proofs carry the version as the
/// layout's witness).
const UNKNOWN_FORK: [u8; 4] = [0x99, 0, 0, 0];
/// `WIND_DOWN_NOTICE`: 7 days.
const NOTICE: u64 = 7 * 24 * 3600;

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

/// The fork the vault does not know: from now on every proof fails closed.
fn unknown_fork(w: &mut VaultTest) {
    w.d.state.fork.previous_version = w.d.state.fork.current_version;
    w.d.state.fork.current_version = Version(UNKNOWN_FORK);
}

/// `requestRedeem(amount)` by `who`, returning the request id.
fn request(w: &mut VaultTest, who: Address, amount: U256) -> u64 {
    w.redeem(who, amount)
        .expect_success()
        .decode_return::<Vault::requestRedeemCall>()
        .unwrap()
        .to()
}

/// `claimWindDownRedemption(id)` by `who`: what it paid.
fn claim_redemption(w: &mut VaultTest, who: Address, id: u64) -> U256 {
    let before = w.d.chain.balance(who);
    let r = w.claim_wind_down_redemption(who, id).expect_success();
    let ev = &r.events_from::<Vault::WindDownRedemptionClaimed>(w.d.vault)[0];
    let paid = w.d.chain.balance(who) - before;
    assert_eq!(
        (ev.requestId, ev.owner, ev.amount),
        (U256::from(id), who, paid)
    );
    paid
}

/// The whole path: a fork the vault does not know, silence, notice, exits without proof, the
/// sETH paid at par first, the surplus to the owners pro rata, to the wei.
#[test]
fn after_an_unknown_layout_fork_seth_is_paid_first_then_owners_pro_rata() {
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
    assert_eq!(request(&mut w, alice, ether(10)), 1);

    unknown_fork(&mut w);
    let e = proof_refusal(mark_to_proof(&mut w, 1, 0));
    assert!(matches!(e, P::UnknownForkVersion(_)), "{e:?}");

    // Not silent long enough yet: notice is refused with the earliest time; nothing else opens.
    let earliest = w.earliest();
    let keeper = w.keeper;
    let e = refusal(w.notice_wind_down(keeper));
    assert!(
        matches!(e, E::ProofsNotSilent(ref x) if x.earliest == U256::from(earliest)),
        "{e:?}"
    );
    assert!(matches!(
        refusal(w.wind_down_exit(keeper, 0, 1)),
        E::WindDownNotNoticed(_)
    ));
    assert!(matches!(refusal(w.sweep_wind_down()), E::NotWindingDown(_)));

    // Silence: notice, which stands a week and is not renewed.
    w.warp_to(earliest);
    let r = w.notice_wind_down(bob).expect_success();
    let noticed = w.d.chain.timestamp();
    let ev = &r.events_from::<Vault::WindDownNoticed>(w.d.vault)[0];
    assert_eq!(
        (ev.earliestStart, ev.caller),
        (U256::from(noticed + NOTICE), bob)
    );
    for e in [
        refusal(w.wind_down_exit(keeper, 0, 1)),
        refusal(w.notice_wind_down(keeper)),
    ] {
        assert!(
            matches!(e, E::WindDownNoticeRunning(ref x) if x.earliest == U256::from(noticed + NOTICE)),
            "{e:?}"
        );
    }

    // The notice ran out: the first exit without proof starts the wind-down for good.
    w.warp_to(noticed + NOTICE);
    let debt = ether(93);
    let r = w.wind_down_exit(keeper, 0, 1).expect_success();
    let started = r.events_from::<Vault::WindDownStarted>(w.d.vault);
    assert_eq!(
        (
            started[0].debtToUnwind,
            started[0].sethOutstanding,
            started[0].caller
        ),
        (debt, ether(93), keeper)
    );
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

    // From now on no proof is taken, even one of a layout the vault knows, and nothing is
    // finalized: the wind-down pays pro rata.
    w.d.state.fork.current_version = w.d.state.fork.previous_version;
    assert!(matches!(
        refusal(mark_to_proof(&mut w, 2, 1)),
        E::WindingDown(_)
    ));
    w.d.add_validator(lsv_consensus::PublicKeyBytes([0xee; 48]));
    assert!(matches!(refusal(w.join(3, alice)), E::WindingDown(_)));
    assert!(matches!(refusal(w.finalize(1)), E::WindingDown(_)));
    assert!(matches!(
        refusal(w.notice_wind_down(keeper)),
        E::WindingDown(_)
    ));
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

    // Validator 0's 32.5 ETH arrives first: all of it to the sETH (93 of them, pro rata). The
    // owners' part waits until every position is counted.
    w.d.chain.credit_withdrawal(w.d.vault, 32_500_000_000);
    w.assert_eth_accounted(gwei(32_500_000_000));
    let r = w.sweep_wind_down().expect_success();
    let ev = &r.events_from::<Vault::WindDownSwept>(w.d.vault)[0];
    assert_eq!(
        (ev.amount, ev.toSeth, ev.toOwners),
        (gwei(32_500_000_000), gwei(32_500_000_000), U256::ZERO)
    );
    assert!(matches!(refusal(w.sweep_wind_down()), E::NothingToSweep(_)));
    w.assert_eth_accounted(U256::ZERO);
    // Alice's open request already has its share: 10 * 32.5 / 93.
    let share = ether(10) * gwei(32_500_000_000) / ether(93);
    assert_eq!(w.wind_down_redemption(1), share);
    assert_eq!(claim_redemption(&mut w, alice, 1), share);
    assert!(matches!(
        refusal(w.claim_wind_down_redemption(alice, 1)),
        E::NoWindDownRedemption(_)
    ));
    assert!(matches!(
        refusal(w.claim_wind_down_redemption(bob, 1)),
        E::NotRequestOwner(_)
    ));

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

    // 34 + 31.5 ETH arrive: 60.5 brings every sETH to par, the 5 ETH above goes to the owners
    // in proportion 1.5 : 3 : 0.5.
    w.d.chain.credit_withdrawal(w.d.vault, 34_000_000_000);
    w.d.chain.credit_withdrawal(w.d.vault, 31_500_000_000);
    let r = w.sweep_wind_down().expect_success();
    let ev = &r.events_from::<Vault::WindDownSwept>(w.d.vault)[0];
    assert_eq!((ev.toSeth, ev.toOwners), (gwei(60_500_000_000), ether(5)));
    assert_eq!(
        U256::from(w.view(&Vault::windDownSethBookedCall {})),
        ether(93)
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

    // Alice's request gets the rest of its 10; sETH redeemed now gets par at once.
    assert_eq!(claim_redemption(&mut w, alice, 1), ether(10) - share);
    assert_eq!(request(&mut w, bob, ether(31)), 2);
    assert_eq!(claim_redemption(&mut w, bob, 2), ether(31));
    assert_eq!(request(&mut w, alice, ether(52)), 3);
    assert_eq!(claim_redemption(&mut w, alice, 3), ether(52));
    assert_eq!(w.seth_supply(), U256::ZERO);

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
    assert_eq!(
        w.d.chain.balance(w.d.vault),
        U256::ZERO,
        "everything paid out"
    );
}

/// Audit finding 2: the wind-down used to write off, `WIND_DOWN_DELAY` after its start, the debt
/// whose ETH had not arrived; requests were then finalized at what the buffer held, and ETH that
/// arrived later brought only the unredeemed sETH to par, the rest going to owners. Exit queues
/// have been longer than 30 days. Now every sETH outstanding at the start, open requests
/// included, shares what arrives, whenever it arrives, and owners get only what is above par.
#[test]
fn eth_that_arrives_late_is_shared_as_eth_that_arrived_early() {
    let (mut w, owners) = pool(
        &[32_000_000_000, 33_000_000_000, 32_000_000_000],
        &["alice", "bob", "carol"],
    );
    let (alice, bob, carol) = (owners[0], owners[1], owners[2]);
    let keeper = w.keeper;
    // Validator 1 is proven exiting before the fork: unwound without a request.
    let epoch = w.d.state.slot.as_u64() / 32;
    w.d.state.validators[1].exit_epoch = lsv_consensus::Epoch::new(epoch + 4);
    let p = w.prove_with(1, ProofParts::VALIDATOR, |_| {});
    w.mark_exiting(U256::from(2), &p).expect_success();
    assert_eq!(request(&mut w, alice, ether(31)), 1); // open at the start

    unknown_fork(&mut w);
    w.open_wind_down();
    let before = w.d.chain.balance(keeper);
    let r = w.wind_down_exit(keeper, 1, 5).expect_success();
    assert_eq!(
        w.d.chain.balance(keeper),
        before,
        "no request: the fee comes back"
    );
    assert!(r.events_from::<Vault::ExitRequested>(w.d.vault).is_empty());
    assert_eq!(
        r.events_from::<Vault::PositionUnwound>(w.d.vault)[0].weightGwei,
        U256::from(2_000_000_000u64)
    );
    assert!(w.d.chain.next_block(B256::ZERO).withdrawals.is_empty());
    w.wind_down_exit(keeper, 0, 1).expect_success();
    w.wind_down_exit(keeper, 2, 1).expect_success();

    // One validator's 32 ETH arrives: 32/93 of every sETH, the open request's as much as bob's.
    w.d.chain.credit_withdrawal(w.d.vault, 32_000_000_000);
    w.sweep_wind_down().expect_success();
    let early = ether(31) * ether(32) / ether(93);
    assert_eq!(claim_redemption(&mut w, alice, 1), early);
    assert_eq!(request(&mut w, bob, ether(31)), 2);
    assert_eq!(claim_redemption(&mut w, bob, 2), early);

    // Sixty days later, longer than the old wait, the other 65 ETH arrive: every sETH reaches
    // par, and only the 4 ETH above it goes to the owners.
    let later = w.d.chain.timestamp() + 60 * 24 * 3600;
    w.warp_to(later);
    w.d.chain.credit_withdrawal(w.d.vault, 65_000_000_000);
    let r = w.sweep_wind_down().expect_success();
    let ev = &r.events_from::<Vault::WindDownSwept>(w.d.vault)[0];
    assert_eq!((ev.toSeth, ev.toOwners), (ether(61), ether(4)));
    assert_eq!(claim_redemption(&mut w, alice, 1), ether(31) - early);
    assert_eq!(claim_redemption(&mut w, bob, 2), ether(31) - early);
    assert_eq!(request(&mut w, carol, ether(31)), 3);
    assert_eq!(claim_redemption(&mut w, carol, 3), ether(31));
    // Owners by last proven residual: 1, 2 and 1 ETH.
    for (holder, id, amount) in [
        (alice, 1, ether(1)),
        (bob, 2, ether(2)),
        (carol, 3, ether(1)),
    ] {
        assert_eq!(w.wind_down_share(U256::from(id)), amount);
        w.claim_wind_down_share(holder, U256::from(id))
            .expect_success();
    }
    w.assert_eth_accounted(U256::ZERO);
}

/// Audit finding 4: nothing kept a healthy, quiet vault alive, and the first `windDownExit`
/// after `WIND_DOWN_DELAY` exited every validator for good. Now a stranger can only give notice,
/// and one heartbeat (any accepted proof) from anyone who relies on the vault voids it and starts
/// the silence again.
#[test]
fn a_quiet_healthy_vault_cannot_be_wound_down_by_a_stranger() {
    let (mut w, _) = pool(&[32_000_000_000, 32_000_000_000], &["alice", "bob"]);
    let stranger = w.d.chain.account("stranger");
    let keeper = w.keeper;
    let earliest = w.earliest();
    w.warp_to(earliest);
    w.notice_wind_down(stranger).expect_success();

    // The keeper answers with a heartbeat: any validator's proof, no parts needed.
    w.d.state.slot = lsv_consensus::Slot::new(w.d.chain.slot());
    let p = w.prove_with(0, ProofParts::VALIDATOR, |_| {});
    let r = w.heartbeat(0, &p).expect_success();
    let ev = &r.events_from::<Vault::Heartbeat>(w.d.vault)[0];
    assert_eq!((ev.caller, ev.slot), (keeper, w.d.state.slot.as_u64()));

    // The notice is void; a new one needs a new silence.
    w.warp_to(w.d.chain.timestamp() + NOTICE);
    for e in [
        refusal(w.wind_down_exit(stranger, 0, 1)),
        refusal(w.wind_down_exit(stranger, 1, 1)),
    ] {
        assert!(matches!(e, E::WindDownNotNoticed(_)), "{e:?}");
    }
    let e = refusal(w.notice_wind_down(stranger));
    assert!(
        matches!(e, E::ProofsNotSilent(ref x) if x.earliest == U256::from(w.earliest())),
        "{e:?}"
    );
    assert_eq!(w.position(U256::ONE).status, 1, "still Active");
    assert!(w.d.chain.next_block(B256::ZERO).withdrawals.is_empty());

    // A heartbeat of a layout the vault cannot read is no heartbeat.
    unknown_fork(&mut w);
    let p = w.prove_with(1, ProofParts::VALIDATOR, |_| {});
    assert!(matches!(
        proof_refusal(w.heartbeat(1, &p)),
        P::UnknownForkVersion(_)
    ));
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
    let r = chain
        .send(
            someone,
            deployment.vault,
            &Vault::noticeWindDownCall {},
            U256::ZERO,
        )
        .unwrap();
    let e = refusal(r);
    let earliest =
        genesis + (u64::from(epoch) + 1) * 32 * SECONDS_PER_SLOT + w.config.wind_down_delay;
    assert!(
        matches!(e, E::ProofsNotSilent(ref x) if x.earliest == U256::from(earliest)),
        "{e:?}"
    );
}
