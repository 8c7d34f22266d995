//! A replay's dossier in Markdown, for a person to read: the match facts,
//! the scoreboard per team, one table per stat family (every number with its
//! unit) and the timeline of the moments that matter.

use std::fmt::Write as _;

use filmroom_domain::Unit;
use filmroom_replay::domain::field_unit;
use filmroom_replay::stats::fields::{Family, lookup};
use filmroom_replay::{Analysis, AnalysisStatus, EventKind, PlayerReport};
use serde_json::Value;

use super::{clock, team_color};

/// Renders one replay; `file` is the path it was read from.
pub fn render(file: &str, analysis: &Analysis) -> String {
    let mut out = String::new();
    header(&mut out, file, analysis);
    scoreboard(&mut out, analysis);
    for family in [
        Family::Boost,
        Family::Movement,
        Family::Positioning,
        Family::Demo,
    ] {
        family_table(&mut out, family, &analysis.players);
    }
    timeline(&mut out, analysis);
    out
}

/// Table cells cannot hold pipes or line breaks; player names can.
fn esc(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace('|', "\\|")
        .replace(['\n', '\r'], " ")
}

fn or_dash(value: Option<&str>) -> String {
    value.map_or_else(|| "—".to_owned(), esc)
}

fn header(out: &mut String, file: &str, analysis: &Analysis) {
    let info = &analysis.replay;
    let map = info.map_code.as_deref().unwrap_or("unknown map");
    let [blue, orange] = info.score;
    let _ = writeln!(out, "# {} — Blue {blue} : {orange} Orange\n", esc(map));
    if let Some(name) = info.name.as_deref().filter(|n| !n.is_empty()) {
        let _ = writeln!(out, "*{}*\n", esc(name));
    }
    let duration = info.duration.map(|d| {
        let overtime = if info.overtime == Some(true) {
            " (overtime)"
        } else {
            ""
        };
        format!("{} (m:ss){overtime}", clock(d))
    });
    let team_size = info.team_size.map(|n| format!("{n}v{n}"));
    let status = match &analysis.status {
        AnalysisStatus::Full => "full analysis".to_owned(),
        AnalysisStatus::Degraded { reason } => {
            let code = serde_json::to_value(reason.code)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default();
            format!("degraded: header only (`{code}`: {})", esc(&reason.message))
        }
    };
    let rows: [(&str, String); 9] = [
        ("Map", esc(map)),
        ("Date", or_dash(info.date.as_deref())),
        ("Match type", or_dash(info.match_type.as_deref())),
        ("Team size", or_dash(team_size.as_deref())),
        ("Score", format!("Blue {blue} : {orange} Orange")),
        ("Duration", or_dash(duration.as_deref())),
        ("Replay id", or_dash(info.id.as_deref())),
        ("File", esc(file)),
        ("Status", status),
    ];
    out.push_str("| | |\n|---|---|\n");
    for (label, value) in rows {
        let _ = writeln!(out, "| {label} | {value} |");
    }
    out.push('\n');
}

fn scoreboard(out: &mut String, analysis: &Analysis) {
    out.push_str("## Scoreboard\n\n");
    for team in [0u8, 1] {
        let color = team_color(team);
        let title = match analysis
            .teams
            .get(usize::from(team))
            .and_then(|t| t.name.as_deref())
        {
            Some(name) => format!("{} ({color})", esc(name)),
            None => if team == 0 { "Blue" } else { "Orange" }.to_owned(),
        };
        let goals = analysis
            .replay
            .score
            .get(usize::from(team))
            .copied()
            .unwrap_or(0);
        let plural = if goals == 1 { "" } else { "s" };
        let _ = writeln!(out, "### {title}: {goals} goal{plural}\n");
        out.push_str(
            "| Player | Platform | Score (pts) | Goals | Assists | Saves | Shots | Shooting (%) | MVP |\n\
             |---|---|---:|---:|---:|---:|---:|---:|---|\n",
        );
        let players: Vec<_> = analysis.players.iter().filter(|p| p.team == team).collect();
        if players.is_empty() {
            out.push_str("| (no players) | | | | | | | | |\n");
        }
        for p in players {
            let core = &p.stats.core;
            let platform = match (&p.id, p.is_bot) {
                (_, true) => "bot".to_owned(),
                (Some(id), false) => esc(&id.platform),
                (None, false) => "—".to_owned(),
            };
            let mvp = match core.mvp {
                Some(true) => "yes",
                Some(false) => "",
                None => "—",
            };
            let _ = writeln!(
                out,
                "| {} | {platform} | {} | {} | {} | {} | {} | {:.1} | {mvp} |",
                esc(&p.name),
                core.score,
                core.goals,
                core.assists,
                core.saves,
                core.shots,
                core.shooting_percentage,
            );
        }
        out.push('\n');
    }
}

