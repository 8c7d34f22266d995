//! `GET /api/v1/recordings/{id}/media`: the owner's original file, streamed
//! from object storage with HTTP ranges (RFC 9110 section 14), so a browser's
//! player starts at once and seeks without fetching what it skips. The
//! media type is the domain's ([`filmroom_domain::Domain::media_type`]);
//! a recording that is not media a browser plays answers 404 `no_media`.

use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use filmroom_domain::RECOGNITION_HEAD_BYTES;
use filmroom_store::RecordingSummary;
use futures_util::TryStreamExt;

use crate::app::AppState;
use crate::auth::ApiUser;
use crate::error::AppError;
use crate::owned::Owned;

/// What a `Range` header asks of a file of some size.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wanted {
    /// The whole file (no range, or one the server may ignore).
    Whole,
    /// Bytes `start..end` (half-open), within the file.
    Part { start: u64, end: u64 },
    /// A byte range that selects nothing of the file: 416.
    Unsatisfiable,
}

/// Reads a `Range` header value for a file of `size` bytes. One range is
/// served; several (rare from players) get the whole file, as the RFC
/// allows, and so do other units. A bytes range that is malformed or
/// lies past the end is unsatisfiable.
pub fn wanted(range: Option<&str>, size: u64) -> Wanted {
    let Some(range) = range else {
        return Wanted::Whole;
    };
    let Some(spec) = range.trim().strip_prefix("bytes=") else {
        return Wanted::Whole;
    };
    if spec.contains(',') {
        return Wanted::Whole;
    }
    let Some((first, last)) = spec.trim().split_once('-') else {
        return Wanted::Unsatisfiable;
    };
    let number = |text: &str| -> Option<u64> {
        let text = text.trim();
        if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        text.parse().ok()
    };
    let (start, end) = match (first.trim().is_empty(), last.trim().is_empty()) {
        // `bytes=-N`: the last N bytes.
        (true, false) => match number(last) {
            Some(0) | None => return Wanted::Unsatisfiable,
            Some(n) => (size.saturating_sub(n), size),
        },
        // `bytes=N-`: from N to the end.
        (false, true) => match number(first) {
            Some(start) => (start, size),
            None => return Wanted::Unsatisfiable,
        },
        (false, false) => match (number(first), number(last)) {
            (Some(start), Some(last)) if last >= start => (start, last.saturating_add(1).min(size)),
            _ => return Wanted::Unsatisfiable,
        },
        (true, true) => return Wanted::Unsatisfiable,
    };
    if start >= size {
        return Wanted::Unsatisfiable;
    }
    Wanted::Part { start, end }
}

/// The media type a recording is played as, from its domain and its
/// stored first bytes; `None`: not media.
pub async fn media_type(
    state: &AppState,
    recording: &RecordingSummary,
) -> Result<Option<&'static str>, AppError> {
    let Some(domain) = state.domains.get(&recording.kind) else {
        return Ok(None);
    };
    let head_len = u64::try_from(RECOGNITION_HEAD_BYTES).unwrap_or(u64::MAX);
    let Some(pieces) = state
        .objects
        .get_range(&recording.sha256, 0..head_len)
        .await
        .map_err(AppError::internal)?
    else {
        return Ok(None);
    };
    let head = pieces
        .try_fold(Vec::new(), |mut head, piece| async move {
            head.extend_from_slice(&piece);
            Ok(head)
        })
        .await
        .map_err(AppError::internal)?;
    Ok(domain.media_type(&recording.original_filename, &head))
}

fn no_media() -> AppError {
    AppError::new(
        StatusCode::NOT_FOUND,
        "no_media",
        "This recording is not audio or video that can be played.",
    )
}

fn header_value(text: String) -> Result<HeaderValue, AppError> {
    HeaderValue::from_str(&text).map_err(AppError::internal)
}

#[utoipa::path(get, path = "/api/v1/recordings/{id}/media", tag = "recordings",
    summary = "The recording's original file, for a media player",
    description = "Streams the owner's original file with its media type (`video/webm`, \
        `audio/wav`...). Honours one `Range: bytes=...` range (206 with `Content-Range`); \
        a range past the end answers 416. Only recordings that are audio or video have media.",
    params(crate::openapi::IdParam,
        ("Range" = Option<String>, Header, description = "One byte range, e.g. `bytes=0-1023`")),
    responses(
        (status = 200, description = "The whole file", content_type = "application/octet-stream", body = Vec<u8>),
        (status = 206, description = "The range asked for", content_type = "application/octet-stream", body = Vec<u8>),
        (status = 404, description = "No such recording of the caller's, or not media (`no_media`)", body = crate::error::Body),
        (status = 416, description = "The range selects nothing of the file", body = crate::error::Body),
    ))]
