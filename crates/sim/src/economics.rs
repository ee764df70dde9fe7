//! Capital efficiency on one basis (issue 19, item 4): what a staker locks and keeps, and what a
//! holder of the liquid token earns, over a horizon, for lsv, solo staking, Lido (curated and
//! CSM) and Rocket Pool (Saturn megapools and legacy LEB8 minipools).
//!
//! Why a module of its own, and why from the model: the seed compares "3 % of principal" with
//! "Lido's 10 % of yield", and a reply asks what happens to the consensus rewards the 32 ETH
//! earns. Both questions are answered by one reward rate applied to each system's rules, so the
//! rate comes from the same beacon chain the risk scenarios run on: [`RewardTable::measure`]
//! runs [`Network`] at a stated size with every validator online and reads what one epoch pays a
//! validator of each effective balance (flag rewards by the spec's integer arithmetic, sync and
//! proposer rewards as their expected value). Nothing here is a guessed APR.
//!
//! The basis, stated once:
//!
//! - **Consensus-layer rewards** at perfect participation, measured; **execution-layer rewards**
//!   (priority fees and MEV, paid to the block's fee recipient) as a parameter, a yearly share of
//!   the stake ([`EL_APR_DEFAULT`], a dated measurement), 0 for the consensus-only table. Each
//!   system routes them as it does (see [`System::el_rewards`]): in lsv as built the fee recipient
//!   is the operator's, so they are the staker's on all 32 ETH; Lido (curated and CSM) requires
//!   its EL rewards vault and splits them like the consensus rewards; Rocket Pool sends them to
//!   the node's distributor or the smoothing pool and splits them like the consensus rewards.
//! - **Per 32-ETH validator**; a staker running `n` validators pays bond curves per operator, so
//!   the bond per validator depends on `n`.
//! - **Compounding as each protocol does it, and no more**: a 0x02 validator (lsv's, and the solo
//!   reference) compounds inside the validator through its effective balance, step by step with
//!   the spec's hysteresis; a pooled token (stETH, rETH) compounds because the pool restakes what
//!   it earns (modelled as every epoch); amounts a protocol pays in stETH (Lido operators' fee,
//!   the CSM bond) compound at the stETH rate; amounts paid in ETH (Rocket Pool's operator
//!   share and the rewards on its bond) are summed, not reinvested.
//! - **Returns are annualised** as `(end / start)^(1 / years) - 1`.
//! - Outside parameters ([`LIDO_CURATED_MODULE_FEE`], the CSM bond curves, Rocket Pool's bonds
//!   and shares, …) are constants below, each with the document it was read from.
//!
//! What happens to the consensus rewards the 32 ETH earns, in lsv as built (`contracts/src/vault`):
//! C mints a fixed `MINT` of 31 sETH per position, and the debt never grows; the validator's
//! withdrawal credentials are C's, 0x02 (compounding), so nothing is skimmed and every reward stays
//! in the validator until it exits; at settlement `VaultSettlement` pays `min(amount, debt)` to the
//! queue and the rest to the position's owner. So all of the 32 ETH's consensus rewards reach the
//! staker, compounded, at settlement after the 31-ETH debt, and the sETH holder earns nothing: sETH
//! is redeemable at par, a non-productive token. The "3 % of principal" is the staker's capital
//! (1 ETH in 32); the price of the liquidity is paid by the holder, who forgoes the yield on 31 ETH.
//!
//! The productive variant the seed sketches ("cover sub-optimal performance from the collateral")
//! moves the rewards on the 31 ETH to the holder: sETH would accrue as a perfectly performing
//! validator would, and the owner keeps what the validator earns above that. With perfect
//! performance the owner keeps the reward on 1 ETH (a solo staker's rate on its own capital) and the
//! holder gets the whole gross rate, with no fee; with performance `p` (share of the perfect
//! reward earned) the owner keeps `(p - 31/32)` of the 32 ETH's reward, so below `p = 31/32` the
//! collateral pays the holders. This variant is not built in C; [`Variant::Productive`] computes it.

