//! Three hundred epochs of a devnet with validators in P, checked against the consensus spec's
//! own rules as they happen:
//!
//! - at every epoch boundary, every validator's balance moves by exactly what the spec's
//!   rewards, penalties, inactivity penalties, correlation penalties and sync committee
//!   rewards give it (but the proposer's and the swept ones') (written out
//!   here from `specs/altair/beacon-chain.md` and `specs/electra/beacon-chain.md`, independently
//!   of the devnet's code), and every inactivity score by `process_inactivity_updates`;
//! - a few validators offline (below a third): finality goes on, they lose what they should;
//! - a third offline: finality stops, the leak drains them, and ends when they come back;
//! - a double vote: slashed in the next block at `effective_balance / 4096`, its correlation
//!   penalty at the half-way epoch; a P validator asked to double-vote is refused by P;
//! - P's keys made in P, deposited through the deposit contract on anvil (EIP-6110), active,
//!   signing every duty through P;
//! - an EIP-7002 exit of one of them, whose credentials are C's (`0x02 ‖ vault`), sent from C's
//!   address: exit and withdrawable epochs as the spec sets them, the sweep credited to C on
//!   anvil, and a proof of the validator made by the keeper through the devnet's beacon API
//!   and verified by C's proof verifier against the EIP-4788 root anvil holds.
//!
//! The exit request is sent as C through `anvil_impersonateAccount`: this story is about the
//! consensus layer's handling of it; the vault's own rules for sending one are the revm
//! harness's tests (`crates/contracts`).

#![allow(unused_crate_dependencies)]

use alloy_primitives::{Address, Bytes, U256};
use alloy_sol_types::SolCall;
use lsv_consensus::containers::DepositData;
use lsv_consensus::{Minimal, Network, PublicKeyBytes};
use lsv_contracts::bindings::{ProofVerifier, Vault};
use lsv_devnet::devnet::{Devnet, DevnetOptions, Genesis};
use lsv_devnet::p::RunningP;
use lsv_devnet::remote::{genesis_time_for, RemoteSigner, Signers};
use lsv_devnet::signer::LocalKeys;
use lsv_devnet::spec::{BeaconState, Config};
use lsv_keeper::prove::{self, VerifierConfig};
use lsv_keeper::{BeaconClient, BlockId};
use lsv_proofs::ProofParts;
use serde_json::json;
use std::collections::{BTreeSet, HashMap, HashSet};
use std::time::Instant;

type P = Minimal;
const LOOPBACK: std::net::SocketAddr =
    std::net::SocketAddr::new(std::net::IpAddr::V4(std::net::Ipv4Addr::LOCALHOST), 0);
type TheDevnet = Devnet<P, Signers<LocalKeys>>;

const LOCAL: u64 = 64;
const P_KEYS: usize = 4;
const EPOCHS: u64 = 300;
const SLOTS_PER_EPOCH: u64 = 8;
const LAST_SLOT: u64 = EPOCHS * SLOTS_PER_EPOCH;
const OWNER: Address = Address::repeat_byte(0x0e);
const GWEI: u64 = 1_000_000_000;

