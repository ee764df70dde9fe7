//! The devnet's execution layer: anvil, Foundry's development node, run as a child process and
//! driven over its JSON-RPC so that it produces one block per beacon block, as an execution
//! client under a consensus client would.
//!
//! What a slot does on the execution side, in order (`AnvilExecution::build_payload`):
//!
//! 1. **EIP-4788.** A transaction from the system address `0xff…fe` (impersonated) to the
//!    beacon-roots contract with the parent beacon block root as calldata: the contract's
//!    system path stores it under the block's timestamp, as the system call before a block's
//!    transactions does. Anvil orders its pool by fee cap (`--order fees`), and this one's
//!    (1,000 gwei, of which it pays only the base fee) is above any a wallet offers here, so it
//!    comes first.
//! 2. **EIP-7002 and EIP-7251.** After every other transaction, a transaction from the system
//!    address to each predeploy dequeues its requests (the system call after a block's
//!    transactions); the dequeued requests are read back from the call's output
//!    (`debug_traceTransaction`). Their fee cap is the block's base fee exactly, the least any
//!    transaction can offer, so they come last even when a transaction arrives after them,
//!    while the block is being built (one offering exactly the base fee would tie, and is
//!    refused as a failed block).
//! 3. **Mining** at the slot's timestamp (`evm_setNextBlockTimestamp`, `evm_mine`; anvil runs
//!    with `--no-mining`).
//! 4. **Withdrawals (EIP-4895).** The beacon block's withdrawals, in the spec's order, are
//!    credited with `anvil_setBalance` on the block just mined: a **stand-in**, since anvil has
//!    no way to include withdrawals in a block. The balances are right from that block on (a
//!    transaction in the next block sees them, one in this block did not, as on a real chain),
//!    but the block's `stateRoot` was computed without them and its `withdrawalsRoot` is that
//!    of an empty list.
//! 5. **EIP-6110.** The deposit contract's `DepositEvent` logs of the block become deposit
//!    requests.
//!
//! The system transactions are ordinary transactions to anvil: they pay the base fee (no tip),
//! from a balance the devnet gives the system address at start, and raise its nonce. Nothing
//! else differs from the system calls they stand for: the contracts see `msg.sender` as the
//! system address and take their system path.
//!
//! The payload handed to the beacon block carries the anvil block's real hash, number,
//! timestamp, roots, gas and transactions (raw, as anvil serialises them), the beacon block's
//! withdrawals, and `prev_randao` from the beacon state (anvil picks its own `mixHash`, so a
//! contract reading `PREVRANDAO` sees anvil's). Anvil's own chain is the one anybody reads: point
//! `cast`, a wallet or `lsv` at [`Anvil::url`].
//!
//! At start the system contracts (EIP-4788, EIP-7002, EIP-7251) and lsv's deposit contract are
//! placed with `anvil_setCode` (anvil has none at genesis), the deposit contract at mainnet's
//! address. If a beacon block that used a payload is never imported (its proposer's signer
//! refused to sign it), the next slot rolls anvil back to the payload's parent first.

use crate::execution::{ExecutionError, ExecutionLayer, PayloadAttributes};
use alloy_eips::{eip4788, eip6110, eip7002, eip7251};
use alloy_primitives::{Address, Bytes, Log, LogData, B256, U256};
use bytes::Bytes as Body;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use lsv_proofs::block::{
    ConsolidationRequest, DepositRequest, ExecutionPayload, ExecutionRequests, Transaction,
    Withdrawal, WithdrawalRequest,
};
use lsv_proofs::preset::{MaxTransactionsPerPayload, StatePreset};
use lsv_proofs::state::ExecutionPayloadHeader;
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::{json, Value};
use ssz_types::{FixedVector, VariableList};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;
use tree_hash::TreeHash;

