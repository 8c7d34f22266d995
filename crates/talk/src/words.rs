//! What the timed words say about delivery: pace, fillers in two tiers,
//! repetitions, restarts and sentences (see docs/talk.md, "Words").

use serde::{Deserialize, Serialize};

use crate::voice::{Span, Voice};

/// One recognized or transcribed word with its time in the recording.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TimedWord {
    /// The word as written, punctuation included ("well," "today.").
    pub text: String,
    /// Start, seconds from the start of the recording.
    pub start_s: f64,
    /// End, seconds from the start of the recording.
    pub end_s: f64,
}

/// Why a transcriber gave no words.
#[derive(Debug, thiserror::Error)]
pub enum TranscribeError {
    /// The speech recognizer failed (a model, a server).
    #[error("speech recognition failed: {0}")]
    Failed(String),
}

/// Speech recognition as the talk domain needs it: 16 kHz mono samples in,
/// timed words out.
pub trait Transcriber: Send + Sync {
    /// The words of `samples_16k_mono`, in time order.
    fn transcribe(&self, samples_16k_mono: &[f32]) -> Result<Vec<TimedWord>, TranscribeError>;
}

/// Fillers counted wherever they occur.
pub const ALWAYS_FILLERS: [&str; 11] = [
    "um", "umm", "uh", "uhh", "uhm", "er", "erm", "ah", "ahh", "hmm", "hm",
];
/// Words that are fillers only when set off (see [`FillerTier::Contextual`]).
const CONTEXTUAL_ONE: [&str; 4] = ["like", "so", "basically", "actually"];
/// Two-word contextual fillers.
const CONTEXTUAL_TWO: [[&str; 2]; 2] = [["you", "know"], ["i", "mean"]];
/// A silence between words at least this long sets a word off as a comma
/// would.
const SET_OFF_GAP_S: f64 = 0.3;
/// The pace of a window with less speech than this is not reported.
const MIN_WINDOW_SPEECH_S: f64 = 5.0;
/// Pace windows.
pub const PACE_WINDOW_S: f64 = 30.0;

/// Which list a filler is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FillerTier {
    /// Um, uh, er, ah, hmm: a filler wherever it is.
    Always,
    /// Like, so, basically, actually, you know, I mean: a filler when set
    /// off on both sides (by punctuation, a silence of 0.3 s, or the start
    /// or end of the talk), or said twice in a row. "I like pizza" has none.
    Contextual,
}

/// A filler found.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Filler {
    /// The filler, lowercased ("you know").
    pub text: String,
    /// Its tier.
    pub tier: FillerTier,
    /// When it starts, seconds.
    pub start_s: f64,
    /// When it ends, seconds.
    pub end_s: f64,
}

/// A word or phrase said again at once.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Repeat {
    /// What was repeated, lowercased.
    pub text: String,
    /// When the repetition starts, seconds.
    pub start_s: f64,
    /// `false`: one word said twice ("the the"); `true`: a restart, two or
    /// three words said again ("I went I went to").
    pub restart: bool,
}

/// A sentence of the transcript.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Sentence {
    /// Its words joined by spaces.
    pub text: String,
    /// Its start, seconds.
    pub start_s: f64,
    /// Its end, seconds.
    pub end_s: f64,
    /// How many words it has.
    pub words: usize,
}

/// Words per minute in one window.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct PaceWindow {
    /// Window start, seconds.
    pub start_s: f64,
    /// Window end, seconds.
    pub end_s: f64,
    /// Words per minute of speech within it.
    pub wpm: f64,
    /// Seconds of speech within it.
    pub speech_s: f64,
}

/// Everything the words give.
#[derive(Debug, Clone, PartialEq)]
pub struct WordsFound {
    /// Words spoken, fillers excluded.
    pub words: usize,
    /// Words per minute of speaking time.
    pub wpm: f64,
    /// Per [`PACE_WINDOW_S`] window.
    pub windows: Vec<PaceWindow>,
    /// Every filler, in time order.
    pub fillers: Vec<Filler>,
    /// Every repetition and restart, in time order.
    pub repeats: Vec<Repeat>,
    /// The sentences, in order.
    pub sentences: Vec<Sentence>,
}

/// A word lowercased, without the punctuation around it.
pub fn normalize(text: &str) -> String {
    text.trim_matches(|c: char| !c.is_alphanumeric() && c != '\'')
        .to_lowercase()
}

fn ends_clause(text: &str) -> bool {
    text.trim_end()
        .ends_with([',', '.', '?', '!', ';', ':', '-', '\u{2014}', '\u{2026}'])
}

fn ends_sentence(text: &str) -> bool {
    text.trim_end()
        .trim_end_matches(['"', '\'', ')', '\u{201d}'])
        .ends_with(['.', '?', '!', '\u{2026}'])
}

