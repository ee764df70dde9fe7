//! From a beacon node (or bytes already fetched) to the proof bytes and the `timestamp` a vault
//! call takes.
//!
//! A proof is anchored on a beacon block root `R` (the block at slot `S`). The vault reads `R`
//! with `BEACON_ROOTS.get(timestamp)` (EIP-4788), which returns the *parent* beacon block root of
//! the execution block at `timestamp`; so the timestamp to pass is that of the first block
//! after `S` that exists (missed slots have no execution block): its
//! `body.execution_payload.timestamp`, and that block's `parent_root` must be `R`
//! ([`Eip4788Time`]). This is how the revm harness does it too
//! (`lsv_contracts::devnet::Devnet::prove`: the proof's timestamp is the next block's).
//!
//! Proofs work in either preset: [`prove_validator`] and [`prove_withdrawal`] prove on a
//! mainnet-preset chain, [`prove_validator_in`] and [`prove_withdrawal_in`] on a chain of any
//! preset, and the `…_by_preset` functions pick it from [`node_preset`] (a minimal-preset
//! devnet's). A validator proof's generalized indices do not depend on the preset; a withdrawal
//! proof climbs two trees whose depths do (`MAX_WITHDRAWALS_PER_PAYLOAD`,
//! `SLOTS_PER_HISTORICAL_ROOT`), which the verifier is configured with
//! ([`VerifierConfig::withdrawal_depths`]).
//!
//! Every proof is decoded back from its bytes and checked with `lsv-proofs`' reference verifier
//! (the contract's algorithm) against `R` before it is returned.

use crate::beacon::{BeaconClient, BeaconError, BlockId, HeaderInfo, StateId};
use alloy_primitives::B256;
use lsv_consensus::containers::BeaconBlockHeader;
use lsv_consensus::{ForkName, Mainnet, Minimal, Network, PresetName, Slot};
use lsv_proofs::block::BeaconBlock;
use lsv_proofs::gloas::{GloasAnchor, GloasStateProver, GloasValidatorProof};
use lsv_proofs::gloas_withdrawal::{PaymentChain, PaymentProof, ProvenPayment};
use lsv_proofs::{
    Anchor, AnyBeaconState, HistoricalPeriod, ProofParts, ProvenValidator, ProvenWithdrawal,
    StateError, StatePreset, StateProver, ValidatorProof, WithdrawalDepths, WithdrawalProof,
    WithdrawalProveError, WithdrawalProver, WithdrawalRoute,
};
use tree_hash::TreeHash;

/// How many slots after the anchor [`find_eip4788_time`] looks for its child block by default:
/// two epochs of missed slots.
pub const DEFAULT_CHILD_SEARCH_SLOTS: u64 = 64;

/// What C's proof verifier (and so the vault) is configured with on a network: its genesis and
/// the fork versions whose layout it knows (the proofs' `Anchor`), where
/// `historical_summaries` starts (`CAPELLA_FORK_EPOCH · SLOTS_PER_EPOCH`), and the depths of
/// its preset's `withdrawals` and `block_roots` (the `ProofVerifier`'s
/// `MAX_WITHDRAWALS_PER_PAYLOAD` and `SLOTS_PER_HISTORICAL_ROOT`). Every proof is checked against
/// it before it is returned. (Not the revm harness's `lsv_contracts::Chain`, which is an
/// execution chain.)
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifierConfig {
    /// The genesis and fork versions the verifier knows, which every proof is checked against.
    pub anchor: Anchor,
    /// The first slot of Capella: where `historical_summaries` starts.
    pub capella_slot: Slot,
    /// The network's preset depths a withdrawal proof is verified with.
    pub withdrawal_depths: WithdrawalDepths,
}

impl VerifierConfig {
    /// The Electra/Fulu verifier of `network` (as the vault is deployed on it), with its
    /// preset's withdrawal depths.
    pub fn of_network(network: &Network) -> Self {
        let capella_epoch = network
            .forks
            .get(&ForkName::Capella)
            .map_or(0, |(epoch, _)| epoch.as_u64());
        Self {
            anchor: Anchor::electra_fulu(network),
            capella_slot: Slot::new(capella_epoch.saturating_mul(network.slots_per_epoch)),
            withdrawal_depths: WithdrawalDepths::of_preset(network.preset),
        }
    }
}

