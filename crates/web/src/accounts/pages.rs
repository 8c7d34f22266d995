//! The accounts' pages and forms: sign up, log in and out, the account page
//! (password, player names, API tokens, signing out everywhere). Every form
//! of a session is checked by [`SignedForm`]; the log-in and sign-up forms,
//! used before a session exists, by [`PreSessionForm`] (a double-submit
//! cookie whose value the server signs, see [`super::pre_session`]). The
//! work is in [`super::service`], shared with the JSON API.

use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum_extra::extract::cookie::{Cookie, CookieJar};
use filmroom_store::{StoreError, Username};
use serde::Deserialize;

use super::auth::{self, Identity, MaybeUser, PRE_SESSION_CSRF_COOKIE, PageUser, Via};
use super::csrf::{CsrfField, PreSessionForm, SignedForm};
use super::service::{self, PasswordRefused};
use crate::app::AppState;
use crate::error::AppError;
use crate::pages::{PageError, PageResult, fmt_time, html, nav};
use crate::views::{AccountPage, LoginPage, SignupPage, TokenRow};

pub async fn home(MaybeUser(user): MaybeUser) -> Redirect {
    match user {
        Some(_) => Redirect::to("/games"),
        None => Redirect::to("/login"),
    }
}

/// The pre-session CSRF value: the browser's cookie if this server signed
/// it, or a new one to set.
fn pre_session_csrf(
    state: &AppState,
    headers: &HeaderMap,
) -> Result<(String, Option<String>), PageError> {
    match auth::request_cookie(headers, PRE_SESSION_CSRF_COOKIE) {
        Some(v) if state.pre_session.is_signed(&v) => Ok((v, None)),
        _ => {
            let fresh = state.pre_session.issue()?;
            Ok((fresh.clone(), Some(fresh)))
        }
    }
}

fn with_cookie(response: Response, cookie: Option<Cookie<'static>>) -> Response {
    match cookie {
        Some(cookie) => (CookieJar::new().add(cookie), response).into_response(),
        None => response,
    }
}

fn pre_session_cookie(state: &AppState, value: String) -> Cookie<'static> {
    auth::cookie(
        PRE_SESSION_CSRF_COOKIE,
        value,
        3600 * 24,
        state.config.auth.secure_cookies,
    )
}

pub async fn login_page(State(state): State<AppState>, headers: HeaderMap) -> PageResult {
    let (csrf, fresh) = pre_session_csrf(&state, &headers)?;
    let page = LoginPage {
        title: "Log in",
        nav: None,
        csrf,
        username: String::new(),
        error: None,
    };
    Ok(with_cookie(
        html(&page)?.into_response(),
        fresh.map(|v| pre_session_cookie(&state, v)),
    ))
}

