//! P's part in a key held on several devices (DESIGN.md, "Many devices"): the three steps of the
//! dealer-free key generation (`lsv_threshold::dkg`), run by each device's P through its untrusted
//! host, and the share it ends with, stored like any key and signing through the same slashing
//! check. A share's signatures are partial: a coordinator combines `m` of them.
//!
//! Between the steps P keeps its polynomial and HPKE key in memory only, by ceremony id: a
//! restart abandons the ceremony, and nothing secret about it ever reaches a file.

use super::{Enclave, SignError};
use crate::deposit::DepositData;
use alloy_primitives::{Address, Bytes, B256};
use lsv_attestation::multi::{device_evidence, DeviceEvidence, PlatformId, ShareClaim};
use lsv_attestation::{
    verify_dev_signature, Backend, Collateral, DcapVerifier, DeviceRegistration,
    KeyGenerationClaim, KeyGenerationPolicy,
};
use lsv_consensus::PublicKeyBytes;
use lsv_threshold::dkg::{Announcement, Ceremony, Dealer, Dealing, DkgError};
use serde::{Deserialize, Serialize};

/// A key generation P takes part in, between its steps.
pub(super) struct PendingShare {
    dealer: Dealer,
    owner: Address,
    started: std::time::Instant,
}

/// The most key generations a device keeps in progress at once. Each holds a polynomial and an
/// HPKE key in memory; only P's authenticated coordinator can start one, but a coordinator
/// whose ceremonies fail half-way (a device down after step 1) would otherwise leave them
/// forever.
pub const MAX_PENDING_CEREMONIES: usize = 16;

/// How long a key generation may stay in progress on a device before it is dropped: the three
/// steps take well under a second on loopback (`lsv bench cluster`: 52 ms a key) and a few
/// round trips across machines.
pub const CEREMONY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(600);

/// Which hardware devices P deals shares to: DCAP quotes (SGX enclaves or TDX trust domains)
/// meeting `policy`, checked back to `verifier`'s root (Intel's) with the collateral that comes
/// with each announcement, at P's clock. Without it P deals to dev devices only. Part of P's
/// start-up configuration (`lsv signer --cluster-peer-policy`): in an enclave the file belongs
/// to what is measured (a trusted file of Gramine's manifest, or the TD image), so a host cannot
/// swap it. C checks every device's evidence again at `join`.
pub struct ClusterPeers {
    /// Intel's chain of trust (another root only in tests).
    pub verifier: DcapVerifier,
    /// The enclave and TD measurements, minimum ISVSVN and TCB statuses peers must meet.
    pub policy: KeyGenerationPolicy,
}

/// What a device publishes in step 1: its announcement and the evidence that an enclave made it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeviceAnnouncement {
    /// The ceremony it is for.
    pub ceremony: B256,
    /// Shares needed to sign.
    pub threshold: u8,
    /// Devices.
    pub devices: u8,
    /// The HPKE key and the dealing's commitment.
    pub announcement: Announcement,
    /// The device's attestation backend.
    pub backend: Backend,
    /// Evidence over [`Announcement::digest`].
    pub evidence: Bytes,
    /// The platform the evidence proves.
    pub platform: PlatformId,
    /// For a DCAP quote: its collateral (dcap-qvl's `QuoteCollateralV3` JSON), attached by the
    /// device's host (`lsv signer --dcap-collateral`). Not attested, and it need not be: Intel
    /// signed every part of it, and the receiving P checks those signatures.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub collateral: Option<serde_json::Value>,
}

/// What a device publishes in step 3: its evidence for the group, and its partial signature of
/// the group key's deposit.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SharedKey {
    /// The device's evidence: the group's claim, `m`, `n`, its index and every share key.
    pub evidence: DeviceEvidence,
    /// The 32-ETH deposit of the group key to C, signed with this device's share: a partial
    /// signature, combined by the coordinator.
    pub deposit_data: DepositData,
}

