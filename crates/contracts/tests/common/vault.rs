//! [`VaultTest`], the one fixture of the vault's suites (`vault_*.rs`, `wind_down.rs`,
//! `settlement_routes.rs`), with the parameters, beacon-chain facts and spec vectors they name.

use super::{assert_vault_eth_booked, ether, gwei};
use alloy_sol_types::SolCall;
use lsv_consensus::{Epoch, ForkName, Gwei, Mainnet, Slot};
use lsv_contracts::bindings::vault::IVault::Position;
use lsv_contracts::bindings::vault::Vault::{self, VaultErrors};
use lsv_contracts::bindings::SETH as Seth;
use lsv_contracts::devnet::{Devnet, Settlement, StateProof, VaultConfig};
use lsv_contracts::{Address, Chain, Receipt, TxRequest, B256, U256};
use lsv_proofs::block::{BeaconBlock, BeaconBlockBody, Withdrawal};
use lsv_proofs::state::electra::BeaconState;
use lsv_proofs::{AnyBeaconState, ProofParts, WithdrawalRoute};
use sha2::{Digest, Sha256};
use ssz::Decode;
use std::path::PathBuf;
use std::sync::OnceLock;

/// The beacon state proofs are built from.
pub(crate) type State = BeaconState<Mainnet>;

// ---- the genesis suite's parameters (the vault's immutables) ---------------------------------

/// `MAX_VALIDATORS`.
pub(crate) const MAX_VALIDATORS: u64 = 8;
/// `INACTIVITY_TRIGGER`: a score above it makes a validator ejectable.
pub(crate) const INACTIVITY_TRIGGER: u64 = 100;
/// `EXIT_RESEND_BLOCKS`.
pub(crate) const EXIT_RESEND_BLOCKS: u64 = 50;
/// `WIND_DOWN_DELAY`: 30 days without an accepted proof (the least the vault accepts).
pub(crate) const WIND_DOWN_DELAY: u64 = 30 * 24 * 3600;
/// `POLICY_HASH`: the signer policy attestations bind.
pub(crate) const POLICY_HASH: B256 = B256::repeat_byte(0x50);
/// `SECONDS_PER_SLOT` (mainnet).
pub(crate) const SECONDS_PER_SLOT: u64 = 12;

/// `MIN_REDEEM`: 0.01 sETH.
pub(crate) fn min_redeem() -> U256 {
    ether(1) / U256::from(100)
}

/// 0.1 ETH (or sETH): the eject reward.
pub(crate) fn tenth() -> U256 {
    ether(1) / U256::from(10)
}

/// `n` thousandths of an ether, in wei.
pub(crate) fn milli(n: u64) -> U256 {
    ether(1) / U256::from(1000) * U256::from(n)
}

// ---- the beacon chain's facts the tests name ---------------------------------------------------

/// A slot whose epoch (266) is 266 epochs after the genesis validators' activation (epoch 0):
/// long enough for the consensus layer to honour an exit request.
pub(crate) const ACTIVE_SLOT: u64 = 266 * 32;
/// `FAR_FUTURE_EPOCH`.
pub(crate) const FAR_FUTURE: u64 = u64::MAX;
/// 31.98 ETH: under `EJECT_BELOW` (31.99).
pub(crate) const GWEI_31_98: u64 = 31_980_000_000;
/// An exited validator: exit epoch 300, withdrawable 556 (exit + 256,
/// `MIN_VALIDATOR_WITHDRAWABILITY_DELAY`).
pub(crate) const EXIT_EPOCH: u64 = 300;
/// The exited validator's withdrawable epoch.
pub(crate) const WITHDRAWABLE_EPOCH: u64 = EXIT_EPOCH + 256;
/// `EPOCHS_PER_SLASHINGS_VECTOR` (phase0 preset, mainnet).
pub(crate) const EPOCHS_PER_SLASHINGS_VECTOR: u64 = 8192;
/// A slot of the sweep that pays it, after its withdrawable epoch.
pub(crate) const SWEEP_SLOT: u64 = WITHDRAWABLE_EPOCH * 32 + 5;

/// The consensus-spec-tests mainnet Electra genesis state (256 validators), decoded once.
pub(crate) fn genesis_state() -> &'static State {
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

