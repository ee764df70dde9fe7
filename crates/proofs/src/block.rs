//! The Electra (= Fulu) `SignedBeaconBlock`, down to the `Withdrawal`s of its execution payload.
//!
//! Field order and types follow `specs/electra/beacon-chain.md` "BeaconBlockBody" (13 fields:
//! Deneb's 12 plus `execution_requests`, EIP-7685), `specs/deneb/beacon-chain.md`
//! "ExecutionPayload" (17 fields; unchanged in Electra and Fulu) and
//! `specs/capella/beacon-chain.md` "Withdrawal". Fulu changes none of these containers, so a Fulu
//! block decodes with the same types. SSZ comes from `ethereum_ssz` derives and
//! `hash_tree_root` from `tree_hash` derives; this module defines only the types and
//! [`SignedBeaconBlock::from_ssz_bytes_of`], which reads the bytes
//! `GET /eth/v2/beacon/blocks/{block_id}` serves as `application/octet-stream`.
//!
//! Serde follows the beacon-API JSON (`GET /eth/v2/beacon/blocks/{block_id}` as
//! `application/json`, `types/{electra,deneb,capella}/*.yaml` in the beacon-APIs): integers
//! as decimal strings (`base_fee_per_gas`, a `uint256`, too), roots, addresses and byte
//! lists (`logs_bloom`, `extra_data`, each transaction, each KZG commitment) as `0x` hex, bit
//! fields as `0x` hex of their SSZ bytes. It changes nothing in SSZ or `hash_tree_root`.
//!
//! Containers already modelled for the signer (`Eth1Data`, `ProposerSlashing`, `Deposit`,
//! `SignedVoluntaryExit`, `SyncAggregate`, Electra's `Attestation` and `IndexedAttestation`,
//! `BeaconBlockHeader`) come from `lsv-consensus`.

use crate::preset::{
    BytesPerLogsBloom, MaxAttestationsElectra, MaxAttesterSlashingsElectra,
    MaxBlsToExecutionChanges, MaxBytesPerTransaction, MaxConsolidationRequestsPerPayload,
    MaxExtraDataBytes, MaxTransactionsPerPayload, StatePreset,
};
use alloy_primitives::{Address, B256, U256};
use lsv_consensus::containers::altair::SyncAggregate;
use lsv_consensus::containers::electra::{Attestation, IndexedAttestation};
use lsv_consensus::containers::{
    BeaconBlockHeader, Deposit, Eth1Data, ProposerSlashing, SignedVoluntaryExit,
};
use lsv_consensus::preset::{MaxDeposits, MaxProposerSlashings, MaxVoluntaryExits};
use lsv_consensus::primitives::{hex_root, quoted_u64};
use lsv_consensus::{ForkName, Gwei, Mainnet, PublicKeyBytes, SignatureBytes, Slot};
use serde::{Deserialize, Serialize};
use ssz::Decode;
use ssz_derive::{Decode, Encode};
use ssz_types::{FixedVector, VariableList};
use tree_hash::TreeHash;
use tree_hash_derive::TreeHash;

/// `Withdrawal` (capella beacon-chain.md): one entry of the withdrawal sweep, credited by the
/// execution layer to `address` (EIP-4895).
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, Encode, Decode, TreeHash,
)]
#[allow(missing_docs, reason = "the consensus specs document these fields")]
pub struct Withdrawal {
    /// The global `WithdrawalIndex`: `state.next_withdrawal_index` when it was made, so unique
    /// across the chain's history.
    #[serde(with = "quoted_u64")]
    pub index: u64,
    #[serde(with = "quoted_u64")]
    pub validator_index: u64,
    pub address: Address,
    pub amount: Gwei,
}

/// `Transaction` (bellatrix beacon-chain.md): an opaque EIP-2718 transaction.
pub type Transaction = VariableList<u8, MaxBytesPerTransaction>;

