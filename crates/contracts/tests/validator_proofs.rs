//! The on-chain verifier of lsv validator proofs (`contracts/src/lib/ValidatorProofs.sol`,
//! specified by `crates/proofs/FORMAT.md`), run in revm through `ValidatorProofsProbe` and held
//! to the Rust reference verifier (`lsv_proofs::ValidatorProof::verify`):
//!
//! - every committed fixture (`crates/proofs/tests/fixtures/validator_proofs.json`) is accepted
//!   or refused as it says, with the fixture's values;
//! - proofs built here from the mainnet Electra genesis state verify through EIP-4788 and decode
//!   to the state's values;
//! - tampered proofs (any bit, another index, root, timestamp, fork, genesis, length) are refused,
//!   and both verifiers refuse them for the same reason (same error, same computed root);
//! - gas, printed (`cargo test -p lsv-contracts --test validator_proofs -- --nocapture`).

#![allow(unused_crate_dependencies)]

use lsv_consensus::containers::BeaconBlockHeader;
use lsv_consensus::{ForkName, Mainnet, Slot, Version};
use lsv_contracts::artifacts::VALIDATOR_PROOFS_PROBE;
use lsv_contracts::bindings::ValidatorProofs as Sol;
use lsv_contracts::bindings::ValidatorProofsProbe::{self, ValidatorProofsProbeErrors as SolError};
use lsv_contracts::{Address, Chain, ChainError, B256, U256};
use lsv_proofs::{Anchor, ProofParts, ProvenValidator, StateProver, ValidatorProof, VerifyError};
use proptest::prelude::*;
use serde_json::Value;
use std::path::PathBuf;
use std::sync::OnceLock;
use tree_hash::TreeHash;

// ---- the two verifiers, and what they decide ---------------------------------------------------

/// Why a verifier refused a proof, in terms both verifiers share.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Refusal {
    /// Framing (`ProofVersionUnsupported`, `ProofMalformed`; Rust `Malformed`).
    Malformed,
    UnknownForkVersion([u8; 4]),
    /// The list (`validators`, `balances`, `inactivity_scores`), index and proven length.
    IndexOutOfRange(&'static str, u64, u64),
    /// The block root the proof leads to.
    RootMismatch(B256),
    /// EIP-4788 has no root for the timestamp.
    NoBeaconRoot,
}

fn rust_refusal(e: VerifyError) -> Refusal {
    match e {
        VerifyError::Malformed(_) | VerifyError::BranchTooLong { .. } => Refusal::Malformed,
        VerifyError::UnknownForkVersion(v) => Refusal::UnknownForkVersion(v.0),
        VerifyError::IndexOutOfRange {
            list,
            index,
            length,
        } => Refusal::IndexOutOfRange(list, index, length),
        VerifyError::RootMismatch { computed, .. } => Refusal::RootMismatch(computed),
        e @ (VerifyError::BranchLength { .. } | VerifyError::InactiveField(_)) => {
            panic!("a format-2 refusal of a format-1 proof: {e}")
        }
    }
}

fn sol_refusal(e: SolError) -> Refusal {
    match e {
        SolError::ProofVersionUnsupported(_) | SolError::ProofMalformed(_) => Refusal::Malformed,
        SolError::UnknownForkVersion(e) => Refusal::UnknownForkVersion(e.version.0),
        SolError::ValidatorIndexOutOfRange(e) => {
            Refusal::IndexOutOfRange("validators", e.index, e.length)
        }
        SolError::BalanceIndexOutOfRange(e) => {
            Refusal::IndexOutOfRange("balances", e.index, e.length)
        }
        SolError::InactivityScoreIndexOutOfRange(e) => {
            Refusal::IndexOutOfRange("inactivity_scores", e.index, e.length)
        }
        SolError::ProofRootMismatch(e) => Refusal::RootMismatch(e.computed),
        SolError::BeaconRootUnavailable(_) => Refusal::NoBeaconRoot,
    }
}

/// The Rust reference: parse, then verify.
fn rust_verify(
    bytes: &[u8],
    index: u64,
    root: B256,
    anchor: &Anchor,
) -> Result<ProvenValidator, Refusal> {
    ValidatorProof::from_bytes(bytes)
        .and_then(|p| p.verify(root, index, anchor))
        .map_err(rust_refusal)
}

