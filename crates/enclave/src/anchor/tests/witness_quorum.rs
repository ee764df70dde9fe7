//! The `witness` backend: real witnesses (their key sealed, their records in SQLite) reached
//! through an in-process network the host controls (which witness answers which request, and
//! which witness's record it restores from an old copy). HTTP itself is covered by
//! `crates/cli/tests/anchor.rs`. The invariant is the one of the parent module: no slashable
//! pair among all signatures, while at most `f` witnesses are rolled back; at `f + 1` the test
//! shows the pair that becomes possible.

use super::*;
use crate::anchor::witness::{
    self, quorum, Op, Witness, WitnessCounters, WitnessEndpoint, WitnessRequest, WitnessTransport,
    WITNESS_DB_FILE, WITNESS_PATH,
};
use crate::keystore::Kdf;
use crate::sealer::DevSealer;
use std::collections::BTreeSet;

/// One witness: its data directory, the running witness, and a saved copy of its record.
struct Host {
    dir: tempfile::TempDir,
    witness: Mutex<Option<Arc<Witness>>>,
    saved: PathBuf,
}

impl Host {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let saved = dir.path().join("saved.sqlite");
        let host = Self {
            dir,
            witness: Mutex::new(None),
            saved,
        };
        host.start();
        host
    }

    fn start(&self) {
        let sealer = DevSealer::open(self.dir.path(), Kdf::Pbkdf2 { c: 1 }).unwrap();
        *self.witness.lock() = Some(Arc::new(Witness::open(self.dir.path(), &sealer).unwrap()));
    }

    fn witness(&self) -> Arc<Witness> {
        self.witness.lock().clone().unwrap()
    }

    /// The host keeps a copy of the witness's record (stopped first, so the copy is whole).
    fn save(&self) {
        *self.witness.lock() = None;
        self.checkpointed_copy(&self.db(), &self.saved);
        self.start();
    }

    /// The host restarts the witness on its saved copy.
    fn roll_back(&self) {
        *self.witness.lock() = None;
        for suffix in ["-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", self.db().display()));
        }
        std::fs::copy(&self.saved, self.db()).unwrap();
        self.start();
    }

    fn db(&self) -> PathBuf {
        self.dir.path().join(WITNESS_DB_FILE)
    }

    fn checkpointed_copy(&self, from: &Path, to: &Path) {
        let db = rusqlite::Connection::open(from).unwrap();
        db.execute_batch("PRAGMA wal_checkpoint(TRUNCATE);")
            .unwrap();
        drop(db);
        std::fs::copy(from, to).unwrap();
    }
}

/// The network between P and its witnesses, as the host runs it: requests travel as JSON to
/// `http://w{i}`, and the host decides which witnesses are reachable.
struct Network {
    hosts: Vec<Host>,
    reachable: Mutex<BTreeSet<usize>>,
}

impl Network {
    fn new(n: usize) -> Arc<Self> {
        Arc::new(Self {
            hosts: (0..n).map(|_| Host::new()).collect(),
            reachable: Mutex::new((0..n).collect()),
        })
    }

    fn reach_only(&self, witnesses: &[usize]) {
        *self.reachable.lock() = witnesses.iter().copied().collect();
    }

    fn endpoints(&self) -> Vec<WitnessEndpoint> {
        self.hosts
            .iter()
            .enumerate()
            .map(|(i, h)| WitnessEndpoint {
                address: h.witness().address(),
                url: format!("http://w{i}"),
            })
            .collect()
    }

    fn witness_of<'a>(&self, url: &'a str) -> Result<(usize, &'a str), String> {
        let rest = url.strip_prefix("http://w").ok_or("no such host")?;
        let digits = rest.find('/').unwrap_or(rest.len());
        let i: usize = rest[..digits].parse().map_err(|_| "no such host")?;
        if !self.reachable.lock().contains(&i) {
            return Err("connection refused".into());
        }
        Ok((i, &rest[digits..]))
    }
}

impl WitnessTransport for Network {
    fn get(&self, url: &str) -> Result<Vec<u8>, String> {
        let (i, _) = self.witness_of(url)?;
        Ok(serde_json::to_vec(&self.hosts[i].witness().identity().unwrap()).unwrap())
    }

    fn post(&self, url: &str, body: Vec<u8>) -> Result<Vec<u8>, String> {
        let (i, path) = self.witness_of(url)?;
        let record: B256 = path
            .strip_prefix(&format!("{WITNESS_PATH}/"))
            .ok_or("no such route")?
            .parse()
            .map_err(|_| "not a record")?;
        let request: WitnessRequest = serde_json::from_slice(&body).map_err(|e| e.to_string())?;
        let answer = self.hosts[i]
            .witness()
            .answer(record, &request)
            .map_err(|e| e.to_string())?;
        Ok(serde_json::to_vec(&answer).unwrap())
    }
}

