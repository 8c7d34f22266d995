//! What the JSON API sends, and the games-list query both the page and the API
//! accept, parsed at the edge into the store's [`RecordingFilter`].

use filmroom_store::{
    ApiToken, JobState, OwnerOutcome, RecordingFilter, RecordingSort, RecordingSummary, UserId,
    UserJob,
};
use serde::{Deserialize, Serialize};
use time::{Date, Month, OffsetDateTime, PrimitiveDateTime, Time};

use crate::error::AppError;

/// A game as listed. Times are Unix seconds (UTC).
#[derive(Debug, Serialize)]
pub struct GameJson {
    pub id: String,
    pub filename: String,
    pub sha256: String,
    pub size_bytes: u64,
    pub uploaded_at: i64,
    /// `queued`, `running`, `done` or `dead`.
    pub state: Option<&'static str>,
    pub error: Option<String>,
    pub analyzed: bool,
    pub played_at: Option<i64>,
    pub map: Option<String>,
    pub playlist: Option<String>,
    pub team_size: Option<u32>,
    /// Goals, blue then orange.
    pub score: Option<[u32; 2]>,
    /// `win`, `loss` or `draw` from the caller's side (their stored
    /// outcome), when one of the players is them.
    pub result: Option<&'static str>,
}

impl From<&RecordingSummary> for GameJson {
    fn from(r: &RecordingSummary) -> Self {
        Self {
            id: r.id.to_string(),
            filename: r.original_filename.clone(),
            sha256: r.sha256.as_str().to_owned(),
            size_bytes: r.size,
            uploaded_at: r.uploaded_at.unix_timestamp(),
            state: r.job_state.map(|s| s.as_str()),
            error: r.last_error.clone(),
            analyzed: r.analyzed,
            played_at: r.played_at.map(OffsetDateTime::unix_timestamp),
            map: r.map.clone(),
            playlist: r.match_type.clone(),
            team_size: r.team_size,
            score: r.score,
            result: known(r.outcome),
        }
    }
}

#[derive(Debug, Serialize, PartialEq, Eq, Clone)]
pub struct JobJson {
    pub job_id: String,
    pub game_id: String,
    pub filename: String,
    pub state: &'static str,
    pub attempts: u32,
    pub error: Option<String>,
    pub uploaded_at: i64,
}

impl JobJson {
    /// The job as `owner` sees it: by the id they know it by (see
    /// [`filmroom_store::JobId::as_seen_by`]), never another owner's.
    pub fn seen_by(j: &UserJob, owner: UserId) -> Self {
        Self {
            job_id: j.job.id.as_seen_by(owner).to_string(),
            game_id: j.recording_id.to_string(),
            filename: j.original_filename.clone(),
            state: j.job.state.as_str(),
            attempts: j.job.attempts,
            error: match j.job.state {
                JobState::Done => None,
                _ => j.job.last_error.clone(),
            },
            uploaded_at: j.uploaded_at.unix_timestamp(),
        }
    }
}

#[derive(Debug, Serialize)]
pub struct TokenJson {
    pub id: String,
    pub name: String,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
}

impl From<&ApiToken> for TokenJson {
    fn from(t: &ApiToken) -> Self {
        Self {
            id: t.id.to_string(),
            name: t.name.clone(),
            created_at: t.created_at.unix_timestamp(),
            last_used_at: t.last_used_at.map(OffsetDateTime::unix_timestamp),
        }
    }
}

/// The games-list query string. Every field is optional and an empty value
/// means "any", so the page's filter form can submit blank selects.
#[derive(Debug, Default, Clone, Deserialize, Serialize)]
#[serde(default)]
pub struct GamesQuery {
    /// `played_at` (default), `uploaded_at`, `map`, `playlist`, `team_size`.
    pub sort: Option<String>,
    /// `desc` (default) or `asc`.
    pub order: Option<String>,
    /// Played on or after this day, `YYYY-MM-DD`.
    pub from: Option<String>,
    /// Played on or before this day, `YYYY-MM-DD`.
    pub to: Option<String>,
    pub playlist: Option<String>,
    pub map: Option<String>,
    pub team_size: Option<String>,
    /// `win`, `loss`, `draw` or `unknown`.
    pub result: Option<String>,
    pub limit: Option<String>,
    pub offset: Option<String>,
}

