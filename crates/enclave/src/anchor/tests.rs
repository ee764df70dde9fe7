//! The anchor's protocol against its attacks, on counters in memory (the `tpm2` backend runs
//! the same scenarios against a software TPM in `tests/anchor_tpm2.rs`): a record restored
//! after more signing, a clean restart, two copies on one anchor, and a P stopped at every
//! step. The invariant checked throughout: no two signatures, by whichever copy, are a
//! slashable pair.

use super::memory::{FailAfter, MemoryCounters};
use super::*;
use crate::protection::Verdict;
use lsv_consensus::{PublicKeyBytes, SlashingSubject, Slot};
use proptest::prelude::*;
use std::path::{Path, PathBuf};

const GVR: B256 = B256::repeat_byte(0x42);
const PK: PublicKeyBytes = PublicKeyBytes([0xa5; 48]);
const SPE: u64 = 8;

fn config(reserve_epochs: u64) -> AnchorConfig {
    AnchorConfig {
        backend: BackendConfig::Memory,
        reserve_epochs,
        origin: Some(Origin {
            reserved: 7,
            first_epoch: 100,
            retired: 0,
        }),
        previous: None,
    }
}

/// One running P: its database (behind the writer thread) and its anchor.
struct Node {
    protection: Protection,
    anchor: Arc<Anchor>,
}

fn open(path: &Path, counters: &MemoryCounters, reserve: u64) -> Result<Node, AnchorError> {
    open_on(path, Arc::new(counters.clone()), reserve)
}

fn open_on(
    path: &Path,
    counters: Arc<dyn AnchorCounters>,
    reserve: u64,
) -> Result<Node, AnchorError> {
    let mut db = SlashingDatabase::open(path, GVR)?;
    db.register_validators(&[PK])?;
    let anchor = Anchor::start(counters, config(reserve), &mut db, SPE)?;
    Ok(Node {
        protection: Protection::start(db),
        anchor: Arc::new(anchor),
    })
}

impl Node {
    /// Signs `subject` as P does: the anchor admits its epoch, then slashing protection.
    async fn sign(&self, subject: SlashingSubject, root: B256) -> bool {
        let epoch = match subject {
            SlashingSubject::Block { slot } => slot.epoch(SPE),
            SlashingSubject::Attestation { source, target } => source.max(target),
            SlashingSubject::None => unreachable!(),
        };
        if self.anchor.admit(epoch, &self.protection).await.is_err() {
            return false;
        }
        matches!(
            self.protection.check(PK, subject, root).await,
            Ok(Verdict::Safe(_))
        )
    }

    fn stop_cleanly(self) {
        let anchor = self.anchor.clone();
        self.protection.close_with(move |db| anchor.close(db));
    }

    /// Killed: whatever was committed stays, the anchor is not closed.
    fn kill(self) {
        self.protection.close();
    }
}

fn att(source: u64, target: u64) -> SlashingSubject {
    SlashingSubject::Attestation {
        source: Epoch(source),
        target: Epoch(target),
    }
}

fn block(slot: u64) -> SlashingSubject {
    SlashingSubject::Block { slot: Slot(slot) }
}

/// Every signature released, by any copy, with its root.
#[derive(Default)]
struct Released(Vec<(SlashingSubject, B256)>);

impl Released {
    fn add(&mut self, subject: SlashingSubject, root: B256) {
        self.0.push((subject, root));
    }

    /// The first slashable pair among them (EIP-3076's conditions: two blocks at one slot,
    /// two attestations with one target, or one surrounding another).
    fn slashable_pair(&self) -> Option<String> {
        for (i, (a, ra)) in self.0.iter().enumerate() {
            for (b, rb) in &self.0[i + 1..] {
                if ra == rb {
                    continue;
                }
                let pair = match (*a, *b) {
                    (SlashingSubject::Block { slot: x }, SlashingSubject::Block { slot: y }) => {
                        x == y
                    }
                    (
                        SlashingSubject::Attestation {
                            source: s1,
                            target: t1,
                        },
                        SlashingSubject::Attestation {
                            source: s2,
                            target: t2,
                        },
                    ) => t1 == t2 || (s1 < s2 && t2 < t1) || (s2 < s1 && t1 < t2),
                    _ => false,
                };
                if pair {
                    return Some(format!("{a:?} and {b:?}"));
                }
            }
        }
        None
    }
}

