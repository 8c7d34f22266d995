//! The recordings' JSON API. For every kind, read from the neutral tables:
//! `GET /api/v1/recordings` (filters and sort in SQL over stored facts,
//! facets and outcomes), `GET /api/v1/recordings/{id}` (facts, participants,
//! metrics, events, passages) and `GET /api/v1/recordings/{id}/report` (the
//! domain's full report); the Rocket League games list and detail
//! (`/api/v1/games`), the upload jobs and their event stream. Nothing here
//! knows a domain's types; the work is in [`super::service`], shared with
//! the pages, and another user's ids answer 404 like ids that do not exist.

use std::collections::BTreeMap;
use std::convert::Infallible;

use axum::Json;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::sse::{Event, KeepAlive, Sse};
use filmroom_store::{
    OwnerOutcome, RecordingCursor, RecordingListItem, RecordingOrder, RecordingQuery,
    RecordingSummary,
};
use futures_util::Stream;
use serde::Serialize;
use time::{PrimitiveDateTime, Time};

use super::service;
use crate::app::AppState;
use crate::auth::ApiUser;
use crate::dto::{GameJson, GamesQuery, JobJson, end_of_day, invalid, parse_day, parse_outcome};
use crate::error::AppError;
use crate::owned::Owned;

/// Query keys besides the `facet.NAME=VALUE` filters.
const KEYS: [&str; 9] = [
    "kind", "outcome", "from", "to", "sort", "order", "limit", "offset", "cursor",
];

/// Longest facet name or value accepted in a filter.
const MAX_FILTER_CHARS: usize = 200;

/// Parses the list's query string. Empty values mean "any" (a form's blank
/// select); unknown keys are refused, so a typo never silently lists all.
pub fn parse_query(params: &BTreeMap<String, String>) -> Result<RecordingQuery, AppError> {
    let mut query = RecordingQuery::default();
    for (key, value) in params {
        let value = value.trim();
        if value.is_empty() {
            continue;
        }
        if let Some(facet) = key.strip_prefix("facet.") {
            if facet.is_empty()
                || facet.len() > MAX_FILTER_CHARS
                || value.chars().count() > MAX_FILTER_CHARS
            {
                return Err(invalid(
                    key,
                    "a facet name and a value of at most 200 characters",
                ));
            }
            query.facets.push((facet.to_owned(), value.to_owned()));
            continue;
        }
        match key.as_str() {
            "kind" => query.kind = Some(value.to_owned()),
            "outcome" => query.outcome = Some(parse_outcome(value, "outcome")?),
            "from" => {
                let day = parse_day(value, "from")?;
                query.occurred_from =
                    Some(PrimitiveDateTime::new(day, Time::MIDNIGHT).assume_utc());
            }
            "to" => {
                query.occurred_to = end_of_day(parse_day(value, "to")?);
            }
            "sort" => {
                query.sort = match value {
                    "occurred_at" => RecordingOrder::OccurredAt,
                    "uploaded_at" => RecordingOrder::UploadedAt,
                    "duration" => RecordingOrder::Duration,
                    "title" => RecordingOrder::Title,
                    _ => {
                        return Err(invalid(
                            "sort",
                            "one of occurred_at, uploaded_at, duration, title",
                        ));
                    }
                }
            }
            "order" => {
                query.descending = match value {
                    "desc" => true,
                    "asc" => false,
                    _ => return Err(invalid("order", "asc or desc")),
                }
            }
            "limit" => {
                query.limit = value
                    .parse::<u32>()
                    .ok()
                    .filter(|n| (1..=500).contains(n))
                    .ok_or_else(|| invalid("limit", "a number from 1 to 500"))?
            }
            "offset" => {
                query.offset = value
                    .parse::<u32>()
                    .map_err(|_| invalid("offset", "a whole number"))?
            }
            "cursor" => {
                query.cursor = Some(
                    RecordingCursor::parse(value)
                        .ok_or_else(|| invalid("cursor", "a next_cursor from an earlier page"))?,
                )
            }
            other => {
                return Err(AppError::bad_request(
                    "invalid_query",
                    format!(
                        "Unknown query parameter {other:?}: use {} or facet.NAME.",
                        KEYS.join(", ")
                    ),
                ));
            }
        }
    }
    // A `to` before `from` is a valid query that matches nothing (as on the
    // games list), not an error: both are dates the document allows.
    if query.cursor.is_some() && query.offset > 0 {
        return Err(AppError::bad_request(
            "invalid_query",
            "Give a cursor or an offset, not both.",
        ));
    }
    Ok(query)
}

