//! Request counting and the request-id/trace middleware. `/metrics` renders
//! these counters plus the job counts in Prometheus' text format.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Mutex;

use axum::extract::{MatchedPath, Request, State};
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::Response;
use filmroom_store::JobCounts;
use tracing::Instrument;

use crate::app::AppState;

pub const REQUEST_ID_HEADER: &str = "x-request-id";

#[derive(Default)]
pub struct Metrics {
    /// (method, route template, status) -> count. Route templates, never raw
    /// paths, so the label set stays small whatever clients send.
    requests: Mutex<BTreeMap<(String, String, u16), u64>>,
}

impl Metrics {
    pub fn record(&self, method: &str, route: &str, status: u16) {
        let mut map = self.requests.lock().unwrap_or_else(|p| p.into_inner());
        *map.entry((method.to_owned(), route.to_owned(), status))
            .or_insert(0) += 1;
    }

    pub fn render(&self, jobs: Option<JobCounts>, workers: usize) -> String {
        let mut out = String::new();
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

/// Gives every request an id (the client's `x-request-id` when it is sane, a
/// fresh one otherwise), a tracing span carrying it, a count in the metrics,
/// and echoes it on the response.
pub async fn request_context(
    State(state): State<AppState>,
    mut req: Request,
    next: Next,
) -> Response {
    let id = req
        .headers()
        .get(REQUEST_ID_HEADER)
        .and_then(|v| v.to_str().ok())
        .filter(|v| !v.is_empty() && v.len() <= 128 && v.bytes().all(|b| b.is_ascii_graphic()))
        .map(str::to_owned)
        .unwrap_or_else(new_request_id);
    let method = req.method().as_str().to_owned();
    if let Ok(value) = HeaderValue::from_str(&id) {
        req.headers_mut().insert(REQUEST_ID_HEADER, value);
    }
    let span = tracing::info_span!("request", request_id = %id, method = %method);
    let started = std::time::Instant::now();
    let mut response = next.run(req).instrument(span.clone()).await;
    let status = response.status().as_u16();
    let route = response
        .extensions()
        .get::<RouteLabel>()
        .map(|r| r.0.clone())
        .unwrap_or_else(|| "unmatched".to_owned());
    span.in_scope(|| {
        tracing::info!(
            route = %route,
            status,
            elapsed_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
            "request"
        );
    });
    state.metrics.record(&method, &route, status);
    if let Ok(value) = HeaderValue::from_str(&id) {
        response.headers_mut().insert(REQUEST_ID_HEADER, value);
    }
    response
}

fn new_request_id() -> String {
    let mut bytes = [0u8; 12];
    if getrandom::fill(&mut bytes).is_err() {
        return "unknown".to_owned();
    }
    crate::auth::hex(&bytes)
}
