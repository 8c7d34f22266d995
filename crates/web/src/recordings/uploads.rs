//! `POST /api/v1/recordings` and `POST /api/v1/replays`: many files of any
//! registered kind in one multipart request.
//!
//! Each file streams to a temporary file in the data directory (hashed as it
//! arrives; its domain recognized from its name and first bytes, then its
//! size and the length it declares checked per chunk: see
//! [`super::recognize`]), so memory stays small whatever the batch. Only the
//! domain's quick head check runs before storing.
//! Nothing is stored until every file of the batch has been checked and the
//! owner's storage quota allows it, so a bad file leaves no object, no row and
//! no job behind; temporary files go on every path (errors, a client that
//! disconnects). A full queue mid-batch keeps the files already stored (each
//! is a complete upload) and refuses the rest with 503.
//!
//! On `POST /api/v1/recordings` every file is received and checked first,
//! then companion files (a talk's transcript) are paired with the recording
//! of the same name ([`super::companions`]) and each recording is stored with
//! its companions or refused on its own line, against the storage quota and
//! the plan's daily limits for its kind ([`super::daily`]).
//!
//! Results are per owner: uploading bytes someone else already uploaded looks
//! like a first upload (`newly_stored`, a job id of one's own).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use axum::Json;
use axum::extract::State;
use axum::extract::multipart::{Field, Multipart, MultipartError};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use filmroom_domain::{Kind, Registry};
use filmroom_store::{
    NewCompanion, NewUpload, Sha256Hex, Sha256Stream, StoreError, UploadExtras, UserId,
};
use serde::Serialize;
use tempfile::NamedTempFile;
use tokio::io::AsyncWriteExt;
use tokio::sync::{Mutex, OwnedSemaphorePermit, Semaphore};

use super::companions;
use super::recognize::{Recognized, Refusal, Sniffer};
use crate::accounts::csrf::MultipartWrite;
use crate::app::AppState;
use crate::config::{Config, LimitsConfig};
use crate::error::AppError;

/// Longest filename kept (in characters); longer names are cut, not refused.
const MAX_FILENAME_CHARS: usize = 255;

/// Seconds a client refused for lack of upload room is asked to wait.
const BUSY_RETRY_AFTER_SECS: u64 = 10;

/// What all uploads of this process share: the room for bytes in flight,
/// where files wait while their batch is checked, and the lock under which a
/// batch is checked against its owner's quota and stored.
pub struct UploadGate {
    /// One permit per byte received and not yet stored or refused.
    room: Arc<Semaphore>,
    tmp_dir: PathBuf,
    /// Held from the quota check to the last row of a batch, so two batches
    /// of one user cannot both pass the same check. Storing is quick (a
    /// rename and a row per file); receiving, the slow part, is outside it.
    commit: Mutex<()>,
}

/// A temporary upload file this old belongs to a process that was killed
/// mid-upload: no upload takes that long.
const STALE_TEMP_FILE: Duration = Duration::from_secs(24 * 60 * 60);

impl UploadGate {
    /// Also removes the temporary files that killed processes left behind
    /// (those older than a day: other processes sharing the data directory
    /// may be receiving uploads right now).
    pub fn new(config: &Config) -> Self {
        let tmp_dir = config.storage.data_dir.join("tmp");
        let removed = remove_stale_temp_files(&tmp_dir, SystemTime::now());
        if removed > 0 {
            tracing::info!(removed, "removed upload files left by a killed process");
        }
        let room = config
            .limits
            .max_concurrent_upload_bytes
            .min(Semaphore::MAX_PERMITS);
        Self {
            room: Arc::new(Semaphore::new(room)),
            // Beside the objects in the default layout, so storing a file is
            // a rename, not a copy.
            tmp_dir,
            commit: Mutex::new(()),
        }
    }

    async fn temp_file(&self) -> Result<NamedTempFile, AppError> {
        let dir = self.tmp_dir.clone();
        tokio::task::spawn_blocking(move || {
            std::fs::create_dir_all(&dir)?;
            tempfile::Builder::new().prefix("upload-").tempfile_in(&dir)
        })
        .await
        .map_err(AppError::internal)?
        .map_err(AppError::internal)
    }
}

/// Removes `upload-*` files older than [`STALE_TEMP_FILE`] at `now`;
/// returns how many. A directory that cannot be read has nothing to remove.
fn remove_stale_temp_files(dir: &Path, now: SystemTime) -> usize {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    entries
        .filter_map(Result::ok)
        .filter(|entry| entry.file_name().to_string_lossy().starts_with("upload-"))
        .filter(|entry| {
            entry
                .metadata()
                .and_then(|m| m.modified())
                .is_ok_and(|modified| {
                    now.duration_since(modified)
                        .is_ok_and(|age| age > STALE_TEMP_FILE)
                })
        })
        .filter(|entry| std::fs::remove_file(entry.path()).is_ok())
        .count()
}

