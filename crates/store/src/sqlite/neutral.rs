//! The neutral analysis in SQLite: writing a domain's [`Analysis`] into the
//! recording, facet, side, participant, metric, event and passage tables (in
//! the caller's transaction), reading it back for an owner, the identity links
//! that say which participant is "me", and each owner's stored outcome.

use std::collections::BTreeMap;

use filmroom_domain::{
    Analysis, Degraded, Event, Facts, Metric, Outcome, Participant, Passage, Side, Span,
};
use sqlx::sqlite::SqliteRow;
use sqlx::{QueryBuilder, Row, Sqlite, SqliteExecutor, Transaction};
use time::OffsetDateTime;

use super::{from_opt_ts, to_i64, ts};
use crate::error::StoreError;
use crate::model::{IdentityLink, MetricPoint, OwnerOutcome, StoredAnalysis};
use crate::rows::{subject_columns, subject_from, unit_from};

/// Rows in one multi-row INSERT: 100 rows of at most 11 columns stay far
/// below SQLite's limit of bound variables per statement.
const ROWS_PER_INSERT: usize = 100;

fn position(index: usize) -> Result<i64, StoreError> {
    to_i64(index as u64, "position")
}

/// Replaces the recording's neutral rows with `analysis` (a re-analysis
/// leaves nothing of the previous one), then refreshes every owner's "me"
/// and outcome. Runs inside the transaction that completes the job.
pub(super) async fn save(
    tx: &mut Transaction<'_, Sqlite>,
    recording: &str,
    analysis: &Analysis,
) -> Result<(), StoreError> {
    let facts = &analysis.facts;
    let (outcome, winner) = match &facts.outcome {
        Outcome::None => ("none", None),
        Outcome::Draw => ("draw", None),
        Outcome::Winner { side } => ("winner", Some(side.as_str())),
    };
    sqlx::query(
        "UPDATE recordings SET title = ?, played_at = COALESCE(?, played_at), duration_s = ?,
            outcome = ?, winner_side = ?, revision = ?, degraded_code = ?, degraded_reason = ?
         WHERE id = ?",
    )
    .bind(&facts.title)
    .bind(facts.occurred_at.map(ts))
    .bind(facts.duration_s)
    .bind(outcome)
    .bind(winner)
    .bind(i64::from(analysis.revision))
    .bind(analysis.degraded.as_ref().map(|d| d.code.as_str()))
    .bind(analysis.degraded.as_ref().map(|d| d.reason.as_str()))
    .bind(recording)
    .execute(&mut **tx)
    .await?;

    for table in [
        "recording_facets",
        "recording_sides",
        "participants",
        "metrics",
        "events",
        "passages",
    ] {
        sqlx::query(&format!("DELETE FROM {table} WHERE recording_id = ?"))
            .bind(recording)
            .execute(&mut **tx)
            .await?;
    }
    for (facet, value) in &facts.facets {
        sqlx::query("INSERT INTO recording_facets (recording_id, facet, value) VALUES (?, ?, ?)")
            .bind(recording)
            .bind(facet)
            .bind(value)
            .execute(&mut **tx)
            .await?;
    }
    for (i, side) in analysis.sides.iter().enumerate() {
        sqlx::query(
            "INSERT INTO recording_sides (recording_id, position, side, display_name)
             VALUES (?, ?, ?, ?)",
        )
        .bind(recording)
        .bind(position(i)?)
        .bind(&side.key)
        .bind(&side.display_name)
        .execute(&mut **tx)
        .await?;
    }
    for (i, p) in analysis.participants.iter().enumerate() {
        sqlx::query(
            "INSERT INTO participants (recording_id, position, participant, display_name, side, is_bot)
             VALUES (?, ?, ?, ?, ?, ?)",
        )
        .bind(recording)
        .bind(position(i)?)
        .bind(&p.key)
        .bind(&p.display_name)
        .bind(&p.side)
        .bind(p.is_bot)
        .execute(&mut **tx)
        .await?;
    }
    // Many rows per statement: one INSERT a row cost ~0.1 ms each through the
    // driver, ~100 ms for a Rocket League game's ~1,100 metrics and events.
    for chunk in analysis.metrics.chunks(ROWS_PER_INSERT) {
        let mut insert = QueryBuilder::<Sqlite>::new(
            "INSERT INTO metrics (recording_id, subject_kind, subject, metric, value, unit,
                higher_is_better) ",
        );
        insert.push_values(chunk, |mut row, m| {
            let (subject_kind, subject) = subject_columns(&m.subject);
            row.push_bind(recording)
                .push_bind(subject_kind)
                .push_bind(subject.to_owned())
                .push_bind(m.key.as_str())
                .push_bind(m.value)
                .push_bind(m.unit.as_str())
                .push_bind(m.higher_is_better);
        });
        insert.build().execute(&mut **tx).await?;
    }
    let payloads = analysis
        .events
        .iter()
        .map(|e| serde_json::to_string(&e.payload))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|err| StoreError::Corrupt(format!("event payload: {err}")))?;
    let numbered: Vec<(i64, &Event, &String)> = analysis
        .events
        .iter()
        .zip(&payloads)
        .enumerate()
        .map(|(seq, (e, payload))| Ok((position(seq)?, e, payload)))
        .collect::<Result<_, StoreError>>()?;
    for chunk in numbered.chunks(ROWS_PER_INSERT) {
        let mut insert = QueryBuilder::<Sqlite>::new(
            "INSERT INTO events (recording_id, seq, t_s, kind, subject_kind, subject, label,
                x, y, z, payload_json) ",
        );
        insert.push_values(chunk, |mut row, (seq, e, payload)| {
            let (subject_kind, subject) = subject_columns(&e.subject);
            row.push_bind(recording)
                .push_bind(*seq)
                .push_bind(e.t_s)
                .push_bind(e.kind.as_str())
                .push_bind(subject_kind)
                .push_bind(subject.to_owned())
                .push_bind(e.label.as_str())
                .push_bind(e.position.map(|p| p[0]))
                .push_bind(e.position.map(|p| p[1]))
                .push_bind(e.position.map(|p| p[2]))
                .push_bind(payload.as_str());
        });
        insert.build().execute(&mut **tx).await?;
    }
    for (seq, passage) in analysis.passages.iter().enumerate() {
        let (start, end, page) = match passage.span {
            Span::Time { start_s, end_s } => (Some(start_s), Some(end_s), None),
            Span::Page { page } => (None, None, Some(i64::from(page))),
        };
        sqlx::query(
            "INSERT INTO passages (recording_id, seq, start_s, end_s, page, text)
             VALUES (?, ?, ?, ?, ?, ?)",
        )
        .bind(recording)
        .bind(position(seq)?)
        .bind(start)
        .bind(end)
        .bind(page)
        .bind(&passage.text)
        .execute(&mut **tx)
        .await?;
    }
    // The new participants are new evidence of who each owner is.
    let relinked = super::identity::infer_for_owners(tx, recording).await?;
    refresh_outcomes(&mut **tx, Scope::Recording(recording)).await?;
    for user in &relinked {
        refresh_outcomes(&mut **tx, Scope::User(user)).await?;
    }
    Ok(())
}

