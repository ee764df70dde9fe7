//! The devnet's genesis: deterministic keys for "the rest of the network" and an Electra (or
//! Fulu) genesis state whose validators are active from epoch 0.
//!
//! The state is built the way the consensus specs' own tests build theirs (`create_genesis_state`
//! in the executable spec's test helpers): validators written straight into the registry with
//! their balances, activated at `GENESIS_EPOCH`, the genesis validators root their root, the
//! first sync committees drawn from them, and the execution layer's genesis block as the latest
//! execution payload header. The Eth1 deposit bridge counts as drained (`eth1_deposit_index =
//! deposit_count`), so every later deposit comes as an EIP-6110 request.

use crate::spec::config::*;
use crate::spec::{BeaconState, Spec, SpecPreset, TransitionError};
use alloy_primitives::{B256, U256};
use blst::min_pk::SecretKey;
use lsv_consensus::containers::{BeaconBlockHeader, Checkpoint, Eth1Data, Fork, Validator};
use lsv_consensus::{Epoch, ForkName, Gwei, PublicKeyBytes, Slot};
use lsv_proofs::block::{BeaconBlockBody, ExecutionPayload, ExecutionRequests};
use lsv_proofs::state::{fulu, ExecutionPayloadHeader, SyncCommittee};
use sha2::{Digest, Sha256};
use ssz_types::{BitVector, FixedVector, VariableList};
use tree_hash::TreeHash;

/// The order of BLS12-381's scalar field, `r`.
const CURVE_ORDER: U256 = alloy_primitives::uint!(
    0x73eda753299d7d483339d80809a1d80553bda402fffe5bfeffffffff00000001_U256
);

/// The secret key of interop validator `index`: `int.from_bytes(sha256(index as 32 bytes, LE),
/// 'little') % r` (the "eth2 interop" mocked-start keys every client's devnet tooling derives).
pub fn interop_secret_key(index: u64) -> SecretKey {
    let mut seed = [0u8; 32];
    seed[..8].copy_from_slice(&index.to_le_bytes());
    let digest: [u8; 32] = Sha256::digest(seed).into();
    let scalar = U256::from_le_bytes(digest) % CURVE_ORDER;
    SecretKey::from_bytes(&scalar.to_be_bytes::<32>()).expect("a scalar below r")
}

/// Validators `0..count` with interop keys ([`interop_secret_key`]), 32 ETH each and
/// `withdrawal_credentials`, for a genesis state; and their keys, by index.
pub fn interop_validators(
    count: u64,
    withdrawal_credentials: B256,
) -> (Vec<GenesisValidator>, crate::signer::LocalKeys) {
    let mut keys = crate::signer::LocalKeys::default();
    let validators = (0..count)
        .map(|i| {
            let key = interop_secret_key(i);
            let pubkey = PublicKeyBytes(key.sk_to_pk().to_bytes());
            keys.insert(i, key);
            GenesisValidator {
                pubkey,
                withdrawal_credentials,
                balance: 32_000_000_000,
            }
        })
        .collect();
    (validators, keys)
}

/// A `BeaconBlockBody` with every field empty or zero (`BeaconBlockBody()` in the specs).
pub fn empty_body<P: SpecPreset>() -> BeaconBlockBody<P> {
    BeaconBlockBody {
        randao_reveal: lsv_consensus::SignatureBytes([0; 96]),
        eth1_data: Eth1Data {
            deposit_root: B256::ZERO,
            deposit_count: 0,
            block_hash: B256::ZERO,
        },
        graffiti: B256::ZERO,
        proposer_slashings: VariableList::default(),
        attester_slashings: VariableList::default(),
        attestations: VariableList::default(),
        deposits: VariableList::default(),
        voluntary_exits: VariableList::default(),
        sync_aggregate: lsv_consensus::containers::altair::SyncAggregate {
            sync_committee_bits: BitVector::default(),
            sync_committee_signature: lsv_consensus::SignatureBytes([0; 96]),
        },
        execution_payload: ExecutionPayload {
            parent_hash: B256::ZERO,
            fee_recipient: alloy_primitives::Address::ZERO,
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
            transactions: VariableList::default(),
            withdrawals: VariableList::default(),
            blob_gas_used: 0,
            excess_blob_gas: 0,
        },
        bls_to_execution_changes: VariableList::default(),
        blob_kzg_commitments: VariableList::default(),
        execution_requests: ExecutionRequests {
            deposits: VariableList::default(),
            withdrawals: VariableList::default(),
            consolidations: VariableList::default(),
        },
    }
}

/// One validator of the genesis registry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GenesisValidator {
    /// Its key.
    pub pubkey: PublicKeyBytes,
    /// Its withdrawal credentials.
    pub withdrawal_credentials: B256,
    /// Balance in gwei (32 ETH for an ordinary validator).
    pub balance: u64,
}

/// What the genesis state is built from besides its validators.
#[derive(Clone, Debug)]
pub struct GenesisParams {
    /// The unix time of slot 0.
    pub genesis_time: u64,
    /// The fork the chain starts in (Electra, or Fulu if `FULU_FORK_EPOCH` is 0).
    pub fork: ForkName,
    /// The execution layer's genesis block as a payload header.
    pub execution_payload_header: ExecutionPayloadHeader,
}

