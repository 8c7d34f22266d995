//! Accounts on the web: password hashing (argon2id) and the password rules,
//! session cookies whose secret is stored only as its SHA-256, CSRF tokens,
//! personal API tokens. The extractors here decide who is asking; handlers
//! only ever see an [`Identity`]. The CSRF checks are in [`super::csrf`], the
//! login and sign-up limits in [`super::throttle`].

use std::collections::HashSet;
use std::sync::OnceLock;

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use axum::extract::FromRequestParts;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};
use filmroom_store::{Sha256Hex, User};

use crate::app::AppState;
use crate::error::AppError;

pub const SESSION_COOKIE: &str = "filmroom_session";
/// Double-submit cookie protecting the forms used before a session exists.
pub const PRE_SESSION_CSRF_COOKIE: &str = "filmroom_csrf";
pub const CSRF_HEADER: &str = "x-csrf-token";
/// API tokens start with this so they are recognisable in a leaked log or a repo.
pub const API_TOKEN_PREFIX: &str = "frt_";

/// 32 random bytes as lower-case hex.
pub fn random_secret() -> anyhow::Result<String> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| anyhow::anyhow!("Failed to read random bytes: {e}"))?;
    Ok(hex(&bytes))
}

pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 0xf)]));
    }
    out
}

/// What the database keeps of a secret (session id or API token).
pub fn secret_hash(secret: &str) -> Sha256Hex {
    Sha256Hex::digest(secret.as_bytes())
}

/// Compares without an early exit, so timing does not reveal a prefix.
pub fn constant_time_eq(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// An argon2id PHC string. Runs on the blocking pool: hashing is deliberately slow.
pub async fn hash_password(password: String) -> anyhow::Result<String> {
    tokio::task::spawn_blocking(move || {
        let mut salt = [0u8; 16];
        getrandom::fill(&mut salt)
            .map_err(|e| anyhow::anyhow!("Failed to read random bytes: {e}"))?;
        let salt = SaltString::encode_b64(&salt)
            .map_err(|e| anyhow::anyhow!("Failed to encode salt: {e}"))?;
        Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| anyhow::anyhow!("Failed to hash password: {e}"))
    })
    .await?
}

/// Spends the time of one verification without an account, so a login for a
/// username that does not exist takes as long as one with a wrong password.
pub async fn verify_nothing(password: String) -> anyhow::Result<()> {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    let phc = match DUMMY.get() {
        Some(phc) => phc.clone(),
        None => {
            let phc = hash_password("filmroom-timing-equaliser".to_owned()).await?;
            DUMMY.get_or_init(|| phc).clone()
        }
    };
    verify_password(password, phc).await.map(|_| ())
}

pub async fn verify_password(password: String, phc: String) -> anyhow::Result<bool> {
    tokio::task::spawn_blocking(move || {
        let parsed = PasswordHash::new(&phc)
            .map_err(|e| anyhow::anyhow!("Stored password hash does not parse: {e}"))?;
        Ok(Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok())
    })
    .await?
}

/// The 19,640 most common passwords (lower-cased), Django's
/// `CommonPasswordValidator` list as shipped in Django 5.2.20 on PyPI (BSD
/// licence; the list is Royce Williams'). Kept whole, short ones included:
/// the check trims, so `" 1234567 "` must still match `1234567`.
const COMMON_PASSWORDS: &str = include_str!("../../data/common-passwords.txt");

fn is_common_password(password: &str) -> bool {
    static SET: OnceLock<HashSet<&'static str>> = OnceLock::new();
    let set = SET.get_or_init(|| COMMON_PASSWORDS.lines().map(str::trim).collect());
    set.contains(password.trim().to_lowercase().as_str())
}

/// Why a password is refused, if it is: too short or absurdly long, nothing
/// but spaces, or one of the passwords every guessing list tries first.
pub fn password_problem(password: &str) -> Option<&'static str> {
    let chars = password.chars().count();
    if !(8..=256).contains(&chars) {
        return Some("A password needs 8 to 256 characters.");
    }
    if password.trim().is_empty() {
        return Some("A password cannot be only spaces.");
    }
    if is_common_password(password) {
        return Some(
            "That password is one of the most common ones, the first any attacker tries; choose another.",
        );
    }
    None
}

pub fn check_password_rules(password: &str) -> Result<(), AppError> {
    match password_problem(password) {
        Some(problem) => Err(AppError::bad_request("weak_password", problem)),
        None => Ok(()),
    }
}

/// The value of the request's cookie `name`.
pub fn request_cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    CookieJar::from_headers(headers)
        .get(name)
        .map(|c| c.value().to_owned())
}

/// A cookie as every filmroom cookie is set: for the whole site, hidden from
/// scripts, not sent on cross-site subrequests, `Secure` when configured
/// (`auth.secure_cookies`); a `max_age_secs` of 0 deletes it.
pub fn cookie(
    name: &'static str,
    value: String,
    max_age_secs: u64,
    secure: bool,
) -> Cookie<'static> {
    Cookie::build((name, value))
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .max_age(time::Duration::seconds(
            i64::try_from(max_age_secs).unwrap_or(i64::MAX),
        ))
        .secure(secure)
        .build()
}

/// How the caller proved who they are.
#[derive(Debug, Clone)]
pub enum Via {
    /// A browser session: state-changing requests must carry its CSRF token.
    Session { id_hash: Sha256Hex, csrf: String },
    /// A personal API token: not sent automatically by browsers, so no CSRF.
    Token,
}

#[derive(Debug, Clone)]
pub struct Identity {
    pub user: User,
    pub via: Via,
}

impl Identity {
    pub fn csrf_token(&self) -> &str {
        match &self.via {
            Via::Session { csrf, .. } => csrf,
            Via::Token => "",
        }
    }