/// Why a step of a multi-device key generation failed.
#[derive(Debug, thiserror::Error)]
pub enum KeyGenerationError {
    /// The threshold arithmetic refused (unsafe `m`, a ceremony that is not this device's, or
    /// complaints naming dealers: the ceremony is aborted).
    #[error(transparent)]
    Dkg(#[from] DkgError),
    /// A ceremony id P already took part in.
    #[error("ceremony {0} was already announced on this device: each ceremony needs a new id")]
    Reused(B256),
    /// No pending ceremony with this id (never announced, already finished, timed out, or P
    /// restarted).
    #[error("no ceremony {0} in progress on this device (never announced, finished, older than {timeout} s, or P restarted)", timeout = CEREMONY_TIMEOUT.as_secs())]
    Unknown(B256),
    /// Too many key generations in progress on this device.
    #[error("{MAX_PENDING_CEREMONIES} key generations are in progress on this device; finish them or wait {timeout} s for them to time out", timeout = CEREMONY_TIMEOUT.as_secs())]
    Busy,
    /// A device's announcement is not attested as the ceremony says.
    #[error("device {index}'s announcement is refused: {reason}")]
    Peer {
        /// The device's index.
        index: u8,
        /// Why.
        reason: String,
    },
    /// P's attester could not produce device evidence.
    #[error("attestation: {0}")]
    Attestation(String),
}

impl Enclave {
    /// Step 1 of a key generation among `devices` devices for `owner`: a fresh polynomial and
    /// HPKE key in memory, and the attested announcement. Refuses an owner C cannot pay, an
    /// unsafe threshold, and a reused ceremony id.
    pub async fn cluster_announce(
        &self,
        ceremony: B256,
        threshold: u8,
        devices: u8,
        owner: Address,
    ) -> Result<DeviceAnnouncement, SignError> {
        super::check_key_request(&self.policy, owner, 1)?;
        self.policy.withdrawal_credentials()?;
        let dealer = Dealer::new(threshold, devices).map_err(KeyGenerationError::from)?;
        let announcement = dealer.announcement().clone();
        // Refused before the quote is made: a hardware quote is the costly step, and a device
        // that is full or has seen this ceremony would only throw it away.
        let has_room = |pending: &mut std::collections::HashMap<B256, PendingShare>| {
            pending.retain(|_, p| p.started.elapsed() < CEREMONY_TIMEOUT);
            if pending.contains_key(&ceremony) {
                return Err(KeyGenerationError::Reused(ceremony));
            }
            if pending.len() >= MAX_PENDING_CEREMONIES {
                return Err(KeyGenerationError::Busy);
            }
            Ok(())
        };
        has_room(&mut self.cluster.lock())?;
        let (evidence, platform) = self
            .attester
            .attest_device(announcement.digest(ceremony, threshold, devices))
            .map_err(|e| KeyGenerationError::Attestation(e.to_string()))?;
        // Again under the lock that inserts: another announcement may have come in meanwhile.
        let mut pending = self.cluster.lock();
        has_room(&mut pending)?;
        pending.insert(
            ceremony,
            PendingShare {
                dealer,
                owner,
                started: std::time::Instant::now(),
            },
        );
        Ok(DeviceAnnouncement {
            ceremony,
            threshold,
            devices,
            announcement,
            backend: self.attester.backend(),
            evidence,
            platform,
            collateral: None,
        })
    }

    /// Trusts hardware peers under `peers` in every later key generation. Once, at start: a
    /// second call is refused (P's configuration does not change while it runs).
    pub fn trust_cluster_peers(&self, peers: ClusterPeers) -> Result<(), ClusterPeers> {
        self.cluster_peers.set(peers)
    }

    /// Step 2: this device's dealing as device `index`, once every device's announcement checks
    /// out: made for this ceremony, in the ceremony at its index, attested by the platform it
    /// names, and no two devices on one platform.
    pub async fn cluster_deal(
        &self,
        ceremony: &Ceremony,
        index: u8,
        announcements: &[DeviceAnnouncement],
    ) -> Result<Dealing, SignError> {
        check_announcements(
            ceremony,
            announcements,
            self.cluster_peers.get(),
            self.clock.unix_seconds(),
        )?;
        let pending = self.cluster.lock();
        let mine = pending
            .get(&ceremony.id)
            .filter(|p| p.started.elapsed() < CEREMONY_TIMEOUT)
            .ok_or(KeyGenerationError::Unknown(ceremony.id))?;
        Ok(mine
            .dealer
            .deal(ceremony, index)
            .map_err(KeyGenerationError::from)?)
    }

    /// Step 3: checks every dealing and, if none is faulty, stores this device's share under the
    /// group key (sealed, with its evidence), registers the group key with slashing protection,
    /// and signs the group key's deposit with the share. Any complaint aborts the ceremony on
    /// this device: nothing is stored and the ceremony cannot be finished again.
    pub async fn cluster_finish(
        &self,
        ceremony: &Ceremony,
        index: u8,
        dealings: &[Dealing],
    ) -> Result<SharedKey, SignError> {
        let PendingShare { dealer, owner, .. } = self
            .cluster
            .lock()
            .remove(&ceremony.id)
            .filter(|p| p.started.elapsed() < CEREMONY_TIMEOUT)
            .ok_or(KeyGenerationError::Unknown(ceremony.id))?;
        let (threshold, devices) = dealer.params();
        let share = dealer
            .finish(ceremony, index, dealings)
            .map_err(KeyGenerationError::from)?;
        let withdrawal_credentials = self.policy.withdrawal_credentials()?;
        let claim = ShareClaim {
            group: KeyGenerationClaim {
                pubkey: share.group_key,
                withdrawal_credentials,
                owner,
                chain_id: self.policy.network.chain_id,
                genesis_validators_root: self.policy.network.genesis_validators_root,
                policy_hash: self.policy_hash,
            },
            threshold,
            devices,
            index,
            shares: share.share_keys.clone(),
        };
        // The device key signs the share binding too: the device's evidence at `join` once the
        // key is registered (`DeviceRegistry`), a signature instead of a quote.
        let device_key = self
            .device_key()
            .map_err(|e| KeyGenerationError::Attestation(format!("device key: {e}")))?;
        let evidence = device_evidence(claim, &share.secret, self.attester.as_ref())
            .and_then(|e| e.with_device_signature(&device_key))
            .map_err(|e| KeyGenerationError::Attestation(e.to_string()))?;
        let pubkey = self
            .keyring
            .store_share(share.secret, evidence.clone())?
            .pubkey;
        let deposit_data = self
            .register_and_sign_deposit(pubkey, withdrawal_credentials)
            .await?;
        tracing::info!(%pubkey, index, threshold, devices, "stored a share of a group key");
        Ok(SharedKey {
            evidence,
            deposit_data,
        })
    }

