//! A talk's page as neutral sections: the score and its components, the
//! transcript with its fillers marked, charts of pace, pitch and volume
//! per 30 seconds, and the flags as moments with their tips.

use filmroom_domain::{
    Cell, Chart, Fact, Grid, GridColumn, GridRow, Lane, Mark, MarkSize, Moment, Moments, Page,
    ReportError, Section, SectionBody, SeriesPoint, Tab, TimedLine, TimedWord, format_clock,
};

use crate::report::{Report, WordSource};
use crate::score::{PACE_BAND, Severity};

/// The tabs of a talk's page, in order.
pub const TABS: [&str; 4] = ["overview", "transcript", "charts", "flags"];

/// Volume bars are drawn as dB above this level, so that louder is longer.
const CHART_FLOOR_DB: f64 = -60.0;

fn clock(t_s: f64) -> String {
    format_clock(t_s.max(0.0))
}

fn section(title: &str, body: SectionBody) -> Section {
    Section {
        title: title.to_owned(),
        body,
    }
}

fn note(title: &str, text: &str) -> Section {
    section(
        title,
        SectionBody::Note {
            text: text.to_owned(),
        },
    )
}

fn fact(label: &str, value: String) -> Fact {
    Fact {
        label: label.to_owned(),
        value,
    }
}

fn overview(report: &Report) -> Vec<Section> {
    let mut facts = Vec::new();
    if let Some(score) = &report.score {
        facts.push(fact("Score", format!("{:.0} / 100", score.total)));
    }
    facts.push(fact("Length", clock(report.duration_s.round())));
    facts.push(fact(
        "Speaking time",
        format!(
            "{} ({:.0}%)",
            clock(report.speech_s.round()),
            if report.duration_s > 0.0 {
                100.0 * report.speech_s / report.duration_s
            } else {
                0.0
            }
        ),
    ));
    if let Some(words) = &report.words {
        facts.push(fact("Pace", format!("{:.0} words per minute", words.wpm)));
        facts.push(fact(
            "Fillers",
            format!(
                "{} ({:.1} per minute)",
                words.fillers.len(),
                words.fillers_per_minute
            ),
        ));
    }
    facts.push(fact("Pauses", report.pauses.len().to_string()));
    if let Some(pitch) = &report.pitch {
        facts.push(fact(
            "Pitch",
            format!(
                "{:.0} Hz, range {:.1} semitones",
                pitch.mean_hz, pitch.range_st
            ),
        ));
    }
    facts.push(fact("Volume", format!("{:.0} dBFS", report.level_db)));
    facts.push(fact(
        "Words from",
        match report.word_source {
            WordSource::Transcript => "the transcript uploaded with it",
            WordSource::SpeechRecognition => "speech recognition",
            WordSource::None => "nowhere: no transcript and no speech recognition",
        }
        .to_owned(),
    ));
    let mut sections = vec![section("Summary", SectionBody::Facts { facts })];
    match &report.score {
        Some(score) => {
            sections.push(section(
                "Score",
                SectionBody::Grid(Grid {
                    row_header: "Component".to_owned(),
                    columns: vec![
                        GridColumn {
                            label: "Points".to_owned(),
                            unit: Some("points".to_owned()),
                            decimals: 1,
                        },
                        GridColumn {
                            label: "Out of".to_owned(),
                            unit: Some("points".to_owned()),
                            decimals: 0,
                        },
                    ],
                    rows: score
                        .components
                        .iter()
                        .map(|c| GridRow {
                            label: c.component.label().to_owned(),
                            side: None,
                            cells: vec![Cell::Number(c.points), Cell::Number(c.max_points)],
                        })
                        .collect(),
                }),
            ));
            let strengths: Vec<Fact> = score
                .components
                .iter()
                .filter_map(|c| {
                    c.strength
                        .as_ref()
                        .map(|s| fact(c.component.label(), s.clone()))
                })
                .collect();
            if strengths.is_empty() {
                sections.push(note(
                    "Strengths",
                    "Every component lost points: see the flags.",
                ));
            } else {
                sections.push(section(
                    "Strengths",
                    SectionBody::Facts { facts: strengths },
                ));
            }
        }
        None => sections.push(note(
            "Score",
            "The score needs the words (pace and fluency): upload a transcript with the talk, or enable speech recognition.",
        )),
    }
    sections
}

/// Whether the word starting at `start_s` is (part of) a filler. Words
/// touch (one ends where the next starts), so spans are half-open.
fn is_filler(words: &crate::report::WordsReport, start_s: f64) -> bool {
    words
        .fillers
        .iter()
        .any(|f| start_s >= f.start_s && (start_s < f.end_s || start_s == f.start_s))
}

/// The transcript sentence by sentence, each word with its time (a click
/// seeks the player there) and each filler marked.
fn transcript(report: &Report) -> Vec<Section> {
    let Some(words) = &report.words else {
        return vec![note(
            "Transcript",
            "No transcript: upload a VTT or SRT file with the same name beside the media, or enable speech recognition.",
        )];
    };
    let line = |start_s: f64, end_s: f64| TimedLine {
        t_s: start_s,
        words: words
            .transcript
            .iter()
            .filter(|w| w.start_s >= start_s && (w.start_s < end_s || w.start_s == start_s))
            .map(|w| TimedWord {
                t_s: w.start_s,
                text: w.text.trim().to_owned(),
                marked: is_filler(words, w.start_s),
            })
            .collect(),
    };
    vec![section(
        "Transcript (fillers marked)",
        SectionBody::TimedText {
            lines: words
                .sentences
                .iter()
                .map(|s| line(s.start_s, s.end_s))
                .filter(|l| !l.words.is_empty())
                .collect(),
        },
    )]
}