/// `SYSTEM_ADDRESS` (EIP-4788, EIP-7002, EIP-7251).
const SYSTEM_ADDRESS: Address = eip4788::SYSTEM_ADDRESS;
/// Gas for a system transaction: the system calls are given 30,000,000 (EIP-4788); what they
/// use is far below the per-transaction cap of 2^24 (EIP-7825).
const SYSTEM_CALL_GAS: u64 = 1_000_000;
/// The fee cap of the EIP-4788 system transaction, which must come first in its block: above
/// any a wallet offers on the devnet (its base fee falls to a few wei in empty blocks).
const SYSTEM_FIRST_FEE_CAP: u64 = 1_000_000_000_000;
/// One gwei in wei (withdrawal amounts are in gwei, EIP-4895).
const GWEI: u64 = 1_000_000_000;
/// EIP-7251: a dequeued consolidation request is `source_address (20) ‖ source_pubkey (48) ‖
/// target_pubkey (48)`.
const CONSOLIDATION_REQUEST_LENGTH: usize = 20 + 48 + 48;

/// Where the anvil binary is: `LSV_ANVIL`, else the one the README's set-up installs from npm
/// into `contracts/node_modules`, else `anvil` on `PATH`.
pub fn locate_anvil() -> PathBuf {
    if let Some(path) = std::env::var_os("LSV_ANVIL") {
        return PathBuf::from(path);
    }
    let installed = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../contracts/node_modules/@foundry-rs/anvil-linux-amd64/bin/anvil");
    if installed.exists() {
        return installed;
    }
    PathBuf::from("anvil")
}

/// How to start anvil.
#[derive(Clone, Debug)]
pub struct AnvilOptions {
    /// The binary ([`locate_anvil`]).
    pub binary: PathBuf,
    /// The genesis block's timestamp: the beacon chain's genesis time.
    pub genesis_time: u64,
    /// `prague` for an Electra beacon chain, `osaka` for Fulu.
    pub hardfork: &'static str,
    /// The execution chain's id.
    pub chain_id: u64,
    /// The port to listen on (0: any free one).
    pub port: u16,
}

/// Why anvil could not be used.
fn failed(what: impl std::fmt::Display) -> ExecutionError {
    ExecutionError::Failed(what.to_string())
}

/// A running anvil, stopped when dropped.
pub struct Anvil {
    child: Child,
    url: String,
    rpc: Rpc,
    dev_keys: Vec<B256>,
}

impl Anvil {
    /// Starts anvil and waits until it answers.
    pub fn start(options: &AnvilOptions) -> Result<Self, ExecutionError> {
        let mut child = Command::new(&options.binary)
            .args(["--host", "127.0.0.1", "--port"])
            .arg(options.port.to_string())
            .args(["--hardfork", options.hardfork])
            .arg("--timestamp")
            .arg(options.genesis_time.to_string())
            .arg("--chain-id")
            .arg(options.chain_id.to_string())
            .args([
                "--no-mining",
                "--order",
                "fees",
                "--disable-min-priority-fee",
            ])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| {
                failed(format!(
                    "cannot start anvil at {}: {e} (install the pinned one with `npm ci --prefix \
                     contracts`, as ./scripts/test does, or set LSV_ANVIL)",
                    options.binary.display()
                ))
            })?;
        // Anvil prints its accounts and their keys (`(0) 0x…` under `Private Keys`), then
        // `Listening on 127.0.0.1:<port>`; what follows is read and dropped so the pipe never
        // fills.
        let stdout = child
            .stdout
            .take()
            .ok_or_else(|| failed("anvil has no stdout"))?;
        let mut lines = BufReader::new(stdout).lines();
        let mut address = None;
        let mut in_keys = false;
        let mut dev_keys = Vec::new();
        for line in lines.by_ref() {
            let line = line.map_err(failed)?;
            let line = line.trim();
            if line == "Private Keys" {
                in_keys = true;
            } else if in_keys && line.starts_with('(') {
                let key: Option<B256> = line.split_whitespace().nth(1).and_then(|k| k.parse().ok());
                dev_keys.extend(key);
            } else if in_keys && !line.is_empty() && !line.starts_with('=') {
                in_keys = false;
            }
            if let Some(rest) = line.strip_prefix("Listening on ") {
                address = Some(rest.trim().to_owned());
                break;
            }
        }
        let Some(address) = address else {
            let _ = child.kill();
            let status = child.wait().map_err(failed)?;
            return Err(failed(format!("anvil exited ({status}) before listening")));
        };
        std::thread::spawn(move || for _ in lines {});
        let url = format!("http://{address}");
        let rpc = Rpc::new(&url)?;
        let anvil = Self {
            child,
            url,
            rpc,
            dev_keys,
        };
        anvil.rpc.call::<Value>("eth_chainId", json!([]))?;
        Ok(anvil)
    }

    /// The private keys of anvil's funded development accounts, in its order (account 0 first),
    /// as anvil prints them: derived from Foundry's public test mnemonic, so known to everyone
    /// and fit for a devnet only.
    pub fn dev_keys(&self) -> &[B256] {
        &self.dev_keys
    }

    /// The JSON-RPC URL.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The JSON-RPC client.
    pub fn rpc(&self) -> &Rpc {
        &self.rpc
    }
}

