//! The freshness anchor: P refuses to be rolled back or cloned (DESIGN.md, "Freshness").
//!
//! Sealing gives secrecy, not freshness. The host can restart P on yesterday's copy of its data
//! directory, or start two copies at once, and either way obtain two signatures for one epoch
//! with no enclave broken. The anchor is a set of monotonic counters the host cannot rewind and
//! only P can move ([`AnchorCounters`]: a TPM's NV counters under a secret sealed inside P,
//! [`tpm2`]; or a quorum of other Ps, [`witness`]), and this module is the protocol that ties
//! the slashing record to them. One anchor covers every key of a data directory.
//!
//! # The protocol
//!
//! The **reservation counter** maps to epochs: its value `v` means that epochs below
//! `first_epoch + (v - origin) × reserve_epochs` may have been signed by someone. A P signs a
//! block or attestation only in an epoch it has *reserved*: it reads the counter at `v`, moves
//! it to `v + n` ([`AnchorCounters::advance`] succeeds only if nobody else moved it in
//! between), and so owns the `n × reserve_epochs` epochs above `v`'s end alone. Two Ps on one
//! anchor (a clone) therefore reserve disjoint runs of epochs. Whenever a P's new run does not
//! continue its previous one (someone else reserved in between), it first raises every key's
//! watermarks to the new run's start ([`SlashingDatabase::commit_anchor_record`]), so nothing it
//! signs can conflict with what the other signed below. That is what covers a copy opened while
//! another was half-way through a reservation: its floor was taken before the other's run
//! existed, and its first reservation finds the counter moved. The record of the run (counter
//! values, epochs) is committed in the same database transaction as the watermarks.
//!
//! The **session counter** tells a complete record from a stale one. Each start of P moves it
//! on by one (exclusively, as above) and marks the record open; a clean stop moves it once more
//! and marks the record closed at that value. At the next start the record is trusted as it is
//! only if it is closed at exactly the anchor's current session and reservation values: nothing
//! has happened since that record was complete. Otherwise (a copy taken while P ran, a copy of
//! a record another instance has since moved past, a crash, a record from before the anchor)
//! every watermark is raised to the end of everything ever reserved before P signs anything. The
//! cost of an unclean stop is at most `reserve_epochs + 1` epochs without signing, the same wait
//! Lighthouse's doppelganger protection takes on every start; a clean restart costs nothing.
//!
//! **Reserve ahead, touch rarely.** While signing in the last epoch of its run, P reserves the
//! next `reserve_epochs` in the background, so the anchor is touched once per `reserve_epochs`
//! epochs and a signature waits for it only when a request jumps past the run.
//!
//! **Moving to another anchor** ([`move_anchor`]): the third counter, *retirement*, is moved
//! once by a move, after which no P starts or reserves on the anchor; the move carries the
//! reservation counter's end into the new anchor as every watermark's floor.
//!
//! **Kill at any step.** Every counter move happens before the record that relies on it is
//! committed, and a record is trusted only if it is closed at the anchor's exact values: a P
//! killed between the two finds an open (or outdated) record at its next start and raises its
//! watermarks past everything reserved. Nothing is lost and nothing stays blocked beyond that.

mod config;
pub mod memory;
#[cfg(feature = "tpm2")]
pub mod tpm2;
pub mod witness;

pub use config::{
    AnchorConfig, AnchorFile, BackendConfig, Origin, Previous, ANCHOR_FILE, NEXT_ANCHOR_FILE,
};

use crate::protection::{Protection, ProtectionError};
use crate::sealer::Sealer;
use lsv_consensus::{Epoch, B256};
use lsv_slashing_protection::{AnchorFloor, AnchorRecord, SlashingDatabase};
use parking_lot::Mutex;
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;

/// How many times a start or a reservation retries when another P moves the anchor under it.
const ATTEMPTS: usize = 3;

/// The default `reserve_epochs`: the anchor is touched about once per four epochs (~26 minutes
/// on mainnet), and an unclean stop costs at most five epochs of duties.
pub const DEFAULT_RESERVE_EPOCHS: u64 = 4;

/// What P says when it runs without an anchor: `lsv signer` at start, and `/healthcheck`.
pub const NO_ANCHOR_WARNING: &str = "no freshness anchor (--anchor none): slashing safety \
    assumes a host that never restarts P on an old copy of its data directory and never runs \
    two copies of it at once; run with --anchor tpm2 to have P refuse both";

/// Which anchor P runs with.
pub enum AnchorChoice {
    /// None: slashing safety assumes an honest host ([`NO_ANCHOR_WARNING`]). Refused on a
    /// record already bound to an anchor.
    None,
    /// Two NV counters of a TPM 2.0, made on first start ([`tpm2`]).
    #[cfg(feature = "tpm2")]
    Tpm2 {
        /// How to reach the TPM ([`tpm2::DEFAULT_TCTI`]).
        tcti: String,
        /// The session counter's NV index on first start (the reservation counter takes the
        /// next); afterwards the anchor's file decides.
        nv_index: u32,
        /// Epochs per reservation step on first start; afterwards the anchor's file decides.
        reserve_epochs: u64,
    },
    /// Counters kept by a quorum of other Ps, made on first start ([`witness`]).
    Witness {
        /// Where the witnesses are (`http://host:port`), as the host says: each is asked who it
        /// is, and only those the anchor names are used.
        urls: Vec<String>,
        /// How many witnesses may be rolled back by their hosts, on first start (default
        /// [`witness::default_faults`]); afterwards the anchor's file decides.
        faults: Option<usize>,
        /// Epochs per reservation step on first start; afterwards the anchor's file decides.
        reserve_epochs: u64,
        /// The network to them.
        transport: Arc<dyn witness::WitnessTransport>,
    },
    /// Given counters and configuration, without a file (tests and simulations).
    Counters {
        /// The counters.
        counters: Arc<dyn AnchorCounters>,
        /// Their configuration, with its origin.
        config: AnchorConfig,
    },
}