fn bars(title: &str, unit: &str, decimals: u8, points: Vec<(f64, f64)>) -> Chart {
    Chart::Series {
        title: title.to_owned(),
        unit: unit.to_owned(),
        decimals,
        points: points
            .into_iter()
            .map(|(t_s, value)| SeriesPoint { t_s, value })
            .collect(),
    }
}

fn charts(report: &Report) -> Vec<Section> {
    let mut sections = Vec::new();
    if let Some(words) = report.words.as_ref().filter(|w| !w.windows.is_empty()) {
        sections.push(section(
            "Pace per 30 seconds",
            SectionBody::Chart {
                chart: bars(
                    &format!(
                        "Words per minute (comfortable: {:.0}-{:.0})",
                        PACE_BAND.0, PACE_BAND.1
                    ),
                    "wpm",
                    0,
                    words.windows.iter().map(|w| (w.start_s, w.wpm)).collect(),
                ),
                table: None,
            },
        ));
    }
    let pitch: Vec<(f64, f64)> = report
        .series
        .iter()
        .filter_map(|p| p.pitch_hz.map(|hz| (p.start_s, hz)))
        .collect();
    if !pitch.is_empty() {
        sections.push(section(
            "Pitch per 30 seconds",
            SectionBody::Chart {
                chart: bars("Mean pitch", "Hz", 0, pitch),
                table: None,
            },
        ));
    }
    let levels: Vec<(f64, f64)> = report
        .series
        .iter()
        .filter_map(|p| p.level_db.map(|db| (p.start_s, db)))
        .collect();
    if !levels.is_empty() {
        sections.push(section(
            "Volume per 30 seconds",
            SectionBody::Chart {
                chart: bars(
                    "Speech level above -60 dBFS",
                    "dB",
                    0,
                    levels
                        .iter()
                        .map(|(t, db)| (*t, (db - CHART_FLOOR_DB).max(0.0)))
                        .collect(),
                ),
                table: Some(Grid {
                    row_header: "From".to_owned(),
                    columns: vec![GridColumn {
                        label: "Level".to_owned(),
                        unit: Some("dBFS".to_owned()),
                        decimals: 1,
                    }],
                    rows: levels
                        .iter()
                        .map(|(t, db)| GridRow {
                            label: clock(*t),
                            side: None,
                            cells: vec![Cell::Number(*db)],
                        })
                        .collect(),
                }),
            },
        ));
    }
    if sections.is_empty() {
        sections.push(note("Charts", "The talk has no speech to chart."));
    }
    sections
}

fn flags(report: &Report) -> Vec<Section> {
    let mut moments: Vec<Moment> = Vec::new();
    if let Some(score) = &report.score {
        moments.extend(score.flags.iter().map(|f| Moment {
            t_s: f.t_s,
            kind: "flag".to_owned(),
            side: None,
            label: format!(
                "{} (-{:.1} points): {}. Tip: {}",
                f.title, f.points_lost, f.evidence, f.tip
            ),
            position: None,
            mark: Some(Mark {
                lane: Lane::Above,
                size: match f.severity {
                    Severity::Major => MarkSize::Large,
                    Severity::Moderate => MarkSize::Medium,
                    Severity::Minor => MarkSize::Small,
                },
            }),
        }));
    }
    if let Some(words) = &report.words {
        moments.extend(words.fillers.iter().map(|f| Moment {
            t_s: f.start_s,
            kind: "filler".to_owned(),
            side: None,
            label: format!("Filler \"{}\"", f.text),
            position: None,
            mark: Some(Mark {
                lane: Lane::On,
                size: MarkSize::Small,
            }),
        }));
    }
    moments.extend(report.pauses.iter().map(|p| Moment {
        t_s: p.start_s,
        kind: "pause".to_owned(),
        side: None,
        label: format!("Pause of {:.1} s", p.duration_s()),
        position: None,
        mark: Some(Mark {
            lane: Lane::Below,
            size: MarkSize::Small,
        }),
    }));
    moments.sort_by(|a, b| a.t_s.total_cmp(&b.t_s));
    let mut sections = vec![section(
        "Flags, fillers and pauses",
        SectionBody::Moments(Moments {
            end_s: report.duration_s,
            moments,
        }),
    )];
    if report.score.as_ref().is_some_and(|s| s.flags.is_empty()) {
        sections.push(note("Flags", "Nothing cost points in this talk."));
    }
    sections
}

/// The page of a stored report.
pub fn page(report: &serde_json::Value) -> Result<Page, ReportError> {
    let report: Report = serde_json::from_value(report.clone()).map_err(|e| ReportError {
        reason: format!("not a talk report: {e}"),
    })?;
    let tab = |key: &str, label: &str, sections| Tab {
        key: key.to_owned(),
        label: label.to_owned(),
        sections,
    };
    Ok(Page {
        heading: Some(match &report.score {
            Some(score) => format!("Talk: {:.0} / 100", score.total),
            None => "Talk".to_owned(),
        }),
        subtitle: vec![clock(report.duration_s.round())],
        notice: None,
        sides: Vec::new(),
        tabs: vec![
            tab(TABS[0], "Overview", overview(&report)),
            tab(TABS[1], "Transcript", transcript(&report)),
            tab(TABS[2], "Charts", charts(&report)),
            tab(TABS[3], "Flags", flags(&report)),
        ],
        player: true,
    })
}
