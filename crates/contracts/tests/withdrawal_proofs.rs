//! The on-chain verifier of lsv withdrawal proofs (`contracts/src/lib/WithdrawalProofs.sol`,
//! specified by `crates/proofs/FORMAT.md` "Withdrawal proof"), run in revm through
//! `WithdrawalProofsProbe` and held to the Rust reference (`lsv_proofs::WithdrawalProof::verify`):
//!
//! - real-shaped blocks (the Electra body vector with a full 16-withdrawal payload) and anchor
//!   states (the vector Electra genesis state and its Fulu-layout copy, with `block_roots` and
//!   `historical_summaries` set) give proofs that verify through EIP-4788 for all three routes and
//!   decode to the block's values, field by field equal to Rust's;
//! - a validator proof and a withdrawal proof verify against one 4788 root in one call;
//! - tampered proofs (any bit, the route, the slot, another anchor, an unknown fork, genesis,
//!   Capella slot, length) are refused by both verifiers, for the same reason;
//! - gas per route, printed (`cargo test -p lsv-contracts --test withdrawal_proofs --
//!   --nocapture`).

#![allow(unused_crate_dependencies)]

use lsv_consensus::containers::BeaconBlockHeader;
use lsv_consensus::{ForkName, Gwei, Mainnet, Slot, Version};
use lsv_contracts::artifacts::WITHDRAWAL_PROOFS_PROBE;
use lsv_contracts::bindings::withdrawal_proofs::{
    ValidatorProofs as SolV, WithdrawalProofs as SolW,
};
use lsv_contracts::bindings::WithdrawalProofsProbe::{
    self, WithdrawalProofsProbeErrors as SolError,
};
use lsv_contracts::{Address, Chain, ChainError, B256, U256};
use lsv_proofs::block::{BeaconBlock, BeaconBlockBody, Withdrawal};
use lsv_proofs::merkle::MerkleTree;
use lsv_proofs::state::{electra, fulu, HistoricalSummary};
use lsv_proofs::{
    Anchor, AnyBeaconState, HistoricalPeriod, ProofParts, ProvenWithdrawal, StateProver,
    WithdrawalDepths, WithdrawalProof, WithdrawalProver, WithdrawalRoute, WithdrawalVerifyError,
};
use proptest::prelude::*;
use ssz::Decode;
use std::path::PathBuf;
use std::sync::OnceLock;
use tree_hash::TreeHash;

// ---- the two verifiers, and what they decide ---------------------------------------------------

/// Why a verifier refused a proof, in terms both verifiers share.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Refusal {
    Malformed,
    UnknownForkVersion([u8; 4]),
    PositionOutOfRange(u8, u64),
    SlotOutsideBlockRoots(u64, u64),
    SlotBeforeHistoricalSummaries(u64, u64),
    SummaryOutOfRange(u64, u64),
    RootMismatch(B256),
    UnusedSiblingNotZero(u64),
    NoBeaconRoot,
    /// A refusal of the validator proof (in the combined call).
    Validator(String),
}

fn rust_refusal(e: WithdrawalVerifyError) -> Refusal {
    type E = WithdrawalVerifyError;
    match e {
        E::Malformed(_) => Refusal::Malformed,
        E::UnknownForkVersion(v) => Refusal::UnknownForkVersion(v.0),
        E::PositionOutOfRange { position, length } => Refusal::PositionOutOfRange(position, length),
        E::SlotOutsideBlockRoots { slot, anchor_slot } => {
            Refusal::SlotOutsideBlockRoots(slot.as_u64(), anchor_slot.as_u64())
        }
        E::SlotBeforeHistoricalSummaries { slot, capella_slot } => {
            Refusal::SlotBeforeHistoricalSummaries(slot.as_u64(), capella_slot.as_u64())
        }
        E::SummaryOutOfRange { index, length } => Refusal::SummaryOutOfRange(index, length),
        E::RootMismatch { computed, .. } => Refusal::RootMismatch(computed),
        E::UnusedSiblingNotZero { offset } => Refusal::UnusedSiblingNotZero(offset as u64),
    }
}

