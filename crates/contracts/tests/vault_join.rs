//! `join` (`contracts/src/Vault.sol`) on the [`VaultTest`] fixture, with real proofs of the
//! consensus-spec genesis state's validators (their own keys and activation epochs):
//!
//! - the happy path: 31 sETH and a position token to the bound owner, the debt, the event, the
//!   vault's ETH booked; the next validator gets the next id;
//! - every refusal as its named error: foreign or 0x01 credentials, slashed, exiting, under 32
//!   ETH, a proof without the balance, a key joined twice, a full pool, another validator's
//!   proof or key, a short key, a zero owner, a stale, unknown or foreign root;
//! - the dev verifier: another key, high-s, `v` not in {27, 28}, not 65 bytes, another policy
//!   or chain, and evidence bound to another owner are all `AttestationInvalid`.

#![allow(unused_crate_dependencies)]

mod common;

use common::vault::{binding, credentials, genesis_state, VaultTest, POLICY_HASH};
use common::{ether, proof_refusal, refusal};
use k256::ecdsa::SigningKey;
use lsv_consensus::{Epoch, Gwei};
use lsv_contracts::bindings::proof_verifier::ProofVerifier::ProofVerifierErrors as P;
use lsv_contracts::bindings::vault::Vault::{self, VaultErrors as E};
use lsv_contracts::bindings::Positions;
use lsv_contracts::{Address, Chain, B256, U256};
use lsv_proofs::ProofParts;

/// A secp256k1 key that is not the dev attester's.
fn stranger_key() -> SigningKey {
    SigningKey::from_bytes(
        &alloy_primitives::keccak256("vault attester: stranger")
            .0
            .into(),
    )
    .expect("a valid scalar")
}

/// 65-byte `r ‖ s ‖ v` over `digest` (no prefix), low-s as k256 signs.
fn sign(key: &SigningKey, digest: B256) -> Vec<u8> {
    let (signature, recovery) = key
        .sign_prehash_recoverable(digest.as_slice())
        .expect("signs");
    let mut out = signature.to_bytes().to_vec();
    out.push(27 + recovery.to_byte());
    out
}

#[test]
fn join_mints_31_seth_and_a_position_to_the_bound_owner() {
    let mut w = VaultTest::new();
    let owner = w.d.chain.account("operator");
    let p = w.prove(17);
    let call = w.join_call(17, &p, owner, w.evidence(&p.pubkey, owner));
    let keeper = w.keeper;
    let r = w.send(keeper, &call).expect_success();
    let id = r.decode_return::<Vault::joinCall>().unwrap();
    assert_eq!(id, U256::ONE);
    assert_eq!(w.seth_balance(owner), ether(31));
    assert_eq!(w.seth_balance(keeper), U256::ZERO);
    assert_eq!(w.seth_supply(), ether(31));
    assert_eq!(
        w.d.chain
            .view(w.d.positions, &Positions::ownerOfCall { id })
            .unwrap(),
        owner
    );
    let hash = alloy_primitives::keccak256(&p.pubkey);
    assert_eq!(w.view(&Vault::positionIdOfCall { pubkeyHash: hash }), id);
    let pos = w.view(&Vault::positionOfCall { positionId: id });
    assert_eq!(pos.validatorIndex, 17);
    assert_eq!(w.view(&Vault::debtOfCall { positionId: id }), ether(31));
    assert_eq!(pos.shortfall, 0);
    assert_eq!(pos.status, 1, "Active");
    assert_eq!(pos.rewardGwei, 0);
    assert_eq!(pos.lastExitRequestBlock, 0);
    assert_eq!(pos.lastProofSlot, genesis_state().slot.as_u64());
    assert_eq!(pos.lastBalanceGwei.to::<u64>(), 32_000_000_000);
    assert_eq!(U256::from(w.view(&Vault::totalLiveDebtCall {})), ether(31));
    assert_eq!(w.view(&Vault::positionCountCall {}), 1);
    assert_eq!(w.view(&Vault::backingCall {}), ether(31));
    let joined = r.events_from::<Vault::Joined>(w.d.vault);
    assert_eq!(joined.len(), 1);
    assert_eq!(joined[0].positionId, id);
    assert_eq!(joined[0].owner, owner);
    assert_eq!(joined[0].validatorIndex, 17);
    assert_eq!(joined[0].balanceGwei, 32_000_000_000);
    w.assert_eth_accounted(U256::ZERO);
    // A second validator gets the next id.
    let r2 = w.join(18, owner).expect_success();
    assert_eq!(
        r2.decode_return::<Vault::joinCall>().unwrap(),
        U256::from(2)
    );
    assert_eq!(w.seth_balance(owner), ether(62));
}