/// `ExecutionPayload` (deneb beacon-chain.md; unchanged in Electra and Fulu): 17 fields, so a
/// chunk tree of 32 leaves.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Encode, Decode, TreeHash)]
#[serde(bound = "")]
#[allow(missing_docs, reason = "the consensus specs document these fields")]
pub struct ExecutionPayload<P: StatePreset = Mainnet> {
    #[serde(with = "hex_root")]
    pub parent_hash: B256,
    pub fee_recipient: Address,
    #[serde(with = "hex_root")]
    pub state_root: B256,
    #[serde(with = "hex_root")]
    pub receipts_root: B256,
    #[serde(with = "ssz_types::serde_utils::hex_fixed_vec")]
    pub logs_bloom: FixedVector<u8, BytesPerLogsBloom>,
    #[serde(with = "hex_root")]
    pub prev_randao: B256,
    #[serde(with = "quoted_u64")]
    pub block_number: u64,
    #[serde(with = "quoted_u64")]
    pub gas_limit: u64,
    #[serde(with = "quoted_u64")]
    pub gas_used: u64,
    #[serde(with = "quoted_u64")]
    pub timestamp: u64,
    #[serde(with = "ssz_types::serde_utils::hex_var_list")]
    pub extra_data: VariableList<u8, MaxExtraDataBytes>,
    #[serde(with = "decimal_u256")]
    pub base_fee_per_gas: U256,
    #[serde(with = "hex_root")]
    pub block_hash: B256,
    #[serde(with = "ssz_types::serde_utils::list_of_hex_var_list")]
    pub transactions: VariableList<Transaction, MaxTransactionsPerPayload>,
    pub withdrawals: VariableList<Withdrawal, P::MaxWithdrawalsPerPayload>,
    #[serde(with = "quoted_u64")]
    pub blob_gas_used: u64,
    #[serde(with = "quoted_u64")]
    pub excess_blob_gas: u64,
}

/// `AttesterSlashing` (electra): two Electra `IndexedAttestation`s.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Encode, Decode, TreeHash)]
#[serde(bound = "")]
#[allow(missing_docs, reason = "the consensus specs document these fields")]
pub struct AttesterSlashing<P: StatePreset = Mainnet> {
    pub attestation_1: IndexedAttestation<P>,
    pub attestation_2: IndexedAttestation<P>,
}

/// `BLSToExecutionChange` (capella beacon-chain.md).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Encode, Decode, TreeHash)]
#[allow(missing_docs, reason = "the consensus specs document these fields")]
pub struct BlsToExecutionChange {
    #[serde(with = "quoted_u64")]
    pub validator_index: u64,
    pub from_bls_pubkey: PublicKeyBytes,
    pub to_execution_address: Address,
}

/// `SignedBLSToExecutionChange` (capella beacon-chain.md).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Encode, Decode, TreeHash)]
#[allow(missing_docs, reason = "the consensus specs document these fields")]
pub struct SignedBlsToExecutionChange {
    pub message: BlsToExecutionChange,
    pub signature: SignatureBytes,
}

/// `KZGCommitment` (deneb polynomial-commitments.md): `Bytes48`, hashed as two chunks.
pub type KzgCommitment = FixedVector<u8, typenum::U48>;

/// `DepositRequest` (electra beacon-chain.md, EIP-6110).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Encode, Decode, TreeHash)]
#[allow(missing_docs, reason = "the consensus specs document these fields")]
pub struct DepositRequest {
    pub pubkey: PublicKeyBytes,
    #[serde(with = "hex_root")]
    pub withdrawal_credentials: B256,
    pub amount: Gwei,
    pub signature: SignatureBytes,
    #[serde(with = "quoted_u64")]
    pub index: u64,
}

/// `WithdrawalRequest` (electra beacon-chain.md, EIP-7002).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Encode, Decode, TreeHash)]
#[allow(missing_docs, reason = "the consensus specs document these fields")]
pub struct WithdrawalRequest {
    pub source_address: Address,
    pub validator_pubkey: PublicKeyBytes,
    pub amount: Gwei,
}

