//! [`Chain`]: an in-memory execution chain on revm, Osaka rules, that processes blocks the way an
//! execution client does.
//!
//! A block, as [`Chain::next_block`] builds it:
//!
//! 1. The previous block is finished: the EIP-7002 system call (caller `0xff…fe`, empty input)
//!    dequeues up to 16 withdrawal requests, and EIP-6110 deposit requests are read from the
//!    block's `DepositEvent` logs. Both are kept as that block's [`ExecutionRequests`].
//! 2. The new block opens: number + 1, timestamp + 12 s per slot (missed slots skip ahead), and
//!    the EIP-4788 system call stores its parent beacon block root under its timestamp, before
//!    any transaction.
//! 3. Transactions run in it ([`Chain::transact`], [`Chain::deploy`]) until the next
//!    `next_block`.
//!
//! Genesis holds the real EIP-4788 and EIP-7002 bytecode (from `alloy-eips`) at their addresses
//! and our [`DepositContract`](crate::artifacts::DEPOSIT_CONTRACT) at mainnet's deposit contract
//! address. [`Chain::new`] opens block 1 with a zero parent beacon root.
//!
//! Simplifications, on purpose: the base fee and gas price are zero, so balances move only by the
//! values sent (gas is still metered and reported); signatures are not checked (a transaction
//! names its sender); a block's total gas is not limited (each transaction's is, at the EIP-7825
//! cap of 2^24); EIP-2935 and EIP-7251 system contracts are not installed.

use crate::artifacts::{self, Artifact};
use crate::gas::GasReport;
use crate::receipt::{Receipt, Status};
use crate::requests::{parse_deposit_requests, parse_withdrawal_requests, ExecutionRequests};
use alloy_eips::{eip4788, eip6110, eip7002};
use alloy_primitives::{keccak256, uint, Address, Bytes, Log, TxKind, B256, U256};
use alloy_sol_types::{SolCall, SolInterface};
use revm::bytecode::Bytecode;
use revm::context::result::{ExecutionResult, Output};
use revm::context::{BlockEnv, CfgEnv, Context, TxEnv};
use revm::database::{AccountState, InMemoryDB};
use revm::primitives::hardfork::SpecId;
use revm::state::AccountInfo;
use revm::{
    DatabaseRef, ExecuteCommitEvm, ExecuteEvm, MainBuilder, MainContext, SystemCallCommitEvm,
};
use std::collections::HashMap;

/// Why the chain did not do what was asked.
#[derive(Debug, thiserror::Error)]
pub enum ChainError {
    /// The transaction is invalid and would not be included in a block: wrong nonce, balance
    /// below value, gas limit above the EIP-7825 cap, sender with code (EIP-3607), ...
    #[error("transaction rejected: {0}")]
    Rejected(String),
    /// A deployment or [`Chain::view`] ran but did not succeed. The receipt holds the revert data.
    #[error("{0}")]
    Failed(Box<Receipt>),
    /// A [`Chain::view`] succeeded but its return data does not decode as the call's return type.
    #[error("cannot decode the return data: {0}")]
    Decode(#[from] alloy_sol_types::Error),
}

impl ChainError {
    /// For [`ChainError::Failed`] with revert data: the data decoded as one of `E`'s errors.
    pub fn revert_error<E: SolInterface>(&self) -> Option<E> {
        match self {
            Self::Failed(receipt) => receipt.revert_error(),
            _ => None,
        }
    }
}

/// A transaction to run. [`TxRequest::new`] fills the usual values; the fields are public.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TxRequest {
    /// The sender (an EOA: a sender with code is rejected, EIP-3607).
    pub from: Address,
    /// The callee, or `None` to create a contract from `data`.
    pub to: Option<Address>,
    /// Calldata, or init code when `to` is `None`.
    pub data: Bytes,
    /// Wei sent along.
    pub value: U256,
    /// The gas limit; at most [`Chain::TX_GAS_LIMIT_CAP`] or the transaction is rejected.
    pub gas_limit: u64,
}

impl TxRequest {
    /// A call of `to` with `data` and `value`, at the EIP-7825 gas cap.
    pub fn new(from: Address, to: Option<Address>, data: impl Into<Bytes>, value: U256) -> Self {
        Self {
            from,
            to,
            data: data.into(),
            value,
            gas_limit: Chain::TX_GAS_LIMIT_CAP,
        }
    }
}

