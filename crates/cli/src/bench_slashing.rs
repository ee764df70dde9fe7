//! `lsv bench slashing`: the slashing-protection database at scale. A deterministic EIP-3076
//! "complete" interchange (keys × (attestations + blocks), every record with its signing root)
//! goes through `lsv slashing import`, `export` and `prune`, each run as its own process so that
//! its time and peak memory (`VmHWM`) are its own; the database's size is read after each.

use crate::output::{self, CliError};
use crate::{datadir, DataArgs, Format};
use clap::Args;
use lsv_consensus::{Network, B256};
use lsv_enclave::Policy;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

#[derive(Args)]
pub(crate) struct SlashingBenchArgs {
    /// Keys in the generated interchange.
    #[arg(long, default_value_t = 10_000)]
    keys: usize,
    /// Signed attestations per key.
    #[arg(long, default_value_t = 1_000)]
    attestations: usize,
    /// Signed blocks per key.
    #[arg(long, default_value_t = 10)]
    blocks: usize,
    /// Keep the generated interchange at this path (to import the same file into another
    /// client); a temporary file otherwise.
    #[arg(long, value_name = "FILE")]
    interchange: Option<PathBuf>,
}

/// One phase of the benchmark, run by the benchmark in a child process of its own.
#[derive(Args)]
pub(crate) struct PhaseArgs {
    /// The phase: import, export or prune.
    #[arg(value_enum)]
    phase: Phase,
    /// The benchmark's data directory (P made there by the benchmark before the import).
    #[arg(long, value_name = "DIR")]
    data_dir: PathBuf,
    /// The interchange to import, or the file to export to.
    #[arg(long, value_name = "FILE")]
    file: PathBuf,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum Phase {
    Import,
    Export,
    Prune,
}

/// The mainnet genesis validators root: the network the phases open P on.
fn gvr() -> B256 {
    Network::mainnet().genesis_validators_root
}

pub(crate) fn slashing(args: SlashingBenchArgs) -> Result<(), CliError> {
    if args.keys == 0 {
        return Err("--keys must be positive".into());
    }
    let dir = crate::bench::tempdir()?;
    let result = run(&args, &dir);
    let _ = std::fs::remove_dir_all(&dir);
    result
}

/// Each line of the report is printed as its phase ends (the run takes a minute at the
/// defaults), through [`output::line`]: a closed standard output stops the benchmark quietly.
fn run(args: &SlashingBenchArgs, dir: &Path) -> Result<(), CliError> {
    let file = args
        .interchange
        .clone()
        .unwrap_or_else(|| dir.join("interchange.json"));
    let t = Instant::now();
    let out = std::fs::File::create(&file).map_err(|e| format!("{}: {e}", file.display()))?;
    let records = write_interchange(
        std::io::BufWriter::with_capacity(1 << 20, out),
        gvr(),
        args.keys,
        args.attestations,
        args.blocks,
    )
    .map_err(|e| format!("{}: {e}", file.display()))?;
    let file_bytes = size(&file);
    output::line(&format!(
        "interchange: {} keys x ({} attestations + {} blocks) = {records} records, {}, generated in {:.1} s ({})",
        args.keys,
        args.attestations,
        args.blocks,
        mb(file_bytes),
        t.elapsed().as_secs_f64(),
        file.display()
    ))?;

    // A new P to import into, made as `--init` makes one (import refuses a directory without
    // P), then closed: each phase opens it in its own process.
    let data_dir = dir.join("data");
    let data = DataArgs::for_bench(data_dir.clone());
    crate::open_p(
        &data,
        Policy::new(Network::mainnet(), None),
        datadir::Use::Create { init: true },
        crate::ONE_SIGNER,
    )?
    .shutdown();
    let db = lsv_enclave::DataDir::new(&data_dir).slashing_db();
    let import = phase(Phase::Import, &data_dir, &file)?;
    output::line(&format!(
        "import: {:.2} s ({:.2} s CPU), peak memory {}; database {}, WAL {}",
        import.seconds,
        import.cpu_seconds,
        mb(import.peak_rss_bytes),
        mb(size(&db)),
        wal(&db)
    ))?;
    let exported = dir.join("export.json");
    let export = phase(Phase::Export, &data_dir, &exported)?;
    output::line(&format!(
        "export (complete): {:.2} s ({:.2} s CPU), peak memory {}; {} written; WAL {}",
        export.seconds,
        export.cpu_seconds,
        mb(export.peak_rss_bytes),
        mb(size(&exported)),
        wal(&db)
    ))?;
    let prune = phase(Phase::Prune, &data_dir, &exported)?;
    output::line(&format!(
        "prune: {:.2} s ({:.2} s CPU), peak memory {}; database {}, WAL {}",
        prune.seconds,
        prune.cpu_seconds,
        mb(prune.peak_rss_bytes),
        mb(size(&db)),
        wal(&db)
    ))
}

/// What a phase's process reported.
struct PhaseResult {
    seconds: f64,
    cpu_seconds: f64,
    peak_rss_bytes: u64,
}

/// Runs `phase` in a child process (this binary, `bench slashing-phase`) and reads its report.
fn phase(phase: Phase, data_dir: &Path, file: &Path) -> Result<PhaseResult, CliError> {
    let name = match phase {
        Phase::Import => "import",
        Phase::Export => "export",
        Phase::Prune => "prune",
    };
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let out = Command::new(exe)
        .args(["bench", "slashing-phase", name, "--data-dir"])
        .arg(data_dir)
        .arg("--file")
        .arg(file)
        .env("RUST_LOG", "warn")
        .stdin(std::process::Stdio::null())
        .output()
        .map_err(|e| e.to_string())?;
    if !out.status.success() {
        return Err(CliError::Failed(format!(
            "{name} failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        )));
    }
    let report = String::from_utf8_lossy(&out.stdout);
    let field = |key: &str| -> Result<f64, String> {
        report
            .split_whitespace()
            .find_map(|w| w.strip_prefix(key)?.strip_prefix('='))
            .and_then(|v| v.parse().ok())
            .ok_or_else(|| format!("{name}: no {key} in {report:?}"))
    };
    Ok(PhaseResult {
        seconds: field("seconds")?,
        cpu_seconds: field("cpu_seconds")?,
        peak_rss_bytes: field("peak_rss_kb")? as u64 * 1024,
    })
}

/// The child side: runs one phase exactly as `lsv slashing import|export|prune` does, then
/// reports its time and this process's peak resident memory.
pub(crate) fn run_phase(args: PhaseArgs) -> Result<(), CliError> {
    let data = DataArgs::for_bench(args.data_dir);
    let t = Instant::now();
    match args.phase {
        Phase::Import => {
            crate::slashing_import(&data, &args.file)?;
        }
        Phase::Export => {
            crate::slashing_export(&data, Format::Complete, Some(&args.file))?;
        }
        Phase::Prune => {
            crate::slashing_prune(&data)?;
        }
    }
    let seconds = t.elapsed().as_secs_f64();
    output::line(&format!(
        "seconds={seconds:.3} cpu_seconds={:.3} peak_rss_kb={}",
        cpu_seconds().unwrap_or(0.0),
        peak_rss_kb().unwrap_or(0)
    ))
}

/// CPU time this process has used so far, user and system (Linux `/proc/self/stat`, in clock
/// ticks of 1/100 s).
fn cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // The fields after the command name, which is in parentheses and may hold spaces.
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    let ticks: u64 = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    Some(ticks as f64 / 100.0)
}

/// This process's peak resident set (`VmHWM`), in KiB (Linux).
fn peak_rss_kb() -> Option<u64> {
    proc_status_kb("VmHWM:")
}

/// A `kB` line of `/proc/self/status`.
fn proc_status_kb(key: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix(key))?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

fn size(path: &Path) -> u64 {
    std::fs::metadata(path).map(|m| m.len()).unwrap_or(0)
}

fn wal(db: &Path) -> String {
    let mut path = db.as_os_str().to_owned();
    path.push("-wal");
    match std::fs::metadata(&path) {
        Ok(m) => mb(m.len()),
        Err(_) => "none".into(),
    }
}

fn mb(bytes: u64) -> String {
    if bytes >= 10 << 20 {
        format!("{:.0} MB", bytes as f64 / 1e6)
    } else {
        format!("{:.2} MB", bytes as f64 / 1e6)
    }
}

/// A deterministic EIP-3076 "complete" interchange for `gvr`: `keys` real BLS public keys (from
/// fixed seeds), each with `attestations` attestations (source = target - 1, consecutive
/// targets) and `blocks` blocks, every record with a pseudo-random signing root. One record per
/// line. Returns the number of records.
fn write_interchange(
    mut out: impl Write,
    gvr: B256,
    keys: usize,
    attestations: usize,
    blocks: usize,
) -> std::io::Result<u64> {
    write!(
        out,
        "{{\n  \"metadata\": {{\n    \"interchange_format_version\": \"5\",\n    \"genesis_validators_root\": \"{gvr:#x}\"\n  }},\n  \"data\": ["
    )?;
    let mut records = 0u64;
    let mut rng = SplitMix(0x5eed);
    let mut root = [0u8; 66];
    root[..2].copy_from_slice(b"0x");
    let mut next_root = |rng: &mut SplitMix| {
        let mut bytes = [0u8; 32];
        for chunk in bytes.chunks_exact_mut(8) {
            chunk.copy_from_slice(&rng.next().to_le_bytes());
        }
        hex::encode_to_slice(bytes, &mut root[2..]).expect("66 bytes hold 32 in hex");
        root
    };
    for k in 0..keys {
        let mut ikm = [0u8; 32];
        ikm[..8].copy_from_slice(&(k as u64).to_le_bytes());
        let sk =
            blst::min_pk::SecretKey::key_gen(&ikm, b"lsv bench slashing").expect("32 bytes of ikm");
        let pubkey = hex::encode(sk.sk_to_pk().compress());
        // Keys at different points in time, all well below today's mainnet epoch.
        let first_target = 200_000 + (k as u64 % 1_000) * 37;
        write!(
            out,
            "{}\n    {{\n      \"pubkey\": \"0x{pubkey}\",\n      \"signed_blocks\": [",
            if k == 0 { "" } else { "," }
        )?;
        for b in 0..blocks {
            let slot = first_target * 32 + b as u64 * 1_000;
            let root = next_root(&mut rng);
            write!(
                out,
                "{}\n  {{\"slot\":\"{slot}\",\"signing_root\":\"{}\"}}",
                if b == 0 { "" } else { "," },
                std::str::from_utf8(&root).expect("hex")
            )?;
        }
        write!(out, "\n      ],\n      \"signed_attestations\": [")?;
        for a in 0..attestations {
            let target = first_target + a as u64;
            let root = next_root(&mut rng);
            write!(
                out,
                "{}\n  {{\"source_epoch\":\"{}\",\"target_epoch\":\"{target}\",\"signing_root\":\"{}\"}}",
                if a == 0 { "" } else { "," },
                target - 1,
                std::str::from_utf8(&root).expect("hex")
            )?;
        }
        write!(out, "\n      ]\n    }}")?;
        records += (attestations + blocks) as u64;
    }
    writeln!(out, "\n  ]\n}}")?;
    out.flush()?;
    Ok(records)
}

/// SplitMix64: a fixed, seedable sequence for the generated roots.
struct SplitMix(u64);

impl SplitMix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
}
