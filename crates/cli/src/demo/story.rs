//! The story the demo tells, and what each scenario makes of it.
//!
//! The normal story: four operators deposit and join (two by `lsv join`, two through the
//! keeper), sell their sETH to two holders; operator C goes offline and the keeper ejects it;
//! holder 1 redeems 62 sETH, more than the exits under way cover, so the keeper demands an exit;
//! operator D exits on its own; the three are withdrawn, settled, redeemed at par and their
//! residuals claimed. The other scenarios change it in one place each, and can be combined:
//!
//! - `bank-run`: both holders redeem everything at once instead, and D does not exit on its
//!   own: the keeper must demand the exit of every position, and every holder is paid at par;
//! - `forged-join`: a rogue P (one whose attestation key is not the deployment's: not a
//!   genuine device) makes a key, deposits, and its owner tries `lsv join`: C refuses it;
//! - `healthy-eject`: someone asks C to eject a healthy validator, with a valid fresh proof: C
//!   refuses (`NotEjectable`);
//! - `replayed-proof`: once a position is settled, someone sends the keeper's settlement again,
//!   proof and all: C refuses;
//! - `keeper-restart`: the keeper is killed (SIGKILL) right after its first settlement and
//!   started again on its journal; it finishes the work and sends nothing twice;
//! - `p-restart`: operator B's P is stopped and started again mid-run; B's validator goes on
//!   signing and earning, and P refuses nothing it signed before;
//! - `leak`: when operator C goes offline, so do four of the network's eight validators: five
//!   of twelve, more than a third, so the chain stops finalizing and the offline validators
//!   leak (inactivity scores, quadratic penalties) for [`LEAK_EPOCHS`] epochs. The keeper,
//!   which proves from finalized states while finality holds, proves against the head while it
//!   stalls, and ejects C during the leak; the report shows how far C's balance, and backing,
//!   fell.

use super::report::{Check, SentTx};
use super::watch::{Event, Record, Wei};
use super::{address_in, ether, path_str, Demo, Scenario};
use alloy::primitives::{Address, Bytes, U256};
use alloy::providers::Provider;
use alloy_sol_types::SolCall;
use lsv_contracts::bindings::vault::Vault;
use lsv_keeper::eth::{Eth, FeeCaps, TxKey};
use std::time::Duration;

/// The most a wait for the chain takes before the demo gives up (chain time runs `--pace`
/// times faster).
const WAIT: Duration = Duration::from_secs(300);

/// How long the leak's validators stay offline.
pub(crate) const LEAK_EPOCHS: u64 = 24;
/// The network's validators the leak takes offline (the devnet's interop keys 0-3).
const LEAK_VALIDATORS: [u64; 4] = [0, 1, 2, 3];

/// What the scenarios asked for.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Story {
    bank_run: bool,
    forged_join: bool,
    healthy_eject: bool,
    replayed_proof: bool,
    keeper_restart: bool,
    p_restart: bool,
    leak: bool,
    slashing: bool,
}

impl Story {
    pub(crate) fn of(scenarios: &[Scenario]) -> Self {
        let mut story = Story::default();
        for s in scenarios {
            match s {
                Scenario::Normal => {}
                Scenario::BankRun => story.bank_run = true,
                Scenario::ForgedJoin => story.forged_join = true,
                Scenario::HealthyEject => story.healthy_eject = true,
                Scenario::ReplayedProof => story.replayed_proof = true,
                Scenario::KeeperRestart => story.keeper_restart = true,
                Scenario::PRestart => story.p_restart = true,
                Scenario::Leak => story.leak = true,
                Scenario::Slashing => story.slashing = true,
            }
        }
        story
    }
}

/// Tells the story.
pub(crate) fn tell(demo: &mut Demo, story: Story) -> Result<(), String> {
    deposits(demo, story)?;
    joins(demo, story)?;
    market(demo)?;
    if story.slashing {
        slashing(demo)?;
    }
    if story.healthy_eject {
        healthy_eject(demo)?;
    }
    offline(demo, story)?;
    let exited = if story.bank_run {
        bank_run(demo)?
    } else {
        redemption_and_exit(demo)?
    };
    withdrawals(demo, story, &exited)?;
    claims(demo, &exited)?;
    if story.replayed_proof {
        replay(demo)?;
    }
    // One more epoch, so the last sample shows the claims.
    let epoch = demo.watch.epoch();
    demo.watch.wait_for("the next epoch", WAIT, |r| {
        r.samples.last().filter(|s| s.epoch > epoch).map(|_| ())
    })?;
    Ok(())
}

