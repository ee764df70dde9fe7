//! `lsv prove` end to end: the real binary against the keeper's test beacon node (real SSZ,
//! served as the beacon API serves it), and from the same data as files.

#![allow(unused_crate_dependencies)]

#[path = "../../keeper/tests/common/mod.rs"]
mod common;
#[path = "../../proofs/tests/common/spec_blocks.rs"]
mod spec_blocks;

use common::{TestChain, TestNode, ANCHOR_SLOT, BR_SLOT, CHILD_SLOT, HIST_SLOT};
use lsv_proofs::{ValidatorProof, WithdrawalProof};
use serde_json::Value;
use ssz::Encode;
use std::path::Path;
use std::process::Command;

const LSV: &str = env!("CARGO_BIN_EXE_lsv");

fn lsv(args: &[&str]) -> (bool, Value, String) {
    let out = Command::new(LSV)
        .arg("prove")
        .args(args)
        .env("RUST_LOG", "warn")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let json = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
    (out.status.success(), json, stderr)
}

fn proof_bytes(v: &Value) -> Vec<u8> {
    let hex = v["proof"].as_str().unwrap().strip_prefix("0x").unwrap();
    let bytes = hex::decode(hex).unwrap();
    assert_eq!(v["size"].as_u64().unwrap(), bytes.len() as u64);
    bytes
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> String {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path.to_str().unwrap().to_owned()
}

/// The header of the block at `slot` as `GET /eth/v1/beacon/headers/{slot}` answers.
fn header_json(tc: &TestChain, slot: u64) -> Vec<u8> {
    let b = tc.block(slot);
    serde_json::json!({"execution_optimistic": false, "finalized": true, "data": {
        "root": b.root.to_string(), "canonical": true,
        "header": {"message": b.block.message.header(), "signature": b.block.signature},
    }})
    .to_string()
    .into_bytes()
}

#[test]
fn lsv_prove_from_a_beacon_node_and_from_files() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let tc = TestChain::electra();
    let node = rt.block_on(TestNode::start(tc.clone()));
    let dir = tempfile::tempdir().unwrap();
    let config = write(
        dir.path(),
        "config.yaml",
        common::network_config_yaml().as_bytes(),
    );
    let verifier = common::verifier();
    let timestamp = tc
        .block(CHILD_SLOT)
        .block
        .message
        .body
        .execution_payload
        .timestamp;
    let base = [
        "--beacon-url",
        node.url.as_str(),
        "--network",
        config.as_str(),
    ];

    // A validator, from the node.
    let (ok, v, err) = lsv(&[
        &["validator"][..],
        &base,
        &["--block", "finalized", "--index", "3", "--parts", "balance"],
    ]
    .concat());
    assert!(ok, "{err}");
    assert_eq!(v["timestamp"].as_u64(), Some(timestamp));
    assert_eq!(v["anchor"]["root"], tc.anchor_root.to_string());
    assert_eq!(v["child_block"]["slot"].as_u64(), Some(CHILD_SLOT));
    let from_node = proof_bytes(&v);
    let proven = ValidatorProof::from_bytes(&from_node)
        .unwrap()
        .verify(tc.anchor_root, 3, &verifier.anchor)
        .unwrap();
    assert_eq!(
        v["proves"]["balance_gwei"].as_u64(),
        proven.balance.map(|b| b.as_u64())
    );
    assert_eq!(v["proves"]["validator_index"].as_u64(), Some(3));

    // The same from files, as the API serves them.
    let state = write(dir.path(), "state.ssz", &tc.states[&tc.anchor_state_root].1);
    let header = write(dir.path(), "header.json", &header_json(&tc, ANCHOR_SLOT));
    let child = write(
        dir.path(),
        "child.ssz",
        &tc.block(CHILD_SLOT).block.as_ssz_bytes(),
    );
    let (ok, v, err) = lsv(&[
        "validator",
        "--network",
        &config,
        "--state",
        &state,
        "--header",
        &header,
        "--child-block",
        &child,
        "--index",
        "3",
        "--parts",
        "balance",
    ]);
    assert!(ok, "{err}");
    assert_eq!(proof_bytes(&v), from_node);
    assert_eq!(v["timestamp"].as_u64(), Some(timestamp));

    // A withdrawal through historical_summaries, from the node.
    let hist = &tc.block(HIST_SLOT).block.message;
    let w = hist.body.execution_payload.withdrawals[6];
    let (ok, v, err) = lsv(&[
        &["withdrawal"][..],
        &base,
        &[
            "--anchor",
            &ANCHOR_SLOT.to_string(),
            "--block",
            &HIST_SLOT.to_string(),
            "--withdrawal-index",
            &w.index.to_string(),
        ],
    ]
    .concat());
    assert!(ok, "{err}");
    assert_eq!(v["timestamp"].as_u64(), Some(timestamp));
    assert_eq!(v["proves"]["route"], "historical_summaries");
    assert_eq!(v["proves"]["withdrawal"]["index"].as_u64(), Some(w.index));
    let proven = WithdrawalProof::from_bytes(&proof_bytes(&v))
        .unwrap()
        .verify(
            tc.anchor_root,
            &verifier.anchor,
            verifier.capella_slot,
            verifier.withdrawal_depths,
        )
        .unwrap();
    assert_eq!(proven.withdrawal, w);

    // A withdrawal through block_roots, from files.
    let br = &tc.block(BR_SLOT);
    let block = write(dir.path(), "block.ssz", &br.block.as_ssz_bytes());
    let (ok, v, err) = lsv(&[
        "withdrawal",
        "--network",
        &config,
        "--anchor-state",
        &state,
        "--anchor-header",
        &header,
        "--block-file",
        &block,
        "--child-block",
        &child,
        "--position",
        "4",
    ]);
    assert!(ok, "{err}");
    assert_eq!(v["proves"]["route"], "block_roots");
    assert_eq!(v["proves"]["block_root"], br.root.to_string());
    let proven = WithdrawalProof::from_bytes(&proof_bytes(&v))
        .unwrap()
        .verify(
            tc.anchor_root,
            &verifier.anchor,
            verifier.capella_slot,
            verifier.withdrawal_depths,
        )
        .unwrap();
    assert_eq!(
        proven.withdrawal,
        br.block.message.body.execution_payload.withdrawals[4]
    );

    // Refusals exit non-zero with the reason: a missed slot as anchor, the wrong network.
    let (ok, _, err) = lsv(&[
        &["validator"][..],
        &base,
        &["--block", &(ANCHOR_SLOT + 1).to_string(), "--index", "0"],
    ]
    .concat());
    assert!(!ok);
    assert!(err.contains("missed slot"), "{err}");
    let (ok, _, err) = lsv(&[
        "validator",
        "--beacon-url",
        &node.url,
        "--block",
        "finalized",
        "--index",
        "0",
    ]);
    assert!(!ok);
    assert!(err.contains("genesis"), "{err}");
}

