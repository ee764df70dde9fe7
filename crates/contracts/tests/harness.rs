//! The harness itself: Osaka rules (new opcode and precompiles, EIP-7825 cap), transactions as
//! a client includes them, snapshots, the gas report.

#![allow(unused_crate_dependencies)]

mod common;

use common::*;
use lsv_contracts::artifacts::SYSTEM_CONTRACTS_PROBE;
use lsv_contracts::bindings::SystemContractsProbe;
use lsv_contracts::{Address, Bytes, Chain, ChainError, Status, TxRequest, B256, U256};

#[test]
fn transactions_above_the_eip7825_cap_are_rejected() {
    let mut chain = Chain::new();
    let alice = chain.account("alice");
    let bob = chain.account("bob");
    assert_eq!(Chain::TX_GAS_LIMIT_CAP, 1 << 24);
    let mut tx = TxRequest::new(alice, Some(bob), Bytes::new(), U256::from(1));
    tx.gas_limit = Chain::TX_GAS_LIMIT_CAP + 1;
    assert!(matches!(
        chain.submit(tx.clone()),
        Err(ChainError::Rejected(_))
    ));
    assert_eq!(
        chain.nonce(alice),
        0,
        "a rejected transaction is not included"
    );
    tx.gas_limit = Chain::TX_GAS_LIMIT_CAP;
    let receipt = chain.submit(tx).unwrap().expect_success();
    assert_eq!(receipt.gas_used, 21_000);
    assert_eq!(chain.nonce(alice), 1);
}

#[test]
fn the_clz_opcode_runs() {
    // EIP-7939 (Osaka): CLZ (0x1e). PUSH1 1, CLZ, PUSH0, MSTORE, PUSH1 32, PUSH0, RETURN.
    let mut chain = Chain::new();
    let code = Address::repeat_byte(0xc1);
    chain.set_code(
        code,
        Bytes::from_static(&[0x60, 0x01, 0x1e, 0x5f, 0x52, 0x60, 0x20, 0x5f, 0xf3]),
    );
    let receipt = chain
        .call(Address::ZERO, code, Vec::new(), U256::ZERO)
        .unwrap();
    assert_eq!(
        U256::from_be_slice(&receipt.expect_success().output),
        U256::from(255)
    );
}

#[test]
fn the_p256verify_precompile_accepts_a_valid_signature() {
    // EIP-7951 (Osaka): P256VERIFY at 0x100, input hash ‖ r ‖ s ‖ qx ‖ qy, output 1 as a word.
    use p256::ecdsa::signature::hazmat::PrehashSigner;
    use p256::ecdsa::{Signature, SigningKey};
    let key = SigningKey::from_bytes(&[7u8; 32].into()).unwrap();
    let hash = [0x42u8; 32];
    let signature: Signature = key.sign_prehash(&hash).unwrap();
    let point = key.verifying_key().to_encoded_point(false);
    let input = [
        hash.as_slice(),
        signature.r().to_bytes().as_slice(),
        signature.s().to_bytes().as_slice(),
        point.x().unwrap().as_slice(),
        point.y().unwrap().as_slice(),
    ]
    .concat();
    let chain = Chain::new();
    let precompile = Address::left_padding_from(&[0x01, 0x00]);
    let ok = chain
        .call(Address::ZERO, precompile, input.clone(), U256::ZERO)
        .unwrap();
    assert_eq!(
        U256::from_be_slice(&ok.expect_success().output),
        U256::from(1)
    );
    let mut tampered = input;
    tampered[0] ^= 1;
    let bad = chain
        .call(Address::ZERO, precompile, tampered, U256::ZERO)
        .unwrap();
    assert!(bad.expect_success().output.is_empty());
}

