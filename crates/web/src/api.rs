//! The JSON API under `/api/v1`: the same data the pages show. Another user's
//! ids answer 404, exactly like ids that do not exist.

use std::convert::Infallible;
use std::str::FromStr;

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::sse::{Event, KeepAlive, Sse};
use filmroom_store::{ApiTokenId, RecordingId, UserId};
use futures_util::Stream;
use serde::{Deserialize, Serialize};

use crate::app::AppState;
use crate::auth::{self, ApiUser};
use crate::dto::{GameJson, GamesQuery, JobJson, TokenJson};
use crate::error::AppError;

#[derive(Serialize)]
pub struct MeJson {
    pub id: String,
    pub username: String,
    pub is_admin: bool,
    /// The in-game names that are this user, for win/loss.
    pub player_names: Vec<String>,
}

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

#[derive(Serialize)]
pub struct GamesJson {
    pub games: Vec<GameJson>,
    /// Games matching the filters, whatever the limit and offset.
    pub total: u64,
    pub limit: u32,
    pub offset: u32,
}

pub async fn games(
    State(state): State<AppState>,
    ApiUser(identity): ApiUser,
    Query(query): Query<GamesQuery>,
) -> Result<Json<GamesJson>, AppError> {
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

/// Ids come from the URL: anything that does not parse is simply not found.
pub fn parse_id<T: FromStr>(raw: &str) -> Result<T, AppError> {
    raw.parse().map_err(|_| AppError::not_found())
}

#[derive(Serialize)]
pub struct GameDetailJson {
    pub game: GameJson,
    /// The full report (schema in docs/report.md), once analysed.
    pub analysis: Option<serde_json::Value>,
}

pub async fn game(
    State(state): State<AppState>,
    ApiUser(identity): ApiUser,
    Path(id): Path<String>,
) -> Result<Json<GameDetailJson>, AppError> {
    let (game, analysis) = load_game(&state, identity.user.id, &id).await?;
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

#[derive(Serialize)]
pub struct UploadsJson {
    pub jobs: Vec<JobJson>,
}

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

#[derive(Serialize)]
pub struct TokensJson {
    pub tokens: Vec<TokenJson>,
}

pub async fn tokens(
    State(state): State<AppState>,
    ApiUser(identity): ApiUser,
) -> Result<Json<TokensJson>, AppError> {
    let tokens = state.store.list_api_tokens(identity.user.id).await?;
    Ok(Json(TokensJson {
        tokens: tokens.iter().map(TokenJson::from).collect(),
    }))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewTokenJson {
    pub name: String,
}

#[derive(Serialize)]
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

pub async fn create_token(
    State(state): State<AppState>,
    ApiUser(identity): ApiUser,
    headers: HeaderMap,
    body: Result<Json<NewTokenJson>, axum::extract::rejection::JsonRejection>,
) -> Result<(StatusCode, Json<CreatedTokenJson>), AppError> {
    identity.check_csrf_header(&headers)?;
    let Json(body) = body.map_err(AppError::from_json_rejection)?;
    let name = parse_token_name(&body.name)?;
    let created = issue_token(&state, identity.user.id, &name).await?;
    Ok((StatusCode::CREATED, Json(created)))
}

/// Ends every session of the caller and revokes every API token, the one
/// making this call included.
pub async fn sign_out_everywhere(
    State(state): State<AppState>,
    ApiUser(identity): ApiUser,
    headers: HeaderMap,
) -> Result<Json<auth::SignedOut>, AppError> {
    identity.check_csrf_header(&headers)?;
    Ok(Json(
        auth::sign_out_everywhere(&state, identity.user.id).await?,
    ))
}

pub async fn revoke_token(
    State(state): State<AppState>,
    ApiUser(identity): ApiUser,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<StatusCode, AppError> {
    identity.check_csrf_header(&headers)?;
    let id: ApiTokenId = parse_id(&id)?;
    state
        .store
        .revoke_api_token(identity.user.id, id, state.clock.now())
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
