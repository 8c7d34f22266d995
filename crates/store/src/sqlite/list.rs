//! A user's lists, read from their owner links and the neutral rows: the
//! recordings list of every kind (filters, sorts, offset or cursor paging,
//! its total) and the Rocket League games list kept from before (its rows,
//! count and filter choices). Both read the owner's stored "me" and outcome;
//! nothing here decides who a user is.
//!
//! Every recordings-list sort walks one index of `recording_owners`
//! (migration 0009) and stops after the page; with a facet filter the walk
//! is instead in that sort's index of the owner's rows of that facet value
//! (`owner_facets`, migration 0013), and further facets probe it by primary
//! key; totals are a sum over `owner_totals` or `owner_facet_totals`, or
//! one range of `owner_facets`. `list_plans` shows the plans, so a test can hold
//! every query to an index.

use std::collections::BTreeMap;

use filmroom_domain::Degraded;
use sqlx::sqlite::SqliteRow;
use sqlx::{Row, SqlitePool, TypeInfo, ValueRef};

use super::{Bind, bind_all, from_opt_ts, from_ts, parse_id, to_u64};
use crate::cursor::{CursorKey, RecordingCursor};
use crate::error::StoreError;
use crate::list_filter::Filters;
use crate::model::{
    GAMES_MAP_FACET, GAMES_PLAYLIST_FACET, GAMES_SCORE_FALLBACK_METRIC, GAMES_SCORE_METRIC,
    GAMES_TEAM_SIZE_FACET, OwnerOutcome, RecordingFacets, RecordingFilter, RecordingListItem,
    RecordingOrder, RecordingPage, RecordingQuery, RecordingSort, RecordingSummary,
};
use crate::types::JobState;

/// How a list walks `recording_owners o`: in a sort's index, and whether
/// that sort's key is the date (`COALESCE`d as the index has it).
#[derive(Clone, Copy)]
enum Walk<'a> {
    Index,
    DateKey(&'a str),
}

/// Which rows a page walks: the owner links (`recording_owners o`), or the
/// owner's rows of the first filtered facet's value (`owner_facets f0`),
/// which carry the same sort keys and filtered columns.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Source {
    Owners,
    Facet,
}

impl Source {
    fn of(filters: &Filters) -> Self {
        if filters.facets.is_empty() {
            Self::Owners
        } else {
            Self::Facet
        }
    }

    fn alias(self) -> &'static str {
        match self {
            Self::Owners => "o",
            Self::Facet => "f0",
        }
    }

    fn from(self) -> &'static str {
        match self {
            Self::Owners => "recording_owners o",
            Self::Facet => "owner_facets f0",
        }
    }

    /// The owner link's rowid, for the page's details: a seek of its
    /// primary key from a facet row, which has no rowid of its own.
    fn owner_row(self) -> &'static str {
        match self {
            Self::Owners => "o.rowid",
            Self::Facet => {
                "(SELECT o.rowid FROM recording_owners o
                    WHERE o.user_id = f0.user_id AND o.recording_id = f0.recording_id)"
            }
        }
    }
}

