//! A talk's report as the platform's neutral analysis: the speaker as the
//! one participant, metrics from [`crate::definitions`], one event per
//! pause, filler, repetition, restart and flag, sentences as passages.

use filmroom_domain::{
    Analysis, AnalysisError, Event, Facts, Metric, Outcome, Participant, Passage, Span, Subject,
    format_clock,
};
use serde_json::json;

use crate::REVISION;
use crate::definitions::lookup;
use crate::report::{Report, WordSource};
use crate::score::LONG_PAUSE_S;
use crate::words::FillerTier;

/// The participant key of the one speaker: talks name nobody, and every
/// talk an owner uploads is their own.
pub const SPEAKER: &str = "speaker";

fn clock(t_s: f64) -> String {
    format_clock(t_s.max(0.0))
}

/// Builds the neutral analysis of a report.
pub fn to_neutral(report: &Report) -> Result<Analysis, AnalysisError> {
    let me = Subject::Participant(SPEAKER.to_owned());
    let mut metrics = Vec::new();
    let mut put = |key: &str, value: f64| {
        if let Some((unit, higher_is_better)) = lookup(key)
            && value.is_finite()
        {
            metrics.push(Metric {
                subject: me.clone(),
                key: key.to_owned(),
                value,
                unit,
                higher_is_better,
            });
        }
    };
    put("speech.seconds", report.speech_s);
    if report.duration_s > 0.0 {
        put("speech.ratio", 100.0 * report.speech_s / report.duration_s);
    }
    put("pauses.count", report.pauses.len() as f64);
    put(
        "pauses.longest_s",
        report
            .pauses
            .iter()
            .map(|p| p.duration_s())
            .fold(0.0, f64::max),
    );
    put(
        "pauses.long_count",
        report
            .pauses
            .iter()
            .filter(|p| p.duration_s() >= LONG_PAUSE_S)
            .count() as f64,
    );
    if let Some(pitch) = &report.pitch {
        put("pitch.mean_hz", pitch.mean_hz);
        put("pitch.range_st", pitch.range_st);
        put("pitch.variation_st", pitch.variation_st);
    }
    put(
        "pitch.monotone_s",
        report.monotone.iter().map(|(s, _)| s.duration_s()).sum(),
    );
    put("volume.level_db", report.level_db);
    put("volume.variation_db", report.level_variation_db);
    put("volume.drops", report.drops.len() as f64);
    if let Some(words) = &report.words {
        put("pace.wpm", words.wpm);
        put("pace.words", words.words as f64);
        if let Some(fastest) = words.windows.iter().map(|w| w.wpm).reduce(f64::max) {
            put("pace.fastest_wpm", fastest);
        }
        if let Some(slowest) = words.windows.iter().map(|w| w.wpm).reduce(f64::min) {
            put("pace.slowest_wpm", slowest);
        }
        put("fillers.count", words.fillers.len() as f64);
        put("fillers.per_minute", words.fillers_per_minute);
        let always = words
            .fillers
            .iter()
            .filter(|f| f.tier == FillerTier::Always)
            .count();
        put("fillers.always", always as f64);
        put("fillers.contextual", (words.fillers.len() - always) as f64);
        put(
            "repetitions.count",
            words.repeats.iter().filter(|r| !r.restart).count() as f64,
        );
        put(
            "restarts.count",
            words.repeats.iter().filter(|r| r.restart).count() as f64,
        );
        put("sentences.count", words.sentences.len() as f64);
        if !words.sentences.is_empty() {
            put(
                "sentences.mean_words",
                words.sentences.iter().map(|s| s.words).sum::<usize>() as f64
                    / words.sentences.len() as f64,
            );
        }
        put(
            "sentences.longest_words",
            words.sentences.iter().map(|s| s.words).max().unwrap_or(0) as f64,
        );
    }
    if let Some(score) = &report.score {
        put("score", score.total);
        for c in &score.components {
            put(&format!("score.{}", c.component.key()), c.points);
        }
        put("flags.count", score.flags.len() as f64);
    }

    let mut events = Vec::new();
    let mut event = |t_s: f64, kind: &str, label: String, payload: serde_json::Value| {
        events.push(Event {
            t_s: t_s.clamp(0.0, report.duration_s),
            kind: kind.to_owned(),
            subject: me.clone(),
            label,
            position: None,
            payload,
        });
    };
    for pause in &report.pauses {
        event(
            pause.start_s,
            "pause",
            format!(
                "Pause of {:.1} s at {}",
                pause.duration_s(),
                clock(pause.start_s)
            ),
            json!({ "duration_s": pause.duration_s(), "end_s": pause.end_s }),
        );
    }
    if let Some(words) = &report.words {
        for f in &words.fillers {
            event(
                f.start_s,
                "filler",
                format!("\"{}\" at {}", f.text, clock(f.start_s)),
                json!({ "text": f.text, "tier": f.tier, "end_s": f.end_s }),
            );
        }
        for r in &words.repeats {
            let kind = if r.restart { "restart" } else { "repetition" };
            event(
                r.start_s,
                kind,
                format!("\"{}\" said again at {}", r.text, clock(r.start_s)),
                json!({ "text": r.text }),
            );
        }
    }
    if let Some(score) = &report.score {
        for flag in &score.flags {
            event(
                flag.t_s,
                "flag",
                format!(
                    "{} at {} (-{:.1} points): {}",
                    flag.title,
                    clock(flag.t_s),
                    flag.points_lost,
                    flag.evidence
                ),
                json!({
                    "component": flag.component,
                    "severity": flag.severity,
                    "points_lost": flag.points_lost,
                    "duration_s": flag.duration_s,
                    "title": flag.title,
                    "evidence": flag.evidence,
                    "tip": flag.tip,
                }),
            );
        }
    }
    events.sort_by(|a, b| a.t_s.total_cmp(&b.t_s));

    let passages = report
        .words
        .iter()
        .flat_map(|w| &w.sentences)
        .filter(|s| !s.text.trim().is_empty())
        .map(|s| Passage {
            span: Span::Time {
                start_s: s.start_s.clamp(0.0, report.duration_s),
                end_s: s
                    .end_s
                    .clamp(s.start_s.clamp(0.0, report.duration_s), report.duration_s),
            },
            text: s.text.clone(),
        })
        .collect();

    let source = match report.word_source {
        WordSource::Transcript => "transcript",
        WordSource::SpeechRecognition => "speech_recognition",
        WordSource::None => "none",
    };
    Ok(Analysis {
        facts: Facts {
            title: format!("Talk, {}", clock(report.duration_s.round())),
            occurred_at: None,
            duration_s: Some(report.duration_s),
            facets: [("words".to_owned(), source.to_owned())].into(),
            outcome: Outcome::None,
        },
        sides: Vec::new(),
        participants: vec![Participant {
            key: SPEAKER.to_owned(),
            display_name: "Speaker".to_owned(),
            side: None,
            is_bot: false,
        }],
        metrics,
        events,
        passages,
        report: serde_json::to_value(report).map_err(|e| AnalysisError::Internal(e.to_string()))?,
        revision: REVISION,
        degraded: None,
    })
}
