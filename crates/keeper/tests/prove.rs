//! Proofs built from a beacon node: the bytes verify with the reference verifier against the
//! anchor root, the timestamp is the payload timestamp of the anchor's child (across a missed
//! slot), every withdrawal route is chosen and fetched as it should be, and what cannot be
//! proven is refused with its own error.

#![allow(unused_crate_dependencies)]

mod common;

use alloy_primitives::B256;
use common::{
    network, verifier, Faults, TestChain, TestNode, ANCHOR_SLOT, BR_SLOT, C, CHILD_SLOT, HIST_SLOT,
};
use lsv_consensus::Slot;
use lsv_keeper::prove::{
    eip4788_time, find_eip4788_time, validator_proof, withdrawal_proof, DEFAULT_CHILD_SEARCH_SLOTS,
};
use lsv_keeper::{
    prove_validator, prove_withdrawal, BlockId, ProveError, VerifierConfig, WithdrawalSelector,
};
use lsv_proofs::{
    ProofParts, ValidatorProof, WithdrawalProof, WithdrawalProveError, WithdrawalRoute,
};
use std::sync::{Arc, OnceLock};

fn fulu_chain() -> Arc<TestChain> {
    static C: OnceLock<Arc<TestChain>> = OnceLock::new();
    C.get_or_init(|| Arc::new(TestChain::build(true))).clone()
}

#[tokio::test]
async fn the_timestamp_is_the_childs_payload_timestamp_across_a_missed_slot() {
    let tc = TestChain::electra();
    let node = TestNode::start(tc.clone()).await;
    let child = &tc.block(CHILD_SLOT).block.message;
    let time = find_eip4788_time(
        &node.client(),
        tc.anchor_root,
        Slot::new(ANCHOR_SLOT),
        DEFAULT_CHILD_SEARCH_SLOTS,
    )
    .await
    .unwrap();
    assert_eq!(time.timestamp, child.body.execution_payload.timestamp);
    assert_eq!(time.child_slot, Slot::new(CHILD_SLOT));
    assert_eq!(time.child_root, tc.block(CHILD_SLOT).root);
    // The missed slot was asked for and skipped.
    let requests = node.requests();
    assert!(requests.contains(&format!("/eth/v1/beacon/headers/{}", ANCHOR_SLOT + 1)));
    // The same from the block itself (the files path).
    assert_eq!(eip4788_time(tc.anchor_root, child).unwrap(), time);
}

#[tokio::test]
async fn no_child_yet_no_child_in_range_and_a_child_of_another_parent_are_refused() {
    let tc = TestChain::electra();
    let node = TestNode::start(tc.clone()).await;
    let client = node.client();
    // The head has no child yet.
    let head = tc.block(CHILD_SLOT);
    let e = find_eip4788_time(&client, head.root, Slot::new(CHILD_SLOT), 64)
        .await
        .unwrap_err();
    assert!(
        matches!(e, ProveError::NoChildYet { head_slot, .. } if head_slot == Slot::new(CHILD_SLOT)),
        "{e:?}"
    );
    // The anchor's child is two slots on; looking one slot ahead finds nothing.
    let e = find_eip4788_time(&client, tc.anchor_root, Slot::new(ANCHOR_SLOT), 1)
        .await
        .unwrap_err();
    assert!(
        matches!(e, ProveError::NoChildWithin { searched: 1, .. }),
        "{e:?}"
    );
    // The block after BR_SLOT builds on another parent: BR_SLOT's root never reaches 4788.
    let br = tc.block(BR_SLOT);
    let e = find_eip4788_time(&client, br.root, Slot::new(BR_SLOT), 64)
        .await
        .unwrap_err();
    assert!(
        matches!(e, ProveError::NotTheChild { child_slot, anchor_root, .. }
            if child_slot == Slot::new(BR_SLOT + 1) && anchor_root == br.root),
        "{e:?}"
    );
    assert!(eip4788_time(B256::repeat_byte(1), &tc.block(CHILD_SLOT).block.message).is_err());
}

