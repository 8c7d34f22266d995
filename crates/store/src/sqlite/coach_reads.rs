//! The coach's reads over the stored neutral rows: a batch of a user's
//! recordings with "me", outcome, facets and metrics (three queries for any
//! number of recordings), one recording's moments and passages, a text search
//! over event labels and passages, and SQL aggregates of a metric. None of
//! them reads a report.

use std::collections::BTreeMap;

use sqlx::{Row, SqlitePool};

use super::{Bind, bind_all, from_opt_ts, parse_id, to_u64, ts};
use crate::coach_model::{
    CoachHitSource, CoachMetricGroup, CoachMetricQuery, CoachMoments, CoachRecording,
    CoachRecordingQuery, CoachSearchHit,
};
use crate::error::StoreError;
use crate::model::OwnerOutcome;
use crate::types::{RecordingId, UserId};

fn json_list<T: AsRef<str>>(items: &[T]) -> Result<String, StoreError> {
    let list: Vec<&str> = items.iter().map(AsRef::as_ref).collect();
    serde_json::to_string(&list).map_err(|e| StoreError::Corrupt(format!("id list: {e}")))
}

fn outcome(text: &str) -> Result<OwnerOutcome, StoreError> {
    OwnerOutcome::parse(text).ok_or_else(|| StoreError::Corrupt(format!("owner outcome {text:?}")))
}

/// The owner-link conditions shared by the recording and aggregate reads.
fn conditions(
    user: UserId,
    kind: Option<&String>,
    from: Option<time::OffsetDateTime>,
    until: Option<time::OffsetDateTime>,
) -> (String, Vec<Bind>) {
    let mut sql = String::from("o.user_id = ? AND r.revision IS NOT NULL");
    let mut binds = vec![Bind::Text(user.to_string())];
    if let Some(kind) = kind {
        sql.push_str(" AND r.kind = ?");
        binds.push(Bind::Text(kind.clone()));
    }
    if let Some(from) = from {
        sql.push_str(" AND o.occurred_at >= ?");
        binds.push(Bind::Int(ts(from)));
    }
    if let Some(until) = until {
        sql.push_str(" AND o.occurred_at < ?");
        binds.push(Bind::Int(ts(until)));
    }
    (sql, binds)
}

/// The sides' named metrics of a batch (`?1` the recording ids as JSON,
/// `?2` the metric keys as JSON): each recording's sides (every side metric's
/// subject is one, as the analysis is validated), then per side and key one
/// seek of `metrics_series`, never a range of every recording's sides.
pub(super) const SIDE_METRICS: &str = "SELECT s.recording_id, s.side AS subject, k.value AS metric,
        m.value
    FROM json_each(?1) j
    CROSS JOIN recording_sides s ON s.recording_id = j.value
    CROSS JOIN json_each(?2) k
    CROSS JOIN metrics m INDEXED BY metrics_series ON m.metric = k.value
        AND m.subject_kind = 'side' AND m.subject = s.side AND m.recording_id = s.recording_id";

