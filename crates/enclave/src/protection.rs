//! The slashing-protection writer: one thread owns the database and commits checks in groups.
//!
//! Every signing request that can be slashed sends its check here and waits for the verdict.
//! The thread takes whatever checks are queued, evaluates them in arrival order inside one
//! transaction and commits once, so one fsync covers many signatures (group commit) while each
//! verdict is still durable before its signature may leave P. Checks for one key are therefore
//! serialised: two conflicting requests can never both pass, whichever batch they land in.

use lsv_consensus::{PublicKeyBytes, SlashingSubject, B256};
use lsv_slashing_protection::{NotSafe, Safe, SigningCheck, SlashingDatabase};
use std::sync::mpsc;
use std::time::{Duration, Instant};
use tokio::sync::oneshot;

/// The most checks one transaction takes; bounds the latency a burst adds to its last member.
const MAX_GROUP: usize = 512;

/// Under load, how long the writer waits for more checks after the first of a group arrives.
/// Each caller computes its signature meanwhile, so the wait costs little latency, while every
/// check that joins the group saves a commit (~80 µs of CPU and an fsync). The writer sleeps
/// through it and then takes whatever queued: waking for each arrival instead (a blocking
/// receive with a timeout) cost two context switches per check. Measured with `lsv bench
/// signer` (16 clients, 2 cores): 0.4 ms gives P ~465 µs of CPU per signature, 1.6 ms ~450 µs
/// at the same throughput (the longer wait leaves cores idle more often), 3.2 ms loses
/// throughput; 1 ms sits between.
const LINGER_WHEN_BUSY: Duration = Duration::from_micros(1_000);

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
}

/// The outcome of one check: safe (and durable), refused, or the database failed (nothing may
/// be signed).
pub type Verdict = Result<Result<Safe, NotSafe>, String>;

/// A handle to the writer thread; cheap to clone.
#[derive(Clone)]
pub struct Protection {
    tx: mpsc::Sender<Command>,
}

impl Protection {
    /// Starts the writer thread, which owns `db` until every handle is dropped.
    pub fn start(db: SlashingDatabase) -> Self {
        let (tx, rx) = mpsc::channel::<Command>();
        std::thread::Builder::new()
            .name("slashing-protection".into())
            .spawn(move || writer_loop(db, rx))
            .expect("spawn slashing-protection thread");
        Self { tx }
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
            let _ = reply.send(Err("slashing-protection writer has stopped".into()));
        }
        rx
    }

    /// Runs `f` on the database between groups (administration: import, export, prune).
    pub async fn run<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut SlashingDatabase) -> T + Send + 'static,
    ) -> Result<T, String> {
        let (reply, rx) = oneshot::channel();
        let job: Job = Box::new(move |db| {
            let _ = reply.send(f(db));
        });
        self.tx
            .send(Command::Run(job))
            .map_err(|_| "slashing-protection writer has stopped".to_owned())?;
        rx.await
            .map_err(|_| "slashing-protection writer has stopped".to_owned())
    }
}

fn writer_loop(mut db: SlashingDatabase, rx: mpsc::Receiver<Command>) {
    let mut checks: Vec<SigningCheck> = Vec::with_capacity(MAX_GROUP);
    let mut replies: Vec<oneshot::Sender<Verdict>> = Vec::with_capacity(MAX_GROUP);
    // Whether a recent group had company. Only then is it worth waiting for more: a lone
    // validator client never pays the wait, a busy signer trades it for fewer fsyncs.
    let mut busy = false;
    let mut busy_groups_left = 0u32;
    loop {
        let Some(first) = next_command(&rx, if busy { Duration::ZERO } else { SPIN_WHEN_IDLE })
        else {
            break;
        };
        let deadline = Instant::now() + LINGER_WHEN_BUSY;
        let mut next = Some(first);
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
                None => {}
            }
            if checks.len() >= MAX_GROUP {
                break;
            }
            let now = Instant::now();
            next = match rx.try_recv() {
                Ok(cmd) => Some(cmd),
                Err(mpsc::TryRecvError::Empty) if busy && !checks.is_empty() && now < deadline => {
                    std::thread::sleep(deadline - now);
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
        Ok(verdicts) => {
            for (reply, verdict) in replies.drain(..).zip(verdicts) {
                let _ = reply.send(Ok(verdict));
            }
        }
        Err(e) => {
            tracing::error!(error = %e, group = checks.len(), "slashing-protection commit failed; refusing the group");
            for reply in replies.drain(..) {
                let _ = reply.send(Err(format!("slashing-protection database error: {e}")));
            }
        }
    }
    checks.clear();
}
