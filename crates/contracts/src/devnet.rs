//! A whole lsv deployment on the in-memory [`Chain`], with a beacon chain beside it: the vault
//! with its tokens and the development attestation verifier, and an Electra `BeaconState` that
//! the caller edits (balances, exits, slashings) and proves against through EIP-4788, the way a
//! keeper would on a real network.
//!
//! What is a stand-in: the beacon chain is a state the caller writes, not a consensus client,
//! and attestations come from a [`DevAttestationVerifier`](crate::bindings::DevAttestationVerifier)
//! key derived from a label. Everything on the execution side (the contracts, the system
//! contracts, the proofs they verify) is the real thing. `lsv gas` runs its scenario here.
//!
//! ```
//! use lsv_contracts::devnet::{Devnet, VaultConfig};
//!
//! let mut devnet = Devnet::new(VaultConfig::default(), 4);
//! let owner = devnet.chain.account("owner");
//! let keeper = devnet.chain.account("keeper");
//! let receipt = devnet.join(keeper, 0, owner).unwrap().expect_success();
//! assert!(receipt.gas_used > 0);
//! ```

use crate::artifacts::{DEV_ATTESTATION_VERIFIER, POSITIONS, SETH, VAULT, WITHDRAWAL_VERIFIER};
use crate::bindings::Vault;
use crate::{Address, Chain, ChainError, Receipt, B256, U256};
use alloy_sol_types::{SolCall, SolValue};
use k256::ecdsa::SigningKey;
use lsv_consensus::containers::{BeaconBlockHeader, Checkpoint, Eth1Data, Fork, Validator};
use lsv_consensus::{Epoch, Gwei, Mainnet, PublicKeyBytes, Slot, Version};
use lsv_proofs::state::electra::BeaconState;
use lsv_proofs::state::{ExecutionPayloadHeader, SyncCommittee};
use lsv_proofs::{AnyBeaconState, ProofParts, ProveError, StateProver};
use ssz_types::{BitVector, FixedVector, VariableList};
use tree_hash::TreeHash;

/// `FAR_FUTURE_EPOCH` (phase0 beacon-chain.md, "Constants").
pub const FAR_FUTURE_EPOCH: u64 = u64::MAX;
/// Mainnet's Electra fork version (`ELECTRA_FORK_VERSION`, mainnet config).
const ELECTRA_FORK_VERSION: [u8; 4] = [5, 0, 0, 0];
/// Mainnet's Fulu fork version (`FULU_FORK_VERSION`, mainnet config).
const FULU_FORK_VERSION: [u8; 4] = [6, 0, 0, 0];

/// The vault's deployment parameters (its immutables) that are not facts of the beacon chain.
#[derive(Clone, Debug)]
pub struct VaultConfig {
    /// `MAX_VALIDATORS`.
    pub max_validators: u64,
    /// `INACTIVITY_TRIGGER`: a score above it makes a validator ejectable.
    pub inactivity_trigger: u64,
    /// `EXIT_RESEND_BLOCKS`.
    pub exit_resend_blocks: u64,
    /// `MIN_REDEEM`, in sETH wei.
    pub min_redeem: U256,
    /// `POLICY_HASH`: the signer policy attestations must bind.
    pub policy_hash: B256,
    /// `WIND_DOWN_DELAY`, in seconds: the silence (no proof accepted) after which anyone may
    /// start the wind-down, and the wind-down's wait for arriving ETH.
    pub wind_down_delay: u64,
}

impl Default for VaultConfig {
    /// A small devnet pool: 64 validators, trigger 100 (a leak of ~4 epochs with the spec's
    /// `INACTIVITY_SCORE_BIAS` of 4), re-send after 50 blocks, 0.01 sETH minimum, wind-down
    /// after 30 days without a proof.
    fn default() -> Self {
        Self {
            max_validators: 64,
            inactivity_trigger: 100,
            exit_resend_blocks: 50,
            min_redeem: U256::from(10_000_000_000_000_000u64),
            policy_hash: B256::repeat_byte(0x50),
            wind_down_delay: 30 * 24 * 3600,
        }
    }
}

/// A proof of one validator against the block root EIP-4788 returns for `timestamp`.
#[derive(Clone, Debug)]
pub struct StateProof {
    /// The timestamp of the block whose parent beacon root anchors the proof.
    pub timestamp: U256,
    /// The proof's bytes (`crates/proofs/FORMAT.md`).
    pub bytes: Vec<u8>,
}

