//! The one failure C's design cannot prevent, played on the devnet: an enclave broken.
//!
//! An attacker who extracts the attestation key (as WireTap and Battering RAM did with SGX's in
//! 2025) can make evidence for keys it holds in the clear. Here it joins two such validators to
//! C (evidence signed with the extracted dev attestation key, handed to the keeper like any
//! staker's), sells the 62 sETH to a holder, and has both validators double-vote in the same
//! epoch. The spec-exact chain slashes them; what matters is what C and the keeper do then:
//!
//! - the keeper (the real one, `lsv_keeper::keeper::Keeper`, proving from the devnet's beacon
//!   API) sends `markSlashed` for both: until the correlation penalty is applied the vault books
//!   each one's whole debt as lost, so nothing is finalized below par on a guess;
//! - once `process_slashings` has applied the correlation penalty (at the half-way epoch of
//!   `EPOCHS_PER_SLASHINGS_VECTOR`), `markToProof` books the proven shortfall instead;
//! - at the withdrawable epoch the sweep pays what is left into C; the keeper settles both
//!   (the owner's residual is zero: the loss is larger than its 1 ETH) and finalizes the queue;
//! - the holder's claim pays every wei the two withdrawals brought: the loss falls on sETH pro
//!   rata, through the rate, and nowhere else.
//!
//! The numbers are the chain's own: the withdrawals as the blocks carry them, the rate as the
//! vault computes it. Needs anvil (`./scripts/test` installs it).

#![allow(unused_crate_dependencies)]

use alloy_primitives::{Address, Bytes, B256, U256};
use alloy_sol_types::SolCall;
use lsv_attestation::{DevAttester, Evidence, KeyGenerationClaim};
use lsv_consensus::containers::{DepositData, DepositMessage};
use lsv_consensus::network::{compute_domain, compute_signing_root, domain};
use lsv_consensus::{Minimal, Network, PresetName, PublicKeyBytes, SignatureBytes, BLS_DST};
use lsv_contracts::bindings::{Vault, SETH};
use lsv_devnet::devnet::{Devnet, DevnetOptions, Genesis, Timing};
use lsv_devnet::genesis::interop_secret_key;
use lsv_devnet::remote::genesis_time_for;
use lsv_devnet::signer::LocalKeys;
use lsv_devnet::spec::Config;
use lsv_keeper::eth::{Eth, FeeCaps, TxKey};
use lsv_keeper::keeper::{BeaconSource, Journal, Keeper, KeeperConfig};
use lsv_keeper::prove::VerifierConfig;
use lsv_keeper::BeaconClient;
use serde_json::json;
use tree_hash::TreeHash;

type P = Minimal;
type TheDevnet = Devnet<P, LocalKeys>;

/// The honest rest of the network: interop validators `0..HONEST`.
const HONEST: u64 = 16;
/// The broken enclave's validators: interop keys `HONEST..HONEST + 2`, deposited after genesis.
const BROKEN: u64 = 2;
const SLOTS_PER_EPOCH: u64 = 8;
/// Enough for activation, the double vote, the correlation penalty (32 epochs on) and the sweep
/// at the withdrawable epoch (64 on: minimal's `EPOCHS_PER_SLASHINGS_VECTOR`).
const LAST_SLOT: u64 = 110 * SLOTS_PER_EPOCH;
/// The extracted attestation key.
const EXTRACTED: [u8; 32] = [0x5a; 32];
const POLICY: B256 = B256::repeat_byte(0x50);
const GWEI: u64 = 1_000_000_000;

/// A uint256 (or smaller) view of the vault, at the latest block.
fn view<C: SolCall>(devnet: &TheDevnet, to: Address, call: C) -> C::Return {
    let out: Bytes = devnet
        .rpc()
        .call(
            "eth_call",
            json!([{"to": to, "data": Bytes::from(call.abi_encode())}, "latest"]),
        )
        .expect("a view");
    C::abi_decode_returns(&out).expect("the view's type")
}

/// Sends `call` from anvil's unlocked account `from` (mined with the next slot's block).
fn send<C: SolCall>(devnet: &TheDevnet, from: Address, to: Address, call: C) {
    let _: B256 = devnet
        .rpc()
        .call(
            "eth_sendTransaction",
            json!([{"from": from, "to": to, "data": Bytes::from(call.abi_encode()), "gas": "0x100000",
                "maxFeePerGas": "0x174876e800", "maxPriorityFeePerGas": "0x3b9aca00"}]),
        )
        .expect("anvil takes it");
}

