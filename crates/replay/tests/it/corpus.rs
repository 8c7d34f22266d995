//! The corpus tests: every shared replay analyses (robustness), agrees with
//! its own scoreboard, survives truncation and bit flips, and is pinned by an
//! `insta` snapshot; broken files and fuzz crashes end in clear errors.
//!
//! The corpus is analysed once, on two threads, and shared by the tests
//! through a `OnceLock`.
//!
//! Regenerating the snapshot (after an intended change to the engine's
//! output, e.g. new or corrected stats): cargo-insta is not needed, run
//!
//! ```sh
//! INSTA_UPDATE=always cargo test -p filmroom-replay --test it corpus::every_corpus_replay_summary_matches_the_snapshot
//! git diff crates/replay/tests/it/snapshots/   # review every change, then commit it
//! ```
//!
//! (with cargo-insta installed, `cargo insta test -p filmroom-replay --review`
//! does the same interactively). Floats are rounded in the summary so that
//! noise in the last digits does not churn the snapshot.

use std::any::Any;
use std::collections::BTreeMap;
use std::panic::catch_unwind;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, OnceLock, mpsc};
use std::time::{Duration, Instant};

use filmroom_replay::header::Header;
use filmroom_replay::{Analysis, AnalysisStatus};
use serde::Serialize;

use crate::support::{replay_files, replays_dir};

/// How long one file may take before it counts as a hang. Debug builds of the
/// engine take well under a second per replay; this is generous for slow CI.
const HANG_BUDGET: Duration = Duration::from_secs(60);

/// The worker count of the shared corpus run (the CI machines have 2 cores).
const WORKERS: usize = 2;

/// One corpus replay, analysed once. Panics become `Err` so that one bad file
/// fails the tests that look at it instead of poisoning the whole cache.
struct Analysed {
    name: String,
    analysis: Result<Analysis, String>,
    header: Result<Header, String>,
}

fn panic_message(payload: &(dyn Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "non-string panic payload".to_owned())
}

fn file_name(path: &Path) -> String {
    path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into(),
    )
}

/// `analyze` with its error and any panic turned into a message.
fn analyze_caught(bytes: &[u8]) -> Result<Analysis, String> {
    match catch_unwind(|| filmroom_replay::analyze(bytes)) {
        Ok(Ok(analysis)) => Ok(analysis),
        Ok(Err(e)) => Err(format!("error: {e}")),
        Err(payload) => Err(format!("PANIC: {}", panic_message(payload.as_ref()))),
    }
}

fn analyse_one(path: &Path) -> Analysed {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
    let header = match catch_unwind(|| filmroom_replay::inspect(&bytes)) {
        Ok(Ok(header)) => Ok(header),
        Ok(Err(e)) => Err(format!("error: {e}")),
        Err(payload) => Err(format!("PANIC: {}", panic_message(payload.as_ref()))),
    };
    Analysed {
        name: file_name(path),
        analysis: analyze_caught(&bytes),
        header,
    }
}

/// Every corpus replay analysed once, in file-name order.
fn corpus() -> &'static [Analysed] {
    static CORPUS: OnceLock<Vec<Analysed>> = OnceLock::new();
    CORPUS.get_or_init(|| {
        let files = replay_files("corpus");
        assert!(
            !files.is_empty(),
            "no corpus replays in {}",
            replays_dir().display()
        );
        let next = AtomicUsize::new(0);
        let done: Mutex<Vec<(usize, Analysed)>> = Mutex::new(Vec::with_capacity(files.len()));
        std::thread::scope(|scope| {
            for _ in 0..WORKERS {
                scope.spawn(|| {
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let Some(path) = files.get(i) else { break };
                        let analysed = analyse_one(path);
                        done.lock().unwrap().push((i, analysed));
                    }
                });
            }
        });
        let mut done = done.into_inner().unwrap();
        done.sort_by_key(|(i, _)| *i);
        done.into_iter().map(|(_, a)| a).collect()
    })
}

fn status_label(analysis: &Result<Analysis, String>) -> String {
    match analysis {
        Ok(a) => match &a.status {
            AnalysisStatus::Full => "full".to_owned(),
            AnalysisStatus::Degraded { reason } => {
                format!("degraded {:?}: {}", reason.code, reason.message)
            }
        },
        Err(e) => format!("ERR {e}"),
    }
}

