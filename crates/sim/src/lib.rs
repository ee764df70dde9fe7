//! lsv's risk simulator (issue 19): what happens to sETH's backing when validators go offline,
//! the chain leaks, the exit queue backs up, a TEE break slashes C's validators, holders run on
//! the queue, or C goes proof-blind and winds down.
//!
//! The layers, each a module: [`spec`] holds the consensus specs' constants and formulas
//! (Electra/Fulu, mainnet, each with its source); [`network`] runs the beacon chain over cohorts
//! of alike validators, so a million validators over a year cost per cohort-epoch, not per
//! validator-epoch; [`vault`] is C's rules as the Solidity builds them; [`scenario`] puts them
//! on a timeline and measures backing, shortfall, who bears it and how long redeeming takes;
//! [`recommend`] finds the break-even points and ranks C's parameters against them;
//! [`economics`] puts lsv, Lido, CSM and Rocket Pool on one basis at the model's own reward rate;
//! [`attacker`] prices a TEE break against what holders lose and what a short on sETH gains.
//! What the model simplifies is listed in the crate's README.

#![cfg_attr(test, allow(unused_crate_dependencies))]

pub mod attacker;
pub mod economics;
pub mod network;
pub mod recommend;
pub mod scenario;
pub mod spec;
pub mod vault;

pub use scenario::{
    run, Action, Event, Knobs, Outcome, Sample, Scenario, SimError, Who, SCENARIOS,
};
