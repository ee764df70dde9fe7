//! Talking to an execution node: reads, and transactions that are simulated before they are
//! sent and named by the contract's own error when they would revert.
//!
//! [`Eth`] wraps an alloy HTTP provider (any node's JSON-RPC: geth, Nethermind, reth, anvil, a
//! hosted endpoint over HTTPS). Every transaction goes through the same steps:
//!
//! 1. **Simulation.** `eth_call` of the exact transaction at the latest block; a revert stops
//!    here with [`EthError::Reverts`], which names the custom error C raised
//!    ([`lsv_contracts::artifacts::describe_revert`]). Nothing is sent that the node says reverts.
//! 2. **Gas.** `eth_estimateGas`, plus a fifth for state that moves between estimate and
//!    inclusion, capped at EIP-7825's 2^24 per transaction.
//! 3. **Fees.** The node's EIP-1559 estimate, held under the caller's caps ([`FeeCaps`]): a base
//!    fee above the cap refuses to send ([`EthError::FeeAboveCap`]) rather than overpay.
//! 4. **Nonce.** alloy's cached nonce manager: the pending count is read once, then counted
//!    locally, so transactions sent back to back do not collide.
//! 5. **Receipt.** The call waits for the receipt; a transaction that reverted on chain (the
//!    state changed after the simulation) is [`EthError::Failed`] with its hash.
//!
//! Keys ([`TxKey`]) come from a file holding a hex private key or from a Web3 Secret Storage
//! (v3) keystore with a password from a file, an environment variable or a prompt: never from
//! the command line, where other users see it in the process list.

use alloy::consensus::Transaction as _;
use alloy::eips::BlockNumberOrTag;
use alloy::network::{EthereumWallet, TransactionBuilder};
use alloy::primitives::{Address, Bytes, TxHash, B256, U256};
use alloy::providers::{DynProvider, Provider, ProviderBuilder};
use alloy::rpc::types::state::{AccountOverride, StateOverride};
use alloy::rpc::types::{TransactionReceipt, TransactionRequest};
use alloy::signers::local::PrivateKeySigner;
use alloy::transports::http::reqwest::Url;
use alloy::transports::{RpcError, TransportErrorKind};
use alloy_sol_types::SolCall;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// EIP-7825 (Osaka): no transaction may ask for more gas than 2^24.
pub const MAX_TX_GAS: u64 = 1 << 24;

/// Where a transaction key comes from.
#[derive(Clone, Debug)]
pub enum TxKey {
    /// A file holding the private key as hex (with or without `0x`, surrounding space ignored).
    KeyFile(PathBuf),
    /// A Web3 Secret Storage (v3) keystore, as geth, Foundry's `cast wallet` and most wallets
    /// write them, and where its password comes from.
    Keystore {
        /// The keystore file.
        path: PathBuf,
        /// Its password.
        password: Password,
    },
}

/// Where a keystore's password comes from.
#[derive(Clone, Debug)]
pub enum Password {
    /// The first line of a file.
    File(PathBuf),
    /// An environment variable (its name).
    Env(String),
    /// Asked for on the terminal, without echo.
    Prompt,
}

impl TxKey {
    /// Loads the key. Errors name the file and what is wrong with it, never the key.
    pub fn load(&self) -> Result<PrivateKeySigner, EthError> {
        match self {
            TxKey::KeyFile(path) => {
                let text = read_secret_file(path)?;
                text.trim().parse::<PrivateKeySigner>().map_err(|_| {
                    EthError::Key(format!(
                        "{} does not hold a hex private key",
                        path.display()
                    ))
                })
            }
            TxKey::Keystore { path, password } => {
                let password = password.read()?;
                PrivateKeySigner::decrypt_keystore(path, password.as_bytes()).map_err(|e| {
                    EthError::Key(format!("cannot open keystore {}: {e}", path.display()))
                })
            }
        }
    }
}

impl Password {
    fn read(&self) -> Result<String, EthError> {
        match self {
            Password::File(path) => Ok(read_secret_file(path)?
                .lines()
                .next()
                .unwrap_or_default()
                .to_owned()),
            Password::Env(name) => std::env::var(name)
                .map_err(|_| EthError::Key(format!("environment variable {name} is not set"))),
            Password::Prompt => rpassword::prompt_password("keystore password: ")
                .map_err(|e| EthError::Key(format!("cannot read the password: {e}"))),
        }
    }
}

