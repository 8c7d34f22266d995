//! The 0-100 score: five components whose maximums sum to 100, each losing
//! points only through flags, so every point lost has a moment, evidence
//! and a tip (the formula and tiers are in docs/talk.md, "Score").

use serde::{Deserialize, Serialize};

use crate::voice::Span;
use crate::words::PaceWindow;

/// A component of the score.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Component {
    /// Words per minute within the comfortable band.
    Pace,
    /// Few fillers, repetitions and restarts.
    Fluency,
    /// No long silences.
    Pauses,
    /// A voice that moves in pitch.
    Pitch,
    /// A voice that stays audible.
    Volume,
}

impl Component {
    /// Every component, in display order.
    pub const ALL: [Component; 5] = [
        Component::Pace,
        Component::Fluency,
        Component::Pauses,
        Component::Pitch,
        Component::Volume,
    ];

    /// Its points when nothing is flagged; the five sum to exactly 100.
    pub const fn max_points(self) -> f64 {
        match self {
            Component::Pace => 25.0,
            Component::Fluency => 25.0,
            Component::Pauses => 15.0,
            Component::Pitch => 20.0,
            Component::Volume => 15.0,
        }
    }

    /// Its stable name (metric `score.<key>`).
    pub fn key(self) -> &'static str {
        match self {
            Component::Pace => "pace",
            Component::Fluency => "fluency",
            Component::Pauses => "pauses",
            Component::Pitch => "pitch",
            Component::Volume => "volume",
        }
    }

    /// Its name for people.
    pub fn label(self) -> &'static str {
        match self {
            Component::Pace => "Pace",
            Component::Fluency => "Fluency",
            Component::Pauses => "Pauses",
            Component::Pitch => "Pitch variety",
            Component::Volume => "Volume",
        }
    }
}

/// The comfortable pace band, words per minute.
pub const PACE_BAND: (f64, f64) = (130.0, 170.0);
/// Pace points lost per word per minute outside the band, before weighting
/// by the window's share of the speech.
const PACE_POINTS_PER_WPM: f64 = 0.5;
/// Fillers, repetitions and restarts allowed per minute of speech.
const FREE_DISFLUENCIES_PER_MIN: f64 = 1.0;
/// Points each disfluency beyond the allowance costs.
const POINTS_PER_DISFLUENCY: f64 = 3.0;
/// Disfluencies closer than this form one cluster (one flag).
const CLUSTER_GAP_S: f64 = 10.0;
/// A pause this long or longer loses points.
pub const LONG_PAUSE_S: f64 = 3.0;
/// A long pause costs this much, plus one point per second over
/// [`LONG_PAUSE_S`], at most [`MAX_POINTS_PER_PAUSE`].
const POINTS_PER_LONG_PAUSE: f64 = 2.0;
const MAX_POINTS_PER_PAUSE: f64 = 5.0;
/// Monotone speech costs the pitch component twice its share of the
/// speech: half the talk monotone loses all 20 points.
const MONOTONE_WEIGHT: f64 = 2.0;
/// A volume drop costs a point per second, at most five.
const POINTS_PER_DROP_S: f64 = 1.0;
const MAX_POINTS_PER_DROP: f64 = 5.0;

/// What the score is computed from.
#[derive(Debug, Clone, Default)]
pub struct Measures {
    /// Seconds of speech in the talk.
    pub speech_s: f64,
    /// Words per minute over the whole talk.
    pub wpm: f64,
    /// Words per minute per window.
    pub windows: Vec<PaceWindow>,
    /// Each filler, repetition or restart: when, and what was said.
    pub disfluencies: Vec<(f64, String)>,
    /// Every pause.
    pub pauses: Vec<Span>,
    /// Monotone stretches with their pitch variation (semitones) and
    /// their seconds of speech.
    pub monotone: Vec<(Span, f64, f64)>,
    /// Volume drops with their level (dBFS) and the talk's median (dBFS).
    pub drops: Vec<(Span, f64, f64)>,
}

/// How much a flag weighs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// Under 2 points.
    Minor,
    /// 2 to under 5 points.
    Moderate,
    /// 5 points or more.
    Major,
}

impl Severity {
    fn of(points: f64) -> Severity {
        if points >= 5.0 {
            Severity::Major
        } else if points >= 2.0 {
            Severity::Moderate
        } else {
            Severity::Minor
        }
    }
}

/// A moment that cost points.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Flag {
    /// When, seconds.
    pub t_s: f64,
    /// How long it lasted, seconds (0 for a moment).
    pub duration_s: f64,
    /// The component that lost the points.
    pub component: Component,
    /// Its weight.
    pub severity: Severity,
    /// Points lost.
    pub points_lost: f64,
    /// A short title ("Too fast").
    pub title: String,
    /// What was measured.
    pub evidence: String,
    /// What to do about it.
    pub tip: String,
}

/// A component's result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ComponentScore {
    /// Which.
    pub component: Component,
    /// Points kept.
    pub points: f64,
    /// Its maximum.
    pub max_points: f64,
    /// Said when it kept every point.
    pub strength: Option<String>,
}

