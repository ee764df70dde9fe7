//! The key generation the `n` devices run among themselves, with no dealer.
//!
//! Joint Feldman VSS (Pedersen's DKG; Gennaro, Jarecki, Krawczyk, Rabin, "Secure Distributed Key
//! Generation for Discrete-Log Based Cryptosystems", J. Cryptology 2007), run by each device's P
//! through an untrusted host and coordinator, in three steps:
//!
//! 1. **Announce.** Each device draws a random polynomial `f_i` of degree `m − 1` and an HPKE key
//!    pair (both held in P's memory only), and announces the HPKE public key and
//!    `sha256(commitments ‖ proof of possession)` of its dealing. The announcement is what the
//!    device's attestation covers, so a device encrypts only to keys an enclave attested.
//! 2. **Deal.** Given the [`Ceremony`] (everyone's announcement, in index order), each device
//!    reveals its Feldman commitments `C_i,t = a_i,t·G1` (`vsss-rs`), a BLS proof of possession of
//!    `a_i,0` over `C_i,0`, and `f_i(j)` for every device `j`, sealed with HPKE (RFC 9180,
//!    X25519/HKDF-SHA256/ChaCha20-Poly1305) to `j`'s announced key, bound to the ceremony and to
//!    both indices.
//! 3. **Finish.** Each device checks every dealing: that it is the one announced, that its
//!    commitments are points of G1, the proof of possession, that its share decrypts, and that
//!    the share lies on the committed polynomial (`vsss-rs`'s Feldman check). Any failure is a
//!    [`Complaint`] naming the dealer, and the ceremony aborts: no key exists. Otherwise its
//!    share is `x_j = Σ_i f_i(j)`, the group key `Σ_i C_i,0`, and every device's share key
//!    `Σ_i Σ_t C_i,t·j^t`; a device checks its own share against its share key.
//!
//! Why each part is there:
//! - the hash commitment in the announcement fixes every polynomial before any dealing is
//!   seen, so no device (nor the coordinator relaying) can choose its polynomial after the
//!   others' and bias the group key (the attack on plain joint Feldman in the paper above);
//! - the proof of possession makes every `C_i,0` a key its dealer knows the secret of, so no
//!   dealer can publish `X − Σ others` (rogue key) even if it saw the others first;
//! - HPKE to announced keys means the hosts and the coordinator carry only ciphertexts;
//! - complaints abort rather than disqualify: a ceremony is cheap to rerun, and a key made
//!   without one device's dealing would not be the key every device checked.

use crate::{NotAThreshold, Tolerance};
use alloy_primitives::{Bytes, B256};
use bls12_381_plus::ff::Field;
use bls12_381_plus::{G1Affine, G1Projective, Scalar};
use blst::min_pk::{PublicKey, SecretKey, Signature};
use hpke::aead::ChaCha20Poly1305;
use hpke::kdf::HkdfSha256;
use hpke::kem::X25519HkdfSha256;
use hpke::{Deserializable, Kem as _, OpModeR, OpModeS, Serializable};
use lsv_consensus::{PublicKeyBytes, SignatureBytes};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use vsss_rs::{
    DefaultShare, FeldmanVerifierSet, IdentifierPrimeField, Share as _, ShareVerifierGroup,
    ValueGroup,
};
use zeroize::Zeroizing;

/// The proof-of-possession DST of the BLS POP ciphersuite (draft-irtf-cfrg-bls-signature-05
/// §4.2.3): the same as the one of the share keys' proofs in the devices' evidence.
pub const POP_DST: &[u8] = b"BLS_POP_BLS12381G2_XMD:SHA-256_SSWU_RO_POP_";

/// HPKE `info` prefix: the ceremony's digest follows.
const HPKE_INFO: &[u8] = b"lsv/dkg-share/v1";

/// Fewer devices is a plain P, which generates its keys alone.
pub const MIN_DEVICES: u8 = 2;

type Share = DefaultShare<IdentifierPrimeField<Scalar>, IdentifierPrimeField<Scalar>>;
type Commitment = ShareVerifierGroup<G1Projective>;
type Kem = X25519HkdfSha256;

