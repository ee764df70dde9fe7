//! `lsv demo`: the seed's whole mechanism on the embedded devnet, in one command.
//!
//! Nothing here re-implements a part: the demo is a script over the programs a real deployment
//! has, each run as its own process talking over its real interface (module [`cast`]): `lsv
//! devnet` (anvil below a spec-exact beacon chain, acting as every operator's validator client),
//! one `lsv signer` (P) per operator, `lsv keeper`, and the commands people type (`lsv deploy`,
//! `lsv keys generate`, `lsv deposit`, `lsv join`, `lsv redeem`, `lsv exit`, `lsv claim`, `lsv
//! claim-redemption`). What happened is read back from the chain ([`watch`]) and checked
//! against what the scenario expects; the report ([`report`]) is drawn from that record.
//!
//! Time: the devnet runs with one-second slots, short exit delays (`SHARD_COMMITTEE_PERIOD` 2,
//! `MIN_VALIDATOR_WITHDRAWABILITY_DELAY` 4) and its genesis far enough in the past that it can
//! replay at `--pace` slots per wall-clock second for the whole story (`lsv devnet
//! --replay-pace`): chain time runs faster than the clock, and every program sees only chain
//! time (block timestamps, the beacon API), as on a live chain.

mod cast;
mod report;
pub(crate) use report::render_png;
mod story;
mod watch;

use crate::output::CliError;
use alloy::primitives::{Address, U256};
use cast::{Cast, Service};
use clap::{Args, ValueEnum};
use lsv_contracts::bindings::SETH;
use lsv_keeper::deployment::Deployment;
use lsv_keeper::eth::{Eth, FeeCaps, TxKey};
use report::{Check, Report};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use watch::{Sources, Watch};

/// `lsv demo`.
#[derive(Args)]
pub(crate) struct DemoArgs {
    /// The story to run: `normal`, or the normal story changed by one or more of the others
    /// (comma-separated: `--scenario bank-run,keeper-restart`).
    #[arg(long, value_enum, value_delimiter = ',', default_value = "normal")]
    scenario: Vec<Scenario>,
    /// The report's folder: `report.html`, `charts/*.png`, `events.json`, `logs/`, and the
    /// run's own files (`run/`: the devnet, the Ps' data, the keeper's journal). Replaced if it
    /// holds an earlier demo's report; any other non-empty folder is refused.
    #[arg(long, value_name = "DIR", default_value = "lsv-demo")]
    out: PathBuf,
    /// At the end, leave the chain, the Ps and the keeper running and print where they are, for
    /// `lsv position`, `cast` or curl, until Ctrl-C.
    #[arg(long)]
    keep: bool,
    /// Slots per wall-clock second while the story runs (the devnet's `--replay-pace`). Each
    /// slot is a second of chain time.
    #[arg(long, value_name = "SLOTS_PER_SECOND", default_value_t = 4.0)]
    pace: f64,
}

/// The stories (module [`story`] tells them).
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum Scenario {
    /// Four operators join; one goes offline and is ejected; a holder's redemption makes the
    /// keeper demand an exit; one operator exits on their own; the exits are withdrawn,
    /// settled, redeemed at par and the residuals claimed.
    Normal,
    /// Every holder redeems everything at once: the keeper demands the exit of every position;
    /// all are paid at par.
    BankRun,
    /// A rogue P (not the deployment's attestation key) makes a key and its owner tries to join:
    /// C refuses.
    ForgedJoin,
    /// Someone asks C to eject a healthy validator, with a valid proof: C refuses.
    HealthyEject,
    /// The keeper's settlement is sent again, proof and all: C refuses.
    ReplayedProof,
    /// The keeper is killed right after its first settlement and restarted: it finishes the
    /// work and sends nothing twice.
    KeeperRestart,
    /// An operator's P is stopped and started again mid-run: its validator signs on.
    PRestart,
    /// An inactivity leak: a third of the network goes offline with operator C, finality stops
    /// for 24 epochs; how far backing falls, and whether the keeper ejects C during it.
    Leak,
    /// A network validator outside C double-votes and is slashed; operator B's validator is
    /// made to double-vote too, and B's P refuses.
    Slashing,
}

/// The scenarios' names, as `--scenario` takes them.
fn scenario_names(scenarios: &[Scenario]) -> String {
    scenarios
        .iter()
        .filter_map(|s| s.to_possible_value().map(|v| v.get_name().to_owned()))
        .collect::<Vec<_>>()
        .join(",")
}