/// An in-memory chain running lsv's contracts under Osaka rules. `Clone` is a snapshot: run a
/// scenario on a clone and the original is untouched.
#[derive(Clone, Debug)]
pub struct Chain {
    db: InMemoryDB,
    cfg: CfgEnv,
    block: BlockEnv,
    slot: u64,
    /// Logs of the open block's successful transactions, for EIP-6110.
    block_logs: Vec<Log>,
    block_gas_used: u64,
    last_requests: ExecutionRequests,
    /// Contracts whose artifact is known, to label gas by `Contract.function`.
    contracts: HashMap<Address, &'static Artifact>,
    gas: GasReport,
    deployer: Address,
}

impl Default for Chain {
    fn default() -> Self {
        Self::new()
    }
}

impl Chain {
    /// The chain id (CHAINID, EIP-155 replay protection): anvil's.
    pub const CHAIN_ID: u64 = 31_337;
    /// Timestamp of slot 0: mainnet's beacon genesis time (2020-12-01 12:00:23 UTC).
    pub const GENESIS_TIME: u64 = 1_606_824_023;
    /// SECONDS_PER_SLOT of the consensus layer.
    pub const SECONDS_PER_SLOT: u64 = 12;
    /// Gas limit of every block: 60M.
    pub const BLOCK_GAS_LIMIT: u64 = 60_000_000;
    /// EIP-7825 (Osaka): no transaction may have a gas limit above 2^24.
    pub const TX_GAS_LIMIT_CAP: u64 = alloy_eips::eip7825::MAX_TX_GAS_LIMIT_OSAKA;
    /// What [`Chain::account`] gives a new account: 1,000,000 ether.
    pub const ACCOUNT_FUNDS: U256 = uint!(1_000_000_000000000000000000_U256);

    /// Genesis with the system contracts and the deposit contract, and block 1 open (parent
    /// beacon root zero).
    pub fn new() -> Self {
        let mut cfg = CfgEnv::new_with_spec(SpecId::OSAKA);
        cfg.chain_id = Self::CHAIN_ID;
        let block = BlockEnv {
            number: U256::ZERO,
            timestamp: U256::from(Self::GENESIS_TIME),
            gas_limit: Self::BLOCK_GAS_LIMIT,
            basefee: 0,
            beneficiary: Address::repeat_byte(0xc0),
            ..BlockEnv::default()
        };
        let mut chain = Self {
            db: InMemoryDB::default(),
            cfg,
            block,
            slot: 0,
            block_logs: Vec::new(),
            block_gas_used: 0,
            last_requests: ExecutionRequests::default(),
            contracts: HashMap::new(),
            gas: GasReport::new(),
            deployer: Address::ZERO,
        };
        chain.set_code(
            eip4788::BEACON_ROOTS_ADDRESS,
            eip4788::BEACON_ROOTS_CODE.clone(),
        );
        chain.set_code(
            eip7002::WITHDRAWAL_REQUEST_PREDEPLOY_ADDRESS,
            eip7002::WITHDRAWAL_REQUEST_PREDEPLOY_CODE.clone(),
        );
        // No constructor, no immutables: the runtime code is the contract (as in a devnet's
        // genesis allocation).
        chain.set_code(
            eip6110::MAINNET_DEPOSIT_CONTRACT_ADDRESS,
            artifacts::DEPOSIT_CONTRACT.deployed_bytecode().clone(),
        );
        chain.contracts.insert(
            eip6110::MAINNET_DEPOSIT_CONTRACT_ADDRESS,
            &artifacts::DEPOSIT_CONTRACT,
        );
        chain.deployer = chain.account("deployer");
        chain.open_block(1, B256::ZERO);
        chain
    }

    // ---- blocks ---------------------------------------------------------------------------

    /// The open block's number.
    pub fn block_number(&self) -> u64 {
        self.block.number.to()
    }

    /// The open block's timestamp (`GENESIS_TIME + slot * 12`).
    pub fn timestamp(&self) -> u64 {
        self.block.timestamp.to()
    }

    /// The open block's slot.
    pub fn slot(&self) -> u64 {
        self.slot
    }

    /// Gas used so far by the open block's transactions.
    pub fn block_gas_used(&self) -> u64 {
        self.block_gas_used
    }

    /// Finishes the open block and opens the next one, in the next slot, with
    /// `parent_beacon_root` stored by EIP-4788. Returns the finished block's requests.
    pub fn next_block(&mut self, parent_beacon_root: B256) -> &ExecutionRequests {
        self.next_block_after(0, parent_beacon_root)
    }

    /// As [`Chain::next_block`], after `missed_slots` slots without a block: the timestamps of
    /// those slots get no beacon root.
    pub fn next_block_after(
        &mut self,
        missed_slots: u64,
        parent_beacon_root: B256,
    ) -> &ExecutionRequests {
        self.finish_block();
        self.open_block(self.slot + 1 + missed_slots, parent_beacon_root);
        &self.last_requests
    }

