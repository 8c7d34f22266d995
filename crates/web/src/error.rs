//! The web layer's one error type. Handlers return `Result<_, AppError>`; the
//! response is JSON `{ "error": { "code", "message" } }` with a stable code and a
//! message fit for users, while the whole source chain goes to the log (inside
//! the request's span, so it carries the request id).

use axum::Json;
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

#[derive(Serialize)]
struct Body<'a> {
    error: Inner<'a>,
}

#[derive(Serialize)]
struct Inner<'a> {
    code: &'a str,
    message: &'a str,
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
