//! The web layer's one error type. Handlers return `Result<_, AppError>`; the
//! response is JSON `{ "error": { "code", "message" } }` with a stable code and a
//! message fit for users, while the whole source chain goes to the log (inside
//! the request's span, so it carries the request id).

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use filmroom_store::StoreError;
use serde::Serialize;

#[derive(Debug)]
pub struct AppError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    pub retry_after: Option<u64>,
    /// Extra response headers, e.g. `X-RateLimit-*` on a 429.
    pub headers: Vec<(axum::http::HeaderName, HeaderValue)>,
    pub source: Option<anyhow::Error>,
}

/// Every error answer of the API and the pages: the one error body type.
#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = Error)]
pub(crate) struct Body<'a> {
    error: Inner<'a>,
}

#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = ErrorDetail)]
pub(crate) struct Inner<'a> {
    /// Stable and machine-readable (`not_found`, `invalid_query`, `csrf_failed`...).
    #[schema(example = "not_found")]
    code: &'a str,
    /// For people: what went wrong and what to do.
    message: &'a str,
    /// The id to quote when reporting a problem; it is in every log line of
    /// the request.
    #[serde(skip_serializing_if = "Option::is_none")]
    request_id: Option<String>,
}

tokio::task_local! {
    static REQUEST_ID: String;
}

/// Runs `f` (a request's handling) with `id` as its request id.
pub async fn with_request_id<F: std::future::Future>(id: String, f: F) -> F::Output {
    REQUEST_ID.scope(id, f).await
}

/// The id of the request being handled, if any.
pub fn current_request_id() -> Option<String> {
    REQUEST_ID.try_with(Clone::clone).ok()
}

/// The answer when a handler panics (the catch-panic layer): a logged 500
/// like any other internal error, and the server keeps serving.
pub fn panic_response(panic: Box<dyn std::any::Any + Send + 'static>) -> Response {
    let message = if let Some(s) = panic.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = panic.downcast_ref::<String>() {
        s.clone()
    } else {
        "a non-string panic payload".to_owned()
    };
    AppError::internal(anyhow::anyhow!("the handler panicked: {message}")).into_response()
}

impl AppError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
            retry_after: None,
            headers: Vec::new(),
            source: None,
        }
    }

    pub fn not_found() -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "not_found",
            "No such page or resource.",
        )
    }

    pub fn unauthorized() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "Log in or send a valid API token.",
        )
    }

    pub fn csrf() -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            "csrf_failed",
            "The form's security token is missing or wrong; reload the page and try again.",
        )
    }

    pub fn bad_request(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, message)
    }

    pub fn internal(source: impl Into<anyhow::Error>) -> Self {
        Self {
            source: Some(source.into()),
            ..Self::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                "Something went wrong on our side; it has been logged.",
            )
        }
    }

    pub fn payload_too_large() -> Self {
        Self::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            "The request body is larger than this endpoint accepts.",
        )
    }

    /// A JSON body the extractor refused: 413 when it was too large, 400 otherwise.
    pub fn from_json_rejection(rejection: JsonRejection) -> Self {
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            Self::payload_too_large()
        } else {
            Self::bad_request("invalid_json", rejection.body_text())
        }
    }

    pub fn with_retry_after(mut self, seconds: u64) -> Self {
        self.retry_after = Some(seconds);
        self
    }
}

impl From<StoreError> for AppError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::NotFound { .. } => Self::not_found(),
            StoreError::QueueFull { .. } => Self::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "queue_full",
                "Too many replays are waiting for analysis; try again shortly.",
            )
            .with_retry_after(30),
            StoreError::InvalidCursor => Self::bad_request(
                "invalid_query",
                "The cursor belongs to another sort or order: send the same sort and order \
                 as the page that gave it.",
            ),
            other => Self::internal(other),
        }
    }
}

impl From<anyhow::Error> for AppError {
    fn from(error: anyhow::Error) -> Self {
        Self::internal(error)
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        match &self.source {
            Some(source) if self.status.is_server_error() => {
                tracing::error!(
                    code = self.code,
                    error = format!("{source:#}"),
                    "request failed"
                );
            }
            Some(source) => {
                tracing::info!(
                    code = self.code,
                    error = format!("{source:#}"),
                    "request refused"
                );
            }
            None => tracing::debug!(code = self.code, "request refused"),
        }
        let body = Body {
            error: Inner {
                code: self.code,
                message: &self.message,
                request_id: current_request_id(),
            },
        };
        let mut response = (self.status, Json(body)).into_response();
        for (name, value) in self.headers {
            response.headers_mut().insert(name, value);
        }
        if let Some(seconds) = self.retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        response
    }
}