/// The contracts of one vault deployment.
#[derive(Clone, Copy, Debug)]
pub struct Deployment {
    /// The vault.
    pub vault: Address,
    /// Its sETH token.
    pub seth: Address,
    /// Its positions token.
    pub positions: Address,
    /// The development attestation verifier the vault was deployed with.
    pub verifier: Address,
    /// The withdrawal-proof verifier the vault was deployed with.
    pub withdrawal_verifier: Address,
}

impl Deployment {
    /// Deploys a `DevAttestationVerifier` for `attester`, a `WithdrawalVerifier` and the vault
    /// for the beacon chain `anchor` (genesis time, genesis validators root, packed fork
    /// versions) with Capella at `capella_slot`, and registers the vault's tokens with `chain`.
    ///
    /// # Panics
    /// If a deployment reverts: the arguments are the caller's, checked by the constructors.
    pub fn deploy(
        chain: &mut Chain,
        attester: Address,
        anchor: (u64, B256, B256),
        capella_slot: u64,
        config: &VaultConfig,
    ) -> Self {
        let verifier = chain
            .deploy(&DEV_ATTESTATION_VERIFIER, &attester.abi_encode())
            .expect("the dev verifier deploys");
        let withdrawal_verifier = chain
            .deploy(
                &WITHDRAWAL_VERIFIER,
                &(anchor, capella_slot).abi_encode_params(),
            )
            .expect("the withdrawal verifier deploys");
        let args = (
            verifier,
            anchor,
            U256::from(config.max_validators),
            config.inactivity_trigger,
            U256::from(config.exit_resend_blocks),
            config.min_redeem,
            config.policy_hash,
            withdrawal_verifier,
            U256::from(config.wind_down_delay),
        )
            .abi_encode_params();
        let vault = chain.deploy(&VAULT, &args).expect("the vault deploys");
        let seth = chain
            .view(vault, &Vault::SETH_TOKENCall {})
            .expect("SETH_TOKEN");
        let positions = chain
            .view(vault, &Vault::POSITIONSCall {})
            .expect("POSITIONS");
        chain.register_contract(seth, &SETH);
        chain.register_contract(positions, &POSITIONS);
        Self {
            vault,
            seth,
            positions,
            verifier,
            withdrawal_verifier,
        }
    }
}

/// The deployment and its beacon chain.
pub struct Devnet {
    /// The execution chain.
    pub chain: Chain,
    /// The vault.
    pub vault: Address,
    /// Its sETH token.
    pub seth: Address,
    /// Its positions token.
    pub positions: Address,
    /// The development attestation verifier the vault was deployed with.
    pub verifier: Address,
    /// The withdrawal-proof verifier the vault was deployed with.
    pub withdrawal_verifier: Address,
    /// The beacon state proofs are built from; edit it, then [`Devnet::prove`].
    pub state: BeaconState<Mainnet>,
    attester: SigningKey,
    blocks: u64,
}

impl Devnet {
    /// Deploys the verifier and the vault on a new chain, beside a beacon state of `validators`
    /// validators with the vault's credentials and 32 ETH, active since epoch 0, at epoch 300
    /// (so every one may be asked to exit).
    pub fn new(config: VaultConfig, validators: u64) -> Self {
        let mut chain = Chain::new();
        let attester = attester_key("lsv devnet attester");
        let attester_address = address_of(&attester);
        let state = empty_state(B256::repeat_byte(0x47));
        let fork_versions = {
            let mut packed = [0u8; 32];
            packed[..4].copy_from_slice(&ELECTRA_FORK_VERSION);
            packed[4..8].copy_from_slice(&FULU_FORK_VERSION);
            B256::new(packed)
        };
        let anchor = (
            state.genesis_time,
            state.genesis_validators_root,
            fork_versions,
        );
        // The devnet's beacon chain starts after Capella: `historical_summaries` from slot 0.
        let Deployment {
            vault,
            seth,
            positions,
            verifier,
            withdrawal_verifier,
        } = Deployment::deploy(&mut chain, attester_address, anchor, 0, &config);
        let mut devnet = Self {
            chain,
            vault,
            seth,
            positions,
            verifier,
            withdrawal_verifier,
            state,
            attester,
            blocks: 0,
        };
        for i in 0..validators {
            devnet.add_validator(pubkey_for(i));
        }
        devnet
    }