// The spec's constants, as the rules below use them.
/// `EFFECTIVE_BALANCE_INCREMENT` (phase0 preset).
const INCREMENT: u64 = 1_000_000_000;
/// `BASE_REWARD_FACTOR` (phase0 preset).
const BASE_REWARD_FACTOR: u64 = 64;
/// `TIMELY_SOURCE_WEIGHT`, `TIMELY_TARGET_WEIGHT`, `TIMELY_HEAD_WEIGHT`, `WEIGHT_DENOMINATOR`
/// (altair beacon-chain.md, "Incentivization weights").
const WEIGHTS: [u64; 3] = [14, 26, 14];
const WEIGHT_DENOMINATOR: u64 = 64;
const TIMELY_TARGET: usize = 1;
/// `SYNC_REWARD_WEIGHT` (altair), `SYNC_COMMITTEE_SIZE` (minimal preset).
const SYNC_REWARD_WEIGHT: u64 = 2;
const SYNC_COMMITTEE_SIZE: u64 = 32;
const TIMELY_HEAD: usize = 2;
/// `INACTIVITY_SCORE_BIAS`, `INACTIVITY_SCORE_RECOVERY_RATE` (altair config).
const BIAS: u64 = 4;
const RECOVERY: u64 = 16;
/// `INACTIVITY_PENALTY_QUOTIENT_BELLATRIX`, `MIN_EPOCHS_TO_INACTIVITY_PENALTY`.
const INACTIVITY_PENALTY_QUOTIENT: u64 = 1 << 24;
const MIN_EPOCHS_TO_INACTIVITY_PENALTY: u64 = 4;
/// `EPOCHS_PER_SLASHINGS_VECTOR` (minimal preset), `PROPORTIONAL_SLASHING_MULTIPLIER_BELLATRIX`,
/// `MIN_SLASHING_PENALTY_QUOTIENT_ELECTRA`.
const EPOCHS_PER_SLASHINGS_VECTOR: u64 = 64;
const PROPORTIONAL_SLASHING_MULTIPLIER: u64 = 3;
const MIN_SLASHING_PENALTY_QUOTIENT: u64 = 4096;
const FAR_FUTURE_EPOCH: u64 = u64::MAX;

// The story.
const DOUBLE_VOTE_EPOCH: u64 = 10;
const FEW_OFFLINE: std::ops::Range<u64> = 20..40;
const P_DOUBLE_VOTE_EPOCH: u64 = 30;
const EXIT_EPOCH: u64 = 40;
const LEAK: std::ops::Range<u64> = 60..80;

fn isqrt(n: u64) -> u64 {
    let mut x = (n as f64).sqrt() as u64;
    while x * x > n {
        x -= 1;
    }
    while (x + 1) * (x + 1) <= n {
        x += 1;
    }
    x
}

fn is_active(v: &lsv_consensus::containers::Validator, epoch: u64) -> bool {
    v.activation_epoch.as_u64() <= epoch && epoch < v.exit_epoch.as_u64()
}

/// What the epoch transition at the end of `pre`'s epoch does to validator `i`'s balance and
/// inactivity score, by the spec's rules (`process_inactivity_updates`,
/// `process_rewards_and_penalties`, `process_slashings`), given the finality the transition
/// reached (`finalized_epoch`, from the state after it).
struct EpochRules {
    current: u64,
    previous: u64,
    leak: bool,
    total_active: u64,
    base_reward_per_increment: u64,
    participating_increments: [u64; 3],
    adjusted_slashings: u64,
}

impl EpochRules {
    fn new(pre: &BeaconState<P>, finalized_epoch: u64) -> Self {
        let current = pre.slot.as_u64() / SLOTS_PER_EPOCH;
        let previous = current.saturating_sub(1);
        let total_active = pre
            .validators
            .iter()
            .filter(|v| is_active(v, current))
            .map(|v| v.effective_balance.as_u64())
            .sum::<u64>()
            .max(INCREMENT);
        let mut participating_increments = [0; 3];
        for (flag, out) in participating_increments.iter_mut().enumerate() {
            let balance: u64 = pre
                .validators
                .iter()
                .zip(pre.previous_epoch_participation.iter())
                .filter(|(v, f)| !v.slashed && is_active(v, previous) && **f & (1 << flag) != 0)
                .map(|(v, _)| v.effective_balance.as_u64())
                .sum();
            *out = balance.max(INCREMENT) / INCREMENT;
        }
        let slashings: u64 = pre.slashings.iter().map(|g| g.as_u64()).sum();
        Self {
            current,
            previous,
            leak: previous.saturating_sub(finalized_epoch) > MIN_EPOCHS_TO_INACTIVITY_PENALTY,
            total_active,
            base_reward_per_increment: INCREMENT * BASE_REWARD_FACTOR / isqrt(total_active),
            participating_increments,
            adjusted_slashings: (slashings * PROPORTIONAL_SLASHING_MULTIPLIER).min(total_active),
        }
    }