impl Filters {
    /// The WHERE clause over `o` and its binds, the user first. For a walk
    /// in a sort's index (`walk`), the filtered columns are written `+o.x`:
    /// SQLite then cannot pick their own indexes (a range, then a sort of
    /// all of it) and checks them in the sort's index, which carries them;
    /// `walk` names the sort key when it is the date, so date bounds seek.
    /// `source` is what the walk reads: over `owner_facets f0` the first
    /// facet is the walk's range, not a probe.
    fn conditions(
        &self,
        user: &str,
        walk: Option<Walk<'_>>,
        source: Source,
    ) -> (String, Vec<Bind>) {
        let t = source.alias();
        let column = |name: &str| match walk {
            Some(_) => format!("+{t}.{name}"),
            None => format!("{t}.{name}"),
        };
        let mut sql = format!("{t}.user_id = ?");
        let mut binds = vec![Bind::Text(user.to_owned())];
        if let Some(kind) = &self.kind {
            sql.push_str(&format!(" AND {} = ?", column("kind")));
            binds.push(Bind::Text(kind.clone()));
        }
        let probed = match (source, self.facets.split_first()) {
            (Source::Facet, Some(((facet, value), others))) => {
                sql.push_str(" AND f0.facet = ? AND f0.value = ?");
                binds.push(Bind::Text(facet.clone()));
                binds.push(Bind::Text(value.clone()));
                others
            }
            _ => self.facets.as_slice(),
        };
        for (facet, value) in probed {
            // A primary-key probe per row walked: the walk is in the sort's
            // index order and stops after the page.
            sql.push_str(&format!(
                " AND EXISTS (SELECT 1 FROM owner_facets f
                    WHERE f.user_id = {t}.user_id AND f.recording_id = {t}.recording_id
                      AND f.facet = ? AND f.value = ?)"
            ));
            binds.push(Bind::Text(facet.clone()));
            binds.push(Bind::Text(value.clone()));
        }
        if let Some(outcome) = self.outcome {
            sql.push_str(&format!(" AND {} = ?", column("outcome")));
            binds.push(Bind::Text(outcome.as_str().to_owned()));
        }
        let date_key = match walk {
            Some(Walk::DateKey(key)) => Some(key),
            _ => None,
        };
        for (bound, op) in [(self.from, ">="), (self.to, "<")] {
            if let Some(bound) = bound {
                sql.push_str(&format!(" AND {} {op} ?", column("occurred_at")));
                binds.push(Bind::Int(bound));
                // Equal for every row the filter keeps: the bound on the
                // key is what lets the walk start and stop at the dates.
                if let Some(key) = date_key {
                    sql.push_str(&format!(" AND {key} {op} ?"));
                    binds.push(Bind::Int(bound));
                }
            }
        }
        (sql, binds)
    }

    /// How many rows match, by the cheapest source that can tell.
    fn count_sql(&self, user: &str) -> (String, Vec<Bind>) {
        let dated = self.from.is_some() || self.to.is_some();
        if self.facets.is_empty() && !dated {
            // Kept by triggers on every owner link (migration 0009).
            let mut sql =
                String::from("SELECT COALESCE(SUM(n), 0) FROM owner_totals WHERE user_id = ?");
            let mut binds = vec![Bind::Text(user.to_owned())];
            if let Some(kind) = &self.kind {
                sql.push_str(" AND kind = ?");
                binds.push(Bind::Text(kind.clone()));
            }
            if let Some(outcome) = self.outcome {
                sql.push_str(" AND outcome = ?");
                binds.push(Bind::Text(outcome.as_str().to_owned()));
            }
            return (sql, binds);
        }
        if let ([(facet, value)], false) = (self.facets.as_slice(), dated) {
            // Kept by triggers on every owner facet row (migration 0013).
            let mut sql = String::from(
                "SELECT COALESCE(SUM(n), 0) FROM owner_facet_totals
                 WHERE user_id = ? AND facet = ? AND value = ?",
            );
            let mut binds = vec![
                Bind::Text(user.to_owned()),
                Bind::Text(facet.clone()),
                Bind::Text(value.clone()),
            ];
            if let Some(kind) = &self.kind {
                sql.push_str(" AND kind = ?");
                binds.push(Bind::Text(kind.clone()));
            }
            if let Some(outcome) = self.outcome {
                sql.push_str(" AND outcome = ?");
                binds.push(Bind::Text(outcome.as_str().to_owned()));
            }
            return (sql, binds);
        }
        let Some(((facet, value), others)) = self.facets.split_first() else {
            let (conditions, binds) = self.conditions(user, None, Source::Owners);
            return (
                format!("SELECT COUNT(*) FROM recording_owners o WHERE {conditions}"),
                binds,
            );
        };
        // One range of owner_facets, which carries the date and outcome.
        let mut sql = String::from(
            "SELECT COUNT(*) FROM owner_facets f0
             WHERE f0.user_id = ? AND f0.facet = ? AND f0.value = ?",
        );
        let mut binds = vec![
            Bind::Text(user.to_owned()),
            Bind::Text(facet.clone()),
            Bind::Text(value.clone()),
        ];
        if let Some(outcome) = self.outcome {
            sql.push_str(" AND f0.outcome = ?");
            binds.push(Bind::Text(outcome.as_str().to_owned()));
        }
        if let Some(from) = self.from {
            sql.push_str(" AND f0.occurred_at >= ?");
            binds.push(Bind::Int(from));
        }
        if let Some(to) = self.to {
            sql.push_str(" AND f0.occurred_at < ?");
            binds.push(Bind::Int(to));
        }
        for (facet, value) in others {
            sql.push_str(
                " AND EXISTS (SELECT 1 FROM owner_facets f
                    WHERE f.user_id = f0.user_id AND f.recording_id = f0.recording_id
                      AND f.facet = ? AND f.value = ?)",
            );
            binds.push(Bind::Text(facet.clone()));
            binds.push(Bind::Text(value.clone()));
        }
        if let Some(kind) = &self.kind {
            // A copy of the owner link's (migration 0013).
            sql.push_str(" AND f0.kind = ?");
            binds.push(Bind::Text(kind.clone()));
        }
        (sql, binds)
    }
}

