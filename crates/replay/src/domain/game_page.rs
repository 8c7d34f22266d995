//! A replay's game page: the tabs Overview, Boost, Movement, Positioning and
//! Timeline, with a unit in every column header and the charts the web draws
//! (bars per player, shares of time, the match's moments on a time axis).
//! Neutral layout only: the web owns the markup, the colours and the SVG.

use filmroom_domain::{
    Bar, Cell, Chart, Fact, Grid, GridColumn, GridRow, Lane, Mark, MarkSize, Moment, Moments, Page,
    ReportError, Section, SectionBody, ShareRow, Tab,
};
use serde_json::Value;

use super::neutral::clock;
use crate::analyze::team_color;
use crate::report::{Analysis, AnalysisStatus, EventKind, PlayerReport};

/// The tabs, in order: `(key, label)`. The keys are the pages' `?tab=`.
pub const TABS: [(&str, &str); 5] = [
    ("overview", "Overview"),
    ("boost", "Boost"),
    ("movement", "Movement"),
    ("positioning", "Positioning"),
    ("timeline", "Timeline"),
];

/// Lays out a stored report as the game page; fails on a report that is
/// not this engine's.
pub(super) fn page(report: &Value) -> Result<Page, ReportError> {
    let a: Analysis = serde_json::from_value(report.clone()).map_err(|e| ReportError {
        reason: format!("not a Rocket League report: {e}"),
    })?;
    let info = &a.replay;
    let mut subtitle: Vec<String> = info.match_type.iter().cloned().collect();
    subtitle.extend(info.team_size.map(|n| format!("{n}v{n}")));
    let notice = match &a.status {
        AnalysisStatus::Full => None,
        AnalysisStatus::Degraded { reason } => {
            Some(format!("Only the scoreboard is known: {}", reason.message))
        }
    };
    let tabs = TABS
        .iter()
        .map(|(key, label)| Tab {
            key: (*key).to_owned(),
            label: (*label).to_owned(),
            sections: match *key {
                "boost" => boost(&a),
                "movement" => movement(&a),
                "positioning" => positioning(&a),
                "timeline" => timeline(&a),
                _ => overview(&a),
            },
        })
        .collect();
    Ok(Page {
        heading: info.map_code.clone().filter(|m| !m.is_empty()),
        subtitle,
        notice,
        sides: vec![team_color(0).to_owned(), team_color(1).to_owned()],
        tabs,
        player: false,
    })
}

fn side(team: u8) -> Option<String> {
    Some(team_color(team.min(1)).to_owned())
}

fn column(label: &str, unit: Option<&str>, decimals: u8) -> GridColumn {
    GridColumn {
        label: label.to_owned(),
        unit: unit.map(str::to_owned),
        decimals,
    }
}

fn player_row(p: &PlayerReport, cells: Vec<Cell>) -> GridRow {
    GridRow {
        label: p.name.clone(),
        side: side(p.team),
        cells,
    }
}

fn number(v: f64) -> Cell {
    Cell::Number(v)
}

fn maybe(v: Option<f64>) -> Cell {
    v.map_or(Cell::Empty, Cell::Number)
}

fn count(n: impl Into<f64>) -> Cell {
    Cell::Number(n.into())
}

fn bars(title: &str, unit: &str, values: Vec<(&PlayerReport, f64)>) -> Chart {
    Chart::Bars {
        title: title.to_owned(),
        unit: unit.to_owned(),
        decimals: 0,
        bars: values
            .into_iter()
            .map(|(p, value)| Bar {
                label: p.name.clone(),
                value,
                side: side(p.team),
            })
            .collect(),
    }
}

fn shares(title: &str, parts: &[&str], rows: Vec<(&PlayerReport, Vec<f64>)>) -> Chart {
    Chart::Shares {
        title: title.to_owned(),
        parts: parts.iter().map(|p| (*p).to_owned()).collect(),
        rows: rows
            .into_iter()
            .map(|(p, values)| ShareRow {
                label: p.name.clone(),
                values,
            })
            .collect(),
    }
}

