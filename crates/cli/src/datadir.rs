//! Where P's data directory is, and whether a command may use or create it.
//!
//! A data directory is P's identity: its keys, its slashing record and (dev) its attestation key.
//! So no command makes one it was not asked to make: only `signer`, `keys generate` and
//! `attestation` create one, and only with `--init` (as Lighthouse's validator client wants
//! `--init-slashing-protection` before it starts a fresh slashing database); every other command
//! refuses a directory that does not hold P's data. A mistyped `--data-dir` is then an error, not
//! a new, empty P that exports an empty slashing record with exit status 0.

use crate::output::CliError;
use lsv_enclave::DataDir;
use std::path::{Path, PathBuf};

/// The data directory before the default moved out of the working directory.
const OLD_DEFAULT: &str = "lsv-data";

/// The data directory for `network` when none is given: `lsv/<network>` under the user's data
/// directory, where Lighthouse (`~/.lighthouse/<network>`) and most Linux services keep theirs:
/// `$XDG_DATA_HOME`, else `~/.local/share` (macOS: `~/Library/Application Support`). One
/// directory per network, so a P for Hoodi and a P for mainnet never share one; and outside any
/// source tree, so a `git add .` cannot commit P's secrets.
pub(crate) fn default_for(network: &str) -> Result<PathBuf, CliError> {
    let base = user_data_dir().ok_or(
        "no --data-dir given, and neither XDG_DATA_HOME nor HOME is set to find the default under",
    )?;
    let name: String = network
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "-_.".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    Ok(base.join("lsv").join(name))
}

fn user_data_dir() -> Option<PathBuf> {
    let non_empty = |k: &str| {
        std::env::var_os(k)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    };
    if cfg!(target_os = "macos") {
        return non_empty("HOME").map(|h| h.join("Library/Application Support"));
    }
    non_empty("XDG_DATA_HOME")
        .filter(|p| p.is_absolute())
        .or_else(|| non_empty("HOME").map(|h| h.join(".local/share")))
}

/// What a command does with the data directory.
#[derive(Clone, Copy)]
pub(crate) enum Use {
    /// Reads or maintains P's data: the directory must hold it.
    Existing,
    /// May make a new P there, if `init` (the user passed `--init`).
    Create { init: bool },
}

/// Checks `dir` for `usage` before anything is opened or created. `is_default`: `dir` was not
/// given, so a P at the old default (`./lsv-data`) is pointed out.
pub(crate) fn check(dir: &Path, is_default: bool, usage: Use) -> Result<(), CliError> {
    let holds_p = DataDir::new(dir).slashing_db().is_file();
    if holds_p {
        return Ok(());
    }
    let exists = dir.exists();
    if exists && !dir.is_dir() {
        return Err(format!("data directory {} is not a directory", dir.display()).into());
    }
    // Empty but for a file system's `lost+found` (a disk mounted as the data directory).
    let empty = !exists
        || std::fs::read_dir(dir)
            .map_err(|e| format!("data directory {}: {e}", dir.display()))?
            .filter_map(Result::ok)
            .all(|e| e.file_name() == "lost+found");
    let hint = old_default_hint(dir, is_default);
    match usage {
        Use::Create { init: true } if empty => Ok(()),
        Use::Create { init: true } => Err(format!(
            "{} is not empty and holds no P data (no {}): refusing to make a P among other \
             files; give --data-dir an empty or new directory{hint}",
            dir.display(),
            slashing_db_name(),
        )
        .into()),
        Use::Create { init: false } if !exists => Err(format!(
            "data directory {} does not exist: pass --init to make a new P there (new keys, a \
             new slashing-protection record), or check --data-dir{hint}",
            dir.display()
        )
        .into()),
        Use::Create { init: false } => Err(format!(
            "{} holds no P data (no {}): pass --init to make a new P there, or check \
             --data-dir{hint}",
            dir.display(),
            slashing_db_name(),
        )
        .into()),
        Use::Existing if !exists => Err(format!(
            "data directory {} does not exist: check --data-dir (a new P is made by `lsv signer \
             --init` or `lsv keys generate --init`){hint}",
            dir.display()
        )
        .into()),
        Use::Existing => Err(format!(
            "{} holds no P data (no {}): check --data-dir{hint}",
            dir.display(),
            slashing_db_name(),
        )
        .into()),
    }
}

fn slashing_db_name() -> String {
    DataDir::new("").slashing_db().display().to_string()
}

fn old_default_hint(dir: &Path, is_default: bool) -> String {
    let old = Path::new(OLD_DEFAULT);
    if is_default && dir != old && DataDir::new(old).slashing_db().is_file() {
        format!(
            "\nnote: ./{OLD_DEFAULT} holds a P (the default data directory of earlier versions); \
             pass --data-dir ./{OLD_DEFAULT} to use it, or move it to {}",
            dir.display()
        )
    } else {
        String::new()
    }
}