/// The record's counters on a quorum of `network`'s witnesses (`faults` may be rolled back),
/// moved to where [`config`]'s origin expects them.
fn counters(network: &Arc<Network>, faults: usize) -> Arc<dyn AnchorCounters> {
    let n = network.hosts.len();
    let record = B256::repeat_byte(0x77);
    let counters = WitnessCounters::new(
        record,
        network.endpoints(),
        n,
        quorum(n, faults).unwrap(),
        network.clone(),
    );
    assert!(counters.advance(Counter::Session, 0, 1).unwrap());
    assert!(counters.advance(Counter::Reserved, 0, 7).unwrap());
    Arc::new(counters)
}

#[test]
fn a_witness_accepts_each_value_once_durably_and_signs_what_it_did() {
    let host = Host::new();
    let witness = host.witness();
    let record = B256::repeat_byte(1);
    let ask = |op| {
        let request = WitnessRequest {
            nonce: B256::repeat_byte(9),
            op,
        };
        witness.answer(record, &request).unwrap()
    };
    let advance = |from, to| Op::Advance {
        counter: Counter::Reserved,
        from,
        to,
    };
    assert_eq!((ask(Op::Read).session, ask(Op::Read).reserved), (0, 0));
    assert!(ask(advance(0, 3)).accepted);
    assert!(!ask(advance(2, 4)).accepted, "3 is taken: (2, 4] overlaps");
    assert!(
        ask(advance(5, 6)).accepted,
        "a witness that missed moves catches up"
    );
    assert_eq!(ask(Op::Read).reserved, 6);
    assert!(
        witness
            .answer(
                record,
                &WitnessRequest {
                    nonce: B256::ZERO,
                    op: advance(6, 6)
                }
            )
            .is_err(),
        "an advance that does not move is refused"
    );

    // Durable: a restarted witness remembers; its key is the same (sealed in its directory).
    let address = witness.address();
    drop(witness);
    host.start();
    assert_eq!(host.witness().address(), address);
    let answer = host
        .witness()
        .answer(
            record,
            &WitnessRequest {
                nonce: B256::repeat_byte(3),
                op: Op::Read,
            },
        )
        .unwrap();
    assert_eq!(answer.reserved, 6);

    // The answer is signed over what it says: a host that edits it is caught.
    let network = Arc::new(Network {
        hosts: vec![host],
        reachable: Mutex::new([0].into()),
    });
    let counters = WitnessCounters::new(record, network.endpoints(), 1, 1, network.clone());
    assert_eq!(counters.read().unwrap().reserved, 6);
    struct Lying(Arc<Network>);
    impl WitnessTransport for Lying {
        fn get(&self, url: &str) -> Result<Vec<u8>, String> {
            self.0.get(url)
        }
        fn post(&self, url: &str, body: Vec<u8>) -> Result<Vec<u8>, String> {
            let mut answer: serde_json::Value =
                serde_json::from_slice(&self.0.post(url, body)?).unwrap();
            answer["reserved"] = 2.into();
            Ok(serde_json::to_vec(&answer).unwrap())
        }
    }
    let lied_to = WitnessCounters::new(
        record,
        network.endpoints(),
        1,
        1,
        Arc::new(Lying(network.clone())),
    );
    let e = lied_to.read().unwrap_err().to_string();
    assert!(e.contains("not signed by witness"), "{e}");
}

#[test]
fn quorums_intersect_in_more_than_f_witnesses() {
    for n in 1..=9 {
        for f in 0..n {
            match quorum(n, f) {
                Ok(q) => {
                    assert!(q <= n);
                    assert!(2 * q > n + f, "n {n} f {f} q {q}");
                    assert!(
                        q == 1 || 2 * (q - 1) <= n + f,
                        "the smallest such quorum: n {n} f {f} q {q}"
                    );
                }
                Err(_) => assert!(n + f >= 2 * n, "n {n} f {f} is possible"),
            }
        }
    }
    assert_eq!(quorum(4, 1).unwrap(), 3);
    assert_eq!(quorum(3, 0).unwrap(), 2);
    assert_eq!(quorum(3, 1).unwrap(), 3, "no witness may be down");
    assert!(quorum(3, 3).is_err());
    // The default tolerates as many rolled back as the quorum allows.
    for n in 1..=9 {
        let f = witness::default_faults(n);
        let q = quorum(n, f).unwrap();
        assert_eq!(2 * q, n + f + 1, "n {n}: f {f} is all that q {q} tolerates");
    }
}

