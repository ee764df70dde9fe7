//! Deploying C on a real chain, and checking a deployment anyone made.
//!
//! [`deploy`] sends the creations from the caller's key: the attestation verifier (the `dev`
//! one for a named attester, a DCAP one for an SGX enclave or TDX trust domain measurement, or
//! a group verifier, after the device verifier it refers to), the proof verifier for the
//! network's beacon chain, and the vault, which creates its sETH and positions tokens.
//! Before the first one it refuses a chain that is not the network's (`DEPOSIT_CHAIN_ID`), or
//! whose EIP-4788 beacon-roots contract, EIP-7002 withdrawal-request contract or deposit
//! contract is missing or not the canonical code: C's proofs and exits would silently fail on
//! it. After the last one it checks every runtime against the committed artifacts and returns a
//! [`Deployment`], which `lsv deploy` writes as `deployment.json`.
//!
//! [`verify`] re-checks such a file against the chain, trusting nothing in it but addresses and
//! transaction hashes: each creation transaction's input must be this build's creation code
//! with the constructor arguments the file's parameters imply (so every immutable, the ones
//! without a getter too, is what the file says), its receipt must have created that address,
//! the code there must be the artifact's runtime with only the immutables differing, and the
//! tokens must be the vault's.

use crate::eth::{Eth, EthError};
use alloy::eips::{eip4788, eip7002};
use alloy::primitives::{keccak256, Address, Bytes, TxHash, B256, U256};
use alloy_sol_types::SolValue;
use lsv_consensus::{ForkName, Network};
use lsv_contracts::artifacts::{
    Artifact, DCAP_ATTESTATION_VERIFIER, DCAP_DEVICE_VERIFIER, DCAP_TDX_ATTESTATION_VERIFIER,
    DEPOSIT_CONTRACT, DEVICE_REGISTRY, DEV_ATTESTATION_VERIFIER, DEV_DEVICE_VERIFIER,
    GROUP_ATTESTATION_VERIFIER, POSITIONS, PROOF_VERIFIER, SETH, VAULT,
};
use lsv_contracts::bindings::vault::Vault;
use lsv_contracts::bindings::{Positions, SETH as Seth};
use lsv_proofs::WithdrawalDepths;
use serde::{Deserialize, Serialize};

/// What went wrong deploying or verifying.
#[derive(Debug, thiserror::Error)]
pub enum DeployError {
    /// Talking to the node failed, or a transaction would revert.
    #[error(transparent)]
    Eth(#[from] EthError),
    /// The network config cannot bind C (a fork it needs is not scheduled).
    #[error("network: {0}")]
    Network(String),
    /// The chain is not one C can run on.
    #[error("refusing this chain: {0}")]
    Chain(String),
    /// A deployed contract is not what it should be.
    #[error("{0}")]
    Mismatch(String),
}

/// The beacon chain C is bound to, as its constructors take it: read from the network config.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChainBinding {
    /// `CONFIG_NAME`.
    pub name: String,
    /// `DEPOSIT_CHAIN_ID`: the execution chain C lives on.
    pub chain_id: u64,
    /// `DEPOSIT_CONTRACT_ADDRESS`.
    pub deposit_contract: Address,
    /// The beacon chain's genesis time.
    pub genesis_time: u64,
    /// Its genesis validators root.
    pub genesis_validators_root: B256,
    /// `ELECTRA_FORK_VERSION ‖ FULU_FORK_VERSION ‖ 0…`: the fork versions whose state layout
    /// the proof verifier reads, packed from the most significant byte.
    pub fork_versions: B256,
    /// `CAPELLA_FORK_EPOCH · SLOTS_PER_EPOCH`: where `historical_summaries` begin.
    pub capella_slot: u64,
    /// `MAX_WITHDRAWALS_PER_PAYLOAD` of the network's preset (capella preset: mainnet 16,
    /// minimal 4): the proof verifier's, for withdrawal proofs.
    pub max_withdrawals_per_payload: u64,
    /// `SLOTS_PER_HISTORICAL_ROOT` of the network's preset (phase0 preset: mainnet 8192,
    /// minimal 64): the proof verifier's, for withdrawal proofs.
    pub slots_per_historical_root: u64,
    /// `SECONDS_PER_SLOT`.
    pub seconds_per_slot: u64,
    /// `SLOTS_PER_EPOCH`.
    pub slots_per_epoch: u64,
    /// `SHARD_COMMITTEE_PERIOD`.
    pub shard_committee_period: u64,
    /// `EPOCHS_PER_SLASHINGS_VECTOR`.
    pub epochs_per_slashings_vector: u64,
}

impl ChainBinding {
    /// The binding for `network`: Electra and Fulu must be scheduled (the proof verifier reads
    /// their layout) and Capella too (withdrawal proofs walk `historical_summaries`); the
    /// withdrawal proofs' preset lengths are its preset's.
    pub fn of_network(network: &Network) -> Result<Self, DeployError> {
        let version = |fork: ForkName| {
            network.fork_version(fork).ok_or_else(|| {
                DeployError::Network(format!(
                    "{} is not scheduled on {}",
                    fork.as_upper(),
                    network.name
                ))
            })
        };
        let mut fork_versions = [0u8; 32];
        fork_versions[..4].copy_from_slice(&version(ForkName::Electra)?.0);
        fork_versions[4..8].copy_from_slice(&version(ForkName::Fulu)?.0);
        let capella_epoch = network
            .forks
            .get(&ForkName::Capella)
            .map(|(epoch, _)| epoch.as_u64())
            .ok_or_else(|| {
                DeployError::Network(format!("CAPELLA is not scheduled on {}", network.name))
            })?;
        let depths = WithdrawalDepths::of_preset(network.preset);
        Ok(Self {
            name: network.name.clone(),
            chain_id: network.chain_id,
            deposit_contract: network.deposit_contract,
            genesis_time: network.genesis_time,
            genesis_validators_root: network.genesis_validators_root,
            fork_versions: B256::from(fork_versions),
            capella_slot: capella_epoch.saturating_mul(network.slots_per_epoch),
            max_withdrawals_per_payload: depths.max_withdrawals_per_payload(),
            slots_per_historical_root: depths.slots_per_historical_root(),
            seconds_per_slot: network.seconds_per_slot,
            slots_per_epoch: network.slots_per_epoch,
            shard_committee_period: network.shard_committee_period,
            epochs_per_slashings_vector: network.preset.epochs_per_slashings_vector(),
        })
    }

