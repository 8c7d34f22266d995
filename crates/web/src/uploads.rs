//! `POST /api/v1/replays`: many replay files in one multipart request. Every
//! file is read under the size limit and its header parsed before anything is
//! stored, so a bad file leaves no object, no row and no job behind. The batch
//! is all or nothing up to storage; a full queue mid-batch keeps the files
//! already stored (each is a complete upload) and refuses the rest with 503.

use axum::Json;
use axum::extract::State;
use axum::extract::multipart::{Multipart, MultipartError};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use filmroom_store::{NewUpload, RecordingKind, Sha256Hex, StoreError};
use serde::Serialize;

use crate::app::AppState;
use crate::auth::ApiUser;
use crate::error::AppError;

/// Longest filename kept (in characters); longer names are cut, not refused.
const MAX_FILENAME_CHARS: usize = 255;

#[derive(Debug, Serialize)]
pub struct UploadResponse {
    pub uploads: Vec<UploadedFile>,
}

#[derive(Debug, Serialize)]
pub struct UploadedFile {
    pub filename: String,
    pub game_id: String,
    pub sha256: String,
    pub size_bytes: u64,
    /// `false` when the same bytes were already stored: the existing game is returned.
    pub newly_stored: bool,
    pub job_id: Option<String>,
}

struct Incoming {
    filename: String,
    bytes: Vec<u8>,
}

pub async fn upload_replays(
    State(state): State<AppState>,
    ApiUser(identity): ApiUser,
    headers: HeaderMap,
    multipart: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> Result<Response, AppError> {
    // Scripts send the token as a header; the plain HTML form (no JavaScript)
    // sends a `csrf` field, which must come before the files.
    let mut csrf_ok = identity.check_csrf_header(&headers).is_ok();
    let mut multipart = multipart.map_err(|e| {
        AppError::bad_request(
            "malformed_multipart",
            format!("Send the replays as multipart/form-data: {e}"),
        )
    })?;
    let limits = &state.config.limits;

    let mut files = Vec::new();
    while let Some(mut field) = multipart.next_field().await.map_err(multipart_error)? {
        let Some(raw_name) = field.file_name().map(str::to_owned) else {
            if field.name() == Some("csrf") && !csrf_ok {
                let token = field.text().await.map_err(multipart_error)?;
                csrf_ok = identity.check_csrf(Some(token.trim())).is_ok();
            }
            continue;
        };
        if !csrf_ok {
            return Err(AppError::csrf());
        }
        if files.len() >= limits.max_files_per_batch {
            return Err(AppError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "too_many_files",
                format!(
                    "At most {} files can be uploaded at once.",
                    limits.max_files_per_batch
                ),
            ));
        }
        let filename = clean_filename(&raw_name);
        let mut bytes = Vec::new();
        while let Some(chunk) = field.chunk().await.map_err(multipart_error)? {
            if bytes.len().saturating_add(chunk.len()) > limits.max_file_bytes {
                return Err(AppError::new(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "file_too_large",
                    format!(
                        "{filename:?} is larger than the {} MB limit for one file.",
                        limits.max_file_bytes / (1024 * 1024)
                    ),
                ));
            }
            bytes.extend_from_slice(&chunk);
        }
        // Checked as soon as it has arrived, so a bad file fails the batch
        // before the rest is read; nothing is stored until all are checked.
        files.push(validate(Incoming { filename, bytes }).await?);
    }
    if !csrf_ok {
        return Err(AppError::csrf());
    }
    if files.is_empty() {
        return Err(AppError::bad_request(
            "no_files",
            "The request contains no files: send each replay as a multipart file field.",
        ));
    }

    let mut uploads = Vec::with_capacity(files.len());
    for file in files {
        uploads.push(store_one(&state, &identity.user, file).await?);
    }
    state.wake.notify_waiters();
    state.job_feed.job_changed();
    let from_a_form = headers
        .get(axum::http::header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("text/html"));
    if from_a_form {
        return Ok(Redirect::to("/uploads").into_response());
    }
    Ok((StatusCode::OK, Json(UploadResponse { uploads })).into_response())
}

async fn store_one(
    state: &AppState,
    user: &filmroom_store::User,
    file: Incoming,
) -> Result<UploadedFile, AppError> {
    let sha256 = Sha256Hex::digest(&file.bytes);
    let size = u64::try_from(file.bytes.len()).unwrap_or(u64::MAX);
    let existed = state
        .objects
        .exists(&sha256)
        .await
        .map_err(AppError::internal)?;
    if !existed {
        state
            .objects
            .put(&sha256, &file.bytes)
            .await
            .map_err(AppError::internal)?;
    }
    let upload = NewUpload {
        owner: user.id,
        sha256: sha256.clone(),
        size,
        original_filename: file.filename.clone(),
        kind: RecordingKind::RocketLeagueReplay,
    };
    let now = state.clock.now();
    match state
        .store
        .add_upload(&upload, now, state.config.limits.max_queue_depth)
        .await
    {
        Ok(outcome) => Ok(UploadedFile {
            filename: file.filename,
            game_id: outcome.recording.to_string(),
            sha256: sha256.as_str().to_owned(),
            size_bytes: size,
            newly_stored: outcome.newly_stored,
            job_id: outcome.job.map(|j| j.to_string()),
        }),
        Err(error @ StoreError::QueueFull { .. }) => {
            // Only a recording that was not stored can be refused, so the object
            // we just wrote is referenced by nothing, unless it was there before.
            if !existed && let Err(e) = state.objects.delete(&sha256).await {
                tracing::warn!(error = %e, "failed to remove the object of a refused upload");
            }
            Err(error.into())
        }
        Err(error) => Err(error.into()),
    }
}

/// Parses the replay header (on the blocking pool: it is CPU work).
async fn validate(file: Incoming) -> Result<Incoming, AppError> {
    tokio::task::spawn_blocking(move || match filmroom_replay::inspect(&file.bytes) {
        Ok(_) => Ok(file),
        Err(error) => Err(AppError {
            source: Some(anyhow::Error::new(error)),
            ..AppError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "not_a_replay",
                format!(
                    "{:?} is not a readable Rocket League replay (or it is truncated).",
                    file.filename
                ),
            )
        }),
    })
    .await
    .map_err(AppError::internal)?
}

fn multipart_error(error: MultipartError) -> AppError {
    let status = error.status();
    if status == StatusCode::PAYLOAD_TOO_LARGE {
        AppError::new(
            status,
            "batch_too_large",
            "The upload is larger than the limit for one batch.",
        )
    } else {
        AppError::bad_request(
            "malformed_multipart",
            format!(
                "The multipart body could not be read: {}",
                error.body_text()
            ),
        )
    }
}

/// The name a user gave a file, kept only as data (objects are named by their
/// hash): control characters dropped, at most [`MAX_FILENAME_CHARS`] long.
pub fn clean_filename(raw: &str) -> String {
    let cleaned: String = raw
        .chars()
        .filter(|c| !c.is_control())
        .take(MAX_FILENAME_CHARS)
        .collect();
    if cleaned.trim().is_empty() {
        "unnamed.replay".to_owned()
    } else {
        cleaned
    }
}
