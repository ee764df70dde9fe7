//! Our deposit contract behaves like mainnet's: the deposit data root check, the incremental
//! tree and its root, the event consensus clients parse (EIP-6110), and every refusal as a named
//! error. Roots are checked against an independent computation in Rust. `DepositTreeFull` is
//! reached by setting the count in storage; `Sha256Failed` is shown unreachable (gas sweep).

#![allow(unused_crate_dependencies)]

mod common;

use common::*;
use lsv_contracts::artifacts::DEPOSIT_CONTRACT;
use lsv_contracts::bindings::DepositContract::{self, DepositContractErrors, DepositEvent};
use lsv_contracts::{Chain, ChainError, B256, U256};
use proptest::prelude::*;

#[test]
fn a_valid_deposit_is_accepted_and_keeps_the_value() {
    let mut chain = Chain::new();
    let alice = chain.account("alice");
    let data = deposit_data(1, 32 * GWEI);
    let before = chain.balance(alice);
    deposit(&mut chain, alice, &data).expect_success();
    assert_eq!(chain.balance(chain.deposit_contract()), ether(32));
    assert_eq!(before - chain.balance(alice), ether(32));
}

#[test]
fn a_wrong_deposit_data_root_is_refused() {
    let mut chain = Chain::new();
    let alice = chain.account("alice");
    let data = deposit_data(1, 32 * GWEI);
    let wrong = B256::repeat_byte(0x42);
    let to = chain.deposit_contract();
    let receipt = chain
        .send(alice, to, &deposit_call_with_root(&data, wrong), ether(32))
        .unwrap();
    match receipt.revert_error::<DepositContractErrors>() {
        Some(DepositContractErrors::DepositDataRootMismatch(e)) => {
            assert_eq!(e.computed, root_of(&data));
            assert_eq!(e.given, wrong);
        }
        other => panic!("expected DepositDataRootMismatch, got {other:?} ({receipt})"),
    }
    // The root covers the amount: the right data with another value is refused too.
    let receipt = chain
        .send(alice, to, &deposit_call(&data), ether(33))
        .unwrap();
    assert!(matches!(
        receipt.revert_error(),
        Some(DepositContractErrors::DepositDataRootMismatch(_))
    ));
    assert_eq!(contract_root_and_count(&chain).1, 0);
    assert_eq!(chain.balance(to), U256::ZERO);
}

#[test]
fn wrong_lengths_are_refused_with_named_errors() {
    let mut chain = Chain::new();
    let alice = chain.account("alice");
    let to = chain.deposit_contract();
    let data = deposit_data(1, 32 * GWEI);
    let base = deposit_call(&data);

    for len in [0usize, 47, 49, 96] {
        let mut call = base.clone();
        call.pubkey = vec![1u8; len].into();
        let receipt = chain.send(alice, to, &call, ether(32)).unwrap();
        match receipt.revert_error::<DepositContractErrors>() {
            Some(DepositContractErrors::InvalidPubkeyLength(e)) => {
                assert_eq!(e.length, U256::from(len))
            }
            other => panic!("pubkey of {len} bytes: {other:?}"),
        }
    }
    for len in [0usize, 31, 33] {
        let mut call = base.clone();
        call.withdrawal_credentials = vec![1u8; len].into();
        let receipt = chain.send(alice, to, &call, ether(32)).unwrap();
        match receipt.revert_error::<DepositContractErrors>() {
            Some(DepositContractErrors::InvalidWithdrawalCredentialsLength(e)) => {
                assert_eq!(e.length, U256::from(len))
            }
            other => panic!("credentials of {len} bytes: {other:?}"),
        }
    }
    for len in [0usize, 95, 97] {
        let mut call = base.clone();
        call.signature = vec![1u8; len].into();
        let receipt = chain.send(alice, to, &call, ether(32)).unwrap();
        match receipt.revert_error::<DepositContractErrors>() {
            Some(DepositContractErrors::InvalidSignatureLength(e)) => {
                assert_eq!(e.length, U256::from(len))
            }
            other => panic!("signature of {len} bytes: {other:?}"),
        }
    }
}

