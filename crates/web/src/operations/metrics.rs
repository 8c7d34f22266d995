//! Request counting, request ids and the request span (the layers themselves
//! are tower-http's, stacked in `routes.rs`). `/metrics` encodes these
//! counters plus the job counts with `prometheus-client`.
//!
//! `prometheus-client` rather than the `metrics` facade: the facade records
//! into one global recorder per process, and several apps share a process in
//! the tests (and could in an embedding), so their counts would mix; here each
//! app owns its metric handles and encodes them itself.

use axum::extract::{MatchedPath, Request, State};
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use filmroom_store::JobCounts;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;
use tower_http::request_id::{MakeRequestId, RequestId};

use crate::app::AppState;

pub const REQUEST_ID_HEADER: &str = "x-request-id";

/// The content type of [`Metrics::render`]: OpenMetrics text, which
/// Prometheus scrapers accept (and ask for first).
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// Route templates, never raw paths, so the label set stays small whatever
/// clients send.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    method: String,
    route: String,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct JobLabels {
    state: &'static str,
}

/// The app's long-lived metrics. The handles share their values with their
/// clones, so each scrape registers clones in a registry of its own next to
/// the gauges read at scrape time (jobs, workers).
#[derive(Default)]
pub struct Metrics {
    requests: Family<RequestLabels, Counter>,
    connections_open: Gauge,
    connections_refused: Counter,
}

impl Metrics {
    pub fn record(&self, method: &str, route: &str, status: u16) {
        self.requests
            .get_or_create(&RequestLabels {
                method: method.to_owned(),
                route: route.to_owned(),
                status,
            })
            .inc();
    }

    pub fn connection_opened(&self) {
        self.connections_open.inc();
    }

    pub fn connection_closed(&self) {
        self.connections_open.dec();
    }

    /// A connection over the caps, answered 503 and closed.
    pub fn connection_refused(&self) {
        self.connections_refused.inc();
    }

    /// The OpenMetrics text of every metric. Counters are registered without
    /// their `_total`, which the format appends to each sample, so the series
    /// scraped keep their names (`filmroom_http_requests_total{...}`).
    pub fn render(
        &self,
        jobs: Option<JobCounts>,
        workers: usize,
    ) -> Result<String, std::fmt::Error> {
        let mut registry = Registry::default();
        registry.register(
            "filmroom_http_connections_open",
            "Open HTTP connections",
            self.connections_open.clone(),
        );
        registry.register(
            "filmroom_http_connections_refused",
            "Connections refused over the caps",
            self.connections_refused.clone(),
        );
        registry.register(
            "filmroom_http_requests",
            "HTTP requests by route and status",
            self.requests.clone(),
        );
        if let Some(jobs) = jobs {
            let by_state = Family::<JobLabels, Gauge>::default();
            for (state, n) in [
                ("queued", jobs.queued),
                ("running", jobs.running),
                ("done", jobs.done),
                ("dead", jobs.dead),
            ] {
                by_state
                    .get_or_create(&JobLabels { state })
                    .set(i64::try_from(n).unwrap_or(i64::MAX));
            }
            registry.register("filmroom_jobs", "Analysis jobs by state", by_state);
        }
        let worker_gauge = Gauge::<i64>::default();
        worker_gauge.set(i64::try_from(workers).unwrap_or(i64::MAX));
        registry.register(
            "filmroom_workers",
            "Worker tasks in this process",
            worker_gauge,
        );
        let mut out = String::new();
        prometheus_client::encoding::text::encode(&mut out, &registry)?;
        Ok(out)
    }
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
    crate::accounts::auth::hex(&bytes)
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
