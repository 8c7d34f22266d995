//! End-to-end tests of the `filmroom` binary: each runs the real executable
//! on the shared replays (never copied into the repository) and checks what
//! a user would see: stdout, stderr, files written and the exit code.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod analyze_formats;
mod analyze_inputs;
mod ballchasing;
mod exports;
mod failures;
mod inspect;
mod scale_out;
mod serve;
mod talk;
mod upgrade;
mod users;
mod watch;

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The shared replays, beside the checkout (`../shared/replays`).
pub fn replays() -> PathBuf {
    PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/replays"
    ))
}

/// A small corpus file by stem: `corpus("07e9")`.
pub fn corpus(stem: &str) -> PathBuf {
    replays().join("corpus").join(format!("{stem}.replay"))
}

/// Tiny replays (tens of KB) that keep the suite fast.
pub const TINY: [&str; 3] = ["07e9", "dropshot_rumble", "heatseeker"];

/// A ~0.5 MB replay with players on both teams.
pub const BOTH_TEAMS: &str = "160c";

pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e}):\n{}", self.stdout))
    }
}

/// Runs `filmroom` with `args` and waits for it.
pub fn filmroom<I, S>(args: I) -> Run
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    let output = Command::new(env!("CARGO_BIN_EXE_filmroom"))
        .args(args)
        .output()
        .expect("the filmroom binary runs");
    Run {
        code: output.status.code().expect("filmroom exited, not killed"),
        stdout: String::from_utf8(output.stdout).expect("stdout is UTF-8"),
        stderr: String::from_utf8(output.stderr).expect("stderr is UTF-8"),
    }
}

/// An empty scratch directory for one test, under cargo's target directory.
pub fn scratch(test: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("filmroom-it")
        .join(test);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}
