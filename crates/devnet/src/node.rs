//! The devnet's beacon node and its validators, slot by slot: the proposer of each slot builds,
//! signs and imports a block; every committee attests, aggregates and publishes; the sync
//! committee signs the head and aggregates into the next block's `SyncAggregate` — the honest
//! validator guide (`specs/{phase0,altair,electra}/validator.md`), with every signature made by
//! the validator's [`Signer`]. Every signature is verified once: selection proofs and
//! aggregators' signatures when published (gossip validation), attestations and sync messages
//! as the aggregates a block carries, at import, with the block's own; checks are batched
//! ([`crate::spec::bls::verify_batch`]). A remote signer's every answer is also verified on its
//! own, in one batch at the end of its slot ([`Signer::check_answers`]), so that a wrong one is
//! named.
//!
//! There is one chain and one proposer per slot, so fork choice is the chain itself: the head
//! is the last block imported.

use crate::execution::{ExecutionError, ExecutionLayer, PayloadAttributes};
use crate::genesis::empty_body;
use crate::signer::{aggregate_signatures, Message, SignError, Signer};
use crate::spec::bls::{self, G2_POINT_AT_INFINITY};
use crate::spec::{self, BeaconState, Spec, SpecPreset, TransitionError};
use crate::store::{Store, StoredBlock};
use alloy_primitives::{Address, B256};
use lsv_consensus::containers::altair::{
    ContributionAndProof, SyncAggregate, SyncAggregatorSelectionData, SyncCommitteeContribution,
};
use lsv_consensus::containers::electra::{AggregateAndProof, Attestation, IndexedAttestation};
use lsv_consensus::containers::{AttestationData, Checkpoint, SignedVoluntaryExit};
use lsv_consensus::network::{compute_signing_root, domain};
use lsv_consensus::{Epoch, PublicKeyBytes, SignatureBytes, Slot};
use lsv_proofs::block::{AttesterSlashing, BeaconBlock, SignedBeaconBlock};
use parking_lot::RwLock;
use rayon::prelude::*;
use sha2::{Digest, Sha256};
use ssz_types::{BitList, BitVector, VariableList};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::marker::PhantomData;
use std::sync::Arc;
use tree_hash::TreeHash;

/// `MAX_VOLUNTARY_EXITS` (phase0 preset, both presets).
pub(crate) const MAX_VOLUNTARY_EXITS: usize = 16;
/// `TARGET_AGGREGATORS_PER_COMMITTEE` (phase0 validator.md).
pub(crate) const TARGET_AGGREGATORS_PER_COMMITTEE: u64 = 16;
/// `SYNC_COMMITTEE_SUBNET_COUNT`, `TARGET_AGGREGATORS_PER_SYNC_SUBCOMMITTEE` (altair).
pub(crate) const SYNC_COMMITTEE_SUBNET_COUNT: usize = 4;
pub(crate) const TARGET_AGGREGATORS_PER_SYNC_SUBCOMMITTEE: u64 = 16;

