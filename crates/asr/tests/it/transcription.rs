use filmroom_asr::{AsrError, TimedWord};

use crate::{normalize, silence, speak, whisper, word_error_rate};

const SCRIPTS: [&str; 3] = [
    "The quick brown fox jumps over the lazy dog near the river bank.",
    "Please remember to practice your presentation before the meeting tomorrow morning.",
    "Good speakers pause between ideas and keep a steady pace for their audience.",
];

/// Measured on these scripts (espeak-ng en-us, 160 wpm) with tiny.en: see the
/// crate README (13.5%: "brown fox jumps" and "between" misheard). The
/// bound leaves room for a few more misheard words;
/// espeak's robotic voice is far from the speech Whisper was trained on.
const MAX_WORD_ERROR_RATE: f64 = 0.25;

fn text(words: &[TimedWord]) -> Vec<String> {
    normalize(
        &words
            .iter()
            .map(|w| w.text.as_str())
            .collect::<Vec<_>>()
            .join(" "),
    )
}

/// Silence before each script: long enough that the audio (about 37 s) needs a
/// second 30 s window, which must start after the last complete segment.
const GAPS_S: [f64; 3] = [1.0, 10.0, 10.0];

#[test]
fn scripted_sentences_come_back_in_order_and_on_time() {
    let mut audio = Vec::new();
    let mut starts = Vec::new();
    for (script, gap) in SCRIPTS.iter().zip(GAPS_S) {
        audio.extend(silence(gap));
        starts.push(audio.len() as f64 / 16_000.0);
        audio.extend(speak(script, 160));
    }
    audio.extend(silence(1.0));
    assert!(audio.len() > 30 * 16_000, "the audio fits one window");
    let duration = audio.len() as f64 / 16_000.0;

    let segments = whisper().transcribe_segments(&audio).unwrap();
    for s in &segments {
        let (first, last) = (&s.words[0], &s.words[s.words.len() - 1]);
        assert_eq!((s.start_s, s.end_s), (first.start_s, last.end_s), "{s:?}");
    }
    let words: Vec<TimedWord> = segments.into_iter().flat_map(|s| s.words).collect();
    let heard = text(&words);
    let reference = normalize(&SCRIPTS.join(" "));
    let wer = word_error_rate(&reference, &heard);
    for w in &words {
        println!("{:6.2}-{:6.2} {}", w.start_s, w.end_s, w.text);
    }
    println!(
        "word error rate on {} words of espeak-ng speech: {:.1}%",
        reference.len(),
        wer * 100.0
    );
    assert!(wer <= MAX_WORD_ERROR_RATE, "word error rate {wer:.3}");

    // Times are ordered, non-empty and inside the audio.
    for w in &words {
        assert!(
            0.0 <= w.start_s && w.start_s < w.end_s && w.end_s <= duration,
            "{w:?}"
        );
    }
    for pair in words.windows(2) {
        assert!(pair[0].end_s <= pair[1].start_s + 1e-6, "{pair:?}");
    }
    // Each script's first word is placed where its speech begins, not in the
    // silence before it (measured: within 0.05 s).
    for (script, start) in SCRIPTS.iter().zip(&starts) {
        let first = &normalize(script)[0];
        let word = words
            .iter()
            .filter(|w| normalize(&w.text).first() == Some(first))
            .min_by(|a, b| {
                (a.start_s - start)
                    .abs()
                    .total_cmp(&(b.start_s - start).abs())
            })
            .unwrap_or_else(|| panic!("{first:?} not heard"));
        println!(
            "{first:?} spoken from {start:.2} s, placed at {:.2} s",
            word.start_s
        );
        assert!(
            (word.start_s - start).abs() < 0.3,
            "{first:?} at {word:?}, spoken at {start}"
        );
    }
}

#[test]
fn silence_gives_no_words() {
    assert_eq!(whisper().transcribe(&silence(5.0)).unwrap(), vec![]);
    assert_eq!(whisper().transcribe(&[]).unwrap(), vec![]);
}

#[test]
fn audio_with_a_non_finite_sample_is_rejected() {
    let mut audio = silence(1.0);
    audio[100] = f32::NAN;
    let err = whisper().transcribe(&audio).unwrap_err();
    assert!(matches!(err, AsrError::Audio(_)), "{err:?}");
}

#[test]
fn the_model_converted_to_safetensors_hears_the_same_words_at_the_same_times() {
    let dir = tempfile::tempdir().unwrap();
    filmroom_asr::convert_ct2_to_safetensors(&crate::tiny_en_dir(), dir.path()).unwrap();
    let converted = filmroom_asr::Whisper::load(dir.path()).unwrap();
    let mut audio = silence(0.5);
    audio.extend(speak(SCRIPTS[1], 160));
    audio.extend(silence(0.5));
    let original = whisper().transcribe(&audio).unwrap();
    let again = converted.transcribe(&audio).unwrap();
    assert!(!original.is_empty());
    assert_eq!(text(&original), text(&again));
    for (a, b) in original.iter().zip(&again) {
        // f16 weights either way; only summation order may differ.
        assert!(
            (a.start_s - b.start_s).abs() < 0.05 && (a.end_s - b.end_s).abs() < 0.05,
            "{a:?} {b:?}"
        );
    }
}

#[test]
fn steady_noise_without_speech_gives_no_words() {
    // White noise at about -30 dBFS: loud enough to count as voiced audio, so the
    // model runs and its no-speech detection must reject the window.
    let dir = tempfile::tempdir().unwrap();
    let raw = dir.path().join("noise.f32");
    let out = std::process::Command::new("sox")
        .args([
            "-n",
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
        .arg(&raw)
        .args(["synth", "5", "whitenoise", "vol", "0.03"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let noise: Vec<f32> = std::fs::read(&raw)
        .unwrap()
        .chunks_exact(4)
        .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .collect();
    assert_eq!(noise.len(), 5 * 16_000);
    let segments = whisper().transcribe_segments(&noise).unwrap();
    assert_eq!(segments, vec![], "heard words in noise");
}