/// Packs up to eight versions into `Anchor.forkVersions` (most significant first, zero-padded).
fn pack_versions(versions: &[Version]) -> B256 {
    assert!(versions.len() <= 8);
    let mut packed = B256::ZERO;
    for (k, v) in versions.iter().enumerate() {
        packed[4 * k..4 * k + 4].copy_from_slice(&v.0);
    }
    packed
}

fn sol_anchor(a: &Anchor) -> Sol::Anchor {
    Sol::Anchor {
        genesisTime: a.genesis_time,
        genesisValidatorsRoot: a.genesis_validators_root,
        forkVersions: pack_versions(&a.fork_versions),
    }
}

/// A chain with the probe deployed.
struct Probe {
    chain: Chain,
    address: Address,
}

impl Probe {
    fn new() -> Self {
        let mut chain = Chain::new();
        let address = chain.deploy(&VALIDATOR_PROOFS_PROBE, &[]).unwrap();
        Self { chain, address }
    }

    fn decide<T>(result: Result<T, ChainError>) -> Result<T, Refusal> {
        result.map_err(|e| match e {
            ChainError::Failed(receipt) => sol_refusal(
                receipt
                    .revert_error::<SolError>()
                    .unwrap_or_else(|| panic!("not a named error: {receipt}")),
            ),
            other => panic!("the call could not run: {other}"),
        })
    }

    /// `verifyRoot`: the block root given directly.
    fn verify_root(
        &self,
        bytes: &[u8],
        index: u64,
        root: B256,
        anchor: &Anchor,
    ) -> Result<Sol::Proven, Refusal> {
        Self::decide(self.chain.view(
            self.address,
            &ValidatorProofsProbe::verifyRootCall {
                proof: bytes.to_vec().into(),
                index,
                blockRoot: root,
                anchor: sol_anchor(anchor),
            },
        ))
    }

    /// `verifyAt`: the block root read from EIP-4788 for `timestamp`.
    fn verify_at(
        &self,
        bytes: &[u8],
        index: u64,
        timestamp: u64,
        anchor: &Anchor,
    ) -> Result<Sol::Proven, Refusal> {
        Self::decide(self.chain.view(
            self.address,
            &ValidatorProofsProbe::verifyAtCall {
                proof: bytes.to_vec().into(),
                index,
                timestamp: U256::from(timestamp),
                anchor: sol_anchor(anchor),
            },
        ))
    }

    /// The gas the library call used inside the probe (`verifyGas`), and what it proved.
    fn library_gas(&self, bytes: &[u8], index: u64, root: B256, anchor: &Anchor) -> u64 {
        let r = self
            .chain
            .view(
                self.address,
                &ValidatorProofsProbe::verifyGasCall {
                    proof: bytes.to_vec().into(),
                    index,
                    blockRoot: root,
                    anchor: sol_anchor(anchor),
                },
            )
            .unwrap();
        r.gasUsed.to::<u64>()
    }
}

/// Field by field: what Solidity decoded equals what Rust proved.
fn assert_same(sol: &Sol::Proven, rust: &ProvenValidator) {
    let v = &rust.validator;
    let pk = v.pubkey.as_bytes();
    assert_eq!(sol.pubkeyHead.as_slice(), &pk[..32]);
    assert_eq!(sol.pubkeyTail.as_slice(), &pk[32..]);
    assert_eq!(sol.withdrawalCredentials, v.withdrawal_credentials);
    assert_eq!(sol.effectiveBalance, v.effective_balance.as_u64());
    assert_eq!(sol.slashed, v.slashed);
    assert_eq!(
        sol.activationEligibilityEpoch,
        v.activation_eligibility_epoch.as_u64()
    );
    assert_eq!(sol.activationEpoch, v.activation_epoch.as_u64());
    assert_eq!(sol.exitEpoch, v.exit_epoch.as_u64());
    assert_eq!(sol.withdrawableEpoch, v.withdrawable_epoch.as_u64());
    assert_eq!(sol.slot, rust.slot.as_u64());
    assert_eq!(sol.forkVersion.0, rust.fork.current_version.0);
    assert_eq!(sol.registryLength, rust.registry_length);
    assert_eq!(sol.hasBalance, rust.balance.is_some());
    assert_eq!(sol.balance, rust.balance.map_or(0, |b| b.as_u64()));
    assert_eq!(sol.hasInactivityScore, rust.inactivity_score.is_some());
    assert_eq!(sol.inactivityScore, rust.inactivity_score.unwrap_or(0));
}