/// The devnet's timing for the demo (flags of `lsv devnet`).
const SECONDS_PER_SLOT: &str = "1";
const SHARD_COMMITTEE_PERIOD: &str = "2";
const MIN_VALIDATOR_WITHDRAWABILITY_DELAY: &str = "4";
/// Validators held by the devnet itself (interop keys), beside the operators'.
const NETWORK_VALIDATORS: &str = "8";
/// Epochs of chain time the story may take before the chain catches up with the clock: the
/// devnet's genesis is put this far back.
const STORY_EPOCHS: u64 = 128;
/// `lsv devnet`'s banner: its line count and the labels read from it.
const DEVNET_BANNER_LINES: usize = 11;
/// The development attestation key every P of the demo's deployment shares (the stand-in for
/// a hardware vendor's root; public, like anvil's keys).
const DEV_ATTESTER_KEY: &str = "0x5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a";

/// An operator: their funded account, their P, their validator.
struct Operator {
    name: &'static str,
    key_file: PathBuf,
    address: Address,
    data_dir: PathBuf,
    url: String,
    p: Option<Service>,
    /// How its P is started (again, in `p-restart`).
    p_args: Vec<String>,
    pubkey: String,
    evidence: PathBuf,
}

/// Everything running, and where.
struct Demo {
    cast: Cast,
    watch: Watch,
    out: PathBuf,
    run: PathBuf,
    rpc: String,
    beacon: String,
    config: String,
    deployment_path: String,
    deployment: Deployment,
    operators: Vec<Operator>,
    holders: Vec<(String, PathBuf)>,
    keeper_address: Address,
    keeper_listen: String,
    keeper: Option<Service>,
    /// How the keeper is started (again, in `keeper-restart`).
    keeper_args: Vec<String>,
    devnet: Option<Service>,
    /// The rogue P's key (`forged-join`).
    rogue: Option<String>,
}

pub(crate) fn run(args: DemoArgs) -> Result<(), CliError> {
    let started = Instant::now();
    let out = prepare_out(&args.out)?;
    let cast = Cast::new(&out.join("logs"))?;
    let mut demo = set_up(cast, &out, args.pace)?;
    let set_up_seconds = started.elapsed().as_secs_f64();
    demo.watch.record().phases.push(watch::Phase {
        name: "set-up: devnet, C deployed, Ps, keeper".into(),
        seconds: set_up_seconds,
        from_slot: 0,
    });
    let scenario = scenario_names(&args.scenario);
    let story = story::Story::of(&args.scenario);
    let told = story::tell(&mut demo, story);
    demo.watch.finish()?;
    if let Err(e) = &told {
        demo.watch.record().events.push(watch::Event {
            slot: demo.watch.slot(),
            epoch: demo.watch.epoch(),
            source: "story",
            kind: "stopped".into(),
            text: format!("the story stopped: {e}"),
            position: None,
            validator: None,
            actor: None,
            block: None,
            tx: None,
            amount: None,
            index: None,
        });
    }
    let eth = Eth::connect(&demo.rpc, None, FeeCaps::default()).map_err(|e| e.to_string())?;
    let record = demo.watch.record();
    let sent = crate::runtime()?.block_on(report::transactions(&eth, &demo.deployment, &record))?;
    let mut checks = story::checks(&record, &sent, demo.keeper_address, story);
    if let Err(e) = &told {
        checks.insert(0, Check::new("the story ran to its end", false, e.clone()));
    }
    Report {
        scenario: &scenario,
        deployment: &demo.deployment,
        record: &record,
        checks: &checks,
        sent: &sent,
    }
    .write(&out)?;
    drop(record);

    println!("\nchecks ({scenario}):");
    for c in &checks {
        println!(
            "  {} {}: {}",
            if c.passed { "✓" } else { "✗" },
            c.name,
            c.detail
        );
    }
    println!("{}", report::finding(&demo.watch.record()));
    println!("phases:");
    for p in &demo.watch.record().phases {
        println!(
            "  {:>6.1} s  {} (from slot {})",
            p.seconds, p.name, p.from_slot
        );
    }
    println!(
        "report: {} (and charts/, events.json, logs/ beside it); {:.0} s in all",
        out.join("report.html").display(),
        started.elapsed().as_secs_f64()
    );
    if args.keep {
        keep_running(&demo)?;
    }
    demo.stop();
    let failed = checks.iter().filter(|c| !c.passed).count();
    if failed > 0 {
        return Err(format!(
            "scenario {scenario}: {failed} of {} checks failed (see above and the report)",
            checks.len()
        )
        .into());
    }
    Ok(())
}