/// Why a proof could not be built.
#[derive(Debug, thiserror::Error)]
pub enum ProveError {
    /// The beacon node did not give what was asked for.
    #[error(transparent)]
    Beacon(#[from] BeaconError),
    /// The beacon node is on another network than the verifier's.
    #[error("the beacon node's genesis (time {node_time}, validators root {node_root}) is not the network's (time {time}, validators root {root})")]
    GenesisMismatch {
        /// The node's genesis time.
        node_time: u64,
        /// The node's genesis validators root.
        node_root: B256,
        /// The verifier's genesis time.
        time: u64,
        /// The verifier's genesis validators root.
        root: B256,
    },
    /// The node says the anchor block is not canonical.
    #[error("the anchor block {root} (slot {slot}) is not on the node's canonical chain")]
    AnchorNotCanonical {
        /// The anchor's root.
        root: B256,
        /// The anchor's slot.
        slot: Slot,
    },
    /// No block after the anchor yet: its root reaches EIP-4788 only with the next block.
    #[error("no block after the anchor's slot {anchor_slot} yet (head is at slot {head_slot}): the anchor's root reaches EIP-4788 only with the next block; retry later or use an older anchor")]
    NoChildYet {
        /// The anchor's slot.
        anchor_slot: Slot,
        /// The node's head slot.
        head_slot: Slot,
    },
    /// Every slot searched after the anchor was missed.
    #[error("no block in the {searched} slots after the anchor's slot {anchor_slot}")]
    NoChildWithin {
        /// The anchor's slot.
        anchor_slot: Slot,
        /// How many slots after it were searched.
        searched: u64,
    },
    /// The first block after the anchor does not descend from it: the anchor is off the canonical
    /// chain.
    #[error("the first block after the anchor (slot {child_slot}) has parent root {parent_root}, not the anchor's root {anchor_root}: the anchor is not on the canonical chain")]
    NotTheChild {
        /// That block's slot.
        child_slot: Slot,
        /// Its parent root.
        parent_root: B256,
        /// The anchor's root.
        anchor_root: B256,
    },
    /// The anchor's state could not be decoded or proved from.
    #[error("the anchor state: {0}")]
    State(#[from] StateError),
    /// The state holding the withdrawal's period's `block_roots` could not be decoded.
    #[error("the state of slot {slot} for the withdrawal's period: {source}")]
    PeriodState {
        /// That state's slot.
        slot: Slot,
        /// What went wrong.
        source: StateError,
    },
    /// The validator proof could not be built.
    #[error("validator proof: {0}")]
    Validator(#[from] lsv_proofs::ProveError),
    /// The withdrawal proof could not be built.
    #[error("withdrawal proof: {0}")]
    Withdrawal(#[from] WithdrawalProveError),
    /// The block's payload has no withdrawal with that global index.
    #[error("block {block} (slot {slot}) has no withdrawal with index {index}{}", index_range(.indices))]
    NoSuchWithdrawalIndex {
        /// The global withdrawal index asked for.
        index: u64,
        /// The block's root.
        block: B256,
        /// The block's slot.
        slot: Slot,
        /// The first and last index the block's payload has.
        indices: Option<(u64, u64)>,
    },
    /// The withdrawal's block comes after the anchor: a proof only goes back from it.
    #[error("the withdrawal's block (slot {block_slot}) is after the anchor (slot {anchor_slot}): a proof goes back from the anchor only")]
    BlockAfterAnchor {
        /// The withdrawal's block's slot.
        block_slot: Slot,
        /// The anchor's slot.
        anchor_slot: Slot,
    },
    /// The chain's preset is not the verifier's: its withdrawal proofs have other depths than the
    /// verifier is configured with, and it would refuse them.
    #[error("the chain's preset has withdrawal depths {chain:?}, the verifier is configured with {verifier:?} (another network's preset?)")]
    PresetMismatch {
        /// The chain's (its blocks' and states' preset).
        chain: WithdrawalDepths,
        /// The verifier's ([`VerifierConfig::withdrawal_depths`]).
        verifier: WithdrawalDepths,
    },
    /// A withdrawal proof from a Gloas anchor through a block's payload: under ePBS a payment
    /// is proven through `payload_expected_withdrawals` ([`payment_proof`]), which the keeper
    /// does not yet route.
    #[error("the anchor at slot {anchor_slot} is a Gloas state: withdrawals are proven as payments (lsv prove withdrawal --paid-state), which the keeper does not yet route")]
    GloasWithdrawalNotRouted {
        /// The anchor's slot.
        anchor_slot: Slot,
    },
    /// A payment proof asked for against an anchor before Gloas, whose withdrawals are in its
    /// blocks' payloads (prove those with a withdrawal proof of the block).
    #[error("the anchor at slot {anchor_slot} is not a Gloas state: its withdrawals are in blocks (give --block)")]
    NotGloasAnchor {
        /// The anchor's slot.
        anchor_slot: Slot,
    },
    /// A payment asked for in a state before Gloas, whose withdrawals are in its block.
    #[error("the state at slot {slot} is a {fork:?} state: its withdrawals are in its block's payload (prove the block's)")]
    PreGloasState {
        /// The state's slot.
        slot: Slot,
        /// Its fork.
        fork: ForkName,
    },
    /// The state at `slot` lists no payment with that global index.
    #[error("the state at slot {slot} lists no payment with withdrawal index {index}")]
    PaymentNotListed {
        /// The state's slot.
        slot: Slot,
        /// The withdrawal index asked for.
        index: u64,
    },
    /// The proof built does not pass the reference verifier (a bug, never a node's answer).
    #[error("the built proof does not pass the reference verifier: {0}")]
    SelfCheck(String),
    /// The blocking task that decodes and hashes the state panicked or was cancelled.
    #[error("a background task failed: {0}")]
    Task(String),
}

fn index_range(r: &Option<(u64, u64)>) -> String {
    match r {
        Some((a, b)) => format!(" (it has {a} to {b})"),
        None => " (it has none)".to_owned(),
    }
}

/// The execution block whose parent beacon block root is the anchor: the vault reads the anchor
/// with `BEACON_ROOTS.get(timestamp)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Eip4788Time {
    /// The `timestamp` argument of the vault call.
    pub timestamp: u64,
    /// The beacon block carrying that execution block (the first block after the anchor).
    pub child_slot: Slot,
    /// That beacon block's root.
    pub child_root: B256,
}

/// Which withdrawal of a block's payload.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WithdrawalSelector {
    /// The global withdrawal index (`Withdrawal.index`).
    Index(u64),
    /// The position `j` in `execution_payload.withdrawals`.
    Position(usize),
}

/// A checked proof: its bytes (FORMAT.md), what it proves, and the anchor it was checked
/// against.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BuiltProof<P> {
    /// The anchor block's root, which the proof ends at.
    pub anchor_root: B256,
    /// The anchor block's slot.
    pub anchor_slot: Slot,
    /// The proof, encoded as FORMAT.md lays it out.
    pub bytes: Vec<u8>,
    /// What the reference verifier says the proof establishes.
    pub proven: P,
}

/// A proof with the timestamp to pass with it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AnchoredProof<P> {
    /// The proof.
    pub proof: BuiltProof<P>,
    /// The EIP-4788 timestamp that reads its anchor.
    pub time: Eip4788Time,
}