#[test]
fn the_bls12_381_precompiles_are_live() {
    // EIP-2537 (Prague): BLS12_G1ADD at 0x0b; two points at infinity (all zeros) add to it.
    let chain = Chain::new();
    let g1add = Address::with_last_byte(0x0b);
    let receipt = chain
        .call(Address::ZERO, g1add, vec![0u8; 256], U256::ZERO)
        .unwrap()
        .expect_success();
    assert_eq!(receipt.output.as_ref(), &[0u8; 128]);
}

#[test]
fn a_reverted_transaction_is_included_and_rejected_ones_are_not() {
    let mut chain = Chain::new();
    let alice = chain.account("alice");
    let to = chain.deposit_contract();
    let receipt = chain.transact(alice, to, Vec::new(), ether(1)).unwrap();
    assert_eq!(receipt.status, Status::Revert);
    assert_eq!(chain.nonce(alice), 1);
    assert!(receipt.gas_used > 21_000);
    // More value than the balance: rejected, nonce unchanged.
    let poor = Address::repeat_byte(0x99);
    chain.set_balance(poor, U256::from(10));
    let err = chain
        .transact(poor, alice, Vec::new(), U256::from(11))
        .unwrap_err();
    assert!(matches!(err, ChainError::Rejected(_)), "{err}");
    assert_eq!(chain.nonce(poor), 0);
    // A sender with code is rejected (EIP-3607).
    let err = chain
        .transact(to, alice, Vec::new(), U256::ZERO)
        .unwrap_err();
    assert!(matches!(err, ChainError::Rejected(_)), "{err}");
}

#[test]
fn blocks_advance_by_slot_and_missed_slots_skip_time() {
    let mut chain = Chain::new();
    assert_eq!(chain.block_number(), 1);
    assert_eq!(chain.slot(), 1);
    assert_eq!(
        chain.timestamp(),
        Chain::GENESIS_TIME + Chain::SECONDS_PER_SLOT
    );
    chain.next_block(B256::ZERO);
    chain.next_block_after(3, B256::ZERO);
    assert_eq!(chain.block_number(), 3);
    assert_eq!(chain.slot(), 6);
    assert_eq!(
        chain.timestamp(),
        Chain::GENESIS_TIME + 6 * Chain::SECONDS_PER_SLOT
    );
    assert_eq!(chain.last_requests().block_number, 2);
}

#[test]
fn a_clone_is_a_snapshot() {
    let mut chain = Chain::new();
    let alice = chain.account("alice");
    let snapshot = chain.clone();
    deposit(&mut chain, alice, &deposit_data(1, 32 * GWEI)).expect_success();
    assert_eq!(contract_root_and_count(&chain).1, 1);
    assert_eq!(contract_root_and_count(&snapshot).1, 0);
    assert_eq!(snapshot.balance(alice), Chain::ACCOUNT_FUNDS);
}

#[test]
fn the_gas_report_labels_calls_by_contract_and_function() {
    let mut chain = Chain::new();
    let alice = chain.account("alice");
    for i in 0..3 {
        deposit(&mut chain, alice, &deposit_data(i, 32 * GWEI)).expect_success();
    }
    // A reverted call is not recorded.
    let to = chain.deposit_contract();
    chain.transact(alice, to, Vec::new(), ether(1)).unwrap();
    let probe = chain.deploy(&SYSTEM_CONTRACTS_PROBE, &[]).unwrap();
    chain
        .send(
            alice,
            probe,
            &SystemContractsProbe::requestWithdrawalCall {
                pubkey: vec![1u8; 48].into(),
                amountGwei: 0,
                maxFee: U256::from(10),
            },
            U256::from(10),
        )
        .unwrap()
        .expect_success();

    let report = chain.gas_report();
    let deposits = report.row("DepositContract.deposit").unwrap();
    assert_eq!(deposits.calls, 3);
    assert!(report.row("SystemContractsProbe.constructor").is_some());
    assert!(report
        .row("SystemContractsProbe.requestWithdrawal")
        .is_some());
    assert_eq!(report.rows().count(), 3, "{report}");
}