/// Starts the anchor P was configured with on its open database (see [`Anchor::start`]):
/// `None` for [`AnchorChoice::None`], after refusing a record that is bound to an anchor.
pub(crate) fn start(
    choice: AnchorChoice,
    data_dir: &Path,
    sealer: &dyn Sealer,
    db: &mut SlashingDatabase,
    slots_per_epoch: u64,
    now: Epoch,
) -> Result<Option<Anchor>, AnchorError> {
    let bound = db.anchor_record()?.map(|r| r.anchor_id);
    if let Some(next) = AnchorFile::load_named(data_dir, NEXT_ANCHOR_FILE, sealer)? {
        if Some(next.config.id()) == bound {
            return Err(AnchorError::MoveUnfinished(next.config.id()));
        }
    }
    let Some((counters, config, _)) = open(choice, data_dir, ANCHOR_FILE, sealer, bound, now)?
    else {
        if let Some(id) = bound {
            return Err(AnchorError::Unanchored(
                id,
                "P was started without one (--anchor none)",
            ));
        }
        // The signer warns at its start (and in /healthcheck); a one-shot command that opens
        // P (an export, a prune) reports through its own output.
        tracing::info!("{NO_ANCHOR_WARNING}");
        return Ok(None);
    };
    Anchor::start(counters, config, db, slots_per_epoch).map(Some)
}

/// What [`open`] finds: the counters, their configuration and, for the backends that keep
/// one, the anchor's file.
type Opened = (Arc<dyn AnchorCounters>, AnchorConfig, Option<AnchorFile>);

/// The counters `choice` names and their configuration, from `<data_dir>/<file>` (made, with
/// the counters, if the file does not exist yet and `bound` is `None`: a record bound to an
/// anchor whose file is gone is refused, not given a new one); `None` for
/// [`AnchorChoice::None`].
fn open(
    choice: AnchorChoice,
    data_dir: &Path,
    file: &str,
    sealer: &dyn Sealer,
    bound: Option<B256>,
    now: Epoch,
) -> Result<Option<Opened>, AnchorError> {
    // (Only a backend that keeps a file uses these; without the `tpm2` feature, `Counters`
    // alone may not.)
    let _ = (data_dir, file, sealer, bound, now);
    Ok(Some(match choice {
        AnchorChoice::None => return Ok(None),
        #[cfg(feature = "tpm2")]
        AnchorChoice::Tpm2 {
            tcti,
            nv_index,
            reserve_epochs,
        } => {
            let path = data_dir.join(file);
            let mut anchor_file = match AnchorFile::load_named(data_dir, file, sealer)? {
                Some(f) => f,
                None => {
                    if let Some(id) = bound {
                        return Err(AnchorError::Unanchored(id, "its anchor.json is missing"));
                    }
                    let index = |n: u32| {
                        nv_index.checked_add(n).ok_or(AnchorError::File {
                            path: path.clone(),
                            message: format!("NV index {nv_index:#x} has no successor"),
                        })
                    };
                    check_reserve_epochs(&path, reserve_epochs)?;
                    let config = AnchorConfig {
                        backend: BackendConfig::Tpm2 {
                            session_index: nv_index,
                            reserved_index: index(1)?,
                            retired_index: Some(index(2)?),
                        },
                        reserve_epochs,
                        origin: None,
                        previous: None,
                    };
                    AnchorFile::create(data_dir, file, sealer, config)?
                }
            };
            let BackendConfig::Tpm2 {
                session_index,
                reserved_index,
                retired_index,
            } = anchor_file.config.backend
            else {
                return Err(AnchorError::File {
                    path,
                    message: "this anchor is not a TPM's".into(),
                });
            };
            if session_index != nv_index || anchor_file.config.reserve_epochs != reserve_epochs {
                tracing::info!(
                    session_index = format_args!("{session_index:#010x}"),
                    reserve_epochs = anchor_file.config.reserve_epochs,
                    "anchor: the anchor keeps the configuration it was made with"
                );
            }
            let counters = Arc::new(tpm2::Tpm2Counters::new(
                &tcti,
                session_index,
                reserved_index,
                retired_index,
                anchor_file.derive("tpm2-nv-auth"),
            ));
            if anchor_file.config.origin.is_none() {
                let first = counters.provision()?;
                anchor_file.set_origin(Origin {
                    reserved: first.reserved,
                    first_epoch: now.as_u64(),
                    retired: first.retired,
                })?;
            }
            let config = anchor_file.config.clone();
            (
                counters as Arc<dyn AnchorCounters>,
                config,
                Some(anchor_file),
            )
        }
        AnchorChoice::Witness {
            urls,
            faults,
            reserve_epochs,
            transport,
        } => open_witness(
            data_dir,
            file,
            sealer,
            bound,
            now,
            &urls,
            faults,
            reserve_epochs,
            transport,
        )?,
        AnchorChoice::Counters { counters, config } => (counters, config, None),
    }))
}

