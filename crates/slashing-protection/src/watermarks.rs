//! Per-validator watermarks and the pure decision rules over them.
//!
//! Everything a decision needs is in [`Watermarks`]; the database only loads it, asks
//! [`Watermarks::check`], and stores the new watermarks (`Watermarks::record`). Keeping the rules
//! pure makes them testable without a database and keeps the hot path to one read and one write.

use crate::decision::{Decision, InvalidAttestation, InvalidBlock, Safe};
use crate::signing_root::SigningRoot;
use crate::MAX_STORABLE;
use lsv_consensus::{Epoch, SlashingSubject, Slot, B256};
use std::cmp::Ordering;

/// The protection state of one validator.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Watermarks {
    /// `None` until a block is signed or imported.
    pub block: Option<BlockWatermark>,
    /// `None` until an attestation is signed or imported.
    pub attestation: Option<AttestationWatermark>,
    /// Incremented on every change of this validator's watermarks: a cheap way for a reader to
    /// see that a record moved. Decisions do not use it.
    pub record_version: u64,
}

/// The highest block slot signed or imported.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BlockWatermark {
    /// The slot.
    pub slot: Slot,
    /// The non-zero signing root P itself signed at `slot`, which may be signed again. `None` if
    /// the root was zero or the watermark was reached by an import.
    pub resign_root: Option<B256>,
}

/// The highest attestation source and target signed or imported (independently: after an import
/// they need not come from the same attestation).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AttestationWatermark {
    /// The highest source epoch.
    pub source: Epoch,
    /// The highest target epoch.
    pub target: Epoch,
    /// The attestation P itself signed at `target` with a non-zero root, which may be signed
    /// again. `None` if the root was zero or the watermark was reached by an import.
    pub resign: Option<ResignableAttestation>,
}

/// The attestation P signed at the target watermark.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ResignableAttestation {
    /// Its source epoch (its target is the watermark's).
    pub source: Epoch,
    /// The non-zero root P signed.
    pub signing_root: B256,
}

impl Watermarks {
    /// Decides whether `subject` with `signing_root` may be signed. Pure: does not record.
    pub fn check(&self, subject: SlashingSubject, signing_root: B256) -> Decision {
        match subject {
            SlashingSubject::None => Ok(Safe::Valid),
            SlashingSubject::Block { slot } => Ok(self.check_block(slot, signing_root)?),
            SlashingSubject::Attestation { source, target } => {
                Ok(self.check_attestation(source, target, signing_root)?)
            }
        }
    }

    /// The block rule: above the watermark is new; at the watermark only P's own identical block
    /// (known, non-zero root) may be re-signed; below it nothing.
    pub fn check_block(&self, slot: Slot, signing_root: B256) -> Result<Safe, InvalidBlock> {
        if slot.as_u64() > MAX_STORABLE {
            return Err(InvalidBlock::SlotOutOfRange { slot });
        }
        let Some(wm) = self.block else {
            return Ok(Safe::Valid);
        };
        match slot.cmp(&wm.slot) {
            Ordering::Greater => Ok(Safe::Valid),
            Ordering::Equal if SigningRoot::from(signing_root) == wm.resign_root.into() => {
                Ok(Safe::SameData)
            }
            Ordering::Equal => Err(InvalidBlock::DoubleProposal {
                slot,
                recorded_root: wm.resign_root,
                requested_root: signing_root,
            }),
            Ordering::Less => Err(InvalidBlock::SlotBelowWatermark {
                slot,
                watermark: wm.slot,
            }),
        }
    }

    /// The attestation rule.
    ///
    /// Why `target > max_target && source >= max_source` is enough: every attestation ever signed
    /// or imported for this key has `source' <= max_source` and `target' <= max_target` (the
    /// watermarks only rise). A new `(source, target)` with `target > max_target` cannot share a
    /// target with any of them (no double vote); it cannot be surrounded by one (that needs
    /// `target < target' <= max_target`); and it cannot surround one (that needs
    /// `source < source' <= max_source`, but `source >= max_source`). At `target == max_target`
    /// only the identical message P signed there is allowed, which repeats a signature rather
    /// than making a new one.
    pub fn check_attestation(
        &self,
        source: Epoch,
        target: Epoch,
        signing_root: B256,
    ) -> Result<Safe, InvalidAttestation> {
        if source > target {
            return Err(InvalidAttestation::SourceExceedsTarget {
                source_epoch: source,
                target_epoch: target,
            });
        }
        if target.as_u64() > MAX_STORABLE {
            return Err(InvalidAttestation::EpochOutOfRange { epoch: target });
        }
        let Some(wm) = self.attestation else {
            return Ok(Safe::Valid);
        };
        match target.cmp(&wm.target) {
            Ordering::Less => Err(InvalidAttestation::TargetBelowWatermark {
                target_epoch: target,
                watermark: wm.target,
            }),
            Ordering::Equal => match wm.resign {
                // `source >= wm.source` is implied whenever the record is intact; it is checked
                // anyway so that a record left behind by an import that raised only the source
                // can never widen what is allowed.
                Some(own)
                    if own.source == source
                        && source >= wm.source
                        && SigningRoot::from(signing_root) == own.signing_root.into() =>
                {
                    Ok(Safe::SameData)
                }
                _ => Err(InvalidAttestation::DoubleVote {
                    target_epoch: target,
                }),
            },
            Ordering::Greater if source < wm.source => {
                Err(InvalidAttestation::SourceBelowWatermark {
                    source_epoch: source,
                    watermark: wm.source,
                })
            }
            Ordering::Greater => Ok(Safe::Valid),
        }
    }

