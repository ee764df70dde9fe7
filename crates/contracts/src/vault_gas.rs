//! The vault's gas, measured: one scenario on a [`Devnet`] that makes every kind of call the
//! vault takes, recorded per call with the targets beside them. `lsv bench gas` prints
//! it; the test suite checks regression bounds on the same figures.
//!
//! Gas is what a receipt reports: 21,000 + calldata + execution. The targets are read as
//! execution gas (the 21,000 base excluded) and, for the calls that send an EIP-7002 exit, also
//! without the predeploy's own work (its queue writes, ~97k, measured here with a probe): that
//! part is the protocol's price of an exit, like the fee, and the vault cannot change it.
//! Rows without a target are calls the issue sets none for, or one-time costs: the first call
//! of its kind in the vault's life, or the first sETH of an account, pays ~20k per storage slot
//! it writes for the first time (EIP-2200 / EIP-2929 `SSTORE` from zero).
//!
//! `settle` is measured by each withdrawal-proof route on one sweep block: directly (the
//! block is the 4788 anchor: the "within the 4788 window" case), through the anchor's
//! `block_roots` and through its `historical_summaries`, with 645 summaries so that the proof
//! carries mainnet's number of summary siblings (10).

use crate::artifacts::SYSTEM_CONTRACTS_PROBE;
use crate::bindings::{SystemContractsProbe as Probe, Vault};
use crate::devnet::{Devnet, VaultConfig};
use crate::{Address, Receipt, TxRequest, B256, U256};
use lsv_consensus::{Epoch, Gwei};
use lsv_proofs::{ProofParts, WithdrawalRoute};
use std::fmt;

/// The intrinsic gas of every transaction (yellow paper, `G_transaction`).
pub const TX_BASE_GAS: u64 = 21_000;

/// The commit whose gas [`BEFORE`] holds: the vault as it was before the audit's findings were
/// fixed (issue 11), so that `lsv bench gas` shows each call's new gas next to its old.
pub const BEFORE_COMMIT: &str = "f5b6e61";

/// Tx gas per label of the same scenario at [`BEFORE_COMMIT`] (`cargo run -p lsv -- bench gas`
/// there). Calls the scenario did not make then are absent.
pub const BEFORE: &[(&str, u64)] = &[
    ("join, the vault's first (fresh totals)", 309_353),
    ("join, a new owner's first sETH and position", 238_050),
    ("join, owner holds both tokens", 203_862),
    ("requestRedeem, the vault's first", 84_745),
    ("requestRedeem", 67_645),
    ("finalize, 1 request, the vault's first", 67_341),
    ("finalize, 1 request", 49_972),
    ("finalize, 10 requests", 49_972),
    ("claim", 49_640),
    ("eject, rewarded, the caller's first sETH", 230_270),
    ("eject, rewarded", 207_544),
    ("eject, rewarded, fee overpaid and refunded", 214_474),
    ("markSlashed, shortfall recorded", 124_257),
    ("markSlashed again, shortfall changed", 105_548),
    ("markToProof, shortfall recorded", 121_737),
    ("markExiting", 87_152),
    ("skipDemandExit, with a proof", 87_133),
    ("demandExit", 171_835),
    ("settle, direct, vault's first (fresh bitmap word)", 172_194),
    ("settle, direct route", 152_158),
    ("settle, block_roots route", 169_549),
    (
        "settle, historical_summaries route (645 summaries)",
        186_691,
    ),
];

/// One measured call.
#[derive(Clone, Debug)]
pub struct GasFigure {
    /// What was called, and in which situation.
    pub label: String,
    /// Gas used as the receipt reports it.
    pub tx_gas: u64,
    /// The same call's tx gas at [`BEFORE_COMMIT`], if the scenario made it then.
    pub before: Option<u64>,
    /// The part of `tx_gas` compared with the target (see the module docs).
    pub compared_gas: u64,
    /// The target for `compared_gas`, if the issue sets one.
    pub target: Option<u64>,
}

impl GasFigure {
    /// Whether the figure meets its target (`None` without a target).
    pub fn meets_target(&self) -> Option<bool> {
        self.target.map(|t| self.compared_gas <= t)
    }
}

/// Every figure of the scenario, in the order measured.
#[derive(Clone, Debug, Default)]
pub struct VaultGas {
    /// The figures.
    pub figures: Vec<GasFigure>,
    /// The EIP-7002 predeploy's share of a call that requests an exit.
    pub predeploy_share: u64,
}

