//! Real-time factor of transcribing 60 s of espeak-ng speech with Whisper
//! tiny.en, and the process's peak resident memory. One load and one run (a
//! transcription of a minute takes seconds, so criterion's ten samples would add
//! little but minutes); prints numbers and asserts nothing. Needs `scripts/setup`.
//!
//! `cargo bench -p filmroom-asr --bench transcribe`

use std::process::Command;
use std::time::Instant;

use filmroom_asr::{Whisper, find_tiny_en};

const SCRIPT: &str = "Thank you all for coming today. I want to talk about how we \
    practise presentations. Most people rehearse once, in their head, the night \
    before. That is not enough. Record yourself, watch it back, and count the \
    moments where you lost the thread. Then fix one thing at a time. ";

fn main() {
    let Some(dir) = find_tiny_en() else {
        panic!("Whisper tiny.en not found: run scripts/setup");
    };
    let mut audio = speech_of_at_least(60.0);
    audio.truncate(60 * 16_000);
    let audio_s = audio.len() as f64 / 16_000.0;

    let start = Instant::now();
    let model = match Whisper::load(&dir) {
        Ok(m) => m,
        Err(e) => panic!("could not load {}: {e}", dir.display()),
    };
    let load_s = start.elapsed().as_secs_f64();

    let start = Instant::now();
    let words = match model.transcribe(&audio) {
        Ok(w) => w,
        Err(e) => panic!("transcription failed: {e}"),
    };
    let run_s = start.elapsed().as_secs_f64();

    println!(
        "audio: {audio_s:.1} s of espeak-ng speech, {} words heard",
        words.len()
    );
    println!("load (read + convert tiny.en): {load_s:.2} s");
    println!(
        "transcribe: {run_s:.2} s, real-time factor {:.3}",
        run_s / audio_s
    );
    println!("peak resident memory: {}", peak_rss());
}

/// The script repeated until espeak-ng has spoken at least `secs` seconds.
fn speech_of_at_least(secs: f64) -> Vec<f32> {
    let dir = match tempfile::tempdir() {
        Ok(d) => d,
        Err(e) => panic!("no temp dir: {e}"),
    };
    let (wav, raw) = (dir.path().join("s.wav"), dir.path().join("s.f32"));
    let mut text = String::new();
    let mut samples = Vec::new();
    while (samples.len() as f64) < secs * 16_000.0 {
        text.push_str(SCRIPT);
        run(Command::new("espeak-ng")
            .args(["-v", "en-us", "-s", "160", "-w"])
            .arg(&wav)
            .arg(&text));
        run(Command::new("sox")
            .arg(&wav)
            .args([
                "-r",
                "16000",
                "-c",
                "1",
                "-e",
                "floating-point",
                "-b",
                "32",
                "-L",
                "-t",
                "raw",
            ])
            .arg(&raw));
        let bytes = match std::fs::read(&raw) {
            Ok(b) => b,
            Err(e) => panic!("could not read the speech: {e}"),
        };
        samples = bytes
            .chunks_exact(4)
            .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            .collect();
    }
    samples
}

fn run(cmd: &mut Command) {
    match cmd.status() {
        Ok(s) if s.success() => {}
        other => panic!("{cmd:?} failed ({other:?}): run scripts/setup"),
    }
}

fn peak_rss() -> String {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .map(|l| l[6..].trim().to_owned())
        })
        .unwrap_or_else(|| "unknown (no /proc/self/status)".into())
}