/// The score, its components and flags.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Score {
    /// 0 to 100.
    pub total: f64,
    /// One per component, in [`Component::ALL`] order.
    pub components: Vec<ComponentScore>,
    /// Every flag, in time order.
    pub flags: Vec<Flag>,
}

/// Caps a component's raw losses, in time order, at its maximum, so the
/// flags' points add up to exactly what the component lost.
fn settle(component: Component, raw: Vec<Flag>) -> Vec<Flag> {
    let mut left = component.max_points();
    raw.into_iter()
        .map(|mut flag| {
            let points = flag.points_lost.min(left).max(0.0);
            left -= points;
            flag.points_lost = points;
            flag.severity = Severity::of(points);
            flag
        })
        .collect()
}

fn flag(
    component: Component,
    span: Span,
    points: f64,
    title: &str,
    evidence: String,
    tip: &str,
) -> Flag {
    Flag {
        t_s: span.start_s,
        duration_s: span.duration_s().max(0.0),
        component,
        severity: Severity::of(points),
        points_lost: points,
        title: title.to_owned(),
        evidence,
        tip: tip.to_owned(),
    }
}

fn pace_flags(m: &Measures) -> Vec<Flag> {
    let (low, high) = PACE_BAND;
    let total: f64 = m.windows.iter().map(|w| w.speech_s).sum();
    m.windows
        .iter()
        .filter_map(|w| {
            let over = w.wpm - high;
            let under = low - w.wpm;
            let off = over.max(under);
            if off <= 0.0 || total <= 0.0 {
                return None;
            }
            let points = (off * PACE_POINTS_PER_WPM).min(Component::Pace.max_points())
                * (w.speech_s / total);
            let span = Span { start_s: w.start_s, end_s: w.end_s };
            Some(if over > 0.0 {
                flag(
                    Component::Pace,
                    span,
                    points,
                    "Too fast",
                    format!("{:.0} words per minute, above the {low:.0}-{high:.0} band", w.wpm),
                    "Slow down here: finish each point, then take a one-second breath before the next.",
                )
            } else {
                flag(
                    Component::Pace,
                    span,
                    points,
                    "Too slow",
                    format!("{:.0} words per minute, below the {low:.0}-{high:.0} band", w.wpm),
                    "Pick up the pace here: rehearse this part until it flows, and cut words that repeat the slide.",
                )
            })
        })
        .collect()
}

fn fluency_flags(m: &Measures) -> Vec<Flag> {
    let free = (m.speech_s / 60.0 * FREE_DISFLUENCIES_PER_MIN).floor() as usize;
    let mut clusters: Vec<Vec<&(f64, String)>> = Vec::new();
    for d in &m.disfluencies {
        match clusters.last_mut() {
            Some(c) if c.last().is_some_and(|l| d.0 - l.0 < CLUSTER_GAP_S) => c.push(d),
            _ => clusters.push(vec![d]),
        }
    }
    let mut seen = 0usize;
    let mut out = Vec::new();
    for cluster in clusters {
        let charged = cluster
            .iter()
            .enumerate()
            .filter(|(k, _)| seen + k >= free)
            .count();
        seen += cluster.len();
        if charged == 0 {
            continue;
        }
        let (Some(first), Some(last)) = (cluster.first(), cluster.last()) else {
            continue;
        };
        let said: Vec<&str> = cluster.iter().map(|d| d.1.as_str()).collect();
        out.push(flag(
            Component::Fluency,
            Span { start_s: first.0, end_s: last.0 },
            charged as f64 * POINTS_PER_DISFLUENCY,
            if cluster.len() > 1 { "Filler cluster" } else { "Filler" },
            format!("{}: \"{}\"", if cluster.len() > 1 { format!("{} fillers or restarts", cluster.len()) } else { "a filler or restart".to_owned() }, said.join("\", \"")),
            "Replace the filler with a silent pause: a second of silence sounds confident, an 'um' does not.",
        ));
    }
    out
}

fn pause_flags(m: &Measures) -> Vec<Flag> {
    m.pauses
        .iter()
        .filter(|p| p.duration_s() >= LONG_PAUSE_S)
        .map(|p| {
            let points = (POINTS_PER_LONG_PAUSE + (p.duration_s() - LONG_PAUSE_S))
                .min(MAX_POINTS_PER_PAUSE);
            flag(
                Component::Pauses,
                *p,
                points,
                "Long pause",
                format!("{:.1} seconds of silence", p.duration_s()),
                "Keep pauses under 3 seconds: if you lose your place, glance at a one-word note and carry on.",
            )
        })
        .collect()
}

fn pitch_flags(m: &Measures) -> Vec<Flag> {
    if m.speech_s <= 0.0 {
        return Vec::new();
    }
    m.monotone
        .iter()
        .map(|(span, variation, speech)| {
            let points = MONOTONE_WEIGHT * Component::Pitch.max_points() * speech / m.speech_s;
            flag(
                Component::Pitch,
                *span,
                points,
                "Monotone stretch",
                format!(
                    "{:.0} seconds with pitch varying by {variation:.1} semitones (under 1.0)",
                    span.duration_s()
                ),
                "Vary your pitch: stress one word per sentence, rise on questions and fall at the end of key points.",
            )
        })
        .collect()
}

