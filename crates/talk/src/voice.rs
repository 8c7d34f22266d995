//! Voice activity, pauses and loudness from the samples: a frame-energy
//! detector with an adaptive noise floor (see docs/talk.md, "Voice").

use serde::{Deserialize, Serialize};

use crate::decode::SAMPLE_RATE;

/// Length of one analysis frame: 20 ms.
pub const FRAME: usize = (SAMPLE_RATE / 50) as usize;
/// Seconds per frame.
pub const FRAME_S: f64 = FRAME as f64 / SAMPLE_RATE as f64;

/// The level digital silence is clamped to, in dBFS.
const FLOOR_DB: f64 = -100.0;
/// A frame quieter than this is never speech, whatever the noise floor.
const ABSOLUTE_SPEECH_DB: f64 = -55.0;
/// Speech is at least this far above the noise floor.
const SPEECH_OVER_FLOOR_DB: f64 = 10.0;
/// How fast the noise floor may rise while no quieter frame comes: slow,
/// so that a long sentence does not become the floor.
const FLOOR_RISE_DB_PER_S: f64 = 3.0;
/// Speech islands shorter than this are clicks, not speech.
const MIN_SPEECH_S: f64 = 0.06;
/// Gaps shorter than this inside speech are the stops of plosives and
/// the breaks between words: still speech.
const BRIDGE_S: f64 = 0.25;
/// The shortest silence between speech counted as a pause.
pub const MIN_PAUSE_S: f64 = 0.5;
/// A stretch of speech whose level is this far below the talk's median
/// speech level is a volume drop...
const DROP_DB: f64 = 10.0;
/// ...when it lasts at least this long.
const MIN_DROP_S: f64 = 2.0;

/// A span of the recording, in seconds.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Span {
    /// Start, seconds from the start.
    pub start_s: f64,
    /// End, seconds from the start.
    pub end_s: f64,
}

impl Span {
    /// Its length in seconds.
    pub fn duration_s(&self) -> f64 {
        self.end_s - self.start_s
    }
}

/// What the voice detector found.
#[derive(Debug, Clone, PartialEq)]
pub struct Voice {
    /// Per frame: its level in dBFS.
    pub frame_db: Vec<f64>,
    /// Per frame: whether it is speech.
    pub speech: Vec<bool>,
    /// The speech segments, in order.
    pub segments: Vec<Span>,
    /// Silences of at least [`MIN_PAUSE_S`] between two segments.
    pub pauses: Vec<Span>,
    /// The recording's length in seconds.
    pub duration_s: f64,
}

fn level_db(frame: &[f32]) -> f64 {
    if frame.is_empty() {
        return FLOOR_DB;
    }
    let power = frame.iter().map(|s| f64::from(*s).powi(2)).sum::<f64>() / frame.len() as f64;
    if power <= 0.0 {
        FLOOR_DB
    } else {
        (10.0 * power.log10()).max(FLOOR_DB)
    }
}

/// The `p`-th percentile (0-1) of `values`, which need not be sorted.
pub fn percentile(values: &[f64], p: f64) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let i = ((sorted.len() - 1) as f64 * p.clamp(0.0, 1.0)).round() as usize;
    sorted.get(i).copied()
}

/// Finds speech, pauses and levels in 16 kHz mono samples.
pub fn detect(samples: &[f32]) -> Voice {
    let frame_db: Vec<f64> = samples.chunks(FRAME).map(level_db).collect();
    let duration_s = samples.len() as f64 / f64::from(SAMPLE_RATE);
    // The floor starts at the quiet end of the whole recording, then
    // follows each quieter frame down at once and rises slowly.
    let mut floor = percentile(&frame_db, 0.05).unwrap_or(FLOOR_DB);
    let rise = FLOOR_RISE_DB_PER_S * FRAME_S;
    let mut speech: Vec<bool> = frame_db
        .iter()
        .map(|&db| {
            floor = if db < floor { db } else { floor + rise };
            db >= ABSOLUTE_SPEECH_DB && db >= floor + SPEECH_OVER_FLOOR_DB
        })
        .collect();
    fill_runs(
        &mut speech,
        false,
        (BRIDGE_S / FRAME_S).round() as usize,
        true,
    );
    fill_runs(
        &mut speech,
        true,
        (MIN_SPEECH_S / FRAME_S).round() as usize,
        false,
    );
    let segments = runs(&speech, true);
    let pauses = segments
        .windows(2)
        .map(|w| Span {
            start_s: w[0].end_s,
            end_s: w[1].start_s,
        })
        .filter(|gap| gap.duration_s() >= MIN_PAUSE_S - 1e-9)
        .collect();
    Voice {
        frame_db,
        speech,
        segments,
        pauses,
        duration_s,
    }
}

/// Sets runs of `value` shorter than `max_len` frames to `!value`; with
/// `inner_only`, only runs between two runs of the other value.
fn fill_runs(flags: &mut [bool], value: bool, max_len: usize, inner_only: bool) {
    let mut i = 0;
    while i < flags.len() {
        if flags[i] != value {
            i += 1;
            continue;
        }
        let start = i;
        while i < flags.len() && flags[i] == value {
            i += 1;
        }
        let inner = start > 0 && i < flags.len();
        if i - start < max_len && (inner || !inner_only) {
            flags[start..i].iter_mut().for_each(|f| *f = !value);
        }
    }
}

fn runs(flags: &[bool], value: bool) -> Vec<Span> {
    let mut out = Vec::new();
    let mut start = None;
    for (i, &f) in flags.iter().chain(std::iter::once(&!value)).enumerate() {
        match (f == value, start) {
            (true, None) => start = Some(i),
            (false, Some(s)) => {
                out.push(Span {
                    start_s: s as f64 * FRAME_S,
                    end_s: i as f64 * FRAME_S,
                });
                start = None;
            }
            _ => {}
        }
    }
    out
}

