//! The real EIP-4788 and EIP-7002 system contracts, driven the way a client drives them: the
//! beacon root is readable at the block's timestamp right after `next_block`, and withdrawal
//! requests queued in a block come out of the dequeue call at its end.

#![allow(unused_crate_dependencies)]

mod common;

use alloy_eips::{eip4788, eip7002};
use common::*;
use lsv_contracts::artifacts::SYSTEM_CONTRACTS_PROBE;
use lsv_contracts::bindings::SystemContractsProbe::{
    self, SystemContractsProbeErrors, WithdrawalRequested,
};
use lsv_contracts::{Address, Bytes, Chain, WithdrawalRequest, B256, U256};

const PUBKEY: [u8; 48] = [0xab; 48];

/// `get(timestamp)` on the beacon-roots contract, as an `eth_call` from an EOA.
fn beacon_root(chain: &Chain, timestamp: u64) -> Option<B256> {
    let receipt = chain
        .call(
            Address::repeat_byte(0x11),
            eip4788::BEACON_ROOTS_ADDRESS,
            U256::from(timestamp).to_be_bytes::<32>().to_vec(),
            U256::ZERO,
        )
        .unwrap();
    receipt
        .is_success()
        .then(|| B256::from_slice(&receipt.output))
}

/// The EIP-7002 fee: an empty call to the predeploy returns it as one word.
fn withdrawal_fee(chain: &Chain) -> U256 {
    let receipt = chain
        .call(
            Address::repeat_byte(0x11),
            eip7002::WITHDRAWAL_REQUEST_PREDEPLOY_ADDRESS,
            Vec::new(),
            U256::ZERO,
        )
        .unwrap()
        .expect_success();
    U256::from_be_slice(&receipt.output)
}

/// EIP-7002 input: pubkey (48) ‖ amount (uint64, big-endian).
fn request_input(pubkey: &[u8; 48], amount_gwei: u64) -> Bytes {
    [pubkey.as_slice(), &amount_gwei.to_be_bytes()]
        .concat()
        .into()
}

#[test]
fn the_parent_beacon_root_is_readable_at_the_block_timestamp() {
    let mut chain = Chain::new();
    let probe = chain.deploy(&SYSTEM_CONTRACTS_PROBE, &[]).unwrap();
    for i in 1..=5u8 {
        let root = B256::repeat_byte(i);
        chain.next_block(root);
        let now = chain.timestamp();
        assert_eq!(beacon_root(&chain, now), Some(root));
        let via_contract = chain
            .view(
                probe,
                &SystemContractsProbe::beaconRootCall {
                    timestamp: U256::from(now),
                },
            )
            .unwrap();
        assert_eq!(via_contract, root);
        // Earlier blocks keep theirs.
        assert_eq!(
            beacon_root(&chain, now - Chain::SECONDS_PER_SLOT),
            Some(B256::repeat_byte(i - 1)) // block 1 opened with a zero root
        );
    }
}

#[test]
fn unknown_timestamps_revert() {
    let mut chain = Chain::new();
    let probe = chain.deploy(&SYSTEM_CONTRACTS_PROBE, &[]).unwrap();
    chain.next_block(B256::repeat_byte(1));
    // Two missed slots: their timestamps have no root.
    chain.next_block_after(2, B256::repeat_byte(2));
    let now = chain.timestamp();
    assert_eq!(beacon_root(&chain, now), Some(B256::repeat_byte(2)));
    let missed = [
        now - Chain::SECONDS_PER_SLOT,
        now - 2 * Chain::SECONDS_PER_SLOT,
    ];
    for timestamp in missed
        .into_iter()
        .chain([now + Chain::SECONDS_PER_SLOT, now + 1, 0])
    {
        assert_eq!(
            beacon_root(&chain, timestamp),
            None,
            "timestamp {timestamp}"
        );
        let err = chain
            .view(
                probe,
                &SystemContractsProbe::beaconRootCall {
                    timestamp: U256::from(timestamp),
                },
            )
            .unwrap_err();
        match err.revert_error::<SystemContractsProbeErrors>() {
            Some(SystemContractsProbeErrors::BeaconRootUnavailable(e)) => {
                assert_eq!(e.timestamp, U256::from(timestamp))
            }
            other => panic!("timestamp {timestamp}: {other:?}"),
        }
    }
}

#[test]
fn a_root_is_overwritten_8191_timestamps_later() {
    // HISTORY_BUFFER_LENGTH = 8191 (EIP-4788): a block 8191 slots later (8191 * 12 s, the same
    // ring index) replaces the root, and the old timestamp reverts.
    let mut chain = Chain::new();
    chain.next_block(B256::repeat_byte(1));
    let old = chain.timestamp();
    chain.next_block_after(8190, B256::repeat_byte(2));
    assert_eq!(chain.timestamp() - old, 8191 * Chain::SECONDS_PER_SLOT);
    assert_eq!(
        beacon_root(&chain, chain.timestamp()),
        Some(B256::repeat_byte(2))
    );
    assert_eq!(beacon_root(&chain, old), None);
}