// ---- the mainnet Electra genesis state -------------------------------------------------------

fn testdata() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../testdata/ssz/merkle_proof")
}

/// The consensus-spec-tests mainnet Electra genesis state (256 validators), hashed once.
fn prover() -> &'static StateProver<Mainnet> {
    static P: OnceLock<StateProver<Mainnet>> = OnceLock::new();
    P.get_or_init(|| {
        let path = testdata().join(
            "light_client/mainnet/electra/light_client/single_merkle_proof/BeaconState/BeaconState.object.ssz",
        );
        let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        StateProver::from_ssz_bytes(ForkName::Electra, &bytes).unwrap()
    })
}

const ELECTRA: Version = Version([5, 0, 0, 0]);
const FULU: Version = Version([6, 0, 0, 0]);

/// Mainnet's Electra and Fulu versions with the vector state's own genesis.
fn anchor() -> Anchor {
    let s = prover().state();
    Anchor {
        genesis_time: s.genesis_time(),
        genesis_validators_root: s.genesis_validators_root(),
        fork_versions: vec![ELECTRA, FULU],
    }
}

/// A header over the vector state; `salt` varies the body root, so every block has its own root.
fn header(salt: u64) -> BeaconBlockHeader {
    let mut body_root = B256::repeat_byte(0xb2);
    body_root[..8].copy_from_slice(&salt.to_le_bytes());
    BeaconBlockHeader {
        slot: prover().state().slot(),
        proposer_index: 3,
        parent_root: B256::repeat_byte(0xa1),
        state_root: prover().state_root(),
        body_root,
    }
}

fn parts_of(k: u8) -> ProofParts {
    [
        ProofParts::VALIDATOR,
        ProofParts::BALANCE,
        ProofParts::INACTIVITY_SCORE,
        ProofParts::ALL,
    ][usize::from(k % 4)]
}

/// A proof of validator `index` with `parts` against the root of `header(salt)`.
fn proof(index: u64, parts: ProofParts, salt: u64) -> (Vec<u8>, B256) {
    let h = header(salt);
    let p = prover().validator_proof(&h, index, parts).unwrap();
    (p.to_bytes(), h.tree_hash_root())
}

fn probe() -> &'static Probe {
    static P: OnceLock<Probe> = OnceLock::new();
    P.get_or_init(Probe::new)
}

// ---- (1) the committed fixtures ----------------------------------------------------------------

