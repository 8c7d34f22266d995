//! The analysis of one replay as filmroom reports it: what the CLI prints as
//! `--format json`, what the store keeps, what the pages read. Its shape is
//! versioned by [`SCHEMA_VERSION`] and documented in `docs/report.md`.

use serde::{Deserialize, Serialize};

use crate::stats::types::{PlayerStats, TeamStats};

/// Bumped whenever a field is renamed, removed or changes meaning.
pub const SCHEMA_VERSION: u32 = 1;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Analysis {
    pub schema_version: u32,
    pub status: AnalysisStatus,
    pub replay: ReplayInfo,
    /// Every player seen in the match, in scoreboard order (blue first).
    pub players: Vec<PlayerReport>,
    /// Index 0 is blue, 1 is orange.
    pub teams: [TeamReport; 2],
    /// Time-ordered moments of the match.
    pub events: Vec<Event>,
}

/// Whether the network frames could be decoded. A degraded analysis has the
/// header's scoreboard only; `reason` says why, for machines and people.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum AnalysisStatus {
    Full,
    Degraded { reason: DegradedReason },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DegradedReason {
    /// Stable machine-readable code, e.g. `network_decode_failed`, `no_network_data`.
    pub code: DegradedCode,
    /// Human-readable detail (the parser's message).
    pub message: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DegradedCode {
    /// The file has no network stream at all (very old or frame-less replays).
    NoNetworkData,
    /// The network stream exists but the parser could not decode it.
    NetworkDecodeFailed,
    /// Frames decoded but no player car or ball could be followed in them.
    NoPlayableFrames,
}

/// Facts about the match, from the header (and the frames where the header is silent).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ReplayInfo {
    /// The replay's own id (hex), when the header has one.
    pub id: Option<String>,
    pub name: Option<String>,
    pub map_code: Option<String>,
    /// `YYYY-MM-DD HH-MM-SS` as written by the game, local time of the recorder.
    pub date: Option<String>,
    /// Online, Private, Lan, Offline, Tournament, Season, Training...
    pub match_type: Option<String>,
    pub team_size: Option<u32>,
    pub game_type: String,
    pub major_version: i32,
    pub minor_version: i32,
    pub net_version: Option<i32>,
    pub build_version: Option<String>,
    pub num_frames: Option<u32>,
    pub record_fps: Option<f32>,
    /// Seconds of play counted for stats (excludes goal replays and the pre-game lobby).
    pub duration: Option<f64>,
    pub overtime: Option<bool>,
    /// Goals per team from the header, blue then orange.
    pub score: [u32; 2],
}

/// A platform account, as ballchasing spells it (`steam`, `epic`, `ps4`, `xbox`, `switch`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct PlayerId {
    pub platform: String,
    pub id: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlayerReport {
    pub name: String,
    pub id: Option<PlayerId>,
    /// 0 blue, 1 orange.
    pub team: u8,
    pub is_bot: bool,
    /// Seconds from the start of the match to the player's first and last frame.
    pub start_time: f64,
    pub end_time: f64,
    pub stats: PlayerStats,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TeamReport {
    /// `blue` or `orange`.
    pub color: String,
    /// Club or team name, when the replay names one.
    pub name: Option<String>,
    pub stats: TeamStats,
}

/// A 3D point in Unreal units (uu). x across the field, y along it (blue goal at -y), z up.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Position {
    pub x: f32,
    pub y: f32,
    pub z: f32,
}

/// One moment of the match. `time` is seconds since the first frame; `frame`
/// is the network frame index (what the game's own tick marks use).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    pub time: f64,
    pub frame: u32,
    #[serde(flatten)]
    pub kind: EventKind,
}

/// Player fields are indexes into [`Analysis::players`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum EventKind {
    Goal {
        team: u8,
        scorer: Option<usize>,
        assister: Option<usize>,
        /// Ball speed in uu/s at the last frame before the goal, if known.
        ball_speed: Option<f32>,
    },
    Shot {
        player: usize,
    },
    Save {
        player: usize,
    },
    Demo {
        attacker: Option<usize>,
        victim: Option<usize>,
    },
    Kickoff {
        /// Seconds until the first touch after the countdown, if the ball was touched.
        first_touch_time: Option<f64>,
        first_touch_player: Option<usize>,
    },
    BoostPickup {
        player: usize,
        /// Pad index in the standard soccar layout (0-33, by y then x), on
        /// maps that use it.
        pad: Option<u8>,
        big: bool,
        /// Boost gained, 0-100 scale.
        amount: f32,
        stolen: bool,
    },
    BallTouch {
        player: usize,
        position: Position,
    },
}