    /// `0x02 ‖ 0^11 ‖ vault`.
    pub fn credentials(&self) -> B256 {
        let mut wc = B256::ZERO;
        wc[0] = 0x02;
        wc[12..].copy_from_slice(self.vault.as_slice());
        wc
    }

    /// Appends a validator with the vault's credentials, 32 ETH, active since epoch 0; returns
    /// its index.
    pub fn add_validator(&mut self, pubkey: PublicKeyBytes) -> u64 {
        let validator = Validator {
            pubkey,
            withdrawal_credentials: self.credentials(),
            effective_balance: Gwei::new(32_000_000_000),
            slashed: false,
            activation_eligibility_epoch: Epoch::new(0),
            activation_epoch: Epoch::new(0),
            exit_epoch: Epoch::new(FAR_FUTURE_EPOCH),
            withdrawable_epoch: Epoch::new(FAR_FUTURE_EPOCH),
        };
        let s = &mut self.state;
        let index = s.validators.len() as u64;
        let pushed = s.validators.push(validator).is_ok()
            && s.balances.push(Gwei::new(32_000_000_000)).is_ok()
            && s.inactivity_scores.push(0).is_ok()
            && s.previous_epoch_participation.push(0).is_ok()
            && s.current_epoch_participation.push(0).is_ok();
        assert!(pushed, "the registry limit is 2^40");
        index
    }

    /// Validator `index`'s pubkey.
    pub fn pubkey(&self, index: u64) -> Vec<u8> {
        self.state.validators[index as usize].pubkey.0.to_vec()
    }

    /// Proves validator `index` of the current state with `parts`: hashes the state, wraps it
    /// in a block header, and closes the open block so that the next one's EIP-4788 root is
    /// that header's. The proof's timestamp is the new block's.
    pub fn prove(&mut self, index: u64, parts: ProofParts) -> Result<StateProof, ProveError> {
        self.blocks += 1;
        let prover = StateProver::new(AnyBeaconState::Electra(Box::new(self.state.clone())));
        let mut body_root = B256::repeat_byte(0xb0);
        body_root[..8].copy_from_slice(&self.blocks.to_le_bytes());
        let header = BeaconBlockHeader {
            slot: self.state.slot,
            proposer_index: 0,
            parent_root: self.state.latest_block_header.parent_root,
            state_root: prover.state_root(),
            body_root,
        };
        let bytes = prover.validator_proof(&header, index, parts)?.to_bytes();
        self.chain.next_block(header.tree_hash_root());
        Ok(StateProof {
            timestamp: U256::from(self.chain.timestamp()),
            bytes,
        })
    }

    /// The dev verifier's evidence that P generated validator `index`'s key for `owner`: the
    /// attester's signature over the vault's own `keyGenerationBinding`.
    pub fn evidence(&self, index: u64, owner: Address) -> Vec<u8> {
        let call = Vault::keyGenerationBindingCall {
            pubkey: self.pubkey(index).into(),
            owner,
        };
        let binding = self
            .chain
            .view(self.vault, &call)
            .expect("a 48-byte pubkey has a binding");
        let (signature, recovery) = self
            .attester
            .sign_prehash_recoverable(binding.as_slice())
            .expect("a 32-byte prehash signs");
        let mut evidence = signature.to_bytes().to_vec();
        evidence.push(27 + recovery.to_byte());
        evidence
    }

    /// `join` of validator `index` for `owner`, sent by `from`, with a fresh proof.
    pub fn join(
        &mut self,
        from: Address,
        index: u64,
        owner: Address,
    ) -> Result<Receipt, ChainError> {
        let proof = self
            .prove(index, ProofParts::BALANCE)
            .expect("the devnet's validators are provable");
        let call = Vault::joinCall {
            pubkey: self.pubkey(index).into(),
            owner,
            evidence: self.evidence(index, owner).into(),
            validatorIndex: index,
            timestamp: proof.timestamp,
            proof: proof.bytes.into(),
        };
        self.send(from, &call, U256::ZERO)
    }

    /// Sends `call` to the vault from `from` with `value`.
    pub fn send<C: SolCall>(
        &mut self,
        from: Address,
        call: &C,
        value: U256,
    ) -> Result<Receipt, ChainError> {
        let vault = self.vault;
        self.chain.send(from, vault, call, value)
    }

    /// Sets the beacon state's slot.
    pub fn set_slot(&mut self, slot: u64) {
        self.state.slot = Slot::new(slot);
    }
}

