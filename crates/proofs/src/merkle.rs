//! Binary Merkle trees over 32-byte chunks, their branches, and the spec's verification
//! functions (`is_valid_merkle_branch`, phase0 beacon-chain.md; `calculate_multi_merkle_root`,
//! `ssz/merkle-proofs.md`).
//!
//! The leaves always come from `tree_hash` (a field's `hash_tree_root`, or the packed chunks of
//! a basic list); this module only arranges them into the tree SSZ merkleization defines (pad to
//! a power of two with zero chunks, hash pairs with SHA-256) so that any node, and so any
//! branch, can be read back. Tests check every root built here against `tree_hash`'s.

use crate::gindex::{self, GeneralizedIndex};
use alloy_primitives::B256;
use rayon::prelude::*;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::sync::OnceLock;

/// `hash(a ‖ b)`: SHA-256 of two chunks, the only hash in SSZ merkleization.
pub fn hash_pair(a: &B256, b: &B256) -> B256 {
    let mut h = Sha256::new();
    h.update(a);
    h.update(b);
    B256::from_slice(&h.finalize())
}

/// The deepest zero subtree this crate ever needs (a list of 2^64 chunks).
pub const MAX_DEPTH: usize = 64;

/// `zero_hash(h)`: the root of a subtree of `2^h` zero chunks (`ZERO[0]` is the zero chunk,
/// `ZERO[h + 1] = hash(ZERO[h] ‖ ZERO[h])`).
pub fn zero_hash(height: usize) -> B256 {
    static ZEROS: OnceLock<Vec<B256>> = OnceLock::new();
    ZEROS.get_or_init(|| {
        let mut z = vec![B256::ZERO];
        for h in 0..MAX_DEPTH {
            let next = hash_pair(&z[h], &z[h]);
            z.push(next);
        }
        z
    })[height]
}

/// The 32-byte chunk of a `uint64` (little-endian, zero-padded), as SSZ packs a lone basic value
/// and as a list length is mixed in.
pub fn u64_chunk(value: u64) -> B256 {
    let mut chunk = B256::ZERO;
    chunk[..8].copy_from_slice(&value.to_le_bytes());
    chunk
}

/// A Merkle tree of depth `depth` whose first `leaves.len()` leaves are given and the rest are
/// zero chunks. Every layer above the given leaves is kept, so any node is a lookup; nodes
/// covering only padding are zero hashes and are not stored.
#[derive(Clone, Debug)]
pub struct MerkleTree {
    depth: usize,
    /// `layers[h]` holds the nodes at height `h` (0: leaves) that cover at least one given leaf.
    layers: Vec<Vec<B256>>,
}

impl MerkleTree {
    /// Builds the tree. Panics if more than `2^depth` leaves are given or `depth > 64`.
    pub fn new(leaves: Vec<B256>, depth: usize) -> Self {
        assert!(depth <= MAX_DEPTH, "tree depth {depth} over {MAX_DEPTH}");
        assert!(
            depth >= 64 || (leaves.len() as u128) <= (1u128 << depth),
            "{} leaves do not fit a tree of depth {depth}",
            leaves.len()
        );
        let mut layers = Vec::with_capacity(depth + 1);
        layers.push(leaves);
        for h in 0..depth {
            let above = parent_layer(&layers[h], h);
            layers.push(above);
        }
        Self { depth, layers }
    }

    /// Rehashes the path above every leaf in `dirty` (sorted, deduplicated indices of leaves
    /// changed in place), each parent once per layer.
    fn rehash_dirty(&mut self, dirty: &[usize]) {
        let mut dirty: Vec<usize> = dirty.to_vec();
        for h in 0..self.depth {
            let mut parents: Vec<usize> = dirty.iter().map(|i| i / 2).collect();
            parents.dedup();
            let (below, above) = self.layers.split_at_mut(h + 1);
            let (below, above) = (&below[h], &mut above[0]);
            for &p in &parents {
                let left = below[2 * p];
                let right = below
                    .get(2 * p + 1)
                    .copied()
                    .unwrap_or_else(|| zero_hash(h));
                above[p] = hash_pair(&left, &right);
            }
            dirty = parents;
        }
    }

