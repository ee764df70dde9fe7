//! The vault (`contracts/src/Vault.sol`) end to end in revm, with real beacon-state proofs.
//!
//! The mainnet Electra genesis state of the consensus-spec vectors is decoded, edited in Rust
//! (a validator's withdrawal credentials set to the vault's, its balance, flags, epochs), hashed
//! again by `lsv-proofs`, wrapped in a block header whose root goes through EIP-4788 with
//! `next_block`; the proof is built by `lsv-proofs` and the attestation signed with a `k256` dev
//! attester key over a binding computed here independently of the contract.
//!
//! - join: the happy path, then every refusal as its named error;
//! - the dev verifier: low-s only, `v` in {27, 28}, 65 bytes;
//! - the queue: request / finalize / claim to the wei, FCFS, claim twice, wrong hint, buffer;
//! - eject (7002 full exit dequeued with the vault as source, reward once, refusals), markExiting,
//!   markSlashed / markToProof (shortfall both ways, the rate of later batches only), demand exits
//!   (demand, FIFO cursor, skips with proof, wrap);
//! - settlement (join → eject → exit → withdrawal → settle → both claims, to the wei), realised
//!   losses and late credits, refusals, unattributed withdrawals;
//! - a stateful property test over random join / donate / redeem / finalize / claim / transfer /
//!   mark / eject / markExiting / demand-exit sequences against a model;
//!
//! Gas per call is measured by `lsv_contracts::vault_gas` (`lsv bench gas`), not here.

mod common;

use alloy_sol_types::{SolCall, SolValue};
use common::{ether, refusal};
use k256::ecdsa::SigningKey;
use lsv_consensus::containers::BeaconBlockHeader;
use lsv_consensus::{Epoch, ForkName, Gwei, Mainnet};
use lsv_contracts::artifacts::{VAULT, WITHDRAWAL_VERIFIER};
use lsv_contracts::bindings::vault::Vault::{self, VaultErrors as E};
use lsv_contracts::bindings::{DevAttestationVerifier, Positions, SETH as Seth};
use lsv_contracts::devnet::{Deployment, VaultConfig};
use lsv_contracts::{Address, Chain, Receipt, B256, U256};
use lsv_proofs::block::{BeaconBlock, BeaconBlockBody, Withdrawal};
use lsv_proofs::state::electra::BeaconState;
use lsv_proofs::withdrawal::{WithdrawalProver, WithdrawalRoute};
use lsv_proofs::{AnyBeaconState, ProofParts, StateProver};
use sha2::{Digest, Sha256};
use ssz::Decode;
use std::path::PathBuf;
use std::sync::OnceLock;
use tree_hash::TreeHash;

type State = BeaconState<Mainnet>;

const MAX_VALIDATORS: u64 = 8;
const INACTIVITY_TRIGGER: u64 = 100;
const EXIT_RESEND_BLOCKS: u64 = 50;
/// `WIND_DOWN_DELAY`: 30 days without an accepted proof.
const WIND_DOWN_DELAY: u64 = 30 * 24 * 3600;
const POLICY_HASH: B256 = B256::repeat_byte(0x50);
/// The first slot of `historical_summaries` in the test chain: its genesis is post-Capella.
const CAPELLA_SLOT: u64 = 0;
/// Mainnet Electra and Fulu versions, packed from the most significant end.
const FORK_VERSIONS: B256 = {
    let mut v = [0u8; 32];
    v[0] = 5;
    v[4] = 6;
    B256::new(v)
};

fn min_redeem() -> U256 {
    ether(1) / U256::from(100) // 0.01 sETH
}

// ---- the beacon state ------------------------------------------------------------------------

/// The consensus-spec-tests mainnet Electra genesis state (256 validators), decoded once.
fn genesis_state() -> &'static State {
    static S: OnceLock<State> = OnceLock::new();
    S.get_or_init(|| {
        let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(
            "../../testdata/ssz/merkle_proof/light_client/mainnet/electra/light_client/single_merkle_proof/BeaconState/BeaconState.object.ssz",
        );
        let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        match AnyBeaconState::<Mainnet>::from_ssz_bytes(ForkName::Electra, &bytes).unwrap() {
            AnyBeaconState::Electra(s) => *s,
            AnyBeaconState::Fulu(_) => unreachable!("an Electra state"),
        }
    })
}

fn credentials(vault: Address) -> B256 {
    let mut wc = B256::ZERO;
    wc[0] = 0x02;
    wc[12..].copy_from_slice(vault.as_slice());
    wc
}

// ---- the dev attester ------------------------------------------------------------------------

fn attester_key(label: &str) -> (SigningKey, Address) {
    let key = SigningKey::from_bytes(
        &alloy_primitives::keccak256(format!("vault attester: {label}"))
            .0
            .into(),
    )
    .expect("a valid scalar");
    let point = key.verifying_key().to_encoded_point(false);
    let address = Address::from_slice(&alloy_primitives::keccak256(&point.as_bytes()[1..])[12..]);
    (key, address)
}

/// The key-generation binding, computed here from the design's definition (not read from C):
/// sha256(sha256("lsv/keygen/v1") ‖ pubkey ‖ credentials ‖ owner ‖ chain id (32, BE) ‖ gvr ‖ policy).
fn binding(
    pubkey: &[u8],
    wc: B256,
    owner: Address,
    chain_id: u64,
    gvr: B256,
    policy: B256,
) -> B256 {
    let tag = Sha256::digest(b"lsv/keygen/v1");
    let mut h = Sha256::new();
    h.update(tag);
    h.update(pubkey);
    h.update(wc);
    h.update(owner);
    h.update(U256::from(chain_id).to_be_bytes::<32>());
    h.update(gvr);
    h.update(policy);
    B256::from_slice(&h.finalize())
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

// ---- the world -------------------------------------------------------------------------------

struct World {
    chain: Chain,
    vault: Address,
    seth: Address,
    positions: Address,
    verifier: Address,
    attester: SigningKey,
    keeper: Address,
    salt: u64,
}

/// What a proof is of: the genesis state with validator `index` given the vault's credentials and
/// 32 ETH, then `edit` applied.
struct Proven {
    timestamp: U256,
    proof: Vec<u8>,
    pubkey: Vec<u8>,
}

impl World {
    fn new() -> Self {
        Self::with_max(MAX_VALIDATORS)
    }

    fn with_max(max_validators: u64) -> Self {
        let mut chain = Chain::new();
        let (attester, attester_address) = attester_key("dev");
        let s = genesis_state();
        let anchor = (s.genesis_time, s.genesis_validators_root, FORK_VERSIONS);
        let config = VaultConfig {
            max_validators,
            inactivity_trigger: INACTIVITY_TRIGGER,
            exit_resend_blocks: EXIT_RESEND_BLOCKS,
            min_redeem: min_redeem(),
            policy_hash: POLICY_HASH,
            wind_down_delay: WIND_DOWN_DELAY,
        };
        let Deployment {
            vault,
            seth,
            positions,
            verifier,
            ..
        } = Deployment::deploy(&mut chain, attester_address, anchor, CAPELLA_SLOT, &config);
        let keeper = chain.account("keeper");
        Self {
            chain,
            vault,
            seth,
            positions,
            verifier,
            attester,
            keeper,
            salt: 0,
        }
    }

    /// The genesis state with validator `index` given the vault's credentials and 32 ETH, then
    /// `edit` applied.
    fn state_with(&self, index: u64, edit: impl FnOnce(&mut State)) -> State {
        let mut s = genesis_state().clone();
        let i = index as usize;
        s.validators[i].withdrawal_credentials = credentials(self.vault);
        s.balances[i] = Gwei::new(32_000_000_000);
        edit(&mut s);
        s
    }

    /// Proves validator `index` of the edited genesis state (`parts`), pushing its block root
    /// through EIP-4788; the returned timestamp is the new block's.
    fn prove_with(
        &mut self,
        index: u64,
        parts: ProofParts,
        edit: impl FnOnce(&mut State),
    ) -> Proven {
        let s = self.state_with(index, edit);
        let pubkey = s.validators[index as usize].pubkey.0.to_vec();
        let header_slot = s.slot;
        let prover = StateProver::new(AnyBeaconState::Electra(Box::new(s)));
        self.salt += 1;
        let mut body_root = B256::repeat_byte(0xb2);
        body_root[..8].copy_from_slice(&self.salt.to_le_bytes());
        let header = BeaconBlockHeader {
            slot: header_slot,
            proposer_index: 3,
            parent_root: B256::repeat_byte(0xa1),
            state_root: prover.state_root(),
            body_root,
        };
        let proof = prover
            .validator_proof(&header, index, parts)
            .unwrap()
            .to_bytes();
        self.chain.next_block(header.tree_hash_root());
        Proven {
            timestamp: U256::from(self.chain.timestamp()),
            proof,
            pubkey,
        }
    }

    fn prove(&mut self, index: u64) -> Proven {
        self.prove_with(index, ProofParts::BALANCE, |_| {})
    }

    fn evidence(&self, pubkey: &[u8], owner: Address) -> Vec<u8> {
        let s = genesis_state();
        let b = binding(
            pubkey,
            credentials(self.vault),
            owner,
            Chain::CHAIN_ID,
            s.genesis_validators_root,
            POLICY_HASH,
        );
        sign(&self.attester, b)
    }

    fn join_call(
        &self,
        index: u64,
        p: &Proven,
        owner: Address,
        evidence: Vec<u8>,
    ) -> Vault::joinCall {
        Vault::joinCall {
            pubkey: p.pubkey.clone().into(),
            owner,
            evidence: evidence.into(),
            validatorIndex: index,
            timestamp: p.timestamp,
            proof: p.proof.clone().into(),
        }
    }

    fn send<C: SolCall>(&mut self, from: Address, call: &C) -> Receipt {
        self.send_value(from, call, U256::ZERO)
    }

    fn send_value<C: SolCall>(&mut self, from: Address, call: &C, value: U256) -> Receipt {
        let to = self.vault;
        self.chain
            .send(from, to, call, value)
            .expect("valid transaction")
    }

    /// Joins validator `index` for `owner` with a fresh proof; returns the receipt.
    fn join(&mut self, index: u64, owner: Address) -> Receipt {
        let p = self.prove(index);
        let call = self.join_call(index, &p, owner, self.evidence(&p.pubkey, owner));
        let keeper = self.keeper;
        self.send(keeper, &call)
    }

    fn join_refused(&mut self, index: u64, owner: Address, edit: impl FnOnce(&mut State)) -> E {
        let p = self.prove_with(index, ProofParts::BALANCE, edit);
        let call = self.join_call(index, &p, owner, self.evidence(&p.pubkey, owner));
        let keeper = self.keeper;
        refusal(self.send(keeper, &call))
    }

    fn seth_balance(&self, who: Address) -> U256 {
        self.chain
            .view(self.seth, &Seth::balanceOfCall { account: who })
            .unwrap()
    }

    fn seth_supply(&self) -> U256 {
        self.chain
            .view(self.seth, &Seth::totalSupplyCall {})
            .unwrap()
    }

    fn buffer(&self) -> U256 {
        U256::from(self.chain.view(self.vault, &Vault::bufferCall {}).unwrap())
    }

    fn reserved(&self) -> U256 {
        U256::from(
            self.chain
                .view(self.vault, &Vault::reservedCall {})
                .unwrap(),
        )
    }

    /// `requestRedeem(amount)`: no approval, the vault burns the caller's own sETH.
    fn redeem(&mut self, who: Address, amount: U256) -> Receipt {
        self.send(who, &Vault::requestRedeemCall { amount })
    }

    fn outstanding(&self) -> U256 {
        self.chain
            .view(self.vault, &Vault::outstandingCall {})
            .unwrap()
    }

    fn donate(&mut self, from: Address, amount: U256) {
        let vault = self.vault;
        self.chain
            .submit(lsv_contracts::TxRequest::new(
                from,
                Some(vault),
                Vec::<u8>::new(),
                amount,
            ))
            .unwrap()
            .expect_success();
    }

    /// The vault's ETH is buffer + reserved + residuals + what arrived without a proof yet (and
    /// `residualTotalGwei` is the sum of every `residualOf`).
    fn assert_eth_accounted(&self, unproven: U256) {
        self.total_residuals();
        common::assert_vault_eth_booked(&self.chain, self.vault, unproven);
    }
}

// ---- deployment and the binding ----------------------------------------------------------------

#[test]
fn deploy_creates_its_tokens_and_fixes_every_parameter() {
    let w = World::new();
    assert_eq!(w.chain.view(w.seth, &Seth::VAULTCall {}).unwrap(), w.vault);
    assert_eq!(
        w.chain.view(w.positions, &Positions::VAULTCall {}).unwrap(),
        w.vault
    );
    assert_eq!(
        w.chain.view(w.vault, &Vault::VERIFIERCall {}).unwrap(),
        w.verifier
    );
    assert_eq!(
        w.chain.view(w.vault, &Vault::MINTCall {}).unwrap(),
        ether(31)
    );
    assert_eq!(
        w.chain
            .view(w.vault, &Vault::EJECT_BELOW_GWEICall {})
            .unwrap(),
        31_990_000_000
    );
    assert_eq!(
        w.chain.view(w.vault, &Vault::EJECT_REWARDCall {}).unwrap(),
        ether(1) / U256::from(10)
    );
    assert_eq!(
        w.chain
            .view(w.vault, &Vault::MAX_VALIDATORSCall {})
            .unwrap(),
        U256::from(MAX_VALIDATORS)
    );
    assert_eq!(
        w.chain.view(w.vault, &Vault::MIN_REDEEMCall {}).unwrap(),
        min_redeem()
    );
    assert_eq!(
        w.chain.view(w.vault, &Vault::POLICY_HASHCall {}).unwrap(),
        POLICY_HASH
    );
    assert_eq!(
        w.chain
            .view(w.vault, &Vault::WITHDRAWAL_CREDENTIALSCall {})
            .unwrap(),
        credentials(w.vault)
    );
    let (_, attester) = attester_key("dev");
    assert_eq!(
        w.chain
            .view(w.verifier, &DevAttestationVerifier::ATTESTERCall {})
            .unwrap(),
        attester
    );
}

#[test]
fn the_dev_verifier_refuses_a_zero_attester() {
    let mut chain = Chain::new();
    let err = chain
        .deploy(
            &lsv_contracts::artifacts::DEV_ATTESTATION_VERIFIER,
            &Address::ZERO.abi_encode(),
        )
        .unwrap_err();
    assert!(matches!(
        err.revert_error::<DevAttestationVerifier::DevAttestationVerifierErrors>(),
        Some(DevAttestationVerifier::DevAttestationVerifierErrors::ZeroAttester(_))
    ));
}

#[test]
fn unusable_constructor_arguments_are_refused() {
    let mut chain = Chain::new();
    let s = genesis_state();
    let verifier = Address::repeat_byte(1);
    let good = (s.genesis_time, s.genesis_validators_root, FORK_VERSIONS);
    let deploy_withdrawals = |chain: &mut Chain, anchor: (u64, B256, B256)| {
        chain
            .deploy(
                &WITHDRAWAL_VERIFIER,
                &(anchor, CAPELLA_SLOT).abi_encode_params(),
            )
            .unwrap()
    };
    let withdrawals = deploy_withdrawals(&mut chain, good);
    let foreign = deploy_withdrawals(
        &mut chain,
        (s.genesis_time, B256::repeat_byte(9), FORK_VERSIONS),
    );
    let args = |index: u64| {
        let mut a = (
            verifier,
            good,
            U256::ONE,
            1u64,
            U256::ONE,
            U256::ONE,
            B256::ZERO,
            withdrawals,
            U256::ONE,
        );
        match index {
            0 => a.0 = Address::ZERO,
            1 => a.1 = (1, B256::ZERO, B256::ZERO),
            2 => a.2 = U256::ZERO,
            4 => a.4 = U256::ZERO,
            5 => a.5 = U256::ZERO,
            8 => a.8 = U256::ZERO,
            _ => {}
        }
        a
    };
    let mut cases: Vec<_> = [0u64, 1, 2, 4, 5, 8].map(|i| (i, args(i))).to_vec();
    // Position ids and counts are 32-bit.
    let mut a = args(2);
    a.2 = U256::from(u32::MAX) + U256::ONE;
    cases.push((2, a));
    // The withdrawal verifier must be a contract anchored to the same chain.
    for bad in [Address::repeat_byte(7), foreign] {
        let mut a = args(7);
        a.7 = bad;
        cases.push((7, a));
    }
    for (index, args) in cases {
        let err = chain.deploy(&VAULT, &args.abi_encode_params()).unwrap_err();
        match err.revert_error::<E>() {
            Some(E::InvalidConstructorArgument(e)) => assert_eq!(e.index, U256::from(index)),
            other => panic!("{index}: {other:?}"),
        }
    }
    chain.deploy(&VAULT, &args(7).abi_encode_params()).unwrap();
}

#[test]
fn the_binding_is_the_documented_sha256_and_the_tag_is_sha256_of_its_name() {
    let w = World::new();
    let tag = w.chain.view(w.vault, &Vault::DOMAIN_TAGCall {}).unwrap();
    assert_eq!(tag.as_slice(), Sha256::digest(b"lsv/keygen/v1").as_slice());
    let pubkey = genesis_state().validators[9].pubkey.0.to_vec();
    let owner = Address::repeat_byte(0x0e);
    let on_chain = w
        .chain
        .view(
            w.vault,
            &Vault::keyGenerationBindingCall {
                pubkey: pubkey.clone().into(),
                owner,
            },
        )
        .unwrap();
    let here = binding(
        &pubkey,
        credentials(w.vault),
        owner,
        Chain::CHAIN_ID,
        genesis_state().genesis_validators_root,
        POLICY_HASH,
    );
    assert_eq!(on_chain, here);
    // 228 bytes of preimage: every field counts.
    assert_ne!(
        here,
        binding(
            &pubkey,
            credentials(w.vault),
            owner,
            1,
            genesis_state().genesis_validators_root,
            POLICY_HASH
        )
    );
    let short = w.chain.view(
        w.vault,
        &Vault::keyGenerationBindingCall {
            pubkey: vec![1u8; 47].into(),
            owner,
        },
    );
    assert!(matches!(
        short.unwrap_err().revert_error::<E>(),
        Some(E::InvalidPubkeyLength(_))
    ));
}

// ---- join ------------------------------------------------------------------------------------

#[test]
fn join_mints_31_seth_and_a_position_to_the_bound_owner() {
    let mut w = World::new();
    let owner = w.chain.account("operator");
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
        w.chain
            .view(w.positions, &Positions::ownerOfCall { id })
            .unwrap(),
        owner
    );
    let hash = alloy_primitives::keccak256(&p.pubkey);
    assert_eq!(
        w.chain
            .view(w.vault, &Vault::positionIdOfCall { pubkeyHash: hash })
            .unwrap(),
        id
    );
    let pos = w
        .chain
        .view(w.vault, &Vault::positionOfCall { positionId: id })
        .unwrap();
    assert_eq!(pos.validatorIndex, 17);
    assert_eq!(
        w.chain
            .view(w.vault, &Vault::debtOfCall { positionId: id })
            .unwrap(),
        ether(31)
    );
    assert_eq!(pos.shortfall, 0);
    assert_eq!(pos.status, 1, "Active");
    assert!(!pos.rewardPaid);
    assert_eq!(pos.lastExitRequestBlock, 0);
    assert_eq!(pos.lastProofSlot, genesis_state().slot.as_u64());
    assert_eq!(
        pos.activationEpoch,
        genesis_state().validators[17].activation_epoch.as_u64()
    );
    assert_eq!(
        U256::from(w.chain.view(w.vault, &Vault::totalLiveDebtCall {}).unwrap()),
        ether(31)
    );
    assert_eq!(
        w.chain.view(w.vault, &Vault::positionCountCall {}).unwrap(),
        1
    );
    assert_eq!(
        w.chain.view(w.vault, &Vault::backingCall {}).unwrap(),
        ether(31)
    );
    let joined = r.events_from::<Vault::Joined>(w.vault);
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
    let mut w = World::new();
    let owner = w.chain.account("operator");
    let other = Address::repeat_byte(0x77);
    let e = w.join_refused(3, owner, |s| {
        s.validators[3].withdrawal_credentials = credentials(other)
    });
    assert!(
        matches!(e, E::WrongWithdrawalCredentials(ref x) if x.proven == credentials(other)),
        "{e:?}"
    );
    // 0x01 credentials to the vault are not compounding: refused too.
    let vault = w.vault;
    let e = w.join_refused(3, owner, |s| {
        let mut wc = credentials(vault);
        wc[0] = 1;
        s.validators[3].withdrawal_credentials = wc;
    });
    assert!(matches!(e, E::WrongWithdrawalCredentials(_)), "{e:?}");
}

