//! Data rights on PostgreSQL (the SQLite module's statements in its
//! dialect): removing an owner's link to a recording (and the
//! recording once no owner is left), erasing a user, the queue of objects to
//! delete, the files a user owns and the audit log.
//!
//! Rows go before objects: a transaction deletes the rows and queues the
//! object's key in `object_deletions`; [`purge`] deletes the object later,
//! holding the row lock on its queue entry while it does, so an upload of
//! the same bytes (whose `add_upload` cancels the entry) is ordered either
//! before the deletion (which then keeps the object) or after it (and then
//! stores the bytes again). No recording row ever names a missing object.

use sqlx::Row;
use sqlx::postgres::PgPool;
use time::OffsetDateTime;

use super::{identity, neutral};
use crate::error::StoreError;
use crate::objects::ObjectStore;
use crate::rights_model::{AuditEntry, Erasure, OwnedFile, PurgeOutcome, RecordingRemoval};
use crate::rows::{from_ts, parse_id, to_u64, ts};
use crate::types::{RecordingId, Sha256Hex, UserId};

pub(super) async fn remove_recording(
    pool: &PgPool,
    owner: UserId,
    id: RecordingId,
    now: OffsetDateTime,
) -> Result<Option<RecordingRemoval>, StoreError> {
    let owner = owner.to_string();
    let recording = id.to_string();
    let mut tx = pool.begin().await?;
    // The recording's row first, locked: an upload of the same bytes that
    // would link a new owner waits (its foreign key check conflicts), so
    // the "no owner left" decision below cannot race it.
    sqlx::query("SELECT 1 FROM recordings WHERE id = $1 FOR UPDATE")
        .bind(&recording)
        .execute(&mut *tx)
        .await?;
    let removed: Option<Option<String>> = sqlx::query_scalar(
        "DELETE FROM recording_owners WHERE user_id = $1 AND recording_id = $2 RETURNING kind",
    )
    .bind(&owner)
    .bind(&recording)
    .fetch_optional(&mut *tx)
    .await?;
    let Some(kind) = removed else {
        tx.rollback().await?;
        return Ok(None);
    };
    let orphan: Option<String> = sqlx::query_scalar(
        "SELECT sha256 FROM recordings WHERE id = $1
         AND NOT EXISTS (SELECT 1 FROM recording_owners WHERE recording_id = $1)",
    )
    .bind(&recording)
    .fetch_optional(&mut *tx)
    .await?;
    if let Some(sha256) = &orphan {
        queue_objects(&mut tx, &recording, sha256, now).await?;
        sqlx::query("DELETE FROM recordings WHERE id = $1")
            .bind(&recording)
            .execute(&mut *tx)
            .await?;
    }
    // One recording less is less evidence of who the owner is.
    if let Some(kind) = kind
        && identity::infer(&mut tx, &owner, &kind).await?
    {
        neutral::refresh_outcomes(&mut *tx, neutral::Scope::User(&owner)).await?;
    }
    tx.commit().await?;
    Ok(Some(RecordingRemoval {
        recording: id,
        deleted_everywhere: orphan.is_some(),
    }))
}

/// Queues the recording's object and its companions' objects (a
/// companion's bytes may also belong to another recording: the purge checks).
async fn queue_objects(
    tx: &mut sqlx::Transaction<'_, sqlx::Postgres>,
    recording: &str,
    sha256: &str,
    now: OffsetDateTime,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO object_deletions (sha256, requested_at) VALUES ($1, $2)
         ON CONFLICT (sha256) DO NOTHING",
    )
    .bind(sha256)
    .bind(ts(now))
    .execute(&mut **tx)
    .await?;
    sqlx::query(
        "INSERT INTO object_deletions (sha256, requested_at)
         SELECT sha256, $1 FROM recording_companions WHERE recording_id = $2
         ON CONFLICT (sha256) DO NOTHING",
    )
    .bind(ts(now))
    .bind(recording)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