fn root(n: u64) -> B256 {
    B256::left_padding_from(&n.to_be_bytes())
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

fn copy(from: &Path, to: &Path) {
    std::fs::copy(from, to).unwrap();
}

/// A clean stop and start trusts the record as it is: nothing is raised and the reserved run
/// carries on. A start after a kill raises every watermark past everything reserved.
#[test]
fn a_clean_restart_trusts_the_record_and_a_killed_one_is_raised() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sp.sqlite");
    let counters = MemoryCounters::new(1, 7);
    let rt = runtime();
    let node = open(&path, &counters, 4).unwrap();
    assert_eq!(
        node.anchor.status().start,
        StartKind::Raised,
        "a new anchor"
    );
    assert!(rt.block_on(node.sign(att(99, 100), root(1))));
    let first = node.anchor.status();
    assert_eq!(
        (first.window_start, first.window_end),
        (Epoch(100), Epoch(104))
    );
    node.stop_cleanly();
    assert_eq!(counters.get().session, 3, "opened, closed");

    let node = open(&path, &counters, 4).unwrap();
    assert_eq!(node.anchor.status().start, StartKind::Trusted);
    // The next epoch is still in the run: signed without touching the anchor.
    let before = counters.get();
    assert!(rt.block_on(node.sign(att(100, 101), root(2))));
    assert_eq!(counters.get().reserved, before.reserved);
    node.kill();

    let node = open(&path, &counters, 4).unwrap();
    let status = node.anchor.status();
    assert_eq!(status.start, StartKind::Raised);
    assert_eq!(status.window_end, Epoch(104));
    assert!(
        !rt.block_on(node.sign(att(102, 103), root(3))),
        "below the floor"
    );
    assert!(rt.block_on(node.sign(att(103, 104), root(4))));
    node.stop_cleanly();
}

/// The attack of the issue: restore an old copy of the data directory after more signatures
/// were made, and restart. The old copy was closed cleanly, but the anchor has moved since:
/// every watermark is raised past what was reserved, and no slashable signature is returned.
#[test]
fn a_restored_copy_signs_nothing_slashable() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sp.sqlite");
    let saved = dir.path().join("saved.sqlite");
    let counters = MemoryCounters::new(1, 7);
    let rt = runtime();
    let mut released = Released::default();
    let node = open(&path, &counters, 4).unwrap();
    assert!(rt.block_on(node.sign(att(99, 100), root(1))));
    released.add(att(99, 100), root(1));
    node.stop_cleanly();
    copy(&path, &saved);

    let node = open(&path, &counters, 4).unwrap();
    for (n, e) in (101..=106).enumerate() {
        let r = root(10 + n as u64);
        assert!(rt.block_on(node.sign(att(e - 1, e), r)));
        released.add(att(e - 1, e), r);
    }
    node.stop_cleanly();

    copy(&saved, &path);
    let node = open(&path, &counters, 4).unwrap();
    assert_eq!(node.anchor.status().start, StartKind::Raised);
    for (n, (s, t)) in [
        (99, 101),
        (100, 101),
        (104, 105),
        (105, 106),
        (100, 107),
        (114, 115),
    ]
    .into_iter()
    .enumerate()
    {
        let r = root(100 + n as u64);
        if rt.block_on(node.sign(att(s, t), r)) {
            released.add(att(s, t), r);
        }
    }
    assert_eq!(released.slashable_pair(), None);
    assert!(
        released
            .0
            .iter()
            .any(|(s, r)| *s == att(114, 115) && *r == root(105)),
        "the restored copy signs again once past the floor"
    );
    node.stop_cleanly();
}

