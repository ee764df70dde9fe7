//! Safety shown, not argued (DESIGN.md, "Many devices"): `f` of the `n` devices of an `m`-of-`n`
//! key are replaced by a malicious P that signs anything, and an adversary drives request
//! sequences to any subset of the devices it likes (all of them is what a coordinator sends;
//! a subset is a host talking to devices directly). The honest devices are real P with their own
//! slashing records. While `f < 2m − n`, no two group signatures that exist form a slashable
//! pair; at `f = 2m − n` the test builds one.
//!
//! A malicious device is a real P whose record is rolled back to nothing before every request
//! (its data directory copied from right after the key generation, without the slashing
//! database): the compromise DESIGN.md counts, and one that signs whatever is asked.

#![allow(unused_crate_dependencies)]

mod common;

use blst::min_pk::{PublicKey, Signature};
use common::{
    attestation, attestation_data, block, block_header, key_generation, open, slashable, Released,
    DST,
};
use lsv_consensus::{PublicKeyBytes, SignRequest};
use lsv_enclave::Enclave;
use lsv_threshold::sharing::combine_signatures;
use proptest::prelude::*;
use std::path::Path;

/// Every device's data directory right after a key generation.
struct Template {
    dirs: Vec<tempfile::TempDir>,
    key: PublicKeyBytes,
    group: PublicKey,
}

fn template(m: u8, n: u8, rt: &tokio::runtime::Runtime) -> Template {
    let dirs: Vec<tempfile::TempDir> = (0..n).map(|_| tempfile::tempdir().unwrap()).collect();
    let devices: Vec<Enclave> = dirs.iter().map(|d| open(d.path())).collect();
    let shared = rt.block_on(key_generation(&devices, m));
    let key = shared[0].evidence.claim.group.pubkey;
    drop(devices);
    Template {
        dirs,
        key,
        group: PublicKey::key_validate(&key.0).unwrap(),
    }
}

/// A P on a copy of `from` without its slashing record (and without the lock): the device
/// rolled back to the moment after the key generation.
fn rolled_back(from: &Path) -> (tempfile::TempDir, Enclave) {
    fn copy(from: &Path, to: &Path) {
        std::fs::create_dir_all(to).unwrap();
        for entry in std::fs::read_dir(from).unwrap() {
            let entry = entry.unwrap();
            let name = entry.file_name();
            let name_str = name.to_string_lossy();
            if name_str == "lock" || name_str.starts_with("slashing-protection.sqlite") {
                continue;
            }
            if entry.file_type().unwrap().is_dir() {
                copy(&entry.path(), &to.join(&name));
            } else {
                std::fs::copy(entry.path(), to.join(&name)).unwrap();
            }
        }
    }
    let dir = tempfile::tempdir().unwrap();
    copy(from, dir.path());
    let p = open(dir.path());
    (dir, p)
}

#[derive(Clone, Debug)]
enum Op {
    /// An attestation (epochs after `common::EPOCH`), sent to the honest devices in `to`.
    Attest {
        source: u64,
        target: u64,
        root: u8,
        to: u8,
    },
    /// A block at slot `EPOCH * 32 + slot`, sent to the honest devices in `to`.
    Block { slot: u64, body: u8, to: u8 },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        (0..6u64, 0..3u8, any::<u8>()).prop_map(|(slot, body, to)| Op::Block { slot, body, to }),
        (0..3u64, 0..3u64, 0..3u8, any::<u8>()).prop_map(|(source, target, root, to)| {
            Op::Attest {
                source,
                target: source.max(target),
                root,
                to,
            }
        }),
    ]
}

