//! The redemption queue (`contracts/src/Vault.sol`: `requestRedeem`, `finalize`, `claim`,
//! `claimTo`) and donations, on the [`VaultTest`] fixture:
//!
//! - donations join the buffer and backing;
//! - requests burn the caller's own sETH (no approval), are finalized first come first served
//!   at the batch's rate and claimed to the wei, once, in any order, with the checkpoint hint
//!   checked; a too-small request, a finalize beyond the buffer or the last request, and a
//!   request past the queue's 96-bit running total are refused by name;
//! - payouts to an account that refuses ETH: an eject's refund that bounces reverts the eject,
//!   and an unpayable claim waits for its owner's `claimTo`.
//!
//! Losses and the rate of later batches are pinned in `vault_eject.rs` (marks), settlement's
//! in `vault_settlement.rs`.

#![allow(unused_crate_dependencies)]

mod common;

use alloy_sol_types::{SolCall, SolValue};
use common::vault::{milli, min_redeem, tenth, Facts, VaultTest, ACTIVE_SLOT, GWEI_31_98};
use common::{ether, refusal};
use lsv_contracts::bindings::vault::Vault::{self, VaultErrors as E};
use lsv_contracts::bindings::SETH as Seth;
use lsv_contracts::{Address, B256, U256};
use lsv_proofs::ProofParts;

#[test]
fn donations_join_the_buffer_and_backing() {
    let mut w = VaultTest::new();
    let donor = w.d.chain.account("donor");
    w.donate(donor, ether(3));
    assert_eq!(w.buffer(), ether(3));
    assert_eq!(w.view(&Vault::backingCall {}), ether(3));
    w.assert_eth_accounted(U256::ZERO);
}

#[test]
fn requests_are_finalized_in_order_and_claimed_to_the_wei_once() {
    let mut w = VaultTest::new();
    let alice = w.d.chain.account("alice");
    let bob = w.d.chain.account("bob");
    let donor = w.d.chain.account("donor");
    w.join(20, alice).expect_success();
    w.join(21, alice).expect_success();
    w.seth_transfer(alice, bob, ether(20));

    // Below the minimum: refused, nothing locked.
    let e = refusal(w.redeem(alice, min_redeem() - U256::ONE));
    assert!(matches!(e, E::RedeemTooSmall(_)), "{e:?}");

    let r1 = w.redeem(alice, ether(10)).expect_success();
    assert_eq!(
        r1.decode_return::<Vault::requestRedeemCall>().unwrap(),
        U256::ONE
    );
    w.redeem(bob, milli(5_500)).expect_success();
    let r3 = w.redeem(alice, min_redeem()).expect_success();
    let ev = r3.events_from::<Vault::RedeemRequested>(w.d.vault);
    assert_eq!(ev[0].requestId, U256::from(3));
    assert_eq!(ev[0].cumulative, ether(10) + milli(5_500) + min_redeem());
    // Burned when requested, still outstanding until finalized.
    let requested = ether(10) + milli(5_500) + min_redeem();
    assert_eq!(w.seth_balance(w.d.vault), U256::ZERO);
    assert_eq!(w.seth_supply(), ether(62) - requested);
    assert_eq!(w.outstanding(), ether(62));
    assert_eq!(w.seth_balance(alice), ether(42) - ether(10) - min_redeem());

    // Nothing to pay with yet; then not enough for both.
    let e = refusal(w.finalize(1));
    assert!(
        matches!(e, E::InsufficientBuffer(ref x) if x.needed == ether(10) && x.buffer.is_zero()),
        "{e:?}"
    );
    w.donate(donor, ether(12));
    let e = refusal(w.finalize(2));
    assert!(
        matches!(e, E::InsufficientBuffer(ref x) if x.needed == ether(10) + milli(5_500)),
        "{e:?}"
    );
    for bad in [0, 4] {
        let e = refusal(w.finalize(bad));
        assert!(matches!(e, E::InvalidFinalizeTarget(_)), "{bad}: {e:?}");
    }
    // Claims wait for finalization.
    assert!(matches!(refusal(w.claim(1, 1)), E::RequestNotFinalized(_)));

    let f = w.finalize(1).expect_success();
    let ev = f.events_from::<Vault::Finalized>(w.d.vault);
    assert_eq!(
        (ev[0].fromRequestId, ev[0].toRequestId),
        (U256::ONE, U256::ONE)
    );
    assert_eq!(
        (ev[0].sethAmount, ev[0].ethReserved, ev[0].rate),
        (ether(10), ether(10), ether(1))
    );
    assert_eq!(w.buffer(), ether(2));
    assert_eq!(w.reserved(), ether(10));
    assert_eq!(w.outstanding(), ether(52));
    assert_eq!(w.seth_supply(), ether(62) - requested);
    assert!(matches!(
        refusal(w.finalize(1)),
        E::InvalidFinalizeTarget(_)
    ));
    w.assert_eth_accounted(U256::ZERO);

    // Anyone may trigger the claim; the owner is paid, to the wei.
    let before = w.d.chain.balance(alice);
    let c = w.claim(1, 1).expect_success();
    assert_eq!(w.d.chain.balance(alice) - before, ether(10));
    let ev = c.events_from::<Vault::Claimed>(w.d.vault);
    assert_eq!((ev[0].owner, ev[0].amount), (alice, ether(10)));
    assert!(matches!(refusal(w.claim(1, 1)), E::AlreadyClaimed(_)));
    assert_eq!(w.reserved(), U256::ZERO);

    // Requests 2 and 3 in one batch at the same rate: the checkpoint is extended, not added.
    w.donate(donor, ether(4));
    w.finalize(3).expect_success();
    assert_eq!(w.view(&Vault::checkpointCountCall {}), 1);
    assert_eq!(
        w.view(&Vault::findCheckpointCall {
            requestId: U256::from(3)
        }),
        U256::ONE
    );
    for hint in [0, 2] {
        let e = refusal(w.claim(3, hint));
        assert!(matches!(e, E::InvalidCheckpointHint(_)), "{hint}: {e:?}");
    }
    assert_eq!(
        w.view(&Vault::claimableCall {
            requestId: U256::from(2),
            checkpointHint: U256::ONE
        }),
        milli(5_500)
    );
    let (bob_before, alice_before) = (w.d.chain.balance(bob), w.d.chain.balance(alice));
    w.claim(3, 1).expect_success(); // order of claims is free once finalized
    w.claim(2, 1).expect_success();
    assert_eq!(w.d.chain.balance(bob) - bob_before, milli(5_500));
    assert_eq!(w.d.chain.balance(alice) - alice_before, min_redeem());
    assert_eq!(
        w.buffer(),
        ether(16) - ether(10) - milli(5_500) - min_redeem()
    );
    assert_eq!(w.reserved(), U256::ZERO);
    assert_eq!(w.seth_supply(), ether(62) - requested);
    assert_eq!(w.outstanding(), w.seth_supply());
    w.assert_eth_accounted(U256::ZERO);
    assert!(matches!(refusal(w.claim(4, 1)), E::RequestNotFinalized(_)));
}