#[tokio::test]
async fn validator_proofs_verify_against_the_anchor_in_both_layouts() {
    for tc in [TestChain::electra(), fulu_chain()] {
        let node = TestNode::start(tc.clone()).await;
        let client = node.client();
        let verifier = verifier();
        let prover = tc.anchor_prover();
        let n = prover.state().validators().len() as u64;
        for (anchor, index, parts) in [
            (BlockId::Finalized, 0, ProofParts::ALL),
            (
                BlockId::Slot(Slot::new(ANCHOR_SLOT)),
                n - 1,
                ProofParts::BALANCE,
            ),
            (BlockId::Root(tc.anchor_root), n / 2, ProofParts::VALIDATOR),
            (BlockId::Finalized, 5, ProofParts::INACTIVITY_SCORE),
        ] {
            let out = prove_validator(&client, &verifier, anchor, index, parts)
                .await
                .unwrap();
            assert_eq!(
                out.timestamp(),
                tc.block(CHILD_SLOT)
                    .block
                    .message
                    .body
                    .execution_payload
                    .timestamp
            );
            assert_eq!(out.time.child_slot, Slot::new(CHILD_SLOT));
            assert_eq!(out.proof.anchor_root, tc.anchor_root);
            assert_eq!(out.proof.anchor_slot, Slot::new(ANCHOR_SLOT));
            // The bytes are what the contract gets; check them independently.
            let proven = ValidatorProof::from_bytes(&out.proof.bytes)
                .unwrap()
                .verify(tc.anchor_root, index, &verifier.anchor)
                .unwrap();
            assert_eq!(proven, out.proof.proven);
            let state = prover.state();
            assert_eq!(proven.validator, state.validators()[index as usize]);
            assert_eq!(
                proven.balance,
                parts.balance.then(|| state.balances()[index as usize])
            );
            assert_eq!(
                proven.inactivity_score,
                parts
                    .inactivity_score
                    .then(|| state.inactivity_scores()[index as usize])
            );
            assert_eq!(proven.slot, Slot::new(ANCHOR_SLOT));
            assert_eq!(proven.fork.current_version, state.fork().current_version);
            // Against any other root it fails.
            assert!(ValidatorProof::from_bytes(&out.proof.bytes)
                .unwrap()
                .verify(tc.block(CHILD_SLOT).root, index, &verifier.anchor)
                .is_err());
        }
        // The state was fetched by its root, as the README says it must be.
        assert!(node.requests().contains(&format!(
            "/eth/v2/debug/beacon/states/{}",
            tc.anchor_state_root
        )));
    }
}

#[tokio::test]
async fn withdrawal_proofs_take_every_route_and_verify() {
    for tc in [TestChain::electra(), fulu_chain()] {
        let node = TestNode::start(tc.clone()).await;
        let client = node.client();
        let verifier = verifier();
        for (block, route) in [
            (ANCHOR_SLOT, WithdrawalRoute::Direct),
            (BR_SLOT, WithdrawalRoute::BlockRoots),
            (HIST_SLOT, WithdrawalRoute::HistoricalSummaries),
        ] {
            let served = tc.block(block);
            let withdrawals = &served.block.message.body.execution_payload.withdrawals;
            for (j, which) in [
                (0usize, WithdrawalSelector::Index(withdrawals[0].index)),
                (15, WithdrawalSelector::Position(15)),
                (9, WithdrawalSelector::Index(withdrawals[9].index)),
            ] {
                let out = prove_withdrawal(
                    &client,
                    &verifier,
                    BlockId::Finalized,
                    BlockId::Slot(Slot::new(block)),
                    which,
                )
                .await
                .unwrap();
                assert_eq!(
                    out.timestamp(),
                    tc.block(CHILD_SLOT)
                        .block
                        .message
                        .body
                        .execution_payload
                        .timestamp
                );
                let proven = WithdrawalProof::from_bytes(&out.proof.bytes)
                    .unwrap()
                    .verify(
                        tc.anchor_root,
                        &verifier.anchor,
                        verifier.capella_slot,
                        verifier.withdrawal_depths,
                    )
                    .unwrap();
                assert_eq!(proven, out.proof.proven);
                assert_eq!(proven.route, route);
                assert_eq!(proven.withdrawal, withdrawals[j]);
                assert_eq!(usize::from(proven.position), j);
                assert_eq!(proven.slot, Slot::new(block));
                assert_eq!(proven.block_root, served.root);
                assert_eq!(proven.anchor_slot, Slot::new(ANCHOR_SLOT));
                if j % 3 == 0 {
                    assert_eq!(proven.withdrawal.address, C);
                }
            }
        }
        // The historical route fetched the state at the first slot of the next period.
        let period_slot = common::period_state_slot_of_hist();
        assert_eq!(period_slot.as_u64() % 8192, 0);
        assert_eq!(period_slot.as_u64() / 8192, HIST_SLOT / 8192 + 1);
        assert!(node
            .requests()
            .contains(&format!("/eth/v2/debug/beacon/states/{period_slot}")));
    }
}

