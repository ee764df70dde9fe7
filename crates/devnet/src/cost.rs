//! Where a devnet's time goes: for each costly part of a slot, the time spent in it and the
//! number of times it ran, summed over the threads that ran it, since the process started.
//! Global counters, as a consensus client's metrics are (Lighthouse times block processing the
//! same way); `lsv bench devnet` reads them around a run. Nothing the devnet does depends on
//! them, and a clock read costs tens of nanoseconds against the milliseconds of what is timed.
//! A remote signer's requests are timed by the signer itself ([`crate::remote::RemoteStats`]).

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// A timed part of the devnet's work.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Part {
    /// BLS signing with the keys held in this process.
    BlsSign,
    /// BLS verification (each batch: [`crate::spec::bls::verify_batch`]).
    BlsVerify,
    /// `hash_tree_root` of a whole beacon state.
    StateHash,
    /// The execution layer's block building (anvil's JSON-RPC).
    Execution,
}

impl Part {
    /// Every part, in report order.
    pub const ALL: [Part; PARTS] = [
        Part::BlsSign,
        Part::BlsVerify,
        Part::StateHash,
        Part::Execution,
    ];

    /// A short name for reports.
    pub fn name(self) -> &'static str {
        match self {
            Part::BlsSign => "BLS signing (local keys)",
            Part::BlsVerify => "BLS verification",
            Part::StateHash => "state hash_tree_root",
            Part::Execution => "execution layer (anvil)",
        }
    }
}

/// How many parts there are.
const PARTS: usize = 4;

static NANOS: [AtomicU64; PARTS] = [const { AtomicU64::new(0) }; PARTS];
static CALLS: [AtomicU64; PARTS] = [const { AtomicU64::new(0) }; PARTS];

/// Runs `f`, counting its time against `part`.
pub fn time<T>(part: Part, f: impl FnOnce() -> T) -> T {
    let started = Instant::now();
    let out = f();
    let nanos = u64::try_from(started.elapsed().as_nanos()).unwrap_or(u64::MAX);
    NANOS[part as usize].fetch_add(nanos, Ordering::Relaxed);
    CALLS[part as usize].fetch_add(1, Ordering::Relaxed);
    out
}

/// The counters at one moment; two make the cost of what ran between them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Costs {
    nanos: [u64; PARTS],
    calls: [u64; PARTS],
}

impl Costs {
    /// The counters now.
    pub fn now() -> Self {
        Self {
            nanos: std::array::from_fn(|i| NANOS[i].load(Ordering::Relaxed)),
            calls: std::array::from_fn(|i| CALLS[i].load(Ordering::Relaxed)),
        }
    }

    /// What was counted after `earlier`.
    pub fn since(&self, earlier: &Costs) -> Costs {
        Self {
            nanos: std::array::from_fn(|i| self.nanos[i].saturating_sub(earlier.nanos[i])),
            calls: std::array::from_fn(|i| self.calls[i].saturating_sub(earlier.calls[i])),
        }
    }

    /// Time spent in `part`, summed over threads.
    pub fn time(&self, part: Part) -> Duration {
        Duration::from_nanos(self.nanos[part as usize])
    }

    /// How many times `part` ran.
    pub fn calls(&self, part: Part) -> u64 {
        self.calls[part as usize]
    }
}