    /// The tree of `leaves`, reusing `self`'s nodes wherever the leaves under them are
    /// unchanged: rehashes only the paths above changed, added or removed leaves. The result
    /// is the tree [`MerkleTree::new`] builds from `leaves` at `self`'s depth.
    pub fn updated(mut self, leaves: Vec<B256>) -> Self {
        let old_count = self.layers[0].len();
        if leaves.len() < old_count {
            return Self::new(leaves, self.depth);
        }
        let mut dirty: Vec<usize> = (0..old_count)
            .into_par_iter()
            .filter(|&i| self.layers[0][i] != leaves[i])
            .collect();
        dirty.extend(old_count..leaves.len());
        // Grow every layer to the new count (new nodes are rehashed below as dirty paths).
        let mut count = leaves.len();
        for h in 1..=self.depth {
            count = count.div_ceil(2);
            self.layers[h].resize(count, B256::ZERO);
        }
        // The old last node of each layer may have had a zero right sibling that is now a
        // real node: the dirty paths of the new leaves cover it.
        self.layers[0] = leaves;
        self.rehash_dirty(&dirty);
        self
    }

    /// The tree's depth: leaves are at height 0, the root at this height.
    pub fn depth(&self) -> usize {
        self.depth
    }

    /// How many leaves were given (the rest are padding).
    pub fn leaf_count(&self) -> usize {
        self.layers[0].len()
    }

    /// The root (`ZERO[depth]` when no leaf was given).
    pub fn root(&self) -> B256 {
        self.at(self.depth, 0)
    }

    /// The node at `height` (0: leaves) and position `pos` from the left.
    pub fn at(&self, height: usize, pos: u64) -> B256 {
        usize::try_from(pos)
            .ok()
            .and_then(|p| self.layers[height].get(p).copied())
            .unwrap_or_else(|| zero_hash(height))
    }

    /// The node at generalized index `g` counted from this tree's root (`1`), or `None` below
    /// the leaves.
    pub fn node(&self, g: GeneralizedIndex) -> Option<B256> {
        let d = gindex::depth(g)?;
        if d > self.depth {
            return None;
        }
        Some(self.at(self.depth - d, gindex::position(g)))
    }

    /// The sibling of every node on the path from leaf `index` to the root, bottom-up: the
    /// `branch` of `is_valid_merkle_branch`. Panics if `index` is past the last leaf position.
    pub fn branch(&self, index: u64) -> Vec<B256> {
        assert!(
            self.depth >= 64 || index < (1u64 << self.depth),
            "leaf {index} outside a tree of depth {}",
            self.depth
        );
        (0..self.depth)
            .map(|h| self.at(h, (index >> h) ^ 1))
            .collect()
    }
}

/// An SSZ `List` tree: the data tree (`depth` = log2 of the chunk limit) with the length mixed
/// in above it (`root = hash(data_root ‖ uint256(length))`, ssz/simple-serialize.md
/// "Merkleization"). The list's data root is its generalized index 2, the length chunk 3.
#[derive(Clone, Debug)]
pub struct ListTree {
    data: MerkleTree,
    length: u64,
}

impl ListTree {
    /// The tree of a list of `length` elements packed into `chunks`, its data tree `data_depth`
    /// deep.
    pub fn new(chunks: Vec<B256>, data_depth: usize, length: u64) -> Self {
        Self {
            data: MerkleTree::new(chunks, data_depth),
            length,
        }
    }

    /// The data tree, below the length mix-in.
    pub fn data(&self) -> &MerkleTree {
        &self.data
    }

    /// The number of elements (not chunks).
    pub fn length(&self) -> u64 {
        self.length
    }

    /// `hash_tree_root` of the list: the data root with the length mixed in.
    pub fn root(&self) -> B256 {
        hash_pair(&self.data.root(), &u64_chunk(self.length))
    }

    /// The node at generalized index `g` counted from the list root; `None` below the chunks.
    pub fn node(&self, g: GeneralizedIndex) -> Option<B256> {
        match g {
            0 => None,
            1 => Some(self.root()),
            2 => Some(self.data.root()),
            3 => Some(u64_chunk(self.length)),
            _ => {
                let (top, below) = gindex::split(g, 1)?;
                (top == 2).then_some(())?;
                self.data.node(below)
            }
        }
    }

    /// The tree of the list now holding `chunks` and `length` elements, rehashing only the
    /// paths above chunks that changed (see [`MerkleTree::updated`]).
    pub fn updated(self, chunks: Vec<B256>, length: u64) -> Self {
        Self {
            data: self.data.updated(chunks),
            length,
        }
    }

    /// The branch of chunk `index` up to the list root: the data tree's siblings, then the
    /// length chunk.
    pub fn branch(&self, index: u64) -> Vec<B256> {
        let mut b = self.data.branch(index);
        b.push(u64_chunk(self.length));
        b
    }
}

