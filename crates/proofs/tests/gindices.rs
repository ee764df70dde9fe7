//! The documented generalized indices (gindex.rs, FORMAT.md, DESIGN.md "Proofs") against their
//! derivation from the containers' shapes (`ssz/merkle-proofs.md`), and the multiproof helper
//! nodes against the spec's `get_helper_indices`.

#![allow(unused_crate_dependencies)]

use lsv_proofs::gindex::{self, field, GeneralizedIndex};
use lsv_proofs::merkle::helper_indices;

/// `get_generalized_index` by hand: a container of `n` fields puts field `f` at `leaf(depth, f)`
/// with depth `ceil(log2(n))`; a list of limit `chunks` puts chunk `c` under child 2 at depth
/// `log2(chunks)`.
fn container_field(n_fields: u64, f: u64) -> GeneralizedIndex {
    let depth = n_fields.next_power_of_two().trailing_zeros() as usize;
    gindex::leaf(depth, f)
}
fn list_chunk(chunk_limit: u64, c: u64) -> GeneralizedIndex {
    assert!(chunk_limit.is_power_of_two());
    gindex::concat(2, gindex::leaf(chunk_limit.trailing_zeros() as usize, c)).unwrap()
}
fn path(steps: &[GeneralizedIndex]) -> GeneralizedIndex {
    steps
        .iter()
        .fold(1, |acc, &s| gindex::concat(acc, s).unwrap())
}

const REGISTRY_LIMIT: u64 = 1 << 40;

#[test]
fn state_root_is_header_gindex_11() {
    assert_eq!(container_field(5, 3), 11);
    assert_eq!(gindex::HEADER_STATE_ROOT, 11);
    assert_eq!(gindex::depth(11), Some(gindex::HEADER_DEPTH));
}

#[test]
fn state_fields_are_64_plus_f_in_electra_and_fulu() {
    for f in 0..37u64 {
        assert_eq!(container_field(37, f), 64 + f);
        assert_eq!(
            container_field(38, f),
            64 + f,
            "Fulu keeps field {f} in place"
        );
        assert_eq!(gindex::state_field(f as usize), 64 + f);
        assert_eq!(gindex::block_state_field(f as usize), path(&[11, 64 + f]));
        assert_eq!(gindex::block_state_field(f as usize), 704 + f);
    }
    assert_eq!(gindex::STATE_GENESIS_VALIDATORS_ROOT, 65);
    assert_eq!(gindex::STATE_VALIDATORS, 75);
    assert_eq!(gindex::STATE_BALANCES, 76);
    assert_eq!(gindex::STATE_INACTIVITY_SCORES, 85);
    assert_eq!(gindex::state_field(field::PROPOSER_LOOKAHEAD), 101);
}

#[test]
fn validator_i_from_the_block_root_is_1430_times_2_pow_40_plus_i() {
    for i in [0u64, 1, 7, 255, 1_000_000, REGISTRY_LIMIT - 1] {
        let derived = path(&[11, container_field(37, 11), list_chunk(REGISTRY_LIMIT, i)]);
        assert_eq!(derived, 1430 * (1u64 << 40) + i);
        assert_eq!(gindex::block_validator(i), derived);
        assert_eq!(gindex::depth(derived), Some(50));
        // From the state root: 150·2^40 + i, depth 47 (the vectors' 164926744166400 + i).
        assert_eq!(
            path(&[container_field(37, 11), list_chunk(REGISTRY_LIMIT, i)]),
            gindex::STATE_VALIDATOR_0 + i
        );
    }
    assert_eq!(gindex::STATE_VALIDATOR_0, 164_926_744_166_400);
    // A validator's fields: 8 leaves under validators[i], depth 53 from the block root.
    assert_eq!(
        gindex::block_validator(7) * 8 + 6,
        path(&[gindex::block_validator(7), container_field(8, 6)])
    );
    assert_eq!(gindex::depth(gindex::block_validator(7) * 8), Some(53));
}

#[test]
fn balance_and_inactivity_chunks_from_the_block_root() {
    let chunk_limit = REGISTRY_LIMIT / 4;
    for i in [0u64, 3, 4, 7, 1_000_001, REGISTRY_LIMIT - 1] {
        let balances = path(&[11, container_field(37, 12), list_chunk(chunk_limit, i / 4)]);
        assert_eq!(balances, 1432 * (1u64 << 38) + i / 4);
        assert_eq!(gindex::block_balance_chunk(i), balances);
        let inactivity = path(&[11, container_field(37, 21), list_chunk(chunk_limit, i / 4)]);
        assert_eq!(inactivity, 1450 * (1u64 << 38) + i / 4);
        assert_eq!(gindex::block_inactivity_chunk(i), inactivity);
        assert_eq!(gindex::depth(balances), Some(48));
        assert_eq!(gindex::depth(inactivity), Some(48));
    }
    // The vectors' balances_3: 152·2^38 from the state root.
    assert_eq!(
        path(&[container_field(37, 12), list_chunk(chunk_limit, 0)]),
        41_781_441_855_488
    );
}

#[test]
fn the_witness_node_covers_fields_0_to_3() {
    // Node 16 is the parent of 32 (fields 0, 1) and 33 (fields 2, 3).
    assert_eq!(gindex::STATE_WITNESS, 16);
    for f in 0..4 {
        assert_eq!(gindex::state_field(f) >> 2, gindex::STATE_WITNESS);
    }
    assert_eq!(gindex::state_field(4) >> 2, 17);
    assert_eq!(gindex::BLOCK_WITNESS, path(&[11, 16]));
}

#[test]
fn the_helper_nodes_are_the_spec_helper_indices() {
    let leaves = [
        gindex::STATE_WITNESS,
        gindex::STATE_VALIDATORS,
        gindex::STATE_BALANCES,
        gindex::STATE_INACTIVITY_SCORES,
    ];
    assert_eq!(helper_indices(&leaves), gindex::STATE_HELPERS);
    assert_eq!(
        helper_indices(&[gindex::HEADER_STATE_ROOT]),
        gindex::HEADER_HELPERS
    );
    // Separate branches for the four would need 4 + 6 + 6 + 6 = 22 nodes; the multiproof 10.
    assert_eq!(gindex::STATE_HELPERS.len(), 10);
}

#[test]
fn concat_and_split_are_inverse() {
    let g = gindex::block_validator(12345);
    let (top, below) = gindex::split(g, 3).unwrap();
    assert_eq!(top, 11);
    assert_eq!(gindex::concat(top, below), Some(g));
    assert_eq!(gindex::split(11, 3), None);
    assert_eq!(gindex::depth(0), None);
    assert_eq!(gindex::depth(1), Some(0));
}