/// The queue's running total is 96-bit: a request that would carry it past 2^96 - 1 is refused
/// by name before any sETH moves (no supply could reach it, so this guards the arithmetic only).
#[test]
fn a_request_past_the_queues_96_bit_total_is_refused() {
    let mut w = VaultTest::new();
    let alice = w.d.chain.account("alice");
    w.join(24, alice).expect_success();
    w.redeem(alice, ether(1)).expect_success();
    let too_much = (U256::ONE << 96) - ether(1);
    let e = refusal(w.redeem(alice, too_much));
    assert!(matches!(e, E::QueueTotalOverflow(_)), "{e:?}");
    assert_eq!(w.seth_balance(alice), ether(30));
    assert_eq!(w.view(&Vault::lastRequestIdCall {}), 1);
}

#[test]
fn redeeming_burns_the_callers_own_seth_without_an_approval() {
    let mut w = VaultTest::new();
    let alice = w.d.chain.account("alice");
    let bob = w.d.chain.account("bob");
    w.join(22, alice).expect_success();
    // Bob holds nothing: refused by sETH, no request recorded.
    let r = w.redeem(bob, ether(1));
    assert!(!r.is_success());
    assert!(matches!(
        r.revert_error::<Seth::SETHErrors>(),
        Some(Seth::SETHErrors::InsufficientBalance(_))
    ));
    assert_eq!(w.view(&Vault::lastRequestIdCall {}), 0);
    // Alice needs no allowance: her own sETH is burned, and only hers.
    let r = w.redeem(alice, ether(1)).expect_success();
    assert_eq!(
        r.events_from::<Seth::Transfer>(w.d.seth),
        vec![Seth::Transfer {
            from: alice,
            to: Address::ZERO,
            amount: ether(1)
        }]
    );
    assert_eq!(w.seth_balance(alice), ether(30));
    assert_eq!(w.seth_supply(), ether(30));
    assert_eq!(w.outstanding(), ether(31));
    let allowance = Seth::allowanceCall {
        owner: alice,
        spender: w.d.vault,
    };
    assert_eq!(w.d.chain.view(w.d.seth, &allowance).unwrap(), U256::ZERO);
}