#[test]
fn join_refuses_a_slashed_validator() {
    let mut w = World::new();
    let owner = w.chain.account("operator");
    let e = w.join_refused(4, owner, |s| s.validators[4].slashed = true);
    assert!(matches!(e, E::ValidatorSlashed(_)), "{e:?}");
}

#[test]
fn join_refuses_an_exiting_validator() {
    let mut w = World::new();
    let owner = w.chain.account("operator");
    let e = w.join_refused(5, owner, |s| s.validators[5].exit_epoch = Epoch::new(1000));
    assert!(
        matches!(e, E::ValidatorExiting(ref x) if x.exitEpoch == 1000),
        "{e:?}"
    );
}

#[test]
fn join_refuses_a_balance_below_32_eth() {
    let mut w = World::new();
    let owner = w.chain.account("operator");
    let e = w.join_refused(6, owner, |s| s.balances[6] = Gwei::new(31_999_999_999));
    assert!(
        matches!(e, E::BalanceTooLow(ref x) if x.balanceGwei == 31_999_999_999 && x.minimumGwei == 32_000_000_000),
        "{e:?}"
    );
    // Exactly 32 ETH joins.
    let mut w = World::new();
    w.join(6, owner).expect_success();
}

#[test]
fn join_refuses_a_proof_without_the_balance() {
    let mut w = World::new();
    let owner = w.chain.account("operator");
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
    let mut w = World::new();
    let owner = w.chain.account("operator");
    w.join(10, owner).expect_success();
    let e = refusal(w.join(10, owner));
    assert!(
        matches!(e, E::AlreadyJoined(ref x) if x.positionId == U256::ONE),
        "{e:?}"
    );
}

#[test]
fn max_validators_caps_the_pool() {
    let mut w = World::with_max(2);
    let owner = w.chain.account("operator");
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
    let mut w = World::new();
    let owner = w.chain.account("operator");
    let p = w.prove(11);
    let b = binding(
        &p.pubkey,
        credentials(w.vault),
        owner,
        Chain::CHAIN_ID,
        genesis_state().genesis_validators_root,
        POLICY_HASH,
    );
    let (stranger, _) = attester_key("stranger");
    let good = sign(&w.attester, b);
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
            sign(
                &w.attester,
                binding(
                    &p.pubkey,
                    credentials(w.vault),
                    owner,
                    Chain::CHAIN_ID,
                    genesis_state().genesis_validators_root,
                    B256::ZERO,
                ),
            ),
        ),
        (
            "another chain",
            sign(
                &w.attester,
                binding(
                    &p.pubkey,
                    credentials(w.vault),
                    owner,
                    1,
                    genesis_state().genesis_validators_root,
                    POLICY_HASH,
                ),
            ),
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
    let mut w = World::new();
    let owner = w.chain.account("operator");
    let thief = w.chain.account("thief");
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
    let mut w = World::new();
    let owner = w.chain.account("operator");
    let p = w.prove(13);
    let keeper = w.keeper;
    let evidence = w.evidence(&p.pubkey, owner);
    // The next block's root is another one: the proof does not reach it.
    w.chain.next_block(B256::repeat_byte(0x99));
    let mut call = w.join_call(13, &p, owner, evidence.clone());
    call.timestamp = U256::from(w.chain.timestamp());
    assert!(matches!(
        refusal(w.send(keeper, &call)),
        E::ProofRootMismatch(_)
    ));
    // A missed slot, the future, zero: no root.
    w.chain.next_block_after(1, B256::repeat_byte(0x98));
    for t in [w.chain.timestamp() - 12, w.chain.timestamp() + 12, 0] {
        call.timestamp = U256::from(t);
        assert!(
            matches!(refusal(w.send(keeper, &call)), E::BeaconRootUnavailable(_)),
            "{t}"
        );
    }
    // Older than the 8191-block window: overwritten.
    for _ in 0..8191 {
        w.chain.next_block(B256::repeat_byte(0x97));
    }
    call.timestamp = p.timestamp;
    let e = refusal(w.send(keeper, &call));
    assert!(
        matches!(e, E::ProofRootMismatch(_) | E::BeaconRootUnavailable(_)),
        "{e:?}"
    );
}

#[test]
fn join_refuses_another_validators_proof_or_a_bad_pubkey() {
    let mut w = World::new();
    let owner = w.chain.account("operator");
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
        refusal(w.send(keeper, &call)),
        E::ProofRootMismatch(_)
    ));
    let mut call = w.join_call(14, &p, owner, w.evidence(&p.pubkey, owner));
    call.pubkey = p.pubkey[..47].to_vec().into();
    assert!(
        matches!(refusal(w.send(keeper, &call)), E::InvalidPubkeyLength(ref x) if x.length == U256::from(47))
    );
    let call = w.join_call(14, &p, Address::ZERO, w.evidence(&p.pubkey, Address::ZERO));
    assert!(matches!(refusal(w.send(keeper, &call)), E::InvalidOwner(_)));
}

// ---- the queue -------------------------------------------------------------------------------

fn seth_transfer(w: &mut World, from: Address, to: Address, amount: U256) {
    let seth = w.seth;
    w.chain
        .send(from, seth, &Seth::transferCall { to, amount }, U256::ZERO)
        .unwrap()
        .expect_success();
}

fn finalize(w: &mut World, up_to: u64) -> Receipt {
    let keeper = w.keeper;
    w.send(
        keeper,
        &Vault::finalizeCall {
            upToRequestId: U256::from(up_to),
        },
    )
}

fn claim(w: &mut World, id: u64, hint: u64) -> Receipt {
    let keeper = w.keeper;
    w.send(
        keeper,
        &Vault::claimCall {
            requestId: U256::from(id),
            checkpointHint: U256::from(hint),
        },
    )
}

fn milli(n: u64) -> U256 {
    ether(1) / U256::from(1000) * U256::from(n)
}

#[test]
fn donations_join_the_buffer_and_backing() {
    let mut w = World::new();
    let donor = w.chain.account("donor");
    w.donate(donor, ether(3));
    assert_eq!(w.buffer(), ether(3));
    assert_eq!(
        w.chain.view(w.vault, &Vault::backingCall {}).unwrap(),
        ether(3)
    );
    w.assert_eth_accounted(U256::ZERO);
}

#[test]
fn requests_are_finalized_in_order_and_claimed_to_the_wei_once() {
    let mut w = World::new();
    let alice = w.chain.account("alice");
    let bob = w.chain.account("bob");
    let donor = w.chain.account("donor");
    w.join(20, alice).expect_success();
    w.join(21, alice).expect_success();
    seth_transfer(&mut w, alice, bob, ether(20));

    // Below the minimum: refused, nothing locked.
    let e = refusal(w.redeem(alice, min_redeem() - U256::ONE));
    assert!(matches!(e, E::RedeemTooSmall(_)), "{e:?}");

    let r1 = w.redeem(alice, ether(10)).expect_success();
    assert_eq!(
        r1.decode_return::<Vault::requestRedeemCall>().unwrap(),
        U256::ONE
    );
    w.redeem(bob, milli(5_500)).expect_success();
    let r3 = w.redeem(alice, min_redeem()).expect_success();
    let ev = r3.events_from::<Vault::RedeemRequested>(w.vault);
    assert_eq!(ev[0].requestId, U256::from(3));
    assert_eq!(ev[0].cumulative, ether(10) + milli(5_500) + min_redeem());
    // Burned when requested, still outstanding until finalized.
    let requested = ether(10) + milli(5_500) + min_redeem();
    assert_eq!(w.seth_balance(w.vault), U256::ZERO);
    assert_eq!(w.seth_supply(), ether(62) - requested);
    assert_eq!(w.outstanding(), ether(62));
    assert_eq!(w.seth_balance(alice), ether(42) - ether(10) - min_redeem());

    // Nothing to pay with yet; then not enough for both.
    let e = refusal(finalize(&mut w, 1));
    assert!(
        matches!(e, E::InsufficientBuffer(ref x) if x.needed == ether(10) && x.buffer.is_zero()),
        "{e:?}"
    );
    w.donate(donor, ether(12));
    let e = refusal(finalize(&mut w, 2));
    assert!(
        matches!(e, E::InsufficientBuffer(ref x) if x.needed == ether(10) + milli(5_500)),
        "{e:?}"
    );
    for bad in [0, 4] {
        let e = refusal(finalize(&mut w, bad));
        assert!(matches!(e, E::InvalidFinalizeTarget(_)), "{bad}: {e:?}");
    }
    // Claims wait for finalization.
    assert!(matches!(
        refusal(claim(&mut w, 1, 1)),
        E::RequestNotFinalized(_)
    ));

    let f = finalize(&mut w, 1).expect_success();
    let ev = f.events_from::<Vault::Finalized>(w.vault);
    assert_eq!(
        (ev[0].fromRequestId, ev[0].toRequestId),
        (U256::ONE, U256::ONE)
    );
    assert_eq!(
        (ev[0].sethAmount, ev[0].ethReserved, ev[0].rate),
        (ether(10), ether(10), ether(1))
    );
    assert_eq!(w.buffer(), ether(2));
    assert_eq!(w.reserved(), ether(10));
    assert_eq!(w.outstanding(), ether(52));
    assert_eq!(w.seth_supply(), ether(62) - requested);
    assert!(matches!(
        refusal(finalize(&mut w, 1)),
        E::InvalidFinalizeTarget(_)
    ));
    w.assert_eth_accounted(U256::ZERO);

    // Anyone may trigger the claim; the owner is paid, to the wei.
    let before = w.chain.balance(alice);
    let c = claim(&mut w, 1, 1).expect_success();
    assert_eq!(w.chain.balance(alice) - before, ether(10));
    let ev = c.events_from::<Vault::Claimed>(w.vault);
    assert_eq!((ev[0].owner, ev[0].amount), (alice, ether(10)));
    assert!(matches!(refusal(claim(&mut w, 1, 1)), E::AlreadyClaimed(_)));
    assert_eq!(w.reserved(), U256::ZERO);

    // Requests 2 and 3 in one batch at the same rate: the checkpoint is extended, not added.
    w.donate(donor, ether(4));
    finalize(&mut w, 3).expect_success();
    assert_eq!(
        w.chain
            .view(w.vault, &Vault::checkpointCountCall {})
            .unwrap(),
        1
    );
    assert_eq!(
        w.chain
            .view(
                w.vault,
                &Vault::findCheckpointCall {
                    requestId: U256::from(3)
                }
            )
            .unwrap(),
        U256::ONE
    );
    for hint in [0, 2] {
        let e = refusal(claim(&mut w, 3, hint));
        assert!(matches!(e, E::InvalidCheckpointHint(_)), "{hint}: {e:?}");
    }
    assert_eq!(
        w.chain
            .view(
                w.vault,
                &Vault::claimableCall {
                    requestId: U256::from(2),
                    checkpointHint: U256::ONE
                }
            )
            .unwrap(),
        milli(5_500)
    );
    let (bob_before, alice_before) = (w.chain.balance(bob), w.chain.balance(alice));
    claim(&mut w, 3, 1).expect_success(); // order of claims is free once finalized
    claim(&mut w, 2, 1).expect_success();
    assert_eq!(w.chain.balance(bob) - bob_before, milli(5_500));
    assert_eq!(w.chain.balance(alice) - alice_before, min_redeem());
    assert_eq!(
        w.buffer(),
        ether(16) - ether(10) - milli(5_500) - min_redeem()
    );
    assert_eq!(w.reserved(), U256::ZERO);
    assert_eq!(w.seth_supply(), ether(62) - requested);
    assert_eq!(w.outstanding(), w.seth_supply());
    w.assert_eth_accounted(U256::ZERO);
    assert!(matches!(
        refusal(claim(&mut w, 4, 1)),
        E::RequestNotFinalized(_)
    ));
}