    /// The watermarks after P signs `subject` following a [`Safe::Valid`] decision. The caller
    /// must only call this after `check` returned `Valid` for the same arguments.
    pub(crate) fn record(&self, subject: SlashingSubject, signing_root: B256) -> Watermarks {
        let root = SigningRoot::from(signing_root).to_option();
        let mut next = *self;
        match subject {
            SlashingSubject::None => return next,
            SlashingSubject::Block { slot } => {
                next.block = Some(BlockWatermark {
                    slot,
                    resign_root: root,
                });
            }
            SlashingSubject::Attestation { source, target } => {
                // Valid implies source >= old max source and target > old max target, so the
                // new message's epochs are the new maxima.
                next.attestation = Some(AttestationWatermark {
                    source,
                    target,
                    resign: root.map(|signing_root| ResignableAttestation {
                        source,
                        signing_root,
                    }),
                });
            }
        }
        next.record_version = next.record_version.wrapping_add(1);
        next
    }

    /// The watermarks after importing history whose maximum block slot is `max_slot` and whose
    /// maximum attestation source and target are `max_att` (EIP-3076 minification). Each
    /// watermark only ever rises; a watermark that the import reaches or passes loses its re-sign
    /// root, because an imported root never permits a re-sign.
    pub(crate) fn raise_by_import(
        &self,
        max_slot: Option<Slot>,
        max_att: Option<(Epoch, Epoch)>,
    ) -> Watermarks {
        let mut next = *self;
        if let Some(slot) = max_slot {
            next.block = Some(match self.block {
                Some(wm) if wm.slot > slot => wm,
                _ => BlockWatermark {
                    slot,
                    resign_root: None,
                },
            });
        }
        if let Some((source, target)) = max_att {
            next.attestation = Some(match self.attestation {
                None => AttestationWatermark {
                    source,
                    target,
                    resign: None,
                },
                Some(wm) => AttestationWatermark {
                    source: wm.source.max(source),
                    target: wm.target.max(target),
                    resign: wm
                        .resign
                        .filter(|own| target < wm.target && source <= own.source),
                },
            });
        }
        if next != *self {
            next.record_version = next.record_version.wrapping_add(1);
        }
        next
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn root(b: u8) -> B256 {
        B256::repeat_byte(b)
    }

    #[test]
    fn empty_watermarks_allow_anything_well_formed() {
        let wm = Watermarks::default();
        assert_eq!(wm.check_block(Slot(0), B256::ZERO), Ok(Safe::Valid));
        assert_eq!(
            wm.check_attestation(Epoch(0), Epoch(0), B256::ZERO),
            Ok(Safe::Valid)
        );
        assert_eq!(
            wm.check_attestation(Epoch(2), Epoch(1), B256::ZERO),
            Err(InvalidAttestation::SourceExceedsTarget {
                source_epoch: Epoch(2),
                target_epoch: Epoch(1)
            })
        );
        assert_eq!(
            wm.check_block(Slot(MAX_STORABLE + 1), root(1)),
            Err(InvalidBlock::SlotOutOfRange {
                slot: Slot(MAX_STORABLE + 1)
            })
        );
    }

    #[test]
    fn record_then_resign_only_identical_nonzero() {
        let wm = Watermarks::default();
        let wm = wm.record(SlashingSubject::Block { slot: Slot(5) }, root(1));
        assert_eq!(wm.check_block(Slot(5), root(1)), Ok(Safe::SameData));
        assert!(wm.check_block(Slot(5), root(2)).is_err());
        let wm = wm.record(SlashingSubject::Block { slot: Slot(6) }, B256::ZERO);
        assert!(wm.check_block(Slot(6), B256::ZERO).is_err());
        assert_eq!(wm.record_version, 2);
    }

    #[test]
    fn import_raises_and_clears_resign_roots() {
        let wm = Watermarks::default()
            .record(SlashingSubject::Block { slot: Slot(10) }, root(1))
            .record(
                SlashingSubject::Attestation {
                    source: Epoch(3),
                    target: Epoch(5),
                },
                root(2),
            );
        // Lower import: nothing changes, roots kept.
        let lower = wm.raise_by_import(Some(Slot(9)), Some((Epoch(2), Epoch(4))));
        assert_eq!(lower, wm);
        // Equal import: watermarks unchanged but re-sign roots cleared.
        let equal = wm.raise_by_import(Some(Slot(10)), Some((Epoch(3), Epoch(5))));
        assert_eq!(equal.block.unwrap().slot, Slot(10));
        assert_eq!(equal.block.unwrap().resign_root, None);
        assert_eq!(equal.attestation.unwrap().resign, None);
        // Raising only the source clears the attestation re-sign record.
        let src = wm.raise_by_import(None, Some((Epoch(4), Epoch(4))));
        let att = src.attestation.unwrap();
        assert_eq!(
            (att.source, att.target, att.resign),
            (Epoch(4), Epoch(5), None)
        );
        assert!(src.check_attestation(Epoch(3), Epoch(5), root(2)).is_err());
    }
}