    /// Passes token-authenticated calls and sessions presenting their token.
    pub fn check_csrf(&self, presented: Option<&str>) -> Result<(), AppError> {
        match &self.via {
            Via::Token => Ok(()),
            Via::Session { csrf, .. } => match presented {
                Some(p) if constant_time_eq(p, csrf) => Ok(()),
                _ => Err(AppError::csrf()),
            },
        }
    }

    pub fn check_csrf_header(&self, headers: &HeaderMap) -> Result<(), AppError> {
        self.check_csrf(headers.get(CSRF_HEADER).and_then(|v| v.to_str().ok()))
    }
}

/// Finds the caller from a bearer token or the session cookie.
pub async fn identify(state: &AppState, headers: &HeaderMap) -> Result<Option<Identity>, AppError> {
    let now = state.clock.now();
    if let Some(auth) = headers.get(AUTHORIZATION) {
        let token = auth
            .to_str()
            .ok()
            .and_then(|v| v.strip_prefix("Bearer "))
            .ok_or_else(AppError::unauthorized)?;
        return match state
            .store
            .user_by_api_token(&secret_hash(token.trim()), now)
            .await?
        {
            Some(user) => Ok(Some(Identity {
                user,
                via: Via::Token,
            })),
            // A wrong token is an error, never a silent fall back to the cookie.
            None => Err(AppError::unauthorized()),
        };
    }
    let Some(secret) = request_cookie(headers, SESSION_COOKIE) else {
        return Ok(None);
    };
    let id_hash = secret_hash(&secret);
    Ok(state
        .store
        .session_by_hash(&id_hash, now)
        .await?
        .map(|session| Identity {
            user: session.user,
            via: Via::Session {
                id_hash: session.id_hash,
                csrf: session.csrf_token,
            },
        }))
}

/// The caller, found once per request: the extractors of one handler (the
/// caller, a CSRF check, an owned id) share it through the request's extensions.
pub async fn caller(parts: &mut Parts, state: &AppState) -> Result<Option<Identity>, AppError> {
    if let Some(known) = parts.extensions.get::<Identity>() {
        return Ok(Some(known.clone()));
    }
    let found = identify(state, &parts.headers).await?;
    if let Some(identity) = &found {
        parts.extensions.insert(identity.clone());
    }
    Ok(found)
}

/// The caller of a JSON endpoint: 401 when unknown.
pub struct ApiUser(pub Identity);

impl FromRequestParts<AppState> for ApiUser {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        caller(parts, state)
            .await?
            .map(ApiUser)
            .ok_or_else(AppError::unauthorized)
    }
}

/// The caller of a page: sent to the login page when unknown.
pub struct PageUser(pub Identity);

pub enum PageRejection {
    Login,
    /// The caller could not be identified (a bad bearer token): JSON, as always.
    Error(AppError),
    /// A refusal of the page's own (a bad form, a CSRF failure, a missing
    /// id): an error page.
    Page(AppError),
}

impl IntoResponse for PageRejection {
    fn into_response(self) -> Response {
        match self {
            PageRejection::Login => Redirect::to("/login").into_response(),
            PageRejection::Error(e) => e.into_response(),
            PageRejection::Page(e) => crate::pages::PageError(e).into_response(),
        }
    }
}

impl FromRequestParts<AppState> for PageUser {
    type Rejection = PageRejection;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, PageRejection> {
        match caller(parts, state).await {
            Ok(Some(identity)) => Ok(PageUser(identity)),
            Ok(None) => Err(PageRejection::Login),
            Err(e) => Err(PageRejection::Error(e)),
        }
    }
}

/// The caller if known, for pages that also serve visitors.
pub struct MaybeUser(pub Option<Identity>);

impl FromRequestParts<AppState> for MaybeUser {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        Ok(MaybeUser(caller(parts, state).await.unwrap_or(None)))
    }
}

pub fn too_many_attempts(wait_secs: u64) -> AppError {
    AppError::new(
        StatusCode::TOO_MANY_REQUESTS,
        "too_many_attempts",
        format!(
            "Too many failed logins; try again in {}.",
            wait_words(wait_secs)
        ),
    )
    .with_retry_after(wait_secs)
}

pub fn too_many_signups(wait_secs: u64) -> AppError {
    AppError::new(
        StatusCode::TOO_MANY_REQUESTS,
        "too_many_signups",
        format!(
            "Too many accounts were created from your address; try again in {}.",
            wait_words(wait_secs)
        ),
    )
    .with_retry_after(wait_secs)
}

fn wait_words(secs: u64) -> String {
    match secs {
        0..=1 => "a second".to_owned(),
        2..=90 => format!("{secs} seconds"),
        _ => format!("{} minutes", secs.div_ceil(60)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blank_short_and_common_passwords_are_refused_and_a_passphrase_is_not() {
        for refused in [
            "",
            "short",
            "        ",
            "\t\n \u{a0}   \u{3000}",
            "password",
            "Password1",
            " iloveyou ",
            "qwertyuiop",
        ] {
            assert!(
                password_problem(refused).is_some(),
                "{refused:?} was accepted"
            );
        }
        assert!(password_problem(&"x".repeat(257)).is_some());
        for accepted in [
            "correct horse battery",
            "a brand new password",
            "tX9#mQ2!vL",
        ] {
            assert_eq!(password_problem(accepted), None, "{accepted:?}");
        }
    }

    #[test]
    fn the_common_password_list_is_the_shipped_one() {
        assert_eq!(COMMON_PASSWORDS.lines().count(), 19_640);
        assert!(is_common_password("PASSWORD1"));
        assert!(is_common_password(" 1234567 "));
        assert!(password_problem(" 1234567 ").is_some());
    }
}
