//! Everything the command line writes, through calls that return their errors: a closed pipe
//! (`lsv slashing export | head`) ends the command quietly, a full disk or a missing directory is
//! an error that names the file, and nothing panics. Output files are written whole or not at
//! all: to a temporary file beside the target, fsynced, then renamed into place.

use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// Why a command failed.
#[derive(Debug)]
pub(crate) enum CliError {
    /// Said to the user as `error: <message>`, exit status 1.
    Failed(String),
    /// Standard output was closed by its reader (`| head`): nothing more to say, exit status 0,
    /// as `head`'s own upstream commands do.
    BrokenPipe,
}

impl From<String> for CliError {
    fn from(message: String) -> Self {
        CliError::Failed(message)
    }
}

impl From<&str> for CliError {
    fn from(message: &str) -> Self {
        CliError::Failed(message.to_owned())
    }
}

/// An I/O error on `what`, with a closed pipe told apart.
pub(crate) fn io_error(what: &str, e: io::Error) -> CliError {
    if e.kind() == io::ErrorKind::BrokenPipe {
        CliError::BrokenPipe
    } else {
        CliError::Failed(format!("writing {what}: {e}"))
    }
}

/// Writes to standard output through `f`, then flushes; any error is returned, not panicked on.
pub(crate) fn stdout(f: impl FnOnce(&mut dyn Write) -> io::Result<()>) -> Result<(), CliError> {
    let out = io::stdout();
    let mut out = io::BufWriter::new(out.lock());
    f(&mut out)
        .and_then(|()| out.flush())
        .map_err(|e| io_error("standard output", e))
}

/// A writer handed on to P (its database thread streams an export through it), boxed as P
/// takes it.
pub(crate) type Stream = Box<dyn Write + Send>;

/// Streams to standard output: `f` hands the writer on and returns once everything is written
/// and flushed; memory holds one buffer, whatever the size of the output. A write error is
/// reported as [`stdout`] reports it (a closed pipe quietly), whatever `f` made of it.
pub(crate) fn stream_stdout<T, E: std::fmt::Display>(
    f: impl FnOnce(Stream) -> Result<T, E>,
) -> Result<T, CliError> {
    let (writer, failed) = Watched::new(io::stdout());
    let result = f(Box::new(io::BufWriter::with_capacity(
        STREAM_BUFFER,
        writer,
    )));
    result.map_err(|e| match failed.take() {
        Some(io) => io_error("standard output", io),
        None => CliError::Failed(e.to_string()),
    })
}

/// The buffer between a streamed output and its file or pipe.
const STREAM_BUFFER: usize = 1 << 16;

/// A writer that keeps its first I/O error, so the caller tells a closed pipe or a full disk
/// apart from any other failure of the work that wrote through it, once that work has
/// returned its own error.
struct Watched<W> {
    inner: W,
    failed: Arc<Mutex<Option<io::Error>>>,
}

/// The first I/O error a [`Watched`] writer met, if any.
struct Failed(Arc<Mutex<Option<io::Error>>>);

impl Failed {
    fn take(&self) -> Option<io::Error> {
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .take()
    }
}

impl<W> Watched<W> {
    fn new(inner: W) -> (Self, Failed) {
        let failed = Arc::new(Mutex::new(None));
        (
            Self {
                inner,
                failed: failed.clone(),
            },
            Failed(failed),
        )
    }

    fn keep<T>(&self, result: io::Result<T>) -> io::Result<T> {
        if let Err(e) = &result {
            let mut failed = self
                .failed
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            if failed.is_none() {
                *failed = Some(io::Error::new(e.kind(), e.to_string()));
            }
        }
        result
    }
}

impl<W: Write> Write for Watched<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let result = self.inner.write(buf);
        self.keep(result)
    }

    fn flush(&mut self) -> io::Result<()> {
        let result = self.inner.flush();
        self.keep(result)
    }
}

/// `text` and a newline on standard output.
pub(crate) fn line(text: &str) -> Result<(), CliError> {
    stdout(|w| writeln!(w, "{text}"))
}

/// `value` as pretty JSON and a newline on standard output, streamed (never a second copy in
/// memory).
pub(crate) fn json(value: &impl serde::Serialize) -> Result<(), CliError> {
    stdout(|w| {
        serde_json::to_writer_pretty(&mut *w, value).map_err(io::Error::from)?;
        writeln!(w)
    })
}

/// A line on standard error for the user (notes, warnings, summaries). A closed standard error
/// is ignored: it is where errors would go, and there is nowhere else to say it.
pub(crate) fn note(text: &str) {
    let _ = writeln!(io::stderr(), "{text}");
}

/// Whether an output file may replace one that exists.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Existing {
    Replace,
    /// Refuse, with this reason (e.g. deposit data of keys generated before).
    Refuse(&'static str),
}

/// An output file, checked and opened before the command does its work: its directory exists
/// and is writable (a temporary file is created in it now), and it does not exist unless it may
/// be replaced. [`OutputFile::commit_json`] writes and renames it into place; dropped
/// uncommitted, the temporary file is removed and the target is untouched.
///
/// A target that is not a regular file (`/dev/stdout`, a named pipe, a device) is written
/// directly, never replaced; a symbolic link is followed, so the file it names is replaced.
pub(crate) struct OutputFile {
    path: PathBuf,
    target: Target,
}