impl<P> AnchoredProof<P> {
    /// The `timestamp` argument of the vault call.
    pub fn timestamp(&self) -> u64 {
        self.time.timestamp
    }
}

/// The timestamp for `anchor_root` from the block after it, which must name it as its parent.
pub fn eip4788_time<P: StatePreset>(
    anchor_root: B256,
    child: &BeaconBlock<P>,
) -> Result<Eip4788Time, ProveError> {
    if child.parent_root != anchor_root {
        return Err(ProveError::NotTheChild {
            child_slot: child.slot,
            parent_root: child.parent_root,
            anchor_root,
        });
    }
    Ok(Eip4788Time {
        timestamp: child.body.execution_payload.timestamp,
        child_slot: child.slot,
        child_root: child.tree_hash_root(),
    })
}

/// The proof of validator `index` (and of the `parts` asked for) against the block of
/// `header`, whose post-state `prover` holds, checked with the reference verifier.
pub fn validator_proof<P: StatePreset>(
    verifier: &VerifierConfig,
    prover: &StateProver<P>,
    header: &BeaconBlockHeader,
    index: u64,
    parts: ProofParts,
) -> Result<BuiltProof<ProvenValidator>, ProveError> {
    let bytes = prover.validator_proof(header, index, parts)?.to_bytes();
    self_checked(header, bytes, |bytes, root| {
        ValidatorProof::from_bytes(bytes).and_then(|p| p.verify(root, index, &verifier.anchor))
    })
}

/// `bytes`, a proof against `header`'s root, with what the reference verifier (`verify`, given
/// the bytes and the root) says it proves; a refusal is a bug of ours
/// ([`ProveError::SelfCheck`]).
fn self_checked<P, E: std::fmt::Display>(
    header: &BeaconBlockHeader,
    bytes: Vec<u8>,
    verify: impl FnOnce(&[u8], B256) -> Result<P, E>,
) -> Result<BuiltProof<P>, ProveError> {
    let anchor_root = header.tree_hash_root();
    let proven = verify(&bytes, anchor_root).map_err(|e| ProveError::SelfCheck(e.to_string()))?;
    Ok(BuiltProof {
        anchor_root,
        anchor_slot: header.slot,
        bytes,
        proven,
    })
}

impl VerifierConfig {
    /// The chain's genesis, as the progressive-layout verifier (Gloas and later) holds it.
    pub fn gloas_anchor(&self) -> GloasAnchor {
        GloasAnchor {
            genesis_time: self.anchor.genesis_time,
            genesis_validators_root: self.anchor.genesis_validators_root,
        }
    }

    /// The chain's history, as the payment verifier (withdrawal format 2) holds it.
    pub fn payment_chain(&self) -> PaymentChain {
        PaymentChain {
            state_roots_depth: self.withdrawal_depths.block_roots(),
            capella_slot: self.capella_slot,
        }
    }
}

/// The format-2 proof of validator `index` (and of the `parts` asked for) against the block of
/// `header`, whose post-state (Gloas layout) `prover` holds, checked with the reference verifier.
pub fn gloas_validator_proof<P: StatePreset>(
    verifier: &VerifierConfig,
    prover: &GloasStateProver<P>,
    header: &BeaconBlockHeader,
    index: u64,
    parts: ProofParts,
) -> Result<BuiltProof<ProvenValidator>, ProveError> {
    let bytes = prover.validator_proof(header, index, parts)?.to_bytes();
    self_checked(header, bytes, |bytes, root| {
        GloasValidatorProof::from_bytes(bytes)
            .and_then(|p| p.verify(root, index, &verifier.gloas_anchor()))
    })
}

/// The proof that `paid.payload_expected_withdrawals[j]` was paid (withdrawal format 2), against
/// the block of `header`, whose post-state `anchor` holds, checked with the reference verifier:
/// route 3 (`paid`'s slot among the anchor's `state_roots`) without `period_state_roots`, route 4
/// (through `historical_summaries`) with them, the `state_roots` of `paid`'s period
/// ([`period_state_slot`]'s state).
pub fn payment_proof<P: StatePreset>(
    verifier: &VerifierConfig,
    anchor: &GloasStateProver<P>,
    header: &BeaconBlockHeader,
    paid: &GloasStateProver<P>,
    j: u8,
    period_state_roots: Option<&[B256]>,
) -> Result<BuiltProof<ProvenPayment>, ProveError> {
    let chain = verifier.payment_chain();
    let depth = chain.state_roots_depth;
    let proof = match period_state_roots {
        None => PaymentProof::build(anchor, header, paid, j, depth)?,
        Some(state_roots) => {
            PaymentProof::build_historical(anchor, header, paid, j, chain, state_roots)?
        }
    };
    self_checked(header, proof.to_bytes(), |bytes, root| {
        PaymentProof::from_bytes(bytes)
            .and_then(|p| p.verify(root, &verifier.gloas_anchor(), chain))
    })
}

/// The proof of a withdrawal of `block`'s payload against the anchor block of `anchor_header`
/// (whose post-state `prover` holds), by the route the slots dictate, on a mainnet-preset chain:
/// [`withdrawal_proof_in`] for `Mainnet`.
pub fn withdrawal_proof(
    verifier: &VerifierConfig,
    prover: &StateProver<Mainnet>,
    anchor_header: BeaconBlockHeader,
    block: &BeaconBlock<Mainnet>,
    which: WithdrawalSelector,
    period_block_roots: Option<&[B256]>,
) -> Result<BuiltProof<ProvenWithdrawal>, ProveError> {
    withdrawal_proof_in::<Mainnet>(
        verifier,
        prover,
        anchor_header,
        block,
        which,
        period_block_roots,
    )
}