impl Voice {
    /// Seconds of speech.
    pub fn speech_s(&self) -> f64 {
        self.segments.iter().map(Span::duration_s).sum()
    }

    /// The levels of the speech frames, in dBFS.
    pub fn speech_levels(&self) -> Vec<f64> {
        self.frame_db
            .iter()
            .zip(&self.speech)
            .filter(|(_, s)| **s)
            .map(|(db, _)| *db)
            .collect()
    }

    /// Speech seconds within `span`.
    pub fn speech_within(&self, span: Span) -> f64 {
        self.segments
            .iter()
            .map(|s| (s.end_s.min(span.end_s) - s.start_s.max(span.start_s)).max(0.0))
            .sum()
    }

    /// Stretches of speech at least [`MIN_DROP_S`] long whose level, over
    /// a 1-second window, is [`DROP_DB`] or more under the median speech
    /// level. Returns each stretch with its mean level.
    pub fn volume_drops(&self) -> Vec<(Span, f64)> {
        let levels = self.speech_levels();
        let Some(median) = percentile(&levels, 0.5) else {
            return Vec::new();
        };
        let window = (1.0 / FRAME_S).round() as usize;
        let quiet: Vec<bool> = (0..self.frame_db.len())
            .map(|i| {
                let lo = i.saturating_sub(window / 2);
                let hi = (i + window / 2).min(self.frame_db.len());
                let voiced: Vec<f64> = (lo..hi)
                    .filter(|&j| self.speech[j])
                    .map(|j| self.frame_db[j])
                    .collect();
                // Half the window voiced at least, so pauses are not drops.
                self.speech[i]
                    && voiced.len() * 2 >= hi - lo
                    && power_mean_db(&voiced) <= median - DROP_DB
            })
            .collect();
        let mut drops = runs(&quiet, true);
        // Short gaps in a quiet stretch (a pause, a loud syllable) do not
        // split it.
        drops.dedup_by(|b, a| {
            if b.start_s - a.end_s < 1.0 {
                a.end_s = b.end_s;
                true
            } else {
                false
            }
        });
        drops
            .into_iter()
            .filter(|d| d.duration_s() >= MIN_DROP_S)
            .map(|d| {
                let lo = (d.start_s / FRAME_S) as usize;
                let hi = ((d.end_s / FRAME_S) as usize).min(self.frame_db.len());
                let voiced: Vec<f64> = (lo..hi)
                    .filter(|&j| self.speech[j])
                    .map(|j| self.frame_db[j])
                    .collect();
                (d, power_mean_db(&voiced))
            })
            .collect()
    }
}

/// The level of frames taken together: the mean of their power, in dB.
pub fn power_mean_db(levels: &[f64]) -> f64 {
    if levels.is_empty() {
        return FLOOR_DB;
    }
    let mean = levels.iter().map(|db| 10f64.powf(db / 10.0)).sum::<f64>() / levels.len() as f64;
    (10.0 * mean.log10()).max(FLOOR_DB)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    /// A 220 Hz tone broken every 250 ms by 40 ms of silence, as syllables
    /// are: a steady tone would become the noise floor itself.
    fn tone(seconds: f64, amplitude: f32) -> Vec<f32> {
        let n = (seconds * f64::from(SAMPLE_RATE)) as usize;
        (0..n)
            .map(|i| {
                if i % 4000 >= 3360 {
                    0.0
                } else {
                    amplitude * (i as f32 * 2.0 * std::f32::consts::PI * 220.0 / 16_000.0).sin()
                }
            })
            .collect()
    }

    #[test]
    fn a_silence_between_two_tones_is_one_pause_where_it_was_put() {
        let mut samples = tone(1.0, 0.3);
        samples.extend(vec![0.0; 16_000 * 2]);
        samples.extend(tone(1.0, 0.3));
        let voice = detect(&samples);
        assert_eq!(voice.segments.len(), 2, "{:?}", voice.segments);
        assert_eq!(voice.pauses.len(), 1);
        // The tone's last syllable gap (40 ms) ends it early.
        assert!((voice.pauses[0].start_s - 1.0).abs() < 0.05);
        assert!((voice.pauses[0].duration_s() - 2.0).abs() < 0.06);
        assert!((voice.speech_s() - 2.0).abs() < 0.1);
    }

    #[test]
    fn gaps_between_words_are_not_pauses() {
        let mut samples = tone(0.5, 0.3);
        samples.extend(vec![0.0; 16_000 / 10]);
        samples.extend(tone(0.5, 0.3));
        let voice = detect(&samples);
        assert_eq!(voice.segments.len(), 1);
        assert!(voice.pauses.is_empty());
    }

    #[test]
    fn silence_has_no_speech() {
        assert!(detect(&vec![0.0; 16_000 * 3]).segments.is_empty());
        assert!(detect(&tone(3.0, 0.0005)).segments.is_empty());
    }

    #[test]
    fn a_quiet_stretch_is_a_volume_drop_and_even_speech_has_none() {
        let mut samples = tone(4.0, 0.3);
        samples.extend(tone(3.0, 0.02));
        samples.extend(tone(4.0, 0.3));
        let voice = detect(&samples);
        let drops = voice.volume_drops();
        assert_eq!(drops.len(), 1, "{drops:?}");
        assert!((drops[0].0.start_s - 4.0).abs() < 0.6);
        assert!(drops[0].1 < -30.0);
        assert!(detect(&tone(6.0, 0.3)).volume_drops().is_empty());
    }
}
