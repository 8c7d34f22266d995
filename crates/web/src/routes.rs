//! Every route of the app, in one list. The router is built from [`ROUTES`]
//! (a route cannot exist without an entry here), and the isolation test walks
//! the same list with an exhaustive `match` on [`RouteId`], so adding a route
//! without deciding how a stranger is kept out of it fails the build of the tests.

use std::time::Duration;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderName, HeaderValue, header};
use axum::routing::{MethodRouter, delete, get, patch, post, put};

use tower_http::catch_panic::CatchPanicLayer;
use tower_http::compression::CompressionLayer;
use tower_http::compression::predicate::{DefaultPredicate, NotForContentType, Predicate};
use tower_http::request_id::{PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::timeout::RequestBodyTimeoutLayer;
use tower_http::trace::{DefaultOnResponse, TraceLayer};
use tracing::Level;

use crate::app::AppState;
use crate::config::Config;
use crate::operations::{self, metrics};
use crate::{accounts, coach, recordings, rights};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RouteId {
    Home,
    SignupPage,
    Signup,
    LoginPage,
    Login,
    Logout,
    AccountPage,
    ChangePassword,
    SetPlayerNames,
    CreateTokenForm,
    RevokeTokenForm,
    GamesPage,
    GamePage,
    UploadsPage,
    ApiMe,
    ApiGames,
    ApiGame,
    ApiRecordings,
    ApiRecording,
    ApiRecordingReport,
    ApiUploadReplays,
    ApiUploadRecordings,
    ApiUploads,
    ApiEvents,
    ApiTokens,
    ApiCreateToken,
    ApiRevokeToken,
    SignOutEverywhereForm,
    ApiSignOutEverywhere,
    OpenApi,
    Health,
    Status,
    Metrics,
    StyleSheet,
    UploadScript,
    CoachScript,
    CoachPage,
    CoachConversationPage,
    CoachNoteForm,
    CoachNoteUpdateForm,
    CoachNoteDeleteForm,
    UsagePage,
    ApiCoachChat,
    ApiCoachProfiles,
    ApiConversations,
    ApiConversation,
    ApiDeleteConversation,
    ApiNotes,
    ApiCreateNote,
    ApiUpdateNote,
    ApiDeleteNote,
    ApiUsageCurrent,
    ApiUsageHistory,
    ApiIdentities,
    ApiSetIdentities,
    SetIdentityForm,
    ApiRecordingExport,
    ApiGamesCsv,
    ApiDeleteRecording,
    DeleteRecordingForm,
    ApiExport,
    ApiEraseMe,
    EraseAccountForm,
    ApiRecordingMedia,
    PageScript,
    ProgressPage,
    ApiProgress,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verb {
    Get,
    Post,
    Patch,
    Delete,
    Put,
}

/// Who may call a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    Anyone,
    SignedIn,
}

#[derive(Debug, Clone, Copy)]
pub struct Route {
    pub id: RouteId,
    pub verb: Verb,
    /// axum path syntax; `{id}` is always an id owned by the caller.
    pub path: &'static str,
    pub access: Access,
}

const fn r(id: RouteId, verb: Verb, path: &'static str, access: Access) -> Route {
    Route {
        id,
        verb,
        path,
        access,
    }
}

use Access::{Anyone, SignedIn};
use RouteId as R;
use Verb::{Delete, Get, Patch, Post, Put};

pub const ROUTES: &[Route] = &[
    r(R::Home, Get, "/", Anyone),
    r(R::SignupPage, Get, "/signup", Anyone),
    r(R::Signup, Post, "/signup", Anyone),
    r(R::LoginPage, Get, "/login", Anyone),
    r(R::Login, Post, "/login", Anyone),
    r(R::Logout, Post, "/logout", SignedIn),
    r(R::AccountPage, Get, "/account", SignedIn),
    r(R::ChangePassword, Post, "/account/password", SignedIn),
    r(R::SetPlayerNames, Post, "/account/player-names", SignedIn),
    r(R::CreateTokenForm, Post, "/account/tokens", SignedIn),
    r(
        R::RevokeTokenForm,
        Post,
        "/account/tokens/{id}/revoke",
        SignedIn,
    ),
    r(R::GamesPage, Get, "/games", SignedIn),
    r(R::GamePage, Get, "/games/{id}", SignedIn),
    r(R::UploadsPage, Get, "/uploads", SignedIn),
    r(R::ApiMe, Get, "/api/v1/me", SignedIn),
    r(R::ApiGames, Get, "/api/v1/games", SignedIn),
    r(R::ApiGame, Get, "/api/v1/games/{id}", SignedIn),
    r(R::ApiRecordings, Get, "/api/v1/recordings", SignedIn),
    r(R::ApiRecording, Get, "/api/v1/recordings/{id}", SignedIn),
    r(
        R::ApiRecordingReport,
        Get,
        "/api/v1/recordings/{id}/report",
        SignedIn,
    ),
    r(
        R::ApiRecordingExport,
        Get,
        "/api/v1/recordings/{id}/export",
        SignedIn,
    ),
    r(R::ApiGamesCsv, Get, "/api/v1/games/export.csv", SignedIn),
    r(R::ApiUploadReplays, Post, "/api/v1/replays", SignedIn),
    r(R::ApiUploadRecordings, Post, "/api/v1/recordings", SignedIn),
    r(R::ApiUploads, Get, "/api/v1/uploads", SignedIn),
    r(R::ApiEvents, Get, "/api/v1/events", SignedIn),
    r(R::ApiTokens, Get, "/api/v1/tokens", SignedIn),
    r(R::ApiCreateToken, Post, "/api/v1/tokens", SignedIn),
    r(R::ApiRevokeToken, Delete, "/api/v1/tokens/{id}", SignedIn),
    r(
        R::SignOutEverywhereForm,
        Post,
        "/account/sign-out-everywhere",
        SignedIn,
    ),
    r(
        R::ApiSignOutEverywhere,
        Post,
        "/api/v1/sign-out-everywhere",
        SignedIn,
    ),
    r(R::OpenApi, Get, "/api/v1/openapi.json", Anyone),
    r(R::Health, Get, "/health", Anyone),
    r(R::Status, Get, "/status", Anyone),
    r(R::Metrics, Get, "/metrics", Anyone),
    r(R::StyleSheet, Get, "/static/app.css", Anyone),
    r(R::UploadScript, Get, "/static/upload.js", Anyone),
    r(R::CoachScript, Get, "/static/coach.js", Anyone),
    r(R::CoachPage, Get, "/coach", SignedIn),
    r(R::CoachConversationPage, Get, "/coach/{id}", SignedIn),
    r(R::CoachNoteForm, Post, "/coach/notes", SignedIn),
    r(R::CoachNoteUpdateForm, Post, "/coach/notes/{id}", SignedIn),
    r(
        R::CoachNoteDeleteForm,
        Post,
        "/coach/notes/{id}/delete",
        SignedIn,
    ),
    r(R::UsagePage, Get, "/usage", SignedIn),
    r(R::ApiCoachChat, Post, "/api/v1/coach/chat", SignedIn),
    r(R::ApiCoachProfiles, Get, "/api/v1/coach/profiles", SignedIn),
    r(
        R::ApiConversations,
        Get,
        "/api/v1/coach/conversations",
        SignedIn,
    ),
    r(
        R::ApiConversation,
        Get,
        "/api/v1/coach/conversations/{id}",
        SignedIn,
    ),
    r(
        R::ApiDeleteConversation,
        Delete,
        "/api/v1/coach/conversations/{id}",
        SignedIn,
    ),
    r(R::ApiNotes, Get, "/api/v1/coach/notes", SignedIn),
    r(R::ApiCreateNote, Post, "/api/v1/coach/notes", SignedIn),
    r(
        R::ApiUpdateNote,
        Patch,
        "/api/v1/coach/notes/{id}",
        SignedIn,
    ),
    r(
        R::ApiDeleteNote,
        Delete,
        "/api/v1/coach/notes/{id}",
        SignedIn,
    ),
    r(R::ApiUsageCurrent, Get, "/api/v1/usage/current", SignedIn),
    r(R::ApiUsageHistory, Get, "/api/v1/usage/history", SignedIn),
    r(R::ApiIdentities, Get, "/api/v1/me/identities", SignedIn),
    r(R::ApiSetIdentities, Put, "/api/v1/me/identities", SignedIn),
    r(R::SetIdentityForm, Post, "/account/identity", SignedIn),
    r(
        R::ApiDeleteRecording,
        Delete,
        "/api/v1/recordings/{id}",
        SignedIn,
    ),
    r(R::DeleteRecordingForm, Post, "/games/{id}/delete", SignedIn),
    r(R::ApiExport, Get, "/api/v1/me/export", SignedIn),
    r(R::ApiEraseMe, Delete, "/api/v1/me", SignedIn),
    r(R::EraseAccountForm, Post, "/account/delete", SignedIn),
    r(
        R::ApiRecordingMedia,
        Get,
        "/api/v1/recordings/{id}/media",
        SignedIn,
    ),
    r(R::PageScript, Get, "/static/page.js", Anyone),
    r(R::ProgressPage, Get, "/progress", SignedIn),
    r(R::ApiProgress, Get, "/api/v1/progress", SignedIn),
];

fn handler(id: RouteId, config: &Config) -> MethodRouter<AppState> {
    match id {
        R::Home => get(accounts::pages::home),
        R::SignupPage => get(accounts::pages::signup_page),
        R::Signup => post(accounts::pages::signup),
        R::LoginPage => get(accounts::pages::login_page),
        R::Login => post(accounts::pages::login),
        R::Logout => post(accounts::pages::logout),
        R::AccountPage => get(accounts::pages::account_page),
        R::ChangePassword => post(accounts::pages::change_password),
        R::SetPlayerNames => post(accounts::pages::set_player_names),
        R::CreateTokenForm => post(accounts::pages::create_token),
        R::RevokeTokenForm => post(accounts::pages::revoke_token),
        R::GamesPage => get(recordings::pages::games_page),
        R::GamePage => get(recordings::pages::game_page),
        R::ApiRecordingExport => get(recordings::exports::document),
        R::ApiGamesCsv => get(recordings::exports::games_csv),
        R::UploadsPage => get(recordings::pages::uploads_page),
        R::ApiMe => get(accounts::api::me),
        R::ApiGames => get(recordings::api::games),
        R::ApiGame => get(recordings::api::game),
        R::ApiRecordings => get(recordings::api::list),
        R::ApiRecording => get(recordings::api::detail),
        R::ApiRecordingReport => get(recordings::api::report),
        R::ApiUploadReplays => {
            // One batch, not files x file size: files stream to disk, and each
            // is checked on its own as it arrives, so one oversized file fails early.
            post(recordings::uploads::upload_replays)
                .layer(DefaultBodyLimit::max(config.limits.max_batch_bytes))
        }
        R::ApiUploadRecordings => post(recordings::uploads::upload_recordings)
            .layer(DefaultBodyLimit::max(config.limits.max_batch_bytes)),
        R::ApiUploads => get(recordings::api::uploads),
        R::ApiEvents => get(recordings::api::events),
        R::ApiTokens => get(accounts::api::tokens),
        R::ApiCreateToken => post(accounts::api::create_token),
        R::ApiRevokeToken => delete(accounts::api::revoke_token),
        R::SignOutEverywhereForm => post(accounts::pages::sign_out_everywhere),
        R::ApiSignOutEverywhere => post(accounts::api::sign_out_everywhere),
        R::OpenApi => get(operations::endpoints::openapi),
        R::Health => get(operations::endpoints::health),
        R::Status => get(operations::endpoints::status),
        R::Metrics => get(operations::endpoints::metrics),
        R::StyleSheet => get(operations::endpoints::stylesheet),
        R::UploadScript => get(operations::endpoints::upload_script),
        R::CoachScript => get(operations::endpoints::coach_script),
        R::CoachPage => get(coach::pages::coach_page),
        R::CoachConversationPage => get(coach::pages::conversation_page),
        R::CoachNoteForm => post(coach::pages::create_note_form),
        R::CoachNoteUpdateForm => post(coach::pages::update_note_form),
        R::CoachNoteDeleteForm => post(coach::pages::delete_note_form),
        R::UsagePage => get(coach::pages::usage_page),
        R::ApiCoachChat => {
            // Up to four images, base64-encoded (4/3 of their bytes), plus the text.
            let limit = config
                .coach
                .max_image_bytes
                .saturating_mul(4)
                .saturating_mul(4)
                / 3
                + 256 * 1024;
            post(coach::api::chat).layer(DefaultBodyLimit::max(limit))
        }
        R::ApiCoachProfiles => get(coach::api::profiles),
        R::ApiConversations => get(coach::api::conversations),
        R::ApiConversation => get(coach::api::conversation),
        R::ApiDeleteConversation => delete(coach::api::delete_conversation),
        R::ApiNotes => get(coach::api::notes),
        R::ApiCreateNote => post(coach::api::create_note),
        R::ApiUpdateNote => patch(coach::api::update_note),
        R::ApiDeleteNote => delete(coach::api::delete_note),
        R::ApiUsageCurrent => get(coach::api::usage_current),
        R::ApiUsageHistory => get(coach::api::usage_history),
        R::ApiIdentities => get(accounts::identities::get),
        R::ApiSetIdentities => put(accounts::identities::put),
        R::SetIdentityForm => post(accounts::identities::set_form),
        R::ApiDeleteRecording => delete(rights::api::delete_recording),
        R::DeleteRecordingForm => post(rights::pages::delete_recording),
        R::ApiExport => get(rights::api::export),
        R::ApiEraseMe => delete(rights::api::erase_me),
        R::EraseAccountForm => post(rights::pages::erase_account),
        R::ApiRecordingMedia => get(recordings::media::media),
        R::PageScript => get(operations::endpoints::page_script),
        R::ProgressPage => get(recordings::progress::page),
        R::ApiProgress => get(recordings::progress::api),
    }
}

/// Routes whose answer outlives a normal request: streams and uploads. The
/// request timeout leaves them alone (their bodies have their own timeouts).
fn is_long_lived(id: RouteId) -> bool {
    matches!(
        id,
        R::ApiEvents
            | R::ApiCoachChat
            | R::ApiUploadReplays
            | R::ApiUploadRecordings
            | R::ApiExport
            | R::ApiRecordingMedia
    )
}

/// The pages' scripts and styles are files under `/static`: no inline code.
/// Images may be `data:`/`blob:` URLs (screenshot previews for the coach).
const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; \
    style-src 'self'; img-src 'self' data: blob:; connect-src 'self'; object-src 'none'; \
    base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

pub fn router(state: AppState) -> Router {
    router_with_extra(state, Router::new())
}

/// The app's router plus `extra` routes outside [`ROUTES`], behind the same
/// layers. Only tests use `extra` (a handler that panics or stalls); product
/// routes belong in [`ROUTES`].
pub fn router_with_extra(state: AppState, extra: Router<AppState>) -> Router {
    // Checked by `App::build`; the fallbacks only matter to hand-built states.
    let server = &state.config.server;
    let request_timeout =
        crate::conn::seconds("", server.request_timeout_secs).unwrap_or(Duration::from_secs(30));
    let body_timeout =
        crate::conn::seconds("", server.body_timeout_secs).unwrap_or(Duration::from_secs(30));
    let mut by_path: Vec<(&'static str, MethodRouter<AppState>)> = Vec::new();
    for route in ROUTES {
        let mut method_router = handler(route.id, &state.config);
        if !is_long_lived(route.id) {
            method_router = method_router.layer(axum::middleware::from_fn_with_state(
                request_timeout,
                metrics::request_timeout,
            ));
        }
        match by_path.iter_mut().find(|(path, _)| *path == route.path) {
            Some((_, existing)) => {
                let merged = std::mem::take(existing).merge(method_router);
                *existing = merged;
            }
            None => by_path.push((route.path, method_router)),
        }
    }
    let mut router = Router::new();
    for (path, method_router) in by_path {
        router = router.route(path, method_router);
    }
    with_layers(
        router
            .merge(extra.layer(axum::middleware::from_fn_with_state(
                request_timeout,
                metrics::request_timeout,
            )))
            .fallback(operations::endpoints::not_found),
        state,
        body_timeout,
    )
}

/// The layers every answer goes through, innermost first.
fn with_layers(router: Router<AppState>, state: AppState, body_timeout: Duration) -> Router {
    let header = |name: HeaderName, value: &'static str| {
        SetResponseHeaderLayer::if_not_present(name, HeaderValue::from_static(value))
    };
    router
        // A panic is caught inside the route's label, so the metrics count
        // it under its route; the outer catch is for the layers themselves.
        .route_layer(CatchPanicLayer::custom(crate::error::panic_response))
        .route_layer(axum::middleware::from_fn(metrics::route_label))
        .layer(RequestBodyTimeoutLayer::new(body_timeout))
        .layer(CatchPanicLayer::custom(crate::error::panic_response))
        .layer(header(
            header::CONTENT_SECURITY_POLICY,
            CONTENT_SECURITY_POLICY,
        ))
        .layer(header(header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .layer(header(header::X_FRAME_OPTIONS, "DENY"))
        .layer(header(header::REFERRER_POLICY, "same-origin"))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(metrics::request_span::<axum::body::Body>)
                .on_response(DefaultOnResponse::new().level(Level::INFO)),
        )
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            metrics::request_context,
        ))
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(SetRequestIdLayer::x_request_id(metrics::RandomRequestId))
        .layer(axum::middleware::map_request(
            metrics::drop_unusable_request_id,
        ))
        // SSE (`text/event-stream`) is never compressed: the default predicate
        // skips it, so events are not held back in a compressor's buffer.
        // Nor is media: already compressed, and served by byte ranges. Nor
        // is a zip (the data export): it states its Content-Length, which a
        // compressed body would contradict, and gzip on a zip gains little.
        .layer(
            CompressionLayer::new().compress_when(
                DefaultPredicate::new()
                    .and(NotForContentType::const_new("video/"))
                    .and(NotForContentType::const_new("audio/"))
                    .and(NotForContentType::const_new("application/zip")),
            ),
        )
        .with_state(state)
}