use crate::network::{Cohort, Network};
use crate::scenario::SimError;
use crate::spec::{
    updated_effective_balance, ChainConfig, Gwei, EFFECTIVE_BALANCE_INCREMENT, ETH,
    MAX_EFFECTIVE_BALANCE_ELECTRA, MIN_ACTIVATION_BALANCE,
};

/// Days in the year the horizons are counted in (365, as the scenarios count them).
pub const DAYS_PER_YEAR: u64 = 365;

/// The longest horizon [`compare`] accepts, in years: the reward table covers the effective
/// balances a compounding validator reaches in that time at any rate the model produces.
pub const MAX_YEARS: f64 = 10.0;

/// The largest effective balance (ETH) [`RewardTable::measure`] probes: a 0x02 validator
/// compounding at under 6 % a year stays below it for [`MAX_YEARS`].
const PROBE_MAX_ETH: u64 = 64;

/// lsv: sETH minted per 32-ETH validator (`MINT` in `contracts/src/vault/VaultBase.sol`).
pub const LSV_MINT_ETH: f64 = 31.0;

/// The execution-layer rewards (priority fees and MEV-boost payments to the fee recipient) a
/// validator earns in a year, as a share of its stake: 0.54 %, Rated Network's 30-day average
/// execution-layer APR on 2024-07-09 (quoted in HashKey Cloud, "Ethereum Cryptoeconomics:
/// Execution Layer Rewards", 2024-07-25, hashkeycloud.medium.com). Cross-check: Block Scholes,
/// "Ethereum Staking Deep Dive: Analysing Execution Layer Rewards & MEV" (2024-02-15), finds
/// execution-layer rewards 20 % of a staker's total since the Merge (priority fees 17 %, MEV 3 %);
/// 0.54 % next to the model's 2.93 % consensus rate is 16 %. They vary with on-chain activity
/// (Rated's Merge report, 2022-11-14, saw 27 % of rewards on average and 43 % on busy days), so
/// this is a dated figure, a parameter of [`compare_with`], not a constant of the chain. It is the
/// network's average: a validator without MEV-boost earns less, and a single validator earns it
/// as rare, very uneven block proposals (Block Scholes: a 99.99th percentile of 28.9 ETH a block
/// against a 0.112-ETH mean).
pub const EL_APR_DEFAULT: f64 = 0.0054;

/// Lido's curated module: the node operators' share of rewards, 5 %, and the treasury's, 5 %
/// (`CURATED_STAKING_MODULE_MODULE_FEE_BP = 500`, `CURATED_STAKING_MODULE_TREASURY_FEE_BP = 500`
/// in Lido's V2 upgrade parameters, verified per docs.lido.fi/guides/verify-lido-v2-upgrade-manual;
/// the seed quotes the same 5 % + 5 %; a later change by vote was not checked).
pub const LIDO_CURATED_MODULE_FEE: f64 = 0.05;
/// The Lido treasury's share of the curated module's rewards (see [`LIDO_CURATED_MODULE_FEE`]).
pub const LIDO_CURATED_TREASURY_FEE: f64 = 0.05;
/// CSM's module fee, 6 %, and treasury fee, 4 %, of its validators' rewards
/// (`CSM_MODULE_FEE_BP = 600`, `CSM_TREASURY_FEE_BP = 400`: lidofinance/scripts, the checks of
/// Lido vote 199, 2026). The stETH holders' share is 90 % in both modules.
pub const CSM_MODULE_FEE: f64 = 0.06;
/// CSM's treasury fee (see [`CSM_MODULE_FEE`]).
pub const CSM_TREASURY_FEE: f64 = 0.04;
/// CSM v2/v3 reward share of the default (permissionless) operator type: 58.34 % of the 6 %
/// module fee, 3.5 % of the rewards (`defaultRewardShareBP = 5834`,
/// lidofinance/community-staking-module `script/csm/DeployMainnet.s.sol`, 2026); the rest of the
/// 6 % goes to the treasury as a rebate.
pub const CSM_DEFAULT_REWARD_SHARE: f64 = 0.5834;
/// CSM's default bond curve (same file): 2.4 ETH for the first validator, 1.3 ETH for each next.
pub const CSM_DEFAULT_BOND: (f64, f64) = (2.4, 1.3);
/// CSM's Identified Community Stakers bond curve (same file): 1.5 ETH, then 1.3 ETH.
pub const CSM_ICS_BOND: (f64, f64) = (1.5, 1.3);
/// CSM's Identified Community Stakers reward share (same file): 100 % of the module fee for keys
/// 1 to 16, 58.34 % from key 17 (`identifiedCommunityStakersGateRewardShareData`).
pub const CSM_ICS_REWARD_SHARE: [(u64, f64); 2] = [(1, 1.0), (17, 0.5834)];