/// A recordings-list sort: the key expression an index of migration 0009
/// is built on. Unknown values are COALESCEd past every real value, so they
/// come last in both directions.
fn sort_key(sort: RecordingOrder, descending: bool, t: &str) -> (String, &'static str) {
    // (key over the walked table `t`, the collation to repeat when ordering
    // the page's copy)
    match (sort, descending) {
        (RecordingOrder::OccurredAt, true) => (format!("COALESCE({t}.occurred_at, -9e999)"), ""),
        (RecordingOrder::OccurredAt, false) => (format!("COALESCE({t}.occurred_at, '')"), ""),
        (RecordingOrder::UploadedAt, _) => (format!("{t}.uploaded_at"), ""),
        (RecordingOrder::Duration, true) => (format!("COALESCE({t}.duration_s, -9e999)"), ""),
        (RecordingOrder::Duration, false) => (format!("COALESCE({t}.duration_s, '')"), ""),
        (RecordingOrder::Title, true) => (
            format!("COALESCE({t}.title, 0) COLLATE NOCASE"),
            " COLLATE NOCASE",
        ),
        (RecordingOrder::Title, false) => (
            format!("COALESCE({t}.title, x'') COLLATE NOCASE"),
            " COLLATE NOCASE",
        ),
    }
}

fn cursor_bind(key: &CursorKey) -> Bind {
    match key {
        CursorKey::Int(n) => Bind::Int(*n),
        CursorKey::Real(x) => Bind::Real(*x),
        CursorKey::Text(s) => Bind::Text(s.clone()),
        CursorKey::Blob(b) => Bind::Blob(b.clone()),
    }
}

fn cursor_key(row: &SqliteRow) -> Result<CursorKey, StoreError> {
    let raw = row.try_get_raw("sort_key")?;
    let type_name = raw.type_info().name().to_owned();
    Ok(match type_name.as_str() {
        "INTEGER" => CursorKey::Int(row.try_get("sort_key")?),
        "REAL" => CursorKey::Real(row.try_get("sort_key")?),
        "TEXT" => CursorKey::Text(row.try_get("sort_key")?),
        "BLOB" => CursorKey::Blob(row.try_get("sort_key")?),
        other => return Err(StoreError::Corrupt(format!("sort key of type {other}"))),
    })
}