#[test]
fn every_corpus_replay_analyses_fully_or_degraded_with_a_reason() {
    let mut failures = Vec::new();
    println!("{:<40} status", "file");
    for a in corpus() {
        println!("{:<40} {}", a.name, status_label(&a.analysis));
        match &a.analysis {
            Ok(analysis) => {
                if let AnalysisStatus::Degraded { reason } = &analysis.status
                    && reason.message.trim().is_empty()
                {
                    failures.push(format!("{}: degraded with an empty reason", a.name));
                }
            }
            Err(e) => failures.push(format!("{}: {e}", a.name)),
        }
        if let Err(e) = &a.header {
            failures.push(format!("{}: inspect failed: {e}", a.name));
        }
    }
    assert!(
        failures.is_empty(),
        "{} corpus replays failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn every_corpus_players_core_stats_equal_the_header_scoreboard() {
    let mut mismatches = Vec::new();
    for a in corpus() {
        let (Ok(analysis), Ok(header)) = (&a.analysis, &a.header) else {
            mismatches.push(format!(
                "{}: not analysed (see the robustness test)",
                a.name
            ));
            continue;
        };
        let mut used = vec![false; analysis.players.len()];
        for row in &header.scoreboard {
            let found = analysis
                .players
                .iter()
                .enumerate()
                .find(|(i, p)| !used[*i] && p.name == row.name && p.team == row.team);
            let Some((i, player)) = found else {
                mismatches.push(format!(
                    "{}: scoreboard player {:?} (team {}) missing from the analysis",
                    a.name, row.name, row.team
                ));
                continue;
            };
            used[i] = true;
            let core = &player.stats.core;
            let fields = [
                ("goals", core.goals, row.goals),
                ("assists", core.assists, row.assists),
                ("saves", core.saves, row.saves),
                ("shots", core.shots, row.shots),
                ("score", core.score, row.score),
            ];
            for (field, ours, theirs) in fields {
                if ours != theirs {
                    mismatches.push(format!(
                        "{}: {:?} (team {}) {field}: analysis {ours}, scoreboard {theirs}",
                        a.name, row.name, row.team
                    ));
                }
            }
        }
    }
    assert!(
        mismatches.is_empty(),
        "{} mismatches with the header scoreboard:\n{}",
        mismatches.len(),
        mismatches.join("\n")
    );
}

/// Analyses a file on its own thread so that a hang fails (after
/// [`HANG_BUDGET`]) instead of blocking the test run. A hung thread is leaked:
/// the process ends with the test binary.
fn analyze_with_budget(bytes: Vec<u8>) -> Result<Result<Analysis, String>, String> {
    let (tx, rx) = mpsc::channel();
    let started = Instant::now();
    std::thread::spawn(move || {
        let _ = tx.send(analyze_caught(&bytes));
    });
    match rx.recv_timeout(HANG_BUDGET) {
        Ok(result) => Ok(result),
        Err(mpsc::RecvTimeoutError::Timeout) => {
            Err(format!("HANG: no result after {:.0?}", started.elapsed()))
        }
        Err(mpsc::RecvTimeoutError::Disconnected) => Err("worker thread died".to_owned()),
    }
}

/// Err with a message, or a degraded analysis with a reason: both are
/// clear answers for a broken file. A panic, a hang or a silent "full" is not.
fn check_clear_failure(
    label: &str,
    outcome: Result<Result<Analysis, String>, String>,
) -> Option<String> {
    match outcome {
        Err(hang) => Some(format!("{label}: {hang}")),
        Ok(Err(e)) if e.starts_with("PANIC") => Some(format!("{label}: {e}")),
        Ok(Err(e)) if e.trim_start_matches("error:").trim().is_empty() => {
            Some(format!("{label}: error with an empty message"))
        }
        Ok(Err(_)) => None,
        Ok(Ok(a)) => match a.status {
            AnalysisStatus::Degraded { reason } if !reason.message.trim().is_empty() => None,
            AnalysisStatus::Degraded { .. } => {
                Some(format!("{label}: degraded with an empty reason"))
            }
            AnalysisStatus::Full => Some(format!("{label}: analysed as full, expected an error")),
        },
    }
}

#[test]
fn every_bad_file_ends_in_a_clear_error_or_a_degraded_analysis_without_hanging() {
    let files = replay_files("bad");
    assert!(
        !files.is_empty(),
        "no bad replays in {}",
        replays_dir().display()
    );
    let mut failures = Vec::new();
    for path in files {
        let name = file_name(&path);
        let bytes = std::fs::read(&path).unwrap();
        let outcome = analyze_with_budget(bytes);
        println!(
            "{name:<40} {}",
            match &outcome {
                Ok(result) => status_label(result),
                Err(hang) => hang.clone(),
            }
        );
        failures.extend(check_clear_failure(&name, outcome));
    }
    assert!(
        failures.is_empty(),
        "bad files not handled:\n{}",
        failures.join("\n")
    );
}

/// A ~1 MB replay with network data (2017, 3v3).
const MUTATION_SUBJECT: &str = "002c.replay";

#[test]
fn truncated_and_byte_flipped_copies_of_a_replay_never_panic() {
    let path = replays_dir().join("corpus").join(MUTATION_SUBJECT);
    let original = std::fs::read(&path).unwrap();
    let len = original.len();
    let mut cases: Vec<(String, Vec<u8>)> = Vec::new();
    let mut prefix_lengths = vec![0, 1, 10, 100, 1000, 4096, 16_384, 65_536];
    prefix_lengths.extend([
        len / 4,
        len / 2,
        len * 3 / 4,
        len - 1000,
        len - 100,
        len - 1,
    ]);
    for n in prefix_lengths {
        cases.push((format!("prefix of {n} bytes"), original[..n].to_vec()));
    }
    // A cut inside the network stream with the length fields made to agree,
    // so boxcars gets past its framing checks and the engine sees partial frames.
    for keep in [0, 1, 100, 10_000, 100_000, 400_000, 700_000] {
        match network_cut(&original, keep) {
            Some(bytes) => cases.push((format!("network cut to {keep} bytes"), bytes)),
            None => panic!("{MUTATION_SUBJECT}: network stream not found for a cut to {keep}"),
        }
    }
    // Offsets in the header (lengths, CRC), the property block, the start and
    // middle of the network stream and the trailing tables.
    for at in [
        0,
        4,
        8,
        12,
        20,
        40,
        200,
        1000,
        5000,
        len / 3,
        len / 2,
        len - 5000,
        len - 20,
    ] {
        let mut bytes = original.clone();
        bytes[at] ^= 0xff;
        cases.push((format!("byte {at} flipped"), bytes));
    }
    let mut failures = Vec::new();
    for (label, bytes) in cases {
        let outcome = analyze_with_budget(bytes);
        match &outcome {
            Err(hang) => failures.push(format!("{label}: {hang}")),
            Ok(Err(e)) if e.starts_with("PANIC") => failures.push(format!("{label}: {e}")),
            Ok(_) => {}
        }
        println!(
            "{label:<28} {}",
            outcome.as_ref().map_or_else(Clone::clone, status_label)
        );
    }
    assert!(
        failures.is_empty(),
        "mutated {MUTATION_SUBJECT} broke the engine:\n{}",
        failures.join("\n")
    );
}

fn read_u32(bytes: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(bytes.get(at..at + 4)?.try_into().ok()?))
}

