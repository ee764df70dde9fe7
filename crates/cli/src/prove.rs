//! `lsv prove`: the proofs the vault takes, with the EIP-4788 timestamp to pass, from a beacon
//! node's standard API (`lsv-keeper`) or from files as that API serves them.

use clap::{Args, Subcommand, ValueEnum};
use lsv_consensus::containers::BeaconBlockHeader;
use lsv_consensus::{ForkName, Mainnet, Minimal, Network, PresetName};
use lsv_keeper::beacon::{decode_block_of, header_from_json, ClientConfig, Limits};
use lsv_keeper::prove::{
    self, eip4788_time, AnchoredProof, BuiltProof, Eip4788Time, VerifierConfig,
};
use lsv_keeper::{BeaconClient, BlockId, WithdrawalSelector};
use lsv_proofs::block::BeaconBlock;
use lsv_proofs::gloas::GloasStateProver;
use lsv_proofs::gloas_withdrawal::ProvenPayment;
use lsv_proofs::state::ssz_fork;
use lsv_proofs::{
    AnyBeaconState, ProofParts, ProvenValidator, ProvenWithdrawal, StatePreset, StateProver,
    WithdrawalDepths, WithdrawalRoute,
};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};

#[derive(Subcommand)]
pub(crate) enum ProveCommand {
    /// A validator's registry entry (and its balance, inactivity score) against a block root:
    /// for join, eject, markToProof, markSlashed, demandExit, settle.
    Validator(ValidatorArgs),
    /// A withdrawal of a block's execution payload against an anchor block root: for settle
    /// and creditWithdrawal.
    Withdrawal(WithdrawalArgs),
}

#[derive(Args)]
pub(crate) struct NodeArgs {
    /// The beacon node's standard API, plain HTTP (e.g. http://127.0.0.1:5052).
    #[arg(long)]
    beacon_url: Option<String>,
    /// The network the vault verifies for (its genesis, fork versions, Capella slot and preset):
    /// `mainnet`, `hoodi`, `sepolia`, or a devnet `config.yaml` with GENESIS_TIME and
    /// GENESIS_VALIDATORS_ROOT (and PRESET_BASE: a minimal-preset devnet's proofs differ).
    #[arg(long, default_value = "mainnet")]
    network: String,
    /// The largest state accepted from the node, in MiB.
    #[arg(long, default_value_t = 1024)]
    max_state_mib: usize,
}

#[derive(Clone, Copy, ValueEnum)]
enum Parts {
    /// Registry entry, balance and inactivity score.
    All,
    /// Registry entry and balance (join, eject on balance, markToProof).
    Balance,
    /// Registry entry and inactivity score (eject on inactivity).
    Inactivity,
    /// Registry entry only (markSlashed, markExiting, settle).
    Validator,
}

#[derive(Args)]
pub(crate) struct ValidatorArgs {
    #[command(flatten)]
    node: NodeArgs,
    /// The anchor block (a beacon-API block id: `finalized`, a slot or a 0x root). Its child
    /// must exist: the vault reads the anchor from EIP-4788 at the child's timestamp.
    #[arg(long, default_value = "finalized", conflicts_with = "state")]
    block: BlockId,
    /// The validator index.
    #[arg(long)]
    index: u64,
    /// Which parts of the validator to prove: the vault call decides (join and markToProof need
    /// the balance, eject on inactivity the score, the others the registry entry only).
    #[arg(long, value_enum, default_value_t = Parts::All)]
    parts: Parts,
    /// Instead of --beacon-url: the anchor block's post-state, SSZ
    /// (`/eth/v2/debug/beacon/states/{state_root}`, application/octet-stream).
    #[arg(long, requires = "header", conflicts_with = "beacon_url")]
    state: Option<PathBuf>,
    /// With --state: the anchor's header, JSON (`/eth/v1/beacon/headers/{block_id}`).
    #[arg(long, requires = "state")]
    header: Option<PathBuf>,
    /// With --state: the first block after the anchor, SSZ (`/eth/v2/beacon/blocks/{id}`),
    /// for the timestamp. Without it no timestamp is printed.
    #[arg(long, requires = "state")]
    child_block: Option<PathBuf>,
}