impl VaultGas {
    /// The figure labelled `label`.
    pub fn get(&self, label: &str) -> Option<&GasFigure> {
        self.figures.iter().find(|f| f.label == label)
    }

    fn push(&mut self, label: &str, tx_gas: u64, compared_gas: u64, target: Option<u64>) {
        self.figures.push(GasFigure {
            label: label.to_owned(),
            tx_gas,
            before: BEFORE.iter().find(|(l, _)| *l == label).map(|(_, g)| *g),
            compared_gas,
            target,
        });
    }
}

impl fmt::Display for VaultGas {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{:<52} {:>9} {:>9} {:>9}  {:<7} {:>9} {:>8}",
            "call", "tx gas", "compared", "target", "verdict", BEFORE_COMMIT, "change"
        )?;
        for g in &self.figures {
            let (target, verdict) = match (g.target, g.meets_target()) {
                (Some(t), Some(true)) => (t.to_string(), "met"),
                (Some(t), _) => (t.to_string(), "OVER"),
                (None, _) => ("-".to_owned(), ""),
            };
            let (before, change) = match g.before {
                Some(b) => (b.to_string(), format!("{:+}", g.tx_gas as i64 - b as i64)),
                None => ("-".to_owned(), "new".to_owned()),
            };
            writeln!(
                f,
                "{:<52} {:>9} {:>9} {:>9}  {verdict:<7} {before:>9} {change:>8}",
                g.label, g.tx_gas, g.compared_gas, target
            )?;
        }
        write!(
            f,
            "compared = tx gas - {TX_BASE_GAS}; for calls that send an EIP-7002 exit also - the \
             predeploy's share ({} gas, measured with a probe); {BEFORE_COMMIT} = the same call's \
             tx gas before the audit's fixes (issue 11)",
            self.predeploy_share
        )
    }
}

/// An actual balance under `EJECT_BELOW` (31.99 ETH): 31.98 ETH.
const GWEI_31_98: u64 = 31_980_000_000;
/// Slots per epoch (mainnet preset).
const SLOTS_PER_EPOCH: u64 = 32;
/// The EIP-7002 fee while the request queue is under its target: `MIN_WITHDRAWAL_REQUEST_FEE`,
/// 1 wei (the scenario never fills a block with requests).
const EXIT_FEE: u64 = 1;
/// `EPOCHS_PER_SLASHINGS_VECTOR` (phase0 preset, mainnet): a slashed validator is withdrawable
/// this many epochs after its slashing.
const EPOCHS_PER_SLASHINGS_VECTOR: u64 = 8192;
/// `MIN_VALIDATOR_WITHDRAWABILITY_DELAY` (phase0 beacon-chain.md), in epochs.
const MIN_VALIDATOR_WITHDRAWABILITY_DELAY: u64 = 256;
/// `SLOTS_PER_HISTORICAL_ROOT` (mainnet preset): one `historical_summaries` entry per period.
const SLOTS_PER_HISTORICAL_ROOT: u64 = 8192;
/// The settled validators' sweep: 32 ETH each, against a debt of 31.
const SWEEP_GWEI: u64 = 32_000_000_000;
/// The sweep's first global withdrawal index (plus the validator index): all in one bitmap word.
const SWEEP_INDEX: u64 = 1_000_000;