#[test]
fn a_request_from_an_eoa_is_dequeued_after_its_block() {
    let mut chain = Chain::new();
    let owner = chain.account("owner");
    let fee = withdrawal_fee(&chain);
    assert_eq!(fee, U256::from(1)); // MIN_WITHDRAWAL_REQUEST_FEE with no excess
    let before = chain.balance(owner);
    chain
        .transact(
            owner,
            eip7002::WITHDRAWAL_REQUEST_PREDEPLOY_ADDRESS,
            request_input(&PUBKEY, 0),
            fee,
        )
        .unwrap()
        .expect_success();
    chain
        .transact(
            owner,
            eip7002::WITHDRAWAL_REQUEST_PREDEPLOY_ADDRESS,
            request_input(&PUBKEY, 5 * GWEI),
            fee,
        )
        .unwrap()
        .expect_success();
    assert_eq!(before - chain.balance(owner), fee * U256::from(2));
    assert!(chain.dequeued_withdrawal_requests().is_empty());

    let requests = chain.next_block(B256::repeat_byte(1)).withdrawals.clone();
    let expected = |amount| WithdrawalRequest {
        source_address: owner,
        validator_pubkey: PUBKEY.into(),
        amount,
    };
    assert_eq!(requests, vec![expected(0), expected(5 * GWEI)]);
    assert_eq!(chain.dequeued_withdrawal_requests(), &requests[..]);
    // Dequeued once only.
    assert!(chain
        .next_block(B256::repeat_byte(2))
        .withdrawals
        .is_empty());
}

#[test]
fn an_underpaid_request_is_refused_by_the_predeploy() {
    let mut chain = Chain::new();
    let owner = chain.account("owner");
    let receipt = chain
        .transact(
            owner,
            eip7002::WITHDRAWAL_REQUEST_PREDEPLOY_ADDRESS,
            request_input(&PUBKEY, 0),
            U256::ZERO,
        )
        .unwrap();
    assert!(!receipt.is_success());
    assert!(chain.next_block(B256::ZERO).withdrawals.is_empty());
}

#[test]
fn a_full_exit_from_a_contract_pays_the_read_fee_and_refunds_the_rest() {
    let mut chain = Chain::new();
    let owner = chain.account("owner");
    let probe = chain.deploy(&SYSTEM_CONTRACTS_PROBE, &[]).unwrap();
    let fee = chain
        .view(probe, &SystemContractsProbe::withdrawalFeeCall {})
        .unwrap();
    assert_eq!(fee, withdrawal_fee(&chain));

    let before = chain.balance(owner);
    let sent = U256::from(1_000_000u64);
    let receipt = chain
        .send(
            owner,
            probe,
            &SystemContractsProbe::requestWithdrawalCall {
                pubkey: PUBKEY.to_vec().into(),
                amountGwei: 0,
                maxFee: sent,
            },
            sent,
        )
        .unwrap()
        .expect_success();
    let paid = receipt
        .decode_return::<SystemContractsProbe::requestWithdrawalCall>()
        .unwrap();
    assert_eq!(paid, fee);
    assert_eq!(before - chain.balance(owner), fee, "the rest is refunded");
    assert_eq!(chain.balance(probe), U256::ZERO);
    let events = receipt.events_from::<WithdrawalRequested>(probe);
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].fee, fee);

    chain.next_block(B256::repeat_byte(1));
    assert_eq!(
        chain.dequeued_withdrawal_requests(),
        &[WithdrawalRequest {
            source_address: probe,
            validator_pubkey: PUBKEY.into(),
            amount: 0,
        }]
    );
}

#[test]
fn a_fee_above_the_callers_maximum_is_refused() {
    let mut chain = Chain::new();
    let owner = chain.account("owner");
    let probe = chain.deploy(&SYSTEM_CONTRACTS_PROBE, &[]).unwrap();
    let receipt = chain
        .send(
            owner,
            probe,
            &SystemContractsProbe::requestWithdrawalCall {
                pubkey: PUBKEY.to_vec().into(),
                amountGwei: 0,
                maxFee: U256::ZERO,
            },
            U256::from(100),
        )
        .unwrap();
    match receipt.revert_error::<SystemContractsProbeErrors>() {
        Some(SystemContractsProbeErrors::WithdrawalFeeAboveMax(e)) => {
            assert_eq!((e.fee, e.maxFee), (U256::from(1), U256::ZERO))
        }
        other => panic!("{other:?} ({receipt})"),
    }
    let receipt = chain
        .send(
            owner,
            probe,
            &SystemContractsProbe::requestWithdrawalCall {
                pubkey: vec![0xab; 47].into(),
                amountGwei: 0,
                maxFee: U256::from(100),
            },
            U256::from(100),
        )
        .unwrap();
    assert!(matches!(
        receipt.revert_error(),
        Some(SystemContractsProbeErrors::WithdrawalPubkeyLength(_))
    ));
    chain.next_block(B256::ZERO);
    assert!(chain.dequeued_withdrawal_requests().is_empty());
}

#[test]
fn at_most_16_requests_leave_per_block_and_the_fee_rises_with_the_excess() {
    // EIP-7002: MAX_WITHDRAWAL_REQUESTS_PER_BLOCK = 16 dequeued per block, the rest carried;
    // TARGET = 2 per block, the excess above it raises the fee exponentially.
    let mut chain = Chain::new();
    let owner = chain.account("owner");
    for i in 0..20u8 {
        let fee = withdrawal_fee(&chain);
        chain
            .transact(
                owner,
                eip7002::WITHDRAWAL_REQUEST_PREDEPLOY_ADDRESS,
                request_input(&[i; 48], 0),
                fee,
            )
            .unwrap()
            .expect_success();
    }
    let first = chain.next_block(B256::repeat_byte(1)).withdrawals.clone();
    assert_eq!(first.len(), eip7002::MAX_WITHDRAWAL_REQUESTS_PER_BLOCK);
    assert_eq!(first[0].validator_pubkey.0, [0u8; 48]);
    // excess = 20 - 2 = 18: fee = fake_exponential(1, 18, 17) = 2 wei.
    assert_eq!(withdrawal_fee(&chain), U256::from(2));
    let second = chain.next_block(B256::repeat_byte(2)).withdrawals.clone();
    assert_eq!(second.len(), 4);
    assert_eq!(second[3].validator_pubkey.0, [19u8; 48]);
}
