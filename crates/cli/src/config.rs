//! Every flag from three places, as Web3Signer reads its options: the command line, an `LSV_*`
//! environment variable, and a YAML file (`--config-file`), in that order of precedence, then the
//! built-in default.
//!
//! - Environment: `LSV_<FLAG>` for the flags that mean the same wherever they appear
//!   ([`SHARED`]: `LSV_DATA_DIR`, `LSV_NETWORK`, `LSV_WITHDRAWAL_CONTRACT`, `LSV_LISTEN`, …), and
//!   `LSV_<COMMAND>_<FLAG>` for the others (`LSV_KEYS_GENERATE_OWNER`), so that `--out` of one
//!   command never lands in another's.
//! - File: keys are the flags' long names. A shared flag sits at the top level
//!   (`data-dir: /var/lib/lsv/hoodi`), any flag under its command (`keys: {generate: {count:
//!   4}}`, or the dotted `keys.generate.count: 4`), which wins over the top level. A key that is
//!   no flag is an error, so a typo is not silently ignored.
//!
//! A value from the file becomes the flag's default (so `--help` shows it), and is checked by
//! the same parser as the flag.

use crate::output::CliError;
use clap::Command;
use std::collections::{BTreeMap, BTreeSet};
use std::ffi::OsString;
use std::path::{Path, PathBuf};

/// Flags with one meaning in every command that has them: one environment variable each
/// (`LSV_<FLAG>`) and a top-level key in the config file.
pub(crate) const SHARED: &[&str] = &[
    "config-file",
    "log-level",
    "log-format",
    "log-file",
    "data-dir",
    "network",
    "attestation",
    "gramine-attestation-dir",
    "tdx-report-dir",
    "anchor",
    "tpm2-tcti",
    "tpm2-nv-index",
    "anchor-reserve-epochs",
    "anchor-witness",
    "anchor-witness-faults",
    "withdrawal-contract",
    "max-skew-slots",
    "init",
    "listen",
    "metrics-listen",
    "beacon-url",
    "max-state-mib",
    // chain access (deploy, holder, keeper): one node, one key, one vault for all commands
    "rpc",
    "key-file",
    "keystore",
    "password-file",
    "password-env",
    "max-fee-gwei",
    "max-priority-fee-gwei",
    "deployment",
    "vault",
];

/// The environment variable of flag `long` in the command at `path` (below the root).
pub(crate) fn env_name(path: &[String], long: &str) -> String {
    let mut name = String::from("LSV");
    if !SHARED.contains(&long) {
        for p in path {
            name.push('_');
            name.push_str(p);
        }
    }
    name.push('_');
    name.push_str(long);
    name.replace('-', "_").to_uppercase()
}

/// A config file, flattened to dotted keys (`keys.generate.count`) and their values as text.
pub(crate) struct Config {
    path: PathBuf,
    values: BTreeMap<String, String>,
}

impl Config {
    pub(crate) fn load(path: &Path) -> Result<Self, CliError> {
        let text = std::fs::read_to_string(path).map_err(|e| {
            if e.kind() == std::io::ErrorKind::NotFound {
                format!("config file {} does not exist", path.display())
            } else {
                format!("config file {}: {e}", path.display())
            }
        })?;
        let value: serde_yaml::Value = serde_yaml::from_str(&text)
            .map_err(|e| format!("config file {}: not YAML: {e}", path.display()))?;
        let mut values = BTreeMap::new();
        match value {
            serde_yaml::Value::Null => {}
            serde_yaml::Value::Mapping(_) => flatten(path, "", value, &mut values)?,
            _ => {
                return Err(format!(
                    "config file {}: expected settings (`flag-name: value` lines)",
                    path.display()
                )
                .into())
            }
        }
        Ok(Self {
            path: path.to_owned(),
            values,
        })
    }

    /// The value for flag `long` of the command at `path`: under the command first, then, for a
    /// shared flag, at the top level.
    fn lookup(&self, path: &[String], long: &str) -> Option<&String> {
        let scoped = path
            .iter()
            .map(String::as_str)
            .chain([long])
            .collect::<Vec<_>>()
            .join(".");
        self.values.get(&scoped).or_else(|| {
            SHARED
                .contains(&long)
                .then(|| self.values.get(long))
                .flatten()
        })
    }

    /// Refuses a key that names no flag.
    fn validate(&self, valid: &BTreeSet<String>) -> Result<(), CliError> {
        let unknown: Vec<&str> = self
            .values
            .keys()
            .filter(|k| !valid.contains(*k))
            .map(String::as_str)
            .collect();
        if unknown.is_empty() {
            return Ok(());
        }
        Err(format!(
            "config file {}: unknown setting(s) {}: a setting is a flag's long name, at the top \
             level for {} or under its command (`keys: {{generate: {{count: 4}}}}`)",
            self.path.display(),
            unknown.join(", "),
            SHARED
                .iter()
                .filter(|s| **s != "config-file")
                .copied()
                .collect::<Vec<_>>()
                .join(", "),
        )
        .into())
    }
}