/// What a device announces before dealing: the key its shares are sealed to, and a hash that
/// fixes its dealing. Its attestation covers [`Announcement::digest`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Announcement {
    /// The HPKE (X25519) public key shares for this device are sealed to.
    pub encryption_key: B256,
    /// `sha256(C_0 ‖ … ‖ C_{m−1} ‖ proof of possession)` of the dealing this device will reveal.
    pub dealing_commitment: B256,
}

impl Announcement {
    /// What the device's attestation covers:
    /// `sha256("lsv/dkg-announcement/v1" ‖ ceremony id ‖ m ‖ n ‖ encryption key ‖ dealing commitment)`.
    pub fn digest(&self, ceremony_id: B256, m: u8, n: u8) -> B256 {
        let mut h = Sha256::new();
        h.update(b"lsv/dkg-announcement/v1");
        h.update(ceremony_id);
        h.update([m, n]);
        h.update(self.encryption_key);
        h.update(self.dealing_commitment);
        B256::from_slice(&h.finalize())
    }
}

/// One key generation: its id (chosen by whoever runs it, unique per ceremony), the threshold,
/// and every device's announcement in index order (device `i` is `announcements[i − 1]`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Ceremony {
    /// Names this ceremony; every ciphertext is bound to it.
    pub id: B256,
    /// Shares needed to sign.
    pub threshold: u8,
    /// One announcement per device.
    pub announcements: Vec<Announcement>,
}

impl Ceremony {
    /// Devices (`n`).
    pub fn devices(&self) -> Result<u8, DkgError> {
        u8::try_from(self.announcements.len())
            .map_err(|_| DkgError::TooManyDevices(self.announcements.len()))
    }

    /// `sha256` of the whole ceremony: HPKE's `info` carries it.
    pub fn digest(&self) -> B256 {
        let mut h = Sha256::new();
        h.update(b"lsv/dkg-ceremony/v1");
        h.update(self.id);
        h.update([self.threshold]);
        for a in &self.announcements {
            h.update(a.encryption_key);
            h.update(a.dealing_commitment);
        }
        B256::from_slice(&h.finalize())
    }

    /// The threshold and device count, checked: a safe threshold, at least [`MIN_DEVICES`].
    fn params(&self) -> Result<(u8, u8), DkgError> {
        let n = self.devices()?;
        if n < MIN_DEVICES {
            return Err(DkgError::TooFewDevices(n));
        }
        Tolerance::of(self.threshold, n)?;
        Ok((self.threshold, n))
    }
}

/// A share sealed to one device: HPKE's encapsulated key and the ciphertext (32-byte big-endian
/// scalar and a 16-byte tag).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SealedShare {
    /// HPKE's encapsulated (ephemeral X25519) key.
    pub encapsulated_key: B256,
    /// The sealed share.
    pub ciphertext: Bytes,
}

/// What a device reveals in step 2.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Dealing {
    /// The dealer's index (1-based).
    pub dealer: u8,
    /// `C_t = a_t·G1` for `t = 0..m`, compressed.
    pub commitments: Vec<PublicKeyBytes>,
    /// BLS `PopProve(a_0)`: `a_0`'s signature over `C_0` with [`POP_DST`].
    pub proof_of_possession: SignatureBytes,
    /// `f(j)` sealed to device `j`, for `j = 1..=n` in order.
    pub shares: Vec<SealedShare>,
}

impl Dealing {
    fn commitment(commitments: &[PublicKeyBytes], pop: &SignatureBytes) -> B256 {
        let mut h = Sha256::new();
        for c in commitments {
            h.update(c.0);
        }
        h.update(pop.0);
        B256::from_slice(&h.finalize())
    }
}

/// What a device accuses a dealer of.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[serde(rename_all = "snake_case")]
pub enum Fault {
    /// No dealing from this dealer, or one in another dealer's place.
    #[error("no dealing")]
    Missing,
    /// The dealing is not the one its announcement committed to.
    #[error("the dealing is not the one announced")]
    NotAsAnnounced,
    /// Not `m` commitments and `n` sealed shares.
    #[error("the dealing has the wrong number of commitments or shares")]
    WrongShape,
    /// A commitment is not a point of G1 (or `C_0` is the identity).
    #[error("a commitment is not a valid point of G1")]
    BadCommitment,
    /// The proof of possession of `a_0` does not verify.
    #[error("the proof of possession of the dealer's constant term does not verify")]
    BadProofOfPossession,
    /// This device's share does not open with its key, or is not a scalar.
    #[error("this device's share does not decrypt")]
    Undecryptable,
    /// This device's share is not on the committed polynomial.
    #[error("this device's share does not lie on the committed polynomial")]
    ShareOffPolynomial,
}