/// The queue's running total is 96-bit: a request that would carry it past 2^96 - 1 is refused
/// by name before any sETH moves (no supply could reach it, so this guards the arithmetic only).
#[test]
fn a_request_past_the_queues_96_bit_total_is_refused() {
    let mut w = World::new();
    let alice = w.chain.account("alice");
    w.join(24, alice).expect_success();
    w.redeem(alice, ether(1)).expect_success();
    let too_much = (U256::ONE << 96) - ether(1);
    let e = refusal(w.redeem(alice, too_much));
    assert!(matches!(e, E::QueueTotalOverflow(_)), "{e:?}");
    assert_eq!(w.seth_balance(alice), ether(30));
    assert_eq!(
        w.chain.view(w.vault, &Vault::lastRequestIdCall {}).unwrap(),
        1
    );
}

#[test]
fn redeeming_burns_the_callers_own_seth_without_an_approval() {
    let mut w = World::new();
    let alice = w.chain.account("alice");
    let bob = w.chain.account("bob");
    w.join(22, alice).expect_success();
    // Bob holds nothing: refused by sETH, no request recorded.
    let r = w.redeem(bob, ether(1));
    assert!(!r.is_success());
    assert!(matches!(
        r.revert_error::<Seth::SETHErrors>(),
        Some(Seth::SETHErrors::InsufficientBalance(_))
    ));
    assert_eq!(
        w.chain.view(w.vault, &Vault::lastRequestIdCall {}).unwrap(),
        0
    );
    // Alice needs no allowance: her own sETH is burned, and only hers.
    let r = w.redeem(alice, ether(1)).expect_success();
    assert_eq!(
        r.events_from::<Seth::Transfer>(w.seth),
        vec![Seth::Transfer {
            from: alice,
            to: Address::ZERO,
            amount: ether(1)
        }]
    );
    assert_eq!(w.seth_balance(alice), ether(30));
    assert_eq!(w.seth_supply(), ether(30));
    assert_eq!(w.outstanding(), ether(31));
    let allowance = Seth::allowanceCall {
        owner: alice,
        spender: w.vault,
    };
    assert_eq!(w.chain.view(w.seth, &allowance).unwrap(), U256::ZERO);
}

// ---- gas ------------------------------------------------------------------------------------

// ---- eject, marks, demand exits ------------------------------------------------------------------

/// A slot whose epoch (266) is 266 epochs after the genesis validators' activation (epoch 0):
/// long enough for the consensus layer to honour an exit request.
const ACTIVE_SLOT: u64 = 266 * 32;
const FAR_FUTURE: u64 = u64::MAX;
/// 31.98 ETH: under `EJECT_BELOW` (31.99).
const GWEI_31_98: u64 = 31_980_000_000;

/// What a proof should show about validator `index` (on top of the vault's credentials).
#[derive(Clone, Copy)]
struct Facts {
    slot: u64,
    balance: u64,
    score: u64,
    exit_epoch: u64,
    activation_epoch: u64,
    slashed: bool,
}

impl Facts {
    fn at(slot: u64) -> Self {
        Self {
            slot,
            balance: 32_000_000_000,
            score: 0,
            exit_epoch: FAR_FUTURE,
            activation_epoch: 0,
            slashed: false,
        }
    }
    fn balance(self, balance: u64) -> Self {
        Self { balance, ..self }
    }
    fn score(self, score: u64) -> Self {
        Self { score, ..self }
    }
    fn exit(self, exit_epoch: u64) -> Self {
        Self { exit_epoch, ..self }
    }
    fn activation(self, activation_epoch: u64) -> Self {
        Self {
            activation_epoch,
            ..self
        }
    }
    fn slashed(self) -> Self {
        Self {
            slashed: true,
            ..self
        }
    }
}

impl World {
    /// Joins validator `index` for `owner`; returns the position id.
    fn joined(&mut self, index: u64, owner: Address) -> U256 {
        let r = self.join(index, owner).expect_success();
        r.decode_return::<Vault::joinCall>().unwrap()
    }

    /// A proof of validator `index` showing `f`, with `parts`.
    fn facts(&mut self, index: u64, parts: ProofParts, f: Facts) -> Proven {
        self.prove_with(index, parts, |s| {
            let i = index as usize;
            s.slot = lsv_consensus::Slot::new(f.slot);
            s.balances[i] = Gwei::new(f.balance);
            s.inactivity_scores[i] = f.score;
            s.validators[i].exit_epoch = Epoch::new(f.exit_epoch);
            s.validators[i].activation_epoch = Epoch::new(f.activation_epoch);
            s.validators[i].slashed = f.slashed;
        })
    }

    fn eject_with(
        &mut self,
        from: Address,
        id: U256,
        p: &Proven,
        max_fee: u64,
        value: u64,
    ) -> Receipt {
        let call = Vault::ejectCall {
            positionId: id,
            timestamp: p.timestamp,
            proof: p.proof.clone().into(),
            maxFee: U256::from(max_fee),
        };
        self.send_value(from, &call, U256::from(value))
    }

    fn eject(&mut self, id: U256, p: &Proven) -> Receipt {
        let keeper = self.keeper;
        self.eject_with(keeper, id, p, 1_000, 1_000)
    }

    fn mark(&mut self, id: U256, p: &Proven, slashed: bool) -> Receipt {
        let keeper = self.keeper;
        let (timestamp, proof) = (p.timestamp, p.proof.clone().into());
        if slashed {
            self.send(
                keeper,
                &Vault::markSlashedCall {
                    positionId: id,
                    timestamp,
                    proof,
                },
            )
        } else {
            self.send(
                keeper,
                &Vault::markToProofCall {
                    positionId: id,
                    timestamp,
                    proof,
                },
            )
        }
    }

    fn mark_exiting(&mut self, id: U256, p: &Proven) -> Receipt {
        let keeper = self.keeper;
        self.send(
            keeper,
            &Vault::markExitingCall {
                positionId: id,
                timestamp: p.timestamp,
                proof: p.proof.clone().into(),
            },
        )
    }

    fn demand_exit(&mut self, id: U256, p: &Proven) -> Receipt {
        let keeper = self.keeper;
        let call = Vault::demandExitCall {
            positionId: id,
            timestamp: p.timestamp,
            proof: p.proof.clone().into(),
            maxFee: U256::from(10),
        };
        self.send_value(keeper, &call, U256::from(10))
    }

    fn skip(&mut self, id: U256, p: Option<&Proven>) -> Receipt {
        let keeper = self.keeper;
        let call = Vault::skipDemandExitCall {
            positionId: id,
            timestamp: p.map_or(U256::ZERO, |p| p.timestamp),
            proof: p.map_or(Vec::new(), |p| p.proof.clone()).into(),
        };
        self.send(keeper, &call)
    }

    fn position(&self, id: U256) -> lsv_contracts::bindings::vault::IVault::Position {
        self.chain
            .view(self.vault, &Vault::positionOfCall { positionId: id })
            .unwrap()
    }

    fn total_debt(&self) -> U256 {
        U256::from(
            self.chain
                .view(self.vault, &Vault::totalLiveDebtCall {})
                .unwrap(),
        )
    }

    fn shortfall(&self) -> U256 {
        U256::from(
            self.chain
                .view(self.vault, &Vault::provisionalShortfallCall {})
                .unwrap(),
        )
    }

    fn backing(&self) -> U256 {
        self.chain.view(self.vault, &Vault::backingCall {}).unwrap()
    }

    fn pending(&self) -> U256 {
        U256::from(
            self.chain
                .view(self.vault, &Vault::pendingExitDebtCall {})
                .unwrap(),
        )
    }

    fn exiting(&self) -> U256 {
        U256::from(
            self.chain
                .view(self.vault, &Vault::exitingDebtCall {})
                .unwrap(),
        )
    }

    fn debt_of(&self, id: U256) -> U256 {
        self.chain
            .view(self.vault, &Vault::debtOfCall { positionId: id })
            .unwrap()
    }

    fn cursor(&self) -> U256 {
        self.chain
            .view(self.vault, &Vault::demandCursorCall {})
            .unwrap()
    }

    fn advance(&mut self, blocks: u64) {
        for _ in 0..blocks {
            self.chain.next_block(B256::repeat_byte(0x77));
        }
    }
}

fn tenth() -> U256 {
    ether(1) / U256::from(10)
}

/// A chain whose EIP-7002 predeploy is missing (fee query answered with nothing) or refuses the
/// request: the eject fails by name and changes nothing (no reward, no flag, no request).
#[test]
fn an_unusable_withdrawal_predeploy_fails_the_eject_by_name() {
    let predeploy: Address = "0x00000961Ef480Eb55e80D19ad83579A64c007002"
        .parse()
        .unwrap(); // WITHDRAWAL_REQUEST_PREDEPLOY_ADDRESS (EIP-7002)
                   // Answers an empty call (the fee query) with 1 and reverts on any request:
                   //  0 CALLDATASIZE  1 PUSH1 0x0e  3 JUMPI  4 PUSH1 1  6 PUSH1 0  8 MSTORE  9 PUSH1 32
                   // 11 PUSH1 0  13 RETURN  14 JUMPDEST  15 PUSH1 0  17 DUP1  18 REVERT
    let refusing = vec![
        0x36, 0x60, 0x0e, 0x57, 0x60, 0x01, 0x60, 0x00, 0x52, 0x60, 0x20, 0x60, 0x00, 0xf3, 0x5b,
        0x60, 0x00, 0x80, 0xfd,
    ];
    for (code, missing) in [(Vec::new(), true), (refusing, false)] {
        let mut w = World::new();
        let owner = w.chain.account("operator");
        let id = w.joined(40, owner);
        let p = w.facts(
            40,
            ProofParts::ALL,
            Facts::at(ACTIVE_SLOT).balance(GWEI_31_98),
        );
        w.chain.set_code(predeploy, code.into());
        let e = refusal(w.eject(id, &p));
        if missing {
            assert!(matches!(e, E::WithdrawalFeeUnavailable(_)), "{e:?}");
        } else {
            assert!(matches!(e, E::WithdrawalRequestFailed(_)), "{e:?}");
        }
        let pos = w.position(id);
        assert!(!pos.rewardPaid && !pos.exitRequested);
        assert_eq!(w.seth_balance(w.keeper), U256::ZERO);
        assert_eq!(w.pending(), U256::ZERO);
    }
}

#[test]
fn eject_at_31_98_sends_a_full_exit_from_the_vault_and_pays_the_reward_once() {
    let mut w = World::new();
    let owner = w.chain.account("operator");
    let keeper = w.keeper;
    let id = w.joined(40, owner);
    let p = w.facts(
        40,
        ProofParts::ALL,
        Facts::at(ACTIVE_SLOT).balance(GWEI_31_98),
    );
    let eth_before = w.chain.balance(keeper);
    let r = w.eject(id, &p).expect_success();

    let ev = r.events_from::<Vault::Ejected>(w.vault);
    assert_eq!(ev.len(), 1);
    assert_eq!(
        (
            ev[0].positionId,
            ev[0].caller,
            ev[0].balanceGwei,
            ev[0].inactivityScore,
            ev[0].slot,
            ev[0].rewarded
        ),
        (id, keeper, GWEI_31_98, 0, ACTIVE_SLOT, true)
    );
    // The reward is a mint of 0.1 sETH to the caller.
    assert_eq!(
        r.events_from::<Seth::Transfer>(w.seth),
        vec![Seth::Transfer {
            from: Address::ZERO,
            to: keeper,
            amount: tenth()
        }]
    );
    let req = r.events_from::<Vault::ExitRequested>(w.vault);
    assert_eq!(
        (req[0].positionId, req[0].fee, req[0].pendingExitDebt),
        (id, U256::ONE, ether(31) + tenth())
    );
    // Exactly the fee (1 wei with an empty queue) left the caller; the rest came back.
    assert_eq!(eth_before - w.chain.balance(keeper), U256::ONE);
    w.assert_eth_accounted(U256::ZERO);
    assert_eq!(w.seth_balance(keeper), tenth());
    assert_eq!(w.seth_supply(), ether(31) + tenth());
    assert_eq!(w.total_debt(), ether(31) + tenth());
    assert_eq!(
        w.chain
            .view(w.vault, &Vault::debtOfCall { positionId: id })
            .unwrap(),
        ether(31) + tenth()
    );
    let pos = w.position(id);
    assert!(pos.rewardPaid);
    assert_eq!(
        pos.status, 1,
        "still Active: only a later proof marks it exiting"
    );
    assert_eq!(pos.lastExitRequestBlock, w.chain.block_number());
    assert_eq!(pos.lastProofSlot, ACTIVE_SLOT);
    assert_eq!(w.shortfall(), U256::ZERO, "31.98 ETH covers 31.1");

    // The system call after the block hands the consensus layer a full exit from the vault.
    let requests = w
        .chain
        .next_block(B256::repeat_byte(0x66))
        .withdrawals
        .clone();
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0].source_address, w.vault);
    assert_eq!(requests[0].validator_pubkey.as_slice(), &p.pubkey[..]);
    assert_eq!(requests[0].amount, 0, "a full exit");

    // Again within EXIT_RESEND_BLOCKS: refused, even with a fresher proof.
    let again = w.facts(
        40,
        ProofParts::ALL,
        Facts::at(ACTIVE_SLOT + 1).balance(GWEI_31_98),
    );
    let sent = pos.lastExitRequestBlock.to::<u64>();
    let e = refusal(w.eject(id, &again));
    assert!(
        matches!(e, E::ExitRequestTooSoon(ref x) if x.positionId == id
            && x.lastRequestBlock == U256::from(sent)
            && x.earliestBlock == U256::from(sent + EXIT_RESEND_BLOCKS)),
        "{e:?}"
    );
    // After it: re-sent, but no second reward.
    w.advance(EXIT_RESEND_BLOCKS);
    let later = w.facts(
        40,
        ProofParts::ALL,
        Facts::at(ACTIVE_SLOT + 2).balance(GWEI_31_98),
    );
    let r = w.eject(id, &later).expect_success();
    assert!(!r.events_from::<Vault::Ejected>(w.vault)[0].rewarded);
    assert!(r.events_from::<Seth::Transfer>(w.seth).is_empty());
    assert_eq!(w.seth_balance(keeper), tenth());
    assert_eq!(w.total_debt(), ether(31) + tenth());
    assert_eq!(
        w.chain
            .next_block(B256::repeat_byte(0x65))
            .withdrawals
            .len(),
        1
    );
}

