//! Prints gas per call for the contracts, measured in the harness:
//! `cargo run -p lsv-contracts --example gas_report`.
//!
//! Gas is as a receipt reports it (21,000 + calldata included). Deposits alternate between
//! cheap and dear: the cost of an insert depends on how many tree levels it completes and on
//! whether it writes a fresh storage slot.

#![allow(unused_crate_dependencies)]

use lsv_contracts::artifacts::SYSTEM_CONTRACTS_PROBE;
use lsv_contracts::bindings::{DepositContract, SystemContractsProbe};
use lsv_contracts::{Chain, B256, U256};

fn main() {
    let mut chain = Chain::new();
    let operator = chain.account("operator");
    let deposit_contract = chain.deposit_contract();
    for i in 0..64u8 {
        let call = DepositContract::depositCall {
            pubkey: vec![i; 48].into(),
            withdrawal_credentials: vec![2u8; 32].into(),
            signature: vec![i; 96].into(),
            deposit_data_root: B256::ZERO,
        };
        // Ask the contract for the root it expects, then send it: the revert carries it.
        let value = U256::from(32u64) * U256::from(10u64).pow(U256::from(18u64));
        let probe = chain
            .call(
                operator,
                deposit_contract,
                alloy_sol_types::SolCall::abi_encode(&call),
                value,
            )
            .expect("valid call");
        let Some(DepositContract::DepositContractErrors::DepositDataRootMismatch(e)) =
            probe.revert_error()
        else {
            panic!("expected the root mismatch: {probe}");
        };
        let call = DepositContract::depositCall {
            deposit_data_root: e.computed,
            ..call
        };
        chain
            .send(operator, deposit_contract, &call, value)
            .expect("valid transaction")
            .expect_success();
    }

    let probe = chain.deploy(&SYSTEM_CONTRACTS_PROBE, &[]).expect("deploys");
    chain.next_block(B256::repeat_byte(1));
    for _ in 0..4 {
        chain
            .send(
                operator,
                probe,
                &SystemContractsProbe::requestWithdrawalCall {
                    pubkey: vec![0xab; 48].into(),
                    amountGwei: 0,
                    maxFee: U256::from(1_000),
                },
                U256::from(1_000),
            )
            .expect("valid transaction")
            .expect_success();
    }
    // The same request straight from an EOA: the predeploy's own cost.
    for _ in 0..4 {
        let input = [[0xab; 48].as_slice(), &0u64.to_be_bytes()].concat();
        chain
            .transact(
                operator,
                alloy_eips::eip7002::WITHDRAWAL_REQUEST_PREDEPLOY_ADDRESS,
                input,
                U256::from(1),
            )
            .expect("valid transaction")
            .expect_success();
    }
    chain.next_block(B256::repeat_byte(2));

    chain.gas_report().print();
}