/// A copy of a replay whose network stream keeps only its first `keep` bytes,
/// with the stream and body lengths rewritten to match (the CRCs are left
/// stale: the engine only checks them after a parse error). Layout: header
/// size, CRC, header; body size, CRC, then levels (strings), keyframes
/// (12 bytes each), network size and the stream.
fn network_cut(replay: &[u8], keep: usize) -> Option<Vec<u8>> {
    let body_size_at = 8 + usize::try_from(read_u32(replay, 0)?).ok()?;
    let mut at = body_size_at + 8;
    let levels = read_u32(replay, at)?;
    at += 4;
    for _ in 0..levels {
        let len = i32::from_le_bytes(replay.get(at..at + 4)?.try_into().ok()?);
        at += 4 + if len < 0 {
            len.unsigned_abs() as usize * 2
        } else {
            len as usize
        };
    }
    let keyframes = usize::try_from(read_u32(replay, at)?).ok()?;
    at += 4 + keyframes * 12;
    let network_size = usize::try_from(read_u32(replay, at)?).ok()?;
    let keep = keep.min(network_size);
    let stream = at + 4;
    let mut out = Vec::with_capacity(replay.len());
    out.extend_from_slice(replay.get(..at)?);
    out.extend_from_slice(&u32::try_from(keep).ok()?.to_le_bytes());
    out.extend_from_slice(replay.get(stream..stream + keep)?);
    out.extend_from_slice(replay.get(stream + network_size..)?);
    let body_size = read_u32(replay, body_size_at)? as usize - (network_size - keep);
    out[body_size_at..body_size_at + 4]
        .copy_from_slice(&u32::try_from(body_size).ok()?.to_le_bytes());
    Some(out)
}