fn check_reserve_epochs(path: &Path, reserve_epochs: u64) -> Result<(), AnchorError> {
    if reserve_epochs == 0 {
        return Err(AnchorError::File {
            path: path.to_owned(),
            message: "reserve_epochs must be at least 1".into(),
        });
    }
    Ok(())
}

/// The `witness` part of [`open`]: makes the anchor on first start (every witness must answer
/// then), and afterwards finds the anchor's witnesses among the URLs given.
#[allow(
    clippy::too_many_arguments,
    reason = "the one caller passes its choice apart"
)]
fn open_witness(
    data_dir: &Path,
    file_name: &str,
    sealer: &dyn Sealer,
    bound: Option<B256>,
    now: Epoch,
    urls: &[String],
    faults: Option<usize>,
    reserve_epochs: u64,
    transport: Arc<dyn witness::WitnessTransport>,
) -> Result<Opened, AnchorError> {
    let path = data_dir.join(file_name);
    let identities = witness::identify(&*transport, urls);
    let mut file = match AnchorFile::load_named(data_dir, file_name, sealer)? {
        Some(file) => file,
        None => {
            if let Some(id) = bound {
                return Err(AnchorError::Unanchored(id, "its anchor.json is missing"));
            }
            if urls.is_empty() {
                return Err(AnchorError::File {
                    path,
                    message: "the witness anchor needs its witnesses (--anchor-witness URL)".into(),
                });
            }
            let mut witnesses = Vec::new();
            for (url, identity) in urls.iter().zip(&identities) {
                let address = identity.as_ref().map_err(|e| AnchorError::File {
                    path: path.clone(),
                    message: format!(
                        "witness {url}: {e} (every witness must answer when the anchor is made)"
                    ),
                })?;
                if witnesses.contains(&address.address) {
                    return Err(AnchorError::File {
                        path,
                        message: format!("witness {} is given twice", address.address),
                    });
                }
                witnesses.push(address.address);
            }
            let faults = faults.unwrap_or(witness::default_faults(witnesses.len()));
            witness::quorum(witnesses.len(), faults)?;
            check_reserve_epochs(&path, reserve_epochs)?;
            let mut record = B256::ZERO;
            getrandom::fill(record.as_mut_slice()).map_err(|e| AnchorError::File {
                path: path.clone(),
                message: format!("no randomness: {e}"),
            })?;
            let config = AnchorConfig {
                backend: BackendConfig::Witness {
                    record,
                    witnesses,
                    faults,
                },
                reserve_epochs,
                origin: None,
                previous: None,
            };
            AnchorFile::create(data_dir, file_name, sealer, config)?
        }
    };
    let BackendConfig::Witness {
        record,
        ref witnesses,
        faults,
    } = file.config.backend
    else {
        return Err(AnchorError::File {
            path,
            message: "this anchor is not a witness quorum".into(),
        });
    };
    let quorum = witness::quorum(witnesses.len(), faults)?;
    let mut endpoints: Vec<witness::WitnessEndpoint> = Vec::new();
    let mut unresolved = Vec::new();
    for (url, identity) in urls.iter().zip(identities) {
        match identity {
            Ok(identity)
                if witnesses.contains(&identity.address)
                    && !endpoints.iter().any(|e| e.address == identity.address) =>
            {
                endpoints.push(witness::WitnessEndpoint {
                    address: identity.address,
                    url: url.clone(),
                })
            }
            Ok(identity) => tracing::warn!(
                url, address = %identity.address,
                "anchor: this witness is not one of the anchor's (or given twice); not used"
            ),
            Err(e) => {
                tracing::warn!(url, error = %e, "anchor: witness not reachable; asked again later");
                unresolved.push(url.clone());
            }
        }
    }
    if endpoints.len() < quorum {
        let missing: Vec<String> = witnesses
            .iter()
            .filter(|w| !endpoints.iter().any(|e| e.address == **w))
            .map(|w| w.to_string())
            .collect();
        return Err(AnchorError::Backend {
            backend: "witness",
            message: format!(
                "{} of the anchor's {} witnesses answered at the URLs given, {quorum} needed; \
                 not reached: {}",
                endpoints.len(),
                witnesses.len(),
                missing.join(", ")
            ),
        });
    }
    if endpoints.len() < witnesses.len() {
        tracing::warn!(
            reached = endpoints.len(),
            witnesses = witnesses.len(),
            quorum,
            "anchor: not every witness is reachable; signing continues while a quorum answers"
        );
    }
    let counters = Arc::new(
        witness::WitnessCounters::new(record, endpoints, witnesses.len(), quorum, transport)
            .retrying(witnesses.clone(), unresolved),
    );
    if file.config.origin.is_none() {
        let first = counters.read()?;
        file.set_origin(Origin {
            reserved: first.reserved,
            first_epoch: now.as_u64(),
            retired: first.retired,
        })?;
    }
    Ok((counters, file.config.clone(), Some(file)))
}

