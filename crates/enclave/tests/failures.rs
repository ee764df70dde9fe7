//! Refused and failed are different types all the way out of P: a slashable request is
//! `SignError::Slashable`, a database that cannot decide is `SignError::Protection`, and the
//! slashing database's own errors reach the caller as the types they are, at start-up, in
//! signing and in import, export and prune.

#![allow(unused_crate_dependencies)]

use alloy_primitives::{Address, B256};
use lsv_consensus::{Network, SignRequest};
use lsv_enclave::keystore::Kdf;
use lsv_enclave::{
    AttestationConfig, Clock, DataDir, DevSealer, Enclave, Policy, ProtectionError, SignError,
    StartError,
};
use lsv_slashing_protection::{
    InterchangeError, InterchangeFormat, MinifiedInterchange, NotSafe, INTERCHANGE_FORMAT_VERSION,
};
use serde_json::json;
use std::path::Path;
use std::sync::Arc;

struct FixedClock(u64);
impl Clock for FixedClock {
    fn unix_seconds(&self) -> u64 {
        self.0
    }
}

const EPOCH: u64 = 400_000;

fn open(dir: &Path, network: Network) -> Result<Enclave, StartError> {
    let now = network.genesis_time + EPOCH * 32 * network.seconds_per_slot;
    let sealer = DevSealer::open(dir, Kdf::Pbkdf2 { c: 16 }).unwrap();
    Enclave::open(
        &DataDir::new(dir),
        Policy::new(network, Some(Address::repeat_byte(0xc0))),
        Arc::new(sealer),
        AttestationConfig::Dev,
        Arc::new(FixedClock(now)),
    )
}

fn attestation(network: &Network, source: u64, target: u64, root: u8) -> SignRequest {
    let body = json!({
        "type": "ATTESTATION",
        "fork_info": {
            "fork": network.fork_object_at(lsv_consensus::Epoch(target)),
            "genesis_validators_root": network.genesis_validators_root,
        },
        "attestation": {
            "slot": (target * 32).to_string(),
            "index": "0",
            "beacon_block_root": B256::repeat_byte(root),
            "source": { "epoch": source.to_string(), "root": B256::repeat_byte(1) },
            "target": { "epoch": target.to_string(), "root": B256::repeat_byte(2) },
        }
    });
    SignRequest::from_json(body.to_string().as_bytes()).unwrap()
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

#[test]
fn a_slashable_request_is_refused_not_failed() {
    let dir = tempfile::tempdir().unwrap();
    let network = Network::mainnet();
    let p = open(dir.path(), network.clone()).unwrap();
    let rt = runtime();
    let pk = rt
        .block_on(p.generate_keys(Address::repeat_byte(0x0e), 1))
        .unwrap()[0]
        .pubkey;
    rt.block_on(p.sign(&pk, &attestation(&network, EPOCH - 1, EPOCH, 1)))
        .unwrap();
    let double = rt.block_on(p.sign(&pk, &attestation(&network, EPOCH - 1, EPOCH, 2)));
    assert!(
        matches!(
            double,
            Err(SignError::Slashable(NotSafe::InvalidAttestation(_)))
        ),
        "{double:?}"
    );
}

#[test]
fn a_closed_database_fails_as_closed_everywhere() {
    let dir = tempfile::tempdir().unwrap();
    let network = Network::mainnet();
    let p = open(dir.path(), network.clone()).unwrap();
    let rt = runtime();
    let pk = rt
        .block_on(p.generate_keys(Address::repeat_byte(0x0e), 1))
        .unwrap()[0]
        .pubkey;
    p.shutdown();
    let signed = rt.block_on(p.sign(&pk, &attestation(&network, EPOCH - 1, EPOCH, 1)));
    assert!(
        matches!(signed, Err(SignError::Protection(ProtectionError::Closed))),
        "{signed:?}"
    );
    let generated = rt.block_on(p.generate_keys(Address::repeat_byte(0x0e), 1));
    assert!(
        matches!(
            generated,
            Err(SignError::Protection(ProtectionError::Closed))
        ),
        "{generated:?}"
    );
    let exported =
        rt.block_on(p.export_interchange(InterchangeFormat::Minimal, Box::new(std::io::sink())));
    assert!(matches!(exported, Err(ProtectionError::Closed)));
    assert!(matches!(
        rt.block_on(p.prune()),
        Err(ProtectionError::Closed)
    ));
}

#[test]
fn an_interchange_for_another_network_is_an_interchange_error() {
    let dir = tempfile::tempdir().unwrap();
    let p = open(dir.path(), Network::mainnet()).unwrap();
    let other = B256::repeat_byte(0x42);
    let file = json!({
        "metadata": {
            "interchange_format_version": INTERCHANGE_FORMAT_VERSION,
            "genesis_validators_root": other,
        },
        "data": [],
    });
    let interchange = MinifiedInterchange::from_json_slice(file.to_string().as_bytes()).unwrap();
    let imported = runtime().block_on(p.import_interchange(interchange));
    assert!(
        matches!(
            imported,
            Err(ProtectionError::Interchange(
                InterchangeError::GenesisValidatorsRootMismatch { interchange, .. }
            )) if interchange == other
        ),
        "{imported:?}"
    );
}

#[test]
fn a_database_of_another_network_stops_p_with_the_database_error() {
    let dir = tempfile::tempdir().unwrap();
    drop(open(dir.path(), Network::mainnet()).unwrap());
    let mut other = Network::mainnet();
    other.genesis_validators_root = B256::repeat_byte(0x42);
    let started = open(dir.path(), other);
    assert!(
        matches!(
            started,
            Err(StartError::Protection(
                lsv_slashing_protection::Error::GenesisValidatorsRootMismatch { .. }
            ))
        ),
        "{:?}",
        started.err()
    );
}
