//! The JSON API under `/api/v1`: the same data the pages show. Another user's
//! ids answer 404, exactly like ids that do not exist.

use std::convert::Infallible;

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::sse::{Event, KeepAlive, Sse};
use filmroom_store::{ApiTokenId, RecordingId, RecordingSummary, UserId};
use futures_util::Stream;
use serde::{Deserialize, Serialize};

use crate::app::AppState;
use crate::auth::{self, ApiUser};
use crate::csrf::ApiWrite;
use crate::dto::{GameJson, GamesQuery, JobJson, TokenJson};
use crate::error::AppError;
use crate::owned::Owned;

/// The caller.
#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = Me)]
pub struct MeJson {
    pub id: String,
    pub username: String,
    pub is_admin: bool,
    /// The in-game names that are this user, for win/loss.
    pub player_names: Vec<String>,
}

#[utoipa::path(get, path = "/api/v1/me", tag = "accounts", summary = "The caller",
    responses((status = 200, body = MeJson)))]
pub async fn me(
    State(state): State<AppState>,
    ApiUser(identity): ApiUser,
) -> Result<Json<MeJson>, AppError> {
    Ok(Json(MeJson {
        id: identity.user.id.to_string(),
        username: identity.user.username.to_string(),
        is_admin: identity.user.is_admin,
        player_names: state.store.player_names(identity.user.id).await?,
    }))
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
    let filter = query.to_filter()?;
    let rows = state
        .store
        .list_recordings(identity.user.id, &filter)
        .await?;
    let total = state
        .store
        .count_recordings(identity.user.id, &filter)
        .await?;
    Ok(Json(GamesJson {
        games: rows.iter().map(GameJson::from).collect(),
        total,
        limit: filter.limit,
        offset: filter.offset,
    }))
}

pub use crate::owned::parse_id;

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
    let analysis = state
        .store
        .analysis_for_owner(identity.user.id, game.id)
        .await?;
    Ok(Json(GameDetailJson {
        game: GameJson::from(&game),
        analysis: match analysis {
            Some(text) => Some(serde_json::from_str(&text).map_err(AppError::internal)?),
            None => None,
        },
    }))
}

pub async fn load_game(
    state: &AppState,
    owner: UserId,
    raw_id: &str,
) -> Result<(filmroom_store::RecordingSummary, Option<String>), AppError> {
    let id: RecordingId = parse_id(raw_id)?;
    let game = state
        .store
        .recording_for_owner(owner, id)
        .await?
        .ok_or_else(AppError::not_found)?;
    let analysis = state.store.analysis_for_owner(owner, id).await?;
    Ok((game, analysis))
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
    let jobs = state.store.jobs_for_user(identity.user.id, 200).await?;
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

/// The caller's live API tokens.
#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = Tokens)]
pub struct TokensJson {
    pub tokens: Vec<TokenJson>,
}

#[utoipa::path(get, path = "/api/v1/tokens", tag = "accounts",
    summary = "The caller's live API tokens",
    responses((status = 200, body = TokensJson)))]
pub async fn tokens(
    State(state): State<AppState>,
    ApiUser(identity): ApiUser,
) -> Result<Json<TokensJson>, AppError> {
    let tokens = state.store.list_api_tokens(identity.user.id).await?;
    Ok(Json(TokensJson {
        tokens: tokens.iter().map(TokenJson::from).collect(),
    }))
}

/// A token to create.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = NewToken)]
pub struct NewTokenJson {
    /// 1 to 64 characters once trimmed.
    #[schema(schema_with = crate::openapi::token_name)]
    pub name: String,
}

/// A new API token with its secret.
#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = CreatedToken)]
pub struct CreatedTokenJson {
    #[serde(flatten)]
    pub token: TokenJson,
    /// The secret: shown this once, stored only as its hash.
    pub secret: String,
}

/// A token's name as given: trimmed, 1 to 64 characters.
pub fn parse_token_name(raw: &str) -> Result<String, AppError> {
    let name = raw.trim();
    if name.is_empty() || name.chars().count() > 64 {
        return Err(AppError::bad_request(
            "invalid_token_name",
            "A token name needs 1 to 64 characters.",
        ));
    }
    Ok(name.to_owned())
}

pub async fn issue_token(
    state: &AppState,
    user: UserId,
    name: &str,
) -> Result<CreatedTokenJson, AppError> {
    let secret = format!("{}{}", auth::API_TOKEN_PREFIX, auth::random_secret()?);
    let token = state
        .store
        .create_api_token(user, name, &auth::secret_hash(&secret), state.clock.now())
        .await?;
    Ok(CreatedTokenJson {
        token: TokenJson::from(&token),
        secret,
    })
}

#[utoipa::path(post, path = "/api/v1/tokens", tag = "accounts",
    summary = "Create an API token; the secret is returned once",
    request_body = NewTokenJson,
    responses(
        (status = 201, body = CreatedTokenJson),
        (status = 400, description = "The body or the name is not valid", body = crate::error::Body),
    ))]
pub async fn create_token(
    State(state): State<AppState>,
    ApiWrite(identity): ApiWrite,
    body: Result<Json<NewTokenJson>, axum::extract::rejection::JsonRejection>,
) -> Result<(StatusCode, Json<CreatedTokenJson>), AppError> {
    let Json(body) = body.map_err(AppError::from_json_rejection)?;
    let name = parse_token_name(&body.name)?;
    let created = issue_token(&state, identity.user.id, &name).await?;
    Ok((StatusCode::CREATED, Json(created)))
}

/// Ends every session of the caller and revokes every API token, the one
/// making this call included.
#[utoipa::path(post, path = "/api/v1/sign-out-everywhere", tag = "accounts",
    summary = "End every session of the caller and revoke every API token, the calling one included",
    responses((status = 200, body = auth::SignedOut)))]
pub async fn sign_out_everywhere(
    State(state): State<AppState>,
    ApiWrite(identity): ApiWrite,
) -> Result<Json<auth::SignedOut>, AppError> {
    Ok(Json(
        auth::sign_out_everywhere(&state, identity.user.id).await?,
    ))
}

#[utoipa::path(delete, path = "/api/v1/tokens/{id}", tag = "accounts",
    summary = "Revoke an API token",
    params(crate::openapi::IdParam),
    responses(
        (status = 204, description = "Revoked"),
        (status = 404, description = "No such token of the caller's", body = crate::error::Body),
    ))]
pub async fn revoke_token(
    State(state): State<AppState>,
    ApiWrite(identity): ApiWrite,
    Path(id): Path<String>,
) -> Result<StatusCode, AppError> {
    let id: ApiTokenId = parse_id(&id)?;
    state
        .store
        .revoke_api_token(identity.user.id, id, state.clock.now())
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