/// What [`move_anchor`] did.
#[derive(Clone, Copy, Debug, serde::Serialize)]
pub struct Moved {
    /// The anchor the record moved from (now retired).
    pub from: B256,
    /// The anchor it moved to.
    pub to: B256,
    /// Every key's watermarks start here: the end of everything ever reserved on the old
    /// anchor.
    pub floor: Epoch,
    /// Key records rebound from the old anchor to the new one.
    pub keys_rebound: usize,
    /// Whether this finished a move an earlier run had started.
    pub resumed: bool,
}

/// Moves the slashing record from its anchor (reached as `from` says) to a new one (`to`), on
/// a data directory no P is running on (the caller holds its lock). The old anchor's final
/// value is carried into the new one under P's control, and no path forks the record:
///
/// 1. P opens a session on the old anchor ([`Anchor::start`]: a record that was not closed
///    cleanly is raised first), makes the new anchor in `anchor.next.json` and records in it
///    the move's session on the old one ([`Previous`]).
/// 2. P *retires* the old anchor: moves its retirement counter by one, exclusively. From then
///    on no P starts on it, and a reservation that finds it retired right after moving the
///    reservation counter signs nothing, so every reservation that led to a signature was made
///    before the retirement.
/// 3. P reads the old anchor again: if its session is still the move's, no other P started on
///    it during the move (a P started before the move is superseded and, should it retire the
///    anchor first, refuses to move on because of the same check). The reservation counter
///    now bounds everything any copy ever signed under the old anchor.
/// 4. In one commit, the record is bound to the new anchor and every watermark raised to the
///    end of that bound; then the key records are rebound (`rebind(old, new)`) and
///    `anchor.next.json` is renamed to `anchor.json`.
///
/// A run stopped at any step is finished by running the move again: before step 2 it starts
/// afresh (the old anchor still serves); after it, the retired anchor and the session recorded
/// in `anchor.next.json` show that this move retired it; after step 4's commit, only the
/// rebinding and the rename are left. Refused: a move to no anchor, a move of a record bound
/// to no anchor, and a move that another P's start interrupted (the old anchor is then retired
/// and this record can no longer sign: a host that runs copies of P during a move loses the
/// key's duties, never its protection).
#[allow(
    clippy::too_many_arguments,
    reason = "one call site, which passes P's parts apart"
)]
pub(crate) fn move_anchor(
    from: AnchorChoice,
    to: AnchorChoice,
    data_dir: &Path,
    sealer: &dyn Sealer,
    db: &mut SlashingDatabase,
    slots_per_epoch: u64,
    now: Epoch,
    rebind: &mut dyn FnMut(B256, B256) -> Result<usize, String>,
) -> Result<Moved, AnchorError> {
    let record = db.anchor_record()?.ok_or_else(|| {
        AnchorError::Move(
            "this data directory has no anchor to move from (start P once with --anchor tpm2 \
             or --anchor witness to make one)"
                .into(),
        )
    })?;
    let next = AnchorFile::load_named(data_dir, NEXT_ANCHOR_FILE, sealer)?;
    if let Some(next) = next.filter(|n| n.config.id() == record.anchor_id) {
        // Step 4's commit is done: rebind and rename.
        let previous = next.config.previous.ok_or_else(|| {
            AnchorError::Move("anchor.next.json names no anchor it moves from".into())
        })?;
        return finish_move(next, previous, record.window_end, data_dir, rebind, true);
    }
    if matches!(to, AnchorChoice::None) {
        return Err(AnchorError::Move(
            "a record cannot move to no anchor: an old copy of the data directory could then \
             sign beside it"
                .into(),
        ));
    }
    let Some((old, old_config, _)) = open(
        from,
        data_dir,
        ANCHOR_FILE,
        sealer,
        Some(record.anchor_id),
        now,
    )?
    else {
        return Err(AnchorError::Unanchored(
            record.anchor_id,
            "the anchor to move from was not given (--anchor)",
        ));
    };
    let old_id = old_config.id();
    if old_id != record.anchor_id {
        return Err(AnchorError::OtherAnchor {
            record: record.anchor_id,
            configured: old_id,
        });
    }
    let live_value = old_config.origin.map_or(0, |o| o.retired);
    let before = old.read()?;
    let (next, previous, resumed) = if before.retired == live_value {
        // Steps 1 and 2.
        let session = Anchor::start(old.clone(), old_config.clone(), db, slots_per_epoch)?
            .record
            .lock()
            .session;
        let mut next = open_next(to, data_dir, sealer, now)?;
        let previous = Previous {
            anchor: old_id,
            session,
            retired: live_value,
        };
        next.set_previous(previous)?;
        if !old.advance(Counter::Retired, live_value, next_value(live_value)?)? {
            return Err(AnchorError::Move(
                "another P retired the old anchor first (a copy of this data directory moving \
                 it too): this record may not move, and can no longer sign"
                    .into(),
            ));
        }
        tracing::info!(anchor = %old_id, "anchor move: the old anchor is retired");
        (next, previous, false)
    } else {
        // Retired: by this move, if the new anchor's file names this session of it.
        let next = AnchorFile::load_named(data_dir, NEXT_ANCHOR_FILE, sealer)?
            .filter(|n| {
                n.config
                    .previous
                    .is_some_and(|p| p.anchor == old_id && p.retired == live_value)
            })
            .ok_or(AnchorError::Retired(old_id))?;
        let previous = next.config.previous.expect("checked above");
        (next, previous, true)
    };
    // Step 3.
    let after = old.read()?;
    if after.session != previous.session || after.retired != previous.retired + 1 {
        return Err(AnchorError::Move(format!(
            "another P opened the old anchor during the move (its session is {}, the move's {}; \
             retirement counter {}): the old anchor is retired, and this move cannot show it \
             retired it alone, so this record can no longer sign",
            after.session, previous.session, after.retired
        )));
    }
    let floor = old_config.epoch_end(after.reserved)?;
    let new_id = next.config.id();
    let origin = next
        .config
        .origin
        .ok_or_else(|| AnchorError::Move("the new anchor was never finished (no origin)".into()))?;
    // Step 4: open, so that the new anchor's first start raises to its own end as well.
    let moved = AnchorRecord {
        anchor_id: new_id,
        session: 0,
        reserved: origin.reserved,
        closed: false,
        window_start: floor,
        window_end: floor,
    };
    db.commit_anchor_record(
        &moved,
        Some(AnchorFloor {
            epoch: floor,
            slots_per_epoch,
        }),
    )?;
    tracing::info!(from = %old_id, to = %new_id, %floor, "anchor move: the record is bound to the new anchor");
    finish_move(next, previous, floor, data_dir, rebind, resumed)
}