/// The upload room one request holds: taken chunk by chunk as bytes arrive
/// (a declared length could lie), given back when the request ends.
#[derive(Default)]
pub(super) struct Room(Option<OwnedSemaphorePermit>);

impl Room {
    pub(super) fn take(&mut self, gate: &UploadGate, bytes: usize) -> Result<(), AppError> {
        let Ok(bytes) = u32::try_from(bytes) else {
            return Err(busy());
        };
        let permit = gate
            .room
            .clone()
            .try_acquire_many_owned(bytes)
            .map_err(|_| busy())?;
        match &mut self.0 {
            Some(held) => held.merge(permit),
            None => self.0 = Some(permit),
        }
        Ok(())
    }
}

fn busy() -> AppError {
    AppError::new(
        StatusCode::SERVICE_UNAVAILABLE,
        "server_busy",
        "The server is receiving too many uploads right now; try again shortly.",
    )
    .with_retry_after(BUSY_RETRY_AFTER_SECS)
}

/// The stored replays of a batch.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[schema(as = Uploads)]
pub struct UploadResponse {
    pub uploads: Vec<UploadedFile>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[schema(as = Upload)]
pub struct UploadedFile {
    pub filename: String,
    pub game_id: String,
    pub sha256: String,
    pub size_bytes: u64,
    /// `false` when you had already uploaded the same bytes: your existing
    /// game is returned. Whether anyone else has them is never shown.
    pub newly_stored: bool,
    /// The analysis job of a game new to you, by the id you know it by.
    pub job_id: Option<String>,
}

/// A file received whole and checked, waiting for the rest of its batch.
struct Staged {
    filename: String,
    kind: Kind,
    /// Removed when dropped, unless storing took it over.
    temp: NamedTempFile,
    sha256: Sha256Hex,
    size: u64,
    /// The recording's length, seconds, when its domain could tell.
    length_s: Option<f64>,
}

#[utoipa::path(post, path = "/api/v1/replays", tag = "recordings",
    summary = "Upload Rocket League replays; one bad file refuses the whole batch",
    description = "Each file is checked (size, replay header) before anything is stored. A file already \
        stored returns its existing game. With the session cookie, send the CSRF token as X-CSRF-Token \
        or as a `csrf` field before the files; a request that accepts text/html is redirected to \
        /uploads (the plain HTML form).",
    request_body(content = crate::openapi::UploadForm, content_type = "multipart/form-data"),
    responses(
        (status = 200, body = UploadResponse),
        (status = 303, description = "Stored, for the HTML form: see /uploads"),
        (status = 400, description = "Not a multipart body, or no file in it", body = crate::error::Body),
        (status = 413, description = "A file or the batch is too large, too many files, or over the \
            caller's storage quota", body = crate::error::Body),
        (status = 422, description = "A file is not a replay (`not_a_replay`, `trailing_bytes`)", body = crate::error::Body),
    ))]