/// Two copies of one data directory on one anchor: whichever reserves an epoch alone signs in
/// it, and the one opened second makes the first stop reserving (superseded, `/healthcheck`
/// DOWN).
#[test]
fn two_copies_never_sign_in_one_epoch() {
    let dir = tempfile::tempdir().unwrap();
    let a_path = dir.path().join("a.sqlite");
    let b_path = dir.path().join("b.sqlite");
    let counters = MemoryCounters::new(1, 7);
    let rt = runtime();
    let node = open(&a_path, &counters, 2).unwrap();
    node.stop_cleanly();
    copy(&a_path, &b_path);
    let mut released = Released::default();
    let a = open(&a_path, &counters, 2).unwrap();
    assert_eq!(a.anchor.status().start, StartKind::Trusted);
    let b = open(&b_path, &counters, 2).unwrap();
    assert_eq!(
        b.anchor.status().start,
        StartKind::Raised,
        "the copy is not trusted"
    );
    let mut n = 0;
    for e in 100..112 {
        for node in [&a, &b] {
            n += 1;
            if rt.block_on(node.sign(att(e - 1, e), root(n))) {
                released.add(att(e - 1, e), root(n));
            }
            n += 1;
            if rt.block_on(node.sign(block(e * SPE), root(n))) {
                released.add(block(e * SPE), root(n));
            }
        }
    }
    assert_eq!(released.slashable_pair(), None);
    assert!(a.anchor.status().superseded, "A saw B open the anchor");
    assert!(released.0.len() >= 12, "B signs every epoch past the floor");
    a.stop_cleanly();
    b.stop_cleanly();
}

/// P stopped at every step of a start, a reservation and a clean stop (before, between and
/// after each counter operation, and so before or after each local commit): the next start
/// always succeeds (no key is bricked), and nothing signed before the stop can be paired with
/// anything signed after it.
#[test]
fn a_kill_at_any_step_loses_no_protection_and_bricks_nothing() {
    let rt = runtime();
    // Enough operations to cover the whole scenario below, with room to spare.
    for budget in 0..40 {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sp.sqlite");
        let counters = MemoryCounters::new(1, 7);
        let mut released = Released::default();
        let mut n = 0;
        {
            let node = open(&path, &counters, 2).unwrap();
            for e in 100..103 {
                n += 1;
                assert!(rt.block_on(node.sign(att(e - 1, e), root(n))));
                released.add(att(e - 1, e), root(n));
            }
            node.stop_cleanly();
        }
        // The run that is stopped part-way, its counter operations limited to `budget`.
        let limited = Arc::new(FailAfter::new(counters.clone(), budget));
        if let Ok(node) = open_on(&path, limited, 2) {
            for e in 103..110 {
                n += 1;
                if rt.block_on(node.sign(att(e - 1, e), root(n))) {
                    released.add(att(e - 1, e), root(n));
                }
            }
            node.stop_cleanly();
        }
        // The next start, with the anchor reachable again.
        let node = open(&path, &counters, 2)
            .unwrap_or_else(|e| panic!("budget {budget}: the key is bricked: {e}"));
        for (s, t) in [
            (101, 102),
            (104, 105),
            (107, 108),
            (108, 109),
            (109, 110),
            (115, 116),
        ] {
            n += 1;
            if rt.block_on(node.sign(att(s, t), root(n))) {
                released.add(att(s, t), root(n));
            }
        }
        assert_eq!(released.slashable_pair(), None, "budget {budget}");
        assert!(
            released.0.iter().any(|(s, _)| *s == att(115, 116)),
            "budget {budget}: signing resumes"
        );
        node.stop_cleanly();
    }
}