/// The end of a move: the key records rebound and the new anchor's file put in place.
fn finish_move(
    next: AnchorFile,
    previous: Previous,
    floor: Epoch,
    data_dir: &Path,
    rebind: &mut dyn FnMut(B256, B256) -> Result<usize, String>,
    resumed: bool,
) -> Result<Moved, AnchorError> {
    let to = next.config.id();
    let keys_rebound = rebind(previous.anchor, to).map_err(AnchorError::Move)?;
    next.install(data_dir)?;
    Ok(Moved {
        from: previous.anchor,
        to,
        floor,
        keys_rebound,
        resumed,
    })
}

/// The new anchor of a move, in `anchor.next.json`: the one an earlier attempt made, if it is
/// of the backend asked for, or a new one.
fn open_next(
    to: AnchorChoice,
    data_dir: &Path,
    sealer: &dyn Sealer,
    now: Epoch,
) -> Result<AnchorFile, AnchorError> {
    if let AnchorChoice::Counters { config, .. } = &to {
        // Given counters keep no file of their own: the move keeps their configuration in one.
        let existing = AnchorFile::load_named(data_dir, NEXT_ANCHOR_FILE, sealer)?;
        return match existing {
            Some(f) if f.config.backend == config.backend => Ok(f),
            _ => AnchorFile::create(data_dir, NEXT_ANCHOR_FILE, sealer, config.clone()),
        };
    }
    if let Some(existing) = AnchorFile::load_named(data_dir, NEXT_ANCHOR_FILE, sealer)? {
        let same_kind = matches!(
            (&existing.config.backend, &to),
            (BackendConfig::Witness { .. }, AnchorChoice::Witness { .. })
        );
        #[cfg(feature = "tpm2")]
        let same_kind = same_kind
            || matches!(
                (&existing.config.backend, &to),
                (BackendConfig::Tpm2 { .. }, AnchorChoice::Tpm2 { .. })
            );
        if !same_kind {
            // Nothing depends on it yet: the old anchor is not retired (the caller checked).
            std::fs::remove_file(data_dir.join(NEXT_ANCHOR_FILE)).map_err(|e| {
                AnchorError::File {
                    path: data_dir.join(NEXT_ANCHOR_FILE),
                    message: e.to_string(),
                }
            })?;
        }
    }
    let (_, _, file) = open(to, data_dir, NEXT_ANCHOR_FILE, sealer, None, now)?
        .ok_or_else(|| AnchorError::Move("no anchor to move to".into()))?;
    file.ok_or_else(|| AnchorError::Move("the new anchor keeps no file".into()))
}

/// One of the anchor's counters.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Counter {
    /// Moved by one at every start and clean stop of P.
    Session,
    /// Moved to reserve epochs.
    Reserved,
    /// Moved once, when the record moves to another anchor ([`move_anchor`]): from then on no P
    /// reserves on this one.
    Retired,
}

/// The counters as read from the anchor.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counters {
    /// The session counter.
    pub session: u64,
    /// The reservation counter.
    pub reserved: u64,
    /// The retirement counter (0 for an anchor made before anchors could move).
    pub retired: u64,
}

impl Counters {
    /// The value of `counter`.
    pub fn get(&self, counter: Counter) -> u64 {
        match counter {
            Counter::Session => self.session,
            Counter::Reserved => self.reserved,
            Counter::Retired => self.retired,
        }
    }

    /// `counter` set to `value`.
    pub fn set(&mut self, counter: Counter, value: u64) {
        match counter {
            Counter::Session => self.session = value,
            Counter::Reserved => self.reserved = value,
            Counter::Retired => self.retired = value,
        }
    }
}