fn overview(a: &Analysis) -> Vec<Section> {
    let info = &a.replay;
    let mut facts = vec![
        (
            "Score (goals)".to_owned(),
            format!("blue {} – {} orange", info.score[0], info.score[1]),
        ),
        (
            "Duration".to_owned(),
            info.duration.map_or_else(
                || "–".to_owned(),
                |d| format!("{} min:s ({d:.0} s)", clock(d)),
            ),
        ),
        (
            "Overtime".to_owned(),
            match info.overtime {
                Some(true) => "yes",
                Some(false) => "no",
                None => "–",
            }
            .to_owned(),
        ),
    ];
    for team in &a.teams {
        if let Some(ball) = &team.stats.ball {
            facts.push((
                format!("Possession, {}", team.color),
                format!("{:.1} s", ball.possession_time),
            ));
            facts.push((
                format!("Ball in {}'s half", team.color),
                format!("{:.1} s", ball.time_in_side),
            ));
        }
    }
    let board = Grid {
        row_header: "Player".into(),
        columns: vec![
            column("Team", None, 0),
            column("Score", Some("points"), 0),
            column("Goals", Some("count"), 0),
            column("Assists", Some("count"), 0),
            column("Saves", Some("count"), 0),
            column("Shots", Some("count"), 0),
            column("Shooting", Some("%"), 1),
            column("Demos inflicted", Some("count"), 0),
        ],
        rows: a
            .players
            .iter()
            .map(|p| {
                let c = &p.stats.core;
                player_row(
                    p,
                    vec![
                        Cell::Text(team_color(p.team.min(1)).to_owned()),
                        count(c.score),
                        count(c.goals),
                        count(c.assists),
                        count(c.saves),
                        count(c.shots),
                        number(c.shooting_percentage),
                        p.stats
                            .demo
                            .as_ref()
                            .map_or(Cell::Empty, |d| count(d.inflicted)),
                    ],
                )
            })
            .collect(),
    };
    let scores = a
        .players
        .iter()
        .map(|p| (p, f64::from(p.stats.core.score)))
        .collect();
    vec![
        Section {
            title: "Key numbers".into(),
            body: SectionBody::Facts {
                facts: facts
                    .into_iter()
                    .map(|(label, value)| Fact { label, value })
                    .collect(),
            },
        },
        Section {
            title: "Scoreboard".into(),
            body: SectionBody::Chart {
                chart: bars("Score per player", "points", scores),
                table: Some(board),
            },
        },
    ]
}

fn boost(a: &Analysis) -> Vec<Section> {
    let with: Vec<_> = a
        .players
        .iter()
        .filter_map(|p| p.stats.boost.as_ref().map(|b| (p, b)))
        .collect();
    if with.is_empty() {
        return unavailable("Boost");
    }
    let table = Grid {
        row_header: "Player".into(),
        columns: vec![
            column("Collected per minute", Some("boost/min"), 0),
            column("Used per minute", Some("boost/min"), 0),
            column("Average amount", Some("0–100"), 1),
            column("Collected", Some("boost"), 0),
            column("Stolen", Some("boost"), 0),
            column("Big pads", Some("count"), 0),
            column("Small pads", Some("count"), 0),
            column("Overfill", Some("boost"), 0),
            column("At zero boost", Some("s"), 1),
            column("At full boost", Some("s"), 1),
        ],
        rows: with
            .iter()
            .map(|(p, b)| {
                player_row(
                    p,
                    vec![
                        number(b.bcpm),
                        number(b.bpm),
                        number(b.avg_amount),
                        number(b.amount_collected),
                        number(b.amount_stolen),
                        count(b.count_collected_big),
                        count(b.count_collected_small),
                        number(b.amount_overfill),
                        number(b.time_zero_boost),
                        number(b.time_full_boost),
                    ],
                )
            })
            .collect(),
    };
    let collected = with.iter().map(|(p, b)| (*p, b.amount_collected)).collect();
    let bands = with
        .iter()
        .map(|(p, b)| {
            (
                *p,
                vec![
                    b.time_boost_0_25,
                    b.time_boost_25_50,
                    b.time_boost_50_75,
                    b.time_boost_75_100,
                ],
            )
        })
        .collect();
    vec![
        Section {
            title: "Boost collected".into(),
            body: SectionBody::Chart {
                chart: bars("Boost collected per player", "boost", collected),
                table: Some(table),
            },
        },
        Section {
            title: "Time in each boost band".into(),
            body: SectionBody::Chart {
                chart: shares(
                    "Share of time per boost band",
                    &["0–25", "25–50", "50–75", "75–100"],
                    bands,
                ),
                table: None,
            },
        },
    ]
}