/// Whether words `i..=j` are set off on both sides.
fn set_off(words: &[TimedWord], i: usize, j: usize) -> bool {
    let left = i == 0
        || ends_clause(&words[i - 1].text)
        || words[i].start_s - words[i - 1].end_s >= SET_OFF_GAP_S;
    let right = j + 1 >= words.len()
        || ends_clause(&words[j].text)
        || words[j + 1].start_s - words[j].end_s >= SET_OFF_GAP_S;
    left && right
}

/// Finds fillers; returns them and which word indices they cover.
pub fn fillers(words: &[TimedWord]) -> (Vec<Filler>, Vec<bool>) {
    let norm: Vec<String> = words.iter().map(|w| normalize(&w.text)).collect();
    let mut covered = vec![false; words.len()];
    let mut found = Vec::new();
    let mut i = 0;
    while i < words.len() {
        let two = CONTEXTUAL_TWO
            .iter()
            .any(|[a, b]| norm[i] == *a && norm.get(i + 1).is_some_and(|n| n == b));
        let (len, tier) = if ALWAYS_FILLERS.contains(&norm[i].as_str()) {
            (1, Some(FillerTier::Always))
        } else if two {
            let repeated = norm.get(i + 2) == Some(&norm[i]) && norm.get(i + 3) == norm.get(i + 1);
            let filler = set_off(words, i, i + 1) || repeated;
            (2, filler.then_some(FillerTier::Contextual))
        } else if CONTEXTUAL_ONE.contains(&norm[i].as_str()) {
            let repeated = norm.get(i + 1) == Some(&norm[i])
                || (i > 0 && norm[i - 1] == norm[i] && covered[i - 1]);
            let filler = set_off(words, i, i) || repeated;
            (1, filler.then_some(FillerTier::Contextual))
        } else {
            (1, None)
        };
        if let Some(tier) = tier {
            let last = i + len - 1;
            found.push(Filler {
                text: norm[i..=last].join(" "),
                tier,
                start_s: words[i].start_s,
                end_s: words[last].end_s,
            });
            covered[i..=last].iter_mut().for_each(|c| *c = true);
        }
        i += len;
    }
    (found, covered)
}

/// Repetitions ("the the") and restarts ("I went I went to") among the
/// words that are not fillers.
pub fn repeats(words: &[TimedWord], covered: &[bool]) -> Vec<Repeat> {
    let kept: Vec<(String, f64)> = words
        .iter()
        .zip(covered)
        .filter(|(_, c)| !**c)
        .map(|(w, _)| (normalize(&w.text), w.start_s))
        .filter(|(n, _)| !n.is_empty())
        .collect();
    let mut out = Vec::new();
    let mut i = 0;
    'scan: while i < kept.len() {
        for n in [3usize, 2] {
            if i + 2 * n <= kept.len() && (0..n).all(|k| kept[i + k].0 == kept[i + n + k].0) {
                out.push(Repeat {
                    text: kept[i..i + n]
                        .iter()
                        .map(|(w, _)| w.as_str())
                        .collect::<Vec<_>>()
                        .join(" "),
                    start_s: kept[i + n].1,
                    restart: true,
                });
                i += 2 * n;
                continue 'scan;
            }
        }
        if kept.get(i + 1).is_some_and(|next| next.0 == kept[i].0) {
            out.push(Repeat {
                text: kept[i].0.clone(),
                start_s: kept[i + 1].1,
                restart: false,
            });
            i += 2;
            continue;
        }
        i += 1;
    }
    out
}

/// Sentences by their final punctuation; a transcript without any (some
/// recognizers write none) is split at the pauses instead.
pub fn sentences(words: &[TimedWord], pauses: &[Span]) -> Vec<Sentence> {
    let punctuated = words.iter().any(|w| ends_sentence(&w.text));
    let mut out = Vec::new();
    let mut current: Vec<&TimedWord> = Vec::new();
    for (i, word) in words.iter().enumerate() {
        current.push(word);
        let next_start = words.get(i + 1).map(|w| w.start_s);
        let boundary = match next_start {
            None => true,
            Some(next) if punctuated => ends_sentence(&word.text) && next >= word.start_s,
            Some(next) => pauses
                .iter()
                .any(|p| p.start_s >= word.start_s && p.end_s <= next + 0.05),
        };
        if boundary {
            let (Some(first), Some(last)) = (current.first(), current.last()) else {
                continue;
            };
            out.push(Sentence {
                text: current
                    .iter()
                    .map(|w| w.text.trim())
                    .collect::<Vec<_>>()
                    .join(" "),
                start_s: first.start_s,
                end_s: last.end_s.max(first.start_s),
                words: current.len(),
            });
            current.clear();
        }
    }
    out
}