fn sol_refusal(e: SolError) -> Refusal {
    match e {
        SolError::WithdrawalProofVersionUnsupported(_) | SolError::WithdrawalProofMalformed(_) => {
            Refusal::Malformed
        }
        SolError::UnknownForkVersion(e) => Refusal::UnknownForkVersion(e.version.0),
        SolError::WithdrawalPositionOutOfRange(e) => {
            Refusal::PositionOutOfRange(e.position, e.length)
        }
        SolError::WithdrawalSlotOutsideBlockRoots(e) => {
            Refusal::SlotOutsideBlockRoots(e.slot, e.anchorSlot)
        }
        SolError::WithdrawalSlotBeforeHistoricalSummaries(e) => {
            Refusal::SlotBeforeHistoricalSummaries(e.slot, e.capellaSlot)
        }
        SolError::HistoricalSummaryOutOfRange(e) => Refusal::SummaryOutOfRange(e.k, e.length),
        SolError::WithdrawalProofRootMismatch(e) => Refusal::RootMismatch(e.computed),
        SolError::WithdrawalProofUnusedSiblingNotZero(e) => {
            Refusal::UnusedSiblingNotZero(e.offset.to::<u64>())
        }
        SolError::BeaconRootUnavailable(_) => Refusal::NoBeaconRoot,
        other => Refusal::Validator(format!("{other:?}")),
    }
}

fn rust_verify(bytes: &[u8], root: B256, anchor: &Anchor) -> Result<ProvenWithdrawal, Refusal> {
    WithdrawalProof::from_bytes(bytes)
        .and_then(|p| p.verify(root, anchor, CAPELLA_SLOT, WithdrawalDepths::MAINNET))
        .map_err(rust_refusal)
}

/// `WithdrawalProofs.Params` for Capella at `capella` and the preset depths `depths`.
fn sol_params(capella: Slot, depths: WithdrawalDepths) -> SolW::Params {
    SolW::Params {
        capellaSlot: capella.as_u64(),
        withdrawalsDepth: depths.withdrawals() as u8,
        blockRootsDepth: depths.block_roots() as u8,
    }
}

fn sol_anchor(a: &Anchor) -> SolV::Anchor {
    let mut packed = B256::ZERO;
    for (k, v) in a.fork_versions.iter().enumerate() {
        packed[4 * k..4 * k + 4].copy_from_slice(&v.0);
    }
    SolV::Anchor {
        genesisTime: a.genesis_time,
        genesisValidatorsRoot: a.genesis_validators_root,
        forkVersions: packed,
    }
}

struct Probe {
    chain: Chain,
    address: Address,
}

