//! What the multi-device tests share: a P on a data directory with a fixed clock, the key
//! generation run across several P as a coordinator runs it, and signing requests.

#![allow(dead_code, reason = "each test binary uses a part")]

use alloy_primitives::{Address, B256};
use lsv_consensus::containers::{AttestationData, BeaconBlockHeader, Checkpoint};
use lsv_consensus::request::ForkInfo;
use lsv_consensus::{Epoch, Network, SignRequest, SignableMessage, Slot};
use lsv_enclave::keystore::Kdf;
use lsv_enclave::{
    AnchorChoice, AttestationConfig, Clock, DataDir, DevSealer, Enclave, Policy, SharedKey,
    StartError,
};
use lsv_threshold::dkg::Ceremony;
use std::sync::Arc;

pub(crate) const C: Address = Address::repeat_byte(0xc0);
pub(crate) const OWNER: Address = Address::repeat_byte(0x0e);
/// P's clock stands two epochs after this one.
pub(crate) const EPOCH: u64 = 400_000;
pub(crate) const DST: &[u8] = b"BLS_SIG_BLS12381G2_XMD:SHA-256_SSWU_RO_POP_";

struct FixedClock(u64);
impl Clock for FixedClock {
    fn unix_seconds(&self) -> u64 {
        self.0
    }
}

/// P on `dir` (mainnet, C = [`C`], dev sealing and attestation), its clock at `EPOCH + 2`.
pub(crate) fn open(dir: &std::path::Path) -> Enclave {
    let network = Network::mainnet();
    open_at(
        dir,
        network.genesis_time + (EPOCH + 2) * 32 * network.seconds_per_slot,
    )
}

/// P on `dir` as [`open`] makes it, its clock at unix time `now`.
pub(crate) fn open_at(dir: &std::path::Path, now: u64) -> Enclave {
    let network = Network::mainnet();
    Enclave::open(
        &DataDir::new(dir),
        Policy::new(network, Some(C)),
        Arc::new(DevSealer::open(dir, Kdf::Pbkdf2 { c: 1 }).unwrap()),
        AttestationConfig::Dev,
        Arc::new(FixedClock(now)),
    )
    .unwrap()
}

/// A clock at the start of epoch `EPOCH + e`, which a test moves.
pub(crate) struct EpochClock(std::sync::atomic::AtomicU64);

impl EpochClock {
    pub(crate) fn at(epoch: u64) -> Arc<Self> {
        Arc::new(Self(epoch.into()))
    }
    pub(crate) fn set(&self, epoch: u64) {
        self.0.store(epoch, std::sync::atomic::Ordering::SeqCst);
    }
}

impl Clock for EpochClock {
    fn unix_seconds(&self) -> u64 {
        let network = Network::mainnet();
        let epoch = EPOCH + self.0.load(std::sync::atomic::Ordering::SeqCst);
        network.genesis_time + epoch * 32 * network.seconds_per_slot
    }
}

/// P on `dir` as [`open`] makes it, its clock at the start of epoch `EPOCH + epoch`, with
/// `anchor`.
pub(crate) fn open_anchored(
    dir: &std::path::Path,
    epoch: u64,
    anchor: AnchorChoice,
) -> Result<Enclave, StartError> {
    open_anchored_with(dir, EpochClock::at(epoch), anchor)
}

/// [`open_anchored`] on a clock the test moves.
pub(crate) fn open_anchored_with(
    dir: &std::path::Path,
    clock: Arc<EpochClock>,
    anchor: AnchorChoice,
) -> Result<Enclave, StartError> {
    let network = Network::mainnet();
    std::fs::create_dir_all(dir).unwrap();
    Enclave::open_with_anchor(
        &DataDir::new(dir),
        Policy::new(network, Some(C)),
        Arc::new(DevSealer::open(dir, Kdf::Pbkdf2 { c: 1 }).unwrap()),
        AttestationConfig::Dev,
        clock,
        anchor,
    )
}

/// Runs the three steps across `devices` as a coordinator would: announce, deal, finish.
pub(crate) async fn key_generation(devices: &[Enclave], m: u8) -> Vec<SharedKey> {
    let n = devices.len() as u8;
    let id = B256::repeat_byte(0x1d);
    let mut announced = Vec::new();
    for d in devices {
        announced.push(d.cluster_announce(id, m, n, OWNER).await.unwrap());
    }
    let ceremony = Ceremony {
        id,
        threshold: m,
        announcements: announced.iter().map(|a| a.announcement.clone()).collect(),
    };
    let mut dealings = Vec::new();
    for (d, i) in devices.iter().zip(1u8..) {
        dealings.push(d.cluster_deal(&ceremony, i, &announced).await.unwrap());
    }
    let mut shared = Vec::new();
    for (d, i) in devices.iter().zip(1u8..) {
        shared.push(d.cluster_finish(&ceremony, i, &dealings).await.unwrap());
    }
    shared
}

fn request(epoch: u64, message: SignableMessage) -> SignRequest {
    let network = Network::mainnet();
    SignRequest {
        signing_root: None,
        fork_info: Some(ForkInfo {
            fork: network.fork_object_at(Epoch(epoch)),
            genesis_validators_root: network.genesis_validators_root,
        }),
        message,
    }
}

/// The attestation data voting `source → target` (epochs after [`EPOCH`]) for block `root`.
pub(crate) fn attestation_data(source: u64, target: u64, root: u8) -> AttestationData {
    AttestationData {
        slot: Epoch(EPOCH + target).start_slot(32),
        index: 0,
        beacon_block_root: B256::repeat_byte(root),
        source: Checkpoint {
            epoch: Epoch(EPOCH + source),
            root: B256::ZERO,
        },
        target: Checkpoint {
            epoch: Epoch(EPOCH + target),
            root: B256::ZERO,
        },
    }
}

/// A request to sign `data`.
pub(crate) fn attestation(data: AttestationData) -> SignRequest {
    request(
        data.target.epoch.as_u64(),
        SignableMessage::Attestation(data),
    )
}

/// A block at slot `EPOCH * 32 + slot` with body root `body`.
pub(crate) fn block_header(slot: u64, body: u8) -> BeaconBlockHeader {
    BeaconBlockHeader {
        slot: Slot(EPOCH * 32 + slot),
        proposer_index: 3,
        parent_root: B256::ZERO,
        state_root: B256::ZERO,
        body_root: B256::repeat_byte(body),
    }
}

/// A request to sign `header`.
pub(crate) fn block(header: BeaconBlockHeader) -> SignRequest {
    let network = Network::mainnet();
    let epoch = header.slot.epoch(32);
    request(
        epoch.as_u64(),
        SignableMessage::Block {
            version: network.fork_at(epoch),
            header,
        },
    )
}

/// What a key signed.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Released {
    Block(BeaconBlockHeader),
    Attestation(AttestationData),
}

pub(crate) fn slashable(a: &Released, b: &Released) -> bool {
    match (a, b) {
        (Released::Block(x), Released::Block(y)) => x.slot == y.slot && x != y,
        (Released::Attestation(x), Released::Attestation(y)) => {
            let double = x != y && x.target.epoch == y.target.epoch;
            let surround = (x.source.epoch < y.source.epoch && y.target.epoch < x.target.epoch)
                || (y.source.epoch < x.source.epoch && x.target.epoch < y.target.epoch);
            double || surround
        }
        _ => false,
    }
}