fn deposits(demo: &mut Demo, story: Story) -> Result<(), String> {
    demo.watch
        .phase("deposits: each operator sends 32 ETH with P's deposit data");
    if story.forged_join {
        // A rogue P: made without the deployment's dev attestation key, so its attestations
        // are signed by a key no verifier of C trusts, as a modified P would sign them.
        let (holder, key) = demo.holders[1].clone();
        let pubkey = super::generate_key(
            &demo.cast,
            "rogue P",
            &super::KeyGeneration {
                config: &demo.config,
                data_dir: &demo.run.join("p-rogue"),
                vault: &demo.deployment.vault().to_string(),
                attester_key: None,
                owner: address_in(&key)?,
                deposit: &demo.run.join("rogue-deposit.json"),
                evidence: &demo.run.join("rogue-evidence.json"),
            },
        )?;
        demo.watch.track("rogue", &pubkey);
        demo.rogue = Some(pubkey);
        demo.on_chain(
            &holder,
            &["deposit"],
            &[
                "--deposit-data",
                path_str(&demo.run.join("rogue-deposit.json")),
                "--network",
                &demo.config,
                "--key-file",
                path_str(&key),
            ],
        )?;
    }
    for o in &demo.operators {
        let deposit = demo.run.join(format!("{}-deposit.json", o.name));
        demo.on_chain(
            &format!("operator {}", o.name),
            &["deposit"],
            &[
                "--deposit-data",
                path_str(&deposit),
                "--network",
                &demo.config,
                "--key-file",
                path_str(&o.key_file),
            ],
        )?;
    }
    Ok(())
}

/// `lsv join` for `pubkey` with the evidence at `evidence` (a file) or from P at `p_url`.
fn join(
    demo: &Demo,
    who: &str,
    pubkey: &str,
    evidence: (&str, &str),
    key_file: &str,
) -> Result<serde_json::Value, String> {
    let timeout = WAIT.as_secs().to_string();
    demo.on_chain(
        who,
        &["join", "--pubkey", pubkey, evidence.0, evidence.1],
        &[
            "--beacon-url",
            &demo.beacon,
            "--network",
            &demo.config,
            "--key-file",
            key_file,
            "--timeout",
            &timeout,
        ],
    )
}

fn joins(demo: &mut Demo, story: Story) -> Result<(), String> {
    demo.watch
        .phase("joins: A and B run `lsv join`; C and D hand their evidence to the keeper");
    for name in ["C", "D"] {
        let o = demo.operator(name);
        std::fs::copy(
            &o.evidence,
            demo.run.join("joins").join(format!("{name}.json")),
        )
        .map_err(|e| format!("handing {name}'s evidence to the keeper: {e}"))?;
    }
    let rogue = demo.rogue.clone().filter(|_| story.forged_join);
    let (joined, forged) = std::thread::scope(|s| {
        let demo = &*demo;
        let handles: Vec<_> = ["A", "B"]
            .into_iter()
            .map(|name| {
                s.spawn(move || {
                    let o = demo.operator(name);
                    join(
                        demo,
                        &format!("operator {name}"),
                        &o.pubkey,
                        ("--p-url", &o.url),
                        path_str(&o.key_file),
                    )
                })
            })
            .collect();
        let forged = rogue.map(|pubkey| {
            let evidence = demo.run.join("rogue-evidence.json");
            let key = demo.holders[1].1.clone();
            s.spawn(move || {
                join(
                    demo,
                    "rogue P's owner",
                    &pubkey,
                    ("--attestation-file", path_str(&evidence)),
                    path_str(&key),
                )
            })
        });
        let joined: Vec<Result<serde_json::Value, String>> = handles
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|_| Err("a join panicked".into())))
            .collect();
        let forged = forged.map(|h| h.join().unwrap_or_else(|_| Err("a join panicked".into())));
        (joined, forged)
    });
    for j in joined {
        j?;
    }
    match forged {
        Some(Ok(answer)) => {
            return Err(format!(
                "C accepted a join with a forged attestation: {answer}"
            ))
        }
        Some(Err(refusal)) => demo.watch.say(
            "forged-join refused",
            Some("rogue"),
            format!("a join with an attestation from a rogue P is refused: {refusal}"),
        ),
        None => {}
    }
    demo.watch.wait_for("the four joins", WAIT, |r| {
        r.validators
            .iter()
            .filter(|v| v.name != "rogue")
            .all(|v| v.position.is_some())
            .then_some(())
    })
}