/// A record of another anchor is refused, and so is a start without the anchor a record is
/// bound to.
#[test]
fn a_record_is_bound_to_its_anchor() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sp.sqlite");
    let counters = MemoryCounters::new(1, 7);
    open(&path, &counters, 2).unwrap().stop_cleanly();
    let mut db = SlashingDatabase::open(&path, GVR).unwrap();
    let other = AnchorConfig {
        reserve_epochs: 3,
        ..config(2)
    };
    assert!(matches!(
        Anchor::start(Arc::new(counters.clone()), other, &mut db, SPE),
        Err(AnchorError::OtherAnchor { .. })
    ));
    let sealer =
        crate::sealer::DevSealer::open(dir.path(), crate::keystore::Kdf::Pbkdf2 { c: 1 }).unwrap();
    assert!(matches!(
        start(
            AnchorChoice::None,
            dir.path(),
            &sealer,
            &mut db,
            SPE,
            Epoch(0)
        ),
        Err(AnchorError::Unanchored(..))
    ));
}

#[derive(Clone, Debug)]
enum Step {
    /// Node `node` signs an attestation for `now + ahead` and a block in it.
    Sign { node: usize, ahead: u64 },
    /// The clock moves on an epoch.
    Tick,
    /// Node `node` stops (cleanly or killed) and starts again.
    Restart { node: usize, clean: bool },
    /// Node `node` stops cleanly; its file is copied over node `to`'s (stopped too); both start.
    Clone { node: usize, to: usize },
    /// Node `node` stops cleanly, its file is saved, and it starts again.
    Save { node: usize },
    /// Node `node` stops (killed) and starts on the file saved last.
    Restore { node: usize },
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        6 => (0..3usize, 0..3u64).prop_map(|(node, ahead)| Step::Sign { node, ahead }),
        3 => Just(Step::Tick),
        2 => (0..3usize, any::<bool>()).prop_map(|(node, clean)| Step::Restart { node, clean }),
        1 => (0..3usize, 0..3usize).prop_map(|(node, to)| Step::Clone { node, to }),
        1 => (0..3usize).prop_map(|node| Step::Save { node }),
        1 => (0..3usize).prop_map(|node| Step::Restore { node }),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    /// Three copies of one data directory on one anchor, restarted, killed, cloned and rolled
    /// back in any order while they sign: no two signatures, by any of them, are slashable.
    #[test]
    fn no_schedule_of_copies_restarts_and_rollbacks_signs_a_slashable_pair(
        steps in proptest::collection::vec(step(), 1..40)
    ) {
        let dir = tempfile::tempdir().unwrap();
        let paths: Vec<PathBuf> = (0..3).map(|i| dir.path().join(format!("{i}.sqlite"))).collect();
        let saved = dir.path().join("saved.sqlite");
        let counters = MemoryCounters::new(1, 7);
        let rt = runtime();
        open(&paths[0], &counters, 2).unwrap().stop_cleanly();
        copy(&paths[0], &paths[1]);
        copy(&paths[0], &paths[2]);
        copy(&paths[0], &saved);
        let mut nodes: Vec<Option<Node>> =
            paths.iter().map(|p| Some(open(p, &counters, 2).unwrap())).collect();
        let mut released = Released::default();
        let (mut now, mut n) = (100u64, 0u64);
        let reopen = |nodes: &mut Vec<Option<Node>>, i: usize| {
            nodes[i] = Some(open(&paths[i], &counters, 2).unwrap());
        };
        for step in steps {
            match step {
                Step::Sign { node, ahead } => {
                    let e = now + ahead;
                    let target = nodes[node].as_ref().unwrap();
                    n += 1;
                    if rt.block_on(target.sign(att(e - 1, e), root(n))) {
                        released.add(att(e - 1, e), root(n));
                    }
                    n += 1;
                    if rt.block_on(target.sign(block(e * SPE + n % SPE), root(n))) {
                        released.add(block(e * SPE + n % SPE), root(n));
                    }
                }
                Step::Tick => now += 1,
                Step::Restart { node, clean } => {
                    let stopped = nodes[node].take().unwrap();
                    if clean { stopped.stop_cleanly() } else { stopped.kill() }
                    reopen(&mut nodes, node);
                }
                Step::Clone { node, to } => {
                    nodes[node].take().unwrap().stop_cleanly();
                    if to != node {
                        nodes[to].take().unwrap().stop_cleanly();
                        copy(&paths[node], &paths[to]);
                        reopen(&mut nodes, to);
                    }
                    reopen(&mut nodes, node);
                }
                Step::Save { node } => {
                    nodes[node].take().unwrap().stop_cleanly();
                    copy(&paths[node], &saved);
                    reopen(&mut nodes, node);
                }
                Step::Restore { node } => {
                    nodes[node].take().unwrap().kill();
                    copy(&saved, &paths[node]);
                    reopen(&mut nodes, node);
                }
            }
        }
        for node in nodes.into_iter().flatten() {
            node.stop_cleanly();
        }
        prop_assert_eq!(released.slashable_pair(), None);
    }
}

