//! The slashing-protection writer: one thread owns the database and commits checks in groups.
//!
//! Every signing request that can be slashed sends its check here and waits for the verdict.
//! The thread takes whatever checks are queued, evaluates them in arrival order inside one
//! transaction and commits once, so one fsync covers many signatures (group commit) while each
//! verdict is still durable before its signature may leave P. Checks for one key are therefore
//! serialised: two conflicting requests can never both pass, whichever batch they land in.

use lsv_consensus::{PublicKeyBytes, SlashingSubject, B256};
use lsv_slashing_protection::{InterchangeError, NotSafe, Safe, SigningCheck, SlashingDatabase};
use std::sync::atomic::{AtomicBool, AtomicIsize, Ordering};
use std::sync::{mpsc, Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};
use tokio::sync::oneshot;

/// The most checks one transaction takes; bounds the latency a burst adds to its last member.
const MAX_GROUP: usize = 512;

/// Under load, the longest the writer waits for more checks after the first of a group arrives.
/// Each caller computes its signature meanwhile, so the wait costs little latency, while every
/// check that joins the group saves a commit (~160 µs of CPU, most of it in the kernel, and an
/// fsync). The wait ends early, or does not start, while a worker of the runtime is out of
/// work ([`Protection::on_worker_park`]): every caller it had is waiting on this group, and a
/// core would idle. Measured with `lsv bench signer` (2 cores): at 64 clients a fixed 1 ms
/// gave groups of ~6.5, P ~445 µs of CPU per signature and a ratio of 0.77–0.79; 3 ms with the
/// early end gives ~415 µs and 0.81–0.85. At 16 clients a fixed 2–3 ms left the cores idle
/// (ratio 0.60–0.74 against 0.72–0.79 at 1 ms); with the early end it is 0.75–0.78.
const LINGER_WHEN_BUSY: Duration = Duration::from_micros(3_000);

/// When lightly loaded, how long the writer polls for the next check before sleeping. A
/// sleeping thread on an idle (virtual) CPU takes tens to hundreds of microseconds to wake,
/// which a lone validator client would pay on every signature; polling briefly keeps the
/// writer ready at the cost of at most this much CPU per check. Under load the writer never
/// polls: checks queue up on their own and the CPU is worth more to signing.
const SPIN_WHEN_IDLE: Duration = Duration::from_micros(300);

/// How many groups in a row must be lone checks before the writer counts as lightly loaded.
const BUSY_MEMORY: u32 = 4;

type Job = Box<dyn FnOnce(&mut SlashingDatabase) + Send>;

enum Command {
    Check {
        check: SigningCheck,
        reply: oneshot::Sender<Verdict>,
    },
    Run(Job),
    /// Decide what is queued before this, run the job if any, close the database and end the
    /// thread.
    Close(Option<Job>),
}

/// The outcome of one check. Only [`Verdict::Safe`] lets a signature leave P.
#[derive(Debug)]
pub enum Verdict {
    /// Sign: the record is durable (or, for [`Safe::SameData`], already was).
    Safe(Safe),
    /// Refused by the slashing-protection rules: signing could be slashable.
    Refused(NotSafe),
    /// The database could not decide; nothing may be signed.
    Failed(ProtectionError),
}

