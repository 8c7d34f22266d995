//! The CSRF check of every state-changing request, made by the extractors
//! here so that no handler can forget it. The rules:
//! - a caller with a bearer API token passes: browsers never send one on
//!   their own, so a forged cross-site request cannot carry it;
//! - a session (cookie) caller shows its session's token: in `X-CSRF-Token`
//!   ([`ApiWrite`], scripts and the JSON API), in the form's `csrf` field
//!   ([`SignedForm`], the pages), or in a `csrf` multipart field before the
//!   files ([`MultipartWrite`], the plain upload form, which cannot set a
//!   header);
//! - the log-in and sign-up forms, used before any session exists, show the
//!   signed double-submit value in the field and the cookie
//!   ([`PreSessionForm`], [`super::pre_session`]).
//!
//! Each refuses with 403 `csrf_failed` before the handler runs.

use axum::Form;
use axum::extract::rejection::FormRejection;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::StatusCode;
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

use super::auth::{self, ApiUser, Identity, PRE_SESSION_CSRF_COOKIE, PageRejection, PageUser};
use crate::app::AppState;
use crate::error::AppError;
use crate::pages::PageError;

/// A form that carries a CSRF value in its `csrf` field.
pub trait CsrfField {
    fn csrf(&self) -> &str;
}

/// The caller of a JSON write: signed in, and a session caller sent its
/// token as `X-CSRF-Token`.
pub struct ApiWrite(pub Identity);

impl FromRequestParts<AppState> for ApiWrite {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        let ApiUser(identity) = ApiUser::from_request_parts(parts, state).await?;
        identity.check_csrf_header(&parts.headers)?;
        Ok(ApiWrite(identity))
    }
}

/// A page's form from a signed-in caller whose `csrf` field is their
/// session's token. Unknown callers go to the login page, as on any page.
pub struct SignedForm<T> {
    pub identity: Identity,
    pub form: T,
}

impl<T> FromRequest<AppState> for SignedForm<T>
where
    T: DeserializeOwned + CsrfField + Send,
{
    type Rejection = PageRejection;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, PageRejection> {
        let (mut parts, body) = req.into_parts();
        let PageUser(identity) = PageUser::from_request_parts(&mut parts, state).await?;
        let req = Request::from_parts(parts, body);
        let form = read_form(Form::<T>::from_request(req, state).await)
            .map_err(|PageError(e)| PageRejection::Page(e))?;
        identity
            .check_csrf(Some(form.csrf()).filter(|p| !p.is_empty()))
            .map_err(PageRejection::Page)?;
        Ok(Self { identity, form })
    }
}

/// A form used before a session exists (log in, sign up): its `csrf` field
/// equals the pre-session cookie and is a value this server signed.
pub struct PreSessionForm<T>(pub T);

impl<T> FromRequest<AppState> for PreSessionForm<T>
where
    T: DeserializeOwned + CsrfField + Send,
{
    type Rejection = PageError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, PageError> {
        let cookie = auth::request_cookie(req.headers(), PRE_SESSION_CSRF_COOKIE);
        let form = read_form(Form::<T>::from_request(req, state).await)?;
        if state.pre_session.verify(cookie.as_deref(), form.csrf()) {
            Ok(Self(form))
        } else {
            Err(PageError(AppError::csrf()))
        }
    }
}

/// The caller of a multipart upload. Its token may come as `X-CSRF-Token` or
/// as a `csrf` field before the files; the upload reads the parts as they
/// stream in, so the check ends there: [`MultipartWrite::require`] refuses
/// every file until a valid token was seen, and the end of a body without one.
pub struct MultipartWrite {
    pub identity: Identity,
    passed: bool,
}

impl FromRequestParts<AppState> for MultipartWrite {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        let ApiUser(identity) = ApiUser::from_request_parts(parts, state).await?;
        let passed = identity.check_csrf_header(&parts.headers).is_ok();
        Ok(Self { identity, passed })
    }
}

impl MultipartWrite {
    /// Whether a valid token was seen: a part named `csrf` is worth reading.
    pub fn passed(&self) -> bool {
        self.passed
    }

    /// A `csrf` part's value.
    pub fn present(&mut self, token: &str) {
        if !self.passed {
            self.passed = self.identity.check_csrf(Some(token.trim())).is_ok();
        }
    }

    pub fn require(&self) -> Result<(), AppError> {
        if self.passed {
            Ok(())
        } else {
            Err(AppError::csrf())
        }
    }
}

/// A form body, or the page error for one that cannot be read.
pub(crate) fn read_form<T>(form: Result<Form<T>, FormRejection>) -> Result<T, PageError> {
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