/// Rocket Pool Saturn (megapools): `base_bond_array = [4, 8]` and `reduced_bond = 4` ETH
/// (RPIP-42, rocket-pool/RPIPs): 4 ETH per validator for any count.
pub const RP_SATURN_BOND_ARRAY: [f64; 2] = [4.0, 8.0];
/// Rocket Pool Saturn's `reduced_bond` (RPIP-42), ETH per validator after the base array.
pub const RP_SATURN_REDUCED_BOND: f64 = 4.0;
/// Rocket Pool Saturn's `node_operator_commission_share`, 3.5 % of the rewards on borrowed ETH
/// (RPIP-46's initial settings). Its `voter_share` (5 %) goes to operators by their staked RPL
/// and `surplus_share` (5.5 %) to RPL; the model's operator stakes no RPL (RPIP-46 makes RPL
/// optional for the commission; whether a minimum RPL stake remains for megapools was not
/// confirmed from the documents read).
pub const RP_SATURN_NO_SHARE: f64 = 0.035;
/// Rocket Pool Saturn's rETH commission: 3.5 % + 5 % + 5.5 % = 14 % (RPIP-46); rETH holders keep
/// 86 % of the rewards on borrowed ETH.
pub const RP_SATURN_RETH_COMMISSION: f64 = 0.14;
/// Rocket Pool LEB8 minipools (RPIP-8, Atlas): 8 ETH of the operator's.
pub const RP_LEB8_BOND: f64 = 8.0;
/// LEB8 commission on the 24 borrowed ETH (RPIP-8): 14 %.
pub const RP_LEB8_COMMISSION: f64 = 0.14;
/// LEB8's minimum RPL stake: 10 % of the borrowed ETH in RPL value (RPIP-8: 2.4 ETH for one
/// LEB8). Counted as capital locked; RPL's own rewards and price are outside the model.
pub const RP_LEB8_RPL_SHARE: f64 = 0.10;

/// What one epoch pays a validator at perfect participation, by effective balance, in a network
/// of a stated size: the model's own reward rate.
#[derive(Clone, Debug, PartialEq)]
pub struct RewardTable {
    /// The network's preset and configuration.
    pub config: ChainConfig,
    /// The total active balance the rewards were measured at (Gwei).
    pub total_active_balance: Gwei,
    /// The reward of one epoch (Gwei) for effective balance `32 + i` ETH at index `i`.
    per_epoch: Vec<Gwei>,
}

impl RewardTable {
    /// Runs [`Network`] of `network_validators` 32-ETH 0x01 validators, all online, with one
    /// 0x02 probe validator at every effective balance from 32 to 64 ETH, and records what one
    /// epoch (the block rewards and `process_epoch`) pays each probe. The probes add 1,584 ETH
    /// to the total active balance, which [`Self::total_active_balance`] includes.
    pub fn measure(network_validators: u64) -> Result<Self, SimError> {
        if network_validators == 0 || network_validators > 100_000_000 {
            return Err(SimError::InvalidParameter {
                name: "network_validators",
                reason: format!("{network_validators}: must be 1 to 100,000,000"),
            });
        }
        let config = ChainConfig::mainnet();
        let mut cohorts = vec![Cohort::active(
            network_validators,
            MIN_ACTIVATION_BALANCE,
            false,
        )];
        for eth in 32..=PROBE_MAX_ETH {
            cohorts.push(Cohort::active(1, eth * ETH, true));
        }
        // Start well past genesis so every rule that looks back (finality, the sweep) is in
        // its steady state; the first epoch settles it, the second is measured.
        let mut net = Network::new(config.clone(), 1_000, cohorts);
        net.process_blocks();
        net.process_epoch();
        let before = probe_balances(&net);
        let total_active_balance = net.totals().active_balance;
        net.process_blocks();
        net.process_epoch();
        let after = probe_balances(&net);
        let per_epoch = before
            .iter()
            .zip(&after)
            .map(|(b, a)| a.saturating_sub(*b))
            .collect();
        Ok(Self {
            config,
            total_active_balance,
            per_epoch,
        })
    }