    /// `ValidatorProofs.Anchor` as the constructors take it.
    fn anchor(&self) -> (u64, B256, B256) {
        (
            self.genesis_time,
            self.genesis_validators_root,
            self.fork_versions,
        )
    }

    /// `VaultBase.ChainTiming` as the vault's constructor takes it.
    fn timing(&self) -> (u64, u64, u64, u64) {
        (
            self.seconds_per_slot,
            self.slots_per_epoch,
            self.shard_committee_period,
            self.epochs_per_slashings_vector,
        )
    }
}

/// The attestation verifier C trusts P's keys through.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "backend", rename_all = "kebab-case", deny_unknown_fields)]
pub enum AttestationVerifierParams {
    /// `DevAttestationVerifier`: trusts signatures of one secp256k1 key (P's dev backend). A
    /// development stand-in: whoever holds that key can make C trust any key.
    Dev {
        /// P's attester address (`lsv attestation` prints it).
        attester: Address,
    },
    /// `GroupAttestationVerifier` over a `DevDeviceVerifier`: trusts keys held as shares by
    /// m-of-n devices, each attested by one of a set of dev attesters (a development stand-in
    /// for hardware devices: whoever holds those keys can make C trust any group), and, when
    /// `single_attester` is given, single keys of that dev attester (a `DevAttestationVerifier`
    /// it forwards to).
    DevGroup {
        /// The devices' dev attester addresses (each device's `lsv attestation`).
        device_attesters: Vec<Address>,
        /// `MIN_THRESHOLD`: the fewest shares a group may need to sign (m).
        min_threshold: u8,
        /// `MIN_DEVICES`: the fewest devices a group may have (n).
        min_devices: u8,
        /// The dev attester of single-key P whose keys are accepted too, if any.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        single_attester: Option<Address>,
        /// With it, devices register once at a `DeviceRegistry` over the device verifier, for
        /// registrations that live this many seconds, and a join carries each device key's
        /// signature (`lsv cluster register`); without it, each device's evidence is checked
        /// at every join.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        device_registry_lifetime: Option<u64>,
    },
    /// `DcapAttestationVerifier`: trusts SGX quotes of one enclave measurement.
    SgxDcap(SgxDcapPolicy),
    /// `DcapTdxAttestationVerifier`: trusts TDX quotes of one TD measurement.
    TdxDcap(TdxDcapPolicy),
    /// `GroupAttestationVerifier` over a `DcapDeviceVerifier`: trusts keys held as shares by
    /// m-of-n hardware devices, SGX enclaves under `sgx` and TDX trust domains under `tdx`
    /// (each through its own DCAP verifier, created first), one platform (PPID) each.
    DcapGroup {
        /// The SGX devices' policy; none: SGX devices are refused.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        sgx: Option<SgxDcapPolicy>,
        /// The TDX devices' policy; none: TDX devices are refused.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        tdx: Option<TdxDcapPolicy>,
        /// `MIN_THRESHOLD`: the fewest shares a group may need to sign (m).
        min_threshold: u8,
        /// `MIN_DEVICES`: the fewest devices a group may have (n).
        min_devices: u8,
        /// With it, devices register once at a `DeviceRegistry` over the device verifier (one
        /// quote per device per lifetime, in seconds) and a join carries each device key's
        /// signature, ~10k gas per device; without it, every join carries every device's quote
        /// (~2.1–2.5M gas per device).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        device_registry_lifetime: Option<u64>,
    },
}

impl AttestationVerifierParams {
    /// A group's `DeviceRegistry` lifetime (seconds), if its devices register once.
    pub fn device_registry_lifetime(&self) -> Option<u64> {
        match self {
            Self::DevGroup {
                device_registry_lifetime,
                ..
            }
            | Self::DcapGroup {
                device_registry_lifetime,
                ..
            } => *device_registry_lifetime,
            _ => None,
        }
    }
}

/// A `DeviceRegistry` over the device verifier at `inner`, its registrations living `lifetime`
/// seconds.
fn device_registry_init(inner: Address, lifetime: u64) -> (&'static Artifact, Bytes) {
    (
        &DEVICE_REGISTRY,
        DEVICE_REGISTRY.init_code(&(inner, lifetime).abi_encode_params()),
    )
}

/// What `DcapAttestationVerifier` is deployed with: which SGX enclave it trusts.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SgxDcapPolicy {
    /// `MRENCLAVE` of P's build.
    pub mr_enclave: B256,
    /// The lowest `ISVSVN` accepted.
    pub min_isv_svn: u16,
    /// Bit set of accepted TCB statuses (bit i: status i of the DCAP verifiers' `TcbStatus`).
    pub accepted_tcb_statuses: U256,
    /// The lowest TCB evaluation data number accepted.
    pub min_tcb_evaluation_data_number: U256,
}

