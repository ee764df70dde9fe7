//! The whole devnet: anvil below, the beacon node above, lsv's contracts deployed on the
//! execution side, the beacon API served, and a clock that fast-forwards through the past and
//! then keeps to the wall clock.
//!
//! A devnet is set up in two steps, because a remote signer (P) can only be pinned to a chain
//! once its genesis exists and the contract its deposits pay (C) has an address:
//!
//! 1. [`Genesis::create`] starts anvil, builds the genesis state of interop validators on
//!    anvil's genesis block, and sends the transactions that deploy C (the development
//!    attestation verifier, the proof verifier and the vault, with its sETH and positions
//!    tokens) so that they land in the first block. Their addresses are known from here on.
//! 2. [`Genesis::launch`] starts the beacon node with the caller's [`Signer`] (keys held here,
//!    or P for some validators: [`crate::remote`]).
//!
//! Time: slot `s` starts at `genesis_time + s · SECONDS_PER_SLOT`. [`Devnet::run_until_now`] runs
//! every slot that has started, as fast as the machine goes; [`Devnet::follow_clock`] then runs
//! each slot when it starts. A devnet whose genesis lies in the past therefore replays that
//! past in seconds and arrives at "now", which is what lets P, whose rule is never to sign
//! beyond its wall clock, sign every slot of it.
//!
//! Configuration ([`Config::devnet`]): the minimal preset's `configs/minimal.yaml` with the chain
//! in Electra from genesis, Fulu from [`Config::DEVNET_FULU_EPOCH`], exits allowed after 16 epochs
//! of activity (`SHARD_COMMITTEE_PERIOD`) and withdrawals 64 epochs after an exit
//! (`MIN_VALIDATOR_WITHDRAWABILITY_DELAY`), so that a deposit, an exit and its withdrawal fit in a
//! few hundred epochs; anvil's chain id and deposit contract. Those two delays and
//! `SECONDS_PER_SLOT` (6) can be set ([`Timing`], [`Config::devnet_with`]): with 1-second slots
//! and delays of a few epochs a validator's whole life takes minutes.
//!
//! C on this devnet: the contracts are the real ones, the vault deployed with this chain's timing
//! (`ChainTiming`: its `SECONDS_PER_SLOT`, 8 slots per epoch, its `SHARD_COMMITTEE_PERIOD`, the
//! minimal preset's slashings vector), so its eject, exit and settlement rules judge epochs as
//! the beacon chain does. Its proof verifier verifies validator proofs, and withdrawal proofs
//! anchored at the withdrawal's own block, as on mainnet; its routes through `block_roots` and
//! `historical_summaries` assume mainnet's 8192-slot vectors (a follow-up).

use crate::anvil::{locate_anvil, AnvilExecution, AnvilOptions, Rpc};
use crate::api::{serve_with, ApiOptions};
use crate::execution::{ExecutionError, ExecutionLayer};
use crate::genesis::{interop_validators, GenesisParams};
use crate::node::{Node, NodeError, SlotReport};
use crate::signer::{LocalKeys, Signer};
use crate::spec::{BeaconState, Config, Spec, SpecPreset, TransitionError};
use crate::store::Store;
use alloy_primitives::{Address, Bytes, B256, U256};
use alloy_sol_types::{SolCall, SolValue};
use lsv_consensus::containers::DepositData;
use lsv_consensus::{Epoch, ForkName};
use lsv_contracts::artifacts::{DEV_ATTESTATION_VERIFIER, PROOF_VERIFIER, VAULT};
use lsv_contracts::bindings::{DepositContract, Vault};
use lsv_contracts::devnet::ChainTiming;
use lsv_proofs::WithdrawalDepths;
use parking_lot::RwLock;
use serde_json::{json, Value};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tree_hash::TreeHash;