#[test]
fn the_period_roots_must_be_exactly_the_summarized_vector() {
    // The state at the period's last slot holds a stale entry 8191 (`process_slot` writes the
    // last slot's root on the way to the next slot, when the summary is taken), which is why
    // `period_state_slot` is the next period's first slot. One stale entry is refused.
    let tc = TestChain::electra();
    let verifier = verifier();
    let prover = tc.anchor_prover();
    let block = &tc.block(HIST_SLOT).block.message;
    let mut at_last_slot = tc.period_roots.clone();
    at_last_slot[8191] = B256::repeat_byte(0x99);
    let e = withdrawal_proof(
        &verifier,
        &prover,
        tc.anchor_header(),
        block,
        WithdrawalSelector::Position(0),
        Some(&at_last_slot),
    )
    .unwrap_err();
    assert!(
        matches!(
            e,
            ProveError::Withdrawal(WithdrawalProveError::PeriodRootsMismatch { .. })
        ),
        "{e:?}"
    );
    withdrawal_proof(
        &verifier,
        &prover,
        tc.anchor_header(),
        block,
        WithdrawalSelector::Position(0),
        Some(&tc.period_roots),
    )
    .unwrap();
}

#[tokio::test]
async fn what_cannot_be_proven_is_refused() {
    let tc = TestChain::electra();
    let node = TestNode::start(tc.clone()).await;
    let client = node.client();
    let verifier = verifier();

    // A validator past the registry.
    let n = tc.anchor_prover().state().validators().len() as u64;
    let e = prove_validator(&client, &verifier, BlockId::Finalized, n, ProofParts::ALL)
        .await
        .unwrap_err();
    assert!(
        matches!(
            e,
            ProveError::Validator(lsv_proofs::ProveError::UnknownValidator { .. })
        ),
        "{e:?}"
    );
    // An orphaned anchor.
    let e = prove_validator(
        &client,
        &verifier,
        BlockId::Root(tc.orphan_root),
        0,
        ProofParts::ALL,
    )
    .await
    .unwrap_err();
    assert!(matches!(e, ProveError::AnchorNotCanonical { .. }), "{e:?}");
    // The head as anchor: no child yet, and no state is downloaded for nothing.
    let before = node.requests().len();
    let e = prove_validator(&client, &verifier, BlockId::Head, 0, ProofParts::ALL)
        .await
        .unwrap_err();
    assert!(matches!(e, ProveError::NoChildYet { .. }), "{e:?}");
    assert!(!node.requests()[before..]
        .iter()
        .any(|r| r.contains("/states/")));

    // A withdrawal index the block does not have.
    let e = prove_withdrawal(
        &client,
        &verifier,
        BlockId::Finalized,
        BlockId::Slot(Slot::new(BR_SLOT)),
        WithdrawalSelector::Index(1),
    )
    .await
    .unwrap_err();
    assert!(
        matches!(
            e,
            ProveError::NoSuchWithdrawalIndex {
                index: 1,
                indices: Some(_),
                ..
            }
        ),
        "{e:?}"
    );
    assert!(e.to_string().contains("it has"), "{e}");
    let e = prove_withdrawal(
        &client,
        &verifier,
        BlockId::Finalized,
        BlockId::Slot(Slot::new(BR_SLOT)),
        WithdrawalSelector::Position(16),
    )
    .await
    .unwrap_err();
    assert!(
        matches!(
            e,
            ProveError::Withdrawal(WithdrawalProveError::NoSuchWithdrawal { position: 16, .. })
        ),
        "{e:?}"
    );
    // A block after the anchor.
    let e = prove_withdrawal(
        &client,
        &verifier,
        BlockId::Finalized,
        BlockId::Head,
        WithdrawalSelector::Position(0),
    )
    .await
    .unwrap_err();
    assert!(matches!(e, ProveError::BlockAfterAnchor { .. }), "{e:?}");
    // A block that is not in the anchor's history (an orphan).
    let e = prove_withdrawal(
        &client,
        &verifier,
        BlockId::Finalized,
        BlockId::Root(tc.orphan_root),
        WithdrawalSelector::Position(0),
    )
    .await
    .unwrap_err();
    assert!(
        matches!(
            e,
            ProveError::Withdrawal(WithdrawalProveError::BlockNotInBlockRoots { .. })
        ),
        "{e:?}"
    );
    // A missed slot.
    let e = prove_withdrawal(
        &client,
        &verifier,
        BlockId::Finalized,
        BlockId::Slot(Slot::new(ANCHOR_SLOT + 1)),
        WithdrawalSelector::Position(0),
    )
    .await
    .unwrap_err();
    assert!(
        matches!(&e, ProveError::Beacon(b) if b.is_not_found()),
        "{e:?}"
    );
}

