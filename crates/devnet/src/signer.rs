//! Who signs for a devnet validator: a key held in this process ([`LocalKeys`]), or a P (the
//! devnet's own, or an operator's) over its remote-signing API (`crate::remote`). The devnet computes every signing root itself and
//! checks each signature it gets back against it, so a signer that answers wrongly is caught
//! where it answers.

use crate::cost::Part;
use alloy_primitives::B256;
use blst::min_pk::SecretKey;
use lsv_consensus::containers::altair::{ContributionAndProof, SyncAggregatorSelectionData};
use lsv_consensus::containers::electra::AggregateAndProof;
use lsv_consensus::containers::{AttestationData, VoluntaryExit};
use lsv_consensus::{PublicKeyBytes, SignatureBytes};
use lsv_proofs::block::BeaconBlock;
use lsv_proofs::preset::StatePreset;
use std::collections::HashMap;
use std::sync::Mutex;

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
    /// The validator's duty is missed: its signer is an operator's and is down (or answered
    /// 5xx, or did not answer in time), or no signer holds its key. The node skips the duty and
    /// the chain goes on, as a network goes on without a validator whose client is offline.
    #[error("missed: {0}")]
    Missed(String),
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

    /// Checks the signatures handed out since the last call without being checked (a remote
    /// signer's answers, verified in one batch rather than one by one); the node calls this at
    /// the end of every slot. `Err(BadSignature(validator))` names one that does not verify.
    fn check_answers(&self) -> Result<(), SignError> {
        Ok(())
    }

    /// Whether validator `index`'s signer is expected to answer now; `false` where a request
    /// would be [`SignError::Missed`] (its operator's signer known to be down, or no signer
    /// holding its key). The node builds no execution payload ahead for a proposer that would
    /// miss its slot.
    fn reachable(&self, index: u64, pubkey: &PublicKeyBytes) -> bool {
        let _ = (index, pubkey);
        true
    }
}

/// The ciphersuite's domain separation tag (phase0 "BLS signatures").
const DST: &[u8] = b"BLS_SIG_BLS12381G2_XMD:SHA-256_SSWU_RO_POP_";

/// Keys held by this process, by validator index.
///
/// A signature is `sk · H(root)`, `H` hashing to G2: blst's `SecretKey::sign` computes exactly
/// those two steps, and so does this signer, with blst's own functions, but keeps `H(root)`
/// for the next key that signs the same root. The validators of a committee all sign one
/// attestation root and the whole sync committee one block root, and hashing to G2 is about
/// half of a signature's cost, so an epoch's signing costs about two thirds of signing each
/// message from scratch. The signatures are the same bytes (a test holds this).
#[derive(Default)]
pub struct LocalKeys {
    keys: HashMap<u64, Scalar>,
    /// `H(root)` of the roots signed lately.
    hashed: Mutex<HashMap<B256, blst::blst_p2>>,
}

/// A secret key as the scalar blst multiplies by.
struct Scalar(blst::blst_scalar);

/// The most roots whose hash is kept (a slot of a large devnet signs some hundreds; then the
/// memory starts again).
const HASHED_ROOTS: usize = 4096;

impl LocalKeys {
    /// Adds validator `index`'s key.
    pub fn insert(&mut self, index: u64, key: SecretKey) {
        let mut scalar = blst::blst_scalar::default();
        let bytes = key.to_bytes();
        // SAFETY: `scalar` is a valid, writable `blst_scalar`, and `bytes` the 32 readable
        // bytes this call reads; blst keeps neither pointer after returning.
        unsafe { blst::blst_scalar_from_bendian(&mut scalar, bytes.as_ptr()) };
        self.keys.insert(index, Scalar(scalar));
    }

    /// Whether the key of validator `index` is held here.
    pub fn holds(&self, index: u64) -> bool {
        self.keys.contains_key(&index)
    }

    /// `H(root)`: hash-to-curve into G2 with the ciphersuite's tag, as `SecretKey::sign` does.
    fn hash(&self, root: B256) -> blst::blst_p2 {
        if let Some(point) = self.hashed.lock().expect("not poisoned").get(&root) {
            return *point;
        }
        let mut point = blst::blst_p2::default();
        // SAFETY: `point` is a valid, writable `blst_p2`; the message and tag pointers come
        // with their slices' lengths; no augmentation (a null pointer with length 0, as blst
        // reads none). blst keeps no pointer after returning.
        unsafe {
            blst::blst_hash_to_g2(
                &mut point,
                root.as_ptr(),
                root.len(),
                DST.as_ptr(),
                DST.len(),
                std::ptr::null(),
                0,
            )
        };
        let mut hashed = self.hashed.lock().expect("not poisoned");
        if hashed.len() >= HASHED_ROOTS {
            hashed.clear();
        }
        hashed.insert(root, point);
        point
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
        Ok(crate::cost::time(Part::BlsSign, || {
            let hash = self.hash(root);
            let mut signature = blst::blst_p2::default();
            let mut bytes = [0u8; 96];
            // SAFETY: every pointer is to a valid value of the type blst expects (`signature`
            // and `bytes` writable, `bytes` the 96 bytes of a compressed G2 point), none
            // overlapping; blst keeps no pointer after returning.
            unsafe {
                blst::blst_sign_pk_in_g1(&mut signature, &hash, &key.0);
                blst::blst_p2_compress(bytes.as_mut_ptr(), &signature);
            }
            SignatureBytes(bytes)
        }))
    }

    fn reachable(&self, index: u64, _: &PublicKeyBytes) -> bool {
        self.holds(index)
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

#[cfg(test)]
mod tests {
    use super::*;
    use lsv_consensus::Minimal;

    /// The shared hash changes nothing: each signature is the bytes blst's own
    /// `SecretKey::sign` makes, for keys signing one root in turn and roots signed by one key.
    #[test]
    fn signatures_are_blsts_own() {
        let mut keys = LocalKeys::default();
        let secrets: Vec<SecretKey> = (0..4u8)
            .map(|i| SecretKey::key_gen(&[i + 1; 32], &[]).expect("32 bytes"))
            .collect();
        for (i, sk) in secrets.iter().enumerate() {
            keys.insert(i as u64, sk.clone());
        }
        for root in [B256::ZERO, B256::repeat_byte(7), B256::repeat_byte(0xfe)] {
            for (i, sk) in secrets.iter().enumerate() {
                let pubkey = PublicKeyBytes(sk.sk_to_pk().to_bytes());
                let got = Signer::<Minimal>::sign(
                    &keys,
                    i as u64,
                    &pubkey,
                    root,
                    Message::Randao { epoch: 0 },
                )
                .expect("a key held");
                assert_eq!(got.0, sk.sign(root.as_slice(), DST, &[]).to_bytes());
            }
        }
        assert!(matches!(
            Signer::<Minimal>::sign(
                &keys,
                9,
                &PublicKeyBytes([0; 48]),
                B256::ZERO,
                Message::Randao { epoch: 0 }
            ),
            Err(SignError::NoKey(9))
        ));
    }
}
