//! `lsv cluster`: a validator key shared across devices (DESIGN.md "Many devices").
//! `plan` prints what each threshold tolerates, for choosing `m` before a key generation.

use crate::output::{self, CliError};
use clap::{Args, Subcommand};
use lsv_attestation::multi::Tolerance;

/// `lsv cluster …`.
#[derive(Subcommand, Debug)]
pub(crate) enum ClusterCommand {
    /// For n devices, what each threshold m tolerates: the devices that may be broken with no
    /// slashable pair of signatures possible (2m − n − 1), and those that may be down with the
    /// validator still signing (n − m). m ≤ n/2 is not a threshold: two disjoint groups could
    /// sign conflicting messages with no device broken.
    Plan(PlanArgs),
}

#[derive(Args, Debug)]
pub(crate) struct PlanArgs {
    /// Devices holding a share (1–255).
    #[arg(long, value_parser = clap::value_parser!(u8).range(1..))]
    n: u8,
    /// The threshold to mark in the table (and check: it must be a majority of n).
    #[arg(long)]
    m: Option<u8>,
    /// JSON instead of the table.
    #[arg(long)]
    json: bool,
}

pub(crate) fn run(command: ClusterCommand) -> Result<(), CliError> {
    match command {
        ClusterCommand::Plan(args) => plan(args),
    }
}

fn plan(args: PlanArgs) -> Result<(), CliError> {
    let n = args.n;
    if let Some(m) = args.m {
        Tolerance::of(m, n).map_err(|e| CliError::Failed(e.to_string()))?;
    }
    let rows: Vec<(u8, Option<Tolerance>)> =
        (1..=n).map(|m| (m, Tolerance::of(m, n).ok())).collect();
    if args.json {
        let thresholds: Vec<_> = rows
            .iter()
            .map(|(m, t)| match t {
                Some(t) => serde_json::json!({
                    "m": m, "n": n, "safe": true, "broken": t.broken, "down": t.down,
                }),
                None => serde_json::json!({"m": m, "n": n, "safe": false}),
            })
            .collect();
        return output::json(&serde_json::json!({ "n": n, "m": args.m, "thresholds": thresholds }));
    }
    output::stdout(|w| {
        writeln!(w, "{:<10} {:<14} may be down", "threshold", "may be broken")?;
        for (m, t) in &rows {
            let name = format!("{m}-of-{n}");
            let row = match t {
                Some(t) => {
                    let mark = if args.m == Some(*m) { "<- --m" } else { "" };
                    format!("{name:<10} {:<14} {:<12}{mark}", t.broken, t.down)
                }
                None => format!(
                    "{name:<10} not a threshold: two groups of {m} could sign conflicting messages"
                ),
            };
            writeln!(w, "{}", row.trim_end())?;
        }
        writeln!(
            w,
            "broken: no slashable pair while at most this many devices are broken or rolled \
             back (2m - n - 1); down: the validator still signs with this many off (n - m)"
        )
    })
}