    fn eligible(&self, v: &lsv_consensus::containers::Validator) -> bool {
        is_active(v, self.previous)
            || (v.slashed && self.previous + 1 < v.withdrawable_epoch.as_u64())
    }

    /// The inactivity score after the transition.
    fn score(&self, pre: &BeaconState<P>, i: usize) -> u64 {
        let v = &pre.validators[i];
        let mut score = pre.inactivity_scores[i];
        if self.current == 0 || !self.eligible(v) {
            return score;
        }
        let target = !v.slashed && pre.previous_epoch_participation[i] & (1 << TIMELY_TARGET) != 0;
        if target {
            score -= score.min(1);
        } else {
            score += BIAS;
        }
        if !self.leak {
            score -= score.min(RECOVERY);
        }
        score
    }

    /// The balance change, as (rewards, penalties, of which the correlation penalty).
    fn delta(&self, pre: &BeaconState<P>, i: usize, score_after: u64) -> (u64, u64, u64) {
        let v = &pre.validators[i];
        let (mut rewards, mut penalties) = (0, 0);
        if self.current > 0 && self.eligible(v) {
            let effective = v.effective_balance.as_u64();
            let base_reward = effective / INCREMENT * self.base_reward_per_increment;
            let active_increments = self.total_active / INCREMENT;
            let flags = pre.previous_epoch_participation[i];
            for (flag, weight) in WEIGHTS.iter().enumerate() {
                let participated =
                    !v.slashed && is_active(v, self.previous) && flags & (1 << flag) != 0;
                if participated {
                    if !self.leak {
                        rewards += base_reward * weight * self.participating_increments[flag]
                            / (active_increments * WEIGHT_DENOMINATOR);
                    }
                } else if flag != TIMELY_HEAD {
                    penalties += base_reward * weight / WEIGHT_DENOMINATOR;
                }
            }
            let target =
                !v.slashed && is_active(v, self.previous) && flags & (1 << TIMELY_TARGET) != 0;
            if !target {
                penalties += effective * score_after / (BIAS * INACTIVITY_PENALTY_QUOTIENT);
            }
        }
        let mut correlation = 0;
        if v.slashed
            && self.current + EPOCHS_PER_SLASHINGS_VECTOR / 2 == v.withdrawable_epoch.as_u64()
        {
            let per_increment = self.adjusted_slashings / (self.total_active / INCREMENT);
            correlation = per_increment * (v.effective_balance.as_u64() / INCREMENT);
        }
        (rewards, penalties + correlation, correlation)
    }
}

/// What the story saw, for the assertions at the end.
#[derive(Default, Debug)]
struct Seen {
    p_indices: Vec<u64>,
    double_voter: Option<u64>,
    slashed_at_slot: Option<u64>,
    correlation_penalty: u64,
    exit_request_slot: Option<u64>,
    swept: Option<(u64, u64)>,
    checked_balances: u64,
    offline_losses: u64,
    finality_during_leak: BTreeSet<u64>,
    leak_epochs: BTreeSet<u64>,
    p_refusals: Vec<String>,
}

fn sync_members(state: &BeaconState<P>) -> HashSet<PublicKeyBytes> {
    state
        .current_sync_committee
        .pubkeys
        .iter()
        .chain(state.next_sync_committee.pubkeys.iter())
        .copied()
        .collect()
}

