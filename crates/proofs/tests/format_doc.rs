//! FORMAT.md is what the Solidity verifier is written from, so the numbers in it are checked
//! here: the zero-hash table and the byte offsets of the layout table.

#![allow(unused_crate_dependencies)]

mod common;

use common::*;
use lsv_proofs::merkle::zero_hash;
use lsv_proofs::{ListPart, ProofParts};

fn format_md() -> String {
    std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/FORMAT.md")).unwrap()
}

#[test]
fn the_zero_hash_table_is_right() {
    let doc = format_md();
    let rows: Vec<(usize, String)> = doc
        .lines()
        .filter_map(|l| {
            let cells: Vec<&str> = l.split('|').map(str::trim).collect();
            let h = cells.get(1)?.parse().ok()?;
            let z = cells.get(2)?.strip_prefix('`')?.strip_suffix('`')?;
            z.starts_with("0x").then(|| (h, z.to_owned()))
        })
        .collect();
    assert_eq!(rows.len(), 40);
    for (expected_h, (h, z)) in rows.iter().enumerate() {
        assert_eq!(*h, expected_h);
        assert_eq!(*z, format!("{}", zero_hash(*h)), "ZERO[{h}]");
    }
}

#[test]
fn the_byte_offsets_are_right() {
    let prover = mainnet_prover();
    let p = prover
        .validator_proof(&header_for(prover), 201, ProofParts::ALL)
        .unwrap();
    let b = p.to_bytes();
    let at = |o: usize, n: usize| &b[o..o + n];
    assert_eq!(b[0], 1);
    assert_eq!(b[1], 3);
    assert_eq!(at(2, 32), p.header_branch[0].as_slice());
    assert_eq!(at(34, 32), p.header_branch[1].as_slice());
    assert_eq!(at(66, 32), p.header_branch[2].as_slice());
    assert_eq!(at(98, 8), p.slot.as_u64().to_le_bytes());
    assert_eq!(at(106, 4), p.fork.previous_version.0);
    assert_eq!(at(110, 4), p.fork.current_version.0);
    assert_eq!(at(114, 8), p.fork.epoch.as_u64().to_le_bytes());
    for k in 0..10 {
        assert_eq!(at(122 + 32 * k, 32), p.state_branch[k].as_slice());
    }
    let v = &p.validator;
    assert_eq!(at(442, 48), v.pubkey.0);
    assert_eq!(at(490, 32), v.withdrawal_credentials.as_slice());
    assert_eq!(at(522, 8), v.effective_balance.as_u64().to_le_bytes());
    assert_eq!(b[530], u8::from(v.slashed));
    assert_eq!(
        at(531, 8),
        v.activation_eligibility_epoch.as_u64().to_le_bytes()
    );
    assert_eq!(at(539, 8), v.activation_epoch.as_u64().to_le_bytes());
    assert_eq!(at(547, 8), v.exit_epoch.as_u64().to_le_bytes());
    assert_eq!(at(555, 8), v.withdrawable_epoch.as_u64().to_le_bytes());
    assert_eq!(at(563, 8), 256u64.to_le_bytes());
    let d_v = b[571] as usize;
    assert_eq!(d_v, p.validator_branch.siblings.len());
    let o_b = 572 + 32 * d_v;
    let ListPart::Proven { chunk, branch } = &p.balance else {
        panic!()
    };
    assert_eq!(at(o_b, 32), chunk.as_slice());
    assert_eq!(at(o_b + 32, 8), branch.length.to_le_bytes());
    assert_eq!(b[o_b + 40] as usize, branch.siblings.len());
    // balances[201] is the second uint64 of chunk 50.
    assert_eq!(
        at(o_b + 8, 8),
        prover.state().balances()[201].as_u64().to_le_bytes()
    );
    let o_i = o_b + 41 + 32 * branch.siblings.len();
    let ListPart::Proven { chunk, branch } = &p.inactivity_score else {
        panic!()
    };
    assert_eq!(at(o_i, 32), chunk.as_slice());
    assert_eq!(b.len(), o_i + 41 + 32 * branch.siblings.len());
}
