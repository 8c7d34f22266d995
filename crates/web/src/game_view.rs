//! The game page's tabs, built from the stored report: tables with a unit in
//! every header and SVG charts rendered by their own templates.

use askama::Template;
use filmroom_replay::{Analysis, EventKind};

use crate::views::{
    BarChart, CHART_WIDTH, Mark, Section, StackedChart, Table, TableRow, TimelineChart, scale,
    team_class,
};

pub const TABS: &[(&str, &str)] = &[
    ("overview", "Overview"),
    ("boost", "Boost"),
    ("movement", "Movement"),
    ("positioning", "Positioning"),
    ("timeline", "Timeline"),
];

/// Whether these tabs lay out recordings of `kind` (Rocket League's, until
/// its layout moves behind the domain's page sections); every other kind
/// is laid out from its domain's sections.
pub fn lays_out(kind: &filmroom_domain::Kind) -> bool {
    *kind == filmroom_replay::domain::KIND
}

/// The tab named in the query, or the first.
pub fn tab_key(raw: Option<&str>) -> &'static str {
    TABS.iter()
        .map(|(key, _)| *key)
        .find(|key| Some(*key) == raw)
        .unwrap_or("overview")
}

fn f1(v: f64) -> String {
    format!("{v:.1}")
}

fn f0(v: f64) -> String {
    format!("{v:.0}")
}

fn opt(v: Option<f64>, f: fn(f64) -> String) -> String {
    v.map(f).unwrap_or_else(|| "–".to_owned())
}

pub fn clock(seconds: f64) -> String {
    filmroom_domain::format_clock(seconds)
}

fn headers(names: &[&str]) -> Vec<String> {
    names.iter().map(|s| (*s).to_owned()).collect()
}

fn row(team: u8, cells: Vec<String>) -> TableRow {
    TableRow {
        class: team_class(team),
        cells,
    }
}

fn render(template: &impl Template) -> Option<String> {
    match template.render() {
        Ok(svg) => Some(svg),
        Err(error) => {
            tracing::error!(error = %error, "failed to render a chart");
            None
        }
    }
}

pub fn sections(tab: &str, a: &Analysis) -> Vec<Section> {
    match tab {
        "boost" => boost(a),
        "movement" => movement(a),
        "positioning" => positioning(a),
        "timeline" => timeline(a),
        _ => overview(a),
    }
}

