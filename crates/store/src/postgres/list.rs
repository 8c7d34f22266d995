//! A user's lists on PostgreSQL, read from their owner links and the
//! neutral rows: the recordings list of every kind (filters, sorts, offset
//! or cursor paging, its total) and the Rocket League games list (its rows,
//! count and filter choices). Both read the owner's stored "me" and outcome.
//!
//! The SQL is plain: a filter on `recording_owners`, its facets probed in
//! `recording_facets`, a sort on the owner link's own copy of the key, and
//! the planner's choice of index. Unknown values are COALESCEd past every
//! real value (below for a descending sort, above for an ascending one), so
//! they come last either way and a cursor compares plain values, as in the
//! SQLite backend.

use std::collections::BTreeMap;

use filmroom_domain::Degraded;
use sqlx::postgres::PgRow;
use sqlx::{PgPool, Row, TypeInfo, ValueRef};

use super::{Bind, bind_all, from_opt_ts, from_ts, numbered, parse_id, to_u64};
use crate::cursor::{CursorKey, RecordingCursor};
use crate::error::StoreError;
use crate::list_filter::Filters;
use crate::model::{
    GAMES_MAP_FACET, GAMES_PLAYLIST_FACET, GAMES_SCORE_FALLBACK_METRIC, GAMES_SCORE_METRIC,
    GAMES_TEAM_SIZE_FACET, OwnerOutcome, RecordingFacets, RecordingFilter, RecordingListItem,
    RecordingOrder, RecordingPage, RecordingQuery, RecordingSort, RecordingSummary,
};
use crate::types::JobState;

/// The recording's latest upload job, beside each listed row.
const LATEST_UPLOAD_JOB: &str = "LEFT JOIN LATERAL (
        SELECT state, last_error FROM jobs
        WHERE recording_id = r.id AND purpose = 'upload'
        ORDER BY created_at DESC, seq DESC LIMIT 1) j ON TRUE";

/// The conditions of `filters` over `recording_owners o`, the user first,
/// with `?` placeholders (numbered by [`numbered`] once the statement is
/// whole). Facet values match ignoring case, as SQLite's NOCASE does.
fn conditions(filters: &Filters, user: &str) -> (String, Vec<Bind>) {
    let mut sql = String::from("o.user_id = ?");
    let mut binds = vec![Bind::Text(user.to_owned())];
    if let Some(kind) = &filters.kind {
        sql.push_str(" AND o.kind = ?");
        binds.push(Bind::Text(kind.clone()));
    }
    for (facet, value) in &filters.facets {
        sql.push_str(
            " AND EXISTS (SELECT 1 FROM recording_facets f
                WHERE f.recording_id = o.recording_id AND f.facet = ?
                  AND lower(f.value) = lower(?))",
        );
        binds.push(Bind::Text(facet.clone()));
        binds.push(Bind::Text(value.clone()));
    }
    if let Some(outcome) = filters.outcome {
        sql.push_str(" AND o.outcome = ?");
        binds.push(Bind::Text(outcome.as_str().to_owned()));
    }
    if let Some(from) = filters.from {
        sql.push_str(" AND o.occurred_at >= ?");
        binds.push(Bind::Int(from));
    }
    if let Some(to) = filters.to {
        sql.push_str(" AND o.occurred_at < ?");
        binds.push(Bind::Int(to));
    }
    (sql, binds)
}

fn count_sql(filters: &Filters, user: &str) -> (String, Vec<Bind>) {
    let (conditions, binds) = conditions(filters, user);
    (
        format!("SELECT COUNT(*) FROM recording_owners o WHERE {conditions}"),
        binds,
    )
}