    /// Epochs in a year of [`DAYS_PER_YEAR`] days.
    pub fn epochs_per_year(&self) -> u64 {
        DAYS_PER_YEAR * self.config.epochs_per_day()
    }

    /// The reward of one epoch (Gwei) for a validator of effective balance `effective`, or
    /// `None` outside the measured range (32 to 64 ETH).
    pub fn reward(&self, effective: Gwei) -> Option<Gwei> {
        let eth = effective / EFFECTIVE_BALANCE_INCREMENT;
        let i = eth.checked_sub(32)? as usize;
        self.per_epoch.get(i).copied()
    }

    /// The gross reward rate of one epoch for a 32-ETH validator whose rewards are skimmed
    /// (0x01), as a fraction of 32 ETH.
    pub fn rate_per_epoch(&self) -> f64 {
        self.per_epoch[0] as f64 / MIN_ACTIVATION_BALANCE as f64
    }

    /// The gross consensus APR of a 32-ETH 0x01 validator (rewards skimmed, not compounded):
    /// one epoch's reward times the epochs of a year over 32 ETH.
    pub fn apr(&self) -> f64 {
        self.rate_per_epoch() * self.epochs_per_year() as f64
    }

    /// The balance of a 0x02 validator that starts at 32 ETH and earns `performance` (0 to 1)
    /// of the perfect reward every epoch for `epochs` epochs, with the effective balance
    /// following `process_effective_balance_updates` (hysteresis) so the rewards compound in
    /// whole-ETH steps, as they do in C's validators.
    pub fn compounding_balance(&self, epochs: u64, performance: f64) -> Result<Gwei, SimError> {
        if !(0.0..=1.0).contains(&performance) {
            return Err(SimError::InvalidParameter {
                name: "performance",
                reason: format!("{performance}: must be 0 to 1"),
            });
        }
        let mut balance = MIN_ACTIVATION_BALANCE;
        let mut effective = MIN_ACTIVATION_BALANCE;
        for _ in 0..epochs {
            let reward = self
                .reward(effective)
                .ok_or_else(|| SimError::InvalidParameter {
                    name: "years",
                    reason: format!(
                        "the validator reached {} ETH of effective balance, beyond the {PROBE_MAX_ETH} ETH measured",
                        effective / ETH
                    ),
                })?;
            // `performance` is at most 1: the product is at most `reward`, below 2^53.
            balance += (reward as f64 * performance) as Gwei;
            effective =
                updated_effective_balance(balance, effective, MAX_EFFECTIVE_BALANCE_ELECTRA);
        }
        Ok(balance)
    }
}

/// The probes' balances, in effective-balance order (32 to 64 ETH).
fn probe_balances(net: &Network) -> Vec<Gwei> {
    let mut probes: Vec<(Gwei, Gwei)> = net
        .cohorts
        .iter()
        .filter(|c| c.compounding && c.positions.is_none())
        .map(|c| (c.effective, c.balance))
        .collect();
    probes.sort_unstable();
    probes.into_iter().map(|(_, b)| b).collect()
}

/// Which way lsv treats the consensus rewards.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Variant {
    /// As built: sETH is a fixed claim at par, every reward reaches the owner at settlement.
    AsBuilt,
    /// The seed's productive sETH: it accrues as a perfectly performing validator would; the
    /// owner's validator earns `performance` (0 to 1) of the perfect reward and its collateral
    /// covers the difference.
    Productive {
        /// Share of the perfect reward the owner's validator earns.
        performance: f64,
    },
}

