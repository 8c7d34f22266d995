//! Corpus throughput and peak memory (a plain `main`, not criterion: one pass
//! over 75 replays is the measurement, not a micro-benchmark).
//!
//! `cargo bench -p filmroom-replay --bench corpus` prints:
//! - sequential and threaded passes over every corpus replay: MB/s,
//!   replays/s and the slowest file;
//! - the peak RSS of analysing the largest corpus replay alone, measured in a
//!   child process (this binary re-run in child mode) so that the corpus
//!   passes above do not inflate it. Target: < 100 MB.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

const CHILD_FLAG: &str = "--peak-rss-child";
const LARGEST: &str = "b2a19.replay";

fn replays_dir() -> PathBuf {
    std::env::var("FILMROOM_REPLAYS").map_or_else(
        |_| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/replays"),
        PathBuf::from,
    )
}

fn corpus() -> Vec<(String, Vec<u8>)> {
    let dir = replays_dir().join("corpus");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "replay"))
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|p| {
            (
                p.file_name().unwrap().to_string_lossy().into_owned(),
                std::fs::read(&p).unwrap(),
            )
        })
        .collect()
}

/// Analyses one replay and returns how long it took. Errors are not expected
/// on the corpus, but a bench must not die on one: it says so and goes on.
fn timed_analyze(name: &str, bytes: &[u8]) -> Duration {
    let start = Instant::now();
    let result = filmroom_replay::analyze(std::hint::black_box(bytes));
    let elapsed = start.elapsed();
    if let Err(e) = result {
        eprintln!("warning: {name}: {e}");
    }
    elapsed
}

fn report(
    label: &str,
    files: &[(String, Vec<u8>)],
    wall: Duration,
    per_file: &[(usize, Duration)],
) {
    let bytes: usize = files.iter().map(|(_, b)| b.len()).sum();
    let secs = wall.as_secs_f64();
    let (slowest, max) = per_file
        .iter()
        .max_by_key(|(_, d)| *d)
        .copied()
        .unwrap_or_default();
    println!(
        "{label:<22} {:>3} replays {:>7.1} MB in {secs:>6.2} s: {:>6.1} MB/s {:>6.2} replays/s, slowest {} {:.0} ms",
        files.len(),
        bytes as f64 / 1e6,
        bytes as f64 / 1e6 / secs,
        files.len() as f64 / secs,
        files[slowest].0,
        max.as_secs_f64() * 1e3,
    );
}

fn sequential(files: &[(String, Vec<u8>)]) {
    let start = Instant::now();
    let per_file: Vec<(usize, Duration)> = files
        .iter()
        .enumerate()
        .map(|(i, (name, b))| (i, timed_analyze(name, b)))
        .collect();
    report("sequential", files, start.elapsed(), &per_file);
}

fn threaded(files: &[(String, Vec<u8>)], workers: usize) {
    let next = AtomicUsize::new(0);
    let per_file = Mutex::new(Vec::with_capacity(files.len()));
    let start = Instant::now();
    std::thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some((name, bytes)) = files.get(i) else {
                        break;
                    };
                    let took = timed_analyze(name, bytes);
                    per_file.lock().unwrap().push((i, took));
                }
            });
        }
    });
    let wall = start.elapsed();
    report(
        &format!("{workers} threads"),
        files,
        wall,
        &per_file.into_inner().unwrap(),
    );
}

/// The process's peak resident set size (VmHWM) in kB, Linux only.
fn peak_rss_kb() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn child(path: &Path) {
    let bytes = std::fs::read(path).unwrap();
    let analysis = filmroom_replay::analyze(&bytes).unwrap();
    std::hint::black_box(&analysis);
    drop(analysis);
    println!("VmHWM_kB {}", peak_rss_kb().unwrap_or(0));
}

fn peak_rss_of_largest() {
    let path = replays_dir().join("corpus").join(LARGEST);
    let size = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
    let output = std::process::Command::new(std::env::current_exe().unwrap())
        .arg(CHILD_FLAG)
        .arg(&path)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let kb: Option<u64> = stdout
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM_kB "))
        .and_then(|v| v.trim().parse().ok());
    match kb {
        Some(kb) => println!(
            "peak RSS analysing {LARGEST} ({:.1} MB) alone: {:.1} MB (VmHWM {kb} kB)",
            size as f64 / 1e6,
            kb as f64 / 1024.0
        ),
        None => println!(
            "peak RSS: child failed ({}): {}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        ),
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(i) = args.iter().position(|a| a == CHILD_FLAG) {
        child(Path::new(&args[i + 1]));
        return;
    }
    // `cargo test --benches` runs bench binaries with `--test`: stay cheap there.
    if args.iter().any(|a| a == "--test") {
        return;
    }
    let files = corpus();
    // One warm-up pass so the page cache and allocator are in a steady state.
    for (name, bytes) in &files {
        timed_analyze(name, bytes);
    }
    sequential(&files);
    let workers = std::thread::available_parallelism().map_or(2, |n| n.get());
    threaded(&files, workers);
    peak_rss_of_largest();
}