/// Whose stored outcomes to recompute.
pub(super) enum Scope<'a> {
    /// Every owner of one recording (its analysis changed).
    Recording(&'a str),
    /// Every recording of one user (their links changed).
    User(&'a str),
    /// One owner link (a new upload of an analysed recording).
    Owner { user: &'a str, recording: &'a str },
}

/// Recomputes "me" and the outcome of the owner links in `scope`, with their
/// copies of the recording's date, title and duration that the lists sort
/// on. "Me" is the first participant (in the analysis's order) that one of
/// the owner's links for the recording's kind (their own or the inferred
/// one, see `identity`) names: by key, or, for a `name:` link, by its display
/// name (old replays and bots have no platform id). The outcome is
/// the recording's result seen from that participant's side; `unknown` when
/// no participant is linked, the participant has no side, or the domain
/// records no result.
pub(super) async fn refresh_outcomes(
    executor: impl SqliteExecutor<'_>,
    scope: Scope<'_>,
) -> Result<(), StoreError> {
    let (condition, binds): (&str, Vec<&str>) = match scope {
        Scope::Recording(id) => ("o.recording_id = ?", vec![id]),
        Scope::User(id) => ("o.user_id = ?", vec![id]),
        Scope::Owner { user, recording } => (
            "o.user_id = ? AND o.recording_id = ?",
            vec![user, recording],
        ),
    };
    // One statement: "me" is chosen and the outcome read from its side in the
    // same pass, so the two can never disagree.
    let sql = format!(
        "WITH mine AS (
            SELECT o.user_id, o.recording_id,
                (SELECT p.participant FROM participants p
                    WHERE p.recording_id = o.recording_id
                      AND EXISTS (SELECT 1 FROM identity_links l
                              JOIN recordings r ON r.id = p.recording_id AND l.kind = r.kind
                              WHERE l.user_id = o.user_id
                                AND (l.participant = p.participant
                                     OR (l.participant LIKE 'name:%'
                                         AND substr(l.participant, 6) = p.display_name
                                             COLLATE NOCASE)))
                    ORDER BY p.position LIMIT 1) AS me
            FROM recording_owners o
            WHERE {condition}
        )
        UPDATE recording_owners SET
            occurred_at = (SELECT r.played_at FROM recordings r
                           WHERE r.id = recording_owners.recording_id),
            title = (SELECT r.title FROM recordings r
                     WHERE r.id = recording_owners.recording_id),
            duration_s = (SELECT r.duration_s FROM recordings r
                          WHERE r.id = recording_owners.recording_id),
            me = (SELECT m.me FROM mine m
                  WHERE m.user_id = recording_owners.user_id
                    AND m.recording_id = recording_owners.recording_id),
            outcome = COALESCE((
                SELECT CASE
                    WHEN r.outcome = 'draw' AND p.side IS NOT NULL THEN 'draw'
                    WHEN r.outcome = 'winner' AND p.side = r.winner_side THEN 'win'
                    WHEN r.outcome = 'winner' AND p.side IS NOT NULL THEN 'loss'
                END
                FROM mine m
                JOIN recordings r ON r.id = m.recording_id
                JOIN participants p ON p.recording_id = m.recording_id AND p.participant = m.me
                WHERE m.user_id = recording_owners.user_id
                  AND m.recording_id = recording_owners.recording_id), 'unknown')
        WHERE (user_id, recording_id) IN (SELECT user_id, recording_id FROM mine)"
    );
    let mut query = sqlx::query(&sql);
    for bind in binds {
        query = query.bind(bind);
    }
    query.execute(executor).await?;
    Ok(())
}