fn overview(a: &Analysis) -> Vec<Section> {
    let info = &a.replay;
    let mut key = Table {
        headers: headers(&["Number", "Value"]),
        rows: Vec::new(),
    };
    let mut kv = |name: &str, value: String| {
        key.rows.push(TableRow {
            class: "",
            cells: vec![name.to_owned(), value],
        });
    };
    kv(
        "Score (goals)",
        format!("blue {} – {} orange", info.score[0], info.score[1]),
    );
    kv(
        "Duration",
        info.duration
            .map(|d| format!("{} min:s ({} s)", clock(d), f0(d)))
            .unwrap_or_else(|| "–".into()),
    );
    kv(
        "Overtime",
        match info.overtime {
            Some(true) => "yes".into(),
            Some(false) => "no".into(),
            None => "–".into(),
        },
    );
    for team in &a.teams {
        if let Some(ball) = &team.stats.ball {
            kv(
                &format!("Possession, {}", team.color),
                format!("{} s", f1(ball.possession_time)),
            );
            kv(
                &format!("Ball in {}'s half", team.color),
                format!("{} s", f1(ball.time_in_side)),
            );
        }
    }
    let board = Table {
        headers: headers(&[
            "Player",
            "Team",
            "Score (points)",
            "Goals",
            "Assists",
            "Saves",
            "Shots",
            "Shooting (%)",
            "Demos inflicted",
        ]),
        rows: a
            .players
            .iter()
            .map(|p| {
                let c = &p.stats.core;
                row(
                    p.team,
                    vec![
                        p.name.clone(),
                        team_class(p.team).to_owned(),
                        c.score.to_string(),
                        c.goals.to_string(),
                        c.assists.to_string(),
                        c.saves.to_string(),
                        c.shots.to_string(),
                        f1(c.shooting_percentage),
                        p.stats
                            .demo
                            .as_ref()
                            .map(|d| d.inflicted.to_string())
                            .unwrap_or_else(|| "–".into()),
                    ],
                )
            })
            .collect(),
    };
    let scores: Vec<(String, f64, u8)> = a
        .players
        .iter()
        .map(|p| (p.name.clone(), f64::from(p.stats.core.score), p.team))
        .collect();
    vec![
        Section {
            title: "Key numbers".into(),
            chart: None,
            table: key,
        },
        Section {
            title: "Scoreboard".into(),
            chart: render(&BarChart::new("Score per player", "points", &scores, 0)),
            table: board,
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
    let collected: Vec<_> = with
        .iter()
        .map(|(p, b)| (p.name.clone(), b.amount_collected, p.team))
        .collect();
    let table = Table {
        headers: headers(&[
            "Player",
            "Collected per minute (boost/min)",
            "Used per minute (boost/min)",
            "Average amount (0–100)",
            "Collected (boost)",
            "Stolen (boost)",
            "Big pads (count)",
            "Small pads (count)",
            "Overfill (boost)",
            "At zero boost (s)",
            "At full boost (s)",
        ]),
        rows: with
            .iter()
            .map(|(p, b)| {
                row(
                    p.team,
                    vec![
                        p.name.clone(),
                        f0(b.bcpm),
                        f0(b.bpm),
                        f1(b.avg_amount),
                        f0(b.amount_collected),
                        f0(b.amount_stolen),
                        b.count_collected_big.to_string(),
                        b.count_collected_small.to_string(),
                        f0(b.amount_overfill),
                        f1(b.time_zero_boost),
                        f1(b.time_full_boost),
                    ],
                )
            })
            .collect(),
    };
    let bands: Vec<_> = with
        .iter()
        .map(|(p, b)| {
            (
                p.name.clone(),
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
            chart: render(&BarChart::new(
                "Boost collected per player",
                "boost",
                &collected,
                0,
            )),
            table,
        },
        Section {
            title: "Time in each boost band".into(),
            chart: render(&StackedChart::new(
                "Share of time per boost band",
                &["0–25", "25–50", "50–75", "75–100"],
                &bands,
            )),
            table: Table::default(),
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
    let speeds: Vec<_> = with
        .iter()
        .map(|(p, m)| (p.name.clone(), m.avg_speed.unwrap_or(0.0), p.team))
        .collect();
    let table = Table {
        headers: headers(&[
            "Player",
            "Average speed (uu/s)",
            "Distance (km)",
            "Supersonic (s)",
            "Boost speed (s)",
            "Slow (s)",
            "On the ground (s)",
            "Low air (s)",
            "High air (s)",
            "Powerslides (count)",
        ]),
        rows: with
            .iter()
            .map(|(p, m)| {
                row(
                    p.team,
                    vec![
                        p.name.clone(),
                        opt(m.avg_speed, f0),
                        // 1 uu is 1 cm.
                        format!("{:.2}", m.total_distance / 100_000.0),
                        f1(m.time_supersonic_speed),
                        f1(m.time_boost_speed),
                        f1(m.time_slow_speed),
                        f1(m.time_ground),
                        f1(m.time_low_air),
                        f1(m.time_high_air),
                        m.count_powerslide.to_string(),
                    ],
                )
            })
            .collect(),
    };
    let heights: Vec<_> = with
        .iter()
        .map(|(p, m)| {
            (
                p.name.clone(),
                vec![m.time_ground, m.time_low_air, m.time_high_air],
            )
        })
        .collect();
    vec![
        Section {
            title: "Speed".into(),
            chart: render(&BarChart::new(
                "Average speed per player",
                "uu/s",
                &speeds,
                0,
            )),
            table,
        },
        Section {
            title: "Height".into(),
            chart: render(&StackedChart::new(
                "Share of time on the ground and in the air",
                &["ground", "low air", "high air"],
                &heights,
            )),
            table: Table::default(),
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
    let thirds: Vec<_> = with
        .iter()
        .map(|(p, s)| {
            (
                p.name.clone(),
                vec![
                    s.time_defensive_third,
                    s.time_neutral_third,
                    s.time_offensive_third,
                ],
            )
        })
        .collect();
    let table = Table {
        headers: headers(&[
            "Player",
            "Distance to ball (uu)",
            "Defensive third (s)",
            "Neutral third (s)",
            "Offensive third (s)",
            "Behind the ball (s)",
            "In front of the ball (s)",
            "Most back (s)",
            "Most forward (s)",
            "Closest to ball (s)",
        ]),
        rows: with
            .iter()
            .map(|(p, s)| {
                row(
                    p.team,
                    vec![
                        p.name.clone(),
                        opt(s.avg_distance_to_ball, f0),
                        f1(s.time_defensive_third),
                        f1(s.time_neutral_third),
                        f1(s.time_offensive_third),
                        f1(s.time_behind_ball),
                        f1(s.time_infront_ball),
                        opt(s.time_most_back, f1),
                        opt(s.time_most_forward, f1),
                        opt(s.time_closest_to_ball, f1),
                    ],
                )
            })
            .collect(),
    };
    vec![Section {
        title: "Field thirds".into(),
        chart: render(&StackedChart::new(
            "Share of time per third of the field",
            &["defensive", "neutral", "offensive"],
            &thirds,
        )),
        table,
    }]
}

fn name(a: &Analysis, index: Option<usize>) -> String {
    index
        .and_then(|i| a.players.get(i))
        .map(|p| p.name.clone())
        .unwrap_or_else(|| "unknown".to_owned())
}

fn team_of(a: &Analysis, index: usize) -> u8 {
    a.players.get(index).map(|p| p.team).unwrap_or(0)
}

fn timeline(a: &Analysis) -> Vec<Section> {
    let end = a
        .events
        .last()
        .map(|e| e.time)
        .into_iter()
        .chain(a.replay.duration)
        .fold(1.0_f64, f64::max);
    let mut rows = Vec::new();
    let mut marks = Vec::new();
    let (mut touches, mut pickups) = (0usize, 0usize);
    for event in &a.events {
        let x = scale(event.time / end, CHART_WIDTH - 10) + 5;
        let (team, what, mark) = match &event.kind {
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
                (*team, what, Some((8, 35)))
            }
            EventKind::Shot { player } => (
                team_of(a, *player),
                format!("Shot by {}", name(a, Some(*player))),
                Some((4, 20)),
            ),
            EventKind::Save { player } => (
                team_of(a, *player),
                format!("Save by {}", name(a, Some(*player))),
                Some((4, 50)),
            ),
            EventKind::Demo { attacker, victim } => (
                attacker.map(|p| team_of(a, p)).unwrap_or(0),
                match attacker {
                    Some(_) => format!("{} demolished {}", name(a, *attacker), name(a, *victim)),
                    // The game demolishes cars caught in a goal explosion.
                    None => format!("{} demolished by a goal explosion", name(a, *victim)),
                },
                Some((3, 35)),
            ),
            EventKind::Kickoff {
                first_touch_time,
                first_touch_player,
            } => (
                first_touch_player.map(|p| team_of(a, p)).unwrap_or(0),
                match first_touch_time {
                    Some(t) => format!(
                        "Kickoff, first touch by {} after {t:.2} s",
                        name(a, *first_touch_player)
                    ),
                    None => "Kickoff".to_owned(),
                },
                None,
            ),
            EventKind::BoostPickup { .. } => {
                pickups += 1;
                continue;
            }
            EventKind::BallTouch { .. } => {
                touches += 1;
                continue;
            }
        };
        if let Some((r, y)) = mark {
            marks.push(Mark {
                x,
                y,
                r,
                class: team_class(team),
                label: format!("{} {}", clock(event.time), what),
            });
        }
        rows.push(TableRow {
            class: team_class(team),
            cells: vec![clock(event.time), f1(event.time), what],
        });
    }
    let chart = TimelineChart {
        width: CHART_WIDTH,
        end_label: format!("{} s", f0(end)),
        marks,
    };
    vec![Section {
        title: format!("Events ({touches} ball touches and {pickups} boost pickups not listed)"),
        chart: render(&chart),
        table: Table {
            headers: headers(&["Time (min:s)", "Time (s)", "Event"]),
            rows,
        },
    }]
}

/// Marks the timeline event nearest to `t` seconds (a cited moment).
pub fn highlight_moment(sections: &mut [Section], t: f64) {
    let Some(section) = sections.first_mut() else {
        return;
    };
    let nearest = section
        .table
        .rows
        .iter_mut()
        .filter_map(|row| {
            let time = row.cells.get(1)?.parse::<f64>().ok()?;
            Some(((time - t).abs(), row))
        })
        .min_by(|a, b| a.0.total_cmp(&b.0));
    if let Some((_, row)) = nearest {
        row.class = match row.class {
            "blue" => "blue cited",
            "orange" => "orange cited",
            _ => "cited",
        };
    }
}

fn unavailable(what: &str) -> Vec<Section> {
    vec![Section {
        title: format!("{what}: not available"),
        chart: None,
        table: Table {
            headers: headers(&["Why"]),
            rows: vec![TableRow {
                class: "",
                cells: vec!["The replay's network data could not be decoded, so only the scoreboard is known.".to_owned()],
            }],
        },
    }]
}
