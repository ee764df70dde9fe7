//! The devnet's beacon chain on anvil: every beacon block's payload is the anvil block mined for
//! it, the EIP-4788 contract holds each parent beacon root, the sweep's withdrawals reach the
//! execution layer, a deposit made to the deposit contract reaches the beacon chain as an
//! EIP-6110 request, and an EIP-7002 exit request sent on the execution layer exits the validator.
//!
//! Needs anvil (the README's set-up installs it from npm; `LSV_ANVIL` overrides).

#![allow(unused_crate_dependencies)]

use alloy_primitives::{Address, Bytes, B256, U256};
use alloy_sol_types::SolCall;
use lsv_consensus::containers::{DepositData, DepositMessage};
use lsv_consensus::network::{compute_domain, compute_signing_root, domain};
use lsv_consensus::{ForkName, Gwei, Minimal, PublicKeyBytes, SignatureBytes};
use lsv_contracts::bindings::DepositContract;
use lsv_devnet::anvil::{locate_anvil, AnvilExecution, AnvilOptions, Rpc};
use lsv_devnet::execution::ExecutionLayer;
use lsv_devnet::genesis::{interop_secret_key, GenesisParams, GenesisValidator};
use lsv_devnet::node::Node;
use lsv_devnet::signer::LocalKeys;
use lsv_devnet::spec::{Config, Spec};
use serde_json::{json, Value};
use tree_hash::TreeHash;

type P = Minimal;

const VALIDATORS: u64 = 64;
/// Where validators 1.. are swept to.
const SWEEP_ADDRESS: Address = Address::repeat_byte(0x11);
const DST: &[u8] = b"BLS_SIG_BLS12381G2_XMD:SHA-256_SSWU_RO_POP_";

fn credentials(address: Address) -> B256 {
    let mut c = [0u8; 32];
    c[0] = 0x01;
    c[12..].copy_from_slice(address.as_slice());
    c.into()
}