impl Probe {
    fn new() -> Self {
        let mut chain = Chain::new();
        let address = chain.deploy(&WITHDRAWAL_PROOFS_PROBE, &[]).unwrap();
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

    fn verify_root(
        &self,
        bytes: &[u8],
        root: B256,
        anchor: &Anchor,
        capella: Slot,
    ) -> Result<SolW::Proven, Refusal> {
        self.verify_root_at_depths(bytes, root, anchor, capella, WithdrawalDepths::MAINNET)
    }

    fn verify_root_at_depths(
        &self,
        bytes: &[u8],
        root: B256,
        anchor: &Anchor,
        capella: Slot,
        depths: WithdrawalDepths,
    ) -> Result<SolW::Proven, Refusal> {
        Self::decide(self.chain.view(
            self.address,
            &WithdrawalProofsProbe::verifyRootCall {
                proof: bytes.to_vec().into(),
                anchorRoot: root,
                anchor: sol_anchor(anchor),
                chain: sol_params(capella, depths),
            },
        ))
    }

    fn verify_at(
        &self,
        bytes: &[u8],
        timestamp: u64,
        anchor: &Anchor,
    ) -> Result<SolW::Proven, Refusal> {
        Self::decide(self.chain.view(
            self.address,
            &WithdrawalProofsProbe::verifyAtCall {
                proof: bytes.to_vec().into(),
                timestamp: U256::from(timestamp),
                anchor: sol_anchor(anchor),
                chain: sol_params(CAPELLA_SLOT, WithdrawalDepths::MAINNET),
            },
        ))
    }

    fn library_gas(&self, bytes: &[u8], root: B256, anchor: &Anchor) -> u64 {
        self.chain
            .view(
                self.address,
                &WithdrawalProofsProbe::verifyGasCall {
                    proof: bytes.to_vec().into(),
                    anchorRoot: root,
                    anchor: sol_anchor(anchor),
                    chain: sol_params(CAPELLA_SLOT, WithdrawalDepths::MAINNET),
                },
            )
            .unwrap()
            .gasUsed
            .to::<u64>()
    }
}

/// Field by field: what Solidity decoded equals what Rust proved.
fn assert_same(sol: &SolW::Proven, rust: &ProvenWithdrawal) {
    assert_eq!(sol.index, rust.withdrawal.index);
    assert_eq!(sol.validatorIndex, rust.withdrawal.validator_index);
    assert_eq!(sol.withdrawalAddress, rust.withdrawal.address);
    assert_eq!(sol.amount, rust.withdrawal.amount.as_u64());
    assert_eq!(sol.position, rust.position);
    assert_eq!(sol.slot, rust.slot.as_u64());
    assert_eq!(sol.blockRoot, rust.block_root);
    assert_eq!(sol.route, rust.route as u8);
    assert_eq!(sol.anchorSlot, rust.anchor_slot.as_u64());
    assert_eq!(sol.forkVersion.0, rust.fork_version.0);
}

// ---- blocks and anchor states ------------------------------------------------------------------

/// The contract withdrawals are paid to in these tests.
const C: Address = Address::repeat_byte(0xc0);
/// Mainnet's `CAPELLA_FORK_EPOCH · 32` (configs/mainnet.yaml: epoch 194048).
const CAPELLA_SLOT: Slot = Slot(194_048 * 32);
const ELECTRA: Version = Version([5, 0, 0, 0]);
const FULU: Version = Version([6, 0, 0, 0]);

fn testdata() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata/ssz/merkle_proof/light_client/mainnet/electra/light_client/single_merkle_proof")
}

/// The consensus-spec-tests mainnet Electra genesis state (256 validators).
fn genesis_state() -> &'static electra::BeaconState<Mainnet> {
    static S: OnceLock<electra::BeaconState<Mainnet>> = OnceLock::new();
    S.get_or_init(|| {
        let path = testdata().join("BeaconState/BeaconState.object.ssz");
        let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        match AnyBeaconState::<Mainnet>::from_ssz_bytes(ForkName::Electra, &bytes).unwrap() {
            AnyBeaconState::Electra(s) => *s,
            AnyBeaconState::Fulu(_) => unreachable!(),
        }
    })
}

/// The consensus-spec-tests mainnet Electra `BeaconBlockBody` (the light-client execution
/// proof's object).
fn vector_body() -> &'static BeaconBlockBody<Mainnet> {
    static B: OnceLock<BeaconBlockBody<Mainnet>> = OnceLock::new();
    B.get_or_init(|| {
        let path = testdata().join("BeaconBlockBody/execution_merkle_proof/object.ssz");
        BeaconBlockBody::from_ssz_bytes(&std::fs::read(path).unwrap()).unwrap()
    })
}