pub async fn upload_replays(
    State(state): State<AppState>,
    writer: MultipartWrite,
    headers: HeaderMap,
    multipart: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> Result<Response, AppError> {
    let identity = writer.identity.clone();
    let (mut batch, mut multipart) = Batch::open(writer, multipart, "replay")?;
    let limits = &state.config.limits;

    let mut room = Room::default();
    let mut files = Vec::new();
    while let Some(mut field) = multipart.next_field().await.map_err(multipart_error)? {
        let Some(filename) = batch.file_name(&mut field, limits).await? else {
            continue;
        };
        let receiving = Receiving {
            gate: &state.uploads,
            domains: &state.domains,
            limits,
            unrecognized_code: REPLAYS_UNRECOGNIZED_CODE,
        };
        let file = receive(&receiving, &mut field, filename, &mut room)
            .await
            .map_err(Received::into_error)?;
        files.push(file);
    }
    batch.finish()?;

    let uploads = {
        let _commit = state.uploads.commit.lock().await;
        check_quota(&state, identity.user.id, &files).await?;
        check_daily(&state, identity.user.id, &files).await?;
        let mut uploads = Vec::with_capacity(files.len());
        for file in files {
            uploads.push(store_one(&state, identity.user.id, file, &[]).await?);
        }
        uploads
    };
    drop(room);
    state.wake.notify_waiters();
    state.job_feed.job_changed();
    if accepts_html(&headers) {
        return Ok(Redirect::to("/uploads").into_response());
    }
    Ok((StatusCode::OK, Json(UploadResponse { uploads })).into_response())
}

/// Whether the request came from the page's plain HTML form.
fn accepts_html(headers: &HeaderMap) -> bool {
    headers
        .get(axum::http::header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("text/html"))
}

/// What both upload routes check of a multipart batch, part by part: the
/// CSRF token (a header from scripts, or a `csrf` field before the files from
/// the plain HTML form: see [`MultipartWrite`]), the number of files, and
/// that there was a file.
struct Batch {
    csrf: MultipartWrite,
    files: usize,
    /// What the files are called in messages: "replay" or "recording".
    noun: &'static str,
}

impl Batch {
    fn open(
        csrf: MultipartWrite,
        multipart: Result<Multipart, axum::extract::multipart::MultipartRejection>,
        noun: &'static str,
    ) -> Result<(Self, Multipart), AppError> {
        let multipart = multipart.map_err(|e| {
            AppError::bad_request(
                "malformed_multipart",
                format!("Send the {noun}s as multipart/form-data: {e}"),
            )
        })?;
        let batch = Self {
            csrf,
            files: 0,
            noun,
        };
        Ok((batch, multipart))
    }

    /// The cleaned name of a file part, or `None` for another part (a `csrf`
    /// field is checked on the way). Refuses a file before a valid token and
    /// one file more than a batch may hold.
    async fn file_name(
        &mut self,
        field: &mut Field<'_>,
        limits: &LimitsConfig,
    ) -> Result<Option<String>, AppError> {
        let Some(raw_name) = field.file_name().map(str::to_owned) else {
            if field.name() == Some("csrf") && !self.csrf.passed() {
                // A token is 64 hex digits: anything much longer is not one.
                let mut token = Vec::new();
                while let Some(chunk) = field.chunk().await.map_err(multipart_error)? {
                    token.extend_from_slice(&chunk);
                    if token.len() > 1024 {
                        return Err(AppError::csrf());
                    }
                }
                self.csrf.present(&String::from_utf8_lossy(&token));
            }
            return Ok(None);
        };
        self.csrf.require()?;
        if self.files >= limits.max_files_per_batch {
            return Err(AppError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "too_many_files",
                format!(
                    "At most {} files can be uploaded at once.",
                    limits.max_files_per_batch
                ),
            ));
        }
        self.files += 1;
        Ok(Some(clean_filename(&raw_name)))
    }

    /// At the end of the body: a batch without a valid token or a file.
    fn finish(&self) -> Result<(), AppError> {
        self.csrf.require()?;
        if self.files == 0 {
            return Err(AppError::bad_request(
                "no_files",
                format!(
                    "The request contains no files: send each {} as a multipart file field.",
                    self.noun
                ),
            ));
        }
        Ok(())
    }
}

/// Errors of storing one checked file of a `POST /api/v1/recordings` batch
/// that belong to that file: it is refused with its own error and the rest
/// of the batch goes on, as with a file refused while it is received.
/// Anything else (the request is malformed or too large, the server is busy
/// or failing) ends the whole request.
const PER_FILE_CODES: [&str; 3] = ["storage_quota_exceeded", "queue_full", super::daily::CODE];

/// A file no registered domain recognizes, on `POST /api/v1/recordings`.
const UNRECOGNIZED_CODE: &str = "unrecognized_file";

/// The same on `POST /api/v1/replays`, whose clients have always been told
/// `not_a_replay` for a file it cannot take.
const REPLAYS_UNRECOGNIZED_CODE: &str = "not_a_replay";

/// The outcome of each file of a batch.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[schema(as = RecordingsUpload)]
pub struct RecordingsUploadResponse {
    /// One entry per file, in the order they were sent.
    pub recordings: Vec<FileOutcome>,
    pub stored: usize,
    pub refused: usize,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum FileOutcome {
    Stored {
        filename: String,
        recording_id: String,
        kind: String,
        sha256: String,
        size_bytes: u64,
        /// `false` when you had already uploaded the same bytes.
        newly_stored: bool,
        /// The analysis job of a recording new to you, by the id you know it by.
        job_id: Option<String>,
    },
    Refused {
        filename: String,
        error: FileError,
    },
    /// A companion file (a transcript) stored with the recording it goes
    /// with, sent in the same batch.
    Attached {
        filename: String,
        recording_id: String,
        /// What it is for (`transcript`).
        purpose: String,
    },
}

/// Why one file was refused.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct FileError {
    pub code: &'static str,
    pub message: String,
}