    /// As [`Chain::next_block`], for the beacon block at `beacon_slot` whose root is
    /// `parent_beacon_root`: the next block opens in the slot after it, as on a live chain, so
    /// the execution layer's clock agrees with the proven state's (missed slots in between get
    /// no beacon root). A chain already past that slot opens its next slot instead (a proof of
    /// an older block, still in the EIP-4788 window).
    pub fn next_block_for(
        &mut self,
        beacon_slot: u64,
        parent_beacon_root: B256,
    ) -> &ExecutionRequests {
        let missed = beacon_slot.saturating_sub(self.slot);
        self.next_block_after(missed, parent_beacon_root)
    }

    /// The requests of the last finished block.
    pub fn last_requests(&self) -> &ExecutionRequests {
        &self.last_requests
    }

    /// The withdrawal requests the EIP-7002 system call dequeued at the end of the last
    /// finished block: what the consensus layer receives.
    pub fn dequeued_withdrawal_requests(&self) -> &[eip7002::WithdrawalRequest] {
        &self.last_requests.withdrawals
    }

    fn finish_block(&mut self) {
        let output = self.system_call(eip7002::WITHDRAWAL_REQUEST_PREDEPLOY_ADDRESS, Bytes::new());
        self.last_requests = ExecutionRequests {
            block_number: self.block_number(),
            deposits: parse_deposit_requests(&self.block_logs, self.deposit_contract()),
            withdrawals: parse_withdrawal_requests(&output),
        };
        self.block_logs.clear();
        self.block_gas_used = 0;
    }

    fn open_block(&mut self, slot: u64, parent_beacon_root: B256) {
        self.slot = slot;
        self.block.number += U256::ONE;
        self.block.timestamp = U256::from(Self::GENESIS_TIME + slot * Self::SECONDS_PER_SLOT);
        self.block.slot_num = slot;
        // prevrandao: anything that changes per block.
        self.block.prevrandao = Some(keccak256(self.block.number.to_be_bytes::<32>()));
        self.system_call(eip4788::BEACON_ROOTS_ADDRESS, parent_beacon_root.into());
    }

    /// A system call (EIP-4788, EIP-7002): caller `0xff…fe`, no fee, no nonce, committed.
    ///
    /// # Panics
    /// If the call fails: with the real bytecode it cannot, and a client would reject the block.
    fn system_call(&mut self, address: Address, data: Bytes) -> Bytes {
        let mut evm = Context::mainnet()
            .with_db(&mut self.db)
            .with_cfg(self.cfg.clone())
            .with_block(self.block.clone())
            .build_mainnet();
        let result = evm
            .system_call_commit(address, data)
            .unwrap_or_else(|e| panic!("system call to {address} failed: {e}"));
        match result {
            ExecutionResult::Success { output, .. } => output.into_data(),
            other => panic!("system call to {address} did not succeed: {other:?}"),
        }
    }

    // ---- accounts and state ---------------------------------------------------------------

    /// An EOA for `label` (the address is derived from it), funded with
    /// [`Chain::ACCOUNT_FUNDS`] the first time it is asked for.
    pub fn account(&mut self, label: &str) -> Address {
        let address = Address::from_word(keccak256(format!("lsv-contracts harness: {label}")));
        if self.db.basic_ref(address).ok().flatten().is_none() {
            self.set_balance(address, Self::ACCOUNT_FUNDS);
        }
        address
    }

    /// Sets an account's balance (creating it if needed).
    pub fn set_balance(&mut self, address: Address, wei: U256) {
        let account = self.db.load_account(address).expect("in-memory database");
        account.info.balance = wei;
        if account.account_state == AccountState::NotExisting {
            account.account_state = AccountState::None;
        }
    }

    /// Credits a consensus-layer withdrawal of `amount_gwei` to `address` as the execution layer
    /// does (EIP-4895): the balance rises, no code runs, no transaction or log records it.
    pub fn credit_withdrawal(&mut self, address: Address, amount_gwei: u64) {
        let wei = self.balance(address) + U256::from(amount_gwei) * U256::from(1_000_000_000u64);
        self.set_balance(address, wei);
    }

    /// Places runtime code at an address, as a genesis allocation does (no constructor runs).
    pub fn set_code(&mut self, address: Address, code: Bytes) {
        let mut info = self
            .db
            .basic_ref(address)
            .ok()
            .flatten()
            .unwrap_or_default();
        info = info.with_code(Bytecode::new_raw(code));
        if info.nonce == 0 {
            info.nonce = 1; // a contract account starts at nonce 1 (EIP-161)
        }
        self.db.insert_account_info(address, info);
    }