/// One system compared.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum System {
    /// Solo staking with 0x02 credentials: the reference (32 ETH locked, every reward kept).
    Solo,
    /// lsv as built: 1 ETH of the staker's per validator, 31 sETH lent, no fee.
    Lsv,
    /// lsv with the seed's productive sETH (not built in C).
    LsvProductive,
    /// Lido, curated module: permissioned operators, no bond.
    LidoCurated,
    /// Lido CSM, the default (permissionless) operator type.
    LidoCsm,
    /// Lido CSM, an Identified Community Staker.
    LidoCsmIcs,
    /// Rocket Pool Saturn megapool, no RPL staked.
    RocketPoolSaturn,
    /// Rocket Pool legacy LEB8 minipool with the minimum RPL.
    RocketPoolLeb8,
}

impl System {
    /// Every system, in the order the table prints them.
    pub const ALL: [System; 8] = [
        System::Solo,
        System::Lsv,
        System::LsvProductive,
        System::LidoCurated,
        System::LidoCsm,
        System::LidoCsmIcs,
        System::RocketPoolSaturn,
        System::RocketPoolLeb8,
    ];

    /// The system's name in the table.
    pub fn name(self) -> &'static str {
        match self {
            System::Solo => "solo (0x02)",
            System::Lsv => "lsv",
            System::LsvProductive => "lsv, productive sETH",
            System::LidoCurated => "Lido curated",
            System::LidoCsm => "Lido CSM",
            System::LidoCsmIcs => "Lido CSM (ICS)",
            System::RocketPoolSaturn => "Rocket Pool Saturn",
            System::RocketPoolLeb8 => "Rocket Pool LEB8",
        }
    }

    /// Where the execution-layer rewards of the system's validators go, in words: the fee
    /// recipient each system sets and how what arrives there is shared.
    pub fn el_rewards(self) -> &'static str {
        match self {
            System::Solo => "the staker's own fee recipient: all of it to the staker",
            System::Lsv => {
                "the operator's fee recipient: P signs blocks and builder registrations for any \
                 fee recipient and C has no rule on it, so all of it goes to the staker, on 32 ETH"
            }
            System::LsvProductive => {
                "as lsv: the seed makes only the consensus rewards productive (MEV would need \
                 in-consensus smoothing), so the owner keeps the EL rewards of all 32 ETH"
            }
            System::LidoCurated | System::LidoCsm | System::LidoCsmIcs => {
                "LidoExecutionLayerRewardsVault is the required fee recipient \
                 (docs.lido.fi/guides/node-operators/el-rewards-configuration; CSM's node setup \
                 guide alike): restaked and shared like the consensus rewards, the same fees"
            }
            System::RocketPoolSaturn | System::RocketPoolLeb8 => {
                "the node's fee distributor or the smoothing pool \
                 (docs.rocketpool.net/guides/node/fee-distrib-sp): split between the bond and \
                 the borrowed ETH, commission included, like the consensus rewards"
            }
        }
    }

    /// The liquid token a holder holds, if any.
    pub fn token(self) -> Option<&'static str> {
        match self {
            System::Solo => None,
            System::Lsv | System::LsvProductive => Some("sETH"),
            System::LidoCurated | System::LidoCsm | System::LidoCsmIcs => Some("stETH"),
            System::RocketPoolSaturn | System::RocketPoolLeb8 => Some("rETH"),
        }
    }
}

/// What one system gives over one horizon, per 32-ETH validator.
#[derive(Clone, Debug, PartialEq)]
pub struct Outcome {
    /// The system.
    pub system: System,
    /// The horizon in years.
    pub years: f64,
    /// The staker's own capital locked per validator (ETH); 0 for a permissioned operator.
    pub capital_eth: f64,
    /// What the staker has at the end above that capital, per validator (ETH).
    pub kept_eth: f64,
    /// The staker's annualised return on its capital, `None` with no capital.
    pub staker_return: Option<f64>,
    /// The liquid-token holder's annualised return, `None` with no token.
    pub holder_return: Option<f64>,
}

