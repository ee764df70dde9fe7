//! A stateful property test of the vault (`contracts/src/Vault.sol`) on the [`VaultTest`]
//! fixture: random sequences of join / donate / redeem / finalize / claim / sETH transfer /
//! markToProof and markSlashed / eject / markExiting / demand exit and skip / settle / late and
//! unattributed credits / position moves (and would-be thefts) / residual claims, each checked
//! against a model kept independently of the contract.
//!
//! After every step: the vault's ETH is exactly what it books; outstanding sETH is the supply
//! plus the open requests; live debt, shortfall, exiting debt, pending slashings, residuals and
//! realised losses match the model to the wei; sETH never exceeds what backs it before losses;
//! each request is paid at its batch's rate, never below par while a slashing's penalty is
//! pending; the eject reward is paid once per position and never exceeds the balance above the
//! debt; a proof at or past the withdrawable epoch (after the sweep) moves no loss accounting;
//! the demand cursor moves only as the model says; position tokens move only with their holder.
//!
//! A second property test drives the wind-down: random states, then random arrivals, sweeps,
//! exits and claims in any order; every sETH outstanding at the start gets its pro-rata share of
//! what arrived, up to par, and the owners only what is above.
//!
//! Failing cases proptest has found are kept in `vault_stateful.proptest-regressions` and
//! replayed first.

#![allow(unused_crate_dependencies)]

mod common;

use common::vault::{
    milli, min_redeem, tenth, Facts, VaultTest, ACTIVE_SLOT, EXIT_RESEND_BLOCKS, INACTIVITY_TRIGGER,
};
use common::{ether, refusal};
use lsv_contracts::bindings::vault::Vault::{self, VaultErrors as E};
use lsv_contracts::bindings::Positions;
use lsv_contracts::devnet::Settlement;
use lsv_contracts::{Address, B256, U256};
use lsv_proofs::ProofParts;
use proptest::prelude::*;
use std::collections::{BTreeMap, BTreeSet};

const VALIDATORS: [u64; 3] = [90, 91, 92];
/// A validator with the vault's credentials that never joins: its withdrawals are donations.
const STRANGER: u64 = 93;

#[derive(Debug, Clone, Copy)]
enum Slashing {
    None,
    Pending,
    Resolved,
}

#[derive(Debug, Clone)]
enum Op {
    Join(usize, usize),
    Donate(usize, u64),
    Redeem(usize, u64),
    Finalize(u64),
    Claim(u64),
    Transfer(usize, usize, u64),
    /// A proof of the validator's balance (`markToProof`), or of its slashing at that
    /// balance (`markSlashed`), the correlation penalty still to come or past.
    Mark(usize, u64, Slashing),
    /// A proof of the validator after its sweep (at its withdrawable epoch, balance 0), sent to
    /// `markToProof`.
    MarkSwept(usize),
    Eject(usize, u64, u64),
    /// Empty blocks, so exit requests can be re-sent.
    Advance(u64),
    /// A proof that the validator is exiting (`markExiting`).
    MarkExiting(usize),
    /// The position at the demand-exit cursor: a demand exit if it is eligible (or a skip
    /// with a not-yet-active proof when the flag is set), a skip without proof otherwise.
    Demand(bool),
    /// The sweep of the validator's balance (gwei) arrives and is settled.
    Settle(usize, u64),
    /// A further withdrawal (gwei) of the validator arrives and is credited.
    LateCredit(usize, u64),
    /// A withdrawal (gwei) of a validator that never joined arrives and is credited.
    Unattributed(u64),
    /// Position token `k` is moved by user `u` (its holder, or a would-be thief) to user `v`.
    MovePosition(usize, usize, usize),
    /// Position `k`'s residual is claimed by its holder (`None`) or by user `u`.
    ClaimResidual(usize, Option<usize>),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => (0..3usize, 0..3usize).prop_map(|(k, u)| Op::Join(k, u)),
        2 => (0..3usize, 1..5_000u64).prop_map(|(u, m)| Op::Donate(u, m)),
        4 => (0..3usize, 1..=100u64).prop_map(|(u, p)| Op::Redeem(u, p)),
        2 => (0..=100u64).prop_map(Op::Finalize),
        2 => any::<u64>().prop_map(Op::Claim),
        1 => (0..3usize, 0..3usize, 1..=100u64).prop_map(|(a, b, p)| Op::Transfer(a, b, p)),
        2 => (0..3usize, 15_000_000_000..32_500_000_000u64).prop_map(|(k, b)| Op::Mark(k, b, Slashing::None)),
        2 => (0..3usize, 30_900_000_000..32_200_000_000u64, 0..200u64)
            .prop_map(|(k, b, s)| Op::Eject(k, b, s)),
        1 => (1..=EXIT_RESEND_BLOCKS).prop_map(Op::Advance),
        1 => (0..3usize).prop_map(Op::MarkExiting),
        3 => any::<bool>().prop_map(Op::Demand),
        1 => (0..3usize, 10_000_000_000..32_000_000_000u64, any::<bool>()).prop_map(|(k, b, p)| {
            Op::Mark(k, b, if p { Slashing::Pending } else { Slashing::Resolved })
        }),
        1 => (0..3usize).prop_map(Op::MarkSwept),
        3 => (0..3usize, 27_000_000_000..35_000_000_000u64).prop_map(|(k, b)| Op::Settle(k, b)),
        2 => (0..3usize, 1..3_000_000_000u64).prop_map(|(k, g)| Op::LateCredit(k, g)),
        1 => (1..40_000_000_000u64).prop_map(Op::Unattributed),
        1 => (0..3usize, 0..3usize, 0..3usize).prop_map(|(k, u, v)| Op::MovePosition(k, u, v)),
        2 => (0..3usize, proptest::option::of(0..3usize)).prop_map(|(k, u)| Op::ClaimResidual(k, u)),
    ]
}

