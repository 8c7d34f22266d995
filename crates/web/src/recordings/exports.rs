//! Downloads of the caller's analyses: one recording as its domain's
//! exchange document (`GET /api/v1/recordings/{id}/export`; for Rocket
//! League, ballchasing.com's replay JSON) and the games list, with the list's
//! filters, as one CSV (`GET /api/v1/games/export.csv`; for Rocket League,
//! the players table of `filmroom analyze --format csv`). The domains write
//! both from their stored reports; this module only finds the rows, checks
//! ownership ([`Owned`]: another user's id answers 404) and sets the headers.

use axum::extract::{Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use filmroom_store::{RecordingFilter, RecordingSummary};

use super::service;
use crate::app::AppState;
use crate::auth::ApiUser;
use crate::dto::GamesQuery;
use crate::error::AppError;
use crate::owned::Owned;

/// Games read per store call while the CSV is built.
const CSV_PAGE: u32 = 500;

fn not_analysed() -> AppError {
    AppError::new(
        StatusCode::CONFLICT,
        "not_analysed",
        "This recording has not been analysed yet: its export comes when the analysis ends.",
    )
}

#[utoipa::path(get, path = "/api/v1/recordings/{id}/export", tag = "recordings",
    summary = "One recording's analysis as its domain's exchange document (a download)",
    description = "For `rl_replay`: ballchasing.com's `GET /api/replays/{id}` document, the one \
        `filmroom analyze --format ballchasing` prints.",
    params(crate::openapi::IdParam),
    responses(
        (status = 200, description = "The document, as an attachment", body = Object),
        (status = 404, description = "No such recording of the caller's, or its kind has no export (`no_export`)",
            body = crate::error::Body),
        (status = 409, description = "Not analysed yet (`not_analysed`)", body = crate::error::Body),
    ))]
pub async fn document(
    State(state): State<AppState>,
    ApiUser(identity): ApiUser,
    Owned(recording): Owned<RecordingSummary>,
) -> Result<Response, AppError> {
    let no_export = || {
        AppError::new(
            StatusCode::NOT_FOUND,
            "no_export",
            format!("{} recordings have no export.", recording.kind),
        )
    };
    let domain = state.domains.get(&recording.kind).ok_or_else(no_export)?;
    let format = domain.exchange_format().ok_or_else(no_export)?;
    let text = service::report(&state, identity.user.id, &recording)
        .await?
        .ok_or_else(not_analysed)?;
    let domain = domain.clone();
    // Parsing a report and writing another document is CPU work of tens of
    // milliseconds: off the async threads.
    let body = tokio::task::spawn_blocking(move || -> Result<Vec<u8>, AppError> {
        let report: serde_json::Value = serde_json::from_str(&text).map_err(AppError::internal)?;
        let document = domain
            .exchange_document(&report)
            .map_err(AppError::internal)?
            .ok_or_else(|| AppError::internal(anyhow::anyhow!("no exchange document")))?;
        serde_json::to_vec_pretty(&document).map_err(AppError::internal)
    })
    .await
    .map_err(AppError::internal)??;
    let filename = format!(
        "{}.{}.json",
        file_stem(&recording.original_filename),
        format.name
    );
    Ok(attachment("application/json", &filename, body))
}

#[utoipa::path(get, path = "/api/v1/games/export.csv", tag = "games",
    summary = "The caller's games, with the games list's filters, as one CSV (a download)",
    description = "Every game the filters match (`limit` and `offset` are ignored), in the list's \
        sort order: one row per player, the columns of `filmroom analyze --format csv` with the \
        uploaded file name in `file`. Games not analysed yet have no rows.",
    params(GamesQuery),
    responses(
        (status = 200, description = "The CSV, as an attachment", body = String, content_type = "text/csv"),
        (status = 400, description = "A filter is not valid (`invalid_query`)", body = crate::error::Body),
        (status = 404, description = "No kind of recording on this server has a table export (`no_export`)",
            body = crate::error::Body),
    ))]
pub async fn games_csv(
    State(state): State<AppState>,
    ApiUser(identity): ApiUser,
    query: Result<Query<GamesQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, AppError> {
    let Query(query) = query.map_err(|e| AppError::bad_request("invalid_query", e.body_text()))?;
    let mut filter: RecordingFilter = query.to_filter()?;
    // The games list is the view of the first registered domain with a
    // table (Rocket League): its columns head the file, and recordings of
    // other kinds, whose columns differ, are left out.
    let Some(domain) = state
        .domains
        .domains()
        .find(|d| !d.table_columns().is_empty())
        .cloned()
    else {
        return Err(AppError::new(
            StatusCode::NOT_FOUND,
            "no_export",
            "No kind of recording on this server has a table export.",
        ));
    };
    let kind = domain.kind();
    let mut writer = csv::Writer::from_writer(Vec::new());
    writer
        .write_record(domain.table_columns())
        .map_err(AppError::internal)?;
    filter.limit = CSV_PAGE;
    filter.offset = 0;
    loop {
        let games = state
            .store
            .list_recordings(identity.user.id, &filter)
            .await?;
        let mut reports = Vec::with_capacity(games.len());
        for game in games.iter().filter(|g| g.kind == kind) {
            if let Some(text) = service::report(&state, identity.user.id, game).await? {
                reports.push((game.original_filename.clone(), text));
            }
        }
        let domain = domain.clone();
        writer = tokio::task::spawn_blocking(move || -> Result<_, AppError> {
            for (file, text) in reports {
                let report: serde_json::Value =
                    serde_json::from_str(&text).map_err(AppError::internal)?;
                for row in domain
                    .table_rows(&file, &report)
                    .map_err(AppError::internal)?
                {
                    writer.write_record(&row).map_err(AppError::internal)?;
                }
            }
            Ok(writer)
        })
        .await
        .map_err(AppError::internal)??;
        if games.len() < CSV_PAGE as usize {
            break;
        }
        filter.offset = filter.offset.saturating_add(CSV_PAGE);
    }
    let body = writer.into_inner().map_err(AppError::internal)?;
    Ok(attachment("text/csv; charset=utf-8", "games.csv", body))
}

fn attachment(content_type: &'static str, filename: &str, body: Vec<u8>) -> Response {
    let disposition = HeaderValue::from_str(&format!("attachment; filename=\"{filename}\""))
        .unwrap_or(HeaderValue::from_static("attachment"));
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(content_type)),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        body,
    )
        .into_response()
}

/// The uploaded name without its extension, reduced to characters that are
/// safe in a header and in a file name on every system.
fn file_stem(original: &str) -> String {
    let stem = original.rsplit_once('.').map_or(original, |(s, _)| s);
    let cleaned: String = stem
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_') {
                c
            } else {
                '_'
            }
        })
        .take(100)
        .collect();
    if cleaned.is_empty() {
        "recording".to_owned()
    } else {
        cleaned
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::file_stem;

    #[test]
    fn download_names_keep_only_safe_characters() {
        assert_eq!(file_stem("My Game.replay"), "My_Game");
        assert_eq!(file_stem("a\"b\r\n.replay"), "a_b__");
        assert_eq!(file_stem(".replay"), "recording");
        assert_eq!(file_stem("noext"), "noext");
    }
}