impl Drop for Anvil {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A blocking JSON-RPC client (one HTTP/1.1 connection pool, its own single-thread runtime).
pub struct Rpc {
    url: hyper::Uri,
    client: Client<HttpConnector, Full<Body>>,
    runtime: tokio::runtime::Runtime,
}

/// A JSON-RPC error object.
#[derive(Clone, Debug, Deserialize)]
struct RpcError {
    code: i64,
    message: String,
}

#[derive(Clone, Debug, Deserialize)]
struct RpcResponse {
    /// The call's id (batches are answered in any order).
    #[serde(default)]
    id: Option<usize>,
    result: Option<Value>,
    error: Option<RpcError>,
}

impl Rpc {
    /// A client of the node at `url`.
    pub fn new(url: &str) -> Result<Self, ExecutionError> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(failed)?;
        Ok(Self {
            url: url.parse().map_err(failed)?,
            client: Client::builder(TokioExecutor::new()).build_http(),
            runtime,
        })
    }

    /// `eth_sendTransaction` of `tx` (from an unlocked or impersonated account), with the fee
    /// fields filled in where `tx` has none: no tip (anvil runs with
    /// `--disable-min-priority-fee`) and a fee cap of twice the last base fee, which the next
    /// block's cannot exceed (EIP-1559: at most 12.5% up). Anvil's own defaults fail once empty
    /// blocks have brought the base fee near zero ("max priority fee per gas higher than max fee
    /// per gas"). Returns the transaction's hash.
    pub fn send_transaction(&self, mut tx: Value) -> Result<B256, ExecutionError> {
        if let Some(fields) = tx.as_object_mut() {
            if !fields.contains_key("gasPrice") && !fields.contains_key("maxFeePerGas") {
                let latest: RpcBlock =
                    self.call("eth_getBlockByNumber", json!(["latest", false]))?;
                let cap =
                    latest.base_fee_per_gas.unwrap_or_default() * U256::from(2) + U256::from(1);
                fields.insert("maxFeePerGas".into(), json!(cap));
                fields.insert("maxPriorityFeePerGas".into(), json!("0x0"));
            }
        }
        self.call("eth_sendTransaction", json!([tx]))
    }

