//! The replay engine as the workers' analyzer: bytes in, the report JSON and
//! the summary columns the games list filters on out.

use std::sync::Arc;

use filmroom_jobs::{Analyzer, Analyzers, RecordingKind};
use filmroom_replay::Analysis;
use filmroom_store::{AnalysisOutput, AnalysisSummary, SummaryPlayer};
use time::{Date, Month, OffsetDateTime, PrimitiveDateTime, Time};

/// Every kind this process analyses, with its domain's time limit.
pub fn analyzers() -> Analyzers {
    Analyzers::new().with(
        RecordingKind::RocketLeagueReplay,
        replay_analyzer(),
        filmroom_replay::domain::TIME_LIMIT,
    )
}

/// Queues a low-priority re-analysis of every recording a domain analysed
/// with an older revision of its definitions (or before revisions were
/// stored), so trends never mix old and new numbers for long. Idempotent.
pub async fn queue_outdated(
    store: &dyn filmroom_store::Store,
    now: time::OffsetDateTime,
) -> Result<u64, filmroom_store::StoreError> {
    store
        .queue_reanalysis(
            RecordingKind::RocketLeagueReplay.as_str(),
            filmroom_replay::ANALYSIS_REVISION,
            filmroom_store::ReanalysisScope::Outdated,
            now,
        )
        .await
}

pub fn replay_analyzer() -> Analyzer {
    Arc::new(|bytes: &[u8]| -> Result<AnalysisOutput, String> {
        let analysis = filmroom_replay::analyze(bytes).map_err(|e| e.to_string())?;
        to_output(&analysis)
    })
}

pub fn to_output(analysis: &Analysis) -> Result<AnalysisOutput, String> {
    let report_json = serde_json::to_string(analysis).map_err(|e| e.to_string())?;
    let neutral = filmroom_replay::domain::to_neutral(analysis).map_err(|e| e.to_string())?;
    // The platform refuses to store an analysis that breaks the seam's rules.
    neutral.validate().map_err(|e| e.to_string())?;
    let info = &analysis.replay;
    Ok(AnalysisOutput {
        neutral: Some(neutral),
        report_json,
        summary: AnalysisSummary {
            played_at: info.date.as_deref().and_then(parse_replay_date),
            map: info.map_code.clone(),
            match_type: info.match_type.clone(),
            team_size: info.team_size,
            score: info.score,
            players: analysis
                .players
                .iter()
                .map(|p| SummaryPlayer {
                    name: p.name.clone(),
                    id: p.id.as_ref().map(|id| format!("{}:{}", id.platform, id.id)),
                    team: p.team,
                })
                .collect(),
        },
    })
}

/// The game writes `YYYY-MM-DD HH-MM-SS` (older versions `YYYY-MM-DD:HH-MM`) in
/// the recorder's local time, with no zone: it is kept as if it were UTC.
pub fn parse_replay_date(raw: &str) -> Option<OffsetDateTime> {
    let digits: Vec<u32> = raw
        .split(|c: char| !c.is_ascii_digit())
        .filter(|s| !s.is_empty())
        .map(|s| s.parse().ok())
        .collect::<Option<_>>()?;
    let (y, mo, d) = (digits.first()?, digits.get(1)?, digits.get(2)?);
    let h = digits.get(3).copied().unwrap_or(0);
    let mi = digits.get(4).copied().unwrap_or(0);
    let s = digits.get(5).copied().unwrap_or(0);
    let date = Date::from_calendar_date(
        i32::try_from(*y).ok()?,
        Month::try_from(u8::try_from(*mo).ok()?).ok()?,
        u8::try_from(*d).ok()?,
    )
    .ok()?;
    let time = Time::from_hms(
        u8::try_from(h).ok()?,
        u8::try_from(mi).ok()?,
        u8::try_from(s).ok()?,
    )
    .ok()?;
    Some(PrimitiveDateTime::new(date, time).assume_utc())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn replay_dates_of_both_shapes_parse() {
        let t = parse_replay_date("2023-05-06 21-09-57").unwrap();
        assert_eq!(t.unix_timestamp(), 1_683_407_397);
        assert!(parse_replay_date("2016-02-01:12-30").is_some());
        assert!(parse_replay_date("garbage").is_none());
    }
}
