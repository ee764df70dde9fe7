//! What the devnet's beacon node knows, shared with whoever reads it (the beacon API, tests):
//! every block by slot and root, the state at each recent slot, the head, and the operations
//! submitted for inclusion. The node is its only writer; readers take a read lock for as long as
//! they look.
//!
//! States are kept for the last [`Store::STATE_WINDOW`] slots (a keeper proves recent states;
//! a minimal-preset state of a few hundred validators is some 100 KB), plus the genesis state.

use crate::genesis::empty_body;
use crate::spec::{BeaconState, Spec, SpecPreset};
use alloy_primitives::B256;
use lsv_consensus::containers::SignedVoluntaryExit;
use lsv_consensus::SignatureBytes;
use lsv_proofs::block::{BeaconBlock, SignedBeaconBlock};
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use tokio::sync::broadcast;
use tree_hash::TreeHash;

/// A new head, as the beacon API's `head` event reports it (`/eth/v1/events?topics=head`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HeadEvent {
    /// The head's slot.
    pub slot: u64,
    /// The head block's root.
    pub block: B256,
    /// Its post-state's root.
    pub state: B256,
    /// Whether the head starts an epoch.
    pub epoch_transition: bool,
}

/// A stored block and its root.
#[derive(Clone, Debug)]
pub struct StoredBlock<P: SpecPreset> {
    /// The block's root, `hash_tree_root(block.message)`.
    pub root: B256,
    /// The block.
    pub block: Arc<SignedBeaconBlock<P>>,
}

/// The node's chain, for readers.
pub struct Store<P: SpecPreset> {
    spec: Spec<P>,
    genesis_time: u64,
    genesis_validators_root: B256,
    genesis_state: Arc<BeaconState<P>>,
    /// Blocks by slot, the genesis block (an empty body, as `BeaconBlockBody()`) at slot 0.
    blocks: BTreeMap<u64, StoredBlock<P>>,
    slot_of_block: HashMap<B256, u64>,
    /// The state at each recent slot: after its block, or advanced through it if it had none.
    states: BTreeMap<u64, (B256, Arc<BeaconState<P>>)>,
    slot_of_state: HashMap<B256, u64>,
    head_slot: u64,
    /// Signed voluntary exits submitted to the node, waiting for a block.
    voluntary_exits: Vec<SignedVoluntaryExit>,
    heads: broadcast::Sender<HeadEvent>,
}

impl<P: SpecPreset> Store<P> {
    /// How many recent slots' states are kept.
    pub const STATE_WINDOW: u64 = 1024;

    /// A store holding `genesis`, its block at slot 0.
    pub fn new(spec: Spec<P>, genesis: BeaconState<P>) -> Self {
        let state_root = genesis.hash_tree_root();
        let mut header = genesis.latest_block_header;
        header.state_root = state_root;
        let block = SignedBeaconBlock {
            message: BeaconBlock {
                slot: header.slot,
                proposer_index: header.proposer_index,
                parent_root: header.parent_root,
                state_root,
                body: empty_body::<P>(),
            },
            signature: SignatureBytes([0; 96]),
        };
        let root = block.message.tree_hash_root();
        debug_assert_eq!(
            root,
            header.tree_hash_root(),
            "the genesis body is the empty one"
        );
        let genesis = Arc::new(genesis);
        let mut store = Self {
            genesis_time: genesis.genesis_time,
            genesis_validators_root: genesis.genesis_validators_root,
            spec,
            genesis_state: genesis.clone(),
            blocks: BTreeMap::new(),
            slot_of_block: HashMap::new(),
            states: BTreeMap::new(),
            slot_of_state: HashMap::new(),
            head_slot: 0,
            voluntary_exits: Vec::new(),
            heads: broadcast::channel(64).0,
        };
        store.blocks.insert(
            0,
            StoredBlock {
                root,
                block: Arc::new(block),
            },
        );
        store.slot_of_block.insert(root, 0);
        store.states.insert(0, (state_root, genesis));
        store.slot_of_state.insert(state_root, 0);
        store
    }

    /// The chain's spec (its configuration).
    pub fn spec(&self) -> &Spec<P> {
        &self.spec
    }

    /// The unix time of slot 0.
    pub fn genesis_time(&self) -> u64 {
        self.genesis_time
    }

    /// The genesis state's validators root.
    pub fn genesis_validators_root(&self) -> B256 {
        self.genesis_validators_root
    }

    /// The genesis state.
    pub fn genesis_state(&self) -> &Arc<BeaconState<P>> {
        &self.genesis_state
    }

    /// The head block.
    pub fn head(&self) -> &StoredBlock<P> {
        self.blocks
            .values()
            .next_back()
            .expect("the genesis block is always there")
    }

    /// The head block's post-state (the state at the head block's slot).
    pub fn head_state(&self) -> Arc<BeaconState<P>> {
        self.block_state(self.head().block.message.slot.as_u64())
            .expect("the head's state is recent")
    }