/// A monotonic anchor: counters the host can neither rewind nor move without P.
///
/// Implementations verify every answer (a TPM's response HMACs, a witness's signature): a host
/// that answers in the anchor's place, or replays an old answer, gets an error, never a value.
pub trait AnchorCounters: Send + Sync {
    /// The backend's name (`tpm2`, `memory`).
    fn backend(&self) -> &'static str;

    /// Both counters, authenticated.
    fn read(&self) -> Result<Counters, AnchorError>;

    /// Moves `counter` from `from` to `to` (`to > from`). `Ok(true)` means this call alone moved
    /// it: it was at `from` and nothing else moved it until it reached `to`, so no other advance
    /// can ever succeed over any value in `(from, to]`. `Ok(false)` means another P moved it
    /// (the counter may have moved some of the way anyway: values are never reused).
    fn advance(&self, counter: Counter, from: u64, to: u64) -> Result<bool, AnchorError>;
}

/// Shared counters are counters (a test wraps the one handle a P also holds).
impl<C: AnchorCounters + ?Sized> AnchorCounters for Arc<C> {
    fn backend(&self) -> &'static str {
        (**self).backend()
    }
    fn read(&self) -> Result<Counters, AnchorError> {
        (**self).read()
    }
    fn advance(&self, counter: Counter, from: u64, to: u64) -> Result<bool, AnchorError> {
        (**self).advance(counter, from, to)
    }
}

/// Why the anchor could not start, reserve or close.
#[derive(Debug, thiserror::Error)]
pub enum AnchorError {
    /// The anchor's backend failed or its answer did not verify (for a TPM: an authorization
    /// or response-HMAC failure means something other than P's TPM index answered).
    #[error("anchor {backend}: {message}")]
    Backend {
        /// The backend.
        backend: &'static str,
        /// What failed.
        message: String,
    },
    /// Another P kept moving the anchor while this one tried to.
    #[error(
        "the anchor moved under this P {ATTEMPTS} times in a row: another P (a clone of this \
         data directory) is using the same anchor"
    )]
    Contended,
    /// Another P started on this anchor after this one: this P reserves no more epochs.
    #[error(
        "another P opened this anchor after this one started (session {theirs}, ours {ours}): \
         a copy of this data directory is running; this P signs nothing beyond the epochs it \
         reserved"
    )]
    Superseded {
        /// This P's session.
        ours: u64,
        /// The anchor's.
        theirs: u64,
    },
    /// The slashing record is bound to another anchor than the one configured.
    #[error(
        "the slashing record is bound to anchor {record}, the configured anchor is {configured}: \
         starting would fork the record"
    )]
    OtherAnchor {
        /// The record's anchor.
        record: B256,
        /// The configured one.
        configured: B256,
    },
    /// The slashing record is bound to an anchor, but none is configured or its file is gone.
    #[error(
        "the slashing record is bound to anchor {0}, but {1}: starting without it could fork \
         the record (a host that rolled the record back would not be caught)"
    )]
    Unanchored(B256, &'static str),
    /// The anchor's file is missing, unreadable, tampered with, or of another backend.
    #[error("anchor file {path}: {message}")]
    File {
        /// The file.
        path: std::path::PathBuf,
        /// What is wrong.
        message: String,
    },
    /// The slashing-protection database failed.
    #[error(transparent)]
    Database(#[from] lsv_slashing_protection::Error),
    /// The slashing-protection writer failed or is closed.
    #[error(transparent)]
    Protection(#[from] ProtectionError),
    /// A key was made under another anchor than the one P runs with (or P runs without one):
    /// its slashing record belongs to that anchor.
    #[error(
        "key {pubkey} was made under anchor {key_anchor}, and this P runs {running}: its \
         slashing record belongs to that anchor, and signing without it could fork the record"
    )]
    KeyOfAnotherAnchor {
        /// The key.
        pubkey: lsv_consensus::PublicKeyBytes,
        /// The anchor it was made under.
        key_anchor: B256,
        /// What P runs with.
        running: String,
    },
    /// A request for an epoch so far ahead that the reservation counter cannot express it.
    #[error("epoch {0} is beyond what the anchor can reserve")]
    EpochOutOfRange(Epoch),
    /// The anchor was retired: the record moved to another anchor, and this is an old copy of
    /// the data directory (or the move is half-done: `lsv anchor move` finishes it).
    #[error(
        "anchor {0} is retired: the slashing record moved to another anchor (lsv anchor move), \
         so this data directory is a copy from before the move and may not sign; if a move \
         from this directory was cut short, run `lsv anchor move` again to finish it"
    )]
    Retired(B256),
    /// A move of the record to another anchor is half-done.
    #[error(
        "a move of the slashing record to anchor {0} is half-done (anchor.next.json): run \
         `lsv anchor move` again to finish it"
    )]
    MoveUnfinished(B256),
    /// A move was refused, or found it cannot finish.
    #[error("anchor move: {0}")]
    Move(String),
}

/// How the start found the record.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StartKind {
    /// Closed cleanly at the anchor's exact values: used as it is.
    Trusted,
    /// Possibly stale: every watermark was raised to the end of everything reserved.
    Raised,
}