/// A deterministic secp256k1 key from a label (keccak of the label is a valid scalar with
/// overwhelming probability; the labels used here are checked by the doctest).
fn attester_key(label: &str) -> SigningKey {
    SigningKey::from_bytes(&alloy_primitives::keccak256(label).0.into())
        .expect("keccak of the label is a valid scalar")
}

/// The Ethereum address of a secp256k1 key (yellow paper, eq. 284: last 20 bytes of the keccak
/// of the uncompressed point without its prefix).
fn address_of(key: &SigningKey) -> Address {
    let point = key.verifying_key().to_encoded_point(false);
    Address::from_slice(&alloy_primitives::keccak256(&point.as_bytes()[1..])[12..])
}

/// A distinct placeholder pubkey for validator `i`: the vault never checks a BLS key, only that
/// the proven one is the one that joined.
fn pubkey_for(i: u64) -> PublicKeyBytes {
    let mut bytes = [0xa0u8; 48];
    bytes[..8].copy_from_slice(&i.to_be_bytes());
    PublicKeyBytes(bytes)
}

/// An Electra state with no validators at epoch 300, mainnet's genesis time, the Electra fork.
fn empty_state(genesis_validators_root: B256) -> BeaconState<Mainnet> {
    let zero_checkpoint = Checkpoint {
        epoch: Epoch::new(0),
        root: B256::ZERO,
    };
    let slot = Slot::new(300 * 32);
    BeaconState {
        genesis_time: Chain::GENESIS_TIME,
        genesis_validators_root,
        slot,
        fork: Fork {
            previous_version: Version(ELECTRA_FORK_VERSION),
            current_version: Version(ELECTRA_FORK_VERSION),
            epoch: Epoch::new(0),
        },
        latest_block_header: BeaconBlockHeader {
            slot,
            proposer_index: 0,
            parent_root: B256::repeat_byte(0xa1),
            state_root: B256::ZERO,
            body_root: B256::ZERO,
        },
        block_roots: FixedVector::default(),
        state_roots: FixedVector::default(),
        historical_roots: VariableList::default(),
        eth1_data: Eth1Data {
            deposit_root: B256::ZERO,
            deposit_count: 0,
            block_hash: B256::ZERO,
        },
        eth1_data_votes: VariableList::default(),
        eth1_deposit_index: 0,
        validators: VariableList::default(),
        balances: VariableList::default(),
        randao_mixes: FixedVector::default(),
        slashings: FixedVector::default(),
        previous_epoch_participation: VariableList::default(),
        current_epoch_participation: VariableList::default(),
        justification_bits: BitVector::new(),
        previous_justified_checkpoint: zero_checkpoint,
        current_justified_checkpoint: zero_checkpoint,
        finalized_checkpoint: zero_checkpoint,
        inactivity_scores: VariableList::default(),
        current_sync_committee: SyncCommittee {
            pubkeys: FixedVector::default(),
            aggregate_pubkey: PublicKeyBytes::default(),
        },
        next_sync_committee: SyncCommittee {
            pubkeys: FixedVector::default(),
            aggregate_pubkey: PublicKeyBytes::default(),
        },
        latest_execution_payload_header: ExecutionPayloadHeader {
            parent_hash: B256::ZERO,
            fee_recipient: Address::ZERO,
            state_root: B256::ZERO,
            receipts_root: B256::ZERO,
            logs_bloom: FixedVector::default(),
            prev_randao: B256::ZERO,
            block_number: 0,
            gas_limit: 0,
            gas_used: 0,
            timestamp: 0,
            extra_data: VariableList::default(),
            base_fee_per_gas: U256::ZERO,
            block_hash: B256::ZERO,
            transactions_root: B256::ZERO,
            withdrawals_root: B256::ZERO,
            blob_gas_used: 0,
            excess_blob_gas: 0,
        },
        next_withdrawal_index: 0,
        next_withdrawal_validator_index: 0,
        historical_summaries: VariableList::default(),
        deposit_requests_start_index: u64::MAX,
        deposit_balance_to_consume: Gwei::new(0),
        exit_balance_to_consume: Gwei::new(0),
        earliest_exit_epoch: Epoch::new(0),
        consolidation_balance_to_consume: Gwei::new(0),
        earliest_consolidation_epoch: Epoch::new(0),
        pending_deposits: VariableList::default(),
        pending_partial_withdrawals: VariableList::default(),
        pending_consolidations: VariableList::default(),
    }
}