/// The proof of a withdrawal of `block`'s payload against the anchor block of `anchor_header`
/// (whose post-state `prover` holds), on a chain of preset `P`, by the route the slots dictate
/// ([`WithdrawalRoute::for_slots`] with `P`'s `SLOTS_PER_HISTORICAL_ROOT`), checked with the
/// reference verifier at `verifier`'s depths (which must be `P`'s: [`ProveError::PresetMismatch`]
/// otherwise). `period_block_roots` is needed for the `historical_summaries` route only: the
/// `block_roots` of the state at the first slot of the period after the block's
/// ([`period_state_slot`]).
pub fn withdrawal_proof_in<P: StatePreset>(
    verifier: &VerifierConfig,
    prover: &StateProver<P>,
    anchor_header: BeaconBlockHeader,
    block: &BeaconBlock<P>,
    which: WithdrawalSelector,
    period_block_roots: Option<&[B256]>,
) -> Result<BuiltProof<ProvenWithdrawal>, ProveError> {
    let depths = WithdrawalDepths::of::<P>();
    if depths != verifier.withdrawal_depths {
        return Err(ProveError::PresetMismatch {
            chain: depths,
            verifier: verifier.withdrawal_depths,
        });
    }
    let position = withdrawal_position(block, which)?;
    let route = WithdrawalRoute::for_slots(
        block.slot,
        anchor_header.slot,
        depths.slots_per_historical_root(),
    )
    .ok_or(ProveError::BlockAfterAnchor {
        block_slot: block.slot,
        anchor_slot: anchor_header.slot,
    })?;
    let history = period_block_roots.map(|roots| HistoricalPeriod {
        capella_slot: verifier.capella_slot,
        block_roots: roots,
    });
    let withdrawal_prover = WithdrawalProver::new(prover, anchor_header)?;
    let bytes = withdrawal_prover
        .prove(block, position, route, history)?
        .to_bytes();
    let anchor_root = withdrawal_prover.anchor_root();
    let proven = WithdrawalProof::from_bytes(&bytes)
        .and_then(|p| {
            p.verify(
                anchor_root,
                &verifier.anchor,
                verifier.capella_slot,
                verifier.withdrawal_depths,
            )
        })
        .map_err(|e| ProveError::SelfCheck(e.to_string()))?;
    Ok(BuiltProof {
        anchor_root,
        anchor_slot: anchor_header.slot,
        bytes,
        proven,
    })
}

/// The position in `block`'s payload of the selected withdrawal.
pub fn withdrawal_position<P: StatePreset>(
    block: &BeaconBlock<P>,
    which: WithdrawalSelector,
) -> Result<usize, ProveError> {
    let withdrawals = &block.body.execution_payload.withdrawals;
    match which {
        WithdrawalSelector::Position(position) if position < withdrawals.len() => Ok(position),
        WithdrawalSelector::Position(position) => Err(WithdrawalProveError::NoSuchWithdrawal {
            position,
            length: withdrawals.len(),
        }
        .into()),
        WithdrawalSelector::Index(index) => withdrawals
            .iter()
            .position(|w| w.index == index)
            .ok_or_else(|| ProveError::NoSuchWithdrawalIndex {
                index,
                block: block.tree_hash_root(),
                slot: block.slot,
                indices: withdrawals
                    .first()
                    .zip(withdrawals.last())
                    .map(|(a, b)| (a.index, b.index)),
            }),
    }
}

/// The slot whose state holds, as its `block_roots`, exactly the vector that
/// `historical_summaries` summarizes for the period of `slot`, on a chain of
/// `slots_per_historical_root` (mainnet 8192, minimal 64; [`WithdrawalDepths`]): the first slot
/// of the next period. (`process_slot` at slot `t` writes `block_roots[t % N]` on the way to
/// `t + 1`, and the summary is taken in that same transition at the period's end, so the state
/// *at* the period's last slot still lacks that slot's entry.)
pub fn period_state_slot(slot: Slot, slots_per_historical_root: u64) -> Slot {
    let period = slot.as_u64() / slots_per_historical_root;
    Slot::new((period + 1) * slots_per_historical_root)
}

/// Decodes and hashes a state off the async runtime.
pub async fn state_prover(
    fork: ForkName,
    bytes: Vec<u8>,
) -> Result<StateProver<Mainnet>, ProveError> {
    state_prover_in::<Mainnet>(fork, bytes).await
}

/// [`state_prover`] in preset `P`.
pub async fn state_prover_in<P: StatePreset>(
    fork: ForkName,
    bytes: Vec<u8>,
) -> Result<StateProver<P>, ProveError> {
    tokio::task::spawn_blocking(move || StateProver::<P>::from_ssz_vec(fork, bytes))
        .await
        .map_err(|e| ProveError::Task(e.to_string()))?
        .map_err(ProveError::State)
}

/// The `block_roots` of an SSZ mainnet-preset state, decoded off the async runtime.
pub async fn state_block_roots(fork: ForkName, bytes: Vec<u8>) -> Result<Vec<B256>, StateError> {
    state_block_roots_in::<Mainnet>(fork, bytes).await
}

/// [`state_block_roots`] of a state of preset `P`.
pub async fn state_block_roots_in<P: StatePreset>(
    fork: ForkName,
    bytes: Vec<u8>,
) -> Result<Vec<B256>, StateError> {
    tokio::task::spawn_blocking(move || {
        AnyBeaconState::<P>::from_ssz_bytes(fork, &bytes).map(|s| s.block_roots().to_vec())
    })
    .await
    .unwrap_or_else(|e| Err(StateError::Ssz(format!("decoding task failed: {e}"))))
}

/// Checks the node is on `verifier`'s network (`GET /eth/v1/beacon/genesis`).
pub async fn check_genesis(
    client: &BeaconClient,
    verifier: &VerifierConfig,
) -> Result<(), ProveError> {
    let g = client.genesis().await?;
    if g.genesis_time != verifier.anchor.genesis_time
        || g.genesis_validators_root != verifier.anchor.genesis_validators_root
    {
        return Err(ProveError::GenesisMismatch {
            node_time: g.genesis_time,
            node_root: g.genesis_validators_root,
            time: verifier.anchor.genesis_time,
            root: verifier.anchor.genesis_validators_root,
        });
    }
    Ok(())
}