/// What `/healthcheck` and `lsv status` say about the anchor.
#[derive(Clone, Debug, serde::Serialize)]
pub struct AnchorStatus {
    /// The backend (`tpm2`).
    pub backend: &'static str,
    /// The anchor's identity (a hash of its configuration).
    pub anchor_id: B256,
    /// How this start found the record.
    pub start: StartKind,
    /// The first epoch of the run this P reserved.
    pub window_start: Epoch,
    /// The first epoch it has not reserved.
    pub window_end: Epoch,
    /// Epochs per reservation step.
    pub reserve_epochs: u64,
    /// Set once another P has opened the anchor after this one.
    pub superseded: bool,
}

/// The anchor of a running P: the backend, its configuration, and the record this P holds.
pub struct Anchor {
    counters: Arc<dyn AnchorCounters>,
    config: AnchorConfig,
    id: B256,
    slots_per_epoch: u64,
    start: StartKind,
    /// The record as last committed (counter values, the run of epochs reserved).
    record: Mutex<AnchorRecord>,
    /// `record.window_end`, for the signing path to read without a lock. Only ever rises.
    window_end: AtomicU64,
    /// Serialises reservations (one at a time touches the anchor).
    reserving: tokio::sync::Mutex<()>,
    /// A background reservation is in flight.
    reserving_ahead: AtomicBool,
    superseded: AtomicBool,
}

impl Anchor {
    /// Starts the anchor on `db` before P signs anything (the start protocol of the module
    /// docs): opens a session and either trusts the record or raises every watermark to the end
    /// of everything reserved, in one commit.
    pub fn start(
        counters: Arc<dyn AnchorCounters>,
        config: AnchorConfig,
        db: &mut SlashingDatabase,
        slots_per_epoch: u64,
    ) -> Result<Self, AnchorError> {
        let id = config.id();
        let local = db.anchor_record()?;
        if let Some(local) = local.filter(|l| l.anchor_id != id) {
            return Err(AnchorError::OtherAnchor {
                record: local.anchor_id,
                configured: id,
            });
        }
        for _ in 0..ATTEMPTS {
            let now = counters.read()?;
            config.check_live(id, &now)?;
            let trusted = local
                .filter(|l| l.closed && l.session == now.session && l.reserved == now.reserved);
            if !counters.advance(Counter::Session, now.session, next_value(now.session)?)? {
                continue;
            }
            let session = now.session + 1;
            let (record, floor, start) = match trusted {
                Some(l) => (
                    AnchorRecord {
                        session,
                        closed: false,
                        ..l
                    },
                    None,
                    StartKind::Trusted,
                ),
                None => {
                    let end = config.epoch_end(now.reserved)?;
                    let record = AnchorRecord {
                        anchor_id: id,
                        session,
                        reserved: now.reserved,
                        closed: false,
                        window_start: end,
                        window_end: end,
                    };
                    let floor = AnchorFloor {
                        epoch: end,
                        slots_per_epoch,
                    };
                    (record, Some(floor), StartKind::Raised)
                }
            };
            let raised = db.commit_anchor_record(&record, floor)?;
            match start {
                StartKind::Trusted => tracing::info!(
                    backend = counters.backend(), %id, session,
                    window_end = %record.window_end,
                    "anchor: the record was closed cleanly at the anchor's values; signing from it"
                ),
                StartKind::Raised => tracing::warn!(
                    backend = counters.backend(), %id, session, keys_raised = raised,
                    floor = %record.window_end,
                    "anchor: the record was not closed cleanly at the anchor's values (a crash, \
                     a restored copy, a clone, or a new anchor); every key's watermarks now \
                     start at the end of everything reserved"
                ),
            }
            return Ok(Self {
                counters,
                id,
                slots_per_epoch,
                start,
                window_end: AtomicU64::new(record.window_end.as_u64()),
                record: Mutex::new(record),
                config,
                reserving: tokio::sync::Mutex::new(()),
                reserving_ahead: AtomicBool::new(false),
                superseded: AtomicBool::new(false),
            });
        }
        Err(AnchorError::Contended)
    }

    /// The anchor's identity.
    pub fn id(&self) -> B256 {
        self.id
    }

    /// What the anchor reports about itself.
    pub fn status(&self) -> AnchorStatus {
        let record = *self.record.lock();
        AnchorStatus {
            backend: self.counters.backend(),
            anchor_id: self.id,
            start: self.start,
            window_start: record.window_start,
            window_end: record.window_end,
            reserve_epochs: self.config.reserve_epochs,
            superseded: self.superseded.load(Ordering::Relaxed),
        }
    }

    /// Admits a slashable message in `epoch` (a block's epoch, an attestation's target): returns
    /// once `epoch` lies in the run this P reserved, reserving it first if it does not. In the
    /// run's last epoch the next step is reserved in the background.
    pub async fn admit(
        self: &Arc<Self>,
        epoch: Epoch,
        protection: &Protection,
    ) -> Result<(), AnchorError> {
        let end = self.window_end.load(Ordering::Acquire);
        if epoch.as_u64() < end {
            if epoch.as_u64() + 1 >= end && !self.reserving_ahead.swap(true, Ordering::AcqRel) {
                let anchor = self.clone();
                let protection = protection.clone();
                tokio::spawn(async move {
                    match anchor.reserve(Epoch(end), &protection).await {
                        Ok(()) => {}
                        // P stopped meanwhile: its record keeps the run it had, and the next
                        // start sees the counter past it and raises.
                        Err(AnchorError::Protection(ProtectionError::Closed)) => tracing::info!(
                            "anchor: P stopped while reserving ahead; the next start raises"
                        ),
                        Err(e) => tracing::warn!(error = %e, "anchor: reserving ahead failed"),
                    }
                    anchor.reserving_ahead.store(false, Ordering::Release);
                });
            }
            return Ok(());
        }
        self.reserve(epoch, protection).await
    }

