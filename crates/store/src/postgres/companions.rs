//! Companion files of recordings (a talk's transcript) and the per-day
//! upload counts that plan limits read: the SQLite module's statements in
//! PostgreSQL's dialect.

use sqlx::postgres::PgPool;
use sqlx::{Postgres, Row, Transaction};
use time::OffsetDateTime;

use crate::companion_model::{NewCompanion, StoredCompanion, UploadUse};
use crate::error::StoreError;
use crate::rows::{parse_sha, to_i64, to_u64, ts};
use crate::types::{JobId, RecordingId, Sha256Hex, UserId};

/// What linking an upload's companions changed.
pub(super) struct Linked {
    /// A companion was added or replaced by a different file.
    pub changed: bool,
    /// Replaced companions' objects that nothing references any more.
    pub orphaned: Vec<Sha256Hex>,
}

/// Links each companion to `recording`, replacing the one of the same
/// purpose; the same file again changes nothing.
pub(super) async fn link(
    tx: &mut Transaction<'_, Postgres>,
    recording: RecordingId,
    companions: &[NewCompanion],
    now: OffsetDateTime,
) -> Result<Linked, StoreError> {
    let mut linked = Linked {
        changed: false,
        orphaned: Vec::new(),
    };
    let id = recording.to_string();
    for companion in companions {
        let before: Option<String> = sqlx::query_scalar(
            "SELECT sha256 FROM recording_companions WHERE recording_id = $1 AND purpose = $2",
        )
        .bind(&id)
        .bind(&companion.purpose)
        .fetch_optional(&mut **tx)
        .await?;
        // These bytes are wanted again: a queued deletion of them is cancelled.
        sqlx::query("DELETE FROM object_deletions WHERE sha256 = $1")
            .bind(companion.sha256.as_str())
            .execute(&mut **tx)
            .await?;
        if before.as_deref() == Some(companion.sha256.as_str()) {
            continue;
        }
        sqlx::query(
            "INSERT INTO recording_companions
                (recording_id, purpose, extension, sha256, size, original_filename, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7)
             ON CONFLICT (recording_id, purpose) DO UPDATE SET
                extension = excluded.extension, sha256 = excluded.sha256,
                size = excluded.size, original_filename = excluded.original_filename,
                created_at = excluded.created_at",
        )
        .bind(&id)
        .bind(&companion.purpose)
        .bind(&companion.extension)
        .bind(companion.sha256.as_str())
        .bind(to_i64(companion.size, "companion size")?)
        .bind(&companion.original_filename)
        .bind(ts(now))
        .execute(&mut **tx)
        .await?;
        linked.changed = true;
        if let Some(before) = before {
            let referenced: bool = sqlx::query_scalar(
                "SELECT EXISTS (SELECT 1 FROM recording_companions WHERE sha256 = $1)
                     OR EXISTS (SELECT 1 FROM recordings WHERE sha256 = $1)",
            )
            .bind(&before)
            .fetch_one(&mut **tx)
            .await?;
            if !referenced {
                linked.orphaned.push(parse_sha(&before)?);
            }
        }
    }
    Ok(linked)
}

/// Queues a re-analysis of `recording` unless a job is already waiting
/// for it (a waiting job reads the companions when it runs; a running one
/// has read the old ones, so it does not count).
pub(super) async fn queue_reanalysis(
    tx: &mut Transaction<'_, Postgres>,
    recording: RecordingId,
    now: OffsetDateTime,
) -> Result<Option<JobId>, StoreError> {
    let job = JobId::new_random();
    let queued = sqlx::query(
        "INSERT INTO jobs (id, recording_id, state, attempts, max_attempts, run_after,
            created_at, updated_at, purpose)
         SELECT $1, $2, 'queued', 0, $3, $4, $4, $4, 'reanalysis'
         WHERE NOT EXISTS (SELECT 1 FROM jobs j
             WHERE j.recording_id = $2 AND j.state = 'queued')",
    )
    .bind(job.to_string())
    .bind(recording.to_string())
    .bind(i64::from(crate::DEFAULT_MAX_ATTEMPTS))
    .bind(ts(now))
    .execute(&mut **tx)
    .await?
    .rows_affected();
    Ok((queued == 1).then_some(job))
}

pub(super) async fn of_recording(
    pool: &PgPool,
    recording: RecordingId,
) -> Result<Vec<StoredCompanion>, StoreError> {
    let rows = sqlx::query(
        "SELECT purpose, extension, sha256, size, original_filename
         FROM recording_companions WHERE recording_id = $1 ORDER BY purpose",
    )
    .bind(recording.to_string())
    .fetch_all(pool)
    .await?;
    rows.iter()
        .map(|row| {
            Ok(StoredCompanion {
                purpose: row.try_get("purpose")?,
                extension: row.try_get("extension")?,
                sha256: parse_sha(&row.try_get::<String, _>("sha256")?)?,
                size: to_u64(row.try_get("size")?, "companion size")?,
                original_filename: row.try_get("original_filename")?,
            })
        })
        .collect()
}

pub(super) async fn uploads_since(
    pool: &PgPool,
    owner: UserId,
    kind: &str,
    since: OffsetDateTime,
) -> Result<UploadUse, StoreError> {
    let row = sqlx::query(
        "SELECT COUNT(*) AS uploads, COALESCE(SUM(r.length_s), 0.0)::DOUBLE PRECISION AS seconds
         FROM recording_owners o JOIN recordings r ON r.id = o.recording_id
         WHERE o.user_id = $1 AND o.kind = $2 AND o.uploaded_at >= $3",
    )
    .bind(owner.to_string())
    .bind(kind)
    .bind(ts(since))
    .fetch_one(pool)
    .await?;
    Ok(UploadUse {
        uploads: to_u64(row.try_get("uploads")?, "upload count")?,
        seconds: row.try_get("seconds")?,
    })
}