/// Checks the epoch boundary at `slot` (the first slot of an epoch) against [`EpochRules`].
fn check_epoch_boundary(devnet: &TheDevnet, slot: u64, seen: &mut Seen) {
    let store = devnet.store();
    let store = store.read();
    let (_, pre) = store.state_at(slot - 1).expect("the previous slot's state");
    let (_, post) = store.state_at(slot).expect("this slot's state");
    let rules = EpochRules::new(&pre, post.finalized_checkpoint.epoch.as_u64());
    if rules.leak {
        seen.leak_epochs.insert(rules.current);
    }
    let block = store.block_at(slot).map(|b| b.block.clone());
    let mut skip: HashSet<usize> = HashSet::new();
    // The block's sync aggregate pays or charges the committee's members per position
    // (`process_sync_aggregate`, altair), on the state after the transition.
    let mut sync_delta: HashMap<PublicKeyBytes, i64> = HashMap::new();
    if let Some(block) = &block {
        let total_increments = post
            .validators
            .iter()
            .filter(|v| is_active(v, rules.current + 1))
            .map(|v| v.effective_balance.as_u64())
            .sum::<u64>()
            .max(INCREMENT)
            / INCREMENT;
        let per_increment = INCREMENT * BASE_REWARD_FACTOR / isqrt(total_increments * INCREMENT);
        let max_participant_rewards = per_increment * total_increments * SYNC_REWARD_WEIGHT
            / WEIGHT_DENOMINATOR
            / SLOTS_PER_EPOCH;
        let participant_reward = (max_participant_rewards / SYNC_COMMITTEE_SIZE) as i64;
        let bits = &block.message.body.sync_aggregate.sync_committee_bits;
        for (j, key) in post.current_sync_committee.pubkeys.iter().enumerate() {
            let sign = if bits.get(j).unwrap_or(false) { 1 } else { -1 };
            *sync_delta.entry(*key).or_default() += sign * participant_reward;
        }
    }
    if let Some(block) = &block {
        skip.insert(block.message.proposer_index as usize);
        for w in block.message.body.execution_payload.withdrawals.iter() {
            skip.insert(w.validator_index as usize);
        }
    }
    for (i, v) in pre.validators.iter().enumerate() {
        let score = rules.score(&pre, i);
        assert_eq!(
            post.inactivity_scores[i], score,
            "slot {slot}: validator {i}'s inactivity score"
        );
        if skip.contains(&i) || v.slashed != post.validators[i].slashed {
            continue;
        }
        let (rewards, penalties, correlation) = rules.delta(&pre, i, score);
        let before = pre.balances[i].as_u64();
        let expected = (before + rewards).saturating_sub(penalties);
        let expected = expected
            .checked_add_signed(sync_delta.get(&v.pubkey).copied().unwrap_or(0))
            .expect("far from zero");
        assert_eq!(
            post.balances[i].as_u64(),
            expected,
            "slot {slot}: validator {i}'s balance (rewards {rewards}, penalties {penalties}, \
             leak {})",
            rules.leak
        );
        seen.checked_balances += 1;
        if correlation > 0 {
            seen.correlation_penalty += correlation;
        }
        if rewards == 0 && penalties > 0 && !v.slashed {
            seen.offline_losses += 1;
        }
    }
}

/// A local validator outside both sync committees and the offline sets, so that its balance is
/// checked exactly every epoch.
fn pick_double_voter(state: &BeaconState<P>) -> u64 {
    let members = sync_members(state);
    (0..LOCAL)
        .rev()
        .find(|&i| {
            !members.contains(&state.validators[i as usize].pubkey)
                && !LEAK_OFFLINE.contains(&i)
                && !FEW.contains(&i)
        })
        .expect("a validator outside the sync committees")
}

/// The validators offline a few at a time, and a third of them for the leak.
const FEW: std::ops::Range<u64> = 40..46;
const LEAK_OFFLINE: std::ops::Range<u64> = 10..34;

fn eth(n: u64) -> U256 {
    U256::from(n) * U256::from(10u64).pow(U256::from(18u64))
}