fn movement(a: &Analysis) -> Vec<Section> {
    let with: Vec<_> = a
        .players
        .iter()
        .filter_map(|p| p.stats.movement.as_ref().map(|m| (p, m)))
        .collect();
    if with.is_empty() {
        return unavailable("Movement");
    }
    let table = Grid {
        row_header: "Player".into(),
        columns: vec![
            column("Average speed", Some("uu/s"), 0),
            column("Distance", Some("km"), 2),
            column("Supersonic", Some("s"), 1),
            column("Boost speed", Some("s"), 1),
            column("Slow", Some("s"), 1),
            column("On the ground", Some("s"), 1),
            column("Low air", Some("s"), 1),
            column("High air", Some("s"), 1),
            column("Powerslides", Some("count"), 0),
        ],
        rows: with
            .iter()
            .map(|(p, m)| {
                player_row(
                    p,
                    vec![
                        maybe(m.avg_speed),
                        // 1 uu is 1 cm.
                        number(m.total_distance / 100_000.0),
                        number(m.time_supersonic_speed),
                        number(m.time_boost_speed),
                        number(m.time_slow_speed),
                        number(m.time_ground),
                        number(m.time_low_air),
                        number(m.time_high_air),
                        count(m.count_powerslide),
                    ],
                )
            })
            .collect(),
    };
    let speeds = with
        .iter()
        .map(|(p, m)| (*p, m.avg_speed.unwrap_or(0.0)))
        .collect();
    let heights = with
        .iter()
        .map(|(p, m)| (*p, vec![m.time_ground, m.time_low_air, m.time_high_air]))
        .collect();
    vec![
        Section {
            title: "Speed".into(),
            body: SectionBody::Chart {
                chart: bars("Average speed per player", "uu/s", speeds),
                table: Some(table),
            },
        },
        Section {
            title: "Height".into(),
            body: SectionBody::Chart {
                chart: shares(
                    "Share of time on the ground and in the air",
                    &["ground", "low air", "high air"],
                    heights,
                ),
                table: None,
            },
        },
    ]
}

fn positioning(a: &Analysis) -> Vec<Section> {
    let with: Vec<_> = a
        .players
        .iter()
        .filter_map(|p| p.stats.positioning.as_ref().map(|s| (p, s)))
        .collect();
    if with.is_empty() {
        return unavailable("Positioning");
    }
    let table = Grid {
        row_header: "Player".into(),
        columns: vec![
            column("Distance to ball", Some("uu"), 0),
            column("Defensive third", Some("s"), 1),
            column("Neutral third", Some("s"), 1),
            column("Offensive third", Some("s"), 1),
            column("Behind the ball", Some("s"), 1),
            column("In front of the ball", Some("s"), 1),
            column("Most back", Some("s"), 1),
            column("Most forward", Some("s"), 1),
            column("Closest to ball", Some("s"), 1),
        ],
        rows: with
            .iter()
            .map(|(p, s)| {
                player_row(
                    p,
                    vec![
                        maybe(s.avg_distance_to_ball),
                        number(s.time_defensive_third),
                        number(s.time_neutral_third),
                        number(s.time_offensive_third),
                        number(s.time_behind_ball),
                        number(s.time_infront_ball),
                        maybe(s.time_most_back),
                        maybe(s.time_most_forward),
                        maybe(s.time_closest_to_ball),
                    ],
                )
            })
            .collect(),
    };
    let thirds = with
        .iter()
        .map(|(p, s)| {
            (
                *p,
                vec![
                    s.time_defensive_third,
                    s.time_neutral_third,
                    s.time_offensive_third,
                ],
            )
        })
        .collect();
    vec![Section {
        title: "Field thirds".into(),
        body: SectionBody::Chart {
            chart: shares(
                "Share of time per third of the field",
                &["defensive", "neutral", "offensive"],
                thirds,
            ),
            table: Some(table),
        },
    }]
}

