//! The operations endpoints and static files: `/health`, `/status`,
//! `/metrics`, the OpenAPI document, the stylesheet and the scripts.

use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use serde::Serialize;

use crate::app::AppState;
use crate::error::AppError;

const STYLESHEET: &str = include_str!("../../static/app.css");
const UPLOAD_SCRIPT: &str = include_str!("../../static/upload.js");
const COACH_SCRIPT: &str = include_str!("../../static/coach.js");
const PAGE_SCRIPT: &str = include_str!("../../static/page.js");

/// Liveness, including a round trip to the database.
#[utoipa::path(get, path = "/health", tag = "operations", summary = "Liveness", security(),
    responses(
        (status = 200, description = "The server and its database answer", body = String, content_type = "text/plain"),
        (status = 503, description = "The database does not answer", body = String, content_type = "text/plain"),
    ))]
pub async fn health(State(state): State<AppState>) -> (StatusCode, &'static str) {
    match state.store.ping().await {
        Ok(()) => (StatusCode::OK, "ok"),
        Err(error) => {
            tracing::error!(error = %error, "health: database ping failed");
            (StatusCode::SERVICE_UNAVAILABLE, "database unavailable")
        }
    }
}

/// The server's state.
#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = Status)]
pub struct StatusJson {
    #[schema(schema_with = crate::openapi::ok_or_degraded)]
    pub status: &'static str,
    #[schema(schema_with = crate::openapi::ok_or_unavailable)]
    pub database: &'static str,
    pub backend: &'static str,
    pub queue_depth: Option<u64>,
    pub jobs: Option<filmroom_store::JobCounts>,
    /// Analysis workers in the process that answered.
    pub workers: usize,
    /// Analysis workers across every live process (`nodes`); `null` when
    /// the database does not answer.
    pub live_workers: Option<u64>,
    /// Every live process sharing the database (heartbeat within
    /// `jobs.lease_secs`), web-only ones with `workers: 0`.
    pub nodes: Vec<NodeJson>,
    pub version: &'static str,
}

/// One live process of the deployment.
#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = Node)]
pub struct NodeJson {
    /// `jobs.node`, or the unique default name.
    pub name: String,
    /// Analysis workers it runs (0: web only).
    pub workers: u32,
    /// Seconds since its last heartbeat.
    pub heartbeat_age_secs: u64,
}

#[utoipa::path(get, path = "/status", tag = "operations",
    summary = "Database, queue depth and workers", security(),
    responses(
        (status = 200, body = StatusJson),
        (status = 503, description = "Degraded: the database does not answer", body = StatusJson),
    ))]
pub async fn status(State(state): State<AppState>) -> (StatusCode, Json<StatusJson>) {
    let ping = state.store.ping().await;
    let counts = state.store.job_counts().await;
    let ok = ping.is_ok() && counts.is_ok();
    if let Some(error) = ping.as_ref().err().or(counts.as_ref().err()) {
        tracing::error!(error = %error, "status: database check failed");
    }
    let counts = counts.ok();
    let now = state.clock.now();
    let nodes = match state.store.nodes().await {
        Ok(all) => Some(crate::node::live(
            all,
            std::time::Duration::from_secs(state.config.jobs.lease_secs),
            now,
        )),
        Err(error) => {
            tracing::error!(error = %error, "status: reading the process registry failed");
            None
        }
    };
    let live_workers = nodes
        .as_ref()
        .map(|nodes| nodes.iter().map(|n| u64::from(n.workers)).sum());
    let nodes = nodes
        .unwrap_or_default()
        .into_iter()
        .map(|n| NodeJson {
            workers: n.workers,
            heartbeat_age_secs: u64::try_from((now - n.heartbeat_at).whole_seconds()).unwrap_or(0),
            name: n.name,
        })
        .collect();
    let body = StatusJson {
        status: if ok { "ok" } else { "degraded" },
        database: if ok { "ok" } else { "unavailable" },
        backend: state.store.backend(),
        queue_depth: counts.map(|c| c.queued + c.running),
        jobs: counts,
        workers: state.worker_count,
        live_workers,
        nodes,
        version: env!("CARGO_PKG_VERSION"),
    };
    let code = if ok {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (code, Json(body))
}

#[utoipa::path(get, path = "/metrics", tag = "operations",
    summary = "Prometheus text format: requests by route and status, jobs by state", security(),
    responses((status = 200, body = String, content_type = "application/openmetrics-text")))]
pub async fn metrics(State(state): State<AppState>) -> Result<impl IntoResponse, AppError> {
    let jobs = state.store.job_counts().await.ok();
    let body = state
        .metrics
        .render(jobs, state.worker_count)
        .map_err(AppError::internal)?;
    Ok(([(header::CONTENT_TYPE, super::metrics::CONTENT_TYPE)], body))
}

/// This document, generated from the handlers' annotations and types.
#[utoipa::path(get, path = "/api/v1/openapi.json", tag = "operations",
    summary = "This OpenAPI document", security(),
    responses((status = 200, description = "An OpenAPI 3.2 document", body = Object)))]
pub async fn openapi(State(state): State<AppState>) -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "application/json")],
        crate::openapi::document_json(&state.config, &state.coach, &state.domains),
    )
}

pub async fn stylesheet() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        STYLESHEET,
    )
}

pub async fn upload_script() -> impl IntoResponse {
    script(UPLOAD_SCRIPT)
}

pub async fn coach_script() -> impl IntoResponse {
    script(COACH_SCRIPT)
}

pub async fn page_script() -> impl IntoResponse {
    script(PAGE_SCRIPT)
}

fn script(source: &'static str) -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        source,
    )
}

pub async fn not_found() -> AppError {
    AppError::not_found()
}
