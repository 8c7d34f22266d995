//! The engine's report mapped to the neutral analysis: facts, sides,
//! participants, metrics, events and passages. The engine itself is not
//! changed by any of this; the mapping reads only its public report.

use std::collections::{BTreeMap, BTreeSet};

use filmroom_domain::{
    Analysis as Neutral, Degraded, Event as NeutralEvent, Facts, Metric, Outcome, Participant,
    Passage, Side, Span, Subject, Unit,
};
use serde_json::{Value, json};
use time::{Date, Month, PrimitiveDateTime, Time};

use super::definitions::{FAMILIES, FINAL_SCORE_KEY, higher_is_better, key, unit};
use crate::report::{Analysis, AnalysisStatus, Event, EventKind, PlayerReport};
use crate::stats::fields::Family;
use crate::{ANALYSIS_REVISION, analyze::team_color};

pub(crate) use filmroom_domain::format_clock as clock;

/// The header's date: `YYYY-MM-DD HH-MM-SS` in current replays,
/// `YYYY-MM-DD:HH-MM` in 2016's. It is the recorder's local time with no
/// offset, so it is taken as UTC: exact to the day, not to the hour.
pub(crate) fn parse_date(raw: &str) -> Option<time::OffsetDateTime> {
    let numbers: Vec<u32> = raw
        .split(|c: char| !c.is_ascii_digit())
        .filter(|s| !s.is_empty())
        .map(str::parse)
        .collect::<Result<_, _>>()
        .ok()?;
    let (&[year, month, day], rest) = numbers.split_first_chunk::<3>()?;
    let (hour, minute, second) = match *rest {
        [h, m, s] => (h, m, s),
        [h, m] => (h, m, 0),
        [] => (0, 0, 0),
        _ => return None,
    };
    let date = Date::from_calendar_date(
        i32::try_from(year).ok()?,
        Month::try_from(u8::try_from(month).ok()?).ok()?,
        u8::try_from(day).ok()?,
    )
    .ok()?;
    let time = Time::from_hms(
        u8::try_from(hour).ok()?,
        u8::try_from(minute).ok()?,
        u8::try_from(second).ok()?,
    )
    .ok()?;
    Some(PrimitiveDateTime::new(date, time).assume_utc())
}

/// `Replay_Soccar_TA` -> `soccar`: the header's replay class, the only game
/// mode the report has (hoops, rumble... are all "soccar" replays).
fn game_mode(game_type: &str) -> Option<String> {
    let mode = game_type
        .trim_start_matches("TAGame.")
        .trim_start_matches("Replay_")
        .trim_end_matches("_TA")
        .to_ascii_lowercase();
    (!mode.is_empty()).then_some(mode)
}

/// A stable key per report player, unique within the replay: the account
/// (`steam:7656...`) when the header names one, else the name (bots, old
/// replays, split-screen guests). The rare repeat gets a `#n` suffix.
fn participant_keys(players: &[PlayerReport]) -> Vec<String> {
    let mut used = BTreeSet::new();
    players
        .iter()
        .map(|p| {
            let base = match &p.id {
                Some(id) if !p.is_bot => format!("{}:{}", id.platform, id.id),
                _ => format!("name:{}", p.name),
            };
            let mut key = base.clone();
            let mut n = 2;
            while !used.insert(key.clone()) {
                key = format!("{base}#{n}");
                n += 1;
            }
            key
        })
        .collect()
}

fn metric_value(value: &Value) -> Option<f64> {
    match value {
        Value::Number(n) => n.as_f64(),
        Value::Bool(b) => Some(if *b { 1.0 } else { 0.0 }),
        _ => None,
    }
}