    /// Sets a storage slot of an account, as a genesis allocation or a state override does (no
    /// code runs); for tests that need a contract in a state no short run of transactions
    /// reaches.
    pub fn set_storage(&mut self, address: Address, slot: U256, value: U256) {
        self.db
            .insert_account_storage(address, slot, value)
            .expect("in-memory database");
    }

    /// An account's balance in wei.
    pub fn balance(&self, address: Address) -> U256 {
        self.info(address).balance
    }

    /// An account's nonce.
    pub fn nonce(&self, address: Address) -> u64 {
        self.info(address).nonce
    }

    /// An account's runtime code.
    pub fn code(&self, address: Address) -> Bytes {
        let info = self.info(address);
        match info.code {
            Some(code) => code.original_bytes(),
            None => self
                .db
                .code_by_hash_ref(info.code_hash)
                .map(|c| c.original_bytes())
                .unwrap_or_default(),
        }
    }

    /// A storage slot's value.
    pub fn storage(&self, address: Address, slot: U256) -> U256 {
        self.db.storage_ref(address, slot).unwrap_or_default()
    }

    fn info(&self, address: Address) -> AccountInfo {
        self.db
            .basic_ref(address)
            .ok()
            .flatten()
            .unwrap_or_default()
    }

    // ---- contracts ------------------------------------------------------------------------

    /// Mainnet's deposit contract address, where genesis put our deposit contract.
    pub fn deposit_contract(&self) -> Address {
        eip6110::MAINNET_DEPOSIT_CONTRACT_ADDRESS
    }

    /// The funded account [`Chain::deploy`] deploys from.
    pub fn deployer(&self) -> Address {
        self.deployer
    }

    /// Deploys `artifact` from [`Chain::deployer`] with ABI-encoded constructor arguments (empty
    /// if none, else e.g. `(a, b).abi_encode_params()`). Returns its address.
    pub fn deploy(
        &mut self,
        artifact: &'static Artifact,
        constructor_args: &[u8],
    ) -> Result<Address, ChainError> {
        let deployer = self.deployer;
        self.deploy_from(deployer, artifact, constructor_args, U256::ZERO)
    }

    /// Deploys `artifact` from `from`, sending `value` to the constructor.
    pub fn deploy_from(
        &mut self,
        from: Address,
        artifact: &'static Artifact,
        constructor_args: &[u8],
        value: U256,
    ) -> Result<Address, ChainError> {
        let tx = TxRequest::new(from, None, artifact.init_code(constructor_args), value);
        let receipt = self.execute(tx, Some(artifact))?;
        match receipt.contract_address {
            Some(address) if receipt.is_success() => {
                self.contracts.insert(address, artifact);
                Ok(address)
            }
            _ => Err(ChainError::Failed(Box::new(receipt))),
        }
    }

    /// Labels `address` with `artifact` in the gas report (for contracts placed with
    /// [`Chain::set_code`] or created by other contracts).
    pub fn register_contract(&mut self, address: Address, artifact: &'static Artifact) {
        self.contracts.insert(address, artifact);
    }

    // ---- transactions and calls -----------------------------------------------------------

    /// Sends a transaction in the open block and commits it. A revert is a receipt with
    /// [`Status::Revert`] (the transaction is included); only an invalid transaction is an error.
    pub fn transact(
        &mut self,
        from: Address,
        to: Address,
        calldata: impl Into<Bytes>,
        value: U256,
    ) -> Result<Receipt, ChainError> {
        self.submit(TxRequest::new(from, Some(to), calldata, value))
    }

    /// Sends `call` ABI-encoded; see [`Chain::transact`].
    pub fn send<C: SolCall>(
        &mut self,
        from: Address,
        to: Address,
        call: &C,
        value: U256,
    ) -> Result<Receipt, ChainError> {
        self.transact(from, to, call.abi_encode(), value)
    }

    /// Sends a transaction described in full.
    pub fn submit(&mut self, tx: TxRequest) -> Result<Receipt, ChainError> {
        self.execute(tx, None)
    }