pub(super) async fn recordings(
    pool: &SqlitePool,
    user: UserId,
    query: &CoachRecordingQuery,
) -> Result<Vec<CoachRecording>, StoreError> {
    let (mut conditions, mut binds) =
        conditions(user, query.kind.as_ref(), query.from, query.until);
    if let Some((facet, value)) = &query.facet {
        conditions.push_str(
            " AND EXISTS (SELECT 1 FROM recording_facets f WHERE f.recording_id = o.recording_id
                AND f.facet = ? AND f.value = ? COLLATE NOCASE)",
        );
        binds.push(Bind::Text(facet.clone()));
        binds.push(Bind::Text(value.clone()));
    }
    if let Some(id) = query.recording {
        conditions.push_str(" AND o.recording_id = ?");
        binds.push(Bind::Text(id.to_string()));
    }
    binds.push(Bind::Int(i64::from(query.limit)));
    // Newest first on the owner link's own date (indexed per user); SQLite
    // sorts NULL lowest, so undated recordings come last. "Me" and the
    // outcome are the stored ones (links, the user's or inferred), the same
    // the lists and pages show.
    let sql = format!(
        "SELECT o.recording_id, r.kind, r.title, o.occurred_at, r.duration_s, r.degraded_code,
            p.participant AS me, p.display_name AS me_name, p.side AS me_side, o.outcome,
            (SELECT json_group_object(f.facet, f.value) FROM recording_facets f
                WHERE f.recording_id = o.recording_id) AS facets_json
         FROM recording_owners o
         JOIN recordings r INDEXED BY recordings_facts ON r.id = o.recording_id
         LEFT JOIN participants p ON p.recording_id = o.recording_id AND p.participant = o.me
         WHERE {conditions}
         ORDER BY o.occurred_at DESC, o.recording_id DESC
         LIMIT ?"
    );
    let rows = bind_all(sqlx::query(&sql), binds).fetch_all(pool).await?;
    let mut out = Vec::with_capacity(rows.len());
    for row in &rows {
        let facets: Option<String> = row.try_get("facets_json")?;
        let facets: BTreeMap<String, String> = match facets {
            Some(json) => serde_json::from_str(&json)
                .map_err(|e| StoreError::Corrupt(format!("facets: {e}")))?,
            None => BTreeMap::new(),
        };
        out.push(CoachRecording {
            id: row.try_get("recording_id")?,
            kind: row.try_get("kind")?,
            title: row.try_get("title")?,
            occurred_at: from_opt_ts(row.try_get("occurred_at")?)?,
            duration_s: row.try_get("duration_s")?,
            facets,
            complete: row.try_get::<Option<String>, _>("degraded_code")?.is_none(),
            me: row.try_get("me")?,
            me_name: row.try_get("me_name")?,
            me_side: row.try_get("me_side")?,
            outcome: outcome(&row.try_get::<String, _>("outcome")?)?.side_outcome(),
            my_metrics: BTreeMap::new(),
            side_metrics: BTreeMap::new(),
        });
    }
    if out.is_empty() {
        return Ok(out);
    }
    let ids: Vec<&str> = out.iter().map(|r| r.id.as_str()).collect();
    let ids = json_list(&ids)?;
    // (recording, me) pairs: the metrics are read for the stored "me".
    let pairs: Vec<(&str, &str)> = out
        .iter()
        .filter_map(|r| Some((r.id.as_str(), r.me.as_deref()?)))
        .collect();
    let pairs =
        serde_json::to_string(&pairs).map_err(|e| StoreError::Corrupt(format!("pairs: {e}")))?;
    let keys = json_list(&query.metrics)?;
    let all_keys = query.metrics.is_empty();
    let index: BTreeMap<String, usize> = out
        .iter()
        .enumerate()
        .map(|(i, r)| (r.id.clone(), i))
        .collect();

    // "Me"'s metrics of the whole batch in one query: one primary-key range
    // per recording.
    let mine = sqlx::query(
        "SELECT m.recording_id, m.metric, m.value
         FROM json_each(?) j
         CROSS JOIN metrics m ON m.recording_id = json_extract(j.value, '$[0]')
             AND m.subject_kind = 'participant' AND m.subject = json_extract(j.value, '$[1]')
         WHERE (? OR m.metric IN (SELECT value FROM json_each(?)))",
    )
    .bind(&pairs)
    .bind(all_keys)
    .bind(&keys)
    .fetch_all(pool)
    .await?;
    for row in &mine {
        let id: String = row.try_get("recording_id")?;
        if let Some(rec) = index.get(&id).and_then(|&i| out.get_mut(i)) {
            rec.my_metrics
                .insert(row.try_get("metric")?, row.try_get("value")?);
        }
    }
    let sides = if query.side_metrics.is_empty() {
        Vec::new()
    } else {
        sqlx::query(SIDE_METRICS)
            .bind(&ids)
            .bind(json_list(&query.side_metrics)?)
            .fetch_all(pool)
            .await?
    };
    for row in &sides {
        let id: String = row.try_get("recording_id")?;
        if let Some(rec) = index.get(&id).and_then(|&i| out.get_mut(i)) {
            rec.side_metrics
                .entry(row.try_get("subject")?)
                .or_default()
                .insert(row.try_get("metric")?, row.try_get("value")?);
        }
    }
    Ok(out)
}

