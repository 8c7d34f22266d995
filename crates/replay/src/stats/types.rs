//! The stat records, named exactly as ballchasing.com names them so that the
//! `ballchasing` output is a plain serialization and nobody has to map names.
//! Every definition (units, thresholds) is documented in `docs/stats.md`.

use serde::{Deserialize, Serialize};

/// Scoreboard numbers. Goals, assists, saves, shots and score come from the
/// replay's own scoreboard; the `*_against` fields from the other team's.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CoreStats {
    pub shots: u32,
    pub shots_against: u32,
    pub goals: u32,
    pub goals_against: u32,
    pub saves: u32,
    pub assists: u32,
    pub score: u32,
    /// Only present on players (the team record has no MVP).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mvp: Option<bool>,
    /// goals / shots * 100, 0 when there were no shots.
    pub shooting_percentage: f64,
}

/// Boost usage and collection. Amounts are on the 0-100 scale the game shows.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct BoostStats {
    /// Boost used per minute of play (integer, as ballchasing rounds it).
    pub bpm: f64,
    /// Boost collected per minute of play.
    pub bcpm: f64,
    pub avg_amount: f64,
    pub amount_collected: f64,
    pub amount_stolen: f64,
    pub amount_collected_big: f64,
    pub amount_stolen_big: f64,
    pub amount_collected_small: f64,
    pub amount_stolen_small: f64,
    pub count_collected_big: u32,
    pub count_stolen_big: u32,
    pub count_collected_small: u32,
    pub count_stolen_small: u32,
    pub amount_overfill: f64,
    pub amount_overfill_stolen: f64,
    pub amount_used_while_supersonic: f64,
    pub time_zero_boost: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub percent_zero_boost: Option<f64>,
    pub time_full_boost: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub percent_full_boost: Option<f64>,
    pub time_boost_0_25: f64,
    pub time_boost_25_50: f64,
    pub time_boost_50_75: f64,
    pub time_boost_75_100: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub percent_boost_0_25: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub percent_boost_25_50: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub percent_boost_50_75: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub percent_boost_75_100: Option<f64>,
}

/// Speed, distance, height bands and powerslides. Speeds in uu/s, distances in uu.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct MovementStats {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub avg_speed: Option<f64>,
    pub total_distance: f64,
    pub time_supersonic_speed: f64,
    pub time_boost_speed: f64,
    pub time_slow_speed: f64,
    pub time_ground: f64,
    pub time_low_air: f64,
    pub time_high_air: f64,
    pub time_powerslide: f64,
    pub count_powerslide: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub avg_powerslide_duration: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub avg_speed_percentage: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub percent_slow_speed: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub percent_boost_speed: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub percent_supersonic_speed: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub percent_ground: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub percent_low_air: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub percent_high_air: Option<f64>,
}

/// Where players stand relative to the field, the ball and each other.
/// Times in seconds, distances in uu.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PositioningStats {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub avg_distance_to_ball: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub avg_distance_to_ball_possession: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub avg_distance_to_ball_no_possession: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub avg_distance_to_mates: Option<f64>,
    pub time_defensive_third: f64,
    pub time_neutral_third: f64,
    pub time_offensive_third: f64,
    pub time_defensive_half: f64,
    pub time_offensive_half: f64,
    pub time_behind_ball: f64,
    pub time_infront_ball: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time_most_back: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time_most_forward: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub goals_against_while_last_defender: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time_closest_to_ball: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time_farthest_from_ball: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub percent_defensive_third: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub percent_offensive_third: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub percent_neutral_third: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub percent_defensive_half: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub percent_offensive_half: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub percent_behind_ball: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub percent_infront_ball: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub percent_most_back: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub percent_most_forward: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub percent_closest_to_ball: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub percent_farthest_from_ball: Option<f64>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DemoStats {
    pub inflicted: u32,
    pub taken: u32,
}

/// Team-only ball numbers, in seconds.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct BallStats {
    pub possession_time: f64,
    pub time_in_side: f64,
}

/// Every stat family of one player. `None` families were not computable
/// (header-only analysis has core stats only).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PlayerStats {
    pub core: CoreStats,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub boost: Option<BoostStats>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub movement: Option<MovementStats>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub positioning: Option<PositioningStats>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub demo: Option<DemoStats>,
}

/// A team's aggregates: sums of its players' numbers plus the ball stats.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TeamStats {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ball: Option<BallStats>,
    pub core: CoreStats,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub boost: Option<BoostStats>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub movement: Option<MovementStats>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub positioning: Option<PositioningStats>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub demo: Option<DemoStats>,
}