/// Why a devnet could not be set up or run.
#[derive(Debug, thiserror::Error)]
pub enum DevnetError {
    /// The execution layer failed.
    #[error(transparent)]
    Execution(#[from] ExecutionError),
    /// A state transition failed.
    #[error(transparent)]
    Transition(#[from] TransitionError),
    /// A slot could not be run.
    #[error(transparent)]
    Node(#[from] NodeError),
    /// Setting up anvil or deploying C failed: what failed.
    #[error("{0}")]
    Setup(String),
}

/// The devnet's clock and delays, the three values of its configuration that `lsv devnet`
/// takes as flags (named after the `config.yaml` keys), so that a validator's whole life (deposit,
/// activation, exit, withdrawal) can run in minutes rather than hours.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Timing {
    /// `SECONDS_PER_SLOT`.
    pub seconds_per_slot: u64,
    /// `SHARD_COMMITTEE_PERIOD`: epochs a validator must have been active before it may exit.
    pub shard_committee_period: u64,
    /// `MIN_VALIDATOR_WITHDRAWABILITY_DELAY`: epochs from an exit to withdrawability.
    pub min_validator_withdrawability_delay: u64,
}

impl Timing {
    /// The devnet's defaults: `configs/minimal.yaml`'s `SECONDS_PER_SLOT` (6), and delays a
    /// quarter of minimal's (`SHARD_COMMITTEE_PERIOD` 64, `MIN_VALIDATOR_WITHDRAWABILITY_DELAY`
    /// 256), so that a deposit, an exit and its withdrawal fit in a few hundred epochs.
    pub const DEFAULT: Self = Self {
        seconds_per_slot: 6,
        shard_committee_period: 16,
        min_validator_withdrawability_delay: 64,
    };

    /// The largest value each may take: far beyond any chain's life, and small enough that the
    /// chain's arithmetic on them (an epoch plus a delay, a slot times its milliseconds) stays
    /// in range.
    pub const MAX: u64 = u32::MAX as u64;

    /// Whether every value is at least 1 and at most [`Timing::MAX`]; the error names the
    /// offending one by its `lsv devnet` flag.
    pub fn check(&self) -> Result<(), String> {
        for (flag, value) in [
            ("--seconds-per-slot", self.seconds_per_slot),
            ("--shard-committee-period", self.shard_committee_period),
            (
                "--min-validator-withdrawability-delay",
                self.min_validator_withdrawability_delay,
            ),
        ] {
            if !(1..=Self::MAX).contains(&value) {
                return Err(format!(
                    "{flag} must be at least 1 and at most {}, not {value}",
                    Self::MAX
                ));
            }
        }
        Ok(())
    }
}

impl Default for Timing {
    fn default() -> Self {
        Self::DEFAULT
    }
}

impl Config {
    /// The epoch the devnet enters Fulu (its genesis is in Electra, so the upgrade is part of
    /// every run).
    pub const DEVNET_FULU_EPOCH: u64 = 2;

    /// The devnet's configuration (see the module docs): `configs/minimal.yaml` with the
    /// devnet's fork epochs, its default [`Timing`], and anvil's deposit contract.
    pub fn devnet(chain_id: u64) -> Self {
        let timing = Timing::DEFAULT;
        Self {
            slot_duration_ms: timing.seconds_per_slot * 1000,
            electra_fork_epoch: Epoch::new(0),
            fulu_fork_epoch: Epoch::new(Self::DEVNET_FULU_EPOCH),
            shard_committee_period: timing.shard_committee_period,
            min_validator_withdrawability_delay: timing.min_validator_withdrawability_delay,
            deposit_chain_id: chain_id,
            deposit_contract_address: alloy_eips::eip6110::MAINNET_DEPOSIT_CONTRACT_ADDRESS,
            ..Self::minimal()
        }
    }

    /// [`Config::devnet`] with `timing` instead of the default, once [`Timing::check`] passes.
    pub fn devnet_with(chain_id: u64, timing: Timing) -> Result<Self, String> {
        timing.check()?;
        Ok(Self {
            slot_duration_ms: timing.seconds_per_slot * 1000,
            shard_committee_period: timing.shard_committee_period,
            min_validator_withdrawability_delay: timing.min_validator_withdrawability_delay,
            ..Self::devnet(chain_id)
        })
    }

    /// `SECONDS_PER_SLOT`: `SLOT_DURATION_MS` in whole seconds, at least 1 (the devnet's clock
    /// counts whole seconds).
    pub fn seconds_per_slot(&self) -> u64 {
        (self.slot_duration_ms / 1000).max(1)
    }
}

/// How to build a devnet.
#[derive(Clone, Debug)]
pub struct DevnetOptions {
    /// Interop validators (keys held here) in the genesis state.
    pub validators: u64,
    /// The chain's configuration.
    pub config: Config,
    /// The unix time of slot 0.
    pub genesis_time: u64,
    /// The execution chain's id.
    pub chain_id: u64,
    /// The anvil binary ([`locate_anvil`]) and its JSON-RPC port (0: any free one).
    pub anvil: PathBuf,
    /// The JSON-RPC port anvil listens on (0: any free one).
    pub rpc_port: u16,
    /// Where genesis validators' withdrawals go (`0x01` credentials).
    pub withdrawal_address: Address,
    /// The key whose signatures the development attestation verifier accepts (P's `dev`
    /// attester), and the policy hash the vault requires attestations to bind.
    pub attester: Address,
    /// The policy hash the vault requires.
    pub policy_hash: B256,
}

impl DevnetOptions {
    /// `validators` interop validators, genesis `genesis_time`, anvil's default chain id.
    pub fn new(validators: u64, genesis_time: u64) -> Self {
        Self {
            validators,
            config: Config::devnet(31_337),
            genesis_time,
            chain_id: 31_337,
            anvil: locate_anvil(),
            rpc_port: 0,
            withdrawal_address: Address::repeat_byte(0x11),
            attester: Address::ZERO,
            policy_hash: B256::ZERO,
        }
    }
}

/// The seconds since the Unix epoch, now.
pub fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// lsv's contracts as deployed on the devnet.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Contracts {
    /// The development attestation verifier (a stand-in for DCAP).
    pub attestation_verifier: Address,
    /// The proof verifier the vault reads beacon-chain proofs with.
    pub proof_verifier: Address,
    /// C: the vault. P's keys are bound to it (`0x02 ‖ 0^11 ‖ vault`).
    pub vault: Address,
}

impl Contracts {
    /// The withdrawal credentials of a validator of C: `0x02 ‖ 0^11 ‖ vault` (EIP-7251).
    pub fn credentials(&self) -> B256 {
        let mut c = [0u8; 32];
        c[0] = 0x02;
        c[12..].copy_from_slice(self.vault.as_slice());
        c.into()
    }
}

/// A devnet's genesis before C is deployed: anvil running, the genesis state made. C's
/// addresses already follow from the deployer's nonce ([`Undeployed::contracts`]), so a P can
/// be pinned to this chain and bound to C before C exists, and C then deployed with that P's
/// attester and policy hash ([`Undeployed::deploy`]), as a real deployment would be.
pub struct Undeployed<P: SpecPreset> {
    /// The configuration the transition runs with.
    pub spec: Spec<P>,
    /// The genesis state.
    pub state: BeaconState<P>,
    /// Anvil, with the genesis block mined.
    pub execution: AnvilExecution,
    /// The interop validators' keys.
    pub keys: LocalKeys,
    /// Anvil's first unlocked account: it deploys C and pays for deposits.
    pub funder: Address,
}

/// A devnet with its genesis made and C on its way, before its validators start.
pub struct Genesis<P: SpecPreset> {
    /// The configuration the transition runs with.
    pub spec: Spec<P>,
    /// The genesis state.
    pub state: BeaconState<P>,
    /// Anvil, with the genesis block mined.
    pub execution: AnvilExecution,
    /// The interop validators' keys.
    pub keys: LocalKeys,
    /// C's addresses.
    pub contracts: Contracts,
    /// The transactions creating C (attestation verifier, proof verifier, vault), mined with
    /// the first block.
    pub creations: [B256; 3],
    /// Anvil's first unlocked account: it deployed C and pays for deposits.
    pub funder: Address,
}

impl<P: SpecPreset> Genesis<P> {
    /// Starts anvil, makes the genesis state and sends C's deployment with `options`'
    /// attester and policy hash (see the module docs).
    pub fn create(options: &DevnetOptions) -> Result<Self, DevnetError> {
        Undeployed::start(options)?.deploy(options.attester, options.policy_hash)
    }