/// Measures the words against the voice found in the audio.
pub fn measure(words: &[TimedWord], voice: &Voice) -> WordsFound {
    let (fillers, covered) = fillers(words);
    let repeats = repeats(words, &covered);
    let spoken: Vec<&TimedWord> = words
        .iter()
        .zip(&covered)
        .filter(|(w, c)| !**c && !normalize(&w.text).is_empty())
        .map(|(w, _)| w)
        .collect();
    // Speaking time is the speech the voice detector found between the
    // first word and the last: pauses do not slow the pace down.
    let span = match (words.first(), words.last()) {
        (Some(first), Some(last)) => Span {
            start_s: first.start_s,
            end_s: last.end_s,
        },
        _ => Span {
            start_s: 0.0,
            end_s: 0.0,
        },
    };
    let speech_s = voice.speech_within(span);
    let wpm = if speech_s > 0.0 {
        spoken.len() as f64 * 60.0 / speech_s
    } else {
        0.0
    };
    let mut windows = Vec::new();
    let mut start = 0.0;
    while start < voice.duration_s {
        let window = Span {
            start_s: start,
            end_s: (start + PACE_WINDOW_S).min(voice.duration_s),
        };
        let clipped = Span {
            start_s: window.start_s.max(span.start_s),
            end_s: window.end_s.min(span.end_s),
        };
        let speech = voice.speech_within(clipped);
        let count = spoken
            .iter()
            .filter(|w| w.start_s >= window.start_s && w.start_s < window.end_s)
            .count();
        if speech >= MIN_WINDOW_SPEECH_S {
            windows.push(PaceWindow {
                start_s: window.start_s,
                end_s: window.end_s,
                wpm: count as f64 * 60.0 / speech,
                speech_s: speech,
            });
        }
        start += PACE_WINDOW_S;
    }
    WordsFound {
        words: spoken.len(),
        wpm,
        windows,
        fillers,
        repeats,
        sentences: sentences(words, &voice.pauses),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    /// Words a quarter second apart, 0.2 s long, no silences between.
    fn said(text: &str) -> Vec<TimedWord> {
        text.split_whitespace()
            .enumerate()
            .map(|(i, w)| TimedWord {
                text: w.to_owned(),
                start_s: i as f64 * 0.25,
                end_s: i as f64 * 0.25 + 0.2,
            })
            .collect()
    }

    fn filler_texts(text: &str) -> Vec<(String, FillerTier)> {
        fillers(&said(text))
            .0
            .into_iter()
            .map(|f| (f.text, f.tier))
            .collect()
    }

    #[test]
    fn always_fillers_count_anywhere_and_contextual_ones_only_when_set_off() {
        assert_eq!(
            filler_texts("I um think uh that works"),
            [
                ("um".into(), FillerTier::Always),
                ("uh".into(), FillerTier::Always)
            ]
        );
        assert!(filler_texts("I like pizza and so do you").is_empty());
        assert!(filler_texts("you know what I mean by that").is_empty());
        assert_eq!(
            filler_texts("So, we shipped it, like, on time, you know?"),
            [
                ("so".into(), FillerTier::Contextual),
                ("like".into(), FillerTier::Contextual),
                ("you know".into(), FillerTier::Contextual)
            ]
        );
        assert_eq!(
            filler_texts("it was like like huge"),
            [
                ("like".into(), FillerTier::Contextual),
                ("like".into(), FillerTier::Contextual)
            ]
        );
    }

    #[test]
    fn a_silence_sets_a_contextual_filler_off_as_a_comma_does() {
        let mut words = said("we basically shipped");
        words[2].start_s += 0.8;
        words[2].end_s += 0.8;
        words[1].start_s += 0.4;
        words[1].end_s += 0.4;
        assert_eq!(fillers(&words).0.len(), 1);
    }

    #[test]
    fn repeated_words_and_restarts_are_told_apart() {
        let words = said("the the plan is I went I went to Paris um to Paris");
        let (_, covered) = fillers(&words);
        let found = repeats(&words, &covered);
        let kinds: Vec<(&str, bool)> = found.iter().map(|r| (r.text.as_str(), r.restart)).collect();
        assert_eq!(
            kinds,
            [("the", false), ("i went", true), ("to paris", true)]
        );
    }

    #[test]
    fn sentences_follow_punctuation_or_else_pauses() {
        let words = said("Hello there. How are you? Fine");
        let s = sentences(&words, &[]);
        assert_eq!(s.iter().map(|s| s.words).collect::<Vec<_>>(), [2, 3, 1]);
        let words = said("hello there how are you");
        let pause = Span {
            start_s: 0.45,
            end_s: 0.5,
        };
        let s = sentences(&words, &[pause]);
        assert_eq!(s.len(), 2);
        assert_eq!(s[0].text, "hello there");
    }
}
