//! The data-rights JSON API: `DELETE /api/v1/recordings/{id}`,
//! `GET /api/v1/me/export` and `DELETE /api/v1/me`.

use axum::Json;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum_extra::extract::cookie::CookieJar;
use serde::{Deserialize, Serialize};

use super::{export, service};
use crate::accounts::auth::ApiUser;
use crate::accounts::csrf::ApiWrite;
use crate::app::AppState;
use crate::error::AppError;

/// What deleting a recording did.
#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = RecordingDeleted)]
pub struct RecordingDeletedJson {
    pub id: String,
    /// `true` when the caller was its last owner: the file and analysis are
    /// gone too. Otherwise other users still have it, as theirs.
    pub deleted_everywhere: bool,
}

#[utoipa::path(delete, path = "/api/v1/recordings/{id}", tag = "recordings",
    summary = "Delete a recording from the caller's library (the file and analysis go once no owner is left)",
    params(crate::openapi::IdParam),
    responses(
        (status = 200, body = RecordingDeletedJson),
        (status = 404, description = "No such recording of the caller's", body = crate::error::Body),
    ))]
pub async fn delete_recording(
    State(state): State<AppState>,
    ApiWrite(identity): ApiWrite,
    Path(id): Path<String>,
) -> Result<Json<RecordingDeletedJson>, AppError> {
    let removal = service::delete_recording(&state, identity.user.id, &id).await?;
    Ok(Json(RecordingDeletedJson {
        id: removal.recording.to_string(),
        deleted_everywhere: removal.deleted_everywhere,
    }))
}

/// Bytes read from the export file per chunk of the response.
const CHUNK: usize = 64 * 1024;

#[utoipa::path(get, path = "/api/v1/me/export", tag = "accounts",
    summary = "A zip of everything the caller owns (layout: docs/data-rights.md)",
    responses((status = 200, description = "The zip", content_type = "application/zip")))]
pub async fn export(
    State(state): State<AppState>,
    ApiUser(identity): ApiUser,
) -> Result<Response, AppError> {
    let file = export::write_export(
        &state.store,
        &state.objects,
        &identity.user,
        state.clock.now(),
    )
    .await
    .map_err(AppError::internal)?;
    let length = file.metadata().map_err(AppError::internal)?.len();
    let file = tokio::fs::File::from_std(file);
    let stream = futures_util::stream::unfold(file, |mut file| async move {
        use tokio::io::AsyncReadExt;
        let mut buf = vec![0; CHUNK];
        match file.read(&mut buf).await {
            Ok(0) => None,
            Ok(n) => {
                buf.truncate(n);
                Some((Ok::<_, std::io::Error>(buf), file))
            }
            Err(e) => Some((Err(e), file)),
        }
    });
    let name = format!(
        "attachment; filename=\"filmroom-export-{}.zip\"",
        identity.user.username.as_str()
    );
    Ok((
        [
            (header::CONTENT_TYPE, "application/zip".to_owned()),
            (header::CONTENT_DISPOSITION, name),
            (header::CONTENT_LENGTH, length.to_string()),
            (header::CACHE_CONTROL, "no-store".to_owned()),
        ],
        Body::from_stream(stream),
    )
        .into_response())
}

/// The confirmation an erasure needs.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = EraseAccount)]
pub struct EraseAccountJson {
    /// The account's current password.
    pub password: String,
}

/// What erasing the account did.
#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = AccountErased)]
pub struct AccountErasedJson {
    /// Recordings only the caller owned: deleted with their files.
    pub recordings_deleted: u64,
    /// Recordings other users also own: they stay theirs.
    pub recordings_kept: u64,
}

#[utoipa::path(delete, path = "/api/v1/me", tag = "accounts",
    summary = "Erase the caller's account and everything only they own",
    request_body = EraseAccountJson,
    responses(
        (status = 200, body = AccountErasedJson),
        (status = 400, description = "The body is not valid", body = crate::error::Body),
        (status = 403, description = "The password is wrong: nothing was erased", body = crate::error::Body),
    ))]
pub async fn erase_me(
    State(state): State<AppState>,
    ApiWrite(identity): ApiWrite,
    body: Result<Json<EraseAccountJson>, axum::extract::rejection::JsonRejection>,
) -> Result<Response, AppError> {
    let Json(body) = body.map_err(AppError::from_json_rejection)?;
    match service::erase_own_account(&state, &identity.user, &body.password).await? {
        Ok(erasure) => Ok((
            CookieJar::new().add(crate::accounts::service::end_session_cookie(&state)),
            Json(AccountErasedJson {
                recordings_deleted: erasure.recordings_deleted,
                recordings_kept: erasure.recordings_kept,
            }),
        )
            .into_response()),
        Err(service::WrongPassword) => Err(AppError::new(
            StatusCode::FORBIDDEN,
            "wrong_password",
            "The password is wrong; nothing was erased.",
        )),
    }
}