    /// Calls `method` with `params`; a JSON-RPC error is an error naming the method.
    pub fn call<T: DeserializeOwned>(
        &self,
        method: &str,
        params: Value,
    ) -> Result<T, ExecutionError> {
        let body = json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params});
        let bytes = self.post(body.to_string(), method)?;
        let response: RpcResponse = serde_json::from_slice(&bytes)
            .map_err(|e| failed(format!("{method}: not a JSON-RPC answer: {e}")))?;
        response.result_as(method)
    }

    /// Several calls in one JSON-RPC batch, one HTTP exchange; their results in the calls'
    /// order. Only for calls whose relative order does not matter: a server may run a batch's
    /// calls in any order (JSON-RPC 2.0, "Batch").
    pub fn batch(&self, calls: &[(&str, Value)]) -> Result<Vec<Value>, ExecutionError> {
        if calls.is_empty() {
            return Ok(Vec::new());
        }
        let body: Vec<Value> = calls
            .iter()
            .enumerate()
            .map(|(id, (method, params))| {
                json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params})
            })
            .collect();
        let what = format!("a batch of {} calls ({}, …)", calls.len(), calls[0].0);
        let bytes = self.post(Value::Array(body).to_string(), &what)?;
        let answers: Vec<RpcResponse> = serde_json::from_slice(&bytes)
            .map_err(|e| failed(format!("{what}: not a JSON-RPC batch answer: {e}")))?;
        let mut results = vec![None; calls.len()];
        for answer in answers {
            let Some(slot) = answer.id.and_then(|id| results.get_mut(id)) else {
                return Err(failed(format!("{what}: an answer to no call")));
            };
            *slot = Some(answer);
        }
        results
            .into_iter()
            .zip(calls)
            .map(|(answer, (method, _))| {
                answer
                    .ok_or_else(|| failed(format!("{method}: no answer in the batch")))?
                    .result_as(method)
            })
            .collect()
    }

    /// One POST of `body`; the answer's bytes.
    fn post(&self, body: String, what: &str) -> Result<Body, ExecutionError> {
        let request = hyper::Request::post(self.url.clone())
            .header(hyper::header::CONTENT_TYPE, "application/json")
            .body(Full::new(Body::from(body)))
            .map_err(failed)?;
        self.runtime.block_on(async {
            let response =
                tokio::time::timeout(Duration::from_secs(30), self.client.request(request))
                    .await
                    .map_err(|_| failed(format!("{what}: no answer in 30 s")))?
                    .map_err(|e| failed(format!("{what}: {e}")))?;
            let body = response
                .into_body()
                .collect()
                .await
                .map_err(|e| failed(format!("{what}: {e}")))?;
            Ok::<_, ExecutionError>(body.to_bytes())
        })
    }
}

impl RpcResponse {
    /// The result as a `T`; a JSON-RPC error is an error naming `method`.
    fn result_as<T: DeserializeOwned>(self, method: &str) -> Result<T, ExecutionError> {
        if let Some(error) = self.error {
            return Err(failed(format!(
                "{method}: error {}: {}",
                error.code, error.message
            )));
        }
        serde_json::from_value(self.result.unwrap_or(Value::Null))
            .map_err(|e| failed(format!("{method}: unexpected result: {e}")))
    }
}

/// An execution block as `eth_getBlockByNumber` returns it (hashes only).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct RpcBlock {
    hash: B256,
    parent_hash: B256,
    miner: Address,
    state_root: B256,
    receipts_root: B256,
    logs_bloom: Bytes,
    number: U256,
    gas_limit: U256,
    gas_used: U256,
    timestamp: U256,
    extra_data: Bytes,
    base_fee_per_gas: Option<U256>,
    blob_gas_used: Option<U256>,
    excess_blob_gas: Option<U256>,
    transactions: Vec<B256>,
}

/// A log as `eth_getLogs` returns it.
#[derive(Debug, Deserialize)]
struct RpcLog {
    address: Address,
    topics: Vec<B256>,
    data: Bytes,
}

/// A call frame of the `callTracer`.
#[derive(Debug, Deserialize)]
struct CallFrame {
    output: Option<Bytes>,
    error: Option<String>,
}

/// A receipt's status.
#[derive(Debug, Deserialize)]
struct RpcReceipt {
    status: U256,
}

/// Anvil as the devnet's [`ExecutionLayer`].
pub struct AnvilExecution {
    anvil: Anvil,
    genesis: ExecutionPayloadHeader,
}

