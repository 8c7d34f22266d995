//! Words placed on the voiced audio.
//!
//! Aligned words (see `align.rs`) are trimmed to the voiced frames they cover.
//! Without alignment heads (a checkpoint that does not name them), Whisper's
//! segment timestamps bound a run of text and, inside it, each word gets a
//! share of the segment's *voiced* time in proportion to its length in characters
//! (plus one for the gap after it), so a pause inside a segment lands between
//! words instead of being smeared across them: a rougher estimate.

use crate::TimedWord;
use crate::voice::FRAME;

const FRAME_S: f64 = FRAME as f64 / 16_000.0;

/// `words` (text only) timed inside `[start_s, end_s]` using the voiced flags.
pub fn place_words(words: &[String], start_s: f64, end_s: f64, voiced: &[bool]) -> Vec<TimedWord> {
    if words.is_empty() {
        return Vec::new();
    }
    let first = (start_s / FRAME_S).floor().max(0.0) as usize;
    let last = ((end_s / FRAME_S).ceil().max(0.0) as usize).min(voiced.len());
    let mut frames: Vec<usize> = (first..last).filter(|&f| voiced[f]).collect();
    if frames.is_empty() {
        // Nothing stood out as voiced (very quiet speech): spread over the segment.
        frames = (first..last.max(first + 1)).collect();
    }
    let weights: Vec<f64> = words
        .iter()
        .map(|w| w.chars().count() as f64 + 1.0)
        .collect();
    let total: f64 = weights.iter().sum();
    let n = frames.len() as f64;
    let mut out = Vec::with_capacity(words.len());
    let mut acc = 0.0;
    let mut next = 0;
    for (word, weight) in words.iter().zip(&weights) {
        // Each word starts on the frame after the previous one ended.
        let from = next.min(frames.len() - 1);
        acc += weight;
        let to = ((acc / total * n).round() as usize).clamp(from + 1, frames.len());
        next = to;
        let start = frames[from] as f64 * FRAME_S;
        let end = (frames[to - 1] + 1) as f64 * FRAME_S;
        out.push(TimedWord {
            text: word.clone(),
            start_s: start.clamp(start_s, end_s),
            end_s: end.clamp(start_s, end_s),
        });
    }
    out
}

/// `[start_s, end_s]` shrunk to the voiced frames inside it, or unchanged when
/// none is voiced. Attention alignment knows which tokens follow which, but not
/// where a silence ends: a word after a pause tends to start in the pause.
pub fn trim_to_voiced(start_s: f64, end_s: f64, voiced: &[bool]) -> (f64, f64) {
    let first = ((start_s / FRAME_S).floor().max(0.0) as usize).min(voiced.len());
    let last = ((end_s / FRAME_S).ceil().max(0.0) as usize).min(voiced.len());
    let inside = &voiced[first..last.max(first)];
    match (
        inside.iter().position(|&v| v),
        inside.iter().rposition(|&v| v),
    ) {
        (Some(a), Some(b)) => (
            ((first + a) as f64 * FRAME_S).max(start_s),
            ((first + b + 1) as f64 * FRAME_S).min(end_s),
        ),
        _ => (start_s, end_s),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn words_skip_the_silence_inside_their_segment() {
        // 0-1 s voiced, 1-2 s silent, 2-3 s voiced.
        let mut voiced = vec![true; 100];
        voiced.extend(vec![false; 100]);
        voiced.extend(vec![true; 100]);
        let words = ["hello".to_string(), "world".to_string()];
        let timed = place_words(&words, 0.0, 3.0, &voiced);
        assert_eq!(timed.len(), 2);
        assert!(timed[0].end_s <= 1.0 + 1e-9, "{timed:?}");
        assert!(timed[1].start_s >= 2.0 - 1e-9, "{timed:?}");
        assert!((timed[1].end_s - 3.0).abs() < 1e-9);
    }

    #[test]
    fn a_word_starting_in_a_pause_is_trimmed_to_its_sound() {
        let mut voiced = vec![false; 100];
        voiced.extend(vec![true; 30]);
        voiced.extend(vec![false; 20]);
        let (s, e) = trim_to_voiced(0.0, 1.5, &voiced);
        assert!((s - 1.0).abs() < 1e-9 && (e - 1.3).abs() < 1e-9, "{s} {e}");
        assert_eq!(trim_to_voiced(0.0, 0.5, &voiced), (0.0, 0.5));
    }

    #[test]
    fn longer_words_get_more_time() {
        let voiced = vec![true; 200];
        let words = ["a".to_string(), "extraordinarily".to_string()];
        let timed = place_words(&words, 0.0, 2.0, &voiced);
        assert!(timed[1].end_s - timed[1].start_s > 4.0 * (timed[0].end_s - timed[0].start_s));
        assert!(timed[0].end_s <= timed[1].start_s + 1e-9);
    }
}