impl<P: SpecPreset> Spec<P> {
    /// The genesis state of `validators` (see the module docs).
    pub fn genesis_state(
        &self,
        params: &GenesisParams,
        validators: &[GenesisValidator],
    ) -> Result<BeaconState<P>, TransitionError> {
        let version = match params.fork {
            ForkName::Fulu => self.config.fulu_fork_version,
            _ => self.config.electra_fork_version,
        };
        let eth1_block_hash = params.execution_payload_header.block_hash;
        let count = validators.len() as u64;
        let registry: Vec<Validator> = validators
            .iter()
            .map(|g| {
                let mut v = Validator {
                    pubkey: g.pubkey,
                    withdrawal_credentials: g.withdrawal_credentials,
                    effective_balance: Gwei::new(0),
                    slashed: false,
                    activation_eligibility_epoch: Epoch::new(FAR_FUTURE_EPOCH),
                    activation_epoch: Epoch::new(FAR_FUTURE_EPOCH),
                    exit_epoch: Epoch::new(FAR_FUTURE_EPOCH),
                    withdrawable_epoch: Epoch::new(FAR_FUTURE_EPOCH),
                };
                let max = if v.withdrawal_credentials[0] == COMPOUNDING_WITHDRAWAL_PREFIX {
                    MAX_EFFECTIVE_BALANCE_ELECTRA
                } else {
                    MIN_ACTIVATION_BALANCE
                };
                v.effective_balance =
                    Gwei::new((g.balance - g.balance % EFFECTIVE_BALANCE_INCREMENT).min(max));
                if v.effective_balance.as_u64() >= MIN_ACTIVATION_BALANCE {
                    v.activation_eligibility_epoch = Epoch::new(GENESIS_EPOCH);
                    v.activation_epoch = Epoch::new(GENESIS_EPOCH);
                }
                v
            })
            .collect();
        let n = registry.len();
        let list_err = |_| TransitionError::ListFull("genesis registry");
        let validators_list = VariableList::new(registry).map_err(list_err)?;
        let genesis_validators_root = validators_list.tree_hash_root();
        let empty_sync = SyncCommittee::<P> {
            pubkeys: FixedVector::default(),
            aggregate_pubkey: PublicKeyBytes([0; 48]),
        };
        let inner = fulu::BeaconState::<P> {
            genesis_time: params.genesis_time,
            genesis_validators_root,
            slot: Slot::new(0),
            fork: Fork {
                previous_version: version,
                current_version: version,
                epoch: Epoch::new(GENESIS_EPOCH),
            },
            latest_block_header: BeaconBlockHeader {
                slot: Slot::new(0),
                proposer_index: 0,
                parent_root: B256::ZERO,
                state_root: B256::ZERO,
                body_root: empty_body::<P>().tree_hash_root(),
            },
            block_roots: FixedVector::default(),
            state_roots: FixedVector::default(),
            historical_roots: VariableList::default(),
            eth1_data: Eth1Data {
                deposit_root: B256::ZERO,
                deposit_count: count,
                block_hash: eth1_block_hash,
            },
            eth1_data_votes: VariableList::default(),
            eth1_deposit_index: count,
            validators: validators_list,
            balances: VariableList::new(validators.iter().map(|g| Gwei::new(g.balance)).collect())
                .map_err(list_err)?,
            randao_mixes: FixedVector::new(vec![
                eth1_block_hash;
                P::epochs_per_historical_vector() as usize
            ])
            .map_err(|_| TransitionError::Invalid("randao_mixes length"))?,
            slashings: FixedVector::default(),
            previous_epoch_participation: VariableList::new(vec![0; n]).map_err(list_err)?,
            current_epoch_participation: VariableList::new(vec![0; n]).map_err(list_err)?,
            justification_bits: BitVector::default(),
            previous_justified_checkpoint: Checkpoint {
                epoch: Epoch::new(0),
                root: B256::ZERO,
            },
            current_justified_checkpoint: Checkpoint {
                epoch: Epoch::new(0),
                root: B256::ZERO,
            },
            finalized_checkpoint: Checkpoint {
                epoch: Epoch::new(0),
                root: B256::ZERO,
            },
            inactivity_scores: VariableList::new(vec![0; n]).map_err(list_err)?,
            current_sync_committee: empty_sync.clone(),
            next_sync_committee: empty_sync,
            latest_execution_payload_header: params.execution_payload_header.clone(),
            next_withdrawal_index: 0,
            next_withdrawal_validator_index: 0,
            historical_summaries: VariableList::default(),
            deposit_requests_start_index: if params.fork == ForkName::Fulu {
                count
            } else {
                UNSET_DEPOSIT_REQUESTS_START_INDEX
            },
            deposit_balance_to_consume: Gwei::new(0),
            exit_balance_to_consume: Gwei::new(0),
            earliest_exit_epoch: Epoch::new(0),
            consolidation_balance_to_consume: Gwei::new(0),
            earliest_consolidation_epoch: Epoch::new(0),
            pending_deposits: VariableList::default(),
            pending_partial_withdrawals: VariableList::default(),
            pending_consolidations: VariableList::default(),
            proposer_lookahead: FixedVector::default(),
        };
        let mut state = BeaconState::from_fulu(inner);
        // Electra until `upgrade_to_fulu` runs (or Fulu from genesis): the same struct, with
        // `proposer_lookahead` unused.
        state.set_fork_name(params.fork);
        // A duplicate committee for the current and the next period at genesis, as the specs'
        // genesis does.
        let committee = Self::get_next_sync_committee(&state)?;
        state.current_sync_committee = committee.clone();
        state.next_sync_committee = committee;
        if params.fork == ForkName::Fulu {
            let mut lookahead = Vec::new();
            for i in 0..=MIN_SEED_LOOKAHEAD {
                lookahead.extend(Self::get_beacon_proposer_indices(&state, i)?);
            }
            state.proposer_lookahead = FixedVector::new(lookahead)
                .map_err(|_| TransitionError::Invalid("proposer_lookahead length"))?;
        }
        Ok(state)
    }
}