/// Why P's slashing-protection database could not do what it was asked. Never a refusal (that
/// is [`NotSafe`]): the failure is P's, or, for an interchange, the file's.
#[derive(Debug, thiserror::Error)]
pub enum ProtectionError {
    /// The database could not be read or committed. A group commit that fails fails every
    /// check in the group with this one error, hence the `Arc`.
    #[error("slashing-protection database: {0}")]
    Database(#[source] Arc<lsv_slashing_protection::Error>),
    /// An interchange could not be imported (nothing was) or exported: another network's, an
    /// unsupported version, a value out of range, or its file failed.
    #[error("slashing-protection interchange: {0}")]
    Interchange(#[source] InterchangeError),
    /// The database is closed: P is stopping ([`Protection::close`]) or its writer is gone.
    #[error("the slashing-protection database is closed: P is stopping")]
    Closed,
}

impl From<lsv_slashing_protection::Error> for ProtectionError {
    fn from(e: lsv_slashing_protection::Error) -> Self {
        Self::Database(Arc::new(e))
    }
}

impl From<InterchangeError> for ProtectionError {
    /// A database failure under an interchange is a database failure.
    fn from(e: InterchangeError) -> Self {
        match e {
            InterchangeError::Database(e) => e.into(),
            e => Self::Interchange(e),
        }
    }
}

/// A handle to the writer thread; cheap to clone.
#[derive(Clone)]
pub struct Protection {
    tx: mpsc::Sender<Command>,
    linger: Arc<Linger>,
    /// The writer thread, until [`Protection::close`] joins it.
    writer: Arc<Mutex<Option<std::thread::JoinHandle<()>>>>,
}

/// What the writer's wait for a fuller group depends on: whether it is waiting, how many of
/// the runtime's workers are out of work, and the thread to wake.
struct Linger {
    waiting: AtomicBool,
    /// Workers parked now (`on_worker_park` minus `on_worker_unpark`). While one is, a core
    /// has nothing to do but the commit, so the writer does not wait.
    parked_workers: AtomicIsize,
    /// Set by the writer thread itself as it starts, before it can ever wait.
    writer: OnceLock<std::thread::Thread>,
}

impl Protection {
    /// Starts the writer thread, which owns `db` until every handle is dropped.
    pub fn start(db: SlashingDatabase) -> Self {
        let (tx, rx) = mpsc::channel::<Command>();
        let linger = Arc::new(Linger {
            waiting: AtomicBool::new(false),
            parked_workers: AtomicIsize::new(0),
            writer: OnceLock::new(),
        });
        let writer_linger = linger.clone();
        let writer = std::thread::Builder::new()
            .name("slashing-protection".into())
            .spawn(move || {
                let _ = writer_linger.writer.set(std::thread::current());
                let db = writer_loop(db, rx, &writer_linger);
                match db.close() {
                    Ok(()) => tracing::debug!("slashing-protection database closed"),
                    Err(e) => {
                        tracing::warn!(error = %e, "closing the slashing-protection database failed; the next open replays its log")
                    }
                }
            })
            .expect("spawn slashing-protection thread");
        Self {
            tx,
            linger,
            writer: Arc::new(Mutex::new(Some(writer))),
        }
    }

    /// Stops the writer: the checks and jobs queued before this call are decided and
    /// committed, then the database is checkpointed and closed, and the thread is joined, so
    /// that when this returns the file is closed and its write-ahead log is gone. Checks queued
    /// later are dropped unanswered (their callers sign nothing). Idempotent; safe from any
    /// thread but the writer's own.
    pub fn close(&self) {
        self.close_inner(None)
    }

    /// [`Protection::close`], running `last` on the database after the last check is committed
    /// and before it closes (the anchor's clean stop). Runs `last` only on the first close.
    pub fn close_with(&self, last: impl FnOnce(&mut SlashingDatabase) + Send + 'static) {
        self.close_inner(Some(Box::new(last)))
    }

    fn close_inner(&self, last: Option<Job>) {
        let Some(writer) = self
            .writer
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .take()
        else {
            return;
        };
        let _ = self.tx.send(Command::Close(last));
        if writer.join().is_err() {
            tracing::error!("the slashing-protection writer panicked");
        }
    }

    /// A hook for the moment a thread that computes signatures runs out of work: every caller
    /// it had is waiting on a verdict, so a group the writer is holding open is committed now
    /// rather than at the end of its wait. Pair it with [`Protection::on_worker_unpark`]. Cheap
    /// (an atomic add and, only while the writer waits, a wake-up); it does not keep the writer
    /// alive.
    pub fn on_worker_park(&self) -> impl Fn() + Send + Sync + 'static {
        let linger = self.linger.clone();
        move || {
            // SeqCst here and in `wait_for_group`: either this sees the writer waiting, or the
            // writer sees this worker parked and does not wait.
            linger.parked_workers.fetch_add(1, Ordering::SeqCst);
            if linger.waiting.swap(false, Ordering::SeqCst) {
                if let Some(writer) = linger.writer.get() {
                    writer.unpark();
                }
            }
        }
    }

    /// The hook for the moment a worker that parked has work again.
    pub fn on_worker_unpark(&self) -> impl Fn() + Send + Sync + 'static {
        let linger = self.linger.clone();
        move || {
            linger.parked_workers.fetch_sub(1, Ordering::SeqCst);
        }
    }