/// The unit of a stat as the dossier prints it: the engine's metric unit,
/// spelled for a reader of this one table.
fn unit(family: Family, field: &str) -> &'static str {
    match field_unit(field) {
        Unit::PerMinute => "boost/min",
        Unit::Boost => "boost (0-100)",
        Unit::Count if family == Family::Demo => "demos",
        Unit::Count if field == "goals_against_while_last_defender" => "goals",
        Unit::Count | Unit::Boolean | Unit::Ratio => "count",
        other => other.symbol(),
    }
}

fn family_title(family: Family) -> &'static str {
    match family {
        Family::Core => "Core",
        Family::Boost => "Boost",
        Family::Movement => "Movement",
        Family::Positioning => "Positioning",
        Family::Demo => "Demos",
        Family::Ball => "Ball",
    }
}

fn number(value: &Value) -> String {
    match value {
        Value::Null => "—".to_owned(),
        Value::Number(n) if n.is_f64() => {
            n.as_f64().map_or_else(String::new, |f| format!("{f:.2}"))
        }
        Value::String(s) => esc(s),
        other => other.to_string(),
    }
}

/// One row per stat, one column per player; skipped when nobody has the family.
fn family_table(out: &mut String, family: Family, players: &[PlayerReport]) {
    let values: Vec<_> = players.iter().map(|p| family.values(&p.stats)).collect();
    if values.iter().all(Option::is_none) {
        return;
    }
    let _ = writeln!(out, "## {}\n", family_title(family));
    out.push_str("| Stat | Unit |");
    for p in players {
        let _ = write!(out, " {} ({}) |", esc(&p.name), team_color(p.team));
    }
    out.push_str("\n|---|---|");
    out.push_str(&"---:|".repeat(players.len()));
    out.push('\n');
    for field in family.columns() {
        let _ = write!(out, "| {field} | {} |", unit(family, field));
        for player_values in &values {
            let shown = player_values
                .as_ref()
                .map_or_else(|| "—".to_owned(), |v| number(lookup(v, field)));
            let _ = write!(out, " {shown} |");
        }
        out.push('\n');
    }
    out.push('\n');
}