enum Target {
    /// Written to `tmp`, then renamed to `to`.
    Replace {
        tmp: PathBuf,
        to: PathBuf,
        file: File,
    },
    /// Written in place: a device or a pipe.
    Direct(File),
    /// Committed.
    Done,
}

impl OutputFile {
    pub(crate) fn create(path: &Path, existing: Existing) -> Result<Self, CliError> {
        let shown = path.display();
        if let Ok(meta) = std::fs::metadata(path) {
            if meta.is_dir() {
                return Err(format!("{shown} is a directory").into());
            }
            if !meta.is_file() {
                let file = OpenOptions::new()
                    .write(true)
                    .open(path)
                    .map_err(|e| format!("{shown}: {e}"))?;
                return Ok(Self {
                    path: path.to_owned(),
                    target: Target::Direct(file),
                });
            }
            if let Existing::Refuse(why) = existing {
                return Err(format!("{shown} already exists ({why})").into());
            }
        }
        // Through a symbolic link to the file it names (which may not exist yet).
        let to = match std::fs::read_link(path) {
            Ok(link) => match path.parent() {
                Some(dir) if link.is_relative() => dir.join(link),
                _ => link,
            },
            Err(_) => path.to_owned(),
        };
        let name = to
            .file_name()
            .ok_or_else(|| format!("{shown}: not a file name"))?;
        let dir = match to.parent() {
            Some(d) if !d.as_os_str().is_empty() => d.to_owned(),
            _ => PathBuf::from("."),
        };
        if !dir.is_dir() {
            return Err(format!("{shown}: the directory {} does not exist", dir.display()).into());
        }
        let tmp = dir.join(format!(
            ".{}.{}.tmp",
            name.to_string_lossy(),
            std::process::id()
        ));
        let file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&tmp)
            .map_err(|e| format!("{shown}: cannot write in {}: {e}", dir.display()))?;
        Ok(Self {
            path: path.to_owned(),
            target: Target::Replace { tmp, to, file },
        })
    }

    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    /// Streams into the file: `f` hands the writer on (to P's database thread) and returns once
    /// everything is written and flushed; memory holds one buffer, whatever the size of the
    /// output. Then, for a regular file, the file is made durable and renamed into place; if
    /// `f` fails, the target is untouched. A write error is reported as such (a closed pipe
    /// quietly), whatever `f` made of it.
    pub(crate) fn stream<T, E: std::fmt::Display>(
        mut self,
        f: impl FnOnce(Stream) -> Result<T, E>,
    ) -> Result<T, CliError> {
        let shown = self.path.display().to_string();
        let file = match &self.target {
            Target::Replace { file, .. } | Target::Direct(file) => file
                .try_clone()
                .map_err(|e| CliError::Failed(format!("{shown}: {e}")))?,
            Target::Done => return Err(CliError::Failed(format!("{shown}: already written"))),
        };
        let (writer, failed) = Watched::new(file);
        let value = f(Box::new(io::BufWriter::with_capacity(
            STREAM_BUFFER,
            writer,
        )))
        .map_err(|e| match failed.take() {
            Some(io) => io_error(&shown, io),
            None => CliError::Failed(e.to_string()),
        })?;
        match std::mem::replace(&mut self.target, Target::Done) {
            Target::Replace { tmp, to, file } => {
                let result = file.sync_all().and_then(|()| std::fs::rename(&tmp, &to));
                if result.is_err() {
                    let _ = std::fs::remove_file(&tmp);
                }
                result.map_err(|e| CliError::Failed(format!("writing {shown}: {e}")))?;
            }
            Target::Direct(_) | Target::Done => {}
        }
        Ok(value)
    }

    /// Writes `value` as pretty JSON and, for a regular file, makes it durable and renames it
    /// into place.
    pub(crate) fn commit_json(mut self, value: &impl serde::Serialize) -> Result<(), CliError> {
        let write = |file: File| -> io::Result<File> {
            let mut w = io::BufWriter::new(file);
            serde_json::to_writer_pretty(&mut w, value).map_err(io::Error::from)?;
            writeln!(w)?;
            w.into_inner().map_err(|e| e.into_error())
        };
        let shown = self.path.display().to_string();
        match std::mem::replace(&mut self.target, Target::Done) {
            Target::Replace { tmp, to, file } => {
                let result = write(file)
                    .and_then(|f| f.sync_all())
                    .and_then(|()| std::fs::rename(&tmp, &to));
                if result.is_err() {
                    let _ = std::fs::remove_file(&tmp);
                }
                result.map_err(|e| CliError::Failed(format!("writing {shown}: {e}")))
            }
            Target::Direct(file) => write(file).map(drop).map_err(|e| io_error(&shown, e)),
            Target::Done => Ok(()),
        }
    }
}

impl Drop for OutputFile {
    fn drop(&mut self) {
        if let Target::Replace { tmp, .. } = &self.target {
            let _ = std::fs::remove_file(tmp);
        }
    }
}
