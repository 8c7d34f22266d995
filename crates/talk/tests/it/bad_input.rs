//! Files that are not talks, or broken ones: each a clear error.

use std::process::Command;

use filmroom_domain::{AnalysisError, AnalysisInput, Domain};
use filmroom_talk::{Talk, TalkConfig};

use crate::fixtures::fixtures;

fn error_of(talk: &Talk, path: &std::path::Path) -> AnalysisError {
    talk.analyze(AnalysisInput::Path(path)).unwrap_err()
}

fn reason(error: AnalysisError) -> String {
    match error {
        AnalysisError::Invalid { reason } => reason,
        other => panic!("expected Invalid, got {other:?}"),
    }
}

#[test]
fn a_text_file_named_mp4_is_not_media() {
    let f = fixtures();
    let path = f.dir.join("notes.mp4");
    std::fs::write(&path, "my speaker notes\n".repeat(100)).unwrap();
    let why = reason(error_of(&Talk::default(), &path));
    assert!(why.contains("not audio or video"), "{why}");
}

#[test]
fn a_truncated_mp4_is_refused_as_truncated_or_unreadable() {
    let f = fixtures();
    // moov at the end (ffmpeg's default): the cut removes the index.
    let bytes = std::fs::read(&f.mp4).unwrap();
    let path = f.dir.join("cut.mp4");
    std::fs::write(&path, &bytes[..bytes.len() / 2]).unwrap();
    let why = reason(error_of(&Talk::default(), &path));
    assert!(
        why.contains("truncated") || why.contains("not audio or video"),
        "{why}"
    );
    // moov first: the index promises more audio than the cut file holds.
    let fast = f.dir.join("faststart.mp4");
    assert!(
        Command::new("ffmpeg")
            .args(["-nostdin", "-v", "error", "-y", "-i"])
            .arg(&f.mp4)
            .args(["-c", "copy", "-movflags", "+faststart"])
            .arg(&fast)
            .status()
            .unwrap()
            .success()
    );
    let bytes = std::fs::read(&fast).unwrap();
    std::fs::write(&path, &bytes[..bytes.len() / 2]).unwrap();
    let why = reason(error_of(&Talk::default(), &path));
    assert!(why.contains("truncated"), "{why}");
}

#[test]
fn a_zero_second_wav_has_no_audio() {
    let f = fixtures();
    let path = f.dir.join("zero.wav");
    assert!(
        Command::new("sox")
            .args(["-n", "-r", "16000", "-c", "1", "-b", "16"])
            .arg(&path)
            .args(["trim", "0", "0"])
            .status()
            .unwrap()
            .success()
    );
    let why = reason(error_of(&Talk::default(), &path));
    assert!(why.contains("0 seconds"), "{why}");
}

#[test]
fn silence_only_is_refused_as_no_speech_found() {
    let f = fixtures();
    let path = f.dir.join("silence.wav");
    assert!(
        Command::new("sox")
            .args(["-n", "-r", "44100", "-c", "2", "-b", "16"])
            .arg(&path)
            .args(["trim", "0", "3"])
            .status()
            .unwrap()
            .success()
    );
    let why = reason(error_of(&Talk::default(), &path));
    assert!(why.contains("no speech"), "{why}");
}

#[test]
fn a_video_without_an_audio_track_says_so() {
    let f = fixtures();
    let path = f.dir.join("silent-film.mp4");
    assert!(
        Command::new("ffmpeg")
            .args([
                "-nostdin",
                "-v",
                "error",
                "-y",
                "-f",
                "lavfi",
                "-i",
                "color=black:s=64x64:r=5",
                "-t",
                "2",
                "-c:v",
                "libx264"
            ])
            .arg(&path)
            .status()
            .unwrap()
            .success()
    );
    let why = reason(error_of(&Talk::default(), &path));
    assert!(why.contains("no audio track"), "{why}");
}

#[test]
fn a_file_over_the_configured_limit_is_refused_before_it_is_read() {
    let f = fixtures();
    let talk = Talk::new(TalkConfig {
        max_bytes: 1000,
        ..TalkConfig::default()
    });
    assert_eq!(talk.limits().max_bytes, 1000);
    match error_of(&talk, &f.talk.wav) {
        AnalysisError::TooLarge { limit, size } => {
            assert_eq!(limit, 1000);
            assert!(size > 1000);
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_malformed_transcript_is_refused_with_its_line() {
    let f = fixtures();
    let error = Talk::default()
        .analyze_file(&f.talk.wav, Some("1\n00:00:01 --> 00:00:02\nhello\n"))
        .unwrap_err();
    let why = reason(error);
    assert!(
        why.contains("transcript") && why.contains("line 2"),
        "{why}"
    );
}
