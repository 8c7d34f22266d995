//! Real-time factor and peak memory of the whole analysis of a 10-minute
//! talk (decode, resample, voice, pitch, words, score, neutral analysis).
//! Prints numbers, asserts nothing. Needs espeak-ng and sox.
//!
//! `cargo bench -p filmroom-talk --bench analysis`

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::Command;
use std::time::Instant;

use filmroom_talk::Talk;

const SCRIPT: &str = "So, today I want to share what our team learned this year. \
    The quarterly numbers look strong, and we delivered every feature on time. \
    Our customers asked for faster reports, like, every single week. \
    We plan to grow the team next spring and open a second office.";

fn run(cmd: &mut Command) {
    let status = cmd.status().unwrap();
    assert!(status.success(), "{cmd:?}");
}

fn peak_rss_mb() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

fn main() {
    let dir = tempfile::tempdir().unwrap();
    let one = dir.path().join("one.wav");
    let raw = dir.path().join("raw.wav");
    run(Command::new("espeak-ng")
        .args(["-s", "130", "-w"])
        .arg(&raw)
        .arg(SCRIPT));
    run(Command::new("sox")
        .arg(&raw)
        .args(["-r", "44100", "-c", "2"])
        .arg(&one)
        .args(["pad", "0", "1.5"]));
    let seconds: f64 = String::from_utf8(
        Command::new("soxi")
            .arg("-D")
            .arg(&one)
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap()
    .trim()
    .parse()
    .unwrap();
    let repeats = (600.0 / seconds).ceil() as usize;
    let talk = dir.path().join("talk.wav");
    run(Command::new("sox")
        .arg(&one)
        .arg(&talk)
        .args(["repeat", &(repeats - 1).to_string()]));
    let length_s = seconds * repeats as f64;
    // The transcript: the script once per repetition, one cue each.
    let mut srt = String::new();
    for i in 0..repeats {
        let start = i as f64 * seconds;
        let clock = |t: f64| {
            let ms = (t * 1000.0) as u64;
            format!(
                "{:02}:{:02}:{:02},{:03}",
                ms / 3_600_000,
                ms / 60_000 % 60,
                ms / 1000 % 60,
                ms % 1000
            )
        };
        srt.push_str(&format!(
            "{}\n{} --> {}\n{SCRIPT}\n\n",
            i + 1,
            clock(start),
            clock(start + seconds - 1.5)
        ));
    }
    let before = peak_rss_mb();
    let started = Instant::now();
    let analysis = Talk::default().analyze_file(&talk, Some(&srt)).unwrap();
    let elapsed = started.elapsed().as_secs_f64();
    println!(
        "talk analysis: {:.0} s of 44.1 kHz stereo audio in {elapsed:.2} s: real-time factor {:.4} ({:.0}x faster than real time); {} metrics, {} events",
        length_s,
        elapsed / length_s,
        length_s / elapsed,
        analysis.metrics.len(),
        analysis.events.len()
    );
    if let (Some(before), Some(after)) = (before, peak_rss_mb()) {
        println!("peak resident memory: {after:.0} MB (before the analysis: {before:.0} MB)");
    }
}