#[derive(Args)]
pub(crate) struct WithdrawalArgs {
    #[command(flatten)]
    node: NodeArgs,
    /// The anchor block (a beacon-API block id); the withdrawal's block must be at or before
    /// it. Its child must exist.
    #[arg(long, default_value = "finalized", conflicts_with = "anchor_state")]
    anchor: BlockId,
    /// The block whose payload holds the withdrawal (a beacon-API block id).
    #[arg(long, required_unless_present_any = ["block_file", "paid_state", "paid_slot"])]
    block: Option<BlockId>,
    /// The withdrawal's global index (`Withdrawal.index`).
    #[arg(
        long,
        required_unless_present = "position",
        conflicts_with = "position"
    )]
    withdrawal_index: Option<u64>,
    /// Or its position in the payload's withdrawals.
    #[arg(long)]
    position: Option<usize>,
    /// Instead of --beacon-url: the anchor's post-state, SSZ.
    #[arg(long, requires = "anchor_header", conflicts_with_all = ["beacon_url", "block"])]
    anchor_state: Option<PathBuf>,
    /// With --anchor-state: the anchor's header, JSON.
    #[arg(long, requires = "anchor_state")]
    anchor_header: Option<PathBuf>,
    /// With --anchor-state: the withdrawal's block, SSZ.
    #[arg(long, requires = "anchor_state")]
    block_file: Option<PathBuf>,
    /// With --anchor-state, for a block more than SLOTS_PER_HISTORICAL_ROOT slots (mainnet 8192,
    /// minimal 64) before the anchor: the state at the first slot of the period after the
    /// block's (its `block_roots` are the block's period).
    #[arg(long, requires = "anchor_state")]
    period_state: Option<PathBuf>,
    /// With --anchor-state: the first block after the anchor, SSZ, for the timestamp.
    #[arg(long, requires = "anchor_state")]
    child_block: Option<PathBuf>,
    /// Gloas and later (ePBS), with --anchor-state instead of --block-file: the state whose
    /// `payload_expected_withdrawals` lists the withdrawal (at --position), among the
    /// SLOTS_PER_HISTORICAL_ROOT states before the anchor, or, with --period-state (the state at
    /// the first slot of the next period), in any period the anchor's `historical_summaries`
    /// hold. The proof shows it paid: its index is below the anchor's
    /// `next_withdrawal_index − len(payload_expected_withdrawals)`.
    #[arg(long, requires_all = ["anchor_state", "position"], conflicts_with_all = ["block_file", "withdrawal_index"])]
    paid_state: Option<PathBuf>,
    /// Gloas and later, with --beacon-url instead of --block: the slot of the state whose
    /// `payload_expected_withdrawals` lists the withdrawal (at --position); the proof that it
    /// was paid, as with --paid-state.
    #[arg(long, requires_all = ["beacon_url", "position"], conflicts_with_all = ["block", "withdrawal_index"])]
    paid_slot: Option<u64>,
}

pub(crate) fn run(command: ProveCommand) -> Result<(), crate::output::CliError> {
    let out = match command {
        ProveCommand::Validator(args) => validator(args)?,
        ProveCommand::Withdrawal(args) => withdrawal(args)?,
    };
    crate::output::json(&out)
}

fn verifier_and_client(
    node: &NodeArgs,
) -> Result<(Network, VerifierConfig, Option<BeaconClient>), String> {
    let network = crate::load_network(&node.network)?;
    let verifier = VerifierConfig::of_network(&network);
    let client = match &node.beacon_url {
        None => None,
        Some(url) => {
            let config = ClientConfig {
                limits: Limits {
                    state: node.max_state_mib.saturating_mul(1 << 20),
                    ..Limits::default()
                },
                ..ClientConfig::default()
            };
            Some(BeaconClient::with_config(url, config).map_err(|e| e.to_string())?)
        }
    };
    Ok((network, verifier, client))
}