#[test]
fn three_hundred_epochs_with_validators_in_p_follow_the_specs_rules() {
    let started = Instant::now();
    let config = Config::devnet(31_337);
    let options = DevnetOptions::new(LOCAL, genesis_time_for(&config, LAST_SLOT + 1));
    let mut genesis = Genesis::<P>::create(&options).expect("a devnet genesis");
    let contracts = genesis.contracts;

    // P, pinned to the devnet, bound to C; its keys.
    let dir = tempfile::tempdir().expect("a temporary directory");
    let config_path = dir.path().join("config.yaml");
    std::fs::write(&config_path, genesis.network_config_yaml().unwrap()).unwrap();
    let network = Network::from_config_file(&config_path).unwrap();
    let p = RunningP::start(
        &dir.path().join("p"),
        &config_path,
        contracts.vault,
        LOOPBACK,
    )
    .expect("P starts");
    let remote =
        RemoteSigner::connect(&p.url, &genesis.spec, &genesis.state).expect("P is the devnet's");
    let deposits = remote.generate_keys(OWNER, P_KEYS).expect("P makes keys");
    let p_keys: HashSet<PublicKeyBytes> = deposits.iter().map(|d| d.pubkey).collect();
    let local = std::mem::take(&mut genesis.keys);
    let mut devnet = genesis.launch(Signers::new(local, remote));
    // Each next slot prepared while the current one's validators work, as `lsv devnet` replays
    // its history (`Node::prepare_next`): the story's every rule holds with it too, through P's
    // refusals, the offline switches, the exit sent between slots and the sweep.
    devnet.node.prepare_next = true;
    let api = devnet
        .serve_api("127.0.0.1:0".parse().unwrap())
        .expect("the beacon API");
    for d in &deposits {
        assert_eq!(d.withdrawal_credentials, contracts.credentials());
        let data = DepositData {
            pubkey: d.pubkey,
            withdrawal_credentials: d.withdrawal_credentials,
            amount: d.amount,
            signature: d.signature,
        };
        devnet.deposit(devnet.funder, &data).expect("a deposit");
    }
    let mut seen = Seen::default();

    for slot in 1..=LAST_SLOT {
        let epoch = slot / SLOTS_PER_EPOCH;
        let first = slot % SLOTS_PER_EPOCH == 0;
        // The switches, at the first slot of their epochs.
        if first {
            let offline = &mut devnet.node.offline;
            if epoch == FEW_OFFLINE.start {
                offline.extend(FEW);
            }
            if epoch == FEW_OFFLINE.end {
                FEW.for_each(|i| {
                    offline.remove(&i);
                });
            }
            if epoch == LEAK.start {
                offline.extend(LEAK_OFFLINE);
            }
            if epoch == LEAK.end {
                LEAK_OFFLINE.for_each(|i| {
                    offline.remove(&i);
                });
            }
            if epoch == DOUBLE_VOTE_EPOCH {
                let v = pick_double_voter(devnet.node.head_state());
                seen.double_voter = Some(v);
                devnet.node.double_voters.insert(v);
            }
            if epoch == P_DOUBLE_VOTE_EPOCH {
                devnet.node.double_voters.insert(seen.p_indices[1]);
            }
            if epoch == EXIT_EPOCH {
                assert_eq!(
                    vault_timing(&devnet, contracts.vault),
                    (6, SLOTS_PER_EPOCH, 16),
                    "C is deployed with the devnet's timing"
                );
                send_exit_as_c(&devnet, &contracts, &deposits[0].pubkey);
            }
        }
        let report = devnet.node.run_slot(slot).expect("a slot");
        for (v, why) in &report.refused {
            assert!(
                seen.p_indices.contains(v) && epoch >= P_DOUBLE_VOTE_EPOCH,
                "slot {slot}: validator {v} refused: {why}"
            );
            seen.p_refusals.push(why.clone());
        }
        let state = devnet.node.head_state();
        if seen.p_indices.len() < P_KEYS {
            seen.p_indices = (0..state.validators.len() as u64)
                .filter(|&i| p_keys.contains(&state.validators[i as usize].pubkey))
                .collect();
        }
        if first && slot >= 2 * SLOTS_PER_EPOCH {
            check_epoch_boundary(&devnet, slot, &mut seen);
        }
        if let Some(v) = seen.double_voter {
            if seen.slashed_at_slot.is_none() && state.validators[v as usize].slashed {
                check_slashing(&devnet, slot, v);
                seen.slashed_at_slot = Some(slot);
            }
        }
        if let Some(block) = devnet.node.block_at(slot) {
            let body = &block.block.message.body;
            if body.execution_requests.withdrawals.iter().any(|r| {
                r.source_address == contracts.vault && r.validator_pubkey == deposits[0].pubkey
            }) {
                seen.exit_request_slot = Some(slot);
            }
            for w in body.execution_payload.withdrawals.iter() {
                if w.address == contracts.vault {
                    assert_eq!(w.validator_index, seen.p_indices[0], "only P0 leaves");
                    seen.swept = Some((slot, w.amount.as_u64()));
                    check_sweep(&devnet, slot, w.amount.as_u64(), contracts.vault);
                }
            }
        }
        if LEAK.contains(&epoch) && epoch > LEAK.start + 2 {
            seen.finality_during_leak
                .insert(state.finalized_checkpoint.epoch.as_u64());
        }
    }
    let elapsed = started.elapsed();
    let state = devnet.node.head_state();
    eprintln!(
        "{EPOCHS} epochs in {elapsed:?}; {} balance changes checked; {:?}",
        seen.checked_balances, seen
    );

    // P's validators joined by deposit, signed through P, and P refused only the double vote.
    assert_eq!(seen.p_indices.len(), P_KEYS);
    assert_eq!(seen.p_indices[0], LOCAL);
    for &i in &seen.p_indices[1..] {
        let v = &state.validators[i as usize];
        assert!(is_active(v, EPOCHS - 1) && !v.slashed, "P validator {i}");
        assert!(state.balances[i as usize].as_u64() > 32 * GWEI);
    }
    assert!(!seen.p_refusals.is_empty(), "P refused the double vote");
    assert!(seen.p_refusals.iter().all(|r| r.contains("412")));
    for kind in ["BLOCK_V2", "ATTESTATION", "SYNC_COMMITTEE_MESSAGE"] {
        assert!(p.count(kind, "signed") > 0, "P signed no {kind}");
    }

    // Offline validators lost, and the checks covered them.
    assert!(seen.offline_losses > 0);
    assert!(seen.checked_balances > 55 * (EPOCHS - 2));

    // The leak: finality stopped while a third was offline, then came back, and scores healed.
    assert_eq!(
        seen.finality_during_leak.len(),
        1,
        "finality stood still in the leak: {:?}",
        seen.finality_during_leak
    );
    assert!(seen.leak_epochs.iter().any(|e| LEAK.contains(e)));
    assert!(seen.leak_epochs.iter().all(|e| *e < LEAK.end + 6));
    assert!(state.finalized_checkpoint.epoch.as_u64() >= EPOCHS - 3);
    assert!(LEAK_OFFLINE
        .clone()
        .all(|i| state.inactivity_scores[i as usize] == 0));

    // The double vote: slashed, with its correlation penalty.
    let d = seen.double_voter.expect("a double voter") as usize;
    assert!(state.validators[d].slashed);
    assert!(seen.slashed_at_slot.is_some());
    assert!(
        seen.correlation_penalty > 0,
        "the correlation penalty was applied"
    );

    // The exit: requested by C, processed by the spec's rules, swept to C.
    let p0 = seen.p_indices[0] as usize;
    let request = seen
        .exit_request_slot
        .expect("the exit request reached a block");
    let v = &state.validators[p0];
    let request_epoch = request / SLOTS_PER_EPOCH;
    assert!(
        v.exit_epoch.as_u64() >= request_epoch + 1 + 4,
        "compute_activation_exit_epoch"
    );
    assert_eq!(
        v.withdrawable_epoch.as_u64(),
        v.exit_epoch.as_u64() + config.min_validator_withdrawability_delay
    );
    let (swept_slot, amount) = seen.swept.expect("the sweep paid C");
    assert!(swept_slot / SLOTS_PER_EPOCH >= v.withdrawable_epoch.as_u64());
    assert!(amount >= 32 * GWEI);
    assert_eq!(state.balances[p0].as_u64(), 0);

    // C's proof verifier accepts the keeper's proof of P0 against anvil's EIP-4788 root.
    prove_with_c(&devnet, &network, api, &contracts, p0 as u64, v);
    drop(p);
}

