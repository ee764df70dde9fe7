//! The demo's report: `report.html` (one self-contained page: the checks, the charts as inline
//! SVG, the timeline, gas per action, the phases), the same charts as PNG under `charts/`, and
//! `events.json` (everything watched, for machines). The charts are drawn by plotters as SVG;
//! the PNGs are those SVGs rendered by resvg with a font carried in the binary, so they look
//! the same on a machine without fonts.

use super::watch::{Record, Sample, Wei};
use alloy::consensus::Transaction as _;
use alloy::providers::Provider;
use lsv_contracts::bindings::{vault::Vault, SETH};
use lsv_keeper::deployment::Deployment;
use lsv_keeper::eth::Eth;
use plotters::prelude::*;
use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

/// An expected outcome of the scenario, checked against the chain.
#[derive(Clone, Debug, Serialize)]
pub(crate) struct Check {
    pub(crate) name: String,
    pub(crate) passed: bool,
    pub(crate) detail: String,
}

impl Check {
    pub(crate) fn new(name: &str, passed: bool, detail: String) -> Self {
        Self {
            name: name.to_owned(),
            passed,
            detail,
        }
    }
}

/// The gas of one kind of call, over the run.
#[derive(Clone, Debug, Serialize)]
pub(crate) struct GasRow {
    pub(crate) contract: String,
    pub(crate) action: String,
    pub(crate) calls: u64,
    pub(crate) reverted: u64,
    pub(crate) gas_min: u64,
    pub(crate) gas_mean: u64,
    pub(crate) gas_max: u64,
}

/// One transaction sent in the run, for the gas table and the checks.
#[derive(Clone, Debug, Serialize)]
pub(crate) struct SentTx {
    pub(crate) block: u64,
    pub(crate) from: String,
    pub(crate) contract: String,
    pub(crate) action: String,
    pub(crate) gas: u64,
    pub(crate) succeeded: bool,
    /// The call's function and first argument (a position, a request): one duty.
    pub(crate) duty: String,
}

/// Every transaction to C, sETH or the deposit contract, and C's creations, from the
/// deployment's block to the head.
pub(crate) async fn transactions(
    eth: &Eth,
    deployment: &Deployment,
    record: &Record,
) -> Result<Vec<SentTx>, String> {
    let c = &deployment.contracts;
    let head = eth.block_number().await.map_err(|e| e.to_string())?;
    let mut sent = Vec::new();
    for number in deployment.block.saturating_sub(3)..=head {
        let Some(block) = eth
            .provider()
            .get_block_by_number(number.into())
            .full()
            .await
            .map_err(|e| format!("eth_getBlockByNumber: {e}"))?
        else {
            continue;
        };
        for tx in block.transactions.txns() {
            let from = tx.inner.signer();
            let input = tx.input();
            let selector: [u8; 4] = input
                .get(..4)
                .and_then(|s| s.try_into().ok())
                .unwrap_or_default();
            let (contract, action) = match tx.to() {
                None if from == deployment.deployer => ("deployment", "create".to_owned()),
                Some(to) if to == c.vault.address => (
                    "Vault",
                    Vault::VaultCalls::name_by_selector(selector)
                        .map(|s| s.split('(').next().unwrap_or(s).to_owned())
                        .unwrap_or_else(|| "?".into()),
                ),
                Some(to) if to == c.seth.address => (
                    "sETH",
                    SETH::SETHCalls::name_by_selector(selector)
                        .map(|s| s.split('(').next().unwrap_or(s).to_owned())
                        .unwrap_or_else(|| "?".into()),
                ),
                Some(to) if to == deployment.chain.deposit_contract => {
                    ("DepositContract", "deposit".to_owned())
                }
                _ => continue,
            };
            let hash = *tx.inner.tx_hash();
            let receipt = eth
                .receipt(hash)
                .await
                .map_err(|e| e.to_string())?
                .ok_or_else(|| format!("no receipt for {hash}"))?;
            sent.push(SentTx {
                block: number,
                from: record.name_of(from),
                contract: contract.to_owned(),
                action,
                gas: receipt.gas_used,
                succeeded: receipt.status(),
                duty: duty_of(input),
            });
        }
    }
    Ok(sent)
}