fn market(demo: &mut Demo) -> Result<(), String> {
    demo.watch
        .phase("market: the operators sell their sETH to two holders");
    for (seller, buyer) in [("A", 0), ("B", 0), ("C", 1), ("D", 1)] {
        let o = demo.operator(seller);
        let to = address_in(&demo.holders[buyer].1)?;
        demo.transfer_seth(&o.key_file, to, ether(31))?;
        demo.watch.say(
            "sale",
            None,
            format!(
                "operator {seller} sells its 31 sETH to {}",
                demo.holders[buyer].0
            ),
        );
    }
    Ok(())
}

/// An `Eth` sending as holder 2 (a bystander), for the attempts C must refuse.
fn bystander(demo: &Demo) -> Result<Eth, String> {
    let key = TxKey::KeyFile(demo.holders[1].1.clone())
        .load()
        .map_err(|e| e.to_string())?;
    Eth::connect(&demo.rpc, Some(key), FeeCaps::default()).map_err(|e| e.to_string())
}

/// Simulates `call` on the vault as a bystander: C must refuse it with `error`.
fn refused<C: SolCall>(demo: &Demo, call: &C, value: U256, error: &str) -> Result<String, String> {
    let eth = bystander(demo)?;
    let vault = demo.deployment.vault();
    match super::runtime()?.block_on(eth.prepare_call("Vault", vault, call, value)) {
        Ok(_) => Err(format!("C would accept {}", C::SIGNATURE)),
        Err(e) => {
            let said = e.to_string();
            if said.contains(error) {
                Ok(said)
            } else {
                Err(format!(
                    "expected C to refuse with {error}, it said: {said}"
                ))
            }
        }
    }
}

/// The network validator outside C that double-votes in `slashing`.
const SLASHED_VALIDATOR: u64 = 1;

fn slashing(demo: &mut Demo) -> Result<(), String> {
    demo.watch.phase(
        "slashing: a network validator double-votes and is slashed; B is made to, and its P refuses",
    );
    let b = demo
        .watch
        .record()
        .validators
        .iter()
        .find(|v| v.name == "B")
        .and_then(|v| v.index)
        .ok_or("validator B has no index")?;
    demo.watch
        .track("network 1", &SLASHED_VALIDATOR.to_string());
    demo.set_faults(&[], &[SLASHED_VALIDATOR, b])?;
    demo.watch.say(
        "double votes",
        None,
        format!(
            "the devnet's validator client makes network validator {SLASHED_VALIDATOR} and \
             validator B sign a second, conflicting attestation at their next duty"
        ),
    );
    let log = demo.out.join("logs").join("devnet.log");
    let refusal = demo.watch.wait_for("B's P's refusal", WAIT, |_| {
        super::json_lines(&log)
            .into_iter()
            .find(|line| line["message"] == "a signer refused a duty" && line["validator"] == b)
    })?;
    demo.watch.say(
        "P refused",
        Some("B"),
        format!(
            "B's P refuses to sign the conflicting attestation: {}",
            refusal["reason"].as_str().unwrap_or("(no reason given)")
        ),
    );
    demo.watch
        .wait_for("network validator 1's slashing", WAIT, |r| {
            r.validators
                .iter()
                .find(|v| v.name == "network 1")
                .and_then(|v| v.status.as_deref())
                .filter(|s| is_slashed(s))
                .map(|_| ())
        })?;
    demo.set_faults(&[], &[])
}