/// The report folder, emptied: new, empty, or an earlier demo's (it has `events.json`).
fn prepare_out(out: &Path) -> Result<PathBuf, String> {
    if out.exists() {
        let mut entries = std::fs::read_dir(out).map_err(|e| format!("{}: {e}", out.display()))?;
        if entries.next().is_some() {
            if !out.join("events.json").exists() && !out.join("run").exists() {
                return Err(format!(
                    "{} is not empty and holds no earlier demo report: give --out a new folder",
                    out.display()
                ));
            }
            std::fs::remove_dir_all(out).map_err(|e| format!("{}: {e}", out.display()))?;
        }
    }
    std::fs::create_dir_all(out.join("run"))
        .map_err(|e| format!("cannot create {}: {e}", out.display()))?;
    std::fs::canonicalize(out).map_err(|e| format!("{}: {e}", out.display()))
}

/// A runtime for the demo's own async calls (the programs it runs have theirs).
fn runtime() -> Result<tokio::runtime::Runtime, String> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("tokio runtime: {e}"))
}

fn free_port() -> Result<u16, String> {
    reserve_port()?
        .local_addr()
        .map(|a| a.port())
        .map_err(|e| format!("no free port: {e}"))
}

/// A free loopback port, held (bound) until the listener is dropped.
fn reserve_port() -> Result<std::net::TcpListener, String> {
    std::net::TcpListener::bind("127.0.0.1:0").map_err(|e| format!("no free port: {e}"))
}

fn strs(args: &[String]) -> Vec<&str> {
    args.iter().map(String::as_str).collect()
}

fn path_str(path: &Path) -> &str {
    path.to_str().unwrap_or_default()
}

fn address_in(key_file: &Path) -> Result<Address, String> {
    TxKey::KeyFile(key_file.to_owned())
        .load()
        .map(|k| k.address())
        .map_err(|e| e.to_string())
}

