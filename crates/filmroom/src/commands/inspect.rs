//! `filmroom inspect`: what the replay's header says, fast and without
//! decoding the network frames. The JSON view is defined here because the
//! engine's header types are not serializable (and are not ours to change).

use std::fmt::Write as _;
use std::io::{self, Write};
use std::process::ExitCode;

use anyhow::Context;
use filmroom_replay::ReplayInfo;
use filmroom_replay::header::Header;
use serde::Serialize;

use crate::render::team_color;
use crate::{InspectArgs, InspectFormat, inputs};

pub fn run(args: &InspectArgs) -> anyhow::Result<ExitCode> {
    let path = args.file.display();
    let bytes = inputs::read_replay(&args.file).with_context(|| format!("{path}"))?;
    let header = filmroom_replay::inspect(&bytes).with_context(|| format!("{path}"))?;
    let text = match args.format {
        InspectFormat::Text => text(&header),
        InspectFormat::Json => {
            serde_json::to_string_pretty(&HeaderView::from(&header))
                .context("Failed to serialize")?
                + "\n"
        }
    };
    let mut out = io::stdout().lock();
    out.write_all(text.as_bytes())
        .and_then(|()| out.flush())
        .context("Failed to write the output")?;
    Ok(ExitCode::SUCCESS)
}

#[derive(Serialize)]
struct HeaderView<'a> {
    replay: &'a ReplayInfo,
    scoreboard: Vec<RowView<'a>>,
    goals: Vec<GoalView<'a>>,
    tick_marks: Vec<TickView<'a>>,
}

#[derive(Serialize)]
struct RowView<'a> {
    name: &'a str,
    team: &'static str,
    platform: Option<&'a str>,
    id: Option<&'a str>,
    is_bot: bool,
    score: u32,
    goals: u32,
    assists: u32,
    saves: u32,
    shots: u32,
}

#[derive(Serialize)]
struct GoalView<'a> {
    frame: u32,
    player: &'a str,
    team: &'static str,
}

#[derive(Serialize)]
struct TickView<'a> {
    description: &'a str,
    frame: u32,
}

impl<'a> From<&'a Header> for HeaderView<'a> {
    fn from(header: &'a Header) -> Self {
        HeaderView {
            replay: &header.info,
            scoreboard: header
                .scoreboard
                .iter()
                .map(|row| RowView {
                    name: &row.name,
                    team: team_color(row.team),
                    platform: row.id.as_ref().map(|id| id.platform.as_str()),
                    id: row.id.as_ref().map(|id| id.id.as_str()),
                    is_bot: row.is_bot,
                    score: row.score,
                    goals: row.goals,
                    assists: row.assists,
                    saves: row.saves,
                    shots: row.shots,
                })
                .collect(),
            goals: header
                .goals
                .iter()
                .map(|g| GoalView {
                    frame: g.frame,
                    player: &g.player_name,
                    team: team_color(g.team),
                })
                .collect(),
            tick_marks: header
                .tick_marks
                .iter()
                .map(|(description, frame)| TickView {
                    description,
                    frame: *frame,
                })
                .collect(),
        }
    }
}

fn text(header: &Header) -> String {
    let info = &header.info;
    let dash = |v: Option<String>| v.unwrap_or_else(|| "-".to_owned());
    let mut out = String::new();
    let version = match info.net_version {
        Some(net) => format!("{}.{} (net {net})", info.major_version, info.minor_version),
        None => format!("{}.{}", info.major_version, info.minor_version),
    };
    let frames = match (info.num_frames, info.record_fps) {
        (Some(n), Some(fps)) => format!("{n} at {fps} fps"),
        (Some(n), None) => n.to_string(),
        _ => "-".to_owned(),
    };
    let facts = [
        ("Map", dash(info.map_code.clone())),
        ("Date", dash(info.date.clone())),
        ("Match type", dash(info.match_type.clone())),
        (
            "Team size",
            dash(info.team_size.map(|n| format!("{n}v{n}"))),
        ),
        (
            "Score",
            format!("blue {} : {} orange", info.score[0], info.score[1]),
        ),
        ("Name", dash(info.name.clone())),
        ("Replay id", dash(info.id.clone())),
        ("Game type", info.game_type.clone()),
        ("Version", version),
        ("Build", dash(info.build_version.clone())),
        ("Frames", frames),
    ];
    for (label, value) in facts {
        let _ = writeln!(out, "{:<11} {value}", format!("{label}:"));
    }

    out.push_str("\nScoreboard\n");
    if header.scoreboard.is_empty() {
        out.push_str("  (the header has no scoreboard)\n");
    } else {
        let width = header
            .scoreboard
            .iter()
            .map(|r| r.name.chars().count())
            .max()
            .unwrap_or(0)
            .max(6);
        let _ = writeln!(
            out,
            "  {:<6}  {:<width$}  {:<8}  {:>5}  {:>5}  {:>7}  {:>5}  {:>5}",
            "team", "player", "platform", "score", "goals", "assists", "saves", "shots"
        );
        for row in &header.scoreboard {
            let platform = if row.is_bot {
                "bot"
            } else {
                row.id.as_ref().map_or("-", |id| id.platform.as_str())
            };
            let _ = writeln!(
                out,
                "  {:<6}  {:<width$}  {:<8}  {:>5}  {:>5}  {:>7}  {:>5}  {:>5}",
                team_color(row.team),
                row.name,
                platform,
                row.score,
                row.goals,
                row.assists,
                row.saves,
                row.shots
            );
        }
    }

    out.push_str("\nGoals\n");
    if header.goals.is_empty() {
        out.push_str("  (none listed)\n");
    }
    for goal in &header.goals {
        let _ = writeln!(
            out,
            "  frame {:>6}  {:<6}  {}",
            goal.frame,
            team_color(goal.team),
            goal.player_name
        );
    }

    out.push_str("\nTick marks\n");
    if header.tick_marks.is_empty() {
        out.push_str("  (none)\n");
    }
    for (description, frame) in &header.tick_marks {
        let _ = writeln!(out, "  frame {frame:>6}  {description}");
    }
    out
}
