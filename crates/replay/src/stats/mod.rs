//! Per-player and per-team stats with ballchasing.com's definitions.
//! Every threshold lives in [`defs`] and is explained in `docs/stats.md`.

pub mod boost;
pub mod core;
pub mod defs;
pub mod fields;
pub mod movement;
pub mod pads;
pub mod positioning;
pub mod possession;
pub mod team;
pub mod types;

use crate::frames::{Phase, Timeline};
use crate::header::{Header, ScoreboardRow};
use crate::report::{PlayerReport, TeamReport};
use types::{CoreStats, DemoStats, PlayerStats};

pub struct Computed {
    /// Seconds of the match (every recorded frame).
    pub duration: f64,
    pub players: Vec<PlayerReport>,
    /// `players[i]` follows `timeline.players[track_of[i]]`, when it has frames.
    pub track_of: Vec<Option<usize>>,
    pub teams: [TeamReport; 2],
    pub touches: Vec<possession::Touch>,
    pub pad_kinds: pads::PadKinds,
}

/// Time weights: each frame counts for the time since the previous one.
pub(crate) fn frame_weight(timeline: &Timeline, frame: usize) -> f64 {
    timeline
        .frames
        .get(frame)
        .map_or(0.0, |f| f64::from(f.delta.max(0.0)))
}

/// Seconds of "play" that per-minute stats and match-wide shares divide by:
/// every frame of the match except the kickoff countdowns' 3-2-1, while the
/// cars are frozen (post-goal frames count: cars drive then).
pub(crate) fn play_seconds(timeline: &Timeline) -> f64 {
    (0..timeline.frames.len())
        .filter(|&i| {
            let f = &timeline.frames[i];
            f.phase != Phase::Inactive && !f.frozen
        })
        .map(|i| frame_weight(timeline, i))
        .sum()
}

/// A y coordinate seen from the team's side: own goal always at negative y
/// (blue defends -y, orange +y).
pub(crate) fn own_y(team: u8, y: f32) -> f64 {
    f64::from(if team == 0 { y } else { -y })
}

/// Whether the ball is in play at each frame: live play from the first touch
/// after each kickoff (the ball waiting on the centre spot is not yet in
/// play) through the post-goal frames. Replays that never replicate the first
/// touch count all live play.
pub(crate) fn ball_in_play(timeline: &Timeline) -> Vec<bool> {
    let knows_first_touch = timeline.frames.iter().any(|f| f.ball_has_been_hit);
    timeline
        .frames
        .iter()
        .map(|f| match f.phase {
            Phase::Live => f.ball_has_been_hit || !knows_first_touch,
            Phase::PostGoal => true,
            Phase::Inactive | Phase::Countdown => false,
        })
        .collect()
}

fn matches_row(row: &ScoreboardRow, track: &crate::frames::PlayerTrack) -> bool {
    match (&row.id, &track.id) {
        (Some(a), Some(b)) if a.id == b.id => true,
        _ => row.name == track.name,
    }
}

/// The last value of a replicated counter, for players missing from the
/// header scoreboard (they left before the end).
fn last(counter: &[(usize, u32)]) -> u32 {
    counter.last().map_or(0, |(_, v)| *v)
}

pub fn compute(header: &Header, timeline: &Timeline) -> Computed {
    let duration: f64 = (0..timeline.frames.len())
        .map(|i| frame_weight(timeline, i))
        .sum();
    let last_time = f64::from(timeline.frames.last().map_or(0.0, |f| f.time));
    let touches = possession::touches(timeline);
    let possession = possession::possession(timeline, &touches);
    let pad_kinds = pads::classify(timeline);

    // Scoreboard rows first (the game's own list), then tracked players the
    // scoreboard lacks (left early) if they ever drove a car.
    let mut players = Vec::new();
    let mut track_of = Vec::new();
    let mut used = vec![false; timeline.players.len()];
    for row in &header.scoreboard {
        let track = timeline
            .players
            .iter()
            .enumerate()
            .position(|(i, t)| !used[i] && matches_row(row, t));
        if let Some(i) = track {
            used[i] = true;
        }
        let mut report = core::scoreboard_players_row(row);
        if let Some(i) = track
            && report.id.is_none()
        {
            report.id = timeline.players[i].id.clone();
        }
        players.push(report);
        track_of.push(track);
    }
    for (i, track) in timeline.players.iter().enumerate() {
        if used[i] || track.cars.iter().all(Option::is_none) {
            continue;
        }
        let (goals, shots) = (last(&track.counters.goals), last(&track.counters.shots));
        players.push(PlayerReport {
            name: track.name.clone(),
            id: track.id.clone(),
            team: track.team.unwrap_or(0),
            is_bot: track.is_bot,
            start_time: 0.0,
            end_time: 0.0,
            stats: PlayerStats {
                core: CoreStats {
                    goals,
                    shots,
                    assists: last(&track.counters.assists),
                    saves: last(&track.counters.saves),
                    score: last(&track.counters.score),
                    shooting_percentage: core::shooting_percentage(goals, shots),
                    ..CoreStats::default()
                },
                ..PlayerStats::default()
            },
        });
        track_of.push(Some(i));
    }
    core::fill_against_and_mvp(&mut players, header.info.score);

    let play = play_seconds(timeline);
    let in_play = ball_in_play(timeline);
    let roles = positioning::roles(timeline, &players, &track_of);
    for (index, player) in players.iter_mut().enumerate() {
        let Some(track_index) = track_of[index] else {
            continue;
        };
        let track = &timeline.players[track_index];
        let first = track.cars.iter().position(Option::is_some);
        let last_frame = track.cars.iter().rposition(Option::is_some);
        if let (Some(first), Some(_)) = (first, last_frame) {
            player.start_time = f64::from(timeline.frames[first].time);
        }
        // ballchasing reports the end of the match as every player's end,
        // except for players who left early: those missing from the
        // scoreboard, whose reports follow the scoreboard's rows.
        let left_early = index >= header.scoreboard.len();
        player.end_time = match last_frame {
            Some(l) if left_early => f64::from(timeline.frames[l].time),
            _ => last_time,
        };
        let team = player.team;
        player.stats.boost = Some(boost::stats(timeline, track_index, team, &pad_kinds, play));
        player.stats.movement = Some(movement::stats(timeline, track_index));
        player.stats.positioning = Some(positioning::stats(
            timeline,
            track_index,
            team,
            &possession,
            &in_play,
            &roles[index],
            play,
        ));
        player.stats.demo = Some(DemoStats {
            inflicted: timeline
                .demos
                .iter()
                .filter(|d| d.attacker == Some(track_index) && d.victim.is_some())
                .count() as u32,
            taken: timeline
                .demos
                .iter()
                .filter(|d| d.victim == Some(track_index) && d.attacker.is_some())
                .count() as u32,
        });
    }
    positioning::assign_last_defender_goals(timeline, &mut players, &track_of);

    let teams = [0u8, 1].map(|team| TeamReport {
        color: crate::analyze::team_color(team).into(),
        name: timeline.team_names[usize::from(team)].clone(),
        stats: team::aggregate(
            &players,
            team,
            possession::ball_stats(timeline, &possession, &in_play, team),
        ),
    });
    Computed {
        duration,
        players,
        track_of,
        teams,
        touches,
        pad_kinds,
    }
}

/// `part` as a percentage of `whole`, 0 when there is no whole.
pub(crate) fn percent(part: f64, whole: f64) -> f64 {
    if whole > 0.0 {
        part * 100.0 / whole
    } else {
        0.0
    }
}
