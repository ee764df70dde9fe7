//! A whole lsv deployment on the in-memory [`Chain`], with a beacon chain beside it: the vault
//! with its tokens and the development attestation verifier, and an Electra `BeaconState` that
//! the caller edits (balances, exits, slashings) and proves against through EIP-4788, the way a
//! keeper would on a real network.
//!
//! What is a stand-in: the beacon chain is a state the caller writes, not a consensus client,
//! and attestations come from a [`DevAttestationVerifier`](crate::bindings::DevAttestationVerifier)
//! key derived from a label. Everything on the execution side (the contracts, the system
//! contracts, the proofs they verify) is the real thing. `lsv gas` runs its scenario here.
//! A keeper's settlement is [`Devnet::withdrawal_block`] (the sweep reaches the vault) then
//! [`Devnet::settlement`] by any of the three withdrawal-proof routes.
//!
//! The beacon state is either a synthetic one ([`Devnet::new`]: validators with placeholder
//! keys) or one the caller brings ([`Devnet::from_state`], e.g. a consensus-spec vector's), and
//! a proof is of the state as it stands ([`Devnet::prove`]) or of a variant of it that is not
//! kept ([`Devnet::prove_with`]).
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

use crate::artifacts::{DEV_ATTESTATION_VERIFIER, POSITIONS, PROOF_VERIFIER, SETH, VAULT};
use crate::bindings::Vault;
use crate::{Address, Chain, ChainError, Receipt, B256, U256};
use alloy_sol_types::{SolCall, SolValue};
use k256::ecdsa::SigningKey;
use lsv_consensus::containers::altair::SyncAggregate;
use lsv_consensus::containers::{BeaconBlockHeader, Checkpoint, Eth1Data, Fork, Validator};
use lsv_consensus::{Epoch, Gwei, Mainnet, PublicKeyBytes, SignatureBytes, Slot, Version};
use lsv_proofs::block::{
    BeaconBlock, BeaconBlockBody, ExecutionPayload, ExecutionRequests, Withdrawal,
};
use lsv_proofs::gindex::{BLOCK_ROOTS_DEPTH, SLOTS_PER_HISTORICAL_ROOT};
use lsv_proofs::gloas::GloasStateProver;
use lsv_proofs::gloas_withdrawal::{PaymentChain, PaymentProof};
use lsv_proofs::merkle::MerkleTree;
use lsv_proofs::state::electra::BeaconState;
use lsv_proofs::state::gloas::BeaconState as GloasState;
use lsv_proofs::state::{ExecutionPayloadHeader, HistoricalSummary, SyncCommittee};
use lsv_proofs::{
    AnyBeaconState, HistoricalPeriod, ProofParts, ProveError, StateProver, WithdrawalDepths,
    WithdrawalProveError, WithdrawalProver, WithdrawalRoute,
};
use ssz_types::{BitVector, FixedVector, VariableList};
use tree_hash::TreeHash;

/// `FAR_FUTURE_EPOCH` (phase0 beacon-chain.md, "Constants").
pub const FAR_FUTURE_EPOCH: u64 = u64::MAX;
/// Mainnet's Electra fork version (`ELECTRA_FORK_VERSION`, mainnet config).
const ELECTRA_FORK_VERSION: [u8; 4] = [5, 0, 0, 0];
/// Mainnet's Fulu fork version (`FULU_FORK_VERSION`, mainnet config).
const FULU_FORK_VERSION: [u8; 4] = [6, 0, 0, 0];
/// Mainnet's Gloas fork version (`GLOAS_FORK_VERSION`, mainnet config).
const GLOAS_FORK_VERSION: [u8; 4] = [7, 0, 0, 0];
/// The devnet's `CAPELLA_FORK_EPOCH · 32`: its beacon chain starts after Capella, so
/// `historical_summaries[k]` covers slots `8192·k … 8192·k + 8191`.
pub const CAPELLA_SLOT: u64 = 0;
/// `MAX_WITHDRAWALS_PER_PAYLOAD` (capella beacon-chain.md, mainnet preset).
pub const MAX_WITHDRAWALS_PER_PAYLOAD: usize = 16;

/// The beacon chain's timing a vault is deployed with (`VaultBase.ChainTiming`): its
/// configuration's `SECONDS_PER_SLOT` and `SHARD_COMMITTEE_PERIOD`, its preset's
/// `SLOTS_PER_EPOCH` and `EPOCHS_PER_SLASHINGS_VECTOR`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ChainTiming {
    /// `SECONDS_PER_SLOT`.
    pub seconds_per_slot: u64,
    /// `SLOTS_PER_EPOCH`.
    pub slots_per_epoch: u64,
    /// `SHARD_COMMITTEE_PERIOD`.
    pub shard_committee_period: u64,
    /// `EPOCHS_PER_SLASHINGS_VECTOR`.
    pub epochs_per_slashings_vector: u64,
}