    /// The `config.yaml` that pins a remote signer to this devnet.
    pub fn network_config_yaml(&self) -> Result<String, DevnetError> {
        network_config_yaml(&self.spec, &self.state)
    }
}

impl<P: SpecPreset> Undeployed<P> {
    /// Starts anvil and makes the genesis state (see the module docs).
    pub fn start(options: &DevnetOptions) -> Result<Self, DevnetError> {
        let execution = AnvilExecution::start(&AnvilOptions {
            binary: options.anvil.clone(),
            genesis_time: options.genesis_time,
            hardfork: "osaka",
            chain_id: options.chain_id,
            port: options.rpc_port,
        })?;
        let spec = Spec::<P>::new(options.config.clone());
        let mut credentials = [0u8; 32];
        credentials[0] = 0x01;
        credentials[12..].copy_from_slice(options.withdrawal_address.as_slice());
        let (validators, keys) = interop_validators(options.validators, credentials.into());
        let state = spec.genesis_state(
            &GenesisParams {
                genesis_time: options.genesis_time,
                fork: ForkName::Electra,
                execution_payload_header: ExecutionLayer::<P>::genesis_header(&execution),
            },
            &validators,
        )?;
        let rpc = execution.anvil().rpc();
        let accounts: Vec<Address> = rpc.call("eth_accounts", json!([]))?;
        let funder = *accounts
            .first()
            .ok_or_else(|| DevnetError::Setup("anvil has no unlocked account".into()))?;
        Ok(Self {
            spec,
            state,
            execution,
            keys,
            funder,
        })
    }