#[test]
fn amounts_below_one_ether_or_not_whole_gwei_are_refused() {
    let mut chain = Chain::new();
    let alice = chain.account("alice");
    let to = chain.deposit_contract();

    for value in [U256::ZERO, ether(1) - U256::from(1), gwei(999_999_999)] {
        let receipt = chain
            .send(alice, to, &deposit_call(&deposit_data(1, 0)), value)
            .unwrap();
        match receipt.revert_error::<DepositContractErrors>() {
            Some(DepositContractErrors::DepositValueTooLow(e)) => assert_eq!(e.value, value),
            other => panic!("{value} wei: {other:?}"),
        }
    }
    let value = ether(32) + U256::from(1);
    let receipt = chain
        .send(alice, to, &deposit_call(&deposit_data(1, 32 * GWEI)), value)
        .unwrap();
    match receipt.revert_error::<DepositContractErrors>() {
        Some(DepositContractErrors::DepositValueNotMultipleOfGwei(e)) => {
            assert_eq!(e.value, value)
        }
        other => panic!("{value} wei: {other:?}"),
    }

    // Exactly 1 ether is the minimum that passes.
    deposit(&mut chain, alice, &deposit_data(2, GWEI)).expect_success();
}

#[test]
fn an_amount_over_uint64_gwei_is_refused() {
    let mut chain = Chain::new();
    let whale = chain.account("whale");
    let value = gwei(u64::MAX) + gwei(1);
    chain.set_balance(whale, value * U256::from(2));
    let to = chain.deposit_contract();
    let receipt = chain
        .send(whale, to, &deposit_call(&deposit_data(1, 0)), value)
        .unwrap();
    match receipt.revert_error::<DepositContractErrors>() {
        Some(DepositContractErrors::DepositValueTooHigh(e)) => assert_eq!(e.value, value),
        other => panic!("{other:?}"),
    }
    // u64::MAX gwei itself fits.
    let data = deposit_data(1, u64::MAX);
    deposit(&mut chain, whale, &data).expect_success();
}

#[test]
fn plain_ether_transfers_are_refused() {
    let mut chain = Chain::new();
    let alice = chain.account("alice");
    let to = chain.deposit_contract();
    let receipt = chain.transact(alice, to, Vec::new(), ether(32)).unwrap();
    assert!(!receipt.is_success());
    assert_eq!(chain.balance(to), U256::ZERO);
}

#[test]
fn the_event_carries_the_data_with_little_endian_amount_and_index() {
    let mut chain = Chain::new();
    let alice = chain.account("alice");
    let mut sent = Vec::new();
    for (i, amount) in [32 * GWEI, GWEI, 2048 * GWEI + 7].into_iter().enumerate() {
        let data = deposit_data(i as u8 + 10, amount);
        let receipt = deposit(&mut chain, alice, &data).expect_success();
        let events = receipt.events_from::<DepositEvent>(chain.deposit_contract());
        assert_eq!(events.len(), 1);
        let e = &events[0];
        assert_eq!(e.pubkey.as_ref(), &data.pubkey.0);
        assert_eq!(
            e.withdrawal_credentials.as_ref(),
            data.withdrawal_credentials.as_slice()
        );
        assert_eq!(e.amount.as_ref(), &amount.to_le_bytes());
        assert_eq!(e.signature.as_ref(), &data.signature.0);
        assert_eq!(e.index.as_ref(), &(i as u64).to_le_bytes());
        sent.push(data);
    }
    // The signature clients filter logs by (mainnet's topic 0).
    assert_eq!(
        receipt_topic(),
        "0x649bbc62d0e31342afea4e5cd82d4049e7e1ee912fc0889aa790803be39038c5"
    );

    // EIP-6110: the block's deposit requests, as the consensus layer receives them.
    let requests = chain.next_block(B256::repeat_byte(1)).clone();
    assert_eq!(requests.deposits.len(), 3);
    for (i, (request, data)) in requests.deposits.iter().zip(&sent).enumerate() {
        assert_eq!(request.pubkey.0, data.pubkey.0);
        assert_eq!(request.withdrawal_credentials, data.withdrawal_credentials);
        assert_eq!(request.amount, data.amount.0);
        assert_eq!(request.signature.0, data.signature.0);
        assert_eq!(request.index, i as u64);
    }
    // The next block has none.
    assert!(chain.next_block(B256::repeat_byte(2)).deposits.is_empty());
}

