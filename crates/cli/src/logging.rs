//! Logs: to standard error, and appended to `--log-file` if given, as text or JSON lines.

use crate::output::CliError;
use clap::ValueEnum;
use std::path::Path;
use std::sync::Arc;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer, Registry};

/// How log lines are written.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub(crate) enum LogFormat {
    /// Human-readable lines (colour on a terminal).
    Text,
    /// One JSON object per line (`timestamp`, `level`, `message`, the event's fields, `target`),
    /// for journald, Loki, Elasticsearch and the like.
    Json,
}

type Boxed = Box<dyn Layer<tracing_subscriber::layer::Layered<EnvFilter, Registry>> + Send + Sync>;

fn layer<W>(format: LogFormat, writer: W, ansi: bool) -> Boxed
where
    W: for<'w> tracing_subscriber::fmt::MakeWriter<'w> + Send + Sync + 'static,
{
    let fmt = tracing_subscriber::fmt::layer().with_writer(writer);
    match format {
        LogFormat::Text => fmt.with_ansi(ansi).boxed(),
        LogFormat::Json => fmt
            .json()
            .flatten_event(true)
            .with_current_span(false)
            .with_span_list(false)
            .boxed(),
    }
}

/// Installs the logger. `level`: `--log-level` if given; else `RUST_LOG`; else `default`.
pub(crate) fn init(
    level: Option<&str>,
    default: &str,
    format: LogFormat,
    file: Option<&Path>,
) -> Result<(), CliError> {
    let filter = match level {
        Some(l) => {
            EnvFilter::try_new(l).map_err(|e| format!("--log-level {l:?} is not a filter: {e}"))?
        }
        None => EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default)),
    };
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let mut layers = vec![layer(format, std::io::stderr, ansi)];
    if let Some(path) = file {
        let f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .map_err(|e| format!("--log-file {}: {e}", path.display()))?;
        layers.push(layer(format, Arc::new(f), false));
    }
    tracing_subscriber::registry()
        .with(filter)
        .with(layers)
        .try_init()
        .map_err(|e| format!("logging: {e}"))?;
    Ok(())
}