#[test]
fn the_beacon_chain_runs_on_anvil_with_its_system_contracts_and_requests() {
    let el = AnvilExecution::start(&AnvilOptions {
        binary: locate_anvil(),
        genesis_time: 1_700_000_000,
        hardfork: "prague",
        chain_id: 31337,
        port: 0,
    })
    .expect("anvil starts");
    let rpc = Rpc::new(el.anvil().url()).expect("a client");
    let rpc = &rpc;
    let accounts: Vec<Address> = rpc.call("eth_accounts", json!([])).unwrap();
    let holder = accounts[0];

    // Validator 0 withdraws to an anvil account, which will ask for its exit through EIP-7002.
    let spec = Spec::<P>::new(Config {
        // A devnet's choice: exits are allowed from the first epoch on.
        shard_committee_period: 0,
        ..Config::minimal()
    });
    let mut keys = LocalKeys::default();
    let genesis: Vec<_> = (0..VALIDATORS)
        .map(|i| {
            let sk = interop_secret_key(i);
            keys.insert(i, sk.clone());
            GenesisValidator {
                pubkey: PublicKeyBytes(sk.sk_to_pk().to_bytes()),
                withdrawal_credentials: credentials(if i == 0 { holder } else { SWEEP_ADDRESS }),
                balance: 32_000_000_000,
            }
        })
        .collect();
    let params = GenesisParams {
        genesis_time: 1_700_000_000,
        fork: ForkName::Electra,
        execution_payload_header: ExecutionLayer::<P>::genesis_header(&el),
    };
    let state = spec.genesis_state(&params, &genesis).expect("genesis");
    let genesis_fork_version = spec.config.genesis_fork_version;
    let deposit_contract = el.deposit_contract();
    let mut node = Node::new(spec, state, el, keys);

    // A deposit for a new key, and validator 0's exit request, sent to anvil's pool.
    let new_key = interop_secret_key(VALIDATORS);
    let message = DepositMessage {
        pubkey: PublicKeyBytes(new_key.sk_to_pk().to_bytes()),
        withdrawal_credentials: credentials(SWEEP_ADDRESS),
        amount: Gwei::new(32_000_000_000),
    };
    let root = compute_signing_root(
        message.tree_hash_root(),
        compute_domain(domain::DEPOSIT, genesis_fork_version, B256::ZERO),
    );
    let signature = SignatureBytes(new_key.sign(root.as_slice(), DST, &[]).to_bytes());
    let data = DepositData {
        pubkey: message.pubkey,
        withdrawal_credentials: message.withdrawal_credentials,
        amount: message.amount,
        signature,
    };
    let call = DepositContract::depositCall {
        pubkey: Bytes::copy_from_slice(&data.pubkey.0),
        withdrawal_credentials: Bytes::copy_from_slice(data.withdrawal_credentials.as_slice()),
        signature: Bytes::copy_from_slice(&data.signature.0),
        deposit_data_root: data.tree_hash_root(),
    };
    let send = |to: Address, data: Vec<u8>, value: U256| -> B256 {
        rpc.call(
            "eth_sendTransaction",
            json!([{"from": holder, "to": to, "data": Bytes::from(data), "value": value}]),
        )
        .expect("sent")
    };
    send(
        deposit_contract,
        call.abi_encode(),
        U256::from(32u64) * U256::from(10u64).pow(U256::from(18u64)),
    );
    // EIP-7002: calldata `pubkey ‖ amount (8 bytes, big-endian)`, amount 0 for a full exit, the
    // fee the contract asks (its answer to empty calldata).
    let predeploy = alloy_eips::eip7002::WITHDRAWAL_REQUEST_PREDEPLOY_ADDRESS;
    let fee: U256 = {
        let out: Bytes = rpc
            .call(
                "eth_call",
                json!([{"to": predeploy, "data": "0x"}, "latest"]),
            )
            .unwrap();
        U256::from_be_slice(&out)
    };
    let mut request = genesis[0].pubkey.0.to_vec();
    request.extend_from_slice(&0u64.to_be_bytes());
    send(predeploy, request, fee);

    let swept_before: U256 = rpc
        .call("eth_getBalance", json!([SWEEP_ADDRESS, "latest"]))
        .unwrap();
    let mut withdrawn_gwei = 0u64;
    let (mut saw_deposit, mut saw_exit) = (false, false);
    for slot in 1..=4 * 8 {
        let report = node.run_slot(slot).expect("a slot");
        let stored = node.block_at(slot).expect("every slot has a block");
        let payload = &stored.block.message.body.execution_payload;
        let requests = &stored.block.message.body.execution_requests;
        // The payload is anvil's block.
        let block: Value = rpc
            .call(
                "eth_getBlockByNumber",
                json!([format!("{:#x}", payload.block_number), false]),
            )
            .unwrap();
        assert_eq!(block["hash"], json!(payload.block_hash), "slot {slot}");
        assert_eq!(
            block["timestamp"],
            json!(format!("{:#x}", payload.timestamp))
        );
        // EIP-4788: the parent beacon root is held under the block's timestamp.
        let held: Bytes = rpc
            .call(
                "eth_call",
                json!([{
                    "to": alloy_eips::eip4788::BEACON_ROOTS_ADDRESS,
                    "data": B256::from(U256::from(payload.timestamp)),
                }, "latest"]),
            )
            .unwrap();
        assert_eq!(held.as_ref(), stored.block.message.parent_root.as_slice());
        withdrawn_gwei += payload
            .withdrawals
            .iter()
            .filter(|w| w.address == SWEEP_ADDRESS)
            .map(|w| w.amount.as_u64())
            .sum::<u64>();
        if requests.deposits.iter().any(|d| d.pubkey == data.pubkey) {
            saw_deposit = true;
        }
        if requests
            .withdrawals
            .iter()
            .any(|w| w.validator_pubkey == genesis[0].pubkey && w.source_address == holder)
        {
            saw_exit = true;
        }
        assert!(report.refused.is_empty());
    }
    assert!(
        saw_deposit,
        "the deposit reached the beacon chain as a request"
    );
    assert!(saw_exit, "the exit request reached the beacon chain");
    let state = node.head_state();
    assert!(
        state
            .pending_deposits
            .iter()
            .any(|d| d.pubkey == data.pubkey)
            || state.validators.iter().any(|v| v.pubkey == data.pubkey),
        "the deposit is pending or processed"
    );
    assert!(
        state.validators[0].exit_epoch.as_u64() < u64::MAX,
        "validator 0 is exiting"
    );
    // The sweep paid the rewards above 32 ETH to the withdrawal address, on the EL.
    assert!(withdrawn_gwei > 0, "the sweep withdrew something");
    let swept_after: U256 = rpc
        .call("eth_getBalance", json!([SWEEP_ADDRESS, "latest"]))
        .unwrap();
    assert_eq!(
        swept_after - swept_before,
        U256::from(withdrawn_gwei) * U256::from(1_000_000_000u64)
    );
}
