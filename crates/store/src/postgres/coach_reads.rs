//! The coach's reads over the stored neutral rows on PostgreSQL: a batch of
//! a user's recordings with "me", outcome, facets and metrics (three queries
//! for any number of recordings), one recording's moments and passages, a
//! text search over event labels and passages (tsvector columns with GIN
//! indexes), and SQL aggregates of a metric. None of them reads a report.

use std::collections::BTreeMap;

use sqlx::{PgPool, Row};

use super::{Bind, bind_all, from_opt_ts, numbered, parse_id, to_u64, ts};
use crate::coach_model::{
    CoachHitSource, CoachMetricGroup, CoachMetricQuery, CoachMoments, CoachRecording,
    CoachRecordingQuery, CoachSearchHit,
};
use crate::error::StoreError;
use crate::model::OwnerOutcome;
use crate::rows::search_words;
use crate::types::{RecordingId, UserId};

fn outcome(text: &str) -> Result<OwnerOutcome, StoreError> {
    OwnerOutcome::parse(text).ok_or_else(|| StoreError::Corrupt(format!("owner outcome {text:?}")))
}

/// The owner-link conditions shared by the recording and aggregate reads,
/// with `?` placeholders.
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
    pool: &PgPool,
    user: UserId,
    query: &CoachRecordingQuery,
) -> Result<Vec<CoachRecording>, StoreError> {
    let (mut conditions, mut binds) =
        conditions(user, query.kind.as_ref(), query.from, query.until);
    if let Some((facet, value)) = &query.facet {
        conditions.push_str(
            " AND EXISTS (SELECT 1 FROM recording_facets f WHERE f.recording_id = o.recording_id
                AND f.facet = ? AND lower(f.value) = lower(?))",
        );
        binds.push(Bind::Text(facet.clone()));
        binds.push(Bind::Text(value.clone()));
    }
    if let Some(id) = query.recording {
        conditions.push_str(" AND o.recording_id = ?");
        binds.push(Bind::Text(id.to_string()));
    }
    binds.push(Bind::Int(i64::from(query.limit)));
    // Newest first on the owner link's own date, undated recordings last
    // (as SQLite sorts NULL lowest). "Me" and the outcome are the stored ones.
    let sql = format!(
        "SELECT o.recording_id, r.kind, r.title, o.occurred_at, r.duration_s, r.degraded_code,
            p.participant AS me, p.display_name AS me_name, p.side AS me_side, o.outcome,
            (SELECT json_object_agg(f.facet, f.value)::TEXT FROM recording_facets f
                WHERE f.recording_id = o.recording_id) AS facets_json
         FROM recording_owners o
         JOIN recordings r ON r.id = o.recording_id
         LEFT JOIN participants p ON p.recording_id = o.recording_id AND p.participant = o.me
         WHERE {conditions}
         ORDER BY o.occurred_at DESC NULLS LAST, o.recording_id DESC
         LIMIT ?"
    );
    let rows = bind_all(sqlx::query(&numbered(&sql)), binds)
        .fetch_all(pool)
        .await?;
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
    let ids: Vec<String> = out.iter().map(|r| r.id.clone()).collect();
    // (recording, me) pairs: the metrics are read for the stored "me".
    let (pair_ids, pair_mes): (Vec<String>, Vec<String>) = out
        .iter()
        .filter_map(|r| Some((r.id.clone(), r.me.clone()?)))
        .unzip();
    let index: BTreeMap<String, usize> = out
        .iter()
        .enumerate()
        .map(|(i, r)| (r.id.clone(), i))
        .collect();

    // "Me"'s metrics of the whole batch in one query.
    let mine = sqlx::query(
        "SELECT m.recording_id, m.metric, m.value
         FROM UNNEST($1::TEXT[], $2::TEXT[]) AS pair(recording_id, me)
         JOIN metrics m ON m.recording_id = pair.recording_id
             AND m.subject_kind = 'participant' AND m.subject = pair.me
         WHERE ($3 OR m.metric = ANY($4))",
    )
    .bind(&pair_ids)
    .bind(&pair_mes)
    .bind(query.metrics.is_empty())
    .bind(&query.metrics)
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
            "SELECT s.recording_id, s.side AS subject, m.metric, m.value
             FROM recording_sides s
             JOIN metrics m ON m.recording_id = s.recording_id
                 AND m.subject_kind = 'side' AND m.subject = s.side
             WHERE s.recording_id = ANY($1) AND m.metric = ANY($2)",
        )
        .bind(&ids)
        .bind(&query.side_metrics)
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
    pool: &PgPool,
    user: UserId,
    recording: RecordingId,
    event_kinds: &[String],
) -> Result<Option<CoachMoments>, StoreError> {
    let owned: bool = sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM recording_owners WHERE user_id = $1 AND recording_id = $2)",
    )
    .bind(user.to_string())
    .bind(recording.to_string())
    .fetch_one(pool)
    .await?;
    if !owned {
        return Ok(None);
    }
    let events = sqlx::query(
        "SELECT t_s, kind, subject_kind, subject, label, x, y, z, payload_json FROM events
         WHERE recording_id = $1 AND kind = ANY($2) ORDER BY seq",
    )
    .bind(recording.to_string())
    .bind(event_kinds)
    .fetch_all(pool)
    .await?
    .iter()
    .map(super::neutral::event_from_row)
    .collect::<Result<_, StoreError>>()?;
    let passages = sqlx::query(
        "SELECT start_s, end_s, text FROM passages
         WHERE recording_id = $1 AND start_s IS NOT NULL ORDER BY seq",
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

/// The user's text as a tsquery that cannot be a syntax error: its words
/// (see [`search_words`]: operators and quotes only separate them), each a
/// prefix, adjacent and in order. The statement folds it (case and
/// diacritics) as the indexed columns are folded. `None` when the text has
/// no word.
fn ts_query(text: &str) -> Option<String> {
    let terms: Vec<String> = search_words(text)
        .into_iter()
        .map(|word| format!("{word}:*"))
        .collect();
    (!terms.is_empty()).then(|| terms.join(" <-> "))
}

/// The search (`$1` the user, `$2` the tsquery, `$3` the limit): the GIN
/// indexes find the matching rows; each is kept only if the user owns its
/// recording. Newest recordings first (undated last), then in time order
/// within one.
const SEARCH: &str = "SELECT * FROM (
            SELECT o.recording_id, r.kind, r.title, o.occurred_at, 'event' AS source,
                e.kind AS event_kind, e.t_s AS start_s, e.t_s AS end_s, e.label AS text, e.seq
            FROM events e
            JOIN recording_owners o ON o.user_id = $1 AND o.recording_id = e.recording_id
            JOIN recordings r ON r.id = o.recording_id
            WHERE e.label_words @@ to_tsquery('simple', filmroom_fold($2))
            UNION ALL
            SELECT o.recording_id, r.kind, r.title, o.occurred_at, 'passage' AS source,
                NULL AS event_kind, p.start_s, p.end_s, p.text, p.seq
            FROM passages p
            JOIN recording_owners o ON o.user_id = $1 AND o.recording_id = p.recording_id
            JOIN recordings r ON r.id = o.recording_id
            WHERE p.text_words @@ to_tsquery('simple', filmroom_fold($2))
              AND p.start_s IS NOT NULL
         ) hits
         ORDER BY occurred_at DESC NULLS LAST, recording_id, start_s, source, seq
         LIMIT $3";

