//! Moving the record to another anchor ([`move_anchor`]), on counters in memory: the old
//! anchor's final value is carried over, an old copy of the data directory can no longer sign,
//! a move stopped at any step is finished by running it again, and of two copies moving at
//! once at most one gets a new anchor. Throughout: no slashable pair among all signatures.

use super::*;
use crate::keystore::Kdf;
use crate::sealer::DevSealer;

/// The new anchor's configuration (its counters start at 50, standing for epoch 100).
fn new_config() -> AnchorConfig {
    AnchorConfig {
        backend: BackendConfig::Memory,
        reserve_epochs: 2,
        origin: Some(Origin {
            reserved: 50,
            first_epoch: 100,
            retired: 0,
        }),
        previous: None,
    }
}

/// One data directory: its files (the anchor's), its database and its sealer.
struct Dir {
    root: PathBuf,
    db: PathBuf,
    sealer: DevSealer,
}

impl Dir {
    fn new(parent: &Path, name: &str) -> Self {
        let root = parent.join(name);
        std::fs::create_dir_all(&root).unwrap();
        let sealer = DevSealer::open(&root, Kdf::Pbkdf2 { c: 1 }).unwrap();
        Self {
            db: root.join("sp.sqlite"),
            root,
            sealer,
        }
    }

    /// A copy of this directory, files and database, as the host takes one.
    fn copy_to(&self, parent: &Path, name: &str) -> Self {
        let root = parent.join(name);
        std::fs::create_dir_all(&root).unwrap();
        for entry in std::fs::read_dir(&self.root).unwrap() {
            let entry = entry.unwrap();
            std::fs::copy(entry.path(), root.join(entry.file_name())).unwrap();
        }
        let sealer = DevSealer::open(&root, Kdf::Pbkdf2 { c: 1 }).unwrap();
        Self {
            db: root.join("sp.sqlite"),
            root,
            sealer,
        }
    }

    /// `lsv anchor move` from the old counters to `new`.
    fn move_to(
        &self,
        old: Arc<dyn AnchorCounters>,
        new: &MemoryCounters,
        rebind: &mut dyn FnMut(B256, B256) -> Result<usize, String>,
    ) -> Result<Moved, AnchorError> {
        let mut db = SlashingDatabase::open(&self.db, GVR)?;
        db.register_validators(&[PK])?;
        move_anchor(
            AnchorChoice::Counters {
                counters: old,
                config: config(4),
            },
            AnchorChoice::Counters {
                counters: Arc::new(new.clone()),
                config: new_config(),
            },
            &self.root,
            &self.sealer,
            &mut db,
            SPE,
            Epoch(100),
            rebind,
        )
    }

    /// P started on the anchor the move installed.
    fn open_moved(&self, new: &MemoryCounters) -> Result<Node, AnchorError> {
        let file = AnchorFile::load(&self.root, &self.sealer)?.ok_or(AnchorError::File {
            path: self.root.join(ANCHOR_FILE),
            message: "no anchor was installed here".into(),
        })?;
        let mut db = SlashingDatabase::open(&self.db, GVR)?;
        db.register_validators(&[PK])?;
        let anchor = Anchor::start(Arc::new(new.clone()), file.config.clone(), &mut db, SPE)?;
        Ok(Node {
            protection: Protection::start(db),
            anchor: Arc::new(anchor),
        })
    }
}

fn no_rebind() -> impl FnMut(B256, B256) -> Result<usize, String> {
    |_, _| Ok(0)
}

/// Signs attestations for targets `targets` on `node`; those released.
fn attest(
    rt: &tokio::runtime::Runtime,
    node: &Node,
    targets: std::ops::RangeInclusive<u64>,
    salt: u64,
    released: &mut Released,
) -> usize {
    let mut signed = 0;
    for t in targets {
        let root = root(salt * 1000 + t);
        if rt.block_on(node.sign(att(t - 1, t), root)) {
            released.add(att(t - 1, t), root);
            signed += 1;
        }
    }
    signed
}

