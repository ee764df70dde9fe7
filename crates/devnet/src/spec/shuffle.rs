//! The swap-or-not shuffle: `compute_shuffled_permutation` (phase0 "Misc", in the list form the
//! 1.7 spec defines `compute_shuffled_index` by), and the committees and samplings built on it.

use alloy_primitives::B256;
use sha2::{Digest, Sha256};

/// `compute_shuffled_permutation(index_count, seed)` for `rounds` rounds
/// (`SHUFFLE_ROUND_COUNT`): `compute_shuffled_index(i, index_count, seed)` is element `i`.
///
/// Each round's pivot is `hash(seed ‖ round)[0:8] % n`; each position's bit comes from
/// `hash(seed ‖ round ‖ position // 256)`, hashed once per 256-position bucket and round.
pub fn compute_shuffled_permutation(index_count: u64, seed: &B256, rounds: u8) -> Vec<u64> {
    let n = index_count;
    let mut indices: Vec<u64> = (0..n).collect();
    if n == 0 {
        return indices;
    }
    let buckets = n.div_ceil(256) as usize;
    let mut sources: Vec<Option<[u8; 32]>> = vec![None; buckets];
    for round in 0..rounds {
        let pivot = {
            let h = Sha256::new()
                .chain_update(seed)
                .chain_update([round])
                .finalize();
            u64::from_le_bytes(h[..8].try_into().expect("8 bytes")) % n
        };
        sources.iter_mut().for_each(|s| *s = None);
        for index in indices.iter_mut() {
            let flip = (pivot + n - *index) % n;
            let position = (*index).max(flip);
            let bucket = (position / 256) as usize;
            let source = sources[bucket].get_or_insert_with(|| {
                Sha256::new()
                    .chain_update(seed)
                    .chain_update([round])
                    .chain_update((bucket as u32).to_le_bytes())
                    .finalize()
                    .into()
            });
            let byte = source[((position % 256) / 8) as usize];
            if (byte >> (position % 8)) & 1 == 1 {
                *index = flip;
            }
        }
    }
    indices
}

/// `compute_committee(indices, seed, index, count)` given the permutation of `indices`
/// (`compute_shuffled_permutation(len(indices), seed)`): the `index`-th of `count` committees.
pub fn compute_committee(indices: &[u64], permutation: &[u64], index: u64, count: u64) -> Vec<u64> {
    let n = indices.len() as u64;
    let start = n * index / count;
    let end = n * (index + 1) / count;
    (start..end)
        .map(|i| indices[permutation[i as usize] as usize])
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_permutation_is_a_permutation() {
        for n in [1u64, 2, 7, 255, 256, 257, 1000] {
            let mut p = compute_shuffled_permutation(n, &B256::repeat_byte(n as u8), 10);
            p.sort_unstable();
            assert_eq!(p, (0..n).collect::<Vec<_>>());
        }
    }
}