/// A recording as listed.
#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = RecordingItem)]
pub struct RecordingItemJson {
    pub id: String,
    pub kind: String,
    /// `queued`, `running`, `done` or `dead`: the upload's analysis.
    #[schema(schema_with = crate::openapi::job_state_or_null)]
    pub state: Option<&'static str>,
    pub error: Option<String>,
    pub title: Option<String>,
    /// Unix seconds.
    pub occurred_at: Option<i64>,
    pub duration_s: Option<f64>,
    pub filename: String,
    pub size_bytes: u64,
    pub uploaded_at: i64,
    pub facets: BTreeMap<String, String>,
    /// The caller's participant key, when one of their identity links matches.
    pub me: Option<String>,
    #[schema(schema_with = crate::openapi::owner_outcome)]
    pub outcome: &'static str,
    /// The analysis revision of the stored rows; `null` until analysed.
    pub revision: Option<u32>,
    pub degraded: Option<filmroom_domain::Degraded>,
}

impl From<&RecordingListItem> for RecordingItemJson {
    fn from(item: &RecordingListItem) -> Self {
        Self {
            id: item.id.to_string(),
            kind: item.kind.clone(),
            state: item.job_state.map(|s| s.as_str()),
            error: item.last_error.clone(),
            title: item.title.clone(),
            occurred_at: item.occurred_at.map(|t| t.unix_timestamp()),
            duration_s: item.duration_s,
            filename: item.original_filename.clone(),
            size_bytes: item.size,
            uploaded_at: item.uploaded_at.unix_timestamp(),
            facets: item.facets.clone(),
            me: item.me.clone(),
            outcome: item.outcome.as_str(),
            revision: item.revision,
            degraded: item.degraded.clone(),
        }
    }
}

/// One page of the caller's recordings.
#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = RecordingList)]
pub struct RecordingsJson {
    pub recordings: Vec<RecordingItemJson>,
    /// Recordings matching the filters, whatever the limit and offset.
    pub total: u64,
    pub limit: u32,
    pub offset: u32,
    /// Pass as `cursor=` (with the same filters, sort and order) for the
    /// next page; `null` on the last page. Cheaper than a large offset.
    pub next_cursor: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/recordings", tag = "recordings",
    summary = "The caller's recordings of every kind, filtered and sorted over stored facts",
    description = "Every parameter is optional, and an empty value means any. Unknown parameters are refused.",
    params(crate::openapi::RecordingsParams),
    responses(
        (status = 200, body = RecordingsJson),
        (status = 400, description = "A filter is not valid (`invalid_query`)", body = crate::error::Body),
    ))]
pub async fn list(
    State(state): State<AppState>,
    ApiUser(identity): ApiUser,
    Query(params): Query<BTreeMap<String, String>>,
) -> Result<Json<RecordingsJson>, AppError> {
    let query = parse_query(&params)?;
    let page = service::recordings(&state, identity.user.id, &query).await?;
    Ok(Json(RecordingsJson {
        recordings: page.items.iter().map(RecordingItemJson::from).collect(),
        total: page.total,
        limit: query.limit,
        offset: query.offset,
        next_cursor: page.next.map(|c| c.to_string()),
    }))
}