#[test]
fn a_moved_record_keeps_its_protection_and_the_old_copy_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = Dir::new(tmp.path(), "p");
    let old = MemoryCounters::new(1, 7);
    let new = MemoryCounters::new(1, 50);
    let rt = runtime();
    let mut released = Released::default();

    let p = open(&dir.db, &old, 4).unwrap();
    assert_eq!(attest(&rt, &p, 100..=105, 1, &mut released), 6);
    p.stop_cleanly();
    let before_move = dir.copy_to(tmp.path(), "saved");

    let moved = dir
        .move_to(Arc::new(old.clone()), &new, &mut no_rebind())
        .unwrap();
    assert!(!moved.resumed);
    assert_eq!(old.get().retired, 1, "the old anchor is retired");
    assert_eq!(
        moved.floor,
        config(4).epoch_end(old.get().reserved).unwrap(),
        "the floor is the end of everything reserved on the old anchor"
    );
    assert!(moved.floor.as_u64() > 105);

    // The old anchor serves no one: not the moved record, not a copy from before the move.
    let err = open(&dir.db, &old, 4).err().unwrap();
    assert!(matches!(err, AnchorError::OtherAnchor { .. }), "{err}");
    let err = open(&before_move.db, &old, 4).err().unwrap();
    assert!(matches!(err, AnchorError::Retired(_)), "{err}");

    // The moved record signs on the new anchor from the floor on, and nothing below it.
    let q = dir.open_moved(&new).unwrap();
    assert_eq!(q.anchor.status().start, StartKind::Raised);
    let signed = attest(&rt, &q, 100..=moved.floor.as_u64() + 6, 2, &mut released);
    assert_eq!(signed, 7, "the floor and the six epochs after it");
    assert_eq!(released.slashable_pair(), None);
    q.stop_cleanly();
    // And starts trusted on it after a clean stop.
    let q = dir.open_moved(&new).unwrap();
    assert_eq!(q.anchor.status().start, StartKind::Trusted);
    q.stop_cleanly();

    // A move is refused where it could fork the record: to no anchor, or from none.
    let other = Dir::new(tmp.path(), "unanchored");
    let mut db = SlashingDatabase::open(&other.db, GVR).unwrap();
    let err = move_anchor(
        AnchorChoice::None,
        AnchorChoice::None,
        &other.root,
        &other.sealer,
        &mut db,
        SPE,
        Epoch(100),
        &mut no_rebind(),
    )
    .err()
    .unwrap();
    assert!(err.to_string().contains("no anchor to move from"), "{err}");
    let mut db = SlashingDatabase::open(&dir.db, GVR).unwrap();
    let err = move_anchor(
        AnchorChoice::Counters {
            counters: Arc::new(new.clone()),
            config: new_config(),
        },
        AnchorChoice::None,
        &dir.root,
        &dir.sealer,
        &mut db,
        SPE,
        Epoch(100),
        &mut no_rebind(),
    )
    .err()
    .unwrap();
    assert!(
        err.to_string().contains("cannot move to no anchor"),
        "{err}"
    );
}

/// The move stopped at every step (each operation on the old anchor, and after the record's
/// commit before the keys are rebound): running it again finishes it, the moved record signs,
/// the copy from before the move does not, and nothing signed pairs with anything else.
#[test]
fn a_move_stopped_at_any_step_is_finished_by_running_it_again() {
    let rt = runtime();
    let mut stopped_inside = 0;
    for budget in 0..=12 {
        for fail_rebind in [false, true] {
            let tmp = tempfile::tempdir().unwrap();
            let dir = Dir::new(tmp.path(), "p");
            let old = MemoryCounters::new(1, 7);
            let new = MemoryCounters::new(1, 50);
            let mut released = Released::default();
            let p = open(&dir.db, &old, 4).unwrap();
            attest(&rt, &p, 100..=103, 1, &mut released);
            p.stop_cleanly();
            let before_move = dir.copy_to(tmp.path(), "saved");

            let limited = Arc::new(FailAfter::new(old.clone(), budget));
            let mut failing = |_: B256, _: B256| Err::<usize, _>("stopped".to_owned());
            let mut rebind: &mut dyn FnMut(B256, B256) -> Result<usize, String> = if fail_rebind {
                &mut failing
            } else {
                &mut |_, _| Ok(0)
            };
            let first = dir.move_to(limited.clone(), &new, &mut rebind);
            if first.is_err() {
                stopped_inside += 1;
                let again = dir.move_to(Arc::new(old.clone()), &new, &mut no_rebind());
                again.unwrap_or_else(|e| panic!("budget {budget}: {e}"));
            }
            assert_eq!(old.get().retired, 1, "budget {budget}");
            let err = open(&before_move.db, &old, 4).err().unwrap();
            assert!(
                matches!(err, AnchorError::Retired(_)),
                "budget {budget}: {err}"
            );
            let q = dir
                .open_moved(&new)
                .unwrap_or_else(|e| panic!("budget {budget}: the key is bricked: {e}"));
            let signed = attest(&rt, &q, 100..=125, 2, &mut released);
            assert!(signed > 0, "budget {budget}: signing resumes");
            assert_eq!(released.slashable_pair(), None, "budget {budget}");
            q.stop_cleanly();
        }
    }
    assert!(
        stopped_inside >= 12,
        "only {stopped_inside} stops fell inside the move"
    );
}