/// `POST /api/v1/recordings`: many files of any registered kind, each
/// recognized by its domain and stored or refused on its own. A refused file
/// leaves nothing behind; the good files of the batch are stored. Answers
/// 200 when any file was stored, 422 when every file was refused, with the
/// outcome of each file either way.
#[utoipa::path(post, path = "/api/v1/recordings", tag = "recordings",
    summary = "Upload recordings of any registered kind; each file is stored or refused on its own",
    description = "With the session cookie, send the CSRF token as X-CSRF-Token or as a `csrf` field \
        before the files.",
    request_body(content = crate::openapi::UploadForm, content_type = "multipart/form-data"),
    responses(
        (status = 200, description = "At least one file was stored", body = RecordingsUploadResponse),
        (status = 303, description = "Stored, for the HTML form (a request that accepts text/html): see /uploads"),
        (status = 422, description = "Every file was refused, each with its own error", body = RecordingsUploadResponse),
        (status = 429, description = "Every file was refused and a daily limit of the caller's plan \
            refused some (`daily_limit_reached`): Retry-After says when the limits reset",
            body = RecordingsUploadResponse, headers(("Retry-After" = u64, description = "Seconds to wait"))),
        (status = 400, description = "Not a multipart body, or no file in it", body = crate::error::Body),
        (status = 413, description = "The batch is too large, or too many files", body = crate::error::Body),
    ))]