/// `lsv prove withdrawal` on a minimal-preset network (`--network` a devnet `config.yaml` with
/// `PRESET_BASE: minimal`), from files: the real blocks and post-state of the consensus-spec-tests
/// case `withdrawal_success_two_blocks` (Electra). Block 3 is proven directly, block 2 through
/// `block_roots`; both verify at minimal's depths and not at mainnet's, and a mainnet `--network`
/// does not read the minimal state.
#[test]
fn lsv_prove_withdrawal_on_a_minimal_preset_network_from_files() {
    use lsv_consensus::ForkName;
    use lsv_keeper::prove::VerifierConfig;
    use lsv_proofs::WithdrawalDepths;
    let case = spec_blocks::spec_case(ForkName::Electra, "withdrawal_success_two_blocks");
    let dir = tempfile::tempdir().unwrap();
    let mut yaml = format!(
        "CONFIG_NAME: spec-minimal\nPRESET_BASE: minimal\nGENESIS_TIME: {}\n\
         GENESIS_VALIDATORS_ROOT: \"{}\"\nGENESIS_FORK_VERSION: \"0x00000001\"\n\
         SECONDS_PER_SLOT: 6\nDEPOSIT_CHAIN_ID: 1\n\
         DEPOSIT_CONTRACT_ADDRESS: \"0x1234567890123456789012345678901234567890\"\n",
        case.post.genesis_time(),
        case.post.genesis_validators_root(),
    );
    // configs/minimal.yaml's fork versions.
    for (k, fork) in ["ALTAIR", "BELLATRIX", "CAPELLA", "DENEB", "ELECTRA", "FULU"]
        .iter()
        .enumerate()
    {
        yaml.push_str(&format!(
            "{fork}_FORK_EPOCH: 0\n{fork}_FORK_VERSION: \"0x0{}000001\"\n",
            k + 1
        ));
    }
    let config = write(dir.path(), "config.yaml", yaml.as_bytes());
    let network = lsv_consensus::Network::from_config_yaml(&yaml).unwrap();
    let verifier = VerifierConfig::of_network(&network);
    assert_eq!(verifier.withdrawal_depths, WithdrawalDepths::MINIMAL);
    let anchor = case.anchor_header();
    let anchor_root = tree_hash::TreeHash::tree_hash_root(&anchor);
    let last = case.blocks.last().unwrap();
    let header = write(
        dir.path(),
        "header.json",
        serde_json::json!({"execution_optimistic": false, "finalized": true, "data": {
            "root": anchor_root.to_string(), "canonical": true,
            "header": {"message": anchor, "signature": last.signature},
        }})
        .to_string()
        .as_bytes(),
    );
    let state = write(dir.path(), "state.ssz", &case.post_ssz);
    for (k, route) in [(1usize, "direct"), (0, "block_roots")] {
        let block = write(dir.path(), "block.ssz", &case.blocks_ssz[k]);
        let message = &case.blocks[k].message;
        let args = |network: &str| {
            lsv(&[
                "withdrawal",
                "--network",
                network,
                "--anchor-state",
                &state,
                "--anchor-header",
                &header,
                "--block-file",
                &block,
                "--position",
                "3",
            ])
        };
        let (ok, v, err) = args(&config);
        assert!(ok, "{err}");
        assert_eq!(v["proves"]["route"], route);
        assert_eq!(
            v["proves"]["block_slot"].as_u64(),
            Some(message.slot.as_u64())
        );
        assert_eq!(v["size"].as_u64(), Some(if k == 1 { 687 } else { 1239 }));
        let proof = WithdrawalProof::from_bytes(&proof_bytes(&v)).unwrap();
        let proven = proof
            .verify(
                anchor_root,
                &verifier.anchor,
                verifier.capella_slot,
                verifier.withdrawal_depths,
            )
            .unwrap();
        assert_eq!(
            proven.withdrawal,
            message.body.execution_payload.withdrawals[3]
        );
        assert!(proof
            .verify(
                anchor_root,
                &verifier.anchor,
                verifier.capella_slot,
                WithdrawalDepths::MAINNET,
            )
            .is_err());
        // The same files on a mainnet-preset network: the minimal state does not decode.
        let mainnet_yaml = yaml.replace("PRESET_BASE: minimal\n", "");
        let mainnet = write(dir.path(), "mainnet.yaml", mainnet_yaml.as_bytes());
        let (ok, _, err) = args(&mainnet);
        assert!(!ok);
        assert!(!err.is_empty());
    }
}