    /// Where C's contracts will be: the funder's next three `CREATE`s, in deployment order.
    pub fn contracts(&self) -> Result<Contracts, DevnetError> {
        let nonce: U256 = self
            .execution
            .anvil()
            .rpc()
            .call("eth_getTransactionCount", json!([self.funder, "pending"]))?;
        let nonce: u64 = nonce.to();
        Ok(Contracts {
            attestation_verifier: self.funder.create(nonce),
            proof_verifier: self.funder.create(nonce + 1),
            vault: self.funder.create(nonce + 2),
        })
    }

    /// The `config.yaml` that pins a remote signer to this devnet.
    pub fn network_config_yaml(&self) -> Result<String, DevnetError> {
        network_config_yaml(&self.spec, &self.state)
    }

    /// Sends C's deployment (it lands in the first block): the development attestation
    /// verifier accepting `attester`'s signatures, the proof verifier, and the vault requiring
    /// `policy_hash`, at the addresses [`Self::contracts`] gave.
    pub fn deploy(self, attester: Address, policy_hash: B256) -> Result<Genesis<P>, DevnetError> {
        let expected = self.contracts()?;
        let rpc = self.execution.anvil().rpc();
        let (contracts, creations) = deploy_contracts(
            rpc,
            self.funder,
            &self.spec.config,
            &self.state,
            attester,
            policy_hash,
        )?;
        if contracts != expected {
            return Err(DevnetError::Setup(format!(
                "C deployed at {contracts:?}, not where its addresses were announced ({expected:?})"
            )));
        }
        Ok(Genesis {
            spec: self.spec,
            state: self.state,
            execution: self.execution,
            keys: self.keys,
            contracts,
            creations,
            funder: self.funder,
        })
    }
}

/// The `config.yaml` that pins a remote signer to the devnet of `spec` and `genesis`.
fn network_config_yaml<P: SpecPreset>(
    spec: &Spec<P>,
    genesis: &BeaconState<P>,
) -> Result<String, DevnetError> {
    crate::remote::network_config(&spec.config, genesis)
        .map_err(|e| DevnetError::Setup(e.to_string()))
}

impl<P: SpecPreset> Genesis<P> {
    /// Starts the beacon node, its validators signing with `signer`.
    pub fn launch<S: Signer<P>>(self, signer: S) -> Devnet<P, S> {
        let rpc_url = self.execution.anvil().url().to_owned();
        let genesis_time = self.state.genesis_time;
        let seconds_per_slot = self.spec.config.seconds_per_slot();
        let config = self.spec.config.clone();
        let dev_keys = self.execution.anvil().dev_keys().to_vec();
        Devnet {
            node: Node::new(self.spec, self.state, self.execution, signer),
            rpc: Rpc::new(&rpc_url).expect("a client of a URL anvil printed"),
            rpc_url,
            contracts: self.contracts,
            creations: self.creations,
            funder: self.funder,
            genesis_time,
            seconds_per_slot,
            config,
            api: None,
            dev_keys,
        }
    }
}

/// The address `from` deploys to with its next transaction (`CREATE`: its pending nonce).
fn next_contract_address(rpc: &Rpc, from: Address) -> Result<Address, ExecutionError> {
    let nonce: U256 = rpc.call("eth_getTransactionCount", json!([from, "pending"]))?;
    Ok(from.create(nonce.to()))
}

/// Sends the transactions deploying C from `from`; they are mined with the first block. C's
/// addresses and the three transactions' hashes.
fn deploy_contracts<P: SpecPreset>(
    rpc: &Rpc,
    from: Address,
    config: &Config,
    state: &BeaconState<P>,
    attester: Address,
    policy_hash: B256,
) -> Result<(Contracts, [B256; 3]), DevnetError> {
    let mut fork_versions = [0u8; 32];
    fork_versions[..4].copy_from_slice(&config.electra_fork_version.0);
    fork_versions[4..8].copy_from_slice(&config.fulu_fork_version.0);
    let anchor = (
        state.genesis_time,
        state.genesis_validators_root,
        B256::from(fork_versions),
    );
    let mut creations = Vec::new();
    let mut deploy = |init_code: Bytes| -> Result<Address, ExecutionError> {
        let address = next_contract_address(rpc, from)?;
        creations.push(
            rpc.send_transaction(json!({"from": from, "data": init_code, "gas": "0xf00000"}))?,
        );
        Ok(address)
    };
    let attestation_verifier = deploy(DEV_ATTESTATION_VERIFIER.init_code(&attester.abi_encode()))?;
    // The chain starts after Capella: `historical_summaries` from slot 0. Withdrawal proofs
    // climb the preset's trees: `MAX_WITHDRAWALS_PER_PAYLOAD` (minimal 4,
    // presets/minimal/capella.yaml) and `SLOTS_PER_HISTORICAL_ROOT` (minimal 64,
    // presets/minimal/phase0.yaml).
    let proof_verifier = deploy(PROOF_VERIFIER.init_code(
        &lsv_contracts::devnet::proof_verifier_args(anchor, 0, WithdrawalDepths::of::<P>()),
    ))?;
    let vault_config = lsv_contracts::devnet::VaultConfig::default();
    let vault = deploy(
        VAULT.init_code(
            &(
                attestation_verifier,
                anchor,
                U256::from(vault_config.max_validators),
                vault_config.inactivity_trigger,
                U256::from(vault_config.exit_resend_blocks),
                vault_config.min_redeem,
                policy_hash,
                proof_verifier,
                U256::from(vault_config.wind_down_delay),
                ChainTiming {
                    seconds_per_slot: config.slot_duration_ms / 1000,
                    slots_per_epoch: P::SLOTS_PER_EPOCH,
                    shard_committee_period: config.shard_committee_period,
                    epochs_per_slashings_vector: P::epochs_per_slashings_vector(),
                }
                .as_tuple(),
            )
                .abi_encode_params(),
        ),
    )?;
    let creations = [creations[0], creations[1], creations[2]];
    Ok((
        Contracts {
            attestation_verifier,
            proof_verifier,
            vault,
        },
        creations,
    ))
}

/// A running devnet.
pub struct Devnet<P: SpecPreset, S: Signer<P>> {
    /// The beacon node and its validators.
    pub node: Node<P, AnvilExecution, S>,
    rpc: Rpc,
    rpc_url: String,
    /// C's addresses.
    pub contracts: Contracts,
    /// The transactions that created C ([`Genesis::creations`]).
    pub creations: [B256; 3],
    /// Anvil's first unlocked account.
    pub funder: Address,
    genesis_time: u64,
    seconds_per_slot: u64,
    config: Config,
    api: Option<ApiServer>,
    dev_keys: Vec<B256>,
}

/// The beacon API served on a runtime of its own.
struct ApiServer {
    address: SocketAddr,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Drop for ApiServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl<P: SpecPreset, S: Signer<P>> Devnet<P, S> {
    /// Anvil's JSON-RPC URL.
    pub fn rpc_url(&self) -> &str {
        &self.rpc_url
    }

    /// Anvil's funded development accounts' keys ([`crate::anvil::Anvil::dev_keys`]); the
    /// first is the [`Devnet::funder`], which the devnet sends its own transactions from.
    pub fn dev_keys(&self) -> &[B256] {
        &self.dev_keys
    }

    /// A JSON-RPC client of anvil.
    pub fn rpc(&self) -> &Rpc {
        &self.rpc
    }

    /// The beacon node's store.
    pub fn store(&self) -> Arc<RwLock<Store<P>>> {
        self.node.store()
    }

    /// Serves the beacon API on `address` (port 0: any free one); returns where.
    pub fn serve_api(&mut self, address: SocketAddr) -> Result<SocketAddr, DevnetError> {
        let listener = std::net::TcpListener::bind(address)
            .map_err(|e| DevnetError::Setup(format!("cannot listen on {address}: {e}")))?;
        listener
            .set_nonblocking(true)
            .map_err(|e| DevnetError::Setup(e.to_string()))?;
        let bound = listener
            .local_addr()
            .map_err(|e| DevnetError::Setup(e.to_string()))?;
        let store = self.store();
        let options = ApiOptions {
            config_name: "lsv-devnet".to_owned(),
            deposit_chain_id: self.config.deposit_chain_id,
            deposit_contract: self.config.deposit_contract_address,
        };
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("lsv-devnet-api")
            .enable_all()
            .build()
            .map_err(|e| DevnetError::Setup(e.to_string()))?;
        let thread = std::thread::spawn(move || {
            runtime.block_on(async move {
                let Ok(listener) = tokio::net::TcpListener::from_std(listener) else {
                    return;
                };
                let shutdown = async move {
                    let _ = stopped.await;
                };
                if let Err(e) = serve_with(store, options, listener, shutdown).await {
                    tracing::error!("the beacon API stopped: {e}");
                }
            });
        });
        self.api = Some(ApiServer {
            address: bound,
            stop: Some(stop),
            thread: Some(thread),
        });
        Ok(bound)
    }

    /// Where the beacon API is served, if it is.
    pub fn api_address(&self) -> Option<SocketAddr> {
        self.api.as_ref().map(|a| a.address)
    }

    /// `SECONDS_PER_SLOT`: how long each slot lasts on the wall clock.
    pub fn seconds_per_slot(&self) -> u64 {
        self.seconds_per_slot
    }

    /// The slot the wall clock is in (0 before genesis).
    pub fn clock_slot(&self) -> u64 {
        unix_now().saturating_sub(self.genesis_time) / self.seconds_per_slot
    }

    /// The last slot run.
    pub fn head_slot(&self) -> u64 {
        self.store().read().head_slot()
    }

    /// Runs the next slot.
    pub fn run_next_slot(&mut self) -> Result<SlotReport, DevnetError> {
        let slot = self.head_slot() + 1;
        Ok(self.node.run_slot(slot)?)
    }

    /// Runs every slot up to `slot`, calling `each` with each one's report.
    pub fn run_until(
        &mut self,
        slot: u64,
        mut each: impl FnMut(&SlotReport),
    ) -> Result<(), DevnetError> {
        while self.head_slot() < slot {
            let report = self.run_next_slot()?;
            each(&report);
        }
        Ok(())
    }

    /// Runs every slot that has started by the wall clock.
    pub fn run_until_now(&mut self, each: impl FnMut(&SlotReport)) -> Result<(), DevnetError> {
        let now = self.clock_slot();
        self.run_until(now, each)
    }

    /// Runs each slot as it starts, until `stop` is set.
    pub fn follow_clock(
        &mut self,
        stop: &AtomicBool,
        mut each: impl FnMut(&SlotReport),
    ) -> Result<(), DevnetError> {
        while !stop.load(Ordering::Relaxed) {
            if self.clock_slot() > self.head_slot() {
                let report = self.run_next_slot()?;
                each(&report);
            } else {
                std::thread::sleep(Duration::from_millis(100));
            }
        }
        Ok(())
    }

    /// Deposits `deposit` through the deposit contract from `from` (an unlocked anvil account,
    /// which must hold the amount): it reaches the beacon chain as an EIP-6110 request.
    pub fn deposit(&self, from: Address, deposit: &DepositData) -> Result<B256, DevnetError> {
        let call = DepositContract::depositCall {
            pubkey: Bytes::copy_from_slice(&deposit.pubkey.0),
            withdrawal_credentials: Bytes::copy_from_slice(
                deposit.withdrawal_credentials.as_slice(),
            ),
            signature: Bytes::copy_from_slice(&deposit.signature.0),
            deposit_data_root: deposit.tree_hash_root(),
        };
        let value = U256::from(deposit.amount.as_u64()) * U256::from(1_000_000_000u64);
        Ok(self.rpc.send_transaction(json!({
            "from": from,
            "to": self.config.deposit_contract_address,
            "data": Bytes::from(call.abi_encode()),
            "value": value,
        }))?)
    }

    /// The vault's `GENESIS_TIME()` on the latest block: whether C is deployed and anchored.
    pub fn vault_genesis_time(&self) -> Result<u64, DevnetError> {
        let out: Bytes = self.rpc.call(
            "eth_call",
            json!([{
                "to": self.contracts.vault,
                "data": Bytes::from(Vault::GENESIS_TIMECall {}.abi_encode()),
            }, "latest"]),
        )?;
        Vault::GENESIS_TIMECall::abi_decode_returns(&out)
            .map_err(|e| DevnetError::Setup(format!("vault GENESIS_TIME: {e}")))
    }

    /// An account's balance in wei, on the latest block.
    pub fn balance(&self, address: Address) -> Result<U256, DevnetError> {
        Ok(self
            .rpc
            .call("eth_getBalance", json!([address, "latest"]))?)
    }

    /// A JSON-RPC call to anvil.
    pub fn call(&self, method: &str, params: Value) -> Result<Value, DevnetError> {
        Ok(self.rpc.call(method, params)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The flags' timing reaches the configuration; values below 1 are refused, naming the flag.
    #[test]
    fn timing_is_applied_and_checked() {
        let timing = Timing {
            seconds_per_slot: 1,
            shard_committee_period: 4,
            min_validator_withdrawability_delay: 8,
        };
        let config = Config::devnet_with(31_337, timing).expect("valid");
        assert_eq!(config.slot_duration_ms, 1_000);
        assert_eq!(config.seconds_per_slot(), 1);
        assert_eq!(config.shard_committee_period, 4);
        assert_eq!(config.min_validator_withdrawability_delay, 8);
        assert_eq!(
            Config::devnet_with(31_337, Timing::DEFAULT).expect("valid"),
            Config::devnet(31_337)
        );
        let zero = Timing {
            min_validator_withdrawability_delay: 0,
            ..timing
        };
        let refused = Config::devnet_with(31_337, zero).expect_err("0 is refused");
        assert!(refused.starts_with("--min-validator-withdrawability-delay must be at least 1"));
        let huge = Timing {
            seconds_per_slot: Timing::MAX + 1,
            ..timing
        };
        assert!(Config::devnet_with(31_337, huge).is_err());
    }
}