pub async fn upload_recordings(
    State(state): State<AppState>,
    writer: MultipartWrite,
    headers: HeaderMap,
    multipart: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> Result<Response, AppError> {
    let identity = writer.identity.clone();
    let (mut batch, mut multipart) = Batch::open(writer, multipart, "recording")?;
    let limits = &state.config.limits;
    let owner = identity.user.id;

    // Every part is received and checked first; companions then pair with
    // their recordings, and only then is anything stored.
    let mut room = Room::default();
    let mut parts: Vec<(String, Part)> = Vec::new();
    while let Some(mut field) = multipart.next_field().await.map_err(multipart_error)? {
        let Some(filename) = batch.file_name(&mut field, limits).await? else {
            continue;
        };
        // What is left of a refused file's part is skipped by the next
        // `next_field`; its temporary file is gone with its `Staged`.
        let received = match companions::companion_extension(&state.domains, &filename) {
            Some(extension) => companions::receive(
                &state.uploads,
                &state.domains,
                u64::try_from(limits.max_file_bytes).unwrap_or(u64::MAX),
                &mut field,
                filename.clone(),
                extension,
                &mut room,
            )
            .await
            .map(Part::Companion),
            None => {
                let receiving = Receiving {
                    gate: &state.uploads,
                    domains: &state.domains,
                    limits,
                    unrecognized_code: UNRECOGNIZED_CODE,
                };
                receive(&receiving, &mut field, filename.clone(), &mut room)
                    .await
                    .map(Part::Media)
            }
        };
        parts.push((
            filename,
            match received {
                Ok(part) => part,
                Err(Received::File(error)) => Part::Refused(error),
                Err(Received::Request(error)) => return Err(error),
            },
        ));
    }
    batch.finish()?;

    let mut outcomes: Vec<Option<FileOutcome>> = parts.iter().map(|_| None).collect();
    let mut paired = pair(&state.domains, &mut parts);
    let mut daily_retry: Option<u64> = None;
    for (index, (filename, part)) in parts.into_iter().enumerate() {
        let Part::Media(file) = part else {
            if let (Part::Refused(error), None) = (part, &outcomes[index]) {
                outcomes[index] = Some(refused_outcome(filename, error));
            }
            continue;
        };
        let attached = paired.remove(&index).unwrap_or_default();
        let kind = file.kind.to_string();
        let stored = store_checked(&state, owner, file, &attached)
            .await
            .map_err(|error| {
                if PER_FILE_CODES.contains(&error.code) {
                    Received::File(error)
                } else {
                    Received::Request(error)
                }
            });
        match stored {
            Ok(file) => {
                for companion in &attached {
                    outcomes[companion.index] = Some(FileOutcome::Attached {
                        filename: companion.file.filename.clone(),
                        recording_id: file.game_id.clone(),
                        purpose: companion.purpose.to_owned(),
                    });
                }
                outcomes[index] = Some(FileOutcome::Stored {
                    filename: file.filename,
                    recording_id: file.game_id,
                    kind,
                    sha256: file.sha256,
                    size_bytes: file.size_bytes,
                    newly_stored: file.newly_stored,
                    job_id: file.job_id,
                });
            }
            Err(Received::File(error)) => {
                if error.code == super::daily::CODE {
                    daily_retry = daily_retry.max(error.retry_after);
                }
                for companion in &attached {
                    let message = format!(
                        "{:?} was not stored because {filename:?}, the recording it goes                          with, was refused.",
                        companion.file.filename
                    );
                    let error = AppError::new(error.status, error.code, message);
                    outcomes[companion.index] =
                        Some(refused_outcome(companion.file.filename.clone(), error));
                }
                outcomes[index] = Some(refused_outcome(filename, error));
            }
            Err(Received::Request(error)) => return Err(error),
        }
    }
    drop(room);
    let outcomes: Vec<FileOutcome> = outcomes.into_iter().flatten().collect();
    let stored = outcomes
        .iter()
        .filter(|o| matches!(o, FileOutcome::Stored { .. }))
        .count();
    if stored > 0 {
        state.wake.notify_waiters();
        state.job_feed.job_changed();
    }
    // When a daily limit kept everything out, waiting helps: 429 with the
    // time until the limits reset.
    let daily = daily_retry.filter(|_| stored == 0);
    let status = match (stored, daily) {
        (1.., _) => StatusCode::OK,
        (0, Some(_)) => StatusCode::TOO_MANY_REQUESTS,
        (0, None) => StatusCode::UNPROCESSABLE_ENTITY,
    };
    let refused = outcomes
        .iter()
        .filter(|o| matches!(o, FileOutcome::Refused { .. }))
        .count();
    let mut response = (
        status,
        Json(RecordingsUploadResponse {
            recordings: outcomes,
            stored,
            refused,
        }),
    )
        .into_response();
    if stored > 0 && accepts_html(&headers) {
        // The page's plain form (without JavaScript) goes back to the page.
        return Ok(Redirect::to("/uploads").into_response());
    }
    if let Some(seconds) = daily {
        response.headers_mut().insert(
            axum::http::header::RETRY_AFTER,
            axum::http::HeaderValue::from(seconds),
        );
    }
    Ok(response)
}

/// One file part of a `POST /api/v1/recordings` batch once received.
enum Part {
    Media(Staged),
    Companion(companions::StagedCompanion),
    Refused(AppError),
    /// A companion moved to the recording it goes with.
    Taken,
}

/// A companion going with a recording of the batch.
struct Attached {
    /// Its place in the batch.
    index: usize,
    purpose: &'static str,
    file: companions::StagedCompanion,
}

fn refused_outcome(filename: String, error: AppError) -> FileOutcome {
    tracing::info!(
        code = error.code,
        error = ?error.source,
        file = %filename,
        "refused one file of a batch"
    );
    FileOutcome::Refused {
        filename,
        error: FileError {
            code: error.code,
            message: error.message,
        },
    }
}

/// What becomes of one companion of a batch.
enum Pairing {
    /// It goes with the recording at this place, for this purpose.
    With(usize, &'static str),
    /// It is refused; the recording at the place, if any, with it.
    Refused(AppError, Option<usize>),
}

fn unprocessable(code: &'static str, message: String) -> AppError {
    AppError::new(StatusCode::UNPROCESSABLE_ENTITY, code, message)
}

/// Decides one companion's pairing (the rule is in [`companions`]).
fn pairing(domains: &Registry, parts: &[(String, Part)], index: usize) -> Pairing {
    let (name, Part::Companion(companion)) = &parts[index] else {
        return Pairing::Refused(companions::without_media(&parts[index].0), None);
    };
    let stem = companions::stem(name);
    let media: Vec<usize> = parts
        .iter()
        .enumerate()
        .filter(|(_, (other, part))| {
            !matches!(part, Part::Companion(_) | Part::Taken)
                && companions::companion_extension(domains, other).is_none()
                && companions::stem(other) == stem
        })
        .map(|(i, _)| i)
        .collect();
    let [one] = media.as_slice() else {
        let error = if media.is_empty() {
            companions::without_media(name)
        } else {
            unprocessable(
                "ambiguous_companion",
                format!(
                    "{name:?} could go with more than one recording named {stem:?}: give \
                     each recording its own name."
                ),
            )
        };
        return Pairing::Refused(error, None);
    };
    let (media_name, media_part) = &parts[*one];
    let Some(domain) = (match media_part {
        Part::Media(staged) => domains.get(&staged.kind),
        _ => None,
    }) else {
        return Pairing::Refused(
            unprocessable(
                "recording_refused",
                format!(
                    "{name:?} was not stored because {media_name:?}, the recording it goes \
                     with, was refused."
                ),
            ),
            None,
        );
    };
    match companions::check(domain, media_name, companion) {
        Ok(purpose) => Pairing::With(*one, purpose),
        // A recording whose companion cannot be read is refused with it:
        // storing the media alone would drop what was sent with it.
        Err(error) if error.code == companions::UNREADABLE => Pairing::Refused(error, Some(*one)),
        Err(error) => Pairing::Refused(error, None),
    }
}

/// Pairs each companion with its recording, by their places in the batch,
/// and refuses what cannot pair. A recording sent with two companions of
/// one purpose is refused with them: which one was meant is not clear.
fn pair(domains: &Registry, parts: &mut [(String, Part)]) -> HashMap<usize, Vec<Attached>> {
    let decisions: Vec<(usize, Pairing)> = (0..parts.len())
        .filter(|i| matches!(parts[*i].1, Part::Companion(_)))
        .map(|i| (i, pairing(domains, parts, i)))
        .collect();
    let mut wanted: HashMap<usize, Vec<(usize, &'static str)>> = HashMap::new();
    let refuse = |parts: &mut [(String, Part)], at: usize, error: &AppError| {
        parts[at].1 = Part::Refused(AppError::new(
            error.status,
            error.code,
            error.message.clone(),
        ));
    };
    for (index, decision) in decisions {
        match decision {
            Pairing::With(media, purpose) => {
                wanted.entry(media).or_default().push((index, purpose))
            }
            Pairing::Refused(error, media) => {
                if let Some(media) = media {
                    refuse(parts, media, &error);
                }
                refuse(parts, index, &error);
            }
        }
    }
    let mut paired = HashMap::new();
    for (media, companions) in wanted {
        let duplicate = companions
            .iter()
            .enumerate()
            .find(|(i, (_, purpose))| companions[..*i].iter().any(|(_, p)| p == purpose));
        let error = match (&parts[media].1, duplicate) {
            (Part::Refused(error), _) => Some(unprocessable(
                error.code,
                format!(
                    "Not stored because {:?}, the recording it goes with, was refused.",
                    parts[media].0
                ),
            )),
            (_, Some((_, (_, purpose)))) => Some(unprocessable(
                "duplicate_companion",
                format!(
                    "{:?} came with more than one {purpose}: send one, so it is clear which \
                     to use. Nothing of it was stored.",
                    parts[media].0
                ),
            )),
            _ => None,
        };
        if let Some(error) = error {
            if duplicate.is_some() {
                refuse(parts, media, &error);
            }
            for (index, _) in &companions {
                refuse(parts, *index, &error);
            }
            continue;
        }
        let attached = companions
            .into_iter()
            .filter_map(|(index, purpose)| {
                match std::mem::replace(&mut parts[index].1, Part::Taken) {
                    Part::Companion(file) => Some(Attached {
                        index,
                        purpose,
                        file,
                    }),
                    other => {
                        parts[index].1 = other;
                        None
                    }
                }
            })
            .collect();
        paired.insert(media, attached);
    }
    paired
}

/// Stores one checked file if the owner's plan can hold it: one file's quota
/// check and storing, under the commit lock so batches never race past it.
async fn store_checked(
    state: &AppState,
    owner: UserId,
    file: Staged,
    companions: &[Attached],
) -> Result<UploadedFile, AppError> {
    let _commit = state.uploads.commit.lock().await;
    check_quota(state, owner, std::slice::from_ref(&file)).await?;
    check_daily(state, owner, std::slice::from_ref(&file)).await?;
    store_one(state, owner, file, companions).await
}

/// Refuses files that would take the owner past their plan's daily limits
/// for their kind (see [`super::daily`]); a recording they already have
/// does not count again.
async fn check_daily(state: &AppState, owner: UserId, files: &[Staged]) -> Result<(), AppError> {
    for file in files {
        if !state
            .store
            .owns_recording_with_hash(owner, &file.sha256)
            .await?
        {
            super::daily::check(state, owner, file.kind.as_str(), file.length_s).await?;
        }
    }
    Ok(())
}

/// What receiving a file needs to know.
struct Receiving<'a> {
    gate: &'a UploadGate,
    domains: &'a Registry,
    limits: &'a LimitsConfig,
    /// The code of a file no domain recognizes (it differs per route).
    unrecognized_code: &'static str,
}

/// Why receiving a file failed: the file's own fault (on
/// `POST /api/v1/recordings` it is refused alone), or the request's.
pub(super) enum Received {
    File(AppError),
    Request(AppError),
}

impl Received {
    fn into_error(self) -> AppError {
        match self {
            Received::File(error) | Received::Request(error) => error,
        }
    }
}

impl From<AppError> for Received {
    fn from(error: AppError) -> Self {
        Received::Request(error)
    }
}

/// Streams one file part to a temporary file, checking it chunk by chunk:
/// the upload room, which domain it is, the size limit, the length its
/// first bytes declare (refusing bytes past it), and at the end its
/// domain's head check.
async fn receive(
    receiving: &Receiving<'_>,
    field: &mut Field<'_>,
    filename: String,
    room: &mut Room,
) -> Result<Staged, Received> {
    let temp = receiving.gate.temp_file().await?;
    let mut out = tokio::fs::File::from_std(temp.reopen().map_err(AppError::internal)?);
    let mut hash = Sha256Stream::new();
    let max_bytes = u64::try_from(receiving.limits.max_file_bytes).unwrap_or(u64::MAX);
    let mut sniffer = Sniffer::new(receiving.domains, &filename, max_bytes);
    let mut size = 0u64;
    while let Some(chunk) = field.chunk().await.map_err(multipart_error)? {
        room.take(receiving.gate, chunk.len())?;
        size = size.saturating_add(u64::try_from(chunk.len()).unwrap_or(u64::MAX));
        sniffer
            .feed(&chunk)
            .map_err(|refusal| refused(receiving, &filename, refusal))?;
        hash.update(&chunk);
        out.write_all(&chunk).await.map_err(AppError::internal)?;
    }
    // Writes finish before the file is renamed into place.
    out.flush().await.map_err(AppError::internal)?;
    drop(out);
    let Recognized { domain, prefix } = sniffer
        .finish()
        .map_err(|refusal| refused(receiving, &filename, refusal))?;
    let checker = domain.clone();
    let path = temp.path().to_path_buf();
    let (checked, length_s) = tokio::task::spawn_blocking(move || {
        let checked = checker.check_head(&prefix);
        // The length only of a file that passed: reading it may decode it.
        let length_s = checked
            .is_ok()
            .then(|| checker.declared_seconds(&path))
            .flatten();
        (checked, length_s)
    })
    .await
    .map_err(AppError::internal)?;
    if let Err(error) = checked {
        return Err(refused(
            receiving,
            &filename,
            Refusal::Unreadable {
                domain,
                error: Some(error),
            },
        ));
    }
    Ok(Staged {
        filename,
        kind: domain.kind(),
        temp,
        sha256: hash.finish(),
        size,
        length_s,
    })
}

/// The error a refused file gets: clear to its sender, the domain's own
/// reason kept for the logs.
fn refused(receiving: &Receiving<'_>, filename: &str, refusal: Refusal) -> Received {
    Received::File(match refusal {
        Refusal::Unrecognized => {
            let known: Vec<&str> = receiving
                .domains
                .domains()
                .map(|d| d.display_name())
                .collect();
            AppError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                receiving.unrecognized_code,
                format!(
                    "{filename:?} is not a kind of recording this server can analyse \
                     (it reads: {}).",
                    known.join(", ")
                ),
            )
        }
        Refusal::TooLarge { limit } => file_too_large(filename, limit),
        Refusal::TrailingBytes { domain, declared } => AppError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "trailing_bytes",
            format!(
                "{filename:?} goes on past the end of the {} it holds ({declared} bytes): \
                 upload the file as it was saved.",
                domain.display_name()
            ),
        ),
        Refusal::Unreadable { domain, error } => AppError {
            source: error.map(anyhow::Error::from),
            ..AppError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                domain.unreadable_code(),
                format!(
                    "{filename:?} is not a readable {} (or it is truncated).",
                    domain.display_name()
                ),
            )
        },
    })
}