/// Devices `1..=f` are malicious; the honest ones are real P on copies of the template (fresh
/// records). Each op goes to every malicious device and to the honest ones in its `to` mask;
/// whenever `m` partial signatures exist for a message, the group signature exists too (it is
/// verified here). Returns what the group key signed.
fn run(t: &Template, m: u8, f: u8, ops: &[Op], rt: &tokio::runtime::Runtime) -> Vec<Released> {
    let n = t.dirs.len() as u8;
    let honest: Vec<(u8, tempfile::TempDir, Enclave)> = (f + 1..=n)
        .map(|i| {
            let (dir, p) = rolled_back(t.dirs[usize::from(i) - 1].path());
            (i, dir, p)
        })
        .collect();
    let mut released = Vec::new();
    for op in ops {
        let (request, message, to): (SignRequest, Released, u8) = match *op {
            Op::Attest {
                source,
                target,
                root,
                to,
            } => {
                let data = attestation_data(source, target, root);
                (attestation(data), Released::Attestation(data), to)
            }
            Op::Block { slot, body, to } => {
                let header = block_header(slot, body);
                (block(header), Released::Block(header), to)
            }
        };
        let mut partials: Vec<(u8, Signature)> = Vec::new();
        let mut root = None;
        for i in 1..=f {
            let (_dir, p) = rolled_back(t.dirs[usize::from(i) - 1].path());
            let signed = rt
                .block_on(p.sign(&t.key, &request))
                .expect("a rolled-back P signs");
            root = Some(signed.signing_root);
            partials.push((i, Signature::from_bytes(&signed.signature.0).unwrap()));
        }
        for (k, (i, _, p)) in honest.iter().enumerate() {
            if to & (1 << k) == 0 {
                continue;
            }
            if let Ok(signed) = rt.block_on(p.sign(&t.key, &request)) {
                root = Some(signed.signing_root);
                partials.push((*i, Signature::from_bytes(&signed.signature.0).unwrap()));
            }
        }
        if partials.len() >= usize::from(m) {
            let group = combine_signatures(&partials[..usize::from(m)]).unwrap();
            let root = root.unwrap();
            assert_eq!(
                group.verify(true, root.as_slice(), DST, &[], &t.group, true),
                blst::BLST_ERROR::BLST_SUCCESS,
                "m partial signatures make the group's"
            );
            if !released.contains(&message) {
                released.push(message);
            }
        }
    }
    released
}

fn first_slashable_pair(released: &[Released]) -> Option<(Released, Released)> {
    for (i, a) in released.iter().enumerate() {
        for b in &released[i + 1..] {
            if slashable(a, b) {
                return Some((a.clone(), b.clone()));
            }
        }
    }
    None
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

/// For each threshold, the most broken devices it tolerates (`2m − n − 1`) and adversarial
/// sequences: never a slashable pair of group signatures.
#[test]
fn no_slashable_pair_while_fewer_than_2m_minus_n_devices_are_broken() {
    let rt = runtime();
    for (m, n) in [(2u8, 3u8), (3, 4), (4, 5), (5, 7)] {
        let f = 2 * m - n - 1;
        let t = template(m, n, &rt);
        let config = ProptestConfig {
            cases: 12,
            failure_persistence: None,
            ..ProptestConfig::default()
        };
        proptest::test_runner::TestRunner::new(config)
            .run(&proptest::collection::vec(op(), 1..14), |ops| {
                let released = run(&t, m, f, &ops, &rt);
                prop_assert_eq!(
                    first_slashable_pair(&released),
                    None,
                    "{}-of-{} with {} broken",
                    m,
                    n,
                    f
                );
                Ok(())
            })
            .unwrap();
    }
}

/// At `f = 2m − n` the malicious devices plus two disjoint sets of `m − f` honest devices sign
/// a double vote: the bound is tight, as DESIGN.md says.
#[test]
fn at_2m_minus_n_broken_devices_a_slashable_pair_exists() {
    let rt = runtime();
    for (m, n) in [(3u8, 4u8), (4, 5), (2, 3)] {
        let f = 2 * m - n;
        let t = template(m, n, &rt);
        let honest = n - f;
        // The first m − f honest devices get vote A, the others vote B (same target, another
        // block): each honest device signs once, so every honest record is clean.
        let first: u8 = (1u8 << (m - f)) - 1;
        let second: u8 = ((1u8 << honest) - 1) & !first;
        let ops = [
            Op::Attest {
                source: 0,
                target: 1,
                root: 0xa,
                to: first,
            },
            Op::Attest {
                source: 0,
                target: 1,
                root: 0xb,
                to: second,
            },
        ];
        let released = run(&t, m, f, &ops, &rt);
        let pair = first_slashable_pair(&released);
        assert!(pair.is_some(), "{m}-of-{n} with {f} broken: {released:?}");

        // One device fewer broken: both votes sent to every device; every honest device signs
        // the first and refuses the second, which stays f - 1 + 0 < m partials short.
        if f > 0 {
            let all = (1u8 << (n - f + 1)) - 1;
            let both = [
                Op::Attest {
                    source: 0,
                    target: 1,
                    root: 0xa,
                    to: all,
                },
                Op::Attest {
                    source: 0,
                    target: 1,
                    root: 0xb,
                    to: all,
                },
            ];
            let released = run(&t, m, f - 1, &both, &rt);
            assert_eq!(
                released,
                vec![Released::Attestation(attestation_data(0, 1, 0xa))],
                "{m}-of-{n} with {} broken",
                f - 1
            );
        }
    }
}