/// The comparison: every system over every horizon, at one reward rate.
#[derive(Clone, Debug, PartialEq)]
pub struct Comparison {
    /// The total active balance the rewards were measured at (Gwei).
    pub total_active_balance: Gwei,
    /// The gross consensus APR of a 32-ETH 0x01 validator there.
    pub apr: f64,
    /// The validators the staker runs (bond curves depend on it).
    pub validators: u64,
    /// The productive variant's performance.
    pub performance: f64,
    /// Execution-layer rewards a year, as a share of the stake (0: consensus rewards only).
    pub el_apr: f64,
    /// One entry per system and horizon, systems in [`System::ALL`] order, horizons in the
    /// order given.
    pub outcomes: Vec<Outcome>,
}

/// The CSM bond per validator (ETH) for `n` validators on a curve `(first, next)` (`n` of 0 is
/// taken as 1).
pub fn csm_bond_per_validator(curve: (f64, f64), n: u64) -> f64 {
    let n = n.max(1);
    (curve.0 + curve.1 * (n - 1) as f64) / n as f64
}

/// The Rocket Pool Saturn bond per validator (ETH) for `n` validators (RPIP-42): up to
/// `base_bond_array[i]` in total for the first validators, then `reduced_bond` each (`n` of 0
/// is taken as 1).
pub fn rp_saturn_bond_per_validator(n: u64) -> f64 {
    let n = n.max(1);
    let base = RP_SATURN_BOND_ARRAY.len() as u64;
    let total = if n <= base {
        RP_SATURN_BOND_ARRAY[(n - 1) as usize]
    } else {
        RP_SATURN_BOND_ARRAY[(base - 1) as usize] + (n - base) as f64 * RP_SATURN_REDUCED_BOND
    };
    total / n as f64
}

/// CSM ICS operator's reward share averaged over its first `n` keys.
fn csm_ics_reward_share(n: u64) -> f64 {
    let n = n.max(1);
    let (from, later) = CSM_ICS_REWARD_SHARE[1];
    let early = n.min(from - 1) as f64 * CSM_ICS_REWARD_SHARE[0].1;
    let late = n.saturating_sub(from - 1) as f64 * later;
    (early + late) / n as f64
}

/// Annualised return of `end / start` over `years`.
fn annualised(start: f64, end: f64, years: f64) -> f64 {
    (end / start).powf(1.0 / years) - 1.0
}

/// The largest execution-layer APR [`compare_with`] accepts (20 % of the stake a year).
pub const MAX_EL_APR: f64 = 0.2;

/// Compares every system over each horizon (years), for a staker running `validators`
/// validators, with the consensus reward rates of `table` and no execution-layer rewards. Errors
/// on a horizon outside (0, 10] years, no validators, or a performance outside [0, 1].
pub fn compare(
    table: &RewardTable,
    horizons: &[f64],
    validators: u64,
    performance: f64,
) -> Result<Comparison, SimError> {
    compare_with(table, horizons, validators, performance, 0.0)
}