fn read_secret_file(path: &Path) -> Result<String, EthError> {
    std::fs::read_to_string(path)
        .map_err(|e| EthError::Key(format!("cannot read {}: {e}", path.display())))
}

/// The most a transaction may pay per gas, in wei.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FeeCaps {
    /// Cap on `maxFeePerGas` (base fee plus tip).
    pub max_fee_per_gas: u128,
    /// Cap on `maxPriorityFeePerGas` (the tip).
    pub max_priority_fee_per_gas: u128,
}

impl Default for FeeCaps {
    /// 200 gwei and a 3 gwei tip: above what mainnet has needed outside of rare spikes, below
    /// what a misbehaving estimate could make a keeper burn.
    fn default() -> Self {
        Self {
            max_fee_per_gas: 200_000_000_000,
            max_priority_fee_per_gas: 3_000_000_000,
        }
    }
}

/// What went wrong talking to the node.
#[derive(Debug, thiserror::Error)]
pub enum EthError {
    /// The RPC URL does not parse.
    #[error("bad RPC URL {0:?}")]
    Url(String),
    /// The node could not be reached or answered with an error.
    #[error("node: {0}")]
    Rpc(String),
    /// The transaction key could not be loaded.
    #[error("transaction key: {0}")]
    Key(String),
    /// A transaction was asked for but no key was given.
    #[error("this command sends a transaction: give a key (--key-file or --keystore)")]
    NoKey,
    /// The simulation reverted: nothing was sent.
    #[error("{what} would revert: {reason}")]
    Reverts {
        /// What was being done (`Vault.join`, `deploy Vault`).
        what: String,
        /// The decoded revert: a custom error with its arguments when C raised it.
        reason: String,
    },
    /// The base fee is above the cap: nothing was sent.
    #[error("base fee {base_fee} wei is above the cap of {cap} wei per gas; raise --max-fee-gwei or wait")]
    FeeAboveCap {
        /// The latest block's base fee.
        base_fee: u128,
        /// The cap.
        cap: u128,
    },
    /// The transaction was mined and reverted (the state moved after the simulation).
    #[error("{what} reverted on chain in transaction {tx}")]
    Failed {
        /// What was being done.
        what: String,
        /// The transaction's hash.
        tx: TxHash,
    },
    /// No receipt came in time.
    #[error("{what}: no receipt for {tx} after {waited:?} (it may still be mined)")]
    NotMined {
        /// What was being done.
        what: String,
        /// The transaction's hash.
        tx: TxHash,
        /// How long the call waited.
        waited: Duration,
    },
    /// A call's return data does not decode as its ABI says.
    #[error("{what}: cannot decode the return data: {reason}")]
    Decode {
        /// The call.
        what: String,
        /// The decoder's complaint.
        reason: String,
    },
}

/// A transaction simulated and priced, not yet sent ([`Eth::prepare_call`]).
#[derive(Clone, Debug)]
pub struct Prepared {
    /// What it does (`Vault.eject`).
    pub what: String,
    tx: TransactionRequest,
    /// The node's gas estimate.
    pub gas_estimate: u64,
    /// The fee cap it is sent with, in wei per gas.
    pub max_fee_per_gas: u128,
}

impl Prepared {
    /// The most it can cost, in wei: its gas limit at its fee cap.
    pub fn max_cost(&self) -> U256 {
        U256::from(self.tx.gas.unwrap_or(self.gas_estimate)) * U256::from(self.max_fee_per_gas)
    }

    /// What it is expected to cost, in wei: the estimate at the fee cap.
    pub fn expected_cost(&self) -> U256 {
        U256::from(self.gas_estimate) * U256::from(self.max_fee_per_gas)
    }
}

/// A mined transaction.
#[derive(Clone, Debug)]
pub struct Sent {
    /// Its hash.
    pub tx: TxHash,
    /// The block it was mined in.
    pub block_number: u64,
    /// That block's hash.
    pub block_hash: B256,
    /// Gas it used.
    pub gas_used: u64,
    /// The price it paid per gas, in wei.
    pub effective_gas_price: u128,
    /// The contract it created, if it was a deployment.
    pub contract_address: Option<Address>,
    /// The full receipt (logs).
    pub receipt: TransactionReceipt,
}