/// Why `node` cannot give a proof of validator 0 at the finalized block for `chain`.
async fn refusal(node: &TestNode, verifier: &VerifierConfig) -> ProveError {
    prove_validator(
        &node.client(),
        verifier,
        BlockId::Finalized,
        0,
        ProofParts::ALL,
    )
    .await
    .unwrap_err()
}

#[tokio::test]
async fn another_network_or_a_verifier_without_the_fork_is_refused() {
    let tc = TestChain::electra();
    // The node is on another chain.
    let node = TestNode::start_with(
        tc.clone(),
        Faults {
            wrong_genesis: true,
            ..Faults::default()
        },
    )
    .await;
    let e = refusal(&node, &verifier()).await;
    assert!(matches!(e, ProveError::GenesisMismatch { .. }), "{e:?}");
    // Mainnet's own genesis: not the test chain's.
    let node = TestNode::start(tc.clone()).await;
    let mainnet = VerifierConfig::of_network(&lsv_consensus::Network::mainnet());
    let e = refusal(&node, &mainnet).await;
    assert!(matches!(e, ProveError::GenesisMismatch { .. }), "{e:?}");
    // A verifier that knows only Fulu refuses the Electra state's proof: the self-check
    // catches it before anything is returned.
    let mut fulu_only = verifier();
    fulu_only.anchor.fork_versions = vec![network().forks[&lsv_consensus::ForkName::Fulu].1];
    let prover = tc.anchor_prover();
    let e =
        validator_proof(&fulu_only, &prover, &tc.anchor_header(), 0, ProofParts::ALL).unwrap_err();
    assert!(matches!(e, ProveError::SelfCheck(_)), "{e:?}");
    // The state endpoint failing surfaces as the beacon error.
    let node = TestNode::start_with(
        tc,
        Faults {
            state_error: Some((500, "state not available".into())),
            ..Faults::default()
        },
    )
    .await;
    let e = refusal(&node, &verifier()).await;
    assert!(e.to_string().contains("state not available"), "{e}");
}

#[tokio::test]
async fn a_node_without_the_spec_endpoint_proves_as_mainnet_as_before() {
    let tc = TestChain::electra();
    let node = TestNode::start(tc.clone()).await;
    let client = node.client();
    let verifier = verifier();
    // The test node serves no /eth/v1/config/spec: a 404, so mainnet's preset.
    assert!(client.preset().await.unwrap_err().is_not_found());
    let preset = lsv_keeper::node_preset(&client).await.unwrap();
    assert_eq!(preset, lsv_consensus::PresetName::Mainnet);
    let by_preset = lsv_keeper::prove_validator_by_preset(
        &client,
        &verifier,
        preset,
        BlockId::Finalized,
        3,
        ProofParts::ALL,
    )
    .await
    .unwrap();
    let mainnet = prove_validator(&client, &verifier, BlockId::Finalized, 3, ProofParts::ALL)
        .await
        .unwrap();
    assert_eq!(by_preset, mainnet);
    // Decoding the mainnet chain's blocks as minimal-preset ones fails, as it should.
    assert!(client
        .block_of::<lsv_consensus::Minimal>(BlockId::Finalized)
        .await
        .is_err());
}

