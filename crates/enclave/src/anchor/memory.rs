//! Counters in this process's memory, and a wrapper that stops any counters part-way: the
//! anchor's protocol with nothing durable underneath, and P killed at any step of it.
//!
//! Not an anchor (it dies with the process, and the host can read and write it): it exists so
//! that tests can run the protocol of [`super`] with several Ps on one anchor, interleave them
//! at will, and stop one at any step ([`FailAfter`], which also wraps the `tpm2` counters).

use super::{AnchorCounters, AnchorError, Counter, Counters};
use parking_lot::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

/// Two counters shared by every clone of the handle.
#[derive(Clone)]
pub struct MemoryCounters {
    values: Arc<Mutex<Counters>>,
}

impl MemoryCounters {
    /// Counters at `session` and `reserved`.
    pub fn new(session: u64, reserved: u64) -> Self {
        Self {
            values: Arc::new(Mutex::new(Counters {
                session,
                reserved,
                retired: 0,
            })),
        }
    }

    /// The counters as they stand.
    pub fn get(&self) -> Counters {
        *self.values.lock()
    }
}

impl AnchorCounters for MemoryCounters {
    fn backend(&self) -> &'static str {
        "memory"
    }

    fn read(&self) -> Result<Counters, AnchorError> {
        Ok(self.get())
    }

    /// Under one lock: nothing can move the counter in between.
    fn advance(&self, counter: Counter, from: u64, to: u64) -> Result<bool, AnchorError> {
        let mut values = self.values.lock();
        if values.get(counter) != from {
            return Ok(false);
        }
        values.set(counter, to);
        Ok(true)
    }
}

/// Counters that fail every call once a budget of operations is spent: P killed at that step.
/// A read is one operation; an advance is one for its start, one per value it moves the counter
/// by (each its own write, through the wrapped counters' `advance` of one), and one for its last
/// read, so a kill can fall before, between or after the writes.
pub struct FailAfter<C> {
    inner: C,
    budget: AtomicUsize,
}

impl<C: AnchorCounters> FailAfter<C> {
    /// `inner`, failing after `ops` operations.
    pub fn new(inner: C, ops: usize) -> Self {
        Self {
            inner,
            budget: AtomicUsize::new(ops),
        }
    }

    /// Whether the budget ran out (the kill happened).
    pub fn spent(&self) -> bool {
        self.budget.load(Ordering::SeqCst) == 0
    }

    fn spend(&self) -> Result<(), AnchorError> {
        self.budget
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |b| b.checked_sub(1))
            .map(|_| ())
            .map_err(|_| AnchorError::Backend {
                backend: self.inner.backend(),
                message: "P was killed here (by the test)".into(),
            })
    }
}

impl<C: AnchorCounters> AnchorCounters for FailAfter<C> {
    fn backend(&self) -> &'static str {
        self.inner.backend()
    }

    fn read(&self) -> Result<Counters, AnchorError> {
        self.spend()?;
        self.inner.read()
    }

    fn advance(&self, counter: Counter, from: u64, to: u64) -> Result<bool, AnchorError> {
        self.spend()?;
        for value in from..to {
            if !self.inner.advance(counter, value, value + 1)? {
                return Ok(false);
            }
            self.spend()?;
        }
        self.spend()?;
        Ok(self.inner.read()?.get(counter) == to)
    }
}
