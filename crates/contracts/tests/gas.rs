//! Gas of the deposit contract, printed as a report (`cargo test -p lsv-contracts --test gas --
//! --nocapture`) and held to the range of mainnet's deposit contract.

#![allow(unused_crate_dependencies)]

mod common;

use common::*;
use lsv_contracts::Chain;

#[test]
fn deposit_gas_stays_in_mainnets_range() {
    let mut chain = Chain::new();
    let operator = chain.account("operator");
    for i in 0..64u8 {
        deposit(&mut chain, operator, &deposit_data(i, 32 * GWEI)).expect_success();
    }
    let report = chain.gas_report();
    report.print();
    let deposits = report.row("DepositContract.deposit").unwrap();
    assert_eq!(deposits.calls, 64);
    // The first deposit writes two fresh slots (count and branch[0]); later ones mostly
    // overwrite, and hash one SHA-256 pair per tree level they complete.
    assert!(deposits.max < 85_000, "{deposits:?}");
    assert!(deposits.mean < 52_000, "{deposits:?}");
    assert!(deposits.min > 40_000, "{deposits:?}");
}
