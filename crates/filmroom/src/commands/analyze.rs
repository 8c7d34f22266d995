//! `filmroom analyze`: resolve the inputs, analyse them in parallel on a
//! rayon pool, emit the results in input order as they become ready, and
//! finish with a summary on stderr.

use std::collections::{BTreeMap, HashSet};
use std::fs;
use std::io::{self, BufWriter, IsTerminal, Write};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;

use anyhow::{Context, anyhow};
use filmroom_replay::{Analysis, AnalysisStatus};
use indicatif::{ProgressBar, ProgressStyle};
use rayon::prelude::*;

use super::{error_line, one_line};
use crate::inputs::{self, Input};
use crate::render::{self, csv::PlayersCsv};
use crate::{AnalyzeArgs, AnalyzeFormat};

pub fn run(args: &AnalyzeArgs) -> anyhow::Result<ExitCode> {
    let inputs = inputs::resolve(&args.paths);
    // One file named on its own prints one document; anything that may hold
    // several (a directory, several paths) always prints an array, so scripts
    // see the same shape whether a directory holds one replay or ten.
    let single = args.paths.len() == 1 && args.paths.iter().all(|p| !p.is_dir());
    let mut sink = Sink::open(args.format, args.out.as_deref(), single)?;
    // 0 lets rayon use one thread per core.
    let threads = args.jobs.map_or(0, std::num::NonZeroUsize::get);
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .context("Failed to start the analysis threads")?;
    let progress = progress_bar(inputs.len());
    let mut summary = Vec::with_capacity(inputs.len());
    let cancelled = AtomicBool::new(false);

    let emitted = std::thread::scope(|scope| -> anyhow::Result<()> {
        let (tx, rx) = mpsc::channel();
        let (inputs, pool, cancelled) = (&inputs, &pool, &cancelled);
        scope.spawn(move || {
            pool.install(|| {
                inputs
                    .par_iter()
                    .enumerate()
                    .for_each_with(tx, |tx, (index, input)| {
                        if cancelled.load(Ordering::Relaxed) {
                            return;
                        }
                        // The receiver is gone only when emitting failed: nothing to do.
                        let _ = tx.send((index, analyse(input)));
                    });
            });
        });
        // Results arrive in completion order; hold them until their turn.
        let mut pending = BTreeMap::new();
        let mut next = 0;
        for (index, outcome) in rx {
            progress.inc(1);
            pending.insert(index, outcome);
            while let Some(outcome) = pending.remove(&next) {
                let path = inputs
                    .get(next)
                    .map(|i| i.path.as_path())
                    .unwrap_or(Path::new(""));
                next += 1;
                let outcome = match outcome {
                    Ok(analysis) => match sink.emit(path, &analysis) {
                        Ok(()) => Ok(status_line(&analysis)),
                        Err(EmitError::Replay(error)) => Err(error),
                        Err(EmitError::Fatal(error)) => {
                            cancelled.store(true, Ordering::Relaxed);
                            return Err(error);
                        }
                    },
                    Err(error) => Err(error),
                };
                summary.push((path.to_path_buf(), outcome));
            }
        }
        Ok(())
    });
    progress.finish_and_clear();
    emitted?;
    sink.finish()?;
    Ok(report(&summary))
}

/// What became of one input: `Ok(None)` analysed fully, `Ok(Some(reason))`
/// degraded, `Err` failed.
type Outcome = Result<Option<String>, anyhow::Error>;

fn status_line(analysis: &Analysis) -> Option<String> {
    match &analysis.status {
        AnalysisStatus::Full => None,
        AnalysisStatus::Degraded { reason } => {
            let code = serde_json::to_value(reason.code)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_else(|| format!("{:?}", reason.code));
            Some(format!("{code}: {}", one_line(&reason.message)))
        }
    }
}