/// A connection to one execution node, with a transaction key when the caller sends.
#[derive(Clone, Debug)]
pub struct Eth {
    provider: DynProvider,
    from: Option<Address>,
    caps: FeeCaps,
    receipt_timeout: Duration,
}

impl Eth {
    /// Connects to `url` (http or https). With `key`, transactions are signed by it and sent
    /// from its address; without, only reads work.
    pub fn connect(
        url: &str,
        key: Option<PrivateKeySigner>,
        caps: FeeCaps,
    ) -> Result<Self, EthError> {
        let url: Url = url.parse().map_err(|_| EthError::Url(url.to_owned()))?;
        let from = key.as_ref().map(|k| k.address());
        let provider = match key {
            Some(key) => ProviderBuilder::new()
                .disable_recommended_fillers()
                .with_cached_nonce_management()
                .fetch_chain_id()
                .wallet(EthereumWallet::from(key))
                .connect_http(url)
                .erased(),
            None => ProviderBuilder::new()
                .disable_recommended_fillers()
                .connect_http(url)
                .erased(),
        };
        Ok(Self {
            provider,
            from,
            caps,
            receipt_timeout: Duration::from_secs(600),
        })
    }

    /// How long [`Eth::send`] waits for a receipt (10 minutes unless set).
    pub fn with_receipt_timeout(mut self, timeout: Duration) -> Self {
        self.receipt_timeout = timeout;
        self
    }

    /// The sending address, if a key was given.
    pub fn from(&self) -> Option<Address> {
        self.from
    }

    /// The alloy provider, for reads this type does not wrap.
    pub fn provider(&self) -> &DynProvider {
        &self.provider
    }

    /// `eth_chainId`.
    pub async fn chain_id(&self) -> Result<u64, EthError> {
        self.provider.get_chain_id().await.map_err(rpc)
    }

    /// `eth_blockNumber`.
    pub async fn block_number(&self) -> Result<u64, EthError> {
        self.provider.get_block_number().await.map_err(rpc)
    }

    /// The timestamp of block `number`.
    pub async fn block_timestamp(&self, number: u64) -> Result<u64, EthError> {
        let block = self
            .provider
            .get_block_by_number(number.into())
            .await
            .map_err(rpc)?
            .ok_or_else(|| EthError::Rpc(format!("the node has no block {number}")))?;
        Ok(block.header.timestamp)
    }

    /// `eth_getCode` at the latest block.
    pub async fn code(&self, address: Address) -> Result<Bytes, EthError> {
        self.provider.get_code_at(address).await.map_err(rpc)
    }

    /// `eth_getBalance` at the latest block.
    pub async fn balance(&self, address: Address) -> Result<U256, EthError> {
        self.provider.get_balance(address).await.map_err(rpc)
    }

    /// A view call, decoded. `contract` names the callee in errors (`Vault`).
    pub async fn view<C: SolCall>(
        &self,
        contract: &str,
        to: Address,
        call: &C,
    ) -> Result<C::Return, EthError> {
        let what = call_name::<C>(contract);
        let tx = TransactionRequest::default()
            .with_to(to)
            .with_input(call.abi_encode());
        let out = self
            .provider
            .call(tx)
            .await
            .map_err(|e| revert_or_rpc(&what, e))?;
        C::abi_decode_returns(&out).map_err(|e| EthError::Decode {
            what,
            reason: e.to_string(),
        })
    }

    /// The pending nonce of `address` (what its next transaction will use).
    pub async fn pending_nonce(&self, address: Address) -> Result<u64, EthError> {
        self.provider
            .get_transaction_count(address)
            .pending()
            .await
            .map_err(rpc)
    }

    /// Simulates a contract creation from the sending address with `init_code`, as its
    /// `nonce`-th transaction (so at `from.create(nonce)`), with the accounts in `code_at` given
    /// that code first (contracts a deployment will have created by then): the runtime code the
    /// creation would leave, or why it reverts. `name` names the contract in errors.
    pub async fn simulate_create(
        &self,
        name: &str,
        init_code: Bytes,
        nonce: u64,
        code_at: &[(Address, Bytes)],
    ) -> Result<Bytes, EthError> {
        let from = self.from.ok_or(EthError::NoKey)?;
        let tx = TransactionRequest::default()
            .with_from(from)
            .with_deploy_code(init_code);
        let mut overrides = StateOverride::default();
        overrides.insert(
            from,
            AccountOverride {
                nonce: Some(nonce),
                ..AccountOverride::default()
            },
        );
        for (address, code) in code_at {
            overrides.insert(
                *address,
                AccountOverride {
                    code: Some(code.clone()),
                    ..AccountOverride::default()
                },
            );
        }
        self.provider
            .call(tx)
            .overrides(overrides)
            .await
            .map_err(|e| revert_or_rpc(&format!("deploy {name}"), e))
    }

