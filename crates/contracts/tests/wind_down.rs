//! The proof-free wind-down (docs/DESIGN.md, "Layout forks"): when no proof has been accepted
//! for `WIND_DOWN_DELAY`, anyone sends EIP-7002 exits for every registered key without a proof,
//! and the ETH that arrives pays the queue first, then the owners pro rata to their last proven
//! residual. The layout fork is simulated the way it would happen: the beacon state's fork
//! version becomes one the vault was not deployed with, so every proof fails closed.

mod common;

use common::{assert_vault_eth_booked, ether, gwei, refusal};
use lsv_consensus::{Gwei, Version};
use lsv_contracts::bindings::vault::Vault::{self, VaultErrors as E};
use lsv_contracts::bindings::Positions;
use lsv_contracts::devnet::{Devnet, VaultConfig};
use lsv_contracts::{Address, Receipt, B256, U256};
use lsv_proofs::ProofParts;

const DELAY: u64 = 30 * 24 * 3600;
const SECONDS_PER_SLOT: u64 = 12;
/// An Electra-era fork version the vault does not know (its proofs carry the version as the
/// layout's witness).
const UNKNOWN_FORK: [u8; 4] = [0x99, 0, 0, 0];

struct World {
    d: Devnet,
    keeper: Address,
}

impl World {
    /// A devnet whose validators `i` join with `balances[i]` gwei for `owners[i]`.
    fn new(balances: &[u64], owners: &[&str]) -> (Self, Vec<Address>) {
        let mut d = Devnet::new(VaultConfig::default(), balances.len() as u64);
        let keeper = d.chain.account("keeper");
        let mut addresses = Vec::new();
        for (i, (&balance, owner)) in balances.iter().zip(owners).enumerate() {
            let owner = d.chain.account(owner);
            d.state.balances[i] = Gwei::new(balance);
            d.join(keeper, i as u64, owner).unwrap().expect_success();
            addresses.push(owner);
        }
        (Self { d, keeper }, addresses)
    }

    fn view<C: alloy_sol_types::SolCall>(&self, call: &C) -> C::Return {
        self.d.chain.view(self.d.vault, call).unwrap()
    }

    /// The earliest time the wind-down may start, as the vault computes it.
    fn earliest(&self) -> u64 {
        let epoch: u32 = self.view(&Vault::lastProofEpochCall {});
        lsv_contracts::Chain::GENESIS_TIME + (u64::from(epoch) + 1) * 32 * SECONDS_PER_SLOT + DELAY
    }

    /// Opens blocks (without beacon roots in between) until the open block's time is `time`
    /// or later.
    fn warp_to(&mut self, time: u64) {
        let now = self.d.chain.timestamp();
        let missed = time
            .saturating_sub(now)
            .div_ceil(SECONDS_PER_SLOT)
            .saturating_sub(1);
        self.d
            .chain
            .next_block_after(missed, B256::repeat_byte(0x77));
        assert!(self.d.chain.timestamp() >= time);
    }

    fn wind_down_exit(&mut self, from: Address, index: u64, value: u64) -> Receipt {
        let call = Vault::windDownExitCall {
            pubkey: self.d.pubkey(index).into(),
            maxFee: U256::from(value),
        };
        self.d.send(from, &call, U256::from(value)).unwrap()
    }

    fn sweep(&mut self) -> Receipt {
        let keeper = self.keeper;
        self.d
            .send(keeper, &Vault::sweepWindDownCall {}, U256::ZERO)
            .unwrap()
    }

    fn mark(&mut self, id: u64, index: u64) -> Receipt {
        let p = self.d.prove(index, ProofParts::BALANCE).unwrap();
        let call = Vault::markToProofCall {
            positionId: U256::from(id),
            timestamp: p.timestamp,
            proof: p.bytes.into(),
        };
        let keeper = self.keeper;
        self.d.send(keeper, &call, U256::ZERO).unwrap()
    }

    fn position(&self, id: u64) -> lsv_contracts::bindings::vault::IVault::Position {
        self.view(&Vault::positionOfCall {
            positionId: U256::from(id),
        })
    }

    fn buffer(&self) -> U256 {
        U256::from(self.view(&Vault::bufferCall {}))
    }

    fn live_debt(&self) -> U256 {
        U256::from(self.view(&Vault::totalLiveDebtCall {}))
    }

    fn share(&self, id: u64) -> U256 {
        self.view(&Vault::windDownShareOfCall {
            positionId: U256::from(id),
        })
    }

    /// The vault's ETH is exactly what it books, plus `unbooked`.
    fn assert_eth_accounted(&self, unbooked: U256) {
        assert_vault_eth_booked(&self.d.chain, self.d.vault, unbooked);
    }

    fn claim_share(&mut self, from: Address, id: u64) -> Receipt {
        let call = Vault::claimWindDownShareCall {
            positionId: U256::from(id),
            recipient: Address::ZERO,
        };
        self.d.send(from, &call, U256::ZERO).unwrap()
    }
}