fn validator(args: ValidatorArgs) -> Result<Value, String> {
    let (network, verifier, client) = verifier_and_client(&args.node)?;
    let parts = match args.parts {
        Parts::All => ProofParts::ALL,
        Parts::Balance => ProofParts::BALANCE,
        Parts::Inactivity => ProofParts::INACTIVITY_SCORE,
        Parts::Validator => ProofParts::VALIDATOR,
    };
    let (proof, time) = match (client, &args.state, &args.header) {
        (Some(client), _, _) => {
            // The node's preset decides how its blocks and states decode (a minimal-preset
            // devnet's differ from mainnet's); a node without /eth/v1/config/spec is mainnet.
            let out = crate::runtime()
                .map_err(|_| "tokio runtime".to_owned())?
                .block_on(async {
                    let preset = prove::node_preset(&client).await?;
                    prove::prove_validator_by_preset(
                        &client, &verifier, preset, args.block, args.index, parts,
                    )
                    .await
                })
                .map_err(|e| e.to_string())?;
            (out.proof, Some(out.time))
        }
        (None, Some(state), Some(header)) if is_gloas_state(&network, state)? => {
            // The progressive layout: format 2. Its child block carries no payload, so the
            // timestamp is not read from a file here.
            let header = read_header(header)?;
            let proof = match network.preset {
                PresetName::Mainnet => prove::gloas_validator_proof(
                    &verifier,
                    &read_gloas_state::<Mainnet>(&network, state)?,
                    &header,
                    args.index,
                    parts,
                ),
                PresetName::Minimal => prove::gloas_validator_proof(
                    &verifier,
                    &read_gloas_state::<Minimal>(&network, state)?,
                    &header,
                    args.index,
                    parts,
                ),
            }
            .map_err(|e| e.to_string())?;
            (proof, None)
        }
        (None, Some(state), Some(header)) => {
            let header = read_header(header)?;
            let proof = match network.preset {
                PresetName::Mainnet => prove::validator_proof(
                    &verifier,
                    &read_state::<Mainnet>(&network, state)?,
                    &header,
                    args.index,
                    parts,
                ),
                PresetName::Minimal => prove::validator_proof(
                    &verifier,
                    &read_state::<Minimal>(&network, state)?,
                    &header,
                    args.index,
                    parts,
                ),
            }
            .map_err(|e| e.to_string())?;
            let time = child_time(&network, &proof, args.child_block.as_deref())?;
            (proof, time)
        }
        _ => return Err("give --beacon-url, or --state and --header".into()),
    };
    Ok(output(&proof, time, validator_summary(&proof.proven)))
}

