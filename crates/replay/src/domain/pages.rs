//! A replay's page as neutral sections: the match facts, the scoreboard,
//! one table per stat family (a row per player, a column per stat with its
//! unit), the teams' numbers and the timeline of the moments that matter.

use filmroom_domain::{
    Cell, Column, Fact, ReportError, Section, SectionBody, Table, TableRow, TimelineEntry,
};
use serde_json::Value;

use super::definitions::{FAMILIES, label, unit};
use super::neutral::{clock, to_neutral};
use crate::analyze::team_color;
use crate::report::{Analysis, AnalysisStatus};
use crate::stats::fields::{Family, lookup};

fn family_title(family: Family) -> &'static str {
    match family {
        Family::Core => "Core",
        Family::Boost => "Boost",
        Family::Movement => "Movement",
        Family::Positioning => "Positioning",
        Family::Demo => "Demolitions",
        Family::Ball => "Ball",
    }
}

fn cell(value: &Value) -> Cell {
    match value {
        Value::Number(n) => n.as_f64().map_or(Cell::Empty, Cell::Number),
        Value::Bool(b) => Cell::Text(if *b { "yes" } else { "no" }.into()),
        Value::String(s) => Cell::Text(s.clone()),
        _ => Cell::Empty,
    }
}

fn match_facts(report: &Analysis) -> Section {
    let info = &report.replay;
    let text = |v: Option<&str>| v.filter(|s| !s.is_empty()).unwrap_or("—").to_owned();
    let [blue, orange] = info.score;
    let mut facts = vec![
        ("Map", text(info.map_code.as_deref())),
        ("Date", text(info.date.as_deref())),
        ("Playlist", text(info.match_type.as_deref())),
        (
            "Team size",
            info.team_size
                .map_or_else(|| "—".to_owned(), |n| format!("{n}v{n}")),
        ),
        ("Score", format!("Blue {blue} : {orange} Orange")),
        (
            "Duration",
            info.duration.map_or_else(
                || "—".to_owned(),
                |d| {
                    let overtime = if info.overtime == Some(true) {
                        " (overtime)"
                    } else {
                        ""
                    };
                    format!("{}{overtime}", clock(d))
                },
            ),
        ),
    ];
    if let AnalysisStatus::Degraded { reason } = &report.status {
        facts.push(("Analysis", format!("header only: {}", reason.message)));
    }
    Section {
        title: "Match".into(),
        body: SectionBody::Facts {
            facts: facts
                .into_iter()
                .map(|(label, value)| Fact {
                    label: label.into(),
                    value,
                })
                .collect(),
        },
    }
}

fn player_label(report: &Analysis, index: usize) -> String {
    report.players.get(index).map_or_else(String::new, |p| {
        format!("{} ({})", p.name, team_color(p.team.min(1)))
    })
}

/// One table per family a player has, rows per player; skipped when
/// nobody has the family (header-only analyses have only the core).
fn family_table(report: &Analysis, family: Family) -> Option<Section> {
    let values: Vec<_> = report
        .players
        .iter()
        .map(|p| family.values(&p.stats))
        .collect();
    if values.iter().all(Option::is_none) {
        return None;
    }
    let fields = family.columns();
    let columns = fields
        .iter()
        .map(|f| Column {
            label: label(f),
            unit: Some(unit(f)),
        })
        .collect();
    let rows = values
        .iter()
        .enumerate()
        .map(|(i, v)| TableRow {
            label: player_label(report, i),
            cells: fields
                .iter()
                .map(|f| v.as_ref().map_or(Cell::Empty, |v| cell(lookup(v, f))))
                .collect(),
        })
        .collect();
    Some(Section {
        title: family_title(family).into(),
        body: SectionBody::Table(Table { columns, rows }),
    })
}

/// The teams' ball and scoreboard numbers, a row per team.
fn teams_table(report: &Analysis) -> Section {
    let picks: [(Family, &str); 5] = [
        (Family::Core, "goals"),
        (Family::Core, "shots"),
        (Family::Core, "saves"),
        (Family::Ball, "possession_time"),
        (Family::Ball, "time_in_side"),
    ];
    let columns = picks
        .iter()
        .map(|(_, f)| Column {
            label: label(f),
            unit: Some(unit(f)),
        })
        .collect();
    let rows = report
        .teams
        .iter()
        .zip(0u8..)
        .map(|(team, index)| TableRow {
            label: team
                .name
                .clone()
                .unwrap_or_else(|| team_color(index).to_owned()),
            cells: picks
                .iter()
                .map(|(family, field)| {
                    family
                        .team_values(&team.stats)
                        .map_or(Cell::Empty, |v| cell(lookup(&v, field)))
                })
                .collect(),
        })
        .collect();
    Section {
        title: "Teams".into(),
        body: SectionBody::Table(Table { columns, rows }),
    }
}

/// Lays out a stored report; fails on a report that is not this engine's.
pub(super) fn sections(report: &Value) -> Result<Vec<Section>, ReportError> {
    let report: Analysis = serde_json::from_value(report.clone()).map_err(|e| ReportError {
        reason: format!("not a Rocket League report: {e}"),
    })?;
    let neutral = to_neutral(&report).map_err(|e| ReportError {
        reason: e.to_string(),
    })?;
    let mut sections = vec![match_facts(&report)];
    sections.extend(family_table(&report, Family::Core).map(|mut s| {
        s.title = "Scoreboard".into();
        s
    }));
    sections.push(teams_table(&report));
    for family in FAMILIES
        .into_iter()
        .filter(|f| !matches!(f, Family::Core | Family::Ball))
    {
        sections.extend(family_table(&report, family));
    }
    // Pickups and touches number in the hundreds: the JSON report and the
    // charts carry them; the timeline keeps what a person scans for.
    let entries: Vec<TimelineEntry> = neutral
        .events
        .iter()
        .filter(|e| !matches!(e.kind.as_str(), "boost_pickup" | "ball_touch"))
        .map(|e| TimelineEntry {
            t_s: e.t_s,
            kind: e.kind.clone(),
            label: e.label.clone(),
        })
        .collect();
    if !entries.is_empty() {
        sections.push(Section {
            title: "Timeline".into(),
            body: SectionBody::Timeline { entries },
        });
    }
    Ok(sections)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn a_report_that_is_not_the_engines_is_a_typed_error() {
        let err = sections(&serde_json::json!({"hello": "world"})).unwrap_err();
        assert!(err.reason.contains("not a Rocket League report"), "{err}");
    }
}