/// The recordings page's SQL and binds; a cursor of another sort or
/// direction is refused.
fn page_sql(user: &str, query: &RecordingQuery) -> Result<(String, Vec<Bind>), StoreError> {
    let filters = Filters::of_query(query);
    let source = Source::of(&filters);
    let (t, from, owner_row) = (source.alias(), source.from(), source.owner_row());
    let (key, collate) = sort_key(query.sort, query.descending, t);
    let walk = match query.sort {
        RecordingOrder::OccurredAt => Walk::DateKey(&key),
        _ => Walk::Index,
    };
    let (conditions, mut binds) = filters.conditions(user, Some(walk), source);
    let direction = if query.descending { "DESC" } else { "ASC" };
    let page = match &query.cursor {
        None => {
            format!(
                "SELECT {t}.recording_id, {key} AS sort_key, {owner_row} AS owner_row
                FROM {from}
                WHERE {conditions}
                ORDER BY {key} {direction}, {t}.recording_id {direction}"
            )
        }
        Some(cursor) => {
            if cursor.sort != query.sort || cursor.descending != query.descending {
                return Err(StoreError::InvalidCursor);
            }
            let after = if query.descending { "<" } else { ">" };
            // Two seeks of the sort's index, never a walk of the keys equal
            // to the cursor's before it: the rest of the cursor's own key
            // (a range of the id that follows the key in the index), then
            // the keys after it. Each arm stops after a page; the merge
            // sorts at most two pages.
            let arm_limit = Bind::Int(i64::from(query.limit) + 1 + i64::from(query.offset));
            let mut all = binds.clone();
            all.push(cursor_bind(&cursor.key));
            all.push(Bind::Text(cursor.id.to_string()));
            all.push(arm_limit.clone());
            all.append(&mut binds);
            all.push(cursor_bind(&cursor.key));
            all.push(arm_limit);
            binds = all;
            format!(
                "SELECT * FROM (
                    SELECT {t}.recording_id, {key} AS sort_key, {owner_row} AS owner_row
                    FROM {from}
                    WHERE {conditions} AND {key} = ? AND {t}.recording_id {after} ?
                    ORDER BY {t}.recording_id {direction}
                    LIMIT ?)
                UNION ALL
                SELECT * FROM (
                    SELECT {t}.recording_id, {key} AS sort_key, {owner_row} AS owner_row
                    FROM {from}
                    WHERE {conditions} AND {key} {after} ?
                    ORDER BY {key} {direction}, {t}.recording_id {direction}
                    LIMIT ?)
                ORDER BY 2{collate} {direction}, 1 {direction}"
            )
        }
    };
    // Two steps: the page's owner links first (the index walk, which
    // carries each link's rowid), then the details of just those rows; a
    // recording's facts from `recordings_facts`, as its row holds them after
    // the stored report. The total rides along as one more column (a
    // subquery of nothing in the row, so computed once): a request is one
    // statement, not two.
    let (count, mut count_binds) = Filters::of_query(query).count_sql(user);
    let sql = format!(
        "WITH page AS MATERIALIZED (
            {page}
            LIMIT ? OFFSET ?
        )
        SELECT p.sort_key, r.id, r.kind, r.title, r.played_at, r.duration_s, r.revision, r.size,
            r.degraded_code, r.degraded_reason, o.original_filename, o.uploaded_at, o.me,
            o.outcome,
            j.state AS job_state, j.last_error AS job_last_error,
            (SELECT json_group_object(f.facet, f.value) FROM owner_facets f
                WHERE f.user_id = o.user_id AND f.recording_id = o.recording_id) AS facets_json,
            ({count}) AS total
        FROM page p
        JOIN recording_owners o ON o.rowid = p.owner_row
        JOIN recordings r INDEXED BY recordings_facts ON r.id = p.recording_id
        {LATEST_UPLOAD_JOB}
        ORDER BY p.sort_key{collate} {direction}, p.recording_id {direction}"
    );
    // One row more than asked says whether there is a next page.
    binds.push(Bind::Int(i64::from(query.limit) + 1));
    binds.push(Bind::Int(i64::from(query.offset)));
    binds.append(&mut count_binds);
    Ok((sql, binds))
}

