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
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[schema(as = Game)]
pub struct GameJson {
    pub id: String,
    pub filename: String,
    pub sha256: String,
    pub size_bytes: u64,
    pub uploaded_at: i64,
    /// `queued`, `running`, `done` or `dead`.
    #[schema(schema_with = crate::openapi::job_state_or_null)]
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
    #[schema(schema_with = crate::openapi::game_result_or_null)]
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

/// An analysis job of one of the caller's uploads.
#[derive(Debug, Serialize, PartialEq, Eq, Clone, utoipa::ToSchema)]
#[schema(as = Job)]
pub struct JobJson {
    pub job_id: String,
    pub game_id: String,
    pub filename: String,
    #[schema(schema_with = crate::openapi::job_state)]
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

/// A personal API token (never its secret).
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[schema(as = Token)]
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
#[derive(Debug, Default, Clone, Deserialize, Serialize, utoipa::IntoParams)]
#[serde(default)]
#[into_params(parameter_in = Query)]
pub struct GamesQuery {
    /// `played_at` (default), `uploaded_at`, `map`, `playlist`, `team_size`.
    #[param(schema_with = crate::openapi::games_sort)]
    pub sort: Option<String>,
    /// `desc` (default) or `asc`.
    #[param(schema_with = crate::openapi::order)]
    pub order: Option<String>,
    /// Played on or after this day, `YYYY-MM-DD`.
    #[param(schema_with = crate::openapi::day)]
    pub from: Option<String>,
    /// Played on or before this day, `YYYY-MM-DD`.
    #[param(schema_with = crate::openapi::day)]
    pub to: Option<String>,
    /// Match type, e.g. `Online`, `Private`.
    pub playlist: Option<String>,
    /// Map code, e.g. `Stadium_P`.
    pub map: Option<String>,
    /// Players per team, 1 to 8.
    #[param(schema_with = crate::openapi::team_size)]
    pub team_size: Option<String>,
    /// `win`, `loss`, `draw` or `unknown`.
    #[param(schema_with = crate::openapi::games_result)]
    pub result: Option<String>,
    /// Games per page, 1 to 500 (default 50).
    #[param(schema_with = crate::openapi::page_limit)]
    pub limit: Option<String>,
    /// Games to skip.
    #[param(schema_with = crate::openapi::page_offset)]
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

/// A day as `YYYY-MM-DD`, exactly (RFC 3339's full-date): no sign, no
/// missing or extra digits, so what the OpenAPI document calls a date is
/// what is accepted.
pub(crate) fn parse_day(raw: &str, field: &str) -> Result<Date, AppError> {
    let shape_ok = raw.len() == 10
        && raw.bytes().enumerate().all(|(i, b)| match i {
            4 | 7 => b == b'-',
            _ => b.is_ascii_digit(),
        });
    if !shape_ok {
        return Err(invalid(field, "a date like 2024-01-31"));
    }
    let number = |range: std::ops::Range<usize>| raw.get(range).and_then(|n| n.parse::<u16>().ok());
    let year = number(0..4).map(i32::from);
    let month = number(5..7)
        .and_then(|m| u8::try_from(m).ok())
        .and_then(|m| Month::try_from(m).ok());
    let day = number(8..10).and_then(|d| u8::try_from(d).ok());
    match (year, month, day) {
        (Some(y), Some(m), Some(d)) => {
            Date::from_calendar_date(y, m, d).map_err(|_| invalid(field, "a real date"))
        }
        _ => Err(invalid(field, "a real date")),
    }
}

/// The end of a `to` day: the next midnight, or no bound after the last
/// day there is.
pub(crate) fn end_of_day(day: Date) -> Option<OffsetDateTime> {
    day.next_day()
        .map(|next| PrimitiveDateTime::new(next, Time::MIDNIGHT).assume_utc())
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
            filter.played_to = end_of_day(parse_day(to, "to")?);
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
