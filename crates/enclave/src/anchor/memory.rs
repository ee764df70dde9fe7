//! Counters in this process's memory: the anchor's protocol with nothing durable underneath.
//!
//! Not an anchor (it dies with the process, and the host can read and write it): it exists so
//! that tests can run the protocol of [`super`] with several Ps on one anchor, interleave them
//! at will, and stop one at any step ([`MemoryCounters::fail_after`]).

use super::{AnchorCounters, AnchorError, Counter, Counters};
use parking_lot::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

/// Two counters shared by every clone of the handle.
#[derive(Clone)]
pub struct MemoryCounters {
    values: Arc<Mutex<Counters>>,
    /// Operations left before every call fails (`usize::MAX`: never).
    budget: Arc<AtomicUsize>,
}

impl MemoryCounters {
    /// Counters at `session` and `reserved`.
    pub fn new(session: u64, reserved: u64) -> Self {
        Self {
            values: Arc::new(Mutex::new(Counters { session, reserved })),
            budget: Arc::new(AtomicUsize::new(usize::MAX)),
        }
    }

    /// A handle to the same counters with its own failure budget: after `ops` more reads or
    /// single increments through it, every call fails, as if P were killed there. An advance
    /// over several values spends one operation per value, so a failure can fall between them.
    pub fn fail_after(&self, ops: usize) -> Self {
        Self {
            values: self.values.clone(),
            budget: Arc::new(AtomicUsize::new(ops)),
        }
    }

    /// The counters as they stand.
    pub fn get(&self) -> Counters {
        *self.values.lock()
    }

    fn spend(&self) -> Result<(), AnchorError> {
        self.budget
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |b| b.checked_sub(1))
            .map(|_| ())
            .map_err(|_| AnchorError::Backend {
                backend: "memory",
                message: "stopped here by the test".into(),
            })
    }
}

impl AnchorCounters for MemoryCounters {
    fn backend(&self) -> &'static str {
        "memory"
    }

    fn read(&self) -> Result<Counters, AnchorError> {
        self.spend()?;
        Ok(self.get())
    }

    /// As a TPM does it: check the value, increment one at a time, check again.
    fn advance(&self, counter: Counter, from: u64, to: u64) -> Result<bool, AnchorError> {
        let value = |c: &Counters| match counter {
            Counter::Session => c.session,
            Counter::Reserved => c.reserved,
        };
        self.spend()?;
        if value(&self.values.lock()) != from {
            return Ok(false);
        }
        for _ in from..to {
            self.spend()?;
            let mut c = self.values.lock();
            match counter {
                Counter::Session => c.session += 1,
                Counter::Reserved => c.reserved += 1,
            }
        }
        self.spend()?;
        Ok(value(&self.values.lock()) == to)
    }
}