/// Why a slot could not be run.
#[derive(Debug, thiserror::Error)]
pub enum NodeError {
    /// The state transition failed.
    #[error(transparent)]
    Transition(#[from] TransitionError),
    /// The execution layer failed.
    #[error(transparent)]
    Execution(#[from] crate::execution::ExecutionError),
    /// A signer failed otherwise than by refusing.
    #[error("a signer failed: {0}")]
    Signer(SignError),
    /// A message the node made failed its own gossip check: which.
    #[error("gossip check failed: {0}")]
    Gossip(&'static str),
}

/// What happened in one slot, for the caller's log and tests.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SlotReport {
    /// The slot.
    pub slot: u64,
    /// The block's root, if the proposer proposed.
    pub block_root: Option<B256>,
    /// The proposer's index.
    pub proposer: u64,
    /// Attestations (validators) that made it into an aggregate.
    pub attesters: usize,
    /// Sync committee positions that signed.
    pub sync_participants: usize,
    /// Duties a signer refused (P's slashing protection), by validator.
    pub refused: Vec<(u64, String)>,
    /// Duties missed ([`SignError::Missed`]: the validator's operator signer down, or no signer
    /// holding its key), by validator, with why.
    pub missed: Vec<(u64, String)>,
}

/// Duties a validator's signer did not sign, for the slot's report: refused (P's slashing
/// protection or policy) or missed (its signer down). Any other signing error fails the slot.
#[derive(Debug, Default)]
struct Skipped {
    refused: Vec<(u64, String)>,
    missed: Vec<(u64, String)>,
}

impl Skipped {
    /// Files validator `v`'s signing error `e` as refused or missed, or returns it as the
    /// slot's failure.
    fn file(&mut self, v: u64, e: SignError) -> Result<(), NodeError> {
        match e {
            SignError::Refused(why) => self.refused.push((v, why)),
            SignError::Missed(why) => self.missed.push((v, why)),
            e => return Err(NodeError::Signer(e)),
        }
        Ok(())
    }

    /// Adds `other`'s.
    fn extend(&mut self, other: Skipped) {
        self.refused.extend(other.refused);
        self.missed.extend(other.missed);
    }
}

/// An aggregate waiting for inclusion: one committee's attestation.
#[derive(Clone, Debug)]
struct PooledAggregate<P: SpecPreset> {
    committee_index: u64,
    attestation: Attestation<P>,
}

/// The devnet's beacon node with its validators.
pub struct Node<P: SpecPreset, E: ExecutionLayer<P>, S: Signer<P>> {
    /// The configuration the chain runs with.
    pub spec: Spec<P>,
    /// The post-state of the head block.
    head: BeaconState<P>,
    head_root: B256,
    /// What the node has seen, shared with its readers.
    store: Arc<RwLock<Store<P>>>,
    execution: E,
    signer: S,
    /// Aggregates by attestation data root, waiting for a block.
    pool: BTreeMap<(u64, B256), Vec<PooledAggregate<P>>>,
    /// The sync aggregate for the next block, over the root of the slot it was made in.
    sync_aggregate: Option<(u64, B256, SyncAggregate<P>)>,
    /// Attester slashings waiting for a block.
    attester_slashings: Vec<AttesterSlashing<P>>,
    /// Validators that do nothing (switched off).
    pub offline: BTreeSet<u64>,
    /// Validators that sign a second, conflicting attestation at their next duty.
    pub double_voters: BTreeSet<u64>,
    /// Where block rewards go.
    pub fee_recipient: Address,
    /// Whether to prepare each next slot while the validators of the current one work (see
    /// [`Prepared`]): a run goes about a tenth faster, but the execution layer then holds the
    /// next slot's block (mined at that slot's timestamp) before the beacon chain does, so a
    /// reader of its `latest` block is one slot ahead of the beacon head, and a transaction sent
    /// between two slots lands a block later. Off by default; `lsv devnet` turns it on to
    /// replay its history and `lsv bench devnet` to measure.
    pub prepare_next: bool,
    /// The next slot, prepared while this one's validators worked.
    prepared: Option<Prepared<P>>,
}

/// The next slot as prepared in advance: its pre-state (`process_slots` done) and, if its
/// proposer was online, the payload its execution layer built for it. A consensus client does
/// the same: it asks its execution client to start building (`engine_forkchoiceUpdated` with
/// payload attributes) before the slot, so a transaction sent after that lands a block later.
/// Used only if the head and the attributes are still what they were.
struct Prepared<P: SpecPreset> {
    slot: u64,
    head_root: B256,
    state: BeaconState<P>,
    payload: Option<(PayloadAttributes, Result<Payload<P>, ExecutionError>)>,
}

/// A payload and the execution requests it produced.
type Payload<P> = (
    lsv_proofs::block::ExecutionPayload<P>,
    lsv_proofs::block::ExecutionRequests<P>,
);

impl<P: SpecPreset, E: ExecutionLayer<P>, S: Signer<P>> Node<P, E, S> {
    /// A node on `genesis`, its execution layer and its validators' signer.
    pub fn new(spec: Spec<P>, genesis: BeaconState<P>, execution: E, signer: S) -> Self {
        let mut header = genesis.latest_block_header;
        header.state_root = spec::state_root(&genesis);
        let head_root = header.tree_hash_root();
        let store = Arc::new(RwLock::new(Store::new(spec.clone(), genesis.clone())));
        Self {
            spec,
            head: genesis,
            head_root,
            store,
            execution,
            signer,
            pool: BTreeMap::new(),
            sync_aggregate: None,
            attester_slashings: Vec::new(),
            offline: BTreeSet::new(),
            double_voters: BTreeSet::new(),
            fee_recipient: Address::repeat_byte(0xfe),
            prepare_next: false,
            prepared: None,
        }
    }

    /// The head block's post-state.
    pub fn head_state(&self) -> &BeaconState<P> {
        &self.head
    }

    /// The head block's root.
    pub fn head_root(&self) -> B256 {
        self.head_root
    }

    /// The block imported at `slot`, if any.
    pub fn block_at(&self, slot: u64) -> Option<StoredBlock<P>> {
        self.store.read().block_at(slot).cloned()
    }

    /// The node's store, for readers (the beacon API).
    pub fn store(&self) -> Arc<RwLock<Store<P>>> {
        self.store.clone()
    }

    /// The execution layer, for what the devnet feeds it (deposits into the stand-in). What is
    /// fed now goes into the next block: the payload prepared for it is dropped.
    pub fn execution_mut(&mut self) -> &mut E {
        self.prepared = None;
        &mut self.execution
    }

    /// The validators' signer.
    pub fn signer(&self) -> &S {
        &self.signer
    }

    /// Runs slot `slot` (after the head's): the proposal, then attestations and sync messages.
    pub fn run_slot(&mut self, slot: u64) -> Result<SlotReport, NodeError> {
        let mut report = SlotReport {
            slot,
            ..SlotReport::default()
        };
        let (mut state, prepared_payload) = match self.prepared.take() {
            Some(p) if p.slot == slot && p.head_root == self.head_root => (p.state, p.payload),
            _ => {
                let mut state = self.head.clone();
                self.spec.process_slots(&mut state, slot)?;
                (state, None)
            }
        };
        let proposer = Spec::<P>::get_beacon_proposer_index(&state)?;
        report.proposer = proposer;
        // A slashed validator may still be drawn, but its block would be invalid
        // (`process_block_header`): its slot stays empty.
        let mut imported = None;
        if !self.offline.contains(&proposer) && !state.validators[proposer as usize].slashed {
            match self.propose(&mut state, proposer, prepared_payload) {
                Ok((root, block)) => {
                    report.block_root = Some(root);
                    self.head_root = root;
                    self.head = state.clone();
                    imported = Some((root, block));
                }
                Err(NodeError::Signer(SignError::Refused(why))) => {
                    report.refused.push((proposer, why))
                }
                Err(NodeError::Signer(SignError::Missed(why))) => {
                    report.missed.push((proposer, why))
                }
                Err(e) => return Err(e),
            }
        }
        // Attesters and the sync committee see the head advanced to the slot; they work side
        // by side, as the machines of a network would, while the next slot is prepared.
        let duties = Duties {
            signer: &self.signer,
            offline: &self.offline,
            double_voters: &self.double_voters,
            head_root: self.head_root,
            preset: PhantomData,
        };
        let (spec, head, head_root) = (&self.spec, &self.head, self.head_root);
        let (offline, signer, fee_recipient, execution) = (
            &self.offline,
            &self.signer,
            self.fee_recipient,
            &mut self.execution,
        );
        let prepare_next = self.prepare_next;
        let (attested, synced, prepared) = std::thread::scope(|scope| {
            let preparing = prepare_next.then(|| {
                scope.spawn(move || {
                    prepare(
                        spec,
                        head,
                        head_root,
                        |v, key| !offline.contains(&v) && signer.reachable(v, key),
                        fee_recipient,
                        execution,
                        slot + 1,
                    )
                })
            });
            let (attested, synced) = rayon::join(
                || duties.attest(&state, slot),
                || duties.sync_committee(&state, slot),
            );
            (attested, synced, preparing.map(|p| p.join()))
        });
        // A next slot that could not be prepared is made when it runs, and fails there.
        self.prepared = prepared.and_then(Result::ok).and_then(Result::ok);
        let (attested, synced) = (attested?, synced?);
        report.attesters = attested.attesters;
        let mut skipped = attested.skipped;
        for v in attested.double_voted {
            self.double_voters.remove(&v);
        }
        self.attester_slashings.extend(attested.slashings);
        if !attested.aggregates.is_empty() {
            self.pool
                .entry(attested.pool_key)
                .or_default()
                .extend(attested.aggregates);
        }
        report.sync_participants = synced.participants;
        skipped.extend(synced.skipped);
        report.refused.extend(skipped.refused);
        report.missed.extend(skipped.missed);
        if let Some(aggregate) = synced.aggregate {
            self.sync_aggregate = Some(aggregate);
        }
        // P's answers of the slot, in one batch.
        self.signer.check_answers().map_err(NodeError::Signer)?;
        self.store.write().record_slot(slot, imported, &state);
        Ok(report)
    }

    /// The validators' duties on the current head.
    fn duties(&self) -> Duties<'_, P, S> {
        Duties {
            signer: &self.signer,
            offline: &self.offline,
            double_voters: &self.double_voters,
            head_root: self.head_root,
            preset: PhantomData,
        }
    }

    /// Builds, signs and imports the block of `state.slot`; `state` becomes its post-state.
    fn propose(
        &mut self,
        state: &mut BeaconState<P>,
        proposer: u64,
        prepared: Option<(PayloadAttributes, Result<Payload<P>, ExecutionError>)>,
    ) -> Result<(B256, SignedBeaconBlock<P>), NodeError> {
        let slot = state.slot.as_u64();
        let epoch = Spec::<P>::epoch_at(slot);
        let mut body = empty_body::<P>();
        let randao_root = compute_signing_root(
            epoch.tree_hash_root(),
            Spec::<P>::get_domain(state, domain::RANDAO, Some(epoch)),
        );
        body.randao_reveal = self
            .duties()
            .sign(state, proposer, randao_root, Message::Randao { epoch })
            .map_err(NodeError::Signer)?;
        body.eth1_data = state.eth1_data;
        body.graffiti = B256::right_padding_from(b"lsv devnet");
        body.attestations = VariableList::new(self.attestations_for(state)).expect("at most 8");
        // One a block (`MAX_ATTESTER_SLASHINGS_ELECTRA`); the rest wait for the next blocks.
        // (Draining the whole pool and keeping one lost the second of two double votes made in
        // one slot.)
        let included = self.attester_slashings.len().min(1);
        let slashings: Vec<_> = self.attester_slashings.drain(..included).collect();
        body.attester_slashings = VariableList::new(slashings).expect("at most 1");
        let pooled = self.store.write().take_voluntary_exits(MAX_VOLUNTARY_EXITS);
        body.voluntary_exits =
            VariableList::new(self.includable_exits(state, pooled)).expect("at most 16");
        body.sync_aggregate = match self.sync_aggregate.take() {
            Some((s, root, aggregate))
                if s + 1 == slot
                    && Some(&root)
                        == state
                            .block_roots
                            .get((s % P::slots_per_historical_root()) as usize) =>
            {
                aggregate
            }
            _ => SyncAggregate {
                sync_committee_bits: BitVector::default(),
                sync_committee_signature: SignatureBytes(G2_POINT_AT_INFINITY),
            },
        };
        let attributes = payload_attributes(&self.spec, state, self.fee_recipient)?;
        let (payload, requests) = match prepared {
            Some((prepared_for, built)) if prepared_for == attributes => built?,
            _ => crate::cost::time(crate::cost::Part::Execution, || {
                self.execution
                    .build_payload(&state.latest_execution_payload_header, &attributes)
            })?,
        };
        body.execution_payload = payload;
        body.execution_requests = requests;
        let mut block = BeaconBlock {
            slot: Slot::new(slot),
            proposer_index: proposer,
            parent_root: attributes.parent_beacon_block_root,
            state_root: B256::ZERO,
            body,
        };
        // The post-state and its root, the block processed once: the signature checks it
        // needs are collected, and verified with the proposer's once it has signed.
        let mut post = state.clone();
        let mut sets = self
            .spec
            .process_block_deferring_signatures(&mut post, &block, true)?;
        block.state_root = spec::state_root(&post);
        let block_root = compute_signing_root(
            block.tree_hash_root(),
            Spec::<P>::get_domain(state, domain::BEACON_PROPOSER, Some(epoch)),
        );
        let signature = self
            .duties()
            .sign(state, proposer, block_root, Message::Block(&block))
            .map_err(NodeError::Signer)?;
        let signed = SignedBeaconBlock {
            message: block,
            signature,
        };
        // Import: the proposer's signature and every signature in the block, in one batch
        // (`Spec::apply_block`, the block already processed into `post`, whose root it carries).
        sets.push(
            self.spec
                .block_signature_set(state, &signed)
                .ok_or(TransitionError::Invalid("verify_block_signature"))?,
        );
        if !bls::verify_batch(&sets) {
            return Err(TransitionError::Invalid("the block's signatures").into());
        }
        *state = post;
        Ok((signed.message.tree_hash_root(), signed))
    }

    /// The pooled exits that still apply on `state`, each on top of the ones before it: an exit
    /// checked against an earlier head may have gone stale (its validator slashed or exited
    /// since), and a block carrying it would be invalid. Stale ones are dropped.
    fn includable_exits(
        &self,
        state: &BeaconState<P>,
        pooled: Vec<SignedVoluntaryExit>,
    ) -> Vec<SignedVoluntaryExit> {
        if pooled.is_empty() {
            return pooled;
        }
        let mut after = state.clone();
        pooled
            .into_iter()
            .filter(|exit| {
                let mut next = after.clone();
                let ok = self.spec.process_voluntary_exit(&mut next, exit).is_ok();
                if ok {
                    after = next;
                }
                ok
            })
            .collect()
    }

    /// The pool's aggregates a block at `state.slot` may include: per attestation data, the
    /// committees' aggregates merged into one attestation (`compute_on_chain_aggregate`,
    /// electra validator.md), if their source is the justified checkpoint the block checks;
    /// at most `MAX_ATTESTATIONS_ELECTRA` (8), newest first. Included ones leave the pool.
    fn attestations_for(&mut self, state: &BeaconState<P>) -> Vec<Attestation<P>> {
        let slot = state.slot.as_u64();
        let current = Spec::<P>::epoch_at(slot);
        let previous = current.saturating_sub(1);
        self.pool
            .retain(|(s, _), _| Spec::<P>::epoch_at(*s) + 1 >= current);
        let mut out = Vec::new();
        let keys: Vec<_> = self.pool.keys().rev().copied().collect();
        for key in keys {
            if out.len() == 8 {
                break;
            }
            let aggregates = &self.pool[&key];
            let data = aggregates[0].attestation.data;
            let target = data.target.epoch.as_u64();
            let justified = if target == current {
                state.current_justified_checkpoint
            } else {
                state.previous_justified_checkpoint
            };
            if data.slot.as_u64() >= slot
                || !(target == current || target == previous)
                || data.source != justified
            {
                continue;
            }
            if let Some(a) = on_chain_aggregate(aggregates) {
                out.push(a);
                self.pool.remove(&key);
            }
        }
        out
    }
}

/// What the execution layer is asked to build for the block of `state.slot`.
fn payload_attributes<P: SpecPreset>(
    spec: &Spec<P>,
    state: &BeaconState<P>,
    fee_recipient: Address,
) -> Result<PayloadAttributes, TransitionError> {
    let epoch = Spec::<P>::epoch_at(state.slot.as_u64());
    Ok(PayloadAttributes {
        timestamp: spec.time_at_slot(state, state.slot.as_u64()),
        prev_randao: Spec::<P>::get_randao_mix(state, epoch),
        parent_beacon_block_root: state.latest_block_header.tree_hash_root(),
        withdrawals: spec.get_expected_withdrawals(state)?.withdrawals,
        fee_recipient,
    })
}

/// Slot `slot` prepared on `head` (see [`Prepared`]): its pre-state, and its payload if its
/// proposer may propose and is `online` (not switched off, its signer expected to answer: a
/// payload built for a proposer that then misses its slot would be rolled back).
fn prepare<P: SpecPreset, E: ExecutionLayer<P>>(
    spec: &Spec<P>,
    head: &BeaconState<P>,
    head_root: B256,
    online: impl Fn(u64, &PublicKeyBytes) -> bool,
    fee_recipient: Address,
    execution: &mut E,
    slot: u64,
) -> Result<Prepared<P>, TransitionError> {
    let mut state = head.clone();
    spec.process_slots(&mut state, slot)?;
    let proposer = Spec::<P>::get_beacon_proposer_index(&state)?;
    let validator = &state.validators[proposer as usize];
    let payload = if !online(proposer, &validator.pubkey) || validator.slashed {
        None
    } else {
        let attributes = payload_attributes(spec, &state, fee_recipient)?;
        let built = crate::cost::time(crate::cost::Part::Execution, || {
            execution.build_payload(&state.latest_execution_payload_header, &attributes)
        });
        Some((attributes, built))
    };
    Ok(Prepared {
        slot,
        head_root,
        state,
        payload,
    })
}

/// What the validators do in a slot besides proposing, and the signing they share: they need
/// the signer, the switches and the head, not the node, so that attesting and the sync
/// committee's work run side by side (`rayon::join` in [`Node::run_slot`]).
struct Duties<'a, P: SpecPreset, S: Signer<P>> {
    signer: &'a S,
    offline: &'a BTreeSet<u64>,
    double_voters: &'a BTreeSet<u64>,
    head_root: B256,
    preset: PhantomData<fn() -> P>,
}