impl ChainTiming {
    /// Mainnet's (`configs/mainnet.yaml`, `presets/mainnet`).
    pub const MAINNET: Self = Self {
        seconds_per_slot: 12,
        slots_per_epoch: 32,
        shard_committee_period: 256,
        epochs_per_slashings_vector: 8192,
    };

    /// As the vault's constructor takes it (the struct's fields in order).
    pub fn as_tuple(&self) -> (u64, u64, u64, u64) {
        (
            self.seconds_per_slot,
            self.slots_per_epoch,
            self.shard_committee_period,
            self.epochs_per_slashings_vector,
        )
    }
}

/// The vault's deployment parameters (its immutables) besides the anchor.
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
    /// The beacon chain's timing.
    pub timing: ChainTiming,
}

impl Default for VaultConfig {
    /// A small devnet pool: 64 validators, trigger 100 (a leak of ~4 epochs with the spec's
    /// `INACTIVITY_SCORE_BIAS` of 4), re-send after 50 blocks, 0.01 sETH minimum, wind-down
    /// after 30 days without a proof; mainnet's timing.
    fn default() -> Self {
        Self {
            max_validators: 64,
            inactivity_trigger: 100,
            exit_resend_blocks: 50,
            min_redeem: U256::from(10_000_000_000_000_000u64),
            policy_hash: B256::repeat_byte(0x50),
            wind_down_delay: 30 * 24 * 3600,
            timing: ChainTiming::MAINNET,
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
    /// The proven validator's pubkey, as the proven state holds it.
    pub pubkey: Vec<u8>,
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
    /// The attestation verifier the vault was deployed with (the dev one unless chosen).
    pub verifier: Address,
    /// The proof verifier (validator and withdrawal proofs) the vault was deployed with.
    pub proof_verifier: Address,
}

impl Deployment {
    /// Deploys a `DevAttestationVerifier` for `attester`, a `ProofVerifier` and the vault
    /// for the beacon chain `anchor` (genesis time, genesis validators root, packed fork
    /// versions) with Capella at `capella_slot` and mainnet's preset (the harness's beacon chain
    /// is mainnet-preset: `MAX_WITHDRAWALS_PER_PAYLOAD` 16, `SLOTS_PER_HISTORICAL_ROOT` 8192),
    /// and registers the vault's tokens with `chain`.
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
        Self::deploy_with_verifier(chain, verifier, anchor, capella_slot, config)
    }

    /// [`Deployment::deploy`] with an attestation verifier already deployed at `verifier` (a
    /// `GroupAttestationVerifier`, say) in place of the dev one.
    ///
    /// # Panics
    /// If a deployment reverts.
    pub fn deploy_with_verifier(
        chain: &mut Chain,
        verifier: Address,
        anchor: (u64, B256, B256),
        capella_slot: u64,
        config: &VaultConfig,
    ) -> Self {
        let proof_verifier = chain
            .deploy(
                &PROOF_VERIFIER,
                &proof_verifier_args(anchor, capella_slot, WithdrawalDepths::MAINNET),
            )
            .expect("the proof verifier deploys");
        let args = (
            verifier,
            anchor,
            U256::from(config.max_validators),
            config.inactivity_trigger,
            U256::from(config.exit_resend_blocks),
            config.min_redeem,
            config.policy_hash,
            proof_verifier,
            U256::from(config.wind_down_delay),
            config.timing.as_tuple(),
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
            proof_verifier,
        }
    }
}

/// The constructor arguments of a `ProofVerifier` for the beacon chain `anchor` (genesis time,
/// genesis validators root, packed fork versions) with Capella at `capella_slot` and the preset
/// lengths of `depths`: `(anchor, capellaSlot, maxWithdrawalsPerPayload, slotsPerHistoricalRoot)`,
/// ABI-encoded.
pub fn proof_verifier_args(
    anchor: (u64, B256, B256),
    capella_slot: u64,
    depths: WithdrawalDepths,
) -> Vec<u8> {
    (
        anchor,
        capella_slot,
        depths.max_withdrawals_per_payload(),
        depths.slots_per_historical_root(),
    )
        .abi_encode_params()
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
    /// The attestation verifier the vault was deployed with (the dev one unless chosen).
    pub verifier: Address,
    /// The proof verifier (validator and withdrawal proofs) the vault was deployed with.
    pub proof_verifier: Address,
    /// The beacon state proofs are built from; edit it, then [`Devnet::prove`].
    pub state: BeaconState<Mainnet>,
    /// The first slot of Gloas, if the beacon chain forks: from it on, proofs are of the state
    /// in the Gloas (progressive) layout, format 2 ([`Devnet::fork_to_gloas_at`]).
    gloas_slot: Option<u64>,
    attester: SigningKey,
    blocks: u64,
}

impl Devnet {
    /// Deploys the verifier and the vault on a new chain, beside a beacon state of `validators`
    /// validators with the vault's credentials and 32 ETH, active since epoch 0, at epoch 300
    /// (so every one may be asked to exit).
    pub fn new(config: VaultConfig, validators: u64) -> Self {
        let mut devnet = Self::from_state(config, empty_state(B256::repeat_byte(0x47)));
        for i in 0..validators {
            devnet.add_validator(pubkey_for(i));
        }
        devnet
    }

