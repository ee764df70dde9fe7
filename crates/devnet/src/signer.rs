//! Who signs for a devnet validator: a key held in this process ([`LocalKeys`]), or P over its
//! remote-signing API (`crate::remote`). The devnet computes every signing root itself and
//! checks each signature it gets back against it, so a signer that answers wrongly is caught
//! where it answers.

use alloy_primitives::B256;
use blst::min_pk::SecretKey;
use lsv_consensus::containers::altair::{ContributionAndProof, SyncAggregatorSelectionData};
use lsv_consensus::containers::electra::AggregateAndProof;
use lsv_consensus::containers::{AttestationData, VoluntaryExit};
use lsv_consensus::{PublicKeyBytes, SignatureBytes};
use lsv_proofs::block::BeaconBlock;
use lsv_proofs::preset::StatePreset;
use std::collections::HashMap;

/// The message a validator is asked to sign, typed, as the remote-signing API needs it (a
/// signer that holds the key only needs the root).
#[derive(Clone, Copy, Debug)]
pub enum Message<'a, P: StatePreset> {
    /// A block proposal.
    Block(&'a BeaconBlock<P>),
    /// A RANDAO reveal.
    Randao {
        /// The epoch revealed for.
        epoch: u64,
    },
    /// An attestation.
    Attestation(&'a AttestationData),
    /// The slot signature that selects an aggregator.
    AggregationSlot {
        /// The slot.
        slot: u64,
    },
    /// An aggregate.
    AggregateAndProof(&'a AggregateAndProof<P>),
    /// A sync committee message.
    SyncCommitteeMessage {
        /// The slot.
        slot: u64,
        /// The head block root signed.
        beacon_block_root: B256,
    },
    /// A sync subcommittee aggregator selection proof.
    SyncSelection(&'a SyncAggregatorSelectionData),
    /// A sync committee contribution.
    ContributionAndProof(&'a ContributionAndProof<P>),
    /// A voluntary exit.
    VoluntaryExit(&'a VoluntaryExit),
}

/// Why a signature was not made.
#[derive(Debug, thiserror::Error)]
pub enum SignError {
    /// No key for this validator index.
    #[error("no key for validator {0}")]
    NoKey(u64),
    /// The signer refused (P's slashing protection or policy): the duty is skipped, as a
    /// validator client skips it.
    #[error("refused: {0}")]
    Refused(String),
    /// The signer could not be reached or did not answer in time.
    #[error("signer unreachable: {0}")]
    Unavailable(String),
    /// The signature does not verify against the root the devnet computed.
    #[error("the signature for validator {0} does not verify")]
    BadSignature(u64),
}

/// Signs duties for validators by index; shared by the validators signing in parallel.
pub trait Signer<P: StatePreset>: Sync {
    /// Signs `message` for validator `index` (public key `pubkey`); `root` is its signing root.
    fn sign(
        &self,
        index: u64,
        pubkey: &PublicKeyBytes,
        root: B256,
        message: Message<'_, P>,
    ) -> Result<SignatureBytes, SignError>;
}

/// The ciphersuite's domain separation tag (phase0 "BLS signatures").
const DST: &[u8] = b"BLS_SIG_BLS12381G2_XMD:SHA-256_SSWU_RO_POP_";

/// Keys held by this process, by validator index.
#[derive(Default)]
pub struct LocalKeys {
    keys: HashMap<u64, SecretKey>,
}

impl LocalKeys {
    /// Adds validator `index`'s key.
    pub fn insert(&mut self, index: u64, key: SecretKey) {
        self.keys.insert(index, key);
    }

    /// Whether the key of validator `index` is held here.
    pub fn holds(&self, index: u64) -> bool {
        self.keys.contains_key(&index)
    }
}

impl<P: StatePreset> Signer<P> for LocalKeys {
    fn sign(
        &self,
        index: u64,
        _: &PublicKeyBytes,
        root: B256,
        _: Message<'_, P>,
    ) -> Result<SignatureBytes, SignError> {
        let key = self.keys.get(&index).ok_or(SignError::NoKey(index))?;
        Ok(SignatureBytes(
            key.sign(root.as_slice(), DST, &[]).to_bytes(),
        ))
    }
}

/// BLS aggregation of signatures (`bls.Aggregate`); `None` for none or an invalid one.
pub fn aggregate_signatures<'a>(
    sigs: impl IntoIterator<Item = &'a SignatureBytes>,
) -> Option<SignatureBytes> {
    let parsed = sigs
        .into_iter()
        .map(|s| blst::min_pk::Signature::from_bytes(&s.0).ok())
        .collect::<Option<Vec<_>>>()?;
    if parsed.is_empty() {
        return None;
    }
    let refs: Vec<&blst::min_pk::Signature> = parsed.iter().collect();
    blst::min_pk::AggregateSignature::aggregate(&refs, false)
        .ok()
        .map(|a| SignatureBytes(a.to_signature().to_bytes()))
}