/// `lsv prove` from files of a Gloas chain (the executable spec's states in
/// `testdata/gloas-state/`): a validator proof of format 2 and the proof that an expected
/// withdrawal was paid, each equal to what `lsv-proofs` builds, and a withheld payment refused.
/// The payment verifier's chain for the spec's minimal vectors: 64 `state_roots`, Capella at
/// genesis.
const MINIMAL_CAPELLA_AT_GENESIS: lsv_proofs::gloas_withdrawal::PaymentChain =
    lsv_proofs::gloas_withdrawal::PaymentChain {
        state_roots_depth: 6,
        capella_slot: lsv_consensus::Slot::new(0),
    };

#[test]
fn lsv_prove_from_gloas_state_files() {
    use lsv_consensus::containers::BeaconBlockHeader;
    use lsv_proofs::gloas::{GloasAnchor, GloasValidatorProof};
    use lsv_proofs::gloas_withdrawal::PaymentProof;
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/gloas-state");
    let small: serde_yaml::Value =
        serde_yaml::from_str(&std::fs::read_to_string(data.join("small/vector.yaml")).unwrap())
            .unwrap();
    let dir = tempfile::tempdir().unwrap();
    // The spec's minimal chain: genesis from the vector, every fork at epoch 0.
    let config = write(
        dir.path(),
        "config.yaml",
        format!(
            "CONFIG_NAME: spec-minimal\nPRESET_BASE: minimal\nGENESIS_TIME: {}\n\
             GENESIS_VALIDATORS_ROOT: '{}'\nGENESIS_FORK_VERSION: 0x00000001\n\
             ALTAIR_FORK_VERSION: 0x01000001\nALTAIR_FORK_EPOCH: 0\n\
             BELLATRIX_FORK_VERSION: 0x02000001\nBELLATRIX_FORK_EPOCH: 0\n\
             CAPELLA_FORK_VERSION: 0x03000001\nCAPELLA_FORK_EPOCH: 0\n\
             DENEB_FORK_VERSION: 0x04000001\nDENEB_FORK_EPOCH: 0\n\
             ELECTRA_FORK_VERSION: 0x05000001\nELECTRA_FORK_EPOCH: 0\n\
             FULU_FORK_VERSION: 0x06000001\nFULU_FORK_EPOCH: 0\n\
             GLOAS_FORK_VERSION: 0x07000001\nGLOAS_FORK_EPOCH: 0\n\
             SECONDS_PER_SLOT: 6\nDEPOSIT_CHAIN_ID: 1337\n\
             DEPOSIT_CONTRACT_ADDRESS: 0x1234567890123456789012345678901234567890\n",
            small["genesis_time"].as_u64().unwrap(),
            small["genesis_validators_root"].as_str().unwrap(),
        )
        .as_bytes(),
    );
    let header_file = |name: &str, header: &serde_yaml::Value| {
        let h: BeaconBlockHeader = serde_yaml::from_value(header.clone()).unwrap();
        let json = serde_json::json!({"data": {"root": h.tree_hash_root().to_string(),
            "canonical": true, "header": {"message": h, "signature": format!("0x{}", "00".repeat(96))}}});
        (write(dir.path(), name, json.to_string().as_bytes()), h)
    };
    use tree_hash::TreeHash;
    let (header, h) = header_file("small-header.json", &small["header"]);
    let state = data.join("small/state.ssz");
    let (ok, v, err) = lsv(&[
        "validator",
        "--network",
        &config,
        "--state",
        state.to_str().unwrap(),
        "--header",
        &header,
        "--index",
        "9",
        "--parts",
        "all",
    ]);
    assert!(ok, "{err}");
    let bytes = proof_bytes(&v);
    assert_eq!(bytes[0], 2, "format 2");
    let anchor = GloasAnchor {
        genesis_time: small["genesis_time"].as_u64().unwrap(),
        genesis_validators_root: small["genesis_validators_root"]
            .as_str()
            .unwrap()
            .parse()
            .unwrap(),
    };
    let proven = GloasValidatorProof::from_bytes(&bytes)
        .unwrap()
        .verify(h.tree_hash_root(), 9, &anchor)
        .unwrap();
    assert_eq!(proven.validator.exit_epoch.as_u64(), 310);
    assert_eq!(v["proves"]["validator_index"], 9);
    assert_eq!(v["anchor"]["root"], h.tree_hash_root().to_string());

    let payment: serde_yaml::Value =
        serde_yaml::from_str(&std::fs::read_to_string(data.join("payment/vector.yaml")).unwrap())
            .unwrap();
    let paid = data.join("payment/paid.ssz");
    for (name, paid_ok) in [("anchor", true), ("withheld", false)] {
        let (header, h) = header_file(&format!("{name}-header.json"), &payment[name]["header"]);
        let anchor_state = data.join(format!("payment/{name}.ssz"));
        let (ok, v, err) = lsv(&[
            "withdrawal",
            "--network",
            &config,
            "--anchor-state",
            anchor_state.to_str().unwrap(),
            "--anchor-header",
            &header,
            "--paid-state",
            paid.to_str().unwrap(),
            "--position",
            "1",
        ]);
        assert_eq!(ok, paid_ok, "{name}: {err}");
        if paid_ok {
            let bytes = proof_bytes(&v);
            let proven = PaymentProof::from_bytes(&bytes)
                .unwrap()
                .verify(h.tree_hash_root(), &anchor, MINIMAL_CAPELLA_AT_GENESIS)
                .unwrap();
            assert_eq!(proven.withdrawal.index, 41);
            assert_eq!(v["proves"]["route"], "paid_watermark");
            assert_eq!(v["proves"]["withdrawal"]["amount_gwei"], 7_000_000_000u64);
        } else {
            assert!(
                err.contains("not below the anchor's paid watermark"),
                "{err}"
            );
        }
    }

    // Left unsettled past the anchor's state_roots: an anchor two periods on, whose
    // historical_summaries hold the listing state's period. That period's state_roots are, as a
    // stand-in, those of the vector's anchor state, given as --period-state.
    use lsv_proofs::gloas::GloasStateProver;
    use ssz::Encode;
    let read_state = |p: &Path| {
        GloasStateProver::<lsv_consensus::Minimal>::from_ssz_vec(std::fs::read(p).unwrap()).unwrap()
    };
    let period_state = data.join("payment/anchor.ssz");
    let period = read_state(&period_state).state().state_roots.to_vec();
    let a = read_state(&paid).state().slot.as_u64();
    let mut late = read_state(&period_state).state().clone();
    late.slot = lsv_consensus::Slot::new((a / 64 + 2) * 64 + 5);
    late.state_roots[(a % 64) as usize] = alloy_primitives::B256::repeat_byte(0x33);
    for k in 0..=a / 64 {
        let summary = lsv_proofs::state::HistoricalSummary {
            block_summary_root: alloy_primitives::B256::repeat_byte(k as u8),
            state_summary_root: lsv_proofs::merkle::MerkleTree::new(period.clone(), 6).root(),
        };
        late.historical_summaries.push(summary).unwrap();
    }
    let late_state = write(dir.path(), "late.ssz", &late.as_ssz_bytes());
    let h = BeaconBlockHeader {
        slot: late.slot,
        proposer_index: 1,
        parent_root: alloy_primitives::B256::repeat_byte(1),
        state_root: GloasStateProver::new(late).state_root(),
        body_root: alloy_primitives::B256::repeat_byte(2),
    };
    let header = header_file("late-header.json", &serde_yaml::to_value(h).unwrap()).0;
    let (ok, v, err) = lsv(&[
        "withdrawal",
        "--network",
        &config,
        "--anchor-state",
        &late_state,
        "--anchor-header",
        &header,
        "--paid-state",
        paid.to_str().unwrap(),
        "--period-state",
        period_state.to_str().unwrap(),
        "--position",
        "0",
    ]);
    assert!(ok, "{err}");
    assert_eq!(v["proves"]["listed_via"], "historical_summaries");
    let proven = PaymentProof::from_bytes(&proof_bytes(&v))
        .unwrap()
        .verify(h.tree_hash_root(), &anchor, MINIMAL_CAPELLA_AT_GENESIS)
        .unwrap();
    assert_eq!(proven.withdrawal.index, 40);
}