    /// Deploys the verifier and the vault on a new chain for the beacon chain of `state` (its
    /// genesis time and genesis validators root; the Electra and Fulu fork versions), and keeps
    /// `state` as it is: its validators' credentials are the caller's to point at the vault
    /// (see [`Devnet::credentials`]). Its `genesis_time` should be [`Chain::GENESIS_TIME`]: the
    /// vault judges the current epoch from the block's timestamp, and [`Devnet::prove`] keeps
    /// the chain's clock at the proven slot.
    pub fn from_state(config: VaultConfig, state: BeaconState<Mainnet>) -> Self {
        Self::from_state_with(config, state, None)
    }

    /// [`Devnet::new`] with the vault's attestation verifier made by `deploy_verifier` on the
    /// devnet's chain (a `GroupAttestationVerifier`, say) instead of the dev one; the dev
    /// attester ([`Devnet::evidence`]) then signs for nothing the vault accepts.
    pub fn with_verifier(
        config: VaultConfig,
        validators: u64,
        deploy_verifier: impl FnOnce(&mut Chain) -> Address,
    ) -> Self {
        let mut devnet = Self::from_state_with(
            config,
            empty_state(B256::repeat_byte(0x47)),
            Some(Box::new(deploy_verifier)),
        );
        for i in 0..validators {
            devnet.add_validator(pubkey_for(i));
        }
        devnet
    }

    #[allow(clippy::type_complexity, reason = "one optional constructor argument")]
    fn from_state_with(
        config: VaultConfig,
        state: BeaconState<Mainnet>,
        deploy_verifier: Option<Box<dyn FnOnce(&mut Chain) -> Address + '_>>,
    ) -> Self {
        let mut chain = Chain::new();
        let attester = attester_key("lsv devnet attester");
        let attester_address = address_of(&attester);
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
        let deployment = match deploy_verifier {
            None => Deployment::deploy(&mut chain, attester_address, anchor, CAPELLA_SLOT, &config),
            Some(deploy) => {
                let verifier = deploy(&mut chain);
                Deployment::deploy_with_verifier(
                    &mut chain,
                    verifier,
                    anchor,
                    CAPELLA_SLOT,
                    &config,
                )
            }
        };
        let Deployment {
            vault,
            seth,
            positions,
            verifier,
            proof_verifier,
        } = deployment;
        Self {
            chain,
            vault,
            seth,
            positions,
            verifier,
            proof_verifier,
            state,
            gloas_slot: None,
            attester,
            blocks: 0,
        }
    }

    /// Forks the beacon chain to Gloas at `slot` (a multiple of 32): a proof of a state at or
    /// after it is of the same registry in the Gloas layout (`BeaconState::from_electra`, fork
    /// version mainnet's `GLOAS_FORK_VERSION`), built by the format-2 prover. The vault and its
    /// verifier are the ones deployed before the fork.
    pub fn fork_to_gloas_at(&mut self, slot: u64) {
        self.gloas_slot = Some(slot);
    }

    /// A withdrawal of `gwei` from validator `validator` to the vault, with global index
    /// `index`, the ePBS way (after [`Devnet::fork_to_gloas_at`]): at the current slot `a` the
    /// sweep debits the balance and lists the withdrawal in `payload_expected_withdrawals`; at
    /// `a + 1` the payload that pays it has been delivered (the vault is credited, the list has
    /// moved on, `next_withdrawal_index` past it), and that state is the anchor of a format-2
    /// validator proof and a payment proof (route 3). The state moves to `a + 1`, debited.
    pub fn gloas_settlement(
        &mut self,
        validator: u64,
        index: u64,
        gwei: u64,
    ) -> Result<GloasSettlement, ProveError> {
        self.gloas_payment(validator, index, gwei, false)
    }