    /// Simulates, then sends `call` to `to` with `value` wei, and waits for its receipt.
    pub async fn send<C: SolCall>(
        &self,
        contract: &str,
        to: Address,
        call: &C,
        value: U256,
    ) -> Result<Sent, EthError> {
        let prepared = self.prepare_call(contract, to, call, value).await?;
        let hash = self.broadcast(&prepared).await?;
        self.confirm(&prepared.what, hash).await
    }

    /// Simulates, then sends a contract creation with `init_code` (creation code and
    /// constructor arguments), and waits for its receipt. `name` names the contract in errors.
    pub async fn deploy(&self, name: &str, init_code: Bytes) -> Result<Sent, EthError> {
        let tx = TransactionRequest::default().with_deploy_code(init_code);
        self.send_request(format!("deploy {name}"), tx).await
    }

    /// Simulates, then sends raw calldata (for contracts without bindings, such as the deposit
    /// contract's callers), and waits for its receipt.
    pub async fn send_raw(
        &self,
        what: &str,
        to: Address,
        input: Bytes,
        value: U256,
    ) -> Result<Sent, EthError> {
        let tx = TransactionRequest::default()
            .with_to(to)
            .with_input(input)
            .with_value(value);
        self.send_request(what.to_owned(), tx).await
    }

    async fn send_request(&self, what: String, tx: TransactionRequest) -> Result<Sent, EthError> {
        let prepared = self.prepare(what, tx).await?;
        let hash = self.broadcast(&prepared).await?;
        self.confirm(&prepared.what, hash).await
    }

    /// Steps 1 to 3 of a send: the transaction simulated, its gas estimated and its fees set
    /// under the caps, ready to broadcast. What it would cost at most is
    /// [`Prepared::max_cost`]: a keeper compares it with the call's reward before sending.
    pub async fn prepare_call<C: SolCall>(
        &self,
        contract: &str,
        to: Address,
        call: &C,
        value: U256,
    ) -> Result<Prepared, EthError> {
        let tx = TransactionRequest::default()
            .with_to(to)
            .with_input(call.abi_encode())
            .with_value(value);
        self.prepare(call_name::<C>(contract), tx).await
    }

    async fn prepare(&self, what: String, tx: TransactionRequest) -> Result<Prepared, EthError> {
        let from = self.from.ok_or(EthError::NoKey)?;
        let mut tx = tx.with_from(from);
        // 1. Simulation: nothing is sent that the node says reverts.
        self.provider
            .call(tx.clone())
            .await
            .map_err(|e| revert_or_rpc(&what, e))?;
        // 2. Gas, with a fifth of headroom, within EIP-7825's cap.
        let estimate = self
            .provider
            .estimate_gas(tx.clone())
            .await
            .map_err(|e| revert_or_rpc(&what, e))?;
        let gas_limit = estimate.saturating_add(estimate / 5).min(MAX_TX_GAS);
        tx.set_gas_limit(gas_limit);
        // 3. Fees under the caps.
        let (max_fee, tip) = self.fees().await?;
        tx.set_max_fee_per_gas(max_fee);
        tx.set_max_priority_fee_per_gas(tip);
        Ok(Prepared {
            what,
            tx,
            gas_estimate: estimate,
            max_fee_per_gas: max_fee,
        })
    }

    /// Step 4: sends a prepared transaction (nonce and chain id filled in); its hash.
    pub async fn broadcast(&self, prepared: &Prepared) -> Result<TxHash, EthError> {
        let pending = self
            .provider
            .send_transaction(prepared.tx.clone())
            .await
            .map_err(|e| revert_or_rpc(&prepared.what, e))?;
        Ok(*pending.tx_hash())
    }

