//! lsv's Solidity contracts, seen from Rust: the committed build artifacts
//! (`contracts/artifacts/*.json`, written by `contracts/build.mjs` with the pinned solc), `sol!`
//! bindings generated from them, and [`Chain`], a small in-memory chain on revm under Osaka rules
//! that processes blocks the way an execution client does.
//!
//! The chain carries the real system contracts: the EIP-4788 beacon-roots contract, called with
//! the parent beacon block root before a block's transactions, and the EIP-7002 withdrawal-request
//! predeploy, whose queue is drained after them. Each finished block yields the
//! [`ExecutionRequests`] the consensus layer would receive (EIP-7685): deposits parsed from the
//! deposit contract's logs (EIP-6110) and dequeued withdrawal requests (EIP-7002).
//!
//! ```
//! use lsv_contracts::{bindings::DepositContract, Chain};
//!
//! let mut chain = Chain::new();
//! let count = chain
//!     .view(chain.deposit_contract(), &DepositContract::get_deposit_countCall {})
//!     .unwrap();
//! assert_eq!(count.as_ref(), &[0u8; 8]);
//! ```

#![cfg_attr(test, allow(unused_crate_dependencies))]

pub mod artifacts;
pub mod chain;
pub mod dcap;
pub mod devnet;
pub mod gas;
pub mod receipt;
pub mod requests;
pub mod vault_gas;

pub use artifacts::{bindings, Artifact};
pub use chain::{Chain, ChainError, TxRequest};
pub use gas::{GasReport, GasRow};
pub use receipt::{Receipt, Status};
pub use requests::ExecutionRequests;

pub use alloy_eips::eip6110::DepositRequest;
pub use alloy_eips::eip7002::WithdrawalRequest;
pub use alloy_primitives::{Address, Bytes, B256, U256};