/// Sends a full exit of `pubkey` to the EIP-7002 contract from C's address.
/// The vault's `SECONDS_PER_SLOT`, `SLOTS_PER_EPOCH` and `SHARD_COMMITTEE_PERIOD`.
fn vault_timing(devnet: &TheDevnet, vault: Address) -> (u64, u64, u64) {
    let view = |data: Vec<u8>| -> u64 {
        let out = devnet
            .call(
                "eth_call",
                json!([{ "to": vault, "data": Bytes::from(data) }, "latest"]),
            )
            .expect("a view");
        let bytes: Bytes = serde_json::from_value(out).expect("bytes");
        U256::from_be_slice(&bytes).to()
    };
    (
        view(Vault::SECONDS_PER_SLOTCall {}.abi_encode()),
        view(Vault::SLOTS_PER_EPOCHCall {}.abi_encode()),
        view(Vault::SHARD_COMMITTEE_PERIODCall {}.abi_encode()),
    )
}

fn send_exit_as_c(
    devnet: &TheDevnet,
    contracts: &lsv_devnet::devnet::Contracts,
    pubkey: &PublicKeyBytes,
) {
    let predeploy = alloy_eips::eip7002::WITHDRAWAL_REQUEST_PREDEPLOY_ADDRESS;
    devnet
        .call("anvil_impersonateAccount", json!([contracts.vault]))
        .unwrap();
    devnet
        .call("anvil_setBalance", json!([contracts.vault, eth(1)]))
        .unwrap();
    let fee: Bytes = devnet
        .rpc()
        .call(
            "eth_call",
            json!([{"to": predeploy, "data": "0x"}, "latest"]),
        )
        .unwrap();
    let mut data = pubkey.0.to_vec();
    data.extend_from_slice(&0u64.to_be_bytes());
    devnet
        .rpc()
        .send_transaction(json!({
            "from": contracts.vault,
            "to": predeploy,
            "data": Bytes::from(data),
            "value": U256::from_be_slice(&fee),
        }))
        .unwrap();
}

