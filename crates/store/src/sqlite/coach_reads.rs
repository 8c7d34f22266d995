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
         JOIN recordings r ON r.id = o.recording_id
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
        sqlx::query(
            "SELECT m.recording_id, m.subject, m.metric, m.value FROM metrics m
             WHERE m.recording_id IN (SELECT value FROM json_each(?)) AND m.subject_kind = 'side'
               AND m.metric IN (SELECT value FROM json_each(?))",
        )
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

/// `text` as a LIKE pattern matching it anywhere, with its wildcards escaped.
fn contains_pattern(text: &str) -> String {
    let mut pattern = String::from("%");
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    pattern
}

pub(super) async fn search(
    pool: &SqlitePool,
    user: UserId,
    text: &str,
    limit: u32,
) -> Result<Vec<CoachSearchHit>, StoreError> {
    let pattern = contains_pattern(text.trim());
    // Newest recordings first, then in time order within one.
    let rows = sqlx::query(
        "SELECT * FROM (
            SELECT o.recording_id, r.kind, r.title, o.occurred_at, 'event' AS source,
                e.kind AS event_kind, e.t_s AS start_s, e.t_s AS end_s, e.label AS text, e.seq
            FROM recording_owners o
            JOIN recordings r ON r.id = o.recording_id
            JOIN events e ON e.recording_id = o.recording_id
            WHERE o.user_id = ? AND e.label LIKE ? ESCAPE '\\'
            UNION ALL
            SELECT o.recording_id, r.kind, r.title, o.occurred_at, 'passage' AS source,
                NULL AS event_kind, p.start_s, p.end_s, p.text, p.seq
            FROM recording_owners o
            JOIN recordings r ON r.id = o.recording_id
            JOIN passages p ON p.recording_id = o.recording_id
            WHERE o.user_id = ? AND p.start_s IS NOT NULL AND p.text LIKE ? ESCAPE '\\'
         )
         ORDER BY occurred_at DESC, recording_id, start_s, source, seq
         LIMIT ?",
    )
    .bind(user.to_string())
    .bind(&pattern)
    .bind(user.to_string())
    .bind(&pattern)
    .bind(i64::from(limit))
    .fetch_all(pool)
    .await?;
    rows.iter()
        .map(|row| {
            let source: String = row.try_get("source")?;
            Ok(CoachSearchHit {
                recording_id: parse_id(&row.try_get::<String, _>("recording_id")?, "recording id")?,
                kind: row.try_get("kind")?,
                title: row.try_get("title")?,
                occurred_at: from_opt_ts(row.try_get("occurred_at")?)?,
                source: if source == "event" {
                    CoachHitSource::Event
                } else {
                    CoachHitSource::Passage
                },
                event_kind: row.try_get("event_kind")?,
                start_s: row.try_get("start_s")?,
                end_s: row.try_get("end_s")?,
                text: row.try_get("text")?,
            })
        })
        .collect()
}

pub(super) async fn metric_groups(
    pool: &SqlitePool,
    user: UserId,
    query: &CoachMetricQuery,
) -> Result<Vec<CoachMetricGroup>, StoreError> {
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
    // CROSS JOIN keeps the user's owner links as the outer loop: one
    // primary-key lookup of the metric per recording.
    let sql = format!(
        "SELECT {group} AS grp, COUNT(*) AS n,
            SUM(o.outcome = 'win') AS wins, SUM(o.outcome = 'loss') AS losses,
            SUM(o.outcome = 'draw') AS draws,
            AVG(m.value) AS avg, MIN(m.value) AS min, MAX(m.value) AS max
         FROM recording_owners o
         CROSS JOIN recordings r ON r.id = o.recording_id
         CROSS JOIN metrics m ON m.recording_id = o.recording_id
             AND m.subject_kind = 'participant' AND m.subject = o.me AND m.metric = ?
         {join}
         WHERE {conditions} AND o.me IS NOT NULL
         GROUP BY grp
         ORDER BY grp"
    );
    let rows = bind_all(sqlx::query(&sql), binds).fetch_all(pool).await?;
    rows.iter()
        .map(|row| {
            Ok(CoachMetricGroup {
                group: row.try_get("grp")?,
                recordings: to_u64(row.try_get("n")?, "count")?,
                wins: to_u64(row.try_get("wins")?, "wins")?,
                losses: to_u64(row.try_get("losses")?, "losses")?,
                draws: to_u64(row.try_get("draws")?, "draws")?,
                avg: row.try_get("avg")?,
                min: row.try_get("min")?,
                max: row.try_get("max")?,
            })
        })
        .collect()
}