fn withdrawal(args: WithdrawalArgs) -> Result<Value, String> {
    let (network, verifier, client) = verifier_and_client(&args.node)?;
    if let (Some(paid_slot), Some(client)) = (args.paid_slot, &client) {
        let position = args.position.ok_or("--paid-slot needs --position")?;
        let j = u8::try_from(position).map_err(|_| "--position is at most 15 (16 a payload)")?;
        let AnchoredProof { proof, time } = crate::runtime()
            .map_err(|_| "tokio runtime".to_owned())?
            .block_on(async {
                let slot = lsv_consensus::Slot::new(paid_slot);
                match prove::node_preset(client).await? {
                    PresetName::Mainnet => {
                        prove::prove_payment_in::<Mainnet>(client, &verifier, args.anchor, slot, j)
                            .await
                    }
                    PresetName::Minimal => {
                        prove::prove_payment_in::<Minimal>(client, &verifier, args.anchor, slot, j)
                            .await
                    }
                }
            })
            .map_err(|e| e.to_string())?;
        return Ok(output(&proof, Some(time), payment_summary(&proof.proven)));
    }
    if let (Some(paid), Some(anchor), Some(header)) =
        (&args.paid_state, &args.anchor_state, &args.anchor_header)
    {
        let position = args.position.ok_or("--paid-state needs --position")?;
        let j = u8::try_from(position).map_err(|_| "--position is at most 15 (16 a payload)")?;
        let header = read_header(header)?;
        fn prove_from_files<P: StatePreset>(
            network: &Network,
            verifier: &prove::VerifierConfig,
            (anchor, header, paid, period): (&Path, &BeaconBlockHeader, &Path, Option<&Path>),
            j: u8,
        ) -> Result<prove::BuiltProof<ProvenPayment>, String> {
            let period_roots = match period {
                Some(path) => Some(
                    read_gloas_state::<P>(network, path)?
                        .state()
                        .state_roots
                        .to_vec(),
                ),
                None => None,
            };
            prove::payment_proof(
                verifier,
                &read_gloas_state::<P>(network, anchor)?,
                header,
                &read_gloas_state::<P>(network, paid)?,
                j,
                period_roots.as_deref(),
            )
            .map_err(|e| e.to_string())
        }
        let files = (
            anchor.as_path(),
            &header,
            paid.as_path(),
            args.period_state.as_deref(),
        );
        let proof = match network.preset {
            PresetName::Mainnet => prove_from_files::<Mainnet>(&network, &verifier, files, j)?,
            PresetName::Minimal => prove_from_files::<Minimal>(&network, &verifier, files, j)?,
        };
        return Ok(output(&proof, None, payment_summary(&proof.proven)));
    }
    let which = match (args.withdrawal_index, args.position) {
        (Some(index), _) => WithdrawalSelector::Index(index),
        (None, Some(position)) => WithdrawalSelector::Position(position),
        (None, None) => return Err("give --withdrawal-index or --position".into()),
    };
    let (proof, time) = match (client, args.block, &args.anchor_state) {
        (Some(client), Some(block), _) => {
            // As for validator proofs, the node's preset decides how its blocks and states
            // decode; the verifier's (the --network's) must be the same.
            let AnchoredProof { proof, time } = crate::runtime()
                .map_err(|_| "tokio runtime".to_owned())?
                .block_on(async {
                    let preset = prove::node_preset(&client).await?;
                    prove::prove_withdrawal_by_preset(
                        &client,
                        &verifier,
                        preset,
                        args.anchor,
                        block,
                        which,
                    )
                    .await
                })
                .map_err(|e| e.to_string())?;
            (proof, Some(time))
        }
        (None, None, Some(anchor_state)) => {
            let (Some(anchor_header), Some(block_file)) = (&args.anchor_header, &args.block_file)
            else {
                return Err("--anchor-state needs --anchor-header and --block-file (or, after Gloas, --paid-state)".into());
            };
            let files = WithdrawalFiles {
                anchor_state,
                anchor_header,
                block: block_file,
                period_state: args.period_state.as_deref(),
                child_block: args.child_block.as_deref(),
            };
            match network.preset {
                PresetName::Mainnet => {
                    withdrawal_from_files::<Mainnet>(&network, &verifier, &files, which)?
                }
                PresetName::Minimal => {
                    withdrawal_from_files::<Minimal>(&network, &verifier, &files, which)?
                }
            }
        }
        (Some(_), None, _) => return Err("give --block, the withdrawal's block".into()),
        _ => {
            return Err(
                "give --beacon-url, or --anchor-state, --anchor-header and --block-file".into(),
            )
        }
    };
    Ok(output(&proof, time, withdrawal_summary(&proof.proven)))
}

/// The files a withdrawal proof is built from without a beacon node.
struct WithdrawalFiles<'a> {
    anchor_state: &'a Path,
    anchor_header: &'a Path,
    block: &'a Path,
    period_state: Option<&'a Path>,
    child_block: Option<&'a Path>,
}