impl AnvilExecution {
    /// Starts anvil and places the system contracts and the deposit contract.
    pub fn start(options: &AnvilOptions) -> Result<Self, ExecutionError> {
        let anvil = Anvil::start(options)?;
        let rpc = anvil.rpc();
        let code = [
            (eip4788::BEACON_ROOTS_ADDRESS, &eip4788::BEACON_ROOTS_CODE),
            (
                eip7002::WITHDRAWAL_REQUEST_PREDEPLOY_ADDRESS,
                &eip7002::WITHDRAWAL_REQUEST_PREDEPLOY_CODE,
            ),
            (
                eip7251::CONSOLIDATION_REQUEST_PREDEPLOY_ADDRESS,
                &eip7251::CONSOLIDATION_REQUEST_PREDEPLOY_CODE,
            ),
            (
                eip6110::MAINNET_DEPOSIT_CONTRACT_ADDRESS,
                lsv_contracts::artifacts::DEPOSIT_CONTRACT.deployed_bytecode(),
            ),
        ];
        for (address, code) in code {
            rpc.call::<Value>("anvil_setCode", json!([address, code]))?;
        }
        rpc.call::<Value>("anvil_impersonateAccount", json!([SYSTEM_ADDRESS]))?;
        rpc.call::<Value>(
            "anvil_setBalance",
            json!([SYSTEM_ADDRESS, U256::from(10u64).pow(U256::from(24u64))]),
        )?;
        let block: RpcBlock = rpc.call("eth_getBlockByNumber", json!(["0x0", false]))?;
        if !block.transactions.is_empty() {
            return Err(failed("anvil's genesis block has transactions"));
        }
        let genesis = header_of(
            &block,
            B256::ZERO,
            VariableList::<Transaction, MaxTransactionsPerPayload>::default().tree_hash_root(),
            VariableList::<Withdrawal, typenum::U16>::default().tree_hash_root(),
        )?;
        Ok(Self { anvil, genesis })
    }

    /// The running anvil.
    pub fn anvil(&self) -> &Anvil {
        &self.anvil
    }

    /// The deposit contract's address.
    pub fn deposit_contract(&self) -> Address {
        eip6110::MAINNET_DEPOSIT_CONTRACT_ADDRESS
    }

    fn rpc(&self) -> &Rpc {
        self.anvil.rpc()
    }

    /// Sends a transaction from the system address, paying at most `fee_cap` a unit of gas
    /// (see [`Rpc::send_transaction`]); its hash.
    fn system_transaction(
        &self,
        to: Address,
        data: &[u8],
        fee_cap: U256,
    ) -> Result<B256, ExecutionError> {
        self.rpc().send_transaction(json!({
            "from": SYSTEM_ADDRESS,
            "to": to,
            "data": Bytes::copy_from_slice(data),
            "gas": format!("{SYSTEM_CALL_GAS:#x}"),
            "maxFeePerGas": fee_cap,
            "maxPriorityFeePerGas": "0x0",
        }))
    }

    /// The calls that read a mined system transaction's receipt and output.
    fn system_output_calls(hash: B256) -> [(&'static str, Value); 2] {
        [
            ("eth_getTransactionReceipt", json!([hash])),
            (
                "debug_traceTransaction",
                json!([hash, {"tracer": "callTracer"}]),
            ),
        ]
    }

    /// The output of a mined system transaction from what [`Self::system_output_calls`]
    /// read; the transaction must have succeeded.
    fn system_output(receipt: Value, trace: Value, what: &str) -> Result<Bytes, ExecutionError> {
        let receipt: Option<RpcReceipt> = serde_json::from_value(receipt)
            .map_err(|e| failed(format!("{what}: unexpected receipt: {e}")))?;
        let receipt = receipt.ok_or_else(|| failed(format!("{what}: not mined")))?;
        if receipt.status != U256::from(1) {
            return Err(failed(format!("{what}: the system call reverted")));
        }
        let frame: CallFrame = serde_json::from_value(trace)
            .map_err(|e| failed(format!("{what}: unexpected trace: {e}")))?;
        if let Some(error) = frame.error {
            return Err(failed(format!("{what}: {error}")));
        }
        Ok(frame.output.unwrap_or_default())
    }

    /// Rolls anvil back to `parent` if it has mined past it (a payload whose beacon block was
    /// never imported); the head block then.
    fn rewind_to(&self, parent: &ExecutionPayloadHeader) -> Result<RpcBlock, ExecutionError> {
        let head: RpcBlock = self
            .rpc()
            .call("eth_getBlockByNumber", json!(["latest", false]))?;
        if head.hash == parent.block_hash {
            return Ok(head);
        }
        let number: u64 = head.number.to();
        if number <= parent.block_number {
            return Err(failed(format!(
                "anvil's head {} (block {number}) is not a descendant of the beacon chain's \
                 payload {} (block {})",
                head.hash, parent.block_hash, parent.block_number
            )));
        }
        self.rpc()
            .call::<Value>("anvil_rollback", json!([number - parent.block_number]))?;
        let head: RpcBlock = self
            .rpc()
            .call("eth_getBlockByNumber", json!(["latest", false]))?;
        if head.hash != parent.block_hash {
            return Err(failed(
                "anvil could not be rolled back to the beacon chain's payload",
            ));
        }
        Ok(head)
    }
}

impl<P: StatePreset> ExecutionLayer<P> for AnvilExecution {
    fn genesis_header(&self) -> ExecutionPayloadHeader {
        self.genesis.clone()
    }