    /// Step 5: waits for transaction `hash`'s receipt (polling, up to the receipt timeout); a
    /// reverted one is [`EthError::Failed`].
    pub async fn confirm(&self, what: &str, hash: TxHash) -> Result<Sent, EthError> {
        let started = std::time::Instant::now();
        let receipt = loop {
            if let Some(receipt) = self.receipt(hash).await? {
                break receipt;
            }
            if started.elapsed() >= self.receipt_timeout {
                return Err(EthError::NotMined {
                    what: what.to_owned(),
                    tx: hash,
                    waited: self.receipt_timeout,
                });
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
        };
        if !receipt.status() {
            return Err(EthError::Failed {
                what: what.to_owned(),
                tx: hash,
            });
        }
        Ok(Sent {
            tx: hash,
            block_number: receipt.block_number.unwrap_or_default(),
            block_hash: receipt.block_hash.unwrap_or_default(),
            gas_used: receipt.gas_used,
            effective_gas_price: receipt.effective_gas_price,
            contract_address: receipt.contract_address,
            receipt,
        })
    }

    /// Transaction `hash`'s receipt, if it is mined.
    pub async fn receipt(&self, hash: TxHash) -> Result<Option<TransactionReceipt>, EthError> {
        self.provider
            .get_transaction_receipt(hash)
            .await
            .map_err(rpc)
    }

    /// `maxFeePerGas` and `maxPriorityFeePerGas` for the next transaction: the node's
    /// suggested tip and twice the latest base fee plus that tip (room for six full blocks of
    /// EIP-1559's 12.5 % rises), each held under its cap; a base fee already above the cap
    /// refuses.
    async fn fees(&self) -> Result<(u128, u128), EthError> {
        let latest = self
            .provider
            .get_block_by_number(BlockNumberOrTag::Latest)
            .await
            .map_err(rpc)?
            .ok_or_else(|| EthError::Rpc("the node has no latest block".into()))?;
        let base_fee = u128::from(latest.header.base_fee_per_gas.unwrap_or_default());
        if base_fee > self.caps.max_fee_per_gas {
            return Err(EthError::FeeAboveCap {
                base_fee,
                cap: self.caps.max_fee_per_gas,
            });
        }
        let tip = self
            .provider
            .get_max_priority_fee_per_gas()
            .await
            .map_err(rpc)?
            .min(self.caps.max_priority_fee_per_gas);
        let max_fee = (2 * base_fee + tip).min(self.caps.max_fee_per_gas);
        Ok((max_fee, tip.min(max_fee)))
    }

    /// Whether the node knows transaction `hash`, mined or in its pool.
    pub async fn knows(&self, hash: TxHash) -> Result<bool, EthError> {
        Ok(self
            .provider
            .get_transaction_by_hash(hash)
            .await
            .map_err(rpc)?
            .is_some())
    }

    /// The transaction `hash` and its receipt, as the node has them.
    pub async fn transaction(
        &self,
        hash: TxHash,
    ) -> Result<Option<(Bytes, Option<Address>, TransactionReceipt)>, EthError> {
        let Some(tx) = self
            .provider
            .get_transaction_by_hash(hash)
            .await
            .map_err(rpc)?
        else {
            return Ok(None);
        };
        let Some(receipt) = self
            .provider
            .get_transaction_receipt(hash)
            .await
            .map_err(rpc)?
        else {
            return Ok(None);
        };
        Ok(Some((tx.input().clone(), tx.to(), receipt)))
    }
}

/// `Contract.function`, as errors name a call.
fn call_name<C: SolCall>(contract: &str) -> String {
    let function = C::SIGNATURE.split('(').next().unwrap_or(C::SIGNATURE);
    format!("{contract}.{function}")
}

fn rpc(e: RpcError<TransportErrorKind>) -> EthError {
    EthError::Rpc(e.to_string())
}

/// A node's error for a call: a revert (with its data decoded) or anything else.
fn revert_or_rpc(what: &str, e: RpcError<TransportErrorKind>) -> EthError {
    match e.as_error_resp() {
        Some(payload) => match payload.as_revert_data() {
            Some(data) => EthError::Reverts {
                what: what.to_owned(),
                reason: lsv_contracts::artifacts::describe_revert(&data),
            },
            None if payload.message.contains("revert") => EthError::Reverts {
                what: what.to_owned(),
                reason: payload.message.to_string(),
            },
            None => EthError::Rpc(format!("{what}: {}", payload.message)),
        },
        None => EthError::Rpc(format!("{what}: {e}")),
    }
}