fn healthy_eject(demo: &mut Demo) -> Result<(), String> {
    demo.watch
        .phase("healthy eject: someone asks C to eject validator B, which is healthy");
    let (index, id) = {
        let record = demo.watch.record();
        let b = record
            .validators
            .iter()
            .find(|v| v.name == "B")
            .ok_or("no validator B")?;
        (
            b.index.ok_or("B has no index")?,
            b.position.ok_or("B has no position")?,
        )
    };
    let proof = demo.cast.json(
        "holder 2",
        &[
            "prove",
            "validator",
            "--beacon-url",
            &demo.beacon,
            "--network",
            &demo.config,
            "--index",
            &index.to_string(),
            "--parts",
            "all",
        ],
    )?;
    let timestamp = proof["timestamp"]
        .as_u64()
        .ok_or_else(|| format!("lsv prove gave no timestamp: {proof}"))?;
    let bytes: Bytes = proof["proof"]
        .as_str()
        .and_then(|p| p.parse().ok())
        .ok_or_else(|| format!("lsv prove gave no proof: {proof}"))?;
    let fee = U256::from(1_000u64);
    let call = Vault::ejectCall {
        positionId: U256::from(id),
        timestamp: U256::from(timestamp),
        proof: bytes,
        maxFee: fee,
    };
    let said = refused(demo, &call, fee, "NotEjectable")?;
    demo.watch.say(
        "healthy-eject refused",
        Some("B"),
        format!(
            "C refuses to eject validator B at {:.4} ETH on a valid proof: {said}",
            proof["proves"]["balance_gwei"].as_u64().unwrap_or(0) as f64 / 1e9
        ),
    );
    Ok(())
}

fn offline(demo: &mut Demo, story: Story) -> Result<(), String> {
    demo.watch
        .phase("offline: operator C's machine goes down; the keeper ejects its validator");
    let c = demo.position_of("C").ok_or("validator C has no position")?;
    if let Some(p) = demo.operator_mut("C").p.as_mut() {
        p.kill();
    }
    demo.watch.say(
        "offline",
        Some("C"),
        "operator C's machine goes down (its P is killed): validator C misses every duty from now on"
            .into(),
    );
    if story.leak {
        demo.set_faults(&LEAK_VALIDATORS, &[])?;
        // One of them followed too (the beacon API takes an index where a key goes).
        demo.watch.track("network 0", "0");
        let start = demo.watch.epoch();
        demo.watch.say(
            "leak",
            None,
            format!(
                "four of the network's validators go offline too: 5 of 12, more than a third; \
                 finality stops and the offline validators leak for {LEAK_EPOCHS} epochs"
            ),
        );
        demo.watch.wait_for("the leak's epochs", WAIT, |r| {
            r.samples
                .last()
                .filter(|s| s.epoch >= start + LEAK_EPOCHS)
                .map(|_| ())
        })?;
        demo.set_faults(&[], &[])?;
        demo.watch.say(
            "leak over",
            None,
            "the network's four validators come back: finality can resume".into(),
        );
    }
    if story.p_restart {
        let before = demo.balance_of("B");
        demo.restart_p("B")?;
        demo.watch.say(
            "P restarted",
            Some("B"),
            format!(
                "operator B's P is stopped and started again (validator B at {:.4} ETH)",
                before as f64 / 1e9
            ),
        );
    }
    demo.watch
        .wait_for("the keeper's ejection of C", WAIT, |r| {
            r.logs("Ejected")
                .find(|e| e.position == Some(c))
                .map(|_| ())
        })
}