    /// Queues a check; the receiver resolves once its verdict is durable.
    pub fn check(
        &self,
        pubkey: PublicKeyBytes,
        subject: SlashingSubject,
        signing_root: B256,
    ) -> oneshot::Receiver<Verdict> {
        let (reply, rx) = oneshot::channel();
        let check = SigningCheck {
            pubkey,
            subject,
            signing_root,
        };
        if let Err(mpsc::SendError(Command::Check { reply, .. })) =
            self.tx.send(Command::Check { check, reply })
        {
            let _ = reply.send(Verdict::Failed(ProtectionError::Closed));
        }
        rx
    }

    /// Runs `f` on the database between groups (administration: import, export, prune).
    /// [`ProtectionError::Closed`] once the database is closed.
    pub async fn run<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut SlashingDatabase) -> T + Send + 'static,
    ) -> Result<T, ProtectionError> {
        let (reply, rx) = oneshot::channel();
        let job: Job = Box::new(move |db| {
            let _ = reply.send(f(db));
        });
        self.tx
            .send(Command::Run(job))
            .map_err(|_| ProtectionError::Closed)?;
        rx.await.map_err(|_| ProtectionError::Closed)
    }
}

/// Runs until every handle is gone or [`Command::Close`] arrives; returns the database to close.
fn writer_loop(
    mut db: SlashingDatabase,
    rx: mpsc::Receiver<Command>,
    linger: &Linger,
) -> SlashingDatabase {
    let mut checks: Vec<SigningCheck> = Vec::with_capacity(MAX_GROUP);
    let mut replies: Vec<oneshot::Sender<Verdict>> = Vec::with_capacity(MAX_GROUP);
    // Whether a recent group had company. Only then is it worth waiting for more: a lone
    // validator client never pays the wait, a busy signer trades it for fewer fsyncs.
    let mut busy = false;
    let mut busy_groups_left = 0u32;
    loop {
        let Some(first) = next_command(&rx, if busy { Duration::ZERO } else { SPIN_WHEN_IDLE })
        else {
            return db;
        };
        let deadline = Instant::now() + LINGER_WHEN_BUSY;
        let mut next = Some(first);
        let mut waited = false;
        loop {
            match next.take() {
                Some(Command::Check { check, reply }) => {
                    checks.push(check);
                    replies.push(reply);
                }
                Some(Command::Run(job)) => {
                    // Keep arrival order: commit the checks queued before this job first.
                    flush(&mut db, &mut checks, &mut replies);
                    job(&mut db);
                }
                Some(Command::Close(last)) => {
                    flush(&mut db, &mut checks, &mut replies);
                    if let Some(last) = last {
                        last(&mut db);
                    }
                    return db;
                }
                None => {}
            }
            if checks.len() >= MAX_GROUP {
                break;
            }
            next = match rx.try_recv() {
                Ok(cmd) => Some(cmd),
                Err(mpsc::TryRecvError::Empty) if busy && !checks.is_empty() && !waited => {
                    waited = true;
                    wait_for_group(linger, deadline);
                    rx.try_recv().ok()
                }
                Err(_) => None,
            };
            if next.is_none() {
                break;
            }
        }
        // Busy for the next few groups after any group with company: under load a lone check
        // still slips through now and then (a fifth of the groups at 64 clients), and must not
        // switch the writer to polling the queue, which takes a core's time from signing.
        if checks.len() > 1 {
            busy_groups_left = BUSY_MEMORY;
        } else {
            busy_groups_left = busy_groups_left.saturating_sub(1);
        }
        busy = busy_groups_left > 0;
        flush(&mut db, &mut checks, &mut replies);
    }
}

/// Sleeps until `deadline` or until a worker of the runtime is out of work, whichever is first.
/// Checks queue up meanwhile; the writer takes them all when it wakes.
fn wait_for_group(linger: &Linger, deadline: Instant) {
    linger.waiting.store(true, Ordering::SeqCst);
    loop {
        // `waiting` is cleared by `on_worker_park`, which then unparks this thread; a wake with
        // it still set is the timeout or a spurious wake-up.
        if linger.parked_workers.load(Ordering::SeqCst) > 0
            || !linger.waiting.load(Ordering::SeqCst)
        {
            break;
        }
        let now = Instant::now();
        if now >= deadline {
            break;
        }
        std::thread::park_timeout(deadline - now);
    }
    linger.waiting.store(false, Ordering::SeqCst);
}