/// A recordings-list sort's key over `o`, never NULL. Titles compare
/// lowered and bytewise (SQLite's NOCASE), behind a one-character prefix
/// that puts an unknown title after every known one.
fn sort_key(sort: RecordingOrder, descending: bool) -> &'static str {
    match (sort, descending) {
        (RecordingOrder::OccurredAt, true) => {
            "COALESCE(o.occurred_at, '-9223372036854775808'::BIGINT)"
        }
        (RecordingOrder::OccurredAt, false) => {
            "COALESCE(o.occurred_at, '9223372036854775807'::BIGINT)"
        }
        (RecordingOrder::UploadedAt, _) => "o.uploaded_at",
        (RecordingOrder::Duration, true) => "COALESCE(o.duration_s, '-Infinity'::FLOAT8)",
        (RecordingOrder::Duration, false) => "COALESCE(o.duration_s, 'Infinity'::FLOAT8)",
        (RecordingOrder::Title, true) => "(COALESCE('1' || lower(o.title), '0') COLLATE \"C\")",
        (RecordingOrder::Title, false) => "(COALESCE('0' || lower(o.title), '1') COLLATE \"C\")",
    }
}

/// Whether a cursor's key is of the type its sort's key is: a forged or
/// stale cursor is refused instead of failing in SQL.
fn key_fits(sort: RecordingOrder, key: &CursorKey) -> bool {
    matches!(
        (sort, key),
        (
            RecordingOrder::OccurredAt | RecordingOrder::UploadedAt,
            CursorKey::Int(_)
        ) | (RecordingOrder::Duration, CursorKey::Real(_))
            | (RecordingOrder::Title, CursorKey::Text(_))
    )
}

fn cursor_bind(key: &CursorKey) -> Result<Bind, StoreError> {
    match key {
        CursorKey::Int(n) => Ok(Bind::Int(*n)),
        CursorKey::Real(x) => Ok(Bind::Real(*x)),
        CursorKey::Text(s) => Ok(Bind::Text(s.clone())),
        CursorKey::Blob(_) => Err(StoreError::InvalidCursor),
    }
}

fn cursor_key(row: &PgRow) -> Result<CursorKey, StoreError> {
    let raw = row.try_get_raw("sort_key")?;
    let type_name = raw.type_info().name().to_owned();
    Ok(match type_name.as_str() {
        "INT8" => CursorKey::Int(row.try_get("sort_key")?),
        "FLOAT8" => CursorKey::Real(row.try_get("sort_key")?),
        "TEXT" => CursorKey::Text(row.try_get("sort_key")?),
        other => return Err(StoreError::Corrupt(format!("sort key of type {other}"))),
    })
}

/// The recordings page's SQL and binds; a cursor of another sort or
/// direction is refused.
fn page_sql(user: &str, query: &RecordingQuery) -> Result<(String, Vec<Bind>), StoreError> {
    let filters = Filters::of_query(query);
    let key = sort_key(query.sort, query.descending);
    let (mut conditions, mut binds) = conditions(&filters, user);
    let direction = if query.descending { "DESC" } else { "ASC" };
    if let Some(cursor) = &query.cursor {
        if cursor.sort != query.sort
            || cursor.descending != query.descending
            || !key_fits(query.sort, &cursor.key)
        {
            return Err(StoreError::InvalidCursor);
        }
        let after = if query.descending { "<" } else { ">" };
        conditions.push_str(&format!(" AND ({key}, o.recording_id) {after} (?, ?)"));
        binds.push(cursor_bind(&cursor.key)?);
        binds.push(Bind::Text(cursor.id.to_string()));
    }
    // One row more than asked says whether there is a next page.
    binds.push(Bind::Int(i64::from(query.limit) + 1));
    binds.push(Bind::Int(i64::from(query.offset)));
    let (count, mut count_binds) = count_sql(&filters, user);
    binds.append(&mut count_binds);
    // The page's owner links first, then the details of just those rows; the
    // total rides along as one more column (computed once: it depends on
    // nothing in the row), so a request is one statement.
    let sql = format!(
        "WITH page AS MATERIALIZED (
            SELECT o.user_id, o.recording_id, {key} AS sort_key
            FROM recording_owners o
            WHERE {conditions}
            ORDER BY {key} {direction}, o.recording_id {direction}
            LIMIT ? OFFSET ?
        )
        SELECT p.sort_key, r.id, r.kind, r.title, r.played_at, r.duration_s, r.revision, r.size,
            r.degraded_code, r.degraded_reason, o.original_filename, o.uploaded_at, o.me,
            o.outcome, j.state AS job_state, j.last_error AS job_last_error,
            (SELECT json_object_agg(f.facet, f.value)::TEXT FROM recording_facets f
                WHERE f.recording_id = r.id) AS facets_json,
            ({count}) AS total
        FROM page p
        JOIN recording_owners o ON o.user_id = p.user_id AND o.recording_id = p.recording_id
        JOIN recordings r ON r.id = p.recording_id
        {LATEST_UPLOAD_JOB}
        ORDER BY p.sort_key {direction}, p.recording_id {direction}"
    );
    Ok((numbered(&sql), binds))
}