/// One duty's key: the function and its subject (the first argument: a position, a request;
/// a join's validator key), but a credit is one withdrawal's, so its whole input.
fn duty_of(input: &[u8]) -> String {
    use alloy_sol_types::SolCall;
    if let Ok(join) = Vault::joinCall::abi_decode(input) {
        return format!("join {}", join.pubkey);
    }
    let whole = input.starts_with(&Vault::creditWithdrawalCall::SELECTOR)
        || input.starts_with(&Vault::creditUnattributedWithdrawalCall::SELECTOR);
    let len = if whole {
        input.len()
    } else {
        input.len().min(4 + 32)
    };
    alloy::hex::encode(&input[..len])
}

/// The gas table: per contract and action, over `sent`.
pub(crate) fn gas_table(sent: &[SentTx]) -> Vec<GasRow> {
    let mut groups: BTreeMap<(String, String), Vec<&SentTx>> = BTreeMap::new();
    for tx in sent {
        groups
            .entry((tx.contract.clone(), tx.action.clone()))
            .or_default()
            .push(tx);
    }
    groups
        .into_iter()
        .map(|((contract, action), txs)| {
            let gas: Vec<u64> = txs.iter().map(|t| t.gas).collect();
            GasRow {
                contract,
                action,
                calls: txs.len() as u64,
                reverted: txs.iter().filter(|t| !t.succeeded).count() as u64,
                gas_min: gas.iter().copied().min().unwrap_or(0),
                gas_mean: gas.iter().sum::<u64>() / gas.len().max(1) as u64,
                gas_max: gas.iter().copied().max().unwrap_or(0),
            }
        })
        .collect()
}

/// What `events.json` holds.
#[derive(Serialize)]
struct Document<'a> {
    scenario: &'a str,
    passed: bool,
    deployment: &'a Deployment,
    #[serde(flatten)]
    record: &'a Record,
    checks: &'a [Check],
    gas: &'a [GasRow],
    transactions: &'a [SentTx],
}

/// Everything the report is drawn from.
pub(crate) struct Report<'a> {
    pub(crate) scenario: &'a str,
    pub(crate) deployment: &'a Deployment,
    pub(crate) record: &'a Record,
    pub(crate) checks: &'a [Check],
    pub(crate) sent: &'a [SentTx],
}