/// The normal story's redemption: holder 1 redeems 62 sETH, the keeper demands an exit; D
/// exits on its own. The positions that exit.
fn redemption_and_exit(demo: &mut Demo) -> Result<Vec<u64>, String> {
    demo.watch.phase(
        "redemption: holder 1 redeems 62 sETH; the queue's demand makes the keeper exit a position",
    );
    let (h1_name, h1_key) = demo.holders[0].clone();
    demo.on_chain(
        &h1_name,
        &["redeem", "62"],
        &["--key-file", path_str(&h1_key)],
    )?;
    let demanded = demo.watch.wait_for("a demand exit", WAIT, |r| {
        r.logs("DemandExit").find_map(|e| e.position)
    })?;

    demo.watch
        .phase("voluntary exit: operator D exits; P signs the exit");
    let d = demo.position_of("D").ok_or("validator D has no position")?;
    let o = demo.operator("D");
    demo.cast.run(
        "operator D",
        &[
            "exit",
            "--pubkey",
            &o.pubkey,
            "--p-url",
            &o.url,
            "--beacon-url",
            &demo.beacon,
            "--network",
            &demo.config,
        ],
    )?;
    demo.watch.say(
        "exit",
        Some("D"),
        "operator D's voluntary exit, signed by its P, is submitted to the beacon node".into(),
    );
    let c = demo.position_of("C").ok_or("validator C has no position")?;
    Ok(vec![c, demanded, d])
}

/// The bank run: both holders redeem everything at once; the keeper must demand the exit of
/// every live position. The positions that exit.
fn bank_run(demo: &mut Demo) -> Result<Vec<u64>, String> {
    demo.watch
        .phase("bank run: every holder redeems all its sETH at once");
    for (name, key) in demo.holders.clone() {
        demo.on_chain(&name, &["redeem", "all"], &["--key-file", path_str(&key)])?;
    }
    let ids: Vec<u64> = ["A", "B", "C", "D"]
        .iter()
        .map(|n| demo.position_of(n).ok_or(format!("{n} has no position")))
        .collect::<Result<_, _>>()?;
    let c = ids[2];
    demo.watch
        .wait_for("demand exits of every live position", WAIT, |r| {
            ids.iter()
                .filter(|id| **id != c)
                .all(|id| r.logs("DemandExit").any(|e| e.position == Some(*id)))
                .then_some(())
        })?;
    Ok(ids)
}

fn withdrawals(demo: &mut Demo, story: Story, exited: &[u64]) -> Result<(), String> {
    demo.watch.phase(
        "withdrawals: the exited validators are swept; the keeper settles them and finalizes the queue",
    );
    if story.keeper_restart {
        demo.watch
            .wait_for("the keeper's first settlement", WAIT * 2, |r| {
                r.logs("Settled").next().map(|_| ())
            })?;
        demo.restart_keeper()?;
        demo.watch.say(
            "keeper restarted",
            None,
            "the keeper is killed (SIGKILL) right after its first settlement and started again on \
             its journal"
                .into(),
        );
    }
    demo.watch.wait_for("every settlement", WAIT * 2, |r| {
        exited
            .iter()
            .all(|id| r.logs("Settled").any(|e| e.position == Some(*id)))
            .then_some(())
    })?;
    let last_request = demo
        .watch
        .record()
        .logs("RedeemRequested")
        .filter_map(|e| e.block)
        .max()
        .unwrap_or(0);
    demo.watch
        .wait_for("every request to be finalized", WAIT, |r| {
            r.samples
                .last()
                .filter(|s| s.block > last_request && s.queue_open.0.is_zero())
                .map(|_| ())
        })
}

fn claims(demo: &mut Demo, exited: &[u64]) -> Result<(), String> {
    demo.watch
        .phase("claims: the holders are paid; each owner claims the residual");
    let redeemers: Vec<String> = {
        let record = demo.watch.record();
        record
            .logs("RedeemRequested")
            .filter_map(|e| e.actor.clone())
            .collect()
    };
    for (name, key) in demo.holders.clone() {
        if redeemers.contains(&name) {
            demo.on_chain(
                &name,
                &["claim-redemption"],
                &["--key-file", path_str(&key)],
            )?;
        }
    }
    for &id in exited {
        let owner = demo
            .watch
            .record()
            .validators
            .iter()
            .find(|v| v.position == Some(id))
            .map(|v| v.name.clone())
            .ok_or_else(|| format!("no validator of position {id}"))?;
        let o = demo.operator(&owner);
        demo.on_chain(
            &format!("operator {owner}"),
            &["claim", &id.to_string()],
            &["--key-file", path_str(&o.key_file)],
        )?;
    }
    Ok(())
}