/// [`compare`] with execution-layer rewards of `el_apr` (a share of the stake a year, 0 to
/// [`MAX_EL_APR`]) added where each system sends them ([`System::el_rewards`]): to the staker's
/// fee recipient in solo staking and lsv (paid in ETH as blocks are proposed, summed, not
/// restaked), into the pool's gross reward for Lido and Rocket Pool (restaked with the consensus
/// rewards and shared by the same fees and commissions).
pub fn compare_with(
    table: &RewardTable,
    horizons: &[f64],
    validators: u64,
    performance: f64,
    el_apr: f64,
) -> Result<Comparison, SimError> {
    if !(0.0..=MAX_EL_APR).contains(&el_apr) {
        return Err(SimError::InvalidParameter {
            name: "el-apr",
            reason: format!("{el_apr}: must be 0 to {MAX_EL_APR}"),
        });
    }
    if validators == 0 || validators > 1_000_000 {
        return Err(SimError::InvalidParameter {
            name: "validators",
            reason: format!("{validators}: must be 1 to 1,000,000"),
        });
    }
    if !(0.0..=1.0).contains(&performance) {
        return Err(SimError::InvalidParameter {
            name: "performance",
            reason: format!("{performance}: must be 0 to 1"),
        });
    }
    if horizons.is_empty() {
        return Err(SimError::InvalidParameter {
            name: "years",
            reason: "no horizon given".into(),
        });
    }
    for &y in horizons {
        if !(y > 0.0 && y <= MAX_YEARS) {
            return Err(SimError::InvalidParameter {
                name: "years",
                reason: format!("{y}: must be above 0 and at most {MAX_YEARS}"),
            });
        }
    }
    // `g`: the consensus reward per epoch of a 32-ETH validator over its stake; `el`: the
    // execution-layer reward per epoch over the stake; `gp`: a pool's gross rate, both restaked.
    let g = table.rate_per_epoch();
    let el = el_apr / table.epochs_per_year() as f64;
    let gp = g + el;
    let eth = |gwei: Gwei| gwei as f64 / ETH as f64;
    let mut outcomes = Vec::new();
    for system in System::ALL {
        for &years in horizons {
            let n = (years * table.epochs_per_year() as f64).round() as u64;
            let nf = n as f64;
            // A stETH-like token restaking every epoch at `share` of the gross rate: growth of 1
            // ETH, and the value of a stream of `per_epoch` ETH paid into it.
            let token = |share: f64| (1.0 + share * gp).powf(nf);
            let stream = |share: f64, per_epoch: f64| {
                if share * gp == 0.0 {
                    per_epoch * nf
                } else {
                    per_epoch * (token(share) - 1.0) / (share * gp)
                }
            };
            let holder = |share: f64| Some(annualised(1.0, token(share), years));
            let steth_share = 1.0 - LIDO_CURATED_MODULE_FEE - LIDO_CURATED_TREASURY_FEE;
            let reward_32 = 32.0 * gp; // ETH per epoch of a 0x01 validator in a pool
                                       // The execution-layer rewards of 32 ETH paid to a staker's own fee recipient.
            let el_32 = 32.0 * el * nf;
            let (capital, kept, holder_return) = match system {
                System::Solo => {
                    let b = eth(table.compounding_balance(n, 1.0)?);
                    (32.0, b - 32.0 + el_32, None)
                }
                System::Lsv => {
                    // The owner receives `balance - MINT` at settlement, having received MINT
                    // sETH at the start: every reward, no fee; and the fee recipient's EL
                    // rewards. sETH is redeemed at par.
                    let b = eth(table.compounding_balance(n, 1.0)?);
                    (32.0 - LSV_MINT_ETH, b - 32.0 + el_32, Some(0.0))
                }
                System::LsvProductive => {
                    let perfect = eth(table.compounding_balance(n, 1.0)?);
                    let actual = eth(table.compounding_balance(n, performance)?);
                    // The holders' claim grows like the perfect validator's balance.
                    let claim = LSV_MINT_ETH * perfect / 32.0;
                    let capital = 32.0 - LSV_MINT_ETH;
                    (
                        capital,
                        actual - claim - capital + el_32,
                        Some(annualised(32.0, perfect, years)),
                    )
                }
                System::LidoCurated => (
                    0.0,
                    stream(steth_share, LIDO_CURATED_MODULE_FEE * reward_32),
                    holder(steth_share),
                ),
                System::LidoCsm | System::LidoCsmIcs => {
                    let (curve, share) = if system == System::LidoCsm {
                        (CSM_DEFAULT_BOND, CSM_DEFAULT_REWARD_SHARE)
                    } else {
                        (CSM_ICS_BOND, csm_ics_reward_share(validators))
                    };
                    let bond = csm_bond_per_validator(curve, validators);
                    let rewards = stream(steth_share, CSM_MODULE_FEE * share * reward_32);
                    let rebase = bond * (token(steth_share) - 1.0);
                    let csm_holder = 1.0 - CSM_MODULE_FEE - CSM_TREASURY_FEE;
                    (bond, rewards + rebase, holder(csm_holder))
                }
                System::RocketPoolSaturn => {
                    let bond = rp_saturn_bond_per_validator(validators);
                    let per_epoch = gp * (bond + RP_SATURN_NO_SHARE * (32.0 - bond));
                    (
                        bond,
                        per_epoch * nf,
                        holder(1.0 - RP_SATURN_RETH_COMMISSION),
                    )
                }
                System::RocketPoolLeb8 => {
                    let borrowed = 32.0 - RP_LEB8_BOND;
                    let per_epoch = gp * (RP_LEB8_BOND + RP_LEB8_COMMISSION * borrowed);
                    (
                        RP_LEB8_BOND + RP_LEB8_RPL_SHARE * borrowed,
                        per_epoch * nf,
                        holder(1.0 - RP_LEB8_COMMISSION),
                    )
                }
            };
            let staker_return = (capital > 0.0).then(|| annualised(capital, capital + kept, years));
            outcomes.push(Outcome {
                system,
                years,
                capital_eth: capital,
                kept_eth: kept,
                staker_return,
                holder_return,
            });
        }
    }
    Ok(Comparison {
        total_active_balance: table.total_active_balance,
        apr: table.apr(),
        validators,
        performance,
        el_apr,
        outcomes,
    })
}