/// Minimized fuzzer crashes (tests/fuzz-regressions/*), each the input that
/// once panicked or hung the engine. None is a copy of a shared replay.
fn fuzz_regression_files() -> Vec<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fuzz-regressions");
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = entries
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file() && p.extension().is_none_or(|e| e != "md"))
        .collect();
    files.sort();
    files
}

#[test]
fn every_fuzz_regression_input_ends_without_a_panic_or_a_hang() {
    let mut failures = Vec::new();
    for path in fuzz_regression_files() {
        let name = file_name(&path);
        let outcome = analyze_with_budget(std::fs::read(&path).unwrap());
        println!(
            "{name:<40} {}",
            outcome.as_ref().map_or_else(Clone::clone, status_label)
        );
        match outcome {
            Err(hang) => failures.push(format!("{name}: {hang}")),
            Ok(Err(e)) if e.starts_with("PANIC") => failures.push(format!("{name}: {e}")),
            Ok(_) => {}
        }
    }
    assert!(
        failures.is_empty(),
        "fuzz regressions:\n{}",
        failures.join("\n")
    );
}

/// What the snapshot pins for one replay. Compact on purpose: one screen per
/// replay, and floats rounded so that only real changes show in a diff.
#[derive(Serialize)]
struct Summary {
    file: String,
    status: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    degraded_code: Option<String>,
    map: Option<String>,
    team_size: Option<u32>,
    /// Blue-orange goals.
    score: String,
    players: Vec<PlayerSummary>,
    events: BTreeMap<String, usize>,
}

#[derive(Serialize)]
struct PlayerSummary {
    name: String,
    team: u8,
    /// Goals, assists, saves, shots and score, as `G A Sv Sh Sc`.
    core: String,
    /// Full analyses only: rounded boost.bpm, movement.total_distance (to
    /// 1000 uu) and positioning.time_defensive_third (to 1 s).
    #[serde(skip_serializing_if = "Option::is_none")]
    bpm: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    distance_k: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    defensive_third_s: Option<i64>,
}

fn round_to(value: f64, step: f64) -> i64 {
    ((value / step).round() * step) as i64
}

fn summarize(a: &Analysed) -> Summary {
    let Ok(analysis) = &a.analysis else {
        return Summary {
            file: a.name.clone(),
            status: status_label(&a.analysis),
            degraded_code: None,
            map: None,
            team_size: None,
            score: String::new(),
            players: Vec::new(),
            events: BTreeMap::new(),
        };
    };
    let (status, degraded_code, full) = match &analysis.status {
        AnalysisStatus::Full => ("full".to_owned(), None, true),
        AnalysisStatus::Degraded { reason } => (
            "degraded".to_owned(),
            Some(format!("{:?}", reason.code)),
            false,
        ),
    };
    let players = analysis
        .players
        .iter()
        .map(|p| {
            let c = &p.stats.core;
            let stats = &p.stats;
            PlayerSummary {
                name: p.name.clone(),
                team: p.team,
                core: format!(
                    "G{} A{} Sv{} Sh{} Sc{}",
                    c.goals, c.assists, c.saves, c.shots, c.score
                ),
                bpm: stats
                    .boost
                    .as_ref()
                    .filter(|_| full)
                    .map(|b| round_to(b.bpm, 1.0)),
                distance_k: stats
                    .movement
                    .as_ref()
                    .filter(|_| full)
                    .map(|m| round_to(m.total_distance, 1000.0)),
                defensive_third_s: stats
                    .positioning
                    .as_ref()
                    .filter(|_| full)
                    .map(|p| round_to(p.time_defensive_third, 1.0)),
            }
        })
        .collect();
    let mut events = BTreeMap::new();
    for event in &analysis.events {
        let kind = serde_json::to_value(&event.kind)
            .ok()
            .and_then(|v| v.get("type").and_then(|t| t.as_str()).map(str::to_owned))
            .unwrap_or_else(|| "unknown".to_owned());
        *events.entry(kind).or_insert(0) += 1;
    }
    Summary {
        file: a.name.clone(),
        status,
        degraded_code,
        map: analysis.replay.map_code.clone(),
        team_size: analysis.replay.team_size,
        score: format!("{}-{}", analysis.replay.score[0], analysis.replay.score[1]),
        players,
        events,
    }
}

#[test]
fn every_corpus_replay_summary_matches_the_snapshot() {
    let summaries: Vec<Summary> = corpus().iter().map(summarize).collect();
    insta::assert_yaml_snapshot!("corpus", summaries);
}