/// The stored outcome as the games list shows it: unknown is no result.
pub fn known(outcome: OwnerOutcome) -> Option<&'static str> {
    match outcome {
        OwnerOutcome::Unknown => None,
        known => Some(known.as_str()),
    }
}

/// An outcome filter, as both lists take it.
pub(crate) fn parse_outcome(raw: &str, field: &str) -> Result<OwnerOutcome, AppError> {
    OwnerOutcome::parse(raw).ok_or_else(|| invalid(field, "win, loss, draw or unknown"))
}

pub(crate) fn given(value: &Option<String>) -> Option<&str> {
    value.as_deref().map(str::trim).filter(|v| !v.is_empty())
}

pub(crate) fn invalid(field: &str, expected: &str) -> AppError {
    AppError::bad_request(
        "invalid_query",
        format!("The {field} filter must be {expected}."),
    )
}

pub(crate) fn parse_day(raw: &str, field: &str) -> Result<Date, AppError> {
    let parts: Vec<&str> = raw.split('-').collect();
    let [y, m, d] = parts.as_slice() else {
        return Err(invalid(field, "a date like 2024-01-31"));
    };
    let year = y.parse::<i32>().ok();
    let month = m.parse::<u8>().ok().and_then(|m| Month::try_from(m).ok());
    let day = d.parse::<u8>().ok();
    match (year, month, day) {
        (Some(y), Some(m), Some(d)) => {
            Date::from_calendar_date(y, m, d).map_err(|_| invalid(field, "a real date"))
        }
        _ => Err(invalid(field, "a date like 2024-01-31")),
    }
}

impl GamesQuery {
    pub fn to_filter(&self) -> Result<RecordingFilter, AppError> {
        let mut filter = RecordingFilter::default();
        if let Some(sort) = given(&self.sort) {
            filter.sort = match sort {
                "played_at" | "date" => RecordingSort::PlayedAt,
                "uploaded_at" => RecordingSort::UploadedAt,
                "map" => RecordingSort::Map,
                "playlist" => RecordingSort::MatchType,
                "team_size" => RecordingSort::TeamSize,
                _ => {
                    return Err(invalid(
                        "sort",
                        "one of played_at, uploaded_at, map, playlist, team_size",
                    ));
                }
            };
        }
        if let Some(order) = given(&self.order) {
            filter.descending = match order {
                "desc" => true,
                "asc" => false,
                _ => return Err(invalid("order", "asc or desc")),
            };
        }
        if let Some(from) = given(&self.from) {
            let day = parse_day(from, "from")?;
            filter.played_from = Some(PrimitiveDateTime::new(day, Time::MIDNIGHT).assume_utc());
        }
        if let Some(to) = given(&self.to) {
            let day = parse_day(to, "to")?;
            let next = day.next_day().ok_or_else(|| invalid("to", "a real date"))?;
            filter.played_to = Some(PrimitiveDateTime::new(next, Time::MIDNIGHT).assume_utc());
        }
        filter.match_type = given(&self.playlist).map(str::to_owned);
        filter.map = given(&self.map).map(str::to_owned);
        if let Some(size) = given(&self.team_size) {
            let size = size
                .parse::<u32>()
                .ok()
                .filter(|n| (1..=8).contains(n))
                .ok_or_else(|| invalid("team_size", "a number from 1 to 8"))?;
            filter.team_size = Some(size);
        }
        if let Some(result) = given(&self.result) {
            filter.result = Some(parse_outcome(result, "result")?);
        }
        if let Some(limit) = given(&self.limit) {
            filter.limit = limit
                .parse::<u32>()
                .ok()
                .filter(|n| (1..=500).contains(n))
                .ok_or_else(|| invalid("limit", "a number from 1 to 500"))?;
        }
        if let Some(offset) = given(&self.offset) {
            filter.offset = offset
                .parse::<u32>()
                .map_err(|_| invalid("offset", "a whole number"))?;
        }
        Ok(filter)
    }
}