/// The consensus-spec-tests mainnet Electra `BeaconBlockBody`, whose payload the genesis
/// suite's sweep blocks fill with withdrawals.
pub(crate) fn vector_body() -> &'static BeaconBlockBody<Mainnet> {
    static B: OnceLock<BeaconBlockBody<Mainnet>> = OnceLock::new();
    B.get_or_init(|| {
        let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(
            "../../testdata/ssz/merkle_proof/light_client/mainnet/electra/light_client/single_merkle_proof/BeaconBlockBody/execution_merkle_proof/object.ssz",
        );
        BeaconBlockBody::from_ssz_bytes(&std::fs::read(path).unwrap()).unwrap()
    })
}

/// `0x02 ‖ 0^11 ‖ vault`.
pub(crate) fn credentials(vault: Address) -> B256 {
    let mut wc = B256::ZERO;
    wc[0] = 0x02;
    wc[12..].copy_from_slice(vault.as_slice());
    wc
}

/// The key-generation binding, computed here from the design's definition (not read from C):
/// sha256(sha256("lsv/keygen/v1") ‖ pubkey ‖ credentials ‖ owner ‖ chain id (32, BE) ‖ gvr ‖ policy).
pub(crate) fn binding(
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

/// What a proof should show about validator `index` (on top of the vault's credentials).
#[derive(Clone, Copy)]
pub(crate) struct Facts {
    pub slot: u64,
    pub balance: u64,
    pub score: u64,
    pub exit_epoch: u64,
    pub activation_epoch: u64,
    pub withdrawable_epoch: u64,
    pub slashed: bool,
}

impl Facts {
    /// A healthy validator at `slot`: 32 ETH, score 0, active since epoch 0, not exiting.
    pub(crate) fn at(slot: u64) -> Self {
        Self {
            slot,
            balance: 32_000_000_000,
            score: 0,
            exit_epoch: FAR_FUTURE,
            activation_epoch: 0,
            withdrawable_epoch: FAR_FUTURE,
            slashed: false,
        }
    }
    /// The same facts in a state at `slot`.
    pub(crate) fn at_slot(self, slot: u64) -> Self {
        Self { slot, ..self }
    }
    pub(crate) fn balance(self, balance: u64) -> Self {
        Self { balance, ..self }
    }
    pub(crate) fn score(self, score: u64) -> Self {
        Self { score, ..self }
    }
    pub(crate) fn exit(self, exit_epoch: u64) -> Self {
        Self { exit_epoch, ..self }
    }
    pub(crate) fn activation(self, activation_epoch: u64) -> Self {
        Self {
            activation_epoch,
            ..self
        }
    }
    pub(crate) fn withdrawable(self, withdrawable_epoch: u64) -> Self {
        Self {
            withdrawable_epoch,
            ..self
        }
    }
    /// Slashed at epoch `epoch`, as `slash_validator` leaves it (phase0, Electra): exiting
    /// (here at `epoch + 5`, the earliest `compute_activation_exit_epoch`) and withdrawable
    /// `EPOCHS_PER_SLASHINGS_VECTOR` (8192) epochs on.
    pub(crate) fn slashed_at(self, epoch: u64) -> Self {
        Self {
            slashed: true,
            exit_epoch: epoch + 5,
            withdrawable_epoch: epoch + EPOCHS_PER_SLASHINGS_VECTOR,
            ..self
        }
    }
}

// ---- the fixture ------------------------------------------------------------------------------

/// A vault deployed on a [`Devnet`], a keeper account the helpers send from, and a helper for
/// each call the vault takes and each figure it reports.
///
/// What it sets up, by constructor:
/// - [`VaultTest::new`] (and [`VaultTest::with_max`]): the vault for the beacon chain of the
///   consensus-spec mainnet Electra genesis state ([`genesis_state`], 256 validators with real
///   keys and epochs), every validator given the vault's 0x02 credentials and 32 ETH, its
///   genesis time the chain's (so that the block's clock and the proven slots agree) and
///   otherwise as the vector has it, and the suite's parameters ([`MAX_VALIDATORS`],
///   [`INACTIVITY_TRIGGER`], [`EXIT_RESEND_BLOCKS`], [`min_redeem`], [`POLICY_HASH`],
///   [`WIND_DOWN_DELAY`]). Tests prove that state with their edit applied and not kept
///   ([`VaultTest::prove_with`], [`VaultTest::facts`]); sweep blocks carry the spec vector's
///   body ([`vector_body`], [`VaultTest::sweep_block`]).
/// - [`VaultTest::devnet`]: the devnet's synthetic state ([`Devnet::new`]: placeholder keys,
///   epoch 300) and its default parameters; tests edit `d.state` in place and prove it as it
///   stands.
///
/// What is real: the contracts (vault, sETH, positions, the dev attestation verifier, the
/// withdrawal verifier) under Osaka rules in revm, the system contracts (EIP-4788 roots, the
/// EIP-7002 predeploy), and every proof, built by `lsv-proofs` over a real `BeaconState`.
/// What is a stand-in: the beacon chain is a state the test writes, not a consensus client (a
/// proof's block header, and the roots of blocks the devnet did not build, are made up; a
/// withdrawal's ETH is credited when its block is built); attestations are the dev attester's
/// signatures over a binding computed here from its definition ([`binding`]), not read from
/// the vault, in place of a TEE's.
pub(crate) struct VaultTest {
    /// The devnet: its chain, the deployment's addresses and the beacon state.
    pub d: Devnet,
    /// The account `join`, `eject`, the marks, demand exits, `finalize`, `claim` and the
    /// settlement calls are sent from.
    pub keeper: Address,
    /// The parameters the vault was deployed with.
    pub config: VaultConfig,
}

impl VaultTest {
    /// The genesis suite's vault ([`MAX_VALIDATORS`] validators at most).
    pub(crate) fn new() -> Self {
        Self::with_max(MAX_VALIDATORS)
    }

    /// The genesis suite's vault for at most `max_validators`.
    pub(crate) fn with_max(max_validators: u64) -> Self {
        let config = VaultConfig {
            max_validators,
            inactivity_trigger: INACTIVITY_TRIGGER,
            exit_resend_blocks: EXIT_RESEND_BLOCKS,
            min_redeem: min_redeem(),
            policy_hash: POLICY_HASH,
            wind_down_delay: WIND_DOWN_DELAY,
            timing: lsv_contracts::devnet::ChainTiming::MAINNET,
        };
        // The vector's genesis is at time 0; the chain's clock starts at `Chain::GENESIS_TIME`.
        // The vault reads the current epoch from the block's timestamp, so the two must agree.
        let mut state = genesis_state().clone();
        state.genesis_time = Chain::GENESIS_TIME;
        let mut d = Devnet::from_state(config.clone(), state);
        let wc = d.credentials();
        for v in d.state.validators.iter_mut() {
            v.withdrawal_credentials = wc;
        }
        for b in d.state.balances.iter_mut() {
            *b = Gwei::new(32_000_000_000);
        }
        Self::around(d, config)
    }

    /// A vault with the devnet's default parameters beside its synthetic state of `validators`
    /// validators (the vault's credentials, 32 ETH, active since epoch 0, at epoch 300).
    pub(crate) fn devnet(validators: u64) -> Self {
        let config = VaultConfig::default();
        Self::around(Devnet::new(config.clone(), validators), config)
    }

    fn around(mut d: Devnet, config: VaultConfig) -> Self {
        let keeper = d.chain.account("keeper");
        Self { d, keeper, config }
    }

    // ---- proofs and attestations ---------------------------------------------------------------

    /// Proves validator `index` (`parts`) of the current state with `edit` applied (the edit
    /// is not kept), pushing its block root through EIP-4788; the timestamp is the new block's.
    pub(crate) fn prove_with(
        &mut self,
        index: u64,
        parts: ProofParts,
        edit: impl FnOnce(&mut State),
    ) -> StateProof {
        self.d
            .prove_with(index, parts, edit)
            .expect("a validator of the state")
    }

    /// Proves validator `index`'s balance (and record) in the current state.
    pub(crate) fn prove(&mut self, index: u64) -> StateProof {
        self.prove_with(index, ProofParts::BALANCE, |_| {})
    }

    /// A proof of validator `index` showing `f`, with `parts`.
    pub(crate) fn facts(&mut self, index: u64, parts: ProofParts, f: Facts) -> StateProof {
        self.prove_with(index, parts, |s| {
            let i = index as usize;
            s.slot = Slot::new(f.slot);
            s.balances[i] = Gwei::new(f.balance);
            s.inactivity_scores[i] = f.score;
            s.validators[i].exit_epoch = Epoch::new(f.exit_epoch);
            s.validators[i].activation_epoch = Epoch::new(f.activation_epoch);
            s.validators[i].withdrawable_epoch = Epoch::new(f.withdrawable_epoch);
            s.validators[i].slashed = f.slashed;
        })
    }

    /// The dev attester's evidence that `pubkey` was generated for `owner`: its signature over
    /// [`binding`] for this vault and chain.
    pub(crate) fn evidence(&self, pubkey: &[u8], owner: Address) -> Vec<u8> {
        self.d.attest(binding(
            pubkey,
            self.d.credentials(),
            owner,
            Chain::CHAIN_ID,
            self.d.state.genesis_validators_root,
            self.config.policy_hash,
        ))
    }

    // ---- sending ---------------------------------------------------------------------------------

    /// Sends `call` to the vault from `from`.
    pub(crate) fn send<C: SolCall>(&mut self, from: Address, call: &C) -> Receipt {
        self.send_value(from, call, U256::ZERO)
    }

    /// Sends `call` to the vault from `from` with `value`.
    pub(crate) fn send_value<C: SolCall>(
        &mut self,
        from: Address,
        call: &C,
        value: U256,
    ) -> Receipt {
        self.d.send(from, call, value).expect("valid transaction")
    }

    /// A view of the vault.
    pub(crate) fn view<C: SolCall>(&self, call: &C) -> C::Return {
        self.d.chain.view(self.d.vault, call).unwrap()
    }

    // ---- join --------------------------------------------------------------------------------------

    /// `join` of validator `index` for `owner` with proof `p` and `evidence`.
    pub(crate) fn join_call(
        &self,
        index: u64,
        p: &StateProof,
        owner: Address,
        evidence: Vec<u8>,
    ) -> Vault::joinCall {
        Vault::joinCall {
            pubkey: p.pubkey.clone().into(),
            owner,
            evidence: evidence.into(),
            validatorIndex: index,
            timestamp: p.timestamp,
            proof: p.bytes.clone().into(),
        }
    }

    /// Joins validator `index` for `owner` with a fresh proof; returns the receipt.
    pub(crate) fn join(&mut self, index: u64, owner: Address) -> Receipt {
        let p = self.prove(index);
        let call = self.join_call(index, &p, owner, self.evidence(&p.pubkey, owner));
        let keeper = self.keeper;
        self.send(keeper, &call)
    }

    /// Joins validator `index` for `owner`; returns the position id.
    pub(crate) fn joined(&mut self, index: u64, owner: Address) -> U256 {
        let r = self.join(index, owner).expect_success();
        r.decode_return::<Vault::joinCall>().unwrap()
    }

    /// The refusal of a join of validator `index` for `owner` proven with `edit` applied.
    pub(crate) fn join_refused(
        &mut self,
        index: u64,
        owner: Address,
        edit: impl FnOnce(&mut State),
    ) -> VaultErrors {
        let p = self.prove_with(index, ProofParts::BALANCE, edit);
        let call = self.join_call(index, &p, owner, self.evidence(&p.pubkey, owner));
        let keeper = self.keeper;
        super::refusal(self.send(keeper, &call))
    }

    // ---- sETH and the queue ------------------------------------------------------------------------

    pub(crate) fn seth_balance(&self, who: Address) -> U256 {
        self.d
            .chain
            .view(self.d.seth, &Seth::balanceOfCall { account: who })
            .unwrap()
    }

    pub(crate) fn seth_supply(&self) -> U256 {
        self.d
            .chain
            .view(self.d.seth, &Seth::totalSupplyCall {})
            .unwrap()
    }

    /// An sETH transfer that must succeed.
    pub(crate) fn seth_transfer(&mut self, from: Address, to: Address, amount: U256) {
        let seth = self.d.seth;
        self.d
            .chain
            .send(from, seth, &Seth::transferCall { to, amount }, U256::ZERO)
            .unwrap()
            .expect_success();
    }

    /// ETH sent to the vault with no call: a donation to the buffer.
    pub(crate) fn donate(&mut self, from: Address, amount: U256) {
        let vault = self.d.vault;
        self.d
            .chain
            .submit(TxRequest::new(from, Some(vault), Vec::<u8>::new(), amount))
            .unwrap()
            .expect_success();
    }

    /// `requestRedeem(amount)`: no approval, the vault burns the caller's own sETH.
    pub(crate) fn redeem(&mut self, who: Address, amount: U256) -> Receipt {
        self.send(who, &Vault::requestRedeemCall { amount })
    }

    pub(crate) fn finalize(&mut self, up_to: u64) -> Receipt {
        let keeper = self.keeper;
        self.send(
            keeper,
            &Vault::finalizeCall {
                upToRequestId: U256::from(up_to),
            },
        )
    }

    /// `claim(id, hint)`, sent by the keeper (anyone may trigger a claim).
    pub(crate) fn claim(&mut self, id: u64, hint: u64) -> Receipt {
        let keeper = self.keeper;
        self.send(
            keeper,
            &Vault::claimCall {
                requestId: U256::from(id),
                checkpointHint: U256::from(hint),
            },
        )
    }

    pub(crate) fn buffer(&self) -> U256 {
        U256::from(self.view(&Vault::bufferCall {}))
    }

    pub(crate) fn reserved(&self) -> U256 {
        U256::from(self.view(&Vault::reservedCall {}))
    }

    pub(crate) fn outstanding(&self) -> U256 {
        self.view(&Vault::outstandingCall {})
    }

    pub(crate) fn backing(&self) -> U256 {
        self.view(&Vault::backingCall {})
    }

    // ---- positions: eject, marks, demand exits -------------------------------------------------

    pub(crate) fn eject_with(
        &mut self,
        from: Address,
        id: U256,
        p: &StateProof,
        max_fee: u64,
        value: u64,
    ) -> Receipt {
        let call = Vault::ejectCall {
            positionId: id,
            timestamp: p.timestamp,
            proof: p.bytes.clone().into(),
            maxFee: U256::from(max_fee),
        };
        self.send_value(from, &call, U256::from(value))
    }

    /// `eject` by the keeper, with a fee cap and value of 1,000 wei.
    pub(crate) fn eject(&mut self, id: U256, p: &StateProof) -> Receipt {
        let keeper = self.keeper;
        self.eject_with(keeper, id, p, 1_000, 1_000)
    }

    /// `markSlashed` if `slashed`, else `markToProof`.
    pub(crate) fn mark(&mut self, id: U256, p: &StateProof, slashed: bool) -> Receipt {
        let keeper = self.keeper;
        let (timestamp, proof) = (p.timestamp, p.bytes.clone().into());
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

    pub(crate) fn mark_exiting(&mut self, id: U256, p: &StateProof) -> Receipt {
        let keeper = self.keeper;
        self.send(
            keeper,
            &Vault::markExitingCall {
                positionId: id,
                timestamp: p.timestamp,
                proof: p.bytes.clone().into(),
            },
        )
    }

    /// `demandExit` by the keeper, with a fee cap and value of 10 wei.
    pub(crate) fn demand_exit(&mut self, id: U256, p: &StateProof) -> Receipt {
        let keeper = self.keeper;
        let call = Vault::demandExitCall {
            positionId: id,
            timestamp: p.timestamp,
            proof: p.bytes.clone().into(),
            maxFee: U256::from(10),
        };
        self.send_value(keeper, &call, U256::from(10))
    }

    /// `skipDemandExit`, with a proof or without one.
    pub(crate) fn skip(&mut self, id: U256, p: Option<&StateProof>) -> Receipt {
        let keeper = self.keeper;
        let call = Vault::skipDemandExitCall {
            positionId: id,
            timestamp: p.map_or(U256::ZERO, |p| p.timestamp),
            proof: p.map_or(Vec::new(), |p| p.bytes.clone()).into(),
        };
        self.send(keeper, &call)
    }

    pub(crate) fn position(&self, id: U256) -> Position {
        self.view(&Vault::positionOfCall { positionId: id })
    }

    pub(crate) fn total_debt(&self) -> U256 {
        U256::from(self.view(&Vault::totalLiveDebtCall {}))
    }

    pub(crate) fn shortfall(&self) -> U256 {
        U256::from(self.view(&Vault::provisionalShortfallCall {}))
    }

    /// `exitingDebt`: the debt of positions proven exiting or asked to exit.
    pub(crate) fn exiting(&self) -> U256 {
        U256::from(self.view(&Vault::exitingDebtCall {}))
    }

    pub(crate) fn debt_of(&self, id: U256) -> U256 {
        self.view(&Vault::debtOfCall { positionId: id })
    }

    /// `slashingsPending`: slashed positions whose correlation penalty is still to come.
    pub(crate) fn slashings_pending(&self) -> u32 {
        self.view(&Vault::slashingsPendingCall {})
    }

    /// `heartbeat` with proof `p` of validator `index`, sent by the keeper.
    pub(crate) fn heartbeat(&mut self, index: u64, p: &StateProof) -> Receipt {
        let keeper = self.keeper;
        let call = Vault::heartbeatCall {
            validatorIndex: index,
            timestamp: p.timestamp,
            proof: p.bytes.clone().into(),
        };
        self.send(keeper, &call)
    }

    pub(crate) fn cursor(&self) -> U256 {
        self.view(&Vault::demandCursorCall {})
    }

    /// `blocks` empty blocks (no beacon root anyone proves against).
    pub(crate) fn advance(&mut self, blocks: u64) {
        for _ in 0..blocks {
            self.d.chain.next_block(B256::repeat_byte(0x77));
        }
    }

    // ---- settlement ----------------------------------------------------------------------------

    /// A withdrawal of `gwei` from validator `validator` to the vault, global index `index`.
    pub(crate) fn withdrawal(&self, index: u64, validator: u64, gwei: u64) -> Withdrawal {
        self.d.withdrawal(index, validator, gwei)
    }

    /// The block at `slot` paying `withdrawals`, on the spec vector's body; its ETH reaches the
    /// chain now (EIP-4895), before any proof of it.
    pub(crate) fn sweep_block(
        &mut self,
        slot: u64,
        withdrawals: &[Withdrawal],
    ) -> BeaconBlock<Mainnet> {
        self.d
            .withdrawal_block_with_body(slot, vector_body().clone(), withdrawals)
            .expect("a payload's worth of withdrawals")
    }

    /// The proofs that settle validator `index` on `block` by the direct route: its post-state
    /// (the anchor) is the current state at the block's slot showing the validator exited
    /// (epoch `min(300, withdrawable)`), withdrawable at `withdrawable` and swept (balance 0);
    /// that edit is not kept.
    pub(crate) fn settlement(
        &mut self,
        index: u64,
        block: &BeaconBlock<Mainnet>,
        withdrawable: u64,
    ) -> Settlement {
        let kept = self.d.state.clone();
        let (s, i) = (&mut self.d.state, index as usize);
        s.slot = block.slot;
        s.validators[i].exit_epoch = Epoch::new(EXIT_EPOCH.min(withdrawable));
        s.validators[i].withdrawable_epoch = Epoch::new(withdrawable);
        s.balances[i] = Gwei::new(0);
        let settlement = self
            .d
            .settlement(index, block, WithdrawalRoute::Direct)
            .expect("the direct route reaches its own block");
        self.d.state = kept;
        settlement
    }

    /// `settle(id, …)` by withdrawal `j` of `s`, sent by the keeper.
    pub(crate) fn settle(&mut self, id: U256, s: &Settlement, j: usize) -> Receipt {
        let call = s.settle_call(id, j).expect("a withdrawal of the block");
        let keeper = self.keeper;
        self.send(keeper, &call)
    }

    /// `creditWithdrawal(id, …)` by withdrawal `j` of `s`, sent by the keeper.
    pub(crate) fn credit(&mut self, id: U256, s: &Settlement, j: usize) -> Receipt {
        let call = s.credit_call(id, j).expect("a withdrawal of the block");
        let keeper = self.keeper;
        self.send(keeper, &call)
    }

    pub(crate) fn residual(&self, id: U256) -> U256 {
        self.view(&Vault::residualOfCall { positionId: id })
    }

    /// Σ residualOf over every position, checked equal to the vault's running `residualTotal`.
    pub(crate) fn total_residuals(&self) -> U256 {
        let count: u32 = self.view(&Vault::positionCountCall {});
        let sum: U256 = (1..=count).map(|id| self.residual(U256::from(id))).sum();
        let total_gwei: u64 = self.view(&Vault::residualTotalGweiCall {});
        assert_eq!(
            sum,
            gwei(total_gwei),
            "residualTotalGwei is the sum of residualOf"
        );
        sum
    }

    pub(crate) fn claim_residual(
        &mut self,
        from: Address,
        id: U256,
        recipient: Address,
    ) -> Receipt {
        self.send(
            from,
            &Vault::claimResidualCall {
                positionId: id,
                recipient,
            },
        )
    }

    /// The vault's ETH is buffer + reserved + residuals + the owners' pool + what arrived
    /// without a proof yet (and `residualTotalGwei` is the sum of every `residualOf`).
    pub(crate) fn assert_eth_accounted(&self, unproven: U256) {
        self.total_residuals();
        assert_vault_eth_booked(&self.d.chain, self.d.vault, unproven);
    }

    // ---- the wind-down ---------------------------------------------------------------------------

    /// The earliest time notice of the wind-down may be given, as the vault computes it.
    pub(crate) fn earliest(&self) -> u64 {
        let epoch: u32 = self.view(&Vault::lastProofEpochCall {});
        Chain::GENESIS_TIME
            + (u64::from(epoch) + 1) * 32 * SECONDS_PER_SLOT
            + self.config.wind_down_delay
    }

    /// Opens blocks (without beacon roots in between) until the open block's time is `time`
    /// or later.
    pub(crate) fn warp_to(&mut self, time: u64) {
        let now = self.d.chain.timestamp();
        let missed = time
            .saturating_sub(now)
            .div_ceil(SECONDS_PER_SLOT)
            .saturating_sub(1);
        self.d
            .chain
            .next_block_after(missed, B256::repeat_byte(0x77));
        assert!(self.d.chain.timestamp() >= time);
    }

    /// `windDownExit` of validator `index`'s key from `from`, with a fee cap and value of
    /// `value` wei.
    pub(crate) fn wind_down_exit(&mut self, from: Address, index: u64, value: u64) -> Receipt {
        let call = Vault::windDownExitCall {
            pubkey: self.d.pubkey(index).into(),
            maxFee: U256::from(value),
        };
        self.send_value(from, &call, U256::from(value))
    }

    /// `sweepWindDown`, sent by the keeper.
    pub(crate) fn sweep_wind_down(&mut self) -> Receipt {
        let keeper = self.keeper;
        self.send(keeper, &Vault::sweepWindDownCall {})
    }

    /// `noticeWindDown`, sent by `from`.
    pub(crate) fn notice_wind_down(&mut self, from: Address) -> Receipt {
        self.send(from, &Vault::noticeWindDownCall {})
    }

    /// Warps past the silence, gives notice (from the keeper) and warps past the notice: the
    /// next `windDownExit` starts the wind-down.
    pub(crate) fn open_wind_down(&mut self) {
        let earliest = self.earliest();
        self.warp_to(earliest);
        let keeper = self.keeper;
        self.notice_wind_down(keeper).expect_success();
        let notice: U256 = self.view(&Vault::WIND_DOWN_NOTICECall {});
        let start = self.d.chain.timestamp() + notice.to::<u64>();
        self.warp_to(start);
    }

    /// What wind-down request `id` may claim now.
    pub(crate) fn wind_down_redemption(&self, id: u64) -> U256 {
        self.view(&Vault::windDownRedemptionOfCall {
            requestId: U256::from(id),
        })
    }

    /// `claimWindDownRedemption(id)` from `from`, paid to `from`.
    pub(crate) fn claim_wind_down_redemption(&mut self, from: Address, id: u64) -> Receipt {
        let call = Vault::claimWindDownRedemptionCall {
            requestId: U256::from(id),
            recipient: Address::ZERO,
        };
        self.send(from, &call)
    }

    pub(crate) fn wind_down_share(&self, id: U256) -> U256 {
        self.view(&Vault::windDownShareOfCall { positionId: id })
    }

    /// `claimWindDownShare(id)` from `from`, paid to `from`.
    pub(crate) fn claim_wind_down_share(&mut self, from: Address, id: U256) -> Receipt {
        let call = Vault::claimWindDownShareCall {
            positionId: id,
            recipient: Address::ZERO,
        };
        self.send(from, &call)
    }
}