fn volume_flags(m: &Measures) -> Vec<Flag> {
    m.drops
        .iter()
        .map(|(span, level, median)| {
            let points = (span.duration_s() * POINTS_PER_DROP_S).min(MAX_POINTS_PER_DROP);
            flag(
                Component::Volume,
                *span,
                points,
                "Volume drop",
                format!(
                    "{:.0} seconds at {level:.0} dBFS, {:.0} dB under your usual {median:.0} dBFS",
                    span.duration_s(),
                    median - level
                ),
                "Keep your voice up through the end of each sentence: speak to the back row.",
            )
        })
        .collect()
}

fn strength(component: Component, m: &Measures) -> String {
    match component {
        Component::Pace => format!("A comfortable pace: {:.0} words per minute", m.wpm),
        Component::Fluency => format!(
            "Fluent: {} fillers or restarts in {:.1} minutes of speech",
            m.disfluencies.len(),
            m.speech_s / 60.0
        ),
        Component::Pauses => "No pause longer than 3 seconds".to_owned(),
        Component::Pitch => "A lively voice: no monotone stretch".to_owned(),
        Component::Volume => "An even volume: no drop in level".to_owned(),
    }
}

/// Scores a talk.
pub fn score(m: &Measures) -> Score {
    let mut flags = Vec::new();
    let mut components = Vec::new();
    for component in Component::ALL {
        let raw = match component {
            Component::Pace => pace_flags(m),
            Component::Fluency => fluency_flags(m),
            Component::Pauses => pause_flags(m),
            Component::Pitch => pitch_flags(m),
            Component::Volume => volume_flags(m),
        };
        let settled = settle(component, raw);
        let lost: f64 = settled.iter().map(|f| f.points_lost).sum();
        components.push(ComponentScore {
            component,
            points: component.max_points() - lost,
            max_points: component.max_points(),
            strength: (lost <= 0.0).then(|| strength(component, m)),
        });
        flags.extend(settled);
    }
    flags.sort_by(|a, b| a.t_s.total_cmp(&b.t_s));
    Score {
        total: components
            .iter()
            .map(|c| c.points)
            .sum::<f64>()
            .clamp(0.0, 100.0),
        components,
        flags,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    fn window(start_s: f64, wpm: f64) -> PaceWindow {
        PaceWindow {
            start_s,
            end_s: start_s + 30.0,
            wpm,
            speech_s: 25.0,
        }
    }

    fn flawless() -> Measures {
        Measures {
            speech_s: 120.0,
            wpm: 150.0,
            windows: (0..4).map(|i| window(f64::from(i) * 30.0, 150.0)).collect(),
            disfluencies: vec![(10.0, "um".into())],
            pauses: vec![Span {
                start_s: 40.0,
                end_s: 41.5,
            }],
            ..Measures::default()
        }
    }

    #[test]
    fn the_maximums_sum_to_exactly_100() {
        let sum: f64 = Component::ALL.iter().map(|c| c.max_points()).sum();
        assert_eq!(sum, 100.0);
    }

    #[test]
    fn a_flawless_talk_scores_100_with_no_flags_and_every_component_a_strength() {
        let s = score(&flawless());
        assert_eq!(s.total, 100.0);
        assert!(s.flags.is_empty());
        assert!(s.components.iter().all(|c| c.strength.is_some()));
    }

    #[test]
    fn every_point_lost_is_a_flag_and_no_component_goes_below_zero() {
        let mut m = flawless();
        m.windows[1].wpm = 210.0;
        m.windows[2].wpm = 90.0;
        m.disfluencies = (0..40)
            .map(|i| (f64::from(i) * 3.0, "um".to_owned()))
            .collect();
        m.pauses.push(Span {
            start_s: 60.0,
            end_s: 66.0,
        });
        m.monotone.push((
            Span {
                start_s: 70.0,
                end_s: 100.0,
            },
            0.6,
            28.0,
        ));
        m.drops.push((
            Span {
                start_s: 100.0,
                end_s: 103.0,
            },
            -40.0,
            -22.0,
        ));
        let s = score(&m);
        let lost: f64 = s.flags.iter().map(|f| f.points_lost).sum();
        assert!((100.0 - lost - s.total).abs() < 1e-9);
        assert!(s.total > 0.0 && s.total < 100.0);
        for c in &s.components {
            assert!(c.points >= 0.0 && c.points <= c.max_points);
        }
        let fluency = &s.components[1];
        assert_eq!(fluency.points, 0.0);
        assert!(
            s.flags
                .iter()
                .any(|f| f.title == "Too fast" && f.t_s == 30.0)
        );
        assert!(
            s.flags
                .iter()
                .any(|f| f.title == "Too slow" && f.t_s == 60.0)
        );
        assert!(
            s.flags
                .iter()
                .any(|f| f.component == Component::Pauses && f.points_lost == 5.0)
        );
        assert!(s.flags.windows(2).all(|w| w[0].t_s <= w[1].t_s));
    }
}
