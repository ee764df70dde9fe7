//! Devnet validators whose keys are in P: a real P (dev sealer, the system clock, pinned to the
//! devnet by the `config.yaml` the devnet writes) serves its HTTP API on a loopback port; P
//! generates keys and signs their deposits, the deposits reach the beacon chain as EIP-6110
//! requests, and once active the validators attest, aggregate, propose and sign as the sync
//! committee through P, next to 64 interop validators signing locally. A P validator asked to
//! double-vote is refused by P's slashing protection and is not slashed.
//!
//! Time: P refuses a block or attestation beyond its wall clock's slot (plus a skew of 2), and
//! the devnet runs slots much faster than every 6 s, so genesis is placed `MAX_SLOT + 1` slots
//! in the past (`genesis_time_for`): every slot the test runs has ended before it starts.

#![allow(unused_crate_dependencies)]

use alloy_primitives::{Address, B256};
use lsv_consensus::{ForkName, Minimal, Network, PublicKeyBytes, SignatureBytes, Slot};
use lsv_devnet::execution::{ExecutionLayer, MockExecution};
use lsv_devnet::genesis::{interop_validators, GenesisParams};
use lsv_devnet::node::Node;
use lsv_devnet::p::RunningP;
use lsv_devnet::remote::{genesis_time_for, write_network_config, RemoteSigner, Signers};
use lsv_devnet::signer::{LocalKeys, Message, Signer};
use lsv_devnet::spec::config::TIMELY_TARGET_FLAG_INDEX;
use lsv_devnet::spec::{Config, Spec};
use lsv_slashing_protection::{Interchange, InterchangeFormat};
use rayon::prelude::*;
use std::collections::{BTreeMap, HashSet};
use std::time::Instant;

type P = Minimal;
const LOOPBACK: std::net::SocketAddr =
    std::net::SocketAddr::new(std::net::IpAddr::V4(std::net::Ipv4Addr::LOCALHOST), 0);

/// Interop validators signing locally.
const LOCAL: u64 = 64;
/// Keys generated in P.
const P_KEYS: usize = 4;
/// The last slot the test may run (64 epochs): genesis is placed so that it has ended. The
/// P validators are active from epoch 12 (their deposits and then their eligibility wait for
/// finality, then `MAX_SEED_LOOKAHEAD`); a sync committee is drawn from them first for epoch 24
/// on, and with 4 of 68 validators a committee of 32 misses them all with probability
/// (64/68)^32 = 0.14, so the test runs on until one does: up to 5 periods.
const MAX_SLOT: u64 = 64 * 8;
/// C, the withdrawal contract P binds every deposit to; and the keys' owner.
const C: Address = Address::repeat_byte(0xc0);
const OWNER: Address = Address::repeat_byte(0x0e);

/// The devnet: 64 interop validators (0x01 credentials) at genesis, `genesis_time` such that
/// slot `MAX_SLOT` has ended; P pinned to it; P's keys generated and deposited.
struct Devnet {
    node: Node<P, MockExecution, Signers<LocalKeys>>,
    p: RunningP,
    p_keys: HashSet<PublicKeyBytes>,
}

fn devnet() -> Devnet {
    let config = Config::minimal();
    let spec = Spec::<P>::new(config.clone());
    let mut creds = [0u8; 32];
    creds[0] = 0x01;
    creds[12..].copy_from_slice(&[0x11; 20]);
    let (validators, keys) = interop_validators(LOCAL, creds.into());
    let el = MockExecution::new(LOCAL);
    let params = GenesisParams {
        genesis_time: genesis_time_for(&config, MAX_SLOT),
        fork: ForkName::Electra,
        execution_payload_header: ExecutionLayer::<P>::genesis_header(&el),
    };
    let genesis = spec
        .genesis_state(&params, &validators)
        .expect("a genesis state");

    let dir = tempfile::tempdir().expect("a temporary directory");
    let config_path = dir.path().join("config.yaml");
    write_network_config(&config_path, &config, &genesis).expect("config.yaml written");
    let p = RunningP::start(&dir.path().join("p"), &config_path, C, LOOPBACK).expect("P starts");

    let remote = RemoteSigner::connect(&p.url, &spec, &genesis).expect("P is the devnet's");
    assert!(remote.keys().is_empty());
    let deposits = remote.generate_keys(OWNER, P_KEYS).expect("P makes keys");
    assert_eq!(deposits.len(), P_KEYS);
    let p_keys: HashSet<PublicKeyBytes> = deposits.iter().map(|d| d.pubkey).collect();
    let mut node = Node::new(spec, genesis, el, Signers::new(keys, remote));
    for d in &deposits {
        assert_eq!(
            d.withdrawal_credentials,
            Network::compounding_withdrawal_credentials(C)
        );
        assert_eq!(d.amount.as_u64(), 32_000_000_000);
        node.execution_mut()
            .deposit(d.pubkey, d.withdrawal_credentials, d.amount, d.signature);
    }
    Devnet { node, p, p_keys }
}