#[test]
fn a_healthy_validator_is_not_ejectable() {
    let mut w = World::new();
    let owner = w.chain.account("operator");
    let id = w.joined(41, owner);
    for (balance, score) in [
        (32_000_000_000, 0),
        (31_990_000_000, 0),                  // exactly EJECT_BELOW: not under it
        (32_000_000_000, INACTIVITY_TRIGGER), // exactly the trigger: not over it
    ] {
        let p = w.facts(
            41,
            ProofParts::ALL,
            Facts::at(ACTIVE_SLOT).balance(balance).score(score),
        );
        let e = refusal(w.eject(id, &p));
        assert!(
            matches!(e, E::NotEjectable(ref x) if x.balanceGwei == balance && x.inactivityScore == score),
            "{e:?}"
        );
    }
    assert_eq!(w.position(id).lastExitRequestBlock, 0);
}

#[test]
fn an_inactivity_score_over_the_trigger_ejects_a_full_balance() {
    let mut w = World::new();
    let owner = w.chain.account("operator");
    let id = w.joined(42, owner);
    let p = w.facts(
        42,
        ProofParts::ALL,
        Facts::at(ACTIVE_SLOT).score(INACTIVITY_TRIGGER + 1),
    );
    let r = w.eject(id, &p).expect_success();
    let ev = r.events_from::<Vault::Ejected>(w.vault);
    assert_eq!(
        (ev[0].inactivityScore, ev[0].rewarded),
        (INACTIVITY_TRIGGER + 1, true)
    );
    assert_eq!(
        w.chain.next_block(B256::repeat_byte(1)).withdrawals.len(),
        1
    );
}

#[test]
fn the_eject_reward_is_withheld_when_the_exit_cannot_take_effect() {
    let mut w = World::new();
    let owner = w.chain.account("operator");
    let low = Facts::at(ACTIVE_SLOT).balance(GWEI_31_98);
    for (index, label, facts) in [
        (43, "already exiting", low.exit(300)),
        (44, "active 255 epochs", low.activation(266 - 255)),
        (45, "not yet active", low.activation(FAR_FUTURE)),
    ] {
        let id = w.joined(index, owner);
        let p = w.facts(index, ProofParts::ALL, facts);
        let r = w.eject(id, &p).expect_success();
        assert!(
            !r.events_from::<Vault::Ejected>(w.vault)[0].rewarded,
            "{label}"
        );
        assert!(!w.position(id).rewardPaid, "{label}");
    }
    // 256 epochs exactly: rewarded.
    let id = w.joined(46, owner);
    let p = w.facts(46, ProofParts::ALL, low.activation(266 - 256));
    assert!(
        w.eject(id, &p)
            .expect_success()
            .events_from::<Vault::Ejected>(w.vault)[0]
            .rewarded
    );
    assert_eq!(w.seth_balance(w.keeper), tenth());
    assert_eq!(w.total_debt(), ether(31 * 4) + tenth());
}

#[test]
fn eject_refuses_a_fee_above_the_cap_or_the_value_sent() {
    let mut w = World::new();
    let owner = w.chain.account("operator");
    let keeper = w.keeper;
    let id = w.joined(47, owner);
    let p = w.facts(
        47,
        ProofParts::ALL,
        Facts::at(ACTIVE_SLOT).balance(GWEI_31_98),
    );
    for (max_fee, value, cap) in [(0, 10, 0), (10, 0, 0)] {
        let e = refusal(w.eject_with(keeper, id, &p, max_fee, value));
        assert!(
            matches!(e, E::WithdrawalFeeAboveMax(ref x) if x.fee == U256::ONE && x.maxFee == U256::from(cap)),
            "{e:?}"
        );
    }
    // The vault's own ETH never pays the fee.
    w.donate(owner, ether(1));
    let e = refusal(w.eject_with(keeper, id, &p, 10, 0));
    assert!(matches!(e, E::WithdrawalFeeAboveMax(_)), "{e:?}");
    let before = w.chain.balance(keeper);
    w.eject_with(keeper, id, &p, 1, 1).expect_success();
    assert_eq!(before - w.chain.balance(keeper), U256::ONE);
    w.assert_eth_accounted(U256::ZERO);
    assert_eq!(w.buffer(), ether(1));
}

#[test]
fn eject_refuses_missing_parts_another_key_a_stale_proof_and_unknown_positions() {
    let mut w = World::new();
    let owner = w.chain.account("operator");
    let id = w.joined(48, owner);
    let other = w.joined(49, owner);
    let low = Facts::at(ACTIVE_SLOT).balance(GWEI_31_98);

    let p = w.facts(48, ProofParts::BALANCE, low);
    assert!(matches!(
        refusal(w.eject(id, &p)),
        E::InactivityScoreNotProven(_)
    ));
    let p = w.facts(48, ProofParts::INACTIVITY_SCORE, low.score(1_000));
    assert!(matches!(refusal(w.eject(id, &p)), E::BalanceNotProven(_)));

    // Validator 48's proof for position 2 (validator 49): checked against index 49, no match.
    let p = w.facts(48, ProofParts::ALL, low);
    assert!(matches!(
        refusal(w.eject(other, &p)),
        E::ProofRootMismatch(_)
    ));
    // The registry entry at position 1's index carrying another key: not position 1's.
    let key49 = genesis_state().validators[49].pubkey;
    let p = w.prove_with(48, ProofParts::ALL, |s| {
        s.slot = lsv_consensus::Slot::new(ACTIVE_SLOT);
        s.balances[48] = Gwei::new(GWEI_31_98);
        s.validators[48].pubkey = key49;
    });
    let e = refusal(w.eject(id, &p));
    assert!(
        matches!(e, E::WrongPosition(ref x) if x.positionId == id && x.provenPositionId == other),
        "{e:?}"
    );
    let p = w.prove_with(48, ProofParts::ALL, |s| {
        s.slot = lsv_consensus::Slot::new(ACTIVE_SLOT);
        s.balances[48] = Gwei::new(GWEI_31_98);
        s.validators[48].pubkey.0[0] ^= 1;
    });
    let e = refusal(w.eject(id, &p));
    assert!(
        matches!(e, E::WrongPosition(ref x) if x.provenPositionId.is_zero()),
        "{e:?}"
    );

    // A newer state was proven (mark-to-proof at a later slot): the older one is stale.
    let newer = w.facts(48, ProofParts::BALANCE, Facts::at(ACTIVE_SLOT + 10));
    w.mark(id, &newer, false).expect_success();
    let p = w.facts(48, ProofParts::ALL, low);
    let e = refusal(w.eject(id, &p));
    assert!(
        matches!(e, E::StaleProof(ref x) if x.slot == ACTIVE_SLOT && x.lastProofSlot == ACTIVE_SLOT + 10),
        "{e:?}"
    );
    // No such position.
    let e = refusal(w.eject(U256::from(9), &p));
    assert!(
        matches!(e, E::InvalidPositionStatus(ref x) if x.status == 0),
        "{e:?}"
    );
}

#[test]
fn mark_exiting_moves_the_debt_to_exiting_once() {
    let mut w = World::new();
    let owner = w.chain.account("operator");
    let id = w.joined(50, owner);
    let p = w.facts(50, ProofParts::VALIDATOR, Facts::at(ACTIVE_SLOT));
    assert!(matches!(refusal(w.mark_exiting(id, &p)), E::NotExiting(_)));
    let p = w.facts(50, ProofParts::VALIDATOR, Facts::at(ACTIVE_SLOT).exit(300));
    let r = w.mark_exiting(id, &p).expect_success();
    let ev = r.events_from::<Vault::MarkedExiting>(w.vault);
    assert_eq!(
        (ev[0].exitEpoch, ev[0].slot, ev[0].debt),
        (300, ACTIVE_SLOT, ether(31))
    );
    assert_eq!(w.position(id).status, 2, "Exiting");
    assert_eq!(
        U256::from(w.chain.view(w.vault, &Vault::exitingDebtCall {}).unwrap()),
        ether(31)
    );
    assert_eq!(
        w.total_debt(),
        ether(31),
        "the debt stays live until settlement"
    );
    let e = refusal(w.mark_exiting(id, &p));
    assert!(
        matches!(e, E::InvalidPositionStatus(ref x) if x.status == 2),
        "{e:?}"
    );
    let q = w.facts(
        50,
        ProofParts::ALL,
        Facts::at(ACTIVE_SLOT).balance(GWEI_31_98).exit(300),
    );
    assert!(matches!(
        refusal(w.eject(id, &q)),
        E::InvalidPositionStatus(_)
    ));
    // A live exiting position can still be marked to a proof.
    let q = w.facts(
        50,
        ProofParts::BALANCE,
        Facts::at(ACTIVE_SLOT + 1).balance(30_000_000_000).exit(300),
    );
    w.mark(id, &q, false).expect_success();
    assert_eq!(w.shortfall(), ether(1));
}

#[test]
fn losses_marked_to_proof_lower_the_rate_of_later_batches_only() {
    let mut w = World::new();
    let alice = w.chain.account("alice");
    let bob = w.chain.account("bob");
    let donor = w.chain.account("donor");
    let a = w.joined(51, alice);
    w.joined(52, alice);
    seth_transfer(&mut w, alice, bob, ether(3));
    w.donate(donor, ether(10));
    w.redeem(alice, ether(5)).expect_success(); // request 1
    finalize(&mut w, 1).expect_success(); // at 1: buffer 5, reserved 5, supply 57
    w.redeem(bob, ether(3)).expect_success(); // request 2

    // Not slashed: markSlashed refuses; no balance part: both refuse.
    let p = w.facts(
        51,
        ProofParts::BALANCE,
        Facts::at(ACTIVE_SLOT).balance(15_000_000_000),
    );
    assert!(matches!(refusal(w.mark(a, &p, true)), E::NotSlashed(_)));
    let p = w.facts(51, ProofParts::VALIDATOR, Facts::at(ACTIVE_SLOT).slashed());
    assert!(matches!(
        refusal(w.mark(a, &p, true)),
        E::BalanceNotProven(_)
    ));

    // Slashed at 15 ETH: the position's shortfall is 31 - 15 = 16 ETH.
    let slot = ACTIVE_SLOT + 1;
    let p = w.facts(
        51,
        ProofParts::BALANCE,
        Facts::at(slot).balance(15_000_000_000).slashed(),
    );
    let r = w.mark(a, &p, true).expect_success();
    assert_eq!(r.events_from::<Vault::MarkedSlashed>(w.vault)[0].slot, slot);
    let ev = r.events_from::<Vault::ShortfallMarked>(w.vault);
    assert_eq!(
        (ev[0].shortfall, ev[0].totalShortfall),
        (ether(16), ether(16))
    );
    assert!(w.position(a).slashed);
    assert_eq!(w.position(a).shortfall, 16_000_000_000_000_000_000u128);
    assert!(!w.position(a).rewardPaid, "no reward for a slashing proof");
    assert_eq!(w.shortfall(), ether(16));
    // backing = 5 + 62 - 16 = 51 < outstanding 57 (54 in hand, 3 in request 2).
    assert_eq!(w.backing(), ether(51));
    assert_eq!(w.outstanding(), ether(57));
    assert_eq!(w.seth_supply(), ether(54));

    let f = finalize(&mut w, 2).expect_success();
    let rate = ether(51) * ether(1) / ether(57);
    let ev = f.events_from::<Vault::Finalized>(w.vault);
    assert_eq!(ev[0].rate, rate);
    assert!(rate < ether(1));
    let owed = ether(3) * rate / ether(1);
    assert_eq!(ev[0].ethReserved, owed);
    assert_eq!(
        w.chain
            .view(w.vault, &Vault::checkpointCountCall {})
            .unwrap(),
        2
    );

    // Claims pay at their checkpoint's rate to the wei; the earlier batch is not re-priced.
    let (a0, b0) = (w.chain.balance(alice), w.chain.balance(bob));
    claim(&mut w, 2, 2).expect_success();
    claim(&mut w, 1, 1).expect_success();
    assert_eq!(w.chain.balance(bob) - b0, owed);
    assert_eq!(w.chain.balance(alice) - a0, ether(5));
    w.assert_eth_accounted(U256::ZERO);

    // A fresher proof can lower the shortfall (the balance recovered), and raise it again.
    let p = w.facts(
        51,
        ProofParts::BALANCE,
        Facts::at(slot + 1).balance(30_500_000_000).slashed(),
    );
    w.mark(a, &p, false).expect_success();
    assert_eq!(w.shortfall(), ether(1) / U256::from(2));
    let p = w.facts(
        51,
        ProofParts::BALANCE,
        Facts::at(slot + 2).balance(31_000_000_001),
    );
    w.mark(a, &p, false).expect_success();
    assert_eq!(w.shortfall(), U256::ZERO);
    // An older proof than the newest recorded is refused.
    let p = w.facts(51, ProofParts::BALANCE, Facts::at(slot).balance(1));
    assert!(matches!(refusal(w.mark(a, &p, false)), E::StaleProof(_)));
}

