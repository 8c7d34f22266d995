//! The engine's entry points: decode, normalize, measure, report.

use boxcars::{ParserBuilder, Replay};

use crate::header::{self, Header};
use crate::report::{
    Analysis, AnalysisStatus, DegradedCode, DegradedReason, PlayerReport, SCHEMA_VERSION,
    TeamReport,
};
use crate::stats::types::{CoreStats, PlayerStats, TeamStats};
use crate::{MAX_REPLAY_BYTES, ReplayError, events, frames, stats};

fn check_size(bytes: &[u8]) -> Result<(), ReplayError> {
    if bytes.len() > MAX_REPLAY_BYTES {
        return Err(ReplayError::TooLarge {
            size: bytes.len(),
            limit: MAX_REPLAY_BYTES,
        });
    }
    Ok(())
}

fn parse_header_only(bytes: &[u8]) -> Result<Replay, ReplayError> {
    ParserBuilder::new(bytes)
        .never_parse_network_data()
        .on_error_check_crc()
        .parse()
        .map_err(ReplayError::Header)
}

/// Reads the header only: fast, and works on every replay whose header is sound.
pub fn inspect(bytes: &[u8]) -> Result<Header, ReplayError> {
    check_size(bytes)?;
    Ok(header::read(&parse_header_only(bytes)?))
}

/// Analyses a replay fully when its network frames decode, and from the
/// header alone (status `degraded`, with the reason) when they do not.
pub fn analyze(bytes: &[u8]) -> Result<Analysis, ReplayError> {
    check_size(bytes)?;
    // The timeline is built while boxcars decodes each frame (our vendored
    // boxcars' frame visitor), not from a fully decoded replay afterwards:
    // walking frames gone cold cost as much as the parse itself.
    let mut timeline = frames::TimelineBuilder::default();
    let parsed = ParserBuilder::new(bytes)
        .must_parse_network_data()
        .on_error_check_crc()
        .parse_with_frame_visitor(&mut timeline);
    match parsed {
        Ok(replay) => {
            let header = header::read(&replay);
            let timeline = timeline.finish();
            if timeline.frames.is_empty() {
                return Ok(degraded(
                    header,
                    DegradedCode::NoNetworkData,
                    "the replay has no network frames".into(),
                ));
            }
            // Modes without a ball (Knockout) still have cars to measure; only
            // frames where no car can be followed say nothing.
            let any_car = timeline
                .players
                .iter()
                .any(|p| p.cars.iter().any(Option::is_some));
            if !any_car {
                return Ok(degraded(
                    header,
                    DegradedCode::NoPlayableFrames,
                    "no player car could be followed in the network frames".into(),
                ));
            }
            Ok(full(header, &timeline))
        }
        Err(network_error) => {
            let header = header::read(&parse_header_only(bytes)?);
            Ok(degraded(
                header,
                DegradedCode::NetworkDecodeFailed,
                network_error.to_string(),
            ))
        }
    }
}

fn full(header: Header, timeline: &frames::Timeline) -> Analysis {
    let computed = stats::compute(&header, timeline);
    let events = events::collect(timeline, &computed);
    let mut info = header.info;
    info.duration = Some(computed.duration);
    info.overtime = Some(timeline.overtime);
    Analysis {
        schema_version: SCHEMA_VERSION,
        status: AnalysisStatus::Full,
        replay: info,
        players: computed.players,
        teams: computed.teams,
        events,
    }
}

/// A header-only analysis: the scoreboard and match facts, nothing from frames.
fn degraded(header: Header, code: DegradedCode, message: String) -> Analysis {
    let players: Vec<PlayerReport> = stats::core::scoreboard_players(&header);
    let teams = [0u8, 1].map(|team| TeamReport {
        color: team_color(team).into(),
        name: None,
        stats: TeamStats {
            core: stats::core::team_core(&players, team),
            ..TeamStats::default()
        },
    });
    Analysis {
        schema_version: SCHEMA_VERSION,
        status: AnalysisStatus::Degraded {
            reason: DegradedReason { code, message },
        },
        replay: header.info,
        players,
        teams,
        events: Vec::new(),
    }
}

pub(crate) fn team_color(team: u8) -> &'static str {
    if team == 0 { "blue" } else { "orange" }
}

#[allow(dead_code)]
fn _unused(_: CoreStats, _: PlayerStats) {}