/// A progressive tree (`merkleize_progressive`, Gloas: EIP-7916 lists and EIP-7495
/// containers) with its mix-in: level `L` is a [`MerkleTree`] of depth `2L` over chunks
/// `start_L .. start_{L+1}` ([`gindex::progressive`]), the spine hashes each level's root with
/// everything to its right, and the root is `hash(spine[0] ‖ mix_in)` (the length of a list,
/// the active-fields bitvector of a container). Any node is a lookup.
#[derive(Clone, Debug)]
pub struct ProgressiveTree {
    levels: Vec<MerkleTree>,
    /// `spine[L]` = `merkleize_progressive(chunks[start_L..], 4^L)`; the last is the zero leaf
    /// `Bytes32()` that ends the recursion.
    spine: Vec<B256>,
    mix_in: B256,
}

impl ProgressiveTree {
    /// The tree of `chunks` with `mix_in` mixed in above it.
    pub fn new(mut chunks: Vec<B256>, mix_in: B256) -> Self {
        let mut levels = Vec::new();
        let mut level = 0u32;
        while !chunks.is_empty() {
            let take = chunks.len().min(1usize << (2 * level));
            let rest = chunks.split_off(take);
            levels.push(MerkleTree::new(chunks, 2 * level as usize));
            chunks = rest;
            level += 1;
        }
        let mut spine = vec![B256::ZERO; levels.len() + 1];
        for l in (0..levels.len()).rev() {
            spine[l] = hash_pair(&levels[l].root(), &spine[l + 1]);
        }
        Self {
            levels,
            spine,
            mix_in,
        }
    }

    /// The tree of a progressive list of `length` elements packed into `chunks`.
    pub fn list(chunks: Vec<B256>, length: u64) -> Self {
        Self::new(chunks, u64_chunk(length))
    }

    /// `hash_tree_root`: the progressive root with the mix-in.
    pub fn root(&self) -> B256 {
        hash_pair(&self.spine[0], &self.mix_in)
    }

    /// The mix-in chunk (node 3).
    pub fn mix_in(&self) -> B256 {
        self.mix_in
    }

    /// Chunk `c` (zero past the last one).
    pub fn chunk(&self, c: u64) -> B256 {
        let l = gindex::progressive::level(c);
        self.levels.get(l as usize).map_or(B256::ZERO, |tree| {
            tree.at(0, c - gindex::progressive::level_start(l))
        })
    }

    /// The node at generalized index `g` counted from the mixed-in root (`1`); `None` for
    /// nodes the tree does not have (below a chunk, under the zero leaf that ends the spine).
    pub fn node(&self, g: GeneralizedIndex) -> Option<B256> {
        let d = gindex::depth(g)?;
        match g {
            1 => return Some(self.root()),
            3 => return Some(self.mix_in),
            _ => {}
        }
        // Walk the spine from node 2 (level 0, depth 1).
        let (mut spine_g, mut spine_depth, mut level) = (2u64, 1usize, 0usize);
        loop {
            if d < spine_depth || g >> (d - spine_depth) != spine_g {
                return None;
            }
            if d == spine_depth {
                return self.spine.get(level).copied();
            }
            let child = g >> (d - spine_depth - 1);
            if child == 2 * spine_g {
                // `g` counted from the level's subtree root (1 if it is that root).
                let local = gindex::split(g, spine_depth + 1).map_or(1, |(_, local)| local);
                return self.levels.get(level)?.node(local);
            }
            if level >= self.levels.len() {
                return None;
            }
            spine_g = 2 * spine_g + 1;
            spine_depth += 1;
            level += 1;
        }
    }

    /// The siblings from chunk `c` up to the progressive root (node 2), bottom-up: `2L` inside
    /// level `L`'s subtree, the spine to its right, then the `L` level roots to its left
    /// ([`gindex::progressive::branch_len`] in all). The mix-in is not included.
    pub fn branch(&self, c: u64) -> Vec<B256> {
        let l = gindex::progressive::level(c) as usize;
        let mut branch = match self.levels.get(l) {
            Some(tree) => tree.branch(c - gindex::progressive::level_start(l as u32)),
            None => (0..2 * l).map(zero_hash).collect(),
        };
        branch.push(self.spine.get(l + 1).copied().unwrap_or(B256::ZERO));
        for left in (0..l).rev() {
            branch.push(self.levels.get(left).map_or(B256::ZERO, MerkleTree::root));
        }
        branch
    }
}