fn fixtures() -> Value {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../proofs/tests/fixtures/validator_proofs.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn hex_bytes(v: &Value) -> Vec<u8> {
    hex::decode(v.as_str().unwrap().trim_start_matches("0x")).unwrap()
}

fn dec_u64(v: &Value) -> u64 {
    v.as_str().unwrap().parse().unwrap()
}

fn fixture_anchor(v: &Value) -> Anchor {
    Anchor {
        genesis_time: dec_u64(&v["genesis_time"]),
        genesis_validators_root: v["genesis_validators_root"]
            .as_str()
            .unwrap()
            .parse()
            .unwrap(),
        fork_versions: v["fork_versions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| Version(hex_bytes(x).try_into().unwrap()))
            .collect(),
    }
}

/// The refusal a fixture's `reason` names.
fn expected_refusal(reason: &str) -> fn(&Refusal) -> bool {
    match reason {
        "validators[6] is another leaf" | "root mismatch" | "witness mismatch" => {
            |r| matches!(r, Refusal::RootMismatch(_))
        }
        "index >= validators length" => {
            |r| matches!(r, Refusal::IndexOutOfRange("validators", _, _))
        }
        "unknown fork version" => |r| matches!(r, Refusal::UnknownForkVersion(_)),
        other => panic!("a fixture reason this test does not know: {other}"),
    }
}

#[test]
fn every_fixture_is_accepted_or_refused_as_committed() {
    let fixtures = fixtures();
    let cases = fixtures["cases"].as_array().unwrap();
    assert_eq!(cases.len(), 12);
    let mut probe = Probe::new();
    let (mut accepted, mut refused) = (0, 0);
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let proof = hex_bytes(&case["proof"]);
        let index = dec_u64(&case["validator_index"]);
        let root: B256 = case["block_root"].as_str().unwrap().parse().unwrap();
        let anchor = fixture_anchor(&case["anchor"]);
        let direct = probe.verify_root(&proof, index, root, &anchor);
        // The same through EIP-4788: the root stored for the next block's timestamp.
        probe.chain.next_block(root);
        let timestamp = probe.chain.timestamp();
        let via_4788 = probe.verify_at(&proof, index, timestamp, &anchor);
        assert_eq!(direct, via_4788, "{name}");
        let rust = rust_verify(&proof, index, root, &anchor);
        if case["valid"].as_bool().unwrap() {
            accepted += 1;
            let sol = direct.unwrap_or_else(|e| panic!("{name}: refused {e:?}"));
            assert_same(&sol, &rust.unwrap());
            let e = &case["expected"];
            assert_eq!(
                sol.pubkeyHead.as_slice(),
                &hex_bytes(&e["pubkey"])[..32],
                "{name}"
            );
            assert_eq!(
                sol.pubkeyTail.as_slice(),
                &hex_bytes(&e["pubkey"])[32..],
                "{name}"
            );
            assert_eq!(
                sol.withdrawalCredentials.as_slice(),
                hex_bytes(&e["withdrawal_credentials"]),
                "{name}"
            );
            for (got, key) in [
                (sol.effectiveBalance, "effective_balance"),
                (
                    sol.activationEligibilityEpoch,
                    "activation_eligibility_epoch",
                ),
                (sol.activationEpoch, "activation_epoch"),
                (sol.exitEpoch, "exit_epoch"),
                (sol.withdrawableEpoch, "withdrawable_epoch"),
                (sol.slot, "slot"),
                (sol.registryLength, "registry_length"),
            ] {
                assert_eq!(got, dec_u64(&e[key]), "{name}: {key}");
            }
            assert_eq!(sol.slashed, e["slashed"].as_bool().unwrap(), "{name}");
            assert_eq!(
                sol.forkVersion.as_slice(),
                hex_bytes(&e["fork_current_version"]),
                "{name}"
            );
            for (has, got, key) in [
                (sol.hasBalance, sol.balance, "balance"),
                (
                    sol.hasInactivityScore,
                    sol.inactivityScore,
                    "inactivity_score",
                ),
            ] {
                match &e[key] {
                    Value::Null => assert!(!has && got == 0, "{name}: {key}"),
                    v => assert!(has && got == dec_u64(v), "{name}: {key}"),
                }
            }
        } else {
            refused += 1;
            let reason = case["reason"].as_str().unwrap();
            let refusal = direct.expect_err(name);
            assert!(expected_refusal(reason)(&refusal), "{name}: {refusal:?}");
            assert_eq!(rust.unwrap_err(), refusal, "{name}: Rust disagrees");
        }
    }
    assert_eq!((accepted, refused), (6, 6));
}

// ---- (2) proofs built here, through EIP-4788 ----------------------------------------------------

#[test]
fn every_part_combination_verifies_through_eip_4788_with_the_states_values() {
    let mut probe = Probe::new();
    let anchor = anchor();
    let state = prover().state();
    for (k, index) in [0u64, 1, 2, 3, 4, 127, 128, 254, 255]
        .into_iter()
        .enumerate()
    {
        for p in 0..4u8 {
            let parts = parts_of(p);
            let (bytes, root) = proof(index, parts, (k as u64) << 8 | u64::from(p));
            probe.chain.next_block(root);
            let sol = probe
                .verify_at(&bytes, index, probe.chain.timestamp(), &anchor)
                .unwrap();
            let rust = rust_verify(&bytes, index, root, &anchor).unwrap();
            assert_same(&sol, &rust);
            let v = &state.validators()[index as usize];
            assert_eq!(sol.withdrawalCredentials, v.withdrawal_credentials);
            assert_eq!(sol.effectiveBalance, v.effective_balance.as_u64());
            assert_eq!(sol.exitEpoch, v.exit_epoch.as_u64());
            assert_eq!(sol.registryLength, state.validators().len() as u64);
            assert_eq!(sol.slot, state.slot().as_u64());
            assert_eq!(sol.forkVersion.0, state.fork().current_version.0);
            if parts.balance {
                assert_eq!(sol.balance, state.balances()[index as usize].as_u64());
            }
            if parts.inactivity_score {
                assert_eq!(
                    sol.inactivityScore,
                    state.inactivity_scores()[index as usize]
                );
            }
        }
    }
}

#[test]
fn a_root_from_another_block_or_a_missing_one_is_refused() {
    let mut probe = Probe::new();
    let anchor = anchor();
    let (bytes, root) = proof(9, ProofParts::BALANCE, 1);
    probe.chain.next_block(root);
    let good = probe.chain.timestamp();
    probe.chain.next_block(header(2).tree_hash_root());
    let other = probe.chain.timestamp();
    assert!(probe.verify_at(&bytes, 9, good, &anchor).is_ok());
    // Another block's root: the proof leads to its own root, not that one.
    assert_eq!(
        probe.verify_at(&bytes, 9, other, &anchor),
        Err(Refusal::RootMismatch(root))
    );
    // A missed slot, the future and zero: EIP-4788 has no root.
    probe.chain.next_block_after(1, root);
    let missed = probe.chain.timestamp() - 12;
    for t in [missed, probe.chain.timestamp() + 12, 0, good + 1] {
        assert_eq!(
            probe.verify_at(&bytes, 9, t, &anchor),
            Err(Refusal::NoBeaconRoot),
            "{t}"
        );
    }
}

#[test]
fn fork_versions_are_packed_and_zero_never_matches() {
    let p = probe();
    let check = |versions: B256, v: [u8; 4]| -> bool {
        p.chain
            .view(
                p.address,
                &ValidatorProofsProbe::isKnownForkVersionCall {
                    versions,
                    version: v.into(),
                },
            )
            .unwrap()
    };
    let two = pack_versions(&[ELECTRA, FULU]);
    assert!(check(two, ELECTRA.0));
    assert!(check(two, FULU.0));
    assert!(!check(two, [7, 0, 0, 0]));
    assert!(!check(two, [0, 0, 0, 0]), "zero slots match nothing");
    assert!(!check(B256::ZERO, [0, 0, 0, 0]));
    let eight: Vec<Version> = (1..=8u8).map(|k| Version([k, 0, 0, k])).collect();
    let full = pack_versions(&eight);
    for v in &eight {
        assert!(check(full, v.0));
    }
    assert!(!check(full, [9, 0, 0, 9]));
    // A version is matched whole, never across two slots.
    assert!(!check(full, [0, 2, 0, 0]));
}

#[test]
fn framing_refusals_are_named() {
    let p = probe();
    let anchor = anchor();
    let (bytes, root) = proof(7, ProofParts::ALL, 0);
    let refusal = |b: &[u8]| {
        let sol = p.verify_root(b, 7, root, &anchor);
        assert_eq!(
            sol.as_ref().err(),
            rust_verify(b, 7, root, &anchor).err().as_ref()
        );
        sol.unwrap_err()
    };
    let raw_error = |b: &[u8]| -> SolError {
        match p.chain.view(
            p.address,
            &ValidatorProofsProbe::verifyRootCall {
                proof: b.to_vec().into(),
                index: 7,
                blockRoot: root,
                anchor: sol_anchor(&anchor),
            },
        ) {
            Err(ChainError::Failed(r)) => r.revert_error::<SolError>().unwrap(),
            other => panic!("{other:?}"),
        }
    };
    assert_eq!(refusal(&[]), Refusal::Malformed);
    let mut v2 = bytes.clone();
    v2[0] = 2;
    assert!(matches!(
        raw_error(&v2),
        SolError::ProofVersionUnsupported(e) if e.version == 2
    ));
    for (at, value) in [(1, 4u8), (1, 0x80), (530, 2), (571, 41)] {
        let mut b = bytes.clone();
        b[at] = value;
        assert!(
            matches!(raw_error(&b), SolError::ProofMalformed(_)),
            "byte {at} = {value}"
        );
    }
    // Every strict prefix and one byte more.
    for len in (0..bytes.len()).step_by(37).chain([bytes.len() - 1]) {
        assert_eq!(refusal(&bytes[..len]), Refusal::Malformed, "{len}");
    }
    let mut longer = bytes.clone();
    longer.push(0);
    assert_eq!(refusal(&longer), Refusal::Malformed);
    // A balance sibling count above 38.
    let mut b = bytes.clone();
    let o_b = 572 + 32 * usize::from(bytes[571]);
    b[o_b + 40] = 39;
    assert_eq!(refusal(&b), Refusal::Malformed);
}

// ---- (3, 4) tampering: always refused, by both verifiers for the same reason -------------------

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: 64,
        ..ProptestConfig::default()
    }
}