/// `ConsolidationRequest` (electra beacon-chain.md, EIP-7251).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Encode, Decode, TreeHash)]
#[allow(missing_docs, reason = "the consensus specs document these fields")]
pub struct ConsolidationRequest {
    pub source_address: Address,
    pub source_pubkey: PublicKeyBytes,
    pub target_pubkey: PublicKeyBytes,
}

/// `ExecutionRequests` (electra beacon-chain.md, EIP-7685).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Encode, Decode, TreeHash)]
#[serde(bound = "")]
#[allow(missing_docs, reason = "the consensus specs document these fields")]
pub struct ExecutionRequests<P: StatePreset = Mainnet> {
    pub deposits: VariableList<DepositRequest, P::MaxDepositRequestsPerPayload>,
    pub withdrawals: VariableList<WithdrawalRequest, P::MaxWithdrawalRequestsPerPayload>,
    pub consolidations: VariableList<ConsolidationRequest, MaxConsolidationRequestsPerPayload>,
}

/// `BeaconBlockBody` (electra; unchanged in Fulu): 13 fields, so a chunk tree of 16 leaves with
/// `execution_payload` as field 9.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Encode, Decode, TreeHash)]
#[serde(bound = "")]
#[allow(missing_docs, reason = "the consensus specs document these fields")]
pub struct BeaconBlockBody<P: StatePreset = Mainnet> {
    pub randao_reveal: SignatureBytes,
    pub eth1_data: Eth1Data,
    #[serde(with = "hex_root")]
    pub graffiti: B256,
    pub proposer_slashings: VariableList<ProposerSlashing, MaxProposerSlashings>,
    pub attester_slashings: VariableList<AttesterSlashing<P>, MaxAttesterSlashingsElectra>,
    pub attestations: VariableList<Attestation<P>, MaxAttestationsElectra>,
    pub deposits: VariableList<Deposit, MaxDeposits>,
    pub voluntary_exits: VariableList<SignedVoluntaryExit, MaxVoluntaryExits>,
    pub sync_aggregate: SyncAggregate<P>,
    pub execution_payload: ExecutionPayload<P>,
    pub bls_to_execution_changes:
        VariableList<SignedBlsToExecutionChange, MaxBlsToExecutionChanges>,
    #[serde(with = "ssz_types::serde_utils::list_of_hex_fixed_vec")]
    pub blob_kzg_commitments: VariableList<KzgCommitment, P::MaxBlobCommitmentsPerBlock>,
    pub execution_requests: ExecutionRequests<P>,
}

impl<P: StatePreset> BeaconBlockBody<P> {
    /// `hash_tree_root` of each of the body's 13 fields in SSZ order (leaf `f` of its 16-leaf
    /// chunk tree), by `tree_hash`.
    pub fn field_roots(&self) -> [B256; 13] {
        [
            self.randao_reveal.tree_hash_root(),
            self.eth1_data.tree_hash_root(),
            self.graffiti.tree_hash_root(),
            self.proposer_slashings.tree_hash_root(),
            self.attester_slashings.tree_hash_root(),
            self.attestations.tree_hash_root(),
            self.deposits.tree_hash_root(),
            self.voluntary_exits.tree_hash_root(),
            self.sync_aggregate.tree_hash_root(),
            self.execution_payload.tree_hash_root(),
            self.bls_to_execution_changes.tree_hash_root(),
            self.blob_kzg_commitments.tree_hash_root(),
            self.execution_requests.tree_hash_root(),
        ]
    }
}

impl<P: StatePreset> ExecutionPayload<P> {
    /// `hash_tree_root` of each of the payload's 17 fields in SSZ order (leaf `f` of its
    /// 32-leaf chunk tree), by `tree_hash`.
    pub fn field_roots(&self) -> [B256; 17] {
        [
            self.parent_hash.tree_hash_root(),
            self.fee_recipient.tree_hash_root(),
            self.state_root.tree_hash_root(),
            self.receipts_root.tree_hash_root(),
            self.logs_bloom.tree_hash_root(),
            self.prev_randao.tree_hash_root(),
            self.block_number.tree_hash_root(),
            self.gas_limit.tree_hash_root(),
            self.gas_used.tree_hash_root(),
            self.timestamp.tree_hash_root(),
            self.extra_data.tree_hash_root(),
            self.base_fee_per_gas.tree_hash_root(),
            self.block_hash.tree_hash_root(),
            self.transactions.tree_hash_root(),
            self.withdrawals.tree_hash_root(),
            self.blob_gas_used.tree_hash_root(),
            self.excess_blob_gas.tree_hash_root(),
        ]
    }
}