/// Finds the timestamp for the anchor block `anchor_root` at `anchor_slot`: walks the slots
/// after it (`GET /eth/v1/beacon/headers/{slot}`; a 404 is a missed slot) up to the head or
/// `max_slots`, whichever is first, takes the first block, checks its `parent_root` is the
/// anchor, and reads its payload's timestamp (`GET /eth/v2/beacon/blocks/{root}`).
pub async fn find_eip4788_time(
    client: &BeaconClient,
    anchor_root: B256,
    anchor_slot: Slot,
    max_slots: u64,
) -> Result<Eip4788Time, ProveError> {
    find_eip4788_time_in::<Mainnet>(client, anchor_root, anchor_slot, max_slots).await
}

/// [`find_eip4788_time`] on a chain of preset `P` (whose blocks it decodes).
pub async fn find_eip4788_time_in<P: StatePreset>(
    client: &BeaconClient,
    anchor_root: B256,
    anchor_slot: Slot,
    max_slots: u64,
) -> Result<Eip4788Time, ProveError> {
    let head = client.header(BlockId::Head).await?.header.slot;
    let last = anchor_slot
        .as_u64()
        .saturating_add(max_slots)
        .min(head.as_u64());
    for slot in anchor_slot.as_u64().saturating_add(1)..=last {
        let info = match client.header(BlockId::Slot(Slot::new(slot))).await {
            Ok(info) => info,
            Err(BeaconError::MissedSlot { .. }) => {
                tracing::debug!(slot, "missed slot after the anchor");
                continue;
            }
            Err(e) => return Err(e.into()),
        };
        if info.header.parent_root != anchor_root {
            return Err(ProveError::NotTheChild {
                child_slot: info.header.slot,
                parent_root: info.header.parent_root,
                anchor_root,
            });
        }
        let ssz = client.block_ssz(BlockId::Root(info.root)).await?;
        if ssz.fork >= ForkName::Gloas {
            return gloas_eip4788_time(client, &info).await;
        }
        let child = client.block_of::<P>(BlockId::Root(info.root)).await?;
        return eip4788_time(anchor_root, &child.block.message);
    }
    Err(if last >= head.as_u64() {
        ProveError::NoChildYet {
            anchor_slot,
            head_slot: head,
        }
    } else {
        ProveError::NoChildWithin {
            anchor_slot,
            searched: max_slots,
        }
    })
}

/// The anchor's header, required canonical, and its timestamp.
async fn anchor_of<P: StatePreset>(
    client: &BeaconClient,
    verifier: &VerifierConfig,
    anchor: BlockId,
) -> Result<(HeaderInfo, Eip4788Time), ProveError> {
    check_genesis(client, verifier).await?;
    let info = client.header(anchor).await?;
    if !info.canonical {
        return Err(ProveError::AnchorNotCanonical {
            root: info.root,
            slot: info.header.slot,
        });
    }
    let time = find_eip4788_time_in::<P>(
        client,
        info.root,
        info.header.slot,
        DEFAULT_CHILD_SEARCH_SLOTS,
    )
    .await?;
    tracing::info!(
        anchor_slot = info.header.slot.as_u64(),
        anchor_root = %info.root,
        child_slot = time.child_slot.as_u64(),
        timestamp = time.timestamp,
        "anchor"
    );
    Ok((info, time))
}

/// Under ePBS (Gloas) the anchor's child block carries no payload: the EIP-4788 root of the
/// anchor is stored by the execution block of the child's payload, whose timestamp is the
/// child slot's (`compute_timestamp_at_slot`, bellatrix beacon-chain.md: genesis time plus
/// `SECONDS_PER_SLOT` per slot). If that payload was withheld there is no such block and no
/// root: the vault's call then reverts with `BeaconRootUnavailable`, and the next round takes
/// a later anchor.
async fn gloas_eip4788_time(
    client: &BeaconClient,
    child: &HeaderInfo,
) -> Result<Eip4788Time, ProveError> {
    let genesis = client.genesis().await?.genesis_time;
    let spec = client.spec().await?;
    let seconds = spec
        .get("SECONDS_PER_SLOT")
        .and_then(|v| {
            v.as_str()
                .and_then(|s| s.parse::<u64>().ok())
                .or(v.as_u64())
        })
        .ok_or_else(|| BeaconError::Decode {
            endpoint: "/eth/v1/config/spec".to_owned(),
            what: "spec response",
            reason: "no SECONDS_PER_SLOT".to_owned(),
        })?;
    Ok(Eip4788Time {
        timestamp: genesis + child.header.slot.as_u64() * seconds,
        child_slot: child.header.slot,
        child_root: child.root,
    })
}

/// The hashed post-state of an anchor, in the layout of its fork.
#[derive(Clone, Debug)]
pub enum AnchorProver<P: StatePreset> {
    /// Electra or Fulu: format-1 proofs.
    ElectraFulu(StateProver<P>),
    /// Gloas (progressive): format-2 proofs (boxed: the decoded state's fixed part is large).
    Progressive(Box<GloasStateProver<P>>),
}