/// After Gloas the node serves the anchor state in the progressive layout: the keeper hashes it
/// as such and proves validators in format 2, with the timestamp of the child slot (the child
/// block carries no payload under ePBS); a withdrawal through a block's payload is refused by
/// name from such an anchor (payments are proven from the expected withdrawals instead).
#[tokio::test]
async fn a_gloas_anchor_gives_format_2_validator_proofs() {
    use lsv_proofs::gloas::{GloasAnchor, GloasValidatorProof};
    let tc = Arc::new(TestChain::build_fork("gloas"));
    let node = TestNode::start(tc.clone()).await;
    let client = node.client();
    let verifier = verifier();
    let anchored = prove_validator(
        &client,
        &verifier,
        BlockId::Slot(Slot::new(ANCHOR_SLOT)),
        3,
        ProofParts::ALL,
    )
    .await
    .unwrap();
    let bytes = &anchored.proof.bytes;
    assert_eq!(bytes[0], 2, "format 2");
    assert_eq!(anchored.time.timestamp, tc.genesis_time + CHILD_SLOT * 12);
    assert_eq!(anchored.time.child_slot, Slot::new(CHILD_SLOT));
    let anchor = GloasAnchor {
        genesis_time: tc.genesis_time,
        genesis_validators_root: tc.genesis_validators_root,
    };
    let proven = GloasValidatorProof::from_bytes(bytes)
        .unwrap()
        .verify(tc.anchor_root, 3, &anchor)
        .unwrap();
    assert_eq!(proven, anchored.proof.proven);
    assert_eq!(proven.fork.current_version.0, [7, 0, 0, 0]);
    let err = prove_withdrawal(
        &client,
        &verifier,
        BlockId::Slot(Slot::new(ANCHOR_SLOT)),
        BlockId::Slot(Slot::new(BR_SLOT)),
        WithdrawalSelector::Position(0),
    )
    .await
    .unwrap_err();
    assert!(
        matches!(err, ProveError::GloasWithdrawalNotRouted { .. }),
        "{err}"
    );
}

/// After Gloas, the keeper proves a payment from the node: the state that lists the
/// withdrawal, the anchor whose `state_roots` hold it and whose watermark is past it.
#[tokio::test]
async fn a_payment_after_gloas_is_proven_from_the_node() {
    use common::{PAID_INDEX, PAID_SLOT};
    use lsv_keeper::prove::prove_payment_in;
    let tc = Arc::new(TestChain::build_fork("gloas"));
    let node = TestNode::start(tc.clone()).await;
    let client = node.client();
    let verifier = verifier();
    let anchored = prove_payment_in::<lsv_consensus::Mainnet>(
        &client,
        &verifier,
        BlockId::Slot(Slot::new(ANCHOR_SLOT)),
        Slot::new(PAID_SLOT),
        0,
    )
    .await
    .unwrap();
    let paid = &anchored.proof.proven;
    assert_eq!(anchored.proof.bytes[0], 2);
    assert_eq!(
        (paid.withdrawal.index, paid.withdrawal.address),
        (PAID_INDEX, C)
    );
    assert_eq!(paid.slot, Slot::new(PAID_SLOT));
    assert_eq!(paid.watermark, PAID_INDEX + 1);
    assert_eq!(anchored.time.child_slot, Slot::new(CHILD_SLOT));
    assert!(node
        .requests()
        .contains(&format!("/eth/v2/debug/beacon/states/{PAID_SLOT}")));
    // Before Gloas there is no payment to prove: withdrawals are in blocks.
    let before = TestChain::electra();
    let node = TestNode::start(before).await;
    let err = prove_payment_in::<lsv_consensus::Mainnet>(
        &node.client(),
        &verifier,
        BlockId::Slot(Slot::new(ANCHOR_SLOT)),
        Slot::new(PAID_SLOT),
        0,
    )
    .await
    .unwrap_err();
    assert!(matches!(err, ProveError::NotGloasAnchor { .. }), "{err}");
}