/// Counters that run `hook` once, just before the first increment of the first advance of the
/// reservation counter: another P acts while this one is half-way through a reservation.
struct Interleaved {
    inner: MemoryCounters,
    hook: parking_lot::Mutex<Option<Box<dyn FnOnce() + Send>>>,
}

impl AnchorCounters for Interleaved {
    fn backend(&self) -> &'static str {
        "memory"
    }
    fn read(&self) -> Result<Counters, AnchorError> {
        self.inner.read()
    }
    fn advance(&self, counter: Counter, from: u64, to: u64) -> Result<bool, AnchorError> {
        if counter == Counter::Reserved && self.inner.get().reserved == from {
            if let Some(hook) = self.hook.lock().take() {
                hook();
            }
        }
        self.inner.advance(counter, from, to)
    }
}

/// The race the session rule alone does not close: copy A has read the counters and is about
/// to reserve when copy B opens the anchor (B's floor is the end A has not moved yet); A's
/// reservation then succeeds. B must not sign in A's new run: its own first reservation finds
/// the counter moved since its start and raises its watermarks past A's run.
#[test]
fn a_copy_opened_during_another_s_reservation_raises_past_it() {
    let dir = tempfile::tempdir().unwrap();
    let (a_path, b_path) = (dir.path().join("a.sqlite"), dir.path().join("b.sqlite"));
    let counters = MemoryCounters::new(1, 7);
    let rt = runtime();
    open(&a_path, &counters, 2).unwrap().stop_cleanly();
    copy(&a_path, &b_path);
    let b_slot: Arc<parking_lot::Mutex<Option<Node>>> = Arc::default();
    let (hook_counters, hook_slot, hook_path) = (counters.clone(), b_slot.clone(), b_path.clone());
    let a_counters = Arc::new(Interleaved {
        inner: counters.clone(),
        hook: parking_lot::Mutex::new(Some(Box::new(move || {
            *hook_slot.lock() = Some(open(&hook_path, &hook_counters, 2).unwrap());
        }))),
    });
    let a = open_on(&a_path, a_counters, 2).unwrap();
    let mut released = Released::default();
    // A reserves [100, 102) while B opens with its floor at 100.
    assert!(rt.block_on(a.sign(att(99, 100), root(1))));
    released.add(att(99, 100), root(1));
    let b = b_slot
        .lock()
        .take()
        .expect("B opened during A's reservation");
    assert_eq!(b.anchor.status().window_end, Epoch(100));
    assert_eq!(a.anchor.status().window_end, Epoch(102));
    for (n, (s, t)) in [(99, 100), (100, 101), (101, 102), (102, 103)]
        .into_iter()
        .enumerate()
    {
        let r = root(10 + n as u64);
        if rt.block_on(b.sign(att(s, t), r)) {
            released.add(att(s, t), r);
        }
    }
    if rt.block_on(a.sign(att(100, 101), root(20))) {
        released.add(att(100, 101), root(20));
    }
    assert_eq!(released.slashable_pair(), None);
    assert!(
        b.anchor.status().window_start >= Epoch(102),
        "{:?}",
        b.anchor.status()
    );
    a.stop_cleanly();
    b.stop_cleanly();
}

mod moving;
mod witness_quorum;
