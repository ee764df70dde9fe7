//! The parameters `lsv deploy` defaults to ([`DEPLOY_DEFAULTS`]) are the ones `lsv sim recommend`
//! chooses at its default stress.
//!
//! The whole recommendation (the break-evens, a battery of eleven scenarios for each of 22 grid
//! values, the sensitivity check: about 400 runs at 1,000,000 validators) is beyond this crate's
//! test budget, so it is `#[ignore]`d: run it with `cargo test --release -p lsv-sim --test
//! deploy_defaults -- --ignored` whenever the model changes (it reproduces all five fields). The part that moves with the model's penalties, `MAX_VALIDATORS`
//! from the slashing break-even, is checked on every run.

#![allow(unused_crate_dependencies)]

use lsv_sim::recommend::{
    max_validators_for, recommend, slashing_break_even, Stress, DEPLOY_DEFAULTS,
};

#[test]
fn deploy_max_validators_follows_the_slashing_break_even() {
    let stress = Stress::default();
    let break_even = slashing_break_even(&stress).unwrap();
    assert_eq!(
        max_validators_for(&stress, break_even).unwrap(),
        DEPLOY_DEFAULTS.max_validators,
        "break-even {break_even}"
    );
    assert!(stress
        .triggers
        .contains(&DEPLOY_DEFAULTS.inactivity_trigger));
}

#[test]
fn a_background_at_the_break_even_leaves_no_safe_cap() {
    let stress = Stress {
        background_slashed_share: 0.02,
        ..Stress::default()
    };
    let e = max_validators_for(&stress, 0.01).unwrap_err().to_string();
    assert!(e.starts_with("background-slashed-share"), "{e}");
}

#[test]
#[ignore = "the whole recommendation at 1,000,000 validators: run it in release"]
fn deploy_defaults_are_the_recommendation() {
    let r = recommend(Stress::default()).unwrap();
    assert_eq!(r.parameters(), DEPLOY_DEFAULTS, "{}", r.report());
}