/// Both verifiers refuse, for the same reason; returns it.
fn both_refuse(bytes: &[u8], index: u64, root: B256, anchor: &Anchor) -> Refusal {
    let sol = probe().verify_root(bytes, index, root, anchor);
    let rust = rust_verify(bytes, index, root, anchor);
    assert_eq!(
        sol.as_ref().err(),
        rust.as_ref().err(),
        "verifiers disagree"
    );
    sol.expect_err("a tampered proof was accepted")
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn random_validators_verify_like_the_reference(index in 0u64..256, p in 0u8..4, salt: u64) {
        let anchor = anchor();
        let (bytes, root) = proof(index, parts_of(p), salt);
        let sol = probe().verify_root(&bytes, index, root, &anchor).unwrap();
        assert_same(&sol, &rust_verify(&bytes, index, root, &anchor).unwrap());
    }

    #[test]
    fn any_flipped_bit_is_refused(index in 0u64..256, p in 0u8..4, at: prop::sample::Index, bit in 0u8..8) {
        let anchor = anchor();
        let (mut bytes, root) = proof(index, parts_of(p), 0);
        let at = at.index(bytes.len());
        bytes[at] ^= 1 << bit;
        both_refuse(&bytes, index, root, &anchor);
    }

    #[test]
    fn another_index_is_refused(index in 0u64..256, other in prop_oneof![0u64..256, any::<u64>()], p in 0u8..4) {
        prop_assume!(other != index);
        let anchor = anchor();
        let (bytes, root) = proof(index, parts_of(p), 0);
        let r = both_refuse(&bytes, other, root, &anchor);
        prop_assert!(matches!(r, Refusal::RootMismatch(_) | Refusal::IndexOutOfRange(..)), "{r:?}");
    }

    #[test]
    fn another_block_root_is_refused(index in 0u64..256, p in 0u8..4, wrong: [u8; 32]) {
        let anchor = anchor();
        let (bytes, root) = proof(index, parts_of(p), 0);
        let wrong = B256::from(wrong);
        prop_assume!(wrong != root);
        prop_assert_eq!(both_refuse(&bytes, index, wrong, &anchor), Refusal::RootMismatch(root));
    }

    #[test]
    fn an_unknown_fork_version_is_refused(index in 0u64..256, p in 0u8..4, known in prop::collection::vec(any::<[u8; 4]>(), 0..8)) {
        let mut anchor = anchor();
        anchor.fork_versions = known.into_iter().map(Version).filter(|v| *v != ELECTRA).collect();
        let (bytes, root) = proof(index, parts_of(p), 0);
        prop_assert_eq!(both_refuse(&bytes, index, root, &anchor), Refusal::UnknownForkVersion(ELECTRA.0));
    }

    #[test]
    fn another_genesis_is_refused(index in 0u64..256, p in 0u8..4, time: u64, gvr: [u8; 32], which in 0u8..3) {
        let mut anchor = anchor();
        if which != 1 {
            prop_assume!(time != anchor.genesis_time);
            anchor.genesis_time = time;
        }
        if which != 0 {
            prop_assume!(B256::from(gvr) != anchor.genesis_validators_root);
            anchor.genesis_validators_root = B256::from(gvr);
        }
        let (bytes, root) = proof(index, parts_of(p), 0);
        let r = both_refuse(&bytes, index, root, &anchor);
        prop_assert!(matches!(r, Refusal::RootMismatch(_)), "{r:?}");
    }

    #[test]
    fn truncated_or_extended_proofs_are_refused(index in 0u64..256, p in 0u8..4, cut: prop::sample::Index, extra in prop::collection::vec(any::<u8>(), 1..70), extend: bool) {
        let anchor = anchor();
        let (mut bytes, root) = proof(index, parts_of(p), 0);
        if extend {
            bytes.extend_from_slice(&extra);
        } else {
            let len = cut.index(bytes.len());
            bytes.truncate(len);
        }
        prop_assert_eq!(both_refuse(&bytes, index, root, &anchor), Refusal::Malformed);
    }
}