pub(super) async fn link(
    tx: &mut Transaction<'_, Sqlite>,
    user: &str,
    kind: &str,
    participant: &str,
    now: OffsetDateTime,
) -> Result<(), StoreError> {
    sqlx::query(
        // Confirming the inferred participant makes it the user's own link,
        // dated now; linking again changes nothing.
        "INSERT INTO identity_links (user_id, kind, participant, created_at, source)
         VALUES (?, ?, ?, ?, 'user')
         ON CONFLICT (user_id, kind, participant) DO UPDATE SET
            created_at = CASE WHEN source = 'inferred' THEN excluded.created_at
                              ELSE created_at END,
            source = 'user'",
    )
    .bind(user)
    .bind(kind)
    .bind(participant)
    .bind(ts(now))
    .execute(&mut **tx)
    .await?;
    Ok(())
}

pub(super) async fn links(
    executor: impl SqliteExecutor<'_>,
    user: &str,
) -> Result<Vec<IdentityLink>, StoreError> {
    let rows = sqlx::query(
        "SELECT kind, participant, created_at, source FROM identity_links WHERE user_id = ?
         ORDER BY kind, source = 'inferred', created_at, participant",
    )
    .bind(user)
    .fetch_all(executor)
    .await?;
    rows.iter()
        .map(|row| {
            Ok(IdentityLink {
                kind: row.try_get("kind")?,
                participant: row.try_get("participant")?,
                created_at: super::from_ts(row.try_get("created_at")?)?,
                source: super::identity::source(&row.try_get::<String, _>("source")?)?,
            })
        })
        .collect()
}