/// The anchor's post-state (`GET /eth/v2/debug/beacon/states/{state_root}`), hashed in the
/// layout its `Eth-Consensus-Version` names.
async fn anchor_state<P: StatePreset>(
    client: &BeaconClient,
    header: &BeaconBlockHeader,
) -> Result<AnchorProver<P>, ProveError> {
    tracing::info!(state_root = %header.state_root, "fetching the anchor state");
    let ssz = client.state_ssz(StateId::Root(header.state_root)).await?;
    tracing::info!(
        bytes = ssz.bytes.len(),
        fork = ssz.fork.as_upper(),
        "hashing the anchor state"
    );
    if ssz.fork >= ForkName::Gloas {
        let prover =
            tokio::task::spawn_blocking(move || GloasStateProver::<P>::from_ssz_vec(ssz.bytes))
                .await
                .map_err(|e| ProveError::Task(e.to_string()))?
                .map_err(ProveError::State)?;
        return Ok(AnchorProver::Progressive(Box::new(prover)));
    }
    Ok(AnchorProver::ElectraFulu(
        state_prover_in::<P>(ssz.fork, ssz.bytes).await?,
    ))
}

/// Proves validator `index` (with `parts`) against the block `anchor` (default choice for a
/// keeper: `finalized`, whose child exists and is within EIP-4788's ~27 h), fetching the
/// header, the post-state and the timestamp from `client`.
pub async fn prove_validator(
    client: &BeaconClient,
    verifier: &VerifierConfig,
    anchor: BlockId,
    index: u64,
    parts: ProofParts,
) -> Result<AnchoredProof<ProvenValidator>, ProveError> {
    prove_validator_in::<Mainnet>(client, verifier, anchor, index, parts).await
}

/// [`prove_validator`] on a chain of preset `P`.
pub async fn prove_validator_in<P: StatePreset>(
    client: &BeaconClient,
    verifier: &VerifierConfig,
    anchor: BlockId,
    index: u64,
    parts: ProofParts,
) -> Result<AnchoredProof<ProvenValidator>, ProveError> {
    let (time, mut proofs) =
        prove_validators_in::<P>(client, verifier, anchor, &[index], parts).await?;
    let proof = proofs
        .pop()
        .ok_or_else(|| ProveError::SelfCheck("no proof for the one index asked for".into()))??;
    Ok(AnchoredProof { proof, time })
}

/// Proves each of `indices` (with `parts`) against the block `anchor`, fetching and hashing its
/// state once: what a keeper checking many positions at one anchor needs. A validator the
/// state does not hold is left out (its `Err` is in its slot).
pub async fn prove_validators_in<P: StatePreset>(
    client: &BeaconClient,
    verifier: &VerifierConfig,
    anchor: BlockId,
    indices: &[u64],
    parts: ProofParts,
) -> Result<
    (
        Eip4788Time,
        Vec<Result<BuiltProof<ProvenValidator>, ProveError>>,
    ),
    ProveError,
> {
    let anchored = fetch_anchor::<P>(client, verifier, anchor).await?;
    let proofs = indices
        .iter()
        .map(|&index| anchored.validator_proof(verifier, index, parts))
        .collect();
    Ok((anchored.time, proofs))
}

/// A block to prove against, with all a round of proofs needs: its header (canonical), the
/// EIP-4788 timestamp that reads it, and its post-state, hashed once.
pub struct FetchedAnchor<P: StatePreset> {
    /// The block's header and root.
    pub info: HeaderInfo,
    /// The timestamp to pass with proofs anchored here.
    pub time: Eip4788Time,
    /// Its post-state.
    pub prover: AnchorProver<P>,
}

impl<P: StatePreset> FetchedAnchor<P> {
    /// The anchor's state in the Electra/Fulu layout, which withdrawal proofs through a block's
    /// payload need; a Gloas anchor is [`ProveError::GloasWithdrawalNotRouted`].
    pub fn electra_fulu(&self) -> Result<&StateProver<P>, ProveError> {
        match &self.prover {
            AnchorProver::ElectraFulu(p) => Ok(p),
            AnchorProver::Progressive(_) => Err(ProveError::GloasWithdrawalNotRouted {
                anchor_slot: self.info.header.slot,
            }),
        }
    }

    /// The proof of validator `index` (with `parts`) against this anchor, checked.
    pub fn validator_proof(
        &self,
        verifier: &VerifierConfig,
        index: u64,
        parts: ProofParts,
    ) -> Result<BuiltProof<ProvenValidator>, ProveError> {
        match &self.prover {
            AnchorProver::ElectraFulu(p) => {
                validator_proof(verifier, p, &self.info.header, index, parts)
            }
            AnchorProver::Progressive(p) => {
                gloas_validator_proof(verifier, p, &self.info.header, index, parts)
            }
        }
    }
}

/// Fetches the anchor `anchor` ([`FetchedAnchor`]): the header, the timestamp of its child
/// block, and the post-state (`GET /eth/v2/debug/beacon/states/{state_root}`), hashed.
pub async fn fetch_anchor<P: StatePreset>(
    client: &BeaconClient,
    verifier: &VerifierConfig,
    anchor: BlockId,
) -> Result<FetchedAnchor<P>, ProveError> {
    let (info, time) = anchor_of::<P>(client, verifier, anchor).await?;
    let prover = anchor_state::<P>(client, &info.header).await?;
    Ok(FetchedAnchor { info, time, prover })
}

/// The `block_roots` the `historical_summaries` route needs for a withdrawal in the block at
/// `block_slot`: those of the state at [`period_state_slot`] (a period being
/// `slots_per_period` slots), which only a node keeping historical states serves.
pub async fn period_block_roots<P: StatePreset>(
    client: &BeaconClient,
    block_slot: Slot,
    slots_per_period: u64,
) -> Result<Vec<B256>, ProveError> {
    let slot = period_state_slot(block_slot, slots_per_period);
    tracing::info!(
        slot = slot.as_u64(),
        "fetching the state holding the period's block_roots"
    );
    let ssz = client.state_ssz(StateId::Slot(slot)).await?;
    state_block_roots_in::<P>(ssz.fork, ssz.bytes)
        .await
        .map_err(|source| ProveError::PeriodState { slot, source })
}