/// `BeaconBlock` (electra; unchanged in Fulu).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Encode, Decode, TreeHash)]
#[serde(bound = "")]
#[allow(missing_docs, reason = "the consensus specs document these fields")]
pub struct BeaconBlock<P: StatePreset = Mainnet> {
    pub slot: Slot,
    #[serde(with = "quoted_u64")]
    pub proposer_index: u64,
    #[serde(with = "hex_root")]
    pub parent_root: B256,
    #[serde(with = "hex_root")]
    pub state_root: B256,
    pub body: BeaconBlockBody<P>,
}

impl<P: StatePreset> BeaconBlock<P> {
    /// The header whose root is this block's root (`body_root = hash_tree_root(body)`), as
    /// `process_block_header` stores it.
    pub fn header(&self) -> BeaconBlockHeader {
        BeaconBlockHeader {
            slot: self.slot,
            proposer_index: self.proposer_index,
            parent_root: self.parent_root,
            state_root: self.state_root,
            body_root: self.body.tree_hash_root(),
        }
    }
}

/// `SignedBeaconBlock` (electra; unchanged in Fulu): what `GET /eth/v2/beacon/blocks/{id}`
/// returns as `application/octet-stream`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Encode, Decode, TreeHash)]
#[serde(bound = "")]
#[allow(missing_docs, reason = "the consensus specs document these fields")]
pub struct SignedBeaconBlock<P: StatePreset = Mainnet> {
    pub message: BeaconBlock<P>,
    pub signature: SignatureBytes,
}

/// Serde for a `uint256` as the beacon API writes it (`types/primitive.yaml` `Uint256`): a
/// decimal string. Plain JSON numbers are accepted too.
mod decimal_u256 {
    use alloy_primitives::U256;
    use serde::{de, Deserializer, Serializer};
    use std::fmt;

    pub(super) fn serialize<S: Serializer>(v: &U256, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(v)
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<U256, D::Error> {
        struct V;
        impl de::Visitor<'_> for V {
            type Value = U256;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an unsigned 256-bit integer as a decimal string")
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<U256, E> {
                if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(E::custom(format!("not a decimal uint256: {s:?}")));
                }
                U256::from_str_radix(s, 10)
                    .map_err(|_| E::custom(format!("uint256 out of range: {s:?}")))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<U256, E> {
                Ok(U256::from(v))
            }
        }
        d.deserialize_any(V)
    }
}

/// Why SSZ bytes did not give a block this crate can prove from.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BlockError {
    /// A fork whose block layout this crate does not model.
    #[error("the {0:?} BeaconBlockBody layout is not modelled (Electra and Fulu are)")]
    UnsupportedFork(ForkName),
    /// The bytes are not a `SignedBeaconBlock` of the layout: what the decoder said.
    #[error("invalid SSZ SignedBeaconBlock: {0}")]
    Ssz(String),
}

impl<P: StatePreset> SignedBeaconBlock<P> {
    /// Decodes the SSZ of a `fork` block (the beacon API's `Eth-Consensus-Version` header).
    /// Electra and Fulu share the layout; other forks are refused rather than misread.
    pub fn from_ssz_bytes_of(fork: ForkName, bytes: &[u8]) -> Result<Self, BlockError> {
        match fork {
            ForkName::Electra | ForkName::Fulu => {
                Self::from_ssz_bytes(bytes).map_err(|e| BlockError::Ssz(format!("{e:?}")))
            }
            other => Err(BlockError::UnsupportedFork(other)),
        }
    }
}
