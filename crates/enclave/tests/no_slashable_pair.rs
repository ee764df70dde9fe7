//! Random request sequences through P; an independent checker asserts that no two signatures P
//! released are slashable together (consensus-specs phase0 `is_slashable_attestation_data` and
//! the proposer-slashing condition), and that every released signature verifies.

#![allow(unused_crate_dependencies)]

mod common;

use alloy_primitives::{Address, B256};
use common::{slashable, Released};
use lsv_consensus::containers::{AttestationData, BeaconBlockHeader, Checkpoint};
use lsv_consensus::request::ForkInfo;
use lsv_consensus::{Epoch, Network, PublicKeyBytes, SignRequest, SignableMessage, Slot};
use lsv_enclave::keystore::Kdf;
use lsv_enclave::{AttestationConfig, Clock, DataDir, DevSealer, Enclave, Policy, SignError};
use proptest::prelude::*;
use std::sync::Arc;

struct FixedClock(u64);
impl Clock for FixedClock {
    fn unix_seconds(&self) -> u64 {
        self.0
    }
}

const BASE_EPOCH: u64 = 400_000;

#[derive(Clone, Debug)]
enum Op {
    Block {
        key: usize,
        slot: u64,
        body: u8,
    },
    Attest {
        key: usize,
        source: u64,
        target: u64,
        root: u8,
    },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        (0..2usize, 0..12u64, 0..3u8).prop_map(|(key, slot, body)| Op::Block { key, slot, body }),
        (0..2usize, 0..10u64, 0..10u64, 0..3u8).prop_map(|(key, source, target, root)| {
            Op::Attest {
                key,
                source,
                target,
                root,
            }
        }),
    ]
}

fn verify(pubkey: &PublicKeyBytes, root: B256, sig: &[u8; 96]) -> bool {
    use blst::min_pk::{PublicKey, Signature};
    let pk = PublicKey::from_bytes(&pubkey.0).unwrap();
    Signature::from_bytes(sig).unwrap().verify(
        true,
        root.as_slice(),
        lsv_enclave::keyring::BLS_DST,
        &[],
        &pk,
        true,
    ) == blst::BLST_ERROR::BLST_SUCCESS
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn no_two_released_signatures_are_slashable(ops in prop::collection::vec(op(), 1..60)) {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        let dir = tempfile::tempdir().unwrap();
        let network = Network::mainnet();
        let now = network.genesis_time + (BASE_EPOCH + 20) * 32 * network.seconds_per_slot;
        let enclave = Enclave::open(
            &DataDir::new(dir.path()),
            Policy::new(network.clone(), Some(Address::repeat_byte(1))),
            Arc::new(DevSealer::open(dir.path(), Kdf::Pbkdf2 { c: 1 }).unwrap()),
            AttestationConfig::Dev,
            Arc::new(FixedClock(now)),
        ).unwrap();
        let keys: Vec<PublicKeyBytes> = rt
            .block_on(enclave.generate_keys(Address::repeat_byte(2), 2))
            .unwrap()
            .into_iter()
            .map(|k| k.pubkey)
            .collect();
        let mut released: Vec<Vec<Released>> = vec![Vec::new(), Vec::new()];
        for op in ops {
            let (key, message, epoch) = match op {
                Op::Block { key, slot, body } => {
                    let slot = BASE_EPOCH * 32 + slot;
                    let header = BeaconBlockHeader {
                        slot: Slot(slot),
                        proposer_index: 3,
                        parent_root: B256::ZERO,
                        state_root: B256::ZERO,
                        body_root: B256::repeat_byte(body),
                    };
                    (key, SignableMessage::Block { version: network.fork_at(Slot(slot).epoch(32)), header }, Slot(slot).epoch(32))
                }
                Op::Attest { key, source, target, root } => {
                    let data = AttestationData {
                        slot: Epoch(BASE_EPOCH + target).start_slot(32),
                        index: 0,
                        beacon_block_root: B256::repeat_byte(root),
                        source: Checkpoint { epoch: Epoch(BASE_EPOCH + source), root: B256::ZERO },
                        target: Checkpoint { epoch: Epoch(BASE_EPOCH + target), root: B256::ZERO },
                    };
                    (key, SignableMessage::Attestation(data), Epoch(BASE_EPOCH + target))
                }
            };
            let request = SignRequest {
                signing_root: None,
                fork_info: Some(ForkInfo {
                    fork: network.fork_object_at(epoch),
                    genesis_validators_root: network.genesis_validators_root,
                }),
                message: message.clone(),
            };
            match rt.block_on(enclave.sign(&keys[key], &request)) {
                Ok(signed) => {
                    prop_assert!(verify(&keys[key], signed.signing_root, &signed.signature.0));
                    let new = match message {
                        SignableMessage::Block { header, .. } => Released::Block(header),
                        SignableMessage::Attestation(data) => Released::Attestation(data),
                        _ => unreachable!(),
                    };
                    for old in &released[key] {
                        prop_assert!(!slashable(old, &new), "released a slashable pair");
                    }
                    released[key].push(new);
                }
                Err(SignError::Slashable(_)) => {}
                Err(e) => prop_assert!(false, "unexpected error {e}"),
            }
        }
    }
}