pub(super) async fn moments(
    pool: &SqlitePool,
    user: UserId,
    recording: RecordingId,
    event_kinds: &[String],
) -> Result<Option<CoachMoments>, StoreError> {
    let owned: Option<i64> =
        sqlx::query_scalar("SELECT 1 FROM recording_owners WHERE user_id = ? AND recording_id = ?")
            .bind(user.to_string())
            .bind(recording.to_string())
            .fetch_optional(pool)
            .await?;
    if owned.is_none() {
        return Ok(None);
    }
    let events = sqlx::query(
        "SELECT t_s, kind, subject_kind, subject, label, x, y, z, payload_json FROM events
         WHERE recording_id = ? AND kind IN (SELECT value FROM json_each(?)) ORDER BY seq",
    )
    .bind(recording.to_string())
    .bind(json_list(event_kinds)?)
    .fetch_all(pool)
    .await?
    .iter()
    .map(super::neutral::event_from_row)
    .collect::<Result<_, StoreError>>()?;
    let passages = sqlx::query(
        "SELECT start_s, end_s, text FROM passages
         WHERE recording_id = ? AND start_s IS NOT NULL ORDER BY seq",
    )
    .bind(recording.to_string())
    .fetch_all(pool)
    .await?
    .iter()
    .map(|row| {
        Ok((
            row.try_get("start_s")?,
            row.try_get("end_s")?,
            row.try_get("text")?,
        ))
    })
    .collect::<Result<_, StoreError>>()?;
    Ok(Some(CoachMoments { events, passages }))
}

/// The user's text as an FTS5 query that cannot be a syntax error: its
/// words (runs of letters and digits; everything else, FTS operators and
/// quotes included, only separates them) each a quoted prefix term, joined
/// into one phrase. So "goal by" finds "Goal by Sqishy" and "demol" finds
/// "demolished": the words in order, each the start of a word, ignoring case
/// and diacritics. `None` when the text has no word.
pub(crate) fn fts_query(text: &str) -> Option<String> {
    let terms: Vec<String> = crate::rows::search_words(text)
        .into_iter()
        .map(|word| format!("\"{word}\"*"))
        .collect();
    (!terms.is_empty()).then(|| terms.join(" + "))
}

/// The search's statement (`?1` the user, `?2` the FTS query, `?3` the
/// limit): the full-text indexes of migration 0011 find the matching rows;
/// each is kept only if the user owns its recording (a primary-key lookup).
/// Newest recordings first, then in time order within one.
pub(super) const SEARCH: &str = "SELECT * FROM (
            SELECT o.recording_id, r.kind, r.title, o.occurred_at, 'event' AS source,
                e.kind AS event_kind, e.t_s AS start_s, e.t_s AS end_s, e.label AS text, e.seq
            FROM events_fts
            CROSS JOIN events e ON e.rowid = events_fts.rowid
            CROSS JOIN recording_owners o ON o.user_id = ?1 AND o.recording_id = e.recording_id
            CROSS JOIN recordings r INDEXED BY recordings_facts ON r.id = o.recording_id
            WHERE events_fts MATCH ?2
            UNION ALL
            SELECT o.recording_id, r.kind, r.title, o.occurred_at, 'passage' AS source,
                NULL AS event_kind, p.start_s, p.end_s, p.text, p.seq
            FROM passages_fts
            CROSS JOIN passages p ON p.rowid = passages_fts.rowid
            CROSS JOIN recording_owners o ON o.user_id = ?1 AND o.recording_id = p.recording_id
            CROSS JOIN recordings r INDEXED BY recordings_facts ON r.id = o.recording_id
            WHERE passages_fts MATCH ?2 AND p.start_s IS NOT NULL
         )
         ORDER BY occurred_at DESC, recording_id, start_s, source, seq
         LIMIT ?3";