#[test]
fn join_refuses_credentials_other_than_the_vaults() {
    let mut w = VaultTest::new();
    let owner = w.d.chain.account("operator");
    let other = Address::repeat_byte(0x77);
    let e = w.join_refused(3, owner, |s| {
        s.validators[3].withdrawal_credentials = credentials(other)
    });
    assert!(
        matches!(e, E::WrongWithdrawalCredentials(ref x) if x.proven == credentials(other)),
        "{e:?}"
    );
    // 0x01 credentials to the vault are not compounding: refused too.
    let vault = w.d.vault;
    let e = w.join_refused(3, owner, |s| {
        let mut wc = credentials(vault);
        wc[0] = 1;
        s.validators[3].withdrawal_credentials = wc;
    });
    assert!(matches!(e, E::WrongWithdrawalCredentials(_)), "{e:?}");
}

#[test]
fn join_refuses_a_slashed_validator() {
    let mut w = VaultTest::new();
    let owner = w.d.chain.account("operator");
    let e = w.join_refused(4, owner, |s| s.validators[4].slashed = true);
    assert!(matches!(e, E::ValidatorSlashed(_)), "{e:?}");
}

#[test]
fn join_refuses_an_exiting_validator() {
    let mut w = VaultTest::new();
    let owner = w.d.chain.account("operator");
    let e = w.join_refused(5, owner, |s| s.validators[5].exit_epoch = Epoch::new(1000));
    assert!(
        matches!(e, E::ValidatorExiting(ref x) if x.exitEpoch == 1000),
        "{e:?}"
    );
}

#[test]
fn join_refuses_a_balance_below_32_eth() {
    let mut w = VaultTest::new();
    let owner = w.d.chain.account("operator");
    let e = w.join_refused(6, owner, |s| s.balances[6] = Gwei::new(31_999_999_999));
    assert!(
        matches!(e, E::BalanceTooLow(ref x) if x.balanceGwei == 31_999_999_999 && x.minimumGwei == 32_000_000_000),
        "{e:?}"
    );
    // Exactly 32 ETH joins.
    let mut w = VaultTest::new();
    w.join(6, owner).expect_success();
}

#[test]
fn join_refuses_a_proof_without_the_balance() {
    let mut w = VaultTest::new();
    let owner = w.d.chain.account("operator");
    for parts in [ProofParts::VALIDATOR, ProofParts::INACTIVITY_SCORE] {
        let p = w.prove_with(8, parts, |_| {});
        let call = w.join_call(8, &p, owner, w.evidence(&p.pubkey, owner));
        let keeper = w.keeper;
        assert!(matches!(
            refusal(w.send(keeper, &call)),
            E::BalanceNotProven(_)
        ));
    }
    // With both parts it joins.
    let p = w.prove_with(8, ProofParts::ALL, |_| {});
    let call = w.join_call(8, &p, owner, w.evidence(&p.pubkey, owner));
    let keeper = w.keeper;
    w.send(keeper, &call).expect_success();
}

#[test]
fn a_pubkey_joins_once() {
    let mut w = VaultTest::new();
    let owner = w.d.chain.account("operator");
    w.join(10, owner).expect_success();
    let e = refusal(w.join(10, owner));
    assert!(
        matches!(e, E::AlreadyJoined(ref x) if x.positionId == U256::ONE),
        "{e:?}"
    );
}

#[test]
fn max_validators_caps_the_pool() {
    let mut w = VaultTest::with_max(2);
    let owner = w.d.chain.account("operator");
    w.join(1, owner).expect_success();
    w.join(2, owner).expect_success();
    let e = refusal(w.join(3, owner));
    assert!(
        matches!(e, E::PoolFull(ref x) if x.max == U256::from(2)),
        "{e:?}"
    );
}

#[test]
fn join_refuses_an_attestation_by_another_key_or_malformed() {
    let mut w = VaultTest::new();
    let owner = w.d.chain.account("operator");
    let p = w.prove(11);
    let b = binding(
        &p.pubkey,
        credentials(w.d.vault),
        owner,
        Chain::CHAIN_ID,
        genesis_state().genesis_validators_root,
        POLICY_HASH,
    );
    let stranger = stranger_key();
    let good = w.d.attest(b);
    let mut high_s = good.clone();
    {
        // s' = n - s, v flipped: the same signature's malleated twin.
        let n = U256::from_str_radix(
            "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141",
            16,
        )
        .unwrap();
        let s = U256::from_be_slice(&good[32..64]);
        high_s[32..64].copy_from_slice(&(n - s).to_be_bytes::<32>());
        high_s[64] = if good[64] == 27 { 28 } else { 27 };
    }
    let mut bad_v = good.clone();
    bad_v[64] -= 27;
    let keeper = w.keeper;
    for (label, evidence) in [
        ("another key", sign(&stranger, b)),
        ("high s", high_s),
        ("v not 27/28", bad_v),
        ("64 bytes", good[..64].to_vec()),
        ("66 bytes", [good.clone(), vec![0]].concat()),
        ("empty", vec![]),
        (
            "another policy",
            w.d.attest(binding(
                &p.pubkey,
                credentials(w.d.vault),
                owner,
                Chain::CHAIN_ID,
                genesis_state().genesis_validators_root,
                B256::ZERO,
            )),
        ),
        (
            "another chain",
            w.d.attest(binding(
                &p.pubkey,
                credentials(w.d.vault),
                owner,
                1,
                genesis_state().genesis_validators_root,
                POLICY_HASH,
            )),
        ),
    ] {
        let call = w.join_call(11, &p, owner, evidence);
        assert!(
            matches!(refusal(w.send(keeper, &call)), E::AttestationInvalid(_)),
            "{label}"
        );
    }
    let call = w.join_call(11, &p, owner, good);
    w.send(keeper, &call).expect_success();
}