impl Report<'_> {
    fn passed(&self) -> bool {
        self.checks.iter().all(|c| c.passed)
    }

    /// Writes `report.html`, `charts/*.png` and `events.json` into `dir`.
    pub(crate) fn write(&self, dir: &Path) -> Result<(), String> {
        let gas = gas_table(self.sent);
        let charts = [
            (
                "backing",
                "sETH outstanding and the ETH backing it",
                backing_chart(&self.record.samples)?,
            ),
            (
                "balances",
                "Each validator's balance against the 31.99 ETH ejection line",
                balances_chart(&self.record.samples)?,
            ),
            (
                "queue",
                "The redemption queue",
                queue_chart(&self.record.samples)?,
            ),
            (
                "finality",
                "Finality: the epoch and the last finalized one",
                finality_chart(&self.record.samples)?,
            ),
        ];
        let chart_dir = dir.join("charts");
        std::fs::create_dir_all(&chart_dir)
            .map_err(|e| format!("cannot create {}: {e}", chart_dir.display()))?;
        for (name, _, svg) in &charts {
            let png = render_png(svg)?;
            let path = chart_dir.join(format!("{name}.png"));
            std::fs::write(&path, png)
                .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        }
        let document = Document {
            scenario: self.scenario,
            passed: self.passed(),
            deployment: self.deployment,
            record: self.record,
            checks: self.checks,
            gas: &gas,
            transactions: self.sent,
        };
        let json = serde_json::to_string_pretty(&document).map_err(|e| e.to_string())?;
        let path = dir.join("events.json");
        std::fs::write(&path, json).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        let html = self.html(&charts, &gas);
        let path = dir.join("report.html");
        std::fs::write(&path, html).map_err(|e| format!("cannot write {}: {e}", path.display()))
    }

    fn html(&self, charts: &[(&str, &str, String)], gas: &[GasRow]) -> String {
        let mut h = String::new();
        let verdict = if self.passed() { "passed" } else { "FAILED" };
        let _ = write!(
            h,
            "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
             <title>lsv demo: {scenario}</title><style>{STYLE}</style></head><body>\n\
             <h1>lsv demo — scenario <code>{scenario}</code>: {verdict}</h1>\n\
             <p>C deployed at <code>{vault}</code> on chain {chain}, \
             {spe} slots per epoch of {sps} s. Every figure below was read from the chain \
             (C's logs and views, the beacon API) while the story ran.</p>\n",
            scenario = esc(self.scenario),
            vault = self.deployment.vault(),
            chain = self.deployment.chain.chain_id,
            spe = self.deployment.chain.slots_per_epoch,
            sps = self.deployment.chain.seconds_per_slot,
        );
        h.push_str("<h2>Checks</h2>\n<table><tr><th></th><th>expected</th><th>found</th></tr>\n");
        for c in self.checks {
            let _ = writeln!(
                h,
                "<tr class=\"{}\"><td>{}</td><td>{}</td><td>{}</td></tr>",
                if c.passed { "ok" } else { "bad" },
                if c.passed { "✓" } else { "✗" },
                esc(&c.name),
                esc(&c.detail)
            );
        }
        h.push_str("</table>\n");
        for (name, title, svg) in charts {
            let _ = writeln!(
                h,
                "<h2>{}</h2>\n<figure id=\"chart-{name}\" class=\"chart\">{svg}</figure>",
                esc(title)
            );
            if *name == "backing" {
                let _ = writeln!(h, "<p id=\"finding\">{}</p>", esc(&finding(self.record)));
            }
        }
        h.push_str(
            "<h2>Timeline</h2>\n<table id=\"timeline\"><tr><th>epoch</th><th>slot</th>\
             <th>source</th><th>what happened</th><th>sent by</th><th>block</th><th>transaction</th></tr>\n",
        );
        for e in &self.record.events {
            let _ = writeln!(
                h,
                "<tr class=\"{}\"><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td><code>{}</code></td></tr>",
                e.source,
                e.epoch,
                e.slot,
                e.source,
                esc(&e.text),
                esc(e.actor.as_deref().unwrap_or("")),
                e.block.map(|b| b.to_string()).unwrap_or_default(),
                e.tx.map(|t| t.to_string()).unwrap_or_default()
            );
        }
        h.push_str("</table>\n<h2>Gas per action</h2>\n<table id=\"gas\"><tr><th>contract</th><th>action</th>\
            <th>calls</th><th>reverted</th><th>gas min</th><th>mean</th><th>max</th></tr>\n");
        for g in gas {
            let _ = writeln!(
                h,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                esc(&g.contract),
                esc(&g.action),
                g.calls,
                g.reverted,
                g.gas_min,
                g.gas_mean,
                g.gas_max
            );
        }
        h.push_str("</table>\n<h2>Phases</h2>\n<table><tr><th>phase</th><th>from slot</th><th>seconds</th></tr>\n");
        for p in &self.record.phases {
            let _ = writeln!(
                h,
                "<tr><td>{}</td><td>{}</td><td>{:.1}</td></tr>",
                esc(&p.name),
                p.from_slot,
                p.seconds
            );
        }
        h.push_str("</table>\n<p>Machine-readable: <code>events.json</code> beside this page; the charts as PNG in <code>charts/</code>; what each program logged, and every command the demo ran, in <code>logs/</code>.</p>\n</body></html>\n");
        h
    }
}