/// The neutral analysis of a recording the user owns, with their "me" and
/// outcome; `None` when not owned or not analysed into neutral rows yet.
pub(super) async fn load_for_owner(
    tx: &mut Transaction<'_, Sqlite>,
    user: &str,
    recording: &str,
) -> Result<Option<StoredAnalysis>, StoreError> {
    let Some(head) = sqlx::query(
        "SELECT r.kind, r.title, r.played_at, r.duration_s, r.outcome, r.winner_side, r.revision,
            r.degraded_code, r.degraded_reason, o.me, o.outcome AS owner_outcome
         FROM recording_owners o JOIN recordings r ON r.id = o.recording_id
         WHERE o.user_id = ? AND o.recording_id = ? AND r.revision IS NOT NULL",
    )
    .bind(user)
    .bind(recording)
    .fetch_optional(&mut **tx)
    .await?
    else {
        return Ok(None);
    };
    let facets: BTreeMap<String, String> =
        sqlx::query("SELECT facet, value FROM recording_facets WHERE recording_id = ?")
            .bind(recording)
            .fetch_all(&mut **tx)
            .await?
            .iter()
            .map(|r| Ok((r.try_get("facet")?, r.try_get("value")?)))
            .collect::<Result<_, StoreError>>()?;
    let outcome = match (
        head.try_get::<Option<String>, _>("outcome")?.as_deref(),
        head.try_get::<Option<String>, _>("winner_side")?,
    ) {
        (Some("draw"), _) => Outcome::Draw,
        (Some("winner"), Some(side)) => Outcome::Winner { side },
        _ => Outcome::None,
    };
    let facts = Facts {
        title: head
            .try_get::<Option<String>, _>("title")?
            .unwrap_or_default(),
        occurred_at: from_opt_ts(head.try_get("played_at")?)?,
        duration_s: head.try_get("duration_s")?,
        facets,
        outcome,
    };
    let sides = sqlx::query(
        "SELECT side, display_name FROM recording_sides WHERE recording_id = ? ORDER BY position",
    )
    .bind(recording)
    .fetch_all(&mut **tx)
    .await?
    .iter()
    .map(|r| {
        Ok(Side {
            key: r.try_get("side")?,
            display_name: r.try_get("display_name")?,
        })
    })
    .collect::<Result<_, StoreError>>()?;
    let participants = sqlx::query(
        "SELECT participant, display_name, side, is_bot FROM participants
         WHERE recording_id = ? ORDER BY position",
    )
    .bind(recording)
    .fetch_all(&mut **tx)
    .await?
    .iter()
    .map(|r| {
        Ok(Participant {
            key: r.try_get("participant")?,
            display_name: r.try_get("display_name")?,
            side: r.try_get("side")?,
            is_bot: r.try_get("is_bot")?,
        })
    })
    .collect::<Result<_, StoreError>>()?;
    let metrics = sqlx::query(
        "SELECT subject_kind, subject, metric, value, unit, higher_is_better FROM metrics
         WHERE recording_id = ? ORDER BY rowid",
    )
    .bind(recording)
    .fetch_all(&mut **tx)
    .await?
    .iter()
    .map(metric_from_row)
    .collect::<Result<_, StoreError>>()?;
    let events = sqlx::query(
        "SELECT t_s, kind, subject_kind, subject, label, x, y, z, payload_json FROM events
         WHERE recording_id = ? ORDER BY seq",
    )
    .bind(recording)
    .fetch_all(&mut **tx)
    .await?
    .iter()
    .map(event_from_row)
    .collect::<Result<_, StoreError>>()?;
    let passages = sqlx::query(
        "SELECT start_s, end_s, page, text FROM passages WHERE recording_id = ? ORDER BY seq",
    )
    .bind(recording)
    .fetch_all(&mut **tx)
    .await?
    .iter()
    .map(passage_from_row)
    .collect::<Result<_, StoreError>>()?;
    let degraded = match (
        head.try_get::<Option<String>, _>("degraded_code")?,
        head.try_get::<Option<String>, _>("degraded_reason")?,
    ) {
        (Some(code), reason) => Some(Degraded {
            code,
            reason: reason.unwrap_or_default(),
        }),
        _ => None,
    };
    let revision: i64 = head.try_get("revision")?;
    Ok(Some(StoredAnalysis {
        kind: head.try_get("kind")?,
        facts,
        sides,
        participants,
        metrics,
        events,
        passages,
        revision: u32::try_from(revision)
            .map_err(|_| StoreError::Corrupt(format!("revision {revision}")))?,
        degraded,
        me: head.try_get("me")?,
        outcome: OwnerOutcome::parse(&head.try_get::<String, _>("owner_outcome")?)
            .ok_or_else(|| StoreError::Corrupt("owner outcome".to_owned()))?,
    }))
}