    /// Runs a call against the open block's state without committing anything (`eth_call`).
    pub fn call(
        &self,
        from: Address,
        to: Address,
        calldata: impl Into<Bytes>,
        value: U256,
    ) -> Result<Receipt, ChainError> {
        let tx = self.tx_env(TxRequest::new(from, Some(to), calldata, value))?;
        let mut evm = Context::mainnet()
            .with_ref_db(&self.db)
            .with_cfg(self.cfg.clone())
            .with_block(self.block.clone())
            .build_mainnet();
        let result = evm
            .transact(tx)
            .map_err(|e| ChainError::Rejected(e.to_string()))?
            .result;
        Ok(self.receipt(result))
    }

    /// A typed read-only call from the zero address: the decoded return value, or
    /// [`ChainError::Failed`] with the revert.
    pub fn view<C: SolCall>(&self, to: Address, call: &C) -> Result<C::Return, ChainError> {
        let receipt = self.call(Address::ZERO, to, call.abi_encode(), U256::ZERO)?;
        if !receipt.is_success() {
            return Err(ChainError::Failed(Box::new(receipt)));
        }
        Ok(receipt.decode_return::<C>()?)
    }

    /// Gas of every successful transaction so far, by `Contract.function` (deployments as
    /// `Contract.constructor`, the system contracts by EIP, anything else by address).
    pub fn gas_report(&self) -> &GasReport {
        &self.gas
    }

    fn tx_env(&self, tx: TxRequest) -> Result<TxEnv, ChainError> {
        TxEnv::builder()
            .caller(tx.from)
            .kind(tx.to.map_or(TxKind::Create, TxKind::Call))
            .data(tx.data)
            .value(tx.value)
            .gas_limit(tx.gas_limit)
            .gas_price(0)
            .nonce(self.nonce(tx.from))
            .chain_id(Some(Self::CHAIN_ID))
            .build()
            .map_err(|e| ChainError::Rejected(format!("{e:?}")))
    }

    fn execute(
        &mut self,
        tx: TxRequest,
        deploying: Option<&'static Artifact>,
    ) -> Result<Receipt, ChainError> {
        let label = self.gas_label(&tx, deploying);
        let env = self.tx_env(tx)?;
        let mut evm = Context::mainnet()
            .with_db(&mut self.db)
            .with_cfg(self.cfg.clone())
            .with_block(self.block.clone())
            .build_mainnet();
        let result = evm
            .transact_commit(env)
            .map_err(|e| ChainError::Rejected(e.to_string()))?;
        let receipt = self.receipt(result);
        self.block_gas_used += receipt.gas_used;
        if receipt.is_success() {
            self.block_logs.extend(receipt.logs.iter().cloned());
            self.gas.record(label, receipt.gas_used);
        }
        Ok(receipt)
    }

    fn gas_label(&self, tx: &TxRequest, deploying: Option<&'static Artifact>) -> String {
        let Some(to) = tx.to else {
            return match deploying {
                Some(artifact) => format!("{}.constructor", artifact.name()),
                None => "create".to_owned(),
            };
        };
        let Some(artifact) = self.contracts.get(&to) else {
            return match to {
                eip7002::WITHDRAWAL_REQUEST_PREDEPLOY_ADDRESS => "EIP-7002 predeploy".to_owned(),
                eip4788::BEACON_ROOTS_ADDRESS => "EIP-4788 beacon roots".to_owned(),
                _ => format!("{to}"),
            };
        };
        let function = tx
            .data
            .get(..4)
            .and_then(|s| artifact.function_name(s.try_into().expect("4 bytes")));
        match function {
            Some(name) => format!("{}.{name}", artifact.name()),
            None => format!("{}.<fallback>", artifact.name()),
        }
    }

    fn receipt(&self, result: ExecutionResult) -> Receipt {
        let block_number = self.block_number();
        let gas_used = result.tx_gas_used();
        match result {
            ExecutionResult::Success { logs, output, .. } => {
                let (output, contract_address) = match output {
                    Output::Call(data) => (data, None),
                    Output::Create(code, address) => (code, address),
                };
                Receipt {
                    status: Status::Success,
                    gas_used,
                    output,
                    logs,
                    contract_address,
                    block_number,
                }
            }
            ExecutionResult::Revert { output, .. } => Receipt {
                status: Status::Revert,
                gas_used,
                output,
                logs: Vec::new(),
                contract_address: None,
                block_number,
            },
            ExecutionResult::Halt { reason, .. } => Receipt {
                status: Status::Halt(format!("{reason:?}")),
                gas_used,
                output: Bytes::new(),
                logs: Vec::new(),
                contract_address: None,
                block_number,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn account_funds_are_a_million_ether() {
        assert_eq!(
            Chain::ACCOUNT_FUNDS,
            U256::from(1_000_000u64) * U256::from(10u64).pow(U256::from(18u64))
        );
    }
}
