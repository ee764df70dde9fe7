//! Shared loaders for the test vectors in `testdata/ssz/merkle_proof/` (see its SOURCE.md).
#![allow(dead_code)]

use alloy_primitives::B256;
use lsv_consensus::containers::BeaconBlockHeader;
use lsv_consensus::{ForkName, Mainnet, Minimal, Version};
use lsv_proofs::state::{electra, fulu};
use lsv_proofs::{Anchor, AnyBeaconState, StatePreset, StateProver};
use ssz::Decode;
use std::path::PathBuf;
use std::sync::OnceLock;
use tree_hash::TreeHash;

pub(crate) fn data_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../testdata/ssz/merkle_proof")
}

/// The directory of the light-client `BeaconState` cases of a preset (Electra).
pub(crate) fn light_client_state_dir(preset: &str) -> PathBuf {
    data_dir().join(format!(
        "light_client/{preset}/electra/light_client/single_merkle_proof/BeaconState"
    ))
}

/// The raw SSZ of the Electra genesis state the vectors were made from.
pub(crate) fn electra_state_bytes(preset: &str) -> Vec<u8> {
    let dir = light_client_state_dir(preset);
    let path = match preset {
        "mainnet" => dir.join("BeaconState.object.ssz"),
        _ => dir.join("current_sync_committee_merkle_proof/object.ssz"),
    };
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

pub(crate) fn mainnet_state() -> &'static electra::BeaconState<Mainnet> {
    static S: OnceLock<electra::BeaconState<Mainnet>> = OnceLock::new();
    S.get_or_init(|| electra::BeaconState::from_ssz_bytes(&electra_state_bytes("mainnet")).unwrap())
}

pub(crate) fn minimal_state() -> &'static electra::BeaconState<Minimal> {
    static S: OnceLock<electra::BeaconState<Minimal>> = OnceLock::new();
    S.get_or_init(|| electra::BeaconState::from_ssz_bytes(&electra_state_bytes("minimal")).unwrap())
}

pub(crate) fn mainnet_prover() -> &'static StateProver<Mainnet> {
    static P: OnceLock<StateProver<Mainnet>> = OnceLock::new();
    P.get_or_init(|| StateProver::new(AnyBeaconState::Electra(Box::new(mainnet_state().clone()))))
}

/// `fulu`'s version in the consensus-spec-tests configs: mainnet `0x06000000`, minimal
/// `0x06000001` (configs/{mainnet,minimal}.yaml `FULU_FORK_VERSION`).
pub(crate) fn fulu_version<P: StatePreset>() -> Version {
    match P::NAME {
        lsv_consensus::PresetName::Mainnet => Version([6, 0, 0, 0]),
        lsv_consensus::PresetName::Minimal => Version([6, 0, 0, 1]),
    }
}

/// The Electra state with the Fulu layout: `fork` moved on as `upgrade_to_fulu` does and a
/// `proposer_lookahead` appended (arbitrary indices, not the real lookahead).
pub(crate) fn to_fulu<P: StatePreset>(pre: &electra::BeaconState<P>) -> fulu::BeaconState<P> {
    let fork = lsv_consensus::containers::Fork {
        previous_version: pre.fork.current_version,
        current_version: fulu_version::<P>(),
        epoch: lsv_consensus::Epoch::new(pre.slot.as_u64() / 32),
    };
    let n = pre.validators.len() as u64;
    let lookahead: Vec<u64> = (0..P::ProposerLookaheadLength::to_usize() as u64)
        .map(|i| (i * 7 + 3) % n)
        .collect();
    fulu::BeaconState::from_electra(pre.clone(), fork, lookahead.try_into().unwrap())
}

use typenum::Unsigned;

/// The anchor of a test state: its own genesis, Electra's and Fulu's versions.
pub(crate) fn anchor_of<P: StatePreset>(state: &AnyBeaconState<P>) -> Anchor {
    let electra = match state {
        AnyBeaconState::Electra(s) => s.fork.current_version,
        AnyBeaconState::Fulu(s) => s.fork.previous_version,
    };
    Anchor {
        genesis_time: state.genesis_time(),
        genesis_validators_root: state.genesis_validators_root(),
        fork_versions: vec![electra, fulu_version::<P>()],
    }
}

/// A header whose `state_root` is the prover's state root, as the block that produced the
/// state would have.
pub(crate) fn header_for<P: StatePreset>(prover: &StateProver<P>) -> BeaconBlockHeader {
    BeaconBlockHeader {
        slot: prover.state().slot(),
        proposer_index: 3,
        parent_root: B256::repeat_byte(0xa1),
        state_root: prover.state_root(),
        body_root: B256::repeat_byte(0xb2),
    }
}

pub(crate) fn block_root(header: &BeaconBlockHeader) -> B256 {
    header.tree_hash_root()
}

#[derive(serde::Deserialize)]
pub(crate) struct ProofYaml {
    pub leaf: String,
    pub leaf_index: u64,
    pub branch: Vec<String>,
}

pub(crate) fn read_proof_yaml(path: &std::path::Path) -> ProofYaml {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_yaml::from_str(&text).unwrap()
}

pub(crate) fn b256(hex_str: &str) -> B256 {
    hex_str.parse().unwrap()
}

pub(crate) fn fork_name_of<P: StatePreset>(s: &AnyBeaconState<P>) -> ForkName {
    s.fork_name()
}

/// The minimal-preset genesis state grown to `n` validators (`n >= 64`), each new one a copy of
/// an existing one with a distinct pubkey, and with varied balances and inactivity scores, so
/// registries that are not a power of two and partly filled last chunks get exercised.
pub(crate) fn grown_minimal_state(n: usize) -> electra::BeaconState<Minimal> {
    let mut s = minimal_state().clone();
    let base = s.validators.len();
    for i in base..n {
        let mut v = s.validators[i % base];
        v.pubkey.0[..8].copy_from_slice(&(i as u64).to_le_bytes());
        v.effective_balance =
            lsv_consensus::Gwei::new(32_000_000_000 - (i as u64 % 3) * 1_000_000_000);
        s.validators.push(v).unwrap();
        s.balances.push(lsv_consensus::Gwei::new(0)).unwrap();
        s.inactivity_scores.push(0).unwrap();
        s.previous_epoch_participation.push(0).unwrap();
        s.current_epoch_participation.push(0).unwrap();
    }
    for i in 0..n {
        let x = (i as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15);
        s.balances[i] = lsv_consensus::Gwei::new(31_000_000_000 + x % 2_000_000_000);
        s.inactivity_scores[i] = if i % 5 == 0 { 0 } else { x >> 40 };
    }
    s
}