#[test]
fn demand_exits_go_in_position_order_and_skip_only_with_proof() {
    let mut w = World::new();
    let alice = w.chain.account("alice");
    let ids: Vec<U256> = (60..64).map(|i| w.joined(i, alice)).collect();
    let eligible = Facts::at(ACTIVE_SLOT);

    // No open requests: no demand.
    let p = w.facts(60, ProofParts::VALIDATOR, eligible);
    let e = refusal(w.demand_exit(ids[0], &p));
    assert!(
        matches!(e, E::NoDemand(ref x) if x.open.is_zero() && x.covered.is_zero()),
        "{e:?}"
    );
    w.redeem(alice, ether(5)).expect_success();
    assert_eq!(w.cursor(), U256::ONE);

    // Not the cursor's position.
    let q = w.facts(61, ProofParts::VALIDATOR, eligible);
    let e = refusal(w.demand_exit(ids[1], &q));
    assert!(
        matches!(e, E::NotDemandCursor(ref x) if x.cursor == U256::ONE),
        "{e:?}"
    );
    assert!(matches!(
        refusal(w.skip(ids[1], Some(&q))),
        E::NotDemandCursor(_)
    ));

    // Position 1 not yet active, then active for too short: ineligible, skipped with the proof.
    let p = w.facts(60, ProofParts::VALIDATOR, eligible.activation(FAR_FUTURE));
    let e = refusal(w.demand_exit(ids[0], &p));
    assert!(
        matches!(e, E::DemandExitIneligible(ref x) if x.reason == 3),
        "{e:?}"
    );
    let p = w.facts(60, ProofParts::VALIDATOR, eligible.activation(100));
    let e = refusal(w.demand_exit(ids[0], &p));
    assert!(
        matches!(e, E::DemandExitIneligible(ref x) if x.reason == 4),
        "{e:?}"
    );
    let r = w.skip(ids[0], Some(&p)).expect_success();
    let ev = r.events_from::<Vault::DemandExitSkipped>(w.vault);
    assert_eq!((ev[0].reason, ev[0].nextCursor), (4, U256::from(2)));

    // Position 2 is eligible: it cannot be skipped, and its exit goes out.
    assert!(matches!(
        refusal(w.skip(ids[1], Some(&q))),
        E::NotSkippable(_)
    ));
    let keeper = w.keeper;
    let before = w.chain.balance(keeper);
    let r = w.demand_exit(ids[1], &q).expect_success();
    let ev = r.events_from::<Vault::DemandExit>(w.vault);
    assert_eq!(
        (ev[0].open, ev[0].covered, ev[0].nextCursor),
        (ether(5), U256::ZERO, U256::from(3))
    );
    assert_eq!(
        r.events_from::<Vault::ExitRequested>(w.vault)[0].fee,
        U256::ONE
    );
    assert!(
        r.events_from::<Seth::Transfer>(w.seth).is_empty(),
        "no reward"
    );
    assert_eq!(
        before - w.chain.balance(keeper),
        U256::ONE,
        "the caller pays the fee"
    );
    assert_eq!(
        w.position(ids[1]).lastExitRequestBlock,
        w.chain.block_number()
    );
    let requests = w.chain.next_block(B256::repeat_byte(3)).withdrawals.clone();
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0].source_address, w.vault);
    assert_eq!(requests[0].validator_pubkey.as_slice(), &q.pubkey[..]);
    assert_eq!(requests[0].amount, 0);

    // Position 3 proven exiting: skipped and marked; with position 2's pending exit it covers the
    // open 5 sETH twice over.
    let p = w.facts(62, ProofParts::VALIDATOR, eligible.exit(400));
    let r = w.skip(ids[2], Some(&p)).expect_success();
    assert_eq!(
        r.events_from::<Vault::DemandExitSkipped>(w.vault)[0].reason,
        5
    );
    assert_eq!(r.events_from::<Vault::MarkedExiting>(w.vault).len(), 1);
    let p = w.facts(63, ProofParts::VALIDATOR, eligible);
    let e = refusal(w.demand_exit(ids[3], &p));
    assert!(
        matches!(e, E::NoDemand(ref x) if x.open == ether(5) && x.covered == ether(62)),
        "{e:?}"
    );
    // Skips need no demand; the last position wraps to the first. An exiting position and one
    // whose exit was just requested are skipped without a proof.
    assert!(matches!(
        refusal(w.skip(ids[3], Some(&p))),
        E::NotSkippable(_)
    ));
    let p = w.facts(63, ProofParts::VALIDATOR, eligible.activation(200));
    let r = w.skip(ids[3], Some(&p)).expect_success();
    assert_eq!(
        r.events_from::<Vault::DemandExitSkipped>(w.vault)[0].nextCursor,
        U256::ONE
    );
    assert_eq!(w.cursor(), U256::ONE);
    let p = w.facts(60, ProofParts::VALIDATOR, eligible.activation(100));
    w.skip(ids[0], Some(&p)).expect_success();
    for (id, reason) in [(ids[1], 2u8), (ids[2], 1)] {
        let r = w.skip(id, None).expect_success();
        assert_eq!(
            r.events_from::<Vault::DemandExitSkipped>(w.vault)[0].reason,
            reason
        );
    }
    assert_eq!(w.cursor(), U256::from(4));
    // Once EXIT_RESEND_BLOCKS have passed, position 2 needs a proof again.
    w.advance(EXIT_RESEND_BLOCKS);
    let p = p_for_63(&mut w);
    w.skip(ids[3], Some(&p)).expect_success();
    let p = p_for_60(&mut w);
    w.skip(ids[0], Some(&p)).expect_success();
    let e = refusal(w.skip(ids[1], None));
    assert!(matches!(e, E::BeaconRootUnavailable(_)), "{e:?}");
}

/// A demand exit counts the requested position's debt as cover at once: a small backlog asks
/// exactly as many validators to exit as cover it, however many calls follow in the block.
#[test]
fn demand_exits_stop_once_pending_exits_cover_the_queue() {
    let mut w = World::new();
    let alice = w.chain.account("alice");
    let ids: Vec<U256> = (100..105).map(|i| w.joined(i, alice)).collect();
    let eligible = Facts::at(ACTIVE_SLOT);
    let demand = |w: &World| -> (U256, U256) {
        let d = w.chain.view(w.vault, &Vault::demandCall {}).unwrap();
        (d.open, d.covered)
    };

    // A 1-sETH backlog: one exit, then no demand.
    w.redeem(alice, ether(1)).expect_success();
    let p = w.facts(100, ProofParts::VALIDATOR, eligible);
    let r = w.demand_exit(ids[0], &p).expect_success();
    let ev = r.events_from::<Vault::ExitRequested>(w.vault);
    assert_eq!(
        (ev[0].positionId, ev[0].pendingExitDebt),
        (ids[0], ether(31))
    );
    assert!(w.position(ids[0]).exitRequested);
    assert_eq!(w.pending(), ether(31));
    assert_eq!(demand(&w), (ether(1), ether(31)));
    let p = w.facts(101, ProofParts::VALIDATOR, eligible);
    let e = refusal(w.demand_exit(ids[1], &p));
    assert!(
        matches!(e, E::NoDemand(ref x) if x.open == ether(1) && x.covered == ether(31)),
        "{e:?}"
    );
    assert!(!w.position(ids[1]).exitRequested);

    // 63 sETH open: two more exits (31 → 62 → 93), the third call refused.
    w.redeem(alice, ether(62)).expect_success();
    for (k, covered) in [(1usize, ether(31)), (2, ether(62))] {
        let p = w.facts(100 + k as u64, ProofParts::VALIDATOR, eligible);
        let r = w.demand_exit(ids[k], &p).expect_success();
        let ev = r.events_from::<Vault::DemandExit>(w.vault);
        assert_eq!((ev[0].open, ev[0].covered), (ether(63), covered));
    }
    assert_eq!(w.pending(), ether(93));
    assert_eq!(demand(&w), (ether(63), ether(93)));
    let p = w.facts(103, ProofParts::VALIDATOR, eligible);
    let e = refusal(w.demand_exit(ids[3], &p));
    assert!(
        matches!(e, E::NoDemand(ref x) if x.open == ether(63) && x.covered == ether(93)),
        "{e:?}"
    );
    // Exactly three exit requests went out: positions 1–3 flagged, 4 and 5 not.
    let flagged: Vec<bool> = ids.iter().map(|id| w.position(*id).exitRequested).collect();
    assert_eq!(flagged, [true, true, true, false, false]);
    assert_eq!(w.exiting(), U256::ZERO);
}

/// Proving a requested position exiting (markExiting, or a skip with reason Exiting) moves its
/// debt from `pendingExitDebt` to `exitingDebt` and clears the flag; cover is unchanged.
#[test]
fn a_pending_exit_proven_exiting_moves_its_debt_to_exiting() {
    let mut w = World::new();
    let alice = w.chain.account("alice");
    let ids: Vec<U256> = (110..113).map(|i| w.joined(i, alice)).collect();
    let eligible = Facts::at(ACTIVE_SLOT);
    w.redeem(alice, ether(80)).expect_success();
    for (index, id) in [(110, ids[0]), (111, ids[1])] {
        let p = w.facts(index, ProofParts::VALIDATOR, eligible);
        w.demand_exit(id, &p).expect_success();
    }
    assert_eq!((w.pending(), w.exiting()), (ether(62), U256::ZERO));

    // markExiting.
    let p = w.facts(
        110,
        ProofParts::VALIDATOR,
        Facts::at(ACTIVE_SLOT + 1).exit(400),
    );
    let r = w.mark_exiting(ids[0], &p).expect_success();
    let ev = r.events_from::<Vault::PendingExitProven>(w.vault);
    assert_eq!(
        (ev[0].positionId, ev[0].debt, ev[0].pendingExitDebt),
        (ids[0], ether(31), ether(31))
    );
    assert_eq!((w.pending(), w.exiting()), (ether(31), ether(31)));
    let pos = w.position(ids[0]);
    assert_eq!((pos.status, pos.exitRequested), (2, false));

    // A skip with reason Exiting, once the resend window has passed (the cursor is at 3: skip 3
    // with a too-short proof, then 1 (not active), then 2 proven exiting).
    w.advance(EXIT_RESEND_BLOCKS);
    let p = w.facts(112, ProofParts::VALIDATOR, eligible.activation(100));
    w.skip(ids[2], Some(&p)).expect_success();
    w.skip(ids[0], None).expect_success();
    let p = w.facts(
        111,
        ProofParts::VALIDATOR,
        Facts::at(ACTIVE_SLOT + 1).exit(400),
    );
    let r = w.skip(ids[1], Some(&p)).expect_success();
    assert_eq!(
        r.events_from::<Vault::DemandExitSkipped>(w.vault)[0].reason,
        5
    );
    assert_eq!(
        r.events_from::<Vault::PendingExitProven>(w.vault)[0].pendingExitDebt,
        U256::ZERO
    );
    assert_eq!((w.pending(), w.exiting()), (U256::ZERO, ether(62)));
    assert!(!w.position(ids[1]).exitRequested);

    // Not requested, proven exiting: nothing leaves pendingExitDebt.
    let p = w.facts(
        112,
        ProofParts::VALIDATOR,
        Facts::at(ACTIVE_SLOT + 1).exit(400),
    );
    let r = w.mark_exiting(ids[2], &p).expect_success();
    assert!(r
        .events_from::<Vault::PendingExitProven>(w.vault)
        .is_empty());
    assert_eq!((w.pending(), w.exiting()), (U256::ZERO, ether(93)));
}

/// A demanded exit that stalls stays live: once `EXIT_RESEND_BLOCKS` have passed, the cursor's
/// flagged position is re-sent without demand and without counting its debt twice.
#[test]
fn a_stalled_demanded_exit_is_re_sent_after_the_window_without_demand() {
    let mut w = World::new();
    let alice = w.chain.account("alice");
    let ids: Vec<U256> = (120..122).map(|i| w.joined(i, alice)).collect();
    let eligible = Facts::at(ACTIVE_SLOT);
    w.redeem(alice, ether(1)).expect_success();
    let p = w.facts(120, ProofParts::VALIDATOR, eligible);
    w.demand_exit(ids[0], &p).expect_success();
    let sent = w.chain.block_number();
    // Position 2 may not be demanded (covered), only skipped with proof; the cursor wraps to 1.
    let q = w.facts(121, ProofParts::VALIDATOR, eligible);
    assert!(matches!(refusal(w.demand_exit(ids[1], &q)), E::NoDemand(_)));
    let q = w.facts(121, ProofParts::VALIDATOR, eligible.activation(100));
    w.skip(ids[1], Some(&q)).expect_success();
    assert_eq!(w.cursor(), U256::ONE);

    // No demand (1 open, 31 covered), yet the flagged position is not refused for it: only for
    // the window.
    let p = w.facts(120, ProofParts::VALIDATOR, Facts::at(ACTIVE_SLOT + 1));
    let e = refusal(w.demand_exit(ids[0], &p));
    assert!(matches!(e, E::ExitRequestTooSoon(_)), "{e:?}");
    w.advance(EXIT_RESEND_BLOCKS);
    let r = w.demand_exit(ids[0], &p).expect_success();
    let ev = r.events_from::<Vault::DemandExit>(w.vault);
    assert_eq!(
        (ev[0].open, ev[0].covered, ev[0].nextCursor),
        (ether(1), ether(31), U256::from(2))
    );
    let ev = r.events_from::<Vault::ExitRequested>(w.vault);
    assert_eq!(ev.len(), 1);
    assert_eq!(ev[0].pendingExitDebt, ether(31), "unchanged by a re-send");
    assert_eq!(w.pending(), ether(31), "not counted twice");
    let pos = w.position(ids[0]);
    assert!(pos.exitRequested);
    assert!(pos.lastExitRequestBlock.to::<u64>() > sent);
    let requests = w.chain.next_block(B256::repeat_byte(5)).withdrawals.clone();
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0].validator_pubkey.as_slice(), &p.pubkey[..]);
    // The unflagged position 2 still needs demand.
    let q = w.facts(121, ProofParts::VALIDATOR, Facts::at(ACTIVE_SLOT + 1));
    assert!(matches!(refusal(w.demand_exit(ids[1], &q)), E::NoDemand(_)));
}

/// A reward paid on a position whose exit was already requested raises `pendingExitDebt` with
/// its debt: it stays the sum of the flagged positions' debts.
#[test]
fn eject_then_reward_keeps_pending_exit_debt_equal_to_the_flagged_debts() {
    let mut w = World::new();
    let owner = w.chain.account("operator");
    let ids: Vec<U256> = (130..133).map(|i| w.joined(i, owner)).collect();
    let low = Facts::at(ACTIVE_SLOT).balance(GWEI_31_98);
    let later = Facts::at(ACTIVE_SLOT + 1).balance(GWEI_31_98);
    let flagged_sum = |w: &World| -> U256 {
        ids.iter()
            .filter(|id| w.position(**id).exitRequested)
            .map(|id| w.debt_of(*id))
            .sum()
    };

    // 1: ejected without the reward (active 255 epochs): flagged at 31.
    let p = w.facts(130, ProofParts::ALL, low.activation(266 - 255));
    let r = w.eject(ids[0], &p).expect_success();
    assert!(!r.events_from::<Vault::Ejected>(w.vault)[0].rewarded);
    let ev = r.events_from::<Vault::ExitRequested>(w.vault);
    assert_eq!(ev[0].pendingExitDebt, ether(31));
    // 2: demanded (1 skipped: its request is recent), not rewarded: flagged at 31.
    w.redeem(owner, ether(40)).expect_success();
    w.skip(ids[0], None).expect_success();
    let p = w.facts(131, ProofParts::VALIDATOR, Facts::at(ACTIVE_SLOT));
    w.demand_exit(ids[1], &p).expect_success();
    assert_eq!(w.pending(), ether(62));
    // 3: ejected and rewarded at once: flagged at 31.1, the reward included.
    let p = w.facts(132, ProofParts::ALL, low);
    let r = w.eject(ids[2], &p).expect_success();
    assert_eq!(
        r.events_from::<Vault::ExitRequested>(w.vault)[0].pendingExitDebt,
        ether(93) + tenth()
    );
    assert_eq!(w.pending(), ether(93) + tenth());
    assert_eq!(w.pending(), flagged_sum(&w));

    // After the window, 1 (ejected) and 2 (demanded) are ejected again, now rewarded: +0.1 each.
    w.advance(EXIT_RESEND_BLOCKS);
    for (k, total) in [
        (0usize, ether(93) + tenth() * U256::from(2)),
        (1, ether(93) + tenth() * U256::from(3)),
    ] {
        let p = w.facts(130 + k as u64, ProofParts::ALL, later);
        let r = w.eject(ids[k], &p).expect_success();
        assert!(r.events_from::<Vault::Ejected>(w.vault)[0].rewarded);
        let ev = r.events_from::<Vault::ExitRequested>(w.vault);
        assert_eq!(ev[0].pendingExitDebt, total);
        assert_eq!(w.debt_of(ids[k]), ether(31) + tenth());
        assert_eq!(w.pending(), flagged_sum(&w));
    }
    // A re-eject of a rewarded position adds nothing.
    let p = w.facts(132, ProofParts::ALL, later);
    let r = w.eject(ids[2], &p).expect_success();
    assert_eq!(
        r.events_from::<Vault::ExitRequested>(w.vault)[0].pendingExitDebt,
        (ether(31) + tenth()) * U256::from(3)
    );
    assert_eq!(w.pending(), (ether(31) + tenth()) * U256::from(3));
    assert_eq!(w.pending(), flagged_sum(&w));
    // Proven exiting: the rewarded debt moves whole.
    let p = w.facts(
        130,
        ProofParts::VALIDATOR,
        Facts::at(ACTIVE_SLOT + 2).exit(400),
    );
    w.mark_exiting(ids[0], &p).expect_success();
    assert_eq!(
        (w.pending(), w.exiting()),
        ((ether(31) + tenth()) * U256::from(2), ether(31) + tenth())
    );
    assert_eq!(w.pending(), flagged_sum(&w));
    assert_eq!(w.total_debt(), (ether(31) + tenth()) * U256::from(3));
}

