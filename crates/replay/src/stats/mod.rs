//! Per-player and per-team stats with ballchasing.com's definitions.
pub mod core;
pub mod types;

use crate::frames::Timeline;
use crate::header::Header;
use crate::report::{PlayerReport, TeamReport};

pub struct Computed {
    pub duration: f64,
    pub players: Vec<PlayerReport>,
    pub teams: [TeamReport; 2],
}

pub fn compute(header: &Header, _timeline: &Timeline) -> Computed {
    let players = core::scoreboard_players(header);
    let teams = [0u8, 1].map(|team| TeamReport {
        color: crate::analyze::team_color(team).into(),
        name: None,
        stats: types::TeamStats { core: core::team_core(&players, team), ..Default::default() },
    });
    Computed { duration: 0.0, players, teams }
}