/// The whole path: a fork the vault does not know, silence, exits without proof, the queue
/// paid at par first, the surplus to the owners pro rata, to the wei.
#[test]
fn after_an_unknown_layout_fork_the_queue_is_paid_first_then_owners_pro_rata() {
    // Last proven residuals: 1.5, 3 and 0.5 ETH over the 31-ETH debts.
    let (mut w, owners) = World::new(
        &[32_500_000_000, 34_000_000_000, 31_500_000_000 + 500_000_000],
        &["alice", "alice", "bob"],
    );
    let (alice, bob) = (owners[0], owners[2]);
    // Validator 2's balance is marked down later: its weight is its last proven residual.
    w.d.state.balances[2] = Gwei::new(31_500_000_000);
    w.mark(3, 2).expect_success();
    assert_eq!(w.position(3).lastBalanceGwei.to::<u64>(), 31_500_000_000);
    let request =
        w.d.send(
            alice,
            &Vault::requestRedeemCall { amount: ether(10) },
            U256::ZERO,
        )
        .unwrap()
        .expect_success();
    assert_eq!(
        request.decode_return::<Vault::requestRedeemCall>().unwrap(),
        U256::ONE
    );

    // The fork: every proof now fails closed, so nothing keeps the vault alive.
    w.d.state.fork.previous_version = w.d.state.fork.current_version;
    w.d.state.fork.current_version = Version(UNKNOWN_FORK);
    let r = w.mark(1, 0);
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
    assert!(matches!(refusal(w.sweep()), E::NotWindingDown(_)));
    let r =
        w.d.send(keeper, &Vault::finishWindDownCall {}, U256::ZERO)
            .unwrap();
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
    assert_eq!(w.position(1).status, 4, "Unwinding");
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
    assert!(matches!(refusal(w.mark(2, 1)), E::WindingDown(_)));
    w.d.add_validator(lsv_consensus::PublicKeyBytes([0xee; 48]));
    let r = w.d.join(keeper, 3, alice).unwrap();
    assert!(matches!(refusal(r), E::WindingDown(_)));
    // An unwound position is not unwound twice; its request is re-sent only after the wait.
    assert!(matches!(
        refusal(w.wind_down_exit(keeper, 0, 1)),
        E::ExitRequestTooSoon(_)
    ));
    // Unknown keys have no position.
    let r =
        w.d.send(
            keeper,
            &Vault::windDownExitCall {
                pubkey: vec![0xee; 48].into(),
                maxFee: U256::ONE,
            },
            U256::ONE,
        )
        .unwrap();
    assert!(matches!(refusal(r), E::InvalidPositionStatus(_)));

    // Validator 0's 32.5 ETH arrives first: all of it to the queue, repaying live debt. The
    // rest of the surplus waits until every position is counted.
    w.d.chain.credit_withdrawal(w.d.vault, 32_500_000_000);
    w.assert_eth_accounted(gwei(32_500_000_000));
    let r = w.sweep().expect_success();
    let ev = &r.events_from::<Vault::WindDownSwept>(w.d.vault)[0];
    assert_eq!(
        (ev.amount, ev.toQueue, ev.toOwners),
        (gwei(32_500_000_000), gwei(32_500_000_000), U256::ZERO)
    );
    assert_eq!(w.live_debt(), debt - gwei(32_500_000_000));
    assert!(matches!(refusal(w.sweep()), E::NothingToSweep(_)));
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
    let r = w.sweep().expect_success();
    let ev = &r.events_from::<Vault::WindDownSwept>(w.d.vault)[0];
    assert_eq!((ev.toQueue, ev.toOwners), (gwei(60_500_000_000), ether(5)));
    assert_eq!(w.live_debt(), U256::ZERO);
    let outstanding: U256 = w.view(&Vault::outstandingCall {});
    assert_eq!(outstanding, ether(93));
    assert_eq!(
        w.buffer(),
        outstanding,
        "every outstanding sETH is backed by ETH at par"
    );
    w.assert_eth_accounted(U256::ZERO);
    assert_eq!(
        [w.share(1), w.share(2), w.share(3)],
        [gwei(1_500_000_000), ether(3), gwei(500_000_000)]
    );

    // The queue is paid at par.
    let keeper_call = Vault::finalizeCall {
        upToRequestId: U256::ONE,
    };
    let f =
        w.d.send(keeper, &keeper_call, U256::ZERO)
            .unwrap()
            .expect_success();
    assert_eq!(
        f.events_from::<Vault::Finalized>(w.d.vault)[0].rate,
        ether(1)
    );
    let before = w.d.chain.balance(alice);
    let claim = Vault::claimCall {
        requestId: U256::ONE,
        checkpointHint: U256::ONE,
    };
    w.d.send(keeper, &claim, U256::ZERO)
        .unwrap()
        .expect_success();
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
    let e = refusal(w.claim_share(alice, 2));
    assert!(matches!(e, E::NotPositionOwner(_)), "{e:?}");
    for (holder, id, amount) in [
        (alice, 1, gwei(1_500_000_000)),
        (carol, 2, ether(3)),
        (bob, 3, gwei(500_000_000)),
    ] {
        let before = w.d.chain.balance(holder);
        let r = w.claim_share(holder, id).expect_success();
        let ev = &r.events_from::<Vault::WindDownShareClaimed>(w.d.vault)[0];
        assert_eq!((ev.owner, ev.amount), (holder, amount));
        assert_eq!(w.d.chain.balance(holder) - before, amount);
        assert!(matches!(
            refusal(w.claim_share(holder, id)),
            E::NoWindDownShare(_)
        ));
    }
    w.assert_eth_accounted(U256::ZERO);
    assert_eq!(U256::from(w.view(&Vault::ownerPoolOwedCall {})), U256::ZERO);

    // The wait ends DELAY after the start; nothing was left to write off.
    let e = refusal(
        w.d.send(keeper, &Vault::finishWindDownCall {}, U256::ZERO)
            .unwrap(),
    );
    assert!(matches!(e, E::WindDownNotOver(_)), "{e:?}");
    let start: u64 = w.view(&Vault::windDownStartedAtCall {}).to();
    w.warp_to(start + DELAY);
    let r =
        w.d.send(keeper, &Vault::finishWindDownCall {}, U256::ZERO)
            .unwrap()
            .expect_success();
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
    let (mut w, owners) = World::new(
        &[32_000_000_000, 33_000_000_000, 32_000_000_000],
        &["alice", "bob", "carol"],
    );
    let (alice, bob) = (owners[0], owners[1]);
    let keeper = w.keeper;
    // Validator 1 is proven exiting before anything else happens.
    let epoch = w.d.state.slot.as_u64() / 32;
    w.d.state.validators[1].exit_epoch = lsv_consensus::Epoch::new(epoch + 4);
    let p = w.d.prove(1, ProofParts::VALIDATOR).unwrap();
    let call = Vault::markExitingCall {
        positionId: U256::from(2),
        timestamp: p.timestamp,
        proof: p.bytes.into(),
    };
    w.d.send(keeper, &call, U256::ZERO)
        .unwrap()
        .expect_success();

    // A proof of a later state keeps the vault alive: the earliest start moves with it.
    let first = w.earliest();
    w.d.state.slot = lsv_consensus::Slot::new(w.d.state.slot.as_u64() + 32 * 1_000);
    w.mark(1, 0).expect_success();
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
    let r = w.sweep().expect_success();
    let ev = &r.events_from::<Vault::WindDownSwept>(w.d.vault)[0];
    assert_eq!((ev.toQueue, ev.toOwners), (ether(65), U256::ZERO));
    assert_eq!(w.live_debt(), ether(28));
    let backing: U256 = w.view(&Vault::backingCall {});
    assert_eq!(
        backing,
        ether(93),
        "until the wait ends, the missing debt still backs sETH"
    );

    // The wait ends: 28 ETH never arrived, validator 2's 31 was never unwound.
    let start: u64 = w.view(&Vault::windDownStartedAtCall {}).to();
    w.warp_to(start + DELAY);
    let r =
        w.d.send(bob, &Vault::finishWindDownCall {}, U256::ZERO)
            .unwrap()
            .expect_success();
    let ev = &r.events_from::<Vault::WindDownFinished>(w.d.vault)[0];
    assert_eq!(
        (ev.debtWrittenOff, ev.debtNotUnwound),
        (ether(28), ether(31))
    );
    let e = refusal(
        w.d.send(bob, &Vault::finishWindDownCall {}, U256::ZERO)
            .unwrap(),
    );
    assert!(matches!(e, E::WindDownNotOver(_)), "once: {e:?}");
    let backing: U256 = w.view(&Vault::backingCall {});
    assert_eq!(backing, ether(65));

    // Finalization pays what there is: 65/93 per sETH.
    w.d.send(
        alice,
        &Vault::requestRedeemCall { amount: ether(31) },
        U256::ZERO,
    )
    .unwrap()
    .expect_success();
    let f =
        w.d.send(
            keeper,
            &Vault::finalizeCall {
                upToRequestId: U256::ONE,
            },
            U256::ZERO,
        )
        .unwrap()
        .expect_success();
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
        assert_eq!(w.share(id), U256::ZERO);
        assert!(matches!(
            refusal(w.claim_share(holder, id)),
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
    let d = Devnet::new(VaultConfig::default(), 1);
    let anchor = (
        d.state.genesis_time,
        d.state.genesis_validators_root,
        B256::repeat_byte(0x05),
    );
    let deployment = lsv_contracts::devnet::Deployment::deploy(
        &mut chain,
        Address::repeat_byte(0xa7),
        anchor,
        0,
        &VaultConfig::default(),
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
    let earliest = genesis + (u64::from(epoch) + 1) * 32 * SECONDS_PER_SLOT + DELAY;
    assert!(
        matches!(e, E::ProofsNotSilent(ref x) if x.earliest == U256::from(earliest)),
        "{e:?}"
    );
}