/// What a slot's attesting produced.
struct AttestOutcome<P: SpecPreset> {
    /// The aggregates for the pool, by committee, under their data's key.
    pool_key: (u64, B256),
    aggregates: Vec<PooledAggregate<P>>,
    attesters: usize,
    skipped: Skipped,
    /// Double voters that voted twice, and the slashings that proves.
    double_voted: Vec<u64>,
    slashings: Vec<AttesterSlashing<P>>,
}

/// What a slot's sync committee produced.
struct SyncOutcome<P: SpecPreset> {
    aggregate: Option<(u64, B256, SyncAggregate<P>)>,
    participants: usize,
    skipped: Skipped,
}

impl<P: SpecPreset, S: Signer<P>> Duties<'_, P, S> {
    /// Signs `message` for validator `index` (a remote signer's answer is checked against
    /// `root` where it arrives; local keys sign `root` itself).
    fn sign(
        &self,
        state: &BeaconState<P>,
        index: u64,
        root: B256,
        message: Message<'_, P>,
    ) -> Result<SignatureBytes, SignError> {
        let pubkey = state.validators[index as usize].pubkey;
        self.signer.sign(index, &pubkey, root, message)
    }

    /// The committees of `slot` attest to the head; per committee an aggregator (`is_aggregator`,
    /// by its slot signature) publishes the aggregate, which joins the pool once its selection
    /// proof and its aggregator's signature verify (gossip validation, the slot's aggregates in
    /// one batch). The aggregate's own signature is verified where it counts, when a block
    /// includes it; the node merges each slot's aggregates into one attestation for the next
    /// block, so each is checked once rather than twice. Validators sign in parallel, as they
    /// would on machines of their own.
    fn attest(&self, state: &BeaconState<P>, slot: u64) -> Result<AttestOutcome<P>, NodeError> {
        let mut skipped = Skipped::default();
        let mut double_voted = Vec::new();
        let mut slashings = Vec::new();
        let epoch = Spec::<P>::epoch_at(slot);
        let shuffling = Spec::<P>::beacon_committees(state, epoch);
        let target_root = if Spec::<P>::start_slot(epoch) == slot {
            self.head_root
        } else {
            Spec::<P>::get_block_root(state, epoch)?
        };
        let data = AttestationData {
            slot: Slot::new(slot),
            index: 0,
            beacon_block_root: self.head_root,
            source: state.current_justified_checkpoint,
            target: Checkpoint {
                epoch: Epoch::new(epoch),
                root: target_root,
            },
        };
        let attester_domain = Spec::<P>::get_domain(state, domain::BEACON_ATTESTER, Some(epoch));
        let data_root = compute_signing_root(data.tree_hash_root(), attester_domain);
        let selection_root = compute_signing_root(
            slot.tree_hash_root(),
            Spec::<P>::get_domain(state, domain::SELECTION_PROOF, Some(epoch)),
        );
        let aggregate_domain =
            Spec::<P>::get_domain(state, domain::AGGREGATE_AND_PROOF, Some(epoch));
        let committees: Vec<&[u64]> = (0..shuffling.per_slot)
            .map(|index| shuffling.committee(slot % P::SLOTS_PER_EPOCH, index))
            .collect();

        // Every online member attests.
        let duties: Vec<(usize, usize, u64)> = committees
            .iter()
            .enumerate()
            .flat_map(|(c, members)| members.iter().enumerate().map(move |(i, &v)| (c, i, v)))
            .filter(|(_, _, v)| !self.offline.contains(v))
            .collect();
        let signed = self.sign_each(
            state,
            duties
                .iter()
                .map(|&(_, _, v)| (v, data_root, Message::Attestation(&data)))
                .collect(),
        );
        let mut attested: Vec<Attested<P>> = committees
            .iter()
            .map(|members| Attested::new(members.len()))
            .collect();
        for (&(c, i, v), result) in duties.iter().zip(signed) {
            match result {
                Ok(signature) => attested[c].add(i, v, signature),
                Err(e) => skipped.file(v, e)?,
            }
        }
        for signers in attested.iter().map(|a| a.signers.clone()) {
            for v in signers {
                if self.double_voters.contains(&v) {
                    double_voted.push(v);
                    match self.double_vote(state, v, &data, attester_domain) {
                        Ok(slashing) => slashings.push(slashing),
                        Err(e) => skipped.file(v, e)?,
                    }
                }
            }
        }

        // Aggregators, by their slot signatures.
        let moduli: Vec<u64> = committees
            .iter()
            .map(|m| (m.len() as u64 / TARGET_AGGREGATORS_PER_COMMITTEE).max(1))
            .collect();
        let aggregators = self.draw_aggregators(
            state,
            attested.iter().map(|a| a.signers.as_slice()),
            &moduli,
            |_| (selection_root, Message::AggregationSlot { slot }),
            &mut skipped,
        )?;

        // Each aggregator's `SignedAggregateAndProof`.
        let mut messages = Vec::new();
        for (c, (attested, aggregator)) in attested.into_iter().zip(aggregators).enumerate() {
            let (Some((aggregator, selection_proof)), Some(signature)) =
                (aggregator, aggregate_signatures(&attested.signatures))
            else {
                continue;
            };
            let mut committee_bits = BitVector::<P::MaxCommitteesPerSlot>::default();
            committee_bits.set(c, true).expect("a committee index");
            let message = AggregateAndProof {
                aggregator_index: aggregator,
                aggregate: Attestation {
                    aggregation_bits: attested.bits,
                    data,
                    signature,
                    committee_bits,
                },
                selection_proof,
            };
            let root = compute_signing_root(message.tree_hash_root(), aggregate_domain);
            messages.push((c, message, root, attested.signers));
        }
        let signatures = self.sign_each(
            state,
            messages
                .iter()
                .map(|(_, m, root, _)| (m.aggregator_index, *root, Message::AggregateAndProof(m)))
                .collect(),
        );

        // Gossip validation of every aggregate its aggregator signed, then the pool.
        let key = |v: u64| &state.validators[v as usize].pubkey;
        let mut sets = Vec::new();
        let mut published = Vec::with_capacity(messages.len());
        for ((c, message, root, signers), signature) in messages.into_iter().zip(signatures) {
            let signature = match signature {
                Ok(signature) => signature,
                Err(e) => {
                    skipped.file(message.aggregator_index, e)?;
                    continue;
                }
            };
            let aggregator = key(message.aggregator_index);
            sets.push(bls::SignatureSet::single(
                aggregator,
                selection_root,
                &message.selection_proof,
            ));
            sets.push(bls::SignatureSet::single(aggregator, root, &signature));
            published.push((c, message, signers));
        }
        verify_gossip(sets, "an aggregate and proof")?;
        let mut attesters = 0;
        let mut aggregates = Vec::with_capacity(published.len());
        for (c, message, signers) in published {
            attesters += signers.len();
            aggregates.push(PooledAggregate {
                committee_index: c as u64,
                attestation: message.aggregate,
            });
        }
        Ok(AttestOutcome {
            pool_key: (slot, data.tree_hash_root()),
            aggregates,
            attesters,
            skipped,
            double_voted,
            slashings,
        })
    }

    /// A second attestation by `v` for the same target with another head: with the first, an
    /// attester slashing for the next block; or why the signer did not sign (P refused it).
    fn double_vote(
        &self,
        state: &BeaconState<P>,
        v: u64,
        data: &AttestationData,
        attester_domain: B256,
    ) -> Result<AttesterSlashing<P>, SignError> {
        let mut other = *data;
        other.beacon_block_root = B256::repeat_byte(0xdd);
        let root = compute_signing_root(other.tree_hash_root(), attester_domain);
        let first_root = compute_signing_root(data.tree_hash_root(), attester_domain);
        let sig2 = self.sign(state, v, root, Message::Attestation(&other))?;
        let sig1 = self.sign(state, v, first_root, Message::Attestation(data))?;
        let indexed = |d: AttestationData, signature| IndexedAttestation::<P> {
            attesting_indices: VariableList::new(vec![v]).expect("one index"),
            data: d,
            signature,
        };
        Ok(AttesterSlashing {
            attestation_1: indexed(*data, sig1),
            attestation_2: indexed(other, sig2),
        })
    }

    /// The sync committee signs the head at `slot`; per subcommittee an aggregator
    /// (`is_sync_committee_aggregator`) publishes its contribution, which goes into the next
    /// block's `SyncAggregate` once its selection proof and its aggregator's signature verify
    /// (one batch for the slot); the contributions' signatures are verified as that aggregate,
    /// when the block is imported.
    fn sync_committee(
        &self,
        state: &BeaconState<P>,
        slot: u64,
    ) -> Result<SyncOutcome<P>, NodeError> {
        let mut skipped = Skipped::default();
        let mut participants = 0;
        let epoch = Spec::<P>::epoch_at(slot);
        let size = P::sync_committee_size();
        let per_subnet = size / SYNC_COMMITTEE_SUBNET_COUNT;
        let mut index_of: HashMap<PublicKeyBytes, u64> = HashMap::new();
        for (i, v) in state.validators.iter().enumerate().rev() {
            index_of.insert(v.pubkey, i as u64);
        }
        // The committee whose signatures the next block carries: at a period's last slot that
        // is already the next period's (altair validator.md, "Sync committee").
        let period = |slot: u64| Spec::<P>::epoch_at(slot) / P::EPOCHS_PER_SYNC_COMMITTEE_PERIOD;
        let committee = if period(slot + 1) == period(slot) {
            &state.current_sync_committee
        } else {
            &state.next_sync_committee
        };
        let members: Vec<u64> = committee.pubkeys.iter().map(|k| index_of[k]).collect();
        let message_root = compute_signing_root(
            self.head_root,
            Spec::<P>::get_domain(state, domain::SYNC_COMMITTEE, Some(epoch)),
        );
        let selection_domain =
            Spec::<P>::get_domain(state, domain::SYNC_COMMITTEE_SELECTION_PROOF, Some(epoch));
        let contribution_domain =
            Spec::<P>::get_domain(state, domain::CONTRIBUTION_AND_PROOF, Some(epoch));

        // Every online member signs the head once, whatever number of positions it holds.
        let online: Vec<u64> = members
            .iter()
            .copied()
            .filter(|v| !self.offline.contains(v))
            .collect::<BTreeSet<u64>>()
            .into_iter()
            .collect();
        let head = Message::SyncCommitteeMessage {
            slot,
            beacon_block_root: self.head_root,
        };
        let signed = self.sign_each(
            state,
            online.iter().map(|&v| (v, message_root, head)).collect(),
        );
        let mut signatures: HashMap<u64, SignatureBytes> = HashMap::new();
        for (&v, result) in online.iter().zip(signed) {
            match result {
                Ok(signature) => {
                    signatures.insert(v, signature);
                }
                Err(e) => skipped.file(v, e)?,
            }
        }
        let subnets: Vec<Attested<P>> = (0..SYNC_COMMITTEE_SUBNET_COUNT)
            .map(|subnet| {
                let mut attested = Attested::new(per_subnet);
                for j in 0..per_subnet {
                    let v = members[subnet * per_subnet + j];
                    if let Some(signature) = signatures.get(&v) {
                        attested.add(j, v, *signature);
                    }
                }
                attested
            })
            .collect();

        // Aggregators, by their selection proofs.
        let selections: Vec<SyncAggregatorSelectionData> = (0..SYNC_COMMITTEE_SUBNET_COUNT)
            .map(|subnet| SyncAggregatorSelectionData {
                slot: Slot::new(slot),
                subcommittee_index: subnet as u64,
            })
            .collect();
        let modulo = (per_subnet as u64 / TARGET_AGGREGATORS_PER_SYNC_SUBCOMMITTEE).max(1);
        let selection_roots: Vec<B256> = selections
            .iter()
            .map(|s| compute_signing_root(s.tree_hash_root(), selection_domain))
            .collect();
        let aggregators = self.draw_aggregators(
            state,
            subnets.iter().map(|a| a.signers.as_slice()),
            &[modulo; SYNC_COMMITTEE_SUBNET_COUNT],
            |subnet| {
                (
                    selection_roots[subnet],
                    Message::SyncSelection(&selections[subnet]),
                )
            },
            &mut skipped,
        )?;

        // Each aggregator's `SignedContributionAndProof`.
        let mut messages = Vec::new();
        for (subnet, (attested, aggregator)) in subnets.into_iter().zip(aggregators).enumerate() {
            let (Some((aggregator, selection_proof)), Some(signature)) =
                (aggregator, aggregate_signatures(&attested.signatures))
            else {
                continue;
            };
            let mut aggregation_bits = BitVector::<P::SyncSubcommitteeSize>::default();
            for j in (0..per_subnet).filter(|j| attested.bits.get(*j).unwrap_or(false)) {
                aggregation_bits.set(j, true).expect("in range");
            }
            let message = ContributionAndProof {
                aggregator_index: aggregator,
                contribution: SyncCommitteeContribution {
                    slot: Slot::new(slot),
                    beacon_block_root: self.head_root,
                    subcommittee_index: subnet as u64,
                    aggregation_bits,
                    signature,
                },
                selection_proof,
            };
            let root = compute_signing_root(message.tree_hash_root(), contribution_domain);
            messages.push((subnet, message, root));
        }
        let signatures = self.sign_each(
            state,
            messages
                .iter()
                .map(|(_, m, root)| (m.aggregator_index, *root, Message::ContributionAndProof(m)))
                .collect(),
        );

        // Gossip validation of every contribution its aggregator signed, then the next block's
        // aggregate.
        let mut sets = Vec::new();
        let mut published = Vec::with_capacity(messages.len());
        for ((subnet, message, root), signature) in messages.into_iter().zip(signatures) {
            let signature = match signature {
                Ok(signature) => signature,
                Err(e) => {
                    skipped.file(message.aggregator_index, e)?;
                    continue;
                }
            };
            let aggregator = &state.validators[message.aggregator_index as usize].pubkey;
            sets.push(bls::SignatureSet::single(
                aggregator,
                selection_roots[subnet],
                &message.selection_proof,
            ));
            sets.push(bls::SignatureSet::single(aggregator, root, &signature));
            published.push((subnet, message));
        }
        verify_gossip(sets, "a sync contribution and proof")?;
        let mut bits = BitVector::<P::SyncCommitteeSize>::default();
        let mut contributions = Vec::new();
        for (subnet, message) in &published {
            let sub_bits = &message.contribution.aggregation_bits;
            for j in (0..per_subnet).filter(|j| sub_bits.get(*j).unwrap_or(false)) {
                bits.set(subnet * per_subnet + j, true).expect("in range");
                participants += 1;
            }
            contributions.push(message.contribution.signature);
        }
        let aggregate = aggregate_signatures(&contributions).map(|signature| {
            (
                slot,
                self.head_root,
                SyncAggregate {
                    sync_committee_bits: bits,
                    sync_committee_signature: signature,
                },
            )
        });
        Ok(SyncOutcome {
            aggregate,
            participants,
            skipped,
        })
    }

    /// Signs each `(validator, root, message)`, in parallel; answers in the jobs' order.
    fn sign_each(
        &self,
        state: &BeaconState<P>,
        jobs: Vec<(u64, B256, Message<'_, P>)>,
    ) -> Vec<Result<SignatureBytes, SignError>> {
        let signer = &self.signer;
        jobs.into_par_iter()
            .map(|(v, root, message)| {
                signer.sign(v, &state.validators[v as usize].pubkey, root, message)
            })
            .collect()
    }

    /// Per group of signers (a committee's, a subcommittee's), its aggregator and selection
    /// proof: the first signer whose proof wins the lottery (`is_aggregator`: `modulo` 1 makes
    /// everyone an aggregator, so only the first whose signer is reachable signs one).
    /// `selection(group)` is the root and message a member of `group` signs; a proof refused or
    /// missed goes into `skipped`.
    fn draw_aggregators<'m, 'g>(
        &self,
        state: &BeaconState<P>,
        groups: impl Iterator<Item = &'g [u64]>,
        moduli: &[u64],
        selection: impl Fn(usize) -> (B256, Message<'m, P>),
        skipped: &mut Skipped,
    ) -> Result<Vec<Option<(u64, SignatureBytes)>>, NodeError> {
        let groups: Vec<&[u64]> = groups.collect();
        let reachable = |v: u64| {
            self.signer
                .reachable(v, &state.validators[v as usize].pubkey)
        };
        let candidates: Vec<(usize, u64)> = groups
            .iter()
            .enumerate()
            .flat_map(|(g, signers)| {
                let take = if moduli[g] == 1 { 1 } else { signers.len() };
                signers
                    .iter()
                    .copied()
                    .filter(move |&v| moduli[g] != 1 || reachable(v))
                    .take(take)
                    .map(move |v| (g, v))
            })
            .collect();
        let proofs = self.sign_each(
            state,
            candidates
                .iter()
                .map(|&(g, v)| {
                    let (root, message) = selection(g);
                    (v, root, message)
                })
                .collect(),
        );
        let mut aggregators = vec![None; groups.len()];
        for (&(g, v), proof) in candidates.iter().zip(proofs) {
            let proof = match proof {
                Ok(proof) => proof,
                Err(e) => {
                    skipped.file(v, e)?;
                    continue;
                }
            };
            if aggregators[g].is_none()
                && (moduli[g] == 1 || lottery(&proof).is_multiple_of(moduli[g]))
            {
                aggregators[g] = Some((v, proof));
            }
        }
        Ok(aggregators)
    }
}

/// One committee's (or sync subcommittee's) signatures as they come in.
struct Attested<P: SpecPreset> {
    bits: BitList<P::MaxValidatorsPerSlot>,
    signatures: Vec<SignatureBytes>,
    signers: Vec<u64>,
}

impl<P: SpecPreset> Attested<P> {
    fn new(size: usize) -> Self {
        Self {
            bits: BitList::with_capacity(size).expect("a committee fits"),
            signatures: Vec::new(),
            signers: Vec::new(),
        }
    }

    fn add(&mut self, position: usize, validator: u64, signature: SignatureBytes) {
        self.bits.set(position, true).expect("in range");
        self.signatures.push(signature);
        self.signers.push(validator);
    }
}

/// Gossip validation's signature checks, in one batch; `what` names the message on failure.
fn verify_gossip(
    sets: Vec<Option<bls::SignatureSet>>,
    what: &'static str,
) -> Result<(), NodeError> {
    let sets: Option<Vec<_>> = sets.into_iter().collect();
    match sets {
        Some(sets) if bls::verify_batch(&sets) => Ok(()),
        _ => Err(NodeError::Gossip(what)),
    }
}

/// `bytes_to_uint64(hash(selection_proof)[0:8])`, the aggregator lottery (phase0 `is_aggregator`,
/// altair `is_sync_committee_aggregator`).
fn lottery(proof: &SignatureBytes) -> u64 {
    u64::from_le_bytes(Sha256::digest(proof.0)[..8].try_into().expect("8 bytes"))
}

/// `compute_on_chain_aggregate` (electra validator.md): the committees' aggregates of one
/// attestation data as one attestation, committees in index order, bits concatenated.
fn on_chain_aggregate<P: SpecPreset>(aggregates: &[PooledAggregate<P>]) -> Option<Attestation<P>> {
    let mut sorted: Vec<&PooledAggregate<P>> = aggregates.iter().collect();
    sorted.sort_by_key(|a| a.committee_index);
    sorted.dedup_by_key(|a| a.committee_index);
    let mut bits_vec: Vec<bool> = Vec::new();
    let mut committee_bits = BitVector::<P::MaxCommitteesPerSlot>::default();
    for a in &sorted {
        committee_bits.set(a.committee_index as usize, true).ok()?;
        bits_vec.extend(
            (0..a.attestation.aggregation_bits.len())
                .map(|i| a.attestation.aggregation_bits.get(i).unwrap_or(false)),
        );
    }
    let mut aggregation_bits =
        BitList::<P::MaxValidatorsPerSlot>::with_capacity(bits_vec.len()).ok()?;
    for (i, b) in bits_vec.iter().enumerate() {
        aggregation_bits.set(i, *b).ok()?;
    }
    let signature = aggregate_signatures(sorted.iter().map(|a| &a.attestation.signature))?;
    Some(Attestation {
        aggregation_bits,
        data: sorted[0].attestation.data,
        signature,
        committee_bits,
    })
}