/// The keeper's first settlement sent again, by a bystander: C must refuse it.
fn replay(demo: &mut Demo) -> Result<(), String> {
    demo.watch
        .phase("replay: a bystander sends the keeper's settlement again, proof and all");
    let (tx, id) = {
        let record = demo.watch.record();
        let settled = record.logs("Settled").next().ok_or("nothing settled")?;
        (
            settled.tx.ok_or("a settlement without its transaction")?,
            settled.position,
        )
    };
    let eth = bystander(demo)?;
    let sent = super::runtime()?
        .block_on(eth.provider().get_transaction_by_hash(tx))
        .map_err(|e| format!("eth_getTransactionByHash: {e}"))?
        .ok_or("the settlement's transaction is gone")?;
    let input = alloy::consensus::Transaction::input(&sent);
    let call = Vault::settleCall::abi_decode(input).map_err(|e| e.to_string())?;
    let said = refused(demo, &call, U256::ZERO, "InvalidPositionStatus")?;
    demo.watch.say(
        "replay refused",
        None,
        format!(
            "C refuses the settlement of position {} sent again: {said}",
            id.unwrap_or_default()
        ),
    );
    Ok(())
}

/// What the leak must have done: stopped finality; and when C was ejected, how far C and
/// backing had fallen.
fn leak_checks(record: &Record, c: Option<u64>) -> Vec<Check> {
    let (Some(start), Some(end)) = (told(record, "leak"), told(record, "leak over")) else {
        return vec![Check::new(
            "the leak ran",
            false,
            "it did not start and end".into(),
        )];
    };
    let gap = record
        .samples
        .iter()
        .map(|s| s.epoch.saturating_sub(s.finalized_epoch))
        .max()
        .unwrap_or(0);
    let mut checks = vec![Check::new(
        "finality stopped during the leak (epochs since the last finalized one)",
        gap + 4 >= LEAK_EPOCHS,
        format!(
            "offline from epoch {} to epoch {}; at most {gap} epochs without finality",
            start.epoch, end.epoch
        ),
    )];
    let ejection = c.and_then(|c| record.logs("Ejected").find(|e| e.position == Some(c)));
    let lowest = |name: &str| {
        record
            .samples
            .iter()
            .filter_map(|s| s.balances.get(name).copied())
            .filter(|b| *b > 0)
            .min()
            .unwrap_or(0) as f64
            / 1e9
    };
    let ratio = record
        .samples
        .iter()
        .filter(|s| !s.outstanding.0.is_zero())
        .map(|s| s.measured_backing.eth() / s.outstanding.eth())
        .fold(f64::INFINITY, f64::min);
    let crossed = record
        .samples
        .iter()
        .find(|s| s.balances.get("C").is_some_and(|b| *b < 31_990_000_000))
        .map(|s| s.epoch);
    checks.push(Check::new(
        "the keeper ejected C during the leak, proving against the head while finality stalled",
        ejection.is_some_and(|e| e.slot > start.slot && e.slot < end.slot),
        format!(
            "C fell under 31.99 ETH at epoch {}, was ejected at epoch {} (leak from epoch {} to \
             {}); C's lowest balance {:.4} ETH, the leaking network validator 0's {:.4} ETH; {}",
            crossed.map_or("-".into(), |e| e.to_string()),
            ejection.map_or("-".into(), |e| e.epoch.to_string()),
            start.epoch,
            end.epoch,
            lowest("C"),
            lowest("network 0"),
            if ratio >= 1.0 {
                "backing never fell below the sETH outstanding: every balance stayed above its \
                 debt"
                    .to_owned()
            } else {
                format!("backing fell to {ratio:.4} of the sETH outstanding")
            }
        ),
    ));
    checks
}

/// Whether a beacon API validator status is one of a slashed validator's.
fn is_slashed(status: &str) -> bool {
    matches!(status, "active_slashed" | "exited_slashed")
}

/// The story event of `kind`, if it was told.
fn told<'a>(record: &'a Record, kind: &str) -> Option<&'a Event> {
    record
        .events
        .iter()
        .find(|e| e.source == "story" && e.kind == kind)
}

