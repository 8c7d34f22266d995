//! Rocket League as a filmroom domain (kind `rl_replay`): recognizing a
//! replay by its header, the limits, and the engine's report mapped to the
//! neutral analysis of `filmroom-domain`. The engine runs unchanged; this
//! module only reads its public report.

mod analyst_words;
mod coach_digest;
mod definitions;
mod game_page;
mod neutral;
mod pages;

use std::time::Duration;

use filmroom_domain::{
    Analysis as Neutral, AnalysisError, AnalysisInput, CoachProfile, DeclaredLength, Domain,
    InputMode, Kind, Limits, MetricDefinition, Page, Recognition, ReportError, Section,
};

pub use coach_digest::coach_digest;
pub use definitions::{metric_definitions, unit as field_unit};
pub use game_page::TABS;
pub use neutral::to_neutral;

use crate::{Framing, ReplayError};

/// The code uploads of unreadable replays have always been refused with.
const UNREADABLE_CODE: &str = "not_a_replay";

/// The kind of Rocket League recordings.
pub const KIND: Kind = Kind::from_static("rl_replay");

/// Largest replay the domain accepts. The game caps replays at its
/// `MaxReplaySizeMB`, 10 MB in every version seen, and the web already
/// refuses uploads above 10 MiB: the platform keeps that bound. The engine's
/// own 32 MiB cap ([`crate::MAX_REPLAY_BYTES`]) stays its memory guard for
/// the CLI.
pub const MAX_BYTES: u64 = 10 * 1024 * 1024;

/// Abandon an analysis after this long. A 2.6 MB replay takes tens of
/// milliseconds in release builds and under a second in debug builds; only
/// a pathological file gets near this.
pub const TIME_LIMIT: Duration = Duration::from_secs(60);

/// The class name every replay's header starts with (after the lengths,
/// checksum and versions): `TAGame.Replay_Soccar_TA` for every mode.
const CLASS_PREFIX: &[u8] = b"TAGame.Replay_";

/// The replay framing: header length and CRC, engine and licensee versions,
/// the net version when (major, minor) >= (868, 18), then the replay class
/// as a length-prefixed string. The class is at byte 16 or 20.
fn has_replay_header(head: &[u8]) -> bool {
    [16usize, 20].into_iter().any(|offset| {
        let Some(rest) = head.get(offset..) else {
            return false;
        };
        let Some((len, text)) = rest.split_first_chunk::<4>() else {
            return false;
        };
        let len = u32::from_le_bytes(*len) as usize;
        len >= CLASS_PREFIX.len() && len <= 64 && text.starts_with(CLASS_PREFIX)
    })
}

/// The Rocket League domain: stateless, shared as `Arc<dyn Domain>`.
#[derive(Debug, Clone, Copy, Default)]
pub struct RocketLeague;

impl RocketLeague {
    fn analyze_bytes(bytes: &[u8]) -> Result<Neutral, AnalysisError> {
        let size = bytes.len() as u64;
        if size > MAX_BYTES {
            return Err(AnalysisError::TooLarge {
                size,
                limit: MAX_BYTES,
            });
        }
        if !has_replay_header(bytes) {
            return Err(AnalysisError::NotThisKind {
                kind: KIND,
                reason: "the file does not start with a Rocket League replay header".into(),
            });
        }
        let report = crate::analyze(bytes).map_err(|e| match e {
            ReplayError::Header(source) => AnalysisError::Invalid {
                reason: format!("not a readable Rocket League replay: {source}"),
            },
            ReplayError::Framing(defect) => AnalysisError::Invalid {
                reason: format!("not a readable Rocket League replay: {defect}"),
            },
            ReplayError::TooLarge { size, limit } => AnalysisError::TooLarge {
                size: size as u64,
                limit: limit as u64,
            },
        })?;
        to_neutral(&report).map_err(|e| AnalysisError::Internal(e.to_string()))
    }
}

impl Domain for RocketLeague {
    fn kind(&self) -> Kind {
        KIND
    }

    fn display_name(&self) -> &str {
        "Rocket League replay"
    }

    /// By content only: a `.replay` name proves nothing, and the CLI and
    /// uploads accept replays under any name.
    fn recognize(&self, _filename: &str, head: &[u8]) -> Recognition {
        if has_replay_header(head) {
            Recognition::ByContent
        } else {
            Recognition::No
        }
    }

    fn extensions(&self) -> &[&'static str] {
        &["replay"]
    }

    fn limits(&self) -> Limits {
        Limits {
            max_bytes: MAX_BYTES,
            time_limit: TIME_LIMIT,
            input: InputMode::Bytes,
        }
    }

    fn revision(&self) -> u32 {
        crate::ANALYSIS_REVISION
    }

    fn analyze(&self, input: AnalysisInput<'_>) -> Result<Neutral, AnalysisError> {
        match input {
            AnalysisInput::Bytes(bytes) => Self::analyze_bytes(bytes),
            AnalysisInput::Path(path) => {
                // The size first, so a huge file is refused without being read.
                let size = std::fs::metadata(path).map_err(AnalysisError::Read)?.len();
                if size > MAX_BYTES {
                    return Err(AnalysisError::TooLarge {
                        size,
                        limit: MAX_BYTES,
                    });
                }
                Self::analyze_bytes(&std::fs::read(path).map_err(AnalysisError::Read)?)
            }
        }
    }