/// The devnet, C deployed by `lsv deploy`, each operator's key generated in their P and the P
/// started, the keeper started, the watch started.
fn set_up(cast: Cast, out: &Path, pace: f64) -> Result<Demo, String> {
    let run = out.join("run");
    println!("── set-up ──");
    let names = ["A", "B", "C", "D"];
    // The Ps' ports stay bound here until each P starts: the devnet starts first (it must know
    // its signers' URLs) and takes ports of its own (anvil's, the beacon API's), which must not
    // be one of these.
    let reserved: Vec<std::net::TcpListener> = names
        .iter()
        .map(|_| reserve_port())
        .collect::<Result<_, _>>()?;
    let urls: Vec<String> = reserved
        .iter()
        .map(|l| {
            l.local_addr()
                .map(|a| format!("http://127.0.0.1:{}", a.port()))
        })
        .collect::<Result<_, _>>()
        .map_err(|e| e.to_string())?;
    let mut reserved = reserved.into_iter();
    let pace_arg = pace.to_string();
    let history = STORY_EPOCHS.to_string();
    let devnet_dir = run.join("devnet");
    let signers = urls.join(",");
    let (devnet, banner) = cast.start_with_banner(
        "devnet",
        &[
            "devnet",
            "--validators",
            NETWORK_VALIDATORS,
            "--p-validators",
            "0",
            "--history-epochs",
            &history,
            "--replay-pace",
            &pace_arg,
            "--seconds-per-slot",
            SECONDS_PER_SLOT,
            "--shard-committee-period",
            SHARD_COMMITTEE_PERIOD,
            "--min-validator-withdrawability-delay",
            MIN_VALIDATOR_WITHDRAWABILITY_DELAY,
            "--rpc-port",
            "0",
            "--beacon-listen",
            "127.0.0.1:0",
            "--dir",
            path_str(&devnet_dir),
            "--remote-signer",
            &signers,
            "--faults-file",
            path_str(&run.join("faults.json")),
            "--log-format",
            "json",
        ],
        DEVNET_BANNER_LINES,
    )?;
    let value = |label: &str| -> Result<String, String> {
        banner
            .iter()
            .find_map(|l| l.trim().strip_prefix(label))
            .and_then(|rest| rest.split_whitespace().next())
            .map(str::to_owned)
            .ok_or_else(|| format!("lsv devnet's banner has no {label:?}: {banner:#?}"))
    };
    let rpc = value("execution JSON-RPC")?;
    let beacon = value("beacon API")?;
    let config = value("network config")?;
    println!("  devnet: anvil at {rpc}, beacon API at {beacon}");
    let account = |n: usize| devnet_dir.join("accounts").join(format!("{n}.key"));

    // The deployer: the first operator's P made (its policy hash is what C pins), C deployed.
    let attester_key = run.join("dev-attester.key");
    std::fs::write(&attester_key, DEV_ATTESTER_KEY).map_err(|e| e.to_string())?;
    let info = cast.run(
        "deployer",
        &[
            "attestation",
            "--init",
            "--network",
            &config,
            "--data-dir",
            path_str(&run.join("p-A")),
            "--dev-attester-key-file",
            path_str(&attester_key),
        ],
    )?;
    let info_path = run.join("attestation.json");
    std::fs::write(&info_path, info).map_err(|e| e.to_string())?;
    let deployment_path = path_str(&run.join("deployment.json")).to_owned();
    cast.json(
        "deployer",
        &[
            "deploy",
            "--rpc",
            &rpc,
            "--network",
            &config,
            "--key-file",
            path_str(&account(1)),
            "--attestation-info",
            path_str(&info_path),
            "--out",
            &deployment_path,
            "--json",
        ],
    )?;
    let deployment = Deployment::read(Path::new(&deployment_path))?;
    let vault = deployment.vault().to_string();
    println!("  C deployed by `lsv deploy`: vault {vault}");

    // The actors' accounts: anvil's funded ones, named.
    let mut names_of = BTreeMap::new();
    names_of.insert(address_in(&account(1))?, "deployer".to_owned());
    let keeper_key = account(8);
    let keeper_address = address_in(&keeper_key)?;
    names_of.insert(keeper_address, "keeper".to_owned());
    let mut holders = Vec::new();
    for (i, n) in [6, 7].into_iter().enumerate() {
        let name = format!("holder {}", i + 1);
        names_of.insert(address_in(&account(n))?, name.clone());
        holders.push((name, account(n)));
    }
    let mut operators = Vec::new();
    for (i, name) in names.into_iter().enumerate() {
        let key_file = account(2 + i);
        let address = address_in(&key_file)?;
        names_of.insert(address, format!("operator {name}"));
        operators.push(Operator {
            name,
            key_file,
            address,
            data_dir: run.join(format!("p-{name}")),
            url: urls[i].clone(),
            p: None,
            p_args: Vec::new(),
            pubkey: String::new(),
            evidence: run.join(format!("{name}-evidence.json")),
        });
    }
    let mut watch = Watch::new(names_of, &deployment);

    // Each operator: a key generated in their own P (bound to C and to the operator as owner),
    // then the P started as their signer, which the devnet signs through.
    for o in &mut operators {
        o.pubkey = generate_key(
            &cast,
            &format!("operator {}", o.name),
            &KeyGeneration {
                config: &config,
                data_dir: &o.data_dir,
                vault: &vault,
                attester_key: Some(&attester_key),
                owner: o.address,
                deposit: &run.join(format!("{}-deposit.json", o.name)),
                evidence: &o.evidence,
            },
        )?;
        watch.track(o.name, &o.pubkey);
        let listen = o.url.trim_start_matches("http://").to_owned();
        o.p_args = [
            "signer",
            "--network",
            &config,
            "--data-dir",
            path_str(&o.data_dir),
            "--withdrawal-contract",
            &vault,
            "--listen",
            &listen,
            "--dev-attester-key-file",
            path_str(&attester_key),
        ]
        .map(str::to_owned)
        .to_vec();
        // Its port released just before it binds it.
        drop(reserved.next());
        o.p = Some(cast.start(&format!("p-{}", o.name), &strs(&o.p_args))?);
    }
    for o in &mut operators {
        wait_listening(&o.url, o.p.as_mut())?;
    }
    println!("  four operators' Ps started, each with a key bound to C");

    // The keeper, from the start; it joins the validators whose evidence is put in joins/.
    let joins = run.join("joins");
    std::fs::create_dir_all(&joins).map_err(|e| e.to_string())?;
    let keeper_listen = format!("127.0.0.1:{}", free_port()?);
    let keeper_args: Vec<String> = [
        "keeper",
        "--deployment",
        &deployment_path,
        "--rpc",
        &rpc,
        "--beacon-url",
        &beacon,
        "--network",
        &config,
        "--key-file",
        path_str(&keeper_key),
        "--journal",
        path_str(&run.join("keeper.sqlite")),
        "--interval",
        "1",
        "--listen",
        &keeper_listen,
        "--log-format",
        "json",
        "--join-evidence",
        path_str(&joins),
    ]
    .map(str::to_owned)
    .to_vec();
    let keeper = cast.start("keeper", &strs(&keeper_args))?;
    watch.start(Sources {
        rpc: rpc.clone(),
        beacon: beacon.clone(),
        deployment: deployment.clone(),
    });
    watch.wait_for("a first look at the chain", Duration::from_secs(30), |r| {
        r.samples.first().map(|_| ())
    })?;
    Ok(Demo {
        cast,
        watch,
        out: out.to_owned(),
        run,
        rpc,
        beacon,
        config,
        deployment_path,
        deployment,
        operators,
        holders,
        keeper_address,
        keeper_listen,
        keeper: Some(keeper),
        keeper_args,
        devnet: Some(devnet),
        rogue: None,
    })
}