/// A device's accusation: the ceremony aborts on any.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Complaint {
    /// The accusing device.
    pub accuser: u8,
    /// The accused dealer.
    pub dealer: u8,
    /// Of what.
    pub fault: Fault,
}

/// Why a step of the key generation failed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DkgError {
    /// Not a threshold.
    #[error(transparent)]
    Threshold(#[from] NotAThreshold),
    /// Fewer than [`MIN_DEVICES`].
    #[error(
        "{0} device(s): a key generation needs at least {MIN_DEVICES}; one device is a plain P"
    )]
    TooFewDevices(u8),
    /// More than 255 devices.
    #[error("{0} devices: at most 255")]
    TooManyDevices(usize),
    /// The ceremony is not the one this device announced for.
    #[error(
        "device {index}'s announcement is not in the ceremony at its index, or the ceremony's m \
         or n differs from the ones it announced for"
    )]
    NotInCeremony {
        /// The index this device was given.
        index: u8,
    },
    /// The OS gave no randomness.
    #[error("OS randomness unavailable: {0}")]
    Randomness(String),
    /// A dealer misbehaved: the ceremony aborts.
    #[error("key generation aborted: {}", complaints_text(.0))]
    Complaints(Vec<Complaint>),
}

fn complaints_text(c: &[Complaint]) -> String {
    c.iter()
        .map(|c| {
            format!(
                "device {} accuses dealer {}: {}",
                c.accuser, c.dealer, c.fault
            )
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// A device's secret state between the steps: its polynomial's values and its HPKE key. Held
/// in P's memory only: a restart abandons the ceremony.
pub struct Dealer {
    threshold: u8,
    devices: u8,
    /// `f(j)` for `j = 1..=n`, big-endian.
    values: Zeroizing<Vec<[u8; 32]>>,
    commitments: Vec<PublicKeyBytes>,
    proof_of_possession: SignatureBytes,
    decryption_key: <Kem as hpke::Kem>::PrivateKey,
    announcement: Announcement,
}

impl std::fmt::Debug for Dealer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Dealer")
            .field("announcement", &self.announcement)
            .finish_non_exhaustive()
    }
}

fn g1_bytes(p: &G1Projective) -> PublicKeyBytes {
    PublicKeyBytes(G1Affine::from(p).to_compressed())
}

impl Dealer {
    /// Step 1: a random polynomial of degree `m − 1` for `n` devices, and an HPKE key pair.
    pub fn new(threshold: u8, devices: u8) -> Result<Self, DkgError> {
        if devices < MIN_DEVICES {
            return Err(DkgError::TooFewDevices(devices));
        }
        Tolerance::of(threshold, devices)?;
        let mut rng = rand_core::OsRng;
        let secret = IdentifierPrimeField(Scalar::random(&mut rng));
        let (shares, verifiers) = vsss_rs::feldman::split_secret::<Share, Commitment>(
            usize::from(threshold),
            usize::from(devices),
            &secret,
            None,
            &mut rng,
        )
        .map_err(|e| DkgError::Randomness(e.to_string()))?;
        let values: Zeroizing<Vec<[u8; 32]>> =
            Zeroizing::new(shares.iter().map(|s| s.value.0.to_be_bytes()).collect());
        let commitments: Vec<PublicKeyBytes> =
            FeldmanVerifierSet::<Share, Commitment>::verifiers(&verifiers)
                .iter()
                .map(|c| g1_bytes(&c.0))
                .collect();
        let a0 = Zeroizing::new(secret.0.to_be_bytes());
        let a0 = SecretKey::from_bytes(a0.as_ref())
            .map_err(|e| DkgError::Randomness(format!("{e:?}")))?;
        let proof_of_possession =
            SignatureBytes(a0.sign(&commitments[0].0, POP_DST, &[]).compress());
        let (decryption_key, encryption_key) = Kem::gen_keypair(&mut rng);
        let announcement = Announcement {
            encryption_key: B256::from_slice(&encryption_key.to_bytes()),
            dealing_commitment: Dealing::commitment(&commitments, &proof_of_possession),
        };
        Ok(Self {
            threshold,
            devices,
            values,
            commitments,
            proof_of_possession,
            decryption_key,
            announcement,
        })
    }

    /// What this device announces.
    pub fn announcement(&self) -> &Announcement {
        &self.announcement
    }

    /// `m` and `n` this dealer was made for.
    pub fn params(&self) -> (u8, u8) {
        (self.threshold, self.devices)
    }

    fn check_ceremony(&self, ceremony: &Ceremony, index: u8) -> Result<(), DkgError> {
        let (m, n) = ceremony.params()?;
        let mine = usize::from(index)
            .checked_sub(1)
            .and_then(|i| ceremony.announcements.get(i));
        if (m, n) != (self.threshold, self.devices) || mine != Some(&self.announcement) {
            return Err(DkgError::NotInCeremony { index });
        }
        Ok(())
    }

    /// Step 2: this device's dealing, as device `index` of `ceremony`.
    pub fn deal(&self, ceremony: &Ceremony, index: u8) -> Result<Dealing, DkgError> {
        self.check_ceremony(ceremony, index)?;
        let info = hpke_info(ceremony);
        let commitments_root = Dealing::commitment(&self.commitments, &self.proof_of_possession);
        let mut rng = rand_core::OsRng;
        let mut shares = Vec::with_capacity(usize::from(self.devices));
        for (j, (a, value)) in ceremony
            .announcements
            .iter()
            .zip(self.values.iter())
            .enumerate()
        {
            let recipient = u8::try_from(j + 1).expect("n <= 255");
            // A key that is not a curve point cannot be sealed to: no share goes to it, and its
            // device will find its own share missing and complain.
            let sealed = <Kem as hpke::Kem>::PublicKey::from_bytes(a.encryption_key.as_slice())
                .ok()
                .and_then(|pk| {
                    hpke::single_shot_seal::<ChaCha20Poly1305, HkdfSha256, Kem, _>(
                        &OpModeS::Base,
                        &pk,
                        &info,
                        value,
                        &aad(index, recipient, commitments_root),
                        &mut rng,
                    )
                    .ok()
                })
                .map(|(encapped, ciphertext)| SealedShare {
                    encapsulated_key: B256::from_slice(&encapped.to_bytes()),
                    ciphertext: ciphertext.into(),
                })
                .unwrap_or(SealedShare {
                    encapsulated_key: B256::ZERO,
                    ciphertext: Bytes::new(),
                });
            shares.push(sealed);
        }
        Ok(Dealing {
            dealer: index,
            commitments: self.commitments.clone(),
            proof_of_possession: self.proof_of_possession,
            shares,
        })
    }

    /// Step 3: checks every dealing (in dealer order) and, if none is faulty, this device's
    /// share of the group key. Consumes the dealer: a ceremony finishes once.
    pub fn finish(
        self,
        ceremony: &Ceremony,
        index: u8,
        dealings: &[Dealing],
    ) -> Result<KeyShare, DkgError> {
        self.check_ceremony(ceremony, index)?;
        let (m, n) = (self.threshold, self.devices);
        let info = hpke_info(ceremony);
        let mut complaints = Vec::new();
        let mut secret = Scalar::ZERO;
        let mut summed = vec![G1Projective::IDENTITY; usize::from(m)];
        for dealer in 1..=n {
            let dealing = dealings.get(usize::from(dealer) - 1);
            let announced = &ceremony.announcements[usize::from(dealer) - 1];
            match check_dealing(dealing, dealer, announced, (m, n), index, &info, &self) {
                Ok((share, commitments)) => {
                    secret += share;
                    for (s, c) in summed.iter_mut().zip(commitments) {
                        *s += c;
                    }
                }
                Err(fault) => complaints.push(Complaint {
                    accuser: index,
                    dealer,
                    fault,
                }),
            }
        }
        if !complaints.is_empty() {
            return Err(DkgError::Complaints(complaints));
        }
        let coefficients: Vec<PublicKey> = summed
            .iter()
            .map(|c| PublicKey::from_bytes(&g1_bytes(c).0))
            .collect::<Result<_, _>>()
            .map_err(|_| {
                // Σ C_i,0 at infinity: every dealer's constant term cancelled out, which honest
                // randomness never gives; treat it as the last dealer's doing.
                DkgError::Complaints(vec![Complaint {
                    accuser: index,
                    dealer: n,
                    fault: Fault::BadCommitment,
                }])
            })?;
        let share_keys: Vec<PublicKeyBytes> = (1..=n)
            .map(|j| PublicKeyBytes(evaluate(&coefficients, j)))
            .collect();
        let secret_bytes = Zeroizing::new(secret.to_be_bytes());
        let secret_key = SecretKey::from_bytes(secret_bytes.as_ref()).map_err(|_| {
            DkgError::Complaints(vec![Complaint {
                accuser: index,
                dealer: n,
                fault: Fault::ShareOffPolynomial,
            }])
        })?;
        debug_assert_eq!(
            secret_key.sk_to_pk().compress(),
            share_keys[usize::from(index) - 1].0,
            "every dealing was checked against its commitments"
        );
        Ok(KeyShare {
            index,
            threshold: m,
            group_key: PublicKeyBytes(coefficients[0].compress()),
            share_keys,
            secret: secret_key,
        })
    }
}

/// `Σ_t A_t·x^t` for coefficient points `A_t`: the polynomial's key at `x`.
fn evaluate(coefficients: &[PublicKey], x: u8) -> [u8; 48] {
    let mut power = Scalar::ONE;
    let scalars: Vec<u8> = coefficients
        .iter()
        .flat_map(|_| {
            let s = power.to_le_bytes();
            power *= Scalar::from(u64::from(x));
            s
        })
        .collect();
    blst::MultiPoint::mult(coefficients, &scalars, 255)
        .to_public_key()
        .compress()
}

fn hpke_info(ceremony: &Ceremony) -> Vec<u8> {
    [HPKE_INFO, ceremony.digest().as_slice()].concat()
}

/// HPKE's associated data: dealer, recipient and the dealing's commitment, so a sealed share
/// cannot be replayed in another dealing or to another device.
fn aad(dealer: u8, recipient: u8, commitment: B256) -> Vec<u8> {
    [&[dealer, recipient][..], commitment.as_slice()].concat()
}

/// One dealing as device `index` sees it: its share and the dealer's commitments, or the fault.
fn check_dealing(
    dealing: Option<&Dealing>,
    dealer: u8,
    announced: &Announcement,
    (m, n): (u8, u8),
    index: u8,
    info: &[u8],
    me: &Dealer,
) -> Result<(Scalar, Vec<G1Projective>), Fault> {
    let d = dealing
        .filter(|d| d.dealer == dealer)
        .ok_or(Fault::Missing)?;
    let root = Dealing::commitment(&d.commitments, &d.proof_of_possession);
    if root != announced.dealing_commitment {
        return Err(Fault::NotAsAnnounced);
    }
    if d.commitments.len() != usize::from(m) || d.shares.len() != usize::from(n) {
        return Err(Fault::WrongShape);
    }
    let points: Vec<G1Projective> = d
        .commitments
        .iter()
        .map(|c| Option::<G1Affine>::from(G1Affine::from_compressed(&c.0)).map(G1Projective::from))
        .collect::<Option<_>>()
        .ok_or(Fault::BadCommitment)?;
    if bool::from(points[0].is_identity()) {
        return Err(Fault::BadCommitment);
    }
    let c0 = PublicKey::key_validate(&d.commitments[0].0).map_err(|_| Fault::BadCommitment)?;
    let pop = Signature::sig_validate(&d.proof_of_possession.0, true)
        .map_err(|_| Fault::BadProofOfPossession)?;
    if pop.verify(true, &d.commitments[0].0, POP_DST, &[], &c0, false)
        != blst::BLST_ERROR::BLST_SUCCESS
    {
        return Err(Fault::BadProofOfPossession);
    }
    let sealed = &d.shares[usize::from(index) - 1];
    let encapped = <Kem as hpke::Kem>::EncappedKey::from_bytes(sealed.encapsulated_key.as_slice())
        .map_err(|_| Fault::Undecryptable)?;
    let plain = Zeroizing::new(
        hpke::single_shot_open::<ChaCha20Poly1305, HkdfSha256, Kem>(
            &OpModeR::Base,
            &me.decryption_key,
            &encapped,
            info,
            &sealed.ciphertext,
            &aad(dealer, index, root),
        )
        .map_err(|_| Fault::Undecryptable)?,
    );
    let bytes: &[u8; 32] = plain
        .as_slice()
        .try_into()
        .map_err(|_| Fault::Undecryptable)?;
    let value = Option::<Scalar>::from(Scalar::from_be_bytes(bytes)).ok_or(Fault::Undecryptable)?;
    let share = Share::with_identifier_and_value(
        IdentifierPrimeField(Scalar::from(u64::from(index))),
        IdentifierPrimeField(value),
    );
    let verifiers: Vec<Commitment> = std::iter::once(ValueGroup(G1Projective::GENERATOR))
        .chain(points.iter().map(|p| ValueGroup(*p)))
        .collect();
    FeldmanVerifierSet::<Share, Commitment>::verify_share(&verifiers, &share)
        .map_err(|_| Fault::ShareOffPolynomial)?;
    Ok((value, points))
}

/// A device's result: its share of the group key, and every public fact a verifier needs.
pub struct KeyShare {
    /// This device's index.
    pub index: u8,
    /// Shares needed to sign.
    pub threshold: u8,
    /// The validator's key: `Σ_i C_i,0`.
    pub group_key: PublicKeyBytes,
    /// Every device's share key, in index order.
    pub share_keys: Vec<PublicKeyBytes>,
    /// This device's secret share (blst zeroizes it on drop).
    pub secret: SecretKey,
}

impl std::fmt::Debug for KeyShare {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyShare")
            .field("index", &self.index)
            .field("group_key", &self.group_key)
            .finish_non_exhaustive()
    }
}