/// A block at `slot` whose payload carries a full sweep of 16 withdrawals (every third to `C`).
fn withdrawal_block(slot: u64, salt: u8) -> BeaconBlock<Mainnet> {
    let mut body = vector_body().clone();
    let p = &mut body.execution_payload;
    p.block_number = slot * 3 + u64::from(salt);
    p.timestamp = 1_606_824_023 + slot * 12;
    p.extra_data = vec![salt; 7].try_into().unwrap();
    p.transactions = vec![vec![0x02, salt, 0xbb].try_into().unwrap()]
        .try_into()
        .unwrap();
    p.withdrawals = (0..16u64)
        .map(|j| Withdrawal {
            index: slot * 16 + 1_000 + j,
            validator_index: 200_000 + j * 41 + u64::from(salt),
            address: if j % 3 == 0 {
                C
            } else {
                Address::repeat_byte(j as u8 + 1)
            },
            amount: Gwei::new(31_990_000_000 + j * 7_000_001),
        })
        .collect::<Vec<_>>()
        .try_into()
        .unwrap();
    BeaconBlock {
        slot: Slot::new(slot),
        proposer_index: 9 + u64::from(salt),
        parent_root: B256::repeat_byte(0x31 ^ salt),
        state_root: B256::repeat_byte(0x42 ^ salt),
        body,
    }
}

fn state_prover(
    slot: u64,
    fulu: bool,
    edit: impl FnOnce(&mut electra::BeaconState<Mainnet>),
) -> StateProver<Mainnet> {
    let mut s = genesis_state().clone();
    s.slot = Slot::new(slot);
    s.fork.current_version = ELECTRA;
    for (i, r) in s.block_roots.iter_mut().enumerate() {
        *r = B256::from(U256::from(i as u64 * 0x51ed + 7));
    }
    edit(&mut s);
    StateProver::new(if fulu {
        let fork = lsv_consensus::containers::Fork {
            previous_version: ELECTRA,
            current_version: FULU,
            epoch: lsv_consensus::Epoch::new(slot / 32),
        };
        let lookahead: Vec<u64> = (0..64u64).map(|i| (i * 7 + 3) % 256).collect();
        AnyBeaconState::Fulu(Box::new(fulu::BeaconState::from_electra(
            s,
            fork,
            lookahead.try_into().unwrap(),
        )))
    } else {
        AnyBeaconState::Electra(Box::new(s))
    })
}

fn anchor() -> Anchor {
    let s = genesis_state();
    Anchor {
        genesis_time: s.genesis_time,
        genesis_validators_root: s.genesis_validators_root,
        fork_versions: vec![ELECTRA, FULU],
    }
}

/// An anchor state and header and the withdrawal's block, for one route.
struct Scenario {
    prover: StateProver<Mainnet>,
    header: BeaconBlockHeader,
    block: BeaconBlock<Mainnet>,
    period: Vec<B256>,
    route: WithdrawalRoute,
}

impl Scenario {
    fn new(route: WithdrawalRoute, fulu: bool, salt: u8) -> Self {
        let anchor_slot = 11_500_000 + u64::from(salt) * 1_009;
        let back = match route {
            WithdrawalRoute::Direct => 0,
            WithdrawalRoute::BlockRoots => 1 + u64::from(salt) * 2_731 % 8192,
            WithdrawalRoute::HistoricalSummaries => 20_000 + u64::from(salt) * 90_001,
        };
        let block_slot = anchor_slot - back;
        let mut block = withdrawal_block(block_slot, salt);
        let mut period: Vec<B256> = (0..8192u64)
            .map(|i| B256::from(U256::from(i * 13 + 1 + u64::from(salt))))
            .collect();
        let header_over = |prover: &StateProver<Mainnet>| BeaconBlockHeader {
            slot: Slot::new(anchor_slot),
            proposer_index: 77,
            parent_root: B256::repeat_byte(0xa1 ^ salt),
            state_root: prover.state_root(),
            body_root: B256::repeat_byte(0xb2 ^ salt),
        };
        let (prover, header) = match route {
            WithdrawalRoute::Direct => {
                let prover = state_prover(anchor_slot, fulu, |_| {});
                block.state_root = prover.state_root();
                let header = block.header();
                (prover, header)
            }
            WithdrawalRoute::BlockRoots => {
                let root = block.tree_hash_root();
                let prover = state_prover(anchor_slot, fulu, |s| {
                    s.block_roots[(block_slot % 8192) as usize] = root
                });
                let header = header_over(&prover);
                (prover, header)
            }
            WithdrawalRoute::HistoricalSummaries => {
                period[(block_slot % 8192) as usize] = block.tree_hash_root();
                let summary_root = MerkleTree::new(period.clone(), 13).root();
                let first = CAPELLA_SLOT.as_u64() / 8192;
                let k = block_slot / 8192 - first;
                let prover = state_prover(anchor_slot, fulu, |s| {
                    for i in 0..(anchor_slot / 8192 - first) {
                        s.historical_summaries
                            .push(HistoricalSummary {
                                block_summary_root: if i == k {
                                    summary_root
                                } else {
                                    B256::repeat_byte((i % 253) as u8)
                                },
                                state_summary_root: B256::from(U256::from(i * 3 + 1)),
                            })
                            .unwrap();
                    }
                });
                let header = header_over(&prover);
                (prover, header)
            }
        };
        Self {
            prover,
            header,
            block,
            period,
            route,
        }
    }

