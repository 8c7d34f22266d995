//! The server-rendered pages and their forms. Every POST form carries the
//! session's CSRF token in a hidden `csrf` field; the forms used before a
//! session exists (log in, sign up) use a double-submit cookie instead, whose
//! value the server signs ([`crate::pre_session`]).

use std::net::{IpAddr, SocketAddr};

use askama::Template;
use axum::Form;
use axum::extract::rejection::FormRejection;
use axum::extract::{ConnectInfo, Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use filmroom_store::{ApiTokenId, NewSession, StoreError, User, Username};
use serde::Deserialize;
use time::OffsetDateTime;

use crate::api::{self, parse_id};
use crate::app::AppState;
use crate::auth::{
    self, Identity, MaybeUser, PRE_SESSION_CSRF_COOKIE, PageUser, SESSION_COOKIE, Via,
};
use crate::dto::GamesQuery;
use crate::error::AppError;
use crate::game_view;
use crate::views::{
    AccountPage, ErrorPage, GamePage, GameRow, GamesPage, Hidden, JobRow, LoginPage, Nav, PageLink,
    QueryEcho, SignupPage, Tab, TokenRow, UploadsPage, facet_options, options,
};

/// An error shown as a page rather than as JSON.
pub struct PageError(pub AppError);

impl From<AppError> for PageError {
    fn from(error: AppError) -> Self {
        PageError(error)
    }
}

impl From<StoreError> for PageError {
    fn from(error: StoreError) -> Self {
        PageError(error.into())
    }
}

impl From<anyhow::Error> for PageError {
    fn from(error: anyhow::Error) -> Self {
        PageError(error.into())
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let error = self.0;
        let page = ErrorPage {
            title: error
                .status
                .canonical_reason()
                .unwrap_or("Error")
                .to_owned(),
            nav: None,
            heading: error
                .status
                .canonical_reason()
                .unwrap_or("Error")
                .to_owned(),
            message: error.message.clone(),
            request_id: crate::error::current_request_id(),
        };
        let status = error.status;
        let retry = error.retry_after;
        // Log through the JSON path (it owns the logging), then swap the body.
        let logged = error.into_response();
        let mut response = match page.render() {
            Ok(html) => (status, Html(html)).into_response(),
            Err(_) => logged,
        };
        if let Some(seconds) = retry {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        response
    }
}

pub(crate) type PageResult = Result<Response, PageError>;

pub(crate) fn html(template: &impl Template) -> Result<Html<String>, PageError> {
    template
        .render()
        .map(Html)
        .map_err(|e| PageError(AppError::internal(e)))
}

pub(crate) fn nav(identity: &Identity) -> Option<Nav> {
    Some(Nav {
        username: identity.user.username.to_string(),
        csrf: identity.csrf_token().to_owned(),
    })
}

pub(crate) fn fmt_time(t: OffsetDateTime) -> String {
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02}",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute()
    )
}

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
    match auth::cookie_value(headers, PRE_SESSION_CSRF_COOKIE) {
        Some(v) if state.pre_session.is_signed(v) => Ok((v.to_owned(), None)),
        _ => {
            let fresh = state.pre_session.issue()?;
            Ok((fresh.clone(), Some(fresh)))
        }
    }
}

fn with_cookie(mut response: Response, cookie: Option<String>) -> Response {
    if let Some(cookie) = cookie
        && let Ok(value) = HeaderValue::from_str(&cookie)
    {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
    response
}

fn check_pre_session_csrf(
    state: &AppState,
    headers: &HeaderMap,
    presented: &str,
) -> Result<(), PageError> {
    let cookie = auth::cookie_value(headers, PRE_SESSION_CSRF_COOKIE);
    if state.pre_session.verify(cookie, presented) {
        Ok(())
    } else {
        Err(PageError(AppError::csrf()))
    }
}

fn pre_session_cookie(state: &AppState, value: &str) -> String {
    auth::set_cookie(
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
        fresh.map(|v| pre_session_cookie(&state, &v)),
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
        fresh.map(|v| pre_session_cookie(&state, &v)),
    ))
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct CredentialsForm {
    pub username: String,
    pub password: String,
    pub csrf: String,
}

pub(crate) fn form<T>(form: Result<Form<T>, FormRejection>) -> Result<T, PageError> {
    form.map(|Form(f)| f).map_err(|e| {
        PageError(if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            AppError::payload_too_large()
        } else {
            AppError::bad_request(
                "malformed_form",
                format!("The form could not be read: {}", e.body_text()),
            )
        })
    })
}

