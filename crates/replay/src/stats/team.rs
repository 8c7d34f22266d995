//! Team aggregates, the way ballchasing sums them: counts, amounts and times
//! add up; averages of boost amount add up too (ballchasing reports the sum);
//! per-player percentages and speeds are left out.

use crate::report::PlayerReport;
use crate::stats::core::team_core;
use crate::stats::types::{
    BallStats, BoostStats, DemoStats, MovementStats, PositioningStats, TeamStats,
};

pub fn aggregate(players: &[PlayerReport], team: u8, ball: Option<BallStats>) -> TeamStats {
    let members: Vec<&PlayerReport> = players.iter().filter(|p| p.team == team).collect();
    let boosts: Vec<&BoostStats> = members
        .iter()
        .filter_map(|p| p.stats.boost.as_ref())
        .collect();
    let moves: Vec<&MovementStats> = members
        .iter()
        .filter_map(|p| p.stats.movement.as_ref())
        .collect();
    let positions: Vec<&PositioningStats> = members
        .iter()
        .filter_map(|p| p.stats.positioning.as_ref())
        .collect();
    let demos: Vec<&DemoStats> = members
        .iter()
        .filter_map(|p| p.stats.demo.as_ref())
        .collect();
    let boost = (!boosts.is_empty()).then(|| {
        let sum = |f: fn(&BoostStats) -> f64| boosts.iter().map(|b| f(b)).sum::<f64>();
        let count = |f: fn(&BoostStats) -> u32| boosts.iter().map(|b| f(b)).sum::<u32>();
        BoostStats {
            bpm: sum(|b| b.bpm),
            bcpm: sum(|b| b.bcpm),
            avg_amount: sum(|b| b.avg_amount),
            amount_collected: sum(|b| b.amount_collected),
            amount_stolen: sum(|b| b.amount_stolen),
            amount_collected_big: sum(|b| b.amount_collected_big),
            amount_stolen_big: sum(|b| b.amount_stolen_big),
            amount_collected_small: sum(|b| b.amount_collected_small),
            amount_stolen_small: sum(|b| b.amount_stolen_small),
            count_collected_big: count(|b| b.count_collected_big),
            count_stolen_big: count(|b| b.count_stolen_big),
            count_collected_small: count(|b| b.count_collected_small),
            count_stolen_small: count(|b| b.count_stolen_small),
            amount_overfill: sum(|b| b.amount_overfill),
            amount_overfill_stolen: sum(|b| b.amount_overfill_stolen),
            amount_used_while_supersonic: sum(|b| b.amount_used_while_supersonic),
            time_zero_boost: sum(|b| b.time_zero_boost),
            time_full_boost: sum(|b| b.time_full_boost),
            time_boost_0_25: sum(|b| b.time_boost_0_25),
            time_boost_25_50: sum(|b| b.time_boost_25_50),
            time_boost_50_75: sum(|b| b.time_boost_50_75),
            time_boost_75_100: sum(|b| b.time_boost_75_100),
            ..BoostStats::default()
        }
    });
    let movement = (!moves.is_empty()).then(|| {
        let sum = |f: fn(&MovementStats) -> f64| moves.iter().map(|m| f(m)).sum::<f64>();
        MovementStats {
            total_distance: sum(|m| m.total_distance),
            time_supersonic_speed: sum(|m| m.time_supersonic_speed),
            time_boost_speed: sum(|m| m.time_boost_speed),
            time_slow_speed: sum(|m| m.time_slow_speed),
            time_ground: sum(|m| m.time_ground),
            time_low_air: sum(|m| m.time_low_air),
            time_high_air: sum(|m| m.time_high_air),
            time_powerslide: sum(|m| m.time_powerslide),
            count_powerslide: moves.iter().map(|m| m.count_powerslide).sum(),
            ..MovementStats::default()
        }
    });
    let positioning = (!positions.is_empty()).then(|| {
        let sum = |f: fn(&PositioningStats) -> f64| positions.iter().map(|p| f(p)).sum::<f64>();
        PositioningStats {
            time_defensive_third: sum(|p| p.time_defensive_third),
            time_neutral_third: sum(|p| p.time_neutral_third),
            time_offensive_third: sum(|p| p.time_offensive_third),
            time_defensive_half: sum(|p| p.time_defensive_half),
            time_offensive_half: sum(|p| p.time_offensive_half),
            time_behind_ball: sum(|p| p.time_behind_ball),
            time_infront_ball: sum(|p| p.time_infront_ball),
            ..PositioningStats::default()
        }
    });
    let demo = (!demos.is_empty()).then(|| DemoStats {
        inflicted: demos.iter().map(|d| d.inflicted).sum(),
        taken: demos.iter().map(|d| d.taken).sum(),
    });
    let mut core = team_core(players, team);
    core.mvp = None;
    TeamStats {
        ball: if positions.is_empty() { None } else { ball },
        core,
        boost,
        movement,
        positioning,
        demo,
    }
}