/// The slashing's immediate penalty, in the block that included it: `effective_balance /
/// MIN_SLASHING_PENALTY_QUOTIENT_ELECTRA` (`slash_validator`), and the epochs it sets.
fn check_slashing(devnet: &TheDevnet, slot: u64, v: u64) {
    let store = devnet.store();
    let store = store.read();
    let (_, before) = store.state_at(slot - 1).unwrap();
    let (_, after) = store.state_at(slot).unwrap();
    let i = v as usize;
    assert!(!before.validators[i].slashed);
    let effective = before.validators[i].effective_balance.as_u64();
    // Exact when nothing else in this slot moves its balance but the block's withdrawals (the
    // sweep may reach it in the same block, taking its balance above 32 ETH): not an epoch
    // boundary, and not a sync committee member then (the double voter is picked outside both
    // committees, but a slashing included a period later can find it in a new one: its sync
    // reward or penalty lands in the same slot).
    let in_sync_committee = before
        .current_sync_committee
        .pubkeys
        .contains(&before.validators[i].pubkey);
    if !slot.is_multiple_of(SLOTS_PER_EPOCH) && !in_sync_committee {
        let swept: u64 = devnet
            .node
            .block_at(slot)
            .map(|b| {
                b.block
                    .message
                    .body
                    .execution_payload
                    .withdrawals
                    .iter()
                    .filter(|w| w.validator_index == v)
                    .map(|w| w.amount.as_u64())
                    .sum()
            })
            .unwrap_or(0);
        assert_eq!(
            before.balances[i].as_u64() - after.balances[i].as_u64(),
            effective / MIN_SLASHING_PENALTY_QUOTIENT + swept,
            "the initial slashing penalty (and what the sweep took in the same block)"
        );
    }
    let epoch = slot / SLOTS_PER_EPOCH;
    let validator = &after.validators[i];
    assert_ne!(validator.exit_epoch.as_u64(), FAR_FUTURE_EPOCH);
    assert_eq!(
        validator.withdrawable_epoch.as_u64(),
        (validator.exit_epoch.as_u64()
            + Config::devnet(31_337).min_validator_withdrawability_delay)
            .max(epoch + EPOCHS_PER_SLASHINGS_VECTOR)
    );
}

