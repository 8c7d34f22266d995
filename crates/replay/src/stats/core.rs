//! Core (scoreboard) stats: the game's own numbers, never re-derived.

use crate::header::{Header, ScoreboardRow};
use crate::report::PlayerReport;
use crate::stats::types::{CoreStats, PlayerStats};

pub fn shooting_percentage(goals: u32, shots: u32) -> f64 {
    if shots == 0 {
        0.0
    } else {
        f64::from(goals) * 100.0 / f64::from(shots)
    }
}

/// A player straight from one header scoreboard row.
pub fn scoreboard_players_row(row: &ScoreboardRow) -> PlayerReport {
    PlayerReport {
        name: row.name.clone(),
        id: row.id.clone(),
        team: row.team,
        is_bot: row.is_bot,
        start_time: 0.0,
        end_time: 0.0,
        stats: PlayerStats {
            core: CoreStats {
                shots: row.shots,
                goals: row.goals,
                saves: row.saves,
                assists: row.assists,
                score: row.score,
                shooting_percentage: shooting_percentage(row.goals, row.shots),
                ..CoreStats::default()
            },
            ..PlayerStats::default()
        },
    }
}

/// Players straight from the header scoreboard (used when frames are missing).
pub fn scoreboard_players(header: &Header) -> Vec<PlayerReport> {
    let mut players: Vec<PlayerReport> = header
        .scoreboard
        .iter()
        .map(scoreboard_players_row)
        .collect();
    fill_against_and_mvp(&mut players, header.info.score);
    players
}

/// goals_against/shots_against are the other team's totals; the MVP is the
/// winning team's top scorer.
pub fn fill_against_and_mvp(players: &mut [PlayerReport], score: [u32; 2]) {
    let team_sum = |players: &[PlayerReport], team: u8, f: fn(&CoreStats) -> u32| {
        players
            .iter()
            .filter(|p| p.team == team)
            .map(|p| f(&p.stats.core))
            .sum::<u32>()
    };
    let shots = [
        team_sum(players, 0, |c| c.shots),
        team_sum(players, 1, |c| c.shots),
    ];
    let winner = match score[0].cmp(&score[1]) {
        std::cmp::Ordering::Greater => Some(0u8),
        std::cmp::Ordering::Less => Some(1u8),
        std::cmp::Ordering::Equal => None,
    };
    let mvp = winner.and_then(|w| {
        players
            .iter()
            .enumerate()
            .filter(|(_, p)| p.team == w)
            .max_by_key(|(i, p)| (p.stats.core.score, std::cmp::Reverse(*i)))
            .map(|(i, _)| i)
    });
    for (i, p) in players.iter_mut().enumerate() {
        let other = usize::from(1 - p.team.min(1));
        p.stats.core.goals_against = score[other];
        p.stats.core.shots_against = shots[other];
        p.stats.core.mvp = Some(mvp == Some(i));
    }
}

pub fn team_core(players: &[PlayerReport], team: u8) -> CoreStats {
    let mut core = CoreStats::default();
    for p in players.iter().filter(|p| p.team == team) {
        core.shots += p.stats.core.shots;
        core.goals += p.stats.core.goals;
        core.saves += p.stats.core.saves;
        core.assists += p.stats.core.assists;
        core.score += p.stats.core.score;
        core.goals_against = p.stats.core.goals_against;
        core.shots_against = p.stats.core.shots_against;
    }
    core.shooting_percentage = shooting_percentage(core.goals, core.shots);
    core
}
