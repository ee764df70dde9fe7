//! Property tests: random sequences of signing requests (small slot and epoch ranges so that
//! conflicts are frequent), interleaved with batches, pruning, imports of foreign history and
//! migrations (export, then import into a fresh database), run through the real database.
//!
//! The oracle is independent of the crate's watermark logic: a plain list of every message that
//! was signed (or imported), checked pairwise against the consensus-spec slashing conditions
//! (double proposal, double vote, surround vote). Every message the database lets through must
//! not be slashable together with anything signed or imported before it.

#![allow(unused_crate_dependencies)]

mod common;

use common::{pk, root, GVR};
use lsv_consensus::{Epoch, SlashingSubject, Slot, B256};
use lsv_slashing_protection::{
    Interchange, InterchangeData, InterchangeFormat, SignedAttestation, SignedBlock, SigningCheck,
    SlashingDatabase, Watermarks,
};
use proptest::prelude::*;

const KEYS: u8 = 2;
const MAX_SLOT: u64 = 8;
const MAX_EPOCH: u64 = 6;
const ROOTS: u8 = 3; // roots 0 (unknown), 1, 2

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Msg {
    Block { slot: u64, root: u8 },
    Att { source: u64, target: u64, root: u8 },
}

impl Msg {
    fn subject(self) -> SlashingSubject {
        match self {
            Msg::Block { slot, .. } => SlashingSubject::Block { slot: Slot(slot) },
            Msg::Att { source, target, .. } => SlashingSubject::Attestation {
                source: Epoch(source),
                target: Epoch(target),
            },
        }
    }
    fn root(self) -> B256 {
        match self {
            Msg::Block { root: r, .. } | Msg::Att { root: r, .. } => root(r),
        }
    }
}

/// The consensus-spec slashing conditions, with "same data" meaning the same known (non-zero)
/// signing root: a zero root says nothing about what was signed.
fn slashable(a: Msg, b: Msg) -> bool {
    let same_data = |ra: u8, rb: u8| ra == rb && ra != 0;
    match (a, b) {
        (Msg::Block { slot: s1, root: r1 }, Msg::Block { slot: s2, root: r2 }) => {
            s1 == s2 && !same_data(r1, r2)
        }
        (
            Msg::Att {
                source: s1,
                target: t1,
                root: r1,
            },
            Msg::Att {
                source: s2,
                target: t2,
                root: r2,
            },
        ) => {
            let double_vote = t1 == t2 && !(s1 == s2 && same_data(r1, r2));
            let surround = (s1 < s2 && t2 < t1) || (s2 < s1 && t1 < t2);
            double_vote || surround
        }
        _ => false,
    }
}

/// Everything ever signed or imported, per key.
#[derive(Default)]
struct Oracle {
    history: Vec<(u8, Msg)>,
}

impl Oracle {
    fn signed(&mut self, key: u8, msg: Msg) {
        if let Msg::Att { source, target, .. } = msg {
            assert!(
                source <= target,
                "signed an attestation with source > target: {msg:?}"
            );
        }
        for &(k, earlier) in &self.history {
            assert!(
                k != key || !slashable(earlier, msg),
                "key {key}: signed {msg:?}, slashable with earlier {earlier:?}"
            );
        }
        self.history.push((key, msg));
    }
}

#[derive(Clone, Debug)]
enum Op {
    Sign(u8, Msg),
    Batch(Vec<(u8, Msg)>),
    Prune,
    Migrate(InterchangeFormat),
    /// History signed elsewhere (possibly slashable in itself or with ours), imported.
    Import(u8, Vec<Msg>),
}