pub(super) async fn erase_user(
    pool: &PgPool,
    user: UserId,
    actor: &str,
    now: OffsetDateTime,
) -> Result<Option<Erasure>, StoreError> {
    let user = user.to_string();
    let mut tx = pool.begin().await?;
    // The user's row locked first, so their links cannot change under us.
    let exists = sqlx::query("SELECT 1 FROM users WHERE id = $1 FOR UPDATE")
        .bind(&user)
        .execute(&mut *tx)
        .await?
        .rows_affected()
        == 1;
    if !exists {
        tx.rollback().await?;
        return Ok(None);
    }
    let sole: Vec<(String, String)> = sqlx::query_as(
        "SELECT r.id, r.sha256 FROM recording_owners o JOIN recordings r ON r.id = o.recording_id
         WHERE o.user_id = $1 AND NOT EXISTS (SELECT 1 FROM recording_owners x
             WHERE x.recording_id = o.recording_id AND x.user_id <> $1)
         FOR UPDATE OF r",
    )
    .bind(&user)
    .fetch_all(&mut *tx)
    .await?;
    let owned: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM recording_owners WHERE user_id = $1")
        .bind(&user)
        .fetch_one(&mut *tx)
        .await?;
    for (id, sha256) in &sole {
        queue_objects(&mut tx, id, sha256, now).await?;
        sqlx::query("DELETE FROM recordings WHERE id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
    }
    // Everything else of theirs hangs off the user row (ON DELETE CASCADE):
    // sessions, tokens, names, links, conversations with their messages,
    // notes, usage, budgets, rate windows, owner links and billing.
    sqlx::query("DELETE FROM users WHERE id = $1")
        .bind(&user)
        .execute(&mut *tx)
        .await?;
    let erasure = Erasure {
        recordings_deleted: u64::try_from(sole.len()).unwrap_or(u64::MAX),
        recordings_kept: to_u64(owned, "owned recordings")?
            .saturating_sub(u64::try_from(sole.len()).unwrap_or(u64::MAX)),
    };
    let detail = serde_json::json!({
        "recordings_deleted": erasure.recordings_deleted,
        "recordings_kept": erasure.recordings_kept,
    })
    .to_string();
    insert_audit(&mut *tx, actor, "erase_user", &detail, now).await?;
    tx.commit().await?;
    Ok(Some(erasure))
}

async fn insert_audit(
    executor: impl sqlx::PgExecutor<'_>,
    actor: &str,
    action: &str,
    detail: &str,
    now: OffsetDateTime,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO audit_log (id, at, actor, action, detail) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(uuid::Uuid::new_v4().to_string())
    .bind(ts(now))
    .bind(actor)
    .bind(action)
    .bind(detail)
    .execute(executor)
    .await?;
    Ok(())
}

pub(super) async fn audit(
    pool: &PgPool,
    actor: &str,
    action: &str,
    detail: &str,
    now: OffsetDateTime,
) -> Result<(), StoreError> {
    insert_audit(pool, actor, action, detail, now).await
}

pub(super) async fn audit_log(pool: &PgPool, limit: u32) -> Result<Vec<AuditEntry>, StoreError> {
    let rows = sqlx::query(
        "SELECT at, actor, action, detail FROM audit_log ORDER BY at DESC, seq DESC LIMIT $1",
    )
    .bind(i64::from(limit))
    .fetch_all(pool)
    .await?;
    rows.iter()
        .map(|row| {
            Ok(AuditEntry {
                at: from_ts(row.try_get("at")?)?,
                actor: row.try_get("actor")?,
                action: row.try_get("action")?,
                detail: row.try_get("detail")?,
            })
        })
        .collect()
}

pub(super) async fn purge(
    pool: &PgPool,
    objects: &dyn ObjectStore,
    limit: u32,
) -> Result<PurgeOutcome, StoreError> {
    let queued: Vec<String> = sqlx::query_scalar(
        "SELECT sha256 FROM object_deletions ORDER BY requested_at, sha256 LIMIT $1",
    )
    .bind(i64::from(limit))
    .fetch_all(pool)
    .await?;
    let mut outcome = PurgeOutcome::default();
    for raw in queued {
        let Ok(key) = Sha256Hex::parse(&raw) else {
            // Not a key this store could have written: nothing to delete.
            sqlx::query("DELETE FROM object_deletions WHERE sha256 = $1")
                .bind(&raw)
                .execute(pool)
                .await?;
            continue;
        };
        let mut tx = pool.begin().await?;
        let claimed = sqlx::query(
            "DELETE FROM object_deletions WHERE sha256 = $1
             AND NOT EXISTS (SELECT 1 FROM recordings WHERE sha256 = $1)
             AND NOT EXISTS (SELECT 1 FROM recording_companions WHERE sha256 = $1)",
        )
        .bind(&raw)
        .execute(&mut *tx)
        .await?
        .rows_affected()
            == 1;
        if !claimed {
            // A recording has these bytes again: the object stays.
            sqlx::query("DELETE FROM object_deletions WHERE sha256 = $1")
                .bind(&raw)
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            outcome.kept += 1;
            continue;
        }
        match objects.delete(&key).await {
            Ok(_) => {
                tx.commit().await?;
                outcome.deleted += 1;
            }
            Err(error) => {
                tx.rollback().await?;
                tracing::warn!(object = %key, error = %error, "deleting an object failed; it stays queued");
                sqlx::query(
                    "UPDATE object_deletions SET attempts = attempts + 1, last_error = $1
                     WHERE sha256 = $2",
                )
                .bind(error.to_string())
                .bind(&raw)
                .execute(pool)
                .await?;
                outcome.failed += 1;
            }
        }
    }
    Ok(outcome)
}

pub(super) async fn owned_files(
    pool: &PgPool,
    owner: UserId,
) -> Result<Vec<OwnedFile>, StoreError> {
    let rows = sqlx::query(
        "SELECT r.id, r.sha256, r.size, r.kind, o.original_filename, o.uploaded_at
         FROM recording_owners o JOIN recordings r ON r.id = o.recording_id
         WHERE o.user_id = $1 ORDER BY o.uploaded_at, r.id",
    )
    .bind(owner.to_string())
    .fetch_all(pool)
    .await?;
    rows.iter()
        .map(|row| {
            let sha256: String = row.try_get("sha256")?;
            Ok(OwnedFile {
                recording: parse_id(&row.try_get::<String, _>("id")?, "recording id")?,
                sha256: Sha256Hex::parse(&sha256)
                    .map_err(|_| StoreError::Corrupt(format!("sha256 {sha256:?}")))?,
                size: to_u64(row.try_get("size")?, "size")?,
                kind: row.try_get("kind")?,
                original_filename: row.try_get("original_filename")?,
                uploaded_at: from_ts(row.try_get("uploaded_at")?)?,
            })
        })
        .collect()
}