fn name(a: &Analysis, index: Option<usize>) -> String {
    index
        .and_then(|i| a.players.get(i))
        .map_or_else(|| "unknown".to_owned(), |p| p.name.clone())
}

fn team_of(a: &Analysis, index: usize) -> u8 {
    a.players.get(index).map_or(0, |p| p.team)
}

fn mark(lane: Lane, size: MarkSize) -> Option<Mark> {
    Some(Mark { lane, size })
}

fn timeline(a: &Analysis) -> Vec<Section> {
    let end_s = a
        .events
        .last()
        .map(|e| e.time)
        .into_iter()
        .chain(a.replay.duration)
        .fold(1.0_f64, f64::max);
    let mut moments = Vec::new();
    let (mut touches, mut pickups) = (0usize, 0usize);
    for event in &a.events {
        let (team, label, mark) = match &event.kind {
            EventKind::Goal {
                team,
                scorer,
                assister,
                ball_speed,
            } => {
                let mut what = format!("Goal by {}", name(a, *scorer));
                if assister.is_some() {
                    what.push_str(&format!(", assisted by {}", name(a, *assister)));
                }
                if let Some(speed) = ball_speed {
                    what.push_str(&format!(", ball at {speed:.0} uu/s"));
                }
                (*team, what, mark(Lane::On, MarkSize::Large))
            }
            EventKind::Shot { player } => (
                team_of(a, *player),
                format!("Shot by {}", name(a, Some(*player))),
                mark(Lane::Above, MarkSize::Medium),
            ),
            EventKind::Save { player } => (
                team_of(a, *player),
                format!("Save by {}", name(a, Some(*player))),
                mark(Lane::Below, MarkSize::Medium),
            ),
            EventKind::Demo { attacker, victim } => (
                attacker.map_or(0, |p| team_of(a, p)),
                match attacker {
                    Some(_) => format!("{} demolished {}", name(a, *attacker), name(a, *victim)),
                    // The game demolishes cars caught in a goal explosion.
                    None => format!("{} demolished by a goal explosion", name(a, *victim)),
                },
                mark(Lane::On, MarkSize::Small),
            ),
            EventKind::Kickoff {
                first_touch_time,
                first_touch_player,
            } => (
                first_touch_player.map_or(0, |p| team_of(a, p)),
                match first_touch_time {
                    Some(t) => format!(
                        "Kickoff, first touch by {} after {t:.2} s",
                        name(a, *first_touch_player)
                    ),
                    None => "Kickoff".to_owned(),
                },
                None,
            ),
            // Hundreds a match: counted in the title, kept in the report.
            EventKind::BoostPickup { .. } => {
                pickups += 1;
                continue;
            }
            EventKind::BallTouch { .. } => {
                touches += 1;
                continue;
            }
        };
        moments.push(Moment {
            t_s: event.time,
            kind: kind_key(&event.kind).to_owned(),
            side: side(team),
            label,
            position: None,
            mark,
        });
    }
    vec![Section {
        title: format!("Events ({touches} ball touches and {pickups} boost pickups not listed)"),
        body: SectionBody::Moments(Moments { end_s, moments }),
    }]
}

/// The neutral event kind of an engine event (the same keys as the
/// neutral analysis's events).
fn kind_key(kind: &EventKind) -> &'static str {
    match kind {
        EventKind::Goal { .. } => "goal",
        EventKind::Shot { .. } => "shot",
        EventKind::Save { .. } => "save",
        EventKind::Demo { .. } => "demo",
        EventKind::Kickoff { .. } => "kickoff",
        EventKind::BoostPickup { .. } => "boost_pickup",
        EventKind::BallTouch { .. } => "ball_touch",
    }
}

fn unavailable(what: &str) -> Vec<Section> {
    vec![Section {
        title: format!("{what}: not available"),
        body: SectionBody::Note {
            text:
                "The replay's network data could not be decoded, so only the scoreboard is known."
                    .to_owned(),
        },
    }]
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn a_report_that_is_not_the_engines_is_a_typed_error() {
        let err = page(&serde_json::json!({"hello": "world"})).unwrap_err();
        assert!(err.reason.contains("not a Rocket League report"), "{err}");
    }
}
