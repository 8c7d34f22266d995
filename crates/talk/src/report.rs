//! The talk's own report: every measurement of one talk, kept as the
//! analysis' report and laid out by the page. Built from the samples and,
//! when there are any, the timed words.

use serde::{Deserialize, Serialize};

use crate::pitch::{self, PitchStats};
use crate::score::{self, Measures, Score};
use crate::voice::{FRAME_S, Span, Voice, percentile, power_mean_db};
use crate::words::{self, Filler, PaceWindow, Repeat, Sentence, TimedWord};

/// The report's shape version, bumped with [`crate::REVISION`].
pub const REPORT_VERSION: u32 = 1;

/// Where the words came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WordSource {
    /// A transcript file uploaded with the media.
    Transcript,
    /// A speech recognizer.
    SpeechRecognition,
    /// None: only the audio measures.
    None,
}

/// Levels and pitch over one chart window.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct SeriesPoint {
    /// Window start, seconds.
    pub start_s: f64,
    /// Mean F0 of its speech, hertz (`None`: nothing pitched).
    pub pitch_hz: Option<f64>,
    /// Level of its speech, dBFS (`None`: no speech).
    pub level_db: Option<f64>,
}

/// What the words gave, when there were any.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WordsReport {
    /// Words spoken, fillers excluded.
    pub words: usize,
    /// Words per minute of speaking time.
    pub wpm: f64,
    /// Per 30-second window.
    pub windows: Vec<PaceWindow>,
    /// Fillers, in time order.
    pub fillers: Vec<Filler>,
    /// Fillers per minute of speaking time.
    pub fillers_per_minute: f64,
    /// Repetitions and restarts, in time order.
    pub repeats: Vec<Repeat>,
    /// Sentences, in order.
    pub sentences: Vec<Sentence>,
    /// Every word with its time.
    pub transcript: Vec<TimedWord>,
}

/// One talk, measured.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    /// [`REPORT_VERSION`].
    pub version: u32,
    /// Length, seconds.
    pub duration_s: f64,
    /// Seconds of speech.
    pub speech_s: f64,
    /// Every pause of at least [`voice::MIN_PAUSE_S`].
    pub pauses: Vec<Span>,
    /// Pitch statistics (`None`: no pitched speech).
    pub pitch: Option<PitchStats>,
    /// Monotone stretches and their variation in semitones.
    pub monotone: Vec<(Span, f64)>,
    /// Level of the speech, dBFS.
    pub level_db: f64,
    /// Standard deviation of the speech level per second, dB.
    pub level_variation_db: f64,
    /// Volume drops and their level, dBFS.
    pub drops: Vec<(Span, f64)>,
    /// Pitch and level per 30-second window.
    pub series: Vec<SeriesPoint>,
    /// Where the words came from.
    pub word_source: WordSource,
    /// The words' measures (`None` without words).
    pub words: Option<WordsReport>,
    /// The score (`None` without words: pace and fluency need them).
    pub score: Option<Score>,
}

/// Chart windows: as long as the pace windows, so the charts line up.
const SERIES_WINDOW_S: f64 = words::PACE_WINDOW_S;

fn series(voice: &Voice, track: &[pitch::PitchPoint]) -> Vec<SeriesPoint> {
    let mut out = Vec::new();
    let mut start = 0.0;
    while start < voice.duration_s {
        let end = start + SERIES_WINDOW_S;
        let hz: Vec<f64> = track
            .iter()
            .filter(|p| p.t_s >= start && p.t_s < end)
            .map(|p| p.hz)
            .collect();
        let levels = frames_in(voice, start, end);
        out.push(SeriesPoint {
            start_s: start,
            pitch_hz: (!hz.is_empty()).then(|| hz.iter().sum::<f64>() / hz.len() as f64),
            level_db: (!levels.is_empty()).then(|| power_mean_db(&levels)),
        });
        start = end;
    }
    out
}