/// The layer above `below` (at height `h`): pairs hashed, a lone last node with `ZERO[h]`.
/// Large layers are hashed on rayon's pool.
fn parent_layer(below: &[B256], h: usize) -> Vec<B256> {
    let pair = |pair: &[B256]| {
        let right = pair.get(1).copied().unwrap_or_else(|| zero_hash(h));
        hash_pair(&pair[0], &right)
    };
    if below.len() >= PARALLEL_MIN {
        below.par_chunks(2).map(pair).collect()
    } else {
        below.chunks(2).map(pair).collect()
    }
}

/// Below this many nodes a layer is hashed on the calling thread.
pub(crate) const PARALLEL_MIN: usize = 1 << 12;

/// `is_valid_merkle_branch` (phase0 beacon-chain.md): whether `leaf` at position `index` of a
/// tree of depth `depth` hashes up `branch` to `root`.
pub fn is_valid_merkle_branch(
    leaf: B256,
    branch: &[B256],
    depth: usize,
    index: u64,
    root: B256,
) -> bool {
    if branch.len() != depth {
        return false;
    }
    let mut node = leaf;
    for (h, sibling) in branch.iter().enumerate() {
        node = if (index >> h) & 1 == 1 {
            hash_pair(sibling, &node)
        } else {
            hash_pair(&node, sibling)
        };
    }
    node == root
}

/// The root `leaf` reaches at generalized index `g` through `branch` (bottom-up siblings), or
/// `None` if the branch length is not the depth of `g`.
pub fn root_from_branch(leaf: B256, branch: &[B256], g: GeneralizedIndex) -> Option<B256> {
    let depth = gindex::depth(g)?;
    if branch.len() != depth {
        return None;
    }
    let mut node = leaf;
    let mut g = g;
    for sibling in branch {
        node = if g & 1 == 1 {
            hash_pair(sibling, &node)
        } else {
            hash_pair(&node, sibling)
        };
        g >>= 1;
    }
    Some(node)
}

/// `get_helper_indices` (ssz/merkle-proofs.md): the nodes a multiproof of `indices` must supply,
/// in decreasing order.
pub fn helper_indices(indices: &[GeneralizedIndex]) -> Vec<GeneralizedIndex> {
    let mut helpers = std::collections::BTreeSet::new();
    let mut paths = std::collections::BTreeSet::new();
    for &g in indices {
        let mut g = g;
        while g > 1 {
            helpers.insert(g ^ 1);
            paths.insert(g);
            g >>= 1;
        }
        paths.insert(1);
    }
    let mut out: Vec<GeneralizedIndex> = helpers.difference(&paths).copied().collect();
    out.reverse();
    out
}

