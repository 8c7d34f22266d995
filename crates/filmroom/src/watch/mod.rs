//! `filmroom watch`: a folder of recordings kept in step with a server. The
//! folder is polled rather than watched through OS notifications: polling
//! behaves the same on every system, on network shares and in WSL, where
//! notifications are missed, and a poll every second costs nothing beside
//! a game. A file is sent once it has stopped changing for the stability
//! window *and* is as long as its own header declares (a replay states its
//! length), so a file the game is still writing is never sent half-done.
//! What was sent is remembered by content hash ([`state`]); the sending
//! itself, with its retries, is [`upload`].

pub mod state;
pub mod upload;

use std::collections::HashMap;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime};

use anyhow::Context;
use filmroom_domain::{DeclaredLength, RECOGNITION_HEAD_BYTES, Registry};
use indicatif::{ProgressBar, ProgressStyle};
use sha2::{Digest, Sha256};

use state::{Sent, State};
use upload::{Outcome, Uploader};

/// How deep the folder is searched (RL keeps replays in one folder; a
/// little depth allows per-season subfolders without walking a whole disk).
const MAX_DEPTH: usize = 4;

/// The largest file read to check and send; a server refuses more anyway.
const MAX_FILE_BYTES: u64 = 64 * 1024 * 1024;

pub struct Options {
    pub dir: PathBuf,
    pub extensions: Vec<String>,
    pub stable: Duration,
    pub poll: Duration,
    /// Files already in the folder at start are left alone (until they change).
    pub skip_existing: bool,
}

/// Where a file stands, from the watcher's last look.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// Seen at this size and time; sent once it has stayed so long enough.
    Settling,
    /// Dealt with (sent, skipped or refused): looked at again only if it changes.
    Settled,
}

struct Tracked {
    size: u64,
    modified: Option<SystemTime>,
    since: Instant,
    phase: Phase,
}

/// Progress for people: a spinner on a terminal, one line per event otherwise.
struct Report {
    bar: Option<ProgressBar>,
}

impl Report {
    fn new() -> Self {
        let bar = std::io::stderr().is_terminal().then(|| {
            let bar = ProgressBar::new_spinner();
            if let Ok(style) = ProgressStyle::with_template("{spinner} {msg}") {
                bar.set_style(style);
            }
            bar.enable_steady_tick(Duration::from_millis(200));
            bar
        });
        Self { bar }
    }

    fn line(&self, text: &str) {
        match &self.bar {
            Some(bar) => bar.println(text),
            None => println!("{text}"),
        }
    }

    fn status(&self, text: &str) {
        if let Some(bar) = &self.bar {
            bar.set_message(text.to_owned());
        }
    }
}

pub struct Watcher {
    options: Options,
    domains: Registry,
    uploader: Uploader,
    state: State,
    tracked: HashMap<PathBuf, Tracked>,
    report: Report,
    sent: u64,
}

impl Watcher {
    pub fn new(options: Options, domains: Registry, uploader: Uploader, state: State) -> Self {
        Self {
            options,
            domains,
            uploader,
            state,
            tracked: HashMap::new(),
            report: Report::new(),
            sent: 0,
        }
    }

    /// Watches until the process is stopped; returns only on an error no
    /// retry can mend (an unreadable folder, a refused token).
    pub async fn run(mut self) -> anyhow::Result<()> {
        if !self.options.dir.is_dir() {
            anyhow::bail!("{} is not a folder", self.options.dir.display());
        }
        if self.options.skip_existing {
            for (path, size, modified) in self.files()? {
                self.tracked.insert(
                    path,
                    Tracked {
                        size,
                        modified,
                        since: Instant::now(),
                        phase: Phase::Settled,
                    },
                );
            }
        }
        self.report.line(&format!(
            "watching {} (sending to the server once a file is stable for {} ms)",
            self.options.dir.display(),
            self.options.stable.as_millis()
        ));
        loop {
            self.poll().await?;
            self.report.status(&format!(
                "watching {}: {} sent",
                self.options.dir.display(),
                self.sent
            ));
            tokio::time::sleep(self.options.poll).await;
        }
    }

    async fn poll(&mut self) -> anyhow::Result<()> {
        let now = Instant::now();
        let files = self.files()?;
        // A file moved away is forgotten; should it come back, it is looked
        // at afresh (and its hash still stops a second send).
        let present: std::collections::HashSet<&PathBuf> =
            files.iter().map(|(p, _, _)| p).collect();
        self.tracked.retain(|path, _| present.contains(path));
        for (path, size, modified) in files {
            let name = display_name(&self.options.dir, &path);
            let changed = match self.tracked.get(&path) {
                Some(t) => t.size != size || t.modified != modified,
                None => true,
            };
            if changed {
                self.report.line(&format!("waiting {name} ({size} bytes)"));
                self.tracked.insert(
                    path,
                    Tracked {
                        size,
                        modified,
                        since: now,
                        phase: Phase::Settling,
                    },
                );
                continue;
            }
            let Some(tracked) = self.tracked.get(&path) else {
                continue;
            };
            if tracked.phase == Phase::Settled
                || now.duration_since(tracked.since) < self.options.stable
            {
                continue;
            }
            let phase = self.settle(&path, &name, size).await?;
            if let Some(t) = self.tracked.get_mut(&path) {
                t.phase = phase;
            }
        }
        Ok(())
    }