/// Runs the scenario on a fresh devnet and returns every figure.
///
/// # Panics
/// If a call the scenario expects to succeed reverts: that is a bug in the vault or here, and
/// the message names the call.
pub fn measure() -> VaultGas {
    let config = VaultConfig::default();
    let mut d = Devnet::new(config.clone(), 16);
    let keeper = d.chain.account("keeper");
    let alice = d.chain.account("alice");
    let bob = d.chain.account("bob");
    let donor = d.chain.account("donor");
    let mut out = VaultGas::default();
    let exec = |g: u64| g - TX_BASE_GAS;

    // ---- join: the vault's very first, a new owner's first tokens, an owner's next ----------
    let join = |d: &mut Devnet, index: u64, owner: Address| -> (u64, U256) {
        let r = ok(d.join(keeper, index, owner), "join");
        let id = r
            .decode_return::<Vault::joinCall>()
            .expect("join returns the id");
        (r.gas_used, id)
    };
    let (g, _) = join(&mut d, 0, alice);
    out.push("join, the vault's first (fresh totals)", g, exec(g), None);
    let (g, _) = join(&mut d, 1, bob);
    out.push(
        "join, a new owner's first sETH and position",
        g,
        exec(g),
        Some(250_000),
    );
    let (g, _) = join(&mut d, 2, alice);
    out.push("join, owner holds both tokens", g, exec(g), Some(250_000));
    let mut ids = Vec::new();
    for index in 3..9 {
        ids.push(join(&mut d, index, alice).1);
    }

    // ---- the queue --------------------------------------------------------------------------
    let ether = |n: u64| U256::from(n) * U256::from(10u64).pow(U256::from(18));
    let vault = d.vault;
    let mut redeem = Vec::new();
    for _ in 0..12 {
        let r = ok(
            d.send(
                alice,
                &Vault::requestRedeemCall { amount: ether(1) },
                U256::ZERO,
            ),
            "requestRedeem",
        );
        redeem.push(r.gas_used);
    }
    out.push(
        "requestRedeem, the vault's first",
        redeem[0],
        exec(redeem[0]),
        None,
    );
    out.push("requestRedeem", redeem[1], exec(redeem[1]), Some(60_000));
    ok(
        d.chain.submit(TxRequest::new(
            donor,
            Some(vault),
            Vec::<u8>::new(),
            ether(20),
        )),
        "donation",
    );
    let finalize = |d: &mut Devnet, up_to: u64| {
        let call = Vault::finalizeCall {
            upToRequestId: U256::from(up_to),
        };
        ok(d.send(keeper, &call, U256::ZERO), "finalize").gas_used
    };
    for (label, from, to) in [
        ("finalize, 1 request, the vault's first", 0, 1),
        ("finalize, 1 request", 1, 2),
        ("finalize, 10 requests", 2, 12),
    ] {
        let g = finalize(&mut d, to);
        let target = (from > 0).then_some(30_000 + 5_000 * (to - from));
        out.push(label, g, exec(g), target);
    }
    let claim = |d: &mut Devnet, id: u64| {
        let call = Vault::claimCall {
            requestId: U256::from(id),
            checkpointHint: U256::ONE,
        };
        ok(d.send(alice, &call, U256::ZERO), "claim").gas_used
    };
    let g = claim(&mut d, 1);
    out.push("claim", g, exec(g), Some(40_000));

    // ---- the EIP-7002 predeploy's share, measured with a probe -------------------------------
    let probe = d
        .chain
        .deploy(&SYSTEM_CONTRACTS_PROBE, &[])
        .expect("the probe deploys");
    let probe_request = |d: &mut Devnet| {
        let call = Probe::requestWithdrawalCall {
            pubkey: vec![0xab; 48].into(),
            amountGwei: 0,
            maxFee: U256::from(10),
        };
        ok(
            d.chain.send(keeper, probe, &call, U256::from(10)),
            "probe request",
        )
        .gas_used
    };
    // The predeploy keeps dequeued entries' slots (EIP-7002 resets only the head and tail), so
    // its first request ever writes fresh slots; on a live chain they were written long ago.
    // Warm them with one request, then measure in a new block, as the vault's calls run.
    probe_request(&mut d);
    d.chain.next_block(B256::repeat_byte(0x70));
    let fee_only = ok(
        d.chain
            .send(keeper, probe, &Probe::withdrawalFeeCall {}, U256::ZERO),
        "fee read",
    )
    .gas_used;
    let request = probe_request(&mut d);
    let predeploy_share = request - fee_only;
    out.predeploy_share = predeploy_share;
    let without_request = |g: u64| g - TX_BASE_GAS - predeploy_share;
    let epoch = d.state.slot.as_u64() / SLOTS_PER_EPOCH;

    // ---- eject, marks -----------------------------------------------------------------------
    // A keeper reads the fee (`eth_call` of the predeploy; it holds for the whole block) and
    // sends exactly it; one that sends more gets the rest back, at the price of a value call.
    let eject = |d: &mut Devnet, id: U256, index: u64, value: u64| {
        d.state.balances[index as usize] = Gwei::new(GWEI_31_98);
        // Below the threshold the balance alone ejects: no inactivity part to pay for.
        let p = d.prove(index, ProofParts::BALANCE).expect("provable");
        let call = Vault::ejectCall {
            positionId: id,
            timestamp: p.timestamp,
            proof: p.bytes.into(),
            maxFee: U256::from(1_000),
        };
        ok(d.send(keeper, &call, U256::from(value)), "eject").gas_used
    };
    let g = eject(&mut d, ids[0], 3, EXIT_FEE);
    out.push(
        "eject, rewarded, the caller's first sETH",
        g,
        without_request(g),
        None,
    );
    let g = eject(&mut d, ids[1], 4, EXIT_FEE);
    out.push("eject, rewarded", g, without_request(g), Some(120_000));
    let g = eject(&mut d, ids[5], 8, 1_000);
    out.push(
        "eject, rewarded, fee overpaid and refunded",
        g,
        without_request(g),
        None,
    );

    let mark = |d: &mut Devnet, id: U256, index: u64, slashed: bool, balance: u64| {
        let i = index as usize;
        if slashed && !d.state.validators[i].slashed {
            // `slash_validator`: exiting, withdrawable `EPOCHS_PER_SLASHINGS_VECTOR` on.
            let v = &mut d.state.validators[i];
            v.slashed = true;
            v.exit_epoch = Epoch::new(epoch + 5);
            v.withdrawable_epoch = Epoch::new(epoch + EPOCHS_PER_SLASHINGS_VECTOR);
        }
        d.state.balances[i] = Gwei::new(balance);
        let p = d.prove(index, ProofParts::BALANCE).expect("provable");
        let (timestamp, proof) = (p.timestamp, p.bytes.into());
        let r = if slashed {
            let call = Vault::markSlashedCall {
                positionId: id,
                timestamp,
                proof,
            };
            d.send(keeper, &call, U256::ZERO)
        } else {
            let call = Vault::markToProofCall {
                positionId: id,
                timestamp,
                proof,
            };
            d.send(keeper, &call, U256::ZERO)
        };
        ok(r, "mark").gas_used
    };
    // Before the correlation penalty the whole debt is marked; after it, the proven balance.
    let g = mark(&mut d, ids[2], 5, true, 31_900_000_000);
    out.push("markSlashed, shortfall recorded", g, exec(g), None);
    let slot = d.state.slot.as_u64();
    d.set_slot(slot + (EPOCHS_PER_SLASHINGS_VECTOR / 2 + 1) * SLOTS_PER_EPOCH);
    let g = mark(&mut d, ids[2], 5, true, 25_000_000_000);
    out.push("markSlashed again, shortfall changed", g, exec(g), None);
    let epoch = d.state.slot.as_u64() / SLOTS_PER_EPOCH;
    let g = mark(&mut d, ids[3], 6, false, 30_000_000_000);
    out.push("markToProof, shortfall recorded", g, exec(g), None);

    d.state.validators[7].exit_epoch = Epoch::new(epoch + 5);
    let p = d.prove(7, ProofParts::VALIDATOR).expect("provable");
    let call = Vault::markExitingCall {
        positionId: ids[4],
        timestamp: p.timestamp,
        proof: p.bytes.into(),
    };
    let g = ok(d.send(keeper, &call, U256::ZERO), "markExiting").gas_used;
    out.push("markExiting", g, exec(g), None);

    let p = d.prove(0, ProofParts::VALIDATOR).expect("provable");
    let call = Vault::heartbeatCall {
        validatorIndex: 0,
        timestamp: p.timestamp,
        proof: p.bytes.into(),
    };
    let g = ok(d.send(keeper, &call, U256::ZERO), "heartbeat").gas_used;
    out.push("heartbeat (a proof without parts)", g, exec(g), None);

    // ---- demand exits: 150 sETH open, covered by 8 ETH of buffer, 93.3 pending, 31 exiting ---
    ok(
        d.send(
            alice,
            &Vault::requestRedeemCall { amount: ether(150) },
            U256::ZERO,
        ),
        "requestRedeem",
    );
    // Position 1 (validator 0) is not yet active in this proof: a skip with proof.
    d.state.validators[0].activation_epoch = Epoch::new(epoch + 1);
    let p = d.prove(0, ProofParts::VALIDATOR).expect("provable");
    let call = Vault::skipDemandExitCall {
        positionId: U256::ONE,
        timestamp: p.timestamp,
        proof: p.bytes.into(),
    };
    let g = ok(d.send(keeper, &call, U256::ZERO), "skipDemandExit").gas_used;
    out.push("skipDemandExit, with a proof", g, exec(g), None);
    let p = d.prove(1, ProofParts::VALIDATOR).expect("provable");
    let call = Vault::demandExitCall {
        positionId: U256::from(2),
        timestamp: p.timestamp,
        proof: p.bytes.into(),
        maxFee: U256::from(10),
    };
    let g = ok(d.send(keeper, &call, U256::from(10)), "demandExit").gas_used;
    out.push("demandExit", g, without_request(g), None);

    // ---- settle, by each withdrawal-proof route ---------------------------------------------
    // Four new positions exit together and one sweep block pays each 32 ETH: every settle
    // closes an Active position and owes its holder 1 ETH (a fresh `residualOf` slot, as any
    // settle with a residual writes). Their withdrawal indices share one bitmap word: the
    // vault's first settle writes it from zero, later ones find it written (a word covers 256
    // withdrawals), so the first is measured apart.
    let settling: Vec<(u64, U256)> = (9..13).map(|i| (i, join(&mut d, i, alice).1)).collect();
    let exit = d.state.slot.as_u64() / SLOTS_PER_EPOCH + 1;
    let withdrawable = exit + MIN_VALIDATOR_WITHDRAWABILITY_DELAY;
    let sweep: Vec<_> = settling
        .iter()
        .map(|&(i, _)| {
            let v = &mut d.state.validators[i as usize];
            v.exit_epoch = Epoch::new(exit);
            v.withdrawable_epoch = Epoch::new(withdrawable);
            d.state.balances[i as usize] = Gwei::new(0);
            d.withdrawal(SWEEP_INDEX + i, i, SWEEP_GWEI)
        })
        .collect();
    let sweep_slot = withdrawable * SLOTS_PER_EPOCH + 1;
    let mut block = d
        .withdrawal_block(sweep_slot, &sweep)
        .expect("four withdrawals fit a payload");
    for (j, (label, route, anchor_slot, target)) in [
        (
            "settle, direct, vault's first (fresh bitmap word)",
            WithdrawalRoute::Direct,
            sweep_slot,
            None,
        ),
        (
            "settle, direct route",
            WithdrawalRoute::Direct,
            sweep_slot,
            Some(200_000),
        ),
        (
            "settle, block_roots route",
            WithdrawalRoute::BlockRoots,
            sweep_slot + 100,
            None,
        ),
        (
            "settle, historical_summaries route (645 summaries)",
            WithdrawalRoute::HistoricalSummaries,
            645 * SLOTS_PER_HISTORICAL_ROOT + 100,
            None,
        ),
    ]
    .into_iter()
    .enumerate()
    {
        d.set_slot(anchor_slot);
        let (index, id) = settling[j];
        let s = d
            .settlement(index, &block, route)
            .expect("the route reaches the sweep block");
        let call = s.settle_call(id, j).expect("the sweep pays four");
        let g = ok(d.send(keeper, &call, U256::ZERO), "settle").gas_used;
        out.push(label, g, exec(g), target);
        block = s.block;
    }
    out
}

