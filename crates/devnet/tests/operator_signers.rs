//! Operators' own signers (`OperatorSigner`): a real P, run by "the operator" on a loopback port
//! of its own, pinned to the devnet by the `config.yaml` the devnet writes, next to the devnet's
//! own P and 32 interop validators signing locally. The devnet lists the operator's keys made
//! after it started, and its validators sign through that P while it runs; when the operator
//! stops P, their duties are missed and the chain keeps finalizing; when P starts again on the
//! same data directory and port, the devnet finds it and they sign again. A signer pinned to
//! another chain, and one that never answers, are not used, and the chain runs on; a plain
//! Web3Signer (not an lsv P, so its network cannot be asked) is used.
//!
//! The chain has 1-second slots (`Timing`), and genesis is put `MAX_SLOT` slots in the past
//! (`genesis_time_for`), so P, which signs nothing beyond its wall clock, signs every slot the
//! test runs, as fast as it runs them.

#![allow(unused_crate_dependencies)]

use alloy_primitives::Address;
use lsv_consensus::{ForkName, Minimal, PublicKeyBytes};
use lsv_devnet::devnet::Timing;
use lsv_devnet::execution::{ExecutionLayer, MockExecution};
use lsv_devnet::genesis::{interop_validators, GenesisParams};
use lsv_devnet::node::{Node, SlotReport};
use lsv_devnet::p::RunningP;
use lsv_devnet::remote::{
    genesis_time_for, write_network_config, OperatorSigner, OperatorStatus, RemoteSigner, Signers,
};
use lsv_devnet::signer::LocalKeys;
use lsv_devnet::spec::config::TIMELY_TARGET_FLAG_INDEX;
use lsv_devnet::spec::{BeaconState, Config, Spec};
use std::collections::BTreeSet;
use std::net::{SocketAddr, TcpListener};
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

type P = Minimal;
type TheNode = Node<P, MockExecution, Signers<LocalKeys>>;
const LOOPBACK: SocketAddr =
    SocketAddr::new(std::net::IpAddr::V4(std::net::Ipv4Addr::LOCALHOST), 0);
const SLOTS_PER_EPOCH: u64 = 8;
/// Interop validators signing locally.
const LOCAL: u64 = 32;
/// Keys the operator makes in their P.
const OPERATOR_KEYS: usize = 2;
/// The last slot the test may run: genesis is placed so that it has ended.
const MAX_SLOT: u64 = 40 * SLOTS_PER_EPOCH;
/// C, the withdrawal contract the Ps bind every deposit to; and the keys' owner.
const C: Address = Address::repeat_byte(0xc0);
const OWNER: Address = Address::repeat_byte(0x0e);

/// The devnet's configuration: 1-second slots, short delays.
fn config() -> Config {
    Config::devnet_with(
        31_337,
        Timing {
            seconds_per_slot: 1,
            shard_committee_period: 4,
            min_validator_withdrawability_delay: 8,
        },
    )
    .expect("valid timing")
}

/// A genesis of `validators` interop validators (0x01 credentials) whose slot `MAX_SLOT` has
/// ended, its interop keys, and its `config.yaml` written to `dir`.
fn genesis(
    spec: &Spec<P>,
    validators: u64,
    dir: &Path,
) -> (BeaconState<P>, LocalKeys, MockExecution) {
    let mut creds = [0u8; 32];
    creds[0] = 0x01;
    creds[12..].copy_from_slice(&[0x11; 20]);
    let (registry, keys) = interop_validators(validators, creds.into());
    let el = MockExecution::new(validators);
    let params = GenesisParams {
        genesis_time: genesis_time_for(&spec.config, MAX_SLOT),
        fork: ForkName::Electra,
        execution_payload_header: ExecutionLayer::<P>::genesis_header(&el),
    };
    let state = spec
        .genesis_state(&params, &registry)
        .expect("a genesis state");
    write_network_config(&dir.join("config.yaml"), &spec.config, &state)
        .expect("config.yaml written");
    (state, keys, el)
}

/// The last slot run (its block may be missing: a proposer may miss it).
fn head_slot(node: &TheNode) -> u64 {
    node.store().read().head_slot()
}

/// The state at the last slot run.
fn slot_state(node: &TheNode) -> Arc<BeaconState<P>> {
    let store = node.store();
    let store = store.read();
    store
        .state_at(store.head_slot())
        .expect("the head slot's state")
        .1
}

/// Runs the next slot, which must not fail, and returns its report.
fn next_slot(node: &mut TheNode) -> SlotReport {
    let slot = head_slot(node) + 1;
    assert!(slot <= MAX_SLOT, "the test ran out of slots");
    node.run_slot(slot).expect("the slot runs")
}

/// Runs slots to the end of the next epoch (from an epoch's last slot: one whole epoch),
/// collecting the validators whose duties were missed; returns them.
fn run_to_next_epoch_end(node: &mut TheNode) -> BTreeSet<u64> {
    let mut missed = BTreeSet::new();
    let end = (head_slot(node) / SLOTS_PER_EPOCH + 2) * SLOTS_PER_EPOCH - 1;
    while head_slot(node) < end {
        let report = next_slot(node);
        assert!(report.refused.is_empty(), "{:?}", report.refused);
        missed.extend(report.missed.iter().map(|(v, _)| *v));
    }
    missed
}

