//! Reading `testdata/gloas-state/` (made by `scripts/generate-gloas-state-vectors`): shared by
//! the Gloas proof tests here and in `lsv-contracts` and the CLI.

use alloy_primitives::B256;
use lsv_consensus::containers::BeaconBlockHeader;
use lsv_consensus::Slot;
use serde::Deserialize;
use std::path::PathBuf;

/// `testdata/gloas-state/`.
pub(crate) fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../testdata/gloas-state")
}

/// A vector's block header, as the generator writes it.
#[derive(Clone, Debug, Deserialize)]
pub(crate) struct Header {
    slot: u64,
    proposer_index: u64,
    parent_root: B256,
    state_root: B256,
    body_root: B256,
}

impl Header {
    /// The header.
    pub(crate) fn header(&self) -> BeaconBlockHeader {
        BeaconBlockHeader {
            slot: Slot::new(self.slot),
            proposer_index: self.proposer_index,
            parent_root: self.parent_root,
            state_root: self.state_root,
            body_root: self.body_root,
        }
    }
}

/// `name`'s YAML under [`dir`], parsed.
pub(crate) fn load<T: serde::de::DeserializeOwned>(name: &str) -> T {
    let path = dir().join(name);
    serde_yaml::from_str(&std::fs::read_to_string(&path).unwrap())
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}