pub async fn media(
    State(state): State<AppState>,
    ApiUser(_identity): ApiUser,
    Owned(recording): Owned<RecordingSummary>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let Some(media_type) = media_type(&state, &recording).await? else {
        return Err(no_media());
    };
    let size = state
        .objects
        .size(&recording.sha256)
        .await
        .map_err(AppError::internal)?
        .ok_or_else(no_media)?;
    // Content-addressed: the hash names these bytes for ever.
    let etag = format!("\"{}\"", recording.sha256.as_str());
    let range = headers
        .get(header::RANGE)
        .and_then(|v| v.to_str().ok())
        // A range on a copy the client no longer holds: send it all.
        .filter(|_| {
            headers
                .get(header::IF_RANGE)
                .is_none_or(|v| v.as_bytes() == etag.as_bytes())
        });
    let (status, start, end) = match wanted(range, size) {
        Wanted::Whole => (StatusCode::OK, 0, size),
        Wanted::Part { start, end } => (StatusCode::PARTIAL_CONTENT, start, end),
        Wanted::Unsatisfiable => {
            let mut response = AppError::new(
                StatusCode::RANGE_NOT_SATISFIABLE,
                "bad_range",
                format!("The range asked for is not within the file's {size} bytes."),
            )
            .into_response();
            response.headers_mut().insert(
                header::CONTENT_RANGE,
                header_value(format!("bytes */{size}"))?,
            );
            return Ok(response);
        }
    };
    let pieces = state
        .objects
        .get_range(&recording.sha256, start..end)
        .await
        .map_err(AppError::internal)?
        .ok_or_else(no_media)?;
    let mut response = Response::new(Body::from_stream(pieces));
    *response.status_mut() = status;
    let out = response.headers_mut();
    out.insert(header::CONTENT_TYPE, HeaderValue::from_static(media_type));
    out.insert(
        header::CONTENT_LENGTH,
        header_value((end - start).to_string())?,
    );
    out.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    out.insert(header::ETAG, header_value(etag)?);
    out.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, max-age=3600"),
    );
    if status == StatusCode::PARTIAL_CONTENT {
        out.insert(
            header::CONTENT_RANGE,
            header_value(format!("bytes {start}-{}/{size}", end - 1))?,
        );
    }
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_byte_range_is_read_in_each_of_its_forms_and_clamped_to_the_file() {
        let size = 1000;
        assert_eq!(wanted(None, size), Wanted::Whole);
        assert_eq!(
            wanted(Some("bytes=0-99"), size),
            Wanted::Part { start: 0, end: 100 }
        );
        assert_eq!(
            wanted(Some("bytes=900-"), size),
            Wanted::Part {
                start: 900,
                end: 1000
            }
        );
        assert_eq!(
            wanted(Some("bytes=-10"), size),
            Wanted::Part {
                start: 990,
                end: 1000
            }
        );
        assert_eq!(
            wanted(Some("bytes=-5000"), size),
            Wanted::Part {
                start: 0,
                end: 1000
            }
        );
        assert_eq!(
            wanted(Some("bytes=990-5000"), size),
            Wanted::Part {
                start: 990,
                end: 1000
            }
        );
    }

    #[test]
    fn a_range_past_the_end_or_malformed_is_unsatisfiable_and_others_get_the_whole_file() {
        let size = 1000;
        for bad in [
            "bytes=1000-",
            "bytes=1000-1001",
            "bytes=5-2",
            "bytes=-0",
            "bytes=-",
            "bytes=x-5",
            "bytes=+1-5",
            "bytes=12",
        ] {
            assert_eq!(wanted(Some(bad), size), Wanted::Unsatisfiable, "{bad}");
        }
        assert_eq!(wanted(Some("bytes=0-"), 0), Wanted::Unsatisfiable);
        assert_eq!(wanted(Some("items=0-5"), size), Wanted::Whole);
        assert_eq!(wanted(Some("bytes=0-1,5-9"), size), Wanted::Whole);
    }
}
