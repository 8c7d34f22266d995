//! Real speech for the talk tests: sentences spoken by espeak-ng, cut
//! together by sox with silences of known length between them (both
//! installed by `scripts/setup`).

use std::path::{Path, PathBuf};
use std::process::Command;

fn run(cmd: &mut Command) {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("{cmd:?}: {e} (scripts/setup installs espeak-ng and sox)"));
    assert!(
        out.status.success(),
        "{cmd:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// `sentences` spoken at espeak-ng's `-s rate`, each followed but the last by
/// `gap_s` seconds of silence, as a 16 kHz mono 16-bit WAV in `dir`.
pub fn spoken_wav(dir: &Path, sentences: &[&str], rate: u32, gap_s: f64) -> PathBuf {
    let silence = silent_wav(dir, gap_s);
    let mut pieces = Vec::new();
    for (i, text) in sentences.iter().enumerate() {
        let raw = dir.join(format!("sentence-{i}.raw.wav"));
        let part = dir.join(format!("sentence-{i}.wav"));
        run(Command::new("espeak-ng")
            .args(["-s", &rate.to_string(), "-w"])
            .arg(&raw)
            .arg(text));
        run(Command::new("sox")
            .arg(&raw)
            .args(["-r", "16000", "-c", "1", "-b", "16"])
            .arg(&part));
        if i > 0 {
            pieces.push(silence.clone());
        }
        pieces.push(part);
    }
    let talk = dir.join("talk.wav");
    if pieces.len() == 1 {
        std::fs::copy(&pieces[0], &talk).unwrap();
    } else {
        run(Command::new("sox").args(&pieces).arg(&talk));
    }
    talk
}

/// `seconds` of digital silence as a 16 kHz mono 16-bit WAV in `dir`.
pub fn silent_wav(dir: &Path, seconds: f64) -> PathBuf {
    let path = dir.join(format!("silence-{seconds}.wav"));
    run(Command::new("sox")
        .args(["-n", "-r", "16000", "-c", "1", "-b", "16"])
        .arg(&path)
        .args(["trim", "0", &seconds.to_string()]));
    path
}

/// `wav` packed as WebM with a small black VP8 video track and Opus audio,
/// as a phone or screen recorder would make it (ffmpeg, from `scripts/setup`).
pub fn in_webm(dir: &Path, wav: &Path) -> PathBuf {
    let out = dir.join("talk.webm");
    run(Command::new("ffmpeg")
        .args(["-nostdin", "-v", "error", "-y", "-f", "lavfi", "-i"])
        .arg("color=black:s=64x64:r=5")
        .arg("-i")
        .arg(wav)
        .args([
            "-shortest",
            "-c:v",
            "libvpx",
            "-c:a",
            "libopus",
            "-ar",
            "48000",
        ])
        .arg(&out));
    out
}