/// The log lines in `path` so far that are JSON (the devnet's, for what only it saw: a
/// signer's refusal).
fn json_lines(path: &Path) -> Vec<serde_json::Value> {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    text.lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect()
}

/// What `lsv keys generate` is given.
struct KeyGeneration<'a> {
    config: &'a str,
    data_dir: &'a Path,
    vault: &'a str,
    /// The deployment's dev attestation key; none for a P that makes its own (a rogue one).
    attester_key: Option<&'a Path>,
    owner: Address,
    deposit: &'a Path,
    evidence: &'a Path,
}

/// `lsv keys generate` of one key in a new P (or the one in `data_dir`); its public key.
fn generate_key(cast: &Cast, who: &str, k: &KeyGeneration) -> Result<String, String> {
    let owner = k.owner.to_string();
    let mut args = vec![
        "keys",
        "generate",
        "--init",
        "--network",
        k.config,
        "--data-dir",
        path_str(k.data_dir),
        "--withdrawal-contract",
        k.vault,
        "--owner",
        &owner,
        "--out",
        path_str(k.deposit),
        "--attestation-out",
        path_str(k.evidence),
    ];
    if let Some(key) = k.attester_key {
        args.extend(["--dev-attester-key-file", path_str(key)]);
    }
    let printed = cast.run(who, &args)?;
    printed
        .lines()
        .next()
        .map(str::trim)
        .filter(|l| l.starts_with("0x"))
        .map(str::to_owned)
        .ok_or_else(|| format!("lsv keys generate printed no key: {printed}"))
}