/// A user's recordings of every kind, filtered and sorted in SQL over the
/// owner links' copies of the stored facts, facets and outcomes, with the
/// total before paging and a cursor to the next page.
pub(super) async fn recordings_page(
    pool: &PgPool,
    user: &str,
    query: &RecordingQuery,
) -> Result<RecordingPage, StoreError> {
    let (sql, binds) = page_sql(user, query)?;
    let rows = bind_all(sqlx::query(&sql), binds).fetch_all(pool).await?;
    let total: i64 = match rows.first() {
        Some(row) => row.try_get("total")?,
        // A page past the end (or an empty list) has no row to carry it.
        None => {
            let (count, binds) = count_sql(&Filters::of_query(query), user);
            bind_all(sqlx::query(&numbered(&count)), binds)
                .fetch_one(pool)
                .await?
                .try_get(0)?
        }
    };
    let limit = usize::try_from(query.limit).unwrap_or(usize::MAX);
    let next = match (
        rows.len() > limit,
        limit.checked_sub(1).and_then(|i| rows.get(i)),
    ) {
        (true, Some(last)) => Some(RecordingCursor {
            sort: query.sort,
            descending: query.descending,
            key: cursor_key(last)?,
            id: parse_id(&last.try_get::<String, _>("id")?, "recording id")?,
        }),
        _ => None,
    };
    let items = rows
        .iter()
        .take(limit)
        .map(list_item_from_row)
        .collect::<Result<_, StoreError>>()?;
    Ok(RecordingPage {
        items,
        total: to_u64(total, "total")?,
        next,
    })
}

fn list_item_from_row(row: &PgRow) -> Result<RecordingListItem, StoreError> {
    let facets: Option<String> = row.try_get("facets_json")?;
    let facets: BTreeMap<String, String> = match facets {
        Some(json) => {
            serde_json::from_str(&json).map_err(|e| StoreError::Corrupt(format!("facets: {e}")))?
        }
        None => BTreeMap::new(),
    };
    let revision: Option<i64> = row.try_get("revision")?;
    Ok(RecordingListItem {
        id: parse_id(&row.try_get::<String, _>("id")?, "recording id")?,
        kind: row.try_get("kind")?,
        title: row.try_get("title")?,
        occurred_at: from_opt_ts(row.try_get("played_at")?)?,
        duration_s: row.try_get("duration_s")?,
        size: to_u64(row.try_get("size")?, "size")?,
        original_filename: row.try_get("original_filename")?,
        uploaded_at: from_ts(row.try_get("uploaded_at")?)?,
        revision: revision
            .map(|r| u32::try_from(r).map_err(|_| StoreError::Corrupt(format!("revision {r}"))))
            .transpose()?,
        job_state: job_state(row)?,
        last_error: row.try_get("job_last_error")?,
        me: row.try_get("me")?,
        outcome: outcome(row)?,
        facets,
        degraded: match (
            row.try_get::<Option<String>, _>("degraded_code")?,
            row.try_get::<Option<String>, _>("degraded_reason")?,
        ) {
            (Some(code), reason) => Some(Degraded {
                code,
                reason: reason.unwrap_or_default(),
            }),
            _ => None,
        },
    })
}

fn job_state(row: &PgRow) -> Result<Option<JobState>, StoreError> {
    let state: Option<String> = row.try_get("job_state")?;
    state
        .map(|s| JobState::parse(&s).ok_or_else(|| StoreError::Corrupt(format!("job state {s:?}"))))
        .transpose()
}

fn outcome(row: &PgRow) -> Result<OwnerOutcome, StoreError> {
    let outcome: String = row.try_get("outcome")?;
    OwnerOutcome::parse(&outcome)
        .ok_or_else(|| StoreError::Corrupt(format!("owner outcome {outcome:?}")))
}