    /// The last slot the node ran.
    pub fn head_slot(&self) -> u64 {
        self.head_slot
    }

    /// The block at `slot`, if one was imported there.
    pub fn block_at(&self, slot: u64) -> Option<&StoredBlock<P>> {
        self.blocks.get(&slot)
    }

    /// The block with root `root`.
    pub fn block_by_root(&self, root: &B256) -> Option<&StoredBlock<P>> {
        self.slot_of_block
            .get(root)
            .and_then(|slot| self.blocks.get(slot))
    }

    /// The last block at or before `slot` (the block a slot's state is built on).
    pub fn block_at_or_before(&self, slot: u64) -> &StoredBlock<P> {
        self.blocks
            .range(..=slot)
            .next_back()
            .map(|(_, b)| b)
            .expect("the genesis block is at slot 0")
    }

    /// The first block after `slot`, if any.
    pub fn next_block_after(&self, slot: u64) -> Option<&StoredBlock<P>> {
        let after = slot.checked_add(1)?;
        self.blocks.range(after..).next().map(|(_, b)| b)
    }

    /// The state at `slot`, if still kept.
    pub fn state_at(&self, slot: u64) -> Option<(B256, Arc<BeaconState<P>>)> {
        self.states.get(&slot).cloned()
    }

    /// The state with root `root`, if still kept.
    pub fn state_by_root(&self, root: &B256) -> Option<(B256, Arc<BeaconState<P>>)> {
        self.slot_of_state
            .get(root)
            .and_then(|slot| self.state_at(*slot))
    }

    /// The post-state of the block at `slot`.
    fn block_state(&self, slot: u64) -> Option<Arc<BeaconState<P>>> {
        self.states.get(&slot).map(|(_, s)| s.clone())
    }

    /// Subscribes to new heads.
    pub fn subscribe_heads(&self) -> broadcast::Receiver<HeadEvent> {
        self.heads.subscribe()
    }

    /// Adds a signed voluntary exit to the pool (the caller has checked it against the head).
    /// The pool holds one exit per validator, the first submitted: a second one (the same exit
    /// again, or another signed for the same validator) is ignored, since a block could not
    /// include both. Returns whether `exit` was added.
    pub fn submit_voluntary_exit(&mut self, exit: SignedVoluntaryExit) -> bool {
        let index = exit.message.validator_index;
        if self
            .voluntary_exits
            .iter()
            .any(|e| e.message.validator_index == index)
        {
            return false;
        }
        self.voluntary_exits.push(exit);
        true
    }

    /// The exits waiting for a block, in the order they were submitted.
    pub fn voluntary_exit_pool(&self) -> &[SignedVoluntaryExit] {
        &self.voluntary_exits
    }

    /// Takes up to `max` exits from the pool for a block.
    pub(crate) fn take_voluntary_exits(&mut self, max: usize) -> Vec<SignedVoluntaryExit> {
        let n = self.voluntary_exits.len().min(max);
        self.voluntary_exits.drain(..n).collect()
    }

    /// Records slot `slot`: its block (if any) and its state.
    pub(crate) fn record_slot(
        &mut self,
        slot: u64,
        block: Option<(B256, SignedBeaconBlock<P>)>,
        state: &BeaconState<P>,
    ) {
        // A block's post-state is the slot's state: its root was checked at import.
        let state_root = match &block {
            Some((_, block)) => block.message.state_root,
            None => crate::spec::state_root(state),
        };
        let state = Arc::new(state.clone());
        self.head_slot = slot;
        self.states.insert(slot, (state_root, state));
        self.slot_of_state.insert(state_root, slot);
        // The oldest after genesis's, which stays.
        while let Some((&oldest, _)) = self.states.range(1..).next() {
            if oldest + Self::STATE_WINDOW > slot {
                break;
            }
            if let Some((root, _)) = self.states.remove(&oldest) {
                self.slot_of_state.remove(&root);
            }
        }
        if let Some((root, block)) = block {
            self.blocks.insert(
                slot,
                StoredBlock {
                    root,
                    block: Arc::new(block),
                },
            );
            self.slot_of_block.insert(root, slot);
            // Nobody listening is not an error.
            let _ = self.heads.send(HeadEvent {
                slot,
                block: root,
                state: state_root,
                epoch_transition: slot.is_multiple_of(P::SLOTS_PER_EPOCH),
            });
        }
    }
}

impl<P: SpecPreset> Spec<P> {
    /// Whether `exit` would be accepted by a block on `state` (`process_voluntary_exit` on a
    /// copy): the check a beacon node makes before pooling a submitted exit.
    pub fn check_voluntary_exit(
        &self,
        state: &BeaconState<P>,
        exit: &SignedVoluntaryExit,
    ) -> Result<(), crate::spec::TransitionError> {
        let mut copy = state.clone();
        self.process_voluntary_exit(&mut copy, exit)
    }
}
