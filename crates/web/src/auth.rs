//! Accounts on the web: password hashing (argon2id), session cookies whose
//! secret is stored only as its SHA-256, CSRF tokens, personal API tokens and
//! the login rate limiter. The extractors here decide who is asking; handlers
//! only ever see an [`Identity`].

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use axum::extract::FromRequestParts;
use axum::http::header::{AUTHORIZATION, COOKIE};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
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

/// Why a password is refused, if it is: too short or absurdly long.
pub fn password_problem(password: &str) -> Option<&'static str> {
    let chars = password.chars().count();
    (!(8..=256).contains(&chars)).then_some("A password needs 8 to 256 characters.")
}

pub fn check_password_rules(password: &str) -> Result<(), AppError> {
    match password_problem(password) {
        Some(problem) => Err(AppError::bad_request("weak_password", problem)),
        None => Ok(()),
    }
}

pub fn cookie_value<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// `Set-Cookie` value for `name`; `max_age` 0 deletes it.
pub fn set_cookie(name: &str, value: &str, max_age_secs: u64, secure: bool) -> String {
    let secure = if secure { "; Secure" } else { "" };
    format!("{name}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age_secs}{secure}")
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
    let Some(secret) = cookie_value(headers, SESSION_COOKIE) else {
        return Ok(None);
    };
    let id_hash = secret_hash(secret);
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

/// The caller of a JSON endpoint: 401 when unknown.
pub struct ApiUser(pub Identity);

impl FromRequestParts<AppState> for ApiUser {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        identify(state, &parts.headers)
            .await?
            .map(ApiUser)
            .ok_or_else(AppError::unauthorized)
    }
}

/// The caller of a page: sent to the login page when unknown.
pub struct PageUser(pub Identity);

pub enum PageRejection {
    Login,
    Error(AppError),
}

impl IntoResponse for PageRejection {
    fn into_response(self) -> Response {
        match self {
            PageRejection::Login => Redirect::to("/login").into_response(),
            PageRejection::Error(e) => e.into_response(),
        }
    }
}

impl FromRequestParts<AppState> for PageUser {
    type Rejection = PageRejection;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, PageRejection> {
        match identify(state, &parts.headers).await {
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
        Ok(MaybeUser(
            identify(state, &parts.headers).await.unwrap_or(None),
        ))
    }
}

/// Failed logins in the last minute, per account and per client address, in
/// memory: a restart forgets them, which is acceptable for a brute-force brake.
pub struct LoginLimiter {
    per_minute: usize,
    window: Duration,
    failures: Mutex<HashMap<String, VecDeque<Instant>>>,
}

impl LoginLimiter {
    pub fn new(per_minute: u32) -> Self {
        Self {
            per_minute: usize::try_from(per_minute).unwrap_or(usize::MAX).max(1),
            window: Duration::from_secs(60),
            failures: Mutex::new(HashMap::new()),
        }
    }

    /// `Err(seconds to wait)` when any key has used up its attempts.
    pub fn check(&self, keys: &[String]) -> Result<(), u64> {
        let now = Instant::now();
        let mut map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        let mut wait = 0;
        for key in keys {
            if let Some(times) = map.get_mut(key) {
                while times
                    .front()
                    .is_some_and(|t| now.duration_since(*t) >= self.window)
                {
                    times.pop_front();
                }
                if times.len() >= self.per_minute
                    && let Some(oldest) = times.front()
                {
                    let left = self.window.saturating_sub(now.duration_since(*oldest));
                    wait = wait.max(left.as_secs() + 1);
                }
            }
        }
        map.retain(|_, times| !times.is_empty());
        if wait > 0 { Err(wait) } else { Ok(()) }
    }

    pub fn record_failure(&self, keys: &[String]) {
        let now = Instant::now();
        let mut map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        for key in keys {
            map.entry(key.clone()).or_default().push_back(now);
        }
    }
}

pub fn too_many_attempts(wait_secs: u64) -> AppError {
    AppError::new(
        StatusCode::TOO_MANY_REQUESTS,
        "too_many_attempts",
        "Too many failed logins; wait a minute and try again.",
    )
    .with_retry_after(wait_secs)
}