    fn build_payload(
        &mut self,
        parent: &ExecutionPayloadHeader,
        attributes: &PayloadAttributes,
    ) -> Result<(ExecutionPayload<P>, ExecutionRequests<P>), ExecutionError> {
        self.rewind_to(parent)?;
        let rpc = self.rpc();
        // Anvil orders its pool by fee cap, highest first (`--order fees`; ties first-in
        // first-out), and the next block's base fee is the least any transaction in it offers.
        let pending: RpcBlock = rpc.call("eth_getBlockByNumber", json!(["pending", false]))?;
        let base_fee = pending.base_fee_per_gas.unwrap_or_default();
        // 1. EIP-4788, first: the highest fee cap (it pays only the base fee: no tip).
        self.system_transaction(
            eip4788::BEACON_ROOTS_ADDRESS,
            attributes.parent_beacon_block_root.as_slice(),
            base_fee.max(U256::from(SYSTEM_FIRST_FEE_CAP)),
        )?;
        // 2. EIP-7002 and EIP-7251 dequeues, last in the block: the base fee exactly, below what
        // any other transaction offers (a wallet's cap is the base fee times two and a tip),
        // however late it arrives before the block is mined. From one sender, in nonce order.
        let withdrawals_call =
            self.system_transaction(eip7002::WITHDRAWAL_REQUEST_PREDEPLOY_ADDRESS, &[], base_fee)?;
        let consolidations_call = self.system_transaction(
            eip7251::CONSOLIDATION_REQUEST_PREDEPLOY_ADDRESS,
            &[],
            base_fee,
        )?;
        // 3. The block.
        rpc.batch(&[
            ("anvil_setCoinbase", json!([attributes.fee_recipient])),
            ("evm_setNextBlockTimestamp", json!([attributes.timestamp])),
        ])?;
        rpc.call::<Value>("evm_mine", json!([]))?;
        // What the block holds, read at once: the block, the deposit contract's logs, the
        // dequeues' receipts and outputs.
        let number = parent.block_number + 1;
        let [withdrawals_receipt, withdrawals_trace] = Self::system_output_calls(withdrawals_call);
        let [consolidations_receipt, consolidations_trace] =
            Self::system_output_calls(consolidations_call);
        let mut read = rpc
            .batch(&[
                (
                    "eth_getBlockByNumber",
                    json!([format!("{number:#x}"), false]),
                ),
                (
                    "eth_getLogs",
                    json!([{
                        "fromBlock": format!("{number:#x}"),
                        "toBlock": format!("{number:#x}"),
                        "address": self.deposit_contract(),
                    }]),
                ),
                withdrawals_receipt,
                withdrawals_trace,
                consolidations_receipt,
                consolidations_trace,
            ])?
            .into_iter();
        let mut next = || read.next().unwrap_or_default();
        let block: RpcBlock =
            serde_json::from_value(next()).map_err(|e| failed(format!("block {number}: {e}")))?;
        let logs: Vec<RpcLog> = serde_json::from_value(next())
            .map_err(|e| failed(format!("block {number}'s logs: {e}")))?;
        let withdrawal_output = Self::system_output(next(), next(), "EIP-7002 dequeue")?;
        let consolidation_output = Self::system_output(next(), next(), "EIP-7251 dequeue")?;
        if block.parent_hash != parent.block_hash {
            return Err(failed(format!(
                "anvil built on {}, not on the beacon chain's payload {}",
                block.parent_hash, parent.block_hash
            )));
        }
        if block.transactions.last() != Some(&consolidations_call) {
            return Err(failed(
                "the dequeue system transactions are not the block's last (a transaction offering \
                 no more than the base fee came after them)",
            ));
        }
        // Withdrawals, credited in order after the block's transactions (stand-in: see the
        // module docs): each address's sum, to the balance it has after the block.
        let mut credits: Vec<(Address, U256)> = Vec::new();
        for w in &attributes.withdrawals {
            let amount = U256::from(w.amount.as_u64()) * U256::from(GWEI);
            match credits.iter_mut().find(|(a, _)| *a == w.address) {
                Some((_, sum)) => *sum += amount,
                None => credits.push((w.address, amount)),
            }
        }
        let balances = rpc.batch(
            &credits
                .iter()
                .map(|(a, _)| ("eth_getBalance", json!([a, format!("{number:#x}")])))
                .collect::<Vec<_>>(),
        )?;
        let mut set_balances = Vec::with_capacity(credits.len());
        for ((address, amount), balance) in credits.iter().zip(balances) {
            let balance: U256 = serde_json::from_value(balance)
                .map_err(|e| failed(format!("eth_getBalance: {e}")))?;
            set_balances.push(("anvil_setBalance", json!([address, balance + amount])));
        }
        rpc.batch(&set_balances)?;
        // 4. Requests.
        let logs: Vec<Log> = logs
            .into_iter()
            .map(|l| Log {
                address: l.address,
                data: LogData::new_unchecked(l.topics, l.data),
            })
            .collect();
        let deposits =
            lsv_contracts::requests::parse_deposit_requests(&logs, self.deposit_contract());
        if withdrawal_output.len() % lsv_contracts::requests::WITHDRAWAL_REQUEST_LENGTH != 0 {
            return Err(failed("EIP-7002 dequeue: output not in 76-byte records"));
        }
        let withdrawal_requests =
            lsv_contracts::requests::parse_withdrawal_requests(&withdrawal_output);
        if consolidation_output.len() % CONSOLIDATION_REQUEST_LENGTH != 0 {
            return Err(failed("EIP-7251 dequeue: output not in 116-byte records"));
        }
        let raw = rpc.batch(
            &block
                .transactions
                .iter()
                .map(|hash| ("eth_getRawTransactionByHash", json!([hash])))
                .collect::<Vec<_>>(),
        )?;
        let mut transactions = Vec::with_capacity(raw.len());
        for raw in raw {
            let raw: Bytes = serde_json::from_value(raw)
                .map_err(|e| failed(format!("eth_getRawTransactionByHash: {e}")))?;
            transactions.push(
                VariableList::new(raw.to_vec())
                    .map_err(|_| failed("a transaction beyond MAX_BYTES_PER_TRANSACTION"))?,
            );
        }
        let withdrawals: VariableList<Withdrawal, P::MaxWithdrawalsPerPayload> =
            VariableList::new(attributes.withdrawals.clone())
                .map_err(|_| failed("more withdrawals than MAX_WITHDRAWALS_PER_PAYLOAD"))?;
        let transactions: VariableList<Transaction, MaxTransactionsPerPayload> =
            VariableList::new(transactions)
                .map_err(|_| failed("more transactions than MAX_TRANSACTIONS_PER_PAYLOAD"))?;
        let header = header_of(
            &block,
            attributes.prev_randao,
            transactions.tree_hash_root(),
            withdrawals.tree_hash_root(),
        )?;
        let payload = ExecutionPayload {
            parent_hash: header.parent_hash,
            fee_recipient: header.fee_recipient,
            state_root: header.state_root,
            receipts_root: header.receipts_root,
            logs_bloom: header.logs_bloom.clone(),
            prev_randao: header.prev_randao,
            block_number: header.block_number,
            gas_limit: header.gas_limit,
            gas_used: header.gas_used,
            timestamp: header.timestamp,
            extra_data: header.extra_data.clone(),
            base_fee_per_gas: header.base_fee_per_gas,
            block_hash: header.block_hash,
            transactions,
            withdrawals,
            blob_gas_used: header.blob_gas_used,
            excess_blob_gas: header.excess_blob_gas,
        };
        let requests = ExecutionRequests {
            deposits: VariableList::new(deposits.into_iter().map(deposit_request).collect())
                .map_err(|_| failed("more deposit requests than the preset allows"))?,
            withdrawals: VariableList::new(
                withdrawal_requests
                    .into_iter()
                    .map(|r| WithdrawalRequest {
                        source_address: r.source_address,
                        validator_pubkey: lsv_consensus::PublicKeyBytes(r.validator_pubkey.0),
                        amount: lsv_consensus::Gwei::new(r.amount),
                    })
                    .collect(),
            )
            .map_err(|_| failed("more withdrawal requests than the preset allows"))?,
            consolidations: VariableList::new(
                consolidation_output
                    .chunks_exact(CONSOLIDATION_REQUEST_LENGTH)
                    .map(|r| ConsolidationRequest {
                        source_address: Address::from_slice(&r[..20]),
                        source_pubkey: pubkey(&r[20..68]),
                        target_pubkey: pubkey(&r[68..]),
                    })
                    .collect(),
            )
            .map_err(|_| failed("more consolidation requests than the preset allows"))?,
        };
        Ok((payload, requests))
    }
}

fn pubkey(bytes: &[u8]) -> lsv_consensus::PublicKeyBytes {
    let mut key = [0u8; 48];
    key.copy_from_slice(bytes);
    lsv_consensus::PublicKeyBytes(key)
}

fn deposit_request(d: alloy_eips::eip6110::DepositRequest) -> DepositRequest {
    DepositRequest {
        pubkey: lsv_consensus::PublicKeyBytes(d.pubkey.0),
        withdrawal_credentials: d.withdrawal_credentials,
        amount: lsv_consensus::Gwei::new(d.amount),
        signature: lsv_consensus::SignatureBytes(d.signature.0),
        index: d.index,
    }
}

/// An anvil block as the beacon state's `ExecutionPayloadHeader`.
fn header_of(
    block: &RpcBlock,
    prev_randao: B256,
    transactions_root: B256,
    withdrawals_root: B256,
) -> Result<ExecutionPayloadHeader, ExecutionError> {
    let u64_of = |v: U256, what: &str| -> Result<u64, ExecutionError> {
        v.try_into()
            .map_err(|_| failed(format!("the block's {what} exceeds uint64")))
    };
    Ok(ExecutionPayloadHeader {
        parent_hash: block.parent_hash,
        fee_recipient: block.miner,
        state_root: block.state_root,
        receipts_root: block.receipts_root,
        logs_bloom: FixedVector::new(block.logs_bloom.to_vec())
            .map_err(|_| failed("a logs bloom that is not 256 bytes"))?,
        prev_randao,
        block_number: u64_of(block.number, "number")?,
        gas_limit: u64_of(block.gas_limit, "gas limit")?,
        gas_used: u64_of(block.gas_used, "gas used")?,
        timestamp: u64_of(block.timestamp, "timestamp")?,
        extra_data: VariableList::new(block.extra_data.to_vec())
            .map_err(|_| failed("extra data beyond 32 bytes"))?,
        base_fee_per_gas: block.base_fee_per_gas.unwrap_or_default(),
        block_hash: block.hash,
        transactions_root,
        withdrawals_root,
        blob_gas_used: u64_of(block.blob_gas_used.unwrap_or_default(), "blob gas used")?,
        excess_blob_gas: u64_of(block.excess_blob_gas.unwrap_or_default(), "excess blob gas")?,
    })
}