fn metric_from_row(row: &SqliteRow) -> Result<Metric, StoreError> {
    Ok(Metric {
        subject: subject_from(
            &row.try_get::<String, _>("subject_kind")?,
            row.try_get("subject")?,
        )?,
        key: row.try_get("metric")?,
        value: row.try_get("value")?,
        unit: unit_from(&row.try_get::<String, _>("unit")?)?,
        higher_is_better: row.try_get("higher_is_better")?,
    })
}

pub(super) fn event_from_row(row: &SqliteRow) -> Result<Event, StoreError> {
    let x: Option<f64> = row.try_get("x")?;
    let y: Option<f64> = row.try_get("y")?;
    let z: Option<f64> = row.try_get("z")?;
    let payload: String = row.try_get("payload_json")?;
    Ok(Event {
        t_s: row.try_get("t_s")?,
        kind: row.try_get("kind")?,
        subject: subject_from(
            &row.try_get::<String, _>("subject_kind")?,
            row.try_get("subject")?,
        )?,
        label: row.try_get("label")?,
        position: match (x, y, z) {
            (Some(x), Some(y), Some(z)) => Some([x, y, z]),
            _ => None,
        },
        payload: serde_json::from_str(&payload)
            .map_err(|e| StoreError::Corrupt(format!("event payload: {e}")))?,
    })
}

fn passage_from_row(row: &SqliteRow) -> Result<Passage, StoreError> {
    let start: Option<f64> = row.try_get("start_s")?;
    let end: Option<f64> = row.try_get("end_s")?;
    let page: Option<i64> = row.try_get("page")?;
    let span = match (start, end, page) {
        (Some(start_s), Some(end_s), None) => Span::Time { start_s, end_s },
        (None, None, Some(page)) => Span::Page {
            page: u32::try_from(page).map_err(|_| StoreError::Corrupt(format!("page {page}")))?,
        },
        _ => return Err(StoreError::Corrupt("passage span".to_owned())),
    };
    Ok(Passage {
        span,
        text: row.try_get("text")?,
    })
}

/// The trend's statement (`?1` the metric, `?2` the user, `?3` the kind),
/// from the metric's side: for each "me" key of the user's recordings of the
/// kind (a hop through `recording_owners_me` per key), one range of
/// `metrics_series` (migration 0011) holds that participant's value in every
/// recording, then a covering lookup of the owner link. No per-recording
/// lookup of the metrics table; rows of other users' recordings the same
/// participant is in are read and dropped, bounded by how often they played.
pub(super) const MY_METRIC_SERIES: &str = "WITH RECURSIVE mine(me) AS (
            SELECT MIN(me) FROM recording_owners WHERE user_id = ?2 AND kind = ?3
            UNION ALL
            SELECT (SELECT MIN(k.me) FROM recording_owners k
                    WHERE k.user_id = ?2 AND k.kind = ?3 AND k.me > mine.me)
            FROM mine WHERE mine.me IS NOT NULL
         )
         SELECT o.recording_id, o.occurred_at AS played_at, m.value, o.outcome
         FROM mine
         CROSS JOIN metrics m ON m.metric = ?1 AND m.subject_kind = 'participant'
             AND m.subject = mine.me
         CROSS JOIN recording_owners o ON o.user_id = ?2 AND o.recording_id = m.recording_id
         WHERE mine.me IS NOT NULL AND o.kind = ?3 AND o.me = m.subject
         ORDER BY o.occurred_at, o.recording_id";

/// One metric of "me" over the user's recordings of `kind`, oldest first:
/// the rows a trend is drawn from. Recordings without a linked participant
/// or without the metric are left out.
pub(super) async fn my_metric_series(
    executor: impl SqliteExecutor<'_>,
    user: &str,
    kind: &str,
    metric: &str,
) -> Result<Vec<MetricPoint>, StoreError> {
    let rows = sqlx::query(MY_METRIC_SERIES)
        .bind(metric)
        .bind(user)
        .bind(kind)
        .fetch_all(executor)
        .await?;
    rows.iter()
        .map(|row| {
            Ok(MetricPoint {
                recording_id: super::parse_id(
                    &row.try_get::<String, _>("recording_id")?,
                    "recording id",
                )?,
                played_at: from_opt_ts(row.try_get("played_at")?)?,
                value: row.try_get("value")?,
                outcome: OwnerOutcome::parse(&row.try_get::<String, _>("outcome")?)
                    .ok_or_else(|| StoreError::Corrupt("owner outcome".to_owned()))?,
            })
        })
        .collect()
}
