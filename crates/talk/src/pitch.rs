//! Voice pitch (F0) over the speech frames with the McLeod pitch method,
//! its statistics in semitones, and the monotone stretches (see
//! docs/talk.md, "Pitch").

use pitch_detection::detector::PitchDetector;
use pitch_detection::detector::mcleod::McLeodDetector;

use crate::decode::SAMPLE_RATE;
use crate::voice::{FRAME, FRAME_S, Span, Voice, percentile};

/// Each estimate looks at 40 ms: two periods of a 50 Hz voice.
const WINDOW: usize = 2 * FRAME;
/// Lowest and highest F0 of a speaking voice kept; the rest are errors.
const MIN_F0_HZ: f64 = 60.0;
const MAX_F0_HZ: f64 = 500.0;
/// How periodic a frame must be (McLeod's clarity) to have a pitch: at 0.7
/// most of espeak-ng's voiced frames went unpitched, at 0.5 octave errors
/// crowded in.
const CLARITY: f32 = 0.6;
/// Estimates smoothed over this many frames, against octave jumps.
const MEDIAN_FRAMES: usize = 5;
/// A stretch is judged over windows this long...
const MONOTONE_WINDOW_S: f64 = 5.0;
/// ...with at least this much pitched speech in them...
const MONOTONE_MIN_VOICED_S: f64 = 1.5;
/// ...and is monotone when its pitch spread is under this (semitones).
pub const MONOTONE_ST: f64 = 1.0;

/// One F0 estimate.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PitchPoint {
    /// Centre of its frame, seconds.
    pub t_s: f64,
    /// F0 in hertz.
    pub hz: f64,
}

/// The F0 track of every pitched speech frame, in time order.
pub fn track(samples: &[f32], voice: &Voice) -> Vec<PitchPoint> {
    let mut detector = McLeodDetector::<f32>::new(WINDOW, WINDOW / 2);
    let mut raw = Vec::new();
    for (i, speech) in voice.speech.iter().enumerate() {
        let start = i * FRAME;
        let Some(window) = samples.get(start..start + WINDOW) else {
            break;
        };
        if !speech {
            continue;
        }
        if let Some(pitch) = detector.get_pitch(window, SAMPLE_RATE as usize, 0.0, CLARITY) {
            let hz = f64::from(pitch.frequency);
            if (MIN_F0_HZ..=MAX_F0_HZ).contains(&hz) {
                raw.push(PitchPoint {
                    t_s: start as f64 / f64::from(SAMPLE_RATE) + FRAME_S,
                    hz,
                });
            }
        }
    }
    // A running median over neighbouring estimates removes single-frame
    // octave errors without flattening real movement.
    (0..raw.len())
        .map(|i| {
            let lo = i.saturating_sub(MEDIAN_FRAMES / 2);
            let hi = (i + MEDIAN_FRAMES / 2 + 1).min(raw.len());
            let near: Vec<f64> = raw[lo..hi]
                .iter()
                .filter(|p| (p.t_s - raw[i].t_s).abs() <= MEDIAN_FRAMES as f64 * FRAME_S)
                .map(|p| p.hz)
                .collect();
            PitchPoint {
                t_s: raw[i].t_s,
                hz: percentile(&near, 0.5).unwrap_or(raw[i].hz),
            }
        })
        .collect()
}

/// Pitch statistics of a talk.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct PitchStats {
    /// Mean F0, hertz.
    pub mean_hz: f64,
    /// 5th to 95th percentile, semitones.
    pub range_st: f64,
    /// Spread (robust standard deviation from the interquartile range),
    /// semitones.
    pub variation_st: f64,
}

fn semitones(hz: f64, reference: f64) -> f64 {
    12.0 * (hz / reference).log2()
}

/// A standard deviation read off the interquartile range (IQR / 1.349,
/// exact for a normal distribution): the octave errors a pitch tracker
/// makes on a few frames do not move it, as they would a plain one.
fn robust_spread(values: &[f64]) -> f64 {
    match (percentile(values, 0.75), percentile(values, 0.25)) {
        (Some(q3), Some(q1)) if values.len() >= 2 => (q3 - q1) / 1.349,
        _ => 0.0,
    }
}