/// Waits until `url` accepts connections (its service has started), or its service stopped.
fn wait_listening(url: &str, mut service: Option<&mut Service>) -> Result<(), String> {
    let address = url.trim_start_matches("http://");
    let deadline = Instant::now() + Duration::from_secs(30);
    while std::net::TcpStream::connect(address).is_err() {
        if let Some(s) = service.as_deref_mut() {
            if !s.running() {
                return Err(format!("it stopped: {}", s.last_lines()));
            }
        }
        if Instant::now() > deadline {
            return Err(format!("nothing answers at {url} after 30 s"));
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    Ok(())
}

impl Demo {
    fn operator(&self, name: &str) -> &Operator {
        self.operators
            .iter()
            .find(|o| o.name == name)
            .expect("the demo's own operator names")
    }

    fn operator_mut(&mut self, name: &str) -> &mut Operator {
        self.operators
            .iter_mut()
            .find(|o| o.name == name)
            .expect("the demo's own operator names")
    }

    /// Validator `name`'s balance at the last look, in gwei.
    fn balance_of(&self, name: &str) -> u64 {
        self.watch
            .record()
            .validators
            .iter()
            .find(|v| v.name == name)
            .map_or(0, |v| v.balance_gwei)
    }

    /// Stops operator `name`'s P (as Ctrl-C does) and starts it again on its data.
    fn restart_p(&mut self, name: &str) -> Result<(), String> {
        let o = self.operator_mut(name);
        if let Some(mut p) = o.p.take() {
            p.stop();
        }
        let args = o.p_args.clone();
        let url = o.url.clone();
        let mut p = self.cast.start(&format!("p-{name}-again"), &strs(&args))?;
        wait_listening(&url, Some(&mut p))?;
        self.operator_mut(name).p = Some(p);
        Ok(())
    }

    /// The devnet's faults (`lsv devnet --faults-file`, written whole at once): `offline`
    /// validators do nothing; those newly in `double_vote` sign a conflicting attestation once.
    fn set_faults(&self, offline: &[u64], double_vote: &[u64]) -> Result<(), String> {
        let path = self.run.join("faults.json");
        let staged = self.run.join("faults.json.new");
        let json = serde_json::json!({"offline": offline, "double_vote": double_vote});
        std::fs::write(&staged, json.to_string())
            .and_then(|()| std::fs::rename(&staged, &path))
            .map_err(|e| format!("{}: {e}", path.display()))
    }

    /// Kills the keeper (SIGKILL) and starts it again on its journal.
    fn restart_keeper(&mut self) -> Result<(), String> {
        if let Some(mut k) = self.keeper.take() {
            k.kill();
        }
        self.keeper = Some(self.cast.start("keeper-again", &strs(&self.keeper_args))?);
        Ok(())
    }

    /// `lsv <command> --deployment … --rpc … <extra>`: the arguments every chain command takes.
    fn on_chain(
        &self,
        who: &str,
        command: &[&str],
        extra: &[&str],
    ) -> Result<serde_json::Value, String> {
        let mut args: Vec<&str> = command.to_vec();
        args.extend(["--deployment", &self.deployment_path, "--rpc", &self.rpc]);
        args.extend(extra);
        args.push("--json");
        self.cast.json(who, &args)
    }

    /// The position of validator `name`, once C's logs named it.
    fn position_of(&self, name: &str) -> Option<u64> {
        self.watch
            .record()
            .validators
            .iter()
            .find(|v| v.name == name)
            .and_then(|v| v.position)
    }

    /// Sends `amount` sETH from `from`'s account to `to`: the demo's market, where operators
    /// sell what they borrowed (a plain ERC-20 transfer; lsv has no command for it).
    fn transfer_seth(&self, from: &Path, to: Address, amount: U256) -> Result<(), String> {
        let key = TxKey::KeyFile(from.to_owned())
            .load()
            .map_err(|e| e.to_string())?;
        let eth =
            Eth::connect(&self.rpc, Some(key), FeeCaps::default()).map_err(|e| e.to_string())?;
        runtime()?
            .block_on(eth.send(
                "SETH",
                self.deployment.contracts.seth.address,
                &SETH::transferCall { to, amount },
                U256::ZERO,
            ))
            .map(|_| ())
            .map_err(|e| format!("sETH transfer: {e}"))
    }

    fn stop(&mut self) {
        // The keeper and the Ps before the chain they talk to.
        drop(self.keeper.take());
        for o in &mut self.operators {
            drop(o.p.take());
        }
        drop(self.devnet.take());
    }
}

fn ether(n: u64) -> U256 {
    U256::from(n) * U256::from(10u64).pow(U256::from(18))
}

/// `--keep`: where everything is, then wait for Ctrl-C.
fn keep_running(demo: &Demo) -> Result<(), String> {
    println!("\nstill running (Ctrl-C stops everything):");
    println!("  execution JSON-RPC  {}", demo.rpc);
    println!("  beacon API          {}", demo.beacon);
    println!(
        "  keeper              http://{}/metrics, /health",
        demo.keeper_listen
    );
    for o in &demo.operators {
        if o.p.is_some() {
            println!("  operator {}'s P      {}", o.name, o.url);
        }
    }
    println!("  deployment          {}", demo.deployment_path);
    println!("  network config      {}", demo.config);
    println!(
        "  accounts' keys      {}",
        demo.run.join("devnet/accounts").display()
    );
    println!(
        "try:\n  lsv position --deployment {} --rpc {} --beacon-url {} --owner {}\n  lsv queue \
         --deployment {} --rpc {}",
        demo.deployment_path,
        demo.rpc,
        demo.beacon,
        demo.operator("B").address,
        demo.deployment_path,
        demo.rpc
    );
    runtime()?.block_on(crate::signer::stop_signal());
    Ok(())
}