impl KeyShare {
    /// Checks the share keys against the group key ([`crate::sharing::check_share_keys`]).
    pub fn check(&self) -> Result<(), crate::sharing::ShareSetError> {
        let keys: Vec<PublicKey> = self
            .share_keys
            .iter()
            .map(|k| {
                PublicKey::key_validate(&k.0)
                    .map_err(|_| crate::sharing::ShareSetError::InvalidKey(*k))
            })
            .collect::<Result<_, _>>()?;
        crate::sharing::check_share_keys(&self.group_key, &keys, self.threshold)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ceremony(dealers: &[Dealer], m: u8) -> Ceremony {
        Ceremony {
            id: B256::repeat_byte(7),
            threshold: m,
            announcements: dealers.iter().map(|d| d.announcement().clone()).collect(),
        }
    }

    fn faults_seen_by_device_2(dealers: Vec<Dealer>, m: u8) -> Vec<(u8, Fault)> {
        let c = ceremony(&dealers, m);
        let dealings: Vec<Dealing> = dealers
            .iter()
            .zip(1u8..)
            .map(|(d, i)| d.deal(&c, i).unwrap())
            .collect();
        match dealers.into_iter().nth(1).unwrap().finish(&c, 2, &dealings) {
            Err(DkgError::Complaints(c)) => c.into_iter().map(|c| (c.dealer, c.fault)).collect(),
            other => panic!("expected complaints, got {other:?}"),
        }
    }

    /// A dealer that sends device 2 a value off its committed polynomial is named.
    #[test]
    fn a_share_off_the_committed_polynomial_is_a_complaint() {
        let mut dealers: Vec<Dealer> = (0..4).map(|_| Dealer::new(3, 4).unwrap()).collect();
        let v = Scalar::from_be_bytes(&dealers[2].values[1]).unwrap() + Scalar::ONE;
        dealers[2].values[1] = v.to_be_bytes();
        assert_eq!(
            faults_seen_by_device_2(dealers, 3),
            vec![(3, Fault::ShareOffPolynomial)]
        );
    }

    /// A dealer that announces a constant term it does not know the secret of (a rogue key:
    /// someone else's key, or `X − Σ others`) cannot prove possession of it.
    #[test]
    fn a_rogue_constant_term_fails_its_proof_of_possession() {
        let mut dealers: Vec<Dealer> = (0..3).map(|_| Dealer::new(2, 3).unwrap()).collect();
        let stolen = dealers[0].commitments[0];
        let d = &mut dealers[2];
        d.commitments[0] = stolen;
        d.announcement.dealing_commitment =
            Dealing::commitment(&d.commitments, &d.proof_of_possession);
        assert_eq!(
            faults_seen_by_device_2(dealers, 2),
            vec![(3, Fault::BadProofOfPossession)]
        );
    }
}