#[test]
fn join_refuses_an_attestation_bound_to_another_owner() {
    let mut w = VaultTest::new();
    let owner = w.d.chain.account("operator");
    let thief = w.d.chain.account("thief");
    let p = w.prove(12);
    // The evidence is public once the operator has used or published it: it names the owner.
    let evidence = w.evidence(&p.pubkey, owner);
    let call = w.join_call(12, &p, thief, evidence.clone());
    assert!(matches!(
        refusal(w.send(thief, &call)),
        E::AttestationInvalid(_)
    ));
    let call = w.join_call(12, &p, owner, evidence);
    w.send(thief, &call).expect_success();
    assert_eq!(w.seth_balance(owner), ether(31));
    assert_eq!(w.seth_balance(thief), U256::ZERO);
}

#[test]
fn join_refuses_a_stale_unknown_or_foreign_root() {
    let mut w = VaultTest::new();
    let owner = w.d.chain.account("operator");
    let p = w.prove(13);
    let keeper = w.keeper;
    let evidence = w.evidence(&p.pubkey, owner);
    // The next block's root is another one: the proof does not reach it.
    w.d.chain.next_block(B256::repeat_byte(0x99));
    let mut call = w.join_call(13, &p, owner, evidence.clone());
    call.timestamp = U256::from(w.d.chain.timestamp());
    assert!(matches!(
        proof_refusal(w.send(keeper, &call)),
        P::ProofRootMismatch(_)
    ));
    // A missed slot, the future, zero: no root.
    w.d.chain.next_block_after(1, B256::repeat_byte(0x98));
    for t in [w.d.chain.timestamp() - 12, w.d.chain.timestamp() + 12, 0] {
        call.timestamp = U256::from(t);
        assert!(
            matches!(
                proof_refusal(w.send(keeper, &call)),
                P::BeaconRootUnavailable(_)
            ),
            "{t}"
        );
    }
    // Older than the 8191-block window: overwritten.
    for _ in 0..8191 {
        w.d.chain.next_block(B256::repeat_byte(0x97));
    }
    call.timestamp = p.timestamp;
    let e = proof_refusal(w.send(keeper, &call));
    assert!(
        matches!(e, P::ProofRootMismatch(_) | P::BeaconRootUnavailable(_)),
        "{e:?}"
    );
}

#[test]
fn join_refuses_another_validators_proof_or_a_bad_pubkey() {
    let mut w = VaultTest::new();
    let owner = w.d.chain.account("operator");
    let p = w.prove(14);
    let keeper = w.keeper;
    // Validator 15's pubkey with validator 14's proof (and index): not the proven key.
    let other = genesis_state().validators[15].pubkey.0.to_vec();
    let mut call = w.join_call(14, &p, owner, w.evidence(&other, owner));
    call.pubkey = other.into();
    assert!(matches!(
        refusal(w.send(keeper, &call)),
        E::PubkeyMismatch(_)
    ));
    // Another index for the same proof: the root does not match.
    let mut call = w.join_call(14, &p, owner, w.evidence(&p.pubkey, owner));
    call.validatorIndex = 15;
    assert!(matches!(
        proof_refusal(w.send(keeper, &call)),
        P::ProofRootMismatch(_)
    ));
    let mut call = w.join_call(14, &p, owner, w.evidence(&p.pubkey, owner));
    call.pubkey = p.pubkey[..47].to_vec().into();
    assert!(
        matches!(refusal(w.send(keeper, &call)), E::InvalidPubkeyLength(ref x) if x.length == U256::from(47))
    );
    let call = w.join_call(14, &p, Address::ZERO, w.evidence(&p.pubkey, Address::ZERO));
    assert!(matches!(refusal(w.send(keeper, &call)), E::InvalidOwner(_)));
}