pub(super) fn file_too_large(filename: &str, limit: u64) -> AppError {
    AppError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        "file_too_large",
        format!(
            "{filename:?} is larger than the {} limit for one file of its kind.",
            human_size(limit)
        ),
    )
}

/// `10 MB`, or `50 KB` for limits under a megabyte: decimal units, rounded
/// down, so a limit is never said to be more than it is.
pub(crate) fn human_size(bytes: u64) -> String {
    if bytes >= 1_000_000 {
        format!("{} MB", bytes / 1_000_000)
    } else {
        format!("{} KB", bytes / 1000)
    }
}

/// Refuses the batch when the owner's plan cannot hold it. Bytes the owner
/// already uploaded do not count twice; bytes someone else uploaded do count
/// (to this owner, it is their upload), though they are stored only once.
async fn check_quota(state: &AppState, owner: UserId, files: &[Staged]) -> Result<(), AppError> {
    let assigned = state.store.user_plan(owner).await?;
    // Without any plan configured there is nothing to enforce.
    let Some((plan_name, plan)) = state.config.plan(assigned.as_deref()) else {
        return Ok(());
    };
    if plan.storage_bytes == 0 {
        return Ok(());
    }
    let mut adding = 0u64;
    let mut seen = std::collections::HashSet::new();
    for file in files {
        if seen.insert(&file.sha256)
            && !state
                .store
                .owns_recording_with_hash(owner, &file.sha256)
                .await?
        {
            adding = adding.saturating_add(file.size);
        }
    }
    let used = state.store.storage_used(owner).await?;
    if used.saturating_add(adding) <= plan.storage_bytes {
        return Ok(());
    }
    let mb = |bytes: u64| bytes.div_ceil(1024 * 1024);
    Err(AppError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        "storage_quota_exceeded",
        format!(
            "These files need {} MB but the {plan_name} plan's {} MB of storage has {} MB left; nothing was stored.",
            mb(adding),
            mb(plan.storage_bytes),
            mb(plan.storage_bytes.saturating_sub(used)),
        ),
    ))
}