/// [`prove_validators_in`] on a chain of `preset` ([`node_preset`]).
pub async fn prove_validators_by_preset(
    client: &BeaconClient,
    verifier: &VerifierConfig,
    preset: PresetName,
    anchor: BlockId,
    indices: &[u64],
    parts: ProofParts,
) -> Result<
    (
        Eip4788Time,
        Vec<Result<BuiltProof<ProvenValidator>, ProveError>>,
    ),
    ProveError,
> {
    match preset {
        PresetName::Mainnet => {
            prove_validators_in::<Mainnet>(client, verifier, anchor, indices, parts).await
        }
        PresetName::Minimal => {
            prove_validators_in::<Minimal>(client, verifier, anchor, indices, parts).await
        }
    }
}

/// [`prove_validator`] on a chain of `preset` ([`node_preset`]).
pub async fn prove_validator_by_preset(
    client: &BeaconClient,
    verifier: &VerifierConfig,
    preset: PresetName,
    anchor: BlockId,
    index: u64,
    parts: ProofParts,
) -> Result<AnchoredProof<ProvenValidator>, ProveError> {
    match preset {
        PresetName::Mainnet => {
            prove_validator_in::<Mainnet>(client, verifier, anchor, index, parts).await
        }
        PresetName::Minimal => {
            prove_validator_in::<Minimal>(client, verifier, anchor, index, parts).await
        }
    }
}

/// The preset of the node's chain: `PRESET_BASE` of its `GET /eth/v1/config/spec`. A node that
/// does not serve that endpoint (a 404) is taken to be on mainnet's preset, as every public
/// network is.
pub async fn node_preset(client: &BeaconClient) -> Result<PresetName, ProveError> {
    match client.preset().await {
        Ok(preset) => Ok(preset),
        Err(BeaconError::NotFound { .. }) => Ok(PresetName::Mainnet),
        Err(e) => Err(e.into()),
    }
}

/// Proves a withdrawal of the block `block`'s payload against the block `anchor` on a
/// mainnet-preset chain: [`prove_withdrawal_in`] for `Mainnet`.
pub async fn prove_withdrawal(
    client: &BeaconClient,
    verifier: &VerifierConfig,
    anchor: BlockId,
    block: BlockId,
    which: WithdrawalSelector,
) -> Result<AnchoredProof<ProvenWithdrawal>, ProveError> {
    prove_withdrawal_in::<Mainnet>(client, verifier, anchor, block, which).await
}

/// [`prove_withdrawal`] on a chain of `preset` ([`node_preset`]).
pub async fn prove_withdrawal_by_preset(
    client: &BeaconClient,
    verifier: &VerifierConfig,
    preset: PresetName,
    anchor: BlockId,
    block: BlockId,
    which: WithdrawalSelector,
) -> Result<AnchoredProof<ProvenWithdrawal>, ProveError> {
    match preset {
        PresetName::Mainnet => {
            prove_withdrawal_in::<Mainnet>(client, verifier, anchor, block, which).await
        }
        PresetName::Minimal => {
            prove_withdrawal_in::<Minimal>(client, verifier, anchor, block, which).await
        }
    }
}

/// Proves, after Gloas, that `payload_expected_withdrawals[j]` of the state at slot `paid_slot`
/// was paid (withdrawal format 2), against the block `anchor`, fetching the states from `client`
/// ([`listed_payment_proof`]).
pub async fn prove_payment_in<P: StatePreset>(
    client: &BeaconClient,
    verifier: &VerifierConfig,
    anchor: BlockId,
    paid_slot: Slot,
    j: u8,
) -> Result<AnchoredProof<ProvenPayment>, ProveError> {
    let fetched = fetch_anchor::<P>(client, verifier, anchor).await?;
    let AnchorProver::Progressive(anchor_prover) = &fetched.prover else {
        return Err(ProveError::NotGloasAnchor {
            anchor_slot: fetched.info.header.slot,
        });
    };
    let proof = listed_payment_proof(
        client,
        verifier,
        anchor_prover,
        &fetched.info.header,
        paid_slot,
        PaymentSelector::Position(j),
    )
    .await?;
    Ok(AnchoredProof {
        proof,
        time: fetched.time,
    })
}

/// Which entry of a state's `payload_expected_withdrawals`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PaymentSelector {
    /// The entry at this position.
    Position(u8),
    /// The entry with this global withdrawal index.
    Index(u64),
}

/// The proof that a withdrawal listed by the state at `paid_slot` was paid, against the anchor
/// of `header` whose post-state `anchor` holds, fetching the listing state from `client`: route 3
/// when the anchor's `state_roots` still hold that state (the `SLOTS_PER_HISTORICAL_ROOT` slots
/// before it), route 4 through `historical_summaries` before that, which also needs the state of
/// [`period_state_slot`] (only a node keeping historical states serves it).
pub async fn listed_payment_proof<P: StatePreset>(
    client: &BeaconClient,
    verifier: &VerifierConfig,
    anchor: &GloasStateProver<P>,
    header: &BeaconBlockHeader,
    paid_slot: Slot,
    which: PaymentSelector,
) -> Result<BuiltProof<ProvenPayment>, ProveError> {
    tracing::info!(
        slot = paid_slot.as_u64(),
        "fetching the state that lists the withdrawal"
    );
    let paid = fetch_gloas_state::<P>(client, paid_slot).await?;
    let j = match which {
        PaymentSelector::Position(j) => j,
        PaymentSelector::Index(index) => paid
            .state()
            .payload_expected_withdrawals
            .0
            .iter()
            .position(|w| w.index == index)
            .and_then(|j| u8::try_from(j).ok())
            .ok_or(ProveError::PaymentNotListed {
                slot: paid_slot,
                index,
            })?,
    };
    let n = verifier.payment_chain().period();
    let (a, b) = (paid_slot.as_u64(), header.slot.as_u64());
    let period_roots = if a < b && b - a <= n {
        None
    } else {
        let slot = period_state_slot(paid_slot, n);
        tracing::info!(
            slot = slot.as_u64(),
            "fetching the state holding the period's state_roots"
        );
        Some(
            fetch_gloas_state::<P>(client, slot)
                .await?
                .state()
                .state_roots
                .to_vec(),
        )
    };
    payment_proof(verifier, anchor, header, &paid, j, period_roots.as_deref())
}