const STYLE: &str = "body{font-family:sans-serif;max-width:1100px;margin:2em auto;color:#222}\
table{border-collapse:collapse;margin:1em 0;font-size:14px}td,th{border:1px solid #ccc;\
padding:3px 8px;text-align:left}tr.ok td:first-child{color:#080}tr.bad td{background:#fdd}\
tr.story td{background:#f4f4ff}tr.beacon td{background:#f4fff4}code{font-size:12px}\
h1 code{font-size:inherit}figure.chart{margin:0}figure.chart svg{max-width:100%;height:auto}";

/// What the backing chart says, in words: how far backing fell against the sETH outstanding
/// and why (the lowest balance of a validator of C against its debt, and any stall of
/// finality, in which the keeper, proving from finalized states, cannot act).
pub(crate) fn finding(record: &Record) -> String {
    let samples = &record.samples;
    let lowest_ratio = samples
        .iter()
        .filter(|s| !s.outstanding.0.is_zero())
        .map(|s| (s.measured_backing.eth() / s.outstanding.eth(), s.epoch))
        .min_by(|a, b| a.0.total_cmp(&b.0));
    let mut words = match lowest_ratio {
        None => "No sETH was outstanding.".to_owned(),
        Some((ratio, _)) if ratio >= 1.0 => {
            "Backing measured on the beacon chain never fell below the sETH outstanding.".to_owned()
        }
        Some((ratio, epoch)) => format!(
            "Backing measured on the beacon chain fell to {ratio:.4} of the sETH outstanding \
             (epoch {epoch})."
        ),
    };
    let joined: Vec<&str> = record
        .validators
        .iter()
        .filter(|v| v.position.is_some())
        .map(|v| v.name.as_str())
        .collect();
    let lowest = samples
        .iter()
        .flat_map(|s| {
            s.balances
                .iter()
                .filter(|(name, gwei)| joined.contains(&name.as_str()) && **gwei >= GWEI_30_ETH)
                .map(move |(name, gwei)| (*gwei, name.as_str(), s.epoch))
        })
        .min();
    if let Some((gwei, name, epoch)) = lowest {
        let _ = write!(
            words,
            " The lowest balance of a validator of C before its withdrawal was {:.4} ETH \
             (validator {name}, epoch {epoch}), {} its 31 ETH debt.",
            gwei as f64 / 1e9,
            if gwei >= 31_000_000_000 {
                "above"
            } else {
                "below"
            }
        );
    }
    let stall = samples
        .iter()
        .map(|s| (s.epoch.saturating_sub(s.finalized_epoch), s.epoch))
        .max();
    if let Some((gap, epoch)) = stall.filter(|(gap, _)| *gap > 4) {
        let _ = write!(
            words,
            " Finality stalled: at epoch {epoch} the last finalized epoch was {gap} epochs back. \
             The keeper, which proves from finalized states while finality holds, proved \
             against the head meanwhile, so ejections went on through the leak."
        );
    }
    words
}

/// 30 ETH in gwei: a balance below it is a validator already (partly) withdrawn.
const GWEI_30_ETH: u64 = 30_000_000_000;