/// Starts a session for `user`: the cookie to set.
async fn start_session(state: &AppState, user: &User) -> Result<String, PageError> {
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
    Ok(auth::set_cookie(
        SESSION_COOKIE,
        &secret,
        ttl,
        state.config.auth.secure_cookies,
    ))
}

fn see_other(to: &str, cookie: Option<String>) -> Response {
    with_cookie(
        (StatusCode::SEE_OTHER, [(header::LOCATION, to.to_owned())]).into_response(),
        cookie,
    )
}

pub async fn signup(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: Result<Form<CredentialsForm>, FormRejection>,
) -> PageResult {
    let f = form(body)?;
    check_pre_session_csrf(&state, &headers, &f.csrf)?;
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
    let cookie = start_session(&state, &user).await?;
    Ok(see_other("/uploads", Some(cookie)))
}

pub async fn login(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: Result<Form<CredentialsForm>, FormRejection>,
) -> PageResult {
    let f = form(body)?;
    check_pre_session_csrf(&state, &headers, &f.csrf)?;
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
            let cookie = start_session(&state, &user).await?;
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

pub(crate) fn check_form_csrf(identity: &Identity, presented: &str) -> Result<(), PageError> {
    identity
        .check_csrf(Some(presented).filter(|p| !p.is_empty()))
        .map_err(PageError)
}

pub async fn logout(
    State(state): State<AppState>,
    PageUser(identity): PageUser,
    body: Result<Form<CsrfForm>, FormRejection>,
) -> PageResult {
    let f = form(body)?;
    check_form_csrf(&identity, &f.csrf)?;
    if let Via::Session { id_hash, .. } = &identity.via {
        state.store.delete_session(id_hash).await?;
    }
    let clear = auth::set_cookie(SESSION_COOKIE, "", 0, state.config.auth.secure_cookies);
    Ok(see_other("/login", Some(clear)))
}

async fn account(
    state: &AppState,
    identity: &Identity,
    new_token: Option<String>,
    message: Option<String>,
    error: Option<String>,
) -> Result<Html<String>, PageError> {
    let tokens = state.store.list_api_tokens(identity.user.id).await?;
    let player_names = state.store.player_names(identity.user.id).await?;
    let identities = crate::identities::views(state, identity.user.id).await?;
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

pub async fn change_password(
    State(state): State<AppState>,
    PageUser(identity): PageUser,
    body: Result<Form<PasswordForm>, FormRejection>,
) -> PageResult {
    let f = form(body)?;
    check_form_csrf(&identity, &f.csrf)?;
    let user = &identity.user;
    if !auth::verify_password(f.current_password.clone(), user.password_hash.clone()).await? {
        let page = account(
            &state,
            &identity,
            None,
            None,
            Some("The current password is wrong.".into()),
        )
        .await?;
        return Ok((StatusCode::BAD_REQUEST, page).into_response());
    }
    if let Err(e) = auth::check_password_rules(&f.new_password) {
        let page = account(&state, &identity, None, None, Some(e.message)).await?;
        return Ok((StatusCode::BAD_REQUEST, page).into_response());
    }
    let hash = auth::hash_password(f.new_password.clone()).await?;
    state.store.set_password_hash(user.id, &hash).await?;
    // Other sessions end either way: a password is changed when it may have leaked.
    let everywhere = f.sign_out_everywhere.is_some();
    if everywhere {
        auth::sign_out_everywhere(&state, user.id).await?;
    } else {
        state.store.delete_user_sessions(user.id).await?;
    }
    let cookie = start_session(&state, user).await?;
    let to = if everywhere {
        "/account?changed=everywhere"
    } else {
        "/account?changed=1"
    };
    Ok(see_other(to, Some(cookie)))
}

/// Ends every session, this one included, and revokes every API token.
pub async fn sign_out_everywhere(
    State(state): State<AppState>,
    PageUser(identity): PageUser,
    body: Result<Form<CsrfForm>, FormRejection>,
) -> PageResult {
    let f = form(body)?;
    check_form_csrf(&identity, &f.csrf)?;
    auth::sign_out_everywhere(&state, identity.user.id).await?;
    let clear = auth::set_cookie(SESSION_COOKIE, "", 0, state.config.auth.secure_cookies);
    Ok(see_other("/login", Some(clear)))
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct PlayerNamesForm {
    pub names: String,
    pub csrf: String,
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

pub async fn set_player_names(
    State(state): State<AppState>,
    PageUser(identity): PageUser,
    body: Result<Form<PlayerNamesForm>, FormRejection>,
) -> PageResult {
    let f = form(body)?;
    check_form_csrf(&identity, &f.csrf)?;
    let names = parse_player_names(&f.names)?;
    state
        .store
        .set_player_names(identity.user.id, &names, state.clock.now())
        .await?;
    Ok(see_other("/account", None))
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct TokenForm {
    pub name: String,
    pub csrf: String,
}

pub async fn create_token(
    State(state): State<AppState>,
    PageUser(identity): PageUser,
    body: Result<Form<TokenForm>, FormRejection>,
) -> PageResult {
    let f = form(body)?;
    check_form_csrf(&identity, &f.csrf)?;
    let name = api::parse_token_name(&f.name)?;
    let created = api::issue_token(&state, identity.user.id, &name).await?;
    Ok(account(&state, &identity, Some(created.secret), None, None)
        .await?
        .into_response())
}

pub async fn revoke_token(
    State(state): State<AppState>,
    PageUser(identity): PageUser,
    Path(id): Path<String>,
    body: Result<Form<CsrfForm>, FormRejection>,
) -> PageResult {
    let f = form(body)?;
    check_form_csrf(&identity, &f.csrf)?;
    let id: ApiTokenId = parse_id(&id)?;
    state
        .store
        .revoke_api_token(identity.user.id, id, state.clock.now())
        .await?;
    Ok(see_other("/account", None))
}

const RESULTS: &[(&str, &str)] = &[
    ("", "any"),
    ("win", "win"),
    ("loss", "loss"),
    ("draw", "draw"),
    ("unknown", "unknown"),
];
const SORTS: &[(&str, &str)] = &[
    ("played_at", "date played"),
    ("uploaded_at", "date uploaded"),
    ("map", "map"),
    ("playlist", "playlist"),
    ("team_size", "team size"),
];
const ORDERS: &[(&str, &str)] = &[("desc", "descending"), ("asc", "ascending")];

pub async fn games_page(
    State(state): State<AppState>,
    PageUser(identity): PageUser,
    Query(query): Query<GamesQuery>,
) -> PageResult {
    let filter = query.to_filter()?;
    let user = identity.user.id;
    let rows = state.store.list_recordings(user, &filter).await?;
    let total = state.store.count_recordings(user, &filter).await?;
    let facets = state.store.recording_facets(user).await?;
    let echo = |v: &Option<String>| v.clone().unwrap_or_default();
    let sizes: Vec<(String, String)> = facets
        .team_sizes
        .iter()
        .map(|n| (n.to_string(), format!("{n}v{n}")))
        .collect();
    let mut size_choices: Vec<(&str, &str)> = vec![("", "any")];
    size_choices.extend(sizes.iter().map(|(v, l)| (v.as_str(), l.as_str())));
    let hidden: Vec<Hidden> = [
        ("sort", &query.sort),
        ("order", &query.order),
        ("from", &query.from),
        ("to", &query.to),
        ("playlist", &query.playlist),
        ("map", &query.map),
        ("team_size", &query.team_size),
        ("result", &query.result),
        ("limit", &query.limit),
    ]
    .into_iter()
    .filter_map(|(name, value)| {
        value.as_deref().filter(|v| !v.is_empty()).map(|v| Hidden {
            name,
            value: v.to_owned(),
        })
    })
    .collect();
    let (offset, limit) = (filter.offset, filter.limit);
    let shown = u32::try_from(rows.len()).unwrap_or(u32::MAX);
    let mut pages = Vec::new();
    if offset > 0 {
        pages.push(PageLink {
            label: "Previous",
            offset: offset.saturating_sub(limit),
        });
    }
    if u64::from(offset) + u64::from(shown) < total {
        pages.push(PageLink {
            label: "Next",
            offset: offset + shown,
        });
    }
    let page = GamesPage {
        title: "Games",
        nav: nav(&identity),
        query: QueryEcho {
            from: echo(&query.from),
            to: echo(&query.to),
        },
        playlists: facet_options(&facets.match_types, query.playlist.as_deref()),
        maps: facet_options(&facets.maps, query.map.as_deref()),
        team_sizes: options(&size_choices, query.team_size.as_deref()),
        results: options(RESULTS, query.result.as_deref()),
        sorts: options(SORTS, query.sort.as_deref().or(Some("played_at"))),
        orders: options(ORDERS, query.order.as_deref().or(Some("desc"))),
        showing: if shown == 0 {
            format!("0 of {total}")
        } else {
            format!("{}–{} of {total}", offset + 1, offset + shown)
        },
        hidden,
        pages,
        rows: rows
            .iter()
            .map(|r| GameRow {
                id: r.id.to_string(),
                played: fmt_time(r.played_at.unwrap_or(r.uploaded_at)),
                map: r.map.clone().unwrap_or_else(|| "–".into()),
                playlist: r.match_type.clone().unwrap_or_else(|| "–".into()),
                team_size: r
                    .team_size
                    .map(|n| format!("{n}v{n}"))
                    .unwrap_or_else(|| "–".into()),
                score: r
                    .score
                    .map(|[b, o]| format!("{b} – {o}"))
                    .unwrap_or_else(|| "–".into()),
                result: crate::dto::known(r.outcome).unwrap_or("–"),
                state: r.job_state.map(|s| s.as_str()).unwrap_or("–"),
                filename: r.original_filename.clone(),
            })
            .collect(),
    };
    Ok(html(&page)?.into_response())
}

#[derive(Deserialize, Default)]
pub struct TabQuery {
    pub tab: Option<String>,
    /// A moment of the match in seconds (the coach's citations link here): the
    /// timeline opens with the event nearest to it highlighted.
    pub t: Option<f64>,
}

pub async fn game_page(
    State(state): State<AppState>,
    PageUser(identity): PageUser,
    Path(id): Path<String>,
    Query(q): Query<TabQuery>,
) -> PageResult {
    let (game, report) = api::load_game(&state, identity.user.id, &id).await?;
    let moment = q.t.filter(|t| t.is_finite() && *t >= 0.0);
    if !game_view::lays_out(&game.kind) {
        return recording_page(&state, &identity, &game, report, moment);
    }
    let tab = match (q.tab.as_deref(), moment) {
        (None, Some(_)) => "timeline",
        (raw, _) => game_view::tab_key(raw),
    };
    let analysis = match report {
        Some(text) => Some(
            serde_json::from_str::<filmroom_replay::Analysis>(&text)
                .map_err(|e| PageError(AppError::internal(e)))?,
        ),
        None => None,
    };
    let heading = match &game.map {
        Some(map) => format!("{map}: {}", game.original_filename),
        None => game.original_filename.clone(),
    };
    let mut subtitle = vec![format!(
        "Played {} UTC",
        fmt_time(game.played_at.unwrap_or(game.uploaded_at))
    )];
    if let Some(playlist) = &game.match_type {
        subtitle.push(playlist.clone());
    }
    if let Some(n) = game.team_size {
        subtitle.push(format!("{n}v{n}"));
    }
    if let Some(result) = crate::dto::known(game.outcome) {
        subtitle.push(result.to_owned());
    }
    let notice = match (&analysis, game.job_state) {
        (Some(a), _) => match &a.status {
            filmroom_replay::AnalysisStatus::Full => None,
            filmroom_replay::AnalysisStatus::Degraded { reason } => {
                Some(format!("Only the scoreboard is known: {}", reason.message))
            }
        },
        (None, Some(state)) => Some(format!(
            "Not analysed yet (job {}). {}",
            state.as_str(),
            game.last_error.clone().unwrap_or_default()
        )),
        (None, None) => Some("Not analysed yet.".to_owned()),
    };
    let page = GamePage {
        title: heading.clone(),
        nav: nav(&identity),
        id: game.id.to_string(),
        heading,
        subtitle: subtitle.join(" · "),
        tab,
        tabs: game_view::TABS
            .iter()
            .map(|(key, label)| Tab {
                key,
                label,
                active: *key == tab,
            })
            .collect(),
        notice: match (moment, notice) {
            (Some(t), None) if tab == "timeline" => Some(format!(
                "Cited moment: {}",
                filmroom_domain::format_clock(t)
            )),
            (_, notice) => notice,
        },
        sections: analysis
            .as_ref()
            .map(|a| {
                let mut sections = game_view::sections(tab, a);
                if let (Some(t), "timeline") = (moment, tab) {
                    game_view::highlight_moment(&mut sections, t);
                }
                sections
            })
            .unwrap_or_default(),
    };
    Ok(html(&page)?.into_response())
}

/// The page of a recording whose kind the web has no layout of its own for:
/// its domain's sections, rendered with the web's tables.
fn recording_page(
    state: &AppState,
    identity: &crate::auth::Identity,
    game: &filmroom_store::RecordingSummary,
    report: Option<String>,
    moment: Option<f64>,
) -> PageResult {
    let domain = state.domains.get(&game.kind);
    let mut subtitle = vec![format!(
        "{} · uploaded {} UTC",
        domain.map_or(game.kind.as_str(), |d| d.display_name()),
        fmt_time(game.uploaded_at)
    )];
    if game.outcome != filmroom_store::OwnerOutcome::Unknown {
        subtitle.push(game.outcome.as_str().to_owned());
    }
    let mut notice = None;
    let mut sections = Vec::new();
    match (report, domain) {
        (Some(text), Some(domain)) => {
            let report: serde_json::Value =
                serde_json::from_str(&text).map_err(|e| PageError(AppError::internal(e)))?;
            match domain.page_sections(&report) {
                Ok(laid_out) => sections = laid_out.iter().map(crate::sections::render).collect(),
                Err(error) => {
                    tracing::warn!(error = %error, kind = %game.kind, "a stored report cannot be laid out");
                    notice = Some(
                        "This recording's analysis cannot be shown; it will be analysed again."
                            .to_owned(),
                    );
                }
            }
        }
        (Some(_), None) => {
            notice = Some(format!(
                "This server no longer analyses {} recordings.",
                game.kind
            ));
        }
        (None, _) => {
            notice = Some(match game.job_state {
                Some(state) => format!(
                    "Not analysed yet (job {}). {}",
                    state.as_str(),
                    game.last_error.clone().unwrap_or_default()
                ),
                None => "Not analysed yet.".to_owned(),
            });
        }
    }
    if let Some(t) = moment {
        crate::sections::highlight_moment(&mut sections, t);
        notice = notice.or_else(|| {
            Some(format!(
                "Cited moment: {}",
                filmroom_domain::format_clock(t)
            ))
        });
    }
    let page = GamePage {
        title: game.original_filename.clone(),
        nav: nav(identity),
        id: game.id.to_string(),
        heading: game.original_filename.clone(),
        subtitle: subtitle.join(" · "),
        tab: "overview",
        tabs: Vec::new(),
        notice,
        sections,
    };
    Ok(html(&page)?.into_response())
}

pub async fn uploads_page(
    State(state): State<AppState>,
    PageUser(identity): PageUser,
) -> PageResult {
    let jobs = state.store.jobs_for_user(identity.user.id, 200).await?;
    let limits = &state.config.limits;
    let page = UploadsPage {
        title: "Upload",
        csrf: identity.csrf_token().to_owned(),
        nav: nav(&identity),
        max_files: limits.max_files_per_batch,
        max_bytes: limits.max_file_bytes,
        max_mb: limits.max_file_bytes / (1024 * 1024),
        jobs: jobs
            .iter()
            .map(|j| JobRow {
                job_id: j.job.id.as_seen_by(identity.user.id).to_string(),
                game_id: j.recording_id.to_string(),
                filename: j.original_filename.clone(),
                uploaded: fmt_time(j.uploaded_at),
                state: j.job.state.as_str(),
                error: j.job.last_error.clone().unwrap_or_default(),
            })
            .collect(),
    };
    Ok(html(&page)?.into_response())
}
