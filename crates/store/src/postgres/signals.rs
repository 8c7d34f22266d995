//! Job changes across processes: the `jobs_notify` trigger (migration 0001)
//! sends `NOTIFY filmroom_jobs` with the job's id whenever a job is queued or
//! its state changes; PostgreSQL delivers it to every listening connection
//! when the transaction commits. Each listener holds one connection of its
//! own, outside the pool.

use std::time::Duration;

use futures_util::StreamExt;
use sqlx::PgPool;
use sqlx::postgres::PgListener;

use crate::JobSignals;
use crate::error::StoreError;

/// The channel the trigger notifies.
const CHANNEL: &str = "filmroom_jobs";

/// How long to wait before listening again after the connection failed.
const RETRY: Duration = Duration::from_secs(1);

pub(super) async fn jobs(pool: &PgPool) -> Result<JobSignals, StoreError> {
    let mut listener = PgListener::connect_with(pool).await?;
    listener.listen(CHANNEL).await?;
    let stream = futures_util::stream::unfold(listener, |mut listener| async move {
        match listener.recv().await {
            Ok(_) => {}
            Err(error) => {
                // `recv` reconnects on its next call; what was notified in
                // between is lost, so this signal makes readers look again.
                tracing::warn!(error = %error, "job signals: the listening connection failed");
                tokio::time::sleep(RETRY).await;
            }
        }
        Some(((), listener))
    });
    Ok(stream.boxed())
}