    fn root(&self) -> B256 {
        self.header.tree_hash_root()
    }

    fn proof(&self, j: usize) -> Vec<u8> {
        let history =
            (self.route == WithdrawalRoute::HistoricalSummaries).then_some(HistoricalPeriod {
                capella_slot: CAPELLA_SLOT,
                block_roots: &self.period,
            });
        WithdrawalProver::new(&self.prover, self.header)
            .unwrap()
            .prove(&self.block, j, self.route, history)
            .unwrap()
            .to_bytes()
    }
}

/// Scenarios built once: every route, both layouts, two salts.
fn scenario(route: WithdrawalRoute, fulu: bool, salt: u8) -> &'static Scenario {
    static S: OnceLock<Vec<Scenario>> = OnceLock::new();
    let all = S.get_or_init(|| {
        let mut v = Vec::new();
        for route in WithdrawalRoute::ALL {
            for fulu in [false, true] {
                for salt in 0..2u8 {
                    v.push(Scenario::new(route, fulu, salt));
                }
            }
        }
        v
    });
    &all[(route as usize) * 4 + usize::from(fulu) * 2 + usize::from(salt % 2)]
}

fn route_of(r: u8) -> WithdrawalRoute {
    WithdrawalRoute::ALL[usize::from(r % 3)]
}

fn probe() -> &'static Probe {
    static P: OnceLock<Probe> = OnceLock::new();
    P.get_or_init(Probe::new)
}

// ---- through EIP-4788 --------------------------------------------------------------------------

#[test]
fn every_route_verifies_through_eip_4788_in_both_layouts() {
    let mut probe = Probe::new();
    let anchor = anchor();
    for route in WithdrawalRoute::ALL {
        for fulu in [false, true] {
            for salt in 0..2u8 {
                let sc = scenario(route, fulu, salt);
                probe.chain.next_block(sc.root());
                let t = probe.chain.timestamp();
                for j in [0usize, 3, 7, 15] {
                    let bytes = sc.proof(j);
                    let sol = probe.verify_at(&bytes, t, &anchor).unwrap();
                    let rust = rust_verify(&bytes, sc.root(), &anchor).unwrap();
                    assert_same(&sol, &rust);
                    let w = sc.block.body.execution_payload.withdrawals[j];
                    assert_eq!(sol.index, w.index);
                    assert_eq!(sol.validatorIndex, w.validator_index);
                    assert_eq!(sol.withdrawalAddress, w.address);
                    assert_eq!(sol.amount, w.amount.as_u64());
                    assert_eq!(usize::from(sol.position), j);
                    assert_eq!(sol.slot, sc.block.slot.as_u64());
                    assert_eq!(sol.blockRoot, sc.block.tree_hash_root());
                    assert_eq!(sol.route, route as u8);
                    assert_eq!(sol.anchorSlot, sc.header.slot.as_u64());
                    assert_eq!(sol.forkVersion.0, if fulu { FULU.0 } else { ELECTRA.0 });
                }
            }
        }
    }
    // Withdrawals to C are told apart by the address the proof carries.
    let sc = scenario(WithdrawalRoute::Direct, false, 0);
    let to_c = probe
        .verify_root(&sc.proof(6), sc.root(), &anchor, CAPELLA_SLOT)
        .unwrap();
    assert_eq!(to_c.withdrawalAddress, C);
    let other = probe
        .verify_root(&sc.proof(7), sc.root(), &anchor, CAPELLA_SLOT)
        .unwrap();
    assert_ne!(other.withdrawalAddress, C);
}