/// After Gloas, from a node: `lsv prove withdrawal --paid-slot` proves that the withdrawal the
/// state at that slot lists was paid, against the anchor, with the child slot's timestamp.
#[test]
fn lsv_prove_a_payment_from_a_gloas_node() {
    use common::{PAID_INDEX, PAID_SLOT};
    use lsv_proofs::gloas_withdrawal::PaymentProof;
    let rt = tokio::runtime::Runtime::new().unwrap();
    let tc = std::sync::Arc::new(TestChain::build_fork("gloas"));
    let node = rt.block_on(TestNode::start(tc.clone()));
    let dir = tempfile::tempdir().unwrap();
    let config = write(
        dir.path(),
        "config.yaml",
        common::network_config_yaml().as_bytes(),
    );
    let (ok, v, err) = lsv(&[
        "withdrawal",
        "--beacon-url",
        node.url.as_str(),
        "--network",
        &config,
        "--anchor",
        &ANCHOR_SLOT.to_string(),
        "--paid-slot",
        &PAID_SLOT.to_string(),
        "--position",
        "0",
    ]);
    assert!(ok, "{err}");
    assert_eq!(v["proves"]["route"], "paid_watermark");
    assert_eq!(
        v["proves"]["withdrawal"]["index"].as_u64(),
        Some(PAID_INDEX)
    );
    assert_eq!(v["child_block"]["slot"].as_u64(), Some(CHILD_SLOT));
    let verifier = common::verifier();
    let proven = PaymentProof::from_bytes(&proof_bytes(&v))
        .unwrap()
        .verify(
            tc.anchor_root,
            &verifier.gloas_anchor(),
            verifier.payment_chain(),
        )
        .unwrap();
    assert_eq!(proven.watermark, PAID_INDEX + 1);
}