/// What the P validators have done on chain so far.
#[derive(Debug, Default)]
struct Seen {
    /// P's validators by index, once the deposits made them.
    indices: BTreeMap<u64, PublicKeyBytes>,
    /// The slot they became active at.
    active_from: Option<u64>,
    /// Blocks proposed by a P validator: slot and root.
    proposed: Vec<(u64, B256)>,
    /// Blocks whose sync aggregate counts a P validator's signature.
    sync_included: Vec<u64>,
}

/// Whether the block `root` at `slot` is an ancestor of (or is) the head: the parent links
/// from the head down to `slot` lead to it.
fn in_chain(node: &Node<P, MockExecution, Signers<LocalKeys>>, slot: u64, root: B256) -> bool {
    let mut expected = node.head_root();
    for s in (slot..=node.head_state().slot.as_u64()).rev() {
        if let Some(block) = node.block_at(s) {
            if block.root == expected {
                if s == slot {
                    return block.root == root;
                }
                expected = block.block.message.parent_root;
            }
        }
    }
    false
}

#[test]
fn p_validators_join_through_deposits_and_sign_every_duty_but_a_double_vote() {
    let started = Instant::now();
    let Devnet {
        mut node,
        p,
        p_keys,
    } = devnet();
    let mut seen = Seen::default();
    let mut slot = 0;
    let done = |seen: &Seen, node: &Node<P, MockExecution, Signers<LocalKeys>>, p: &RunningP| {
        let state = node.head_state();
        seen.active_from.is_some()
            && !seen.proposed.is_empty()
            && !seen.sync_included.is_empty()
            && p.count("AGGREGATE_AND_PROOF_V2", "signed") > 0
            && seen
                .indices
                .keys()
                .all(|&i| state.balances[i as usize].as_u64() > 32_000_000_000)
    };
    while !done(&seen, &node, &p) {
        slot += 1;
        assert!(
            slot <= MAX_SLOT - 24,
            "by slot {slot} the P validators had not done everything: {seen:?}"
        );
        let report = node.run_slot(slot).expect("a slot");
        assert!(
            report.refused.is_empty(),
            "slot {slot}: {:?}",
            report.refused
        );
        let state = node.head_state();
        if seen.indices.len() < P_KEYS {
            for (i, v) in state.validators.iter().enumerate() {
                if p_keys.contains(&v.pubkey) {
                    seen.indices.insert(i as u64, v.pubkey);
                }
            }
        }
        let epoch = slot / 8;
        if seen.active_from.is_none()
            && seen.indices.len() == P_KEYS
            && seen
                .indices
                .keys()
                .all(|&i| state.validators[i as usize].activation_epoch.as_u64() <= epoch)
        {
            seen.active_from = Some(slot);
        }
        let Some(root) = report.block_root else {
            continue;
        };
        if seen.indices.contains_key(&report.proposer) {
            seen.proposed.push((slot, root));
        }
        let block = node.block_at(slot).expect("the block just imported");
        let bits = &block.block.message.body.sync_aggregate.sync_committee_bits;
        let committee = &state.current_sync_committee.pubkeys;
        if (0..committee.len())
            .any(|j| bits.get(j).unwrap_or(false) && p_keys.contains(&committee[j]))
        {
            seen.sync_included.push(slot);
        }
    }
    let ran = started.elapsed();
    eprintln!(
        "P validators {:?} active from slot {:?}; proposed {:?}; in sync aggregates at {:?}; \
         all done by slot {slot} ({ran:?} with setup)",
        seen.indices.keys().collect::<Vec<_>>(),
        seen.active_from,
        seen.proposed,
        seen.sync_included
    );

    // The deposits went the EIP-6110 way: requests from the execution layer, in order.
    let state = node.head_state();
    assert_eq!(state.deposit_requests_start_index, LOCAL);
    assert_eq!(
        seen.indices.keys().copied().collect::<Vec<_>>(),
        (LOCAL..LOCAL + P_KEYS as u64).collect::<Vec<_>>()
    );
    assert!(state.pending_deposits.is_empty());
    for &i in seen.indices.keys() {
        let v = &state.validators[i as usize];
        assert_eq!(
            v.withdrawal_credentials,
            Network::compounding_withdrawal_credentials(C)
        );
        assert!(!v.slashed);
        // Rewards stay with a 0x02 validator below 2048 ETH: the balance rose from 32 ETH.
        assert!(state.balances[i as usize].as_u64() > 32_000_000_000);
        // Its attestation for the previous epoch is on chain, with the right target.
        let flags = state.previous_epoch_participation[i as usize];
        assert_ne!(flags & (1 << TIMELY_TARGET_FLAG_INDEX), 0, "validator {i}");
    }
    // The P validators' blocks are in the chain: the head descends from each.
    for (slot, root) in &seen.proposed {
        assert!(in_chain(&node, *slot, *root), "block {root} at slot {slot}");
    }

    // P signed every kind of duty, and its slashing protection recorded the slashable ones.
    for kind in [
        "RANDAO_REVEAL",
        "BLOCK_V2",
        "ATTESTATION",
        "AGGREGATION_SLOT",
        "AGGREGATE_AND_PROOF_V2",
        "SYNC_COMMITTEE_MESSAGE",
    ] {
        assert!(p.count(kind, "signed") > 0, "P signed no {kind}");
    }
    assert_eq!(p.count("ATTESTATION", "refused_slashing"), 0);
    let exported = tempfile::NamedTempFile::new().expect("a temporary file");
    let out = Box::new(exported.reopen().expect("the temporary file"));
    p.block_on(
        p.enclave
            .export_interchange(InterchangeFormat::Complete, out),
    )
    .expect("an interchange export");
    let interchange: Interchange =
        serde_json::from_reader(std::fs::File::open(exported.path()).expect("the export"))
            .expect("an EIP-3076 interchange");
    let proposers: HashSet<PublicKeyBytes> = seen
        .proposed
        .iter()
        .map(|(s, _)| {
            let proposer = node
                .block_at(*s)
                .expect("a block")
                .block
                .message
                .proposer_index;
            seen.indices[&proposer]
        })
        .collect();
    for record in &interchange.data {
        assert!(p_keys.contains(&record.pubkey));
        assert!(
            !record.signed_attestations.is_empty(),
            "P recorded no attestation of {}",
            record.pubkey
        );
        if proposers.contains(&record.pubkey) {
            assert!(!record.signed_blocks.is_empty());
        }
    }
    assert_eq!(interchange.data.len(), P_KEYS);

    // A P validator told to double-vote: P signs its attestation, refuses the conflicting one,
    // and the validator is never slashed.
    let (&voter, _) = seen.indices.iter().next().expect("a P validator");
    node.double_voters.insert(voter);
    let mut refused = None;
    let last = slot + 16;
    while slot < last {
        slot += 1;
        let report = node.run_slot(slot).expect("a slot");
        for (v, why) in report.refused {
            assert_eq!(v, voter, "only the double vote is refused: {why}");
            assert!(refused.is_none(), "one refusal");
            refused = Some((slot, why));
        }
    }
    let (refused_at, why) = refused.expect("P refused the second vote");
    eprintln!("P refused validator {voter}'s second vote at slot {refused_at}: {why}");
    assert!(why.contains("412") && why.contains("double vote"), "{why}");
    assert_eq!(p.count("ATTESTATION", "refused_slashing"), 1);
    let state = node.head_state();
    assert!(
        !state.validators[voter as usize].slashed,
        "validator {voter} was not slashed"
    );
    assert!(state.balances[voter as usize].as_u64() > 32_000_000_000);
    for s in refused_at..=slot {
        if let Some(b) = node.block_at(s) {
            assert!(b.block.message.body.attester_slashings.is_empty());
        }
    }

    let stats = node.signer().remote.stats();
    eprintln!(
        "through P during the run: {} signatures, {} refused, {:.2} ms each on average \
         (request to answer); whole test {:?}",
        stats.signed,
        stats.refused,
        stats.busy.as_secs_f64() * 1e3 / stats.signed.max(1) as f64,
        started.elapsed()
    );
}