/// The sweep's withdrawal to C in the block at `slot` raised C's balance on anvil by exactly
/// its amount.
fn check_sweep(devnet: &TheDevnet, slot: u64, amount_gwei: u64, vault: Address) {
    let block = devnet.node.block_at(slot).unwrap();
    let number = block.block.message.body.execution_payload.block_number;
    let at = |n: u64| -> U256 {
        devnet
            .rpc()
            .call("eth_getBalance", json!([vault, format!("{n:#x}")]))
            .unwrap()
    };
    assert_eq!(
        at(number) - at(number - 1),
        U256::from(amount_gwei) * U256::from(GWEI)
    );
}

/// `lsv prove validator` against the devnet's beacon API, then `verifyValidator` on C's proof
/// verifier on anvil, at the timestamp whose EIP-4788 root anchors the proof.
fn prove_with_c(
    devnet: &TheDevnet,
    network: &Network,
    api: std::net::SocketAddr,
    contracts: &lsv_devnet::devnet::Contracts,
    index: u64,
    expected: &lsv_consensus::containers::Validator,
) {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let client = BeaconClient::new(&format!("http://{api}")).unwrap();
    let chain = VerifierConfig::of_network(network);
    let anchor_slot = devnet.head_slot() - 2;
    let anchor = (anchor_slot..)
        .find(|s| devnet.node.block_at(*s).is_some())
        .unwrap();
    let out = runtime
        .block_on(async {
            let preset = prove::node_preset(&client).await?;
            prove::prove_validator_by_preset(
                &client,
                &chain,
                preset,
                BlockId::Slot(lsv_consensus::Slot::new(anchor)),
                index,
                ProofParts::ALL,
            )
            .await
        })
        .expect("the keeper's proof");
    let call = ProofVerifier::verifyValidatorCall {
        proof: Bytes::from(out.proof.bytes.clone()),
        index,
        timestamp: U256::from(out.timestamp()),
    };
    let answer: Bytes = devnet
        .rpc()
        .call(
            "eth_call",
            json!([{"to": contracts.proof_verifier, "data": Bytes::from(call.abi_encode())}, "latest"]),
        )
        .expect("C verifies the proof");
    let proven = ProofVerifier::verifyValidatorCall::abi_decode_returns(&answer).unwrap();
    assert_eq!(proven.withdrawalCredentials, contracts.credentials());
    assert_eq!(proven.exitEpoch, expected.exit_epoch.as_u64());
    assert_eq!(
        proven.withdrawableEpoch,
        expected.withdrawable_epoch.as_u64()
    );
    assert!(proven.hasBalance);
    assert_eq!(proven.balance, 0);
    assert_eq!(proven.slot, anchor);
    assert_eq!(&proven.pubkeyHead[..], &expected.pubkey.0[..32]);
}