    /// As [`Devnet::gloas_settlement`], but nobody settles for more than a
    /// `SLOTS_PER_HISTORICAL_ROOT` of slots: the anchor is at `a + 8193`, whose `state_roots` no
    /// longer hold the listing state, and the payment proof takes route 4, through the anchor's
    /// `historical_summaries` entry for `a`'s period (the period's other roots are stand-ins).
    pub fn gloas_late_settlement(
        &mut self,
        validator: u64,
        index: u64,
        gwei: u64,
    ) -> Result<GloasSettlement, ProveError> {
        self.gloas_payment(validator, index, gwei, true)
    }

    fn gloas_payment(
        &mut self,
        validator: u64,
        index: u64,
        gwei: u64,
        late: bool,
    ) -> Result<GloasSettlement, ProveError> {
        let fork = self.gloas_slot.expect("the chain forks to Gloas first");
        let a = self.state.slot.as_u64();
        assert!(a >= fork, "the listing slot is after the fork");
        let i = validator as usize;
        let balance = self.state.balances[i].as_u64();
        self.state.balances[i] = Gwei::new(balance.saturating_sub(gwei));
        let mut paid = GloasState::from_electra(self.state.clone(), gloas_fork(fork));
        paid.payload_expected_withdrawals.0 =
            VariableList::new(vec![lsv_consensus::containers::gloas::Withdrawal {
                index,
                validator_index: validator,
                address: self.vault,
                amount: gwei,
            }])
            .expect("one withdrawal");
        paid.next_withdrawal_index = index + 1;
        let paid = GloasStateProver::new(paid);
        let mut anchor = paid.state().clone();
        let position = (a % SLOTS_PER_HISTORICAL_ROOT) as usize;
        let b = if late {
            a + SLOTS_PER_HISTORICAL_ROOT + 1
        } else {
            a + 1
        };
        anchor.slot = Slot::new(b);
        anchor.payload_expected_withdrawals.0 = VariableList::empty();
        let mut period = Vec::new();
        if late {
            period = (0..SLOTS_PER_HISTORICAL_ROOT)
                .map(|n| stand_in(b"period state", n))
                .collect();
            period[position] = paid.state_root();
            let k = a / SLOTS_PER_HISTORICAL_ROOT - CAPELLA_SLOT / SLOTS_PER_HISTORICAL_ROOT;
            while anchor.historical_summaries.len() as u64 <= k {
                let n = anchor.historical_summaries.len() as u64;
                let summary = lsv_proofs::state::HistoricalSummary {
                    block_summary_root: stand_in(b"block summary", n),
                    state_summary_root: if n == k {
                        lsv_proofs::merkle::MerkleTree::new(period.clone(), BLOCK_ROOTS_DEPTH)
                            .root()
                    } else {
                        stand_in(b"state summary", n)
                    },
                };
                anchor
                    .historical_summaries
                    .push(summary)
                    .expect("below HISTORICAL_ROOTS_LIMIT");
            }
            anchor.state_roots[position] = stand_in(b"state", b - SLOTS_PER_HISTORICAL_ROOT);
        } else {
            anchor.state_roots[position] = paid.state_root();
        }
        let anchor = GloasStateProver::new(anchor);
        self.blocks += 1;
        let header = BeaconBlockHeader {
            slot: Slot::new(b),
            proposer_index: 0,
            parent_root: stand_in(b"parent", self.blocks),
            state_root: anchor.state_root(),
            body_root: stand_in(b"body", self.blocks),
        };
        let validator_proof = anchor
            .validator_proof(&header, validator, ProofParts::VALIDATOR)?
            .to_bytes();
        let withdrawal_proof = if late {
            let chain = PaymentChain {
                state_roots_depth: BLOCK_ROOTS_DEPTH,
                capella_slot: Slot::new(CAPELLA_SLOT),
            };
            PaymentProof::build_historical(&anchor, &header, &paid, 0, chain, &period)?
        } else {
            PaymentProof::build(&anchor, &header, &paid, 0, BLOCK_ROOTS_DEPTH)?
        }
        .to_bytes();
        let vault = self.vault;
        self.chain.credit_withdrawal(vault, gwei);
        self.chain.next_block_for(b, header.tree_hash_root());
        self.state.slot = Slot::new(b);
        Ok(GloasSettlement {
            timestamp: U256::from(self.chain.timestamp()),
            validator_proof,
            withdrawal_proof,
        })
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
        self.prove_with(index, parts, |_| {})
    }

