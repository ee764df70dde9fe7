//! Deposit data in the format the staking launchpad and `staking-deposit-cli` use
//! (`deposit_data-*.json`), so an operator can deposit with the tools they know.

use lsv_consensus::containers::{DepositData as DepositDataContainer, DepositMessage};
use lsv_consensus::{Network, SignatureBytes};
use serde::Serialize;
use tree_hash::TreeHash;

/// One entry of `deposit_data.json`. Hex fields carry no `0x`, as the launchpad expects.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct DepositData {
    pub pubkey: String,
    pub withdrawal_credentials: String,
    pub amount: u64,
    pub signature: String,
    pub deposit_message_root: String,
    pub deposit_data_root: String,
    pub fork_version: String,
    pub network_name: String,
    pub deposit_cli_version: String,
}

impl DepositData {
    pub fn new(message: &DepositMessage, signature: SignatureBytes, network: &Network) -> Self {
        let data = DepositDataContainer {
            pubkey: message.pubkey,
            withdrawal_credentials: message.withdrawal_credentials,
            amount: message.amount,
            signature,
        };
        Self {
            pubkey: hex::encode(message.pubkey.0),
            withdrawal_credentials: hex::encode(message.withdrawal_credentials),
            amount: message.amount.as_u64(),
            signature: hex::encode(signature.0),
            deposit_message_root: hex::encode(message.tree_hash_root()),
            deposit_data_root: hex::encode(data.tree_hash_root()),
            fork_version: hex::encode(network.genesis_fork_version.0),
            network_name: network.name.clone(),
            // The launchpad checks this field's presence; we name our own tool.
            deposit_cli_version: concat!("lsv-", env!("CARGO_PKG_VERSION")).to_owned(),
        }
    }
}
