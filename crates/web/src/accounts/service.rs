//! The accounts' work, done once for the JSON API and the pages: sessions,
//! API tokens, player names, password changes and signing out everywhere.
//! Each function acts for the user it is given, whom the extractors already
//! identified (and, for writes, checked the CSRF token of).

use axum_extra::extract::cookie::Cookie;
use filmroom_store::{ApiToken, ApiTokenId, NewSession, User, UserId};

use super::auth::{self, API_TOKEN_PREFIX, SESSION_COOKIE};
use crate::app::AppState;
use crate::error::AppError;
use crate::owned::parse_id;

/// What "sign out everywhere" ended.
#[derive(Debug, Clone, Copy, serde::Serialize, utoipa::ToSchema)]
pub struct SignedOut {
    pub sessions_ended: u64,
    pub tokens_revoked: u64,
}

/// Ends every session of `user` and revokes every API token: what to do when
/// a password or a token may have leaked.
pub async fn sign_out_everywhere(state: &AppState, user: UserId) -> Result<SignedOut, AppError> {
    let tokens_revoked = state
        .store
        .revoke_user_api_tokens(user, state.clock.now())
        .await?;
    let sessions_ended = state.store.delete_user_sessions(user).await?;
    tracing::info!(user = %user, sessions_ended, tokens_revoked, "signed out everywhere");
    Ok(SignedOut {
        sessions_ended,
        tokens_revoked,
    })
}

/// Starts a session for `user`: the cookie to set.
pub async fn start_session(state: &AppState, user: &User) -> Result<Cookie<'static>, AppError> {
    let secret = auth::random_secret()?;
    let now = state.clock.now();
    let ttl = state.config.auth.session_ttl_hours.saturating_mul(3600);
    let ttl_i64 = i64::try_from(ttl).unwrap_or(i64::MAX);
    state
        .store
        .create_session(&NewSession {
            id_hash: auth::secret_hash(&secret),
            user_id: user.id,
            csrf_token: auth::random_secret()?,
            created_at: now,
            expires_at: now.saturating_add(time::Duration::seconds(ttl_i64)),
        })
        .await?;
    Ok(auth::cookie(
        SESSION_COOKIE,
        secret,
        ttl,
        state.config.auth.secure_cookies,
    ))
}

/// The cookie that deletes the session cookie.
pub fn end_session_cookie(state: &AppState) -> Cookie<'static> {
    auth::cookie(
        SESSION_COOKIE,
        String::new(),
        0,
        state.config.auth.secure_cookies,
    )
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

/// A new token named `raw_name` and its secret, shown this once.
pub async fn create_token(
    state: &AppState,
    user: UserId,
    raw_name: &str,
) -> Result<(ApiToken, String), AppError> {
    let name = parse_token_name(raw_name)?;
    let secret = format!("{API_TOKEN_PREFIX}{}", auth::random_secret()?);
    let token = state
        .store
        .create_api_token(user, &name, &auth::secret_hash(&secret), state.clock.now())
        .await?;
    Ok((token, secret))
}

pub async fn tokens(state: &AppState, user: UserId) -> Result<Vec<ApiToken>, AppError> {
    Ok(state.store.list_api_tokens(user).await?)
}

/// Revokes `user`'s token `raw_id`; another user's is not found, like one
/// that does not exist (the store scopes the write to its owner).
pub async fn revoke_token(state: &AppState, user: UserId, raw_id: &str) -> Result<(), AppError> {
    let id: ApiTokenId = parse_id(raw_id)?;
    state
        .store
        .revoke_api_token(user, id, state.clock.now())
        .await?;
    Ok(())
}

pub async fn player_names(state: &AppState, user: UserId) -> Result<Vec<String>, AppError> {
    Ok(state.store.player_names(user).await?)
}

/// In-game names or `platform:id`s, one a line (or comma separated).
fn parse_player_names(raw: &str) -> Result<Vec<String>, AppError> {
    let names: Vec<String> = raw
        .split(['\n', ','])
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .map(str::to_owned)
        .collect();
    if names.len() > 20 || names.iter().any(|n| n.chars().count() > 64) {
        return Err(AppError::bad_request(
            "invalid_player_names",
            "Give at most 20 names of at most 64 characters each.",
        ));
    }
    Ok(names)
}

pub async fn set_player_names(state: &AppState, user: UserId, raw: &str) -> Result<(), AppError> {
    let names = parse_player_names(raw)?;
    state
        .store
        .set_player_names(user, &names, state.clock.now())
        .await?;
    Ok(())
}

/// Why a password change was refused, for the form to say.
pub enum PasswordRefused {
    WrongCurrent,
    Weak(String),
}

/// Changes `user`'s password and ends their other sessions (a password is
/// changed when it may have leaked); `everywhere` also revokes every API
/// token. Gives the cookie of the caller's new session.
pub async fn change_password(
    state: &AppState,
    user: &User,
    current: &str,
    new: &str,
    everywhere: bool,
) -> Result<Result<Cookie<'static>, PasswordRefused>, AppError> {
    if !auth::verify_password(current.to_owned(), user.password_hash.clone()).await? {
        return Ok(Err(PasswordRefused::WrongCurrent));
    }
    if let Err(e) = auth::check_password_rules(new) {
        return Ok(Err(PasswordRefused::Weak(e.message)));
    }
    let hash = auth::hash_password(new.to_owned()).await?;
    state.store.set_password_hash(user.id, &hash).await?;
    if everywhere {
        sign_out_everywhere(state, user.id).await?;
    } else {
        state.store.delete_user_sessions(user.id).await?;
    }
    Ok(Ok(start_session(state, user).await?))
}
