//! Request counting, request ids and the request span (the layers themselves
//! are tower-http's, stacked in `routes.rs`). `/metrics` renders these
//! counters plus the job counts in Prometheus' text format.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::extract::{MatchedPath, Request, State};
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use filmroom_store::JobCounts;
use tower_http::request_id::{MakeRequestId, RequestId};

use crate::app::AppState;

pub const REQUEST_ID_HEADER: &str = "x-request-id";

#[derive(Default)]
pub struct Metrics {
    /// (method, route template, status) -> count. Route templates, never raw
    /// paths, so the label set stays small whatever clients send.
    requests: Mutex<BTreeMap<(String, String, u16), u64>>,
    connections_open: AtomicU64,
    connections_refused: AtomicU64,
}

impl Metrics {
    pub fn record(&self, method: &str, route: &str, status: u16) {
        let mut map = self.requests.lock().unwrap_or_else(|p| p.into_inner());
        *map.entry((method.to_owned(), route.to_owned(), status))
            .or_insert(0) += 1;
    }

    pub fn connection_opened(&self) {
        self.connections_open.fetch_add(1, Ordering::Relaxed);
    }

    pub fn connection_closed(&self) {
        self.connections_open.fetch_sub(1, Ordering::Relaxed);
    }

    /// A connection over the caps, answered 503 and closed.
    pub fn connection_refused(&self) {
        self.connections_refused.fetch_add(1, Ordering::Relaxed);
    }

    pub fn render(&self, jobs: Option<JobCounts>, workers: usize) -> String {
        let mut out = String::new();
        out.push_str("# HELP filmroom_http_connections_open Open HTTP connections.\n");
        out.push_str("# TYPE filmroom_http_connections_open gauge\n");
        let _ = writeln!(
            out,
            "filmroom_http_connections_open {}",
            self.connections_open.load(Ordering::Relaxed)
        );
        out.push_str(
            "# HELP filmroom_http_connections_refused_total Connections refused over the caps.\n",
        );
        out.push_str("# TYPE filmroom_http_connections_refused_total counter\n");
        let _ = writeln!(
            out,
            "filmroom_http_connections_refused_total {}",
            self.connections_refused.load(Ordering::Relaxed)
        );
        out.push_str("# HELP filmroom_http_requests_total HTTP requests by route and status.\n");
        out.push_str("# TYPE filmroom_http_requests_total counter\n");
        let map = self.requests.lock().unwrap_or_else(|p| p.into_inner());
        for ((method, route, status), count) in map.iter() {
            let _ = writeln!(
                out,
                "filmroom_http_requests_total{{method=\"{}\",route=\"{}\",status=\"{status}\"}} {count}",
                label(method),
                label(route)
            );
        }
        drop(map);
        if let Some(jobs) = jobs {
            out.push_str("# HELP filmroom_jobs Analysis jobs by state.\n");
            out.push_str("# TYPE filmroom_jobs gauge\n");
            for (state, n) in [
                ("queued", jobs.queued),
                ("running", jobs.running),
                ("done", jobs.done),
                ("dead", jobs.dead),
            ] {
                let _ = writeln!(out, "filmroom_jobs{{state=\"{state}\"}} {n}");
            }
        }
        out.push_str("# HELP filmroom_workers Worker tasks in this process.\n");
        out.push_str("# TYPE filmroom_workers gauge\n");
        let _ = writeln!(out, "filmroom_workers {workers}");
        out
    }
}

fn label(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// The route template that served a response, left by [`route_label`] for
/// [`request_context`] (which runs before routing, so cannot see it itself).
#[derive(Clone)]
struct RouteLabel(String);

/// Inner middleware (a `route_layer`): tags the response with its route template.
pub async fn route_label(req: Request, next: Next) -> Response {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_owned());
    let mut response = next.run(req).await;
    if let Some(route) = route {
        response.extensions_mut().insert(RouteLabel(route));
    }
    response
}

/// Outermost: drops a client's `x-request-id` that is unfit for logs and
/// headers, so [`SetRequestIdLayer`](tower_http::request_id::SetRequestIdLayer)
/// makes a fresh one instead of passing it on.
pub async fn drop_unusable_request_id(mut req: Request) -> Request {
    let usable = req
        .headers()
        .get(REQUEST_ID_HEADER)
        .and_then(|v| v.to_str().ok())
        .is_none_or(|v| !v.is_empty() && v.len() <= 128 && v.bytes().all(|b| b.is_ascii_graphic()));
    if !usable {
        req.headers_mut().remove(REQUEST_ID_HEADER);
    }
    req
}

/// A fresh request id: 24 hex digits.
#[derive(Clone, Copy, Default)]
pub struct RandomRequestId;

impl MakeRequestId for RandomRequestId {
    fn make_request_id<B>(&mut self, _request: &axum::http::Request<B>) -> Option<RequestId> {
        HeaderValue::from_str(&new_request_id())
            .ok()
            .map(RequestId::new)
    }
}

/// The request's id, as set by the request-id layer.
pub fn request_id<B>(req: &axum::http::Request<B>) -> &str {
    req.headers()
        .get(REQUEST_ID_HEADER)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("unknown")
}

/// The tracing span of a request: every log line of its handler carries the id.
pub fn request_span<B>(req: &axum::http::Request<B>) -> tracing::Span {
    tracing::info_span!(
        "request",
        request_id = %request_id(req),
        method = %req.method(),
        path = %req.uri().path(),
    )
}

/// Counts the request in the metrics by route template and status, and makes
/// its id available to error bodies (see [`crate::error::current_request_id`]).
pub async fn request_context(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let id = request_id(&req).to_owned();
    let method = req.method().as_str().to_owned();
    let response = crate::error::with_request_id(id, next.run(req)).await;
    let route = response
        .extensions()
        .get::<RouteLabel>()
        .map(|r| r.0.as_str())
        .unwrap_or("unmatched");
    state
        .metrics
        .record(&method, route, response.status().as_u16());
    response
}

fn new_request_id() -> String {
    let mut bytes = [0u8; 12];
    if getrandom::fill(&mut bytes).is_err() {
        return "unknown".to_owned();
    }
    crate::auth::hex(&bytes)
}

/// Fails a handler that takes longer than the configured request timeout
/// with a 503 the client can retry (streams and uploads are exempt: see
/// `routes.rs`). A timeout answer is built here rather than by tower-http's
/// `TimeoutLayer`, whose answer has no body, so the client reads why.
pub async fn request_timeout(
    State(limit): State<std::time::Duration>,
    req: Request,
    next: Next,
) -> Response {
    match tokio::time::timeout(limit, next.run(req)).await {
        Ok(response) => response,
        Err(_) => crate::error::AppError {
            source: Some(anyhow::anyhow!("the handler took longer than {limit:?}")),
            ..crate::error::AppError::new(
                axum::http::StatusCode::SERVICE_UNAVAILABLE,
                "timeout",
                "The server took too long to answer; try again shortly.",
            )
        }
        .with_retry_after(1)
        .into_response(),
    }
}