/// A withdrawal proof from files, on a chain of preset `P` (the network's).
fn withdrawal_from_files<P: StatePreset>(
    network: &Network,
    verifier: &VerifierConfig,
    files: &WithdrawalFiles<'_>,
    which: WithdrawalSelector,
) -> Result<(BuiltProof<ProvenWithdrawal>, Option<Eip4788Time>), String> {
    let header = read_header(files.anchor_header)?;
    let block = read_block::<P>(files.block)?;
    let period = match files.period_state {
        Some(path) => Some(read_any_state::<P>(network, path)?.block_roots().to_vec()),
        None => None,
    };
    let slots_per_period = WithdrawalDepths::of::<P>().slots_per_historical_root();
    if WithdrawalRoute::for_slots(block.slot, header.slot, slots_per_period)
        == Some(WithdrawalRoute::HistoricalSummaries)
        && period.is_none()
    {
        return Err(format!(
            "the block is more than {slots_per_period} slots before the anchor: give --period-state, the state at slot {}",
            prove::period_state_slot(block.slot, slots_per_period)
        ));
    }
    let prover = read_state::<P>(network, files.anchor_state)?;
    let proof = prove::withdrawal_proof_in::<P>(
        verifier,
        &prover,
        header,
        &block,
        which,
        period.as_deref(),
    )
    .map_err(|e| e.to_string())?;
    let time = child_time(network, &proof, files.child_block)?;
    Ok((proof, time))
}

fn output<P>(proof: &BuiltProof<P>, time: Option<Eip4788Time>, proves: Value) -> Value {
    if time.is_none() {
        crate::output::note("note: no --child-block, so no timestamp: the vault call needs the timestamp of the first block after the anchor");
    }
    json!({
        "timestamp": time.map(|t| t.timestamp),
        "proof": format!("0x{}", hex::encode(&proof.bytes)),
        "size": proof.bytes.len(),
        "anchor": {
            "root": proof.anchor_root.to_string(),
            "slot": proof.anchor_slot.as_u64(),
        },
        "child_block": time.map(|t| json!({
            "slot": t.child_slot.as_u64(),
            "root": t.child_root.to_string(),
        })),
        "proves": proves,
    })
}

fn validator_summary(p: &ProvenValidator) -> Value {
    json!({
        "kind": "validator",
        "validator_index": p.index,
        "state_slot": p.slot.as_u64(),
        "fork_version": p.fork.current_version.to_hex(),
        "registry_length": p.registry_length,
        "validator": p.validator,
        "balance_gwei": p.balance.map(|b| b.as_u64()),
        "inactivity_score": p.inactivity_score,
    })
}

fn withdrawal_summary(p: &ProvenWithdrawal) -> Value {
    let route = match p.route {
        WithdrawalRoute::Direct => "direct",
        WithdrawalRoute::BlockRoots => "block_roots",
        WithdrawalRoute::HistoricalSummaries => "historical_summaries",
    };
    json!({
        "kind": "withdrawal",
        "withdrawal": {
            "index": p.withdrawal.index,
            "validator_index": p.withdrawal.validator_index,
            "address": p.withdrawal.address.to_string(),
            "amount_gwei": p.withdrawal.amount.as_u64(),
        },
        "position": p.position,
        "block_slot": p.slot.as_u64(),
        "block_root": p.block_root.to_string(),
        "route": route,
        "anchor_slot": p.anchor_slot.as_u64(),
        "fork_version": p.fork_version.to_hex(),
    })
}