impl Comparison {
    /// The outcome of `system` over `years`.
    pub fn outcome(&self, system: System, years: f64) -> Option<&Outcome> {
        self.outcomes
            .iter()
            .find(|o| o.system == system && o.years == years)
    }

    /// The table as text: one line per system and horizon.
    pub fn report(&self) -> String {
        let pct = |v: Option<f64>| v.map_or("—".to_string(), |v| format!("{:.2}%", v * 100.0));
        let el = if self.el_apr > 0.0 {
            format!(
                "; execution-layer rewards (priority fees, MEV) {:.2}% a year of the stake, to each system's fee recipient",
                self.el_apr * 100.0
            )
        } else {
            "; consensus rewards only (no execution-layer rewards)".to_string()
        };
        let mut s = format!(
            "consensus rewards at {:.0} ETH staked (the model's run, every validator online): {:.3}% a year gross for a 32-ETH 0x01 validator{el}\n\
             per validator, staker running {} validator(s); productive variant at performance {}\n\n",
            self.total_active_balance as f64 / ETH as f64,
            self.apr * 100.0,
            self.validators,
            self.performance,
        );
        s.push_str(&format!(
            "{:<22} {:>5} {:>9} {:>9} {:>12} {:>16}\n",
            "system", "years", "capital", "kept", "staker/yr", "holder/yr"
        ));
        for o in &self.outcomes {
            let holder = match (o.system.token(), o.holder_return) {
                (Some(t), Some(h)) => format!("{} {t}", pct(Some(h))),
                _ => "—".to_string(),
            };
            s.push_str(&format!(
                "{:<22} {:>5} {:>9.3} {:>9.4} {:>12} {:>16}\n",
                o.system.name(),
                o.years,
                o.capital_eth,
                o.kept_eth,
                pct(o.staker_return),
                holder,
            ));
        }
        s.push_str(
            "\ncapital: the staker's own ETH locked per validator (CSM bond in stETH; LEB8 counts its RPL at 10% of borrowed ETH)\n\
             kept: ETH above that capital at the end; staker/yr and holder/yr: annualised\n",
        );
        if self.el_apr > 0.0 {
            s.push_str("execution-layer rewards go to:\n");
            let mut routes: Vec<(&str, Vec<&str>)> = Vec::new();
            for system in System::ALL {
                let route = system.el_rewards();
                match routes.iter_mut().find(|(r, _)| *r == route) {
                    Some((_, names)) => names.push(system.name()),
                    None => routes.push((route, vec![system.name()])),
                }
            }
            for (route, names) in routes {
                s.push_str(&format!("  {}: {route}\n", names.join(", ")));
            }
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bond_curves_follow_their_sources() {
        assert_eq!(csm_bond_per_validator(CSM_DEFAULT_BOND, 1), 2.4);
        assert!((csm_bond_per_validator(CSM_DEFAULT_BOND, 2) - 1.85).abs() < 1e-12);
        assert_eq!(rp_saturn_bond_per_validator(1), 4.0);
        assert_eq!(rp_saturn_bond_per_validator(2), 4.0);
        assert_eq!(rp_saturn_bond_per_validator(5), 4.0);
        assert_eq!(csm_ics_reward_share(16), 1.0);
        assert!((csm_ics_reward_share(32) - (1.0 + 0.5834) / 2.0).abs() < 1e-12);
    }
}