fn frames_in(voice: &Voice, start_s: f64, end_s: f64) -> Vec<f64> {
    let lo = (start_s / FRAME_S).floor() as usize;
    let hi = ((end_s / FRAME_S).ceil() as usize).min(voice.frame_db.len());
    (lo..hi)
        .filter(|&i| voice.speech[i])
        .map(|i| voice.frame_db[i])
        .collect()
}

/// The spread of the speech level second by second (seconds with at least
/// a quarter second of speech), in dB.
fn level_variation(voice: &Voice) -> f64 {
    let per_second: Vec<f64> = (0..voice.duration_s.ceil() as usize)
        .filter_map(|s| {
            let levels = frames_in(voice, s as f64, s as f64 + 1.0);
            (levels.len() as f64 * FRAME_S >= 0.25).then(|| power_mean_db(&levels))
        })
        .collect();
    if per_second.len() < 2 {
        return 0.0;
    }
    let mean = per_second.iter().sum::<f64>() / per_second.len() as f64;
    (per_second.iter().map(|l| (l - mean).powi(2)).sum::<f64>() / per_second.len() as f64).sqrt()
}

/// Measures a talk. `voice` must come from the same samples.
pub fn build(
    samples: &[f32],
    voice: &Voice,
    words: Option<(WordSource, Vec<TimedWord>)>,
) -> Report {
    let track = pitch::track(samples, voice);
    let pitch = pitch::stats(&track);
    let monotone = pitch::monotone_stretches(&track, voice.duration_s);
    let levels = voice.speech_levels();
    let median = percentile(&levels, 0.5).unwrap_or(f64::NEG_INFINITY);
    let drops = voice.volume_drops();
    let speech_s = voice.speech_s();
    let (word_source, words) = match words {
        Some((source, list)) if !list.is_empty() => {
            let found = words::measure(&list, voice);
            let minutes = speech_s / 60.0;
            (
                source,
                Some(WordsReport {
                    words: found.words,
                    wpm: found.wpm,
                    windows: found.windows,
                    fillers_per_minute: if minutes > 0.0 {
                        found.fillers.len() as f64 / minutes
                    } else {
                        0.0
                    },
                    fillers: found.fillers,
                    repeats: found.repeats,
                    sentences: found.sentences,
                    transcript: list,
                }),
            )
        }
        _ => (WordSource::None, None),
    };
    let score = words.as_ref().map(|w| {
        let mut disfluencies: Vec<(f64, String)> = w
            .fillers
            .iter()
            .map(|f| (f.start_s, f.text.clone()))
            .chain(w.repeats.iter().map(|r| (r.start_s, r.text.clone())))
            .collect();
        disfluencies.sort_by(|a, b| a.0.total_cmp(&b.0));
        // The pace windows judged are the measured ones; a talk too short
        // for any is judged on its overall pace.
        let windows = if w.windows.is_empty() && speech_s > 0.0 {
            vec![PaceWindow {
                start_s: w.transcript.first().map_or(0.0, |t| t.start_s),
                end_s: w.transcript.last().map_or(0.0, |t| t.end_s),
                wpm: w.wpm,
                speech_s,
            }]
        } else {
            w.windows.clone()
        };
        score::score(&Measures {
            speech_s,
            wpm: w.wpm,
            windows,
            disfluencies,
            pauses: voice.pauses.clone(),
            monotone: monotone
                .iter()
                .map(|(span, v)| (*span, *v, voice.speech_within(*span)))
                .collect(),
            drops: drops.iter().map(|(span, l)| (*span, *l, median)).collect(),
        })
    });
    Report {
        version: REPORT_VERSION,
        duration_s: voice.duration_s,
        speech_s,
        pauses: voice.pauses.clone(),
        pitch,
        monotone,
        level_db: power_mean_db(&levels),
        level_variation_db: level_variation(voice),
        drops,
        series: series(voice, &track),
        word_source,
        words,
        score,
    }
}