fn payment_summary(p: &ProvenPayment) -> Value {
    json!({
        "kind": "withdrawal",
        "withdrawal": {
            "index": p.withdrawal.index,
            "validator_index": p.withdrawal.validator_index,
            "address": p.withdrawal.address.to_string(),
            "amount_gwei": p.withdrawal.amount.as_u64(),
        },
        "position": p.position,
        "listed_slot": p.slot.as_u64(),
        "listed_state_root": p.state_root.to_string(),
        "route": "paid_watermark",
        "listed_via": if p.route == lsv_proofs::gloas_withdrawal::ROUTE_HISTORICAL_SUMMARIES {
            "historical_summaries"
        } else {
            "state_roots"
        },
        "watermark": p.watermark,
        "anchor_slot": p.anchor_slot.as_u64(),
        "fork_version": p.fork_version.to_hex(),
    })
}

/// Whether the SSZ state at `path` is in `network`'s Gloas (progressive) layout, by its
/// `fork.current_version`.
fn is_gloas_state(network: &Network, path: &Path) -> Result<bool, String> {
    let mut head = vec![0u8; 64];
    use std::io::Read;
    std::fs::File::open(path)
        .and_then(|mut f| f.read_exact(&mut head))
        .map_err(|e| format!("{}: {e}", path.display()))?;
    let fork = ssz_fork(&head).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(network.fork_version(ForkName::Gloas) == Some(fork.current_version))
}

/// A Gloas-layout state of `network`, hashed.
fn read_gloas_state<P: StatePreset>(
    network: &Network,
    path: &Path,
) -> Result<GloasStateProver<P>, String> {
    if !is_gloas_state(network, path)? {
        return Err(format!(
            "{}: not a state of {}'s Gloas fork",
            path.display(),
            network.name
        ));
    }
    let prover = GloasStateProver::<P>::from_ssz_vec(read(path)?)
        .map_err(|e| format!("{}: {e}", path.display()))?;
    if prover.state().genesis_validators_root != network.genesis_validators_root {
        return Err(format!(
            "{}: the state's genesis validators root {} is not {}'s",
            path.display(),
            prover.state().genesis_validators_root,
            network.name
        ));
    }
    Ok(prover)
}

fn read(path: &Path) -> Result<Vec<u8>, String> {
    std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))
}

fn read_header(path: &Path) -> Result<BeaconBlockHeader, String> {
    header_from_json(&read(path)?).map_err(|e| format!("{}: {e}", path.display()))
}

fn read_block<P: StatePreset>(path: &Path) -> Result<BeaconBlock<P>, String> {
    // Electra and Fulu blocks share the layout; anything else fails to decode or to prove.
    decode_block_of::<P>(ForkName::Electra, &read(path)?)
        .map(|b| b.block.message)
        .map_err(|e| format!("{}: {e}", path.display()))
}

/// A state of `network` (of its preset `P`), its layout chosen from its own fork version.
fn read_any_state<P: StatePreset>(
    network: &Network,
    path: &Path,
) -> Result<AnyBeaconState<P>, String> {
    let state = AnyBeaconState::<P>::from_ssz_bytes_of_network(network, &read(path)?)
        .map_err(|e| format!("{}: {e}", path.display()))?;
    if state.genesis_validators_root() != network.genesis_validators_root {
        return Err(format!(
            "{}: the state's genesis validators root {} is not {}'s",
            path.display(),
            state.genesis_validators_root(),
            network.name
        ));
    }
    Ok(state)
}

fn read_state<P: StatePreset>(network: &Network, path: &Path) -> Result<StateProver<P>, String> {
    Ok(StateProver::new(read_any_state::<P>(network, path)?))
}

/// The timestamp from the child block file (a block of `network`'s preset), if one is given.
fn child_time<T>(
    network: &Network,
    proof: &BuiltProof<T>,
    child_block: Option<&Path>,
) -> Result<Option<Eip4788Time>, String> {
    let Some(path) = child_block else {
        return Ok(None);
    };
    match network.preset {
        PresetName::Mainnet => eip4788_time(proof.anchor_root, &read_block::<Mainnet>(path)?),
        PresetName::Minimal => eip4788_time(proof.anchor_root, &read_block::<Minimal>(path)?),
    }
    .map(Some)
    .map_err(|e| e.to_string())
}