// ---- (5) gas ---------------------------------------------------------------------------------

/// Gas of `verify` inside the probe and of a whole `verifyRoot` transaction, for the three proof
/// shapes, at the vector state's size (256 validators): printed, and held to FORMAT.md's budget.
#[test]
fn verification_gas_is_reported() {
    let anchor = anchor();
    let mut probe = Probe::new();
    let caller = probe.chain.account("prover");
    println!("ValidatorProofs.verify, 256-validator state (vector):");
    println!(
        "  {:<22} {:>6} {:>10} {:>10}",
        "proof", "bytes", "library", "tx"
    );
    for (label, parts, budget) in [
        ("validator only", ProofParts::VALIDATOR, 32_000),
        ("+ balance", ProofParts::BALANCE, 46_000),
        ("+ inactivity", ProofParts::INACTIVITY_SCORE, 46_000),
        ("+ both", ProofParts::ALL, 60_000),
    ] {
        let (bytes, root) = proof(200, parts, 0);
        let library = probe.library_gas(&bytes, 200, root, &anchor);
        let receipt = probe
            .chain
            .send(
                caller,
                probe.address,
                &ValidatorProofsProbe::verifyRootCall {
                    proof: bytes.clone().into(),
                    index: 200,
                    blockRoot: root,
                    anchor: sol_anchor(&anchor),
                },
                U256::ZERO,
            )
            .unwrap()
            .expect_success();
        println!(
            "  {label:<22} {:>6} {library:>10} {:>10}",
            bytes.len(),
            receipt.gas_used
        );
        assert!(library < budget, "{label}: {library}");
    }
    probe.chain.gas_report().print();
}

