//! The demo's cast: `lsv` itself run as the separate programs a real deployment has (the devnet,
//! each operator's P, the keeper) and as the commands people type (`lsv deploy`, `lsv join`,
//! ...). Every command line is written to `logs/commands.log` with what it answered, so that a
//! reader can see, and repeat, exactly what the story did.

use std::fs::File;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Runs `lsv` commands and starts `lsv` services, logging into `logs`.
pub(crate) struct Cast {
    exe: PathBuf,
    logs: PathBuf,
    commands: Mutex<File>,
}

impl Cast {
    /// `lsv` is this very executable; logs go to `logs` (created).
    pub(crate) fn new(logs: &Path) -> Result<Self, String> {
        let exe = std::env::current_exe().map_err(|e| format!("where lsv is: {e}"))?;
        std::fs::create_dir_all(logs)
            .map_err(|e| format!("cannot create {}: {e}", logs.display()))?;
        let path = logs.join("commands.log");
        let commands =
            File::create(&path).map_err(|e| format!("cannot create {}: {e}", path.display()))?;
        Ok(Self {
            exe,
            logs: logs.to_owned(),
            commands: Mutex::new(commands),
        })
    }

    /// Runs `lsv args…` to its end (a command that prints JSON: `--json` given, or its only
    /// output); its standard output parsed. A failure carries the command's own error.
    pub(crate) fn json(&self, who: &str, args: &[&str]) -> Result<serde_json::Value, String> {
        let stdout = self.run(who, args)?;
        serde_json::from_str(stdout.trim()).map_err(|e| {
            format!(
                "{who}: `lsv {}` printed no JSON ({e}): {}",
                args.first().copied().unwrap_or_default(),
                stdout.trim()
            )
        })
    }

    /// Runs `lsv args…` to its end; its standard output. A failure carries the command's own
    /// error.
    pub(crate) fn run(&self, who: &str, args: &[&str]) -> Result<String, String> {
        let started = Instant::now();
        let out = Command::new(&self.exe)
            .args(args)
            .env("RUST_LOG", "warn")
            .stdin(Stdio::null())
            .output()
            .map_err(|e| format!("cannot run {}: {e}", self.exe.display()))?;
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        if let Ok(mut log) = self.commands.lock() {
            // The log is for reading: a failure to write it is not the story's failure.
            let _ = writeln!(
                log,
                "# {who}, {:.1} s, {}\nlsv {}\n{}{}",
                started.elapsed().as_secs_f64(),
                out.status,
                args.join(" "),
                stdout,
                stderr
            );
        }
        if !out.status.success() {
            let said = stderr.trim();
            return Err(format!(
                "{who}: `lsv {}` failed: {}",
                args.first().copied().unwrap_or_default(),
                said.lines().last().unwrap_or("(nothing said)")
            ));
        }
        Ok(stdout.into_owned())
    }

    /// Starts `lsv args…` as a long-running service; its output goes to `logs/<name>.log`.
    pub(crate) fn start(&self, name: &str, args: &[&str]) -> Result<Service, String> {
        let (child, log) = self.spawn(name, args, false)?;
        Ok(Service {
            name: name.to_owned(),
            child,
            log,
        })
    }

    /// Starts `lsv args…` and reads the first `lines` lines it prints (a banner) before its
    /// output goes to the log like any service's.
    pub(crate) fn start_with_banner(
        &self,
        name: &str,
        args: &[&str],
        lines: usize,
    ) -> Result<(Service, Vec<String>), String> {
        let (mut child, log) = self.spawn(name, args, true)?;
        let mut stdout = BufReader::new(child.stdout.take().ok_or("no standard output")?);
        let mut banner = Vec::new();
        for _ in 0..lines {
            let mut line = String::new();
            match stdout.read_line(&mut line) {
                Ok(n) if n > 0 => banner.push(line.trim_end().to_owned()),
                _ => {
                    let mut service = Service {
                        name: name.to_owned(),
                        child,
                        log,
                    };
                    service.stop();
                    return Err(format!(
                        "{name} stopped before it was ready: {}",
                        service.last_lines()
                    ));
                }
            }
        }
        let copy = log.clone();
        std::thread::spawn(move || {
            let Ok(mut file) = std::fs::OpenOptions::new().append(true).open(copy) else {
                return;
            };
            for line in stdout.lines() {
                let Ok(line) = line else { break };
                let _ = writeln!(file, "{line}");
            }
        });
        Ok((
            Service {
                name: name.to_owned(),
                child,
                log,
            },
            banner,
        ))
    }

    fn spawn(&self, name: &str, args: &[&str], pipe: bool) -> Result<(Child, PathBuf), String> {
        let log = self.logs.join(format!("{name}.log"));
        File::create(&log).map_err(|e| format!("cannot create {}: {e}", log.display()))?;
        // Appending, as the copier of a banner's later lines does too.
        let file = std::fs::OpenOptions::new()
            .append(true)
            .open(&log)
            .map_err(|e| format!("cannot open {}: {e}", log.display()))?;
        let stdout = if pipe {
            Stdio::piped()
        } else {
            Stdio::from(
                file.try_clone()
                    .map_err(|e| format!("{}: {e}", log.display()))?,
            )
        };
        if let Ok(mut commands) = self.commands.lock() {
            let _ = writeln!(
                commands,
                "# {name} (runs until the end)\nlsv {}\n",
                args.join(" ")
            );
        }
        let child = Command::new(&self.exe)
            .args(args)
            .env("RUST_LOG", "info")
            .stdin(Stdio::null())
            .stdout(stdout)
            .stderr(file)
            .spawn()
            .map_err(|e| format!("cannot start {name}: {e}"))?;
        Ok((child, log))
    }
}

/// A running `lsv` service; stopped (SIGINT, as Ctrl-C) when dropped.
pub(crate) struct Service {
    name: String,
    child: Child,
    log: PathBuf,
}

impl Service {
    /// Whether it is still running.
    pub(crate) fn running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// Stops it as Ctrl-C would (so that the devnet takes anvil down with it), then kills it if
    /// it has not stopped within ten seconds.
    pub(crate) fn stop(&mut self) {
        if !self.running() {
            return;
        }
        let _ = Command::new("kill")
            .args(["-INT", &self.child.id().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if !self.running() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        self.kill();
    }

    /// SIGKILL: a crash, a pulled plug.
    pub(crate) fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// The last lines of its log, for an error message.
    pub(crate) fn last_lines(&self) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        format!(
            "{} (the end of {}):\n{}",
            self.name,
            self.log.display(),
            lines[lines.len().saturating_sub(8)..].join("\n")
        )
    }
}

impl Drop for Service {
    fn drop(&mut self) {
        self.stop();
    }
}