/// One recording with its neutral analysis. Until it is analysed `facts`
/// and `revision` are `null` and the lists are empty.
#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = RecordingDetail)]
pub struct RecordingDetailJson {
    pub id: String,
    pub kind: String,
    #[schema(schema_with = crate::openapi::job_state_or_null)]
    pub state: Option<&'static str>,
    pub error: Option<String>,
    pub filename: String,
    pub uploaded_at: i64,
    pub facts: Option<filmroom_domain::Facts>,
    pub sides: Vec<filmroom_domain::Side>,
    pub participants: Vec<filmroom_domain::Participant>,
    pub metrics: Vec<filmroom_domain::Metric>,
    pub events: Vec<filmroom_domain::Event>,
    pub passages: Vec<filmroom_domain::Passage>,
    pub revision: Option<u32>,
    pub degraded: Option<filmroom_domain::Degraded>,
    /// The caller's participant key, when one of their identity links matches.
    pub me: Option<String>,
    /// `win`, `loss`, `draw` or `unknown`, from the caller's participant.
    #[schema(schema_with = crate::openapi::owner_outcome)]
    pub outcome: &'static str,
}

#[utoipa::path(get, path = "/api/v1/recordings/{id}", tag = "recordings",
    summary = "One recording with its neutral analysis",
    params(crate::openapi::IdParam),
    responses(
        (status = 200, body = RecordingDetailJson),
        (status = 404, description = "No such recording of the caller's", body = crate::error::Body),
    ))]
pub async fn detail(
    State(state): State<AppState>,
    ApiUser(identity): ApiUser,
    Owned(recording): Owned<RecordingSummary>,
) -> Result<Json<RecordingDetailJson>, AppError> {
    let analysis = service::stored_analysis(&state, identity.user.id, &recording).await?;
    let mut detail = RecordingDetailJson {
        id: recording.id.to_string(),
        kind: recording.kind.as_str().to_owned(),
        state: recording.job_state.map(|s| s.as_str()),
        error: recording.last_error,
        filename: recording.original_filename,
        uploaded_at: recording.uploaded_at.unix_timestamp(),
        facts: None,
        sides: Vec::new(),
        participants: Vec::new(),
        metrics: Vec::new(),
        events: Vec::new(),
        passages: Vec::new(),
        revision: None,
        degraded: None,
        me: None,
        outcome: OwnerOutcome::Unknown.as_str(),
    };
    if let Some(a) = analysis {
        detail.facts = Some(a.facts);
        detail.sides = a.sides;
        detail.participants = a.participants;
        detail.metrics = a.metrics;
        detail.events = a.events;
        detail.passages = a.passages;
        detail.revision = Some(a.revision);
        detail.degraded = a.degraded;
        detail.me = a.me;
        detail.outcome = a.outcome.as_str();
    }
    Ok(Json(detail))
}

/// The domain's full report (for Rocket League, the schema in
/// docs/report.md), as the domain wrote it.
#[utoipa::path(get, path = "/api/v1/recordings/{id}/report", tag = "recordings",
    summary = "The domain's full report of a recording",
    params(crate::openapi::IdParam),
    responses(
        (status = 200, description = "The report as the domain wrote it (for rl_replay, docs/report.md)",
            body = Object),
        (status = 404, description = "No such recording of the caller's", body = crate::error::Body),
        (status = 409, description = "Not analysed yet (`not_analysed`)", body = crate::error::Body),
    ))]
pub async fn report(
    State(state): State<AppState>,
    ApiUser(identity): ApiUser,
    Owned(recording): Owned<RecordingSummary>,
) -> Result<axum::response::Response, AppError> {
    use axum::response::IntoResponse;
    let Some(report) = service::report(&state, identity.user.id, &recording).await? else {
        return Err(AppError::new(
            StatusCode::CONFLICT,
            "not_analysed",
            "This recording has not been analysed yet: its report comes when the analysis ends.",
        ));
    };
    // Stored as JSON text: served as it is, never parsed and re-encoded.
    Ok((
        [(axum::http::header::CONTENT_TYPE, "application/json")],
        report,
    )
        .into_response())
}

/// One page of the caller's games.
#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = Games)]
pub struct GamesJson {
    pub games: Vec<GameJson>,
    /// Games matching the filters, whatever the limit and offset.
    pub total: u64,
    pub limit: u32,
    pub offset: u32,
}