/// What the story must have done, read from the record and the run's transactions.
pub(crate) fn checks(
    record: &Record,
    sent: &[SentTx],
    keeper: Address,
    story: Story,
) -> Vec<Check> {
    let mut checks = Vec::new();
    let joined = record.logs("Joined").count();
    checks.push(Check::new(
        "four validators joined C, 31 sETH each",
        joined == 4,
        format!("{joined} Joined events"),
    ));
    let position = |name: &str| {
        record
            .validators
            .iter()
            .find(|v| v.name == name)
            .and_then(|v| v.position)
    };
    let ejection =
        position("C").and_then(|c| record.logs("Ejected").find(|e| e.position == Some(c)));
    let lowest_c = record
        .samples
        .iter()
        .filter_map(|s| s.balances.get("C").copied())
        .filter(|b| *b > 0)
        .min()
        .unwrap_or(0);
    checks.push(Check::new(
        "the offline validator C was ejected by the keeper before its balance reached 31 ETH",
        ejection.is_some_and(|e| e.actor.as_deref() == Some("keeper"))
            && lowest_c >= 31_000_000_000,
        match ejection {
            Some(e) => format!(
                "{}; C's lowest balance seen {:.4} ETH",
                e.text,
                lowest_c as f64 / 1e9
            ),
            None => "no ejection of C".into(),
        },
    ));
    let demands: Vec<&Event> = record.logs("DemandExit").collect();
    let wanted = if story.bank_run { 3 } else { 1 };
    checks.push(Check::new(
        if story.bank_run {
            "the bank run made the keeper demand the exit of every other position"
        } else {
            "the queue's demand made the keeper exit a position"
        },
        demands.len() == wanted && demands.iter().all(|e| e.actor.as_deref() == Some("keeper")),
        demands
            .iter()
            .map(|e| e.text.clone())
            .collect::<Vec<_>>()
            .join("; "),
    ));
    let settled: Vec<u64> = record.logs("Settled").filter_map(|e| e.position).collect();
    let exits = if story.bank_run { 4 } else { 3 };
    checks.push(Check::new(
        if story.bank_run {
            "every position was withdrawn and settled"
        } else {
            "the three exits (ejected, demanded, voluntary) were withdrawn and settled"
        },
        settled.len() == exits && position("D").is_some_and(|d| settled.contains(&d)),
        format!("positions settled: {settled:?}"),
    ));
    let redeemed: U256 = record
        .logs("RedeemRequested")
        .filter_map(|e| e.amount)
        .map(|w| w.0)
        .sum();
    let paid: U256 = record
        .logs("Claimed")
        .filter_map(|e| e.amount)
        .map(|w| w.0)
        .sum();
    let expected = if story.bank_run {
        ether(124)
    } else {
        ether(62)
    };
    checks.push(Check::new(
        "every redemption was paid at par",
        paid == expected && redeemed == expected,
        format!(
            "{} sETH redeemed, {} ETH claimed",
            Wei(redeemed).eth(),
            Wei(paid).eth()
        ),
    ));
    let residuals: Vec<&Event> = record.logs("ResidualClaimed").collect();
    checks.push(Check::new(
        "each exited position's owner claimed a residual",
        residuals.len() == exits
            && residuals
                .iter()
                .all(|e| e.amount.is_some_and(|a| !a.0.is_zero())),
        residuals
            .iter()
            .map(|e| e.text.clone())
            .collect::<Vec<_>>()
            .join("; "),
    ));
    let short: Vec<u64> = record
        .samples
        .iter()
        .filter(|s| s.measured_backing < s.outstanding)
        .map(|s| s.epoch)
        .collect();
    checks.push(Check::new(
        "sETH was fully backed at every epoch (backing measured on the beacon chain ≥ outstanding)",
        short.is_empty() && !record.samples.is_empty(),
        if short.is_empty() {
            format!("{} epochs sampled", record.samples.len())
        } else {
            format!("short at epochs {short:?}")
        },
    ));
    let keeper_name = record.name_of(keeper);
    let mine: Vec<&SentTx> = sent.iter().filter(|t| t.from == keeper_name).collect();
    let reverted = mine.iter().filter(|t| !t.succeeded).count();
    let mut duties: Vec<&str> = mine.iter().map(|t| t.duty.as_str()).collect();
    duties.sort_unstable();
    let all = duties.len();
    duties.dedup();
    let repeated = all - duties.len();
    checks.push(Check::new(
        "the keeper's transactions all succeeded, none sent twice",
        reverted == 0 && repeated == 0 && all > 0,
        format!("{all} sent, {reverted} reverted, {repeated} repeated"),
    ));
    let refusal = |kind: &str, name: &str, error: &str| {
        let event = told(record, kind);
        Check::new(
            name,
            event.is_some_and(|e| e.text.contains(error)),
            event.map_or("not tried".into(), |e| e.text.clone()),
        )
    };
    if story.forged_join {
        let mut check = refusal(
            "forged-join refused",
            "a join with a rogue P's attestation was refused",
            "AttestationInvalid",
        );
        let rogue_joined = record
            .validators
            .iter()
            .any(|v| v.name == "rogue" && v.position.is_some());
        check.passed &= !rogue_joined;
        checks.push(check);
    }
    if story.healthy_eject {
        let mut check = refusal(
            "healthy-eject refused",
            "C refused to eject a healthy validator",
            "NotEjectable",
        );
        let b_ejected =
            position("B").is_some_and(|b| record.logs("Ejected").any(|e| e.position == Some(b)));
        check.passed &= !b_ejected;
        checks.push(check);
    }
    if story.replayed_proof {
        checks.push(refusal(
            "replay refused",
            "C refused a settlement sent again",
            "InvalidPositionStatus",
        ));
    }
    if story.keeper_restart {
        let restarted = told(record, "keeper restarted");
        let finalized = record.logs("Finalized").last();
        checks.push(Check::new(
            "the keeper, killed after its first settlement, finished the work from its journal \
             (every exit settled, the queue finalized, nothing sent twice)",
            restarted.is_some() && settled.len() == exits && finalized.is_some() && repeated == 0,
            match (restarted, finalized) {
                (Some(r), Some(f)) => format!(
                    "killed and restarted at slot {}; last finalization at slot {}; {repeated} \
                     duties repeated",
                    r.slot, f.slot
                ),
                (Some(r), None) => format!("restarted at slot {}; nothing finalized", r.slot),
                _ => "not restarted".into(),
            },
        ));
    }
    if story.leak {
        checks.extend(leak_checks(record, position("C")));
    }
    if story.slashing {
        let slashed = record.events.iter().find(|e| {
            e.source == "beacon"
                && e.validator.as_deref() == Some("network 1")
                && is_slashed(&e.kind)
        });
        checks.push(Check::new(
            "the network validator outside C that double-voted was slashed",
            slashed.is_some(),
            slashed.map_or("not slashed".into(), |e| {
                format!("{} at slot {}", e.text, e.slot)
            }),
        ));
        let refused = told(record, "P refused");
        let b_slashed = record.events.iter().any(|e| {
            e.source == "beacon" && e.validator.as_deref() == Some("B") && is_slashed(&e.kind)
        });
        checks.push(Check::new(
            "B's P refused to double-sign, and B was never slashed",
            refused.is_some() && !b_slashed,
            refused.map_or("no refusal".into(), |e| e.text.clone()),
        ));
    }
    if story.p_restart {
        let restarted = told(record, "P restarted");
        let before = restarted.and_then(|r| {
            record
                .samples
                .iter()
                .rev()
                .find(|s| s.slot <= r.slot)
                .and_then(|s| s.balances.get("B").copied())
        });
        // Its highest balance after the restart (it may exit later in the story).
        let after = restarted.and_then(|r| {
            record
                .samples
                .iter()
                .filter(|s| s.slot > r.slot)
                .filter_map(|s| s.balances.get("B").copied())
                .max()
        });
        checks.push(Check::new(
            "validator B signed on after its P was restarted (its balance grew)",
            matches!((before, after), (Some(b), Some(a)) if a > b),
            format!(
                "B's balance at the restart {:.6} ETH, its highest since {:.6} ETH",
                before.unwrap_or(0) as f64 / 1e9,
                after.unwrap_or(0) as f64 / 1e9
            ),
        ));
    }
    checks
}