fn push_metrics(
    out: &mut Vec<Metric>,
    subject: &Subject,
    families: impl Iterator<Item = (Family, Option<Vec<(&'static str, Value)>>)>,
) {
    for (family, values) in families {
        for (field, value) in values.into_iter().flatten() {
            // Unset fields (a percent of nothing) are not metrics; neither is
            // a non-finite number, which no stat should produce.
            let Some(value) = metric_value(&value).filter(|v| v.is_finite()) else {
                continue;
            };
            out.push(Metric {
                subject: subject.clone(),
                key: key(family, field),
                value,
                unit: unit(field),
                higher_is_better: higher_is_better(family, field),
            });
        }
    }
}

fn metrics(report: &Analysis, keys: &[String]) -> Vec<Metric> {
    let mut out = Vec::new();
    for (player, key) in report.players.iter().zip(keys) {
        let subject = Subject::Participant(key.clone());
        let families = Family::PLAYER.iter().map(|&f| (f, f.values(&player.stats)));
        push_metrics(&mut out, &subject, families);
    }
    for (team, side) in report.teams.iter().zip(0u8..) {
        let subject = Subject::Side(team_color(side).to_owned());
        let families = FAMILIES.iter().map(|&f| (f, f.team_values(&team.stats)));
        push_metrics(&mut out, &subject, families);
    }
    for (score, side) in report.replay.score.iter().zip(0u8..) {
        out.push(Metric {
            subject: Subject::Side(team_color(side).to_owned()),
            key: FINAL_SCORE_KEY.to_owned(),
            value: f64::from(*score),
            unit: Unit::Count,
            higher_is_better: Some(true),
        });
    }
    out
}

/// Names and keys of report players, by report index.
struct People<'a> {
    players: &'a [PlayerReport],
    keys: &'a [String],
}

impl People<'_> {
    fn name(&self, index: Option<usize>) -> String {
        index
            .and_then(|i| self.players.get(i))
            .map_or_else(|| "someone".to_owned(), |p| p.name.clone())
    }

    fn key(&self, index: Option<usize>) -> Option<&String> {
        index.and_then(|i| self.keys.get(i))
    }

    fn subject(&self, index: Option<usize>) -> Option<Subject> {
        self.key(index).cloned().map(Subject::Participant)
    }

    /// The engine's player indexes are always valid; a stray one still
    /// maps to the recording rather than panicking.
    fn player(&self, index: usize) -> Subject {
        self.subject(Some(index)).unwrap_or(Subject::Recording)
    }
}

/// One report event as a neutral event; `score` is the running score,
/// updated by goals.
fn event(e: &Event, people: &People<'_>, score: &mut [u32; 2]) -> NeutralEvent {
    let at = |kind: &str, subject: Subject, label: String, payload: Value| NeutralEvent {
        t_s: e.time,
        kind: kind.to_owned(),
        subject,
        label,
        position: None,
        payload,
    };
    match &e.kind {
        EventKind::Goal {
            team,
            scorer,
            assister,
            ball_speed,
        } => {
            let team = (*team).min(1);
            score[usize::from(team)] += 1;
            let side = team_color(team);
            let mut label = format!(
                "Goal by {} for {side} ({}-{})",
                people.name(*scorer),
                score[0],
                score[1]
            );
            if assister.is_some() {
                label.push_str(&format!(", assisted by {}", people.name(*assister)));
            }
            at(
                "goal",
                people
                    .subject(*scorer)
                    .unwrap_or_else(|| Subject::Side(side.to_owned())),
                label,
                json!({
                    "side": side,
                    "scorer": people.key(*scorer),
                    "assister": people.key(*assister),
                    "ball_speed": ball_speed.filter(|s| s.is_finite()),
                    "score": score,
                    "frame": e.frame,
                }),
            )
        }
        EventKind::Shot { player } => at(
            "shot",
            people.player(*player),
            format!("Shot by {}", people.name(Some(*player))),
            json!({ "frame": e.frame }),
        ),
        EventKind::Save { player } => at(
            "save",
            people.player(*player),
            format!("Save by {}", people.name(Some(*player))),
            json!({ "frame": e.frame }),
        ),
        EventKind::Demo { attacker, victim } => at(
            "demo",
            people
                .subject(*attacker)
                .or_else(|| people.subject(*victim))
                .unwrap_or(Subject::Recording),
            format!(
                "{} demolished {}",
                people.name(*attacker),
                people.name(*victim)
            ),
            json!({
                "attacker": people.key(*attacker),
                "victim": people.key(*victim),
                "frame": e.frame,
            }),
        ),
        EventKind::Kickoff {
            first_touch_time,
            first_touch_player,
        } => {
            let label = match (first_touch_player, first_touch_time) {
                (Some(p), Some(t)) => {
                    format!(
                        "Kickoff: first touch by {} after {t:.2} s",
                        people.name(Some(*p))
                    )
                }
                (Some(p), None) => format!("Kickoff: first touch by {}", people.name(Some(*p))),
                _ => "Kickoff".to_owned(),
            };
            at(
                "kickoff",
                Subject::Recording,
                label,
                json!({
                    "first_touch_time": first_touch_time.filter(|t| t.is_finite()),
                    "first_touch_player": people.key(*first_touch_player),
                    "frame": e.frame,
                }),
            )
        }
        EventKind::BoostPickup {
            player,
            pad,
            big,
            amount,
            stolen,
        } => {
            let size = if *big { "big" } else { "small" };
            let verb = if *stolen { "stole" } else { "took" };
            at(
                "boost_pickup",
                people.player(*player),
                format!(
                    "{} {verb} a {size} pad (+{amount:.0} boost)",
                    people.name(Some(*player))
                ),
                json!({
                    "pad": pad,
                    "big": big,
                    "amount": if amount.is_finite() { Some(amount) } else { None },
                    "stolen": stolen,
                    "frame": e.frame,
                }),
            )
        }
        EventKind::BallTouch { player, position } => {
            let mut event = at(
                "ball_touch",
                people.player(*player),
                format!("Touch by {}", people.name(Some(*player))),
                json!({ "frame": e.frame }),
            );
            event.position = Some([
                f64::from(position.x),
                f64::from(position.y),
                f64::from(position.z),
            ]);
            event
        }
    }
}

