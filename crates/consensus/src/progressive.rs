//! Progressive merkleization: the tree shape Gloas gives its growing types (EIP-7916
//! `ProgressiveList` and `ProgressiveBitlist`, EIP-7495 `ProgressiveContainer`;
//! `ssz/simple-serialize.md`, "Merkleization").
//!
//! `tree_hash` 0.12 has no progressive types yet, so this module composes its `merkle_root`
//! (every binary subtree and every pair hash is computed there) with the spec's recursion, which
//! is all that is new:
//!
//! ```text
//! merkleize_progressive(chunks, num_leaves=1):
//!     if len(chunks) == 0: return Bytes32()
//!     a = merkleize(chunks[:num_leaves], num_leaves)
//!     b = merkleize_progressive(chunks[num_leaves:], num_leaves * 4)
//!     return hash(a, b)
//! ```
//!
//! Subtrees hold 1, 4, 16, 64, … chunks, the data on the left and the rest on the right, so a
//! chunk's generalized index never moves as the list grows. The roots are checked against the
//! executable spec's own (`tests/ssz_static_vectors.rs`, Gloas cases).

use alloy_primitives::B256;
use tree_hash::{merkle_root, BYTES_PER_CHUNK};

/// `merkleize_progressive(chunks)` of `bytes` cut into 32-byte chunks (the last one
/// zero-padded).
pub fn merkleize_progressive(bytes: &[u8]) -> B256 {
    merkleize_progressive_from(bytes, 1)
}

fn merkleize_progressive_from(bytes: &[u8], num_leaves: usize) -> B256 {
    if bytes.is_empty() {
        return B256::ZERO;
    }
    let split = bytes.len().min(num_leaves.saturating_mul(BYTES_PER_CHUNK));
    let (left, rest) = bytes.split_at(split);
    let a = merkle_root(left, num_leaves);
    let b = merkleize_progressive_from(rest, num_leaves.saturating_mul(4));
    hash_pair(a, b)
}

/// `hash(a, b)`: the root of the two-leaf tree.
fn hash_pair(a: B256, b: B256) -> B256 {
    let mut pair = [0u8; 2 * BYTES_PER_CHUNK];
    pair[..BYTES_PER_CHUNK].copy_from_slice(a.as_slice());
    pair[BYTES_PER_CHUNK..].copy_from_slice(b.as_slice());
    merkle_root(&pair, 2)
}

/// `hash_tree_root` of a `ProgressiveContainer(active_fields)` whose active fields have the roots
/// `field_roots` (EIP-7495): `mix_in_active_fields(merkleize_progressive(field_roots),
/// active_fields)`, the active-fields bitvector packed into one chunk. `active_fields` has one
/// entry per field position (at most 256), `field_roots` one per active field.
pub fn progressive_container_root(field_roots: &[B256], active_fields: &[bool]) -> B256 {
    debug_assert_eq!(
        field_roots.len(),
        active_fields.iter().filter(|a| **a).count(),
        "one root per active field"
    );
    debug_assert!(active_fields.len() <= 256, "EIP-7495: at most 256 fields");
    // Inactive positions take a zero chunk, so that every field keeps its position's gindex.
    let mut chunks = Vec::with_capacity(active_fields.len() * BYTES_PER_CHUNK);
    let mut roots = field_roots.iter();
    for active in active_fields {
        match if *active { roots.next() } else { None } {
            Some(root) => chunks.extend_from_slice(root.as_slice()),
            None => chunks.extend_from_slice(&[0u8; BYTES_PER_CHUNK]),
        }
    }
    let mut bits = [0u8; BYTES_PER_CHUNK];
    for (i, active) in active_fields.iter().enumerate().take(256) {
        if *active {
            bits[i / 8] |= 1 << (i % 8);
        }
    }
    hash_pair(merkleize_progressive(&chunks), B256::from(bits))
}

/// `hash_tree_root` of a `ProgressiveBitlist` of `len` bits packed in `bytes` (the bits without
/// the SSZ length bit, as `ssz_types::BitList::as_slice` gives them) (EIP-7916):
/// `mix_in_length(merkleize_progressive(pack_bits(bits)), len)`.
pub fn progressive_bitlist_root(bytes: &[u8], len: usize) -> B256 {
    // `pack_bits` makes ceil(len / 8) bytes: none for an empty list (a bit field's storage
    // keeps a byte even then).
    let packed = &bytes[..len.div_ceil(8).min(bytes.len())];
    tree_hash::mix_in_length(&merkleize_progressive(packed), len)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chunk(n: u8) -> [u8; 32] {
        [n; 32]
    }

    #[test]
    fn empty_is_the_zero_chunk_and_one_chunk_is_hashed_with_zero() {
        assert_eq!(merkleize_progressive(&[]), B256::ZERO);
        let one = chunk(7);
        assert_eq!(
            merkleize_progressive(&one),
            hash_pair(B256::from(one), B256::ZERO)
        );
    }

    #[test]
    fn the_second_level_holds_four_chunks_and_the_third_starts_at_the_sixth() {
        let chunks: Vec<u8> = (1..=6).flat_map(chunk).collect();
        let c = |i: usize| &chunks[(i - 1) * 32..i * 32];
        // Level 0: chunk 1; level 1: chunks 2-5 (four leaves); level 2: chunk 6 of sixteen.
        let level2 = hash_pair(merkle_root(c(6), 16), B256::ZERO);
        let level1 = hash_pair(merkle_root(&chunks[32..160], 4), level2);
        let expected = hash_pair(B256::from_slice(c(1)), level1);
        assert_eq!(merkleize_progressive(&chunks), expected);
    }

    #[test]
    fn a_partial_last_chunk_is_zero_padded() {
        let mut padded = [0u8; 32];
        padded[..3].copy_from_slice(&[1, 2, 3]);
        assert_eq!(
            merkleize_progressive(&[1, 2, 3]),
            merkleize_progressive(&padded)
        );
    }

    #[test]
    fn an_empty_bitlist_has_no_chunks_whatever_its_storage() {
        assert_eq!(
            progressive_bitlist_root(&[0], 0),
            tree_hash::mix_in_length(&B256::ZERO, 0)
        );
    }

    #[test]
    fn inactive_fields_keep_their_positions() {
        let a = B256::repeat_byte(1);
        let b = B256::repeat_byte(2);
        let with_gap = progressive_container_root(&[a, b], &[true, false, true]);
        let mut chunks = Vec::new();
        chunks.extend_from_slice(a.as_slice());
        chunks.extend_from_slice(&[0; 32]);
        chunks.extend_from_slice(b.as_slice());
        let mut bits = [0u8; 32];
        bits[0] = 0b101;
        assert_eq!(
            with_gap,
            hash_pair(merkleize_progressive(&chunks), B256::from(bits))
        );
    }
}