/// Prints the summary and chooses the exit code.
fn report(summary: &[(PathBuf, Outcome)]) -> ExitCode {
    let failed = summary.iter().filter(|(_, o)| o.is_err()).count();
    let degraded = summary
        .iter()
        .filter(|(_, o)| matches!(o, Ok(Some(_))))
        .count();
    let analysed = summary.len() - failed;
    let mut err = io::stderr().lock();
    // Nothing sensible is left to do if stderr itself is gone.
    let _ = writeln!(
        err,
        "analysed {analysed}, degraded {degraded}, failed {failed}"
    );
    for (path, outcome) in summary {
        let _ = match outcome {
            Err(error) => writeln!(err, "FAILED {}: {}", path.display(), error_line(error)),
            Ok(Some(reason)) => writeln!(err, "DEGRADED {}: {reason}", path.display()),
            Ok(None) => Ok(()),
        };
    }
    if failed > 0 {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

fn analyse(input: &Input) -> anyhow::Result<Analysis> {
    if let Some(problem) = &input.problem {
        return Err(anyhow!("{problem:#}"));
    }
    let bytes = inputs::read_replay(&input.path)?;
    // The engine promises not to panic; should it break that promise, one
    // bad file must not take the rest of the batch down with it.
    match catch_unwind(AssertUnwindSafe(|| filmroom_replay::analyze(&bytes))) {
        Ok(result) => Ok(result?),
        Err(_) => Err(anyhow!(
            "the replay engine crashed on this file (a bug worth reporting)"
        )),
    }
}

fn progress_bar(len: usize) -> ProgressBar {
    if !io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(u64::try_from(len).unwrap_or(u64::MAX));
    if let Ok(style) = ProgressStyle::with_template("{bar:40} {pos}/{len} replays {elapsed}") {
        bar.set_style(style);
    }
    bar
}

enum EmitError {
    /// This replay's output could not be written; the others may still be.
    Replay(anyhow::Error),
    /// The output as a whole is broken (stdout closed, disk full...).
    Fatal(anyhow::Error),
}

/// Where rendered analyses go.
enum Sink {
    /// JSON documents on stdout: one document, or an array written as it grows.
    StdoutJson {
        out: BufWriter<io::Stdout>,
        ballchasing: bool,
        array: bool,
        count: usize,
    },
    StdoutMd {
        out: BufWriter<io::Stdout>,
        count: usize,
    },
    // Boxed: the CSV writer's buffer dwarfs the other variants.
    Csv(Box<PlayersCsv<Box<dyn Write>>>),
    Dir(OutDir),
}

impl Sink {
    fn open(format: AnalyzeFormat, out: Option<&Path>, single: bool) -> anyhow::Result<Self> {
        if let Some(dir) = out {
            fs::create_dir_all(dir).with_context(|| {
                format!("Failed to create the output directory {}", dir.display())
            })?;
            if format == AnalyzeFormat::Csv {
                let path = dir.join("players.csv");
                refuse_symlink(&path)?;
                let file = fs::File::create(&path)
                    .with_context(|| format!("Failed to create {}", path.display()))?;
                let writer: Box<dyn Write> = Box::new(BufWriter::new(file));
                return Ok(Sink::Csv(Box::new(PlayersCsv::new(writer)?)));
            }
            return Ok(Sink::Dir(OutDir {
                dir: dir.to_path_buf(),
                format,
                used: HashSet::new(),
            }));
        }
        let out = BufWriter::new(io::stdout());
        Ok(match format {
            AnalyzeFormat::Json | AnalyzeFormat::Ballchasing => {
                let ballchasing = format == AnalyzeFormat::Ballchasing;
                Sink::StdoutJson {
                    out,
                    ballchasing,
                    array: !single,
                    count: 0,
                }
            }
            AnalyzeFormat::Md => Sink::StdoutMd { out, count: 0 },
            AnalyzeFormat::Csv => {
                let writer: Box<dyn Write> = Box::new(out);
                Sink::Csv(Box::new(PlayersCsv::new(writer)?))
            }
        })
    }

    fn emit(&mut self, path: &Path, analysis: &Analysis) -> Result<(), EmitError> {
        let fatal = |e: anyhow::Error| EmitError::Fatal(e.context("Failed to write the output"));
        match self {
            Sink::StdoutJson {
                out,
                ballchasing,
                array,
                count,
            } => {
                let text = json_text(analysis, *ballchasing).map_err(EmitError::Replay)?;
                let write = |out: &mut BufWriter<io::Stdout>| -> io::Result<()> {
                    if !*array {
                        return writeln!(out, "{text}");
                    }
                    out.write_all(if *count == 0 { b"[\n" } else { b",\n" })?;
                    // Indenting every line keeps the array readable and stays
                    // valid JSON: serialized strings never hold a raw newline.
                    let indented: Vec<String> = text.lines().map(|l| format!("  {l}")).collect();
                    out.write_all(indented.join("\n").as_bytes())
                };
                write(out).map_err(|e| fatal(e.into()))?;
                *count += 1;
            }
            Sink::StdoutMd { out, count } => {
                let doc = render::md::render(&path.display().to_string(), analysis);
                let separator: &[u8] = if *count == 0 { b"" } else { b"\n---\n\n" };
                out.write_all(separator)
                    .and_then(|()| out.write_all(doc.as_bytes()))
                    .map_err(|e| fatal(e.into()))?;
                *count += 1;
            }
            Sink::Csv(csv) => csv
                .write(&path.display().to_string(), analysis)
                .map_err(fatal)?,
            Sink::Dir(dir) => dir.write(path, analysis).map_err(EmitError::Replay)?,
        }
        Ok(())
    }

    fn finish(self) -> anyhow::Result<()> {
        let context = "Failed to write the output";
        match self {
            Sink::StdoutJson {
                mut out,
                array,
                count,
                ..
            } => {
                if array {
                    out.write_all(if count == 0 { b"[]\n" } else { b"\n]\n" })
                        .context(context)?;
                }
                out.flush().context(context)
            }
            Sink::StdoutMd { mut out, .. } => out.flush().context(context),
            Sink::Csv(csv) => csv.finish(),
            Sink::Dir(_) => Ok(()),
        }
    }
}

fn json_text(analysis: &Analysis, ballchasing: bool) -> anyhow::Result<String> {
    let text = if ballchasing {
        serde_json::to_string_pretty(&filmroom_replay::ballchasing::to_json(analysis))
    } else {
        serde_json::to_string_pretty(analysis)
    };
    text.context("Failed to serialize the analysis")
}

/// `--out DIR`: one file per replay, named after the replay's file stem.
struct OutDir {
    dir: PathBuf,
    format: AnalyzeFormat,
    /// Names already written in this run (lowercased: some filesystems fold case).
    used: HashSet<String>,
}

impl OutDir {
    fn write(&mut self, input: &Path, analysis: &Analysis) -> anyhow::Result<()> {
        let (extension, text) = match self.format {
            AnalyzeFormat::Json => ("json", json_text(analysis, false)? + "\n"),
            AnalyzeFormat::Ballchasing => ("ballchasing.json", json_text(analysis, true)? + "\n"),
            AnalyzeFormat::Md => (
                "md",
                render::md::render(&input.display().to_string(), analysis),
            ),
            // CSV goes to one players.csv, handled by `Sink::Csv`.
            AnalyzeFormat::Csv => return Ok(()),
        };
        let stem = sanitize_stem(input);
        let mut name = format!("{stem}.{extension}");
        let mut n = 1;
        // Two inputs with the same stem (a/x.replay, b/x.replay) must not
        // overwrite each other: later ones get -2, -3...
        while self.used.contains(&name.to_lowercase()) {
            n += 1;
            name = format!("{stem}-{n}.{extension}");
        }
        self.used.insert(name.to_lowercase());
        let path = self.dir.join(&name);
        refuse_symlink(&path)?;
        fs::write(&path, text).with_context(|| format!("Failed to write {}", path.display()))
    }
}

/// A link inside DIR could point anywhere; we only ever write inside DIR.
fn refuse_symlink(path: &Path) -> anyhow::Result<()> {
    if fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink()) {
        anyhow::bail!(
            "refusing to write through the symbolic link {}",
            path.display()
        );
    }
    Ok(())
}

/// A file name that stays inside the output directory on every platform:
/// letters, digits, `-`, `_` and inner dots only, at most 100 characters.
fn sanitize_stem(input: &Path) -> String {
    let raw = input
        .file_stem()
        .map(|s| s.to_string_lossy())
        .unwrap_or_default();
    let cleaned: String = raw
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '_'
            }
        })
        .take(100)
        .collect();
    let trimmed = cleaned.trim_matches('.');
    if trimmed.is_empty() {
        "replay".to_owned()
    } else {
        trimmed.to_owned()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::sanitize_stem;
    use std::path::Path;

    #[test]
    fn output_names_cannot_escape_the_output_directory() {
        assert_eq!(sanitize_stem(Path::new("a/b/game 1.replay")), "game_1");
        assert_eq!(sanitize_stem(Path::new("..")), "replay");
        assert_eq!(sanitize_stem(Path::new("...hidden.replay")), "hidden");
        assert_eq!(sanitize_stem(Path::new("x/\u{e9}t\u{e9}.replay")), "_t_");
        assert_eq!(sanitize_stem(Path::new("")), "replay");
    }
}