#[test]
fn a_validator_and_a_withdrawal_verify_against_one_anchor_in_one_call() {
    let mut probe = Probe::new();
    let anchor = anchor();
    println!(
        "one 4788 read + ValidatorProofs.verify + WithdrawalProofs.verify (256-validator state):"
    );
    for route in WithdrawalRoute::ALL {
        let sc = scenario(route, true, 1);
        probe.chain.next_block(sc.root());
        let index = 200u64;
        let vproof = sc
            .prover
            .validator_proof(&sc.header, index, ProofParts::VALIDATOR)
            .unwrap()
            .to_bytes();
        let wproof = sc.proof(9);
        let r = probe
            .chain
            .view(
                probe.address,
                &WithdrawalProofsProbe::verifyBothAtCall {
                    validatorProof: vproof.clone().into(),
                    validatorIndex: index,
                    withdrawalProof: wproof.clone().into(),
                    timestamp: U256::from(probe.chain.timestamp()),
                    anchor: sol_anchor(&anchor),
                    chain: sol_params(CAPELLA_SLOT, WithdrawalDepths::MAINNET),
                },
            )
            .unwrap();
        let v = &sc.prover.state().validators()[index as usize];
        assert_eq!(r.validator.withdrawableEpoch, v.withdrawable_epoch.as_u64());
        assert_eq!(r.validator.slot, sc.header.slot.as_u64());
        assert_same(
            &r.withdrawal,
            &rust_verify(&wproof, sc.root(), &anchor).unwrap(),
        );
        println!(
            "  {:<22} validator {:>4} B + withdrawal {:>4} B: {:>6} gas",
            format!("{route:?}"),
            vproof.len(),
            wproof.len(),
            r.gasUsed
        );
        // A withdrawal proof against another anchor does not pass with this one's validator.
        let elsewhere = scenario(route, false, 0).proof(9);
        let refused = Probe::decide(probe.chain.view(
            probe.address,
            &WithdrawalProofsProbe::verifyBothAtCall {
                validatorProof: vproof.into(),
                validatorIndex: index,
                withdrawalProof: elsewhere.into(),
                timestamp: U256::from(probe.chain.timestamp()),
                anchor: sol_anchor(&anchor),
                chain: sol_params(CAPELLA_SLOT, WithdrawalDepths::MAINNET),
            },
        ));
        assert!(matches!(refused, Err(Refusal::RootMismatch(_))));
    }
}