fn msg() -> impl Strategy<Value = Msg> {
    prop_oneof![
        (0..=MAX_SLOT, 0..ROOTS).prop_map(|(slot, root)| Msg::Block { slot, root }),
        (0..=MAX_EPOCH, 0..=MAX_EPOCH, 0..ROOTS).prop_map(|(source, target, root)| Msg::Att {
            source,
            target,
            root
        }),
    ]
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        10 => (0..KEYS, msg()).prop_map(|(k, m)| Op::Sign(k, m)),
        3 => prop::collection::vec((0..KEYS, msg()), 0..6).prop_map(Op::Batch),
        1 => Just(Op::Prune),
        1 => prop_oneof![Just(InterchangeFormat::Minimal), Just(InterchangeFormat::Complete)]
            .prop_map(Op::Migrate),
        1 => (0..KEYS, prop::collection::vec(msg(), 0..4)).prop_map(|(k, m)| Op::Import(k, m)),
    ]
}

/// Every message in (a little beyond) the small ranges, for comparing permissiveness.
fn probes() -> Vec<Msg> {
    let mut v = Vec::new();
    for root in 0..ROOTS {
        for slot in 0..=MAX_SLOT + 2 {
            v.push(Msg::Block { slot, root });
        }
        for source in 0..=MAX_EPOCH + 2 {
            for target in 0..=MAX_EPOCH + 2 {
                v.push(Msg::Att {
                    source,
                    target,
                    root,
                });
            }
        }
    }
    v
}

fn check_of(key: u8, m: Msg) -> SigningCheck {
    SigningCheck {
        pubkey: pk(key),
        subject: m.subject(),
        signing_root: m.root(),
    }
}

fn watermarks(db: &SlashingDatabase, key: u8) -> Watermarks {
    db.watermarks(&pk(key)).unwrap().expect("registered")
}

/// `after` allows nothing that `before` refuses.
fn assert_not_more_permissive(before: &Watermarks, after: &Watermarks, what: &str) {
    for p in probes() {
        if after.check(p.subject(), p.root()).is_ok() {
            assert!(
                before.check(p.subject(), p.root()).is_ok(),
                "{what} made {p:?} signable: {before:?} -> {after:?}"
            );
        }
    }
}

fn interchange_of(key: u8, msgs: &[Msg]) -> Interchange {
    let mut data = InterchangeData {
        pubkey: pk(key),
        signed_blocks: vec![],
        signed_attestations: vec![],
    };
    for m in msgs {
        match *m {
            Msg::Block { slot, root: r } => data.signed_blocks.push(SignedBlock {
                slot: Slot(slot),
                signing_root: (r != 0).then(|| root(r)),
            }),
            Msg::Att {
                source,
                target,
                root: r,
            } => data.signed_attestations.push(SignedAttestation {
                source_epoch: Epoch(source),
                target_epoch: Epoch(target),
                signing_root: (r != 0).then(|| root(r)),
            }),
        }
    }
    Interchange::new(GVR, vec![data])
}