    /// A file that stopped changing: checked, then sent unless it was before.
    async fn settle(&mut self, path: &Path, name: &str, size: u64) -> anyhow::Result<Phase> {
        if size > MAX_FILE_BYTES {
            self.report.line(&format!(
                "skipping {name} ({size} bytes): too large to be a recording"
            ));
            return Ok(Phase::Settled);
        }
        let bytes = match std::fs::read(path) {
            Ok(bytes) => bytes,
            // Gone or locked by the game: look again at the next change.
            Err(error) => {
                self.report
                    .line(&format!("cannot read {name} yet ({error}); will retry"));
                return Ok(Phase::Settling);
            }
        };
        let head = bytes.get(..RECOGNITION_HEAD_BYTES).unwrap_or(&bytes);
        let file_name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let Some(domain) = self.domains.recognize(&file_name, head) else {
            self.report.line(&format!(
                "skipping {name} ({} bytes): not a recording this server analyses",
                bytes.len()
            ));
            return Ok(Phase::Settled);
        };
        match domain.declared_length(&bytes) {
            Ok(DeclaredLength::Bytes(declared)) if declared == bytes.len() as u64 => {}
            Ok(DeclaredLength::Unstated) => {}
            Ok(DeclaredLength::Bytes(declared)) => {
                self.report.line(&format!(
                    "incomplete {name} ({} bytes of {declared}): waiting for the rest",
                    bytes.len()
                ));
                return Ok(Phase::Settled);
            }
            Ok(DeclaredLength::NeedMore) => {
                self.report.line(&format!(
                    "incomplete {name} ({} bytes): waiting for the rest",
                    bytes.len()
                ));
                return Ok(Phase::Settled);
            }
            Err(error) => {
                self.report
                    .line(&format!("skipping {name} ({} bytes): {error}", bytes.len()));
                return Ok(Phase::Settled);
            }
        }
        let sha256 = hex(&Sha256::digest(&bytes));
        if let Some(before) = self.state.get(&sha256) {
            let what = match before {
                Sent::Sent { game_id, .. } => format!("already sent {name} (game {game_id})"),
                Sent::Refused { reason, .. } => format!("already refused {name}: {reason}"),
            };
            self.report.line(&what);
            return Ok(Phase::Settled);
        }
        let report = &self.report;
        let outcome = self
            .uploader
            .send(&file_name, &bytes, |reason, wait| {
                report.line(&format!(
                    "retrying {name} in {:.1} s: {reason}",
                    wait.as_secs_f64()
                ));
            })
            .await?;
        let record = match outcome {
            Outcome::Taken { game_id } => {
                self.sent += 1;
                self.report.line(&format!(
                    "sent {name} ({} bytes) -> game {game_id}",
                    bytes.len()
                ));
                Sent::Sent {
                    file: name.to_owned(),
                    game_id,
                }
            }
            Outcome::Refused { reason } => {
                self.report.line(&format!("refused {name}: {reason}"));
                Sent::Refused {
                    file: name.to_owned(),
                    reason,
                }
            }
        };
        self.state
            .record(sha256, record)
            .context("Failed to remember what was sent")?;
        Ok(Phase::Settled)
    }

    /// The folder's files with a watched extension: path, size, modified time.
    fn files(&self) -> anyhow::Result<Vec<(PathBuf, u64, Option<SystemTime>)>> {
        let mut found = Vec::new();
        let mut folders = vec![(self.options.dir.clone(), 0usize)];
        while let Some((folder, depth)) = folders.pop() {
            let entries = match std::fs::read_dir(&folder) {
                Ok(entries) => entries,
                // The watched folder itself must be readable; a subfolder
                // that is not is simply not watched.
                Err(error) if depth == 0 => {
                    return Err(error)
                        .with_context(|| format!("Failed to list {}", folder.display()));
                }
                Err(_) => continue,
            };
            for entry in entries.flatten() {
                let path = entry.path();
                let Ok(meta) = entry.metadata() else { continue };
                if meta.is_dir() {
                    if depth + 1 < MAX_DEPTH {
                        folders.push((path, depth + 1));
                    }
                } else if meta.is_file() && self.watched(&path) {
                    found.push((path, meta.len(), meta.modified().ok()));
                }
            }
        }
        found.sort();
        Ok(found)
    }

    fn watched(&self, path: &Path) -> bool {
        path.extension()
            .map(|e| e.to_string_lossy().to_lowercase())
            .is_some_and(|e| self.options.extensions.contains(&e))
    }
}

/// The path as shown to people: relative to the watched folder.
fn display_name(dir: &Path, path: &Path) -> String {
    path.strip_prefix(dir).unwrap_or(path).display().to_string()
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(out, "{b:02x}");
    }
    out
}