/// What `DcapTdxAttestationVerifier` is deployed with: which trust domain it trusts.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TdxDcapPolicy {
    /// The TD measurement of P's image (`lsv_attestation::td_measurement`: SHA-256 of MRTD,
    /// MRCONFIGID, MROWNER, MROWNERCONFIG, RTMR0–3).
    pub td_measurement: B256,
    /// Bit set of accepted TCB statuses (bit i: status i of the DCAP verifiers' `TcbStatus`).
    pub accepted_tcb_statuses: U256,
    /// The lowest TCB evaluation data number accepted.
    pub min_tcb_evaluation_data_number: U256,
}

impl SgxDcapPolicy {
    fn init(&self) -> (&'static Artifact, Bytes) {
        (
            &DCAP_ATTESTATION_VERIFIER,
            DCAP_ATTESTATION_VERIFIER.init_code(
                &(
                    self.mr_enclave,
                    self.min_isv_svn,
                    self.accepted_tcb_statuses,
                    self.min_tcb_evaluation_data_number,
                )
                    .abi_encode_params(),
            ),
        )
    }
}

impl TdxDcapPolicy {
    fn init(&self) -> (&'static Artifact, Bytes) {
        (
            &DCAP_TDX_ATTESTATION_VERIFIER,
            DCAP_TDX_ATTESTATION_VERIFIER.init_code(
                &(
                    self.td_measurement,
                    self.accepted_tcb_statuses,
                    self.min_tcb_evaluation_data_number,
                )
                    .abi_encode_params(),
            ),
        )
    }
}

/// The vault's parameters (its immutables) and the verifier it trusts.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Parameters {
    /// The attestation verifier.
    pub attestation: AttestationVerifierParams,
    /// `POLICY_HASH`: the P policy attestations must bind (`lsv attestation` prints it).
    pub policy_hash: B256,
    /// `MAX_VALIDATORS`.
    pub max_validators: u64,
    /// `INACTIVITY_TRIGGER`: an inactivity score above it makes a validator ejectable.
    pub inactivity_trigger: u64,
    /// `EXIT_RESEND_BLOCKS`: blocks before an EIP-7002 exit request may be sent again.
    pub exit_resend_blocks: u64,
    /// `MIN_REDEEM`, in sETH wei.
    pub min_redeem_wei: U256,
    /// `WIND_DOWN_DELAY`, in seconds.
    pub wind_down_delay_seconds: u64,
}

/// One deployed contract.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeployedContract {
    /// The artifact it was built from (`contracts/artifacts/<name>.json`).
    pub artifact: String,
    /// Its address.
    pub address: Address,
    /// The transaction that created it; none for the tokens, which the vault's creates.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transaction: Option<TxHash>,
    /// keccak256 of the artifact's creation code (this build's).
    pub creation_code_hash: B256,
    /// keccak256 of the runtime code on chain (`EXTCODEHASH`).
    pub code_hash: B256,
}

/// C's contracts.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Contracts {
    /// The contracts the attestation verifier refers to (a group verifier's device verifier
    /// and single-key verifier), created before it; none for most verifiers.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attestation_verifier_parts: Vec<DeployedContract>,
    /// The attestation verifier.
    pub attestation_verifier: DeployedContract,
    /// The proof verifier.
    pub proof_verifier: DeployedContract,
    /// The vault.
    pub vault: DeployedContract,
    /// sETH.
    pub seth: DeployedContract,
    /// The positions token.
    pub positions: DeployedContract,
}

/// `deployment.json`: everything needed to use and re-check a deployment.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Deployment {
    /// The lsv version that deployed it.
    pub lsv_version: String,
    /// The solc version of the artifacts.
    pub compiler: String,
    /// The beacon chain C is bound to.
    pub chain: ChainBinding,
    /// The vault's parameters.
    pub parameters: Parameters,
    /// Who sent the creations.
    pub deployer: Address,
    /// The block the vault was created in (the first block a keeper needs to read).
    pub block: u64,
    /// The contracts.
    pub contracts: Contracts,
}

impl Deployment {
    /// Reads `deployment.json`.
    pub fn read(path: &std::path::Path) -> Result<Self, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        serde_json::from_str(&text)
            .map_err(|e| format!("{} is not a deployment: {e}", path.display()))
    }

    /// The `DeviceRegistry` the vault's group verifier reads devices from, if its devices
    /// register once (`device_registry_lifetime`).
    pub fn device_registry(&self) -> Option<Address> {
        self.contracts
            .attestation_verifier_parts
            .iter()
            .find(|p| p.artifact == DEVICE_REGISTRY.name())
            .map(|p| p.address)
    }

    /// The vault's address.
    pub fn vault(&self) -> Address {
        self.contracts.vault.address
    }
}