fn p_for_63(w: &mut World) -> Proven {
    w.facts(
        63,
        ProofParts::VALIDATOR,
        Facts::at(ACTIVE_SLOT).activation(200),
    )
}

fn p_for_60(w: &mut World) -> Proven {
    w.facts(
        60,
        ProofParts::VALIDATOR,
        Facts::at(ACTIVE_SLOT).activation(100),
    )
}

/// Gas of eject, the marks and demand exits, printed; the EIP-7002 predeploy's share measured
/// apart with the system-contracts probe.
#[test]
fn a_caller_or_owner_that_refuses_eth_loses_nothing_and_can_be_paid_elsewhere() {
    use lsv_contracts::artifacts::ETH_REFUSING_CALLER;
    use lsv_contracts::bindings::EthRefusingCaller as Refuser;
    let mut w = World::new();
    let alice = w.chain.account("alice");
    let refuser = w.chain.deploy(&ETH_REFUSING_CALLER, &[]).unwrap();
    let forward = |w: &mut World, to: Address, data: Vec<u8>, value: u64| {
        let call = Refuser::forwardCall {
            target: to,
            data: data.into(),
        };
        let keeper = w.keeper;
        w.chain
            .send(keeper, refuser, &call, U256::from(value))
            .unwrap()
    };

    // An eject whose refund bounces reverts whole: no reward, no flag, no request queued.
    let id = w.joined(81, alice);
    let p = w.facts(
        81,
        ProofParts::ALL,
        Facts::at(ACTIVE_SLOT).balance(GWEI_31_98),
    );
    let eject = |value: u64| {
        Vault::ejectCall {
            positionId: id,
            timestamp: p.timestamp,
            proof: p.proof.clone().into(),
            maxFee: U256::from(value),
        }
        .abi_encode()
    };
    let vault = w.vault;
    let r = forward(&mut w, vault, eject(1_000), 1_000);
    assert!(
        matches!(refusal(r), E::EthTransferFailed(ref e) if e.to == refuser && e.amount == U256::from(999)),
        "the 999 wei refund bounced"
    );
    assert!(!w.position(id).exitRequested && !w.position(id).rewardPaid);
    assert_eq!(w.seth_balance(refuser), U256::ZERO);
    assert!(w
        .chain
        .next_block(B256::repeat_byte(0x61))
        .withdrawals
        .is_empty());
    // Sending exactly the fee needs no refund: the same contract ejects and earns the reward.
    let p2 = w.facts(
        81,
        ProofParts::ALL,
        Facts::at(ACTIVE_SLOT).balance(GWEI_31_98),
    );
    let data = Vault::ejectCall {
        positionId: id,
        timestamp: p2.timestamp,
        proof: p2.proof.clone().into(),
        maxFee: U256::ONE,
    }
    .abi_encode();
    forward(&mut w, vault, data, 1).expect_success();
    assert_eq!(w.seth_balance(refuser), tenth());
    assert_eq!(w.chain.balance(refuser), U256::ZERO);

    // A request owned by a contract without `receive`: `claim` cannot pay it and changes
    // nothing; the owner sends it elsewhere with `claimTo`, which no one else may call.
    let owned = w.joined(82, refuser);
    assert_eq!(owned, id + U256::ONE);
    let seth = w.seth;
    let approve = Seth::approveCall {
        spender: vault,
        amount: ether(5),
    }
    .abi_encode();
    forward(&mut w, seth, approve, 0).expect_success();
    let r = forward(
        &mut w,
        vault,
        Vault::requestRedeemCall { amount: ether(5) }.abi_encode(),
        0,
    )
    .expect_success();
    let ret = Refuser::forwardCall::abi_decode_returns(&r.output).unwrap();
    let request: U256 = U256::abi_decode(&ret).unwrap();
    let donor = w.chain.account("donor");
    w.donate(donor, ether(5));
    finalize(&mut w, request.to()).expect_success();
    let reserved = w.reserved();
    let r = claim(&mut w, request.to(), 1);
    assert!(
        matches!(refusal(r), E::EthTransferFailed(ref e) if e.to == refuser && e.amount == ether(5))
    );
    assert_eq!(w.reserved(), reserved);
    let claim_to = |recipient: Address| Vault::claimToCall {
        requestId: request,
        checkpointHint: U256::ONE,
        recipient,
    };
    let r = w.send(alice, &claim_to(alice));
    assert!(matches!(refusal(r), E::NotRequestOwner(ref e) if e.owner == refuser));
    let r = forward(&mut w, vault, claim_to(Address::ZERO).abi_encode(), 0);
    assert!(matches!(refusal(r), E::InvalidOwner(_)));
    let before = w.chain.balance(alice);
    let r = forward(&mut w, vault, claim_to(alice).abi_encode(), 0).expect_success();
    assert_eq!(w.chain.balance(alice) - before, ether(5));
    let ev = r.events_from::<Vault::Claimed>(vault);
    assert_eq!((ev[0].owner, ev[0].recipient), (refuser, alice));
    assert!(matches!(
        refusal(claim(&mut w, request.to(), 1)),
        E::AlreadyClaimed(_)
    ));
    w.assert_eth_accounted(U256::ZERO);
}

// ---- settlement -------------------------------------------------------------------------------

/// The consensus-spec-tests mainnet Electra `BeaconBlockBody`, whose payload the settlement tests
/// fill with withdrawals.
fn vector_body() -> &'static BeaconBlockBody<Mainnet> {
    static B: OnceLock<BeaconBlockBody<Mainnet>> = OnceLock::new();
    B.get_or_init(|| {
        let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(
            "../../testdata/ssz/merkle_proof/light_client/mainnet/electra/light_client/single_merkle_proof/BeaconBlockBody/execution_merkle_proof/object.ssz",
        );
        BeaconBlockBody::from_ssz_bytes(&std::fs::read(path).unwrap()).unwrap()
    })
}

/// An exited validator: exit epoch 300, withdrawable 556 (exit + 256, `MIN_VALIDATOR_WITHDRAWABILITY_DELAY`).
const EXIT_EPOCH: u64 = 300;
const WITHDRAWABLE_EPOCH: u64 = EXIT_EPOCH + 256;
const SWEEP_SLOT: u64 = WITHDRAWABLE_EPOCH * 32 + 5;

/// A block, its validator proof and the proofs of each of its payload's withdrawals, all against
/// its root (the direct route), pushed through EIP-4788.
struct Settlement {
    timestamp: U256,
    validator_proof: Vec<u8>,
    withdrawal_proofs: Vec<Vec<u8>>,
}

impl World {
    fn withdrawal(&self, index: u64, validator: u64, gwei: u64) -> Withdrawal {
        Withdrawal {
            index,
            validator_index: validator,
            address: self.vault,
            amount: Gwei::new(gwei),
        }
    }

    /// The block at `slot` paying `withdrawals`, whose post-state shows validator `index`
    /// exited with `withdrawable` as its withdrawable epoch (and a zero balance: swept).
    fn settlement(
        &mut self,
        index: u64,
        slot: u64,
        withdrawable: u64,
        withdrawals: &[Withdrawal],
    ) -> Settlement {
        let s = self.state_with(index, |s| {
            let i = index as usize;
            s.slot = lsv_consensus::Slot::new(slot);
            s.validators[i].exit_epoch = Epoch::new(EXIT_EPOCH.min(withdrawable));
            s.validators[i].withdrawable_epoch = Epoch::new(withdrawable);
            s.balances[i] = Gwei::new(0);
        });
        let prover = StateProver::new(AnyBeaconState::Electra(Box::new(s)));
        let mut body = vector_body().clone();
        body.execution_payload.withdrawals = withdrawals.to_vec().try_into().unwrap();
        self.salt += 1;
        let block = BeaconBlock {
            slot: lsv_consensus::Slot::new(slot),
            proposer_index: 3,
            parent_root: B256::from(U256::from(self.salt)),
            state_root: prover.state_root(),
            body,
        };
        let header = block.header();
        let validator_proof = prover
            .validator_proof(&header, index, ProofParts::BALANCE)
            .unwrap()
            .to_bytes();
        let wp = WithdrawalProver::new(&prover, header).unwrap();
        let withdrawal_proofs = (0..withdrawals.len())
            .map(|j| {
                wp.prove(&block, j, WithdrawalRoute::Direct, None)
                    .unwrap()
                    .to_bytes()
            })
            .collect();
        self.chain.next_block(header.tree_hash_root());
        Settlement {
            timestamp: U256::from(self.chain.timestamp()),
            validator_proof,
            withdrawal_proofs,
        }
    }

    fn settle(&mut self, id: U256, s: &Settlement, j: usize) -> Receipt {
        let call = Vault::settleCall {
            positionId: id,
            validatorTimestamp: s.timestamp,
            validatorProof: s.validator_proof.clone().into(),
            withdrawalTimestamp: s.timestamp,
            withdrawalProof: s.withdrawal_proofs[j].clone().into(),
        };
        let keeper = self.keeper;
        self.send(keeper, &call)
    }

    fn credit(&mut self, id: U256, s: &Settlement, j: usize) -> Receipt {
        let call = Vault::creditWithdrawalCall {
            positionId: id,
            timestamp: s.timestamp,
            proof: s.withdrawal_proofs[j].clone().into(),
        };
        let keeper = self.keeper;
        self.send(keeper, &call)
    }

    fn residual(&self, id: U256) -> U256 {
        self.chain
            .view(self.vault, &Vault::residualOfCall { positionId: id })
            .unwrap()
    }

    /// Σ residualOf over every position, checked equal to the vault's running `residualTotal`.
    fn total_residuals(&self) -> U256 {
        let count: u32 = self
            .chain
            .view(self.vault, &Vault::positionCountCall {})
            .unwrap();
        let sum: U256 = (1..=count).map(|id| self.residual(U256::from(id))).sum();
        let total_gwei: u64 = self
            .chain
            .view(self.vault, &Vault::residualTotalGweiCall {})
            .unwrap();
        assert_eq!(
            sum,
            common::gwei(total_gwei),
            "residualTotalGwei is the sum of residualOf"
        );
        sum
    }

    fn claim_residual(&mut self, from: Address, id: U256, recipient: Address) -> Receipt {
        self.send(
            from,
            &Vault::claimResidualCall {
                positionId: id,
                recipient,
            },
        )
    }
}

#[test]
fn join_eject_exit_withdrawal_settle_and_both_claims_add_up_to_the_wei() {
    let mut w = World::new();
    let owner = w.chain.account("operator");
    let bob = w.chain.account("bob");
    let keeper = w.keeper;
    let id = w.joined(40, owner);
    let p = w.facts(
        40,
        ProofParts::ALL,
        Facts::at(ACTIVE_SLOT).balance(GWEI_31_98),
    );
    w.eject(id, &p).expect_success();
    let p = w.facts(
        40,
        ProofParts::VALIDATOR,
        Facts::at(ACTIVE_SLOT + 64).exit(EXIT_EPOCH),
    );
    w.mark_exiting(id, &p).expect_success();
    assert_eq!(w.debt_of(id), ether(31) + tenth());
    // The owner redeems all of its 31 sETH; the keeper holds the 0.1 reward.
    let request: U256 = w
        .redeem(owner, ether(31))
        .expect_success()
        .decode_return::<Vault::requestRedeemCall>()
        .unwrap();

    // The sweep pays 31.985 ETH (the balance kept moving after the eject), to the vault.
    let sweep = 31_985_000_000;
    let ws = [w.withdrawal(90_001, 40, sweep)];
    let s = w.settlement(40, SWEEP_SLOT, WITHDRAWABLE_EPOCH, &ws);
    w.chain.credit_withdrawal(w.vault, sweep);
    w.assert_eth_accounted(common::gwei(sweep));
    let r = w.settle(id, &s, 0).expect_success();
    // Issue 4's target is 200k within the 4788 window (direct route); the receipt's figure
    // includes the 21,000 base and a first write of the residual and of a withdrawal-bitmap word.
    println!("settle, direct route: {} gas", r.gas_used);
    assert!(r.gas_used <= 210_000, "settle {}", r.gas_used);
    let ev = &r.events_from::<Vault::Settled>(w.vault)[0];
    let debt = ether(31) + tenth();
    assert_eq!(
        (ev.amount, ev.toQueue, ev.toOwner, ev.unpaidDebt),
        (
            common::gwei(sweep),
            debt,
            common::gwei(sweep) - debt,
            U256::ZERO
        )
    );
    w.assert_eth_accounted(U256::ZERO);
    assert_eq!(w.total_debt(), U256::ZERO);
    assert_eq!(
        (w.exiting(), w.pending(), w.shortfall()),
        (U256::ZERO, U256::ZERO, U256::ZERO)
    );
    assert_eq!(w.position(id).status, 3, "Closed");
    assert_eq!(w.debt_of(id), U256::ZERO);
    // Backing is exactly the sETH outstanding: 31 in the request + 0.1 with the keeper.
    assert_eq!(w.backing(), w.outstanding());
    assert_eq!(w.seth_supply(), tenth());

    // The queue: finalized at rate 1, claimed to the wei.
    finalize(&mut w, request.to()).expect_success();
    let before = w.chain.balance(owner);
    claim(&mut w, request.to(), 1).expect_success();
    assert_eq!(w.chain.balance(owner) - before, ether(31));
    // The residual: 0.885 ETH to the position's holder; the claim moves with the token.
    let residual = common::gwei(sweep) - debt;
    assert_eq!(w.residual(id), residual);
    let positions = w.positions;
    w.chain
        .send(
            owner,
            positions,
            &Positions::transferFromCall {
                from: owner,
                to: bob,
                id,
            },
            U256::ZERO,
        )
        .unwrap()
        .expect_success();
    let r = w.claim_residual(owner, id, owner);
    assert!(matches!(refusal(r), E::NotPositionOwner(ref e) if e.owner == bob));
    let before = w.chain.balance(bob);
    w.claim_residual(bob, id, Address::ZERO).expect_success();
    assert_eq!(w.chain.balance(bob) - before, residual);
    assert!(matches!(
        refusal(w.claim_residual(bob, id, bob)),
        E::NoResidual(_)
    ));

    // A late credit (a sync-committee reward swept after the exit): the debt is repaid, so the
    // holder gets it all; each withdrawal index counts once.
    let late = 12_345_678;
    let ws = [w.withdrawal(90_777, 40, late)];
    let s = w.settlement(40, SWEEP_SLOT + 4_000, WITHDRAWABLE_EPOCH, &ws);
    w.chain.credit_withdrawal(w.vault, late);
    assert!(matches!(
        refusal(w.settle(id, &s, 0)),
        E::InvalidPositionStatus(_)
    ));
    let r = w.credit(id, &s, 0).expect_success();
    let ev = &r.events_from::<Vault::WithdrawalCredited>(w.vault)[0];
    assert_eq!((ev.toBacking, ev.toOwner), (U256::ZERO, common::gwei(late)));
    assert!(matches!(
        refusal(w.credit(id, &s, 0)),
        E::WithdrawalAlreadyCredited(_)
    ));
    w.claim_residual(bob, id, Address::ZERO).expect_success();

    // What is left is the keeper's 0.1 sETH and exactly the ETH that backs it.
    assert_eq!(w.seth_supply(), tenth());
    assert_eq!(w.seth_balance(keeper), tenth());
    assert_eq!(w.chain.balance(w.vault), tenth());
    w.assert_eth_accounted(U256::ZERO);
}