    /// [`Devnet::prove`] of a copy of the current state with `edit` applied: the state the
    /// caller keeps editing is left as it was.
    pub fn prove_with(
        &mut self,
        index: u64,
        parts: ProofParts,
        edit: impl FnOnce(&mut BeaconState<Mainnet>),
    ) -> Result<StateProof, ProveError> {
        let mut state = self.state.clone();
        edit(&mut state);
        let (slot, parent_root) = (state.slot, state.latest_block_header.parent_root);
        let pubkey = state
            .validators
            .get(index as usize)
            .map(|v| v.pubkey.0.to_vec())
            .unwrap_or_default();
        self.blocks += 1;
        let mut body_root = B256::repeat_byte(0xb0);
        body_root[..8].copy_from_slice(&self.blocks.to_le_bytes());
        let header_of = |state_root| BeaconBlockHeader {
            slot,
            proposer_index: 0,
            parent_root,
            state_root,
            body_root,
        };
        let (header, bytes) = match self.gloas_slot {
            Some(fork) if slot.as_u64() >= fork => {
                let prover =
                    GloasStateProver::new(GloasState::from_electra(state, gloas_fork(fork)));
                let header = header_of(prover.state_root());
                let proof = prover.validator_proof(&header, index, parts)?;
                (header, proof.to_bytes())
            }
            _ => {
                let prover = StateProver::new(AnyBeaconState::Electra(Box::new(state)));
                let header = header_of(prover.state_root());
                let proof = prover.validator_proof(&header, index, parts)?;
                (header, proof.to_bytes())
            }
        };
        self.chain
            .next_block_for(header.slot.as_u64(), header.tree_hash_root());
        Ok(StateProof {
            timestamp: U256::from(self.chain.timestamp()),
            bytes,
            pubkey,
        })
    }

    /// The development attester's address: the one key the deployed verifier accepts.
    pub fn attester(&self) -> Address {
        address_of(&self.attester)
    }

