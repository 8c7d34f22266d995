//! The data-rights forms: deleting a recording from its page and erasing the
//! account from the account page, each behind an explicit confirmation.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use axum_extra::extract::cookie::CookieJar;
use serde::Deserialize;

use super::service;
use crate::accounts::csrf::{CsrfField, SignedForm};
use crate::app::AppState;
use crate::error::AppError;
use crate::pages::PageResult;

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct DeleteRecordingForm {
    /// The "yes, delete it" checkbox; a browser sends nothing when unticked.
    pub confirm: Option<String>,
    pub csrf: String,
}

impl CsrfField for DeleteRecordingForm {
    fn csrf(&self) -> &str {
        &self.csrf
    }
}

pub async fn delete_recording(
    State(state): State<AppState>,
    Path(id): Path<String>,
    SignedForm { identity, form }: SignedForm<DeleteRecordingForm>,
) -> PageResult {
    if form.confirm.as_deref() != Some("yes") {
        return Err(AppError::bad_request(
            "not_confirmed",
            "Tick the box to confirm the deletion; nothing was deleted.",
        )
        .into());
    }
    service::delete_recording(&state, identity.user.id, &id).await?;
    Ok(Redirect::to("/games?deleted=1").into_response())
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct EraseAccountForm {
    pub password: String,
    pub csrf: String,
}

impl CsrfField for EraseAccountForm {
    fn csrf(&self) -> &str {
        &self.csrf
    }
}

pub async fn erase_account(
    State(state): State<AppState>,
    SignedForm { identity, form }: SignedForm<EraseAccountForm>,
) -> PageResult {
    match service::erase_own_account(&state, &identity.user, &form.password).await? {
        Ok(_) => Ok((
            CookieJar::new().add(crate::accounts::service::end_session_cookie(&state)),
            Redirect::to("/login"),
        )
            .into_response()),
        Err(service::WrongPassword) => {
            let page = crate::accounts::pages::account(
                &state,
                &identity,
                None,
                None,
                Some("The password is wrong; your account was not deleted.".to_owned()),
            )
            .await?;
            Ok((StatusCode::FORBIDDEN, page).into_response())
        }
    }
}