// ---- the games list ----

/// The value of one of the recording's facets, over `o`.
fn facet(name: &str) -> String {
    format!(
        "(SELECT f.value FROM recording_facets f
            WHERE f.recording_id = o.recording_id AND f.facet = '{name}')"
    )
}

/// A games-list row's columns, over `recording_owners o` and `recordings r`.
fn game_columns() -> String {
    // The final score, else (an analysis made before the domain had it) the
    // side's goals.
    let side_metric = |position: u8, metric: &str| {
        format!(
            "(SELECT m.value FROM recording_sides s
                JOIN metrics m ON m.recording_id = s.recording_id
                    AND m.subject_kind = 'side' AND m.subject = s.side
                    AND m.metric = '{metric}'
                WHERE s.recording_id = r.id AND s.position = {position})"
        )
    };
    let side_score = |position: u8| {
        format!(
            "COALESCE({}, {})",
            side_metric(position, GAMES_SCORE_METRIC),
            side_metric(position, GAMES_SCORE_FALLBACK_METRIC)
        )
    };
    format!(
        "r.id, r.sha256, r.size, r.kind, (r.analysis_json IS NOT NULL) AS analyzed,
        o.original_filename, o.uploaded_at, o.occurred_at, o.outcome,
        j.state AS job_state, j.last_error AS job_last_error,
        {} AS map, {} AS match_type, {} AS team_size, {} AS score_a, {} AS score_b",
        facet(GAMES_MAP_FACET),
        facet(GAMES_PLAYLIST_FACET),
        facet(GAMES_TEAM_SIZE_FACET),
        side_score(0),
        side_score(1),
    )
}

fn game_from_row(row: &PgRow) -> Result<RecordingSummary, StoreError> {
    let score = |column: &str| -> Result<Option<u32>, StoreError> {
        let value: Option<f64> = row.try_get(column)?;
        value
            .map(|v| {
                let rounded = v.round();
                if (0.0..=f64::from(u32::MAX)).contains(&rounded) {
                    // In range and whole: the cast is exact.
                    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
                    Ok(rounded as u32)
                } else {
                    Err(StoreError::Corrupt(format!("score {v}")))
                }
            })
            .transpose()
    };
    let team_size: Option<String> = row.try_get("team_size")?;
    Ok(RecordingSummary {
        id: parse_id(&row.try_get::<String, _>("id")?, "recording id")?,
        sha256: super::parse_sha(&row.try_get::<String, _>("sha256")?)?,
        size: to_u64(row.try_get("size")?, "size")?,
        kind: super::parse_kind(&row.try_get::<String, _>("kind")?)?,
        original_filename: row.try_get("original_filename")?,
        uploaded_at: from_ts(row.try_get("uploaded_at")?)?,
        job_state: job_state(row)?,
        last_error: row.try_get("job_last_error")?,
        analyzed: row.try_get("analyzed")?,
        played_at: from_opt_ts(row.try_get("occurred_at")?)?,
        map: row.try_get("map")?,
        match_type: row.try_get("match_type")?,
        // A facet is text; one that is not a size is shown as unknown.
        team_size: team_size.and_then(|s| s.parse().ok()),
        score: match (score("score_a")?, score("score_b")?) {
            (Some(a), Some(b)) => Some([a, b]),
            _ => None,
        },
        outcome: outcome(row)?,
    })
}

/// The games list's ORDER BY over `o`. Unknown facet values last whichever
/// the direction; text facets compare lowered and bytewise, as SQLite's
/// NOCASE column does; a team size that is not a number is unknown.
fn games_order(filter: &RecordingFilter) -> String {
    let direction = if filter.descending { "DESC" } else { "ASC" };
    let key = match filter.sort {
        // Before analysis a game sorts by its upload time.
        RecordingSort::PlayedAt => "COALESCE(o.occurred_at, o.uploaded_at)".to_owned(),
        RecordingSort::UploadedAt => "o.uploaded_at".to_owned(),
        RecordingSort::Map => format!("(lower({}) COLLATE \"C\")", facet(GAMES_MAP_FACET)),
        RecordingSort::MatchType => {
            format!("(lower({}) COLLATE \"C\")", facet(GAMES_PLAYLIST_FACET))
        }
        RecordingSort::TeamSize => {
            let value = facet(GAMES_TEAM_SIZE_FACET);
            format!("(CASE WHEN {value} ~ '^[0-9]{{1,18}}$' THEN ({value})::BIGINT END)")
        }
    };
    format!("{key} {direction} NULLS LAST, o.recording_id {direction}")
}