/// What the test expects, kept independently of the contract.
#[derive(Default)]
struct Model {
    /// validator slot k -> position id
    positions: BTreeMap<usize, U256>,
    /// validator slot -> the eject reward paid for it (never zero)
    rewarded: BTreeMap<usize, U256>,
    shortfall: BTreeMap<usize, U256>,
    /// validator slots proven slashed before their correlation penalty
    pending_slashing: BTreeSet<usize>,
    last_request_block: BTreeMap<usize, u64>,
    /// validator slots whose exit was requested and not yet proven
    exit_requested: BTreeSet<usize>,
    /// validator slots proven exiting
    exiting: BTreeSet<usize>,
    /// the demand-exit cursor (a position id; 0 stands for 1)
    cursor: u64,
    /// request id -> (owner, sETH amount)
    requests: BTreeMap<u64, (Address, U256)>,
    /// request id -> the rate of the batch that finalized it
    rates: BTreeMap<u64, U256>,
    claimed: BTreeSet<u64>,
    slot: u64,
    rewards_paid: u64,
    /// validator slots whose position was settled
    closed: BTreeSet<usize>,
    /// validator slot -> what its withdrawals have not repaid of its debt (closed positions)
    unpaid: BTreeMap<usize, U256>,
    /// validator slot -> residual owed to the position's holder
    residual: BTreeMap<usize, U256>,
    /// validator slot -> user index holding the position token
    holder: BTreeMap<usize, usize>,
    /// the next global withdrawal index to use
    withdrawal_index: u64,
}

impl Model {
    fn debt(&self, k: usize) -> U256 {
        ether(31) + self.rewarded.get(&k).copied().unwrap_or_default()
    }
    fn set_shortfall(&mut self, k: usize, balance_gwei: u64) {
        let debt = self.debt(k);
        let floor = common::gwei(balance_gwei);
        self.shortfall.insert(
            k,
            if debt > floor {
                debt - floor
            } else {
                U256::ZERO
            },
        );
    }
    fn validator_of(&self, id: U256) -> usize {
        *self
            .positions
            .iter()
            .find(|(_, v)| **v == id)
            .expect("a joined position")
            .0
    }
    /// Open redemptions: requested and not finalized.
    fn open(&self) -> U256 {
        self.requests
            .iter()
            .filter(|(id, _)| !self.rates.contains_key(id))
            .map(|(_, (_, amount))| *amount)
            .sum()
    }
    fn sum_debt<'a>(&self, ks: impl Iterator<Item = &'a usize>) -> U256 {
        ks.map(|k| self.debt(*k)).sum()
    }
    fn next_slot(&mut self) -> u64 {
        self.slot += 1;
        ACTIVE_SLOT + self.slot
    }
    fn next_withdrawal(&mut self) -> u64 {
        self.withdrawal_index += 1;
        self.withdrawal_index
    }
    fn live(&self) -> impl Iterator<Item = &usize> {
        self.positions.keys().filter(|k| !self.closed.contains(k))
    }
    /// Closes position `k` on a sweep of `amount`: the queue takes up to its debt, the rest
    /// is the holder's, the unrepaid debt a realised loss. Returns what the queue took.
    fn close(&mut self, k: usize, amount: U256) -> U256 {
        let debt = self.debt(k);
        let to_queue = amount.min(debt);
        self.closed.insert(k);
        self.unpaid.insert(k, debt - to_queue);
        *self.residual.entry(k).or_default() += amount - to_queue;
        self.shortfall.remove(&k);
        self.pending_slashing.remove(&k);
        self.exiting.remove(&k);
        self.exit_requested.remove(&k);
        to_queue
    }
    /// Credits `amount` to closed position `k`: its unpaid debt first, then its holder.
    /// Returns what went to backing.
    fn credit_closed(&mut self, k: usize, amount: U256) -> U256 {
        let unpaid = self.unpaid.get(&k).copied().unwrap_or_default();
        let to_backing = amount.min(unpaid);
        self.unpaid.insert(k, unpaid - to_backing);
        *self.residual.entry(k).or_default() += amount - to_backing;
        to_backing
    }
}