/// The moments a coach cites: each gets a passage of its own.
fn is_notable(kind: &str) -> bool {
    matches!(kind, "goal" | "shot" | "save" | "demo")
}

fn summary(report: &Analysis, facts: &Facts, degraded: Option<&Degraded>) -> String {
    let info = &report.replay;
    let [blue, orange] = info.score;
    let mut text = format!("{}: Blue {blue} - {orange} Orange", facts.title);
    for (facet, label) in [("playlist", "playlist"), ("map", "map")] {
        if let Some(value) = facts.facets.get(facet) {
            text.push_str(&format!(", {label} {value}"));
        }
    }
    if let Some(d) = facts.duration_s {
        text.push_str(&format!(", {} played", clock(d)));
    }
    if info.overtime == Some(true) {
        text.push_str(" (overtime)");
    }
    text.push('.');
    for team in [0u8, 1] {
        let line: Vec<String> = report
            .players
            .iter()
            .filter(|p| p.team == team)
            .map(|p| {
                let c = &p.stats.core;
                format!(
                    "{} {} pts, {} goals, {} assists, {} saves, {} shots",
                    p.name, c.score, c.goals, c.assists, c.saves, c.shots
                )
            })
            .collect();
        if !line.is_empty() {
            text.push_str(&format!(
                " {}: {}.",
                capitalized_color(team),
                line.join("; ")
            ));
        }
    }
    if let Some(d) = degraded {
        text.push_str(&format!(
            " Header-only analysis (no frame stats or events): {}.",
            d.reason
        ));
    }
    text
}

fn capitalized_color(team: u8) -> &'static str {
    if team == 0 { "Blue" } else { "Orange" }
}

/// The recording's length on the clock its events use (the game's frame
/// times since the first frame): the later of the report's `duration` and
/// the last frame a car was seen. The report's `duration` alone sums each
/// frame's time step, as ballchasing does, and runs a few seconds shorter
/// than the frame clock on many replays (up to 15 s in the corpus), which
/// would put the last events past the end.
fn recording_length(report: &Analysis) -> Option<f64> {
    let duration = report
        .replay
        .duration
        .filter(|d| d.is_finite() && *d >= 0.0)?;
    let last_seen = report
        .players
        .iter()
        .map(|p| p.end_time)
        .filter(|t| t.is_finite())
        .fold(0.0, f64::max);
    Some(duration.max(last_seen))
}