/// The receipt of a call the scenario needs to succeed.
fn ok(r: Result<Receipt, crate::ChainError>, what: &str) -> Receipt {
    match r {
        Ok(r) if r.is_success() => r,
        Ok(r) => panic!("{what} reverted in the gas scenario: {r}"),
        Err(e) => panic!("{what} was not executed in the gas scenario: {e}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The scenario runs, every call it makes succeeds, and the figures stay at or under
    /// today's (regression bounds; the targets themselves are printed, not asserted).
    #[test]
    fn the_scenario_measures_every_call_within_regression_bounds() {
        let gas = measure();
        println!("{gas}");
        let bound = |label: &str, max: u64| {
            let g = gas.get(label).unwrap_or_else(|| panic!("{label} measured"));
            assert!(g.compared_gas <= max, "{label}: {} > {max}", g.compared_gas);
        };
        bound("join, owner holds both tokens", 190_000);
        bound("join, a new owner's first sETH and position", 250_000);
        bound("requestRedeem", 60_000);
        bound("claim", 40_000);
        bound("finalize, 10 requests", 80_000);
        bound("eject, rewarded", 111_000);
        bound("finalize, 1 request", 35_000);
        bound("demandExit", 90_000);
        // The withdrawal proof's preset depths as the verifier's immutables (a power of two no
        // larger than mainnet's, the unused sibling slots checked zero) cost ~1.1–1.4k per settle.
        bound("settle, direct, vault's first (fresh bitmap word)", 157_000);
        bound("heartbeat (a proof without parts)", 58_000);
        bound("settle, direct route", 137_000);
        bound("settle, block_roots route", 154_500);
        // The chain's timing as immutables (`ChainTiming`) costs a little: a division by an
        // immutable where a constant power of two was a shift.
        bound(
            "settle, historical_summaries route (645 summaries)",
            172_500,
        );
        assert!(
            (60_000..80_000).contains(&gas.predeploy_share),
            "{}",
            gas.predeploy_share
        );
    }
}