fn receipt_topic() -> String {
    use alloy_sol_types::SolEvent;
    DepositEvent::SIGNATURE_HASH.to_string()
}

#[test]
fn the_root_after_each_deposit_matches_an_independent_tree() {
    let mut chain = Chain::new();
    let alice = chain.account("alice");
    let mut leaves = Vec::new();
    assert_eq!(contract_root_and_count(&chain), (deposit_root(&[]), 0));
    // Empty tree: mainnet's well-known initial root.
    assert_eq!(
        deposit_root(&[]).to_string(),
        "0xd70a234731285c6804c2a4f56711ddb8c82c99740f207854891028af34e27e5e"
    );
    for i in 0..40u8 {
        let data = deposit_data(i, GWEI * (1 + u64::from(i)));
        deposit(&mut chain, alice, &data).expect_success();
        leaves.push(root_of(&data));
        assert_eq!(
            contract_root_and_count(&chain),
            (deposit_root(&leaves), leaves.len() as u64),
            "after {} deposits",
            leaves.len()
        );
    }
    // A second independent computation: tree_hash's merkleizer over 2^32 leaves, length mixed in.
    let packed: Vec<u8> = leaves.iter().flat_map(|l| l.0).collect();
    let tree = tree_hash::merkle_root(&packed, 1 << 32);
    let root = tree_hash::mix_in_length(&tree, leaves.len());
    assert_eq!(contract_root_and_count(&chain).0, B256::from(root.0));
}

#[test]
fn the_official_deposit_cli_data_is_accepted_with_its_root() {
    #[derive(serde::Deserialize)]
    struct Entry {
        pubkey: String,
        withdrawal_credentials: String,
        amount: u64,
        signature: String,
        deposit_data_root: String,
    }
    let dir = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../testdata/deposit/web3signer"
    );
    let mut chain = Chain::new();
    let operator = chain.account("operator");
    let mut leaves = Vec::new();
    for file in ["deposit_data-medalla.json", "deposit_data-pyrmont.json"] {
        let text = std::fs::read_to_string(format!("{dir}/{file}")).unwrap();
        let entries: Vec<Entry> = serde_json::from_str(&text).unwrap();
        for entry in entries {
            let bytes = |s: &str| hex::decode(s).unwrap();
            let root = B256::from_slice(&bytes(&entry.deposit_data_root));
            let call = DepositContract::depositCall {
                pubkey: bytes(&entry.pubkey).into(),
                withdrawal_credentials: bytes(&entry.withdrawal_credentials).into(),
                signature: bytes(&entry.signature).into(),
                deposit_data_root: root,
            };
            let to = chain.deposit_contract();
            chain
                .send(operator, to, &call, gwei(entry.amount))
                .unwrap()
                .expect_success();
            leaves.push(root);
        }
    }
    assert_eq!(leaves.len(), 4);
    assert_eq!(contract_root_and_count(&chain), (deposit_root(&leaves), 4));
}

#[test]
fn erc165_reports_the_deposit_interface() {
    let chain = Chain::new();
    let to = chain.deposit_contract();
    let supports = |id: [u8; 4]| {
        chain
            .view(
                to,
                &DepositContract::supportsInterfaceCall {
                    interfaceId: id.into(),
                },
            )
            .unwrap()
    };
    assert!(supports([0x01, 0xff, 0xc9, 0xa7])); // ERC-165
                                                 // IDepositContract: deposit ^ get_deposit_root ^ get_deposit_count, as on mainnet.
    assert!(supports([0x85, 0x64, 0x09, 0x07]));
    assert!(!supports([0xff, 0xff, 0xff, 0xff]));
}