    /// The attester's 65-byte `r ‖ s ‖ v` signature over `digest` (no prefix, low-s, `v` in
    /// {27, 28}): the dev verifier's evidence for a key-generation binding equal to `digest`.
    pub fn attest(&self, digest: B256) -> Vec<u8> {
        let (signature, recovery) = self
            .attester
            .sign_prehash_recoverable(digest.as_slice())
            .expect("a 32-byte prehash signs");
        let mut evidence = signature.to_bytes().to_vec();
        evidence.push(27 + recovery.to_byte());
        evidence
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
        self.attest(binding)
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

    /// A withdrawal of `gwei` from validator `validator` to the vault, with global withdrawal
    /// index `index`: what the sweep makes for a validator with the vault's credentials.
    pub fn withdrawal(&self, index: u64, validator: u64, gwei: u64) -> Withdrawal {
        Withdrawal {
            index,
            validator_index: validator,
            address: self.vault,
            amount: Gwei::new(gwei),
        }
    }

    /// The beacon block at `slot` whose execution payload pays `withdrawals`, with the payload's
    /// effect applied to the execution chain now: each amount is credited to its address, as
    /// EIP-4895 does when the block executes (no transaction, no log). So the ETH is in the vault
    /// before any proof of it, as on a live chain, and the vault's accounting can be checked
    /// against its balance. Build each block once: a second call credits again.
    ///
    /// Only what withdrawal proofs walk carries meaning: the header fields and the payload's
    /// withdrawals. The rest of the body is empty; `parent_root` and `state_root` are stand-ins
    /// derived from the slot, which the `block_roots` and `historical_summaries` routes never
    /// open (the direct route anchors the block on the devnet's state, see
    /// [`Devnet::settlement`]).
    pub fn withdrawal_block(
        &mut self,
        slot: u64,
        withdrawals: &[Withdrawal],
    ) -> Result<BeaconBlock<Mainnet>, SettlementError> {
        let timestamp = Chain::GENESIS_TIME.saturating_add(slot.saturating_mul(12));
        let execution_payload = ExecutionPayload {
            parent_hash: stand_in(b"execution block", slot.wrapping_sub(1)),
            fee_recipient: Address::ZERO,
            state_root: stand_in(b"execution state", slot),
            receipts_root: stand_in(b"receipts", slot),
            logs_bloom: FixedVector::default(),
            prev_randao: stand_in(b"randao", slot),
            block_number: slot,
            gas_limit: Chain::BLOCK_GAS_LIMIT,
            gas_used: 0,
            timestamp,
            extra_data: VariableList::default(),
            base_fee_per_gas: U256::ZERO,
            block_hash: stand_in(b"execution block", slot),
            transactions: VariableList::default(),
            withdrawals: VariableList::default(),
            blob_gas_used: 0,
            excess_blob_gas: 0,
        };
        let body = BeaconBlockBody {
            randao_reveal: SignatureBytes::default(),
            eth1_data: self.state.eth1_data,
            graffiti: B256::ZERO,
            proposer_slashings: VariableList::default(),
            attester_slashings: VariableList::default(),
            attestations: VariableList::default(),
            deposits: VariableList::default(),
            voluntary_exits: VariableList::default(),
            sync_aggregate: SyncAggregate {
                sync_committee_bits: BitVector::new(),
                sync_committee_signature: SignatureBytes::default(),
            },
            execution_payload,
            bls_to_execution_changes: VariableList::default(),
            blob_kzg_commitments: VariableList::default(),
            execution_requests: ExecutionRequests {
                deposits: VariableList::default(),
                withdrawals: VariableList::default(),
                consolidations: VariableList::default(),
            },
        };
        self.withdrawal_block_with_body(slot, body, withdrawals)
    }

    /// [`Devnet::withdrawal_block`] with `body` (a consensus-spec vector's, say) as the block's
    /// body: its execution payload's withdrawals become `withdrawals` and nothing else in it
    /// changes, so the payload's other fields (its timestamp, block number, transactions) are
    /// `body`'s, which withdrawal proofs only pass as sibling hashes. The withdrawals are
    /// credited to the execution chain now, as there.
    pub fn withdrawal_block_with_body(
        &mut self,
        slot: u64,
        mut body: BeaconBlockBody<Mainnet>,
        withdrawals: &[Withdrawal],
    ) -> Result<BeaconBlock<Mainnet>, SettlementError> {
        body.execution_payload.withdrawals = VariableList::new(withdrawals.to_vec())
            .map_err(|_| SettlementError::TooManyWithdrawals(withdrawals.len()))?;
        for w in withdrawals {
            self.chain.credit_withdrawal(w.address, w.amount.as_u64());
        }
        Ok(BeaconBlock {
            slot: Slot::new(slot),
            proposer_index: 0,
            parent_root: stand_in(b"beacon block", slot.wrapping_sub(1)),
            state_root: stand_in(b"beacon state", slot),
            body,
        })
    }

    /// What a keeper sends to settle validator `index` on a withdrawal of `block`: a validator
    /// proof and a proof of each of the block's withdrawals, both anchored on one EIP-4788 root,
    /// the withdrawal reached by `route`. The anchor is the current state at its slot `a` (where
    /// `settle` needs the validator's `withdrawable_epoch` reached); the open execution block is
    /// closed so that the next one's 4788 root is the anchor's, as [`Devnet::prove`] does.
    ///
    /// Where the block must sit (FORMAT.md, "Routes"), and what the anchor state gets for it:
    /// - [`WithdrawalRoute::Direct`]: the block is the anchor (`slot = a`). Its `state_root`
    ///   becomes the state's root, so [`Settlement::block`] is the block as anchored: a later
    ///   settlement by another route of the same withdrawals must be given that one.
    /// - [`WithdrawalRoute::BlockRoots`]: `a − 8192 ≤ slot < a`; `block_roots[slot % 8192]` holds
    ///   the block's root.
    /// - [`WithdrawalRoute::HistoricalSummaries`]: more than 8192 slots back (so in an earlier
    ///   period); `historical_summaries` holds one entry per period since [`CAPELLA_SLOT`], the
    ///   block's committing to that period's 8192 block roots with the block's at `slot % 8192`.
    ///
    /// The history is written into a copy of the state used for this anchor only: `self.state` is
    /// left as the caller edited it, and each anchor's history is consistent with its own proofs
    /// without the devnet having to produce every slot between two settlements. Roots of slots
    /// and periods the devnet built no block for are stand-in hashes; every root a proof walks is
    /// the real hash of what is below it.
    pub fn settlement(
        &mut self,
        index: u64,
        block: &BeaconBlock<Mainnet>,
        route: WithdrawalRoute,
    ) -> Result<Settlement, SettlementError> {
        let (slot, anchor_slot) = (block.slot.as_u64(), self.state.slot.as_u64());
        if WithdrawalRoute::for_slots(block.slot, self.state.slot, SLOTS_PER_HISTORICAL_ROOT)
            != Some(route)
        {
            return Err(SettlementError::Unreachable {
                route,
                slot,
                anchor_slot,
            });
        }
        let block_root = block.tree_hash_root();
        let position = (slot % SLOTS_PER_HISTORICAL_ROOT) as usize;
        let mut anchor = self.state.clone();
        let mut period = Vec::new();
        match route {
            WithdrawalRoute::Direct => {}
            WithdrawalRoute::BlockRoots => anchor.block_roots[position] = block_root,
            WithdrawalRoute::HistoricalSummaries => {
                let first = CAPELLA_SLOT / SLOTS_PER_HISTORICAL_ROOT;
                let k = (slot / SLOTS_PER_HISTORICAL_ROOT).checked_sub(first);
                let count = (anchor_slot / SLOTS_PER_HISTORICAL_ROOT).saturating_sub(first);
                let Some(k) = k.filter(|_| count <= HISTORICAL_ROOTS_LIMIT) else {
                    return Err(SettlementError::Unreachable {
                        route,
                        slot,
                        anchor_slot,
                    });
                };
                let start = slot - slot % SLOTS_PER_HISTORICAL_ROOT;
                period = (start..start + SLOTS_PER_HISTORICAL_ROOT)
                    .map(|s| {
                        if s == slot {
                            block_root
                        } else {
                            stand_in(b"beacon block", s)
                        }
                    })
                    .collect();
                let summary = MerkleTree::new(period.clone(), BLOCK_ROOTS_DEPTH).root();
                let summaries = (0..count)
                    .map(|i| HistoricalSummary {
                        block_summary_root: if i == k {
                            summary
                        } else {
                            stand_in(b"block summary", i)
                        },
                        state_summary_root: stand_in(b"state summary", i),
                    })
                    .collect();
                anchor.historical_summaries =
                    VariableList::new(summaries).map_err(|_| SettlementError::Unreachable {
                        route,
                        slot,
                        anchor_slot,
                    })?;
            }
        }
        let parent_root = anchor.latest_block_header.parent_root;
        let prover = StateProver::new(AnyBeaconState::Electra(Box::new(anchor)));
        let mut proven = block.clone();
        let header = if route == WithdrawalRoute::Direct {
            proven.state_root = prover.state_root();
            proven.header()
        } else {
            let mut body_root = B256::repeat_byte(0xb0);
            body_root[..8].copy_from_slice(&(self.blocks + 1).to_le_bytes());
            BeaconBlockHeader {
                slot: self.state.slot,
                proposer_index: 0,
                parent_root,
                state_root: prover.state_root(),
                body_root,
            }
        };
        let validator_proof = prover
            .validator_proof(&header, index, ProofParts::VALIDATOR)?
            .to_bytes();
        let withdrawals = WithdrawalProver::new(&prover, header)?;
        let history = (route == WithdrawalRoute::HistoricalSummaries).then_some(HistoricalPeriod {
            capella_slot: Slot::new(CAPELLA_SLOT),
            block_roots: &period,
        });
        let withdrawal_proofs = (0..proven.body.execution_payload.withdrawals.len())
            .map(|j| Ok(withdrawals.prove(&proven, j, route, history)?.to_bytes()))
            .collect::<Result<Vec<_>, SettlementError>>()?;
        let anchor_root = withdrawals.anchor_root();
        self.blocks += 1;
        self.chain.next_block_for(header.slot.as_u64(), anchor_root);
        Ok(Settlement {
            timestamp: U256::from(self.chain.timestamp()),
            anchor_root,
            validator_proof,
            withdrawal_proofs,
            block: proven,
            route,
        })
    }
}

/// The `Fork` of a Gloas that starts at `slot`, after mainnet's Fulu.
fn gloas_fork(slot: u64) -> Fork {
    Fork {
        previous_version: Version(FULU_FORK_VERSION),
        current_version: Version(GLOAS_FORK_VERSION),
        epoch: Epoch::new(slot / 32),
    }
}

/// What [`Devnet::gloas_settlement`] proves: `settle`'s arguments for a payment under ePBS.
#[derive(Clone, Debug)]
pub struct GloasSettlement {
    /// The timestamp whose EIP-4788 root anchors both proofs.
    pub timestamp: U256,
    /// The validator proof (format 2) of the anchor state.
    pub validator_proof: Vec<u8>,
    /// The payment proof (withdrawal format 2).
    pub withdrawal_proof: Vec<u8>,
}

impl GloasSettlement {
    /// `settle(positionId, …)` with both proofs.
    pub fn settle_call(&self, position_id: U256) -> Vault::settleCall {
        Vault::settleCall {
            positionId: position_id,
            validatorTimestamp: self.timestamp,
            validatorProof: self.validator_proof.clone().into(),
            withdrawalTimestamp: self.timestamp,
            withdrawalProof: self.withdrawal_proof.clone().into(),
        }
    }
}

/// `HISTORICAL_ROOTS_LIMIT` (phase0 beacon-chain.md): the most periods `historical_summaries`
/// can hold.
const HISTORICAL_ROOTS_LIMIT: u64 = 1 << 24;

/// A stand-in root for something the devnet does not model (a block it did not build, a
/// period's state roots): distinct per `tag` and `n`, so no two stand-ins collide by accident.
fn stand_in(tag: &[u8], n: u64) -> B256 {
    let mut preimage = b"lsv devnet ".to_vec();
    preimage.extend_from_slice(tag);
    preimage.extend_from_slice(&n.to_le_bytes());
    alloy_primitives::keccak256(preimage)
}

/// What [`Devnet::settlement`] proves: the arguments of `settle` and `creditWithdrawal` for
/// each of the block's withdrawals.
#[derive(Clone, Debug)]
pub struct Settlement {
    /// The timestamp whose EIP-4788 root anchors both proofs (`validatorTimestamp` and
    /// `withdrawalTimestamp` alike).
    pub timestamp: U256,
    /// That root: the anchor block's.
    pub anchor_root: B256,
    /// The validator proof of the anchor state (`ProofParts::VALIDATOR`: settlement reads the
    /// epochs, not the balance).
    pub validator_proof: Vec<u8>,
    /// A withdrawal proof of each of the block's withdrawals, by payload position.
    pub withdrawal_proofs: Vec<Vec<u8>>,
    /// The withdrawal block as proven: by the direct route, with the anchor state as its
    /// `state_root`; prove its withdrawals by another route from this one.
    pub block: BeaconBlock<Mainnet>,
    /// The route every withdrawal proof takes.
    pub route: WithdrawalRoute,
}

impl Settlement {
    /// `settle(positionId, …)` by the withdrawal at payload position `j`; `None` if the payload
    /// has no such position.
    pub fn settle_call(&self, position_id: U256, j: usize) -> Option<Vault::settleCall> {
        Some(Vault::settleCall {
            positionId: position_id,
            validatorTimestamp: self.timestamp,
            validatorProof: self.validator_proof.clone().into(),
            withdrawalTimestamp: self.timestamp,
            withdrawalProof: self.withdrawal_proofs.get(j)?.clone().into(),
        })
    }