fn last_ids(w: &VaultTest) -> (u64, u64) {
    (
        w.view(&Vault::lastFinalizedIdCall {}),
        w.view(&Vault::lastRequestIdCall {}),
    )
}

fn cumulative(w: &VaultTest, id: u64) -> U256 {
    w.view(&Vault::requestOfCall {
        requestId: U256::from(id),
    })
    .cumulative
}

/// A withdrawal of `gwei` for validator `validator` arrives at the vault (EIP-4895) in a
/// block of a fresh slot: its settlement proofs.
fn arrive(w: &mut VaultTest, m: &mut Model, validator: u64, gwei: u64) -> Settlement {
    let slot = m.next_slot();
    let index = m.next_withdrawal();
    let ws = [w.withdrawal(index, validator, gwei)];
    let block = w.sweep_block(slot, &ws);
    w.settlement(validator, &block, slot / 32)
}

fn step(w: &mut VaultTest, m: &mut Model, users: &[Address; 3], op: &Op) {
    match *op {
        Op::Join(k, u) => {
            if m.positions.contains_key(&k) {
                return;
            }
            let id = w.joined(VALIDATORS[k], users[u]);
            m.positions.insert(k, id);
            m.holder.insert(k, u);
        }
        Op::Donate(u, milli_eth) => w.donate(users[u], milli(milli_eth)),
        Op::Redeem(u, pct) => {
            let amount = w.seth_balance(users[u]) * U256::from(pct) / U256::from(100);
            if amount < min_redeem() {
                return;
            }
            let r = w.redeem(users[u], amount).expect_success();
            let id: U256 = r.decode_return::<Vault::requestRedeemCall>().unwrap();
            m.requests.insert(id.to(), (users[u], amount));
        }
        Op::Finalize(pct) => {
            let (done, last) = last_ids(w);
            if done == last {
                return;
            }
            let target = done + 1 + (last - done - 1) * pct / 100;
            let (supply, backing, buffer) = (w.outstanding(), w.backing(), w.buffer());
            let rate = if backing >= supply {
                ether(1)
            } else {
                backing * ether(1) / supply
            };
            let amount = cumulative(w, target) - cumulative(w, done);
            let eth = amount * rate / ether(1);
            let r = w.finalize(target);
            if rate < ether(1) && !m.pending_slashing.is_empty() {
                assert!(matches!(refusal(r), E::SlashingPenaltyPending(_)));
                return;
            }
            if eth > buffer {
                assert!(matches!(refusal(r), E::InsufficientBuffer(_)));
                return;
            }
            let ev = r
                .expect_success()
                .events_from::<Vault::Finalized>(w.d.vault);
            assert_eq!((ev[0].rate, ev[0].ethReserved), (rate, eth));
            for id in done + 1..=target {
                m.rates.insert(id, rate);
            }
            // Finalizing never makes the remaining holders worse off.
            let (supply2, backing2) = (w.outstanding(), w.backing());
            assert_eq!(supply2, supply - amount);
            if backing >= supply {
                assert!(backing2 >= supply2);
            } else {
                assert!(backing2 * supply >= backing * supply2);
            }
        }
        Op::Claim(pick) => {
            let open: Vec<u64> = m
                .rates
                .keys()
                .copied()
                .filter(|id| !m.claimed.contains(id))
                .collect();
            if open.is_empty() {
                return;
            }
            let id = open[(pick % open.len() as u64) as usize];
            let hint: U256 = w.view(&Vault::findCheckpointCall {
                requestId: U256::from(id),
            });
            let (owner, amount) = m.requests[&id];
            let before = w.d.chain.balance(owner);
            w.claim(id, hint.to()).expect_success();
            assert_eq!(
                w.d.chain.balance(owner) - before,
                amount * m.rates[&id] / ether(1),
                "request {id} paid at its batch's rate"
            );
            m.claimed.insert(id);
            assert!(matches!(
                refusal(w.claim(id, hint.to())),
                E::AlreadyClaimed(_)
            ));
        }
        Op::Transfer(a, b, pct) => {
            let amount = w.seth_balance(users[a]) * U256::from(pct) / U256::from(100);
            w.seth_transfer(users[a], users[b], amount);
        }
        Op::Advance(blocks) => w.advance(blocks),
        Op::Mark(k, balance, slashing) => {
            let Some(&id) = m.positions.get(&k) else {
                return;
            };
            let slot = m.next_slot();
            let epoch = slot / 32;
            let facts = Facts::at(slot).balance(balance);
            // Slashed: exiting, and withdrawable either 8192 epochs on (the penalty at 4096 still
            // to come) or so soon that `process_slashings` has run.
            let facts = match slashing {
                Slashing::None => facts,
                Slashing::Pending => facts.slashed_at(epoch),
                Slashing::Resolved => Facts {
                    slashed: true,
                    exit_epoch: epoch,
                    withdrawable_epoch: epoch + 4095,
                    ..facts
                },
            };
            let slashed = !matches!(slashing, Slashing::None);
            let p = w.facts(VALIDATORS[k], ProofParts::BALANCE, facts);
            let r = w.mark(id, &p, slashed);
            if m.closed.contains(&k) {
                assert!(matches!(refusal(r), E::InvalidPositionStatus(_)));
                return;
            }
            r.expect_success();
            match slashing {
                Slashing::None => m.set_shortfall(k, balance),
                Slashing::Pending => {
                    m.pending_slashing.insert(k);
                    m.shortfall.insert(k, m.debt(k));
                }
                Slashing::Resolved => {
                    m.pending_slashing.remove(&k);
                    m.set_shortfall(k, balance);
                }
            }
            if slashed {
                assert!(w.position(id).slashed);
            }
        }
        Op::MarkSwept(k) => {
            let Some(&id) = m.positions.get(&k) else {
                return;
            };
            let slot = m.next_slot();
            let epoch = slot / 32;
            let facts = Facts::at(slot)
                .balance(0)
                .exit(epoch - 256)
                .withdrawable(epoch);
            let p = w.facts(VALIDATORS[k], ProofParts::BALANCE, facts);
            let r = w.mark(id, &p, false);
            if m.closed.contains(&k) {
                assert!(matches!(refusal(r), E::InvalidPositionStatus(_)));
                return;
            }
            assert!(matches!(refusal(r), E::ValidatorWithdrawable(_)));
        }
        Op::Eject(k, balance, score) => {
            let Some(&id) = m.positions.get(&k) else {
                return;
            };
            let slot = m.next_slot();
            let p = w.facts(
                VALIDATORS[k],
                ProofParts::ALL,
                Facts::at(slot).balance(balance).score(score),
            );
            let keeper = w.keeper;
            let seth_before = w.seth_balance(keeper);
            let r = w.eject(id, &p);
            let block = w.d.chain.block_number();
            if m.exiting.contains(&k) || m.closed.contains(&k) {
                assert!(matches!(refusal(r), E::InvalidPositionStatus(_)));
                return;
            }
            if balance >= 31_990_000_000 && score <= INACTIVITY_TRIGGER {
                assert!(matches!(refusal(r), E::NotEjectable(_)));
                return;
            }
            if let Some(&last) = m.last_request_block.get(&k) {
                if block < last + EXIT_RESEND_BLOCKS {
                    assert!(matches!(refusal(r), E::ExitRequestTooSoon(_)));
                    return;
                }
            }
            let r = r.expect_success();
            // Once per position, and never more than the balance holds above the debt.
            let reward = if m.rewarded.contains_key(&k) {
                U256::ZERO
            } else {
                (common::gwei(balance).saturating_sub(ether(31))).min(tenth())
            };
            if !reward.is_zero() {
                m.rewarded.insert(k, reward);
                m.rewards_paid += 1;
            }
            assert_eq!(r.events_from::<Vault::Ejected>(w.d.vault)[0].reward, reward);
            assert_eq!(w.seth_balance(keeper) - seth_before, reward);
            m.last_request_block.insert(k, block);
            m.exit_requested.insert(k);
            m.set_shortfall(k, balance);
            let requests =
                w.d.chain
                    .next_block(B256::repeat_byte(0x55))
                    .withdrawals
                    .clone();
            assert_eq!(requests.len(), 1);
            assert_eq!(requests[0].source_address, w.d.vault);
            assert_eq!(requests[0].validator_pubkey.as_slice(), &p.pubkey[..]);
        }
        Op::MarkExiting(k) => {
            let Some(&id) = m.positions.get(&k) else {
                return;
            };
            let slot = m.next_slot();
            let p = w.facts(
                VALIDATORS[k],
                ProofParts::VALIDATOR,
                Facts::at(slot).exit(slot / 32 + 10),
            );
            let r = w.mark_exiting(id, &p);
            if m.exiting.contains(&k) || m.closed.contains(&k) {
                assert!(matches!(refusal(r), E::InvalidPositionStatus(_)));
                return;
            }
            r.expect_success();
            m.exiting.insert(k);
            m.exit_requested.remove(&k);
        }
        Op::Demand(skip_with_proof) => {
            if m.positions.is_empty() {
                return;
            }
            let id = U256::from(m.cursor.max(1));
            assert_eq!(w.cursor(), id, "the cursor moves only as the model says");
            let next = if id == U256::from(m.positions.len()) {
                1
            } else {
                m.cursor.max(1) + 1
            };
            let k = m.validator_of(id);
            let block = w.d.chain.block_number();
            let recent = m
                .last_request_block
                .get(&k)
                .is_some_and(|&last| block < last + EXIT_RESEND_BLOCKS);
            if m.exiting.contains(&k) || m.closed.contains(&k) || recent {
                // Not `Active`, or asked to exit moments ago: a skip needs no proof.
                w.skip(id, None).expect_success();
                m.cursor = next;
                return;
            }
            let slot = m.next_slot();
            if skip_with_proof {
                let p = w.facts(
                    VALIDATORS[k],
                    ProofParts::VALIDATOR,
                    Facts::at(slot).activation(slot / 32 + 1),
                );
                w.skip(id, Some(&p)).expect_success();
                m.cursor = next;
                return;
            }
            let open = m.open();
            let covered =
                w.buffer() + m.sum_debt(m.exiting.iter()) + m.sum_debt(m.exit_requested.iter());
            let p = w.facts(VALIDATORS[k], ProofParts::VALIDATOR, Facts::at(slot));
            let r = w.demand_exit(id, &p);
            if open <= covered && !m.exit_requested.contains(&k) {
                assert!(
                    matches!(refusal(r), E::NoDemand(_)),
                    "open {open} covered {covered}"
                );
                return;
            }
            let r = r.expect_success();
            assert_eq!(r.events_from::<Vault::DemandExit>(w.d.vault).len(), 1);
            m.cursor = next;
            m.last_request_block.insert(k, w.d.chain.block_number());
            m.exit_requested.insert(k);
            let requests =
                w.d.chain
                    .next_block(B256::repeat_byte(0x56))
                    .withdrawals
                    .clone();
            assert_eq!(requests.len(), 1);
            assert_eq!(requests[0].validator_pubkey.as_slice(), &p.pubkey[..]);
        }
        Op::Settle(k, gwei) => {
            let Some(&id) = m.positions.get(&k) else {
                return;
            };
            let s = arrive(w, m, VALIDATORS[k], gwei);
            let r = w.settle(id, &s, 0);
            if m.closed.contains(&k) {
                assert!(matches!(refusal(r), E::InvalidPositionStatus(_)));
                // The ETH still arrived: credited as a late withdrawal instead.
                w.credit(id, &s, 0).expect_success();
                m.credit_closed(k, common::gwei(gwei));
                return;
            }
            let r = r.expect_success();
            let (amount, debt) = (common::gwei(gwei), m.debt(k));
            let to_queue = m.close(k, amount);
            let ev = &r.events_from::<Vault::Settled>(w.d.vault)[0];
            assert_eq!(
                (ev.toQueue, ev.toOwner, ev.unpaidDebt),
                (to_queue, amount - to_queue, debt - to_queue)
            );
            assert!(matches!(
                refusal(w.credit(id, &s, 0)),
                E::WithdrawalAlreadyCredited(_)
            ));
        }
        Op::LateCredit(k, gwei) => {
            let Some(&id) = m.positions.get(&k) else {
                return;
            };
            let s = arrive(w, m, VALIDATORS[k], gwei);
            let r = w.credit(id, &s, 0);
            if !m.closed.contains(&k) {
                assert!(matches!(refusal(r), E::InvalidPositionStatus(_)));
                // The ETH arrived all the same: the sweep that closes the position takes it.
                w.settle(id, &s, 0).expect_success();
                m.close(k, common::gwei(gwei));
                return;
            }
            let r = r.expect_success();
            let to_backing = m.credit_closed(k, common::gwei(gwei));
            let ev = &r.events_from::<Vault::WithdrawalCredited>(w.d.vault)[0];
            assert_eq!((ev.positionId, ev.toBacking), (id, to_backing));
        }
        Op::Unattributed(gwei) => {
            let s = arrive(w, m, STRANGER, gwei);
            let buffer = w.buffer();
            let keeper = w.keeper;
            let call = Vault::creditUnattributedWithdrawalCall {
                validatorIndex: STRANGER,
                validatorTimestamp: s.timestamp,
                validatorProof: s.validator_proof.clone().into(),
                withdrawalTimestamp: s.timestamp,
                withdrawalProof: s.withdrawal_proofs[0].clone().into(),
            };
            w.send(keeper, &call).expect_success();
            assert_eq!(w.buffer() - buffer, common::gwei(gwei));
        }
        Op::MovePosition(k, u, v) => {
            let Some(&id) = m.positions.get(&k) else {
                return;
            };
            let holder = m.holder[&k];
            let call = Positions::transferFromCall {
                from: users[holder],
                to: users[v],
                id,
            };
            let positions = w.d.positions;
            let r =
                w.d.chain
                    .send(users[u], positions, &call, U256::ZERO)
                    .unwrap();
            if u != holder {
                // Nobody approved anyone: the token cannot be taken.
                assert!(!r.is_success());
                assert!(matches!(
                    r.revert_error::<Positions::PositionsErrors>(),
                    Some(Positions::PositionsErrors::NotAuthorized(_))
                ));
                return;
            }
            r.expect_success();
            m.holder.insert(k, v);
        }
        Op::ClaimResidual(k, u) => {
            let Some(&id) = m.positions.get(&k) else {
                return;
            };
            let u = u.unwrap_or(m.holder[&k]);
            let owed = m.residual.get(&k).copied().unwrap_or_default();
            let before = w.d.chain.balance(users[u]);
            let r = w.claim_residual(users[u], id, Address::ZERO);
            if u != m.holder[&k] {
                assert!(matches!(refusal(r), E::NotPositionOwner(_)));
                return;
            }
            if owed.is_zero() {
                assert!(matches!(refusal(r), E::NoResidual(_)));
                return;
            }
            r.expect_success();
            // The harness's gas price is zero: the balance moves by the payment alone.
            assert_eq!(w.d.chain.balance(users[u]) - before, owed);
            m.residual.insert(k, U256::ZERO);
        }
    }
}