#[test]
fn refusals_are_named_alike_by_both_verifiers() {
    let probe = probe();
    let anchor = anchor();
    let both = |bytes: &[u8], root: B256, anchor: &Anchor, capella: Slot| {
        let rust = WithdrawalProof::from_bytes(bytes)
            .and_then(|p| p.verify(root, anchor, capella, WithdrawalDepths::MAINNET))
            .map_err(rust_refusal);
        let sol = probe.verify_root(bytes, root, anchor, capella);
        let (rust, sol) = (rust.unwrap_err(), sol.unwrap_err());
        assert_eq!(rust, sol);
        rust
    };
    // Unknown fork (Fulu anchor state, verifier knows only Electra).
    let sc = scenario(WithdrawalRoute::BlockRoots, true, 0);
    let only_electra = Anchor {
        fork_versions: vec![ELECTRA],
        ..anchor.clone()
    };
    assert_eq!(
        both(&sc.proof(1), sc.root(), &only_electra, CAPELLA_SLOT),
        Refusal::UnknownForkVersion(FULU.0)
    );
    // Historical: a Capella slot after the block's period, or one that makes k too large.
    let sc = scenario(WithdrawalRoute::HistoricalSummaries, false, 1);
    let bytes = sc.proof(2);
    let after = Slot::new(sc.block.slot.as_u64() + 8192);
    assert_eq!(
        both(&bytes, sc.root(), &anchor, after),
        Refusal::SlotBeforeHistoricalSummaries(sc.block.slot.as_u64(), after.as_u64())
    );
    assert!(matches!(
        both(&bytes, sc.root(), &anchor, Slot::new(0)),
        Refusal::SummaryOutOfRange(_, _)
    ));
    // Another anchor root.
    assert!(matches!(
        both(&bytes, B256::repeat_byte(9), &anchor, CAPELLA_SLOT),
        Refusal::RootMismatch(_)
    ));
    // A position past the payload's withdrawals, a slot outside block_roots.
    let sc = scenario(WithdrawalRoute::BlockRoots, false, 1);
    let mut p = WithdrawalProof::from_bytes(&sc.proof(4)).unwrap();
    p.withdrawals_length = 4;
    assert_eq!(
        both(&p.to_bytes(), sc.root(), &anchor, CAPELLA_SLOT),
        Refusal::PositionOutOfRange(4, 4)
    );
    let mut p = WithdrawalProof::from_bytes(&sc.proof(4)).unwrap();
    p.slot = Slot::new(sc.header.slot.as_u64() - 8193);
    assert_eq!(
        both(&p.to_bytes(), sc.root(), &anchor, CAPELLA_SLOT),
        Refusal::SlotOutsideBlockRoots(sc.header.slot.as_u64() - 8193, sc.header.slot.as_u64())
    );
    // Framing: version, route, truncation, trailing bytes, empty.
    let bytes = sc.proof(0);
    let mut version = bytes.clone();
    version[0] = 2;
    let mut route = bytes.clone();
    route[1] = 3;
    let mut long = bytes.clone();
    long.push(0);
    for bad in [
        version,
        route,
        bytes[..bytes.len() - 1].to_vec(),
        long,
        Vec::new(),
    ] {
        assert_eq!(
            both(&bad, sc.root(), &anchor, CAPELLA_SLOT),
            Refusal::Malformed
        );
    }
    // No 4788 root for a timestamp.
    assert_eq!(
        probe.verify_at(&bytes, 0, &anchor),
        Err(Refusal::NoBeaconRoot)
    );
}

// ---- tampering ---------------------------------------------------------------------------------

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: 64,
        ..ProptestConfig::default()
    }
}

