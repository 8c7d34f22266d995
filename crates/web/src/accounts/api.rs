//! The accounts' JSON API: the caller, their API tokens and signing out
//! everywhere. The work is in [`super::service`], shared with the pages.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};

use super::auth::ApiUser;
use super::csrf::ApiWrite;
use super::service::{self, SignedOut};
use crate::app::AppState;
use crate::dto::TokenJson;
use crate::error::AppError;

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
        player_names: service::player_names(&state, identity.user.id).await?,
    }))
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
    let tokens = service::tokens(&state, identity.user.id).await?;
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
    let (token, secret) = service::create_token(&state, identity.user.id, &body.name).await?;
    Ok((
        StatusCode::CREATED,
        Json(CreatedTokenJson {
            token: TokenJson::from(&token),
            secret,
        }),
    ))
}

/// Ends every session of the caller and revokes every API token, the one
/// making this call included.
#[utoipa::path(post, path = "/api/v1/sign-out-everywhere", tag = "accounts",
    summary = "End every session of the caller and revoke every API token, the calling one included",
    responses((status = 200, body = SignedOut)))]
pub async fn sign_out_everywhere(
    State(state): State<AppState>,
    ApiWrite(identity): ApiWrite,
) -> Result<Json<SignedOut>, AppError> {
    Ok(Json(
        service::sign_out_everywhere(&state, identity.user.id).await?,
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
    service::revoke_token(&state, identity.user.id, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}