#[test]
fn the_genesis_code_is_what_the_constructor_deploys() {
    let mut chain = Chain::new();
    let deployed = chain.deploy(&DEPOSIT_CONTRACT, &[]).unwrap();
    assert_eq!(chain.code(deployed), chain.code(chain.deposit_contract()));
    assert_eq!(&chain.code(deployed), DEPOSIT_CONTRACT.deployed_bytecode());
    // And it works there too.
    let alice = chain.account("alice");
    let data = deposit_data(7, 32 * GWEI);
    chain
        .send(alice, deployed, &deposit_call(&data), ether(32))
        .unwrap()
        .expect_success();
    let count = chain
        .view(deployed, &DepositContract::get_deposit_countCall {})
        .unwrap();
    assert_eq!(count.as_ref(), &1u64.to_le_bytes());
}

#[test]
fn a_view_that_reverts_is_a_failed_error() {
    let chain = Chain::new();
    // deposit() as a call with no value: refused, surfaced as ChainError::Failed.
    let err = chain
        .view(chain.deposit_contract(), &deposit_call(&deposit_data(1, 0)))
        .err()
        .expect("deposit with no value reverts");
    assert!(matches!(err, ChainError::Failed(_)));
    assert!(matches!(
        err.revert_error::<DepositContractErrors>(),
        Some(DepositContractErrors::DepositValueTooLow(_))
    ));
    assert!(err.to_string().contains("DepositValueTooLow"), "{err}");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Random batches of deposits, spread over blocks: after every block the contract's root and
    /// count equal the independent tree's, and the block's EIP-6110 requests are its deposits.
    #[test]
    fn random_deposit_batches_keep_the_root_equal(
        blocks in prop::collection::vec(
            prop::collection::vec((any::<[u8; 48]>(), any::<[u8; 32]>(), 1u64..=4096, any::<[u8; 96]>()), 0..8),
            1..6,
        )
    ) {
        let mut chain = Chain::new();
        let sender = chain.account("sender");
        let mut leaves = Vec::new();
        for (b, batch) in blocks.iter().enumerate() {
            let first_index = leaves.len() as u64;
            for (pubkey, credentials, ether_amount, signature) in batch {
                let data = lsv_consensus::containers::DepositData {
                    pubkey: lsv_consensus::PublicKeyBytes(*pubkey),
                    withdrawal_credentials: B256::from(*credentials),
                    amount: lsv_consensus::Gwei(ether_amount * GWEI),
                    signature: lsv_consensus::SignatureBytes(*signature),
                };
                let receipt = deposit(&mut chain, sender, &data);
                prop_assert!(receipt.is_success(), "{}", receipt);
                leaves.push(root_of(&data));
            }
            let requests = chain.next_block(B256::repeat_byte(b as u8)).clone();
            prop_assert_eq!(requests.deposits.len(), batch.len());
            for (k, request) in requests.deposits.iter().enumerate() {
                prop_assert_eq!(request.index, first_index + k as u64);
            }
            prop_assert_eq!(
                contract_root_and_count(&chain),
                (deposit_root(&leaves), leaves.len() as u64)
            );
        }
    }
}

/// `_depositCount`'s storage slot: after `bytes32[32] _branch` (slots 0..31).
const DEPOSIT_COUNT_SLOT: u64 = 32;

/// The chain's deposit contract with `count` deposits already made (set in storage: 2^32 real
/// deposits are out of reach). The branch slots stay zero, which only the root depends on.
fn with_deposit_count(chain: &mut Chain, count: u64) {
    let to = chain.deposit_contract();
    chain.set_storage(to, U256::from(DEPOSIT_COUNT_SLOT), U256::from(count));
    assert_eq!(contract_root_and_count(chain).1, count);
}

/// The slot really is the count: one deposit makes it 1.
#[test]
fn the_deposit_count_lives_in_slot_32() {
    let mut chain = Chain::new();
    let alice = chain.account("alice");
    let to = chain.deposit_contract();
    assert_eq!(
        chain.storage(to, U256::from(DEPOSIT_COUNT_SLOT)),
        U256::ZERO
    );
    deposit(&mut chain, alice, &deposit_data(1, 32 * GWEI)).expect_success();
    assert_eq!(
        chain.storage(to, U256::from(DEPOSIT_COUNT_SLOT)),
        U256::from(1)
    );
}