/// A user's recordings of every kind, filtered and sorted in SQL over the
/// owner links' copies of the stored facts, facets and outcomes, with the
/// total before paging and a cursor to the next page.
pub(super) async fn recordings_page(
    pool: &SqlitePool,
    user: &str,
    query: &RecordingQuery,
) -> Result<RecordingPage, StoreError> {
    let (sql, binds) = page_sql(user, query)?;
    let rows = bind_all(sqlx::query(&sql), binds).fetch_all(pool).await?;
    let total: i64 = match rows.first() {
        Some(row) => row.try_get("total")?,
        // A page past the end (or an empty list) has no row to carry it.
        None => {
            let (count_sql, count_binds) = Filters::of_query(query).count_sql(user);
            bind_all(sqlx::query(&count_sql), count_binds)
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

fn list_item_from_row(row: &SqliteRow) -> Result<RecordingListItem, StoreError> {
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

fn job_state(row: &SqliteRow) -> Result<Option<JobState>, StoreError> {
    let state: Option<String> = row.try_get("job_state")?;
    state
        .map(|s| JobState::parse(&s).ok_or_else(|| StoreError::Corrupt(format!("job state {s:?}"))))
        .transpose()
}

fn outcome(row: &SqliteRow) -> Result<OwnerOutcome, StoreError> {
    let outcome: String = row.try_get("outcome")?;
    OwnerOutcome::parse(&outcome)
        .ok_or_else(|| StoreError::Corrupt(format!("owner outcome {outcome:?}")))
}

// ---- the games list ----

/// A games-list row's columns, over `recording_owners o` and `recordings r`.
fn game_columns() -> String {
    // The owner's copy of a facet is one seek of a table without rowids; a
    // side's score is one seek of the covering `metrics_series`: neither
    // reads a row through a second index.
    let facet = |name: &str| {
        format!(
            "(SELECT f.value FROM owner_facets f
                WHERE f.user_id = o.user_id AND f.recording_id = o.recording_id
                  AND f.facet = '{name}')"
        )
    };
    // The final score, else (an analysis made before the domain had it) the
    // side's goals.
    let side_metric = |position: u8, metric: &str| {
        format!(
            "(SELECT m.value FROM recording_sides s
                CROSS JOIN metrics m INDEXED BY metrics_series ON m.recording_id = s.recording_id
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

/// The recording's latest upload job: one backwards seek of the covering
/// `jobs_recording_purpose` (its rowid is the index's last column), then the
/// row by rowid, not by its text id through a second index.
const LATEST_UPLOAD_JOB: &str = "LEFT JOIN jobs j ON j.rowid = (
    SELECT rowid FROM jobs INDEXED BY jobs_recording_purpose
    WHERE recording_id = r.id AND purpose = 'upload'
    ORDER BY created_at DESC, rowid DESC LIMIT 1)";

fn game_from_row(row: &SqliteRow) -> Result<RecordingSummary, StoreError> {
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
        analyzed: row.try_get::<i64, _>("analyzed")? != 0,
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

/// The games list's order: `(key, order of the walk, order of the page's
/// copy)`, over the walked table `t` (a date order only: the others read
/// the facet rows of `o`).
fn games_order(filter: &RecordingFilter, t: &str) -> (String, String, String) {
    let direction = if filter.descending { "DESC" } else { "ASC" };
    let facet = |name: &str, cast: bool| {
        let value = if cast {
            "CAST(f.value AS INTEGER)"
        } else {
            "f.value"
        };
        format!(
            "(SELECT {value} FROM owner_facets f
                WHERE f.user_id = o.user_id AND f.recording_id = o.recording_id
                  AND f.facet = '{name}')"
        )
    };
    match filter.sort {
        // Before analysis a game sorts by its upload time; never NULL, so
        // one index serves both directions.
        RecordingSort::PlayedAt | RecordingSort::UploadedAt => {
            let key = if filter.sort == RecordingSort::PlayedAt {
                format!("COALESCE({t}.occurred_at, {t}.uploaded_at)")
            } else {
                format!("{t}.uploaded_at")
            };
            (
                key.clone(),
                format!("{key} {direction}, {t}.recording_id {direction}"),
                format!("p.sort_key {direction}, p.recording_id {direction}"),
            )
        }
        // Unknown values last whichever the direction: a sort of every
        // matching row, as these orders have no index.
        RecordingSort::Map | RecordingSort::MatchType | RecordingSort::TeamSize => {
            let key = match filter.sort {
                RecordingSort::Map => facet(GAMES_MAP_FACET, false),
                RecordingSort::MatchType => facet(GAMES_PLAYLIST_FACET, false),
                _ => facet(GAMES_TEAM_SIZE_FACET, true),
            };
            (
                key.clone(),
                format!("{key} IS NULL, {key} {direction}, o.recording_id {direction}"),
                format!("p.sort_key IS NULL, p.sort_key {direction}, p.recording_id {direction}"),
            )
        }
    }
}

fn games_sql(user: &str, filter: &RecordingFilter) -> (String, Vec<Bind>) {
    let filters = Filters::of_filter(filter);
    // Only the date orders have an index of the facet rows.
    let source = match filter.sort {
        RecordingSort::PlayedAt | RecordingSort::UploadedAt => Source::of(&filters),
        _ => Source::Owners,
    };
    let (t, from, owner_row) = (source.alias(), source.from(), source.owner_row());
    let (key, walk, page_order) = games_order(filter, t);
    let index_walk = match filter.sort {
        RecordingSort::PlayedAt => Walk::DateKey(&key),
        _ => Walk::Index,
    };
    let (conditions, mut binds) = filters.conditions(user, Some(index_walk), source);
    let sql = format!(
        "WITH page AS MATERIALIZED (
            SELECT {t}.recording_id, {key} AS sort_key, {owner_row} AS owner_row
            FROM {from}
            WHERE {conditions}
            ORDER BY {walk}
            LIMIT ? OFFSET ?
        )
        SELECT {columns}
        FROM page p
        JOIN recording_owners o ON o.rowid = p.owner_row
        JOIN recordings r ON r.id = p.recording_id
        {LATEST_UPLOAD_JOB}
        ORDER BY {page_order}",
        columns = game_columns(),
    );
    binds.push(Bind::Int(i64::from(filter.limit)));
    binds.push(Bind::Int(i64::from(filter.offset)));
    (sql, binds)
}

/// The games list: the owner's recordings with the Rocket League columns
/// (map, playlist and team size facets, the sides' score) and their stored
/// outcome.
pub(super) async fn games(
    pool: &SqlitePool,
    user: &str,
    filter: &RecordingFilter,
) -> Result<Vec<RecordingSummary>, StoreError> {
    let (sql, binds) = games_sql(user, filter);
    let rows = bind_all(sqlx::query(&sql), binds).fetch_all(pool).await?;
    rows.iter().map(game_from_row).collect()
}

pub(super) async fn count_games(
    pool: &SqlitePool,
    user: &str,
    filter: &RecordingFilter,
) -> Result<u64, StoreError> {
    let (sql, binds) = Filters::of_filter(filter).count_sql(user);
    let total: i64 = bind_all(sqlx::query(&sql), binds)
        .fetch_one(pool)
        .await?
        .try_get(0)?;
    to_u64(total, "recording count")
}

/// One games-list row, if `user` owns the recording.
pub(super) async fn game_for_owner(
    pool: &SqlitePool,
    user: &str,
    recording: &str,
) -> Result<Option<RecordingSummary>, StoreError> {
    let sql = format!(
        "SELECT {columns}
        FROM recording_owners o
        JOIN recordings r ON r.id = o.recording_id
        {LATEST_UPLOAD_JOB}
        WHERE o.user_id = ? AND o.recording_id = ?",
        columns = game_columns(),
    );
    let row = sqlx::query(&sql)
        .bind(user)
        .bind(recording)
        .fetch_optional(pool)
        .await?;
    row.as_ref().map(game_from_row).transpose()
}

/// The distinct values of one facet among the user's recordings, in order:
/// a hop from each value to the next through the index, so a facet with
/// five values costs five seeks whatever the number of recordings.
async fn facet_values(
    pool: &SqlitePool,
    user: &str,
    facet: &str,
) -> Result<Vec<String>, StoreError> {
    Ok(sqlx::query_scalar(
        "WITH RECURSIVE v(value) AS (
            SELECT MIN(value) FROM owner_facets WHERE user_id = ?1 AND facet = ?2
            UNION ALL
            SELECT (SELECT MIN(f.value) FROM owner_facets f
                    WHERE f.user_id = ?1 AND f.facet = ?2 AND f.value > v.value)
            FROM v WHERE v.value IS NOT NULL
        )
        SELECT value FROM v WHERE value IS NOT NULL",
    )
    .bind(user)
    .bind(facet)
    .fetch_all(pool)
    .await?)
}

/// The games list's filter choices: the distinct maps, playlists and team
/// sizes among the owner's recordings.
pub(super) async fn facet_choices(
    pool: &SqlitePool,
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

/// `EXPLAIN QUERY PLAN` of the statements a recordings-list request runs
/// (the page with its total, then the total alone, which runs for a page
/// past the end): per statement, each step on its own line
/// indented two spaces per level of the plan's tree.
pub(super) async fn list_plans(
    pool: &SqlitePool,
    user: &str,
    query: &RecordingQuery,
) -> Result<Vec<Vec<String>>, StoreError> {
    let (page, page_binds) = page_sql(user, query)?;
    let (count, count_binds) = Filters::of_query(query).count_sql(user);
    let mut plans = Vec::new();
    for (sql, binds) in [(page, page_binds), (count, count_binds)] {
        plans.push(explain(pool, &sql, binds).await?);
    }
    Ok(plans)
}

/// `EXPLAIN QUERY PLAN` of the games list's statements (its rows, then its
/// count), as [`list_plans`].
pub(super) async fn games_plans(
    pool: &SqlitePool,
    user: &str,
    filter: &RecordingFilter,
) -> Result<Vec<Vec<String>>, StoreError> {
    let (rows, row_binds) = games_sql(user, filter);
    let (count, count_binds) = Filters::of_filter(filter).count_sql(user);
    Ok(vec![
        explain(pool, &rows, row_binds).await?,
        explain(pool, &count, count_binds).await?,
    ])
}

/// `EXPLAIN QUERY PLAN` of one statement: each step on its own line,
/// indented two spaces per level of the plan's tree.
pub(super) async fn explain(
    pool: &SqlitePool,
    sql: &str,
    binds: Vec<Bind>,
) -> Result<Vec<String>, StoreError> {
    let explained = format!("EXPLAIN QUERY PLAN {sql}");
    let rows = bind_all(sqlx::query(&explained), binds)
        .fetch_all(pool)
        .await?;
    let mut lines = Vec::new();
    // Rows come in tree order; a step's depth is its parent's plus one.
    let mut depths: BTreeMap<i64, usize> = BTreeMap::new();
    for row in rows {
        let id: i64 = row.try_get("id")?;
        let parent: i64 = row.try_get("parent")?;
        let depth = depths.get(&parent).map_or(0, |d| d + 1);
        depths.insert(id, depth);
        let detail: String = row.try_get("detail")?;
        lines.push(format!("{}{detail}", "  ".repeat(depth)));
    }
    Ok(lines)
}