/// Maps the engine's report to the neutral analysis.
pub fn to_neutral(report: &Analysis) -> Result<Neutral, serde_json::Error> {
    let info = &report.replay;
    let map = info.map_code.clone().filter(|m| !m.is_empty());
    let team_size = info.team_size.filter(|n| *n > 0);
    let title = match info
        .name
        .as_deref()
        .map(str::trim)
        .filter(|n| !n.is_empty())
    {
        Some(name) => name.to_owned(),
        None => {
            let map = map.as_deref().unwrap_or("Unknown map");
            match team_size {
                Some(n) => format!("{map} · {n}v{n}"),
                None => map.to_owned(),
            }
        }
    };
    let mut facets = BTreeMap::new();
    if let Some(playlist) = info.match_type.clone().filter(|m| !m.is_empty()) {
        facets.insert("playlist".to_owned(), playlist);
    }
    if let Some(mode) = game_mode(&info.game_type) {
        facets.insert("game_mode".to_owned(), mode);
    }
    if let Some(map) = &map {
        facets.insert("map".to_owned(), map.clone());
    }
    if let Some(n) = team_size {
        facets.insert("team_size".to_owned(), n.to_string());
    }
    let [blue, orange] = info.score;
    let outcome = match blue.cmp(&orange) {
        std::cmp::Ordering::Greater => Outcome::Winner {
            side: "blue".into(),
        },
        std::cmp::Ordering::Less => Outcome::Winner {
            side: "orange".into(),
        },
        std::cmp::Ordering::Equal => Outcome::Draw,
    };
    let facts = Facts {
        title,
        occurred_at: info.date.as_deref().and_then(parse_date),
        duration_s: recording_length(report),
        facets,
        outcome,
    };
    let degraded = match &report.status {
        AnalysisStatus::Full => None,
        AnalysisStatus::Degraded { reason } => Some(Degraded {
            code: serde_json::to_value(reason.code)?
                .as_str()
                .unwrap_or("degraded")
                .to_owned(),
            reason: reason.message.clone(),
        }),
    };

    let sides = report
        .teams
        .iter()
        .zip(0u8..)
        .map(|(team, index)| Side {
            key: team_color(index).to_owned(),
            display_name: team
                .name
                .clone()
                .filter(|n| !n.trim().is_empty())
                .unwrap_or_else(|| capitalized_color(index).to_owned()),
        })
        .collect();
    let keys = participant_keys(&report.players);
    let participants = report
        .players
        .iter()
        .zip(&keys)
        .map(|(p, key)| Participant {
            key: key.clone(),
            display_name: p.name.clone(),
            side: Some(team_color(p.team.min(1)).to_owned()),
            is_bot: p.is_bot,
        })
        .collect();

    let people = People {
        players: &report.players,
        keys: &keys,
    };
    let mut score = [0u32; 2];
    let mut events: Vec<NeutralEvent> = report
        .events
        .iter()
        .map(|e| event(e, &people, &mut score))
        .collect();
    // The engine orders events by frame; times follow frames, but a stable
    // sort keeps the neutral promise whatever a replay's clock does.
    events.sort_by(|a, b| a.t_s.total_cmp(&b.t_s));

    let mut passages = vec![Passage {
        span: Span::Time {
            start_s: 0.0,
            end_s: facts.duration_s.unwrap_or(0.0),
        },
        text: summary(report, &facts, degraded.as_ref()),
    }];
    passages.extend(
        events
            .iter()
            .filter(|e| is_notable(&e.kind))
            .map(|e| Passage {
                span: Span::Time {
                    start_s: e.t_s,
                    end_s: e.t_s,
                },
                text: format!("{} {}", clock(e.t_s), e.label),
            }),
    );

    Ok(Neutral {
        metrics: metrics(report, &keys),
        facts,
        sides,
        participants,
        events,
        passages,
        report: serde_json::to_value(report)?,
        revision: ANALYSIS_REVISION,
        degraded,
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use crate::report::{PlayerId, ReplayInfo, SCHEMA_VERSION, TeamReport};
    use crate::stats::types::{PlayerStats, TeamStats};

    fn player(name: &str, team: u8, id: Option<(&str, &str)>, is_bot: bool) -> PlayerReport {
        PlayerReport {
            name: name.into(),
            id: id.map(|(platform, id)| PlayerId {
                platform: platform.into(),
                id: id.into(),
            }),
            team,
            is_bot,
            start_time: 0.0,
            end_time: 0.0,
            stats: PlayerStats::default(),
        }
    }

    fn report(players: Vec<PlayerReport>, score: [u32; 2]) -> Analysis {
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
                team_size: Some(2),
                game_type: "TAGame.Replay_Soccar_TA".into(),
                duration: Some(300.0),
                score,
                ..ReplayInfo::default()
            },
            players,
            teams: [team("blue"), team("orange")],
            events: vec![],
        }
    }

    #[test]
    fn participants_are_keyed_by_account_else_by_name_and_repeats_stay_unique() {
        let a = to_neutral(&report(
            vec![
                player("Ann", 0, Some(("steam", "765")), false),
                player("Guest", 0, None, false),
                player("Bot", 1, Some(("unknown", "0")), true),
                player("Guest", 1, None, false),
            ],
            [1, 1],
        ))
        .unwrap();
        let keys: Vec<&str> = a.participants.iter().map(|p| p.key.as_str()).collect();
        assert_eq!(
            keys,
            ["steam:765", "name:Guest", "name:Bot", "name:Guest#2"]
        );
        assert_eq!(a.validate(), Ok(()));
    }

    #[test]
    fn the_title_falls_back_to_map_and_team_size_and_a_level_score_is_a_draw() {
        let a = to_neutral(&report(vec![], [2, 2])).unwrap();
        assert_eq!(a.facts.title, "Stadium_P · 2v2");
        assert_eq!(a.facts.outcome, Outcome::Draw);
        assert_eq!(a.facts.facets["game_mode"], "soccar");
        assert_eq!(a.facts.facets["team_size"], "2");
        let a = to_neutral(&report(vec![], [0, 3])).unwrap();
        assert_eq!(
            a.facts.outcome,
            Outcome::Winner {
                side: "orange".into()
            }
        );
    }
}