/// Both verifiers refuse, for the same reason.
fn both_refuse(bytes: &[u8], root: B256, anchor: &Anchor) -> Refusal {
    let rust = rust_verify(bytes, root, anchor);
    let sol = probe().verify_root(bytes, root, anchor, CAPELLA_SLOT);
    let rust = rust.expect_err("Rust accepted a tampered proof");
    let sol = sol.expect_err("Solidity accepted a tampered proof");
    assert_eq!(rust, sol);
    rust
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn any_flipped_bit_is_refused(r in 0u8..3, fulu: bool, salt in 0u8..2, j in 0usize..16, at: prop::sample::Index, bit in 0u8..8) {
        let sc = scenario(route_of(r), fulu, salt);
        let mut bytes = sc.proof(j);
        let i = at.index(bytes.len());
        bytes[i] ^= 1 << bit;
        both_refuse(&bytes, sc.root(), &anchor());
    }

    #[test]
    fn a_proof_against_another_anchor_is_refused(r in 0u8..3, other in 0u8..3, fulu: bool, j in 0usize..16) {
        let sc = scenario(route_of(r), fulu, 0);
        let elsewhere = scenario(route_of(other), !fulu, 1);
        let refusal = both_refuse(&sc.proof(j), elsewhere.root(), &anchor());
        prop_assert!(matches!(refusal, Refusal::RootMismatch(_)));
    }

    #[test]
    fn another_route_slot_or_position_is_refused(r in 0u8..3, fulu: bool, j in 0usize..16, other_route in 0u8..3, delta in 1u64..30_000, other_j in 0u8..16) {
        let sc = scenario(route_of(r), fulu, 1);
        let bytes = sc.proof(j);
        if route_of(other_route) != sc.route {
            let mut b = bytes.clone();
            b[1] = other_route;
            both_refuse(&b, sc.root(), &anchor());
        }
        let p = WithdrawalProof::from_bytes(&bytes).unwrap();
        for slot in [p.slot.as_u64() + delta, p.slot.as_u64() - delta] {
            let mut q = p.clone();
            q.slot = Slot::new(slot);
            both_refuse(&q.to_bytes(), sc.root(), &anchor());
        }
        if usize::from(other_j) != j {
            let mut q = p.clone();
            q.position = other_j;
            both_refuse(&q.to_bytes(), sc.root(), &anchor());
        }
    }

    #[test]
    fn an_unknown_fork_or_another_genesis_is_refused(r in 0u8..3, fulu: bool, known in prop::collection::vec(any::<[u8; 4]>(), 0..8), time: u64, gvr: [u8; 32], which: bool) {
        let sc = scenario(route_of(r), fulu, 0);
        let bytes = sc.proof(11);
        let current = if fulu { FULU } else { ELECTRA };
        let mut a = anchor();
        a.fork_versions = known.into_iter().map(Version).filter(|v| *v != current).collect();
        prop_assert_eq!(both_refuse(&bytes, sc.root(), &a), Refusal::UnknownForkVersion(current.0));
        let mut a = anchor();
        if which {
            prop_assume!(time != a.genesis_time);
            a.genesis_time = time;
        } else {
            prop_assume!(B256::from(gvr) != a.genesis_validators_root);
            a.genesis_validators_root = B256::from(gvr);
        }
        let refusal = both_refuse(&bytes, sc.root(), &a);
        prop_assert!(matches!(refusal, Refusal::RootMismatch(_)));
    }
}

// ---- gas ---------------------------------------------------------------------------------------

/// Gas of `verify` inside the probe and of a whole `verifyRoot` transaction, per route: printed,
/// and the direct route held to its budget (settlement ≤ 200k within the 4788 window).
#[test]
fn verification_gas_per_route_is_reported() {
    let anchor = anchor();
    let mut probe = Probe::new();
    let caller = probe.chain.account("keeper");
    println!(
        "WithdrawalProofs.verify (mainnet preset; historical_summaries of ~{} entries):",
        11_500_000 / 8192 - CAPELLA_SLOT.as_u64() / 8192
    );
    println!(
        "  {:<22} {:>6} {:>10} {:>10}",
        "route", "bytes", "library", "tx"
    );
    for (route, budget) in [
        (WithdrawalRoute::Direct, 20_000),
        (WithdrawalRoute::BlockRoots, 30_000),
        (WithdrawalRoute::HistoricalSummaries, 45_000),
    ] {
        let sc = scenario(route, false, 0);
        let bytes = sc.proof(12);
        let library = probe.library_gas(&bytes, sc.root(), &anchor);
        let receipt = probe
            .chain
            .send(
                caller,
                probe.address,
                &WithdrawalProofsProbe::verifyRootCall {
                    proof: bytes.clone().into(),
                    anchorRoot: sc.root(),
                    anchor: sol_anchor(&anchor),
                    chain: sol_params(CAPELLA_SLOT, WithdrawalDepths::MAINNET),
                },
                U256::ZERO,
            )
            .unwrap()
            .expect_success();
        println!(
            "  {:<22} {:>6} {library:>10} {:>10}",
            format!("{route:?}"),
            bytes.len(),
            receipt.gas_used
        );
        assert!(library < budget, "{route:?}: {library}");
        if route == WithdrawalRoute::Direct {
            assert!(
                receipt.gas_used <= 120_000,
                "direct tx {}",
                receipt.gas_used
            );
        }
    }
}