/// HTML-escaped text.
fn esc(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

const WIDTH: u32 = 1000;
const HEIGHT: u32 = 420;

/// A line chart of `series` (a name, a colour, points) over epochs, as SVG.
fn line_chart(
    caption: &str,
    y_label: &str,
    series: &[Series],
    lines: &[(String, RGBColor, f64)],
    y_range: Option<(f64, f64)>,
    legend: SeriesLabelPosition,
) -> Result<String, String> {
    let err = |e: &dyn std::fmt::Display| format!("drawing {caption}: {e}");
    let points = series.iter().flat_map(|s| s.points.iter());
    let x_max = points.clone().map(|p| p.0).fold(1.0, f64::max);
    let (y_min, y_max) = y_range.unwrap_or_else(|| {
        let top = points
            .map(|p| p.1)
            .chain(lines.iter().map(|l| l.2))
            .fold(1.0, f64::max);
        (0.0, top * 1.1)
    });
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (WIDTH, HEIGHT)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| err(&e))?;
        let mut chart = ChartBuilder::on(&root)
            .caption(caption, ("sans-serif", 20))
            .margin(12)
            .x_label_area_size(36)
            .y_label_area_size(60)
            .build_cartesian_2d(0f64..x_max, y_min..y_max)
            .map_err(|e| err(&e))?;
        chart
            .configure_mesh()
            .x_desc("epoch")
            .y_desc(y_label)
            .draw()
            .map_err(|e| err(&e))?;
        for (name, colour, y) in lines {
            let colour = *colour;
            chart
                .draw_series(LineSeries::new(
                    [(0.0, *y), (x_max, *y)],
                    colour.stroke_width(1),
                ))
                .map_err(|e| err(&e))?
                .label(name.as_str())
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], colour));
        }
        for Series {
            name,
            colour,
            width,
            points,
        } in series
        {
            let (colour, width) = (*colour, *width);
            // A gap where a series has no point for an epoch (a validator not yet, or no
            // longer, on the beacon chain): drawn as separate runs.
            let mut runs: Vec<Vec<(f64, f64)>> = Vec::new();
            for &(x, y) in points {
                match runs.last_mut() {
                    Some(run) if run.last().is_some_and(|l| x - l.0 <= 1.0) => run.push((x, y)),
                    _ => runs.push(vec![(x, y)]),
                }
            }
            for (i, run) in runs.into_iter().enumerate() {
                let drawn = chart
                    .draw_series(LineSeries::new(run, colour.stroke_width(width)))
                    .map_err(|e| err(&e))?;
                if i == 0 {
                    drawn.label(name.as_str()).legend(move |(x, y)| {
                        PathElement::new(vec![(x, y), (x + 20, y)], colour.stroke_width(width))
                    });
                }
            }
        }
        chart
            .configure_series_labels()
            .position(legend)
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK)
            .draw()
            .map_err(|e| err(&e))?;
        root.present().map_err(|e| err(&e))?;
    }
    Ok(svg)
}

/// One line of a chart.
struct Series {
    name: String,
    colour: RGBColor,
    width: u32,
    points: Vec<(f64, f64)>,
}

impl Series {
    fn new(name: &str, colour: RGBColor, points: Vec<(f64, f64)>) -> Self {
        Self {
            name: name.to_owned(),
            colour,
            width: 2,
            points,
        }
    }

    /// Drawn wider, so that a line drawn over it leaves it visible.
    fn wide(mut self) -> Self {
        self.width = 6;
        self
    }
}

const PALETTE: [RGBColor; 8] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(127, 127, 127),
];

fn series_of(samples: &[Sample], value: impl Fn(&Sample) -> Wei) -> Vec<(f64, f64)> {
    samples
        .iter()
        .map(|s| (s.epoch as f64, value(s).eth()))
        .collect()
}

fn backing_chart(samples: &[Sample]) -> Result<String, String> {
    line_chart(
        "sETH outstanding vs the ETH backing it",
        "ETH",
        &[
            Series::new(
                "collateral: live validators' whole balances + ETH held for sETH",
                PALETTE[7],
                series_of(samples, |s| s.collateral),
            ),
            Series::new(
                "sETH outstanding",
                PALETTE[3],
                series_of(samples, |s| s.outstanding),
            )
            .wide(),
            Series::new(
                "backing measured on the beacon chain (each validator up to its debt)",
                PALETTE[2],
                series_of(samples, |s| s.measured_backing),
            ),
            Series::new(
                "backing in C's books",
                PALETTE[0],
                series_of(samples, |s| s.booked_backing),
            ),
        ],
        &[],
        None,
        SeriesLabelPosition::LowerRight,
    )
}