/// After Gloas no block holds the sweep: the keeper finds it from the validator's balance,
/// bisecting small `validators/{index}` queries down to the state that listed the payment (one
/// state fetched, not one per slot), and that payment is then proven by its global index.
#[tokio::test]
async fn a_sweep_after_gloas_is_found_by_the_validators_balance() {
    use common::{GLOAS_SLOT, PAID_INDEX, PAID_SLOT};
    use lsv_keeper::prove::{
        fetch_anchor, find_sweep_payment, listed_payment_proof, AnchorProver, PaymentSelector,
    };
    let tc = Arc::new(TestChain::build_fork("gloas"));
    let node = TestNode::start(tc.clone()).await;
    let client = node.client();
    let found = find_sweep_payment::<lsv_consensus::Mainnet>(
        &client,
        3,
        C,
        Slot::new(GLOAS_SLOT),
        Slot::new(ANCHOR_SLOT),
    )
    .await
    .unwrap();
    let (w, listed) = found.expect("the sweep's payment");
    assert_eq!((w.index, w.validator_index, w.address), (PAID_INDEX, 3, C));
    assert_eq!(listed, Slot::new(PAID_SLOT));
    let requests = node.requests();
    let queries = requests
        .iter()
        .filter(|r| r.contains("/validators/3"))
        .count();
    assert!(queries <= 7, "bisected in {queries} queries");
    let states = requests.iter().filter(|r| r.contains("/debug/")).count();
    assert_eq!(states, 1, "one state fetched: {requests:?}");
    // Paid to another address, or not swept yet by the end of the range: nothing.
    for (to_address, to) in [
        (alloy_primitives::Address::repeat_byte(1), ANCHOR_SLOT),
        (C, PAID_SLOT - 1),
    ] {
        let none = find_sweep_payment::<lsv_consensus::Mainnet>(
            &client,
            3,
            to_address,
            Slot::new(GLOAS_SLOT),
            Slot::new(to),
        )
        .await
        .unwrap();
        assert_eq!(none, None);
    }
    // The keeper searches only for the exiting validators the anchor shows swept and whose
    // payment it has not noted: validator 3 (withdrawable at the fork, balance 0), not
    // validator 5 (not withdrawable), and not validator 3 once its payment is in the journal.
    let verifier = verifier();
    let anchor = fetch_anchor::<lsv_consensus::Mainnet>(
        &client,
        &verifier,
        BlockId::Slot(Slot::new(ANCHOR_SLOT)),
    )
    .await
    .unwrap();
    let AnchorProver::Progressive(state) = &anchor.prover else {
        panic!("a Gloas anchor");
    };
    use lsv_keeper::keeper::{swept_unnoted, VaultWithdrawal};
    assert_eq!(
        swept_unnoted(state.state(), [3, 5], &[], 32),
        vec![(3, Slot::new(GLOAS_SLOT))]
    );
    let noted = VaultWithdrawal {
        index: w.index,
        slot: listed.as_u64(),
        validator_index: 3,
        amount_gwei: w.amount.as_u64(),
    };
    assert_eq!(swept_unnoted(state.state(), [3, 5], &[noted], 32), vec![]);
    // And the keeper proves it by its index against the anchor.
    let proof = listed_payment_proof(
        &client,
        &verifier,
        state,
        &anchor.info.header,
        listed,
        PaymentSelector::Index(PAID_INDEX),
    )
    .await
    .unwrap();
    assert_eq!(proof.proven.withdrawal.index, PAID_INDEX);
    let err = listed_payment_proof(
        &client,
        &verifier,
        state,
        &anchor.info.header,
        listed,
        PaymentSelector::Index(PAID_INDEX + 1),
    )
    .await
    .unwrap_err();
    assert!(matches!(err, ProveError::PaymentNotListed { .. }), "{err}");
    // A state before the fork lists nothing: its withdrawals are in its block, and the keeper
    // proves those by format 1 against that block instead.
    let period_slot = common::period_state_slot_of_hist();
    let err = listed_payment_proof(
        &client,
        &verifier,
        state,
        &anchor.info.header,
        period_slot,
        PaymentSelector::Index(PAID_INDEX),
    )
    .await
    .unwrap_err();
    assert!(matches!(err, ProveError::PreGloasState { .. }), "{err}");
}