/// Puts a file's companions in object storage; returns the keys it wrote
/// (those to remove if the upload is refused after all).
async fn put_companions(
    state: &AppState,
    companions: &[Attached],
) -> Result<Vec<Sha256Hex>, AppError> {
    let mut written = Vec::new();
    for companion in companions {
        let put = async {
            if !state.objects.exists(&companion.file.sha256).await? {
                state
                    .objects
                    .put(&companion.file.sha256, &companion.file.bytes)
                    .await?;
                written.push(companion.file.sha256.clone());
            }
            Ok::<_, filmroom_store::objects::ObjectError>(())
        };
        if let Err(error) = put.await {
            remove_objects(state, &written).await;
            return Err(AppError::internal(error));
        }
    }
    Ok(written)
}

/// Removes objects nothing references (a refused upload's, a replaced
/// companion's); a failure only leaves an unused object behind.
async fn remove_objects(state: &AppState, keys: &[Sha256Hex]) {
    for key in keys {
        if let Err(e) = state.objects.delete(key).await {
            tracing::warn!(error = %e, "failed to remove an object nothing references");
        }
    }
}

async fn store_one(
    state: &AppState,
    owner: UserId,
    file: Staged,
    companions: &[Attached],
) -> Result<UploadedFile, AppError> {
    let sha256 = file.sha256;
    let existed = state
        .objects
        .exists(&sha256)
        .await
        .map_err(AppError::internal)?;
    if !existed {
        state
            .objects
            .put_file(&sha256, file.temp.path())
            .await
            .map_err(AppError::internal)?;
    }
    let written = match put_companions(state, companions).await {
        Ok(written) => written,
        Err(error) => {
            if !existed {
                remove_objects(state, std::slice::from_ref(&sha256)).await;
            }
            return Err(error);
        }
    };
    let upload = NewUpload {
        owner,
        sha256: sha256.clone(),
        size: file.size,
        original_filename: file.filename.clone(),
        kind: file.kind.clone(),
    };
    let extras = UploadExtras {
        companions: companions
            .iter()
            .map(|c| NewCompanion {
                purpose: c.purpose.to_owned(),
                extension: c.file.extension.clone(),
                sha256: c.file.sha256.clone(),
                size: u64::try_from(c.file.bytes.len()).unwrap_or(u64::MAX),
                original_filename: c.file.filename.clone(),
            })
            .collect(),
        length_s: file.length_s,
    };
    let now = state.clock.now();
    match state
        .store
        .add_upload_with(&upload, &extras, now, state.config.limits.max_queue_depth)
        .await
    {
        Ok(with) => {
            remove_objects(state, &with.orphaned).await;
            // A deletion of these bytes can finish just before this upload's
            // row is written (the store orders the two, see
            // `Store::purge_objects`): then the bytes go back from our copy.
            if existed
                && !state
                    .objects
                    .exists(&sha256)
                    .await
                    .map_err(AppError::internal)?
            {
                state
                    .objects
                    .put_file(&sha256, file.temp.path())
                    .await
                    .map_err(AppError::internal)?;
            }
            drop(file.temp);
            let outcome = with.upload;
            // A game new to this owner shows its job by the owner's own id,
            // even when another owner's upload created that job; one the
            // owner had shows the re-analysis a new companion queued.
            let job = match (outcome.new_for_owner, outcome.job) {
                (false, _) => with.reanalysis,
                (true, Some(job)) => Some(job),
                (true, None) => state
                    .store
                    .job_for_recording(outcome.recording)
                    .await?
                    .map(|job| job.id),
            };
            Ok(UploadedFile {
                filename: file.filename,
                game_id: outcome.recording.to_string(),
                sha256: sha256.as_str().to_owned(),
                size_bytes: file.size,
                newly_stored: outcome.new_for_owner,
                job_id: job.map(|j| j.as_seen_by(owner).to_string()),
            })
        }
        Err(error) => {
            // Nothing of a refused upload was stored, so the objects we just
            // wrote are referenced by nothing (those there before are kept).
            remove_objects(state, &written).await;
            if !existed && matches!(error, StoreError::QueueFull { .. }) {
                remove_objects(state, std::slice::from_ref(&sha256)).await;
            }
            Err(error.into())
        }
    }
}

pub(super) fn multipart_error(error: MultipartError) -> AppError {
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
