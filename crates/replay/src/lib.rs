//! filmroom's Rocket League engine: replay bytes in, a typed [`Analysis`] out.
//!
//! The pipeline is `boxcars` (decoding) -> [`frames`] (a normalized,
//! per-frame model of the ball, cars and players) -> [`stats`] and events.
//! It does no I/O: callers hand it bytes, so it is easy to test and to fuzz.
//! Whatever the bytes, it returns an error or an analysis: never a panic,
//! a hang or an unbounded allocation (boxcars caps every length it reads).

pub mod ballchasing;
pub mod domain;
pub mod frames;
pub mod framing;
pub mod header;
pub mod report;
pub mod stats;
pub mod table;

mod actor_map;
mod analyze;
mod events;

pub use analyze::{analyze, inspect};
pub use framing::{Framing, framing, inspect_header};
pub use report::{
    Analysis, AnalysisStatus, DegradedCode, DegradedReason, Event, EventKind, PlayerId,
    PlayerReport, Position, ReplayInfo, SCHEMA_VERSION, TeamReport,
};

/// The revision of the engine's analysis as the platform stores it (see
/// `filmroom_domain::Domain::revision`): bump it when a stat, an event or a
/// metric definition changes meaning, so stored analyses can be found and
/// re-analysed. [`SCHEMA_VERSION`] versions the report's shape instead.
/// 2: the sides' `core.final_score`, the header's score.
pub const ANALYSIS_REVISION: u32 = 2;

/// Why a replay could not be analysed at all.
#[derive(Debug, thiserror::Error)]
pub enum ReplayError {
    /// The header (or the file's framing) is not a readable Rocket League replay.
    #[error("not a readable Rocket League replay: {0}")]
    Header(#[source] boxcars::ParseError),
    /// The file is far larger than any replay the game writes.
    #[error("file is {size} bytes, larger than the {limit}-byte limit for a replay")]
    TooLarge { size: usize, limit: usize },
    /// The first bytes cannot frame a replay (see [`framing`]).
    #[error("not a readable Rocket League replay: {0}")]
    Framing(#[source] framing::FramingDefect),
}

/// The game caps replays at `MaxReplaySizeMB` (10 MB in every version seen);
/// anything much larger is not a replay and would only cost memory.
pub const MAX_REPLAY_BYTES: usize = 32 * 1024 * 1024;