/// Whether validator `v` attested with the right target in the epoch before the last slot's
/// (its attestation included on chain).
fn attested_previous_epoch(node: &TheNode, v: u64) -> bool {
    slot_state(node).previous_epoch_participation[v as usize] & (1 << TIMELY_TARGET_FLAG_INDEX) != 0
}

#[test]
fn an_operators_validators_sign_through_its_p_miss_while_it_is_down_and_sign_again() {
    let started = Instant::now();
    let spec = Spec::<P>::new(config());
    let dir = tempfile::tempdir().expect("a temporary directory");
    let (state, keys, el) = genesis(&spec, LOCAL, dir.path());
    let config_yaml = dir.path().join("config.yaml");

    // The devnet's own P, and the operator's, each on a data directory of its own.
    let own = RunningP::start(&dir.path().join("own"), &config_yaml, C, LOOPBACK)
        .expect("the devnet's P starts");
    let remote = RemoteSigner::connect(&own.url, &spec, &state).expect("P is the devnet's");
    let operator_dir = dir.path().join("operator");
    let operator_p =
        RunningP::start(&operator_dir, &config_yaml, C, LOOPBACK).expect("the operator's P starts");
    let operator_listen: SocketAddr = operator_p
        .url
        .trim_start_matches("http://")
        .parse()
        .expect("P's address");
    let operator = OperatorSigner::start(&operator_p.url, &spec, &state).expect("a signer URL");
    assert_eq!(operator.status(), OperatorStatus::Up);
    assert!(operator.keys().is_empty());

    // The operator makes keys after the devnet found its P: the next listing has them.
    let deposits = RemoteSigner::connect(&operator_p.url, &spec, &state)
        .expect("the operator's P is the devnet's")
        .generate_keys(OWNER, OPERATOR_KEYS)
        .expect("P makes keys");
    assert_eq!(operator.poll(), OperatorStatus::Up);
    let operator_keys: BTreeSet<PublicKeyBytes> = deposits.iter().map(|d| d.pubkey).collect();
    assert_eq!(
        operator.keys().into_iter().collect::<BTreeSet<_>>(),
        operator_keys
    );

    let mut signers = Signers::new(keys, remote);
    signers.operators.push(Arc::clone(&operator));
    let mut node = Node::new(spec, state, el, signers);
    for d in &deposits {
        node.execution_mut()
            .deposit(d.pubkey, d.withdrawal_credentials, d.amount, d.signature);
    }

    // Up: the operator's validators join and attest through its P.
    let indices: Vec<u64> = (LOCAL..LOCAL + OPERATOR_KEYS as u64).collect();
    loop {
        let report = next_slot(&mut node);
        assert!(report.refused.is_empty(), "{:?}", report.refused);
        assert!(report.missed.is_empty(), "{:?}", report.missed);
        let state = slot_state(&node);
        let epoch = state.slot.as_u64() / SLOTS_PER_EPOCH;
        let active = indices.iter().all(|&i| {
            state
                .validators
                .get(i as usize)
                .is_some_and(|v| v.activation_epoch.as_u64().saturating_add(1) < epoch)
        });
        if active && state.slot.as_u64() % SLOTS_PER_EPOCH == SLOTS_PER_EPOCH - 1 {
            break;
        }
    }
    for &i in &indices {
        assert!(
            operator_keys.contains(&slot_state(&node).validators[i as usize].pubkey),
            "validator {i} is the operator's"
        );
        assert!(attested_previous_epoch(&node, i), "validator {i} attested");
    }
    let signed_up = operator_p.count("ATTESTATION", "signed");
    assert!(signed_up > 0);
    let up_at = head_slot(&node);

    // Down: the operator stops P. Its validators miss every duty; nobody else misses one, and
    // the chain keeps finalizing.
    drop(operator_p);
    let finalized_before = slot_state(&node).finalized_checkpoint.epoch.as_u64();
    let mut missed = run_to_next_epoch_end(&mut node);
    missed.extend(run_to_next_epoch_end(&mut node));
    assert!(
        matches!(operator.status(), OperatorStatus::Down(_)),
        "{:?}",
        operator.status()
    );
    assert_eq!(missed, indices.iter().copied().collect(), "missed duties");
    for &i in &indices {
        assert!(
            !attested_previous_epoch(&node, i),
            "validator {i} is offline"
        );
    }
    let finalized_after = slot_state(&node).finalized_checkpoint.epoch.as_u64();
    assert!(
        finalized_after >= finalized_before + 2,
        "finality went on from epoch {finalized_before} to {finalized_after}"
    );
    let down_at = head_slot(&node);

    // Back: P starts again on its data directory and port; the poller finds it within seconds.
    let operator_p = RunningP::start(&operator_dir, &config_yaml, C, operator_listen)
        .expect("the operator's P starts again");
    let deadline = Instant::now() + Duration::from_secs(10);
    while !operator.is_up() {
        assert!(
            Instant::now() < deadline,
            "the devnet did not find P back: {:?}",
            operator.status()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    // The epoch in which it was found may still have missed duties; the next has none.
    run_to_next_epoch_end(&mut node);
    let missed = run_to_next_epoch_end(&mut node);
    assert!(missed.is_empty(), "missed after P came back: {missed:?}");
    for &i in &indices {
        assert!(
            attested_previous_epoch(&node, i),
            "validator {i} attests again"
        );
    }
    assert!(operator_p.count("ATTESTATION", "signed") > 0);
    eprintln!(
        "up until slot {up_at}, down until {down_at}, back until {}; through the operator's P: \
         {:?}, {} duties missed; {:?}",
        head_slot(&node),
        operator.stats(),
        operator.missed(),
        started.elapsed()
    );
}

#[test]
fn a_signer_pinned_elsewhere_or_silent_is_not_used_a_plain_web3signer_is() {
    let spec = Spec::<P>::new(config());
    let dir = tempfile::tempdir().expect("a temporary directory");
    let (state, keys, el) = genesis(&spec, LOCAL, dir.path());
    let own = RunningP::start(
        &dir.path().join("own"),
        &dir.path().join("config.yaml"),
        C,
        LOOPBACK,
    )
    .expect("the devnet's P starts");
    let remote = RemoteSigner::connect(&own.url, &spec, &state).expect("P is the devnet's");

    // A P pinned to another chain (another genesis validators root).
    let elsewhere = tempfile::tempdir().expect("a temporary directory");
    let (other, ..) = genesis(&spec, LOCAL + 1, elsewhere.path());
    assert_ne!(other.genesis_validators_root, state.genesis_validators_root);
    let other_p = RunningP::start(
        &elsewhere.path().join("p"),
        &elsewhere.path().join("config.yaml"),
        C,
        LOOPBACK,
    )
    .expect("the other P starts");
    let wrong = OperatorSigner::start(&other_p.url, &spec, &state).expect("a signer URL");
    assert_eq!(
        wrong.status(),
        OperatorStatus::WrongNetwork(other.genesis_validators_root)
    );

    // A signer that takes connections and never answers: unreached after its timeout.
    let silent = TcpListener::bind(LOOPBACK).expect("a port");
    let silent_url = format!("http://{}", silent.local_addr().expect("an address"));
    let hung = OperatorSigner::start(&silent_url, &spec, &state).expect("a signer URL");
    assert!(
        matches!(hung.status(), OperatorStatus::Unreached(ref why) if why.contains("no answer")),
        "{:?}",
        hung.status()
    );
    // No signer at all on a port.
    let closed = TcpListener::bind(LOOPBACK).expect("a port");
    let closed_url = format!("http://{}", closed.local_addr().expect("an address"));
    drop(closed);
    let absent = OperatorSigner::start(&closed_url, &spec, &state).expect("a signer URL");
    assert!(matches!(absent.status(), OperatorStatus::Unreached(_)));
    assert!(OperatorSigner::start("https://127.0.0.1:1", &spec, &state).is_err());
    // A Web3Signer that is not an lsv P (no `/eth/v1/lsv/attestation`): used, its keys listed.
    let web3signer = web3signer_without_keys();
    let plain = OperatorSigner::start(&web3signer, &spec, &state).expect("a signer URL");
    assert_eq!(plain.status(), OperatorStatus::Up);

    let mut signers = Signers::new(keys, remote);
    signers.operators = vec![wrong.clone(), hung.clone(), absent.clone(), plain];
    let mut node = Node::new(spec, state, el, signers);
    for _ in 0..2 * SLOTS_PER_EPOCH {
        let report = next_slot(&mut node);
        assert!(report.missed.is_empty(), "{:?}", report.missed);
        assert!(report.block_root.is_some());
    }
    assert!(matches!(wrong.status(), OperatorStatus::WrongNetwork(_)));
    assert!(wrong.keys().is_empty());
    drop(silent);
}

/// A stand-in for a plain Web3Signer holding no keys, on a loopback port: `GET
/// /api/v1/eth2/publicKeys` answers `[]`, anything else 404; its URL. It serves until the test
/// process ends.
fn web3signer_without_keys() -> String {
    use std::io::{BufRead, BufReader, Write};
    let listener = TcpListener::bind(LOOPBACK).expect("a port");
    let url = format!("http://{}", listener.local_addr().expect("an address"));
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut request = String::new();
            let mut reader = BufReader::new(&stream);
            if reader.read_line(&mut request).is_err() {
                continue;
            }
            // The rest of the head: a GET has no body.
            let mut line = String::new();
            while reader.read_line(&mut line).is_ok_and(|n| n > 2) {
                line.clear();
            }
            let (status, body) = if request.starts_with("GET /api/v1/eth2/publicKeys ") {
                ("200 OK", "[]")
            } else {
                ("404 Not Found", r#"{"code":404,"message":"not found"}"#)
            };
            let _ = write!(
                stream,
                "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\
                 Connection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    url
}