/// The attacks of the parent module against a witness quorum: a restored copy, two copies, one
/// witness down (signing goes on), too many down (nothing is signed, and nothing is lost).
#[test]
fn a_quorum_of_witnesses_refuses_a_restored_copy_and_a_clone() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sp.sqlite");
    let saved = dir.path().join("saved.sqlite");
    let clone = dir.path().join("clone.sqlite");
    let network = Network::new(3);
    let counters = counters(&network, 0);
    let rt = runtime();
    let mut released = Released::default();

    let node = open_on(&path, counters.clone(), 2).unwrap();
    node.stop_cleanly();
    copy(&path, &saved);
    let node = open_on(&path, counters.clone(), 2).unwrap();
    assert_eq!(node.anchor.status().start, StartKind::Trusted);
    for e in 100..104 {
        assert!(rt.block_on(node.sign(att(e - 1, e), root(e))));
        released.add(att(e - 1, e), root(e));
    }
    // One witness down: a quorum of two still answers.
    network.reach_only(&[0, 2]);
    assert!(rt.block_on(node.sign(att(104, 106), root(106))));
    released.add(att(104, 106), root(106));
    // Two down: no reservation, no signature, nothing lost.
    network.reach_only(&[2]);
    assert!(!rt.block_on(node.sign(att(106, 109), root(109))));
    network.reach_only(&[0, 1, 2]);
    node.stop_cleanly();

    // The restored copy: closed cleanly once, but the witnesses have moved since.
    copy(&saved, &path);
    copy(&saved, &clone);
    let restored = open_on(&path, counters.clone(), 2).unwrap();
    assert_eq!(restored.anchor.status().start, StartKind::Raised);
    let cloned = open_on(&clone, counters.clone(), 2).unwrap();
    let mut n = 1000;
    for e in 100..116 {
        for node in [&restored, &cloned] {
            n += 1;
            if rt.block_on(node.sign(att(e - 1, e), root(n))) {
                released.add(att(e - 1, e), root(n));
            }
        }
    }
    assert_eq!(released.slashable_pair(), None);
    assert!(restored.anchor.status().superseded);
    restored.stop_cleanly();
    cloned.stop_cleanly();
}

/// A host that restores `rolled_back` witnesses from a copy taken before the first P signed,
/// and routes each copy of P to the witnesses it likes: with `rolled_back <= f` the second copy
/// is raised past what the first signed; with one more, it signs the conflicting vote.
fn roll_back_witnesses(n: usize, f: usize, rolled_back: usize) -> Option<String> {
    let dir = tempfile::tempdir().unwrap();
    let a_path = dir.path().join("a.sqlite");
    let b_path = dir.path().join("b.sqlite");
    let network = Network::new(n);
    let counters = counters(&network, f);
    let q = quorum(n, f).unwrap();
    let rt = runtime();
    let node = open_on(&a_path, counters.clone(), 2).unwrap();
    node.stop_cleanly();
    copy(&a_path, &b_path);
    for host in &network.hosts[..rolled_back] {
        host.save();
    }
    let mut released = Released::default();

    // Copy A runs against the first q witnesses (the rolled-back ones among them).
    let first: Vec<usize> = (0..q).collect();
    network.reach_only(&first);
    let a = open_on(&a_path, counters.clone(), 2).unwrap();
    assert!(rt.block_on(a.sign(att(99, 100), root(1))));
    released.add(att(99, 100), root(1));
    a.kill();

    // The host rolls back the first `rolled_back` witnesses and starts copy B against them and
    // as many of the others as a quorum needs, preferring those A never reached.
    for host in &network.hosts[..rolled_back] {
        host.roll_back();
    }
    let mut second: Vec<usize> = (0..rolled_back).chain(q..n).collect();
    second.extend((rolled_back..q).take(q.saturating_sub(second.len())));
    network.reach_only(&second);
    let b = open_on(&b_path, counters, 2).unwrap();
    if rt.block_on(b.sign(att(99, 100), root(2))) {
        released.add(att(99, 100), root(2));
    }
    b.kill();
    released.slashable_pair()
}

#[test]
fn witnesses_rolled_back_within_f_are_tolerated_and_one_more_is_not() {
    for (n, f) in [(3, 0), (4, 1), (5, 2), (7, 2)] {
        assert_eq!(roll_back_witnesses(n, f, f), None, "n {n} f {f}");
        assert!(
            roll_back_witnesses(n, f, f + 1).is_some(),
            "n {n} f {f}: one witness more than f rolled back lets a copy sign again"
        );
    }
}

/// A witness that was down when P started is used once it is back: when another one goes down
/// later, P still finds a quorum.
#[test]
fn a_witness_down_at_start_is_used_once_it_is_back() {
    let network = Network::new(3);
    let endpoints = network.endpoints();
    let known: Vec<lsv_consensus::Address> = endpoints.iter().map(|e| e.address).collect();
    let counters = WitnessCounters::new(
        B256::repeat_byte(0x78),
        endpoints[..2].to_vec(),
        3,
        2,
        network.clone(),
    )
    .retrying(known, vec![endpoints[2].url.clone()]);
    network.reach_only(&[0, 1]);
    assert!(counters.advance(Counter::Reserved, 0, 3).unwrap());
    network.reach_only(&[1, 2]);
    assert_eq!(counters.read().unwrap().reserved, 3);
    assert!(counters.advance(Counter::Reserved, 3, 4).unwrap());
    network.reach_only(&[2]);
    assert!(counters.read().is_err(), "one witness is no quorum");
}