#[utoipa::path(get, path = "/api/v1/games", tag = "games",
    summary = "The caller's Rocket League games, filtered and sorted",
    description = "Every parameter is optional, and an empty value means any (a form's blank select).",
    params(GamesQuery),
    responses(
        (status = 200, body = GamesJson),
        (status = 400, description = "A filter is not valid (`invalid_query`)", body = crate::error::Body),
    ))]
pub async fn games(
    State(state): State<AppState>,
    ApiUser(identity): ApiUser,
    query: Result<Query<GamesQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<GamesJson>, AppError> {
    // A query that does not even deserialize (a filter given twice) gets the
    // API's JSON error like any other bad filter, not axum's plain text.
    let Query(query) = query.map_err(|e| AppError::bad_request("invalid_query", e.body_text()))?;
    let games = service::games(&state, identity.user.id, &query).await?;
    Ok(Json(GamesJson {
        games: games.rows.iter().map(GameJson::from).collect(),
        total: games.total,
        limit: games.filter.limit,
        offset: games.filter.offset,
    }))
}

/// One game with its full report.
#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = GameDetail)]
pub struct GameDetailJson {
    pub game: GameJson,
    /// The full report (schema in docs/report.md), once analysed.
    pub analysis: Option<serde_json::Value>,
}

#[utoipa::path(get, path = "/api/v1/games/{id}", tag = "games",
    summary = "One game with its analysis",
    params(crate::openapi::IdParam),
    responses(
        (status = 200, body = GameDetailJson),
        (status = 404, description = "No such game of the caller's", body = crate::error::Body),
    ))]
pub async fn game(
    State(state): State<AppState>,
    ApiUser(identity): ApiUser,
    Owned(game): Owned<RecordingSummary>,
) -> Result<Json<GameDetailJson>, AppError> {
    let analysis = service::report(&state, identity.user.id, &game).await?;
    Ok(Json(GameDetailJson {
        game: GameJson::from(&game),
        analysis: match analysis {
            Some(text) => Some(serde_json::from_str(&text).map_err(AppError::internal)?),
            None => None,
        },
    }))
}

/// The caller's analysis jobs.
#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = Jobs)]
pub struct UploadsJson {
    pub jobs: Vec<JobJson>,
}

#[utoipa::path(get, path = "/api/v1/uploads", tag = "recordings",
    summary = "The caller's analysis jobs, newest upload first",
    responses((status = 200, body = UploadsJson)))]
pub async fn uploads(
    State(state): State<AppState>,
    ApiUser(identity): ApiUser,
) -> Result<Json<UploadsJson>, AppError> {
    let jobs = service::recent_jobs(&state, identity.user.id).await?;
    Ok(Json(UploadsJson {
        jobs: jobs
            .iter()
            .map(|j| JobJson::seen_by(j, identity.user.id))
            .collect(),
    }))
}

/// Server-sent events: one `job` event per job of the caller whenever its
/// state changes (all of them first), from the shared job feed.
#[utoipa::path(get, path = "/api/v1/events", tag = "recordings",
    summary = "Server-sent events: a `job` event whenever one of the caller's jobs changes state",
    description = "The stream starts with the caller's recent jobs, then sends each change; it stays open.",
    responses(
        (status = 200, description = "An endless event stream; each event's `data` is JSON",
            content(("text/event-stream", item_schema = crate::openapi::JobEvent))),
        (status = 429, description = "The caller already holds the most open event streams allowed (`too_many_streams`)",
            body = crate::error::Body, headers(("Retry-After" = u64, description = "Seconds to wait"))),
    ))]
pub async fn events(
    State(state): State<AppState>,
    ApiUser(identity): ApiUser,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, AppError> {
    let changes = state
        .job_feed
        .open_stream(identity.user.id, state.shutdown.clone())
        .await?;
    Ok(Sse::new(changes).keep_alive(KeepAlive::default()))
}
