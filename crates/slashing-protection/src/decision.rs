//! A slashing-protection decision is a type: [`Safe`] (sign) or [`NotSafe`] (refuse, with the
//! reason). Database and I/O failures are a separate [`crate::Error`], so no caller can mistake
//! "refused" for "failed" or the other way round.

use lsv_consensus::{Epoch, PublicKeyBytes, Slot, B256};

/// The outcome of checking one message: `Ok(Safe)` means "sign it", `Err(NotSafe)` "refuse".
pub type Decision = Result<Safe, NotSafe>;

/// The message may be signed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Safe {
    /// A new message above the watermarks; it has been recorded (durable once the enclosing
    /// transaction commits).
    Valid,
    /// Exactly the message P itself signed at the current watermark (same slot or epochs, same
    /// non-zero signing root). Re-signing it yields the same signature, so it cannot be slashable;
    /// nothing is written.
    SameData,
}

/// The message must not be signed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum NotSafe {
    /// The key was never registered with this database
    /// ([`crate::SlashingDatabase::register_validators`] or an interchange import registers it).
    #[error("validator {0} is not registered with slashing protection")]
    UnregisteredValidator(PublicKeyBytes),
    /// A block proposal that could be slashable.
    #[error("block refused: {0}")]
    InvalidBlock(#[from] InvalidBlock),
    /// An attestation that could be slashable, or is not a valid attestation.
    #[error("attestation refused: {0}")]
    InvalidAttestation(#[from] InvalidAttestation),
}

/// Why a block proposal was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum InvalidBlock {
    /// A block was already signed (or imported) at exactly this slot, and this is not P's own
    /// identical message with a known signing root: signing it could be a double proposal.
    #[error("double proposal: another or an unknown block was already signed at slot {slot}")]
    DoubleProposal {
        /// The slot of the request, which equals the block watermark.
        slot: Slot,
        /// The root P signed at this slot, if P signed it and the root is known.
        recorded_root: Option<B256>,
        /// The root the request would sign.
        requested_root: B256,
    },
    /// The slot is below the highest slot already signed or imported.
    #[error("slot {slot} is below the block watermark {watermark}")]
    SlotBelowWatermark {
        /// The request's slot.
        slot: Slot,
        /// The highest slot already signed or imported.
        watermark: Slot,
    },
    /// The slot cannot be stored (above [`crate::MAX_STORABLE`]).
    #[error("slot {slot} is out of the storable range")]
    SlotOutOfRange {
        /// The request's slot.
        slot: Slot,
    },
}

/// Why an attestation was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum InvalidAttestation {
    /// `source > target`: not a valid attestation, never signed.
    #[error("source epoch {source_epoch} is greater than target epoch {target_epoch}")]
    SourceExceedsTarget {
        /// The request's source epoch.
        source_epoch: Epoch,
        /// The request's target epoch.
        target_epoch: Epoch,
    },
    /// An attestation was already signed (or imported) for this target epoch, and this is not
    /// P's own identical message with a known signing root: signing it could be a double vote.
    #[error("double vote: an attestation was already signed for target epoch {target_epoch}")]
    DoubleVote {
        /// The request's target epoch, which equals the target watermark.
        target_epoch: Epoch,
    },
    /// The target is below the highest target already signed: refused (it may be surrounded by,
    /// or surround, an earlier vote, and without history below the watermark it cannot be told).
    #[error("target epoch {target_epoch} is below the target watermark {watermark}")]
    TargetBelowWatermark {
        /// The request's target epoch.
        target_epoch: Epoch,
        /// The highest target already signed or imported.
        watermark: Epoch,
    },
    /// The source is below the highest source already signed: the vote could surround an earlier
    /// one.
    #[error("source epoch {source_epoch} is below the source watermark {watermark}")]
    SourceBelowWatermark {
        /// The request's source epoch.
        source_epoch: Epoch,
        /// The highest source already signed or imported.
        watermark: Epoch,
    },
    /// An epoch cannot be stored (above [`crate::MAX_STORABLE`]).
    #[error("epoch {epoch} is out of the storable range")]
    EpochOutOfRange {
        /// The source or target that cannot be stored.
        epoch: Epoch,
    },
}