fn games_sql(user: &str, filter: &RecordingFilter) -> (String, Vec<Bind>) {
    let (conditions, mut binds) = conditions(&Filters::of_filter(filter), user);
    let sql = format!(
        "SELECT {columns}
        FROM recording_owners o
        JOIN recordings r ON r.id = o.recording_id
        {LATEST_UPLOAD_JOB}
        WHERE {conditions}
        ORDER BY {order}
        LIMIT ? OFFSET ?",
        columns = game_columns(),
        order = games_order(filter),
    );
    binds.push(Bind::Int(i64::from(filter.limit)));
    binds.push(Bind::Int(i64::from(filter.offset)));
    (numbered(&sql), binds)
}

/// The games list: the owner's recordings with the Rocket League columns
/// (map, playlist and team size facets, the sides' score) and their stored
/// outcome.
pub(super) async fn games(
    pool: &PgPool,
    user: &str,
    filter: &RecordingFilter,
) -> Result<Vec<RecordingSummary>, StoreError> {
    let (sql, binds) = games_sql(user, filter);
    let rows = bind_all(sqlx::query(&sql), binds).fetch_all(pool).await?;
    rows.iter().map(game_from_row).collect()
}

pub(super) async fn count_games(
    pool: &PgPool,
    user: &str,
    filter: &RecordingFilter,
) -> Result<u64, StoreError> {
    let (sql, binds) = count_sql(&Filters::of_filter(filter), user);
    let total: i64 = bind_all(sqlx::query(&numbered(&sql)), binds)
        .fetch_one(pool)
        .await?
        .try_get(0)?;
    to_u64(total, "recording count")
}

/// One games-list row, if `user` owns the recording.
pub(super) async fn game_for_owner(
    pool: &PgPool,
    user: &str,
    recording: &str,
) -> Result<Option<RecordingSummary>, StoreError> {
    let sql = format!(
        "SELECT {columns}
        FROM recording_owners o
        JOIN recordings r ON r.id = o.recording_id
        {LATEST_UPLOAD_JOB}
        WHERE o.user_id = $1 AND o.recording_id = $2",
        columns = game_columns(),
    );
    let row = sqlx::query(&sql)
        .bind(user)
        .bind(recording)
        .fetch_optional(pool)
        .await?;
    row.as_ref().map(game_from_row).transpose()
}

/// The distinct values of one facet among the user's recordings, ignoring
/// case (one spelling of each), in order.
async fn facet_values(pool: &PgPool, user: &str, facet: &str) -> Result<Vec<String>, StoreError> {
    Ok(sqlx::query_scalar(
        "SELECT MIN(f.value COLLATE \"C\") FROM recording_owners o
         JOIN recording_facets f ON f.recording_id = o.recording_id
         WHERE o.user_id = $1 AND f.facet = $2
         GROUP BY lower(f.value)
         ORDER BY lower(f.value) COLLATE \"C\"",
    )
    .bind(user)
    .bind(facet)
    .fetch_all(pool)
    .await?)
}

/// The games list's filter choices: the distinct maps, playlists and team
/// sizes among the owner's recordings.
pub(super) async fn facet_choices(
    pool: &PgPool,
    user: &str,
) -> Result<RecordingFacets, StoreError> {
    let mut team_sizes: Vec<u32> = facet_values(pool, user, GAMES_TEAM_SIZE_FACET)
        .await?
        .iter()
        .filter_map(|s| s.parse().ok())
        .collect();
    team_sizes.sort_unstable();
    team_sizes.dedup();
    Ok(RecordingFacets {
        maps: facet_values(pool, user, GAMES_MAP_FACET).await?,
        match_types: facet_values(pool, user, GAMES_PLAYLIST_FACET).await?,
        team_sizes,
    })
}