fn timeline(out: &mut String, analysis: &Analysis) {
    if analysis.events.is_empty() {
        return;
    }
    let name = |index: usize| -> String {
        analysis
            .players
            .get(index)
            .map_or_else(|| format!("player #{index}"), |p| esc(&p.name))
    };
    let maybe = |index: Option<usize>| index.map_or_else(|| "someone".to_owned(), name);
    let (mut pickups, mut touches) = (0usize, 0usize);
    let mut rows = String::new();
    for event in &analysis.events {
        let text = match &event.kind {
            EventKind::Goal {
                team,
                scorer,
                assister,
                ball_speed,
            } => {
                let mut text = format!("**Goal** for {}: {}", team_color(*team), maybe(*scorer));
                if let Some(a) = assister {
                    let _ = write!(text, ", assisted by {}", name(*a));
                }
                if let Some(speed) = ball_speed {
                    let _ = write!(text, " (ball at {speed:.0} uu/s)");
                }
                text
            }
            EventKind::Shot { player } => format!("Shot by {}", name(*player)),
            EventKind::Save { player } => format!("Save by {}", name(*player)),
            EventKind::Demo { attacker, victim } => {
                format!("Demo: {} demolished {}", maybe(*attacker), maybe(*victim))
            }
            EventKind::Kickoff {
                first_touch_time,
                first_touch_player,
            } => match (first_touch_player, first_touch_time) {
                (Some(p), Some(t)) => {
                    format!("Kickoff: first touch by {} after {t:.2} s", name(*p))
                }
                (Some(p), None) => format!("Kickoff: first touch by {}", name(*p)),
                _ => "Kickoff".to_owned(),
            },
            // Hundreds per match: counted below rather than listed.
            EventKind::BoostPickup { .. } => {
                pickups += 1;
                continue;
            }
            EventKind::BallTouch { .. } => {
                touches += 1;
                continue;
            }
        };
        let _ = writeln!(rows, "| {} | {} | {text} |", clock(event.time), event.frame);
    }
    out.push_str("## Timeline\n\n");
    if !rows.is_empty() {
        out.push_str("| Time (m:ss) | Frame | Event |\n|---:|---:|---|\n");
        out.push_str(&rows);
        out.push('\n');
    }
    if pickups + touches > 0 {
        let _ = writeln!(
            out,
            "Also {pickups} boost pickups and {touches} ball touches, listed in the JSON output.\n"
        );
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use filmroom_replay::stats::types::{BoostStats, PlayerStats, TeamStats};
    use filmroom_replay::{
        Analysis, AnalysisStatus, DegradedCode, DegradedReason, Event, EventKind, PlayerReport,
        ReplayInfo, SCHEMA_VERSION, TeamReport,
    };

    use super::render;

    fn player(name: &str, team: u8, boost: Option<BoostStats>) -> PlayerReport {
        PlayerReport {
            name: name.into(),
            id: None,
            team,
            is_bot: false,
            start_time: 0.0,
            end_time: 300.0,
            stats: PlayerStats {
                boost,
                ..PlayerStats::default()
            },
        }
    }

    fn analysis(players: Vec<PlayerReport>, events: Vec<Event>) -> Analysis {
        let team = |color: &str| TeamReport {
            color: color.into(),
            name: None,
            stats: TeamStats::default(),
        };
        Analysis {
            schema_version: SCHEMA_VERSION,
            status: AnalysisStatus::Full,
            replay: ReplayInfo {
                map_code: Some("Stadium_P".into()),
                duration: Some(312.4),
                score: [2, 1],
                ..ReplayInfo::default()
            },
            players,
            teams: [team("blue"), team("orange")],
            events,
        }
    }

    #[test]
    fn stat_tables_give_every_number_a_unit_and_skip_families_nobody_has() {
        let boost = BoostStats {
            bpm: 350.0,
            ..BoostStats::default()
        };
        let doc = render(
            "x.replay",
            &analysis(
                vec![player("Ann|a", 0, Some(boost)), player("Bob", 1, None)],
                vec![],
            ),
        );
        assert!(doc.contains("## Boost"), "{doc}");
        assert!(doc.contains("| bpm | boost/min | 350.00 | — |"), "{doc}");
        assert!(doc.contains("| time_zero_boost | s |"), "{doc}");
        assert!(doc.contains("| percent_zero_boost | % | — | — |"), "{doc}");
        assert!(doc.contains("Ann\\|a"), "pipes in names are escaped: {doc}");
        assert!(!doc.contains("## Movement"), "{doc}");
        assert!(doc.contains("| Duration | 5:12 (m:ss) |"), "{doc}");
    }

    #[test]
    fn timeline_lists_moments_in_minutes_and_seconds_and_counts_the_noise() {
        let events = vec![
            Event {
                time: 75.2,
                frame: 2256,
                kind: EventKind::Goal {
                    team: 0,
                    scorer: Some(0),
                    assister: None,
                    ball_speed: Some(1500.0),
                },
            },
            Event {
                time: 80.0,
                frame: 2400,
                kind: EventKind::BoostPickup {
                    player: 1,
                    pad: None,
                    big: true,
                    amount: 100.0,
                    stolen: false,
                },
            },
        ];
        let doc = render(
            "x.replay",
            &analysis(vec![player("Ann", 0, None), player("Bob", 1, None)], events),
        );
        assert!(
            doc.contains("| 1:15 | 2256 | **Goal** for blue: Ann (ball at 1500 uu/s) |"),
            "{doc}"
        );
        assert!(
            doc.contains("Also 1 boost pickups and 0 ball touches"),
            "{doc}"
        );
    }

    #[test]
    fn a_degraded_analysis_says_why() {
        let mut a = analysis(vec![player("Ann", 0, None)], vec![]);
        a.status = AnalysisStatus::Degraded {
            reason: DegradedReason {
                code: DegradedCode::NoNetworkData,
                message: "the replay has no network frames".into(),
            },
        };
        let doc = render("x.replay", &a);
        assert!(
            doc.contains(
                "degraded: header only (`no_network_data`: the replay has no network frames)"
            ),
            "{doc}"
        );
        assert!(!doc.contains("## Timeline"));
    }
}