/// Two copies of one data directory moving at once, to two new anchors, each stopped at the
/// worst moment: at most one ends on a new anchor, and the other can sign nowhere.
#[test]
fn of_two_copies_moving_at_once_at_most_one_moves() {
    let rt = runtime();
    // (A's budget on the old anchor, whether B then moves) over the steps of A's move.
    for budget in 0..=8 {
        let tmp = tempfile::tempdir().unwrap();
        let a = Dir::new(tmp.path(), "a");
        let old = MemoryCounters::new(1, 7);
        let mut released = Released::default();
        let p = open(&a.db, &old, 4).unwrap();
        attest(&rt, &p, 100..=103, 1, &mut released);
        p.stop_cleanly();
        let b = a.copy_to(tmp.path(), "b");
        let (new_a, new_b) = (MemoryCounters::new(1, 50), MemoryCounters::new(1, 50));

        let limited = Arc::new(FailAfter::new(old.clone(), budget));
        let a_first = a.move_to(limited, &new_a, &mut no_rebind()).is_ok();
        let b_moved = b.move_to(Arc::new(old.clone()), &new_b, &mut no_rebind());
        let a_moved = a_first
            || a.move_to(Arc::new(old.clone()), &new_a, &mut no_rebind())
                .is_ok();
        assert!(
            !(a_moved && b_moved.is_ok()),
            "budget {budget}: both copies moved: the record forked"
        );
        for (dir, new, moved) in [(&a, &new_a, a_moved), (&b, &new_b, b_moved.is_ok())] {
            match dir.open_moved(new) {
                Ok(q) => {
                    assert!(moved, "budget {budget}");
                    attest(&rt, &q, 100..=120, 2, &mut released);
                    q.stop_cleanly();
                }
                Err(_) => assert!(
                    AnchorFile::load(&dir.root, &dir.sealer).unwrap().is_none() || !moved,
                    "budget {budget}"
                ),
            }
            assert!(
                open(&dir.db, &old, 4).is_err(),
                "budget {budget}: the old anchor serves"
            );
        }
        assert_eq!(released.slashable_pair(), None, "budget {budget}");
    }
}

/// A P still running on the old anchor while a copy of its directory moves: it signs what it
/// had reserved, and nothing it signs pairs with what the moved record signs.
#[test]
fn a_p_running_during_the_move_signs_nothing_the_moved_record_conflicts_with() {
    let tmp = tempfile::tempdir().unwrap();
    let a = Dir::new(tmp.path(), "a");
    let old = MemoryCounters::new(1, 7);
    let new = MemoryCounters::new(1, 50);
    let rt = runtime();
    let mut released = Released::default();
    let p = open(&a.db, &old, 4).unwrap();
    p.stop_cleanly();
    let b = a.copy_to(tmp.path(), "b");
    let running = open(&a.db, &old, 4).unwrap();
    attest(&rt, &running, 100..=101, 1, &mut released);

    let moved = b
        .move_to(Arc::new(old.clone()), &new, &mut no_rebind())
        .unwrap();
    let q = b.open_moved(&new).unwrap();
    for t in 102..=moved.floor.as_u64() + 4 {
        for (node, salt) in [(&running, 3), (&q, 4)] {
            let root = root(salt * 1000 + t);
            if rt.block_on(node.sign(att(t - 1, t), root)) {
                released.add(att(t - 1, t), root);
            }
        }
    }
    assert_eq!(released.slashable_pair(), None);
    assert!(running.anchor.status().superseded);
    running.kill();
    q.stop_cleanly();
}

/// The race the retirement check closes: P has read the old anchor and is about to reserve
/// when a copy of its directory moves (starts on the old anchor, retires it, reads where
/// reservations stand); P's reservation then succeeds, past the floor the move carried over.
/// P must find the anchor retired right after its reservation and sign nothing.
#[test]
fn a_reservation_that_lands_after_the_retirement_signs_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let a = Dir::new(tmp.path(), "a");
    let old = MemoryCounters::new(1, 7);
    let new = MemoryCounters::new(1, 50);
    let rt = runtime();
    open(&a.db, &old, 4).unwrap().stop_cleanly();
    let b = a.copy_to(tmp.path(), "b");
    let floor: Arc<parking_lot::Mutex<Option<Epoch>>> = Arc::default();
    let (hook_old, hook_new, hook_floor) = (old.clone(), new.clone(), floor.clone());
    let b_root = b.root.clone();
    let a_counters = Arc::new(Interleaved {
        inner: old.clone(),
        hook: parking_lot::Mutex::new(Some(Box::new(move || {
            let b = Dir {
                db: b_root.join("sp.sqlite"),
                sealer: DevSealer::open(&b_root, Kdf::Pbkdf2 { c: 1 }).unwrap(),
                root: b_root,
            };
            let moved = b
                .move_to(Arc::new(hook_old), &hook_new, &mut no_rebind())
                .unwrap();
            *hook_floor.lock() = Some(moved.floor);
        }))),
    });
    let running = open_on(&a.db, a_counters, 4).unwrap();
    let mut released = Released::default();
    // A's first signature needs a reservation: the move happens between its read and its
    // advance.
    let signed = rt.block_on(running.sign(att(99, 100), root(1)));
    let floor = floor.lock().expect("the move ran during A's reservation");
    assert!(
        !signed,
        "A signed on a reservation made after the anchor was retired"
    );
    if signed {
        released.add(att(99, 100), root(1));
    }
    let q = b.open_moved(&new).unwrap();
    for t in floor.as_u64()..floor.as_u64() + 4 {
        for (node, salt) in [(&running, 3), (&q, 4)] {
            let root = root(salt * 1000 + t);
            if rt.block_on(node.sign(att(t - 1, t), root)) {
                released.add(att(t - 1, t), root);
            }
        }
    }
    assert_eq!(released.slashable_pair(), None);
    running.kill();
    q.stop_cleanly();
}