fn run(ops: Vec<Op>) {
    let keys: Vec<_> = (0..KEYS).map(pk).collect();
    let mut db = SlashingDatabase::open_in_memory(GVR).unwrap();
    db.register_validators(&keys).unwrap();
    let mut oracle = Oracle::default();

    for op in ops {
        match op {
            Op::Sign(k, m) => {
                if db
                    .check_and_record(&pk(k), m.subject(), m.root())
                    .unwrap()
                    .is_ok()
                {
                    oracle.signed(k, m);
                }
            }
            Op::Batch(items) => {
                let checks: Vec<_> = items.iter().map(|&(k, m)| check_of(k, m)).collect();
                let decisions = db.check_and_record_batch(&checks).unwrap();
                assert_eq!(decisions.len(), items.len());
                for (&(k, m), d) in items.iter().zip(decisions) {
                    if d.is_ok() {
                        oracle.signed(k, m);
                    }
                }
            }
            Op::Prune => {
                let before: Vec<_> = (0..KEYS).map(|k| watermarks(&db, k)).collect();
                db.prune().unwrap();
                let after: Vec<_> = (0..KEYS).map(|k| watermarks(&db, k)).collect();
                // Pruning touches history only: decisions are exactly the same.
                assert_eq!(before, after);
            }
            Op::Migrate(format) => {
                let exported = db.export_interchange(None, format).unwrap();
                let json = exported.to_json_string().unwrap();
                let mut fresh = SlashingDatabase::open_in_memory(GVR).unwrap();
                fresh
                    .import_interchange(&Interchange::from_json_str(&json).unwrap())
                    .unwrap();
                for k in 0..KEYS {
                    let (old, new) = (watermarks(&db, k), watermarks(&fresh, k));
                    assert_not_more_permissive(&old, &new, "migration");
                    // Same watermarks (re-sign roots aside).
                    assert_eq!(old.block.map(|b| b.slot), new.block.map(|b| b.slot));
                    assert_eq!(
                        old.attestation.map(|a| (a.source, a.target)),
                        new.attestation.map(|a| (a.source, a.target))
                    );
                }
                db = fresh;
            }
            Op::Import(k, msgs) => {
                let before: Vec<_> = (0..KEYS).map(|k| watermarks(&db, k)).collect();
                db.import_interchange(&interchange_of(k, &msgs)).unwrap();
                for other in 0..KEYS {
                    let (old, new) = (before[other as usize], watermarks(&db, other));
                    if other != k {
                        assert_eq!(old, new);
                        continue;
                    }
                    assert_not_more_permissive(&old, &new, "import");
                    // Raised to exactly the max of the old watermark and the import.
                    let imported_slot = msgs.iter().filter_map(|m| match m {
                        Msg::Block { slot, .. } => Some(*slot),
                        _ => None,
                    });
                    let want_slot = old
                        .block
                        .map(|b| b.slot.0)
                        .into_iter()
                        .chain(imported_slot)
                        .max();
                    assert_eq!(new.block.map(|b| b.slot.0), want_slot);
                    let atts: Vec<_> = msgs
                        .iter()
                        .filter_map(|m| match m {
                            Msg::Att { source, target, .. } => Some((*source, *target)),
                            _ => None,
                        })
                        .collect();
                    let old_att = old.attestation.map(|a| (a.source.0, a.target.0));
                    let want_src = old_att
                        .map(|a| a.0)
                        .into_iter()
                        .chain(atts.iter().map(|a| a.0))
                        .max();
                    let want_tgt = old_att
                        .map(|a| a.1)
                        .into_iter()
                        .chain(atts.iter().map(|a| a.1))
                        .max();
                    assert_eq!(new.attestation.map(|a| a.source.0), want_src);
                    assert_eq!(new.attestation.map(|a| a.target.0), want_tgt);
                    assert!(new.record_version >= old.record_version);
                }
                for m in msgs {
                    oracle.history.push((k, m));
                }
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    /// Nothing the database accepts is slashable with anything signed or imported before it,
    /// across batches, pruning, migrations and foreign imports.
    #[test]
    fn accepted_messages_are_never_slashable(ops in prop::collection::vec(op(), 1..60)) {
        run(ops);
    }

    /// A batch decides exactly as the same checks one by one would, and leaves the same state.
    #[test]
    fn batch_equals_sequential(items in prop::collection::vec((0..KEYS, msg()), 0..30)) {
        let keys: Vec<_> = (0..KEYS).map(pk).collect();
        let mut a = SlashingDatabase::open_in_memory(GVR).unwrap();
        let mut b = SlashingDatabase::open_in_memory(GVR).unwrap();
        a.register_validators(&keys).unwrap();
        b.register_validators(&keys).unwrap();
        let checks: Vec<_> = items.iter().map(|&(k, m)| check_of(k, m)).collect();
        let batched = a.check_and_record_batch(&checks).unwrap();
        let one_by_one: Vec<_> = checks
            .iter()
            .map(|c| b.check_and_record(&c.pubkey, c.subject, c.signing_root).unwrap())
            .collect();
        prop_assert_eq!(batched, one_by_one);
        for k in 0..KEYS {
            prop_assert_eq!(watermarks(&a, k), watermarks(&b, k));
        }
        prop_assert_eq!(
            a.export_interchange(None, InterchangeFormat::Complete).unwrap(),
            b.export_interchange(None, InterchangeFormat::Complete).unwrap()
        );
    }
}