/// After Gloas, where validator `index`'s sweep left it: the payment to `to_address` listed in
/// the state of the first slot in `from..=to` at which its balance is 0, found by bisecting
/// `GET /eth/v1/beacon/states/{slot}/validators/{index}` (a few small queries, not a state per
/// slot). Under ePBS `process_withdrawals` debits the balance in the block that lists the
/// withdrawal, and an exited validator's balance only falls, so the first slot at 0 is the
/// listing one. The payment and that slot; `None` if the balance at `to` is not 0, or that
/// state lists no such payment (a state before Gloas, or a withdrawal to another address).
pub async fn find_sweep_payment<P: StatePreset>(
    client: &BeaconClient,
    index: u64,
    to_address: alloy_primitives::Address,
    from: Slot,
    to: Slot,
) -> Result<Option<(lsv_proofs::block::Withdrawal, Slot)>, ProveError> {
    let id = index.to_string();
    let balance = |slot: u64| {
        let id = id.clone();
        async move {
            let entry = client
                .validator(StateId::Slot(Slot::new(slot)), &id)
                .await?;
            Ok::<_, ProveError>(entry.map(|e| e.balance))
        }
    };
    let (mut lo, mut hi) = (from.as_u64(), to.as_u64());
    if lo > hi || balance(hi).await? != Some(0) {
        return Ok(None);
    }
    // Invariant: the balance at `hi` is 0; every slot before `lo` had a balance.
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        if balance(mid).await? == Some(0) {
            hi = mid;
        } else {
            lo = mid + 1;
        }
    }
    let listing = match fetch_gloas_state::<P>(client, Slot::new(hi)).await {
        Ok(state) => state,
        Err(ProveError::PreGloasState { .. }) => return Ok(None),
        Err(e) => return Err(e),
    };
    Ok(listing
        .state()
        .payload_expected_withdrawals
        .0
        .iter()
        .find(|w| w.validator_index == index && w.address == to_address)
        .map(|w| {
            let withdrawal = lsv_proofs::block::Withdrawal {
                index: w.index,
                validator_index: w.validator_index,
                address: w.address,
                amount: lsv_consensus::Gwei::new(w.amount),
            };
            (withdrawal, Slot::new(hi))
        }))
}

/// The state at `slot`, which must be in the progressive layout (Gloas or later, by the node's
/// `Eth-Consensus-Version`): [`ProveError::PreGloasState`] otherwise.
async fn fetch_gloas_state<P: StatePreset>(
    client: &BeaconClient,
    slot: Slot,
) -> Result<GloasStateProver<P>, ProveError> {
    let ssz = client.state_ssz(StateId::Slot(slot)).await?;
    if ssz.fork < ForkName::Gloas {
        return Err(ProveError::PreGloasState {
            slot,
            fork: ssz.fork,
        });
    }
    tokio::task::spawn_blocking(move || GloasStateProver::<P>::from_ssz_vec(ssz.bytes))
        .await
        .map_err(|e| ProveError::Task(e.to_string()))?
        .map_err(ProveError::State)
}

/// Proves a withdrawal of the block `block`'s payload against the block `anchor` on a chain of
/// preset `P`, by the route the slots dictate (the anchor itself, `block_roots` for the
/// `SLOTS_PER_HISTORICAL_ROOT` slots before it, `historical_summaries` before that; the last
/// needs the state of [`period_state_slot`], which only a node keeping historical states
/// serves).
pub async fn prove_withdrawal_in<P: StatePreset>(
    client: &BeaconClient,
    verifier: &VerifierConfig,
    anchor: BlockId,
    block: BlockId,
    which: WithdrawalSelector,
) -> Result<AnchoredProof<ProvenWithdrawal>, ProveError> {
    let depths = WithdrawalDepths::of::<P>();
    if depths != verifier.withdrawal_depths {
        return Err(ProveError::PresetMismatch {
            chain: depths,
            verifier: verifier.withdrawal_depths,
        });
    }
    let (info, time) = anchor_of::<P>(client, verifier, anchor).await?;
    let fetched = client.block_of::<P>(block).await?;
    let block = fetched.block.message;
    // Refuse early what cannot be proven, before fetching any state.
    withdrawal_position(&block, which)?;
    let slots_per_period = depths.slots_per_historical_root();
    let route = WithdrawalRoute::for_slots(block.slot, info.header.slot, slots_per_period).ok_or(
        ProveError::BlockAfterAnchor {
            block_slot: block.slot,
            anchor_slot: info.header.slot,
        },
    )?;
    tracing::info!(
        slot = block.slot.as_u64(),
        root = %fetched.root,
        ?route,
        "withdrawal block"
    );
    let period = match route {
        WithdrawalRoute::HistoricalSummaries => {
            Some(period_block_roots::<P>(client, block.slot, slots_per_period).await?)
        }
        WithdrawalRoute::Direct | WithdrawalRoute::BlockRoots => None,
    };
    let prover = match anchor_state::<P>(client, &info.header).await? {
        AnchorProver::ElectraFulu(p) => p,
        AnchorProver::Progressive(_) => {
            return Err(ProveError::GloasWithdrawalNotRouted {
                anchor_slot: info.header.slot,
            })
        }
    };
    let proof = withdrawal_proof_in::<P>(
        verifier,
        &prover,
        info.header,
        &block,
        which,
        period.as_deref(),
    )?;
    Ok(AnchoredProof { proof, time })
}
