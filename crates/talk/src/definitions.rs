//! What every talk metric key means. One table: the analysis takes each
//! metric's unit and direction from it, so a page, the coach and the
//! stored rows never disagree (docs/talk.md has the long form).

use filmroom_domain::{MetricDefinition, Unit};

/// (key, label, unit, higher is better, description)
type Row = (&'static str, &'static str, Unit, Option<bool>, &'static str);

/// Every metric key the talk domain writes.
pub const METRICS: &[Row] = &[
    (
        "score",
        "Score",
        Unit::Points,
        Some(true),
        "0-100: the sum of the five components below (25 + 25 + 15 + 20 + 15); every point lost is a flag with its moment. Needs the words (a transcript or speech recognition).",
    ),
    (
        "score.pace",
        "Pace points",
        Unit::Points,
        Some(true),
        "Out of 25: each 30-second window outside 130-170 words per minute loses 0.5 point per word per minute outside, weighted by its share of the speech.",
    ),
    (
        "score.fluency",
        "Fluency points",
        Unit::Points,
        Some(true),
        "Out of 25: one filler, repetition or restart per minute of speech is free; each one beyond costs 3 points.",
    ),
    (
        "score.pauses",
        "Pause points",
        Unit::Points,
        Some(true),
        "Out of 15: each pause of 3 s or more costs 2 points plus 1 per second over 3 s, at most 5.",
    ),
    (
        "score.pitch",
        "Pitch points",
        Unit::Points,
        Some(true),
        "Out of 20: monotone speech costs twice its share of the speech time, so half a talk monotone loses all 20.",
    ),
    (
        "score.volume",
        "Volume points",
        Unit::Points,
        Some(true),
        "Out of 15: each volume drop costs 1 point per second, at most 5.",
    ),
    (
        "flags.count",
        "Flags",
        Unit::Count,
        Some(false),
        "Moments that cost points: too fast or slow, filler clusters, long pauses, monotone stretches, volume drops.",
    ),
    (
        "pace.wpm",
        "Pace",
        Unit::PerMinute,
        None,
        "Words per minute of speaking time: words (fillers excluded) divided by the seconds of detected speech between the first and last word. Pauses do not lower it. 130-170 is the comfortable band.",
    ),
    (
        "pace.words",
        "Words",
        Unit::Count,
        None,
        "Words spoken, fillers excluded.",
    ),
    (
        "pace.fastest_wpm",
        "Fastest 30 s",
        Unit::PerMinute,
        None,
        "The highest pace of a 30-second window with at least 5 s of speech.",
    ),
    (
        "pace.slowest_wpm",
        "Slowest 30 s",
        Unit::PerMinute,
        None,
        "The lowest pace of a 30-second window with at least 5 s of speech.",
    ),
    (
        "fillers.count",
        "Fillers",
        Unit::Count,
        Some(false),
        "Um, uh, er, ah and hmm anywhere, plus like, so, basically, actually, you know and I mean when set off by punctuation or a silence of 0.3 s on both sides, or said twice in a row.",
    ),
    (
        "fillers.per_minute",
        "Fillers per minute",
        Unit::PerMinute,
        Some(false),
        "Fillers per minute of speaking time.",
    ),
    (
        "fillers.always",
        "Um and uh",
        Unit::Count,
        Some(false),
        "Fillers of the always tier: um, uh, er, ah, hmm.",
    ),
    (
        "fillers.contextual",
        "Contextual fillers",
        Unit::Count,
        Some(false),
        "Fillers of the contextual tier: like, so, basically, actually, you know, I mean in filler positions.",
    ),
    (
        "repetitions.count",
        "Repetitions",
        Unit::Count,
        Some(false),
        "A word said twice in a row (\"the the\"), fillers aside.",
    ),
    (
        "restarts.count",
        "Restarts",
        Unit::Count,
        Some(false),
        "Two or three words said again at once (\"I went I went to\"), fillers aside.",
    ),
    (
        "sentences.count",
        "Sentences",
        Unit::Count,
        None,
        "Sentences by final punctuation, or split at pauses when the words have none.",
    ),
    (
        "sentences.mean_words",
        "Words per sentence",
        Unit::Count,
        None,
        "The mean number of words of a sentence.",
    ),
    (
        "sentences.longest_words",
        "Longest sentence",
        Unit::Count,
        None,
        "The words of the longest sentence.",
    ),
    (
        "speech.seconds",
        "Speaking time",
        Unit::Seconds,
        None,
        "Seconds of detected speech: 20 ms frames at least 10 dB above an adaptive noise floor and above -55 dBFS, gaps under 0.25 s bridged, islands under 60 ms dropped.",
    ),
    (
        "speech.ratio",
        "Speaking-time ratio",
        Unit::Percent,
        None,
        "Speaking time as a share of the recording's length.",
    ),
    (
        "pauses.count",
        "Pauses",
        Unit::Count,
        None,
        "Silences of at least 0.5 s between two stretches of speech.",
    ),
    (
        "pauses.longest_s",
        "Longest pause",
        Unit::Seconds,
        Some(false),
        "The longest pause, in seconds.",
    ),
    (
        "pauses.long_count",
        "Long pauses",
        Unit::Count,
        Some(false),
        "Pauses of 3 s or more.",
    ),
    (
        "pitch.mean_hz",
        "Mean pitch",
        Unit::Hertz,
        None,
        "Mean voice pitch (F0) of the pitched speech frames, by the McLeod pitch method over 40 ms windows every 20 ms (60-500 Hz, clarity 0.6, 5-frame median).",
    ),
    (
        "pitch.range_st",
        "Pitch range",
        Unit::Ratio,
        Some(true),
        "Semitones from the 5th to the 95th percentile of the pitch.",
    ),
    (
        "pitch.variation_st",
        "Pitch variation",
        Unit::Ratio,
        Some(true),
        "Spread of the pitch in semitones: the interquartile range / 1.349, a standard deviation that octave errors of the tracker do not inflate.",
    ),
    (
        "pitch.monotone_s",
        "Monotone time",
        Unit::Seconds,
        Some(false),
        "Seconds in monotone stretches: every 5-second window in them with 1.5 s of pitched speech has a pitch spread (as pitch.variation_st) under 1 semitone.",
    ),
    (
        "volume.level_db",
        "Volume",
        Unit::Decibels,
        None,
        "Level of the speech frames taken together (mean power), dBFS. Depends on the microphone as much as the voice.",
    ),
    (
        "volume.variation_db",
        "Volume variation",
        Unit::Decibels,
        None,
        "Standard deviation of the speech level second by second, dB.",
    ),
    (
        "volume.drops",
        "Volume drops",
        Unit::Count,
        Some(false),
        "Stretches of 2 s or more of speech whose 1-second level is 10 dB or more under the talk's median speech level.",
    ),
];

/// The metric definitions of [`METRICS`].
pub fn metric_definitions() -> Vec<MetricDefinition> {
    METRICS
        .iter()
        .map(|(key, label, unit, higher, description)| MetricDefinition {
            key: (*key).to_owned(),
            label: (*label).to_owned(),
            unit: *unit,
            description: (*description).to_owned(),
            higher_is_better: *higher,
            family: key.split('.').next().unwrap_or(key).to_owned(),
        })
        .collect()
}

/// The unit and direction of a key of [`METRICS`].
pub fn lookup(key: &str) -> Option<(Unit, Option<bool>)> {
    METRICS
        .iter()
        .find(|row| row.0 == key)
        .map(|row| (row.2, row.3))
}