/// The same at mainnet size: 2^21 + 1000 validators (the vector state grown as
/// `lsv-proofs/tests/mainnet_scale.rs` does). About a gigabyte and a minute; run with
/// `cargo test -p lsv-contracts --test validator_proofs -- --ignored --nocapture`.
#[test]
#[ignore]
fn verification_gas_at_mainnet_size() {
    use lsv_consensus::Gwei;
    use lsv_proofs::AnyBeaconState;
    let n = (1usize << 21) + 1000;
    let mut s = match prover().state().clone() {
        AnyBeaconState::Electra(s) => s,
        AnyBeaconState::Fulu(_) => unreachable!("the vector state is Electra"),
    };
    let base = s.validators.len();
    for i in base..n {
        let mut v = s.validators[i % base];
        v.pubkey.0[..8].copy_from_slice(&(i as u64).to_le_bytes());
        s.validators.push(v).unwrap();
        s.balances
            .push(Gwei::new(32_000_000_000 + i as u64))
            .unwrap();
        s.inactivity_scores.push(i as u64 % 7 + 1).unwrap();
        s.previous_epoch_participation.push(0).unwrap();
        s.current_epoch_participation.push(0).unwrap();
    }
    let big = StateProver::new(AnyBeaconState::Electra(s));
    let h = BeaconBlockHeader {
        slot: Slot::new(0),
        proposer_index: 3,
        parent_root: B256::repeat_byte(0xa1),
        state_root: big.state_root(),
        body_root: B256::repeat_byte(0xb2),
    };
    let root = h.tree_hash_root();
    let anchor = anchor();
    let mut probe = Probe::new();
    let caller = probe.chain.account("prover");
    println!("ValidatorProofs.verify, {n}-validator state:");
    println!(
        "  {:<22} {:>6} {:>10} {:>10}",
        "proof", "bytes", "library", "tx"
    );
    let index = 1_234_567u64;
    for (label, parts) in [
        ("validator only", ProofParts::VALIDATOR),
        ("+ balance", ProofParts::BALANCE),
        ("+ inactivity", ProofParts::INACTIVITY_SCORE),
        ("+ both", ProofParts::ALL),
    ] {
        let bytes = big.validator_proof(&h, index, parts).unwrap().to_bytes();
        let sol = probe.verify_root(&bytes, index, root, &anchor).unwrap();
        assert_same(&sol, &rust_verify(&bytes, index, root, &anchor).unwrap());
        let library = probe.library_gas(&bytes, index, root, &anchor);
        let receipt = probe
            .chain
            .send(
                caller,
                probe.address,
                &ValidatorProofsProbe::verifyRootCall {
                    proof: bytes.clone().into(),
                    index,
                    blockRoot: root,
                    anchor: sol_anchor(&anchor),
                },
                U256::ZERO,
            )
            .unwrap()
            .expect_success();
        println!(
            "  {label:<22} {:>6} {library:>10} {:>10}",
            bytes.len(),
            receipt.gas_used
        );
    }
}