/// As on mainnet, the tree takes 2^32 - 1 deposits: the one that makes the count 2^32 - 1 is
/// accepted (index 2^32 - 2), the next is refused with `DepositTreeFull` and changes nothing.
#[test]
fn the_deposit_after_the_last_leaf_is_refused_with_deposit_tree_full() {
    let max = u64::from(u32::MAX);
    let mut chain = Chain::new();
    let alice = chain.account("alice");
    let to = chain.deposit_contract();
    with_deposit_count(&mut chain, max - 1);

    let receipt = deposit(&mut chain, alice, &deposit_data(1, 32 * GWEI)).expect_success();
    let events = receipt.events_from::<DepositEvent>(to);
    assert_eq!(events[0].index.as_ref(), &(max - 1).to_le_bytes());
    assert_eq!(contract_root_and_count(&chain).1, max);

    let before = chain.balance(to);
    let receipt = chain
        .send(
            alice,
            to,
            &deposit_call(&deposit_data(2, 32 * GWEI)),
            ether(32),
        )
        .unwrap();
    assert_eq!(
        receipt.revert_error::<DepositContractErrors>(),
        Some(DepositContractErrors::DepositTreeFull(
            DepositContract::DepositTreeFull {}
        )),
        "{receipt}"
    );
    assert_eq!(contract_root_and_count(&chain).1, max);
    assert_eq!(chain.balance(to), before);
}

/// `Sha256Failed` is unreachable: it guards a failed STATICCALL to the SHA-256 precompile,
/// which fails for no input, only when the gas it is given (all but 1/64 of what is left,
/// EIP-150) is below its cost (60 + 12·2 = 84 for 64 bytes). That needs at most 85 gas left at
/// the call, so the caller keeps floor(85 / 64) = 1 gas, too little to reach the `revert`: the
/// transaction halts out of gas instead. Shown here for every gas limit from the intrinsic cost
/// up to the least that succeeds, on a deposit that hashes on every level (count 2^31 - 1:
/// 9 hashes for the data root, 31 for the insertion): each fails by halting, none reverts.
#[test]
fn sha256_failed_is_unreachable_short_of_gas_only_halts() {
    use lsv_contracts::{Status, TxRequest};
    let mut chain = Chain::new();
    let alice = chain.account("alice");
    let to = chain.deposit_contract();
    with_deposit_count(&mut chain, (1 << 31) - 1);
    let calldata = alloy_sol_types::SolCall::abi_encode(&deposit_call(&deposit_data(1, 32 * GWEI)));
    let run = |chain: &mut Chain, gas_limit: u64| {
        let mut tx = TxRequest::new(alice, Some(to), calldata.clone(), ether(32));
        tx.gas_limit = gas_limit;
        chain.submit(tx)
    };
    let needed = chain
        .clone()
        .submit(TxRequest::new(alice, Some(to), calldata.clone(), ether(32)))
        .unwrap()
        .expect_success()
        .gas_used;
    // The least gas limit that succeeds (refunds make it more than `gas_used`).
    let (mut low, mut high) = (needed / 2, 2 * needed);
    while low + 1 < high {
        let mid = (low + high) / 2;
        match run(&mut chain.clone(), mid) {
            Ok(r) if r.is_success() => high = mid,
            _ => low = mid,
        }
    }
    let mut halted = 0;
    for gas_limit in (21_000..high).rev() {
        // Below the intrinsic cost the transaction is invalid (not included): done.
        let Ok(receipt) = run(&mut chain, gas_limit) else {
            break;
        };
        assert!(
            matches!(receipt.status, Status::Halt(_)) && receipt.output.is_empty(),
            "gas limit {gas_limit}: {receipt}"
        );
        halted += 1;
    }
    assert!(halted > 10_000, "{halted}");
    assert!(run(&mut chain, high).unwrap().is_success());
}
