//! What a transaction or call left behind: status, gas, return or revert data, logs.

use crate::artifacts::describe_revert;
use alloy_primitives::{Address, Bytes, Log};
use alloy_sol_types::{SolCall, SolEvent, SolInterface};
use std::fmt;

/// How execution ended. A reverted or halted transaction is still included in its block (its
/// sender pays for the gas); a transaction the chain refuses outright is a
/// [`ChainError::Rejected`](crate::ChainError::Rejected) instead.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Status {
    /// Returned normally.
    Success,
    /// `REVERT`: [`Receipt::output`] holds the revert data.
    Revert,
    /// Exceptional halt (out of gas, invalid opcode, ...): all gas spent, no data.
    Halt(String),
}

/// The outcome of one transaction (committed) or call (not committed).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Receipt {
    /// How execution ended.
    pub status: Status,
    /// Gas used as a receipt reports it: intrinsic gas (21,000 + calldata, EIP-7623 floor)
    /// plus execution, minus refunds.
    pub gas_used: u64,
    /// Return data on success, revert data on revert, empty on halt. For a deployment, the
    /// runtime code.
    pub output: Bytes,
    /// Logs, in order; empty unless the status is [`Status::Success`].
    pub logs: Vec<Log>,
    /// The new contract's address, for a successful deployment.
    pub contract_address: Option<Address>,
    /// The block the transaction ran in.
    pub block_number: u64,
}

impl Receipt {
    /// Whether execution returned normally.
    pub fn is_success(&self) -> bool {
        self.status == Status::Success
    }

    /// Returns the receipt if it succeeded; panics with the decoded revert otherwise. For tests.
    #[track_caller]
    pub fn expect_success(self) -> Self {
        assert!(self.is_success(), "transaction failed: {self}");
        self
    }

    /// The revert data decoded as one of `E`'s custom errors (a `sol!` `<Name>Errors` enum), or
    /// `None` if the transaction did not revert or the data is no error of `E`.
    pub fn revert_error<E: SolInterface>(&self) -> Option<E> {
        match self.status {
            Status::Revert => E::abi_decode(&self.output).ok(),
            _ => None,
        }
    }

    /// The return data decoded as `C`'s return type.
    pub fn decode_return<C: SolCall>(&self) -> Result<C::Return, alloy_sol_types::Error> {
        C::abi_decode_returns(&self.output)
    }

    /// Every log of event `E`, from any emitter, decoded. Logs that carry `E`'s signature but do
    /// not decode are skipped.
    pub fn events<E: SolEvent>(&self) -> Vec<E> {
        self.logs
            .iter()
            .filter(|log| log.topics().first() == Some(&E::SIGNATURE_HASH))
            .filter_map(|log| E::decode_log_data(&log.data).ok())
            .collect()
    }

    /// Every log of event `E` emitted by `emitter`, decoded.
    pub fn events_from<E: SolEvent>(&self, emitter: Address) -> Vec<E> {
        self.logs
            .iter()
            .filter(|log| log.address == emitter)
            .filter(|log| log.topics().first() == Some(&E::SIGNATURE_HASH))
            .filter_map(|log| E::decode_log_data(&log.data).ok())
            .collect()
    }
}

impl fmt::Display for Receipt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.status {
            Status::Success => write!(f, "success, {} gas", self.gas_used),
            Status::Revert => write!(
                f,
                "reverted with {}, {} gas",
                describe_revert(&self.output),
                self.gas_used
            ),
            Status::Halt(reason) => write!(f, "halted: {reason}, {} gas", self.gas_used),
        }
    }
}