#[test]
fn a_loss_is_realised_at_settlement_and_repaid_first_by_later_withdrawals() {
    let mut w = World::new();
    let owner = w.chain.account("operator");
    let id = w.joined(41, owner);
    // Slashed and penalised: 29.5 ETH swept against a debt of 31.
    let swept = 29_500_000_000;
    let ws = [w.withdrawal(5, 41, swept)];
    let s = w.settlement(41, SWEEP_SLOT, WITHDRAWABLE_EPOCH, &ws);
    w.chain.credit_withdrawal(w.vault, swept);
    let supply = w.outstanding();
    let r = w.settle(id, &s, 0).expect_success();
    let ev = &r.events_from::<Vault::Settled>(w.vault)[0];
    assert_eq!((ev.toQueue, ev.toOwner), (common::gwei(swept), U256::ZERO));
    assert_eq!(ev.unpaidDebt, ether(31) - common::gwei(swept));
    assert_eq!(w.debt_of(id), ether(31) - common::gwei(swept));
    // The loss is in backing now: finalization pays backing / supply.
    assert_eq!(w.backing(), common::gwei(swept));
    w.redeem(owner, ether(10)).expect_success();
    let r = finalize(&mut w, 1).expect_success();
    let rate = r.events_from::<Vault::Finalized>(w.vault)[0].rate;
    assert_eq!(rate, common::gwei(swept) * ether(1) / supply);
    // A later withdrawal repays the realised loss first (0.5 of the 1.5), nothing to the owner.
    let late = 500_000_000;
    let ws = [w.withdrawal(6, 41, late)];
    let s = w.settlement(41, SWEEP_SLOT + 64, WITHDRAWABLE_EPOCH, &ws);
    w.chain.credit_withdrawal(w.vault, late);
    let r = w.credit(id, &s, 0).expect_success();
    let ev = &r.events_from::<Vault::WithdrawalCredited>(w.vault)[0];
    assert_eq!((ev.toBacking, ev.toOwner), (common::gwei(late), U256::ZERO));
    assert_eq!(w.debt_of(id), ether(1));
    assert_eq!(w.residual(id), U256::ZERO);
    w.assert_eth_accounted(U256::ZERO);
}

#[test]
fn settle_refuses_what_it_cannot_attribute_or_too_early() {
    let mut w = World::new();
    let owner = w.chain.account("operator");
    let id = w.joined(42, owner);
    let other = w.joined(43, owner);
    let mut stranger = w.withdrawal(11, 42, 32_000_000_000);
    stranger.address = Address::repeat_byte(0xee);
    let ws = [
        w.withdrawal(10, 42, 32_000_000_000),
        stranger,
        w.withdrawal(12, 43, 32_000_000_000),
    ];
    // Not yet withdrawable in the proven state (and never, with FAR_FUTURE).
    for (slot, withdrawable) in [
        (SWEEP_SLOT - 64, WITHDRAWABLE_EPOCH),
        (SWEEP_SLOT, u64::MAX),
    ] {
        let s = w.settlement(42, slot, withdrawable, &ws);
        assert!(matches!(
            refusal(w.settle(id, &s, 0)),
            E::NotWithdrawable(_)
        ));
    }
    let s = w.settlement(42, SWEEP_SLOT, WITHDRAWABLE_EPOCH, &ws);
    assert!(matches!(
        refusal(w.settle(id, &s, 1)),
        E::WithdrawalNotToVault(ref e) if e.to == Address::repeat_byte(0xee)
    ));
    assert!(matches!(
        refusal(w.settle(id, &s, 2)),
        E::WithdrawalOfAnotherValidator(ref e) if e.proven == 43 && e.expected == 42
    ));
    // Settling another position with this validator's proof: it does not verify for the other
    // position's validator index.
    assert!(!w.settle(other, &s, 0).is_success());
    // A closed position's withdrawals are credits, not settlements; a live one has none to credit.
    assert!(matches!(
        refusal(w.credit(id, &s, 0)),
        E::InvalidPositionStatus(_)
    ));
    w.settle(id, &s, 0).expect_success();
    assert!(matches!(
        refusal(w.settle(id, &s, 0)),
        E::InvalidPositionStatus(_)
    ));
    assert!(matches!(
        refusal(w.credit(id, &s, 0)),
        E::WithdrawalAlreadyCredited(_)
    ));
}

#[test]
fn a_withdrawal_of_a_validator_that_never_joined_is_a_donation_to_backing() {
    let mut w = World::new();
    let owner = w.chain.account("operator");
    let joined = w.joined(44, owner);
    let ws = [
        w.withdrawal(20, 45, 32_000_000_000),
        w.withdrawal(21, 44, 1),
    ];
    let s = w.settlement(45, SWEEP_SLOT, WITHDRAWABLE_EPOCH, &ws);
    w.chain.credit_withdrawal(w.vault, 32_000_000_000);
    let call = |s: &Settlement, index: u64, j: usize| Vault::creditUnattributedWithdrawalCall {
        validatorIndex: index,
        validatorTimestamp: s.timestamp,
        validatorProof: s.validator_proof.clone().into(),
        withdrawalTimestamp: s.timestamp,
        withdrawalProof: s.withdrawal_proofs[j].clone().into(),
    };
    let keeper = w.keeper;
    let buffer = w.buffer();
    w.send(keeper, &call(&s, 45, 0)).expect_success();
    assert_eq!(w.buffer() - buffer, ether(32));
    assert!(matches!(
        refusal(w.send(keeper, &call(&s, 45, 0))),
        E::WithdrawalAlreadyCredited(_)
    ));
    w.assert_eth_accounted(U256::ZERO);
    // A joined validator's withdrawals belong to its position.
    let s = w.settlement(44, SWEEP_SLOT, WITHDRAWABLE_EPOCH, &ws);
    assert!(matches!(
        refusal(w.send(keeper, &call(&s, 44, 1))),
        E::WithdrawalAttributed(ref e) if e.positionId == joined
    ));
}

// ---- the stateful property test ----------------------------------------------------------------

mod stateful {
    use super::*;
    use proptest::prelude::*;
    use std::collections::{BTreeMap, BTreeSet};

    const VALIDATORS: [u64; 3] = [90, 91, 92];
    /// A validator with the vault's credentials that never joins: its withdrawals are donations.
    const STRANGER: u64 = 93;

