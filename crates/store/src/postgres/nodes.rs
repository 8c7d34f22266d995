//! The process registry on PostgreSQL: which processes share the database,
//! under which node names, and the release of what a dead one held.
//!
//! Whether a process is alive is the caller's judgement (heartbeat age, and
//! on the same host whether its pid still runs); the store makes taking a name
//! over and releasing the old holder's reservations one transaction, under a
//! transaction-scoped advisory lock on the name (a row lock cannot hold a
//! name no row has yet), so two processes starting at once cannot both take it.

use sqlx::Row;
use sqlx::postgres::{PgPool, PgRow};
use time::OffsetDateTime;

use super::coach::settle_released;
use super::{from_ts, ts};
use crate::error::StoreError;
use crate::model::NodeRecord;

const NODE_COLS: &str = "name, instance, host, pid, started_at, heartbeat_at, workers";

fn node_from_row(row: &PgRow) -> Result<NodeRecord, StoreError> {
    let pid: i64 = row.try_get("pid")?;
    Ok(NodeRecord {
        name: row.try_get("name")?,
        instance: row.try_get("instance")?,
        host: row.try_get("host")?,
        pid: u32::try_from(pid).map_err(|_| StoreError::Corrupt(format!("node pid {pid}")))?,
        started_at: from_ts(row.try_get("started_at")?)?,
        heartbeat_at: from_ts(row.try_get("heartbeat_at")?)?,
        workers: u32::try_from(row.try_get::<i64, _>("workers")?).unwrap_or(0),
    })
}

pub(super) async fn list(pool: &PgPool) -> Result<Vec<NodeRecord>, StoreError> {
    let rows = sqlx::query(&format!("SELECT {NODE_COLS} FROM nodes ORDER BY name"))
        .fetch_all(pool)
        .await?;
    rows.iter().map(node_from_row).collect()
}

pub(super) async fn register(
    pool: &PgPool,
    node: &NodeRecord,
    replacing: Option<&str>,
    stale_before: OffsetDateTime,
    now: OffsetDateTime,
) -> Result<u64, StoreError> {
    let mut tx = pool.begin().await?;
    super::lock(&mut tx, "node", &node.name).await?;
    let existing = sqlx::query(&format!("SELECT {NODE_COLS} FROM nodes WHERE name = $1"))
        .bind(&node.name)
        .fetch_optional(&mut *tx)
        .await?;
    if let Some(row) = existing {
        let holder = node_from_row(&row)?;
        let proven_dead = replacing == Some(holder.instance.as_str());
        if !proven_dead && holder.heartbeat_at >= stale_before {
            tx.rollback().await?;
            return Err(StoreError::NodeInUse {
                name: holder.name,
                host: holder.host,
                pid: holder.pid,
            });
        }
    }
    // Whatever a previous process of this name still holds, it holds no more.
    let rows = sqlx::query(
        "DELETE FROM budget_reservations WHERE node = $1 RETURNING user_id, period, amount",
    )
    .bind(&node.name)
    .fetch_all(&mut *tx)
    .await?;
    let released = settle_released(&mut tx, &rows, now).await?;
    sqlx::query(&format!(
        "INSERT INTO nodes ({NODE_COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7)
         ON CONFLICT (name) DO UPDATE SET instance = excluded.instance, host = excluded.host,
            pid = excluded.pid, started_at = excluded.started_at,
            heartbeat_at = excluded.heartbeat_at, workers = excluded.workers"
    ))
    .bind(&node.name)
    .bind(&node.instance)
    .bind(&node.host)
    .bind(i64::from(node.pid))
    .bind(ts(node.started_at))
    .bind(ts(now))
    .bind(i64::from(node.workers))
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(released)
}

pub(super) async fn heartbeat(
    pool: &PgPool,
    name: &str,
    instance: &str,
    now: OffsetDateTime,
) -> Result<(), StoreError> {
    let done = sqlx::query("UPDATE nodes SET heartbeat_at = $1 WHERE name = $2 AND instance = $3")
        .bind(ts(now))
        .bind(name)
        .bind(instance)
        .execute(pool)
        .await?;
    if done.rows_affected() == 0 {
        return Err(StoreError::NotFound { entity: "node" });
    }
    Ok(())
}

pub(super) async fn release(
    pool: &PgPool,
    name: &str,
    instance: &str,
    now: OffsetDateTime,
) -> Result<u64, StoreError> {
    let mut tx = pool.begin().await?;
    let gone = sqlx::query("DELETE FROM nodes WHERE name = $1 AND instance = $2")
        .bind(name)
        .bind(instance)
        .execute(&mut *tx)
        .await?;
    if gone.rows_affected() == 0 {
        // Another instance holds the name now: its reservations are its own.
        tx.rollback().await?;
        return Ok(0);
    }
    let rows = sqlx::query(
        "DELETE FROM budget_reservations WHERE node = $1 RETURNING user_id, period, amount",
    )
    .bind(name)
    .fetch_all(&mut *tx)
    .await?;
    let released = settle_released(&mut tx, &rows, now).await?;
    tx.commit().await?;
    Ok(released)
}