pub async fn signup_page(State(state): State<AppState>, headers: HeaderMap) -> PageResult {
    let (csrf, fresh) = pre_session_csrf(&state, &headers)?;
    let first_account = state.store.count_users().await? == 0;
    let page = SignupPage {
        title: "Sign up",
        nav: None,
        csrf,
        username: String::new(),
        error: None,
        first_account,
    };
    Ok(with_cookie(
        html(&page)?.into_response(),
        fresh.map(|v| pre_session_cookie(&state, v)),
    ))
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct CredentialsForm {
    pub username: String,
    pub password: String,
    pub csrf: String,
}

impl CsrfField for CredentialsForm {
    fn csrf(&self) -> &str {
        &self.csrf
    }
}

fn see_other(to: &str, cookie: Option<Cookie<'static>>) -> Response {
    with_cookie(
        (StatusCode::SEE_OTHER, [(header::LOCATION, to.to_owned())]).into_response(),
        cookie,
    )
}

pub async fn signup(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    PreSessionForm(f): PreSessionForm<CredentialsForm>,
) -> PageResult {
    let count = state.store.count_users().await?;
    if count > 0 && !state.config.auth.open_signup {
        return Err(PageError(AppError::new(
            StatusCode::FORBIDDEN,
            "signup_closed",
            "Sign-up is closed on this server; ask the operator for an account.",
        )));
    }
    let again = |status: StatusCode, message: String| -> PageResult {
        let page = SignupPage {
            title: "Sign up",
            nav: None,
            csrf: f.csrf.clone(),
            username: f.username.clone(),
            error: Some(message),
            first_account: count == 0,
        };
        Ok((status, html(&page)?).into_response())
    };
    let username = match Username::parse(f.username.trim()) {
        Ok(u) => u,
        Err(e) => return again(StatusCode::BAD_REQUEST, e.to_string()),
    };
    if let Err(e) = auth::check_password_rules(&f.password) {
        return again(StatusCode::BAD_REQUEST, e.message);
    }
    // Counted once the form is sound, before the slow hash: each account
    // brings its own monthly coach budget, so mass creation is the abuse.
    let addr = client_address(&state, &headers, peer);
    if let Err(throttled) = state.signups.admit(addr, state.clock.now()) {
        tracing::warn!(%addr, "sign-up limit reached");
        return Err(PageError(auth::too_many_signups(
            throttled.retry_after_secs,
        )));
    }
    let hash = auth::hash_password(f.password.clone()).await?;
    let user = match state
        .store
        .create_user(&username, &hash, state.clock.now())
        .await
    {
        Ok(user) => user,
        Err(StoreError::Conflict { .. }) => {
            return again(StatusCode::CONFLICT, "That username is taken.".to_owned());
        }
        Err(e) => return Err(e.into()),
    };
    tracing::info!(user = %user.id, admin = user.is_admin, "account created");
    let cookie = service::start_session(&state, &user).await?;
    Ok(see_other("/uploads", Some(cookie)))
}

pub async fn login(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    PreSessionForm(f): PreSessionForm<CredentialsForm>,
) -> PageResult {
    let addr = client_address(&state, &headers, peer);
    // Checked before the password, so a throttled guess learns nothing.
    if let Err(throttled) = state.limiter.check(&f.username, addr, state.clock.now()) {
        return Err(PageError(auth::too_many_attempts(
            throttled.retry_after_secs,
        )));
    }
    let user = match Username::parse(f.username.trim()) {
        Ok(username) => state.store.user_by_username(&username).await?,
        Err(_) => None,
    };
    let verified = match &user {
        Some(user) => auth::verify_password(f.password.clone(), user.password_hash.clone()).await?,
        None => {
            auth::verify_nothing(f.password.clone()).await?;
            false
        }
    };
    match user {
        Some(user) if verified => {
            state.limiter.record_success(&f.username, addr);
            let cookie = service::start_session(&state, &user).await?;
            Ok(see_other("/games", Some(cookie)))
        }
        _ => {
            state
                .limiter
                .record_failure(&f.username, addr, state.clock.now());
            let page = LoginPage {
                title: "Log in",
                nav: None,
                csrf: f.csrf.clone(),
                username: f.username.clone(),
                error: Some("Wrong username or password.".to_owned()),
            };
            Ok((StatusCode::UNAUTHORIZED, html(&page)?).into_response())
        }
    }
}

/// The client's address: the peer, or the proxy's `X-Forwarded-For` when trusted.
fn client_address(state: &AppState, headers: &HeaderMap, peer: SocketAddr) -> IpAddr {
    let forwarded = state
        .config
        .server
        .trust_forwarded_for
        .then(|| headers.get("x-forwarded-for"))
        .flatten()
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.rsplit(',').next())
        .and_then(|v| v.trim().parse::<std::net::IpAddr>().ok());
    forwarded.unwrap_or(peer.ip())
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct CsrfForm {
    pub csrf: String,
}

impl CsrfField for CsrfForm {
    fn csrf(&self) -> &str {
        &self.csrf
    }
}

pub async fn logout(
    State(state): State<AppState>,
    SignedForm { identity, .. }: SignedForm<CsrfForm>,
) -> PageResult {
    if let Via::Session { id_hash, .. } = &identity.via {
        state.store.delete_session(id_hash).await?;
    }
    Ok(see_other(
        "/login",
        Some(service::end_session_cookie(&state)),
    ))
}

pub(crate) async fn account(
    state: &AppState,
    identity: &Identity,
    new_token: Option<String>,
    message: Option<String>,
    error: Option<String>,
) -> Result<Html<String>, PageError> {
    let tokens = service::tokens(state, identity.user.id).await?;
    let player_names = service::player_names(state, identity.user.id).await?;
    let identities = super::identities::views(state, identity.user.id).await?;
    html(&AccountPage {
        identities,
        player_names: player_names.join("\n"),
        title: "Account",
        nav: nav(identity),
        csrf: identity.csrf_token().to_owned(),
        username: identity.user.username.to_string(),
        is_admin: identity.user.is_admin,
        tokens: tokens
            .iter()
            .map(|t| TokenRow {
                id: t.id.to_string(),
                name: t.name.clone(),
                created: fmt_time(t.created_at),
                last_used: t
                    .last_used_at
                    .map(fmt_time)
                    .unwrap_or_else(|| "never".into()),
            })
            .collect(),
        new_token,
        message,
        error,
    })
}

#[derive(Deserialize, Default)]
pub struct AccountQuery {
    pub changed: Option<String>,
}

pub async fn account_page(
    State(state): State<AppState>,
    PageUser(identity): PageUser,
    Query(q): Query<AccountQuery>,
) -> PageResult {
    let message = q.changed.map(|how| {
        if how == "everywhere" {
            "Password changed; every other session was logged out and every API token revoked."
        } else {
            "Password changed; other sessions were logged out."
        }
        .to_owned()
    });
    Ok(account(&state, &identity, None, message, None)
        .await?
        .into_response())
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct PasswordForm {
    pub current_password: String,
    pub new_password: String,
    /// The checkbox "sign out everywhere (also revokes API tokens)", on by
    /// default in the form; a browser sends nothing when it is unticked.
    pub sign_out_everywhere: Option<String>,
    pub csrf: String,
}

impl CsrfField for PasswordForm {
    fn csrf(&self) -> &str {
        &self.csrf
    }
}

pub async fn change_password(
    State(state): State<AppState>,
    SignedForm { identity, form: f }: SignedForm<PasswordForm>,
) -> PageResult {
    let everywhere = f.sign_out_everywhere.is_some();
    let refused = match service::change_password(
        &state,
        &identity.user,
        &f.current_password,
        &f.new_password,
        everywhere,
    )
    .await?
    {
        Ok(cookie) => {
            let to = if everywhere {
                "/account?changed=everywhere"
            } else {
                "/account?changed=1"
            };
            return Ok(see_other(to, Some(cookie)));
        }
        Err(PasswordRefused::WrongCurrent) => "The current password is wrong.".to_owned(),
        Err(PasswordRefused::Weak(problem)) => problem,
    };
    let page = account(&state, &identity, None, None, Some(refused)).await?;
    Ok((StatusCode::BAD_REQUEST, page).into_response())
}
/// Ends every session, this one included, and revokes every API token.
pub async fn sign_out_everywhere(
    State(state): State<AppState>,
    SignedForm { identity, .. }: SignedForm<CsrfForm>,
) -> PageResult {
    service::sign_out_everywhere(&state, identity.user.id).await?;
    Ok(see_other(
        "/login",
        Some(service::end_session_cookie(&state)),
    ))
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct PlayerNamesForm {
    pub names: String,
    pub csrf: String,
}

impl CsrfField for PlayerNamesForm {
    fn csrf(&self) -> &str {
        &self.csrf
    }
}

pub async fn set_player_names(
    State(state): State<AppState>,
    SignedForm { identity, form: f }: SignedForm<PlayerNamesForm>,
) -> PageResult {
    service::set_player_names(&state, identity.user.id, &f.names).await?;
    Ok(see_other("/account", None))
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct TokenForm {
    pub name: String,
    pub csrf: String,
}

impl CsrfField for TokenForm {
    fn csrf(&self) -> &str {
        &self.csrf
    }
}

pub async fn create_token(
    State(state): State<AppState>,
    SignedForm { identity, form: f }: SignedForm<TokenForm>,
) -> PageResult {
    let (_, secret) = service::create_token(&state, identity.user.id, &f.name).await?;
    Ok(account(&state, &identity, Some(secret), None, None)
        .await?
        .into_response())
}

pub async fn revoke_token(
    State(state): State<AppState>,
    Path(id): Path<String>,
    SignedForm { identity, .. }: SignedForm<CsrfForm>,
) -> PageResult {
    service::revoke_token(&state, identity.user.id, &id).await?;
    Ok(see_other("/account", None))
}
