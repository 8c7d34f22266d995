//! What every page shares (the error page, rendering, the nav bar, times).
//! The pages live with their feature: `accounts::pages`,
//! `recordings::pages` (the games list, uploads and a recording's page),
//! `coach::pages`.

use askama::Template;
use axum::http::{HeaderValue, header};
use axum::response::{Html, IntoResponse, Response};
use filmroom_store::StoreError;
use time::OffsetDateTime;

use crate::auth::Identity;
use crate::error::AppError;
use crate::views::{ErrorPage, Nav};

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
