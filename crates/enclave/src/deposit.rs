//! Deposit data in the format the staking launchpad and `staking-deposit-cli` use
//! (`deposit_data-*.json`), so an operator can deposit with the tools they know.

use lsv_consensus::containers::{DepositData as DepositDataContainer, DepositMessage};
use lsv_consensus::{Network, SignatureBytes};
use serde::{Deserialize, Serialize};
use tree_hash::TreeHash;

/// One entry of `deposit_data.json`. Hex fields carry no `0x`, as the launchpad expects.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct DepositData {
    /// The validator's public key.
    pub pubkey: String,
    /// `0x02 ‖ 0^11 ‖ C`.
    pub withdrawal_credentials: String,
    /// In gwei: 32 ETH.
    pub amount: u64,
    /// The deposit signature, over `DOMAIN_DEPOSIT` with the genesis fork version.
    pub signature: String,
    /// `hash_tree_root(DepositMessage)`.
    pub deposit_message_root: String,
    /// `hash_tree_root(DepositData)`, what the deposit contract takes.
    pub deposit_data_root: String,
    /// The network's genesis fork version.
    pub fork_version: String,
    /// The network's name, as the launchpad matches it.
    pub network_name: String,
    /// The tool that made the file (`lsv-<version>`); the launchpad requires the field.
    pub deposit_cli_version: String,
}

impl DepositData {
    /// The entry for `message` signed with `signature` on `network`.
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