#[test]
fn a_broken_enclaves_slashings_are_marked_settled_and_borne_by_sets_rate() {
    let config = Config::devnet_with(
        31_337,
        Timing {
            min_validator_withdrawability_delay: 4,
            ..Timing::DEFAULT
        },
    )
    .unwrap();
    let attacker_key = DevAttester::from_secret(&EXTRACTED).unwrap();
    let mut options = DevnetOptions::new(HONEST, genesis_time_for(&config, LAST_SLOT + 1));
    options.config = config.clone();
    options.attester = attacker_key.address();
    options.policy_hash = POLICY;
    let mut genesis = Genesis::<P>::create(&options).expect("a devnet genesis");
    let contracts = genesis.contracts;
    let dir = tempfile::tempdir().unwrap();
    let config_path = dir.path().join("config.yaml");
    std::fs::write(&config_path, genesis.network_config_yaml().unwrap()).unwrap();
    let network = Network::from_config_file(&config_path).unwrap();

    // The attacker's keys, in the clear; the devnet signs with them as the attacker would.
    let mut local = std::mem::take(&mut genesis.keys);
    let broken: Vec<_> = (HONEST..HONEST + BROKEN).map(interop_secret_key).collect();
    for (i, key) in broken.iter().enumerate() {
        local.insert(HONEST + i as u64, key.clone());
    }
    let mut devnet = genesis.launch(local);
    let dev_keys: Vec<B256> = devnet.dev_keys().to_vec();
    let api = devnet.serve_api("127.0.0.1:0".parse().unwrap()).unwrap();
    let accounts: Vec<Address> = devnet.rpc().call("eth_accounts", json!([])).unwrap();
    let (attacker, holder) = (accounts[2], accounts[3]);

    // Deposits with C's credentials, and evidence forged with the extracted key.
    let deposit_domain = compute_domain(domain::DEPOSIT, network.genesis_fork_version, B256::ZERO);
    let mut evidence = Vec::new();
    for key in &broken {
        let pubkey = PublicKeyBytes(key.sk_to_pk().to_bytes());
        let message = DepositMessage {
            pubkey,
            withdrawal_credentials: contracts.credentials(),
            amount: (32 * GWEI).into(),
        };
        let root = compute_signing_root(message.tree_hash_root(), deposit_domain);
        let deposit = DepositData {
            pubkey,
            withdrawal_credentials: contracts.credentials(),
            amount: (32 * GWEI).into(),
            signature: SignatureBytes(key.sign(root.as_slice(), BLS_DST, &[]).to_bytes()),
        };
        devnet.deposit(devnet.funder, &deposit).expect("a deposit");
        let claim = KeyGenerationClaim {
            pubkey,
            withdrawal_credentials: contracts.credentials(),
            owner: attacker,
            chain_id: 31_337,
            genesis_validators_root: network.genesis_validators_root,
            policy_hash: POLICY,
        };
        let signature = attacker_key.sign_binding(claim.binding()).unwrap();
        evidence.push(Evidence::dev(claim, attacker_key.address(), signature).unwrap());
    }
    let evidence_file = dir.path().join("evidence.json");
    std::fs::write(&evidence_file, serde_json::to_string(&evidence).unwrap()).unwrap();

    // The keeper, as `lsv keeper` makes it.
    let keeper_key = dir.path().join("keeper.key");
    std::fs::write(&keeper_key, dev_keys[5].to_string()).unwrap();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let eth = Eth::connect(
        devnet.rpc_url(),
        Some(TxKey::KeyFile(keeper_key).load().unwrap()),
        FeeCaps::default(),
    )
    .unwrap();
    let mut keeper = Keeper::new(
        eth,
        Some(BeaconSource {
            client: BeaconClient::new(&format!("http://{api}")).unwrap(),
            verifier: VerifierConfig::of_network(&network),
            preset: PresetName::Minimal,
        }),
        Journal::open(&dir.path().join("keeper.sqlite")).unwrap(),
        KeeperConfig {
            vault: contracts.vault,
            daily_spend_cap: U256::from(10u64).pow(U256::from(18)),
            join_evidence: vec![evidence_file],
            scan_from_slot: Some(0),
            deposit_contract: network.deposit_contract,
            deployed_block: 0,
        },
    );

    let mut sent: Vec<(u64, String)> = Vec::new();
    let mut sold = false;
    let mut request = None;
    let mut slashed_epoch = None;
    let mut withdrawn_gwei = 0u64;
    let mut backing_while_pending = None;
    for slot in 1..=LAST_SLOT {
        let epoch = slot / SLOTS_PER_EPOCH;
        devnet.node.run_slot(slot).expect("a slot");
        let indices = HONEST..HONEST + BROKEN;
        let slashed = {
            let state = devnet.node.head_state();
            indices
                .clone()
                .all(|i| state.validators.get(i as usize).is_some_and(|v| v.slashed))
        };
        if let Some(block) = devnet.node.block_at(slot) {
            for w in block
                .block
                .message
                .body
                .execution_payload
                .withdrawals
                .iter()
            {
                if w.address == contracts.vault {
                    assert!(indices.contains(&w.validator_index));
                    withdrawn_gwei += w.amount.as_u64();
                }
            }
        }
        let positions: u32 = view(&devnet, contracts.vault, Vault::positionCountCall {});
        // Once joined: the sETH sold to a holder, who asks for it all back.
        if positions == BROKEN as u32 && !sold {
            let seth: Address = view(&devnet, contracts.vault, Vault::SETH_TOKENCall {});
            let all: U256 = view(&devnet, seth, SETH::balanceOfCall { account: attacker });
            assert_eq!(all, U256::from(62u64) * U256::from(GWEI) * U256::from(GWEI));
            send(
                &devnet,
                attacker,
                seth,
                SETH::transferCall {
                    to: holder,
                    amount: all,
                },
            );
            sold = true;
        } else if sold && request.is_none() {
            let seth: Address = view(&devnet, contracts.vault, Vault::SETH_TOKENCall {});
            let all: U256 = view(&devnet, seth, SETH::balanceOfCall { account: holder });
            send(
                &devnet,
                holder,
                contracts.vault,
                Vault::requestRedeemCall { amount: all },
            );
            request = Some(1u64);
            // The attack: both keys double-vote in the next epoch.
            for i in indices.clone() {
                devnet.node.double_voters.insert(i);
            }
        }
        if slashed_epoch.is_none() && slashed {
            slashed_epoch = Some(epoch);
        }
        if slot % 2 == 0 {
            let round = runtime.block_on(keeper.round()).expect("a keeper round");
            sent.extend(round.sent.into_iter().map(|s| (epoch, s)));
        }
        // Between the marks and the correlation penalty: the whole debt is booked as lost.
        if let Some(at) = slashed_epoch {
            if epoch == at + 20 {
                backing_while_pending = Some(view(&devnet, contracts.vault, Vault::backingCall {}));
            }
        }
        let finalized: u64 = view(&devnet, contracts.vault, Vault::lastFinalizedIdCall {});
        if finalized == 1 {
            break;
        }
    }
    let slashed_epoch = slashed_epoch.expect("both broken validators were slashed");
    eprintln!("keeper sent: {sent:?}");
    let sent_of = |duty: &str| -> Vec<u64> {
        sent.iter()
            .filter(|(_, s)| s.starts_with(&format!("{duty} ")))
            .map(|(e, _)| *e)
            .collect()
    };
    assert_eq!(sent_of("join").len(), 2, "{sent:?}");
    let marked = sent_of("markSlashed");
    assert_eq!(marked.len(), 2, "{sent:?}");
    assert!(
        marked.iter().all(|&e| e < slashed_epoch + 32),
        "before the penalty: {sent:?}"
    );
    // After the penalty the proven loss replaces the whole debt, and is marked again only as
    // it moves by more than the keeper's tolerance (0.01 ETH), not at every epoch's penalty.
    let proven = sent_of("markToProof");
    assert!(!proven.is_empty(), "{sent:?}");
    assert!(
        proven.iter().all(|&e| e >= slashed_epoch + 32),
        "after the penalty: {sent:?}"
    );
    assert!(proven.len() <= 2 * 5, "{sent:?}");
    // The positions were too young to exit when the holder asked (SHARD_COMMITTEE_PERIOD),
    // and once slashed none was active: the keeper never moved the demand cursor round them.
    assert!(sent_of("skipDemandExit").is_empty(), "{sent:?}");
    assert_eq!(sent_of("settle").len(), 2, "{sent:?}");
    assert_eq!(
        backing_while_pending,
        Some(U256::ZERO),
        "while the penalty is pending, the whole debt counts as lost"
    );

    // The holder is owed every wei the withdrawals brought, and nothing more; the attacker
    // nothing.
    let withdrawn = U256::from(withdrawn_gwei) * U256::from(GWEI);
    assert!(withdrawn < U256::from(62u64) * U256::from(GWEI) * U256::from(GWEI));
    let checkpoint: U256 = view(
        &devnet,
        contracts.vault,
        Vault::findCheckpointCall {
            requestId: U256::from(1u64),
        },
    );
    let claimable: U256 = view(
        &devnet,
        contracts.vault,
        Vault::claimableCall {
            requestId: U256::from(1u64),
            checkpointHint: checkpoint,
        },
    );
    let shortfall = withdrawn - claimable;
    assert!(
        shortfall < U256::from(GWEI),
        "{withdrawn} withdrawn, {claimable} claimable"
    );
    for id in 1..=BROKEN {
        let residual: U256 = view(
            &devnet,
            contracts.vault,
            Vault::residualOfCall {
                positionId: U256::from(id),
            },
        );
        assert_eq!(residual, U256::ZERO);
    }
    eprintln!(
        "slashed at epoch {slashed_epoch}; {withdrawn} wei withdrawn; the holder's 62 sETH \
         claim {claimable} wei"
    );
}