/// An account that refuses ETH (a contract without `receive`) is never paid by accident: an
/// eject whose refund bounces reverts whole, and a claim it cannot take stays reserved until
/// its owner sends it elsewhere with `claimTo`.
#[test]
fn a_caller_or_owner_that_refuses_eth_loses_nothing_and_can_be_paid_elsewhere() {
    use lsv_contracts::artifacts::ETH_REFUSING_CALLER;
    use lsv_contracts::bindings::EthRefusingCaller as Refuser;
    let mut w = VaultTest::new();
    let alice = w.d.chain.account("alice");
    let refuser = w.d.chain.deploy(&ETH_REFUSING_CALLER, &[]).unwrap();
    let forward = |w: &mut VaultTest, to: Address, data: Vec<u8>, value: u64| {
        let call = Refuser::forwardCall {
            target: to,
            data: data.into(),
        };
        let keeper = w.keeper;
        w.d.chain
            .send(keeper, refuser, &call, U256::from(value))
            .unwrap()
    };

    // An eject whose refund bounces reverts whole: no reward, no flag, no request queued.
    let id = w.joined(81, alice);
    let p = w.facts(
        81,
        ProofParts::ALL,
        Facts::at(ACTIVE_SLOT).balance(GWEI_31_98),
    );
    let eject = |value: u64| {
        Vault::ejectCall {
            positionId: id,
            timestamp: p.timestamp,
            proof: p.bytes.clone().into(),
            maxFee: U256::from(value),
        }
        .abi_encode()
    };
    let vault = w.d.vault;
    let r = forward(&mut w, vault, eject(1_000), 1_000);
    assert!(
        matches!(refusal(r), E::EthTransferFailed(ref e) if e.to == refuser && e.amount == U256::from(999)),
        "the 999 wei refund bounced"
    );
    assert!(!w.position(id).exitRequested && w.position(id).rewardGwei == 0);
    assert_eq!(w.seth_balance(refuser), U256::ZERO);
    assert!(w
        .d
        .chain
        .next_block(B256::repeat_byte(0x61))
        .withdrawals
        .is_empty());
    // Sending exactly the fee needs no refund: the same contract ejects and earns the reward.
    let p2 = w.facts(
        81,
        ProofParts::ALL,
        Facts::at(ACTIVE_SLOT).balance(GWEI_31_98),
    );
    let data = Vault::ejectCall {
        positionId: id,
        timestamp: p2.timestamp,
        proof: p2.bytes.clone().into(),
        maxFee: U256::ONE,
    }
    .abi_encode();
    forward(&mut w, vault, data, 1).expect_success();
    assert_eq!(w.seth_balance(refuser), tenth());
    assert_eq!(w.d.chain.balance(refuser), U256::ZERO);

    // A request owned by a contract without `receive`: `claim` cannot pay it and changes
    // nothing; the owner sends it elsewhere with `claimTo`, which no one else may call.
    let owned = w.joined(82, refuser);
    assert_eq!(owned, id + U256::ONE);
    let seth = w.d.seth;
    let approve = Seth::approveCall {
        spender: vault,
        amount: ether(5),
    }
    .abi_encode();
    forward(&mut w, seth, approve, 0).expect_success();
    let r = forward(
        &mut w,
        vault,
        Vault::requestRedeemCall { amount: ether(5) }.abi_encode(),
        0,
    )
    .expect_success();
    let ret = Refuser::forwardCall::abi_decode_returns(&r.output).unwrap();
    let request: U256 = U256::abi_decode(&ret).unwrap();
    let donor = w.d.chain.account("donor");
    w.donate(donor, ether(5));
    w.finalize(request.to()).expect_success();
    let reserved = w.reserved();
    let r = w.claim(request.to(), 1);
    assert!(
        matches!(refusal(r), E::EthTransferFailed(ref e) if e.to == refuser && e.amount == ether(5))
    );
    assert_eq!(w.reserved(), reserved);
    let claim_to = |recipient: Address| Vault::claimToCall {
        requestId: request,
        checkpointHint: U256::ONE,
        recipient,
    };
    let r = w.send(alice, &claim_to(alice));
    assert!(matches!(refusal(r), E::NotRequestOwner(ref e) if e.owner == refuser));
    let r = forward(&mut w, vault, claim_to(Address::ZERO).abi_encode(), 0);
    assert!(matches!(refusal(r), E::InvalidOwner(_)));
    let before = w.d.chain.balance(alice);
    let r = forward(&mut w, vault, claim_to(alice).abi_encode(), 0).expect_success();
    assert_eq!(w.d.chain.balance(alice) - before, ether(5));
    let ev = r.events_from::<Vault::Claimed>(vault);
    assert_eq!((ev[0].owner, ev[0].recipient), (refuser, alice));
    assert!(matches!(
        refusal(w.claim(request.to(), 1)),
        E::AlreadyClaimed(_)
    ));
    w.assert_eth_accounted(U256::ZERO);
}