fn balances_chart(samples: &[Sample]) -> Result<String, String> {
    let mut by_name: BTreeMap<&str, Vec<(f64, f64)>> = BTreeMap::new();
    for s in samples {
        for (name, gwei) in &s.balances {
            // Only while the validator holds its stake: not once withdrawn.
            if *gwei >= GWEI_30_ETH {
                by_name
                    .entry(name)
                    .or_default()
                    .push((s.epoch as f64, *gwei as f64 / 1e9));
            }
        }
    }
    let series: Vec<Series> = by_name
        .into_iter()
        .enumerate()
        .map(|(i, (name, points))| {
            Series::new(
                &format!("validator {name}"),
                PALETTE[i % PALETTE.len()],
                points,
            )
        })
        .collect();
    let balances = series.iter().flat_map(|s| s.points.iter().map(|p| p.1));
    let top = balances.clone().fold(EJECT_BELOW + 0.02, f64::max);
    let bottom = balances.fold(EJECT_BELOW - 0.01, f64::min);
    let margin = (top - bottom) * 0.08;
    line_chart(
        "Each validator's balance against the 31.99 ETH ejection line",
        "ETH",
        &series,
        &[("ejected below 31.99 ETH".into(), BLACK, EJECT_BELOW)],
        Some((bottom - margin, top + margin)),
        // Balances start at 32 ETH once the validators are in: the lower left stays empty.
        SeriesLabelPosition::LowerLeft,
    )
}

/// `EJECT_BELOW_GWEI` of the vault, in ETH.
const EJECT_BELOW: f64 = 31.99;

fn queue_chart(samples: &[Sample]) -> Result<String, String> {
    line_chart(
        "The redemption queue",
        "ETH",
        &[
            Series::new(
                "sETH waiting in the queue",
                PALETTE[1],
                series_of(samples, |s| s.queue_open),
            ),
            Series::new(
                "ETH reserved for finalized requests",
                PALETTE[4],
                series_of(samples, |s| s.reserved),
            ),
            Series::new(
                "ETH held by C",
                PALETTE[0],
                series_of(samples, |s| s.vault_eth),
            ),
        ],
        &[],
        None,
        SeriesLabelPosition::LowerRight,
    )
}

fn finality_chart(samples: &[Sample]) -> Result<String, String> {
    let epochs = |f: fn(&Sample) -> u64| -> Vec<(f64, f64)> {
        samples
            .iter()
            .map(|s| (s.epoch as f64, f(s) as f64))
            .collect()
    };
    line_chart(
        "Finality: the epoch and the last finalized one",
        "epoch",
        &[
            Series::new("epoch", PALETTE[7], epochs(|s| s.epoch)),
            Series::new("finalized epoch", PALETTE[2], epochs(|s| s.finalized_epoch)),
        ],
        &[],
        None,
        SeriesLabelPosition::LowerRight,
    )
}

/// `svg` rendered to PNG, its text in the font carried in the binary (the demo's charts and
/// `lsv sim`'s).
pub(crate) fn render_png(svg: &str) -> Result<Vec<u8>, String> {
    use resvg::{tiny_skia, usvg};
    static FONT: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans.ttf");
    let mut options = usvg::Options::default();
    options.fontdb_mut().load_font_data(FONT.to_vec());
    options.fontdb_mut().set_sans_serif_family("DejaVu Sans");
    options.font_family = "DejaVu Sans".into();
    let tree = usvg::Tree::from_str(svg, &options).map_err(|e| format!("a chart's SVG: {e}"))?;
    let size = tree.size().to_int_size();
    let mut pixmap =
        tiny_skia::Pixmap::new(size.width(), size.height()).ok_or("a chart of no size")?;
    resvg::render(&tree, tiny_skia::Transform::default(), &mut pixmap.as_mut());
    pixmap.encode_png().map_err(|e| format!("PNG: {e}"))
}