fn flatten(
    file: &Path,
    prefix: &str,
    value: serde_yaml::Value,
    out: &mut BTreeMap<String, String>,
) -> Result<(), CliError> {
    use serde_yaml::Value;
    let bad = |key: &str, what: &str| -> CliError {
        format!("config file {}: {key}: {what}", file.display()).into()
    };
    match value {
        Value::Mapping(map) => {
            for (k, v) in map {
                let k = match k {
                    Value::String(s) => s,
                    other => return Err(bad(&format!("{other:?}"), "a key must be a name")),
                };
                let key = if prefix.is_empty() {
                    k
                } else {
                    format!("{prefix}.{k}")
                };
                flatten(file, &key, v, out)?;
            }
        }
        Value::String(s) => {
            out.insert(prefix.to_owned(), s);
        }
        Value::Number(n) => {
            out.insert(prefix.to_owned(), n.to_string());
        }
        Value::Bool(b) => {
            out.insert(prefix.to_owned(), b.to_string());
        }
        Value::Null => return Err(bad(prefix, "has no value")),
        Value::Sequence(_) | Value::Tagged(_) => {
            return Err(bad(prefix, "expected a single value"))
        }
    }
    Ok(())
}

/// Gives every flag of `cmd` and its subcommands its environment variable and, from `config`,
/// its default.
pub(crate) fn decorate(cmd: Command, config: Option<&Config>) -> Command {
    decorate_at(cmd, &mut Vec::new(), config)
}

fn decorate_at(mut cmd: Command, path: &mut Vec<String>, config: Option<&Config>) -> Command {
    let flags: Vec<(clap::Id, String)> = cmd
        .get_arguments()
        .filter_map(|a| Some((a.get_id().clone(), a.get_long()?.to_owned())))
        .filter(|(_, long)| long != "help" && long != "version")
        .collect();
    for (id, long) in flags {
        let env = env_name(path, &long);
        let from_file = config.and_then(|c| c.lookup(path, &long)).cloned();
        cmd = cmd.mut_arg(id, |a| {
            let a = a.env(env);
            // `--init` from `LSV_INIT=1` or `init: yes` as well as `true`.
            let a = if matches!(a.get_action(), clap::ArgAction::SetTrue) {
                a.value_parser(clap::builder::BoolishValueParser::new())
            } else {
                a
            };
            match from_file {
                // A value from the file is given: a flag that must be given is satisfied by it.
                Some(v) => a.default_value(v).required(false),
                None => a,
            }
        });
    }
    let subcommands: Vec<String> = cmd
        .get_subcommands()
        .map(|s| s.get_name().to_owned())
        .collect();
    for name in subcommands {
        path.push(name.clone());
        cmd = cmd.mut_subcommand(&name, |s| decorate_at(s, path, config));
        path.pop();
    }
    cmd
}

/// Every key a config file may hold for `cmd`.
fn valid_keys(cmd: &Command) -> BTreeSet<String> {
    let mut keys: BTreeSet<String> = SHARED
        .iter()
        .filter(|s| **s != "config-file")
        .map(|s| s.to_string())
        .collect();
    fn walk(cmd: &Command, path: &mut Vec<String>, keys: &mut BTreeSet<String>) {
        for a in cmd.get_arguments() {
            if let Some(long) = a.get_long() {
                if !path.is_empty() && long != "help" && long != "version" {
                    keys.insert(format!("{}.{long}", path.join(".")));
                }
            }
        }
        for s in cmd.get_subcommands() {
            path.push(s.get_name().to_owned());
            walk(s, path, keys);
            path.pop();
        }
    }
    walk(cmd, &mut Vec::new(), &mut keys);
    keys
}

/// The config file named by `--config-file` (or `LSV_CONFIG_FILE`), read before the flags are
/// parsed, since its values become their defaults.
fn config_path(args: &[OsString]) -> Option<PathBuf> {
    let mut it = args.iter().skip(1);
    while let Some(a) = it.next() {
        if a == "--" {
            break;
        }
        if a == "--config-file" {
            return it.next().map(PathBuf::from);
        }
        if let Some(v) = a.to_str().and_then(|s| s.strip_prefix("--config-file=")) {
            return Some(PathBuf::from(v));
        }
    }
    std::env::var_os("LSV_CONFIG_FILE")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
}

/// The command line as `cmd` parses it with every flag's environment variable and config-file
/// value. Usage errors (and `--help`) exit here, as clap does.
pub(crate) fn matches(cmd: Command) -> Result<clap::ArgMatches, CliError> {
    let args: Vec<OsString> = std::env::args_os().collect();
    let config = config_path(&args).map(|p| Config::load(&p)).transpose()?;
    let cmd = decorate(cmd, config.as_ref());
    if let Some(config) = &config {
        config.validate(&valid_keys(&cmd))?;
    }
    Ok(cmd.try_get_matches_from(args).unwrap_or_else(|e| e.exit()))
}