/// The statistics of a track, `None` when nothing was pitched.
pub fn stats(track: &[PitchPoint]) -> Option<PitchStats> {
    let hz: Vec<f64> = track.iter().map(|p| p.hz).collect();
    let reference = percentile(&hz, 0.5)?;
    let st: Vec<f64> = hz.iter().map(|h| semitones(*h, reference)).collect();
    Some(PitchStats {
        mean_hz: hz.iter().sum::<f64>() / hz.len() as f64,
        range_st: percentile(&st, 0.95)? - percentile(&st, 0.05)?,
        variation_st: robust_spread(&st),
    })
}

/// Stretches where pitch varies less than [`MONOTONE_ST`] over every
/// [`MONOTONE_WINDOW_S`] window they hold, with the variation found.
pub fn monotone_stretches(track: &[PitchPoint], duration_s: f64) -> Vec<(Span, f64)> {
    let Some(reference) = percentile(&track.iter().map(|p| p.hz).collect::<Vec<_>>(), 0.5) else {
        return Vec::new();
    };
    let mut flat: Vec<(Span, f64)> = Vec::new();
    let mut t = 0.0;
    while t < duration_s {
        let end = (t + MONOTONE_WINDOW_S).min(duration_s);
        let st: Vec<f64> = track
            .iter()
            .filter(|p| p.t_s >= t && p.t_s < end)
            .map(|p| semitones(p.hz, reference))
            .collect();
        if st.len() as f64 * FRAME_S >= MONOTONE_MIN_VOICED_S {
            let variation = robust_spread(&st);
            if variation < MONOTONE_ST {
                // Windows overlap: extend the current stretch.
                match flat.last_mut() {
                    Some((span, v)) if span.end_s >= t => {
                        span.end_s = end;
                        *v = v.max(variation);
                    }
                    _ => flat.push((
                        Span {
                            start_s: t,
                            end_s: end,
                        },
                        variation,
                    )),
                }
            }
        }
        t += 1.0;
    }
    // Report the stretch's spoken part: from its first to its last pitch.
    flat.into_iter()
        .filter_map(|(span, v)| {
            let inside: Vec<&PitchPoint> = track
                .iter()
                .filter(|p| p.t_s >= span.start_s && p.t_s < span.end_s)
                .collect();
            let first = inside.first()?.t_s - FRAME_S;
            let last = inside.last()?.t_s + FRAME_S;
            Some((
                Span {
                    start_s: first.max(0.0),
                    end_s: last.min(duration_s),
                },
                v,
            ))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use crate::voice;

    fn glide(seconds: f64, from_hz: f64, to_hz: f64) -> Vec<f32> {
        let n = (seconds * f64::from(SAMPLE_RATE)) as usize;
        let mut phase = 0.0f64;
        (0..n)
            .map(|i| {
                let hz = from_hz + (to_hz - from_hz) * i as f64 / n as f64;
                phase += 2.0 * std::f64::consts::PI * hz / f64::from(SAMPLE_RATE);
                // Syllable gaps keep the noise floor low (see voice.rs).
                if i % 4000 >= 3360 {
                    0.0
                } else {
                    (0.3 * phase.sin() + 0.1 * (2.0 * phase).sin()) as f32
                }
            })
            .collect()
    }

    #[test]
    fn a_steady_voice_is_measured_at_its_pitch_and_found_monotone() {
        let samples = glide(8.0, 150.0, 150.0);
        let voice = voice::detect(&samples);
        let points = track(&samples, &voice);
        let stats = stats(&points).unwrap();
        assert!((stats.mean_hz - 150.0).abs() < 3.0, "{stats:?}");
        assert!(stats.variation_st < 0.2);
        let flat = monotone_stretches(&points, voice.duration_s);
        assert_eq!(flat.len(), 1);
        assert!(flat[0].0.duration_s() > 7.0);
    }

    #[test]
    fn a_voice_sweeping_an_octave_is_not_monotone() {
        let mut samples = glide(4.0, 110.0, 220.0);
        samples.extend(glide(4.0, 220.0, 110.0));
        let voice = voice::detect(&samples);
        let points = track(&samples, &voice);
        let stats = stats(&points).unwrap();
        assert!(stats.range_st > 9.0, "{stats:?}");
        assert!(monotone_stretches(&points, voice.duration_s).is_empty());
    }
}