/// Waits for the next command, first polling for up to `spin` before sleeping. Returns `None`
/// once every handle is gone.
fn next_command(rx: &mpsc::Receiver<Command>, spin: Duration) -> Option<Command> {
    let spin_until = Instant::now() + spin;
    loop {
        match rx.try_recv() {
            Ok(cmd) => return Some(cmd),
            Err(mpsc::TryRecvError::Disconnected) => return None,
            Err(mpsc::TryRecvError::Empty) if Instant::now() < spin_until => std::hint::spin_loop(),
            Err(mpsc::TryRecvError::Empty) => return rx.recv().ok(),
        }
    }
}

fn flush(
    db: &mut SlashingDatabase,
    checks: &mut Vec<SigningCheck>,
    replies: &mut Vec<oneshot::Sender<Verdict>>,
) {
    if checks.is_empty() {
        return;
    }
    match db.check_and_record_batch(checks) {
        Ok(decisions) => {
            for (reply, decision) in replies.drain(..).zip(decisions) {
                let _ = reply.send(match decision {
                    Ok(safe) => Verdict::Safe(safe),
                    Err(not_safe) => Verdict::Refused(not_safe),
                });
            }
        }
        Err(e) => {
            tracing::error!(error = %e, group = checks.len(), "slashing-protection commit failed; refusing the group");
            let e = Arc::new(e);
            for reply in replies.drain(..) {
                let _ = reply.send(Verdict::Failed(ProtectionError::Database(e.clone())));
            }
        }
    }
    checks.clear();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_runtime_hooks_do_not_keep_the_database_open() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("slashing-protection.sqlite");
        let gvr = B256::repeat_byte(7);
        let mut db = SlashingDatabase::open(&path, gvr).unwrap();
        db.lock_exclusively().unwrap();
        let protection = Protection::start(db);
        let (park, unpark) = (protection.on_worker_park(), protection.on_worker_unpark());
        park();
        unpark();
        drop(protection);
        // The writer closes the file once the last handle is gone; a runtime that outlives P
        // keeps only the hooks, which are not handles. Were the file still held, this open
        // would wait out SQLite's busy timeout and fail.
        let mut again = SlashingDatabase::open(&path, gvr).unwrap();
        again.lock_exclusively().unwrap();
        park();
        unpark();
    }

    /// Closing decides and commits what was queued before it, then closes the database and
    /// joins the writer: the write-ahead log is gone when `close` returns, and a later check is
    /// refused without a verdict of safety.
    #[test]
    fn close_commits_what_was_queued_and_removes_the_log() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("slashing-protection.sqlite");
        let gvr = B256::repeat_byte(7);
        let pk = PublicKeyBytes([0xa0; 48]);
        let mut db = SlashingDatabase::open(&path, gvr).unwrap();
        db.lock_exclusively().unwrap();
        db.register_validators(&[pk]).unwrap();
        let protection = Protection::start(db);
        let queued: Vec<_> = (1..=50u64)
            .map(|t| {
                let subject = SlashingSubject::Attestation {
                    source: lsv_consensus::Epoch(t - 1),
                    target: lsv_consensus::Epoch(t),
                };
                protection.check(pk, subject, B256::repeat_byte(1))
            })
            .collect();
        let other_handle = protection.clone();
        protection.close();
        let mut wal = path.as_os_str().to_owned();
        wal.push("-wal");
        assert!(
            std::fs::metadata(&wal).map_or(true, |m| m.len() == 0),
            "a write-ahead log outlived close"
        );
        for verdict in queued {
            let verdict = verdict.blocking_recv().unwrap();
            assert!(matches!(verdict, Verdict::Safe(Safe::Valid)), "{verdict:?}");
        }
        // Closed: a later check fails as closed, not as refused, and closing again is a no-op;
        // so does a job.
        let late = other_handle.check(
            pk,
            SlashingSubject::Block {
                slot: lsv_consensus::Slot(1),
            },
            B256::repeat_byte(1),
        );
        let late = late.blocking_recv().unwrap();
        assert!(
            matches!(late, Verdict::Failed(ProtectionError::Closed)),
            "{late:?}"
        );
        let job = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap()
            .block_on(other_handle.run(|db| db.registered_validators()));
        assert!(matches!(job, Err(ProtectionError::Closed)));
        other_handle.close();
        let db = SlashingDatabase::open(&path, gvr).unwrap();
        let wm = db.watermarks(&pk).unwrap().unwrap();
        assert_eq!(wm.attestation.unwrap().target, lsv_consensus::Epoch(50));
    }
}