    /// `creditWithdrawal(positionId, …)` (a closed position's later withdrawal) by the
    /// withdrawal at payload position `j`; `None` if the payload has no such position.
    pub fn credit_call(&self, position_id: U256, j: usize) -> Option<Vault::creditWithdrawalCall> {
        Some(Vault::creditWithdrawalCall {
            positionId: position_id,
            timestamp: self.timestamp,
            proof: self.withdrawal_proofs.get(j)?.clone().into(),
        })
    }
}

/// Why [`Devnet::withdrawal_block`] or [`Devnet::settlement`] could not build what was asked.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SettlementError {
    /// An execution payload holds at most [`MAX_WITHDRAWALS_PER_PAYLOAD`].
    #[error(
        "an execution payload holds at most {MAX_WITHDRAWALS_PER_PAYLOAD} withdrawals, not {0}"
    )]
    TooManyWithdrawals(usize),
    /// The block is not where `route` reaches from the state's slot (see
    /// [`WithdrawalRoute::for_slots`]), or its history would exceed `HISTORICAL_ROOTS_LIMIT`.
    #[error("the {route:?} route does not reach a block at slot {slot} from the state at slot {anchor_slot}")]
    Unreachable {
        /// The route asked for.
        route: WithdrawalRoute,
        /// The block's slot.
        slot: u64,
        /// The devnet state's slot (the anchor's).
        anchor_slot: u64,
    },
    /// The anchor state cannot prove the validator (not in the registry).
    #[error(transparent)]
    Validator(#[from] ProveError),
    /// The withdrawal proof could not be built.
    #[error(transparent)]
    Withdrawal(#[from] WithdrawalProveError),
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