/// Signatures per second through P (over HTTP, parallel, each verified) and with local keys,
/// for messages P does not record (sync committee selection proofs), and for attestations,
/// which P records durably before it answers. Prints the figures; asserts only that every
/// signature verifies.
#[test]
fn signing_rate_through_p_and_locally() {
    let Devnet { node, p, p_keys } = devnet();
    let signer = node.signer();
    let state = node.head_state();
    let keys: Vec<PublicKeyBytes> = p_keys.into_iter().collect();
    const N: u64 = 200;
    let selection = |s: u64| lsv_consensus::containers::altair::SyncAggregatorSelectionData {
        slot: Slot::new(s),
        subcommittee_index: 0,
    };
    let domain = Spec::<P>::get_domain(
        state,
        lsv_consensus::network::domain::SYNC_COMMITTEE_SELECTION_PROOF,
        Some(0),
    );
    let root = |s: u64| {
        lsv_consensus::network::compute_signing_root(
            tree_hash::TreeHash::tree_hash_root(&selection(s)),
            domain,
        )
    };
    let rate = |name: &str, sign: &(dyn Fn(u64) -> SignatureBytes + Sync)| {
        let started = Instant::now();
        let sigs: Vec<SignatureBytes> = (0..N).into_par_iter().map(sign).collect();
        let elapsed = started.elapsed();
        assert_eq!(sigs.len() as u64, N);
        let per_s = N as f64 / elapsed.as_secs_f64();
        eprintln!("{name}: {N} signatures in {elapsed:?}, {per_s:.0}/s");
        per_s
    };
    let remote = |s: u64| {
        let data = selection(s);
        let key = &keys[(s % keys.len() as u64) as usize];
        Signer::<P>::sign(
            signer,
            LOCAL + 1000,
            key,
            root(s),
            Message::SyncSelection(&data),
        )
        .expect("P signs")
    };
    let local = |s: u64| {
        let data = selection(s);
        let key = &state.validators[(s % LOCAL) as usize].pubkey;
        Signer::<P>::sign(
            signer,
            s % LOCAL,
            key,
            root(s),
            Message::SyncSelection(&data),
        )
        .expect("a local key signs")
    };
    rate("sync selection proofs through P", &remote);
    rate("sync selection proofs with local keys", &local);
    assert!(p.count("SYNC_COMMITTEE_SELECTION_PROOF", "signed") >= N);

    // Attestations, which P records durably before answering: each key's in target order (one
    // after another, as a validator attests), the keys in parallel. Targets stay below P's
    // wall-clock slot, which genesis placed `MAX_SLOT` slots back.
    // 40 targets: epochs up to 40 start before P's wall-clock slot (about `MAX_SLOT`, epoch 48).
    let targets = 40;
    let attester_domain = |epoch: u64| {
        Spec::<P>::get_domain(
            state,
            lsv_consensus::network::domain::BEACON_ATTESTER,
            Some(epoch),
        )
    };
    let attestation = |target: u64, byte: u8| lsv_consensus::containers::AttestationData {
        slot: Slot::new(target * 8),
        index: 0,
        beacon_block_root: B256::repeat_byte(byte),
        source: lsv_consensus::containers::Checkpoint {
            epoch: lsv_consensus::Epoch::new(0),
            root: B256::ZERO,
        },
        target: lsv_consensus::containers::Checkpoint {
            epoch: lsv_consensus::Epoch::new(target),
            root: B256::repeat_byte(byte),
        },
    };
    let attest = |key: &PublicKeyBytes, index: u64, byte: u8| {
        for target in 1..=targets {
            let data = attestation(target, byte);
            let root = lsv_consensus::network::compute_signing_root(
                tree_hash::TreeHash::tree_hash_root(&data),
                attester_domain(target),
            );
            Signer::<P>::sign(signer, index, key, root, Message::Attestation(&data))
                .expect("a first attestation for each target is signed");
        }
    };
    let started = Instant::now();
    keys.par_iter()
        .enumerate()
        .for_each(|(i, key)| attest(key, LOCAL + i as u64, 0xa0));
    let remote_elapsed = started.elapsed();
    let started = Instant::now();
    (0..keys.len() as u64)
        .into_par_iter()
        .for_each(|i| attest(&state.validators[i as usize].pubkey, i, 0xa0));
    let local_elapsed = started.elapsed();
    let n = targets * keys.len() as u64;
    eprintln!(
        "attestations through P: {n} in {remote_elapsed:?}, {:.0}/s; with local keys: {n} in \
         {local_elapsed:?}, {:.0}/s",
        n as f64 / remote_elapsed.as_secs_f64(),
        n as f64 / local_elapsed.as_secs_f64()
    );
    assert_eq!(p.count("ATTESTATION", "signed"), n);
}