    #[derive(Debug, Clone)]
    enum Op {
        Join(usize, usize),
        Donate(usize, u64),
        Redeem(usize, u64),
        Finalize(u64),
        Claim(u64),
        Transfer(usize, usize, u64),
        /// A proof of the validator's balance (`markToProof`), or of its slashing at that
        /// balance (`markSlashed`).
        Mark(usize, u64, bool),
        Eject(usize, u64, u64),
        /// Empty blocks, so exit requests can be re-sent.
        Advance(u64),
        /// A proof that the validator is exiting (`markExiting`).
        MarkExiting(usize),
        /// The position at the demand-exit cursor: a demand exit if it is eligible (or a skip
        /// with a not-yet-active proof when the flag is set), a skip without proof otherwise.
        Demand(bool),
        /// The sweep of the validator's balance (gwei) arrives and is settled.
        Settle(usize, u64),
        /// A further withdrawal (gwei) of the validator arrives and is credited.
        LateCredit(usize, u64),
        /// A withdrawal (gwei) of a validator that never joined arrives and is credited.
        Unattributed(u64),
        /// Position token `k` is moved by user `u` (its holder, or a would-be thief) to user `v`.
        MovePosition(usize, usize, usize),
        /// Position `k`'s residual is claimed by its holder (`None`) or by user `u`.
        ClaimResidual(usize, Option<usize>),
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            3 => (0..3usize, 0..3usize).prop_map(|(k, u)| Op::Join(k, u)),
            2 => (0..3usize, 1..5_000u64).prop_map(|(u, m)| Op::Donate(u, m)),
            4 => (0..3usize, 1..=100u64).prop_map(|(u, p)| Op::Redeem(u, p)),
            2 => (0..=100u64).prop_map(Op::Finalize),
            2 => any::<u64>().prop_map(Op::Claim),
            1 => (0..3usize, 0..3usize, 1..=100u64).prop_map(|(a, b, p)| Op::Transfer(a, b, p)),
            2 => (0..3usize, 15_000_000_000..32_500_000_000u64).prop_map(|(k, b)| Op::Mark(k, b, false)),
            2 => (0..3usize, 29_000_000_000..32_200_000_000u64, 0..200u64)
                .prop_map(|(k, b, s)| Op::Eject(k, b, s)),
            1 => (1..=EXIT_RESEND_BLOCKS).prop_map(Op::Advance),
            1 => (0..3usize).prop_map(Op::MarkExiting),
            3 => any::<bool>().prop_map(Op::Demand),
            1 => (0..3usize, 10_000_000_000..32_000_000_000u64).prop_map(|(k, b)| Op::Mark(k, b, true)),
            3 => (0..3usize, 27_000_000_000..35_000_000_000u64).prop_map(|(k, b)| Op::Settle(k, b)),
            2 => (0..3usize, 1..3_000_000_000u64).prop_map(|(k, g)| Op::LateCredit(k, g)),
            1 => (1..40_000_000_000u64).prop_map(Op::Unattributed),
            1 => (0..3usize, 0..3usize, 0..3usize).prop_map(|(k, u, v)| Op::MovePosition(k, u, v)),
            2 => (0..3usize, proptest::option::of(0..3usize)).prop_map(|(k, u)| Op::ClaimResidual(k, u)),
        ]
    }

    /// What the test expects, kept independently of the contract.
    #[derive(Default)]
    struct Model {
        /// validator slot k -> position id
        positions: BTreeMap<usize, U256>,
        rewarded: BTreeSet<usize>,
        shortfall: BTreeMap<usize, U256>,
        last_request_block: BTreeMap<usize, u64>,
        /// validator slots whose exit was requested and not yet proven
        exit_requested: BTreeSet<usize>,
        /// validator slots proven exiting
        exiting: BTreeSet<usize>,
        /// the demand-exit cursor (a position id; 0 stands for 1)
        cursor: u64,
        /// request id -> (owner, sETH amount)
        requests: BTreeMap<u64, (Address, U256)>,
        /// request id -> the rate of the batch that finalized it
        rates: BTreeMap<u64, U256>,
        claimed: BTreeSet<u64>,
        slot: u64,
        rewards_paid: u64,
        /// validator slots whose position was settled
        closed: BTreeSet<usize>,
        /// validator slot -> what its withdrawals have not repaid of its debt (closed positions)
        unpaid: BTreeMap<usize, U256>,
        /// validator slot -> residual owed to the position's holder
        residual: BTreeMap<usize, U256>,
        /// validator slot -> user index holding the position token
        holder: BTreeMap<usize, usize>,
        /// the next global withdrawal index to use
        withdrawal_index: u64,
    }

    impl Model {
        fn debt(&self, k: usize) -> U256 {
            ether(31)
                + if self.rewarded.contains(&k) {
                    tenth()
                } else {
                    U256::ZERO
                }
        }
        fn set_shortfall(&mut self, k: usize, balance_gwei: u64) {
            let debt = self.debt(k);
            let floor = common::gwei(balance_gwei);
            self.shortfall.insert(
                k,
                if debt > floor {
                    debt - floor
                } else {
                    U256::ZERO
                },
            );
        }
        fn validator_of(&self, id: U256) -> usize {
            *self
                .positions
                .iter()
                .find(|(_, v)| **v == id)
                .expect("a joined position")
                .0
        }
        /// Open redemptions: requested and not finalized.
        fn open(&self) -> U256 {
            self.requests
                .iter()
                .filter(|(id, _)| !self.rates.contains_key(id))
                .map(|(_, (_, amount))| *amount)
                .sum()
        }
        fn sum_debt<'a>(&self, ks: impl Iterator<Item = &'a usize>) -> U256 {
            ks.map(|k| self.debt(*k)).sum()
        }
        fn next_slot(&mut self) -> u64 {
            self.slot += 1;
            ACTIVE_SLOT + self.slot
        }
        fn next_withdrawal(&mut self) -> u64 {
            self.withdrawal_index += 1;
            self.withdrawal_index
        }
        fn live(&self) -> impl Iterator<Item = &usize> {
            self.positions.keys().filter(|k| !self.closed.contains(k))
        }
        /// Closes position `k` on a sweep of `amount`: the queue takes up to its debt, the rest
        /// is the holder's, the unrepaid debt a realised loss. Returns what the queue took.
        fn close(&mut self, k: usize, amount: U256) -> U256 {
            let debt = self.debt(k);
            let to_queue = amount.min(debt);
            self.closed.insert(k);
            self.unpaid.insert(k, debt - to_queue);
            *self.residual.entry(k).or_default() += amount - to_queue;
            self.shortfall.remove(&k);
            self.exiting.remove(&k);
            self.exit_requested.remove(&k);
            to_queue
        }
        /// Credits `amount` to closed position `k`: its unpaid debt first, then its holder.
        /// Returns what went to backing.
        fn credit_closed(&mut self, k: usize, amount: U256) -> U256 {
            let unpaid = self.unpaid.get(&k).copied().unwrap_or_default();
            let to_backing = amount.min(unpaid);
            self.unpaid.insert(k, unpaid - to_backing);
            *self.residual.entry(k).or_default() += amount - to_backing;
            to_backing
        }
    }

    fn last_ids(w: &World) -> (u64, u64) {
        (
            w.chain
                .view(w.vault, &Vault::lastFinalizedIdCall {})
                .unwrap(),
            w.chain.view(w.vault, &Vault::lastRequestIdCall {}).unwrap(),
        )
    }

    fn cumulative(w: &World, id: u64) -> U256 {
        w.chain
            .view(
                w.vault,
                &Vault::requestOfCall {
                    requestId: U256::from(id),
                },
            )
            .unwrap()
            .cumulative
    }

    /// A withdrawal of `gwei` for validator `validator` arrives at the vault (EIP-4895) in a
    /// block of a fresh slot: its settlement proofs.
    fn arrive(w: &mut World, m: &mut Model, validator: u64, gwei: u64) -> Settlement {
        let slot = m.next_slot();
        let index = m.next_withdrawal();
        let ws = [w.withdrawal(index, validator, gwei)];
        let s = w.settlement(validator, slot, slot / 32, &ws);
        w.chain.credit_withdrawal(w.vault, gwei);
        s
    }

    fn step(w: &mut World, m: &mut Model, users: &[Address; 3], op: &Op) {
        match *op {
            Op::Join(k, u) => {
                if m.positions.contains_key(&k) {
                    return;
                }
                let id = w.joined(VALIDATORS[k], users[u]);
                m.positions.insert(k, id);
                m.holder.insert(k, u);
            }
            Op::Donate(u, milli_eth) => w.donate(users[u], milli(milli_eth)),
            Op::Redeem(u, pct) => {
                let amount = w.seth_balance(users[u]) * U256::from(pct) / U256::from(100);
                if amount < min_redeem() {
                    return;
                }
                let r = w.redeem(users[u], amount).expect_success();
                let id: U256 = r.decode_return::<Vault::requestRedeemCall>().unwrap();
                m.requests.insert(id.to(), (users[u], amount));
            }
            Op::Finalize(pct) => {
                let (done, last) = last_ids(w);
                if done == last {
                    return;
                }
                let target = done + 1 + (last - done - 1) * pct / 100;
                let (supply, backing, buffer) = (w.outstanding(), w.backing(), w.buffer());
                let rate = if backing >= supply {
                    ether(1)
                } else {
                    backing * ether(1) / supply
                };
                let amount = cumulative(w, target) - cumulative(w, done);
                let eth = amount * rate / ether(1);
                let r = finalize(w, target);
                if eth > buffer {
                    assert!(matches!(refusal(r), E::InsufficientBuffer(_)));
                    return;
                }
                let ev = r.expect_success().events_from::<Vault::Finalized>(w.vault);
                assert_eq!((ev[0].rate, ev[0].ethReserved), (rate, eth));
                for id in done + 1..=target {
                    m.rates.insert(id, rate);
                }
                // Finalizing never makes the remaining holders worse off.
                let (supply2, backing2) = (w.outstanding(), w.backing());
                assert_eq!(supply2, supply - amount);
                if backing >= supply {
                    assert!(backing2 >= supply2);
                } else {
                    assert!(backing2 * supply >= backing * supply2);
                }
            }
            Op::Claim(pick) => {
                let open: Vec<u64> = m
                    .rates
                    .keys()
                    .copied()
                    .filter(|id| !m.claimed.contains(id))
                    .collect();
                if open.is_empty() {
                    return;
                }
                let id = open[(pick % open.len() as u64) as usize];
                let hint: U256 = w
                    .chain
                    .view(
                        w.vault,
                        &Vault::findCheckpointCall {
                            requestId: U256::from(id),
                        },
                    )
                    .unwrap();
                let (owner, amount) = m.requests[&id];
                let before = w.chain.balance(owner);
                claim(w, id, hint.to()).expect_success();
                assert_eq!(
                    w.chain.balance(owner) - before,
                    amount * m.rates[&id] / ether(1),
                    "request {id} paid at its batch's rate"
                );
                m.claimed.insert(id);
                assert!(matches!(
                    refusal(claim(w, id, hint.to())),
                    E::AlreadyClaimed(_)
                ));
            }
            Op::Transfer(a, b, pct) => {
                let amount = w.seth_balance(users[a]) * U256::from(pct) / U256::from(100);
                seth_transfer(w, users[a], users[b], amount);
            }
            Op::Advance(blocks) => w.advance(blocks),
            Op::Mark(k, balance, slashed) => {
                let Some(&id) = m.positions.get(&k) else {
                    return;
                };
                let slot = m.next_slot();
                let facts = Facts::at(slot).balance(balance);
                let facts = if slashed { facts.slashed() } else { facts };
                let p = w.facts(VALIDATORS[k], ProofParts::BALANCE, facts);
                let r = w.mark(id, &p, slashed);
                if m.closed.contains(&k) {
                    assert!(matches!(refusal(r), E::InvalidPositionStatus(_)));
                    return;
                }
                r.expect_success();
                if slashed {
                    assert!(w.position(id).slashed);
                }
                m.set_shortfall(k, balance);
            }
            Op::Eject(k, balance, score) => {
                let Some(&id) = m.positions.get(&k) else {
                    return;
                };
                let slot = m.next_slot();
                let p = w.facts(
                    VALIDATORS[k],
                    ProofParts::ALL,
                    Facts::at(slot).balance(balance).score(score),
                );
                let keeper = w.keeper;
                let seth_before = w.seth_balance(keeper);
                let r = w.eject(id, &p);
                let block = w.chain.block_number();
                if m.exiting.contains(&k) || m.closed.contains(&k) {
                    assert!(matches!(refusal(r), E::InvalidPositionStatus(_)));
                    return;
                }
                if balance >= 31_990_000_000 && score <= INACTIVITY_TRIGGER {
                    assert!(matches!(refusal(r), E::NotEjectable(_)));
                    return;
                }
                if let Some(&last) = m.last_request_block.get(&k) {
                    if block < last + EXIT_RESEND_BLOCKS {
                        assert!(matches!(refusal(r), E::ExitRequestTooSoon(_)));
                        return;
                    }
                }
                let r = r.expect_success();
                let first = m.rewarded.insert(k);
                let paid = usize::from(r.events_from::<Vault::Ejected>(w.vault)[0].rewarded);
                assert_eq!(
                    paid,
                    usize::from(first),
                    "the reward is paid once per position"
                );
                m.rewards_paid += paid as u64;
                assert_eq!(
                    w.seth_balance(keeper) - seth_before,
                    if first { tenth() } else { U256::ZERO }
                );
                m.last_request_block.insert(k, block);
                m.exit_requested.insert(k);
                m.set_shortfall(k, balance);
                let requests = w
                    .chain
                    .next_block(B256::repeat_byte(0x55))
                    .withdrawals
                    .clone();
                assert_eq!(requests.len(), 1);
                assert_eq!(requests[0].source_address, w.vault);
                assert_eq!(requests[0].validator_pubkey.as_slice(), &p.pubkey[..]);
            }
            Op::MarkExiting(k) => {
                let Some(&id) = m.positions.get(&k) else {
                    return;
                };
                let slot = m.next_slot();
                let p = w.facts(
                    VALIDATORS[k],
                    ProofParts::VALIDATOR,
                    Facts::at(slot).exit(slot / 32 + 10),
                );
                let r = w.mark_exiting(id, &p);
                if m.exiting.contains(&k) || m.closed.contains(&k) {
                    assert!(matches!(refusal(r), E::InvalidPositionStatus(_)));
                    return;
                }
                r.expect_success();
                m.exiting.insert(k);
                m.exit_requested.remove(&k);
            }
            Op::Demand(skip_with_proof) => {
                if m.positions.is_empty() {
                    return;
                }
                let id = U256::from(m.cursor.max(1));
                assert_eq!(w.cursor(), id, "the cursor moves only as the model says");
                let next = if id == U256::from(m.positions.len()) {
                    1
                } else {
                    m.cursor.max(1) + 1
                };
                let k = m.validator_of(id);
                let block = w.chain.block_number();
                let recent = m
                    .last_request_block
                    .get(&k)
                    .is_some_and(|&last| block < last + EXIT_RESEND_BLOCKS);
                if m.exiting.contains(&k) || m.closed.contains(&k) || recent {
                    // Not `Active`, or asked to exit moments ago: a skip needs no proof.
                    w.skip(id, None).expect_success();
                    m.cursor = next;
                    return;
                }
                let slot = m.next_slot();
                if skip_with_proof {
                    let p = w.facts(
                        VALIDATORS[k],
                        ProofParts::VALIDATOR,
                        Facts::at(slot).activation(slot / 32 + 1),
                    );
                    w.skip(id, Some(&p)).expect_success();
                    m.cursor = next;
                    return;
                }
                let open = m.open();
                let covered =
                    w.buffer() + m.sum_debt(m.exiting.iter()) + m.sum_debt(m.exit_requested.iter());
                let p = w.facts(VALIDATORS[k], ProofParts::VALIDATOR, Facts::at(slot));
                let r = w.demand_exit(id, &p);
                if open <= covered && !m.exit_requested.contains(&k) {
                    assert!(
                        matches!(refusal(r), E::NoDemand(_)),
                        "open {open} covered {covered}"
                    );
                    return;
                }
                let r = r.expect_success();
                assert_eq!(r.events_from::<Vault::DemandExit>(w.vault).len(), 1);
                m.cursor = next;
                m.last_request_block.insert(k, w.chain.block_number());
                m.exit_requested.insert(k);
                let requests = w
                    .chain
                    .next_block(B256::repeat_byte(0x56))
                    .withdrawals
                    .clone();
                assert_eq!(requests.len(), 1);
                assert_eq!(requests[0].validator_pubkey.as_slice(), &p.pubkey[..]);
            }
            Op::Settle(k, gwei) => {
                let Some(&id) = m.positions.get(&k) else {
                    return;
                };
                let s = arrive(w, m, VALIDATORS[k], gwei);
                let r = w.settle(id, &s, 0);
                if m.closed.contains(&k) {
                    assert!(matches!(refusal(r), E::InvalidPositionStatus(_)));
                    // The ETH still arrived: credited as a late withdrawal instead.
                    w.credit(id, &s, 0).expect_success();
                    m.credit_closed(k, common::gwei(gwei));
                    return;
                }
                let r = r.expect_success();
                let (amount, debt) = (common::gwei(gwei), m.debt(k));
                let to_queue = m.close(k, amount);
                let ev = &r.events_from::<Vault::Settled>(w.vault)[0];
                assert_eq!(
                    (ev.toQueue, ev.toOwner, ev.unpaidDebt),
                    (to_queue, amount - to_queue, debt - to_queue)
                );
                assert!(matches!(
                    refusal(w.credit(id, &s, 0)),
                    E::WithdrawalAlreadyCredited(_)
                ));
            }
            Op::LateCredit(k, gwei) => {
                let Some(&id) = m.positions.get(&k) else {
                    return;
                };
                let s = arrive(w, m, VALIDATORS[k], gwei);
                let r = w.credit(id, &s, 0);
                if !m.closed.contains(&k) {
                    assert!(matches!(refusal(r), E::InvalidPositionStatus(_)));
                    // The ETH arrived all the same: the sweep that closes the position takes it.
                    w.settle(id, &s, 0).expect_success();
                    m.close(k, common::gwei(gwei));
                    return;
                }
                let r = r.expect_success();
                let to_backing = m.credit_closed(k, common::gwei(gwei));
                let ev = &r.events_from::<Vault::WithdrawalCredited>(w.vault)[0];
                assert_eq!((ev.positionId, ev.toBacking), (id, to_backing));
            }
            Op::Unattributed(gwei) => {
                let s = arrive(w, m, STRANGER, gwei);
                let buffer = w.buffer();
                let keeper = w.keeper;
                let call = Vault::creditUnattributedWithdrawalCall {
                    validatorIndex: STRANGER,
                    validatorTimestamp: s.timestamp,
                    validatorProof: s.validator_proof.clone().into(),
                    withdrawalTimestamp: s.timestamp,
                    withdrawalProof: s.withdrawal_proofs[0].clone().into(),
                };
                w.send(keeper, &call).expect_success();
                assert_eq!(w.buffer() - buffer, common::gwei(gwei));
            }
            Op::MovePosition(k, u, v) => {
                let Some(&id) = m.positions.get(&k) else {
                    return;
                };
                let holder = m.holder[&k];
                let call = Positions::transferFromCall {
                    from: users[holder],
                    to: users[v],
                    id,
                };
                let positions = w.positions;
                let r = w
                    .chain
                    .send(users[u], positions, &call, U256::ZERO)
                    .unwrap();
                if u != holder {
                    // Nobody approved anyone: the token cannot be taken.
                    assert!(!r.is_success());
                    assert!(matches!(
                        r.revert_error::<Positions::PositionsErrors>(),
                        Some(Positions::PositionsErrors::NotAuthorized(_))
                    ));
                    return;
                }
                r.expect_success();
                m.holder.insert(k, v);
            }
            Op::ClaimResidual(k, u) => {
                let Some(&id) = m.positions.get(&k) else {
                    return;
                };
                let u = u.unwrap_or(m.holder[&k]);
                let owed = m.residual.get(&k).copied().unwrap_or_default();
                let before = w.chain.balance(users[u]);
                let r = w.claim_residual(users[u], id, Address::ZERO);
                if u != m.holder[&k] {
                    assert!(matches!(refusal(r), E::NotPositionOwner(_)));
                    return;
                }
                if owed.is_zero() {
                    assert!(matches!(refusal(r), E::NoResidual(_)));
                    return;
                }
                r.expect_success();
                // The harness's gas price is zero: the balance moves by the payment alone.
                assert_eq!(w.chain.balance(users[u]) - before, owed);
                m.residual.insert(k, U256::ZERO);
            }
        }
    }

    fn check(w: &World, m: &Model, users: &[Address; 3]) {
        // No ETH stuck or missing: fees pass through, refunds go back.
        w.assert_eth_accounted(U256::ZERO);
        // Outstanding sETH: the supply plus the open requests' sETH, burned when requested.
        let (done, _) = last_ids(w);
        let open: U256 = m.requests.range(done + 1..).map(|(_, (_, a))| *a).sum();
        let supply = w.outstanding();
        assert_eq!(supply, w.seth_supply() + open);
        let debt = w.total_debt();
        let shortfall = w.shortfall();
        assert_eq!(
            debt,
            m.sum_debt(m.live()),
            "live debt: the unsettled positions'"
        );
        assert_eq!(shortfall, m.shortfall.values().copied().sum::<U256>());
        // sETH never exceeds what backs it before losses: provisional ones (the shortfall) and
        // realised ones (debt a settlement did not repay) are then exactly the gap.
        let realised: U256 = m.unpaid.values().copied().sum();
        assert!(
            supply <= w.buffer() + debt + realised,
            "supply {supply} > buffer + debt + realised losses"
        );
        if shortfall.is_zero() && realised.is_zero() {
            assert!(
                supply <= w.backing(),
                "supply {supply} > backing {}",
                w.backing()
            );
        }
        assert_eq!(w.backing(), (w.buffer() + debt).saturating_sub(shortfall));
        for (k, id) in &m.positions {
            let pos = w.position(*id);
            assert_eq!(pos.rewardPaid, m.rewarded.contains(k));
            assert_eq!(pos.exitRequested, m.exit_requested.contains(k));
            // Residuals and realised losses to the wei; the claim belongs to the token's holder.
            let residual = m.residual.get(k).copied().unwrap_or_default();
            assert_eq!(w.residual(*id), residual);
            if m.closed.contains(k) {
                assert_eq!(pos.status, 3, "Closed");
                assert_eq!(w.debt_of(*id), m.unpaid[k]);
            }
            let owner = w
                .chain
                .view(w.positions, &Positions::ownerOfCall { id: *id })
                .unwrap();
            assert_eq!(owner, users[m.holder[k]]);
        }
        // Pending exit debt is exactly the flagged positions' debts, exiting debt the proven ones'.
        assert_eq!(w.pending(), m.sum_debt(m.exit_requested.iter()));
        assert_eq!(w.exiting(), m.sum_debt(m.exiting.iter()));
        assert_eq!(w.cursor(), U256::from(m.cursor.max(1)));
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(48))]
        #[test]
        fn random_sequences_keep_the_vault_solvent_fcfs_and_rewards_single(
            ops in prop::collection::vec(op(), 20..=60)
        ) {
            let mut w = World::new();
            let users = [w.chain.account("alice"), w.chain.account("bob"), w.keeper];
            let mut m = Model::default();
            for op in &ops {
                step(&mut w, &mut m, &users, op);
                check(&w, &m, &users);
            }
        }
    }
}