fn check(w: &VaultTest, m: &Model, users: &[Address; 3]) {
    // No ETH stuck or missing: fees pass through, refunds go back.
    w.assert_eth_accounted(U256::ZERO);
    // Outstanding sETH: the supply plus the open requests' sETH, burned when requested.
    let (done, _) = last_ids(w);
    let open: U256 = m.requests.range(done + 1..).map(|(_, (_, a))| *a).sum();
    let supply = w.outstanding();
    assert_eq!(supply, w.seth_supply() + open);
    let debt = w.total_debt();
    let shortfall = w.shortfall();
    assert_eq!(
        debt,
        m.sum_debt(m.live()),
        "live debt: the unsettled positions'"
    );
    assert_eq!(shortfall, m.shortfall.values().copied().sum::<U256>());
    // sETH never exceeds what backs it before losses: provisional ones (the shortfall) and
    // realised ones (debt a settlement did not repay) are then exactly the gap.
    let realised: U256 = m.unpaid.values().copied().sum();
    assert!(
        supply <= w.buffer() + debt + realised,
        "supply {supply} > buffer + debt + realised losses"
    );
    if shortfall.is_zero() && realised.is_zero() {
        assert!(
            supply <= w.backing(),
            "supply {supply} > backing {}",
            w.backing()
        );
    }
    assert_eq!(w.backing(), (w.buffer() + debt).saturating_sub(shortfall));
    for (k, id) in &m.positions {
        let pos = w.position(*id);
        assert_eq!(
            U256::from(pos.rewardGwei) * common::gwei(1),
            m.rewarded.get(k).copied().unwrap_or_default()
        );
        assert_eq!(pos.penaltyPending, m.pending_slashing.contains(k));
        assert_eq!(pos.exitRequested, m.exit_requested.contains(k));
        // Residuals and realised losses to the wei; the claim belongs to the token's holder.
        let residual = m.residual.get(k).copied().unwrap_or_default();
        assert_eq!(w.residual(*id), residual);
        if m.closed.contains(k) {
            assert_eq!(pos.status, 3, "Closed");
            assert_eq!(w.debt_of(*id), m.unpaid[k]);
        }
        let owner =
            w.d.chain
                .view(w.d.positions, &Positions::ownerOfCall { id: *id })
                .unwrap();
        assert_eq!(owner, users[m.holder[k]]);
    }
    // Exiting debt is exactly the debts of the positions asked to exit or proven exiting.
    assert_eq!(
        w.exiting(),
        m.sum_debt(m.exit_requested.iter()) + m.sum_debt(m.exiting.iter())
    );
    assert_eq!(w.slashings_pending() as usize, m.pending_slashing.len());
    assert_eq!(w.cursor(), U256::from(m.cursor.max(1)));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]
    #[test]
    fn random_sequences_keep_the_vault_solvent_fcfs_and_rewards_single(
        ops in prop::collection::vec(op(), 20..=60)
    ) {
        let mut w = VaultTest::new();
        let users = [w.d.chain.account("alice"), w.d.chain.account("bob"), w.keeper];
        let mut m = Model::default();
        for op in &ops {
            step(&mut w, &mut m, &users, op);
            check(&w, &m, &users);
        }
    }
}