/// `calculate_multi_merkle_root` (ssz/merkle-proofs.md): the root that `leaves` at `indices`
/// and the helper nodes `proof` (in [`helper_indices`] order) hash up to. `None` on mismatched
/// lengths or a node that is missing.
pub fn calculate_multi_merkle_root(
    leaves: &[B256],
    proof: &[B256],
    indices: &[GeneralizedIndex],
) -> Option<B256> {
    if leaves.len() != indices.len() {
        return None;
    }
    let helpers = helper_indices(indices);
    if proof.len() != helpers.len() {
        return None;
    }
    let mut objects: BTreeMap<GeneralizedIndex, B256> = BTreeMap::new();
    for (&g, &leaf) in indices.iter().zip(leaves) {
        objects.insert(g, leaf);
    }
    for (&g, &node) in helpers.iter().zip(proof) {
        objects.insert(g, node);
    }
    let mut keys: Vec<GeneralizedIndex> = objects.keys().copied().collect();
    keys.sort_unstable_by(|a, b| b.cmp(a));
    let mut pos = 0;
    while pos < keys.len() {
        let k = keys[pos];
        if k > 1 && !objects.contains_key(&(k / 2)) {
            if let (Some(left), Some(right)) = (
                objects.get(&(k & !1)).copied(),
                objects.get(&(k | 1)).copied(),
            ) {
                objects.insert(k / 2, hash_pair(&left, &right));
                keys.push(k / 2);
            }
        }
        pos += 1;
    }
    objects.get(&1).copied()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn progressive_tree_matches_merkleize_progressive_and_every_branch_verifies() {
        use lsv_consensus::progressive::merkleize_progressive;
        for n in [0u64, 1, 2, 5, 6, 21, 22, 85, 86, 100, 400] {
            let chunks: Vec<B256> = (0..n)
                .map(|c| B256::repeat_byte((c % 251) as u8 + 1))
                .collect();
            let flat: Vec<u8> = chunks.iter().flat_map(|c| c.0).collect();
            let tree = ProgressiveTree::list(chunks.clone(), n);
            let expected = hash_pair(&merkleize_progressive(&flat), &u64_chunk(n));
            assert_eq!(tree.root(), expected, "{n} chunks");
            for c in 0..n {
                let g = gindex::progressive::chunk(c).unwrap();
                let mut branch = tree.branch(c);
                assert_eq!(branch.len(), gindex::progressive::branch_len(c));
                branch.push(u64_chunk(n));
                assert_eq!(
                    root_from_branch(chunks[c as usize], &branch, g),
                    Some(expected)
                );
                assert_eq!(tree.node(g), Some(chunks[c as usize]), "node of chunk {c}");
                assert_eq!(tree.chunk(c), chunks[c as usize]);
            }
            assert_eq!(tree.node(3), Some(u64_chunk(n)));
            assert_eq!(tree.node(2), Some(merkleize_progressive(&flat)));
        }
    }
    use tree_hash::TreeHash;

    #[test]
    fn zero_hashes_match_tree_hash_padding() {
        // An empty List[uint64, 2^40] has data root ZERO[38] (2^38 chunks of 4 uint64).
        let empty: ssz_types::VariableList<u64, crate::preset::ValidatorRegistryLimit> =
            ssz_types::VariableList::empty();
        assert_eq!(
            empty.tree_hash_root(),
            hash_pair(&zero_hash(38), &u64_chunk(0))
        );
    }

    #[test]
    fn tree_of_few_leaves_matches_tree_hash_merkle_root() {
        for n in 0..20usize {
            let bytes: Vec<u8> = (0..n * 32).map(|i| (i * 7 + 1) as u8).collect();
            let leaves: Vec<B256> = bytes.chunks(32).map(B256::from_slice).collect();
            let tree = MerkleTree::new(leaves, 5);
            assert_eq!(
                tree.root(),
                tree_hash::merkle_root(&bytes, 32),
                "{n} leaves"
            );
            for i in 0..32u64 {
                let leaf = tree.at(0, i);
                assert!(is_valid_merkle_branch(
                    leaf,
                    &tree.branch(i),
                    5,
                    i,
                    tree.root()
                ));
            }
        }
    }

    proptest::proptest! {
        #[test]
        fn an_updated_tree_is_a_rebuilt_one(
            depth in 0usize..9,
            old in proptest::collection::vec(0u8..4, 0..300),
            new in proptest::collection::vec(0u8..4, 0..300),
        ) {
            let cap = 1usize << depth;
            let leaves = |v: &[u8]| -> Vec<B256> {
                v.iter().take(cap).map(|&b| B256::repeat_byte(b)).collect()
            };
            let (old, new) = (leaves(&old), leaves(&new));
            let updated = MerkleTree::new(old, depth).updated(new.clone());
            let rebuilt = MerkleTree::new(new, depth);
            proptest::prop_assert_eq!(&updated.layers, &rebuilt.layers);
        }
    }

    #[test]
    fn list_nodes_are_root_data_length_and_chunks() {
        let chunks: Vec<B256> = (0..5u8).map(|i| B256::repeat_byte(i + 1)).collect();
        let list = ListTree::new(chunks.clone(), 3, 17);
        assert_eq!(list.node(1), Some(list.root()));
        assert_eq!(list.node(2), Some(list.data().root()));
        assert_eq!(list.node(3), Some(u64_chunk(17)));
        assert_eq!(list.node(2 * 8 + 4), Some(chunks[4]));
        assert_eq!(list.node(2 * 8 + 6), Some(zero_hash(0)));
        assert_eq!(list.node(3 * 2), None);
        assert_eq!(list.node(2 * 16), None);
        assert_eq!(
            list.root(),
            hash_pair(&list.node(2).unwrap(), &list.node(3).unwrap())
        );
    }

    #[test]
    fn multiproof_of_one_leaf_is_the_branch() {
        let leaves: Vec<B256> = (0..6u8).map(|i| B256::repeat_byte(i + 1)).collect();
        let tree = MerkleTree::new(leaves, 3);
        let g = 8 + 5;
        assert_eq!(helper_indices(&[g]), vec![12, 7, 2]);
        let proof = tree.branch(5);
        assert_eq!(
            calculate_multi_merkle_root(&[tree.at(0, 5)], &proof, &[g]),
            Some(tree.root())
        );
    }
}