    /// The evidence that registers this device's key at `registry` (`DeviceRegistry`) on P's
    /// chain: its attester's evidence over the key's registration binding
    /// (`lsv_attestation::device_key`). The key is made and sealed on first use. It binds
    /// nothing but P's own device key, the registry and the chain, so a host may ask for it
    /// any time (each registration expires; the device registers again).
    pub fn device_registration(&self, registry: Address) -> Result<DeviceRegistration, SignError> {
        let key = self
            .device_key()
            .map_err(|e| KeyGenerationError::Attestation(format!("device key: {e}")))?;
        let registration = key
            .registration(
                self.attester.as_ref(),
                self.policy.network.chain_id,
                registry,
            )
            .map_err(|e| KeyGenerationError::Attestation(e.to_string()))?;
        tracing::info!(device_key = %registration.device_key, %registry, "attested the device key's registration");
        Ok(registration)
    }

    /// This device's evidence for a group key whose share it holds.
    pub fn device_evidence(&self, pubkey: &PublicKeyBytes) -> Option<DeviceEvidence> {
        self.keyring.get(pubkey)?.device.clone()
    }
}

/// Every announcement made for this ceremony, at its index, attested by the platform it names,
/// and no platform twice. Dev evidence is a signature by the attester named; a DCAP quote is
/// verified under `peers` at unix time `now` with the collateral that came with it, and the
/// platform it proves (the PCK certificate's PPID) must be the one named.
fn check_announcements(
    ceremony: &Ceremony,
    announcements: &[DeviceAnnouncement],
    peers: Option<&ClusterPeers>,
    now: u64,
) -> Result<(), KeyGenerationError> {
    let n = ceremony.devices()?;
    if announcements.len() != usize::from(n) {
        return Err(KeyGenerationError::Peer {
            index: 0,
            reason: format!("{} announcements for {n} devices", announcements.len()),
        });
    }
    let mut platforms: Vec<&PlatformId> = Vec::with_capacity(announcements.len());
    for ((a, expected), index) in announcements.iter().zip(&ceremony.announcements).zip(1u8..) {
        let refuse = |reason: String| KeyGenerationError::Peer { index, reason };
        if a.ceremony != ceremony.id
            || a.threshold != ceremony.threshold
            || a.devices != n
            || a.announcement != *expected
        {
            return Err(refuse(
                "made for another ceremony, threshold or index".into(),
            ));
        }
        let digest = a.announcement.digest(ceremony.id, ceremony.threshold, n);
        match (&a.backend, &a.platform) {
            (Backend::Dev, PlatformId::Dev { attester }) => {
                verify_dev_signature(digest, &a.evidence, *attester)
                    .map_err(|e| refuse(e.to_string()))?;
            }
            (backend, claimed) if backend.is_dcap() => {
                let peers = peers.ok_or_else(|| {
                    refuse(format!(
                        "a {backend} announcement, and this P trusts no hardware peers (start it \
                         with --cluster-peer-policy)"
                    ))
                })?;
                let collateral = a
                    .collateral
                    .as_ref()
                    .ok_or_else(|| refuse("its quote came without collateral".into()))?;
                let collateral = Collateral::from_json(&collateral.to_string())
                    .map_err(|e| refuse(e.to_string()))?;
                let verified = peers
                    .verifier
                    .verify_key_generation(&a.evidence, &collateral, now, &peers.policy, digest)
                    .map_err(|e| refuse(e.to_string()))?;
                let proven = PlatformId::Sgx(verified.platform);
                if proven != *claimed {
                    return Err(refuse(format!(
                        "it names platform {claimed:?}, its quote proves {proven:?}"
                    )));
                }
            }
            (backend, _) => {
                return Err(refuse(format!(
                    "{backend} evidence does not name a dev attester as its platform"
                )))
            }
        }
        if platforms.contains(&&a.platform) {
            return Err(refuse(format!(
                "platform {:?} already holds a share: two enclaves on one platform are one device",
                a.platform
            )));
        }
        platforms.push(&a.platform);
    }
    Ok(())
}