/// The contracts the attestation verifier refers to, created before it in this order, each
/// with its creation code and constructor arguments (none for a verifier that stands alone).
/// A part may refer to the parts before it: `earlier` holds their addresses as far as they are
/// known (a part whose earlier parts are not known yet gets zero addresses, good for its
/// artifact only).
fn verifier_parts_init(
    params: &AttestationVerifierParams,
    earlier: &[Address],
) -> Vec<(&'static Artifact, Bytes)> {
    let at = |i: usize| earlier.get(i).copied().unwrap_or_default();
    match params {
        AttestationVerifierParams::DevGroup {
            device_attesters,
            single_attester,
            device_registry_lifetime,
            ..
        } => {
            // The device verifier, its registry (over it), then the single-key verifier.
            let mut parts = vec![(
                &DEV_DEVICE_VERIFIER,
                DEV_DEVICE_VERIFIER.init_code(&device_attesters.abi_encode()),
            )];
            if let Some(lifetime) = device_registry_lifetime {
                parts.push(device_registry_init(at(0), *lifetime));
            }
            if let Some(attester) = single_attester {
                parts.push((
                    &DEV_ATTESTATION_VERIFIER,
                    DEV_ATTESTATION_VERIFIER.init_code(&attester.abi_encode()),
                ));
            }
            parts
        }
        AttestationVerifierParams::DcapGroup {
            sgx,
            tdx,
            device_registry_lifetime,
            ..
        } => {
            // The DCAP verifiers, the device verifier over them, its registry (over it).
            let mut parts: Vec<(&'static Artifact, Bytes)> = sgx
                .iter()
                .map(SgxDcapPolicy::init)
                .chain(tdx.iter().map(TdxDcapPolicy::init))
                .collect();
            let sgx_at = if sgx.is_some() { at(0) } else { Address::ZERO };
            let tdx_at = match (sgx, tdx) {
                (_, None) => Address::ZERO,
                (None, Some(_)) => at(0),
                (Some(_), Some(_)) => at(1),
            };
            let device_verifier = parts.len();
            parts.push((
                &DCAP_DEVICE_VERIFIER,
                DCAP_DEVICE_VERIFIER.init_code(&(sgx_at, tdx_at).abi_encode_params()),
            ));
            if let Some(lifetime) = device_registry_lifetime {
                parts.push(device_registry_init(at(device_verifier), *lifetime));
            }
            parts
        }
        _ => Vec::new(),
    }
}

/// The creation code and constructor arguments of the attestation verifier, given the addresses
/// of its parts (`verifier_parts_init`, in order; a group's device verifier is the last).
fn attestation_verifier_init(
    params: &AttestationVerifierParams,
    parts: &[Address],
) -> (&'static Artifact, Bytes) {
    match params {
        AttestationVerifierParams::DevGroup {
            min_threshold,
            min_devices,
            ..
        }
        | AttestationVerifierParams::DcapGroup {
            min_threshold,
            min_devices,
            ..
        } => {
            let part = |i: usize| parts.get(i).copied().unwrap_or_default();
            let registry = usize::from(params.device_registry_lifetime().is_some());
            let (devices, single) = match params {
                // The device verifier (or its registry) first, then the single-key verifier.
                AttestationVerifierParams::DevGroup { .. } => (part(registry), part(registry + 1)),
                // The DCAP verifiers first, the device verifier over them (or its registry)
                // last.
                _ => (parts.last().copied().unwrap_or_default(), Address::ZERO),
            };
            (
                &GROUP_ATTESTATION_VERIFIER,
                GROUP_ATTESTATION_VERIFIER.init_code(
                    &(
                        devices,
                        single,
                        U256::from(*min_threshold),
                        U256::from(*min_devices),
                    )
                        .abi_encode_params(),
                ),
            )
        }
        AttestationVerifierParams::Dev { attester } => (
            &DEV_ATTESTATION_VERIFIER,
            DEV_ATTESTATION_VERIFIER.init_code(&attester.abi_encode()),
        ),
        AttestationVerifierParams::SgxDcap(policy) => policy.init(),
        AttestationVerifierParams::TdxDcap(policy) => policy.init(),
    }
}

/// The proof verifier's creation code with its constructor arguments: `(anchor, capellaSlot,
/// maxWithdrawalsPerPayload, slotsPerHistoricalRoot)`. The constructor refuses lengths that are
/// not powers of two no larger than mainnet's, so a deployment simulates that first.
fn proof_verifier_init(chain: &ChainBinding) -> Bytes {
    PROOF_VERIFIER.init_code(
        &(
            chain.anchor(),
            chain.capella_slot,
            chain.max_withdrawals_per_payload,
            chain.slots_per_historical_root,
        )
            .abi_encode_params(),
    )
}

fn vault_init(
    chain: &ChainBinding,
    params: &Parameters,
    attestation_verifier: Address,
    proof_verifier: Address,
) -> Bytes {
    VAULT.init_code(
        &(
            attestation_verifier,
            chain.anchor(),
            U256::from(params.max_validators),
            params.inactivity_trigger,
            U256::from(params.exit_resend_blocks),
            params.min_redeem_wei,
            params.policy_hash,
            proof_verifier,
            U256::from(params.wind_down_delay_seconds),
            chain.timing(),
        )
            .abi_encode_params(),
    )
}

/// Refuses a chain C cannot run on: another chain id than the network's, or a system contract
/// (EIP-4788, EIP-7002) or deposit contract that is missing or not the expected code.
pub async fn check_chain(eth: &Eth, chain: &ChainBinding) -> Result<(), DeployError> {
    let chain_id = eth.chain_id().await?;
    if chain_id != chain.chain_id {
        return Err(DeployError::Chain(format!(
            "the node is on chain {chain_id}, the network config says {} ({})",
            chain.chain_id, chain.name
        )));
    }
    for (eip, address, expected) in [
        (
            "EIP-4788 beacon roots",
            eip4788::BEACON_ROOTS_ADDRESS,
            &eip4788::BEACON_ROOTS_CODE,
        ),
        (
            "EIP-7002 withdrawal requests",
            eip7002::WITHDRAWAL_REQUEST_PREDEPLOY_ADDRESS,
            &eip7002::WITHDRAWAL_REQUEST_PREDEPLOY_CODE,
        ),
    ] {
        let code = eth.code(address).await?;
        if code.is_empty() {
            return Err(DeployError::Chain(format!(
                "no {eip} contract at {address}"
            )));
        }
        if code != *expected {
            return Err(DeployError::Chain(format!(
                "the {eip} contract at {address} is not the EIP's code (code hash {})",
                keccak256(&code)
            )));
        }
    }
    let deposit = eth.code(chain.deposit_contract).await?;
    if deposit.is_empty() {
        return Err(DeployError::Chain(format!(
            "no deposit contract at {} (DEPOSIT_CONTRACT_ADDRESS)",
            chain.deposit_contract
        )));
    }
    // lsv's own deposit contract (devnets) or any other: C only reads the events every
    // deposit contract emits, so a different one is named, not refused.
    if !DEPOSIT_CONTRACT.runtime_matches(&deposit) {
        tracing::info!(address = %chain.deposit_contract, "the deposit contract is not lsv's devnet one (expected on public networks)");
    }
    Ok(())
}

/// Deploys C for `chain` with `params` from `eth`'s key; `progress` hears of each step.
pub async fn deploy(
    eth: &Eth,
    chain: &ChainBinding,
    params: &Parameters,
    mut progress: impl FnMut(&str),
) -> Result<Deployment, DeployError> {
    let deployer = eth.from().ok_or(EthError::NoKey)?;
    check_chain(eth, chain).await?;
    progress("chain checked: chain id, EIP-4788, EIP-7002 and deposit contracts");

    // The whole deployment is simulated before the first transaction: the vault's constructor
    // checks the verifiers it is given, so its simulation runs with their simulated runtimes
    // at the addresses they will be created at (the deployer's next nonces: the verifier's
    // parts, the verifier, the proof verifier, the vault). A parameter a constructor refuses
    // costs nothing.
    let nonce = eth.pending_nonce(deployer).await?;
    let part_count = verifier_parts_init(&params.attestation, &[]).len() as u64;
    let part_addresses: Vec<Address> = (nonce..nonce + part_count)
        .map(|n| deployer.create(n))
        .collect();
    let mut at = nonce;
    let mut simulated = Vec::new();
    for (artifact, init) in verifier_parts_init(&params.attestation, &part_addresses) {
        let runtime = eth
            .simulate_create(artifact.name(), init, at, &simulated)
            .await?;
        simulated.push((deployer.create(at), runtime));
        at += 1;
    }
    let (verifier_artifact, verifier_init) =
        attestation_verifier_init(&params.attestation, &part_addresses);
    let (verifier_at, proofs_at) = (deployer.create(at), deployer.create(at + 1));
    let verifier_runtime = eth
        .simulate_create(
            verifier_artifact.name(),
            verifier_init.clone(),
            at,
            &simulated,
        )
        .await?;
    let proofs_runtime = eth
        .simulate_create(
            PROOF_VERIFIER.name(),
            proof_verifier_init(chain),
            at + 1,
            &[],
        )
        .await?;
    simulated.extend([(verifier_at, verifier_runtime), (proofs_at, proofs_runtime)]);
    eth.simulate_create(
        VAULT.name(),
        vault_init(chain, params, verifier_at, proofs_at),
        at + 2,
        &simulated,
    )
    .await?;
    progress("the deployment simulates: every constructor accepts its arguments");

    let mut transactions = Vec::new();
    let mut created_parts = Vec::new();
    for i in 0..part_count as usize {
        // Each part from the addresses its earlier parts were created at.
        let (artifact, init) =
            verifier_parts_init(&params.attestation, &created_parts).swap_remove(i);
        let sent = eth.deploy(artifact.name(), init).await?;
        let address = created(&sent, artifact)?;
        progress(&format!("{} at {address}", artifact.name()));
        transactions.push(sent.tx);
        created_parts.push(address);
    }
    // Built again from the addresses the parts were created at (the simulated ones, unless
    // another transaction from this key took a nonce in between).
    let (verifier_artifact, verifier_init) =
        attestation_verifier_init(&params.attestation, &created_parts);
    let verifier = eth.deploy(verifier_artifact.name(), verifier_init).await?;
    let verifier_address = created(&verifier, verifier_artifact)?;
    progress(&format!(
        "{} at {verifier_address}",
        verifier_artifact.name()
    ));

    let proofs = eth
        .deploy(PROOF_VERIFIER.name(), proof_verifier_init(chain))
        .await?;
    let proofs_address = created(&proofs, &PROOF_VERIFIER)?;
    progress(&format!("ProofVerifier at {proofs_address}"));

    let vault = eth
        .deploy(
            VAULT.name(),
            vault_init(chain, params, verifier_address, proofs_address),
        )
        .await?;
    let vault_address = created(&vault, &VAULT)?;
    progress(&format!("Vault at {vault_address}"));

    transactions.extend([verifier.tx, proofs.tx, vault.tx]);
    let deployment = describe(eth, chain, params, &transactions).await?;
    verify(eth, &deployment).await?;
    progress("every runtime matches its artifact");
    Ok(deployment)
}

/// The record of a deployment made by the creation `transactions` (the attestation verifier's
/// parts if it has any, the attestation verifier, the proof verifier, the vault, in that order)
/// for `chain` with `params`, read back from their receipts: for a deployment made by other
/// means than [`deploy`] (`lsv devnet`'s own C), to be checked with [`verify`] like any other.
pub async fn describe(
    eth: &Eth,
    chain: &ChainBinding,
    params: &Parameters,
    transactions: &[TxHash],
) -> Result<Deployment, DeployError> {
    let mut artifacts: Vec<&Artifact> = verifier_parts_init(&params.attestation, &[])
        .into_iter()
        .map(|(artifact, _)| artifact)
        .collect();
    let part_count = artifacts.len();
    artifacts.push(attestation_verifier_init(&params.attestation, &[]).0);
    artifacts.extend([&PROOF_VERIFIER, &VAULT]);
    if transactions.len() != artifacts.len() {
        return Err(DeployError::Mismatch(format!(
            "{} creations for a deployment of {} contracts",
            transactions.len(),
            artifacts.len()
        )));
    }
    let mut created = Vec::new();
    let mut deployer = Address::ZERO;
    let mut block = 0;
    for (tx, artifact) in transactions.iter().copied().zip(artifacts) {
        let receipt = eth.receipt(tx).await?.ok_or_else(|| {
            DeployError::Mismatch(format!(
                "the {} creation {tx} is not mined",
                artifact.name()
            ))
        })?;
        let address = receipt.contract_address.ok_or_else(|| {
            DeployError::Mismatch(format!("{tx} created no contract ({})", artifact.name()))
        })?;
        deployer = receipt.from;
        block = receipt.block_number.unwrap_or_default();
        created.push(record(eth, artifact, address, Some(tx)).await?);
    }
    let parts: Vec<DeployedContract> = created.drain(..part_count).collect();
    let vault = created[2].address;
    let seth = eth.view("Vault", vault, &Vault::SETH_TOKENCall {}).await?;
    let positions = eth.view("Vault", vault, &Vault::POSITIONSCall {}).await?;
    let mut created = created.into_iter();
    let mut next = || {
        created
            .next()
            .ok_or_else(|| DeployError::Mismatch("three creations after the parts".into()))
    };
    Ok(Deployment {
        lsv_version: env!("CARGO_PKG_VERSION").to_owned(),
        compiler: VAULT.compiler_version().to_owned(),
        chain: chain.clone(),
        parameters: params.clone(),
        deployer,
        block,
        contracts: Contracts {
            attestation_verifier_parts: parts,
            attestation_verifier: next()?,
            proof_verifier: next()?,
            vault: next()?,
            seth: record(eth, &SETH, seth, None).await?,
            positions: record(eth, &POSITIONS, positions, None).await?,
        },
    })
}

/// The record of `artifact` deployed at `address`, with the code the chain holds there.
async fn record(
    eth: &Eth,
    artifact: &Artifact,
    address: Address,
    transaction: Option<TxHash>,
) -> Result<DeployedContract, DeployError> {
    let code = eth.code(address).await?;
    Ok(DeployedContract {
        artifact: artifact.name().to_owned(),
        address,
        transaction,
        creation_code_hash: keccak256(artifact.bytecode()),
        code_hash: keccak256(&code),
    })
}

fn created(sent: &crate::eth::Sent, artifact: &Artifact) -> Result<Address, DeployError> {
    sent.contract_address.ok_or_else(|| {
        DeployError::Mismatch(format!(
            "the {} creation {} has no contract address in its receipt",
            artifact.name(),
            sent.tx
        ))
    })
}

/// One check [`verify`] made, for the report.
#[derive(Clone, Debug, Serialize)]
pub struct Check {
    /// What was checked.
    pub what: String,
    /// Whether it held.
    pub ok: bool,
    /// Why not, when it did not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

/// Re-checks `deployment` against the chain; every check is reported, and the result is an
/// error naming the first that failed.
pub async fn verify(eth: &Eth, deployment: &Deployment) -> Result<Vec<Check>, DeployError> {
    let report = verify_report(eth, deployment).await?;
    match report.iter().find(|c| !c.ok) {
        Some(failed) => Err(DeployError::Mismatch(format!(
            "{}: {}",
            failed.what,
            failed.detail.as_deref().unwrap_or("failed")
        ))),
        None => Ok(report),
    }
}

/// [`verify`]'s checks, each with its outcome; `Err` only when the node cannot be read.
pub async fn verify_report(eth: &Eth, deployment: &Deployment) -> Result<Vec<Check>, DeployError> {
    let mut checks = Vec::new();
    let mut check = |what: String, outcome: Result<(), String>| {
        checks.push(Check {
            what,
            ok: outcome.is_ok(),
            detail: outcome.err(),
        })
    };
    let c = &deployment.contracts;
    let chain = &deployment.chain;
    match check_chain(eth, chain).await {
        Ok(()) => check("chain id and system contracts".into(), Ok(())),
        Err(DeployError::Eth(e)) => return Err(e.into()),
        Err(e) => check("chain id and system contracts".into(), Err(e.to_string())),
    }

    let part_addresses: Vec<Address> = c
        .attestation_verifier_parts
        .iter()
        .map(|p| p.address)
        .collect();
    let parts = verifier_parts_init(&deployment.parameters.attestation, &part_addresses);
    if parts.len() != c.attestation_verifier_parts.len() {
        check(
            "the attestation verifier's parts".into(),
            Err(format!(
                "the parameters need {} parts, the file records {}",
                parts.len(),
                c.attestation_verifier_parts.len()
            )),
        );
    }
    let (verifier_artifact, verifier_init) =
        attestation_verifier_init(&deployment.parameters.attestation, &part_addresses);
    let mut created_by_tx: Vec<(&DeployedContract, &Artifact, Bytes)> = c
        .attestation_verifier_parts
        .iter()
        .zip(&parts)
        .map(|(contract, (artifact, init))| (contract, *artifact, init.clone()))
        .collect();
    created_by_tx.extend([
        (&c.attestation_verifier, verifier_artifact, verifier_init),
        (
            &c.proof_verifier,
            &PROOF_VERIFIER,
            proof_verifier_init(chain),
        ),
        (
            &c.vault,
            &VAULT,
            vault_init(
                chain,
                &deployment.parameters,
                c.attestation_verifier.address,
                c.proof_verifier.address,
            ),
        ),
    ]);
    for (contract, artifact, init) in created_by_tx {
        let what = format!(
            "{} {} created with the file's parameters",
            artifact.name(),
            contract.address
        );
        let outcome = match contract.transaction {
            None => Err("no creation transaction recorded".to_owned()),
            Some(hash) => match eth.transaction(hash).await? {
                None => Err(format!("the node does not know transaction {hash}")),
                Some((_, Some(to), _)) => Err(format!("{hash} is a call to {to}, not a creation")),
                Some((input, None, receipt)) => {
                    if input != init {
                        Err(format!(
                            "{hash}'s input is not this build's {} creation code with these constructor arguments",
                            artifact.name()
                        ))
                    } else if !receipt.status() {
                        Err(format!("{hash} reverted"))
                    } else if receipt.contract_address != Some(contract.address) {
                        Err(format!("{hash} created {:?}", receipt.contract_address))
                    } else {
                        Ok(())
                    }
                }
            },
        };
        check(what, outcome);
    }

    let mut with_runtime: Vec<(&DeployedContract, &Artifact)> = c
        .attestation_verifier_parts
        .iter()
        .zip(parts.iter().map(|(artifact, _)| *artifact))
        .collect();
    with_runtime.extend([
        (&c.attestation_verifier, verifier_artifact),
        (&c.proof_verifier, &PROOF_VERIFIER),
        (&c.vault, &VAULT),
        (&c.seth, &SETH),
        (&c.positions, &POSITIONS),
    ]);
    for (contract, artifact) in with_runtime {
        let code = eth.code(contract.address).await?;
        let what = format!(
            "{} {} runtime matches the artifact",
            artifact.name(),
            contract.address
        );
        check(
            what,
            if contract.artifact != artifact.name() {
                Err(format!("the file names artifact {}", contract.artifact))
            } else if code.is_empty() {
                Err("no code (self-destructed or never deployed)".into())
            } else if !artifact.runtime_matches(&code) {
                Err(format!(
                    "code hash {} differs beyond its immutables",
                    keccak256(&code)
                ))
            } else if keccak256(&code) != contract.code_hash {
                Err(format!(
                    "code hash {} is not the file's {}",
                    keccak256(&code),
                    contract.code_hash
                ))
            } else if keccak256(artifact.bytecode()) != contract.creation_code_hash {
                Err("the file was made by a build with other creation code".into())
            } else {
                Ok(())
            },
        );
    }

    let seth = eth
        .view("Vault", c.vault.address, &Vault::SETH_TOKENCall {})
        .await;
    let positions = eth
        .view("Vault", c.vault.address, &Vault::POSITIONSCall {})
        .await;
    let seth_vault = eth.view("SETH", c.seth.address, &Seth::VAULTCall {}).await;
    let positions_vault = eth
        .view("Positions", c.positions.address, &Positions::VAULTCall {})
        .await;
    let owned = |token: &str,
                 by_vault: Result<Address, EthError>,
                 recorded: Address,
                 back: Result<Address, EthError>| {
        match (by_vault, back) {
            (Ok(a), Ok(v)) if a == recorded && v == c.vault.address => Ok(()),
            (Ok(a), Ok(v)) => Err(format!(
                "the vault's {token} is {a}, the file's {recorded}, whose vault is {v}"
            )),
            (Err(e), _) | (_, Err(e)) => Err(e.to_string()),
        }
    };
    check(
        "sETH and positions are the vault's own".into(),
        owned("sETH", seth, c.seth.address, seth_vault).and(owned(
            "positions",
            positions,
            c.positions.address,
            positions_vault,
        )),
    );
    Ok(checks)
}

#[cfg(test)]
mod tests {
    use super::*;
    use lsv_contracts::bindings::{DcapAttestationVerifier, DcapTdxAttestationVerifier};
    use lsv_contracts::Chain;

    /// Deploys what `attestation_verifier_init` builds (its constructor arguments, after the
    /// artifact's bytecode) in revm: the constructor must accept them.
    fn deployed(chain: &mut Chain, params: &AttestationVerifierParams) -> Address {
        let (artifact, init) = attestation_verifier_init(params, &[]);
        let args = &init[artifact.bytecode().len()..];
        chain
            .deploy(artifact, args)
            .expect("the constructor accepts")
    }

    #[test]
    fn dcap_verifier_parameters_read_from_json_reach_the_constructors() {
        let mut chain = Chain::new();
        let tdx: AttestationVerifierParams = serde_json::from_str(
            r#"{"backend": "tdx-dcap", "td_measurement": "0x1111111111111111111111111111111111111111111111111111111111111111",
                "accepted_tcb_statuses": "0x1", "min_tcb_evaluation_data_number": "0x11"}"#,
        )
        .unwrap();
        let at = deployed(&mut chain, &tdx);
        let view = |call| chain.view(at, &call).unwrap();
        assert_eq!(
            view(DcapTdxAttestationVerifier::TD_MEASUREMENTCall {}),
            B256::repeat_byte(0x11)
        );
        let sgx = AttestationVerifierParams::SgxDcap(SgxDcapPolicy {
            mr_enclave: B256::repeat_byte(0x22),
            min_isv_svn: 3,
            accepted_tcb_statuses: U256::from(3),
            min_tcb_evaluation_data_number: U256::from(17),
        });
        let at = deployed(&mut chain, &sgx);
        assert_eq!(
            chain
                .view(at, &DcapAttestationVerifier::MR_ENCLAVECall {})
                .unwrap(),
            B256::repeat_byte(0x22)
        );
        assert_eq!(
            chain
                .view(at, &DcapAttestationVerifier::MIN_ISV_SVNCall {})
                .unwrap(),
            3
        );
        // The JSON form a deployment.json records round-trips.
        let text = serde_json::to_string(&tdx).unwrap();
        assert!(text.contains(r#""backend":"tdx-dcap""#), "{text}");
        assert_eq!(
            serde_json::from_str::<AttestationVerifierParams>(&text).unwrap(),
            tdx
        );
    }

    /// A hardware group's parts, created one after the other from the addresses of those before
    /// (as `deploy` creates them), wire up: the device verifier over both DCAP verifiers, the
    /// group verifier over the device verifier.
    #[test]
    fn a_hardware_groups_parts_refer_to_the_parts_before_them() {
        use lsv_contracts::bindings::{DcapDeviceVerifier, GroupAttestationVerifier};
        let mut chain = Chain::new();
        let params: AttestationVerifierParams = serde_json::from_str(
            r#"{"backend": "dcap-group", "min_threshold": 3, "min_devices": 4,
                "sgx": {"mr_enclave": "0x2222222222222222222222222222222222222222222222222222222222222222",
                        "min_isv_svn": 0, "accepted_tcb_statuses": "0x1", "min_tcb_evaluation_data_number": "0x0"},
                "tdx": {"td_measurement": "0x1111111111111111111111111111111111111111111111111111111111111111",
                        "accepted_tcb_statuses": "0x1", "min_tcb_evaluation_data_number": "0x0"}}"#,
        )
        .unwrap();
        let count = verifier_parts_init(&params, &[]).len();
        assert_eq!(count, 3);
        let mut parts = Vec::new();
        for i in 0..count {
            let (artifact, init) = verifier_parts_init(&params, &parts).swap_remove(i);
            let args = &init[artifact.bytecode().len()..];
            parts.push(
                chain
                    .deploy(artifact, args)
                    .expect("the constructor accepts"),
            );
        }
        let (artifact, init) = attestation_verifier_init(&params, &parts);
        let group = chain
            .deploy(artifact, &init[artifact.bytecode().len()..])
            .unwrap();
        let devices = parts[2];
        assert_eq!(
            chain
                .view(group, &GroupAttestationVerifier::DEVICESCall {})
                .unwrap(),
            devices
        );
        assert_eq!(
            chain
                .view(devices, &DcapDeviceVerifier::SGXCall {})
                .unwrap(),
            parts[0]
        );
        assert_eq!(
            chain
                .view(devices, &DcapDeviceVerifier::TDXCall {})
                .unwrap(),
            parts[1]
        );
        assert_eq!(
            chain
                .view(parts[1], &DcapTdxAttestationVerifier::TD_MEASUREMENTCall {})
                .unwrap(),
            B256::repeat_byte(0x11)
        );
    }

    /// Creates `params`' parts one after the other, then its group verifier, as `deploy` does;
    /// returns the parts and the group verifier.
    fn created_in_order(
        chain: &mut Chain,
        params: &AttestationVerifierParams,
    ) -> (Vec<Address>, Address) {
        let mut parts = Vec::new();
        for i in 0..verifier_parts_init(params, &[]).len() {
            let (artifact, init) = verifier_parts_init(params, &parts).swap_remove(i);
            parts.push(
                chain
                    .deploy(artifact, &init[artifact.bytecode().len()..])
                    .expect("the constructor accepts"),
            );
        }
        let (artifact, init) = attestation_verifier_init(params, &parts);
        let group = chain
            .deploy(artifact, &init[artifact.bytecode().len()..])
            .unwrap();
        (parts, group)
    }

    /// With a registry lifetime, a group's devices are read from a `DeviceRegistry` over its
    /// device verifier, for the dev stand-in (with a single-key verifier after it) and for DCAP.
    #[test]
    fn a_group_that_registers_devices_reads_them_from_a_registry_over_its_device_verifier() {
        use lsv_contracts::bindings::{DeviceRegistry, GroupAttestationVerifier};
        let mut chain = Chain::new();
        let dev: AttestationVerifierParams = serde_json::from_str(
            r#"{"backend": "dev-group", "min_threshold": 3, "min_devices": 4,
                "device_attesters": ["0x1111111111111111111111111111111111111111"],
                "single_attester": "0x2222222222222222222222222222222222222222",
                "device_registry_lifetime": 2592000}"#,
        )
        .unwrap();
        assert_eq!(dev.device_registry_lifetime(), Some(2_592_000));
        let (parts, group) = created_in_order(&mut chain, &dev);
        assert_eq!(
            parts.len(),
            3,
            "device verifier, registry, single-key verifier"
        );
        let view_group = |chain: &Chain, call| chain.view(group, &call).unwrap();
        assert_eq!(
            view_group(&chain, GroupAttestationVerifier::DEVICESCall {}),
            parts[1]
        );
        assert_eq!(
            chain
                .view(group, &GroupAttestationVerifier::SINGLECall {})
                .unwrap(),
            parts[2]
        );
        assert_eq!(
            chain.view(parts[1], &DeviceRegistry::INNERCall {}).unwrap(),
            parts[0]
        );
        assert_eq!(
            chain
                .view(parts[1], &DeviceRegistry::LIFETIMECall {})
                .unwrap(),
            2_592_000
        );

        let dcap: AttestationVerifierParams = serde_json::from_str(
            r#"{"backend": "dcap-group", "min_threshold": 3, "min_devices": 4,
                "tdx": {"td_measurement": "0x1111111111111111111111111111111111111111111111111111111111111111",
                        "accepted_tcb_statuses": "0x1", "min_tcb_evaluation_data_number": "0x0"},
                "device_registry_lifetime": 86400}"#,
        )
        .unwrap();
        let (parts, group) = created_in_order(&mut chain, &dcap);
        assert_eq!(parts.len(), 3, "TDX verifier, device verifier, registry");
        assert_eq!(
            chain
                .view(group, &GroupAttestationVerifier::DEVICESCall {})
                .unwrap(),
            parts[2]
        );
        assert_eq!(
            chain.view(parts[2], &DeviceRegistry::INNERCall {}).unwrap(),
            parts[1]
        );
        // Without a lifetime, no registry: the JSON of older deployments reads as before.
        let direct: AttestationVerifierParams = serde_json::from_str(
            r#"{"backend": "dev-group", "min_threshold": 3, "min_devices": 4,
                "device_attesters": ["0x1111111111111111111111111111111111111111"]}"#,
        )
        .unwrap();
        assert_eq!(verifier_parts_init(&direct, &[]).len(), 1);
        assert!(!serde_json::to_string(&direct).unwrap().contains("registry"));
    }
}