pub(super) async fn search(
    pool: &PgPool,
    user: UserId,
    text: &str,
    limit: u32,
) -> Result<Vec<CoachSearchHit>, StoreError> {
    let Some(query) = ts_query(text) else {
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

pub(super) async fn metric_groups(
    pool: &PgPool,
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
        None => ("NULL::TEXT", ""),
    };
    binds.insert(0, Bind::Text(query.metric.clone()));
    // "Me"'s value of the metric in each of the user's recordings that has
    // it; the ungrouped (NULL) group first, as SQLite sorts NULL.
    let sql = format!(
        "SELECT {group} AS grp, COUNT(*) AS n,
            COUNT(*) FILTER (WHERE o.outcome = 'win') AS wins,
            COUNT(*) FILTER (WHERE o.outcome = 'loss') AS losses,
            COUNT(*) FILTER (WHERE o.outcome = 'draw') AS draws,
            AVG(m.value) AS avg, MIN(m.value) AS min, MAX(m.value) AS max
         FROM recording_owners o
         JOIN metrics m ON m.recording_id = o.recording_id AND m.metric = ?
             AND m.subject_kind = 'participant' AND m.subject = o.me
         JOIN recordings r ON r.id = o.recording_id
         {join}
         WHERE {conditions}
         GROUP BY grp
         ORDER BY grp NULLS FIRST"
    );
    let rows = bind_all(sqlx::query(&numbered(&sql)), binds)
        .fetch_all(pool)
        .await?;
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