    /// Reserves through `epoch` and one step beyond, unless that is already done.
    async fn reserve(&self, epoch: Epoch, protection: &Protection) -> Result<(), AnchorError> {
        let _one_at_a_time = self.reserving.lock().await;
        if epoch.as_u64() < self.window_end.load(Ordering::Acquire) {
            return Ok(());
        }
        for _ in 0..ATTEMPTS {
            let ours = *self.record.lock();
            let counters = self.counters.clone();
            let now = tokio::task::spawn_blocking(move || counters.read())
                .await
                .map_err(|e| self.backend_error(e.to_string()))??;
            if now.session != ours.session {
                self.superseded.store(true, Ordering::Relaxed);
                return Err(AnchorError::Superseded {
                    ours: ours.session,
                    theirs: now.session,
                });
            }
            let end = self.config.epoch_end(now.reserved)?;
            // Steps to cover `epoch` and the one after it: from the run's last epoch this
            // reserves exactly one step, so the anchor is touched once per step.
            let steps = epoch
                .as_u64()
                .saturating_add(2)
                .saturating_sub(end.as_u64())
                .div_ceil(self.config.reserve_epochs)
                .max(1);
            let to = now
                .reserved
                .checked_add(steps)
                .ok_or(AnchorError::EpochOutOfRange(epoch))?;
            let new_end = self.config.epoch_end(to)?;
            let counters = self.counters.clone();
            let from = now.reserved;
            let moved =
                tokio::task::spawn_blocking(move || counters.advance(Counter::Reserved, from, to))
                    .await
                    .map_err(|e| self.backend_error(e.to_string()))??;
            if !moved {
                continue;
            }
            // A move retires the anchor, then reads where reservations stand: a reservation
            // that finds it live afterwards was made before the retirement, and so is below
            // the floor the move carries over.
            let counters = self.counters.clone();
            let after = tokio::task::spawn_blocking(move || counters.read())
                .await
                .map_err(|e| self.backend_error(e.to_string()))??;
            self.config.check_live(self.id, &after)?;
            // Another P reserved since our last step: our run starts afresh above theirs.
            let contiguous = now.reserved == ours.reserved;
            let record = AnchorRecord {
                reserved: to,
                window_start: if contiguous { ours.window_start } else { end },
                window_end: new_end,
                ..ours
            };
            let floor = (!contiguous).then_some(AnchorFloor {
                epoch: end,
                slots_per_epoch: self.slots_per_epoch,
            });
            protection
                .run(move |db| db.commit_anchor_record(&record, floor))
                .await??;
            *self.record.lock() = record;
            self.window_end
                .store(record.window_end.as_u64(), Ordering::Release);
            if contiguous {
                tracing::debug!(window_end = %new_end, "anchor: reserved ahead");
            } else {
                tracing::warn!(
                    floor = %end, window_end = %new_end,
                    "anchor: another P reserved epochs since this one's last step; watermarks \
                     raised above them"
                );
            }
            return Ok(());
        }
        Err(AnchorError::Contended)
    }

    /// The clean stop, run on the database after its last check (see
    /// [`Protection::close_with`]): moves the session on and marks the record closed at it, so
    /// the next start may trust it. If another P has opened the anchor since, or the anchor
    /// cannot be reached, the record stays open and the next start raises.
    pub fn close(&self, db: &mut SlashingDatabase) {
        let ours = *self.record.lock();
        let result = (|| {
            let now = self.counters.read()?;
            if now.session != ours.session {
                return Ok(false);
            }
            if !self
                .counters
                .advance(Counter::Session, now.session, next_value(now.session)?)?
            {
                return Ok(false);
            }
            let closed = AnchorRecord {
                session: now.session + 1,
                closed: true,
                ..ours
            };
            db.commit_anchor_record(&closed, None)?;
            Ok::<_, AnchorError>(true)
        })();
        match result {
            Ok(true) => tracing::info!(
                session = ours.session + 1,
                "anchor: closed cleanly; the next start signs from this record"
            ),
            Ok(false) => tracing::warn!(
                "anchor: another P opened this anchor meanwhile; the record stays open and the \
                 next start raises its watermarks"
            ),
            Err(e) => tracing::warn!(
                error = %e,
                "anchor: could not close cleanly; the next start raises its watermarks"
            ),
        }
    }

    fn backend_error(&self, message: String) -> AnchorError {
        AnchorError::Backend {
            backend: self.counters.backend(),
            message,
        }
    }
}

fn next_value(v: u64) -> Result<u64, AnchorError> {
    v.checked_add(1).ok_or(AnchorError::Backend {
        backend: "anchor",
        message: "the session counter is exhausted".into(),
    })
}

#[cfg(test)]
mod tests;