pub(super) async fn search(
    pool: &SqlitePool,
    user: UserId,
    text: &str,
    limit: u32,
) -> Result<Vec<CoachSearchHit>, StoreError> {
    let Some(query) = fts_query(text) else {
        return Ok(Vec::new());
    };
    let rows = sqlx::query(SEARCH)
        .bind(user.to_string())
        .bind(&query)
        .bind(i64::from(limit))
        .fetch_all(pool)
        .await?;
    rows.iter()
        .map(|row| {
            let source: String = row.try_get("source")?;
            Ok(CoachSearchHit {
                recording_id: parse_id::<RecordingId>(
                    &row.try_get::<String, _>("recording_id")?,
                    "recording id",
                )?
                .to_string(),
                kind: row.try_get("kind")?,
                title: row.try_get("title")?,
                occurred_at: from_opt_ts(row.try_get("occurred_at")?)?,
                source: if source == "event" {
                    CoachHitSource::Event
                } else {
                    CoachHitSource::Passage
                },
                event_kind: row.try_get("event_kind")?,
                start_seconds: row.try_get("start_s")?,
                end_seconds: row.try_get("end_s")?,
                text: row.try_get("text")?,
            })
        })
        .collect()
}

/// The aggregate's statement and binds.
pub(super) fn metric_groups_sql(user: UserId, query: &CoachMetricQuery) -> (String, Vec<Bind>) {
    let (conditions, mut binds) = conditions(user, query.kind.as_ref(), query.from, query.until);
    let (group, join) = match &query.group_by_facet {
        Some(facet) => {
            binds.insert(0, Bind::Text(facet.clone()));
            (
                "f.value",
                "LEFT JOIN recording_facets f ON f.recording_id = o.recording_id AND f.facet = ?",
            )
        }
        None => ("NULL", ""),
    };
    binds.insert(0, Bind::Text(query.metric.clone()));
    let mut mine = String::from(
        "SELECT DISTINCT me FROM recording_owners WHERE user_id = ? AND me IS NOT NULL",
    );
    let mut mine_binds = vec![Bind::Text(user.to_string())];
    if let Some(kind) = &query.kind {
        mine.push_str(" AND kind = ?");
        mine_binds.push(Bind::Text(kind.clone()));
    }
    mine_binds.append(&mut binds);
    let binds = mine_binds;
    // From the metric's side, as the trend: the user's distinct "me" keys
    // (a walk of `recording_owners_me`), then per key one range of
    // `metrics_series` (migration 0011) with the value, then the owner link
    // by primary key. CROSS JOIN keeps that order; the recordings read is a
    // lookup per row the user owns with the metric.
    let sql = format!(
        "WITH mine AS MATERIALIZED ({mine})
         SELECT {group} AS grp, COUNT(*) AS n,
            SUM(o.outcome = 'win') AS wins, SUM(o.outcome = 'loss') AS losses,
            SUM(o.outcome = 'draw') AS draws,
            AVG(m.value) AS avg, MIN(m.value) AS min, MAX(m.value) AS max
         FROM mine
         CROSS JOIN metrics m ON m.subject_kind = 'participant' AND m.subject = mine.me
             AND m.metric = ?
         CROSS JOIN recording_owners o INDEXED BY recording_owners_series
             ON o.recording_id = m.recording_id AND o.me = m.subject
         CROSS JOIN recordings r INDEXED BY recordings_facts ON r.id = o.recording_id
         {join}
         WHERE {conditions}
         GROUP BY grp
         ORDER BY grp"
    );
    (sql, binds)
}

pub(super) async fn metric_groups(
    pool: &SqlitePool,
    user: UserId,
    query: &CoachMetricQuery,
) -> Result<Vec<CoachMetricGroup>, StoreError> {
    let (sql, binds) = metric_groups_sql(user, query);
    let rows = bind_all(sqlx::query(&sql), binds).fetch_all(pool).await?;
    rows.iter()
        .map(|row| {
            Ok(CoachMetricGroup {
                group: row.try_get("grp")?,
                recordings: to_u64(row.try_get("n")?, "count")?,
                wins: to_u64(row.try_get("wins")?, "wins")?,
                losses: to_u64(row.try_get("losses")?, "losses")?,
                draws: to_u64(row.try_get("draws")?, "draws")?,
                average: row.try_get("avg")?,
                min: row.try_get("min")?,
                max: row.try_get("max")?,
            })
        })
        .collect()
}