    fn metric_definitions(&self) -> Vec<MetricDefinition> {
        metric_definitions()
    }

    fn coach_profile(&self) -> CoachProfile {
        CoachProfile {
            name: "Rocket League".into(),
            markdown: include_str!("coach.md").into(),
        }
    }

    fn coach_digest(&self) -> filmroom_domain::CoachDigestSpec {
        coach_digest()
    }

    fn page_sections(&self, report: &serde_json::Value) -> Result<Vec<Section>, ReportError> {
        pages::sections(report)
    }

    /// The game page's tabs: Overview, Boost, Movement, Positioning and
    /// Timeline, with their charts.
    fn page(&self, report: &serde_json::Value) -> Result<Page, ReportError> {
        game_page::page(report)
    }

    /// The framing's header and content sizes: a replay is exactly as long
    /// as they say.
    fn declared_length(&self, prefix: &[u8]) -> Result<DeclaredLength, AnalysisError> {
        match crate::framing(prefix) {
            Ok(Framing::Incomplete { .. }) => Ok(DeclaredLength::NeedMore),
            Ok(Framing::Complete { total_len, .. }) => Ok(DeclaredLength::Bytes(
                u64::try_from(total_len).unwrap_or(u64::MAX),
            )),
            Err(error) => Err(AnalysisError::Invalid {
                reason: format!("not a readable Rocket League replay: {error}"),
            }),
        }
    }

    /// Parses the header (players, map, date) without the network frames.
    fn check_head(&self, prefix: &[u8]) -> Result<(), AnalysisError> {
        crate::inspect_header(prefix)
            .map(|_| ())
            .map_err(|error| AnalysisError::Invalid {
                reason: format!("not a readable Rocket League replay: {error}"),
            })
    }

    fn unreadable_code(&self) -> &'static str {
        UNREADABLE_CODE
    }

    fn exchange_format(&self) -> Option<filmroom_domain::ExchangeFormat> {
        Some(filmroom_domain::ExchangeFormat {
            name: "ballchasing",
            label: "ballchasing.com JSON",
        })
    }

    /// ballchasing.com's `GET /api/replays/{id}` document, the one
    /// `filmroom analyze --format ballchasing` prints and the accuracy test
    /// compares.
    fn exchange_document(
        &self,
        report: &serde_json::Value,
    ) -> Result<Option<serde_json::Value>, ReportError> {
        Ok(Some(crate::ballchasing::to_json(&stored_report(report)?)))
    }

    /// The players table of `filmroom analyze --format csv`.
    fn table_columns(&self) -> Vec<String> {
        crate::table::columns()
    }

    fn table_rows(
        &self,
        file: &str,
        report: &serde_json::Value,
    ) -> Result<Vec<Vec<String>>, ReportError> {
        Ok(crate::table::rows(file, &stored_report(report)?))
    }
}

/// The engine's report back from its stored JSON.
fn stored_report(report: &serde_json::Value) -> Result<crate::Analysis, ReportError> {
    use serde::Deserialize;
    crate::Analysis::deserialize(report).map_err(|e| ReportError {
        reason: format!("not a Rocket League report: {e}"),
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    fn head(major_minor_net: &[u32], class: &str) -> Vec<u8> {
        let mut bytes = vec![0u8; 8];
        for v in major_minor_net {
            bytes.extend_from_slice(&v.to_le_bytes());
        }
        bytes.extend_from_slice(&(class.len() as u32 + 1).to_le_bytes());
        bytes.extend_from_slice(class.as_bytes());
        bytes.push(0);
        bytes
    }

    #[test]
    fn the_replay_class_is_found_with_and_without_a_net_version() {
        let rl = RocketLeague;
        assert_eq!(
            rl.recognize("x.bin", &head(&[868, 12], "TAGame.Replay_Soccar_TA")),
            Recognition::ByContent
        );
        assert_eq!(
            rl.recognize("x", &head(&[868, 32, 10], "TAGame.Replay_Soccar_TA")),
            Recognition::ByContent
        );
    }

    #[test]
    fn a_replay_name_without_the_header_is_not_recognized() {
        let rl = RocketLeague;
        assert_eq!(
            rl.recognize("game.replay", b"hello, world"),
            Recognition::No
        );
        assert_eq!(rl.recognize("game.replay", &[]), Recognition::No);
        assert_eq!(
            rl.recognize("game.replay", &head(&[868, 12], "Engine.Something")),
            Recognition::No
        );
    }

    #[test]
    fn dates_of_every_header_format_parse_and_nonsense_does_not() {
        let d = neutral::parse_date("2017-08-09 20-58-07").unwrap();
        assert_eq!(
            (
                d.year(),
                u8::from(d.month()),
                d.day(),
                d.hour(),
                d.minute(),
                d.second()
            ),
            (2017, 8, 9, 20, 58, 7)
        );
        let d = neutral::parse_date("2016-06-20:16-46").unwrap();
        assert_eq!((d.hour(), d.minute(), d.second()), (16, 46, 0));
        assert!(neutral::parse_date("2017-13-09 20-58-07").is_none());
        assert!(neutral::parse_date("yesterday").is_none());
        assert!(neutral::parse_date("2017-08-09 20-58-07-11-12").is_none());
    }
}