// ---- the wind-down ----------------------------------------------------------------------------

#[derive(Debug, Clone)]
enum WindOp {
    /// ETH arrives without a proof (a validator's withdrawal, or a donation), in gwei.
    Arrive(u64),
    Sweep,
    /// User `u` redeems `pct` % of its sETH into a wind-down request.
    Redeem(usize, u64),
    /// The owner of a request (picked among the wind-down's) claims what it has earned.
    ClaimRedemption(u64),
    /// The request finalized before the wind-down is claimed (it keeps its reserve).
    ClaimFinalized,
    /// Position `k` is unwound (an exit without proof; a re-send is refused until the wait).
    Unwind(usize),
    /// Position `k`'s holder claims its share of the owners' pool.
    ClaimShare(usize),
    /// Days pass: what arrives late is shared as what arrived early.
    Warp(u64),
}

fn wind_op() -> impl Strategy<Value = WindOp> {
    prop_oneof![
        4 => (1..40_000_000_000u64).prop_map(WindOp::Arrive),
        3 => Just(WindOp::Sweep),
        2 => (0..3usize, 1..=100u64).prop_map(|(u, p)| WindOp::Redeem(u, p)),
        3 => any::<u64>().prop_map(WindOp::ClaimRedemption),
        1 => Just(WindOp::ClaimFinalized),
        2 => (0..3usize).prop_map(WindOp::Unwind),
        2 => (0..3usize).prop_map(WindOp::ClaimShare),
        1 => (1..90u64).prop_map(WindOp::Warp),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]
    /// Whatever arrives, whenever, in whatever order the calls come: every sETH outstanding at
    /// the start (open requests included) is paid its pro-rata share of what became free, up to
    /// par, never more; the owners get nothing until par and only what is above it; the ETH is
    /// always exactly what the vault books.
    #[test]
    fn random_wind_downs_pay_every_seth_pro_rata_whenever_the_eth_arrives(
        balances in prop::array::uniform3(32_000_000_000..34_000_000_000u64),
        before in 0..=100u64,
        donation in 0..5_000u64,
        ops in prop::collection::vec(wind_op(), 10..=40)
    ) {
        let mut w = VaultTest::devnet(3);
        let users = [w.d.chain.account("alice"), w.d.chain.account("bob"), w.d.chain.account("carol")];
        for (k, &b) in balances.iter().enumerate() {
            w.d.state.balances[k] = lsv_consensus::Gwei::new(b);
            w.join(k as u64, users[k]).expect_success();
        }
        // One request finalized before the wind-down (kept in reserve), one left open.
        w.donate(users[2], ether(5));
        w.redeem(users[0], ether(2)).expect_success();
        w.finalize(1).expect_success();
        let open = ether(29) * U256::from(before) / U256::from(100);
        let mut tickets: BTreeMap<u64, (Address, U256)> = BTreeMap::new();
        if open >= min_redeem() {
            let id: U256 = w.redeem(users[0], open).expect_success()
                .decode_return::<Vault::requestRedeemCall>().unwrap();
            tickets.insert(id.to(), (users[0], open));
        }
        w.donate(users[1], milli(donation));

        w.d.state.fork.current_version = lsv_consensus::Version([0x99, 0, 0, 0]);
        w.open_wind_down();
        let outstanding = w.outstanding();
        let buffer = w.buffer();
        let keeper = w.keeper;
        w.wind_down_exit(keeper, 0, 1).expect_success();
        let seth: U256 = U256::from(w.view(&Vault::windDownSethCall {}));
        prop_assert_eq!(seth, outstanding);
        let mut unwound = BTreeSet::from([0usize]);
        let mut freed = buffer; // the buffer at the start, then every arrival
        let mut unswept = U256::ZERO; // arrived since the last sweep: not booked yet
        let mut swept = U256::ZERO; // `freed` when the last sweep ran
        let mut paid: BTreeMap<u64, U256> = BTreeMap::new();
        let mut finalized_claimed = false;

        let run = |w: &mut VaultTest, op: &WindOp, tickets: &mut BTreeMap<u64, (Address, U256)>,
                   paid: &mut BTreeMap<u64, U256>, unwound: &mut BTreeSet<usize>,
                   freed: &mut U256, unswept: &mut U256, swept: &mut U256, finalized_claimed: &mut bool| {
            match *op {
                WindOp::Arrive(gwei) => {
                    let vault = w.d.vault;
                    w.d.chain.credit_withdrawal(vault, gwei);
                    *freed += common::gwei(gwei);
                    *unswept += common::gwei(gwei);
                }
                WindOp::Sweep => {
                    let booked: U256 = U256::from(w.view(&Vault::windDownSethBookedCall {}));
                    let r = w.sweep_wind_down();
                    if r.is_success() {
                        *unswept = U256::ZERO;
                    } else {
                        assert!(matches!(refusal(r), E::NothingToSweep(_)));
                    }
                    *swept = *freed;
                    let now: U256 = U256::from(w.view(&Vault::windDownSethBookedCall {}));
                    assert!(now >= booked);
                }
                WindOp::Redeem(u, pct) => {
                    let amount = w.seth_balance(users[u]) * U256::from(pct) / U256::from(100);
                    if amount < min_redeem() {
                        return;
                    }
                    let id: U256 = w.redeem(users[u], amount).expect_success()
                        .decode_return::<Vault::requestRedeemCall>().unwrap();
                    tickets.insert(id.to(), (users[u], amount));
                }
                WindOp::ClaimRedemption(pick) => {
                    if tickets.is_empty() {
                        return;
                    }
                    let ids: Vec<u64> = tickets.keys().copied().collect();
                    let id = ids[(pick % ids.len() as u64) as usize];
                    let (owner, amount) = tickets[&id];
                    let booked: U256 = U256::from(w.view(&Vault::windDownSethBookedCall {}));
                    let entitled = amount * booked / seth;
                    let due = entitled - paid.get(&id).copied().unwrap_or_default();
                    assert_eq!(w.wind_down_redemption(id), due);
                    let before = w.d.chain.balance(owner);
                    let r = w.claim_wind_down_redemption(owner, id);
                    if due.is_zero() {
                        assert!(matches!(refusal(r), E::NoWindDownRedemption(_)));
                        return;
                    }
                    r.expect_success();
                    assert_eq!(w.d.chain.balance(owner) - before, due);
                    paid.insert(id, entitled);
                }
                WindOp::ClaimFinalized => {
                    let r = w.claim(1, 1);
                    if *finalized_claimed {
                        assert!(matches!(refusal(r), E::AlreadyClaimed(_)));
                    } else {
                        r.expect_success();
                        *finalized_claimed = true;
                    }
                }
                WindOp::Unwind(k) => {
                    let keeper = w.keeper;
                    let r = w.wind_down_exit(keeper, k as u64, 1);
                    if unwound.insert(k) {
                        r.expect_success();
                    } else {
                        // A re-send: refused inside the wait, sent after it.
                        if !r.is_success() {
                            assert!(matches!(refusal(r), E::ExitRequestTooSoon(_)));
                        }
                    }
                }
                WindOp::ClaimShare(k) => {
                    let owed = w.wind_down_share(U256::from(k + 1));
                    let r = w.claim_wind_down_share(users[k], U256::from(k + 1));
                    if owed.is_zero() {
                        assert!(matches!(refusal(r), E::NoWindDownShare(_)));
                    } else {
                        r.expect_success();
                    }
                }
                WindOp::Warp(days) => {
                    let t = w.d.chain.timestamp() + days * 24 * 3600;
                    w.warp_to(t);
                }
            }
        };
        let check_pool = |w: &VaultTest, swept: U256, unswept: U256| {
            w.assert_eth_accounted(unswept);
            let booked: U256 = U256::from(w.view(&Vault::windDownSethBookedCall {}));
            // What was swept went to the sETH first, up to par; the owners only above it.
            assert_eq!(booked, swept.min(seth));
            let per_weight: U256 = w.view(&Vault::ownerPoolPerWeightCall {});
            if booked < seth {
                assert!(per_weight.is_zero(), "owners paid before par");
            }
        };
        for op in &ops {
            run(&mut w, op, &mut tickets, &mut paid, &mut unwound, &mut freed, &mut unswept, &mut swept, &mut finalized_claimed);
            check_pool(&w, swept, unswept);
        }
        // Everything is unwound, whatever is left arrives and is swept, everyone claims: each
        // request is paid exactly its share, at par if enough arrived.
        for k in 0..3 {
            run(&mut w, &WindOp::Unwind(k), &mut tickets, &mut paid, &mut unwound, &mut freed, &mut unswept, &mut swept, &mut finalized_claimed);
        }
        run(&mut w, &WindOp::Sweep, &mut tickets, &mut paid, &mut unwound, &mut freed, &mut unswept, &mut swept, &mut finalized_claimed);
        check_pool(&w, swept, unswept);
        for u in 0..3 {
            run(&mut w, &WindOp::Redeem(u, 100), &mut tickets, &mut paid, &mut unwound, &mut freed, &mut unswept, &mut swept, &mut finalized_claimed);
        }
        // A holder left with less than MIN_REDEEM cannot ask for it (the queue's floor holds
        // in a wind-down too): that dust is the only sETH of the start not in a request.
        let mut dust = U256::ZERO;
        for user in users {
            let left = w.seth_balance(user);
            prop_assert!(left < min_redeem(), "{} sETH left unredeemed", left);
            dust += left;
        }
        prop_assert_eq!(w.seth_supply(), dust);
        let total: U256 = tickets.values().map(|(_, a)| *a).sum();
        prop_assert_eq!(total + dust, seth, "the requests hold every sETH of the start but dust");
        let booked: U256 = U256::from(w.view(&Vault::windDownSethBookedCall {}));
        for (&id, &(owner, amount)) in &tickets {
            let before = w.d.chain.balance(owner);
            let due = w.wind_down_redemption(id);
            if !due.is_zero() {
                w.claim_wind_down_redemption(owner, id).expect_success();
            }
            let got = paid.get(&id).copied().unwrap_or_default() + (w.d.chain.balance(owner) - before);
            prop_assert_eq!(got, amount * booked / seth, "request {} paid its share", id);
        }
        if freed >= seth {
            prop_assert_eq!(booked, seth, "par once enough arrived");
        }
        w.assert_eth_accounted(U256::ZERO);
    }
}
